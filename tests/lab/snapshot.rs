//! Real-ZFS scenarios of strata-snapshot: create (single, recursive, several datasets, clash),
//! list, rollback.

use anyhow::{Context, Result};
use serde_json::Value;

use crate::harness::{Lab, Scenario, check_eq};

const BIN: &str = "strata-snapshot";

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario { name: "snapshot/create-single", run: create_single },
        Scenario { name: "snapshot/create-recursive", run: create_recursive },
        Scenario { name: "snapshot/create-several-datasets", run: create_several },
        Scenario { name: "snapshot/create-clash", run: create_clash },
        Scenario { name: "snapshot/list", run: list },
        Scenario { name: "snapshot/rollback", run: rollback },
    ]
}

fn names(recs: &[Value]) -> Vec<String> {
    recs.iter().map(|r| r["snapshot"].as_str().unwrap_or("").to_string()).collect()
}

fn create_single(lab: &Lab) -> Result<()> {
    let ds = lab.create("a", &[])?;
    let run = lab.strata(BIN, &["create", &ds]).ok()?;
    run.check(run.stdout.is_empty() && run.stderr.is_empty(), "silent on success")?;
    let snaps = lab.snapshots(&ds)?;
    check_eq(snaps.len(), 1, "one snapshot made")?;
    let name = &snaps[0];
    // The default name is the UTC time, %Y-%m-%d-%H-%M-%S.
    let shape = name.len() == 19
        && name
            .char_indices()
            .all(|(i, c)| if [4, 7, 10, 13, 16].contains(&i) { c == '-' } else { c.is_ascii_digit() });
    run.check(shape, format!("default name {name:?} is %Y-%m-%d-%H-%M-%S"))?;
    let created: i64 = lab.get("creation", &format!("{ds}@{name}"))?.parse()?;
    let from_name = jiff::civil::DateTime::strptime("%Y-%m-%d-%H-%M-%S", name)?
        .to_zoned(jiff::tz::TimeZone::UTC)?
        .timestamp()
        .as_second();
    run.check(
        // The name is read from the clock before the existence check and the zfs snapshot call:
        // creation comes after it, within the time an emulated guest under load may take.
        (0..=60).contains(&(created - from_name)),
        format!("the name is the UTC time of creation ({created} vs {from_name})"),
    )?;
    check_eq(lab.get("strata:managed", &format!("{ds}@{name}"))?, "on".to_string(), "marked as managed")?;
    check_eq(lab.get("strata:label", &format!("{ds}@{name}"))?, "-".to_string(), "no label")?;
    Ok(())
}

fn create_recursive(lab: &Lab) -> Result<()> {
    let a = lab.create("a", &[])?;
    let b = lab.create("a/b", &[])?;
    let c = lab.create("a/b/c d", &[])?;
    let run = lab
        .strata(
            BIN,
            &["create", "-r", &a, "--prefix", "pre-", "--name-format", "r%Y", "--label", "before upgrade", "--json"],
        )
        .ok()?;
    let recs = run.records()?;
    let year = lab.get("creation", &a).map(|s| s.parse::<i64>().unwrap_or(0))?;
    let year = jiff::Timestamp::from_second(year)?.to_zoned(jiff::tz::TimeZone::UTC).year();
    let name = format!("pre-r{year}");
    check_eq(
        names(&recs),
        vec![format!("{a}@{name}"), format!("{b}@{name}"), format!("{c}@{name}")],
        "a record per snapshot made",
    )?;
    for ds in [&a, &b, &c] {
        check_eq(lab.snapshots(ds)?, vec![name.clone()], format!("snapshot of {ds}"))?;
        let snap = format!("{ds}@{name}");
        check_eq(lab.get("strata:label", &snap)?, "before upgrade".to_string(), "label")?;
        let r = recs.iter().find(|r| r["snapshot"] == snap.as_str()).context("record")?;
        check_eq(r["guid"].as_str().map(str::to_string), Some(lab.get("guid", &snap)?), "guid as a string")?;
        check_eq(r["createtxg"].as_u64(), Some(lab.get("createtxg", &snap)?.parse()?), "createtxg")?;
        check_eq(r["managed"].as_bool(), Some(true), "managed")?;
        check_eq(r["label"].as_str(), Some("before upgrade"), "label field")?;
    }
    // One atomic call: the same transaction group for all.
    let txgs: Vec<String> =
        [&a, &b, &c].iter().map(|d| lab.get("createtxg", &format!("{d}@{name}"))).collect::<Result<_>>()?;
    run.check(txgs.windows(2).all(|w| w[0] == w[1]), format!("one transaction group: {txgs:?}"))?;
    Ok(())
}

