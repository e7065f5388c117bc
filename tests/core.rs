//! The shared core's promises, checked through real binaries: the exit-code table, a closed pipe,
//! a bad NDJSON line, colour rules, the lock. `zfs` is a stand-in script at the process seam here;
//! the real ZFS behaviour is covered by the lab scenarios.

use predicates::prelude::*;

use crate::util::{FakeBin, SnapshotZfs, bin, bin_dir, daily_rows, in_pty};

/// A stand-in `zfs` with `rows` snapshots of tank/a (`@s0`.., creation from 2023-08-08).
fn fake_zfs(rows: usize) -> SnapshotZfs {
    let mut text = String::new();
    for i in 0..rows {
        text.push_str(&format!(
            "tank/a@s{i}\t{}\t{}\t{}\t0\t24576\t0\ton\t-\n",
            1000 + i,
            10 + i,
            1691452806 + i as i64
        ));
    }
    SnapshotZfs::new(&text)
}

/// PATH with the strata binaries first, then the stand-ins (a plain [`FakeBin`]), then the system.
fn with_bin_dir(fake: &FakeBin) -> String {
    format!("{}:{}", bin_dir().display(), fake.path().to_string_lossy())
}

/// PATH with the strata binaries first, then the stand-ins, then the system.
fn with_bins(fake: &SnapshotZfs) -> String {
    format!("{}:{}", bin_dir().display(), fake.path().to_string_lossy())
}

#[test]
fn exit_code_table() {
    // 0: success.
    let fake = fake_zfs(3);
    bin("strata-snapshot").args(["list", "--json"]).env("PATH", fake.path()).assert().code(0);
    // 2: usage.
    bin("strata-snapshot").arg("--no-such-flag").assert().code(2).stderr(predicate::str::contains("--no-such-flag"));
    // 2: error, with the tool's name and the cause.
    let failing = FakeBin::new();
    failing.script("zfs", "echo \"cannot open 'tank/nope': dataset does not exist\" >&2; exit 1\n");
    bin("strata-snapshot").args(["list", "tank/nope"]).env("PATH", failing.path()).assert().code(2).stderr(
        predicate::str::starts_with("strata-snapshot: error: ").and(predicate::str::contains("dataset does not exist")),
    );
    // 75: another run holds the lock.
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("prune.lock");
    let holder =
        std::process::Command::new("flock").arg(&lock).args(["sleep", "30"]).spawn().expect("util-linux flock");
    for _ in 0..100 {
        if lock.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut holder = holder;
    let assert =
        bin("strata-prune").args(["apply", "--yes"]).arg(format!("--lock={}", lock.display())).write_stdin("").assert();
    let _ = holder.kill();
    let _ = holder.wait();
    assert.code(75).stderr(predicate::str::contains("holds the lock"));
}

#[test]
fn closed_pipe_ends_quietly_with_zero() {
    let fake = fake_zfs(200_000);
    let out = std::process::Command::new("bash")
        .args(["-c", "set -o pipefail; strata-snapshot list --json | head -1"])
        .env("PATH", with_bins(&fake))
        .output()
        .unwrap();
    assert!(out.status.success(), "exit {:?}, stderr: {}", out.status, String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stderr, b"", "stderr must stay empty");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("{\"type\":\"snapshot\",\"snapshot\":\"tank/a@s0\""));
}

#[test]
fn malformed_ndjson_names_the_line() {
    let input = "{\"snapshot\":\"tank/a@x\",\"created\":\"2023-08-08T00:00:06Z\"}\n\n{\"snapshot\": oops}\n";
    bin("strata-prune")
        .args(["plan", "--keep-last", "1"])
        .write_stdin(input)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("line 3"));
}

#[test]
fn no_color_means_no_escape_codes() {
    let fake = fake_zfs(2);
    let path = with_bins(&fake);
    let path = path.as_str();
    let cmd = "strata-snapshot list --format table; strata-snapshot --no-such-flag";
    let plain = in_pty(cmd, &[("PATH", path), ("NO_COLOR", "1"), ("TERM", "xterm")], &[]);
    assert!(!plain.contains(&0x1b), "escape codes despite NO_COLOR:\n{}", String::from_utf8_lossy(&plain));
    assert!(String::from_utf8_lossy(&plain).contains("tank/a@s1"));
    // The same on a terminal without NO_COLOR does use colour: the check above can fail.
    let coloured = in_pty(cmd, &[("PATH", path), ("TERM", "xterm")], &["NO_COLOR"]);
    assert!(coloured.contains(&0x1b), "expected colour on a terminal:\n{}", String::from_utf8_lossy(&coloured));
    // --color=never beats a terminal, --color=always beats a pipe.
    let never = in_pty(
        "strata-snapshot list --format table --color never",
        &[("PATH", path), ("TERM", "xterm")],
        &["NO_COLOR"],
    );
    assert!(!never.contains(&0x1b));
    bin("strata-snapshot")
        .args(["list", "--format", "table", "--color", "always"])
        .env("PATH", fake.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("\x1b["));
}

#[test]
fn format_auto_is_ndjson_in_a_pipe_and_csv_has_a_header() {
    let fake = fake_zfs(2);
    let out =
        bin("strata-snapshot").arg("list").env("PATH", fake.path()).assert().success().get_output().stdout.clone();
    let recs = crate::util::ndjson(&out);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0]["type"], "snapshot");
    assert_eq!(recs[0]["guid"], "1000");
    let csv = bin("strata-snapshot")
        .args(["list", "--format", "csv"])
        .env("PATH", fake.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("type,snapshot,dataset,name,created,"), "{csv}");
    assert_eq!(csv.lines().count(), 3);
}

