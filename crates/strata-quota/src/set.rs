//! `strata-quota set`: checks every value first, then sets them all with one `zfs set` call.
//!
//! ZFS applies the properties of one `zfs set` one after another and keeps those it applied
//! when a later one fails, so everything ZFS would refuse is refused here before ZFS is touched:
//! bad sizes and compression names (when the command line is read), a reservation above the
//! quota, a quota below current usage, a reservation larger than the space there is. When ZFS
//! still refuses, the error says which properties it kept.

use std::fmt;

use anyhow::Context;
use clap::Args;
use strata_core::cli::MutateArgs;
use strata_core::exit::{self, ExitError};
use strata_core::{Ctx, Outcome};
use strata_zfs::quota::{COMPRESSION_HELP, Space, set_command, valid_compression};
use strata_zfs::size::{Size, human_size};

#[derive(Debug, Clone, Args)]
pub struct SetArgs {
    /// The dataset to change.
    #[arg(value_name = "DATASET", value_parser = strata_zfs::name::dataset_arg, add = strata_core::complete::datasets())]
    pub dataset: String,
    /// What to set: quota=SIZE, refquota=SIZE, reservation=SIZE, refreservation=SIZE (SIZE like 10G,
    /// 512M, 1.5T, or none), compression=NAME, userquota@USER=SIZE, groupquota@GROUP=SIZE.
    #[arg(value_name = "PROPERTY=VALUE", required = true, value_parser = assignment, add = strata_core::complete::from_fn(assignment_names))]
    pub assignments: Vec<Assignment>,
    /// Skip strata's check of a new quota or refquota against the space already in use and let
    /// ZFS decide (OpenZFS itself refuses a quota below current usage; this only helps when
    /// usage is dropping at the same time, e.g. while snapshots are destroyed).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub mutate: MutateArgs,
}

/// A property strata-quota sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prop {
    Quota,
    Refquota,
    Reservation,
    Refreservation,
    Compression,
    UserQuota(String),
    GroupQuota(String),
}

impl fmt::Display for Prop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prop::Quota => f.write_str("quota"),
            Prop::Refquota => f.write_str("refquota"),
            Prop::Reservation => f.write_str("reservation"),
            Prop::Refreservation => f.write_str("refreservation"),
            Prop::Compression => f.write_str("compression"),
            Prop::UserQuota(u) => write!(f, "userquota@{u}"),
            Prop::GroupQuota(g) => write!(f, "groupquota@{g}"),
        }
    }
}

/// A checked value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Size(Size),
    Name(String),
}

/// One `PROPERTY=VALUE` from the command line, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub prop: Prop,
    pub value: Value,
    /// As given, for messages.
    pub text: String,
}

impl Assignment {
    /// The size given, `None` for `none` or `0`, or for a name.
    fn bytes(&self) -> Option<u64> {
        match self.value {
            Value::Size(s) => s.bytes().filter(|&b| b != 0),
            Value::Name(_) => None,
        }
    }

    /// The value as passed to `zfs set`: exact bytes, in the largest unit that divides them.
    pub fn zfs_value(&self) -> String {
        match &self.value {
            Value::Name(n) => n.clone(),
            Value::Size(Size::None) | Value::Size(Size::Bytes(0)) => "none".into(),
            Value::Size(Size::Bytes(b)) => exact_size(*b),
        }
    }
}

/// `10G` when that is exact, otherwise the byte count.
pub fn exact_size(b: u64) -> String {
    for (shift, unit) in [(60, "E"), (50, "P"), (40, "T"), (30, "G"), (20, "M"), (10, "K")] {
        let u = 1u64 << shift;
        if b >= u && b.is_multiple_of(u) {
            return format!("{}{unit}", b >> shift);
        }
    }
    b.to_string()
}

const KNOWN: &str =
    "strata-quota sets quota, refquota, reservation, refreservation, compression, userquota@USER and groupquota@GROUP";

