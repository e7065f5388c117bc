//! The data path: `zfs send` (here or over ssh) and `zfs recv` (or a file) as two children, and
//! strata between them moving the bytes (pipe to pipe with `splice(2)`, so they never pass
//! through this process's memory; read and write into a file), so it can count them, hold them
//! to a rate and show progress. Each child dies with strata (`PR_SET_PDEATHSIG`): a killed
//! strata-send never leaves a `zfs send` writing into nothing, and the receive keeps its
//! resumable state.

use std::io::{self, BufRead, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;
use strata_core::runner::{Cmd, CommandLog, Timing};
use strata_zfs::send::parse_estimate;

/// How much of a child's stderr is kept for the error message.
const STDERR_KEPT: usize = 64 * 1024;

/// The copy buffer.
const BUF: usize = 1 << 20;

/// Where the stream goes.
pub enum Dest<'a> {
    /// A receiving command (`zfs recv ...`, maybe through ssh): its stdin.
    Command(&'a Cmd),
    /// A file or standard output.
    Writer(&'a mut dyn Write),
}

/// What to run for a transfer besides its destination.
pub struct Transfer<'a> {
    /// `zfs send -P ...` (maybe through ssh): `-P` prints the stream's size on stderr before
    /// the stream (`size<TAB>BYTES`, what `zfs send -n -P` says), the progress total, with no
    /// command of its own.
    pub send: &'a Cmd,
    /// At most this many bytes a second.
    pub rate: Option<u64>,
    /// `-v`: each command and its time, as the runner says them for every other command.
    pub log: Option<CommandLog>,
}

impl Transfer<'_> {
    fn start(&self, cmd: &Cmd) -> Option<Timing> {
        self.log.as_ref().and_then(|l| l.start(cmd))
    }
}

/// Ends a command's `-v` line, with how it failed when it did.
fn done(timing: Option<Timing>, status: Option<Result<&ExitStatus, &io::Error>>) {
    if let Some(t) = timing {
        t.done(match status {
            Some(Ok(s)) if !s.success() => Some(status_text(s)),
            Some(Err(_)) => Some("cannot wait for it".to_string()),
            _ => None,
        });
    }
}

/// A transfer that ran to its end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transferred {
    pub bytes: u64,
    pub seconds: f64,
}

