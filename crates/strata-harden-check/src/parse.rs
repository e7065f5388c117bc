//! The unit file syntax as systemd 252 reads it: lines end at `\n`, `\r\n`, `\r` or NUL; comment
//! lines start with `#` or `;`; a trailing backslash continues a line (comment lines inside a
//! continuation are skipped, an empty line ends it); `[Section]` headers; `Key=Value` assignments.

use std::fmt;

/// systemd's `LONG_LINE_MAX`: a longer line (or continued line) makes the whole file fail to load.
pub const LONG_LINE_MAX: usize = 1024 * 1024;

/// A unit file (or drop-in, or profile) larger than this is refused without being parsed.
/// systemd sets no such limit, but no real unit file comes near it, and it bounds what one
/// crafted file costs: time and memory grow linearly with the size, and memory by about 150 bytes
/// per assignment kept (a file of 4 MiB of `A=` lines costs about 200 MB).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// One `Key=Value` line, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub section: String,
    pub key: String,
    pub value: String,
    /// 1-based line number where the (possibly continued) assignment ends.
    pub line: usize,
}

/// A parsed file: its assignments in the known sections and the warnings systemd would log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub assignments: Vec<Assignment>,
    pub warnings: Vec<String>,
}

/// Why a file cannot be loaded at all (systemd refuses the unit too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("line {line}: line longer than {LONG_LINE_MAX} bytes")]
    LineTooLong { line: usize },
    #[error("line {line}: continued line longer than {LONG_LINE_MAX} bytes")]
    ContinuationTooLong { line: usize },
    #[error("line {line}: not valid UTF-8")]
    InvalidUtf8 { line: usize },
    #[error("line {line}: invalid section header {text:?}")]
    BadSectionHeader { line: usize, text: String },
    #[error("line {line}: bad characters in section header {text:?}")]
    UnsafeSectionHeader { line: usize, text: String },
}

impl ParseError {
    /// The message without any text taken from the file.
    pub fn without_content(&self) -> String {
        match self {
            ParseError::BadSectionHeader { line, .. } | ParseError::UnsafeSectionHeader { line, .. } => {
                format!("line {line}: invalid section header")
            }
            other => other.to_string(),
        }
    }

    pub fn line(&self) -> usize {
        match self {
            ParseError::LineTooLong { line }
            | ParseError::ContinuationTooLong { line }
            | ParseError::InvalidUtf8 { line }
            | ParseError::BadSectionHeader { line, .. }
            | ParseError::UnsafeSectionHeader { line, .. } => *line,
        }
    }
}

/// At most this many warnings are kept per file; the rest are counted in one last warning.
pub const MAX_WARNINGS: usize = 100;

struct Warn<'a> {
    list: &'a mut Vec<String>,
    dropped: &'a mut usize,
}
impl Warn<'_> {
    fn at(&mut self, line: usize, msg: impl fmt::Display) {
        if self.list.len() < MAX_WARNINGS {
            self.list.push(format!("line {line}: {msg}"));
        } else {
            *self.dropped += 1;
        }
    }
}

/// Splits raw bytes into lines the way systemd's `read_line()` does, one line at a time (a file
/// of a million NUL bytes is a million empty lines, none of them stored).
struct Lines<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.data.get(self.pos..).filter(|r| !r.is_empty())?;
        match rest.iter().position(|&c| matches!(c, b'\n' | b'\0' | b'\r')) {
            None => {
                self.pos = self.data.len();
                Some(rest)
            }
            Some(i) => {
                let mut end = i + 1;
                if rest[i] == b'\r' && rest.get(end) == Some(&b'\n') {
                    end += 1;
                }
                self.pos += end;
                Some(&rest[..i])
            }
        }
    }
}

const WHITESPACE: &[u8] = b" \t\n\r";

fn trim(b: &[u8]) -> &[u8] {
    let s = b.iter().position(|c| !WHITESPACE.contains(c)).unwrap_or(b.len());
    let e = b.iter().rposition(|c| !WHITESPACE.contains(c)).map_or(s, |e| e + 1);
    &b[s..e.max(s)]
}

/// True when `l` ends with a backslash that is not itself escaped.
fn ends_escaped(l: &[u8]) -> bool {
    #[cfg(test)]
    SCANNED.with(|s| s.set(s.get() + l.len()));
    let mut escaped = false;
    for &c in l {
        if escaped {
            escaped = false;
        } else if c == b'\\' {
            escaped = true;
        }
    }
    escaped
}

/// The parser's state between lines.
struct State<'a> {
    sections: &'a [&'a str],
    section: Option<String>,
    section_ignored: bool,
    parsed: Parsed,
    dropped: usize,
}

