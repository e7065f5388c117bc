//! One contract for every tool, checked by walking each tool's `command()`: which commands change
//! something and how they say so (`--dry-run`, `--lock[=PATH]`, `--yes` only where they ask),
//! which exit codes each man page lists, and how record fields are documented.

use std::collections::BTreeSet;
use std::path::PathBuf;

use strata_core::Tool;
use strata_core::clap::{self, Command};
use strata_core::cli::MutateArgs;
use strata_core::exit;

/// A command that changes something: where it is, a command line that reaches it, and whether it
/// asks before it acts. Adding a changing command means adding it here; the walk below fails for
/// any command with `--dry-run`, `--lock` or `--yes` that is not listed.
struct Changing {
    tool: &'static str,
    /// Subcommand names from the tool down to the command (empty: the tool itself).
    path: &'static [&'static str],
    /// The tool's arguments that reach the command, without the mutating flags.
    argv: &'static [&'static str],
    asks: bool,
}

const CHANGING: &[Changing] = &[
    Changing { tool: "strata-snapshot", path: &["create"], argv: &["create", "tank/a"], asks: false },
    Changing { tool: "strata-snapshot", path: &["rollback"], argv: &["rollback", "tank/a@s1"], asks: true },
    Changing {
        tool: "strata-snapshot",
        path: &["policy", "set"],
        argv: &["policy", "set", "tank/a", "--every", "1h"],
        asks: false,
    },
    Changing { tool: "strata-prune", path: &["apply"], argv: &["apply"], asks: true },
    Changing { tool: "strata-send", path: &[], argv: &["tank/a", "--to", "backup/a"], asks: false },
    Changing { tool: "strata-quota", path: &["set"], argv: &["set", "tank/a", "quota=1G"], asks: false },
    // --suggest --write installs drop-ins; the tool has no subcommands.
    Changing { tool: "strata-harden-check", path: &[], argv: &["--suggest", "--write", "nginx"], asks: false },
];

/// Command lines that change nothing, one per command that is not in [`CHANGING`].
const READING: &[(&str, &[&str])] = &[
    ("strata-snapshot", &["list"]),
    ("strata-snapshot", &["policy", "tank/a"]),
    ("strata-snapshot", &["check", "tank/a"]),
    ("strata-diff", &["tank/a@s1"]),
    ("strata-prune", &["plan", "--keep-last", "1"]),
    ("strata-quota", &["report"]),
    ("strata-quota", &["check"]),
    ("strata-quota", &["users", "tank/a"]),
    ("strata-sshtui", &["list"]),
];

fn tools() -> &'static [&'static Tool] {
    strata_cli::TOOLS
}

/// Every command of `cmd` that runs something (a leaf), with its path of subcommand names.
fn leaves(cmd: &Command, path: Vec<String>, out: &mut Vec<(Vec<String>, Command)>) {
    let subs: Vec<&Command> = cmd.get_subcommands().filter(|s| s.get_name() != "help").collect();
    if subs.is_empty() || !cmd.is_subcommand_required_set() {
        out.push((path.clone(), cmd.clone()));
    }
    for s in subs {
        let mut p = path.clone();
        p.push(s.get_name().to_string());
        leaves(s, p, out);
    }
}

fn long<'a>(cmd: &'a Command, name: &str) -> Option<&'a clap::Arg> {
    cmd.get_arguments().find(|a| a.get_long() == Some(name))
}

fn changing(tool: &str, path: &[String]) -> Option<&'static Changing> {
    CHANGING.iter().find(|c| c.tool == tool && c.path.iter().copied().eq(path.iter().map(String::as_str)))
}

