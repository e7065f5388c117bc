//! Real-ZFS scenarios of strata-diff. Every expected record is built from what the scenario itself
//! did to the files (and from stat), never from strata's parser: changes between snapshots and
//! against the live state, odd names, versions across snapshots, deleted files restored from the
//! reported snapshot path; and `bench/diff-100k` against raw `zfs diff`.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::harness::{Lab, Run, Scenario, bin_dir, check_eq};

const BIN: &str = "strata-diff";

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario { name: "diff/changes-between-snapshots-and-live", run: changes },
        Scenario { name: "diff/odd-names", run: odd_names },
        Scenario { name: "diff/versions-across-snapshots", run: versions },
        Scenario { name: "diff/deleted-and-restored", run: deleted },
        Scenario { name: "diff/refusals", run: refusals },
        Scenario { name: "bench/diff-100k", run: bench_100k },
    ]
}

/// (change, kind, path, new_path, link_delta) with the exact path bytes.
type Entry = (String, String, Vec<u8>, Option<Vec<u8>>, Option<i64>);

/// Standard base64 (RFC 4648) decoding, written here so the scenario does not reuse strata's.
fn b64(s: &str) -> Result<Vec<u8>> {
    let val = |c: u8| -> Result<u32> {
        Ok(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => bail!("not base64: {s:?}"),
        })
    };
    let mut out = Vec::new();
    for chunk in s.trim_end_matches('=').as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= val(c)? << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    Ok(out)
}

/// A path field of a record as bytes: `KEY_bytes` when present, else the text.
fn bytes_of(r: &Value, key: &str) -> Result<Option<Vec<u8>>> {
    if let Some(b) = r[format!("{key}_bytes")].as_str() {
        return Ok(Some(b64(b)?));
    }
    Ok(r[key].as_str().map(|s| s.as_bytes().to_vec()))
}

fn entries(recs: &[Value]) -> Result<BTreeSet<Entry>> {
    let mut set = BTreeSet::new();
    for r in recs.iter().filter(|r| r["type"] == "change") {
        set.insert((
            r["change"].as_str().unwrap_or_default().to_string(),
            r["kind"].as_str().unwrap_or_default().to_string(),
            bytes_of(r, "path")?.context("path")?,
            bytes_of(r, "new_path")?,
            r["link_delta"].as_i64(),
        ));
    }
    Ok(set)
}

fn p(base: &Path, rel: impl AsRef<OsStr>) -> Vec<u8> {
    base.join(rel.as_ref()).as_os_str().as_bytes().to_vec()
}

fn e(change: &str, kind: &str, path: Vec<u8>) -> Entry {
    (change.into(), kind.into(), path, None, None)
}

/// The mountpoint as ZFS names it in zfs diff: `MOUNTPOINT/`.
fn root(mp: &Path) -> Vec<u8> {
    let mut v = mp.as_os_str().as_bytes().to_vec();
    v.push(b'/');
    v
}

/// RFC 3339 with nanoseconds of a (seconds, nanoseconds) pair, through jiff.
fn rfc3339(secs: i64, nanos: i64) -> Result<String> {
    Ok(jiff::Timestamp::new(secs, nanos as i32)?.strftime("%Y-%m-%dT%H:%M:%S.%9fZ").to_string())
}

fn snap(lab: &Lab, ds: &str, name: &str) -> Result<String> {
    let s = format!("{ds}@{name}");
    lab.zfs(&["snapshot", &s])?;
    Ok(s)
}

fn strata(lab: &Lab, args: &[&[u8]]) -> Run {
    let args: Vec<&OsStr> = args.iter().map(|a| OsStr::from_bytes(a)).collect();
    lab.strata(BIN, &args)
}

