//! strata-harden-check: the exposure score of `systemd-analyze security` (systemd 252), computed
//! offline from unit files under a root directory, and the drop-in that lowers it.

pub mod assess;
pub mod choices;
pub mod context;
pub mod install;
pub mod load;
pub mod parse;
pub mod policy;
pub mod suggest;
pub mod syscalls;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{CommandFactory, FromArgMatches, Parser};
use serde::Serialize;
use strata_core::doc::{FieldDoc, ManDoc, RecordDoc};
use strata_core::output::{Format, Record};
use strata_core::{Ctx, Outcome, Tool};

use crate::load::{Root, Scope};

pub const TOOL: Tool = Tool { name: "strata-harden-check", command, run, mutate, doc: &DOC };

/// Score systemd services the way `systemd-analyze security` does, offline, and suggest the
/// sandboxing drop-in that lowers the score.
///
/// On a terminal (or with --format table) one unit is shown check by check, and several units
/// (or --all) one line each (UNIT, EXPOSURE, PREDICATE, HAPPY), as systemd-analyze security shows
/// them with no unit named; --detail shows every unit check by check. Records (NDJSON in a pipe,
/// --json, --format csv) are always complete, every check of every unit, because a program reading
/// them wants the whole assessment; pick fields with jq for a summary. A unit that cannot be
/// assessed is an error record and, always, a line on standard error.
#[derive(Debug, Parser)]
#[command(name = "strata-harden-check")]
pub struct Cli {
    #[command(flatten)]
    common: strata_core::cli::CommonArgs,
    /// --suggest --write changes files: --dry-run shows where it would write, --lock keeps two
    /// runs apart. Nothing asks, so there is no --yes.
    #[command(flatten)]
    mutate: strata_core::cli::MutateArgs,
    /// The directory whose unit files are read (its /etc/systemd/system, /run/systemd/system,
    /// /lib/systemd/system, /usr/lib/systemd/system, ...).
    #[arg(long, value_name = "DIR", default_value = "/", value_hint = clap::ValueHint::DirPath)]
    root: PathBuf,
    /// Read user units (/etc/systemd/user, /usr/lib/systemd/user, ...) instead of system units.
    /// systemd-analyze 252 refuses --user together with --root, so these scores follow its rules
    /// (KeyringMode= defaults to inherit) but have no reference run to compare with.
    #[arg(long)]
    user: bool,
    /// Apply a portable profile to every unit, as systemd-analyze --profile does: a path to a
    /// drop-in file, or the name of a profile under /etc, /run or /usr/lib
    /// systemd/portable/profile/NAME/service.conf on this machine. It applies as a drop-in named
    /// profile.conf.
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// Score with the weights, ranges and descriptions of a JSON policy file, as
    /// systemd-analyze security --security-policy= does (see systemd-analyze(1)). A field or
    /// check that systemd-analyze would silently ignore is an error here.
    #[arg(long, value_name = "FILE")]
    security_policy: Option<PathBuf>,
    /// Every .service unit under the root, except templates, masked units and aliases (an alias
    /// is checked under the name of the unit it leads to).
    #[arg(long, conflicts_with = "units")]
    all: bool,
    /// In the table: every unit check by check. Without it the table shows one unit that way and
    /// several (or --all) one line each, as systemd-analyze security does without a unit.
    #[arg(long)]
    detail: bool,
    /// Exit 1 when any unit's exposure is above N (0.0 to 10.0).
    #[arg(long, value_name = "N", value_parser = threshold)]
    threshold: Option<f64>,
    /// Print a drop-in that lowers each unit's exposure, with the exposure it predicts.
    #[arg(long)]
    suggest: bool,
    /// With --suggest: install the drop-in as /etc/systemd/system/UNIT.d/50-strata-harden.conf
    /// under --root.
    #[arg(long, requires = "suggest")]
    write: bool,
    /// Service units (`foo` means `foo.service`; `foo@.service` is checked as `foo@i.service`).
    #[arg(value_name = "UNIT", required_unless_present = "all", add = strata_core::complete::from_fn(unit_names))]
    units: Vec<String>,
}