/// Parses a unit file. `sections` are the sections whose assignments are kept (e.g. `Unit`,
/// `Service`, `Install`); other sections are skipped with a warning (`X-` ones silently).
/// The work is linear in the size of `data`.
pub fn parse(data: &[u8], sections: &[&str]) -> Result<Parsed, ParseError> {
    let mut st = State { sections, section: None, section_ignored: false, parsed: Parsed::default(), dropped: 0 };
    let mut continuation: Option<Vec<u8>> = None;
    let mut count = 0;
    for (idx, raw) in (Lines { data, pos: 0 }).enumerate() {
        let line = idx + 1;
        count = line;
        if raw.len() > LONG_LINE_MAX {
            return Err(ParseError::LineTooLong { line });
        }
        let mut l: &[u8] = raw;
        if idx == 0 {
            l = l.strip_prefix(b"\xef\xbb\xbf").unwrap_or(l);
        }
        let first = l.iter().find(|c| !WHITESPACE.contains(c));
        if matches!(first, Some(b'#' | b';')) {
            continue;
        }
        // systemd scans the whole continued line again at each piece; the part before this
        // piece ends in the blank that replaced its backslash, so it ends unescaped and only the
        // new piece needs scanning.
        let escaped = ends_escaped(l);
        let mut buf: Vec<u8> = match continuation.take() {
            Some(mut c) => {
                if c.len() + l.len() > LONG_LINE_MAX {
                    return Err(ParseError::ContinuationTooLong { line });
                }
                c.extend_from_slice(l);
                c
            }
            None => l.to_vec(),
        };
        if escaped {
            if let Some(last) = buf.last_mut() {
                *last = b' ';
            }
            continuation = Some(buf);
            continue;
        }
        parse_line(&mut buf, line, &mut st)?;
    }
    if let Some(mut buf) = continuation {
        Warn { list: &mut st.parsed.warnings, dropped: &mut st.dropped }
            .at(count, "the file ends inside a continued line");
        parse_line(&mut buf, count, &mut st)?;
    }
    if st.dropped > 0 {
        st.parsed.warnings.push(format!("{} more lines systemd would ignore are not listed", st.dropped));
    }
    Ok(st.parsed)
}

fn parse_line(buf: &mut [u8], line: usize, st: &mut State<'_>) -> Result<(), ParseError> {
    let l = trim(buf);
    if l.is_empty() {
        return Ok(());
    }
    let Ok(l) = std::str::from_utf8(l) else {
        return Err(ParseError::InvalidUtf8 { line });
    };
    let mut warn = Warn { list: &mut st.parsed.warnings, dropped: &mut st.dropped };
    if let Some(rest) = l.strip_prefix('[') {
        let Some(name) = rest.strip_suffix(']') else {
            return Err(ParseError::BadSectionHeader { line, text: l.to_string() });
        };
        if name.chars().any(|c| c < ' ' || c == '\x7f' || c == '"' || c == '\'' || c == '\\') {
            return Err(ParseError::UnsafeSectionHeader { line, text: l.to_string() });
        }
        if st.sections.contains(&name) {
            st.section = Some(name.to_string());
            st.section_ignored = false;
        } else {
            if !name.starts_with("X-") {
                warn.at(line, format!("unknown section '{name}', ignoring"));
            }
            st.section = None;
            st.section_ignored = true;
        }
        return Ok(());
    }
    let Some(sec) = st.section.as_ref() else {
        if !st.section_ignored {
            warn.at(line, "assignment outside of section, ignoring");
        }
        return Ok(());
    };
    let Some((k, v)) = l.split_once('=') else {
        warn.at(line, "missing '=', ignoring line");
        return Ok(());
    };
    st.parsed.assignments.push(Assignment {
        section: sec.clone(),
        key: k.trim_matches([' ', '\t', '\n', '\r']).to_string(),
        value: v.trim_matches([' ', '\t', '\n', '\r']).to_string(),
        line,
    });
    Ok(())
}

