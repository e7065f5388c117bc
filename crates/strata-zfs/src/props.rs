//! Reading the policy properties of datasets with their sources, safely.
//!
//! The values are user properties, settable by a delegated user on their own datasets and
//! inherited below, so no value may ever be read as a row or a field (see [`crate::listing`]):
//!
//! - OpenZFS 2.3 and later: `zfs list -j -p -t filesystem,volume -o name,PROPS` (JSON: values are
//!   escaped strings, sources are objects);
//! - older: the datasets from a names-only `zfs list -H -o name` (ZFS names hold no tab or newline),
//!   then one `zfs get -H -p -o name,property,source,value PROPS` whose lines are proven: each names
//!   a listed dataset and one of the properties, each pair exactly once, the value last (a tab stays
//!   inside it). A newline in a value adds a line, so the proof fails; then each dataset is asked on
//!   its own, and a dataset whose own answer still fails is left out and reported with the reason.

use std::collections::{HashMap, HashSet};

use strata_core::runner::{Cmd, Runner};

use crate::listing::{BadDataset, ListError, has_json};
use crate::policy::{DatasetProps, POLICY_PROPERTIES, Prop, Source};
use crate::table::ParseError;
use crate::zfs_read;

/// The datasets with their policy properties, in `zfs list` order, and those left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PropListing {
    pub datasets: Vec<DatasetProps>,
    pub bad: Vec<BadDataset>,
}

fn scoped(cmd: Cmd, datasets: &[String], recursive: bool) -> Cmd {
    if recursive { cmd.arg("-r").args(datasets) } else { cmd.args(datasets) }
}

/// `zfs list -H -o name -t filesystem,volume [-r] DATASET...`: names only.
pub fn names_command(datasets: &[String], recursive: bool) -> Cmd {
    scoped(zfs_read().args(["list", "-H", "-o", "name", "-t", "filesystem,volume"]), datasets, recursive)
}

/// `zfs get -H -p -t filesystem,volume -o name,property,source,value PROPS [-r] DATASET...`.
pub fn get_command(datasets: &[String], recursive: bool) -> Cmd {
    scoped(
        zfs_read()
            .args(["get", "-H", "-p", "-t", "filesystem,volume", "-o", "name,property,source,value"])
            .arg(POLICY_PROPERTIES.join(",")),
        datasets,
        recursive,
    )
}

/// `zfs list -j -p -t filesystem,volume -o name,PROPS [-r] DATASET...` (OpenZFS 2.3+).
pub fn json_command(datasets: &[String], recursive: bool) -> Cmd {
    scoped(
        zfs_read()
            .args(["list", "-j", "-p", "-t", "filesystem,volume", "-o"])
            .arg(format!("name,{}", POLICY_PROPERTIES.join(","))),
        datasets,
        recursive,
    )
}

/// The policy properties of `datasets` (and their descendants with `recursive`), read safely.
/// A `zfs` failure (a dataset that does not exist) is an error.
pub fn read(runner: &dyn Runner, datasets: &[String], recursive: bool) -> Result<PropListing, ListError> {
    read_as(runner, datasets, recursive, has_json(runner))
}

/// [`read`] for a caller that asked [`has_json`] already.
pub fn read_as(
    runner: &dyn Runner,
    datasets: &[String],
    recursive: bool,
    json: bool,
) -> Result<PropListing, ListError> {
    if json {
        let out = runner.run(&json_command(datasets, recursive))?;
        return Ok(parse_json(&out.stdout)?);
    }
    let names = runner.run(&names_command(datasets, recursive))?;
    let mut names = crate::listing::parse_names(&names.stdout);
    // Overlapping arguments (`-r tank tank/srv`) name a dataset twice: once is enough.
    let mut seen = HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    let out = runner.run(&get_command(datasets, recursive))?;
    let mut props: Vec<DatasetProps> = names.iter().map(|n| DatasetProps::unset(n)).collect();
    if apply_lines(&mut props, &out.stdout).is_ok() {
        return Ok(PropListing { datasets: props, bad: Vec::new() });
    }
    // Not proven for the whole scope: each dataset on its own.
    let mut listing = PropListing::default();
    for name in names {
        let mut one = [DatasetProps::unset(&name)];
        let out = runner.run(&get_command(std::slice::from_ref(&name), false))?;
        match apply_lines(&mut one, &out.stdout) {
            Ok(()) => listing.datasets.extend(one),
            Err(reason) => listing.bad.push(BadDataset { dataset: name, reason }),
        }
    }
    Ok(listing)
}

