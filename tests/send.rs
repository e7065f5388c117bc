//! Host tests of strata-send through the real binary. `zfs` and `ssh` are stand-in scripts at
//! the process seam: the stand-in `zfs send` writes a known stream and `zfs recv` stores what it
//! reads, so the data path (two children, strata copying between them) runs for real; `ssh` runs
//! the remote command string with `sh -c`, as the remote shell would. Real ZFS and a real sshd
//! are the lab's (tests/lab/send.rs).

use std::path::{Path, PathBuf};

use predicates::prelude::*;

use crate::util::{FakeBin, bin, ndjson};

/// A stand-in world: source `tank/a` (rows in `src.tsv`), target `backup/a` (rows in `tgt.tsv`;
/// missing when the file is absent), `stream` is what `zfs send` writes. Every call's argv is
/// logged one line each, its words separated by `|`.
struct World {
    fake: FakeBin,
}

/// Sends to one target take one lock: the tests, which all send to `backup/a`, run one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

const SRC_ROWS: &str = "tank/a@s1\t101\t10\ntank/a@s2\t102\t20\ntank/a@s3\t103\t30\n";

impl World {
    fn new(src: &str, tgt: Option<&str>) -> World {
        let fake = FakeBin::new();
        let here = fake.dir.path().to_path_buf();
        std::fs::write(here.join("src.tsv"), src).unwrap();
        if let Some(t) = tgt {
            std::fs::write(here.join("tgt.tsv"), t).unwrap();
        }
        std::fs::write(here.join("stream"), stream_bytes()).unwrap();
        fake.script(
            "zfs",
            &format!(
                "here='{here}'\n\
                 line=$(for a in \"$@\"; do printf '%s|' \"$a\"; done); printf '%s\\n' \"$line\" >> \"$here/log\"\n\
                 for last in \"$@\"; do :; done\n\
                 case \"$1\" in\n\
                 list)\n\
                 \x20 case \"$*\" in\n\
                 \x20 *receive_resume_token*) ;;\n\
                 \x20 *filesystem,volume\\ -r\\ *) printf '%s\\n' \"$last\" \"$last/c d\"; exit 0;;\n\
                 \x20 *filesystem,volume*) echo \"$last\"; [ -e \"$here/tgt.tsv\" ] && echo \"$last/a\"; exit 0;;\n\
                 \x20 *name,userrefs*) cat \"$here/holds.tsv\" 2>/dev/null; exit 0;;\n\
                 \x20 esac\n\
                 \x20 case \"$last\" in\n\
                 \x20 tank/*) printf '%s\\t1\\t1\\t%s\\t-\\n' \"$last\" \"$(cat \"$here/enc\" 2>/dev/null || echo off)\"\n\
                 \x20    sed \"s|^tank/a|$last|; s|\\$|\\t-\\t-|\" \"$here/src.tsv\";;\n\
                 \x20 *) [ -e \"$here/tgt.tsv\" ] || {{ echo \"cannot open '$last': dataset does not exist\" >&2; exit 1; }}\n\
                 \x20    printf '%s\\t1\\t1\\toff\\t%s\\n' \"$last\" \"$(cat \"$here/token\" 2>/dev/null || echo -)\"\n\
                 \x20    sed \"s|^backup/a|$last|; s|\\$|\\t-\\t-|\" \"$here/tgt.tsv\";;\n\
                 \x20 esac;;\n\
                 send)\n\
                 \x20 case \"$2\" in -n) printf 'full\\t%s\\t5000\\nsize\\t5000\\n' \"$last\"; exit 0;;\n\
                 \x20 -P) printf 'full\\t%s\\t5000\\nsize\\t5000\\n' \"$last\" >&2;; esac\n\
                 \x20 [ -e \"$here/send.sh\" ] && . \"$here/send.sh\"\n\
                 \x20 cat \"$here/stream\";;\n\
                 recv)\n\
                 \x20 case \"$2\" in -A) rm -f \"$here/token\" \"$here/tgt.tsv\"; exit 0;; esac\n\
                 \x20 [ -e \"$here/recv.sh\" ] && . \"$here/recv.sh\"\n\
                 \x20 cat > \"$here/received\";;\n\
                 bookmark|destroy) ;;\n\
                 *) echo \"unexpected: $*\" >&2; exit 99;;\n\
                 esac\n",
                here = here.display()
            ),
        );
        // ssh: options up to `--`, the host, then the remote command string for the remote shell.
        fake.script(
            "ssh",
            &format!(
                "line=$(for a in \"$@\"; do printf '%s|' \"$a\"; done); printf '%s\\n' \"$line\" >> '{here}/ssh.log'\n\
                 while [ \"$1\" != -- ]; do shift; done; shift; host=$1; shift\n\
                 [ \"$host\" = unreachable ] && {{ echo 'ssh: connect to host unreachable port 22: No route to host' >&2; exit 255; }}\n\
                 exec sh -c \"$1\"\n",
                here = here.display()
            ),
        );
        World { fake }
    }

