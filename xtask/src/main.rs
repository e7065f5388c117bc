//! `cargo xtask`: the project's own automation.
//!
//! - `gen`: man pages (`man/*.1`) and shell completions (`completions/`) from the tools' commands;
//! - `ci`: everything CI runs: test dependencies, format, lint, tests, generated files fresh, the fuzz
//!   targets for a bounded time, and the real-ZFS lab;
//! - `lab setup|test|shell|demo|capture`: the QEMU lab with a real OpenZFS kernel module;
//! - `bench`: the benchmarks, each measured side by side with its reference;
//! - `deb`: the Debian package (cargo-deb over one release build);
//! - `fuzz`: every fuzz target for a bounded time.

mod codegen;
mod deb;
mod fuzz;
mod lab;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "strata's project automation")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write man/*.1 and completions/ from the tools' clap commands.
    Gen {
        /// Only check that the committed files are up to date.
        #[arg(long)]
        check: bool,
    },
    /// The whole test suite: test dependencies, fmt, clippy, tests, generated files, fuzzing, real-ZFS lab.
    Ci {
        /// Skip the real-ZFS lab (quick local runs).
        #[arg(long)]
        no_lab: bool,
    },
    /// Install what the tests need: Debian packages (apt, as root), just and ansible from PyPI into target/tools/venv, cargo-deb into target/tools/cargo-deb.
    Deps,
    /// The real-ZFS lab.
    Lab {
        #[command(subcommand)]
        cmd: lab::LabCmd,
    },
    /// Run every fuzz target (unit parser, zfs diff decoder, ssh config) for a bounded time.
    Fuzz {
        /// Seconds per target.
        #[arg(long, value_name = "N", default_value_t = 20)]
        seconds: u32,
    },
    /// Build the Debian package (release binaries, man pages, completions, systemd units) and print its path.
    Deb {
        /// Directory the .deb is written to.
        #[arg(long, value_name = "DIR", default_value = deb::DEFAULT_OUT)]
        output: PathBuf,
    },
    /// Run the benchmarks (host ones, then the lab's `bench/` scenarios).
    Bench {
        /// Skip the lab benchmarks.
        #[arg(long)]
        no_lab: bool,
    },
}

fn main() {
    if let Err(e) = run() {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(2);
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Gen { check } => codegen::run(&root(), check),
        Cmd::Ci { no_lab } => ci(no_lab),
        Cmd::Deps => deps(),
        Cmd::Lab { cmd } => lab::run(cmd),
        Cmd::Bench { no_lab } => bench(no_lab),
        Cmd::Fuzz { seconds } => fuzz::fuzz(&root(), seconds),
        Cmd::Deb { output } => deb::build(&output).map(|p| println!("{}", p.display())),
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

/// Runs a command in the workspace root, echoing it; fails when it fails.
pub fn sh(program: &str, args: &[&str]) -> Result<()> {
    eprintln!("xtask: $ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root())
        .status()
        .with_context(|| format!("cannot run {program}"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Debian packages the tests use as references and tools, by the command that must exist.
const TEST_DEPS: &[(&str, &str)] = &[
    ("tmux", "tmux"),
    // completion is tested in each shell it serves (bash is Debian's own)
    ("zsh", "zsh"),
    ("fish", "fish"),
    ("ssh", "openssh-client"),
    ("systemd-analyze", "systemd"),
    ("nix-instantiate", "nix-bin"),
    ("promtool", "prometheus"),
    ("/usr/bin/borg", "borgbackup"),
    ("man", "man-db"),
    // cargo-deb's Depends: from the binaries' shared libraries
    ("dpkg-shlibdeps", "dpkg-dev"),
    // cargo fuzz builds libFuzzer (C++)
    ("c++", "g++"),
];

fn have(cmd: &str) -> bool {
    if cmd.starts_with('/') {
        return Path::new(cmd).exists();
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).any(|d| d.join(cmd).is_file())
}

fn deps() -> Result<()> {
    let mut missing: Vec<&str> = TEST_DEPS.iter().filter(|(c, _)| !have(c)).map(|(_, p)| *p).collect();
    // Debian's python3 makes venvs only with python3-venv (it leaves ensurepip out otherwise).
    if !py_tools_ready() && !python_can_venv() {
        missing.push("python3-venv");
    }
    if !missing.is_empty() {
        apt_install(&missing)?;
    }
    py_tools()?;
    deb::install_cargo_deb()
}

fn apt_install(missing: &[&str]) -> Result<()> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        bail!(
            "the tests need these Debian packages: {}; install them as root (`sudo cargo xtask deps`)",
            missing.join(" ")
        );
    }
    sh("apt-get", &["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300"];
    args.extend(missing);
    let status = Command::new("apt-get").args(&args).env("DEBIAN_FRONTEND", "noninteractive").status()?;
    if !status.success() {
        bail!("apt-get install {} failed", missing.join(" "));
    }
    Ok(())
}

/// Test tools Debian 12 does not package (just) or packages too old for the checks (ansible-core,
/// ansible-lint), from PyPI into a venv of their own. Pinned, so that a lint rule or a recipe syntax
/// changes only when this list does; reinstalled only when it changes.
const PY_TOOLS: &[&str] = &["ansible-core==2.19.14", "ansible-lint==26.10.1", "rust-just==1.59.0"];

/// The venv of [`PY_TOOLS`]; the tests run the programs in its `bin/`.
pub fn py_tools_venv() -> PathBuf {
    root().join("target/tools/venv")
}

/// What a venv holding exactly [`PY_TOOLS`] has written (the last step of [`py_tools`]).
fn py_tools_stamp() -> (PathBuf, String) {
    (py_tools_venv().join("strata-tools.txt"), PY_TOOLS.join("\n") + "\n")
}

fn py_tools_ready() -> bool {
    let (stamp, want) = py_tools_stamp();
    std::fs::read_to_string(stamp).is_ok_and(|have| have == want)
}

fn python_can_venv() -> bool {
    Command::new("/usr/bin/python3")
        .args(["-c", "import ensurepip, venv"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn py_tools() -> Result<()> {
    if py_tools_ready() {
        return Ok(());
    }
    let venv = py_tools_venv();
    let venv_s = venv.to_str().context("the workspace path is not UTF-8")?;
    // A fresh venv each time: pip would keep packages this list no longer names.
    if venv.exists() {
        std::fs::remove_dir_all(&venv).with_context(|| format!("cannot remove {venv_s}"))?;
    }
    // Debian's python, not whichever python3 comes first on PATH: the same interpreter on every machine.
    sh("/usr/bin/python3", &["-m", "venv", venv_s])?;
    let pip = venv.join("bin/pip");
    let mut args = vec!["install", "-q", "--disable-pip-version-check", "--no-input"];
    args.extend(PY_TOOLS);
    sh(pip.to_str().context("the workspace path is not UTF-8")?, &args)?;
    let (stamp, want) = py_tools_stamp();
    std::fs::write(&stamp, want).with_context(|| format!("cannot write {}", stamp.display()))
}

fn ci(no_lab: bool) -> Result<()> {
    let t0 = std::time::Instant::now();
    deps()?;
    sh("cargo", &["fmt", "--all", "--check"])?;
    sh("cargo", &["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"])?;
    // The release binaries, once: tests/contrib_deb.rs packs them, the lab runs them.
    sh("cargo", &["build", "--release", "--locked", "-p", "strata", "--bins"])?;
    sh("cargo", &["test", "--workspace", "--locked"])?;
    codegen::run(&root(), true)?;
    fuzz::fuzz(&root(), 20)?;
    if !no_lab {
        lab_both_series()?;
    }
    eprintln!("xtask: ci passed in {:.0} s", t0.elapsed().as_secs_f64());
    Ok(())
}

/// The scenarios run on OpenZFS 2.1 too: those where strata reads output whose shape differs
/// between the series (listings with and without `zfs list -j`, `zfs destroy -v -p`, resume
/// tokens, send estimates, `zfs allow`). The others (diff, quota, the ssh transport) read the same
/// output on both and run on 2.3 only, which keeps CI's lab time down.
const LAB_21: &[&str] = &[
    "lab/",
    "safety/",
    "policy/",
    "prune/",
    "snapshot/",
    "ops/",
    "send/full-incremental",
    "send/no-intermediates",
    "send/diverged",
    "send/modified-target",
    "send/bookmark-base",
    "send/sigkill-then-resume",
    "send/stale-token",
    "send/encrypted-raw",
    "send/recursive-and-stdin",
];

/// The lab on OpenZFS 2.3 (every scenario) and 2.1 ([`LAB_21`]) side by side: the 2.1 setup and
/// run go on in a child process (its output in target/lab-2.1.log, printed when it ends) while 2.3
/// runs, as each VM keeps about one core busy.
fn lab_both_series() -> Result<()> {
    let series = |s: &str| lab::Series { series: s.into() };
    lab::run(lab::LabCmd::Setup { zfs: series("2.3") })?;
    let log_path = root().join("target/lab-2.1.log");
    let log = std::fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let xtask = std::env::current_exe()?;
    let branch = std::thread::spawn(move || -> Result<std::process::ExitStatus> {
        let mut setup = Command::new(&xtask);
        setup.args(["lab", "setup", "--zfs", "2.1"]).stdout(log.try_clone()?).stderr(log.try_clone()?);
        let status = setup.status().context("cannot start the 2.1 lab setup")?;
        if !status.success() {
            return Ok(status);
        }
        let mut test = Command::new(&xtask);
        test.args(["lab", "test", "--zfs", "2.1"]).args(LAB_21).stdout(log.try_clone()?).stderr(log);
        test.status().context("cannot start the 2.1 lab")
    });
    eprintln!("xtask: the OpenZFS 2.1 lab runs beside 2.3 (output in {})", log_path.display());
    let first = lab::run(lab::LabCmd::Test { zfs: series("2.3"), filters: vec![] });
    let second = branch.join().map_err(|_| anyhow::anyhow!("the 2.1 lab thread panicked"))?;
    eprintln!("xtask: ---- OpenZFS 2.1 lab ({}) ----", log_path.display());
    eprint!("{}", std::fs::read_to_string(&log_path).unwrap_or_default());
    let second = second?;
    first?;
    if !second.success() {
        bail!("the OpenZFS 2.1 lab failed ({second})");
    }
    Ok(())
}

fn bench(no_lab: bool) -> Result<()> {
    deps()?;
    let root = root();
    let mut crates: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(root.join("crates"))? {
        let dir = entry?.path();
        if dir.join("benches").is_dir() {
            crates.push(dir.file_name().unwrap_or_default().to_string_lossy().into_owned());
        }
    }
    crates.sort();
    for c in &crates {
        sh("cargo", &["bench", "-p", c])?;
    }
    if !no_lab {
        lab::run(lab::LabCmd::Test { zfs: lab::Series::default_series(), filters: vec!["bench/".into()] })?;
    }
    Ok(())
}
