//! Real-ZFS scenarios of strata-prune: the safety rules on a real pool (holds, a protected common
//! snapshot, a snapshot destroyed by someone else between plan and apply, a space in a dataset's
//! name), dry runs, bookmarks, and the benchmark against a loop of `zfs destroy`.
//! Snapshot creation times have a one-second resolution and the lab can only make snapshots now,
//! so the retention rules themselves are checked on the host against borg.

use anyhow::{Context, Result};
use serde_json::Value;

use crate::harness::{Lab, Scenario, check_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario { name: "prune/plan-apply-safety", run: plan_apply_safety },
        Scenario { name: "prune/cron-line", run: cron_line },
        Scenario { name: "prune/apply-rechecks", run: apply_rechecks },
        Scenario { name: "prune/dry-run-and-refusal", run: dry_run_and_refusal },
        Scenario { name: "prune/bookmark", run: bookmark },
        Scenario { name: "bench/prune-apply-1000", run: bench_apply_1000 },
    ]
}

fn strata_create(lab: &Lab, ds: &str, name: &str) -> Result<()> {
    lab.strata("strata-snapshot", &["create", ds, "--name-format", name]).ok()?;
    Ok(())
}

fn by_name<'a>(recs: &'a [Value], snap: &str) -> Result<&'a Value> {
    recs.iter().find(|r| r["snapshot"] == snap).with_context(|| format!("no record for {snap}"))
}

