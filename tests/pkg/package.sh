#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The Debian package end to end (`make check-package`; not part of `make
# check`: it takes several minutes under qemu TCG): build it (`make
# deb`: lintian must report no error), boot Debian 12's kernel under qemu
# with systemd as PID 1 on an overlay of this machine's root
# (tools/kvm/vm.sh, VM_INIT=systemd), and in there run tests/pkg/vm_job.sh:
# dpkg -i, the unit on a veth, its sandbox, the journal, the HTTP process,
# connections through XDP, /metrics, the watchdog, stop, a failed instance,
# purge with the service running, nothing left behind.
#
# Environment: PKG_SUITE (default bookworm: the kernel Debian 12 runs),
# VM_TIMEOUT (default 600 s).
set -u
cd "$(dirname "$0")/../.." || exit 1
KDIR=.output/kvm
for t in qemu-system-x86_64 /bin/busybox dpkg-buildpackage lintian; do
	if ! command -v "$t" >/dev/null; then
		echo "SKIP: package: $t missing (make deps DEPS=\"$t\" / make check-package)"
		exit 0
	fi
done
[ "$(id -u)" = 0 ] || { echo "SKIP: package: needs root"; exit 0; }

t0=$(date +%s)
if out=$(make --no-print-directory deb 2>&1); then
	echo "PASS: package: make deb builds it; $(grep -o 'built in .*' <<<"$out")"
else
	echo "FAIL: package: make deb: $(tail -n 15 <<<"$out")"
	exit 0
fi
# The client's XDP_PASS program (tests/pkg/vm_job.sh), built here rather
# than under emulation.
if ! got=$(. tests/e2e/lib.sh && e2e_xdp_peer_obj 2>&1); then
	echo "FAIL: package: xdp_peer: $got"
	exit 0
fi
t1=$(date +%s)
if ! got=$(tools/kvm/fetch-kernel.sh "${PKG_SUITE:-bookworm}" "$KDIR" 2>&1); then
	echo "FAIL: package: kernel: $got"
	exit 0
fi
read -r kv kdir <<<"$(tail -n 1 <<<"$got")"
t2=$(date +%s)
VM_INIT=systemd VM_TIMEOUT=${VM_TIMEOUT:-600} tools/kvm/vm.sh "$kdir" "$kv" tests/pkg/vm_job.sh \
	>"$KDIR/console-package.log" 2>&1
rc=$?
t3=$(date +%s)
tr -d '\r' <"$KDIR/console-package.log" | grep -E '^(PASS|FAIL|SKIP): '
n=$(tr -d '\r' <"$KDIR/console-package.log" | grep -cE '^(PASS|FAIL): package: ')
if [ "$rc" != 0 ] || [ "$n" -lt 19 ]; then # vm_job.sh has 19 checks
	echo "FAIL: package: the guest ended with $rc after $n checks (console: $KDIR/console-package.log)"
	tr -d '\r' <"$KDIR/console-package.log" | tail -n 25 | sed 's/^/    /'
fi
echo "package: make deb $((t1 - t0)) s, kernel $((t2 - t1)) s, VM $((t3 - t2)) s (Linux $kv under qemu TCG)"