/// Parses and checks `PROPERTY=VALUE` (a clap value parser: a bad one is refused with exit 2
/// before anything runs).
pub fn assignment(s: &str) -> Result<Assignment, String> {
    let Some((name, value)) = s.split_once('=') else {
        return Err(format!("{s:?} is not PROPERTY=VALUE (e.g. quota=10G)"));
    };
    let prop = match name {
        "quota" => Prop::Quota,
        "refquota" => Prop::Refquota,
        "reservation" | "reserv" => Prop::Reservation,
        "refreservation" | "refreserv" => Prop::Refreservation,
        "compression" | "compress" => Prop::Compression,
        _ => {
            let who = |rest: &str, what: &str| -> Result<String, String> {
                if rest.is_empty() || rest.chars().any(|c| c.is_control() || c.is_whitespace()) {
                    Err(format!("{name:?}: expected {what}@NAME with a user or group name or numeric id"))
                } else {
                    Ok(rest.to_string())
                }
            };
            if let Some(u) = name.strip_prefix("userquota@") {
                Prop::UserQuota(who(u, "userquota")?)
            } else if let Some(g) = name.strip_prefix("groupquota@") {
                Prop::GroupQuota(who(g, "groupquota")?)
            } else {
                return Err(format!("unknown property {name:?}: {KNOWN}"));
            }
        }
    };
    let value = match prop {
        Prop::Compression => {
            if !valid_compression(value) {
                return Err(format!("compression {value:?} is not one ZFS knows; use one of {COMPRESSION_HELP}"));
            }
            Value::Name(value.to_string())
        }
        _ => Value::Size(strata_zfs::size::size(value).map_err(|e| format!("{prop}: {e}"))?),
    };
    Ok(Assignment { prop, value, text: s.to_string() })
}

/// Shell completion of `PROPERTY=VALUE`: the properties (`quota=`, ...) until `=` is typed, then
/// the values ZFS accepts for compression (every name [`valid_compression`] takes) and `none`
/// for the sizes.
pub fn assignment_names(typed: &str) -> Vec<String> {
    let props = [Prop::Quota, Prop::Refquota, Prop::Reservation, Prop::Refreservation, Prop::Compression];
    let Some((name, _)) = typed.split_once('=') else {
        return props.iter().map(|p| format!("{p}=")).collect();
    };
    // The property as `assignment` reads it (aliases included), from a value it always takes.
    let prop = ["none", "off"].iter().find_map(|v| assignment(&format!("{name}={v}")).ok()).map(|a| a.prop);
    let values: Vec<String> = match prop {
        Some(Prop::Compression) => {
            let levels = |base: &str, ns: &mut dyn Iterator<Item = u32>| -> Vec<String> {
                ns.map(|n| format!("{base}-{n}")).collect()
            };
            let mut all: Vec<String> =
                ["on", "off", "lzjb", "gzip", "zle", "lz4", "zstd", "zstd-fast"].map(String::from).to_vec();
            all.extend(levels("gzip", &mut (1..=9)));
            all.extend(levels("zstd", &mut (1..=19)));
            all.extend(levels("zstd-fast", &mut (1..=10).chain((20..=100).step_by(10)).chain([500, 1000])));
            all.into_iter().filter(|v| valid_compression(v)).collect()
        }
        Some(_) => vec!["none".to_string()],
        None => Vec::new(),
    };
    values.into_iter().map(|v| format!("{name}={v}")).collect()
}

