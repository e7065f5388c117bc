//! Real-ZFS scenarios of the policy on the datasets: a tree with the policy set at two levels and
//! overridden below, shown with the sources `zfs get` prints; `create --due` twice and then past
//! the interval (the clock is `STRATA_NOW`, the snapshots' `creation` is real); zfs-auto-snapshot's
//! exclusion; `prune plan --policy` against the per-dataset `--keep-*` flags; `check` moving from
//! ok to critical; a bad hand-written `strata:keep` (with a forged line in it) skipped and
//! reported; and the benchmark over 1,000 datasets against the zfs calls the commands make.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::harness::{Lab, Run, Scenario, check_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario { name: "policy/sources-as-zfs-get", run: sources_as_zfs_get },
        Scenario { name: "policy/create-due", run: create_due },
        Scenario { name: "policy/prune-plan-policy", run: prune_plan_policy },
        Scenario { name: "policy/check", run: check },
        Scenario { name: "policy/bad-keep-skipped", run: bad_keep_skipped },
        Scenario { name: "policy/send-by-policy-and-check", run: send_by_policy },
        Scenario { name: "bench/policy-1000", run: bench_policy_1000 },
    ]
}

/// Runs a strata binary with `STRATA_NOW` set (and `stdin` piped in when given).
fn strata_at<S: AsRef<OsStr>>(now: jiff::Timestamp, bin: &str, args: &[S], stdin: Option<&[u8]>) -> Run {
    strata_at_env(now, bin, args, stdin, &[])
}

/// [`strata_at`] with more environment.
pub fn strata_at_env<S: AsRef<OsStr>>(
    now: jiff::Timestamp,
    bin: &str,
    args: &[S],
    stdin: Option<&[u8]>,
    env: &[(&str, &OsStr)],
) -> Run {
    let mut cmd = Command::new(crate::harness::bin_dir().join(bin));
    cmd.args(args).env("STRATA_NOW", now.to_string());
    cmd.envs(env.iter().copied());
    let shown = format!(
        "STRATA_NOW={now} {bin} {}",
        args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect::<Vec<_>>().join(" ")
    );
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Run { cmd: shown, code: -1, stdout: vec![], stderr: format!("cannot start: {e}").into_bytes() };
        }
    };
    if let Some(input) = stdin {
        let mut si = child.stdin.take().expect("piped stdin");
        let input = input.to_vec();
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = si.write_all(&input);
        });
    }
    match child.wait_with_output() {
        Ok(o) => Run { cmd: shown, code: o.status.code().unwrap_or(-1), stdout: o.stdout, stderr: o.stderr },
        Err(e) => Run { cmd: shown, code: -1, stdout: vec![], stderr: format!("wait failed: {e}").into_bytes() },
    }
}

fn secs(t: jiff::Timestamp, s: i64) -> jiff::Timestamp {
    t.checked_add(jiff::SignedDuration::from_secs(s)).expect("time in range")
}

/// The tree: ROOT every 1d keep daily=30; ROOT/srv every 1h keep daily=7 (the second level);
/// ROOT/srv/a inherits; ROOT/srv/b overrides keep (weekly=4); ROOT/srv/c is excluded with
/// com.sun:auto-snapshot=false; ROOT/var inherits ROOT's.
fn tree(lab: &Lab) -> Result<BTreeMap<&'static str, String>> {
    let mut m = BTreeMap::new();
    for rel in ["", "srv", "srv/a", "srv/b", "srv/c", "var"] {
        let ds = if rel.is_empty() { lab.root.clone() } else { lab.create(rel, &[])? };
        m.insert(rel, ds);
    }
    let set = |ds: &str, args: &[&str]| -> Result<()> {
        let mut a = vec!["policy", "set", ds];
        a.extend_from_slice(args);
        lab.strata("strata-snapshot", &a).ok()?;
        Ok(())
    };
    set(&m[""], &["--every", "1d", "--keep", "daily=30"])?;
    set(&m["srv"], &["--every", "1h", "--keep", "daily=7"])?;
    set(&m["srv/b"], &["--keep", "weekly=4"])?;
    lab.zfs(&["set", "com.sun:auto-snapshot=false", &m["srv/c"]])?;
    Ok(m)
}

