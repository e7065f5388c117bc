//! 1,000,000 records through the sink as a table and as NDJSON (the reference), with rows/s and
//! the peak resident memory (VmHWM) after each. A table holds only its first batch of rows, so its
//! peak stays that of NDJSON, whatever the row count; its time is printed as a ratio to NDJSON.
//! The table is run twice: with no width limit (a pipe) and fitted to 80 columns, where the long
//! paths fold.
//!
//! `cargo bench -p strata-core --bench table [-- ROWS]`

use std::time::Instant;

use serde::Serialize;
use strata_core::output::{Format, Record, Sink};

#[derive(Serialize)]
struct Change {
    r#type: &'static str,
    change: &'static str,
    path: String,
    size_bytes: u64,
}

impl Record for Change {
    const KEY: &'static str = "path";
}

/// The peak resident memory so far, in KiB (0 where /proc is not there).
fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Writes `rows` records in `format` to a sink that drops them; the seconds it took.
fn run(rows: usize, format: Format, width: Option<usize>) -> f64 {
    let out = Box::new(std::io::BufWriter::new(std::io::sink()));
    let mut sink = Sink::new(out, format, false).table_width(width);
    let t = Instant::now();
    for i in 0..rows {
        let rec = Change {
            r#type: "change",
            change: ["modified", "added", "removed"][i % 3],
            path: format!("/srv/docker/victim.org/volumes/数据/🐳 whale-{}.png{}", i, "/deeper".repeat(i % 13)),
            size_bytes: (i as u64).wrapping_mul(2_654_435_761) % 10_000_000_000,
        };
        sink.write(&rec).expect("record");
    }
    sink.finish().expect("finish");
    t.elapsed().as_secs_f64()
}

fn main() {
    let rows: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let json = run(rows, Format::Json, None);
    let json_peak = vm_hwm_kib();
    let table = run(rows, Format::Table, None);
    let table_peak = vm_hwm_kib();
    let fitted = run(rows, Format::Table, Some(80));
    let fitted_peak = vm_hwm_kib();
    println!("bench table: {rows} rows");
    println!("  ndjson (reference)  {:>10.0} rows/s  peak RSS {json_peak} KiB", rows as f64 / json);
    println!(
        "  table, no limit     {:>10.0} rows/s  peak RSS {table_peak} KiB  time {:.2}x NDJSON",
        rows as f64 / table,
        table / json
    );
    println!(
        "  table, 80 columns   {:>10.0} rows/s  peak RSS {fitted_peak} KiB  time {:.2}x NDJSON",
        rows as f64 / fitted,
        fitted / json
    );
}
