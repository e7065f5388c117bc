#!/usr/bin/env bash
# zfs-vm.sh - run a script against a REAL OpenZFS inside a throw-away QEMU VM.
#
# Usage:
#   zfs-vm.sh setup                      # one-time: apt installs, dkms build, kernel+initramfs into the cache
#   zfs-vm.sh run GUEST_SCRIPT [FILES..] # boot, run GUEST_SCRIPT in the guest (cwd=/host, a 9p copy of
#                                        # the script+FILES), print its output, exit with its exit status
#   zfs-vm.sh shell [FILES..]            # interactive shell in the guest (Ctrl-A x quits qemu); FILES are
#                                        # shared at /host like for run; an executable /host/.zfsvm-setup
#                                        # runs first, and /host/bin is on PATH
#   zfs-vm.sh info                       # print cached kernel/zfs versions and paths
#   zfs-vm.sh clean                      # remove the built kernel+initramfs (keeps apt packages)
#
# Environment:
#   ZFSVM_CACHE   cache dir (default /var/cache/zfs-vm): vmlinux/vmlinuz, initramfs.cpio, kernel .deb, logs
#                 (`setup` rebuilds them when this script is newer than initramfs.cpio)
#   ZFSVM_OUT     host dir shared read-write into the guest at /out (guest sees $OUT=/out);
#                 default: none (guest has no /out)
#   ZFSVM_MEM     guest RAM in MiB (default 2048)
#   ZFSVM_SMP     guest vCPUs (default: nproc of the host)
#   ZFSVM_DISK_MB size of the sparse scratch virtio disk /dev/vda (default 1024; 0 = none)
#   ZFSVM_ACCEL   kvm | tcg | auto (default auto: probe kvm once, remember the result in the cache)
#   ZFSVM_TIMEOUT seconds before the VM is killed (default 900)
#   ZFSVM_VERBOSE 1 = also show the kernel boot log on stderr
#   ZFSVM_KVER    guest kernel ABI (default: what the apt candidate of linux-image-amd64 depends on)
#   ZFSVM_ZFS     OpenZFS series of the guest (default 2.3: the host's zfs-dkms + zfsutils-linux from
#                 bookworm-backports). Another series, e.g. 2.1 (bookworm's own), is taken from apt
#                 WITHOUT installing it: its debs are unpacked into the cache (default
#                 /var/cache/zfs-vm-SERIES), its modules built there, and its userland put in the guest
#   ZFSVM_SSH     setup: 1 = also put OpenSSH (ssh, sshd, ssh-keygen from Debian's openssh-client/-server
#                 .debs, apt-get download'ed + unpacked into the cache, nothing installed on the host) into
#                 the initramfs; the guest then has `start-sshd` (lo up, sshd user, /run/sshd, host keys,
#                 root keypair authorised for root, sshd on 127.0.0.1:22 only).
#                 run: 1 = /init calls start-sshd before the guest script (needs an ssh-enabled cache)
#
# Inside the guest: busybox (all applets), bash, zfs, zpool, zdb, zstream, zfs modules loaded,
# /dev/vda = empty scratch disk, /tmp = tmpfs (file vdevs work: truncate -s 256M /tmp/d0),
# env: ZFSVM=1 HOST=/host OUT=/out (if ZFSVM_OUT set). The VM is discarded after each run.
# lo is always up. With an ssh-enabled cache: ssh, sshd, ssh-keygen, start-sshd [-A] (-A = all host key
# types via `ssh-keygen -A`; default: ed25519 only, faster under TCG); then `ssh root@127.0.0.1 CMD` works.
set -euo pipefail

