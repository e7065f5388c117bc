//! The table view of records, for people.
//!
//! Columns are aligned by display width (a CJK character or most emoji take two terminal
//! columns), a column of numbers is right-aligned as a whole, and the table fits the terminal:
//! when it is too wide, text columns give up width first, the widest first, and a cell wider than
//! its column folds onto more lines inside that column instead of wrapping the whole line. Numbers
//! are never cut.
//!
//! A table streams. The first [`BATCH`] rows of a block (the records of one type in a row) are
//! held to fix the column widths; from then on each row is shown as soon as it comes, with those
//! widths, folding the cells that are wider. What is held never grows past one batch, however
//! long the table.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Rows held before the column widths are fixed and the table starts to show.
pub const BATCH: usize = 100;

/// Text columns keep at least this many terminal columns (or their whole width, when narrower)
/// before the headers of numbers fold.
const TEXT_ROOM: usize = 10;

/// Text columns get narrower than [`TEXT_ROOM`], down to this, only when that makes the table
/// fit: when it cannot fit anyway, readable cells are worth more than a shorter overflow.
const TEXT_MIN: usize = 3;

/// A header folds down to the width of its values, but not below this.
const HEAD_MIN: usize = 4;

/// Between two columns.
const GAP: &str = "  ";

/// A long cell folds after one of these when that keeps at least half of the line's width.
const BREAK_AFTER: [char; 9] = [' ', ',', '/', '-', '_', '@', ':', ';', '='];

/// What a cell holds, as far as the alignment of its column is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A number as people read it: `42`, `+1`, `1.5G`, `42.5%`, `1.02x`.
    Number,
    /// No value: empty, `-` or `none`. It says nothing about its column.
    Blank,
    /// Anything else.
    Text,
}

impl Kind {
    /// The kind of a cell from its text.
    pub fn of(s: &str) -> Kind {
        match s.trim() {
            "" | "-" | "none" => Kind::Blank,
            t if is_number(t) => Kind::Number,
            _ => Kind::Text,
        }
    }
}

/// `[+-]DIGITS[.DIGITS]` and then at most one unit: a size suffix, `%` or `x`.
fn is_number(s: &str) -> bool {
    let s = s.strip_suffix(['K', 'M', 'G', 'T', 'P', 'E', 'B', '%', 'x']).unwrap_or(s);
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(s.contains('.') && frac.is_empty())
}

/// One cell: its text, already made safe for a terminal, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub kind: Kind,
}

impl Cell {
    /// A cell whose kind is read from its text ([`Kind::of`]).
    pub fn guess(text: String) -> Cell {
        let kind = Kind::of(&text);
        Cell { text, kind }
    }
}

/// Renders rows as they come; see the module's documentation.
#[derive(Debug)]
pub struct Table {
    /// The terminal's width; `None`: no limit (a pipe).
    width: Option<usize>,
    bold: bool,
    batch: usize,
    block: Option<Block>,
}

/// The rows of one record type in a row, under one header.
#[derive(Debug)]
struct Block {
    /// Another block came before: a blank line goes between.
    after: bool,
    /// The record's column names, as given.
    keys: Vec<String>,
    /// Columns the record says hold numbers.
    numbers: Vec<bool>,
    /// Rows waiting for the widths to be fixed (at most a batch).
    held: Vec<Vec<Cell>>,
    layout: Option<Layout>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout {
    widths: Vec<usize>,
    right: Vec<bool>,
    /// The last column folds too (there is a width to fit).
    fold_last: bool,
}

impl Table {
    /// A table with no width limit; `bold` headers when colour is allowed.
    pub fn new(bold: bool) -> Table {
        Table { width: None, bold, batch: BATCH, block: None }
    }

    /// The width to fit, in terminal columns (`None`: no limit).
    pub fn width(mut self, width: Option<usize>) -> Table {
        self.width = width;
        self
    }

    /// How many rows fix the column widths (at least one).
    pub fn batch(mut self, rows: usize) -> Table {
        self.batch = rows.max(1);
        self
    }