/// Fills the properties from proven `zfs get -H` lines, or says why the lines are not proven.
pub fn apply_lines(props: &mut [DatasetProps], output: &[u8]) -> Result<(), String> {
    let index: HashMap<String, usize> = props.iter().enumerate().map(|(i, p)| (p.dataset.clone(), i)).collect();
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let lines: Vec<&[u8]> = output.split(|&b| b == b'\n').collect();
    for (n, &line) in lines.iter().enumerate() {
        let bad = |what: &str| format!("zfs get line {}: {what}; a property value holds a newline?", n + 1);
        if line.is_empty() {
            // Only the end of the output: an empty line inside it is a value that ended with a
            // newline, and reading on would cut that value short.
            if n + 1 == lines.len() {
                continue;
            }
            return Err(bad("an empty line"));
        }
        let mut f = line.splitn(4, |&b| b == b'\t');
        let (Some(name), Some(prop), Some(source), Some(value)) = (f.next(), f.next(), f.next(), f.next()) else {
            return Err(bad("fewer than 4 fields"));
        };
        let name = std::str::from_utf8(name).map_err(|_| bad("the name is not UTF-8"))?;
        let &i = index.get(name).ok_or_else(|| bad("names no listed dataset"))?;
        let p = POLICY_PROPERTIES.iter().position(|p| p.as_bytes() == prop).ok_or_else(|| bad("unknown property"))?;
        if !seen.insert((i, p)) {
            return Err(bad("a dataset's property appears twice"));
        }
        let source = std::str::from_utf8(source).map_err(|_| bad("the source is not UTF-8"))?;
        let value = std::str::from_utf8(value).map_err(|_| bad("the value is not UTF-8"))?;
        *props[i].prop_mut(p) = Prop::new(value, Source::from_column(source));
    }
    let want = props.len() * POLICY_PROPERTIES.len();
    if seen.len() != want {
        return Err(format!("zfs get gave {} of the {want} property values expected", seen.len()));
    }
    Ok(())
}

/// Parses `zfs list -j -p` output of datasets. An entry that cannot be read is left out and
/// reported; the datasets come in name order.
pub fn parse_json(output: &[u8]) -> Result<PropListing, ParseError> {
    let err = |message: String| ParseError { line: 1, message, text: String::new() };
    let v: serde_json::Value = serde_json::from_slice(output).map_err(|e| err(format!("not JSON: {e}")))?;
    let Some(entries) = v.get("datasets").and_then(|d| d.as_object()) else {
        return if v.is_object() { Ok(PropListing::default()) } else { Err(err("expected a JSON object".into())) };
    };
    let mut listing = PropListing::default();
    for (key, e) in entries {
        match json_entry(e) {
            Ok(p) if p.dataset == *key => listing.datasets.push(p),
            Ok(p) => listing
                .bad
                .push(BadDataset { dataset: key.clone(), reason: format!("zfs list -j: entry named {:?}", p.dataset) }),
            Err(reason) => listing.bad.push(BadDataset { dataset: key.clone(), reason }),
        }
    }
    listing.datasets.sort_by(|a, b| a.dataset.cmp(&b.dataset));
    Ok(listing)
}

