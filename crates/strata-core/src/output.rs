//! Writing records. One serde struct feeds every format: NDJSON (one object per line), CSV (a
//! header from the record's fields), a table for people, or plain (the record's key field only).

use std::io::{self, Write};

use base64::Engine;
use serde::Serialize;
use serde_json::Value;

use crate::sanitize::for_terminal;
use crate::table::{Cell, Kind, Table};

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// A table on a terminal, NDJSON otherwise.
    Auto,
    /// Newline-delimited JSON: one record per line.
    Json,
    /// CSV with a header line.
    Csv,
    /// Aligned columns for people.
    Table,
    /// The record's key field alone, one per line (a name, a path, a host alias), its control
    /// characters escaped (\x0a); --print0 for the exact value.
    Plain,
    /// A picture over time, one row per dataset (prune plan and snapshot list only).
    Timeline,
}

/// The format once `auto` has been decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Table,
    Plain,
    /// Drawn by the command itself; a record written to the sink then shows as in a table.
    Timeline,
}

/// The commands (under the `strata` dispatcher's names) that draw `--format timeline`.
pub const TIMELINE_COMMANDS: &[&str] = &["prune plan", "snapshot list"];

/// Whether `command` (e.g. `"prune plan"`) draws a timeline; the usage error says which do.
pub fn check_timeline(command: &str) -> Result<(), String> {
    if TIMELINE_COMMANDS.contains(&command) {
        return Ok(());
    }
    let which: Vec<String> = TIMELINE_COMMANDS.iter().map(|c| format!("strata {c}")).collect();
    Err(format!("--format timeline: strata {command} has no timeline; only {} draw one", which.join(" and ")))
}

impl FormatArg {
    pub fn resolve(self, stdout_is_terminal: bool) -> Format {
        match self {
            FormatArg::Auto if stdout_is_terminal => Format::Table,
            FormatArg::Auto | FormatArg::Json => Format::Json,
            FormatArg::Csv => Format::Csv,
            FormatArg::Table => Format::Table,
            FormatArg::Plain => Format::Plain,
            FormatArg::Timeline => Format::Timeline,
        }
    }
}

/// A record on stdout. `Serialize` gives its fields; the rest has defaults.
pub trait Record: Serialize {
    /// The field printed by `--format plain`.
    const KEY: &'static str;

    /// The columns of the table view, already formatted for people. `None`: every field, as is.
    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        None
    }

    /// The table columns that hold numbers: right-aligned whatever a cell says (`none`, `-`,
    /// nothing). Other columns are right-aligned when the cells of the table's first rows are
    /// numbers or blank, with at least one number.
    const TABLE_NUMBERS: &'static [&'static str] = &[];
}

/// Where records go. Streams NDJSON, CSV and plain; a table is held for its first rows only, which
/// fix its column widths (see [`crate::table`]).
///
/// Output never decides how a command ends. When standard output is a pipe nobody reads any
/// more (`| head -1`), the sink stops writing and drops the records that follow, quietly; when a
/// write fails otherwise (a full disk), it stops too and keeps the error for [`Sink::finish`].
/// Either way the tool runs to its own end, so a query still reaches its answer (its exit code)
/// and a command that changes things finishes its work instead of stopping half-way.
pub struct Sink {
    out: Box<dyn Write>,
    format: Format,
    csv_header: Option<Vec<String>>,
    table: Table,
    written: u64,
    state: State,
    /// Standard output is a terminal: CSV cells are escaped like the table's.
    terminal: bool,
    /// `--print0`: plain values exactly as they are, each ended by a NUL byte.
    print0: bool,
}

/// Whether the sink still writes.
#[derive(Debug)]
enum State {
    Open,
    /// The reader went away (EPIPE): nothing more is written, and that is not an error.
    Closed,
    /// A write failed; nothing more is written, and `finish` returns this error.
    Failed(Option<io::Error>),
}

impl Sink {
    pub fn new(out: Box<dyn Write>, format: Format, color: bool) -> Sink {
        Sink {
            out,
            format,
            csv_header: None,
            table: Table::new(color),
            written: 0,
            state: State::Open,
            terminal: false,
            print0: false,
        }
    }

