# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_strata_quota_global_optspecs
    string join \n format= json print0 color= q/quiet v/verbose h/help V/version
end

function __fish_strata_quota_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_strata_quota_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_strata_quota_using_subcommand
    set -l cmd (__fish_strata_quota_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c strata-quota -n "__fish_strata_quota_needs_command" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-quota -n "__fish_strata_quota_needs_command" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-quota -n "__fish_strata_quota_needs_command" -l json -d 'Same as --format json'
complete -c strata-quota -n "__fish_strata_quota_needs_command" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-quota -n "__fish_strata_quota_needs_command" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-quota -n "__fish_strata_quota_needs_command" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-quota -n "__fish_strata_quota_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-quota -n "__fish_strata_quota_needs_command" -s V -l version -d 'Print version'
complete -c strata-quota -n "__fish_strata_quota_needs_command" -f -a "report" -d 'One record per dataset: space used, limits, compression (one zfs list call)'
complete -c strata-quota -n "__fish_strata_quota_needs_command" -f -a "set" -d 'Set quota, refquota, reservation, refreservation, compression, userquota@, groupquota@ in one zfs set call'
complete -c strata-quota -n "__fish_strata_quota_needs_command" -f -a "check" -d 'For cron and monitoring: the datasets at or above a threshold of their quota; exit 0 ok, 1 warn, 2 crit, 3 unknown'
complete -c strata-quota -n "__fish_strata_quota_needs_command" -f -a "users" -d 'Per-user and per-group usage and quotas of one dataset (zfs userspace, zfs groupspace)'
complete -c strata-quota -n "__fish_strata_quota_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand report" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-quota -n "__fish_strata_quota_using_subcommand report" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-quota -n "__fish_strata_quota_using_subcommand report" -s r -l recursive -d 'Include the descendants of the given datasets'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand report" -l json -d 'Same as --format json'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand report" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand report" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand report" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand set" -l lock -d 'Refuse to run (exit 75) while another run holds this lock: bare --lock takes /run/lock/TOOL.lock for root, --lock=PATH another file (the = is needed)' -r -F
complete -c strata-quota -n "__fish_strata_quota_using_subcommand set" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-quota -n "__fish_strata_quota_using_subcommand set" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-quota -n "__fish_strata_quota_using_subcommand set" -l force -d 'Skip strata\'s check of a new quota or refquota against the space already in use and let ZFS decide (OpenZFS itself refuses a quota below current usage; this only helps when usage is dropping at the same time, e.g. while snapshots are destroyed)'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand set" -s n -l dry-run -d 'Show what would be done (the exact commands on standard error) and change nothing'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand set" -s y -l yes -d 'Do it without asking'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand set" -l json -d 'Same as --format json'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand set" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand set" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand set" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand check" -l warn -d 'Warn when a dataset uses this much of its quota or refquota (or more)' -r
complete -c strata-quota -n "__fish_strata_quota_using_subcommand check" -l crit -d 'Critical when a dataset uses this much of its quota or refquota (or more)' -r
complete -c strata-quota -n "__fish_strata_quota_using_subcommand check" -l prometheus -d 'Also write a node_exporter textfile-collector file (FILE.prom), replaced atomically; on an error it says strata_quota_check_success 0' -r -F
complete -c strata-quota -n "__fish_strata_quota_using_subcommand check" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-quota -n "__fish_strata_quota_using_subcommand check" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-quota -n "__fish_strata_quota_using_subcommand check" -s r -l recursive -d 'Include the descendants of the given datasets'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand check" -l nagios -d 'Print one Nagios plugin line (status and perfdata) instead of records'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand check" -l json -d 'Same as --format json'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand check" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand check" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand check" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand users" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-quota -n "__fish_strata_quota_using_subcommand users" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-quota -n "__fish_strata_quota_using_subcommand users" -l json -d 'Same as --format json'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand users" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand users" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand users" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand users" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand help; and not __fish_seen_subcommand_from report set check users help" -f -a "report" -d 'One record per dataset: space used, limits, compression (one zfs list call)'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand help; and not __fish_seen_subcommand_from report set check users help" -f -a "set" -d 'Set quota, refquota, reservation, refreservation, compression, userquota@, groupquota@ in one zfs set call'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand help; and not __fish_seen_subcommand_from report set check users help" -f -a "check" -d 'For cron and monitoring: the datasets at or above a threshold of their quota; exit 0 ok, 1 warn, 2 crit, 3 unknown'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand help; and not __fish_seen_subcommand_from report set check users help" -f -a "users" -d 'Per-user and per-group usage and quotas of one dataset (zfs userspace, zfs groupspace)'
complete -c strata-quota -n "__fish_strata_quota_using_subcommand help; and not __fish_seen_subcommand_from report set check users help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
