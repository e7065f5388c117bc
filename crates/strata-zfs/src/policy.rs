//! The snapshot policy that lives on datasets as inherited user properties, and the grammar of
//! its values.
//!
//! - `strata:snapshot`: `off`, or an interval: a whole number and `m` (minutes), `h`, `d` or `w`;
//! - `strata:keep`: retention in prune's own words, `within=2d,last=3,hourly=24,daily=7,weekly=4,
//!   monthly=12,yearly=2` (`within` takes prune's `--keep-within` durations: `m` is 31 days there);
//! - `strata:send`: a target prefix, `[user@]host:pool/path` or `pool/path`; the dataset's name
//!   relative to where the property is set is appended;
//! - `com.sun:auto-snapshot=false` excludes a dataset, as zfs-auto-snapshot does.
//!
//! A value is written by whoever may `zfs set` it (with `zfs allow ... userprop`, not only root),
//! so it is parsed strictly: anything outside the grammar (a control character, a huge length, a
//! number that overflows) is an error that names the property, never a guess.

use serde::Serialize;

/// The interval between snapshots.
pub const PROP_SNAPSHOT: &str = "strata:snapshot";
/// The keep rules of `strata prune plan --policy`.
pub const PROP_KEEP: &str = "strata:keep";
/// The replication target prefix.
pub const PROP_SEND: &str = "strata:send";
/// zfs-auto-snapshot's switch: `false` excludes the dataset.
pub const PROP_AUTO: &str = "com.sun:auto-snapshot";

/// The dataset properties of a policy, in the order they are read.
pub const POLICY_PROPERTIES: &[&str] = &[PROP_SNAPSHOT, PROP_KEEP, PROP_SEND, PROP_AUTO];

/// No value of the grammar is longer than this; a longer one is refused before it is looked at.
pub const MAX_VALUE_LEN: usize = 1024;

/// Where a property's value comes from, as `zfs get` says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Local,
    Received,
    /// Inherited from this dataset.
    Inherited(String),
    /// Not set anywhere above: the default (unset for a user property).
    Default,
    /// Anything else ZFS says (`temporary`), as it says it.
    Other(String),
}

impl Source {
    /// From the SOURCE column of `zfs get -H` (`local`, `inherited from tank/srv`, `-`, `default`).
    pub fn from_column(s: &str) -> Source {
        match s {
            "local" => Source::Local,
            "received" => Source::Received,
            "-" | "default" | "none" => Source::Default,
            _ => match s.strip_prefix("inherited from ") {
                Some(from) => Source::Inherited(from.to_string()),
                None => Source::Other(s.to_string()),
            },
        }
    }

    /// From the `source` object of `zfs list -j` / `zfs get -j` (`{"type": "INHERITED", "data": "tank"}`).
    pub fn from_json(kind: &str, data: Option<&str>) -> Source {
        match kind {
            "LOCAL" => Source::Local,
            "RECEIVED" => Source::Received,
            "NONE" | "DEFAULT" => Source::Default,
            "INHERITED" => Source::Inherited(data.filter(|d| *d != "-").unwrap_or_default().to_string()),
            other => Source::Other(other.to_ascii_lowercase()),
        }
    }

    /// As `zfs get` prints it: `local`, `inherited from tank/srv`, `default`.
    pub fn describe(&self) -> String {
        match self {
            Source::Local => "local".into(),
            Source::Received => "received".into(),
            Source::Inherited(from) if from.is_empty() => "inherited".into(),
            Source::Inherited(from) => format!("inherited from {from}"),
            Source::Default => "default".into(),
            Source::Other(s) => s.clone(),
        }
    }

    /// The dataset the value is set on, for a value read on `dataset`.
    pub fn set_on<'a>(&'a self, dataset: &'a str) -> &'a str {
        match self {
            Source::Inherited(from) if !from.is_empty() => from,
            _ => dataset,
        }
    }
}

/// One property of one dataset: its raw value (`None` when unset) and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prop {
    pub value: Option<String>,
    pub source: Source,
}

impl Prop {
    pub fn unset() -> Prop {
        Prop { value: None, source: Source::Default }
    }

    /// From a raw value and source: an unset user property reads `-` with no source.
    pub fn new(value: &str, source: Source) -> Prop {
        if source == Source::Default && value == "-" {
            Prop::unset()
        } else {
            Prop { value: Some(value.to_string()), source }
        }
    }
}

/// The policy properties of one dataset, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetProps {
    pub dataset: String,
    pub snapshot: Prop,
    pub keep: Prop,
    pub send: Prop,
    pub auto: Prop,
}

