//! Listing snapshots with their strata user properties, safely.
//!
//! A user property value is written by whoever may set it, which with `zfs allow ... userprop` is
//! not only root, and it is inherited by every snapshot below. It can hold tabs and newlines, so
//! in `zfs list -H` output it could end a row early and start a forged one. Here no property value
//! is ever read as a row or a field:
//!
//! - OpenZFS 2.3 and later: `zfs list -j` (JSON: values are escaped strings);
//! - older: the rows come from a `zfs list -H` that asks for names and numbers only (ZFS names hold
//!   no tab or newline), and the two user properties from one `zfs get -H -o name,property,source,value`
//!   whose lines are proven: each names a listed snapshot and one of the two properties, each pair
//!   exactly once (so a newline in a value, which adds a line, is always caught), and the value is
//!   the last field (so a tab stays inside it). When that proof fails, each dataset is asked again
//!   on its own, and only a dataset whose own answer still fails is left out and reported.
//!
//! A snapshot is `managed` only when its own `strata:managed` is `on` (set on the snapshot when
//! strata made it, or received with it), never when inherited from a dataset; its label likewise.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use strata_core::runner::{Cmd, RunError, Runner};

use crate::snapshot::{LIST_PROPERTIES, SnapshotRecord, parse_list, sort};
use crate::table::ParseError;
use crate::{PROP_LABEL, PROP_MANAGED, zfs_read};

/// Which snapshots to list.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// The snapshots of these datasets (every pool's when empty); `recursive` adds descendants'.
    Datasets { datasets: &'a [String], recursive: bool },
    /// These snapshots, by full name.
    Snapshots(&'a [String]),
}

impl Scope<'_> {
    /// `cmd` with the scope's arguments appended.
    pub(crate) fn apply(self, cmd: Cmd) -> Cmd {
        match self {
            Scope::Datasets { datasets: [], .. } => cmd,
            Scope::Datasets { datasets, recursive: true } => cmd.arg("-r").args(datasets),
            Scope::Datasets { datasets, recursive: false } => cmd.args(["-d", "1"]).args(datasets),
            Scope::Snapshots(names) => cmd.args(names),
        }
    }
}

/// A dataset whose snapshots could not be read safely; the others are still listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadDataset {
    pub dataset: String,
    pub reason: String,
}

/// Snapshot records, sorted by dataset then createtxg, and the datasets left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub records: Vec<SnapshotRecord>,
    pub bad: Vec<BadDataset>,
}

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Parse(#[from] ParseError),
}

/// `zfs version`.
pub fn version_command() -> Cmd {
    zfs_read().arg("version")
}

/// `zfs list -H -o name -t filesystem,volume -r DATASET...`: the datasets and every descendant
/// (what `zfs snapshot -r` snapshots).
pub fn tree_command(datasets: &[String]) -> Cmd {
    zfs_read().args(["list", "-H", "-o", "name", "-t", "filesystem,volume", "-r"]).args(datasets)
}

