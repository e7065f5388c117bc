//! Reading the files: Include (with its permission check and glob), Host and Match lines, tags.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::keywords::{KEYWORDS, validate};
use super::lexer::{argv_split, comment_after, parse_tags, split_keyword, strip_rest};
use super::match_block::parse_match;
use super::pattern::{HostPatterns, match_pattern_list};
use super::{Alias, Cond, CondKind, Config, ConfigError, Criterion, Env, Loc, Segment, Stmt, line_err};
use crate::raw;

/// Include depth at which ssh gives up.
const MAX_DEPTH: usize = 16;

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

/// Where the reading of one file stands.
struct FileState<'o> {
    /// The file's name, for errors.
    name: String,
    /// Its index in [`Config::files`].
    file: usize,
    /// ~/.ssh/config or a file it includes (`~` allowed, relative Includes from ~/.ssh).
    user_conf: bool,
    /// Include depth.
    depth: usize,
    /// The condition chain of the block the Include of this file sits in.
    outer: &'o [usize],
    /// `outer` and the Host or Match line in force.
    chain: Vec<usize>,
    /// The block open at this line.
    block: Option<OpenBlock>,
    /// Tags written in the comment lines right above a Host line.
    pending_tags: Vec<String>,
}

/// One Host line's aliases waiting for tags from the block's comments.
struct OpenBlock {
    aliases: Vec<usize>,
}

impl<'e> Loader<'e> {
    /// An empty configuration with its first (unconditional) segment.
    fn new(env: &'e Env) -> Loader<'e> {
        let mut l = Loader {
            env,
            cfg: Config::default(),
            cache: HashMap::new(),
            alias_index: HashMap::new(),
            ignore_unknown: None,
        };
        l.cfg.segments.push(Segment::default());
        l
    }
}

impl Config {
    /// Loads the configuration ssh would read.
    pub fn load(source: &Source, env: &Env) -> Result<Config, ConfigError> {
        let mut l = Loader::new(env);
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
        let mut l = Loader::new(env);
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
        let mut f = FileState {
            name: path.display().to_string(),
            file,
            user_conf,
            depth,
            outer,
            chain: outer.to_vec(),
            block: None,
            pending_tags: Vec::new(),
        };
        for (i, raw) in lines.iter().enumerate() {
            self.read_line(&mut f, raw, i + 1)?;
        }
        self.flush_tags(&f.block, &mut f.pending_tags);
        self.cfg.lines[file] = lines;
        Ok(())
    }

    /// One line: blank, a comment (maybe tags), or a keyword and its arguments.
    fn read_line(&mut self, f: &mut FileState, raw: &str, lineno: usize) -> Result<(), ConfigError> {
        let loc = Loc { file: f.file, line: lineno };
        let line = raw.trim_end_matches([' ', '\t', '\r', '\n', '\x0c']);
        let trimmed = line.trim_start_matches([' ', '\t', '\r', '\n']);
        if trimmed.is_empty() {
            self.flush_tags(&f.block, &mut f.pending_tags);
            return Ok(());
        }
        if let Some(c) = trimmed.strip_prefix('#') {
            if let Some(tags) = parse_tags(c) {
                f.pending_tags.extend(tags);
            }
            return Ok(());
        }
        let (keyword, rest) = split_keyword(trimmed);
        if keyword.is_empty() {
            return Ok(());
        }
        let lower = keyword.to_ascii_lowercase();
        let Some(kw) = KEYWORDS.binary_search(&lower.as_str()).ok().map(|i| KEYWORDS[i]) else {
            if self.ignore_unknown.as_deref().is_some_and(|pats| match_pattern_list(&lower, pats, true).is_match()) {
                return Ok(());
            }
            let shown = strata_core::sanitize::for_terminal(&lower);
            return Err(line_err(&f.name, lineno, format!("Bad configuration option: {shown}")));
        };
        let args = argv_split(rest).map_err(|m| line_err(&f.name, lineno, m))?;
        match kw {
            "host" => self.host_line(f, &args, rest, loc),
            "match" => self.match_line(f, rest, loc),
            "include" => self.include_line(f, &args, lineno),
            _ => {
                self.flush_tags(&f.block, &mut f.pending_tags);
                // ssh honours the first IgnoreUnknown of an active block; taken wherever it is
                // (`Host *` + `IgnoreUnknown UseKeychain` is the usual form).
                if kw == "ignoreunknown" && self.ignore_unknown.is_none() {
                    self.ignore_unknown = args.first().cloned();
                }
                validate(kw, &args, rest).map_err(|m| line_err(&f.name, lineno, format!("{keyword}: {m}")))?;
                let rest_value = strip_rest(rest);
                if let Some(seg) = self.cfg.segments.last_mut() {
                    seg.stmts.push(Stmt { kw, args, rest: rest_value, loc });
                }
                Ok(())
            }
        }
    }

