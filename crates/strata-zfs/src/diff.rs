//! `zfs diff -H -F -t` lines: the argv builder and a decoder that gives back the exact bytes of
//! every path.
//!
//! A line is `SECONDS.NANOS<TAB>CHANGE<TAB>TYPE<TAB>PATH[<TAB>NEW_PATH | <TAB>(+N)]`. libzfs
//! (`stream_bytes` in `libzfs_diff.c`) writes every path byte that is `<= 0x20`, a backslash or
//! `>= 0x7f` as `\` and four octal digits (`%04hho`: `\0040` is a space, `\0303\0274` is `ü`), so
//! fields never hold a tab or a newline and the decoder restores any byte string, UTF-8 or not.
//! The time is the inode's ctime (`%10lld.%09lld`: padded with spaces to ten digits).

use std::fmt;
use std::io::{self, BufRead};

use strata_core::runner::Cmd;

use crate::zfs_read;

/// `zfs diff -H -F -t FROM [TO]`: FROM is a snapshot, TO a later snapshot of the same
/// filesystem, `@NAME`, or the filesystem itself (the live state when absent).
pub fn diff_command(from: &str, to: Option<&str>) -> Cmd {
    let cmd = zfs_read().args(["diff", "-H", "-F", "-t", from]);
    match to {
        Some(t) => cmd.arg(t),
        None => cmd,
    }
}

/// The kind of change, as ZFS prints it in the second column. With the `clap` feature it is also
/// the value of strata-diff's `--change` (the `value(help)` texts are its help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Change {
    /// `M`: contents or metadata changed (or, with a link delta, the link count).
    #[cfg_attr(feature = "clap", value(help = "contents or metadata changed (zfs diff M)"))]
    Modified,
    /// `+`
    #[cfg_attr(feature = "clap", value(help = "created (+)"))]
    Added,
    /// `-`
    #[cfg_attr(feature = "clap", value(help = "deleted (-)"))]
    Removed,
    /// `R`: renamed or moved; the new path is in [`DiffLine::new_path`].
    #[cfg_attr(feature = "clap", value(help = "renamed or moved (R)"))]
    Renamed,
}

impl Change {
    pub fn from_byte(b: u8) -> Option<Change> {
        Some(match b {
            b'M' => Change::Modified,
            b'+' => Change::Added,
            b'-' => Change::Removed,
            b'R' => Change::Renamed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Change::Modified => "modified",
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Renamed => "renamed",
        }
    }

    pub const ALL: [Change; 4] = [Change::Modified, Change::Added, Change::Removed, Change::Renamed];

    pub fn parse(s: &str) -> Option<Change> {
        Change::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The file type, as `zfs diff -F` prints it in the third column (`get_what` in libzfs). With the
/// `clap` feature it is also the value of strata-diff's `--kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Kind {
    /// `F`
    #[cfg_attr(feature = "clap", value(help = "regular file (F)"))]
    File,
    /// `/`
    #[cfg_attr(feature = "clap", value(help = "directory (/)"))]
    Directory,
    /// `@`
    #[cfg_attr(feature = "clap", value(help = "symbolic link (@)"))]
    Symlink,
    /// `=`
    #[cfg_attr(feature = "clap", value(help = "socket (=)"))]
    Socket,
    /// `|`
    #[cfg_attr(feature = "clap", value(help = "named pipe (|)"))]
    Fifo,
    /// `B`
    #[cfg_attr(feature = "clap", value(help = "block device (B)"))]
    Block,
    /// `C`
    #[cfg_attr(feature = "clap", value(help = "character device (C)"))]
    Char,
    /// `>` (Solaris doors; not on Linux)
    #[cfg_attr(feature = "clap", value(help = "Solaris door (>); not on Linux"))]
    Door,
    /// `P` (Solaris event ports; not on Linux)
    #[cfg_attr(feature = "clap", value(help = "Solaris event port (P); not on Linux"))]
    Port,
    /// `?`: a mode ZFS does not classify.
    #[cfg_attr(feature = "clap", value(help = "a mode ZFS does not classify (?)"))]
    Unknown,
}

impl Kind {
    pub fn from_byte(b: u8) -> Option<Kind> {
        Some(match b {
            b'F' => Kind::File,
            b'/' => Kind::Directory,
            b'@' => Kind::Symlink,
            b'=' => Kind::Socket,
            b'|' => Kind::Fifo,
            b'B' => Kind::Block,
            b'C' => Kind::Char,
            b'>' => Kind::Door,
            b'P' => Kind::Port,
            b'?' => Kind::Unknown,
            _ => return None,
        })
    }

    /// The character `zfs diff -F` prints.
    pub fn as_byte(self) -> u8 {
        match self {
            Kind::File => b'F',
            Kind::Directory => b'/',
            Kind::Symlink => b'@',
            Kind::Socket => b'=',
            Kind::Fifo => b'|',
            Kind::Block => b'B',
            Kind::Char => b'C',
            Kind::Door => b'>',
            Kind::Port => b'P',
            Kind::Unknown => b'?',
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Directory => "directory",
            Kind::Symlink => "symlink",
            Kind::Socket => "socket",
            Kind::Fifo => "fifo",
            Kind::Block => "block",
            Kind::Char => "char",
            Kind::Door => "door",
            Kind::Port => "port",
            Kind::Unknown => "unknown",
        }
    }

    pub const ALL: [Kind; 10] = [
        Kind::File,
        Kind::Directory,
        Kind::Symlink,
        Kind::Socket,
        Kind::Fifo,
        Kind::Block,
        Kind::Char,
        Kind::Door,
        Kind::Port,
        Kind::Unknown,
    ];

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One decoded line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    /// The inode's ctime: seconds since the epoch and nanoseconds.
    pub seconds: i64,
    pub nanos: u32,
    pub change: Change,
    pub kind: Kind,
    /// The exact bytes of the path (absolute, under the dataset's mountpoint).
    pub path: Vec<u8>,
    /// The new path of a rename.
    pub new_path: Option<Vec<u8>>,
    /// The link-count change (`(+1)`, `(-1)`) of a modified line.
    pub link_delta: Option<i64>,
}

/// What was wrong with a line (the caller adds the line number).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LineError {
    pub field: &'static str,
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field {}: {}", self.field, self.message)
    }
}

