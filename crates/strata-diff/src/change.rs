//! `strata-diff FROM [TO]`: `zfs diff -H -F -t` streamed as change records.

use std::borrow::Cow;
use std::io::BufReader;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use serde::Serialize;
use strata_core::doc::{FieldDoc, RecordDoc};
use strata_core::output::Record;
use strata_core::{Ctx, Outcome};
use strata_zfs::diff::{
    Change, DiffLine, Kind, MAX_LINE, ReadLine, diff_command, parse_line, read_line, rfc3339_nanos,
};
use strata_zfs::name::{SnapshotName, check_dataset};
use strata_zfs::snapshot::{list_command, parse_list};

use crate::text_of;

#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// A snapshot (DATASET@NAME), or a dataset to compare with its newest snapshot.
    #[arg(value_name = "SNAPSHOT|DATASET", required = true, add = strata_core::complete::datasets_or_snapshots())]
    pub from: Option<String>,
    /// A later snapshot of the same filesystem (DATASET@NAME or @NAME), or the filesystem itself
    /// (the live state, also the default).
    #[arg(value_name = "SNAPSHOT2|DATASET", add = strata_core::complete::later_snapshots())]
    pub to: Option<String>,
    /// Only these changes (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "CHANGE")]
    pub change: Vec<Change>,
    /// Only these file types (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "KIND")]
    pub kind: Vec<Kind>,
    /// Only paths at or below the absolute PATH (either path of a rename); repeatable.
    #[arg(long, value_name = "PATH", value_hint = clap::ValueHint::DirPath)]
    pub under: Vec<PathBuf>,
    /// Only paths matching the glob PATTERN (the whole path; `*` also matches `/`; either path of
    /// a rename); repeatable, any may match.
    #[arg(long, value_name = "PATTERN")]
    pub glob: Vec<String>,
    /// Sort by path instead of keeping ZFS's order (holds every record in memory).
    #[arg(long)]
    pub sort: bool,
    /// End with one summary record: the counts per change.
    #[arg(long)]
    pub summary: bool,
}

/// One change, one line of `zfs diff`.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRecord<'a> {
    pub r#type: &'static str,
    pub change: Change,
    pub kind: Kind,
    pub path: Cow<'a, str>,
    pub path_bytes: Option<String>,
    pub new_path: Option<Cow<'a, str>>,
    pub new_path_bytes: Option<String>,
    pub changed: String,
    pub link_delta: Option<i64>,
    pub from: &'a str,
    pub to: &'a str,
}

pub static CHANGE_DOC: RecordDoc = RecordDoc {
    name: "change",
    about: "One line of zfs diff, in ZFS's order (not sorted) unless --sort is given.",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "always \"change\"" },
        FieldDoc { name: "change", ty: "string", doc: "modified, added, removed or renamed" },
        FieldDoc {
            name: "kind",
            ty: "string",
            doc: "file, directory, symlink, socket, fifo, block, char, door, port, or unknown (a mode ZFS does not classify)",
        },
        FieldDoc {
            name: "path",
            ty: "string",
            doc: "the absolute path (the old one of a rename), ZFS's escapes decoded; when the path is not \
                  UTF-8 this is a lossy form (U+FFFD for bad bytes) and path_bytes holds the exact bytes",
        },
        FieldDoc {
            name: "path_bytes",
            ty: "string|null",
            doc: "the exact bytes of path in base64, only when they are not UTF-8",
        },
        FieldDoc { name: "new_path", ty: "string|null", doc: "the new path of a rename (lossy like path)" },
        FieldDoc {
            name: "new_path_bytes",
            ty: "string|null",
            doc: "the exact bytes of new_path in base64, only when they are not UTF-8",
        },
        FieldDoc {
            name: "changed",
            ty: "string",
            doc: "the inode's change time (ctime) ZFS reports, RFC 3339 UTC with nanoseconds",
        },
        FieldDoc {
            name: "link_delta",
            ty: "integer|null",
            doc: "the change of the hard-link count of a modified file (1 for a new link, -1 for one removed)",
        },
        FieldDoc { name: "from", ty: "string", doc: "the earlier snapshot, DATASET@NAME" },
        FieldDoc { name: "to", ty: "string", doc: "the later snapshot, or the dataset name for its live state" },
    ],
};

impl Record for ChangeRecord<'_> {
    const KEY: &'static str = "path";

    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        let path = match &self.new_path {
            Some(n) => format!("{} -> {n}", self.path),
            None => self.path.to_string(),
        };
        let links = match self.link_delta {
            Some(d) => format!("{d:+}"),
            None => String::new(),
        };
        Some(vec![
            ("change", self.change.as_str().to_string()),
            ("kind", self.kind.as_str().to_string()),
            ("changed", self.changed.clone()),
            ("links", links),
            ("path", path),
        ])
    }
}

/// The counts of one comparison.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SummaryRecord {
    pub r#type: &'static str,
    pub from: String,
    pub to: String,
    pub changes: u64,
    pub modified: u64,
    pub added: u64,
    pub removed: u64,
    pub renamed: u64,
}

