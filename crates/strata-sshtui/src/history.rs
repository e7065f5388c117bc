//! The hosts chosen before, most recent last, one alias a line, under the XDG state directory.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Lines kept when the file is rewritten.
const KEEP: usize = 500;

/// `$XDG_STATE_HOME/strata/sshtui-history` (or `~/.local/state/...`).
pub fn default_path() -> Option<PathBuf> {
    dirs::state_dir().map(|d| d.join("strata").join("sshtui-history"))
}

/// The aliases, most recent first, each once. A missing or unreadable file is an empty history.
pub fn recent(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for line in text.lines().rev() {
        let l = line.trim();
        if !l.is_empty() && !out.iter().any(|o| o == l) {
            out.push(l.to_string());
        }
    }
    out
}

/// Records a choice. Rewrites the file (atomically) when it grew long.
pub fn record(path: &Path, alias: &str) -> std::io::Result<()> {
    if alias.contains(['\n', '\r']) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    if existing.lines().count() >= KEEP * 2 {
        let mut keep: Vec<String> = recent(path).into_iter().take(KEEP - 1).collect();
        keep.reverse();
        keep.push(alias.to_string());
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, keep.join("\n") + "\n")?;
        return std::fs::rename(tmp, path);
    }
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    writeln!(f, "{alias}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_recent_first_once() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s/h");
        for a in ["a", "b", "a", "c"] {
            record(&p, a).unwrap();
        }
        assert_eq!(recent(&p), ["c", "a", "b"]);
    }
}
