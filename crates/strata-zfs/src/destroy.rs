//! Destroying snapshots, batched: `zfs destroy DS@a,b,c` argv builders chunked to stay well under
//! the kernel's argument limits, the parser of `zfs destroy -nvp` (what would go and the space it
//! frees), bookmarks kept before destroying, holds, and `zfs rollback -r`.

use strata_core::runner::{Cmd, RunError};

use crate::{zfs_mutate, zfs_read};

/// The longest `DS@a,b,c` argument a batch builds. Linux refuses a single argument longer than
/// 128 KiB (`MAX_ARG_STRLEN`); a quarter of that keeps every batch well clear of it and of `ARG_MAX`.
pub const MAX_BATCH_ARG: usize = 32 * 1024;

/// Splits the snapshot names (the parts after '@') of one dataset into comma lists, each giving an
/// argument `DATASET@a,b,c` no longer than `max_arg` bytes (a single name longer than that gets a
/// batch of its own).
pub fn batches<'a>(dataset: &str, names: &[&'a str], max_arg: usize) -> Vec<Vec<&'a str>> {
    let mut out: Vec<Vec<&'a str>> = Vec::new();
    let mut cur: Vec<&'a str> = Vec::new();
    let mut len = dataset.len() + 1;
    for &n in names {
        let add = if cur.is_empty() { n.len() } else { n.len() + 1 };
        if !cur.is_empty() && len + add > max_arg {
            out.push(std::mem::take(&mut cur));
            len = dataset.len() + 1;
            cur.push(n);
            len += n.len();
        } else {
            cur.push(n);
            len += add;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The argument `DATASET@a,b,c`.
pub fn batch_arg(dataset: &str, names: &[&str]) -> String {
    format!("{dataset}@{}", names.join(","))
}

/// `zfs destroy -v -p DATASET@a,b,c`: one process for a batch of one dataset's snapshots. With
/// `-v -p` ZFS prints what it destroys and, as `reclaim<TAB>BYTES`, the space the batch frees
/// (the same figure as `-nvp`, computed just before it destroys): read it with
/// [`parse_destroy_preview`].
pub fn destroy_command(dataset: &str, names: &[&str]) -> Cmd {
    zfs_mutate().args(["destroy", "-v", "-p"]).arg(batch_arg(dataset, names))
}

/// `zfs destroy -n -v -p DATASET@a,b,c`: what the batch would destroy and the space it would free
/// (a read: nothing changes).
pub fn destroy_dry_command(dataset: &str, names: &[&str]) -> Cmd {
    zfs_read().args(["destroy", "-n", "-v", "-p"]).arg(batch_arg(dataset, names))
}

/// What `zfs destroy -nvp` (or `-vp`) printed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DestroyPreview {
    /// Every `destroy<TAB>NAME` line.
    pub destroyed: Vec<String>,
    /// The `reclaim<TAB>BYTES` line: the space the whole command would free.
    pub reclaim_bytes: Option<u64>,
}

/// Parses `zfs destroy -nvp` output: `destroy<TAB>NAME` lines, then `reclaim<TAB>BYTES`.
pub fn parse_destroy_preview(output: &[u8]) -> Result<DestroyPreview, crate::table::ParseError> {
    let mut p = DestroyPreview::default();
    let text = std::str::from_utf8(output).map_err(|e| crate::table::ParseError {
        line: 0,
        message: format!("not UTF-8 ({e})"),
        text: String::from_utf8_lossy(output).chars().take(80).collect(),
    })?;
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let err = |message: String| crate::table::ParseError { line: i + 1, message, text: line.to_string() };
        match line.split_once('\t') {
            Some(("destroy", name)) => p.destroyed.push(name.to_string()),
            Some(("reclaim", n)) => p.reclaim_bytes = Some(crate::table::req_u64(n, "reclaim").map_err(err)?),
            _ => {
                return Err(err("expected `destroy<TAB>NAME` or `reclaim<TAB>BYTES`".into()));
            }
        }
    }
    Ok(p)
}

