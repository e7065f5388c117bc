//! Host tests of strata-quota: argument checks, exit codes, the Nagios line and the Prometheus
//! file through the real binary. `zfs` is a stand-in script at the process seam that replays the
//! real `zfs list` output of the lab's fixtures and logs its argv; the real ZFS behaviour is
//! covered by the lab scenarios (tests/lab/quota.rs).

use std::path::Path;

use predicates::prelude::*;

use crate::util::{FakeBin, bin, fixture, ndjson};

/// The real `list_space_r` fixture in the columns strata-quota asks for (the ones it lacks:
/// refquota and refreservation none, usedbysnapshots 0), with tank/var/log's `used` replaced.
fn space_rows(log_used: u64) -> String {
    let raw = String::from_utf8(fixture("2.3", "list_space_r")).unwrap();
    let mut out = String::new();
    for line in raw.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let used = if f[0] == "tank/var/log" { log_used.to_string() } else { f[1].to_string() };
        out.push_str(&[f[0], &used, f[2], f[3], f[4], "0", f[5], "0", "0", f[6], f[7]].join("\t"));
        out.push('\n');
    }
    out
}

/// A stand-in `zfs`: `list` prints the rows, `set` succeeds; every call is logged.
struct FakeZfs {
    bin: FakeBin,
}

