//! `strata-snapshot list`: snapshot records from one `zfs list` call.

use anyhow::{Context, Result};
use clap::Args;
use strata_core::{Ctx, Outcome};
use strata_zfs::snapshot::{self, SnapshotRecord};

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Datasets whose snapshots are listed (every pool's when none is given).
    #[arg(value_name = "DATASET", value_parser = crate::dataset_name)]
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
}

/// The snapshot records, filtered as asked, sorted by dataset then createtxg.
pub fn list(ctx: &Ctx, args: &ListArgs) -> Result<Vec<SnapshotRecord>> {
    let cmd = snapshot::list_command(&args.datasets, args.recursive);
    let out = ctx.runner.run(&cmd)?;
    let mut v = snapshot::parse_list(&out.stdout).with_context(|| format!("reading `{cmd}`"))?;
    v.retain(|r| {
        (!args.managed || r.managed == Some(true)) && args.label.as_ref().is_none_or(|l| r.label.as_ref() == Some(l))
    });
    Ok(v)
}

pub fn run(args: &ListArgs, ctx: &mut Ctx) -> Result<Outcome> {
    for r in list(ctx, args)? {
        ctx.out.write(&r)?;
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::clock::FixedClock;
    use strata_core::output::Format;
    use strata_core::runner::{FakeRunner, Output};

    #[test]
    fn one_call_filters_and_sorts() {
        let listing = "tank/b@s2\t22\t9\t1691452806\t0\t100\t0\ton\tx\n\
                       tank/a@s1\t11\t7\t1691452800\t0\t100\t1\ton\t-\n\
                       tank/a@other\t12\t8\t1691452801\t0\t100\t0\t-\t-\n";
        let argv = snapshot::list_command(&["tank".into()], true);
        let argv: Vec<String> = argv.argv().iter().map(|a| a.to_string_lossy().into_owned()).collect();
        let fake = FakeRunner::new().expect(&argv, Output::ok(listing));
        let ctx = Ctx::for_test(
            Box::new(fake),
            Box::new(FixedClock(jiff::Timestamp::UNIX_EPOCH)),
            Box::new(std::io::sink()),
            Format::Json,
        );
        let args = ListArgs { datasets: vec!["tank".into()], recursive: true, managed: true, label: None };
        let v = list(&ctx, &args).unwrap();
        let names: Vec<&str> = v.iter().map(|r| r.snapshot.as_str()).collect();
        assert_eq!(names, ["tank/a@s1", "tank/b@s2"]);
        assert_eq!(v[0].userrefs, Some(1));
        assert_eq!(v[1].label.as_deref(), Some("x"));
    }
}
