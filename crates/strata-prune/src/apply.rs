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
use strata_core::progress::Progress;
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
    /// from it still work. One zfs bookmark per snapshot: the command makes one bookmark per call
    /// (it ignores further pairs), unlike zfs destroy, which takes a whole batch.
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
            doc: "the exact command, as a shell would take it (zfs destroy -v -p DATASET@a,b,c)",
        },
        FieldDoc { name: "snapshots", ty: "integer", doc: "how many snapshots the batch names" },
        FieldDoc {
            name: "reclaim_bytes",
            ty: "integer|null",
            doc: "the space the batch freed, as zfs destroy -v -p reported it (under --dry-run: would free, from \
                  zfs destroy -nvp); null when zfs gave no figure or the batch failed",
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

    let total: u64 = by_ds.values().map(|v| v.len() as u64).sum();
    let progress = Progress::for_ctx(ctx, total, "snapshots");
    let mut tally = Tally::default();
    let seen = Seen { fresh: &fresh, newest: &newest, unreadable: &unreadable, bookmarks: &bookmarks };
    let outcome = destroy_all(args, ctx, by_ds, &seen, &progress, &mut tally);
    drop(progress);
    if !ctx.quiet && (ctx.stderr_is_terminal || ctx.verbose > 0) {
        ctx.info(tally.summary(dry, args.bookmark));
    }
    outcome
}

/// What the re-check found, for [`destroy_all`].
struct Seen<'a> {
    fresh: &'a HashMap<&'a str, &'a Current>,
    newest: &'a HashMap<&'a str, &'a str>,
    unreadable: &'a HashMap<String, String>,
    bookmarks: &'a HashMap<String, Option<String>>,
}

/// What a run did, for its one-line summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Tally {
    /// Snapshots destroyed (would be, under --dry-run), and in how many batches.
    destroyed: u64,
    batches: u64,
    failed_batches: u64,
    /// The sum of the batches' reclaim figures, and whether a batch had none.
    freed: u64,
    freed_unknown: bool,
    bookmarks: u64,
    left_alone: u64,
}

impl Tally {
    /// "destroyed 1,430 snapshots in 2 batches, 1.40T freed" and what else happened.
    fn summary(&self, dry: bool, bookmark: bool) -> String {
        let mut s = format!(
            "{} {} in {}",
            if dry { "would destroy" } else { "destroyed" },
            counted(self.destroyed, "snapshot", "snapshots"),
            counted(self.batches, "batch", "batches")
        );
        if self.batches > 0 && !(self.freed_unknown && self.freed == 0) {
            let at_least = if self.freed_unknown { "at least " } else { "" };
            let size = bytes(self.freed);
            s.push_str(&if dry {
                format!(", would free {at_least}{size}")
            } else {
                format!(", {at_least}{size} freed")
            });
        }
        if bookmark {
            s.push_str(&format!(
                "; {} {}",
                counted(self.bookmarks, "bookmark", "bookmarks"),
                if dry { "would be made" } else { "made" }
            ));
        }
        if self.left_alone > 0 {
            s.push_str(&format!("; {} left alone", thousands(self.left_alone)));
        }
        if self.failed_batches > 0 {
            s.push_str(&format!("; {} failed", counted(self.failed_batches, "batch", "batches")));
        }
        s
    }
}

