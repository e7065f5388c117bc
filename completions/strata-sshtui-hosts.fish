# Host aliases for `strata-sshtui` (its query and `list`'s pattern), `strata sshtui` and `ssh`,
# taken from `strata-sshtui list --format plain`: the concrete aliases of the ssh configuration,
# read the way ssh reads it (Include, Match), never a pattern or a negation. `--no-exec`: no
# `Match exec` command of the configuration runs when Tab is pressed.
# Install: copy to ~/.config/fish/completions/ (or source it from config.fish).

function __strata_sshtui_hosts --description 'ssh host aliases, as ssh reads the configuration'
    set -l tokens (commandline -opc)
    set -l args
    set -l n (count $tokens)
    for i in (seq $n)
        # -F FILE (and -FFILE) on the command line being completed names the configuration.
        if test "$tokens[$i]" = -F; and test $i -lt $n
            set args -F (string replace -r '^~(?=/|$)' -- $HOME $tokens[(math $i + 1)])
        else if string match -qr '^-F.' -- $tokens[$i]
            set args -F (string replace -r '^~(?=/|$)' -- $HOME (string sub -s 3 -- $tokens[$i]))
        end
    end
    command strata-sshtui list --no-exec --format plain $args 2>/dev/null
end

# True while the ssh command line being completed has no destination yet.
function __strata_sshtui_ssh_needs_host
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l skip 0
    for t in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
            case -B -b -c -D -E -e -F -I -i -J -L -l -m -O -o -p -Q -R -S -W -w
                set skip 1
            case '-*'
            case '*'
                return 1
        end
    end
    test $skip = 0
end

# strata-sshtui [QUERY] and strata-sshtui list [PATTERN]
complete -c strata-sshtui -f -n 'not __fish_prev_arg_in -F --tag --format --color' -a '(__strata_sshtui_hosts)' -d 'ssh host'
# strata sshtui [QUERY]
complete -c strata -f -n '__fish_seen_subcommand_from sshtui; and not __fish_prev_arg_in -F --tag --format --color' -a '(__strata_sshtui_hosts)' -d 'ssh host'
# ssh HOST: the aliases ssh itself would accept, Include and Match included.
complete -c ssh -f -n __strata_sshtui_ssh_needs_host -a '(__strata_sshtui_hosts)' -d 'ssh config host'
