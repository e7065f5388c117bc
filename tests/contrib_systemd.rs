//! The systemd units in contrib/systemd and the Prometheus rules in contrib/prometheus: scored by
//! strata-harden-check and by the real `systemd-analyze security` (the same number, at most
//! 2.0), checked by `systemd-analyze verify`, their ExecStart lines run as systemd runs them
//! (with a stand-in strata that logs its argv, then the argv replayed through the real binaries'
//! argument parsing), and the rules through `promtool`. The README's examples are these files.

pub mod exec;

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use crate::util;

const SERVICES: [&str; 2] = ["strata@.service", "strata-check@.service"];
const UNITS: [&str; 4] = ["strata@.service", "strata@.timer", "strata-check@.service", "strata-check@.timer"];
const NEEDS: &str = "run `cargo xtask deps` (as root) to install it";

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn unit_text(name: &str) -> String {
    std::fs::read_to_string(repo("contrib/systemd").join(name))
        .unwrap_or_else(|e| panic!("contrib/systemd/{name}: {e}"))
}

/// A root holding the contrib units in /etc/systemd/system, as installed.
fn unit_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("etc/systemd/system");
    std::fs::create_dir_all(&dir).unwrap();
    for u in UNITS {
        std::fs::copy(repo("contrib/systemd").join(u), dir.join(u)).unwrap();
    }
    root
}

fn program(name: &str) -> Std {
    let mut c = Std::new(name);
    c.env("SYSTEMD_LOG_COLOR", "0").env("NO_COLOR", "1");
    c
}

fn run(c: &mut Std, what: &str) -> std::process::Output {
    c.output().unwrap_or_else(|e| panic!("{what} cannot run ({e}); {NEEDS}"))
}

/// The exposure `systemd-analyze security --offline=true` prints for `unit` under `root`.
fn systemd_analyze_exposure(root: &Path, unit: &str) -> String {
    let out = run(
        program("systemd-analyze")
            .args(["security", "--offline=true", "--no-pager"])
            .arg(format!("--root={}", root.display()))
            .arg(unit),
        "systemd-analyze",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.contains("Overall exposure level")).unwrap_or_else(|| {
        panic!("systemd-analyze security {unit}: no exposure line\n{text}\n{}", String::from_utf8_lossy(&out.stderr))
    });
    line.rsplit_once(": ").expect("exposure").1.split_whitespace().next().expect("number").to_string()
}

#[test]
fn each_service_scores_at_most_2_with_strata_and_with_systemd_analyze_alike() {
    let root = unit_root();
    let mut scores = Vec::new();
    for unit in SERVICES {
        let out =
            util::bin("strata-harden-check").arg("--root").arg(root.path()).args(["--json", unit]).output().unwrap();
        assert!(out.status.success(), "{unit}: {}", String::from_utf8_lossy(&out.stderr));
        let rec = util::ndjson(&out.stdout).remove(0);
        assert_eq!(rec["type"], "unit", "{unit}: {rec}");
        let ours = format!("{:.1}", rec["exposure"].as_f64().expect("exposure"));
        let theirs = systemd_analyze_exposure(root.path(), unit);
        assert_eq!(ours, theirs, "{unit}: strata-harden-check and systemd-analyze disagree");
        let score: f64 = ours.parse().unwrap();
        assert!(score <= 2.0, "{unit} scores {score}, above 2.0");
        scores.push((unit, ours));
    }
    // the README says what they are
    let said = format!("are {} (`{}`) and {} (`{}`)", scores[0].1, scores[0].0, scores[1].1, scores[1].0);
    let readme = readme_part("### From systemd\n").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(readme.contains(&said), "README's From systemd does not say the scores {said:?}");
}

