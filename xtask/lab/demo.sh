#!/bin/bash
# strata's main job on a real OpenZFS pool, run inside the lab VM by `cargo xtask lab demo`.
# The pool is laid out like a real server: a docker-compose stack per dataset and a log dataset.
set -euo pipefail
export PATH=/host/bin:$PATH
B=$'\e[1m' R=$'\e[0m'
say() { printf '\n%s== %s%s\n' "$B" "$*" "$R"; }
show() { printf '%s$ %s%s\n' "$B" "$*" "$R"; "$@"; }
# strata-diff exits 1 when it found changes (like diff(1)); that is an answer, not a failure.
answer() { "$@" || [ $? -eq 1 ]; }
show_answer() { printf '%s$ %s%s\n' "$B" "$*" "$R"; answer "$@"; }

say "A server's pool: tank/srv/docker/victim.org (a compose stack) and tank/var/log"
zpool create -f tank /dev/vda
zfs create -p -o compression=zstd tank/srv/docker/victim.org
zfs create -p tank/var/log
S=/tank/srv/docker/victim.org
mkdir -p "$S/config" "$S/data/uploads"
cat >"$S/docker-compose.yml" <<'YML'
services:
  web:
    image: nginx:1.25
    ports: ["80:80"]
    volumes: ["./config/nginx.conf:/etc/nginx/nginx.conf:ro", "./data/uploads:/srv/uploads"]
  db:
    image: mariadb:10.11
    env_file: .env
YML
printf 'MARIADB_ROOT_PASSWORD=change-me\n' >"$S/.env"
printf 'events {}\nhttp { server { listen 80; } }\n' >"$S/config/nginx.conf"
printf 'first upload\n' >"$S/data/uploads/a.txt"
printf 'Nov 25 00:00:01 victim nginx: started\n' >/tank/var/log/syslog
show zfs list -o name,used,avail,mountpoint -r tank

say "1. A timer takes a snapshot: recursive, atomic, named by UTC time"
show strata snapshot create -r tank/srv/docker/victim.org
show strata snapshot list -r tank --format table

say "2. The stack changes: a new image tag, a new upload, a deleted file"
# rewritten in place (same file), as an editor that keeps the inode does
compose=$(sed 's/nginx:1.25/nginx:1.27/' "$S/docker-compose.yml")
printf '%s\n' "$compose" >"$S/docker-compose.yml"
printf 'second upload\n' >"$S/data/uploads/b.txt"
rm "$S/.env"
show_answer strata diff tank/srv/docker/victim.org --format table
printf '%s$ strata diff tank/srv/docker/victim.org | head -2%s\n' "$B" "$R"
answer strata diff tank/srv/docker/victim.org | head -2

say "3. Retention: more snapshots over time, then a plan that explains itself"
for i in 1 2 3 4; do
  sleep 1
  printf 'upload %s\n' "$i" >"$S/data/uploads/more-$i.txt"
  strata snapshot create tank/srv/docker/victim.org
done
printf '%s$ strata snapshot list -r tank | strata prune plan --keep-last 2 --format table%s\n' "$B" "$R"
strata snapshot list -r tank | strata prune plan --keep-last 2 --format table

say "4. From cron: plan and apply, silent when all goes well"
printf '%s$ strata snapshot list -r tank | strata prune plan --keep-last 2 | strata prune apply --yes%s\n' "$B" "$R"
strata snapshot list -r tank | strata prune plan --keep-last 2 | strata prune apply --yes
echo "(exit $?, nothing printed)"
show strata snapshot list -r tank --format table

say "5. Disk space no log file can eat: a quota, a reservation, compression"
show strata quota set tank/var/log quota=200M reservation=20M compression=zstd
show strata quota report -r tank --format table
show_answer strata quota check -r tank --warn 80% --crit 95%

say "6. Replication over ssh: a full send, then an incremental, then nothing left to do"
# the lab guest runs sshd on 127.0.0.1; the backup pool is a second dataset on the same pool
zfs create tank/backup
show strata send tank/srv/docker/victim.org --to root@127.0.0.1:tank/backup/victim.org --format table
printf 'third upload\n' >"$S/data/uploads/c.txt"
strata snapshot create tank/srv/docker/victim.org
show strata send tank/srv/docker/victim.org --to root@127.0.0.1:tank/backup/victim.org --format table
show strata send tank/srv/docker/victim.org --to root@127.0.0.1:tank/backup/victim.org --format table
show zfs list -o name,readonly -r tank/backup
show zfs list -t snapshot,bookmark -o name -r tank/backup tank/srv/docker/victim.org

say "Done: every step above ran on a real OpenZFS $(zfs version | head -1 | sed 's/^zfs-//') pool"
