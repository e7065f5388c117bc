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

/// A stand-in `zfs` for the policy commands, answering as OpenZFS 2.1 does (no `-j`, so the
/// proven-lines paths run), from three files in `dir`:
///
/// - `datasets.tsv`: one dataset name a line, parents before children;
/// - `props.tsv`: `dataset TAB property TAB value`, the values set locally (inherited below as ZFS
///   does; `\n` in a value is printed as a raw newline, as ZFS prints a hostile value);
/// - `snaps.tsv`: snapshot rows as [`listing_arms`] reads them (9 columns).
///
/// It answers `version`, `list` (datasets by name, snapshots by columns, for `-r`, `-d 1` and
/// snapshot names), `get` (the strata properties of snapshots, the policy properties of datasets),
/// and logs every call to `calls.log`; `snapshot` appends the snapshots it makes to `snaps.tsv`,
/// created at `STRATA_NOW`, so a second run sees them; `destroy DATASET@a,b` removes them;
/// `set` and `inherit` only log.
pub fn policy_zfs(dir: &Path) -> String {
    let d = dir.display();
    let scope = r#"
function parent(n,   i) { i = match(n, /\/[^\/]*$/); return i ? substr(n, 1, i - 1) : "" }
function inscope(name, snap,   ds, t, k) {
  if (nt == 0) return 1
  ds = name; if (snap) sub(/@.*/, "", ds)
  for (k = 1; k <= nt; k++) {
    t = tg[k]
    if (index(t, "@")) { if (name == t) return 1; continue }
    if (ds == t) return 1
    if (rec == "r" && index(ds, t "/") == 1) return 1
  }
  return 0
}
FILENAME == ARGV[1] { if ($0 != "") tg[++nt] = $0; next }
"#;
    format!(
        r#"here='{d}'
printf '%s\n' "$*" >> "$here/calls.log"
cmd=$1; shift
printf '%s\n' "$@" > "$here/allargs"
rec=; cols=; types=; : > "$here/args"
while [ $# -gt 0 ]; do
  case "$1" in
    -r) rec=r;;
    -d) rec=d; shift;;
    -o) shift; cols=$1;;
    -t) shift; types=$1;;
    -H|-p) ;;
    *) printf '%s\n' "$1" >> "$here/args";;
  esac
  shift
done
case "$cmd" in
version) echo zfs-2.1.11-1+deb12u1; echo zfs-kmod-2.1.11-1+deb12u1;;
list)
  case "$types" in
  snapshot)
    awk -F '\t' -v OFS='\t' -v rec="$rec" -v cols="$cols" '{scope}
    BEGIN {{ n = split("name,guid,createtxg,creation,used,referenced,userrefs,strata:managed,strata:label", all, ",")
            for (i = 1; i <= n; i++) at[all[i]] = i; m = split(cols, want, ",") }}
    inscope($1, 1) {{ line = ""; for (j = 1; j <= m; j++) line = line (j > 1 ? "\t" : "") $(at[want[j]]); print line }}' "$here/args" "$here/snaps.tsv";;
  *) awk -v rec="$rec" '{scope}
    inscope($0, 0) {{ print }}' "$here/args" "$here/datasets.tsv";;
  esac;;
get)
  props=$(head -n 1 "$here/args"); sed -i 1d "$here/args"
  case "$types" in
  snapshot)
    awk -F '\t' -v rec="$rec" '{scope}
    inscope($1, 1) {{ print $1 "\tstrata:managed\t" ($8 == "-" ? "-" : "local") "\t" $8
                     print $1 "\tstrata:label\t" ($9 == "-" ? "-" : "local") "\t" $9 }}' "$here/args" "$here/snaps.tsv";;
  *)
    awk -F '\t' -v rec="$rec" -v props="$props" '{scope}
    FILENAME == ARGV[2] {{ v = $3; for (i = 4; i <= NF; i++) v = v "\t" $i; val[$1, $2] = v; next }}
    inscope($0, 0) {{
      np = split(props, p, ",")
      for (j = 1; j <= np; j++) {{
        d = $0; src = "-"; v = "-"
        while (d != "") {{
          if ((d, p[j]) in val) {{ v = val[d, p[j]]; src = (d == $0 ? "local" : "inherited from " d); break }}
          d = parent(d)
        }}
        gsub(/\\n/, "\n", v)
        print $0 "\t" p[j] "\t" src "\t" v
      }}
    }}' "$here/args" "$here/props.tsv" "$here/datasets.tsv";;
  esac;;
snapshot)
  now=$(date -u -d "$STRATA_NOW" +%s)
  label=$(grep '^strata:label=' "$here/allargs" | head -n 1 | cut -d= -f2-)
  grep '@' "$here/args" | while IFS= read -r s; do
    n=$(wc -l < "$here/snaps.tsv")
    printf '%s\t%s\t%s\t%s\t0\t0\t0\ton\t%s\n' "$s" "$((9000 + n))" "$((100 + n))" "$now" "${{label:--}}" >> "$here/snaps.tsv"
  done;;
destroy)
  t=$(tail -n 1 "$here/args"); ds=${{t%%@*}}; list=${{t#*@}}
  awk -F '\t' -v ds="$ds" -v list="$list" 'BEGIN {{ n = split(list, s, ","); for (i = 1; i <= n; i++) gone[ds "@" s[i]] = 1 }}
    !($1 in gone)' "$here/snaps.tsv" > "$here/snaps.new" && mv "$here/snaps.new" "$here/snaps.tsv";;
set|inherit) ;;
*) echo "unexpected: $cmd $*" >&2; exit 99;;
esac
"#
    )
}
