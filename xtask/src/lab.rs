//! The real-ZFS lab: a QEMU VM that boots a Debian kernel with a real OpenZFS module
//! (`xtask/lab/zfs-vm.sh`, see its header) and runs strata's scenarios inside it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::Subcommand;

#[derive(Subcommand, Clone)]
pub enum LabCmd {
    /// One-time preparation (root): apt sources and packages, the zfs module, kernel and initramfs.
    Setup {
        #[command(flatten)]
        zfs: Series,
    },
    /// Build the release binaries and run the real-ZFS scenarios in the VM (`bench/` only when named).
    Test {
        #[command(flatten)]
        zfs: Series,
        /// Run only scenarios whose name contains one of these.
        filters: Vec<String>,
    },
    /// An interactive guest with the strata binaries on PATH and a pool `tank` ready.
    Shell,
    /// The main job on a real pool laid out like a server: snapshot, change, diff, prune, quota.
    Demo,
    /// Refresh tests/fixtures/zfs-SERIES from real zfs commands in the guest.
    Capture {
        /// OpenZFS series of the guest: 2.3 (the host's packages) or 2.1 (bookworm's own, unpacked from apt
        /// into its own cache, not installed).
        #[arg(long, value_name = "SERIES", default_value = "2.3", value_parser = ["2.1", "2.3"])]
        zfs: String,
    },
}

/// Which OpenZFS the guest runs.
#[derive(clap::Args, Clone)]
pub struct Series {
    /// OpenZFS series of the guest: 2.3 (the host's packages) or 2.1 (bookworm's own, unpacked from apt
    /// into its own cache, not installed).
    #[arg(long = "zfs", value_name = "SERIES", default_value = "2.3", value_parser = ["2.1", "2.3"])]
    pub series: String,
}

impl Series {
    pub fn default_series() -> Series {
        Series { series: "2.3".into() }
    }
}

fn launcher() -> PathBuf {
    crate::root().join("xtask/lab/zfs-vm.sh")
}

pub fn run(cmd: LabCmd) -> Result<()> {
    match cmd {
        LabCmd::Setup { zfs } => setup(&zfs.series),
        LabCmd::Test { zfs, filters } => test(&zfs.series, &filters),
        LabCmd::Shell => shell(),
        LabCmd::Demo => demo(),
        LabCmd::Capture { zfs } => capture(&zfs),
    }
}

fn setup(series: &str) -> Result<()> {
    let t0 = std::time::Instant::now();
    let status = Command::new("bash")
        .arg(launcher())
        .arg("setup")
        .env("ZFSVM_ZFS", series)
        // OpenSSH in the guest: strata-send's scenarios push and pull over a real sshd on 127.0.0.1
        .env("ZFSVM_SSH", "1")
        .status()
        .context("cannot run bash")?;
    if !status.success() {
        bail!("lab setup failed ({status})");
    }
    eprintln!("xtask: lab ready in {:.0} s", t0.elapsed().as_secs_f64());
    Ok(())
}

/// Builds the release binaries (and the scenario binary when `with_lab`), copies them into a fresh
/// directory `bin/` under a temporary share, and returns that share.
fn stage(with_lab: bool) -> Result<tempfile::TempDir> {
    crate::sh("cargo", &["build", "--release", "--locked", "-p", "strata", "--bins"])?;
    let share = tempfile::Builder::new().prefix("strata-lab-").tempdir()?;
    let bin = share.path().join("bin");
    std::fs::create_dir_all(&bin)?;
    let release = crate::root().join("target/release");
    for (name, _, _) in strata_cli::binaries() {
        std::fs::copy(release.join(name), bin.join(name)).with_context(|| format!("copy {name}"))?;
    }
    if with_lab {
        let exe = lab_test_binary()?;
        std::fs::copy(&exe, bin.join("strata-lab")).with_context(|| format!("copy {}", exe.display()))?;
    }
    Ok(share)
}

/// `cargo test --test lab --no-run`, returning the built executable. The scenario runner only
/// starts programs and reads their output, so it is built like the host tests (whose build it
/// reuses) instead of with the release profile's whole-program optimisation, which took minutes;
/// the strata binaries it runs are the release ones.
fn lab_test_binary() -> Result<PathBuf> {
    eprintln!("xtask: $ cargo test --locked -p strata --test lab --no-run");
    let out = Command::new("cargo")
        .args(["test", "--locked", "-p", "strata", "--test", "lab", "--no-run", "--message-format=json"])
        .current_dir(crate::root())
        .stderr(std::process::Stdio::inherit())
        .output()?;
    if !out.status.success() {
        bail!("building the lab scenarios failed");
    }
    if let Some(p) = String::from_utf8_lossy(&out.stdout).lines().find_map(lab_executable) {
        return Ok(PathBuf::from(p));
    }
    bail!("cargo did not report the lab test executable")
}

