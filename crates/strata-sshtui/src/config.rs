//! ssh_config(5) read the way the OpenSSH 9 client reads it.
//!
//! A configuration is loaded once: every file (with its Includes, also those inside Host and Match
//! blocks) is split into lines, and the lines into segments that share one chain of conditions
//! (the Host or Match line in force, and those of the blocks the Include sits in). Resolving an
//! alias then walks the segments in file order: the first value obtained for a keyword wins,
//! except for the keywords that accumulate. Segments guarded by a Host line of literal aliases
//! only are indexed by those aliases, so resolving every host of a large file stays fast.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use std::os::unix::ffi::OsStringExt;

use strata_core::runner::{Cmd, Runner};

use crate::raw;

/// Include depth at which ssh gives up.
const MAX_DEPTH: usize = 16;
/// ssh's limit on identity files.
const MAX_IDENTITY_FILES: usize = 100;

/// The identity files ssh tries when none is configured, in its order.
pub const DEFAULT_IDENTITY_FILES: &[&str] = &[
    "~/.ssh/id_rsa",
    "~/.ssh/id_ecdsa",
    "~/.ssh/id_ecdsa_sk",
    "~/.ssh/id_ed25519",
    "~/.ssh/id_ed25519_sk",
    "~/.ssh/id_xmss",
    "~/.ssh/id_dsa",
];

/// Every keyword the OpenSSH 9.2 client knows (deprecated and unsupported ones included: ssh
/// accepts those with a warning). Anything else is an error unless IgnoreUnknown names it.
const KEYWORDS: &[&str] = &[
    "addkeystoagent",
    "addressfamily",
    "afstokenpassing",
    "batchmode",
    "bindaddress",
    "bindinterface",
    "canonicaldomains",
    "canonicalizefallbacklocal",
    "canonicalizehostname",
    "canonicalizemaxdots",
    "canonicalizepermittedcnames",
    "casignaturealgorithms",
    "certificatefile",
    "challengeresponseauthentication",
    "checkhostip",
    "cipher",
    "ciphers",
    "clearallforwardings",
    "compression",
    "compressionlevel",
    "connectionattempts",
    "connecttimeout",
    "controlmaster",
    "controlpath",
    "controlpersist",
    "dsaauthentication",
    "dynamicforward",
    "enableescapecommandline",
    "enablesshkeysign",
    "escapechar",
    "exitonforwardfailure",
    "fallbacktorsh",
    "fingerprinthash",
    "forkafterauthentication",
    "forwardagent",
    "forwardx11",
    "forwardx11timeout",
    "forwardx11trusted",
    "gatewayports",
    "globalknownhostsfile",
    "globalknownhostsfile2",
    "gssapiauthentication",
    "gssapiclientidentity",
    "gssapidelegatecredentials",
    "gssapikexalgorithms",
    "gssapikeyexchange",
    "gssapirenewalforcesrekey",
    "gssapiserveridentity",
    "gssapitrustdns",
    "hashknownhosts",
    "host",
    "hostbasedacceptedalgorithms",
    "hostbasedauthentication",
    "hostbasedkeytypes",
    "hostkeyalgorithms",
    "hostkeyalias",
    "hostname",
    "identitiesonly",
    "identityagent",
    "identityfile",
    "identityfile2",
    "ignoreunknown",
    "include",
    "ipqos",
    "kbdinteractiveauthentication",
    "kbdinteractivedevices",
    "kerberosauthentication",
    "kerberostgtpassing",
    "kexalgorithms",
    "knownhostscommand",
    "localcommand",
    "localforward",
    "loglevel",
    "logverbose",
    "macs",
    "match",
    "nohostauthenticationforlocalhost",
    "numberofpasswordprompts",
    "passwordauthentication",
    "permitlocalcommand",
    "permitremoteopen",
    "pkcs11provider",
    "port",
    "preferredauthentications",
    "protocol",
    "protocolkeepalives",
    "proxycommand",
    "proxyjump",
    "proxyusefdpass",
    "pubkeyacceptedalgorithms",
    "pubkeyacceptedkeytypes",
    "pubkeyauthentication",
    "rekeylimit",
    "remotecommand",
    "remoteforward",
    "requesttty",
    "requiredrsasize",
    "revokedhostkeys",
    "rhostsauthentication",
    "rhostsrsaauthentication",
    "rsaauthentication",
    "securitykeyprovider",
    "sendenv",
    "serveralivecountmax",
    "serveraliveinterval",
    "sessiontype",
    "setenv",
    "skeyauthentication",
    "smartcarddevice",
    "stdinnull",
    "streamlocalbindmask",
    "streamlocalbindunlink",
    "stricthostkeychecking",
    "syslogfacility",
    "tcpkeepalive",
    "tisauthentication",
    "tunnel",
    "tunneldevice",
    "updatehostkeys",
    "useblacklistedkeys",
    "useprivilegedport",
    "user",
    "userknownhostsfile",
    "userknownhostsfile2",
    "useroaming",
    "usersh",
    "verifyhostkeydns",
    "visualhostkey",
    "xauthlocation",
];

/// Keywords whose every occurrence counts (the rest: the first value obtained wins).
const ACCUMULATING: &[&str] = &[
    "identityfile",
    "certificatefile",
    "localforward",
    "remoteforward",
    "dynamicforward",
    "sendenv",
    "setenv",
    "canonicaldomains",
    "canonicalizepermittedcnames",
    "globalknownhostsfile",
    "userknownhostsfile",
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file} line {line}: {message}")]
    Line { file: String, line: usize, message: String },
    #[error("cannot read {file}: {source}")]
    Read { file: String, source: std::io::Error },
    #[error("{0}")]
    Other(String),
}