# empty = the host's installed OpenZFS (2.3); otherwise a series unpacked from apt into its own cache
ZFS_SERIES=${ZFSVM_ZFS:-}
[[ $ZFS_SERIES = 2.3 ]] && ZFS_SERIES=
if [[ -n $ZFS_SERIES ]]; then CACHE=${ZFSVM_CACHE:-/var/cache/zfs-vm-$ZFS_SERIES}; else CACHE=${ZFSVM_CACHE:-/var/cache/zfs-vm}; fi
ME=$(readlink -f "$0")
log() { printf '[zfs-vm] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

detect_kver() {
  if [[ -n ${ZFSVM_KVER:-} ]]; then echo "$ZFSVM_KVER"; return; fi
  if [[ -s $CACHE/kver ]]; then cat "$CACHE/kver"; return; fi
  # the stable bookworm kernel (6.1.x); OpenZFS 2.3.x supports 4.18..6.14/6.15
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/{sub(/.*linux-image-/,"");print;exit}'
}

ensure_apt() {
  export DEBIAN_FRONTEND=noninteractive
  local pol; pol=$(apt-cache policy zfs-dkms 2>/dev/null || true)
  if [[ $pol != *bookworm-backports/contrib* ]]; then
    log "adding bookworm + bookworm-backports contrib to apt sources"
    # reuse the mirror this machine already uses for Debian's main archive
    local uris
    uris=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
    [[ -n $uris ]] || uris=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
    [[ -n $uris ]] || die "cannot find the Debian mirror in /etc/apt sources"
    # bookworm's main is configured already: add its contrib, and backports (main + contrib) for OpenZFS 2.3
    printf 'Types: deb\nURIs: %s\nSuites: bookworm\nComponents: contrib\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main contrib\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$uris" "$uris" >/etc/apt/sources.list.d/zfs-vm-contrib.sources
    apt-get update -qq
  fi
  local kver=$1
  local need=()
  command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
  [[ -x /bin/busybox ]] || need+=(busybox-static)
  command -v cpio >/dev/null || need+=(cpio)
  [[ -d /usr/src/linux-headers-$kver ]] || need+=("linux-headers-$kver")
  if [[ -z $ZFS_SERIES ]]; then
    dpkg -s zfs-dkms >/dev/null 2>&1 || need+=(zfs-dkms)
    dpkg -s zfsutils-linux >/dev/null 2>&1 || need+=(zfsutils-linux)
  else # the series' module is built here, not by dkms
    command -v make >/dev/null || need+=(make)
    command -v gcc >/dev/null || need+=(gcc)
  fi
  command -v bash >/dev/null || need+=(bash)
  if ((${#need[@]})); then
    log "apt-get update"
    apt-get update -qq
    log "apt-get install ${need[*]}"
    # -t bookworm-backports: newest OpenZFS (2.3.x, has 'zfs list -j'); the 6.1 headers only exist in bookworm(-security)
    apt-get install -y -q --no-install-recommends -t bookworm-backports "${need[@]}"
  fi
  mkdir -p "$CACHE/debs"
  if [[ ! -e $CACHE/kroot/boot/vmlinuz-$kver ]]; then
    log "downloading + unpacking linux-image-$kver (not installed on the host)"
    ls "$CACHE"/debs/linux-image-"$kver"_*.deb >/dev/null 2>&1 ||
      (cd "$CACHE/debs" && apt-get download -q "linux-image-$kver" 2>/dev/null)
    rm -rf "$CACHE/kroot"; mkdir -p "$CACHE/kroot"
    dpkg-deb -x "$CACHE"/debs/linux-image-"$kver"_*.deb "$CACHE/kroot"
  fi
}

ensure_ssh_debs() { # Debian openssh-client/-server + libwrap0 (sshd's only lib not on a minimal host), unpacked
  local sr=$CACHE/sshroot p
  [[ -x $sr/usr/sbin/sshd && -x $sr/usr/bin/ssh ]] && return 0
  mkdir -p "$CACHE/debs"
  for p in openssh-client openssh-server libwrap0; do
    ls "$CACHE"/debs/"$p"_*.deb >/dev/null 2>&1 || { log "apt-get download $p"; (cd "$CACHE/debs" && apt-get download -q "$p"); }
  done
  rm -rf "$sr"; mkdir -p "$sr"
  for p in openssh-client openssh-server libwrap0; do dpkg-deb -x "$(ls "$CACHE"/debs/"$p"_*.deb | tail -1)" "$sr"; done
}

copy_ssh() { # copy_ssh ROOT: ssh/sshd/ssh-keygen from $CACHE/sshroot to their real paths + ldd libs (host or sshroot)
  local root=$1 sr=$CACHE/sshroot b l
  local llp=$sr/lib/x86_64-linux-gnu:$sr/usr/lib/x86_64-linux-gnu
  for b in /usr/bin/ssh /usr/bin/ssh-keygen /usr/bin/scp /usr/sbin/sshd; do
    mkdir -p "$root$(dirname "$b")"; cp -L "$sr$b" "$root$b"
    if LD_LIBRARY_PATH=$llp ldd "$sr$b" | grep -q 'not found'; then die "unresolved libs for $b: $(LD_LIBRARY_PATH=$llp ldd "$sr$b" | grep 'not found' | tr '\n' ' ')"; fi
    for l in $(LD_LIBRARY_PATH=$llp ldd "$sr$b" 2>/dev/null | grep -o '/[^ ]*'); do
      if [[ $l = "$sr"/* ]]; then mkdir -p "$root$(dirname "${l#"$sr"}")"; cp -L "$l" "$root${l#"$sr"}"
      else [[ -e $root$l ]] || cp -L --parents "$l" "$root/"; fi
    done
  done
  mkdir -p "$root/etc/ssh" "$root/root/.ssh" "$root/var/empty"; chmod 700 "$root/root/.ssh"
  # no PAM (UsePAM no) => no dlopen'ed pam modules; glibc 2.36 has nss files/dns built in => no libnss_*
  cat >"$root/etc/ssh/sshd_config" <<'EOF'
# zfs-vm: loopback-only sshd for `zfs send | ssh root@127.0.0.1 zfs recv` tests
ListenAddress 127.0.0.1
Port 22
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
PrintLastLog no
StrictModes yes
PidFile /run/sshd.pid
MaxStartups 100:30:200
MaxSessions 100
LogLevel ERROR
EOF
  cat >"$root/etc/ssh/ssh_config" <<'EOF'
Host *
    BatchMode yes
    LogLevel ERROR
EOF
  echo 'sshd:x:101:65534:sshd privsep:/run/sshd:/bin/false' >>"$root/etc/passwd"
  echo 'sshd:x:101:' >>"$root/etc/group"
  printf '127.0.0.1 localhost zfsvm\n::1 localhost\n' >"$root/etc/hosts"
  cat >"$root/bin/start-sshd" <<'EOF'
#!/bin/sh
# start-sshd [-A]: loopback sshd for root. -A: all host key types (ssh-keygen -A), default ed25519 only
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
grep -q '^root:' /etc/passwd || echo 'root:x:0:0:root:/root:/bin/sh' >>/etc/passwd
grep -q '^sshd:' /etc/passwd || echo 'sshd:x:101:65534:sshd privsep:/run/sshd:/bin/false' >>/etc/passwd
grep -q '^root:' /etc/group || echo 'root:x:0:' >>/etc/group
grep -q '^sshd:' /etc/group || echo 'sshd:x:101:' >>/etc/group
mkdir -p /etc/ssh /run/sshd /root/.ssh && chmod 755 /run/sshd && chmod 700 /root /root/.ssh
if [ "$1" = -A ]; then ssh-keygen -A >/dev/null
else [ -e /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -C '' -f /etc/ssh/ssh_host_ed25519_key; fi
[ -e /root/.ssh/id_ed25519 ] || ssh-keygen -q -t ed25519 -N '' -C root@zfsvm -f /root/.ssh/id_ed25519
cat /root/.ssh/id_ed25519.pub >/root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys
# pre-trust our own host keys, so plain `ssh root@127.0.0.1` works (StrictHostKeyChecking stays on)
for k in /etc/ssh/ssh_host_*_key.pub; do echo "127.0.0.1,localhost $(cut -d' ' -f1,2 "$k")"; done >/root/.ssh/known_hosts
hk=; for k in /etc/ssh/ssh_host_*_key; do hk="$hk -h $k"; done
/usr/sbin/sshd -f /etc/ssh/sshd_config $hk -E /run/sshd.log || { cat /run/sshd.log >&2; exit 1; }
i=0; until grep -q ' 0100007F:0016 00000000:0000 0A ' /proc/net/tcp; do
  i=$((i+1)); [ $i -gt 100 ] && { echo "start-sshd: sshd not listening" >&2; cat /run/sshd.log >&2; exit 1; }; sleep 0.05; done
EOF
  chmod 755 "$root/bin/start-sshd"
  echo 1 >"$root/etc/zfsvm-ssh"
}

zfs_ko_dir() { # where dkms put zfs.ko/spl.ko for $1
  local d
  if [[ -n $ZFS_SERIES ]]; then
    [[ -e $CACHE/modules-$1/zfs.ko ]] && { echo "$CACHE/modules-$1"; return 0; }
    return 1
  fi
  for d in /lib/modules/$1/updates/dkms /var/lib/dkms/zfs/*/"$1"/x86_64/module; do
    [[ -e $d/zfs.ko || -e $d/zfs.ko.xz ]] && { echo "$d"; return 0; }
  done
  return 1
}

ensure_dkms() {
  local kver=$1
  if ! zfs_ko_dir "$kver" >/dev/null; then
    local zv
    zv=$(dpkg-query -W -f='${Version}' zfs-dkms | sed 's/-.*//')
    log "dkms build zfs/$zv for $kver (slow: ~10 min on 2 cores)"
    dkms build "zfs/$zv" -k "$kver" || die "dkms build failed (see /var/lib/dkms/zfs/$zv/build/make.log)"
    dkms install "zfs/$zv" -k "$kver" --force || true
  fi
  zfs_ko_dir "$kver" >/dev/null || die "no zfs.ko for $kver"
}

series_version() { # the newest apt version of zfs-dkms in $ZFS_SERIES (e.g. 2.1 -> 2.1.11-1+deb12u1)
  apt-cache madison zfs-dkms 2>/dev/null | awk -F'|' -v s="$ZFS_SERIES." \
    '{gsub(/ /, "", $2); if (index($2, s) == 1) print $2}' | sort -V | tail -n 1
}

# OpenZFS $ZFS_SERIES without installing it: zfsutils-linux, zfs-dkms and the libraries pinned to the
# same version are downloaded with apt and unpacked into $CACHE/root; the modules are built from the
# unpacked dkms source for $1 into $CACHE/modules-$1. The host's own OpenZFS is not touched.
ensure_series() {
  local kver=$1 ver z=$CACHE/root
  ver=$(series_version)
  if [[ -z $ver ]]; then apt-get update -qq; ver=$(series_version); fi
  [[ -n $ver ]] || die "apt knows no zfs-dkms $ZFS_SERIES.x (apt-cache madison zfs-dkms; needs Debian contrib)"
  if [[ $(cat "$z/.zfsvm-version" 2>/dev/null) != "$ver" ]]; then
    local pk=(zfsutils-linux zfs-dkms) d
    # the libraries zfsutils-linux pins to its own version (libzfs4linux, libzpool5linux, libnvpair3linux, ...)
    pk+=($(apt-cache show "zfsutils-linux=$ver" | awk -F': ' '/^Depends:/{print $2; exit}' | tr ',' '\n' |
      awk -v v="(= $ver)" 'index($0, v) {print $1}'))
    log "downloading OpenZFS $ver (${pk[*]}), unpacked into $z, not installed"
    rm -rf "$CACHE/debs/zfs"; mkdir -p "$CACHE/debs/zfs"
    (cd "$CACHE/debs/zfs" && apt-get download -q "${pk[@]/%/=$ver}" 2>/dev/null) || die "apt-get download ${pk[*]} =$ver failed"
    # the host libraries they link against (libtirpc3, libssl3, ...): ordinary packages, installed if missing
    local need=()
    for d in $(for f in "$CACHE"/debs/zfs/*.deb; do [[ $f = */zfs-dkms_* ]] || dpkg-deb -f "$f" Depends; done |
        tr ',' '\n' | sed 's/|.*//; s/(.*//; s/:any//; s/ //g' | sort -u); do
      [[ " ${pk[*]} " = *" $d "* ]] || dpkg -s "$d" >/dev/null 2>&1 || need+=("$d")
    done
    if ((${#need[@]})); then log "apt-get install ${need[*]}"; apt-get install -y -q --no-install-recommends "${need[@]}"; fi
    rm -rf "$z.tmp"; mkdir -p "$z.tmp"
    for d in "$CACHE"/debs/zfs/*.deb; do dpkg-deb -x "$d" "$z.tmp"; done
    echo "$ver" >"$z.tmp/.zfsvm-version"
    rm -rf "$z"; mv "$z.tmp" "$z"
  fi
  local kmod=$CACHE/modules-$kver
  if [[ $(cat "$kmod/.zfsvm-version" 2>/dev/null) != "$ver" ]]; then
    local src b=$CACHE/kbuild ksrc=/lib/modules/$kver/source kobj=/lib/modules/$kver/build t0=$SECONDS
    src=$(ls -d "$z"/usr/src/zfs-*/ | head -n 1); [[ -n $src ]] || die "zfs-dkms $ver has no /usr/src/zfs-*"
    [[ -e $ksrc ]] || ksrc=$kobj
    log "building the zfs $ver modules for $kver (slow: 3-6 min on 2 cores; log in $CACHE/kbuild.log)"
    rm -rf "$b"; cp -a "$src" "$b"
    # the configure line of the package's dkms.conf
    (cd "$b" && nice -n 10 ./configure --prefix=/usr --with-config=kernel --with-linux="$ksrc" --with-linux-obj="$kobj" &&
      nice -n 10 make -j"$(nproc)") >"$CACHE/kbuild.log" 2>&1 || die "module build failed, see $CACHE/kbuild.log"
    rm -rf "$kmod.tmp"; mkdir -p "$kmod.tmp"
    find "$b/module" -name '*.ko' -exec cp {} "$kmod.tmp/" \;
    [[ -e $kmod.tmp/zfs.ko ]] || die "the module build made no zfs.ko, see $CACHE/kbuild.log"
    strip --strip-debug "$kmod.tmp"/*.ko # like dkms: the debug info is 10x the code
    echo "$ver" >"$kmod.tmp/.zfsvm-version"
    rm -rf "$kmod" "$b"; mv "$kmod.tmp" "$kmod"
    log "built $(ls "$kmod" | tr '\n' ' ')in $((SECONDS-t0)) s"
  fi
}

copy_series_bin() { # copy_series_bin ROOT /sbin/zfs: the unpacked series' binary with its libraries (its own first)
  local r=$1 b=$2 z=$CACHE/root l dst out
  mkdir -p "$r$(dirname "$b")"; cp -L "$z$b" "$r$b"
  out=$(LD_LIBRARY_PATH=$z/lib/x86_64-linux-gnu:$z/usr/lib/x86_64-linux-gnu ldd "$z$b")
  [[ $out != *"not found"* ]] || die "$z$b: missing libraries: $(grep 'not found' <<<"$out" | tr '\n' ' ')"
  for l in $(grep -o '/[^ ]*' <<<"$out"); do
    dst=${l#"$z"}
    if [[ $dst != "$l" ]]; then mkdir -p "$r$(dirname "$dst")"; cp -L "$l" "$r$dst" # the series' own, always
    else [[ -e $r$l ]] || cp -L --parents "$l" "$r/"; fi
  done
}

copy_bin() { # copy_bin ROOT /path/to/binary...  (binary + its shared libs, same paths)
  local root=$1 b l; shift
  for b in "$@"; do
    cp -L --parents "$b" "$root/" 2>/dev/null || { cp -L "$b" "$root/bin/"; }
    for l in $(ldd "$b" 2>/dev/null | grep -o '/[^ ]*'); do
      [[ -e $root$l ]] || cp -L --parents "$l" "$root/"
    done
  done
}

build_initramfs() {
  local kver=$1 kroot=$CACHE/kroot b
  local zdir; zdir=$(zfs_ko_dir "$kver")
  local st=$CACHE/build
  rm -rf "$st"; mkdir -p "$st/modtree/lib/modules/$kver" "$st/root"
  # 1. module tree = stock kernel modules + dkms zfs/spl, depmod'ed, to resolve dependency order
  cp -a "$kroot/lib/modules/$kver/." "$st/modtree/lib/modules/$kver/"
  mkdir -p "$st/modtree/lib/modules/$kver/updates/dkms"
  cp "$zdir"/*.ko* "$st/modtree/lib/modules/$kver/updates/dkms/"
  depmod -b "$st/modtree" "$kver"
  local want="virtio_pci virtio_blk virtio_console 9pnet_virtio 9p zfs"
  local order
  order=$(python3 - "$st/modtree/lib/modules/$kver/modules.dep" $want <<'PY'
import sys
dep = {}
for line in open(sys.argv[1]):
    k, _, v = line.partition(':')
    dep[k.strip()] = v.split()
name = {}
for k in dep:
    b = k.rsplit('/', 1)[-1].split('.ko')[0]
    name[b] = k; name[b.replace('-', '_')] = k
seen, out = set(), []
def visit(k):
    if k in seen: return
    seen.add(k)
    for d in dep[k]: visit(d)
    out.append(k)
for w in sys.argv[2:]: visit(name[w])
print('\n'.join(out))
PY
)
  local r=$st/root
  mkdir -p "$r"/{bin,sbin,etc/zfs,proc,sys,dev,tmp,run,host,out,mnt,root,var/tmp,lib/modules/$kver}
  # 2. busybox + bash + zfs userland with shared libs
  cp /bin/busybox "$r/bin/busybox"
  # util-linux mount/umount: the zfs module automounts .zfs/snapshot/NAME via the usermode helper
  # "/usr/bin/env mount -i -t zfs -n DATASET@SNAP PATH" (empty PATH -> /bin:/usr/bin)
  local ul
  for ul in mount umount; do copy_bin "$r" "$(command -v $ul)"; cp -L "$(command -v $ul)" "$r/bin/$ul"; done
  mkdir -p "$r/usr/bin" "$r/usr/sbin"
  for b in $("$r/bin/busybox" --list); do [[ -e $r/bin/$b || -L $r/bin/$b ]] || ln -s busybox "$r/bin/$b"; done
  [[ -e $r/usr/bin/env ]] || ln -s /bin/busybox "$r/usr/bin/env"
  copy_bin "$r" /bin/bash
  ln -sf bash "$r/bin/sh.bash"
  for b in zfs zpool zdb zstream zhack zinject; do
    for p in /sbin/$b /usr/sbin/$b /usr/bin/$b; do
      if [[ -n $ZFS_SERIES ]]; then [[ -x $CACHE/root$p ]] && { copy_series_bin "$r" "$p"; break; }
      else [[ -x $p ]] && { copy_bin "$r" "$p"; break; }; fi
    done
  done
  # libzfs dlopen()s libcrypto for encryption; copy it + the loader
  # + libgcc_s (pthread_cancel in zfs send/recv: "libgcc_s.so.1 must be installed for pthread_cancel")
  for l in /lib/x86_64-linux-gnu/libcrypto.so.3 /lib/x86_64-linux-gnu/libgcc_s.so.1 /lib64/ld-linux-x86-64.so.2; do
    [[ -e $l ]] && cp -L --parents "$l" "$r/"; done
  [[ -e /usr/share/zoneinfo/UTC ]] && cp -L /usr/share/zoneinfo/UTC "$r/etc/localtime"
  # 3. modules in load order
  : >"$r/etc/modules.order"
  local m
  for m in $order; do
    mkdir -p "$r/lib/modules/$kver/$(dirname "$m")"
    cp "$st/modtree/lib/modules/$kver/$m" "$r/lib/modules/$kver/$m"
    echo "$m" >>"$r/etc/modules.order"
  done
  cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  echo zfsvm >"$r/etc/hostname"
  ln -sf /proc/self/mounts "$r/etc/mtab"
  [[ ${ZFSVM_SSH:-0} = 1 ]] && copy_ssh "$r"
  # 4. /init
  cat >"$r/init" <<EOF
#!/bin/sh
export PATH=/sbin:/usr/sbin:/bin:/usr/bin HOME=/root TERM=vt100 TZ=UTC ZFSVM=1 HOST=/host
KVER=$kver
EOF
  cat >>"$r/init" <<'EOF'
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
grep -q zfsvm.mode=probe /proc/cmdline && { echo "@@ZFSVM-PROBE-OK@@"; poweroff -f; }
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs tmp /tmp; mount -t tmpfs run /run
hostname zfsvm
# fake udev: "zpool create POOL /dev/vda" (whole disk) writes a GPT and then waits until libudev
# reports a DEVLINKS property for the new partition; without udevd it fails after ~30 s with
# "failed to detect device partitions on '/dev/vda1': 19". The Debian kernel has no uevent
# helper, so a background loop writes a udev db entry (S: = devlink) for every block device.
mkdir -p /run/udev/data /dev/disk/by-zfsvm
( while :; do for d in /sys/class/block/*; do n=${d##*/}; read dev <$d/dev && [ ! -e /run/udev/data/b$dev ] &&
  ln -sf ../../$n /dev/disk/by-zfsvm/$n && printf 'S:disk/by-zfsvm/%s\nI:1\n' $n >/run/udev/data/b$dev; done
  sleep 0.1; done ) </dev/null >/dev/null 2>&1 &
for m in $(cat /etc/modules.order); do insmod /lib/modules/$KVER/$m 2>/dev/null || echo "insmod $m failed" >&2; done
for a in $(cat /proc/cmdline); do case $a in zfsvm.mode=*) MODE=${a#*=};; zfsvm.out=1) WANT_OUT=1;; zfsvm.ssh=1) WANT_SSH=1;; esac; done
ip link set lo up 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none host /host || echo "9p mount /host failed" >&2
if [ -n "$WANT_OUT" ]; then mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none out /out && export OUT=/out; fi
stty -onlcr </dev/ttyS0 2>/dev/null
cd /host 2>/dev/null || cd /
if [ -n "$WANT_SSH" ]; then
  if [ -x /bin/start-sshd ]; then start-sshd || echo "start-sshd failed" >&2; else echo "zfsvm.ssh=1 but no ssh in this initramfs (setup with ZFSVM_SSH=1)" >&2; fi
fi
if [ "$MODE" = shell ]; then
  export PATH=/host/bin:$PATH
  [ -x /host/.zfsvm-setup ] && /host/.zfsvm-setup
  echo "zfs-vm shell: $(zfs version 2>&1 | tr '\n' ' ') - 'poweroff -f' to quit"
  setsid cttyhack /bin/sh -l
else
  echo "@@ZFSVM-BEGIN@@"
  S=$(cat /host/.zfsvm-script)
  chmod +x "/host/$S" 2>/dev/null
  if head -c2 "/host/$S" | grep -q '#!'; then "/host/$S" </dev/null; else /bin/sh "/host/$S" </dev/null; fi
  rc=$?
  echo "$rc" >/host/.zfsvm-rc
  sync
  echo "@@ZFSVM-END rc=$rc@@"
fi
umount /out /host 2>/dev/null
poweroff -f
EOF
  chmod +x "$r/init"
  # 5. pack. Uncompressed cpio: under TCG the kernel needs ~1.5 s to inflate a 12 MB gzip'ed one.
  (cd "$r" && find . -print0 | cpio --null -o -H newc --quiet) >"$CACHE/initramfs.cpio.tmp"
  mv "$CACHE/initramfs.cpio.tmp" "$CACHE/initramfs.cpio"
  cp "$kroot/boot/vmlinuz-$kver" "$CACHE/vmlinuz"
  # Uncompressed ELF vmlinux, booted through its PVH entry point: skips the (xz) self-decompression
  # and the BIOS real-mode path, ~3.5 s faster per boot under TCG. Fallback: the bzImage.
  python3 - "$CACHE/vmlinuz" "$CACHE/vmlinux.tmp" <<'PY2' && mv "$CACHE/vmlinux.tmp" "$CACHE/vmlinux" || rm -f "$CACHE/vmlinux.tmp" "$CACHE/vmlinux"
import lzma, sys
d = open(sys.argv[1], 'rb').read()
i = d.find(b'\xfd7zXZ\x00')
out = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(d[i:]) if i >= 0 else b''
if out[:4] != b'\x7fELF' or b'Xen' not in out: sys.exit(1)   # needs the PVH (Xen ELF note) entry
open(sys.argv[2], 'wb').write(out)
PY2
  echo "$kver" >"$CACHE/kver"
  echo "${ZFSVM_SSH:-0}" >"$CACHE/ssh"
  if [[ -n $ZFS_SERIES ]]; then cp "$CACHE/root/.zfsvm-version" "$CACHE/zfs-version"
  else dpkg-query -W -f='${Version}' zfsutils-linux >"$CACHE/zfs-version"; fi
  rm -rf "$st" "$kroot"   # ~600 MB; re-extracted from $CACHE/debs if a rebuild needs it
  log "built $CACHE/vmlinuz + initramfs.cpio ($(du -h "$CACHE/initramfs.cpio" | cut -f1)), kernel $kver, zfs $(cat "$CACHE/zfs-version")"
}

cmd_setup() {
  [[ $(id -u) = 0 ]] || die "setup must run as root (apt, dkms)"
  mkdir -p "$CACHE"
  # a fresh machine's apt lists may name a kernel the mirror no longer has: refresh them before choosing
  [[ -n ${ZFSVM_KVER:-} || -s $CACHE/kver ]] || apt-get update -qq
  local kver; kver=$(detect_kver); [[ -n $kver ]] || die "cannot determine guest kernel version"
  ensure_apt "$kver"
  if [[ -n $ZFS_SERIES ]]; then ensure_series "$kver"; else ensure_dkms "$kver"; fi
  [[ ${ZFSVM_SSH:-0} = 1 ]] && ensure_ssh_debs
  if [[ ! -s $CACHE/initramfs.cpio || ! -s $CACHE/vmlinuz || $ME -nt $CACHE/initramfs.cpio ||
        $(cat "$CACHE/ssh" 2>/dev/null || echo 0) != "${ZFSVM_SSH:-0}" ]] ||
    { [[ -n $ZFS_SERIES ]] && ! cmp -s "$CACHE/root/.zfsvm-version" "$CACHE/zfs-version"; }; then
    build_initramfs "$kver"
  fi
}

probe_kvm() { # boot with KVM to a marker within 30 s, else KVM is unusable (e.g. host uses KVM_PVM)
  local w; w=$(mktemp -d /tmp/zfs-vm-probe.XXXXXX); mkdir -p "$w/share"
  ZFSVM_DISK_MB=0 ZFSVM_OUT='' qemu_cmd kvm "$w/share" probe
  local ok=tcg
  if timeout 30 "${QEMU[@]}" -serial stdio </dev/null 2>/dev/null | grep -q '@@ZFSVM-PROBE-OK@@'; then ok=kvm; fi
  rm -rf "$w"; echo "$ok"
}

pick_accel() {
  local a=${ZFSVM_ACCEL:-auto}
  if [[ $a = auto ]]; then
    if [[ -s $CACHE/accel ]]; then a=$(cat "$CACHE/accel")
    elif [[ -r /dev/kvm && -w /dev/kvm ]]; then
      log "probing KVM (once; result cached in $CACHE/accel)"
      a=$(probe_kvm); echo "$a" >"$CACHE/accel"; log "accel=$a"
    else a=tcg; fi
  fi
  echo "$a"
}

qemu_cmd() { # qemu_cmd ACCEL SHAREDIR MODE
  local accel=$1 share=$2 mode=$3 cpu
  KERNEL=$CACHE/vmlinuz; [[ -s $CACHE/vmlinux && ${ZFSVM_PVH:-1} = 1 ]] && KERNEL=$CACHE/vmlinux
  if [[ $accel = kvm ]]; then cpu=host; else cpu=max; fi
  QEMU=(qemu-system-x86_64 -machine q35 -accel "$accel" -cpu "$cpu"
    -smp "${ZFSVM_SMP:-$(nproc)}" -m "${ZFSVM_MEM:-2048}" -nodefaults -no-user-config -no-reboot
    -display none -nic none -kernel "$KERNEL" -initrd "$CACHE/initramfs.cpio"
    -append "console=ttyS0 rdinit=/init quiet loglevel=${ZFSVM_LOGLEVEL:-3} panic=-1 zfsvm.mode=$mode${ZFSVM_OUT:+ zfsvm.out=1}${ZFSVM_SSH:+ zfsvm.ssh=$ZFSVM_SSH}"
    -virtfs "local,path=$share,mount_tag=host,security_model=none,id=host")
  if [[ -n ${ZFSVM_OUT:-} ]]; then
    mkdir -p "$ZFSVM_OUT"
    QEMU+=(-virtfs "local,path=$(readlink -f "$ZFSVM_OUT"),mount_tag=out,security_model=none,id=out")
  fi
  if [[ ${ZFSVM_DISK_MB:-1024} != 0 ]]; then
    truncate -s "${ZFSVM_DISK_MB:-1024}M" "$share/../disk.img"
    QEMU+=(-drive "file=$share/../disk.img,format=raw,if=virtio,cache=unsafe,discard=unmap")
  fi
}

run_vm() { # run_vm ACCEL WORKDIR -> prints script output; returns guest rc, 125 = VM failure
  local accel=$1 w=$2
  qemu_cmd "$accel" "$w/share" run
  local console=$w/console.log
  : >"$console"
  local t0=$SECONDS
  timeout "${ZFSVM_TIMEOUT:-900}" "${QEMU[@]}" -serial "file:$console" </dev/null >"$w/qemu.out" 2>&1 &
  local qpid=$!
  # stream the part of the console between the markers
  tail -n +1 -F "$console" 2>/dev/null --pid=$qpid | awk -v verbose="${ZFSVM_VERBOSE:-0}" '
    /@@ZFSVM-BEGIN@@/ {on=1; next}
    /@@ZFSVM-END rc=/ {on=0; next}
    { sub(/\r$/, ""); if (on) {print; fflush()} else if (verbose=="1") {print > "/dev/stderr"} }'
  local qrc=0; wait $qpid || qrc=$?
  cp "$console" "$CACHE/last-console.log" 2>/dev/null || true
  if [[ -s $w/share/.zfsvm-rc ]]; then
    log "guest exit status $(cat "$w/share/.zfsvm-rc") (accel=$accel, vm wall $((SECONDS-t0))s)"
    return "$(cat "$w/share/.zfsvm-rc")"
  fi
  log "VM ended without a result (qemu rc=$qrc, accel=$accel); qemu: $(tr '\n' ' ' <"$w/qemu.out" | cut -c1-300)"
  log "console tail: $(tail -c 600 "$console" | tr '\r\n' '  ')"
  return 125
}

cmd_run() {
  [[ $# -ge 1 ]] || die "usage: zfs-vm.sh run GUEST_SCRIPT [FILES...]"
  [[ -s $CACHE/initramfs.cpio ]] || cmd_setup
  ZFSVM_WORK=$(mktemp -d /tmp/zfs-vm.XXXXXX); local w=$ZFSVM_WORK
  trap 'rm -rf "$ZFSVM_WORK"' EXIT
  mkdir -p "$w/share"
  local f
  for f in "$@"; do cp -a "$f" "$w/share/"; done
  basename "$1" >"$w/share/.zfsvm-script"
  local accel; accel=$(pick_accel)
  local rc=0
  run_vm "$accel" "$w" || rc=$?
  return "$rc"
}

cmd_shell() {
  [[ -s $CACHE/initramfs.cpio ]] || cmd_setup
  local w; w=$(mktemp -d /tmp/zfs-vm.XXXXXX); mkdir -p "$w/share"
  local f
  for f in "$@"; do cp -a "$f" "$w/share/"; done
  local accel; accel=$(pick_accel)
  qemu_cmd "$accel" "$w/share" shell
  "${QEMU[@]}" -serial mon:stdio
  rm -rf "$w"
}

case ${1:-} in
  setup) cmd_setup ;;
  run) shift; cmd_run "$@" ;;
  shell) shift; cmd_shell "$@" ;;
  info) echo "cache=$CACHE kver=$(cat "$CACHE/kver" 2>/dev/null) zfs=$(cat "$CACHE/zfs-version" 2>/dev/null) accel=$(cat "$CACHE/accel" 2>/dev/null) ssh=$(cat "$CACHE/ssh" 2>/dev/null)"; ls -la "$CACHE" ;;
  clean) rm -rf "$CACHE/build" "$CACHE/initramfs.cpio" "$CACHE/vmlinuz" "$CACHE/accel" ;;
  *) sed -n '2,40p' "$ME"; exit 2 ;;
esac
