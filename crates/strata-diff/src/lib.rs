//! strata-diff: what changed in a ZFS dataset (`zfs diff` as records), every version of a file
//! across snapshots, and the files deleted since a snapshot.

pub mod change;
pub mod files;

use std::borrow::Cow;

use base64::Engine;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use strata_core::cli::CommonArgs;
use strata_core::doc::ManDoc;
use strata_core::{Ctx, Outcome, Tool};

pub const TOOL: Tool = Tool { name: "strata-diff", command, run, mutate: strata_core::cli::changes_nothing, doc: &DOC };

pub static DOC: ManDoc = ManDoc {
    examples: &[
        (
            "strata diff tank/srv/docker/victim.org",
            "What the stack changed since its newest snapshot (the justfile's `just diff`), one record per path; \
             exit 1 when something changed.",
        ),
        (
            "strata diff tank/srv/docker/victim.org@2023-08-08-00-00-06 @2023-08-09-00-00-06 --format table",
            "Between two snapshots of one filesystem (the second named as zfs diff accepts it), for people.",
        ),
        (
            "strata diff tank/srv/docker/victim.org --change added,modified --kind file --glob '*.yml'",
            "Only files added or changed whose path ends in .yml.",
        ),
        (
            "strata diff tank/srv/docker/victim.org --under /srv/docker/victim.org/data --summary | tail -n 1",
            "The counts per change below one directory.",
        ),
        (
            "if strata diff -q tank/srv/docker/victim.org >/dev/null; then echo unchanged; fi",
            "A script's test: exit 0 means nothing changed since the newest snapshot.",
        ),
        (
            "strata diff versions /srv/docker/victim.org/docker-compose.yml --format table",
            "Every distinct version of the file in the snapshots of its dataset, and which one is live.",
        ),
        (
            "strata diff deleted -r /srv/docker/victim.org --format plain",
            "Everything some snapshot has and the live filesystem lost; restore one with \
             cp -a SNAPSHOT_PATH PATH (the record's fields).",
        ),
    ],
    exit_status: &[
        (0, "No change (or, for versions, every path has a version; for deleted, nothing was deleted)."),
        (
            1,
            "Changes were found (like diff(1)); for deleted, deleted files were found; for versions, some path has \
             no version at all.",
        ),
        (
            2,
            "An error: a dataset or snapshot that does not exist, a snapshot of another filesystem, a dataset \
             without snapshots, a path not on ZFS, or zfs diff failed.",
        ),
    ],
    environment: &[],
    records: &[&change::CHANGE_DOC, &change::SUMMARY_DOC, &files::VERSION_DOC, &files::DELETED_DOC],
};

/// What changed in a ZFS dataset, every version of a file, and what was deleted.
#[derive(Debug, Parser)]
#[command(
    name = "strata-diff",
    about = "What changed in a ZFS dataset, every version of a file, and what was deleted",
    long_about = "What changed in a ZFS dataset, every version of a file, and what was deleted.\n\n\
                  strata-diff DATASET compares the live dataset with its newest snapshot; strata-diff SNAPSHOT \
                  [SNAPSHOT2|DATASET] compares a snapshot with a later one of the same filesystem (@NAME accepted) \
                  or with the live state. It runs zfs diff -H -F -t and streams one change record per line in \
                  constant memory, in the order ZFS prints them (not sorted; --sort sorts by path). ZFS's octal \
                  escapes are decoded to the exact bytes; a path that is not UTF-8 also comes as base64 in \
                  path_bytes. Exit status like diff(1): 0 no change, 1 changes, 2 error.\n\n\
                  versions lists every distinct version of files across the snapshots (read through \
                  .zfs/snapshot); deleted lists what some snapshot has and the live directory lost.",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub cmd: Option<Sub>,
    #[command(flatten)]
    pub diff: change::DiffArgs,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Every distinct version of each file across the snapshots of its dataset (same size and
    /// modification time: one version), oldest first.
    Versions(files::VersionsArgs),
    /// Files some snapshot has and the live directory has not, with the newest snapshot that has
    /// each (cp -a SNAPSHOT_PATH PATH restores it).
    Deleted(files::DeletedArgs),
}

pub fn command() -> clap::Command {
    Cli::command()
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx) -> anyhow::Result<Outcome> {
    let cli = Cli::from_arg_matches(m)?;
    match &cli.cmd {
        Some(Sub::Versions(a)) => files::versions(a, ctx),
        Some(Sub::Deleted(a)) => files::deleted(a, ctx),
        None => change::run(&cli.diff, ctx),
    }
}

/// A path for a record: the text, and its exact bytes in base64 when they are not UTF-8 (the text
/// is then lossy).
pub fn text_of(bytes: &[u8]) -> (Cow<'_, str>, Option<String>) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (Cow::Borrowed(s), None),
        Err(_) => (String::from_utf8_lossy(bytes), Some(base64::engine::general_purpose::STANDARD.encode(bytes))),
    }
}

#[cfg(test)]
mod tests;
