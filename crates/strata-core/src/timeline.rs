//! `--format timeline`: one row per dataset, one column per day, week or month up to now, each
//! cell saying what happened to the snapshots of that period. A picture for people: the records
//! (NDJSON) stay the way for programs.
//!
//! ```text
//! DATASET        2024-01-01  2024-01-13  2024-01-25
//!                |           |           |
//! tank/a         ......xxxxxxxxx#x#x#x#x##########
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::sanitize::for_terminal;
use crate::time::civil_from_days;

/// What one snapshot is in the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// It exists (`snapshot list`).
    Present,
    /// The plan keeps it.
    Kept,
    /// The plan destroys it.
    Destroyed,
}

/// How long one column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Day,
    /// An ISO week, Monday to Sunday.
    Week,
    Month,
}

impl Unit {
    /// The period of a Unix time: days, weeks or months since a fixed start.
    fn period(self, unix: i64) -> i64 {
        let days = unix.div_euclid(86_400);
        match self {
            Unit::Day => days,
            // 1970-01-01 was a Thursday: weeks start on the Monday three days before.
            Unit::Week => (days + 3).div_euclid(7),
            Unit::Month => {
                let (y, m, _) = civil_from_days(days);
                y * 12 + i64::from(m) - 1
            }
        }
    }

    /// The first day of a period, as people write it.
    fn label(self, period: i64) -> String {
        match self {
            Unit::Day => date(period),
            Unit::Week => date(period * 7 - 3),
            Unit::Month => format!("{:04}-{:02}", period.div_euclid(12), period.rem_euclid(12) + 1),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Unit::Day => "day",
            Unit::Week => "week (Monday to Sunday)",
            Unit::Month => "month",
        }
    }
}

fn date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The snapshots of each dataset over time.
#[derive(Debug, Default)]
pub struct Timeline {
    rows: BTreeMap<String, Vec<(i64, Mark)>>,
}

/// The counts of one cell.
#[derive(Debug, Default, Clone, Copy)]
struct Cell {
    present: u64,
    kept: u64,
    destroyed: u64,
}

/// A label column never takes more than this share of the width (a third), nor less than this.
const LABEL_MIN: usize = 12;
/// Between the label column and the cells.
const GAP: usize = 2;
/// Cells shown even on a terminal narrower than that.
const CELLS_MIN: usize = 10;

impl Timeline {
    pub fn new() -> Timeline {
        Timeline::default()
    }

