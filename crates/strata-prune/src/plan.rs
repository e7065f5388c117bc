//! `strata-prune plan`: one prune record per snapshot, keep or destroy, with the reasons.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use serde::{Deserialize, Serialize};
use strata_core::doc::{FieldDoc, RecordDoc};
use strata_core::input::{InputError, parse_line};
use strata_core::output::{Format, Record};
use strata_core::timeline::{Mark, Timeline};
use strata_core::{Ctx, Outcome};
use strata_zfs::name::SnapshotName;

use crate::rules::{self, Rules};

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// Datasets whose snapshots are planned (listed with one zfs list call); without any, snapshot
    /// records are read from standard input.
    #[arg(value_name = "DATASET", value_parser = strata_zfs::name::dataset_arg, add = strata_core::complete::datasets())]
    pub datasets: Vec<String>,
    /// With DATASETs: include their descendants.
    #[arg(short, long)]
    pub recursive: bool,
    /// Keep everything created within this time before now: a number and h, d, w, m (31 days) or y (365 days).
    #[arg(long, value_name = "DURATION", value_parser = within, help_heading = "Keep rules")]
    pub keep_within: Option<i64>,
    /// Keep the newest snapshot of each of the last N seconds that have one (borg's --keep-last/--keep-secondly).
    #[arg(long, value_name = "N", help_heading = "Keep rules")]
    pub keep_last: Option<u64>,
    /// Keep the newest snapshot of each of the last N hours that have one.
    #[arg(long, value_name = "N", help_heading = "Keep rules")]
    pub keep_hourly: Option<u64>,
    /// Keep the newest snapshot of each of the last N days that have one.
    #[arg(long, value_name = "N", help_heading = "Keep rules")]
    pub keep_daily: Option<u64>,
    /// Keep the newest snapshot of each of the last N ISO weeks that have one.
    #[arg(long, value_name = "N", help_heading = "Keep rules")]
    pub keep_weekly: Option<u64>,
    /// Keep the newest snapshot of each of the last N months that have one.
    #[arg(long, value_name = "N", help_heading = "Keep rules")]
    pub keep_monthly: Option<u64>,
    /// Keep the newest snapshot of each of the last N years that have one.
    #[arg(long, value_name = "N", help_heading = "Keep rules")]
    pub keep_yearly: Option<u64>,
    /// The time --keep-within counts back from (RFC 3339); the clock by default.
    #[arg(long, value_name = "RFC3339", value_parser = strata_core::parse::timestamp)]
    pub now: Option<jiff::Timestamp>,
    /// Own the snapshots whose name after '@' contains a match of this regular expression (a
    /// search, like grep: anchor it with ^ and $; '^zfs-auto-snap_' adopts zfs-auto-snapshot's,
    /// '^autosnap_' sanoid's), instead of those made by strata (strata:managed=on).
    #[arg(long = "match", value_name = "REGEX")]
    pub matches: Option<String>,
    /// Snapshot records of a replication target (e.g. `strata snapshot list -r backup/tank`): the
    /// newest snapshot of each dataset that the target also has (same guid) is kept.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub protect: Option<PathBuf>,
    /// Take each dataset's keep rules from its strata:keep property instead of --keep-* flags (a
    /// dataset without one keeps everything; one whose policy is invalid is left out, exit 2). Reads
    /// `strata snapshot list --policy` records, or lists DATASETs itself.
    #[arg(long, help_heading = "Keep rules")]
    pub policy: bool,
}

/// `--keep-within`: `36h`, `7d`, `2w`, `1m` (31 days), `1y` (365 days), as borg reads it.
pub fn within(s: &str) -> Result<i64, String> {
    let err = || {
        format!(
            "invalid duration {s:?}: expected a whole number followed by h, d, w, m (31 days) or y (365 days), e.g. 7d"
        )
    };
    let unit = s.chars().last().ok_or_else(err)?;
    let hours: i64 = match unit {
        'h' | 'H' => 1,
        'd' => 24,
        'w' => 24 * 7,
        'm' => 24 * 31,
        'y' => 24 * 365,
        _ => return Err(err()),
    };
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().map_err(|_| err())?;
    if n <= 0 {
        return Err(err());
    }
    n.checked_mul(hours * 3600).ok_or_else(err)
}

