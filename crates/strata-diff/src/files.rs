//! `versions` and `deleted`: files read through `.zfs/snapshot/NAME/` of the filesystem that holds
//! them (found in the mount table), the snapshots listed by one `zfs list` call.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fs::Metadata;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;
use strata_core::doc::{FieldDoc, RecordDoc};
use strata_core::output::Record;
use strata_core::progress::Progress;
use strata_core::sanitize::for_terminal;
use strata_core::{Ctx, Outcome};
use strata_zfs::diff::{Kind, rfc3339_nanos};
use strata_zfs::snapshot::{SnapshotRecord, list_command, parse_list};

use crate::text_of;
use strata_zfs::mounts::{self, Located, snapshot_path};

#[derive(Debug, Clone, Args)]
pub struct VersionsArgs {
    /// Files on a mounted ZFS filesystem (they may be gone from the live filesystem).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct DeletedArgs {
    /// A directory on a mounted ZFS filesystem.
    #[arg(value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub dir: PathBuf,
    /// Look into subdirectories too.
    #[arg(short, long)]
    pub recursive: bool,
}

/// One distinct version of a file.
#[derive(Debug, Clone, Serialize)]
pub struct VersionRecord<'a> {
    pub r#type: &'static str,
    pub path: Cow<'a, str>,
    pub path_bytes: Option<String>,
    pub snapshot: Option<String>,
    pub snapshot_path: Option<Cow<'a, str>>,
    pub snapshot_path_bytes: Option<String>,
    pub size_bytes: u64,
    pub modified: String,
    pub live: bool,
}

pub static VERSION_DOC: RecordDoc = RecordDoc {
    name: "version",
    about: "One distinct version of a file (versions with the same size and modification time are one), oldest \
            first.",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "always \"version\"" },
        FieldDoc {
            name: "path",
            ty: "string",
            doc: "the file's live path, resolved (lossy when not UTF-8, see path_bytes)",
        },
        FieldDoc { name: "path_bytes", ty: "string|null", doc: "the exact bytes of path in base64 when not UTF-8" },
        FieldDoc {
            name: "snapshot",
            ty: "string|null",
            doc: "the oldest snapshot holding this version, DATASET@NAME; null when only the live file has it",
        },
        FieldDoc {
            name: "snapshot_path",
            ty: "string|null",
            doc: "the version's path in that snapshot, MOUNTPOINT/.zfs/snapshot/NAME/... (read it or cp it)",
        },
        FieldDoc {
            name: "snapshot_path_bytes",
            ty: "string|null",
            doc: "the exact bytes of snapshot_path in base64 when not UTF-8",
        },
        FieldDoc { name: "size_bytes", ty: "integer", doc: "the file's size" },
        FieldDoc { name: "modified", ty: "string", doc: "its modification time, RFC 3339 UTC with nanoseconds" },
        FieldDoc { name: "live", ty: "boolean", doc: "the live file is this version" },
    ],
};

impl Record for VersionRecord<'_> {
    const KEY: &'static str = "snapshot_path";

    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        Some(vec![
            ("modified", self.modified.clone()),
            ("size", strata_zfs::size::human_size(self.size_bytes)),
            ("live", if self.live { "live".into() } else { String::new() }),
            ("snapshot", self.snapshot.clone().unwrap_or_default()),
            ("path", self.snapshot_path.as_deref().unwrap_or(&self.path).to_string()),
        ])
    }
}

/// A file present in a snapshot and missing from the live filesystem.
#[derive(Debug, Clone, Serialize)]
pub struct DeletedRecord<'a> {
    pub r#type: &'static str,
    pub path: Cow<'a, str>,
    pub path_bytes: Option<String>,
    pub kind: Kind,
    pub size_bytes: u64,
    pub modified: String,
    pub snapshot: String,
    pub snapshot_path: Cow<'a, str>,
    pub snapshot_path_bytes: Option<String>,
}

