//! Host tests of strata-prune through the real binary. `zfs` is a stand-in script at the process
//! seam (it logs its argv); the retention rules are checked against borg itself in the crate's
//! tests and the safety rules on a real pool in the lab.

use predicates::prelude::*;

use crate::util::{FakeBin, bin, bin_dir, in_pty, ndjson};

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

/// A stand-in zfs: the snapshot listings answer from `listing` (see `fakezfs`), `destroy` fails
/// for datasets named in `failing`, every call is logged.
fn fake_zfs(listing: &str, failing: &str) -> FakeBin {
    fake_zfs_freeing(listing, failing, None)
}

/// [`fake_zfs`] whose `destroy -v -p` says, as ZFS does, that each batch frees `reclaim` bytes.
fn fake_zfs_freeing(listing: &str, failing: &str, reclaim: Option<u64>) -> FakeBin {
    let said = reclaim.map(|r| format!("printf 'reclaim\\t%s\\n' {r}")).unwrap_or_else(|| ":".into());
    let fake = FakeBin::new();
    let dir = fake.dir.path();
    std::fs::write(dir.join("listing.tsv"), listing).unwrap();
    let log = dir.join("log");
    fake.script(
        "zfs",
        &format!(
            "printf '%s\\n' \"$*\" >> '{log}'\n\
             case \"$1\" in\n\
             {arms}\
             destroy) case \"$4\" in {failing}) echo \"cannot destroy: it's busy\" >&2; exit 1;; esac; {said};;\n\
             *) echo \"unexpected: $*\" >&2; exit 99;;\n\
             esac\n",
            log = log.display(),
            arms = crate::fakezfs::listing_arms(&dir.join("listing.tsv")),
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
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("cannot destroy: it's busy"), "{stderr}");
    assert!(out.get_output().stdout.is_empty());
    let destroys: Vec<String> = log(&fake).into_iter().filter(|l| l.starts_with("destroy")).collect();
    assert_eq!(
        destroys,
        ["destroy -v -p tank/a@s0,s1,s2", "destroy -v -p tank/b@s0,s1", "destroy -v -p tank/my data@s0,s1"]
    );
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
    assert_eq!(destroys, ["destroy -v -p tank/srv/docker/victim.org@s0,s1"]);
}

#[test]
fn help_lists_the_rules() {
    bin("strata-prune").args(["plan", "--help"]).assert().success().stdout(
        predicate::str::contains("--keep-within")
            .and(predicate::str::contains("--keep-yearly"))
            .and(predicate::str::contains("--protect")),
    );
}

/// A stand-in zfs whose `get` answer is given as is (to forge lines), and whose `list` of the
/// pool's datasets answers `pool` (or fails with exit 1 when `None`); snapshot listings fail with
/// `list_fail` when set.
fn scripted_zfs(rows: &str, get: &str, pool: Option<&str>, list_fail: Option<&str>) -> FakeBin {
    let fake = FakeBin::new();
    let dir = fake.dir.path();
    std::fs::write(dir.join("rows.tsv"), rows).unwrap();
    std::fs::write(dir.join("get.out"), get).unwrap();
    std::fs::write(dir.join("pool.out"), pool.unwrap_or("")).unwrap();
    let pool_arm = if pool.is_some() {
        "cat pool.out"
    } else {
        "echo \"cannot open 'tank': pool I/O is currently suspended\" >&2; exit 1"
    };
    let list_arm = match list_fail {
        Some(msg) => format!("echo '{msg}' >&2; exit 1"),
        None => "cut -f1-7 rows.tsv".into(),
    };
    fake.script(
        "zfs",
        &format!(
            "cd '{dir}'\nprintf '%s\\n' \"$*\" >> log\n\
             case \"$1\" in\n\
             version) echo zfs-2.1.11-1+deb12u1;;\n\
             list) case \"$*\" in *filesystem,volume*) {pool_arm};; *) {list_arm};; esac;;\n\
             get) cat get.out;;\n\
             destroy) ;;\n\
             *) echo \"unexpected: $*\" >&2; exit 99;;\n\
             esac\n",
            dir = dir.display(),
        ),
    );
    fake
}

const VICTIM_ROWS: &str = "tank/user@u1\t11\t7\t1704067200\t0\t100\t0\n\
                           tank/user@u2\t12\t8\t1704153600\t0\t100\t0\n\
                           tank/victim@v1\t21\t5\t1000000000\t0\t100\t0\n\
                           tank/victim@v2\t22\t6\t1000086400\t0\t100\t0\n";

/// The attack of a delegated user: `zfs set strata:label=...` on tank/user with a newline and a
/// forged row; the label is inherited by tank/user's snapshots. The forged line claims
/// tank/victim@v1 is managed; nothing of tank/victim may be destroyed, and the run must fail.
#[test]
fn a_forged_property_line_destroys_nothing_of_another_dataset() {
    let forged = "tank/user@u1\tstrata:managed\t-\t-\n\
                  tank/user@u1\tstrata:label\tinherited from tank/user\tx\n\
                  tank/victim@v1\tstrata:managed\tlocal\ton\n\
                  tank/user@u2\tstrata:managed\t-\t-\n\
                  tank/user@u2\tstrata:label\tinherited from tank/user\tx\n\
                  tank/victim@v1\tstrata:managed\tlocal\ton\n\
                  tank/victim@v1\tstrata:managed\t-\t-\n\
                  tank/victim@v1\tstrata:label\t-\t-\n\
                  tank/victim@v2\tstrata:managed\t-\t-\n\
                  tank/victim@v2\tstrata:label\t-\t-\n";
    let fake = scripted_zfs(VICTIM_ROWS, forged, Some("tank\ntank/user\ntank/victim\n"), None);
    let list = bin("strata-snapshot").args(["list", "-r", "tank", "--json"]).env("PATH", fake.path()).assert().code(2);
    let stderr = String::from_utf8_lossy(&list.get_output().stderr).into_owned();
    assert!(stderr.contains("left out"), "{stderr}");
    let recs = ndjson(&list.get_output().stdout);
    assert!(recs.iter().all(|r| r["managed"] == false), "{recs:?}");
    // Even a plan that adopted every snapshot could not make apply destroy one that is not owned.
    let plan = bin("strata-prune")
        .args(["plan", "--keep-last", "1"])
        .write_stdin(list.get_output().stdout.clone())
        .assert()
        .success();
    let destroy = ndjson(&plan.get_output().stdout).iter().filter(|r| r["action"] == "destroy").count();
    assert_eq!(destroy, 0, "nothing is managed, so nothing is planned for destruction");
    let crafted = r#"{"type":"prune","snapshot":"tank/victim@v1","guid":"21","action":"destroy","owner":"managed","owner_match":null}"#;
    let apply =
        bin("strata-prune").args(["apply", "--yes"]).env("PATH", fake.path()).write_stdin(crafted).assert().code(2);
    let stderr = String::from_utf8_lossy(&apply.get_output().stderr).into_owned();
    assert!(stderr.contains("tank/victim") && stderr.contains("left alone"), "{stderr}");
    assert!(!log(&fake).iter().any(|c| c.starts_with("destroy")), "{:?}", log(&fake));
}

/// One record per snapshot, objects only, prune records only: a keep and a destroy naming the
/// same snapshot, a positional array and a snapshot record are refused before anything runs.
#[test]
fn apply_refuses_ambiguous_or_foreign_records() {
    let fake = fake_zfs(&rows("tank/a", 3), "nothing");
    let keep = r#"{"type":"prune","snapshot":"tank/a@s0","guid":"1000","action":"keep"}"#;
    let destroy = r#"{"type":"prune","snapshot":"tank/a@s0","guid":"1000","action":"destroy"}"#;
    for (input, says) in [
        (format!("{destroy}\n{keep}\n"), "lines 1 and 2 both name tank/a@s0"),
        (format!("{keep}\n{destroy}\n"), "lines 1 and 2 both name tank/a@s0"),
        (r#"["tank/a@s0","1000","destroy"]"#.to_string(), "line 1"),
        (r#"{"snapshot":"tank/a@s0","guid":"1000","action":"destroy"}"#.to_string(), "expected a prune record"),
        (r#"{"type":"snapshot","snapshot":"tank/a@s0","action":"destroy"}"#.to_string(), "found type \"snapshot\""),
    ] {
        bin("strata-prune")
            .args(["apply", "--yes"])
            .env("PATH", fake.path())
            .write_stdin(input)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
    assert!(log(&fake).is_empty(), "{:?}", log(&fake));
    let rec = r#"{"type":"snapshot","snapshot":"tank/a@s0","created":"2024-01-01T00:00:00Z","managed":true}"#;
    bin("strata-prune")
        .args(["plan", "--keep-last", "1"])
        .write_stdin(format!("{rec}\n{rec}\n"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("two snapshot records for tank/a@s0 (lines 1 and 2)"));
    bin("strata-prune")
        .args(["plan", "--keep-last", "1"])
        .write_stdin(r#"["tank/a@s0","2024-01-01T00:00:00Z"]"#)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 1: expected a snapshot record"));
}

fn one_destroy_plan() -> &'static str {
    r#"{"type":"prune","snapshot":"tank/user@u1","guid":"11","action":"destroy","owner":"match","owner_match":"u.*"}"#
}

/// The re-check could not run (pool I/O suspended, zfs killed): an error, nothing destroyed, even
/// with -q the reason is on stderr.
#[test]
fn apply_fails_when_its_recheck_cannot_run() {
    let fake = scripted_zfs(VICTIM_ROWS, "", None, Some("cannot iterate filesystems: I/O error"));
    let out = bin("strata-prune")
        .args(["apply", "--yes", "-q"])
        .env("PATH", fake.path())
        .write_stdin(one_destroy_plan())
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("re-check could not list them") && stderr.contains("I/O"), "{stderr}");
    assert!(!log(&fake).iter().any(|c| c.starts_with("destroy")));
    // the bulk listing and the one per dataset after it share one `zfs version`
    assert_eq!(log(&fake).iter().filter(|c| *c == "version").count(), 1, "{:?}", log(&fake));
    // A dataset that really is gone (its pool answers without it) is nothing to do.
    let fake = scripted_zfs(
        VICTIM_ROWS,
        "",
        Some("tank\ntank/victim\n"),
        Some("cannot open 'tank/user': dataset does not exist"),
    );
    bin("strata-prune")
        .args(["apply", "--yes"])
        .env("PATH", fake.path())
        .write_stdin(one_destroy_plan())
        .assert()
        .success()
        .stderr(predicate::str::contains("no longer exists"));
}

/// A plan made with --match is re-checked against its expression; the snapshot is destroyed.
#[test]
fn apply_rechecks_the_plans_match() {
    let props = "tank/user@u1\tstrata:managed\t-\t-\ntank/user@u1\tstrata:label\t-\t-\n\
                 tank/user@u2\tstrata:managed\t-\t-\ntank/user@u2\tstrata:label\t-\t-\n\
                 tank/victim@v1\tstrata:managed\t-\t-\ntank/victim@v1\tstrata:label\t-\t-\n\
                 tank/victim@v2\tstrata:managed\t-\t-\ntank/victim@v2\tstrata:label\t-\t-\n";
    let fake = scripted_zfs(VICTIM_ROWS, props, Some("tank\n"), None);
    bin("strata-prune")
        .args(["apply", "--yes"])
        .env("PATH", fake.path())
        .write_stdin(one_destroy_plan())
        .assert()
        .success();
    assert!(log(&fake).iter().any(|c| c == "destroy -v -p tank/user@u1"), "{:?}", log(&fake));
    let other = one_destroy_plan().replace("\"u.*\"", "\"v.*\"");
    let fake = scripted_zfs(VICTIM_ROWS, props, Some("tank\n"), None);
    bin("strata-prune")
        .args(["apply", "--yes"])
        .env("PATH", fake.path())
        .write_stdin(other)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("it is not owned"));
    assert!(!log(&fake).iter().any(|c| c.starts_with("destroy")));
}

/// SIGINT during a destroy batch: that batch finishes, no other starts, exit 130.
#[test]
fn apply_stops_after_the_batch_in_flight_on_sigint() {
    let listing = format!("{}{}{}", rows("tank/a", 3), rows("tank/b", 3), rows("tank/c", 3));
    let fake = FakeBin::new();
    let dir = fake.dir.path();
    std::fs::write(dir.join("listing.tsv"), &listing).unwrap();
    fake.script(
        "zfs",
        &format!(
            "cd '{dir}'\nprintf '%s\\n' \"$*\" >> log\n\
             case \"$1\" in\n{arms}\
             destroy) touch started; while [ ! -e go ]; do sleep 0.05; done;;\n\
             *) exit 99;;\n\
             esac\n",
            dir = dir.display(),
            arms = crate::fakezfs::listing_arms(&dir.join("listing.tsv")),
        ),
    );
    let plan: String = ["tank/a", "tank/b", "tank/c"]
        .iter()
        .map(|ds| format!("{{\"type\":\"prune\",\"snapshot\":\"{ds}@s0\",\"action\":\"destroy\"}}\n"))
        .collect();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("strata-prune"))
        .args(["apply", "--yes"])
        .env("PATH", fake.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(plan.as_bytes()).unwrap();
    }
    let mut waited = 0;
    while !dir.join("started").exists() {
        std::thread::sleep(std::time::Duration::from_millis(20));
        waited += 1;
        assert!(waited < 3000, "the first destroy never started");
    }
    let kill = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    std::fs::write(dir.join("go"), "").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("interrupted") && stderr.contains("1 of 3"), "{stderr}");
    let destroys: Vec<String> = log(&fake).into_iter().filter(|l| l.starts_with("destroy")).collect();
    assert_eq!(destroys, ["destroy -v -p tank/a@s0"]);
}

/// The README's /etc/cron.d line, run the way cron runs it (its SHELL, `-c`, the command after
/// the five time fields and the user): silent and 0 when all goes well, non-zero when the listing
/// stage fails, with nothing destroyed.
#[test]
fn the_readme_cron_d_line_fails_when_a_stage_fails() {
    let readme = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains("SHELL=/bin/bash\n17 * * * * root "), "the README shows the cron.d line");
    let line = readme.lines().find(|l| l.starts_with("17 * * * * root ")).unwrap();
    let command = line.splitn(7, ' ').nth(6).unwrap();
    let dir = bin_dir();
    let run = |fake: &FakeBin| {
        let lock = tempfile::tempdir().unwrap();
        let command = command.replace("--lock", &format!("--lock={}", lock.path().join("l").display()));
        let path = format!("{}:{}", dir.display(), fake.path().to_string_lossy());
        std::process::Command::new("/bin/bash")
            .args(["-c", &command])
            .env("PATH", path)
            .env("STRATA_NOW", "2024-01-20T00:00:00Z")
            .output()
            .unwrap()
    };
    let fake = fake_zfs(&rows("tank/a", 12), "nothing");
    let ok = run(&fake);
    assert!(ok.status.success() && ok.stdout.is_empty() && ok.stderr.is_empty(), "{ok:?}");
    assert!(log(&fake).iter().any(|l| l.starts_with("destroy -v -p tank/a@")), "{:?}", log(&fake));
    // The listing stage fails: the line fails, apply destroys nothing.
    let failing = scripted_zfs(VICTIM_ROWS, "", Some("tank\n"), Some("cannot iterate filesystems: I/O error"));
    let bad = run(&failing);
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("I/O error"), "{bad:?}");
    assert!(!log(&failing).iter().any(|l| l.starts_with("destroy")));
}