pub static SUMMARY_DOC: RecordDoc = RecordDoc {
    name: "summary",
    about: "With --summary, after the changes: how many of each (after the filters).",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "always \"summary\"" },
        FieldDoc { name: "from", ty: "string", doc: "the earlier snapshot" },
        FieldDoc { name: "to", ty: "string", doc: "the later snapshot or the dataset" },
        FieldDoc { name: "changes", ty: "integer", doc: "all changes" },
        FieldDoc { name: "modified", ty: "integer", doc: "modified paths" },
        FieldDoc { name: "added", ty: "integer", doc: "added paths" },
        FieldDoc { name: "removed", ty: "integer", doc: "removed paths" },
        FieldDoc { name: "renamed", ty: "integer", doc: "renamed paths" },
    ],
};

impl Record for SummaryRecord {
    const KEY: &'static str = "changes";
}

impl SummaryRecord {
    fn add(&mut self, c: Change) {
        self.changes += 1;
        match c {
            Change::Modified => self.modified += 1,
            Change::Added => self.added += 1,
            Change::Removed => self.removed += 1,
            Change::Renamed => self.renamed += 1,
        }
    }
}

/// The filters, checked once.
pub struct Filter {
    changes: Vec<Change>,
    kinds: Vec<Kind>,
    under: Vec<Vec<u8>>,
    globs: Vec<glob::Pattern>,
}

impl Filter {
    pub fn new(a: &DiffArgs) -> Result<Filter> {
        let mut globs = Vec::new();
        for g in &a.glob {
            globs.push(glob::Pattern::new(g).map_err(|e| anyhow!("--glob {g:?}: {e}"))?);
        }
        if let Some(rel) = a.under.iter().find(|p| !p.is_absolute()) {
            bail!("--under {}: give an absolute path (zfs diff paths start at the mountpoint)", rel.display());
        }
        let under = a
            .under
            .iter()
            .map(|p| {
                use std::os::unix::ffi::OsStrExt;
                let mut b = p.as_os_str().as_bytes().to_vec();
                while b.len() > 1 && b.ends_with(b"/") {
                    b.pop();
                }
                b
            })
            .collect();
        Ok(Filter { changes: a.change.clone(), kinds: a.kind.clone(), under, globs })
    }

    pub fn keep(&self, l: &DiffLine) -> bool {
        if !self.changes.is_empty() && !self.changes.contains(&l.change) {
            return false;
        }
        if !self.kinds.is_empty() && !self.kinds.contains(&l.kind) {
            return false;
        }
        let paths = || std::iter::once(&l.path).chain(l.new_path.as_ref());
        if !self.under.is_empty() && !paths().any(|p| self.under.iter().any(|u| is_under(p, u))) {
            return false;
        }
        if !self.globs.is_empty()
            && !paths().any(|p| {
                let s = String::from_utf8_lossy(p);
                self.globs.iter().any(|g| g.matches(&s))
            })
        {
            return false;
        }
        true
    }
}

fn is_under(path: &[u8], dir: &[u8]) -> bool {
    if dir == b"/" {
        return path.starts_with(b"/");
    }
    path.starts_with(dir) && (path.len() == dir.len() || path[dir.len()] == b'/')
}

/// FROM, TO as the records name them, and the TO argument given to zfs diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub from: String,
    pub to: String,
    pub to_arg: Option<String>,
}

/// Works out what to compare, refusing what zfs diff cannot do with a message that says why.
pub fn resolve(from: &str, to: Option<&str>, ctx: &Ctx) -> Result<Endpoints> {
    if from.starts_with('@') {
        bail!("{from:?}: the first name must be a full snapshot name (DATASET@NAME) or a dataset");
    }
    if from.contains('@') {
        let f = SnapshotName::parse(from)?;
        let (to_name, to_arg) = match to {
            None => (f.dataset.clone(), None),
            Some(t) if t.starts_with('@') => {
                let full = format!("{}{t}", f.dataset);
                SnapshotName::parse(&full)?;
                (full.clone(), Some(full))
            }
            Some(t) if t.contains('@') => {
                let s = SnapshotName::parse(t)?;
                if s.dataset != f.dataset {
                    bail!(
                        "{t} is a snapshot of {}, not of {}: zfs diff compares snapshots of one filesystem",
                        s.dataset,
                        f.dataset
                    );
                }
                (t.to_string(), Some(t.to_string()))
            }
            Some(t) => {
                check_dataset(t)?;
                if t != f.dataset {
                    bail!("{from} is a snapshot of {}, not of {t}: zfs diff compares one filesystem", f.dataset);
                }
                (t.to_string(), Some(t.to_string()))
            }
        };
        return Ok(Endpoints { from: from.to_string(), to: to_name, to_arg });
    }
    check_dataset(from)?;
    if let Some(t) = to {
        bail!(
            "{from} is a dataset: it is compared with its newest snapshot; to compare two states give a snapshot \
             first (SNAPSHOT {t})"
        );
    }
    let cmd = list_command(&[from.to_string()], false);
    let out = ctx.runner.run(&cmd).with_context(|| format!("cannot list the snapshots of {from}"))?;
    let snaps = parse_list(&out.stdout)?;
    let Some(newest) = snaps.iter().rev().find(|s| s.dataset == from) else {
        bail!("{from} has no snapshots to compare with (make one with: strata snapshot create {from})");
    };
    Ok(Endpoints { from: newest.snapshot.clone(), to: from.to_string(), to_arg: None })
}

