//! The system call groups of systemd 252 (`systemd-analyze syscall-filter`) and the system calls
//! libseccomp 2.5.4 resolves on x86-64: a name that does not resolve is skipped, as systemd does.

use std::collections::HashMap;
use std::sync::OnceLock;

const GROUPS: &str = include_str!("../data/syscall-groups.txt");
const NATIVE: &str = include_str!("../data/syscalls-x86_64.txt");

struct Tables {
    groups: HashMap<&'static str, Vec<&'static str>>,
    native: HashMap<&'static str, u32>,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let groups = GROUPS
            .lines()
            .filter_map(|l| l.split_once(": "))
            .map(|(g, m)| (g, m.split_whitespace().collect()))
            .collect();
        let native = NATIVE
            .lines()
            .filter_map(|l| l.split_once(' '))
            .filter_map(|(n, s)| n.parse().ok().map(|n| (s, n)))
            .collect();
        Tables { groups, native }
    })
}

/// The members of a group such as `@privileged` (names and nested `@groups`), in systemd's order.
pub fn group(name: &str) -> Option<&'static [&'static str]> {
    tables().groups.get(name).map(Vec::as_slice)
}

/// The x86-64 number of a system call, `None` when it does not exist there.
pub fn resolve(name: &str) -> Option<u32> {
    tables().native.get(name).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load() {
        assert_eq!(resolve("read"), Some(0));
        assert_eq!(resolve("chown32"), None);
        assert!(group("@privileged").is_some_and(|g| g.contains(&"@chown")));
        assert!(group("@nope").is_none());
    }
}
