//! Installing a drop-in under `--root` without ever writing outside it.
//!
//! The drop-in's directory is resolved inside the root as systemd resolves paths of an image
//! ([`chase`]: an absolute link is relative to the root, `..` stops at the root). The resolved
//! directories are then opened one by one from the root with `O_NOFOLLOW`, so a link planted or
//! swapped in after resolving is refused rather than followed. The text is written in that
//! directory with [`strata_core::fs::write_atomic_in`]: a new file with a random name
//! (`O_CREAT|O_EXCL|O_NOFOLLOW`: an existing name or link is never opened), synced, and renamed
//! over the drop-in's name (a link of that name is replaced, its target untouched).

use std::ffi::OsStr;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use strata_core::fs::{WriteError, mkdir_at, open_at, write_atomic_in};

use crate::load::{LoadError, chase};

/// Why a drop-in was not installed. Nothing was written in either case.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The target cannot be resolved inside the root.
    #[error("{path}: {why}; nothing written")]
    Refused { path: String, why: String },
    #[error("{path}: {source}; nothing written")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn refused(path: &Path, why: impl Into<String>) -> InstallError {
    InstallError::Refused { path: path.display().to_string(), why: why.into() }
}

fn io(path: &Path, source: std::io::Error) -> InstallError {
    InstallError::Io { path: path.display().to_string(), source }
}

/// Opens the directory `inside` (already resolved, inside the root) component by component,
/// creating missing ones, and never following a link.
pub fn open_dir_nofollow(root: &Path, inside: &Path) -> Result<OwnedFd, InstallError> {
    // The root itself is the caller's choice and may be a link.
    let mut fd = open_at(None, root.as_os_str(), libc::O_RDONLY | libc::O_DIRECTORY, 0).map_err(|e| io(root, e))?;
    // `chase` leaves the components after a missing directory as written: `..` there goes back
    // up, never above the root.
    let mut parts: Vec<&OsStr> = Vec::new();
    for c in inside.components() {
        match c {
            Component::Normal(s) => parts.push(s),
            Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    let mut at = PathBuf::from("/");
    for part in parts {
        at.push(part);
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW;
        let next = match open_at(Some(fd.as_fd()), part, flags, 0) {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                match mkdir_at(fd.as_fd(), part, 0o755) {
                    Err(e) if e.raw_os_error() != Some(libc::EEXIST) => return Err(io(&at, e)),
                    _ => {}
                }
                open_at(Some(fd.as_fd()), part, flags, 0)
            }
            other => other,
        };
        fd = match next {
            Ok(d) => d,
            Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR)) => {
                return Err(refused(&at, "is a symbolic link or not a directory (it changed while being resolved)"));
            }
            Err(e) => return Err(io(&at, e)),
        };
    }
    Ok(fd)
}

/// Writes `text` as the file `inside` (a path inside `root`) and returns where it went, inside
/// the root (links in the directories resolved).
pub fn install(root: &Path, inside: &Path, text: &[u8]) -> Result<PathBuf, InstallError> {
    let (Some(dir), Some(name)) = (inside.parent(), inside.file_name()) else {
        return Err(refused(inside, "not a file path"));
    };
    let resolved = match chase(root, dir) {
        Ok(Some(p)) => p,
        Ok(None) => return Err(refused(dir, "leads to /dev/null")),
        Err(LoadError::Loop { .. }) => return Err(refused(dir, "too many levels of symbolic links")),
        Err(e) => return Err(refused(dir, e.to_string())),
    };
    let dirfd = open_dir_nofollow(root, &resolved)?;
    let target = resolved.join(name);
    write_atomic_in(dirfd.as_fd(), &resolved, name, text, 0o644).map_err(|e| match e {
        WriteError::Io { path, source } => io(&path, source),
        e @ WriteError::NoTemporaryName { .. } => refused(&resolved, e.to_string()),
    })?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_link_found_while_opening_is_refused_not_followed() {
        // As if `a.d` became a link after it was resolved: opening never follows it.
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("etc")).unwrap();
        symlink(outside.path(), root.path().join("etc/a.d")).unwrap();
        let err = open_dir_nofollow(root.path(), Path::new("/etc/a.d/sub")).unwrap_err();
        assert_eq!(err.to_string().split(':').next(), Some("/etc/a.d"));
        assert!(matches!(err, InstallError::Refused { .. }), "{err}");
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }

    #[test]
    fn dot_dot_after_a_missing_directory_stays_in_the_root() {
        let root = tempfile::tempdir().unwrap();
        let fd = open_dir_nofollow(root.path(), Path::new("/new/../../../x"));
        assert!(fd.is_ok());
        assert!(root.path().join("x").is_dir());
        assert!(!root.path().join("new").exists());
    }

    #[test]
    fn installs_through_links_resolved_inside_the_root() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("real")).unwrap();
        symlink("/real", root.path().join("etc")).unwrap();
        let at = install(root.path(), Path::new("/etc/u.d/x.conf"), b"[Service]\n").unwrap();
        assert_eq!(at, Path::new("/real/u.d/x.conf"));
        assert_eq!(std::fs::read(root.path().join("real/u.d/x.conf")).unwrap(), b"[Service]\n");
        let names: Vec<_> =
            std::fs::read_dir(root.path().join("real/u.d")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["x.conf"]);
    }
}
