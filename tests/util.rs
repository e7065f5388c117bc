//! Shared helpers of the host tests.

#![allow(dead_code)]

use assert_cmd::Command;

/// A binary of this package, with a clean environment for colour and time.
pub fn bin(name: &str) -> Command {
    let mut c = Command::cargo_bin(name).unwrap_or_else(|e| panic!("binary {name}: {e}"));
    c.env_remove("NO_COLOR").env_remove("STRATA_NOW");
    c
}

/// Parses NDJSON output into JSON values, panicking with the offending line.
pub fn ndjson(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The real zfs output fixtures.
pub fn fixture(version: &str, name: &str) -> Vec<u8> {
    strata_zfs::fixtures::stdout(version, name)
}

/// A directory holding stand-in programs (the process seam), to put first on PATH.
pub struct FakeBin {
    pub dir: tempfile::TempDir,
}

impl FakeBin {
    pub fn new() -> FakeBin {
        FakeBin { dir: tempfile::tempdir().expect("tempdir") }
    }

    /// Adds an executable shell script `name` with `body`.
    pub fn script(&self, name: &str, body: &str) -> &FakeBin {
        use std::os::unix::fs::PermissionsExt;
        let p = self.dir.path().join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}")).expect("write fake");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod fake");
        self
    }

    /// PATH with this directory first.
    pub fn path(&self) -> std::ffi::OsString {
        let mut dirs = vec![self.dir.path().to_path_buf()];
        dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
        std::env::join_paths(dirs).expect("join PATH")
    }
}

/// The directory of the built binaries (for shell pipelines in tests).
pub fn bin_dir() -> std::path::PathBuf {
    let exe = assert_cmd::cargo::cargo_bin("strata");
    exe.parent().expect("bin dir").to_path_buf()
}

/// Runs `script` with bash under a pseudo-terminal (util-linux `script`), returning what the
/// terminal showed. For checking terminal-only behaviour such as colour.
pub fn in_pty(script: &str, env: &[(&str, &str)], remove: &[&str]) -> Vec<u8> {
    let mut c = std::process::Command::new("script");
    c.args(["-qec", script, "/dev/null"]);
    for (k, v) in env {
        c.env(k, v);
    }
    for k in remove {
        c.env_remove(k);
    }
    let out = c.output().expect("util-linux script(1) is needed for terminal tests");
    out.stdout
}

/// A stand-in `zfs` for the snapshot commands, answering from a table the way ZFS 2.1 does (no
/// `zfs list -j`): `list -o COLUMNS` prints those columns of every row, `get` the two strata user
/// properties of every snapshot (`strata:managed` local, `strata:label` unset), `destroy`,
/// `rollback` and `snapshot` succeed, `diff` prints nothing. Every call is logged (`calls`).
///
/// The table's rows are `name guid createtxg creation used referenced userrefs strata:managed
/// strata:label`, tab-separated. With `blocking_destroy`, `destroy` creates the file `started` in
/// `dir` and then waits until a file `release` exists there.
pub struct SnapshotZfs {
    pub bin: FakeBin,
}

impl SnapshotZfs {
    pub fn new(rows: &str) -> SnapshotZfs {
        SnapshotZfs::build(rows, "")
    }

    pub fn blocking_destroy(rows: &str) -> SnapshotZfs {
        SnapshotZfs::build(rows, "touch \"$here/started\"; while [ ! -e \"$here/release\" ]; do sleep 0.05; done\n")
    }

    fn build(rows: &str, on_destroy: &str) -> SnapshotZfs {
        let bin = FakeBin::new();
        let here = bin.dir.path();
        std::fs::write(here.join("rows.tsv"), rows).expect("write rows");
        bin.script(
            "zfs",
            &format!(
                "here='{here}'\n\
                 printf '%s\\n' \"$*\" >> \"$here/calls.log\"\n\
                 case \"$1\" in\n\
                 version) echo zfs-2.1.11-1; echo zfs-kmod-2.1.11-1;;\n\
                 list)\n\
                 \x20 cols=; prev=\n\
                 \x20 for a in \"$@\"; do [ \"$prev\" = -o ] && cols=$a; prev=$a; done\n\
                 \x20 awk -F '\\t' -v cols=\"$cols\" 'BEGIN {{\n\
                 \x20   n = split(\"name,guid,createtxg,creation,used,referenced,userrefs,strata:managed,strata:label\", all, \",\")\n\
                 \x20   for (i = 1; i <= n; i++) at[all[i]] = i\n\
                 \x20   m = split(cols, want, \",\")\n\
                 \x20 }}\n\
                 \x20 {{ line = \"\"; for (j = 1; j <= m; j++) line = line (j > 1 ? \"\\t\" : \"\") $(at[want[j]]); print line }}' \"$here/rows.tsv\";;\n\
                 get) awk -F '\\t' '{{ print $1 \"\\tstrata:managed\\tlocal\\t\" $8; print $1 \"\\tstrata:label\\t-\\t-\" }}' \"$here/rows.tsv\";;\n\
                 destroy) {on_destroy};;\n\
                 rollback|snapshot|diff) ;;\n\
                 *) echo \"unexpected: $*\" >&2; exit 99;;\n\
                 esac\n",
                here = here.display(),
                on_destroy = if on_destroy.is_empty() { ":" } else { on_destroy.trim_end() },
            ),
        );
        SnapshotZfs { bin }
    }

    /// The directory of the stand-in (its log, `started`, `release`).
    pub fn dir(&self) -> &std::path::Path {
        self.bin.dir.path()
    }

    /// PATH with the stand-in first.
    pub fn path(&self) -> std::ffi::OsString {
        self.bin.path()
    }

    /// Every call's arguments, one string each.
    pub fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir().join("calls.log")).unwrap_or_default().lines().map(str::to_string).collect()
    }
}

/// `n` daily snapshot rows of `dataset` (`@s0`.. from 2024-01-01), managed, for [`SnapshotZfs`].
pub fn daily_rows(dataset: &str, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!("{dataset}@s{i}\t{}\t{}\t{}\t0\t24576\t0\ton\t-\n", 1000 + i, 10 + i, 1704067200 + 86400 * i as i64)
        })
        .collect()
}
