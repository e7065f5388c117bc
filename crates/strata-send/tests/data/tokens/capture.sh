#!/bin/bash
# Captures real receive_resume_tokens and what `zfs send -nvt` says about them, for the decoder's
# tests: a guest script of the lab (xtask/lab/zfs-vm.sh), run as
#   ZFSVM_OUT=/tmp/out ZFSVM_SSH=1 xtask/lab/zfs-vm.sh run crates/strata-send/tests/data/tokens/capture.sh
# Each NAME.token is cut short on purpose (3 MB of a larger stream) so the receive is resumable.
set -u
ssh -o BatchMode=yes root@127.0.0.1 zfs version && echo SSH-OK
zpool create -f tank /dev/vda
zfs create tank/a
dd if=/dev/urandom of=/tank/a/f bs=1M count=8 status=none
zfs snapshot tank/a@s1
dd if=/dev/urandom of=/tank/a/g bs=1M count=8 status=none
zfs snapshot tank/a@s2
n=0
cap() { # name, send args...
  local name=$1; shift
  zfs send "$@" | head -c 3000000 | zfs recv -s -u "tank/r-$name" 2>/dev/null
  local t; t=$(zfs get -H -o value receive_resume_token "tank/r-$name")
  echo "$t" >"$OUT/$name.token"
  zfs send -nvt "$t" >"$OUT/$name.nvt" 2>&1; }
cap full tank/a@s1
zfs send tank/a@s1 | zfs recv -u tank/r-incr
cap incr -i tank/a@s1 tank/a@s2
echo secretsecret > /tmp/key
zfs create -o encryption=on -o keyformat=passphrase -o keylocation=file:///tmp/key tank/enc
dd if=/dev/urandom of=/tank/enc/f bs=1M count=8 status=none
zfs snapshot tank/enc@e1
cap raw -w tank/enc@e1
zfs create "tank/with space"
dd if=/dev/urandom of="/tank/with space/f" bs=1M count=8 status=none
zfs snapshot "tank/with space@sp 1"
cap space "tank/with space@sp 1"