/// What the last-moment re-check needs of a snapshot (read with [`crate::listing::list`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub snapshot: String,
    pub guid: Option<String>,
    pub createtxg: Option<u64>,
    pub userrefs: u64,
    /// Its own strata:managed is on.
    pub managed: bool,
}

/// `zfs list -H -o name -t filesystem,volume -r POOL`: the datasets of `dataset`'s pool.
pub fn pool_datasets_command(dataset: &str) -> Cmd {
    let pool = dataset.split('/').next().unwrap_or(dataset);
    crate::listing::tree_command(&[pool.to_string()])
}

/// Whether `dataset` is really gone: its pool answers a listing and the dataset is not in it. A
/// listing that fails (the pool is suspended or gone, `zfs` was killed) is an error, never "gone".
pub fn dataset_gone(runner: &dyn strata_core::runner::Runner, dataset: &str) -> Result<bool, RunError> {
    let out = runner.run(&pool_datasets_command(dataset))?;
    Ok(!out.stdout.split(|&b| b == b'\n').any(|l| l == dataset.as_bytes()))
}

/// `zfs bookmark DATASET@NAME DATASET#NAME`: keeps an incremental-send base after the snapshot goes.
///
/// One snapshot per process, unlike destroy: the kernel's bookmark call takes many pairs at once,
/// but the `zfs bookmark` command (OpenZFS 2.1 to 2.3) passes it exactly one, its first two
/// arguments, and silently ignores any more, so several pairs on one command line would make one
/// bookmark and report success.
pub fn bookmark_command(dataset: &str, name: &str) -> Cmd {
    zfs_mutate().arg("bookmark").arg(format!("{dataset}@{name}")).arg(format!("{dataset}#{name}"))
}

/// `zfs list -H -p -t bookmark -o name,guid -d 1 DATASET...`: the bookmarks that exist already.
pub fn list_bookmarks_command(datasets: &[String]) -> Cmd {
    zfs_read().args(["list", "-H", "-p", "-t", "bookmark", "-o", "name,guid", "-d", "1"]).args(datasets)
}

/// Parses [`list_bookmarks_command`] output into (full bookmark name, guid) pairs.
pub fn parse_bookmarks(output: &[u8]) -> Result<Vec<(String, Option<String>)>, crate::table::ParseError> {
    Ok(crate::table::rows(output, 2)?
        .into_iter()
        .map(|r| (r[0].to_string(), crate::table::opt_str(r[1]).map(str::to_string)))
        .collect())
}

/// `zfs rollback -r DATASET@NAME`: destroys every newer snapshot and bookmark.
pub fn rollback_command(snapshot: &str) -> Cmd {
    zfs_mutate().args(["rollback", "-r", snapshot])
}

/// `zfs diff -H SNAPSHOT`: the changes from a snapshot to the live file system, one per line.
pub fn diff_to_live_command(snapshot: &str) -> Cmd {
    zfs_read().args(["diff", "-H", snapshot])
}

