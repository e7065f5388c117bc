//! strata-sshtui: find the right server in a second, with exactly the settings ssh will use.
//!
//! The ssh client configuration is read the way OpenSSH reads it ([`config`]); `list` prints one
//! record per concrete alias, and without a subcommand a full-screen picker ([`picker`]) drawn on
//! the terminal device lets you choose one and runs `ssh ALIAS` (or prints it with `--print`).

pub mod config;
pub mod history;
pub mod picker;
pub mod raw;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use serde::{Deserialize, Serialize};
use strata_core::doc::{FieldDoc, ManDoc, RecordDoc};
use strata_core::output::Record;
use strata_core::runner::Runner;
use strata_core::{Ctx, Outcome, Tool};

use crate::config::{Config, Env, Source};

pub const TOOL: Tool =
    Tool { name: "strata-sshtui", command, run, mutate: strata_core::cli::changes_nothing, doc: &DOC };

/// Pick an ssh host in a full-screen list, or list hosts as records, with the settings ssh uses.
///
/// The configuration is read as the OpenSSH client reads it: Include (also inside Host and
/// Match), Host patterns and negations, Match (all, host, originalhost, user, localuser,
/// canonical, final, exec), the first value wins, IdentityFile accumulates. Without a subcommand
/// a picker opens on the terminal: type to filter, arrows or Ctrl-N/Ctrl-P (Ctrl-J/Ctrl-K) to
/// move, Enter to run `ssh ALIAS`, Esc or Ctrl-C to leave (exit 130). Host records piped on
/// standard input (from `strata-sshtui list`) replace the configuration as the source.
///
/// A `Match exec` line runs its command through the user's shell ($SHELL -c, /bin/sh when SHELL
/// is unset), as `ssh -G` does: reading the configuration runs it, for every host the line is
/// evaluated for, in the picker and in `list` alike. `strata-sshtui list --no-exec` runs none
/// (those Match lines count as not matching).
#[derive(Debug, Parser)]
#[command(name = "strata-sshtui", args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(flatten)]
    common: strata_core::cli::CommonArgs,
    #[command(subcommand)]
    cmd: Option<Sub>,
    /// Print the chosen alias on standard output instead of running ssh.
    #[arg(long)]
    print: bool,
    /// Read this configuration file instead of ~/.ssh/config and /etc/ssh/ssh_config (`none`: no file).
    #[arg(short = 'F', value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    config: Option<PathBuf>,
    /// Only hosts with this tag (a `# tags: ...` comment on the Host block); repeat for several.
    #[arg(long, value_name = "TAG")]
    tag: Vec<String>,
    /// Start with this text in the filter.
    #[arg(value_name = "QUERY", add = strata_core::complete::from_fn(host_names))]
    query: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Print one host record per concrete alias (patterns and negations are not hosts).
    ///
    /// Every alias is resolved as `ssh -G ALIAS` would resolve it, so each `Match exec` command
    /// the configuration holds runs once for every host listed (ssh -G runs it once per call, for
    /// its one host). With --no-exec none runs.
    List {
        /// Run no `Match exec` command: a Match line holding `exec` counts as not matching (the
        /// values it would set are left out). Shell completion runs none either: it only reads
        /// the files for the aliases and resolves no host.
        #[arg(long)]
        no_exec: bool,
        /// Read this configuration file instead of ~/.ssh/config and /etc/ssh/ssh_config (`none`: no file).
        #[arg(short = 'F', value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
        config: Option<PathBuf>,
        /// Only hosts with this tag; repeat for several (a host needs all of them).
        #[arg(long, value_name = "TAG")]
        tag: Vec<String>,
        /// Only aliases matching this ssh pattern list (`web*,!web9`).
        #[arg(value_name = "PATTERN", add = strata_core::complete::from_fn(host_names))]
        pattern: Option<String>,
    },
}

pub fn command() -> clap::Command {
    Cli::command()
}

/// Shell completion of a host: the concrete aliases of the configuration `-F` names on the
/// command line being completed (the default files otherwise), Include followed. Only the files
/// are read: no alias is resolved, so no `Match exec` command runs when Tab is pressed.
fn host_names(_typed: &str) -> Vec<String> {
    let env = Env::current();
    let config = strata_core::complete::option_value(Some('F'), None);
    let Ok(mut cfg) = load_config(config.as_ref(), &env) else {
        return Vec::new();
    };
    cfg.skip_exec = true;
    cfg.aliases.iter().filter_map(|a| String::from_utf8(raw::to_bytes(&a.name).into_owned()).ok()).collect()
}

