# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_strata_prune_global_optspecs
    string join \n format= json print0 color= q/quiet v/verbose h/help V/version
end

function __fish_strata_prune_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_strata_prune_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_strata_prune_using_subcommand
    set -l cmd (__fish_strata_prune_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c strata-prune -n "__fish_strata_prune_needs_command" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-prune -n "__fish_strata_prune_needs_command" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-prune -n "__fish_strata_prune_needs_command" -l json -d 'Same as --format json'
complete -c strata-prune -n "__fish_strata_prune_needs_command" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-prune -n "__fish_strata_prune_needs_command" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-prune -n "__fish_strata_prune_needs_command" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-prune -n "__fish_strata_prune_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-prune -n "__fish_strata_prune_needs_command" -s V -l version -d 'Print version'
complete -c strata-prune -n "__fish_strata_prune_needs_command" -f -a "plan" -d 'One prune record per snapshot: keep or destroy, and why'
complete -c strata-prune -n "__fish_strata_prune_needs_command" -f -a "apply" -d 'Destroy the snapshots a plan marked destroy (reads prune records on standard input)'
complete -c strata-prune -n "__fish_strata_prune_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -l keep-within -d 'Keep everything created within this time before now: a number and h, d, w, m (31 days) or y (365 days)' -r
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -l keep-last -d 'Keep the newest snapshot of each of the last N seconds that have one (borg\'s --keep-last/--keep-secondly)' -r
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -l keep-hourly -d 'Keep the newest snapshot of each of the last N hours that have one' -r
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -l keep-daily -d 'Keep the newest snapshot of each of the last N days that have one' -r
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -l keep-weekly -d 'Keep the newest snapshot of each of the last N ISO weeks that have one' -r
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -l keep-monthly -d 'Keep the newest snapshot of each of the last N months that have one' -r
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -l keep-yearly -d 'Keep the newest snapshot of each of the last N years that have one' -r
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -l now -d 'The time --keep-within counts back from (RFC 3339); the clock by default' -r
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -l match -d 'Own the snapshots whose name after \'@\' contains a match of this regular expression (a search, like grep: anchor it with ^ and $; \'^zfs-auto-snap_\' adopts zfs-auto-snapshot\'s, \'^autosnap_\' sanoid\'s), instead of those made by strata (strata:managed=on)' -r
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -l protect -d 'Snapshot records of a replication target (e.g. `strata snapshot list -r backup/tank`): the newest snapshot of each dataset that the target also has (same guid) is kept' -r -F
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -s r -l recursive -d 'With DATASETs: include their descendants'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -l json -d 'Same as --format json'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand plan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand apply" -l lock -d 'Refuse to run (exit 75) while another run holds this lock: bare --lock takes /run/lock/TOOL.lock for root, --lock=PATH another file (the = is needed)' -r -F
complete -c strata-prune -n "__fish_strata_prune_using_subcommand apply" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-prune -n "__fish_strata_prune_using_subcommand apply" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-prune -n "__fish_strata_prune_using_subcommand apply" -s n -l dry-run -d 'Show what would be done (the exact commands on standard error) and change nothing'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand apply" -s y -l yes -d 'Do it without asking'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand apply" -l bookmark -d 'Keep a bookmark (DATASET#NAME) of each snapshot before destroying it, so incremental sends from it still work'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand apply" -l json -d 'Same as --format json'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand apply" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand apply" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand apply" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand help; and not __fish_seen_subcommand_from plan apply help" -f -a "plan" -d 'One prune record per snapshot: keep or destroy, and why'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand help; and not __fish_seen_subcommand_from plan apply help" -f -a "apply" -d 'Destroy the snapshots a plan marked destroy (reads prune records on standard input)'
complete -c strata-prune -n "__fish_strata_prune_using_subcommand help; and not __fish_seen_subcommand_from plan apply help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
