//! `strata send check`: which replication targets are behind. For cron and monitoring, in the
//! shape of `strata snapshot check` (exit codes, a Nagios line, a node_exporter textfile).
//!
//! The targets are those `send --policy` would send the datasets to, and those strata-send has
//! recorded a success for (see [`crate::state`]). A target's lag is the age of the newest
//! snapshot it has: the creation time of the bookmark strata-send leaves on the source after each
//! send (a bookmark keeps its snapshot's creation time, and survives the snapshot's pruning).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use strata_core::check::{Level, family, human_age, label_value, nagios_label, nagios_text};
use strata_core::doc::{FieldDoc, RecordDoc};
use strata_core::exit::ExitError;
use strata_core::output::Record;
use strata_core::{Ctx, Outcome};
use strata_zfs::policy::Ages;

use crate::run::bookmark_name;

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Datasets whose replication to check.
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
    /// error it says strata_send_check_success 0.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub prometheus: Option<PathBuf>,
}

/// One checked target of one dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendCheckRecord {
    pub r#type: &'static str,
    pub dataset: String,
    pub target: String,
    pub level: Level,
    pub lag_seconds: Option<u64>,
    pub last_success_unix: Option<i64>,
    pub last_snapshot: Option<String>,
    pub warn_age_seconds: Option<u64>,
    pub crit_age_seconds: Option<u64>,
    pub errors: Vec<String>,
}

pub static CHECK_DOC: RecordDoc = RecordDoc {
    name: "send_check",
    about: "A replication target that is behind, or that cannot be checked (check); targets in time print nothing.",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "always \"send_check\"" },
        FieldDoc { name: "dataset", ty: "string", doc: "the source dataset" },
        FieldDoc { name: "target", ty: "string", doc: "the target, [user@host:]pool/ds; empty when refused" },
        FieldDoc {
            name: "level",
            ty: "string",
            doc: "\"warn\" (its newest snapshot is older than the warning age), \"crit\" (older than the critical \
                  age, or never sent), \"invalid\" (the policy is refused or cannot be read: see errors)",
        },
        FieldDoc {
            name: "lag_seconds",
            ty: "integer|null",
            doc: "the age of the newest snapshot the target has (by strata-send's bookmark); null when never sent",
        },
        FieldDoc {
            name: "last_success_unix",
            ty: "integer|null",
            doc: "when the last successful send to the target finished, as recorded in the state directory",
        },
        FieldDoc { name: "last_snapshot", ty: "string|null", doc: "the snapshot that send left the target at" },
        FieldDoc { name: "warn_age_seconds", ty: "integer|null", doc: "--warn-age or twice the interval" },
        FieldDoc {
            name: "crit_age_seconds",
            ty: "integer|null",
            doc: "--crit-age, four times the interval, or --max-age",
        },
        FieldDoc { name: "errors", ty: "array of strings", doc: "why the target cannot be checked" },
    ],
};

impl Record for SendCheckRecord {
    const KEY: &'static str = "target";

    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        let age = |s: Option<u64>| s.map(human_age).unwrap_or_else(|| "-".into());
        Some(vec![
            ("dataset", self.dataset.clone()),
            ("target", self.target.clone()),
            (
                "level",
                serde_json::to_value(self.level).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
            ),
            ("lag", age(self.lag_seconds)),
            ("warn", age(self.warn_age_seconds)),
            ("crit", age(self.crit_age_seconds)),
            ("errors", self.errors.join("; ")),
        ])
    }
}

/// `zfs list -Hp -t bookmark -o name,creation` of the datasets: bookmark name to creation.
fn bookmarks(ctx: &Ctx, args: &CheckArgs) -> anyhow::Result<HashMap<String, i64>> {
    let mut cmd = strata_zfs::zfs_read().args(["list", "-Hp", "-t", "bookmark", "-o", "name,creation"]);
    cmd = if args.recursive { cmd.arg("-r") } else { cmd.args(["-d", "1"]) };
    let out = ctx.runner.run(&cmd.args(&args.datasets))?;
    let mut m = HashMap::new();
    for (i, row) in strata_zfs::table::rows(&out.stdout, 2)?.into_iter().enumerate() {
        let created: i64 = row[1]
            .parse()
            .map_err(|_| anyhow::anyhow!("zfs list line {}: creation {:?} is not a number", i + 1, row[1]))?;
        m.insert(row[0].to_string(), created);
    }
    Ok(m)
}

