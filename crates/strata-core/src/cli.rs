//! The shared main body: common flags, the context a tool runs in, and the one error printer.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use clap::{ArgMatches, Args, FromArgMatches, ValueEnum};

use crate::clock::Clock;
use crate::doc::ManDoc;
use crate::exit::{self, ExitError, Outcome};
use crate::output::{Format, FormatArg, Sink};
use crate::runner::{DryRunner, Logged, Runner, SystemRunner};

/// A tool: how to parse its command line, how to run it, and its man page's extra sections.
#[derive(Clone, Copy)]
pub struct Tool {
    /// The binary's name, e.g. `strata-snapshot`.
    pub name: &'static str,
    pub command: fn() -> clap::Command,
    pub run: fn(&ArgMatches, &mut Ctx) -> Result<Outcome>,
    /// The [`MutateArgs`] of the command line when its command changes something, `None`
    /// otherwise: the shared main takes the lock and turns on `--dry-run` from these, typed.
    pub mutate: fn(&ArgMatches) -> Result<Option<MutateArgs>>,
    pub doc: &'static ManDoc,
}

/// [`Tool::mutate`] of a tool whose commands change nothing.
pub fn changes_nothing(_: &ArgMatches) -> Result<Option<MutateArgs>> {
    Ok(None)
}

impl Tool {
    /// The name under the dispatcher: `strata-snapshot` is `strata snapshot`.
    pub fn short_name(&self) -> &'static str {
        self.name.strip_prefix("strata-").unwrap_or(self.name)
    }

    /// The tool's full command, named after its binary, with version and the common flags, and
    /// the first examples of its man page at the end of `--help` (each subcommand's own).
    pub fn full_command(&self) -> clap::Command {
        let (doc, name) = (self.doc, self.name);
        let mut cmd = (self.command)().name(name).bin_name(name).version(env!("CARGO_PKG_VERSION"));
        if let Some(ex) = crate::doc::help_examples(doc, name, None) {
            cmd = cmd.after_help(ex);
        }
        let subs: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
        for sub in subs {
            if let Some(ex) = crate::doc::help_examples(doc, name, Some(&sub)) {
                cmd = cmd.mut_subcommand(&sub, |c| c.after_help(ex));
            }
        }
        cmd
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Flags every tool takes, anywhere on its command line.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Output format: a table on a terminal and NDJSON in a pipe by default.
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Auto, value_name = "FORMAT", help_heading = "Output")]
    pub format: FormatArg,
    /// Same as --format json.
    #[arg(long, global = true, help_heading = "Output")]
    pub json: bool,
    /// Plain output with each value exactly as it is, ended by a NUL byte instead of a newline
    /// (like find -print0; for xargs -0). Without it, plain output escapes control characters
    /// (a newline is \x0a), so one value is always one line.
    #[arg(long, global = true, help_heading = "Output")]
    pub print0: bool,
    /// When to use colour (NO_COLOR in the environment means never, unless always).
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN", help_heading = "Output")]
    pub color: ColorArg,
    /// Print nothing on standard error except errors.
    #[arg(short, long, global = true, help_heading = "Output")]
    pub quiet: bool,
    /// Say more on standard error (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Output")]
    pub verbose: u8,
}

impl CommonArgs {
    /// True when a format was asked for on the command line of `leaf` (`--format X`, `--json`
    /// or `--print0`), not left to the default `auto`. Decided here once for every tool.
    pub fn format_given(&self, leaf: &ArgMatches) -> bool {
        self.json || self.print0 || leaf.value_source("format") == Some(clap::parser::ValueSource::CommandLine)
    }
}

/// Flags of commands that change something, and nothing else for it: every such command
/// flattens this (so `--dry-run` and `--lock` are everywhere, spelled alike) and the shared main
/// acts on them. `--yes` is [`AskArgs`], for the commands that ask first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct MutateArgs {
    /// Show what would be done (the exact commands on standard error) and change nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Refuse to run (exit 75) while another run holds this lock: bare --lock takes
    /// /run/lock/TOOL.lock for root, --lock=PATH another file (the = is needed).
    // `Option<Option<_>>`: absent, bare, or with a value. The value needs `=`, so a bare `--lock`
    // never takes the next word (a dataset, a snapshot) as its path.
    #[arg(long, value_name = "PATH", num_args = 0..=1, require_equals = true)]
    pub lock: Option<Option<std::path::PathBuf>>,
    /// `--yes`, for the commands that ask first: they flatten [`AskArgs`] beside this and pass
    /// it on with [`MutateArgs::asking`].
    #[arg(skip)]
    pub yes: bool,
}

/// `-y/--yes`, only on commands that ask before they act (through [`Ctx::confirm`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Args)]
pub struct AskArgs {
    /// Do it without asking. Without --yes the command asks on the terminal, and refuses when
    /// there is none (cron, a script).
    #[arg(short, long)]
    pub yes: bool,
}

impl MutateArgs {
    /// These flags with the answer of [`AskArgs`] (for the commands that ask).
    pub fn asking(mut self, ask: AskArgs) -> MutateArgs {
        self.yes = ask.yes;
        self
    }