/// How a transfer failed. Each side's exit and the last of its stderr are kept.
#[derive(Debug, thiserror::Error)]
pub enum PipeError {
    #[error("cannot run `{cmd}`: {source}")]
    Spawn { cmd: String, source: io::Error },
    #[error("{}", describe(side, cmd, status, stderr, other))]
    Failed { side: &'static str, cmd: String, status: String, stderr: String, other: Option<String> },
    #[error("cannot write the stream after {bytes} bytes: {source}")]
    Write { bytes: u64, source: io::Error },
    #[error("cannot read the stream after {bytes} bytes: {source}")]
    Read { bytes: u64, source: io::Error },
    #[error("interrupted after {bytes} bytes")]
    Interrupted { bytes: u64 },
}

fn describe(side: &str, cmd: &str, status: &str, stderr: &str, other: &Option<String>) -> String {
    let mut s = format!("the {side} side failed ({status}): `{cmd}`");
    let e = stderr.trim();
    if !e.is_empty() {
        s.push_str(": ");
        s.push_str(e);
    }
    if let Some(o) = other {
        s.push_str("; ");
        s.push_str(o);
    }
    s
}

/// Progress as the user asked for it.
pub enum Progress {
    None,
    /// indicatif on stderr.
    Bar(indicatif::ProgressBar),
    /// `{"type":"progress",...}` lines on stderr: one at the start, at most one a second, one at
    /// the end.
    Json {
        total: Option<u64>,
        last: Option<Instant>,
    },
}

/// One line of `--progress json`.
#[derive(Debug, Serialize)]
pub struct ProgressRecord {
    pub r#type: &'static str,
    pub bytes: u64,
    pub total: Option<u64>,
    /// Bytes per second since the start.
    pub rate: u64,
}

impl Progress {
    /// A bar with the estimate as its length (a spinner with bytes when there is none).
    pub fn bar(total: Option<u64>) -> Progress {
        let bar = match total {
            Some(t) => indicatif::ProgressBar::new(t),
            None => indicatif::ProgressBar::no_length(),
        };
        let style = indicatif::ProgressStyle::with_template(
            "{bytes}/{total_bytes} {wide_bar} {binary_bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        Progress::Bar(bar)
    }

    /// The total once the estimate is in.
    fn set_total(&mut self, t: u64) {
        match self {
            Progress::None => {}
            Progress::Bar(b) => b.set_length(t),
            Progress::Json { total, .. } => *total = Some(t),
        }
    }

    fn update(&mut self, bytes: u64, elapsed: Duration, force: bool) {
        match self {
            Progress::None => {}
            Progress::Bar(b) => b.set_position(bytes),
            Progress::Json { total, last } => {
                let now = Instant::now();
                if force || last.is_none_or(|l| now.duration_since(l) >= Duration::from_secs(1)) {
                    *last = Some(now);
                    let secs = elapsed.as_secs_f64();
                    let rate = if secs > 0.0 { (bytes as f64 / secs) as u64 } else { 0 };
                    let rec = ProgressRecord { r#type: "progress", bytes, total: *total, rate };
                    if let Ok(mut line) = serde_json::to_vec(&rec) {
                        line.push(b'\n');
                        let _ = io::stderr().lock().write_all(&line);
                    }
                }
            }
        }
    }

    fn finish(&mut self, bytes: u64, elapsed: Duration) {
        self.update(bytes, elapsed, true);
        if let Progress::Bar(b) = self {
            b.finish_and_clear();
        }
    }
}

/// Spawns `cmd` so that it gets SIGKILL when strata ends, however strata ends.
pub fn spawn(cmd: &Cmd, stdin: Stdio, stdout: Stdio) -> Result<Child, PipeError> {
    let parent = std::process::id();
    let mut c = Command::new(&cmd.program);
    c.args(&cmd.args).stdin(stdin).stdout(stdout).stderr(Stdio::piped());
    // SAFETY: between fork and exec only async-signal-safe calls are made (prctl, getppid).
    unsafe {
        c.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            // strata ended before the prctl: the signal will never come, so do not run at all.
            if libc::getppid() as u32 != parent {
                return Err(io::Error::other("strata-send ended before its child started"));
            }
            Ok(())
        });
    }
    c.spawn().map_err(|source| PipeError::Spawn { cmd: cmd.display(), source })
}

/// Asks for a 1 MiB pipe buffer; the kernel's default stays when it says no.
fn grow_pipe(fd: &impl std::os::fd::AsRawFd) {
    // SAFETY: fcntl on a descriptor this process owns; failure only leaves the size as it was.
    unsafe {
        libc::fcntl(fd.as_raw_fd(), libc::F_SETPIPE_SZ, BUF as libc::c_int);
    }
}

/// Reads a child's stderr on a thread, keeping its last [`STDERR_KEPT`] bytes.
fn collect(r: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || keep_tail(r, Vec::new()))
}

/// Adds `more` to `kept`, which holds on to no more than about the last [`STDERR_KEPT`] bytes.
fn keep(kept: &mut Vec<u8>, more: &[u8]) {
    kept.extend_from_slice(more);
    if kept.len() > 2 * STDERR_KEPT {
        kept.drain(..kept.len() - STDERR_KEPT);
    }
}

/// The last [`STDERR_KEPT`] bytes of `kept`.
fn last_kept(mut kept: Vec<u8>) -> Vec<u8> {
    if kept.len() > STDERR_KEPT {
        kept.drain(..kept.len() - STDERR_KEPT);
    }
    kept
}