fn changes(lab: &Lab) -> Result<()> {
    let ds = lab.create("d", &["atime=off"])?;
    let mp = lab.mountpoint(&ds)?;
    for (f, c) in [
        ("keep.txt", "keep"),
        ("mod.txt", "v1"),
        ("del.txt", "x"),
        ("ren.txt", "r"),
        ("dir/inner.txt", "i"),
        ("dirmv/a.txt", "a"),
    ] {
        lab.write(&mp.join(f), c)?;
    }
    let s1 = snap(lab, &ds, "s1")?;
    std::fs::write(mp.join("mod.txt"), "version two")?;
    std::fs::write(mp.join("new.txt"), "new")?;
    std::fs::remove_file(mp.join("del.txt"))?;
    std::fs::rename(mp.join("ren.txt"), mp.join("ren2.txt"))?;
    std::fs::rename(mp.join("dirmv"), mp.join("dirmoved"))?;
    std::fs::create_dir(mp.join("newdir"))?;
    std::fs::write(mp.join("newdir/f.txt"), "f")?;
    std::fs::write(mp.join("dir/inner.txt"), "inner changed")?;
    std::fs::hard_link(mp.join("keep.txt"), mp.join("dir/keep-link"))?;
    std::os::unix::fs::symlink("keep.txt", mp.join("link"))?;
    let s2 = snap(lab, &ds, "s2")?;

    let run = lab.strata(BIN, &[&s1, &s2]).code(1)?;
    let recs = run.records()?;
    let got = entries(&recs)?;
    // The hard link: ZFS names the object by one of its two names.
    let link = got.iter().find(|x| x.4.is_some()).cloned().with_context(|| format!("a link-count change\n{run}"))?;
    run.check(
        link.2 == p(&mp, "keep.txt") || link.2 == p(&mp, "dir/keep-link"),
        "the link change names keep.txt or its new link",
    )?;
    let want: BTreeSet<Entry> = [
        e("modified", "directory", root(&mp)),
        e("modified", "file", p(&mp, "mod.txt")),
        e("added", "file", p(&mp, "new.txt")),
        e("removed", "file", p(&mp, "del.txt")),
        ("renamed".into(), "file".into(), p(&mp, "ren.txt"), Some(p(&mp, "ren2.txt")), None),
        ("renamed".into(), "directory".into(), p(&mp, "dirmv"), Some(p(&mp, "dirmoved")), None),
        e("added", "directory", p(&mp, "newdir")),
        e("added", "file", p(&mp, "newdir/f.txt")),
        e("modified", "file", p(&mp, "dir/inner.txt")),
        e("modified", "directory", p(&mp, "dir")),
        ("modified".into(), "file".into(), link.2.clone(), None, Some(1)),
        e("added", "symlink", p(&mp, "link")),
    ]
    .into_iter()
    .collect();
    check_eq(&got, &want, "changes s1 -> s2")?;
    check_eq(recs.len(), want.len(), "one record per change")?;
    for r in &recs {
        check_eq(r["from"].as_str(), Some(s1.as_str()), "from")?;
        check_eq(r["to"].as_str(), Some(s2.as_str()), "to")?;
    }
    // The time is the inode's ctime, to the nanosecond (mod.txt is unchanged since s2).
    let m = std::fs::metadata(mp.join("mod.txt"))?;
    let rec = recs.iter().find(|r| r["path"].as_str() == Some(&mp.join("mod.txt").to_string_lossy())).context("mod")?;
    check_eq(rec["changed"].as_str().map(str::to_string), Some(rfc3339(m.ctime(), m.ctime_nsec())?), "ctime")?;

    // The same with @short, and with --summary, --sort and filters.
    let short = lab.strata(BIN, &[s1.as_str(), "@s2"]).code(1)?;
    check_eq(entries(&short.records()?)?, want.clone(), "@s2 is the same snapshot")?;
    let sum = lab.strata(BIN, &[&s1, &s2, "--summary", "--sort"]).code(1)?;
    let srecs = sum.records()?;
    let last = srecs.last().context("summary")?;
    let count = |c: &str| want.iter().filter(|x| x.0 == c).count() as u64;
    check_eq(
        (last["changes"].as_u64(), last["modified"].as_u64(), last["added"].as_u64()),
        (Some(want.len() as u64), Some(count("modified")), Some(count("added"))),
        "summary counts",
    )?;
    check_eq(
        (last["removed"].as_u64(), last["renamed"].as_u64()),
        (Some(count("removed")), Some(count("renamed"))),
        "summary counts",
    )?;
    let paths: Vec<Vec<u8>> =
        srecs[..srecs.len() - 1].iter().filter_map(|r| bytes_of(r, "path").ok().flatten()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    check_eq(paths, sorted, "--sort sorts by path")?;
    let only = lab.strata(BIN, &[&s1, &s2, "--change", "added", "--kind", "file"]).code(1)?;
    let want_added: BTreeSet<Entry> =
        [e("added", "file", p(&mp, "new.txt")), e("added", "file", p(&mp, "newdir/f.txt"))].into_iter().collect();
    check_eq(entries(&only.records()?)?, want_added, "--change added --kind file")?;
    let under_dir = mp.join("newdir");
    let under = lab.strata(BIN, &[s1.as_str(), s2.as_str(), "--under", &under_dir.to_string_lossy()]).code(1)?;
    check_eq(entries(&under.records()?)?.len(), 2, "--under newdir: the directory and its file")?;
    let none = lab.strata(BIN, &[&s1, &s2, "--glob", "*.nothing"]).code(0)?;
    none.check(none.stdout.is_empty(), "no match, no record, exit 0")?;

    // Live against the newest snapshot: nothing yet, then one change.
    let quiet = lab.strata(BIN, &[&ds]).code(0)?;
    quiet.check(quiet.stdout.is_empty(), "no change since s2")?;
    std::fs::OpenOptions::new().append(true).open(mp.join("keep.txt")).and_then(|mut f| {
        use std::io::Write;
        f.write_all(b" more")
    })?;
    let live = lab.strata(BIN, &[&ds]).code(1)?;
    let lrecs = live.records()?;
    let linked = lab.strata(BIN, &[&s2, &ds]).code(1)?;
    check_eq(entries(&linked.records()?)?, entries(&lrecs)?, "DATASET alone is SNAP DATASET with the newest")?;
    // keep.txt has two names now; ZFS names the object by either.
    let got_live: Vec<Entry> = entries(&lrecs)?.into_iter().collect();
    let either = [e("modified", "file", p(&mp, "keep.txt")), e("modified", "file", p(&mp, "dir/keep-link"))];
    live.check(got_live.len() == 1 && either.contains(&got_live[0]), "only keep.txt changed since s2")?;
    check_eq((lrecs[0]["from"].as_str(), lrecs[0]["to"].as_str()), (Some(s2.as_str()), Some(ds.as_str())), "from, to")?;
    let since_s1 = lab.strata(BIN, &[&s1]).code(1)?;
    let all = entries(&since_s1.records()?)?;
    run.check(all.contains(&e("added", "file", p(&mp, "new.txt"))), "s1 against live sees new.txt")?;
    Ok(())
}

fn odd_names(lab: &Lab) -> Result<()> {
    let ds = lab.create("names", &["atime=off"])?;
    let mp = lab.mountpoint(&ds)?;
    lab.write(&mp.join("old name.txt"), "o")?;
    let s1 = snap(lab, &ds, "s1")?;
    let names: Vec<&[u8]> = vec![
        b"with space.txt",
        b"tab\there",
        b"new\nline",
        b"back\\slash",
        b"bad\xff\xfename",
        "emoji 🐳 ünï.txt".as_bytes(),
        b"esc\x1b[31mred",
        b"del\x7f",
        b"-dash",
    ];
    let mut want = BTreeSet::new();
    for n in &names {
        std::fs::write(mp.join(OsStr::from_bytes(n)), n)?;
        want.insert(e("added", "file", p(&mp, OsStr::from_bytes(n))));
    }
    std::fs::create_dir(mp.join("dir with space"))?;
    std::fs::write(mp.join("dir with space/inner\tfile"), "x")?;
    want.insert(e("added", "directory", p(&mp, "dir with space")));
    want.insert(e("added", "file", p(&mp, "dir with space/inner\tfile")));
    std::fs::rename(mp.join("old name.txt"), mp.join("new\tname ü\\.txt"))?;
    want.insert(("renamed".into(), "file".into(), p(&mp, "old name.txt"), Some(p(&mp, "new\tname ü\\.txt")), None));
    want.insert(e("modified", "directory", root(&mp)));
    let s2 = snap(lab, &ds, "s2")?;

    let run = lab.strata(BIN, &[&s1, &s2]).code(1)?;
    let recs = run.records()?;
    check_eq(entries(&recs)?, want, "every odd name, byte for byte")?;
    for r in &recs {
        let is_utf8 = std::str::from_utf8(&bytes_of(r, "path")?.unwrap_or_default()).is_ok();
        run.check(r["path_bytes"].is_null() == is_utf8, "path_bytes only for a path that is not UTF-8")?;
    }
    let emoji = lab.strata(BIN, &[s1.as_str(), s2.as_str(), "--glob", "*🐳*"]).code(1)?;
    check_eq(
        entries(&emoji.records()?)?,
        [e("added", "file", p(&mp, "emoji 🐳 ünï.txt"))].into_iter().collect(),
        "--glob with an emoji",
    )?;
    // The table shows control bytes as escapes, never raw.
    let table = lab.strata(BIN, &[s1.as_str(), s2.as_str(), "--format", "table"]).code(1)?;
    table.check(!table.stdout.contains(&0x1b), "no raw ESC in the table")?;
    table.check(table.out().contains("esc\\x1b[31mred"), "ESC shown as \\x1b")?;
    Ok(())
}

fn set_mtime(path: &Path, secs: u64) -> Result<()> {
    let f = std::fs::OpenOptions::new().write(true).open(path)?;
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::new(secs, 123_456_789))?;
    Ok(())
}

