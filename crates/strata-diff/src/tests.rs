//! Unit tests on the real `zfs` outputs of the lab fixtures (FakeRunner at the process seam).

use serde_json::Value;
use strata_core::output::Format;
use strata_core::runner::{FakeRunner, Output};
use strata_zfs::fixtures;
use strata_zfs::snapshot::LIST_PROPERTIES;

use super::*;

const DS: &str = "tank/srv/docker/victim.org";
const S1: &str = "tank/srv/docker/victim.org@2023-08-08-00-00-06";
const S2: &str = "tank/srv/docker/victim.org@2023-08-09-00-00-06";

use strata_core::buf::SharedBuf as Buf;

struct Ran {
    result: anyhow::Result<Outcome>,
    out: String,
    argvs: Vec<String>,
}

fn run_with(runner: FakeRunner, args: &[&str], format: Format) -> Ran {
    let buf = Buf::default();
    let runner = std::rc::Rc::new(runner);
    struct Shared(std::rc::Rc<FakeRunner>);
    impl strata_core::runner::Runner for Shared {
        fn output(&self, c: &strata_core::runner::Cmd) -> Result<Output, strata_core::runner::RunError> {
            self.0.output(c)
        }
        fn stream(
            &self,
            c: &strata_core::runner::Cmd,
        ) -> Result<Box<dyn std::io::Read>, strata_core::runner::RunError> {
            self.0.stream(c)
        }
    }
    let mut ctx = Ctx::for_test(
        Box::new(Shared(runner.clone())),
        Box::new(strata_core::clock::SystemClock),
        Box::new(buf.clone()),
        format,
    );
    let argv: Vec<&str> = std::iter::once("strata-diff").chain(args.iter().copied()).collect();
    let m = TOOL.full_command().try_get_matches_from(argv).expect("arguments parse");
    let result = run(&m, &mut ctx);
    ctx.out.finish().unwrap();
    let out = buf.text();
    Ran { result, out, argvs: runner.argvs() }
}

fn records(out: &str) -> Vec<Value> {
    out.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn diff_argv(from: &str, to: Option<&str>) -> Vec<String> {
    let mut v: Vec<String> = ["zfs", "diff", "-H", "-F", "-t", from].iter().map(|s| s.to_string()).collect();
    v.extend(to.map(str::to_string));
    v
}

fn exists_argv(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> =
        ["zfs", "list", "-H", "-o", "name", "-t", "snapshot,filesystem"].iter().map(|s| s.to_string()).collect();
    v.extend(names.iter().map(|s| s.to_string()));
    v
}

/// The real `zfs list -Hp -t snapshot` rows of the dataset, in the columns strata asks for.
fn listing() -> Vec<u8> {
    let all = String::from_utf8(fixtures::stdout("2.3", "list_snapshots_p")).unwrap();
    let mut out = String::new();
    for l in all.lines().filter(|l| l.starts_with(&format!("{DS}@"))) {
        let f: Vec<&str> = l.split('\t').collect();
        // name guid createtxg creation used referenced userrefs
        out.push_str(&format!("{}\n", f.join("\t")));
    }
    out.into_bytes()
}

fn list_argv() -> Vec<String> {
    let mut v: Vec<String> =
        ["zfs", "list", "-H", "-p", "-t", "snapshot", "-o"].iter().map(|s| s.to_string()).collect();
    v.push(LIST_PROPERTIES.join(","));
    v.extend(["-d", "1", DS].iter().map(|s| s.to_string()));
    v
}

#[test]
fn two_snapshots_stream_every_line_in_zfs_order() {
    let fake = FakeRunner::new()
        .expect(&exists_argv(&[S1, S2]), Output::ok(format!("{S1}\n{S2}\n")))
        .expect(&diff_argv(S1, Some(S2)), fixtures::output("2.3", "diff_S1_S2"));
    let r = run_with(fake, &[S1, S2], Format::Json);
    assert_eq!(r.result.unwrap(), Outcome::Negative);
    let recs = records(&r.out);
    assert_eq!(recs.len(), 16);
    assert_eq!(
        recs[0],
        serde_json::json!({
            "type": "change", "change": "renamed", "kind": "directory",
            "path": "/tank/srv/docker/victim.org/sub dir", "path_bytes": null,
            "new_path": "/tank/srv/docker/victim.org/sub dir renamed", "new_path_bytes": null,
            "changed": "2026-11-25T19:59:06.204000000Z", "link_delta": null, "from": S1, "to": S2,
        })
    );
    // ZFS's order is kept: the fixture's lines in the fixture's order.
    let fixture = String::from_utf8(fixtures::stdout("2.3", "diff_S1_S2")).unwrap();
    let theirs: Vec<(&str, &str)> = fixture
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let c = match f[1] {
                "M" => "modified",
                "+" => "added",
                "-" => "removed",
                _ => "renamed",
            };
            (c, f[3].rsplit('/').next().unwrap())
        })
        .collect();
    let ours: Vec<(&str, String)> = recs
        .iter()
        .map(|r| {
            (
                r["change"].as_str().unwrap(),
                strata_zfs::diff::escape(r["path"].as_str().unwrap().rsplit('/').next().unwrap().as_bytes()),
            )
        })
        .map(|(c, p)| (c, String::from_utf8(p).unwrap()))
        .collect();
    assert_eq!(ours.iter().map(|(c, p)| (*c, p.as_str())).collect::<Vec<_>>(), theirs);
    let idx = recs.iter().find(|r| r["path"] == "/tank/srv/docker/victim.org/index.html").unwrap();
    assert_eq!(idx["link_delta"], 1);
    assert!(recs.iter().any(|r| r["path"] == "/tank/srv/docker/victim.org/new\nline.txt"));
    assert!(recs.iter().any(|r| r["path"] == "/tank/srv/docker/victim.org/ünïcødé-файл.txt"));
    assert!(recs.iter().any(|r| r["kind"] == "symlink" && r["change"] == "added"));
    for r in &recs {
        strata_core::doc::check_fields(&change::CHANGE_DOC, r);
    }
}