pub static DELETED_DOC: RecordDoc = RecordDoc {
    name: "deleted",
    about: "A file or directory that some snapshot has and the live filesystem has not, with the newest \
            snapshot that still has it. A deleted directory is one record (its contents come back with it).",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "always \"deleted\"" },
        FieldDoc {
            name: "path",
            ty: "string",
            doc: "where it was in the live filesystem (lossy when not UTF-8, see path_bytes)",
        },
        FieldDoc { name: "path_bytes", ty: "string|null", doc: "the exact bytes of path in base64 when not UTF-8" },
        FieldDoc { name: "kind", ty: "string", doc: "file, directory, symlink, socket, fifo, block or char" },
        FieldDoc { name: "size_bytes", ty: "integer", doc: "its size in that snapshot" },
        FieldDoc { name: "modified", ty: "string", doc: "its modification time, RFC 3339 UTC with nanoseconds" },
        FieldDoc { name: "snapshot", ty: "string", doc: "the newest snapshot that has it, DATASET@NAME" },
        FieldDoc {
            name: "snapshot_path",
            ty: "string",
            doc: "its path in that snapshot: `cp -a SNAPSHOT_PATH PATH` restores it",
        },
        FieldDoc {
            name: "snapshot_path_bytes",
            ty: "string|null",
            doc: "the exact bytes of snapshot_path in base64 when not UTF-8",
        },
    ],
};

impl Record for DeletedRecord<'_> {
    const KEY: &'static str = "path";

    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        Some(vec![
            ("kind", self.kind.as_str().to_string()),
            ("size", strata_zfs::size::human_size(self.size_bytes)),
            ("modified", self.modified.clone()),
            ("snapshot", self.snapshot.clone()),
            ("path", self.path.to_string()),
        ])
    }
}

fn kind_of(m: &Metadata) -> Kind {
    let t = m.file_type();
    if t.is_symlink() {
        Kind::Symlink
    } else if t.is_dir() {
        Kind::Directory
    } else if t.is_file() {
        Kind::File
    } else if t.is_socket() {
        Kind::Socket
    } else if t.is_fifo() {
        Kind::Fifo
    } else if t.is_block_device() {
        Kind::Block
    } else if t.is_char_device() {
        Kind::Char
    } else {
        Kind::Unknown
    }
}

fn mtime(m: &Metadata) -> String {
    rfc3339_nanos(m.mtime(), u32::try_from(m.mtime_nsec()).unwrap_or(0)).unwrap_or_default()
}

fn version_key(m: &Metadata) -> (u64, i64, i64) {
    (m.size(), m.mtime(), m.mtime_nsec())
}

/// The snapshots of the filesystem, oldest first.
fn snapshots(ctx: &Ctx, dataset: &str) -> Result<Vec<SnapshotRecord>> {
    let cmd = list_command(&[dataset.to_string()], false);
    let out = ctx.runner.run(&cmd).with_context(|| format!("cannot list the snapshots of {dataset}"))?;
    let mut v = parse_list(&out.stdout)?;
    v.retain(|s| s.dataset == dataset);
    Ok(v)
}

/// `lstat`, with "not there" as `None` and any other failure as an error naming the path.
fn lstat(p: &Path) -> Result<Option<Metadata>> {
    match std::fs::symlink_metadata(p) {
        Ok(m) => Ok(Some(m)),
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
    }
}

struct Version {
    key: (u64, i64, i64),
    snapshot: Option<String>,
    snapshot_path: Option<PathBuf>,
    meta: Metadata,
    live: bool,
}

pub fn versions(a: &VersionsArgs, ctx: &mut Ctx) -> Result<Outcome> {
    let mounts = mounts::table()?;
    let mut located = Vec::new();
    for p in &a.paths {
        located.push(mounts::locate_in(&mounts, p)?);
    }
    let mut missing = 0usize;
    let mut listed: Vec<(String, Vec<SnapshotRecord>)> = Vec::new();
    for l in &located {
        if !listed.iter().any(|(d, _)| *d == l.mount.dataset) {
            listed.push((l.mount.dataset.clone(), snapshots(ctx, &l.mount.dataset)?));
        }
        let snaps = listed.iter().find(|(d, _)| *d == l.mount.dataset).map(|(_, s)| s.as_slice()).unwrap_or(&[]);
        let found = versions_of(l, snaps)?;
        if found.is_empty() {
            missing += 1;
            ctx.info(format!("{}: no version, live or in a snapshot", l.path.display()));
        }
        let (path, path_bytes) = text_of(l.path.as_os_str().as_bytes());
        for v in &found {
            let (sp, sp_bytes) = match &v.snapshot_path {
                Some(p) => {
                    let (t, b) = text_of(p.as_os_str().as_bytes());
                    (Some(t), b)
                }
                None => (None, None),
            };
            ctx.out.write(&VersionRecord {
                r#type: "version",
                path: path.clone(),
                path_bytes: path_bytes.clone(),
                snapshot: v.snapshot.clone(),
                snapshot_path: sp,
                snapshot_path_bytes: sp_bytes,
                size_bytes: v.key.0,
                modified: mtime(&v.meta),
                live: v.live,
            })?;
        }
    }
    Ok(Outcome::negative_if(missing > 0))
}

