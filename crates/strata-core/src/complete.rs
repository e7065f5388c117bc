//! Shell completion for bash, zsh and fish, served from one place: the binary itself.
//!
//! A shell loads a small registration script (`completions/`, or what
//! `STRATA_COMPLETE=bash strata-snapshot` prints) whose function calls back into the binary on
//! every Tab: `STRATA_COMPLETE=bash strata-snapshot -- WORDS...`. The binary answers through
//! clap_complete's dynamic engine ([`answer`], called by the shared main body before anything else runs) from the
//! same `clap::Command` it parses with, so subcommands, options, value enums and the arguments'
//! own candidates ([`datasets`], [`snapshots`], [`from_fn`]) are the same in every shell.
//!
//! Completing must never fail loudly or change anything: a missing `zfs`, an unreadable
//! configuration or a name holding a control character give no candidates, not an error.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use clap_complete::engine::{ArgValueCompleter, CompletionCandidate, SubcommandCandidates};
use clap_complete::env::{CompleteEnv, EnvCompleter, Shells};

use crate::exit;
use crate::runner::{Cmd, Runner, SystemRunner};

/// The environment variable that makes a run a completion request (`STRATA_COMPLETE=bash`):
/// strata's own name, so that a `COMPLETE` meant for another program never turns a run of a
/// strata tool into a completion answer.
pub const VAR: &str = "STRATA_COMPLETE";

/// The shells completion is served for, with the file name of each one's registration script
/// (`{}` is the binary's name): bash-completion's, zsh's `fpath` and fish's completions
/// directories look a command's completion up by these names.
pub const SHELLS: &[(&str, &str)] = &[("bash", "{}.bash"), ("zsh", "_{}"), ("fish", "{}.fish")];

/// The environment variable that carries the index of the word being completed.
const INDEX_VAR: &str = "STRATA_COMPLETE_INDEX";

const SUPPORTED: Shells<'static> = Shells(&[&BashShell, &ZshShell, &FishShell]);

/// The words of the command line before the one being completed (for completers that depend on
/// another argument, such as `--root` or `-F`); empty outside a completion request.
static WORDS: OnceLock<Vec<OsString>> = OnceLock::new();

/// Answers a completion request when the environment holds one (`STRATA_COMPLETE=SHELL`), and
/// returns the exit code then; `None` for a normal run. Without words it prints the registration script
/// of `bin`, with them (`-- WORDS...`) the candidates for the last one.
pub fn answer(command: impl Fn() -> clap::Command, bin: &str, args: &[OsString]) -> Option<u8> {
    if std::env::var_os(VAR).is_none_or(|v| v.is_empty() || v == "0") {
        return None;
    }
    if let Some(at) = args.iter().position(|a| a == "--") {
        // The words before the one being completed (bash and zsh say which it is; fish's is last).
        let words = &args[at + 1..];
        let current = index_from_env().unwrap_or(words.len().saturating_sub(1));
        let _ = WORDS.set(words[..current.min(words.len())].to_vec());
    }
    let cwd = std::env::current_dir().ok();
    let result = CompleteEnv::with_factory(command)
        .var(VAR)
        .bin(bin)
        .completer(bin)
        .shells(SUPPORTED)
        .try_complete(args.iter().cloned(), cwd.as_deref());
    match result {
        Ok(true) => Some(exit::SUCCESS),
        Ok(false) => None,
        Err(e) => {
            let _ = e.print();
            Some(exit::ERROR)
        }
    }
}

/// The registration script of `bin` for `shell` (one of [`SHELLS`]): what `completions/` holds
/// and what `STRATA_COMPLETE=SHELL BIN` prints. It calls `bin` from PATH.
pub fn registration(shell: &str, bin: &str) -> std::io::Result<Vec<u8>> {
    let s = SUPPORTED
        .completer(shell)
        .ok_or_else(|| std::io::Error::other(format!("no completion for the shell {shell}")))?;
    let mut buf = Vec::new();
    s.write_registration(VAR, bin, bin, bin, &mut buf)?;
    Ok(buf)
}