#[test]
fn every_changing_command_takes_dry_run_and_lock_and_only_those_that_ask_take_yes() {
    let mut seen = Vec::new();
    for tool in tools() {
        let mut all = Vec::new();
        leaves(&tool.full_command(), Vec::new(), &mut all);
        for (path, cmd) in all {
            let at = format!("{} {}", tool.name, path.join(" "));
            let (dry, lock, yes) = (long(&cmd, "dry-run"), long(&cmd, "lock"), long(&cmd, "yes"));
            match changing(tool.name, &path) {
                Some(c) => {
                    seen.push(at.clone());
                    let dry = dry.unwrap_or_else(|| panic!("{at} changes something but has no --dry-run"));
                    assert_eq!(dry.get_short(), Some('n'), "{at}: --dry-run is -n everywhere");
                    let lock = lock.unwrap_or_else(|| panic!("{at} changes something but has no --lock"));
                    assert!(
                        lock.is_require_equals_set() && lock.get_num_args().is_some_and(|n| n.min_values() == 0),
                        "{at}: --lock[=PATH], the path attached with ="
                    );
                    if c.asks {
                        let yes = yes.unwrap_or_else(|| panic!("{at} asks before it acts but has no --yes"));
                        assert_eq!(yes.get_short(), Some('y'), "{at}: --yes is -y everywhere");
                    } else {
                        assert!(yes.is_none(), "{at} takes --yes but nothing there asks");
                    }
                }
                None => {
                    assert!(dry.is_none(), "{at} has --dry-run but is not a changing command of the contract");
                    assert!(lock.is_none(), "{at} has --lock but is not a changing command of the contract");
                    assert!(yes.is_none(), "{at} has --yes but nothing there asks");
                }
            }
        }
    }
    for c in CHANGING {
        let at = format!("{} {}", c.tool, c.path.join(" "));
        assert!(seen.contains(&at), "{at} is in the contract but no tool has it");
    }
}

fn tool(name: &str) -> &'static Tool {
    tools().iter().copied().find(|t| t.name == name).unwrap_or_else(|| panic!("no tool {name}"))
}

