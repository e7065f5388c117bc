//! `strata-snapshot list`: snapshot records from one `zfs list` call.

use anyhow::{Context, Result};
use clap::Args;
use strata_core::output::Format;
use strata_core::timeline::{Mark, Timeline};
use strata_core::{Ctx, Outcome};
use strata_zfs::listing::{self, Listing, Scope};

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Datasets whose snapshots are listed (every pool's when none is given).
    #[arg(value_name = "DATASET", value_parser = strata_zfs::name::dataset_arg, add = strata_core::complete::datasets())]
    pub datasets: Vec<String>,
    /// Include the snapshots of descendants.
    #[arg(short, long)]
    pub recursive: bool,
    /// Only snapshots made by strata (strata:managed=on).
    #[arg(long)]
    pub managed: bool,
    /// Only snapshots with this label (strata:label).
    #[arg(long, value_name = "LABEL")]
    pub label: Option<String>,
    /// Add each dataset's keep policy to its snapshot records (keep, keep_source, policy_error), for
    /// `strata prune plan --policy`.
    #[arg(long)]
    pub policy: bool,
}

/// The snapshot records, filtered as asked, sorted by dataset then createtxg, and the datasets
/// whose snapshots could not be read safely (left out).
pub fn list(ctx: &Ctx, args: &ListArgs) -> Result<Listing> {
    let scope = Scope::Datasets { datasets: &args.datasets, recursive: args.recursive };
    let mut l = listing::list(ctx.runner.as_ref(), scope).context("cannot list the snapshots")?;
    l.records.retain(|r| {
        (!args.managed || r.managed == Some(true)) && args.label.as_ref().is_none_or(|l| r.label.as_ref() == Some(l))
    });
    Ok(l)
}

/// Says on stderr which datasets were left out; the exit status the run ends with (2 when any).
pub fn report_bad(ctx: &Ctx, bad: &[listing::BadDataset]) -> Outcome {
    for b in bad {
        // An error, so even --quiet shows it.
        ctx.error(format_args!(
            "the snapshots of {} are left out: {}",
            strata_core::sanitize::for_terminal(&b.dataset),
            strata_core::sanitize::for_terminal(&b.reason)
        ));
    }
    if bad.is_empty() { Outcome::Success } else { Outcome::Code(strata_core::exit::ERROR) }
}

pub fn run(args: &ListArgs, ctx: &mut Ctx) -> Result<Outcome> {
    if args.policy {
        return crate::policy::list(args, ctx);
    }
    let l = list(ctx, args)?;
    if ctx.out.format() == Format::Timeline {
        // The picture instead of the records: a row per dataset, how many snapshots per period.
        let mut picture = Timeline::new();
        for r in &l.records {
            picture.add(&r.dataset, r.created_unix, Mark::Present);
        }
        let (now, width) = (ctx.clock.now().as_second(), strata_core::timeline::output_width());
        ctx.out.write_text(&picture.render(now, width, strata_core::timeline::color(ctx.color)))?;
        return Ok(report_bad(ctx, &l.bad));
    }
    for r in &l.records {
        ctx.out.write(r)?;
    }
    Ok(report_bad(ctx, &l.bad))
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::clock::FixedClock;
    use strata_core::output::Format;
    use strata_core::runner::{FakeRunner, Output};

    #[test]
    fn one_call_filters_and_sorts() {
        let rows = "tank/b@s2\t22\t9\t1691452806\t0\t100\t0\n\
                    tank/a@s1\t11\t7\t1691452800\t0\t100\t1\n\
                    tank/a@other\t12\t8\t1691452801\t0\t100\t0\n";
        let props = "tank/b@s2\tstrata:managed\tlocal\ton\ntank/b@s2\tstrata:label\tlocal\tx\n\
                     tank/a@s1\tstrata:managed\tlocal\ton\ntank/a@s1\tstrata:label\t-\t-\n\
                     tank/a@other\tstrata:managed\t-\t-\ntank/a@other\tstrata:label\t-\t-\n";
        let ds = vec!["tank".to_string()];
        let scope = Scope::Datasets { datasets: &ds, recursive: true };
        let fake = FakeRunner::new()
            .expect(&listing::version_command().argv_strings(), Output::ok("zfs-2.1.11-1+deb12u1\n"))
            .expect(&strata_zfs::snapshot::scoped_list_command(scope).argv_strings(), Output::ok(rows))
            .expect(&listing::props_command(scope).argv_strings(), Output::ok(props));
        let ctx = Ctx::for_test(
            Box::new(fake),
            Box::new(FixedClock(jiff::Timestamp::UNIX_EPOCH)),
            Box::new(std::io::sink()),
            Format::Json,
        );
        let args =
            ListArgs { datasets: vec!["tank".into()], recursive: true, managed: true, label: None, policy: false };
        let v = list(&ctx, &args).unwrap().records;
        let names: Vec<&str> = v.iter().map(|r| r.snapshot.as_str()).collect();
        assert_eq!(names, ["tank/a@s1", "tank/b@s2"]);
        assert_eq!(v[0].userrefs, Some(1));
        assert_eq!(v[1].label.as_deref(), Some("x"));
    }
}