    /// Adds one row under the columns `keys`, of which those named in `numbers` hold numbers
    /// whatever their cells say. What can be shown is appended to `out`: nothing while the first
    /// batch of a block is held, then the header and that batch, then each row as it comes.
    pub fn row(&mut self, keys: &[&str], numbers: &[&str], cells: Vec<Cell>, out: &mut String) {
        let same = self
            .block
            .as_ref()
            .is_some_and(|b| b.keys.len() == keys.len() && b.keys.iter().zip(keys).all(|(a, b)| a == b));
        if !same {
            let after = self.block.is_some();
            self.end_block(out);
            self.block = Some(Block {
                after,
                keys: keys.iter().map(|k| k.to_string()).collect(),
                numbers: keys.iter().map(|k| numbers.contains(k)).collect(),
                held: Vec::new(),
                layout: None,
            });
        }
        let (width, bold, batch) = (self.width, self.bold, self.batch);
        let Some(block) = self.block.as_mut() else { return };
        match &block.layout {
            Some(layout) => render_row(out, &cells, layout),
            None => {
                block.held.push(cells);
                if block.held.len() >= batch {
                    block.show_held(width, bold, out);
                }
            }
        }
    }

    /// Shows what is still held. Call once at the end.
    pub fn finish(&mut self, out: &mut String) {
        self.end_block(out);
    }

    fn end_block(&mut self, out: &mut String) {
        if let Some(mut block) = self.block.take()
            && block.layout.is_none()
        {
            block.show_held(self.width, self.bold, out);
        }
    }
}

impl Block {
    /// Fixes the widths from the held rows and shows the header and those rows.
    fn show_held(&mut self, width: Option<usize>, bold: bool, out: &mut String) {
        let heads: Vec<String> = self.keys.iter().map(|k| k.to_uppercase()).collect();
        let layout = lay_out(&heads, &self.held, &self.numbers, width);
        if self.after {
            out.push('\n');
        }
        render_header(out, &heads, &layout, bold);
        for row in std::mem::take(&mut self.held) {
            render_row(out, &row, &layout);
        }
        self.layout = Some(layout);
    }
}

/// Column widths and alignment from the header and the first rows.
fn lay_out(heads: &[String], rows: &[Vec<Cell>], numbers: &[bool], width: Option<usize>) -> Layout {
    let n = heads.len();
    let mut values = Vec::with_capacity(n);
    let mut right = Vec::with_capacity(n);
    for i in 0..n {
        let (mut widest, mut number, mut text) = (0, false, false);
        for cell in rows.iter().filter_map(|r| r.get(i)) {
            widest = widest.max(cell.text.width());
            match cell.kind {
                Kind::Number => number = true,
                Kind::Text => text = true,
                Kind::Blank => {}
            }
        }
        values.push(widest);
        right.push(numbers.get(i).copied().unwrap_or(false) || (number && !text));
    }
    let natural: Vec<usize> = heads.iter().zip(&values).map(|(h, v)| h.width().max(*v)).collect();
    let widths = match width {
        Some(w) => fit(&natural, &values, &right, w),
        None => natural,
    };
    Layout { widths, right, fold_last: width.is_some() }
}

/// Narrows the columns to fit `limit` terminal columns with their gaps: first the text columns,
/// the widest first, down to [`TEXT_ROOM`]; then the headers wider than the values under them
/// fold, the widest first, down to [`HEAD_MIN`]; then, if that makes the table fit, the text
/// columns again, down to [`TEXT_MIN`]. A number is never cut, so a table of many columns may
/// stay wider than a narrow terminal.
fn fit(natural: &[usize], values: &[usize], right: &[bool], limit: usize) -> Vec<usize> {
    let n = natural.len();
    let room = limit.saturating_sub(GAP.len() * n.saturating_sub(1));
    let mut w = natural.to_vec();
    let text_floor =
        |min: usize| -> Vec<Option<usize>> { (0..n).map(|i| (!right[i]).then(|| natural[i].min(min))).collect() };
    shrink(&mut w, &text_floor(TEXT_ROOM), room);
    let head_floor: Vec<Option<usize>> = (0..n).map(|i| Some(values[i].max(HEAD_MIN))).collect();
    shrink(&mut w, &head_floor, room);
    let mut narrow = w.clone();
    shrink(&mut narrow, &text_floor(TEXT_MIN), room);
    if narrow.iter().sum::<usize>() <= room { narrow } else { w }
}

/// Lowers the widest of the columns that have a floor, then the next widest with it, and so on
/// (water-filling), until the widths add up to `room` or each such column is at its floor. Of
/// columns left equally wide, the leftmost keep the one column that does not divide evenly.
fn shrink(w: &mut [usize], floor: &[Option<usize>], room: usize) {
    let sum = |w: &[usize]| w.iter().sum::<usize>();
    if sum(w) <= room {
        return;
    }
    let at = |w: &[usize], level: usize| -> Vec<usize> {
        w.iter().zip(floor).map(|(&x, f)| f.map_or(x, |f| x.min(level).max(f.min(x)))).collect()
    };
    let bottom = at(w, 0);
    if sum(&bottom) > room {
        w.copy_from_slice(&bottom);
        return;
    }
    // The highest level whose widths still fit.
    let (mut lo, mut hi) = (0, w.iter().copied().max().unwrap_or(0));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if sum(&at(w, mid)) <= room { lo = mid } else { hi = mid - 1 }
    }
    let mut next = at(w, lo);
    let mut spare = room - sum(&next);
    for i in 0..w.len() {
        if spare == 0 {
            break;
        }
        let above = floor[i].is_some_and(|f| w[i] > lo && f.min(w[i]) <= lo);
        if above && next[i] == lo {
            next[i] += 1;
            spare -= 1;
        }
    }
    w.copy_from_slice(&next);
}

