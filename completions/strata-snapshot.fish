# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_strata_snapshot_global_optspecs
    string join \n format= json print0 color= q/quiet v/verbose h/help V/version
end

function __fish_strata_snapshot_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_strata_snapshot_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_strata_snapshot_using_subcommand
    set -l cmd (__fish_strata_snapshot_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c strata-snapshot -n "__fish_strata_snapshot_needs_command" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-snapshot -n "__fish_strata_snapshot_needs_command" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-snapshot -n "__fish_strata_snapshot_needs_command" -l json -d 'Same as --format json'
complete -c strata-snapshot -n "__fish_strata_snapshot_needs_command" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-snapshot -n "__fish_strata_snapshot_needs_command" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-snapshot -n "__fish_strata_snapshot_needs_command" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-snapshot -n "__fish_strata_snapshot_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-snapshot -n "__fish_strata_snapshot_needs_command" -s V -l version -d 'Print version'
complete -c strata-snapshot -n "__fish_strata_snapshot_needs_command" -f -a "create" -d 'Snapshot datasets in one atomic zfs snapshot call'
complete -c strata-snapshot -n "__fish_strata_snapshot_needs_command" -f -a "list" -d 'Snapshot records, sorted by dataset then creation (one zfs list call)'
complete -c strata-snapshot -n "__fish_strata_snapshot_needs_command" -f -a "rollback" -d 'Roll a dataset back to a snapshot, destroying newer ones, after saying what will be lost'
complete -c strata-snapshot -n "__fish_strata_snapshot_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand create" -l name-format -d 'strftime format of the name, applied to the current UTC time' -r
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand create" -l prefix -d 'Put this before the time in the name' -r
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand create" -l label -d 'Mark the snapshots with this label (user property strata:label)' -r
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand create" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand create" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand create" -s r -l recursive -d 'Snapshot the descendants too (zfs snapshot -r)'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand create" -s n -l dry-run -d 'Show the zfs snapshot command (on standard error) without running it'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand create" -l json -d 'Same as --format json'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand create" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand create" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand create" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand list" -l label -d 'Only snapshots with this label (strata:label)' -r
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand list" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand list" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand list" -s r -l recursive -d 'Include the snapshots of descendants'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand list" -l managed -d 'Only snapshots made by strata (strata:managed=on)'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand list" -l json -d 'Same as --format json'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand list" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand list" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand list" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand rollback" -l lock -d 'Refuse to run (exit 75) while another run holds this lock: bare --lock takes /run/lock/TOOL.lock for root, --lock=PATH another file (the = is needed)' -r -F
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand rollback" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand rollback" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand rollback" -s n -l dry-run -d 'Show what would be done (the exact commands on standard error) and change nothing'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand rollback" -s y -l yes -d 'Do it without asking'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand rollback" -l json -d 'Same as --format json'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand rollback" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand rollback" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand rollback" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand rollback" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand help; and not __fish_seen_subcommand_from create list rollback help" -f -a "create" -d 'Snapshot datasets in one atomic zfs snapshot call'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand help; and not __fish_seen_subcommand_from create list rollback help" -f -a "list" -d 'Snapshot records, sorted by dataset then creation (one zfs list call)'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand help; and not __fish_seen_subcommand_from create list rollback help" -f -a "rollback" -d 'Roll a dataset back to a snapshot, destroying newer ones, after saying what will be lost'
complete -c strata-snapshot -n "__fish_strata_snapshot_using_subcommand help; and not __fish_seen_subcommand_from create list rollback help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