fn line_err(field: &'static str, message: impl Into<String>) -> LineError {
    LineError { field, message: message.into() }
}

/// The longest line [`read_line`] takes, newline excluded: 128 KiB.
///
/// The longest line `zfs diff -H -F -t` can print is about 80 KiB. libzfs (`print_cmn`) prints
/// a path as the mountpoint followed by the name within the dataset; the mountpoint is a
/// property value and the name comes from `zfs_obj_to_path` into a `MAXPATHLEN` buffer, so
/// each is at most 4096 bytes and a path at most 8192. Every byte is at most five once escaped
/// (`\0377`), 40960 per path; a rename holds two (81920), and the other fields (a time of
/// at most 30 characters, one-character change and type, a link delta, tabs) add under 100
/// bytes. 128 KiB leaves room for longer `MAXPATHLEN` builds, and a line longer than that is not
/// `zfs diff` output at all.
pub const MAX_LINE: usize = 128 * 1024;

/// What [`read_line`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadLine {
    /// The end of the input: `buf` is empty.
    End,
    /// A line, in `buf` without its newline.
    Line,
    /// A line longer than [`MAX_LINE`] bytes: `len` bytes without its newline. It was skipped
    /// (read to its end without being kept); `buf` holds only its first bytes.
    TooLong { len: u64 },
}

/// Reads the next line into `buf` (cleared first) in bounded memory: `buf` never holds more
/// than [`MAX_LINE`] + 1 bytes, whatever the input. A longer line is read to its newline in
/// pieces of the reader's buffer and only counted, so the caller can name its length.
pub fn read_line<R: BufRead + ?Sized>(reader: &mut R, buf: &mut Vec<u8>) -> io::Result<ReadLine> {
    buf.clear();
    let n = io::Read::take(&mut *reader, MAX_LINE as u64 + 1).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(ReadLine::End);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        return Ok(ReadLine::Line);
    }
    if buf.len() <= MAX_LINE {
        // The last line, without a newline.
        return Ok(ReadLine::Line);
    }
    let mut len = buf.len() as u64;
    loop {
        let piece = reader.fill_buf()?;
        if piece.is_empty() {
            break;
        }
        match piece.iter().position(|&b| b == b'\n') {
            Some(i) => {
                len += i as u64;
                reader.consume(i + 1);
                break;
            }
            None => {
                let k = piece.len();
                len += k as u64;
                reader.consume(k);
            }
        }
    }
    Ok(ReadLine::TooLong { len })
}