/// Reads `r` to its end after `kept`, returning the last [`STDERR_KEPT`] bytes of both.
fn keep_tail(mut r: impl Read, mut kept: Vec<u8>) -> Vec<u8> {
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => keep(&mut kept, &buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    last_kept(kept)
}

/// Reads the send's stderr on a thread: its `-P` header, the lines up to `size<TAB>BYTES`, sends
/// the size to `total` and is left out of what is kept for an error (a `-I` over many snapshots
/// has a line for each); the rest is kept as [`collect`] keeps it (all of it when no size line
/// comes, as then the lines are zfs's error).
fn collect_send(r: impl Read + Send + 'static, total: Sender<u64>) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut r = io::BufReader::new(r);
        let mut kept = Vec::new();
        let mut line = Vec::new();
        loop {
            line.clear();
            // A line is read at most 8 KiB at a time: a longer one is no header line.
            match r.by_ref().take(8192).read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return last_kept(kept),
                Ok(_) => {}
            }
            if line.ends_with(b"\n")
                && let Some(size) = parse_estimate(&line)
            {
                let _ = total.send(size);
                return keep_tail(r, Vec::new());
            }
            keep(&mut kept, &line);
        }
    })
}

/// Whether `fd` has something to read (or its end) within `wait`.
fn readable(fd: &impl std::os::fd::AsRawFd, wait: Duration) -> bool {
    let mut p = libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    // SAFETY: one pollfd that lives across the call.
    let n = unsafe { libc::poll(&mut p, 1, wait.as_millis().try_into().unwrap_or(libc::c_int::MAX)) };
    n > 0
}

/// The send's size from its header. zfs prints it before the stream, so it is waited for until
/// the stream's first bytes are there (then briefly, for the reading thread to pass it on) or
/// the send's stderr ends; `None` when it does not come (the total is then unknown, or set
/// later by [`late_total`]).
fn first_total(total: &Receiver<u64>, stream: &impl std::os::fd::AsRawFd, interrupted: &AtomicBool) -> Option<u64> {
    while !interrupted.load(Ordering::Relaxed) {
        match total.recv_timeout(Duration::from_millis(10)) {
            Ok(t) => return Some(t),
            Err(RecvTimeoutError::Disconnected) => return None,
            Err(RecvTimeoutError::Timeout) => {}
        }
        if readable(stream, Duration::ZERO) {
            return total.recv_timeout(Duration::from_millis(200)).ok();
        }
    }
    None
}

/// A size that came after the stream had started (over ssh the two outputs can cross); the
/// size comes once, so once taken there is nothing more to receive.
fn late_total(total: &Receiver<u64>, progress: &mut Progress) {
    if let Ok(t) = total.try_recv() {
        progress.set_total(t);
    }
}

fn status_text(s: &ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (s.code(), s.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => "ended".into(),
    }
}

/// Sleeps until `bytes` are due at `rate` bytes a second since `started`.
fn pace(bytes: u64, rate: Option<u64>, started: Instant) {
    if let Some(r) = rate.filter(|&r| r > 0) {
        let due = Duration::from_secs_f64(bytes as f64 / r as f64);
        let now = started.elapsed();
        if due > now {
            std::thread::sleep(due - now);
        }
    }
}

/// Why a `splice(2)` moved nothing.
enum Spliced {
    /// Not two pipes (or a kernel without it): copy instead.
    Unsupported,
    /// A signal came first; try again.
    Interrupted,
    /// The receiving end: closed (`BrokenPipe`) or failing.
    Write(io::Error),
    Other(io::Error),
}