/// The README's cron line that holds the lock, exactly as written there.
fn readme_cron_line() -> String {
    let readme = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let lines: Vec<&str> = readme
        .lines()
        .filter(|l| l.contains("prune apply") && l.contains("--lock") && l.starts_with("strata "))
        .collect();
    assert_eq!(lines.len(), 1, "the README should show one cron line with --lock: {lines:?}");
    lines[0].to_string()
}

#[test]
fn the_readme_cron_line_runs_once_at_a_time() {
    let fake = SnapshotZfs::blocking_destroy(&daily_rows("tank/a", 9));
    let dir = fake.dir().to_path_buf();
    let line = readme_cron_line();
    let run = || {
        let mut c = std::process::Command::new("sh");
        c.args(["-c", &line])
            .env("PATH", with_bins(&fake))
            .env("XDG_RUNTIME_DIR", &dir)
            .env("STRATA_NOW", "2024-01-10T00:00:00Z")
            .env_remove("NO_COLOR");
        c
    };
    let mut first = run().stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    // Wait (without a deadline: the test harness has one) until the first run is destroying.
    while !dir.join("started").exists() {
        if let Some(st) = first.try_wait().unwrap() {
            let out = first.wait_with_output().unwrap();
            panic!("the first run ended before destroying ({st}): {}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let second = run().output().unwrap();
    std::fs::write(dir.join("release"), "").unwrap();
    let first = first.wait_with_output().unwrap();
    assert_eq!(second.status.code(), Some(75), "second run: {}", String::from_utf8_lossy(&second.stderr));
    assert!(String::from_utf8_lossy(&second.stderr).contains("holds the lock"), "{second:?}");
    assert!(first.status.success(), "first run: {first:?}");
    assert!(first.stdout.is_empty() && first.stderr.is_empty(), "the cron line is silent: {first:?}");
    let destroys: Vec<String> = fake.calls().into_iter().filter(|l| l.starts_with("destroy")).collect();
    assert_eq!(destroys, ["destroy -v -p tank/a@s0,s1"], "only the first run destroys");
}

#[test]
fn bare_lock_takes_the_default_path_and_lock_equals_path_a_given_one() {
    let fake = fake_zfs(3);
    let dir = tempfile::tempdir().unwrap();
    // Bare --lock, before and after other flags and before a positional argument.
    for args in [vec!["apply", "--yes", "--lock"], vec!["apply", "--lock", "--yes"]] {
        bin("strata-prune")
            .args(&args)
            .env("PATH", fake.path())
            .env("XDG_RUNTIME_DIR", dir.path())
            .write_stdin("")
            .assert()
            .code(0)
            .stderr("");
    }
    // A positional argument after a bare --lock stays a positional argument.
    let out = bin("strata-snapshot")
        .args(["rollback", "--lock", "tank/a@s1", "--dry-run", "--json"])
        .env("PATH", fake.path())
        .env("XDG_RUNTIME_DIR", dir.path())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let recs = crate::util::ndjson(&out);
    assert_eq!(recs.last().unwrap()["result"], "would-roll-back", "{recs:?}");
    assert_eq!(recs.last().unwrap()["snapshot"], "tank/a@s1");
    let lock = dir.path().join("given.lock");
    bin("strata-prune")
        .args(["apply", "--yes"])
        .arg(format!("--lock={}", lock.display()))
        .env("PATH", fake.path())
        .write_stdin("")
        .assert()
        .code(0);
    assert!(lock.exists());
    // The help says how to give a path.
    bin("strata-prune")
        .args(["apply", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--lock[=<PATH>]"));
}

/// Runs `cmd` with its standard output on a pipe whose reading end is already closed, so every
/// write to it fails with EPIPE, and returns its exit code and standard error.
fn run_into_closed_pipe(cmd: &mut std::process::Command) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out =
        cmd.stdin(std::process::Stdio::null()).stdout(writer).stderr(std::process::Stdio::piped()).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A binary of this package as a plain std command (for wiring its stdout).
fn std_bin(name: &str) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin(name));
    c.env_remove("NO_COLOR").env_remove("STRATA_NOW");
    c
}

#[test]
fn a_closed_pipe_keeps_the_answer_of_a_query() {
    // quota check: tank/var/log at 62 MiB of its 64 MiB quota is critical (2).
    let quota = FakeBin::new();
    quota.script(
        "zfs",
        "case \"$1\" in list) printf 'tank/var/log\\t65011712\\t2097152\\t24576\\t67108864\\t0\\t8388608\\t0\\t0\\ton\\t1.08\\n';; \
         *) echo \"unexpected: $*\" >&2; exit 99;; esac\n",
    );
    for args in [&["check", "--json"][..], &["check", "--nagios"], &["check", "--format", "table"]] {
        let (code, stderr) = run_into_closed_pipe(std_bin("strata-quota").args(args).env("PATH", quota.path()));
        assert_eq!((code, stderr.as_str()), (Some(2), ""), "strata-quota {args:?}");
    }

    // diff: changes found (1).
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zfs-2.3");
    let diff = FakeBin::new();
    diff.script(
        "zfs",
        &format!(
            "case \"$1\" in diff) cat '{}';; list) ;; *) echo \"unexpected: $*\" >&2; exit 99;; esac\n",
            fixtures.join("diff_S1_S2.out").display()
        ),
    );
    let (code, stderr) = run_into_closed_pipe(
        std_bin("strata-diff")
            .args(["tank/srv/docker/victim.org@2023-08-08-00-00-06", "tank/srv/docker/victim.org@2023-08-09-00-00-06"])
            .env("PATH", diff.path()),
    );
    assert_eq!((code, stderr.as_str()), (Some(1), ""), "strata-diff");

    // harden-check: an exposure above the threshold (1).
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/strata-harden-check/testdata/corpus");
    let (code, stderr) = run_into_closed_pipe(std_bin("strata-harden-check").arg("--root").arg(&corpus).args([
        "--threshold",
        "0.1",
        "redis-server",
    ]));
    assert_eq!((code, stderr.as_str()), (Some(1), ""), "strata-harden-check");

    // And a positive answer stays 0.
    let fake = fake_zfs(3);
    let (code, stderr) =
        run_into_closed_pipe(std_bin("strata-snapshot").args(["list", "--json"]).env("PATH", fake.path()));
    assert_eq!((code, stderr.as_str()), (Some(0), ""), "strata-snapshot list");
}

/// A stand-in zfs with `n` datasets of two snapshots each, and the file of a plan that keeps the
/// last of each: one destroy per dataset.
fn one_destroy_per_dataset(n: usize) -> (SnapshotZfs, std::path::PathBuf) {
    let rows: String = (0..n).map(|i| daily_rows(&format!("tank/d{i:03}"), 2)).collect();
    let fake = SnapshotZfs::new(&rows);
    let list = bin("strata-snapshot").args(["list", "-r", "tank"]).env("PATH", fake.path()).assert().success();
    let plan = bin("strata-prune")
        .args(["plan", "--keep-last", "1"])
        .write_stdin(list.get_output().stdout.clone())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let plan_file = fake.dir().join("plan.ndjson");
    std::fs::write(&plan_file, plan).unwrap();
    (fake, plan_file)
}

#[test]
fn a_closed_pipe_does_not_stop_prune_apply_half_way() {
    // 300 datasets with two snapshots each: keeping the last leaves one destroy per dataset.
    let (fake, plan_file) = one_destroy_per_dataset(300);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std_bin("strata-prune")
        .args(["apply", "--yes", "--json"])
        .env("PATH", fake.path())
        .stdin(std::fs::File::open(&plan_file).unwrap())
        .stdout(writer)
        .output()
        .unwrap();
    let destroys = fake.calls().into_iter().filter(|c| c.starts_with("destroy")).count();
    assert_eq!(destroys, 300, "every destroy runs although nobody reads the records");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn a_failing_stdout_is_reported_after_the_work_is_done() {
    let (fake, plan_file) = one_destroy_per_dataset(200);
    // /dev/full: every write fails with ENOSPC.
    let out = std_bin("strata-prune")
        .args(["apply", "--yes", "--json"])
        .env("PATH", fake.path())
        .stdin(std::fs::File::open(&plan_file).unwrap())
        .stdout(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap())
        .output()
        .unwrap();
    let destroys = fake.calls().into_iter().filter(|c| c.starts_with("destroy")).count();
    assert_eq!(destroys, 200, "the work goes on when its output cannot be written");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("strata-prune: error: cannot write to standard output")
            && stderr.contains("ran to its end (its exit status would have been 0)")
            && stderr.contains("No space left on device"),
        "{stderr}"
    );
}

#[test]
fn rollback_in_csv_reports_what_it_did_in_every_record_type() {
    let fake = SnapshotZfs::new(&daily_rows("tank/a", 3));
    let out = bin("strata-snapshot")
        .args(["rollback", "--yes", "--format", "csv", "tank/a@s0"])
        .env("PATH", fake.path())
        .assert()
        .code(0)
        .stderr("")
        .get_output()
        .stdout
        .clone();
    assert!(fake.calls().contains(&"rollback -r tank/a@s0".to_string()), "{:?}", fake.calls());
    let text = String::from_utf8(out).unwrap();
    let blocks: Vec<&str> = text.split("\n\n").collect();
    assert_eq!(blocks.len(), 2, "{text}");
    assert!(blocks[0].starts_with("type,snapshot,") && blocks[0].contains("\nsnapshot,tank/a@s2,"), "{text}");
    assert_eq!(
        blocks[1],
        "type,snapshot,dataset,newer_snapshots,changed_files,result\nrollback,tank/a@s0,tank/a,2,0,rolled-back\n"
    );
    // Every format carries both record types, so none can fail after the rollback.
    for format in ["json", "table", "plain"] {
        let fake = SnapshotZfs::new(&daily_rows("tank/a", 3));
        bin("strata-snapshot")
            .args(["rollback", "--yes", "--format", format, "tank/a@s0"])
            .env("PATH", fake.path())
            .assert()
            .code(0)
            .stdout(predicate::str::contains("tank/a@s0"));
    }
}

/// A stand-in `zfs` whose `diff` prints three added files, as ZFS escapes them: a plain name, one
/// that sets the window title and holds a newline (`x<ESC>]0;title<BEL><LF>/etc/shadow`), and
/// one that is not UTF-8.
fn hostile_diff_zfs() -> FakeBin {
    let fake = FakeBin::new();
    let out = fake.dir.path().join("diff.out");
    std::fs::write(
        &out,
        "1795636746.152000000\t+\tF\t/tank/a/plain.txt\n\
         1795636746.152000000\t+\tF\t/tank/a/x\\0033]0;title\\0007\\0012/etc/shadow\n\
         1795636746.152000000\t+\tF\t/tank/a/latin\\0377.txt\n",
    )
    .unwrap();
    fake.script("zfs", &format!("case \"$1\" in diff) cat '{}';; list) ;; *) exit 99;; esac\n", out.display()));
    fake
}

const HOSTILE: &[u8] = b"/tank/a/x\x1b]0;title\x07\n/etc/shadow";
const DIFF_ARGS: [&str; 2] = ["tank/a@1", "tank/a@2"];

#[test]
fn plain_output_keeps_one_name_per_line_and_print0_the_exact_bytes() {
    let fake = hostile_diff_zfs();
    // In a pipe, plain escapes a name's control characters: one record, one line.
    let out = bin("strata-diff")
        .args(DIFF_ARGS)
        .args(["--format", "plain"])
        .env("PATH", fake.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        ["/tank/a/plain.txt", "/tank/a/x\\x1b]0;title\\x07\\x0a/etc/shadow", "/tank/a/latin\u{fffd}.txt"],
        "{text:?}"
    );
    // --print0: each value exactly as it is (the bytes of a name that is not UTF-8 included),
    // ended by a NUL byte.
    let out = bin("strata-diff")
        .args(DIFF_ARGS)
        .arg("--print0")
        .env("PATH", fake.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let names: Vec<&[u8]> = out.split(|&b| b == 0).collect();
    assert_eq!(names, [&b"/tank/a/plain.txt"[..], HOSTILE, b"/tank/a/latin\xff.txt", b""], "{out:?}");
    // --print0 is plain output: with another format it is a usage error.
    for other in [&["--format", "json"][..], &["--json"], &["--format", "csv"]] {
        bin("strata-diff")
            .args(DIFF_ARGS)
            .arg("--print0")
            .args(other)
            .env("PATH", fake.path())
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("--print0"));
    }
    // CSV in a pipe keeps the exact value, quoted as CSV quotes a field with a newline.
    let out = bin("strata-diff")
        .args(DIFF_ARGS)
        .args(["--format", "csv"])
        .env("PATH", fake.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let quoted = [&b"\""[..], HOSTILE, b"\""].concat();
    assert!(out.windows(quoted.len()).any(|w| w == quoted), "{}", String::from_utf8_lossy(&out));
}

#[test]
fn plain_and_csv_on_a_terminal_are_escaped_like_tables() {
    let fake = hostile_diff_zfs();
    let path = with_bin_dir(&fake);
    for format in ["plain", "csv", "table"] {
        let shown = in_pty(
            &format!("strata-diff {} {} --format {format}", DIFF_ARGS[0], DIFF_ARGS[1]),
            &[("PATH", path.as_str()), ("TERM", "xterm")],
            &["NO_COLOR"],
        );
        let text = String::from_utf8_lossy(&shown);
        assert!(!shown.contains(&0x07) && !text.contains("\x1b]0;"), "--format {format} retitles the window: {text:?}");
        assert!(text.contains("/tank/a/x\\x1b]0;title\\x07\\x0a/etc/shadow"), "--format {format}: {text:?}");
    }
}

#[test]
fn list_escapes_the_names_of_tools_on_path() {
    let fake = FakeBin::new();
    fake.script("strata-EVIL\x1b]0;owned\x07", "exit 0\n");
    let out = bin("strata").arg("--list").env("PATH", fake.path()).assert().success().get_output().stdout.clone();
    let text = String::from_utf8_lossy(&out);
    assert!(!out.contains(&0x1b) && !out.contains(&0x07), "{text:?}");
    assert!(text.lines().any(|l| l.starts_with("EVIL\\x1b]0;owned\\x07 ")), "{text}");
}

#[test]
fn a_bad_input_line_is_named_once_and_shown_short() {
    let fake = SnapshotZfs::new(&daily_rows("tank/a", 3));
    let keep = r#"{"type":"prune","snapshot":"tank/a@s0","action":"keep","owner":"managed"}"#;
    // Invalid UTF-8 on line 3 (after a blank line): named, exit 2, nothing run.
    let input = [keep.as_bytes(), b"\n\n{\"type\":\"prune\",\"snapshot\":\"tank/a@\xff\"}\n"].concat();
    let out = bin("strata-prune")
        .args(["apply", "--yes"])
        .env("PATH", fake.path())
        .write_stdin(input)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err, "strata-prune: error: stdin: line 3, column 36: not UTF-8: byte 0xff (records are UTF-8 JSON)\n");
    // A JSON error names the reader's line only, not also the parser's "line 1".
    let out = bin("strata-prune")
        .args(["apply", "--yes"])
        .env("PATH", fake.path())
        .write_stdin(format!("{keep}\n{{\"snapshot\": oops}}\n"))
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stdin: line 2, column 14: expected value"), "{err}");
    assert_eq!(err.matches("line").count(), 1, "{err}");
    // A 1 MB bad line is shown cut, with its length.
    let huge = format!(
        "{{\"type\":\"prune\",\"snapshot\":\"tank/a@s0\",\"owner\":\"managed\",\"action\":\"{}\"}}\n",
        "x".repeat(1 << 20)
    );
    let out = bin("strata-prune")
        .args(["apply", "--yes"])
        .env("PATH", fake.path())
        .write_stdin(huge.clone())
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.len() < 500, "{} bytes on stderr", err.len());
    assert!(err.contains(&format!("(cut; the line is {} bytes long)", huge.len())), "{err}");
    assert!(fake.calls().iter().all(|c| !c.starts_with("destroy")), "{:?}", fake.calls());
}

/// Runs `cmd` (a bash command line) under a pseudo-terminal, typing `typed` on it, and returns
/// its exit code and what the terminal showed.
fn on_a_terminal_typing(cmd: &str, typed: &str, path: &str) -> (Option<i32>, String) {
    use std::io::Write;
    let mut child = std::process::Command::new("script")
        .args(["-qec", cmd, "/dev/null"])
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux script(1) is needed for terminal tests");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(typed.as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// prune apply and rollback ask the same way: on the terminal, where only "yes" goes on; off a
/// terminal they refuse without --yes (the other tests), with --yes they do not ask.
#[test]
fn changing_commands_that_destroy_ask_on_the_terminal_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.ndjson");
    std::fs::write(
        &plan,
        "{\"type\":\"prune\",\"snapshot\":\"tank/a@s0\",\"guid\":\"1000\",\"action\":\"destroy\",\"owner\":\"managed\"}\n",
    )
    .unwrap();
    let apply = format!("strata-prune apply < '{}'", plan.display());
    let rollback = "strata-snapshot rollback tank/a@s0";
    for (cmd, act) in [(apply.as_str(), "destroy"), (rollback, "rollback")] {
        // Any answer but "yes": refused, exit 2, nothing done.
        let fake = fake_zfs(3);
        let (code, shown) = on_a_terminal_typing(cmd, "no\n", &with_bins(&fake));
        assert_eq!(code, Some(2), "{cmd}: {shown}");
        assert!(shown.contains("Type 'yes' to go on:") && shown.contains("(not confirmed)"), "{cmd}: {shown}");
        assert!(!fake.calls().iter().any(|c| c.starts_with(act)), "{cmd}: {:?}", fake.calls());
        // "yes": done, and silent on stdout like every action command without --format.
        let fake = fake_zfs(3);
        let (code, shown) = on_a_terminal_typing(cmd, "yes\n", &with_bins(&fake));
        assert_eq!(code, Some(0), "{cmd}: {shown}");
        assert!(fake.calls().iter().any(|c| c.starts_with(act)), "{cmd}: {:?}", fake.calls());
    }
}

/// Action commands print records only when a format is given, and say what they did at -v.
#[test]
fn action_commands_are_silent_without_a_format_and_say_what_they_did_at_v() {
    let fake = fake_zfs(3);
    bin("strata-snapshot")
        .args(["rollback", "--yes", "tank/a@s1"])
        .env("PATH", fake.path())
        .assert()
        .success()
        .stdout("")
        .stderr("");
    let fake = fake_zfs(3);
    bin("strata-snapshot")
        .args(["rollback", "--yes", "-v", "tank/a@s1"])
        .env("PATH", fake.path())
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains("rolling back tank/a destroys 1 newer snapshot(s)"));
    let plan = "{\"type\":\"prune\",\"snapshot\":\"tank/a@s0\",\"guid\":\"1000\",\"action\":\"destroy\",\"owner\":\"managed\"}\n";
    let fake = fake_zfs(3);
    bin("strata-prune")
        .args(["apply", "--yes", "-v"])
        .env("PATH", fake.path())
        .write_stdin(plan)
        .assert()
        .success()
        .stdout("")
        .stderr(
            predicate::str::contains("\nstrata-prune: destroyed 1 snapshot of tank/a\n")
                .and(predicate::str::ends_with("\nstrata-prune: destroyed 1 snapshot in 1 batch\n")),
        );
    let fake = fake_zfs(3);
    let out = bin("strata-prune")
        .args(["apply", "--yes", "--json"])
        .env("PATH", fake.path())
        .write_stdin(plan)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let recs = crate::util::ndjson(&out);
    assert_eq!((recs.len(), recs[0]["type"].as_str()), (1, Some("destroy")), "{recs:?}");
    // --dry-run: the would-be command on stderr, nothing on stdout without a format.
    let fake = fake_zfs(0);
    bin("strata-snapshot")
        .args(["create", "--dry-run", "tank/a"])
        .env("PATH", fake.path())
        .env("STRATA_NOW", "2023-08-08T00:00:06Z")
        .assert()
        .success()
        .stdout("")
        .stderr("dry-run: zfs snapshot -o strata:managed=on tank/a@2023-08-08-00-00-06\n");
    assert!(!fake.calls().iter().any(|c| c.starts_with("snapshot")));
}

/// -v shows each command a tool runs and its time, from the one runner every tool shares (a read
/// and a streamed one here); -vv also names each as it starts; -q wins over -v; without -v the
/// commands are not shown.
#[test]
fn verbose_shows_each_command_and_its_time() {
    let fake = fake_zfs(2);
    let time = r" \([0-9]+\.[0-9]{2} s\)\n";
    let listed =
        bin("strata-snapshot").args(["list", "tank/a", "--json", "-v"]).env("PATH", fake.path()).assert().success();
    let err = String::from_utf8_lossy(&listed.get_output().stderr).into_owned();
    let want = [
        "strata-snapshot: zfs version".to_string(),
        "strata-snapshot: zfs list -H -p -t snapshot -o name,guid,createtxg,creation,used,referenced,userrefs -d 1 tank/a".into(),
        "strata-snapshot: zfs get -H -p -t snapshot -o name,property,source,value strata:managed,strata:label -d 1 tank/a".into(),
    ];
    let pattern = want.iter().map(|w| format!("{}{time}", w.replace('.', r"\."))).collect::<String>();
    assert!(predicate::str::is_match(format!("^{pattern}$")).unwrap().eval(&err), "{err}");
    let very =
        bin("strata-snapshot").args(["list", "tank/a", "--json", "-vv"]).env("PATH", fake.path()).assert().success();
    let err = String::from_utf8_lossy(&very.get_output().stderr).into_owned();
    assert!(err.starts_with("strata-snapshot: running zfs version\nstrata-snapshot: zfs version ("), "{err}");
    bin("strata-snapshot")
        .args(["list", "tank/a", "--json", "-v", "-q"])
        .env("PATH", fake.path())
        .assert()
        .success()
        .stderr("");
    bin("strata-snapshot").args(["list", "tank/a", "--json"]).env("PATH", fake.path()).assert().success().stderr("");
    // A streamed command (zfs diff) is timed to the end of its output.
    bin("strata-diff").args(["tank/a@s0", "tank/a@s1", "-v"]).env("PATH", fake.path()).assert().success().stderr(
        predicate::str::is_match(format!("^strata-diff: zfs diff -H -F -t tank/a@s0 tank/a@s1{time}$")).unwrap(),
    );
}

/// -q silences information, never an error.
#[test]
fn quiet_never_hides_an_error() {
    let empty = tempfile::tempdir().unwrap();
    let out = bin("strata-quota")
        .args(["check", "--nagios", "-q", "tank"])
        .env("PATH", empty.path())
        .assert()
        .code(3)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("strata-quota: error: ") && err.contains("cannot run `zfs list"), "{err}");
    // A bookmark that cannot be made leaves its snapshot alone and fails the run, loudly.
    let fake = fake_zfs(3);
    let plan = "{\"type\":\"prune\",\"snapshot\":\"tank/a@s0\",\"guid\":\"1000\",\"action\":\"destroy\",\"owner\":\"managed\"}\n";
    let out = bin("strata-prune")
        .args(["apply", "--yes", "-q", "--bookmark"])
        .env("PATH", fake.path())
        .write_stdin(plan)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error: tank/a@s0: left alone"), "{err}");
    assert!(!fake.calls().iter().any(|c| c.starts_with("destroy")), "{:?}", fake.calls());
}

