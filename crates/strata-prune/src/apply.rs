//! `strata-prune apply`: destroys what a plan marked `destroy`, after re-checking each snapshot
//! against one fresh `zfs list`, in batches per dataset.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use clap::Args;
use serde::{Deserialize, Serialize};
use strata_core::cli::{AskArgs, MutateArgs};
use strata_core::doc::{FieldDoc, RecordDoc};
use strata_core::exit::ExitError;
use strata_core::output::Record;
use strata_core::{Ctx, Outcome};
use strata_zfs::destroy;
use strata_zfs::destroy::Current;
use strata_zfs::listing::{self, Scope};
use strata_zfs::name::SnapshotName;

use crate::plan::{Action, OwnerKind};

#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub mutate: MutateArgs,
    #[command(flatten)]
    pub ask: AskArgs,
    /// Keep a bookmark (DATASET#NAME) of each snapshot before destroying it, so incremental sends
    /// from it still work.
    #[arg(long)]
    pub bookmark: bool,
}

/// A prune record as apply reads it: a JSON object whose `type` is "prune" (a positional array
/// or another record type is refused).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "serde_json::Map<String, serde_json::Value>")]
struct PruneInput {
    snapshot: String,
    guid: Option<String>,
    action: Action,
    owner: OwnerKind,
    owner_match: Option<String>,
}

#[derive(Deserialize)]
struct RawPruneInput {
    snapshot: String,
    #[serde(default, deserialize_with = "strata_zfs::snapshot::guid_string")]
    guid: Option<String>,
    action: Action,
    /// Plans written before `owner` existed owned managed snapshots only.
    #[serde(default = "managed")]
    owner: OwnerKind,
    #[serde(default)]
    owner_match: Option<String>,
}

fn managed() -> OwnerKind {
    OwnerKind::Managed
}

impl TryFrom<serde_json::Map<String, serde_json::Value>> for PruneInput {
    type Error = String;

    fn try_from(m: serde_json::Map<String, serde_json::Value>) -> Result<Self, String> {
        match m.get("type").and_then(|t| t.as_str()) {
            Some("prune") => {}
            Some(other) => {
                return Err(format!("expected a prune record (from strata prune plan), found type {other:?}"));
            }
            None => return Err("expected a prune record (from strata prune plan): no \"type\": \"prune\"".into()),
        }
        let r: RawPruneInput = serde_json::from_value(serde_json::Value::Object(m)).map_err(|e| e.to_string())?;
        if r.owner == OwnerKind::Match && r.owner_match.is_none() {
            return Err("owner is \"match\" but owner_match is missing".into());
        }
        Ok(PruneInput {
            snapshot: r.snapshot,
            guid: r.guid,
            action: r.action,
            owner: r.owner,
            owner_match: r.owner_match,
        })
    }
}

/// What became of a destroy batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DestroyResult {
    /// --dry-run: shown, not run.
    WouldDestroy,
    Destroyed,
    Failed,
}

impl DestroyResult {
    pub fn as_str(self) -> &'static str {
        match self {
            DestroyResult::WouldDestroy => "would-destroy",
            DestroyResult::Destroyed => "destroyed",
            DestroyResult::Failed => "failed",
        }
    }
}

/// One destroy batch: what apply did (or, under --dry-run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DestroyRecord {
    pub r#type: &'static str,
    pub dataset: String,
    pub command: String,
    pub snapshots: u64,
    pub reclaim_bytes: Option<u64>,
    pub result: DestroyResult,
    pub error: Option<String>,
}

pub static DESTROY_DOC: RecordDoc = RecordDoc {
    name: "destroy",
    about: "One zfs destroy batch of apply, printed when a format is given (--format, --json).",
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
            ("result", self.result.as_str().to_string()),
            ("snapshots", self.snapshots.to_string()),
            ("reclaim", self.reclaim_bytes.map(strata_zfs::size::human_size).unwrap_or_default()),
            ("command", self.command.clone()),
        ])
    }
}

/// A snapshot to destroy.
#[derive(Debug, Clone)]
struct Target {
    name: String,
    guid: Option<String>,
    owner: Owner,
}

/// Which snapshots the plan owned, as apply re-checks it.
#[derive(Debug, Clone)]
enum Owner {
    Managed,
    Matching(regex::Regex),
}

impl Owner {
    fn owns(&self, name: &str, now: &Current) -> bool {
        match self {
            Owner::Managed => now.managed,
            Owner::Matching(re) => re.is_match(name),
        }
    }
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
        // Gone already (someone else destroyed it, or an earlier run did): nothing to do. Only a
        // listing that succeeded says so; one that failed is an error before this point.
        return Some(("it no longer exists", false));
    };
    if let (Some(want), Some(got)) = (&t.guid, &now.guid)
        && want != got
    {
        return Some(("its guid changed since the plan (a new snapshot of the same name)", true));
    }
    if !t.owner.owns(&t.name, now) {
        return Some(("it is not owned (no strata:managed=on of its own, or not matching the plan's --match)", true));
    }
    if now.userrefs > 0 {
        return Some(("it is held (zfs holds)", true));
    }
    if newest.get(dataset) == Some(&full) {
        return Some(("it is now the newest snapshot of its dataset", true));
    }
    None
}