/// The value of an option on the command line being completed (`-F FILE`, `-FFILE`,
/// `--root DIR`, `--root=DIR`; the last one given), with a leading `~/` made `$HOME/`.
pub fn option_value(short: Option<char>, long: Option<&str>) -> Option<PathBuf> {
    let words = WORDS.get()?;
    let mut found = None;
    let mut it = words.iter().skip(1).peekable();
    while let Some(w) = it.next() {
        let Some(s) = w.to_str() else { continue };
        if s == "--" {
            break;
        }
        let short_flag = short.map(|c| format!("-{c}"));
        let long_flag = long.map(|l| format!("--{l}"));
        if Some(s) == short_flag.as_deref() || Some(s) == long_flag.as_deref() {
            if let Some(v) = it.peek() {
                found = Some(PathBuf::from(v));
            }
        } else if let Some(v) = short_flag.as_deref().and_then(|f| s.strip_prefix(f)).filter(|v| !v.is_empty()) {
            found = Some(PathBuf::from(v));
        } else if let Some(v) = long_flag.as_deref().and_then(|f| s.strip_prefix(f)).and_then(|v| v.strip_prefix('=')) {
            found = Some(PathBuf::from(v));
        }
    }
    found.map(|p| match (p.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => p,
    })
}

/// True when the flag (`-x`, `--long`) is on the command line being completed.
pub fn has_flag(short: Option<char>, long: Option<&str>) -> bool {
    let Some(words) = WORDS.get() else { return false };
    let short_flag = short.map(|c| format!("-{c}"));
    let long_flag = long.map(|l| format!("--{l}"));
    words
        .iter()
        .skip(1)
        .filter_map(|w| w.to_str())
        .take_while(|w| *w != "--")
        .any(|w| Some(w) == short_flag.as_deref() || Some(w) == long_flag.as_deref())
}

/// The names that start with `current`, as candidates. A name holding a control character
/// (a newline, an escape sequence) is left out: it could not be typed, and a shell would
/// split it or a terminal obey it.
pub fn matching(current: &str, names: impl IntoIterator<Item = String>) -> Vec<CompletionCandidate> {
    let mut seen = std::collections::HashSet::new();
    names
        .into_iter()
        .filter(|n| n.starts_with(current) && !n.chars().any(char::is_control))
        .filter(|n| seen.insert(n.clone()))
        .map(CompletionCandidate::new)
        .collect()
}

/// A completer from a function of the typed prefix giving names ([`matching`] filters them).
pub fn from_fn(names: fn(&str) -> Vec<String>) -> ArgValueCompleter {
    ArgValueCompleter::new(move |current: &OsStr| match current.to_str() {
        Some(c) => matching(c, names(c)),
        None => Vec::new(),
    })
}

/// Candidates for the external subcommands of a command (`strata NAME` runs `strata-NAME`).
pub fn subcommands(names: fn() -> Vec<String>) -> SubcommandCandidates {
    SubcommandCandidates::new(move || matching("", names()))
}

/// Filesystems and volumes: `zfs list -H -o name -t filesystem,volume -d 1` below the part of
/// the typed prefix up to its last `/` (the pools and their children when there is none).
pub fn datasets() -> ArgValueCompleter {
    from_fn(dataset_names)
}

/// Snapshots (`DATASET@NAME`): a dataset's snapshots once `@` is typed, before that the datasets
/// followed by `@`.
pub fn snapshots() -> ArgValueCompleter {
    from_fn(|prefix| match prefix.split_once('@') {
        Some((dataset, _)) => snapshot_names(dataset),
        None => dataset_names(prefix).into_iter().map(|d| d + "@").collect(),
    })
}

/// A snapshot or a dataset: the datasets, and a dataset's snapshots once `@` is typed.
pub fn datasets_or_snapshots() -> ArgValueCompleter {
    from_fn(|prefix| match prefix.split_once('@') {
        Some((dataset, _)) => snapshot_names(dataset),
        None => dataset_names(prefix),
    })
}

