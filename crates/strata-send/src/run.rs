//! A run: the sends the command line (or standard input) asks for, each planned from both sides'
//! listings, carried out through [`crate::pipe`], and followed by the source's bookmark.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use strata_core::exit::{self, ExitError};
use strata_core::output::{Format, Sink};
use strata_core::runner::{Cmd, Output, RunError};
use strata_core::{Ctx, Outcome};
use strata_zfs::send::{self as zsend, Kind, Listed, Listing, RecvOptions, Stream};

use crate::endpoint::{Host, Location, Ssh};
use crate::pipe::{self, Dest, PipeError, Progress};
use crate::plan::{self, Mode, TargetState, Wanted};
use crate::{Cli, ProgressArg, SendRecord};

/// One send of a run: a source dataset (and maybe its snapshot) to a target dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub source: Location,
    pub target: Location,
}

/// The prefix of the bookmark a send leaves on the source for a target.
pub const BOOKMARK_PREFIX: &str = "strata-send-";

/// A short, stable hash of a target as typed (`host:pool/ds`): FNV-1a, 48 bits in hex.
pub fn short_hash(target: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in target.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:012x}", h >> 16)
}

/// The bookmark a send to `target` leaves on `source_ds`.
pub fn bookmark_name(source_ds: &str, target: &str) -> String {
    format!("{source_ds}#{BOOKMARK_PREFIX}{}", short_hash(target))
}

fn usage(msg: impl Into<String>) -> anyhow::Error {
    ExitError::usage(msg).into()
}

pub fn run(cli: &Cli, ctx: &mut Ctx) -> Result<Outcome> {
    if let (Some(c), Some(to)) = (&cli.confirm, &cli.to) {
        let t = Location::target(to).map_err(|e| usage(e.to_string()))?;
        if *c != t.dataset && *c != t.dataset_display() {
            return Err(usage(format!(
                "--confirm={c} does not name the target dataset {}; nothing was changed",
                t.dataset
            )));
        }
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&interrupted)).context("cannot watch for interruptions")?;
    }
    let ssh = Ssh { options: cli.ssh_options.clone() };
    if let Some(path) = &cli.to_file {
        return to_file(cli, ctx, &ssh, path, &interrupted);
    }
    if cli.policy {
        let planned = crate::policy::plan(cli, ctx)?;
        return run_jobs(cli, ctx, &ssh, &planned.jobs, &planned.refused, &interrupted);
    }
    let to = cli.to.as_deref().ok_or_else(|| usage("give --to TARGET or --to-file PATH"))?;
    let target = Location::target(to).map_err(|e| usage(e.to_string()))?;
    let jobs = jobs(cli, ctx, &ssh, &target)?;
    run_jobs(cli, ctx, &ssh, &jobs, &[], &interrupted)
}

/// Every job, each on its own: one that fails is named and the others go on (one alone fails the
/// run at once); `refused` are datasets already turned down, named and counted as failed.
fn run_jobs(
    cli: &Cli,
    ctx: &mut Ctx,
    ssh: &Ssh,
    jobs: &[Job],
    refused: &[(String, String)],
    interrupted: &AtomicBool,
) -> Result<Outcome> {
    for (ds, why) in refused {
        ctx.error(format!("{ds}: not sent: {why}"));
    }
    let many = jobs.len() + refused.len() > 1;
    let mut failed = refused.len();
    let mut last_err = None;
    for job in jobs {
        match send_job(cli, ctx, ssh, job, interrupted) {
            Ok(()) => {}
            Err(e) if exit::code_of(&e) == exit::INTERRUPTED || !many => return Err(e),
            Err(e) => {
                ctx.error(format!("{} -> {}: {e:#}", job.source, job.target.dataset_display()));
                failed += 1;
                last_err = Some(e);
            }
        }
    }
    let total = jobs.len() + refused.len();
    match last_err {
        Some(e) if exit::code_of(&e) == exit::LOCKED => Err(e),
        _ if failed == 0 => Ok(Outcome::Success),
        _ => Err(usage(format!("{failed} of {total} sends failed or were refused (see above); the others are done"))),
    }
}