/// One host and the settings ssh would use for it.
#[derive(Debug, Clone, Serialize)]
pub struct HostRecord {
    pub r#type: &'static str,
    pub host: String,
    pub host_bytes: Option<String>,
    pub hostname: String,
    pub hostname_bytes: Option<String>,
    pub user: String,
    pub port: u16,
    pub proxyjump: Option<String>,
    pub identityfile: Vec<String>,
    pub source_file: Option<String>,
    pub source_line: Option<usize>,
    pub tags: Vec<String>,
    /// The alias's exact bytes: what ssh is given.
    #[serde(skip)]
    pub alias: Vec<u8>,
}

/// The lossy text of bytes and, when they are not UTF-8, their exact bytes in base64.
fn text_and_bytes(b: &[u8]) -> (String, Option<String>) {
    use base64::Engine;
    match std::str::from_utf8(b) {
        Ok(s) => (s.to_string(), None),
        Err(_) => (String::from_utf8_lossy(b).into_owned(), Some(base64::engine::general_purpose::STANDARD.encode(b))),
    }
}

/// A `*_bytes` field read back: the exact bytes, or the text's when there is none.
fn bytes_of(field: &str, text: &str, b64: Option<&str>) -> Result<Vec<u8>> {
    use base64::Engine;
    match b64 {
        Some(b) => base64::engine::general_purpose::STANDARD
            .decode(b)
            .with_context(|| format!("host {}: {field} is not base64", strata_core::sanitize::for_terminal(text))),
        None => Ok(text.as_bytes().to_vec()),
    }
}

/// A host record as read from standard input (fields other than `host` may be missing).
#[derive(Debug, Clone, Deserialize)]
pub struct HostInput {
    pub host: String,
    #[serde(default)]
    pub host_bytes: Option<String>,
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default)]
    pub hostname_bytes: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub proxyjump: Option<String>,
    #[serde(default)]
    pub identityfile: Vec<String>,
    #[serde(default)]
    pub source_file: Option<String>,
    #[serde(default)]
    pub source_line: Option<usize>,
    #[serde(default)]
    pub tags: Vec<String>,
}

impl Record for HostRecord {
    const KEY: &'static str = "host";

    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        Some(vec![
            ("HOST", self.host.clone()),
            ("HOSTNAME", self.hostname.clone()),
            ("USER", self.user.clone()),
            ("PORT", self.port.to_string()),
            ("JUMP", self.proxyjump.clone().unwrap_or_default()),
            ("TAGS", self.tags.join(" ")),
        ])
    }
}

pub static HOST_DOC: RecordDoc = RecordDoc {
    name: "host",
    about: "One concrete alias of the ssh configuration and the values `ssh -G ALIAS` reports for it.",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "Always \"host\"." },
        FieldDoc {
            name: "host",
            ty: "string",
            doc: "The alias, as written on its Host line (U+FFFD for bytes that are not UTF-8, see host_bytes).",
        },
        FieldDoc {
            name: "host_bytes",
            ty: "string|null",
            doc: "The exact bytes of the alias in base64, only when they are not UTF-8 (ssh is given these).",
        },
        FieldDoc {
            name: "hostname",
            ty: "string",
            doc: "The name ssh connects to (HostName with %h expanded, lowercased; lossy like host).",
        },
        FieldDoc {
            name: "hostname_bytes",
            ty: "string|null",
            doc: "The exact bytes of hostname in base64, only when they are not UTF-8.",
        },
        FieldDoc { name: "user", ty: "string", doc: "The remote user (User, or the local user)." },
        FieldDoc { name: "port", ty: "integer", doc: "The port (Port, or 22)." },
        FieldDoc { name: "proxyjump", ty: "string|null", doc: "The ProxyJump chain as ssh -G prints it, or null." },
        FieldDoc {
            name: "identityfile",
            ty: "array of strings",
            doc: "The identity files in order, unexpanded (ssh's defaults when none is set).",
        },
        FieldDoc { name: "source_file", ty: "string|null", doc: "The file of the first Host line naming the alias." },
        FieldDoc { name: "source_line", ty: "integer|null", doc: "Its line number." },
        FieldDoc {
            name: "tags",
            ty: "array of strings",
            doc: "Tags from `# tags: a b` comments on the alias's Host blocks.",
        },
    ],
};

