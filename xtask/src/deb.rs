//! `cargo xtask deb`: the Debian package, from one release build.
//!
//! What goes into the package is `[package.metadata.deb]` in the root Cargo.toml; cargo-deb reads
//! it. The release binaries are built here with the same command the lab uses, so CI builds them
//! once for both, and cargo-deb only packs them (`--no-build`). cargo-deb itself is pinned and
//! installed into `target/tools/cargo-deb` by `cargo xtask deps` (a few minutes, once per machine:
//! a second run finds it there).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The cargo-deb release the package is built with.
pub const CARGO_DEB_VERSION: &str = "3.8.0";

/// Where `cargo xtask deb` writes the package unless told otherwise (cargo-deb's own default).
pub const DEFAULT_OUT: &str = "target/debian";

/// The pinned cargo-deb's executable.
pub fn cargo_deb() -> PathBuf {
    crate::root().join("target/tools/cargo-deb/bin/cargo-deb")
}

/// True when [`cargo_deb`] is the pinned release.
fn cargo_deb_ready() -> bool {
    Command::new(cargo_deb()).arg("--version").output().is_ok_and(|o| {
        o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == format!("cargo-deb {CARGO_DEB_VERSION}")
    })
}

/// Installs the pinned cargo-deb into `target/tools/cargo-deb` unless it is there.
pub fn install_cargo_deb() -> Result<()> {
    if cargo_deb_ready() {
        return Ok(());
    }
    let t0 = std::time::Instant::now();
    let dest = crate::root().join("target/tools/cargo-deb");
    let dest = dest.to_str().context("the workspace path is not UTF-8")?;
    crate::sh(
        "cargo",
        &["install", "--locked", "--force", "--version", CARGO_DEB_VERSION, "--root", dest, "cargo-deb"],
    )?;
    eprintln!("xtask: cargo-deb {CARGO_DEB_VERSION} installed in {:.0} s", t0.elapsed().as_secs_f64());
    Ok(())
}

/// Builds the release binaries and packs them with the man pages, completions and units into a
/// `.deb` in `out` (relative to the workspace root when relative); returns the package's path.
pub fn build(out: &Path) -> Result<PathBuf> {
    install_cargo_deb()?;
    let t0 = std::time::Instant::now();
    crate::sh("cargo", &["build", "--release", "--locked", "-p", "strata", "--bins"])?;
    let built = t0.elapsed();
    let out = crate::root().join(out);
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let exe = cargo_deb();
    let mut cmd = Command::new(&exe);
    cmd.args(["--no-build", "--locked", "-p", "strata", "--output"]).arg(&out).current_dir(crate::root());
    eprintln!("xtask: $ {cmd:?}");
    let o =
        cmd.stderr(std::process::Stdio::inherit()).output().with_context(|| format!("cannot run {}", exe.display()))?;
    if !o.status.success() {
        bail!("cargo-deb failed ({})", o.status);
    }
    // cargo-deb prints the package's path, and nothing else, on stdout.
    let stdout = String::from_utf8(o.stdout).context("cargo-deb printed a path that is not UTF-8")?;
    let deb = PathBuf::from(stdout.trim_end_matches('\n'));
    if deb.extension().is_none_or(|e| e != "deb") || !deb.starts_with(&out) || !deb.is_file() {
        bail!("cargo-deb did not report a package in {}: {stdout:?}", out.display());
    }
    eprintln!(
        "xtask: release build {:.0} s, package {:.0} s",
        built.as_secs_f64(),
        (t0.elapsed() - built).as_secs_f64()
    );
    Ok(deb)
}
