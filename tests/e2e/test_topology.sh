#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Self-test of the end-to-end library (tests/e2e/lib.sh, sgpeer.py) without
# synguard: topology, echo transfers over IPv4 and IPv6, short connections,
# and bounded SYN/ACK floods from the attacker against a server with kernel
# syncookies. One "PASS: name" / "FAIL: name: why" line per case.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/e2e/lib.sh

PEER=tests/e2e/sgpeer.py
PORT=8080
RATE=${E2E_TEST_RATE:-20000}
DUR=${E2E_TEST_DUR:-3}

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }
skip() { echo "SKIP: $1: $2"; }

if [ "$(id -u)" != 0 ]; then
	skip "e2e topology" "needs root (network namespaces)"
	exit 0
fi
for t in ip ethtool clang trafgen nstat ss python3 timeout; do
	if ! command -v "$t" >/dev/null; then
		skip "e2e topology" "$t not installed (make deps)"
		exit 0
	fi
done

dump_logs() {
	# on failure, show what the background processes said (once)
	[ "$failed" = 0 ] || [ "$logs_shown" = 1 ] && return 0
	logs_shown=1
	local f
	for f in "$E2E_RUN"/bg.*.log "$E2E_RUN"/flood.*.out; do
		[ -s "$f" ] || continue
		echo "--- $f"
		tail -n 20 "$f"
	done
}
failed=0 logs_shown=0
check() { # check NAME OK WHY
	if [ "$2" = 1 ]; then pass "$1"; else
		fail "$1" "$3"
		failed=1
	fi
}
e2e_trap dump_logs

t_start=$SECONDS
if ! e2e_topology_up; then
	fail "topology up" "e2e_topology_up failed"
	exit 1
fi
pass "topology up"

ok=1 why=
for pair in c:cli0 a:atk0; do
	if ! e2e_in "${pair%%:*}" ip -d link show dev "${pair#*:}" | grep -q 'prog/xdp'; then
		ok=0 why="no XDP program on ${pair#*:}"
	fi
done
check "peer XDP programs attached" "$ok" "$why"

e2e_in s sysctl -qw net.ipv4.tcp_syncookies=1

srv=$(e2e_bg s python3 -u "$PEER" serve --port "$PORT")
if e2e_wait_port s "$PORT" && grep -q '^listening' "$(e2e_bg_log "$srv")"; then
	pass "echo server listening"
else
	fail "echo server listening" "$(tail -n 3 "$(e2e_bg_log "$srv")")"
	exit 1
fi

# json FIELD <<< LINE
json() { python3 -c 'import json, sys
v = json.loads(sys.stdin.readline())[sys.argv[1]]
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$1"; }

for fam in 4 6; do
	host=$E2E_IP4_SC
	[ $fam = 6 ] && host=$E2E_IP6_SC
	out=$(timeout 60 ip netns exec "$E2E_NS_C" python3 "$PEER" xfer --host "$host" \
		--port "$PORT" --bytes $((10 * 1024 * 1024)) --seed $fam)
	rc=$?
	if [ $rc = 0 ] && [ "$(json ok <<<"$out")" = true ]; then
		pass "xfer 10 MB IPv$fam ($(json elapsed_s <<<"$out") s, $(json mbit_s <<<"$out") Mbit/s)"
	else
		fail "xfer 10 MB IPv$fam" "rc $rc: $out"
		failed=1
	fi
done

out=$(timeout 60 ip netns exec "$E2E_NS_C" python3 "$PEER" probe --host "$E2E_IP4_SC" \
	--port "$PORT" --count 100 --parallel 10 --timeout 5)
rc=$?
if [ $rc = 0 ]; then
	pass "probe 100 connections (connect p50 $(json p50_ms <<<"$out") ms, p99 $(json p99_ms <<<"$out") ms)"
else
	fail "probe 100 connections" "rc $rc: $out"
	failed=1
fi

# flood_case NAME KIND FAMILY PROBE_HOST: flood for DUR s at RATE pps while
# a probe runs; the probe must succeed and the flood must reach sga0.
flood_case() {
	local name=$1 kind=$2 fam=$3 host=$4 rx0 rx1 sent delta want out rc
	rx0=$(e2e_dev_stat s sga0 rx_packets)
	if ! e2e_flood_start "$kind" "$RATE" "$DUR" "$fam"; then
		fail "$name" "e2e_flood_start failed"
		failed=1
		return
	fi
	sleep 0.5
	out=$(timeout 30 ip netns exec "$E2E_NS_C" python3 "$PEER" probe --host "$host" \
		--port "$PORT" --count 50 --parallel 5 --interval 0.02 --timeout 5)
	rc=$?
	sent=$(e2e_flood_wait)
	rx1=$(e2e_dev_stat s sga0 rx_packets)
	delta=$((rx1 - rx0))
	want=$((RATE * DUR / 2))
	if [ "$delta" -lt "$want" ]; then
		fail "$name: flood arrived" "sga0 rx_packets +$delta < $want (trafgen sent $sent)"
		failed=1
	else
		pass "$name: flood arrived (sga0 rx +$delta in ${DUR}s, $((delta / DUR)) pps; trafgen sent $sent)"
	fi
	if [ $rc = 0 ]; then
		pass "$name: probe during flood (p50 $(json p50_ms <<<"$out") ms, p99 $(json p99_ms <<<"$out") ms)"
	else
		fail "$name: probe during flood" "rc $rc: $out"
		failed=1
	fi
}

e0=$(e2e_nstat_get s TcpInCsumErrors)
c0=$(e2e_nstat_get s TcpExtSyncookiesSent)
flood_case "syn flood IPv4" syn v4 "$E2E_IP4_SC"
c1=$(e2e_nstat_get s TcpExtSyncookiesSent)
check "kernel syncookies engaged" "$([ $((c1 - c0)) -gt 0 ] && echo 1)" \
	"TcpExtSyncookiesSent +$((c1 - c0))"
flood_case "syn flood IPv6" syn v6 "$E2E_IP6_SC"
flood_case "ack flood IPv4" ack v4 "$E2E_IP4_SC"
r0=$(e2e_nstat_get s TcpOutRsts)
flood_case "ack flood IPv6" ack v6 "$E2E_IP6_SC"
r1=$(e2e_nstat_get s TcpOutRsts)
check "ack flood answered with RSTs" "$([ $((r1 - r0)) -gt 0 ] && echo 1)" \
	"TcpOutRsts +$((r1 - r0))"

e1=$(e2e_nstat_get s TcpInCsumErrors)
check "flood checksums valid" "$([ "$e1" = "$e0" ] && echo 1)" \
	"TcpInCsumErrors +$((e1 - e0))"

# e2e_topology_down, then make sure nothing of ours is left.
dump_logs
e2e_topology_down
left=$(ip netns list | awk '{print $1}' | grep -E "^${E2E_PREFIX}[csa]\$" || true)
check "cleanup leaves no namespace" "$([ -z "$left" ] && echo 1)" "left: $left"
# No timed assertion (benchmarks are separate): just say how long it took.
echo "took $((SECONDS - t_start)) s"
exit "$failed"
