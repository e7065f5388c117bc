//! `strata-quota check`: the datasets at or above a threshold of their quota, for cron and
//! monitoring (exit codes, a Nagios line, a node_exporter textfile).

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use strata_core::check::{Level, family, label_value, nagios_label};
use strata_core::doc::{FieldDoc, RecordDoc};
use strata_core::exit::{self, ExitError};
use strata_core::output::Record;
use strata_core::parse::percent;
use strata_core::{Ctx, Outcome};
use strata_zfs::quota::Space;
use strata_zfs::size::human_size;

use crate::Selection;

/// Exit code of `check` when the state is unknown (an error): the Nagios plugin convention.
pub const UNKNOWN: u8 = strata_core::exit::UNKNOWN;

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// Warn when a dataset uses this much of its quota or refquota (or more).
    #[arg(long, value_name = "PERCENT", default_value = "80%", value_parser = percent)]
    pub warn: f64,
    /// Critical when a dataset uses this much of its quota or refquota (or more).
    #[arg(long, value_name = "PERCENT", default_value = "95%", value_parser = percent)]
    pub crit: f64,
    /// Print one Nagios plugin line (status and perfdata) instead of records.
    #[arg(long)]
    pub nagios: bool,
    /// Also write a node_exporter textfile-collector file (FILE.prom), replaced atomically; on an
    /// error it says strata_quota_check_success 0.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub prometheus: Option<PathBuf>,
}

/// One limit of a dataset and what counts against it.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    /// `quota` (counts `used`) or `refquota` (counts `referenced`).
    pub name: &'static str,
    pub usage: u64,
    pub bytes: u64,
    pub percent: f64,
}

/// A dataset with at least one limit, assessed.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessed {
    pub space: Space,
    pub limits: Vec<Limit>,
    /// The fullest limit.
    pub worst: Limit,
    pub level: Level,
}

/// The dataset's limits and level; `None` when it has neither a quota nor a refquota.
pub fn assess(space: &Space, warn: f64, crit: f64) -> Option<Assessed> {
    let mut limits = Vec::new();
    if let Some(q) = space.quota {
        limits.push(Limit {
            name: "quota",
            usage: space.used,
            bytes: q,
            percent: strata_zfs::quota::percent(space.used, q),
        });
    }
    if let Some(q) = space.refquota {
        limits.push(Limit {
            name: "refquota",
            usage: space.referenced,
            bytes: q,
            percent: strata_zfs::quota::percent(space.referenced, q),
        });
    }
    let worst = limits.iter().fold(None::<&Limit>, |w, l| match w {
        Some(w) if w.percent >= l.percent => Some(w),
        _ => Some(l),
    })?;
    let level = if worst.percent >= crit {
        Level::Crit
    } else if worst.percent >= warn {
        Level::Warn
    } else {
        Level::Ok
    };
    Some(Assessed { space: space.clone(), worst: worst.clone(), limits, level })
}

/// A dataset at or above a threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckRecord {
    pub r#type: &'static str,
    pub dataset: String,
    pub level: Level,
    pub limit: &'static str,
    pub used_bytes: u64,
    pub limit_bytes: u64,
    pub available_bytes: u64,
    pub used_percent: f64,
    pub warn_percent: f64,
    pub crit_percent: f64,
}

