//! `strata-snapshot check`: are the snapshots fresh? For cron and monitoring, in the shape of
//! `strata-quota check` (exit codes, a Nagios line, a node_exporter textfile).

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde::Serialize;
pub use strata_core::check::{Level, human_age};
use strata_core::check::{family, label_value, nagios_label};
use strata_core::doc::{FieldDoc, RecordDoc};
use strata_core::exit::ExitError;
use strata_core::output::Record;
use strata_core::{Ctx, Outcome};
use strata_zfs::listing::{self, Scope};
use strata_zfs::policy::Ages;

use crate::policy::Entry;

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Datasets to check.
    #[arg(value_name = "DATASET", required = true, value_parser = strata_zfs::name::dataset_arg, add = strata_core::complete::datasets())]
    pub datasets: Vec<String>,
    /// Their descendants too.
    #[arg(short, long)]
    pub recursive: bool,
    #[command(flatten)]
    pub ages: Ages,
    /// Print one Nagios plugin line (status and perfdata) instead of records.
    #[arg(long)]
    pub nagios: bool,
    /// Also write a node_exporter textfile-collector file (FILE.prom), replaced atomically; on an
    /// error it says strata_snapshot_check_success 0.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub prometheus: Option<PathBuf>,
}

/// One checked dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckRecord {
    pub r#type: &'static str,
    pub dataset: String,
    pub level: Level,
    pub newest_snapshot: Option<String>,
    #[serde(with = "opt_rfc3339")]
    pub newest_created: Option<jiff::Timestamp>,
    pub newest_age_seconds: Option<u64>,
    pub snapshots: u64,
    pub warn_age_seconds: Option<u64>,
    pub crit_age_seconds: Option<u64>,
    pub errors: Vec<String>,
}

mod opt_rfc3339 {
    pub fn serialize<S: serde::Serializer>(t: &Option<jiff::Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => strata_zfs::snapshot::rfc3339::serialize(t, s),
            None => s.serialize_none(),
        }
    }
}

pub static CHECK_DOC: RecordDoc = RecordDoc {
    name: "snapshot_check",
    about: "A dataset whose snapshots are not fresh, or that cannot be checked (check); fresh datasets print nothing.",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "always \"snapshot_check\"" },
        FieldDoc { name: "dataset", ty: "string", doc: "the dataset's full name" },
        FieldDoc {
            name: "level",
            ty: "string",
            doc: "\"warn\" (older than the warning age), \"crit\" (older than the critical age, or no snapshot), \
                  \"invalid\" (a policy value or the snapshots could not be read: see errors)",
        },
        FieldDoc {
            name: "newest_snapshot",
            ty: "string|null",
            doc: "the newest snapshot, DATASET@NAME; null when none",
        },
        FieldDoc { name: "newest_created", ty: "string|null", doc: "its ZFS creation time, RFC 3339 UTC" },
        FieldDoc { name: "newest_age_seconds", ty: "integer|null", doc: "its age at the clock's now (STRATA_NOW)" },
        FieldDoc { name: "snapshots", ty: "integer", doc: "how many snapshots the dataset has" },
        FieldDoc {
            name: "warn_age_seconds",
            ty: "integer|null",
            doc: "the warning age: --warn-age or twice the interval",
        },
        FieldDoc {
            name: "crit_age_seconds",
            ty: "integer|null",
            doc: "the critical age: --crit-age, four times the interval, or --max-age",
        },
        FieldDoc { name: "errors", ty: "array of strings", doc: "why an invalid dataset cannot be checked" },
    ],
};

impl Record for CheckRecord {
    const KEY: &'static str = "dataset";

    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        let age = |s: Option<u64>| s.map(human_age).unwrap_or_else(|| "-".into());
        Some(vec![
            ("dataset", self.dataset.clone()),
            (
                "level",
                serde_json::to_value(self.level).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
            ),
            ("newest", self.newest_snapshot.clone().unwrap_or_else(|| "-".into())),
            ("age", age(self.newest_age_seconds)),
            ("warn", age(self.warn_age_seconds)),
            ("crit", age(self.crit_age_seconds)),
            ("errors", self.errors.join("; ")),
        ])
    }
}

/// The warning and critical ages of a dataset; `None` when it is not checked (no schedule and
/// no --max-age, or excluded).
pub fn thresholds(e: &Entry, args: &CheckArgs) -> Option<(u64, u64)> {
    if e.policy.excluded {
        return None;
    }
    args.ages.limits(e.policy.every())
}

/// The newest snapshot and the count of each dataset.
struct Newest<'a> {
    name: &'a str,
    created: jiff::Timestamp,
    count: u64,
}

