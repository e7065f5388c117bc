//! A stand-in `zfs` for the snapshot listings (the process seam): it answers as OpenZFS 2.1 does,
//! without `zfs list -j`, so the host tests go through the proven-lines path; the lab runs both
//! paths against real ZFS.

use std::path::Path;

/// `case "$1" in` arms for `version`, `list` and `get`, answering from `rows`: one snapshot a line,
/// 9 tab-separated columns (name, guid, createtxg, creation, used, referenced, userrefs,
/// strata:managed, strata:label; `-` for unset). A label holding a newline (a forged row) is
/// written as ZFS prints it: raw.
pub fn listing_arms(rows: &Path) -> String {
    format!(
        "list) case \"$*\" in\n\
           *filesystem,volume*) cut -f1 '{r}' | sed 's/@.*//' | sort -u;;\n\
           *) cut -f1-7 '{r}';;\n\
         esac;;\n{}",
        version_get_arms(rows),
        r = rows.display()
    )
}

/// The `version` and `get` arms only, for a stand-in with its own `list`.
pub fn version_get_arms(rows: &Path) -> String {
    let rows = rows.display();
    format!(
        "version) echo zfs-2.1.11-1+deb12u1; echo zfs-kmod-2.1.11-1+deb12u1;;\n\
         get) awk -F'\\t' -v OFS='\\t' '{{ print $1, \"strata:managed\", ($8 == \"-\" ? \"-\" : \"local\"), $8; \
                print $1, \"strata:label\", ($9 == \"-\" ? \"-\" : \"local\"), $9 }}' '{rows}';;\n"
    )
}
