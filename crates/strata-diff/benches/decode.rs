//! Decoding 1,000,000 `zfs diff -H -F -t` lines as strata-diff does (buffered read, decode, change
//! record, NDJSON), with lines/s and the peak resident memory (VmHWM). The lines are generated
//! on the fly (a pool of 10,000 realistic lines, some escaped, cycled), so the input itself takes
//! no memory and VmHWM shows the decoder's. The reference is the same read with no decoding.
//!
//! `cargo bench -p strata-diff --bench decode [-- LINES]`

use std::io::{BufRead, BufReader, Read, Write};
use std::time::Instant;

use strata_zfs::diff::{Change, DiffLine, Kind, format_line, parse_line};

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const NAMES: &[&str] = &[
    "docker-compose.yml",
    "index.html",
    "app.conf",
    "my notes.txt",
    "tab\there.log",
    "ünïcødé-файл.txt",
    "🐳 whale.png",
    "back\\slash",
    "data.sqlite-wal",
    "000123.ldb",
];
const DIRS: &[&str] = &["", "config/", "data/db/", "www/static/img/", "volumes/redis/", "dir with space/"];

fn pool(n: usize) -> Vec<Vec<u8>> {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    (0..n)
        .map(|i| {
            let mut path = format!("/srv/docker/victim.org/{}", DIRS[r.below(DIRS.len() as u64) as usize]).into_bytes();
            path.extend_from_slice(NAMES[r.below(NAMES.len() as u64) as usize].as_bytes());
            path.extend_from_slice(format!(".{i}").as_bytes());
            if r.below(50) == 0 {
                path.push(0xff);
            }
            let change = match r.below(10) {
                0..=4 => Change::Modified,
                5..=7 => Change::Added,
                8 => Change::Removed,
                _ => Change::Renamed,
            };
            let kind = if r.below(8) == 0 { Kind::Directory } else { Kind::File };
            let new_path = (change == Change::Renamed).then(|| [path.as_slice(), b".new"].concat());
            let link_delta = (change == Change::Modified && r.below(20) == 0).then_some(1);
            let l = DiffLine {
                seconds: 1_691_452_806 + r.below(10_000_000) as i64,
                nanos: r.below(1_000_000_000) as u32,
                change,
                kind,
                path,
                new_path,
                link_delta,
            };
            let mut line = format_line(&l);
            line.push(b'\n');
            line
        })
        .collect()
}

/// Serves `lines` lines from the pool, cycling.
struct Lines {
    pool: Vec<Vec<u8>>,
    left: usize,
    next: usize,
    pending: Vec<u8>,
    at: usize,
}

impl Read for Lines {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            if self.at == self.pending.len() {
                if self.left == 0 {
                    break;
                }
                self.left -= 1;
                self.pending.clear();
                self.pending.extend_from_slice(&self.pool[self.next % self.pool.len()]);
                self.next += 1;
                self.at = 0;
            }
            let k = (self.pending.len() - self.at).min(buf.len() - n);
            buf[n..n + k].copy_from_slice(&self.pending[self.at..self.at + k]);
            self.at += k;
            n += k;
        }
        Ok(n)
    }
}

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

fn main() {
    let lines: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let pool = pool(10_000);
    let input = || Lines { pool: pool.clone(), left: lines, next: 0, pending: Vec::new(), at: 0 };

    // Reference: the same buffered read, no decoding.
    let t = Instant::now();
    let mut r = BufReader::with_capacity(1 << 16, input());
    let mut buf = Vec::new();
    let mut bytes = 0usize;
    while {
        buf.clear();
        r.read_until(b'\n', &mut buf).unwrap_or(0) > 0
    } {
        bytes += buf.len();
    }
    let reference = t.elapsed().as_secs_f64();

    // strata: read, decode, record, NDJSON.
    let before = vm_hwm_kib();
    let t = Instant::now();
    let mut r = BufReader::with_capacity(1 << 16, input());
    let mut out = std::io::BufWriter::new(std::io::sink());
    let (mut n, mut escaped) = (0usize, 0usize);
    loop {
        buf.clear();
        if r.read_until(b'\n', &mut buf).unwrap_or(0) == 0 {
            break;
        }
        buf.pop();
        let l = parse_line(&buf).expect("generated lines decode");
        if std::str::from_utf8(&l.path).is_err() {
            escaped += 1;
        }
        let rec = strata_diff::change::record(&l, "tank/srv/docker/victim.org@s1", "tank/srv/docker/victim.org")
            .expect("record");
        serde_json::to_writer(&mut out, &rec).expect("json");
        out.write_all(b"\n").expect("write");
        n += 1;
    }
    let strata = t.elapsed().as_secs_f64();
    let after = vm_hwm_kib();
    assert_eq!(n, lines);
    println!(
        "bench diff-decode: {n} lines ({} MB, {escaped} not UTF-8), {:.0} lines/s, peak RSS {} KiB (before decoding {} KiB)",
        bytes / 1_000_000,
        n as f64 / strata,
        after,
        before
    );
    println!(
        "bench diff-decode: strata {strata:.3} s, reference {reference:.3} s (the same read without decoding), ratio {:.2}",
        strata / reference
    );
}