/// The sends asked for: SOURCE alone, its descendants with -r, or one per dataset of the records
/// on standard input.
fn jobs(cli: &Cli, ctx: &Ctx, ssh: &Ssh, target: &Location) -> Result<Vec<Job>> {
    let Some(src) = cli.source()? else {
        if ctx.stdin_is_terminal {
            return Err(usage("no SOURCE given and no snapshot records on standard input"));
        }
        if cli.recursive {
            return Err(usage("-r needs a SOURCE (records on standard input already name each dataset)"));
        }
        let records = strata_core::input::stdin_records::<strata_zfs::snapshot::SnapshotInput>()?;
        return jobs_from_records(records.map(|r| r.map_err(anyhow::Error::from)), target);
    };
    let source = Location::source(src).map_err(|e| usage(e.to_string()))?;
    if !cli.recursive {
        return Ok(vec![Job { source, target: target.clone() }]);
    }
    let cmd = at(ssh, source.host.as_ref(), strata_zfs::listing::tree_command(std::slice::from_ref(&source.dataset)))?;
    let out = ctx.runner.run(&cmd).map_err(|e| side_error(e, &source))?;
    let mut v = Vec::new();
    for ds in strata_zfs::listing::parse_names(&out.stdout) {
        let Some(rel) = ds.strip_prefix(&source.dataset).filter(|r| r.is_empty() || r.starts_with('/')) else {
            continue;
        };
        v.push(Job {
            source: Location { host: source.host.clone(), dataset: ds.clone(), snapshot: source.snapshot.clone() },
            target: Location { host: target.host.clone(), dataset: format!("{}{rel}", target.dataset), snapshot: None },
        });
    }
    Ok(v)
}

/// One send per dataset of the records (its newest listed snapshot), each mapped under `target`
/// by its name relative to the datasets' common parent.
pub fn jobs_from_records(
    records: impl Iterator<Item = Result<strata_zfs::snapshot::SnapshotInput>>,
    target: &Location,
) -> Result<Vec<Job>> {
    let mut newest: BTreeMap<String, (Option<u64>, i64, String)> = BTreeMap::new();
    for r in records {
        let r = r?.into_record().map_err(|e| usage(e.to_string()))?;
        let key = (r.createtxg, r.created_unix, r.name.clone());
        let slot = newest.entry(r.dataset.clone()).or_insert_with(|| key.clone());
        if (key.0, key.1) > (slot.0, slot.1) {
            *slot = key;
        }
    }
    if newest.is_empty() {
        return Err(usage("no snapshot records on standard input"));
    }
    let names: Vec<&str> = newest.keys().map(String::as_str).collect();
    let root = common_parent(&names)
        .ok_or_else(|| usage("the records name datasets of several pools; send each pool on its own"))?;
    Ok(newest
        .into_iter()
        .map(|(ds, (_, _, snap))| {
            let rel = &ds[root.len()..];
            Job {
                source: Location { host: None, dataset: ds.clone(), snapshot: Some(snap) },
                target: Location {
                    host: target.host.clone(),
                    dataset: format!("{}{rel}", target.dataset),
                    snapshot: None,
                },
            }
        })
        .collect())
}

