//! The snapshot record, shared by every ZFS tool, and how it is read from ZFS and from stdin.

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};
use strata_core::doc::{FieldDoc, RecordDoc};
use strata_core::output::Record;
use strata_core::runner::Cmd;

use crate::table::{self, ParseError};
use crate::zfs_read;

/// One snapshot, as `strata-snapshot list` prints it and every ZFS tool reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotRecord {
    pub r#type: &'static str,
    pub snapshot: String,
    pub dataset: String,
    pub name: String,
    #[serde(with = "rfc3339")]
    pub created: Timestamp,
    pub created_unix: i64,
    /// Decimal string: a u64 loses precision as a JSON number in jq.
    pub guid: Option<String>,
    pub createtxg: Option<u64>,
    pub used_bytes: Option<u64>,
    pub referenced_bytes: Option<u64>,
    pub userrefs: Option<u64>,
    pub managed: Option<bool>,
    pub label: Option<String>,
}

pub static SNAPSHOT_DOC: RecordDoc = RecordDoc {
    name: "snapshot",
    about: "One snapshot. Readers need only `snapshot` and `created`; a missing field means unknown.",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "always \"snapshot\"" },
        FieldDoc { name: "snapshot", ty: "string", doc: "full name, DATASET@NAME" },
        FieldDoc { name: "dataset", ty: "string", doc: "the dataset part" },
        FieldDoc { name: "name", ty: "string", doc: "the part after '@'" },
        FieldDoc { name: "created", ty: "string", doc: "ZFS creation time, RFC 3339 UTC" },
        FieldDoc { name: "created_unix", ty: "integer", doc: "the same in seconds since the epoch" },
        FieldDoc {
            name: "guid",
            ty: "string|null",
            doc: "the snapshot's GUID as a decimal string (readers accept a number too)",
        },
        FieldDoc {
            name: "createtxg",
            ty: "integer|null",
            doc: "the transaction group that created it; orders snapshots of the same second",
        },
        FieldDoc { name: "used_bytes", ty: "integer|null", doc: "space only this snapshot holds" },
        FieldDoc { name: "referenced_bytes", ty: "integer|null", doc: "data the snapshot refers to" },
        FieldDoc {
            name: "userrefs",
            ty: "integer|null",
            doc: "number of holds (zfs hold); a held snapshot is never destroyed",
        },
        FieldDoc {
            name: "managed",
            ty: "boolean|null",
            doc: "made by strata: the snapshot's own strata:managed=on (set when strata made it, or received with it); \
                  a value inherited from a dataset does not count",
        },
        FieldDoc {
            name: "label",
            ty: "string|null",
            doc: "the --label given at creation (the snapshot's own strata:label; raw: escape it before showing it)",
        },
    ],
};

impl Record for SnapshotRecord {
    const KEY: &'static str = "snapshot";

    /// For people: the name, the time, sizes as zfs list shows them, holds and the label.
    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        let size = |b: Option<u64>| b.map(crate::size::human_size).unwrap_or_else(|| "-".into());
        Some(vec![
            ("snapshot", self.snapshot.clone()),
            ("created", rfc3339::format(&self.created)),
            ("used", size(self.used_bytes)),
            ("refer", size(self.referenced_bytes)),
            ("holds", self.userrefs.map_or_else(|| "-".into(), |n| n.to_string())),
            (
                "managed",
                match self.managed {
                    Some(true) => "yes".into(),
                    Some(false) => "no".into(),
                    None => "-".into(),
                },
            ),
            ("label", self.label.clone().unwrap_or_default()),
        ])
    }
}

/// RFC 3339 in UTC with whole seconds when the time has no fraction.
pub mod rfc3339 {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn format(t: &Timestamp) -> String {
        t.to_string()
    }

    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = String::deserialize(d)?;
        strata_core::parse::timestamp(&s).map_err(serde::de::Error::custom)
    }
}

/// The properties `list_command` asks for, in order: names and numbers only, never a user
/// property, so every row of its `-H` output is one snapshot (ZFS names hold no tab or newline).
/// The strata properties come from [`crate::listing::list`], which reads them safely.
pub const LIST_PROPERTIES: &[&str] = &["name", "guid", "createtxg", "creation", "used", "referenced", "userrefs"];

/// One `zfs list -H -p -t snapshot` call for the snapshots in `scope` (names and numbers only).
pub fn scoped_list_command(scope: crate::listing::Scope<'_>) -> Cmd {
    scope.apply(zfs_read().args(["list", "-H", "-p", "-t", "snapshot", "-o"]).arg(LIST_PROPERTIES.join(",")))
}

/// One `zfs list -H -p -t snapshot` call for all snapshots of `datasets` (all pools when empty);
/// `recursive` includes descendants, otherwise only the datasets' own snapshots (`-d 1`).
pub fn list_command(datasets: &[String], recursive: bool) -> Cmd {
    scoped_list_command(crate::listing::Scope::Datasets { datasets, recursive })
}

