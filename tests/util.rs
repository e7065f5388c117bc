//! Shared helpers of the host tests.

#![allow(dead_code)]

use assert_cmd::Command;

/// A binary of this package, with a clean environment for colour and time.
pub fn bin(name: &str) -> Command {
    let mut c = Command::cargo_bin(name).unwrap_or_else(|e| panic!("binary {name}: {e}"));
    c.env_remove("NO_COLOR").env_remove("STRATA_NOW");
    c
}

/// Parses NDJSON output into JSON values, panicking with the offending line.
pub fn ndjson(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The real zfs output fixtures.
pub fn fixture(version: &str, name: &str) -> Vec<u8> {
    strata_zfs::fixtures::stdout(version, name)
}

/// A directory holding stand-in programs (the process seam), to put first on PATH.
pub struct FakeBin {
    pub dir: tempfile::TempDir,
}

impl FakeBin {
    pub fn new() -> FakeBin {
        FakeBin { dir: tempfile::tempdir().expect("tempdir") }
    }

    /// Adds an executable shell script `name` with `body`.
    pub fn script(&self, name: &str, body: &str) -> &FakeBin {
        use std::os::unix::fs::PermissionsExt;
        let p = self.dir.path().join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}")).expect("write fake");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod fake");
        self
    }

    /// PATH with this directory first.
    pub fn path(&self) -> std::ffi::OsString {
        let mut dirs = vec![self.dir.path().to_path_buf()];
        dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
        std::env::join_paths(dirs).expect("join PATH")
    }
}

/// The directory of the built binaries (for shell pipelines in tests).
pub fn bin_dir() -> std::path::PathBuf {
    let exe = assert_cmd::cargo::cargo_bin("strata");
    exe.parent().expect("bin dir").to_path_buf()
}

/// Runs `script` with bash under a pseudo-terminal (util-linux `script`), returning what the
/// terminal showed. For checking terminal-only behaviour such as colour.
pub fn in_pty(script: &str, env: &[(&str, &str)], remove: &[&str]) -> Vec<u8> {
    let mut c = std::process::Command::new("script");
    c.args(["-qec", script, "/dev/null"]);
    for (k, v) in env {
        c.env(k, v);
    }
    for k in remove {
        c.env_remove(k);
    }
    let out = c.output().expect("util-linux script(1) is needed for terminal tests");
    out.stdout
}
