//! Resolving an alias as `ssh -G` does: the segments that apply, in file order, the first value
//! of a keyword winning; a second pass for `Match final` and CanonicalizeHostname.

use std::collections::HashSet;

use strata_core::runner::Runner;

use super::keywords::{ACCUMULATING, DEFAULT_IDENTITY_FILES, parse_port};
use super::proxy_jump::{Jump, parse_jump_syntax};
use super::{Cond, CondKind, Config, ConfigError, Env, Loc, Stmt, line_err};

/// ssh's limit on identity files.
const MAX_IDENTITY_FILES: usize = 100;

/// The canonical text of a numeric address (`10.1` is `10.0.0.1`, `::0001` is `::1`), as ssh's
/// getaddrinfo(AI_NUMERICHOST) and getnameinfo(NI_NUMERICHOST) give it; `None` for a name.
pub fn numeric_address(host: &str) -> Option<String> {
    // Most names hold a letter no address can: no need to ask libc.
    if host.is_empty() || !host.bytes().all(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b':' | b'x' | b'X' | b'%'))
    {
        return None;
    }
    let name = std::ffi::CString::new(host).ok()?;
    // SAFETY: hints is zeroed then filled; getaddrinfo only reads name and hints and writes res,
    // which is freed exactly once below; getnameinfo writes at most buf.len() bytes into buf.
    unsafe {
        let mut hints: libc::addrinfo = std::mem::zeroed();
        hints.ai_family = libc::AF_UNSPEC;
        hints.ai_socktype = libc::SOCK_STREAM;
        hints.ai_flags = libc::AI_NUMERICHOST;
        let mut res: *mut libc::addrinfo = std::ptr::null_mut();
        if libc::getaddrinfo(name.as_ptr(), std::ptr::null(), &hints, &mut res) != 0 || res.is_null() {
            return None;
        }
        let mut out = None;
        if (*res).ai_next.is_null() {
            let mut buf = [0 as libc::c_char; 1025];
            if libc::getnameinfo(
                (*res).ai_addr,
                (*res).ai_addrlen,
                buf.as_mut_ptr(),
                buf.len() as libc::socklen_t,
                std::ptr::null_mut(),
                0,
                libc::NI_NUMERICHOST,
            ) == 0
            {
                out = Some(std::ffi::CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned());
            }
        }
        libc::freeaddrinfo(res);
        out
    }
}

/// ssh's percent_expand with the given tokens (`%%` always); an unknown token is an error.
pub fn percent_expand(s: &str, tokens: &[(char, &str)]) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('%') => out.push('%'),
            Some(t) => match tokens.iter().find(|(k, _)| *k == t) {
                Some((_, v)) => out.push_str(v),
                None => return Err(format!("unknown key %{t}")),
            },
            None => return Err("invalid format".into()),
        }
    }
    Ok(out)
}

/// A line of the configuration that applied to a host.
#[derive(Debug, Clone)]
pub struct Applied {
    pub loc: Loc,
    /// The line opened a Host or Match block that matched.
    pub header: bool,
    /// It set a value (false: an earlier line had already set this keyword).
    pub used: bool,
}

/// The settings ssh would use for one alias.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub host: String,
    pub hostname: String,
    pub user: String,
    pub port: u16,
    pub proxyjump: Option<String>,
    pub identityfile: Vec<String>,
    pub applied: Vec<Applied>,
}

#[derive(Default)]
pub(super) struct Opts {
    pub(super) hostname: Option<String>,
    pub(super) user: Option<String>,
    pub(super) port: Option<u16>,
    pub(super) host_key_alias: Option<String>,
    /// CanonicalizeHostname other than `no`: ssh reads the configuration a second time.
    pub(super) canonicalize: Option<bool>,
    pub(super) proxy_command: Option<String>,
    /// `Some(None)`: ProxyJump none.
    pub(super) jump: Option<Option<Jump>>,
    pub(super) identity: Vec<String>,
    /// Keywords that obtained their value (a handful: a list beats hashing).
    pub(super) set: Vec<&'static str>,
    pub(super) applied: Vec<Applied>,
}

impl Config {
    /// Resolves `alias` as `ssh -G alias` would. Match exec commands run through `runner`.
    pub fn resolve(&self, alias: &str, env: &Env, runner: &dyn Runner) -> Result<Resolved, ConfigError> {
        let mut o = Opts::default();
        self.pass(alias, alias, false, &mut o, env, runner)?;
        let host = match &o.hostname {
            Some(h) => percent_expand(h, &[('h', alias)])
                .map_err(|m| ConfigError::Other(format!("HostName of {alias}: {m}")))?,
            None => alias.to_string(),
        };
        // ssh writes a numeric address in its canonical form (getnameinfo's), and lowercases names.
        let host = match numeric_address(&host) {
            Some(canon) if !canon.eq_ignore_ascii_case(&host) => canon,
            Some(_) => host,
            None => host.to_ascii_lowercase(),
        };
        if self.wants_final || o.canonicalize == Some(true) {
            // ssh sets HostName to the name it settled on: the second pass cannot change it.
            o.hostname = Some(host.clone());
            o.set.push("hostname");
            self.pass(&host, alias, true, &mut o, env, runner)?;
            // A line read in both passes is shown once, as the first pass used it.
            let mut seen = HashSet::new();
            o.applied.retain(|a| seen.insert(a.loc));
        }
        let identityfile = if o.identity.is_empty() {
            DEFAULT_IDENTITY_FILES.iter().map(|s| s.to_string()).collect()
        } else {
            o.identity
        };
        Ok(Resolved {
            host: alias.to_string(),
            hostname: host,
            user: o.user.unwrap_or_else(|| env.local_user.clone()),
            port: o.port.unwrap_or(22),
            proxyjump: o.jump.flatten().map(|j| j.display()),
            identityfile,
            applied: o.applied,
        })
    }

