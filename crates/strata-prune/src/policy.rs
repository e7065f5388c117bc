//! `strata-prune plan --policy`: each dataset's keep rules come from its `strata:keep` property.
//!
//! Fed from a pipe, the rules travel on the snapshot records (`strata snapshot list --policy`
//! adds `keep`, `keep_source` and `policy_error` to each), so plan asks ZFS nothing; with
//! DATASETs it lists the snapshots and reads the properties itself. Ownership stays as it is
//! (only snapshots with their own `strata:managed=on`, or matching `--match`, may go): a policy
//! only changes which of the owned snapshots are kept. A dataset without `strata:keep` keeps
//! everything; a dataset whose policy is invalid is left out of the plan, said on stderr, and the
//! run ends with exit 2.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use anyhow::{Context, Result};
use serde::Deserialize;
use strata_core::exit::ExitError;
use strata_core::input::parse_line;
use strata_core::sanitize::for_terminal;
use strata_core::{Ctx, Outcome};
use strata_zfs::policy::{Keep, parse_keep};

use crate::plan::{Action, Decision, Item, Owner, PlanArgs, items_from_records, owner_regex, plan, read_items, record};
use crate::rules::Rules;

/// The keep reason of a snapshot whose dataset has no `strata:keep`.
pub const NO_POLICY: &str = "no-policy";

/// A dataset left out of the plan, and why.
pub type LeftOut = (String, String);

/// The planned items (index and decision, in output order) and the datasets left out.
pub type PolicyPlan = (Vec<(usize, Decision)>, Vec<LeftOut>);

/// The items, each dataset's policy, and the datasets already left out.
type Input = (Vec<Item>, HashMap<String, DatasetPolicy>, Vec<LeftOut>);

/// What `--policy` knows of one dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatasetPolicy {
    /// No `strata:keep`: every snapshot is kept.
    None,
    Keep(Keep),
    /// The policy cannot be used: the dataset is left out.
    Invalid(String),
}

impl DatasetPolicy {
    /// From a raw `strata:keep` value (`None`: unset) and the errors of the dataset's policy.
    pub fn from_value(keep: Option<&str>, error: Option<&str>) -> DatasetPolicy {
        if let Some(e) = error {
            return DatasetPolicy::Invalid(e.to_string());
        }
        match keep.map(parse_keep) {
            None => DatasetPolicy::None,
            Some(Ok(k)) => DatasetPolicy::Keep(k),
            Some(Err(e)) => DatasetPolicy::Invalid(e),
        }
    }
}

/// Prune's rules for a `strata:keep`.
pub fn rules(k: &Keep) -> Rules {
    Rules {
        within_secs: k.within_secs,
        last: k.last,
        hourly: k.hourly,
        daily: k.daily,
        weekly: k.weekly,
        monthly: k.monthly,
        yearly: k.yearly,
    }
}

/// The policy fields of a snapshot record from `strata snapshot list --policy`, borrowed from
/// the line where they hold no escape.
#[derive(Deserialize)]
struct PolicyFields<'a> {
    #[serde(borrow)]
    snapshot: Cow<'a, str>,
    #[serde(default, borrow)]
    keep: Option<Cow<'a, str>>,
    /// There on every record listed with the policy (a string, or null when the dataset's policy
    /// could not be read): it tells such a record from one listed without it.
    #[serde(default, deserialize_with = "present")]
    keep_source: Option<()>,
    #[serde(default, borrow)]
    policy_error: Option<Cow<'a, str>>,
}

/// A field that is there, whatever its value (null too), against one that is not.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<()>, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| Some(()))
}