impl DatasetProps {
    pub fn unset(dataset: &str) -> DatasetProps {
        DatasetProps {
            dataset: dataset.to_string(),
            snapshot: Prop::unset(),
            keep: Prop::unset(),
            send: Prop::unset(),
            auto: Prop::unset(),
        }
    }

    /// The property at `i` of [`POLICY_PROPERTIES`].
    pub fn prop_mut(&mut self, i: usize) -> &mut Prop {
        match i {
            0 => &mut self.snapshot,
            1 => &mut self.keep,
            2 => &mut self.send,
            _ => &mut self.auto,
        }
    }
}

/// `strata:snapshot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Off,
    /// Seconds between snapshots (at least one minute).
    Every(u64),
}

/// The common checks of every value: bounded, printable.
fn check_text(prop: &str, s: &str) -> Result<(), String> {
    if s.len() > MAX_VALUE_LEN {
        return Err(format!("{prop}: the value has {} bytes, at most {MAX_VALUE_LEN} are allowed", s.len()));
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(format!("{prop}: control character {c:?} is not allowed"));
    }
    Ok(())
}

/// Digits only (no sign, no space), as a u64.
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The ages of a freshness check (`snapshot check`, `send check`): flags, and the warning and
/// critical ages they give a dataset of a schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Ages {
    /// Warn past this age (default: twice the dataset's strata:snapshot interval); a number and m
    /// (minutes), h, d or w.
    #[cfg_attr(feature = "clap", arg(long, value_name = "AGE", value_parser = parse_duration))]
    pub warn_age: Option<u64>,
    /// Critical past this age (default: four times the interval).
    #[cfg_attr(feature = "clap", arg(long, value_name = "AGE", value_parser = parse_duration))]
    pub crit_age: Option<u64>,
    /// Check the datasets without a schedule (strata:snapshot unset or off) too: critical past this
    /// age (warning from --warn-age). Without it they are skipped.
    #[cfg_attr(feature = "clap", arg(long, value_name = "AGE", value_parser = parse_duration))]
    pub max_age: Option<u64>,
}

impl Ages {
    /// The warning and critical ages of a dataset snapshotted every `every` seconds (`None`: no
    /// schedule); `None` when such a dataset is not checked.
    pub fn limits(&self, every: Option<u64>) -> Option<(u64, u64)> {
        match every {
            Some(s) => {
                Some((self.warn_age.unwrap_or(s.saturating_mul(2)), self.crit_age.unwrap_or(s.saturating_mul(4))))
            }
            None => self.max_age.map(|m| (self.warn_age.unwrap_or(m).min(m), m)),
        }
    }

    /// `--warn-age` above `--crit-age` is a mistake, said in the flags' words.
    pub fn check(&self) -> Result<(), String> {
        match (self.warn_age, self.crit_age) {
            (Some(w), Some(c)) if w > c => {
                let h = strata_core::check::human_age;
                Err(format!("--warn-age {} is above --crit-age {}", h(w), h(c)))
            }
            _ => Ok(()),
        }
    }
}

/// A duration of the interval grammar (`15m`, `1h`, `1d`, `1w`): a whole number, then `m`
/// (minutes), `h`, `d` or `w`; at least one minute.
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let err = || format!("{s:?} is not a duration: a whole number and m (minutes), h, d or w, e.g. 15m, 1h, 1d");
    let unit = s.bytes().last().ok_or_else(err)?;
    let secs: u64 = match unit {
        b'm' => 60,
        b'h' => 3600,
        b'd' => 86400,
        b'w' => 7 * 86400,
        _ => return Err(err()),
    };
    let n = digits(&s[..s.len() - 1]).ok_or_else(err)?;
    if n == 0 {
        return Err(err());
    }
    // Ten years at most: enough for any schedule, and every sum with a time stays in range.
    n.checked_mul(secs).filter(|&t| t <= 10 * 366 * 86400).ok_or_else(|| format!("{s:?} is too long"))
}

/// `strata:snapshot`: `off` or an interval.
pub fn parse_interval(s: &str) -> Result<Interval, String> {
    check_text(PROP_SNAPSHOT, s)?;
    if s == "off" {
        return Ok(Interval::Off);
    }
    parse_duration(s).map(Interval::Every).map_err(|e| format!("{PROP_SNAPSHOT}: {e}, or off"))
}

/// The keep rules of `strata:keep`, as prune's `--keep-*` flags take them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Keep {
    /// `within`, in seconds.
    pub within_secs: Option<i64>,
    pub last: u64,
    pub hourly: u64,
    pub daily: u64,
    pub weekly: u64,
    pub monthly: u64,
    pub yearly: u64,
}