fn create_several(lab: &Lab) -> Result<()> {
    let a = lab.create("x", &[])?;
    let b = lab.create("my data", &[])?;
    lab.strata(BIN, &["create", &a, &b, "--name-format", "both"]).ok()?;
    check_eq(lab.snapshots(&a)?, vec!["both".to_string()], "first")?;
    check_eq(lab.snapshots(&b)?, vec!["both".to_string()], "second (a space in its name)")?;
    check_eq(
        lab.get("createtxg", &format!("{a}@both"))?,
        lab.get("createtxg", &format!("{b}@both"))?,
        "made together",
    )?;
    // A bad name is refused before anything runs.
    let run = lab.strata(BIN, &["create", &a, "--name-format", "bad/name"]).code(2)?;
    run.check(run.err().contains("invalid snapshot name"), "says the name is invalid")?;
    check_eq(lab.snapshots(&a)?, vec!["both".to_string()], "nothing made")?;
    Ok(())
}

fn create_clash(lab: &Lab) -> Result<()> {
    let a = lab.create("a", &[])?;
    let b = lab.create("b", &[])?;
    lab.zfs(&["snapshot", &format!("{b}@taken")])?;
    let run = lab.strata(BIN, &["create", &a, &b, "--name-format", "taken"]).code(2)?;
    run.check(
        run.err().contains(&format!("snapshot already exists: {b}@taken")) && run.err().contains("nothing was made"),
        "names the clash",
    )?;
    check_eq(lab.snapshots(&a)?, Vec::<String>::new(), "nothing made on the other dataset")?;
    // Recursive: the clash is on a descendant.
    let c = lab.create("a/c", &[])?;
    lab.zfs(&["snapshot", &format!("{c}@deep")])?;
    let run = lab.strata(BIN, &["create", "-r", &a, "--name-format", "deep"]).code(2)?;
    run.check(run.err().contains(&format!("{c}@deep")), "names the descendant")?;
    check_eq(lab.snapshots(&a)?, Vec::<String>::new(), "nothing made recursively")?;
    Ok(())
}

fn list(lab: &Lab) -> Result<()> {
    let a = lab.create("a", &[])?;
    let b = lab.create("a/b c", &[])?;
    lab.zfs(&["snapshot", &format!("{a}@manual")])?;
    lab.strata(BIN, &["create", "-r", &a, "--name-format", "s1", "--label", "L"]).ok()?;
    lab.strata(BIN, &["create", &a, "--name-format", "s2"]).ok()?;
    lab.zfs(&["hold", "keep", &format!("{a}@s1")])?;

    let run = lab.strata(BIN, &["list", "-r", &a]).ok()?;
    let recs = run.records()?;
    let want: Vec<String> = lab
        .snapshots(&a)?
        .iter()
        .map(|s| format!("{a}@{s}"))
        .chain(lab.snapshots(&b)?.iter().map(|s| format!("{b}@{s}")))
        .collect();
    check_eq(names(&recs), want, "every snapshot, by dataset then createtxg")?;
    let s1 = recs.iter().find(|r| r["snapshot"] == format!("{a}@s1").as_str()).context("s1")?;
    check_eq(s1["userrefs"].as_u64(), Some(1), "the hold is counted")?;
    check_eq(s1["created_unix"].as_i64(), Some(lab.get("creation", &format!("{a}@s1"))?.parse()?), "creation")?;
    check_eq(s1["used_bytes"].as_u64(), Some(lab.get("used", &format!("{a}@s1"))?.parse()?), "used")?;
    check_eq(s1["referenced_bytes"].as_u64(), Some(lab.get("referenced", &format!("{a}@s1"))?.parse()?), "referenced")?;

    let managed = lab.strata(BIN, &["list", "-r", &a, "--managed", "--format", "plain"]).ok()?;
    check_eq(managed.out(), format!("{a}@s1\n{a}@s2\n{b}@s1\n"), "--managed, plain")?;
    let labelled = lab.strata(BIN, &["list", "-r", &a, "--label", "L", "--json"]).ok()?;
    check_eq(names(&labelled.records()?), vec![format!("{a}@s1"), format!("{b}@s1")], "--label")?;
    let own = lab.strata(BIN, &["list", &a, "--json"]).ok()?;
    check_eq(own.records()?.len(), 3, "without -r only the dataset's own")?;
    let missing = lab.strata(BIN, &["list", &format!("{a}/nope")]).code(2)?;
    missing.check(missing.err().contains("does not exist"), "zfs's error is kept")?;
    lab.zfs(&["release", "keep", &format!("{a}@s1")])?;
    Ok(())
}