impl PlanArgs {
    pub fn rules(&self) -> Rules {
        Rules {
            within_secs: self.keep_within,
            last: self.keep_last.unwrap_or(0),
            hourly: self.keep_hourly.unwrap_or(0),
            daily: self.keep_daily.unwrap_or(0),
            weekly: self.keep_weekly.unwrap_or(0),
            monthly: self.keep_monthly.unwrap_or(0),
            yearly: self.keep_yearly.unwrap_or(0),
        }
    }
}

/// The prune record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PruneRecord {
    pub r#type: &'static str,
    pub snapshot: String,
    pub dataset: String,
    #[serde(with = "strata_zfs::snapshot::rfc3339")]
    pub created: jiff::Timestamp,
    pub guid: Option<String>,
    pub action: Action,
    pub reasons: Vec<String>,
    /// Which snapshots the plan owned: apply re-checks this at the moment it destroys.
    pub owner: OwnerKind,
    /// With `owner: match`, the --match expression.
    pub owner_match: Option<String>,
}

/// How a plan decided which snapshots it owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OwnerKind {
    /// Made by strata: the snapshot's own strata:managed=on.
    Managed,
    /// The name after '@' matches `owner_match`.
    Match,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Keep,
    Destroy,
}

pub static PRUNE_DOC: RecordDoc = RecordDoc {
    name: "prune",
    about: "What plan decided for one snapshot (read back by apply, which needs `snapshot`, `action` and, to re-check it, `guid`).",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "always \"prune\"" },
        FieldDoc { name: "snapshot", ty: "string", doc: "full name, DATASET@NAME" },
        FieldDoc { name: "dataset", ty: "string", doc: "the dataset part" },
        FieldDoc { name: "created", ty: "string", doc: "ZFS creation time, RFC 3339 UTC" },
        FieldDoc {
            name: "guid",
            ty: "string|null",
            doc: "the snapshot's GUID (decimal string), as read; apply destroys only a snapshot that still has it",
        },
        FieldDoc { name: "action", ty: "string", doc: "\"keep\" or \"destroy\"" },
        FieldDoc {
            name: "reasons",
            ty: "array of strings",
            doc: "why it is kept: the rule and its period (\"within\", \"last:2023-08-07T00:00:06Z\", \"hourly:2023-08-07T13\", \
                  \"daily:2023-08-07\", \"weekly:2023-W32\", \"monthly:2023-08\", \"yearly:2023\"; \"daily[oldest]:...\" when \
                  a rule ran short and kept the oldest), then the safety rules: \"hold\" (userrefs > 0), \"newest\" (the \
                  dataset's newest snapshot), \"common-with-target\" (the newest snapshot shared with --protect), \
                  \"not-managed\" (not owned: not made by strata, or not matching --match), \"no-policy\" (--policy: the dataset has no strata:keep). Empty for destroy.",
        },
        FieldDoc {
            name: "owner",
            ty: "string",
            doc: "which snapshots the plan owned: \"managed\" (the snapshot's own strata:managed=on) or \"match\" \
                  (the name matches owner_match); apply re-checks it just before destroying",
        },
        FieldDoc { name: "owner_match", ty: "string|null", doc: "the --match expression when owner is \"match\"" },
    ],
};

impl Record for PruneRecord {
    const KEY: &'static str = "snapshot";

    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        Some(vec![
            ("action", if self.action == Action::Keep { "keep".into() } else { "destroy".into() }),
            ("snapshot", self.snapshot.clone()),
            ("created", self.created.to_string()),
            ("reasons", self.reasons.join(",")),
        ])
    }
}