/// A later snapshot of the same filesystem: as [`datasets_or_snapshots`], and `@NAME` (the
/// snapshots of the dataset of the `DATASET@NAME` argument before it) once `@` is typed first.
pub fn later_snapshots() -> ArgValueCompleter {
    from_fn(|prefix| match prefix.strip_prefix('@') {
        Some(_) => {
            let earlier = WORDS
                .get()
                .into_iter()
                .flatten()
                .skip(1)
                .filter_map(|w| w.to_str())
                .filter(|w| !w.starts_with('-'))
                .find_map(|w| w.split_once('@').map(|(dataset, _)| dataset.to_string()));
            earlier
                .map(|d| snapshot_names(&d))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|s| s.split_once('@').map(|(_, name)| format!("@{name}")))
                .collect()
        }
        None => match prefix.split_once('@') {
            Some((dataset, _)) => snapshot_names(dataset),
            None => dataset_names(prefix),
        },
    })
}

fn dataset_names(prefix: &str) -> Vec<String> {
    match prefix.rsplit_once('/') {
        Some((parent, _)) => zfs_names(&["-t", "filesystem,volume", "-d", "1"], Some(parent)),
        None => zfs_names(&["-t", "filesystem,volume", "-d", "1"], None),
    }
}

fn snapshot_names(dataset: &str) -> Vec<String> {
    zfs_names(&["-t", "snapshot", "-d", "1"], Some(dataset))
}

/// `zfs list -H -o name ARGS [DATASET]`, one name a line (the first tab-separated field); no
/// names when zfs is missing or fails, or when `dataset` could be read as an option.
fn zfs_names(args: &[&str], dataset: Option<&str>) -> Vec<String> {
    if dataset.is_some_and(|d| d.is_empty() || d.starts_with('-')) {
        return Vec::new();
    }
    let cmd = Cmd::read("zfs").args(["list", "-H", "-o", "name"]).args(args).args(dataset);
    match SystemRunner.output(&cmd) {
        Ok(out) if out.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split('\t').next())
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// The candidates for the word at `index` of `words`, as (value, help): option names only when
/// the word starts with `-` or nothing else fits, none holding a control character.
fn candidates(
    cmd: &mut clap::Command,
    mut words: Vec<OsString>,
    index: usize,
    cwd: Option<&std::path::Path>,
) -> Vec<(String, Option<String>)> {
    if words.len() <= index {
        words.resize(index + 1, OsString::new());
    }
    let dash = words[index].to_string_lossy().starts_with('-');
    let Ok(found) = clap_complete::engine::complete(cmd, words, index, cwd) else {
        return Vec::new();
    };
    let mut v: Vec<(String, Option<String>)> = found
        .iter()
        .filter(|c| !c.is_hide_set())
        .filter_map(|c| c.get_value().to_str().map(|s| (s.to_string(), c.get_help().map(|h| h.to_string()))))
        .filter(|(s, _)| !s.is_empty() && !s.chars().any(char::is_control))
        .map(|(s, h)| (s, h.and_then(|h| h.lines().next().map(str::to_string))))
        .collect();
    if !dash && v.iter().any(|(s, _)| !s.starts_with('-')) {
        v.retain(|(s, _)| !s.starts_with('-'));
    }
    v
}

fn index_from_env() -> Option<usize> {
    std::env::var(INDEX_VAR).ok().and_then(|i| i.parse().ok())
}

/// bash: the words are joined back where bash split them at `=` or `:` (COMP_WORDBREAKS) but the
/// line has no blank, the candidates are for that whole word, and the part bash does not replace
/// is taken off them again. Each candidate is quoted (`printf %q`) as bash inserts it as it is: a
/// name holding a blank stays one word, and one holding `$(...)` is text, not a command. No file
/// names unless the argument takes a path.
struct BashShell;

const BASH: &str = r#"_strata_complete_NAME() {
    local IFS=$'\013' line="${COMP_LINE:0:COMP_POINT}" rest w i
    local -a words=()
    for ((i = 0; i <= COMP_CWORD; i++)); do
        w="${COMP_WORDS[i]}"
        rest="${line#"${line%%[![:space:]]*}"}"
        if ((i == 0)) || [[ ${#rest} -ne ${#line} ]]; then
            words+=("$w")
        else
            words[${#words[@]}-1]+="$w"
        fi
        line="${rest#"$w"}"
    done
    local cur="${words[${#words[@]}-1]}"
    local keep="${cur%"$2"}"
    compopt +o nospace 2>/dev/null
    COMPREPLY=($(INDEX_VAR="$((${#words[@]} - 1))" VAR=bash BIN -- "${words[@]}" 2>/dev/null))
    for i in "${!COMPREPLY[@]}"; do
        printf -v 'COMPREPLY[i]' '%q' "${COMPREPLY[i]#"$keep"}"
    done
    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} =~ [=/:@]$ ]]; then
        compopt -o nospace 2>/dev/null
    fi
}
if [[ ${BASH_VERSINFO[0]} -gt 4 || ${BASH_VERSINFO[0]} -eq 4 && ${BASH_VERSINFO[1]} -ge 4 ]]; then
    complete -o nosort -F _strata_complete_NAME BIN
else
    complete -F _strata_complete_NAME BIN
fi
"#;

/// A bash or zsh registration script: `template` with its placeholders filled in (the function
/// name, the variables, the binary that asks and the one that answers, each quoted as a word).
fn fill_template(template: &str, var: &str, name: &str, bin: &str, completer: &str) -> String {
    template
        .replace("NAME", &function_name(name))
        .replace("INDEX_VAR", INDEX_VAR)
        .replace("VAR", var)
        .replace("BIN --", &format!("{} --", shell_word(completer)))
        .replace("BIN", &shell_word(bin))
}

impl EnvCompleter for BashShell {
    fn name(&self) -> &'static str {
        "bash"
    }
    fn is(&self, name: &str) -> bool {
        name == "bash"
    }
    fn write_registration(
        &self,
        var: &str,
        name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        buf.write_all(fill_template(BASH, var, name, bin, completer).as_bytes())
    }
    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        cwd: Option<&std::path::Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let index = index_from_env().unwrap_or(args.len().saturating_sub(1));
        let values: Vec<String> = candidates(cmd, args, index, cwd).into_iter().map(|(s, _)| s).collect();
        buf.write_all(values.join("\x0b").as_bytes())
    }
}

