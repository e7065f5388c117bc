//! `cargo bench -p strata-sshtui`: on a generated configuration of 10,000 hosts spread over
//! Included files, times `list` (load, resolve every alias, write NDJSON) in process against
//! `ssh -G` for 20 hosts in the same run, then the picker's start to first frame and one
//! keystroke's filtering, drawn on ratatui's TestBackend; and one Host line of 200,000 aliases,
//! every one of them resolved, against `ssh -G` for one of them (ssh reads the whole line once).
//! `cargo bench -p strata-sshtui -- host-line` runs the benchmarks whose name holds `host-line`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use strata_core::output::{Format, Sink};
use strata_core::runner::SystemRunner;
use strata_sshtui::config::{Config, Env, Source};
use strata_sshtui::picker::{Item, Picker};

const HOSTS: usize = 10_000;
const FILES: usize = 20;
const SSH_HOSTS: usize = 20;
/// Aliases on the one long Host line.
const LINE_ALIASES: usize = 200_000;

fn generate(dot_ssh: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dot_ssh.join("hosts.d"))?;
    // Each file: a bastion and the hosts behind it; 10,000 aliases in all.
    let per = HOSTS / FILES - 1;
    for f in 0..FILES {
        let mut s = String::new();
        let _ = writeln!(s, "# tags: dc{f}");
        let _ = writeln!(s, "Host dc{f}-bastion\n  HostName bastion.dc{f}.example.net\n  User jump\n");
        for h in 0..per {
            let n = f * per + h;
            let _ = writeln!(s, "# tags: dc{f} role{}", n % 7);
            let _ = writeln!(s, "Host dc{f}-host{n:05}");
            let _ = writeln!(s, "  HostName 10.{}.{}.{}", f, h / 250, h % 250 + 1);
            if n.is_multiple_of(3) {
                let _ = writeln!(s, "  User deploy");
            }
            if n.is_multiple_of(5) {
                let _ = writeln!(s, "  ProxyJump dc{f}-bastion");
            }
            if n.is_multiple_of(11) {
                let _ = writeln!(s, "  Port 2222\n  IdentityFile ~/.ssh/special_{n}");
            }
            s.push('\n');
        }
        let _ = writeln!(s, "Host dc{f}-* !dc{f}-bastion\n  User dc{f}-ops\n");
        std::fs::write(dot_ssh.join(format!("hosts.d/{f:02}.conf")), s)?;
    }
    std::fs::write(
        dot_ssh.join("config"),
        "Include hosts.d/*.conf\n\nHost dc1?-*\n  ServerAliveInterval 30\n\nHost *\n  User fleet\n  IdentityFile ~/.ssh/id_ed25519\n",
    )
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// One Host line naming `n` aliases, then the blocks that apply to all of them.
fn long_host_line(path: &Path, n: usize) -> std::io::Result<()> {
    let mut s = String::from("Host");
    for i in 0..n {
        let _ = write!(s, " h{i:06}");
    }
    s.push_str(" !h000007 web*\n  User long\n\nHost *\n  Port 2222\n");
    std::fs::write(path, s)
}

/// Loads a file and resolves every alias (what `list` does), best of 3.
fn list_time(path: &Path, env: &Env, expect: usize) -> anyhow::Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let cfg = Config::load(&Source::File(path.to_path_buf()), env)?;
        let recs = strata_sshtui::host_records(&cfg, env, &SystemRunner, None, &[])?;
        best = best.min(t.elapsed());
        anyhow::ensure!(recs.len() == expect, "expected {expect} hosts, got {}", recs.len());
    }
    Ok(best)
}