/// The longest dataset name that is, or is a parent of, every one of `names` (by components).
fn common_parent(names: &[&str]) -> Option<String> {
    let mut parts: Vec<&str> = names.first()?.split('/').collect();
    for n in &names[1..] {
        let p: Vec<&str> = n.split('/').collect();
        let same = parts.iter().zip(&p).take_while(|(a, b)| a == b).count();
        parts.truncate(same);
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn at(ssh: &Ssh, host: Option<&Host>, cmd: Cmd) -> Result<Cmd> {
    ssh.at(host, cmd).map_err(|e| usage(e.to_string()))
}

/// A failed command of one side, named after its host when it ran through ssh.
fn side_error(e: RunError, loc: &Location) -> anyhow::Error {
    let code_255 = matches!(&e, RunError::Failed { code: Some(255), .. });
    match (&loc.host, code_255) {
        (Some(h), true) => anyhow::Error::new(e).context(format!("ssh to {} failed", h.0)),
        (Some(h), false) => anyhow::Error::new(e).context(format!("on {}", h.0)),
        (None, _) => e.into(),
    }
}

/// One side's dataset: its snapshots and bookmarks, encryption and resume token.
fn list(ctx: &Ctx, ssh: &Ssh, loc: &Location) -> Result<Listing> {
    let cmd = at(ssh, loc.host.as_ref(), zsend::guid_list_command(&loc.dataset))?;
    let out = ctx.runner.run(&cmd).map_err(|e| side_error(e, loc))?;
    Ok(zsend::parse_guid_list(&out.stdout, &loc.dataset)?)
}

/// Both sides' listings, side by side (over ssh, one round trip instead of two).
fn list_both(ctx: &Ctx, ssh: &Ssh, src: &Location, tgt: &Location) -> Result<(Listing, TargetState)> {
    let src_cmd = at(ssh, src.host.as_ref(), zsend::guid_list_command(&src.dataset))?;
    let tgt_cmd = at(ssh, tgt.host.as_ref(), zsend::guid_list_command(&tgt.dataset))?;
    let mut outs = ctx.runner.outputs(&[&src_cmd, &tgt_cmd]).into_iter();
    let (src_out, tgt_out) = (outs.next().context("no listing")?, outs.next().context("no listing")?);
    let src_out = src_out.and_then(|o| if o.success() { Ok(o) } else { Err(RunError::failed(&src_cmd, &o)) });
    let source = zsend::parse_guid_list(&src_out.map_err(|e| side_error(e, src))?.stdout, &src.dataset)?;
    let state = target_state_of(ctx, ssh, tgt, &tgt_cmd, tgt_out.map_err(|e| side_error(e, tgt))?)?;
    Ok((source, state))
}

/// The target as it is: missing (its parent exists), or its snapshots and resume token.
fn target_state(ctx: &Ctx, ssh: &Ssh, t: &Location) -> Result<TargetState> {
    let cmd = at(ssh, t.host.as_ref(), zsend::guid_list_command(&t.dataset))?;
    let out = ctx.runner.output(&cmd).map_err(|e| side_error(e, t))?;
    target_state_of(ctx, ssh, t, &cmd, out)
}

/// [`target_state`] from the target's listing `out` (by `cmd`), whatever its exit.
fn target_state_of(ctx: &Ctx, ssh: &Ssh, t: &Location, cmd: &Cmd, out: Output) -> Result<TargetState> {
    if out.success() {
        let listing = zsend::parse_guid_list(&out.stdout, &t.dataset)?;
        let snapshots = listing.entries.into_iter().filter(|e| e.kind == Kind::Snapshot).collect();
        return Ok(TargetState::Present { snapshots, token: listing.token });
    }
    let listing_failed = || side_error(RunError::failed(cmd, &out), t);
    if t.host.is_some() && out.code == Some(255) {
        return Err(listing_failed());
    }
    // Tell a missing target from a listing that failed by its parent's children, not by zfs's words.
    let Some((parent, _)) = t.dataset.rsplit_once('/') else {
        return Err(listing_failed());
    };
    let kids = at(ssh, t.host.as_ref(), zsend::children_command(parent))?;
    let kids_out = ctx.runner.output(&kids).map_err(|e| side_error(e, t))?;
    if !kids_out.success() {
        return Err(side_error(RunError::failed(&kids, &kids_out), t).context(format!(
            "the target's parent {}{parent} cannot be listed; a receive needs it to exist",
            t.prefix()
        )));
    }
    if strata_zfs::listing::parse_names(&kids_out.stdout).contains(&t.dataset) {
        return Err(listing_failed());
    }
    Ok(TargetState::Missing)
}

/// Whether to send raw: `--raw`, `--no-raw`, else when the source is encrypted.
fn raw(cli: &Cli, source: &Listing) -> bool {
    if cli.raw || cli.no_raw {
        return cli.raw;
    }
    source.encryption.as_deref().is_some_and(|e| e != "off")
}

fn progress(cli: &Cli, ctx: &Ctx, total: Option<u64>) -> Progress {
    match cli.progress {
        ProgressArg::None => Progress::None,
        ProgressArg::Auto if !ctx.stderr_is_terminal || ctx.quiet => Progress::None,
        ProgressArg::Auto | ProgressArg::Bar => Progress::bar(total),
        ProgressArg::Json => Progress::Json { total, last: None },
    }
}

/// `--dry-run`'s size of the stream: `zfs send -n -P` on its side. (A real send has its size
/// from the send itself, see [`pipe::Transfer::send`].)
fn estimate(ctx: &Ctx, ssh: &Ssh, src: &Location, stream: &Stream, raw: bool) -> Result<Option<u64>> {
    let cmd = at(ssh, src.host.as_ref(), zsend::estimate_command(stream, raw))?;
    let out = ctx.runner.run(&cmd).map_err(|e| side_error(e, src))?;
    Ok(zsend::parse_estimate(&out.stdout))
}

fn transfer_job<'a>(cli: &Cli, ctx: &Ctx, send: &'a Cmd) -> pipe::Transfer<'a> {
    pipe::Transfer { send, rate: cli.rate_limit, log: ctx.runner.command_log() }
}