fn render_header(out: &mut String, heads: &[String], layout: &Layout, bold: bool) {
    let pieces: Vec<Vec<&str>> = heads.iter().zip(&layout.widths).map(|(h, &w)| fold(h, w)).collect();
    let style = anstyle::Style::new().bold();
    for line in lines(&pieces, layout) {
        if bold {
            out.push_str(&format!("{}{line}{}\n", style.render(), style.render_reset()));
        } else {
            out.push_str(&line);
            out.push('\n');
        }
    }
}

fn render_row(out: &mut String, cells: &[Cell], layout: &Layout) {
    let last = cells.len().saturating_sub(1);
    let pieces: Vec<Vec<&str>> = cells
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let w = layout.widths.get(i).copied().unwrap_or(0);
            let whole = layout.right.get(i).copied().unwrap_or(false) || (i == last && !layout.fold_last);
            if whole { vec![c.text.as_str()] } else { fold(&c.text, w) }
        })
        .collect();
    for line in lines(&pieces, layout) {
        out.push_str(&line);
        out.push('\n');
    }
}

/// The lines of one row: line k holds the k-th piece of every cell, padded to its column.
fn lines(pieces: &[Vec<&str>], layout: &Layout) -> Vec<String> {
    let height = pieces.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let n = pieces.len();
    (0..height)
        .map(|k| {
            let mut line = String::new();
            for (i, cell) in pieces.iter().enumerate() {
                let piece = cell.get(k).copied().unwrap_or("");
                let width = layout.widths.get(i).copied().unwrap_or(0);
                let fill = width.saturating_sub(piece.width());
                let last = i + 1 == n;
                if layout.right.get(i).copied().unwrap_or(false) {
                    line.extend(std::iter::repeat_n(' ', fill));
                    line.push_str(piece);
                } else {
                    line.push_str(piece);
                    if !last {
                        line.extend(std::iter::repeat_n(' ', fill));
                    }
                }
                if !last {
                    line.push_str(GAP);
                }
            }
            line.truncate(line.trim_end().len());
            line
        })
        .collect()
}

