//! Completion in real shells: bash, zsh and fish started in tmux with the built binaries first on
//! PATH, the completions of `completions/` loaded the way the README says (bash: sourced; zsh: a
//! directory in `fpath` and compinit; fish: a completions directory it loads them from by name),
//! keys typed, and the screen read back with `tmux capture-pane`.

use std::path::{Path, PathBuf};
use std::process::Command as Std;
use std::time::{Duration, Instant};

use crate::{fakezfs, util};

const SHELLS: [&str; 3] = ["bash", "zsh", "fish"];

/// Snapshot rows of the stand-in zfs (name, guid, createtxg, creation, used, referenced, userrefs,
/// strata:managed, strata:label).
const ROWS: &str = "\
tank/srv/db@daily-1\t1\t10\t1704067200\t0\t0\t0\ton\t-
tank/srv/www@daily-1\t2\t11\t1704067200\t0\t0\t0\ton\t-
tank/srv/www@daily-2\t3\t12\t1704153600\t0\t0\t0\ton\t-
";

/// Everything a shell session needs: the stand-in zfs, a home with an ssh configuration, a root
/// with unit files, a working directory holding a file that must never be offered.
struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let w = World { dir };
        std::fs::create_dir_all(w.path("bin")).unwrap();
        std::fs::write(w.path("rows.tsv"), ROWS).unwrap();
        let zfs =
            format!("#!/bin/sh\ncase \"$1\" in\n{}*) exit 1;;\nesac\n", fakezfs::listing_arms(&w.path("rows.tsv")));
        write_executable(&w.path("bin/zfs"), &zfs);

        // ~/.ssh/config: an Include, a pattern, a negation and a Match exec that must never run.
        std::fs::create_dir_all(w.path("home/.ssh/conf.d")).unwrap();
        let config = format!(
            "Include ~/.ssh/conf.d/*\n\
             Host alpha-web\n  HostName alpha.example\n\
             Host *.wild !negated-host\n  User w\n\
             Match exec \"touch {}\"\n  User exec-ran\n",
            w.marker().display()
        );
        std::fs::write(w.path("home/.ssh/config"), config).unwrap();
        // An alias that would be a command if the shell read it unquoted.
        std::fs::write(
            w.path("home/.ssh/conf.d/db"),
            "Host included-db\n  HostName db.example\nHost x$(touch${IFS}pwned)\n  HostName x.example\n",
        )
        .unwrap();

        // Unit files under a root, as harden-check --root reads them.
        for (d, f) in [("etc/systemd/system", "web-app.service"), ("lib/systemd/system", "backup-job.service")] {
            std::fs::create_dir_all(w.path(&format!("root/{d}"))).unwrap();
            std::fs::write(w.path(&format!("root/{d}/{f}")), "[Service]\nExecStart=/bin/true\n").unwrap();
        }

        // The shells start here: a file name that no value of these options is.
        std::fs::create_dir_all(w.path("cwd")).unwrap();
        std::fs::write(w.path("cwd/NOT-A-CANDIDATE"), "").unwrap();

        // fish finds completions in a completions directory by the command's name.
        let fish_dir = w.path("config/fish/completions");
        std::fs::create_dir_all(&fish_dir).unwrap();
        for e in std::fs::read_dir(completions()).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "fish") {
                std::fs::copy(&p, fish_dir.join(p.file_name().unwrap())).unwrap();
            }
        }
        w
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn marker(&self) -> PathBuf {
        self.path("match-exec-ran")
    }
}

fn completions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("completions")
}

