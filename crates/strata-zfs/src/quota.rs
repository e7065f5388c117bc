//! Space accounting and limits: the `zfs list` call that reads every space property of a set of
//! datasets at once, the `zfs set` builder, the compression names ZFS accepts, and
//! `zfs userspace` / `zfs groupspace`.

use std::fmt;

use strata_core::runner::Cmd;

use crate::table::{self, ParseError};
use crate::{zfs_mutate, zfs_read};

/// The properties `space_command` asks for, in order.
pub const SPACE_PROPERTIES: &[&str] = &[
    "name",
    "used",
    "avail",
    "refer",
    "quota",
    "refquota",
    "reservation",
    "refreservation",
    "usedbysnapshots",
    "compression",
    "compressratio",
];

/// One dataset's space and limits as `zfs list -H -p` prints them. A limit of `0` (which ZFS
/// shows as `none`) or `-` (not applicable, e.g. a quota on a volume) is `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct Space {
    pub name: String,
    pub used: u64,
    pub available: u64,
    pub referenced: u64,
    pub quota: Option<u64>,
    pub refquota: Option<u64>,
    pub reservation: Option<u64>,
    pub refreservation: Option<u64>,
    pub used_by_snapshots: Option<u64>,
    pub compression: Option<String>,
    pub compress_ratio: Option<f64>,
}

impl Space {
    /// `used` as a percentage of `quota`; `None` without a quota.
    pub fn quota_percent(&self) -> Option<f64> {
        self.quota.map(|q| percent(self.used, q))
    }

    /// `referenced` as a percentage of `refquota`; `None` without a refquota.
    pub fn refquota_percent(&self) -> Option<f64> {
        self.refquota.map(|q| percent(self.referenced, q))
    }
}

/// `part` of `whole` in percent, rounded to two decimals.
pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (part as f64 * 10_000.0 / whole as f64).round() / 100.0
}

/// One `zfs list -H -p` call for the space properties of `datasets` (every dataset of every pool
/// when empty); `recursive` includes their descendants.
pub fn space_command(datasets: &[String], recursive: bool) -> Cmd {
    let mut cmd = zfs_read().args(["list", "-H", "-p", "-o"]).arg(SPACE_PROPERTIES.join(","));
    if recursive && !datasets.is_empty() {
        cmd = cmd.arg("-r");
    }
    cmd.args(datasets)
}

/// A limit: `0`, `none` and `-` mean none.
fn limit(field: &str) -> Result<Option<u64>, String> {
    Ok(table::opt_u64(field)?.filter(|&v| v != 0))
}

/// `1.87`, or `1.87x` as ZFS prints it without `-p`.
fn ratio(field: &str) -> Result<Option<f64>, String> {
    match field {
        "-" | "" => Ok(None),
        s => s
            .trim_end_matches('x')
            .parse::<f64>()
            .map(Some)
            .map_err(|_| format!("expected a compression ratio like 1.87, found {s:?}")),
    }
}

/// Parses the output of [`space_command`], in the order ZFS printed it.
pub fn parse_space(output: &[u8]) -> Result<Vec<Space>, ParseError> {
    let mut v = Vec::new();
    for (i, row) in table::rows(output, SPACE_PROPERTIES.len())?.into_iter().enumerate() {
        let err = |message: String| ParseError { line: i + 1, message, text: row.join("\t") };
        v.push(Space {
            name: row[0].to_string(),
            used: table::req_u64(row[1], "used").map_err(err)?,
            available: table::req_u64(row[2], "avail").map_err(err)?,
            referenced: table::req_u64(row[3], "refer").map_err(err)?,
            quota: limit(row[4]).map_err(err)?,
            refquota: limit(row[5]).map_err(err)?,
            reservation: limit(row[6]).map_err(err)?,
            refreservation: limit(row[7]).map_err(err)?,
            used_by_snapshots: table::opt_u64(row[8]).map_err(err)?,
            compression: table::opt_str(row[9]).map(str::to_string),
            compress_ratio: ratio(row[10]).map_err(err)?,
        });
    }
    Ok(v)
}

