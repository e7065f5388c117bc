//! The full-screen picker: a filter line, the fuzzy-matched host list and a preview of the
//! configuration lines that apply to the selected host with its effective values. It draws on
//! the terminal device (`/dev/tty`) so that standard output stays free for `--print`.

use std::io::Write;
use std::sync::atomic::{AtomicI32, Ordering};

use anyhow::{Context, Result};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Matcher, Utf32String};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use strata_core::sanitize::for_terminal;
use strata_core::{Ctx, Outcome};

use crate::HostRecord;
use crate::config::{Applied, Config};

/// One host in the picker.
pub struct Item {
    pub rec: HostRecord,
    pub applied: Vec<Applied>,
    hay: Utf32String,
}

impl Item {
    pub fn new(rec: HostRecord, applied: Vec<Applied>) -> Item {
        let mut text = rec.host.clone();
        for part in [&rec.hostname, &rec.user] {
            text.push(' ');
            text.push_str(part);
        }
        for t in &rec.tags {
            text.push(' ');
            text.push_str(t);
        }
        Item { hay: Utf32String::from(text.as_str()), rec, applied }
    }
}

/// What the user did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Continue,
    /// The alias's exact bytes.
    Choose(Vec<u8>),
    Cancel,
}

/// The picker's state, independent of the terminal (tests and benchmarks drive it directly).
pub struct Picker {
    items: Vec<Item>,
    /// Where the preview's line texts come from (None: records from stdin).
    config: Option<Config>,
    query: String,
    /// Indexes into `items`, best match first.
    matches: Vec<usize>,
    selected: usize,
    matcher: Matcher,
}

impl Picker {
    /// `recent`: aliases chosen before (their bytes), most recent first; they lead the list.
    pub fn new(mut items: Vec<Item>, config: Option<Config>, recent: &[Vec<u8>], query: String) -> Picker {
        if !recent.is_empty() {
            let rank: std::collections::HashMap<&[u8], usize> =
                recent.iter().enumerate().map(|(i, a)| (a.as_slice(), i)).collect();
            items.sort_by_key(|it| rank.get(it.rec.alias.as_slice()).copied().unwrap_or(usize::MAX));
        }
        let mut p = Picker {
            matches: (0..items.len()).collect(),
            items,
            config,
            query: String::new(),
            selected: 0,
            matcher: Matcher::new(nucleo_matcher::Config::DEFAULT),
        };
        p.set_query(query);
        p
    }

    pub fn query(&self) -> &str {
        &self.query
    }

    pub fn match_count(&self) -> usize {
        self.matches.len()
    }

    pub fn selected(&self) -> Option<&Item> {
        self.matches.get(self.selected).map(|&i| &self.items[i])
    }

    /// Changes the filter. A query that extends the previous one only re-scores earlier matches.
    pub fn set_query(&mut self, query: String) {
        let narrowing = !self.query.is_empty() && query.starts_with(&self.query);
        let candidates: Vec<usize> = if narrowing { self.matches.clone() } else { (0..self.items.len()).collect() };
        self.query = query;
        self.selected = 0;
        if self.query.trim().is_empty() {
            self.matches = candidates;
            return;
        }
        let pattern = Pattern::parse(&self.query, CaseMatching::Smart, Normalization::Smart);
        let mut scored: Vec<(u32, usize)> = candidates
            .into_iter()
            .filter_map(|i| pattern.score(self.items[i].hay.slice(..), &mut self.matcher).map(|s| (s, i)))
            .collect();
        // Best first; among equals, the earlier (more recent) host first.
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        self.matches = scored.into_iter().map(|(_, i)| i).collect();
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.matches.is_empty() {
            self.selected = 0;
            return;
        }
        let last = self.matches.len() as isize - 1;
        self.selected = (self.selected as isize + delta).clamp(0, last) as usize;
    }