fn threshold(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("not a number: {s}"))?;
    if (0.0..=10.0).contains(&v) { Ok(v) } else { Err(format!("{s} is not between 0.0 and 10.0")) }
}

pub fn command() -> clap::Command {
    Cli::command()
}

/// Shell completion of UNIT: the services `--all` would check, under the `--root` and in the
/// scope (`--user`) of the command line being completed.
fn unit_names(_typed: &str) -> Vec<String> {
    let root = strata_core::complete::option_value(None, Some("root")).unwrap_or_else(|| PathBuf::from("/"));
    let scope = if strata_core::complete::has_flag(None, Some("user")) { Scope::User } else { Scope::System };
    Root::open(&root, scope).map(|r| r.services()).unwrap_or_default()
}

/// The flags of the one form that changes something (--suggest --write), typed for the main body.
pub fn mutate(m: &clap::ArgMatches) -> anyhow::Result<Option<strata_core::cli::MutateArgs>> {
    Ok(Some(Cli::from_arg_matches(m)?.mutate))
}

/// One check of one unit.
#[derive(Debug, Clone, Serialize)]
pub struct CheckRecord {
    pub json_field: &'static str,
    pub name: &'static str,
    /// true: the setting is good; false: it is not; null: the check does not apply.
    pub set: Option<bool>,
    pub badness: Option<u64>,
    pub weight: u64,
    pub range: u64,
    /// This check's share of the exposure, as systemd-analyze prints it (null when none).
    pub exposure: Option<f64>,
    pub description: Option<String>,
}

/// The assessment of one unit.
#[derive(Debug, Clone, Serialize)]
pub struct UnitRecord {
    pub r#type: &'static str,
    pub unit: String,
    pub exposure: f64,
    pub rating: assess::Rating,
    pub fragment: String,
    pub dropins: Vec<String>,
    /// The fragment is a link the host resolves outside --root, read from there as systemd does.
    pub linked_outside_root: bool,
    pub checks: Vec<CheckRecord>,
    pub warnings: Vec<String>,
}

impl Record for UnitRecord {
    const KEY: &'static str = "unit";
    fn table_row(&self) -> Option<Vec<(&'static str, String)>> {
        Some(vec![
            ("unit", self.unit.clone()),
            ("exposure", format!("{:.1}", self.exposure)),
            ("predicate", self.rating.to_string()),
            ("happy", smiley(self.rating, emoji()).to_string()),
        ])
    }
}

/// The face systemd-analyze shows beside a rating: an emoji, or three ASCII characters.
pub fn smiley(rating: assess::Rating, emoji: bool) -> &'static str {
    use assess::Rating::*;
    match (rating, emoji) {
        (Perfect, true) => "😇",
        (Safe, true) => "😀",
        (Ok, true) => "🙂",
        (Medium, true) => "😐",
        (Exposed, true) => "🙁",
        (Unsafe, true) => "😨",
        (Dangerous, true) => "🤢",
        (Perfect, false) => ":-]",
        (Safe, false) => ":-}",
        (Ok, false) => ":-)",
        (Medium, false) => ":-|",
        (Exposed, false) => ":-(",
        (Unsafe, false) => ":-{",
        (Dangerous, false) => ":-[",
    }
}

/// Whether systemd-analyze would draw emoji here: a UTF-8 locale (or none set) and a terminal
/// that is neither `dumb` nor the Linux console.
pub fn emoji() -> bool {
    let term = std::env::var("TERM").unwrap_or_default();
    if matches!(term.as_str(), "dumb" | "linux") {
        return false;
    }
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"].iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    locale.is_none_or(|l| {
        let l = l.to_ascii_lowercase();
        l.contains("utf-8") || l.contains("utf8")
    })
}

/// A unit that could not be assessed.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorRecord {
    pub r#type: &'static str,
    pub unit: String,
    /// The file at fault, when one is.
    pub file: Option<String>,
    pub line: Option<u64>,
    pub error: String,
}

impl Record for ErrorRecord {
    const KEY: &'static str = "unit";
}