/// The refusals of a set of assignments against the current state (empty: go ahead).
pub fn problems(assign: &[Assignment], cur: &Space, parent: Option<&Space>, force: bool) -> Vec<String> {
    let mut out = Vec::new();
    for (i, a) in assign.iter().enumerate() {
        if let Some(b) = assign[..i].iter().find(|b| b.prop == a.prop) {
            out.push(format!("{} is given twice ({} and {})", a.prop, b.text, a.text));
        }
    }
    let find = |p: &Prop| assign.iter().find(|a| a.prop == *p);
    let ds = &cur.name;
    let size = |b: u64| format!("{} ({b} bytes)", human_size(b));
    // The value after the change: the new one when given, else the current one.
    let after = |p: &Prop, now: Option<u64>| find(p).map_or(now, Assignment::bytes);

    for (limit, usage, what) in [
        (Prop::Quota, cur.used, "uses with its descendants and snapshots"),
        (Prop::Refquota, cur.referenced, "refers to"),
    ] {
        if let Some(a) = find(&limit)
            && let Some(q) = a.bytes()
            && q < usage
            && !force
        {
            out.push(format!(
                "{} is below the {} that {ds} already {what}; ZFS refuses a {limit} below current usage",
                a.text,
                size(usage)
            ));
        }
    }
    for (res_p, quota_p, res_now, quota_now) in [
        (Prop::Reservation, Prop::Quota, cur.reservation, cur.quota),
        (Prop::Refreservation, Prop::Refquota, cur.refreservation, cur.refquota),
    ] {
        let (res, quota) = (after(&res_p, res_now), after(&quota_p, quota_now));
        if let (Some(r), Some(q)) = (res, quota)
            && r > q
        {
            out.push(match (find(&res_p), find(&quota_p)) {
                (Some(ra), Some(qa)) => {
                    format!("{} is larger than {}: the {res_p} may not exceed the {quota_p}", ra.text, qa.text)
                }
                (Some(ra), None) => format!("{} is larger than the {quota_p} of {ds}, {}", ra.text, size(q)),
                (_, Some(qa)) => format!("{} is below the {res_p} of {ds}, {}", qa.text, size(r)),
                (None, None) => continue,
            });
        }
    }
    // A reservation takes space from the parent: it may grow by what the parent has available.
    if let (Some(a), Some(parent)) = (find(&Prop::Reservation), parent)
        && let Some(r) = a.bytes()
    {
        let grow = r.max(cur.used).saturating_sub(cur.reservation.unwrap_or(0).max(cur.used));
        if grow > parent.available {
            out.push(format!(
                "{} needs {} more than {ds} holds now, but {} has only {} available",
                a.text,
                size(grow),
                parent.name,
                size(parent.available)
            ));
        }
    }
    // A refreservation takes space from the dataset's own available space.
    if let Some(a) = find(&Prop::Refreservation)
        && let Some(r) = a.bytes()
        && find(&Prop::Quota).is_none()
    {
        let grow = r.max(cur.referenced).saturating_sub(cur.refreservation.unwrap_or(0).max(cur.referenced));
        if grow > cur.available {
            out.push(format!(
                "{} needs {} more, but {ds} has only {} available",
                a.text,
                size(grow),
                size(cur.available)
            ));
        }
    }
    out
}

fn parent_of(ds: &str) -> Option<&str> {
    ds.rsplit_once('/').map(|(p, _)| p)
}

/// The current value of a property that `Space` holds, for comparing before and after.
fn current(s: &Space, p: &Prop) -> Option<String> {
    match p {
        Prop::Quota => Some(human_opt(s.quota)),
        Prop::Refquota => Some(human_opt(s.refquota)),
        Prop::Reservation => Some(human_opt(s.reservation)),
        Prop::Refreservation => Some(human_opt(s.refreservation)),
        Prop::Compression => s.compression.clone(),
        Prop::UserQuota(_) | Prop::GroupQuota(_) => None,
    }
}

fn human_opt(v: Option<u64>) -> String {
    crate::report::human_opt(v)
}