/// A MANPATH holding this repository's man pages, so verify's check of `Documentation=man:...`
/// is a check of the pages strata ships.
fn manpath() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let man1 = d.path().join("man1");
    std::fs::create_dir(&man1).unwrap();
    for e in std::fs::read_dir(repo("man")).unwrap() {
        let p = e.unwrap().path();
        std::os::unix::fs::symlink(&p, man1.join(p.file_name().unwrap())).unwrap();
    }
    d
}

/// `systemd-analyze verify`; with `man`, its check of the man pages runs against that MANPATH
/// (each costs a `man` run, so the cases that are not about man pages skip it).
fn verify(files: &[PathBuf], man: Option<&Path>) -> std::process::Output {
    let mut c = program("systemd-analyze");
    c.arg("verify");
    match man {
        Some(m) => c.env("MANPATH", m),
        None => c.arg("--man=false"),
    };
    run(c.args(files), "systemd-analyze")
}

#[test]
fn units_and_timers_pass_systemd_analyze_verify_without_a_word() {
    let root = unit_root();
    let dir = root.path().join("etc/systemd/system");
    let man = manpath();
    let files: Vec<PathBuf> = UNITS.iter().map(|u| dir.join(u)).collect();
    let out = verify(&files, Some(man.path()));
    // verify exits 0 on an unknown key or a bad value (it only warns), so any word fails the test
    assert!(
        out.status.success() && out.stderr.is_empty() && out.stdout.is_empty(),
        "systemd-analyze verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // each timer triggers its own service (verify does not say when it is missing)
    for t in UNITS.iter().filter(|u| u.ends_with(".timer")) {
        assert!(dir.join(t.replace(".timer", ".service")).is_file(), "{t} has no service");
    }
    // and verify is not blind: a typo, a missing program and a missing man page are reported
    let bad = dir.join("strata@.service");
    for (from, to, man) in [
        ("PrivateTmp=yes", "PrivateTmpp=yes", None),
        (":/bin/bash", ":/bin/bash-missing", None),
        ("man:strata-send(1)", "man:strata-nope(1)", Some(man.path())),
    ] {
        std::fs::write(&bad, unit_text("strata@.service").replacen(from, to, 1)).unwrap();
        let out = verify(std::slice::from_ref(&bad), man);
        assert!(!out.stderr.is_empty(), "verify says nothing of {to}");
    }
}

#[test]
fn escaping_is_systemd_escapes() {
    for name in [
        "tank",
        "tank/srv",
        "tank/srv/docker/victim.org",
        "tank/my srv",
        "tank-x/a_b:c",
        ".z/x",
        "tank/ü",
        "a\\b;$(id)",
    ] {
        let out = run(program("systemd-escape").arg("--").arg(name), "systemd-escape");
        let theirs = String::from_utf8(out.stdout).unwrap();
        assert_eq!(exec::escape(name), theirs.trim_end_matches('\n'), "{name:?}");
        assert_eq!(exec::unescape(&exec::escape(name)).unwrap(), name);
        let back = run(program("systemd-escape").args(["-u", "--", &exec::escape(name)]), "systemd-escape");
        assert_eq!(String::from_utf8(back.stdout).unwrap().trim_end_matches('\n'), name);
        // a dataset name (no leading dot, no empty component) escapes alike as a path
        if !name.starts_with('.') {
            let path = run(program("systemd-escape").args(["--path", "--", name]), "systemd-escape");
            assert_eq!(String::from_utf8(path.stdout).unwrap(), theirs, "{name:?} --path");
        }
    }
}

#[test]
fn exec_lines_split_as_systemd_splits_them() {
    let unit = "[Service]\nExecStart=:/bin/echo 'a b' \"c\\x20d\" e'f g'h %I %i %%\nExecStart=-/bin/true\n";
    let cmds = exec::exec_start(unit, "x@.service", "tank-my\\x20srv").unwrap();
    assert_eq!(cmds[0].argv, ["/bin/echo", "a b", "c d", "ef gh", "tank/my srv", "tank-my\\x20srv", "%"]);
    assert!(!cmds[0].ignore_failure && cmds[1].ignore_failure);
    for bad in [
        "ExecStart=/bin/echo $HOME",
        "ExecStart=/bin/echo 'a",
        "ExecStart=/bin/echo a \\\n b",
        "ExecStart=/bin/echo %Z",
    ] {
        assert!(exec::exec_start(&format!("[Service]\n{bad}\n"), "x@.service", "i").is_err(), "{bad}");
    }
}

/// A stand-in `strata`: logs its argv (tab-separated, one line per run) to `$LOG`, reads what
/// `prune apply` gets on stdin, writes the textfile it is given with --prometheus, and exits
/// with `$EXIT_<STAGE>` (0 unset).
fn stand_in() -> util::FakeBin {
    let bin = util::FakeBin::new();
    bin.script(
        "strata",
        r#"line=; for a in "$@"; do line="$line$a	"; done; printf '%s\n' "$line" >> "$LOG"
prom=; prev=; for a in "$@"; do [ "$prev" = --prometheus ] && prom=$a; prev=$a; done
[ -n "$prom" ] && printf 'strata_%s_check_success 1\n' "$1" > "$prom"
case "$1 $2" in
"snapshot create") exit "${EXIT_CREATE:-0}";;
"prune plan") echo '{"type":"plan"}'; exit "${EXIT_PLAN:-0}";;
"prune apply") cat > "$LOG.apply"; exit "${EXIT_APPLY:-0}";;
"send --policy") exit "${EXIT_SEND:-0}";;
"snapshot check") exit "${EXIT_SNAPSHOT_CHECK:-0}";;
"send check") exit "${EXIT_SEND_CHECK:-0}";;
"quota check") exit "${EXIT_QUOTA_CHECK:-0}";;
esac
echo "stand-in strata: unexpected $*" >&2; exit 99
"#,
    );
    bin
}

