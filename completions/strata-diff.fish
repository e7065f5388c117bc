# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_strata_diff_global_optspecs
    string join \n format= json print0 color= q/quiet v/verbose change= kind= under= glob= sort summary h/help V/version
end

function __fish_strata_diff_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_strata_diff_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_strata_diff_using_subcommand
    set -l cmd (__fish_strata_diff_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c strata-diff -n "__fish_strata_diff_needs_command" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-diff -n "__fish_strata_diff_needs_command" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-diff -n "__fish_strata_diff_needs_command" -l change -d 'Only these changes (comma-separated)' -r -f -a "modified\t''
added\t''
removed\t''
renamed\t''"
complete -c strata-diff -n "__fish_strata_diff_needs_command" -l kind -d 'Only these file types (comma-separated)' -r -f -a "file\t''
directory\t''
symlink\t''
socket\t''
fifo\t''
block\t''
char\t''
door\t''
port\t''
unknown\t''"
complete -c strata-diff -n "__fish_strata_diff_needs_command" -l under -d 'Only paths at or below the absolute PATH (either path of a rename); repeatable' -r -F
complete -c strata-diff -n "__fish_strata_diff_needs_command" -l glob -d 'Only paths matching the glob PATTERN (the whole path; `*` also matches `/`; either path of a rename); repeatable, any may match' -r
complete -c strata-diff -n "__fish_strata_diff_needs_command" -l json -d 'Same as --format json'
complete -c strata-diff -n "__fish_strata_diff_needs_command" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-diff -n "__fish_strata_diff_needs_command" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-diff -n "__fish_strata_diff_needs_command" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-diff -n "__fish_strata_diff_needs_command" -l sort -d 'Sort by path instead of keeping ZFS\'s order (holds every record in memory)'
complete -c strata-diff -n "__fish_strata_diff_needs_command" -l summary -d 'End with one summary record: the counts per change'
complete -c strata-diff -n "__fish_strata_diff_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-diff -n "__fish_strata_diff_needs_command" -s V -l version -d 'Print version'
complete -c strata-diff -n "__fish_strata_diff_needs_command" -a "versions" -d 'Every distinct version of each file across the snapshots of its dataset (same size and modification time: one version), oldest first'
complete -c strata-diff -n "__fish_strata_diff_needs_command" -a "deleted" -d 'Files some snapshot has and the live directory has not, with the newest snapshot that has each (cp -a SNAPSHOT_PATH PATH restores it)'
complete -c strata-diff -n "__fish_strata_diff_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata-diff -n "__fish_strata_diff_using_subcommand versions" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-diff -n "__fish_strata_diff_using_subcommand versions" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-diff -n "__fish_strata_diff_using_subcommand versions" -l json -d 'Same as --format json'
complete -c strata-diff -n "__fish_strata_diff_using_subcommand versions" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-diff -n "__fish_strata_diff_using_subcommand versions" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-diff -n "__fish_strata_diff_using_subcommand versions" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-diff -n "__fish_strata_diff_using_subcommand versions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-diff -n "__fish_strata_diff_using_subcommand deleted" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-diff -n "__fish_strata_diff_using_subcommand deleted" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-diff -n "__fish_strata_diff_using_subcommand deleted" -s r -l recursive -d 'Look into subdirectories too'
complete -c strata-diff -n "__fish_strata_diff_using_subcommand deleted" -l json -d 'Same as --format json'
complete -c strata-diff -n "__fish_strata_diff_using_subcommand deleted" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-diff -n "__fish_strata_diff_using_subcommand deleted" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-diff -n "__fish_strata_diff_using_subcommand deleted" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-diff -n "__fish_strata_diff_using_subcommand deleted" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-diff -n "__fish_strata_diff_using_subcommand help; and not __fish_seen_subcommand_from versions deleted help" -f -a "versions" -d 'Every distinct version of each file across the snapshots of its dataset (same size and modification time: one version), oldest first'
complete -c strata-diff -n "__fish_strata_diff_using_subcommand help; and not __fish_seen_subcommand_from versions deleted help" -f -a "deleted" -d 'Files some snapshot has and the live directory has not, with the newest snapshot that has each (cp -a SNAPSHOT_PATH PATH restores it)'
complete -c strata-diff -n "__fish_strata_diff_using_subcommand help; and not __fish_seen_subcommand_from versions deleted help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