pub static CHECK_DOC: RecordDoc = RecordDoc {
    name: "quota_check",
    about: "A dataset at or above a threshold (check); datasets below --warn print nothing.",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "always \"quota_check\"" },
        FieldDoc { name: "dataset", ty: "string", doc: "the dataset's full name" },
        FieldDoc { name: "level", ty: "string", doc: "\"warn\" (at or above --warn) or \"crit\" (at or above --crit)" },
        FieldDoc {
            name: "limit",
            ty: "string",
            doc: "the fuller of its limits: \"quota\" (counts used) or \"refquota\" (counts referenced)",
        },
        FieldDoc {
            name: "used_bytes",
            ty: "integer",
            doc: "what counts against that limit: ZFS used for quota, referenced for refquota",
        },
        FieldDoc { name: "limit_bytes", ty: "integer", doc: "the limit" },
        FieldDoc {
            name: "available_bytes",
            ty: "integer",
            doc: "space still available to the dataset (ZFS available)",
        },
        FieldDoc {
            name: "used_percent",
            ty: "number",
            doc: "used_bytes as a percentage of limit_bytes, two decimals (above 100 once a writer hit the quota)",
        },
        FieldDoc { name: "warn_percent", ty: "number", doc: "the --warn threshold" },
        FieldDoc { name: "crit_percent", ty: "number", doc: "the --crit threshold" },
    ],
};

impl Record for CheckRecord {
    const KEY: &'static str = "dataset";

    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        Some(vec![
            ("dataset", self.dataset.clone()),
            (
                "level",
                serde_json::to_value(self.level).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
            ),
            ("limit", self.limit.to_string()),
            ("used", human_size(self.used_bytes)),
            ("size", human_size(self.limit_bytes)),
            ("avail", human_size(self.available_bytes)),
            ("use", format!("{:.1}%", self.used_percent)),
        ])
    }
}

impl CheckRecord {
    pub fn new(a: &Assessed, warn: f64, crit: f64) -> CheckRecord {
        CheckRecord {
            r#type: "quota_check",
            dataset: a.space.name.clone(),
            level: a.level,
            limit: a.worst.name,
            used_bytes: a.worst.usage,
            limit_bytes: a.worst.bytes,
            available_bytes: a.space.available,
            used_percent: a.worst.percent,
            warn_percent: warn,
            crit_percent: crit,
        }
    }
}

/// The one line of a Nagios plugin: `QUOTA STATUS - text|perfdata`.
pub fn nagios_line(assessed: &[Assessed], warn: f64, crit: f64) -> String {
    let level = assessed.iter().map(|a| a.level).max().unwrap_or(Level::Ok);
    let describe = |a: &Assessed| {
        format!("{} {:.1}% of {} {}", a.space.name, a.worst.percent, a.worst.name, human_size(a.worst.bytes))
    };
    let text = if assessed.is_empty() {
        "no dataset has a quota or refquota".to_string()
    } else if level == Level::Ok {
        let top = assessed.iter().fold(&assessed[0], |m, a| if a.worst.percent > m.worst.percent { a } else { m });
        let n = assessed.len();
        format!("{n} dataset{} within {warn}%, fullest {}", if n == 1 { "" } else { "s" }, describe(top))
    } else {
        let mut over: Vec<&Assessed> = assessed.iter().filter(|a| a.level > Level::Ok).collect();
        over.sort_by(|a, b| b.level.cmp(&a.level).then(b.worst.percent.total_cmp(&a.worst.percent)));
        over.iter().map(|a| describe(a)).collect::<Vec<_>>().join(", ")
    };
    let mut perf = Vec::new();
    for a in assessed {
        for l in &a.limits {
            let label = if l.name == "quota" { a.space.name.clone() } else { format!("{} {}", a.space.name, l.name) };
            perf.push(format!("{}={}%;{warn};{crit};0;100", nagios_label(&label), l.percent));
        }
    }
    let mut line = format!("QUOTA {} - {text}", level.nagios());
    if !perf.is_empty() {
        line.push('|');
        line.push_str(&perf.join(" "));
    }
    line.push('\n');
    line
}

