//! `cargo bench -p strata-prune`: plans 1,000,000 snapshot records (1,000 datasets of 1,000
//! snapshots) with strata's whole path (read NDJSON, plan, write prune records) and with borg's own
//! rule functions (`prune_within` + `prune_split`, via /usr/bin/python3) on the same timelines, in
//! the same run, and prints the ratio and strata's peak memory.

use std::io::{BufReader, BufWriter, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use strata_prune::plan::{self, Owner};
use strata_prune::rules::{Rule, Rules};

const DATASETS: usize = 1000;
const PER_DATASET: usize = 1000;
const BORG: &str = r#"
import json, os, sys, time
os.environ["TZ"] = "UTC"; time.tzset()
from datetime import datetime, timezone
import borg.helpers.misc as misc
from borg.helpers.misc import PRUNING_PATTERNS, prune_split, prune_within
req = json.load(sys.stdin)
now = datetime.fromtimestamp(req["now"], timezone.utc)
class FixedNow(datetime):
    @classmethod
    def now(cls, tz=None): return now
misc.datetime = FixedNow
class A:
    __slots__ = ("id", "ts")
    def __init__(s, i, ts): s.id = i; s.ts = ts
groups = [[A(i, datetime.fromtimestamp(t, timezone.utc)) for i, t in enumerate(g)] for g in req["groups"]]
t0 = time.perf_counter()
kept = 0
for archives in groups:
    kb = {}
    prune_within(archives, req["within_hours"], kb)
    for rule in PRUNING_PATTERNS:
        n = req["rules"].get(rule, 0)
        if n:
            prune_split(archives, rule, n, kb)
    kept += len(kb)
print(time.perf_counter() - t0, kept)
"#;

fn vm(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb * 1024)
}

fn main() -> anyhow::Result<()> {
    let rules =
        Rules { within_secs: Some(2 * 86400), last: 0, hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 3 };
    let start = 1_700_000_000i64;
    let mut seed = 42u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // The timelines: one snapshot roughly every 1 to 3 hours, per dataset.
    let mut groups: Vec<Vec<i64>> = Vec::with_capacity(DATASETS);
    for _ in 0..DATASETS {
        let mut t = start;
        let mut g = Vec::with_capacity(PER_DATASET);
        for _ in 0..PER_DATASET {
            t += 3600 + (rnd() % 7200) as i64;
            g.push(t);
        }
        groups.push(g);
    }
    let now = groups.iter().flat_map(|g| g.last()).max().copied().unwrap_or(start) + 600;

    let dir = tempfile::tempdir()?;
    let input = dir.path().join("snapshots.ndjson");
    {
        let mut w = BufWriter::new(std::fs::File::create(&input)?);
        for (d, g) in groups.iter().enumerate() {
            for (i, &t) in g.iter().enumerate() {
                let created = jiff::Timestamp::from_second(t)?;
                writeln!(
                    w,
                    r#"{{"type":"snapshot","snapshot":"tank/srv/docker/site{d:04}.example.org@{}","dataset":"tank/srv/docker/site{d:04}.example.org","name":"{}","created":"{created}","created_unix":{t},"guid":"{}","createtxg":{},"used_bytes":{},"referenced_bytes":24576,"userrefs":0,"managed":true,"label":null}}"#,
                    created.strftime("%Y-%m-%d-%H-%M-%S"),
                    created.strftime("%Y-%m-%d-%H-%M-%S"),
                    rnd(),
                    100 + i,
                    rnd() % 1_000_000
                )?;
            }
        }
    }
    let bytes = std::fs::metadata(&input)?.len();
    let rss_before = vm("VmRSS:").unwrap_or(0);

    // strata: read the NDJSON, plan, write the prune records (to a sink).
    let t0 = Instant::now();
    let items = plan::read_items(BufReader::with_capacity(1 << 20, std::fs::File::open(&input)?), "bench")?;
    let t_read = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let (order, mut decisions) = plan::plan(&items, &rules, now, &Owner::Managed, &Default::default());
    let t_plan = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let mut out = BufWriter::with_capacity(1 << 20, std::io::sink());
    let mut destroyed = 0usize;
    for i in order {
        let d =
            std::mem::replace(&mut decisions[i], plan::Decision { action: plan::Action::Keep, reasons: Vec::new() });
        destroyed += usize::from(d.action == plan::Action::Destroy);
        serde_json::to_writer(&mut out, &plan::record(&items[i], d, &(plan::OwnerKind::Managed, None))?)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    let t_write = t2.elapsed().as_secs_f64();
    let strata_total = t0.elapsed().as_secs_f64();
    let hwm = vm("VmHWM:").unwrap_or(0);
    drop(items);

    // borg's own functions on the same timelines (the rules alone, timed inside Python).
    let mut borg_rules = serde_json::Map::new();
    for r in Rule::PERIODS {
        let name = if r == Rule::Last { "secondly" } else { r.name() };
        borg_rules.insert(name.into(), rules.count(r).into());
    }
    let req = serde_json::json!({"now": now, "within_hours": 48, "rules": borg_rules, "groups": groups});
    let mut child =
        Command::new("/usr/bin/python3").args(["-c", BORG]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    let body = serde_json::to_vec(&req)?;
    let mut stdin = child.stdin.take().ok_or_else(|| anyhow::anyhow!("no stdin"))?;
    let writer = std::thread::spawn(move || stdin.write_all(&body));
    let out = child.wait_with_output()?;
    writer.join().map_err(|_| anyhow::anyhow!("writer panicked"))??;
    anyhow::ensure!(out.status.success(), "borg reference failed (is borgbackup installed?)");
    let line = String::from_utf8_lossy(&out.stdout);
    let mut f = line.split_whitespace();
    let borg_secs: f64 =
        f.next().and_then(|s| s.parse().ok()).ok_or_else(|| anyhow::anyhow!("borg printed {line:?}"))?;
    let borg_kept: usize = f.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let n = DATASETS * PER_DATASET;
    anyhow::ensure!(n - destroyed == borg_kept, "strata keeps {} of {n}, borg {borg_kept}", n - destroyed);

    println!(
        "bench prune-plan-1m: {n} records ({} MB of NDJSON), strata {strata_total:.3} s (read {t_read:.3} s, rules {t_plan:.3} s, write {t_write:.3} s), peak RSS {} MB (+{} MB over the bench's own), kept {}",
        bytes >> 20,
        hwm >> 20,
        hwm.saturating_sub(rss_before) >> 20,
        n - destroyed
    );
    println!(
        "bench prune-plan-1m: strata {strata_total:.3} s, reference {borg_secs:.3} s, ratio {:.2}",
        strata_total / borg_secs
    );
    println!("bench prune-rules-1m: strata {t_plan:.3} s, reference {borg_secs:.3} s, ratio {:.3}", t_plan / borg_secs);
    Ok(())
}
