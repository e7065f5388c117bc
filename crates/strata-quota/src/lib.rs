//! strata-quota: see, set and watch the space limits of ZFS datasets (quota, refquota,
//! reservation, refreservation) and their compression, from one `zfs list` call per run.

pub mod check;
pub mod report;
pub mod set;
pub mod users;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use strata_core::cli::{CommonArgs, MutateArgs};
use strata_core::doc::ManDoc;
use strata_core::exit;
use strata_core::{Ctx, Outcome, Tool};

pub const TOOL: Tool = Tool { name: "strata-quota", command, run, mutate, doc: &DOC };

pub const DOC: ManDoc = ManDoc {
    examples: &[
        (
            "strata-quota report -r zroot",
            "Space, limits and compression of every dataset of the pool, as a table on a terminal.",
        ),
        (
            "strata quota set zroot/root/var/log quota=10G compression=zstd",
            "Cap the logs at 10 GiB and compress them. Every value is checked first; one zfs set call sets both.",
        ),
        ("strata-quota set -n zroot/home/alice reservation=5G", "Show the zfs set command without running it."),
        (
            "*/5 * * * * root strata-quota check -r zroot --warn 80% --crit 95% --prometheus /var/lib/prometheus/node-exporter/strata_quota.prom >/dev/null",
            "The cron line for monitoring: a node_exporter textfile every five minutes, replaced atomically.",
        ),
        (
            "strata-quota check --nagios zroot/root/var/log --warn 80% --crit 95%",
            "A Nagios/Icinga check: one status line with perfdata, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
        ),
        ("strata-quota check -r zroot --format table", "The datasets at or above a threshold, for a person."),
        (
            "strata-quota users zroot/home --json | jq 'select(.used_bytes > 1e9)'",
            "Users and groups using more than 1 GB.",
        ),
    ],
    exit_status: &[
        (
            exit::SUCCESS,
            "report, set, users: success. check: every dataset with a quota or refquota is below --warn (or none has one).",
        ),
        (exit::NEGATIVE, "check: a dataset is at or above --warn, none at --crit."),
        (
            exit::ERROR,
            "check: a dataset is at or above --crit. Every subcommand: a usage mistake or a bad value (named in the \
             message; set then changed nothing); report, set, users: an error.",
        ),
        (
            exit::UNKNOWN,
            "check only: the state is unknown because of an error after the arguments were read (zfs failed, the \
             Prometheus file could not be written). check exits 3, not 2, on errors so that an error is never \
             mistaken for CRITICAL.",
        ),
    ],
    environment: &[],
    records: &[&report::QUOTA_DOC, &check::CHECK_DOC, &users::USER_DOC],
};

/// See, set and watch the space limits of ZFS datasets.
#[derive(Debug, Parser)]
#[command(
    name = "strata-quota",
    about = "See, set and watch ZFS quotas, reservations and compression",
    long_about = "See, set and watch the space limits of ZFS datasets: quota, refquota, reservation, refreservation, \
                  and their compression.\n\n\
                  Records carry exact byte counts (NDJSON and CSV); the table view shows sizes the way zfs list does."
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub cmd: Sub,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    /// One record per dataset: space used, limits, compression (one zfs list call).
    Report(report::ReportArgs),
    /// Set quota, refquota, reservation, refreservation, compression, userquota@, groupquota@ in one zfs set call.
    Set(set::SetArgs),
    /// For cron and monitoring: the datasets at or above a threshold of their quota; exit 0 ok, 1 warn, 2 crit, 3 unknown.
    Check(check::CheckArgs),
    /// Per-user and per-group usage and quotas of one dataset (zfs userspace, zfs groupspace).
    Users(users::UsersArgs),
}

/// Datasets to look at, shared by report and check.
#[derive(Debug, Clone, Args)]
pub struct Selection {
    /// Datasets (every dataset of every pool when none is given).
    #[arg(value_name = "DATASET", value_parser = strata_zfs::name::dataset_arg, add = strata_core::complete::datasets())]
    pub datasets: Vec<String>,
    /// Include the descendants of the given datasets.
    #[arg(short, long)]
    pub recursive: bool,
}

pub fn command() -> clap::Command {
    Cli::command()
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx) -> anyhow::Result<Outcome> {
    let cli = Cli::from_arg_matches(m)?;
    match cli.cmd {
        Sub::Report(a) => report::run(&a, ctx),
        Sub::Set(a) => set::run(&a, ctx),
        Sub::Check(a) => check::run(&a, ctx),
        Sub::Users(a) => users::run(&a, ctx),
    }
}

/// The flags of the command that changes something: set.
pub fn mutate(m: &clap::ArgMatches) -> anyhow::Result<Option<MutateArgs>> {
    Ok(match Cli::from_arg_matches(m)?.cmd {
        Sub::Set(a) => Some(a.mutate),
        Sub::Report(_) | Sub::Check(_) | Sub::Users(_) => None,
    })
}

/// Reads the space properties of `datasets` with one `zfs list` call.
pub(crate) fn read_space(
    ctx: &Ctx,
    datasets: &[String],
    recursive: bool,
) -> anyhow::Result<Vec<strata_zfs::quota::Space>> {
    use anyhow::Context;
    let cmd = strata_zfs::quota::space_command(datasets, recursive);
    let out = ctx.runner.run(&cmd)?;
    strata_zfs::quota::parse_space(&out.stdout).with_context(|| format!("reading the output of `{cmd}`"))
}

#[cfg(test)]
pub(crate) mod testutil {
    use strata_core::Ctx;
    use strata_core::clock::FixedClock;
    use strata_core::output::Format;
    use strata_core::runner::FakeRunner;

    pub use strata_core::buf::SharedBuf as Buf;

    /// `space_command`'s argv, written out: the golden start of every listing the tests expect.
    pub const LIST: &str = "zfs list -H -p -o name,used,avail,refer,quota,refquota,reservation,refreservation,usedbysnapshots,compression,compressratio";

    /// A context over `runner`, the clock at 2026-11-25T12:00:00Z, records into the returned buffer.
    pub fn ctx(runner: FakeRunner, format: Format) -> (Ctx, Buf) {
        let buf = Buf::default();
        let clock = FixedClock("2026-11-25T12:00:00Z".parse().unwrap());
        (Ctx::for_test(Box::new(runner), Box::new(clock), Box::new(buf.clone()), format), buf)
    }

    /// The real `list_space_r` fixture, in the columns of `space_command` (those it lacks unset).
    pub fn space_rows() -> Vec<u8> {
        let raw = String::from_utf8(strata_zfs::fixtures::stdout("2.3", "list_space_r")).unwrap();
        let mut out = String::new();
        for line in raw.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            let row = [f[0], f[1], f[2], f[3], f[4], "0", f[5], "0", "0", f[6], f[7]];
            out.push_str(&row.join("\t"));
            out.push('\n');
        }
        out.into_bytes()
    }

    /// Runs the tool's command line `args` (without the program name) against `ctx`.
    pub fn run(args: &[&str], ctx: &mut Ctx) -> anyhow::Result<strata_core::Outcome> {
        let m = crate::TOOL
            .full_command()
            .try_get_matches_from(std::iter::once("strata-quota").chain(args.iter().copied()))?;
        (crate::TOOL.run)(&m, ctx)
    }
}
