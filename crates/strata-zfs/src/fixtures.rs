//! Real `zfs` outputs captured by the lab (`tests/fixtures/zfs-VERSION/`), for unit tests that
//! must stay faithful to what ZFS prints.

use std::path::PathBuf;

/// The fixture directory of an OpenZFS version (`"2.3"`).
pub fn dir(version: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(format!("zfs-{version}"))
}

/// The exact stdout of fixture `name`.
pub fn stdout(version: &str, name: &str) -> Vec<u8> {
    let p = dir(version).join(format!("{name}.out"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

/// The exact stderr of fixture `name` (empty when it printed none).
pub fn stderr(version: &str, name: &str) -> Vec<u8> {
    std::fs::read(dir(version).join(format!("{name}.err"))).unwrap_or_default()
}

/// The exit code and command line of fixture `name`, from `INDEX.tsv`.
pub fn index(version: &str, name: &str) -> (i32, String) {
    let idx = std::fs::read_to_string(dir(version).join("INDEX.tsv")).expect("INDEX.tsv");
    for line in idx.lines().skip(1) {
        let mut f = line.splitn(3, '\t');
        if f.next() == Some(name) {
            let code = f.next().and_then(|c| c.parse().ok()).expect("exit code");
            return (code, f.next().unwrap_or_default().to_string());
        }
    }
    panic!("no fixture {name} in zfs-{version}/INDEX.tsv")
}

/// A runner output replaying fixture `name`.
pub fn output(version: &str, name: &str) -> strata_core::runner::Output {
    strata_core::runner::Output {
        code: Some(index(version, name).0),
        stdout: stdout(version, name),
        stderr: stderr(version, name),
    }
}