/// The names of [`tree_command`]'s output, one a line (ZFS names hold no newline).
pub fn parse_names(output: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(output).lines().filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// `zfs list -H -o name -t snapshot,filesystem NAME...`: succeeds when every name exists, else
/// exits non-zero naming those that do not (`zfs diff` only says "No such file or directory").
pub fn exist_command(names: &[&str]) -> Cmd {
    zfs_read().args(["list", "-H", "-o", "name", "-t", "snapshot,filesystem"]).args(names)
}

/// The userland's (major, minor) from `zfs version` (`zfs-2.3.2-2~bpo12+2`).
pub fn parse_version(output: &[u8]) -> Option<(u32, u32)> {
    let first = std::str::from_utf8(output).ok()?.lines().next()?;
    let v = first.trim().strip_prefix("zfs-")?;
    let mut parts = v.split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// The user properties strata reads from snapshots.
pub const USER_PROPERTIES: &[&str] = &[PROP_MANAGED, PROP_LABEL];

/// `zfs list -j -p -t snapshot -o ...,strata:managed,strata:label SCOPE` (OpenZFS 2.3+).
pub fn json_command(scope: Scope<'_>) -> Cmd {
    let props: Vec<&str> = LIST_PROPERTIES.iter().chain(USER_PROPERTIES).copied().collect();
    scope.apply(zfs_read().args(["list", "-j", "-p", "-t", "snapshot", "-o"]).arg(props.join(",")))
}

/// `zfs get -H -p -t snapshot -o name,property,source,value strata:managed,strata:label SCOPE`.
pub fn props_command(scope: Scope<'_>) -> Cmd {
    scope.apply(
        zfs_read()
            .args(["get", "-H", "-p", "-t", "snapshot", "-o", "name,property,source,value"])
            .arg(USER_PROPERTIES.join(",")),
    )
}

/// Whether this `zfs` has `zfs list -j`. A `zfs version` that fails or says something else means
/// no: the other way works on every version.
pub fn has_json(runner: &dyn Runner) -> bool {
    match runner.output(&version_command()) {
        Ok(out) if out.success() => parse_version(&out.stdout).is_some_and(|v| v >= (2, 3)),
        _ => false,
    }
}

/// Every snapshot in `scope` with its strata properties, read safely (see the module docs).
/// A `zfs` failure (a dataset that does not exist, a pool that does not answer) is an error.
pub fn list(runner: &dyn Runner, scope: Scope<'_>) -> Result<Listing, ListError> {
    list_as(runner, scope, has_json(runner))
}

/// [`list`] for a caller that lists several times and asked [`has_json`] once.
pub fn list_as(runner: &dyn Runner, scope: Scope<'_>, json: bool) -> Result<Listing, ListError> {
    if json {
        let cmd = json_command(scope);
        let out = runner.run(&cmd)?;
        return Ok(parse_json(&out.stdout)?);
    }
    let rows = runner.run(&crate::snapshot::scoped_list_command(scope))?;
    let mut records = parse_list(&rows.stdout)?;
    let props = runner.run(&props_command(scope))?;
    match apply_props(&mut records, &props.stdout) {
        Ok(()) => Ok(Listing { records, bad: Vec::new() }),
        // Each dataset's values are set again from its own answer (every pair exactly once), or
        // the dataset is left out.
        Err(_) => per_dataset(runner, records),
    }
}

/// The proof failed for the whole scope: each dataset on its own.
fn per_dataset(runner: &dyn Runner, records: Vec<SnapshotRecord>) -> Result<Listing, ListError> {
    let mut by_ds: BTreeMap<String, Vec<SnapshotRecord>> = BTreeMap::new();
    for r in records {
        by_ds.entry(r.dataset.clone()).or_default().push(r);
    }
    let mut listing = Listing::default();
    for (dataset, mut records) in by_ds {
        let scope = Scope::Datasets { datasets: std::slice::from_ref(&dataset), recursive: false };
        let out = runner.run(&props_command(scope))?;
        match apply_props(&mut records, &out.stdout) {
            Ok(()) => listing.records.append(&mut records),
            Err(reason) => listing.bad.push(BadDataset { dataset, reason }),
        }
    }
    sort(&mut listing.records);
    Ok(listing)
}

/// Fills `managed` and `label` from proven `zfs get` lines, or says why the lines are not proven.
fn apply_props(records: &mut [SnapshotRecord], output: &[u8]) -> Result<(), String> {
    let index: HashMap<String, usize> = records.iter().enumerate().map(|(i, r)| (r.snapshot.clone(), i)).collect();
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let lines: Vec<&[u8]> = output.split(|&b| b == b'\n').collect();
    for (n, &line) in lines.iter().enumerate() {
        let bad = |what: &str| format!("zfs get line {}: {what}; a {} value holds a newline?", n + 1, PROP_LABEL);
        if line.is_empty() {
            // Only the end of the output: an empty line inside it is a value that ended with a
            // newline, and reading on would cut that label short.
            if n + 1 == lines.len() {
                continue;
            }
            return Err(bad("an empty line"));
        }
        let mut f = line.splitn(4, |&b| b == b'\t');
        let (Some(name), Some(prop), Some(source), Some(value)) = (f.next(), f.next(), f.next(), f.next()) else {
            return Err(bad("fewer than 4 fields"));
        };
        let name = std::str::from_utf8(name).map_err(|_| bad("the name is not UTF-8"))?;
        let &i = index.get(name).ok_or_else(|| bad("names no listed snapshot"))?;
        let p = USER_PROPERTIES.iter().position(|p| p.as_bytes() == prop).ok_or_else(|| bad("unknown property"))?;
        if !seen.insert((i, p)) {
            return Err(bad("a snapshot's property appears twice"));
        }
        let own = source == b"local" || source == b"received";
        let value = std::str::from_utf8(value).map_err(|_| bad("the value is not UTF-8"))?;
        set_prop(&mut records[i], p, own, value);
    }
    if seen.len() != records.len() * USER_PROPERTIES.len() {
        return Err(format!(
            "zfs get gave {} of the {} property values expected",
            seen.len(),
            records.len() * USER_PROPERTIES.len()
        ));
    }
    Ok(())
}

fn set_prop(r: &mut SnapshotRecord, prop: usize, own: bool, value: &str) {
    if prop == 0 {
        r.managed = Some(own && value == "on");
    } else {
        r.label = if own && value != "-" { Some(value.to_string()) } else { None };
    }
}

/// Parses `zfs list -j -p` output. An entry that cannot be read leaves out its dataset only.
pub fn parse_json(output: &[u8]) -> Result<Listing, ParseError> {
    let err = |message: String| ParseError { line: 1, message, text: String::new() };
    let v: serde_json::Value = serde_json::from_slice(output).map_err(|e| err(format!("not JSON: {e}")))?;
    let Some(entries) = v.get("datasets").and_then(|d| d.as_object()) else {
        // No snapshot at all: ZFS prints an empty `datasets` object, or none.
        return if v.is_object() { Ok(Listing::default()) } else { Err(err("expected a JSON object".into())) };
    };
    let mut listing = Listing::default();
    let mut bad: BTreeMap<String, String> = BTreeMap::new();
    for (key, e) in entries {
        match json_record(e) {
            Ok(r) => listing.records.push(r),
            Err(reason) => {
                let ds = key.split_once('@').map_or(key.as_str(), |(d, _)| d).to_string();
                bad.entry(ds).or_insert_with(|| format!("{key}: {reason}"));
            }
        }
    }
    listing.records.retain(|r| !bad.contains_key(&r.dataset));
    listing.bad = bad.into_iter().map(|(dataset, reason)| BadDataset { dataset, reason }).collect();
    sort(&mut listing.records);
    Ok(listing)
}

fn json_record(e: &serde_json::Value) -> Result<SnapshotRecord, String> {
    let props = e.get("properties").and_then(|p| p.as_object()).ok_or("no properties")?;
    let name = e.get("name").and_then(|n| n.as_str()).ok_or("no name")?;
    let (dataset, snap) = crate::name::SnapshotName::split(name).ok_or("not a snapshot name")?;
    let value = |p: &str| -> Option<String> {
        match props.get(p)?.get("value")? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let source = |p: &str| props.get(p).and_then(|v| v.get("source")?.get("type")?.as_str().map(str::to_string));
    let num = |p: &str| -> Result<Option<u64>, String> {
        match value(p) {
            None => Ok(None),
            Some(s) => crate::table::opt_u64(&s).map_err(|m| format!("{p}: {m}")),
        }
    };
    let creation = num("creation")?.ok_or("creation: no value")?;
    let created = i64::try_from(creation)
        .ok()
        .and_then(|s| Timestamp::from_second(s).ok())
        .ok_or_else(|| format!("creation {creation} is out of range"))?;
    let own = |p: &str| matches!(source(p).as_deref(), Some("LOCAL" | "RECEIVED"));
    let mut r = SnapshotRecord {
        r#type: "snapshot",
        snapshot: name.to_string(),
        dataset: dataset.to_string(),
        name: snap.to_string(),
        created,
        created_unix: created.as_second(),
        guid: value("guid").filter(|g| g != "-"),
        createtxg: num("createtxg")?,
        used_bytes: num("used")?,
        referenced_bytes: num("referenced")?,
        userrefs: num("userrefs")?,
        managed: None,
        label: None,
    };
    set_prop(&mut r, 0, own(PROP_MANAGED), value(PROP_MANAGED).as_deref().unwrap_or("-"));
    set_prop(&mut r, 1, own(PROP_LABEL), value(PROP_LABEL).as_deref().unwrap_or("-"));
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::runner::{FakeRunner, Output};

    #[test]
    fn name_listings_are_one_call_each() {
        let ds = vec!["tank/my data".to_string(), "rpool".into()];
        assert_eq!(
            tree_command(&ds).argv_strings(),
            ["zfs", "list", "-H", "-o", "name", "-t", "filesystem,volume", "-r", "tank/my data", "rpool"]
        );
        assert_eq!(
            exist_command(&["tank/a@s1", "tank/a"]).argv_strings(),
            ["zfs", "list", "-H", "-o", "name", "-t", "snapshot,filesystem", "tank/a@s1", "tank/a"]
        );
        assert_eq!(parse_names(b"tank\ntank/my data\n\n"), ["tank", "tank/my data"]);
    }

    const ROWS: &str = "tank/a@s1\t11\t7\t1691452800\t0\t100\t0\n\
                        tank/a@s2\t12\t8\t1691452801\t0\t100\t0\n\
                        tank/user@u1\t13\t9\t1691452802\t0\t100\t0\n";

    fn scope() -> Scope<'static> {
        static DS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        Scope::Datasets { datasets: DS.get_or_init(|| vec!["tank".into()]), recursive: true }
    }

    fn old_zfs(props: &str) -> FakeRunner {
        FakeRunner::new()
            .expect(&version_command().argv_strings(), Output::ok("zfs-2.1.11-1+deb12u1\nzfs-kmod-2.1.11-1+deb12u1\n"))
            .expect(&crate::snapshot::scoped_list_command(scope()).argv_strings(), Output::ok(ROWS))
            .expect(&props_command(scope()).argv_strings(), Output::ok(props))
    }

    const PROPS: &str = "tank/a@s1\tstrata:managed\tlocal\ton\n\
                         tank/a@s1\tstrata:label\tlocal\thourly\n\
                         tank/a@s2\tstrata:managed\tinherited from tank/a\ton\n\
                         tank/a@s2\tstrata:label\t-\t-\n\
                         tank/user@u1\tstrata:managed\t-\t-\n\
                         tank/user@u1\tstrata:label\tlocal\tx\ty\n";

    #[test]
    fn versions() {
        assert_eq!(parse_version(b"zfs-2.3.2-2~bpo12+2\nzfs-kmod-2.3.2-2~bpo12+2\n"), Some((2, 3)));
        assert_eq!(parse_version(b"zfs-2.1.11-1+deb12u1\n"), Some((2, 1)));
        assert_eq!(parse_version(b"zfs-0.8.6\n"), Some((0, 8)));
        assert_eq!(parse_version(b"something else\n"), None);
    }

    #[test]
    fn proven_lines_give_own_values_only() {
        let l = list(&old_zfs(PROPS), scope()).unwrap();
        assert!(l.bad.is_empty());
        let m: Vec<(&str, Option<bool>, Option<&str>)> =
            l.records.iter().map(|r| (r.snapshot.as_str(), r.managed, r.label.as_deref())).collect();
        assert_eq!(
            m,
            [
                ("tank/a@s1", Some(true), Some("hourly")),
                // inherited from the dataset: not made by strata
                ("tank/a@s2", Some(false), None),
                // a tab stays inside the value
                ("tank/user@u1", Some(false), Some("x\ty")),
            ]
        );
    }

    /// The attack: a label inherited by tank/user's snapshots that holds a newline and a forged
    /// line claiming tank/a@s2 is managed. The proof fails, each dataset is asked alone, and only
    /// tank/user is left out.
    #[test]
    fn a_forged_line_leaves_out_only_its_dataset() {
        let forged = "tank/a@s1\tstrata:managed\tlocal\ton\n\
                      tank/a@s1\tstrata:label\t-\t-\n\
                      tank/a@s2\tstrata:managed\t-\t-\n\
                      tank/a@s2\tstrata:label\t-\t-\n\
                      tank/user@u1\tstrata:managed\t-\t-\n\
                      tank/user@u1\tstrata:label\tlocal\tx\ntank/a@s2\tstrata:managed\tlocal\ton\n";
        let a = vec!["tank/a".to_string()];
        let u = vec!["tank/user".to_string()];
        let fake = old_zfs(forged)
            .expect(
                &props_command(Scope::Datasets { datasets: &a, recursive: false }).argv_strings(),
                Output::ok(forged.lines().take(4).map(|l| format!("{l}\n")).collect::<String>()),
            )
            .expect(
                &props_command(Scope::Datasets { datasets: &u, recursive: false }).argv_strings(),
                Output::ok(forged.lines().skip(4).map(|l| format!("{l}\n")).collect::<String>()),
            );
        let l = list(&fake, scope()).unwrap();
        let names: Vec<(&str, Option<bool>)> = l.records.iter().map(|r| (r.snapshot.as_str(), r.managed)).collect();
        assert_eq!(names, [("tank/a@s1", Some(true)), ("tank/a@s2", Some(false))]);
        assert_eq!(l.bad.len(), 1);
        assert_eq!(l.bad[0].dataset, "tank/user");
        assert!(l.bad[0].reason.contains("line 3"), "{}", l.bad[0].reason);
    }

    #[test]
    fn missing_or_doubled_values_are_not_proven() {
        let recs = parse_list(ROWS.as_bytes()).unwrap();
        let short: String = PROPS.lines().take(5).map(|l| format!("{l}\n")).collect();
        assert!(apply_props(&mut recs.clone(), short.as_bytes()).unwrap_err().contains("5 of the 6"));
        let doubled = format!("{PROPS}tank/a@s1\tstrata:managed\tlocal\ton\n");
        assert!(apply_props(&mut recs.clone(), doubled.as_bytes()).unwrap_err().contains("twice"));
        let unknown = PROPS.replace("tank/a@s2\tstrata:label", "tank/b@zz\tstrata:label");
        assert!(apply_props(&mut recs.clone(), unknown.as_bytes()).unwrap_err().contains("no listed snapshot"));
        // A label ending in a newline prints an empty line: never read as the label cut short.
        let trailing = PROPS.replace("\tlocal\thourly\n", "\tlocal\thourly\n\n");
        assert!(apply_props(&mut recs.clone(), trailing.as_bytes()).unwrap_err().contains("an empty line"));
    }

    fn json_entry(name: &str, managed: (&str, &str), label: (&str, &str)) -> serde_json::Value {
        let p = |v: &str, t: &str| serde_json::json!({"value": v, "source": {"type": t, "data": "-"}});
        serde_json::json!({
            "name": name, "type": "SNAPSHOT",
            "properties": {
                "guid": p("123", "NONE"), "createtxg": p("9", "NONE"), "creation": p("1691452800", "NONE"),
                "used": p("0", "NONE"), "referenced": p("100", "NONE"), "userrefs": p("0", "NONE"),
                "strata:managed": p(managed.0, managed.1), "strata:label": p(label.0, label.1),
            }
        })
    }

    #[test]
    fn json_values_stay_values() {
        let doc = serde_json::json!({
            "output_version": {"command": "zfs list", "vers_major": 0, "vers_minor": 1},
            "datasets": {
                "tank/a@s1": json_entry("tank/a@s1", ("on", "LOCAL"), ("hourly", "LOCAL")),
                "tank/user@u1": json_entry("tank/user@u1", ("on", "INHERITED"),
                    ("x\ntank/victim@v1\t-\t1\t1000000000\t0\t0\t0\ton\t-", "INHERITED")),
            }
        });
        let l = parse_json(doc.to_string().as_bytes()).unwrap();
        let m: Vec<(&str, Option<bool>, Option<&str>)> =
            l.records.iter().map(|r| (r.snapshot.as_str(), r.managed, r.label.as_deref())).collect();
        assert_eq!(m, [("tank/a@s1", Some(true), Some("hourly")), ("tank/user@u1", Some(false), None)]);
        assert!(l.bad.is_empty());
    }

    #[test]
    fn a_bad_json_entry_leaves_out_its_dataset() {
        let mut bad = json_entry("tank/b@s1", ("on", "LOCAL"), ("-", "NONE"));
        bad["properties"]["creation"]["value"] = serde_json::json!("yesterday");
        let doc = serde_json::json!({"datasets": {
            "tank/a@s1": json_entry("tank/a@s1", ("on", "LOCAL"), ("-", "NONE")),
            "tank/b@s1": bad,
            "tank/b@s2": json_entry("tank/b@s2", ("on", "LOCAL"), ("-", "NONE")),
        }});
        let l = parse_json(doc.to_string().as_bytes()).unwrap();
        assert_eq!(l.records.iter().map(|r| r.snapshot.as_str()).collect::<Vec<_>>(), ["tank/a@s1"]);
        assert_eq!(l.bad[0].dataset, "tank/b");
    }

    #[test]
    fn new_zfs_is_asked_in_json() {
        let ds = vec!["tank/my data".to_string()];
        let scope = Scope::Datasets { datasets: &ds, recursive: false };
        assert_eq!(
            json_command(scope).display(),
            "zfs list -j -p -t snapshot -o name,guid,createtxg,creation,used,referenced,userrefs,strata:managed,strata:label -d 1 'tank/my data'"
        );
        assert_eq!(
            props_command(scope).display(),
            "zfs get -H -p -t snapshot -o name,property,source,value strata:managed,strata:label -d 1 'tank/my data'"
        );
        let doc = serde_json::json!({"datasets": {"tank/my data@s": json_entry("tank/my data@s", ("on", "LOCAL"), ("-", "NONE"))}});
        let fake = FakeRunner::new()
            .expect(&version_command().argv_strings(), Output::ok("zfs-2.3.2-2~bpo12+2\n"))
            .expect(&json_command(scope).argv_strings(), Output::ok(doc.to_string()));
        let l = list(&fake, scope).unwrap();
        assert_eq!(l.records[0].managed, Some(true));
    }
}
