//! Host tests of the policy on the datasets (strata:snapshot, strata:keep, strata:send,
//! com.sun:auto-snapshot) through the real binaries: `snapshot policy`, `policy set`,
//! `create --due`, `check`, `list --policy` and `prune plan --policy`. `zfs` is the stand-in of
//! [`crate::fakezfs::policy_zfs`]; the lab runs the same scenarios on a real pool.

use predicates::prelude::*;

use crate::util::{FakeBin, bin, ndjson};

/// A dataset tree behind the stand-in zfs.
struct Tree {
    bin: FakeBin,
}

/// tank (no policy), tank/srv (local: every 1h, keep daily=7), tank/srv/a (inherits),
/// tank/srv/b (overrides: every 1d, keep weekly=4), tank/srv/c (com.sun:auto-snapshot=false),
/// tank/var (local every 15m, no keep).
const DATASETS: &str = "tank\ntank/srv\ntank/srv/a\ntank/srv/b\ntank/srv/c\ntank/var\n";
const PROPS: &str = "tank/srv\tstrata:snapshot\t1h\n\
                     tank/srv\tstrata:keep\tdaily=7\n\
                     tank/srv/b\tstrata:snapshot\t1d\n\
                     tank/srv/b\tstrata:keep\tweekly=4\n\
                     tank/srv/c\tcom.sun:auto-snapshot\tfalse\n\
                     tank/var\tstrata:snapshot\t15m\n";

const T0: &str = "2024-01-10T12:00:00Z";
const T0_UNIX: i64 = 1704888000;

impl Tree {
    fn new(datasets: &str, props: &str, snaps: &str) -> Tree {
        let bin = FakeBin::new();
        let dir = bin.dir.path();
        std::fs::write(dir.join("datasets.tsv"), datasets).unwrap();
        std::fs::write(dir.join("props.tsv"), props).unwrap();
        std::fs::write(dir.join("snaps.tsv"), snaps).unwrap();
        bin.script("zfs", &crate::fakezfs::policy_zfs(dir));
        Tree { bin }
    }

    fn standard() -> Tree {
        Tree::new(DATASETS, PROPS, "")
    }

    fn calls(&self) -> Vec<String> {
        let p = self.bin.dir.path().join("calls.log");
        let v = std::fs::read_to_string(&p).unwrap_or_default().lines().map(str::to_string).collect();
        let _ = std::fs::remove_file(&p);
        v
    }

    fn cmd(&self, tool: &str, args: &[&str], now: &str) -> assert_cmd::Command {
        let mut c = bin(tool);
        c.args(args).env("PATH", self.bin.path()).env("STRATA_NOW", now);
        c
    }

    fn snapshot_calls(&self) -> Vec<String> {
        self.calls().into_iter().filter(|c| c.starts_with("snapshot ")).collect()
    }
}

fn by_dataset(v: &[serde_json::Value]) -> std::collections::HashMap<String, serde_json::Value> {
    v.iter().map(|r| (r["dataset"].as_str().unwrap().to_string(), r.clone())).collect()
}

#[test]
fn policy_shows_each_value_with_its_source_as_zfs_get_does() {
    let t = Tree::standard();
    let out = t.cmd("strata-snapshot", &["policy", "-r", "tank", "--json"], T0).assert().success().stderr("");
    let v = ndjson(&out.get_output().stdout);
    assert_eq!(v.len(), 6);
    let m = by_dataset(&v);
    assert_eq!(m["tank"]["interval"], serde_json::Value::Null);
    assert_eq!(m["tank"]["interval_source"], "default");
    assert_eq!(m["tank/srv"]["interval_source"], "local");
    assert_eq!(m["tank/srv/a"]["interval"], "1h");
    assert_eq!(m["tank/srv/a"]["interval_source"], "inherited from tank/srv");
    assert_eq!(m["tank/srv/a"]["interval_seconds"], 3600);
    assert_eq!(m["tank/srv/a"]["keep_source"], "inherited from tank/srv");
    assert_eq!(m["tank/srv/b"]["keep"], "weekly=4");
    assert_eq!(m["tank/srv/b"]["keep_source"], "local");
    assert_eq!(m["tank/srv/c"]["excluded"], true);
    assert!(v.iter().all(|r| r["valid"] == true && r["type"] == "policy"));
    // Two zfs reads (names, then proven values) after the version question.
    let calls = t.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert!(calls[2].starts_with("get -H -p -t filesystem,volume -o name,property,source,value "), "{calls:?}");
}