/// Cuts `s` into lines of at most `width` terminal columns, after a space, comma, slash or the
/// like when one keeps at least half of the line, anywhere otherwise. A character wider than
/// `width` gets a line of its own. The lines are slices of `s`, in order: they join back to it.
pub fn fold(s: &str, width: usize) -> Vec<&str> {
    let width = width.max(1);
    if s.width() <= width {
        return vec![s];
    }
    let mut lines = Vec::new();
    // The line being filled starts at `start` and is `shown` columns wide; `soft` is the end of
    // its last break character that keeps at least half of the width.
    let (mut start, mut shown, mut soft) = (0, 0, None);
    for (i, c) in s.char_indices() {
        let w = c.width().unwrap_or(0);
        if shown + w > width && i > start {
            let cut = soft.unwrap_or(i);
            lines.push(&s[start..cut]);
            start = cut;
            (shown, soft) = measure(s, start, i, width);
            // What follows the break and this character still do not fit: cut here as well.
            if shown + w > width && i > start {
                lines.push(&s[start..i]);
                (start, shown, soft) = (i, 0, None);
            }
        }
        shown += w;
        if BREAK_AFTER.contains(&c) && shown * 2 >= width {
            soft = Some(i + c.len_utf8());
        }
    }
    if start < s.len() {
        lines.push(&s[start..]);
    }
    lines
}

/// The width of `s[start..end]`, the start of a line, and the end (an offset into `s`) of its
/// last break character that keeps at least half of `width` on the line.
fn measure(s: &str, start: usize, end: usize, width: usize) -> (usize, Option<usize>) {
    let (mut shown, mut soft) = (0, None);
    for (i, c) in s[start..end].char_indices() {
        shown += c.width().unwrap_or(0);
        if BREAK_AFTER.contains(&c) && shown * 2 >= width {
            soft = Some(start + i + c.len_utf8());
        }
    }
    (shown, soft)
}

/// The width tables fit on standard output: `COLUMNS` when it is a positive number, otherwise
/// the terminal's width when standard output is one, otherwise no limit.
pub fn output_width() -> Option<usize> {
    width_from(std::env::var("COLUMNS").ok().as_deref(), || {
        terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| usize::from(w.0))
    })
}