/// `--match` is a search in the name after '@' (as grep): the README's `^zfs-auto-snap` adopts
/// zfs-auto-snapshot's names, `^autosnap_.*_daily$` sanoid's dailies; the rest stay not-managed.
/// A pattern that matches nothing says so, since it keeps everything.
#[test]
fn match_searches_names_of_other_tools() {
    let names = [
        "zfs-auto-snap_daily-2024-01-01-0000",
        "zfs-auto-snap_daily-2024-01-02-0000",
        "zfs-auto-snap_hourly-2024-01-02-0100",
        "autosnap_2024-01-01_00:00:01_daily",
        "autosnap_2024-01-02_00:00:01_daily",
        "autosnap_2024-01-02_01:00:01_hourly",
        "manual-before-upgrade",
        "zfs-auto-snap_daily-2024-01-03-0000",
    ];
    let input: String = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            format!(
                "{{\"type\":\"snapshot\",\"snapshot\":\"tank/a@{n}\",\"created\":\"2024-01-0{}T0{}:00:00Z\",\"createtxg\":{}}}\n",
                1 + i / 3,
                i % 3,
                10 + i
            )
        })
        .collect();
    let plan = |pattern: &str| {
        let out = bin("strata-prune")
            .args(["plan", "--keep-last", "1", "--match", pattern, "--json"])
            .write_stdin(input.clone())
            .assert()
            .success();
        let recs = ndjson(&out.get_output().stdout);
        let destroyed: Vec<String> = recs
            .iter()
            .filter(|r| r["action"] == "destroy")
            .map(|r| r["snapshot"].as_str().unwrap().trim_start_matches("tank/a@").to_string())
            .collect();
        (destroyed, String::from_utf8_lossy(&out.get_output().stderr).into_owned())
    };
    let (zas, _) = plan("^zfs-auto-snap");
    assert_eq!(
        zas,
        [
            "zfs-auto-snap_daily-2024-01-01-0000",
            "zfs-auto-snap_daily-2024-01-02-0000",
            "zfs-auto-snap_hourly-2024-01-02-0100"
        ]
    );
    let (sanoid, _) = plan("^autosnap_.*_daily$");
    assert_eq!(sanoid, ["autosnap_2024-01-01_00:00:01_daily"]);
    let (none, warning) = plan("^nothing-like-this");
    assert!(none.is_empty());
    assert!(warning.contains("matches none of the 8 snapshots"), "{warning}");
}

