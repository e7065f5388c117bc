//! What a tool tells its man page beyond `--help`: examples, exit status, environment, and the
//! fields of the records it prints. Record types keep their field list next to their definition;
//! [`check_fields`] makes a test fail when the two drift apart.

use serde::Serialize;

/// One field of a record, for the man page.
#[derive(Debug, Clone, Copy)]
pub struct FieldDoc {
    pub name: &'static str,
    pub ty: &'static str,
    pub doc: &'static str,
}

/// A record type, for the man page.
#[derive(Debug, Clone, Copy)]
pub struct RecordDoc {
    /// The value of its `type` field.
    pub name: &'static str,
    pub about: &'static str,
    pub fields: &'static [FieldDoc],
}

/// The man page's extra sections for one binary.
#[derive(Debug, Clone, Copy)]
pub struct ManDoc {
    /// (command line, what it does)
    pub examples: &'static [(&'static str, &'static str)],
    /// Exit codes beyond the common ones, or a tool's own meaning of 1.
    pub exit_status: &'static [(u8, &'static str)],
    pub environment: &'static [(&'static str, &'static str)],
    /// The records on stdout (and those read from stdin).
    pub records: &'static [&'static RecordDoc],
}

impl ManDoc {
    pub const EMPTY: ManDoc = ManDoc { examples: &[], exit_status: &[], environment: &[], records: &[] };
}

/// Exit codes every tool shares ([`crate::exit::COMMON`]), and 75 for the tools with `--lock`.
pub const COMMON_EXIT_STATUS: &[(u8, &str)] = &[
    (
        crate::exit::SUCCESS,
        "Success. A pipe nobody reads any more (e.g. `| head -1`) ends the output quietly; the command still runs to its end and its exit status stays its answer.",
    ),
    (
        crate::exit::ERROR,
        "An error or a usage mistake; the message on standard error says what and where. Nothing was destroyed or half-written, unless the message says the command ran to its end and only writing its output failed.",
    ),
    (crate::exit::LOCKED, "Another run holds the lock given with --lock."),
    (crate::exit::INTERRUPTED, "Interrupted."),
];

/// True when `cmd` or one of its subcommands takes [`crate::cli::MutateArgs`] (so `--lock`).
pub fn has_mutate_args(cmd: &clap::Command) -> bool {
    use clap::Args;
    let ids: Vec<clap::Id> = crate::cli::MutateArgs::augment_args(clap::Command::new("m"))
        .get_arguments()
        .map(|a| a.get_id().clone())
        .collect();
    let takes = |c: &clap::Command| ids.iter().all(|id| c.get_arguments().any(|a| a.get_id() == id));
    takes(cmd) || cmd.get_subcommands().any(has_mutate_args)
}

