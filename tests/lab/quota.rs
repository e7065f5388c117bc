//! Real-ZFS scenarios of strata-quota. The lab disk is a few GiB, so the seed's quota=10G and
//! reservation=5G are scaled down to 200M and 50M.

use std::io::Write;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::harness::{Lab, Scenario, check_eq};

const BIN: &str = "strata-quota";
const MIB: u64 = 1 << 20;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario { name: "quota/report-nested", run: report_nested },
        Scenario { name: "quota/set-seed-settings", run: set_seed_settings },
        Scenario { name: "quota/set-bad-values-change-nothing", run: bad_values_change_nothing },
        Scenario { name: "quota/set-sizes-past-16e-change-nothing", run: sizes_past_16e_change_nothing },
        Scenario { name: "quota/check-log-writer-until-edquot", run: check_until_edquot },
        Scenario { name: "quota/users", run: users },
        Scenario { name: "bench/quota-report", run: bench_report },
    ]
}

/// A property's exact value read with `zfs get -p`, as a number.
fn num(lab: &Lab, prop: &str, ds: &str) -> Result<u64> {
    let v = lab.get(prop, ds)?;
    v.parse().with_context(|| format!("{prop} of {ds} is not a number: {v:?}"))
}

/// Flushes pending writes so that `used` is up to date.
fn sync(lab: &Lab) -> Result<()> {
    lab.zpool(&["sync", &lab.pool]).map(drop)
}

/// The record of `ds` among `recs`.
fn rec<'a>(recs: &'a [Value], ds: &str) -> Result<&'a Value> {
    recs.iter().find(|r| r["dataset"] == ds).with_context(|| format!("no record for {ds} in {recs:?}"))
}

/// Bytes that do not compress (xorshift), so that what is written is what is used.
fn noise(len: usize, seed: &mut u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        v.extend_from_slice(&seed.to_le_bytes());
    }
    v.truncate(len);
    v
}

fn report_nested(lab: &Lab) -> Result<()> {
    let a = lab.create("a", &["quota=200M"])?;
    let b = lab.create("a/b", &[])?;
    let c = lab.create("a/b/c", &["refquota=50M", "compression=zstd"])?;
    let d = lab.create("d", &[])?;
    let mut seed = 7;
    lab.write(&lab.mountpoint(&c)?.join("data"), noise(3 * MIB as usize, &mut seed))?;
    sync(lab)?;

    let run = lab.strata(BIN, &["report", "-r", &lab.root, "--json"]).ok()?;
    let recs = run.records()?;
    let names: Vec<&str> = recs.iter().map(|r| r["dataset"].as_str().unwrap_or("")).collect();
    check_eq(names, vec![lab.root.as_str(), &a, &b, &c, &d], "one record per dataset, in zfs order")?;
    for ds in [&lab.root, &a, &b, &c, &d] {
        let r = rec(&recs, ds)?;
        for (field, prop) in
            [("used_bytes", "used"), ("available_bytes", "available"), ("referenced_bytes", "referenced")]
        {
            run.check(r[field] == num(lab, prop, ds)?, format!("{field} of {ds} is zfs get {prop}"))?;
        }
        run.check(r["compression"] == lab.get("compression", ds)?.as_str(), format!("compression of {ds}"))?;
    }
    let ra = rec(&recs, &a)?;
    check_eq(ra["quota_bytes"].as_u64(), Some(200 * MIB), "quota of a")?;
    let used_a = num(lab, "used", &a)?;
    check_eq(
        ra["quota_used_percent"].as_f64(),
        Some((used_a as f64 * 10000.0 / (200 * MIB) as f64).round() / 100.0),
        "percent of a",
    )?;
    run.check(used_a >= 3 * MIB, "a holds the 3 MiB written below it")?;
    for ds in [&b, &c, &d, &lab.root] {
        run.check(rec(&recs, ds)?["quota_bytes"].is_null(), format!("{ds} has no quota: null"))?;
        run.check(rec(&recs, ds)?["quota_used_percent"].is_null(), format!("{ds}: no percent without a quota"))?;
    }
    let rc = rec(&recs, &c)?;
    check_eq(rc["refquota_bytes"].as_u64(), Some(50 * MIB), "refquota of c")?;
    run.check(rc["refquota_used_percent"].as_f64().is_some_and(|p| p >= 6.0), "c refers to 3 of 50 MiB")?;
    run.check(rc["compress_ratio"].as_f64().is_some_and(|r| r >= 1.0), "a compression ratio")?;

    // Space only a snapshot holds: a file written, snapshotted, removed.
    let f = lab.mountpoint(&d)?.join("old.log");
    lab.write(&f, noise(2 * MIB as usize, &mut seed))?;
    lab.zfs(&["snapshot", &format!("{d}@before")])?;
    std::fs::remove_file(&f)?;
    sync(lab)?;
    let run = lab.strata(BIN, &["report", &d, "--json"]).ok()?;
    let snap = run.records()?[0]["used_by_snapshots_bytes"].as_u64();
    check_eq(snap, Some(num(lab, "usedbysnapshots", &d)?), "used_by_snapshots_bytes is zfs get usedbysnapshots")?;
    run.check(snap.is_some_and(|s| s >= 2 * MIB), "the snapshot holds the 2 MiB removed")?;

    // Without -r: only the named datasets.
    let recs = lab.strata(BIN, &["report", &a, &d, "--json"]).ok()?.records()?;
    check_eq(
        recs.iter().map(|r| r["dataset"].as_str().unwrap_or("").to_string()).collect(),
        vec![a.clone(), d.clone()],
        "named only",
    )?;
    // The table for people: human sizes.
    let table = lab.strata(BIN, &["report", &a, "--format", "table"]).ok()?;
    table.check(table.out().lines().nth(1).is_some_and(|l| l.contains("200M")), "the table shows the quota as 200M")?;
    // A dataset that does not exist: an error, exit 2.
    let missing = format!("{}/nope", lab.root);
    let r = lab.strata(BIN, &["report", &missing]).code(2)?;
    r.check(r.err().contains("dataset does not exist"), "zfs's reason is shown")?;
    Ok(())
}