fn versions(lab: &Lab) -> Result<()> {
    let ds = lab.create("ver", &["atime=off"])?;
    let mp = lab.mountpoint(&ds)?;
    let file = mp.join("docker-compose.yml");
    let contents = ["services: {}\n", "services:\n  web: {}\n", "v3\n", "the fourth version\n", "5\n"];
    let base = 1_691_452_806u64;
    let mut snaps = Vec::new();
    for (i, c) in contents.iter().enumerate() {
        std::fs::write(&file, c)?;
        set_mtime(&file, base + 1000 * i as u64)?;
        snaps.push(snap(lab, &ds, &format!("s{}", i + 1))?);
        if i == 1 {
            // A snapshot without a change: the same version, not a new one.
            snap(lab, &ds, "s2-again")?;
        }
    }
    let check_versions = |run: &Run, live_extra: Option<&str>, live_is_s5: bool| -> Result<()> {
        let recs = run.records()?;
        let n = contents.len() + usize::from(live_extra.is_some());
        check_eq(recs.len(), n, format!("one record per distinct version\n{run}"))?;
        for (i, c) in contents.iter().enumerate() {
            let r = &recs[i];
            check_eq(r["snapshot"].as_str(), Some(snaps[i].as_str()), "the snapshot of each version, oldest first")?;
            let sp = bytes_of(r, "snapshot_path")?.context("snapshot_path")?;
            let content = std::fs::read(OsStr::from_bytes(&sp))?;
            check_eq(content, c.as_bytes().to_vec(), "the snapshot path holds that version")?;
            check_eq(r["size_bytes"].as_u64(), Some(c.len() as u64), "size")?;
            check_eq(
                r["modified"].as_str().map(str::to_string),
                Some(rfc3339((base + 1000 * i as u64) as i64, 123_456_789)?),
                "mtime",
            )?;
            check_eq(r["live"].as_bool(), Some(live_is_s5 && i == 4), "live flag")?;
            check_eq(r["path"].as_str().map(str::to_string), Some(file.to_string_lossy().into_owned()), "path")?;
        }
        if let Some(extra) = live_extra {
            let r = &recs[n - 1];
            check_eq((r["snapshot"].is_null(), r["live"].as_bool()), (true, Some(true)), "the live-only version")?;
            check_eq(r["size_bytes"].as_u64(), Some(extra.len() as u64), "live size")?;
        }
        Ok(())
    };
    let run = lab.strata(BIN, &["versions".as_ref(), file.as_os_str()]).ok()?;
    check_versions(&run, None, true)?;
    std::fs::write(&file, "live edit\n")?;
    let run = lab.strata(BIN, &["versions".as_ref(), file.as_os_str()]).ok()?;
    check_versions(&run, Some("live edit\n"), false)?;
    std::fs::remove_file(&file)?;
    let run = lab.strata(BIN, &["versions".as_ref(), file.as_os_str()]).ok()?;
    check_versions(&run, None, false)?;
    let never = mp.join("never-existed");
    let run = lab.strata(BIN, &["versions".as_ref(), never.as_os_str()]).code(1)?;
    run.check(run.stdout.is_empty(), "no version of a file that never existed")?;
    Ok(())
}