/// A suggested drop-in and what it predicts.
#[derive(Debug, Clone, Serialize)]
pub struct SuggestionRecord {
    pub r#type: &'static str,
    pub unit: String,
    pub exposure: f64,
    pub predicted_exposure: f64,
    pub predicted_rating: assess::Rating,
    /// Where --write puts it, inside the root.
    pub path: String,
    pub written: bool,
    pub dropin: String,
}

impl Record for SuggestionRecord {
    const KEY: &'static str = "path";
}

pub static UNIT_DOC: RecordDoc = RecordDoc {
    name: "unit",
    about: "The exposure of one service unit, check by check, as systemd-analyze security computes it.",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "Always \"unit\"." },
        FieldDoc {
            name: "unit",
            ty: "string",
            doc: "The unit name (a template is checked as its instance foo@i.service).",
        },
        FieldDoc { name: "exposure", ty: "number", doc: "Overall exposure, 0.0 (best) to 10.0 (worst), one decimal." },
        FieldDoc { name: "rating", ty: "string", doc: "PERFECT, SAFE, OK, MEDIUM, EXPOSED, UNSAFE or DANGEROUS." },
        FieldDoc { name: "fragment", ty: "string", doc: "The unit file, as a path inside --root." },
        FieldDoc {
            name: "dropins",
            ty: "array of strings",
            doc: "Drop-in files applied, in order, as paths inside --root.",
        },
        FieldDoc {
            name: "linked_outside_root",
            ty: "boolean",
            doc: "True when the unit file is a symbolic link that leads outside --root (a linked unit): it is read from where the host resolves the link, as systemd reads it, and no text of it is repeated in warnings or errors.",
        },
        FieldDoc {
            name: "checks",
            ty: "array of objects",
            doc: "One object per check: json_field and name (spelled as systemd-analyze --json spells them), set (true, false, or null when the check does not apply), badness (null when it does not apply), weight, range, exposure (the check's share, or null) and description.",
        },
        FieldDoc {
            name: "warnings",
            ty: "array of strings",
            doc: "Lines systemd would ignore with a warning (FILE:LINE: what).",
        },
    ],
};

pub static ERROR_DOC: RecordDoc = RecordDoc {
    name: "error",
    about: "A unit that could not be loaded (not found, masked, or a unit file systemd refuses).",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "Always \"error\"." },
        FieldDoc { name: "unit", ty: "string", doc: "The unit name." },
        FieldDoc { name: "file", ty: "string|null", doc: "The file at fault, as a path inside --root." },
        FieldDoc { name: "line", ty: "integer|null", doc: "The line at fault." },
        FieldDoc { name: "error", ty: "string", doc: "What is wrong." },
    ],
};

pub static SUGGESTION_DOC: RecordDoc = RecordDoc {
    name: "suggestion",
    about: "With --suggest: a sandboxing drop-in for the unit and the exposure it predicts.",
    fields: &[
        FieldDoc { name: "type", ty: "string", doc: "Always \"suggestion\"." },
        FieldDoc { name: "unit", ty: "string", doc: "The unit name." },
        FieldDoc { name: "exposure", ty: "number", doc: "The exposure now." },
        FieldDoc { name: "predicted_exposure", ty: "number", doc: "The exposure with the drop-in installed." },
        FieldDoc { name: "predicted_rating", ty: "string", doc: "The rating word of predicted_exposure." },
        FieldDoc { name: "path", ty: "string", doc: "Where --write installs it, inside --root." },
        FieldDoc { name: "written", ty: "boolean", doc: "True when --write installed it." },
        FieldDoc { name: "dropin", ty: "string", doc: "The drop-in's text." },
    ],
};

