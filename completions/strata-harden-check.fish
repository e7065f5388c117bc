complete -c strata-harden-check -l format -d 'Output format: a table on a terminal and NDJSON in a pipe by default' -r -f -a "auto\t'A table on a terminal, NDJSON otherwise'
json\t'Newline-delimited JSON: one record per line'
csv\t'CSV with a header line'
table\t'Aligned columns for people'
plain\t'The record\'s key field alone, one per line (a name, a path, a host alias), its control characters escaped (\\x0a); --print0 for the exact value'"
complete -c strata-harden-check -l color -d 'When to use colour (NO_COLOR in the environment means never, unless always)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c strata-harden-check -l lock -d 'Refuse to run (exit 75) while another run holds this lock: bare --lock takes /run/lock/TOOL.lock for root, --lock=PATH another file (the = is needed)' -r -F
complete -c strata-harden-check -l root -d 'The directory whose unit files are read (its /etc/systemd/system, /run/systemd/system, /lib/systemd/system, /usr/lib/systemd/system, ...)' -r -F
complete -c strata-harden-check -l profile -d 'Apply a portable profile to every unit, as systemd-analyze --profile does: a path to a drop-in file, or the name of a profile under /etc, /run or /usr/lib systemd/portable/profile/NAME/service.conf on this machine. It applies as a drop-in named profile.conf' -r -F
complete -c strata-harden-check -l threshold -d 'Exit 1 when any unit\'s exposure is above N (0.0 to 10.0)' -r
complete -c strata-harden-check -l json -d 'Same as --format json'
complete -c strata-harden-check -l print0 -d 'Plain output with each value exactly as it is, ended by a NUL byte instead of a newline (like find -print0; for xargs -0). Without it, plain output escapes control characters (a newline is \\x0a), so one value is always one line'
complete -c strata-harden-check -s q -l quiet -d 'Print nothing on standard error except errors'
complete -c strata-harden-check -s v -l verbose -d 'Say more on standard error (repeat for more)'
complete -c strata-harden-check -s n -l dry-run -d 'Show what would be done (the exact commands on standard error) and change nothing'
complete -c strata-harden-check -s y -l yes -d 'Do it without asking'
complete -c strata-harden-check -l user -d 'Read user units (/etc/systemd/user, /usr/lib/systemd/user, ...) instead of system units. systemd-analyze 252 refuses --user together with --root, so these scores follow its rules (KeyringMode= defaults to inherit) but have no reference run to compare with'
complete -c strata-harden-check -l all -d 'Every .service unit under the root, except templates, masked units and aliases (an alias is checked under the name of the unit it leads to)'
complete -c strata-harden-check -l suggest -d 'Print a drop-in that lowers each unit\'s exposure, with the exposure it predicts'
complete -c strata-harden-check -l write -d 'With --suggest: install the drop-in as /etc/systemd/system/UNIT.d/50-strata-harden.conf under --root'
complete -c strata-harden-check -s h -l help -d 'Print help (see more with \'--help\')'
complete -c strata-harden-check -s V -l version -d 'Print version'
