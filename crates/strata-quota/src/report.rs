//! `strata-quota report`: one record per dataset with its space, limits and compression.

use clap::Args;
use serde::Serialize;
use strata_core::doc::{FieldDoc, RecordDoc};
use strata_core::output::Record;
use strata_core::{Ctx, Outcome};
use strata_zfs::quota::Space;
use strata_zfs::size::human_size;

use crate::Selection;

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub selection: Selection,
}

/// One dataset's space and limits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuotaRecord {
    pub r#type: &'static str,
    pub dataset: String,
    pub used_bytes: u64,
    pub available_bytes: u64,
    pub referenced_bytes: u64,
    pub quota_bytes: Option<u64>,
    pub refquota_bytes: Option<u64>,
    pub reservation_bytes: Option<u64>,
    pub refreservation_bytes: Option<u64>,
    pub used_by_snapshots_bytes: Option<u64>,
    pub compression: Option<String>,
    pub compress_ratio: Option<f64>,
    pub quota_used_percent: Option<f64>,
    pub refquota_used_percent: Option<f64>,
}

pub static QUOTA_DOC: RecordDoc = RecordDoc {
    name: "quota",
    about: "One dataset (report). Limits that ZFS shows as none are null.",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "always \"quota\"" },
        FieldDoc { name: "dataset", ty: "string", doc: "the dataset's full name" },
        FieldDoc {
            name: "used_bytes",
            ty: "integer",
            doc: "space used by the dataset, its descendants and snapshots (ZFS used); what quota limits",
        },
        FieldDoc { name: "available_bytes", ty: "integer", doc: "space still available to it (ZFS available)" },
        FieldDoc {
            name: "referenced_bytes",
            ty: "integer",
            doc: "data the dataset itself refers to (ZFS referenced); what refquota limits",
        },
        FieldDoc { name: "quota_bytes", ty: "integer|null", doc: "quota, null when none" },
        FieldDoc { name: "refquota_bytes", ty: "integer|null", doc: "refquota, null when none" },
        FieldDoc { name: "reservation_bytes", ty: "integer|null", doc: "reservation, null when none" },
        FieldDoc { name: "refreservation_bytes", ty: "integer|null", doc: "refreservation, null when none" },
        FieldDoc {
            name: "used_by_snapshots_bytes",
            ty: "integer|null",
            doc: "space only its snapshots hold (ZFS usedbysnapshots)",
        },
        FieldDoc {
            name: "compression",
            ty: "string|null",
            doc: "the compression property (on, off, lz4, zstd, zstd-3, ...)",
        },
        FieldDoc {
            name: "compress_ratio",
            ty: "number|null",
            doc: "compression ratio achieved (ZFS compressratio), e.g. 1.87",
        },
        FieldDoc {
            name: "quota_used_percent",
            ty: "number|null",
            doc: "used_bytes as a percentage of quota_bytes (two decimals; above 100 when a writer hit the quota); null without a quota",
        },
        FieldDoc {
            name: "refquota_used_percent",
            ty: "number|null",
            doc: "referenced_bytes as a percentage of refquota_bytes; null without a refquota",
        },
    ],
};

impl From<&Space> for QuotaRecord {
    fn from(s: &Space) -> QuotaRecord {
        QuotaRecord {
            r#type: "quota",
            dataset: s.name.clone(),
            used_bytes: s.used,
            available_bytes: s.available,
            referenced_bytes: s.referenced,
            quota_bytes: s.quota,
            refquota_bytes: s.refquota,
            reservation_bytes: s.reservation,
            refreservation_bytes: s.refreservation,
            used_by_snapshots_bytes: s.used_by_snapshots,
            compression: s.compression.clone(),
            compress_ratio: s.compress_ratio,
            quota_used_percent: s.quota_percent(),
            refquota_used_percent: s.refquota_percent(),
        }
    }
}

/// A size for people: `10G`, `none` for no limit.
pub(crate) fn human_opt(v: Option<u64>) -> String {
    v.map_or_else(|| "none".to_string(), human_size)
}

/// A percentage for people: `42.5%`, empty when there is none.
pub(crate) fn human_percent(v: Option<f64>) -> String {
    v.map(|p| format!("{p:.1}%")).unwrap_or_default()
}