#[test]
fn policy_set_validates_everything_then_writes_one_zfs_set() {
    let t = Tree::standard();
    t.cmd("strata-snapshot", &["policy", "set", "tank/srv", "--every", "1h", "--keep", "daily=7,weekly=4"], T0)
        .assert()
        .success()
        .stdout("")
        .stderr("");
    assert_eq!(t.calls(), ["set strata:snapshot=1h strata:keep=daily=7,weekly=4 tank/srv"]);
    t.cmd(
        "strata-snapshot",
        &["policy", "set", "tank/srv", "--send", "backup@nas:pool/srv", "--inherit", "every,keep"],
        T0,
    )
    .assert()
    .success();
    assert_eq!(
        t.calls(),
        [
            "set strata:send=backup@nas:pool/srv tank/srv",
            "inherit strata:snapshot tank/srv",
            "inherit strata:keep tank/srv"
        ]
    );
    // One bad value: nothing is written, and the error names it.
    t.cmd("strata-snapshot", &["policy", "set", "tank/srv", "--every", "1h", "--keep", "daily=7,hourly"], T0)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("strata:keep").and(predicate::str::contains("nothing was changed")));
    t.cmd("strata-snapshot", &["policy", "set", "tank/srv", "--send", "-oProxyCommand=x:pool"], T0).assert().code(2);
    assert!(t.calls().is_empty());
    // --dry-run shows the command and runs nothing.
    t.cmd("strata-snapshot", &["policy", "set", "tank/srv", "--every", "15m", "--dry-run"], T0)
        .assert()
        .success()
        .stderr(predicate::str::contains("dry-run: zfs set strata:snapshot=15m tank/srv"));
    assert!(t.calls().is_empty());
}

#[test]
fn create_due_makes_one_snapshot_per_due_dataset_then_nothing_until_the_interval_passes() {
    let t = Tree::standard();
    t.cmd("strata-snapshot", &["create", "--due", "-r", "tank"], T0).assert().success().stdout("").stderr("");
    // One atomic call per interval; tank (no policy) and tank/srv/c (excluded) are not snapshotted.
    assert_eq!(
        t.snapshot_calls(),
        [
            "snapshot -o strata:managed=on -o strata:label=15m tank/var@2024-01-10-12-00-00",
            "snapshot -o strata:managed=on -o strata:label=1d tank/srv/b@2024-01-10-12-00-00",
            "snapshot -o strata:managed=on -o strata:label=1h tank/srv@2024-01-10-12-00-00 tank/srv/a@2024-01-10-12-00-00",
        ]
    );
    // Again at once, and 59 minutes later: nothing is due but tank/var (15m).
    t.cmd("strata-snapshot", &["create", "--due", "-r", "tank"], T0).assert().success().stdout("").stderr("");
    assert!(t.snapshot_calls().is_empty());
    t.cmd("strata-snapshot", &["create", "--due", "-r", "tank"], "2024-01-10T12:59:00Z").assert().success();
    assert_eq!(t.snapshot_calls(), ["snapshot -o strata:managed=on -o strata:label=15m tank/var@2024-01-10-12-59-00"]);
    // The interval has passed for the hourly ones.
    t.cmd("strata-snapshot", &["create", "--due", "-r", "tank", "--json"], "2024-01-10T13:00:00Z").assert().success();
    assert_eq!(
        t.snapshot_calls(),
        [
            "snapshot -o strata:managed=on -o strata:label=1h tank/srv@2024-01-10-13-00-00 tank/srv/a@2024-01-10-13-00-00"
        ]
    );
    // Without -r only the named dataset is looked at.
    t.cmd("strata-snapshot", &["create", "--due", "tank/srv/b"], "2024-01-11T12:00:00Z").assert().success();
    assert_eq!(t.snapshot_calls(), ["snapshot -o strata:managed=on -o strata:label=1d tank/srv/b@2024-01-11-12-00-00"]);
    // --label cannot be given with --due: the label is the interval.
    t.cmd("strata-snapshot", &["create", "--due", "--label", "x", "tank"], T0).assert().code(2);
}