/// Decodes one line of `zfs diff -H -F -t` (without its newline).
pub fn parse_line(line: &[u8]) -> Result<DiffLine, LineError> {
    let mut fields = line.split(|&b| b == b'\t');
    let time = fields.next().unwrap_or_default();
    let (seconds, nanos) = parse_time(time)?;
    let change = match fields.next() {
        Some([c]) => {
            Change::from_byte(*c).ok_or_else(|| line_err("change", format!("unknown change {:?}", *c as char)))?
        }
        Some(other) => return Err(line_err("change", format!("expected one of M + - R, found {}", show(other)))),
        None => return Err(line_err("change", "missing")),
    };
    let kind = match fields.next() {
        Some([k]) => {
            Kind::from_byte(*k).ok_or_else(|| line_err("type", format!("unknown file type {:?}", *k as char)))?
        }
        Some(other) => {
            return Err(line_err("type", format!("expected one file type character, found {}", show(other))));
        }
        None => return Err(line_err("type", "missing")),
    };
    let path = match fields.next() {
        Some(p) if !p.is_empty() => unescape(p).map_err(|m| line_err("path", m))?,
        _ => return Err(line_err("path", "missing")),
    };
    let mut new_path = None;
    let mut link_delta = None;
    let fifth = fields.next();
    match (change, fifth) {
        (Change::Renamed, Some(p)) if !p.is_empty() => {
            new_path = Some(unescape(p).map_err(|m| line_err("new path", m))?);
        }
        (Change::Renamed, _) => return Err(line_err("new path", "a rename without its new path")),
        (_, None) => {}
        (_, Some(d)) => link_delta = Some(parse_delta(d)?),
    }
    if let Some(extra) = fields.next() {
        return Err(line_err("end", format!("unexpected extra field {}", show(extra))));
    }
    Ok(DiffLine { seconds, nanos, change, kind, path, new_path, link_delta })
}

/// A field in an error: quoted, cut after [`SHOWN`] bytes.
fn show(b: &[u8]) -> String {
    match b.get(..SHOWN) {
        Some(start) if b.len() > SHOWN => {
            format!("{:?} and {} more bytes", String::from_utf8_lossy(start), b.len() - SHOWN)
        }
        _ => format!("{:?}", String::from_utf8_lossy(b)),
    }
}

/// How much of a field an error shows.
const SHOWN: usize = 100;

/// `%10lld.%09lld`: optional leading spaces, an optional minus, digits, a dot, nine digits.
fn parse_time(field: &[u8]) -> Result<(i64, u32), LineError> {
    let bad = || line_err("time", format!("expected SECONDS.NANOSECONDS, found {}", show(field)));
    let mut s = field;
    while let [b' ', rest @ ..] = s {
        s = rest;
    }
    let dot = s.iter().position(|&b| b == b'.').ok_or_else(bad)?;
    let (secs, frac) = (&s[..dot], &s[dot + 1..]);
    let (neg, digits) = match secs {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, secs),
    };
    if digits.is_empty() || digits.len() > 18 || frac.len() != 9 {
        return Err(bad());
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(bad());
        }
        v = v * 10 + i64::from(d - b'0');
    }
    let mut n: u32 = 0;
    for &d in frac {
        if !d.is_ascii_digit() {
            return Err(bad());
        }
        n = n * 10 + u32::from(d - b'0');
    }
    Ok((if neg { -v } else { v }, n))
}

/// `(+1)` / `(-2)`.
fn parse_delta(field: &[u8]) -> Result<i64, LineError> {
    let bad = || line_err("link count", format!("expected (+N) or (-N), found {}", show(field)));
    let inner = field.strip_prefix(b"(").and_then(|f| f.strip_suffix(b")")).ok_or_else(bad)?;
    let (neg, digits) = match inner {
        [b'+', d @ ..] => (false, d),
        [b'-', d @ ..] => (true, d),
        _ => return Err(bad()),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let v = digits.iter().fold(0i64, |v, &d| v * 10 + i64::from(d - b'0'));
    Ok(if neg { -v } else { v })
}

/// Decodes libzfs's escapes: `\` and exactly four octal digits (at most `\0377`) is one byte;
/// every other byte stands for itself. A backslash not followed by such digits is an error
/// (ZFS always escapes a backslash itself).
pub fn unescape(field: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(field.len());
    let mut rest = field;
    while let Some(i) = rest.iter().position(|&b| b == b'\\') {
        out.extend_from_slice(&rest[..i]);
        let esc = rest.get(i + 1..i + 5).filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        let Some(d) = esc else {
            let end = (i + 5).min(rest.len());
            return Err(format!(
                "a backslash not followed by four octal digits at byte {}: {}",
                field.len() - rest.len() + i,
                show(&rest[i..end])
            ));
        };
        let v = d.iter().fold(0u32, |v, &b| v * 8 + u32::from(b - b'0'));
        let byte = u8::try_from(v).map_err(|_| format!("escape {} is above \\0377", show(&rest[i..i + 5])))?;
        out.push(byte);
        rest = &rest[i + 5..];
    }
    out.extend_from_slice(rest);
    Ok(out)
}

/// Encodes bytes as libzfs does (`stream_bytes`): the inverse of [`unescape`], for tests and
/// benchmarks.
pub fn escape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        if b > b' ' && b != b'\\' && b < 0x7f {
            out.push(b);
        } else {
            out.extend_from_slice(format!("\\{b:04o}").as_bytes());
        }
    }
    out
}