fn line_err(file: &str, line: usize, message: impl Into<String>) -> ConfigError {
    let message = message.into();
    ConfigError::Line { file: file.to_string(), line, message: raw::lossy(&message).into_owned() }
}

/// Where a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: usize,
    pub line: usize,
}

/// An option line.
#[derive(Debug, Clone)]
struct Stmt {
    /// Lowercased keyword.
    kw: &'static str,
    args: Vec<String>,
    /// For ProxyJump and ProxyCommand: the rest of the line as ssh keeps it.
    rest: String,
    loc: Loc,
}

#[derive(Debug, Clone)]
enum Criterion {
    All,
    Canonical,
    Final,
    Host(String),
    OriginalHost(String),
    User(String),
    LocalUser(String),
    Exec(String),
}

/// A Host line's patterns. ssh compares the host with every pattern in turn: a negated match
/// decides "no", otherwise any positive match decides "yes", whatever the order. Literal patterns
/// (no `*` or `?`) match only themselves, so they are kept in sets and a long line of aliases
/// costs one lookup per host instead of one comparison per pattern.
#[derive(Debug, Clone, Default)]
struct HostPatterns {
    literal: HashSet<String>,
    negated_literal: HashSet<String>,
    /// Patterns with wildcards (their bytes: `?` is one byte to ssh), each with its negation flag.
    wild: Vec<(bool, Vec<u8>)>,
    /// The positive literals in line order, once each.
    literal_order: Vec<String>,
}

impl HostPatterns {
    fn new(pats: Vec<(bool, String)>) -> HostPatterns {
        let mut h = HostPatterns::default();
        for (neg, p) in pats {
            if p.contains(['*', '?']) {
                h.wild.push((neg, raw::to_bytes(&p).into_owned()));
            } else if neg {
                h.negated_literal.insert(p);
            } else if h.literal.insert(p.clone()) {
                h.literal_order.push(p);
            }
        }
        h
    }

    /// Only positive literals: the block applies to exactly these aliases.
    fn literal_only(&self) -> bool {
        self.wild.is_empty() && self.negated_literal.is_empty()
    }

    fn matches(&self, host: &str) -> bool {
        if self.negated_literal.contains(host) {
            return false;
        }
        let mut active = self.literal.contains(host);
        if self.wild.is_empty() {
            return active;
        }
        let host = raw::to_bytes(host);
        for (neg, p) in &self.wild {
            if match_pattern(&host, p) {
                if *neg {
                    return false;
                }
                active = true;
            }
        }
        active
    }
}

#[derive(Debug, Clone)]
enum CondKind {
    Host(HostPatterns),
    Match(Vec<(bool, Criterion)>),
}

#[derive(Debug, Clone)]
struct Cond {
    kind: CondKind,
    loc: Loc,
}

#[derive(Debug, Clone, Default)]
struct Segment {
    /// Outermost first; the last one is the line that opened this segment (if any).
    conds: Vec<usize>,
    stmts: Vec<Stmt>,
}

/// A concrete alias found on a Host line.
#[derive(Debug, Clone)]
pub struct Alias {
    pub name: String,
    pub loc: Loc,
    pub tags: Vec<String>,
}

/// A loaded configuration.
#[derive(Debug, Default)]
pub struct Config {
    pub files: Vec<PathBuf>,
    /// Each file's lines, for previews.
    pub lines: Vec<Vec<String>>,
    conds: Vec<Cond>,
    segments: Vec<Segment>,
    /// Segments visited for every host.
    always: Vec<usize>,
    /// Segments guarded by a Host line of literal aliases, by alias.
    by_literal: HashMap<String, Vec<usize>>,
    /// Some Match line has `final`: ssh reads the configuration twice.
    wants_final: bool,
    pub aliases: Vec<Alias>,
    /// Run no `Match exec` command: a Match line holding an exec criterion does not match (shell
    /// completion lists aliases with this, so that pressing Tab never runs a command).
    pub skip_exec: bool,
}

/// What ssh knows about the user and the machine, for defaults and Match.
#[derive(Debug, Clone)]
pub struct Env {
    pub local_user: String,
    pub uid: u32,
    /// The user's home (for `~` in Include and %d).
    pub home: PathBuf,
    /// The directory holding the default configuration (passwd home directory).
    pub passwd_home: PathBuf,
    pub hostname: String,
    /// The shell Match exec runs under.
    pub shell: String,
}

impl Env {
    /// The running user's environment, as ssh sees it.
    pub fn current() -> Env {
        // SAFETY: getuid has no failure mode; getpwuid returns a pointer into static storage
        // that is read immediately, before any other call could reuse it.
        let uid = unsafe { libc::getuid() };
        let (mut name, mut pw_dir) = (String::new(), PathBuf::new());
        unsafe {
            let pw = libc::getpwuid(uid);
            if !pw.is_null() {
                name = std::ffi::CStr::from_ptr((*pw).pw_name).to_string_lossy().into_owned();
                pw_dir = PathBuf::from(std::ffi::CStr::from_ptr((*pw).pw_dir).to_string_lossy().into_owned());
            }
        }
        if name.is_empty() {
            name = std::env::var("USER").unwrap_or_else(|_| uid.to_string());
        }
        let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from).unwrap_or(pw_dir.clone());
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success.
        let hostname = if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            String::from_utf8_lossy(&buf[..end]).into_owned()
        } else {
            String::new()
        };
        let shell = std::env::var("SHELL").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| "/bin/sh".into());
        Env { local_user: name, uid, home, passwd_home: pw_dir, hostname, shell }
    }
}