#[test]
fn a_snapshot_not_made_by_strata_does_not_count_as_fresh() {
    // tank/var's newest snapshot is another tool's (not managed): it is still due.
    let snaps = format!("tank/var@other\t1\t1\t{T0_UNIX}\t0\t0\t0\t-\t-\n");
    let t = Tree::new(DATASETS, PROPS, &snaps);
    t.cmd("strata-snapshot", &["create", "--due", "tank/var"], T0).assert().success();
    assert_eq!(t.snapshot_calls().len(), 1);
}

/// A delegated user's strata:keep on tank/user holds a newline and a forged line giving tank a
/// policy; tank/user/x inherits it. Both are reported and skipped; the others run; exit 2.
#[test]
fn a_hostile_value_skips_its_datasets_only_and_the_run_exits_2() {
    let datasets = format!("{DATASETS}tank/user\ntank/user/x\n");
    let props = format!(
        "{PROPS}tank/user\tstrata:snapshot\t1h\ntank/user\tstrata:keep\tdaily=7\\ntank\tstrata:keep\tlocal\tlast=1\n"
    );
    let t = Tree::new(&datasets, &props, "");
    let out = t.cmd("strata-snapshot", &["policy", "-r", "tank", "--json"], T0).assert().code(2);
    let v = ndjson(&out.get_output().stdout);
    let m = by_dataset(&v);
    assert_eq!(m["tank"]["valid"], true);
    assert_eq!(m["tank"]["keep"], serde_json::Value::Null, "the forged line gave tank a policy");
    for d in ["tank/user", "tank/user/x"] {
        assert_eq!(m[d]["valid"], false);
        assert!(m[d]["errors"][0].as_str().unwrap().contains("zfs get line"), "{}", m[d]);
    }
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("tank/user: invalid policy") && err.contains("tank/user/x: invalid policy"), "{err}");
    t.calls();

    // create --due snapshots the others, not these two.
    t.cmd("strata-snapshot", &["create", "--due", "-r", "tank"], T0)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("tank/user: invalid policy, it is not snapshotted"));
    let made = t.snapshot_calls().join("\n");
    assert!(made.contains("tank/srv@") && !made.contains("tank/user"), "{made}");

    // prune plan --policy leaves them out, from a pipe and by itself.
    let snaps = crate::util::daily_rows("tank/user", 5) + &crate::util::daily_rows("tank/srv", 5);
    std::fs::write(t.bin.dir.path().join("snaps.tsv"), snaps).unwrap();
    let out = t
        .cmd("strata-prune", &["plan", "--policy", "-r", "tank", "--now", "2024-01-06T00:00:00Z"], T0)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("tank/user: left out of the plan, nothing of it is destroyed"));
    let v = ndjson(&out.get_output().stdout);
    assert!(v.iter().all(|r| r["dataset"] == "tank/srv"), "{v:?}");
    assert_eq!(v.len(), 5);
}