/// `zfs set P1=V1 P2=V2 ... DATASET`: one call for every property.
pub fn set_command(dataset: &str, props: &[(String, String)]) -> Cmd {
    zfs_mutate().arg("set").args(props.iter().map(|(p, v)| format!("{p}={v}"))).arg(dataset)
}

/// The compression values both OpenZFS 2.1 and 2.3 accept (`zfs set compression=...`), as ZFS
/// lists them in its own error message.
pub const COMPRESSION_HELP: &str = "on, off, lzjb, gzip, gzip-1..9, zle, lz4, zstd, zstd-1..19, zstd-fast, \
     zstd-fast-1..10, zstd-fast-20..100 in steps of 10, zstd-fast-500, zstd-fast-1000";

/// True when ZFS accepts `value` for `compression` (case as ZFS wants it: lower case).
pub fn valid_compression(value: &str) -> bool {
    let level = |s: &str| -> Option<u32> {
        if s.is_empty() || s.starts_with('0') || !s.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    match value {
        "on" | "off" | "lzjb" | "gzip" | "zle" | "lz4" | "zstd" | "zstd-fast" => true,
        _ => {
            if let Some(fast) = value.strip_prefix("zstd-fast-") {
                matches!(level(fast), Some(1..=10 | 500 | 1000))
                    || matches!(level(fast), Some(n) if (20..=100).contains(&n) && n % 10 == 0)
            } else if let Some(l) = value.strip_prefix("zstd-") {
                matches!(level(l), Some(1..=19))
            } else if let Some(l) = value.strip_prefix("gzip-") {
                matches!(level(l), Some(1..=9))
            } else {
                false
            }
        }
    }
}

/// Users or groups (records spell it as `as_str` does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpaceKind {
    User,
    Group,
}

impl SpaceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SpaceKind::User => "user",
            SpaceKind::Group => "group",
        }
    }

    fn subcommand(self) -> &'static str {
        match self {
            SpaceKind::User => "userspace",
            SpaceKind::Group => "groupspace",
        }
    }
}

impl fmt::Display for SpaceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields `userspace_command` asks for, in order.
pub const USERSPACE_FIELDS: &[&str] = &["type", "name", "used", "quota", "objused", "objquota"];

/// `zfs userspace -H -p -o ... DATASET` (or `groupspace`).
pub fn userspace_command(kind: SpaceKind, dataset: &str) -> Cmd {
    zfs_read().args([kind.subcommand(), "-H", "-p", "-o"]).arg(USERSPACE_FIELDS.join(",")).arg(dataset)
}

/// One row of `zfs userspace` / `zfs groupspace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceUse {
    /// ZFS's type column: `POSIX User`, `POSIX Group`, `SMB User`, `SMB Group`.
    pub id_type: String,
    /// The name, or the numeric id when it has no name on this system.
    pub name: String,
    pub used: u64,
    pub quota: Option<u64>,
    pub objects_used: Option<u64>,
    pub objects_quota: Option<u64>,
}

