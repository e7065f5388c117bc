//! Host tests of the strata dispatcher, the binaries' shared surface, and the packaging files.

use predicates::prelude::*;

use crate::util::{self, FakeBin, bin};

const BINARIES: &[&str] = &[
    "strata",
    "strata-snapshot",
    "strata-diff",
    "strata-prune",
    "strata-quota",
    "strata-harden-check",
    "strata-sshtui",
];

#[test]
fn every_binary_has_help_and_version() {
    for b in BINARIES {
        bin(b)
            .arg("--help")
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage:").and(predicate::str::contains("Examples:\n")));
        bin(b).arg("--version").assert().success().stdout(predicate::str::starts_with(format!("{b} ")));
    }
}

#[test]
fn list_shows_builtins_and_tools_on_path() {
    let fake = FakeBin::new();
    fake.script("strata-hello", "printf '%s|' \"$@\"\n");
    let out = bin("strata").arg("--list").env("PATH", fake.path()).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    for t in ["snapshot", "diff", "prune", "quota", "harden-check", "sshtui", "hello"] {
        assert!(text.lines().any(|l| l.split_whitespace().next() == Some(t)), "{t} missing from:\n{text}");
    }
}

#[test]
fn runs_external_tools_from_path_with_their_arguments() {
    let fake = FakeBin::new();
    fake.script("strata-hello", "printf '%s|' \"$@\"\n");
    bin("strata")
        .args(["hello", "a b", "--x", "$(id)"])
        .env("PATH", fake.path())
        .assert()
        .success()
        .stdout("a b|--x|$(id)|");
}

#[test]
fn unknown_tool_is_a_clear_error() {
    bin("strata")
        .arg("no-such-tool")
        .assert()
        .code(127)
        .stderr(predicate::str::contains("'no-such-tool' is not a strata tool"));
}

#[test]
fn a_typo_gets_the_nearest_tool_suggested() {
    bin("strata").arg("snaphot").assert().code(127).stderr(predicate::str::contains("did you mean 'strata snapshot'?"));
    bin("strata").arg("harden-chek").assert().code(127).stderr(predicate::str::contains("'strata harden-check'"));
    // a tool on PATH is a candidate too
    let fake = FakeBin::new();
    fake.script("strata-hello", "true\n");
    bin("strata")
        .arg("helo")
        .env("PATH", fake.path())
        .assert()
        .code(127)
        .stderr(predicate::str::contains("did you mean 'strata hello'?"));
    // nothing near: no guess
    bin("strata")
        .arg("xyzzyplugh")
        .assert()
        .code(127)
        .stderr(predicate::str::contains("did you mean").not().and(predicate::str::contains("strata --list")));
}

#[test]
fn an_unknown_name_is_shown_escaped() {
    bin("strata").arg("x\x1b]0;owned\x07").assert().code(127).stderr(predicate::str::contains("\x1b").not());
}

#[test]
fn builtin_runs_in_process_with_the_tool_name() {
    bin("strata")
        .args(["snapshot", "--no-such-flag"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--no-such-flag"));
    bin("strata").args(["snapshot", "--help"]).assert().success().stdout(predicate::str::contains("strata-snapshot"));
    // a subcommand's help shows the examples of that subcommand
    bin("strata").args(["quota", "check", "--help"]).assert().success().stdout(
        predicate::str::contains("$ strata-quota check").and(predicate::str::contains("$ strata-quota report").not()),
    );
}

#[test]
fn man_pages_render_with_exit_status_and_environment() {
    let root = env!("CARGO_MANIFEST_DIR");
    for b in BINARIES {
        let page = format!("{root}/man/{b}.1");
        let out = std::process::Command::new("man")
            .args(["-l", &page])
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100")
            .output()
            .expect("man(1) from man-db is needed to render the man pages");
        assert!(out.status.success(), "man -l {page}: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        for section in ["NAME", "SYNOPSIS", "EXIT STATUS", "ENVIRONMENT"] {
            assert!(text.contains(section), "{page} lacks {section}");
        }
    }
}

#[test]
fn completions_exist_for_every_binary_and_shell() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for b in BINARIES {
        for f in [format!("{b}.bash"), format!("_{b}"), format!("{b}.fish")] {
            let p = root.join(&f);
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            assert!(text.contains(b), "{f} does not mention {b}");
        }
    }
    // bash can load the bash completion.
    let st = std::process::Command::new("bash")
        .args([
            "-c",
            "source \"$1\" && complete -p strata-snapshot",
            "_",
            &root.join("strata-snapshot.bash").display().to_string(),
        ])
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
}

#[test]
fn flake_parses_and_devbox_has_its_scripts() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("nix-instantiate")
        .arg("--parse")
        .arg(root.join("flake.nix"))
        .output()
        .expect("nix-instantiate (Debian package nix-bin) is needed to check flake.nix");
    assert!(out.status.success(), "flake.nix does not parse: {}", String::from_utf8_lossy(&out.stderr));
    let flake = std::fs::read_to_string(root.join("flake.nix")).unwrap();
    for needle in
        ["buildRustPackage", "cargoLock.lockFile", "installShellFiles", "installManPage", "devShells", "checks"]
    {
        assert!(flake.contains(needle), "flake.nix lacks {needle}");
    }
    let devbox: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("devbox.json")).unwrap()).unwrap();
    assert!(devbox["packages"].as_array().is_some_and(|p| !p.is_empty()));
    for s in ["test", "gen", "ci"] {
        assert!(devbox["shell"]["scripts"][s].is_string(), "devbox.json lacks script {s}");
    }
}

#[test]
fn readme_keeps_exactly_two_setup_commands_and_ci_runs_the_test_one() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let quick = readme.split("## Quick start").nth(1).unwrap().split("\n## ").next().unwrap();
    let commands: Vec<&str> = quick.split("```sh\n").skip(1).map(|b| b.split("```").next().unwrap().trim()).collect();
    assert_eq!(commands, vec!["cargo xtask lab demo", "cargo xtask ci"]);
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(ci.lines().any(|l| l.trim() == "cargo xtask ci"), ".ci/run must run the README's test command");
    let _ = util::bin_dir();
}
