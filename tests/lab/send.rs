//! Real-ZFS scenarios of strata-send: full, incremental with intermediates, up to date,
//! --no-intermediates, a diverged target refused then forced, dry-run, the bookmark base after the
//! snapshot is pruned, push and pull over ssh to the guest's own sshd, names with spaces, a
//! transfer killed with SIGKILL then resumed byte-identical, a stale token, encrypted raw sends,
//! a file and standard output, the lock, progress records, recursion, records on stdin, bad input.

use std::io::BufRead;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::harness::{Lab, Run, Scenario, bin_dir, check_eq};

const BIN: &str = "strata-send";
/// The guest's sshd (the lab starts it before the scenarios).
const HOST: &str = "root@127.0.0.1";

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario { name: "send/full-incremental-up-to-date", run: full_incremental_up_to_date },
        Scenario { name: "send/no-intermediates", run: no_intermediates },
        Scenario { name: "send/diverged-refused-then-forced", run: diverged },
        Scenario { name: "send/modified-target-refused", run: modified_target },
        Scenario { name: "send/dry-run", run: dry_run },
        Scenario { name: "send/bookmark-base-after-prune", run: bookmark_base },
        Scenario { name: "send/ssh-push-pull-spaces", run: ssh_push_pull },
        Scenario { name: "send/sigkill-then-resume", run: sigkill_then_resume },
        Scenario { name: "send/stale-token", run: stale_token },
        Scenario { name: "send/encrypted-raw", run: encrypted_raw },
        Scenario { name: "send/to-file-and-stdout", run: to_file_and_stdout },
        Scenario { name: "send/lock", run: lock },
        Scenario { name: "send/progress-json", run: progress_json },
        Scenario { name: "send/recursive-and-stdin", run: recursive_and_stdin },
        Scenario { name: "send/bad-input", run: bad_input },
        Scenario { name: "bench/send-local", run: bench_local },
    ]
}

/// The one send record of a `--json` run.
fn record(run: &Run) -> Result<Value> {
    let recs = run.records()?;
    let sends: Vec<&Value> = recs.iter().filter(|r| r["type"] == "send").collect();
    run.check(sends.len() == 1, format!("one send record, got {}", sends.len()))?;
    Ok(sends[0].clone())
}

fn guid(lab: &Lab, name: &str) -> Result<String> {
    lab.get("guid", name)
}

/// A dataset with `mb` MiB of random data in `f`, and a snapshot `snap`.
fn source_with_data(lab: &Lab, rel: &str, mb: u32, snap: &str) -> Result<String> {
    let ds = lab.create(rel, &[])?;
    add_data(lab, &ds, "f", mb)?;
    lab.zfs(&["snapshot", &format!("{ds}@{snap}")])?;
    Ok(ds)
}

fn add_data(lab: &Lab, ds: &str, file: &str, mb: u32) -> Result<()> {
    let mp = lab.mountpoint(ds)?;
    let path = mp.join(file);
    let status = Command::new("dd")
        .arg("if=/dev/urandom")
        .arg(format!("of={}", path.display()))
        .args(["bs=1M", &format!("count={mb}")])
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("dd into {} failed", path.display());
    }
    Ok(())
}

fn bookmark(ds: &str, target: &str) -> String {
    strata_send::run::bookmark_name(ds, target)
}

