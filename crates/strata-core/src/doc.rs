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

/// Exit codes every tool shares.
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
}
