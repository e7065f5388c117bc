//! The keep rules, with borg prune's semantics (borg 1.2 `prune_within` and `prune_split`), in UTC.
//!
//! Rules run in the order within, last, hourly, daily, weekly (ISO weeks), monthly, yearly. Each
//! period rule walks the snapshots from the newest back and keeps the newest snapshot of each
//! period; a period whose newest snapshot was already kept by an earlier rule is used up without
//! counting. When a rule runs short of its count, the oldest snapshot is kept too. `--keep-last N`
//! is borg's `--keep-secondly N`: the newest snapshot of each of the last N seconds.

use strata_core::time::{civil_from_days, iso_week};

/// One keep rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    Within,
    Last,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Rule {
    pub const PERIODS: [Rule; 6] = [Rule::Last, Rule::Hourly, Rule::Daily, Rule::Weekly, Rule::Monthly, Rule::Yearly];

    pub fn name(self) -> &'static str {
        match self {
            Rule::Within => "within",
            Rule::Last => "last",
            Rule::Hourly => "hourly",
            Rule::Daily => "daily",
            Rule::Weekly => "weekly",
            Rule::Monthly => "monthly",
            Rule::Yearly => "yearly",
        }
    }

    /// The period a time (seconds since the epoch, UTC) falls in, as a number that changes
    /// exactly when borg's strftime pattern for the rule changes.
    pub fn period(self, t: i64) -> i64 {
        match self {
            Rule::Within | Rule::Last => t,
            Rule::Hourly => t.div_euclid(3600),
            Rule::Daily => t.div_euclid(86400),
            Rule::Weekly => {
                let (y, w) = iso_week(t.div_euclid(86400));
                y * 100 + i64::from(w)
            }
            Rule::Monthly => {
                let (y, m, _) = civil_from_days(t.div_euclid(86400));
                y * 12 + i64::from(m)
            }
            Rule::Yearly => civil_from_days(t.div_euclid(86400)).0,
        }
    }

    /// The period as people read it: `2023-08-07T13` (hourly), `2023-08-07`, `2023-W32`, `2023-08`,
    /// `2023`, and the second itself for `last`.
    pub fn label(self, t: i64) -> String {
        let days = t.div_euclid(86400);
        let secs = t.rem_euclid(86400);
        let (y, m, d) = civil_from_days(days);
        match self {
            Rule::Within | Rule::Last => {
                format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
            }
            Rule::Hourly => format!("{y:04}-{m:02}-{d:02}T{:02}", secs / 3600),
            Rule::Daily => format!("{y:04}-{m:02}-{d:02}"),
            Rule::Weekly => {
                let (iy, w) = iso_week(days);
                format!("{iy:04}-W{w:02}")
            }
            Rule::Monthly => format!("{y:04}-{m:02}"),
            Rule::Yearly => format!("{y:04}"),
        }
    }
}

/// The counts asked for; `None` or 0 means the rule is not used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rules {
    /// Keep everything newer than this many seconds before now.
    pub within_secs: Option<i64>,
    pub last: u64,
    pub hourly: u64,
    pub daily: u64,
    pub weekly: u64,
    pub monthly: u64,
    pub yearly: u64,
}

impl Rules {
    pub fn count(&self, rule: Rule) -> u64 {
        match rule {
            Rule::Within => 0,
            Rule::Last => self.last,
            Rule::Hourly => self.hourly,
            Rule::Daily => self.daily,
            Rule::Weekly => self.weekly,
            Rule::Monthly => self.monthly,
            Rule::Yearly => self.yearly,
        }
    }

    /// True when at least one rule keeps something.
    pub fn any(&self) -> bool {
        self.within_secs.is_some() || Rule::PERIODS.iter().any(|&r| self.count(r) > 0)
    }
}

/// Why a snapshot is kept by the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    pub rule: Rule,
    /// Kept as the oldest snapshot because the rule ran short.
    pub oldest: bool,
}

