//! `cargo xtask fuzz`: every cargo-fuzz target for a bounded time; a crash, a leak of memory
//! past libFuzzer's limit or an input that hangs fails the run.
//!
//! From a machine that has only a stable toolchain and crates.io: cargo-fuzz is installed with
//! `cargo install --locked` when missing, and built and run with the nightly toolchain when
//! rustup has one, otherwise with the default toolchain and `RUSTC_BOOTSTRAP=1` (cargo-fuzz
//! passes the unstable `-Z` flags libFuzzer's instrumentation needs). The sanitizer is off
//! (the code under test is safe Rust) and debug assertions are on, so an arithmetic overflow is
//! a crash. Each fuzz crate starts from the workspace's Cargo.lock, so it builds the versions the
//! tests use, and all of them share one target directory (`target/fuzz`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The cargo-fuzz release installed when none is found.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// A fuzz target: its crate's directory, its name, and where its seed inputs come from.
struct Target {
    krate: &'static str,
    name: &'static str,
    /// Directories (searched recursively, links not followed) whose files seed the corpus.
    seeds: &'static [&'static str],
    /// Seed files whose names contain this are used.
    seed_names: &'static str,
    /// Each line of a seed file is one seed (for line decoders).
    by_line: bool,
}

const TARGETS: &[Target] = &[
    Target {
        krate: "crates/strata-harden-check",
        name: "parse_unit",
        seeds: &["crates/strata-harden-check/testdata"],
        seed_names: "",
        by_line: false,
    },
    Target {
        krate: "crates/strata-zfs",
        name: "diff_line",
        seeds: &["tests/fixtures"],
        seed_names: "diff_",
        by_line: true,
    },
    Target {
        krate: "crates/strata-send",
        name: "resume_token",
        seeds: &["crates/strata-send/tests/data/tokens"],
        seed_names: ".token",
        by_line: true,
    },
    Target {
        krate: "crates/strata-sshtui",
        name: "ssh_config",
        seeds: &["crates/strata-sshtui/tests/corpus"],
        seed_names: "",
        by_line: false,
    },
];

/// The `cargo` on PATH (rustup's proxy, which understands `+nightly`), not the toolchain's own
/// binary that runs xtask.
fn cargo() -> Command {
    Command::new("cargo")
}

fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("xtask: $ {cmd:?}");
    let status = cmd.status().with_context(|| format!("cannot run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed ({status})");
    }
    Ok(())
}

/// True when `cargo fuzz` answers.
fn have_cargo_fuzz() -> bool {
    cargo().args(["fuzz", "--version"]).output().is_ok_and(|o| o.status.success())
}

/// `Some("+nightly")` when rustup has a nightly toolchain.
fn nightly() -> Option<&'static str> {
    let out = Command::new("rustup").args(["toolchain", "list"]).output().ok()?;
    String::from_utf8_lossy(&out.stdout).lines().any(|l| l.starts_with("nightly")).then_some("+nightly")
}

/// Writes the seed inputs of `t` as files of `dir`.
fn seeds(root: &Path, t: &Target, dir: &Path) -> Result<usize> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut todo: Vec<PathBuf> = t.seeds.iter().map(|s| root.join(s)).collect();
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let e = e?;
            let ty = e.file_type()?;
            if ty.is_dir() {
                todo.push(e.path());
            } else if ty.is_file() && e.file_name().to_string_lossy().contains(t.seed_names) {
                files.push(e.path());
            }
        }
    }
    files.sort();
    let mut n = 0;
    for f in files {
        let data = std::fs::read(&f).with_context(|| format!("reading {}", f.display()))?;
        let pieces: Vec<&[u8]> =
            if t.by_line { data.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect() } else { vec![&data] };
        for p in pieces {
            n += 1;
            std::fs::write(dir.join(format!("seed-{n:05}")), p)?;
        }
    }
    Ok(n)
}

/// Builds and runs every target for `seconds` each.
pub fn fuzz(root: &Path, seconds: u32) -> Result<()> {
    let t0 = std::time::Instant::now();
    if !have_cargo_fuzz() {
        run(cargo().args(["install", "--locked", "--version", CARGO_FUZZ_VERSION, "cargo-fuzz"]))?;
    }
    let toolchain = nightly();
    let target_dir = root.join("target/fuzz");
    let mut failed: Vec<&str> = Vec::new();
    for t in TARGETS {
        let krate = root.join(t.krate);
        // The workspace's versions first; cargo adds libfuzzer-sys and what only fuzzing uses.
        std::fs::copy(root.join("Cargo.lock"), krate.join("fuzz/Cargo.lock"))
            .with_context(|| format!("copying Cargo.lock into {}/fuzz", t.krate))?;
        let seed_dir = target_dir.join("seeds").join(t.name);
        let n = seeds(root, t, &seed_dir)?;
        eprintln!("xtask: fuzz {}: {n} seed inputs", t.name);
        let corpus = krate.join("fuzz/corpus").join(t.name);
        std::fs::create_dir_all(&corpus)?;
        let fuzz_cmd = || {
            let mut cmd = cargo();
            cmd.current_dir(&krate);
            match toolchain {
                Some(tc) => cmd.arg(tc),
                None => cmd.env("RUSTC_BOOTSTRAP", "1"),
            };
            cmd
        };
        // Built first, so a target that no longer compiles is told apart from an input that crashed.
        let mut build = fuzz_cmd();
        build
            .args(["fuzz", "build", "--sanitizer", "none", "--debug-assertions", "--target-dir"])
            .arg(&target_dir)
            .arg(t.name);
        if let Err(e) = run(&mut build) {
            eprintln!("xtask: error: fuzz target {} does not build: {e:#}", t.name);
            failed.push(t.name);
            continue;
        }
        let mut cmd = fuzz_cmd();
        cmd.args(["fuzz", "run", "--sanitizer", "none", "--debug-assertions", "--target-dir"])
            .arg(&target_dir)
            .arg(t.name)
            .arg(&corpus)
            .arg(&seed_dir)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            // One input may take at most this long, and memory is bounded.
            .args(["-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1"]);
        if let Err(e) = run(&mut cmd).with_context(|| {
            format!(
                "fuzz target {} failed (an input that crashed is kept in {}/fuzz/artifacts/{})",
                t.name, t.krate, t.name
            )
        }) {
            eprintln!("xtask: error: {e:#}");
            failed.push(t.name);
        }
    }
    if !failed.is_empty() {
        bail!("fuzz targets failed: {}", failed.join(", "));
    }
    eprintln!("xtask: fuzz passed in {:.0} s ({seconds} s per target)", t0.elapsed().as_secs_f64());
    Ok(())
}
