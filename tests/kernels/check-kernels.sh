#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# `make check-kernels`: synguard on the kernels operators run. Boots
# Debian's and Ubuntu's own kernels under qemu (software emulation;
# tools/kvm/) with this machine's root file system, and runs
# tests/kernels/job.sh in each, then on this machine's own kernel: the
# BPF objects loaded per engine against that kernel's verifier, what
# `status` and `run` say of the kernel, the fixture suite (test_xdp), the
# hand-off suite for every engine the kernel supports in native and
# generic XDP (real clients, IPv4+IPv6, data hashed, a flood), and sharing
# the interface with xdp-filter through libxdp's dispatcher, in both
# orders. Kernels below both engines' minimum get the load and the
# `status`/`run` checks only.
#
# Before that, on this machine: the BPF object built against each guest
# kernel's full vmlinux.h (from its BTF) is instruction for instruction the
# shipped build: the build does not depend on the build host's kernel.
#
# Ends with the per-kernel counts, the kernel table (compared with
# README.md's; UPDATE_README=1 rewrites it) and "N passed, N failed,
# N skipped".
#
# Environment:
#   KERNELS="bullseye jammy-updates ..."  Debian and Ubuntu suites to boot
#   UPDATE_README=1                       rewrite README.md's kernel table
#   VM_TIMEOUT                            seconds per guest (default 2400)
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
KDIR=.output/kvm
KERNELS=${KERNELS:-bullseye jammy-updates bookworm noble-updates bookworm-backports}
mkdir -p "$KDIR/logs"
RUN_LOGS=$KDIR/logs/host-checks
# shellcheck source=tests/runlib.sh
source tests/runlib.sh

# What each suite's kernel must do. Debian 11's 5.10 lacks a helper the
# XDP program calls (bpf_ktime_get_coarse_ns is 5.11): `run` must refuse
# there. Ubuntu 22.04's 5.15, Debian 12's 6.1 and Ubuntu 24.04's 6.8 lack
# the hand-off kfunc (kernel engine only) and run libxdp's dispatcher with
# synguard in it. 6.12 has the kfunc, and its verifier refuses synguard in
# libxdp 1.3's dispatcher slots (so synguard attaches alone).
expect() { # SUITE -> "DESCRIPTION|ENGINES|JOIN"
	case $1 in
	bullseye) echo "Debian 11 (bullseye), below both engines' minimum|none|" ;;
	jammy-updates) echo "Ubuntu 22.04 (jammy)|kernel|1" ;;
	bookworm) echo "Debian 12 (bookworm)|kernel|1" ;;
	noble-updates) echo "Ubuntu 24.04 (noble)|kernel|1" ;;
	bookworm-backports) echo "Debian 12 backports, as Debian 13 / RHEL 10|own kernel|0" ;;
	*) echo "Debian $1|$(own_if_kfunc)|" ;;
	esac
}
own_if_kfunc() { # engines of the running kernel, from its BTF
	if bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null |
		grep -q "FUNC 'bpf_sk_assign_tcp_reqsk'"; then
		echo "own kernel"
	else
		echo kernel
	fi
}

# 6.12.95+deb12-amd64 -> 6.12: the table names kernels by series, so that a
# point release does not change it.
major_minor() {
	sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$1"
}

# vmlinux-test SUITE KV KERNEL_DIR: build with that kernel's full vmlinux.h.
vmlinux_test() {
	local kv=$2 kdir=$3 out=$KDIR/vmlinux-$2 got
	mkdir -p "$out"
	if ! tools/kvm/vmlinux-elf.py "$kdir/boot/vmlinuz-$kv" "$out/vmlinux" ||
		! bpftool btf dump file "$out/vmlinux" format c >"$out/vmlinux.h"; then
		echo "FAIL: $kv vmlinux.h: cannot dump the kernel's BTF"
		return
	fi
	rm -f "$out/vmlinux"
	if got=$(make --no-print-directory OUTPUT="$out" VMLINUX_H="$out/vmlinux.h" \
		"$out/synguard.bpf.o" 2>&1); then
		echo "PASS: builds against Linux $kv's full vmlinux.h ($(grep -c '' "$out/vmlinux.h") lines) forced in"
	else
		echo "FAIL: builds against Linux $kv's vmlinux.h: $(grep -m 3 error <<<"$got" | tr '\n' ' ')"
		return
	fi
	if cmp -s <(llvm-objdump -d --no-show-raw-insn "$out/synguard.bpf.o" | tail -n +4) \
		<(llvm-objdump -d --no-show-raw-insn .output/synguard.bpf.o | tail -n +4); then
		echo "PASS: that object is instruction for instruction the shipped build's"
	else
		echo "FAIL: that object differs from the shipped build" \
			"(llvm-objdump -d $out/synguard.bpf.o .output/synguard.bpf.o)"
	fi
}