pub static DOC: ManDoc = ManDoc {
    examples: &[
        ("strata-sshtui", "Pick a host and connect to it."),
        ("ssh \"$(strata sshtui --print)\"", "Pick a host and print its alias, for your own ssh command line."),
        ("strata-sshtui --print --tag prod db", "Start the picker with `db` typed, showing hosts tagged prod only."),
        ("strata-sshtui list --format table", "Every host with its hostname, user, port and jump host."),
        ("strata-sshtui list 'web*' --tag prod", "The records of the prod web hosts."),
        ("strata-sshtui list -F ./ssh_config --format plain", "Just the aliases of another configuration file."),
        (
            "strata-sshtui list | jq -c 'select(.proxyjump == null)' | strata-sshtui",
            "Pick among the hosts reached directly: records on standard input replace the configuration.",
        ),
    ],
    exit_status: &[
        (
            strata_core::exit::INTERRUPTED,
            "The picker was left with Esc or Ctrl-C (or SIGINT); nothing was printed or run.",
        ),
        (
            strata_core::exit::HANGUP,
            "The picker was ended by SIGHUP; the terminal was restored, nothing was printed or run.",
        ),
        (
            strata_core::exit::TERMINATED,
            "The picker was ended by SIGTERM; the terminal was restored, nothing was printed or run.",
        ),
    ],
    environment: &[
        (
            "HOME",
            "Where `~` in Include lines points, as for ssh (the default configuration is read from the home directory in the password database).",
        ),
        (
            "XDG_STATE_HOME",
            "The history of chosen hosts is kept in $XDG_STATE_HOME/strata/sshtui-history (default ~/.local/state), recent hosts first in the picker.",
        ),
        ("SHELL", "The shell that runs `Match exec` commands, as ssh does (/bin/sh when unset)."),
        ("PATH", "Where `ssh` is looked up when a host is chosen."),
    ],
    records: &[&HOST_DOC],
};

/// Loads the configuration named by `-F` (or the default files).
pub fn load_config(path: Option<&PathBuf>, env: &Env) -> Result<Config> {
    let source = match path {
        Some(p) if p.as_os_str().eq_ignore_ascii_case("none") => Source::None,
        Some(p) => Source::File(p.clone()),
        None => Source::Default,
    };
    Config::load(&source, env).context("reading the ssh configuration")
}

/// Every concrete alias with its resolved settings, filtered by pattern and tags.
pub fn host_records(
    cfg: &Config,
    env: &Env,
    runner: &dyn Runner,
    pattern: Option<&str>,
    want_tags: &[String],
) -> Result<Vec<(HostRecord, Vec<config::Applied>)>> {
    let mut out = Vec::new();
    let files: Vec<String> = cfg.files.iter().map(|f| f.display().to_string()).collect();
    let lossy = |s: String| match raw::lossy(&s) {
        std::borrow::Cow::Borrowed(_) => s,
        std::borrow::Cow::Owned(l) => l,
    };
    for a in &cfg.aliases {
        if let Some(p) = pattern
            && !config::match_pattern_list(&a.name, p, false).is_match()
        {
            continue;
        }
        let tags: Vec<String> = a.tags.iter().map(|t| lossy(t.clone())).collect();
        if !want_tags.iter().all(|t| tags.contains(t)) {
            continue;
        }
        let r = cfg
            .resolve(&a.name, env, runner)
            .with_context(|| format!("resolving host {}", strata_core::sanitize::for_terminal(&raw::lossy(&a.name))))?;
        let alias = raw::to_bytes(&r.host).into_owned();
        let (host, host_bytes) = text_and_bytes(&alias);
        let (hostname, hostname_bytes) = text_and_bytes(&raw::to_bytes(&r.hostname));
        let rec = HostRecord {
            r#type: "host",
            host,
            host_bytes,
            hostname,
            hostname_bytes,
            user: lossy(r.user),
            port: r.port,
            proxyjump: r.proxyjump.map(lossy),
            identityfile: r.identityfile.into_iter().map(lossy).collect(),
            source_file: Some(files[a.loc.file].clone()),
            source_line: Some(a.loc.line),
            tags,
            alias,
        };
        out.push((rec, r.applied));
    }
    Ok(out)
}

impl TryFrom<HostInput> for HostRecord {
    type Error = anyhow::Error;