/// One snapshot as the planner sees it (lean: a million of them fit in little memory).
#[derive(Debug, Clone)]
pub struct Item {
    pub snapshot: String,
    /// Byte offset of '@' in `snapshot`.
    pub at: u32,
    pub created: i64,
    pub createtxg: Option<u64>,
    pub guid: Option<String>,
    pub userrefs: u64,
    pub managed: bool,
    /// The input line it came from (0 when listed from ZFS), to name both lines of a duplicate.
    pub line: u32,
}

impl Item {
    pub fn dataset(&self) -> &str {
        &self.snapshot[..self.at as usize]
    }

    pub fn name(&self) -> &str {
        &self.snapshot[self.at as usize + 1..]
    }
}

/// The fields plan reads from a snapshot record; unknown fields are ignored.
#[derive(Deserialize)]
struct Input<'a> {
    #[serde(borrow)]
    snapshot: Cow<'a, str>,
    #[serde(borrow)]
    created: Cow<'a, str>,
    #[serde(default, deserialize_with = "strata_zfs::snapshot::guid_string")]
    guid: Option<String>,
    #[serde(default)]
    createtxg: Option<u64>,
    #[serde(default)]
    userrefs: Option<u64>,
    #[serde(default)]
    managed: Option<bool>,
    #[serde(default, borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
}

/// Reads snapshot records (NDJSON), naming the source and line of a bad one.
pub fn read_items<R: BufRead>(mut reader: R, source: &str) -> Result<Vec<Item>> {
    // Blocks of whole lines are parsed on two threads while the next block is read; the blocks
    // come back in order, so the items keep the input's order and errors name the right line.
    const BLOCK: usize = 4 << 20;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    std::thread::scope(|scope| -> Result<Vec<Item>> {
        let mut pending: std::collections::VecDeque<std::thread::ScopedJoinHandle<'_, Result<Vec<Item>>>> =
            Default::default();
        let mut items = Vec::new();
        let mut first_line = 1usize;
        let mut carry: Vec<u8> = Vec::new();
        loop {
            let mut block = std::mem::take(&mut carry);
            block.reserve(BLOCK + 4096);
            let mut eof = false;
            while block.len() < BLOCK {
                let buf = reader.fill_buf().with_context(|| format!("{source}: cannot read"))?;
                if buf.is_empty() {
                    eof = true;
                    break;
                }
                let n = buf.len();
                block.extend_from_slice(buf);
                reader.consume(n);
            }
            // Cut after the last newline; the rest starts the next block.
            if !eof {
                match block.iter().rposition(|&c| c == b'\n') {
                    Some(p) => carry = block.split_off(p + 1),
                    None => {
                        carry = block;
                        continue;
                    }
                }
            }
            let lines =
                block.iter().filter(|&&c| c == b'\n').count() + usize::from(block.last().is_some_and(|&c| c != b'\n'));
            let start = first_line;
            first_line += lines;
            if pending.len() >= workers
                && let Some(h) = pending.pop_front()
            {
                items.extend(h.join().map_err(|_| anyhow::anyhow!("{source}: a parser thread panicked"))??);
            }
            pending.push_back(scope.spawn(move || parse_block(&block, start, source)));
            if eof {
                break;
            }
        }
        for h in pending {
            items.extend(h.join().map_err(|_| anyhow::anyhow!("{source}: a parser thread panicked"))??);
        }
        Ok(items)
    })
}