/// zsh: the file works from `fpath` (compinit autoloads it as `_BIN` and the first Tab already
/// completes) and when sourced. Candidates ending in `=`, `@` or `/` take no space after them.
struct ZshShell;

const ZSH: &str = r#"#compdef BIN
_strata_complete_NAME() {
    local -a found spaced unspaced
    found=("${(@f)$(INDEX_VAR="$((CURRENT - 1))" VAR=zsh BIN -- "${words[@]}" 2>/dev/null)}")
    local c
    for c in $found; do
        [[ -z $c ]] && continue
        if [[ ${c%%:*} == *[=@/] ]]; then
            unspaced+=("$c")
        else
            spaced+=("$c")
        fi
    done
    (( ${#spaced} )) && _describe -V values spaced
    (( ${#unspaced} )) && _describe -V values unspaced -S ''
    return 0
}
if [[ ${funcstack[1]} == _BIN ]]; then
    _strata_complete_NAME "$@"
else
    compdef _strata_complete_NAME BIN
fi
"#;

impl EnvCompleter for ZshShell {
    fn name(&self) -> &'static str {
        "zsh"
    }
    fn is(&self, name: &str) -> bool {
        name == "zsh"
    }
    fn write_registration(
        &self,
        var: &str,
        name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        buf.write_all(fill_template(ZSH, var, name, bin, completer).as_bytes())
    }
    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        cwd: Option<&std::path::Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let index = index_from_env().unwrap_or(args.len().saturating_sub(1));
        let lines: Vec<String> = candidates(cmd, args, index, cwd)
            .into_iter()
            .map(|(s, h)| {
                let s = s.replace('\\', "\\\\").replace(':', "\\:");
                match h {
                    Some(h) => format!("{s}:{h}"),
                    None => s,
                }
            })
            .collect();
        buf.write_all(lines.join("\n").as_bytes())
    }
}

/// fish: one `complete` line, so the file works from a completions directory (fish loads
/// `BIN.fish` when BIN is first completed) and when sourced. `--exclusive`: no file names unless
/// the binary offers them.
struct FishShell;

impl EnvCompleter for FishShell {
    fn name(&self) -> &'static str {
        "fish"
    }
    fn is(&self, name: &str) -> bool {
        name == "fish"
    }
    fn write_registration(
        &self,
        var: &str,
        _name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        writeln!(
            buf,
            "complete --keep-order --exclusive --command {} --arguments \"({var}=fish {} -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))\"",
            shell_word(bin),
            shell_word(completer)
        )
    }
    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        cwd: Option<&std::path::Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let index = args.len().saturating_sub(1);
        for (s, h) in candidates(cmd, args, index, cwd) {
            match h {
                Some(h) => writeln!(buf, "{s}\t{h}")?,
                None => writeln!(buf, "{s}")?,
            }
        }
        Ok(())
    }
}

/// A shell function's name for a binary (`strata-snapshot`: `strata_snapshot`).
fn function_name(bin: &str) -> String {
    bin.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

/// A binary's name as a word of the scripts: only names that need no quoting in any of the
/// three shells are written (every strata binary's is one); anything else is refused loudly at
/// generation time rather than quoted three different ways.
fn shell_word(s: &str) -> String {
    assert!(
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)),
        "a binary name that needs quoting in a completion script: {s:?}"
    );
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd() -> clap::Command {
        clap::Command::new("t")
            .subcommand(
                clap::Command::new("create").arg(
                    clap::Arg::new("name").add(from_fn(|_| {
                        vec!["tank".into(), "tank/a".into(), "bad\nname".into(), "esc\x1b[2J".into()]
                    })),
                ),
            )
            .arg(clap::Arg::new("verbose").long("verbose").action(clap::ArgAction::SetTrue))
    }

    fn words(w: &[&str]) -> Vec<OsString> {
        w.iter().map(OsString::from).collect()
    }

    #[test]
    fn candidates_leave_out_control_characters_and_options_unless_asked() {
        let got = candidates(&mut cmd(), words(&["t", "create", ""]), 2, None);
        let names: Vec<&str> = got.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(names, ["tank", "tank/a"]);
        let got = candidates(&mut cmd(), words(&["t", "--v"]), 1, None);
        assert_eq!(got.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(), ["--verbose"]);
        let got = candidates(&mut cmd(), words(&["t", "create", "tank/"]), 2, None);
        assert_eq!(got.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(), ["tank/a"]);
    }

    #[test]
    fn every_registration_names_the_binary_and_calls_it_back() {
        for (shell, _) in SHELLS {
            let text = String::from_utf8(registration(shell, "strata-x").unwrap()).unwrap();
            assert!(text.contains("STRATA_COMPLETE="), "{shell}: {text}");
            assert!(text.contains(&format!("{shell} strata-x --")) || text.contains(&format!("={shell} strata-x --")));
            assert!(!text.contains("BIN") && !text.contains("NAME") && !text.contains("INDEX_VAR"), "{text}");
        }
        assert!(registration("elvish", "strata-x").is_err());
    }

    #[test]
    fn zsh_registration_completes_when_autoloaded_from_fpath() {
        let text = String::from_utf8(registration("zsh", "strata-x").unwrap()).unwrap();
        assert!(text.starts_with("#compdef strata-x\n"));
        assert!(text.contains("if [[ ${funcstack[1]} == _strata-x ]]; then\n    _strata_complete_strata_x \"$@\""));
    }

    #[test]
    fn zfs_names_are_not_asked_for_a_prefix_that_reads_as_an_option() {
        assert!(zfs_names(&["-d", "1"], Some("-rf")).is_empty());
        assert!(zfs_names(&["-d", "1"], Some("")).is_empty());
    }
}
