#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# synguard and another libxdp program (xdp-filter, from xdp-tools) on one
# interface, in both orders. Where libxdp's dispatcher works and the
# kernel accepts synguard as one of its programs, both run: connections to
# the protected port complete through synguard's cookies, xdp-filter still
# drops the port it filters, and stopping or detaching synguard removes
# synguard only. Where it does not (no dispatcher support; or Linux 6.12+,
# whose verifier refuses a packet-rewriting program in the slots of
# libxdp 1.3's dispatcher), whoever came second is refused with a clear
# message and the first keeps working, untouched.
#
#   bash tests/e2e/test_coexist.sh
#
# SG_EXPECT_JOIN=1|0 states which of the two this kernel must show (the
# kernel matrix sets it per kernel); unset, either is accepted and the
# result says which one was seen.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

SG=${SG:-$ROOT/.output/asan/synguard}
PEER=$ROOT/tests/e2e/sgpeer.py
PORT=8080     # protected by synguard
FILTERED=8090 # dropped by xdp-filter
BPFFS=/run/synguard-e2e.$E2E_PREFIX
EXPECT_JOIN=${SG_EXPECT_JOIN:-}

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }

SG_PID=""
cleanup() {
	[ -n "$SG_PID" ] && kill -TERM "$SG_PID" 2>/dev/null
	e2e_in s env LIBXDP_BPFFS="$BPFFS" xdp-filter unload --all >/dev/null 2>&1
	e2e_bpffs_umount "$BPFFS"
}
e2e_trap cleanup

for tool in xdp-filter xdp-loader; do
	if ! command -v $tool >/dev/null; then
		fail "e2e setup" "$tool missing (apt-get install xdp-tools)"
		exit 1
	fi
done
if [ ! -x "$SG" ]; then
	fail "e2e setup" "$SG missing (make first)"
	exit 1
fi
e2e_topology_up || {
	fail "e2e setup" "topology"
	exit 1
}
mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || {
	fail "e2e setup" "cannot mount bpffs at $BPFFS"
	exit 1
}
# Both tools keep libxdp's dispatcher state in the same bpffs.
export LIBXDP_BPFFS=$BPFFS SYNGUARD_PIN_ROOT=$BPFFS/synguard
DEV=$E2E_DEV_SC
e2e_in s sysctl -qw net.ipv4.tcp_syncookies=1
SRV=$(e2e_bg s python3 "$PEER" serve --port $PORT --port $FILTERED)
e2e_wait_port s $PORT || {
	fail "e2e setup" "server did not start: $(cat "$(e2e_bg_log "$SRV")")"
	exit 1
}