fn deleted(lab: &Lab) -> Result<()> {
    let ds = lab.create("del", &["atime=off"])?;
    let mp = lab.mountpoint(&ds)?;
    let bad = OsStr::from_bytes(b"bad\xffname");
    let files: Vec<(PathBuf, String)> = [
        (PathBuf::from("a.txt"), "A"),
        (PathBuf::from("keep.txt"), "K"),
        (PathBuf::from(bad), "B"),
        (PathBuf::from("sub/c.txt"), "C"),
        (PathBuf::from("sub/deep/d.txt"), "D"),
        (PathBuf::from("sub/deep/e.txt"), "E"),
        (PathBuf::from("gone dir/x.txt"), "X"),
    ]
    .into_iter()
    .map(|(p, c)| (p, c.to_string()))
    .collect();
    for (f, c) in &files {
        lab.write(&mp.join(f), c)?;
    }
    let s1 = snap(lab, &ds, "s1")?;
    std::fs::remove_file(mp.join("a.txt"))?;
    std::fs::remove_file(mp.join(bad))?;
    let s2 = snap(lab, &ds, "s2")?;
    std::fs::remove_file(mp.join("sub/c.txt"))?;
    std::fs::remove_dir_all(mp.join("gone dir"))?;
    let s3 = snap(lab, &ds, "s3")?;
    std::fs::remove_file(mp.join("sub/deep/d.txt"))?;

    // (path, newest snapshot that has it, kind) from what was deleted when.
    let top: BTreeSet<(Vec<u8>, String, String)> = [
        (p(&mp, "a.txt"), s1.clone(), "file".to_string()),
        (p(&mp, bad), s1.clone(), "file".to_string()),
        (p(&mp, "gone dir"), s2.clone(), "directory".to_string()),
    ]
    .into_iter()
    .collect();
    let mut deep = top.clone();
    deep.insert((p(&mp, "sub/c.txt"), s2.clone(), "file".into()));
    deep.insert((p(&mp, "sub/deep/d.txt"), s3.clone(), "file".into()));
    let got = |run: &Run| -> Result<BTreeSet<(Vec<u8>, String, String)>> {
        let mut set = BTreeSet::new();
        for r in run.records()? {
            set.insert((
                bytes_of(&r, "path")?.context("path")?,
                r["snapshot"].as_str().unwrap_or_default().to_string(),
                r["kind"].as_str().unwrap_or_default().to_string(),
            ));
        }
        Ok(set)
    };
    let flat = lab.strata(BIN, &["deleted".as_ref(), mp.as_os_str()]).code(1)?;
    check_eq(got(&flat)?, top, "deleted from the top directory")?;
    let rec = lab.strata(BIN, &["deleted".as_ref(), "-r".as_ref(), mp.as_os_str()]).code(1)?;
    check_eq(got(&rec)?, deep, "deleted -r")?;
    let sub = lab.strata(BIN, &["deleted".as_ref(), mp.join("sub").as_os_str()]).code(1)?;
    check_eq(
        got(&sub)?,
        [(p(&mp, "sub/c.txt"), s2.clone(), "file".to_string())].into_iter().collect(),
        "deleted of a subdirectory",
    )?;

    // Restore each by copying the reported snapshot path to the reported path.
    for r in rec.records()? {
        let from = bytes_of(&r, "snapshot_path")?.context("snapshot_path")?;
        let to = bytes_of(&r, "path")?.context("path")?;
        let st = Command::new("cp").arg("-a").arg(OsStr::from_bytes(&from)).arg(OsStr::from_bytes(&to)).status()?;
        if !st.success() {
            bail!("cp -a {:?} {:?} failed", String::from_utf8_lossy(&from), String::from_utf8_lossy(&to));
        }
    }
    for (f, c) in &files {
        let content = std::fs::read(mp.join(f)).with_context(|| format!("{} restored", f.display()))?;
        check_eq(content, c.as_bytes().to_vec(), format!("content of {} after restore", f.display()))?;
    }
    let after = lab.strata(BIN, &["deleted".as_ref(), "-r".as_ref(), mp.as_os_str()]).code(0)?;
    after.check(after.stdout.is_empty(), "nothing deleted after the restore")?;
    Ok(())
}

