//! The ZFS model shared by snapshot, diff, prune, send and quota: dataset and snapshot names,
//! the snapshot record, `zfs` argv builders and parsers of `zfs ... -H -p` output.
//!
//! Parsers only read the machine output (`-H` tab-separated, `-p` exact numbers) that OpenZFS
//! 2.1 and 2.3 both print. Fields are split on tabs only: names may hold spaces.

pub mod allow;
pub mod destroy;
pub mod diff;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod listing;
pub mod mounts;
pub mod name;
pub mod policy;
pub mod props;
pub mod quota;
pub mod send;
pub mod size;
pub mod snapshot;
pub mod table;

use strata_core::runner::Cmd;

/// The program every ZFS command runs. Looked up on PATH.
pub const ZFS: &str = "zfs";

/// `zfs ARGS` that only reads.
pub fn zfs_read() -> Cmd {
    Cmd::read(ZFS)
}

/// `zfs ARGS` that changes the pool.
pub fn zfs_mutate() -> Cmd {
    Cmd::mutate(ZFS)
}

/// User property that marks a snapshot as made (and so owned) by strata.
pub const PROP_MANAGED: &str = "strata:managed";
/// User property with the label given at creation (`--label`).
pub const PROP_LABEL: &str = "strata:label";
