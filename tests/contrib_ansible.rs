//! Contrib/justfile and the Ansible role in contrib/ansible.
//!
//! `just`, `ansible-playbook` and `ansible-lint` run for real, from the venv `cargo xtask deps`
//! fills (target/tools/venv); strata itself is either the built binaries or, for the justfile, a
//! stand-in on PATH that records its argv (the process seam).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::FakeBin;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A program of the test tools' venv; a missing one fails the test, it never skips it.
fn tool(name: &str) -> PathBuf {
    let p = root().join("target/tools/venv/bin").join(name);
    assert!(p.is_file(), "{} is missing: run `cargo xtask deps` (it installs just and ansible from PyPI)", p.display());
    p
}

/// PATH with these directories first, then the venv's (ansible-lint runs ansible-* from PATH).
fn path_with(dirs: &[&Path]) -> std::ffi::OsString {
    let mut all: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    all.push(root().join("target/tools/venv/bin"));
    all.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(all).expect("join PATH")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// contrib/justfile

fn justfile() -> PathBuf {
    root().join("contrib/justfile")
}

/// The public recipes and their parameters, as the issue names them.
const RECIPES: &[(&str, &[&str])] = &[
    ("snap", &[]),
    ("diff", &[]),
    ("versions", &["FILE"]),
    ("deleted", &[]),
    ("rollback", &["SNAP"]),
    ("send", &["HOST"]),
    ("prune", &[]),
    ("quota", &[]),
];

#[test]
fn justfile_lists_each_recipe_with_a_one_line_doc() {
    let dump = Command::new(tool("just"))
        .args(["--justfile"])
        .arg(justfile())
        .args(["--dump", "--dump-format", "json"])
        .output()
        .expect("run just");
    ok("just --dump", &dump);
    let dump: serde_json::Value = serde_json::from_slice(&dump.stdout).expect("just --dump is JSON");
    let recipes = dump["recipes"].as_object().expect("recipes");
    let mut public = BTreeMap::new();
    for (name, r) in recipes {
        if r["private"].as_bool() == Some(true) {
            continue;
        }
        let params: Vec<String> = r["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .map(|p| p["name"].as_str().unwrap_or("").into())
            .collect();
        let doc = r["doc"].as_str().unwrap_or_else(|| panic!("recipe {name} has no doc comment"));
        assert!(!doc.trim().is_empty() && !doc.contains('\n'), "recipe {name}: doc {doc:?} is not one line");
        public.insert(name.clone(), (params, doc.to_string()));
    }
    let want: BTreeMap<String, Vec<String>> =
        RECIPES.iter().map(|(n, p)| (n.to_string(), p.iter().map(|s| s.to_string()).collect())).collect();
    let have: BTreeMap<String, Vec<String>> = public.iter().map(|(n, (p, _))| (n.clone(), p.clone())).collect();
    assert_eq!(have, want, "the justfile's public recipes and their parameters");
    // `just` alone lists them (the first recipe is the private one that does, with the same just,
    // on PATH or not), and the listing shows each doc on the recipe's line.
    let list = Command::new(tool("just"))
        .arg("--justfile")
        .arg(justfile())
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("run just");
    ok("just (default recipe)", &list);
    let list = text(&list.stdout);
    for (name, (params, doc)) in &public {
        let head =
            std::iter::once(name.as_str()).chain(params.iter().map(String::as_str)).collect::<Vec<_>>().join(" ");
        assert!(
            list.lines().any(|l| l.trim_start().starts_with(&format!("{head} ")) && l.ends_with(&format!("# {doc}"))),
            "`just --list` shows no line `{head} ... # {doc}`:\n{list}"
        );
    }
}

/// Runs one recipe with a stand-in `strata` first on PATH that writes its argv (NUL-separated)
/// to a file of its own per call and exits with `$FAKE_EXIT` (`prune plan`: `$FAKE_EXIT_PLAN`); returns just's output and the
/// recorded calls, sorted (the two sides of a pipe run at once).
fn run_recipe(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> (Output, Vec<Vec<String>>) {
    let fake = FakeBin::new();
    let log = tempfile::tempdir().expect("tempdir");
    fake.script(
        "strata",
        &format!(
            "printf '%s\\0' \"$@\" > \"$(mktemp '{}/call.XXXXXX')\"\n\
             if [ \"$1 $2\" = 'prune plan' ]; then exit \"${{FAKE_EXIT_PLAN:-${{FAKE_EXIT:-0}}}}\"; fi\n\
             exit \"${{FAKE_EXIT:-0}}\"\n",
            log.path().display()
        ),
    );
    let mut c = Command::new(tool("just"));
    c.arg("--justfile").arg(justfile()).args(args).current_dir(cwd).env("PATH", path_with(&[fake.dir.path()]));
    for k in ["STRATA_DATASET", "STRATA_DIR", "STRATA_BACKUP", "FAKE_EXIT", "FAKE_EXIT_PLAN"] {
        c.env_remove(k);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run just");
    let mut calls: Vec<Vec<String>> = std::fs::read_dir(log.path())
        .expect("read log")
        .map(|e| {
            let raw = std::fs::read(e.expect("entry").path()).expect("read call");
            let mut argv: Vec<String> = raw.split(|b| *b == 0).map(text).collect();
            assert_eq!(argv.pop().as_deref(), Some(""), "each argument ends with a NUL");
            argv
        })
        .collect();
    calls.sort();
    (out, calls)
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|s| s.to_string()).collect()
}

#[test]
fn justfile_recipes_run_strata_with_each_argument_as_one_word() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let stack = "tank/srv/docker/my stack";
    let env = [("STRATA_DATASET", stack), ("STRATA_DIR", "/srv/my stack"), ("STRATA_BACKUP", "pool/back ups")];
    let cases: Vec<(Vec<&str>, Vec<Vec<String>>)> = vec![
        (vec!["snap"], vec![argv(&["snapshot", "create", "-r", stack])]),
        (vec!["diff"], vec![argv(&["diff", stack])]),
        (vec!["deleted"], vec![argv(&["diff", "deleted", "-r", "/srv/my stack"])]),
        (
            vec!["rollback", "2023-08-08-00-00-06"],
            vec![argv(&["snapshot", "rollback", &format!("{stack}@2023-08-08-00-00-06")])],
        ),
        (
            vec!["send", "root@backup.example"],
            vec![argv(&["send", "-r", stack, "--to", "root@backup.example:pool/back ups/my stack"])],
        ),
        (vec!["prune"], vec![argv(&["prune", "apply"]), argv(&["prune", "plan", "--policy", "-r", stack])]),
        (vec!["quota"], vec![argv(&["quota", "report", "-r", stack])]),
    ];
    for (args, want) in cases {
        let (out, calls) = run_recipe(&args, cwd.path(), &env);
        ok(&format!("just {}", args.join(" ")), &out);
        assert_eq!(calls, want, "just {}", args.join(" "));
    }
}

#[test]
fn justfile_versions_passes_a_hostile_file_name_as_data() {
    // The file name holds spaces, quotes, a glob, a command substitution and a newline: strata
    // must get it as one argument, unchanged, and no shell may run what is in it.
    let cwd = tempfile::tempdir().expect("tempdir");
    let name = "my file $(touch pwned) `touch pwned2` 'q' \"dq\" *;\nx.yml";
    let (out, calls) = run_recipe(&["versions", name], cwd.path(), &[]);
    ok("just versions", &out);
    assert_eq!(calls, vec![argv(&["diff", "versions", name])]);
    assert!(
        !cwd.path().join("pwned").exists() && !cwd.path().join("pwned2").exists(),
        "the shell ran part of the name"
    );
    // [no-cd]: a relative FILE is taken from where just was started, not from the justfile's directory.
    let (out, calls) = run_recipe(&["versions", "$(pwd)"], cwd.path(), &[]);
    ok("just versions", &out);
    assert_eq!(calls, vec![argv(&["diff", "versions", "$(pwd)"])]);
    let marker = tempfile::tempdir().expect("tempdir");
    let fake = FakeBin::new();
    fake.script("strata", &format!("pwd > '{}/cwd'\n", marker.path().display()));
    let out = Command::new(tool("just"))
        .arg("--justfile")
        .arg(justfile())
        .args(["versions", "a.yml"])
        .current_dir(cwd.path())
        .env("PATH", path_with(&[fake.dir.path()]))
        .output()
        .expect("run just");
    ok("just versions", &out);
    let ran_in = std::fs::read_to_string(marker.path().join("cwd")).expect("the stand-in ran");
    assert_eq!(Path::new(ran_in.trim()).canonicalize().ok(), cwd.path().canonicalize().ok());
}

#[test]
fn justfile_diff_and_deleted_answer_1_is_not_a_failure_but_2_is() {
    let cwd = tempfile::tempdir().expect("tempdir");
    for recipe in ["diff", "deleted"] {
        let (out, _) = run_recipe(&[recipe], cwd.path(), &[("FAKE_EXIT", "1")]);
        ok(&format!("just {recipe} when strata answers 1 (changes found)"), &out);
        let (out, _) = run_recipe(&[recipe], cwd.path(), &[("FAKE_EXIT", "2")]);
        assert_eq!(out.status.code(), Some(2), "just {recipe} keeps strata's error status: {}", text(&out.stderr));
    }
    // Any other recipe fails as strata does, and a failing first stage of prune's pipe fails it.
    let (out, _) = run_recipe(&["snap"], cwd.path(), &[("FAKE_EXIT", "2")]);
    assert_eq!(out.status.code(), Some(2));
    // pipefail: a plan that failed (say, a dataset's policy could not be read) fails the recipe
    // even though apply, given less to do, succeeded.
    let (out, calls) = run_recipe(&["prune"], cwd.path(), &[("FAKE_EXIT_PLAN", "2")]);
    assert_eq!(calls.len(), 2);
    assert_eq!(out.status.code(), Some(2), "just prune after a failed plan: {}", text(&out.stderr));
}

// ---------------------------------------------------------------------------------------------
// contrib/ansible

fn ansible_dir() -> PathBuf {
    root().join("contrib/ansible")
}

#[test]
fn ansible_playbook_passes_syntax_check_and_ansible_lint_production() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = Command::new(tool("ansible-playbook"))
        .args(["-i", "inventory.ini", "--syntax-check", "site.yml"])
        .current_dir(ansible_dir())
        .env("PATH", path_with(&[]))
        .env("ANSIBLE_HOME", home.path())
        .output()
        .expect("run ansible-playbook");
    ok("ansible-playbook --syntax-check", &out);
    // production is ansible-lint's strictest profile; no rule is skipped (the role has no noqa).
    // --offline: no Galaxy here, and the role needs no collection beyond ansible.builtin.
    let out = Command::new(tool("ansible-lint"))
        .args(["--offline", "--profile", "production", "--nocolor", "site.yml", "roles/strata", "host_vars"])
        .current_dir(ansible_dir())
        .env("PATH", path_with(&[]))
        .env("ANSIBLE_HOME", home.path())
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .output()
        .expect("run ansible-lint");
    ok("ansible-lint --profile production", &out);
    let all = text(&out.stderr) + &text(&out.stdout);
    assert!(all.contains("Profile 'production' was required, and it passed"), "{all}");
    let noqa = Command::new("grep").args(["-rn", "noqa", "."]).current_dir(ansible_dir()).output().expect("grep");
    assert!(noqa.stdout.is_empty(), "a rule is skipped without the test knowing why:\n{}", text(&noqa.stdout));
}

/// A host with ZFS, as far as `strata snapshot policy` can tell: the policy stand-in of
/// [`crate::fakezfs::policy_zfs`], whose `zfs set` is also written into its properties, so a
/// second run sees what the first one set.
struct Host {
    bin: FakeBin,
}

impl Host {
    fn new(datasets: &str, props: &str) -> Host {
        let bin = FakeBin::new();
        let dir = bin.dir.path();
        std::fs::write(dir.join("datasets.tsv"), datasets).expect("write");
        std::fs::write(dir.join("props.tsv"), props).expect("write");
        std::fs::write(dir.join("snaps.tsv"), "").expect("write");
        let set = format!(
            "if [ \"$1\" = set ]; then\n\
             \x20 for a in \"$@\"; do ds=$a; done\n\
             \x20 for a in \"$@\"; do case \"$a\" in *=*) printf '%s\\t%s\\t%s\\n' \"$ds\" \"${{a%%=*}}\" \"${{a#*=}}\" >> '{d}/props.tsv';; esac; done\n\
             fi\n",
            d = dir.display()
        );
        bin.script("zfs", &format!("{set}{}", crate::fakezfs::policy_zfs(dir)));
        Host { bin }
    }

    fn zfs_sets(&self) -> Vec<String> {
        let log = std::fs::read_to_string(self.bin.dir.path().join("calls.log")).unwrap_or_default();
        log.lines().filter(|l| l.starts_with("set ") || l.starts_with("inherit ")).map(str::to_string).collect()
    }
}

/// What one `ansible-playbook` run said about each task: its name, then each item (or `-` for a
/// task without a loop) with its status (`ok`, `changed`, `skipping`).
type Report = BTreeMap<String, Vec<(String, String)>>;

fn report(stdout: &str) -> Report {
    let mut r: Report = BTreeMap::new();
    let mut task = String::new();
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("TASK [").or_else(|| line.strip_prefix("RUNNING HANDLER [")) {
            task = rest.split(']').next().unwrap_or("").trim_start_matches("strata : ").to_string();
            continue;
        }
        for status in ["ok", "changed", "skipping"] {
            if let Some(rest) = line.strip_prefix(&format!("{status}: [localhost]")) {
                let item =
                    rest.split_once("(item=").map(|(_, i)| i.trim_end_matches(|c| c != ')').trim_end_matches(')'));
                r.entry(task.clone()).or_default().push((item.unwrap_or("-").to_string(), status.to_string()));
            }
        }
    }
    r
}