/// harden-check --write --dry-run shows where it would write, on the dry-run path.
#[test]
fn harden_check_dry_run_shows_the_files_it_would_write() {
    let dir = tempfile::tempdir().unwrap();
    let sys = dir.path().join("lib/systemd/system");
    std::fs::create_dir_all(&sys).unwrap();
    std::fs::write(sys.join("a.service"), "[Service]\nExecStart=/bin/true\n").unwrap();
    let out = bin("strata-harden-check")
        .args(["--suggest", "--write", "--dry-run", "--root"])
        .arg(dir.path())
        .arg("a")
        .assert()
        .success()
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err, "dry-run: install /etc/systemd/system/a.service.d/50-strata-harden.conf\n");
    assert!(!dir.path().join("etc/systemd/system/a.service.d").exists());
}

/// Terminal columns a string takes, as a terminal draws it: two for CJK and emoji, one for the
/// rest (the test's own reading of UAX #11, independent of the code under test).
fn shown_width(s: &str) -> usize {
    s.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115f | 0x2e80..=0xa4cf | 0xac00..=0xd7a3 | 0xf900..=0xfaff | 0xff00..=0xff60 => 2,
            0x1f300..=0x1f64f | 0x1f680..=0x1f6ff | 0x1f900..=0x1f9ff | 0x20000..=0x3fffd => 2,
            _ => 1,
        })
        .sum()
}