filter_load() {
	e2e_in s env LIBXDP_BPFFS="$BPFFS" xdp-filter load "$DEV" -m native 2>&1 &&
		e2e_in s env LIBXDP_BPFFS="$BPFFS" xdp-filter port $FILTERED -p tcp 2>&1
}
filter_unload() {
	e2e_in s env LIBXDP_BPFFS="$BPFFS" xdp-filter unload "$DEV" 2>&1
}
# Program names attached to DEV: the dispatcher's components, or the one
# program.
progs() {
	e2e_in s env LIBXDP_BPFFS="$BPFFS" xdp-loader status "$DEV" 2>/dev/null |
		awk -v d="$DEV" '$1 == d && NF >= 5 && $2 != "xdp_dispatcher" && $2 !~ /^</ { print $2 }
			$1 == "=>" { print $3 }' |
		sort | tr '\n' ' '
}
dispatcher() {
	e2e_in s env LIBXDP_BPFFS="$BPFFS" xdp-loader status "$DEV" 2>/dev/null |
		grep -q xdp_dispatcher
}
sg_start() { # prints the daemon's log; 0 once ready, 1 if it exits
	local i
	SG_PID=$(e2e_bg s "$SG" run "$DEV" --ports $PORT --metrics off --set-sysctl)
	for i in $(seq 150); do
		grep -q 'ready on' "$(e2e_bg_log "$SG_PID")" && return 0
		kill -0 "$SG_PID" 2>/dev/null || break
		sleep 0.1
	done
	SG_PID=""
	return 1
}
sg_stop() {
	[ -n "$SG_PID" ] || return 0
	kill -TERM "$SG_PID"
	for _ in $(seq 100); do
		kill -0 "$SG_PID" 2>/dev/null || break
		sleep 0.1
	done
	SG_PID=""
}
synacks() {
	e2e_in s "$SG" stats "$DEV" --json 2>/dev/null | python3 -c '
import json, sys
try:
    print(json.load(sys.stdin)[sys.argv[1]]["tx_synack"])
except Exception:
    print(0)' "$DEV"
}
# A connection through synguard: an echo of 100 kB, answered by its
# cookie (one more SYN-ACK counted).
check_synguard() { # TAG
	local s0 got
	s0=$(synacks)
	got=$(e2e_in c python3 "$PEER" xfer --host "$E2E_IP4_SC" --port $PORT \
		--bytes 100000 --timeout 10 2>&1)
	if echo "$got" | grep -qE '"ok": ?true' && [ "$(synacks)" -gt "$s0" ]; then
		pass "$1: a connection to port $PORT completes through synguard's cookie"
	else
		fail "$1: a connection to port $PORT through synguard" "$got (SYN-ACKs $s0 -> $(synacks))"
	fi
}
check_no_synguard() { # TAG: port 8080 works, answered by the kernel
	local got
	got=$(e2e_in c python3 "$PEER" xfer --host "$E2E_IP4_SC" --port $PORT \
		--bytes 100000 --timeout 10 2>&1)
	if echo "$got" | grep -qE '"ok": ?true' && ! progs | grep -q synguard_xdp; then
		pass "$1: without synguard on $DEV, port $PORT is the kernel's and works"
	else
		fail "$1: port $PORT without synguard" "$got; programs: $(progs)"
	fi
}
check_filter() { # TAG: xdp-filter drops the port it filters
	local got
	got=$(e2e_in c python3 "$PEER" probe --host "$E2E_IP4_SC" --port $FILTERED \
		--count 1 --timeout 2 2>&1)
	if progs | grep -q xdpfilt && echo "$got" | grep -qE '"ok": ?0'; then
		pass "$1: xdp-filter is attached and still drops port $FILTERED"
	else
		fail "$1: xdp-filter drops port $FILTERED" "programs: $(progs); $got"
	fi
}
# What this kernel showed, checked against SG_EXPECT_JOIN.
expect() { # TAG JOINED(1|0)
	if [ -n "$EXPECT_JOIN" ] && [ "$EXPECT_JOIN" != "$2" ]; then
		fail "$1: expected $([ "$EXPECT_JOIN" = 1 ] && echo "to share" || echo "not to share") the interface" \
			"saw the opposite; programs: $(progs)"
		return 1
	fi
	return 0
}

# ---- order 1: xdp-filter first, then synguard ----
tag="xdp-filter first"
out=$(filter_load) || {
	fail "$tag: xdp-filter loads" "$out"
	exit 1
}
pass "$tag: xdp-filter loads ($(dispatcher && echo "libxdp dispatcher" || echo "single program"))"
check_filter "$tag"
if sg_start; then
	if expect "$tag" 1; then
		st=$(e2e_in s "$SG" status --json)
		if dispatcher && [ "$(progs)" = "synguard_xdp xdpfilt_alw_all " ] &&
			echo "$st" | grep -q '"libxdp": "dispatcher"'; then
			pass "$tag: synguard joins the libxdp dispatcher (programs: $(progs); status says dispatcher)"
		else
			fail "$tag: synguard joins the dispatcher" "programs: $(progs); $st"
		fi
		check_synguard "$tag"
		check_filter "$tag, with synguard"
		sg_stop
		if [ "$(progs)" = "xdpfilt_alw_all " ]; then
			pass "$tag: stopping synguard removes synguard only"
		else
			fail "$tag: stopping synguard removes synguard only" "programs: $(progs)"
		fi
		check_filter "$tag, synguard stopped"
	fi