/// Assesses every entry against its snapshots; `unreadable` holds why a dataset's snapshots
/// could not be read.
pub fn assess(
    entries: &[Entry],
    records: &[strata_zfs::snapshot::SnapshotRecord],
    unreadable: &HashMap<String, String>,
    args: &CheckArgs,
    now: i64,
) -> Vec<CheckRecord> {
    let mut newest: HashMap<&str, Newest> = HashMap::new();
    for r in records {
        let n = newest.entry(&r.dataset).or_insert(Newest { name: &r.snapshot, created: r.created, count: 0 });
        n.count += 1;
        if r.created > n.created {
            n.name = &r.snapshot;
            n.created = r.created;
        }
    }
    let mut out = Vec::new();
    for e in entries {
        let mut errors = e.policy.errors.clone();
        if let Some(why) = unreadable.get(&e.dataset) {
            errors.push(format!("its snapshots cannot be read safely: {why}"));
        }
        let limits = if errors.is_empty() { thresholds(e, args) } else { None };
        if errors.is_empty() && limits.is_none() {
            continue;
        }
        let n = newest.get(e.dataset.as_str());
        let age = n.map(|n| u64::try_from(now.saturating_sub(n.created.as_second())).unwrap_or(0));
        let level = match (errors.is_empty(), limits, age) {
            (false, _, _) => Level::Invalid,
            (true, _, None) => Level::Crit,
            (true, Some((_, crit)), Some(a)) if a > crit => Level::Crit,
            (true, Some((warn, _)), Some(a)) if a > warn => Level::Warn,
            _ => Level::Ok,
        };
        out.push(CheckRecord {
            r#type: "snapshot_check",
            dataset: e.dataset.clone(),
            level,
            newest_snapshot: n.map(|n| n.name.to_string()),
            newest_created: n.map(|n| n.created),
            newest_age_seconds: age,
            snapshots: n.map_or(0, |n| n.count),
            warn_age_seconds: limits.map(|l| l.0),
            crit_age_seconds: limits.map(|l| l.1),
            errors,
        });
    }
    out
}

/// The one line of a Nagios plugin: `SNAPSHOTS STATUS - text|perfdata`.
pub fn nagios_line(checked: &[CheckRecord]) -> String {
    let level = checked.iter().map(|c| c.level).max().unwrap_or(Level::Ok);
    let safe = |s: &str| strata_core::sanitize::for_terminal(s).into_owned();
    let describe = |c: &CheckRecord| match (c.level, c.newest_age_seconds) {
        (Level::Invalid, _) => format!("{} cannot be checked: {}", safe(&c.dataset), safe(&c.errors.join("; "))),
        (_, None) => format!("{} has no snapshot", safe(&c.dataset)),
        (_, Some(a)) => format!("{} newest snapshot {} old", safe(&c.dataset), human_age(a)),
    };
    let text = if checked.is_empty() {
        "no dataset has a snapshot schedule".to_string()
    } else if level == Level::Ok {
        let oldest =
            checked.iter().fold(&checked[0], |m, c| if c.newest_age_seconds > m.newest_age_seconds { c } else { m });
        let n = checked.len();
        format!("{n} dataset{} fresh, stalest {}", if n == 1 { "" } else { "s" }, describe(oldest))
    } else {
        let mut over: Vec<&CheckRecord> = checked.iter().filter(|c| c.level > Level::Ok).collect();
        over.sort_by(|a, b| b.level.cmp(&a.level).then(b.newest_age_seconds.cmp(&a.newest_age_seconds)));
        over.iter().map(|c| describe(c)).collect::<Vec<_>>().join(", ")
    };
    let perf: Vec<String> = checked
        .iter()
        .filter_map(|c| {
            let (w, cr) = (c.warn_age_seconds?, c.crit_age_seconds?);
            Some(format!("{}={}s;{w};{cr};0;", nagios_label(&c.dataset), c.newest_age_seconds?))
        })
        .collect();
    let mut line = format!("SNAPSHOTS {} - {}", level.nagios(), text.replace('\n', " "));
    if !perf.is_empty() {
        line.push('|');
        line.push_str(&perf.join(" "));
    }
    line.push('\n');
    line
}