/// The names of the keep rules, in prune's order.
pub const KEEP_RULES: &[&str] = &["within", "last", "hourly", "daily", "weekly", "monthly", "yearly"];

/// `within`'s durations, as prune's `--keep-within` reads them: a whole number and h, d, w,
/// m (31 days) or y (365 days).
pub fn parse_within(s: &str) -> Result<i64, String> {
    let err = || format!("{s:?} is not a duration: a whole number and h, d, w, m (31 days) or y (365 days), e.g. 2d");
    let unit = s.bytes().last().ok_or_else(err)?;
    let hours: i64 = match unit {
        b'h' | b'H' => 1,
        b'd' => 24,
        b'w' => 24 * 7,
        b'm' => 24 * 31,
        b'y' => 24 * 365,
        _ => return Err(err()),
    };
    let n = digits(&s[..s.len() - 1]).and_then(|n| i64::try_from(n).ok()).ok_or_else(err)?;
    if n == 0 {
        return Err(err());
    }
    n.checked_mul(hours * 3600).ok_or_else(|| format!("{s:?} is too long"))
}

/// `strata:keep`: `RULE=N` joined by commas, each rule at most once, at least one that keeps
/// something.
pub fn parse_keep(s: &str) -> Result<Keep, String> {
    check_text(PROP_KEEP, s)?;
    let mut k = Keep::default();
    let mut seen = [false; 7];
    for part in s.split(',') {
        let bad = |why: String| format!("{PROP_KEEP}: {part:?}: {why}");
        let (rule, value) = part.split_once('=').ok_or_else(|| bad("expected RULE=N, e.g. daily=7".into()))?;
        let i = KEEP_RULES
            .iter()
            .position(|r| *r == rule)
            .ok_or_else(|| bad(format!("unknown rule; the rules are {}", KEEP_RULES.join(", "))))?;
        if std::mem::replace(&mut seen[i], true) {
            return Err(bad(format!("{rule} is given twice")));
        }
        if i == 0 {
            k.within_secs = Some(parse_within(value).map_err(bad)?);
            continue;
        }
        let n = digits(value).ok_or_else(|| bad("expected a whole number".into()))?;
        *match i {
            1 => &mut k.last,
            2 => &mut k.hourly,
            3 => &mut k.daily,
            4 => &mut k.weekly,
            5 => &mut k.monthly,
            _ => &mut k.yearly,
        } = n;
    }
    if k.within_secs.is_none() && [k.last, k.hourly, k.daily, k.weekly, k.monthly, k.yearly].iter().all(|&n| n == 0) {
        return Err(format!("{PROP_KEEP}: {s:?} keeps nothing: give at least one rule above 0 (e.g. daily=7)"));
    }
    Ok(k)
}

/// `strata:send`: where a dataset is replicated to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendTarget {
    /// `user@host` or `host`; `None` for a local pool.
    pub host: Option<String>,
    /// The dataset prefix on the target.
    pub dataset: String,
}

impl SendTarget {
    /// The target of `dataset`, whose value was set on `set_on`: the prefix and the dataset's name
    /// relative to `set_on` (`tank/srv` with `backup/srv` set on `tank/srv`: `tank/srv/a` goes to
    /// `backup/srv/a`).
    pub fn for_dataset(&self, dataset: &str, set_on: &str) -> String {
        let rel = dataset.strip_prefix(set_on).unwrap_or("");
        let ds = format!("{}{rel}", self.dataset);
        match &self.host {
            Some(h) => format!("{h}:{ds}"),
            None => ds,
        }
    }
}

fn host_word(s: &str) -> bool {
    !s.is_empty() && !s.starts_with('-') && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// `strata:send`: `[user@]host:pool/path` or `pool/path`. A host or user starting with `-` (an
/// ssh option) and anything but letters, digits, `.`, `_` and `-` in them are refused.
pub fn parse_send(s: &str) -> Result<SendTarget, String> {
    check_text(PROP_SEND, s)?;
    let bad = |why: &str| format!("{PROP_SEND}: {s:?}: {why}");
    let (host, dataset) = match s.split_once(':') {
        None => (None, s),
        Some((h, d)) => {
            let (user, host) = match h.split_once('@') {
                Some((u, h)) => (Some(u), h),
                None => (None, h),
            };
            if !host_word(host) || user.is_some_and(|u| !host_word(u)) {
                return Err(bad(
                    "expected [user@]host:pool/path with a host and user of letters, digits, '.', '_', '-'",
                ));
            }
            (Some(h.to_string()), d)
        }
    };
    crate::name::check_dataset(dataset).map_err(|e| bad(&e.to_string()))?;
    Ok(SendTarget { host, dataset: dataset.to_string() })
}

/// A dataset's policy, parsed: each part `None` when its property is unset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub interval: Option<Interval>,
    pub keep: Option<Keep>,
    pub send: Option<SendTarget>,
    /// `com.sun:auto-snapshot=false`.
    pub excluded: bool,
    /// What is wrong with the values; a dataset with any is skipped, never guessed.
    pub errors: Vec<String>,
}

