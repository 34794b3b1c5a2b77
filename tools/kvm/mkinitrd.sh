#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# A small initramfs for tools/kvm/vm.sh: static busybox, the virtio, 9p and
# overlay modules of kernel KV (from KDIR, in dependency order), and an
# init that mounts this machine's root file system read-only over 9p, a
# writable share of the repository at its own path, the kernel's modules,
# then, by the kernel command line's sginit=:
#   chroot (default)  scratch tmpfs on the directories programs write to;
#                     runs the job (sgjob=PATH, relative to the repository)
#                     as root in a chroot and powers off;
#   systemd           the root file system as an overlay (tmpfs upper over
#                     the read-only host root), so that dpkg and adduser
#                     can write anywhere; boots systemd as PID 1 into
#                     sgjob.target, whose service runs the job and powers
#                     off.
# The job's exit status is printed as "SGRC=N".
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
for m in virtio_pci 9pnet_virtio 9p overlay; do
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
P9=trans=virtio,version=9p2000.L,msize=262144
if [ "$(arg sginit)" = systemd ]; then
	$B mkdir -p /lower /rw
	$B mount -t 9p -o $P9,ro host /lower ||
		{ echo "initrd: cannot mount the host root"; $B poweroff -f; }
	$B mount -t tmpfs -o mode=755 rw /rw
	$B mkdir -p /rw/upper /rw/work
	$B mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay $N ||
		{ echo "initrd: cannot mount the overlay"; $B poweroff -f; }
	$B mkdir -p $N/lib/modules
	$B mount -t 9p -o $P9,ro mods $N/lib/modules || echo "initrd: no modules share"
	$B mkdir -p $N$REPO 2>/dev/null
	$B mount -t 9p -o $P9,cache=none repo $N$REPO ||
		{ echo "initrd: cannot mount the repository at $REPO"; $B poweroff -f; }
	$B cat /proc/sys/kernel/random/uuid | $B tr -d '\n-' >$N/etc/machine-id
	# The host may be a container: a guest systemd that saw its marker
	# would ignore the kernel command line (systemd.unit=).
	$B rm -f $N/.dockerenv $N/run/.containerenv
	# A container image's policy-rc.d (exit 101: "no service actions")
	# would keep maintainer scripts from starting and stopping units in
	# this booted system.
	$B rm -f $N/usr/sbin/policy-rc.d
	S=$N/etc/systemd/system
	$B mkdir -p $S
	# Timers that would start maintenance jobs in the guest; boot-time
	# tmpfiles, which would empty the host's /tmp into the overlay.
	for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
		e2scrub_all.timer fstrim.timer man-db.timer logrotate.timer \
		systemd-tmpfiles-setup.service systemd-tmpfiles-clean.timer; do
		$B ln -sf /dev/null $S/$u
	done
	printf '[Unit]\nDescription=synguard VM job\nRequires=sgjob.service\nAfter=sgjob.service\nAllowIsolate=yes\n' >$S/sgjob.target
	# SuccessAction= and FailureAction= belong to [Unit]: under
	# [Service] systemd ignores them (a warning nobody sees) and the
	# guest stays up after the job until vm.sh's timeout.
	printf '[Unit]\nDescription=synguard VM job %s\nAfter=basic.target systemd-udev-settle.service\nSuccessAction=poweroff-force\nFailureAction=poweroff-force\n[Service]\nType=oneshot\nEnvironment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb\nStandardOutput=tty\nStandardError=tty\nTTYPath=/dev/ttyS0\nTimeoutStartSec=infinity\nExecStart=/bin/bash -c "cd %s && bash %s; echo SGRC=$$?"\n' \
		"$JOB" "$REPO" "$JOB" >$S/sgjob.service
	$B umount /proc
	exec $B switch_root $N /lib/systemd/systemd
fi
$B mount -t 9p -o $P9,ro host $N ||
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
# The repository may sit under one of the tmpfs above (a clone in /tmp,
# /root, /var/lib): its mount point is made there.
$B mkdir -p $N$REPO 2>/dev/null
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