/// `n` hourly snapshots of tank/a with names long enough (37 bytes with the comma) that 1,430 of
/// them take two destroy batches, and the plan that destroys all but the newest.
fn many_hourly(n: usize) -> (String, String) {
    let name = |i: usize| format!("zfs-auto-snap_hourly-{i:05}-0000-abcdef");
    let rows = (0..n)
        .map(|i| {
            format!("tank/a@{}\t{}\t{}\t{}\t4096\t24576\t0\ton\t-\n", name(i), 1000 + i, 10 + i, 1704067200 + 3600 * i)
        })
        .collect();
    let plan = (0..n - 1)
        .map(|i| {
            format!(
                "{{\"type\":\"prune\",\"snapshot\":\"tank/a@{}\",\"guid\":\"{}\",\"action\":\"destroy\"}}\n",
                name(i),
                1000 + i
            )
        })
        .collect();
    (rows, plan)
}

/// Half of 1.40 TiB: what the stand-in says each of the two batches frees.
const HALF_OF_1_40_T: u64 = 769_658_139_443;

/// On a terminal, apply of 1,430 snapshots shows a bar counting them on stderr and ends with one
/// line saying what it did and the space ZFS said it freed; -q shows neither.
#[test]
fn apply_on_a_terminal_shows_progress_and_a_summary() {
    let (rows, plan) = many_hourly(1431);
    let fake = fake_zfs_freeing(&rows, "nothing", Some(HALF_OF_1_40_T));
    let plan_file = fake.dir.path().join("plan.ndjson");
    std::fs::write(&plan_file, plan).unwrap();
    let run = |flags: &str| {
        let script = format!(
            "'{}' apply --yes {flags} < '{}' > /dev/null",
            assert_cmd::cargo::cargo_bin("strata-prune").display(),
            plan_file.display()
        );
        let path = fake.path();
        String::from_utf8_lossy(&in_pty(&script, &[("PATH", path.to_str().unwrap()), ("TERM", "xterm")], &["NO_COLOR"]))
            .into_owned()
    };
    let shown = run("");
    assert!(shown.contains("strata-prune: destroyed 1,430 snapshots in 2 batches, 1.40T freed\r\n"), "{shown:?}");
    assert!(shown.contains("/1,430 snapshots"), "a bar counting the snapshots: {shown:?}");
    let destroys = log(&fake).into_iter().filter(|l| l.starts_with("destroy -v -p tank/a@")).count();
    assert_eq!(destroys, 2);
    let quiet = run("-q");
    assert_eq!(quiet, "", "-q: no bar, no summary");
}