/// The words of a line (split at runs of spaces) with the terminal column each starts and ends at.
fn words(line: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut col = 0;
    let mut start = None;
    for (i, c) in line.char_indices() {
        if c == ' ' {
            if let Some((s, scol)) = start.take() {
                out.push((scol, col, &line[s..i]));
            }
        } else if start.is_none() {
            start = Some((i, col));
        }
        col += shown_width(&c.to_string());
    }
    if let Some((s, scol)) = start {
        out.push((scol, col, &line[s..]));
    }
    out
}

/// What `cmd` shows on a terminal `cols` columns wide (COLUMNS unset), lines without `\r`.
fn on_terminal_of(cols: usize, cmd: &str, path: &str, env: &[(&str, &str)]) -> String {
    let mut all = vec![("PATH", path)];
    all.extend_from_slice(env);
    let shown = in_pty(&format!("stty cols {cols} rows 40; {cmd}"), &all, &["COLUMNS", "LINES"]);
    String::from_utf8_lossy(&shown).replace('\r', "")
}

/// Quota rows as `zfs list -H -p -o name,used,avail,refer,quota,refquota,reservation,
/// refreservation,usedbysnapshots,compression,compressratio` prints them: CJK and emoji in names,
/// a long name, and one dataset with a quota among those without (0: none).
fn quota_zfs() -> FakeBin {
    let rows = "tank\t9084416\t863330816\t25600\t0\t0\t0\t0\t0\ton\t1.02\n\
                tank/数据/家目录\t377344\t863330816\t24576\t0\t0\t0\t0\t0\ton\t1.02\n\
                tank/🚀launch\t361472\t863330816\t24576\t0\t0\t0\t0\t0\tzstd\t1.02\n\
                tank/srv/docker/a-rather-long-dataset-name-of-one-container\t336896\t863330816\t292864\t0\t0\t0\t0\t0\tzstd\t1.02\n\
                tank/var/log\t49152\t67059712\t24576\t67108864\t0\t8388608\t0\t0\ton\t1.08\n";
    let fake = FakeBin::new();
    let file = fake.dir.path().join("rows.tsv");
    std::fs::write(&file, rows).unwrap();
    fake.script("zfs", &format!("case \"$1\" in list) cat '{}';; *) exit 99;; esac\n", file.display()));
    fake
}

