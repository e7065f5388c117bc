//! `strata-snapshot create --due`: snapshot the datasets whose policy interval has passed since
//! their newest strata-made snapshot, by ZFS `creation` and the injected clock. Safe to run every
//! minute: a second run in the same interval makes nothing and prints nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::{Context, Result};
use strata_core::exit::ExitError;
use strata_core::sanitize::for_terminal;
use strata_core::{Ctx, Outcome};
use strata_zfs::listing::{self, Listing, Scope};
use strata_zfs::snapshot;

use crate::create::{CreateArgs, clash, existing, snapshot_name};
use crate::policy::Entry;

/// The newest strata-made snapshot (own `strata:managed=on`) of each dataset, by creation time.
pub fn newest_managed(l: &Listing) -> HashMap<&str, i64> {
    let mut m: HashMap<&str, i64> = HashMap::new();
    for r in l.records.iter().filter(|r| r.managed == Some(true)) {
        let t = m.entry(r.dataset.as_str()).or_insert(r.created_unix);
        *t = (*t).max(r.created_unix);
    }
    m
}

/// Whether a dataset with this interval is due at `now`, given its newest strata-made snapshot.
/// A newest snapshot in the future (a clock moved back) is not due: it is still fresh.
pub fn is_due(every: u64, newest: Option<i64>, now: i64) -> bool {
    match newest {
        None => true,
        Some(t) => u64::try_from(now.saturating_sub(t)).is_ok_and(|age| age >= every),
    }
}

/// The due datasets, grouped by the label their snapshot call gets (the interval as set:
/// `strata:label=1h`); the label is the validated value, so it holds no control character.
pub fn due<'a>(
    entries: &'a [Entry],
    newest: &HashMap<&str, i64>,
    unreadable: &HashSet<&str>,
    now: i64,
) -> BTreeMap<&'a str, Vec<String>> {
    let mut groups: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for e in entries {
        let (Some(every), Some(props)) = (e.policy.every(), e.props.as_ref()) else { continue };
        if unreadable.contains(e.dataset.as_str()) {
            continue;
        }
        if is_due(every, newest.get(e.dataset.as_str()).copied(), now) {
            let label = props.snapshot.value.as_deref().unwrap_or_default();
            groups.entry(label).or_default().push(e.dataset.clone());
        }
    }
    groups
}

pub fn run(args: &CreateArgs, ctx: &mut Ctx) -> Result<Outcome> {
    let now = ctx.clock.now();
    let name = snapshot_name(&args.prefix, &args.name_format, now)?;
    let json = listing::has_json(ctx.runner.as_ref());
    let props = strata_zfs::props::read_as(ctx.runner.as_ref(), &args.datasets, args.recursive, json)
        .context("cannot read the policy properties")?;
    let entries = crate::policy::entries(props);
    let scope = Scope::Datasets { datasets: &args.datasets, recursive: args.recursive };
    let l = listing::list_as(ctx.runner.as_ref(), scope, json).context("cannot list the snapshots")?;
    let mut failed = crate::policy::report_invalid(ctx, &entries, "it is not snapshotted");
    for b in &l.bad {
        failed = true;
        ctx.error(format_args!(
            "{}: its snapshots cannot be read safely, it is not snapshotted: {}",
            for_terminal(&b.dataset),
            for_terminal(&b.reason)
        ));
    }
    let unreadable: HashSet<&str> = l.bad.iter().map(|b| b.dataset.as_str()).collect();
    let newest = newest_managed(&l);
    let groups = due(&entries, &newest, &unreadable, now.as_second());
    let datasets: Vec<&String> = groups.values().flatten().collect();
    for d in &datasets {
        strata_zfs::name::check_snapshot_part(d, &name).map_err(|e| ExitError::usage(e.to_string()))?;
    }
    let targets: Vec<String> = datasets.iter().map(|d| format!("{d}@{name}")).collect();
    if !targets.is_empty() {
        let exists = existing(ctx, &targets)?;
        if !exists.is_empty() {
            return Err(clash(&exists));
        }
    }
    for (label, group) in &groups {
        ctx.runner
            .run(&snapshot::create_command(group, &name, false, Some(label)))
            .with_context(|| format!("cannot make the {} snapshot(s) due every {label}", group.len()))?;
    }
    if targets.is_empty() {
        ctx.debug(format_args!("nothing is due"));
    }
    if !targets.is_empty() && !ctx.dry_run() {
        ctx.debug(format_args!(
            "made {} snapshot(s): {}",
            targets.len(),
            targets.iter().map(|t| for_terminal(t).into_owned()).collect::<Vec<_>>().join(", ")
        ));
        if ctx.format_given {
            let made = listing::list_as(ctx.runner.as_ref(), Scope::Snapshots(&targets), json)?;
            for r in &made.records {
                ctx.out.write(r)?;
            }
        }
    }
    Ok(if failed { Outcome::Code(strata_core::exit::ERROR) } else { Outcome::Success })
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_zfs::policy::{DatasetProps, Prop, Source, policy};

    fn entry(ds: &str, every: Option<&str>, auto: Option<&str>) -> Entry {
        let mut p = DatasetProps::unset(ds);
        if let Some(e) = every {
            p.snapshot = Prop::new(e, Source::Local);
        }
        if let Some(a) = auto {
            p.auto = Prop::new(a, Source::Local);
        }
        Entry { dataset: ds.into(), policy: policy(&p), props: Some(p) }
    }

    #[test]
    fn due_when_the_interval_has_passed() {
        assert!(is_due(3600, None, 0));
        assert!(is_due(3600, Some(1000), 4600));
        assert!(!is_due(3600, Some(1000), 4599));
        // a newest snapshot from the future is fresh
        assert!(!is_due(3600, Some(10_000), 0));
        // no overflow at the ends of time
        assert!(is_due(60, Some(i64::MIN), i64::MAX));
        assert!(!is_due(60, Some(i64::MAX), i64::MIN));
    }

    #[test]
    fn groups_by_interval_and_skips_what_is_off_excluded_invalid_or_unreadable() {
        let entries = vec![
            entry("tank/a", Some("1h"), None),
            entry("tank/b", Some("1d"), None),
            entry("tank/c", Some("off"), None),
            entry("tank/d", Some("1h"), Some("false")),
            entry("tank/e", Some("1h\nx"), None),
            entry("tank/f", None, None),
            entry("tank/g", Some("1h"), None),
            entry("tank/h", Some("1h"), None),
        ];
        let newest: HashMap<&str, i64> = [("tank/g", 100_000 - 60), ("tank/a", 100_000 - 3600)].into_iter().collect();
        let unreadable: HashSet<&str> = ["tank/h"].into_iter().collect();
        let g = due(&entries, &newest, &unreadable, 100_000);
        let got: Vec<(&str, Vec<&str>)> = g.iter().map(|(k, v)| (*k, v.iter().map(String::as_str).collect())).collect();
        assert_eq!(got, [("1d", vec!["tank/b"]), ("1h", vec!["tank/a"])]);
    }
}
