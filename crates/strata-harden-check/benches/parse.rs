//! The unit parser on a continued line of almost 1 MiB (`Environment=x \` on 500,000 lines,
//! systemd's longest), against the same value written on one line: a parser that is linear in
//! its input keeps the ratio a small constant (a rescan of the whole continued line at each
//! piece made it minutes).
//! Prints `bench harden_check_parse: continued S s, one line R s, ratio S/R`.

use std::time::{Duration, Instant};

use strata_harden_check::parse::{LONG_LINE_MAX, parse};

const ROUNDS: u32 = 5;
const SECTIONS: &[&str] = &["Unit", "Service", "Install"];

fn best(data: &[u8]) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let parsed = parse(data, SECTIONS);
        best = best.min(t.elapsed());
        assert!(matches!(parsed, Ok(p) if p.assignments.len() == 1), "the bench input must parse");
    }
    best
}

fn main() {
    let pieces = (LONG_LINE_MAX - 64) / 2;
    let mut continued = b"[Service]\nEnvironment=".to_vec();
    let mut one_line = continued.clone();
    for _ in 0..pieces {
        continued.extend_from_slice(b"x\\\n");
        one_line.extend_from_slice(b"x ");
    }
    continued.extend_from_slice(b"x\n");
    one_line.extend_from_slice(b"x\n");
    let (c, o) = (best(&continued), best(&one_line));
    println!(
        "bench harden_check_parse: continued {:.4} s, one line {:.4} s, ratio {:.2} ({} continued lines, {} bytes; best of {ROUNDS})",
        c.as_secs_f64(),
        o.as_secs_f64(),
        c.as_secs_f64() / o.as_secs_f64(),
        pieces + 1,
        continued.len()
    );
}
