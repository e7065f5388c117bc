//! `strata-snapshot policy`: the snapshot policy that lives on the datasets (inherited user
//! properties), shown with where each value comes from, and set in one `zfs set`.

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use strata_core::cli::MutateArgs;
use strata_core::doc::{FieldDoc, RecordDoc};
use strata_core::exit::ExitError;
use strata_core::output::Record;
use strata_core::sanitize::for_terminal;
use strata_core::{Ctx, Outcome};
use strata_zfs::policy::{
    self as zp, DatasetProps, Interval, PROP_KEEP, PROP_SEND, PROP_SNAPSHOT, Policy, Prop, parse_interval, parse_keep,
    parse_send,
};

#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub cmd: Option<PolicySub>,
    /// Datasets whose policy is shown.
    #[arg(value_name = "DATASET", required = true, value_parser = strata_zfs::name::dataset_arg, add = strata_core::complete::datasets())]
    pub datasets: Vec<String>,
    /// Their descendants too.
    #[arg(short, long)]
    pub recursive: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum PolicySub {
    /// Validate the values, then write them in one zfs set (and clear with zfs inherit).
    Set(SetArgs),
}

/// A policy property, as `set --inherit` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyProp {
    /// strata:snapshot
    Every,
    /// strata:keep
    Keep,
    /// strata:send
    Send,
}

impl PolicyProp {
    pub fn property(self) -> &'static str {
        match self {
            PolicyProp::Every => PROP_SNAPSHOT,
            PolicyProp::Keep => PROP_KEEP,
            PolicyProp::Send => PROP_SEND,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct SetArgs {
    /// Datasets to set the policy on (their descendants inherit it).
    #[arg(value_name = "DATASET", required = true, value_parser = strata_zfs::name::dataset_arg, add = strata_core::complete::datasets())]
    pub datasets: Vec<String>,
    /// strata:snapshot: off, or the interval between snapshots: a number and m (minutes), h, d or w (15m, 1h, 1d).
    #[arg(long, value_name = "INTERVAL")]
    pub every: Option<String>,
    /// strata:keep: prune's keep rules, e.g. within=2d,hourly=24,daily=7,weekly=4,monthly=12 (within's m is 31 days).
    #[arg(long, value_name = "RULES")]
    pub keep: Option<String>,
    /// strata:send: the replication target prefix, [user@]host:pool/path or pool/path.
    #[arg(long, value_name = "TARGET")]
    pub send: Option<String>,
    /// Clear these properties here (zfs inherit), so the value set above applies again.
    #[arg(long, value_name = "PROP", value_enum, value_delimiter = ',')]
    pub inherit: Vec<PolicyProp>,
    #[command(flatten)]
    pub mutate: MutateArgs,
}

/// One dataset's policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyRecord {
    pub r#type: &'static str,
    pub dataset: String,
    pub interval: Option<String>,
    pub interval_source: Option<String>,
    pub interval_seconds: Option<u64>,
    pub keep: Option<String>,
    pub keep_source: Option<String>,
    pub send: Option<String>,
    pub send_source: Option<String>,
    pub send_target: Option<String>,
    pub auto_snapshot: Option<String>,
    pub auto_snapshot_source: Option<String>,
    pub excluded: bool,
    pub valid: bool,
    pub errors: Vec<String>,
}

pub static POLICY_DOC: RecordDoc = RecordDoc {
    name: "policy",
    about: "One dataset's snapshot policy (policy): each property's effective value and where it comes from.",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "always \"policy\"" },
        FieldDoc { name: "dataset", ty: "string", doc: "the dataset's full name" },
        FieldDoc {
            name: "interval",
            ty: "string|null",
            doc: "strata:snapshot as set (raw): off or an interval; null when unset",
        },
        FieldDoc {
            name: "interval_source",
            ty: "string|null",
            doc: "where it comes from, as zfs get says: \"local\", \"inherited from tank/srv\", \"received\", \"default\" (unset); null when the dataset could not be read",
        },
        FieldDoc {
            name: "interval_seconds",
            ty: "integer|null",
            doc: "the interval in seconds; null when off, unset or invalid",
        },
        FieldDoc { name: "keep", ty: "string|null", doc: "strata:keep as set (raw)" },
        FieldDoc { name: "keep_source", ty: "string|null", doc: "where strata:keep comes from" },
        FieldDoc { name: "send", ty: "string|null", doc: "strata:send as set (raw)" },
        FieldDoc { name: "send_source", ty: "string|null", doc: "where strata:send comes from" },
        FieldDoc {
            name: "send_target",
            ty: "string|null",
            doc: "this dataset's target: the prefix and the dataset's name relative to where strata:send is set",
        },
        FieldDoc { name: "auto_snapshot", ty: "string|null", doc: "com.sun:auto-snapshot as set (raw)" },
        FieldDoc { name: "auto_snapshot_source", ty: "string|null", doc: "where com.sun:auto-snapshot comes from" },
        FieldDoc {
            name: "excluded",
            ty: "boolean",
            doc: "com.sun:auto-snapshot=false: never snapshotted by create --due",
        },
        FieldDoc {
            name: "valid",
            ty: "boolean",
            doc: "every value could be read and parsed; an invalid dataset is skipped by create --due and prune plan --policy",
        },
        FieldDoc {
            name: "errors",
            ty: "array of strings",
            doc: "what is wrong, one message per value; empty when valid",
        },
    ],
};