/// Which files to read: `-F FILE` (or `none`), or the user's and the system's like ssh.
#[derive(Debug, Clone)]
pub enum Source {
    File(PathBuf),
    None,
    Default,
}

struct Loader<'a> {
    env: &'a Env,
    cfg: Config,
    cache: HashMap<PathBuf, Vec<String>>,
    alias_index: HashMap<String, usize>,
    ignore_unknown: Option<String>,
}

/// One Host line's aliases waiting for tags from the block's comments.
struct OpenBlock {
    aliases: Vec<usize>,
}

impl Config {
    /// Loads the configuration ssh would read.
    pub fn load(source: &Source, env: &Env) -> Result<Config, ConfigError> {
        let mut l = Loader {
            env,
            cfg: Config::default(),
            cache: HashMap::new(),
            alias_index: HashMap::new(),
            ignore_unknown: None,
        };
        l.cfg.segments.push(Segment::default());
        match source {
            Source::None => {}
            Source::File(p) => {
                l.read_file(p, true, &[], 0, false)?;
            }
            Source::Default => {
                let user = env.passwd_home.join(".ssh/config");
                if user.exists() {
                    l.read_file(&user, true, &[], 0, true)?;
                }
                let sys = Path::new("/etc/ssh/ssh_config");
                if sys.exists() {
                    l.new_segment(Vec::new());
                    l.read_file(sys, false, &[], 0, false)?;
                }
            }
        }
        l.finish();
        Ok(l.cfg)
    }

    /// Loads from bytes, as a file is read (tests and fuzzing): `name` is the file name shown in
    /// errors.
    pub fn from_bytes(name: &str, bytes: &[u8], env: &Env) -> Result<Config, ConfigError> {
        Config::from_text(name, &raw::from_bytes(bytes), env)
    }

    /// Loads from text (tests and benchmarks): `name` is the file name shown in errors.
    pub fn from_text(name: &str, text: &str, env: &Env) -> Result<Config, ConfigError> {
        let mut l = Loader {
            env,
            cfg: Config::default(),
            cache: HashMap::new(),
            alias_index: HashMap::new(),
            ignore_unknown: None,
        };
        l.cfg.segments.push(Segment::default());
        l.cache.insert(PathBuf::from(name), text.split('\n').map(str::to_string).collect());
        l.read_file(Path::new(name), true, &[], 0, false)?;
        l.finish();
        Ok(l.cfg)
    }
}