fn by_dataset(recs: &[Value]) -> BTreeMap<String, Value> {
    recs.iter().map(|r| (r["dataset"].as_str().unwrap_or_default().to_string(), r.clone())).collect()
}

fn sources_as_zfs_get(lab: &Lab) -> Result<()> {
    let m = tree(lab)?;
    // The values as policy set wrote them: one zfs set for both.
    check_eq(lab.get("strata:keep", &m["srv"])?, "daily=7".to_string(), "strata:keep on srv")?;
    let shown = lab.strata("strata-snapshot", &["policy", "-r", &lab.root, "--json"]).ok()?;
    let recs = by_dataset(&shown.records()?);
    check_eq(recs.len(), 6, "a record per dataset")?;
    // zfs get -r says the same values and sources ("-" is what policy calls "default").
    let got = lab.zfs(&[
        "get",
        "-H",
        "-r",
        "-t",
        "filesystem",
        "-o",
        "name,property,value,source",
        "strata:snapshot,strata:keep,com.sun:auto-snapshot",
        &lab.root,
    ])?;
    let mut n = 0;
    for line in got.lines() {
        let f: Vec<&str> = line.splitn(4, '\t').collect();
        let (ds, prop, value, source) = (f[0], f[1], f[2], f[3]);
        let (field, src_field) = match prop {
            "strata:snapshot" => ("interval", "interval_source"),
            "strata:keep" => ("keep", "keep_source"),
            _ => ("auto_snapshot", "auto_snapshot_source"),
        };
        let r = recs.get(ds).with_context(|| format!("no policy record for {ds}\n{shown}"))?;
        let want_src = if source == "-" { "default" } else { source };
        check_eq(r[src_field].as_str(), Some(want_src), format!("{ds} {prop} source"))?;
        let want_value = if source == "-" { Value::Null } else { Value::String(value.to_string()) };
        check_eq(&r[field], &want_value, format!("{ds} {prop} value"))?;
        n += 1;
    }
    check_eq(n, 18, "zfs get lines compared")?;
    check_eq(
        recs[&m["srv/a"]]["interval_source"].as_str(),
        Some(format!("inherited from {}", m["srv"]).as_str()),
        "two levels",
    )?;
    check_eq(recs[&m["var"]]["interval_seconds"].as_u64(), Some(86400), "var inherits the top level")?;
    check_eq(recs[&m["srv/c"]]["excluded"].as_bool(), Some(true), "excluded")?;
    // --inherit clears a value: srv/b's keep comes from srv again.
    lab.strata("strata-snapshot", &["policy", "set", &m["srv/b"], "--inherit", "keep"]).ok()?;
    check_eq(
        lab.zfs(&["get", "-H", "-o", "source", "strata:keep", &m["srv/b"]])?.trim().to_string(),
        format!("inherited from {}", m["srv"]),
        "inherit",
    )?;
    Ok(())
}

fn create_due(lab: &Lab) -> Result<()> {
    let m = tree(lab)?;
    let t0 = jiff::Timestamp::now();
    let first = strata_at(t0, "strata-snapshot", &["create", "--due", "-r", &lab.root], None).ok()?;
    first.check(first.stdout.is_empty() && first.stderr.is_empty(), "silent")?;
    let count = |rel: &str| lab.snapshots(&m[rel]).map(|v| v.len());
    for (rel, want) in [("", 1), ("srv", 1), ("srv/a", 1), ("srv/b", 1), ("srv/c", 0), ("var", 1)] {
        check_eq(count(rel)?, want, format!("snapshots of {rel:?} after the first run"))?;
    }
    check_eq(
        lab.get("strata:label", &format!("{}@{}", m["srv/a"], lab.snapshots(&m["srv/a"])?[0]))?,
        "1h".into(),
        "label",
    )?;
    check_eq(
        lab.get("strata:managed", &format!("{}@{}", m["var"], lab.snapshots(&m["var"])?[0]))?,
        "on".into(),
        "managed",
    )?;
    // Again: nothing is due, nothing is made, nothing is printed.
    let again = strata_at(t0, "strata-snapshot", &["create", "--due", "-r", &lab.root], None).ok()?;
    again.check(again.stdout.is_empty() && again.stderr.is_empty(), "silent")?;
    for rel in ["", "srv", "srv/a", "srv/b", "var"] {
        check_eq(count(rel)?, 1, format!("still one snapshot of {rel:?}"))?;
    }
    // Past the hour: the hourly ones get the next; the daily ones do not.
    strata_at(secs(t0, 3600 + 30), "strata-snapshot", &["create", "--due", "-r", &lab.root], None).ok()?;
    for (rel, want) in [("", 1), ("srv", 2), ("srv/a", 2), ("srv/b", 2), ("srv/c", 0), ("var", 1)] {
        check_eq(count(rel)?, want, format!("snapshots of {rel:?} an hour later"))?;
    }
    Ok(())
}