impl Record for PolicyRecord {
    const KEY: &'static str = "dataset";

    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        let with = |v: &Option<String>, s: &Option<String>| match (v, s) {
            (Some(v), Some(s)) if s != "local" => format!("{v} ({s})"),
            (Some(v), _) => v.clone(),
            (None, _) => "-".into(),
        };
        Some(vec![
            ("dataset", self.dataset.clone()),
            ("every", with(&self.interval, &self.interval_source)),
            ("keep", with(&self.keep, &self.keep_source)),
            ("send", self.send_target.clone().unwrap_or_else(|| "-".into())),
            (
                "status",
                if !self.valid {
                    format!("invalid: {}", self.errors.join("; "))
                } else if self.excluded {
                    "excluded".into()
                } else {
                    "ok".into()
                },
            ),
        ])
    }
}

/// A dataset and its policy; `props` is `None` when its values could not be read safely.
#[derive(Debug, Clone)]
pub struct Entry {
    pub dataset: String,
    pub props: Option<DatasetProps>,
    pub policy: Policy,
}

impl Entry {
    pub fn record(&self) -> PolicyRecord {
        let p = self.props.as_ref();
        let val = |f: fn(&DatasetProps) -> &Prop| p.and_then(|p| f(p).value.clone());
        let src = |f: fn(&DatasetProps) -> &Prop| p.map(|p| f(p).source.describe());
        let send_target = match (p, &self.policy.send) {
            // Inherited from a dataset ZFS did not name: the relative name is unknown, so no target.
            (Some(p), _) if p.send.source == zp::Source::Inherited(String::new()) => None,
            (Some(p), Some(t)) => Some(t.for_dataset(&self.dataset, p.send.source.set_on(&self.dataset))),
            _ => None,
        };
        PolicyRecord {
            r#type: "policy",
            dataset: self.dataset.clone(),
            interval: val(|p| &p.snapshot),
            interval_source: src(|p| &p.snapshot),
            interval_seconds: match self.policy.interval {
                Some(Interval::Every(s)) => Some(s),
                _ => None,
            },
            keep: val(|p| &p.keep),
            keep_source: src(|p| &p.keep),
            send: val(|p| &p.send),
            send_source: src(|p| &p.send),
            send_target,
            auto_snapshot: val(|p| &p.auto),
            auto_snapshot_source: src(|p| &p.auto),
            excluded: self.policy.excluded,
            valid: self.policy.valid(),
            errors: self.policy.errors.clone(),
        }
    }
}

