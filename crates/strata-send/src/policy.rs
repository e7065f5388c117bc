//! `strata send --policy`: each dataset goes where its `strata:send` says, when root said it.
//!
//! A user property is written by whoever may `zfs set` it. A delegated user (`zfs allow alice
//! userprop tank/users/alice`) who could write `strata:send` would choose where root's timer sends,
//! over root's ssh keys. So a value is followed only when it is set locally on a dataset (or
//! inherited from one) where nobody is delegated `userprop`, and its own source there is `local`.
//! A received value (`zfs recv` of properties) is refused too. Refused datasets are named, the
//! others are sent, and the run exits 2.

use std::collections::BTreeMap;

use anyhow::Result;
use strata_core::Ctx;
use strata_core::exit::ExitError;
use strata_zfs::policy::{self as zp, DatasetProps, Source};

use crate::Cli;
use crate::endpoint::Location;
use crate::run::Job;

/// The sends a policy asks for, and the datasets refused (with why).
#[derive(Debug, Default)]
pub struct Planned {
    pub jobs: Vec<Job>,
    pub refused: Vec<(String, String)>,
    /// Every dataset read, with its snapshot interval when it has a valid one (for check).
    pub intervals: BTreeMap<String, Option<u64>>,
}

fn usage(msg: impl Into<String>) -> anyhow::Error {
    ExitError::usage(msg).into()
}

/// Where the value of `strata:send` read on `p` is set, if that is a source root controls.
fn set_on(p: &DatasetProps) -> Result<String, String> {
    match &p.send.source {
        Source::Local => Ok(p.dataset.clone()),
        Source::Inherited(from) if !from.is_empty() => Ok(from.clone()),
        other => Err(format!(
            "strata:send is {} here, not set on this host: a policy follows only values set locally or inherited",
            other.describe()
        )),
    }
}

/// The sends `--policy` makes for `cli`'s datasets.
pub fn plan(cli: &Cli, ctx: &Ctx) -> Result<Planned> {
    if cli.sources.is_empty() {
        return Err(usage("--policy needs the DATASETs whose strata:send to follow (with -r, their descendants too)"));
    }
    for s in &cli.sources {
        let local = Location::source(s).map_err(|e| usage(e.to_string()))?;
        if local.host.is_some() || local.snapshot.is_some() {
            return Err(usage(format!(
                "--policy takes local datasets (pool/ds), not {s:?}: each dataset's own strata:send names its target"
            )));
        }
    }
    plan_for(&cli.sources, cli.recursive, ctx)
}

/// The sends the policy of `datasets` (and their descendants with `recursive`) asks for.
pub fn plan_for(datasets: &[String], recursive: bool, ctx: &Ctx) -> Result<Planned> {
    let runner = ctx.runner.as_ref();
    let json = strata_zfs::listing::has_json(runner);
    let listing = strata_zfs::props::read_as(runner, datasets, recursive, json)?;
    let mut planned = Planned::default();
    for b in listing.bad {
        planned.refused.push((b.dataset, format!("its policy properties cannot be read safely: {}", b.reason)));
    }
    let known: BTreeMap<String, DatasetProps> =
        listing.datasets.iter().map(|p| (p.dataset.clone(), p.clone())).collect();
    // (dataset, its target prefix, where the value is set)
    let mut wanted: Vec<(String, zp::SendTarget, String)> = Vec::new();
    for p in &listing.datasets {
        let pol = zp::policy(p);
        planned.intervals.insert(p.dataset.clone(), pol.every());
        if !pol.valid() {
            planned.refused.push((p.dataset.clone(), pol.errors.join("; ")));
            continue;
        }
        let Some(target) = pol.send else { continue };
        if pol.excluded {
            ctx.debug(format!("{}: com.sun:auto-snapshot=false, not sent", p.dataset));
            continue;
        }
        match set_on(p) {
            Ok(on) => wanted.push((p.dataset.clone(), target, on)),
            Err(why) => planned.refused.push((p.dataset.clone(), why)),
        }
    }
    // Each dataset a followed value is set on: its own source is local, and nobody is delegated
    // userprop there. One `zfs get` for those outside the listing, one `zfs allow` each.
    let mut verdict: BTreeMap<String, Result<(), String>> = BTreeMap::new();
    let outside: Vec<String> = wanted
        .iter()
        .map(|w| w.2.clone())
        .filter(|on| !known.contains_key(on))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut origins = known;
    if !outside.is_empty() {
        let more = strata_zfs::props::read_as(runner, &outside, false, json)?;
        for b in more.bad {
            verdict.insert(
                b.dataset.clone(),
                Err(format!("the policy of {} cannot be read safely: {}", b.dataset, b.reason)),
            );
        }
        origins.extend(more.datasets.into_iter().map(|p| (p.dataset.clone(), p)));
    }
    for (_, _, on) in &wanted {
        if verdict.contains_key(on) {
            continue;
        }
        let v = match origins.get(on).map(|p| &p.send.source) {
            Some(Source::Local) => delegated(ctx, on),
            Some(other) => Err(format!("strata:send on {on} is {}, not local", other.describe())),
            None => Err(format!("{on}, where strata:send is set, could not be read")),
        };
        verdict.insert(on.clone(), v);
    }
    for (ds, target, on) in wanted {
        if let Some(Err(why)) = verdict.get(&on) {
            planned.refused.push((ds, why.clone()));
            continue;
        }
        let to = target.for_dataset(&ds, &on);
        let target =
            Location::target(&to).map_err(|e| usage(format!("{ds}: strata:send gives the target {to:?}: {e}")))?;
        planned.jobs.push(Job { source: Location { host: None, dataset: ds, snapshot: None }, target });
    }
    Ok(planned)
}

/// `Ok` when nobody may set user properties on `on` by delegation.
fn delegated(ctx: &Ctx, on: &str) -> Result<(), String> {
    let out = ctx
        .runner
        .run(&strata_zfs::allow::allow_command(on))
        .map_err(|e| format!("cannot read the delegations of {on}: {e}"))?;
    let grants = strata_zfs::allow::userprop_grants(&out.stdout, on).map_err(|e| format!("{on}: {e}"))?;
    if grants.is_empty() {
        return Ok(());
    }
    Err(format!(
        "strata:send is set on {on}, where a delegated user may set user properties ({}): that user could choose \
         where this host sends. Set strata:send on a dataset without such a delegation, or send it by name",
        grants.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_zfs::policy::Prop;

    #[test]
    fn only_local_and_inherited_values_are_followed() {
        let mut p = DatasetProps::unset("tank/a");
        p.send = Prop::new("backup/a", Source::Local);
        assert_eq!(set_on(&p), Ok("tank/a".to_string()));
        p.send = Prop::new("backup/a", Source::Inherited("tank".into()));
        assert_eq!(set_on(&p), Ok("tank".to_string()));
        for refused in [Source::Received, Source::Other("temporary".into()), Source::Inherited(String::new())] {
            p.send = Prop::new("backup/a", refused.clone());
            assert!(set_on(&p).unwrap_err().contains("not set on this host"), "{refused:?}");
        }
    }
}
