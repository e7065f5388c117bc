# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_strata_global_optspecs
    string join \n list h/help V/version
end

function __fish_strata_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_strata_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_strata_using_subcommand
    set -l cmd (__fish_strata_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c strata -n "__fish_strata_needs_command" -l list -d 'List the built-in tools and strata-* programs on PATH'
complete -c strata -n "__fish_strata_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_needs_command" -s V -l version -d 'Print version'
complete -c strata -n "__fish_strata_needs_command" -f -a "snapshot" -d 'Take, list and roll back ZFS snapshots'
complete -c strata -n "__fish_strata_needs_command" -f -a "diff" -d 'What changed in a ZFS dataset, every version of a file, and what was deleted'
complete -c strata -n "__fish_strata_needs_command" -f -a "prune" -d 'Plan which snapshots to destroy by borg prune\'s rules, then destroy them safely'
complete -c strata -n "__fish_strata_needs_command" -f -a "quota" -d 'See, set and watch ZFS quotas, reservations and compression'
complete -c strata -n "__fish_strata_needs_command" -f -a "harden-check" -d 'Score systemd services the way `systemd-analyze security` does, offline, and suggest the sandboxing drop-in that lowers the score'
complete -c strata -n "__fish_strata_needs_command" -f -a "sshtui" -d 'Pick an ssh host in a full-screen list, or list hosts as records, with the settings ssh uses'
complete -c strata -n "__fish_strata_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and not __fish_seen_subcommand_from create list rollback help" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand snapshot; and not __fish_seen_subcommand_from create list rollback help" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand snapshot; and not __fish_seen_subcommand_from create list rollback help" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and not __fish_seen_subcommand_from create list rollback help" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and not __fish_seen_subcommand_from create list rollback help" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and not __fish_seen_subcommand_from create list rollback help" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and not __fish_seen_subcommand_from create list rollback help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and not __fish_seen_subcommand_from create list rollback help" -f -a "create" -d 'Snapshot datasets in one atomic zfs snapshot call'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and not __fish_seen_subcommand_from create list rollback help" -f -a "list" -d 'Snapshot records, sorted by dataset then creation (one zfs list call)'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and not __fish_seen_subcommand_from create list rollback help" -f -a "rollback" -d 'Roll a dataset back to a snapshot, destroying newer ones, after saying what will be lost'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and not __fish_seen_subcommand_from create list rollback help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from create" -l name-format -d 'strftime format of the name, applied to the current UTC time' -r
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from create" -l prefix -d 'Put this before the time in the name' -r
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from create" -l label -d 'Mark the snapshots with this label (user property strata:label)' -r
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from create" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from create" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from create" -s r -l recursive -d 'Snapshot the descendants too (zfs snapshot -r)'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from create" -s n -l dry-run -d 'Show the zfs snapshot command (on standard error) without running it'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from create" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from create" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from list" -l label -d 'Only snapshots with this label (strata:label)' -r
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from list" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from list" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from list" -s r -l recursive -d 'Include the snapshots of descendants'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from list" -l managed -d 'Only snapshots made by strata (strata:managed=on)'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from list" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from list" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -l lock -d 'Refuse to run (exit 75) while another run holds this lock: bare --lock takes /run/lock/TOOL.lock for root, --lock=PATH another file (the = is needed)' -r -F
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -s n -l dry-run -d 'Show what would be done (the exact commands on standard error) and change nothing'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -s y -l yes -d 'Do it without asking'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "create" -d 'Snapshot datasets in one atomic zfs snapshot call'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "list" -d 'Snapshot records, sorted by dataset then creation (one zfs list call)'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "rollback" -d 'Roll a dataset back to a snapshot, destroying newer ones, after saying what will be lost'
complete -c strata -n "__fish_strata_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata -n "__fish_strata_using_subcommand diff; and not __fish_seen_subcommand_from versions deleted help" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand diff; and not __fish_seen_subcommand_from versions deleted help" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand diff; and not __fish_seen_subcommand_from versions deleted help" -l change -d 'Only these changes (comma-separated)' -r -f -a "modified\t''
added\t''
removed\t''
renamed\t''"
complete -c strata -n "__fish_strata_using_subcommand diff; and not __fish_seen_subcommand_from versions deleted help" -l kind -d 'Only these file types (comma-separated)' -r -f -a "file\t''
directory\t''
symlink\t''
socket\t''
fifo\t''
block\t''
char\t''
door\t''
port\t''
unknown\t''"
complete -c strata -n "__fish_strata_using_subcommand diff; and not __fish_seen_subcommand_from versions deleted help" -l under -d 'Only paths at or below the absolute PATH (either path of a rename); repeatable' -r -F
complete -c strata -n "__fish_strata_using_subcommand diff; and not __fish_seen_subcommand_from versions deleted help" -l glob -d 'Only paths matching the glob PATTERN (the whole path; `*` also matches `/`; either path of a rename); repeatable, any may match' -r
complete -c strata -n "__fish_strata_using_subcommand diff; and not __fish_seen_subcommand_from versions deleted help" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand diff; and not __fish_seen_subcommand_from versions deleted help" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand diff; and not __fish_seen_subcommand_from versions deleted help" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand diff; and not __fish_seen_subcommand_from versions deleted help" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand diff; and not __fish_seen_subcommand_from versions deleted help" -l sort -d 'Sort by path instead of keeping ZFS\'s order (holds every record in memory)'
complete -c strata -n "__fish_strata_using_subcommand diff; and not __fish_seen_subcommand_from versions deleted help" -l summary -d 'End with one summary record: the counts per change'
complete -c strata -n "__fish_strata_using_subcommand diff; and not __fish_seen_subcommand_from versions deleted help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand diff; and not __fish_seen_subcommand_from versions deleted help" -a "versions" -d 'Every distinct version of each file across the snapshots of its dataset (same size and modification time: one version), oldest first'
complete -c strata -n "__fish_strata_using_subcommand diff; and not __fish_seen_subcommand_from versions deleted help" -a "deleted" -d 'Files some snapshot has and the live directory has not, with the newest snapshot that has each (cp -a SNAPSHOT_PATH PATH restores it)'
complete -c strata -n "__fish_strata_using_subcommand diff; and not __fish_seen_subcommand_from versions deleted help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from versions" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from versions" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from versions" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from versions" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from versions" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from versions" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from versions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from deleted" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from deleted" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from deleted" -s r -l recursive -d 'Look into subdirectories too'
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from deleted" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from deleted" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from deleted" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from deleted" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from deleted" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from help" -f -a "versions" -d 'Every distinct version of each file across the snapshots of its dataset (same size and modification time: one version), oldest first'
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from help" -f -a "deleted" -d 'Files some snapshot has and the live directory has not, with the newest snapshot that has each (cp -a SNAPSHOT_PATH PATH restores it)'
complete -c strata -n "__fish_strata_using_subcommand diff; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata -n "__fish_strata_using_subcommand prune; and not __fish_seen_subcommand_from plan apply help" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand prune; and not __fish_seen_subcommand_from plan apply help" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand prune; and not __fish_seen_subcommand_from plan apply help" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand prune; and not __fish_seen_subcommand_from plan apply help" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand prune; and not __fish_seen_subcommand_from plan apply help" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand prune; and not __fish_seen_subcommand_from plan apply help" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand prune; and not __fish_seen_subcommand_from plan apply help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand prune; and not __fish_seen_subcommand_from plan apply help" -f -a "plan" -d 'One prune record per snapshot: keep or destroy, and why'
complete -c strata -n "__fish_strata_using_subcommand prune; and not __fish_seen_subcommand_from plan apply help" -f -a "apply" -d 'Destroy the snapshots a plan marked destroy (reads prune records on standard input)'
complete -c strata -n "__fish_strata_using_subcommand prune; and not __fish_seen_subcommand_from plan apply help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -l keep-within -d 'Keep everything created within this time before now: a number and h, d, w, m (31 days) or y (365 days)' -r
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -l keep-last -d 'Keep the newest snapshot of each of the last N seconds that have one (borg\'s --keep-last/--keep-secondly)' -r
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -l keep-hourly -d 'Keep the newest snapshot of each of the last N hours that have one' -r
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -l keep-daily -d 'Keep the newest snapshot of each of the last N days that have one' -r
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -l keep-weekly -d 'Keep the newest snapshot of each of the last N ISO weeks that have one' -r
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -l keep-monthly -d 'Keep the newest snapshot of each of the last N months that have one' -r
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -l keep-yearly -d 'Keep the newest snapshot of each of the last N years that have one' -r
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -l now -d 'The time --keep-within counts back from (RFC 3339); the clock by default' -r
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -l match -d 'Own the snapshots whose name after \'@\' contains a match of this regular expression (a search, like grep: anchor it with ^ and $; \'^zfs-auto-snap_\' adopts zfs-auto-snapshot\'s, \'^autosnap_\' sanoid\'s), instead of those made by strata (strata:managed=on)' -r
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -l protect -d 'Snapshot records of a replication target (e.g. `strata snapshot list -r backup/tank`): the newest snapshot of each dataset that the target also has (same guid) is kept' -r -F
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -s r -l recursive -d 'With DATASETs: include their descendants'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from plan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from apply" -l lock -d 'Refuse to run (exit 75) while another run holds this lock: bare --lock takes /run/lock/TOOL.lock for root, --lock=PATH another file (the = is needed)' -r -F
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from apply" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from apply" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from apply" -s n -l dry-run -d 'Show what would be done (the exact commands on standard error) and change nothing'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from apply" -s y -l yes -d 'Do it without asking'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from apply" -l bookmark -d 'Keep a bookmark (DATASET#NAME) of each snapshot before destroying it, so incremental sends from it still work'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from apply" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from apply" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from apply" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from apply" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from help" -f -a "plan" -d 'One prune record per snapshot: keep or destroy, and why'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from help" -f -a "apply" -d 'Destroy the snapshots a plan marked destroy (reads prune records on standard input)'
complete -c strata -n "__fish_strata_using_subcommand prune; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata -n "__fish_strata_using_subcommand quota; and not __fish_seen_subcommand_from report set check users help" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand quota; and not __fish_seen_subcommand_from report set check users help" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand quota; and not __fish_seen_subcommand_from report set check users help" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand quota; and not __fish_seen_subcommand_from report set check users help" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand quota; and not __fish_seen_subcommand_from report set check users help" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand quota; and not __fish_seen_subcommand_from report set check users help" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand quota; and not __fish_seen_subcommand_from report set check users help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand quota; and not __fish_seen_subcommand_from report set check users help" -f -a "report" -d 'One record per dataset: space used, limits, compression (one zfs list call)'
complete -c strata -n "__fish_strata_using_subcommand quota; and not __fish_seen_subcommand_from report set check users help" -f -a "set" -d 'Set quota, refquota, reservation, refreservation, compression, userquota@, groupquota@ in one zfs set call'
complete -c strata -n "__fish_strata_using_subcommand quota; and not __fish_seen_subcommand_from report set check users help" -f -a "check" -d 'For cron and monitoring: the datasets at or above a threshold of their quota; exit 0 ok, 1 warn, 2 crit, 3 unknown'
complete -c strata -n "__fish_strata_using_subcommand quota; and not __fish_seen_subcommand_from report set check users help" -f -a "users" -d 'Per-user and per-group usage and quotas of one dataset (zfs userspace, zfs groupspace)'
complete -c strata -n "__fish_strata_using_subcommand quota; and not __fish_seen_subcommand_from report set check users help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from report" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from report" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from report" -s r -l recursive -d 'Include the descendants of the given datasets'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from report" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from report" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from report" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from report" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from set" -l lock -d 'Refuse to run (exit 75) while another run holds this lock: bare --lock takes /run/lock/TOOL.lock for root, --lock=PATH another file (the = is needed)' -r -F
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from set" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from set" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from set" -l force -d 'Skip strata\'s check of a new quota or refquota against the space already in use and let ZFS decide (OpenZFS itself refuses a quota below current usage; this only helps when usage is dropping at the same time, e.g. while snapshots are destroyed)'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from set" -s n -l dry-run -d 'Show what would be done (the exact commands on standard error) and change nothing'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from set" -s y -l yes -d 'Do it without asking'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from set" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from set" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from set" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from check" -l warn -d 'Warn when a dataset uses this much of its quota or refquota (or more)' -r
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from check" -l crit -d 'Critical when a dataset uses this much of its quota or refquota (or more)' -r
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from check" -l prometheus -d 'Also write a node_exporter textfile-collector file (FILE.prom), replaced atomically; on an error it says strata_quota_check_success 0' -r -F
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from check" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from check" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from check" -s r -l recursive -d 'Include the descendants of the given datasets'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from check" -l nagios -d 'Print one Nagios plugin line (status and perfdata) instead of records'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from check" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from check" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from users" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from users" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from users" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from users" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from users" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from users" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from users" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from help" -f -a "report" -d 'One record per dataset: space used, limits, compression (one zfs list call)'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set quota, refquota, reservation, refreservation, compression, userquota@, groupquota@ in one zfs set call'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from help" -f -a "check" -d 'For cron and monitoring: the datasets at or above a threshold of their quota; exit 0 ok, 1 warn, 2 crit, 3 unknown'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from help" -f -a "users" -d 'Per-user and per-group usage and quotas of one dataset (zfs userspace, zfs groupspace)'
complete -c strata -n "__fish_strata_using_subcommand quota; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata -n "__fish_strata_using_subcommand harden-check" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand harden-check" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand harden-check" -l lock -d 'Refuse to run (exit 75) while another run holds this lock: bare --lock takes /run/lock/TOOL.lock for root, --lock=PATH another file (the = is needed)' -r -F
complete -c strata -n "__fish_strata_using_subcommand harden-check" -l root -d 'The directory whose unit files are read (its /etc/systemd/system, /run/systemd/system, /lib/systemd/system, /usr/lib/systemd/system, ...)' -r -F
complete -c strata -n "__fish_strata_using_subcommand harden-check" -l profile -d 'Apply a portable profile to every unit, as systemd-analyze --profile does: a path to a drop-in file, or the name of a profile under /etc, /run or /usr/lib systemd/portable/profile/NAME/service.conf on this machine. It applies as a drop-in named profile.conf' -r -F
complete -c strata -n "__fish_strata_using_subcommand harden-check" -l threshold -d 'Exit 1 when any unit\'s exposure is above N (0.0 to 10.0)' -r
complete -c strata -n "__fish_strata_using_subcommand harden-check" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand harden-check" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand harden-check" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand harden-check" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand harden-check" -s n -l dry-run -d 'Show what would be done (the exact commands on standard error) and change nothing'
complete -c strata -n "__fish_strata_using_subcommand harden-check" -s y -l yes -d 'Do it without asking'
complete -c strata -n "__fish_strata_using_subcommand harden-check" -l user -d 'Read user units (/etc/systemd/user, /usr/lib/systemd/user, ...) instead of system units. systemd-analyze 252 refuses --user together with --root, so these scores follow its rules (KeyringMode= defaults to inherit) but have no reference run to compare with'
complete -c strata -n "__fish_strata_using_subcommand harden-check" -l all -d 'Every .service unit under the root, except templates, masked units and aliases (an alias is checked under the name of the unit it leads to)'
complete -c strata -n "__fish_strata_using_subcommand harden-check" -l suggest -d 'Print a drop-in that lowers each unit\'s exposure, with the exposure it predicts'
complete -c strata -n "__fish_strata_using_subcommand harden-check" -l write -d 'With --suggest: install the drop-in as /etc/systemd/system/UNIT.d/50-strata-harden.conf under --root'
complete -c strata -n "__fish_strata_using_subcommand harden-check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand sshtui; and not __fish_seen_subcommand_from list help" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand sshtui; and not __fish_seen_subcommand_from list help" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand sshtui; and not __fish_seen_subcommand_from list help" -s F -d 'Read this configuration file instead of ~/.ssh/config and /etc/ssh/ssh_config (`none`: no file)' -r -F
complete -c strata -n "__fish_strata_using_subcommand sshtui; and not __fish_seen_subcommand_from list help" -l tag -d 'Only hosts with this tag (a `# tags: ...` comment on the Host block); repeat for several' -r
complete -c strata -n "__fish_strata_using_subcommand sshtui; and not __fish_seen_subcommand_from list help" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand sshtui; and not __fish_seen_subcommand_from list help" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand sshtui; and not __fish_seen_subcommand_from list help" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand sshtui; and not __fish_seen_subcommand_from list help" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand sshtui; and not __fish_seen_subcommand_from list help" -l print -d 'Print the chosen alias on standard output instead of running ssh'
complete -c strata -n "__fish_strata_using_subcommand sshtui; and not __fish_seen_subcommand_from list help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand sshtui; and not __fish_seen_subcommand_from list help" -a "list" -d 'Print one host record per concrete alias (patterns and negations are not hosts)'
complete -c strata -n "__fish_strata_using_subcommand sshtui; and not __fish_seen_subcommand_from list help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata -n "__fish_strata_using_subcommand sshtui; and __fish_seen_subcommand_from list" -s F -d 'Read this configuration file instead of ~/.ssh/config and /etc/ssh/ssh_config (`none`: no file)' -r -F
complete -c strata -n "__fish_strata_using_subcommand sshtui; and __fish_seen_subcommand_from list" -l tag -d 'Only hosts with this tag; repeat for several (a host needs all of them)' -r
complete -c strata -n "__fish_strata_using_subcommand sshtui; and __fish_seen_subcommand_from list" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata -n "__fish_strata_using_subcommand sshtui; and __fish_seen_subcommand_from list" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata -n "__fish_strata_using_subcommand sshtui; and __fish_seen_subcommand_from list" -l no-exec -d 'Run no `Match exec` command: a Match line holding `exec` counts as not matching (the values it would set are left out). Shell completion lists hosts this way'
complete -c strata -n "__fish_strata_using_subcommand sshtui; and __fish_seen_subcommand_from list" -l json -d 'Same as --format json'
complete -c strata -n "__fish_strata_using_subcommand sshtui; and __fish_seen_subcommand_from list" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata -n "__fish_strata_using_subcommand sshtui; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata -n "__fish_strata_using_subcommand sshtui; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata -n "__fish_strata_using_subcommand sshtui; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata -n "__fish_strata_using_subcommand sshtui; and __fish_seen_subcommand_from help" -f -a "list" -d 'Print one host record per concrete alias (patterns and negations are not hosts)'
complete -c strata -n "__fish_strata_using_subcommand sshtui; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata -n "__fish_strata_using_subcommand help; and not __fish_seen_subcommand_from snapshot diff prune quota harden-check sshtui help" -f -a "snapshot" -d 'Take, list and roll back ZFS snapshots'
complete -c strata -n "__fish_strata_using_subcommand help; and not __fish_seen_subcommand_from snapshot diff prune quota harden-check sshtui help" -f -a "diff" -d 'What changed in a ZFS dataset, every version of a file, and what was deleted'
complete -c strata -n "__fish_strata_using_subcommand help; and not __fish_seen_subcommand_from snapshot diff prune quota harden-check sshtui help" -f -a "prune" -d 'Plan which snapshots to destroy by borg prune\'s rules, then destroy them safely'
complete -c strata -n "__fish_strata_using_subcommand help; and not __fish_seen_subcommand_from snapshot diff prune quota harden-check sshtui help" -f -a "quota" -d 'See, set and watch ZFS quotas, reservations and compression'
complete -c strata -n "__fish_strata_using_subcommand help; and not __fish_seen_subcommand_from snapshot diff prune quota harden-check sshtui help" -f -a "harden-check" -d 'Score systemd services the way `systemd-analyze security` does, offline, and suggest the sandboxing drop-in that lowers the score'
complete -c strata -n "__fish_strata_using_subcommand help; and not __fish_seen_subcommand_from snapshot diff prune quota harden-check sshtui help" -f -a "sshtui" -d 'Pick an ssh host in a full-screen list, or list hosts as records, with the settings ssh uses'
complete -c strata -n "__fish_strata_using_subcommand help; and not __fish_seen_subcommand_from snapshot diff prune quota harden-check sshtui help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata -n "__fish_strata_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "create" -d 'Snapshot datasets in one atomic zfs snapshot call'
complete -c strata -n "__fish_strata_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "list" -d 'Snapshot records, sorted by dataset then creation (one zfs list call)'
complete -c strata -n "__fish_strata_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "rollback" -d 'Roll a dataset back to a snapshot, destroying newer ones, after saying what will be lost'
complete -c strata -n "__fish_strata_using_subcommand help; and __fish_seen_subcommand_from diff" -f -a "versions" -d 'Every distinct version of each file across the snapshots of its dataset (same size and modification time: one version), oldest first'
complete -c strata -n "__fish_strata_using_subcommand help; and __fish_seen_subcommand_from diff" -f -a "deleted" -d 'Files some snapshot has and the live directory has not, with the newest snapshot that has each (cp -a SNAPSHOT_PATH PATH restores it)'
complete -c strata -n "__fish_strata_using_subcommand help; and __fish_seen_subcommand_from prune" -f -a "plan" -d 'One prune record per snapshot: keep or destroy, and why'
complete -c strata -n "__fish_strata_using_subcommand help; and __fish_seen_subcommand_from prune" -f -a "apply" -d 'Destroy the snapshots a plan marked destroy (reads prune records on standard input)'
complete -c strata -n "__fish_strata_using_subcommand help; and __fish_seen_subcommand_from quota" -f -a "report" -d 'One record per dataset: space used, limits, compression (one zfs list call)'
complete -c strata -n "__fish_strata_using_subcommand help; and __fish_seen_subcommand_from quota" -f -a "set" -d 'Set quota, refquota, reservation, refreservation, compression, userquota@, groupquota@ in one zfs set call'
complete -c strata -n "__fish_strata_using_subcommand help; and __fish_seen_subcommand_from quota" -f -a "check" -d 'For cron and monitoring: the datasets at or above a threshold of their quota; exit 0 ok, 1 warn, 2 crit, 3 unknown'
complete -c strata -n "__fish_strata_using_subcommand help; and __fish_seen_subcommand_from quota" -f -a "users" -d 'Per-user and per-group usage and quotas of one dataset (zfs userspace, zfs groupspace)'
complete -c strata -n "__fish_strata_using_subcommand help; and __fish_seen_subcommand_from sshtui" -f -a "list" -d 'Print one host record per concrete alias (patterns and negations are not hosts)'
