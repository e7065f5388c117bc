//! Dataset and snapshot names, checked the way ZFS checks them, so a bad name is refused with a
//! clear message before any command runs.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("invalid dataset name {0:?}: {1}")]
    Dataset(String, &'static str),
    #[error("invalid snapshot name {0:?}: {1}")]
    Snapshot(String, &'static str),
}

/// ZFS allows alphanumerics and `_ - : . ` and space in each component (zfs_namecheck.c).
fn valid_component_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':' | b'.' | b' ')
}

/// A dataset name typed on the command line, as a clap value parser: checked, then kept as given.
pub fn dataset_arg(s: &str) -> Result<String, String> {
    check_dataset(s).map_err(|e| e.to_string())?;
    Ok(s.to_string())
}

/// Checks a dataset name (`tank/srv/docker/victim.org`).
pub fn check_dataset(name: &str) -> Result<(), NameError> {
    let err = |why| Err(NameError::Dataset(name.to_string(), why));
    if name.is_empty() {
        return err("empty");
    }
    if name.len() >= 256 {
        return err("longer than 255 bytes");
    }
    if name.contains('@') || name.contains('#') {
        return err("a dataset name has no '@' or '#' (that is a snapshot or bookmark)");
    }
    for comp in name.split('/') {
        if comp.is_empty() {
            return err("empty component (leading, trailing or double '/')");
        }
        if comp == "." || comp == ".." {
            return err("'.' and '..' are not allowed as components");
        }
        if !comp.bytes().all(valid_component_byte) {
            return err("only letters, digits, '_', '-', ':', '.' and space are allowed");
        }
    }
    Ok(())
}

/// Checks the part after '@' of a snapshot name.
pub fn check_snapshot_part(dataset: &str, snap: &str) -> Result<(), NameError> {
    let full = format!("{dataset}@{snap}");
    let err = |why| Err(NameError::Snapshot(full.clone(), why));
    if snap.is_empty() {
        return err("nothing after '@'");
    }
    if !snap.bytes().all(valid_component_byte) {
        return err("only letters, digits, '_', '-', ':', '.' and space are allowed after '@'");
    }
    if full.len() >= 256 {
        return err("longer than 255 bytes");
    }
    Ok(())
}

/// A full snapshot name, `DATASET@NAME`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnapshotName {
    pub dataset: String,
    pub name: String,
}

impl SnapshotName {
    /// Parses and checks `DATASET@NAME`.
    pub fn parse(s: &str) -> Result<SnapshotName, NameError> {
        let Some((ds, snap)) = s.split_once('@') else {
            return Err(NameError::Snapshot(s.to_string(), "expected DATASET@NAME"));
        };
        check_dataset(ds)
            .map_err(|_| NameError::Snapshot(s.to_string(), "the dataset part is not a valid dataset name"))?;
        check_snapshot_part(ds, snap)?;
        Ok(SnapshotName { dataset: ds.to_string(), name: snap.to_string() })
    }

    /// Checks `DATASET@NAME` without allocating when it is valid (a million input records are
    /// checked this way) and returns the offset of '@'; the error is [`SnapshotName::parse`]'s.
    pub fn check(s: &str) -> Result<usize, NameError> {
        if let Some(at) = s.find('@') {
            let (ds, snap) = (&s[..at], &s[at + 1..]);
            if s.len() < 256 && !snap.is_empty() && snap.bytes().all(valid_component_byte) && check_dataset(ds).is_ok()
            {
                return Ok(at);
            }
        }
        match SnapshotName::parse(s) {
            Err(e) => Err(e),
            Ok(_) => Err(NameError::Snapshot(s.to_string(), "invalid")),
        }
    }

    /// Splits a name printed by ZFS itself (no checks).
    pub fn split(s: &str) -> Option<(&str, &str)> {
        s.split_once('@')
    }
}

impl fmt::Display for SnapshotName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.dataset, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        check_dataset("tank/srv/docker/victim.org").unwrap();
        check_dataset("tank/my data").unwrap();
        for bad in ["", "/tank", "tank/", "tank//a", "tank@x", "tank/a;b", "tank/$(x)", "tank/.."] {
            assert!(check_dataset(bad).is_err(), "{bad}");
        }
        let s = SnapshotName::parse("tank/a@2023-08-08-00-00-06").unwrap();
        assert_eq!((s.dataset.as_str(), s.name.as_str()), ("tank/a", "2023-08-08-00-00-06"));
        assert_eq!(s.to_string(), "tank/a@2023-08-08-00-00-06");
        for bad in ["tank/a", "tank/a@", "tank/a@b@c", "@x", "tank/a@x/y"] {
            assert!(SnapshotName::parse(bad).is_err(), "{bad}");
            assert_eq!(SnapshotName::check(bad).unwrap_err(), SnapshotName::parse(bad).unwrap_err(), "{bad}");
        }
        assert_eq!(dataset_arg("tank/my data"), Ok("tank/my data".to_string()));
        assert!(dataset_arg("tank//a").unwrap_err().contains("invalid dataset name"));
    }

    proptest::proptest! {
        /// The allocation-free check and the full parser agree on every name, '@' and length
        /// included.
        #[test]
        fn check_agrees_with_parse(s in "[a-z/@ .:_\\-]{0,12}|[a-z]{1,3}@[a-z]{250,256}|[a-z]{1,2}/[a-z]{1,3}@[a-z\\x{e9};]{1,4}") {
            match (SnapshotName::check(&s), SnapshotName::parse(&s)) {
                (Ok(at), Ok(n)) => proptest::prop_assert_eq!(&s[..at], n.dataset.as_str()),
                (Err(a), Err(b)) => proptest::prop_assert_eq!(a, b),
                (a, b) => proptest::prop_assert!(false, "{s:?}: check {a:?}, parse {b:?}"),
            }
        }
    }
}
