//! The one seam through which strata runs other programs. A command is plain data: a program, an
//! argv and whether it only reads or changes something. That gives `--dry-run` (mutating commands
//! are shown, not run), golden argv tests and a fake for unit tests, with no shell anywhere.

use std::cell::RefCell;
use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Write};
use std::rc::Rc;
use std::time::Instant;

use crate::shell::display_argv;

/// Whether a command only reads state or changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Read,
    Mutate,
}

/// A command as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmd {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub effect: Effect,
}

impl Cmd {
    /// A command that only reads (`zfs list`, `zfs diff`, `zfs destroy -n`).
    pub fn read(program: impl AsRef<OsStr>) -> Cmd {
        Cmd { program: program.as_ref().to_owned(), args: Vec::new(), effect: Effect::Read }
    }

    /// A command that changes state (`zfs snapshot`, `zfs destroy`, `zfs set`).
    pub fn mutate(program: impl AsRef<OsStr>) -> Cmd {
        Cmd { program: program.as_ref().to_owned(), args: Vec::new(), effect: Effect::Mutate }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// The full argv, program first.
    pub fn argv(&self) -> Vec<&OsStr> {
        std::iter::once(self.program.as_os_str()).chain(self.args.iter().map(OsString::as_os_str)).collect()
    }

    /// The full argv as strings (lossy for bytes that are not UTF-8), for golden argv tests.
    pub fn argv_strings(&self) -> Vec<String> {
        self.argv().iter().map(|a| a.to_string_lossy().into_owned()).collect()
    }

    /// The command as a person would type it (quoted where needed).
    pub fn display(&self) -> String {
        display_argv(&self.argv())
    }
}

impl std::fmt::Display for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

/// What a finished command left behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    pub fn ok(stdout: impl Into<Vec<u8>>) -> Output {
        Output { code: Some(0), stdout: stdout.into(), stderr: Vec::new() }
    }

    pub fn failed(code: i32, stderr: impl Into<Vec<u8>>) -> Output {
        Output { code: Some(code), stdout: Vec::new(), stderr: stderr.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot run `{cmd}`: {source}")]
    Spawn { cmd: String, source: io::Error },
    #[error("`{cmd}` failed ({}){}", describe_code(*.code), describe_stderr(stderr))]
    Failed { cmd: String, code: Option<i32>, stderr: String },
}

fn describe_code(code: Option<i32>) -> String {
    match code {
        Some(c) => format!("exit code {c}"),
        None => "killed by a signal".into(),
    }
}

fn describe_stderr(stderr: &str) -> String {
    let s = stderr.trim();
    if s.is_empty() { String::new() } else { format!(": {s}") }
}

impl RunError {
    pub fn failed(cmd: &Cmd, out: &Output) -> RunError {
        RunError::Failed {
            cmd: cmd.display(),
            code: out.code,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Runs commands. Implementations: [`SystemRunner`], [`DryRunner`], [`FakeRunner`].
pub trait Runner {
    /// Runs to the end and returns whatever happened, failure included.
    fn output(&self, cmd: &Cmd) -> Result<Output, RunError>;

    /// Streams stdout. At end of stream a non-zero exit becomes an error carrying stderr.
    fn stream(&self, cmd: &Cmd) -> Result<Box<dyn Read>, RunError>;

    /// True when mutating commands are only shown.
    fn dry_run(&self) -> bool {
        false
    }

    /// Under `--dry-run`, shows a change made without a program (a file written) as
    /// `dry-run: WHAT`, on the same path as the would-be commands; otherwise does nothing.
    fn show_change(&self, _what: &str) -> io::Result<()> {
        Ok(())
    }

    /// Runs commands that do not depend on each other side by side (all started, then each
    /// waited for), returning what [`Runner::output`] would for each, in order. Two listings
    /// over ssh then cost one round trip instead of two. The default runs them one by one.
    fn outputs(&self, cmds: &[&Cmd]) -> Vec<Result<Output, RunError>> {
        cmds.iter().map(|c| self.output(c)).collect()
    }

    /// The `-v` log of the commands this runner runs, for children a tool starts itself; `None`
    /// when there is none (a runner without [`Logged`] in it).
    fn command_log(&self) -> Option<CommandLog> {
        None
    }

    /// Runs to the end; a non-zero exit is an error that names the command and keeps stderr.
    fn run(&self, cmd: &Cmd) -> Result<Output, RunError> {
        let out = self.output(cmd)?;
        if out.success() { Ok(out) } else { Err(RunError::failed(cmd, &out)) }
    }
}

/// Runs real processes (through duct). Stdin is closed: a child never reads the user's input.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRunner;

fn expression(cmd: &Cmd) -> duct::Expression {
    duct::cmd(&cmd.program, &cmd.args).stdin_null().unchecked()
}

impl Runner for SystemRunner {
    fn output(&self, cmd: &Cmd) -> Result<Output, RunError> {
        let out = expression(cmd)
            .stdout_capture()
            .stderr_capture()
            .run()
            .map_err(|source| RunError::Spawn { cmd: cmd.display(), source })?;
        Ok(Output { code: out.status.code(), stdout: out.stdout, stderr: out.stderr })
    }

    fn outputs(&self, cmds: &[&Cmd]) -> Vec<Result<Output, RunError>> {
        let started: Vec<_> = cmds
            .iter()
            .map(|cmd| {
                expression(cmd)
                    .stdout_capture()
                    .stderr_capture()
                    .start()
                    .map_err(|source| RunError::Spawn { cmd: cmd.display(), source })
            })
            .collect();
        started
            .into_iter()
            .zip(cmds)
            .map(|(handle, cmd)| {
                let out = handle?.into_output().map_err(|source| RunError::Spawn { cmd: cmd.display(), source })?;
                Ok(Output { code: out.status.code(), stdout: out.stdout, stderr: out.stderr })
            })
            .collect()
    }

    fn stream(&self, cmd: &Cmd) -> Result<Box<dyn Read>, RunError> {
        let handle = expression(cmd)
            .stderr_capture()
            .reader()
            .map_err(|source| RunError::Spawn { cmd: cmd.display(), source })?;
        Ok(Box::new(CheckedReader { handle, cmd: cmd.clone(), done: false }))
    }
}

struct CheckedReader {
    handle: duct::ReaderHandle,
    cmd: Cmd,
    done: bool,
}

impl Read for CheckedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        let n = self.handle.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.done = true;
            let out = loop {
                if let Some(out) = self.handle.try_wait()? {
                    break out;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            };
            if !out.status.success() {
                let out = Output { code: out.status.code(), stdout: Vec::new(), stderr: out.stderr.clone() };
                return Err(io::Error::other(RunError::failed(&self.cmd, &out)));
            }
        }
        Ok(n)
    }
}

/// `--dry-run`: reading commands run for real (plans need real data); mutating ones are written
/// to `shown` (stderr in the tools) as `dry-run: CMD` and succeed without running.
pub struct DryRunner<R> {
    inner: R,
    shown: RefCell<Box<dyn Write>>,
}

impl<R: Runner> DryRunner<R> {
    pub fn new(inner: R, shown: Box<dyn Write>) -> DryRunner<R> {
        DryRunner { inner, shown: RefCell::new(shown) }
    }
}

impl<R: Runner> Runner for DryRunner<R> {
    fn outputs(&self, cmds: &[&Cmd]) -> Vec<Result<Output, RunError>> {
        if cmds.iter().all(|c| c.effect == Effect::Read) {
            self.inner.outputs(cmds)
        } else {
            cmds.iter().map(|c| self.output(c)).collect()
        }
    }

    fn output(&self, cmd: &Cmd) -> Result<Output, RunError> {
        match cmd.effect {
            Effect::Read => self.inner.output(cmd),
            Effect::Mutate => {
                let mut w = self.shown.borrow_mut();
                // One write per line: the line goes above a progress bar in one piece.
                w.write_all(format!("dry-run: {}\n", cmd.display()).as_bytes())
                    .and_then(|()| w.flush())
                    .map_err(|source| RunError::Spawn { cmd: cmd.display(), source })?;
                Ok(Output::ok(Vec::new()))
            }
        }
    }

    fn stream(&self, cmd: &Cmd) -> Result<Box<dyn Read>, RunError> {
        match cmd.effect {
            Effect::Read => self.inner.stream(cmd),
            Effect::Mutate => {
                self.output(cmd)?;
                Ok(Box::new(io::empty()))
            }
        }
    }

    fn dry_run(&self) -> bool {
        true
    }

    fn command_log(&self) -> Option<CommandLog> {
        self.inner.command_log()
    }

    fn show_change(&self, what: &str) -> io::Result<()> {
        let mut w = self.shown.borrow_mut();
        w.write_all(format!("dry-run: {what}\n").as_bytes()).and_then(|()| w.flush())
    }
}

/// `-v`: runs through `inner` and says on `shown` (stderr in the tools) each command that ran and
/// how long it took, as `TOOL: CMD (0.21 s)`, with how it failed when it did; `-vv` also says
/// when each starts (`TOOL: running CMD`), so a long command is named while it runs. A streamed
/// command's time runs until its output is read to the end. The command is shown as a shell would
/// take it, sanitised for the terminal (names come from ZFS). Level 0 shows nothing.
///
/// The shared main puts this directly around the system runner, under `--dry-run`'s runner, so
/// only commands that really run are timed, and every tool gets it.
pub struct Logged<R> {
    inner: R,
    log: CommandLog,
}

impl<R: Runner> Logged<R> {
    pub fn new(inner: R, tool: &str, level: u8, shown: Box<dyn Write>) -> Logged<R> {
        Logged { inner, log: CommandLog { tool: tool.to_string(), level, shown: Rc::new(RefCell::new(shown)) } }
    }
}

/// `-v`'s account of commands, as [`Logged`] gives it: `TOOL: CMD (0.21 s[, how it failed])`
/// when each ends and, at `-vv`, `TOOL: running CMD` when each starts. A tool that starts
/// children of its own (strata-send's data path) gets the same one from
/// [`Runner::command_log`], so its commands read like every other and `-q` silences them too.
#[derive(Clone)]
pub struct CommandLog {
    tool: String,
    level: u8,
    shown: Rc<RefCell<Box<dyn Write>>>,
}

impl CommandLog {
    /// Starts timing `cmd` (saying so at `-vv`); `None` when nothing is to be shown.
    pub fn start(&self, cmd: &Cmd) -> Option<Timing> {
        if self.level == 0 {
            return None;
        }
        let line = crate::sanitize::for_terminal(&cmd.display()).into_owned();
        if self.level > 1 {
            show(&self.shown, &format!("{}: running {line}\n", self.tool));
        }
        Some(Timing { start: Instant::now(), line, tool: self.tool.clone(), shown: Rc::clone(&self.shown) })
    }
}

/// A command being timed for a [`CommandLog`].
pub struct Timing {
    start: Instant,
    line: String,
    tool: String,
    shown: Rc<RefCell<Box<dyn Write>>>,
}

impl Timing {
    /// Writes `TOOL: CMD (S s[, how it failed])`.
    pub fn done(self, failure: Option<String>) {
        let secs = self.start.elapsed().as_secs_f64();
        let how = failure.map(|f| format!(", {f}")).unwrap_or_default();
        show(&self.shown, &format!("{}: {} ({secs:.2} s{how})\n", self.tool, self.line));
    }
}

/// A line for people: one write (so it goes above a progress bar in one piece); a failure to
/// write it does not change what the command did.
fn show(shown: &RefCell<Box<dyn Write>>, line: &str) {
    let mut w = shown.borrow_mut();
    let _ = w.write_all(line.as_bytes()).and_then(|()| w.flush());
}

fn failure_of(out: &Output) -> Option<String> {
    if out.success() { None } else { Some(describe_code(out.code)) }
}

impl<R: Runner> Runner for Logged<R> {
    fn outputs(&self, cmds: &[&Cmd]) -> Vec<Result<Output, RunError>> {
        let timings: Vec<Option<Timing>> = cmds.iter().map(|c| self.log.start(c)).collect();
        let res = self.inner.outputs(cmds);
        for (t, r) in timings.into_iter().zip(&res) {
            if let Some(t) = t {
                t.done(match r {
                    Ok(out) => failure_of(out),
                    Err(_) => Some("cannot run it".to_string()),
                });
            }
        }
        res
    }

    fn output(&self, cmd: &Cmd) -> Result<Output, RunError> {
        let timing = self.log.start(cmd);
        let res = self.inner.output(cmd);
        if let Some(t) = timing {
            t.done(match &res {
                Ok(out) => failure_of(out),
                Err(_) => Some("cannot run it".to_string()),
            });
        }
        res
    }

    fn stream(&self, cmd: &Cmd) -> Result<Box<dyn Read>, RunError> {
        let timing = self.log.start(cmd);
        match self.inner.stream(cmd) {
            Ok(r) => match timing {
                Some(t) => Ok(Box::new(TimedReader { inner: r, timing: Some(t) })),
                None => Ok(r),
            },
            Err(e) => {
                if let Some(t) = timing {
                    t.done(Some("cannot run it".to_string()));
                }
                Err(e)
            }
        }
    }

    fn dry_run(&self) -> bool {
        self.inner.dry_run()
    }

    fn show_change(&self, what: &str) -> io::Result<()> {
        self.inner.show_change(what)
    }

    fn command_log(&self) -> Option<CommandLog> {
        Some(self.log.clone())
    }
}

/// A stream whose command is logged when its output ends (or fails, or is dropped unread).
struct TimedReader {
    inner: Box<dyn Read>,
    timing: Option<Timing>,
}

impl Read for TimedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let res = self.inner.read(buf);
        match &res {
            Ok(0) if !buf.is_empty() => {
                if let Some(t) = self.timing.take() {
                    t.done(None);
                }
            }
            Err(e) => {
                if let Some(t) = self.timing.take() {
                    let code = e.get_ref().and_then(|i| i.downcast_ref::<RunError>()).and_then(|r| match r {
                        RunError::Failed { code, .. } => Some(describe_code(*code)),
                        RunError::Spawn { .. } => None,
                    });
                    t.done(Some(code.unwrap_or_else(|| "failed".to_string())));
                }
            }
            Ok(_) => {}
        }
        res
    }
}