fn set_seed_settings(lab: &Lab) -> Result<()> {
    let log = lab.create("var/log", &[])?;
    // A dry run shows the one command and changes nothing.
    let r = lab.strata(BIN, &["set", "-n", &log, "quota=200M", "reservation=50M", "compression=zstd"]).ok()?;
    r.check(
        r.err().contains(&format!("dry-run: zfs set quota=200M reservation=50M compression=zstd {log}")),
        "dry run shows zfs set",
    )?;
    check_eq(lab.get("quota", &log)?, "0".to_string(), "dry run left the quota")?;

    let r = lab.strata(BIN, &["set", &log, "quota=200M", "reservation=50M", "compression=zstd"]).ok()?;
    r.check(r.out().is_empty() && r.err().is_empty(), "silent on success")?;
    check_eq(num(lab, "quota", &log)?, 200 * MIB, "quota read back")?;
    check_eq(num(lab, "reservation", &log)?, 50 * MIB, "reservation read back")?;
    check_eq(lab.get("compression", &log)?, "zstd".to_string(), "compression read back")?;
    let recs = lab.strata(BIN, &["report", &log, "--json"]).ok()?.records()?;
    check_eq(recs[0]["reservation_bytes"].as_u64(), Some(50 * MIB), "report shows the reservation")?;

    // Quota and reservation raised together, then lowered together, in either order.
    lab.strata(BIN, &["set", &log, "reservation=300M", "quota=400M"]).ok()?;
    check_eq((num(lab, "quota", &log)?, num(lab, "reservation", &log)?), (400 * MIB, 300 * MIB), "raised")?;
    lab.strata(BIN, &["set", &log, "quota=20M", "reservation=5M"]).ok()?;
    check_eq((num(lab, "quota", &log)?, num(lab, "reservation", &log)?), (20 * MIB, 5 * MIB), "lowered")?;
    lab.strata(BIN, &["set", &log, "quota=none", "reservation=none", "refquota=30M", "compression=zstd-fast-10"])
        .ok()?;
    check_eq(
        (
            num(lab, "quota", &log)?,
            num(lab, "reservation", &log)?,
            num(lab, "refquota", &log)?,
            lab.get("compression", &log)?,
        ),
        (0, 0, 30 * MIB, "zstd-fast-10".to_string()),
        "none and the rest",
    )?;
    // User and group quotas.
    lab.strata(BIN, &["set", &log, "userquota@1000=10M", "groupquota@1000=1G"]).ok()?;
    check_eq(
        (num(lab, "userquota@1000", &log)?, num(lab, "groupquota@1000", &log)?),
        (10 * MIB, 1024 * MIB),
        "user and group quota",
    )?;
    Ok(())
}

const WATCHED: &[&str] = &["quota", "refquota", "reservation", "refreservation", "compression", "userquota@1000"];

fn props(lab: &Lab, ds: &str) -> Result<String> {
    lab.zfs(&["get", "-H", "-p", "-o", "property,value", &WATCHED.join(","), ds])
}

