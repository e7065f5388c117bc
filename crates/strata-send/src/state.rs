//! What strata-send remembers of each target: its last successful send, one small JSON file per
//! source and target under `STATE/send/`, for `strata send check`. STATE is `STRATA_STATE_DIR`,
//! else systemd's `STATE_DIRECTORY` (a unit with `StateDirectory=strata`), else `/var/lib/strata`.
//!
//! The files are written atomically; one that cannot be read is reported by `check`, never
//! guessed at. A send that cannot record its success still succeeds (it says so on stderr).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::plan::Mode;
use crate::run::short_hash;

/// The default state directory.
pub const DEFAULT_DIR: &str = "/var/lib/strata";

/// A file larger than this is not a state record.
const MAX_LEN: u64 = 64 * 1024;

/// The last successful send from `source` to `target`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendState {
    pub r#type: String,
    /// `[host:]pool/ds`.
    pub source: String,
    /// `[host:]pool/ds`.
    pub target: String,
    /// The newest snapshot the target has since that send, `pool/ds@snap`.
    pub snapshot: String,
    /// The bookmark left on the source for the target (a local or remote name).
    pub bookmark: String,
    pub mode: Mode,
    pub bytes: u64,
    /// When the send finished, seconds since the epoch.
    pub finished_unix: i64,
}

/// The state directory, from the environment.
pub fn dir() -> PathBuf {
    let from = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = from("STRATA_STATE_DIR") {
        return PathBuf::from(d);
    }
    // systemd may list several directories, separated by ':'; strata's is the first.
    if let Some(d) = from("STATE_DIRECTORY") {
        let first = d.to_string_lossy().split(':').next().unwrap_or_default().to_string();
        if !first.is_empty() {
            return PathBuf::from(first);
        }
    }
    PathBuf::from(DEFAULT_DIR)
}

/// The file of one source and target under `dir`.
pub fn path(dir: &Path, source: &str, target: &str) -> PathBuf {
    dir.join("send").join(format!("{}-{}.json", short_hash(source), short_hash(target)))
}

/// Writes `s` under `dir`.
pub fn save(dir: &Path, s: &SendState) -> anyhow::Result<PathBuf> {
    use anyhow::Context;
    let p = path(dir, &s.source, &s.target);
    let sub = dir.join("send");
    std::fs::create_dir_all(&sub).with_context(|| format!("cannot create {}", sub.display()))?;
    let mut text = serde_json::to_vec(s)?;
    text.push(b'\n');
    strata_core::fs::write_atomic(&p, &text, 0o644).with_context(|| format!("cannot write {}", p.display()))?;
    Ok(p)
}

/// A file under the state directory that is not a record, and why.
pub type BadFile = (PathBuf, String);

/// Every record under `dir` (none when it does not exist yet), and the files that are not records.
pub fn load_all(dir: &Path) -> std::io::Result<(Vec<SendState>, Vec<BadFile>)> {
    let sub = dir.join("send");
    let entries = match std::fs::read_dir(&sub) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
        Err(e) => return Err(e),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for p in paths {
        match read_one(&p) {
            Ok(s) => ok.push(s),
            Err(e) => bad.push((p, e)),
        }
    }
    Ok((ok, bad))
}

fn read_one(p: &Path) -> Result<SendState, String> {
    use std::io::Read;
    let f = std::fs::File::open(p).map_err(|e| e.to_string())?;
    let meta = f.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() || meta.len() > MAX_LEN {
        return Err(format!("not a regular file of at most {MAX_LEN} bytes"));
    }
    let mut text = String::new();
    f.take(MAX_LEN).read_to_string(&mut text).map_err(|e| e.to_string())?;
    let s: SendState = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    if s.r#type != "send_state" {
        return Err(format!("type {:?} is not send_state", s.r#type));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(target: &str) -> SendState {
        SendState {
            r#type: "send_state".into(),
            source: "tank/a".into(),
            target: target.into(),
            snapshot: "tank/a@s2".into(),
            bookmark: "tank/a#strata-send-x".into(),
            mode: Mode::Incremental,
            bytes: 5,
            finished_unix: 1_700_000_000,
        }
    }

    #[test]
    fn saved_records_read_back_and_bad_files_are_named() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(load_all(d.path()).unwrap(), (vec![], vec![]));
        let p = save(d.path(), &state("backup/a")).unwrap();
        save(d.path(), &state("h:backup/a")).unwrap();
        // Saving again replaces the file of that source and target.
        save(d.path(), &SendState { bytes: 9, ..state("backup/a") }).unwrap();
        std::fs::write(d.path().join("send/junk.json"), "{\"type\":\"send_state\"}").unwrap();
        let (ok, bad) = load_all(d.path()).unwrap();
        assert_eq!(ok.len(), 2);
        assert!(ok.iter().any(|s| s.target == "backup/a" && s.bytes == 9));
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].0.ends_with("junk.json"));
        assert_eq!(p, path(d.path(), "tank/a", "backup/a"));
    }
}
