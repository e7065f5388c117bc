//! The real-ZFS scenario harness. Every scenario gets its own dataset under a throw-away pool
//! (`tank` on the lab VM's scratch disk, or a file-backed pool with an altroot when
//! `STRATA_LAB=native`), runs the real strata binaries and real `zfs`, and asserts on what strata
//! printed and on the pool's state afterwards. A failure shows the command, its exit code, stdout
//! and stderr.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// One scenario: a name and a function.
pub struct Scenario {
    pub name: &'static str,
    pub run: fn(&Lab) -> Result<()>,
}

/// The finished run of one command.
pub struct Run {
    pub cmd: String,
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  command: {}", self.cmd)?;
        writeln!(f, "  exit code: {}", self.code)?;
        writeln!(f, "  stdout:\n{}", indent(&self.stdout))?;
        write!(f, "  stderr:\n{}", indent(&self.stderr))
    }
}

fn indent(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if s.is_empty() {
        return "    (empty)".into();
    }
    s.lines().map(|l| format!("    | {l}")).collect::<Vec<_>>().join("\n")
}

impl Run {
    /// Fails unless the exit code is 0.
    pub fn ok(self) -> Result<Run> {
        self.code(0)
    }

    /// Fails unless the exit code is `want`.
    pub fn code(self, want: i32) -> Result<Run> {
        if self.code != want {
            bail!("expected exit code {want}\n{self}");
        }
        Ok(self)
    }

    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// stdout as NDJSON records.
    pub fn records(&self) -> Result<Vec<Value>> {
        let mut v = Vec::new();
        for (i, line) in self.out().lines().enumerate() {
            if line.is_empty() {
                continue;
            }
            v.push(serde_json::from_str(line).with_context(|| format!("stdout line {} is not JSON\n{self}", i + 1))?);
        }
        Ok(v)
    }

    /// Fails with the run shown unless `cond` holds.
    pub fn check(&self, cond: bool, what: impl fmt::Display) -> Result<()> {
        if !cond {
            bail!("{what}\n{self}");
        }
        Ok(())
    }
}

/// Fails with both values shown unless they are equal.
pub fn check_eq<T: PartialEq + fmt::Debug>(got: T, want: T, what: impl fmt::Display) -> Result<()> {
    if got != want {
        bail!("{what}\n  got:  {got:?}\n  want: {want:?}");
    }
    Ok(())
}

/// A scenario's view of the pool.
pub struct Lab {
    pub pool: String,
    /// This scenario's own dataset, `POOL/NAME`.
    pub root: String,
    bin_dir: PathBuf,
}

impl Lab {
    /// `ROOT/rel`, the full name of a dataset of this scenario.
    pub fn ds(&self, rel: &str) -> String {
        if rel.is_empty() { self.root.clone() } else { format!("{}/{rel}", self.root) }
    }

    /// Creates `ROOT/rel` (and its parents) with `zfs create -p`, returns its full name.
    pub fn create(&self, rel: &str, props: &[&str]) -> Result<String> {
        let name = self.ds(rel);
        let mut args = vec!["create", "-p"];
        for p in props {
            args.push("-o");
            args.push(p);
        }
        args.push(&name);
        self.zfs(&args)?;
        Ok(name)
    }

    /// Runs `zfs ARGS`; fails (showing the run) unless it exits 0; returns stdout.
    pub fn zfs(&self, args: &[&str]) -> Result<String> {
        Ok(run(Command::new("zfs").args(args), None).ok()?.out())
    }

    /// Runs `zpool ARGS`, which must succeed; returns its stdout.
    pub fn zpool(&self, args: &[&str]) -> Result<String> {
        Ok(run(Command::new("zpool").args(args), None).ok()?.out())
    }

    /// Runs `zfs ARGS` whatever its exit code.
    pub fn zfs_run(&self, args: &[&str]) -> Run {
        run(Command::new("zfs").args(args), None)
    }

    /// Runs a strata binary (`strata-snapshot`, `strata`) with `args`.
    pub fn strata<S: AsRef<OsStr>>(&self, bin: &str, args: &[S]) -> Run {
        run(Command::new(self.bin_dir.join(bin)).args(args), None)
    }

    /// The same, with `stdin` piped in.
    pub fn strata_stdin<S: AsRef<OsStr>>(&self, bin: &str, args: &[S], stdin: &[u8]) -> Run {
        run(Command::new(self.bin_dir.join(bin)).args(args), Some(stdin))
    }

    /// Where a dataset is mounted.
    pub fn mountpoint(&self, ds: &str) -> Result<PathBuf> {
        let out = self.zfs(&["get", "-H", "-p", "-o", "value", "mountpoint", ds])?;
        let mp = out.trim_end_matches('\n');
        // With an altroot (native mode) ZFS already prints the mountpoint under it.
        Ok(PathBuf::from(mp))
    }

    /// The snapshots of one dataset (names after '@'), oldest first.
    pub fn snapshots(&self, ds: &str) -> Result<Vec<String>> {
        let out = self.zfs(&["list", "-H", "-t", "snapshot", "-o", "name", "-s", "createtxg", "-d", "1", ds])?;
        Ok(out.lines().filter_map(|l| l.split_once('@').map(|(_, s)| s.to_string())).collect())
    }