    /// A Host line: its concrete aliases (tagged by the comments above it and the one ending
    /// it), and a new block guarded by its patterns.
    fn host_line(&mut self, f: &mut FileState, args: &[String], rest: &str, loc: Loc) -> Result<(), ConfigError> {
        if args.is_empty() {
            return Err(line_err(&f.name, loc.line, "Host: missing argument"));
        }
        let mut pats = Vec::new();
        for a in args {
            if a.is_empty() {
                return Err(line_err(&f.name, loc.line, "Host: empty argument"));
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
        let mut tags = std::mem::take(&mut f.pending_tags);
        if let Some(t) = comment_after(rest).as_deref().and_then(parse_tags) {
            tags.extend(t);
        }
        self.add_tags(&opened, &tags);
        f.block = Some(OpenBlock { aliases: opened });
        self.open_block(f, CondKind::Host(HostPatterns::new(pats)), loc);
        Ok(())
    }

    /// A Match line: a new block guarded by its criteria.
    fn match_line(&mut self, f: &mut FileState, rest: &str, loc: Loc) -> Result<(), ConfigError> {
        self.flush_tags(&f.block, &mut f.pending_tags);
        let crit = parse_match(rest).map_err(|m| line_err(&f.name, loc.line, m))?;
        if crit.iter().any(|(_, c)| matches!(c, Criterion::Final)) {
            self.cfg.wants_final = true;
        }
        f.block = Some(OpenBlock { aliases: Vec::new() });
        self.open_block(f, CondKind::Match(crit), loc);
        Ok(())
    }

    /// The block a Host or Match line opens: the chain of the Include it sits in, then this line.
    fn open_block(&mut self, f: &mut FileState, kind: CondKind, loc: Loc) {
        let c = self.push_cond(kind, loc);
        f.chain = f.outer.to_vec();
        f.chain.push(c);
        self.new_segment(f.chain.clone());
    }

    /// An Include line: every file its patterns name, in order, read inside the current block.
    fn include_line(&mut self, f: &mut FileState, args: &[String], lineno: usize) -> Result<(), ConfigError> {
        self.flush_tags(&f.block, &mut f.pending_tags);
        if args.is_empty() {
            return Err(line_err(&f.name, lineno, "Include: missing argument"));
        }
        for a in args {
            if a.is_empty() {
                return Err(line_err(&f.name, lineno, "Include: empty argument"));
            }
            if a.starts_with('~') && !f.user_conf {
                return Err(line_err(&f.name, lineno, "Include: tilde expansion not supported in system config"));
            }
            let pattern = if a.starts_with('/') || a.starts_with('~') {
                a.clone()
            } else if f.user_conf {
                format!("~/.ssh/{a}")
            } else {
                format!("/etc/ssh/{a}")
            };
            let Some(pattern) = raw::utf8(&pattern) else {
                return Err(line_err(&f.name, lineno, format!("Include: {a}: a path that is not UTF-8")));
            };
            let pattern = expand_tilde(&pattern, &self.env.home);
            let paths = glob_sorted(&pattern).map_err(|m| line_err(&f.name, lineno, m))?;
            for p in paths {
                self.read_file(&p, f.user_conf, &f.chain, f.depth + 1, true)?;
                // Back in this file: the block the Include sits in goes on.
                self.new_segment(f.chain.clone());
            }
        }
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