fn write_record(ctx: &mut Ctx, rec: &SendRecord, on_stderr: bool) -> Result<()> {
    ctx.debug(format!(
        "{} {} -> {}: {} bytes in {:.1} s",
        serde_json::to_value(rec.mode)?.as_str().unwrap_or_default(),
        rec.source,
        rec.target,
        rec.bytes,
        rec.seconds
    ));
    if !ctx.format_given {
        return Ok(());
    }
    if on_stderr {
        let mut sink = Sink::new(Box::new(std::io::stderr()), Format::Json, false);
        sink.write(rec)?;
        sink.finish()?;
    } else {
        ctx.out.write(rec)?;
    }
    Ok(())
}

/// What an interruption leaves and how to go on.
fn interrupted_error(bytes: u64, target: &str) -> anyhow::Error {
    ExitError::new(
        exit::INTERRUPTED,
        format!(
            "interrupted after {bytes} bytes; the partial receive is kept on {target}: run the same command again to \
             resume it (or add --abort-resume to discard it)"
        ),
    )
    .into()
}

fn send_job(cli: &Cli, ctx: &mut Ctx, ssh: &Ssh, job: &Job, interrupted: &AtomicBool) -> Result<()> {
    let target_name = job.target.dataset_display();
    let _lock = if ctx.dry_run() {
        None
    } else {
        let path = strata_core::lock::default_path(&format!("strata-send-{}", short_hash(&target_name)));
        Some(strata_core::lock::acquire(&path).with_context(|| format!("a send to {target_name} is running"))?)
    };
    // A resume finishes the interrupted send; the next round sends what is newer.
    for _ in 0..2 {
        let resumed = send_round(cli, ctx, ssh, job, &target_name, interrupted)?;
        if !resumed || ctx.dry_run() {
            break;
        }
    }
    Ok(())
}