fn changed(r: &Report, task: &str) -> Vec<String> {
    r.get(task).map(|v| v.iter().filter(|(_, s)| s == "changed").map(|(i, _)| i.clone()).collect()).unwrap_or_default()
}

struct Run {
    out: Output,
    report: Report,
}

/// Runs contrib/ansible/site.yml against this machine (`--connection=local` through an inventory
/// of localhost) with the role's variables from `vars`, ZFS being `host`.
fn playbook(host: &Host, vars: &serde_json::Value, extra: &[&str]) -> Run {
    let tmp = tempfile::tempdir().expect("tempdir");
    let python = root().join("target/tools/venv/bin/python3");
    std::fs::write(
        tmp.path().join("inventory.ini"),
        format!("[strata]\nlocalhost ansible_connection=local ansible_python_interpreter={}\n", python.display()),
    )
    .expect("write inventory");
    std::fs::write(tmp.path().join("vars.json"), vars.to_string()).expect("write vars");
    let mut c = Command::new(tool("ansible-playbook"));
    c.arg("-i")
        .arg(tmp.path().join("inventory.ini"))
        .arg("--connection=local")
        .arg("-e")
        .arg(format!("@{}", tmp.path().join("vars.json").display()))
        // The sample play becomes root through sudo; the test runs as whoever runs it.
        .args(["-e", "ansible_become=false"])
        .args(extra)
        .arg(ansible_dir().join("site.yml"))
        .env("PATH", path_with(&[host.bin.dir.path()]))
        .env("ANSIBLE_HOME", tmp.path().join("home"))
        .env("ANSIBLE_LOCAL_TEMP", tmp.path().join("tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_FORCE_COLOR", "0")
        .env("ANSIBLE_STDOUT_CALLBACK", "default")
        .env_remove("ANSIBLE_CONFIG");
    let out = c.output().expect("run ansible-playbook");
    let report = report(&text(&out.stdout));
    Run { out, report }
}

const DATASETS: &str = "tank\ntank/srv\ntank/srv/db\ntank/srv/my-app\ntank/home\n";
const PROPS: &str = "tank/srv\tstrata:snapshot\t1h\ntank/srv\tstrata:keep\tdaily=7,weekly=4\n";

fn role_vars(root_dir: &Path) -> serde_json::Value {
    let bin = crate::util::bin_dir();
    serde_json::json!({
        "strata_install_from": "dir",
        "strata_files": root(),
        "strata_files_bin": bin,
        "strata_root": root_dir,
        "strata_command": bin.join("strata"),
        "strata_datasets": {
            // as it is already: nothing to do
            "tank/srv": {"every": "1h", "keep": "daily=7,weekly=4"},
            // inherits 1h from tank/srv: set here
            "tank/srv/db": {"every": "15m"},
            // inherits the same 1h from tank/srv: set here all the same, so it stays when tank/srv's changes
            "tank/srv/my-app": {"every": "1h"},
            // a YAML `off` is false: it means off; keep and send are new
            "tank/home": {"every": false, "keep": "daily=30", "send": "backup.example.org:pool/home"},
        },
        "strata_timers": ["tank", "tank/srv/my-app"],
    })
}

fn files_under(dir: &Path) -> Vec<String> {
    let out = Command::new("find").arg(dir).args(["-mindepth", "1", "-printf", "%P %y %m\n"]).output().expect("find");
    let mut v: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    v.sort();
    v
}

#[test]
fn ansible_role_check_mode_reports_the_changes_then_a_real_run_makes_them_once() {
    let host = Host::new(DATASETS, PROPS);
    let dest = tempfile::tempdir().expect("tempdir");
    let vars = role_vars(dest.path());

    // --check --diff: every change reported, nothing changed (no file, no zfs set).
    let run = playbook(&host, &vars, &["--check", "--diff"]);
    ok("ansible-playbook --check --diff", &run.out);
    let r = &run.report;
    let bins = [
        "strata",
        "strata-snapshot",
        "strata-diff",
        "strata-prune",
        "strata-send",
        "strata-quota",
        "strata-harden-check",
        "strata-sshtui",
    ];
    assert_eq!(changed(r, "Binaries"), bins.to_vec(), "{r:#?}");
    assert_eq!(changed(r, "Man pages").len(), 8, "{r:#?}");
    assert_eq!(
        changed(r, "Systemd units"),
        ["strata-check@.service", "strata-check@.timer", "strata@.service", "strata@.timer"],
        "{r:#?}"
    );
    assert_eq!(
        changed(r, "Set the policy where it differs"),
        ["tank/srv/db", "tank/srv/my-app", "tank/home"],
        "{r:#?}"
    );
    // tank/srv has its values already, set on itself: left alone.
    assert!(r["Set the policy where it differs"].contains(&("tank/srv".into(), "skipping".into())), "{r:#?}");
    assert_eq!(
        changed(r, "Enable the timers"),
        [
            r"strata@tank.timer",
            r"strata@tank-srv-my\x2dapp.timer",
            r"strata-check@tank.timer",
            r"strata-check@tank-srv-my\x2dapp.timer"
        ],
        "{r:#?}"
    );
    assert_eq!(files_under(dest.path()), Vec::<String>::new(), "check mode wrote files");
    assert_eq!(host.zfs_sets(), Vec::<String>::new(), "check mode set properties");
    let stdout = text(&run.out.stdout);
    assert!(stdout.contains("changed=") && !stdout.contains("failed=1"), "{stdout}");

    // The real run: the same changes, made.
    let run = playbook(&host, &vars, &[]);
    ok("ansible-playbook", &run.out);
    assert_eq!(
        changed(&run.report, "Set the policy where it differs"),
        ["tank/srv/db", "tank/srv/my-app", "tank/home"]
    );
    assert_eq!(
        host.zfs_sets(),
        [
            "set strata:snapshot=15m tank/srv/db",
            "set strata:snapshot=1h tank/srv/my-app",
            "set strata:snapshot=off strata:keep=daily=30 strata:send=backup.example.org:pool/home tank/home",
        ]
    );
    let files = files_under(dest.path());
    for want in [
        "usr/local/bin/strata f 755",
        "usr/local/bin/strata-sshtui f 755",
        "usr/local/share/man/man1/strata-snapshot.1 f 644",
        "usr/local/share/bash-completion/completions/strata-snapshot f 644",
        "usr/local/share/zsh/site-functions/_strata f 644",
        "usr/local/share/fish/vendor_completions.d/strata.fish f 644",
        "usr/local/lib/systemd/system/strata@.timer f 644",
        r"etc/systemd/system/timers.target.wants/strata-check@tank-srv-my\x2dapp.timer l 777",
    ] {
        assert!(files.iter().any(|f| f == want), "no {want} under the root:\n{}", files.join("\n"));
    }
    // systemd itself (offline, on the root) says the timers are enabled.
    let out = Command::new("systemctl")
        .arg(format!("--root={}", dest.path().display()))
        .args(["is-enabled", "strata@tank.timer", r"strata@tank-srv-my\x2dapp.timer", "strata-check@tank.timer"])
        .output()
        .expect("systemctl");
    assert_eq!(text(&out.stdout), "enabled\nenabled\nenabled\n", "{}", text(&out.stderr));

    // Idempotent: run again, nothing to change, no zfs set (the policy and the timers: copying
    // files again is ansible's own business, and the longest part of a run).
    let before = host.zfs_sets().len();
    let run = playbook(&host, &vars, &["--check", "--diff", "--tags", "strata_policy,strata_timers"]);
    ok("ansible-playbook --check, again", &run.out);
    let any: Vec<_> = run.report.iter().filter(|(_, v)| v.iter().any(|(_, s)| s == "changed")).collect();
    assert!(any.is_empty(), "changes after the real run: {any:#?}");
    assert_eq!(host.zfs_sets().len(), before);
}

#[test]
fn ansible_role_stops_on_a_bad_policy_value_and_checks_a_host_without_strata() {
    let host = Host::new(DATASETS, PROPS);
    let mut vars = serde_json::json!({
        "strata_install_from": "none",
        "strata_command": crate::util::bin_dir().join("strata"),
        "strata_datasets": {"tank/srv/db": {"every": "5 minutes"}},
        "strata_timers": [],
    });
    let run = playbook(&host, &vars, &["--check"]);
    assert!(!run.out.status.success(), "a bad value passed the check:\n{}", text(&run.out.stdout));
    let stdout = text(&run.out.stdout);
    assert!(stdout.contains("5 minutes"), "the error names the value:\n{stdout}");
    assert_eq!(host.zfs_sets(), Vec::<String>::new());
    // A misspelt key is named, not ignored.
    vars["strata_datasets"] = serde_json::json!({"tank/srv": {"evry": "1h"}});
    let run = playbook(&host, &vars, &["--check"]);
    assert!(!run.out.status.success());
    assert!(
        text(&run.out.stdout).contains(r#"strata_datasets[\"tank/srv\"] is {\"evry\": \"1h\"}"#),
        "{}",
        text(&run.out.stdout)
    );
    // A dataset that does not exist stops the run at the read, with strata's message.
    vars["strata_datasets"] = serde_json::json!({"tank/nope": {"every": "1h"}});
    let run = playbook(&host, &vars, &["--check"]);
    assert!(!run.out.status.success());
    assert!(text(&run.out.stdout).contains("tank/nope"), "{}", text(&run.out.stdout));
    // A first check of a new host, strata not installed yet: every dataset's policy is to be
    // set, and the check succeeds; a real run cannot go without strata.
    vars["strata_command"] = serde_json::json!("/nonexistent/bin/strata");
    vars["strata_datasets"] = serde_json::json!({"tank/srv": {"every": "1h"}, "tank/home": {"keep": "daily=7"}});
    let run = playbook(&host, &vars, &["--check"]);
    ok("ansible-playbook --check, strata not installed", &run.out);
    assert_eq!(
        changed(&run.report, "Set the policy once strata is installed"),
        ["tank/srv", "tank/home"],
        "{:#?}",
        run.report
    );
    let run = playbook(&host, &vars, &[]);
    assert!(!run.out.status.success(), "{}", text(&run.out.stdout));
    assert_eq!(host.zfs_sets(), Vec::<String>::new());
    // An unknown install source is refused before anything runs.
    vars["strata_install_from"] = serde_json::json!("tarball");
    let run = playbook(&host, &vars, &["--check"]);
    assert!(!run.out.status.success());
    assert!(text(&run.out.stdout).contains("strata_install_from"), "{}", text(&run.out.stdout));
}

// ---------------------------------------------------------------------------------------------
// README: "Across a fleet (Ansible + Prometheus)", up to the alert rules' paragraph

/// The fenced blocks of the README's fleet section before the alert rules: (language, text).
fn readme_fleet_blocks() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let start = readme.find("### Across a fleet (Ansible + Prometheus)").expect("the fleet section");
    let rest = &readme[start..];
    let end = ["<!-- Prometheus rules", "\n### ", "\n## "]
        .iter()
        .filter_map(|m| rest[1..].find(m).map(|i| i + 1))
        .min()
        .unwrap_or(rest.len());
    let mut blocks = Vec::new();
    let mut lines = rest[..end].lines();
    while let Some(l) = lines.next() {
        if let Some(lang) = l.strip_prefix("```") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| !l.starts_with("```")).collect();
            blocks.push((lang.to_string(), body.join("\n") + "\n"));
        }
    }
    blocks
}