/// One `zfs list -H -p -t snapshot` call for the named snapshots (`DATASET@NAME`...), same columns
/// as [`list_command`]. ZFS lists those that exist and exits 1 naming the others.
pub fn list_names_command(snapshots: &[String]) -> Cmd {
    scoped_list_command(crate::listing::Scope::Snapshots(snapshots))
}

/// `zfs snapshot [-r] -o strata:managed=on [-o strata:label=LABEL] DATASET@NAME...`: one atomic
/// call that makes every snapshot (and, with `recursive`, those of the descendants), owned by strata.
pub fn create_command(datasets: &[String], name: &str, recursive: bool, label: Option<&str>) -> Cmd {
    let mut cmd = crate::zfs_mutate().arg("snapshot");
    if recursive {
        cmd = cmd.arg("-r");
    }
    cmd = cmd.arg("-o").arg(format!("{}=on", crate::PROP_MANAGED));
    if let Some(l) = label {
        cmd = cmd.arg("-o").arg(format!("{}={l}", crate::PROP_LABEL));
    }
    cmd.args(datasets.iter().map(|d| format!("{d}@{name}")))
}

/// Parses the output of [`list_command`], sorted by dataset then createtxg. `managed` and `label`
/// are unknown (`None`) here.
pub fn parse_list(output: &[u8]) -> Result<Vec<SnapshotRecord>, ParseError> {
    let mut v = Vec::new();
    for (i, row) in table::rows(output, LIST_PROPERTIES.len())?.into_iter().enumerate() {
        let err = |message: String| ParseError { line: i + 1, message, text: row.join("\t") };
        let (dataset, name) =
            crate::name::SnapshotName::split(row[0]).ok_or_else(|| err("not a snapshot name".into()))?;
        let creation = table::req_u64(row[3], "creation").map_err(err)?;
        let created = i64::try_from(creation)
            .ok()
            .and_then(|s| Timestamp::from_second(s).ok())
            .ok_or_else(|| err(format!("creation {creation} is out of range")))?;
        v.push(SnapshotRecord {
            r#type: "snapshot",
            snapshot: row[0].to_string(),
            dataset: dataset.to_string(),
            name: name.to_string(),
            created,
            created_unix: created.as_second(),
            guid: table::opt_str(row[1]).map(str::to_string),
            createtxg: table::opt_u64(row[2]).map_err(err)?,
            used_bytes: table::opt_u64(row[4]).map_err(err)?,
            referenced_bytes: table::opt_u64(row[5]).map_err(err)?,
            userrefs: table::opt_u64(row[6]).map_err(err)?,
            managed: None,
            label: None,
        });
    }
    sort(&mut v);
    Ok(v)
}

/// Dataset, then createtxg (then creation time and name when createtxg is unknown).
pub fn sort(v: &mut [SnapshotRecord]) {
    v.sort_by(|a, b| {
        (a.dataset.as_str(), a.createtxg, a.created, a.name.as_str()).cmp(&(
            b.dataset.as_str(),
            b.createtxg,
            b.created,
            b.name.as_str(),
        ))
    });
}

/// A snapshot record read from stdin: only `snapshot` and `created` are required, unknown fields
/// are ignored, `guid` may be a string or a number.
#[derive(Debug, Clone, Deserialize)]
pub struct SnapshotInput {
    pub snapshot: String,
    #[serde(with = "rfc3339")]
    pub created: Timestamp,
    #[serde(default, deserialize_with = "guid_string")]
    pub guid: Option<String>,
    #[serde(default)]
    pub createtxg: Option<u64>,
    #[serde(default)]
    pub used_bytes: Option<u64>,
    #[serde(default)]
    pub referenced_bytes: Option<u64>,
    #[serde(default)]
    pub userrefs: Option<u64>,
    #[serde(default)]
    pub managed: Option<bool>,
    #[serde(default)]
    pub label: Option<String>,
}

impl SnapshotInput {
    /// The full record; the dataset and name come from `snapshot`.
    pub fn into_record(self) -> Result<SnapshotRecord, crate::name::NameError> {
        let n = crate::name::SnapshotName::parse(&self.snapshot)?;
        Ok(SnapshotRecord {
            r#type: "snapshot",
            created_unix: self.created.as_second(),
            snapshot: self.snapshot,
            dataset: n.dataset,
            name: n.name,
            created: self.created,
            guid: self.guid,
            createtxg: self.createtxg,
            used_bytes: self.used_bytes,
            referenced_bytes: self.referenced_bytes,
            userrefs: self.userrefs,
            managed: self.managed,
            label: self.label,
        })
    }
}