fn full_incremental_up_to_date(lab: &Lab) -> Result<()> {
    let src = source_with_data(lab, "src", 2, "s1")?;
    let dst = lab.ds("dst");
    let run = lab.strata(BIN, &[src.as_str(), "--to", &dst]).ok()?;
    run.check(run.stdout.is_empty() && run.stderr.is_empty(), "silent on success")?;
    check_eq(lab.snapshots(&dst)?, vec!["s1".to_string()], "received s1")?;
    check_eq(guid(lab, &format!("{dst}@s1"))?, guid(lab, &format!("{src}@s1"))?, "same guid")?;
    check_eq(lab.get("readonly", &dst)?, "on".to_string(), "a new target is read-only")?;
    check_eq(lab.get("mounted", &dst)?, "no".to_string(), "and not mounted")?;
    let bm = bookmark(&src, &dst);
    check_eq(guid(lab, &bm)?, guid(lab, &format!("{src}@s1"))?, "the bookmark marks the sent snapshot")?;

    for s in ["s2", "s3"] {
        add_data(lab, &src, s, 1)?;
        lab.zfs(&["snapshot", &format!("{src}@{s}")])?;
    }
    let run = lab.strata(BIN, &[src.as_str(), "--to", &dst, "--json"]).ok()?;
    let r = record(&run)?;
    check_eq(r["mode"].as_str(), Some("incremental"), "mode")?;
    check_eq(r["from"].as_str().map(str::to_string), Some(format!("{src}@s1")), "from")?;
    check_eq(r["source"].as_str().map(str::to_string), Some(format!("{src}@s3")), "source")?;
    check_eq(r["target"].as_str(), Some(dst.as_str()), "target")?;
    run.check(r["bytes"].as_u64().is_some_and(|b| b > 1 << 20), "bytes counted")?;
    check_eq(lab.snapshots(&dst)?, vec!["s1".to_string(), "s2".into(), "s3".into()], "every snapshot in between")?;
    check_eq(guid(lab, &bm)?, guid(lab, &format!("{src}@s3"))?, "the bookmark moved to s3")?;
    let bookmarks = lab.zfs(&["list", "-H", "-t", "bookmark", "-o", "name", "-d", "1", &src])?;
    check_eq(bookmarks.lines().count(), 1, "one bookmark per target")?;

    let run = lab.strata(BIN, &[src.as_str(), "--to", &dst, "--json"]).ok()?;
    let r = record(&run)?;
    check_eq((r["mode"].as_str(), r["bytes"].as_u64()), (Some("up-to-date"), Some(0)), "up to date")?;
    Ok(())
}

fn no_intermediates(lab: &Lab) -> Result<()> {
    let src = source_with_data(lab, "src", 1, "s1")?;
    let dst = lab.ds("dst");
    lab.strata(BIN, &[src.as_str(), "--to", &dst]).ok()?;
    for s in ["s2", "s3"] {
        lab.zfs(&["snapshot", &format!("{src}@{s}")])?;
    }
    lab.strata(BIN, &[src.as_str(), "--to", &dst, "--no-intermediates"]).ok()?;
    check_eq(lab.snapshots(&dst)?, vec!["s1".to_string(), "s3".into()], "only the newest")?;
    Ok(())
}

fn diverged(lab: &Lab) -> Result<()> {
    let src = source_with_data(lab, "src", 1, "s1")?;
    let dst = lab.ds("dst");
    lab.strata(BIN, &[src.as_str(), "--to", &dst]).ok()?;
    lab.zfs(&["snapshot", &format!("{dst}@mine")])?;
    lab.zfs(&["snapshot", &format!("{src}@s2")])?;
    let run = lab.strata(BIN, &[src.as_str(), "--to", &dst]).code(2)?;
    run.check(
        run.err().contains("diverged") && run.err().contains(&format!("{dst}@mine")),
        "names the target-only snapshot",
    )?;
    check_eq(lab.snapshots(&dst)?, vec!["s1".to_string(), "mine".into()], "nothing destroyed")?;
    lab.strata(BIN, &[src.as_str(), "--to", &dst, "--force"]).code(2)?;
    lab.strata(BIN, &[src.as_str(), "--to", &dst, "--force", "--confirm=someone/else"]).code(2)?;
    check_eq(lab.snapshots(&dst)?, vec!["s1".to_string(), "mine".into()], "still nothing destroyed")?;
    let confirm = format!("--confirm={dst}");
    let run = lab.strata(BIN, &[src.as_str(), "--to", &dst, "--force", &confirm, "--json"]).ok()?;
    check_eq(record(&run)?["from"].as_str().map(str::to_string), Some(format!("{src}@s1")), "from the common one")?;
    check_eq(lab.snapshots(&dst)?, vec!["s1".to_string(), "s2".into()], "rolled back and received")?;
    // A held target snapshot that recv -F would destroy: zfs refuses, and strata says so.
    lab.zfs(&["snapshot", &format!("{dst}@mine2")])?;
    lab.zfs(&["hold", "keep", &format!("{dst}@mine2")])?;
    lab.zfs(&["snapshot", &format!("{src}@s3")])?;
    let run = lab.strata(BIN, &[src.as_str(), "--to", &dst, "--force", &confirm]).code(2)?;
    run.check(run.err().contains(&format!("held snapshots of the target: {dst}@mine2 (1 hold)")), "names the hold")?;
    check_eq(lab.snapshots(&dst)?, vec!["s1".to_string(), "s2".into(), "mine2".into()], "nothing destroyed")?;
    lab.zfs(&["release", "keep", &format!("{dst}@mine2")])?;
    Ok(())
}

