//! Progress of long work on standard error: a bar (indicatif) drawn only when standard error is a
//! terminal and `-q` was not given, and one way to write a line on stderr that never tears the
//! bar (messages, `-v` command lines and `dry-run:` lines go above it).
//!
//! A pipe, a file, cron and `TERM=dumb` get no bar at all: no escape codes end up in a log.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::buf::SharedBuf;
use crate::cli::Ctx;

/// The bar shown now, if any: [`eprint`] writes above it.
static SHOWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// A progress bar counting `done / total` of some unit (snapshots), with a short message saying
/// what happens now. Cleared from the terminal when dropped.
pub struct Progress {
    bar: ProgressBar,
    registered: bool,
}

impl Progress {
    /// The bar for a command: drawn on stderr when it is a terminal (and `TERM` is not dumb)
    /// and `-q` was not given; hidden otherwise. `unit` names what is counted ("snapshots").
    pub fn for_ctx(ctx: &Ctx, total: u64, unit: &str) -> Progress {
        Progress::on_stderr(ctx.stderr_is_terminal && !ctx.quiet, total, unit)
    }

    /// Drawn on stderr when `shown`, hidden otherwise.
    pub fn on_stderr(shown: bool, total: u64, unit: &str) -> Progress {
        let target = if shown { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        Progress::with_target(target, total, unit)
    }

    /// A bar that is never drawn.
    pub fn hidden(total: u64) -> Progress {
        Progress::with_target(ProgressDrawTarget::hidden(), total, "")
    }

    /// A bar drawn, without a rate limit, into a buffer of plain text (one line per draw), as a
    /// terminal would show it: for tests of the commands that show progress.
    pub fn recording(total: u64, unit: &str) -> (Progress, SharedBuf) {
        let buf = SharedBuf::new();
        let term = Recorder { text: buf.clone(), width: 100, line: Arc::new(Mutex::new(String::new())) };
        (Progress::with_target(ProgressDrawTarget::term_like(Box::new(term)), total, unit), buf)
    }

    fn with_target(target: ProgressDrawTarget, total: u64, unit: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), target);
        // One wide element only (the message, cut to the terminal's width): a line never wraps.
        let template = format!("[{{bar:24}}] {{human_pos}}/{{human_len}} {unit}  {{wide_msg}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars("=> "));
        }
        let registered = !bar.is_hidden();
        if registered {
            *SHOWN.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar.clone());
        }
        bar.tick();
        Progress { bar, registered }
    }

    /// `n` more done.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// What happens now (an untrusted name in it must be sanitised by the caller).
    pub fn set_message(&self, msg: impl Into<String>) {
        self.bar.set_message(msg.into());
    }

    /// How many are done.
    pub fn position(&self) -> u64 {
        self.bar.position()
    }

    /// True when the bar is drawn somewhere.
    pub fn is_shown(&self) -> bool {
        !self.bar.is_hidden()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
        if self.registered {
            let mut shown = SHOWN.lock().unwrap_or_else(PoisonError::into_inner);
            *shown = None;
        }
    }
}

/// Writes `text` (whole lines) on standard error in one piece, above the progress bar when one is
/// shown, so the bar is redrawn below it instead of being torn.
pub fn eprint(text: &str) -> io::Result<()> {
    let shown = SHOWN.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let write = || {
        let mut e = io::stderr().lock();
        e.write_all(text.as_bytes()).and_then(|()| e.flush())
    };
    match shown {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// Standard error as a writer whose every `write` goes through [`eprint`] (so a caller writes a
/// whole line at once).
#[derive(Debug, Default, Clone, Copy)]
pub struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        eprint(&String::from_utf8_lossy(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A terminal that keeps what is drawn as text: each finished draw of the bar becomes one line.
#[derive(Clone)]
struct Recorder {
    text: SharedBuf,
    width: u16,
    line: Arc<Mutex<String>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("width", &self.width).finish_non_exhaustive()
    }
}

impl Recorder {
    fn end_line(&self) -> io::Result<()> {
        let mut line = self.line.lock().unwrap_or_else(PoisonError::into_inner);
        if !line.trim().is_empty() {
            let mut t = self.text.clone();
            t.write_all(line.trim_end().as_bytes())?;
            t.write_all(b"\n")?;
        }
        line.clear();
        Ok(())
    }
}

impl indicatif::TermLike for Recorder {
    fn width(&self) -> u16 {
        self.width
    }

    fn move_cursor_up(&self, _: usize) -> io::Result<()> {
        Ok(())
    }

    fn move_cursor_down(&self, _: usize) -> io::Result<()> {
        Ok(())
    }

    fn move_cursor_right(&self, _: usize) -> io::Result<()> {
        Ok(())
    }

    fn move_cursor_left(&self, _: usize) -> io::Result<()> {
        Ok(())
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.line.lock().unwrap_or_else(PoisonError::into_inner).push_str(s);
        self.end_line()
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        self.line.lock().unwrap_or_else(PoisonError::into_inner).push_str(s);
        Ok(())
    }

    fn clear_line(&self) -> io::Result<()> {
        self.end_line()
    }

    fn flush(&self) -> io::Result<()> {
        self.end_line()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_bar_counts_and_says_what_happens() {
        let (p, text) = Progress::recording(3, "snapshots");
        assert!(p.is_shown());
        p.set_message("tank/a");
        p.inc(2);
        p.inc(1);
        assert_eq!(p.position(), 3);
        drop(p);
        let t = text.text();
        assert!(t.lines().any(|l| l == format!("[{}] 0/3 snapshots", " ".repeat(24))), "{t}");
        assert!(t.lines().any(|l| l == format!("[{}>{}] 2/3 snapshots  tank/a", "=".repeat(16), " ".repeat(7))), "{t}");
        assert!(t.lines().any(|l| l == "[========================] 3/3 snapshots  tank/a"), "{t}");
    }

    #[test]
    fn no_bar_off_a_terminal_or_with_quiet() {
        assert!(!Progress::hidden(5).is_shown());
        // The test's stderr is not the terminal this checks for, or the rule says hidden.
        assert!(!Progress::on_stderr(false, 5, "snapshots").is_shown());
        eprint("").unwrap();
    }
}