    /// Standard output is a terminal: CSV cells and `--print0` values are escaped as in a table
    /// (plain values always are, unless `--print0`), so no value can move the cursor, change
    /// colours or retitle the window.
    pub fn on_terminal(mut self, terminal: bool) -> Sink {
        self.terminal = terminal;
        self
    }

    /// The width a table fits, in terminal columns (`None`: no limit); see
    /// [`crate::table::output_width`].
    pub fn table_width(mut self, width: Option<usize>) -> Sink {
        self.table = std::mem::replace(&mut self.table, Table::new(false)).width(width);
        self
    }

    /// `--print0` (with the plain format): each value exactly as it is, ended by a NUL byte
    /// instead of a newline, like `find -print0`. A value whose bytes are not UTF-8 is written
    /// from its `KEY_bytes` field (base64 of the exact bytes) when the record has one.
    pub fn print0(mut self, print0: bool) -> Sink {
        self.print0 = print0;
        self
    }

    /// True once standard output is a pipe nobody reads: what is written from then on is dropped.
    /// A tool may stop producing output early then, as long as its answer does not change.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// Writes `bytes` unless writing has stopped; a closed pipe or a failure stops it.
    fn put(&mut self, bytes: &[u8]) {
        if !matches!(self.state, State::Open) {
            return;
        }
        if let Err(e) = self.out.write_all(bytes) {
            self.stop(e);
        }
    }

    /// Flushes what was written so far, unless writing has stopped.
    fn flush_now(&mut self) {
        if matches!(self.state, State::Open)
            && let Err(e) = self.out.flush()
        {
            self.stop(e);
        }
    }