/// A node_exporter textfile-collector file. `assessed` is `None` when the check failed: then only
/// `strata_quota_check_success 0` and the time are written.
pub fn prometheus_text(assessed: Option<&[Assessed]>, warn: f64, crit: f64, now_unix: i64) -> String {
    let mut out = String::new();
    let one = |v: String| vec![(String::new(), v)];
    family(
        &mut out,
        "strata_quota_check_success",
        "1 when strata-quota check could read every dataset, 0 after an error.",
        &one(u8::from(assessed.is_some()).to_string()),
    );
    family(
        &mut out,
        "strata_quota_check_timestamp_seconds",
        "When strata-quota check last ran, in seconds since the epoch.",
        &one(now_unix.to_string()),
    );
    let Some(assessed) = assessed else { return out };
    family(&mut out, "strata_quota_warn_ratio", "The --warn threshold as a ratio.", &one((warn / 100.0).to_string()));
    family(&mut out, "strata_quota_crit_ratio", "The --crit threshold as a ratio.", &one((crit / 100.0).to_string()));
    let ds = |a: &Assessed| format!("dataset=\"{}\"", label_value(&a.space.name));
    let per = |f: &dyn Fn(&Assessed) -> String| assessed.iter().map(|a| (ds(a), f(a))).collect::<Vec<_>>();
    family(
        &mut out,
        "strata_quota_used_bytes",
        "Space used by the dataset, its descendants and snapshots (ZFS used).",
        &per(&|a| a.space.used.to_string()),
    );
    family(
        &mut out,
        "strata_quota_referenced_bytes",
        "Data the dataset itself refers to (ZFS referenced).",
        &per(&|a| a.space.referenced.to_string()),
    );
    family(
        &mut out,
        "strata_quota_available_bytes",
        "Space still available to the dataset (ZFS available).",
        &per(&|a| a.space.available.to_string()),
    );
    let per_limit = |f: &dyn Fn(&Limit) -> String| {
        assessed
            .iter()
            .flat_map(|a| a.limits.iter().map(move |l| (format!("{},limit=\"{}\"", ds(a), l.name), f(l))))
            .collect::<Vec<_>>()
    };
    family(
        &mut out,
        "strata_quota_limit_bytes",
        "The quota or refquota (label limit).",
        &per_limit(&|l| l.bytes.to_string()),
    );
    family(
        &mut out,
        "strata_quota_used_ratio",
        "What counts against the limit (used for quota, referenced for refquota) divided by the limit.",
        &per_limit(&|l| (l.usage as f64 / l.bytes as f64).to_string()),
    );
    family(
        &mut out,
        "strata_quota_level",
        "0 below --warn, 1 at or above --warn, 2 at or above --crit (the fuller limit).",
        &per(&|a| (a.level as u8).to_string()),
    );
    out
}

fn assess_all(args: &CheckArgs, ctx: &Ctx) -> anyhow::Result<Vec<Assessed>> {
    let space = crate::read_space(ctx, &args.selection.datasets, args.selection.recursive)?;
    let assessed: Vec<Assessed> = space.iter().filter_map(|s| assess(s, args.warn, args.crit)).collect();
    if let Some(p) = &args.prometheus {
        strata_core::check::write_textfile(
            p,
            &prometheus_text(Some(&assessed), args.warn, args.crit, ctx.clock.now().as_second()),
        )?;
    }
    Ok(assessed)
}

