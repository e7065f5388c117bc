//! Host tests of strata-prune through the real binary. `zfs` is a stand-in script at the process
//! seam (it logs its argv); the retention rules are checked against borg itself in the crate's
//! tests and the safety rules on a real pool in the lab.

use predicates::prelude::*;

use crate::util::{FakeBin, bin, bin_dir, ndjson};

fn record(snapshot: &str, created: &str, guid: u64, txg: u64) -> String {
    format!(
        r#"{{"type":"snapshot","snapshot":"{snapshot}","created":"{created}","guid":"{guid}","createtxg":{txg},"userrefs":0,"managed":true}}"#
    )
}

/// Ten daily snapshots of tank/a, 2024-02-25 .. 2024-03-05 (a leap day among them).
fn ten_days() -> String {
    let mut s = String::new();
    let start: jiff::Timestamp = "2024-02-25T03:00:00Z".parse().unwrap();
    for i in 0..10 {
        let t = start + jiff::SignedDuration::from_hours(24 * i);
        s.push_str(&record(&format!("tank/a@d{i}"), &t.to_string(), 100 + i as u64, 10 + i as u64));
        s.push('\n');
    }
    s
}

#[test]
fn plan_keeps_the_newest_of_each_day() {
    let out =
        bin("strata-prune").args(["plan", "--keep-daily", "3", "--json"]).write_stdin(ten_days()).assert().success();
    let recs = ndjson(&out.get_output().stdout);
    assert_eq!(recs.len(), 10);
    let kept: Vec<(&str, Vec<&str>)> = recs
        .iter()
        .filter(|r| r["action"] == "keep")
        .map(|r| {
            (
                r["snapshot"].as_str().unwrap(),
                r["reasons"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect(),
            )
        })
        .collect();
    assert_eq!(
        kept,
        vec![
            ("tank/a@d7", vec!["daily:2024-03-03"]),
            ("tank/a@d8", vec!["daily:2024-03-04"]),
            ("tank/a@d9", vec!["daily:2024-03-05", "newest"]),
        ]
    );
    assert_eq!(recs[4]["snapshot"], "tank/a@d4");
    assert_eq!(recs[4]["created"], "2024-02-29T03:00:00Z");
    assert_eq!(recs[4]["action"], "destroy");
    assert_eq!(recs[4]["reasons"], serde_json::json!([]));
    assert_eq!(recs[4]["guid"], "104");
}

#[test]
fn keep_within_counts_back_from_now() {
    let out = bin("strata-prune")
        .args(["plan", "--keep-within", "36h", "--json"])
        .env("STRATA_NOW", "2024-03-05T12:00:00Z")
        .write_stdin(ten_days())
        .assert()
        .success();
    let recs = ndjson(&out.get_output().stdout);
    let kept: Vec<&str> =
        recs.iter().filter(|r| r["action"] == "keep").map(|r| r["snapshot"].as_str().unwrap()).collect();
    assert_eq!(kept, ["tank/a@d8", "tank/a@d9"]);
    // --now wins over the clock.
    let out = bin("strata-prune")
        .args(["plan", "--keep-within", "1d", "--now", "2024-03-04T04:00:00Z", "--json"])
        .write_stdin(ten_days())
        .assert()
        .success();
    let recs = ndjson(&out.get_output().stdout);
    let kept: Vec<&str> =
        recs.iter().filter(|r| r["action"] == "keep").map(|r| r["snapshot"].as_str().unwrap()).collect();
    assert_eq!(kept, ["tank/a@d8", "tank/a@d9"]);
}

#[test]
fn bad_input_and_usage_exit_2() {
    let input = format!(
        "{}\n{{\"snapshot\":\"tank/a\",\"created\":\"2024-01-01T00:00:00Z\"}}\n",
        record("tank/a@x", "2024-01-01T00:00:00Z", 1, 1)
    );
    bin("strata-prune")
        .args(["plan", "--keep-daily", "1"])
        .write_stdin(input)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("stdin: line 2: invalid snapshot name"));
    bin("strata-prune")
        .args(["plan"])
        .write_stdin(ten_days())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no keep rule"));
    bin("strata-prune")
        .args(["plan", "--keep-within", "7x"])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid duration"));
    bin("strata-prune")
        .args(["plan", "--keep-daily", "1", "--match", "("])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--match"));
    bin("strata-prune")
        .args(["apply", "--yes"])
        .write_stdin("{\"snapshot\":\"tank/a@x\",\"action\":\"maybe\"}\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 1"));
}