/// Moves up to `len` bytes from the pipe `from` into the pipe `to`, blocking like a read;
/// `Ok(0)` is the end of the stream.
fn splice(from: &impl std::os::fd::AsRawFd, to: &impl std::os::fd::AsRawFd, len: usize) -> Result<usize, Spliced> {
    // SAFETY: two descriptors this process owns, no offsets; the kernel moves pipe pages only.
    let n = unsafe {
        libc::splice(
            from.as_raw_fd(),
            std::ptr::null_mut(),
            to.as_raw_fd(),
            std::ptr::null_mut(),
            len,
            libc::SPLICE_F_MOVE | libc::SPLICE_F_MORE,
        )
    };
    if n >= 0 {
        return Ok(n as usize);
    }
    let e = io::Error::last_os_error();
    Err(match e.raw_os_error() {
        Some(libc::EINVAL | libc::ENOSYS) => Spliced::Unsupported,
        Some(libc::EINTR) => Spliced::Interrupted,
        Some(libc::EPIPE) => Spliced::Write(e),
        _ => Spliced::Other(e),
    })
}

/// Runs the job's send into `dest`, every byte passing through this process (moved, or copied
/// into a file) at most `rate` bytes a second. Both exit statuses are checked; a failure names its side and keeps its stderr.
pub fn transfer(
    job: &Transfer<'_>,
    dest: Dest<'_>,
    progress: &mut Progress,
    interrupted: &AtomicBool,
) -> Result<Transferred, PipeError> {
    let (send, rate) = (job.send, job.rate);
    let started = Instant::now();
    let send_timing = job.start(send);
    let mut sender = spawn(send, Stdio::null(), Stdio::piped())?;
    let (total_tx, total_rx) = mpsc::channel();
    let send_err = sender.stderr.take().map(|e| collect_send(e, total_tx));
    let mut from = sender
        .stdout
        .take()
        .ok_or_else(|| PipeError::Spawn { cmd: send.display(), source: io::Error::other("no stdout") })?;
    let recv_timing = if let Dest::Command(cmd) = &dest { job.start(cmd) } else { None };
    let (mut receiver, recv_err, recv_cmd) = match &dest {
        Dest::Command(cmd) => match spawn(cmd, Stdio::piped(), Stdio::null()) {
            Ok(mut r) => {
                let e = r.stderr.take().map(collect);
                (Some(r), e, Some(cmd.display()))
            }
            Err(e) => {
                let _ = sender.kill();
                let _ = sender.wait();
                return Err(e);
            }
        },
        Dest::Writer(_) => (None, None, None),
    };
    let mut to_child = receiver.as_mut().and_then(|r| r.stdin.take());
    // Pipes of 1 MiB (the default limit for a user) instead of 64 KiB: fewer, larger copies.
    grow_pipe(&from);
    if let Some(c) = &to_child {
        grow_pipe(c);
    }
    let mut writer = match dest {
        Dest::Writer(w) => Some(w),
        Dest::Command(_) => None,
    };
    // The first progress line has the total: the size zfs prints before the stream.
    if !matches!(progress, Progress::None)
        && let Some(t) = first_total(&total_rx, &from, interrupted)
    {
        progress.set_total(t);
    }
    progress.update(0, started.elapsed(), true);
    let chunk = rate.map_or(BUF, |r| (r / 20).clamp(4096, BUF as u64) as usize);
    let mut buf = vec![0u8; chunk];
    let mut splicing = true;
    let mut bytes = 0u64;
    let mut failure: Option<PipeError> = None;
    loop {
        if interrupted.load(Ordering::Relaxed) {
            failure = Some(PipeError::Interrupted { bytes });
            break;
        }
        // Pipe to pipe, the kernel moves the pages: no copy through this process.
        if splicing && let Some(c) = &to_child {
            match splice(&from, c, chunk) {
                Ok(0) => break,
                Ok(n) => {
                    bytes += n as u64;
                    pace(bytes, rate, started);
                    late_total(&total_rx, progress);
                    progress.update(bytes, started.elapsed(), false);
                    continue;
                }
                Err(Spliced::Unsupported) if bytes == 0 => {
                    splicing = false;
                    continue;
                }
                Err(Spliced::Unsupported) => {
                    failure = Some(PipeError::Read { bytes, source: io::Error::from_raw_os_error(libc::EINVAL) });
                    break;
                }
                Err(Spliced::Interrupted) => continue,
                Err(Spliced::Write(source)) => {
                    if source.kind() != io::ErrorKind::BrokenPipe {
                        failure = Some(PipeError::Write { bytes, source });
                    }
                    break;
                }
                Err(Spliced::Other(source)) => {
                    failure = Some(PipeError::Read { bytes, source });
                    break;
                }
            }
        }
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => {
                failure = Some(PipeError::Read { bytes, source });
                break;
            }
        };
        let written = match (&mut to_child, &mut writer) {
            (Some(c), _) => c.write_all(&buf[..n]),
            (None, Some(w)) => w.write_all(&buf[..n]),
            (None, None) => Ok(()),
        };
        if let Err(source) = written {
            // A receiver that stopped reading has failed; its own status says why.
            if source.kind() != io::ErrorKind::BrokenPipe || receiver.is_none() {
                failure = Some(PipeError::Write { bytes, source });
            }
            break;
        }
        bytes += n as u64;
        pace(bytes, rate, started);
        late_total(&total_rx, progress);
        progress.update(bytes, started.elapsed(), false);
    }
    if let Some(w) = writer.as_mut()
        && failure.is_none()
        && let Err(source) = w.flush()
    {
        failure = Some(PipeError::Write { bytes, source });
    }
    if failure.is_some() {
        // Stop both sides now: a partial stream must not be taken for a whole one.
        let _ = sender.kill();
        if let Some(r) = receiver.as_mut() {
            let _ = r.kill();
        }
    }
    drop(from);
    drop(to_child);
    let send_status = sender.wait();
    done(send_timing, Some(send_status.as_ref()));
    let recv_status = receiver.as_mut().map(Child::wait);
    done(recv_timing, recv_status.as_ref().map(|s| s.as_ref()));
    let send_stderr = send_err.and_then(|h| h.join().ok()).unwrap_or_default();
    let recv_stderr = recv_err.and_then(|h| h.join().ok()).unwrap_or_default();
    progress.finish(bytes, started.elapsed());
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let failed = |s: &io::Result<ExitStatus>| match s {
        Ok(s) if s.success() => None,
        Ok(s) => Some(status_text(s)),
        Err(e) => Some(format!("cannot wait for it: {e}")),
    };
    let send_failed = failed(&send_status);
    let recv_failed = recv_status.as_ref().and_then(failed);
    // Ctrl-C reaches the children too: their ends are the interruption's, not failures of their own.
    let any_failed = failure.is_some() || send_failed.is_some() || recv_failed.is_some();
    if any_failed && interrupted.load(Ordering::Relaxed) {
        return Err(PipeError::Interrupted { bytes });
    }
    if let Some(f) = failure {
        return Err(f);
    }
    match (send_failed, recv_failed) {
        (None, None) => Ok(Transferred { bytes, seconds: started.elapsed().as_secs_f64() }),
        (s, Some(r)) => Err(PipeError::Failed {
            side: "receiving",
            cmd: recv_cmd.unwrap_or_default(),
            status: r,
            stderr: text(&recv_stderr),
            other: s.map(|s| {
                let e = text(&send_stderr);
                format!(
                    "the sending side ended too ({s}){}",
                    if e.trim().is_empty() { String::new() } else { format!(": {}", e.trim()) }
                )
            }),
        }),
        (Some(s), None) => Err(PipeError::Failed {
            side: "sending",
            cmd: send.display(),
            status: s,
            stderr: text(&send_stderr),
            other: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Cmd {
        Cmd::read("sh").args(["-c", script])
    }

    fn job(send: &Cmd) -> Transfer<'_> {
        Transfer { send, rate: None, log: None }
    }

    #[test]
    fn bytes_cross_and_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("got");
        let recv = Cmd::mutate("sh").args(["-c", &format!("cat > '{}'", out.display())]);
        let t = transfer(
            &job(&sh("head -c 3000000 /dev/zero | tr '\\0' x")),
            Dest::Command(&recv),
            &mut Progress::None,
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!(t.bytes, 3_000_000);
        assert_eq!(std::fs::read(&out).unwrap().len(), 3_000_000);
        let mut v = Vec::new();
        let t = transfer(&job(&sh("printf abc")), Dest::Writer(&mut v), &mut Progress::None, &AtomicBool::new(false))
            .unwrap();
        assert_eq!((t.bytes, v.as_slice()), (3, &b"abc"[..]));
    }

    #[test]
    fn a_rate_limited_transfer_still_delivers_every_byte_in_small_chunks() {
        let mut v = Vec::new();
        let t = transfer(
            &Transfer { rate: Some(100 << 20), ..job(&sh("head -c 300000 /dev/zero")) },
            Dest::Writer(&mut v),
            &mut Progress::None,
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!((t.bytes, v.len()), (300_000, 300_000));
    }

    #[test]
    fn a_rate_limited_transfer_between_commands_delivers_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("got");
        let recv = Cmd::mutate("sh").args(["-c", &format!("cat > '{}'", out.display())]);
        let send = sh("head -c 700000 /dev/urandom");
        let t = transfer(
            &Transfer { rate: Some(100 << 20), ..job(&send) },
            Dest::Command(&recv),
            &mut Progress::None,
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!((t.bytes, std::fs::metadata(&out).unwrap().len()), (700_000, 700_000));
    }

    #[test]
    fn the_size_zfs_prints_before_the_stream_is_the_total_and_not_an_error() {
        let recv = Cmd::mutate("sh").args(["-c", "cat >/dev/null"]);
        let send = sh("printf 'full\\ttank/a@s\\t5000\\nsize\\t5000\\n' >&2; printf abc");
        let mut progress = Progress::Json { total: None, last: None };
        let t = transfer(&job(&send), Dest::Command(&recv), &mut progress, &AtomicBool::new(false)).unwrap();
        assert_eq!(t.bytes, 3);
        assert!(matches!(progress, Progress::Json { total: Some(5000), .. }));
        // A header longer than what is kept of stderr (a -I over thousands of snapshots).
        let mut progress = Progress::Json { total: None, last: None };
        let send = sh("i=0; while [ $i -lt 3000 ]; do printf 'incremental\\ts%d\\ttank/a@s%d\\t10\\n' $i $i; \
                       i=$((i+1)); done >&2; printf 'size\\t30000\\n' >&2; printf abc");
        let t = transfer(&job(&send), Dest::Command(&recv), &mut progress, &AtomicBool::new(false)).unwrap();
        assert_eq!(t.bytes, 3);
        assert!(matches!(progress, Progress::Json { total: Some(30000), .. }));
        // Without a size line the total stays unknown and the transfer is as it was.
        let mut progress = Progress::Json { total: None, last: None };
        let t =
            transfer(&job(&sh("printf abc")), Dest::Command(&recv), &mut progress, &AtomicBool::new(false)).unwrap();
        assert_eq!(t.bytes, 3);
        assert!(matches!(progress, Progress::Json { total: None, .. }));
        // A stream that is there before any size (no header at all) is not held back.
        let mut v = Vec::new();
        let mut progress = Progress::Json { total: None, last: None };
        let send = sh("head -c 3000000 /dev/zero; sleep 2; echo late >&2");
        let t = transfer(&job(&send), Dest::Writer(&mut v), &mut progress, &AtomicBool::new(false)).unwrap();
        assert_eq!(t.bytes, 3_000_000);
        // The header is not part of a failure's message; what zfs says after it is.
        let send = sh("printf 'full\\ttank/a@s\\t5000\\nsize\\t5000\\n' >&2; echo 'broken pipe, say' >&2; exit 1");
        let e = transfer(&job(&send), Dest::Command(&recv), &mut Progress::None, &AtomicBool::new(false))
            .unwrap_err()
            .to_string();
        assert_eq!(e.rsplit_once("`: ").map(|(_, said)| said), Some("broken pipe, say"), "{e}");
        // Without a size line, everything zfs said is kept.
        let send = sh("echo \"cannot open 'tank/a@s': dataset does not exist\" >&2; exit 1");
        let e = transfer(&job(&send), Dest::Command(&recv), &mut Progress::None, &AtomicBool::new(false))
            .unwrap_err()
            .to_string();
        assert!(e.contains("dataset does not exist"), "{e}");
    }

    #[test]
    fn each_side_failure_is_named_with_its_stderr() {
        let recv = Cmd::mutate("sh").args(["-c", "cat >/dev/null"]);
        let e = transfer(
            &job(&sh("printf x; echo nope >&2; exit 3")),
            Dest::Command(&recv),
            &mut Progress::None,
            &AtomicBool::new(false),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("the sending side failed (exit code 3)") && e.ends_with(": nope"), "{e}");
        let recv = Cmd::mutate("sh").args(["-c", "head -c 1 >/dev/null; echo full >&2; exit 1"]);
        let e = transfer(
            &job(&sh("head -c 5000000 /dev/zero")),
            Dest::Command(&recv),
            &mut Progress::None,
            &AtomicBool::new(false),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("the receiving side failed (exit code 1)") && e.contains(": full"), "{e}");
        let e = transfer(
            &job(&Cmd::read("/nonexistent/zfs")),
            Dest::Command(&recv),
            &mut Progress::None,
            &AtomicBool::new(false),
        )
        .unwrap_err();
        assert!(matches!(e, PipeError::Spawn { .. }), "{e}");
    }

    #[test]
    fn children_ended_by_the_interruption_are_not_failures_of_their_own() {
        let recv = Cmd::mutate("sh").args(["-c", "cat >/dev/null"]);
        let flag = std::sync::Arc::new(AtomicBool::new(false));
        let set = std::sync::Arc::clone(&flag);
        let dir = tempfile::tempdir().unwrap();
        let (ready, go) = (dir.path().join("ready"), dir.path().join("go"));
        // The sender writes, says so, and dies of SIGINT once the flag is set: Ctrl-C ends both
        // sides while strata waits in a read.
        let send = sh(&format!(
            "printf x; touch '{}'; while [ ! -e '{}' ]; do sleep 0.01; done; kill -INT $$; sleep 5",
            ready.display(),
            go.display()
        ));
        let t = std::thread::spawn(move || {
            while !ready.exists() {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            set.store(true, Ordering::Relaxed);
            std::fs::write(go, "").unwrap();
        });
        let e = transfer(&job(&send), Dest::Command(&recv), &mut Progress::None, &flag).unwrap_err();
        t.join().unwrap();
        assert!(matches!(e, PipeError::Interrupted { .. }), "{e}");
    }

    #[test]
    fn an_interruption_stops_both_sides() {
        let recv = Cmd::mutate("sh").args(["-c", "cat >/dev/null"]);
        let e = transfer(
            &job(&sh("exec cat /dev/zero")),
            Dest::Command(&recv),
            &mut Progress::None,
            &AtomicBool::new(true),
        )
        .unwrap_err();
        assert!(matches!(e, PipeError::Interrupted { bytes: 0 }), "{e}");
    }

    #[test]
    fn json_progress_has_a_first_and_a_last_line() {
        // The lines go to stderr; here only the record's shape is checked.
        let v = serde_json::to_value(ProgressRecord { r#type: "progress", bytes: 1, total: None, rate: 2 }).unwrap();
        assert_eq!(v.to_string(), r#"{"type":"progress","bytes":1,"total":null,"rate":2}"#);
    }
}