impl Drop for TimedReader {
    fn drop(&mut self) {
        if let Some(t) = self.timing.take() {
            t.done(Some("output not read to its end".to_string()));
        }
    }
}

/// A scripted runner for unit tests: answers each expected argv with a canned output (real `zfs`
/// outputs from the lab's fixtures) and records every command it was asked to run.
#[derive(Default)]
pub struct FakeRunner {
    answers: RefCell<Vec<(Vec<OsString>, Output)>>,
    log: RefCell<Vec<Cmd>>,
}

impl FakeRunner {
    pub fn new() -> FakeRunner {
        FakeRunner::default()
    }

    /// Expects `argv` (program first) once more, answering with `out`.
    pub fn expect<S: AsRef<OsStr>>(self, argv: &[S], out: Output) -> FakeRunner {
        self.answers.borrow_mut().push((argv.iter().map(|a| a.as_ref().to_owned()).collect(), out));
        self
    }

    /// Expects the command written out as words separated by single spaces (`zfs list -H tank`;
    /// no word may hold a space), answering with `out`.
    pub fn expect_words(self, line: &str, out: Output) -> FakeRunner {
        self.expect(&line.split(' ').collect::<Vec<_>>(), out)
    }

    /// Every command run so far, in order.
    pub fn log(&self) -> Vec<Cmd> {
        self.log.borrow().clone()
    }

