//! strata-send's data path (a sender and a receiver as two children, the bytes moved by strata
//! with splice(2), counted, progress on) against the same two programs joined by a plain pipe. The
//! sender is `head -c BYTES /dev/zero` and the receiver `cat >/dev/null`, so what is measured is
//! the copy itself; alternated rounds, the median of each, the ratio printed.
//!
//! `cargo bench -p strata-send --bench pipe [-- BYTES]`

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use strata_core::runner::Cmd;
use strata_send::pipe::{Dest, Progress, Transfer, transfer};

fn main() {
    let bytes: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(2 << 30);
    let send = Cmd::read("head").args(["-c", &bytes.to_string(), "/dev/zero"]);
    let recv = Cmd::mutate("sh").args(["-c", "cat >/dev/null"]);
    let plain = format!("head -c {bytes} /dev/zero | cat >/dev/null");
    let (mut strata, mut reference) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let t0 = Instant::now();
        let ok = std::process::Command::new("sh").args(["-c", &plain]).status().is_ok_and(|s| s.success());
        assert!(ok, "the reference pipe failed");
        reference.push(t0.elapsed().as_secs_f64());
        let t0 = Instant::now();
        // Progress as --progress json does it, its lines going to a sink.
        let mut progress = Progress::Json { total: Some(bytes), last: None };
        let job = Transfer { send: &send, rate: None, log: None };
        let t = transfer(&job, Dest::Command(&recv), &mut progress, &AtomicBool::new(false))
            .unwrap_or_else(|e| panic!("transfer: {e}"));
        strata.push(t0.elapsed().as_secs_f64());
        assert_eq!(t.bytes, bytes);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (s, r) = (median(&mut strata), median(&mut reference));
    let mib = bytes as f64 / f64::from(1 << 20);
    println!(
        "pipe {mib:.0} MiB: strata {s:.3} s ({:.0} MiB/s), plain pipe {r:.3} s ({:.0} MiB/s), strata at {:.3}x the plain pipe's speed",
        mib / s,
        mib / r,
        r / s
    );
}
