//! `strata-prune apply`: destroys what a plan marked `destroy`, after re-checking each snapshot
//! against one fresh `zfs list`, in batches per dataset.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::{Context, Result};
use clap::Args;
use serde::{Deserialize, Serialize};
use strata_core::cli::MutateArgs;
use strata_core::doc::{FieldDoc, RecordDoc};
use strata_core::output::Record;
use strata_core::{Ctx, Outcome};
use strata_zfs::destroy;
use strata_zfs::destroy::Current;
use strata_zfs::name::SnapshotName;

use crate::plan::Action;

#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub mutate: MutateArgs,
    /// Keep a bookmark (DATASET#NAME) of each snapshot before destroying it, so incremental sends
    /// from it still work.
    #[arg(long)]
    pub bookmark: bool,
}

/// A prune record as apply reads it.
#[derive(Debug, Clone, Deserialize)]
struct PruneInput {
    snapshot: String,
    #[serde(default, deserialize_with = "strata_zfs::snapshot::guid_string")]
    guid: Option<String>,
    action: Action,
}

/// One destroy batch: what apply did (or, under --dry-run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DestroyRecord {
    pub r#type: &'static str,
    pub dataset: String,
    pub command: String,
    pub snapshots: u64,
    pub reclaim_bytes: Option<u64>,
    pub result: &'static str,
    pub error: Option<String>,
}

pub static DESTROY_DOC: RecordDoc = RecordDoc {
    name: "destroy",
    about: "One zfs destroy batch of apply, printed under --dry-run or when --format is given.",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "always \"destroy\"" },
        FieldDoc { name: "dataset", ty: "string", doc: "the dataset whose snapshots the batch destroys" },
        FieldDoc {
            name: "command",
            ty: "string",
            doc: "the exact command, as a shell would take it (zfs destroy DATASET@a,b,c)",
        },
        FieldDoc { name: "snapshots", ty: "integer", doc: "how many snapshots the batch names" },
        FieldDoc {
            name: "reclaim_bytes",
            ty: "integer|null",
            doc: "under --dry-run: the space the batch would free (zfs destroy -nvp); null otherwise",
        },
        FieldDoc { name: "result", ty: "string", doc: "\"would-destroy\" (--dry-run), \"destroyed\" or \"failed\"" },
        FieldDoc {
            name: "error",
            ty: "string|null",
            doc: "why the batch failed (the command's exit code and standard error)",
        },
    ],
};

impl Record for DestroyRecord {
    const KEY: &'static str = "command";

    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        Some(vec![
            ("result", self.result.to_string()),
            ("snapshots", self.snapshots.to_string()),
            ("reclaim", self.reclaim_bytes.map(strata_core::parse::human_size).unwrap_or_default()),
            ("command", self.command.clone()),
        ])
    }
}

/// A snapshot to destroy.
#[derive(Debug, Clone)]
struct Target {
    name: String,
    guid: Option<String>,
}

/// Why a snapshot marked destroy was left alone at the last moment.
fn recheck(
    t: &Target,
    full: &str,
    fresh: &HashMap<&str, &Current>,
    newest: &HashMap<&str, &str>,
    dataset: &str,
) -> Option<(&'static str, bool)> {
    let Some(now) = fresh.get(full) else {
        // Gone already (someone else destroyed it, or an earlier run did): nothing to do.
        return Some(("it no longer exists", false));
    };
    if let (Some(want), Some(got)) = (&t.guid, &now.guid)
        && want != got
    {
        return Some(("its guid changed since the plan (a new snapshot of the same name)", true));
    }
    if now.userrefs > 0 {
        return Some(("it is held (zfs holds)", true));
    }
    if newest.get(dataset) == Some(&full) {
        return Some(("it is now the newest snapshot of its dataset", true));
    }
    None
}

pub fn run(args: &ApplyArgs, ctx: &mut Ctx, show_records: bool) -> Result<Outcome> {
    let dry = args.mutate.dry_run || ctx.runner.dry_run();
    if !args.mutate.yes && !dry {
        return Err(strata_core::exit::ExitError::new(
            2,
            "refusing to destroy snapshots without --yes (use --dry-run to see the commands and the space they would free)",
        )
        .into());
    }
    let by_ds = read_targets(strata_core::input::stdin_records::<PruneInput>()?)?;
    act(args, ctx, show_records, dry, &by_ds)
}

/// The snapshots marked destroy, by dataset, each once.
fn read_targets<E: Into<anyhow::Error>>(
    records: impl Iterator<Item = Result<PruneInput, E>>,
) -> Result<BTreeMap<String, Vec<Target>>> {
    let mut by_ds: BTreeMap<String, Vec<Target>> = BTreeMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    for r in records {
        let r = r.map_err(Into::into)?;
        if r.action != Action::Destroy || !seen.insert(r.snapshot.clone()) {
            continue;
        }
        let n = SnapshotName::parse(&r.snapshot).with_context(|| format!("prune record for {:?}", r.snapshot))?;
        by_ds.entry(n.dataset).or_default().push(Target { name: n.name, guid: r.guid });
    }
    Ok(by_ds)
}