/// Reads snapshot records with their policy: the items, and each dataset's policy. A record
/// without the policy fields, or two records of one dataset that disagree, is an error that names
/// the line.
pub fn read_with_policy(bytes: &[u8], source: &str) -> Result<(Vec<Item>, HashMap<String, DatasetPolicy>)> {
    let items = read_items(bytes, source)?;
    // Each dataset's raw values as first seen, and that line; parsed once at the end.
    type Raw = (Option<String>, Option<String>, usize);
    let mut raw: HashMap<String, Raw> = HashMap::new();
    for (n, text) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = n + 1;
        let f: PolicyFields = match parse_line(text, source, line) {
            None => continue,
            Some(r) => r?,
        };
        let bad = |m: String| ExitError::usage(format!("{source}: line {line}: {m}"));
        if f.keep_source.is_none() {
            return Err(bad(
                "the record carries no policy (keep_source): list with `strata snapshot list --policy`".into()
            )
            .into());
        }
        let dataset = f.snapshot.split_once('@').map_or(&*f.snapshot, |(d, _)| d);
        match raw.get(dataset) {
            Some((keep, error, first)) => {
                if keep.as_deref() != f.keep.as_deref() || error.as_deref() != f.policy_error.as_deref() {
                    return Err(bad(format!(
                        "the policy of {} differs from line {first}'s: refusing to plan",
                        for_terminal(dataset)
                    ))
                    .into());
                }
            }
            None => {
                let v = (f.keep.map(Cow::into_owned), f.policy_error.map(Cow::into_owned), line);
                raw.insert(dataset.to_string(), v);
            }
        }
    }
    let policies = raw
        .into_iter()
        .map(|(d, (keep, error, _))| {
            let p = DatasetPolicy::from_value(keep.as_deref(), error.as_deref());
            (d, p)
        })
        .collect();
    Ok((items, policies))
}

/// The plan of every item under its dataset's policy: (item index, decision) in output order
/// (dataset, then oldest first), and the datasets left out with why.
pub fn plan_policy(
    items: &[Item],
    policies: &HashMap<String, DatasetPolicy>,
    now: i64,
    owner: &Owner,
    protected: &HashSet<&str>,
) -> PolicyPlan {
    let mut by_ds: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        by_ds.entry(it.dataset()).or_default().push(i);
    }
    let unknown = DatasetPolicy::Invalid("its policy was not read".into());
    // One planner call per distinct rule set: most datasets share theirs.
    let mut groups: Vec<(Keep, Vec<usize>)> = Vec::new();
    let mut out: Vec<(&str, Vec<(usize, Decision)>)> = Vec::new();
    let mut left_out = Vec::new();
    for (ds, idx) in &by_ds {
        match policies.get(*ds).unwrap_or(&unknown) {
            DatasetPolicy::Invalid(why) => left_out.push((ds.to_string(), why.clone())),
            DatasetPolicy::None => {
                let mut idx = idx.clone();
                idx.sort_by_key(|&i| (items[i].created, items[i].createtxg.unwrap_or(0), i));
                let keep = || Decision { action: Action::Keep, reasons: vec![NO_POLICY.to_string()] };
                out.push((ds, idx.into_iter().map(|i| (i, keep())).collect()));
            }
            DatasetPolicy::Keep(k) => match groups.iter_mut().find(|(g, _)| g == k) {
                Some((_, v)) => v.extend(idx),
                None => groups.push((*k, idx.clone())),
            },
        }
    }
    for (k, idx) in groups {
        // One rule set for every item (the common case): plan them in place, no copy.
        let (sub, idx): (Cow<[Item]>, Vec<usize>) = if idx.len() == items.len() {
            (Cow::Borrowed(items), (0..items.len()).collect())
        } else {
            (Cow::Owned(idx.iter().map(|&i| items[i].clone()).collect()), idx)
        };
        let (order, mut decisions) = plan(&sub, &rules(&k), now, owner, protected);
        let mut per_ds: Vec<(&str, Vec<(usize, Decision)>)> = Vec::new();
        for j in order {
            let d = std::mem::replace(&mut decisions[j], Decision { action: Action::Keep, reasons: Vec::new() });
            let ds = items[idx[j]].dataset();
            match per_ds.last_mut() {
                Some((last, v)) if *last == ds => v.push((idx[j], d)),
                _ => per_ds.push((ds, vec![(idx[j], d)])),
            }
        }
        out.extend(per_ds);
    }
    out.sort_by(|a, b| a.0.cmp(b.0));
    (out.into_iter().flat_map(|(_, v)| v).collect(), left_out)
}

