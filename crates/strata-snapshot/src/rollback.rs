//! `strata-snapshot rollback`: `zfs rollback -r`, after saying what will be lost.

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;
use strata_core::cli::{AskArgs, MutateArgs};
use strata_core::doc::{FieldDoc, RecordDoc};
use strata_core::exit::ExitError;
use strata_core::output::Record;
use strata_core::sanitize::for_terminal;
use strata_core::{Ctx, Outcome};
use strata_zfs::destroy;
use strata_zfs::name::SnapshotName;
use strata_zfs::snapshot::{self, SnapshotRecord};

#[derive(Debug, Clone, Args)]
pub struct RollbackArgs {
    /// The snapshot to roll back to, DATASET@NAME.
    #[arg(value_name = "DATASET@SNAP", add = strata_core::complete::snapshots())]
    pub snapshot: String,
    #[command(flatten)]
    pub mutate: MutateArgs,
    #[command(flatten)]
    pub ask: AskArgs,
}

/// What a rollback loses and what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollbackRecord {
    pub r#type: &'static str,
    pub snapshot: String,
    pub dataset: String,
    pub newer_snapshots: u64,
    pub changed_files: Option<u64>,
    pub result: RollbackResult,
}

/// What became of a rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RollbackResult {
    RolledBack,
    /// --dry-run: shown, not run.
    WouldRollBack,
    /// No --yes and no terminal answer, or a newer snapshot is held.
    Refused,
}

impl RollbackResult {
    pub fn as_str(self) -> &'static str {
        match self {
            RollbackResult::RolledBack => "rolled-back",
            RollbackResult::WouldRollBack => "would-roll-back",
            RollbackResult::Refused => "refused",
        }
    }
}

pub static ROLLBACK_DOC: RecordDoc = RecordDoc {
    name: "rollback",
    about: "rollback prints first a snapshot record for each newer snapshot that zfs rollback -r destroys, then this record.",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "always \"rollback\"" },
        FieldDoc { name: "snapshot", ty: "string", doc: "the snapshot rolled back to" },
        FieldDoc { name: "dataset", ty: "string", doc: "the dataset rolled back" },
        FieldDoc {
            name: "newer_snapshots",
            ty: "integer",
            doc: "how many newer snapshots are destroyed (listed before as snapshot records)",
        },
        FieldDoc {
            name: "changed_files",
            ty: "integer|null",
            doc: "how many files changed since the snapshot (lines of zfs diff); those changes are lost. null when zfs diff could not tell",
        },
        FieldDoc {
            name: "result",
            ty: "string",
            doc: "\"rolled-back\", \"would-roll-back\" (--dry-run) or \"refused\"",
        },
    ],
};

impl Record for RollbackRecord {
    const KEY: &'static str = "snapshot";
}