impl Loader<'_> {
    fn finish(&mut self) {
        let cfg = &mut self.cfg;
        for (i, seg) in cfg.segments.iter().enumerate() {
            let own_match = seg.conds.last().is_some_and(|&c| matches!(cfg.conds[c].kind, CondKind::Match(_)));
            // Nothing to apply and no Match to evaluate: no host needs to visit it.
            if seg.stmts.is_empty() && !own_match {
                continue;
            }
            let literal = seg.conds.iter().rev().find_map(|&c| match &cfg.conds[c].kind {
                CondKind::Host(pats) if pats.literal_only() => Some(pats),
                _ => None,
            });
            match literal {
                Some(pats) if !own_match => {
                    for p in &pats.literal_order {
                        cfg.by_literal.entry(p.clone()).or_default().push(i);
                    }
                }
                _ => cfg.always.push(i),
            }
        }
    }

    fn new_segment(&mut self, conds: Vec<usize>) {
        if let Some(last) = self.cfg.segments.last()
            && last.stmts.is_empty()
            && last.conds == conds
        {
            return;
        }
        self.cfg.segments.push(Segment { conds, stmts: Vec::new() });
    }

    fn text_of(&mut self, path: &Path) -> Result<Vec<String>, ConfigError> {
        if let Some(t) = self.cache.get(path) {
            return Ok(t.clone());
        }
        let read_err = |source| ConfigError::Read { file: path.display().to_string(), source };
        // ssh opens a directory like a file and reads nothing from it: it counts as empty.
        if std::fs::metadata(path).map_err(read_err)?.is_dir() {
            return Ok(Vec::new());
        }
        let bytes = std::fs::read(path).map_err(read_err)?;
        let text = raw::from_bytes(&bytes);
        // Read again only if Included twice; no copy kept otherwise.
        Ok(text.split('\n').map(str::to_string).collect())
    }

    /// Reads one file. `outer` is the condition chain of the block an Include sits in: the
    /// file's lines apply only where that chain holds (ssh's "never match" for inactive blocks).
    fn read_file(
        &mut self,
        path: &Path,
        user_conf: bool,
        outer: &[usize],
        depth: usize,
        check_perm_first: bool,
    ) -> Result<(), ConfigError> {
        if depth > MAX_DEPTH {
            return Err(ConfigError::Other(format!("{}: Include nested too deeply", path.display())));
        }
        // Like ssh: ~/.ssh/config and every included file, not a file named with -F.
        if check_perm_first {
            check_perm(path)?;
        }
        let lines = self.text_of(path)?;
        let file = self.cfg.files.len();
        self.cfg.files.push(path.to_path_buf());
        // Filled in at the end (Includes met on the way add their own files after this one).
        self.cfg.lines.push(Vec::new());
        let fname = path.display().to_string();
        let mut chain: Vec<usize> = outer.to_vec();
        let mut block: Option<OpenBlock> = None;
        // Tags written in the comment lines right above a Host line.
        let mut pending_tags: Vec<String> = Vec::new();
        for (i, raw) in lines.iter().enumerate() {
            let lineno = i + 1;
            let loc = Loc { file, line: lineno };
            let line = raw.trim_end_matches([' ', '\t', '\r', '\n', '\x0c']);
            let trimmed = line.trim_start_matches([' ', '\t', '\r', '\n']);
            if trimmed.is_empty() {
                self.flush_tags(&block, &mut pending_tags);
                continue;
            }
            if let Some(c) = trimmed.strip_prefix('#') {
                if let Some(tags) = parse_tags(c) {
                    pending_tags.extend(tags);
                }
                continue;
            }
            let (keyword, rest) = split_keyword(trimmed);
            if keyword.is_empty() {
                continue;
            }
            let lower = keyword.to_ascii_lowercase();
            let Some(kw) = KEYWORDS.binary_search(&lower.as_str()).ok().map(|i| KEYWORDS[i]) else {
                if self.ignore_unknown.as_deref().is_some_and(|pats| match_pattern_list(&lower, pats, true) == 1) {
                    continue;
                }
                let shown = strata_core::sanitize::for_terminal(&lower);
                return Err(line_err(&fname, lineno, format!("Bad configuration option: {shown}")));
            };
            let args = argv_split(rest).map_err(|m| line_err(&fname, lineno, m))?;
            let trailing = comment_after(rest);
            match kw {
                "host" => {
                    if args.is_empty() {
                        return Err(line_err(&fname, lineno, "Host: missing argument"));
                    }
                    let mut pats = Vec::new();
                    for a in &args {
                        if a.is_empty() {
                            return Err(line_err(&fname, lineno, "Host: empty argument"));
                        }
                        match a.strip_prefix('!') {
                            Some(p) => pats.push((true, p.to_string())),
                            None => pats.push((false, a.clone())),
                        }
                    }
                    let mut opened = Vec::new();
                    for (neg, p) in &pats {
                        if !neg && !p.contains(['*', '?']) && !p.is_empty() {
                            opened.push(self.alias(p, loc));
                        }
                    }
                    let mut tags = std::mem::take(&mut pending_tags);
                    if let Some(t) = trailing.as_deref().and_then(parse_tags) {
                        tags.extend(t);
                    }
                    self.add_tags(&opened, &tags);
                    block = Some(OpenBlock { aliases: opened });
                    let c = self.push_cond(CondKind::Host(HostPatterns::new(pats)), loc);
                    chain = outer.to_vec();
                    chain.push(c);
                    self.new_segment(chain.clone());
                }
                "match" => {
                    self.flush_tags(&block, &mut pending_tags);
                    let crit = parse_match(rest).map_err(|m| line_err(&fname, lineno, m))?;
                    if crit.iter().any(|(_, c)| matches!(c, Criterion::Final)) {
                        self.cfg.wants_final = true;
                    }
                    block = Some(OpenBlock { aliases: Vec::new() });
                    let c = self.push_cond(CondKind::Match(crit), loc);
                    chain = outer.to_vec();
                    chain.push(c);
                    self.new_segment(chain.clone());
                }
                "include" => {
                    self.flush_tags(&block, &mut pending_tags);
                    if args.is_empty() {
                        return Err(line_err(&fname, lineno, "Include: missing argument"));
                    }
                    for a in &args {
                        if a.is_empty() {
                            return Err(line_err(&fname, lineno, "Include: empty argument"));
                        }
                        if a.starts_with('~') && !user_conf {
                            return Err(line_err(
                                &fname,
                                lineno,
                                "Include: tilde expansion not supported in system config",
                            ));
                        }
                        let pattern = if a.starts_with('/') || a.starts_with('~') {
                            a.clone()
                        } else if user_conf {
                            format!("~/.ssh/{a}")
                        } else {
                            format!("/etc/ssh/{a}")
                        };
                        let Some(pattern) = raw::utf8(&pattern) else {
                            return Err(line_err(&fname, lineno, format!("Include: {a}: a path that is not UTF-8")));
                        };
                        let pattern = expand_tilde(&pattern, &self.env.home);
                        let paths = glob_sorted(&pattern).map_err(|m| line_err(&fname, lineno, m))?;
                        for p in paths {
                            self.read_file(&p, user_conf, &chain, depth + 1, true)?;
                            // Back in this file: the block the Include sits in goes on.
                            self.new_segment(chain.clone());
                        }
                    }
                }
                _ => {
                    self.flush_tags(&block, &mut pending_tags);
                    // ssh honours the first IgnoreUnknown of an active block; taken wherever it is
                    // (`Host *` + `IgnoreUnknown UseKeychain` is the usual form).
                    if kw == "ignoreunknown" && self.ignore_unknown.is_none() {
                        self.ignore_unknown = args.first().cloned();
                    }
                    validate(kw, &args, rest).map_err(|m| line_err(&fname, lineno, format!("{keyword}: {m}")))?;
                    let rest_value = strip_rest(rest);
                    if let Some(seg) = self.cfg.segments.last_mut() {
                        seg.stmts.push(Stmt { kw, args, rest: rest_value, loc });
                    }
                }
            }
        }
        self.flush_tags(&block, &mut pending_tags);
        self.cfg.lines[file] = lines;
        Ok(())
    }

    /// Tag comments inside a block belong to it (those right above a Host line, to that one).
    fn flush_tags(&mut self, block: &Option<OpenBlock>, pending: &mut Vec<String>) {
        if let Some(b) = block {
            let aliases = b.aliases.clone();
            self.add_tags(&aliases, pending);
        }
        pending.clear();
    }

    fn push_cond(&mut self, kind: CondKind, loc: Loc) -> usize {
        self.cfg.conds.push(Cond { kind, loc });
        self.cfg.conds.len() - 1
    }

    fn alias(&mut self, name: &str, loc: Loc) -> usize {
        if let Some(&i) = self.alias_index.get(name) {
            return i;
        }
        self.cfg.aliases.push(Alias { name: name.to_string(), loc, tags: Vec::new() });
        let i = self.cfg.aliases.len() - 1;
        self.alias_index.insert(name.to_string(), i);
        i
    }

    fn add_tags(&mut self, aliases: &[usize], tags: &[String]) {
        for &a in aliases {
            for t in tags {
                let tl = &mut self.cfg.aliases[a].tags;
                if !tl.contains(t) {
                    tl.push(t.clone());
                }
            }
        }
    }
}