/// Plans and sends once; true when that was a resume.
fn send_round(
    cli: &Cli,
    ctx: &mut Ctx,
    ssh: &Ssh,
    job: &Job,
    target_name: &str,
    interrupted: &AtomicBool,
) -> Result<bool> {
    let (src, tgt) = (&job.source, &job.target);
    let (listing, mut state) = list_both(ctx, ssh, src, tgt)?;
    let source = &listing.entries;
    if cli.abort_resume
        && let TargetState::Present { snapshots, token: Some(_) } = &state
    {
        let abort = at(ssh, tgt.host.as_ref(), zsend::recv_abort_command(&tgt.dataset))?;
        ctx.runner.run(&abort).map_err(|e| side_error(e, tgt))?;
        ctx.info(format!("discarded the partial receive on {target_name}"));
        state = if ctx.dry_run() {
            // What `zfs recv -A` leaves: a dataset the receive was creating goes with it.
            if snapshots.is_empty() {
                TargetState::Missing
            } else {
                TargetState::Present { snapshots: snapshots.clone(), token: None }
            }
        } else {
            target_state(ctx, ssh, tgt)?
        };
    }
    let want = Wanted { snapshot: src.snapshot.as_deref(), intermediates: !cli.no_intermediates, force: cli.force };
    let p = plan::decide(&src.dataset, source, target_name, &state, want).map_err(|r| usage(r.to_string()))?;
    let record = |bytes: u64, seconds: f64| SendRecord {
        r#type: "send",
        source: format!("{}{}", src.prefix(), p.snapshot),
        from: p.from.as_ref().map(|f| format!("{}{f}", src.prefix())),
        target: target_name.to_string(),
        mode: p.mode,
        bytes,
        seconds,
        dry_run: ctx.dry_run(),
    };
    let Some(stream) = &p.stream else {
        let rec = record(0, 0.0);
        if !ctx.dry_run() {
            remember(ctx, src, &rec, &p.snapshot);
        }
        write_record(ctx, &rec, false)?;
        return Ok(false);
    };
    let raw = match stream {
        Stream::Resume { .. } => false,
        _ => raw(cli, &listing),
    };
    // A dataset this receive creates: missing, or being created by the interrupted receive (it has
    // no snapshot yet; `-o` takes effect when a receive ends, so the resume gives it again).
    let new = match &state {
        TargetState::Missing => true,
        TargetState::Present { snapshots, .. } => p.mode == Mode::Resume && snapshots.is_empty(),
    };
    let opts = RecvOptions { force: p.force, unmounted: !cli.writable, readonly: new && !cli.writable };
    if p.force {
        refuse_held(ctx, ssh, tgt, &state, source, p.from.as_deref())?;
    }
    let send = at(ssh, src.host.as_ref(), zsend::send_command(stream, raw))?;
    let recv = at(ssh, tgt.host.as_ref(), zsend::recv_command(&tgt.dataset, opts))?;
    let sent = if ctx.dry_run() {
        let total = estimate(ctx, ssh, src, stream, raw)?;
        ctx.runner.show_change(&send.display())?;
        ctx.runner.show_change(&recv.display())?;
        (total.unwrap_or(0), 0.0)
    } else {
        let mut prog = progress(cli, ctx, None);
        let job = transfer_job(cli, ctx, &send);
        match pipe::transfer(&job, Dest::Command(&recv), &mut prog, interrupted) {
            Ok(t) => (t.bytes, t.seconds),
            Err(PipeError::Interrupted { bytes }) => return Err(interrupted_error(bytes, target_name)),
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "cannot send {}{} to {target_name}; nothing was destroyed{}",
                    src.prefix(),
                    p.snapshot,
                    if p.force { "" } else { " and the receive is resumable" }
                )));
            }
        }
    };
    bookmark(ctx, ssh, src, source, &p.snapshot, target_name)?;
    let rec = record(sent.0, sent.1);
    if !ctx.dry_run() {
        remember(ctx, src, &rec, &p.snapshot);
    }
    write_record(ctx, &rec, false)?;
    Ok(p.mode == Mode::Resume)
}

/// Records a success for `strata send check`; a state directory that cannot be written is said
/// on stderr (with `-v` only when it is the default one and does not exist: not every user of
/// strata-send runs it as a service), and the send still counts.
fn remember(ctx: &Ctx, src: &Location, rec: &SendRecord, snapshot: &str) {
    let dir = crate::state::dir();
    let state = crate::state::SendState {
        r#type: "send_state".into(),
        source: format!("{}{}", src.prefix(), src.dataset),
        target: rec.target.clone(),
        snapshot: snapshot.to_string(),
        bookmark: format!("{}{}", src.prefix(), bookmark_name(&src.dataset, &rec.target)),
        mode: rec.mode,
        bytes: rec.bytes,
        finished_unix: ctx.clock.now().as_second(),
    };
    match crate::state::save(&dir, &state) {
        Ok(p) => ctx.debug(format!("recorded in {}", p.display())),
        Err(e) if dir == std::path::Path::new(crate::state::DEFAULT_DIR) && !dir.exists() => {
            ctx.debug(format!("not recorded for send check: {e:#}"))
        }
        Err(e) => ctx.info(format!("the send is done but not recorded for send check: {e:#}")),
    }
}

