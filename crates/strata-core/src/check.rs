//! What every `check` command shares (snapshot freshness, replication, quota): the level of a
//! finding, its exit code and Nagios word, and the node_exporter textfile format.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::Outcome;
use crate::exit;

/// How a checked thing stands. The exit code is the worst one's: 0, 1 (warn) or 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Warn,
    Crit,
    /// What it depends on could not be read: it cannot be checked.
    Invalid,
}

impl Level {
    /// The status word of a Nagios plugin line.
    pub fn nagios(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warn => "WARNING",
            Level::Crit | Level::Invalid => "CRITICAL",
        }
    }

    pub fn outcome(self) -> Outcome {
        match self {
            Level::Ok => Outcome::Success,
            Level::Warn => Outcome::Negative,
            Level::Crit | Level::Invalid => Outcome::Code(exit::ERROR),
        }
    }

    /// The level of an age against its warning and critical ages; `None` (never) is critical.
    pub fn of_age(age: Option<u64>, warn: u64, crit: u64) -> Level {
        match age {
            None => Level::Crit,
            Some(a) if a > crit => Level::Crit,
            Some(a) if a > warn => Level::Warn,
            Some(_) => Level::Ok,
        }
    }
}

/// An age for people: `45s`, `35m`, `3h`, `2d` (whole units, rounded down).
pub fn human_age(s: u64) -> String {
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

/// A Nagios perfdata label: single quotes, a quote inside doubled; no control character.
pub fn nagios_label(s: &str) -> String {
    format!("'{}'", crate::sanitize::for_terminal(s).replace('\'', "''"))
}

/// Text for a Nagios status line: one line, no control character.
pub fn nagios_text(s: &str) -> String {
    crate::sanitize::for_terminal(&s.replace('\n', " ")).into_owned()
}

/// A Prometheus label value: backslash, double quote and newline escaped.
pub fn label_value(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// One gauge family of the text format: HELP, TYPE, then each sample's `{labels} value`.
pub fn family(out: &mut String, name: &str, help: &str, samples: &[(String, String)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    for (labels, value) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

/// Writes a textfile-collector file atomically ([`crate::fs::write_atomic`]), readable by all:
/// node_exporter reads it as another user.
pub fn write_textfile(path: &Path, text: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    crate::fs::write_atomic(path, text.as_bytes(), 0o644).with_context(|| format!("cannot write {}", path.display()))
}

/// A check that could not run at all: its textfile (when asked for) says
/// `..._check_success 0` with `failed_text`, and with `nagios` the plugin line is
/// `WORD UNKNOWN - why`; the exit status is 3 (unknown) either way.
pub fn could_not_check(
    ctx: &mut crate::Ctx,
    mut e: anyhow::Error,
    word: &str,
    what: &str,
    prometheus: Option<(&Path, String)>,
    nagios: bool,
) -> anyhow::Result<Outcome> {
    if let Some((p, failed_text)) = prometheus
        && let Err(we) = write_textfile(p, &failed_text)
    {
        e = e.context(format!("{we:#}"));
    }
    if nagios {
        // A Nagios status line is plain text by design (the plugin API), not a record.
        ctx.out.write_text(&format!("{word} UNKNOWN - {}\n", nagios_text(&format!("{e:#}"))))?;
        ctx.error(format_args!("{e:#}"));
        return Ok(Outcome::Code(exit::UNKNOWN));
    }
    // The code travels with the error; its causes become one message.
    Err(exit::ExitError::new(exit::UNKNOWN, format!("cannot check {what}: {e:#}")).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        assert_eq!(label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(nagios_label("it's"), "'it''s'");
        assert!(!nagios_label("a\u{1b}[2Jb").contains('\u{1b}'));
        assert_eq!(nagios_text("a\nb"), "a b");
    }

    #[test]
    fn levels() {
        assert_eq!(Level::of_age(None, 10, 20), Level::Crit);
        assert_eq!(Level::of_age(Some(10), 10, 20), Level::Ok);
        assert_eq!(Level::of_age(Some(11), 10, 20), Level::Warn);
        assert_eq!(Level::of_age(Some(21), 10, 20), Level::Crit);
        assert!(Level::Invalid > Level::Crit && Level::Crit > Level::Warn);
        assert_eq!(Level::Invalid.nagios(), "CRITICAL");
        assert_eq!(human_age(59), "59s");
        assert_eq!(human_age(7200), "2h");
        let mut out = String::new();
        family(&mut out, "m", "help", &[(String::new(), "1".into()), ("a=\"b\"".into(), "2".into())]);
        assert_eq!(out, "# HELP m help\n# TYPE m gauge\nm 1\nm{a=\"b\"} 2\n");
    }
}
