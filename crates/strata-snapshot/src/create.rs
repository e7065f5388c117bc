//! `strata-snapshot create`: every snapshot in one atomic `zfs snapshot` call.

use anyhow::{Context, Result};
use clap::Args;
use strata_core::cli::MutateArgs;
use strata_core::exit::ExitError;
use strata_core::sanitize::for_terminal;
use strata_core::{Ctx, Outcome};
use strata_zfs::{listing, snapshot};

/// The seed's snapshot names: UTC time to the second.
pub const DEFAULT_NAME_FORMAT: &str = "%Y-%m-%d-%H-%M-%S";

#[derive(Debug, Clone, Args)]
pub struct CreateArgs {
    /// Datasets to snapshot; all in one atomic zfs snapshot call.
    #[arg(value_name = "DATASET", required = true, value_parser = strata_zfs::name::dataset_arg, add = strata_core::complete::datasets())]
    pub datasets: Vec<String>,
    /// Snapshot the descendants too (zfs snapshot -r).
    #[arg(short, long)]
    pub recursive: bool,
    /// strftime format of the name, applied to the current UTC time.
    #[arg(long, value_name = "FMT", default_value = DEFAULT_NAME_FORMAT)]
    pub name_format: String,
    /// Put this before the time in the name.
    #[arg(long, value_name = "P", default_value = "")]
    pub prefix: String,
    /// Mark the snapshots with this label (user property strata:label).
    #[arg(long, value_name = "L")]
    pub label: Option<String>,
    /// Snapshot only the datasets whose strata:snapshot interval has passed since their newest
    /// strata-made snapshot (with -r: and their descendants), labelled with the interval; one
    /// atomic zfs snapshot call per interval; nothing when nothing is due.
    #[arg(long, conflicts_with = "label")]
    pub due: bool,
    #[command(flatten)]
    pub mutate: MutateArgs,
}

/// The snapshot name for `now`: PREFIX + strftime(FMT) in UTC.
pub fn snapshot_name(prefix: &str, format: &str, now: jiff::Timestamp) -> Result<String> {
    let zoned = now.to_zoned(jiff::tz::TimeZone::UTC);
    let t = jiff::fmt::strtime::format(format, &zoned).with_context(|| format!("--name-format {format:?}"))?;
    Ok(format!("{prefix}{t}"))
}

/// The command that makes them all at once.
pub fn snapshot_command(args: &CreateArgs, name: &str) -> strata_core::runner::Cmd {
    snapshot::create_command(&args.datasets, name, args.recursive, args.label.as_deref())
}

/// `--label`: a short word for people and filters (`--label hourly`), so no control character
/// (a newline or tab in a property value is what forges rows in other tools' listings).
pub fn check_label(l: &str) -> Result<(), String> {
    if l.len() > 255 {
        return Err(format!("--label: at most 255 bytes, this one has {}", l.len()));
    }
    if let Some(c) = l.chars().find(|c| c.is_control()) {
        return Err(format!("--label: control character {c:?} is not allowed (in {:?})", l));
    }
    Ok(())
}

/// Which of `names` exist already (one zfs list call; ZFS lists those that exist).
pub(crate) fn existing(ctx: &Ctx, names: &[String]) -> Result<Vec<String>> {
    let out = ctx.runner.output(&snapshot::list_names_command(names))?;
    Ok(snapshot::parse_list(&out.stdout)?.into_iter().map(|r| r.snapshot).collect())
}

pub(crate) fn clash(names: &[String]) -> anyhow::Error {
    ExitError::usage(format!(
        "snapshot already exists: {}; nothing was made (choose another --prefix or --name-format)",
        names.iter().map(|n| strata_core::sanitize::for_terminal(n).into_owned()).collect::<Vec<_>>().join(", ")
    ))
    .into()
}