fn reasons(r: &Value) -> Vec<String> {
    r["reasons"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn plan_apply_safety(lab: &Lab) -> Result<()> {
    let ds = lab.create("p q", &[])?;
    lab.zfs(&["snapshot", &format!("{ds}@manual")])?;
    for s in ["s1", "s2", "s3", "s4", "s5", "s6"] {
        strata_create(lab, &ds, s)?;
    }
    lab.zfs(&["hold", "keep", &format!("{ds}@s2")])?;
    // The replication target has s3 (same guid): its record, as strata lists it.
    let listed = lab.strata("strata-snapshot", &["list", &ds, "--json"]).ok()?;
    let s3_line = listed.out().lines().find(|l| l.contains("@s3\"")).context("s3 listed")?.to_string();
    let protect = std::env::temp_dir().join(format!("strata-protect-{}.ndjson", std::process::id()));
    std::fs::write(&protect, format!("{s3_line}\n"))?;

    let plan = lab
        .strata(
            "strata-prune",
            &["plan", &ds, "--keep-last", "1", "--protect", protect.to_str().context("path")?, "--json"],
        )
        .ok()?;
    let recs = plan.records()?;
    check_eq(recs.len(), 7, "a record per snapshot")?;
    let snap = |s: &str| format!("{ds}@{s}");
    for (s, want) in [
        ("manual", "keep"),
        ("s1", "destroy"),
        ("s2", "keep"),
        ("s3", "keep"),
        ("s4", "destroy"),
        ("s5", "destroy"),
        ("s6", "keep"),
    ] {
        check_eq(by_name(&recs, &snap(s))?["action"].as_str(), Some(want), format!("action of {s}"))?;
    }
    check_eq(reasons(by_name(&recs, &snap("manual"))?), vec!["not-managed".to_string()], "manual")?;
    check_eq(reasons(by_name(&recs, &snap("s2"))?), vec!["hold".to_string()], "s2")?;
    check_eq(reasons(by_name(&recs, &snap("s3"))?), vec!["common-with-target".to_string()], "s3")?;
    let r6 = reasons(by_name(&recs, &snap("s6"))?);
    plan.check(r6.len() == 2 && r6[0].starts_with("last:") && r6[1] == "newest", format!("s6 reasons {r6:?}"))?;
    check_eq(
        by_name(&recs, &snap("s3"))?["guid"].as_str().map(str::to_string),
        Some(lab.get("guid", &snap("s3"))?),
        "guid",
    )?;

    // Someone destroys s4 between plan and apply.
    lab.zfs(&["destroy", &snap("s4")])?;
    let apply = lab.strata_stdin("strata-prune", &["apply", "--yes"], &plan.stdout).ok()?;
    apply.check(apply.stdout.is_empty(), "nothing on stdout")?;
    apply.check(apply.err().contains("s4: left alone: it no longer exists"), "says s4 was gone")?;
    check_eq(
        lab.snapshots(&ds)?,
        vec!["manual".to_string(), "s2".to_string(), "s3".to_string(), "s6".to_string()],
        "what is left",
    )?;
    // Planning again destroys nothing more.
    let again = lab
        .strata(
            "strata-prune",
            &["plan", &ds, "--keep-last", "1", "--protect", protect.to_str().context("path")?, "--json"],
        )
        .ok()?;
    again.check(again.records()?.iter().all(|r| r["action"] == "keep"), "idempotent")?;
    lab.zfs(&["release", "keep", &snap("s2")])?;
    let _ = std::fs::remove_file(&protect);
    Ok(())
}

fn cron_line(lab: &Lab) -> Result<()> {
    let a = lab.create("srv/docker/victim.org", &[])?;
    let b = lab.create("srv/docker/my site", &[])?;
    for s in ["c1", "c2", "c3"] {
        lab.strata("strata-snapshot", &["create", "-r", &lab.ds("srv"), "--name-format", s]).ok()?;
    }
    let list = lab.strata("strata-snapshot", &["list", "-r", &lab.ds("srv")]).ok()?;
    let plan = lab.strata_stdin("strata-prune", &["plan", "--keep-daily", "7"], &list.stdout).ok()?;
    let apply = lab.strata_stdin("strata-prune", &["apply", "--yes"], &plan.stdout).ok()?;
    apply.check(apply.stdout.is_empty() && apply.stderr.is_empty(), "the cron line is silent")?;
    // All three are of today: --keep-daily 7 keeps today's newest, and, as borg does when a rule
    // runs short of its count, the oldest too.
    for ds in [lab.ds("srv"), lab.ds("srv/docker"), a, b] {
        check_eq(
            lab.snapshots(&ds)?,
            vec!["c1".to_string(), "c3".to_string()],
            format!("the day's newest and the oldest kept on {ds}"),
        )?;
    }
    Ok(())
}

fn apply_rechecks(lab: &Lab) -> Result<()> {
    let ds = lab.create("r", &[])?;
    for s in ["a", "b", "c", "d"] {
        strata_create(lab, &ds, s)?;
    }
    let plan = lab.strata("strata-prune", &["plan", &ds, "--keep-last", "1", "--json"]).ok()?;
    let destroy: Vec<String> = plan
        .records()?
        .iter()
        .filter(|r| r["action"] == "destroy")
        .filter_map(|r| r["snapshot"].as_str().map(str::to_string))
        .collect();
    check_eq(destroy.len(), 3, "three to destroy")?;
    // Before apply: a is now held, b is gone, and d is destroyed so that c is now the newest.
    lab.zfs(&["hold", "late", &format!("{ds}@a")])?;
    lab.zfs(&["destroy", &format!("{ds}@b")])?;
    lab.zfs(&["destroy", &format!("{ds}@d")])?;
    let apply = lab.strata_stdin("strata-prune", &["apply", "--yes"], &plan.stdout).code(2)?;
    let err = apply.err();
    apply.check(err.contains("@a: left alone: it is held"), "held at the last moment")?;
    apply.check(err.contains("@c: left alone: it is now the newest"), "newest at the last moment")?;
    check_eq(lab.snapshots(&ds)?, vec!["a".to_string(), "c".to_string()], "nothing destroyed that changed")?;

    // A snapshot re-made under the same name (new guid) is left alone.
    strata_create(lab, &ds, "e")?;
    strata_create(lab, &ds, "f")?;
    let plan = lab.strata("strata-prune", &["plan", &ds, "--keep-last", "1", "--json"]).ok()?;
    lab.zfs(&["destroy", &format!("{ds}@e")])?;
    lab.zfs(&["snapshot", &format!("{ds}@e")])?;
    strata_create(lab, &ds, "g")?;
    let apply = lab.strata_stdin("strata-prune", &["apply", "--yes"], &plan.stdout).code(2)?;
    apply.check(apply.err().contains("@e: left alone: its guid changed"), "guid re-check")?;
    check_eq(
        lab.snapshots(&ds)?,
        vec!["a".to_string(), "f".to_string(), "e".to_string(), "g".to_string()],
        "c destroyed (no longer newest); e (re-made after f) kept",
    )?;
    lab.zfs(&["release", "late", &format!("{ds}@a")])?;
    Ok(())
}

fn dry_run_and_refusal(lab: &Lab) -> Result<()> {
    let ds = lab.create("d r", &[])?;
    let mp = lab.mountpoint(&ds)?;
    for (i, s) in ["x1", "x2", "x3"].iter().enumerate() {
        lab.write(&mp.join(format!("f{i}")), vec![i as u8 + 1; 300_000])?;
        strata_create(lab, &ds, s)?;
        std::fs::remove_file(mp.join(format!("f{i}")))?;
    }
    let plan = lab.strata("strata-prune", &["plan", &ds, "--keep-last", "1", "--json"]).ok()?;
    let refused = lab.strata_stdin("strata-prune", &["apply"], &plan.stdout).code(2)?;
    refused.check(refused.err().contains("--yes"), "refuses without --yes")?;
    let dry = lab.strata_stdin("strata-prune", &["apply", "--dry-run", "--json"], &plan.stdout).ok()?;
    let recs = dry.records()?;
    check_eq(recs.len(), 1, "one batch")?;
    let cmd = format!("zfs destroy -v -p '{ds}@x1,x2'");
    check_eq(recs[0]["command"].as_str(), Some(cmd.as_str()), "the exact command")?;
    let nvp = lab.zfs(&["destroy", "-nvp", &format!("{ds}@x1,x2")])?;
    let reclaim: u64 = nvp.lines().find_map(|l| l.strip_prefix("reclaim\t")).context("reclaim line")?.parse()?;
    check_eq(recs[0]["reclaim_bytes"].as_u64(), Some(reclaim), "space freed, from zfs destroy -nvp")?;
    dry.check(reclaim > 0, "the batch frees space")?;
    dry.check(dry.err().contains(&format!("dry-run: {cmd}")), "the command on stderr")?;
    check_eq(lab.snapshots(&ds)?.len(), 3, "nothing destroyed")?;
    // For real: the record carries what the destroy itself said it freed (-v -p), the same figure.
    let real = lab.strata_stdin("strata-prune", &["apply", "--yes", "--json"], &plan.stdout).ok()?;
    let recs = real.records()?;
    check_eq(recs[0]["result"].as_str(), Some("destroyed"), "the batch ran")?;
    check_eq(recs[0]["reclaim_bytes"].as_u64(), Some(reclaim), "space freed, from zfs destroy -v -p")?;
    check_eq(lab.snapshots(&ds)?.len(), 1, "x1 and x2 destroyed")?;
    Ok(())
}

fn bookmark(lab: &Lab) -> Result<()> {
    let ds = lab.create("b", &[])?;
    for s in ["k1", "k2", "k3"] {
        strata_create(lab, &ds, s)?;
    }
    let plan = lab.strata("strata-prune", &["plan", &ds, "--keep-last", "1", "--json"]).ok()?;
    lab.strata_stdin("strata-prune", &["apply", "--yes", "--bookmark"], &plan.stdout).ok()?;
    check_eq(lab.snapshots(&ds)?, vec!["k3".to_string()], "destroyed")?;
    let marks = lab.zfs(&["list", "-H", "-t", "bookmark", "-o", "name,guid", "-d", "1", &ds])?;
    let marks: Vec<&str> = marks.lines().filter_map(|l| l.split('\t').next()).collect();
    check_eq(marks, vec![format!("{ds}#k1").as_str(), format!("{ds}#k2").as_str()], "bookmarks kept")?;
    for r in plan.records()?.iter().filter(|r| r["action"] == "destroy") {
        let name = r["snapshot"].as_str().context("name")?.replace('@', "#");
        check_eq(
            Some(lab.get("guid", &name)?),
            r["guid"].as_str().map(str::to_string),
            "the bookmark has the snapshot's guid",
        )?;
    }
    Ok(())
}

/// Makes `n` snapshots `PREFIX0000`, `PREFIX0001`... of each of `datasets`: one `zfs snapshot`
/// call per name (ZFS refuses two snapshots of one dataset in one call), all datasets at once.
fn many(lab: &Lab, datasets: &[&str], prefix: &str, n: usize) -> Result<()> {
    for i in 0..n {
        let names: Vec<String> = datasets.iter().map(|d| format!("{d}@{prefix}{i:04}")).collect();
        let mut args: Vec<&str> = vec!["snapshot", "-o", "strata:managed=on"];
        args.extend(names.iter().map(String::as_str));
        lab.zfs(&args)?;
    }
    for d in datasets {
        check_eq(lab.snapshots(d)?.len(), n, format!("{n} snapshots of {d}"))?;
    }
    Ok(())
}

fn bench_apply_1000(lab: &Lab) -> Result<()> {
    const N: usize = 1000;
    let a = lab.create("apply", &[])?;
    let b = lab.create("loop", &[])?;
    let c = lab.create("one-call", &[])?;
    many(lab, &[&a, &b, &c], "s", N + 1)?;
    let plan = lab.strata("strata-prune", &["plan", &a, "--keep-last", "1", "--json"]).ok()?;
    let n_destroy = plan.records()?.iter().filter(|r| r["action"] == "destroy").count();
    check_eq(n_destroy, N, "the plan destroys all but the newest")?;

    let t0 = std::time::Instant::now();
    lab.strata_stdin("strata-prune", &["apply", "--yes"], &plan.stdout).ok()?;
    let strata = t0.elapsed().as_secs_f64();
    check_eq(lab.snapshots(&a)?, vec![format!("s{N:04}")], "strata destroyed them")?;

    let t0 = std::time::Instant::now();
    for i in 0..N {
        lab.zfs(&["destroy", &format!("{b}@s{i:04}")])?;
    }
    let reference = t0.elapsed().as_secs_f64();
    check_eq(lab.snapshots(&b)?, vec![format!("s{N:04}")], "the loop destroyed them")?;

    // The floor: the same destroys as one hand-written zfs call (no plan, no re-check).
    let all: Vec<String> = (0..N).map(|i| format!("s{i:04}")).collect();
    let t0 = std::time::Instant::now();
    lab.zfs(&["destroy", &format!("{c}@{}", all.join(","))])?;
    let floor = t0.elapsed().as_secs_f64();
    println!(
        "bench prune-apply-1000: strata {strata:.3} s, reference {reference:.3} s, ratio {:.3} (the loop of one zfs destroy per snapshot is {:.1}x slower; one hand-written zfs destroy of all {N}: {floor:.3} s)",
        strata / reference,
        reference / strata
    );
    Ok(())
}