/// Formats a line the way `zfs diff -H -F -t` prints it (tests and benchmarks).
pub fn format_line(l: &DiffLine) -> Vec<u8> {
    let mut out = format!("{:10}.{:09}\t", l.seconds, l.nanos).into_bytes();
    out.push(match l.change {
        Change::Modified => b'M',
        Change::Added => b'+',
        Change::Removed => b'-',
        Change::Renamed => b'R',
    });
    out.push(b'\t');
    out.push(l.kind.as_byte());
    out.push(b'\t');
    out.extend_from_slice(&escape(&l.path));
    if let Some(n) = &l.new_path {
        out.push(b'\t');
        out.extend_from_slice(&escape(n));
    }
    if let Some(d) = l.link_delta {
        out.extend_from_slice(format!("\t({d:+})").as_bytes());
    }
    out
}

/// The change time as records write it (the calendar lives in strata-core).
pub use strata_core::time::rfc3339_nanos;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use proptest::prelude::*;

    fn lines(name: &str) -> Vec<DiffLine> {
        let out = fixtures::stdout("2.3", name);
        out.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(|l| parse_line(l).unwrap()).collect()
    }

    /// `zfs diff -h -H -F` prints raw bytes (one name holds a newline, so lines are rebuilt from
    /// the known line starts).
    fn raw_paths(name: &str) -> Vec<(u8, Vec<u8>, Option<Vec<u8>>)> {
        let out = fixtures::stdout("2.3", name);
        let out = out.strip_suffix(b"\n").unwrap_or(&out);
        let mut records: Vec<Vec<u8>> = Vec::new();
        for l in out.split(|&b| b == b'\n') {
            let starts_record = l.len() > 2 && b"M+-R".contains(&l[0]) && l[1] == b'\t';
            match records.last_mut() {
                Some(prev) if !starts_record => {
                    prev.push(b'\n');
                    prev.extend_from_slice(l);
                }
                _ if l.is_empty() => {}
                _ => records.push(l.to_vec()),
            }
        }
        records
            .into_iter()
            .map(|r| {
                let f: Vec<&[u8]> = r.splitn(4, |&b| b == b'\t').collect();
                let rest = f[2];
                // The raw form may hold tabs inside names: a rename's two paths both start with
                // the mountpoint, a link delta ends in "\t(+N)".
                let mount = b"\t/tank/srv/docker/victim.org";
                let full: Vec<u8> = [rest, b"\t", f.get(3).copied().unwrap_or_default()].concat();
                let full = if f.len() == 3 { rest.to_vec() } else { full };
                let full = match full.strip_suffix(b"\t(+1)") {
                    Some(p) => p.to_vec(),
                    None => full,
                };
                if f[0][0] == b'R' {
                    let at = full.windows(mount.len()).position(|w| w == mount).unwrap();
                    (f[0][0], full[..at].to_vec(), Some(full[at + 1..].to_vec()))
                } else {
                    (f[0][0], full, None)
                }
            })
            .collect()
    }

    #[test]
    fn fixture_paths_decode_to_the_raw_bytes_zfs_prints_with_h() {
        let got = lines("diff_S1_S2");
        let raw = raw_paths("diff_S1_S2_noescape_h");
        assert_eq!(got.len(), 16);
        assert_eq!(raw.len(), got.len());
        for (g, (c, p, n)) in got.iter().zip(&raw) {
            assert_eq!(Change::from_byte(*c), Some(g.change));
            assert_eq!(&g.path, p, "{}", String::from_utf8_lossy(p));
            assert_eq!(&g.new_path, n);
        }
        assert!(got.iter().any(|l| l.path.ends_with(b"/new\nline.txt")));
        assert!(got.iter().any(|l| l.path.ends_with("/ünïcødé-файл.txt".as_bytes())));
    }

    #[test]
    fn fixture_fields() {
        let got = lines("diff_S1_S2");
        let first = &got[0];
        assert_eq!((first.change, first.kind), (Change::Renamed, Kind::Directory));
        assert_eq!(first.path, b"/tank/srv/docker/victim.org/sub dir");
        assert_eq!(first.new_path.as_deref(), Some(&b"/tank/srv/docker/victim.org/sub dir renamed"[..]));
        assert_eq!((first.seconds, first.nanos), (1_795_636_746, 204_000_000));
        let index = got.iter().find(|l| l.path.ends_with(b"/index.html")).unwrap();
        assert_eq!((index.change, index.kind, index.link_delta), (Change::Modified, Kind::File, Some(1)));
        let link = got.iter().find(|l| l.path.ends_with(b"/latest-symlink")).unwrap();
        assert_eq!((link.change, link.kind), (Change::Added, Kind::Symlink));
        let removed = got.iter().find(|l| l.change == Change::Removed).unwrap();
        assert_eq!(removed.path, b"/tank/srv/docker/victim.org/to-delete.txt");
        let tab = got.iter().find(|l| l.path.ends_with(b"org/file with space.txt")).unwrap();
        assert_eq!(tab.new_path.as_deref(), Some("/tank/srv/docker/victim.org/renamed\twith tab ü.txt".as_bytes()));
        assert_eq!(lines("diff_S1_S2_short"), got);
        assert!(lines("diff_S1_A1_nochange").is_empty());
        assert_eq!(lines("diff_S1_live").len(), 16);
        assert_eq!(lines("diff_S2_A2").len(), 3);
    }

    /// The `od -c` fixture shows the bytes on the wire: a backslash and four digits, no raw space.
    #[test]
    fn od_fixture_shows_four_digit_escapes() {
        let od = String::from_utf8(fixtures::stdout("2.3", "diff_S1_S2_od")).unwrap();
        assert!(od.contains("b   \\   0   0   4   0   d   i   r"), "{od}");
        let raw = fixtures::stdout("2.3", "diff_S1_S2");
        assert!(!raw.contains(&b' '));
        assert!(raw.windows(5).any(|w| w == b"\\0040"));
    }

    #[test]
    fn padded_times_and_negative_link_deltas() {
        let l = parse_line(b"       123.000000001\tM\tF\t/a\t(-1)").unwrap();
        assert_eq!((l.seconds, l.nanos, l.link_delta), (123, 1, Some(-1)));
        let l = parse_line(b"1.000000000\t-\t|\t/p\\0134q").unwrap();
        assert_eq!((l.kind, l.path.as_slice()), (Kind::Fifo, &b"/p\\q"[..]));
    }

    #[test]
    fn bad_lines_name_the_field() {
        let cases: &[(&[u8], &str)] = &[
            (b"x\tM\tF\t/a", "time"),
            (b"1.0\tM\tF\t/a", "time"),
            (b"1.000000000\tX\tF\t/a", "change"),
            (b"1.000000000\tM\tZ\t/a", "type"),
            (b"1.000000000\tM\tF", "path"),
            (b"1.000000000\tM\tF\t/a\\09", "path"),
            (b"1.000000000\tM\tF\t/a\\0400", "path"),
            (b"1.000000000\tR\tF\t/a", "new path"),
            (b"1.000000000\tM\tF\t/a\t(x)", "link count"),
            (b"1.000000000\t+\tF\t/a\t(+1)\tz", "end"),
        ];
        for (line, field) in cases {
            let e = parse_line(line).unwrap_err();
            assert_eq!(e.field, *field, "{}: {e}", String::from_utf8_lossy(line));
        }
        // A long field is shown cut.
        let long = [&b"1.000000000\t"[..], &[b'M'; 5000], b"\tF\t/a"].concat();
        let e = parse_line(&long).unwrap_err();
        assert_eq!(e.field, "change");
        assert!(e.message.len() < 200 && e.message.ends_with("and 4900 more bytes"), "{e}");
    }

    /// Lines up to `MAX_LINE` bytes come back whole; a longer one is counted, not kept, and the
    /// next line is read as usual.
    #[test]
    fn lines_are_bounded() {
        let at_bound = vec![b'a'; MAX_LINE];
        let over = vec![b'b'; MAX_LINE + 1];
        let huge = vec![b'c'; 1 << 20];
        let mut input = Vec::new();
        for l in [&b"first"[..], &at_bound, &over, &huge, b"", b"last"] {
            input.extend_from_slice(l);
            input.push(b'\n');
        }
        input.extend_from_slice(b"no newline");
        for capacity in [3, 4096, 1 << 16, 4 << 20] {
            let mut r = io::BufReader::with_capacity(capacity, &input[..]);
            let mut buf = Vec::new();
            let mut got = Vec::new();
            let mut most = 0;
            loop {
                let step = read_line(&mut r, &mut buf).unwrap();
                most = most.max(buf.capacity());
                match step {
                    ReadLine::End => break,
                    ReadLine::Line => got.push(Ok(buf.clone())),
                    ReadLine::TooLong { len } => got.push(Err(len)),
                }
            }
            assert_eq!(
                got,
                vec![
                    Ok(b"first".to_vec()),
                    Ok(at_bound.clone()),
                    Err(MAX_LINE as u64 + 1),
                    Err(1 << 20),
                    Ok(vec![]),
                    Ok(b"last".to_vec()),
                    Ok(b"no newline".to_vec())
                ],
                "reader buffer of {capacity} bytes"
            );
            assert!(most <= 2 * (MAX_LINE + 1), "the line buffer grew to {most} bytes");
        }
        // A too-long last line without a newline.
        let mut r = io::BufReader::new(&huge[..]);
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut r, &mut buf).unwrap(), ReadLine::TooLong { len: 1 << 20 });
        assert_eq!(read_line(&mut r, &mut buf).unwrap(), ReadLine::End);
    }

    /// The longest line zfs can print fits: a rename of two 8192-byte paths of bytes that are all
    /// escaped, with the widest time and a link field.
    #[test]
    fn the_longest_zfs_line_fits() {
        let path: Vec<u8> = std::iter::once(b'/').chain(std::iter::repeat_n(0xffu8, 8191)).collect();
        let line = DiffLine {
            seconds: -999_999_999_999_999_999,
            nanos: 999_999_999,
            change: Change::Renamed,
            kind: Kind::File,
            path: path.clone(),
            new_path: Some(path),
            link_delta: None,
        };
        let mut text = format_line(&line);
        text.extend_from_slice(b"\t(+999999999999999999)");
        assert!(text.len() < MAX_LINE, "{}", text.len());
        text.push(b'\n');
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut &text[..], &mut buf).unwrap(), ReadLine::Line);
        assert_eq!(parse_line(&buf).unwrap_err().field, "end", "read whole, up to its extra field");
    }

    #[test]
    fn argv() {
        assert_eq!(diff_command("tank/a@1", None).display(), "zfs diff -H -F -t tank/a@1");
        assert_eq!(diff_command("tank/a@1", Some("@2")).display(), "zfs diff -H -F -t tank/a@1 @2");
    }

    fn arb_line() -> impl Strategy<Value = DiffLine> {
        let path = proptest::collection::vec(any::<u8>(), 1..40).prop_map(|mut p| {
            p.retain(|&b| b != 0);
            let mut v = b"/tank/x/".to_vec();
            v.extend(p);
            v
        });
        (
            -10_000_000_000i64..10_000_000_000,
            0u32..1_000_000_000,
            0usize..4,
            0usize..10,
            path.clone(),
            path,
            proptest::option::of(-3i64..4),
        )
            .prop_map(|(seconds, nanos, c, k, p, n, d)| {
                let change = Change::ALL[c];
                DiffLine {
                    seconds,
                    nanos,
                    change,
                    kind: Kind::ALL[k],
                    path: p,
                    new_path: (change == Change::Renamed).then_some(n),
                    link_delta: if change == Change::Modified { d.filter(|&d| d != 0) } else { None },
                }
            })
    }

    proptest! {
        #[test]
        fn any_bytes_survive_escape_and_unescape(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let e = escape(&bytes);
            prop_assert!(e.iter().all(|&b| b > b' ' && b < 0x7f));
            prop_assert_eq!(unescape(&e).unwrap(), bytes);
        }

        #[test]
        fn any_line_survives_format_and_parse(line in arb_line()) {
            let text = format_line(&line);
            prop_assert!(!text.contains(&b'\n'));
            prop_assert_eq!(parse_line(&text).unwrap(), line);
        }
    }

    /// Records spell a change and a kind as `as_str` does (and as `--change`/`--kind` take them).
    #[test]
    fn serde_spelling_is_as_str() {
        for c in Change::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for k in Kind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }
}