fn prune_plan_policy(lab: &Lab) -> Result<()> {
    let m = tree(lab)?;
    lab.strata("strata-snapshot", &["policy", "set", &m["srv/a"], "--keep", "last=2"]).ok()?;
    // Snapshots made by strata, a second apart so `last` counts them, and one made by hand.
    for i in 0..4 {
        lab.strata("strata-snapshot", &["create", "-r", &m["srv"], "--name-format", &format!("s{i}")]).ok()?;
        lab.strata("strata-snapshot", &["create", &m["var"], "--name-format", &format!("s{i}")]).ok()?;
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    lab.zfs(&["snapshot", &format!("{}@manual", m["srv/a"])])?;
    let listed = lab.strata("strata-snapshot", &["list", "-r", &lab.root, "--policy"]).ok()?;
    let piped = lab.strata_stdin("strata-prune", &["plan", "--policy", "--json"], &listed.stdout).ok()?;
    let by_itself = lab.strata("strata-prune", &["plan", "--policy", "-r", &lab.root, "--json"]).ok()?;
    check_eq(piped.out(), by_itself.out(), "from a pipe and by itself")?;
    // Each dataset's plan is the plan of its strata:keep as --keep-* flags.
    let mut want = String::new();
    for (rel, flags) in [
        ("srv", vec!["--keep-daily", "7"]),
        ("srv/a", vec!["--keep-last", "2"]),
        ("srv/b", vec!["--keep-weekly", "4"]),
        ("srv/c", vec!["--keep-daily", "7"]),
        ("var", vec!["--keep-daily", "30"]),
    ] {
        let mut args = vec!["plan", m[rel].as_str(), "--json"];
        args.extend(flags);
        want += &lab.strata("strata-prune", &args).ok()?.out();
    }
    check_eq(piped.out(), want, "plan --policy against the per-dataset flags")?;
    let recs = piped.records()?;
    let destroyed = |ds: &str| -> Vec<String> {
        recs.iter()
            .filter(|r| r["dataset"] == ds && r["action"] == "destroy")
            .filter_map(|r| r["snapshot"].as_str().map(str::to_string))
            .collect()
    };
    // last=2 keeps the two newest seconds; daily and weekly keep the newest and, running short,
    // the oldest (borg's rule); the snapshot made by hand is not strata's to destroy.
    check_eq(destroyed(&m["srv/a"]), vec![format!("{}@s0", m["srv/a"]), format!("{}@s1", m["srv/a"])], "srv/a")?;
    check_eq(destroyed(&m["srv/b"]), vec![format!("{}@s1", m["srv/b"]), format!("{}@s2", m["srv/b"])], "srv/b")?;
    lab.strata_stdin("strata-prune", &["apply", "--yes"], &piped.stdout).ok()?;
    check_eq(lab.snapshots(&m["srv/a"])?, vec!["s2".to_string(), "s3".into(), "manual".into()], "srv/a after apply")?;
    check_eq(lab.snapshots(&m["srv/b"])?, vec!["s0".to_string(), "s3".into()], "srv/b after apply")?;
    // --keep-* and --policy together are refused.
    lab.strata("strata-prune", &["plan", "--policy", "--keep-daily", "1", "-r", &lab.root]).code(2)?;
    Ok(())
}

fn check(lab: &Lab) -> Result<()> {
    let m = tree(lab)?;
    let t0 = jiff::Timestamp::now();
    strata_at(t0, "strata-snapshot", &["create", "--due", "-r", &m["srv"]], None).ok()?;
    let run = |after: i64, extra: &[&str]| {
        let mut args = vec!["check", "-r", m["srv"].as_str()];
        args.extend_from_slice(extra);
        strata_at(secs(t0, after), "strata-snapshot", &args, None)
    };
    run(3600, &[]).ok()?;
    let warn = run(2 * 3600 + 60, &["--json"]).code(1)?;
    let recs = warn.records()?;
    // srv, srv/a and srv/b are hourly (srv/c is excluded): all three past twice the hour.
    check_eq(recs.iter().map(|r| r["level"].as_str()).collect::<Vec<_>>(), vec![Some("warn"); 3], "warn")?;
    let crit = run(4 * 3600 + 60, &["--nagios"]).code(2)?;
    crit.check(crit.out().starts_with("SNAPSHOTS CRITICAL - "), "a Nagios line")?;
    let prom = std::env::temp_dir().join(format!("strata-policy-{}.prom", std::process::id()));
    run(60, &["--prometheus", prom.to_str().context("path")?]).ok()?;
    let text = std::fs::read_to_string(&prom)?;
    let _ = std::fs::remove_file(&prom);
    let line = format!("strata_snapshot_count{{dataset=\"{}\"}} 1", m["srv/a"]);
    check_eq(text.lines().any(|l| l == line), true, format!("{line} in\n{text}"))?;
    Ok(())
}

/// `send --policy` follows root's strata:send (set on srv, inherited by srv/a) to a local backup
/// tree, and refuses the value a delegated user wrote on their own dataset (real `zfs allow`
/// output); `send check` is ok after the send and critical once the clock passes four intervals.
fn send_by_policy(lab: &Lab) -> Result<()> {
    let srv = lab.create("srv", &["strata:snapshot=1h"])?;
    let a = lab.create("srv/a", &[])?;
    let user = lab.create("srv/user", &[])?;
    lab.create("backup", &[])?;
    lab.zfs(&["set", &format!("strata:send={}", lab.ds("backup/srv")), &srv])?;
    crate::safety::delegate(lab, &user)?;
    crate::safety::as_mallory(&["set", &format!("strata:send={}", lab.ds("loot")), &user])?;
    let state = tempfile::tempdir()?;
    let env = [("STRATA_STATE_DIR", state.path().as_os_str())];
    let t0 = jiff::Timestamp::now();
    strata_at(t0, "strata-snapshot", &["create", "--due", "-r", &srv], None).ok()?;
    let sent = strata_at_env(t0, "strata-send", &["--policy", "-r", &srv, "--json"], None, &env).code(2)?;
    let modes: BTreeMap<String, String> = sent
        .records()?
        .iter()
        .map(|r| (r["target"].as_str().unwrap_or("").to_string(), r["mode"].as_str().unwrap_or("").to_string()))
        .collect();
    let want: BTreeMap<String, String> =
        [(lab.ds("backup/srv"), "full".to_string()), (lab.ds("backup/srv/a"), "full".to_string())].into();
    check_eq(modes, want, "root's value is followed for srv and srv/a")?;
    sent.check(
        sent.err().contains(&format!("{user}: not sent: strata:send is set on {user}, where a delegated user"))
            && sent.err().contains("user mallory"),
        "the delegated user's value is refused, naming the grant",
    )?;
    check_eq(lab.zfs_run(&["list", &lab.ds("loot")]).code == 0, false, "nothing reached the user's target")?;
    for (src, dst) in [(&srv, lab.ds("backup/srv")), (&a, lab.ds("backup/srv/a"))] {
        let newest = lab.snapshots(src)?.pop().context("a snapshot")?;
        check_eq(
            lab.get("guid", &format!("{dst}@{newest}"))?,
            lab.get("guid", &format!("{src}@{newest}"))?,
            format!("{dst} has {src}'s snapshot"),
        )?;
        check_eq(lab.get("readonly", &dst)?, "on".to_string(), format!("{dst} is read-only"))?;
    }
    // Checked by name (the user's dataset aside): in time now, critical past four hours.
    let prom = state.path().join("send.prom");
    let check_args = ["check", srv.as_str(), a.as_str(), "--prometheus", prom.to_str().context("path")?];
    strata_at_env(t0, "strata-send", &check_args, None, &env).ok()?;
    let text = std::fs::read_to_string(&prom)?;
    let line = format!("strata_send_level{{dataset=\"{a}\",target=\"{}\"}} 0", lab.ds("backup/srv/a"));
    check_eq(text.lines().any(|l| l == line), true, format!("{line} in\n{text}"))?;
    let late =
        strata_at_env(secs(t0, 5 * 3600), "strata-send", &["check", &srv, &a, "--nagios"], None, &env).code(2)?;
    late.check(late.out().starts_with("REPLICATION CRITICAL - "), "critical after five hours")?;
    // The recursive check names the refused dataset as one that cannot be checked.
    let all = strata_at_env(t0, "strata-send", &["check", "-r", &srv, "--json"], None, &env).code(2)?;
    let invalid: Vec<String> = all
        .records()?
        .iter()
        .filter(|r| r["level"] == "invalid")
        .filter_map(|r| r["dataset"].as_str().map(str::to_string))
        .collect();
    check_eq(invalid, vec![user.clone()], "the user's dataset cannot be checked")?;
    // The next snapshot goes incrementally.
    strata_at(secs(t0, 3700), "strata-snapshot", &["create", "--due", "-r", &srv], None).ok()?;
    let again = strata_at_env(secs(t0, 3700), "strata-send", &["--policy", &a, "--json"], None, &env).ok()?;
    check_eq(again.records()?[0]["mode"].as_str(), Some("incremental"), "the second send")?;
    Ok(())
}

fn bad_keep_skipped(lab: &Lab) -> Result<()> {
    let m = tree(lab)?;
    // A hand-written value with a newline and a forged line claiming ROOT keeps only one.
    let user = lab.create("user", &[])?;
    let forged = format!("daily=7\n{}\tstrata:keep\tlocal\tlast=1", lab.root);
    lab.zfs(&["set", &format!("strata:keep={forged}"), &user])?;
    lab.zfs(&["set", "strata:snapshot=1h", &user])?;
    let typo = lab.create("typo", &["strata:keep=daily=seven"])?;
    for s in ["s0", "s1"] {
        lab.strata("strata-snapshot", &["create", &lab.root, &m["srv"], &user, &typo, "--name-format", s]).ok()?;
    }
    let shown = lab.strata("strata-snapshot", &["policy", "-r", &lab.root, "--json"]).code(2)?;
    let recs = by_dataset(&shown.records()?);
    for ds in [&user, &typo] {
        check_eq(recs[ds.as_str()]["valid"].as_bool(), Some(false), format!("{ds} invalid"))?;
        shown.check(shown.err().contains(&format!("{ds}: invalid policy")), format!("{ds} on stderr"))?;
    }
    check_eq(recs[lab.root.as_str()]["keep"].as_str(), Some("daily=30"), "the forged line changed nothing")?;
    // create --due: the others are snapshotted, user is not; exit 2.
    let due = strata_at(
        secs(jiff::Timestamp::now(), 2 * 86400),
        "strata-snapshot",
        &["create", "--due", "-r", &lab.root],
        None,
    )
    .code(2)?;
    due.check(due.err().contains(&format!("{user}: invalid policy")), "reported")?;
    check_eq(lab.snapshots(&user)?.len(), 2, "user not snapshotted")?;
    check_eq(lab.snapshots(&m["srv"])?.len(), 3, "srv snapshotted")?;
    // prune plan --policy: left out, exit 2, nothing of it destroyed.
    let plan = lab.strata("strata-prune", &["plan", "--policy", "-r", &lab.root, "--json"]).code(2)?;
    let recs = plan.records()?;
    plan.check(!recs.iter().any(|r| r["dataset"] == user.as_str() || r["dataset"] == typo.as_str()), "left out")?;
    lab.strata_stdin("strata-prune", &["apply", "--yes"], &plan.stdout).ok()?;
    check_eq(lab.snapshots(&user)?, vec!["s0".to_string(), "s1".into()], "nothing of user destroyed")?;
    check_eq(lab.snapshots(&typo)?, vec!["s0".to_string(), "s1".into()], "nothing of typo destroyed")?;
    Ok(())
}

/// 1,000 datasets with 100 snapshots each (or `STRATA_BENCH_POLICY_DATASETS` and
/// `STRATA_BENCH_POLICY_SNAPSHOTS`): `create --due -r` and `prune plan --policy -r` against the
/// zfs calls they make, run by hand. Asserts nothing on time.
fn bench_policy_1000(lab: &Lab) -> Result<()> {
    let size = |var: &str, default: usize| std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let (n, snaps) = (size("STRATA_BENCH_POLICY_DATASETS", 1000), size("STRATA_BENCH_POLICY_SNAPSHOTS", 100));
    let t0 = std::time::Instant::now();
    let parent = lab.create("p", &["strata:snapshot=1h", "strata:keep=hourly=24,daily=7"])?;
    // Eight `zfs create` at a time: ZFS syncs them in shared transaction groups.
    let names: String = (0..n).map(|i| format!("{parent}/d{i:04}\n")).collect();
    let mut xargs = Command::new("xargs")
        .args(["-P", "8", "-n", "1", "zfs", "create"])
        .stdin(Stdio::piped())
        .spawn()
        .context("xargs")?;
    xargs.stdin.take().context("stdin")?.write_all(names.as_bytes())?;
    if !xargs.wait()?.success() {
        bail!("zfs create of the {n} datasets failed");
    }
    // The snapshots as strata makes them (managed, labelled), one atomic `zfs snapshot -r` each:
    // the set-up need not pay for strata's own listing every time.
    for s in 0..snaps {
        let snap = format!("{parent}@s{s:03}");
        lab.zfs(&["snapshot", "-r", "-o", "strata:managed=on", "-o", "strata:label=1h", &snap])?;
    }
    let setup = t0.elapsed().as_secs_f64();
    let roots = vec![parent.clone()];
    let json = strata_zfs::listing::parse_version(lab.zfs(&["version"])?.as_bytes()).is_some_and(|v| v >= (2, 3));
    let scope = strata_zfs::listing::Scope::Datasets { datasets: &roots, recursive: true };
    let calls: Vec<Vec<String>> = if json {
        vec![
            strata_zfs::props::json_command(&roots, true).argv_strings(),
            strata_zfs::listing::json_command(scope).argv_strings(),
        ]
    } else {
        vec![
            strata_zfs::props::names_command(&roots, true).argv_strings(),
            strata_zfs::props::get_command(&roots, true).argv_strings(),
            strata_zfs::snapshot::scoped_list_command(scope).argv_strings(),
            strata_zfs::listing::props_command(scope).argv_strings(),
        ]
    };
    // Three alternated rounds, the median of each: under emulation one listing of the same
    // snapshots varies by a quarter from one run to the next.
    let (mut reference, mut create, mut prune) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..3 {
        let t0 = std::time::Instant::now();
        for c in &calls {
            let args: Vec<&str> = c[1..].iter().map(String::as_str).collect();
            lab.zfs(&args)?;
        }
        reference.push(t0.elapsed().as_secs_f64());

        // Nothing is due (the newest snapshots are seconds old): the cost of finding that out.
        let t0 = std::time::Instant::now();
        let due = lab.strata("strata-snapshot", &["create", "--due", "-r", &parent]).ok()?;
        create.push(t0.elapsed().as_secs_f64());
        due.check(due.stdout.is_empty(), "nothing due")?;
        let t0 = std::time::Instant::now();
        let plan = lab.strata("strata-prune", &["plan", "--policy", "-r", &parent, "--json"]).ok()?;
        prune.push(t0.elapsed().as_secs_f64());
        check_eq(plan.records()?.len(), (n + 1) * snaps, "a record per snapshot")?;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (r, c, p) = (median(&mut reference), median(&mut create), median(&mut prune));
    println!(
        "bench policy-{n}x{snaps} ({} snapshots, set up in {setup:.0} s): create --due -r {c:.3} s, prune plan --policy -r {p:.3} s, \
         their zfs calls by hand {r:.3} s ({} path); ratios {:.3} and {:.3}; rounds by hand {reference:.3?}, create {create:.3?}, prune {prune:.3?}",
        (n + 1) * snaps,
        if json { "zfs list -j" } else { "names then proven zfs get" },
        c / r,
        p / r,
    );
    Ok(())
}