/// Counts the lines of `zfs diff -H` output (one changed file per line; paths are escaped, so a
/// newline in a name does not split a line).
pub fn count_lines(reader: &mut dyn std::io::Read) -> std::io::Result<u64> {
    let mut buf = [0u8; 64 * 1024];
    let (mut n, mut last) = (0u64, b'\n');
    loop {
        let got = reader.read(&mut buf)?;
        if got == 0 {
            break;
        }
        n += buf[..got].iter().filter(|&&b| b == b'\n').count() as u64;
        last = buf[got - 1];
    }
    if last != b'\n' {
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    #[test]
    fn parses_real_destroy_previews() {
        let p = parse_destroy_preview(&fixtures::stdout("2.3", "destroy_comma_nvp")).unwrap();
        assert_eq!(
            p.destroyed,
            vec![
                "tank/srv/docker/victim.org@2023-08-08-00-00-06",
                "tank/srv/docker/victim.org@zfs-auto-snap_daily-2023-08-08-0000"
            ]
        );
        assert_eq!(p.reclaim_bytes, Some(25600));
        let r = parse_destroy_preview(&fixtures::stdout("2.3", "destroy_r_nvp")).unwrap();
        assert_eq!((r.destroyed.len(), r.reclaim_bytes), (6, Some(0)));
        let (code, cmd) = fixtures::index("2.3", "destroy_comma_nvp");
        assert_eq!(
            (code, cmd.as_str()),
            (0, "zfs destroy -nvp tank/srv/docker/victim.org@2023-08-08-00-00-06,zfs-auto-snap_daily-2023-08-08-0000")
        );
        assert!(parse_destroy_preview(b"would destroy x\n").is_err());
    }

    /// The real destroy, with -v -p, says what it freed in the preview's format (ZFS 2.1 and 2.3).
    #[test]
    fn a_real_destroy_reports_its_reclaim() {
        for v in ["2.1", "2.3"] {
            let (code, cmd) = fixtures::index(v, "destroy_real_vp");
            assert_eq!(
                (code, cmd.as_str()),
                (0, "zfs destroy -vp tank/srv/docker/victim.org@zfs-auto-snap_daily-2023-08-08-0000")
            );
            let p = parse_destroy_preview(&fixtures::stdout(v, "destroy_real_vp")).unwrap();
            assert_eq!(p.destroyed, ["tank/srv/docker/victim.org@zfs-auto-snap_daily-2023-08-08-0000"]);
            assert_eq!(p.reclaim_bytes, Some(0));
        }
        let argv = destroy_command("tank/a", &["x", "y"]).argv_strings();
        assert_eq!(argv, ["zfs", "destroy", "-v", "-p", "tank/a@x,y"]);
        assert_eq!(bookmark_command("tank/a", "x").argv_strings(), ["zfs", "bookmark", "tank/a@x", "tank/a#x"]);
    }

    #[test]
    fn batches_stay_under_the_limit_and_keep_every_name() {
        let names: Vec<String> = (0..5000).map(|i| format!("2023-08-08-00-00-{i:05}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let b = batches("tank/my data", &refs, MAX_BATCH_ARG);
        assert!(b.len() > 1);
        assert!(b.iter().all(|x| batch_arg("tank/my data", x).len() <= MAX_BATCH_ARG));
        assert_eq!(b.concat(), refs);
        assert_eq!(batches("t", &["abc", "de"], 3), vec![vec!["abc"], vec!["de"]]);
        assert_eq!(batches("t", &["a", "b"], 100), vec![vec!["a", "b"]]);
        assert_eq!(destroy_command("tank/my data", &["a", "b"]).display(), "zfs destroy -v -p 'tank/my data@a,b'");
    }

    #[test]
    fn gone_only_when_the_pool_answers_without_it() {
        use strata_core::runner::{FakeRunner, Output};
        let argv = pool_datasets_command("tank/a").argv_strings();
        assert_eq!(argv.join(" "), "zfs list -H -o name -t filesystem,volume -r tank");
        let fake = FakeRunner::new().expect(&argv, Output::ok("tank\ntank/a b\ntank/ab\n"));
        assert!(dataset_gone(&fake, "tank/a").unwrap());
        let fake = FakeRunner::new().expect(&argv, Output::ok("tank\ntank/a\n"));
        assert!(!dataset_gone(&fake, "tank/a").unwrap());
        // pool I/O suspended: an error, not "gone"
        let fake =
            FakeRunner::new().expect(&argv, Output::failed(1, "cannot open 'tank': pool I/O is currently suspended\n"));
        assert!(dataset_gone(&fake, "tank/a").is_err());
    }

    #[test]
    fn counts_lines() {
        let mut r: &[u8] = &fixtures::stdout("2.3", "diff_S1_live");
        let want = fixtures::stdout("2.3", "diff_S1_live").iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(count_lines(&mut r).unwrap(), want);
        assert_eq!(count_lines(&mut &b""[..]).unwrap(), 0);
        assert_eq!(count_lines(&mut &b"a\nb"[..]).unwrap(), 2);
    }
}
