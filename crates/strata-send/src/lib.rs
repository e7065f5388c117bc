//! strata-send: full, incremental and resumable ZFS replication to a file, a local dataset or
//! over ssh.
//!
//! The base is found by guid on both sides (one `zfs list` per side); every receive is resumable
//! (`zfs recv -s`) and an interrupted one is resumed from its token; after each send a bookmark of
//! the sent snapshot stays on the source, one per target, so the next incremental works even when
//! the snapshot itself has been pruned. strata sits in the data path between the two sides.

pub mod check;
pub mod endpoint;
pub mod pipe;
pub mod plan;
pub mod policy;
pub mod run;
pub mod state;
pub mod token;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use serde::Serialize;
use strata_core::cli::{CommonArgs, MutateArgs};
use strata_core::doc::{FieldDoc, ManDoc, RecordDoc};
use strata_core::exit;
use strata_core::output::Record;
use strata_core::{Ctx, Outcome, Tool};

pub const TOOL: Tool = Tool { name: "strata-send", command, run, mutate, doc: &DOC };

pub static DOC: ManDoc = ManDoc {
    examples: &[
        (
            "strata send tank/srv/docker/victim.org --to backup:tank/backup/victim.org",
            "Replicate the newest snapshot over ssh: in full the first time, then incrementally (every snapshot \
             in between), resuming an interrupted transfer first. Silent when all goes well.",
        ),
        (
            "strata send -r tank/srv --to backup/srv --lock",
            "Each dataset under tank/srv to the same place under backup/srv, each on its own (it resumes and \
             increments on its own).",
        ),
        (
            "strata send root@db1:tank/db --to tank/replicas/db1 --rate-limit 20M --progress json",
            "Pull from another host at most 20 MiB a second, with progress records on standard error.",
        ),
        (
            "strata snapshot list -r tank/srv | strata send --to backup:tank/backup/srv",
            "One send per dataset of the records: its newest listed snapshot, mapped under the target.",
        ),
        (
            "strata send tank/db@before-upgrade --to-file /srv/export/db.zfs",
            "The stream in a file, written under a temporary name and renamed when complete.",
        ),
        (
            "strata send tank/a --to backup/a --dry-run --json",
            "The mode, the base and the estimated size, and the exact command of each side on standard error; \
             nothing changes.",
        ),
        (
            "strata send --policy -r tank",
            "Each dataset under tank whose strata:send names a target, there; datasets without one are left alone, \
             and a value a delegated user could have written is refused and named.",
        ),
        (
            "strata send check -r tank --prometheus /var/lib/prometheus/node-exporter/strata-send.prom",
            "Which targets are behind (warn at twice the dataset's strata:snapshot interval, critical at four \
             times), for node_exporter.",
        ),
        (
            "strata send tank/a --to backup/a --force --confirm=backup/a",
            "The target has diverged: roll it back to the newest snapshot both share and destroy what only it has.",
        ),
    ],
    exit_status: &[
        (exit::SUCCESS, "Every send is done, or the target was already up to date. check: every target is in time."),
        (exit::NEGATIVE, "check: a target's newest snapshot is older than its warning age."),
        (
            exit::ERROR,
            "Bad input, or a send was refused (a diverged target, a stale resume token, a missing snapshot, a \
             strata:send value not set by root under --policy) or failed (the side and what it printed on standard \
             error are named; an ssh failure names the host). Nothing was destroyed; an interrupted receive stays \
             resumable. With several sends the others go on, and the run ends with 2. check: a target is older \
             than its critical age, was never sent to, or cannot be checked.",
        ),
        (exit::UNKNOWN, "check: the state is unknown (zfs or the state directory could not be read)."),
        (exit::LOCKED, "Another send to the same target, or another run holding --lock, is running."),
        (
            exit::INTERRUPTED,
            "Interrupted (SIGINT or SIGTERM): both sides were stopped; the partial receive is kept, and running \
             the same command again resumes it.",
        ),
    ],
    environment: &[(
        "STRATA_STATE_DIR",
        "Where each target's last successful send is recorded (send/*.json) for check; else systemd's \
             STATE_DIRECTORY, else /var/lib/strata.",
    )],
    records: &[&SEND_DOC, &PROGRESS_DOC, &check::CHECK_DOC],
};

/// `--progress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressArg {
    /// A bar on standard error when it is a terminal, nothing otherwise.
    Auto,
    /// Always a bar on standard error.
    Bar,
    /// Progress records on standard error: one at the start, at most one a second, one at the end.
    Json,
    /// No progress.
    None,
}