pub static DOC: ManDoc = ManDoc {
    examples: &[
        ("strata-harden-check redis-server", "The exposure of redis-server.service on this machine, check by check."),
        (
            "strata-harden-check --root ./image --all --threshold 5 --json",
            "CI over a directory of unit files: exit 1 when any service scores above 5.0.",
        ),
        (
            "strata-harden-check --suggest nginx",
            "Print a drop-in that lowers nginx's exposure, with the exposure it predicts.",
        ),
        (
            "strata-harden-check --suggest --write --root /mnt/new mariadb",
            "Install that drop-in as /mnt/new/etc/systemd/system/mariadb.service.d/50-strata-harden.conf.",
        ),
        (
            "strata-harden-check --all --security-policy ./policy.json",
            "One line per service, scored with the weights of a systemd-analyze security policy file.",
        ),
        (
            "strata-harden-check --profile ./strict.conf --root ./image --all",
            "The exposure every service would have with a portable profile's settings applied.",
        ),
    ],
    exit_status: &[
        (0, "Every unit was assessed and none is above --threshold."),
        (1, "Some unit's exposure is above --threshold."),
        (2, "A unit could not be assessed (its error record says why), or a usage error."),
    ],
    environment: &[],
    records: &[&UNIT_DOC, &ERROR_DOC, &SUGGESTION_DOC],
};

/// What assessing one unit gives.
pub enum Assessment {
    Unit(UnitRecord, Box<load::UnitFiles>, UnitText),
    Error(ErrorRecord),
}

/// A unit's files as read: the assignments of each file, in order, and apart from them the
/// lines systemd would ignore.
#[derive(Debug, Clone, Default)]
pub struct UnitText {
    /// Each file's path inside the root, with its assignments.
    pub files: Vec<(String, Vec<parse::Assignment>)>,
    /// Lines systemd would ignore with a warning (`FILE: line N: what`), in file order.
    pub warnings: Vec<String>,
}

const SECTIONS: &[&str] = &["Unit", "Service", "Install"];

/// Reads and parses the unit's files; an error record names the file and line at fault.
pub fn read_files(root: &Root, files: &load::UnitFiles) -> Result<UnitText, ErrorRecord> {
    let mut out = UnitText::default();
    let mut paths: Vec<(PathBuf, bool)> = std::iter::once(&files.fragment)
        .chain(&files.dropins)
        .map(|p| (load::host_path(&root.dir, p), false))
        .collect();
    let mut shown_paths: Vec<String> =
        std::iter::once(&files.fragment).chain(&files.dropins).map(|p| p.display().to_string()).collect();
    if let (Some(at), Some(profile)) = (files.profile_at, root.profile.as_ref()) {
        paths.insert(at + 1, (profile.clone(), true));
        shown_paths.insert(at + 1, profile.display().to_string());
    }
    for (i, ((host, _), shown)) in paths.iter().zip(shown_paths).enumerate() {
        // A linked unit outside the root may be any file of the host: nothing of it is repeated.
        let hidden = i == 0 && files.linked_outside_root;
        let parsed = read_file(host, &shown, hidden).map_err(|(line, error)| ErrorRecord {
            r#type: "error",
            unit: files.name.clone(),
            file: Some(shown.clone()),
            line,
            error,
        })?;
        let warnings = parsed.warnings.into_iter().map(|w| if hidden { hide(&w) } else { w });
        out.warnings.extend(warnings.map(|w| format!("{shown}: {w}")));
        out.files.push((shown, parsed.assignments));
    }
    Ok(out)
}

/// Reads and parses one file (`shown` is its path inside the root); the error is the line at
/// fault, if one is, and what is wrong, without the file's text when it is `hidden`.
fn read_file(host: &Path, shown: &str, hidden: bool) -> Result<parse::Parsed, (Option<u64>, String)> {
    let data = read_bounded(host).map_err(|e| (None, format!("cannot read {shown}: {e}")))?;
    parse::parse(&data, SECTIONS).map_err(|e| {
        let what = if hidden { format!("{} ({OUTSIDE})", e.without_content()) } else { e.to_string() };
        (Some(e.line() as u64), format!("{shown}: {what}"))
    })
}

const OUTSIDE: &str = "text not shown: the file is outside --root";

/// A warning about a file outside the root: where, not what.
fn hide(w: &str) -> String {
    let summary = w.split_once(' ').is_some_and(|(n, rest)| {
        n.parse::<usize>().is_ok() && rest == "more lines systemd would ignore are not listed"
    });
    if summary {
        return w.to_string();
    }
    let at: String =
        w.strip_prefix("line ").map(|r| r.chars().take_while(char::is_ascii_digit).collect()).unwrap_or_default();
    if at.is_empty() {
        format!("a line systemd ignores ({OUTSIDE})")
    } else {
        format!("line {at}: a line systemd ignores ({OUTSIDE})")
    }
}