/// Reads the plan, asks ([`Ctx::confirm`]) and destroys. Like every action command it prints
/// records only when a format is given; `-v` says what each batch did (or would do, with the
/// space it would free).
pub fn run(args: &ApplyArgs, ctx: &mut Ctx) -> Result<Outcome> {
    let by_ds = read_targets(strata_core::input::stdin_records::<PruneInput>()?)?;
    if by_ds.is_empty() {
        return Ok(Outcome::Success);
    }
    let count: usize = by_ds.values().map(Vec::len).sum();
    ctx.confirm(
        "destroy snapshots",
        &format!(
            "the plan marks {count} snapshot(s) of {} dataset(s) destroy (--dry-run shows the commands and the \
             space they would free)",
            by_ds.len()
        ),
    )?;
    act(args, ctx, &by_ds)
}

/// The snapshots marked destroy, by dataset. Every record is read and checked before anything
/// is destroyed; two records for one snapshot are refused (one could say keep, the other destroy).
fn read_targets<R: std::io::BufRead>(
    mut records: strata_core::input::Records<PruneInput, R>,
) -> Result<BTreeMap<String, Vec<Target>>> {
    let mut by_ds: BTreeMap<String, Vec<Target>> = BTreeMap::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut regexes: HashMap<String, regex::Regex> = HashMap::new();
    while let Some(r) = records.next() {
        let r = r?;
        let line = records.line();
        let n = SnapshotName::parse(&r.snapshot).map_err(|e| ExitError::usage(format!("line {line}: {e}")))?;
        if let Some(first) = seen.insert(r.snapshot.clone(), line) {
            return Err(ExitError::usage(format!(
                "lines {first} and {line} both name {}: refusing to act on a plan with two records for one \
                     snapshot; nothing was destroyed",
                strata_core::sanitize::for_terminal(&r.snapshot)
            ))
            .into());
        }
        let owner = match (r.owner, r.owner_match) {
            (OwnerKind::Managed, _) => Owner::Managed,
            (OwnerKind::Match, Some(expr)) => {
                if !regexes.contains_key(&expr) {
                    let re = crate::plan::owner_regex(&expr)
                        .map_err(|e| ExitError::usage(format!("line {line}: owner_match: {e:#}")))?;
                    regexes.insert(expr.clone(), re);
                }
                Owner::Matching(regexes[&expr].clone())
            }
            (OwnerKind::Match, None) => unreachable_owner()?,
        };
        if r.action == Action::Destroy {
            by_ds.entry(n.dataset).or_default().push(Target { name: n.name, guid: r.guid, owner });
        }
    }
    Ok(by_ds)
}

/// `TryFrom` already refuses `owner: match` without `owner_match`.
fn unreachable_owner() -> Result<Owner> {
    Err(ExitError::usage("owner is \"match\" but owner_match is missing").into())
}

/// After SIGINT: says where the run stopped and ends it with 130 (checked before each batch, so
/// the batch in flight always finishes).
fn stopped(ctx: &Ctx, interrupted: &AtomicBool, dataset: &str, done: usize, total: usize) -> Option<Outcome> {
    if !interrupted.load(Ordering::SeqCst) {
        return None;
    }
    ctx.error(format_args!(
        "interrupted: stopped at {} ({done} of {total} datasets done); run the same plan again to finish",
        strata_core::sanitize::for_terminal(dataset)
    ));
    Some(Outcome::Code(strata_core::exit::INTERRUPTED))
}

/// A dataset the re-check could not list, and why.
type Unreadable = (String, String);

/// The snapshots of `datasets` as they are now, and the datasets whose listing failed for another
/// reason than not existing (their snapshots are left alone, and the run fails).
fn fresh_listing(ctx: &Ctx, datasets: &[String]) -> Result<(Vec<Current>, Vec<Unreadable>)> {
    let runner = ctx.runner.as_ref();
    let json = listing::has_json(runner);
    let all = listing::list_as(runner, Scope::Datasets { datasets, recursive: false }, json);
    let mut unreadable = Vec::new();
    let records = match all {
        Ok(l) => {
            unreadable.extend(l.bad.into_iter().map(|b| (b.dataset, b.reason)));
            l.records
        }
        Err(_) => {
            // One dataset gone makes zfs list fail for all: ask each alone.
            let mut v = Vec::new();
            for ds in datasets {
                let one = Scope::Datasets { datasets: std::slice::from_ref(ds), recursive: false };
                match listing::list_as(runner, one, json) {
                    Ok(l) => {
                        unreadable.extend(l.bad.into_iter().map(|b| (b.dataset, b.reason)));
                        v.extend(l.records);
                    }
                    Err(e) => match destroy::dataset_gone(runner, ds) {
                        Ok(true) => {}
                        Ok(false) => unreadable.push((ds.clone(), e.to_string())),
                        Err(e2) => unreadable.push((ds.clone(), format!("{e}; and then: {e2}"))),
                    },
                }
            }
            v
        }
    };
    let current = records
        .into_iter()
        .map(|r| Current {
            managed: r.managed == Some(true),
            snapshot: r.snapshot,
            guid: r.guid,
            createtxg: r.createtxg,
            userrefs: r.userrefs.unwrap_or(0),
        })
        .collect();
    Ok((current, unreadable))
}