impl FakeZfs {
    fn new(log_used: u64) -> FakeZfs {
        let bin = FakeBin::new();
        let rows = bin.dir.path().join("rows.tsv");
        std::fs::write(&rows, space_rows(log_used)).unwrap();
        let log = bin.dir.path().join("calls.log");
        bin.script(
            "zfs",
            &format!(
                "echo \"$*\" >> '{}'\ncase \"$1\" in list) cat '{}';; set) exit 0;; *) echo \"unexpected: $*\" >&2; exit 99;; esac\n",
                log.display(),
                rows.display()
            ),
        );
        FakeZfs { bin }
    }

    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.bin.dir.path().join("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

const LIST: &str = "list -H -p -o name,used,avail,refer,quota,refquota,reservation,refreservation,usedbysnapshots,compression,compressratio";

#[test]
fn bad_values_are_refused_before_zfs_runs() {
    for (args, names) in [
        (vec!["tank/var/log", "quota=abc"], "quota=abc"),
        (vec!["tank/var/log", "quota=10X"], "quota=10X"),
        (vec!["tank/var/log", "reservation=-1G"], "reservation=-1G"),
        (vec!["tank/var/log", "compression=bogus"], "compression=bogus"),
        (vec!["tank/var/log", "compression=zstd-20"], "compression=zstd-20"),
        (vec!["tank/var/log", "compression=gzip-10"], "compression=gzip-10"),
        (vec!["tank/var/log", "nosuchprop=1"], "nosuchprop"),
        (vec!["tank/var/log", "quota"], "quota"),
        (vec!["tank/var/log@snap", "quota=1G"], "tank/var/log@snap"),
        (vec!["tank//log", "quota=1G"], "tank//log"),
    ] {
        let zfs = FakeZfs::new(49152);
        let mut cmd = vec!["set"];
        cmd.extend(&args);
        bin("strata-quota")
            .args(&cmd)
            .env("PATH", zfs.bin.path())
            .assert()
            .code(2)
            .stderr(predicate::str::contains(names));
        assert_eq!(zfs.calls(), Vec::<String>::new(), "zfs ran for {args:?}");
    }
    // The same through the dispatcher.
    bin("strata")
        .args(["quota", "set", "tank/var/log", "compression=bogus"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bogus"));
}

/// A size past 16 EiB once wrapped around: 2^68 E to 0 (`zfs set quota=none`, the quota gone),
/// 2^68+1 E to 1E. Any such value is refused naming the value and the property, and zfs never
/// runs, not even the read.
#[test]
fn sizes_too_large_for_zfs_are_refused_before_zfs_runs() {
    for value in [
        "quota=295147905179352825856E",
        "quota=295147905179352825857E",
        "refquota=16E",
        "reservation=16384P",
        "refreservation=18446744073709551616",
        "quota=16.000000000000000001E",
        "userquota@alice=295147905179352825856E",
        "groupquota@staff=340282366920938463463374607431768211456",
    ] {
        let zfs = FakeZfs::new(49152);
        let prop = value.split_once('=').unwrap().0;
        bin("strata-quota")
            .args(["set", "tank/var/log", "compression=zstd", value])
            .env("PATH", zfs.bin.path())
            .assert()
            .code(2)
            .stdout("")
            .stderr(
                predicate::str::contains(value)
                    .and(predicate::str::contains(format!("{prop}: invalid size")))
                    .and(predicate::str::contains("below 16 EiB")),
            );
        assert_eq!(zfs.calls(), Vec::<String>::new(), "zfs ran for {value}");
    }
    // The largest size there is still goes through, exactly.
    let zfs = FakeZfs::new(49152);
    bin("strata-quota")
        .args(["set", "tank/var/log", "quota=18446744073709551615", "refquota=15.5E"])
        .env("PATH", zfs.bin.path())
        .assert()
        .code(0);
    assert_eq!(
        zfs.calls(),
        vec![
            format!("{LIST} tank/var/log tank/var"),
            "set quota=18446744073709551615 refquota=15872P tank/var/log".to_string()
        ]
    );
}

#[test]
fn refusals_against_current_values_run_only_the_read() {
    for (value, why) in [
        ("quota=16K", "is below the 48K (49152 bytes) that tank/var/log already uses"),
        ("reservation=100G", "reservation=100G is larger than the quota of tank/var/log, 64M"),
        ("quota=4M", "quota=4M is below the reservation of tank/var/log, 8M"),
    ] {
        let zfs = FakeZfs::new(49152);
        bin("strata-quota")
            .args(["set", "tank/var/log", "compression=zstd", value])
            .env("PATH", zfs.bin.path())
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("nothing was changed").and(predicate::str::contains(why)));
        assert_eq!(zfs.calls(), vec![format!("{LIST} tank/var/log tank/var")]);
    }
}

#[test]
fn set_is_one_zfs_set_call_and_dry_run_only_shows_it() {
    let zfs = FakeZfs::new(49152);
    bin("strata-quota")
        .args(["set", "tank/var/log", "quota=200M", "reservation=50M", "compression=zstd"])
        .env("PATH", zfs.bin.path())
        .assert()
        .code(0)
        .stdout("")
        .stderr("");
    assert_eq!(
        zfs.calls(),
        vec![
            format!("{LIST} tank/var/log tank/var"),
            "set quota=200M reservation=50M compression=zstd tank/var/log".to_string()
        ]
    );

    let zfs = FakeZfs::new(49152);
    bin("strata-quota")
        .args(["set", "--dry-run", "tank/var/log", "reservation=50M", "quota=200M"])
        .env("PATH", zfs.bin.path())
        .assert()
        .code(0)
        .stderr("dry-run: zfs set reservation=50M quota=200M tank/var/log\n");
    assert_eq!(zfs.calls(), vec![format!("{LIST} tank/var/log tank/var")], "a dry run only reads");
}

#[test]
fn report_keeps_exact_bytes_in_ndjson_and_csv() {
    let zfs = FakeZfs::new(49152);
    let out = bin("strata-quota")
        .args(["report", "-r", "tank"])
        .env("PATH", zfs.bin.path())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let recs = ndjson(&out);
    assert_eq!(recs.len(), 6);
    assert_eq!(recs[5]["dataset"], "tank/var/log");
    assert_eq!(recs[5]["quota_bytes"], 67108864);
    assert_eq!(recs[5]["compress_ratio"], 1.08);
    assert_eq!(zfs.calls(), vec![format!("{LIST} -r tank")]);
    let csv = bin("strata-quota")
        .args(["report", "--format", "csv"])
        .env("PATH", zfs.bin.path())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("type,dataset,used_bytes,available_bytes,referenced_bytes,quota_bytes,"), "{csv}");
    assert!(csv.contains("quota,tank/var/log,49152,67059712,24576,67108864,,8388608,,0,on,1.08,0.07,\n"), "{csv}");
}

#[test]
fn check_exit_codes_follow_the_thresholds() {
    const MIB: u64 = 1 << 20;
    for (used, code, level) in
        [(49152, 0, None), (52 * MIB, 1, Some("warn")), (62 * MIB, 2, Some("crit")), (67206144, 2, Some("crit"))]
    {
        let zfs = FakeZfs::new(used);
        let out = bin("strata-quota")
            .args(["check", "--json"])
            .env("PATH", zfs.bin.path())
            .assert()
            .code(code)
            .get_output()
            .stdout
            .clone();
        let recs = ndjson(&out);
        assert_eq!(
            recs.iter().map(|r| r["level"].as_str().unwrap().to_string()).collect::<Vec<_>>(),
            level.map(str::to_string).into_iter().collect::<Vec<_>>()
        );
    }
    let zfs = FakeZfs::new(52 * MIB);
    bin("strata-quota")
        .args(["check", "--nagios"])
        .env("PATH", zfs.bin.path())
        .assert()
        .code(1)
        .stdout("QUOTA WARNING - tank/var/log 81.2% of quota 64M|'tank/var/log'=81.25%;80;95;0;100\n");
}

#[test]
fn check_argument_mistakes_exit_2() {
    bin("strata-quota").args(["check", "--warn", "101%"]).assert().code(2).stderr(predicate::str::contains("101%"));
    bin("strata-quota").args(["check", "--crit", "lots"]).assert().code(2).stderr(predicate::str::contains("lots"));
    bin("strata-quota")
        .args(["check", "--warn", "96%"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--warn 96% is above --crit 95%"));
}

#[test]
fn check_errors_exit_3() {
    let empty = tempfile::tempdir().unwrap();
    bin("strata-quota")
        .args(["check", "tank"])
        .env("PATH", empty.path())
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::starts_with("strata-quota: error: cannot check the quotas: cannot run `zfs list"));
    bin("strata-quota").args(["check", "--nagios", "tank"]).env("PATH", empty.path()).assert().code(3).stdout(
        predicate::str::starts_with("QUOTA UNKNOWN - cannot run `zfs list").and(predicate::str::ends_with("\n")),
    );
}

/// Runs `promtool check metrics` on a file; panics with a clear message when promtool is missing.
fn promtool(path: &Path) -> std::process::Output {
    let file = std::fs::File::open(path).unwrap();
    std::process::Command::new("promtool").args(["check", "metrics"]).stdin(file).output().unwrap_or_else(|e| {
        panic!("promtool is needed to check the Prometheus file ({e}); on Debian: apt-get install -y --no-install-recommends prometheus")
    })
}

/// Panics with promtool's words when it objects to the file.
fn promtool_check(path: &Path) {
    let out = promtool(path);
    assert!(
        out.status.success(),
        "promtool check metrics refused {}:\n{}{}\n--- file ---\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(path).unwrap()
    );
}

#[test]
fn prometheus_file_passes_promtool() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("strata_quota.prom");
    let zfs = FakeZfs::new(52 << 20);
    bin("strata-quota")
        .args(["check", "-r", "tank", "--prometheus"])
        .arg(&path)
        .env("PATH", zfs.bin.path())
        .env("STRATA_NOW", "2026-11-25T12:00:00Z")
        .assert()
        .code(1);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("strata_quota_check_success 1\n")
            && text.contains("strata_quota_level{dataset=\"tank/var/log\"} 1\n"),
        "{text}"
    );
    promtool_check(&path);

    // An error replaces the file with one that says so, and that passes too.
    let empty = tempfile::tempdir().unwrap();
    bin("strata-quota").args(["check", "--prometheus"]).arg(&path).env("PATH", empty.path()).assert().code(3);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("strata_quota_check_success 0\n") && !text.contains("strata_quota_level"), "{text}");
    promtool_check(&path);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "no temporary file left behind: {names:?}");
}

#[test]
fn promtool_refuses_a_broken_file() {
    // The check above can fail: promtool does object to a malformed file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.prom");
    std::fs::write(&path, "strata_quota_used_bytes{dataset=\"a} 1\n").unwrap();
    assert!(!promtool(&path).status.success());
}

#[test]
fn help_names_every_subcommand() {
    let out = bin("strata-quota").arg("--help").assert().code(0).get_output().stdout.clone();
    let help = String::from_utf8(out).unwrap();
    for sub in ["report", "set", "check", "users"] {
        assert!(help.contains(sub), "{help}");
    }
}
