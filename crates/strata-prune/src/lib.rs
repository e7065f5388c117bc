//! strata-prune: plan which snapshots go by borg prune's rules, then destroy them safely.
//!
//! `plan` reads snapshot records and prints one prune record per snapshot (keep or destroy, with
//! the reasons); `apply` reads those records back, re-checks each snapshot just before acting and
//! destroys them in batches per dataset.

pub mod apply;
pub mod plan;
pub mod policy;
pub mod rules;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use strata_core::cli::{CommonArgs, MutateArgs};
use strata_core::doc::ManDoc;
use strata_core::exit;
use strata_core::{Ctx, Outcome, Tool};

pub const TOOL: Tool = Tool { name: "strata-prune", command, run, mutate, doc: &DOC };

pub static DOC: ManDoc = ManDoc {
    examples: &[
        (
            "strata snapshot list -r tank | strata prune plan --keep-daily 7 | strata prune apply --yes",
            "The cron line: keep the newest snapshot of each of the last 7 days of every dataset of tank \
             (only those strata made), destroy the rest. Silent when all goes well.",
        ),
        (
            "strata prune plan -r tank --keep-within 2d --keep-daily 14 --keep-weekly 8 --keep-monthly 12 --format table",
            "What a typical schedule would keep and destroy, and why, for a person.",
        ),
        (
            "strata prune plan -r tank --keep-daily 7 --keep-weekly 4 --format timeline",
            "The same at a glance: a row per dataset, a column per day, week or month, # kept, x destroyed.",
        ),
        (
            "strata prune plan -r tank --match '^zfs-auto-snap_' --keep-hourly 24 --keep-daily 30 | strata prune apply --dry-run --format table",
            "Adopt snapshots made by another tool; show the exact zfs destroy commands and the space each would free.",
        ),
        (
            "strata snapshot list -r backup/tank > target.ndjson; strata prune plan -r tank --keep-daily 7 --protect target.ndjson | strata prune apply --yes --bookmark",
            "Never destroy the newest snapshot the backup also has, and keep a bookmark of each destroyed snapshot.",
        ),
    ],
    exit_status: &[
        (
            exit::SUCCESS,
            "plan: the plan was printed. apply: every snapshot marked destroy is gone (or was already gone).",
        ),
        (
            exit::ERROR,
            "Bad input (the line is named), two records for one snapshot, no keep rule, or apply refused (no \
             --yes and no terminal to ask on, or not confirmed): nothing was destroyed. Or: plan left out a \
             dataset whose snapshots could not be read safely (the others are planned); apply could not destroy everything: a destroy failed, the re-check could not \
             list a dataset, or a snapshot was left alone because it changed since the plan (held, a new guid, now the \
             newest, no longer owned); the others were destroyed. The messages on standard error say which.",
        ),
        (
            exit::INTERRUPTED,
            "apply was interrupted (SIGINT): the batch in flight finished, no other started; run the plan again.",
        ),
    ],
    environment: &[],
    records: &[&strata_zfs::snapshot::SNAPSHOT_DOC, &plan::PRUNE_DOC, &apply::DESTROY_DOC],
};

/// Plan which snapshots go by borg prune's rules, then destroy them safely.
#[derive(Debug, Parser)]
#[command(
    name = "strata-prune",
    about = "Plan which snapshots to destroy by borg prune's rules, then destroy them safely",
    long_about = "Plan which snapshots to destroy by borg prune's keep rules, then destroy them safely.\n\n\
                  plan reads snapshot records (from `strata snapshot list`) and prints one prune record per snapshot: \
                  keep or destroy, with the reasons. The keep rules follow borg prune's semantics per dataset, in UTC: \
                  within, last, hourly, daily, weekly (ISO weeks), monthly, yearly. Only owned snapshots are candidates \
                  (made by strata, or matching --match); a held snapshot, the newest snapshot of a dataset and the \
                  newest one shared with a replication target (--protect) are never destroyed.\n\n\
                  apply reads the prune records, re-checks each snapshot marked destroy with one fresh zfs list, and \
                  destroys them in batches per dataset (zfs destroy -v -p DATASET@a,b,c, whose reclaim figure is the \
                  space freed). On a terminal it shows a progress bar on standard error and ends with one line saying \
                  what it did (destroyed 1,430 snapshots in 2 batches, 1.40T freed); in a pipe or under cron it is \
                  silent unless -v, which also shows each zfs command and its time; -q shows neither."
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub cmd: Sub,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    /// One prune record per snapshot: keep or destroy, and why.
    Plan(plan::PlanArgs),
    /// Destroy the snapshots a plan marked destroy (reads prune records on standard input).
    Apply(apply::ApplyArgs),
}

pub fn command() -> clap::Command {
    Cli::command()
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx) -> anyhow::Result<Outcome> {
    let cli = Cli::from_arg_matches(m)?;
    match &cli.cmd {
        Sub::Plan(a) => plan::run(a, ctx),
        Sub::Apply(a) => apply::run(a, ctx),
    }
}

/// The flags of the command that changes something: apply (which asks).
pub fn mutate(m: &clap::ArgMatches) -> anyhow::Result<Option<MutateArgs>> {
    Ok(match Cli::from_arg_matches(m)?.cmd {
        Sub::Apply(a) => Some(a.mutate.asking(a.ask)),
        Sub::Plan(_) => None,
    })
}
