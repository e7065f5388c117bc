//! Writing a file so that a reader sees the old text or the new one, never a part, and a crash
//! leaves one of them: the text goes to a new file with a random name in the same directory
//! (`O_CREAT|O_EXCL|O_NOFOLLOW`: an existing name or a planted link is never opened), is synced,
//! renamed over the name (a link of that name is replaced, its target untouched), and the
//! directory is synced so that the rename is durable. On an error the temporary file is removed.

use std::ffi::{CString, OsStr, OsString};
use std::hash::{BuildHasher, RandomState};
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Why a file was not written; the path names the file or directory that failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: no free temporary name after {TRIES} tries", dir.display())]
    NoTemporaryName { dir: PathBuf },
}

const TRIES: u32 = 16;

fn io(path: &Path, source: std::io::Error) -> WriteError {
    WriteError::Io { path: path.to_path_buf(), source }
}

fn cstr(s: &OsStr) -> std::io::Result<CString> {
    CString::new(s.as_bytes()).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
}

fn cvt(r: libc::c_int) -> std::io::Result<()> {
    if r < 0 { Err(std::io::Error::last_os_error()) } else { Ok(()) }
}

/// `openat(2)` relative to `dir` (the working directory when `None`), close-on-exec.
pub fn open_at(
    dir: Option<BorrowedFd<'_>>,
    name: &OsStr,
    flags: libc::c_int,
    mode: libc::mode_t,
) -> std::io::Result<OwnedFd> {
    let c = cstr(name)?;
    let dirfd = dir.map_or(libc::AT_FDCWD, |d| d.as_raw_fd());
    // SAFETY: `c` is a valid NUL-terminated string and `dirfd` an open directory (or AT_FDCWD)
    // for the duration of the call; a non-negative result is a new descriptor we own.
    let fd = unsafe { libc::openat(dirfd, c.as_ptr(), flags | libc::O_CLOEXEC, libc::c_uint::from(mode)) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by openat and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `mkdirat(2)` relative to `dir`.
pub fn mkdir_at(dir: BorrowedFd<'_>, name: &OsStr, mode: libc::mode_t) -> std::io::Result<()> {
    let c = cstr(name)?;
    // SAFETY: valid descriptor and NUL-terminated name for the duration of the call.
    cvt(unsafe { libc::mkdirat(dir.as_raw_fd(), c.as_ptr(), mode) })
}

/// Writes `bytes` as `name` in the open directory `dir` (shown as `dir_path` in errors), with
/// exactly the permissions `mode` (the umask does not narrow them: other users may have to read it).
pub fn write_atomic_in(
    dir: BorrowedFd<'_>,
    dir_path: &Path,
    name: &OsStr,
    bytes: &[u8],
    mode: libc::mode_t,
) -> Result<(), WriteError> {
    let target = dir_path.join(name);
    let keys = RandomState::new();
    let mut tmp = None;
    for attempt in 0..TRIES {
        let mut n = OsString::from(".");
        n.push(name);
        n.push(format!(".{:016x}", keys.hash_one(attempt)));
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW;
        match open_at(Some(dir), &n, flags, mode) {
            Ok(f) => {
                tmp = Some((n, f));
                break;
            }
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => continue,
            Err(e) => return Err(io(&dir_path.join(&n), e)),
        }
    }
    let Some((tmp_name, fd)) = tmp else {
        return Err(WriteError::NoTemporaryName { dir: dir_path.to_path_buf() });
    };
    let tmp_c = cstr(&tmp_name).map_err(|e| io(&target, e))?;
    let remove_tmp = || {
        // SAFETY: valid descriptor and NUL-terminated name for the duration of the call.
        unsafe { libc::unlinkat(dir.as_raw_fd(), tmp_c.as_ptr(), 0) };
    };
    let mut file = std::fs::File::from(fd);
    let written = file
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .and_then(|()| file.write_all(bytes))
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        remove_tmp();
        return Err(io(&dir_path.join(&tmp_name), e));
    }
    drop(file);
    let name_c = cstr(name).map_err(|e| io(&target, e))?;
    // SAFETY: valid descriptors and NUL-terminated names for the duration of the call.
    if let Err(e) = cvt(unsafe { libc::renameat(dir.as_raw_fd(), tmp_c.as_ptr(), dir.as_raw_fd(), name_c.as_ptr()) }) {
        remove_tmp();
        return Err(io(&target, e));
    }
    // The rename itself is durable once the directory is synced.
    // SAFETY: a valid open descriptor.
    cvt(unsafe { libc::fsync(dir.as_raw_fd()) }).map_err(|e| io(dir_path, e))
}

/// Writes `bytes` as the file `path` (its directory must exist), with exactly the permissions
/// `mode`.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: libc::mode_t) -> Result<(), WriteError> {
    let Some(name) = path.file_name() else {
        return Err(io(path, std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name")));
    };
    let dir_path = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let dir =
        open_at(None, dir_path.as_os_str(), libc::O_RDONLY | libc::O_DIRECTORY, 0).map_err(|e| io(dir_path, e))?;
    write_atomic_in(dir.as_fd(), dir_path, name, bytes, mode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_the_file_and_leaves_nothing_else() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out.prom");
        write_atomic(&p, b"one\n", 0o644).unwrap();
        write_atomic(&p, b"two\n", 0o644).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two\n");
        assert_eq!(names(d.path()), ["out.prom"]);
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o644);
        write_atomic(&p, b"three\n", 0o600).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
    }

    /// A link planted at the name, or at the fixed temporary name older writers used, is
    /// replaced or left alone, never written through.
    #[test]
    fn a_planted_link_is_never_followed() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        symlink(&victim, d.path().join("out")).unwrap();
        symlink(&victim, d.path().join("out.tmp")).unwrap();
        write_atomic(&d.path().join("out"), b"new", 0o600).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert_eq!(std::fs::read(d.path().join("out")).unwrap(), b"new");
        assert!(std::fs::symlink_metadata(d.path().join("out")).unwrap().file_type().is_file());
        assert_eq!(names(d.path()), ["out", "out.tmp", "victim"]);
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_it() {
        let d = tempfile::tempdir().unwrap();
        let e = write_atomic(&d.path().join("no/such/x"), b"x", 0o644).unwrap_err();
        assert!(e.to_string().starts_with(&format!("{}: ", d.path().join("no/such").display())), "{e}");
    }
}