fn refusals(lab: &Lab) -> Result<()> {
    let a = lab.create("a", &[])?;
    let b = lab.create("b", &[])?;
    let sa = snap(lab, &a, "s1")?;
    let sb = snap(lab, &b, "s1")?;
    let r = lab.strata(BIN, &[&sa, &sb]).code(2)?;
    r.check(r.err().contains("not of") && r.stdout.is_empty(), "a snapshot of another filesystem")?;
    let r = lab.strata(BIN, &[format!("{a}@nope")]).code(2)?;
    r.check(r.err().contains("does not exist"), "a missing snapshot")?;
    let r = lab.strata(BIN, &[lab.ds("missing")]).code(2)?;
    r.check(r.err().contains("does not exist"), "a missing dataset")?;
    let c = lab.create("c", &[])?;
    let r = lab.strata(BIN, &[&c]).code(2)?;
    r.check(r.err().contains("has no snapshots"), "a dataset without snapshots")?;
    let r = strata(lab, &[b"versions", b"/proc/self/status"]).code(2)?;
    r.check(r.err().contains("not on a mounted ZFS filesystem"), "a path not on ZFS")?;
    Ok(())
}

/// Files of `bench/diff-100k` (`STRATA_BENCH_DIFF_FILES` overrides): 100,000 take longer than
/// half an hour to create in the software-emulated lab guest, so the lab measures 10,000.
const DEFAULT_FILES: usize = 10_000;

