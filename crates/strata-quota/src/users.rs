//! `strata-quota users`: per-user and per-group usage and quotas of one dataset.

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use strata_core::doc::{FieldDoc, RecordDoc};
use strata_core::output::Record;
use strata_core::{Ctx, Outcome};
use strata_zfs::quota::{SpaceKind, SpaceUse, parse_userspace, percent, userspace_command};
use strata_zfs::size::human_size;

#[derive(Debug, Clone, Args)]
pub struct UsersArgs {
    /// The dataset.
    #[arg(value_name = "DATASET", value_parser = strata_zfs::name::dataset_arg, add = strata_core::complete::datasets())]
    pub dataset: String,
}

/// One user's or group's usage of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserRecord {
    pub r#type: &'static str,
    pub dataset: String,
    pub kind: SpaceKind,
    pub id_type: String,
    pub name: String,
    pub used_bytes: u64,
    pub quota_bytes: Option<u64>,
    pub quota_used_percent: Option<f64>,
    pub objects_used: Option<u64>,
    pub objects_quota: Option<u64>,
}

pub static USER_DOC: RecordDoc = RecordDoc {
    name: "quota_user",
    about: "One user or group of a dataset (users): users first, then groups, as zfs userspace and zfs groupspace list them.",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "always \"quota_user\"" },
        FieldDoc { name: "dataset", ty: "string", doc: "the dataset" },
        FieldDoc { name: "kind", ty: "string", doc: "\"user\" or \"group\"" },
        FieldDoc {
            name: "id_type",
            ty: "string",
            doc: "ZFS's type column: \"POSIX User\", \"POSIX Group\", \"SMB User\", \"SMB Group\"",
        },
        FieldDoc {
            name: "name",
            ty: "string",
            doc: "the user or group name, or its numeric id when this system has no name for it",
        },
        FieldDoc { name: "used_bytes", ty: "integer", doc: "space its files use in the dataset" },
        FieldDoc { name: "quota_bytes", ty: "integer|null", doc: "its userquota@ or groupquota@, null when none" },
        FieldDoc {
            name: "quota_used_percent",
            ty: "number|null",
            doc: "used_bytes as a percentage of quota_bytes, two decimals",
        },
        FieldDoc {
            name: "objects_used",
            ty: "integer|null",
            doc: "number of files and directories it owns (null when the pool does not count them)",
        },
        FieldDoc {
            name: "objects_quota",
            ty: "integer|null",
            doc: "its userobjquota@ or groupobjquota@, null when none",
        },
    ],
};

impl UserRecord {
    pub fn new(dataset: &str, kind: SpaceKind, u: SpaceUse) -> UserRecord {
        UserRecord {
            r#type: "quota_user",
            dataset: dataset.to_string(),
            kind,
            quota_used_percent: u.quota.map(|q| percent(u.used, q)),
            id_type: u.id_type,
            name: u.name,
            used_bytes: u.used,
            quota_bytes: u.quota,
            objects_used: u.objects_used,
            objects_quota: u.objects_quota,
        }
    }
}

impl Record for UserRecord {
    const KEY: &'static str = "name";
    const TABLE_NUMBERS: &'static [&'static str] = &["used", "quota", "use", "objects"];

    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        Some(vec![
            ("kind", self.kind.as_str().to_string()),
            ("name", self.name.clone()),
            ("used", human_size(self.used_bytes)),
            ("quota", crate::report::human_opt(self.quota_bytes)),
            ("use", crate::report::human_percent(self.quota_used_percent)),
            ("objects", self.objects_used.map(|o| o.to_string()).unwrap_or_default()),
        ])
    }
}

pub fn run(args: &UsersArgs, ctx: &mut Ctx) -> anyhow::Result<Outcome> {
    let mut records = Vec::new();
    // Both calls first: a failure prints nothing rather than half the answer.
    for kind in [SpaceKind::User, SpaceKind::Group] {
        let cmd = userspace_command(kind, &args.dataset);
        let out = ctx.runner.run(&cmd)?;
        let rows = parse_userspace(&out.stdout).with_context(|| format!("reading the output of `{cmd}`"))?;
        records.extend(rows.into_iter().map(|u| UserRecord::new(&args.dataset, kind, u)));
    }
    for r in &records {
        ctx.out.write(r)?;
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;
    use strata_core::output::Format;
    use strata_core::runner::{FakeRunner, Output};

    #[test]
    fn users_then_groups() {
        let runner = FakeRunner::new()
            .expect_words(
                "zfs userspace -H -p -o type,name,used,quota,objused,objquota tank/home",
                Output::ok("POSIX User\troot\t1536\tnone\t3\tnone\nPOSIX User\t1000\t10485760\t20971520\t7\tnone\n"),
            )
            .expect_words(
                "zfs groupspace -H -p -o type,name,used,quota,objused,objquota tank/home",
                Output::ok("POSIX Group\troot\t10487296\tnone\t10\tnone\n"),
            );
        let (mut ctx, buf) = testutil::ctx(runner, Format::Json);
        testutil::run(&["users", "tank/home"], &mut ctx).unwrap();
        let recs: Vec<serde_json::Value> = buf.text().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(recs.len(), 3);
        assert_eq!(
            recs[1],
            serde_json::json!({"type":"quota_user","dataset":"tank/home","kind":"user","id_type":"POSIX User","name":"1000",
                "used_bytes":10485760,"quota_bytes":20971520,"quota_used_percent":50.0,"objects_used":7,"objects_quota":null})
        );
        assert_eq!((recs[2]["kind"].as_str(), recs[2]["quota_bytes"].is_null()), (Some("group"), true));
    }

    #[test]
    fn a_failure_prints_nothing() {
        let runner = FakeRunner::new()
            .expect_words(
                "zfs userspace -H -p -o type,name,used,quota,objused,objquota tank/home",
                Output::ok("POSIX User\troot\t1536\tnone\t3\tnone\n"),
            )
            .expect_words(
                "zfs groupspace -H -p -o type,name,used,quota,objused,objquota tank/home",
                Output::failed(1, "cannot open 'tank/home': dataset does not exist\n"),
            );
        let (mut ctx, buf) = testutil::ctx(runner, Format::Json);
        assert!(testutil::run(&["users", "tank/home"], &mut ctx).is_err());
        assert_eq!(buf.text(), "");
    }

    #[test]
    fn record_fields_are_documented() {
        let u = SpaceUse {
            id_type: "POSIX User".into(),
            name: "root".into(),
            used: 1,
            quota: None,
            objects_used: None,
            objects_quota: None,
        };
        strata_core::doc::check_fields(&USER_DOC, &UserRecord::new("tank", SpaceKind::User, u));
    }
}