fn act(args: &ApplyArgs, ctx: &mut Ctx, by_ds: &BTreeMap<String, Vec<Target>>) -> Result<Outcome> {
    let dry = ctx.dry_run();
    let datasets: Vec<String> = by_ds.keys().cloned().collect();

    // One fresh listing of every dataset involved, just before acting.
    let (fresh_records, unreadable) = fresh_listing(ctx, &datasets)?;
    let unreadable: HashMap<String, String> = unreadable.into_iter().collect();
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
    let interrupted = Arc::new(AtomicBool::new(false));
    // Ctrl-C ends the run after the batch in flight, never inside the loop that decides.
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&interrupted));
    let total_batches = by_ds.len();
    for (done, (dataset, targets)) in by_ds.iter().enumerate() {
        if let Some(stop) = stopped(ctx, &interrupted, dataset, done, total_batches) {
            return Ok(stop);
        }
        if let Some(why) = unreadable.get(dataset) {
            failed = true;
            ctx.error(format_args!(
                "the snapshots of {} are left alone: the re-check could not list them: {}",
                strata_core::sanitize::for_terminal(dataset),
                strata_core::sanitize::for_terminal(why)
            ));
            continue;
        }
        let mut names: Vec<&str> = Vec::new();
        for t in targets {
            let full = format!("{dataset}@{}", t.name);
            if let Some((why, is_failure)) = recheck(t, &full, &fresh, &newest, dataset) {
                failed |= is_failure;
                if is_failure {
                    ctx.error(format_args!("{}: left alone: {why}", strata_core::sanitize::for_terminal(&full)));
                } else {
                    ctx.info(format_args!("{}: left alone: {why}", strata_core::sanitize::for_terminal(&full)));
                }
                continue;
            }
            if args.bookmark {
                let mark = format!("{dataset}#{}", t.name);
                let guid = fresh.get(full.as_str()).and_then(|r| r.guid.clone());
                match bookmarks.get(&mark) {
                    Some(g) if *g == guid => {}
                    Some(_) => {
                        failed = true;
                        ctx.error(format_args!(
                            "{}: left alone: bookmark {} exists for another snapshot",
                            strata_core::sanitize::for_terminal(&full),
                            strata_core::sanitize::for_terminal(&mark)
                        ));
                        continue;
                    }
                    None => {
                        if let Err(e) = ctx.runner.run(&destroy::bookmark_command(dataset, &t.name)) {
                            failed = true;
                            ctx.error(format_args!(
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
            if let Some(stop) = stopped(ctx, &interrupted, dataset, done, total_batches) {
                return Ok(stop);
            }
            let cmd = destroy::destroy_command(dataset, &batch);
            let mut rec = DestroyRecord {
                r#type: "destroy",
                dataset: dataset.clone(),
                command: cmd.display(),
                snapshots: batch.len() as u64,
                reclaim_bytes: None,
                result: DestroyResult::Destroyed,
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
                rec.result = DestroyResult::WouldDestroy;
            }
            if let Err(e) = ctx.runner.run(&cmd) {
                failed = true;
                ctx.error(&e);
                rec.result = DestroyResult::Failed;
                rec.error = Some(e.to_string());
            }
            if rec.error.is_none() {
                let freed = rec.reclaim_bytes.map(|b| format!(", freeing {}", strata_zfs::size::human_size(b)));
                ctx.debug(format_args!(
                    "{} {} snapshot(s) of {}{}",
                    if dry { "would destroy" } else { "destroyed" },
                    rec.snapshots,
                    strata_core::sanitize::for_terminal(dataset),
                    freed.unwrap_or_default()
                ));
            }
            if ctx.format_given {
                ctx.out.write(&rec)?;
            }
        }
    }
    if interrupted.load(Ordering::SeqCst) {
        ctx.error("interrupted after the last batch: every batch ran");
        return Ok(Outcome::Code(strata_core::exit::INTERRUPTED));
    }
    Ok(if failed { Outcome::Code(strata_core::exit::ERROR) } else { Outcome::Success })
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
            result: DestroyResult::WouldDestroy,
            error: None,
        };
        strata_core::doc::check_fields(&DESTROY_DOC, &r);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["result"], "would-destroy");
        for (v, want) in [(DestroyResult::Destroyed, "destroyed"), (DestroyResult::Failed, "failed")] {
            assert_eq!(serde_json::to_value(v).unwrap(), want);
            assert_eq!(v.as_str(), want);
        }
    }
}
