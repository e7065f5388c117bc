//! Host tests of strata-sshtui: `list` records, and the picker driven end to end in tmux
//! (send-keys, capture-pane) with a stand-in `ssh` that records its argv.

use std::path::{Path, PathBuf};
use std::process::Command as Std;
use std::time::{Duration, Instant};

use crate::util;

const CONFIG: &str = "\
# tags: prod web
Host alpha-web
  HostName alpha.example.com
  User deploy

Host beta-web
  HostName beta.example.com

# tags: prod db
Host gamma-db
  HostName 10.1.2.3
  ProxyJump bastion
  Port 2222

Host bastion *.hidden !nothere
  User jump

Host *
  User everyone
  IdentityFile ~/.ssh/id_ed25519
";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("home/.ssh")).unwrap();
        std::fs::write(dir.path().join("cfg"), CONFIG).unwrap();
        Env { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
}

#[test]
fn list_prints_one_record_per_concrete_alias() {
    let env = Env::new();
    let out = util::bin("strata-sshtui")
        .args(["list", "-F"])
        .arg(env.path("cfg"))
        .env("HOME", env.path("home"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let recs = util::ndjson(&out);
    let hosts: Vec<&str> = recs.iter().map(|r| r["host"].as_str().unwrap()).collect();
    assert_eq!(hosts, ["alpha-web", "beta-web", "gamma-db", "bastion"]);
    let g = &recs[2];
    assert_eq!(g["type"], "host");
    assert_eq!(g["hostname"], "10.1.2.3");
    assert_eq!(g["user"], "everyone");
    assert_eq!(g["port"], 2222);
    assert_eq!(g["proxyjump"], "bastion");
    assert_eq!(g["identityfile"], serde_json::json!(["~/.ssh/id_ed25519"]));
    assert_eq!(g["source_line"], 10);
    assert_eq!(g["tags"], serde_json::json!(["prod", "db"]));
    assert!(recs[0]["proxyjump"].is_null());

    let plain = util::bin("strata-sshtui")
        .args(["list", "--format", "plain", "--tag", "prod", "-F"])
        .arg(env.path("cfg"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(plain).unwrap(), "alpha-web\ngamma-db\n");

    let some =
        util::bin("strata-sshtui").args(["list", "-F"]).arg(env.path("cfg")).arg("*-web,!beta*").output().unwrap();
    let recs = util::ndjson(&some.stdout);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["host"], "alpha-web");
}

#[test]
fn a_bad_line_is_an_error_naming_file_and_line() {
    let env = Env::new();
    std::fs::write(env.path("bad"), "Host a\n  HostName a\n  Nonsense yes\n").unwrap();
    util::bin("strata-sshtui")
        .args(["list", "-F"])
        .arg(env.path("bad"))
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains("line 3: Bad configuration option: nonsense"));
}

/// A tmux server of its own, killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(env: &Env, args: &[&str]) -> Tmux {
        Tmux::start_with_stdin(env, args, None)
    }

    /// `stdin`: a file of records given to the picker as its standard input.
    fn start_with_stdin(env: &Env, args: &[&str], stdin: Option<&Path>) -> Tmux {
        let v = Std::new("tmux").arg("-V").output();
        assert!(
            v.as_ref().is_ok_and(|o| o.status.success()),
            "tmux is needed for the picker's end-to-end test and was not found: {v:?}"
        );
        let fake = env.path("bin");
        std::fs::create_dir_all(&fake).unwrap();
        let ssh = fake.join("ssh");
        std::fs::write(&ssh, format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n", env.path("ssh-argv").display()))
            .unwrap();
        make_executable(&ssh);
        let path = format!("{}:{}", fake.display(), std::env::var("PATH").unwrap_or_default());
        // The picker, then its exit code, into files the test reads.
        let run = env.path("run.sh");
        // tmux keeps its own PATH for the pane: set the stand-in's directory first here.
        let mut script = String::from("#!/bin/sh\nPATH=\"$TEST_PATH\"\nexport PATH\n\"$STRATA_BIN\"");
        for a in args {
            script.push_str(&format!(" '{a}'"));
        }
        if let Some(p) = stdin {
            script.push_str(&format!(" < '{}'", p.display()));
        }
        script.push_str(" > \"$OUT_FILE\"\necho $? > \"$CODE_FILE\"\nsleep 30\n");
        std::fs::write(&run, script).unwrap();
        make_executable(&run);
        let socket = format!(
            "strata-sshtui-test-{}-{}",
            std::process::id(),
            env.dir.path().file_name().unwrap().to_string_lossy()
        );
        let bin = util::bin_dir().join("strata-sshtui");
        let vars = [
            ("STRATA_BIN", bin.display().to_string()),
            ("OUT_FILE", env.path("stdout").display().to_string()),
            ("CODE_FILE", env.path("code").display().to_string()),
            ("TEST_PATH", path),
            ("HOME", env.path("home").display().to_string()),
            ("XDG_STATE_HOME", env.path("state").display().to_string()),
            ("TERM", "xterm-256color".to_string()),
        ];
        let mut cmd = Std::new("tmux");
        cmd.args(["-L", &socket, "-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "160", "-y", "40"]);
        for (k, v) in &vars {
            cmd.arg("-e").arg(format!("{k}={v}"));
        }
        cmd.arg(&run);
        let st = cmd.status().expect("tmux new-session");
        assert!(st.success(), "tmux new-session failed");
        Tmux { socket }
    }

    fn keys(&self, keys: &[&str]) {
        let st = Std::new("tmux").args(["-L", &self.socket, "send-keys", "-t", "t"]).args(keys).status().unwrap();
        assert!(st.success());
    }

    fn text(&self, text: &str) {
        let st = Std::new("tmux").args(["-L", &self.socket, "send-keys", "-t", "t", "-l", text]).status().unwrap();
        assert!(st.success());
    }

    fn screen(&self) -> String {
        let out = Std::new("tmux").args(["-L", &self.socket, "capture-pane", "-p", "-t", "t"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits (generously) until the screen satisfies `ok`.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {what}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Std::new("tmux").args(["-L", &self.socket, "kill-server"]).status();
    }
}

fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn wait_file(p: &Path) -> String {
    let start = Instant::now();
    loop {
        if let Ok(s) = std::fs::read_to_string(p)
            && s.ends_with('\n')
        {
            return s;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {}", p.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn picker_filters_moves_previews_and_runs_ssh() {
    let env = Env::new();
    let cfg = env.path("cfg").display().to_string();
    let t = Tmux::start(&env, &["-F", &cfg]);
    let s = t.wait_for("the first frame", |s| s.contains("alpha-web") && s.contains("4/4"));
    assert!(!s.contains("*.hidden") && !s.contains("nothere"), "patterns are not hosts:\n{s}");

    t.text("web");
    let s = t.wait_for("the filter", |s| s.contains("2/4"));
    assert!(s.contains("alpha-web") && s.contains("beta-web") && !s.contains("gamma-db"), "{s}");
    // Move down to beta-web: its preview shows the lines that apply, with file:line.
    t.keys(&["Down"]);
    t.wait_for("beta-web's preview", |s| {
        s.contains(" beta-web ") && s.contains("cfg:6") && s.contains("beta.example.com")
    });
    t.keys(&["C-p"]);
    t.wait_for("alpha-web's preview", |s| s.contains(" alpha-web ") && s.contains("cfg:4") && s.contains("deploy"));

    // A new filter: the db host, whose preview shows the jump host and the ignored User line.
    t.keys(&["C-u"]);
    t.text("gamma");
    let s = t.wait_for("gamma-db's preview", |s| s.contains("1/4") && s.contains("ProxyJump bastion"));
    assert!(s.contains("cfg:11") && s.contains("2222"), "{s}");
    t.keys(&["Enter"]);
    assert_eq!(wait_file(&env.path("ssh-argv")), "gamma-db\n");
    assert_eq!(wait_file(&env.path("code")), "0\n");
    assert_eq!(std::fs::read_to_string(env.path("stdout")).unwrap(), "");
    let history = std::fs::read_to_string(env.path("state/strata/sshtui-history")).unwrap();
    assert_eq!(history, "gamma-db\n");
}

#[test]
fn picker_escape_exits_130_with_nothing_on_stdout() {
    let env = Env::new();
    let cfg = env.path("cfg").display().to_string();
    let t = Tmux::start(&env, &["-F", &cfg, "--print"]);
    t.wait_for("the first frame", |s| s.contains("alpha-web"));
    t.text("beta");
    t.wait_for("the filter", |s| s.contains("1/4") && !s.contains("gamma-db"));
    t.keys(&["Escape"]);
    assert_eq!(wait_file(&env.path("code")), "130\n");
    assert_eq!(std::fs::read_to_string(env.path("stdout")).unwrap(), "");
    assert!(!env.path("ssh-argv").exists(), "ssh ran after Esc");
}

#[test]
fn picker_ctrl_c_exits_130_with_nothing_on_stdout() {
    let env = Env::new();
    let cfg = env.path("cfg").display().to_string();
    let t = Tmux::start(&env, &["-F", &cfg]);
    t.wait_for("the first frame", |s| s.contains("alpha-web"));
    t.keys(&["C-c"]);
    assert_eq!(wait_file(&env.path("code")), "130\n");
    assert_eq!(std::fs::read_to_string(env.path("stdout")).unwrap(), "");
    assert!(!env.path("ssh-argv").exists(), "ssh ran after Ctrl-C");
}

#[test]
fn picker_print_writes_the_alias_and_recent_hosts_come_first() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("state/strata")).unwrap();
    std::fs::write(env.path("state/strata/sshtui-history"), "beta-web\nbastion\n").unwrap();
    let cfg = env.path("cfg").display().to_string();
    let t = Tmux::start(&env, &["-F", &cfg, "--print"]);
    // The most recent choice (bastion) is selected first.
    t.wait_for("bastion first", |s| s.contains("▶ bastion"));
    t.keys(&["C-n"]);
    t.wait_for("beta-web next", |s| s.contains("▶ beta-web"));
    t.keys(&["C-k"]);
    t.wait_for("back to bastion", |s| s.contains("▶ bastion"));
    t.keys(&["C-j"]);
    t.wait_for("beta-web again", |s| s.contains("▶ beta-web"));
    t.keys(&["Enter"]);
    assert_eq!(wait_file(&env.path("code")), "0\n");
    assert_eq!(std::fs::read_to_string(env.path("stdout")).unwrap(), "beta-web\n");
    assert!(!env.path("ssh-argv").exists());
}

#[test]
fn picker_takes_host_records_on_stdin_instead_of_the_config() {
    let env = Env::new();
    let records = util::bin("strata-sshtui")
        .args(["list", "--tag", "prod", "-F"])
        .arg(env.path("cfg"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let mut records = records;
    // A record whose host ssh would take for an option is left out of the picker.
    records.extend_from_slice(b"{\"host\":\"-oProxyCommand=touch pwned\"}\n");
    std::fs::write(env.path("records"), records).unwrap();
    // -F names a file that does not exist: the records are the source, not the configuration.
    let t = Tmux::start_with_stdin(&env, &["-F", "/nonexistent", "--print"], Some(&env.path("records")));
    let s = t.wait_for("the hosts from stdin", |s| s.contains("2/2"));
    assert!(s.contains("alpha-web") && s.contains("gamma-db") && !s.contains("beta-web"), "{s}");
    assert!(!s.contains("ProxyCommand"), "{s}");
    t.text("gam");
    t.wait_for("gamma-db's values", |s| s.contains("1/2") && s.contains("10.1.2.3"));
    t.keys(&["Enter"]);
    assert_eq!(wait_file(&env.path("code")), "0\n");
    assert_eq!(std::fs::read_to_string(env.path("stdout")).unwrap(), "gamma-db\n");
}

impl Tmux {
    /// The pid of the picker: the child of the pane's shell script.
    fn picker_pid(&self) -> String {
        let out =
            Std::new("tmux").args(["-L", &self.socket, "display", "-p", "-t", "t", "#{pane_pid}"]).output().unwrap();
        let shell = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap();
        let pids: Vec<&str> = children.split_whitespace().collect();
        assert_eq!(pids.len(), 1, "the pane's script has one child, the picker: {children:?}");
        pids[0].to_string()
    }

    fn display(&self, format: &str) -> String {
        let out = Std::new("tmux").args(["-L", &self.socket, "display", "-p", "-t", "t", format]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `stty -a` of the pane's terminal.
    fn stty(&self) -> String {
        let tty = std::fs::File::open(self.display("#{pane_tty}")).unwrap();
        let out = Std::new("stty").arg("-a").stdin(tty).output().unwrap();
        assert!(out.status.success(), "stty -a: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Killed with SIGTERM or SIGHUP, the picker leaves the terminal as a normal exit does: cooked
/// mode with echo, the main screen back, nothing run or printed; the exit code is 128 + signal.
#[test]
fn picker_restores_the_terminal_when_killed() {
    for (signal, code) in [("TERM", "143\n"), ("HUP", "129\n")] {
        let env = Env::new();
        let cfg = env.path("cfg").display().to_string();
        let t = Tmux::start(&env, &["-F", &cfg]);
        t.wait_for("the first frame", |s| s.contains("alpha-web") && s.contains("4/4"));
        assert_eq!(t.display("#{alternate_on}"), "1", "the picker draws on the alternate screen");
        let before = t.stty();
        assert!(
            before.contains("-icanon") && before.contains("-echo "),
            "the picker puts the terminal in raw mode: {before}"
        );
        let pid = t.picker_pid();
        let st = Std::new("kill").args([&format!("-{signal}"), &pid]).status().unwrap();
        assert!(st.success());
        assert_eq!(wait_file(&env.path("code")), code, "SIG{signal}");
        let after = t.stty();
        let words: Vec<&str> = after.split_whitespace().collect();
        assert!(words.contains(&"icanon") && words.contains(&"echo"), "SIG{signal} left the terminal raw: {after}");
        assert_eq!(t.display("#{alternate_on}"), "0", "SIG{signal} left the alternate screen on");
        assert_eq!(std::fs::read_to_string(env.path("stdout")).unwrap(), "");
        assert!(!env.path("ssh-argv").exists(), "ssh ran after SIG{signal}");
    }
}

/// `list` runs each `Match exec` once per host (ssh -G runs it once, for its one host), and says
/// so in its help; `--no-exec` runs none, the Match lines holding one not matching.
#[test]
fn list_runs_match_exec_per_host_and_no_exec_runs_none() {
    let env = Env::new();
    let counter = env.path("exec-ran");
    let text = format!(
        "Host one two three\n  HostName %h.example\nMatch exec \"echo %n >> '{}'\"\n  User exec-matched\n",
        counter.display()
    );
    std::fs::write(env.path("exec.cfg"), text).unwrap();
    let out = util::bin("strata-sshtui")
        .args(["list", "--no-exec", "-F"])
        .arg(env.path("exec.cfg"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let recs = util::ndjson(&out);
    let hosts: Vec<&str> = recs.iter().map(|r| r["host"].as_str().unwrap()).collect();
    assert_eq!(hosts, ["one", "two", "three"]);
    assert!(recs.iter().all(|r| r["user"] != "exec-matched"), "a Match exec line matched without running");
    assert!(!counter.exists(), "--no-exec ran a Match exec command");

    util::bin("strata-sshtui").args(["list", "-F"]).arg(env.path("exec.cfg")).assert().success();
    assert_eq!(std::fs::read_to_string(&counter).unwrap(), "one\ntwo\nthree\n");

    let help = util::bin("strata-sshtui").args(["list", "--help"]).assert().success().get_output().stdout.clone();
    let help = String::from_utf8(help).unwrap();
    assert!(help.contains("once for every host") && help.contains("--no-exec"), "{help}");
}

/// `--help`, the man page and the README's section say that a `Match exec` line runs its command
/// through the user's shell, as `ssh -G` does, and that `list --no-exec` runs none: the one place
/// strata hands a command line to a shell, so a reader of any of the three learns it.
#[test]
fn the_docs_say_match_exec_runs_through_the_users_shell() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let says = |what: &str, text: &str| {
        let text = text.replace("\\-", "-").split_whitespace().collect::<Vec<_>>().join(" ");
        for needle in ["Match exec", "$SHELL -c", "as `ssh -G` does", "list --no-exec` runs none"] {
            assert!(text.contains(needle), "{what} does not say {needle:?}: {text}");
        }
    };
    let help = util::bin("strata-sshtui").arg("--help").assert().success().get_output().stdout.clone();
    says("--help", &String::from_utf8(help).unwrap());
    says("the man page", &std::fs::read_to_string(root.join("man/strata-sshtui.1")).unwrap());
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme.split("### strata-sshtui").nth(1).and_then(|s| s.split("\n### ").next()).unwrap();
    says("the README's strata-sshtui section", section);
}

/// An alias that is not UTF-8 reaches ssh byte for byte, as ssh reads it from its configuration:
/// `list` keeps its bytes (`host_bytes`, base64), records on stdin give them back, and the
/// picker shows it escaped but runs ssh with the exact bytes.
#[test]
fn an_alias_that_is_not_utf8_reaches_ssh_exactly() {
    let env = Env::new();
    std::fs::write(env.path("latin1"), b"Host caf\xe9 other\n  HostName %h.example\n").unwrap();
    let out = util::bin("strata-sshtui")
        .args(["list", "-F"])
        .arg(env.path("latin1"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let recs = util::ndjson(&out);
    assert_eq!(recs[0]["host"], "caf\u{fffd}");
    assert_eq!(recs[0]["host_bytes"], "Y2Fm6Q=="); // base64 of b"caf\xe9"
    assert_eq!(recs[0]["hostname_bytes"], "Y2Fm6S5leGFtcGxl"); // b"caf\xe9.example"
    assert!(recs[1]["host_bytes"].is_null() && recs[1]["host"] == "other");
    std::fs::write(env.path("records"), &out).unwrap();

    // From the configuration: Enter on the first host runs ssh with its bytes.
    let cfg = env.path("latin1").display().to_string();
    let t = Tmux::start(&env, &["-F", &cfg]);
    t.wait_for("the first frame", |s| s.contains("2/2") && s.contains("▶ caf\u{fffd}"));
    t.keys(&["Enter"]);
    assert_eq!(wait_file(&env.path("code")), "0\n");
    assert_eq!(std::fs::read(env.path("ssh-argv")).unwrap(), b"caf\xe9\n");
    let history = std::fs::read(env.path("state/strata/sshtui-history")).unwrap();
    assert_eq!(history, b"caf\xe9\n");
    drop(t);

    // From records on stdin, with --print: the exact bytes on stdout.
    let env2 = Env::new();
    std::fs::write(env2.path("records"), &out).unwrap();
    let t = Tmux::start_with_stdin(&env2, &["--print"], Some(&env2.path("records")));
    t.wait_for("the hosts from stdin", |s| s.contains("2/2") && s.contains("caf\u{fffd}.example"));
    t.keys(&["Enter"]);
    assert_eq!(wait_file(&env2.path("code")), "0\n");
    assert_eq!(std::fs::read(env2.path("stdout")).unwrap(), b"caf\xe9\n");
}