/// Every alias of one Host line of 200,000 resolved (`list`), against `ssh -G` for the last one,
/// and against the same line a tenth as long (a ratio near 10 is linear growth, 100 quadratic).
fn bench_host_line() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    let mut env = Env::current();
    env.home = home.path().to_path_buf();
    let tenth = home.path().join("tenth.config");
    long_host_line(&tenth, LINE_ALIASES / 10)?;
    let small = list_time(&tenth, &env, LINE_ALIASES / 10)?;
    let path = home.path().join("long.config");
    long_host_line(&path, LINE_ALIASES)?;
    let best = list_time(&path, &env, LINE_ALIASES)?;
    println!(
        "bench sshtui-host-line-growth: strata {:.3} s ({LINE_ALIASES} aliases on one Host line), \
         reference {:.3} s (strata, {} aliases), ratio {:.2}",
        secs(best),
        secs(small),
        LINE_ALIASES / 10,
        secs(best) / secs(small)
    );
    let alias = format!("h{:06}", LINE_ALIASES - 1);
    let t = Instant::now();
    let out = Command::new("ssh").args(["-G", "-F"]).arg(&path).arg(&alias).env("HOME", home.path()).output()?;
    let reference = t.elapsed();
    anyhow::ensure!(out.status.success(), "ssh -G {alias} failed: {}", String::from_utf8_lossy(&out.stderr));
    println!(
        "bench sshtui-host-line: strata {:.3} s ({LINE_ALIASES} aliases on one Host line, all resolved), \
         reference {:.3} s (ssh -G for one of them), ratio {:.2}",
        secs(best),
        secs(reference),
        secs(best) / secs(reference)
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    // cargo passes `--bench`; any other argument selects benchmarks by name.
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    if wanted("sshtui-list") || wanted("sshtui-picker") {
        bench_fleet()?;
    }
    if wanted("sshtui-host-line") {
        bench_host_line()?;
    }
    Ok(())
}

/// The 10,000-host fleet: `list` and the picker.
fn bench_fleet() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    let dot_ssh = home.path().join(".ssh");
    generate(&dot_ssh)?;
    let cfg_path = dot_ssh.join("config");
    let mut env = Env::current();
    env.home = home.path().to_path_buf();

    // strata: list, everything in process (best of 3).
    let mut best = Duration::MAX;
    let mut count = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let cfg = Config::load(&Source::File(cfg_path.clone()), &env)?;
        let recs = strata_sshtui::host_records(&cfg, &env, &SystemRunner, None, &[])?;
        let mut sink = Sink::new(Box::new(std::io::sink()), Format::Json, false);
        for (r, _) in &recs {
            sink.write(r)?;
        }
        sink.finish()?;
        best = best.min(t.elapsed());
        count = recs.len();
    }
    // Where list's time goes: reading and splitting the files alone.
    let mut load = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let cfg = Config::load(&Source::File(cfg_path.clone()), &env)?;
        load = load.min(t.elapsed());
        anyhow::ensure!(cfg.aliases.len() == HOSTS, "expected {HOSTS} aliases, got {}", cfg.aliases.len());
    }
    eprintln!("sshtui-list: loading the files {:.4} s of {:.4} s", secs(load), secs(best));

    // reference: ssh -G for 20 hosts, one process each.
    let t = Instant::now();
    for i in 0..SSH_HOSTS {
        let f = i % FILES;
        let alias = format!("dc{f}-host{:05}", f * (HOSTS / FILES - 1) + i);
        let out =
            Command::new("ssh").args(["-G", "-F"]).arg(&cfg_path).arg(&alias).env("HOME", home.path()).output()?;
        anyhow::ensure!(out.status.success(), "ssh -G {alias} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let reference = t.elapsed();
    println!(
        "bench sshtui-list: strata {:.3} s ({count} hosts), reference {:.3} s (ssh -G for {SSH_HOSTS} hosts), ratio {:.2}",
        secs(best),
        secs(reference),
        secs(best) / secs(reference)
    );

    // The picker: start (load, resolve, build, first frame) and one keystroke.
    let (mut first, mut key) = (Duration::MAX, Duration::MAX);
    for _ in 0..3 {
        let t = Instant::now();
        let cfg = Config::load(&Source::File(cfg_path.clone()), &env)?;
        let recs = strata_sshtui::host_records(&cfg, &env, &SystemRunner, None, &[])?;
        let items: Vec<Item> = recs.into_iter().map(|(r, a)| Item::new(r, a)).collect();
        let mut picker = Picker::new(items, Some(cfg), &[], String::new());
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48))?;
        term.draw(|f| picker.render(f))?;
        first = first.min(t.elapsed());

        let t = Instant::now();
        picker.key(KeyEvent::new(KeyCode::Char('7'), KeyModifiers::NONE));
        term.draw(|f| picker.render(f))?;
        key = key.min(t.elapsed());
        anyhow::ensure!(picker.match_count() > 0, "the keystroke matched nothing");
        anyhow::ensure!(picker.match_count() < HOSTS, "the keystroke filtered nothing out");
    }
    println!(
        "bench sshtui-picker-first-frame: strata {:.4} s ({HOSTS} hosts), reference 0.050 s (target), ratio {:.2}",
        secs(first),
        secs(first) / 0.050
    );
    println!(
        "bench sshtui-picker-keystroke: strata {:.4} s ({HOSTS} hosts), reference 0.005 s (target), ratio {:.2}",
        secs(key),
        secs(key) / 0.005
    );
    Ok(())
}