    /// The alias is `host_bytes` when the record has it (the exact bytes), `host` otherwise.
    fn try_from(h: HostInput) -> Result<HostRecord> {
        let alias = bytes_of("host_bytes", &h.host, h.host_bytes.as_deref())?;
        let (host, host_bytes) = text_and_bytes(&alias);
        let (hostname, hostname_bytes) = match h.hostname {
            Some(name) => text_and_bytes(&bytes_of("hostname_bytes", &name, h.hostname_bytes.as_deref())?),
            None => (host.clone(), host_bytes.clone()),
        };
        Ok(HostRecord {
            r#type: "host",
            host,
            host_bytes,
            hostname,
            hostname_bytes,
            user: h.user.unwrap_or_default(),
            port: h.port.unwrap_or(22),
            proxyjump: h.proxyjump,
            identityfile: h.identityfile,
            source_file: h.source_file,
            source_line: h.source_line,
            tags: h.tags,
            alias,
        })
    }
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx) -> Result<Outcome> {
    let cli = Cli::from_arg_matches(m)?;
    let env = Env::current();
    match cli.cmd {
        Some(Sub::List { config, tag, pattern, no_exec }) => {
            let mut cfg = load_config(config.as_ref(), &env)?;
            cfg.skip_exec = no_exec;
            for (rec, _) in host_records(&cfg, &env, ctx.runner.as_ref(), pattern.as_deref(), &tag)? {
                ctx.out.write(&rec)?;
            }
            Ok(Outcome::Success)
        }
        None => {
            let items = if ctx.stdin_is_terminal {
                None
            } else {
                let recs: Vec<HostInput> =
                    strata_core::input::stdin_records::<HostInput>()?.collect::<Result<_, _>>()?;
                if recs.is_empty() { None } else { Some(recs) }
            };
            let (items, cfg) = match items {
                Some(recs) => {
                    let mut items = Vec::new();
                    for h in recs.into_iter().filter(|h| cli.tag.iter().all(|t| h.tags.contains(t))) {
                        items.push(picker::Item::new(HostRecord::try_from(h)?, Vec::new()));
                    }
                    (items, None)
                }
                None => {
                    let cfg = load_config(cli.config.as_ref(), &env)?;
                    let recs = host_records(&cfg, &env, ctx.runner.as_ref(), None, &cli.tag)?;
                    (recs.into_iter().map(|(r, applied)| picker::Item::new(r, applied)).collect(), Some(cfg))
                }
            };
            picker::run_terminal(items, cfg, cli.query.unwrap_or_default(), cli.print, ctx)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_record_fields_are_documented() {
        let rec = HostRecord {
            r#type: "host",
            host: "web1".into(),
            host_bytes: None,
            hostname: "10.0.0.1".into(),
            hostname_bytes: None,
            user: "deploy".into(),
            port: 22,
            proxyjump: None,
            identityfile: vec!["~/.ssh/id_ed25519".into()],
            source_file: Some("/home/me/.ssh/config".into()),
            source_line: Some(12),
            tags: vec![],
            alias: b"web1".to_vec(),
        };
        strata_core::doc::check_fields(&HOST_DOC, &rec);
    }

    #[test]
    fn an_alias_that_is_not_utf8_keeps_its_bytes_there_and_back() {
        let env = Env::current();
        let cfg = Config::from_bytes("cfg", b"Host caf\xe9\n  User u\n", &env).unwrap();
        let recs = host_records(&cfg, &env, &strata_core::runner::FakeRunner::new(), None, &[]).unwrap();
        let rec = &recs[0].0;
        assert_eq!((rec.host.as_str(), rec.host_bytes.as_deref()), ("caf\u{fffd}", Some("Y2Fm6Q==")));
        assert_eq!(rec.alias, b"caf\xe9");
        let json = serde_json::to_string(rec).unwrap();
        let back = HostRecord::try_from(serde_json::from_str::<HostInput>(&json).unwrap()).unwrap();
        assert_eq!(
            (back.alias, back.host_bytes, back.hostname_bytes),
            (rec.alias.clone(), rec.host_bytes.clone(), rec.hostname_bytes.clone())
        );
        let bad = serde_json::from_str::<HostInput>(r#"{"host":"x","host_bytes":"not base64!"}"#).unwrap();
        let err = format!("{:#}", HostRecord::try_from(bad).unwrap_err());
        assert!(err.contains("host_bytes is not base64"), "{err}");
    }

    #[test]
    fn command_is_valid() {
        command().debug_assert();
    }
}