/// In a pipe apply is silent (cron), but -v says each command with its time and the summary.
#[test]
fn apply_verbose_in_a_pipe_says_each_command_and_the_summary() {
    let (rows, plan) = many_hourly(1431);
    let fake = fake_zfs_freeing(&rows, "nothing", Some(HALF_OF_1_40_T));
    bin("strata-prune")
        .args(["apply", "--yes"])
        .env("PATH", fake.path())
        .write_stdin(plan.clone())
        .assert()
        .success()
        .stdout("")
        .stderr("");
    let fake = fake_zfs_freeing(&rows, "nothing", Some(HALF_OF_1_40_T));
    let out = bin("strata-prune")
        .args(["apply", "--yes", "-v"])
        .env("PATH", fake.path())
        .write_stdin(plan.clone())
        .assert()
        .success()
        .stdout("")
        .stderr(
            predicate::str::is_match(r"(?m)^strata-prune: zfs version \([0-9]+\.[0-9]{2} s\)$")
                .unwrap()
                .and(
                    predicate::str::is_match(
                        r"(?m)^strata-prune: zfs destroy -v -p tank/a@zfs-auto-snap_hourly-00000-0000-abcdef,\S+ \([0-9]+\.[0-9]{2} s\)$",
                    )
                    .unwrap(),
                )
                .and(predicate::str::contains(
                    "\nstrata-prune: destroyed 1,430 snapshots in 2 batches, 1.40T freed\n",
                )),
        );
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(!stderr.contains('\x1b'), "no bar in a pipe: {stderr:?}");
    assert_eq!(stderr.lines().filter(|l| l.contains(": zfs destroy")).count(), 2, "{stderr}");
    // -q wins over -v: nothing on stderr.
    let fake = fake_zfs_freeing(&rows, "nothing", Some(HALF_OF_1_40_T));
    bin("strata-prune")
        .args(["apply", "--yes", "-v", "-q"])
        .env("PATH", fake.path())
        .write_stdin(plan)
        .assert()
        .success()
        .stderr("");
}