/// Replicate ZFS snapshots: resumable, never clobbering, keeping its incremental base.
#[derive(Debug, Parser)]
#[command(
    name = "strata-send",
    about = "Replicate ZFS snapshots to a dataset, over ssh or to a file: resumable, never clobbering",
    long_about = "Replicate ZFS snapshots to a dataset on this host, over ssh, or to a file.\n\n\
                  SOURCE is pool/ds, pool/ds@snap or [user@]host:pool/ds[@snap] (pull); without @snap the newest \
                  snapshot is sent. TARGET is pool/ds or [user@]host:pool/ds. Without SOURCE, snapshot records \
                  are read on standard input (from strata snapshot list): one send per dataset, of its newest \
                  listed snapshot, mapped under TARGET by its name relative to the records' common parent.\n\n\
                  The base is found by guid: the newest source snapshot (or bookmark) with the guid of the \
                  target's newest snapshot. A missing target is sent in full and received read-only and \
                  unmounted (-u -o readonly=on) unless --writable; otherwise every snapshot since the base is \
                  sent (-I), or only the newest (-i) with --no-intermediates or from a bookmark. Every receive is \
                  resumable (zfs recv -s): an interrupted one is resumed first (zfs send -t). A target whose \
                  newest snapshot the source does not have is refused, nothing destroyed, unless --force \
                  --confirm=TARGET_DATASET. After each send a bookmark DATASET#strata-send-HASH of the sent \
                  snapshot stays on the source, one per target, so the next incremental works after the snapshot \
                  is pruned. Encrypted sources are sent raw (-w). Remote commands run through ssh -o \
                  BatchMode=yes, quoted for the remote shell. strata moves the stream between the two sides \
                  (counting bytes, --rate-limit, progress); both sides die with it.\n\n\
                  --policy sends each DATASET (with -r, each descendant) whose strata:send property names a \
                  target, there (the dataset's name relative to where the value is set appended). A value \
                  received, or set where a delegated user may set user properties (zfs allow ... userprop), is \
                  refused: it would let that user choose where root sends. Never --force under --policy. \
                  check says which targets are behind.",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Top {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub cmd: Option<Sub>,
    #[command(flatten)]
    pub send: Cli,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Which replication targets are behind: the age of the newest snapshot each target has (by
    /// the bookmark strata-send left on the source), against the datasets' strata:snapshot interval.
    Check(check::CheckArgs),
}

/// What to send and how.
#[derive(Debug, Args)]
pub struct Cli {
    #[command(flatten)]
    pub mutate: MutateArgs,
    /// pool/ds, pool/ds@snap or [user@]host:pool/ds[@snap]; records on standard input when left out.
    /// With --policy: the datasets whose strata:send to follow.
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// The dataset to receive into: pool/ds or [user@]host:pool/ds.
    #[arg(long, value_name = "TARGET", required_unless_present_any = ["to_file", "policy"], conflicts_with = "to_file")]
    pub to: Option<String>,
    /// Send each dataset to the target its strata:send property names (only values set by root:
    /// local or inherited, on a dataset no delegated user may set user properties on).
    #[arg(long, conflicts_with_all = ["to", "to_file", "force", "confirm", "writable", "abort_resume"])]
    pub policy: bool,
    /// Write the stream (full) to this file, under a temporary name renamed when complete; - for
    /// standard output (records then go to standard error).
    #[arg(long, value_name = "PATH")]
    pub to_file: Option<std::path::PathBuf>,
    /// Send each descendant dataset too, each on its own, under TARGET by its relative name.
    #[arg(short, long, conflicts_with = "to_file")]
    pub recursive: bool,
    /// Send only the newest snapshot since the base (-i), not every one in between (-I).
    #[arg(long)]
    pub no_intermediates: bool,
    /// Send raw (-w) even when the source is not encrypted.
    #[arg(long, conflicts_with = "no_raw")]
    pub raw: bool,
    /// Send an encrypted source decrypted (the target then holds plaintext).
    #[arg(long)]
    pub no_raw: bool,
    /// Receive with zfs recv -F: roll a diverged target back to the newest snapshot both share,
    /// destroying what only the target has. Needs --confirm naming the target dataset.
    #[arg(long, requires = "confirm")]
    pub force: bool,
    /// The target dataset again, for --force.
    #[arg(long, value_name = "TARGET_DATASET", requires = "force")]
    pub confirm: Option<String>,
    /// Discard an interrupted receive on the target (zfs recv -A) and send as if it had never been.
    #[arg(long)]
    pub abort_resume: bool,
    /// Receive a new dataset writable and mounted (not -u -o readonly=on), to move a stack.
    #[arg(long)]
    pub writable: bool,
    /// An ssh option (-o OPT) for every ssh this run makes; repeatable.
    #[arg(long = "ssh-option", value_name = "OPT")]
    pub ssh_options: Vec<String>,
    /// At most this many bytes a second (20M, 512K).
    #[arg(long, value_name = "RATE", value_parser = rate)]
    pub rate_limit: Option<u64>,
    /// Progress on standard error.
    #[arg(long, value_enum, default_value_t = ProgressArg::Auto, value_name = "WHEN")]
    pub progress: ProgressArg,
}

fn rate(s: &str) -> Result<u64, String> {
    match strata_zfs::size::size(s)? {
        strata_zfs::size::Size::Bytes(b) if b > 0 => Ok(b),
        _ => Err(format!("invalid rate {s:?}: expected bytes a second above 0, e.g. 20M")),
    }
}

impl Cli {
    /// The one SOURCE of a send without --policy, if given.
    pub fn source(&self) -> anyhow::Result<Option<&str>> {
        match self.sources.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            [_, second, ..] => Err(exit::ExitError::usage(format!(
                "one SOURCE at a time ({second:?} is a second one); several datasets only with --policy, or -r"
            ))
            .into()),
        }
    }
}