pub fn run(args: &CheckArgs, ctx: &mut Ctx) -> anyhow::Result<Outcome> {
    if args.warn > args.crit {
        return Err(ExitError::new(exit::ERROR, format!("--warn {}% is above --crit {}%", args.warn, args.crit)).into());
    }
    let assessed = match assess_all(args, ctx) {
        Ok(a) => a,
        Err(e) => {
            let now = ctx.clock.now().as_second();
            let failed = args.prometheus.as_deref().map(|p| (p, prometheus_text(None, args.warn, args.crit, now)));
            return strata_core::check::could_not_check(ctx, e, "QUOTA", "the quotas", failed, args.nagios);
        }
    };
    let level = assessed.iter().map(|a| a.level).max().unwrap_or(Level::Ok);
    if args.nagios {
        // Plain text by design: the Nagios plugin API reads one status line, not records.
        ctx.out.write_text(&nagios_line(&assessed, args.warn, args.crit))?;
    } else {
        for a in assessed.iter().filter(|a| a.level > Level::Ok) {
            ctx.out.write(&CheckRecord::new(a, args.warn, args.crit))?;
        }
    }
    Ok(level.outcome())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;
    use strata_core::output::Format;
    use strata_core::runner::{FakeRunner, Output};

    use crate::testutil::LIST;

    /// The fixture's datasets, tank/var/log (quota 64M) with `used` replaced.
    fn rows_with_log_used(used: u64) -> Vec<u8> {
        String::from_utf8(testutil::space_rows())
            .unwrap()
            .replace("tank/var/log\t49152\t", &format!("tank/var/log\t{used}\t"))
            .into_bytes()
    }

    fn check(used: u64, extra: &[&str], format: Format) -> (anyhow::Result<Outcome>, String) {
        let runner = FakeRunner::new().expect_words(&format!("{LIST} -r tank"), Output::ok(rows_with_log_used(used)));
        let (mut ctx, buf) = testutil::ctx(runner, format);
        let mut args = vec!["check", "-r", "tank"];
        args.extend_from_slice(extra);
        let r = testutil::run(&args, &mut ctx);
        ctx.out.finish().unwrap();
        (r, buf.text())
    }

    const MIB: u64 = 1 << 20;

    #[test]
    fn ok_warn_crit_exit_codes() {
        let (r, out) = check(49152, &[], Format::Json);
        assert_eq!((r.unwrap(), out.as_str()), (Outcome::Success, ""));
        let (r, out) = check(52 * MIB, &[], Format::Json);
        assert_eq!(r.unwrap().code(), 1);
        let rec: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(
            rec,
            serde_json::json!({"type":"quota_check","dataset":"tank/var/log","level":"warn","limit":"quota",
                "used_bytes": 52 * MIB,"limit_bytes": 64 * MIB,"available_bytes":67059712,"used_percent":81.25,
                "warn_percent":80.0,"crit_percent":95.0})
        );
        // The real state after a writer hit EDQUOT (fixture get_after_quota): used above the quota.
        let (r, out) = check(67206144, &[], Format::Json);
        assert_eq!(r.unwrap().code(), 2);
        assert!(out.contains("\"level\":\"crit\"") && out.contains("\"used_percent\":100.14"), "{out}");
        // Thresholds are inclusive.
        let (r, _) = check(48 * MIB, &["--warn", "75%"], Format::Json);
        assert_eq!(r.unwrap().code(), 1);
    }

    #[test]
    fn nagios_line_with_perfdata() {
        let (r, out) = check(49152, &["--nagios"], Format::Json);
        assert_eq!(r.unwrap().code(), 0);
        assert_eq!(
            out,
            "QUOTA OK - 1 dataset within 80%, fullest tank/var/log 0.1% of quota 64M|'tank/var/log'=0.07%;80;95;0;100\n"
        );
        let (r, out) = check(62 * MIB, &["--nagios", "--warn", "50", "--crit", "90"], Format::Json);
        assert_eq!(r.unwrap().code(), 2);
        assert_eq!(out, "QUOTA CRITICAL - tank/var/log 96.9% of quota 64M|'tank/var/log'=96.88%;50;90;0;100\n");
    }

    #[test]
    fn errors_are_unknown_not_critical() {
        let runner = FakeRunner::new()
            .expect_words(&format!("{LIST} tank/nope"), strata_zfs::fixtures::output("2.3", "err_list_nonexistent"));
        let (mut ctx, buf) = testutil::ctx(runner, Format::Json);
        let err = testutil::run(&["check", "tank/nope"], &mut ctx).unwrap_err();
        assert_eq!(strata_core::exit::code_of(&err), 3);
        assert!(format!("{err:#}").contains("dataset does not exist"), "{err:#}");
        assert_eq!(buf.text(), "");

        let runner = FakeRunner::new()
            .expect_words(&format!("{LIST} tank/nope"), strata_zfs::fixtures::output("2.3", "err_list_nonexistent"));
        let (mut ctx, buf) = testutil::ctx(runner, Format::Json);
        assert_eq!(testutil::run(&["check", "--nagios", "tank/nope"], &mut ctx).unwrap(), Outcome::Code(3));
        let line = buf.text();
        assert!(
            line.starts_with("QUOTA UNKNOWN - ")
                && line.contains("dataset does not exist")
                && line.matches('\n').count() == 1,
            "{line}"
        );
    }

    #[test]
    fn warn_above_crit_is_a_usage_error() {
        let (mut ctx, _) = testutil::ctx(FakeRunner::new(), Format::Json);
        let err = testutil::run(&["check", "--warn", "96%"], &mut ctx).unwrap_err();
        assert_eq!(strata_core::exit::code_of(&err), 2);
        assert_eq!(err.to_string(), "--warn 96% is above --crit 95%");
    }

    #[test]
    fn prometheus_file_is_replaced_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("strata_quota.prom");
        std::fs::write(&path, "old").unwrap();
        let p = path.to_str().unwrap();
        let (r, _) = check(62 * MIB, &["--prometheus", p], Format::Json);
        assert_eq!(r.unwrap().code(), 2);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("strata_quota_check_success 1\n"), "{text}");
        assert!(text.contains("strata_quota_check_timestamp_seconds 1795608000\n"), "{text}");
        assert!(
            text.contains(&format!("strata_quota_used_bytes{{dataset=\"tank/var/log\"}} {}\n", 62 * MIB)),
            "{text}"
        );
        assert!(
            text.contains("strata_quota_limit_bytes{dataset=\"tank/var/log\",limit=\"quota\"} 67108864\n"),
            "{text}"
        );
        assert!(text.contains("strata_quota_used_ratio{dataset=\"tank/var/log\",limit=\"quota\"} 0.96875\n"), "{text}");
        assert!(text.contains("strata_quota_level{dataset=\"tank/var/log\"} 2\n"), "{text}");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("strata_quota.prom")], "no temporary file left");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(nagios_label("it's"), "'it''s'");
    }

    #[test]
    fn the_fuller_of_quota_and_refquota_counts() {
        let space = |used, refer, quota, refquota| Space {
            name: "tank/a".into(),
            used,
            available: 0,
            referenced: refer,
            quota,
            refquota,
            reservation: None,
            refreservation: None,
            used_by_snapshots: None,
            compression: None,
            compress_ratio: None,
        };
        assert_eq!(assess(&space(90, 90, None, None), 80.0, 95.0), None, "no limit: not checked");
        let a = assess(&space(90, 10, None, Some(100)), 80.0, 95.0).unwrap();
        assert_eq!((a.worst.name, a.worst.usage, a.level), ("refquota", 10, Level::Ok));
        // Snapshots count against quota (used), not against refquota (referenced).
        let a = assess(&space(900, 96, Some(1000), Some(100)), 80.0, 95.0).unwrap();
        assert_eq!((a.worst.name, a.worst.percent, a.level), ("refquota", 96.0, Level::Crit));
        let a = assess(&space(850, 10, Some(1000), Some(100)), 80.0, 95.0).unwrap();
        assert_eq!((a.worst.name, a.worst.percent, a.level, a.limits.len()), ("quota", 85.0, Level::Warn, 2));
        let text = prometheus_text(Some(&[a]), 80.0, 95.0, 0);
        assert!(text.contains("strata_quota_used_ratio{dataset=\"tank/a\",limit=\"refquota\"} 0.1\n"), "{text}");
        assert!(text.contains("strata_quota_used_ratio{dataset=\"tank/a\",limit=\"quota\"} 0.85\n"), "{text}");
    }

    #[test]
    fn record_fields_are_documented() {
        let s = strata_zfs::quota::parse_space(&rows_with_log_used(60 * MIB)).unwrap();
        let a = s.iter().find_map(|s| assess(s, 80.0, 95.0)).unwrap();
        strata_core::doc::check_fields(&CHECK_DOC, &CheckRecord::new(&a, 80.0, 95.0));
    }
}