    /// The argv of every command run so far, as strings.
    pub fn argvs(&self) -> Vec<String> {
        self.log.borrow().iter().map(Cmd::display).collect()
    }
}

impl Runner for FakeRunner {
    fn output(&self, cmd: &Cmd) -> Result<Output, RunError> {
        self.log.borrow_mut().push(cmd.clone());
        let argv: Vec<OsString> = cmd.argv().into_iter().map(OsStr::to_owned).collect();
        let mut answers = self.answers.borrow_mut();
        match answers.iter().position(|(a, _)| *a == argv) {
            Some(i) => Ok(answers.remove(i).1),
            None => Err(RunError::Spawn {
                cmd: cmd.display(),
                source: io::Error::new(io::ErrorKind::NotFound, "the fake runner did not expect this command"),
            }),
        }
    }

    fn stream(&self, cmd: &Cmd) -> Result<Box<dyn Read>, RunError> {
        let out = self.output(cmd)?;
        if out.success() {
            Ok(Box::new(io::Cursor::new(out.stdout)))
        } else {
            let err = RunError::failed(cmd, &out);
            Ok(Box::new(FailingReader(Some(io::Error::other(err)))))
        }
    }
}

struct FailingReader(Option<io::Error>);

impl Read for FailingReader {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_runner_keeps_status_and_stderr() {
        let r = SystemRunner;
        let out = r.run(&Cmd::read("sh").args(["-c", "printf 'a b'"])).unwrap();
        assert_eq!(out.stdout, b"a b");
        let err = r.run(&Cmd::read("sh").args(["-c", "echo oops >&2; exit 3"])).unwrap_err();
        assert_eq!(err.to_string(), "`sh -c 'echo oops >&2; exit 3'` failed (exit code 3): oops");
        assert!(matches!(r.run(&Cmd::read("/nonexistent/prog")), Err(RunError::Spawn { .. })));
    }