/// A message about a setting (`FILE:LINE: KEY: what`) of a file outside the root: where, not what.
fn hide_setting(fragment: &str, msg: &str, what: &str) -> String {
    let line: String = msg
        .strip_prefix(fragment)
        .and_then(|r| r.strip_prefix(':'))
        .map(|r| r.chars().take_while(char::is_ascii_digit).collect())
        .unwrap_or_default();
    format!("{fragment}:{line}: {what} ({OUTSIDE})")
}

/// Reads a file of at most [`parse::MAX_FILE_BYTES`] (a larger one, or an endless one like a
/// device, is refused after reading one byte more).
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut data = Vec::new();
    fs::File::open(path)?.take(parse::MAX_FILE_BYTES + 1).read_to_end(&mut data)?;
    if data.len() as u64 > parse::MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!("larger than {} bytes", parse::MAX_FILE_BYTES)));
    }
    Ok(data)
}

/// Builds the unit record from parsed files.
pub fn evaluate(root: &Root, files: &load::UnitFiles, text: &UnitText) -> Result<UnitRecord, ErrorRecord> {
    let fragment = files.fragment.display().to_string();
    let names = context::Names { name: &files.name, fragment: &fragment };
    let info = context::build(&text.files, &names, root.scope);
    let hidden = |msg: &str, what: &str| {
        if files.linked_outside_root && msg.starts_with(&format!("{fragment}:")) {
            hide_setting(&fragment, msg, what)
        } else {
            msg.to_string()
        }
    };
    if let Some(why) = &info.fatal {
        return Err(ErrorRecord {
            r#type: "error",
            unit: files.name.clone(),
            file: Some(fragment.clone()),
            line: None,
            error: format!("fatal setting: {}", hidden(why, "a setting systemd refuses")),
        });
    }
    if let Some(why) = context::verify(&info) {
        return Err(ErrorRecord {
            r#type: "error",
            unit: files.name.clone(),
            file: Some(fragment),
            line: None,
            error: why.to_string(),
        });
    }
    let outcomes = assess::assess(&info, &root.policy);
    if let Some(why) = assess::unscorable(&outcomes) {
        return Err(ErrorRecord {
            r#type: "error",
            unit: files.name.clone(),
            file: None,
            line: None,
            error: format!("--security-policy: {why}"),
        });
    }
    let total = assess::exposure_tenths(&outcomes);
    let ws = assess::weight_sum(&outcomes);
    let checks = outcomes
        .iter()
        .map(|o| CheckRecord {
            json_field: o.check.json_field,
            name: o.check.name,
            set: o.badness.map(|b| b == 0),
            badness: o.badness,
            weight: o.weight,
            range: o.range,
            exposure: assess::check_exposure_tenths(o, ws).map(|t| t as f64 / 10.0),
            description: o.description.clone(),
        })
        .collect();
    let mut warnings = text.warnings.clone();
    warnings.extend(info.warnings.iter().map(|w| hidden(w, "a setting systemd ignores")));
    Ok(UnitRecord {
        r#type: "unit",
        unit: files.name.clone(),
        exposure: total as f64 / 10.0,
        rating: assess::rating(total),
        fragment,
        dropins: files.dropins.iter().map(|p| p.display().to_string()).collect(),
        linked_outside_root: files.linked_outside_root,
        checks,
        warnings,
    })
}

/// Assesses one unit under a root: never fails, a bad unit gives an error record.
pub fn assess_unit(root: &Root, name: &str) -> Assessment {
    let files = match root.unit(name) {
        Ok(f) => f,
        Err(e) => {
            return Assessment::Error(ErrorRecord {
                r#type: "error",
                unit: name.to_string(),
                file: None,
                line: None,
                error: e.to_string(),
            });
        }
    };
    let parsed = match read_files(root, &files) {
        Ok(p) => p,
        Err(e) => return Assessment::Error(e),
    };
    match evaluate(root, &files, &parsed) {
        Ok(rec) => Assessment::Unit(rec, Box::new(files), parsed),
        Err(e) => Assessment::Error(e),
    }
}

