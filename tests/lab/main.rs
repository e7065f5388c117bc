//! Real-ZFS scenarios. Run them with `cargo xtask lab test` (inside the lab VM with a real
//! OpenZFS kernel module) or, on a host that has ZFS, with
//! `STRATA_LAB=native cargo test --release --test lab` (a throw-away file-backed pool).

mod diff;
mod harness;
mod ops;
mod policy;
mod prune;
mod quota;
mod safety;
mod send;
mod snapshot;

use std::process::ExitCode;

fn scenarios() -> Vec<harness::Scenario> {
    let mut v = Vec::new();
    v.extend(harness_selftest());
    v.extend(snapshot::scenarios());
    v.extend(prune::scenarios());
    v.extend(diff::scenarios());
    v.extend(quota::scenarios());
    v.extend(safety::scenarios());
    v.extend(policy::scenarios());
    v.extend(send::scenarios());
    v.extend(ops::scenarios());
    v
}

/// The harness itself sees a real pool: a dataset it creates is listed by `zfs list`.
fn harness_selftest() -> Vec<harness::Scenario> {
    vec![harness::Scenario {
        name: "lab/pool-is-real",
        run: |lab| {
            let ds = lab.create("a b", &["compression=zstd"])?;
            harness::check_eq(lab.get("compression", &ds)?, "zstd".to_string(), "compression read back")?;
            let mp = lab.mountpoint(&ds)?;
            lab.write(&mp.join("f.txt"), "hello")?;
            lab.zfs(&["snapshot", &format!("{ds}@s1")])?;
            harness::check_eq(lab.snapshots(&ds)?, vec!["s1".to_string()], "snapshots")?;
            Ok(())
        },
    }]
}

fn main() -> ExitCode {
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let in_vm = std::env::var_os("ZFSVM").is_some();
    let native = std::env::var("STRATA_LAB").is_ok_and(|v| v == "native");
    if !in_vm && !native {
        println!(
            "lab: the real-ZFS scenarios run in the lab VM (`cargo xtask lab test`) or with STRATA_LAB=native; not run here"
        );
        return ExitCode::SUCCESS;
    }
    if native && !std::path::Path::new("/dev/zfs").exists() {
        eprintln!("lab: STRATA_LAB=native needs ZFS on this host (/dev/zfs is missing)");
        return ExitCode::from(2);
    }
    match harness::run_all(scenarios(), &filters) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            println!("lab: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
