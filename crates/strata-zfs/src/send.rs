//! Replication: the argv of `zfs send` and `zfs recv`, the listing of a dataset's snapshots and
//! bookmarks by guid, the properties a send reads, and the parser of `zfs send -nP`.

use strata_core::runner::Cmd;

use crate::table::{self, ParseError};
use crate::{zfs_mutate, zfs_read};

/// A snapshot or a bookmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Snapshot,
    Bookmark,
}

/// One row of [`guid_list_command`]: a snapshot (`DS@NAME`) or bookmark (`DS#NAME`) of one dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The full name, `DS@NAME` or `DS#NAME`.
    pub name: String,
    pub kind: Kind,
    pub guid: u64,
    pub createtxg: u64,
}

/// One dataset as a send sees it, from one [`guid_list_command`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    /// Its `encryption` (`None` when `-`).
    pub encryption: Option<String>,
    /// Its `receive_resume_token`, when a resumable receive into it was interrupted.
    pub token: Option<String>,
    /// Its snapshots and bookmarks, oldest first (by createtxg, a snapshot before its bookmark).
    pub entries: Vec<Listed>,
}

/// `zfs list -Hp -t filesystem,volume,snapshot,bookmark -o name,guid,createtxg,encryption,receive_resume_token -d 1 DATASET`:
/// one dataset's snapshots and bookmarks by guid, and the dataset's own row for the two
/// properties a send reads (its children's rows come too, and are skipped). One call per side.
pub fn guid_list_command(dataset: &str) -> Cmd {
    zfs_read().args([
        "list",
        "-Hp",
        "-t",
        "filesystem,volume,snapshot,bookmark",
        "-o",
        "name,guid,createtxg,encryption,receive_resume_token",
        "-d",
        "1",
        dataset,
    ])
}

/// Parses [`guid_list_command`]'s output for `dataset`. A row naming another dataset (other
/// than a child), a snapshot or bookmark without a guid, or no row for `dataset` itself is an error.
pub fn parse_guid_list(output: &[u8], dataset: &str) -> Result<Listing, ParseError> {
    let mut listing = Listing::default();
    let mut itself = false;
    for (i, row) in table::rows(output, 5)?.into_iter().enumerate() {
        let err = |message: String| ParseError { line: i + 1, message, text: row.join("\t") };
        let rest = row[0].strip_prefix(dataset).ok_or_else(|| err(format!("not {dataset} or one of its own")))?;
        let kind = match rest.as_bytes().first() {
            None if !itself => {
                itself = true;
                listing.encryption = table::opt_str(row[3]).map(str::to_string);
                listing.token = table::opt_str(row[4]).map(str::to_string);
                continue;
            }
            // A child dataset (`-d 1` lists them with the filesystem type).
            Some(b'/') if rest.len() > 1 => continue,
            Some(b'@') if rest.len() > 1 => Kind::Snapshot,
            Some(b'#') if rest.len() > 1 => Kind::Bookmark,
            _ => return Err(err(format!("not {dataset} or one of its own"))),
        };
        let guid = table::req_u64(row[1], "guid").map_err(err)?;
        let createtxg = table::req_u64(row[2], "createtxg").map_err(err)?;
        listing.entries.push(Listed { name: row[0].to_string(), kind, guid, createtxg });
    }
    if !itself {
        return Err(ParseError { line: 0, message: format!("no row for {dataset} itself"), text: String::new() });
    }
    listing.entries.sort_by_key(|e| (e.createtxg, e.kind));
    Ok(listing)
}

/// `zfs list -H -o name -t filesystem,volume -d 1 PARENT`: the parent and its children, to tell
/// a target that does not exist from a listing that failed.
pub fn children_command(parent: &str) -> Cmd {
    zfs_read().args(["list", "-H", "-o", "name", "-t", "filesystem,volume", "-d", "1", parent])
}