/// `foo` -> `foo.service`.
pub fn unit_name(arg: &str) -> String {
    if load::split_name(arg).is_some() { arg.to_string() } else { format!("{arg}.service") }
}

/// The service names `--all` checks: every non-template .service name under the root.
pub fn all_services(root: &Root) -> Vec<String> {
    root.services()
}

/// The table view of one unit, like systemd-analyze's.
pub fn render_table(rec: &UnitRecord, color: bool) -> String {
    use strata_core::anstyle::{AnsiColor, Style};
    let paint = |style: Style| {
        if color { (style.render().to_string(), style.render_reset().to_string()) } else { Default::default() }
    };
    let (green, reset) = paint(AnsiColor::Green.on_default().bold());
    let (red, _) = paint(AnsiColor::Red.on_default().bold());
    let (bold, _) = paint(Style::new().bold());
    let (green, red, bold, reset) = (green.as_str(), red.as_str(), bold.as_str(), reset.as_str());
    let clean = |s: &str| strata_core::sanitize::for_terminal(s).into_owned();
    let name_w = rec.checks.iter().map(|c| c.name.chars().count()).max().unwrap_or(4).max(4);
    let desc_w = rec
        .checks
        .iter()
        .map(|c| c.description.as_deref().map_or(0, |d| d.chars().count()))
        .max()
        .unwrap_or(11)
        .max(11);
    let mut s = format!("  {:<name_w$} {:<desc_w$} EXPOSURE\n", "NAME", "DESCRIPTION");
    for c in &rec.checks {
        let (mark, col) = match c.badness {
            None => (" ", ""),
            Some(0) => ("✓", green),
            Some(_) => ("✗", red),
        };
        let exp = c.exposure.map(|e| format!("{e:>8.1}")).unwrap_or_default();
        let line = format!(
            "{col}{mark}{reset} {:<name_w$} {:<desc_w$} {exp}",
            c.name,
            clean(c.description.as_deref().unwrap_or("")),
            reset = if col.is_empty() { "" } else { reset }
        );
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s.push_str(&format!(
        "\n→ {bold}Overall exposure level for {}{reset}: {:.1} {} {}\n",
        clean(&rec.unit),
        rec.exposure,
        rec.rating,
        smiley(rec.rating, emoji()),
        bold = bold,
        reset = if color { reset } else { "" }
    ));
    s
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx) -> anyhow::Result<Outcome> {
    let cli = Cli::from_arg_matches(m)?;
    let root = open_root(&cli, ctx)?;
    let names: Vec<String> =
        if cli.all { all_services(&root) } else { cli.units.iter().map(|u| unit_name(u)).collect() };
    let limit = cli.threshold.map(|t| (t * 10.0).round() as u64);
    let (mut above, mut failed) = (false, false);
    let table = ctx.out.format() == Format::Table;
    // One unit check by check, several one line each (the sink aligns them), as systemd-analyze.
    let detail = cli.detail || (!cli.all && names.len() == 1);
    // With --suggest: the drop-in itself unless records were asked for (--json, --format json|csv).
    let as_text = !ctx.format_given || matches!(ctx.out.format(), Format::Table | Format::Plain);
    let mut first = true;
    for name in &names {
        match assess_unit(&root, name) {
            Assessment::Error(e) => {
                failed = true;
                report_error(ctx, table, &e)?;
            }
            Assessment::Unit(rec, files, text) => {
                let t = (rec.exposure * 10.0).round() as u64;
                if limit.is_some_and(|l| t > l) {
                    above = true;
                }
                if cli.suggest {
                    if !show_suggestion(ctx, &cli, &root, (&rec, &files, &text), as_text, first)? {
                        failed = true;
                    }
                } else if table && detail {
                    if !first {
                        ctx.out.write_text("\n")?;
                    }
                    ctx.out.write_text(&render_table(&rec, ctx.color))?;
                } else {
                    ctx.out.write(&rec)?;
                }
                first = false;
            }
        }
    }
    if failed {
        return Ok(Outcome::Code(strata_core::exit::ERROR));
    }
    Ok(Outcome::negative_if(above))
}

/// The --root asked for (with --user and --profile), its warnings on stderr.
fn open_root(cli: &Cli, ctx: &Ctx) -> anyhow::Result<Root> {
    let scope = if cli.user { Scope::User } else { Scope::System };
    if !cli.root.is_dir() {
        return Err(
            strata_core::exit::ExitError::usage(format!("--root {}: not a directory", cli.root.display())).into()
        );
    }
    let mut root = Root::open(&cli.root, scope)
        .with_context(|| format!("reading the unit directories under {}", cli.root.display()))?;
    if let Some(p) = &cli.profile {
        root.profile = Some(find_profile(p)?);
    }
    if let Some(p) = &cli.security_policy {
        root.policy = policy::Policy::read(p).map_err(|e| strata_core::exit::ExitError::usage(e.to_string()))?;
    }
    for w in &root.warnings {
        let _ = writeln!(std::io::stderr().lock(), "{}: warning: {}", ctx.tool, strata_core::sanitize::for_terminal(w));
    }
    Ok(root)
}

/// --suggest for one assessed unit: its drop-in, installed with --write, shown as text or as a
/// record. False when it could not be installed (the error is reported).
fn show_suggestion(
    ctx: &mut Ctx,
    cli: &Cli,
    root: &Root,
    (rec, files, text): (&UnitRecord, &load::UnitFiles, &UnitText),
    as_text: bool,
    first: bool,
) -> anyhow::Result<bool> {
    let s = suggest::suggest(root, files, &text.files, rec)?;
    // A drop-in that adds nothing is not installed.
    if cli.write && s.install && ctx.dry_run() {
        ctx.runner.show_change(&format!("install {}", s.path))?;
    }
    let written = if cli.write && !ctx.dry_run() && s.install {
        if let Err(e) = install::install(&cli.root, Path::new(&s.path), s.text.as_bytes()) {
            let e = ErrorRecord {
                r#type: "error",
                unit: rec.unit.clone(),
                file: Some(s.path.clone()),
                line: None,
                error: format!("installing {}: {e}", s.path),
            };
            report_error(ctx, as_text, &e)?;
            return Ok(false);
        }
        true
    } else {
        false
    };
    let srec = SuggestionRecord {
        r#type: "suggestion",
        unit: rec.unit.clone(),
        exposure: rec.exposure,
        predicted_exposure: s.predicted_tenths as f64 / 10.0,
        predicted_rating: assess::rating(s.predicted_tenths),
        path: s.path.clone(),
        written,
        dropin: s.text.clone(),
    };
    if as_text {
        if !first {
            ctx.out.write_text("\n")?;
        }
        // The drop-in itself: plain text by design (a file for systemd), not a record.
        ctx.out.write_text(&format!("# {}\n", s.path))?;
        ctx.out.write_text(&s.text)?;
        if written {
            ctx.info(format_args!("installed {}", s.path));
        }
    } else {
        ctx.out.write(&srec)?;
    }
    Ok(true)
}

/// A unit that failed: always a line on stderr (even with --quiet, so a cron or CI log says why
/// beside the exit status), and in the records too unless they are text for people.
fn report_error(ctx: &mut Ctx, text_only: bool, e: &ErrorRecord) -> anyhow::Result<()> {
    ctx.error(format_args!(
        "{}: {}",
        strata_core::sanitize::for_terminal(&e.unit),
        strata_core::sanitize::for_terminal(&e.error)
    ));
    if !text_only {
        ctx.out.write(e)?;
    }
    Ok(())
}

/// A profile path, or a profile name looked up where systemd looks for portable profiles.
fn find_profile(p: &Path) -> anyhow::Result<PathBuf> {
    if p.as_os_str().to_string_lossy().contains('/') {
        fs::metadata(p).with_context(|| format!("--profile {}", p.display()))?;
        return Ok(p.to_path_buf());
    }
    for dir in ["/etc/systemd/portable/profile", "/run/systemd/portable/profile", "/usr/lib/systemd/portable/profile"] {
        let f = Path::new(dir).join(p).join("service.conf");
        if f.is_file() {
            return Ok(f);
        }
    }
    Err(strata_core::exit::ExitError::usage(format!("--profile {}: no such portable profile", p.display())).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_match_their_docs() {
        let u = UnitRecord {
            r#type: "unit",
            unit: "a.service".into(),
            exposure: 9.6,
            rating: assess::Rating::Unsafe,
            fragment: "/etc/systemd/system/a.service".into(),
            dropins: vec![],
            linked_outside_root: false,
            checks: vec![],
            warnings: vec![],
        };
        strata_core::doc::check_fields(&UNIT_DOC, &u);
        let e = ErrorRecord { r#type: "error", unit: "a.service".into(), file: None, line: None, error: "x".into() };
        strata_core::doc::check_fields(&ERROR_DOC, &e);
        let s = SuggestionRecord {
            r#type: "suggestion",
            unit: "a.service".into(),
            exposure: 9.6,
            predicted_exposure: 4.0,
            predicted_rating: assess::Rating::Ok,
            path: "/etc/systemd/system/a.service.d/50-strata-harden.conf".into(),
            written: false,
            dropin: String::new(),
        };
        strata_core::doc::check_fields(&SUGGESTION_DOC, &s);
    }

    #[test]
    fn user_units_come_from_user_directories() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("usr/lib/systemd/user");
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("u.service"), "[Service]\nExecStart=/bin/true\n").unwrap();
        let root = Root::open(dir.path(), Scope::User).unwrap();
        let Assessment::Unit(rec, ..) = assess_unit(&root, "u.service") else { panic!("not assessed") };
        let keyring = rec.checks.iter().find(|c| c.json_field == "KeyringMode").unwrap();
        assert_eq!(keyring.badness, Some(1));
        let system = Root::open(dir.path(), Scope::System).unwrap();
        assert!(matches!(assess_unit(&system, "u.service"), Assessment::Error(_)));
    }

    #[test]
    fn parser_warnings_are_apart_from_the_assignments() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("etc/systemd/system");
        fs::create_dir_all(d.join("u.service.d")).unwrap();
        fs::write(d.join("u.service"), "[Service]\nExecStart=/bin/true\nno equals sign\n[Bogus]\nX=1\n").unwrap();
        fs::write(d.join("u.service.d/a.conf"), "Orphan=1\n[Service]\nUser=u\n").unwrap();
        let root = Root::open(dir.path(), Scope::System).unwrap();
        let Assessment::Unit(rec, _, text) = assess_unit(&root, "u.service") else { panic!("not assessed") };
        for (file, assignments) in &text.files {
            for a in assignments {
                assert!(SECTIONS.contains(&a.section.as_str()), "{file}: {a:?}");
            }
        }
        let expected = [
            "/etc/systemd/system/u.service: line 3: missing '=', ignoring line",
            "/etc/systemd/system/u.service: line 4: unknown section 'Bogus', ignoring",
            "/etc/systemd/system/u.service.d/a.conf: line 1: assignment outside of section, ignoring",
        ];
        assert_eq!(text.warnings, expected);
        assert_eq!(rec.warnings, expected);
    }

    #[test]
    fn hidden_messages_keep_where_and_drop_what() {
        assert_eq!(
            hide("line 7: unknown section 'k3y', ignoring"),
            format!("line 7: a line systemd ignores ({OUTSIDE})")
        );
        assert_eq!(
            hide("3 more lines systemd would ignore are not listed"),
            "3 more lines systemd would ignore are not listed"
        );
        assert_eq!(hide("k3y"), format!("a line systemd ignores ({OUTSIDE})"));
        assert_eq!(
            hide_setting("/etc/u.service", "/etc/u.service:12: User: bad k3y", "a setting"),
            format!("/etc/u.service:12: a setting ({OUTSIDE})")
        );
    }

    #[test]
    fn cli_is_consistent() {
        command().debug_assert();
    }
}