/// `1,430` (a comma every three digits).
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 snapshot`, `1,430 snapshots`.
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// A size as ZFS shows it (`1.40T`), with a unit below 1 KiB too (`512B`).
fn bytes(n: u64) -> String {
    if n < 1024 { format!("{n}B") } else { strata_zfs::size::human_size(n) }
}

/// The bookmarks and destroy batches of every dataset, counted in `tally` as they go.
fn destroy_all(
    args: &ApplyArgs,
    ctx: &mut Ctx,
    by_ds: &BTreeMap<String, Vec<Target>>,
    seen: &Seen<'_>,
    progress: &Progress,
    tally: &mut Tally,
) -> Result<Outcome> {
    let dry = ctx.dry_run();
    let mut failed = false;
    let interrupted = Arc::new(AtomicBool::new(false));
    // Ctrl-C ends the run after the batch in flight, never inside the loop that decides.
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&interrupted));
    let total_batches = by_ds.len();
    for (done, (dataset, targets)) in by_ds.iter().enumerate() {
        let shown_ds = strata_core::sanitize::for_terminal(dataset).into_owned();
        if let Some(stop) = stopped(ctx, &interrupted, dataset, done, total_batches) {
            return Ok(stop);
        }
        if let Some(why) = seen.unreadable.get(dataset) {
            failed = true;
            ctx.error(format_args!(
                "the snapshots of {shown_ds} are left alone: the re-check could not list them: {}",
                strata_core::sanitize::for_terminal(why)
            ));
            tally.left_alone += targets.len() as u64;
            progress.inc(targets.len() as u64);
            continue;
        }
        progress.set_message(format!("re-checking {shown_ds}"));
        let mut names: Vec<&str> = Vec::new();
        let mut marked = 0u64;
        for t in targets {
            let full = format!("{dataset}@{}", t.name);
            let left_alone = |tally: &mut Tally| {
                tally.left_alone += 1;
                progress.inc(1);
            };
            if let Some((why, is_failure)) = recheck(t, &full, seen.fresh, seen.newest, dataset) {
                failed |= is_failure;
                if is_failure {
                    ctx.error(format_args!("{}: left alone: {why}", strata_core::sanitize::for_terminal(&full)));
                } else {
                    ctx.info(format_args!("{}: left alone: {why}", strata_core::sanitize::for_terminal(&full)));
                }
                left_alone(tally);
                continue;
            }
            if args.bookmark {
                let mark = format!("{dataset}#{}", t.name);
                let guid = seen.fresh.get(full.as_str()).and_then(|r| r.guid.clone());
                match seen.bookmarks.get(&mark) {
                    Some(g) if *g == guid => {}
                    Some(_) => {
                        failed = true;
                        ctx.error(format_args!(
                            "{}: left alone: bookmark {} exists for another snapshot",
                            strata_core::sanitize::for_terminal(&full),
                            strata_core::sanitize::for_terminal(&mark)
                        ));
                        left_alone(tally);
                        continue;
                    }
                    None => {
                        // One `zfs bookmark` per snapshot: the command takes one pair (see
                        // destroy::bookmark_command); the bar's message counts them.
                        marked += 1;
                        progress.set_message(format!(
                            "bookmarking {shown_ds}: {}/{}",
                            thousands(marked),
                            thousands(targets.len() as u64)
                        ));
                        if let Err(e) = ctx.runner.run(&destroy::bookmark_command(dataset, &t.name)) {
                            failed = true;
                            ctx.error(format_args!(
                                "{}: left alone: cannot bookmark it: {e}",
                                strata_core::sanitize::for_terminal(&full)
                            ));
                            left_alone(tally);
                            continue;
                        }
                        tally.bookmarks += 1;
                    }
                }
            }
            names.push(&t.name);
        }
        for batch in destroy::batches(dataset, &names, destroy::MAX_BATCH_ARG) {
            if let Some(stop) = stopped(ctx, &interrupted, dataset, done, total_batches) {
                return Ok(stop);
            }
            progress.set_message(format!(
                "{} {} of {shown_ds}",
                if dry { "would destroy" } else { "destroying" },
                thousands(batch.len() as u64)
            ));
            let cmd = destroy::destroy_command(dataset, &batch);
            let mut rec = DestroyRecord {
                r#type: "destroy",
                dataset: dataset.clone(),
                command: cmd.display(),
                snapshots: batch.len() as u64,
                reclaim_bytes: None,
                result: if dry { DestroyResult::WouldDestroy } else { DestroyResult::Destroyed },
                error: None,
            };
            // The space freed: under --dry-run from `zfs destroy -nvp`, otherwise from what the
            // destroy itself printed (-v -p).
            let reclaim = |out: &[u8]| destroy::parse_destroy_preview(out).map(|p| p.reclaim_bytes);
            if dry {
                let preview = destroy::destroy_dry_command(dataset, &batch);
                match ctx.runner.run(&preview).map_err(anyhow::Error::from).and_then(|o| Ok(reclaim(&o.stdout)?)) {
                    Ok(r) => rec.reclaim_bytes = r,
                    Err(e) => ctx.info(format_args!("warning: cannot estimate the space freed: {e:#}")),
                }
            }
            match ctx.runner.run(&cmd) {
                Ok(out) if !dry => match reclaim(&out.stdout) {
                    Ok(r) => rec.reclaim_bytes = r,
                    Err(e) => ctx.info(format_args!(
                        "warning: {shown_ds}: the batch was destroyed, but what zfs said it freed is unreadable: {e}"
                    )),
                },
                Ok(_) => {}
                Err(e) => {
                    failed = true;
                    ctx.error(&e);
                    rec.result = DestroyResult::Failed;
                    rec.error = Some(e.to_string());
                }
            }
            progress.inc(rec.snapshots);
            if rec.error.is_none() {
                tally.destroyed += rec.snapshots;
                tally.batches += 1;
                match rec.reclaim_bytes {
                    Some(b) => tally.freed += b,
                    None => tally.freed_unknown = true,
                }
                let freed = rec.reclaim_bytes.map(|b| format!(", freeing {}", bytes(b)));
                ctx.debug(format_args!(
                    "{} {} of {shown_ds}{}",
                    if dry { "would destroy" } else { "destroyed" },
                    counted(rec.snapshots, "snapshot", "snapshots"),
                    freed.unwrap_or_default()
                ));
            } else {
                tally.failed_batches += 1;
                tally.left_alone += rec.snapshots;
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
    use strata_core::runner::{Cmd, FakeRunner, Output, RunError, Runner};
    use strata_zfs::listing::props_command;
    use strata_zfs::snapshot::list_command;

    /// The fake runner, shared so its log can be read after the run.
    struct Shared(std::rc::Rc<FakeRunner>);

    impl Runner for Shared {
        fn output(&self, c: &Cmd) -> Result<Output, RunError> {
            self.0.output(c)
        }

        fn stream(&self, c: &Cmd) -> Result<Box<dyn std::io::Read>, RunError> {
            self.0.stream(c)
        }
    }

    /// `zfs list` rows and `zfs get` lines of managed snapshots `names` of `ds`, as ZFS 2.1 prints them.
    fn listed(fake: FakeRunner, ds: &str, names: &[&str]) -> FakeRunner {
        let datasets = [ds.to_string()];
        let rows: String = names
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{ds}@{n}\t{}\t{}\t{}\t0\t24576\t0\n", 1000 + i, 10 + i, 1704067200 + i))
            .collect();
        let props: String = names
            .iter()
            .map(|n| format!("{ds}@{n}\tstrata:managed\tlocal\ton\n{ds}@{n}\tstrata:label\t-\t-\n"))
            .collect();
        let scope = Scope::Datasets { datasets: &datasets, recursive: false };
        fake.expect(&["zfs", "version"], Output::ok("zfs-2.1.11-1\nzfs-kmod-2.1.11-1\n"))
            .expect(&list_command(&datasets, false).argv_strings(), Output::ok(rows))
            .expect(&props_command(scope).argv_strings(), Output::ok(props))
    }

    fn plan(ds: &str, names: &[&str]) -> BTreeMap<String, Vec<Target>> {
        let text: String = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                format!(
                    "{{\"type\":\"prune\",\"snapshot\":\"{ds}@{n}\",\"guid\":\"{}\",\"action\":\"destroy\"}}\n",
                    1000 + i
                )
            })
            .collect();
        read_targets(strata_core::input::records(std::io::Cursor::new(text.into_bytes()), "stdin")).unwrap()
    }

    /// `--bookmark`: one `zfs bookmark` per snapshot (the command takes one pair and ignores
    /// more), then one `zfs destroy -v -p` for the batch, whose reclaim figure is the record's.
    #[test]
    fn bookmarks_one_per_snapshot_then_one_destroy_batch() {
        let ds = "tank/my data";
        let fake = listed(FakeRunner::new(), ds, &["s0", "s1", "s2"])
            .expect(&destroy::list_bookmarks_command(&[ds.to_string()]).argv_strings(), Output::ok(""))
            .expect(&["zfs", "bookmark", "tank/my data@s0", "tank/my data#s0"], Output::ok(""))
            .expect(&["zfs", "bookmark", "tank/my data@s1", "tank/my data#s1"], Output::ok(""))
            .expect(
                &["zfs", "destroy", "-v", "-p", "tank/my data@s0,s1"],
                Output::ok("destroy\ttank/my data@s0\ndestroy\ttank/my data@s1\nreclaim\t25600\n"),
            );
        let fake = std::rc::Rc::new(fake);
        let out = strata_core::buf::SharedBuf::new();
        let mut ctx = Ctx::for_test(
            Box::new(Shared(fake.clone())),
            Box::new(strata_core::clock::SystemClock),
            Box::new(out.clone()),
            strata_core::output::Format::Json,
        );
        ctx.format_given = true;
        let args = ApplyArgs { mutate: MutateArgs::default(), ask: AskArgs { yes: true }, bookmark: true };
        let outcome = act(&args, &mut ctx, &plan(ds, &["s0", "s1"])).unwrap();
        assert_eq!(outcome, Outcome::Success);
        ctx.out.finish().unwrap();
        assert_eq!(
            fake.argvs()[3..],
            [
                "zfs list -H -p -t bookmark -o name,guid -d 1 'tank/my data'",
                "zfs bookmark 'tank/my data@s0' 'tank/my data#s0'",
                "zfs bookmark 'tank/my data@s1' 'tank/my data#s1'",
                "zfs destroy -v -p 'tank/my data@s0,s1'",
            ]
        );
        let rec: serde_json::Value = serde_json::from_str(out.text().trim()).unwrap();
        assert_eq!((rec["result"].as_str(), rec["reclaim_bytes"].as_u64()), (Some("destroyed"), Some(25600)));
        assert_eq!(rec["command"], "zfs destroy -v -p 'tank/my data@s0,s1'");
    }

    #[test]
    fn the_summary_says_what_was_done_in_one_line() {
        let t = Tally { destroyed: 1430, batches: 2, freed: 1_539_316_278_886, ..Tally::default() };
        assert_eq!(t.summary(false, false), "destroyed 1,430 snapshots in 2 batches, 1.40T freed");
        assert_eq!(t.summary(true, false), "would destroy 1,430 snapshots in 2 batches, would free 1.40T");
        let t = Tally {
            destroyed: 1,
            batches: 1,
            freed: 512,
            freed_unknown: true,
            bookmarks: 1,
            left_alone: 1002,
            failed_batches: 1,
        };
        assert_eq!(
            t.summary(false, true),
            "destroyed 1 snapshot in 1 batch, at least 512B freed; 1 bookmark made; 1,002 left alone; 1 batch failed"
        );
        let none = Tally { freed_unknown: true, batches: 1, destroyed: 3, ..Tally::default() };
        assert_eq!(none.summary(false, false), "destroyed 3 snapshots in 1 batch");
        assert_eq!(Tally::default().summary(false, false), "destroyed 0 snapshots in 0 batches");
        assert_eq!([0, 999, 1000, 123_456, 1_234_567].map(thousands), ["0", "999", "1,000", "123,456", "1,234,567"]);
    }

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
