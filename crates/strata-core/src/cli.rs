//! The shared main body: common flags, the context a tool runs in, and the one error printer.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use clap::{ArgMatches, Args, FromArgMatches, ValueEnum};

use crate::clock::Clock;
use crate::doc::ManDoc;
use crate::exit::{self, ExitError, Outcome};
use crate::output::{Format, FormatArg, Sink};
use crate::runner::{DryRunner, Runner, SystemRunner};

/// A tool: how to parse its command line, how to run it, and its man page's extra sections.
#[derive(Clone, Copy)]
pub struct Tool {
    /// The binary's name, e.g. `strata-snapshot`.
    pub name: &'static str,
    pub command: fn() -> clap::Command,
    pub run: fn(&ArgMatches, &mut Ctx) -> Result<Outcome>,
    pub doc: &'static ManDoc,
}

impl Tool {
    /// The name under the dispatcher: `strata-snapshot` is `strata snapshot`.
    pub fn short_name(&self) -> &'static str {
        self.name.strip_prefix("strata-").unwrap_or(self.name)
    }

    /// The tool's full command, named after its binary, with version and the common flags.
    pub fn full_command(&self) -> clap::Command {
        (self.command)().name(self.name).bin_name(self.name).version(env!("CARGO_PKG_VERSION"))
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

/// Flags of commands that change something.
#[derive(Debug, Clone, Args)]
pub struct MutateArgs {
    /// Show what would be done (the exact commands on standard error) and change nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Do it without asking.
    #[arg(short, long)]
    pub yes: bool,
    /// Refuse to run (exit 75) while another run holds this lock: bare --lock takes
    /// /run/lock/TOOL.lock for root, --lock=PATH another file (the = is needed).
    // `Option<Option<_>>`: absent, bare, or with a value. The value needs `=`, so a bare `--lock`
    // never takes the next word (a dataset, a snapshot) as its path.
    #[arg(long, value_name = "PATH", num_args = 0..=1, require_equals = true)]
    pub lock: Option<Option<std::path::PathBuf>>,
}

/// The lock file asked for on the command line of `leaf`, for tools whose commands take
/// [`MutateArgs`]; `None` when the command has no `--lock` or it was not given.
fn lock_path(leaf: &ArgMatches, tool: &str) -> Option<std::path::PathBuf> {
    if !leaf.try_contains_id("lock").unwrap_or(false) {
        return None;
    }
    let given = leaf.try_get_one::<std::path::PathBuf>("lock").ok().flatten().cloned();
    Some(given.unwrap_or_else(|| crate::lock::default_path(tool)))
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
}

impl Ctx {
    /// A message for people, on stderr, unless `--quiet`.
    pub fn info(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            let mut e = std::io::stderr().lock();
            let _ = writeln!(e, "{}: {msg}", self.tool);
        }
    }

    /// A message shown only with `-v`.
    pub fn debug(&self, msg: impl std::fmt::Display) {
        if self.verbose > 0 {
            self.info(msg);
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
        }
    }
}

/// The deepest subcommand's matches: global flags are propagated down to it.
pub fn leaf(m: &ArgMatches) -> &ArgMatches {
    let mut m = m;
    while let Some((_, sub)) = m.subcommand() {
        m = sub;
    }
    m
}

fn color_allowed(arg: ColorArg, is_terminal: bool) -> bool {
    match arg {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

/// Runs a tool as a process would: parses `args`, runs, prints errors, returns the exit code.
pub fn run_main<I, T>(tool: &Tool, args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
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
        return Err(
            ExitError::new(exit::ERROR, format!("--print0 prints plain values; it does not go with {given}")).into()
        );
    }
    let format = if common.json {
        Format::Json
    } else if common.print0 {
        Format::Plain
    } else {
        common.format.resolve(stdout_is_terminal)
    };
    let color = color_allowed(common.color, stdout_is_terminal);
    anstream::ColorChoice::write_global(if color_allowed(common.color, stderr_is_terminal) {
        anstream::ColorChoice::Always
    } else {
        anstream::ColorChoice::Never
    });
    let dry_run = leaf.try_get_one::<bool>("dry_run").ok().flatten().copied().unwrap_or(false);
    let runner: Box<dyn Runner> = if dry_run {
        Box::new(DryRunner::new(SystemRunner, Box::new(std::io::stderr())))
    } else {
        Box::new(SystemRunner)
    };
    let _lock = match lock_path(leaf, tool.name) {
        Some(p) => Some(crate::lock::acquire(&p)?),
        None => None,
    };
    let out: Box<dyn Write> = Box::new(std::io::BufWriter::new(stdout.lock()));
    let mut ctx = Ctx {
        tool: tool.name,
        out: Sink::new(out, format, color).on_terminal(stdout_is_terminal).print0(common.print0),
        runner,
        clock: crate::clock::from_env()?,
        quiet: common.quiet,
        verbose: common.verbose,
        color,
        stdin_is_terminal: std::io::stdin().is_terminal(),
        stderr_is_terminal,
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