fn json_entry(e: &serde_json::Value) -> Result<DatasetProps, String> {
    let name = e.get("name").and_then(|n| n.as_str()).ok_or("no name")?;
    crate::name::check_dataset(name).map_err(|e| e.to_string())?;
    let props = e.get("properties").and_then(|p| p.as_object()).ok_or("no properties")?;
    let mut d = DatasetProps::unset(name);
    for (i, p) in POLICY_PROPERTIES.iter().enumerate() {
        let Some(entry) = props.get(*p) else { continue };
        let value = entry.get("value").and_then(|v| v.as_str()).ok_or_else(|| format!("{p}: no value"))?;
        let src = entry.get("source");
        let kind = src.and_then(|s| s.get("type")).and_then(|t| t.as_str()).unwrap_or("NONE");
        let data = src.and_then(|s| s.get("data")).and_then(|t| t.as_str());
        // `zfs list -j` (2.3) gives an unset user property the value `-` and a made-up source:
        // LOCAL on the dataset where a listed property is set, INHERITED below it (checked in
        // the lab). `-` is no valid policy value, so it is read as unset whatever the source says.
        *d.prop_mut(i) = if value == "-" { Prop::unset() } else { Prop::new(value, Source::from_json(kind, data)) };
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::version_command;
    use strata_core::runner::{FakeRunner, Output};

    fn ds(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    const NAMES: &str = "tank\ntank/srv\ntank/srv/a\n";

    /// `zfs get -H` lines as ZFS 2.1 prints them for one dataset of the tree, with `keep` as
    /// tank/srv's local strata:keep (inherited by tank/srv/a).
    fn lines_of(d: &str, keep: &str) -> String {
        let src = match d {
            "tank" => "-",
            "tank/srv" => "local",
            _ => "inherited from tank/srv",
        };
        let (snap, k) = if d == "tank" { ("-", "-") } else { ("1h", keep) };
        format!(
            "{d}\tstrata:snapshot\t{src}\t{snap}\n{d}\tstrata:keep\t{src}\t{k}\n\
             {d}\tstrata:send\t-\t-\n{d}\tcom.sun:auto-snapshot\t-\t-\n"
        )
    }

    fn lines(keep: &str) -> String {
        ["tank", "tank/srv", "tank/srv/a"].iter().map(|d| lines_of(d, keep)).collect()
    }

    fn old_zfs(get: &str) -> FakeRunner {
        let t = ds(&["tank"]);
        FakeRunner::new()
            .expect(&version_command().argv_strings(), Output::ok("zfs-2.1.11-1+deb12u1\n"))
            .expect(&names_command(&t, true).argv_strings(), Output::ok(NAMES))
            .expect(&get_command(&t, true).argv_strings(), Output::ok(get))
    }

    #[test]
    fn commands() {
        assert_eq!(
            get_command(&ds(&["tank/my data"]), true).display(),
            "zfs get -H -p -t filesystem,volume -o name,property,source,value strata:snapshot,strata:keep,strata:send,com.sun:auto-snapshot -r 'tank/my data'"
        );
        assert_eq!(names_command(&ds(&["tank"]), false).display(), "zfs list -H -o name -t filesystem,volume tank");
        assert_eq!(
            json_command(&ds(&["tank"]), true).display(),
            "zfs list -j -p -t filesystem,volume -o name,strata:snapshot,strata:keep,strata:send,com.sun:auto-snapshot -r tank"
        );
    }

    #[test]
    fn values_and_sources_from_proven_lines() {
        let l = read(&old_zfs(&lines("daily=7\tweekly=4")), &ds(&["tank"]), true).unwrap();
        assert!(l.bad.is_empty());
        assert_eq!(l.datasets.len(), 3);
        assert_eq!(l.datasets[0].snapshot, Prop::unset());
        assert_eq!(l.datasets[1].keep, Prop::new("daily=7\tweekly=4", Source::Local));
        assert_eq!(l.datasets[2].snapshot.source, Source::Inherited("tank/srv".into()));
        assert_eq!(l.datasets[2].snapshot.source.describe(), "inherited from tank/srv");
    }

    /// A delegated user's strata:keep on tank/srv holds a newline and a forged line that would
    /// give tank a policy: the proof fails, each dataset is asked alone, and tank/srv and the
    /// child that inherits the value are left out; tank keeps its own (unset) values.
    #[test]
    fn a_forged_line_leaves_out_only_the_datasets_it_reaches() {
        let forged = "daily=7\ntank\tstrata:keep\tlocal\tlast=1";
        let fake = old_zfs(&lines(forged))
            .expect(&get_command(&ds(&["tank"]), false).argv_strings(), Output::ok(lines_of("tank", forged)))
            .expect(&get_command(&ds(&["tank/srv"]), false).argv_strings(), Output::ok(lines_of("tank/srv", forged)))
            .expect(
                &get_command(&ds(&["tank/srv/a"]), false).argv_strings(),
                Output::ok(lines_of("tank/srv/a", forged)),
            );
        let l = read(&fake, &ds(&["tank"]), true).unwrap();
        assert_eq!(l.datasets.iter().map(|d| d.dataset.as_str()).collect::<Vec<_>>(), ["tank"]);
        assert_eq!(l.datasets[0].keep, Prop::unset());
        assert_eq!(l.bad.iter().map(|b| b.dataset.as_str()).collect::<Vec<_>>(), ["tank/srv", "tank/srv/a"]);
        assert!(l.bad[0].reason.contains("names no listed dataset"), "{}", l.bad[0].reason);
    }

    #[test]
    fn missing_doubled_or_unknown_lines_are_not_proven() {
        let names = ["tank", "tank/srv", "tank/srv/a"];
        let fresh = || names.iter().map(|n| DatasetProps::unset(n)).collect::<Vec<_>>();
        let good = lines("daily=7");
        assert!(apply_lines(&mut fresh(), good.as_bytes()).is_ok());
        let short: String = good.lines().skip(1).map(|l| format!("{l}\n")).collect();
        assert!(apply_lines(&mut fresh(), short.as_bytes()).unwrap_err().contains("11 of the 12"));
        let doubled = format!("{good}tank\tstrata:send\tlocal\tx:y\n");
        assert!(apply_lines(&mut fresh(), doubled.as_bytes()).unwrap_err().contains("twice"));
        let unknown = good.replace("tank\tstrata:send", "tank\tstrata:label");
        assert!(apply_lines(&mut fresh(), unknown.as_bytes()).unwrap_err().contains("unknown property"));
        let three = good.replace("tank\tstrata:send\t-\t-", "tank\tstrata:send\t-");
        assert!(apply_lines(&mut fresh(), three.as_bytes()).unwrap_err().contains("fewer than 4"));
    }

    proptest::proptest! {
        /// Whatever the values hold (newlines, tabs, escapes, forged lines naming other datasets),
        /// the lines are either proven and every value is read back exactly, or refused.
        #[test]
        fn values_are_read_exactly_or_refused(
            values in proptest::collection::vec("[a-z=,0-9]{0,6}(\n|\t|\x1b|\r)?(tank(/srv)?\tstrata:(keep|send)\t(local|-)\t[a-z0-9=]{0,4})?\n?", 8)
        ) {
            let names = ["tank", "tank/srv"];
            let mut out = String::new();
            for (i, d) in names.iter().enumerate() {
                for (j, p) in POLICY_PROPERTIES.iter().enumerate() {
                    out += &format!("{d}\t{p}\tlocal\t{}\n", values[i * 4 + j]);
                }
            }
            let mut props: Vec<DatasetProps> = names.iter().map(|n| DatasetProps::unset(n)).collect();
            if apply_lines(&mut props, out.as_bytes()).is_ok() {
                for (i, d) in props.iter_mut().enumerate() {
                    for j in 0..POLICY_PROPERTIES.len() {
                        let want = Prop::new(&values[i * 4 + j], Source::Local);
                        proptest::prop_assert_eq!(d.prop_mut(j).clone(), want);
                    }
                }
            } else {
                proptest::prop_assert!(values.iter().any(|v| v.contains('\n')));
            }
        }
    }

    fn entry(name: &str, props: &[(&str, &str, &str, &str)]) -> serde_json::Value {
        let mut p = serde_json::Map::new();
        for (k, v, t, data) in props {
            p.insert(k.to_string(), serde_json::json!({"value": v, "source": {"type": t, "data": data}}));
        }
        serde_json::json!({"name": name, "type": "FILESYSTEM", "pool": "tank", "properties": p})
    }

    #[test]
    fn json_values_stay_values() {
        let hostile = "daily=7\ntank\tstrata:keep\tlocal\tlast=1";
        let doc = serde_json::json!({"output_version": {"command": "zfs list"}, "datasets": {
            "tank": entry("tank", &[("strata:keep", "-", "NONE", "-"), ("strata:snapshot", "-", "NONE", "-")]),
            "tank/srv": entry("tank/srv", &[("strata:keep", hostile, "LOCAL", "-"), ("strata:snapshot", "1h", "LOCAL", "-")]),
            "tank/srv/a": entry("tank/srv/a", &[("strata:keep", hostile, "INHERITED", "tank/srv"), ("com.sun:auto-snapshot", "false", "LOCAL", "-")]),
        }});
        let l = parse_json(doc.to_string().as_bytes()).unwrap();
        assert!(l.bad.is_empty());
        assert_eq!(l.datasets.len(), 3);
        assert_eq!(l.datasets[0].keep, Prop::unset());
        assert_eq!(l.datasets[1].keep.value.as_deref(), Some(hostile));
        assert_eq!(l.datasets[2].keep.source, Source::Inherited("tank/srv".into()));
        assert_eq!(l.datasets[2].auto.value.as_deref(), Some("false"));
        // and the value is refused when parsed
        assert!(!crate::policy::policy(&l.datasets[2]).valid());
        // An entry whose key and name differ is left out.
        let doc = serde_json::json!({"datasets": {"tank/a": entry("tank/b", &[])}});
        assert_eq!(parse_json(doc.to_string().as_bytes()).unwrap().bad[0].dataset, "tank/a");
    }

    /// Real `zfs list -j -p -o name,strata:keep,com.sun:auto-snapshot -r tank` of OpenZFS 2.3.2
    /// after `zfs set strata:keep=daily=7 tank`: the unset property says LOCAL and INHERITED.
    #[test]
    fn an_unset_property_in_json_is_unset_whatever_its_source_says() {
        let t = ds(&["tank"]);
        let real = r#"{"output_version":{"command":"zfs list","vers_major":0,"vers_minor":1},"datasets":{"tank":{"name":"tank","type":"FILESYSTEM","pool":"tank","createtxg":"1","properties":{"strata:keep":{"value":"daily=7","source":{"type":"LOCAL","data":"-"}},"com.sun:auto-snapshot":{"value":"-","source":{"type":"LOCAL","data":"-"}}}},"tank/a":{"name":"tank/a","type":"FILESYSTEM","pool":"tank","createtxg":"8","properties":{"strata:keep":{"value":"daily=7","source":{"type":"INHERITED","data":"tank"}},"com.sun:auto-snapshot":{"value":"-","source":{"type":"INHERITED","data":"tank"}}}}}}"#;
        let fake = FakeRunner::new()
            .expect(&version_command().argv_strings(), Output::ok("zfs-2.3.2-2~bpo12+2\n"))
            .expect(&json_command(&t, true).argv_strings(), Output::ok(real));
        let l = read(&fake, &t, true).unwrap();
        assert_eq!(l.datasets.len(), 2);
        for d in &l.datasets {
            assert_eq!(d.auto, Prop::unset(), "{}", d.dataset);
        }
        assert_eq!(l.datasets[0].keep, Prop::new("daily=7", Source::Local));
        assert_eq!(l.datasets[1].keep, Prop::new("daily=7", Source::Inherited("tank".into())));
    }

    #[test]
    fn new_zfs_is_asked_in_json() {
        let t = ds(&["tank"]);
        let doc = serde_json::json!({"datasets": {"tank": entry("tank", &[("strata:snapshot", "15m", "LOCAL", "-")])}});
        let fake = FakeRunner::new()
            .expect(&version_command().argv_strings(), Output::ok("zfs-2.3.2-2~bpo12+2\n"))
            .expect(&json_command(&t, false).argv_strings(), Output::ok(doc.to_string()));
        let l = read(&fake, &t, false).unwrap();
        assert_eq!(l.datasets[0].snapshot, Prop::new("15m", Source::Local));
    }
}