/// Parses the lines of one block; `first_line` is the number of its first line.
fn parse_block(block: &[u8], first_line: usize, source: &str) -> Result<Vec<Item>> {
    let mut items = Vec::with_capacity(block.len() / 256);
    for (k, raw) in block.split(|&c| c == b'\n').enumerate() {
        let line = first_line + k;
        let bad = |m: String| InputError::at(source, line, m);
        // An array would fill the record's fields by position: only an object is a record.
        if raw.trim_ascii().first().is_some_and(|&c| c != b'{') {
            return Err(bad("expected a snapshot record (a JSON object)".into()).into());
        }
        let r: Input = match parse_line(raw, source, line) {
            None => continue,
            Some(r) => r?,
        };
        if let Some(kind) = r.kind.as_deref()
            && kind != "snapshot"
        {
            return Err(bad(format!("expected a snapshot record, found type {kind:?}")).into());
        }
        let at = SnapshotName::check(&r.snapshot).map_err(|e| bad(e.to_string()))?;
        let created = strata_core::time::unix_seconds(&r.created).map_err(|e| bad(format!("field created: {e}")))?;
        items.push(Item {
            at: at as u32,
            snapshot: r.snapshot.into_owned(),
            created,
            createtxg: r.createtxg,
            guid: r.guid,
            userrefs: r.userrefs.unwrap_or(0),
            managed: r.managed.unwrap_or(false),
            line: u32::try_from(line).unwrap_or(u32::MAX),
        });
    }
    Ok(items)
}

/// Items from snapshot records listed by ZFS.
pub fn items_from_records(v: Vec<strata_zfs::snapshot::SnapshotRecord>) -> Vec<Item> {
    v.into_iter()
        .map(|r| Item {
            at: r.dataset.len() as u32,
            snapshot: r.snapshot,
            created: r.created_unix,
            createtxg: r.createtxg,
            guid: r.guid,
            userrefs: r.userrefs.unwrap_or(0),
            managed: r.managed.unwrap_or(false),
            line: 0,
        })
        .collect()
}

/// The regular expression of `--match` (and of a plan's `owner_match`, which apply re-checks): a
/// search in the name after '@', like grep; `^` and `$` anchor it.
pub fn owner_regex(expr: &str) -> Result<regex::Regex> {
    regex::Regex::new(expr).with_context(|| format!("{expr:?} is not a valid regular expression"))
}

/// Which snapshots plan may destroy.
pub enum Owner {
    /// Made by strata (`managed`).
    Managed,
    /// The name after '@' matches.
    Matching(regex::Regex),
}

impl Owner {
    /// How records name this owner: (`owner`, `owner_match`).
    pub fn kind(&self, expr: Option<&str>) -> (OwnerKind, Option<String>) {
        match self {
            Owner::Managed => (OwnerKind::Managed, None),
            Owner::Matching(_) => (OwnerKind::Match, expr.map(str::to_string)),
        }
    }

    pub fn owns(&self, it: &Item) -> bool {
        match self {
            Owner::Managed => it.managed,
            Owner::Matching(re) => re.is_match(it.name()),
        }
    }
}

/// The decision for one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub action: Action,
    pub reasons: Vec<String>,
}