/// A node_exporter textfile-collector file. `checked` is `None` when the check failed: then only
/// `strata_snapshot_check_success 0` and the time are written.
pub fn prometheus_text(checked: Option<(&[Entry], &[CheckRecord])>, now_unix: i64) -> String {
    let mut out = String::new();
    let one = |v: String| vec![(String::new(), v)];
    family(
        &mut out,
        "strata_snapshot_check_success",
        "1 when strata-snapshot check could read every dataset, 0 after an error.",
        &one(u8::from(checked.is_some()).to_string()),
    );
    family(
        &mut out,
        "strata_snapshot_check_timestamp_seconds",
        "When strata-snapshot check last ran, in seconds since the epoch.",
        &one(now_unix.to_string()),
    );
    let Some((entries, checked)) = checked else { return out };
    let ds = |d: &str| format!("dataset=\"{}\"", label_value(d));
    family(
        &mut out,
        "strata_snapshot_policy_valid",
        "1 when every policy value of the dataset could be read and parsed, 0 when it is skipped.",
        &entries.iter().map(|e| (ds(&e.dataset), u8::from(e.policy.valid()).to_string())).collect::<Vec<_>>(),
    );
    family(
        &mut out,
        "strata_snapshot_newest_age_seconds",
        "Age of the dataset's newest snapshot (checked datasets that have one).",
        &checked.iter().filter_map(|c| Some((ds(&c.dataset), c.newest_age_seconds?.to_string()))).collect::<Vec<_>>(),
    );
    family(
        &mut out,
        "strata_snapshot_count",
        "Number of snapshots of the dataset (checked datasets).",
        &checked.iter().map(|c| (ds(&c.dataset), c.snapshots.to_string())).collect::<Vec<_>>(),
    );
    family(
        &mut out,
        "strata_snapshot_level",
        "0 fresh, 1 older than the warning age, 2 older than the critical age or none, 3 cannot be checked.",
        &checked.iter().map(|c| (ds(&c.dataset), (c.level as u8).to_string())).collect::<Vec<_>>(),
    );
    out
}

fn check_all(args: &CheckArgs, ctx: &Ctx) -> anyhow::Result<(Vec<Entry>, Vec<CheckRecord>)> {
    let json = listing::has_json(ctx.runner.as_ref());
    let props = strata_zfs::props::read_as(ctx.runner.as_ref(), &args.datasets, args.recursive, json)
        .context("cannot read the policy properties")?;
    let entries = crate::policy::entries(props);
    let scope = Scope::Datasets { datasets: &args.datasets, recursive: args.recursive };
    let l = listing::list_as(ctx.runner.as_ref(), scope, json).context("cannot list the snapshots")?;
    let unreadable: HashMap<String, String> = l.bad.into_iter().map(|b| (b.dataset, b.reason)).collect();
    let checked = assess(&entries, &l.records, &unreadable, args, ctx.clock.now().as_second());
    if let Some(p) = &args.prometheus {
        strata_core::check::write_textfile(
            p,
            &prometheus_text(Some((&entries, &checked)), ctx.clock.now().as_second()),
        )?;
    }
    Ok((entries, checked))
}