    /// Handles one key.
    pub fn key(&mut self, key: ratatui::crossterm::event::KeyEvent) -> Action {
        use ratatui::crossterm::event::{KeyCode, KeyModifiers};
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return Action::Cancel,
            KeyCode::Char('c') if ctrl => return Action::Cancel,
            KeyCode::Enter => {
                if let Some(it) = self.selected() {
                    return Action::Choose(it.rec.alias.clone());
                }
            }
            KeyCode::Up => self.move_by(-1),
            KeyCode::Down => self.move_by(1),
            KeyCode::Char('p' | 'k') if ctrl => self.move_by(-1),
            KeyCode::Char('n' | 'j') if ctrl => self.move_by(1),
            KeyCode::PageUp => self.move_by(-10),
            KeyCode::PageDown => self.move_by(10),
            KeyCode::Home => self.selected = 0,
            KeyCode::End => self.move_by(isize::MAX / 2),
            KeyCode::Char('u') if ctrl => self.set_query(String::new()),
            KeyCode::Backspace => {
                let mut q = self.query.clone();
                q.pop();
                self.set_query(q);
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() => {
                let mut q = self.query.clone();
                q.push(c);
                self.set_query(q);
            }
            _ => {}
        }
        Action::Continue
    }

    /// Draws the whole screen.
    pub fn render(&self, f: &mut Frame) {
        let [top, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(f.area());
        let prompt = Line::from(vec![
            Span::styled("> ", Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)),
            Span::raw(for_terminal(&self.query).into_owned()),
            Span::styled(format!("  {}/{}", self.matches.len(), self.items.len()), Style::new().fg(Color::DarkGray)),
        ]);
        f.render_widget(Paragraph::new(prompt), top);
        let [left, right] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
        self.render_list(f, left);
        self.render_preview(f, right);
    }