/// Plans every item. Returns the item indexes in output order (dataset, then oldest first) and
/// each item's decision (indexed like `items`).
pub fn plan(
    items: &[Item],
    rules: &Rules,
    now: i64,
    owner: &Owner,
    protected_guids: &HashSet<&str>,
) -> (Vec<usize>, Vec<Decision>) {
    // Datasets by name, numbered in name order.
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut ds_of: Vec<u32> = Vec::with_capacity(items.len());
    for it in items {
        let n = ids.len() as u32;
        ds_of.push(*ids.entry(it.dataset()).or_insert(n));
    }
    let mut names: Vec<(&str, u32)> = ids.into_iter().collect();
    names.sort_unstable();
    let mut rank = vec![0u32; names.len()];
    for (r, (_, id)) in names.iter().enumerate() {
        rank[*id as usize] = r as u32;
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_unstable_by_key(|&i| (rank[ds_of[i] as usize], items[i].created, items[i].createtxg.unwrap_or(0), i));

    let mut decisions: Vec<Decision> = vec![Decision { action: Action::Keep, reasons: Vec::new() }; items.len()];
    let mut start = 0;
    let mut times: Vec<i64> = Vec::new();
    let mut cand: Vec<usize> = Vec::new();
    while start < order.len() {
        let ds = ds_of[order[start]];
        let mut end = start;
        while end < order.len() && ds_of[order[end]] == ds {
            end += 1;
        }
        let group = &order[start..end];
        // Candidates newest first.
        times.clear();
        cand.clear();
        for &i in group.iter().rev() {
            if owner.owns(&items[i]) {
                cand.push(i);
                times.push(items[i].created);
            }
        }
        let kept = rules::keep(&times, rules, now);
        for (k, &i) in kept.iter().zip(&cand) {
            let d = &mut decisions[i];
            match k {
                Some(k) => d.reasons.push(k.reason(items[i].created)),
                None => d.action = Action::Destroy,
            }
        }
        let newest = group[group.len() - 1];
        let common = group
            .iter()
            .rev()
            .copied()
            .find(|&i| items[i].guid.as_deref().is_some_and(|g| protected_guids.contains(g)));
        for &i in group {
            let it = &items[i];
            let d = &mut decisions[i];
            if it.userrefs > 0 {
                d.reasons.push("hold".into());
            }
            if i == newest {
                d.reasons.push("newest".into());
            }
            if Some(i) == common {
                d.reasons.push("common-with-target".into());
            }
            if !owner.owns(it) {
                d.reasons.push("not-managed".into());
            }
            if d.action == Action::Destroy && !d.reasons.is_empty() {
                d.action = Action::Keep;
            }
        }
        start = end;
    }
    (order, decisions)
}

/// The record for an item and its decision.
pub fn record(it: &Item, d: Decision, owner: &(OwnerKind, Option<String>)) -> Result<PruneRecord> {
    Ok(PruneRecord {
        owner: owner.0,
        owner_match: owner.1.clone(),
        r#type: "prune",
        snapshot: it.snapshot.clone(),
        dataset: it.dataset().to_string(),
        created: jiff::Timestamp::from_second(it.created).context("creation time out of range")?,
        guid: it.guid.clone(),
        action: d.action,
        reasons: d.reasons,
    })
}

/// The guids of the snapshot records in a --protect file.
fn protect_guids(path: &std::path::Path) -> Result<Vec<String>> {
    let f = std::fs::File::open(path).with_context(|| format!("--protect: cannot open {}", path.display()))?;
    let items = read_items(std::io::BufReader::new(f), &path.display().to_string())?;
    Ok(items.into_iter().filter_map(|i| i.guid).collect())
}

pub fn run(args: &PlanArgs, ctx: &mut Ctx) -> Result<Outcome> {
    if args.policy {
        return crate::policy::run(args, ctx);
    }
    let rules = args.rules();
    if !rules.any() {
        return Err(strata_core::exit::ExitError::usage(
            "no keep rule given: use at least one of --keep-within, --keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly",
        )
        .into());
    }
    let owner = match &args.matches {
        None => Owner::Managed,
        Some(re) => Owner::Matching(owner_regex(re).context("--match")?),
    };
    let protected = match &args.protect {
        Some(p) => protect_guids(p)?,
        None => Vec::new(),
    };
    let protected: HashSet<&str> = protected.iter().map(String::as_str).collect();
    let mut left_out = Vec::new();
    let items = if args.datasets.is_empty() {
        let stdin = std::io::stdin();
        if ctx.stdin_is_terminal {
            anyhow::bail!(
                "expected snapshot records on standard input (e.g. `strata snapshot list -r tank | strata prune plan ...`) or DATASET arguments"
            );
        }
        read_items(stdin.lock(), "stdin")?
    } else {
        let scope = strata_zfs::listing::Scope::Datasets { datasets: &args.datasets, recursive: args.recursive };
        let l = strata_zfs::listing::list(ctx.runner.as_ref(), scope).context("cannot list the snapshots")?;
        left_out = l.bad;
        items_from_records(l.records)
    };
    refuse_duplicates(&items)?;
    let owner_kind = owner.kind(args.matches.as_deref());
    let now = args.now.unwrap_or_else(|| ctx.clock.now()).as_second();
    if let (Owner::Matching(_), Some(expr)) = (&owner, &args.matches)
        && !items.is_empty()
        && !items.iter().any(|it| owner.owns(it))
    {
        ctx.info(format_args!(
            "warning: --match {:?} matches none of the {} snapshots: every one is kept",
            strata_core::sanitize::for_terminal(expr),
            items.len()
        ));
    }
    let (order, mut decisions) = plan(&items, &rules, now, &owner, &protected);
    let timeline = ctx.out.format() == Format::Timeline;
    if timeline {
        // The picture instead of the records: a row per dataset, kept and destroyed per period.
        let mut picture = Timeline::new();
        for &i in &order {
            let mark = if decisions[i].action == Action::Keep { Mark::Kept } else { Mark::Destroyed };
            picture.add(items[i].dataset(), items[i].created, mark);
        }
        let width = strata_core::timeline::output_width();
        ctx.out.write_text(&picture.render(now, width, strata_core::timeline::color(ctx.color)))?;
    }
    for i in order.into_iter().filter(|_| !timeline) {
        let d = std::mem::replace(&mut decisions[i], Decision { action: Action::Keep, reasons: Vec::new() });
        ctx.out.write(&record(&items[i], d, &owner_kind)?)?;
    }
    for b in &left_out {
        ctx.error(format_args!(
            "the snapshots of {} are left out of the plan: {}",
            strata_core::sanitize::for_terminal(&b.dataset),
            strata_core::sanitize::for_terminal(&b.reason)
        ));
    }
    Ok(if left_out.is_empty() { Outcome::Success } else { Outcome::Code(strata_core::exit::ERROR) })
}

/// One snapshot, one record: two records for the same snapshot (a forged row, a doubled input)
/// could make one say keep and the other destroy.
pub fn refuse_duplicates(items: &[Item]) -> Result<()> {
    let mut seen: HashMap<&str, u32> = HashMap::with_capacity(items.len());
    for it in items {
        if let Some(first) = seen.insert(it.snapshot.as_str(), it.line) {
            let at = if it.line == 0 { String::new() } else { format!(" (lines {first} and {})", it.line) };
            return Err(strata_core::exit::ExitError::usage(format!(
                "two snapshot records for {}{at}: refusing to plan; nothing was destroyed",
                strata_core::sanitize::for_terminal(&it.snapshot)
            ))
            .into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(s: &str, created: i64, txg: u64, userrefs: u64, guid: &str) -> Item {
        Item {
            at: s.find('@').unwrap() as u32,
            snapshot: s.into(),
            created,
            createtxg: Some(txg),
            guid: Some(guid.into()),
            userrefs,
            managed: true,
            line: 0,
        }
    }

    #[test]
    fn the_reader_takes_every_form_the_shared_parsers_take() {
        let input = br#"{"snapshot":"t/a@x","created":"2023-08-08T00:00:06Z","guid":12345678901234567890}
{"snapshot":"t/my data@a b","created":"2023-08-08T02:00:06+02:00","guid":null}
{"snapshot":"t/a@y","created":"2023-08-08T00:00:06.5Z","guid":"7"}
"#;
        let items = read_items(&input[..], "stdin").unwrap();
        let got: Vec<_> = items.iter().map(|i| (i.dataset(), i.name(), i.created, i.guid.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("t/a", "x", 1_691_452_806, Some("12345678901234567890")),
                ("t/my data", "a b", 1_691_452_806, None),
                ("t/a", "y", 1_691_452_806, Some("7")),
            ]
        );
        for (line, want) in [
            (r#"{"snapshot":"t/a@b@c","created":"2023-08-08T00:00:06Z"}"#, "invalid snapshot name"),
            (r#"{"snapshot":"t//a@x","created":"2023-08-08T00:00:06Z"}"#, "invalid snapshot name"),
            (r#"{"snapshot":"t/a@x","created":"2023-02-29T00:00:00Z"}"#, "field created"),
            (r#"{"snapshot":"t/a@x","created":"2023-08-08T00:00:06Z","guid":1.5e30}"#, "lost precision"),
        ] {
            let e = read_items(line.as_bytes(), "stdin").unwrap_err().to_string();
            assert!(e.starts_with("stdin: line 1") && e.contains(want), "{line}: {e}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(within("36h"), Ok(36 * 3600));
        assert_eq!(within("2w"), Ok(14 * 86400));
        assert_eq!(within("1m"), Ok(31 * 86400));
        assert_eq!(within("1y"), Ok(365 * 86400));
        for bad in ["", "d", "0d", "-1d", "1.5d", "7x", "7"] {
            assert!(within(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn safety_rules_keep_and_say_why() {
        let items = vec![
            item("t/a@1", 86400, 1, 1, "11"),
            item("t/a@2", 2 * 86400, 2, 0, "12"),
            item("t/a@3", 3 * 86400, 3, 0, "13"),
            item("t/a@4", 3 * 86400 + 1, 4, 0, "14"),
            Item { managed: false, ..item("t/a@5", 3 * 86400 + 2, 5, 0, "15") },
            item("t/b@1", 86400, 1, 0, "21"),
        ];
        let guids: HashSet<&str> = ["12", "21"].into_iter().collect();
        let rules = Rules { last: 1, ..Rules::default() };
        let (order, d) = plan(&items, &rules, 0, &Owner::Managed, &guids);
        assert_eq!(order, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(d[0], Decision { action: Action::Keep, reasons: vec!["hold".into()] });
        assert_eq!(d[1], Decision { action: Action::Keep, reasons: vec!["common-with-target".into()] });
        assert_eq!(d[2], Decision { action: Action::Destroy, reasons: vec![] });
        assert_eq!(d[3].reasons, vec!["last:1970-01-04T00:00:01Z".to_string()]);
        assert_eq!(d[4].reasons, vec!["newest".to_string(), "not-managed".to_string()]);
        assert_eq!(
            d[5].reasons,
            vec!["last:1970-01-02T00:00:00Z".to_string(), "newest".into(), "common-with-target".into()]
        );
        let re = Owner::Matching(regex::Regex::new("^(?:[0-9])$").unwrap());
        let (_, d) = plan(&items, &rules, 0, &re, &HashSet::new());
        assert_eq!(d[4].reasons, vec!["last:1970-01-04T00:00:02Z".to_string(), "newest".into()]);
        assert_eq!(d[3].action, Action::Destroy);
    }

    #[test]
    fn prune_record_is_documented() {
        let it = item("tank/a@2023-08-08-00-00-06", 1691452806, 1, 0, "123");
        let r = record(
            &it,
            Decision { action: Action::Keep, reasons: vec!["daily:2023-08-08".into()] },
            &(OwnerKind::Managed, None),
        )
        .unwrap();
        strata_core::doc::check_fields(&PRUNE_DOC, &r);
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"type":"prune","snapshot":"tank/a@2023-08-08-00-00-06","dataset":"tank/a","created":"2023-08-08T00:00:06Z","guid":"123","action":"keep","reasons":["daily:2023-08-08"],"owner":"managed","owner_match":null}"#
        );
    }

    #[test]
    fn bad_input_names_the_line() {
        let e = read_items(&b"{\"snapshot\":\"t/a@1\",\"created\":\"2023-08-08T00:00:06Z\"}\n{\"snapshot\":\"t/a\",\"created\":\"2023-08-08T00:00:06Z\"}\n"[..], "stdin").unwrap_err();
        assert!(e.to_string().starts_with("stdin: line 2: invalid snapshot name"), "{e}");
        let e = read_items(&b"\n{\"snapshot\":\"t/a@1\",\"created\":\"yesterday\"}\n"[..], "stdin").unwrap_err();
        assert!(e.to_string().starts_with("stdin: line 2: field created"), "{e}");
    }
}