/// `# tags: prod db` (the text after `#`).
fn parse_tags(comment: &str) -> Option<Vec<String>> {
    let c = comment.trim_start_matches('#').trim();
    let (head, rest) = c.split_once(':')?;
    if !head.trim().eq_ignore_ascii_case("tags") {
        return None;
    }
    Some(rest.split([' ', '\t', ',']).filter(|t| !t.is_empty()).map(str::to_string).collect())
}

/// The comment that ends a line, if any (a `#` where a new word would begin).
fn comment_after(rest: &str) -> Option<String> {
    let b = rest.as_bytes();
    let mut quote = 0u8;
    let mut at_start = true;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if quote != 0 {
            if c == quote {
                quote = 0;
            }
        } else if c == b' ' || c == b'\t' {
            at_start = true;
            i += 1;
            continue;
        } else if c == b'#' && at_start {
            return Some(rest[i + 1..].to_string());
        } else if c == b'"' || c == b'\'' {
            quote = c;
        } else if c == b'\\' {
            i += 1;
        }
        at_start = false;
        i += 1;
    }
    None
}

/// The value of ProxyJump / ProxyCommand as ssh keeps it: the rest of the line, comment removed.
fn strip_rest(rest: &str) -> String {
    let s = match rest.find('#') {
        Some(i) => &rest[..i],
        None => rest,
    };
    s.trim_end_matches([' ', '\t', '\r', '\n']).to_string()
}

/// Splits the keyword off like ssh's strdelim: whitespace and at most one `=` separate it.
fn split_keyword(line: &str) -> (&str, &str) {
    let is_ws = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    let Some(end) = line.find(|c: char| is_ws(c) || c == '=' || c == '"') else {
        return (line, "");
    };
    let kw = &line[..end];
    let mut rest = &line[end..];
    let mut seen_eq = false;
    if let Some(r) = rest.strip_prefix('"') {
        // A quoted keyword is unusual; treat the quote as ending it.
        return (kw, r);
    }
    if rest.starts_with('=') {
        seen_eq = true;
    }
    rest = rest[1..].trim_start_matches(is_ws);
    if !seen_eq && rest.starts_with('=') {
        rest = rest[1..].trim_start_matches(is_ws);
    }
    (kw, rest)
}

/// ssh's argv_split: words separated by blanks, `'` and `"` quoting, backslash escapes for quotes,
/// backslash and (outside quotes) space; `#` at the start of a word ends the line.
pub fn argv_split(s: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ' ' || c == '\t' {
            i += 1;
            continue;
        }
        if c == '#' {
            break;
        }
        let mut arg = String::new();
        let mut quote: Option<char> = None;
        while i < chars.len() {
            let c = chars[i];
            if c == '\\' {
                let next = chars.get(i + 1).copied();
                match next {
                    Some(n) if n == '\'' || n == '"' || n == '\\' || (quote.is_none() && n == ' ') => {
                        arg.push(n);
                        i += 2;
                        continue;
                    }
                    _ => arg.push(c),
                }
            } else if quote.is_none() && (c == ' ' || c == '\t') {
                break;
            } else if quote.is_none() && (c == '"' || c == '\'') {
                quote = Some(c);
            } else if quote == Some(c) {
                quote = None;
            } else {
                arg.push(c);
            }
            i += 1;
        }
        if quote.is_some() {
            return Err("invalid quotes".into());
        }
        out.push(arg);
    }
    Ok(out)
}

/// ssh's strdelim for Match criteria: blanks and one `=` separate, `"` quotes.
fn strdelim_all(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        if rest.is_empty() {
            return Ok(out);
        }
        if let Some(r) = rest.strip_prefix('"') {
            let Some(end) = r.find('"') else { return Err("invalid quotes".into()) };
            out.push(r[..end].to_string());
            rest = &r[end + 1..];
            continue;
        }
        let end = rest.find([' ', '\t', '\r', '\n', '"', '=']).unwrap_or(rest.len());
        out.push(rest[..end].to_string());
        rest = &rest[end..];
        if rest.starts_with('=') {
            rest = &rest[1..];
        }
    }
}

