//! `--security-policy FILE`: the JSON policy of `systemd-analyze security --security-policy=`,
//! which changes the weight, range and descriptions of chosen checks.
//!
//! The file is one JSON object whose keys are the checks' `json_field`s (`PrivateDevices`,
//! `CapabilityBoundingSet_CAP_SYS_ADMIN`, ...), each an object with any of `weight`, `range`
//! (unsigned integers), `description_good`, `description_bad` and `description_na` (strings).
//! systemd-analyze ignores what it does not understand, silently; here anything it would ignore
//! is an error naming the file and the field, so a typo never passes for a policy.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::assess::{self, Check};

/// The largest weight or range a policy may give (so no sum of them can overflow).
pub const MAX_VALUE: u64 = 1_000_000_000;

/// The largest policy file read.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// What a policy says about one check; `None` keeps systemd's built-in value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    pub weight: Option<u64>,
    pub range: Option<u64>,
    pub description_good: Option<String>,
    pub description_bad: Option<String>,
    pub description_na: Option<String>,
}

/// A security policy: the checks it changes, by `json_field`. The default changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    items: HashMap<&'static str, Item>,
}

/// A policy file that cannot be used, and where.
#[derive(Debug, thiserror::Error)]
#[error("--security-policy {file}: {what}")]
pub struct PolicyError {
    pub file: String,
    pub what: String,
}

const FIELDS: &[&str] = &["weight", "range", "description_good", "description_bad", "description_na"];