/// Before `zfs recv -F`: names what it will destroy (the target's snapshots newer than the base),
/// and refuses, nothing changed, when one of them is held (the receive would fail on it).
fn refuse_held(
    ctx: &Ctx,
    ssh: &Ssh,
    tgt: &Location,
    state: &TargetState,
    source: &[Listed],
    from: Option<&str>,
) -> Result<()> {
    let TargetState::Present { snapshots, .. } = state else {
        return Ok(());
    };
    let base_guid = from.and_then(|f| source.iter().find(|e| e.name == f)).map(|e| e.guid);
    let base_txg = base_guid.and_then(|g| snapshots.iter().find(|t| t.guid == g)).map_or(0, |t| t.createtxg);
    let doomed: Vec<&str> = snapshots.iter().filter(|t| t.createtxg > base_txg).map(|t| t.name.as_str()).collect();
    if doomed.is_empty() {
        return Ok(());
    }
    let cmd = at(ssh, tgt.host.as_ref(), zsend::holds_command(&tgt.dataset))?;
    let out = ctx.runner.run(&cmd).map_err(|e| side_error(e, tgt))?;
    let held: Vec<String> = zsend::parse_held(&out.stdout)?
        .into_iter()
        .filter(|(n, _)| doomed.contains(&n.as_str()))
        .map(|(n, k)| format!("{}{n} ({k} hold{})", tgt.prefix(), if k == 1 { "" } else { "s" }))
        .collect();
    if !held.is_empty() {
        return Err(usage(format!(
            "--force would destroy held snapshots of the target: {}; zfs recv -F fails on a held snapshot (dataset \
             is busy). Nothing was changed; release the holds (zfs holds, zfs release) first",
            held.join(", ")
        )));
    }
    ctx.info(format!("--force: destroying on the target: {}", doomed.join(", ")));
    Ok(())
}

/// Leaves `DATASET#strata-send-HASH` on the source at the sent snapshot, replacing the previous one.
fn bookmark(ctx: &Ctx, ssh: &Ssh, src: &Location, listed: &[Listed], snapshot: &str, target: &str) -> Result<()> {
    let name = bookmark_name(&src.dataset, target);
    let guid = listed.iter().find(|e| e.name == snapshot).map(|e| e.guid);
    let old = listed.iter().find(|e| e.name == name);
    if old.is_some_and(|o| Some(o.guid) == guid) {
        return Ok(());
    }
    if old.is_some() {
        let cmd = at(ssh, src.host.as_ref(), zsend::destroy_bookmark_command(&name))?;
        ctx.runner.run(&cmd).map_err(|e| side_error(e, src)).context("cannot replace the send bookmark")?;
    }
    let cmd = at(ssh, src.host.as_ref(), zsend::bookmark_command(snapshot, &name))?;
    ctx.runner.run(&cmd).map_err(|e| side_error(e, src)).context("sent, but cannot leave the send bookmark")?;
    Ok(())
}

/// `--to-file PATH` (or `-`): the full stream of the snapshot.
fn to_file(cli: &Cli, ctx: &mut Ctx, ssh: &Ssh, path: &Path, interrupted: &AtomicBool) -> Result<Outcome> {
    let src_arg = cli.source()?.ok_or_else(|| usage("--to-file needs a SOURCE snapshot"))?;
    let src = Location::source(src_arg).map_err(|e| usage(e.to_string()))?;
    let to_stdout = path == Path::new("-");
    if to_stdout && std::io::stdout().is_terminal() && !ctx.dry_run() {
        return Err(usage("refusing to write a ZFS stream to a terminal; redirect standard output"));
    }
    let listing = list(ctx, ssh, &src)?;
    let want = Wanted { snapshot: src.snapshot.as_deref(), intermediates: false, force: false };
    let p = plan::decide(&src.dataset, &listing.entries, "", &TargetState::Missing, want)
        .map_err(|r| usage(r.to_string()))?;
    let stream = p.stream.as_ref().ok_or_else(|| usage("nothing to send"))?;
    let raw = raw(cli, &listing);
    let send = at(ssh, src.host.as_ref(), zsend::send_command(stream, raw))?;
    let job = transfer_job(cli, ctx, &send);
    let shown = if to_stdout { "standard output".to_string() } else { path.display().to_string() };
    let (bytes, seconds) = if ctx.dry_run() {
        let total = estimate(ctx, ssh, &src, stream, raw)?;
        ctx.runner.show_change(&send.display())?;
        ctx.runner.show_change(&format!("write {shown}"))?;
        (total.unwrap_or(0), 0.0)
    } else if to_stdout {
        let mut out = stdout_file()?;
        let mut prog = progress(cli, ctx, None);
        let t =
            pipe::transfer(&job, Dest::Writer(&mut out), &mut prog, interrupted).map_err(|e| file_error(e, &shown))?;
        (t.bytes, t.seconds)
    } else {
        let mut file = PartFile::create(path)?;
        let mut prog = progress(cli, ctx, None);
        let t = pipe::transfer(&job, Dest::Writer(file.file()), &mut prog, interrupted)
            .map_err(|e| file_error(e, &shown))?;
        file.commit()?;
        (t.bytes, t.seconds)
    };
    let rec = SendRecord {
        r#type: "send",
        source: format!("{}{}", src.prefix(), p.snapshot),
        from: None,
        target: if to_stdout { "-".into() } else { path.display().to_string() },
        mode: Mode::Full,
        bytes,
        seconds,
        dry_run: ctx.dry_run(),
    };
    write_record(ctx, &rec, to_stdout)?;
    Ok(Outcome::Success)
}

