//! `zfs list -H -p` / `zfs get -H -p` rows: tab-separated fields, one row per line.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unexpected zfs output, line {line}: {message}: {text:?}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
    pub text: String,
}

/// Splits `-H` output into rows of exactly `columns` fields (tabs only: names may hold spaces).
pub fn rows(output: &[u8], columns: usize) -> Result<Vec<Vec<&str>>, ParseError> {
    let text = std::str::from_utf8(output).map_err(|e| ParseError {
        line: 0,
        message: format!("not UTF-8 ({e})"),
        text: String::from_utf8_lossy(output).chars().take(80).collect(),
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() != columns {
            return Err(ParseError {
                line: i + 1,
                message: format!("expected {columns} tab-separated fields, found {}", fields.len()),
                text: line.to_string(),
            });
        }
        out.push(fields);
    }
    Ok(out)
}

/// A `-p` number; `-` (not applicable) and `none` are `None`.
pub fn opt_u64(field: &str) -> Result<Option<u64>, String> {
    match field {
        "-" | "none" | "" => Ok(None),
        s => s.parse().map(Some).map_err(|_| format!("expected a number, found {s:?}")),
    }
}

/// A `-p` number that must be there.
pub fn req_u64(field: &str, what: &str) -> Result<u64, String> {
    opt_u64(field)?.ok_or_else(|| format!("{what}: no value"))
}

/// A property value; `-` (unset) is `None`.
pub fn opt_str(field: &str) -> Option<&str> {
    if field == "-" { None } else { Some(field) }
}
