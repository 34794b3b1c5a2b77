#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# A small initramfs for tools/kvm/vm.sh: static busybox, the virtio and 9p
# modules of kernel KV (from KDIR, in dependency order), and an init that
# mounts this machine's root file system read-only over 9p, a writable
# share of the repository at its own path, the kernel's modules, and
# scratch tmpfs on the directories programs write to; then runs the job
# named on the kernel command line (sgjob=PATH, relative to the repository)
# as root and powers off. The job's exit status is printed as "SGRC=N".
#
#   tools/kvm/mkinitrd.sh KDIR KV OUT
#
# Needs busybox-static (a dynamically linked busybox cannot run there).
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 KDIR KV OUT" >&2
	exit 2
fi
kdir=$1 kv=$2 out=$3
bb=/bin/busybox
if [ ! -x "$bb" ] || ldd "$bb" >/dev/null 2>&1; then
	echo "mkinitrd: need a static $bb (apt-get install busybox-static)" >&2
	exit 1
fi
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/bin" "$t/mods" "$t/newroot" "$t/proc" "$t/sys" "$t/dev"
cp "$bb" "$t/bin/busybox"

# Modules in load order: what modprobe would insert for these.
i=0
for m in virtio_pci 9pnet_virtio 9p; do
	modprobe -d "$kdir" -S "$kv" --show-depends "$m"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
	name=$(printf '%02d-%s' "$i" "$(basename "$ko" | sed 's/\.ko.*//').ko")
	case $ko in
	*.xz) xz -dc "$ko" >"$t/mods/$name" ;;
	*.zst) zstd -qdc "$ko" >"$t/mods/$name" ;;
	*.gz) gzip -dc "$ko" >"$t/mods/$name" ;;
	*) cp "$ko" "$t/mods/$name" ;;
	esac
	i=$((i + 1))
done
if [ -z "$(ls "$t/mods")" ]; then
	echo "mkinitrd: no 9p/virtio modules found for $kv in $kdir" >&2
	exit 1
fi

cat >"$t/init" <<'EOI'
#!/bin/busybox sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t devtmpfs dev /dev
for m in /mods/*.ko; do
	$B insmod "$m" || echo "initrd: insmod $m failed"
done
arg() { $B sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
REPO=$(arg sgrepo)
JOB=$(arg sgjob)
N=/newroot
$B mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 host $N ||
	{ echo "initrd: cannot mount the host root"; $B poweroff -f; }
$B mount -t proc proc $N/proc
$B mount -t sysfs sys $N/sys
$B mount -t devtmpfs dev $N/dev
$B mkdir -p $N/dev/pts $N/dev/shm 2>/dev/null
# What udev would add: bash's process substitution needs /dev/fd.
$B ln -sf /proc/self/fd $N/dev/fd
$B ln -sf /proc/self/fd/0 $N/dev/stdin
$B ln -sf /proc/self/fd/1 $N/dev/stdout
$B ln -sf /proc/self/fd/2 $N/dev/stderr
$B mount -t devpts devpts $N/dev/pts
for d in run tmp var/tmp var/lib var/log var/cache root dev/shm; do
	$B mount -t tmpfs -o mode=1777 tmp $N/$d
done
$B mount -t bpf bpf $N/sys/fs/bpf
$B mount -t debugfs debugfs $N/sys/kernel/debug 2>/dev/null
$B mount -t cgroup2 cgroup2 $N/sys/fs/cgroup 2>/dev/null
$B mkdir -p $N/run/modroot/lib/modules
$B mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 mods $N/run/modroot/lib/modules ||
	echo "initrd: no modules share"
# The kernel's own module requests (veth, sch_ingress, ...) load from there.
printf '#!/bin/busybox sh\nexec /bin/busybox chroot /newroot /sbin/modprobe -d /run/modroot "$@"\n' >/modprobe.sh
$B chmod +x /modprobe.sh
echo /modprobe.sh >/proc/sys/kernel/modprobe
$B mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none repo $N$REPO ||
	{ echo "initrd: cannot mount the repository at $REPO"; $B poweroff -f; }
$B chroot $N /bin/bash -c "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
ip link set lo up
cd '$REPO' && bash '$JOB'; echo SGRC=\$?"
$B sync
$B poweroff -f
EOI
chmod +x "$t/init"
(cd "$t" && find . | "$bb" cpio -o -H newc 2>/dev/null | gzip -1) >"$out.tmp"
mv -f "$out.tmp" "$out"