/// Silent on success, like every action command; the snapshots as records when a format is
/// given (`--format`, `--json`), and what was made on stderr with `-v`.
pub fn run(args: &CreateArgs, ctx: &mut Ctx) -> Result<Outcome> {
    if args.due {
        return crate::due::run(args, ctx);
    }
    let name = snapshot_name(&args.prefix, &args.name_format, ctx.clock.now())?;
    for d in &args.datasets {
        strata_zfs::name::check_snapshot_part(d, &name).map_err(|e| ExitError::usage(e.to_string()))?;
    }
    if let Some(l) = &args.label {
        check_label(l).map_err(ExitError::usage)?;
    }
    // Every snapshot the call will make.
    let datasets: Vec<String> = if args.recursive {
        let out = ctx.runner.run(&listing::tree_command(&args.datasets))?;
        listing::parse_names(&out.stdout)
    } else {
        args.datasets.clone()
    };
    let targets: Vec<String> = datasets.iter().map(|d| format!("{d}@{name}")).collect();
    let exists = existing(ctx, &targets)?;
    if !exists.is_empty() {
        return Err(clash(&exists));
    }
    let cmd = snapshot_command(args, &name);
    if let Err(e) = ctx.runner.run(&cmd) {
        // ZFS makes all or none; say which name was taken when that is why.
        let exists = existing(ctx, &targets).unwrap_or_default();
        if !exists.is_empty() {
            return Err(anyhow::Error::from(e)
                .context(clash(&exists).to_string())
                .context(ExitError::usage("zfs snapshot failed")));
        }
        return Err(e.into());
    }
    if ctx.dry_run() {
        ctx.debug(format_args!("would make {} snapshot(s) named {}", targets.len(), for_terminal(&name)));
        return Ok(Outcome::Success);
    }
    ctx.debug(format_args!(
        "made {} snapshot(s): {}",
        targets.len(),
        targets.iter().map(|t| for_terminal(t).into_owned()).collect::<Vec<_>>().join(", ")
    ));
    if ctx.format_given {
        let l = strata_zfs::listing::list(ctx.runner.as_ref(), strata_zfs::listing::Scope::Snapshots(&targets))?;
        for r in &l.records {
            ctx.out.write(r)?;
        }
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::clock::FixedClock;
    use strata_core::output::Format;
    use strata_core::runner::{FakeRunner, Output};
    use strata_zfs::fixtures;

    fn args(ds: &[&str]) -> CreateArgs {
        CreateArgs {
            datasets: ds.iter().map(|s| s.to_string()).collect(),
            recursive: false,
            name_format: DEFAULT_NAME_FORMAT.into(),
            prefix: String::new(),
            label: None,
            due: false,
            mutate: MutateArgs::default(),
        }
    }

    #[test]
    fn names() {
        let t: jiff::Timestamp = "2023-08-08T00:00:06Z".parse().unwrap();
        assert_eq!(snapshot_name("", DEFAULT_NAME_FORMAT, t).unwrap(), "2023-08-08-00-00-06");
        assert_eq!(snapshot_name("daily-", "%Y%m%d", t).unwrap(), "daily-20230808");
        assert!(snapshot_name("", "%Y%", t).is_err());
        let mut a = args(&["tank/a", "tank/my data"]);
        a.label = Some("before upgrade".into());
        assert_eq!(
            snapshot_command(&a, "n").display(),
            "zfs snapshot -o strata:managed=on -o 'strata:label=before upgrade' tank/a@n 'tank/my data@n'"
        );
    }

    #[test]
    fn labels_hold_no_control_character() {
        assert!(check_label("before upgrade").is_ok());
        assert!(check_label("hourly").is_ok());
        for bad in ["x\ntank/victim@v1", "a\tb", "\u{1b}]0;owned\u{7}", "nul\0", &"x".repeat(256)] {
            assert!(check_label(bad).is_err(), "{bad:?}");
        }
        // and nothing runs
        let mut a = args(&["tank/a"]);
        a.label = Some("x\ny".into());
        let clock = FixedClock("2023-08-08T00:00:06Z".parse().unwrap());
        let mut ctx =
            Ctx::for_test(Box::new(FakeRunner::new()), Box::new(clock), Box::new(std::io::sink()), Format::Json);
        let e = run(&a, &mut ctx).unwrap_err();
        assert_eq!(strata_core::exit::code_of(&e), 2);
        assert!(e.to_string().contains("control character"), "{e}");
    }

    #[test]
    fn a_clash_makes_nothing() {
        let targets = vec!["tank/var/log@2023-08-08-00-00-06".to_string(), "tank/a@2023-08-08-00-00-06".to_string()];
        let row = "tank/var/log@2023-08-08-00-00-06\t1\t2\t1691452806\t0\t0\t0\n";
        let fake = FakeRunner::new().expect(
            &snapshot::list_names_command(&targets).argv_strings(),
            Output {
                code: Some(1),
                stdout: row.into(),
                stderr: b"cannot open 'tank/a@2023-08-08-00-00-06': dataset does not exist\n".to_vec(),
            },
        );
        let clock = FixedClock("2023-08-08T00:00:06Z".parse().unwrap());
        let mut ctx = Ctx::for_test(Box::new(fake), Box::new(clock), Box::new(std::io::sink()), Format::Json);
        let e = run(&args(&["tank/var/log", "tank/a"]), &mut ctx).unwrap_err();
        assert_eq!(strata_core::exit::code_of(&e), 2);
        assert!(
            e.to_string().contains("snapshot already exists: tank/var/log@2023-08-08-00-00-06; nothing was made"),
            "{e}"
        );
    }

    #[test]
    fn zfs_refusing_a_taken_name_is_a_clash() {
        // Someone made the name between the check and the call: ZFS refuses it (real output).
        let targets = vec!["tank/var/log@2023-08-08-00-00-06".to_string()];
        let list = snapshot::list_names_command(&targets).argv_strings();
        let row = "tank/var/log@2023-08-08-00-00-06\t1\t2\t1691452806\t0\t0\t0\n";
        let a = args(&["tank/var/log"]);
        let fake = FakeRunner::new()
            .expect(
                &list,
                Output::failed(1, "cannot open 'tank/var/log@2023-08-08-00-00-06': dataset does not exist\n"),
            )
            .expect(
                &snapshot_command(&a, "2023-08-08-00-00-06").argv_strings(),
                fixtures::output("2.3", "err_snapshot_exists"),
            )
            .expect(&list, Output::ok(row));
        let clock = FixedClock("2023-08-08T00:00:06Z".parse().unwrap());
        let mut ctx = Ctx::for_test(Box::new(fake), Box::new(clock), Box::new(std::io::sink()), Format::Json);
        let e = run(&a, &mut ctx).unwrap_err();
        assert_eq!(strata_core::exit::code_of(&e), 2);
        let chain = format!("{e:#}");
        assert!(chain.contains("snapshot already exists") && chain.contains("dataset already exists"), "{chain}");
    }
}
