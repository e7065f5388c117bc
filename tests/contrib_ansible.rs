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
    // `just` alone lists them (the first recipe is the private one that does), and the listing
    // shows each doc on the recipe's line.
    let list = Command::new(tool("just"))
        .arg("--justfile")
        .arg(justfile())
        .env("PATH", path_with(&[]))
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