fn parse_match(rest: &str) -> Result<Vec<(bool, Criterion)>, String> {
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

fn validate(kw: &str, args: &[String], rest: &str) -> Result<(), String> {
    let single = ["hostname", "user", "port", "hostkeyalias", "identityfile"];
    if kw == "proxyjump" || kw == "proxycommand" {
        if args.is_empty() || args[0].is_empty() {
            return Err("missing argument".into());
        }
        if kw == "proxyjump" {
            parse_jump_syntax(&strip_rest(rest))?;
        }
        return Ok(());
    }
    if single.contains(&kw) {
        match args.len() {
            0 => return Err("missing argument".into()),
            1 if args[0].is_empty() => return Err("missing argument".into()),
            1 => {}
            _ => return Err(format!("garbage at end of line: \"{}\"", args[1])),
        }
    }
    if kw == "port" {
        parse_port(&args[0]).ok_or_else(|| format!("bad port '{}'", args[0]))?;
    }
    Ok(())
}

/// ssh's a2port: a number 1..65535 or a TCP service name.
pub fn parse_port(s: &str) -> Option<u16> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<u16>().ok().filter(|&p| p > 0);
    }
    let services = std::fs::read_to_string("/etc/services").ok()?;
    for line in services.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut w = line.split_whitespace();
        let (Some(name), Some(pp)) = (w.next(), w.next()) else { continue };
        let Some(port) = pp.strip_suffix("/tcp") else { continue };
        if name == s || w.any(|a| a == s) {
            return port.parse().ok();
        }
    }
    None
}

/// A ProxyJump value as ssh parses it: the last hop's user, host and port, and the hops before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jump {
    pub extra: Option<String>,
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl Jump {
    /// As `ssh -G` prints it.
    pub fn display(&self) -> String {
        let mut s = String::new();
        if let Some(e) = &self.extra {
            s.push_str(e);
            s.push(',');
        }
        if let Some(u) = &self.user {
            s.push_str(u);
            s.push('@');
        }
        if self.host.contains(':') {
            s.push_str(&format!("[{}]", self.host));
        } else {
            s.push_str(&self.host);
        }
        if let Some(p) = self.port {
            s.push_str(&format!(":{p}"));
        }
        s
    }
}

fn parse_jump_syntax(s: &str) -> Result<Option<Jump>, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let mut hops: Vec<&str> = s.split(',').collect();
    let last = hops.pop().unwrap_or("");
    for h in &hops {
        parse_hop(h)?;
    }
    let (user, host, port) = parse_hop(last)?;
    let extra = if hops.is_empty() { None } else { Some(hops.join(",")) };
    Ok(Some(Jump { extra, user, host, port }))
}