    /// One property's exact value (`-p`).
    pub fn get(&self, prop: &str, ds: &str) -> Result<String> {
        Ok(self.zfs(&["get", "-H", "-p", "-o", "value", prop, ds])?.trim_end_matches('\n').to_string())
    }

    /// Writes a file (creating parent directories).
    pub fn write(&self, path: &Path, content: impl AsRef<[u8]>) -> Result<()> {
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).with_context(|| format!("mkdir {}", p.display()))?;
        }
        std::fs::write(path, content).with_context(|| format!("write {}", path.display()))
    }

    /// Runs `sh -c SCRIPT` (for test set-up only, never with strata's own data).
    pub fn sh(&self, script: &str) -> Result<Run> {
        run(Command::new("sh").arg("-c").arg(script), None).ok()
    }
}

fn run(cmd: &mut Command, stdin: Option<&[u8]>) -> Run {
    let shown = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| {
            let s = a.to_string_lossy();
            if s.is_empty() || s.contains([' ', '\'', '"', '\t', '\n', '$', '|', ';']) {
                format!("'{}'", s.replace('\'', "'\\''"))
            } else {
                s.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Run { cmd: shown, code: -1, stdout: vec![], stderr: format!("cannot start: {e}").into_bytes() };
        }
    };
    if let Some(input) = stdin {
        let mut si = child.stdin.take().expect("piped stdin");
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = si.write_all(&input);
        });
    }
    match child.wait_with_output() {
        Ok(o) => Run { cmd: shown, code: o.status.code().unwrap_or(-1), stdout: o.stdout, stderr: o.stderr },
        Err(e) => Run { cmd: shown, code: -1, stdout: vec![], stderr: format!("wait failed: {e}").into_bytes() },
    }
}

/// The pool every scenario of one run shares, destroyed at the end in native mode.
pub struct Pool {
    pub name: String,
    native_dir: Option<PathBuf>,
}

impl Pool {
    /// In the lab VM: `tank` on the scratch disk. Natively: a file-backed pool with an altroot.
    pub fn create() -> Result<Pool> {
        if std::env::var_os("ZFSVM").is_some() {
            let disk = std::env::var("STRATA_LAB_DISK").unwrap_or_else(|_| "/dev/vda".into());
            let r = run(Command::new("zpool").args(["create", "-f", "tank", &disk]), None);
            if r.code != 0 {
                bail!("cannot create the lab pool\n{r}");
            }
            return Ok(Pool { name: "tank".into(), native_dir: None });
        }
        let dir = std::env::temp_dir().join(format!("strata-lab-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("root"))?;
        let file = dir.join("vdev");
        std::fs::File::create(&file)?.set_len(1 << 30)?;
        let name = format!("stratalab{}", std::process::id());
        let r =
            run(Command::new("zpool").args(["create", "-f", "-R"]).arg(dir.join("root")).arg(&name).arg(&file), None);
        if r.code != 0 {
            bail!("cannot create the throw-away pool\n{r}");
        }
        Ok(Pool { name, native_dir: Some(dir) })
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Some(dir) = &self.native_dir {
            let _ = Command::new("zpool").args(["destroy", "-f", &self.name]).status();
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Where the strata binaries are: `STRATA_BIN_DIR`, or next to this test binary's directory
/// (`target/release/deps/lab-*` -> `target/release`).
pub fn bin_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("STRATA_BIN_DIR") {
        return PathBuf::from(d);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    let deps = exe.parent().unwrap_or(Path::new("."));
    if deps.ends_with("deps") { deps.parent().unwrap_or(deps).to_path_buf() } else { deps.to_path_buf() }
}

/// Runs the scenarios whose name contains one of `filters` (all when empty); prints one line per
/// scenario and the summary line; returns the number of failures.
pub fn run_all(scenarios: Vec<Scenario>, filters: &[String]) -> Result<usize> {
    let pool = Pool::create()?;
    let bin_dir = bin_dir();
    // Benchmarks run only when asked for by name (`bench/`).
    let chosen: Vec<_> = scenarios
        .into_iter()
        .filter(|s| {
            if filters.is_empty() {
                !s.name.starts_with("bench/")
            } else {
                filters.iter().any(|f| s.name.contains(f.as_str()))
            }
        })
        .collect();
    let (mut passed, mut failed) = (0usize, 0usize);
    let started = std::time::Instant::now();
    for s in chosen {
        let root = format!("{}/{}", pool.name, s.name.replace(['/', ' ', ':'], "_"));
        let t0 = std::time::Instant::now();
        let lab = Lab { pool: pool.name.clone(), root: root.clone(), bin_dir: bin_dir.clone() };
        let result = lab.zfs(&["create", "-p", &root]).and_then(|_| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (s.run)(&lab))).unwrap_or_else(|p| {
                let msg =
                    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
                Err(anyhow::anyhow!("panicked: {}", msg.unwrap_or_default()))
            })
        });
        let secs = t0.elapsed().as_secs_f64();
        match result {
            Ok(()) => {
                passed += 1;
                println!("scenario {} ... ok ({secs:.1} s)", s.name);
            }
            Err(e) => {
                failed += 1;
                println!("scenario {} ... FAILED ({secs:.1} s)\n{e:#}", s.name);
            }
        }
        let _ = std::io::stdout().flush();
    }
    println!("lab: {:.1} s for the scenarios", started.elapsed().as_secs_f64());
    println!("{passed} passed, {failed} failed");
    Ok(failed)
}