fn bad_values_change_nothing(lab: &Lab) -> Result<()> {
    let ds = lab.create("log", &["quota=100M", "reservation=10M", "compression=lz4"])?;
    let mut seed = 11;
    lab.write(&lab.mountpoint(&ds)?.join("f"), noise(3 * MIB as usize, &mut seed))?;
    sync(lab)?;
    let before = props(lab, &ds)?;
    let cases: &[(&[&str], &str)] = &[
        (&["quota=abc"], "quota=abc"),
        (&["quota=10X"], "quota=10X"),
        (&["compression=bogus"], "compression=bogus"),
        (&["compression=zstd-20"], "compression=zstd-20"),
        (&["nosuchprop=1"], "nosuchprop"),
        (&["userquota@=1M"], "userquota@"),
        (&["compression=zstd", "quota=abc"], "quota=abc"),
        (&["reservation=200M"], "reservation=200M is larger than the quota"),
        (&["quota=1M"], "quota=1M is below"),
        (&["quota=5M"], "quota=5M is below the reservation"),
        (&["compression=zstd", "quota=50M", "reservation=60M"], "reservation=60M is larger than quota=50M"),
        (&["quota=none", "reservation=100G"], "reservation=100G needs"),
        (&["quota=1G", "quota=2G"], "quota is given twice"),
    ];
    for (args, says) in cases {
        let mut argv = vec!["set", ds.as_str()];
        argv.extend_from_slice(args);
        let r = lab.strata(BIN, &argv).code(2)?;
        r.check(r.err().contains(says), format!("the message names {says:?}"))?;
        check_eq(props(lab, &ds)?, before.clone(), format!("nothing changed after {args:?}"))?;
    }
    // --force skips strata's own usage check; ZFS itself refuses (zfs set exits 255 on 2.3, 1 on
    // 2.1), strata exits 2.
    let ds2 = lab.create("log2", &[])?;
    lab.write(&lab.mountpoint(&ds2)?.join("f"), noise(3 * MIB as usize, &mut seed))?;
    sync(lab)?;
    let before2 = props(lab, &ds2)?;
    lab.strata(BIN, &["set", &ds2, "quota=1M"]).code(2)?;
    let r = lab.strata(BIN, &["set", "--force", &ds2, "quota=1M"]).code(2)?;
    r.check(
        r.err().contains("zfs refused") && r.err().contains("size is less than current used or reserved space"),
        "ZFS's own refusal is shown",
    )?;
    check_eq(props(lab, &ds2)?, before2, "nothing changed after --force")?;
    check_eq(props(lab, &ds)?, before, "nothing changed on the first dataset")?;

    // A refusal strata cannot foresee (the refreservation is checked by ZFS alone when the quota
    // changes in the same call): ZFS keeps the quota it set first, and strata says so.
    let r = lab.strata(BIN, &["set", &ds2, "quota=200M", "refreservation=100G"]).code(2)?;
    r.check(r.err().contains("kept the rest: quota is now 200M (was none)"), "the kept quota is named")?;
    check_eq(num(lab, "quota", &ds2)?, 200 * MIB, "ZFS really kept the quota")?;
    check_eq(num(lab, "refreservation", &ds2)?, 0, "and refused the refreservation")?;
    Ok(())
}

/// Sizes of 16 EiB and more: 2^68 E once wrapped to 0 and strata ran `zfs set quota=none`, so the
/// quota was gone; 2^68+1 E became 1E. strata refuses each (exit 2, the value and the property
/// named), `zfs get -Hp` shows every limit unchanged, and real ZFS refuses the same values itself.
fn sizes_past_16e_change_nothing(lab: &Lab) -> Result<()> {
    let ds = lab.create("limited", &["quota=100M", "refquota=50M", "reservation=10M"])?;
    lab.strata(BIN, &["set", &ds, "userquota@1000=10M"]).ok()?;
    let quota = || lab.zfs(&["get", "-H", "-p", "quota", &ds]);
    let before = (quota()?, props(lab, &ds)?);
    check_eq(num(lab, "quota", &ds)?, 100 * MIB, "the quota to keep")?;
    for value in [
        "quota=295147905179352825856E",
        "quota=295147905179352825857E",
        "quota=16E",
        "quota=16384P",
        "quota=18446744073709551616",
        "quota=16.000000000000000001E",
        "refquota=295147905179352825856E",
        "reservation=340282366920938463463374607431768211456",
        "userquota@1000=295147905179352825856E",
    ] {
        let prop = value.split_once('=').map_or(value, |(p, _)| p);
        let r = lab.strata(BIN, &["set", &ds, value]).code(2)?;
        r.check(
            r.err().contains(value) && r.err().contains(&format!("{prop}: invalid size")),
            "value and property named",
        )?;
        r.check(r.err().contains("below 16 EiB"), "the message says why")?;
        check_eq((quota()?, props(lab, &ds)?), before.clone(), format!("nothing changed after {value}"))?;
        // ZFS's own parser refuses the value too ("numeric value is too large").
        let z = lab.zfs_run(&["set", value, &ds]);
        z.check(z.code != 0, format!("zfs set {value} is refused by ZFS as well"))?;
        check_eq((quota()?, props(lab, &ds)?), before.clone(), format!("zfs set {value} changed nothing"))?;
    }
    // Just below the bound is a size like any other, set exactly.
    lab.strata(BIN, &["set", &ds, "quota=15.5E"]).ok()?;
    check_eq(num(lab, "quota", &ds)?, 31 << 59, "quota=15.5E")?;
    lab.strata(BIN, &["set", &ds, "quota=100M"]).ok()?;
    check_eq((quota()?, props(lab, &ds)?), before, "back to where it was")?;
    Ok(())
}