impl Policy {
    pub fn valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// The interval when the dataset is snapshotted on a schedule: valid, not excluded, not off.
    pub fn every(&self) -> Option<u64> {
        match (self.valid(), self.excluded, self.interval) {
            (true, false, Some(Interval::Every(s))) => Some(s),
            _ => None,
        }
    }
}

fn parsed<T>(p: &Prop, parse: fn(&str) -> Result<T, String>, errors: &mut Vec<String>) -> Option<T> {
    let v = p.value.as_deref()?;
    match parse(v) {
        Ok(t) => Some(t),
        Err(e) => {
            errors.push(match &p.source {
                Source::Inherited(from) if !from.is_empty() => format!("{e} (inherited from {from})"),
                _ => e,
            });
            None
        }
    }
}

/// Parses every value of `props`.
pub fn policy(props: &DatasetProps) -> Policy {
    let mut errors = Vec::new();
    let interval = parsed(&props.snapshot, parse_interval, &mut errors);
    let keep = parsed(&props.keep, parse_keep, &mut errors);
    let send = parsed(&props.send, parse_send, &mut errors);
    let excluded = props.auto.value.as_deref() == Some("false");
    Policy { interval, keep, send, excluded, errors }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("off"), Ok(Interval::Off));
        assert_eq!(parse_interval("15m"), Ok(Interval::Every(900)));
        assert_eq!(parse_interval("1h"), Ok(Interval::Every(3600)));
        assert_eq!(parse_interval("1d"), Ok(Interval::Every(86400)));
        assert_eq!(parse_interval("2w"), Ok(Interval::Every(14 * 86400)));
        for bad in [
            "",
            "0h",
            "h",
            "1",
            "1s",
            "1y",
            "+1h",
            "-1h",
            " 1h",
            "1h ",
            "1.5h",
            "1H",
            "Off",
            "1h\n",
            "1h\ttank",
            "99999999999999999999w",
            "18446744073709551615m",
            "600w",
            "1\u{1b}[2Jh",
        ] {
            assert!(parse_interval(bad).is_err(), "{bad:?}");
        }
        let e = parse_interval("1h\ntank/victim").unwrap_err();
        assert!(e.contains("strata:snapshot") && e.contains("control character"), "{e}");
        assert!(parse_interval(&"1".repeat(2000)).unwrap_err().contains("at most 1024"));
    }

    #[test]
    fn ages() {
        let a = Ages::default();
        assert_eq!(a.limits(Some(3600)), Some((7200, 14400)));
        assert_eq!(a.limits(None), None);
        let m = Ages { max_age: Some(86400), ..a.clone() };
        assert_eq!(m.limits(None), Some((86400, 86400)));
        let w = Ages { warn_age: Some(60), crit_age: Some(600), max_age: Some(86400) };
        assert_eq!(w.limits(Some(3600)), Some((60, 600)));
        assert_eq!(w.limits(None), Some((60, 86400)));
        assert!(w.check().is_ok());
        assert!(Ages { warn_age: Some(700), ..w }.check().unwrap_err().contains("above --crit-age"));
    }

    #[test]
    fn keep_rules() {
        let k = parse_keep("within=2d,last=3,hourly=24,daily=7,weekly=4,monthly=12,yearly=2").unwrap();
        assert_eq!(
            k,
            Keep { within_secs: Some(2 * 86400), last: 3, hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 2 }
        );
        assert_eq!(parse_keep("daily=7").unwrap(), Keep { daily: 7, ..Keep::default() });
        assert_eq!(parse_keep("within=1m").unwrap().within_secs, Some(31 * 86400));
        for (bad, why) in [
            ("", "expected RULE=N"),
            ("daily", "expected RULE=N"),
            ("daily=7,", "expected RULE=N"),
            ("daily=7,daily=8", "given twice"),
            ("Daily=7", "unknown rule"),
            ("daily =7", "unknown rule"),
            ("daily=+7", "whole number"),
            ("daily=-1", "whole number"),
            ("daily=0", "keeps nothing"),
            ("daily=99999999999999999999", "whole number"),
            ("within=0d", "not a duration"),
            ("within=2", "not a duration"),
            ("within=9999999999999999y", "too long"),
            ("daily=7\ntank/victim@v1", "control character"),
            ("daily=7;rm -rf /", "whole number"),
        ] {
            let e = parse_keep(bad).unwrap_err();
            assert!(e.starts_with("strata:keep") && e.contains(why), "{bad:?}: {e}");
        }
    }

    #[test]
    fn send_targets() {
        let t = parse_send("backup@nas.example:pool/strata").unwrap();
        assert_eq!(t.host.as_deref(), Some("backup@nas.example"));
        assert_eq!(t.for_dataset("tank/srv/a/b", "tank/srv"), "backup@nas.example:pool/strata/a/b");
        assert_eq!(t.for_dataset("tank/srv", "tank/srv"), "backup@nas.example:pool/strata");
        let t = parse_send("backup/tank").unwrap();
        assert_eq!((t.host.as_deref(), t.for_dataset("tank/a", "tank").as_str()), (None, "backup/tank/a"));
        for bad in [
            "",
            "-oProxyCommand=x:pool/a",
            "host:",
            ":pool",
            "u@-x:pool",
            "-u@h:pool",
            "h o:pool",
            "host:pool//a",
            "host:pool/a\n",
            "ho\u{1b}st:pool",
            "host:/pool",
            "a@b@c:pool",
        ] {
            assert!(parse_send(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sources_read_as_zfs_get_says_them() {
        assert_eq!(Source::from_column("inherited from tank/srv"), Source::Inherited("tank/srv".into()));
        assert_eq!(Source::from_column("-"), Source::Default);
        assert_eq!(Source::from_json("INHERITED", Some("tank")).describe(), "inherited from tank");
        assert_eq!(Source::from_json("NONE", Some("-")), Source::Default);
        assert_eq!(Prop::new("-", Source::Default), Prop::unset());
        // a local value "-" is a value (and not a valid one)
        assert_eq!(Prop::new("-", Source::Local).value.as_deref(), Some("-"));
    }

    #[test]
    fn a_bad_value_is_an_error_never_a_guess() {
        let mut p = DatasetProps::unset("tank/srv/a");
        p.snapshot = Prop::new("1h", Source::Inherited("tank/srv".into()));
        p.keep = Prop::new("daily=7\nx", Source::Inherited("tank/srv".into()));
        let pol = policy(&p);
        assert!(!pol.valid());
        assert_eq!(pol.every(), None);
        assert_eq!(pol.keep, None);
        assert!(pol.errors[0].ends_with("(inherited from tank/srv)"), "{:?}", pol.errors);
        p.keep = Prop::new("daily=7", Source::Local);
        p.auto = Prop::new("false", Source::Local);
        let pol = policy(&p);
        assert!(pol.valid() && pol.excluded);
        assert_eq!(pol.every(), None);
    }

    proptest! {
        /// No value, however hostile, panics a parser; one holding a control character is refused.
        #[test]
        fn any_value_parses_or_is_refused(s in "\\PC{0,40}|[\\x00-\\x7f]{0,40}|.*[\\n\\t\\x1b].*") {
            let results = [parse_interval(&s).err(), parse_keep(&s).err(), parse_send(&s).err()];
            if s.chars().any(char::is_control) {
                prop_assert!(results.iter().all(Option::is_some));
            }
        }

        /// What the grammar writes, it reads back.
        #[test]
        fn keep_rules_round_trip(counts in proptest::collection::vec(0u64..1000, 6), within in proptest::option::of(1i64..500)) {
            let mut parts: Vec<String> = within.map(|w| format!("within={w}d")).into_iter().collect();
            for (name, n) in KEEP_RULES[1..].iter().zip(&counts) {
                if *n > 0 { parts.push(format!("{name}={n}")); }
            }
            let s = parts.join(",");
            match parse_keep(&s) {
                Ok(k) => {
                    prop_assert_eq!(k.within_secs, within.map(|w| w * 86400));
                    prop_assert_eq!([k.last, k.hourly, k.daily, k.weekly, k.monthly, k.yearly].to_vec(), counts);
                }
                Err(_) => prop_assert!(parts.is_empty()),
            }
        }

        #[test]
        fn intervals_round_trip(n in 1u64..500, unit in 0usize..4) {
            let (u, secs) = [("m", 60), ("h", 3600), ("d", 86400), ("w", 604800)][unit];
            prop_assert_eq!(parse_interval(&format!("{n}{u}")), Ok(Interval::Every(n * secs)));
        }
    }
}