impl Record for QuotaRecord {
    const KEY: &'static str = "dataset";
    const TABLE_NUMBERS: &'static [&'static str] =
        &["used", "avail", "refer", "quota", "refquota", "reserv", "refreserv", "usedsnap", "ratio", "use"];

    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        // The more filled of the two limits, as the one person-facing "use" column.
        let pct = match (self.quota_used_percent, self.refquota_used_percent) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Some(vec![
            ("dataset", self.dataset.clone()),
            ("used", human_size(self.used_bytes)),
            ("avail", human_size(self.available_bytes)),
            ("refer", human_size(self.referenced_bytes)),
            ("quota", human_opt(self.quota_bytes)),
            ("refquota", human_opt(self.refquota_bytes)),
            ("reserv", human_opt(self.reservation_bytes)),
            ("refreserv", human_opt(self.refreservation_bytes)),
            ("usedsnap", self.used_by_snapshots_bytes.map(human_size).unwrap_or_default()),
            ("compress", self.compression.clone().unwrap_or_default()),
            ("ratio", self.compress_ratio.map(|r| format!("{r:.2}x")).unwrap_or_default()),
            ("use", human_percent(pct)),
        ])
    }
}

pub fn run(args: &ReportArgs, ctx: &mut Ctx) -> anyhow::Result<Outcome> {
    let space = crate::read_space(ctx, &args.selection.datasets, args.selection.recursive)?;
    for s in &space {
        ctx.out.write(&QuotaRecord::from(s))?;
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;
    use strata_core::output::Format;
    use strata_core::runner::{FakeRunner, Output};

    use crate::testutil::LIST;

    #[test]
    fn one_record_per_dataset_from_one_call() {
        let runner = FakeRunner::new().expect_words(&format!("{LIST} -r tank"), Output::ok(testutil::space_rows()));
        let (mut ctx, buf) = testutil::ctx(runner, Format::Json);
        assert_eq!(testutil::run(&["report", "-r", "tank"], &mut ctx).unwrap(), Outcome::Success);
        ctx.out.finish().unwrap();
        let lines: Vec<serde_json::Value> = buf.text().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 6);
        assert_eq!(
            lines[5],
            serde_json::json!({
                "type": "quota", "dataset": "tank/var/log", "used_bytes": 49152, "available_bytes": 67059712,
                "referenced_bytes": 24576, "quota_bytes": 67108864, "refquota_bytes": null,
                "reservation_bytes": 8388608, "refreservation_bytes": null, "used_by_snapshots_bytes": 0,
                "compression": "on", "compress_ratio": 1.08, "quota_used_percent": 0.07, "refquota_used_percent": null
            })
        );
        assert_eq!(lines[0]["quota_bytes"], serde_json::Value::Null);
    }

    #[test]
    fn table_has_human_sizes_like_zfs_list() {
        let runner = FakeRunner::new().expect_words(&format!("{LIST} -r tank"), Output::ok(testutil::space_rows()));
        let (mut ctx, buf) = testutil::ctx(runner, Format::Table);
        testutil::run(&["report", "-r", "tank"], &mut ctx).unwrap();
        ctx.out.finish().unwrap();
        let text = buf.text();
        let log = text.lines().find(|l| l.starts_with("tank/var/log")).unwrap();
        let cols: Vec<&str> = log.split_whitespace().collect();
        // The same sizes zfs list prints without -p (fixture list_space_r_human).
        let human = String::from_utf8(strata_zfs::fixtures::stdout("2.3", "list_space_r_human")).unwrap();
        let zfs: Vec<&str> = human.lines().find(|l| l.starts_with("tank/var/log\t")).unwrap().split('\t').collect();
        assert_eq!(&cols[1..5], &[zfs[1], zfs[2], zfs[3], zfs[4]], "{text}");
        assert_eq!(cols[6], zfs[5], "reservation");
        assert_eq!(cols[10], zfs[7], "compressratio");
        assert!(text.starts_with("DATASET "), "{text}");
    }

    #[test]
    fn a_zfs_failure_is_an_error_with_its_stderr() {
        let runner = FakeRunner::new()
            .expect_words(&format!("{LIST} tank/nope"), strata_zfs::fixtures::output("2.3", "err_list_nonexistent"));
        let (mut ctx, _) = testutil::ctx(runner, Format::Json);
        let err = testutil::run(&["report", "tank/nope"], &mut ctx).unwrap_err();
        assert!(format!("{err:#}").contains("dataset does not exist"), "{err:#}");
        assert_eq!(strata_core::exit::code_of(&err), 2);
    }

    #[test]
    fn record_fields_are_documented() {
        let s = strata_zfs::quota::parse_space(&testutil::space_rows()).unwrap();
        strata_core::doc::check_fields(&QUOTA_DOC, &QuotaRecord::from(&s[0]));
    }
}