fn file_error(e: PipeError, shown: &str) -> anyhow::Error {
    if let PipeError::Interrupted { bytes } = e {
        return ExitError::new(exit::INTERRUPTED, format!("interrupted after {bytes} bytes; {shown} was not written"))
            .into();
    }
    anyhow::Error::new(e).context(format!("cannot write the stream to {shown}; it was not written"))
}

/// Standard output as a file of its own (the stream's bytes bypass the record sink).
fn stdout_file() -> Result<std::fs::File> {
    use std::os::fd::AsFd;
    let fd = std::io::stdout().as_fd().try_clone_to_owned().context("cannot use standard output")?;
    Ok(std::fs::File::from(fd))
}

/// A file written under a temporary name in its directory, renamed over the name when complete
/// and removed otherwise.
struct PartFile {
    tmp: PathBuf,
    path: PathBuf,
    file: std::fs::File,
    committed: bool,
}

impl PartFile {
    fn create(path: &Path) -> Result<PartFile> {
        use std::hash::{BuildHasher, RandomState};
        let name = path.file_name().ok_or_else(|| usage(format!("--to-file {}: not a file name", path.display())))?;
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let keys = RandomState::new();
        for attempt in 0..16u32 {
            let mut n = std::ffi::OsString::from(".");
            n.push(name);
            n.push(format!(".{:016x}.part", keys.hash_one(attempt)));
            let tmp = dir.join(&n);
            let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW;
            match strata_core::fs::open_at(None, tmp.as_os_str(), flags, 0o600) {
                Ok(fd) => return Ok(PartFile { tmp, path: path.to_path_buf(), file: fd.into(), committed: false }),
                Err(e) if e.raw_os_error() == Some(libc::EEXIST) => continue,
                Err(e) => return Err(usage(format!("cannot create a file in {}: {e}", dir.display()))),
            }
        }
        Err(usage(format!("no free temporary name in {}", dir.display())))
    }

    fn file(&mut self) -> &mut dyn Write {
        &mut self.file
    }

