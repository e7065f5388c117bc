//! The NixOS and home-manager modules of flake.nix (`nix/*.nix`), evaluated by the real
//! `nix-instantiate` against a stub of nixpkgs written here, since no nixpkgs is reachable: a
//! small module system (option declarations, type checks, merging, mkIf, mkMerge, priorities,
//! submodules) and the NixOS and home-manager options the modules set, declared with their real
//! names and types. A definition of an option nobody declared, or a read of one, fails the
//! evaluation, so a typo in an option path fails a test. The units the NixOS module renders are
//! held to contrib/systemd's files; the policy script and the key bindings run in the real bash,
//! zsh and fish.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The stand-in `strata`: records its arguments (count first, NUL-separated) and fails with 2
/// when its fourth argument (the dataset of `snapshot policy set`) is `$STRATA_FAKE_FAIL`.
const FAKE_STRATA: &str = "#!/bin/sh\n\
printf '%s\\0' \"$#\" \"$@\" >>\"$STRATA_FAKE_LOG\"\n\
if [ -n \"$STRATA_FAKE_FAIL\" ] && [ \"$4\" = \"$STRATA_FAKE_FAIL\" ]; then exit 2; fi\n";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch Nix: the stubs, stand-in packages and a store and state of its own, so that
/// `nix-instantiate` runs without root, a daemon or /nix.
struct Nix {
    dir: tempfile::TempDir,
}

impl Nix {
    fn new() -> Nix {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        for (name, text) in STUBS {
            std::fs::write(d.join(name), text).expect("write stub");
        }
        std::fs::create_dir_all(d.join("conf")).expect("mkdir");
        for p in ["strata", "bash", "zfs", "openssh"] {
            std::fs::create_dir_all(d.join("pkgs").join(p).join("bin")).expect("mkdir");
        }
        let strata = d.join("pkgs/strata/bin/strata");
        std::fs::write(&strata, FAKE_STRATA).expect("write fake strata");
        std::fs::set_permissions(&strata, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::os::unix::fs::symlink("/bin/bash", d.join("pkgs/bash/bin/bash")).expect("symlink bash");
        Nix { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn pkgs(&self) -> String {
        self.path("pkgs").to_str().expect("UTF-8 temp dir").to_string()
    }

    fn command(&self, args: &[&str]) -> Command {
        let d = self.dir.path();
        let mut c = Command::new("nix-instantiate");
        c.args(args)
            .current_dir(d)
            .env("NIX_STATE_DIR", d.join("state"))
            .env("NIX_STORE_DIR", d.join("store"))
            .env("NIX_LOG_DIR", d.join("log"))
            .env("NIX_CONF_DIR", d.join("conf"))
            .env("NIX_USER_CONF_FILES", "")
            .env("NIX_CONFIG", "build-users-group =")
            .env("HOME", d)
            .env_remove("NIX_PATH")
            .env_remove("NIX_REMOTE");
        c
    }

    fn run(&self, args: &[&str]) -> Result<String, String> {
        let out = self
            .command(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run nix-instantiate ({e}): run `cargo xtask deps` (Debian's nix-bin)"));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if out.status.success() {
            Ok(String::from_utf8(out.stdout).expect("UTF-8 from nix-instantiate"))
        } else {
            Err(stderr)
        }
    }

    fn parse(&self, file: &Path) -> Result<String, String> {
        self.run(&["--parse", file.to_str().expect("UTF-8 path")])
    }

    /// Evaluates `body`, an expression in which the names of eval.nix are in scope (nixos,
    /// home, flake, pkgs, lib, nixpkgs, home-manager, src), to JSON.
    fn eval(&self, body: &str) -> Result<Value, String> {
        let expr = format!("{{ root, pkgsDir }}: with import ./eval.nix {{ inherit root pkgsDir; }};\n{body}");
        let root = root();
        let out = self.run(&[
            "--eval",
            "--strict",
            "--json",
            "--argstr",
            "root",
            root.to_str().expect("UTF-8 root"),
            "--argstr",
            "pkgsDir",
            &self.pkgs(),
            "-E",
            &expr,
        ])?;
        Ok(serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}")))
    }

    fn eval_ok(&self, body: &str) -> Value {
        self.eval(body).unwrap_or_else(|e| panic!("evaluation failed:\n{e}\nexpression:\n{body}"))
    }

    /// The evaluation of `body` fails, saying `why`.
    fn eval_err(&self, body: &str, why: &str) {
        match self.eval(body) {
            Ok(v) => panic!("evaluated, but should fail with {why:?}:\n{body}\n=> {v}"),
            Err(e) => assert!(e.contains(why), "expected {why:?} in the error of\n{body}\ngot:\n{e}"),
        }
    }

    /// The NixOS configuration of the module file with `settings` (a Nix attrset).
    fn nixos(&self, settings: &str) -> Value {
        self.eval_ok(&format!("(nixos [ (src \"nix/nixos.nix\") {settings} ]).systemd"))
    }

    fn home(&self, settings: &str) -> Value {
        self.eval_ok(&format!("(home [ (src \"nix/home-manager.nix\") {settings} ])"))
    }

    /// The calls the stand-in strata recorded, each an argv without the program.
    fn calls(&self, log: &Path) -> Vec<Vec<String>> {
        let bytes = std::fs::read(log).unwrap_or_default();
        let mut fields = bytes.split(|&b| b == 0).map(|f| String::from_utf8_lossy(f).into_owned());
        let mut calls = Vec::new();
        while let Some(n) = fields.next() {
            if n.is_empty() {
                break;
            }
            let n: usize = n.parse().expect("count");
            calls.push(fields.by_ref().take(n).collect());
        }
        calls
    }
}

/// A unit file as sections of (key, values): list-like keys split on white space, values
/// unquoted as systemd reads them here (no quoting is used in the contrib files' settings).
fn unit_file(path: &Path) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut sections: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let mut section = String::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        assert!(!line.ends_with('\\'), "{}:{}: continued lines are not read here", path.display(), i + 1);
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.to_string();
            continue;
        }
        let (k, v) = line.split_once('=').unwrap_or_else(|| panic!("{}:{}: not KEY=VALUE", path.display(), i + 1));
        let entry = sections.entry(section.clone()).or_default().entry(k.trim().to_string()).or_default();
        if LIST_KEYS.contains(&k.trim()) {
            entry.extend(v.split_whitespace().map(str::to_string));
        } else {
            entry.push(normal_bool(v.trim()));
        }
    }
    sections
}

/// [Unit] and [Install] keys whose values are lists of words.
const LIST_KEYS: &[&str] = &["Documentation", "After", "Before", "Wants", "Requires", "WantedBy"];

fn normal_bool(v: &str) -> String {
    match v {
        "true" | "yes" | "on" => "yes".into(),
        "false" | "no" | "off" => "no".into(),
        _ => v.into(),
    }
}

/// A NixOS unit (a value of systemd.services or systemd.timers) in the shape of `unit_file`,
/// with the stand-in packages' paths put back as the contrib files name them.
fn nix_unit(u: &Value, pkgs: &str, section: &str, config: &str) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let text = |v: &Value| -> String {
        match v {
            Value::Bool(b) => normal_bool(&b.to_string()),
            Value::String(s) => s.replace(&format!("{pkgs}/bash/bin/bash"), "/bin/bash"),
            Value::Number(n) => n.to_string(),
            other => panic!("unexpected unit value {other}"),
        }
    };
    let words = |v: &Value| -> Vec<String> {
        v.as_array().expect("list").iter().map(|x| x.as_str().expect("string").to_string()).collect()
    };
    let mut out: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let unit = out.entry("Unit".into()).or_default();
    if u["description"] != "" {
        unit.insert("Description".into(), vec![text(&u["description"])]);
    }
    for (k, key) in [
        ("documentation", "Documentation"),
        ("after", "After"),
        ("before", "Before"),
        ("wants", "Wants"),
        ("requires", "Requires"),
    ] {
        let w = words(&u[k]);
        if !w.is_empty() {
            unit.insert(key.into(), w);
        }
    }
    for (k, v) in u["unitConfig"].as_object().expect("unitConfig") {
        unit.insert(k.clone(), vec![text(v)]);
    }
    let sec = out.entry(section.into()).or_default();
    for (k, v) in u[config].as_object().expect(config) {
        let vals = match v {
            Value::Array(a) => a.iter().map(text).collect(),
            v => vec![text(v)],
        };
        sec.insert(k.clone(), vals);
    }
    let w = words(&u["wantedBy"]);
    if !w.is_empty() {
        out.entry("Install".into()).or_default().insert("WantedBy".into(), w);
    }
    out
}