struct Ran {
    code: Option<i32>,
    calls: Vec<Vec<String>>,
    stderr: String,
}

/// The textfile directory the check unit names.
const TEXTFILES: &str = "/var/lib/prometheus/node-exporter/";

/// Runs the unit's ExecStart lines for `instance` (escaped) in order, as systemd does: the next
/// only after the previous succeeded, with the unit's Environment= and the stand-in on PATH. The
/// textfile directory is moved to `cwd`/textfiles, so nothing outside the test is written.
fn run_unit(template: &str, instance: &str, cwd: &Path, extra_env: &[(&str, &str)]) -> Ran {
    let textfiles = cwd.join("textfiles");
    std::fs::create_dir_all(&textfiles).unwrap();
    let text = unit_text(template).replace(TEXTFILES, &format!("{}/", textfiles.display()));
    let cmds = exec::exec_start(&text, template, instance).unwrap();
    assert!(!cmds.is_empty(), "{template}: no ExecStart");
    let env = exec::environment(&text, template, instance).unwrap();
    let bin = stand_in();
    let log = cwd.join("calls.log");
    let mut code = Some(0);
    let mut stderr = String::new();
    for cmd in &cmds {
        let out = Std::new(&cmd.argv[0])
            .args(&cmd.argv[1..])
            .current_dir(cwd)
            .env_clear()
            .env("PATH", bin.path())
            .env("LOG", &log)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(extra_env.iter().copied().filter(|(k, _)| !k.is_empty()))
            .output()
            .unwrap();
        stderr.push_str(&String::from_utf8_lossy(&out.stderr));
        code = out.status.code();
        if code != Some(0) && !cmd.ignore_failure {
            break;
        }
    }
    let calls = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(|l| l.strip_suffix('\t').unwrap_or(l).split('\t').map(String::from).collect())
        .collect();
    Ran { code, calls, stderr }
}

fn words(s: &str) -> Vec<String> {
    s.split(' ').map(String::from).collect()
}