    /// The lock file asked for, if any: bare `--lock` is [`crate::lock::default_path`] of `tool`.
    pub fn lock_path(&self, tool: &str) -> Option<std::path::PathBuf> {
        self.lock.as_ref().map(|given| given.clone().unwrap_or_else(|| crate::lock::default_path(tool)))
    }
}

/// Everything a tool's `run` may touch besides its arguments.
pub struct Ctx {
    pub tool: &'static str,
    /// Records go here (stdout).
    pub out: Sink,
    /// Programs run here; wrapped in a dry-run runner under `--dry-run`.
    pub runner: Box<dyn Runner>,
    pub clock: Box<dyn Clock>,
    pub quiet: bool,
    pub verbose: u8,
    /// Colour on stdout and stderr is allowed.
    pub color: bool,
    pub stdin_is_terminal: bool,
    pub stderr_is_terminal: bool,
    /// `--format` or `--json` was given on the command line (not the default `auto`). Action
    /// commands print records only then (see the README's conventions).
    pub format_given: bool,
    /// The flags of a command that changes something (all off for the others).
    pub mutate: MutateArgs,
}

impl Ctx {
    /// A message for people, on stderr, unless `--quiet`.
    pub fn info(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            let _ = crate::progress::eprint(&format!("{}: {msg}\n", self.tool));
        }
    }

    /// A message shown only with `-v`.
    pub fn debug(&self, msg: impl std::fmt::Display) {
        if self.verbose > 0 {
            self.info(msg);
        }
    }

    /// An error the command reports and goes on after (its exit status says it failed): on
    /// stderr even with `--quiet`, which silences information only.
    pub fn error(&self, msg: impl std::fmt::Display) {
        let _ = crate::progress::eprint(&format!("{}: error: {msg}\n", self.tool));
    }

    /// True under `--dry-run`: mutating commands are shown on stderr, not run.
    pub fn dry_run(&self) -> bool {
        self.runner.dry_run()
    }

    /// True when [`Ctx::confirm`] will ask on the terminal (no `--yes`, no `--dry-run`, and
    /// standard error is a terminal), so a command may show what it is about to do first.
    pub fn will_ask(&self) -> bool {
        !self.mutate.yes && !self.dry_run() && self.stderr_is_terminal
    }

    /// The one way a command asks before it changes something. Goes on with `--yes` or under
    /// `--dry-run`; otherwise asks on the terminal (`/dev/tty`, so standard input may carry
    /// records), and refuses (exit 2, nothing done) when there is no terminal or the answer is
    /// not `yes`. `action` is what it would do ("roll back"), `summary` what that means.
    pub fn confirm(&self, action: &str, summary: &str) -> Result<()> {
        if self.mutate.yes || self.dry_run() {
            return Ok(());
        }
        if !self.stderr_is_terminal {
            return Err(ExitError::usage(format!(
                "refusing to {action} without --yes (no terminal to ask on): {summary}"
            ))
            .into());
        }
        let question = format!("{}: {summary}.\n{}: {action}? Type 'yes' to go on: ", self.tool, self.tool);
        let answer = ask_terminal(&question).map_err(|e| {
            anyhow::Error::new(e).context(ExitError::usage(format!(
                "refusing to {action} without --yes (cannot ask on /dev/tty): {summary}"
            )))
        })?;
        if answer.trim() == "yes" {
            Ok(())
        } else {
            Err(ExitError::usage(format!("refusing to {action} (not confirmed): {summary}")).into())
        }
    }

    /// A context for unit tests: the given runner and clock, records into `out`.
    pub fn for_test(runner: Box<dyn Runner>, clock: Box<dyn Clock>, out: Box<dyn Write>, format: Format) -> Ctx {
        Ctx {
            tool: "strata-test",
            out: Sink::new(out, format, false),
            runner,
            clock,
            quiet: true,
            verbose: 0,
            color: false,
            stdin_is_terminal: false,
            stderr_is_terminal: false,
            format_given: false,
            mutate: MutateArgs::default(),
        }
    }
}

/// Writes `question` to the terminal and reads one line of answer from it.
fn ask_terminal(question: &str) -> std::io::Result<String> {
    use std::io::BufRead;
    let mut tty = std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty")?;
    tty.write_all(question.as_bytes())?;
    tty.flush()?;
    let mut answer = String::new();
    std::io::BufReader::new(tty).read_line(&mut answer)?;
    Ok(answer)
}

/// The deepest subcommand's matches: global flags are propagated down to it.
pub fn leaf(m: &ArgMatches) -> &ArgMatches {
    let mut m = m;
    while let Some((_, sub)) = m.subcommand() {
        m = sub;
    }
    m
}

/// The command as the dispatcher names it: `prune plan`, `harden-check`.
fn command_path(tool: &Tool, m: &ArgMatches) -> String {
    let mut path = tool.short_name().to_string();
    let mut m = m;
    while let Some((name, sub)) = m.subcommand() {
        path.push(' ');
        path.push_str(name);
        m = sub;
    }
    path
}