/// Runs `check` on `ds` and returns its exit code and records.
fn check(lab: &Lab, ds: &str, extra: &[&str]) -> Result<(i32, Vec<Value>, crate::harness::Run)> {
    let mut argv = vec!["check", ds, "--warn", "50%", "--crit", "90%", "--json"];
    argv.extend_from_slice(extra);
    let r = lab.strata(BIN, &argv);
    let recs = r.records()?;
    Ok((r.code, recs, r))
}

fn check_until_edquot(lab: &Lab) -> Result<()> {
    let quota = 100 * MIB;
    let ds = lab.create("log", &["quota=100M", "compression=off"])?;
    let path = lab.mountpoint(&ds)?.join("app.log");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("open {}", path.display()))?;
    let mut seed = 3;

    let (code, recs, r) = check(lab, &ds, &[])?;
    r.check(code == 0 && recs.is_empty(), "empty: ok, nothing printed")?;

    // 60 MiB: above --warn 50%, below --crit 90%.
    for _ in 0..60 {
        file.write_all(&noise(MIB as usize, &mut seed)).context("writing below the quota")?;
    }
    file.sync_all()?;
    sync(lab)?;
    let (code, recs, r) = check(lab, &ds, &[])?;
    r.check(code == 1 && recs.len() == 1 && recs[0]["level"] == "warn", "60 of 100 MiB: warn, exit 1")?;
    let used = num(lab, "used", &ds)?;
    check_eq(recs[0]["used_bytes"].as_u64(), Some(used), "used_bytes is zfs get used")?;
    check_eq(recs[0]["limit_bytes"].as_u64(), Some(quota), "limit_bytes is the quota")?;
    let pct = recs[0]["used_percent"].as_f64().unwrap_or(0.0);
    r.check((60.0..65.0).contains(&pct), "60 MiB written of 100 MiB: 60% to 65% with metadata")?;

    // Keep writing until ZFS says EDQUOT.
    let mut written = 60 * MIB;
    let err = loop {
        if written > 2 * quota {
            bail!("wrote {written} bytes into a {quota}-byte quota without EDQUOT");
        }
        match file.write_all(&noise(MIB as usize, &mut seed)) {
            Ok(()) => written += MIB,
            Err(e) => break e,
        }
    };
    check_eq(err.kind(), std::io::ErrorKind::QuotaExceeded, format!("the writer stopped with EDQUOT ({err})"))?;
    drop(file);
    sync(lab)?;
    let (code, recs, r) = check(lab, &ds, &[])?;
    r.check(
        code == 2 && recs.len() == 1 && recs[0]["level"] == "crit",
        format!("full after {written} bytes: crit, exit 2"),
    )?;
    r.check(recs[0]["available_bytes"] == 0, "nothing available once the quota is hit")?;
    r.check(recs[0]["used_percent"].as_f64().is_some_and(|p| p >= 99.0), "at the quota")?;

    // The Nagios line and the Prometheus file from the same state.
    let r = lab.strata(BIN, &["check", &ds, "--warn", "50%", "--crit", "90%", "--nagios"]).code(2)?;
    r.check(
        r.out().starts_with(&format!("QUOTA CRITICAL - {ds} ")) && r.out().contains(&format!("|'{ds}'=")),
        "a Nagios CRITICAL line",
    )?;
    let prom = std::env::temp_dir().join("strata-quota-lab.prom");
    lab.strata(BIN, &["check", &ds, "--crit", "90%", "--prometheus", prom.to_str().unwrap_or_default()]).code(2)?;
    let text = std::fs::read_to_string(&prom).context("the Prometheus file")?;
    let used = num(lab, "used", &ds)?;
    for line in [
        "strata_quota_check_success 1".to_string(),
        format!("strata_quota_used_bytes{{dataset=\"{ds}\"}} {used}"),
        format!("strata_quota_limit_bytes{{dataset=\"{ds}\",limit=\"quota\"}} {quota}"),
        format!("strata_quota_level{{dataset=\"{ds}\"}} 2"),
    ] {
        if !text.lines().any(|l| l == line) {
            bail!("the Prometheus file lacks {line:?}:\n{text}");
        }
    }
    // Freeing space brings it back to ok.
    std::fs::remove_file(&path)?;
    sync(lab)?;
    let (code, recs, r) = check(lab, &ds, &[])?;
    r.check(code == 0 && recs.is_empty(), "after the log is removed: ok")?;
    Ok(())
}