LABELS=()
for suite in $KERNELS; do
	IFS='|' read -r desc engines join <<<"$(expect "$suite")"
	got=$(tools/kvm/fetch-kernel.sh "$suite" "$KDIR" 2>&1)
	rc=$?
	if [ "$rc" = 3 ]; then
		# Ubuntu's archive is not one of this machine's package
		# sources: where no route leads to it, its kernels cannot be
		# had, and README.md's rows for them stay as they are.
		echo "SKIP: $suite: $(tail -n 1 <<<"$got")"
		skipped=$((skipped + 1))
		LABELS+=("-=$desc")
		continue
	elif [ "$rc" != 0 ]; then
		echo "FAIL: $suite: kernel: $got"
		failed=$((failed + 1))
		continue
	fi
	read -r kv kdir <<<"$(tail -n 1 <<<"$got")"
	echo "== $kv ($desc): engines $engines"
	[ "$engines" != none ] && run_one "vmlinux-$kv" vmlinux_test "$suite" "$kv" "$kdir"
	job=$KDIR/job-$kv.sh
	objs=""
	[ "$engines" != none ] && objs="$kv-vmlinux.h=$KDIR/vmlinux-$kv/synguard.bpf.o"
	cat >"$job" <<EOF
export KJ_LABEL='$kv' KJ_ENGINES='$engines' KJ_JOIN='$join' KJ_SCALE=emulated KJ_GUEST=1
export KJ_OBJS='$objs'
exec bash tests/kernels/job.sh
EOF
	start=$(date +%s)
	VM_TIMEOUT=${VM_TIMEOUT:-2400} tools/kvm/vm.sh "$kdir" "$kv" "$job" \
		>"$KDIR/console-$kv.log" 2>&1
	rc=$?
	tr -d '\r' <"$KDIR/console-$kv.log" | grep -E '^(== |   [0-9]+ passed|FAIL: |SKIP: |[0-9]+ passed)'
	echo "   (guest $kv: exit $rc after $(($(date +%s) - start)) s; console in $KDIR/console-$kv.log)"
	if [ "$rc" != 0 ] && ! grep -q '^FAIL: ' "$KDIR"/logs/"$kv"/*.log 2>/dev/null; then
		echo "FAIL: $kv: the guest failed (exit $rc) without a failed case"
		tail -n 20 "$KDIR/console-$kv.log" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
	LABELS+=("$kv=Linux $(major_minor "$kv"), $desc")
done

# This machine's own kernel, natively.
kv=$(uname -r)
engines=$(own_if_kfunc)
echo "== $kv (this machine): engines $engines"
KJ_LABEL=$kv KJ_ENGINES=$engines KJ_OBJS="" bash tests/kernels/job.sh |
	grep -E '^(== |   [0-9]+ passed|FAIL: |SKIP: |[0-9]+ passed)'
LABELS+=("$kv=Linux $(major_minor "$kv"), this machine")

# Every guest's and this machine's cases count.
for l in "${LABELS[@]}"; do
	label=${l%%=*}
	for log in "$KDIR/logs/$label"/*.log; do
		[ -f "$log" ] || continue
		passed=$((passed + $(grep -c '^PASS: ' "$log")))
		failed=$((failed + $(grep -c '^FAIL: ' "$log")))
		skipped=$((skipped + $(grep -c '^SKIP: ' "$log")))
	done
done

echo
readme_args=(--readme README.md)
[ "${UPDATE_README:-0}" = 1 ] && readme_args+=(--update)
if python3 tests/kernels/matrix.py "$KDIR/logs" "${LABELS[@]}" "${readme_args[@]}"; then
	passed=$((passed + 1))
	echo "PASS: README.md's kernel table is this run's"
else
	failed=$((failed + 1))
	echo "FAIL: README.md's kernel table is not this run's"
fi
run_summary