    fn commit(&mut self) -> Result<()> {
        self.file.sync_all().with_context(|| format!("cannot sync {}", self.tmp.display()))?;
        std::fs::rename(&self.tmp, &self.path)
            .with_context(|| format!("cannot rename {} to {}", self.tmp.display(), self.path.display()))?;
        self.committed = true;
        let dir = self.path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use strata_core::runner::{FakeRunner, Output};

    fn ctx(fake: FakeRunner) -> Ctx {
        let clock = Box::new(strata_core::clock::SystemClock);
        Ctx::for_test(Box::new(fake), clock, Box::new(Vec::new()), Format::Json)
    }

    fn argv(c: Cmd) -> Vec<String> {
        c.argv_strings()
    }

    #[test]
    fn a_missing_target_is_told_by_its_parent_listing_not_by_zfs_words() {
        let t = Location::target("backup/a b").unwrap();
        let fake = FakeRunner::new()
            .expect(&argv(zsend::guid_list_command("backup/a b")), Output::failed(1, "any words\n"))
            .expect(&argv(zsend::children_command("backup")), Output::ok("backup\nbackup/other\n"));
        assert_eq!(target_state(&ctx(fake), &Ssh::default(), &t).unwrap(), TargetState::Missing);
        // Listed by its parent but not listable itself: an error with zfs's words, never "missing".
        let fake = FakeRunner::new()
            .expect(&argv(zsend::guid_list_command("backup/a b")), Output::failed(1, "permission denied\n"))
            .expect(&argv(zsend::children_command("backup")), Output::ok("backup\nbackup/a b\n"));
        let e = target_state(&ctx(fake), &Ssh::default(), &t).unwrap_err();
        assert!(format!("{e:#}").contains("permission denied"), "{e:#}");
        // No parent: a receive could not create the target.
        let fake = FakeRunner::new()
            .expect(&argv(zsend::guid_list_command("backup/a b")), Output::failed(1, ""))
            .expect(&argv(zsend::children_command("backup")), Output::failed(1, "no such pool\n"));
        let e = target_state(&ctx(fake), &Ssh::default(), &t).unwrap_err();
        assert!(format!("{e:#}").contains("the target's parent backup cannot be listed"), "{e:#}");
    }

    #[test]
    fn a_present_target_is_read_with_its_token_and_over_ssh_the_host_is_named() {
        let ssh = Ssh { options: vec![] };
        let t = Location::target("u@h:backup/a").unwrap();
        let host = Some(Host("u@h".into()));
        let list = ssh.at(host.as_ref(), zsend::guid_list_command("backup/a")).unwrap();
        assert_eq!(
            list.display(),
            "ssh -o BatchMode=yes -- u@h 'zfs list -Hp -t filesystem,volume,snapshot,bookmark -o \
             name,guid,createtxg,encryption,receive_resume_token -d 1 backup/a'"
        );
        let fake = FakeRunner::new().expect(
            &argv(list.clone()),
            Output::ok("backup/a\t1\t1\toff\t1-ab-cd-ef\nbackup/a@s1\t7\t3\toff\t-\nbackup/a#b\t7\t3\t-\t-\n"),
        );
        let state = target_state(&ctx(fake), &ssh, &t).unwrap();
        assert_eq!(
            state,
            TargetState::Present {
                snapshots: vec![Listed { name: "backup/a@s1".into(), kind: Kind::Snapshot, guid: 7, createtxg: 3 }],
                token: Some("1-ab-cd-ef".into())
            }
        );
        let fake = FakeRunner::new()
            .expect(&argv(list), Output::failed(255, "ssh: connect to host h port 22: Connection refused\n"));
        let e = target_state(&ctx(fake), &ssh, &t).unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.starts_with("ssh to u@h failed") && msg.contains("Connection refused"), "{msg}");
    }

    #[test]
    fn bookmark_names_are_stable_per_target() {
        assert_eq!(short_hash("backup:tank/a"), short_hash("backup:tank/a"));
        assert_ne!(short_hash("backup:tank/a"), short_hash("tank/a"));
        assert_eq!(short_hash("").len(), 12);
        // Stable across builds and releases: a fixed function, not std's hasher.
        // FNV-1a 64 of the bytes, its top 48 bits (computed independently).
        assert_eq!(short_hash("backup:tank/a"), "1a6b64d8cc5f");
        assert_eq!(bookmark_name("tank/a", "b/a"), format!("tank/a#strata-send-{}", short_hash("b/a")));
    }

    #[test]
    fn records_map_under_the_target_by_their_common_parent() {
        let rec = |s: &str, txg: u64| {
            Ok(serde_json::from_value::<strata_zfs::snapshot::SnapshotInput>(serde_json::json!({
                "snapshot": s, "created": "2024-01-01T00:00:00Z", "createtxg": txg
            }))
            .unwrap())
        };
        let target = Location::target("h:backup/srv").unwrap();
        let jobs = jobs_from_records(
            vec![rec("tank/srv@a", 1), rec("tank/srv/x y@a", 1), rec("tank/srv@b", 2), rec("tank/srv/x y@b0", 0)]
                .into_iter(),
            &target,
        )
        .unwrap();
        let got: Vec<(String, String)> = jobs.iter().map(|j| (j.source.to_string(), j.target.to_string())).collect();
        assert_eq!(
            got,
            [
                ("tank/srv@b".to_string(), "h:backup/srv".to_string()),
                ("tank/srv/x y@a".to_string(), "h:backup/srv/x y".to_string())
            ]
        );
        let jobs = jobs_from_records(vec![rec("tank/a/x@s", 1), rec("tank/a/y@s", 1)].into_iter(), &target).unwrap();
        assert_eq!(jobs[1].target.dataset, "backup/srv/y");
        assert!(jobs_from_records(vec![rec("tank/a@s", 1), rec("rpool/a@s", 1)].into_iter(), &target).is_err());
        assert!(jobs_from_records(std::iter::empty(), &target).is_err());
    }
}