fn color_allowed(arg: ColorArg, is_terminal: bool) -> bool {
    match arg {
        ColorArg::Always => true,
        ColorArg::Never => false,
        // A terminal that says it cannot show any (TERM=dumb) gets none either.
        ColorArg::Auto => {
            is_terminal
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    }
}

/// Runs a tool as a process would: parses `args`, runs, prints errors, returns the exit code.
pub fn run_main<I, T>(tool: &Tool, args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    // `STRATA_COMPLETE=SHELL TOOL -- WORDS...` is the shell asking for completions: answered
    // here, before anything else runs.
    if let Some(code) = crate::complete::answer(|| tool.full_command(), tool.name, &args) {
        return code;
    }
    let matches = match tool.full_command().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            // --help and --version go to stdout; a closed pipe there is not an error.
            let _ = e.print();
            return if e.use_stderr() { exit::ERROR } else { exit::SUCCESS };
        }
    };
    match run_matches(tool, &matches) {
        Ok(outcome) => outcome.code(),
        Err(err) => {
            report(tool.name, &err, std::io::stderr().is_terminal());
            exit::code_of(&err)
        }
    }
}

fn run_matches(tool: &Tool, matches: &ArgMatches) -> Result<Outcome> {
    let leaf = leaf(matches);
    let common = CommonArgs::from_arg_matches(leaf)?;
    let stdout = std::io::stdout();
    let stdout_is_terminal = stdout.is_terminal();
    let stderr_is_terminal = std::io::stderr().is_terminal();
    if common.print0 && (common.json || !matches!(common.format, FormatArg::Auto | FormatArg::Plain)) {
        let given = match common.format.to_possible_value() {
            Some(v) if !common.json => format!("--format {}", v.get_name()),
            _ => "--json".to_string(),
        };
        return Err(ExitError::usage(format!("--print0 prints plain values; it does not go with {given}")).into());
    }
    let format = if common.json {
        Format::Json
    } else if common.print0 {
        Format::Plain
    } else {
        common.format.resolve(stdout_is_terminal)
    };
    if format == Format::Timeline {
        crate::output::check_timeline(&command_path(tool, matches)).map_err(ExitError::usage)?;
    }
    let color = color_allowed(common.color, stdout_is_terminal);
    anstream::ColorChoice::write_global(if color_allowed(common.color, stderr_is_terminal) {
        anstream::ColorChoice::Always
    } else {
        anstream::ColorChoice::Never
    });
    let mutate = (tool.mutate)(matches)?.unwrap_or_default();
    // -v: every command that runs, and its time, on stderr (-q wins).
    let system = Logged::new(
        SystemRunner,
        tool.name,
        if common.quiet { 0 } else { common.verbose },
        Box::new(crate::progress::Stderr),
    );
    // The one print path of --dry-run: the would-be commands, on stderr.
    let runner: Box<dyn Runner> = if mutate.dry_run {
        Box::new(DryRunner::new(system, Box::new(crate::progress::Stderr)))
    } else {
        Box::new(system)
    };
    let _lock = match mutate.lock_path(tool.name) {
        Some(p) => Some(crate::lock::acquire(&p)?),
        None => None,
    };
    let out: Box<dyn Write> = Box::new(std::io::BufWriter::new(stdout.lock()));
    let mut ctx = Ctx {
        tool: tool.name,
        out: Sink::new(out, format, color)
            .on_terminal(stdout_is_terminal)
            .table_width(crate::table::output_width())
            .print0(common.print0),
        runner,
        clock: crate::clock::from_env()?,
        quiet: common.quiet,
        verbose: common.verbose,
        color,
        stdin_is_terminal: std::io::stdin().is_terminal(),
        stderr_is_terminal,
        format_given: common.format_given(leaf),
        mutate,
    };
    let outcome = (tool.run)(matches, &mut ctx);
    // Whatever happened, the records written so far reach stdout. A pipe nobody reads is not an
    // error (the exit status stays the tool's answer); any other failure of stdout stopped the
    // output but not the work, and is reported after it.
    let flushed = ctx.out.finish();
    match (outcome, flushed) {
        (Ok(outcome), Ok(())) => Ok(outcome),
        (Err(err), _) => Err(err),
        (Ok(outcome), Err(e)) => Err(anyhow::Error::new(e).context(format!(
            "cannot write to standard output, so records are missing from it; the command itself ran to its \
             end (its exit status would have been {})",
            outcome.code()
        ))),
    }
}

/// The one error printer: `strata-x: error: MESSAGE` and then each cause on its own line.
pub fn report(tool: &str, err: &anyhow::Error, color: bool) {
    let mut e = anstream::stderr().lock();
    let red = anstyle::AnsiColor::Red.on_default().bold();
    let (on, off) =
        if color { (red.render().to_string(), red.render_reset().to_string()) } else { (String::new(), String::new()) };
    let _ = writeln!(e, "{tool}: {on}error{off}: {err}");
    for cause in err.chain().skip(1) {
        let _ = writeln!(e, "  caused by: {cause}");
    }
}

/// `fn main` of every binary.
pub fn main(tool: &Tool) -> ! {
    let code = run_main(tool, std::env::args_os());
    std::process::exit(i32::from(code))
}
