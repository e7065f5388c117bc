//! Real-ZFS scenario of the shipped systemd units: `strata@.service`'s and
//! `strata-check@.service`'s `ExecStart=` lines, split and with their specifiers resolved as
//! systemd does (the same code as the host tests of contrib/systemd), run in order against a real
//! pool with a policy: due snapshots appear, old ones go, the copy arrives on a second local
//! dataset, and both checks are ok; with the clock moved on they are critical. The sandboxing
//! itself needs systemd, which the lab guest does not run: the host tests score and verify it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::harness::{Lab, Scenario, check_eq};

#[path = "../contrib_systemd/exec.rs"]
mod exec;

const POLICY_UNIT: &str = include_str!("../../contrib/systemd/strata@.service");
const CHECK_UNIT: &str = include_str!("../../contrib/systemd/strata-check@.service");
const TEXTFILES: &str = "/var/lib/prometheus/node-exporter";

pub fn scenarios() -> Vec<Scenario> {
    vec![Scenario { name: "ops/unit-execstart", run: unit_execstart }]
}

/// Runs a unit's ExecStart lines for `instance` (escaped) as systemd would: in order, the next
/// only after one succeeded, with the unit's Environment= and systemd's STATE_DIRECTORY; returns
/// the last exit code and everything printed on stderr.
fn run_unit(unit: &str, template: &str, instance: &str, now: jiff::Timestamp, state: &Path) -> Result<(i32, String)> {
    let cmds = exec::exec_start(unit, template, instance).map_err(|e| anyhow::anyhow!("{template}: {e}"))?;
    let env = exec::environment(unit, template, instance).map_err(|e| anyhow::anyhow!("{template}: {e}"))?;
    if cmds.is_empty() {
        bail!("{template} has no ExecStart=");
    }
    let mut stderr = String::new();
    let mut code = 0;
    for c in &cmds {
        let out = Command::new(&c.argv[0])
            .args(&c.argv[1..])
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("STATE_DIRECTORY", state)
            .env("STRATA_NOW", now.to_string())
            .output()
            .with_context(|| format!("cannot run {:?}", c.argv))?;
        stderr.push_str(&String::from_utf8_lossy(&out.stderr));
        code = out.status.code().unwrap_or(-1);
        if code != 0 && !c.ignore_failure {
            break;
        }
    }
    Ok((code, stderr))
}

/// The value of the sample `metric{labels}` in a textfile.
fn sample(text: &str, metric: &str, labels: &str) -> Option<String> {
    let head = format!("{metric}{{{labels}}} ");
    text.lines().find_map(|l| l.strip_prefix(head.as_str()).map(str::to_string))
}

fn unit_execstart(lab: &Lab) -> Result<()> {
    // The instance is this scenario's dataset: its name holds '_' and '-', which the unit name
    // escapes and %I gives back.
    let srv = lab.create("srv", &["strata:snapshot=1h", "strata:keep=last=2"])?;
    lab.create("backup", &[])?;
    lab.zfs(&["set", &format!("strata:send={}", lab.ds("backup/srv")), &srv])?;
    for s in ["old1", "old2", "old3"] {
        lab.strata("strata-snapshot", &["create", &srv, "--name-format", s]).ok()?;
    }
    let instance = exec::escape(&lab.root);
    check_eq(exec::unescape(&instance).map_err(anyhow::Error::msg)?, lab.root.clone(), "the instance round trip")?;
    let state = tempfile::tempdir()?;
    std::fs::create_dir_all(TEXTFILES)?;
    // Two hours on, a snapshot is due (the old ones were made just now, by the real clock).
    let due = jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_hours(2))?;
    let (code, err) = run_unit(POLICY_UNIT, "strata@.service", &instance, due, state.path())?;
    check_eq(code, 0, format!("strata@{instance}.service succeeds; stderr:\n{err}"))?;
    // One snapshot was due and made; keep last=2 let the three old ones go but one.
    let snaps = lab.snapshots(&srv)?;
    check_eq(snaps.len(), 2, format!("last=2 keeps two: {snaps:?}"))?;
    check_eq(snaps[0].as_str(), "old3", "the newest old snapshot stays")?;
    let newest = snaps.last().context("a snapshot")?;
    let copy = lab.ds("backup/srv");
    check_eq(
        lab.get("guid", &format!("{copy}@{newest}"))?,
        lab.get("guid", &format!("{srv}@{newest}"))?,
        "the copy has the new snapshot",
    )?;
    check_eq(state.path().join("send").read_dir()?.count(), 1, "the send is recorded in STATE_DIRECTORY")?;
    // Run again now: nothing is due, nothing is sent, still a success.
    let now = jiff::Timestamp::now();
    let (code, err) = run_unit(POLICY_UNIT, "strata@.service", &instance, now, state.path())?;
    check_eq(code, 0, format!("a second run succeeds; stderr:\n{err}"))?;
    check_eq(lab.snapshots(&srv)?.len(), 2, "nothing new")?;

    // The check unit writes its textfiles: ok now, critical five hours on (not a unit failure).
    let textfile = |kind: &str| Path::new(TEXTFILES).join(format!("strata-{kind}-{instance}.prom"));
    let mut levels = BTreeMap::new();
    for hours in [0u32, 5] {
        let at = now.checked_add(jiff::SignedDuration::from_hours(i64::from(hours)))?;
        let (code, err) = run_unit(CHECK_UNIT, "strata-check@.service", &instance, at, state.path())?;
        check_eq(code, 0, format!("strata-check@{instance}.service at +{hours}h; stderr:\n{err}"))?;
        let snap = std::fs::read_to_string(textfile("snapshot"))?;
        let send = std::fs::read_to_string(textfile("send"))?;
        std::fs::read_to_string(textfile("quota")).context("the quota textfile")?;
        let ds = format!("dataset=\"{srv}\"");
        levels.insert(
            hours,
            (
                sample(&snap, "strata_snapshot_level", &ds),
                sample(&send, "strata_send_level", &format!("{ds},target=\"{copy}\"")),
            ),
        );
    }
    let want = |l: &str| (Some(l.to_string()), Some(l.to_string()));
    check_eq(levels[&0].clone(), want("0"), "snapshot and send levels ok at first")?;
    check_eq(levels[&5].clone(), want("2"), "snapshot and send levels critical five hours on")?;
    // The checks themselves say so by their exit codes.
    let late = now.checked_add(jiff::SignedDuration::from_hours(5))?.to_string();
    for tool in ["strata-snapshot", "strata-send"] {
        let out = Command::new(crate::harness::bin_dir().join(tool))
            .args(["check", "-r", &lab.root])
            .env("STRATA_NOW", &late)
            .env("STRATA_STATE_DIR", state.path())
            .output()?;
        check_eq(out.status.code(), Some(2), format!("{tool} check is critical five hours on"))?;
    }
    Ok(())
}