/// The guids of the snapshot records in a --protect file.
fn protect_guids(path: &std::path::Path) -> Result<Vec<String>> {
    let f = std::fs::File::open(path).with_context(|| format!("--protect: cannot open {}", path.display()))?;
    let items = read_items(std::io::BufReader::new(f), &path.display().to_string())?;
    Ok(items.into_iter().filter_map(|i| i.guid).collect())
}

/// Lists the snapshots and reads the policy of `datasets` from ZFS.
fn from_zfs(ctx: &Ctx, args: &PlanArgs) -> Result<Input> {
    let runner = ctx.runner.as_ref();
    let json = strata_zfs::listing::has_json(runner);
    let scope = strata_zfs::listing::Scope::Datasets { datasets: &args.datasets, recursive: args.recursive };
    let l = strata_zfs::listing::list_as(runner, scope, json).context("cannot list the snapshots")?;
    let props = strata_zfs::props::read_as(runner, &args.datasets, args.recursive, json)
        .context("cannot read the policy properties")?;
    let mut policies: HashMap<String, DatasetPolicy> = HashMap::new();
    for p in &props.datasets {
        let pol = strata_zfs::policy::policy(p);
        let error = (!pol.valid()).then(|| pol.errors.join("; "));
        policies.insert(p.dataset.clone(), DatasetPolicy::from_value(p.keep.value.as_deref(), error.as_deref()));
    }
    for b in props.bad {
        policies.insert(b.dataset, DatasetPolicy::Invalid(b.reason));
    }
    let unreadable =
        l.bad.into_iter().map(|b| (b.dataset, format!("its snapshots cannot be read safely: {}", b.reason)));
    Ok((items_from_records(l.records), policies, unreadable.collect()))
}