/// Every target of the datasets, assessed.
fn check_all(args: &CheckArgs, ctx: &Ctx) -> anyhow::Result<Vec<SendCheckRecord>> {
    let planned = crate::policy::plan_for(&args.datasets, args.recursive, ctx)?;
    let dir = crate::state::dir();
    let (states, bad_states) = crate::state::load_all(&dir)
        .map_err(|e| anyhow::anyhow!("cannot read the state directory {}: {e}", dir.display()))?;
    let marks = bookmarks(ctx, args)?;
    let now = ctx.clock.now().as_second();
    let mut out = Vec::new();
    let invalid = |dataset: &str, why: String| SendCheckRecord {
        r#type: "send_check",
        dataset: dataset.to_string(),
        target: String::new(),
        level: Level::Invalid,
        lag_seconds: None,
        last_success_unix: None,
        last_snapshot: None,
        warn_age_seconds: None,
        crit_age_seconds: None,
        errors: vec![why],
    };
    out.extend(planned.refused.iter().map(|(ds, why)| invalid(ds, why.clone())));
    out.extend(
        bad_states.iter().map(|(path, why)| invalid("", format!("{}: not a send record: {why}", path.display()))),
    );
    // The policy's targets, then any other target a recorded send of a dataset here went to.
    let mut targets: BTreeMap<(String, String), ()> = BTreeMap::new();
    for j in &planned.jobs {
        targets.insert((j.source.dataset.clone(), j.target.dataset_display()), ());
    }
    for s in &states {
        if planned.intervals.contains_key(&s.source) {
            targets.insert((s.source.clone(), s.target.clone()), ());
        }
    }
    for (ds, target) in targets.into_keys() {
        let interval = planned.intervals.get(&ds).copied().flatten();
        let Some((warn, crit)) = args.ages.limits(interval) else { continue };
        let state = states.iter().find(|s| s.source == ds && s.target == target);
        let lag = marks
            .get(&bookmark_name(&ds, &target))
            .map(|created| u64::try_from(now.saturating_sub(*created)).unwrap_or(0));
        out.push(SendCheckRecord {
            r#type: "send_check",
            level: Level::of_age(lag, warn, crit),
            dataset: ds,
            target,
            lag_seconds: lag,
            last_success_unix: state.map(|s| s.finished_unix),
            last_snapshot: state.map(|s| s.snapshot.clone()),
            warn_age_seconds: Some(warn),
            crit_age_seconds: Some(crit),
            errors: Vec::new(),
        });
    }
    Ok(out)
}

/// The one line of a Nagios plugin: `REPLICATION STATUS - text|perfdata`.
pub fn nagios_line(checked: &[SendCheckRecord]) -> String {
    let level = checked.iter().map(|c| c.level).max().unwrap_or(Level::Ok);
    let describe = |c: &SendCheckRecord| match (c.level, c.lag_seconds) {
        (Level::Invalid, _) => format!("{} cannot be checked: {}", c.dataset, c.errors.join("; ")),
        (_, None) => format!("{} never sent to {}", c.dataset, c.target),
        (_, Some(a)) => format!("{} -> {} {} behind", c.dataset, c.target, human_age(a)),
    };
    let text = if checked.is_empty() {
        "no dataset has a replication target".to_string()
    } else if level == Level::Ok {
        let worst = checked.iter().fold(&checked[0], |m, c| if c.lag_seconds > m.lag_seconds { c } else { m });
        let n = checked.len();
        format!("{n} target{} in time, furthest {}", if n == 1 { "" } else { "s" }, describe(worst))
    } else {
        let mut over: Vec<&SendCheckRecord> = checked.iter().filter(|c| c.level > Level::Ok).collect();
        over.sort_by(|a, b| b.level.cmp(&a.level).then(b.lag_seconds.cmp(&a.lag_seconds)));
        over.iter().map(|c| describe(c)).collect::<Vec<_>>().join(", ")
    };
    let perf: Vec<String> = checked
        .iter()
        .filter_map(|c| {
            let (w, cr) = (c.warn_age_seconds?, c.crit_age_seconds?);
            let label = nagios_label(&format!("{} -> {}", c.dataset, c.target));
            Some(format!("{label}={}s;{w};{cr};0;", c.lag_seconds?))
        })
        .collect();
    let mut line = format!("REPLICATION {} - {}", level.nagios(), nagios_text(&text));
    if !perf.is_empty() {
        line.push('|');
        line.push_str(&perf.join(" "));
    }
    line.push('\n');
    line
}