impl Kept {
    /// `daily:2023-08-07`, `daily[oldest]:2019-01-01`, `within`.
    pub fn reason(self, t: i64) -> String {
        match (self.rule, self.oldest) {
            (Rule::Within, _) => "within".to_string(),
            (r, false) => format!("{}:{}", r.name(), r.label(t)),
            (r, true) => format!("{}[oldest]:{}", r.name(), r.label(t)),
        }
    }
}

/// Applies the rules to one dataset's candidates. `times` are creation times in seconds, sorted
/// newest first (snapshots of the same second: the later createtxg first). Returns, for each, the
/// rule that keeps it, or `None` when no rule does.
pub fn keep(times: &[i64], rules: &Rules, now: i64) -> Vec<Option<Kept>> {
    let mut kept: Vec<Option<Kept>> = vec![None; times.len()];
    if let Some(w) = rules.within_secs {
        let target = now.saturating_sub(w);
        for (i, &t) in times.iter().enumerate() {
            if t > target {
                kept[i] = Some(Kept { rule: Rule::Within, oldest: false });
            }
        }
    }
    for rule in Rule::PERIODS {
        let n = rules.count(rule);
        if n == 0 || times.is_empty() {
            continue;
        }
        let mut count = 0u64;
        let mut last: Option<i64> = None;
        let mut finished = true;
        for (i, &t) in times.iter().enumerate() {
            let p = rule.period(t);
            if last != Some(p) {
                last = Some(p);
                if kept[i].is_none() {
                    kept[i] = Some(Kept { rule, oldest: false });
                    count += 1;
                    if count == n {
                        finished = false;
                        break;
                    }
                }
            }
        }
        let oldest = times.len() - 1;
        if finished && count < n && kept[oldest].is_none() {
            kept[oldest] = Some(Kept { rule, oldest: true });
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_second()
    }

    #[test]
    fn labels_name_the_period() {
        assert_eq!(Rule::Weekly.label(ts("2021-01-01T12:00:00Z")), "2020-W53");
        assert_eq!(Rule::Daily.label(ts("2024-02-29T23:59:59Z")), "2024-02-29");
        assert_eq!(Rule::Hourly.label(ts("2024-02-29T23:59:59Z")), "2024-02-29T23");
        assert_eq!(Rule::Last.label(ts("1969-12-31T23:59:59Z")), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn daily_keeps_the_newest_of_each_day_and_the_oldest_when_short() {
        // Newest first: two on the 3rd, one on the 2nd, two on the 1st.
        let t = [
            ts("2023-08-03T20:00:00Z"),
            ts("2023-08-03T08:00:00Z"),
            ts("2023-08-02T08:00:00Z"),
            ts("2023-08-01T20:00:00Z"),
            ts("2023-08-01T08:00:00Z"),
        ];
        let r = Rules { daily: 2, ..Rules::default() };
        let k = keep(&t, &r, 0);
        let kept: Vec<bool> = k.iter().map(Option::is_some).collect();
        assert_eq!(kept, [true, false, true, false, false]);
        let r = Rules { daily: 5, ..Rules::default() };
        let k = keep(&t, &r, 0);
        assert_eq!(k[4], Some(Kept { rule: Rule::Daily, oldest: true }));
        assert_eq!(k[4].unwrap().reason(t[4]), "daily[oldest]:2023-08-01");
    }

    #[test]
    fn a_period_kept_by_an_earlier_rule_does_not_count() {
        let t = [ts("2023-08-03T20:00:00Z"), ts("2023-08-02T20:00:00Z"), ts("2023-08-01T20:00:00Z")];
        let r = Rules { last: 1, daily: 1, ..Rules::default() };
        let k = keep(&t, &r, 0);
        assert_eq!(k[0].unwrap().rule, Rule::Last);
        assert_eq!(k[1].unwrap().rule, Rule::Daily);
        assert_eq!(k[2], None);
        let r = Rules { within_secs: Some(3600), daily: 1, ..Rules::default() };
        let k = keep(&t, &r, ts("2023-08-03T20:30:00Z"));
        assert_eq!(k[0].unwrap().rule, Rule::Within);
        assert_eq!(k[1].unwrap().rule, Rule::Daily);
    }
}