fn modified_target(lab: &Lab) -> Result<()> {
    let src = source_with_data(lab, "src", 1, "s1")?;
    let dst = lab.ds("dst");
    lab.strata(BIN, &[src.as_str(), "--to", &dst, "--writable"]).ok()?;
    check_eq(lab.get("readonly", &dst)?, "off".to_string(), "--writable")?;
    lab.write(&lab.mountpoint(&dst)?.join("local-change"), "x")?;
    lab.zfs(&["snapshot", &format!("{src}@s2")])?;
    let run = lab.strata(BIN, &[src.as_str(), "--to", &dst]).code(2)?;
    run.check(run.err().contains("modified"), "zfs's report of the modification is shown")?;
    check_eq(lab.snapshots(&dst)?, vec!["s1".to_string()], "nothing received, nothing destroyed")?;
    Ok(())
}

fn dry_run(lab: &Lab) -> Result<()> {
    let src = source_with_data(lab, "src", 1, "s1")?;
    let dst = lab.ds("dst");
    let run = lab.strata(BIN, &[src.as_str(), "--to", &dst, "--dry-run", "--json"]).ok()?;
    let r = record(&run)?;
    check_eq((r["dry_run"].as_bool(), r["mode"].as_str()), (Some(true), Some("full")), "a full dry run")?;
    run.check(r["bytes"].as_u64().is_some_and(|b| b > 1 << 20), "the zfs send -nP estimate")?;
    run.check(run.err().contains(&format!("dry-run: zfs send -P {src}@s1")), "the send side")?;
    run.check(run.err().contains("dry-run: zfs recv -s -u -o readonly=on"), "the receive side")?;
    let exists = lab.zfs_run(&["list", &dst]);
    check_eq(exists.code, 1, "no target made")?;
    let bms = lab.zfs(&["list", "-H", "-t", "bookmark", "-o", "name", "-d", "1", &src])?;
    check_eq(bms, String::new(), "no bookmark made")?;
    Ok(())
}

fn bookmark_base(lab: &Lab) -> Result<()> {
    let src = source_with_data(lab, "src", 1, "s1")?;
    let dst = lab.ds("dst");
    lab.strata(BIN, &[src.as_str(), "--to", &dst]).ok()?;
    lab.zfs(&["snapshot", &format!("{src}@s2")])?;
    // Pruned: the snapshot the target has is gone from the source; its bookmark stays.
    lab.zfs(&["destroy", &format!("{src}@s1")])?;
    let run = lab.strata(BIN, &[src.as_str(), "--to", &dst, "--json"]).ok()?;
    let r = record(&run)?;
    check_eq(r["from"].as_str().map(str::to_string), Some(bookmark(&src, &dst)), "the bookmark is the base")?;
    check_eq(lab.snapshots(&dst)?, vec!["s1".to_string(), "s2".into()], "received")?;
    Ok(())
}

/// Fails clearly when the guest has no sshd (a lab started without it, or native mode).
fn need_ssh(lab: &Lab) -> Result<()> {
    let r = lab.sh(&format!("ssh -o BatchMode=yes {HOST} true"));
    if r.is_err() {
        bail!("these scenarios need sshd on 127.0.0.1 (the lab VM starts one; natively, start one for root)");
    }
    Ok(())
}