impl Policy {
    /// Reads and checks a policy file.
    pub fn read(path: &Path) -> Result<Policy, PolicyError> {
        let file = path.display().to_string();
        let err = |what: String| PolicyError { file: file.clone(), what };
        let mut data = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut data))
            .map_err(|e| err(format!("cannot read it: {e}")))?;
        if data.len() as u64 > MAX_FILE_BYTES {
            return Err(err(format!("larger than {MAX_FILE_BYTES} bytes")));
        }
        Policy::parse(&data).map_err(err)
    }

    /// Parses a policy's text; the error names the field at fault.
    pub fn parse(data: &[u8]) -> Result<Policy, String> {
        let value: Value = serde_json::from_slice(data)
            .map_err(|e| format!("line {} column {}: not JSON: {e}", e.line(), e.column()))?;
        let Value::Object(top) = value else {
            return Err(format!("the policy is a JSON {}, not an object of checks", kind(&value)));
        };
        let mut items = HashMap::new();
        for (id, v) in &top {
            let shown = strata_core::sanitize::for_terminal(id);
            let check = assess::checks().iter().find(|c| c.json_field == id).ok_or_else(|| {
                format!("\"{shown}\": no such check (the keys are the json_field names systemd-analyze --json prints, e.g. PrivateDevices)")
            })?;
            let Value::Object(fields) = v else {
                return Err(format!("{shown}: a JSON {}, not an object", kind(v)));
            };
            let mut item = Item::default();
            for (field, v) in fields {
                let at = format!("{shown}.{}", strata_core::sanitize::for_terminal(field));
                match field.as_str() {
                    "weight" => item.weight = Some(number(&at, v)?),
                    "range" => {
                        let range = number(&at, v)?;
                        if range == 0 {
                            return Err(format!("{at}: 0, but a range is at least 1"));
                        }
                        item.range = Some(range);
                    }
                    "description_good" => item.description_good = Some(text(&at, v)?),
                    "description_bad" => item.description_bad = Some(text(&at, v)?),
                    "description_na" => item.description_na = Some(text(&at, v)?),
                    _ => return Err(format!("{at}: no such field (the fields are {})", FIELDS.join(", "))),
                }
            }
            items.insert(check.json_field, item);
        }
        Ok(Policy { items })
    }

    fn item(&self, check: &Check) -> Option<&Item> {
        self.items.get(check.json_field)
    }

    /// The check's weight under this policy (0: the check is left out).
    pub fn weight(&self, check: &Check) -> u64 {
        self.item(check).and_then(|i| i.weight).unwrap_or(check.weight)
    }

    /// The check's range under this policy.
    pub fn range(&self, check: &Check) -> u64 {
        self.item(check).and_then(|i| i.range).unwrap_or(check.range)
    }

    /// The policy's description of a good, bad or inapplicable setting, if it has one.
    pub fn good(&self, check: &Check) -> Option<&str> {
        self.item(check).and_then(|i| i.description_good.as_deref())
    }

    pub fn bad(&self, check: &Check) -> Option<&str> {
        self.item(check).and_then(|i| i.description_bad.as_deref())
    }

    pub fn na(&self, check: &Check) -> Option<&str> {
        self.item(check).and_then(|i| i.description_na.as_deref())
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn number(at: &str, v: &Value) -> Result<u64, String> {
    let n = v.as_u64().ok_or_else(|| format!("{at}: {v} is not an unsigned integer"))?;
    if n > MAX_VALUE {
        return Err(format!("{at}: {n} is larger than {MAX_VALUE}"));
    }
    Ok(n)
}

fn text(at: &str, v: &Value) -> Result<String, String> {
    v.as_str().map(str::to_string).ok_or_else(|| format!("{at}: a JSON {}, not a string", kind(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Policy::parse(text.as_bytes()).unwrap_err()
    }

    #[test]
    fn a_policy_changes_only_what_it_names() {
        let p =
            Policy::parse(br#"{"PrivateDevices": {"weight": 0, "description_bad": "b"}, "PrivateTmp": {"range": 4}}"#)
                .unwrap();
        let check = |f: &str| assess::checks().iter().find(|c| c.json_field == f).unwrap();
        assert_eq!(p.weight(check("PrivateDevices")), 0);
        assert_eq!(p.range(check("PrivateDevices")), check("PrivateDevices").range);
        assert_eq!(p.bad(check("PrivateDevices")), Some("b"));
        assert_eq!(p.good(check("PrivateDevices")), None);
        assert_eq!(p.range(check("PrivateTmp")), 4);
        assert_eq!(p.weight(check("PrivateTmp")), check("PrivateTmp").weight);
        assert_eq!(p.weight(check("ProtectHome")), check("ProtectHome").weight);
        assert_eq!(Policy::parse(b"{}").unwrap(), Policy::default());
    }

    #[test]
    fn every_mistake_names_its_field() {
        assert!(err("{\"PrivateTmp\": {\"weight\": 1,}}").starts_with("line 1 column "), "{}", err("{,}"));
        assert_eq!(err("[]"), "the policy is a JSON array, not an object of checks");
        assert!(err(r#"{"PrivateTmpp": {}}"#).starts_with("\"PrivateTmpp\": no such check"));
        assert_eq!(err(r#"{"PrivateTmp": 3}"#), "PrivateTmp: a JSON number, not an object");
        assert_eq!(err(r#"{"PrivateTmp": {"weight": "x"}}"#), "PrivateTmp.weight: \"x\" is not an unsigned integer");
        assert_eq!(err(r#"{"PrivateTmp": {"weight": -1}}"#), "PrivateTmp.weight: -1 is not an unsigned integer");
        assert_eq!(err(r#"{"PrivateTmp": {"weight": 1.5}}"#), "PrivateTmp.weight: 1.5 is not an unsigned integer");
        assert_eq!(err(r#"{"PrivateTmp": {"range": 0}}"#), "PrivateTmp.range: 0, but a range is at least 1");
        assert_eq!(
            err(r#"{"PrivateTmp": {"weight": 18446744073709551615}}"#),
            "PrivateTmp.weight: 18446744073709551615 is larger than 1000000000"
        );
        assert_eq!(
            err(r#"{"PrivateTmp": {"description_na": 1}}"#),
            "PrivateTmp.description_na: a JSON number, not a string"
        );
        assert!(err(r#"{"PrivateTmp": {"wieght": 1}}"#).starts_with("PrivateTmp.wieght: no such field"));
        // A hostile key is named without its escape sequences.
        assert!(
            err("{\"\\u001b[2J\": {}}").starts_with("\"\\x1b[2J\": no such check"),
            "{}",
            err("{\"\\u001b[2J\": {}}")
        );
    }
}