/// A node_exporter textfile. `checked` is `None` when the check failed: then only
/// `strata_send_check_success 0` and the time are written.
pub fn prometheus_text(checked: Option<&[SendCheckRecord]>, now_unix: i64) -> String {
    let mut out = String::new();
    let one = |v: String| vec![(String::new(), v)];
    family(
        &mut out,
        "strata_send_check_success",
        "1 when strata-send check could read every dataset and record, 0 after an error.",
        &one(u8::from(checked.is_some()).to_string()),
    );
    family(
        &mut out,
        "strata_send_check_timestamp_seconds",
        "When strata-send check last ran, in seconds since the epoch.",
        &one(now_unix.to_string()),
    );
    let Some(checked) = checked else { return out };
    let labels =
        |c: &SendCheckRecord| format!("dataset=\"{}\",target=\"{}\"", label_value(&c.dataset), label_value(&c.target));
    family(
        &mut out,
        "strata_send_last_success_timestamp_seconds",
        "When the last successful send to the target finished, in seconds since the epoch.",
        &checked.iter().filter_map(|c| Some((labels(c), c.last_success_unix?.to_string()))).collect::<Vec<_>>(),
    );
    family(
        &mut out,
        "strata_send_lag_seconds",
        "Age of the newest snapshot the target has (targets sent to at least once).",
        &checked.iter().filter_map(|c| Some((labels(c), c.lag_seconds?.to_string()))).collect::<Vec<_>>(),
    );
    family(
        &mut out,
        "strata_send_level",
        "0 in time, 1 older than the warning age, 2 older than the critical age or never sent, 3 cannot be checked.",
        &checked.iter().map(|c| (labels(c), (c.level as u8).to_string())).collect::<Vec<_>>(),
    );
    out
}

pub fn run(args: &CheckArgs, ctx: &mut Ctx) -> anyhow::Result<Outcome> {
    args.ages.check().map_err(ExitError::usage)?;
    let now = ctx.clock.now().as_second();
    let checked = match check_all(args, ctx) {
        Ok(c) => c,
        Err(e) => {
            let failed = args.prometheus.as_deref().map(|p| (p, prometheus_text(None, now)));
            return strata_core::check::could_not_check(ctx, e, "REPLICATION", "replication", failed, args.nagios);
        }
    };
    if let Some(p) = &args.prometheus {
        strata_core::check::write_textfile(p, &prometheus_text(Some(&checked), now))?;
    }
    for c in checked.iter().filter(|c| c.level == Level::Invalid) {
        ctx.error(format!("{}: not checked: {}", c.dataset, c.errors.join("; ")));
    }
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

    fn rec(level: Level, lag: Option<u64>) -> SendCheckRecord {
        SendCheckRecord {
            r#type: "send_check",
            dataset: "tank/a".into(),
            target: "backup:pool/a\"\n".into(),
            level,
            lag_seconds: lag,
            last_success_unix: lag.map(|_| 1_700_000_000),
            last_snapshot: None,
            warn_age_seconds: Some(7200),
            crit_age_seconds: Some(14400),
            errors: vec![],
        }
    }

    #[test]
    fn records_are_documented() {
        strata_core::doc::check_fields(&CHECK_DOC, &rec(Level::Warn, Some(9000)));
        let none = SendCheckRecord { warn_age_seconds: None, crit_age_seconds: None, ..rec(Level::Invalid, None) };
        strata_core::doc::check_nullable(&CHECK_DOC, &none);
    }

    #[test]
    fn nagios_and_prometheus() {
        let line = nagios_line(&[rec(Level::Ok, Some(100)), rec(Level::Crit, None)]);
        assert!(line.starts_with("REPLICATION CRITICAL - tank/a never sent to backup:pool/a\" "), "{line}");
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        let ok = nagios_line(&[rec(Level::Ok, Some(100))]);
        assert!(ok.starts_with("REPLICATION OK - 1 target in time"), "{ok}");
        assert!(ok.contains("=100s;7200;14400;0;"), "{ok}");
        let text = prometheus_text(Some(&[rec(Level::Warn, Some(9000))]), 5);
        assert!(
            text.contains("strata_send_lag_seconds{dataset=\"tank/a\",target=\"backup:pool/a\\\"\\n\"} 9000\n"),
            "{text}"
        );
        assert!(text.contains("strata_send_level{dataset=\"tank/a\",target=\"backup:pool/a\\\"\\n\"} 1\n"), "{text}");
        assert!(text.contains("strata_send_last_success_timestamp_seconds{"), "{text}");
        assert!(prometheus_text(None, 5).contains("strata_send_check_success 0\n"));
    }
}
