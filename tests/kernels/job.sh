#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# One kernel's part of `make check-kernels`: run inside a guest booted by
# tools/kvm/vm.sh (or directly on this machine for its own kernel). Logs go
# to .output/kvm/logs/LABEL/, one per test, for tests/kernels/matrix.py.
#
#   KJ_LABEL=6.1.0-50-amd64 KJ_ENGINES="kernel" KJ_JOIN=1 tests/kernels/job.sh
#
# KJ_ENGINES  engines this kernel must run (each runs the hand-off suite)
# KJ_JOIN     1/0: synguard must / must not share the interface with
#             xdp-filter through libxdp's dispatcher (unset: either)
# KJ_OBJS     extra NAME=OBJ objects to load besides the shipped build
# KJ_SCALE    "emulated": smaller transfers, fewer probes, shorter floods
# KJ_GUEST    1: running in a qemu guest of its own (may set its sysctls)
set -u
cd "$(dirname "$0")/../.." || exit 1
: "${KJ_LABEL:?}" "${KJ_ENGINES:?}"
RUN_LOGS=.output/kvm/logs/$KJ_LABEL
rm -rf "$RUN_LOGS"
# shellcheck source=tests/runlib.sh
source tests/runlib.sh

if [ "${KJ_SCALE:-}" = emulated ]; then
	export E2E_XFER_BYTES=${E2E_XFER_BYTES:-2000000}
	export E2E_PROBES=${E2E_PROBES:-100}
	export E2E_FLOOD_SECONDS=${E2E_FLOOD_SECONDS:-4}
fi
echo "kernel $(uname -r), engines: $KJ_ENGINES, libxdp sharing expected: ${KJ_JOIN:-either}"

# Ubuntu's kernels from 23.10 on randomise mmap with 32 bits; the
# AddressSanitizer of Debian 12's compilers maps its shadow memory for at
# most 28 and then dies in a loop of "AddressSanitizer:DEADLYSIGNAL"
# (fixed in LLVM 18). The test programs are ASan builds: in a guest, which
# is ours alone, the kernel is told the entropy those compilers expect.
# (The installed binary is no ASan build and runs at any setting.)
if [ "${KJ_GUEST:-0}" = 1 ] && [ -w /proc/sys/vm/mmap_rnd_bits ] &&
	[ "$(cat /proc/sys/vm/mmap_rnd_bits)" -gt 28 ]; then
	echo "vm.mmap_rnd_bits $(cat /proc/sys/vm/mmap_rnd_bits) -> 28 for the ASan builds"
	echo 28 >/proc/sys/vm/mmap_rnd_bits
fi

# shellcheck disable=SC2086
run_one load bash tests/kernels/load.sh "$KJ_ENGINES" \
	"shipped header=.output/synguard.bpf.o" ${KJ_OBJS:-}
# What status says of the kernel, and, below every engine's minimum, that
# run refuses in one line and changes nothing.
run_one test_kernelreq bash tests/e2e/test_kernelreq.sh
if [ "$KJ_ENGINES" = none ]; then
	# Below every engine's minimum: what matters is that the load is
	# refused (with the reason) and nothing else runs.
	run_summary
	exit
fi
run_one test_xdp .output/tests/test_xdp
run_one test_kengine .output/tests/test_kengine
run_one test_netstate .output/tests/test_netstate
for engine in $KJ_ENGINES; do
	run_one "test_handoff.$engine" bash tests/e2e/test_handoff.sh "$engine" "native generic"
done
# shellcheck disable=SC2086
run_one test_lossy bash tests/e2e/test_lossy.sh $KJ_ENGINES
run_one test_coexist env ${KJ_JOIN:+SG_EXPECT_JOIN=$KJ_JOIN} bash tests/e2e/test_coexist.sh
# Real-world listeners and paths (MPTCP, 802.1Q/QinQ, DNAT, TCP-MD5, ...):
# built around the own engine's hand-off; the 802.1Q cases need a kernel
# with VLAN support, which Debian's have.
case " $KJ_ENGINES " in
*" own "*) run_one test_realworld bash tests/e2e/test_realworld.sh ;;
esac
run_summary