pub fn command() -> clap::Command {
    Top::command()
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx) -> anyhow::Result<Outcome> {
    let top = Top::from_arg_matches(m)?;
    match &top.cmd {
        Some(Sub::Check(a)) => check::run(a, ctx),
        None => run::run(&top.send, ctx),
    }
}

/// Every send changes its target; check changes nothing.
pub fn mutate(m: &clap::ArgMatches) -> anyhow::Result<Option<MutateArgs>> {
    let top = Top::from_arg_matches(m)?;
    Ok(top.cmd.is_none().then_some(top.send.mutate))
}

/// One send: what was sent, from where, and how much.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SendRecord {
    pub r#type: &'static str,
    pub source: String,
    pub from: Option<String>,
    pub target: String,
    pub mode: plan::Mode,
    pub bytes: u64,
    pub seconds: f64,
    pub dry_run: bool,
}

pub static SEND_DOC: RecordDoc = RecordDoc {
    name: "send",
    about: "One send, printed when a format is given (--format, --json); with --to-file - on standard error.",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "always \"send\"" },
        FieldDoc { name: "source", ty: "string", doc: "the snapshot sent, [host:]pool/ds@snap" },
        FieldDoc {
            name: "from",
            ty: "string|null",
            doc: "the incremental base, [host:]pool/ds@snap or [host:]pool/ds#bookmark; null for a full send",
        },
        FieldDoc { name: "target", ty: "string", doc: "[host:]pool/ds, or the file" },
        FieldDoc { name: "mode", ty: "string", doc: "\"full\", \"incremental\", \"resume\" or \"up-to-date\"" },
        FieldDoc {
            name: "bytes",
            ty: "integer",
            doc: "the bytes of the stream; under --dry-run the zfs send -nP estimate",
        },
        FieldDoc { name: "seconds", ty: "number", doc: "how long the transfer took (0 under --dry-run)" },
        FieldDoc { name: "dry_run", ty: "boolean", doc: "true under --dry-run: nothing was sent" },
    ],
};

pub static PROGRESS_DOC: RecordDoc = RecordDoc {
    name: "progress",
    about: "With --progress json, on standard error: one at the start, at most one a second, one at the end.",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "always \"progress\"" },
        FieldDoc { name: "bytes", ty: "integer", doc: "bytes copied so far" },
        FieldDoc {
            name: "total",
            ty: "integer|null",
            doc: "the stream's size as zfs send -P prints it before the stream; null when unknown",
        },
        FieldDoc { name: "rate", ty: "integer", doc: "bytes a second since the start" },
    ],
};

impl Record for SendRecord {
    const KEY: &'static str = "target";

    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        Some(vec![
            (
                "mode",
                serde_json::to_value(self.mode).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
            ),
            ("source", self.source.clone()),
            ("from", self.from.clone().unwrap_or_default()),
            ("target", self.target.clone()),
            ("size", strata_zfs::size::human_size(self.bytes)),
            ("seconds", format!("{:.1}", self.seconds)),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_documented() {
        let r = SendRecord {
            r#type: "send",
            source: "tank/a@s".into(),
            from: None,
            target: "h:b/a".into(),
            mode: plan::Mode::UpToDate,
            bytes: 0,
            seconds: 0.0,
            dry_run: false,
        };
        strata_core::doc::check_nullable(&SEND_DOC, &r);
        assert_eq!(serde_json::to_value(&r).unwrap()["mode"], "up-to-date");
        let p = pipe::ProgressRecord { r#type: "progress", bytes: 0, total: None, rate: 0 };
        strata_core::doc::check_nullable(&PROGRESS_DOC, &p);
    }

    #[test]
    fn command_is_valid() {
        TOOL.full_command().debug_assert();
        assert_eq!(rate("20M"), Ok(20 << 20));
        assert!(rate("0").is_err() && rate("none").is_err() && rate("fast").is_err());
    }
}