fn width_from(columns: Option<&str>, terminal: impl FnOnce() -> Option<usize>) -> Option<usize> {
    match columns.and_then(|c| c.trim().parse::<usize>().ok()) {
        Some(w) if w > 0 => Some(w),
        _ => terminal().filter(|&w| w > 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(texts: &[&str]) -> Vec<Cell> {
        texts.iter().map(|t| Cell::guess(t.to_string())).collect()
    }

    fn render(table: Table, keys: &[&str], numbers: &[&str], rows: &[&[&str]]) -> String {
        let mut table = table;
        let mut out = String::new();
        for r in rows {
            table.row(keys, numbers, cells(r), &mut out);
        }
        table.finish(&mut out);
        out
    }

    #[test]
    fn kinds() {
        for n in ["0", "42", "+1", "-1", "1.5G", "8.66M", "42.5%", "1.02x", "100B"] {
            assert_eq!(Kind::of(n), Kind::Number, "{n}");
        }
        for b in ["", "-", "none", " "] {
            assert_eq!(Kind::of(b), Kind::Blank, "{b:?}");
        }
        for t in ["tank/a", "inf", "NaN", "1.", ".5", "1.2.3", "G", "2023-08-08", "1,2", "on"] {
            assert_eq!(Kind::of(t), Kind::Text, "{t}");
        }
    }

    #[test]
    fn a_column_of_numbers_stays_right_aligned_when_a_cell_has_none() {
        let out = render(
            Table::new(false),
            &["dataset", "quota", "use"],
            &[],
            &[&["tank", "none", ""], &["tank/var/log", "64M", "0.1%"], &["t", "-", "100.0%"]],
        );
        assert_eq!(
            out,
            "DATASET       QUOTA     USE\n\
             tank           none\n\
             tank/var/log    64M    0.1%\n\
             t                 -  100.0%\n"
        );
    }

    #[test]
    fn a_column_the_record_says_holds_numbers_is_right_aligned_even_when_all_blank() {
        let out = render(Table::new(false), &["dataset", "quota"], &["quota"], &[&["tank", "none"], &["tank/x", "-"]]);
        assert_eq!(out, "DATASET  QUOTA\ntank      none\ntank/x       -\n");
        let out = render(Table::new(false), &["dataset", "quota"], &[], &[&["tank", "none"], &["tank/x", "-"]]);
        assert_eq!(out, "DATASET  QUOTA\ntank     none\ntank/x   -\n");
    }

    #[test]
    fn wide_characters_line_up_by_display_width() {
        let out = render(
            Table::new(false),
            &["name", "used"],
            &[],
            &[&["tank/数据", "1G"], &["tank/🚀x", "10G"], &["tank/ab", "2K"]],
        );
        assert_eq!(out, "NAME       USED\ntank/数据    1G\ntank/🚀x    10G\ntank/ab      2K\n");
        // Every line as wide on screen.
        let widths: Vec<usize> = out.lines().map(UnicodeWidthStr::width).collect();
        assert!(widths.iter().all(|&w| w == widths[0]), "{widths:?}\n{out}");
    }

    #[test]
    fn long_cells_fold_inside_their_column_to_fit_the_width() {
        let long = format!("zfs destroy tank/a@{}", (0..3000).map(|i| format!("s{i}")).collect::<Vec<_>>().join(","));
        let out = render(
            Table::new(false).width(Some(60)),
            &["result", "snapshots", "command"],
            &[],
            &[&["destroyed", "3000", &long], &["failed", "1", "zfs destroy tank/b@x"]],
        );
        for line in out.lines() {
            assert!(line.width() <= 60, "{} columns: {line}", line.width());
        }
        // The command column starts at the same place on every line, and folding loses nothing.
        let start = "RESULT     SNAPSHOTS  ".len();
        let command: String =
            out.lines().skip(1).take_while(|l| !l.starts_with("failed")).map(|l| &l[start..]).collect();
        assert_eq!(command, long);
        assert!(out.lines().nth(1).is_some_and(|l| l.starts_with("destroyed       3000  zfs destroy ")), "{out}");
        assert!(out.lines().nth(2).is_some_and(|l| l.starts_with(&" ".repeat(start))), "{out}");
        assert!(out.ends_with("failed             1  zfs destroy tank/b@x\n"), "{out}");
        // A fold keeps the commas at the end of a line when it can.
        assert!(out.lines().skip(1).take(5).all(|l| l.ends_with(',') || !l.contains("@s")), "{out}");
    }

    #[test]
    fn fold_by_display_width_and_at_break_characters() {
        assert_eq!(fold("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(fold("数据数据数", 4), ["数据", "数据", "数"]);
        assert_eq!(fold("数据", 1), ["数", "据"]);
        assert_eq!(fold("a数", 2), ["a", "数"]);
        assert_eq!(fold("tank/srv/docker", 10), ["tank/srv/", "docker"]);
        assert_eq!(fold("a/bcdefghijk", 6), ["a/bcde", "fghijk"], "a break before half the line is not taken");
        assert_eq!(fold("short", 10), ["short"]);
        for w in 1..12 {
            let s = "tank/数据/🚀 a,b-c@d:e";
            let got = fold(s, w);
            assert_eq!(got.concat(), s, "width {w}");
            assert!(got.iter().all(|l| l.width() <= w.max(2)), "width {w}: {got:?}");
            assert!(got.iter().all(|l| l.width() <= w || l.chars().count() == 1), "width {w}: {got:?}");
        }
    }

    #[test]
    fn text_columns_shrink_widest_first_and_numbers_stay_whole() {
        // Natural widths 30 and 12 of text, 6 of numbers; 40 leaves 36 for the three.
        let w = fit(&[30, 12, 6], &[30, 12, 6], &[false, false, true], 40);
        assert_eq!(w, [18, 12, 6]);
        // Both text columns come down together once they are equally wide.
        let w = fit(&[30, 12, 6], &[30, 12, 6], &[false, false, true], 33);
        assert_eq!(w, [12, 11, 6]);
        // Then headers wider than their numbers fold, then text goes below TEXT_ROOM.
        let w = fit(&[20, 9, 9], &[20, 4, 4], &[false, true, true], 30);
        assert_eq!(w, [10, 8, 8]);
        let w = fit(&[20, 9, 9], &[20, 4, 4], &[false, true, true], 20);
        assert_eq!(w, [8, 4, 4]);
        // Text goes below TEXT_ROOM when that makes the table fit...
        let w = fit(&[20, 4], &[20, 4], &[false, true], 12);
        assert_eq!(w, [6, 4]);
        // ...not when the numbers alone are too wide: they stay whole, the text readable.
        let w = fit(&[20, 9], &[20, 9], &[false, true], 5);
        assert_eq!(w, [10, 9]);
        // A table that fits is left alone.
        assert_eq!(fit(&[5, 5], &[5, 5], &[false, true], 80), [5, 5]);
    }

    #[test]
    fn headers_fold_before_text_gets_unreadable() {
        let out = render(
            Table::new(false).width(Some(16)),
            &["dataset", "refreserv"],
            &[],
            &[&["tank/some/long/dataset", "none"], &["tank", "10G"]],
        );
        for line in out.lines() {
            assert!(line.width() <= 16, "{line}");
        }
        assert_eq!(
            out,
            "DATASET     REFR\n            ESER\n               V\ntank/some/  none\nlong/\ndataset\ntank         10G\n"
        );
    }

    #[test]
    fn rows_show_once_the_first_batch_is_in_and_then_one_by_one() {
        let mut table = Table::new(false).batch(3);
        let mut out = String::new();
        table.row(&["name", "n"], &[], cells(&["a", "1"]), &mut out);
        table.row(&["name", "n"], &[], cells(&["b", "22"]), &mut out);
        assert_eq!(out, "", "held until the batch is full");
        table.row(&["name", "n"], &[], cells(&["c", "3"]), &mut out);
        assert_eq!(out, "NAME   N\na      1\nb     22\nc      3\n");
        out.clear();
        // Later rows come out at once, with the widths of the batch; a wider text folds, a
        // wider number stays whole.
        table.row(&["name", "n"], &[], cells(&["defgh", "4444"]), &mut out);
        assert_eq!(out, "defg  4444\nh\n");
        assert!(table.block.as_ref().is_some_and(|b| b.held.is_empty()), "nothing is held after the batch");
        out.clear();
        // Another record type: a blank line and its own header, widths of its own.
        table.row(&["kind"], &[], cells(&["x"]), &mut out);
        assert_eq!(out, "");
        table.finish(&mut out);
        assert_eq!(out, "\nKIND\nx\n");
    }

    #[test]
    fn a_long_table_holds_one_batch_at_most() {
        let mut table = Table::new(false);
        let mut out = String::new();
        for i in 0..10 * BATCH {
            table.row(&["path", "size"], &[], cells(&[&format!("/tank/f{i:05}"), "1K"]), &mut out);
            let held = table.block.as_ref().map_or(0, |b| b.held.len());
            assert!(held < BATCH, "row {i}: {held} rows held");
            if i + 1 >= BATCH {
                assert!(out.contains(&format!("/tank/f{i:05} ")), "row {i} is shown as soon as it comes");
            }
        }
    }

    #[test]
    fn bold_header_only_when_asked() {
        let plain = render(Table::new(false), &["a"], &[], &[&["x"]]);
        assert!(!plain.contains('\x1b'));
        let bold = render(Table::new(true), &["a"], &[], &[&["x"]]);
        assert_eq!(bold, "\x1b[1mA\x1b[0m\nx\n");
    }

    #[test]
    fn width_comes_from_columns_then_the_terminal() {
        assert_eq!(width_from(Some("60"), || Some(200)), Some(60));
        assert_eq!(width_from(Some(" 80 "), || None), Some(80));
        for bad in ["", "0", "-5", "wide"] {
            assert_eq!(width_from(Some(bad), || Some(132)), Some(132), "{bad:?}");
            assert_eq!(width_from(Some(bad), || None), None, "{bad:?}");
        }
        assert_eq!(width_from(None, || Some(0)), None);
        assert_eq!(width_from(None, || None), None);
    }
}