#[test]
fn prune_plan_policy_from_a_pipe_asks_zfs_nothing_and_matches_listing_by_itself() {
    let snaps = crate::util::daily_rows("tank/srv/a", 20)
        + &crate::util::daily_rows("tank/srv/b", 20)
        + &crate::util::daily_rows("tank/var", 3);
    let t = Tree::new(DATASETS, PROPS, &snaps);
    let list = t.cmd("strata-snapshot", &["list", "-r", "tank", "--policy"], T0).assert().success();
    let listed = list.get_output().stdout.clone();
    let recs = ndjson(&listed);
    assert_eq!(recs.len(), 43);
    assert_eq!(recs[0]["keep"], "daily=7");
    assert_eq!(recs[0]["keep_source"], "inherited from tank/srv");
    assert_eq!(recs[42]["keep"], serde_json::Value::Null);
    t.calls();
    let now = ["--now", "2024-01-21T00:00:00Z"];
    let piped = t
        .cmd("strata-prune", &["plan", "--policy", now[0], now[1]], T0)
        .write_stdin(listed)
        .assert()
        .success()
        .stderr("");
    assert!(t.calls().is_empty(), "plan asked zfs from a pipe");
    let by_itself = t.cmd("strata-prune", &["plan", "--policy", "-r", "tank", now[0], now[1]], T0).assert().success();
    assert_eq!(piped.get_output().stdout, by_itself.get_output().stdout);
    let v = ndjson(&piped.get_output().stdout);
    let count = |ds: &str, action: &str| v.iter().filter(|r| r["dataset"] == ds && r["action"] == action).count();
    // daily=7 keeps 7 of tank/srv/a's 20 daily snapshots; weekly=4 keeps 4 of tank/srv/b's (one a
    // week, the newest in each ISO week); tank/var has no strata:keep: everything is kept.
    assert_eq!((count("tank/srv/a", "keep"), count("tank/srv/a", "destroy")), (7, 13));
    assert_eq!(count("tank/srv/b", "keep"), 4);
    assert_eq!(count("tank/var", "keep"), 3);
    assert!(v.iter().filter(|r| r["dataset"] == "tank/var").all(|r| r["reasons"][0] == "no-policy"));
    // The same rules as flags give the same plan for that dataset.
    let flags =
        t.cmd("strata-prune", &["plan", "tank/srv/a", "--keep-daily", "7", now[0], now[1]], T0).assert().success();
    let want = ndjson(&flags.get_output().stdout);
    let got: Vec<&serde_json::Value> = v.iter().filter(|r| r["dataset"] == "tank/srv/a").collect();
    assert_eq!(got, want.iter().collect::<Vec<_>>());
}

#[test]
fn prune_plan_policy_refuses_keep_flags_and_records_without_policy() {
    let t = Tree::new(DATASETS, PROPS, &crate::util::daily_rows("tank/srv", 3));
    t.cmd("strata-prune", &["plan", "--policy", "--keep-daily", "7", "-r", "tank"], T0)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be given with --keep-*"));
    let plain = t.cmd("strata-snapshot", &["list", "-r", "tank"], T0).assert().success();
    t.cmd("strata-prune", &["plan", "--policy"], T0)
        .write_stdin(plain.get_output().stdout.clone())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 1").and(predicate::str::contains("snapshot list --policy")));
}

#[test]
fn check_is_ok_then_warning_then_critical_as_the_clock_moves() {
    let t = Tree::standard();
    t.cmd("strata-snapshot", &["create", "--due", "-r", "tank/srv"], T0).assert().success();
    let check = |now: &str, extra: &[&str]| {
        let mut args = vec!["check", "-r", "tank/srv"];
        args.extend_from_slice(extra);
        t.cmd("strata-snapshot", &args, now).assert()
    };
    check("2024-01-10T14:00:00Z", &[]).code(0).stdout("");
    // tank/srv is hourly: warning past 2h, critical past 4h.
    let out = check("2024-01-10T14:00:01Z", &["--json"]).code(1);
    let v = ndjson(&out.get_output().stdout);
    assert_eq!(v.iter().map(|r| r["dataset"].as_str().unwrap()).collect::<Vec<_>>(), ["tank/srv", "tank/srv/a"]);
    assert_eq!(v[0]["level"], "warn");
    assert_eq!(v[0]["newest_age_seconds"], 7201);
    check("2024-01-10T16:00:01Z", &["--nagios"])
        .code(2)
        .stdout(predicate::str::starts_with("SNAPSHOTS CRITICAL - tank/srv newest snapshot 4h old"));
    check("2024-01-10T13:00:00Z", &["--nagios"]).code(0).stdout(predicate::str::starts_with(
        "SNAPSHOTS OK - 3 datasets fresh, stalest tank/srv newest snapshot 1h old|'tank/srv'=3600s;7200;14400;0;",
    ));
    // --warn-age overrides; --prometheus writes the textfile.
    let prom = t.bin.dir.path().join("snapshots.prom");
    check("2024-01-10T13:00:00Z", &["--warn-age", "30m", "--prometheus", prom.to_str().unwrap()]).code(1);
    let text = std::fs::read_to_string(&prom).unwrap();
    assert!(text.contains("strata_snapshot_check_success 1\n"), "{text}");
    assert!(text.contains("strata_snapshot_newest_age_seconds{dataset=\"tank/srv/a\"} 3600\n"), "{text}");
    assert!(text.contains("strata_snapshot_policy_valid{dataset=\"tank/srv/c\"} 1\n"), "{text}");
    // tank has no schedule: skipped, unless --max-age.
    let out = t.cmd("strata-snapshot", &["check", "tank", "--max-age", "1d", "--json"], T0).assert().code(2);
    assert_eq!(ndjson(&out.get_output().stdout)[0]["newest_snapshot"], serde_json::Value::Null);
    t.cmd("strata-snapshot", &["check", "tank"], T0).assert().code(0);
}