/// The policy of `datasets` (and descendants with `recursive`), in name order: one `zfs list -j`,
/// or names then proven `zfs get` lines on older ZFS. A dataset whose values cannot be read
/// safely is an invalid entry, never left silently out.
pub fn read(ctx: &Ctx, datasets: &[String], recursive: bool) -> Result<Vec<Entry>> {
    let l = strata_zfs::props::read(ctx.runner.as_ref(), datasets, recursive)
        .context("cannot read the policy properties")?;
    Ok(entries(l))
}

/// Entries from a property listing, in name order.
pub fn entries(l: strata_zfs::props::PropListing) -> Vec<Entry> {
    let mut v: Vec<Entry> = l
        .datasets
        .into_iter()
        .map(|p| Entry { dataset: p.dataset.clone(), policy: zp::policy(&p), props: Some(p) })
        .collect();
    for b in l.bad {
        v.push(Entry {
            policy: Policy { interval: None, keep: None, send: None, excluded: false, errors: vec![b.reason] },
            dataset: b.dataset,
            props: None,
        });
    }
    v.sort_by(|a, b| a.dataset.cmp(&b.dataset));
    v
}

/// Says on stderr, for each invalid entry, why it is skipped; true when there was any.
pub fn report_invalid(ctx: &Ctx, entries: &[Entry], what: &str) -> bool {
    let mut any = false;
    for e in entries.iter().filter(|e| !e.policy.valid()) {
        any = true;
        ctx.error(format_args!(
            "{}: invalid policy, {what}: {}",
            for_terminal(&e.dataset),
            for_terminal(&e.policy.errors.join("; "))
        ));
    }
    any
}

pub fn run(args: &PolicyArgs, ctx: &mut Ctx) -> Result<Outcome> {
    if let Some(PolicySub::Set(s)) = &args.cmd {
        return set(s, ctx);
    }
    let entries = read(ctx, &args.datasets, args.recursive)?;
    for e in &entries {
        ctx.out.write(&e.record())?;
    }
    let bad = report_invalid(ctx, &entries, "it is skipped");
    Ok(if bad { Outcome::Code(strata_core::exit::ERROR) } else { Outcome::Success })
}

/// `zfs set PROP=VALUE... DATASET...`: one call for every value.
pub fn set_command(values: &[(&str, &str)], datasets: &[String]) -> strata_core::runner::Cmd {
    strata_zfs::zfs_mutate().arg("set").args(values.iter().map(|(p, v)| format!("{p}={v}"))).args(datasets)
}

/// `zfs inherit PROP DATASET...`.
pub fn inherit_command(prop: &str, datasets: &[String]) -> strata_core::runner::Cmd {
    strata_zfs::zfs_mutate().arg("inherit").arg(prop).args(datasets)
}