    fn segments_for(&self, key: &str) -> Vec<usize> {
        let lit = self.by_literal.get(key).map(Vec::as_slice).unwrap_or(&[]);
        let mut out = Vec::with_capacity(self.always.len() + lit.len());
        let (mut a, mut b) = (0, 0);
        while a < self.always.len() || b < lit.len() {
            if b >= lit.len() || (a < self.always.len() && self.always[a] < lit[b]) {
                out.push(self.always[a]);
                a += 1;
            } else {
                out.push(lit[b]);
                b += 1;
            }
        }
        out
    }

    fn pass(
        &self,
        host: &str,
        original: &str,
        final_pass: bool,
        o: &mut Opts,
        env: &Env,
        runner: &dyn Runner,
    ) -> Result<(), ConfigError> {
        // The conditions evaluated in this pass (few per host: a list beats hashing).
        let mut results: Vec<(usize, bool)> = Vec::new();
        let known =
            |results: &Vec<(usize, bool)>, c: usize| results.iter().rev().find(|(k, _)| *k == c).map(|&(_, r)| r);
        'seg: for si in self.segments_for(host) {
            let seg = &self.segments[si];
            for (depth, &c) in seg.conds.iter().enumerate() {
                let own = depth + 1 == seg.conds.len();
                let r = match known(&results, c) {
                    Some(r) => r,
                    None => {
                        let cond = &self.conds[c];
                        let r = self.eval_cond(cond, host, original, final_pass, o, env, runner)?;
                        results.push((c, r));
                        if r {
                            o.applied.push(Applied { loc: cond.loc, header: true, used: true });
                        }
                        r
                    }
                };
                // An outer block that did not match: the rest never matches, but a Match line
                // further in is still evaluated (ssh runs its exec) when reached.
                if !r {
                    if !own
                        && let Some(&lc) = seg.conds.last()
                        && known(&results, lc).is_none()
                        && matches!(self.conds[lc].kind, CondKind::Match(_))
                    {
                        let cond = &self.conds[lc];
                        let r2 = self.eval_cond(cond, host, original, final_pass, o, env, runner)?;
                        results.push((lc, r2));
                    }
                    continue 'seg;
                }
            }
            for st in &seg.stmts {
                self.apply(st, o)?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_cond(
        &self,
        cond: &Cond,
        host: &str,
        original: &str,
        final_pass: bool,
        o: &Opts,
        env: &Env,
        runner: &dyn Runner,
    ) -> Result<bool, ConfigError> {
        match &cond.kind {
            CondKind::Host(pats) => Ok(pats.matches(host)),
            CondKind::Match(crit) => {
                let r = self.eval_match(crit, cond.loc, host, original, final_pass, o, env, runner)?;
                Ok(r)
            }
        }
    }

    fn apply(&self, st: &Stmt, o: &mut Opts) -> Result<(), ConfigError> {
        let first = |o: &mut Opts| {
            if o.set.contains(&st.kw) {
                false
            } else {
                o.set.push(st.kw);
                true
            }
        };
        let used = match st.kw {
            "hostname" => {
                first(o) && {
                    o.hostname = Some(st.args[0].clone());
                    true
                }
            }
            "user" => {
                first(o) && {
                    o.user = Some(st.args[0].clone());
                    true
                }
            }
            "port" => {
                first(o) && {
                    o.port = parse_port(&st.args[0]);
                    true
                }
            }
            "canonicalizehostname" => {
                first(o) && {
                    o.canonicalize = Some(!st.args.first().is_some_and(|a| a.eq_ignore_ascii_case("no")));
                    true
                }
            }
            "hostkeyalias" => {
                first(o) && {
                    o.host_key_alias = Some(st.args[0].clone());
                    true
                }
            }
            "identityfile" => {
                if o.identity.len() >= MAX_IDENTITY_FILES {
                    let f = self.files[st.loc.file].display().to_string();
                    return Err(line_err(&f, st.loc.line, "too many identity files"));
                }
                if o.identity.contains(&st.args[0]) {
                    false
                } else {
                    o.identity.push(st.args[0].clone());
                    true
                }
            }
            "proxycommand" => {
                if o.proxy_command.is_none() && o.jump.is_none() {
                    o.proxy_command = Some(st.rest.clone());
                    true
                } else {
                    false
                }
            }
            "proxyjump" => {
                if o.proxy_command.is_none() && o.jump.is_none() {
                    let j = parse_jump_syntax(&st.rest)
                        .map_err(|m| line_err(&self.files[st.loc.file].display().to_string(), st.loc.line, m))?;
                    if j.is_some() {
                        o.proxy_command = Some("none".into());
                    }
                    o.jump = Some(j);
                    true
                } else {
                    false
                }
            }
            kw if ACCUMULATING.contains(&kw) => true,
            _ => first(o),
        };
        o.applied.push(Applied { loc: st.loc, header: false, used });
        Ok(())
    }
}