/// Parses the output of [`userspace_command`].
pub fn parse_userspace(output: &[u8]) -> Result<Vec<SpaceUse>, ParseError> {
    let mut v = Vec::new();
    for (i, row) in table::rows(output, USERSPACE_FIELDS.len())?.into_iter().enumerate() {
        let err = |message: String| ParseError { line: i + 1, message, text: row.join("\t") };
        v.push(SpaceUse {
            id_type: row[0].to_string(),
            name: row[1].to_string(),
            used: table::req_u64(row[2], "used").map_err(err)?,
            quota: limit(row[3]).map_err(err)?,
            objects_used: table::opt_u64(row[4]).map_err(err)?,
            objects_quota: limit(row[5]).map_err(err)?,
        });
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    /// The fixture asked for name,used,avail,refer,quota,reservation,compression,compressratio,
    /// mountpoint; put its values into the columns of `space_command`, the ones it lacks unset.
    fn fixture_rows(version: &str) -> Vec<u8> {
        let raw = String::from_utf8(fixtures::stdout(version, "list_space_r")).unwrap();
        let mut out = String::new();
        for line in raw.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            let row = [f[0], f[1], f[2], f[3], f[4], "0", f[5], "0", "-", f[6], f[7]];
            out.push_str(&row.join("\t"));
            out.push('\n');
        }
        out.into_bytes()
    }

    #[test]
    fn parses_real_space_output() {
        let v = parse_space(&fixture_rows("2.3")).unwrap();
        assert_eq!(v.len(), 6);
        let log = v.iter().find(|s| s.name == "tank/var/log").unwrap();
        assert_eq!(log.used, 49152);
        assert_eq!(log.available, 67059712);
        assert_eq!(log.referenced, 24576);
        assert_eq!(log.quota, Some(67108864));
        assert_eq!(log.reservation, Some(8388608));
        assert_eq!(log.refquota, None);
        assert_eq!(log.compression.as_deref(), Some("on"));
        assert_eq!(log.compress_ratio, Some(1.08));
        assert_eq!(log.quota_percent(), Some(0.07));
        let victim = &v[3];
        assert_eq!(victim.name, "tank/srv/docker/victim.org");
        assert_eq!((victim.quota, victim.reservation), (None, None), "0 from -p is none");
        assert_eq!(victim.compression.as_deref(), Some("zstd"));
        assert_eq!(victim.quota_percent(), None);
    }

    #[test]
    fn parses_the_space_output_of_openzfs_2_1_and_2_3() {
        for version in ["2.1", "2.3"] {
            let raw = String::from_utf8(fixtures::stdout(version, "list_space_r")).unwrap();
            let v = parse_space(&fixture_rows(version)).unwrap();
            assert_eq!(v.len(), raw.lines().count(), "{version}");
            for (s, line) in v.iter().zip(raw.lines()) {
                let f: Vec<&str> = line.split('\t').collect();
                assert_eq!(
                    (s.name.as_str(), s.used.to_string(), s.available.to_string()),
                    (f[0], f[1].into(), f[2].into())
                );
                assert_eq!(s.quota.unwrap_or(0).to_string(), f[4], "{version} {}", s.name);
                assert_eq!(s.reservation.unwrap_or(0).to_string(), f[5], "{version} {}", s.name);
                assert_eq!(s.compression.as_deref(), Some(f[6]));
                assert_eq!(s.compress_ratio, Some(f[7].parse().unwrap()));
            }
            let log = v.iter().find(|s| s.name == "tank/var/log").unwrap();
            assert_eq!((log.quota, log.reservation), (Some(64 << 20), Some(8 << 20)), "{version}");
        }
    }

    #[test]
    fn ratio_with_or_without_x() {
        assert_eq!(ratio("1.87").unwrap(), Some(1.87));
        assert_eq!(ratio("1.87x").unwrap(), Some(1.87));
        assert_eq!(ratio("-").unwrap(), None);
        assert!(ratio("many").is_err());
    }

    #[test]
    fn used_over_the_quota_is_over_100_percent() {
        // get_after_quota: a writer ran into EDQUOT; used ends slightly above the quota.
        for (version, want) in [("2.1", 100.15), ("2.3", 100.14)] {
            let text = String::from_utf8(fixtures::stdout(version, "get_after_quota")).unwrap();
            let val = |p: &str| -> u64 {
                text.lines().map(|l| l.split('\t').collect::<Vec<_>>()).find(|f| f[1] == p).unwrap()[2].parse().unwrap()
            };
            assert_eq!(percent(val("used"), val("quota")), want, "{version}");
        }
    }

    proptest::proptest! {
        /// Any two sizes give a finite percentage: no overflow at u64::MAX, 0 of nothing, at most
        /// 100 below the limit and at least 100 at or above it.
        #[test]
        fn percent_of_any_sizes(
            part in proptest::prop_oneof![proptest::prelude::any::<u64>(), u64::MAX - 1_000..=u64::MAX, 0u64..1_000],
            whole in proptest::prop_oneof![proptest::prelude::any::<u64>(), u64::MAX - 1_000..=u64::MAX, 0u64..1_000],
        ) {
            let p = percent(part, whole);
            proptest::prop_assert!(p.is_finite() && p >= 0.0, "{part} of {whole}: {p}");
            if whole == 0 {
                proptest::prop_assert_eq!(p, 0.0);
            } else if part <= whole {
                proptest::prop_assert!(p <= 100.0, "{part} of {whole}: {p}");
            } else {
                proptest::prop_assert!(p >= 100.0, "{part} of {whole}: {p}");
            }
        }
    }

    #[test]
    fn percent_at_the_bounds() {
        assert_eq!(percent(u64::MAX, u64::MAX), 100.0);
        assert_eq!(percent(0, u64::MAX), 0.0);
        assert_eq!(percent(u64::MAX, 1), 1.8446744073709552e21);
        assert_eq!(percent(u64::MAX / 2, u64::MAX), 50.0);
    }

    #[test]
    fn commands() {
        assert_eq!(
            space_command(&["tank/my data".into()], true).display(),
            "zfs list -H -p -o name,used,avail,refer,quota,refquota,reservation,refreservation,usedbysnapshots,compression,compressratio -r 'tank/my data'"
        );
        assert!(space_command(&[], true).display().ends_with("compressratio"));
        assert!(space_command(&["tank".into()], false).display().ends_with("compressratio tank"));
        let props = vec![("quota".to_string(), "10G".to_string()), ("compression".to_string(), "zstd".to_string())];
        assert_eq!(
            set_command("zroot/root/var/log", &props).display(),
            "zfs set quota=10G compression=zstd zroot/root/var/log"
        );
        assert_eq!(
            userspace_command(SpaceKind::Group, "tank/a").display(),
            "zfs groupspace -H -p -o type,name,used,quota,objused,objquota tank/a"
        );
    }

    #[test]
    fn compression_names_of_zfs() {
        for ok in [
            "on",
            "off",
            "lzjb",
            "gzip",
            "gzip-1",
            "gzip-9",
            "zle",
            "lz4",
            "zstd",
            "zstd-1",
            "zstd-19",
            "zstd-fast",
            "zstd-fast-1",
            "zstd-fast-10",
            "zstd-fast-20",
            "zstd-fast-90",
            "zstd-fast-100",
            "zstd-fast-500",
            "zstd-fast-1000",
        ] {
            assert!(valid_compression(ok), "{ok}");
        }
        for bad in [
            "bogus",
            "",
            "ZSTD",
            "gzip-0",
            "gzip-10",
            "zstd-0",
            "zstd-20",
            "zstd-01",
            "zstd-fast-0",
            "zstd-fast-11",
            "zstd-fast-25",
            "zstd-fast-110",
            "zstd-fast-200",
            "zstd-fast-",
            "lz4-1",
            "inherit",
        ] {
            assert!(!valid_compression(bad), "{bad}");
        }
        // ZFS's own list, from its refusal of a bad value, names the same set in 2.1 and 2.3.
        for version in ["2.1", "2.3"] {
            let err = String::from_utf8(fixtures::stderr(version, "err_set_bad_compression")).unwrap();
            assert!(err.contains("'on | off | lzjb | gzip | gzip-[1-9] | zle | lz4 | zstd | zstd-[1-19] | zstd-fast | zstd-fast-[1-10,20,30,40,50,60,70,80,90,100,500,1000]'"), "{err}");
        }
    }

    #[test]
    fn userspace_rows() {
        // The first line is what OpenZFS 2.3 printed in the lab (`zfs userspace -H -p -o
        // type,name,used,quota,objused,objquota` on a new dataset): no quota is 0.
        let out = b"POSIX User\troot\t512\t0\t1\t0\nPOSIX User\t1000\t10485760\t20971520\t-\t-\n";
        let v = parse_userspace(out).unwrap();
        assert_eq!(
            v[0],
            SpaceUse {
                id_type: "POSIX User".into(),
                name: "root".into(),
                used: 512,
                quota: None,
                objects_used: Some(1),
                objects_quota: None
            }
        );
        assert_eq!((v[1].name.as_str(), v[1].quota, v[1].objects_used), ("1000", Some(20971520), None));
        assert_eq!(parse_userspace(b"POSIX User\troot\n").unwrap_err().line, 1);
    }

    #[test]
    fn space_kind_spelling_is_as_str() {
        for k in [SpaceKind::User, SpaceKind::Group] {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }
}