/// Runs `zfs-vm.sh run SCRIPT FILES...` with extra environment; returns the guest's exit code.
fn vm_run(script: &Path, files: &[&Path], env: &[(&str, String)]) -> Result<i32> {
    let mut c = Command::new("bash");
    c.arg(launcher()).arg("run").arg(script).args(files);
    for (k, v) in env {
        c.env(k, v);
    }
    let status = c.status().context("cannot run bash")?;
    Ok(status.code().unwrap_or(125))
}

fn guest_script(dir: &Path, name: &str, body: &str) -> Result<PathBuf> {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/bash\nexport PATH=/host/bin:$PATH STRATA_BIN_DIR=/host/bin\n{body}"))?;
    Ok(p)
}

/// The host's `STRATA_BENCH_*` variables (a benchmark's size, say), carried into the guest as
/// `export` lines quoted by the one tested quoting function.
fn bench_exports() -> Result<String> {
    let mut out = String::new();
    for (k, v) in std::env::vars_os() {
        let Some(k) = k.to_str().filter(|k| k.starts_with("STRATA_BENCH_")) else { continue };
        if !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            bail!("{k:?}: not a name a shell can export");
        }
        let v = strata_core::shell::quote_argv(&[v])?;
        out.push_str(&format!("export {k}={}\n", String::from_utf8_lossy(&v)));
    }
    Ok(out)
}

/// The scenarios run the strata binaries from the guest's memory, where zfs is too: from the
/// 9p share (no cache) every run would read each page it touches over the emulated device,
/// a cost no installed strata pays and one that a benchmark against zfs would count.
const IN_MEMORY: &str = "mkdir -p /tmp/strata-bin\n\
     for b in /host/bin/strata*; do [ \"${b##*/}\" = strata-lab ] || cp \"$b\" /tmp/strata-bin/ || exit 125; done\n\
     export PATH=/tmp/strata-bin:$PATH STRATA_BIN_DIR=/tmp/strata-bin\n";

/// The VM's time limit in seconds: 40 minutes, four hours when a benchmark is asked for.
fn default_timeout(filters: &[String]) -> &'static str {
    if filters.iter().any(|f| f.starts_with("bench")) { "14400" } else { "2400" }
}

fn test(series: &str, filters: &[String]) -> Result<()> {
    let t0 = std::time::Instant::now();
    let share = stage(true)?;
    let quoted = strata_core::shell::quote_argv(filters)?;
    let script = guest_script(
        share.path(),
        "lab-run.sh",
        &format!("{}{IN_MEMORY}exec /host/bin/strata-lab {}\n", bench_exports()?, String::from_utf8_lossy(&quoted)),
    )?;
    let code = vm_run(
        &script,
        &[&share.path().join("bin")],
        &[
            ("ZFSVM_DISK_MB", "4096".into()),
            ("ZFSVM_MEM", "3072".into()),
            // Benchmarks get four hours: bench/policy at its full size (1,000 datasets of 100
            // snapshots) takes about two and a half under emulation, where zfs needs ~25 ms to
            // list one snapshot's user properties. ZFSVM_TIMEOUT in the environment wins.
            ("ZFSVM_TIMEOUT", std::env::var("ZFSVM_TIMEOUT").unwrap_or_else(|_| default_timeout(filters).into())),
            ("ZFSVM_ZFS", series.into()),
            // sshd on 127.0.0.1 before the scenarios start (+0.4 s)
            ("ZFSVM_SSH", "1".into()),
        ],
    )?;
    eprintln!(
        "xtask: lab test on OpenZFS {series} took {:.0} s (build, boot and scenarios)",
        t0.elapsed().as_secs_f64()
    );
    if code != 0 {
        bail!("lab scenarios failed (guest exit code {code})");
    }
    Ok(())
}

fn demo() -> Result<()> {
    setup("2.3")?;
    let share = stage(false)?;
    let demo = crate::root().join("xtask/lab/demo.sh");
    let code = vm_run(&demo, &[&share.path().join("bin")], &[("ZFSVM_SSH", "1".into())])?;
    if code != 0 {
        bail!("the demo failed (guest exit code {code})");
    }
    Ok(())
}

fn shell() -> Result<()> {
    let share = stage(false)?;
    let setup = share.path().join(".zfsvm-setup");
    std::fs::write(
        &setup,
        "#!/bin/sh\nzpool create -f tank /dev/vda && zfs create -p tank/srv/docker/victim.org tank/var/log\necho 'pool tank is ready; strata tools are on PATH'\n",
    )?;
    make_executable(&setup)?;
    let status =
        Command::new("bash").arg(launcher()).arg("shell").arg(share.path().join("bin")).arg(&setup).status()?;
    if !status.success() {
        bail!("lab shell ended with {status}");
    }
    Ok(())
}