    fn dir(&self) -> &Path {
        self.fake.dir.path()
    }

    fn log(&self) -> Vec<String> {
        read_lines(&self.dir().join("log"))
    }

    fn ssh_log(&self) -> Vec<String> {
        read_lines(&self.dir().join("ssh.log"))
    }

    /// The calls that change something or move data, in order; `zfs send` and `zfs recv` run
    /// side by side (as do the two listings: each line is logged in one write), so the send is
    /// put first of the two whichever logged first.
    fn actions(&self) -> Vec<String> {
        let mut v: Vec<String> =
            self.log().into_iter().filter(|l| !l.starts_with("list|") && !l.starts_with("send|-n|")).collect();
        for i in 1..v.len() {
            if v[i].starts_with("send|") && v[i - 1].starts_with("recv|-s|") {
                v.swap(i - 1, i);
            }
        }
        v
    }

    fn send(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = bin("strata-send");
        c.args(args).env("PATH", self.fake.path()).env("XDG_RUNTIME_DIR", self.dir());
        c
    }
}

fn read_lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p).unwrap_or_default().lines().map(str::to_string).collect()
}

/// 300 KB that no two offsets repeat in short runs, so a lost or doubled block shows.
fn stream_bytes() -> Vec<u8> {
    (0u32..75_000).flat_map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes()).collect()
}

fn bookmark() -> String {
    format!("tank/a#strata-send-{}", strata_send::run::short_hash("backup/a"))
}

#[test]
fn a_missing_target_gets_the_newest_snapshot_in_full_read_only_then_the_bookmark() {
    let _serial = serial();
    let w = World::new(SRC_ROWS, None);
    let out = w.send(&["tank/a", "--to", "backup/a", "--json"]).assert().success().get_output().clone();
    assert_eq!(std::fs::read(w.dir().join("received")).unwrap(), stream_bytes(), "every byte crossed, once");
    assert_eq!(
        w.actions(),
        [
            "send|-P|tank/a@s3|".to_string(),
            "recv|-s|-u|-o|readonly=on|backup/a|".into(),
            format!("bookmark|tank/a@s3|{}|", bookmark()),
        ]
    );
    let recs = ndjson(&out.stdout);
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r["type"], "send");
    assert_eq!(r["source"], "tank/a@s3");
    assert_eq!(r["from"], serde_json::Value::Null);
    assert_eq!(r["target"], "backup/a");
    assert_eq!(r["mode"], "full");
    assert_eq!(r["bytes"], stream_bytes().len() as u64);
    assert!(r["seconds"].as_f64().is_some());
    assert_eq!(r["dry_run"], false);
    // Without a format: silent, like every action command.
    let w = World::new(SRC_ROWS, None);
    w.send(&["tank/a@s2", "--to", "backup/a", "--writable"]).assert().success().stdout("").stderr("");
    assert_eq!(w.actions()[..2], ["send|-P|tank/a@s2|".to_string(), "recv|-s|backup/a|".into()]);
}

