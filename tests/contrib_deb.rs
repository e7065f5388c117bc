//! The Debian package and the size of the release binaries.
//!
//! The package is built with the README's own command (`cargo xtask deb`: the release binaries,
//! then cargo-deb over them), once per test run (`cargo xtask ci` builds the release binaries
//! before the tests, so here it only packs them), and installed for real with `dpkg -i` into a
//! throw-away root with a dpkg database of its own, so the host's is never touched. dpkg, the
//! pinned cargo-deb and readelf are installed by `cargo xtask deps`; a missing one fails the test.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (run `cargo xtask deps`)"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(cmd: &mut Command) -> String {
    String::from_utf8(run(cmd).stdout).expect("UTF-8 output")
}

/// The body of the README's "A Debian package" subsection.
fn readme_section() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let start = readme.find("\n### A Debian package\n").expect("README has a subsection \"A Debian package\"");
    let body = &readme[start + 1..];
    let body = &body[body.find('\n').expect("heading line") + 1..];
    let end = body.find("\n#").unwrap_or(body.len());
    body[..end].to_string()
}

/// The lines of the subsection's `sh` block: the command that builds, then the one that installs.
fn readme_commands() -> (String, String) {
    let section = readme_section();
    let block = section.split("```sh\n").nth(1).expect("a ```sh block in \"A Debian package\"");
    let block = &block[..block.find("```").expect("the ```sh block ends")];
    let lines: Vec<&str> = block.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 2, "one command to build and one to install: {lines:?}");
    (lines[0].to_string(), lines[1].to_string())
}

/// The tools, by the names their binaries have.
fn tools() -> Vec<&'static str> {
    strata_cli::binaries().into_iter().map(|(name, _, _)| name).collect()
}