fn ssh_push_pull(lab: &Lab) -> Result<()> {
    need_ssh(lab)?;
    let src = source_with_data(lab, "my src", 2, "snap 1")?;
    let pushed = lab.ds("pushed copy");
    let to = format!("{HOST}:{pushed}");
    let run =
        lab.strata(BIN, &[src.as_str(), "--to", &to, "--ssh-option", "KexAlgorithms=curve25519-sha256", "--json"]);
    let run = run.ok()?;
    check_eq(record(&run)?["target"].as_str(), Some(to.as_str()), "the target as typed")?;
    check_eq(guid(lab, &format!("{pushed}@snap 1"))?, guid(lab, &format!("{src}@snap 1"))?, "pushed")?;
    check_eq(guid(lab, &bookmark(&src, &to))?, guid(lab, &format!("{src}@snap 1"))?, "bookmark per target")?;
    // Pull: the listing and the send run at the other end.
    let pulled = lab.ds("pulled copy");
    let from = format!("{HOST}:{src}");
    let run = lab.strata(BIN, &[from.as_str(), "--to", &pulled, "--json"]).ok()?;
    let r = record(&run)?;
    check_eq(r["source"].as_str().map(str::to_string), Some(format!("{from}@snap 1")), "source with its host")?;
    check_eq(guid(lab, &format!("{pulled}@snap 1"))?, guid(lab, &format!("{src}@snap 1"))?, "pulled")?;
    // And incrementally over ssh.
    lab.zfs(&["snapshot", &format!("{src}@snap 2")])?;
    let run = lab.strata(BIN, &[src.as_str(), "--to", &to, "--json"]).ok()?;
    check_eq(record(&run)?["mode"].as_str(), Some("incremental"), "incremental push")?;
    check_eq(lab.snapshots(&pushed)?, vec!["snap 1".to_string(), "snap 2".into()], "pushed snapshots")?;
    Ok(())
}

