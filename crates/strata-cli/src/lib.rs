//! `strata`: the dispatcher. `strata snapshot ARGS` runs the built-in `strata-snapshot`;
//! `strata foo ARGS` runs `strata-foo` from PATH when no built-in has that name, like git and cargo.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, Command};
use strata_core::doc::ManDoc;
use strata_core::{Tool, exit};

/// Every built-in tool, in the order `strata --list` shows them.
pub const TOOLS: &[&Tool] = &[
    &strata_snapshot::TOOL,
    &strata_diff::TOOL,
    &strata_prune::TOOL,
    &strata_send::TOOL,
    &strata_quota::TOOL,
    &strata_harden_check::TOOL,
    &strata_sshtui::TOOL,
];

pub const DOC: ManDoc = ManDoc {
    examples: &[
        (
            "strata snapshot create -r tank/srv/docker/victim.org",
            "Take a recursive, atomic snapshot (same as strata-snapshot create ...).",
        ),
        (
            "strata snapshot list -r tank | strata prune plan --keep-daily 7 --keep-weekly 4 | strata prune apply --yes",
            "The cron line: list, plan the retention, destroy what the plan says. Silent when all goes well.",
        ),
        ("strata --list", "Show the built-in tools and any strata-* programs on PATH."),
    ],
    // `strata TOOL` exits as strata-TOOL does: its codes are here too, each page says more.
    exit_status: &[
        (
            exit::NEGATIVE,
            "A negative answer of the tool (strata diff found changes, strata quota check is at --warn, ...).",
        ),
        (exit::UNKNOWN, "strata quota check: the state is unknown (an error after the arguments were read)."),
        (exit::HANGUP, "strata sshtui: the picker was ended by SIGHUP."),
        (exit::TERMINATED, "strata sshtui: the picker was ended by SIGTERM."),
        (exit::CANNOT_RUN, "A strata-NAME program was found on PATH but could not be run."),
        (exit::NOT_FOUND, "No built-in tool and no strata-NAME program on PATH has that name."),
    ],
    environment: &[],
    records: &[],
};

/// The dispatcher's own command: every built-in as a subcommand (for help and completions),
/// and any other word as an external `strata-WORD`.
pub fn command() -> Command {
    Command::new("strata")
        .about("Small composable tools for ZFS-on-root servers, speaking NDJSON")
        .long_about(
            "Small composable tools for ZFS-on-root servers. Every tool reads and writes newline-delimited JSON \
             records, so they compose in shell pipelines, justfiles, cron jobs and CI.\n\n\
             `strata TOOL ARGS...` runs the built-in tool; `strata NAME ARGS...` runs `strata-NAME` from PATH when \
             no built-in has that name.",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .after_help(strata_core::doc::help_examples(&DOC, "strata", None).unwrap_or_default())
        .arg(
            Arg::new("list")
                .long("list")
                .action(ArgAction::SetTrue)
                .help("List the built-in tools and strata-* programs on PATH"),
        )
        .subcommands(TOOLS.iter().map(|t| (t.command)().name(t.short_name())))
        .allow_external_subcommands(true)
        .add(strata_core::complete::subcommands(|| external_tools().into_iter().map(|(name, _)| name).collect()))
        .external_subcommand_value_parser(clap::value_parser!(OsString))
}

/// `fn main` of `strata`.
pub fn main() -> ! {
    let args: Vec<OsString> = std::env::args_os().collect();
    std::process::exit(i32::from(dispatch(args)))
}

/// Runs the dispatcher on `args` (program name first) and returns the exit code; an external tool
/// replaces this process.
pub fn dispatch(args: Vec<OsString>) -> u8 {
    // The shell asking for completions of `strata ...` (see strata_core::complete).
    if let Some(code) = strata_core::complete::answer(command, "strata", &args) {
        return code;
    }
    if let Some(first) = args.get(1).and_then(|a| a.to_str())
        && let Some(tool) = builtin(first)
    {
        let rest = std::iter::once(OsString::from(tool.name)).chain(args.into_iter().skip(2));
        return strata_core::cli::run_main(tool, rest);
    }
    let matches = match command().try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit::ERROR } else { exit::SUCCESS };
        }
    };
    if matches.get_flag("list") {
        return print_list();
    }
    match matches.subcommand() {
        Some((name, sub)) => {
            let rest: Vec<OsString> = sub.get_many::<OsString>("").into_iter().flatten().cloned().collect();
            run_external(name, rest)
        }
        None => {
            let _ = command().print_help();
            exit::ERROR
        }
    }
}

fn builtin(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().copied().find(|t| t.short_name() == name)
}

fn run_external(name: &str, args: Vec<OsString>) -> u8 {
    let program = format!("strata-{name}");
    let Some(path) = find_in_path(&program) else {
        let shown = strata_core::sanitize::for_terminal(name);
        let hint = match suggest(name) {
            Some(near) => format!("; did you mean 'strata {near}'?"),
            None => "; see 'strata --list'".to_string(),
        };
        eprintln!("strata: error: '{shown}' is not a strata tool and no strata-{shown} is on PATH{hint}");
        return exit::NOT_FOUND;
    };
    let err = std::process::Command::new(&path).args(args).exec();
    eprintln!("strata: error: cannot run {}: {err}", path.display());
    exit::CANNOT_RUN
}

/// The tool name closest to a mistyped `name` (a built-in or a `strata-*` on PATH), when one is
/// close enough to be what was meant: `snaphot` is `snapshot`.
fn suggest(name: &str) -> Option<String> {
    let names = TOOLS.iter().map(|t| t.short_name().to_string()).chain(external_tools().into_iter().map(|(n, _)| n));
    names
        .map(|n| (strsim::damerau_levenshtein(name, &n), n))
        .filter(|(d, n)| *d <= 2.max(n.len() / 4) && *d < n.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| strata_core::sanitize::for_terminal(&n).into_owned())
}

/// Executable `strata-*` files on PATH, first match per name wins (as the shell would pick).
pub fn external_tools() -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<_> = entries.flatten().filter_map(|e| e.file_name().into_string().ok()).collect();
        names.sort();
        for n in names {
            if let Some(short) = n.strip_prefix("strata-")
                && !short.is_empty()
                && builtin(short).is_none()
                && !found.iter().any(|(s, _)| s == short)
                && is_executable(&dir.join(&n))
            {
                found.push((short.to_string(), dir.join(&n)));
            }
        }
    }
    found
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn print_list() -> u8 {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let mut lines = Vec::new();
    for t in TOOLS {
        let about = (t.command)().get_about().map(|a| a.to_string()).unwrap_or_default();
        lines.push(format!("{:<14} {about}", t.short_name()));
    }
    // Names found on PATH are anyone's: escaped like every untrusted string shown to people.
    for (short, path) in external_tools() {
        let short = strata_core::sanitize::for_terminal(&short);
        lines.push(format!("{short:<14} {}", strata_core::sanitize::for_terminal(&path.display().to_string())));
    }
    for l in lines {
        if writeln!(out, "{l}").is_err() {
            break;
        }
    }
    exit::SUCCESS
}

/// Every binary with its command and man page sections: the dispatcher first, then the tools.
pub fn binaries() -> Vec<(&'static str, Command, &'static ManDoc)> {
    let mut v = vec![("strata", command(), &DOC)];
    v.extend(TOOLS.iter().map(|t| (t.name, t.full_command(), t.doc)));
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn dispatcher_command_is_valid() {
        super::command().debug_assert();
        for t in super::TOOLS {
            t.full_command().debug_assert();
        }
    }
}