#[test]
fn the_base_is_found_by_guid_and_intermediates_are_sent() {
    let _serial = serial();
    // The target's newest has the guid of s1 under another name.
    let w = World::new(SRC_ROWS, Some("backup/a@other-name\t101\t5\n"));
    let out = w.send(&["tank/a", "--to", "backup/a", "--json"]).assert().success().get_output().clone();
    assert_eq!(w.actions()[..2], ["send|-P|-I|tank/a@s1|tank/a@s3|".to_string(), "recv|-s|-u|backup/a|".into()]);
    let r = &ndjson(&out.stdout)[0];
    assert_eq!((r["mode"].as_str(), r["from"].as_str()), (Some("incremental"), Some("tank/a@s1")));
    let w = World::new(SRC_ROWS, Some("backup/a@s1\t101\t5\n"));
    w.send(&["tank/a", "--to", "backup/a", "--no-intermediates"]).assert().success();
    assert_eq!(w.actions()[0], "send|-P|-i|tank/a@s1|tank/a@s3|");
}

#[test]
fn a_bookmark_is_the_base_once_the_snapshot_is_pruned() {
    let _serial = serial();
    let src = format!("{}\t101\t10\ntank/a@s3\t103\t30\n", bookmark());
    let w = World::new(&src, Some("backup/a@s1\t101\t5\n"));
    w.send(&["tank/a", "--to", "backup/a"]).assert().success();
    let actions = w.actions();
    assert_eq!(actions[0], format!("send|-P|-i|{}|tank/a@s3|", bookmark()), "a bookmark takes -i");
    // The old bookmark is replaced by one at the sent snapshot.
    assert_eq!(actions[2..], [format!("destroy|{}|", bookmark()), format!("bookmark|tank/a@s3|{}|", bookmark())]);
}

#[test]
fn up_to_date_sends_nothing() {
    let _serial = serial();
    let w = World::new(SRC_ROWS, Some("backup/a@s3\t103\t7\n"));
    let out = w.send(&["tank/a", "--to", "backup/a", "--json"]).assert().success().get_output().clone();
    assert_eq!(ndjson(&out.stdout)[0]["mode"], "up-to-date");
    assert!(w.actions().is_empty(), "{:?}", w.actions());
}

