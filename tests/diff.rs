//! Host tests of strata-diff through the real binary. `zfs` is a stand-in script at the process
//! seam answering with the lab's real outputs; real ZFS behaviour is covered by the lab scenarios.

use predicates::prelude::*;

use crate::util::{FakeBin, bin, bin_dir, ndjson};

const S1: &str = "tank/srv/docker/victim.org@2023-08-08-00-00-06";
const S2: &str = "tank/srv/docker/victim.org@2023-08-09-00-00-06";
const A1: &str = "tank/srv/docker/victim.org@zfs-auto-snap_daily-2023-08-08-0000";

/// A stand-in zfs: `list` succeeds (or prints `list_err` and exits 1), `diff` prints the fixture
/// `diff_out` and exits `diff_code` with `diff_err` on stderr. Every call is logged.
fn fake_zfs(list_err: Option<&str>, diff_out: &str, diff_code: i32, diff_err: &str) -> FakeBin {
    let fake = FakeBin::new();
    let dir = fake.dir.path();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zfs-2.3");
    let list = match list_err {
        Some(e) => format!("echo \"{e}\" >&2; exit 1"),
        None => "exit 0".into(),
    };
    fake.script(
        "zfs",
        &format!(
            "printf '%s\\n' \"$*\" >> '{log}'\n\
             case \"$1\" in\n\
             list) {list};;\n\
             diff) cat '{out}'; echo '{diff_err}' >&2; exit {diff_code};;\n\
             *) echo \"unexpected: $*\" >&2; exit 99;;\n\
             esac\n",
            log = dir.join("log").display(),
            out = fixtures.join(format!("{diff_out}.out")).display(),
        ),
    );
    fake
}

fn log(fake: &FakeBin) -> Vec<String> {
    std::fs::read_to_string(fake.dir.path().join("log")).unwrap_or_default().lines().map(str::to_string).collect()
}

#[test]
fn changes_exit_1_and_stream_records() {
    let fake = fake_zfs(None, "diff_S1_S2", 0, "");
    let out = bin("strata-diff").args([S1, S2]).env("PATH", fake.path()).assert().code(1).get_output().clone();
    let recs = ndjson(&out.stdout);
    assert_eq!(recs.len(), 16);
    assert!(recs.iter().all(|r| r["type"] == "change" && r["from"] == S1 && r["to"] == S2));
    assert_eq!(log(&fake), vec![format!("diff -H -F -t {S1} {S2}")], "zfs diff alone when it succeeds");
}

#[test]
fn no_change_exits_0_and_the_dispatcher_runs_it_too() {
    let fake = fake_zfs(None, "diff_S1_A1_nochange", 0, "");
    bin("strata-diff").args([S1, A1]).env("PATH", fake.path()).assert().code(0).stdout("");
    bin("strata")
        .args(["diff", S1, A1, "--summary"])
        .env("PATH", fake.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"type\":\"summary\"").and(predicate::str::contains("\"changes\":0")));
}

#[test]
fn errors_exit_2_with_a_clear_message() {
    let fake = fake_zfs(
        Some("cannot open 'tank/var/log@nope': dataset does not exist"),
        "err_diff_nonexistent",
        1,
        "Unable to obtain diffs: No such file or directory",
    );
    bin("strata-diff")
        .args(["tank/var/log@nope"])
        .env("PATH", fake.path())
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("strata-diff: error: cannot compare: cannot open 'tank/var/log@nope'"));
    bin("strata-diff")
        .args(["tank/var/log@2023-08-08-00-00-06", S2])
        .env("PATH", fake.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("zfs diff compares snapshots of one filesystem"));
    let fake = fake_zfs(None, "diff_S1_A1_nochange", 1, "Not an earlier snapshot from the same fs: invalid name");
    bin("strata-diff")
        .args([S2, A1])
        .env("PATH", fake.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Not an earlier snapshot from the same fs"));
    bin("strata-diff")
        .args(["versions", "/proc/self/status"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not on a mounted ZFS filesystem"));
    bin("strata-diff").args([S1, "--glob", "[x"]).assert().code(2).stderr(predicate::str::contains("--glob"));
}

/// A line longer than any zfs diff prints (here a 4 MiB path) is an error naming the line and its
/// length, exit 2, after the records of the lines before it; stderr shows only its first bytes.
#[test]
fn a_line_too_long_for_zfs_diff_is_an_error() {
    let fake = FakeBin::new();
    let start = "1795636746.204000000\t+\tF\t/tank/srv/docker/victim.org/";
    let len = start.len() + (4 << 20);
    fake.script(
        "zfs",
        &format!(
            "printf '1795636746.204000000\\t+\\tF\\t/tank/srv/docker/victim.org/a\\n{start}'\n\
             head -c {} /dev/zero | tr '\\0' x\n\
             printf '\\n1795636746.204000000\\t+\\tF\\t/tank/srv/docker/victim.org/c\\n'\n",
            4 << 20
        ),
    );
    let out = bin("strata-diff").args([S1, S2]).env("PATH", fake.path()).assert().code(2).get_output().clone();
    let recs = ndjson(&out.stdout);
    assert_eq!(recs.len(), 1, "the line before it, nothing after");
    assert_eq!(recs[0]["path"], "/tank/srv/docker/victim.org/a");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("line 2: {len} bytes long, more than the 131072 a zfs diff line can hold")), "{err}");
    assert!(err.len() < 1000, "stderr is {} bytes: {err}", err.len());
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let fake = fake_zfs(None, "diff_S1_S2", 0, "");
    let out = std::process::Command::new("bash")
        .args(["-c", &format!("set -o pipefail; '{}/strata-diff' '{S1}' '{S2}' | head -c 10", bin_dir().display())])
        .env("PATH", fake.path())
        .output()
        .unwrap();
    // 1: changes were found; never a panic or an error message.
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
}

#[test]
fn the_table_sanitises_paths() {
    let fake = fake_zfs(None, "diff_S1_S2", 0, "");
    bin("strata-diff")
        .args([S1, S2, "--format", "table", "--change", "added", "--glob", "*line*"])
        .env("PATH", fake.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("/tank/srv/docker/victim.org/new\\x0aline.txt"));
}

#[test]
fn help_names_the_subcommands() {
    bin("strata-diff")
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("versions").and(predicate::str::contains("deleted")));
}
