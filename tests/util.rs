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