/// Every value is validated first; then one `zfs set`, then one `zfs inherit` per cleared property.
pub fn set(args: &SetArgs, ctx: &mut Ctx) -> Result<Outcome> {
    let mut values: Vec<(&str, &str)> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    type Check = fn(&str) -> Result<(), String>;
    let checks: [(PolicyProp, &Option<String>, Check); 3] = [
        (PolicyProp::Every, &args.every, |v| parse_interval(v).map(|_| ())),
        (PolicyProp::Keep, &args.keep, |v| parse_keep(v).map(|_| ())),
        (PolicyProp::Send, &args.send, |v| parse_send(v).map(|_| ())),
    ];
    for (prop, value, check) in checks {
        let Some(v) = value else { continue };
        if args.inherit.contains(&prop) {
            errors.push(format!("{} is both set and inherited", prop.property()));
        }
        match check(v) {
            Ok(()) => values.push((prop.property(), v.as_str())),
            Err(e) => errors.push(e),
        }
    }
    if values.is_empty() && args.inherit.is_empty() && errors.is_empty() {
        errors.push("nothing to set: give --every, --keep, --send or --inherit".into());
    }
    if !errors.is_empty() {
        return Err(ExitError::usage(format!(
            "{}; nothing was changed",
            errors.iter().map(|e| for_terminal(e).into_owned()).collect::<Vec<_>>().join("; ")
        ))
        .into());
    }
    if !values.is_empty() {
        ctx.runner.run(&set_command(&values, &args.datasets))?;
    }
    let mut cleared: Vec<PolicyProp> = args.inherit.clone();
    cleared.dedup();
    for p in cleared {
        ctx.runner.run(&inherit_command(p.property(), &args.datasets))?;
    }
    if !ctx.dry_run() {
        ctx.debug(format_args!(
            "policy of {} written",
            args.datasets.iter().map(|d| for_terminal(d).into_owned()).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(Outcome::Success)
}

/// A snapshot record with its dataset's keep policy (`list --policy`): what `strata prune plan
/// --policy` reads from a pipe, so it needs no zfs call of its own.
#[derive(Debug, Clone, Serialize)]
pub struct PolicySnapshot<'a> {
    #[serde(flatten)]
    pub snapshot: &'a strata_zfs::snapshot::SnapshotRecord,
    pub keep: Option<String>,
    pub keep_source: Option<String>,
    pub policy_error: Option<String>,
}

pub static POLICY_SNAPSHOT_DOC: RecordDoc = RecordDoc {
    name: "snapshot (list --policy)",
    about: "The snapshot record and three fields of its dataset's policy, for strata prune plan --policy.",
    fields: &[
        FieldDoc {
            name: "keep",
            ty: "string|null",
            doc: "the dataset's strata:keep (raw); null when unset: keep everything",
        },
        FieldDoc {
            name: "keep_source",
            ty: "string|null",
            doc: "where strata:keep comes from (\"local\", \"inherited from tank/srv\", \"default\"); null when the policy could not be read",
        },
        FieldDoc {
            name: "policy_error",
            ty: "string|null",
            doc: "why the dataset's policy is invalid (it is then neither snapshotted nor pruned); null when valid",
        },
    ],
};

impl Record for PolicySnapshot<'_> {
    const KEY: &'static str = "snapshot";

    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        let mut row = self.snapshot.table_row()?;
        row.push((
            "keep",
            match (&self.policy_error, &self.keep) {
                (Some(e), _) => format!("invalid: {e}"),
                (None, Some(k)) => k.clone(),
                (None, None) => "-".into(),
            },
        ));
        Some(row)
    }
}

