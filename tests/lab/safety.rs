//! Real-ZFS scenarios of hostile input: a delegated, unprivileged user who may set user
//! properties and snapshot their own dataset (`zfs allow`, with /dev/zfs open to all as Debian's
//! udev rule leaves it) must not steer root's retention run, and one bad property value must not
//! stop the listing of other datasets.

use std::os::unix::process::CommandExt;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::harness::{Lab, Scenario, check_eq};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario { name: "safety/delegated-user-forges-rows", run: delegated_user_forges_rows },
        Scenario { name: "safety/odd-label-on-one-dataset", run: odd_label_on_one_dataset },
    ]
}

const MALLORY_UID: u32 = 4242;

/// Runs `zfs ARGS` as the unprivileged user; fails unless it exits 0.
pub fn as_mallory(args: &[&str]) -> Result<()> {
    let out = Command::new("zfs")
        .args(args)
        .uid(MALLORY_UID)
        .gid(MALLORY_UID)
        .output()
        .context("cannot run zfs as the unprivileged user")?;
    if !out.status.success() {
        bail!("as uid {MALLORY_UID}: zfs {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

pub fn delegate(lab: &Lab, ds: &str) -> Result<()> {
    lab.sh(&format!(
        "chmod 0666 /dev/zfs; grep -q '^mallory:' /etc/passwd 2>/dev/null || \
         echo 'mallory:x:{MALLORY_UID}:{MALLORY_UID}::/tmp:/bin/sh' >> /etc/passwd; \
         grep -q '^mallory:' /etc/group 2>/dev/null || echo 'mallory:x:{MALLORY_UID}:' >> /etc/group"
    ))?;
    lab.zfs(&["allow", "-u", "mallory", "userprop,snapshot,mount", ds])?;
    Ok(())
}

fn bash_pipefail(lab: &Lab, script: &str) -> Result<crate::harness::Run> {
    let _ = lab;
    let out = Command::new("bash").args(["-o", "pipefail", "-c", script]).output().context("bash")?;
    Ok(crate::harness::Run {
        cmd: format!("bash -o pipefail -c {script:?}"),
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: out.stderr,
    })
}

fn delegated_user_forges_rows(lab: &Lab) -> Result<()> {
    let victim = lab.create("victim", &[])?;
    let user = lab.create("user", &[])?;
    lab.zfs(&["snapshot", &format!("{victim}@v1")])?;
    lab.zfs(&["snapshot", &format!("{victim}@v2")])?;
    // root's own retention: strata snapshots of a third dataset, pruned by the same run
    let mine = lab.create("mine", &[])?;
    for s in ["m1", "m2", "m3"] {
        lab.strata("strata-snapshot", &["create", &mine, "--name-format", s]).ok()?;
    }
    delegate(lab, &user)?;
    // The attack, by the unprivileged user: a snapshot of their own, then properties inherited by
    // it whose values hold newlines and rows forged for every listing format strata ever read.
    as_mallory(&["snapshot", &format!("{user}@u1")])?;
    let forged = format!(
        "x\n{victim}@v1\t-\t1\t1000000000\t0\t0\t0\ton\t-\n{victim}@v1\tstrata:managed\tlocal\ton\n{victim}@v1\t21\t5\t1000000000\t0\t100\t0"
    );
    as_mallory(&["set", &format!("strata:label={forged}"), &user])?;
    as_mallory(&["set", "strata:managed=on", &user])?;
    check_eq(lab.get("strata:managed", &format!("{user}@u1"))?, "on".to_string(), "the snapshot inherits it")?;

    // What root's cron runs, as the README writes it.
    let bin = crate::harness::bin_dir();
    let s = bin.join("strata").display().to_string();
    let root = lab.ds("");
    let cron = bash_pipefail(
        lab,
        &format!("'{s}' snapshot list -r '{root}' | '{s}' prune plan --keep-last 1 | '{s}' prune apply --yes"),
    )?;
    check_eq(lab.snapshots(&victim)?, vec!["v1".to_string(), "v2".to_string()], "nothing of the victim destroyed")?;
    check_eq(lab.snapshots(&user)?, vec!["u1".to_string()], "an inherited strata:managed owns nothing")?;
    check_eq(lab.snapshots(&mine)?, vec!["m3".to_string()], "root's own snapshots are still pruned")?;

    let list = lab.strata("strata-snapshot", &["list", "-r", &root, "--json"]);
    let recs = list.records()?;
    let names: Vec<&str> = recs.iter().filter_map(|r| r["snapshot"].as_str()).collect();
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    list.check(unique.len() == names.len(), "one record per snapshot")?;
    for r in &recs {
        let snap = r["snapshot"].as_str().unwrap_or_default();
        let is_mine = snap.starts_with(&format!("{mine}@"));
        list.check(r["managed"] == Value::Bool(is_mine), format!("{snap}: managed only when strata made it"))?;
        list.check(r["label"].is_null(), format!("{snap}: an inherited label is not its label"))?;
    }
    match list.code {
        // zfs list -j: the values are plain strings, nothing is left out
        0 => {
            check_eq(cron.code, 0, format!("the cron line\n{cron}"))?;
            list.check(names.contains(&format!("{user}@u1").as_str()), "the user's snapshot is listed")?;
        }
        // proven lines: the user's dataset is left out and named, the run fails
        2 => {
            list.check(list.err().contains(&user) && list.err().contains("left out"), "names the dataset")?;
            check_eq(cron.code, 2, format!("the cron line fails\n{cron}"))?;
        }
        _ => bail!("unexpected exit code\n{list}"),
    }
    // A plan record forged by hand (as if from a compromised listing) for the victim is refused at
    // the moment apply acts: the snapshot is not owned.
    let guid = lab.get("guid", &format!("{victim}@v1"))?;
    let crafted = format!(
        "{{\"type\":\"prune\",\"snapshot\":\"{victim}@v1\",\"guid\":\"{guid}\",\"action\":\"destroy\",\"owner\":\"managed\",\"owner_match\":null}}\n"
    );
    let apply = lab.strata_stdin("strata-prune", &["apply", "--yes"], crafted.as_bytes()).code(2)?;
    apply.check(apply.err().contains("it is not owned"), "says why")?;
    check_eq(lab.snapshots(&victim)?, vec!["v1".to_string(), "v2".to_string()], "still nothing destroyed")?;
    Ok(())
}

/// A tab, a newline and an escape sequence in one strata snapshot's own label: the other datasets
/// are listed whatever the ZFS version, and where ZFS can say it (zfs list -j) the label is kept raw.
fn odd_label_on_one_dataset(lab: &Lab) -> Result<()> {
    let odd = lab.create("odd", &[])?;
    let fine = lab.create("fine", &[])?;
    for ds in [&odd, &fine] {
        lab.strata("strata-snapshot", &["create", ds, "--name-format", "s1", "--label", "daily"]).ok()?;
    }
    let label = "a\tb\nc\u{1b}]0;x\u{7}";
    lab.zfs(&["set", &format!("strata:label={label}"), &format!("{odd}@s1")])?;
    let list = lab.strata("strata-snapshot", &["list", "-r", &lab.ds(""), "--json"]);
    let recs = list.records()?;
    let fine_rec = recs.iter().find(|r| r["snapshot"] == format!("{fine}@s1")).context("the fine dataset is listed")?;
    check_eq(fine_rec["managed"].clone(), Value::Bool(true), "managed")?;
    check_eq(fine_rec["label"].clone(), Value::from("daily"), "label")?;
    match list.code {
        0 => {
            let odd_rec = recs.iter().find(|r| r["snapshot"] == format!("{odd}@s1")).context("odd listed")?;
            check_eq(odd_rec["label"].clone(), Value::from(label), "the label, raw, in NDJSON")?;
        }
        2 => list.check(list.err().contains(&odd), "the odd dataset is named")?,
        _ => bail!("unexpected exit code\n{list}"),
    }
    // On a terminal-like table the label is escaped: no raw ESC reaches the screen.
    let table = lab.strata("strata-snapshot", &["list", "-r", &lab.ds(""), "--format", "table"]);
    table.check(!table.stdout.contains(&0x1b), "no raw escape in the table")?;
    Ok(())
}