/// `[user@]host[:port]` or `ssh://[user@]host[:port]`.
fn parse_hop(h: &str) -> Result<(Option<String>, String, Option<u16>), String> {
    let bad = || format!("invalid ProxyJump hop '{h}'");
    // OpenSSH 9.2 refuses a bracketed address in an ssh:// hop.
    if h.starts_with("ssh://") && h.contains('[') {
        return Err(bad());
    }
    let s = h.strip_prefix("ssh://").unwrap_or(h);
    let s = if h.starts_with("ssh://") { s.trim_end_matches('/') } else { s };
    let (user, hostport) = match s.rfind('@') {
        Some(i) => (Some(s[..i].to_string()), &s[i + 1..]),
        None => (None, s),
    };
    if user.as_deref() == Some("") {
        return Err(bad());
    }
    let (host, port) = if let Some(r) = hostport.strip_prefix('[') {
        let end = r.find(']').ok_or_else(bad)?;
        let host = &r[..end];
        let after = &r[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(parse_port(p).ok_or_else(bad)?),
            None if after.is_empty() => None,
            None => return Err(bad()),
        };
        (host.to_string(), port)
    } else {
        // Without brackets the first `:` ends the host (so `::1` is refused, as ssh does).
        match hostport.split_once(':') {
            Some((h2, "")) => (h2.to_string(), None),
            Some((h2, p)) => (h2.to_string(), Some(parse_port(p).ok_or_else(bad)?)),
            None => (hostport.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(bad());
    }
    Ok((user, host, port))
}

/// Included files must not be writable by others (ssh refuses them).
fn check_perm(path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::MetadataExt;
    let md =
        std::fs::metadata(path).map_err(|source| ConfigError::Read { file: path.display().to_string(), source })?;
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    if (md.uid() != 0 && md.uid() != uid) || md.mode() & 0o022 != 0 {
        return Err(ConfigError::Other(format!("Bad owner or permissions on {}", path.display())));
    }
    Ok(())
}

fn expand_tilde(p: &str, home: &Path) -> String {
    if p == "~" {
        return home.display().to_string();
    }
    match p.strip_prefix("~/") {
        Some(r) => format!("{}/{r}", home.display()),
        None => p.to_string(),
    }
}

fn glob_sorted(pattern: &str) -> Result<Vec<PathBuf>, String> {
    let opts =
        glob::MatchOptions { case_sensitive: true, require_literal_separator: true, require_literal_leading_dot: true };
    let paths = glob::glob_with(pattern, opts).map_err(|e| format!("Include: bad pattern {pattern}: {e}"))?;
    let mut out: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
    out.sort_by(|a, b| a.as_os_str().as_encoded_bytes().cmp(b.as_os_str().as_encoded_bytes()));
    Ok(out)
}

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

/// ssh's %C: the SHA-1 of the local host name, the host, the port and the remote user, in hex.
fn connection_hash(this_host: &str, host: &str, port: &str, user: &str) -> String {
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    for part in [this_host, host, port, user] {
        h.update(raw::to_bytes(part));
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
thread_local! {
    /// Calls of [`match_pattern`] on this thread (tests count work instead of timing it).
    static MATCH_CALLS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// ssh's match_pattern: `*` and `?` wildcards, case-sensitive.
pub fn match_pattern(s: &[u8], p: &[u8]) -> bool {
    #[cfg(test)]
    MATCH_CALLS.with(|c| c.set(c.get() + 1));
    let (mut si, mut pi) = (0, 0);
    let (mut star, mut mark) = (None::<usize>, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            si += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// ssh's match_pattern_list: 1 on a positive match, -1 when a negated pattern matches, else 0.
pub fn match_pattern_list(s: &str, list: &str, lower: bool) -> i32 {
    let s = if lower { s.to_ascii_lowercase() } else { s.to_string() };
    let s = raw::to_bytes(&s);
    let mut got = 0;
    for sub in list.split(',') {
        let (neg, p) = match sub.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, sub),
        };
        let p = if lower { p.to_ascii_lowercase() } else { p.to_string() };
        if match_pattern(&s, &raw::to_bytes(&p)) {
            if neg {
                return -1;
            }
            got = 1;
        }
    }
    got
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
struct Opts {
    hostname: Option<String>,
    user: Option<String>,
    port: Option<u16>,
    host_key_alias: Option<String>,
    /// CanonicalizeHostname other than `no`: ssh reads the configuration a second time.
    canonicalize: Option<bool>,
    proxy_command: Option<String>,
    /// `Some(None)`: ProxyJump none.
    jump: Option<Option<Jump>>,
    identity: Vec<String>,
    /// Keywords that obtained their value (a handful: a list beats hashing).
    set: Vec<&'static str>,
    applied: Vec<Applied>,
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

    #[allow(clippy::too_many_arguments)]
    fn eval_match(
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
        let port = o.port.unwrap_or(22);
        let ruser = o.user.clone().unwrap_or_else(|| env.local_user.clone());
        let host = if final_pass {
            o.hostname.clone().unwrap_or_else(|| host_arg.to_string())
        } else if let Some(h) = &o.hostname {
            percent_expand(h, &[('h', host_arg)]).map_err(|m| line_err(&file, loc.line, m))?
        } else {
            host_arg.to_string()
        };
        let mut result = true;
        for (neg, c) in crit {
            let r = match c {
                Criterion::All => {
                    return Ok(result && !*neg);
                }
                Criterion::Canonical | Criterion::Final => final_pass,
                Criterion::Host(p) => match_pattern_list(&host, p, true) == 1,
                Criterion::OriginalHost(p) => match_pattern_list(original, p, true) == 1,
                Criterion::User(p) => match_pattern_list(&ruser, p, false) == 1,
                Criterion::LocalUser(p) => match_pattern_list(&env.local_user, p, false) == 1,
                Criterion::Exec(cmd) => {
                    if self.skip_exec {
                        return Ok(false);
                    }
                    if !result {
                        continue;
                    }
                    let short = env.hostname.split('.').next().unwrap_or("").to_string();
                    let home = env.home.display().to_string();
                    let port_s = port.to_string();
                    let uid = env.uid.to_string();
                    let keyalias = o.host_key_alias.clone().unwrap_or_else(|| host.clone());
                    let conn_hash = connection_hash(&env.hostname, &host, &port_s, &ruser);
                    let expanded = percent_expand(
                        cmd,
                        &[
                            ('C', &conn_hash),
                            ('L', &short),
                            ('d', &home),
                            ('h', &host),
                            ('k', &keyalias),
                            ('l', &env.hostname),
                            ('n', original),
                            ('p', &port_s),
                            ('r', &ruser),
                            ('u', &env.local_user),
                            ('i', &uid),
                        ],
                    )
                    .map_err(|m| line_err(&file, loc.line, format!("Match exec: {m}")))?;
                    // The shell gets the command's exact bytes, as ssh gives them.
                    let command = std::ffi::OsString::from_vec(raw::to_bytes(&expanded).into_owned());
                    let out = runner
                        .output(&Cmd::read(&env.shell).arg("-c").arg(command))
                        .map_err(|e| line_err(&file, loc.line, format!("Match exec '{expanded}': {e}")))?;
                    out.success()
                }
            };
            if r == *neg {
                result = false;
            }
        }
        Ok(result)
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

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::runner::FakeRunner;

    fn env() -> Env {
        Env {
            local_user: "me".into(),
            uid: 1000,
            home: "/home/me".into(),
            passwd_home: "/home/me".into(),
            hostname: "box.lan".into(),
            shell: "/bin/sh".into(),
        }
    }

    fn resolve(text: &str, alias: &str) -> Resolved {
        let e = env();
        let c = Config::from_text("cfg", text, &e).unwrap();
        c.resolve(alias, &e, &FakeRunner::new()).unwrap()
    }

    #[test]
    fn first_value_wins_and_identity_accumulates() {
        let r = resolve(
            "Host web\n  HostName=10.0.0.1\n  user deploy\n  IdentityFile ~/a\nHost *\n  HostName nope\n  User x\n  Port 2222\n  IdentityFile ~/b\n  IdentityFile ~/a\n",
            "web",
        );
        assert_eq!(r.hostname, "10.0.0.1");
        assert_eq!(r.user, "deploy");
        assert_eq!(r.port, 2222);
        assert_eq!(r.identityfile, ["~/a", "~/b"]);
    }

    #[test]
    fn negation_and_several_patterns() {
        let t = "Host *.lan !bad.lan other\n  User lan\n";
        assert_eq!(resolve(t, "a.lan").user, "lan");
        assert_eq!(resolve(t, "bad.lan").user, "me");
        assert_eq!(resolve(t, "other").user, "lan");
    }

    #[test]
    fn quoting_and_comments() {
        assert_eq!(argv_split(r#"a "b c" 'd' e\ f # g"#).unwrap(), ["a", "b c", "d", "e f"]);
        assert!(argv_split("\"open").is_err());
        let r = resolve("Host q\r\n  HostName \"h.example\" # c\r\n", "q");
        assert_eq!(r.hostname, "h.example");
    }

    #[test]
    fn hostname_token_and_lowercase() {
        assert_eq!(resolve("Host Web\n HostName %h.EXAMPLE.com\n", "Web").hostname, "web.example.com");
    }

    #[test]
    fn jump_display() {
        assert_eq!(resolve("Host j\n ProxyJump a@b:2222,c@d:33\n", "j").proxyjump.as_deref(), Some("a@b:2222,c@d:33"));
        assert_eq!(resolve("Host j\n ProxyJump ssh://u@h:23\n", "j").proxyjump.as_deref(), Some("u@h:23"));
        assert_eq!(resolve("Host j\n ProxyCommand none\n ProxyJump b\n", "j").proxyjump, None);
        assert_eq!(resolve("Host j\n ProxyJump none\n Host *\n ProxyJump b\n", "j").proxyjump, None);
    }

    #[test]
    fn unknown_keyword_names_file_and_line() {
        let e = env();
        let err = Config::from_text("cfg", "Host a\n  Bogus 1\n", &e).unwrap_err().to_string();
        assert_eq!(err, "cfg line 2: Bad configuration option: bogus");
        assert!(Config::from_text("cfg", "IgnoreUnknown bog*\nHost a\n  Bogus 1\n", &e).is_ok());
    }

    #[test]
    fn match_exec_runs_through_the_shell() {
        let e = env();
        let c = Config::from_text("cfg", "Match exec \"test %h = x\"\n  User ex\n", &e).unwrap();
        let fake = FakeRunner::new().expect(&["/bin/sh", "-c", "test x = x"], strata_core::runner::Output::ok(""));
        assert_eq!(c.resolve("x", &e, &fake).unwrap().user, "ex");
    }

    #[test]
    fn skip_exec_runs_nothing_and_the_match_line_does_not_match() {
        let e = env();
        let text = "Match exec true\n  User ex\nMatch !exec false\n  Port 2\nHost *\n  User other\n";
        let mut c = Config::from_text("cfg", text, &e).unwrap();
        c.skip_exec = true;
        // The fake runner knows no command: running one would be an error.
        let r = c.resolve("x", &e, &FakeRunner::new()).unwrap();
        assert_eq!((r.user.as_str(), r.port), ("other", 22));
    }

    #[test]
    fn applied_lines_say_what_took_effect() {
        let r = resolve("Host web\n  User a\nHost *\n  User b\n  Port 2\nMatch final\n", "web");
        let got: Vec<(usize, bool, bool)> = r.applied.iter().map(|a| (a.loc.line, a.header, a.used)).collect();
        assert_eq!(
            got,
            [(1, true, true), (2, false, true), (3, true, true), (4, false, false), (5, false, true), (6, true, true)]
        );
    }

    #[test]
    fn keywords_are_sorted_for_binary_search() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn numeric_addresses_take_their_canonical_form() {
        assert_eq!(numeric_address("10.1").as_deref(), Some("10.0.0.1"));
        assert_eq!(numeric_address("::0001").as_deref(), Some("::1"));
        assert_eq!(numeric_address("web.example.com"), None);
        assert_eq!(resolve("Host a\n HostName 127.1\n", "a").hostname, "127.0.0.1");
        assert_eq!(resolve("Host a\n HostName FE80::1\n", "a").hostname, "FE80::1");
    }

    #[test]
    fn patterns() {
        assert!(match_pattern(b"web1.lan", b"web?.*"));
        assert!(!match_pattern(b"Web1", b"web*"));
        assert_eq!(match_pattern_list("DB", "db,!x", true), 1);
        assert_eq!(match_pattern_list("x", "*,!x", true), -1);
    }

    /// Every alias of one long Host line resolved: the work grows with the line, not its square
    /// (ssh compares a host with each pattern; a set of the literal ones answers at once).
    #[test]
    fn one_long_host_line_is_linear() {
        let e = env();
        let n = 4000;
        let mut text = String::from("Host");
        for i in 0..n {
            text.push_str(&format!(" h{i}"));
        }
        text.push_str(" !h7 web*\n  User long\nHost *\n  Port 2\n");
        let c = Config::from_text("cfg", &text, &e).unwrap();
        assert_eq!(c.aliases.len(), n);
        MATCH_CALLS.with(|m| m.set(0));
        for a in &c.aliases {
            let r = c.resolve(&a.name, &e, &FakeRunner::new()).unwrap();
            assert_eq!(r.user, if a.name == "h7" { "me" } else { "long" }, "{}", a.name);
            assert_eq!(r.port, 2);
        }
        let calls = MATCH_CALLS.with(|m| m.get());
        // A few comparisons per alias (the wildcard, the negation, `Host *`), never one per pattern.
        assert!(calls <= 8 * n, "{calls} pattern comparisons for {n} aliases");
    }

    #[test]
    fn tags_from_comments() {
        let e = env();
        let c = Config::from_text("cfg", "# tags: prod db\nHost a b # tags: x\n  # tags: y\n  User u\nHost c\n", &e)
            .unwrap();
        let a: Vec<_> = c.aliases.iter().map(|a| (a.name.as_str(), a.tags.join(" "))).collect();
        assert_eq!(a, [("a", "prod db x y".into()), ("b", "prod db x y".into()), ("c", String::new())]);
    }
}