/// The README's timer script, exactly as written there.
fn readme_timer_script() -> String {
    let readme = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let block = readme
        .split("```sh\n")
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains("# /usr/local/sbin/strata-policy"))
        .expect("the README shows the timer script");
    block.to_string()
}

/// The README's script runs every stage for the datasets it can handle and fails when any stage
/// fails: a clean tree ends with 0, a hostile value on one dataset with 2 (and the others are
/// still snapshotted and pruned).
#[test]
fn the_readme_timer_script_fails_the_unit_when_a_stage_fails() {
    let run = |t: &Tree| {
        let script = t.bin.dir.path().join("strata-policy");
        std::fs::write(&script, readme_timer_script()).unwrap();
        let mut path = vec![t.bin.dir.path().to_path_buf(), crate::util::bin_dir()];
        path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
        std::process::Command::new("bash")
            .arg(&script)
            .env("PATH", std::env::join_paths(path).unwrap())
            .env("STRATA_NOW", "2024-01-21T00:00:00Z")
            .output()
            .unwrap()
    };
    let snaps = crate::util::daily_rows("tank/srv", 20);
    let t = Tree::new(DATASETS, PROPS, &snaps);
    let out = run(&t);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let calls = t.calls();
    assert!(
        calls.iter().any(|c| c.starts_with("snapshot ") && c.contains("tank/srv@2024-01-21-00-00-00")),
        "{calls:?}"
    );
    // daily=7 of 21 daily snapshots: the 14 oldest go, in one batch.
    let destroy: Vec<&String> = calls.iter().filter(|c| c.starts_with("destroy ")).collect();
    assert_eq!(destroy.len(), 1, "{calls:?}");
    assert!(
        destroy[0].contains("tank/srv@s0,") && destroy[0].contains("s13") && !destroy[0].contains("s14"),
        "{destroy:?}"
    );

    let datasets = format!("{DATASETS}tank/user\n");
    let props = format!("{PROPS}tank/user\tstrata:keep\tdaily=1\\nforged\n");
    let t = Tree::new(&datasets, &props, &(snaps + &crate::util::daily_rows("tank/user", 5)));
    let out = run(&t);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let calls = t.calls();
    assert!(calls.iter().any(|c| c.starts_with("snapshot ") && c.contains("tank/srv@")), "{calls:?}");
    assert!(calls.iter().any(|c| c.starts_with("destroy ") && c.contains("tank/srv@s0")), "{calls:?}");
    assert!(
        !calls.iter().any(|c| (c.starts_with("snapshot ") || c.starts_with("destroy ")) && c.contains("tank/user")),
        "{calls:?}"
    );
}

#[test]
fn prune_plan_policy_draws_its_timeline() {
    let t = Tree::new(DATASETS, PROPS, &crate::util::daily_rows("tank/srv/a", 20));
    let out = t
        .cmd(
            "strata-prune",
            &["plan", "--policy", "-r", "tank", "--now", "2024-01-21T00:00:00Z", "--format", "timeline"],
            T0,
        )
        .env("COLUMNS", "80")
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let row = text.lines().find(|l| l.starts_with("tank/srv/a ")).unwrap_or_else(|| panic!("{text}"));
    // 13 destroyed days, then 7 kept ones.
    assert!(row.contains(&format!("{}{}", "x".repeat(13), "#".repeat(7))), "{text}");
}