pub fn run(args: &PlanArgs, ctx: &mut Ctx) -> Result<Outcome> {
    if args.rules().any() {
        return Err(ExitError::usage(
            "--policy takes each dataset's keep rules from its strata:keep; it cannot be given with --keep-* flags",
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
    let (items, policies, mut left_out) = if args.datasets.is_empty() {
        if ctx.stdin_is_terminal {
            anyhow::bail!(
                "expected snapshot records with their policy on standard input (e.g. `strata snapshot list -r tank --policy | strata prune plan --policy`) or DATASET arguments"
            );
        }
        let mut bytes = Vec::new();
        std::io::stdin().lock().read_to_end(&mut bytes).context("stdin: cannot read")?;
        let (items, policies) = read_with_policy(&bytes, "stdin")?;
        (items, policies, Vec::new())
    } else {
        from_zfs(ctx, args)?
    };
    crate::plan::refuse_duplicates(&items)?;
    let owner_kind = owner.kind(args.matches.as_deref());
    let now = args.now.unwrap_or_else(|| ctx.clock.now()).as_second();
    let (planned, skipped) = plan_policy(&items, &policies, now, &owner, &protected);
    if ctx.out.format() == strata_core::output::Format::Timeline {
        // The picture instead of the records, as plan draws it: kept and destroyed per period.
        let mut picture = strata_core::timeline::Timeline::new();
        for (i, d) in &planned {
            let mark = if d.action == Action::Keep {
                strata_core::timeline::Mark::Kept
            } else {
                strata_core::timeline::Mark::Destroyed
            };
            picture.add(items[*i].dataset(), items[*i].created, mark);
        }
        let width = strata_core::timeline::output_width();
        ctx.out.write_text(&picture.render(now, width, strata_core::timeline::color(ctx.color)))?;
    } else {
        for (i, d) in planned {
            ctx.out.write(&record(&items[i], d, &owner_kind)?)?;
        }
    }
    left_out.extend(skipped);
    left_out.sort();
    left_out.dedup_by(|a, b| a.0 == b.0);
    for (ds, why) in &left_out {
        ctx.error(format_args!(
            "{}: left out of the plan, nothing of it is destroyed: {}",
            for_terminal(ds),
            for_terminal(why)
        ));
    }
    Ok(if left_out.is_empty() { Outcome::Success } else { Outcome::Code(strata_core::exit::ERROR) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{FromArgMatches, Parser};
    use proptest::prelude::*;

    fn item(s: &str, created: i64, txg: u64, managed: bool) -> Item {
        Item {
            at: s.find('@').unwrap() as u32,
            snapshot: s.into(),
            created,
            createtxg: Some(txg),
            guid: Some(format!("{txg}")),
            userrefs: 0,
            managed,
            line: 0,
        }
    }

    /// The rules prune's own flags give for a `strata:keep` value: the value's rules spelled as
    /// `--keep-RULE N` and parsed by the real command line.
    fn flag_rules(value: &str) -> Rules {
        let mut argv = vec!["strata-prune".to_string(), "plan".into()];
        for part in value.split(',') {
            let (rule, n) = part.split_once('=').unwrap();
            argv.push(format!("--keep-{rule}"));
            argv.push(n.into());
        }
        let m = crate::command().try_get_matches_from(argv).unwrap();
        match crate::Cli::from_arg_matches(&m).unwrap().cmd {
            crate::Sub::Plan(a) => a.rules(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn flags_and_property_read_alike() {
        let v = "within=2d,last=3,hourly=24,daily=7,weekly=4,monthly=12,yearly=2";
        assert_eq!(rules(&parse_keep(v).unwrap()), flag_rules(v));
        let _ = crate::Cli::try_parse_from(["strata-prune", "plan", "--policy"]).unwrap();
    }

    #[test]
    fn no_policy_keeps_everything_and_invalid_is_left_out() {
        let items = vec![
            item("t/a@1", 100, 1, true),
            item("t/a@2", 200, 2, true),
            item("t/b@1", 100, 1, true),
            item("t/b@2", 200, 2, true),
            item("t/c@1", 100, 1, true),
            item("t/c@2", 200, 2, true),
        ];
        let policies: HashMap<String, DatasetPolicy> = [
            ("t/a".to_string(), DatasetPolicy::from_value(Some("last=1"), None)),
            ("t/b".to_string(), DatasetPolicy::from_value(None, None)),
            ("t/c".to_string(), DatasetPolicy::from_value(Some("last=1\nx"), None)),
        ]
        .into_iter()
        .collect();
        let (plan, left) = plan_policy(&items, &policies, 300, &Owner::Managed, &HashSet::new());
        let got: Vec<(&str, Action)> = plan.iter().map(|(i, d)| (items[*i].snapshot.as_str(), d.action)).collect();
        assert_eq!(
            got,
            [("t/a@1", Action::Destroy), ("t/a@2", Action::Keep), ("t/b@1", Action::Keep), ("t/b@2", Action::Keep)]
        );
        assert_eq!(plan[2].1.reasons, [NO_POLICY]);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].0, "t/c");
        assert!(left[0].1.contains("control character"), "{}", left[0].1);
    }

    #[test]
    fn records_without_the_policy_or_disagreeing_are_refused() {
        let a = br#"{"snapshot":"t/a@1","created":"2023-08-08T00:00:06Z","managed":true}"#;
        let e = read_with_policy(a, "stdin").unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("snapshot list --policy"), "{e}");
        let two = b"{\"snapshot\":\"t/a@1\",\"created\":\"2023-08-08T00:00:06Z\",\"keep\":\"daily=1\",\"keep_source\":\"local\",\"policy_error\":null}\n\n\
{\"snapshot\":\"t/a@2\",\"created\":\"2023-08-09T00:00:06Z\",\"keep\":\"daily=9\",\"keep_source\":\"local\",\"policy_error\":null}\n";
        let e = read_with_policy(two, "stdin").unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("differs from line 1"), "{e}");
        // A dataset whose policy could not be read: keep_source null, the reason in policy_error.
        let unread = br#"{"snapshot":"t/u@1","created":"2023-08-08T00:00:06Z","keep":null,"keep_source":null,"policy_error":"zfs get line 3: names no listed dataset"}"#;
        let (_, p) = read_with_policy(unread, "stdin").unwrap();
        assert_eq!(p["t/u"], DatasetPolicy::Invalid("zfs get line 3: names no listed dataset".into()));
        let ok = String::from_utf8_lossy(two).replace("daily=9", "daily=1");
        let (items, p) = read_with_policy(ok.as_bytes(), "stdin").unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(p["t/a"], DatasetPolicy::Keep(Keep { daily: 1, ..Keep::default() }));
    }

    /// A `strata:keep` value from generated counts (at least one rule).
    fn keep_value() -> impl Strategy<Value = String> {
        (proptest::option::of(1u32..30), proptest::collection::vec(proptest::option::of(1u32..12), 6)).prop_filter_map(
            "keeps nothing",
            |(within, counts)| {
                let mut parts: Vec<String> = within.map(|w| format!("within={w}d")).into_iter().collect();
                for (name, n) in ["last", "hourly", "daily", "weekly", "monthly", "yearly"].iter().zip(counts) {
                    if let Some(n) = n {
                        parts.push(format!("{name}={n}"));
                    }
                }
                (!parts.is_empty()).then(|| parts.join(","))
            },
        )
    }

    /// A tree of datasets, each with a policy (or none) and snapshots spread over two years,
    /// some not managed, some held, some created in the same second.
    fn tree() -> impl Strategy<Value = (Vec<(String, Option<String>)>, Vec<Item>)> {
        proptest::collection::vec(
            (
                proptest::option::of(keep_value()),
                proptest::collection::vec((0i64..2 * 365 * 86400, any::<bool>(), 0u64..8), 0..40),
            ),
            1..6,
        )
        .prop_map(|datasets| {
            let mut names = Vec::new();
            let mut items = Vec::new();
            for (d, (keep, snaps)) in datasets.into_iter().enumerate() {
                let ds = if d == 0 { "tank".to_string() } else { format!("tank/d{d}") };
                for (j, (t, managed, hold)) in snaps.into_iter().enumerate() {
                    let mut it = item(&format!("{ds}@s{j}"), 1_600_000_000 + t - t % 7, j as u64 + 1, managed);
                    it.userrefs = u64::from(hold == 0);
                    items.push(it);
                }
                names.push((ds, keep));
            }
            (names, items)
        })
    }

    proptest! {
        /// plan --policy gives each dataset exactly the plan of prune's --keep-* flags spelling the
        /// same rules (rules.rs, checked against borg), and keeps everything without a policy.
        #[test]
        fn policy_plan_is_the_per_dataset_flag_plan((datasets, items) in tree(), now_off in 0i64..3 * 365 * 86400) {
            let now = 1_600_000_000 + now_off;
            let policies: HashMap<String, DatasetPolicy> = datasets
                .iter()
                .map(|(d, k)| (d.clone(), DatasetPolicy::from_value(k.as_deref(), None)))
                .collect();
            let (planned, left) = plan_policy(&items, &policies, now, &Owner::Managed, &HashSet::new());
            prop_assert!(left.is_empty());
            prop_assert_eq!(planned.len(), items.len());
            let got: HashMap<&str, &Decision> = planned.iter().map(|(i, d)| (items[*i].snapshot.as_str(), d)).collect();
            for (ds, keep) in &datasets {
                let own: Vec<Item> = items.iter().filter(|i| i.dataset() == ds).cloned().collect();
                match keep {
                    Some(v) => {
                        let (order, want) = plan(&own, &flag_rules(v), now, &Owner::Managed, &HashSet::new());
                        // same order within the dataset, same decisions
                        let got_order: Vec<&str> = planned.iter().map(|(i, _)| items[*i].snapshot.as_str()).filter(|s| s.split('@').next() == Some(ds.as_str())).collect();
                        let want_order: Vec<&str> = order.iter().map(|&j| own[j].snapshot.as_str()).collect();
                        prop_assert_eq!(got_order, want_order);
                        for (j, it) in own.iter().enumerate() {
                            prop_assert_eq!(got[it.snapshot.as_str()], &want[j], "{}", it.snapshot);
                        }
                    }
                    None => {
                        for it in &own {
                            prop_assert_eq!(got[it.snapshot.as_str()].action, Action::Keep);
                        }
                    }
                }
            }
            // datasets come in name order
            let order: Vec<&str> = planned.iter().map(|(i, _)| items[*i].dataset()).collect();
            prop_assert!(order.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}
