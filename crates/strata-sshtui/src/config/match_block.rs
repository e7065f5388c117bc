//! Match lines: their criteria, parsed and evaluated for a host (`exec` runs a command through
//! the user's shell, as ssh does).

use std::os::unix::ffi::OsStringExt;

use strata_core::runner::{Cmd, Runner};

use super::lexer::strdelim_all;
use super::pattern::match_pattern_list;
use super::resolve::{Opts, percent_expand};
use super::{Config, ConfigError, Env, Loc, line_err};
use crate::raw;

#[derive(Debug, Clone)]
pub(super) enum Criterion {
    All,
    Canonical,
    Final,
    Host(String),
    OriginalHost(String),
    User(String),
    LocalUser(String),
    Exec(String),
}

pub(super) fn parse_match(rest: &str) -> Result<Vec<(bool, Criterion)>, String> {
    let words = strdelim_all(rest)?;
    let mut out = Vec::new();
    let mut it = words.into_iter().peekable();
    while let Some(w) = it.next() {
        if w.starts_with('#') {
            break;
        }
        let (neg, attr) = match w.strip_prefix('!') {
            Some(a) => (true, a.to_string()),
            None => (false, w.clone()),
        };
        let attr_l = attr.to_ascii_lowercase();
        match attr_l.as_str() {
            "all" => {
                let more = it.peek().is_some_and(|n| !n.starts_with('#'));
                if out.len() > 1 || more {
                    return Err(format!("Match: '{w}' cannot be combined with other Match attributes"));
                }
                out.push((neg, Criterion::All));
                break;
            }
            "canonical" => out.push((neg, Criterion::Canonical)),
            "final" => out.push((neg, Criterion::Final)),
            _ => {
                let arg = match it.next() {
                    Some(a) if !a.is_empty() && !a.starts_with('#') => a,
                    _ => return Err(format!("Match: missing criteria for {attr}")),
                };
                let c = match attr_l.as_str() {
                    "host" => Criterion::Host(arg),
                    "originalhost" => Criterion::OriginalHost(arg),
                    "user" => Criterion::User(arg),
                    "localuser" => Criterion::LocalUser(arg),
                    "exec" => Criterion::Exec(arg),
                    _ => return Err(format!("Match: unsupported attribute {attr}")),
                };
                out.push((neg, c));
            }
        }
    }
    if out.is_empty() {
        return Err("Match: missing criteria".into());
    }
    Ok(out)
}

/// ssh's %C: the SHA-1 of the local host name, the host, the port and the remote user, in hex.
fn connection_hash(this_host: &str, host: &str, port: &str, user: &str) -> String {
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    for part in [this_host, host, port, user] {
        h.update(raw::to_bytes(part));
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What the criteria of one Match line are tested with.
struct Subject<'a> {
    /// HostName as set so far (its %h expanded), or the host asked for.
    host: String,
    /// The alias given on the command line (`originalhost`, %n).
    original: &'a str,
    /// The remote user: User as set so far, or the local user.
    ruser: String,
    port: u16,
    /// HostKeyAlias as set so far (%k; the host when unset).
    key_alias: Option<&'a str>,
}

/// Runs a `Match exec` command as ssh does: its %-tokens expanded, then `$SHELL -c COMMAND`; the
/// criterion holds when the command exits 0. An error says what went wrong, without the place.
fn exec_succeeds(cmd: &str, s: &Subject, env: &Env, runner: &dyn Runner) -> Result<bool, String> {
    let short = env.hostname.split('.').next().unwrap_or("").to_string();
    let home = env.home.display().to_string();
    let port = s.port.to_string();
    let uid = env.uid.to_string();
    let keyalias = s.key_alias.unwrap_or(&s.host);
    let conn_hash = connection_hash(&env.hostname, &s.host, &port, &s.ruser);
    let expanded = percent_expand(
        cmd,
        &[
            ('C', &conn_hash),
            ('L', &short),
            ('d', &home),
            ('h', &s.host),
            ('k', keyalias),
            ('l', &env.hostname),
            ('n', s.original),
            ('p', &port),
            ('r', &s.ruser),
            ('u', &env.local_user),
            ('i', &uid),
        ],
    )
    .map_err(|m| format!("Match exec: {m}"))?;
    // The shell gets the command's exact bytes, as ssh gives them.
    let command = std::ffi::OsString::from_vec(raw::to_bytes(&expanded).into_owned());
    let out = runner
        .output(&Cmd::read(&env.shell).arg("-c").arg(command))
        .map_err(|e| format!("Match exec '{expanded}': {e}"))?;
    Ok(out.success())
}

impl Config {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn eval_match(
        &self,
        crit: &[(bool, Criterion)],
        loc: Loc,
        host_arg: &str,
        original: &str,
        final_pass: bool,
        o: &Opts,
        env: &Env,
        runner: &dyn Runner,
    ) -> Result<bool, ConfigError> {
        let file = self.files[loc.file].display().to_string();
        let host = if final_pass {
            o.hostname.clone().unwrap_or_else(|| host_arg.to_string())
        } else if let Some(h) = &o.hostname {
            percent_expand(h, &[('h', host_arg)]).map_err(|m| line_err(&file, loc.line, m))?
        } else {
            host_arg.to_string()
        };
        let subject = Subject {
            host,
            original,
            ruser: o.user.clone().unwrap_or_else(|| env.local_user.clone()),
            port: o.port.unwrap_or(22),
            key_alias: o.host_key_alias.as_deref(),
        };
        let mut result = true;
        for (neg, c) in crit {
            let r = match c {
                Criterion::All => {
                    return Ok(result && !*neg);
                }
                Criterion::Canonical | Criterion::Final => final_pass,
                Criterion::Host(p) => match_pattern_list(&subject.host, p, true).is_match(),
                Criterion::OriginalHost(p) => match_pattern_list(original, p, true).is_match(),
                Criterion::User(p) => match_pattern_list(&subject.ruser, p, false).is_match(),
                Criterion::LocalUser(p) => match_pattern_list(&env.local_user, p, false).is_match(),
                Criterion::Exec(cmd) => {
                    if self.skip_exec {
                        return Ok(false);
                    }
                    if !result {
                        continue;
                    }
                    exec_succeeds(cmd, &subject, env, runner).map_err(|m| line_err(&file, loc.line, m))?
                }
            };
            if r == *neg {
                result = false;
            }
        }
        Ok(result)
    }
}