/// `zfs list -Hp -t snapshot -o name,userrefs -d 1 DATASET`: the holds on each snapshot.
pub fn holds_command(dataset: &str) -> Cmd {
    zfs_read().args(["list", "-Hp", "-t", "snapshot", "-o", "name,userrefs", "-d", "1", dataset])
}

/// The snapshots of [`holds_command`]'s output that are held, with their number of holds.
pub fn parse_held(output: &[u8]) -> Result<Vec<(String, u64)>, ParseError> {
    let mut v = Vec::new();
    for (i, row) in table::rows(output, 2)?.into_iter().enumerate() {
        let n = table::opt_u64(row[1])
            .map_err(|message| ParseError { line: i + 1, message, text: row.join("\t") })?
            .unwrap_or(0);
        if n > 0 {
            v.push((row[0].to_string(), n));
        }
    }
    Ok(v)
}

/// What `zfs send` sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stream {
    /// The whole snapshot.
    Full { snapshot: String },
    /// From `from` (a snapshot or a bookmark) to `snapshot`; with `intermediates`, every snapshot
    /// between them too (`-I`, snapshots only), otherwise `-i`.
    Incremental { from: String, snapshot: String, intermediates: bool },
    /// The rest of an interrupted send (`-t TOKEN`; raw or not as the token says).
    Resume { token: String },
}

/// `zfs send -P [-w] ...` of `stream`; `raw` sends encrypted blocks as they are (`-w`).
/// `-P` prints the stream's size on stderr before the stream (`size<TAB>BYTES`, the figure of
/// [`estimate_command`]), for progress without a command of its own.
pub fn send_command(stream: &Stream, raw: bool) -> Cmd {
    send_args(zfs_read().args(["send", "-P"]), stream, raw)
}

/// `zfs send -n -P ...`: the size the send would have (a read; nothing is sent).
pub fn estimate_command(stream: &Stream, raw: bool) -> Cmd {
    send_args(zfs_read().args(["send", "-n", "-P"]), stream, raw)
}

fn send_args(cmd: Cmd, stream: &Stream, raw: bool) -> Cmd {
    match stream {
        Stream::Resume { token } => cmd.arg("-t").arg(token),
        Stream::Full { snapshot } => if raw { cmd.arg("-w") } else { cmd }.arg(snapshot),
        Stream::Incremental { from, snapshot, intermediates } => {
            if raw { cmd.arg("-w") } else { cmd }.arg(if *intermediates { "-I" } else { "-i" }).arg(from).arg(snapshot)
        }
    }
}

/// The estimated size in bytes from `zfs send -n -P` output (its `size<TAB>BYTES` line).
pub fn parse_estimate(output: &[u8]) -> Option<u64> {
    String::from_utf8_lossy(output).lines().find_map(|l| l.strip_prefix("size\t")?.trim().parse().ok())
}

/// How `zfs recv` receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecvOptions {
    /// `-F`: roll the target back (and destroy what is newer) first.
    pub force: bool,
    /// `-u`: do not mount what is received.
    pub unmounted: bool,
    /// `-o readonly=on`: a dataset created by the receive is read-only.
    pub readonly: bool,
}

/// `zfs recv -s [-F] [-u] [-o readonly=on] TARGET`: always resumable (`-s`).
pub fn recv_command(target: &str, o: RecvOptions) -> Cmd {
    let mut cmd = zfs_mutate().args(["recv", "-s"]);
    if o.force {
        cmd = cmd.arg("-F");
    }
    if o.unmounted {
        cmd = cmd.arg("-u");
    }
    if o.readonly {
        cmd = cmd.args(["-o", "readonly=on"]);
    }
    cmd.arg(target)
}

/// `zfs recv -A TARGET`: discards the state of an interrupted receive.
pub fn recv_abort_command(target: &str) -> Cmd {
    zfs_mutate().args(["recv", "-A", target])
}