/// tank/srv sends to backup/srv (so tank/srv/a to backup/srv/a); alice, delegated `userprop` on
/// tank/srv/alice, points her dataset at a host of her own; tank/var has no target.
const SEND_DATASETS: &str = "tank\ntank/srv\ntank/srv/a\ntank/srv/alice\ntank/var\nbackup\n";
const SEND_PROPS: &str = "tank/srv\tstrata:snapshot\t1h\n\
                          tank/srv\tstrata:send\tbackup/srv\n\
                          tank/srv/alice\tstrata:send\tevil.example:pool/loot\n\
                          tank/var\tstrata:snapshot\t15m\n";
const ALICE_ALLOW: &str = "---- Permissions on tank/srv/alice -----------------------------------\n\
                           Local+Descendent permissions:\n\
                           \tuser alice mount,snapshot,userprop\n\
                           ---- Permissions on tank ---------------------------------------------\n";

/// The policy stand-in, plus what a send needs from zfs: `allow` (alice's delegation), each side's
/// snapshots and bookmarks (`bookmarks.tsv`: name, creation), targets under `backup` missing, and
/// `send -n` estimates.
fn send_tree() -> Tree {
    let t = Tree::new(
        SEND_DATASETS,
        SEND_PROPS,
        "tank/srv@s1\t11\t101\t1704880000\t0\t0\t0\ton\t1h\n\
         tank/srv/a@s1\t12\t102\t1704880000\t0\t0\t0\ton\t1h\n\
         tank/srv/alice@s1\t13\t103\t1704880000\t0\t0\t0\ton\t1h\n",
    );
    let dir = t.bin.dir.path();
    std::fs::rename(dir.join("zfs"), dir.join("zfs-policy")).unwrap();
    std::fs::write(dir.join("alice.allow"), ALICE_ALLOW).unwrap();
    std::fs::write(dir.join("bookmarks.tsv"), "").unwrap();
    t.bin.script(
        "zfs",
        &format!(
            "here='{d}'\n\
             for last in \"$@\"; do :; done\n\
             case \"$1 $*\" in\n\
             allow*) printf '%s\\n' \"$*\" >> \"$here/calls.log\"\n\
             \x20 [ \"$last\" = tank/srv/alice ] && cat \"$here/alice.allow\"; exit 0;;\n\
             *snapshot,bookmark*) printf '%s\\n' \"$*\" >> \"$here/calls.log\"\n\
             \x20 case \"$last\" in backup/*) echo \"cannot open '$last': dataset does not exist\" >&2; exit 1;; esac\n\
             \x20 printf '%s\\t1\\t1\\toff\\t-\\n' \"$last\"\n\
             \x20 awk -F '\\t' -v ds=\"$last\" -v OFS='\\t' 'index($1, ds \"@\") == 1 {{ print $1, $2, $3, \"off\", \"-\" }}' \"$here/snaps.tsv\"; exit 0;;\n\
             *'-t bookmark'*) printf '%s\\n' \"$*\" >> \"$here/calls.log\"; cat \"$here/bookmarks.tsv\"; exit 0;;\n\
             send*) printf '%s\\n' \"$*\" >> \"$here/calls.log\"; printf 'size\\t5000\\n'; exit 0;;\n\
             esac\n\
             exec \"$here/zfs-policy\" \"$@\"\n",
            d = dir.display()
        ),
    );
    t
}