    fn render_list(&self, f: &mut Frame, area: Rect) {
        let block = Block::default().borders(Borders::RIGHT);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let height = inner.height as usize;
        if height == 0 {
            return;
        }
        let offset = self.selected.saturating_sub(height - 1);
        let visible = &self.matches[offset.min(self.matches.len())..(offset + height).min(self.matches.len())];
        let width = visible.iter().map(|&i| self.items[i].rec.host.chars().count()).max().unwrap_or(0).min(28);
        let lines: Vec<Line> = visible
            .iter()
            .enumerate()
            .map(|(row, &i)| {
                let r = &self.items[i].rec;
                let sel = offset + row == self.selected;
                let base = if sel { Style::new().bg(Color::Blue).fg(Color::White) } else { Style::new() };
                let mut spans = vec![
                    Span::styled(if sel { "▶ " } else { "  " }, base),
                    Span::styled(format!("{:<width$}", for_terminal(&r.host)), base.add_modifier(Modifier::BOLD)),
                    Span::styled(format!("  {}@{}", for_terminal(&r.user), for_terminal(&r.hostname)), base),
                ];
                if r.port != 22 {
                    spans.push(Span::styled(format!(":{}", r.port), base));
                }
                if let Some(j) = &r.proxyjump {
                    spans.push(Span::styled(format!("  via {}", for_terminal(j)), base.fg(Color::Magenta)));
                }
                if !r.tags.is_empty() {
                    spans.push(Span::styled(format!("  [{}]", for_terminal(&r.tags.join(" "))), base.fg(Color::Green)));
                }
                Line::from(spans)
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn render_preview(&self, f: &mut Frame, area: Rect) {
        let Some(item) = self.selected() else {
            f.render_widget(Paragraph::new("no host matches"), area);
            return;
        };
        let mut lines: Vec<Line> = Vec::new();
        if let Some(cfg) = &self.config {
            for a in &item.applied {
                let file = cfg.files[a.loc.file].display().to_string();
                let short = file.rsplit('/').next().unwrap_or(&file).to_string();
                let text = cfg.lines[a.loc.file].get(a.loc.line - 1).map(String::as_str).unwrap_or("");
                let text = for_terminal(&crate::raw::lossy(text.trim_end_matches('\r'))).into_owned();
                let loc = Span::styled(format!("{short}:{} ", a.loc.line), Style::new().fg(Color::DarkGray));
                let trimmed = text.trim_start();
                let (kw, rest) = trimmed.split_at(trimmed.find([' ', '\t', '=']).unwrap_or(trimmed.len()));
                let (kw_style, rest_style) = if a.header {
                    (Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD), Style::new().fg(Color::Yellow))
                } else if a.used {
                    (Style::new().fg(Color::Cyan), Style::new())
                } else {
                    (Style::new().fg(Color::DarkGray), Style::new().fg(Color::DarkGray))
                };
                let indent = if a.header { "" } else { "  " };
                let mut spans = vec![
                    loc,
                    Span::raw(indent),
                    Span::styled(kw.to_string(), kw_style),
                    Span::styled(rest.to_string(), rest_style),
                ];
                if !a.used {
                    spans.push(Span::styled("  (already set)", Style::new().fg(Color::DarkGray)));
                }
                lines.push(Line::from(spans));
            }
            lines.push(Line::raw(""));
        }
        let r = &item.rec;
        let key = |k: &str| Span::styled(format!("{k:<13}"), Style::new().fg(Color::Green));
        lines.push(Line::styled("effective values", Style::new().add_modifier(Modifier::BOLD)));
        lines.push(Line::from(vec![key("hostname"), Span::raw(for_terminal(&r.hostname).into_owned())]));
        lines.push(Line::from(vec![key("user"), Span::raw(for_terminal(&r.user).into_owned())]));
        lines.push(Line::from(vec![key("port"), Span::raw(r.port.to_string())]));
        lines.push(Line::from(vec![
            key("proxyjump"),
            Span::raw(r.proxyjump.as_deref().map(|j| for_terminal(j).into_owned()).unwrap_or_else(|| "-".into())),
        ]));
        for id in &r.identityfile {
            lines.push(Line::from(vec![key("identityfile"), Span::raw(for_terminal(id).into_owned())]));
        }
        if !r.tags.is_empty() {
            lines.push(Line::from(vec![key("tags"), Span::raw(for_terminal(&r.tags.join(" ")).into_owned())]));
        }
        if let (Some(file), Some(line)) = (&r.source_file, r.source_line) {
            lines.push(Line::from(vec![key("defined at"), Span::raw(format!("{}:{line}", for_terminal(file)))]));
        }
        let title = format!(" {} ", for_terminal(&r.host));
        f.render_widget(Paragraph::new(lines).block(Block::default().title(title)), area);
    }
}

/// An alias (its bytes) that is safe as ssh's destination argument and in
/// `ssh "$(strata sshtui --print)"`: not an option, no blanks or control characters. Bytes that
/// are not UTF-8 are passed on as they are, as ssh itself takes them from its configuration.
pub fn can_pass_to_ssh(alias: &[u8]) -> bool {
    !alias.is_empty()
        && !alias.starts_with(b"-")
        && !String::from_utf8_lossy(alias).chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Restores the terminal however the picker ends.
struct TtyGuard;

impl Drop for TtyGuard {
    fn drop(&mut self) {
        use ratatui::crossterm::{cursor, execute, terminal};
        let _ = terminal::disable_raw_mode();
        if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
            let _ = execute!(tty, terminal::LeaveAlternateScreen, cursor::Show);
            let _ = tty.flush();
        }
    }
}

/// The signal that asked the picker to stop (0: none), set by [`note_signal`].
static STOP_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn note_signal(sig: libc::c_int) {
    // Only an atomic store: nothing else is safe in a signal handler.
    STOP_SIGNAL.store(sig, Ordering::SeqCst);
}

/// Signals that end the picker; killed by one of them it leaves the terminal as on Esc.
const STOP_SIGNALS: [libc::c_int; 3] = [libc::SIGTERM, libc::SIGHUP, libc::SIGINT];

/// While alive, SIGTERM, SIGHUP and SIGINT are noted instead of killing the process (the event
/// loop sees the note, and the terminal is restored on the way out); dropped, the dispositions
/// in force before come back.
struct SignalGuard {
    old: Vec<(libc::c_int, libc::sigaction)>,
}

impl SignalGuard {
    fn install() -> std::io::Result<SignalGuard> {
        STOP_SIGNAL.store(0, Ordering::SeqCst);
        let mut guard = SignalGuard { old: Vec::new() };
        for sig in STOP_SIGNALS {
            // SAFETY: both structs are zeroed then filled; sigaction reads `new` and writes `old`.
            unsafe {
                let mut new: libc::sigaction = std::mem::zeroed();
                new.sa_sigaction = note_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                libc::sigemptyset(&mut new.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &new, &mut old) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // A signal ignored by whoever started the picker (nohup) stays ignored.
                if old.sa_sigaction == libc::SIG_IGN {
                    libc::sigaction(sig, &old, std::ptr::null_mut());
                    continue;
                }
                guard.old.push((sig, old));
            }
        }
        Ok(guard)
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        for (sig, old) in &self.old {
            // SAFETY: `old` is what sigaction returned for this signal.
            unsafe {
                libc::sigaction(*sig, old, std::ptr::null_mut());
            }
        }
    }
}

/// How often the event loop looks for a noted signal while no key arrives.
const SIGNAL_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// Runs the picker on the terminal device; then runs ssh, prints the alias, or exits 130
/// (128 + the signal when SIGTERM, SIGHUP or SIGINT ended it).
pub fn run_terminal(
    items: Vec<Item>,
    config: Option<Config>,
    query: String,
    print: bool,
    ctx: &mut Ctx,
) -> Result<Outcome> {
    let (items, unsafe_aliases): (Vec<Item>, Vec<Item>) =
        items.into_iter().partition(|it| can_pass_to_ssh(&it.rec.alias));
    for it in &unsafe_aliases {
        ctx.info(format!(
            "leaving out host {}: ssh would not read it as a destination",
            for_terminal(&format!("{:?}", it.rec.host))
        ));
    }
    if items.is_empty() {
        anyhow::bail!("no hosts: the configuration names no concrete Host alias");
    }
    let history = crate::history::default_path();
    let recent = history.as_deref().map(crate::history::recent).unwrap_or_default();
    let mut picker = Picker::new(items, config, &recent, query);

    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("the picker needs a terminal (/dev/tty); use `list` in scripts")?;
    // Noted from before raw mode until after the terminal is restored (guards drop in reverse).
    let signals = SignalGuard::install().context("cannot catch SIGTERM and SIGHUP")?;
    let choice = event_loop(&mut picker, tty)?;
    drop(signals);
    let sig = STOP_SIGNAL.load(Ordering::SeqCst);
    if sig != 0 {
        return Ok(Outcome::Code(128u8.saturating_add(u8::try_from(sig).unwrap_or(127))));
    }
    let Some(alias) = choice else {
        return Ok(Outcome::Code(strata_core::exit::INTERRUPTED));
    };
    if let Some(h) = &history
        && let Err(e) = crate::history::record(h, &alias)
    {
        ctx.debug(format!("cannot record the choice in {}: {e}", h.display()));
    }
    if print {
        print_alias(&alias, ctx)?;
        return Ok(Outcome::Success);
    }
    Err(exec_ssh(&alias))
}

/// Draws the picker on the terminal in raw mode and reads keys until a host is chosen (its
/// alias), the picker is left or a stop signal is noted (`None`); the terminal is restored on
/// the way out, also on an error.
fn event_loop(picker: &mut Picker, tty: std::fs::File) -> Result<Option<Vec<u8>>> {
    use ratatui::crossterm::{event, execute, terminal};
    terminal::enable_raw_mode().context("cannot put the terminal in raw mode")?;
    let _guard = TtyGuard;
    let mut out = std::io::BufWriter::new(tty);
    execute!(out, terminal::EnterAlternateScreen).context("cannot draw on the terminal")?;
    let mut term = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(out))?;
    term.clear()?;
    let mut redraw = true;
    loop {
        if STOP_SIGNAL.load(Ordering::SeqCst) != 0 {
            return Ok(None);
        }
        if redraw {
            term.draw(|f| picker.render(f))?;
        }
        redraw = event::poll(SIGNAL_POLL).context("reading the keyboard")?;
        if !redraw {
            continue;
        }
        match event::read().context("reading the keyboard")? {
            event::Event::Key(k) if k.kind != event::KeyEventKind::Release => match picker.key(k) {
                Action::Continue => {}
                Action::Choose(a) => return Ok(Some(a)),
                Action::Cancel => return Ok(None),
            },
            _ => {}
        }
    }
}

/// `--print`: the chosen alias on standard output.
fn print_alias(alias: &[u8], ctx: &mut Ctx) -> Result<()> {
    // Plain text by design, not a record: the alias's exact bytes, even when they are not UTF-8,
    // for `ssh "$(strata sshtui --print)"`; nothing else was written.
    ctx.out.write_bytes(&[alias, b"\n"].concat())?;
    Ok(())
}

/// Replaces this process with `ssh ALIAS` (the alias's exact bytes); returns only on failure.
fn exec_ssh(alias: &[u8]) -> anyhow::Error {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::process::CommandExt;
    let err = std::process::Command::new("ssh").arg(std::ffi::OsStr::from_bytes(alias)).exec();
    let shown = for_terminal(&String::from_utf8_lossy(alias)).into_owned();
    anyhow::Error::new(err).context(format!("cannot run ssh {shown}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn item(host: &str, hostname: &str) -> Item {
        Item::new(
            HostRecord {
                r#type: "host",
                host: host.into(),
                host_bytes: None,
                hostname: hostname.into(),
                hostname_bytes: None,
                user: "u".into(),
                port: 22,
                proxyjump: None,
                identityfile: vec![],
                source_file: None,
                source_line: None,
                tags: vec![],
                alias: host.as_bytes().to_vec(),
            },
            vec![],
        )
    }

    #[test]
    fn filters_moves_and_chooses() {
        let items = vec![item("web1", "10.0.0.1"), item("db1", "10.0.0.2"), item("web2", "10.0.0.3")];
        let mut p = Picker::new(items, None, &[b"web2".to_vec()], String::new());
        assert_eq!(p.selected().unwrap().rec.host, "web2");
        for c in "web".chars() {
            p.key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        assert_eq!(p.match_count(), 2);
        p.key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL));
        assert_eq!(p.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)), Action::Choose(b"web1".to_vec()));
        assert_eq!(p.key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)), Action::Cancel);
    }

    #[test]
    fn options_and_blanks_never_reach_ssh() {
        assert!(can_pass_to_ssh(b"web-1.example"));
        assert!(can_pass_to_ssh(b"caf\xe9"));
        assert!(!can_pass_to_ssh(b"-oProxyCommand=x"));
        assert!(!can_pass_to_ssh(b"a b"));
        assert!(!can_pass_to_ssh(b"a\nb"));
        assert!(!can_pass_to_ssh("a\u{85}b".as_bytes()));
        assert!(!can_pass_to_ssh(b""));
    }

    #[test]
    fn renders_to_a_test_backend() {
        let items = vec![item("web1", "10.0.0.1"), item("db\x1b[2J", "10.0.0.2")];
        let p = Picker::new(items, None, &[], String::new());
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 12)).unwrap();
        t.draw(|f| p.render(f)).unwrap();
        let text: String = t.backend().buffer().content().iter().map(|c| c.symbol()).collect();
        assert!(text.contains("web1"), "{text}");
        assert!(text.contains("db\\x1b[2J"), "{text}");
    }
}
