//! Host tests of strata-snapshot through the real binary. `zfs` is a stand-in script at the
//! process seam that logs its argv; real ZFS behaviour is covered by the lab scenarios.

use predicates::prelude::*;

use crate::util::{FakeBin, bin, fixture, ndjson};

/// A stand-in zfs: `list` prints `listing` and exits `list_code`; every call is logged.
fn fake_zfs(listing: &str, list_code: i32) -> FakeBin {
    let fake = FakeBin::new();
    let dir = fake.dir.path();
    std::fs::write(dir.join("listing.tsv"), listing).unwrap();
    fake.script(
        "zfs",
        &format!(
            "printf '%s\\n' \"$*\" >> '{log}'\n\
             case \"$1\" in\n\
             list) cut -f1-7 '{listing}'; exit {list_code};;\n\
             {arms}\
             snapshot) ;;\n\
             *) echo \"unexpected: $*\" >&2; exit 99;;\n\
             esac\n",
            log = dir.join("log").display(),
            listing = dir.join("listing.tsv").display(),
            arms = crate::fakezfs::version_get_arms(&dir.join("listing.tsv")),
        ),
    );
    fake
}

fn log(fake: &FakeBin) -> Vec<String> {
    std::fs::read_to_string(fake.dir.path().join("log")).unwrap_or_default().lines().map(str::to_string).collect()
}

#[test]
fn create_is_one_call_named_by_the_utc_time_and_silent() {
    let fake = fake_zfs("", 1);
    bin("strata-snapshot")
        .args(["create", "tank/a", "tank/my data", "--label", "nightly"])
        .env("PATH", fake.path())
        .env("STRATA_NOW", "2023-08-08T02:00:06+02:00")
        .assert()
        .success()
        .stdout("")
        .stderr("");
    let calls = log(&fake);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(
        calls[0].starts_with("list -H -p -t snapshot -o ")
            && calls[0].ends_with(" tank/a@2023-08-08-00-00-06 tank/my data@2023-08-08-00-00-06"),
        "{}",
        calls[0]
    );
    assert_eq!(
        calls[1],
        "snapshot -o strata:managed=on -o strata:label=nightly tank/a@2023-08-08-00-00-06 tank/my data@2023-08-08-00-00-06"
    );
}

#[test]
fn create_refuses_bad_names_and_clashes_before_snapshotting() {
    let fake = fake_zfs("", 1);
    bin("strata-snapshot")
        .args(["create", "tank/a", "--name-format", "%Y/%m"])
        .env("PATH", fake.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid snapshot name"));
    bin("strata-snapshot")
        .args(["create", "tank/a;rm"])
        .env("PATH", fake.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid dataset name"));
    assert!(log(&fake).is_empty());
    let taken = "tank/a@x\t1\t2\t1691452806\t0\t0\t0\t-\t-\n";
    let fake = fake_zfs(taken, 1);
    bin("strata-snapshot")
        .args(["create", "tank/a", "tank/b", "--name-format", "x"])
        .env("PATH", fake.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("snapshot already exists: tank/a@x; nothing was made"));
    assert!(log(&fake).iter().all(|c| c.starts_with("list")), "{:?}", log(&fake));
}

#[test]
fn list_reads_real_zfs_output() {
    // The real fixture has 7 columns; strata asks for 9 (the two user properties, unset: '-').
    let raw = String::from_utf8(fixture("2.3", "list_snapshots_p")).unwrap();
    let rows: String = raw.lines().map(|l| format!("{l}\t-\t-\n")).collect();
    let fake = fake_zfs(&rows, 0);
    let out = bin("strata-snapshot").args(["list", "-r", "tank", "--json"]).env("PATH", fake.path()).assert().success();
    let recs = ndjson(&out.get_output().stdout);
    assert_eq!(recs.len(), raw.lines().count());
    assert_eq!(recs[0]["snapshot"], "tank@2023-08-08-00-00-06");
    assert_eq!(recs[0]["guid"], "16231529310019089945");
    assert_eq!(
        log(&fake),
        [
            "version",
            "list -H -p -t snapshot -o name,guid,createtxg,creation,used,referenced,userrefs -r tank",
            "get -H -p -t snapshot -o name,property,source,value strata:managed,strata:label -r tank",
        ]
    );
    bin("strata-snapshot")
        .args(["list", "-r", "tank", "--managed", "--json"])
        .env("PATH", fake.path())
        .assert()
        .success()
        .stdout("");
}

#[test]
fn rollback_refuses_without_yes_off_a_terminal() {
    let rows = "tank/a@s1\t1\t10\t1691452800\t0\t0\t0\ton\t-\ntank/a@s2\t2\t11\t1691452801\t0\t0\t0\ton\t-\n";
    let fake = fake_zfs(rows, 0);
    fake.script(
        "zfs",
        &format!(
            "printf '%s\\n' \"$*\" >> '{log}'\ncase \"$1\" in list) printf '{rows}' | cut -f1-7;; diff) printf 'M\\t/a/f\\n+\\t/a/g\\n';; *) exit 99;; esac\n",
            log = fake.dir.path().join("log").display(),
            rows = rows.replace('\t', "\\t").replace('\n', "\\n")
        ),
    );
    let out =
        bin("strata-snapshot").args(["rollback", "tank/a@s1", "--json"]).env("PATH", fake.path()).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("destroys 1 newer snapshot(s) and loses 2 changed file(s)"), "{stderr}");
    let recs = ndjson(&out.get_output().stdout);
    assert_eq!(recs[0]["snapshot"], "tank/a@s2");
    assert_eq!(recs[1]["result"], "refused");
    assert!(!log(&fake).iter().any(|c| c.starts_with("rollback")));
    bin("strata-snapshot")
        .args(["rollback", "tank/a@s1", "--dry-run"])
        .env("PATH", fake.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("dry-run: zfs rollback -r tank/a@s1"));
    assert!(!log(&fake).iter().any(|c| c.starts_with("rollback")));
}

fn list_timeline(columns: &str) -> String {
    let fake = crate::util::SnapshotZfs::new(&crate::prune::timeline_rows());
    let out = bin("strata-snapshot")
        .args(["list", "-r", "tank", "--format", "timeline"])
        .env("PATH", fake.path())
        .env("STRATA_NOW", "2024-03-01T12:00:00Z")
        .env("COLUMNS", columns)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn list_draws_a_timeline_of_what_exists() {
    let wide = list_timeline("100");
    insta::assert_snapshot!("list_timeline_days", wide);
    let narrow = list_timeline("40");
    insta::assert_snapshot!("list_timeline_weeks", narrow);
    assert!(wide.contains("(85 snapshots in all)"), "{wide}");
    assert!(narrow.lines().all(|l| l.chars().count() <= 40), "{narrow}");
    assert!(!wide.contains('\x1b') && !narrow.contains('\x1b'));
}

#[test]
fn timeline_on_create_is_a_usage_error_and_makes_nothing() {
    let fake = crate::util::SnapshotZfs::new("");
    bin("strata-snapshot")
        .args(["create", "tank/a", "--format", "timeline"])
        .env("PATH", fake.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "strata snapshot create has no timeline; only strata prune plan and strata snapshot list draw one",
        ));
    assert!(fake.calls().is_empty(), "{:?}", fake.calls());
}