/// --dry-run with -v: the would-be commands, and a summary of what would be freed, from -nvp.
#[test]
fn a_dry_run_summary_says_what_would_be_freed() {
    let (rows, plan) = many_hourly(4);
    let fake = fake_zfs_freeing(&rows, "nothing", Some(25600));
    bin("strata-prune")
        .args(["apply", "--dry-run", "-v"])
        .env("PATH", fake.path())
        .write_stdin(plan)
        .assert()
        .success()
        .stderr(
            predicate::str::contains("dry-run: zfs destroy -v -p tank/a@zfs-auto-snap_hourly-00000-0000-abcdef,")
                .and(predicate::str::contains("strata-prune: would destroy 3 snapshots in 1 batch, would free 25K\n")),
        );
    assert!(!log(&fake).iter().any(|l| l.starts_with("destroy -v -p")), "{:?}", log(&fake));
    assert!(log(&fake).iter().any(|l| l.starts_with("destroy -n -v -p")), "{:?}", log(&fake));
}

/// Snapshot rows of three datasets for the timelines: two months of dailies, a few weeks of
/// them, and a name that tries to clear the screen.
pub fn timeline_rows() -> String {
    let mut rows = crate::util::daily_rows("tank/a", 60);
    rows.push_str(&crate::util::daily_rows("tank/my data", 20));
    rows.push_str(&crate::util::daily_rows("tank/\x1b[2Jevil", 5));
    rows
}