/// `list --policy`: the snapshot records, each with its dataset's keep policy.
pub fn list(args: &crate::list::ListArgs, ctx: &mut Ctx) -> Result<Outcome> {
    let l = crate::list::list(ctx, args)?;
    let entries = read(ctx, &args.datasets, args.recursive)?;
    let by_ds: std::collections::HashMap<&str, &Entry> = entries.iter().map(|e| (e.dataset.as_str(), e)).collect();
    for r in &l.records {
        let e = by_ds.get(r.dataset.as_str());
        let props = e.and_then(|e| e.props.as_ref());
        let policy_error = match e {
            None => Some("its policy was not read".to_string()),
            Some(e) if !e.policy.valid() => Some(e.policy.errors.join("; ")),
            Some(_) => None,
        };
        ctx.out.write(&PolicySnapshot {
            snapshot: r,
            keep: props.and_then(|p| p.keep.value.clone()),
            keep_source: props.map(|p| p.keep.source.describe()),
            policy_error,
        })?;
    }
    let bad = report_invalid(ctx, &entries, "its snapshots will not be pruned");
    let out = crate::list::report_bad(ctx, &l.bad);
    Ok(if bad { Outcome::Code(strata_core::exit::ERROR) } else { out })
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::buf::SharedBuf;
    use strata_core::clock::FixedClock;
    use strata_core::output::Format;
    use strata_core::runner::{FakeRunner, Output};

    fn ctx(fake: FakeRunner) -> (Ctx, SharedBuf) {
        let buf = SharedBuf::new();
        let ctx = Ctx::for_test(
            Box::new(fake),
            Box::new(FixedClock(jiff::Timestamp::UNIX_EPOCH)),
            Box::new(buf.clone()),
            Format::Json,
        );
        (ctx, buf)
    }

    fn set_args(every: Option<&str>, keep: Option<&str>, send: Option<&str>, inherit: &[PolicyProp]) -> SetArgs {
        SetArgs {
            datasets: vec!["tank/srv".into()],
            every: every.map(str::to_string),
            keep: keep.map(str::to_string),
            send: send.map(str::to_string),
            inherit: inherit.to_vec(),
            mutate: MutateArgs::default(),
        }
    }

    #[test]
    fn set_is_one_zfs_set_after_every_value_is_valid() {
        let ds = vec!["tank/srv".to_string()];
        let want = set_command(&[(PROP_SNAPSHOT, "1h"), (PROP_KEEP, "daily=7,weekly=4")], &ds);
        assert_eq!(want.display(), "zfs set strata:snapshot=1h strata:keep=daily=7,weekly=4 tank/srv");
        let fake = FakeRunner::new()
            .expect(&want.argv_strings(), Output::ok(""))
            .expect(&inherit_command(PROP_SEND, &ds).argv_strings(), Output::ok(""));
        let (mut c, _) = ctx(fake);
        set(&set_args(Some("1h"), Some("daily=7,weekly=4"), None, &[PolicyProp::Send]), &mut c).unwrap();
        // A bad value anywhere: nothing runs (the fake has no expectation, so any call would fail).
        for a in [
            set_args(Some("1h"), Some("daily=7\ntank"), None, &[]),
            set_args(Some("1x"), Some("daily=7"), None, &[]),
            set_args(None, None, Some("-oProxyCommand=sh:pool"), &[]),
            set_args(Some("1h"), None, None, &[PolicyProp::Every]),
            set_args(None, None, None, &[]),
        ] {
            let (mut c, _) = ctx(FakeRunner::new());
            let e = set(&a, &mut c).unwrap_err();
            assert_eq!(strata_core::exit::code_of(&e), 2, "{e}");
            assert!(e.to_string().ends_with("nothing was changed"), "{e}");
        }
    }

    #[test]
    fn snapshot_records_carry_the_policy() {
        let snap = strata_zfs::snapshot::SnapshotInput {
            snapshot: "tank/a@s".into(),
            created: jiff::Timestamp::UNIX_EPOCH,
            guid: None,
            createtxg: None,
            used_bytes: None,
            referenced_bytes: None,
            userrefs: None,
            managed: Some(true),
            label: None,
        }
        .into_record()
        .unwrap();
        let r = PolicySnapshot {
            snapshot: &snap,
            keep: Some("daily=7".into()),
            keep_source: Some("inherited from tank".into()),
            policy_error: None,
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["snapshot"], "tank/a@s");
        assert_eq!(v["managed"], true);
        assert_eq!(v["keep_source"], "inherited from tank");
        assert!(v["policy_error"].is_null());
    }

    #[test]
    fn policy_records_are_documented() {
        let mut p = DatasetProps::unset("tank/srv/a");
        p.snapshot = Prop::new("1h", zp::Source::Inherited("tank/srv".into()));
        p.send = Prop::new("backup@nas:pool/srv", zp::Source::Inherited("tank/srv".into()));
        let e = Entry { dataset: p.dataset.clone(), policy: zp::policy(&p), props: Some(p) };
        let r = e.record();
        strata_core::doc::check_fields(&POLICY_DOC, &r);
        assert_eq!(r.send_target.as_deref(), Some("backup@nas:pool/srv/a"));
        assert_eq!(r.interval_source.as_deref(), Some("inherited from tank/srv"));
        assert_eq!(r.keep_source.as_deref(), Some("default"));
        assert_eq!((r.interval_seconds, r.valid), (Some(3600), true));
        // ZFS said "inherited" without naming from where: the relative name, so the target, is unknown.
        let mut p = e.props.clone().unwrap();
        p.send.source = zp::Source::Inherited(String::new());
        let e = Entry { dataset: p.dataset.clone(), policy: zp::policy(&p), props: Some(p) };
        assert_eq!(e.record().send_target, None);
    }
}