/// YAML as JSON, read by the PyYAML that ansible itself uses.
fn yaml(src: &str) -> serde_json::Value {
    let mut child = Command::new(tool("python3"))
        .args(["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run python3");
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(src.as_bytes()).expect("write yaml");
    let out = child.wait_with_output().expect("python3");
    ok(&format!("parsing YAML:\n{src}"), &out);
    serde_json::from_slice(&out.stdout).expect("JSON from python")
}

#[test]
fn readme_fleet_examples_are_the_shipped_files_and_they_work() {
    let blocks = readme_fleet_blocks();
    let langs: Vec<&str> = blocks.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(langs, ["sh", "yaml", "yaml"], "the section's examples");
    let (playbook, host_vars) = (&blocks[1].1, &blocks[2].1);

    // The playbook shown is site.yml, and ansible takes it as it stands in the README.
    let shipped = std::fs::read_to_string(ansible_dir().join("site.yml")).expect("site.yml");
    assert_eq!(yaml(playbook), yaml(&shipped), "README's playbook is not contrib/ansible/site.yml");
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("site.yml"), playbook).expect("write");
    std::fs::write(tmp.path().join("inventory.ini"), "[strata]\nweb1.example.org\n").expect("write");
    let out = Command::new(tool("ansible-playbook"))
        .args(["-i", "inventory.ini", "--syntax-check", "site.yml"])
        .current_dir(tmp.path())
        .env("PATH", path_with(&[]))
        .env("ANSIBLE_HOME", tmp.path().join("home"))
        .env("ANSIBLE_ROLES_PATH", ansible_dir().join("roles"))
        .output()
        .expect("run ansible-playbook");
    ok("ansible-playbook --syntax-check of the README's playbook", &out);

    // The host variables shown are the sample's, and strata takes every value in them.
    let shipped = std::fs::read_to_string(ansible_dir().join("host_vars/web1.example.org.yml")).expect("host_vars");
    let vars = yaml(host_vars);
    assert_eq!(vars, yaml(&shipped), "README's host_vars is not contrib/ansible/host_vars/web1.example.org.yml");
    let datasets = vars["strata_datasets"].as_object().expect("strata_datasets");
    let names: String = datasets.keys().map(|d| format!("{d}\n")).collect();
    let host = Host::new(&format!("tank\n{names}"), "");
    for (dataset, policy) in datasets {
        let mut args = vec!["snapshot".to_string(), "policy".into(), "set".into(), "--dry-run".into()];
        for (key, value) in policy.as_object().expect("a dataset's policy") {
            let value = value.as_str().unwrap_or_else(|| panic!("{dataset}: {key} is not a string: {value}"));
            args.extend([format!("--{key}"), value.to_string()]);
        }
        args.extend(["--".into(), dataset.clone()]);
        let out = crate::util::bin("strata").args(&args).env("PATH", host.bin.path()).output().expect("strata");
        ok(&format!("strata {}", args.join(" ")), &out);
    }

    // The commands: the files they name are there, and so is each tag.
    let tasks = std::fs::read_to_string(ansible_dir().join("roles/strata/tasks/main.yml")).expect("tasks");
    for line in blocks[0].1.lines().filter(|l| l.starts_with("ansible-playbook")) {
        let words: Vec<&str> = line.split('#').next().unwrap_or("").split_whitespace().collect();
        for w in &words {
            if w.ends_with(".ini") || w.ends_with(".yml") {
                assert!(ansible_dir().join(w).is_file(), "README names contrib/ansible/{w}, which is not there");
            }
        }
        for pair in words.windows(2).filter(|p| p[0] == "--tags") {
            assert!(tasks.contains(&format!("tags: [{}]", pair[1])), "README's tag {} is not in the role", pair[1]);
        }
    }
}
