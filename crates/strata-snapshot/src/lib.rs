//! strata-snapshot: take, list and roll back ZFS snapshots, safely and as records.

pub mod check;
pub mod create;
pub mod due;
pub mod list;
pub mod policy;
pub mod rollback;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use strata_core::cli::{CommonArgs, MutateArgs};
use strata_core::doc::ManDoc;
use strata_core::exit;
use strata_core::{Ctx, Outcome, Tool};

pub const TOOL: Tool = Tool { name: "strata-snapshot", command, run, mutate, doc: &DOC };

pub static DOC: ManDoc = ManDoc {
    examples: &[
        (
            "strata snapshot create -r zroot/srv/docker",
            "Snapshot the dataset and all its descendants at once, named by the UTC time (2023-08-08-00-00-06), \
             marked strata:managed=on so strata prune may destroy them later. Silent on success.",
        ),
        (
            "strata snapshot create --label before-upgrade --prefix pre- zroot/srv/docker/victim.org --format table",
            "A labelled snapshot named pre-2023-08-08-00-00-06; the table shows what was made.",
        ),
        (
            "strata snapshot list -r zroot/srv/docker/victim.org | tail -n 5",
            "The newest five snapshots, as NDJSON records.",
        ),
        ("strata snapshot list -r tank --managed --format plain", "The names of the snapshots strata made."),
        (
            "strata snapshot list -r tank --format timeline",
            "A row per dataset, a column per day, week or month: how many snapshots each period has, and the gaps.",
        ),
        (
            "strata snapshot list -r tank | strata prune plan --keep-daily 7 | strata prune apply --yes",
            "The cron line of strata prune: silent when all goes well.",
        ),
        (
            "strata snapshot policy set tank/srv --every 1h --keep hourly=24,daily=7,weekly=4",
            "Put the policy on the datasets: every dataset under tank/srv inherits it (one zfs set).",
        ),
        (
            "strata snapshot create --due -r tank",
            "From a timer every few minutes: snapshot each dataset whose strata:snapshot interval has passed; silent.",
        ),
        (
            "strata snapshot check -r tank --nagios",
            "Freshness for monitoring: WARNING past twice a dataset's interval, CRITICAL past four times.",
        ),
        (
            "strata snapshot rollback zroot/srv/docker/victim.org@2023-08-08-00-00-06",
            "Show the newer snapshots that would be destroyed and how many files changed since, then ask on the terminal.",
        ),
    ],
    exit_status: &[
        (
            exit::SUCCESS,
            "Success: the snapshots were made, listed, or the dataset was rolled back. check: every checked dataset is fresh.",
        ),
        (exit::NEGATIVE, "check: a dataset's newest snapshot is older than its warning age."),
        (
            exit::ERROR,
            "An error: a bad name, a snapshot name that exists already (nothing was made), a rollback refused \
             (no --yes and no terminal confirmation, or a newer snapshot is held), or zfs failed. list: a dataset \
             whose snapshots could not be read safely (a strata property value holding a newline) is left out and \
             named on standard error; the others are listed. policy, create --due: a dataset whose policy value is \
             invalid is reported and skipped (the others are snapshotted), and the run ends with 2. check: a dataset \
             is older than its critical age, has no snapshot, or cannot be checked.",
        ),
        (exit::UNKNOWN, "check: the state is unknown (zfs could not be asked); nothing was checked."),
    ],
    environment: &[],
    records: &[
        &strata_zfs::snapshot::SNAPSHOT_DOC,
        &rollback::ROLLBACK_DOC,
        &policy::POLICY_DOC,
        &policy::POLICY_SNAPSHOT_DOC,
        &check::CHECK_DOC,
    ],
};

/// Take, list and roll back ZFS snapshots.
#[derive(Debug, Parser)]
#[command(
    name = "strata-snapshot",
    about = "Take, list and roll back ZFS snapshots",
    long_about = "Take, list and roll back ZFS snapshots.\n\n\
                  create makes every snapshot in one atomic zfs snapshot call, named by the UTC time, and marks them \
                  with the user property strata:managed=on (and strata:label) so that strata prune may own them. \
                  list prints snapshot records from one zfs list call. rollback says what would be lost before it \
                  runs zfs rollback -r."
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub cmd: Sub,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Snapshot datasets in one atomic zfs snapshot call.
    Create(create::CreateArgs),
    /// Snapshot records, sorted by dataset then creation (one zfs list call).
    List(list::ListArgs),
    /// Roll a dataset back to a snapshot, destroying newer ones, after saying what will be lost.
    Rollback(rollback::RollbackArgs),
    /// The snapshot policy on the datasets (strata:snapshot, strata:keep, strata:send), with sources; `policy set` writes it.
    Policy(policy::PolicyArgs),
    /// Are the snapshots fresh? Exit codes, a Nagios line and a node_exporter textfile.
    Check(check::CheckArgs),
}

pub fn command() -> clap::Command {
    Cli::command()
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx) -> anyhow::Result<Outcome> {
    let cli = Cli::from_arg_matches(m)?;
    match &cli.cmd {
        Sub::Create(a) => create::run(a, ctx),
        Sub::List(a) => list::run(a, ctx),
        Sub::Rollback(a) => rollback::run(a, ctx),
        Sub::Policy(a) => policy::run(a, ctx),
        Sub::Check(a) => check::run(a, ctx),
    }
}

/// The flags of the commands that change something: create, policy set and rollback (which asks).
pub fn mutate(m: &clap::ArgMatches) -> anyhow::Result<Option<MutateArgs>> {
    Ok(match Cli::from_arg_matches(m)?.cmd {
        Sub::Create(a) => Some(a.mutate),
        Sub::Rollback(a) => Some(a.mutate.asking(a.ask)),
        Sub::Policy(policy::PolicyArgs { cmd: Some(policy::PolicySub::Set(s)), .. }) => Some(s.mutate),
        Sub::List(_) | Sub::Policy(_) | Sub::Check(_) => None,
    })
}