fn versions_of(l: &Located, snaps: &[SnapshotRecord]) -> Result<Vec<Version>> {
    let mut found: Vec<Version> = Vec::new();
    if l.rel.as_os_str().is_empty() {
        bail!("{} is the mountpoint of {}: versions are of files", l.path.display(), l.mount.dataset);
    }
    for s in snaps {
        let p = snapshot_path(&l.mount, &s.name, &l.rel);
        let Some(m) = lstat(&p)? else { continue };
        if m.is_dir() {
            continue;
        }
        let key = version_key(&m);
        if found.iter().any(|v| v.key == key) {
            continue;
        }
        found.push(Version { key, snapshot: Some(s.snapshot.clone()), snapshot_path: Some(p), meta: m, live: false });
    }
    if let Some(m) = lstat(&l.path)? {
        if m.is_dir() {
            bail!("{} is a directory: versions are of files (see deleted DIR)", l.path.display());
        }
        let key = version_key(&m);
        match found.iter_mut().find(|v| v.key == key) {
            Some(v) => v.live = true,
            None => found.push(Version { key, snapshot: None, snapshot_path: None, meta: m, live: true }),
        }
    }
    Ok(found)
}

/// `deleted DIR`: on a terminal, a bar on stderr counts the snapshots read (newest first).
pub fn deleted(a: &DeletedArgs, ctx: &mut Ctx) -> Result<Outcome> {
    let l = mounts::locate(&a.dir)?;
    deleted_in(a, ctx, &l, |ctx, total| Progress::for_ctx(ctx, total, "snapshots"))
}

/// [`deleted`] of a located directory, with the progress bar `progress` makes for the number of
/// snapshots to read.
pub(crate) fn deleted_in(
    a: &DeletedArgs,
    ctx: &mut Ctx,
    l: &Located,
    progress: impl FnOnce(&Ctx, u64) -> Progress,
) -> Result<Outcome> {
    match lstat(&l.path)? {
        Some(m) if m.is_dir() => {}
        Some(_) => bail!("{} is not a directory", l.path.display()),
        None => bail!("{}: no such directory in the live filesystem", l.path.display()),
    }
    let snaps = snapshots(ctx, &l.mount.dataset)?;
    let bar = progress(ctx, snaps.len() as u64);
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut count = 0u64;
    for s in snaps.iter().rev() {
        bar.set_message(format!("{}, {} deleted found", for_terminal(&s.name), count));
        let root = snapshot_path(&l.mount, &s.name, &l.rel);
        if lstat(&root)?.is_none_or(|m| !m.is_dir()) {
            bar.inc(1);
            continue;
        }
        let mut stack: Vec<PathBuf> = vec![PathBuf::new()];
        while let Some(sub) = stack.pop() {
            let dir = if sub.as_os_str().is_empty() { root.clone() } else { root.join(&sub) };
            let mut names: Vec<_> = std::fs::read_dir(&dir)
                .with_context(|| format!("cannot read {}", dir.display()))?
                .map(|e| e.map(|e| e.file_name()))
                .collect::<Result<_, _>>()
                .with_context(|| format!("cannot read {}", dir.display()))?;
            names.sort();
            let mut subdirs = Vec::new();
            for name in names {
                let rel = sub.join(&name);
                let live = l.path.join(&rel);
                let snap_path = root.join(&rel);
                let Some(sm) = lstat(&snap_path)? else { continue };
                match lstat(&live)? {
                    None => {
                        if !seen.insert(rel.clone()) {
                            continue;
                        }
                        count += 1;
                        let (path, path_bytes) = text_of(live.as_os_str().as_bytes());
                        let (sp, sp_bytes) = text_of(snap_path.as_os_str().as_bytes());
                        ctx.out.write(&DeletedRecord {
                            r#type: "deleted",
                            path,
                            path_bytes,
                            kind: kind_of(&sm),
                            size_bytes: sm.size(),
                            modified: mtime(&sm),
                            snapshot: s.snapshot.clone(),
                            snapshot_path: sp,
                            snapshot_path_bytes: sp_bytes,
                        })?;
                    }
                    Some(lm) => {
                        if a.recursive && sm.is_dir() && lm.is_dir() {
                            subdirs.push(rel);
                        }
                    }
                }
            }
            stack.extend(subdirs.into_iter().rev());
        }
        bar.inc(1);
    }
    Ok(Outcome::negative_if(count > 0))
}