/// The quota table's numbers end where their headers end, its text starts where its headers
/// start, on every first line of a row; `table` is what the terminal showed.
fn assert_quota_columns_line_up(table: &str, cols: usize) {
    let lines: Vec<&str> = table.lines().filter(|l| !l.is_empty()).collect();
    for l in &lines {
        assert!(shown_width(l) <= cols, "{} columns on a terminal of {cols}: {l:?}\n{table}", shown_width(l));
    }
    let head = words(lines[0]);
    let names: Vec<&str> = head.iter().map(|w| w.2).collect();
    assert_eq!(
        names,
        [
            "DATASET",
            "USED",
            "AVAIL",
            "REFER",
            "QUOTA",
            "REFQUOTA",
            "RESERV",
            "REFRESERV",
            "USEDSNAP",
            "COMPRESS",
            "RATIO",
            "USE"
        ],
        "{table}"
    );
    let rows: Vec<Vec<(usize, usize, &str)>> =
        lines[1..].iter().filter(|l| l.starts_with("tank")).map(|l| words(l)).collect();
    assert_eq!(rows.len(), 5, "one first line per dataset:\n{table}");
    for row in &rows {
        assert!(row.len() >= 11, "{row:?}\n{table}");
        for i in 1..=8 {
            assert_eq!(row[i].1, head[i].1, "{} ends under {} ends: {row:?}\n{table}", row[i].2, head[i].2);
        }
        assert_eq!(row[9].0, head[9].0, "COMPRESS starts in one column:\n{table}");
        assert_eq!(row[10].1, head[10].1, "RATIO:\n{table}");
    }
}