#[cfg(test)]
thread_local! {
    /// Bytes examined while looking for continuations: the parser's work on continued lines.
    static SCANNED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A long continued line is scanned once: the work grows with its length, not its square.
    #[test]
    fn continued_lines_are_scanned_once() {
        for (piece, n) in [(&b"x\\\n"[..], 20_000), (b"\\\n", 30_000), (b"A=1 \\\n# c\n", 10_000)] {
            let mut data = b"[Service]\nA=".to_vec();
            for _ in 0..n {
                data.extend_from_slice(piece);
            }
            data.extend_from_slice(b"end\n");
            SCANNED.with(|s| s.set(0));
            let p = parse(&data, S).unwrap();
            assert_eq!(p.assignments.len(), 1);
            let scanned = SCANNED.with(|s| s.get());
            assert!(scanned <= 2 * data.len(), "{scanned} bytes examined for {} bytes of input", data.len());
        }
    }

    const S: &[&str] = &["Unit", "Service", "Install"];

    fn kv(p: &Parsed) -> Vec<(String, String, usize)> {
        p.assignments.iter().map(|a| (a.key.clone(), a.value.clone(), a.line)).collect()
    }

    /// Scanning only the new piece decides continuations exactly as systemd's rescan of the
    /// whole continued line does.
    #[test]
    fn piecewise_scan_agrees_with_a_full_rescan() {
        let pieces: &[&[u8]] = &[b"\\", b"a", b" ", b"\\\\", b"x\\"];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..5000 {
            let mut buf: Vec<u8> = Vec::new();
            for _ in 0..8 {
                let mut l = Vec::new();
                for _ in 0..(state % 5) {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    l.extend_from_slice(pieces[(state >> 9) as usize % pieces.len()]);
                }
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                buf.extend_from_slice(&l);
                let full = {
                    let mut e = false;
                    for &c in &buf {
                        e = if e { false } else { c == b'\\' };
                    }
                    e
                };
                assert_eq!(ends_escaped(&l), full, "{:?} then {:?}", String::from_utf8_lossy(&buf), l);
                if !full {
                    break;
                }
                if let Some(last) = buf.last_mut() {
                    *last = b' ';
                }
            }
        }
    }

    #[test]
    fn warnings_are_bounded() {
        let mut data = b"[Service]\n".to_vec();
        for _ in 0..(MAX_WARNINGS + 50) {
            data.extend_from_slice(b"no equals sign\n");
        }
        let p = parse(&data, S).unwrap();
        assert_eq!(p.warnings.len(), MAX_WARNINGS + 1);
        assert_eq!(p.warnings[0], "line 2: missing '=', ignoring line");
        assert_eq!(p.warnings[MAX_WARNINGS], "50 more lines systemd would ignore are not listed");
    }

    #[test]
    fn continuation_comments_and_sections() {
        let p = parse(b"[Service]\nA=1 \\\n# c\n 2\n[Foo]\nB=2\n[X-Bar]\nC=3\n[Service]\nD = 4 \n", S).unwrap();
        assert_eq!(kv(&p), vec![("A".into(), "1   2".into(), 4), ("D".into(), "4".into(), 10)]);
        assert_eq!(p.warnings, vec!["line 5: unknown section 'Foo', ignoring"]);
    }

    #[test]
    fn empty_line_ends_continuation_and_eof_flushes_it() {
        let p = parse(b"[Service]\nPrivate\\\n\nTmp=yes\nX=1\\", S).unwrap();
        assert_eq!(kv(&p), vec![("Tmp".into(), "yes".into(), 4), ("X".into(), "1".into(), 5)]);
        assert_eq!(
            p.warnings,
            vec!["line 3: missing '=', ignoring line", "line 5: the file ends inside a continued line"]
        );
    }

    #[test]
    fn nul_and_cr_end_lines() {
        let p = parse(b"[Service]\r\nA=1\0B=2\rC=3", S).unwrap();
        assert_eq!(kv(&p), vec![("A".into(), "1".into(), 2), ("B".into(), "2".into(), 3), ("C".into(), "3".into(), 4)]);
    }

    #[test]
    fn fatal_errors() {
        assert_eq!(parse(b"[Service\n", S), Err(ParseError::BadSectionHeader { line: 1, text: "[Service".into() }));
        assert_eq!(parse(b"[Service]\nA=\xff\n", S), Err(ParseError::InvalidUtf8 { line: 2 }));
        let mut big = b"[Service]\nA=".to_vec();
        big.extend(std::iter::repeat_n(b'x', LONG_LINE_MAX));
        assert_eq!(parse(&big, S), Err(ParseError::LineTooLong { line: 2 }));
    }

    /// Random bytes mixed with unit-file fragments never panic the parser or the settings builder.
    #[test]
    fn random_input_never_panics() {
        let pieces: &[&[u8]] = &[
            b"[Service]",
            b"[Unit]",
            b"\n",
            b"\\",
            b"=",
            b"#",
            b";",
            b"\r",
            b"\0",
            b"\xff",
            b"SystemCallFilter=~@",
            b"User=%",
            b"RestrictAddressFamilies=",
            b" ",
            b"yes",
            b"@privileged",
            b"\xef\xbb\xbf",
            b"[",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let mut data = Vec::new();
            for _ in 0..(next() % 40) {
                let r = next();
                if r % 3 == 0 {
                    data.push((r >> 8) as u8);
                } else {
                    data.extend_from_slice(pieces[(r >> 8) as usize % pieces.len()]);
                }
            }
            if let Ok(p) = parse(&data, S) {
                let names = crate::context::Names { name: "f@x.service", fragment: "/f@.service" };
                let info =
                    crate::context::build(&[("/f@.service".into(), p.assignments)], &names, crate::load::Scope::System);
                assert!(crate::assess::exposure_tenths(&crate::assess::assess(&info, &Default::default())) <= 100);
            }
        }
    }
}