    #[test]
    fn side_by_side_commands_run_together_and_answer_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mark = dir.path().join("second started");
        // The first waits for a file only the second makes: run one after the other, it would
        // time out; side by side, both finish.
        let first = Cmd::read("sh").arg("-c").arg(format!(
            "i=0; while [ ! -e '{0}' ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done; [ -e '{0}' ] && echo first",
            mark.display()
        ));
        let second = Cmd::read("sh").arg("-c").arg(format!("touch '{}'; echo second >&2; exit 3", mark.display()));
        let missing = Cmd::read("/nonexistent/zfs");
        let shown = crate::buf::SharedBuf::new();
        let r = Logged::new(SystemRunner, "strata-x", 1, Box::new(shown.clone()));
        let res = r.outputs(&[&first, &second, &missing]);
        let a = res[0].as_ref().unwrap();
        assert_eq!((a.code, a.stdout.as_slice()), (Some(0), &b"first\n"[..]));
        let b = res[1].as_ref().unwrap();
        assert_eq!((b.code, b.stderr.as_slice()), (Some(3), &b"second\n"[..]));
        assert!(matches!(res[2], Err(RunError::Spawn { .. })));
        let log = shown.text();
        assert_eq!(log.lines().count(), 3, "{log}");
        assert!(log.contains("exit code 3") && log.contains("cannot run it"), "{log}");
        // The default (any other runner) runs them one by one, with the same answers.
        let fake =
            FakeRunner::new().expect(&["zfs", "a"], Output::ok("1")).expect(&["zfs", "b"], Output::failed(1, ""));
        let res = fake.outputs(&[&Cmd::read("zfs").arg("a"), &Cmd::read("zfs").arg("b")]);
        assert_eq!((res[0].as_ref().unwrap().code, res[1].as_ref().unwrap().code), (Some(0), Some(1)));
    }

    #[test]
    fn stream_reports_failure_at_the_end() {
        let mut s = SystemRunner.stream(&Cmd::read("sh").args(["-c", "echo line; echo bad >&2; exit 4"])).unwrap();
        let mut buf = String::new();
        let err = s.read_to_string(&mut buf).unwrap_err();
        assert_eq!(buf, "line\n");
        assert!(err.to_string().contains("exit code 4): bad"), "{err}");
        let mut ok = SystemRunner.stream(&Cmd::read("echo").arg("x")).unwrap();
        buf.clear();
        ok.read_to_string(&mut buf).unwrap();
        assert_eq!(buf, "x\n");
    }

    #[test]
    fn dry_run_shows_mutations_and_runs_reads() {
        let shown = crate::buf::SharedBuf::new();
        let r = DryRunner::new(SystemRunner, Box::new(shown.clone()));
        assert_eq!(r.run(&Cmd::read("echo").arg("hi")).unwrap().stdout, b"hi\n");
        r.run(&Cmd::mutate("rm").args(["-rf", "/tmp/it's"])).unwrap();
        assert_eq!(shown.text(), "dry-run: rm -rf '/tmp/it'\\''s'\n");
        assert!(r.dry_run());
        r.show_change("write /etc/x.conf").unwrap();
        assert!(shown.text().ends_with("\ndry-run: write /etc/x.conf\n"));
        SystemRunner.show_change("nothing shown").unwrap();
    }

    /// `TOOL: CMD (S.SS s...)` lines, with the time replaced by `T`.
    fn timed(text: &str) -> Vec<String> {
        text.lines()
            .map(|l| {
                let Some(open) = l.rfind(" (") else { return l.to_string() };
                let rest = &l[open + 2..];
                let secs = rest.split(' ').next().unwrap_or("");
                let (int, frac) = secs.split_once('.').unwrap_or(("", ""));
                assert!(
                    !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()) && frac.len() == 2,
                    "no time in {l:?}"
                );
                format!("{} (T{}", &l[..open], &rest[secs.len()..])
            })
            .collect()
    }

    #[test]
    fn verbose_says_each_command_and_its_time() {
        let shown = crate::buf::SharedBuf::new();
        let fake = FakeRunner::new()
            .expect(&["zfs", "list"], Output::ok("x\n"))
            .expect(&["zfs", "destroy", "tank/a b@x,y"], Output::failed(1, "busy"))
            .expect(&["zfs", "diff", "t@\x1b[2J"], Output::ok("line\n"));
        let r = Logged::new(fake, "strata-x", 1, Box::new(shown.clone()));
        assert_eq!(r.run(&Cmd::read("zfs").arg("list")).unwrap().stdout, b"x\n");
        assert!(r.run(&Cmd::mutate("zfs").args(["destroy", "tank/a b@x,y"])).is_err());
        let mut s = r.stream(&Cmd::read("zfs").args(["diff", "t@\x1b[2J"])).unwrap();
        assert!(shown.text().lines().count() == 2, "a stream is timed to its end: {}", shown.text());
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        drop(s);
        assert!(r.run(&Cmd::read("zfs").arg("unexpected")).is_err());
        assert_eq!(
            timed(&shown.text()),
            [
                "strata-x: zfs list (T s)",
                "strata-x: zfs destroy 'tank/a b@x,y' (T s, exit code 1)",
                "strata-x: zfs diff 't@\\x1b[2J' (T s)",
                "strata-x: zfs unexpected (T s, cannot run it)",
            ]
        );
    }

    #[test]
    fn very_verbose_names_a_command_as_it_starts_and_level_0_is_silent() {
        let shown = crate::buf::SharedBuf::new();
        let r = Logged::new(SystemRunner, "strata-x", 2, Box::new(shown.clone()));
        let mut s = r.stream(&Cmd::read("sh").args(["-c", "echo a; exit 3"])).unwrap();
        assert_eq!(shown.text(), "strata-x: running sh -c 'echo a; exit 3'\n");
        let mut out = String::new();
        assert!(s.read_to_string(&mut out).is_err());
        assert_eq!(timed(&shown.text())[1], "strata-x: sh -c 'echo a; exit 3' (T s, exit code 3)");
        let quiet = crate::buf::SharedBuf::new();
        let r = Logged::new(SystemRunner, "strata-x", 0, Box::new(quiet.clone()));
        r.run(&Cmd::read("true")).unwrap();
        r.stream(&Cmd::read("true")).unwrap().read_to_string(&mut out).unwrap();
        assert_eq!(quiet.text(), "");
        // Under --dry-run (outside), what is only shown is not timed.
        let shown = crate::buf::SharedBuf::new();
        let dry = crate::buf::SharedBuf::new();
        let r =
            DryRunner::new(Logged::new(SystemRunner, "strata-x", 1, Box::new(shown.clone())), Box::new(dry.clone()));
        r.run(&Cmd::mutate("rm").arg("/nonexistent")).unwrap();
        assert_eq!((shown.text(), dry.text()), (String::new(), "dry-run: rm /nonexistent\n".to_string()));
    }

    #[test]
    fn fake_runner_answers_and_logs() {
        let f = FakeRunner::new().expect(&["zfs", "list"], Output::ok("x\n"));
        assert_eq!(f.run(&Cmd::read("zfs").arg("list")).unwrap().stdout, b"x\n");
        assert!(f.run(&Cmd::read("zfs").arg("list")).is_err());
        assert_eq!(f.argvs(), vec!["zfs list", "zfs list"]);
    }
}