#[test]
fn policy_unit_runs_every_stage_and_fails_when_any_failed() {
    let dir = tempfile::tempdir().unwrap();
    let instance = exec::escape("tank/srv");
    assert_eq!(instance, "tank-srv");
    let ran = run_unit("strata@.service", &instance, dir.path(), &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let (create, plan, apply, send) = (
        words("snapshot create --due -r -- tank/srv"),
        words("prune plan --policy -r -- tank/srv"),
        words("prune apply --yes"),
        words("send --policy -r -- tank/srv"),
    );
    assert_eq!(ran.calls.len(), 4, "{:?}", ran.calls);
    assert_eq!(ran.calls[0], create);
    assert_eq!(ran.calls[3], send);
    let mut middle = ran.calls[1..3].to_vec();
    middle.sort();
    assert_eq!(middle, [apply.clone(), plan.clone()]);
    assert_eq!(std::fs::read_to_string(dir.path().join("calls.log.apply")).unwrap(), "{\"type\":\"plan\"}\n");

    // a failed stage does not stop the next ones, and the unit fails with its status
    for (var, code) in [("EXIT_CREATE", 2), ("EXIT_PLAN", 2), ("EXIT_APPLY", 2), ("EXIT_SEND", 75)] {
        let dir = tempfile::tempdir().unwrap();
        let ran = run_unit("strata@.service", &instance, dir.path(), &[(var, &code.to_string())]);
        assert_eq!(ran.code, Some(code), "{var}: {}", ran.stderr);
        assert_eq!(ran.calls.len(), 4, "{var}: every stage runs: {:?}", ran.calls);
        assert_eq!(ran.calls[3], send, "{var}");
    }
}

#[test]
fn an_instance_reaches_strata_as_one_argument_never_as_script() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "tank/a b;touch pwned $(touch pwned2) `touch pwned3` \"q' %s";
    let ran = run_unit("strata@.service", &exec::escape(hostile), dir.path(), &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(ran.calls[0].last().map(String::as_str), Some(hostile));
    assert_eq!(ran.calls[3].last().map(String::as_str), Some(hostile));
    for f in ["pwned", "pwned2", "pwned3"] {
        assert!(!dir.path().join(f).exists(), "{f}: the instance ran as shell text");
    }
    let dir = tempfile::tempdir().unwrap();
    let ran = run_unit("strata-check@.service", &exec::escape(hostile), dir.path(), &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(ran.calls.iter().all(|c| c.last().map(String::as_str) == Some(hostile)), "{:?}", ran.calls);
    for f in ["pwned", "pwned2", "pwned3"] {
        assert!(!dir.path().join(f).exists(), "{f}: the instance ran as shell text");
    }
}

#[test]
fn check_unit_writes_every_textfile_and_fails_only_when_a_check_could_not_run() {
    let instance = exec::escape("tank/srv");
    let cmds = exec::exec_start(&unit_text("strata-check@.service"), "strata-check@.service", &instance).unwrap();
    assert_eq!(cmds.len(), 1);
    for c in ["snapshot", "send", "quota"] {
        let file = format!("{TEXTFILES}strata-{c}-tank-srv.prom");
        assert!(cmds[0].argv.contains(&file), "{file} not in {:?}", cmds[0].argv);
    }
    for (var, code, unit_fails) in [
        ("", 0, false),
        ("EXIT_SNAPSHOT_CHECK", 1, false),
        ("EXIT_SEND_CHECK", 2, false),
        ("EXIT_SNAPSHOT_CHECK", 3, true),
        ("EXIT_QUOTA_CHECK", 3, true),
        ("EXIT_SEND_CHECK", 75, true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let ran = run_unit("strata-check@.service", &instance, dir.path(), &[(var, &code.to_string())]);
        assert_eq!(ran.code != Some(0), unit_fails, "{var}={code}: exit {:?} {}", ran.code, ran.stderr);
        if unit_fails {
            assert_eq!(ran.code, Some(code));
        }
        assert_eq!(ran.calls.len(), 3, "{var}={code}: every check runs: {:?}", ran.calls);
        assert_eq!(ran.calls[0][..4], words("snapshot check -r --prometheus")[..]);
        assert_eq!(ran.calls[1][..4], words("send check -r --prometheus")[..]);
        assert_eq!(ran.calls[2][..7], words("quota check -r --warn 80% --crit 95%")[..]);
        for c in ["snapshot", "send", "quota"] {
            let file = dir.path().join(format!("textfiles/strata-{c}-tank-srv.prom"));
            assert!(file.is_file(), "{var}={code}: {} not written", file.display());
        }
    }
}

/// Every argv the stand-in saw parses with the real binaries: `--help` put before `--` (or at
/// the end) makes clap stop after checking every option and value before it.
fn parses_with_real_strata(calls: &[Vec<String>]) {
    for call in calls {
        let mut argv = call.clone();
        let at = argv.iter().position(|a| a == "--").unwrap_or(argv.len());
        argv.insert(at, "--help".into());
        let out = util::bin("strata").args(&argv).output().unwrap();
        assert!(out.status.success(), "strata {}: {}", call.join(" "), String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn the_units_commands_are_real_strata_command_lines() {
    for unit in SERVICES {
        let dir = tempfile::tempdir().unwrap();
        let ran = run_unit(unit, "tank-srv", dir.path(), &[]);
        assert!(!ran.calls.is_empty());
        parses_with_real_strata(&ran.calls);
    }
    // and the replay is not blind
    let out =
        util::bin("strata").args(["snapshot", "create", "--due", "--nope", "--help", "--", "tank"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn alert_rules_pass_promtool_check_and_their_tests() {
    let dir = repo("contrib/prometheus");
    let out = run(program("promtool").args(["check", "rules", "strata.rules.yml"]).current_dir(&dir), "promtool");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let out = run(program("promtool").args(["test", "rules", "strata.rules.test.yml"]).current_dir(&dir), "promtool");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[test]
fn alert_rules_use_only_metrics_strata_writes() {
    let rules = std::fs::read_to_string(repo("contrib/prometheus/strata.rules.yml")).unwrap();
    let known = ["strata_snapshot_level", "strata_snapshot_policy_valid", "strata_send_level", "strata_quota_level"];
    for name in rules.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| w.starts_with("strata_")) {
        let family = name.strip_suffix("_check_success").or_else(|| name.strip_suffix("_check_timestamp_seconds"));
        assert!(known.contains(&name) || family.is_some() || name == "strata_", "{name} is not a metric strata writes");
    }
    // the families the regex alerts cover are the ones the checks write
    for (bin, args) in [
        ("strata-snapshot", vec!["check"]),
        ("strata-send", vec!["check"]),
        ("strata-quota", vec!["check", "--warn", "80%", "--crit", "95%"]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let prom = dir.path().join("x.prom");
        let fake = util::FakeBin::new();
        fake.script("zfs", "echo 'no zfs here' >&2; exit 1\n");
        util::bin(bin)
            .args(&args)
            .arg("--prometheus")
            .arg(&prom)
            .arg("tank")
            .env("PATH", fake.path())
            .output()
            .unwrap();
        let text = std::fs::read_to_string(&prom).unwrap();
        assert!(text.contains("_check_success 0") && text.contains("_check_timestamp_seconds "), "{bin}: {text}");
    }
}

/// The README's text from `start` (a heading or a marker line) to the next heading or marker.
fn readme_part(start: &str) -> String {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let from = readme.find(start).unwrap_or_else(|| panic!("README has no {start:?}")) + start.len();
    let rest = &readme[from..];
    let end = ["\n### ", "\n## ", "\n<!-- "].iter().filter_map(|m| rest.find(m)).min().unwrap_or(rest.len());
    rest[..end].to_string()
}

/// The fenced blocks of `lang` in `text`, without their fences.
fn blocks(text: &str, lang: &str) -> Vec<String> {
    let open = format!("```{lang}\n");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(&open) {
        let body = &rest[i + open.len()..];
        let end = body.find("```\n").expect("unclosed block");
        out.push(body[..end].to_string());
        rest = &body[end..];
    }
    out
}

/// A unit file as the README shows it: comment lines out, runs of blank lines one.
fn without_comments(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        if l.is_empty() && out.last().is_none_or(|p| p.is_empty()) {
            continue;
        }
        out.push(l);
    }
    while out.last() == Some(&"") {
        out.pop();
    }
    out.join("\n") + "\n"
}

#[test]
fn readme_shows_the_contrib_units() {
    let shown = blocks(&readme_part("### From systemd\n"), "ini");
    assert_eq!(shown.len(), 2);
    for block in shown {
        let (first, body) = block.split_once('\n').unwrap();
        let name = first.strip_prefix("# /etc/systemd/system/").expect("a block names its file");
        assert_eq!(body, without_comments(&unit_text(name)), "README's {name} is not contrib/systemd/{name}");
    }
}

#[test]
fn readme_install_lines_name_the_contrib_units_and_escape_as_systemd_does() {
    let block = blocks(&readme_part("### From systemd\n"), "sh").remove(0);
    let mut enabled = Vec::new();
    for line in block.lines() {
        let (cmd, comment) = line.split_once('#').map_or((line, ""), |(c, k)| (c, k.trim()));
        let w: Vec<&str> = cmd.split_whitespace().collect();
        match w.first().copied() {
            Some("install") => {
                let files: Vec<&str> = w.iter().copied().filter(|a| a.starts_with("contrib/")).collect();
                let names: Vec<&str> = files.iter().map(|f| f.trim_start_matches("contrib/systemd/")).collect();
                assert_eq!(names, UNITS, "{line}");
                assert_eq!(w.last(), Some(&"/etc/systemd/system/"));
            }
            Some("systemd-escape") => {
                let out = run(program("systemd-escape").args(&w[1..]), "systemd-escape");
                assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), comment, "{line}");
                assert_eq!(exec::escape(w[1]), comment);
            }
            Some("systemctl") if w[1] == "enable" => enabled.extend(w[3..].iter().map(|u| u.to_string())),
            Some("systemctl") => assert_eq!(w[1..], ["daemon-reload"]),
            other => panic!("README line not checked: {other:?}: {line}"),
        }
    }
    for unit in &enabled {
        let (name, rest) = unit.split_once('@').expect("an instance");
        let (instance, kind) = rest.rsplit_once('.').unwrap();
        assert!(UNITS.contains(&format!("{name}@.{kind}").as_str()), "{unit}");
        assert_eq!(exec::escape(&exec::unescape(instance).unwrap()), instance, "{unit} is not escaped");
    }
    assert!(enabled.iter().any(|u| u == "strata@tank-srv.timer"), "{enabled:?}");
}

/// `(name, value)` pairs: a crontab's jobs (user, command) or variables.
type Pairs = Vec<(String, String)>;

/// The jobs of a /etc/cron.d file: (user, command with `\%` read as `%`), and its variables.
fn cron_jobs(text: &str) -> (Pairs, Pairs) {
    let (mut jobs, mut vars) = (Vec::new(), Vec::new());
    for line in text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let fields: Vec<&str> = line.splitn(7, ' ').collect();
        if fields.len() == 7 && fields[..5].iter().all(|f| f.chars().all(|c| c.is_ascii_digit() || "*/,-".contains(c)))
        {
            let cmd = fields[6];
            // cron turns a bare % into a newline (and the rest into stdin)
            assert!(!cmd.replace("\\%", "").contains('%'), "a bare % in a crontab command: {cmd}");
            jobs.push((fields[5].to_string(), cmd.replace("\\%", "%")));
        } else {
            let (k, v) = line.split_once('=').unwrap_or_else(|| panic!("not a crontab line: {line}"));
            vars.push((k.to_string(), v.to_string()));
        }
    }
    (jobs, vars)
}

#[test]
fn readme_crontab_runs_every_stage_skips_an_overlapping_run_and_parses() {
    let block = blocks(&readme_part("### From cron\n"), "crontab").remove(0);
    let (jobs, vars) = cron_jobs(&block);
    assert_eq!(vars.iter().find(|(k, _)| k == "SHELL").map(|(_, v)| v.as_str()), Some("/bin/bash"));
    assert_eq!(jobs.len(), 2);
    let run_job = |cmd: &str, dir: &Path, env: &[(&str, &str)]| {
        // the lock and textfile directories of the example, moved under the test's directory
        let cmd = cmd
            .replace("/run/lock/", &format!("{}/", dir.display()))
            .replace("/var/lib/prometheus/node-exporter", &dir.join("textfiles").display().to_string());
        std::fs::create_dir_all(dir.join("textfiles")).unwrap();
        let bin = stand_in();
        let log = dir.join("calls.log");
        let out = Std::new("/bin/bash")
            .args(["-c", &cmd])
            .current_dir(dir)
            .env("PATH", bin.path())
            .env("LOG", &log)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let calls: Vec<Vec<String>> = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(|l| l.strip_suffix('\t').unwrap_or(l).split('\t').map(String::from).collect())
            .collect();
        (out, calls)
    };
    let policy = &jobs[0].1;
    let dir = tempfile::tempdir().unwrap();
    let (out, calls) = run_job(policy, dir.path(), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert_eq!(calls[0], words("snapshot create --due -r tank"));
    assert_eq!(calls[3], words("send --policy -r tank"));
    parses_with_real_strata(&calls);
    for (var, code) in [("EXIT_CREATE", 2), ("EXIT_PLAN", 2), ("EXIT_SEND", 75)] {
        let dir = tempfile::tempdir().unwrap();
        let (out, calls) = run_job(policy, dir.path(), &[(var, &code.to_string())]);
        assert_eq!(out.status.code(), Some(code), "{var}");
        assert_eq!(calls.len(), 4, "{var}: every stage runs");
    }
    // a run that finds the previous one still holding the lock does nothing
    let dir = tempfile::tempdir().unwrap();
    let held = std::fs::File::create(dir.path().join("strata-policy-tank.lock")).unwrap();
    held.lock().unwrap();
    let (out, calls) = run_job(policy, dir.path(), &[]);
    assert!(calls.is_empty() && out.stdout.is_empty() && out.stderr.is_empty(), "{calls:?}");
    drop(held);

    let dir = tempfile::tempdir().unwrap();
    let (out, calls) = run_job(&jobs[1].1, dir.path(), &[("EXIT_SNAPSHOT_CHECK", "2")]);
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(calls[2][..7], words("quota check -r --warn 80% --crit 95%")[..]);
    for c in ["snapshot", "send", "quota"] {
        assert!(dir.path().join(format!("textfiles/strata-{c}-tank.prom")).is_file(), "{c}");
    }
    parses_with_real_strata(&calls);
}

#[test]
fn readme_prometheus_example_loads_the_rules() {
    let block = blocks(&readme_part("<!-- Prometheus rules: contrib/systemd owner -->\n"), "yaml").remove(0);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    let rules = repo("contrib/prometheus/strata.rules.yml");
    std::fs::write(&config, block.replace("/etc/prometheus/rules/strata.rules.yml", &rules.display().to_string()))
        .unwrap();
    let out = run(program("promtool").args(["check", "config"]).arg(&config), "promtool");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("9 rules found"), "{said}{}", String::from_utf8_lossy(&out.stderr));
}