/// Runs a mutating command; under --dry-run only the dry-run runner shows it.
fn mutate(ctx: &Ctx, dry: bool, cmd: &strata_core::runner::Cmd) -> Result<(), strata_core::runner::RunError> {
    if dry && !ctx.runner.dry_run() {
        ctx.info(format_args!("dry-run: {cmd}"));
        return Ok(());
    }
    ctx.runner.run(cmd).map(|_| ())
}

fn act(
    args: &ApplyArgs,
    ctx: &mut Ctx,
    show_records: bool,
    dry: bool,
    by_ds: &BTreeMap<String, Vec<Target>>,
) -> Result<Outcome> {
    if by_ds.is_empty() {
        return Ok(Outcome::Success);
    }
    let datasets: Vec<String> = by_ds.keys().cloned().collect();

    // One fresh listing of every dataset involved, just before acting.
    let list = destroy::recheck_command(&datasets);
    let out = ctx.runner.output(&list)?;
    if !out.success() {
        ctx.info(format_args!(
            "warning: `{}` failed for some datasets (their snapshots are left alone): {}",
            list.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let fresh_records = destroy::parse_recheck(&out.stdout).context("reading the fresh zfs list")?;
    let fresh: HashMap<&str, &Current> = fresh_records.iter().map(|r| (r.snapshot.as_str(), r)).collect();
    let mut newest: HashMap<&str, (Option<u64>, &str)> = HashMap::new();
    for r in &fresh_records {
        let ds = r.snapshot.split_once('@').map_or("", |(d, _)| d);
        let e = newest.entry(ds).or_insert((r.createtxg, r.snapshot.as_str()));
        if r.createtxg >= e.0 {
            *e = (r.createtxg, r.snapshot.as_str());
        }
    }
    let newest: HashMap<&str, &str> = newest.into_iter().map(|(d, (_, s))| (d, s)).collect();
    let bookmarks: HashMap<String, Option<String>> = if args.bookmark {
        let cmd = destroy::list_bookmarks_command(&datasets);
        let out = ctx.runner.output(&cmd)?;
        destroy::parse_bookmarks(&out.stdout).context("reading the bookmark list")?.into_iter().collect()
    } else {
        HashMap::new()
    };

    let mut failed = false;
    for (dataset, targets) in by_ds {
        let mut names: Vec<&str> = Vec::new();
        for t in targets {
            let full = format!("{dataset}@{}", t.name);
            if let Some((why, is_failure)) = recheck(t, &full, &fresh, &newest, dataset) {
                failed |= is_failure;
                ctx.info(format_args!("{}: left alone: {why}", strata_core::sanitize::for_terminal(&full)));
                continue;
            }
            if args.bookmark {
                let mark = format!("{dataset}#{}", t.name);
                let guid = fresh.get(full.as_str()).and_then(|r| r.guid.clone());
                match bookmarks.get(&mark) {
                    Some(g) if *g == guid => {}
                    Some(_) => {
                        failed = true;
                        ctx.info(format_args!(
                            "{}: left alone: bookmark {} exists for another snapshot",
                            strata_core::sanitize::for_terminal(&full),
                            strata_core::sanitize::for_terminal(&mark)
                        ));
                        continue;
                    }
                    None => {
                        if let Err(e) = mutate(ctx, dry, &destroy::bookmark_command(dataset, &t.name)) {
                            failed = true;
                            ctx.info(format_args!(
                                "{}: left alone: cannot bookmark it: {e}",
                                strata_core::sanitize::for_terminal(&full)
                            ));
                            continue;
                        }
                    }
                }
            }
            names.push(&t.name);
        }
        for batch in destroy::batches(dataset, &names, destroy::MAX_BATCH_ARG) {
            let cmd = destroy::destroy_command(dataset, &batch);
            let mut rec = DestroyRecord {
                r#type: "destroy",
                dataset: dataset.clone(),
                command: cmd.display(),
                snapshots: batch.len() as u64,
                reclaim_bytes: None,
                result: "destroyed",
                error: None,
            };
            if dry {
                let preview = destroy::destroy_dry_command(dataset, &batch);
                match ctx
                    .runner
                    .run(&preview)
                    .map_err(anyhow::Error::from)
                    .and_then(|o| Ok(destroy::parse_destroy_preview(&o.stdout)?))
                {
                    Ok(p) => rec.reclaim_bytes = p.reclaim_bytes,
                    Err(e) => ctx.info(format_args!("warning: cannot estimate the space freed: {e:#}")),
                }
                rec.result = "would-destroy";
            }
            if let Err(e) = mutate(ctx, dry, &cmd) {
                failed = true;
                ctx.info(format_args!("error: {e}"));
                rec.result = "failed";
                rec.error = Some(e.to_string());
            }
            if show_records || dry {
                ctx.out.write(&rec)?;
            }
        }
    }
    Ok(if failed { Outcome::Code(1) } else { Outcome::Success })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destroy_record_is_documented() {
        let r = DestroyRecord {
            r#type: "destroy",
            dataset: "tank/a".into(),
            command: "zfs destroy tank/a@x,y".into(),
            snapshots: 2,
            reclaim_bytes: Some(25600),
            result: "would-destroy",
            error: None,
        };
        strata_core::doc::check_fields(&DESTROY_DOC, &r);
    }
}