const TICK: &str =
    "{ services.strata = { enable = true; pools = [ \"tank\" \"tank/my data-x\" \"rpool/ROOT/nixos:1.0\" ]; }; }";

#[test]
fn every_nix_file_parses() {
    let nix = Nix::new();
    let mut files = vec![root().join("flake.nix")];
    for e in std::fs::read_dir(root().join("nix")).expect("nix/") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "nix") {
            files.push(p);
        }
    }
    assert!(files.len() >= 3, "flake.nix, nix/nixos.nix and nix/home-manager.nix: {files:?}");
    for (name, _) in STUBS {
        files.push(nix.path(name));
    }
    for f in files {
        if let Err(e) = nix.parse(&f) {
            panic!("{} does not parse:\n{e}", f.display());
        }
    }
}

#[test]
fn nixos_units_are_the_contrib_units() {
    let nix = Nix::new();
    let sd = nix.nixos(TICK);
    let pkgs = nix.pkgs();
    let contrib = root().join("contrib/systemd");
    for (name, file) in [("strata@", "strata@.service"), ("strata-check@", "strata-check@.service")] {
        let want = unit_file(&contrib.join(file));
        let got = nix_unit(&sd["services"][name], &pkgs, "Service", "serviceConfig");
        assert_eq!(got, want, "systemd.services.\"{name}\" differs from contrib/systemd/{file}");
        // strata, zfs and ssh are on the unit's PATH, which contrib leaves to systemd's default.
        let path: Vec<&str> =
            sd["services"][name]["path"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        for p in ["strata", "zfs", "openssh"] {
            assert!(path.contains(&format!("{pkgs}/{p}").as_str()), "{p} on the PATH of {name}: {path:?}");
        }
    }
    for (name, file) in [("strata@tank", "strata@.timer"), ("strata-check@tank", "strata-check@.timer")] {
        let want = unit_file(&contrib.join(file));
        let got = nix_unit(&sd["timers"][name], &pkgs, "Timer", "timerConfig");
        assert_eq!(got, want, "systemd.timers.\"{name}\" differs from contrib/systemd/{file}");
    }
}

#[test]
fn nixos_timers_are_named_as_systemd_escape_names_instances() {
    let nix = Nix::new();
    let sd = nix.nixos(TICK);
    let mut want: Vec<String> = Vec::new();
    for pool in ["tank", "tank/my data-x", "rpool/ROOT/nixos:1.0"] {
        let out = Command::new("systemd-escape")
            .arg(pool)
            .output()
            .expect("systemd-escape (Debian's systemd): run `cargo xtask deps`");
        assert!(out.status.success());
        let esc = String::from_utf8(out.stdout).unwrap().trim_end().to_string();
        want.push(format!("strata-check@{esc}"));
        want.push(format!("strata@{esc}"));
    }
    want.sort();
    let got: Vec<String> = sd["timers"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(got, want);
    for t in sd["timers"].as_object().unwrap().values() {
        assert_eq!(t["wantedBy"], serde_json::json!(["timers.target"]));
    }
    assert_eq!(sd["tmpfiles"]["rules"], serde_json::json!(["d /var/lib/prometheus/node-exporter 0755 root root -"]));
}

#[test]
fn nixos_disabled_renders_nothing() {
    let nix = Nix::new();
    let c = nix.eval_ok(
        "let c = nixos [ (src \"nix/nixos.nix\") { services.strata = { pools = [ \"tank\" ]; datasets.tank.every = \"1h\"; }; } ]; \
         in { inherit (c.systemd) services timers; packages = c.environment.systemPackages; }",
    );
    assert_eq!(c, serde_json::json!({"services": {}, "timers": {}, "packages": []}));
}

#[test]
fn nixos_textfile_directory_and_quota_thresholds_reach_the_check_unit() {
    let nix = Nix::new();
    let sd = nix.nixos(
        "{ services.strata = { enable = true; pools = [ \"tank\" ]; \
           prometheus.textfileDirectory = \"/var/lib/node-text\"; quota = { warn = \"85.5%\"; crit = \"99%\"; }; }; }",
    );
    let s = &sd["services"]["strata-check@"]["serviceConfig"];
    let exec = s["ExecStart"].as_str().unwrap();
    assert!(exec.ends_with(
        " strata-check %I /var/lib/node-text/strata-snapshot-%i.prom /var/lib/node-text/strata-send-%i.prom /var/lib/node-text/strata-quota-%i.prom"
    ), "{exec}");
    assert_eq!(s["ReadWritePaths"], "-/var/lib/node-text");
    // % is systemd's specifier character: doubled, the unit sees 85.5% and 99%.
    assert_eq!(s["Environment"], "STRATA_QUOTA_WARN=85.5%% STRATA_QUOTA_CRIT=99%%");
    assert_eq!(sd["tmpfiles"]["rules"], serde_json::json!(["d /var/lib/node-text 0755 root root -"]));
}

#[test]
fn nixos_policy_is_set_by_a_oneshot_with_every_argument_intact() {
    let nix = Nix::new();
    let sd = nix.nixos(
        "{ services.strata = { enable = true; pools = [ \"tank\" ]; datasets = { \
           \"tank/srv\" = { every = \"1h\"; keep = \"daily=7,weekly=4\"; send = \"backup:pool/x\"; }; \
           \"tank/my data\" = { every = \"off\"; }; \
           \"tank/b\" = { send = \"me@backup-2.example.org:pool/b c\"; }; \
           tank = { }; }; }; }",
    );
    let unit = &sd["services"]["strata-policy"];
    assert_eq!(unit["wantedBy"], serde_json::json!(["multi-user.target"]));
    assert_eq!(unit["serviceConfig"]["Type"], "oneshot");
    assert_eq!(unit["serviceConfig"]["RemainAfterExit"], true);
    assert_eq!(unit["before"], serde_json::json!(["strata@tank.service"]));
    // The hardening of strata@.service, without the network or the state directory.
    let tick = &sd["services"]["strata@"]["serviceConfig"];
    for (k, v) in tick.as_object().unwrap() {
        if ["ExecStart", "StateDirectory", "ReadWritePaths", "BindReadOnlyPaths", "RestrictAddressFamilies"]
            .contains(&k.as_str())
        {
            continue;
        }
        assert_eq!(&unit["serviceConfig"][k], v, "{k} of strata-policy");
    }
    assert_eq!(unit["serviceConfig"]["PrivateNetwork"], true);

    // NixOS runs a unit's script as `#!bash -e`.
    let script = nix.path("policy.sh");
    std::fs::write(&script, unit["script"].as_str().unwrap()).unwrap();
    let log = nix.path("calls");
    let run = |fail: &str| {
        let _ = std::fs::remove_file(&log);
        Command::new("bash")
            .arg("-e")
            .arg(&script)
            .env("STRATA_FAKE_LOG", &log)
            .env("STRATA_FAKE_FAIL", fail)
            .status()
            .unwrap()
    };
    let status = run("");
    assert!(status.success());
    let set = |rest: &[&str]| -> Vec<String> {
        ["snapshot", "policy", "set"].iter().chain(rest).map(|s| s.to_string()).collect()
    };
    let want = vec![
        set(&["tank", "--inherit", "every,keep,send"]),
        set(&["tank/b", "--send", "me@backup-2.example.org:pool/b c", "--inherit", "every,keep"]),
        set(&["tank/my data", "--every", "off", "--inherit", "keep,send"]),
        set(&["tank/srv", "--every", "1h", "--keep", "daily=7,weekly=4", "--send", "backup:pool/x"]),
    ];
    assert_eq!(nix.calls(&log), want);
    // One dataset failing stops none of the others; the unit fails with its status.
    let status = run("tank/b");
    assert_eq!(status.code(), Some(2));
    assert_eq!(nix.calls(&log), want);
}

/// The [Service] lines NixOS writes for a serviceConfig: booleans as true/false, a list as one
/// line per value.
fn service_lines(config: &Value) -> String {
    let mut out = String::new();
    for (k, v) in config.as_object().expect("serviceConfig") {
        let vals = match v {
            Value::Array(a) => a.clone(),
            v => vec![v.clone()],
        };
        for v in vals {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            out.push_str(&format!("{k}={text}\n"));
        }
    }
    out
}

#[test]
fn nixos_policy_unit_scores_at_most_2_with_strata_and_systemd_analyze_alike() {
    // The contrib units are scored by their own tests; the policy unit exists only here.
    let nix = Nix::new();
    let sd = nix.nixos("{ services.strata = { enable = true; datasets.tank.every = \"1h\"; }; }");
    let unit = &sd["services"]["strata-policy"];
    let root = nix.path("unit-root");
    let dir = root.join("etc/systemd/system");
    std::fs::create_dir_all(&dir).unwrap();
    // NixOS runs the script as ExecStart; an existing program stands in for it.
    let text = format!(
        "[Unit]\nDescription={}\n[Service]\nExecStart=/bin/true\n{}",
        unit["description"].as_str().unwrap(),
        service_lines(&unit["serviceConfig"])
    );
    std::fs::write(dir.join("strata-policy.service"), text).unwrap();
    let out = crate::util::bin("strata-harden-check")
        .arg("--root")
        .arg(&root)
        .args(["--json", "strata-policy.service"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ours = format!("{:.1}", crate::util::ndjson(&out.stdout)[0]["exposure"].as_f64().expect("exposure"));
    let sa = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(format!("--root={}", root.display()))
        .arg("strata-policy.service")
        .env("SYSTEMD_LOG_COLOR", "0")
        .output()
        .expect("systemd-analyze (Debian's systemd): run `cargo xtask deps`");
    let text = String::from_utf8_lossy(&sa.stdout);
    let theirs = text
        .lines()
        .find_map(|l| l.split_once("Overall exposure level for strata-policy.service: "))
        .and_then(|(_, r)| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no exposure from systemd-analyze:\n{text}{}", String::from_utf8_lossy(&sa.stderr)));
    assert_eq!(ours, theirs, "strata-harden-check and systemd-analyze disagree");
    assert!(ours.parse::<f64>().unwrap() <= 2.0, "strata-policy.service scores {ours}");
}

#[test]
fn nixos_refuses_what_strata_would_refuse_naming_the_option() {
    let nix = Nix::new();
    let with = |s: &str| {
        format!("(nixos [ (src \"nix/nixos.nix\") {{ services.strata = {{ enable = true; {s} }}; }} ]).systemd")
    };
    for (settings, why) in [
        ("pool = [ \"tank\" ];", "The option `services.strata.pool' does not exist."),
        ("datasets.tank.evry = \"1h\";", "The option `services.strata.datasets.tank.evry' does not exist."),
        ("prometheus.textfileDir = \"/x\";", "The option `services.strata.prometheus.textfileDir' does not exist."),
        ("pools = [ \"tank'; reboot; '\" ];", "`services.strata.pools.[0]' has a value that is not ZFS dataset name"),
        ("pools = [ \"tank/$(reboot)\" ];", "`services.strata.pools.[0]' has a value"),
        ("pools = [ \"tank/../etc\" ];", "`services.strata.pools.[0]' has a value"),
        ("pools = [ \"tank/x\\nExecStart=/bin/sh\" ];", "`services.strata.pools.[0]' has a value"),
        ("pools = [ \"-tank\" ];", "`services.strata.pools.[0]' has a value"),
        ("datasets.\"tank/$(reboot)\".every = \"1h\";", "not a ZFS dataset name: [\"tank/$(reboot)\"]"),
        ("datasets.tank.every = \"1 h\";", "`services.strata.datasets.tank.every' has a value"),
        ("datasets.tank.every = \"0m\";", "`services.strata.datasets.tank.every' has a value"),
        ("datasets.tank.keep = \"daily=7;reboot\";", "`services.strata.datasets.tank.keep' has a value"),
        ("datasets.tank.keep = \"dayly=7\";", "`services.strata.datasets.tank.keep' has a value"),
        ("datasets.tank.send = \"-oProxyCommand=x:pool/x\";", "`services.strata.datasets.tank.send' has a value"),
        ("datasets.tank.send = \"host:pool/x'y\";", "`services.strata.datasets.tank.send' has a value"),
        ("datasets.tank.every = \"523w\";", "`services.strata.datasets.tank.every' has a value"),
        ("datasets.tank.keep = \"daily=7,daily=3\";", "`services.strata.datasets.tank.keep' has a value"),
        ("datasets.tank.keep = \"daily=0,weekly=00\";", "`services.strata.datasets.tank.keep' has a value"),
        ("datasets.tank.keep = \"daily=7d\";", "`services.strata.datasets.tank.keep' has a value"),
        ("datasets.tank.keep = \"within=2\";", "`services.strata.datasets.tank.keep' has a value"),
        ("quota.warn = \"80%; reboot\";", "`services.strata.quota.warn' has a value"),
        ("quota.warn = \"101%\";", "`services.strata.quota.warn' has a value"),
        ("quota.warn = \"96%\";", "warn (96%) must not be above crit (95%)"),
        (
            "prometheus.textfileDirectory = \"/var/lib/a b\";",
            "`services.strata.prometheus.textfileDirectory' has a value",
        ),
        ("prometheus.textfileDirectory = \"relative\";", "`services.strata.prometheus.textfileDirectory' has a value"),
    ] {
        nix.eval_err(&with(settings), why);
    }
    // and takes what strata takes, at the limits
    let ok = nix.eval_ok(&with(
        "datasets.tank = { every = \"522w\"; keep = \"within=2d,last=0,hourly=24\"; }; quota = { warn = \"0.5%\"; crit = \"100%\"; };",
    ));
    assert!(
        ok["services"]["strata-policy"]["script"]
            .as_str()
            .unwrap()
            .contains("--every 522w --keep 'within=2d,last=0,hourly=24'")
    );
}

/// Which of `values` the type of each option accepts, by the stub's type checks.
fn nix_accepts(nix: &Nix, values: &BTreeMap<&str, Vec<&str>>) -> BTreeMap<String, Vec<bool>> {
    let json = serde_json::to_string(values).unwrap();
    let expr = format!(
        "let \
           o = (import (src \"nix/nixos.nix\") {{ config = {{ }}; inherit lib pkgs; }}).options.services.strata; \
           d = o.datasets.type.nestedTypes.elemType.getSubOptions [ ]; \
           types = {{ every = d.every.type; keep = d.keep.type; send = d.send.type; \
                     dataset = o.pools.type.nestedTypes.elemType; percent = o.quota.warn.type; }}; \
         in builtins.mapAttrs (k: vs: map types.${{k}}.check vs) (builtins.fromJSON {})",
        serde_json::to_string(&json).unwrap().replace('$', "\\$")
    );
    serde_json::from_value(nix.eval_ok(&expr)).unwrap()
}

#[test]
fn nixos_option_types_take_only_what_strata_takes() {
    // The real strata is the oracle: a value the module takes but strata refuses would fail the
    // policy unit at boot instead of the evaluation. The module may be stricter (a leading zero).
    let nix = Nix::new();
    let mut values: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    values.insert(
        "every",
        vec![
            "off", "15m", "1h", "1d", "1w", "522w", "523w", "3660d", "3661d", "0m", "01h", "1 h", "1s", "h", "-1h",
            "1h\n", "OFF",
        ],
    );
    values.insert(
        "keep",
        vec![
            "daily=7",
            "hourly=24,daily=7,weekly=4",
            "within=2d,last=3",
            "within=2H",
            "within=1y,yearly=2",
            "last=0000001",
            "daily=0",
            "daily=7,daily=3",
            "daily=7d",
            "within=2",
            "within=0d",
            "dayly=7",
            "daily=7,",
            ",daily=7",
            "daily=-1",
            "daily=7;x",
            "daily=7\nx",
            "",
        ],
    );
    values.insert(
        "send",
        vec![
            "backup:pool/x",
            "me@backup-2.example.org:pool/b c",
            "pool/x",
            "-oProxyCommand=x:pool/x",
            "host:-pool",
            "host:pool/x'y",
            "a@b@c:pool",
            "host:",
            ":pool",
            "host:pool//x",
            "host:pool/../x",
            "h st:pool",
            "host:pool@snap",
            "@host:pool",
            "me@:pool",
            "host:pool:x",
            "-me@host:pool",
        ],
    );
    values.insert(
        "dataset",
        vec![
            "tank",
            "tank/srv",
            "tank/my data-x",
            "rpool/ROOT/nixos:1.0",
            "tank/.hidden",
            "tank/..",
            "tank/.",
            "tank//x",
            "/tank",
            "tank/",
            "tank/x@y",
            "tank/x#y",
            "tank/$x",
            "tank/x'y",
            "tank/x\ny",
            "-tank",
        ],
    );
    values.insert(
        "percent",
        vec!["80%", "0%", "100%", "99.5%", "0.125%", "100.5%", "101%", "80", "-1%", "8e1%", " 80%", "80 %"],
    );
    // Where the module is deliberately stricter: a leading zero, a pool starting with '-' (ZFS
    // wants a letter), a percentage without its sign or in another notation.
    let stricter = ["01h", "last=0000001", "host:-pool", "80", "8e1%", " 80%"];
    let got = nix_accepts(&nix, &values);
    let mut wrong = Vec::new();
    for (kind, vals) in &values {
        for (v, nix_ok) in vals.iter().zip(&got[*kind]) {
            let strata_ok = match *kind {
                "percent" => strata_core::parse::percent(v).is_ok(),
                _ => {
                    let mut c = crate::util::bin("strata");
                    c.args(["snapshot", "policy", "set", "--dry-run"]);
                    match *kind {
                        "dataset" => c.args([*v, "--every", "1h"]),
                        k => c.args(["tank", &format!("--{k}"), v]),
                    };
                    let out = c.output().unwrap();
                    assert!(matches!(out.status.code(), Some(0 | 2)), "{kind} {v:?}: {out:?}");
                    out.status.success()
                }
            };
            if *nix_ok && !strata_ok {
                wrong.push(format!("the module takes {kind} {v:?}, strata refuses it"));
            }
            if strata_ok && !nix_ok && !stricter.contains(v) {
                wrong.push(format!("strata takes {kind} {v:?}, the module refuses it"));
            }
            if *nix_ok && stricter.contains(v) {
                wrong.push(format!("the module takes {kind} {v:?}, listed as refused"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn nixos_module_reads_only_options_that_exist() {
    // The stub of NixOS declares only the options the module may use; a module that set
    // `systemd.service` or read `config.boot.zfs.pkg` would fail here, and so does a setting of
    // an option the stub does not know.
    let nix = Nix::new();
    nix.eval_err(
        "(nixos [ (src \"nix/nixos.nix\") { systemd.service.x = { }; } ]).systemd",
        "The option `systemd.service' does not exist.",
    );
    nix.eval_err(
        "(nixos [ (src \"nix/nixos.nix\") { systemd.services.x.serviceconfig = { }; } ]).systemd",
        "The option `systemd.services.x.serviceconfig' does not exist.",
    );
    nix.eval_err(
        "(nixos [ (src \"nix/nixos.nix\") { systemd.services.x.serviceConfig.Type = [ { } ]; } ]).systemd",
        "has a value that is not",
    );
}

#[test]
fn flake_exports_both_modules_with_its_package() {
    let nix = Nix::new();
    let v = nix.eval_ok(
        "let \
           n = m: nixos [ m { services.strata = { enable = true; pools = [ \"tank\" ]; }; } ]; \
           h = m: home [ m { programs.strata.enable = true; } ]; \
           p = flake.packages.x86_64-linux.strata; \
         in { \
           nixos = (n flake.nixosModules.strata).environment.systemPackages; \
           nixosDefault = (n flake.nixosModules.default).systemd.timers; \
           home = (h flake.homeManagerModules.strata).home.packages; \
           homeDefault = (h flake.homeManagerModules.default).home.packages; \
           name = p.name; \
           postInstall = p.postInstall; \
         }",
    );
    let pkg = format!("{}/strata", nix.pkgs());
    assert_eq!(v["nixos"], serde_json::json!([pkg]));
    assert_eq!(v["home"], serde_json::json!([pkg]));
    assert_eq!(v["homeDefault"], serde_json::json!([pkg]));
    assert!(v["nixosDefault"].get("strata@tank").is_some(), "{}", v["nixosDefault"]);
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let version = manifest.lines().find_map(|l| l.strip_prefix("version = \"")).unwrap().trim_end_matches('"');
    assert_eq!(v["name"], format!("strata-{version}"));
    // man pages and completions of all three shells come with the package
    let post = v["postInstall"].as_str().unwrap();
    for want in ["installManPage man/*.1", "--bash", "--zsh", "--fish"] {
        assert!(post.contains(want), "{want} in postInstall: {post}");
    }
    // Without the flake, the package must be named: nixpkgs has no strata.
    nix.eval_err(
        "(nixpkgs.lib.nixosSystem { system = \"x86_64-linux\"; modules = [ (src \"nix/nixos.nix\") { services.strata.enable = true; } ]; }).config.environment",
        "pkgs.strata does not exist",
    );
}

#[test]
fn home_manager_installs_the_package_and_binds_no_key_by_default() {
    let nix = Nix::new();
    let h = nix.home("{ programs.strata.enable = true; }");
    assert_eq!(h["home"]["packages"], serde_json::json!([format!("{}/strata", nix.pkgs())]));
    assert_eq!(h["programs"]["bash"]["initExtra"], "");
    assert_eq!(h["programs"]["zsh"]["initContent"], "");
    assert_eq!(h["programs"]["fish"]["interactiveShellInit"], "");
    let off = nix.home("{ programs.strata.sshtui.key = \"ctrl-s\"; }");
    assert_eq!(off["home"]["packages"], serde_json::json!([]));
    assert_eq!(off["programs"]["bash"]["initExtra"], "");
    nix.eval_err(
        "(home [ (src \"nix/home-manager.nix\") { programs.strata.sshtui.key = \"C-s\"; } ])",
        "`programs.strata.sshtui.key' has a value",
    );
    nix.eval_err(
        "(home [ (src \"nix/home-manager.nix\") { programs.strata.sshtuiKey = \"ctrl-s\"; } ])",
        "`programs.strata.sshtuiKey' does not exist",
    );
}

/// Runs `init` in `shell` (interactive, no user configuration), then `then`, with the stand-in
/// strata recording into `log`; returns stdout.
fn in_shell(shell: &str, init: &str, then: &str, log: &Path) -> String {
    let dir = log.parent().unwrap();
    let file = dir.join(format!("init.{shell}"));
    std::fs::write(&file, init).unwrap();
    let f = file.to_str().unwrap();
    let mut c = Command::new(shell);
    match shell {
        "bash" => c.args(["--norc", "--noprofile", "-i", "-c", &format!(". {f}; {then}")]),
        "zsh" => c.args(["-f", "-i", "-c", &format!("source {f}; {then}")]),
        _ => c.args(["--no-config", "-c", &format!("source {f}; {then}")]),
    };
    let out = c
        .env("STRATA_FAKE_LOG", log)
        .env("HOME", dir)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{shell} ({e}): run `cargo xtask deps`"));
    assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn home_manager_key_runs_sshtui_in_bash_zsh_and_fish() {
    let nix = Nix::new();
    let log = nix.path("calls");
    for (key, bash, zsh, fish) in [
        ("ctrl-s", "\"\\C-s\": \"__strata_sshtui\"", "\"^S\" __strata_sshtui", "bind \\cs __strata_sshtui"),
        ("alt-o", "\"\\eo\": \"__strata_sshtui\"", "\"^[o\" __strata_sshtui", "bind \\eo __strata_sshtui"),
    ] {
        let h = nix.home(&format!("{{ programs.strata = {{ enable = true; sshtui.key = \"{key}\"; }}; }}"));
        let p = &h["programs"];
        let init = p["bash"]["initExtra"].as_str().unwrap();
        assert_eq!(init.contains("stty -ixon"), key == "ctrl-s", "{init}");
        assert!(in_shell("bash", init, "bind -X", &log).lines().any(|l| l == bash), "bash {key}");
        let init = p["zsh"]["initContent"].as_str().unwrap();
        assert_eq!(init.contains("unsetopt flow_control"), key == "ctrl-s", "{init}");
        let zkey = if key == "ctrl-s" { "^S" } else { "^[o" };
        assert_eq!(in_shell("zsh", init, &format!("bindkey '{zkey}'"), &log).trim(), zsh, "zsh {key}");
        let init = p["fish"]["interactiveShellInit"].as_str().unwrap();
        let fkey = if key == "ctrl-s" { "\\cs" } else { "\\eo" };
        let out = in_shell("fish", init, &format!("bind {fkey}; bind -M insert {fkey}"), &log);
        assert!(out.lines().any(|l| l == fish), "fish {key}: {out}");
        assert!(out.lines().any(|l| l == fish.replace("bind ", "bind -M insert ")), "fish insert mode {key}: {out}");
    }
    // What each binding runs: strata sshtui, from the package.
    let h = nix.home("{ programs.strata = { enable = true; sshtui.key = \"ctrl-s\"; }; }");
    let p = &h["programs"];
    let _ = std::fs::remove_file(&log);
    in_shell("bash", p["bash"]["initExtra"].as_str().unwrap(), "__strata_sshtui", &log);
    in_shell("zsh", p["zsh"]["initContent"].as_str().unwrap(), "functions __strata_sshtui >/dev/null", &log);
    in_shell("fish", p["fish"]["interactiveShellInit"].as_str().unwrap(), "__strata_sshtui 2>/dev/null; true", &log);
    assert_eq!(nix.calls(&log), vec![vec!["sshtui".to_string()], vec!["sshtui".to_string()]]);
}

/// A tmux server of its own running one interactive shell, killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(dir: &Path, name: &str, argv: &[String], env: &[(&str, String)]) -> Tmux {
        let socket = format!("strata-nix-test-{}-{name}", std::process::id());
        let mut c = Command::new("tmux");
        c.args(["-L", &socket, "-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "120", "-y", "20", "-c"])
            .arg(dir);
        for (k, v) in env {
            c.arg("-e").arg(format!("{k}={v}"));
        }
        let st = c.args(argv).status().unwrap_or_else(|e| panic!("tmux ({e}): run `cargo xtask deps`"));
        assert!(st.success(), "tmux new-session");
        Tmux { socket }
    }

    fn keys(&self, key: &str) {
        let st = Command::new("tmux").args(["-L", &self.socket, "send-keys", "-t", "t", key]).status().unwrap();
        assert!(st.success());
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux").args(["-L", &self.socket, "capture-pane", "-p", "-t", "t"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits (generously) until `ok`; the wait is no assertion on time, only a bound on a hang.
    fn wait(&self, what: &str, ok: impl Fn() -> bool) {
        let start = std::time::Instant::now();
        while !ok() {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(30),
                "waited 30 s for {what}; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).status();
    }
}

#[test]
fn home_manager_key_pressed_at_each_prompt_opens_sshtui() {
    // The key typed at a real prompt (in tmux), as a user would: the stand-in strata records
    // `sshtui`. Ctrl-S also proves flow control is off where the module turns it off.
    let nix = Nix::new();
    for key in ["ctrl-s", "alt-o"] {
        let h = nix.home(&format!("{{ programs.strata = {{ enable = true; sshtui.key = \"{key}\"; }}; }}"));
        let p = &h["programs"];
        let tmux_key = if key == "ctrl-s" { "C-s" } else { "M-o" };
        for shell in ["bash", "zsh", "fish"] {
            let dir = nix.path(&format!("{shell}-{key}"));
            std::fs::create_dir_all(&dir).unwrap();
            let log = dir.join("calls");
            let prompt = "READY> ";
            let (argv, rc): (Vec<String>, String) = match shell {
                "bash" => {
                    let rc = dir.join("bashrc");
                    let init = p["bash"]["initExtra"].as_str().unwrap();
                    std::fs::write(&rc, format!("PS1='{prompt}'\n{init}")).unwrap();
                    (
                        vec![
                            "bash".into(),
                            "--noprofile".into(),
                            "--rcfile".into(),
                            rc.display().to_string(),
                            "-i".into(),
                        ],
                        String::new(),
                    )
                }
                "zsh" => {
                    let init = p["zsh"]["initContent"].as_str().unwrap();
                    std::fs::write(dir.join(".zshrc"), format!("PROMPT='{prompt}'\n{init}")).unwrap();
                    (vec!["zsh".into(), "-i".into()], dir.display().to_string())
                }
                _ => {
                    let rc = dir.join("config.fish");
                    let init = p["fish"]["interactiveShellInit"].as_str().unwrap();
                    std::fs::write(&rc, format!("function fish_prompt; echo -n '{prompt}'; end\n{init}")).unwrap();
                    (
                        vec!["fish".into(), "--no-config".into(), "-C".into(), format!("source {}", rc.display())],
                        String::new(),
                    )
                }
            };
            let env = [
                ("STRATA_FAKE_LOG", log.display().to_string()),
                ("HOME", dir.display().to_string()),
                ("ZDOTDIR", rc),
                ("TERM", "xterm-256color".to_string()),
                ("PATH", std::env::var("PATH").unwrap_or_default()),
            ];
            let t = Tmux::start(&dir, &format!("{shell}-{key}"), &argv, &env);
            t.wait(&format!("the {shell} prompt"), || t.screen().contains(prompt.trim_end()));
            t.keys(tmux_key);
            t.wait(&format!("{key} in {shell} to run strata sshtui"), || log.exists());
            assert_eq!(nix.calls(&log), vec![vec!["sshtui".to_string()]], "{shell} {key}");
        }
    }
}

/// The ```nix blocks of the README's "On NixOS / home-manager" subsection.
fn readme_nix_blocks() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("### On NixOS / home-manager").expect("the subsection");
    let rest = &readme[start + 4..];
    let section = &rest[..rest.find("\n### ").or_else(|| rest.find("\n## ")).unwrap_or(rest.len())];
    let mut blocks = Vec::new();
    let mut it = section.split("```");
    it.next();
    while let (Some(block), Some(_)) = (it.next(), it.next()) {
        if let Some(body) = block.strip_prefix("nix\n") {
            blocks.push(body.to_string());
        }
    }
    blocks
}

#[test]
fn readme_flake_example_evaluates() {
    let nix = Nix::new();
    let blocks = readme_nix_blocks();
    assert!(!blocks.is_empty(), "the README's NixOS subsection has ```nix blocks");
    let mut evaluated = 0;
    for (i, b) in blocks.iter().enumerate() {
        let f = nix.path(&format!("readme-{i}.nix"));
        std::fs::write(&f, b).unwrap();
        if let Err(e) = nix.parse(&f) {
            panic!("README nix block {i} does not parse:\n{e}\n{b}");
        }
        // A flake (inputs and outputs): its outputs, with nixpkgs, home-manager and strata
        // standing in, evaluated whole.
        if b.contains("outputs") {
            let v = nix.eval_ok(&format!(
                "let f = import ./readme-{i}.nix; out = f.outputs {{ self = out; inherit nixpkgs home-manager; strata = flake; }}; \
                 in {{ nixos = builtins.mapAttrs (_: s: s.config.systemd) (out.nixosConfigurations or {{ }}); \
                       home = builtins.mapAttrs (_: h: h.config.programs) (out.homeConfigurations or {{ }}); }}"
            ));
            for (name, sd) in v["nixos"].as_object().unwrap() {
                assert!(
                    sd["timers"].as_object().is_some_and(|t| !t.is_empty()),
                    "README nixosConfigurations.{name}: no timers"
                );
                assert!(
                    sd["services"].get("strata-policy").is_some(),
                    "README nixosConfigurations.{name}: no policy unit"
                );
            }
            for (name, p) in v["home"].as_object().unwrap() {
                assert!(p["strata"]["enable"] == true, "README homeConfigurations.{name}");
                assert!(
                    p["bash"]["initExtra"].as_str().is_some_and(|s| s.contains("bind -x")),
                    "README homeConfigurations.{name}: a key"
                );
            }
            assert!(!v["nixos"].as_object().unwrap().is_empty() && !v["home"].as_object().unwrap().is_empty());
            evaluated += 1;
        }
    }
    assert!(evaluated > 0, "a README example is a flake that evaluates");
}

/// The stubs, written to a scratch directory for each test.
const STUBS: &[(&str, &str)] = &[
    ("lib.nix", STUB_LIB),
    ("nixos.nix", STUB_NIXOS),
    ("home.nix", STUB_HOME),
    ("pkgs.nix", STUB_PKGS),
    ("nixpkgs.nix", STUB_INPUTS),
    ("eval.nix", STUB_EVAL),
];

/// nixpkgs' lib: the functions the modules use and a small module system.
const STUB_LIB: &str = r#"# A stub of nixpkgs' lib: the functions the strata modules use, and a small module system that
# does what nixpkgs' does where it matters here: option declarations merged across modules
# (imports followed), every definition type-checked and merged by its option's type, mkIf,
# mkMerge and priorities (mkDefault, option defaults), submodules, and an error for a
# definition of an option nobody declared.
let
  b = builtins;
  inherit (b) isAttrs isList isString isBool isInt isFunction attrNames filter concatMap elem all
    listToAttrs length head match replaceStrings concatStringsSep genList elemAt foldl' typeOf;

  showPath = p: concatStringsSep "." p;
  kind = x: if isAttrs x then x._type or null else null;
  unique = foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ];
  last = l: elemAt l (length l - 1);
  show = v: if isString v then b.toJSON v else if isAttrs v && v ? outPath then v.outPath
    else if isAttrs v || isList v || isFunction v then "a ${typeOf v}" else b.toJSON v;

  mergeEqual = path: vals:
    let v = head vals; in
    if length vals == 1 || all (x: x == v) vals then v
    else throw "The option `${showPath path}' has conflicting definition values: ${concatStringsSep ", " (map show vals)}";

  mkOptionType = attrs: { _type = "option-type"; merge = mergeEqual; } // attrs;

  # Definitions with their priority, as nixpkgs' dischargeProperties and filterOverrides: mkIf
  # and mkMerge resolved, then only the lowest priority number kept (a losing value, such as a
  # default that cannot be evaluated, is never forced).
  resolve = d:
    if kind d == "if" then
      (if !isBool d.condition then throw "mkIf: the condition is not a boolean"
       else if d.condition then resolve d.content else [ ])
    else if kind d == "merge" then concatMap resolve d.contents
    else if kind d == "override" then [ { prio = d.priority; value = d.content; } ]
    else [ { prio = 100; value = d; } ];

  values = defs:
    let
      all' = concatMap resolve defs;
      best = foldl' (m: d: if d.prio < m then d.prio else m) 10000 all';
    in map (d: d.value) (filter (d: d.prio == best) all');

  checkAndMerge = path: type: defs:
    let
      vals = values defs;
      bad = filter (v: !type.check v) vals;
    in
    if vals == [ ] then throw "The option `${showPath path}' is used but not defined."
    else if bad != [ ] then throw "The option `${showPath path}' has a value that is not ${type.description}: ${show (head bad)}"
    else type.merge path vals;

  # The definitions below key `k` of each definition (properties pushed down, as nixpkgs does).
  sub = k: d:
    if kind d == "if" then map (c: mkIf d.condition c) (sub k d.content)
    else if kind d == "merge" then concatMap (sub k) d.contents
    else if kind d == "override" then map (c: mkOverride d.priority c) (sub k d.content)
    else if isAttrs d then (if d ? ${k} then [ d.${k} ] else [ ])
    else throw "a definition that is not an attribute set: ${show d}";

  keysOf = d:
    if kind d == "if" || kind d == "override" then keysOf d.content
    else if kind d == "merge" then concatMap keysOf d.contents
    else attrNames d;

  isOption = x: kind x == "option";

  evalTree = path: opts: defs:
    let
      undeclared = filter (k: !(opts ? ${k})) (unique (concatMap keysOf defs));
      here = b.mapAttrs (k: o:
        let p = path ++ [ k ]; ds = concatMap (sub k) defs; in
        if isOption o then checkAndMerge p o.type (ds ++ (if o ? default then [ (mkOverride 1500 o.default) ] else [ ]))
        else evalTree p o ds) opts;
    in
    if undeclared != [ ] then throw "The option `${showPath (path ++ [ (head undeclared) ])}' does not exist."
    else here;

  mergeOpts = path: a: c:
    foldl' (acc: k:
      if !(acc ? ${k}) then acc // { ${k} = c.${k}; }
      else if isOption acc.${k} || isOption c.${k} then throw "The option `${showPath (path ++ [ k ])}' is declared twice."
      else acc // { ${k} = mergeOpts (path ++ [ k ]) acc.${k} c.${k}; }) a (attrNames c);

  checkDecls = path: opts:
    concatMap (k:
      let o = opts.${k}; p = path ++ [ k ]; in
      if isOption o then
        (if !(o ? type) then throw "The option `${showPath p}' has no type."
         else if !(o ? description) then throw "The option `${showPath p}' has no description."
         else [ ])
      else if isAttrs o then checkDecls p o
      else throw "`${showPath p}' in options is neither an option nor a set of options") (attrNames opts);

  # The configuration of `modules` (modules, paths to them, or plain definitions), at `path`.
  evalModulesAt = path: modules: extra:
    let
      args = { inherit lib config; options = opts; } // extra;
      norm = m:
        let r = if b.isPath m then norm (import m)
          else if isFunction m then m args
          else m;
        in if r ? _normalised then r else {
          _normalised = true;
          imports = r.imports or [ ];
          options = r.options or { };
          config = if r ? options || r ? config then r.config or { } else b.removeAttrs r [ "imports" "_file" "key" ];
        };
      collect = m: let r = norm m; in [ r ] ++ concatMap collect r.imports;
      mods = concatMap collect modules;
      opts = foldl' (mergeOpts path) { } (map (m: m.options) mods);
      config = b.seq (checkDecls path opts) (evalTree path opts (map (m: m.config) mods));
    in config;

  mkIf = condition: content: { _type = "if"; inherit condition content; };
  mkMerge = contents: { _type = "merge"; inherit contents; };
  mkOverride = priority: content: { _type = "override"; inherit priority content; };

  optionArgs = [ "default" "defaultText" "example" "description" "type" "apply" "internal" "visible" "readOnly" "relatedPackages" ];

  lib = rec {
    inherit mkIf mkMerge mkOverride unique last;
    mkDefault = mkOverride 1000;
    mkForce = mkOverride 50;
    mkOption = attrs:
      let unknown = b.removeAttrs attrs optionArgs; in
      if unknown != { } then throw "mkOption: unknown argument ${head (attrNames unknown)}"
      else attrs // { _type = "option"; };
    mkEnableOption = name: mkOption {
      type = types.bool;
      default = false;
      example = true;
      description = "Whether to enable ${name}.";
    };
    mkPackageOption = pkgs: name: { default ? [ name ], example ? null, extraDescription ? "" }:
      let attr = if isList default then concatStringsSep "." default else default; in
      mkOption ({
        type = types.package;
        default = pkgs.${attr} or (throw "pkgs.${attr} does not exist; set the package option");
        defaultText = literalExpression "pkgs.${attr}";
        description = "The ${name} package to use.${extraDescription}";
      } // (if example != null then { inherit example; } else { }));
    literalExpression = text: { _type = "literalExpression"; inherit text; };
    literalMD = text: { _type = "literalMD"; inherit text; };

    evalModules = { modules, specialArgs ? { } }: { config = evalModulesAt [ ] modules specialArgs; };

    types = rec {
      unspecified = mkOptionType { name = "unspecified"; description = "anything"; check = _: true; };
      anything = unspecified;
      bool = mkOptionType { name = "bool"; description = "a boolean"; check = isBool; };
      int = mkOptionType { name = "int"; description = "an integer"; check = isInt; };
      str = mkOptionType { name = "str"; description = "a string"; check = isString; };
      singleLineStr = strMatching "[^\n]*" // { description = "a single-line string"; };
      lines = mkOptionType {
        name = "lines"; description = "lines (strings joined by newlines)"; check = isString;
        merge = path: vals: concatStringsSep "\n" vals;
      };
      package = mkOptionType {
        name = "package"; description = "a package";
        check = x: isAttrs x && (x.type or null) == "derivation" && x ? outPath;
      };
      path = mkOptionType {
        name = "path"; description = "an absolute path";
        check = x: (isString x || b.isPath x) && b.substring 0 1 (toString x) == "/";
      };
      strMatching = re: mkOptionType {
        name = "strMatching"; description = "a string matching the pattern ${re}";
        check = x: isString x && match re x != null;
      };
      enum = vs: mkOptionType {
        name = "enum"; description = "one of ${concatStringsSep ", " (map show vs)}"; check = x: elem x vs;
      };
      addCheck = t: f: t // { check = x: t.check x && f x; };
      nullOr = t: mkOptionType {
        name = "nullOr"; description = "null or ${t.description}"; check = x: x == null || t.check x;
        nestedTypes.elemType = t;
        merge = path: vals:
          let nn = filter (v: v != null) vals; in
          if nn == [ ] then null
          else if length nn != length vals then throw "The option `${showPath path}' is defined both null and not null."
          else t.merge path nn;
      };
      oneOf = ts: mkOptionType {
        name = "oneOf"; description = concatStringsSep " or " (map (t: t.description) ts);
        check = x: b.any (t: t.check x) ts;
        # as nixpkgs' either: merged by the first type that takes every value (elements checked)
        merge = path: vals:
          let fits = filter (t: all t.check vals) ts; in
          if fits == [ ] then throw "The option `${showPath path}' has conflicting definitions of different types."
          else (head fits).merge path vals;
      };
      either = t1: t2: oneOf [ t1 t2 ];
      listOf = t: mkOptionType {
        name = "listOf"; description = "a list of ${t.description}"; check = isList;
        nestedTypes.elemType = t;
        merge = path: vals:
          let xs = b.concatLists vals; in
          genList (i: checkAndMerge (path ++ [ "[${toString i}]" ]) t [ (elemAt xs i) ]) (length xs);
      };
      attrsOf = t: mkOptionType {
        name = "attrsOf"; description = "an attribute set of ${t.description}"; check = isAttrs;
        nestedTypes.elemType = t;
        merge = path: vals:
          b.mapAttrs (n: _: checkAndMerge (path ++ [ n ]) t (concatMap (v: if v ? ${n} then [ v.${n} ] else [ ]) vals))
            (foldl' (a: v: a // v) { } vals);
      };
      submodule = m: mkOptionType {
        name = "submodule"; description = "a submodule"; check = isAttrs;
        getSubOptions = _: (if isFunction m then m { inherit lib; name = "<name>"; config = { }; } else m).options or { };
        merge = path: vals: evalModulesAt path ([ m ] ++ vals) { name = last path; };
      };
    };

    # Strings and lists, as nixpkgs defines them.
    escapeShellArg = arg:
      let s = toString arg; in
      if match "[[:alnum:],._+:@%/-]+" s == null then "'${replaceStrings [ "'" ] [ "'\\''" ] s}'" else s;
    escapeShellArgs = xs: concatStringsSep " " (map escapeShellArg xs);
    nameValuePair = name: value: { inherit name value; };
    inherit (b) listToAttrs concatStringsSep concatMap filter attrNames attrValues elem elemAt head length;
    mapAttrs' = f: set: listToAttrs (map (n: f n set.${n}) (attrNames set));
    mapAttrsToList = f: set: map (n: f n set.${n}) (attrNames set);
    concatStrings = concatStringsSep "";
    concatMapStrings = f: xs: concatStrings (map f xs);
    concatMapStringsSep = sep: f: xs: concatStringsSep sep (map f xs);
    optional = c: x: if c then [ x ] else [ ];
    optionals = c: xs: if c then xs else [ ];
    optionalString = c: s: if c then s else "";
    optionalAttrs = c: s: if c then s else { };
    toUpper = replaceStrings
      [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ]
      [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ];
    hasPrefix = p: s: b.substring 0 (b.stringLength p) s == p;
    genAttrs = names: f: listToAttrs (map (n: nameValuePair n (f n)) names);
    licenses.mit = { spdxId = "MIT"; };
    platforms.linux = [ "x86_64-linux" "aarch64-linux" ];
  };
in
lib
"#;

/// The NixOS options the NixOS module sets or reads.
const STUB_NIXOS: &str = r#"# The NixOS options the strata module sets or reads, declared with their NixOS names and types
# (a stub of nixos/modules/system/boot/systemd.nix and friends).
{ lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  list = description: mkOption { type = types.listOf types.str; default = [ ]; inherit description; };
  unitValue = types.oneOf [ types.bool types.int types.str types.package types.path
    (types.listOf (types.oneOf [ types.bool types.int types.str types.package types.path ])) ];
  section = description: mkOption { type = types.attrsOf unitValue; default = { }; inherit description; };
  lines = description: mkOption { type = types.lines; default = ""; inherit description; };
  common = {
    enable = mkOption { type = types.bool; default = true; description = "unit enabled"; };
    description = mkOption { type = types.singleLineStr; default = ""; description = "Description="; };
    documentation = list "Documentation=";
    wantedBy = list "WantedBy symlinks";
    requiredBy = list "RequiredBy symlinks";
    upheldBy = list "Upholds";
    before = list "Before=";
    after = list "After=";
    wants = list "Wants=";
    requires = list "Requires=";
    bindsTo = list "BindsTo=";
    partOf = list "PartOf=";
    conflicts = list "Conflicts=";
    upholds = list "Upholds=";
    onFailure = list "OnFailure=";
    onSuccess = list "OnSuccess=";
    unitConfig = section "[Unit]";
    restartTriggers = mkOption { type = types.listOf types.unspecified; default = [ ]; description = "restart triggers"; };
    reloadTriggers = mkOption { type = types.listOf types.unspecified; default = [ ]; description = "reload triggers"; };
    overrideStrategy = mkOption { type = types.enum [ "asDropinIfExists" "asDropin" ]; default = "asDropinIfExists"; description = "override strategy"; };
  };
  service = common // {
    serviceConfig = section "[Service]";
    environment = mkOption {
      type = types.attrsOf (types.nullOr (types.oneOf [ types.str types.path types.package ]));
      default = { };
      description = "Environment=";
    };
    path = mkOption { type = types.listOf (types.oneOf [ types.package types.str ]); default = [ ]; description = "PATH"; };
    script = lines "ExecStart script";
    scriptArgs = mkOption { type = types.str; default = ""; description = "script arguments"; };
    preStart = lines "ExecStartPre script";
    postStart = lines "ExecStartPost script";
    reload = lines "ExecReload script";
    preStop = lines "ExecStop script";
    postStop = lines "ExecStopPost script";
    restartIfChanged = mkOption { type = types.bool; default = true; description = "restart on switch"; };
    reloadIfChanged = mkOption { type = types.bool; default = false; description = "reload on switch"; };
    stopIfChanged = mkOption { type = types.bool; default = true; description = "stop on switch"; };
    startAt = mkOption { type = types.either types.str (types.listOf types.str); default = [ ]; description = "OnCalendar of a timer"; };
    startLimitBurst = mkOption { type = types.int; default = 5; description = "StartLimitBurst="; };
    startLimitIntervalSec = mkOption { type = types.int; default = 10; description = "StartLimitIntervalSec="; };
  };
  timer = common // { timerConfig = section "[Timer]"; };
in
{
  options = {
    assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; description = "assertions"; };
    warnings = mkOption { type = types.listOf types.str; default = [ ]; description = "warnings"; };
    boot.zfs.package = mkOption { type = types.package; default = pkgs.zfs; description = "ZFS"; };
    environment.systemPackages = mkOption { type = types.listOf types.package; default = [ ]; description = "packages"; };
    systemd.services = mkOption { type = types.attrsOf (types.submodule { options = service; }); default = { }; description = "services"; };
    systemd.timers = mkOption { type = types.attrsOf (types.submodule { options = timer; }); default = { }; description = "timers"; };
    systemd.tmpfiles.rules = mkOption { type = types.listOf types.str; default = [ ]; description = "tmpfiles.d lines"; };
    services.prometheus.exporters.node = {
      enable = mkOption { type = types.bool; default = false; description = "the node exporter"; };
      enabledCollectors = mkOption { type = types.listOf types.str; default = [ ]; description = "collectors"; };
      extraFlags = mkOption { type = types.listOf types.str; default = [ ]; description = "flags"; };
    };
  };
}
"#;

/// The home-manager options the home-manager module sets.
const STUB_HOME: &str = r#"# The home-manager options the strata module sets, with their home-manager names and types.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  shell = init: {
    enable = mkOption { type = types.bool; default = false; description = "the shell"; };
    ${init} = mkOption { type = types.lines; default = ""; description = "interactive init"; };
  };
in
{
  options = {
    assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; description = "assertions"; };
    home.packages = mkOption { type = types.listOf types.package; default = [ ]; description = "packages"; };
    programs.bash = shell "initExtra";
    programs.zsh = shell "initContent";
    programs.fish = shell "interactiveShellInit";
  };
}
"#;

/// Stand-in packages, directories the test fills.
const STUB_PKGS: &str = r#"# Stand-in packages: each is a directory under `store`, which the test fills.
store:
let
  pkg = name: { type = "derivation"; inherit name; outPath = "${store}/${name}"; };
in
{
  strata = pkg "strata";
  bash = pkg "bash";
  openssh = pkg "openssh";
  zfs = pkg "zfs";
  stdenv.hostPlatform.system = "x86_64-linux";
  system = "x86_64-linux";
}
"#;

/// The flake inputs: nixpkgs and home-manager.
const STUB_INPUTS: &str = r#"# Stand-ins for the flake inputs: nixpkgs (lib.nixosSystem, legacyPackages with
# rustPlatform.buildRustPackage) and home-manager (lib.homeManagerConfiguration), both evaluating
# their modules with the stub module system over the stub NixOS and home-manager options.
{ lib, pkgs, nixosWorld, homeWorld, check }:
let
  systems = [ "x86_64-linux" "aarch64-linux" ];
  drv = name: extra: extra // { type = "derivation"; inherit name; outPath = "${pkgs.strata.outPath}-${name}"; };
  # nixpkgs has no strata: the flake's package must come from the flake.
  pkgsFor = system: builtins.removeAttrs pkgs [ "strata" ] // {
    inherit lib system;
    stdenv.hostPlatform.system = system;
    installShellFiles = drv "installShellFiles" { };
    rustPlatform.buildRustPackage = args: args // {
      type = "derivation";
      name = "${args.pname}-${args.version}";
      outPath = pkgs.strata.outPath;
    };
    mkShell = args: drv "shell" args;
  };
  eval = world: pkgs: modules:
    { config = check (lib.evalModules { modules = [ world ] ++ modules; specialArgs = { inherit pkgs; }; }).config; };
in
{
  nixpkgs = {
    lib = lib // { nixosSystem = { system, modules, ... }: eval nixosWorld (pkgsFor system) modules; };
    legacyPackages = lib.genAttrs systems pkgsFor;
  };
  home-manager.lib.homeManagerConfiguration = { pkgs, modules, ... }: eval homeWorld pkgs modules;
}
"#;

/// What a test's expression sees.
const STUB_EVAL: &str = r#"# Evaluates modules as NixOS or home-manager would, with the stubs: the configuration is forced
# whole (every definition type-checked) after its assertions hold.
{ root, pkgsDir }:
let
  lib = import ./lib.nix;
  pkgs = import ./pkgs.nix pkgsDir;
  check = config:
    let failed = builtins.filter (a: !a.assertion) config.assertions; in
    if failed != [ ] then throw "Failed assertions: ${lib.concatMapStringsSep "; " (a: a.message) failed}"
    else builtins.deepSeq config config;
  inputs = import ./nixpkgs.nix { inherit lib pkgs check; nixosWorld = ./nixos.nix; homeWorld = ./home.nix; };
  src = p: /. + (root + "/" + p);
  flake = let f = import (src "flake.nix"); self = f.outputs { inherit self; inherit (inputs) nixpkgs; }; in self;
in
{
  inherit lib pkgs flake src;
  inherit (inputs) nixpkgs home-manager;
  # A module file on its own, with packages that include strata.
  nixos = modules: check (lib.evalModules { modules = [ ./nixos.nix ] ++ modules; specialArgs = { inherit pkgs; }; }).config;
  home = modules: check (lib.evalModules { modules = [ ./home.nix ] ++ modules; specialArgs = { inherit pkgs; }; }).config;
}
"#;
