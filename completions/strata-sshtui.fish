# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_strata_sshtui_global_optspecs
    string join \n format= json print0 color= q/quiet v/verbose print F= tag= h/help V/version
end

function __fish_strata_sshtui_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_strata_sshtui_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_strata_sshtui_using_subcommand
    set -l cmd (__fish_strata_sshtui_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c strata-sshtui -n "__fish_strata_sshtui_needs_command" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-sshtui -n "__fish_strata_sshtui_needs_command" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-sshtui -n "__fish_strata_sshtui_needs_command" -s F -d 'Read this configuration file instead of ~/.ssh/config and /etc/ssh/ssh_config (`none`: no file)' -r -F
complete -c strata-sshtui -n "__fish_strata_sshtui_needs_command" -l tag -d 'Only hosts with this tag (a `# tags: ...` comment on the Host block); repeat for several' -r
complete -c strata-sshtui -n "__fish_strata_sshtui_needs_command" -l json -d 'Same as --format json'
complete -c strata-sshtui -n "__fish_strata_sshtui_needs_command" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-sshtui -n "__fish_strata_sshtui_needs_command" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-sshtui -n "__fish_strata_sshtui_needs_command" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-sshtui -n "__fish_strata_sshtui_needs_command" -l print -d 'Print the chosen alias on standard output instead of running ssh'
complete -c strata-sshtui -n "__fish_strata_sshtui_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-sshtui -n "__fish_strata_sshtui_needs_command" -s V -l version -d 'Print version'
complete -c strata-sshtui -n "__fish_strata_sshtui_needs_command" -a "list" -d 'Print one host record per concrete alias (patterns and negations are not hosts)'
complete -c strata-sshtui -n "__fish_strata_sshtui_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c strata-sshtui -n "__fish_strata_sshtui_using_subcommand list" -s F -d 'Read this configuration file instead of ~/.ssh/config and /etc/ssh/ssh_config (`none`: no file)' -r -F
complete -c strata-sshtui -n "__fish_strata_sshtui_using_subcommand list" -l tag -d 'Only hosts with this tag; repeat for several (a host needs all of them)' -r
complete -c strata-sshtui -n "__fish_strata_sshtui_using_subcommand list" -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-sshtui -n "__fish_strata_sshtui_using_subcommand list" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-sshtui -n "__fish_strata_sshtui_using_subcommand list" -l no-exec -d 'Run no `Match exec` command: a Match line holding `exec` counts as not matching (the values it would set are left out). Shell completion lists hosts this way'
complete -c strata-sshtui -n "__fish_strata_sshtui_using_subcommand list" -l json -d 'Same as --format json'
complete -c strata-sshtui -n "__fish_strata_sshtui_using_subcommand list" -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-sshtui -n "__fish_strata_sshtui_using_subcommand list" -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-sshtui -n "__fish_strata_sshtui_using_subcommand list" -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-sshtui -n "__fish_strata_sshtui_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-sshtui -n "__fish_strata_sshtui_using_subcommand help; and not __fish_seen_subcommand_from list help" -f -a "list" -d 'Print one host record per concrete alias (patterns and negations are not hosts)'
complete -c strata-sshtui -n "__fish_strata_sshtui_using_subcommand help; and not __fish_seen_subcommand_from list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