fn write_executable(p: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(p, text).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// One interactive shell in a tmux server of its own, killed when dropped.
struct Session {
    socket: String,
    shell: &'static str,
}

impl Session {
    fn start(shell: &'static str, w: &World) -> Session {
        let v = Std::new(shell).arg("--version").output();
        assert!(
            v.as_ref().is_ok_and(|o| o.status.success()),
            "{shell} is needed for the completion tests (cargo xtask deps installs it): {v:?}"
        );
        let path = format!(
            "{}:{}:{}",
            w.path("bin").display(),
            util::bin_dir().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        // The shell is started by a script that sets PATH first (tmux keeps its own for panes).
        let argv = match shell {
            "bash" => "bash --norc --noprofile",
            "zsh" => "zsh -f",
            _ => "fish --no-config",
        };
        let start = w.path(&format!("start-{shell}.sh"));
        write_executable(
            &start,
            &format!("#!/bin/sh\nPATH=\"$TEST_PATH\"\nexport PATH\ncd \"$TEST_CWD\"\nexec {argv}\n"),
        );
        let socket = format!(
            "strata-complete-{shell}-{}-{}",
            std::process::id(),
            w.dir.path().file_name().unwrap().to_string_lossy()
        );
        let vars = [
            ("TEST_PATH", path),
            ("TEST_CWD", w.path("cwd").display().to_string()),
            ("HOME", w.path("home").display().to_string()),
            ("XDG_CONFIG_HOME", w.path("config").display().to_string()),
            ("XDG_DATA_HOME", w.path("data").display().to_string()),
            ("TERM", "xterm-256color".to_string()),
            ("SHELL", format!("/bin/{shell}")),
        ];
        let mut cmd = Std::new("tmux");
        cmd.args(["-L", &socket, "-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "200", "-y", "50"]);
        for (k, v) in &vars {
            cmd.arg("-e").arg(format!("{k}={v}"));
        }
        cmd.arg(&start);
        assert!(cmd.status().expect("tmux new-session").success(), "tmux new-session failed");
        let s = Session { socket, shell };
        let dir = completions().display().to_string();
        // Loading the completions as the README says, and a prompt that marks where a command starts.
        let setup = match shell {
            "bash" => format!(
                "PS1='READY$ '; bind 'set show-all-if-ambiguous on'; for f in {dir}/*.bash; do source \"$f\"; done"
            ),
            "zsh" => format!(
                "PROMPT='READY%% '; unsetopt listambiguous; fpath=({dir} $fpath); autoload -Uz compinit; compinit -u"
            ),
            _ => "function fish_prompt; echo -n 'READY> '; end; set -g fish_complete_path $XDG_CONFIG_HOME/fish/completions $fish_complete_path".to_string(),
        };
        s.text(&setup);
        s.keys(&["Enter"]);
        s.text("clear");
        s.keys(&["Enter"]);
        s.wait_for("the prompt", |screen| screen == s.prompt());
        s
    }

    /// The prompt set at the start, as the screen shows it with nothing typed.
    fn prompt(&self) -> &'static str {
        match self.shell {
            "bash" => "READY$",
            "zsh" => "READY%",
            _ => "READY>",
        }
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
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    /// Waits (generously: this is no measure of speed) until the screen satisfies `ok`; the last
    /// screen, as an error, when it never does.
    fn try_wait(&self, ok: impl Fn(&str) -> bool) -> Result<String, String> {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return Ok(s);
            }
            if start.elapsed() > Duration::from_secs(20) {
                return Err(s);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        self.try_wait(ok).unwrap_or_else(|s| panic!("{}: timed out waiting for {what}; screen:\n{s}", self.shell))
    }

    /// Types `line`, presses Tab once (each shell lists ambiguous candidates at once, see
    /// [`Session::start`]) and waits for every one of `want` on the screen. Returns the screen,
    /// or why not.
    fn complete(&self, line: &str, want: &[&str]) -> Result<String, String> {
        // A fresh line, then a clear screen holding the prompt only.
        if self.screen() != self.prompt() {
            self.keys(&["C-c"]);
            self.wait_for("a fresh prompt", |s| s.lines().last().is_some_and(|l| l.trim_end() == self.prompt()));
            self.text("clear");
            self.keys(&["Enter"]);
            self.wait_for("a clear screen", |s| s == self.prompt());
        }
        self.text(line);
        self.wait_for("the typed line", |s| s.contains(line.trim_end()));
        self.keys(&["Tab"]);
        self.try_wait(|s| want.iter().all(|w| s.contains(w)))
            .map_err(|s| format!("{}: `{line}` + Tab did not show {want:?}; screen:\n{s}", self.shell))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Std::new("tmux").args(["-L", &self.socket, "kill-server"]).status();
    }
}

/// Runs `check` in each shell and fails with every shell's failure at once.
fn in_every_shell(check: impl Fn(&Session, &World) -> Result<(), String>) {
    let v = Std::new("tmux").arg("-V").output();
    assert!(v.as_ref().is_ok_and(|o| o.status.success()), "tmux is needed for the completion tests: {v:?}");
    let mut failures = Vec::new();
    for shell in SHELLS {
        let w = World::new();
        let s = Session::start(shell, &w);
        if let Err(e) = check(&s, &w) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Subcommands, and the arguments after them (bash used to stop completing after the
/// subcommand): dataset names from `zfs list`, for the tool and through the dispatcher.
#[test]
fn subcommands_and_dataset_names_complete_in_every_shell() {
    in_every_shell(|s, _| {
        s.complete("strata-snapshot cr", &["strata-snapshot create"])?;
        s.complete("strata-snapshot create ", &["tank/srv/db", "tank/srv/www"])?;
        s.complete("strata snapshot cr", &["strata snapshot create"])?;
        s.complete("strata snapshot create tank/srv/w", &["strata snapshot create tank/srv/www"])?;
        Ok(())
    });
}

/// A snapshot argument offers the datasets with `@`, then the dataset's snapshots.
#[test]
fn snapshot_names_complete_after_the_at_sign() {
    in_every_shell(|s, _| {
        s.complete("strata-snapshot rollback tank/srv/www@", &["daily-1", "daily-2"])?;
        let screen = s.complete("strata-diff tank/srv/db@", &["strata-diff tank/srv/db@daily-1"])?;
        // The second snapshot as @NAME: the first one's dataset's snapshots.
        s.complete("strata-diff tank/srv/www@daily-1 @da", &["@daily-1", "@daily-2"])?;
        if screen.contains("www@") {
            return Err(format!("{}: another dataset's snapshots were offered:\n{screen}", s.shell));
        }
        Ok(())
    });
}

/// `--change` takes one of its values, never a file name (fish offered the files of the working
/// directory for the options of the top-level command).
#[test]
fn an_option_with_values_offers_its_values_and_no_file_names() {
    in_every_shell(|s, _| {
        let screen = s.complete("strata-diff --change ", &["modified", "renamed"])?;
        if screen.contains("NOT-A-CANDIDATE") {
            return Err(format!("{}: file names offered for --change:\n{screen}", s.shell));
        }
        Ok(())
    });
}

/// Host aliases of the ssh configuration (an Include followed, no pattern or negation), and no
/// `Match exec` command run for it.
#[test]
fn host_aliases_complete_without_running_match_exec() {
    in_every_shell(|s, w| {
        let screen = s.complete("strata-sshtui -F ~/.ssh/config ", &["alpha-web", "included-db"])?;
        if screen.contains("wild") || screen.contains("negated-host") {
            return Err(format!("{}: a pattern was offered as a host:\n{screen}", s.shell));
        }
        s.complete("strata sshtui list -F ~/.ssh/config inc", &["list -F ~/.ssh/config included-db"])?;
        // Inserted quoted: `$(` stays text on the command line.
        s.complete("strata-sshtui -F ~/.ssh/config x", &["config x\\$\\(touch"])?;
        if w.marker().exists() {
            return Err(format!("{}: pressing Tab ran the configuration's Match exec command", s.shell));
        }
        Ok(())
    });
}

/// Unit names from the unit directories under --root.
#[test]
fn unit_names_complete_from_the_root_given() {
    in_every_shell(|s, w| {
        let line = format!("strata-harden-check --root {} ", w.path("root").display());
        s.complete(&line, &["web-app.service", "backup-job.service"])?;
        Ok(())
    });
}

/// `strata-quota set`: the properties, then the values of compression (bash splits words at
/// `=`; the candidates still fit the word as typed).
#[test]
fn quota_set_completes_properties_and_compression_values() {
    in_every_shell(|s, _| {
        s.complete("strata-quota set tank/srv/www refq", &["set tank/srv/www refquota="])?;
        s.complete("strata-quota set tank/srv/www compression=zstd-fast-5", &["fast-50", "fast-500"])?;
        let screen = s.complete("strata-quota set tank/srv/www compression=zl", &["compression=zle"])?;
        if screen.contains("compression=compression") {
            return Err(format!("{}: the property was repeated:\n{screen}", s.shell));
        }
        Ok(())
    });
}

/// Without zfs on PATH a dataset argument has no candidates, quietly: exit 0, nothing on stderr.
#[test]
fn no_zfs_means_no_candidates_and_no_error() {
    let empty = tempfile::tempdir().unwrap();
    let out = util::bin("strata-snapshot")
        .env("PATH", empty.path())
        .env("STRATA_COMPLETE", "fish")
        .args(["--", "strata-snapshot", "create", "tank/"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
}

/// A dataset is completed from one level of the tree: the children of the part typed up to its
/// last `/` (`zfs list -d 1`), and a snapshot from its dataset's snapshots only; names ZFS
/// printed with control characters are left out.
#[test]
fn dataset_candidates_come_from_one_level_below_what_was_typed() {
    let zfs = util::FakeBin::new();
    let log = zfs.dir.path().join("calls.log");
    zfs.script(
        "zfs",
        &format!(
            "printf '%s\\n' \"$*\" >> '{}'\nprintf 'tank/srv\\ntank/srv/www\\ntank/srv/w\\033[2Jx\\ntank/srv/web\\tjunk\\n'\n",
            log.display()
        ),
    );
    let complete = |words: &[&str]| -> Vec<String> {
        let out = util::bin("strata-snapshot")
            .env("PATH", zfs.path())
            .env("STRATA_COMPLETE", "fish")
            .arg("--")
            .args(words)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
    };
    assert_eq!(complete(&["strata-snapshot", "create", "tank/srv/w"]), ["tank/srv/www", "tank/srv/web"]);
    complete(&["strata-snapshot", "rollback", "tank/srv/www@d"]);
    let calls = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        calls,
        "list -H -o name -t filesystem,volume -d 1 tank/srv\nlist -H -o name -t snapshot -d 1 tank/srv/www\n"
    );
}

/// `strata <Tab>` offers the built-in tools and the `strata-*` programs on PATH, as it runs them.
#[test]
fn the_dispatcher_offers_tools_on_path_too() {
    let bin = util::FakeBin::new();
    bin.script("strata-backup", "exit 0\n");
    let out = util::bin("strata")
        .env("PATH", bin.path())
        .env("STRATA_COMPLETE", "fish")
        .args(["--", "strata", ""])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let names: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect();
    for want in ["snapshot", "sshtui", "backup"] {
        assert!(names.iter().any(|n| n == want), "{want} not offered: {names:?}");
    }
}

/// A `COMPLETE` variable meant for another program (clap's default name) leaves a strata tool
/// running as usual: strata answers only its own `STRATA_COMPLETE`.
#[test]
fn another_programs_complete_variable_is_not_a_completion_request() {
    let out = util::bin("strata-snapshot").env("COMPLETE", "bash").arg("--version").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("strata-snapshot "), "{out:?}");
}