else
	log=$(cat "$(e2e_bg_log "$(ls -t "$E2E_RUN"/bg.*.log | head -n 1 | sed 's/.*bg\.\([0-9]*\)\.log/\1/')")" 2>/dev/null)
	if expect "$tag" 0; then
		if echo "$log" | grep -qE "will not replace it"; then
			pass "$tag: synguard refuses to share, with a reason: $(echo "$log" | grep -m1 'will not replace' | cut -c1-160)"
		else
			fail "$tag: synguard refuses with a clear message" "$log"
		fi
		if echo "$log" | grep -q "Extension program changes packet data"; then
			pass "$tag: the message names the kernel's reason (dispatcher predates the packet-data check)"
		elif dispatcher; then
			fail "$tag: the message names the kernel's reason" "$log"
		fi
		check_filter "$tag, synguard refused"
		check_no_synguard "$tag"
	fi
fi
out=$(filter_unload) || fail "$tag: xdp-filter unloads" "$out"
if [ -z "$(progs)" ]; then
	pass "$tag: the interface is bare again"
else
	fail "$tag: the interface is bare again" "programs: $(progs)"
fi

# ---- order 2: synguard first, then xdp-filter ----
tag="synguard first"
if ! sg_start; then
	fail "$tag: synguard starts" "$(cat "$E2E_RUN"/bg.*.log | tail -n 20)"
	exit 1
fi
mode=$(grep -o 'ready on [^,]*' "$(e2e_bg_log "$SG_PID")")
pass "$tag: synguard starts: $mode"
check_synguard "$tag"
if out=$(filter_load); then
	if expect "$tag" 1; then
		if dispatcher && [ "$(progs)" = "synguard_xdp xdpfilt_alw_all " ]; then
			pass "$tag: xdp-filter joins synguard in the libxdp dispatcher"
		else
			fail "$tag: xdp-filter joins the dispatcher" "programs: $(progs)"
		fi
		check_synguard "$tag, with xdp-filter"
		check_filter "$tag"
		# After a crash, detach removes synguard only.
		kill -KILL "$SG_PID"
		sleep 0.3
		SG_PID=""
		got=$(e2e_in s "$SG" detach "$DEV" 2>&1)
		if [ "$(progs)" = "xdpfilt_alw_all " ] && [ ! -e "$SYNGUARD_PIN_ROOT/$DEV" ]; then
			pass "$tag: after kill -9, 'synguard detach' removes synguard only"
		else
			fail "$tag: 'synguard detach' removes synguard only" "programs: $(progs); $got"
		fi
		check_filter "$tag, synguard detached"
		filter_unload >/dev/null
	fi
else
	if expect "$tag" 0; then
		if echo "$out" | grep -qiE "not using a dispatcher|busy"; then
			pass "$tag: xdp-filter is refused, synguard is not replaced ($(echo "$out" | grep -m1 -iE 'dispatcher|busy' | sed 's/^ *//' | cut -c1-100))"
		else
			fail "$tag: xdp-filter is refused" "$out"
		fi
		if [ "$(progs)" = "synguard_xdp " ]; then
			pass "$tag: synguard is still the interface's program"
		else
			fail "$tag: synguard is still attached" "programs: $(progs)"
		fi
		check_synguard "$tag, after xdp-filter's attempt"
	fi
fi
sg_stop
e2e_in s "$SG" detach "$DEV" >/dev/null 2>&1
if [ -z "$(progs)" ]; then
	pass "$tag: the interface is bare again"
else
	fail "$tag: the interface is bare again" "programs: $(progs)"
fi
exit 0
