//! The hosts chosen before, most recent last, one alias a line (its exact bytes), under the XDG
//! state directory.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Lines kept when the file is rewritten.
const KEEP: usize = 500;

/// `$XDG_STATE_HOME/strata/sshtui-history` (or `~/.local/state/...`).
pub fn default_path() -> Option<PathBuf> {
    dirs::state_dir().map(|d| d.join("strata").join("sshtui-history"))
}

fn trim(line: &[u8]) -> &[u8] {
    line.trim_ascii()
}

/// The aliases, most recent first, each once. A missing or unreadable file is an empty history.
pub fn recent(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap_or_default();
    let mut out: Vec<Vec<u8>> = Vec::new();
    for line in bytes.split(|&b| b == b'\n').rev() {
        let l = trim(line);
        if !l.is_empty() && !out.iter().any(|o| o == l) {
            out.push(l.to_vec());
        }
    }
    out
}

/// Records a choice. Rewrites the file (atomically) when it grew long.
pub fn record(path: &Path, alias: &[u8]) -> std::io::Result<()> {
    if alias.contains(&b'\n') || alias.contains(&b'\r') {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let existing = std::fs::read(path).unwrap_or_default();
    if existing.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count() >= KEEP * 2 {
        let mut keep: Vec<Vec<u8>> = recent(path).into_iter().take(KEEP - 1).collect();
        keep.reverse();
        keep.push(alias.to_vec());
        let text: Vec<u8> = keep.iter().flat_map(|a| a.iter().copied().chain([b'\n'])).collect();
        return strata_core::fs::write_atomic(path, &text, 0o600).map_err(std::io::Error::other);
    }
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    f.write_all(&[alias, b"\n"].concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_recent_first_once() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s/h");
        for a in [&b"a"[..], b"caf\xe9", b"a", b"c"] {
            record(&p, a).unwrap();
        }
        assert_eq!(recent(&p), [b"c".to_vec(), b"a".to_vec(), b"caf\xe9".to_vec()]);
    }
}