/// Starts a send and kills it with SIGKILL once `at_least` bytes crossed (read from its progress
/// records), then waits until the target holds a resume token.
fn kill_midway(lab: &Lab, src: &str, dst: &str, at_least: u64) -> Result<String> {
    let mut child = Command::new(bin_dir().join(BIN))
        .args([src, "--to", dst, "--progress", "json", "--rate-limit", "4M"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("start strata-send")?;
    let stderr = child.stderr.take().context("stderr")?;
    let mut crossed = 0;
    for line in std::io::BufReader::new(stderr).lines() {
        let line = line?;
        if let Ok(v) = serde_json::from_str::<Value>(&line) {
            crossed = v["bytes"].as_u64().unwrap_or(0);
            if crossed >= at_least {
                break;
            }
        }
    }
    child.kill()?;
    child.wait()?;
    if crossed < at_least {
        bail!("the send ended before {at_least} bytes ({crossed})");
    }
    // The receive notices its writer is gone a moment later: poll the token (a bound, not a timing).
    for _ in 0..600 {
        let t = lab.get("receive_resume_token", dst).unwrap_or_default();
        if t != "-" && !t.is_empty() {
            return Ok(t);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    bail!("no receive_resume_token on {dst} after the kill")
}

fn sigkill_then_resume(lab: &Lab) -> Result<()> {
    let src = source_with_data(lab, "src", 48, "s1")?;
    let dst = lab.ds("dst");
    let token = kill_midway(lab, &src, &dst, 8 << 20)?;
    // No zfs send of that source outlives strata-send. A killed `zfs send` first ends the send
    // in the kernel (its reader threads are waited for), which under emulation can outlast the
    // receive's own end: poll (a bound, not a timing); one that kept sending would stay.
    let mut left = Vec::new();
    for _ in 0..300 {
        let ps = lab.sh("ps -o args 2>/dev/null || ps")?.out();
        left = ps.lines().filter(|l| l.contains("zfs send") && l.contains(src.as_str())).map(str::to_string).collect();
        if left.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    check_eq(left, Vec::<String>::new(), "no orphaned zfs send")?;
    // The decoder agrees with zfs send -nvt on what the token holds.
    let nvt = lab.zfs(&["send", "-nv", "-t", &token])?;
    let toname = nvt.lines().find_map(|l| l.trim().strip_prefix("toname = ")).context("toname in zfs send -nvt")?;
    let decoded = strata_send::token::decode(&token)?;
    check_eq(decoded.toname.as_str(), toname, "toname as zfs send -nvt prints it")?;
    let toguid = nvt.lines().find_map(|l| l.trim().strip_prefix("toguid = ")).context("toguid")?;
    check_eq(format!("{:#x}", decoded.toguid), toguid.to_string(), "toguid")?;
    let bytes = nvt.lines().find_map(|l| l.trim().strip_prefix("bytes = ")).context("bytes")?;
    check_eq(format!("{:#x}", decoded.bytes), bytes.to_string(), "bytes")?;

    let dry = lab.strata(BIN, &[src.as_str(), "--to", &dst, "--dry-run", "--json"]).ok()?;
    check_eq(record(&dry)?["mode"].as_str(), Some("resume"), "a dry run says resume")?;
    let run = lab.strata(BIN, &[src.as_str(), "--to", &dst, "--json"]).ok()?;
    let recs = run.records()?;
    check_eq(recs[0]["mode"].as_str(), Some("resume"), "resumed")?;
    check_eq(lab.get("receive_resume_token", &dst)?, "-".to_string(), "no token left")?;
    check_eq(lab.get("readonly", &dst)?, "on".to_string(), "the resumed new dataset is read-only too")?;
    lab.zfs(&["mount", &dst])?;
    let sums = lab.sh(&format!(
        "sha256sum '{}' '{}' | cut -d' ' -f1",
        lab.mountpoint(&src)?.join("f").display(),
        lab.mountpoint(&dst)?.join("f").display()
    ))?;
    let sums: Vec<String> = sums.out().lines().map(str::to_string).collect();
    check_eq(sums.len(), 2, "two sums")?;
    check_eq(&sums[0], &sums[1], "byte-identical on both sides")?;
    Ok(())
}

fn stale_token(lab: &Lab) -> Result<()> {
    let src = source_with_data(lab, "src", 24, "s1")?;
    let dst = lab.ds("dst");
    kill_midway(lab, &src, &dst, 4 << 20)?;
    lab.zfs(&["destroy", &format!("{src}@s1")])?;
    lab.zfs(&["snapshot", &format!("{src}@s2")])?;
    let run = lab.strata(BIN, &[src.as_str(), "--to", &dst]).code(2)?;
    run.check(run.err().contains("--abort-resume") && run.err().contains("@s1"), "names the option and the snapshot")?;
    check_eq(lab.get("receive_resume_token", &dst)?.starts_with("1-"), true, "the partial state is kept")?;
    let run = lab.strata(BIN, &[src.as_str(), "--to", &dst, "--abort-resume", "--json"]).ok()?;
    check_eq(record(&run)?["mode"].as_str(), Some("full"), "sent afresh")?;
    check_eq(lab.snapshots(&dst)?, vec!["s2".to_string()], "received")?;
    Ok(())
}

fn encrypted_raw(lab: &Lab) -> Result<()> {
    let key = std::env::temp_dir().join(format!("strata-send-key-{}", std::process::id()));
    std::fs::write(&key, "secretsecret\n")?;
    let loc = format!("keylocation=file://{}", key.display());
    let src = lab.create("enc", &["encryption=on", "keyformat=passphrase", &loc])?;
    add_data(lab, &src, "f", 1)?;
    lab.zfs(&["snapshot", &format!("{src}@e1")])?;
    let dst = lab.ds("dst");
    lab.strata(BIN, &[src.as_str(), "--to", &dst]).ok()?;
    check_eq(lab.get("encryption", &dst)?, lab.get("encryption", &src)?, "received encrypted")?;
    check_eq(lab.get("keystatus", &dst)?, "unavailable".to_string(), "raw: the target never had the key")?;
    lab.zfs(&["snapshot", &format!("{src}@e2")])?;
    let run = lab.strata(BIN, &[src.as_str(), "--to", &dst, "--json"]).ok()?;
    check_eq(record(&run)?["mode"].as_str(), Some("incremental"), "raw incremental")?;
    check_eq(lab.snapshots(&dst)?, vec!["e1".to_string(), "e2".into()], "both")?;
    let _ = std::fs::remove_file(&key);
    Ok(())
}

fn to_file_and_stdout(lab: &Lab) -> Result<()> {
    let src = source_with_data(lab, "src", 1, "s1")?;
    let dir = std::env::temp_dir().join(format!("strata-send-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("s1.zfs");
    let run = lab.strata(BIN, &[src.as_str(), "--to-file", file.to_str().context("path")?, "--json"]).ok()?;
    let r = record(&run)?;
    check_eq(r["bytes"].as_u64(), Some(std::fs::metadata(&file)?.len()), "the record counts the file's bytes")?;
    check_eq(std::fs::read_dir(&dir)?.count(), 1, "no temporary file left")?;
    let from_file = lab.ds("from file");
    lab.sh(&format!("zfs recv -u '{from_file}' < '{}'", file.display()))?;
    check_eq(guid(lab, &format!("{from_file}@s1"))?, guid(lab, &format!("{src}@s1"))?, "the file is the stream")?;
    let run = lab.strata(BIN, &[src.as_str(), "--to-file", "-", "--json"]).ok()?;
    let via_stdout = dir.join("stdout.zfs");
    std::fs::write(&via_stdout, &run.stdout)?;
    run.check(run.err().contains("\"type\":\"send\""), "the record goes to stderr")?;
    let from_stdout = lab.ds("from stdout");
    lab.sh(&format!("zfs recv -u '{from_stdout}' < '{}'", via_stdout.display()))?;
    check_eq(guid(lab, &format!("{from_stdout}@s1"))?, guid(lab, &format!("{src}@s1"))?, "stdout is the stream")?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn lock(lab: &Lab) -> Result<()> {
    let src = source_with_data(lab, "src", 1, "s1")?;
    let dst = lab.ds("dst");
    let path = strata_core::lock::default_path(&format!("strata-send-{}", strata_send::run::short_hash(&dst)));
    let held = strata_core::lock::acquire(&path)?;
    let run = lab.strata(BIN, &[src.as_str(), "--to", &dst]).code(75)?;
    run.check(run.err().contains("another run holds the lock"), "says why")?;
    check_eq(lab.zfs_run(&["list", &dst]).code, 1, "nothing sent")?;
    drop(held);
    lab.strata(BIN, &[src.as_str(), "--to", &dst]).ok()?;
    Ok(())
}

fn progress_json(lab: &Lab) -> Result<()> {
    let src = source_with_data(lab, "src", 4, "s1")?;
    let dst = lab.ds("dst");
    let run = lab.strata(BIN, &[src.as_str(), "--to", &dst, "--progress", "json", "--json"]).ok()?;
    let sent = record(&run)?["bytes"].as_u64().context("bytes")?;
    let mut progress = Vec::new();
    for line in run.err().lines() {
        let v: Value = serde_json::from_str(line).with_context(|| format!("stderr line {line:?}"))?;
        progress.push(v);
    }
    run.check(progress.len() >= 2 && progress.iter().all(|p| p["type"] == "progress"), "progress records")?;
    check_eq(progress[0]["bytes"].as_u64(), Some(0), "one at the start")?;
    check_eq(progress.last().and_then(|p| p["bytes"].as_u64()), Some(sent), "one at the end")?;
    run.check(progress[0]["total"].as_u64().is_some_and(|t| t > 0), "the estimate as total")?;
    Ok(())
}

fn recursive_and_stdin(lab: &Lab) -> Result<()> {
    let src = source_with_data(lab, "src", 1, "s1")?;
    let child = lab.create("src/child c", &[])?;
    lab.zfs(&["snapshot", "-r", &format!("{src}@r1")])?;
    let dst = lab.ds("dst");
    lab.strata(BIN, &["-r", src.as_str(), "--to", &dst]).ok()?;
    check_eq(lab.snapshots(&format!("{dst}/child c"))?, vec!["r1".to_string()], "the child under the target")?;
    check_eq(guid(lab, &format!("{dst}/child c@r1"))?, guid(lab, &format!("{child}@r1"))?, "its guid")?;
    // Records on stdin: one send per dataset, its newest listed snapshot.
    lab.zfs(&["snapshot", "-r", &format!("{src}@r2")])?;
    let list = lab.strata("strata-snapshot", &["list", "-r", &src]).ok()?;
    lab.strata_stdin(BIN, &["--to", &dst], &list.stdout).ok()?;
    check_eq(lab.snapshots(&format!("{dst}/child c"))?, vec!["r1".to_string(), "r2".into()], "child")?;
    // A new target gets the newest snapshot in full, then each send what is newer.
    check_eq(lab.snapshots(&dst)?, vec!["r1".to_string(), "r2".into()], "parent")?;
    Ok(())
}

fn bad_input(lab: &Lab) -> Result<()> {
    let src = source_with_data(lab, "src", 1, "s1")?;
    let dst = lab.ds("dst");
    let missing = lab.strata(BIN, &[lab.ds("nope").as_str(), "--to", &dst]).code(2)?;
    missing.check(missing.err().contains("does not exist"), "zfs's error is kept")?;
    let snap_target = format!("{dst}@s1");
    let r = lab.strata(BIN, &[src.as_str(), "--to", &snap_target]).code(2)?;
    r.check(r.err().contains("a snapshot cannot be a target"), "a snapshot as target")?;
    let r = lab.strata(BIN, &[src.as_str(), "--to", "root@192.0.2.1:tank/x", "--ssh-option", "ConnectTimeout=5"]);
    let r = r.code(2)?;
    r.check(r.err().contains("ssh to root@192.0.2.1 failed"), "an unreachable host is named")?;
    let r = lab.strata(BIN, &[format!("{src}@nope").as_str(), "--to", &dst]).code(2)?;
    r.check(r.err().contains("no snapshot \"nope\""), "a missing snapshot")?;
    check_eq(lab.zfs_run(&["list", &dst]).code, 1, "nothing made")?;
    Ok(())
}

/// strata-send to a local target against `zfs send | zfs recv -u` of the same snapshot of
/// random data (192 MiB, or `STRATA_BENCH_SEND_MB`), alternated five times (or
/// `STRATA_BENCH_SEND_ROUNDS`), strata with progress on (json, as a bar needs a terminal). Each
/// received copy is destroyed and its space freed (`zpool wait -t free`) before the next run, so
/// no run pays for the one before. Prints the medians of the whole command's time and of the data
/// path's own (the record's `seconds`), every round, and `-v`'s time of each command strata ran
/// in the first round; asserts nothing on time.
fn bench_local(lab: &Lab) -> Result<()> {
    let mb: u32 = std::env::var("STRATA_BENCH_SEND_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(192);
    let src = source_with_data(lab, "src", mb, "s1")?;
    let rounds: u32 = std::env::var("STRATA_BENCH_SEND_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(5).max(1);
    let snap = format!("{src}@s1");
    let (mut raw, mut whole, mut path) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let dst = lab.ds(&format!("raw{round}"));
        let t0 = std::time::Instant::now();
        lab.sh(&format!("set -o pipefail 2>/dev/null; zfs send '{snap}' | zfs recv -u '{dst}'"))?;
        raw.push(t0.elapsed().as_secs_f64());
        lab.zfs(&["destroy", "-r", &dst])?;
        settle(lab)?;

        let dst = lab.ds(&format!("strata{round}"));
        let t0 = std::time::Instant::now();
        let run = lab.strata(BIN, &[snap.as_str(), "--to", &dst, "--progress", "json", "--json", "-v"]).ok()?;
        whole.push(t0.elapsed().as_secs_f64());
        path.push(record(&run)?["seconds"].as_f64().context("seconds")?);
        if round == 0 {
            for line in run.err().lines().filter(|l| l.starts_with("strata-send: ")) {
                println!("bench send-local: {line}");
            }
        }
        println!(
            "bench send-local: round {}: raw {:.3} s, strata-send {:.3} s (data path {:.3} s)",
            round + 1,
            raw[raw.len() - 1],
            whole[whole.len() - 1],
            path[path.len() - 1]
        );
        check_eq(guid(lab, &format!("{dst}@s1"))?, guid(lab, &snap)?, "received")?;
        lab.zfs(&["destroy", "-r", &dst])?;
        lab.zfs(&["destroy", &bookmark(&src, &dst)])?;
        settle(lab)?;
    }
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (r, w, p) = (median(&raw), median(&whole), median(&path));
    println!(
        "bench send-local ({mb} MiB, {rounds} rounds, medians): raw zfs send | zfs recv -u {r:.3} s, strata-send \
         {w:.3} s (its data path {p:.3} s); strata-send is {:.3}x raw's speed ({:.3}x for the data path alone)",
        r / w,
        r / p
    );
    Ok(())
}

/// Waits until the pool has synced and freed what was destroyed, so the next timed run does not
/// pay for it.
fn settle(lab: &Lab) -> Result<()> {
    lab.zpool(&["sync", &lab.pool])?;
    lab.zpool(&["wait", "-t", "free", &lab.pool]).map(drop)
}