#[test]
fn tables_fit_the_terminal_and_line_up_wide_characters_and_none() {
    let fake = quota_zfs();
    let path = with_bin_dir(&fake);
    for cols in [200, 100] {
        let table = on_terminal_of(cols, "strata-quota report", &path, &[("TERM", "xterm"), ("NO_COLOR", "1")]);
        assert_quota_columns_line_up(&table, cols);
        // A quota of 64M and no quota sit in one right-aligned column.
        let quota_end = |l: &str| words(l)[4].1;
        let none = table.lines().find(|l| l.starts_with("tank ")).map(quota_end);
        let set = table.lines().find(|l| l.contains(" 64M ")).map(quota_end);
        assert_eq!(none, set, "{table}");
        // The long name folds inside its column at 100 and nothing is lost; at 200 it fits whole.
        let name = "tank/srv/docker/a-rather-long-dataset-name-of-one-container";
        let first = table.lines().position(|l| l.contains(" 286K ")).expect("the long name's row");
        // Its first line, then the lines that hold a piece of it alone.
        let folded: String = table
            .lines()
            .skip(first)
            .enumerate()
            .take_while(|(k, l)| *k == 0 || words(l).len() == 1)
            .map(|(_, l)| words(l)[0].2)
            .collect();
        assert!(folded.starts_with(name), "{folded}\n{table}");
        if cols == 200 {
            assert!(table.lines().any(|l| l.starts_with(name)), "{table}");
        } else {
            assert!(!table.lines().any(|l| l.starts_with(name)), "folded at {cols}:\n{table}");
        }
    }
    // COLUMNS beats the terminal's width, and reaches a pipe too.
    let table = on_terminal_of(200, "COLUMNS=100 strata-quota report", &path, &[("TERM", "xterm"), ("NO_COLOR", "1")]);
    assert_quota_columns_line_up(&table, 100);
    let out = bin("strata-quota")
        .args(["report", "--format", "table"])
        .env("COLUMNS", "100")
        .env("PATH", fake.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_quota_columns_line_up(&String::from_utf8_lossy(&out), 100);
    // A pipe without COLUMNS has no limit: nothing folds.
    let out = bin("strata-quota")
        .args(["report", "--format", "table"])
        .env_remove("COLUMNS")
        .env("PATH", fake.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8_lossy(&out);
    assert_eq!(out.lines().count(), 6, "{out}");
}

#[test]
fn narrow_terminals_fold_text_and_keep_numbers_whole() {
    let fake = SnapshotZfs::new(
        "tank/数据@2024-01-01\t1000\t10\t1704067200\t0\t24576\t0\ton\t-\n\
         tank/🚀@s1\t1001\t11\t1704153600\t1048576\t24576\t2\ton\t-\n\
         tank/srv/docker/a-rather-long-dataset-name@zfs-auto-snap_daily-2024-01-03-0000\t1002\t12\t1704240000\t5242880\t1073741824\t0\ton\t-\n",
    );
    let path = with_bins(&fake);
    for cols in [60, 80] {
        let table = on_terminal_of(cols, "strata-snapshot list", &path, &[("TERM", "xterm"), ("NO_COLOR", "1")]);
        let lines: Vec<&str> = table.lines().filter(|l| !l.is_empty()).collect();
        for l in &lines {
            assert!(shown_width(l) <= cols, "{} columns on a terminal of {cols}: {l:?}\n{table}", shown_width(l));
        }
        let head = words(lines[0]);
        let names: Vec<&str> = head.iter().map(|w| w.2).collect();
        assert_eq!(names, ["SNAPSHOT", "CREATED", "USED", "REFER", "HOLDS", "MANAGED", "LABEL"], "{table}");
        let rows: Vec<Vec<(usize, usize, &str)>> =
            lines[1..].iter().filter(|l| l.starts_with("tank/")).map(|l| words(l)).collect();
        assert_eq!(rows.len(), 3, "{table}");
        for row in &rows {
            assert_eq!(row.len(), 6, "{row:?}\n{table}");
            assert_eq!(row[1].0, head[1].0, "CREATED starts in one column:\n{table}");
            for i in 2..=4 {
                assert_eq!(row[i].1, head[i].1, "{} ends under {}:\n{table}", row[i].2, head[i].2);
            }
        }
        // Folding loses nothing of the long name.
        let text: String = table.split_whitespace().collect();
        assert!(text.contains("zfs-auto-snap_daily-2024-01-03-0000") || text.contains("tank/srv/"), "{table}");
        let pieces: String = lines
            .iter()
            .skip_while(|l| !l.starts_with("tank/srv/"))
            .enumerate()
            .take_while(|(k, l)| *k == 0 || !l.starts_with("tank/"))
            .map(|(_, l)| words(l).first().map_or("", |w| if w.0 == 0 { w.2 } else { "" }))
            .collect();
        assert_eq!(pieces, "tank/srv/docker/a-rather-long-dataset-name@zfs-auto-snap_daily-2024-01-03-0000", "{table}");
    }
}

#[test]
fn term_dumb_gets_no_bold_and_no_colour() {
    let fake = fake_zfs(2);
    let path = with_bins(&fake);
    let failing = FakeBin::new();
    failing.script("zfs", "echo \"cannot open 'tank/nope': dataset does not exist\" >&2; exit 1\n");
    let cmd = format!(
        "strata-snapshot list --format table; PATH='{}' strata-snapshot list tank/nope",
        with_bin_dir(&failing)
    );
    let dumb = on_terminal_of(80, &cmd, &path, &[("TERM", "dumb")]);
    assert!(!dumb.contains('\x1b'), "escape codes on TERM=dumb:\n{dumb:?}");
    assert!(dumb.contains("tank/a@s1") && dumb.contains("error: "), "{dumb}");
    // The same on another terminal has them: the check above can fail.
    let xterm = on_terminal_of(80, &cmd, &path, &[("TERM", "xterm")]);
    assert!(xterm.contains("\x1b[1m"), "{xterm:?}");
}

/// A stand-in `zfs` whose `diff` prints `first` changed files, then waits until the file
/// `release` exists in its directory (for a minute at most), then prints `then` more. It leaves
/// `released` there when it was let go, `gave_up` when it stopped waiting.
fn held_diff_zfs(first: usize, then: usize) -> FakeBin {
    let fake = FakeBin::new();
    let here = fake.dir.path().display().to_string();
    fake.script(
        "zfs",
        &format!(
            "here='{here}'\n\
             row() {{ printf '1795636746.152000000\\tM\\tF\\t/tank/a/file-%05d\\n' \"$1\"; }}\n\
             case \"$1\" in\n\
             diff)\n\
             \x20 i=0; while [ $i -lt {first} ]; do row $i; i=$((i+1)); done\n\
             \x20 n=0; while [ ! -e \"$here/release\" ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n+1)); done\n\
             \x20 if [ -e \"$here/release\" ]; then touch \"$here/released\"; else touch \"$here/gave_up\"; fi\n\
             \x20 while [ $i -lt {total} ]; do row $i; i=$((i+1)); done;;\n\
             list) ;;\n\
             *) exit 99;;\n\
             esac\n",
            total = first + then,
        ),
    );
    fake
}

#[test]
fn a_table_shows_its_rows_while_its_input_still_comes() {
    use std::io::Read;
    // More rows than one batch come, then zfs waits: on a terminal the table must show them
    // while it waits, not only once every row is in.
    let fake = held_diff_zfs(150, 50);
    let mut child = std::process::Command::new("script")
        .args(["-qec", "stty cols 100 rows 40; strata-diff tank/a@1 tank/a@2 --format table", "/dev/null"])
        .env("PATH", with_bin_dir(&fake))
        .env_remove("COLUMNS")
        .env("TERM", "dumb")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux script(1) is needed for terminal tests");
    let mut stdout = child.stdout.take().expect("piped");
    let mut shown = Vec::new();
    let mut chunk = [0u8; 4096];
    let release = fake.dir.path().join("release");
    loop {
        let n = stdout.read(&mut chunk).expect("read the terminal");
        if n == 0 {
            break;
        }
        shown.extend_from_slice(&chunk[..n]);
        if !release.exists() && String::from_utf8_lossy(&shown).contains("/tank/a/file-00149") {
            std::fs::write(&release, "").unwrap();
        }
    }
    let _ = child.wait();
    let shown = String::from_utf8_lossy(&shown).replace('\r', "");
    assert!(
        fake.dir.path().join("released").exists(),
        "the first 150 rows did not show while zfs was still running:\n{shown}"
    );
    // Every row, each once, in one table: one header, widths fixed by the first batch.
    assert_eq!(shown.lines().filter(|l| l.starts_with("CHANGE ")).count(), 1, "{shown}");
    for i in [0, 99, 100, 149, 150, 199] {
        assert_eq!(shown.matches(&format!("/tank/a/file-{i:05}\n")).count(), 1, "row {i}:\n{shown}");
    }
}

#[test]
fn a_command_of_28_000_characters_folds_inside_its_column() {
    // 5,001 snapshots of one dataset, the plan keeps the last: one destroy naming 5,000.
    let fake = SnapshotZfs::new(&daily_rows("tank/a", 5001));
    let list = bin("strata-snapshot").args(["list", "tank/a"]).env("PATH", fake.path()).assert().success();
    let plan = bin("strata-prune")
        .args(["plan", "--keep-last", "1"])
        .write_stdin(list.get_output().stdout.clone())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let plan_file = fake.dir().join("plan.ndjson");
    std::fs::write(&plan_file, plan).unwrap();
    let json = bin("strata-prune")
        .args(["apply", "--yes", "--json"])
        .env("PATH", fake.path())
        .pipe_stdin(&plan_file)
        .unwrap()
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let commands: String =
        crate::util::ndjson(&json).iter().filter_map(|r| r["command"].as_str().map(str::to_string)).collect();
    assert!(commands.len() > 28_000, "{} characters", commands.len());
    let cmd = format!("strata-prune apply --yes --format table < '{}' 2>/dev/null", plan_file.display());
    let table = on_terminal_of(80, &cmd, &with_bins(&fake), &[("TERM", "xterm"), ("NO_COLOR", "1")]);
    let lines: Vec<&str> = table.lines().filter(|l| !l.is_empty()).collect();
    for l in &lines {
        assert!(l.len() <= 80, "{} columns on a terminal of 80: {l}", l.len());
    }
    let at = lines[0].find("COMMAND").expect("a COMMAND column");
    let shown: String = lines[1..].iter().map(|l| l.get(at..).unwrap_or("")).collect();
    assert_eq!(shown, commands, "the command column, read down, is the whole command");
    assert!(lines.len() > 300, "{} lines", lines.len());
}