    /// One snapshot of `dataset` (the raw name: it is escaped when drawn), made at `unix`.
    pub fn add(&mut self, dataset: &str, unix: i64, mark: Mark) {
        // A name is copied once per dataset, not once per snapshot.
        match self.rows.get_mut(dataset) {
            Some(row) => row.push((unix, mark)),
            None => {
                self.rows.insert(dataset.to_string(), vec![(unix, mark)]);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The picture, `width` terminal columns wide at most (when it can be), its last column the
    /// period of `now` (or of the newest snapshot when that is later), in colour if `color`.
    pub fn render(&self, now: i64, width: usize, color: bool) -> String {
        let mut out = String::new();
        let times = self.rows.values().flatten().map(|(t, _)| *t);
        let (Some(oldest), Some(newest)) = (times.clone().min(), times.max()) else {
            out.push_str("no snapshots\n");
            return out;
        };
        let end = now.max(newest);
        let labels: Vec<String> = self.rows.keys().map(|k| for_terminal(k).into_owned()).collect();
        let longest = labels.iter().map(|l| l.width()).max().unwrap_or(0).max("DATASET".len());
        let label_w = longest.min(LABEL_MIN.max(width / 3));
        let room = width.saturating_sub(label_w + GAP).max(CELLS_MIN);
        // The finest unit whose columns fit; months, cut to the newest, when none does.
        let unit = [Unit::Day, Unit::Week]
            .into_iter()
            .find(|u| u.period(end) - u.period(oldest) < room as i64)
            .unwrap_or(Unit::Month);
        let last = unit.period(end);
        // When even months do not fit, the newest ones do, beside a count of the older snapshots.
        let total: usize = self.rows.values().map(Vec::len).sum();
        let room = if last - unit.period(oldest) < room as i64 {
            room
        } else {
            room.saturating_sub(format!("  (+{total} older)").len()).max(CELLS_MIN)
        };
        let first = unit.period(oldest).max(last - room as i64 + 1);
        let cols = (last - first + 1) as usize;
        let cut = unit.period(oldest) < first;

        let pad = " ".repeat(label_w + GAP);
        let (axis, ticks) = axis(unit, first, cols);
        let _ = writeln!(out, "{:<label_w$}{}{}", "DATASET", " ".repeat(GAP), axis.trim_end());
        let _ = writeln!(out, "{pad}{}", ticks.trim_end());
        let mut totals = Cell::default();
        for &(_, mark) in self.rows.values().flatten() {
            match mark {
                Mark::Present => totals.present += 1,
                Mark::Kept => totals.kept += 1,
                Mark::Destroyed => totals.destroyed += 1,
            }
        }
        for (snaps, label) in self.rows.values().zip(&labels) {
            let mut cells = vec![Cell::default(); cols];
            let mut earlier = 0u64;
            for &(t, mark) in snaps {
                let p = unit.period(t);
                let c = if p < first {
                    earlier += 1;
                    continue;
                } else {
                    &mut cells[(p - first) as usize]
                };
                match mark {
                    Mark::Present => c.present += 1,
                    Mark::Kept => c.kept += 1,
                    Mark::Destroyed => c.destroyed += 1,
                }
            }
            let mut line = fit_label(label, label_w);
            line.push_str(&" ".repeat(GAP));
            for c in &cells {
                line.push_str(&glyph(c, color));
            }
            if earlier > 0 {
                let _ = write!(line, "  (+{earlier} older)");
            }
            out.push_str(&line);
            out.push('\n');
        }
        out.push('\n');
        // The legend and the scale, folded between words to the width.
        let key = |c: Cell, what: String| (format!("{} {what}", glyph(&c, color)), what.width() + 2);
        let legend: Vec<(String, usize)> = if totals.kept + totals.destroyed > 0 {
            vec![
                key(Cell { kept: 1, ..Cell::default() }, format!("kept ({})", totals.kept)),
                key(Cell { destroyed: 1, ..Cell::default() }, format!("destroyed ({})", totals.destroyed)),
                key(Cell { kept: 1, destroyed: 1, ..Cell::default() }, "some of each".into()),
                key(Cell::default(), "none".into()),
            ]
        } else {
            vec![
                key(Cell { present: 1, ..Cell::default() }, "to 9: snapshots in the period".into()),
                key(Cell { present: 10, ..Cell::default() }, "10 or more".into()),
                key(Cell::default(), format!("none ({} snapshots in all)", totals.present)),
            ]
        };
        fold(&mut out, &legend, width);
        let scale = format!(
            "one column a {}, {} to {} (now){}",
            unit.name(),
            unit.label(first),
            unit.label(last),
            if cut { "; older ones are counted at the end of their row" } else { "" }
        );
        let words: Vec<(String, usize)> = scale.split(' ').map(|w| (w.to_string(), w.width())).collect();
        fold(&mut out, &words, width);
        out
    }
}

/// Writes `items` (text, display width) on lines of at most `width`, one space (two between
/// legend keys) apart.
fn fold(out: &mut String, items: &[(String, usize)], width: usize) {
    let gap = if items.iter().any(|(t, _)| t.contains(' ')) { 2 } else { 1 };
    let mut used = 0;
    for (text, w) in items {
        if used > 0 && used + gap + w > width {
            out.push('\n');
            used = 0;
        }
        if used > 0 {
            out.push_str(&" ".repeat(gap));
            used += gap;
        }
        out.push_str(text);
        used += w;
    }
    out.push('\n');
}

/// The dates above the columns, each over a `|` at its column, as far apart as they need.
fn axis(unit: Unit, first: i64, cols: usize) -> (String, String) {
    let wide = unit.label(first).len();
    // A date every `step` columns: whole weeks of days, months of weeks, quarters of months.
    let step = match unit {
        Unit::Day => (wide + 2).div_ceil(7) * 7,
        Unit::Week => (wide + 2).div_ceil(4) * 4,
        Unit::Month => (wide + 2).div_ceil(3) * 3,
    };
    let (mut axis, mut ticks) = (String::new(), String::new());
    let mut at = 0;
    while at < cols {
        // The last date only when it fits over the columns.
        if at > 0 && at + wide > cols {
            break;
        }
        axis.push_str(&" ".repeat(at - axis.len()));
        axis.push_str(&unit.label(first + at as i64));
        ticks.push_str(&" ".repeat(at - ticks.len()));
        ticks.push('|');
        at += step;
    }
    (axis, ticks)
}

/// A label cut to `w` columns, keeping its end (a dataset's last components tell it apart), then
/// padded to `w`.
fn fit_label(label: &str, w: usize) -> String {
    let lw = label.width();
    if lw <= w {
        return format!("{label}{}", " ".repeat(w - lw));
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 1; // the ellipsis
    for c in label.chars().rev() {
        let cw = c.width().unwrap_or(0);
        if used + cw > w {
            break;
        }
        used += cw;
        tail.push(c);
    }
    let mut s = String::from("…");
    s.extend(tail.iter().rev());
    s.push_str(&" ".repeat(w.saturating_sub(used)));
    s
}

/// One cell: what the plan does there (kept `#`, destroyed `x`, both `%`), or how many exist.
fn glyph(c: &Cell, color: bool) -> String {
    let (ch, style) = match (c.kept, c.destroyed, c.present) {
        (0, 0, 0) => ('.', None),
        (k, 0, _) if k > 0 => ('#', Some(anstyle::AnsiColor::Green)),
        (0, _, _) if c.destroyed > 0 => ('x', Some(anstyle::AnsiColor::Red)),
        (_, d, _) if d > 0 => ('%', Some(anstyle::AnsiColor::Yellow)),
        (_, _, n) => (char::from_digit(n.min(10) as u32, 10).unwrap_or('+'), Some(anstyle::AnsiColor::Cyan)),
    };
    match style {
        Some(s) if color => {
            let s = s.on_default();
            format!("{}{ch}{}", s.render(), s.render_reset())
        }
        _ => ch.to_string(),
    }
}

/// The width to draw for: `COLUMNS` when it is a positive number, else the terminal's width when
/// standard output is one, else 80.
pub fn output_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&w| w > 0)
        .or_else(|| terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| usize::from(w.0)))
        .unwrap_or(80)
}

/// Colour for the picture: allowed by `--color` and `NO_COLOR` (`allowed`), and not on a terminal
/// that says it has none (`TERM=dumb`).
pub fn color(allowed: bool) -> bool {
    allowed && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::days_from_civil;

    const DAY: i64 = 86_400;
    /// 2024-01-01T00:00:00Z, a Monday.
    const JAN1: i64 = 1_704_067_200;

    #[test]
    fn periods_start_on_the_right_day() {
        assert_eq!(Unit::Day.label(Unit::Day.period(JAN1 + 5)), "2024-01-01");
        assert_eq!(Unit::Week.label(Unit::Week.period(JAN1 + 6 * DAY)), "2024-01-01");
        assert_eq!(Unit::Week.label(Unit::Week.period(JAN1 + 7 * DAY)), "2024-01-08");
        assert_eq!(Unit::Week.label(Unit::Week.period(JAN1 - 1)), "2023-12-25");
        assert_eq!(Unit::Month.label(Unit::Month.period(JAN1 + 40 * DAY)), "2024-02");
        assert_eq!(Unit::Month.label(Unit::Month.period(JAN1 - 1)), "2023-12");
        assert_eq!(Unit::Day.label(Unit::Day.period(-1)), "1969-12-31");
        assert_eq!(days_from_civil(2024, 1, 1) * DAY, JAN1);
    }

    #[test]
    fn the_unit_follows_the_span_and_the_width() {
        let mut t = Timeline::new();
        for i in 0..60 {
            t.add("tank/a", JAN1 + i * DAY, if i % 2 == 0 { Mark::Kept } else { Mark::Destroyed });
        }
        let now = JAN1 + 59 * DAY;
        let wide = t.render(now, 120, false);
        assert!(wide.contains("one column a day, 2024-01-01 to 2024-02-29 (now)"), "{wide}");
        let narrow = t.render(now, 40, false);
        assert!(narrow.contains("one column a week (Monday to Sunday),\n2024-01-01 to 2024-02-26 (now)"), "{narrow}");
        let row = narrow.lines().find(|l| l.starts_with("tank/a")).unwrap();
        assert_eq!(row, "tank/a   %%%%%%%%%");
        for line in narrow.lines() {
            assert!(line.width() <= 40, "{line}");
        }
    }

    #[test]
    fn a_span_too_long_even_for_months_keeps_the_newest_and_counts_the_rest() {
        let mut t = Timeline::new();
        for i in 0..100 {
            t.add("t", JAN1 - i * 31 * DAY, Mark::Present);
        }
        let s = t.render(JAN1, 40, false);
        let flat = s.replace('\n', " ");
        assert!(flat.contains("one column a month"), "{s}");
        assert!(flat.contains("older ones are counted at the end of their row"), "{s}");
        assert!(flat.contains("(100 snapshots in all)"), "{s}");
        let row = s.lines().find(|l| l.starts_with("t ")).unwrap();
        assert!(row.width() <= 40, "{row}");
        let (cells, older) = row.split_once("  (+").unwrap();
        let shown: u32 = cells.chars().filter_map(|c| c.to_digit(10)).sum();
        assert_eq!(older, format!("{} older)", 100 - shown), "{row}");
    }

    #[test]
    fn hostile_names_are_escaped_and_long_ones_keep_their_end() {
        let mut t = Timeline::new();
        t.add("tank/\x1b[2Jevil", JAN1, Mark::Present);
        t.add("tank/srv/docker/a-very-long-dataset-name/victim.org", JAN1, Mark::Present);
        let s = t.render(JAN1, 60, false);
        assert!(!s.contains('\x1b'), "{s:?}");
        assert!(s.contains("tank/\\x1b[2Jevil"), "{s}");
        assert!(s.contains("…set-name/victim.org  1"), "{s}");
    }

    #[test]
    fn wide_characters_keep_the_cells_in_line() {
        let mut t = Timeline::new();
        t.add("tank/数据", JAN1, Mark::Present);
        t.add("tank/ab", JAN1, Mark::Present);
        let s = t.render(JAN1 + DAY, 80, false);
        // Where the cells start, in terminal columns: the same on every row.
        let starts: Vec<usize> = s
            .lines()
            .filter(|l| l.starts_with("tank/"))
            .map(|l| l.width() - l.rsplit(' ').next().unwrap_or("").width())
            .collect();
        assert_eq!(starts, [9 + GAP, 9 + GAP], "{s}");
    }

    #[test]
    fn colour_only_when_asked() {
        let mut t = Timeline::new();
        t.add("t", JAN1, Mark::Kept);
        t.add("t", JAN1 + DAY, Mark::Destroyed);
        assert!(!t.render(JAN1 + DAY, 80, false).contains('\x1b'));
        assert!(t.render(JAN1 + DAY, 80, true).contains("\x1b[31mx\x1b[0m"));
    }

    #[test]
    fn nothing_to_draw_says_so() {
        assert_eq!(Timeline::new().render(JAN1, 80, false), "no snapshots\n");
    }
}