/// Says what a rollback loses, asks ([`Ctx::confirm`]) and rolls back. Like every action command
/// it prints records only when a format is given; on a terminal the newer snapshots are listed
/// on stderr before it asks, and `-v` says what was done.
pub fn run(args: &RollbackArgs, ctx: &mut Ctx) -> Result<Outcome> {
    let target = SnapshotName::parse(&args.snapshot).map_err(|e| ExitError::usage(e.to_string()))?;
    let full = target.to_string();
    let out = ctx.runner.run(&snapshot::list_command(std::slice::from_ref(&target.dataset), false))?;
    let all = snapshot::parse_list(&out.stdout)?;
    let Some(at) = all.iter().find(|r| r.snapshot == full) else {
        return Err(ExitError::usage(format!("no snapshot {}", for_terminal(&full))).into());
    };
    let key = |r: &SnapshotRecord| (r.createtxg, r.created);
    let newer: Vec<&SnapshotRecord> = all.iter().filter(|r| key(r) > key(at)).collect();
    let changed = match ctx.runner.stream(&destroy::diff_to_live_command(&full)) {
        Ok(mut r) => match destroy::count_lines(&mut r) {
            Ok(n) => Some(n),
            Err(e) => {
                ctx.info(format_args!("warning: cannot count the changed files: {e}"));
                None
            }
        },
        Err(e) => {
            ctx.info(format_args!("warning: cannot count the changed files: {e}"));
            None
        }
    };
    let records = ctx.format_given;
    if records {
        for r in &newer {
            ctx.out.write(*r)?;
        }
    }
    let mut rec = RollbackRecord {
        r#type: "rollback",
        snapshot: full.clone(),
        dataset: target.dataset.clone(),
        newer_snapshots: newer.len() as u64,
        changed_files: changed,
        result: RollbackResult::Refused,
    };
    let held: Vec<&str> = newer.iter().filter(|r| r.userrefs.unwrap_or(0) > 0).map(|r| r.snapshot.as_str()).collect();
    if !held.is_empty() {
        if records {
            ctx.out.write(&rec)?;
        }
        let names: Vec<String> = held.iter().map(|h| for_terminal(h).into_owned()).collect();
        return Err(ExitError::usage(format!(
            "refusing to roll back: a newer snapshot that zfs rollback -r would destroy is held: {} (see zfs holds)",
            names.join(", ")
        ))
        .into());
    }
    let summary = format!(
        "rolling back {} destroys {} newer snapshot(s) and loses {} changed file(s)",
        for_terminal(&target.dataset),
        newer.len(),
        changed.map_or_else(|| "an unknown number of".to_string(), |n| n.to_string())
    );
    if ctx.will_ask() {
        for r in &newer {
            ctx.info(format_args!("would destroy {}", for_terminal(&r.snapshot)));
        }
    }
    if let Err(e) = ctx.confirm(&format!("roll back to {}", for_terminal(&full)), &summary) {
        if records {
            ctx.out.write(&rec)?;
        }
        return Err(e);
    }
    let dry = ctx.dry_run();
    ctx.runner.run(&destroy::rollback_command(&full))?;
    rec.result = if dry { RollbackResult::WouldRollBack } else { RollbackResult::RolledBack };
    ctx.debug(if dry { format!("{summary} (--dry-run: nothing was done)") } else { summary });
    if records {
        // Every format carries both record types (and a failing stdout is reported by the main
        // body after the work), so what goes wrong here is only the record, never the rollback.
        ctx.out.write(&rec).with_context(|| {
            let (ds, to) = (for_terminal(&target.dataset), for_terminal(&full));
            if dry {
                format!("{ds} would be rolled back to {to} (--dry-run), but the rollback record cannot be written")
            } else {
                format!("{ds} was rolled back to {to}, but the rollback record cannot be written")
            }
        })?;
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use strata_core::clock::FixedClock;
    use strata_core::output::Format;
    use strata_core::runner::{FakeRunner, Output};
    use strata_zfs::fixtures;

    const LIST: &str = "t/a@s1\t1\t10\t1691452800\t0\t0\t0\n\
                        t/a@s2\t2\t11\t1691452801\t0\t0\t0\n\
                        t/a@s3\t3\t12\t1691452802\t0\t0\tHOLD\n";

    fn ctx(fake: FakeRunner, out: Box<dyn Write>, yes: bool) -> Ctx {
        ctx_in(fake, out, Format::Json, yes)
    }

    /// A context as the main body makes it for `rollback [--yes] --format F`.
    fn ctx_in(fake: FakeRunner, out: Box<dyn Write>, format: Format, yes: bool) -> Ctx {
        let mut c = Ctx::for_test(Box::new(fake), Box::new(FixedClock(jiff::Timestamp::UNIX_EPOCH)), out, format);
        c.format_given = true;
        c.mutate.yes = yes;
        c
    }

    fn args(s: &str) -> RollbackArgs {
        RollbackArgs { snapshot: s.into(), mutate: MutateArgs::default(), ask: AskArgs::default() }
    }

    #[test]
    fn refuses_without_yes_and_when_held() {
        let list = snapshot::list_command(&["t/a".into()], false).argv_strings();
        let diff = destroy::diff_to_live_command("t/a@s1").argv_strings();
        let fake = FakeRunner::new()
            .expect(&list, Output::ok(LIST.replace("HOLD", "1")))
            .expect(&diff, fixtures::output("2.3", "diff_S1_live"));
        let e = run(&args("t/a@s1"), &mut ctx(fake, Box::new(std::io::sink()), true)).unwrap_err();
        assert!(e.to_string().contains("is held: t/a@s3"), "{e}");

        let diff = destroy::diff_to_live_command("t/a@s2").argv_strings();
        let fake =
            FakeRunner::new().expect(&list, Output::ok(LIST.replace("HOLD", "0"))).expect(&diff, Output::ok("a\nb\n"));
        let e = run(&args("t/a@s2"), &mut ctx(fake, Box::new(std::io::sink()), false)).unwrap_err();
        assert_eq!(strata_core::exit::code_of(&e), 2);
        assert!(e.to_string().contains("destroys 1 newer snapshot(s) and loses 2 changed file(s)"), "{e}");
    }

    #[test]
    fn rolls_back_with_yes_and_says_what_was_lost() {
        let list = snapshot::list_command(&["t/a".into()], false).argv_strings();
        let diff = destroy::diff_to_live_command("t/a@s1").argv_strings();
        let fake = FakeRunner::new()
            .expect(&list, Output::ok(LIST.replace("HOLD", "0")))
            .expect(&diff, Output::ok("M\t/t/a/f\n"))
            .expect(&["zfs", "rollback", "-r", "t/a@s1"], Output::ok(""));
        let buf = strata_core::buf::SharedBuf::new();
        let mut c = ctx(fake, Box::new(buf.clone()), true);
        run(&args("t/a@s1"), &mut c).unwrap();
        c.out.finish().unwrap();
        let text = buf.text();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["snapshot"], "t/a@s2");
        assert_eq!(lines[1]["snapshot"], "t/a@s3");
        assert_eq!(
            lines[2],
            serde_json::json!({"type":"rollback","snapshot":"t/a@s1","dataset":"t/a","newer_snapshots":2,"changed_files":1,"result":"rolled-back"})
        );
        let rec = RollbackRecord {
            r#type: "rollback",
            snapshot: "x@y".into(),
            dataset: "x".into(),
            newer_snapshots: 0,
            changed_files: None,
            result: RollbackResult::Refused,
        };
        strata_core::doc::check_fields(&ROLLBACK_DOC, &rec);
    }

    #[test]
    fn every_format_carries_the_records_of_a_rollback() {
        for format in [Format::Json, Format::Csv, Format::Table, Format::Plain] {
            let list = snapshot::list_command(&["t/a".into()], false).argv_strings();
            let diff = destroy::diff_to_live_command("t/a@s1").argv_strings();
            let fake = FakeRunner::new()
                .expect(&list, Output::ok(LIST.replace("HOLD", "0")))
                .expect(&diff, Output::ok("M\t/t/a/f\n"))
                .expect(&["zfs", "rollback", "-r", "t/a@s1"], Output::ok(""));
            let mut c = ctx_in(fake, Box::new(std::io::sink()), format, true);
            assert_eq!(run(&args("t/a@s1"), &mut c).unwrap(), Outcome::Success, "{format:?}");
            c.out.finish().unwrap();
            assert_eq!(c.out.count(), 3, "{format:?}");
        }
    }

    #[test]
    fn result_spelling_is_as_str() {
        for r in [RollbackResult::RolledBack, RollbackResult::WouldRollBack, RollbackResult::Refused] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
    }
}