/// A stand-in zfs: `list -t snapshot` prints `listing` (or its name, guid, createtxg and userrefs
/// columns for apply's lean re-check), `destroy` fails for datasets named in
/// `failing`, every call is logged.
fn fake_zfs(listing: &str, failing: &str) -> FakeBin {
    let fake = FakeBin::new();
    let dir = fake.dir.path();
    std::fs::write(dir.join("listing.tsv"), listing).unwrap();
    let log = dir.join("log");
    fake.script(
        "zfs",
        &format!(
            "printf '%s\\n' \"$*\" >> '{log}'\n\
             case \"$1\" in\n\
             list) case \"$*\" in *name,guid,createtxg,userrefs*) cut -f1,2,3,7 '{listing}';; *) cat '{listing}';; esac;;\n\
             destroy) case \"$2\" in {failing}) echo \"cannot destroy: it's busy\" >&2; exit 1;; esac;;\n\
             *) echo \"unexpected: $*\" >&2; exit 99;;\n\
             esac\n",
            log = log.display(),
            listing = dir.join("listing.tsv").display(),
        ),
    );
    fake
}

fn log(fake: &FakeBin) -> Vec<String> {
    std::fs::read_to_string(fake.dir.path().join("log")).unwrap_or_default().lines().map(str::to_string).collect()
}

fn rows(ds: &str, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!("{ds}@s{i}\t{}\t{}\t{}\t0\t24576\t0\ton\t-\n", 1000 + i, 10 + i, 1704067200 + 86400 * i as i64)
        })
        .collect()
}

#[test]
fn apply_refuses_without_yes_and_runs_nothing() {
    let fake = fake_zfs(&rows("tank/a", 3), "nothing");
    let plan = r#"{"type":"prune","snapshot":"tank/a@s0","action":"destroy","guid":"1000"}"#;
    bin("strata-prune")
        .arg("apply")
        .env("PATH", fake.path())
        .write_stdin(plan)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("without --yes"));
    assert!(log(&fake).is_empty());
}

#[test]
fn apply_batches_per_dataset_and_goes_on_after_a_failure() {
    let listing = format!("{}{}{}", rows("tank/a", 4), rows("tank/b", 3), rows("tank/my data", 3));
    let fake = fake_zfs(&listing, "tank/b@*");
    let list = bin("strata-snapshot").args(["list", "-r", "tank"]).env("PATH", fake.path()).assert().success();
    let plan = bin("strata-prune")
        .args(["plan", "--keep-last", "1"])
        .write_stdin(list.get_output().stdout.clone())
        .assert()
        .success();
    let out = bin("strata-prune")
        .args(["apply", "--yes"])
        .env("PATH", fake.path())
        .write_stdin(plan.get_output().stdout.clone())
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("cannot destroy: it's busy"), "{stderr}");
    assert!(out.get_output().stdout.is_empty());
    let destroys: Vec<String> = log(&fake).into_iter().filter(|l| l.starts_with("destroy")).collect();
    assert_eq!(destroys, ["destroy tank/a@s0,s1,s2", "destroy tank/b@s0,s1", "destroy tank/my data@s0,s1"]);
    let lists: Vec<String> = log(&fake).into_iter().filter(|l| l.starts_with("list")).collect();
    assert_eq!(lists.len(), 2, "one list for strata-snapshot, one fresh list for apply: {lists:?}");
    assert!(lists[1].ends_with("-d 1 tank/a tank/b tank/my data"), "{}", lists[1]);
}

#[test]
fn the_cron_line_is_silent() {
    let fake = fake_zfs(&rows("tank/srv/docker/victim.org", 9), "nothing");
    let dir = bin_dir();
    let script = format!(
        "'{s}' snapshot list -r tank | '{s}' prune plan --keep-daily 7 | '{s}' prune apply --yes",
        s = dir.join("strata").display()
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .env("PATH", fake.path())
        .env("STRATA_NOW", "2024-01-10T00:00:00Z")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    let destroys: Vec<String> = log(&fake).into_iter().filter(|l| l.starts_with("destroy")).collect();
    assert_eq!(destroys, ["destroy tank/srv/docker/victim.org@s0,s1"]);
}

#[test]
fn help_lists_the_rules() {
    bin("strata-prune").args(["plan", "--help"]).assert().success().stdout(
        predicate::str::contains("--keep-within")
            .and(predicate::str::contains("--keep-yearly"))
            .and(predicate::str::contains("--protect")),
    );
}