fn users(lab: &Lab) -> Result<()> {
    let ds = lab.create("home", &[])?;
    let mp = lab.mountpoint(&ds)?;
    let mut seed = 5;
    let f = mp.join("alice.dat");
    lab.write(&f, noise(2 * MIB as usize, &mut seed))?;
    std::os::unix::fs::chown(&f, Some(1000), Some(1000)).context("chown")?;
    lab.write(&mp.join("root.dat"), noise(MIB as usize, &mut seed))?;
    lab.strata(BIN, &["set", &ds, "userquota@1000=10M"]).ok()?;
    sync(lab)?;
    let r = lab.strata(BIN, &["users", &ds, "--json"]).ok()?;
    let recs = r.records()?;
    let find = |kind: &str, id: &str| {
        recs.iter().find(|x| x["kind"] == kind && (x["name"] == id || (id == "0" && x["name"] == "root")))
    };
    let alice = find("user", "1000").with_context(|| format!("no record of uid 1000\n{r}"))?;
    check_eq(alice["quota_bytes"].as_u64(), Some(10 * MIB), "userquota@1000")?;
    check_eq(
        alice["used_bytes"].as_u64(),
        Some(num(lab, "userused@1000", &ds)?),
        "used_bytes of uid 1000 is zfs get userused@1000",
    )?;
    r.check(alice["used_bytes"].as_u64().is_some_and(|u| u >= 2 * MIB), "uid 1000 wrote 2 MiB")?;
    let root = find("user", "0").with_context(|| format!("no record of root\n{r}"))?;
    r.check(root["quota_bytes"].is_null() && root["quota_used_percent"].is_null(), "root has no quota: null")?;
    let group = find("group", "1000").with_context(|| format!("no record of gid 1000\n{r}"))?;
    check_eq(group["used_bytes"].as_u64(), Some(num(lab, "groupused@1000", &ds)?), "groupused@1000")?;
    r.check(recs.iter().all(|x| x["dataset"] == ds.as_str()), "every record names the dataset")?;
    Ok(())
}

/// `strata-quota report -r` against the `zfs list` call it makes, on 50 datasets with quotas.
fn bench_report(lab: &Lab) -> Result<()> {
    for i in 0..50 {
        lab.create(&format!("d{i:02}"), &["quota=100M"])?;
    }
    let props =
        "name,used,avail,refer,quota,refquota,reservation,refreservation,usedbysnapshots,compression,compressratio";
    // Interleaved rounds, so that other load on the machine hits both sides alike.
    let once = |f: &dyn Fn() -> Result<()>| -> Result<f64> {
        let t = std::time::Instant::now();
        f()?;
        Ok(t.elapsed().as_secs_f64())
    };
    let (mut strata, mut zfs, mut start) = (0.0, 0.0, 0.0);
    let rounds = 10;
    for _ in 0..rounds {
        strata += once(&|| lab.strata(BIN, &["report", "-r", &lab.root, "--json"]).ok().map(drop))?;
        zfs += once(&|| lab.zfs(&["list", "-H", "-p", "-o", props, "-r", &lab.root]).map(drop))?;
        start += once(&|| lab.strata(BIN, &["--version"]).ok().map(drop))?;
    }
    let (strata, zfs, start) = (strata / rounds as f64, zfs / rounds as f64, start / rounds as f64);
    println!("bench quota-report: strata {strata:.3} s, reference {zfs:.3} s, ratio {:.2}", strata / zfs);
    println!("bench quota-startup: strata-quota --version {start:.3} s (process start under the VM's emulation)");
    Ok(())
}
