#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Boot kernel KV from KDIR under qemu (software emulation: no KVM needed)
# with this machine's root file system (read-only) and the repository
# (writable, at its own path), run JOB (a script path relative to the
# repository) in it as root, and power off. The console goes to stdout;
# the exit status is JOB's (the guest prints "SGRC=N"), 124 on timeout.
#
#   tools/kvm/vm.sh KDIR KV JOB
#
# Environment: VM_TIMEOUT seconds (default 1800), VM_MEM MiB (default
# 4096), VM_CPUS (default 2), VM_INITRD (default .output/kvm/initrd-KV.gz,
# made when missing or older than tools/kvm/mkinitrd.sh), VM_INIT chroot
# (default: the job runs in a chroot of the read-only host root) or
# systemd (systemd is PID 1 on a writable overlay; the job runs as a
# service, so dpkg -i and systemctl work), VM_APPEND (more kernel command
# line, e.g. "systemd.log_level=info systemd.show_status=1" to watch the
# guest's systemd boot and shut down).
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 KDIR KV JOB" >&2
	exit 2
fi
kdir=$1 kv=$2 job=$3
repo=$(cd "$(dirname "$0")/../.." && pwd)
initrd=${VM_INITRD:-$repo/.output/kvm/initrd-$kv.gz}
if [ ! -f "$initrd" ] || [ "$repo/tools/kvm/mkinitrd.sh" -nt "$initrd" ]; then
	mkdir -p "$(dirname "$initrd")"
	"$repo/tools/kvm/mkinitrd.sh" "$kdir" "$kv" "$initrd"
fi
case $job in /* | *' '* | '')
	echo "vm.sh: JOB must be a path relative to the repository, without spaces" >&2
	exit 2
	;;
esac
extra=""
case ${VM_INIT:-chroot} in
chroot) ;;
systemd) extra=" systemd.unit=sgjob.target systemd.show_status=0 systemd.log_level=warning" ;;
*)
	echo "vm.sh: VM_INIT must be chroot or systemd" >&2
	exit 2
	;;
esac
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
timeout -k 10 "${VM_TIMEOUT:-1800}" qemu-system-x86_64 \
	-machine q35 -accel tcg,thread=multi -cpu max \
	-smp "${VM_CPUS:-2}" -m "${VM_MEM:-4096}" \
	-nographic -no-reboot -nodefaults -serial stdio \
	-kernel "$kdir/boot/vmlinuz-$kv" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 sgrepo=$repo sgjob=$job sginit=${VM_INIT:-chroot}$extra${VM_APPEND:+ $VM_APPEND}" \
	-fsdev local,id=host,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=host,mount_tag=host \
	-fsdev local,id=repo,path="$repo",security_model=none,multidevs=remap \
	-device virtio-9p-pci,fsdev=repo,mount_tag=repo \
	-fsdev local,id=mods,path="$kdir/lib/modules",security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=mods,mount_tag=mods | tee "$log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 124 ] && { echo "vm.sh: timed out after ${VM_TIMEOUT:-1800}s" >&2; exit 124; }
rc=$(tr -d '\r' <"$log" | sed -n 's/^SGRC=\([0-9]*\)$/\1/p' | tail -n 1)
if [ -z "$rc" ]; then
	echo "vm.sh: the guest ended without running the job to its end" >&2
	exit 125
fi
exit "$rc"