/// The exit codes of a tool's man page, in order: the common ones (75 only when `cmd` has
/// `--lock`), each replaced or joined by the tool's own [`ManDoc::exit_status`].
pub fn exit_status(doc: &ManDoc, cmd: &clap::Command) -> Vec<(u8, &'static str)> {
    let lock = has_mutate_args(cmd);
    let mut codes: Vec<(u8, &'static str)> =
        COMMON_EXIT_STATUS.iter().copied().filter(|&(c, _)| lock || c != crate::exit::LOCKED).collect();
    for &(c, d) in doc.exit_status {
        match codes.iter_mut().find(|(k, _)| *k == c) {
            Some(slot) => slot.1 = d,
            None => codes.push((c, d)),
        }
    }
    codes.sort_by_key(|(c, _)| *c);
    codes
}

/// Environment variables every tool honours.
pub const COMMON_ENVIRONMENT: &[(&str, &str)] = &[
    ("NO_COLOR", "When set to a non-empty value, no colour is used (unless --color=always)."),
    ("STRATA_NOW", "An RFC 3339 time used instead of the system clock (reproducible runs and tests)."),
    ("PATH", "Where zfs, ssh and the other programs strata runs are looked up."),
];

/// Panics when the example record's serialized keys differ from the documented fields: a test
/// helper for each record type, so the man page never lies about the JSON.
pub fn check_fields<T: Serialize>(doc: &RecordDoc, example: &T) {
    let value = serde_json::to_value(example).expect("record serializes");
    let keys: Vec<&str> = value.as_object().expect("record is an object").keys().map(String::as_str).collect();
    let documented: Vec<&str> = doc.fields.iter().map(|f| f.name).collect();
    assert_eq!(keys, documented, "fields of record {:?} and its documentation differ", doc.name);
    assert_eq!(value["type"], doc.name, "the type field of {:?}", doc.name);
    for f in doc.fields {
        if value[f.name].is_null() {
            assert!(
                is_nullable(f),
                "field {:?} of record {:?} is null in the example but documented as {:?}, not \"...|null\"",
                f.name,
                doc.name,
                f.ty
            );
        }
    }
}

/// Like [`check_fields`], for an example whose every optional value is `None`: the fields that
/// are null in it are exactly those documented `TYPE|null`.
pub fn check_nullable<T: Serialize>(doc: &RecordDoc, example_with_nones: &T) {
    check_fields(doc, example_with_nones);
    let value = serde_json::to_value(example_with_nones).expect("record serializes");
    for f in doc.fields {
        if is_nullable(f) {
            assert!(
                value[f.name].is_null(),
                "field {:?} of record {:?} is documented {:?} but is not null in the example with every None",
                f.name,
                doc.name,
                f.ty
            );
        }
    }
}

/// A field documented as possibly null: its type reads `TYPE|null`.
pub fn is_nullable(f: &FieldDoc) -> bool {
    f.ty.ends_with("|null")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Rec {
        r#type: &'static str,
        name: String,
        size_bytes: Option<u64>,
    }

    static DOC: RecordDoc = RecordDoc {
        name: "rec",
        about: "",
        fields: &[
            FieldDoc { name: "type", ty: "string", doc: "" },
            FieldDoc { name: "name", ty: "string", doc: "" },
            FieldDoc { name: "size_bytes", ty: "integer", doc: "" },
        ],
    };

    #[test]
    #[should_panic(expected = "is null in the example but documented as \"integer\"")]
    fn a_field_that_can_be_null_must_be_documented_so() {
        check_fields(&DOC, &Rec { r#type: "rec", name: "a".into(), size_bytes: None });
    }

    #[test]
    fn exit_status_lists_75_only_with_lock() {
        #[derive(clap::Parser)]
        struct WithLock {
            #[command(flatten)]
            m: crate::cli::MutateArgs,
        }
        #[derive(clap::Parser)]
        struct Without {
            #[arg(long)]
            x: bool,
        }
        use clap::CommandFactory;
        let codes =
            |cmd: &clap::Command| exit_status(&ManDoc::EMPTY, cmd).into_iter().map(|(c, _)| c).collect::<Vec<_>>();
        assert_eq!(codes(&WithLock::command()), [0, 2, 75, 130]);
        assert_eq!(codes(&Without::command()), [0, 2, 130]);
        let sub = clap::Command::new("t").subcommand(WithLock::command().name("apply"));
        assert!(has_mutate_args(&sub));
    }
}

/// The `Examples:` paragraph of `--help`: the first two of the man page's examples that use
/// `sub` (a subcommand's name; `None` for the tool itself, which shows its first two).
/// `tool` is the binary's name; an example may spell it `strata-x` or `strata x`.
pub fn help_examples(doc: &ManDoc, tool: &str, sub: Option<&str>) -> Option<String> {
    let short = tool.strip_prefix("strata-").unwrap_or(tool);
    let uses = |cmdline: &str| {
        let Some(sub) = sub else { return true };
        let words: Vec<&str> = cmdline.split_whitespace().collect();
        words.windows(2).any(|w| w[0] == tool && w[1] == sub)
            || words.windows(3).any(|w| w[0] == "strata" && w[1] == short && w[2] == sub)
    };
    let chosen: Vec<&(&str, &str)> = doc.examples.iter().filter(|(c, _)| uses(c)).take(2).collect();
    if chosen.is_empty() {
        return None;
    }
    let mut s = String::from("Examples:");
    for (cmdline, what) in chosen {
        s.push_str(&format!("\n  {what}\n    $ {cmdline}"));
    }
    s.push_str(&format!("\n\nMore examples, the records and the exit codes: man {tool}"));
    Some(s)
}

#[cfg(test)]
mod help_tests {
    use super::*;

    const DOC: ManDoc = ManDoc {
        examples: &[
            ("strata-x list -r tank", "List."),
            ("strata x make tank/a", "Make one."),
            ("*/5 * * * * root strata-x make -r tank", "From cron."),
            ("strata-x make tank/b", "A third make."),
        ],
        exit_status: &[],
        environment: &[],
        records: &[],
    };

    #[test]
    fn help_examples_pick_the_first_two_of_the_subcommand() {
        let top = help_examples(&DOC, "strata-x", None).unwrap();
        assert!(top.contains("$ strata-x list -r tank") && top.contains("$ strata x make tank/a"), "{top}");
        let make = help_examples(&DOC, "strata-x", Some("make")).unwrap();
        assert!(make.contains("$ strata x make tank/a") && make.contains("root strata-x make -r tank"), "{make}");
        assert!(!make.contains("tank/b") && !make.contains("list"), "{make}");
        assert!(help_examples(&DOC, "strata-x", Some("gone")).is_none());
        assert!(help_examples(&ManDoc::EMPTY, "strata-x", None).is_none());
    }
}