/// After zfs diff failed: one `zfs list` call that says which name does not exist (zfs diff itself
/// only says "No such file or directory"). Not run before: it would cost every run a zfs call.
fn check_exist(ctx: &Ctx, from: &str, to: Option<&str>) -> Result<()> {
    let names: Vec<&str> = std::iter::once(from).chain(to).collect();
    let cmd = strata_zfs::listing::exist_command(&names);
    let out = ctx.runner.output(&cmd)?;
    if !out.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!("cannot compare: {}", err.trim());
    }
    Ok(())
}

/// A change record of a decoded line.
pub fn record<'a>(l: &'a DiffLine, from: &'a str, to: &'a str) -> Result<ChangeRecord<'a>> {
    let (path, path_bytes) = text_of(&l.path);
    let (new_path, new_path_bytes) = match &l.new_path {
        Some(n) => {
            let (t, b) = text_of(n);
            (Some(t), b)
        }
        None => (None, None),
    };
    let changed = rfc3339_nanos(l.seconds, l.nanos)
        .ok_or_else(|| anyhow!("time {}.{:09} is out of range", l.seconds, l.nanos))?;
    Ok(ChangeRecord {
        r#type: "change",
        change: l.change,
        kind: l.kind,
        path,
        path_bytes,
        new_path,
        new_path_bytes,
        changed,
        link_delta: l.link_delta,
        from,
        to,
    })
}

/// A line of `len` bytes in an error, from its first bytes in `start`: at most [`SHOWN`] of
/// them, quoted, with the count of the rest.
fn shown(start: &[u8], len: u64) -> String {
    let cut = start.len().min(SHOWN);
    let text = format!("{:?}", String::from_utf8_lossy(&start[..cut]));
    match len.saturating_sub(cut as u64) {
        0 => text,
        rest => format!("{text} and {rest} more bytes"),
    }
}

/// How much of a bad line an error shows.
const SHOWN: usize = 200;

pub fn run(a: &DiffArgs, ctx: &mut Ctx) -> Result<Outcome> {
    let filter = Filter::new(a)?;
    let Some(from) = a.from.as_deref() else { bail!("a snapshot or dataset is required") };
    let ends = resolve(from, a.to.as_deref(), ctx)?;
    let cmd = diff_command(&ends.from, ends.to_arg.as_deref());
    let stream = ctx.runner.stream(&cmd)?;
    let mut reader = BufReader::with_capacity(1 << 16, stream);
    let mut summary = SummaryRecord {
        r#type: "summary",
        from: ends.from.clone(),
        to: ends.to.clone(),
        changes: 0,
        modified: 0,
        added: 0,
        removed: 0,
        renamed: 0,
    };
    let mut held: Vec<DiffLine> = Vec::new();
    let mut buf = Vec::with_capacity(512);
    let mut lineno = 0u64;
    loop {
        let step = match read_line(&mut reader, &mut buf) {
            Ok(step) => step,
            Err(e) => {
                if lineno == 0 {
                    check_exist(ctx, &ends.from, ends.to_arg.as_deref())?;
                }
                return Err(e.into());
            }
        };
        lineno += 1;
        match step {
            ReadLine::End => break,
            ReadLine::Line => {}
            ReadLine::TooLong { len } => bail!(
                "unexpected `{}` output, line {lineno}: {len} bytes long, more than the {MAX_LINE} a zfs diff \
                 line can hold (two escaped paths of at most 8192 bytes): {}",
                cmd.display(),
                shown(&buf, len)
            ),
        }
        if buf.is_empty() {
            continue;
        }
        let bad = |e: &dyn std::fmt::Display| {
            anyhow!("unexpected `{}` output, line {lineno}: {e}: {}", cmd.display(), shown(&buf, buf.len() as u64))
        };
        let line = parse_line(&buf).map_err(|e| bad(&e))?;
        if !filter.keep(&line) {
            continue;
        }
        summary.add(line.change);
        if a.sort {
            held.push(line);
        } else {
            let rec = record(&line, &ends.from, &ends.to).map_err(|e| bad(&e))?;
            ctx.out.write(&rec)?;
        }
    }
    if a.sort {
        held.sort_by(|x, y| (&x.path, &x.new_path, x.change).cmp(&(&y.path, &y.new_path, y.change)));
        for l in &held {
            ctx.out.write(&record(l, &ends.from, &ends.to)?)?;
        }
    }
    let found = summary.changes > 0;
    if a.summary {
        ctx.out.write(&summary)?;
    }
    Ok(Outcome::negative_if(found))
}