pub fn run(args: &SetArgs, ctx: &mut Ctx) -> anyhow::Result<Outcome> {
    let ds = args.dataset.as_str();
    let mut names = vec![ds.to_string()];
    names.extend(parent_of(ds).map(str::to_string));
    let space =
        crate::read_space(ctx, &names, false).with_context(|| format!("cannot read the current values of {ds}"))?;
    let cur = space.iter().find(|s| s.name == ds).with_context(|| format!("zfs list did not show {ds}"))?;
    let parent = parent_of(ds).and_then(|p| space.iter().find(|s| s.name == p));

    let refused = problems(&args.assignments, cur, parent, args.force);
    if !refused.is_empty() {
        return Err(ExitError::new(exit::ERROR, format!("nothing was changed: {}", refused.join("; "))).into());
    }
    let props: Vec<(String, String)> = args.assignments.iter().map(|a| (a.prop.to_string(), a.zfs_value())).collect();
    let cmd = set_command(ds, &props);
    if let Err(e) = ctx.runner.run(&cmd) {
        // ZFS applies the properties one by one: say which ones it kept before it failed.
        let after = crate::read_space(ctx, &[ds.to_string()], false).ok();
        let changed: Vec<String> = after
            .iter()
            .flatten()
            .filter(|s| s.name == ds)
            .flat_map(|now| {
                args.assignments.iter().filter_map(move |a| {
                    let (b, n) = (current(cur, &a.prop)?, current(now, &a.prop)?);
                    (b != n).then(|| format!("{} is now {n} (was {b})", a.prop))
                })
            })
            .collect();
        let e = anyhow::Error::new(e);
        return Err(if changed.is_empty() {
            e.context(format!("zfs refused the change of {ds}"))
        } else {
            e.context(format!("zfs refused part of the change of {ds}, and kept the rest: {}", changed.join(", ")))
        });
    }
    ctx.debug(format!("set {}", props.iter().map(|(p, v)| format!("{p}={v}")).collect::<Vec<_>>().join(" ")));
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;
    use strata_core::output::Format;
    use strata_core::runner::{FakeRunner, Output};
    use strata_zfs::fixtures;

    use crate::testutil::LIST;

    /// `tank/var/log` and `tank` from the real fixture: used 48K, quota 64M, reservation 8M.
    fn log_and_parent() -> Vec<u8> {
        let rows = String::from_utf8(testutil::space_rows()).unwrap();
        rows.lines()
            .filter(|l| l.starts_with("tank/var/log\t") || l.starts_with("tank/var\t"))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            .into_bytes()
    }

    fn space() -> (Space, Space) {
        let v = strata_zfs::quota::parse_space(&log_and_parent()).unwrap();
        (v[1].clone(), v[0].clone())
    }

    fn a(s: &str) -> Assignment {
        assignment(s).unwrap()
    }

    #[test]
    fn values_are_checked_when_read() {
        assert_eq!(a("quota=10G").zfs_value(), "10G");
        assert_eq!(a("reserv=1.5G").zfs_value(), "1536M");
        assert_eq!(a("quota=1000").zfs_value(), "1000");
        assert_eq!(a("refquota=none").zfs_value(), "none");
        assert_eq!(a("quota=0").zfs_value(), "none");
        assert_eq!(a("compress=zstd-fast-50").prop, Prop::Compression);
        assert_eq!(a("userquota@alice=1G").prop.to_string(), "userquota@alice");
        for (bad, says) in [
            ("quota=abc", "invalid size \"abc\""),
            ("quota=10X", "unknown unit"),
            ("compression=bogus", "compression \"bogus\" is not one ZFS knows"),
            ("compression=zstd-20", "\"zstd-20\""),
            ("nosuchprop=1", "unknown property \"nosuchprop\""),
            ("quota", "not PROPERTY=VALUE"),
            ("userquota@=1G", "userquota@NAME"),
            ("mountpoint=/x", "unknown property \"mountpoint\""),
            // 2^68 E wrapped to 0 (none) and 2^68+1 E to 1E.
            ("quota=295147905179352825856E", "quota: invalid size \"295147905179352825856E\": too large"),
            ("refquota=295147905179352825857E", "refquota: invalid size \"295147905179352825857E\": too large"),
            ("userquota@alice=16E", "userquota@alice: invalid size \"16E\": too large"),
        ] {
            let e = assignment(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn refusals_name_the_value_and_why() {
        let (log, tank_var) = space();
        let p = |args: &[&str], force| {
            problems(&args.iter().map(|s| a(s)).collect::<Vec<_>>(), &log, Some(&tank_var), force)
        };
        assert!(p(&["quota=200M", "reservation=50M", "compression=zstd"], false).is_empty());
        // The same refusals the real zfs set gave (fixtures err_set_*), before zfs runs.
        let e = p(&["quota=1K"], false);
        assert_eq!(
            e,
            vec![
                "quota=1K is below the 48K (49152 bytes) that tank/var/log already uses with its descendants and snapshots; ZFS refuses a quota below current usage",
                "quota=1K is below the reservation of tank/var/log, 8M (8388608 bytes)",
            ]
        );
        assert_eq!(p(&["quota=1K"], true).len(), 1, "--force skips only the usage check");
        let e = p(&["reservation=100G"], false);
        assert!(e[0].starts_with("reservation=100G is larger than the quota of tank/var/log, 64M"), "{e:?}");
        let e = p(&["quota=100G", "reservation=100G"], false);
        assert!(e[0].contains("reservation=100G needs") && e[0].contains("tank/var has only 823M"), "{e:?}");
        let e = p(&["quota=4M"], false);
        assert!(e[0].starts_with("quota=4M is below the reservation of tank/var/log, 8M"), "{e:?}");
        let e = p(&["quota=10M", "reservation=20M"], false);
        assert!(e[0].contains("reservation=20M is larger than quota=10M"), "{e:?}");
        let e = p(&["quota=1G", "quota=2G"], false);
        assert_eq!(e, vec!["quota is given twice (quota=1G and quota=2G)"]);
        assert!(p(&["quota=none", "reservation=100M"], false).is_empty());
    }

    fn expect_read(runner: FakeRunner) -> FakeRunner {
        runner.expect_words(&format!("{LIST} tank/var/log tank/var"), Output::ok(log_and_parent()))
    }

    #[test]
    fn one_zfs_set_call() {
        let runner = expect_read(FakeRunner::new())
            .expect_words("zfs set quota=200M reservation=50M compression=zstd tank/var/log", Output::ok(""));
        let (mut ctx, buf) = testutil::ctx(runner, Format::Json);
        let out =
            testutil::run(&["set", "tank/var/log", "quota=200M", "reservation=50M", "compression=zstd"], &mut ctx)
                .unwrap();
        assert_eq!(out, Outcome::Success);
        assert_eq!(buf.text(), "", "silent on success");
    }

    #[test]
    fn refused_before_zfs_set_runs() {
        let runner = expect_read(FakeRunner::new());
        let (mut ctx, _) = testutil::ctx(runner, Format::Json);
        let err = testutil::run(&["set", "tank/var/log", "compression=zstd", "quota=1M"], &mut ctx).unwrap_err();
        assert_eq!(strata_core::exit::code_of(&err), 2);
        assert!(err.to_string().starts_with("nothing was changed: quota=1M is below"), "{err}");
    }

    #[test]
    fn a_refusal_by_zfs_names_what_it_kept() {
        // zfs applied the quota, then refused the reservation (fixture err_set_reservation_too_big:
        // exit 1 on OpenZFS 2.1, 255 on 2.3), as the lab showed it does.
        for (version, code) in [("2.1", 1), ("2.3", 255)] {
            let after = String::from_utf8(log_and_parent()).unwrap().replace("\t67108864\t", "\t209715200\t");
            let runner = expect_read(FakeRunner::new())
                .expect_words(
                    "zfs set quota=200M reservation=100M tank/var/log",
                    fixtures::output(version, "err_set_reservation_too_big"),
                )
                .expect_words(&format!("{LIST} tank/var/log"), Output::ok(after));
            let (mut ctx, _) = testutil::ctx(runner, Format::Json);
            let err = testutil::run(&["set", "tank/var/log", "quota=200M", "reservation=100M"], &mut ctx).unwrap_err();
            let msg = format!("{err:#}");
            assert_eq!(strata_core::exit::code_of(&err), 2, "{version}");
            assert!(
                msg.starts_with(
                    "zfs refused part of the change of tank/var/log, and kept the rest: quota is now 200M (was 64M)"
                ),
                "{msg}"
            );
            assert!(
                msg.contains(&format!("exit code {code}")) && msg.contains("size is greater than available space"),
                "{msg}"
            );
        }
    }

    #[test]
    fn a_failed_read_changes_nothing() {
        let runner = FakeRunner::new()
            .expect_words(&format!("{LIST} tank/nope tank"), fixtures::output("2.3", "err_list_nonexistent"));
        let (mut ctx, _) = testutil::ctx(runner, Format::Json);
        let err = testutil::run(&["set", "tank/nope", "quota=1G"], &mut ctx).unwrap_err();
        assert!(format!("{err:#}").starts_with("cannot read the current values of tank/nope"), "{err:#}");
    }

    /// Completion offers the five properties, then values every one of which `assignment` takes
    /// (aliases of a property included), and nothing for a property strata does not set.
    #[test]
    fn completion_offers_properties_then_values_assignment_accepts() {
        assert_eq!(assignment_names(""), ["quota=", "refquota=", "reservation=", "refreservation=", "compression="]);
        let comp = assignment_names("compression=");
        assert!(comp.len() > 40 && comp.contains(&"compression=zstd-fast-1000".to_string()), "{comp:?}");
        for v in comp.iter().chain(&assignment_names("compress=")).chain(&assignment_names("refquota=")) {
            assert!(assignment(v).is_ok(), "{v} offered but refused");
        }
        assert_eq!(assignment_names("refreserv="), ["refreserv=none"]);
        assert!(assignment_names("mountpoint=").is_empty());
    }
}
