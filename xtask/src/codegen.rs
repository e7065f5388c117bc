//! Man pages and completions, generated from the same `clap::Command` every binary parses with.
//! `--check` (and the test below) fails when the committed files are stale.

use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::Command;
use clap_complete::Shell;
use roff::{Roff, bold, italic, roman};
use strata_core::doc::{COMMON_ENVIRONMENT, COMMON_EXIT_STATUS, ManDoc};

/// Every generated file: (path relative to the workspace root, content).
pub fn files() -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for (name, cmd, doc) in strata_cli::binaries() {
        out.push((format!("man/{name}.1"), man_page(cmd.clone(), doc)?));
        for (shell, file) in [
            (Shell::Bash, format!("{name}.bash")),
            (Shell::Zsh, format!("_{name}")),
            (Shell::Fish, format!("{name}.fish")),
        ] {
            let mut buf = Vec::new();
            let mut c = cmd.clone();
            clap_complete::generate(shell, &mut c, name, &mut buf);
            out.push((format!("completions/{file}"), buf));
        }
    }
    Ok(out)
}

pub fn run(root: &Path, check: bool) -> Result<()> {
    let mut stale = Vec::new();
    for (rel, content) in files()? {
        let path = root.join(&rel);
        let same = std::fs::read(&path).is_ok_and(|old| old == content);
        if same {
            continue;
        }
        if check {
            stale.push(rel);
        } else {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, content).with_context(|| format!("write {}", path.display()))?;
            eprintln!("xtask: wrote {rel}");
        }
    }
    if !stale.is_empty() {
        bail!("generated files are stale, run `cargo xtask gen`: {}", stale.join(", "));
    }
    Ok(())
}

fn man_page(cmd: Command, doc: &ManDoc) -> Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone())
        .date("")
        .source(format!("strata {}", env!("CARGO_PKG_VERSION")))
        .manual("strata manual");
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;
    let subs: Vec<&Command> = cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help").collect();
    if !subs.is_empty() {
        // One page per binary: the subcommands and their own options are described here.
        let mut r = Roff::new();
        r.control("SH", ["SUBCOMMANDS"]);
        for sub in &subs {
            r.control("TP", []);
            r.text([bold(format!("{} {}", cmd.get_name(), sub.get_name()))]);
            if let Some(about) = sub.get_about() {
                r.text([roman(about.to_string())]);
            }
        }
        buf.extend(r.render().into_bytes());
        for sub in subs {
            let mut r = Roff::new();
            r.control("SH", [format!("{} {}", cmd.get_name(), sub.get_name()).to_uppercase().as_str()]);
            if let Some(about) = sub.get_long_about().or(sub.get_about()) {
                r.text([roman(about.to_string())]);
            }
            for arg in sub.get_arguments().filter(|a| !a.is_hide_set() && !a.is_global_set()) {
                let mut head = Vec::new();
                if let Some(s) = arg.get_short() {
                    head.push(bold(format!("-{s}")));
                    if arg.get_long().is_some() {
                        head.push(roman(", "));
                    }
                }
                if let Some(l) = arg.get_long() {
                    head.push(bold(format!("--{l}")));
                }
                if arg.get_long().is_none() && arg.get_short().is_none() {
                    let v = arg
                        .get_value_names()
                        .and_then(|v| v.first().map(|s| s.to_string()))
                        .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
                    head.push(italic(v));
                } else if arg.get_action().takes_values() {
                    let v = arg
                        .get_value_names()
                        .and_then(|v| v.first().map(|s| s.to_string()))
                        .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
                    // An optional value must be attached (`--lock[=PATH]`): say so, as clap's help does.
                    let optional = arg.get_num_args().is_some_and(|n| n.min_values() == 0);
                    if optional && arg.is_require_equals_set() {
                        head.push(roman("[="));
                        head.push(italic(v));
                        head.push(roman("]"));
                    } else {
                        head.push(roman(" "));
                        head.push(italic(v));
                    }
                }
                r.control("TP", []);
                r.text(head);
                if let Some(h) = arg.get_long_help().or(arg.get_help()) {
                    r.text([roman(h.to_string())]);
                }
            }
            buf.extend(r.render().into_bytes());
        }
    }
    let mut r = Roff::new();
    if !doc.records.is_empty() {
        r.control("SH", ["RECORDS"]);
        r.text([roman(
            "Records are newline-delimited JSON objects (one per line; --format json). The same fields feed --format csv and the table view. Every field is always present (null when unknown); new fields may be added, so readers should ignore fields they do not know.",
        )]);
        for rec in doc.records {
            r.control("SS", [format!("{} records", rec.name).as_str()]);
            r.text([roman(rec.about)]);
            for f in rec.fields {
                r.control("TP", []);
                r.text([bold(f.name), roman(" ("), italic(f.ty), roman(")")]);
                r.text([roman(f.doc)]);
            }
        }
    }
    r.control("SH", ["EXIT STATUS"]);
    let mut codes: Vec<(u8, &str)> = COMMON_EXIT_STATUS.to_vec();
    for &(c, d) in doc.exit_status {
        match codes.iter_mut().find(|(k, _)| *k == c) {
            Some(slot) => slot.1 = d,
            None => codes.push((c, d)),
        }
    }
    codes.sort_by_key(|(c, _)| *c);
    for (c, d) in codes {
        r.control("TP", []);
        r.text([bold(c.to_string())]);
        r.text([roman(d)]);
    }
    r.control("SH", ["ENVIRONMENT"]);
    for (k, v) in COMMON_ENVIRONMENT.iter().chain(doc.environment) {
        r.control("TP", []);
        r.text([bold(*k)]);
        r.text([roman(*v)]);
    }
    if !doc.examples.is_empty() {
        r.control("SH", ["EXAMPLES"]);
        for (cmdline, what) in doc.examples {
            r.control("TP", []);
            r.text([roman(*what)]);
            r.control("nf", []);
            r.control("RS", ["4"]);
            r.text([bold(*cmdline)]);
            r.control("RE", []);
            r.control("fi", []);
        }
    }
    r.control("SH", ["SEE ALSO"]);
    let see: Vec<String> = strata_cli::binaries()
        .iter()
        .map(|(n, _, _)| format!("{n}(1)"))
        .filter(|s| !s.starts_with(&format!("{}(", cmd.get_name())))
        .collect();
    r.text([roman(format!("{}, zfs(8), jq(1)", see.join(", ")))]);
    buf.extend(r.render().into_bytes());
    man.render_version_section(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    /// The committed man pages and completions are what `cargo xtask gen` writes now.
    #[test]
    fn generated_files_are_fresh() {
        super::run(&crate::root(), true).unwrap();
    }
}