fn rollback(lab: &Lab) -> Result<()> {
    let ds = lab.create("r", &[])?;
    let mp = lab.mountpoint(&ds)?;
    lab.write(&mp.join("keep.txt"), "v1")?;
    lab.zfs(&["snapshot", &format!("{ds}@s1")])?;
    lab.write(&mp.join("f2"), "2")?;
    lab.write(&mp.join("keep.txt"), "v2")?;
    lab.zfs(&["snapshot", &format!("{ds}@s2")])?;
    lab.write(&mp.join("f3"), "3")?;
    let diff = lab.zfs(&["diff", "-H", &format!("{ds}@s1")])?;
    let changed = diff.lines().count() as u64;

    // No --yes and no terminal: refused, nothing changed; like every action command it prints
    // records only when a format is given.
    let run = lab.strata(BIN, &["rollback", &format!("{ds}@s1")]).code(2)?;
    run.check(run.err().contains("refusing") && run.stdout.is_empty(), "refuses, no records without --format")?;
    let run = lab.strata(BIN, &["rollback", "--json", &format!("{ds}@s1")]).code(2)?;
    run.check(run.err().contains("refusing"), "refuses")?;
    let recs = run.records()?;
    check_eq(recs.len(), 2, "the newer snapshot and the refusal")?;
    check_eq(names(&recs[..1]), vec![format!("{ds}@s2")], "shows the newer snapshot")?;
    check_eq(recs[1]["result"].as_str(), Some("refused"), "result")?;
    check_eq(lab.snapshots(&ds)?, vec!["s1".to_string(), "s2".to_string()], "nothing destroyed")?;

    // A held newer snapshot: refused even with --yes.
    lab.zfs(&["hold", "keep", &format!("{ds}@s2")])?;
    let run = lab.strata(BIN, &["rollback", "--yes", &format!("{ds}@s1")]).code(2)?;
    run.check(run.err().contains("held"), "names the hold")?;
    check_eq(lab.snapshots(&ds)?.len(), 2, "nothing destroyed")?;
    lab.zfs(&["release", "keep", &format!("{ds}@s2")])?;

    let run = lab.strata(BIN, &["rollback", "--yes", "--json", &format!("{ds}@s1")]).ok()?;
    let recs = run.records()?;
    check_eq(recs.len(), 2, "the newer snapshot and the rollback record")?;
    check_eq(recs[0]["snapshot"].as_str(), Some(format!("{ds}@s2").as_str()), "lost snapshot")?;
    check_eq(recs[1]["newer_snapshots"].as_u64(), Some(1), "count")?;
    check_eq(recs[1]["changed_files"].as_u64(), Some(changed), "changed files = lines of zfs diff")?;
    check_eq(recs[1]["result"].as_str(), Some("rolled-back"), "result")?;
    check_eq(lab.snapshots(&ds)?, vec!["s1".to_string()], "s2 destroyed")?;
    check_eq(std::fs::read_to_string(mp.join("keep.txt"))?, "v1".to_string(), "content rolled back")?;
    run.check(!mp.join("f3").exists() && !mp.join("f2").exists(), "newer files gone")?;
    let run = lab.strata(BIN, &["rollback", "--yes", &format!("{ds}@nope")]).code(2)?;
    run.check(run.err().contains("no snapshot"), "unknown snapshot")?;
    Ok(())
}