#[test]
fn a_diverged_target_is_refused_naming_its_own_snapshots_and_forced_only_with_confirm() {
    let _serial = serial();
    let tgt = "backup/a@s1\t101\t5\nbackup/a@mine\t555\t6\n";
    let w = World::new(SRC_ROWS, Some(tgt));
    w.send(&["tank/a", "--to", "backup/a"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("diverged").and(predicate::str::contains("backup/a@mine")));
    assert!(w.actions().is_empty(), "nothing sent or destroyed: {:?}", w.actions());
    w.send(&["tank/a", "--to", "backup/a", "--force"]).assert().code(2).stderr(predicate::str::contains("--confirm"));
    w.send(&["tank/a", "--to", "backup/a", "--force", "--confirm=backup/b"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not name the target dataset backup/a"));
    assert!(w.actions().is_empty());
    // A held snapshot that -F would destroy: refused up front, naming the hold.
    std::fs::write(w.dir().join("holds.tsv"), "backup/a@s1\t0\nbackup/a@mine\t1\n").unwrap();
    w.send(&["tank/a", "--to", "backup/a", "--force", "--confirm=backup/a"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("held snapshots of the target: backup/a@mine (1 hold)"));
    assert!(w.actions().is_empty());
    std::fs::remove_file(w.dir().join("holds.tsv")).unwrap();
    w.send(&["tank/a", "--to", "backup/a", "--force", "--confirm=backup/a"]).assert().success();
    assert_eq!(w.actions()[..2], ["send|-P|-I|tank/a@s1|tank/a@s3|".to_string(), "recv|-s|-F|-u|backup/a|".into()]);
}

#[test]
fn dry_run_shows_both_sides_and_changes_nothing() {
    let _serial = serial();
    let w = World::new(SRC_ROWS, Some("backup/a@s1\t101\t5\n"));
    let out = w.send(&["tank/a", "--to", "backup/a", "--dry-run", "--json"]).assert().success().get_output().clone();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("dry-run: zfs send -P -I tank/a@s1 tank/a@s3\n"), "{err}");
    assert!(err.contains("dry-run: zfs recv -s -u backup/a\n"), "{err}");
    assert!(err.contains(&format!("dry-run: zfs bookmark tank/a@s3 '{}'\n", bookmark())), "{err}");
    assert!(w.actions().is_empty(), "{:?}", w.actions());
    let r = &ndjson(&out.stdout)[0];
    assert_eq!(
        (r["dry_run"].as_bool(), r["bytes"].as_u64(), r["mode"].as_str()),
        (Some(true), Some(5000), Some("incremental"))
    );
}

#[test]
fn over_ssh_names_with_spaces_arrive_whole() {
    let _serial = serial();
    let w = World::new(SRC_ROWS, None);
    w.send(&["tank/a", "--to", "root@h:backup/my data", "--ssh-option", "Port=2222"]).assert().success();
    assert!(w.log().contains(&"recv|-s|-u|-o|readonly=on|backup/my data|".to_string()), "{:?}", w.log());
    let ssh = w.ssh_log();
    assert!(
        ssh.iter()
            .any(|l| l == "-o|BatchMode=yes|-o|Port=2222|--|root@h|zfs recv -s -u -o readonly=on 'backup/my data'|"),
        "{ssh:?}"
    );
    assert_eq!(std::fs::read(w.dir().join("received")).unwrap(), stream_bytes());
    // Pull: the source's listing and send run over ssh, the bookmark too.
    let w = World::new(SRC_ROWS, None);
    w.send(&["src:tank/a", "--to", "backup/a"]).assert().success();
    let ssh = w.ssh_log();
    assert!(ssh.iter().any(|l| l.ends_with("|src|zfs send -P tank/a@s3|")), "{ssh:?}");
    assert!(ssh.iter().any(|l| l.contains("|src|zfs bookmark tank/a@s3 ")), "{ssh:?}");
    // Remote to remote: strata in the middle of both pipes.
    let w = World::new(SRC_ROWS, None);
    w.send(&["src:tank/a", "--to", "dst:backup/a"]).assert().success();
    let ssh = w.ssh_log();
    assert!(ssh.iter().any(|l| l.ends_with("|src|zfs send -P tank/a@s3|")), "{ssh:?}");
    assert!(ssh.iter().any(|l| l.ends_with("|dst|zfs recv -s -u -o readonly=on backup/a|")), "{ssh:?}");
    assert_eq!(std::fs::read(w.dir().join("received")).unwrap(), stream_bytes());
}

#[test]
fn an_unreachable_host_is_named() {
    let _serial = serial();
    let w = World::new(SRC_ROWS, None);
    w.send(&["tank/a", "--to", "unreachable:backup/a"]).assert().code(2).stderr(
        predicate::str::contains("ssh to unreachable failed").and(predicate::str::contains("No route to host")),
    );
}

#[test]
fn a_failing_receive_is_an_error_with_its_stderr_and_no_bookmark() {
    let _serial = serial();
    let w = World::new(SRC_ROWS, Some("backup/a@s1\t101\t5\n"));
    std::fs::write(
        w.dir().join("recv.sh"),
        "head -c 1000 >/dev/null; echo 'cannot receive incremental stream: destination backup/a has been modified' >&2; exit 1\n",
    )
    .unwrap();
    w.send(&["tank/a", "--to", "backup/a"]).assert().code(2).stderr(
        predicate::str::contains("the receiving side failed (exit code 1)")
            .and(predicate::str::contains("has been modified")),
    );
    assert!(!w.actions().iter().any(|a| a.starts_with("bookmark")), "{:?}", w.actions());
}

#[test]
fn a_stale_token_is_refused_until_abort_resume() {
    let _serial = serial();
    let stale = strata_send::token::encode(
        &strata_send::token::ResumeToken {
            toname: "tank/a@gone".into(),
            toguid: 999,
            fromguid: None,
            object: 1,
            offset: 2,
            bytes: 3,
        },
        &[],
    );
    let w = World::new(SRC_ROWS, Some(""));
    std::fs::write(w.dir().join("token"), &stale).unwrap();
    w.send(&["tank/a", "--to", "backup/a"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no longer has").and(predicate::str::contains("--abort-resume")));
    assert!(w.actions().is_empty());
    w.send(&["tank/a", "--to", "backup/a", "--abort-resume"]).assert().success();
    assert_eq!(
        w.actions()[..3],
        ["recv|-A|backup/a|".to_string(), "send|-P|tank/a@s3|".into(), "recv|-s|-u|-o|readonly=on|backup/a|".into()]
    );
}

#[test]
fn a_live_token_is_resumed_then_the_rest_is_sent() {
    let _serial = serial();
    let token = strata_send::token::encode(
        &strata_send::token::ResumeToken {
            toname: "tank/a@s2".into(),
            toguid: 102,
            fromguid: Some(101),
            object: 1,
            offset: 2,
            bytes: 3,
        },
        &[],
    );
    let w = World::new(SRC_ROWS, Some("backup/a@s1\t101\t5\n"));
    std::fs::write(w.dir().join("token"), &token).unwrap();
    // After the resume the target has s2 and no token.
    std::fs::write(
        w.dir().join("recv.sh"),
        "rm -f \"$here/token\"; printf 'backup/a@s1\\t101\\t5\\nbackup/a@s2\\t102\\t6\\n' > \"$here/tgt.tsv\"\n",
    )
    .unwrap();
    let out = w.send(&["tank/a", "--to", "backup/a", "--json"]).assert().success().get_output().clone();
    let recs = ndjson(&out.stdout);
    let modes: Vec<&str> = recs.iter().map(|r| r["mode"].as_str().unwrap()).collect();
    assert_eq!(modes, ["resume", "incremental"]);
    assert_eq!(recs[0]["from"], "tank/a@s1");
    let a = w.actions();
    assert_eq!(a[..2], [format!("send|-P|-t|{token}|"), "recv|-s|-u|backup/a|".to_string()]);
    assert!(a.contains(&"send|-P|-I|tank/a@s2|tank/a@s3|".to_string()), "{a:?}");
}

/// A receive that was creating the dataset is resumed with its `-o readonly=on`: ZFS applies
/// `-o` when a receive ends, so the interrupted one never did.
#[test]
fn resuming_a_new_dataset_gives_its_properties_again() {
    let _serial = serial();
    let token = strata_send::token::encode(
        &strata_send::token::ResumeToken {
            toname: "tank/a@s3".into(),
            toguid: 103,
            fromguid: None,
            object: 1,
            offset: 2,
            bytes: 3,
        },
        &[],
    );
    let w = World::new(SRC_ROWS, Some(""));
    std::fs::write(w.dir().join("token"), &token).unwrap();
    std::fs::write(
        w.dir().join("recv.sh"),
        "rm -f \"$here/token\"; printf 'backup/a@s3\\t103\\t6\\n' > \"$here/tgt.tsv\"\n",
    )
    .unwrap();
    w.send(&["tank/a", "--to", "backup/a"]).assert().success();
    assert_eq!(w.actions()[..2], [format!("send|-P|-t|{token}|"), "recv|-s|-u|-o|readonly=on|backup/a|".to_string()]);
}

#[test]
fn encrypted_sources_go_raw_unless_no_raw() {
    let _serial = serial();
    let w = World::new(SRC_ROWS, None);
    std::fs::write(w.dir().join("enc"), "aes-256-gcm").unwrap();
    w.send(&["tank/a", "--to", "backup/a"]).assert().success();
    assert_eq!(w.actions()[0], "send|-P|-w|tank/a@s3|");
    let w = World::new(SRC_ROWS, None);
    std::fs::write(w.dir().join("enc"), "aes-256-gcm").unwrap();
    w.send(&["tank/a", "--to", "backup/a", "--no-raw"]).assert().success();
    assert_eq!(w.actions()[0], "send|-P|tank/a@s3|");
    let w = World::new(SRC_ROWS, None);
    w.send(&["tank/a", "--to", "backup/a", "--raw"]).assert().success();
    assert_eq!(w.actions()[0], "send|-P|-w|tank/a@s3|");
}

#[test]
fn to_a_file_atomically_and_to_stdout() {
    let _serial = serial();
    let w = World::new(SRC_ROWS, None);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.zfs");
    w.send(&["tank/a@s2", "--to-file", file.to_str().unwrap()]).assert().success().stdout("");
    assert_eq!(std::fs::read(&file).unwrap(), stream_bytes());
    let names: Vec<PathBuf> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(names, std::slice::from_ref(&file), "no temporary file left");
    // A failing send leaves no file at all.
    std::fs::write(w.dir().join("send.sh"), "echo 'cannot open tank/a@s2' >&2; exit 1\n").unwrap();
    let other = dir.path().join("b.zfs");
    w.send(&["tank/a@s2", "--to-file", other.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("was not written"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    std::fs::remove_file(w.dir().join("send.sh")).unwrap();
    let out = w.send(&["tank/a@s2", "--to-file", "-", "--json"]).assert().success().get_output().clone();
    assert_eq!(out.stdout, stream_bytes(), "stdout holds the stream alone");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(r#""type":"send""#) && err.contains(r#""target":"-""#), "the record goes to stderr: {err}");
}

#[test]
fn progress_json_has_a_first_and_a_last_record() {
    let _serial = serial();
    let w = World::new(SRC_ROWS, None);
    let out = w.send(&["tank/a", "--to", "backup/a", "--progress", "json"]).assert().success().get_output().clone();
    let recs = ndjson(&out.stderr);
    assert!(recs.len() >= 2, "{recs:?}");
    assert!(recs.iter().all(|r| r["type"] == "progress" && r["total"] == 5000));
    assert_eq!(recs[0]["bytes"], 0);
    assert_eq!(recs.last().unwrap()["bytes"], stream_bytes().len() as u64);
}

#[test]
fn verbose_names_every_command_of_a_send_with_its_time() {
    let _serial = serial();
    let w = World::new(SRC_ROWS, None);
    let out =
        w.send(&["tank/a", "--to", "backup/a", "--progress", "json", "-v"]).assert().success().get_output().clone();
    let err = String::from_utf8_lossy(&out.stderr);
    for cmd in [
        "zfs list -Hp -t filesystem,volume,snapshot,bookmark",
        "zfs send -P tank/a@s3 (",
        "zfs recv -s -u -o readonly=on backup/a (",
        "zfs bookmark tank/a@s3",
    ] {
        assert!(err.lines().any(|l| l.starts_with(&format!("strata-send: {cmd}"))), "{cmd}: {err}");
    }
    // -q wins over -v for these commands too, as for every other.
    let w = World::new(SRC_ROWS, None);
    let out = w.send(&["tank/a", "--to", "backup/a", "-q", "-v"]).assert().success().get_output().clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("zfs send") && !err.contains("zfs recv"), "{err}");
}

#[test]
fn one_send_per_target_at_a_time() {
    let _serial = serial();
    let w = World::new(SRC_ROWS, None);
    let path = strata_core::lock::default_path(&format!("strata-send-{}", strata_send::run::short_hash("backup/a")));
    // The binary runs with XDG_RUNTIME_DIR at the world's directory; so does this path for non-root.
    let path = if path.starts_with("/run/lock") { path } else { w.dir().join(path.file_name().unwrap()) };
    let held = strata_core::lock::acquire(&path).unwrap();
    w.send(&["tank/a", "--to", "backup/a"])
        .assert()
        .code(75)
        .stderr(predicate::str::contains("another run holds the lock"));
    assert!(w.actions().is_empty());
    drop(held);
}

#[test]
fn bad_input_is_refused_before_anything_runs() {
    let _serial = serial();
    let w = World::new(SRC_ROWS, None);
    for (args, says) in [
        (&["tank/a", "--to", "backup/a@s1"][..], "a snapshot cannot be a target"),
        (&["-oProxyCommand=x:tank/a", "--to", "backup/a"][..], "unexpected argument"),
        (&["--to", "backup/a", "--", "-oProxyCommand=x:tank/a"][..], "cannot start with '-'"),
        (&["tank/a"][..], "--to"),
        (&["tank//a", "--to", "backup/a"][..], "invalid dataset name"),
        (&["tank/a", "--to", ":backup/a"][..], "empty host"),
        (&["tank/a@nope", "--to", "backup/a"][..], "has no snapshot \"nope\""),
        (&["tank/a", "--to", "backup/a", "--rate-limit", "fast"][..], "invalid"),
    ] {
        w.send(args).assert().code(2).stderr(predicate::str::contains(says));
    }
    assert!(w.actions().is_empty(), "{:?}", w.actions());
}

#[test]
fn records_on_stdin_one_send_per_dataset() {
    let _serial = serial();
    let w = World::new(SRC_ROWS, None);
    let input = "{\"snapshot\":\"tank/a@s1\",\"created\":\"2024-01-01T00:00:00Z\",\"createtxg\":10}\n\
                 {\"snapshot\":\"tank/a@s2\",\"created\":\"2024-01-02T00:00:00Z\",\"createtxg\":20}\n";
    w.send(&["--to", "backup/a"]).write_stdin(input).assert().success();
    assert_eq!(w.actions()[0], "send|-P|tank/a@s2|", "the newest listed snapshot");
    w.send(&["--to", "backup/a"])
        .write_stdin("{\"snapshot\":1}\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 1"));
}

/// SIGKILL of strata-send: the stand-in `zfs send` dies with it. The stand-in writes nothing
/// (a send stuck on a slow disk or a silent ssh), so no broken pipe could end it instead: only
/// the death signal strata asked for can.
#[test]
fn children_die_with_strata_send() {
    let _serial = serial();
    let w = World::new(SRC_ROWS, None);
    std::fs::write(w.dir().join("send.sh"), "echo $$ > \"$here/send.pid\"; exec sleep 600\n").unwrap();
    std::fs::write(w.dir().join("recv.sh"), "exec cat >/dev/null\n").unwrap();
    let exe = assert_cmd::cargo::cargo_bin("strata-send");
    let mut child = std::process::Command::new(exe)
        .args(["tank/a", "--to", "backup/a", "--progress", "none"])
        .env("PATH", w.fake.path())
        .env("XDG_RUNTIME_DIR", w.dir())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid_file = w.dir().join("send.pid");
    let pid = wait_for(|| std::fs::read_to_string(&pid_file).ok().and_then(|s| s.trim().parse::<i32>().ok()));
    child.kill().unwrap();
    child.wait().unwrap();
    // The stand-in is gone (or a zombie nobody reaps): it no longer runs.
    wait_for(|| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit_once(") ").map(|(_, r)| r.chars().next().unwrap_or('X')).unwrap_or('X');
        matches!(state, 'X' | 'Z').then_some(())
    });
}

/// Polls `f` until it answers (a generous bound: a failing test, not a slow machine, ends it).
fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..3000 {
        if let Some(v) = f() {
            return v;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("gave up waiting")
}

#[test]
fn the_dispatcher_runs_it() {
    bin("strata").args(["send", "--version"]).assert().success().stdout(predicate::str::contains("strata-send"));
    bin("strata").args(["send", "tank/a", "--to", "backup/a@s"]).assert().code(2);
}

#[test]
fn recursive_sends_each_dataset_under_the_target_by_its_relative_name() {
    let _serial = serial();
    let w = World::new(SRC_ROWS, None);
    w.send(&["-r", "tank/a@s2", "--to", "backup/a"]).assert().success();
    let a = w.actions();
    let sends: Vec<&String> = a.iter().filter(|l| l.starts_with("send|-P|") || l.starts_with("recv|")).collect();
    assert_eq!(
        sends,
        [
            "send|-P|tank/a@s2|",
            "recv|-s|-u|-o|readonly=on|backup/a|",
            "send|-P|tank/a/c d@s2|",
            "recv|-s|-u|-o|readonly=on|backup/a/c d|"
        ],
        "the parent first, each on its own"
    );
}
