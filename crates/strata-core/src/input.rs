//! Reading records: NDJSON, one JSON object per line. A bad line is an error that names its
//! source and line number (once: the JSON parser's own "at line 1 column N" becomes the column)
//! and shows at most a few hundred bytes of what it read; blank lines are skipped; unknown fields
//! are ignored by the record types.

use std::io::{BufRead, IsTerminal};

use serde::de::DeserializeOwned;

/// How much of a message that echoes input an error shows.
pub const SHOWN: usize = 240;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{source_name}: line {line}{}: {message}", column.map(|c| format!(", column {c}")).unwrap_or_default())]
    Parse { source_name: String, line: usize, column: Option<usize>, message: String },
    #[error("{source_name}: line {line}: cannot read: {error}")]
    Io { source_name: String, line: usize, error: std::io::Error },
}

/// An iterator of records read from `reader`, each `Err` naming `source_name` and the line.
pub fn records<T: DeserializeOwned, R: BufRead>(reader: R, source_name: &str) -> Records<T, R> {
    Records { reader, source_name: source_name.to_string(), line: 0, buf: Vec::new(), _t: std::marker::PhantomData }
}

pub struct Records<T, R> {
    reader: R,
    source_name: String,
    line: usize,
    buf: Vec<u8>,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T, R> Records<T, R> {
    /// The line number of the record (or error) returned last: for errors found later, about a
    /// record that did parse, so they name the same line as the reader would.
    pub fn line(&self) -> usize {
        self.line
    }
}

impl<T: DeserializeOwned, R: BufRead> Iterator for Records<T, R> {
    type Item = Result<T, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            self.line += 1;
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(error) => {
                    return Some(Err(InputError::Io { source_name: self.source_name.clone(), line: self.line, error }));
                }
            }
            match parse_line(&self.buf, &self.source_name, self.line) {
                None => continue,
                Some(r) => return Some(r),
            }
        }
    }
}

impl InputError {
    /// An error about what line `line` of `source_name` holds (a value the record type took but
    /// the reader refuses).
    pub fn at(source_name: &str, line: usize, message: impl Into<String>) -> InputError {
        InputError::Parse { source_name: source_name.to_string(), line, column: None, message: message.into() }
    }
}

/// Parses one NDJSON line (with or without its newline) as a `T`: `None` for a blank line, else
/// the record or an error that names `source_name`, `line` and the column, and shows at most
/// [`SHOWN`] bytes of what it read. [`records`] and the readers that split their input in blocks
/// to parse them in parallel share it, so every reader names a bad line the same way.
pub fn parse_line<'a, T: serde::Deserialize<'a>>(
    raw: &'a [u8],
    source_name: &str,
    line: usize,
) -> Option<Result<T, InputError>> {
    let bad = |column: Option<usize>, message: String| InputError::Parse {
        source_name: source_name.to_string(),
        line,
        column,
        message,
    };
    let text = match std::str::from_utf8(raw) {
        Ok(t) => t.trim(),
        Err(e) => {
            let at = e.valid_up_to();
            return Some(Err(bad(Some(at + 1), format!("not UTF-8: byte 0x{:02x} (records are UTF-8 JSON)", raw[at]))));
        }
    };
    if text.is_empty() {
        return None;
    }
    Some(serde_json::from_str(text).map_err(|e| {
        let leading = raw.len() - raw.trim_ascii_start().len();
        let column = (e.column() > 0).then(|| e.column() + leading);
        bad(column, shorten(&json_message(&e), raw.len()))
    }))
}

/// serde_json's message without its own " at line L column C" (the line is always 1 here: the
/// reader's line is the one to name).
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&suffix) {
        Some(m) => m.to_string(),
        None => full,
    }
}

/// A message that may echo a huge value from the line, cut to [`SHOWN`] bytes with a note of
/// the line's real length.
fn shorten(message: &str, line_len: usize) -> String {
    if message.len() <= SHOWN {
        return message.to_string();
    }
    let mut cut = SHOWN;
    while !message.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}... (cut; the line is {line_len} bytes long)", &message[..cut])
}

/// Records from standard input. Refuses a terminal, where the user most likely forgot the pipe.
pub fn stdin_records<T: DeserializeOwned>() -> anyhow::Result<Records<T, std::io::StdinLock<'static>>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        anyhow::bail!(
            "expected NDJSON records on standard input (pipe them in, e.g. `strata snapshot list -r tank | ...`)"
        );
    }
    Ok(records(stdin.lock(), "stdin"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct R {
        a: u32,
    }

    fn errors(input: &[u8]) -> Vec<String> {
        records::<R, _>(input, "stdin").filter_map(|r| r.err()).map(|e| e.to_string()).collect()
    }

    #[test]
    fn names_the_bad_line() {
        let input = "{\"a\":1}\n\n{\"a\":2,\"extra\":true}\n{\"a\":\n";
        let got: Vec<_> = records::<R, _>(input.as_bytes(), "stdin").collect();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].as_ref().unwrap(), &R { a: 1 });
        assert_eq!(got[1].as_ref().unwrap(), &R { a: 2 });
        let err = got[2].as_ref().unwrap_err().to_string();
        assert!(err.starts_with("stdin: line 4"), "{err}");
    }

    #[test]
    fn an_error_names_one_line_and_its_column() {
        assert_eq!(errors(b"{\"a\":1}\n  {\"a\": oops}\n"), ["stdin: line 2, column 9: expected value"]);
        assert_eq!(
            errors(b"{\"a\":1}\n{\"a\":\"x\"}\n"),
            ["stdin: line 2, column 8: invalid type: string \"x\", expected u32"]
        );
        assert_eq!(errors(b"\n\n{\"a\":\n"), ["stdin: line 3, column 5: EOF while parsing a value"]);
        for e in errors(b"{\"b\":1}\n[1]\n{\"a\":1}{\"a\":2}\n") {
            assert_eq!(e.matches("line").count(), 1, "{e}");
        }
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        let got: Vec<_> = records::<R, _>(&b"{\"a\":1}\n{\"a\":\"\xff\"}\n{\"a\":3}\n"[..], "stdin").collect();
        assert_eq!(got[0].as_ref().unwrap(), &R { a: 1 });
        assert_eq!(
            got[1].as_ref().unwrap_err().to_string(),
            "stdin: line 2, column 7: not UTF-8: byte 0xff (records are UTF-8 JSON)"
        );
        assert_eq!(got[2].as_ref().unwrap(), &R { a: 3 }, "the lines after it are read as usual");
    }

    #[test]
    fn a_huge_bad_line_is_cut_with_its_length() {
        let mut line = b"{\"a\":\"".to_vec();
        line.extend(std::iter::repeat_n(b'x', 1 << 20));
        line.extend(b"\"}\n");
        let e = errors(&line);
        assert_eq!(e.len(), 1);
        assert!(e[0].len() < SHOWN + 100, "{} bytes: {}", e[0].len(), &e[0][..300]);
        assert!(e[0].starts_with("stdin: line 1, column 1048583: invalid type: string \"xxx"), "{}", &e[0][..100]);
        assert!(e[0].ends_with(&format!("... (cut; the line is {} bytes long)", line.len())), "{}", e[0]);
        // A multi-byte character at the cut stays whole.
        let mut line = b"{\"a\":\"".to_vec();
        for _ in 0..(1 << 10) {
            line.extend("ü".as_bytes());
        }
        line.extend(b"\"}\n");
        let e = errors(&line);
        assert!(e[0].contains("üü...") && !e[0].contains('\u{fffd}'), "{}", e[0]);
    }
}