pub fn run(args: &CheckArgs, ctx: &mut Ctx) -> anyhow::Result<Outcome> {
    args.ages.check().map_err(ExitError::usage)?;
    let (entries, checked) = match check_all(args, ctx) {
        Ok(a) => a,
        Err(e) => {
            let failed = args.prometheus.as_deref().map(|p| (p, prometheus_text(None, ctx.clock.now().as_second())));
            return strata_core::check::could_not_check(ctx, e, "SNAPSHOTS", "the snapshots", failed, args.nagios);
        }
    };
    crate::policy::report_invalid(ctx, &entries, "it is not checked");
    let level = checked.iter().map(|c| c.level).max().unwrap_or(Level::Ok);
    if args.nagios {
        ctx.out.write_text(&nagios_line(&checked))?;
    } else {
        for c in checked.iter().filter(|c| c.level > Level::Ok) {
            ctx.out.write(c)?;
        }
    }
    Ok(level.outcome())
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::exit;
    use strata_zfs::policy::{DatasetProps, Prop, Source, policy};

    fn entry(ds: &str, every: Option<&str>) -> Entry {
        let mut p = DatasetProps::unset(ds);
        if let Some(e) = every {
            p.snapshot = Prop::new(e, Source::Local);
        }
        Entry { dataset: ds.into(), policy: policy(&p), props: Some(p) }
    }

    fn snap(ds: &str, created: i64) -> strata_zfs::snapshot::SnapshotRecord {
        strata_zfs::snapshot::SnapshotInput {
            snapshot: format!("{ds}@s{created}"),
            created: jiff::Timestamp::from_second(created).unwrap(),
            guid: None,
            createtxg: None,
            used_bytes: None,
            referenced_bytes: None,
            userrefs: None,
            managed: Some(true),
            label: None,
        }
        .into_record()
        .unwrap()
    }

    fn args() -> CheckArgs {
        CheckArgs {
            datasets: vec!["tank".into()],
            recursive: true,
            ages: Ages::default(),
            nagios: false,
            prometheus: None,
        }
    }

    #[test]
    fn warn_at_twice_the_interval_crit_at_four_times() {
        let entries = vec![entry("tank/a", Some("1h")), entry("tank/b", None), entry("tank/c", Some("1h\n"))];
        let snaps = vec![snap("tank/a", 0), snap("tank/a", 1000), snap("tank/b", 0)];
        let level = |now: i64, a: &CheckArgs| {
            assess(&entries, &snaps, &HashMap::new(), a, now)
                .iter()
                .map(|c| (c.dataset.clone(), c.level))
                .collect::<Vec<_>>()
        };
        let a = args();
        let inv = ("tank/c".to_string(), Level::Invalid);
        assert_eq!(level(1000 + 7200, &a), [("tank/a".into(), Level::Ok), inv.clone()]);
        assert_eq!(level(1000 + 7201, &a), [("tank/a".into(), Level::Warn), inv.clone()]);
        assert_eq!(level(1000 + 14401, &a), [("tank/a".into(), Level::Crit), inv.clone()]);
        let a = CheckArgs { ages: Ages { warn_age: Some(60), crit_age: Some(600), max_age: Some(86400) }, ..args() };
        assert_eq!(
            level(1000 + 601, &a),
            [("tank/a".into(), Level::Crit), ("tank/b".into(), Level::Warn), inv.clone()]
        );
        let c = assess(&entries, &snaps, &HashMap::new(), &a, 1601);
        assert_eq!(
            (c[0].snapshots, c[0].newest_snapshot.as_deref(), c[0].newest_age_seconds),
            (2, Some("tank/a@s1000"), Some(601))
        );
        strata_core::doc::check_fields(&CHECK_DOC, &c[0]);
        // no snapshot at all is critical
        let c = assess(&entries[..1], &[], &HashMap::new(), &args(), 0);
        assert_eq!((c[0].level, c[0].newest_snapshot.as_deref()), (Level::Crit, None));
    }

    #[test]
    fn nagios_and_prometheus() {
        let entries = vec![entry("tank/a", Some("1h")), entry("tank/x'\n", Some("nope"))];
        let snaps = vec![snap("tank/a", 0)];
        let c = assess(&entries, &snaps, &HashMap::new(), &args(), 2000);
        assert_eq!(
            nagios_line(&c[..1]),
            "SNAPSHOTS OK - 1 dataset fresh, stalest tank/a newest snapshot 33m old|'tank/a'=2000s;7200;14400;0;\n"
        );
        let line = nagios_line(&c);
        assert!(line.starts_with("SNAPSHOTS CRITICAL - tank/x'\\x0a cannot be checked: strata:snapshot"), "{line}");
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        let text = prometheus_text(Some((&entries, &c)), 2000);
        assert!(text.contains("strata_snapshot_policy_valid{dataset=\"tank/x'\\n\"} 0\n"), "{text}");
        assert!(text.contains("strata_snapshot_newest_age_seconds{dataset=\"tank/a\"} 2000\n"), "{text}");
        assert!(text.contains("strata_snapshot_level{dataset=\"tank/x'\\n\"} 3\n"), "{text}");
        assert!(prometheus_text(None, 5).starts_with("# HELP strata_snapshot_check_success"));
    }

    #[test]
    fn a_zfs_failure_is_unknown_not_ok() {
        use strata_core::buf::SharedBuf;
        use strata_core::runner::{FakeRunner, Output};
        let nope = vec!["tank/nope".to_string()];
        let fake = || {
            FakeRunner::new()
                .expect(&listing::version_command().argv_strings(), Output::ok("zfs-2.1.11-1+deb12u1\n"))
                .expect(
                    &strata_zfs::props::names_command(&nope, false).argv_strings(),
                    Output::failed(1, "cannot open 'tank/nope': dataset does not exist\n"),
                )
        };
        let a = CheckArgs { datasets: nope.clone(), recursive: false, ..args() };
        let buf = SharedBuf::new();
        let mut ctx = Ctx::for_test(
            Box::new(fake()),
            Box::new(strata_core::clock::FixedClock(jiff::Timestamp::UNIX_EPOCH)),
            Box::new(buf.clone()),
            strata_core::output::Format::Json,
        );
        let e = run(&a, &mut ctx).unwrap_err();
        assert_eq!(exit::code_of(&e), exit::UNKNOWN);
        assert!(format!("{e:#}").contains("dataset does not exist"), "{e:#}");
        let a = CheckArgs { nagios: true, ..a };
        let mut ctx = Ctx::for_test(
            Box::new(fake()),
            Box::new(strata_core::clock::FixedClock(jiff::Timestamp::UNIX_EPOCH)),
            Box::new(buf.clone()),
            strata_core::output::Format::Json,
        );
        assert_eq!(run(&a, &mut ctx).unwrap(), Outcome::Code(exit::UNKNOWN));
        ctx.out.finish().unwrap();
        assert!(buf.text().starts_with("SNAPSHOTS UNKNOWN - cannot read the policy properties"), "{}", buf.text());
    }
}