/// The unit files the package carries: every service and timer in contrib/systemd.
fn units() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("contrib/systemd"))
        .map(|d| {
            d.map(|e| e.expect("contrib/systemd entry").file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".service") || n.ends_with(".timer"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Each file the package must install (absolute path), with the repository file it is a copy of
/// (gzipped when the path ends in .gz) and its mode.
fn expected() -> Vec<(String, Option<PathBuf>, u32)> {
    let mut v = Vec::new();
    for t in tools() {
        v.push((format!("/usr/bin/{t}"), None, 0o755));
        v.push((format!("/usr/share/man/man1/{t}.1.gz"), Some(root().join(format!("man/{t}.1"))), 0o644));
        v.push((
            format!("/usr/share/bash-completion/completions/{t}"),
            Some(root().join(format!("completions/{t}.bash"))),
            0o644,
        ));
        v.push((
            format!("/usr/share/zsh/vendor-completions/_{t}"),
            Some(root().join(format!("completions/_{t}"))),
            0o644,
        ));
        v.push((
            format!("/usr/share/fish/vendor_completions.d/{t}.fish"),
            Some(root().join(format!("completions/{t}.fish"))),
            0o644,
        ));
    }
    for u in units() {
        v.push((format!("/lib/systemd/system/{u}"), Some(root().join(format!("contrib/systemd/{u}"))), 0o644));
    }
    v.push(("/usr/share/doc/strata/README.md".into(), Some(root().join("README.md")), 0o644));
    v.push(("/usr/share/doc/strata/copyright".into(), None, 0o644));
    v
}

struct Installed {
    deb: PathBuf,
    /// The throw-away root dpkg installed into.
    dir: tempfile::TempDir,
}

impl Installed {
    fn dpkg(&self) -> Command {
        let mut c = Command::new("dpkg");
        c.arg(format!("--root={}", self.dir.path().display()));
        c
    }
    fn path(&self, abs: &str) -> PathBuf {
        self.dir.path().join(abs.trim_start_matches('/'))
    }
}

/// Builds the package with the README's command and installs it, once per test run.
fn installed() -> &'static Installed {
    static ONCE: OnceLock<Installed> = OnceLock::new();
    ONCE.get_or_init(|| {
        let cargo_deb = root().join("target/tools/cargo-deb/bin/cargo-deb");
        assert!(cargo_deb.is_file(), "{} is missing: run `cargo xtask deps`", cargo_deb.display());
        let (build, _) = readme_commands();
        let words: Vec<&str> = build.split_whitespace().collect();
        assert_eq!(words.first(), Some(&"cargo"), "the README builds with cargo: {build}");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let t0 = std::time::Instant::now();
        let out = stdout(Command::new(cargo).args(&words[1..]).current_dir(root()));
        eprintln!("contrib_deb: `{build}` took {:.1} s", t0.elapsed().as_secs_f64());
        let deb = PathBuf::from(out.trim_end());
        assert!(deb.is_file(), "`{build}` printed {out:?}, not a package");

        let dir = tempfile::Builder::new().prefix("strata-deb-root-").tempdir().expect("temp dir");
        let admin = dir.path().join("var/lib/dpkg");
        for d in ["info", "updates"] {
            std::fs::create_dir_all(admin.join(d)).expect("dpkg database");
        }
        for f in ["status", "available"] {
            std::fs::write(admin.join(f), "").expect("dpkg database");
        }
        let inst = Installed { deb, dir };
        let t0 = std::time::Instant::now();
        // The throw-away root has no libc6 package: its dependency is on the host's.
        run(inst
            .dpkg()
            .arg(format!("--log={}", inst.dir.path().join("dpkg.log").display()))
            .args(["--force-not-root", "--force-depends", "-i"])
            .arg(&inst.deb));
        eprintln!("contrib_deb: dpkg -i took {:.1} s", t0.elapsed().as_secs_f64());
        inst
    })
}

#[test]
fn readme_builds_with_the_xtask_and_installs_the_package_it_builds() {
    let (build, install) = readme_commands();
    assert_eq!(build, "cargo xtask deb");
    let words: Vec<&str> = install.split_whitespace().collect();
    assert_eq!(&words[..3], ["sudo", "apt", "install"], "{install}");
    assert_eq!(words.len(), 4, "{install}");
    // The path the README installs names the package the xtask wrote.
    let pattern = words[3].strip_prefix("./").expect("apt installs a local file only when given as ./PATH");
    let (before, after) = pattern.split_once('*').expect("a glob: the version is not spelled out");
    let deb = installed().deb.strip_prefix(root()).expect("the package is in the workspace").to_str().expect("UTF-8");
    assert!(
        deb.starts_with(before) && deb.ends_with(after) && deb.len() >= before.len() + after.len(),
        "README installs ./{pattern}, the xtask wrote {deb}"
    );
}

#[test]
fn control_fields() {
    let inst = installed();
    let field =
        |name: &str| stdout(Command::new("dpkg-deb").arg("--field").arg(&inst.deb).arg(name)).trim_end().to_string();
    assert_eq!(field("Package"), "strata");
    assert_eq!(field("Version"), format!("{}-1", env!("CARGO_PKG_VERSION")));
    let arch = stdout(Command::new("dpkg").arg("--print-architecture"));
    assert_eq!(field("Architecture"), arch.trim());
    assert_eq!(field("Section"), "admin");
    assert_eq!(field("Priority"), "optional");
    // Only the C library is required; ZFS and ssh are recommended (see the README for why).
    let depends = field("Depends");
    assert!(depends.starts_with("libc6 (>= "), "Depends: {depends}");
    assert!(!depends.contains(','), "Depends: {depends}");
    assert_eq!(field("Recommends"), "zfsutils-linux, openssh-client");
    assert!(field("Maintainer").contains('<'), "a maintainer with an address");
    assert!(field("Description").starts_with(env!("CARGO_PKG_DESCRIPTION")));

    // No maintainer scripts: installing starts and enables nothing.
    let info = stdout(Command::new("dpkg-deb").arg("--info").arg(&inst.deb));
    for script in ["preinst", "postinst", "prerm", "postrm"] {
        assert!(!info.lines().any(|l| l.split_whitespace().last() == Some(script)), "{script} in:\n{info}");
    }
    let status = stdout(inst.dpkg().args(["--status", "strata"]));
    assert!(status.contains("\nStatus: install ok installed\n"), "{status}");
}

#[test]
fn files_land_where_debian_expects_them() {
    let inst = installed();
    assert_eq!(units().len(), 4, "strata@ and strata-check@, a service and a timer each");
    let listed: BTreeSet<String> =
        stdout(inst.dpkg().args(["--listfiles", "strata"])).lines().map(String::from).collect();
    let files: BTreeSet<String> = listed.iter().filter(|p| !inst.path(p).is_dir()).cloned().collect();
    let expected = expected();
    let want: BTreeSet<String> = expected.iter().map(|(p, _, _)| p.clone()).collect();
    assert_eq!(files, want, "dpkg -L lists exactly the binaries, man pages, completions, units and docs");

    for (path, source, mode) in &expected {
        let installed = inst.path(path);
        let meta = std::fs::symlink_metadata(&installed).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(meta.is_file(), "{path} is a plain file");
        assert_eq!(meta.permissions().mode() & 0o7777, *mode, "{path}: mode");
        let Some(source) = source else { continue };
        let have = if path.ends_with(".gz") {
            // Debian policy: man pages gzipped, at the highest compression.
            stdout(Command::new("gzip").arg("--test").arg(&installed));
            run(Command::new("gzip").arg("-dc").arg(&installed)).stdout
        } else {
            std::fs::read(&installed).expect("installed file")
        };
        let want = std::fs::read(source).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
        assert!(have == want, "{path} is not a copy of {}", source.display());
    }
    let copyright = std::fs::read_to_string(inst.path("/usr/share/doc/strata/copyright")).expect("copyright");
    assert!(copyright.contains("License: MIT"), "{copyright}");
}

#[test]
fn installed_binaries_run_and_are_stripped() {
    let inst = installed();
    for t in tools() {
        let exe = inst.path(&format!("/usr/bin/{t}"));
        let out = stdout(Command::new(&exe).arg("--version"));
        assert_eq!(out, format!("{t} {}\n", env!("CARGO_PKG_VERSION")));
        // [profile.release] strips: no symbol table and no DWARF in what the package ships.
        let sections = stdout(Command::new("readelf").args(["--section-headers", "--wide"]).arg(&exe));
        for name in [".symtab", ".debug_info", ".debug_line"] {
            assert!(!sections.contains(name), "{t} carries {name}");
        }
    }
    // The installed dispatcher runs its tools.
    let out = stdout(Command::new(inst.path("/usr/bin/strata")).args(["snapshot", "--version"]));
    assert_eq!(out, format!("strata-snapshot {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn readme_lists_where_each_file_goes() {
    let section = readme_section();
    // The second column of the table: each a directory the package installs into.
    let mut listed = BTreeSet::new();
    for row in section.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| what")) {
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").collect();
        let dir = cells.last().expect("cell").trim().trim_matches('`');
        listed.insert(dir.to_string());
    }
    let dirs: BTreeSet<String> =
        expected().iter().map(|(p, _, _)| format!("{}/", Path::new(p).parent().expect("parent").display())).collect();
    assert_eq!(listed, dirs, "the README's table names every directory the package installs into, and no other");
}