/// `zfs bookmark SNAPSHOT BOOKMARK`.
pub fn bookmark_command(snapshot: &str, bookmark: &str) -> Cmd {
    zfs_mutate().args(["bookmark", snapshot, bookmark])
}

/// `zfs destroy BOOKMARK`.
pub fn destroy_bookmark_command(bookmark: &str) -> Cmd {
    zfs_mutate().args(["destroy", bookmark])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_of_each_call() {
        assert_eq!(
            guid_list_command("tank/my data").display(),
            "zfs list -Hp -t filesystem,volume,snapshot,bookmark -o name,guid,createtxg,encryption,receive_resume_token -d 1 'tank/my data'"
        );
        assert_eq!(children_command("tank").display(), "zfs list -H -o name -t filesystem,volume -d 1 tank");
        let full = Stream::Full { snapshot: "tank/a@s1".into() };
        assert_eq!(send_command(&full, false).display(), "zfs send -P tank/a@s1");
        assert_eq!(send_command(&full, true).display(), "zfs send -P -w tank/a@s1");
        let incr = Stream::Incremental { from: "tank/a@s1".into(), snapshot: "tank/a@s3".into(), intermediates: true };
        assert_eq!(send_command(&incr, true).display(), "zfs send -P -w -I tank/a@s1 tank/a@s3");
        assert_eq!(estimate_command(&incr, false).display(), "zfs send -n -P -I tank/a@s1 tank/a@s3");
        let book = Stream::Incremental { from: "tank/a#b".into(), snapshot: "tank/a@s3".into(), intermediates: false };
        assert_eq!(send_command(&book, false).display(), "zfs send -P -i 'tank/a#b' tank/a@s3");
        let resume = Stream::Resume { token: "1-ab-cd-ef".into() };
        assert_eq!(send_command(&resume, true).display(), "zfs send -P -t 1-ab-cd-ef");
        assert_eq!(estimate_command(&resume, false).display(), "zfs send -n -P -t 1-ab-cd-ef");
        assert_eq!(recv_command("b/a", RecvOptions::default()).display(), "zfs recv -s b/a");
        assert_eq!(
            recv_command("b/my a", RecvOptions { force: true, unmounted: true, readonly: true }).display(),
            "zfs recv -s -F -u -o readonly=on 'b/my a'"
        );
        assert_eq!(recv_abort_command("b/a").display(), "zfs recv -A b/a");
        assert_eq!(bookmark_command("t/a@s", "t/a#x").display(), "zfs bookmark t/a@s 't/a#x'");
        assert_eq!(destroy_bookmark_command("t/a#x").display(), "zfs destroy 't/a#x'");
        assert_eq!(recv_command("b/a", RecvOptions::default()).effect, strata_core::runner::Effect::Mutate);
        assert_eq!(send_command(&full, false).effect, strata_core::runner::Effect::Read);
    }

    #[test]
    fn real_estimates() {
        for (v, incr) in [("2.1", 27472), ("2.3", 28496)] {
            assert_eq!(parse_estimate(&crate::fixtures::stdout(v, "send_full_nP")), Some(281568));
            assert_eq!(parse_estimate(&crate::fixtures::stdout(v, "send_incr_I_nvP")), Some(incr));
            assert_eq!(parse_estimate(&crate::fixtures::stdout(v, "send_token_nvP")), Some(5523872));
        }
        assert_eq!(parse_estimate(b"full\ttank/a@s\t1\n"), None);
    }

    #[test]
    fn guid_listing_by_createtxg_snapshot_before_its_bookmark() {
        let out = "tank/a b\t3\t1\taes-256-gcm\t1-ab-cd-ef\n\
                   tank/a b/child\t4\t2\taes-256-gcm\t-\n\
                   tank/a b#strata-send-1\t7\t12\t-\t-\n\
                   tank/a b@s2\t7\t12\taes-256-gcm\t-\n\
                   tank/a b@s1\t5\t10\taes-256-gcm\t-\n";
        let l = parse_guid_list(out.as_bytes(), "tank/a b").unwrap();
        let names: Vec<(&str, Kind)> = l.entries.iter().map(|e| (e.name.as_str(), e.kind)).collect();
        assert_eq!(
            names,
            [
                ("tank/a b@s1", Kind::Snapshot),
                ("tank/a b@s2", Kind::Snapshot),
                ("tank/a b#strata-send-1", Kind::Bookmark)
            ]
        );
        assert_eq!(l.entries[0].guid, 5);
        assert_eq!((l.encryption.as_deref(), l.token.as_deref()), (Some("aes-256-gcm"), Some("1-ab-cd-ef")));
        let plain = parse_guid_list(b"tank/a b\t3\t1\toff\t-\n", "tank/a b").unwrap();
        assert_eq!((plain.encryption.as_deref(), plain.token, plain.entries.len()), (Some("off"), None, 0));
        // Real rows (list_backup asked for name,guid,createtxg and a fourth column).
        let mut rows = String::from("tank/backup/victim.org\t9\t1\toff\t-\n");
        rows.extend(
            String::from_utf8(crate::fixtures::stdout("2.3", "list_backup"))
                .unwrap()
                .lines()
                .filter(|l| l.starts_with("tank/backup/victim.org@"))
                .map(|l| format!("{}\t-\t-\n", l.rsplit_once('\t').unwrap().0)),
        );
        let l = parse_guid_list(rows.as_bytes(), "tank/backup/victim.org").unwrap();
        assert_eq!(l.entries.len(), 3);
        assert_eq!(l.entries[2].guid, 12756460918987718728);
        let row = "tank/a b\t3\t1\toff\t-\n";
        for bad in [
            "tank/ab@s\t1\t2\t-\t-\n",
            "tank/a b@\t1\t2\t-\t-\n",
            "tank/a b@s\t-\t2\t-\t-\n",
            "tank/a b@s\t1\t-\t-\n",
            "tank/a b/\t1\t2\t-\t-\n",
            "tank/a b\t1\t2\t-\t-\n",
        ] {
            assert!(parse_guid_list(format!("{row}{bad}").as_bytes(), "tank/a b").is_err(), "{bad:?}");
        }
        assert!(parse_guid_list(b"tank/a b@s\t1\t2\t-\t-\n", "tank/a b").is_err(), "no row for the dataset");
    }

    #[test]
    fn held_snapshots() {
        assert_eq!(holds_command("b/my a").display(), "zfs list -Hp -t snapshot -o name,userrefs -d 1 'b/my a'");
        // Real rows: list_after_defer asked for name,userrefs,defer_destroy.
        let rows: String = String::from_utf8(crate::fixtures::stdout("2.3", "list_after_defer"))
            .unwrap()
            .lines()
            .map(|l| format!("{}\n", l.rsplit_once('\t').unwrap().0))
            .collect();
        assert_eq!(
            parse_held(rows.as_bytes()).unwrap(),
            [
                ("tank/srv/docker/victim.org@2023-08-08-00-00-06".to_string(), 1),
                ("tank/srv/docker/victim.org@2023-08-09-00-00-06".to_string(), 1)
            ]
        );
        assert!(parse_held(b"a@b\tmany\n").is_err());
    }

    #[test]
    fn a_real_token_in_the_dataset_row() {
        // get_resume_token: `zfs get` of a partly received dataset (NAME PROPERTY VALUE SOURCE).
        let got = crate::fixtures::stdout("2.3", "get_resume_token");
        let token = String::from_utf8(got).unwrap().split('\t').nth(2).unwrap().to_string();
        let row = format!("tank/r\t1\t2\toff\t{token}\n");
        let l = parse_guid_list(row.as_bytes(), "tank/r").unwrap();
        assert!(l.token.as_deref().is_some_and(|t| t.starts_with("1-ad8e60081-")), "{l:?}");
    }
}
