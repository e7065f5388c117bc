//! Who may set user properties on a dataset: `zfs allow DATASET`, read for the `userprop`
//! permission. A user property set where a delegated user may set user properties is that user's
//! word, not root's; `strata send --policy` refuses to follow a `strata:send` written there.
//!
//! `zfs allow` prints, for the dataset and each ancestor, a block
//!
//! ```text
//! ---- Permissions on tank/users ---------------------------------------
//! Permission sets:
//!         @backup send,snapshot,userprop
//! Local+Descendent permissions:
//!         user alice mount,snapshot,userprop
//!         group staff @backup
//! ```
//!
//! with sections `Local`, `Descendent`, `Local+Descendent`, `Create time` and `Permission sets`.
//! A grant applies to the dataset when it is local to it, or descendent from an ancestor. A grant
//! of a permission set counts when the set holds `userprop` (or cannot be resolved: unknown means
//! delegated). Anything that is not a known header or an indented grant makes the whole answer
//! unreadable, which callers treat as delegated too.

use strata_core::runner::Cmd;

use crate::zfs_read;

/// `zfs allow DATASET`: the delegations on it and its ancestors.
pub fn allow_command(dataset: &str) -> Cmd {
    zfs_read().args(["allow", dataset])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Local,
    Descendent,
    LocalDescendent,
    CreateTime,
    Sets,
}

/// The grants of `zfs allow DATASET`'s output by which someone may set user properties on
/// `dataset`, each as `user alice mount,userprop (on tank/users)`. `Err` when the output is not
/// in the form above.
pub fn userprop_grants(output: &[u8], dataset: &str) -> Result<Vec<String>, String> {
    let text = std::str::from_utf8(output).map_err(|_| "zfs allow printed bytes that are not UTF-8".to_string())?;
    // Permission sets are defined per block; a set is resolved in the innermost block that defines it.
    let mut sets: Vec<(String, String, bool)> = Vec::new(); // (block, @name, holds userprop)
    let mut grants: Vec<(String, Section, String, Vec<String>)> = Vec::new(); // (block, section, line, perms)
    let mut block: Option<String> = None;
    let mut section: Option<Section> = None;
    for (i, line) in text.lines().enumerate() {
        let bad = || format!("zfs allow line {}: unexpected {:?}", i + 1, line);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("---- Permissions on ") {
            let name = rest.trim_end_matches('-').trim_end();
            if name.is_empty() {
                return Err(bad());
            }
            block = Some(name.to_string());
            section = None;
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            section = Some(match line.trim_end() {
                "Local permissions:" => Section::Local,
                "Descendent permissions:" => Section::Descendent,
                "Local+Descendent permissions:" => Section::LocalDescendent,
                "Create time permissions:" => Section::CreateTime,
                "Permission sets:" => Section::Sets,
                _ => return Err(bad()),
            });
            if block.is_none() {
                return Err(bad());
            }
            continue;
        }
        let (Some(b), Some(s)) = (&block, section) else { return Err(bad()) };
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(last) = words.last() else { return Err(bad()) };
        let perms: Vec<String> = last.split(',').map(str::to_string).collect();
        if s == Section::Sets {
            let Some(name) = words.first().filter(|w| w.starts_with('@') && words.len() == 2) else {
                return Err(bad());
            };
            sets.push((b.clone(), (*name).to_string(), perms.iter().any(|p| p == "userprop")));
        } else {
            grants.push((b.clone(), s, line.trim().to_string(), perms));
        }
    }
    let set_has_userprop = |block: &str, name: &str| {
        // zfs allow lists the dataset's own block first, then its parents': the first match is innermost.
        sets.iter()
            .filter(|(_, n, _)| n == name)
            .find(|(b, _, _)| b == block)
            .or_else(|| sets.iter().find(|(_, n, _)| n == name))
            .is_none_or(|s| s.2)
    };
    let mut out = Vec::new();
    for (b, s, line, perms) in grants {
        let applies = match s {
            Section::Local => b == dataset,
            Section::Descendent => b != dataset,
            Section::LocalDescendent => true,
            // Given to whoever creates a dataset below: their grant then shows as local on it.
            Section::CreateTime | Section::Sets => false,
        };
        let userprop = perms.iter().any(|p| p == "userprop" || (p.starts_with('@') && set_has_userprop(&b, p)));
        if applies && userprop {
            out.push(format!("{line} (on {b})"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOW: &str = "---- Permissions on tank/users/alice ---------------------------------\n\
                         Local+Descendent permissions:\n\
                         \tuser alice mount,snapshot,userprop\n\
                         ---- Permissions on tank/users ---------------------------------------\n\
                         Permission sets:\n\
                         \t@backup send,snapshot,userprop\n\
                         \t@look hold\n\
                         Local permissions:\n\
                         \tuser carol userprop\n\
                         Descendent permissions:\n\
                         \tgroup staff @look\n\
                         Create time permissions:\n\
                         \tuserprop\n";

    #[test]
    fn a_local_grant_on_the_dataset_counts() {
        let g = userprop_grants(ALLOW.as_bytes(), "tank/users/alice").unwrap();
        assert_eq!(g, ["user alice mount,snapshot,userprop (on tank/users/alice)"]);
    }

    #[test]
    fn grants_from_ancestors_count_only_when_descendent() {
        // carol's grant is local to tank/users: it does not reach tank/users/bob.
        let out = "---- Permissions on tank/users ---------------------------------------\n\
                   Local permissions:\n\tuser carol userprop\n\
                   Descendent permissions:\n\tgroup staff snapshot\n";
        assert!(userprop_grants(out.as_bytes(), "tank/users/bob").unwrap().is_empty());
        assert_eq!(userprop_grants(out.as_bytes(), "tank/users").unwrap(), ["user carol userprop (on tank/users)"]);
        // What `zfs allow tank/users/bob` prints: bob's own block (empty) and tank/users'.
        let bob = &ALLOW[ALLOW.find("---- Permissions on tank/users -").unwrap()..];
        assert!(userprop_grants(bob.as_bytes(), "tank/users/bob").unwrap().is_empty());
        let via_set = bob.replace("group staff @look", "group staff @backup");
        let g = userprop_grants(via_set.as_bytes(), "tank/users/bob").unwrap();
        assert_eq!(g, ["group staff @backup (on tank/users)"]);
        let unknown_set = bob.replace("group staff @look", "everyone @nowhere");
        assert_eq!(userprop_grants(unknown_set.as_bytes(), "tank/users/bob").unwrap().len(), 1);
    }

    #[test]
    fn nothing_delegated_is_empty_and_odd_output_is_an_error() {
        assert!(userprop_grants(b"", "tank").unwrap().is_empty());
        for bad in [
            "user alice userprop\n",
            "---- Permissions on tank ----\nSomething new:\n\tuser a userprop\n",
            "---- Permissions on tank ----\n\tuser a userprop\n",
            "---- Permissions on tank ----\nPermission sets:\n\tbackup userprop\n",
        ] {
            assert!(userprop_grants(bad.as_bytes(), "tank").is_err(), "{bad:?}");
        }
        assert!(userprop_grants(b"\xff", "tank").is_err());
    }
}