/// Accepts a GUID as a JSON string or number (jq users may have turned it into one); a number
/// that lost precision (a float) is refused. A visitor, not an untagged enum: nothing is buffered,
/// so a million records read fast.
pub fn guid_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a GUID as a decimal string or a number")
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(V)
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Err(E::custom(format!("guid {v} lost precision as a JSON number; give it as a string")))
        }
    }
    d.deserialize_option(V)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    fn fixture_rows(version: &str) -> Vec<u8> {
        // The fixture asked for the same 7 columns.
        fixtures::stdout(version, "list_snapshots_p")
    }

    #[test]
    fn parses_real_list_output() {
        let v = parse_list(&fixture_rows("2.3")).unwrap();
        assert_eq!(
            v.len(),
            fixtures::stdout("2.3", "list_snapshots_p").split(|&b| b == b'\n').filter(|l| !l.is_empty()).count()
        );
        let first = &v[0];
        assert_eq!(first.snapshot, "tank@2023-08-08-00-00-06");
        assert_eq!(first.dataset, "tank");
        assert_eq!(first.guid.as_deref(), Some("16231529310019089945"));
        assert_eq!(first.createtxg, Some(19));
        assert_eq!(first.created_unix, 1795636744);
        assert_eq!(first.referenced_bytes, Some(25600));
        assert_eq!(first.managed, None);
        assert!(
            v.windows(2).all(|w| (w[0].dataset.as_str(), w[0].createtxg) <= (w[1].dataset.as_str(), w[1].createtxg))
        );
        strata_core::doc::check_fields(&SNAPSHOT_DOC, first);
    }

    /// OpenZFS 2.1 prints the same columns: every row of its real output parses, with its own values.
    #[test]
    fn parses_real_list_output_of_zfs_2_1() {
        let raw = fixtures::stdout("2.1", "list_snapshots_p");
        let v = parse_list(&fixture_rows("2.1")).unwrap();
        assert_eq!(v.len(), raw.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count());
        let first = v.iter().find(|r| r.snapshot == "tank@2023-08-08-00-00-06").unwrap();
        assert_eq!(first.guid.as_deref(), Some("13296468408956670461"));
        assert_eq!((first.createtxg, first.created_unix, first.referenced_bytes), (Some(19), 1795640781, Some(24576)));
    }

    #[test]
    fn list_command_is_one_call() {
        assert_eq!(
            list_command(&["tank/my data".into()], true).display(),
            "zfs list -H -p -t snapshot -o name,guid,createtxg,creation,used,referenced,userrefs -r 'tank/my data'"
        );
        assert!(list_command(&["tank".into()], false).display().ends_with("-d 1 tank"));
    }

    #[test]
    fn create_command_is_one_atomic_call() {
        let ds = ["tank/my data".to_string(), "rpool".into()];
        assert_eq!(
            create_command(&ds, "s1", true, Some("a b")).argv_strings(),
            [
                "zfs",
                "snapshot",
                "-r",
                "-o",
                "strata:managed=on",
                "-o",
                "strata:label=a b",
                "tank/my data@s1",
                "rpool@s1"
            ]
        );
        assert_eq!(create_command(&ds[1..], "s1", false, None).display(), "zfs snapshot -o strata:managed=on rpool@s1");
    }

    #[test]
    fn bad_output_names_the_line() {
        let e = parse_list(b"tank@a\t1\t2\n").unwrap_err();
        assert_eq!(e.line, 1);
    }

    #[test]
    fn input_needs_only_snapshot_and_created() {
        let r: SnapshotInput =
            serde_json::from_str(r#"{"snapshot":"tank/a@x","created":"2023-08-08T00:00:06Z","guid":123,"extra":1}"#)
                .unwrap();
        let r = r.into_record().unwrap();
        assert_eq!((r.dataset.as_str(), r.name.as_str(), r.guid.as_deref()), ("tank/a", "x", Some("123")));
        assert_eq!(r.created_unix, 1691452806);
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains(r#""created":"2023-08-08T00:00:06Z""#), "{json}");
        assert!(serde_json::from_str::<SnapshotInput>(r#"{"snapshot":"tank/a@x"}"#).is_err());
    }

    #[test]
    fn guid_is_a_string_or_a_whole_number() {
        #[derive(Deserialize)]
        struct G {
            #[serde(default, deserialize_with = "guid_string")]
            guid: Option<String>,
        }
        let guid = |json: &str| serde_json::from_str::<G>(json).map(|g| g.guid).map_err(|e| e.to_string());
        assert_eq!(guid(r#"{"guid":"16231529310019089945"}"#), Ok(Some("16231529310019089945".into())));
        assert_eq!(guid(r#"{"guid":12345678901234567890}"#), Ok(Some("12345678901234567890".into())));
        assert_eq!(guid(r#"{"guid":null}"#), Ok(None));
        assert_eq!(guid(r#"{}"#), Ok(None));
        assert!(guid(r#"{"guid":1.5e30}"#).unwrap_err().contains("lost precision"));
        assert!(guid(r#"{"guid":-1}"#).is_err());
        assert!(guid(r#"{"guid":[1]}"#).is_err());
    }
}
