#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The kernel requirement, as an operator meets it. `status` says whether
# this kernel has the BPF helpers the XDP program calls, and that must be
# what the verifier does with the shipped object: present where the
# kernel engine's program loads, absent where it is refused. Where they
# are absent (Debian 11's 5.10 in `make check-kernels`), `run` must
# refuse in one line that names the missing helper and the kernel it
# needs, and change nothing: no sysctl set (even with --set-sysctl), no
# XDP or TC program attached, nothing pinned. Where they are there but
# the own engine's kfunc is not (5.15 to 6.8), `status` must say only the
# kernel engine can run, and `run --cookie own` must refuse the same way.
#
#   bash tests/e2e/test_kernelreq.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

SG=${SG:-$ROOT/.output/asan/synguard}
LOAD=$ROOT/.output/tests/bpfload
BPFFS=/run/synguard-e2e.$E2E_PREFIX

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }

cleanup() {
	e2e_bpffs_umount "$BPFFS"
}
e2e_trap cleanup

for f in "$SG" "$LOAD" "$ROOT/.output/synguard.bpf.o"; do
	if [ ! -x "$f" ] && [ ! -f "$f" ]; then
		fail "setup" "$f missing (make check builds it)"
		exit 1
	fi
done

# What the verifier does with the shipped kernel-engine program here.
out=$("$LOAD" "$ROOT/.output/synguard.bpf.o" kernel 2>&1)
rc=$?
if [ "$rc" = 0 ]; then
	want=present
else
	want=absent
fi
if [ $want = present ]; then
	echo "kernel $(uname -r): the kernel engine's program loads"
else
	echo "kernel $(uname -r): the kernel engine's program is refused:" \
		"$(grep -m 1 -E 'invalid func|unknown func|not supported' <<<"$out" | cut -c1-100)"
fi

line=$("$SG" status 2>&1 | grep -E '^  BPF helpers ')
case "$want:$line" in
present:*"present: the kernel engine can run"* | absent:*"absent: bpf_"*"synguard needs Linux 5.15 or later"*)
	pass "status: $(sed -E 's/^  BPF helpers +//' <<<"$line")" ;;
*) fail "status says the BPF helpers are" "'${line:-no such line}', the verifier says $want" ;;
esac
json=$("$SG" status --json 2>&1)
if [ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["kernel"]["xdp_helpers"])' <<<"$json" 2>&1)" = \
	"$([ $want = present ] && echo True || echo False)" ]; then
	pass "status --json: kernel.xdp_helpers is $([ $want = present ] && echo true || echo false)"
else
	fail "status --json" "kernel.xdp_helpers is not $want: $(head -c 300 <<<"$json")"
fi

# Where the helpers are there but the hand-off kfunc is not (5.15 to
# 6.8), `run --cookie own` is the refusal to check instead.
kfunc=absent
bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null |
	grep -q "FUNC 'bpf_sk_assign_tcp_reqsk'" && kfunc=present
if [ $want = present ] && [ $kfunc = present ]; then
	# `run` going on from here is what every other suite shows; the
	# refusals are checked on the older kernels of make check-kernels.
	exit 0
fi
if [ $want = present ]; then
	line=$("$SG" status 2>&1 | grep -E '^  bpf_sk_assign_tcp_reqsk ')
	case $line in
	*"absent: only the kernel engine"*"needs Linux 6.9"*)
		pass "status: $(sed -E 's/^  bpf_sk_assign_tcp_reqsk +//' <<<"$line")" ;;
	*) fail "status says of the kfunc" "'${line:-no such line}', BTF has none" ;;
	esac
	args=(--cookie own)
	refusal="synguard: the own engine needs bpf_sk_assign_tcp_reqsk \(Linux 6\.9 or later\); use --cookie kernel"
	what="run --cookie own"
else
	args=()
	refusal="synguard: this kernel \($(uname -r | sed 's/[.+]/\\&/g')\) lacks the BPF helper bpf_[a-z_]+ \(Linux [0-9.]+\): synguard needs Linux 5\.15 or later"
	what="run"
fi

e2e_topology_up || {
	fail "e2e setup" "topology"
	exit 1
}
mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || {
	fail "e2e setup" "cannot mount bpffs at $BPFFS"
	exit 1
}
sysctls() {
	e2e_in s sysctl -n net.ipv4.tcp_syncookies net.ipv4.tcp_timestamps | paste -sd' ' -
}
before=$(sysctls)
err=$(e2e_in s "$SG" run "$E2E_DEV_SC" --ports 8080 --set-sysctl "${args[@]}" \
	--pin-root "$BPFFS/synguard" --metrics off 2>&1 >/dev/null)
rc=$?
if [ "$rc" = 1 ] && [ "$(grep -c '' <<<"$err")" = 1 ] &&
	grep -qE "^$refusal\$" <<<"$err"; then
	# (tests/kernels/matrix.py reads "run refuses in one line")
	pass "$what refuses in one line, exit 1: $err"
else
	fail "$what on this kernel" "exit $rc, stderr: $(head -c 400 <<<"$err")"
fi
after=$(sysctls)
if [ "$after" = "$before" ]; then
	pass "run changed no sysctl (tcp_syncookies, tcp_timestamps: $after)"
else
	fail "run changed sysctls" "$before -> $after"
fi
if e2e_in s ip link show dev "$E2E_DEV_SC" | grep -q 'xdp'; then
	fail "run left XDP attached" "$(e2e_in s ip link show dev "$E2E_DEV_SC")"
elif [ -n "$(e2e_in s tc filter show dev "$E2E_DEV_SC" ingress 2>/dev/null)" ]; then
	fail "run left a TC filter" "$(e2e_in s tc filter show dev "$E2E_DEV_SC" ingress)"
else
	pass "run attached nothing to $E2E_DEV_SC"
fi
left=$(find "$BPFFS" -mindepth 1 2>/dev/null)
if [ -z "$left" ]; then
	pass "run pinned and made nothing under the pin root"
else
	fail "run left under the pin root" "$(tr '\n' ' ' <<<"$left")"
fi