/// Times `program args > /dev/null`, returning seconds and the exit code.
fn timed(program: &Path, args: &[&str]) -> Result<(f64, i32)> {
    let t = Instant::now();
    let st = Command::new(program)
        .args(args)
        .stdout(std::fs::File::create("/dev/null")?)
        .stderr(Stdio::inherit())
        .status()
        .with_context(|| format!("run {}", program.display()))?;
    Ok((t.elapsed().as_secs_f64(), st.code().unwrap_or(-1)))
}

fn bench_100k(lab: &Lab) -> Result<()> {
    let n: usize = std::env::var("STRATA_BENCH_DIFF_FILES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_FILES);
    let ds = lab.create("bench", &["atime=off"])?;
    let mp = lab.mountpoint(&ds)?;
    let s0 = snap(lab, &ds, "s0")?;
    let t = Instant::now();
    for d in 0..n.div_ceil(1000) {
        let dir = mp.join(format!("d{d:03}"));
        std::fs::create_dir(&dir)?;
        for i in (d * 1000)..((d + 1) * 1000).min(n) {
            let name = if i % 10 == 0 { format!("file with space {i}.txt") } else { format!("f{i}.txt") };
            std::fs::File::create(dir.join(name))?;
        }
    }
    let created = t.elapsed().as_secs_f64();
    let s1 = snap(lab, &ds, "s1")?;
    let zfs = PathBuf::from("zfs");
    let strata = bin_dir().join(BIN);
    let zargs = ["diff", "-H", "-F", "-t", s0.as_str(), s1.as_str()];
    let sargs = [s0.as_str(), s1.as_str()];
    timed(&zfs, &zargs)?; // warm the cache
    let (mut best_z, mut best_s) = (f64::MAX, f64::MAX);
    for _ in 0..2 {
        let (tz, cz) = timed(&zfs, &zargs)?;
        let (ts, cs) = timed(&strata, &sargs)?;
        check_eq((cz, cs), (0, 1), "zfs diff exits 0, strata-diff 1 (changes)")?;
        best_z = best_z.min(tz);
        best_s = best_s.min(ts);
    }
    // What was timed is right: every file and directory is one record.
    let run = lab.strata(BIN, &[s0.as_str(), s1.as_str(), "--summary", "--change", "added"]).code(1)?;
    let recs = run.records()?;
    let added = recs.last().and_then(|r| r["added"].as_u64());
    check_eq(added, Some((n + n.div_ceil(1000)) as u64), "every file and directory added")?;
    println!(
        "bench diff-{n}: strata {best_s:.3} s, reference {best_z:.3} s (zfs diff -H -F -t > /dev/null), ratio {:.2} \
         ({n} files created in {created:.1} s; best of 2)",
        best_s / best_z
    );
    Ok(())
}
