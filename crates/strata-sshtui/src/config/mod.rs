//! ssh_config(5) read the way the OpenSSH 9 client reads it.
//!
//! A configuration is loaded once: every file (with its Includes, also those inside Host and Match
//! blocks) is split into lines, and the lines into segments that share one chain of conditions
//! (the Host or Match line in force, and those of the blocks the Include sits in). Resolving an
//! alias then walks the segments in file order: the first value obtained for a keyword wins,
//! except for the keywords that accumulate. Segments guarded by a Host line of literal aliases
//! only are indexed by those aliases, so resolving every host of a large file stays fast.
//!
//! One concern a file: [`keywords`] (what ssh knows, what accumulates, argument checks), [`lexer`]
//! (a line split as ssh splits it), [`loader`] (files, Include, permissions, Host and Match
//! lines, tags), [`pattern`] (`*`/`?` patterns and lists), [`match_block`] (Match criteria),
//! [`proxy_jump`] (ProxyJump hops), [`resolve`] (an alias's settings, as `ssh -G` prints them).

mod env;
mod keywords;
mod lexer;
mod loader;
mod match_block;
mod pattern;
mod proxy_jump;
mod resolve;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::PathBuf;

use crate::raw;

pub use env::Env;
pub use keywords::{DEFAULT_IDENTITY_FILES, parse_port};
pub use lexer::argv_split;
pub use loader::Source;
pub use pattern::{PatternMatch, match_pattern, match_pattern_list};
pub use proxy_jump::Jump;
pub use resolve::{Applied, Resolved, numeric_address, percent_expand};

use match_block::Criterion;
use pattern::HostPatterns;

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