#[test]
fn send_policy_follows_values_root_set_and_refuses_a_delegated_users() {
    let t = send_tree();
    let state = tempfile::tempdir().unwrap();
    let out = t
        .cmd("strata-send", &["--policy", "-r", "tank", "--dry-run", "--no-raw"], T0)
        .env("STRATA_STATE_DIR", state.path())
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    // The two datasets under root's value are planned, to where the value says.
    assert!(err.contains("zfs recv -s -u -o readonly=on backup/srv\n"), "{err}");
    assert!(err.contains("zfs recv -s -u -o readonly=on backup/srv/a\n"), "{err}");
    // alice's own value is refused, naming her grant; her host is never contacted.
    assert!(
        err.contains("tank/srv/alice: not sent: strata:send is set on tank/srv/alice, where a delegated user"),
        "{err}"
    );
    assert!(err.contains("user alice mount,snapshot,userprop (on tank/srv/alice)"), "{err}");
    assert!(err.contains("1 of 3 sends failed or were refused"), "{err}");
    assert!(!err.contains("evil.example"), "{err}");
    let calls = t.calls();
    assert!(calls.iter().any(|c| c == "allow tank/srv"), "{calls:?}");
    assert!(!calls.iter().any(|c| c.starts_with("send ") && !c.starts_with("send -n")), "{calls:?}");
    // Nothing was sent, so nothing is recorded.
    assert!(!state.path().join("send").exists());
    // --policy takes datasets only, and never --force or --to.
    t.cmd("strata-send", &["--policy", "evil:tank"], T0)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("local datasets"));
    t.cmd("strata-send", &["--policy", "tank", "--to", "backup/x"], T0).assert().code(2);
    t.cmd("strata-send", &["--policy"], T0).assert().code(2).stderr(predicate::str::contains("needs the DATASETs"));
}

#[test]
fn send_check_says_which_targets_are_behind() {
    let t = send_tree();
    let state = tempfile::tempdir().unwrap();
    // tank/srv reached backup/srv with a snapshot made 1000 s before T0; tank/srv/a never did.
    let mark = strata_send::run::bookmark_name("tank/srv", "backup/srv");
    std::fs::write(t.bin.dir.path().join("bookmarks.tsv"), format!("{mark}\t{}\n", T0_UNIX - 1000)).unwrap();
    strata_send::state::save(
        state.path(),
        &strata_send::state::SendState {
            r#type: "send_state".into(),
            source: "tank/srv".into(),
            target: "backup/srv".into(),
            snapshot: "tank/srv@s1".into(),
            bookmark: mark.clone(),
            mode: strata_send::plan::Mode::Full,
            bytes: 5000,
            finished_unix: T0_UNIX - 900,
        },
    )
    .unwrap();
    let prom = state.path().join("send.prom");
    let check = |now: &str, extra: &[&str]| {
        let mut args = vec!["check", "-r", "tank/srv"];
        args.extend_from_slice(extra);
        t.cmd("strata-send", &args, now).env("STRATA_STATE_DIR", state.path()).assert()
    };
    let out = check(T0, &["--json", "--prometheus", prom.to_str().unwrap()]).code(2);
    let v = ndjson(&out.get_output().stdout);
    let by: Vec<(&str, &str)> =
        v.iter().map(|r| (r["dataset"].as_str().unwrap(), r["level"].as_str().unwrap())).collect();
    assert_eq!(by, [("tank/srv/alice", "invalid"), ("tank/srv/a", "crit")], "{v:?}");
    assert_eq!(v[1]["target"], "backup/srv/a");
    let text = std::fs::read_to_string(&prom).unwrap();
    assert!(text.contains("strata_send_lag_seconds{dataset=\"tank/srv\",target=\"backup/srv\"} 1000\n"), "{text}");
    assert!(text.contains(&format!(
        "strata_send_last_success_timestamp_seconds{{dataset=\"tank/srv\",target=\"backup/srv\"}} {}\n",
        T0_UNIX - 900
    )));
    assert!(text.contains("strata_send_level{dataset=\"tank/srv/a\",target=\"backup/srv/a\"} 2\n"), "{text}");
    // Hourly: past 2 h behind is a warning (tank/srv alone, so alice and the never-sent child are out of scope).
    t.cmd("strata-send", &["check", "tank/srv", "--nagios"], "2024-01-10T13:43:21Z")
        .env("STRATA_STATE_DIR", state.path())
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("REPLICATION WARNING - tank/srv -> backup/srv 2h behind|"));
    t.cmd("strata-send", &["check", "tank/srv", "--nagios"], T0)
        .env("STRATA_STATE_DIR", state.path())
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("REPLICATION OK - 1 target in time"));
    // A state file that is not a record is named, never skipped.
    std::fs::write(state.path().join("send/x.json"), "{").unwrap();
    t.cmd("strata-send", &["check", "tank/srv"], T0)
        .env("STRATA_STATE_DIR", state.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("x.json: not a send record"));
}