fn capture(series: &str) -> Result<()> {
    let out = tempfile::Builder::new().prefix("strata-lab-").tempdir()?;
    let env = [("ZFSVM_OUT", out.path().display().to_string()), ("ZFSVM_ZFS", series.to_string())];
    let code = vm_run(&crate::root().join("xtask/lab/capture-fixtures.sh"), &[], &env)?;
    if code != 0 {
        bail!("capture failed (guest exit code {code})");
    }
    let version =
        std::fs::read_to_string(out.path().join("fixtures/version.out")).context("the capture has no version.out")?;
    let v = version.lines().next().unwrap_or_default();
    // zfs-2.3.2-2~bpo12+2 -> 2.3
    let short: String = v.trim_start_matches("zfs-").split('.').take(2).collect::<Vec<_>>().join(".");
    if short != series {
        bail!(
            "asked for OpenZFS {series}, but the guest ran {v}: a stale lab cache? (`zfs-vm.sh clean`, then set it up again)"
        );
    }
    let dest = crate::root().join("tests/fixtures").join(format!("zfs-{short}"));
    // the hand-written notes next to the fixtures survive a refresh
    let readme = std::fs::read(dest.join("README.md")).ok();
    if dest.exists() {
        std::fs::remove_dir_all(&dest)?;
    }
    std::fs::create_dir_all(dest.parent().unwrap_or(Path::new(".")))?;
    crate::sh("cp", &["-r", &out.path().join("fixtures").display().to_string(), &dest.display().to_string()])?;
    if let Some(readme) = readme {
        std::fs::write(dest.join("README.md"), readme)?;
    }
    eprintln!("xtask: fixtures of {v} written to {}", dest.display());
    Ok(())
}

fn make_executable(p: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

/// The lab test executable from one line of cargo's `--message-format=json` output.
fn lab_executable(line: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let is_lab = v["reason"] == "compiler-artifact" && v["target"]["name"] == "lab" && v["profile"]["test"] == true;
    if is_lab { v["executable"].as_str().map(str::to_string) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes an executable shell script (the stand-ins for apt below).
    fn script(path: &Path, body: &str) {
        std::fs::write(path, format!("#!/bin/sh\n{body}")).unwrap();
        make_executable(path).unwrap();
    }

    /// On a fresh machine the apt lists may be older than the mirror: the kernel they name is gone
    /// from it. `setup` must refresh the lists before it picks the guest kernel, so the kernel it
    /// installs headers for is the one the mirror has now. apt is replaced by stand-ins whose
    /// answer about linux-image-amd64 changes once `apt-get update` has run.
    #[test]
    fn setup_picks_the_kernel_after_refreshing_the_package_lists() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let state = dir.path().join("state");
        std::fs::create_dir(&state).unwrap();
        script(
            &bin.join("apt-get"),
            r#"echo "apt-get $*" >>"$STATE/log"
case "$1" in update) touch "$STATE/updated";; esac
case " $* " in *" install "*) exit 100;; esac
exit 0
"#,
        );
        script(
            &bin.join("apt-cache"),
            r#"echo "apt-cache $*" >>"$STATE/log"
case "$1 $2" in
  "depends linux-image-amd64")
    if [ -e "$STATE/updated" ]; then v=6.1.0-9991-amd64; else v=6.1.0-9990-amd64; fi
    printf 'linux-image-amd64\n  Depends: linux-image-%s\n' "$v";;
  "policy zfs-dkms") echo "  500 http://deb.debian.org/debian bookworm-backports/contrib amd64 Packages";;
esac
"#,
        );
        script(&bin.join("id"), "echo 0\n");
        let path = format!("{}:/usr/bin:/bin", bin.display());
        let out = Command::new("bash")
            .arg(launcher())
            .arg("setup")
            .env("PATH", path)
            .env("STATE", &state)
            .env("ZFSVM_CACHE", dir.path().join("cache"))
            .env_remove("ZFSVM_KVER")
            .env_remove("ZFSVM_ZFS")
            .env_remove("ZFSVM_SSH")
            .output()
            .unwrap();
        let log = std::fs::read_to_string(state.join("log")).unwrap_or_default();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            log.contains("linux-headers-6.1.0-9991-amd64"),
            "setup must install the headers of the kernel the refreshed lists name\napt calls:\n{log}\nstderr:\n{stderr}"
        );
        assert!(!log.contains("6.1.0-9990"), "setup used the stale lists' kernel\napt calls:\n{log}");
        let first_update = log.lines().position(|l| l == "apt-get update -qq");
        let first_depends = log.lines().position(|l| l.starts_with("apt-cache depends"));
        assert!(first_update.is_some() && first_update < first_depends, "apt calls in order:\n{log}");
    }
}