fn matches(t: &Tool, args: &[&str]) -> clap::ArgMatches {
    t.full_command()
        .try_get_matches_from(std::iter::once(t.name).chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{} {args:?}: {e}", t.name))
}

/// The main body takes `--dry-run`, `--lock` and `--yes` from the tool, typed: what the tool hands
/// over is what the command line said, for every changing command, and nothing for the others.
#[test]
fn every_tool_hands_its_mutating_flags_over_typed() {
    for c in CHANGING {
        let t = tool(c.tool);
        let mut args = c.argv.to_vec();
        args.extend(["--dry-run", "--lock=/run/lock/x.lock"]);
        if c.asks {
            args.push("--yes");
        }
        let got = (t.mutate)(&matches(t, &args)).unwrap();
        let want = MutateArgs { dry_run: true, lock: Some(Some(PathBuf::from("/run/lock/x.lock"))), yes: c.asks };
        assert_eq!(got, Some(want), "{} {args:?}", c.tool);
        let bare = (t.mutate)(&matches(t, c.argv)).unwrap();
        assert_eq!(bare, Some(MutateArgs::default()), "{} {:?}", c.tool, c.argv);
        let mut args = c.argv.to_vec();
        args.push("--lock");
        let lock = (t.mutate)(&matches(t, &args)).unwrap().unwrap().lock_path(c.tool);
        assert!(lock.is_some_and(|p| p.to_string_lossy().contains(c.tool)), "{} bare --lock", c.tool);
    }
    for (name, args) in READING {
        let t = tool(name);
        assert_eq!((t.mutate)(&matches(t, args)).unwrap(), None, "{name} {args:?} changes nothing");
    }
}

/// The codes listed under EXIT STATUS in a committed man page.
fn man_exit_codes(name: &str) -> BTreeSet<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("man").join(format!("{name}.1"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let section = text
        .split("\n.SH ")
        .find(|s| s.starts_with("\"EXIT STATUS\"") || s.starts_with("EXIT STATUS"))
        .unwrap_or_else(|| panic!("{name}.1 has no EXIT STATUS"));
    let lines: Vec<&str> = section.lines().collect();
    lines
        .windows(2)
        .filter(|w| w[0] == ".TP")
        .map(|w| {
            let code = w[1].trim_start_matches("\\fB").trim_end_matches("\\fR");
            code.parse().unwrap_or_else(|_| panic!("{name}.1: EXIT STATUS entry {:?} is not a code", w[1]))
        })
        .collect()
}

/// The codes a binary declares: every tool's common ones, 75 where `--lock` exists, and its own.
fn declared(cmd: &Command, own: &[(u8, &str)]) -> BTreeSet<u8> {
    let mut codes: BTreeSet<u8> = exit::COMMON.iter().copied().collect();
    if strata_core::doc::has_mutate_args(cmd) {
        codes.insert(exit::LOCKED);
    }
    codes.extend(own.iter().map(|(c, _)| *c));
    codes
}

#[test]
fn every_man_page_lists_exactly_the_exit_codes_its_tool_declares() {
    for (name, cmd, doc) in strata_cli::binaries() {
        let want = declared(&cmd, doc.exit_status);
        assert_eq!(man_exit_codes(name), want, "EXIT STATUS of man/{name}.1");
        for c in &want {
            assert!(exit::ALL.contains(c), "{name} declares exit code {c}, which strata_core::exit does not name");
        }
        let has_lock = {
            let mut all = Vec::new();
            leaves(&cmd, Vec::new(), &mut all);
            all.iter().any(|(_, c)| long(c, "lock").is_some())
        };
        assert_eq!(want.contains(&exit::LOCKED), has_lock, "{name}: 75 is listed exactly where --lock exists");
    }
    // The dispatcher exits as the tool it runs: every code of every tool is on its page.
    let all_tools: BTreeSet<u8> = tools().iter().flat_map(|t| declared(&t.full_command(), t.doc.exit_status)).collect();
    let strata = man_exit_codes("strata");
    assert!(all_tools.is_subset(&strata), "strata.1 lacks {:?}", all_tools.difference(&strata).collect::<Vec<_>>());
}

/// A field's documented type: a JSON type, and `|null` when the field can be null.
#[test]
fn record_fields_are_documented_with_one_spelling_of_null() {
    let types = ["string", "integer", "number", "boolean", "array of strings", "array of objects"];
    for tool in tools() {
        for rec in tool.doc.records {
            for f in rec.fields {
                let base = f.ty.strip_suffix("|null").unwrap_or(f.ty);
                assert!(
                    types.contains(&base),
                    "{}: field {:?} of record {:?} has type {:?}; write one of {types:?}, with |null when it can be null",
                    tool.name,
                    f.name,
                    rec.name,
                    f.ty
                );
            }
        }
    }
}

/// Records built with every optional value absent: the null fields are exactly those documented
/// `|null`.
#[test]
fn fields_that_can_be_null_are_documented_so() {
    let snapshot = strata_zfs::snapshot::SnapshotRecord {
        r#type: "snapshot",
        snapshot: "tank/a@s".into(),
        dataset: "tank/a".into(),
        name: "s".into(),
        created: jiff::Timestamp::UNIX_EPOCH,
        created_unix: 0,
        guid: None,
        createtxg: None,
        used_bytes: None,
        referenced_bytes: None,
        userrefs: None,
        managed: None,
        label: None,
    };
    strata_core::doc::check_nullable(&strata_zfs::snapshot::SNAPSHOT_DOC, &snapshot);
    let rollback = strata_snapshot::rollback::RollbackRecord {
        r#type: "rollback",
        snapshot: "tank/a@s".into(),
        dataset: "tank/a".into(),
        newer_snapshots: 0,
        changed_files: None,
        result: strata_snapshot::rollback::RollbackResult::Refused,
    };
    strata_core::doc::check_nullable(&strata_snapshot::rollback::ROLLBACK_DOC, &rollback);
}
