//! `--lock`: one run at a time. A second run exits 75 (`EX_TEMPFAIL`) with a clear message.
//! The lock is an advisory `flock` on a file that stays on disk; the kernel drops it when the
//! process ends, however it ends, so a crashed run never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("another run holds the lock {}; try again when it has finished", path.display())]
pub struct LockHeld {
    pub path: PathBuf,
}

/// Held for as long as it lives.
#[derive(Debug)]
pub struct LockGuard {
    _file: File,
    pub path: PathBuf,
}

pub fn acquire(path: &Path) -> anyhow::Result<LockGuard> {
    use anyhow::Context;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create lock directory {}", dir.display()))?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(LockGuard { _file: file, path: path.to_path_buf() }),
        Err(TryLockError::WouldBlock) => Err(LockHeld { path: path.to_path_buf() }.into()),
        Err(TryLockError::Error(e)) => Err(anyhow::Error::new(e).context(format!("cannot lock {}", path.display()))),
    }
}

/// Where `--lock` without a path puts the lock of `tool`: `/run/lock` for root,
/// `$XDG_RUNTIME_DIR` (or the temporary directory) for others.
pub fn default_path(tool: &str) -> PathBuf {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    let dir = if euid == 0 && Path::new("/run/lock").is_dir() {
        PathBuf::from("/run/lock")
    } else {
        dirs::runtime_dir().unwrap_or_else(std::env::temp_dir)
    };
    if euid == 0 { dir.join(format!("{tool}.lock")) } else { dir.join(format!("{tool}-{euid}.lock")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let first = acquire(&path).unwrap();
        let err = acquire(&path).unwrap_err();
        assert!(err.downcast_ref::<LockHeld>().is_some());
        assert_eq!(crate::exit::code_of(&err), crate::exit::LOCKED);
        assert!(err.to_string().contains("x.lock"));
        drop(first);
        acquire(&path).unwrap();
    }
}