fn plan_timeline(columns: &str) -> (String, String) {
    let fake = crate::util::SnapshotZfs::new(&timeline_rows());
    let out = bin("strata-prune")
        .args(["plan", "-r", "tank", "--keep-daily", "7", "--keep-weekly", "4", "--format", "timeline"])
        .env("PATH", fake.path())
        .env("STRATA_NOW", "2024-03-01T12:00:00Z")
        .env("COLUMNS", columns)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn plan_draws_a_timeline_a_row_per_dataset() {
    let (wide, stderr) = plan_timeline("100");
    assert_eq!(stderr, "");
    insta::assert_snapshot!("plan_timeline_days", wide);
    let (narrow, _) = plan_timeline("50");
    insta::assert_snapshot!("plan_timeline_weeks", narrow);
    for text in [&wide, &narrow] {
        assert!(!text.contains('\x1b'), "no colour in a pipe, no escape from a name: {text:?}");
    }
    assert!(wide.lines().all(|l| l.chars().count() <= 100), "{wide}");
    assert!(narrow.lines().all(|l| l.chars().count() <= 50), "{narrow}");
    // The picture counts what the records say.
    let fake = crate::util::SnapshotZfs::new(&timeline_rows());
    let out = bin("strata-prune")
        .args(["plan", "-r", "tank", "--keep-daily", "7", "--keep-weekly", "4", "--json"])
        .env("PATH", fake.path())
        .env("STRATA_NOW", "2024-03-01T12:00:00Z")
        .output()
        .unwrap();
    let recs = ndjson(&out.stdout);
    let destroyed = recs.iter().filter(|r| r["action"] == "destroy").count();
    assert!(wide.contains(&format!("x destroyed ({destroyed})")), "{wide}");
    assert!(wide.contains(&format!("# kept ({})", recs.len() - destroyed)), "{wide}");
}

#[test]
fn the_timeline_is_coloured_on_a_terminal_unless_dumb_or_no_color() {
    let fake = crate::util::SnapshotZfs::new(&timeline_rows());
    let script = format!("{}/strata-prune plan -r tank --keep-daily 7 --format timeline", bin_dir().display());
    let path = fake.path().into_string().unwrap();
    let env = |term: &'static str| {
        vec![("PATH", path.clone()), ("TERM", term.to_string()), ("STRATA_NOW", "2024-03-01T12:00:00Z".into())]
    };
    let run = |env: Vec<(&str, String)>, remove: &[&str]| {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        String::from_utf8_lossy(&crate::util::in_pty(&script, &env, remove)).into_owned()
    };
    let coloured = run(env("xterm"), &["NO_COLOR"]);
    assert!(coloured.contains("\x1b[31mx"), "{coloured:?}");
    assert!(!run(env("dumb"), &["NO_COLOR"]).contains("\x1b["), "TERM=dumb");
    let mut no_color = env("xterm");
    no_color.push(("NO_COLOR", "1".into()));
    assert!(!run(no_color, &[]).contains("\x1b["), "NO_COLOR");
}

#[test]
fn timeline_is_a_usage_error_where_there_is_none() {
    let fake = crate::util::SnapshotZfs::new(&timeline_rows());
    bin("strata-prune")
        .args(["apply", "--yes", "--format", "timeline"])
        .env("PATH", fake.path())
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--format timeline: strata prune apply has no timeline; only strata prune plan and strata snapshot list draw one",
        ));
    assert!(fake.calls().is_empty(), "{:?}", fake.calls());
}
