//! Which ZFS dataset holds a path: the mount table (`/proc/self/mounts`), longest mountpoint first.
//! The `.zfs/snapshot` directory of a mounted filesystem is where a snapshot's files are read.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// One mounted ZFS filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub dataset: String,
    pub mountpoint: PathBuf,
}

/// The ZFS filesystems of a mount table in the `/proc/self/mounts` format. The kernel writes a
/// space, tab, newline and backslash in a field as `\040`, `\011`, `\012` and `\134`; snapshots
/// mounted under `.zfs/snapshot` (`DATASET@NAME`) are left out.
pub fn parse(table: &[u8]) -> Vec<Mount> {
    let mut v = Vec::new();
    for line in table.split(|&b| b == b'\n') {
        let mut f = line.split(|&b| b == b' ');
        let (Some(src), Some(dir), Some(fstype)) = (f.next(), f.next(), f.next()) else { continue };
        if fstype != b"zfs" {
            continue;
        }
        let src = unescape(src);
        if src.contains(&b'@') {
            continue;
        }
        let Ok(dataset) = String::from_utf8(src) else { continue };
        v.push(Mount { dataset, mountpoint: PathBuf::from(OsString::from_vec(unescape(dir))) });
    }
    v
}

/// `\NNN` (three octal digits) is one byte; anything else stands for itself.
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let b = field[i];
        if b == b'\\'
            && let Some(d) = field.get(i + 1..i + 4)
            && d.iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = d.iter().fold(0u32, |v, &c| v * 8 + u32::from(c - b'0'));
            if let Ok(byte) = u8::try_from(v) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

/// The mount holding `path` (absolute, already resolved): the longest mountpoint that is `path`
/// or one of its ancestors.
pub fn holding<'a>(mounts: &'a [Mount], path: &Path) -> Option<&'a Mount> {
    mounts.iter().filter(|m| path.starts_with(&m.mountpoint)).max_by_key(|m| m.mountpoint.as_os_str().len())
}

/// Where a path is: its dataset, the mountpoint, and the path relative to the mountpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub mount: Mount,
    /// The resolved absolute path.
    pub path: PathBuf,
    /// `path` relative to the mountpoint (empty for the mountpoint itself).
    pub rel: PathBuf,
}

/// Resolves `path` (symlinks in its directories followed; the last component may be missing: a
/// deleted file) and finds the ZFS filesystem that holds it.
pub fn locate(path: &Path) -> Result<Located> {
    locate_in(&table()?, path)
}

/// The ZFS filesystems mounted now (`/proc/self/mounts`).
pub fn table() -> Result<Vec<Mount>> {
    let table = std::fs::read("/proc/self/mounts").context("cannot read the mount table /proc/self/mounts")?;
    Ok(parse(&table))
}

pub fn locate_in(mounts: &[Mount], path: &Path) -> Result<Located> {
    let abs = match std::fs::canonicalize(path) {
        Ok(p) => p,
        Err(_) => {
            let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
                bail!("{}: no such file or directory", path.display());
            };
            let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
            let dir = std::fs::canonicalize(parent)
                .with_context(|| format!("{}: the directory does not exist", parent.display()))?;
            if name.as_bytes() == b".." || name.as_bytes() == b"." {
                bail!("{}: no such file or directory", path.display());
            }
            dir.join(name)
        }
    };
    let Some(mount) = holding(mounts, &abs) else {
        bail!("{} is not on a mounted ZFS filesystem (no zfs entry of /proc/self/mounts holds it)", abs.display());
    };
    let rel = abs.strip_prefix(&mount.mountpoint).map(Path::to_path_buf).unwrap_or_default();
    Ok(Located { mount: mount.clone(), path: abs, rel })
}

/// `MOUNTPOINT/.zfs/snapshot/NAME/REL`.
pub fn snapshot_path(mount: &Mount, snapshot_name: &str, rel: &Path) -> PathBuf {
    let base = mount.mountpoint.join(".zfs").join("snapshot").join(snapshot_name);
    if rel.as_os_str().is_empty() { base } else { base.join(rel) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[u8] = b"rpool/ROOT/debian / zfs rw,relatime,xattr,posixacl 0 0\n\
proc /proc proc rw,nosuid 0 0\n\
tank /tank zfs rw 0 0\n\
tank/my\\040data /tank/my\\040data zfs rw 0 0\n\
tank/odd /srv/a\\011b\\012c\\134d zfs rw 0 0\n\
tank/my\\040data@s1 /tank/my\\040data/.zfs/snapshot/s1 zfs ro 0 0\n\
tmpfs /tank/my\\040data/tmp tmpfs rw 0 0\n";

    #[test]
    fn escaped_mount_paths_and_longest_prefix() {
        let m = parse(TABLE);
        assert_eq!(m.len(), 4);
        assert_eq!(m[2], Mount { dataset: "tank/my data".into(), mountpoint: "/tank/my data".into() });
        assert_eq!(m[3].mountpoint, Path::new("/srv/a\tb\nc\\d"));
        assert_eq!(holding(&m, Path::new("/tank/my data/x/y")).unwrap().dataset, "tank/my data");
        assert_eq!(holding(&m, Path::new("/tank/my database")).unwrap().dataset, "tank");
        assert_eq!(holding(&m, Path::new("/etc/passwd")).unwrap().dataset, "rpool/ROOT/debian");
        let none = parse(b"proc /proc proc rw 0 0\n");
        assert!(holding(&none, Path::new("/x")).is_none());
    }

    #[test]
    fn locate_a_missing_file_through_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let mounts = vec![Mount { dataset: "tank/t".into(), mountpoint: root.clone() }];
        std::fs::create_dir(root.join("sub")).unwrap();
        let l = locate_in(&mounts, &root.join("sub/gone.txt")).unwrap();
        assert_eq!(l.rel, Path::new("sub/gone.txt"));
        assert_eq!(snapshot_path(&l.mount, "s1", &l.rel), root.join(".zfs/snapshot/s1/sub/gone.txt"));
        assert!(locate_in(&mounts, &root.join("nodir/x")).is_err());
        assert!(locate_in(&[], &root).unwrap_err().to_string().contains("not on a mounted ZFS filesystem"));
    }
}
