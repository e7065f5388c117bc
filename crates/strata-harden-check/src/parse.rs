//! The unit file syntax as systemd 252 reads it: lines end at `\n`, `\r\n`, `\r` or NUL; comment
//! lines start with `#` or `;`; a trailing backslash continues a line (comment lines inside a
//! continuation are skipped, an empty line ends it); `[Section]` headers; `Key=Value` assignments.

use std::fmt;

/// systemd's `LONG_LINE_MAX`: a longer line (or continued line) makes the whole file fail to load.
pub const LONG_LINE_MAX: usize = 1024 * 1024;

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

struct Warn<'a>(&'a mut Vec<String>);
impl Warn<'_> {
    fn at(&mut self, line: usize, msg: impl fmt::Display) {
        self.0.push(format!("line {line}: {msg}"));
    }
}

/// Splits raw bytes into lines the way systemd's `read_line()` does.
fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'\n' | b'\0' => {
                out.push(&data[start..i]);
                i += 1;
                start = i;
            }
            b'\r' => {
                out.push(&data[start..i]);
                i += 1;
                if data.get(i) == Some(&b'\n') {
                    i += 1;
                }
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < data.len() {
        out.push(&data[start..]);
    }
    out
}

const WHITESPACE: &[u8] = b" \t\n\r";

fn trim(b: &[u8]) -> &[u8] {
    let s = b.iter().position(|c| !WHITESPACE.contains(c)).unwrap_or(b.len());
    let e = b.iter().rposition(|c| !WHITESPACE.contains(c)).map_or(s, |e| e + 1);
    &b[s..e.max(s)]
}

/// Parses a unit file. `sections` are the sections whose assignments are kept (e.g. `Unit`,
/// `Service`, `Install`); other sections are skipped with a warning (`X-` ones silently).
pub fn parse(data: &[u8], sections: &[&str]) -> Result<Parsed, ParseError> {
    let mut parsed = Parsed::default();
    let mut section: Option<String> = None;
    let mut section_ignored = false;
    let mut continuation: Option<Vec<u8>> = None;
    let all = lines(data);
    for (idx, raw) in all.iter().enumerate() {
        let line = idx + 1;
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
        let mut escaped = false;
        for &c in &buf {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            }
        }
        if escaped {
            if let Some(last) = buf.last_mut() {
                *last = b' ';
            }
            continuation = Some(buf);
            continue;
        }
        parse_line(&mut buf, line, sections, &mut section, &mut section_ignored, &mut parsed)?;
    }
    if let Some(mut buf) = continuation {
        parsed.warnings.push(format!("line {}: the file ends inside a continued line", all.len()));
        parse_line(&mut buf, all.len(), sections, &mut section, &mut section_ignored, &mut parsed)?;
    }
    Ok(parsed)
}

fn parse_line(
    buf: &mut [u8],
    line: usize,
    sections: &[&str],
    section: &mut Option<String>,
    section_ignored: &mut bool,
    parsed: &mut Parsed,
) -> Result<(), ParseError> {
    let l = trim(buf);
    if l.is_empty() {
        return Ok(());
    }
    let Ok(l) = std::str::from_utf8(l) else {
        return Err(ParseError::InvalidUtf8 { line });
    };
    let mut warn = Warn(&mut parsed.warnings);
    if let Some(rest) = l.strip_prefix('[') {
        let Some(name) = rest.strip_suffix(']') else {
            return Err(ParseError::BadSectionHeader { line, text: l.to_string() });
        };
        if name.chars().any(|c| c < ' ' || c == '\x7f' || c == '"' || c == '\'' || c == '\\') {
            return Err(ParseError::UnsafeSectionHeader { line, text: l.to_string() });
        }
        if sections.contains(&name) {
            *section = Some(name.to_string());
            *section_ignored = false;
        } else {
            if !name.starts_with("X-") {
                warn.at(line, format!("unknown section '{name}', ignoring"));
            }
            *section = None;
            *section_ignored = true;
        }
        return Ok(());
    }
    let Some(sec) = section.as_ref() else {
        if !*section_ignored {
            warn.at(line, "assignment outside of section, ignoring");
        }
        return Ok(());
    };
    let Some((k, v)) = l.split_once('=') else {
        warn.at(line, "missing '=', ignoring line");
        return Ok(());
    };
    parsed.assignments.push(Assignment {
        section: sec.clone(),
        key: k.trim_matches([' ', '\t', '\n', '\r']).to_string(),
        value: v.trim_matches([' ', '\t', '\n', '\r']).to_string(),
        line,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &[&str] = &["Unit", "Service", "Install"];

    fn kv(p: &Parsed) -> Vec<(String, String, usize)> {
        p.assignments.iter().map(|a| (a.key.clone(), a.value.clone(), a.line)).collect()
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
                assert!(crate::assess::exposure_tenths(&crate::assess::assess(&info)) <= 100);
            }
        }
    }
}
