//! borg prune is the oracle: generated timelines go through borg's own `prune_within` and
//! `prune_split` (Debian's borgbackup, run with /usr/bin/python3) and through strata's rules; the
//! kept sets and the rule that keeps each snapshot must be the same.

use std::io::Write;
use std::process::{Command, Stdio};

use strata_prune::rules::{self, Rule, Rules};

/// A small deterministic generator (splitmix64): the same cases on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn ts(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().expect("timestamp").as_second()
}

struct Case {
    kind: &'static str,
    /// Newest first.
    times: Vec<i64>,
    rules: Rules,
    now: i64,
}

fn timeline(kind: &'static str, rng: &mut Rng) -> Vec<i64> {
    let mut v = Vec::new();
    match kind {
        "regular" => {
            let step = [60, 900, 3600, 86400, 7 * 86400][rng.below(5) as usize];
            let start = ts("2019-06-01T00:00:00Z") + rng.below(3 * 365 * 86400) as i64;
            let n = 1 + rng.below(400) as i64;
            v.extend((0..n).map(|i| start + i * step));
        }
        "irregular" => {
            let mut t = ts("2018-01-01T00:00:00Z") + rng.below(5 * 365 * 86400) as i64;
            for _ in 0..1 + rng.below(300) {
                let gap = [120, 7200, 3 * 86400, 40 * 86400][rng.below(4) as usize];
                t += 1 + rng.below(gap) as i64;
                v.push(t);
            }
        }
        "bursts" => {
            let mut t = ts("2022-03-01T00:00:00Z") + rng.below(365 * 86400) as i64;
            for _ in 0..1 + rng.below(40) {
                t += rng.below(4 * 86400) as i64;
                for _ in 0..1 + rng.below(6) {
                    // Several in the same second happen (a recursive snapshot, a busy timer).
                    t += rng.below(3) as i64;
                    v.push(t);
                }
            }
        }
        "boundaries" => {
            let anchors = [
                "2021-12-31T23:59:59Z",
                "2022-01-01T00:00:00Z",
                "2022-02-28T23:59:59Z",
                "2022-03-01T00:00:00Z",
                "2022-06-30T23:00:00Z",
                "2022-07-01T00:59:59Z",
                "2022-12-31T23:59:59Z",
                "2023-01-01T00:00:00Z",
                "2023-01-01T23:59:59Z",
                "2023-01-02T00:00:00Z",
            ];
            for a in anchors {
                for d in [-3601, -3600, -1, 0, 1, 3599, 3600] {
                    if rng.below(3) > 0 {
                        v.push(ts(a) + d + (rng.below(7) as i64 - 3) * 86400);
                    }
                }
            }
        }
        "leap-day" => {
            let base = ts("2024-02-27T00:00:00Z");
            for _ in 0..1 + rng.below(80) {
                v.push(base + rng.below(5 * 86400) as i64);
            }
            v.push(ts("2024-02-29T00:00:00Z"));
            v.push(ts("2024-02-29T23:59:59Z"));
        }
        "iso-week-53" => {
            // 2020-W53 (2020-12-28..2021-01-03), 2015-W53, 2026-W53.
            let which = rng.below(3) as usize;
            let base = [ts("2020-12-21T00:00:00Z"), ts("2015-12-21T00:00:00Z"), ts("2026-12-21T00:00:00Z")][which];
            for _ in 0..1 + rng.below(60) {
                v.push(base + rng.below(25 * 86400) as i64);
            }
        }
        _ => unreachable!("kind"),
    }
    v.sort_unstable();
    v.reverse();
    v
}

fn random_rules(rng: &mut Rng) -> Rules {
    let mut pick = |p: u64, max: u64| {
        if rng.below(100) < p { rng.below(max + 1) } else { 0 }
    };
    let mut r = Rules {
        within_secs: None,
        last: pick(30, 6),
        hourly: pick(40, 30),
        daily: pick(60, 14),
        weekly: pick(45, 8),
        monthly: pick(40, 12),
        yearly: pick(25, 4),
    };
    if rng.below(100) < 30 {
        r.within_secs = Some((1 + rng.below(24 * 20) as i64) * 3600);
    }
    if !r.any() {
        r.daily = 1 + rng.below(10);
    }
    r
}

fn cases() -> Vec<Case> {
    let mut rng = Rng(20240229);
    let mut v = Vec::new();
    for kind in ["regular", "irregular", "bursts", "boundaries", "leap-day", "iso-week-53"] {
        for _ in 0..250 {
            let times = timeline(kind, &mut rng);
            let newest = times.first().copied().unwrap_or(0);
            let rules = random_rules(&mut rng);
            let mut now = newest + rng.below(10 * 86400) as i64;
            if let Some(w) = rules.within_secs
                && rng.below(2) == 0
            {
                // A snapshot exactly at the --keep-within boundary.
                now = times[rng.below(times.len() as u64) as usize] + w;
            }
            v.push(Case { kind, times, rules, now });
        }
    }
    v
}

fn borg_name(r: Rule) -> &'static str {
    match r {
        Rule::Last => "secondly",
        other => other.name(),
    }
}

#[test]
fn strata_keeps_what_borg_keeps() {
    let python = "/usr/bin/python3";
    let check = Command::new(python).args(["-c", "import borg.helpers.misc"]).output();
    assert!(
        check.as_ref().is_ok_and(|o| o.status.success()),
        "borg is the reference for the keep rules and must be installed (apt-get install borgbackup): {check:?}"
    );
    let cases = cases();
    let input: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| {
            let mut rules = serde_json::Map::new();
            for r in Rule::PERIODS {
                rules.insert(borg_name(r).into(), c.rules.count(r).into());
            }
            serde_json::json!({
                "times": c.times,
                "now": c.now,
                "within_hours": c.rules.within_secs.map(|s| s / 3600),
                "rules": rules,
            })
        })
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/borg_prune.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python3");
    let body = serde_json::to_vec(&input).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&body));
    let out = child.wait_with_output().expect("borg run");
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "borg_prune.py failed: {}", String::from_utf8_lossy(&out.stderr));
    let borg: Vec<std::collections::BTreeMap<String, String>> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(borg.len(), cases.len());

    let (mut snapshots, mut kept_total) = (0usize, 0usize);
    let mut per_kind: std::collections::BTreeMap<&str, usize> = Default::default();
    for (c, b) in cases.iter().zip(&borg) {
        let ours = rules::keep(&c.times, &c.rules, c.now);
        for (i, k) in ours.iter().enumerate() {
            let want = b.get(&i.to_string()).map(String::as_str);
            let got =
                k.map(
                    |k| {
                        if k.oldest { format!("{}[oldest]", borg_name(k.rule)) } else { borg_name(k.rule).to_string() }
                    },
                );
            assert_eq!(
                got.as_deref(),
                want,
                "case {} ({}), snapshot {i} at {}: rules {:?}, now {}",
                c.kind,
                c.times.len(),
                c.times[i],
                c.rules,
                c.now
            );
        }
        snapshots += c.times.len();
        kept_total += b.len();
        *per_kind.entry(c.kind).or_default() += 1;
    }
    eprintln!(
        "borg agreement: {} cases {per_kind:?}, {snapshots} snapshots, {kept_total} kept, all identical (rule and [oldest] too)",
        cases.len()
    );
    assert!(kept_total > 0 && kept_total < snapshots, "the cases must both keep and destroy");
}
