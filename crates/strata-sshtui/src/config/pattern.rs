//! ssh's patterns: `*` and `?` wildcards, comma-separated lists with `!` negations, Host lines.

use std::collections::HashSet;

use crate::raw;

/// A Host line's patterns. ssh compares the host with every pattern in turn: a negated match
/// decides "no", otherwise any positive match decides "yes", whatever the order. Literal patterns
/// (no `*` or `?`) match only themselves, so they are kept in sets and a long line of aliases
/// costs one lookup per host instead of one comparison per pattern.
#[derive(Debug, Clone, Default)]
pub(super) struct HostPatterns {
    literal: HashSet<String>,
    negated_literal: HashSet<String>,
    /// Patterns with wildcards (their bytes: `?` is one byte to ssh), each with its negation flag.
    wild: Vec<(bool, Vec<u8>)>,
    /// The positive literals in line order, once each.
    pub(super) literal_order: Vec<String>,
}

impl HostPatterns {
    pub(super) fn new(pats: Vec<(bool, String)>) -> HostPatterns {
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
    pub(super) fn literal_only(&self) -> bool {
        self.wild.is_empty() && self.negated_literal.is_empty()
    }

    pub(super) fn matches(&self, host: &str) -> bool {
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

#[cfg(test)]
thread_local! {
    /// Calls of [`match_pattern`] on this thread (tests count work instead of timing it).
    pub(super) static MATCH_CALLS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
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

/// What a name makes of a pattern list (ssh's match_pattern_list returns 1, -1 or 0 for these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternMatch {
    /// No pattern of the list matches.
    NoMatch,
    /// A pattern matches and no negated one does.
    Match,
    /// A negated pattern (`!p`) matches: the answer is no, whatever else matches.
    Negated,
}

impl PatternMatch {
    /// The list accepts the name (a match and no negation).
    pub fn is_match(self) -> bool {
        self == PatternMatch::Match
    }
}

/// ssh's match_pattern_list: a comma-separated list of patterns, each maybe negated with `!`;
/// `lower` compares both sides in lowercase (host names).
pub fn match_pattern_list(s: &str, list: &str, lower: bool) -> PatternMatch {
    let s = if lower { s.to_ascii_lowercase() } else { s.to_string() };
    let s = raw::to_bytes(&s);
    let mut got = PatternMatch::NoMatch;
    for sub in list.split(',') {
        let (neg, p) = match sub.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, sub),
        };
        let p = if lower { p.to_ascii_lowercase() } else { p.to_string() };
        if match_pattern(&s, &raw::to_bytes(&p)) {
            if neg {
                return PatternMatch::Negated;
            }
            got = PatternMatch::Match;
        }
    }
    got
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(match_pattern(b"web1.lan", b"web?.*"));
        assert!(!match_pattern(b"Web1", b"web*"));
        assert_eq!(match_pattern_list("DB", "db,!x", true), PatternMatch::Match);
        assert_eq!(match_pattern_list("x", "*,!x", true), PatternMatch::Negated);
    }

    /// The three answers, and a negation deciding wherever it stands in the list.
    #[test]
    fn a_pattern_list_answers_match_no_match_or_negated() {
        use PatternMatch::*;
        let cases = [
            ("web1", "web*", false, Match),
            ("web1", "db*,web?", false, Match),
            ("web1", "db*", false, NoMatch),
            ("web1", "", false, NoMatch),
            ("WEB1", "web*", false, NoMatch),
            ("WEB1", "web*", true, Match),
            ("web9", "web*,!web9", false, Negated),
            ("web9", "!web9,web*", false, Negated),
            ("db1", "!web9", false, NoMatch),
        ];
        for (name, list, lower, want) in cases {
            let got = match_pattern_list(name, list, lower);
            assert_eq!(got, want, "{name} against {list}");
            assert_eq!(got.is_match(), want == Match, "{name} against {list}");
        }
    }
}