    fn stop(&mut self, e: io::Error) {
        self.state = if e.kind() == io::ErrorKind::BrokenPipe { State::Closed } else { State::Failed(Some(e)) };
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// How many records were written so far.
    pub fn count(&self) -> u64 {
        self.written
    }

    /// Writes one record. An error here is a record that cannot be shown in this format; a
    /// failing standard output is not reported here (see [`Sink`]).
    pub fn write<R: Record>(&mut self, record: &R) -> io::Result<()> {
        self.written += 1;
        match self.format {
            Format::Json => {
                let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
                line.push(b'\n');
                self.put(&line);
                // On a terminal NDJSON is line-buffered, as ripgrep's output is: each record
                // shows as soon as it is made. In a pipe it stays block-buffered.
                if self.terminal {
                    self.flush_now();
                }
            }
            Format::Plain => {
                let v = to_object(record)?;
                let field = |name: &str| v.iter().find(|(k, _)| k.as_str() == name).map(|(_, v)| v);
                let s = field(R::KEY).map(cell).unwrap_or_default();
                let line = if self.print0 && self.terminal {
                    let mut b = for_terminal(&s).into_owned().into_bytes();
                    b.push(0);
                    b
                } else if self.print0 {
                    let mut b = match field(&format!("{}_bytes", R::KEY)) {
                        Some(Value::String(b64)) => {
                            base64::engine::general_purpose::STANDARD.decode(b64).map_err(io::Error::other)?
                        }
                        _ => s.into_bytes(),
                    };
                    b.push(0);
                    b
                } else {
                    // One value, one line: a newline or an escape sequence in a name never
                    // starts another line or reaches the terminal.
                    let mut b = for_terminal(&s).into_owned().into_bytes();
                    b.push(b'\n');
                    b
                };
                self.put(&line);
            }
            Format::Csv => {
                let v = to_object(record)?;
                let header: Vec<String> = v.iter().map(|(k, _)| k.clone()).collect();
                let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
                let mut bytes = Vec::new();
                if self.csv_header.as_ref() != Some(&header) {
                    // Another record type: a blank line, then its own header, as the table does.
                    if self.csv_header.is_some() {
                        bytes.push(b'\n');
                    }
                    w.write_record(&header).map_err(io::Error::other)?;
                    self.csv_header = Some(header);
                }
                if self.terminal {
                    w.write_record(v.iter().map(|(_, v)| for_terminal(&cell(v)).into_owned()))
                } else {
                    w.write_record(v.iter().map(|(_, v)| cell(v)))
                }
                .map_err(io::Error::other)?;
                bytes.extend(w.into_inner().map_err(|e| io::Error::other(e.to_string()))?);
                self.put(&bytes);
            }
            Format::Table | Format::Timeline => {
                // Cells are made safe first and measured after: an escaped control character
                // takes the room its escape takes.
                let safe = |v: &str| for_terminal(v).into_owned();
                let (keys, cells): (Vec<String>, Vec<Cell>) = match record.table_row() {
                    Some(cols) => cols.into_iter().map(|(k, v)| (k.to_string(), Cell::guess(safe(&v)))).unzip(),
                    // The record's own fields: a JSON number is a number, whatever it looks like.
                    None => to_object(record)?
                        .into_iter()
                        .map(|(k, v)| {
                            let kind = match &v {
                                Value::Number(_) => Kind::Number,
                                Value::Null => Kind::Blank,
                                _ => Kind::Text,
                            };
                            (k, Cell { text: safe(&cell(&v)), kind })
                        })
                        .unzip(),
                };
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                let mut text = String::new();
                self.table.row(&keys, R::TABLE_NUMBERS, cells, &mut text);
                if !text.is_empty() {
                    self.put(text.as_bytes());
                    // On a terminal each row shows as soon as it is made, as NDJSON does.
                    if self.terminal {
                        self.flush_now();
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes raw text (a tool's own human view, e.g. a drop-in file). Goes through as is.
    pub fn write_text(&mut self, text: &str) -> io::Result<()> {
        self.put(text.as_bytes());
        Ok(())
    }

    /// Writes raw bytes as they are (a value that must reach a program exactly, e.g. a host
    /// alias that is not UTF-8 for `ssh "$(...)"`).
    pub fn write_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.put(bytes);
        Ok(())
    }

    /// Shows the rows a table still holds and flushes. Call once at the end; the main body does.
    /// Returns the error that stopped the output, if any; a pipe nobody reads is not one.
    pub fn finish(&mut self) -> io::Result<()> {
        let mut text = String::new();
        self.table.finish(&mut text);
        self.put(text.as_bytes());
        self.flush_now();
        match &mut self.state {
            State::Failed(e) => Err(e.take().unwrap_or_else(|| io::Error::other("standard output failed before"))),
            State::Open | State::Closed => Ok(()),
        }
    }
}

fn to_object<R: Serialize>(record: &R) -> io::Result<Vec<(String, Value)>> {
    match serde_json::to_value(record).map_err(io::Error::other)? {
        Value::Object(m) => Ok(m.into_iter().collect()),
        other => Err(io::Error::other(format!("record is not an object: {other}"))),
    }
}

/// A JSON value as one table or CSV cell.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) if a.iter().all(|x| x.is_string() || x.is_number()) => {
            a.iter().map(cell).collect::<Vec<_>>().join(",")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Snap {
        r#type: &'static str,
        snapshot: String,
        used_bytes: u64,
        tags: Vec<String>,
        guid: Option<String>,
    }
    impl Record for Snap {
        const KEY: &'static str = "snapshot";
    }

    use crate::buf::SharedBuf as Buf;

    fn render(format: Format) -> String {
        let buf = Buf::default();
        let mut sink = Sink::new(Box::new(buf.clone()), format, false);
        for (name, used) in [("tank/a@1", 0), ("tank/my data@\x1b[2J", 123456)] {
            let r = Snap {
                r#type: "snapshot",
                snapshot: name.into(),
                used_bytes: used,
                tags: vec!["x".into(), "y".into()],
                guid: None,
            };
            sink.write(&r).unwrap();
        }
        sink.finish().unwrap();
        buf.text()
    }

    #[test]
    fn one_record_feeds_every_format() {
        assert_eq!(
            render(Format::Json),
            "{\"type\":\"snapshot\",\"snapshot\":\"tank/a@1\",\"used_bytes\":0,\"tags\":[\"x\",\"y\"],\"guid\":null}\n\
             {\"type\":\"snapshot\",\"snapshot\":\"tank/my data@\\u001b[2J\",\"used_bytes\":123456,\"tags\":[\"x\",\"y\"],\"guid\":null}\n"
        );
        assert_eq!(
            render(Format::Csv),
            "type,snapshot,used_bytes,tags,guid\nsnapshot,tank/a@1,0,\"x,y\",\nsnapshot,tank/my data@\x1b[2J,123456,\"x,y\",\n"
        );
        assert_eq!(
            render(Format::Table),
            "TYPE      SNAPSHOT              USED_BYTES  TAGS  GUID\n\
             snapshot  tank/a@1                       0  x,y\n\
             snapshot  tank/my data@\\x1b[2J      123456  x,y\n"
        );
        assert_eq!(render(Format::Plain), "tank/a@1\ntank/my data@\\x1b[2J\n");
    }

    /// A writer that accepts `ok` writes, then fails every one with `kind`.
    struct Failing {
        ok: usize,
        kind: io::ErrorKind,
        got: Buf,
    }
    impl Write for Failing {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            if self.ok == 0 {
                return Err(io::Error::from(self.kind));
            }
            self.ok -= 1;
            self.got.write(b)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn snap(name: &str) -> Snap {
        Snap { r#type: "snapshot", snapshot: name.into(), used_bytes: 1, tags: vec![], guid: None }
    }

    #[test]
    fn a_closed_pipe_stops_the_output_quietly() {
        let got = Buf::default();
        let w = Failing { ok: 1, kind: io::ErrorKind::BrokenPipe, got: got.clone() };
        let mut sink = Sink::new(Box::new(w), Format::Json, false);
        for i in 0..3 {
            sink.write(&snap(&format!("t@{i}"))).unwrap();
            sink.write_text("text\n").unwrap();
        }
        assert!(sink.is_closed());
        sink.finish().unwrap();
        assert_eq!(sink.count(), 3);
        let got = got.text();
        assert_eq!(got.lines().collect::<Vec<_>>().len(), 1, "nothing is written after the pipe closed: {got}");
        assert!(got.starts_with("{\"type\":\"snapshot\",\"snapshot\":\"t@0\""), "{got}");
    }

    #[test]
    fn another_write_failure_stops_the_output_and_is_kept_for_the_end() {
        let got = Buf::default();
        let w = Failing { ok: 1, kind: io::ErrorKind::StorageFull, got: got.clone() };
        let mut sink = Sink::new(Box::new(w), Format::Plain, false);
        for i in 0..3 {
            sink.write(&snap(&format!("t@{i}"))).unwrap();
        }
        assert!(!sink.is_closed());
        assert_eq!(sink.finish().unwrap_err().kind(), io::ErrorKind::StorageFull);
        assert_eq!(got.text(), "t@0\n");
    }

    #[derive(Serialize)]
    struct Done {
        r#type: &'static str,
        snapshot: String,
        result: &'static str,
    }
    impl Record for Done {
        const KEY: &'static str = "snapshot";
    }

    #[test]
    fn csv_carries_several_record_types_each_with_its_header() {
        let buf = Buf::default();
        let mut sink = Sink::new(Box::new(buf.clone()), Format::Csv, false);
        sink.write(&snap("t@2")).unwrap();
        sink.write(&snap("t@3")).unwrap();
        sink.write(&Done { r#type: "rollback", snapshot: "t@1".into(), result: "rolled-back" }).unwrap();
        sink.finish().unwrap();
        assert_eq!(
            buf.text(),
            "type,snapshot,used_bytes,tags,guid\nsnapshot,t@2,1,,\nsnapshot,t@3,1,,\n\n\
             type,snapshot,result\nrollback,t@1,rolled-back\n"
        );
    }

    #[derive(Serialize)]
    struct Path {
        r#type: &'static str,
        path: String,
        path_bytes: Option<String>,
    }
    impl Record for Path {
        const KEY: &'static str = "path";
    }

    fn paths(sink: Sink, buf: &Buf) -> Vec<u8> {
        let mut sink = sink;
        sink.write(&Path { r#type: "p", path: "/a/x\x1b]0;t\x07\n/etc/shadow".into(), path_bytes: None }).unwrap();
        sink.write(&Path { r#type: "p", path: "/a/\u{fffd}".into(), path_bytes: Some("L2Ev/w==".into()) }).unwrap();
        sink.finish().unwrap();
        buf.bytes()
    }

    #[test]
    fn plain_is_one_escaped_line_per_value_and_print0_the_exact_bytes() {
        let buf = Buf::default();
        let out = paths(Sink::new(Box::new(buf.clone()), Format::Plain, false), &buf);
        assert_eq!(out, "/a/x\\x1b]0;t\\x07\\x0a/etc/shadow\n/a/\u{fffd}\n".as_bytes());
        let buf = Buf::default();
        let out = paths(Sink::new(Box::new(buf.clone()), Format::Plain, false).print0(true), &buf);
        assert_eq!(out, b"/a/x\x1b]0;t\x07\n/etc/shadow\0/a/\xff\0");
        // On a terminal even --print0 is escaped.
        let buf = Buf::default();
        let out = paths(Sink::new(Box::new(buf.clone()), Format::Plain, false).print0(true).on_terminal(true), &buf);
        assert_eq!(out, "/a/x\\x1b]0;t\\x07\\x0a/etc/shadow\0/a/\u{fffd}\0".as_bytes());
    }

    #[test]
    fn csv_is_escaped_on_a_terminal_only() {
        let buf = Buf::default();
        let out = paths(Sink::new(Box::new(buf.clone()), Format::Csv, false), &buf);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "type,path,path_bytes\np,\"/a/x\x1b]0;t\x07\n/etc/shadow\",\np,/a/\u{fffd},L2Ev/w==\n"
        );
        let buf = Buf::default();
        let out = paths(Sink::new(Box::new(buf.clone()), Format::Csv, false).on_terminal(true), &buf);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "type,path,path_bytes\np,/a/x\\x1b]0;t\\x07\\x0a/etc/shadow,\np,/a/\u{fffd},L2Ev/w==\n"
        );
    }

    /// A writer that holds what is written until it is flushed, as a `BufWriter` does.
    #[derive(Clone, Default)]
    struct Held {
        pending: Buf,
        shown: Buf,
    }
    impl Write for Held {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.pending.write(b)
        }
        fn flush(&mut self) -> io::Result<()> {
            let pending = self.pending.take();
            self.shown.write_all(&pending)
        }
    }

    #[test]
    fn ndjson_is_line_buffered_on_a_terminal_only() {
        let shown = |held: &Held| held.shown.bytes().len();
        let held = Held::default();
        let mut sink = Sink::new(Box::new(held.clone()), Format::Json, false).on_terminal(true);
        sink.write(&snap("t@1")).unwrap();
        let first = shown(&held);
        assert!(first > 0, "a record on a terminal shows before the next one is made");
        sink.write(&snap("t@2")).unwrap();
        assert!(shown(&held) > first);
        let held = Held::default();
        let mut sink = Sink::new(Box::new(held.clone()), Format::Json, false);
        sink.write(&snap("t@1")).unwrap();
        assert_eq!(shown(&held), 0, "a pipe stays block-buffered");
        sink.finish().unwrap();
        assert!(shown(&held) > 0);
    }

    #[test]
    fn raw_bytes_go_through_the_sink_exactly() {
        let buf = Buf::default();
        let mut sink = Sink::new(Box::new(buf.clone()), Format::Plain, false);
        sink.write_bytes(b"web\xff1\n").unwrap();
        sink.finish().unwrap();
        assert_eq!(buf.bytes(), b"web\xff1\n");
    }

    #[test]
    fn only_the_named_commands_draw_a_timeline() {
        assert_eq!(check_timeline("prune plan"), Ok(()));
        assert_eq!(check_timeline("snapshot list"), Ok(()));
        let e = check_timeline("diff files").unwrap_err();
        assert!(e.contains("strata diff files has no timeline"), "{e}");
        assert!(e.contains("strata prune plan and strata snapshot list"), "{e}");
    }

    #[test]
    fn auto_is_a_table_only_on_a_terminal() {
        assert_eq!(FormatArg::Auto.resolve(true), Format::Table);
        assert_eq!(FormatArg::Auto.resolve(false), Format::Json);
    }
}
