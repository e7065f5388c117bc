//! Reading records: NDJSON, one JSON object per line. A bad line is an error that names its
//! source and line number; blank lines are skipped; unknown fields are ignored by the record types.

use std::io::{BufRead, IsTerminal};

use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{source_name}: line {line}: {message}")]
    Parse { source_name: String, line: usize, message: String },
    #[error("{source_name}: cannot read: {error}")]
    Io { source_name: String, error: std::io::Error },
}

/// An iterator of records read from `reader`, each `Err` naming `source_name` and the line.
pub fn records<T: DeserializeOwned, R: BufRead>(reader: R, source_name: &str) -> Records<T, R> {
    Records { reader, source_name: source_name.to_string(), line: 0, buf: String::new(), _t: std::marker::PhantomData }
}

pub struct Records<T, R> {
    reader: R,
    source_name: String,
    line: usize,
    buf: String,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned, R: BufRead> Iterator for Records<T, R> {
    type Item = Result<T, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            self.line += 1;
            match self.reader.read_line(&mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(error) => {
                    return Some(Err(InputError::Io { source_name: self.source_name.clone(), error }));
                }
            }
            let text = self.buf.trim();
            if text.is_empty() {
                continue;
            }
            return Some(serde_json::from_str(text).map_err(|e| InputError::Parse {
                source_name: self.source_name.clone(),
                line: self.line,
                message: e.to_string(),
            }));
        }
    }
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

/// Reads every record of a file, naming the file in errors.
pub fn file_records<T: DeserializeOwned>(path: &std::path::Path) -> anyhow::Result<Vec<T>> {
    let f = std::fs::File::open(path).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    records(std::io::BufReader::new(f), &path.display().to_string()).collect::<Result<Vec<T>, _>>().map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct R {
        a: u32,
    }

    #[test]
    fn names_the_bad_line() {
        let input = "{\"a\":1}\n\n{\"a\":2,\"extra\":true}\n{\"a\":\n";
        let got: Vec<_> = records::<R, _>(input.as_bytes(), "stdin").collect();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].as_ref().unwrap(), &R { a: 1 });
        assert_eq!(got[1].as_ref().unwrap(), &R { a: 2 });
        let err = got[2].as_ref().unwrap_err().to_string();
        assert!(err.starts_with("stdin: line 4: "), "{err}");
    }
}
