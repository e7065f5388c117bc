//! The whole real corpus assessed in-process by strata-harden-check, side by side with one
//! `systemd-analyze security --offline=true --root=CORPUS UNIT...` call on the same units.
//! Prints `bench harden_check_corpus: strata S s, reference R s, ratio S/R`.

use std::path::Path;
use std::time::{Duration, Instant};

use strata_core::runner::{Cmd, Runner, SystemRunner};
use strata_harden_check::load::{Root, Scope};
use strata_harden_check::{Assessment, all_services, assess_unit};

const ROUNDS: u32 = 5;

fn best(mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut n = 0;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        n = f();
        best = best.min(t.elapsed());
    }
    (best, n)
}

fn main() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus");
    let units = match Root::open(&corpus, Scope::System) {
        Ok(root) => all_services(&root),
        Err(e) => {
            eprintln!("bench harden_check_corpus: cannot read {}: {e}", corpus.display());
            return;
        }
    };
    let (strata, assessed) = best(|| {
        // Scanning the unit directories is part of the work, as it is for systemd-analyze.
        let Ok(root) = Root::open(&corpus, Scope::System) else { return 0 };
        units.iter().filter(|u| matches!(assess_unit(&root, u), Assessment::Unit(..))).count()
    });
    let cmd = Cmd::read("systemd-analyze")
        .args(["security", "--offline=true"])
        .arg(format!("--root={}", corpus.display()))
        .args(&units);
    let (reference, _) = best(|| match SystemRunner.output(&cmd) {
        Ok(out) => out.stdout.len(),
        Err(e) => {
            eprintln!("bench harden_check_corpus: systemd-analyze: {e}");
            0
        }
    });
    println!(
        "bench harden_check_corpus: strata {:.4} s, reference {:.4} s, ratio {:.3} ({} units, {} assessed, best of {ROUNDS})",
        strata.as_secs_f64(),
        reference.as_secs_f64(),
        strata.as_secs_f64() / reference.as_secs_f64(),
        units.len(),
        assessed
    );
}