#[test]
fn short_second_name_and_filters_and_summary() {
    let fake = FakeRunner::new()
        .expect(&exists_argv(&[S1, S2]), Output::ok(format!("{S1}\n{S2}\n")))
        .expect(&diff_argv(S1, Some(S2)), fixtures::output("2.3", "diff_S1_S2_short"));
    let r = run_with(
        fake,
        &[S1, "@2023-08-09-00-00-06", "--change", "added,renamed", "--kind", "file", "--summary"],
        Format::Json,
    );
    assert_eq!(r.result.unwrap(), Outcome::Negative);
    let recs = records(&r.out);
    let summary = recs.last().unwrap();
    assert_eq!(
        summary,
        &serde_json::json!({"type":"summary","from":S1,"to":S2,"changes":8,"modified":0,"added":6,"removed":0,"renamed":2})
    );
    strata_core::doc::check_fields(&change::SUMMARY_DOC, summary);
    assert_eq!(recs.len(), 9);
    assert!(recs[..8].iter().all(|r| r["kind"] == "file" && (r["change"] == "added" || r["change"] == "renamed")));
}

#[test]
fn under_glob_and_sort() {
    let fake = FakeRunner::new()
        .expect(&exists_argv(&[S1, S2]), Output::ok(""))
        .expect(&diff_argv(S1, Some(S2)), fixtures::output("2.3", "diff_S1_S2"));
    let r = run_with(
        fake,
        &[S1, S2, "--glob", "*.txt", "--under", "/tank/srv/docker/victim.org/newdir/", "--sort"],
        Format::Json,
    );
    let recs = records(&r.out);
    assert_eq!(recs.len(), 1, "{}", r.out);
    assert_eq!(recs[0]["path"], "/tank/srv/docker/victim.org/newdir/inner.txt");

    let fake = FakeRunner::new()
        .expect(&exists_argv(&[S1, S2]), Output::ok(""))
        .expect(&diff_argv(S1, Some(S2)), fixtures::output("2.3", "diff_S1_S2"));
    let r = run_with(fake, &[S1, S2, "--sort"], Format::Json);
    let paths: Vec<String> = records(&r.out).iter().map(|r| r["path"].as_str().unwrap().to_string()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert_eq!(paths.len(), 16);
}

#[test]
fn dataset_compares_with_its_newest_snapshot() {
    let newest = "tank/srv/docker/victim.org@zfs-auto-snap_daily-2023-08-09-0000";
    let fake = FakeRunner::new()
        .expect(&list_argv(), Output::ok(listing()))
        .expect(&diff_argv(newest, None), fixtures::output("2.3", "diff_A2_live_fs"));
    let r = run_with(fake, &[DS], Format::Json);
    assert_eq!(r.result.unwrap(), Outcome::Negative);
    let recs = records(&r.out);
    assert_eq!(recs.len(), 3);
    assert!(recs.iter().all(|r| r["from"] == newest && r["to"] == DS));
    assert_eq!(r.argvs[1], format!("zfs diff -H -F -t {newest}"));
}

#[test]
fn no_change_is_exit_zero() {
    let a1 = "tank/srv/docker/victim.org@zfs-auto-snap_daily-2023-08-08-0000";
    let fake = FakeRunner::new()
        .expect(&exists_argv(&[S1, a1]), Output::ok(""))
        .expect(&diff_argv(S1, Some(a1)), fixtures::output("2.3", "diff_S1_A1_nochange"));
    let r = run_with(fake, &[S1, a1, "--summary"], Format::Json);
    assert_eq!(r.result.unwrap(), Outcome::Success);
    assert_eq!(records(&r.out)[0]["changes"], 0);
}

#[test]
fn clear_errors_before_zfs_diff_runs() {
    let r = run_with(FakeRunner::new(), &["tank/var/log@2023-08-08-00-00-06", S2], Format::Json);
    let e = r.result.unwrap_err().to_string();
    assert!(e.contains("is a snapshot of tank/srv/docker/victim.org, not of tank/var/log"), "{e}");
    assert!(r.argvs.is_empty());

    let r = run_with(FakeRunner::new(), &[S1, "tank/var/log"], Format::Json);
    assert!(r.result.unwrap_err().to_string().contains("not of tank/var/log"));

    let r = run_with(FakeRunner::new(), &[S1, "--under", "srv"], Format::Json);
    assert!(r.result.unwrap_err().to_string().contains("give an absolute path"));

    let r = run_with(FakeRunner::new(), &["@x"], Format::Json);
    assert!(r.result.unwrap_err().to_string().contains("full snapshot name"));

    let r = run_with(FakeRunner::new(), &[DS, S2], Format::Json);
    assert!(r.result.unwrap_err().to_string().contains("is a dataset"));

    let missing = "tank/var/log@nope";
    let fake = FakeRunner::new()
        .expect(&diff_argv(missing, None), fixtures::output("2.3", "err_diff_nonexistent"))
        .expect(&exists_argv(&[missing]), fixtures::output("2.3", "err_list_nonexistent_snap"));
    let r = run_with(fake, &[missing], Format::Json);
    let e = r.result.unwrap_err().to_string();
    assert_eq!(e, "cannot compare: cannot open 'tank/var/log@nope': dataset does not exist");
    assert_eq!(r.argvs.len(), 2, "zfs list runs only after zfs diff failed");

    let mut argv = list_argv();
    *argv.last_mut().unwrap() = "tank/does-not-exist".into();
    let fake = FakeRunner::new().expect(&argv, fixtures::output("2.3", "err_list_nonexistent"));
    let r = run_with(fake, &["tank/does-not-exist"], Format::Json);
    let e = format!("{:#}", r.result.unwrap_err());
    assert!(e.contains("cannot list the snapshots of tank/does-not-exist"), "{e}");
    assert!(e.contains("dataset does not exist"), "{e}");

    let fake = FakeRunner::new().expect(&list_argv(), Output::ok(""));
    let r = run_with(fake, &[DS], Format::Json);
    assert!(r.result.unwrap_err().to_string().contains("has no snapshots"));
}

#[test]
fn zfs_diff_failure_and_bad_lines_are_errors() {
    let a1 = "tank/srv/docker/victim.org@zfs-auto-snap_daily-2023-08-08-0000";
    let fake = FakeRunner::new().expect(&exists_argv(&[S2, a1]), Output::ok("")).expect(
        &diff_argv(S2, Some(a1)),
        Output::failed(1, "Not an earlier snapshot from the same fs: invalid name\n"),
    );
    let r = run_with(fake, &[S2, a1], Format::Json);
    let e = format!("{:#}", r.result.unwrap_err());
    assert!(e.contains("Not an earlier snapshot"), "{e}");

    let fake = FakeRunner::new()
        .expect(&exists_argv(&[S1]), Output::ok(""))
        .expect(&diff_argv(S1, None), Output::ok("1.000000000\t+\tF\t/a\n1.000000000\tQ\tF\t/b\n"));
    let r = run_with(fake, &[S1], Format::Json);
    let e = r.result.unwrap_err().to_string();
    assert!(e.contains("line 2: field change"), "{e}");
}

/// A line longer than any zfs diff prints is an error naming its number and length, after the
/// records of the lines before it; the error shows only the line's first bytes.
#[test]
fn a_line_too_long_for_zfs_diff_is_an_error() {
    let start = b"1.000000000\t+\tF\t/";
    let mut out = [&b"1.000000000\t+\tF\t/a\n"[..], start].concat();
    out.extend(std::iter::repeat_n(b'x', 3 << 20));
    out.extend_from_slice(b"\n1.000000000\t+\tF\t/c\n");
    let fake = FakeRunner::new().expect(&diff_argv(S1, None), Output::ok(out));
    let r = run_with(fake, &[S1], Format::Json);
    let e = r.result.unwrap_err().to_string();
    let len = start.len() + (3 << 20);
    assert!(e.contains(&format!("line 2: {len} bytes long, more than the 131072 a zfs diff line can hold")), "{e}");
    assert!(e.len() < 600, "the error shows a few hundred bytes of the line, not {}", e.len());
    assert!(e.contains(&format!("and {} more bytes", len - 200)), "{e}");
    assert_eq!(records(&r.out).len(), 1, "the line before it was streamed, nothing after");
}

/// A bad line is shown cut to its first bytes.
#[test]
fn a_bad_line_is_shown_cut() {
    let start = b"1.000000000\tQ\tF\t/";
    let mut out = start.to_vec();
    out.extend(std::iter::repeat_n(b'y', 100_000));
    let fake = FakeRunner::new().expect(&diff_argv(S1, None), Output::ok(out));
    let e = run_with(fake, &[S1], Format::Json).result.unwrap_err().to_string();
    assert!(
        e.contains("line 1: field change") && e.contains(&format!("and {} more bytes", start.len() + 100_000 - 200)),
        "{e}"
    );
    assert!(e.len() < 600, "{}", e.len());
}

#[test]
fn non_utf8_paths_keep_their_bytes() {
    let fake = FakeRunner::new()
        .expect(&exists_argv(&[S1]), Output::ok(""))
        .expect(&diff_argv(S1, None), Output::ok("1691452806.123456789\tR\tF\t/t/a\\0377b\t/t/ok\n"));
    let r = run_with(fake, &[S1], Format::Json);
    let recs = records(&r.out);
    assert_eq!(recs[0]["path"], "/t/a\u{fffd}b");
    assert_eq!(recs[0]["path_bytes"], "L3QvYf9i");
    assert_eq!(recs[0]["new_path"], "/t/ok");
    assert_eq!(recs[0]["new_path_bytes"], Value::Null);
    assert_eq!(recs[0]["changed"], "2023-08-08T00:00:06.123456789Z");
}

#[test]
fn the_table_shows_escapes_not_control_bytes() {
    let fake = FakeRunner::new()
        .expect(&exists_argv(&[S1]), Output::ok(""))
        .expect(&diff_argv(S1, None), Output::ok("1.000000000\t+\tF\t/t/x\\0033[2Jy\\0012z\n"));
    let r = run_with(fake, &[S1], Format::Table);
    assert!(r.out.contains("/t/x\\x1b[2Jy\\x0az"), "{}", r.out);
    assert!(!r.out.contains('\x1b'));
}

#[test]
fn record_docs_match_the_records() {
    let v = files::VersionRecord {
        r#type: "version",
        path: "/a".into(),
        path_bytes: None,
        snapshot: None,
        snapshot_path: None,
        snapshot_path_bytes: None,
        size_bytes: 1,
        modified: String::new(),
        live: true,
    };
    strata_core::doc::check_fields(&files::VERSION_DOC, &v);
    let d = files::DeletedRecord {
        r#type: "deleted",
        path: "/a".into(),
        path_bytes: None,
        kind: strata_zfs::diff::Kind::File,
        size_bytes: 1,
        modified: String::new(),
        snapshot: "t@s".into(),
        snapshot_path: "/t/.zfs/snapshot/s/a".into(),
        snapshot_path_bytes: None,
    };
    strata_core::doc::check_fields(&files::DELETED_DOC, &d);
}

#[test]
fn subcommands_and_the_default_comparison_parse() {
    let c = command();
    c.clone().debug_assert();
    let m = c.clone().try_get_matches_from(["strata-diff", "versions", "/a", "/b"]).unwrap();
    let cli = Cli::from_arg_matches(&m).unwrap();
    assert!(matches!(cli.cmd, Some(Sub::Versions(ref v)) if v.paths.len() == 2));
    let m = c.clone().try_get_matches_from(["strata-diff", "deleted", "-r", "/a"]).unwrap();
    assert!(matches!(Cli::from_arg_matches(&m).unwrap().cmd, Some(Sub::Deleted(ref d)) if d.recursive));
    assert!(c.clone().try_get_matches_from(["strata-diff"]).is_err());
    let m = c.try_get_matches_from(["strata-diff", "tank/a"]).unwrap();
    assert_eq!(Cli::from_arg_matches(&m).unwrap().diff.from.as_deref(), Some("tank/a"));
}

/// `--change` and `--kind` take the model's own values, each with its help (no mirror enums).
#[test]
fn change_and_kind_values_come_from_the_model() {
    let mut cmd = crate::command();
    let help = cmd.render_long_help().to_string();
    for want in ["renamed or moved (R)", "created (+)", "symbolic link (@)", "a mode ZFS does not classify (?)"] {
        assert!(help.contains(want), "{want:?} in\n{help}");
    }
}

/// `deleted -r` counts the snapshots it has read on a bar (on stderr, on a terminal only): here
/// drawn into a buffer, with the listing of the lab's real `zfs list` and a directory tree in
/// place of the mount's `.zfs/snapshot`.
#[test]
fn deleted_counts_the_snapshots_it_reads() {
    struct Gone(std::path::PathBuf);
    impl Drop for Gone {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let tmp = Gone(std::env::temp_dir().join(format!("strata-diff-deleted-{}", std::process::id())));
    std::fs::create_dir_all(&tmp.0).unwrap();
    let root = std::fs::canonicalize(&tmp.0).unwrap();
    let names: Vec<String> = String::from_utf8(listing())
        .unwrap()
        .lines()
        .map(|l| l.split('\t').next().unwrap().trim_start_matches(&format!("{DS}@")).to_string())
        .collect();
    assert!(names.len() >= 3, "{names:?}");
    std::fs::create_dir_all(root.join("data/sub")).unwrap();
    std::fs::write(root.join("data/kept"), "k").unwrap();
    // Every snapshot but the first has the directory; each lost a file of its own.
    for (i, n) in names.iter().enumerate().skip(1) {
        let d = root.join(".zfs/snapshot").join(n).join("data");
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("kept"), "k").unwrap();
        std::fs::write(d.join("sub").join(format!("gone{i}")), "g").unwrap();
    }
    let mount = strata_zfs::mounts::Mount { dataset: DS.to_string(), mountpoint: root.clone() };
    let located = strata_zfs::mounts::locate_in(&[mount], &root.join("data")).unwrap();
    let fake = FakeRunner::new().expect(&list_argv(), Output::ok(listing()));
    let buf = Buf::default();
    let mut ctx =
        Ctx::for_test(Box::new(fake), Box::new(strata_core::clock::SystemClock), Box::new(buf.clone()), Format::Json);
    let args = files::DeletedArgs { dir: root.join("data"), recursive: true };
    let drawn = std::cell::RefCell::new(None);
    let outcome = files::deleted_in(&args, &mut ctx, &located, |_, total| {
        let (bar, text) = strata_core::progress::Progress::recording(total, "snapshots");
        *drawn.borrow_mut() = Some(text);
        bar
    })
    .unwrap();
    ctx.out.finish().unwrap();
    assert_eq!(outcome, Outcome::Negative);
    assert_eq!(records(&buf.text()).len(), names.len() - 1);
    let text = drawn.borrow().clone().unwrap().text();
    let n = names.len();
    let newest = &names[n - 1];
    assert!(text.lines().any(|l| l.ends_with(&format!("] 0/{n} snapshots  {newest}, 0 deleted found"))), "{text}");
    assert!(text.lines().any(|l| l.ends_with(&format!("] 1/{n} snapshots  {newest}, 0 deleted found"))), "{text}");
    assert!(
        text.lines().any(|l| l.contains(&format!("] {n}/{n} snapshots  {}, {} deleted found", names[0], n - 1))),
        "{text}"
    );
}
