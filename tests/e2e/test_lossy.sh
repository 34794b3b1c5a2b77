#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# A lossy path between client and server: synguard must not turn a lost
# packet into a lost connection. Loss is made by nft in the client's
# namespace (this kernel has no netem), deterministically, so that every
# run loses the same packets of each connection:
#   - the first SYN-ACK of every handshake: the client sends its SYN again
#     after its 1 s timeout and synguard answers it again, with the same
#     cookie (same SYN, same epoch);
#   - the handshake's third ACK: the client's first data segment, which
#     carries the same acknowledgment, completes the handshake instead,
#     and its data reaches the server; the segments behind it in the same
#     receive batch, which XDP sees before the kernel has the socket, are
#     dropped as follow-ups (drop_followup), not as forged ACKs;
#   - every 7th packet client to server and every 7th back, through whole
#     transfers (SYNs, SYN-ACKs, ACKs and data alike).
# For each engine the kernel offers: 200 kB echoed intact over IPv4 and
# IPv6, one hand-off (own engine) or one kernel cookie check (kernel
# engine) per connection, no ACK of a legitimate client judged forged.
#
#   bash tests/e2e/test_lossy.sh [ENGINE...]   (default: own, where the
#                                               kernel has the kfunc, and kernel)
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

SG=${SG:-$ROOT/.output/asan/synguard}
PEER=$ROOT/tests/e2e/sgpeer.py
BPFFS=/run/synguard-e2e.$E2E_PREFIX
PORT=8080
CONNS=4 # per case: IPv4, IPv6, IPv4, IPv6

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }

SG_PID=""
cleanup() {
	[ -n "$SG_PID" ] && kill -TERM "$SG_PID" 2>/dev/null
	e2e_bpffs_umount "$BPFFS"
}
e2e_trap cleanup

if [ ! -x "$SG" ]; then
	fail "e2e setup" "$SG missing (make first)"
	exit 1
fi
ENGINES=${*:-}
if [ -z "$ENGINES" ]; then
	if bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null |
		grep -q "FUNC 'bpf_sk_assign_tcp_reqsk'"; then
		ENGINES="own kernel"
	else
		ENGINES=kernel
	fi
fi
e2e_topology_up || {
	fail "e2e setup" "topology"
	exit 1
}
mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || {
	fail "e2e setup" "cannot mount bpffs at $BPFFS"
	exit 1
}
export SYNGUARD_PIN_ROOT=$BPFFS/synguard LIBXDP_BPFFS=$BPFFS
SRV=$(e2e_bg s python3 "$PEER" serve --port $PORT)
e2e_wait_port s $PORT || {
	fail "e2e setup" "server: $(cat "$(e2e_bg_log "$SRV")")"
	exit 1
}
# Packet counts per connection, for the third-ACK rule: a rule with a ct
# expression brings conntrack in, then its accounting is switched on.
e2e_in c nft -f - <<EOF && e2e_in c sysctl -qw net.netfilter.nf_conntrack_acct=1 || {
table inet sgloss {
	chain out {
		type filter hook output priority 0;
		ct state invalid counter
	}
}
EOF
	fail "e2e setup" "no conntrack accounting in the client namespace"
	exit 1
}

counters() { # NAME... -> "v1 v2 ..." from synguard's stats
	e2e_in s "$SG" stats "$E2E_DEV_SC" --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)[sys.argv[1]]
print(" ".join(str(d.get(n, 0)) for n in sys.argv[2:]))' "$E2E_DEV_SC" "$@"
}
NAMES="tx_synack pass_cookie_ok handoff_ok handoff_error drop_cookie_bad drop_followup"

# loss RULES: the client namespace's packet filter, for one case.
loss() {
	e2e_in c nft delete table inet sgloss 2>/dev/null
	[ -z "$1${2:-}" ] && return 0
	e2e_in c nft -f - <<EOF
table inet sgloss {
	chain out {
		type filter hook output priority 0;
		$1
	}
	chain in {
		type filter hook input priority 0;
		$2
	}
}
EOF
}

# run_case ENGINE NAME "OUT RULE" "IN RULE" MIN_CONNECT_MS: CONNS transfers
# through the loss; checks data, connect times and counter deltas.
run_case() {
	local engine=$1 name=$2 min_ms=$5 i host got ok=1 why="" slow=0 c0 c1
	local s0 s1 f0 f1
	local -a a b
	if ! loss "$3" "$4"; then
		fail "$engine: $name" "nft refused the loss rules"
		return
	fi
	read -r -a a <<<"$(counters $NAMES)"
	s0=$(e2e_nstat_get s TcpExtSyncookiesRecv)
	f0=$(e2e_nstat_get s TcpExtSyncookiesFailed)
	for i in $(seq $CONNS); do
		if [ $((i % 2)) = 1 ]; then host=$E2E_IP4_SC; else host=$E2E_IP6_SC; fi
		got=$(e2e_in c python3 "$PEER" xfer --host "$host" --port $PORT \
			--bytes 200000 --timeout 20 --seed "$i" 2>&1)
		if ! grep -qE '"ok": ?true' <<<"$got"; then
			ok=0 why="$why [$host: $got]"
			continue
		fi
		c0=$(python3 -c 'import json,sys; print(int(json.loads(sys.argv[1])["connect_ms"]))' "$got")
		[ "$c0" -ge "$min_ms" ] && slow=$((slow + 1))
	done
	loss ""
	read -r -a b <<<"$(counters $NAMES)"
	s1=$(e2e_nstat_get s TcpExtSyncookiesRecv)
	f1=$(e2e_nstat_get s TcpExtSyncookiesFailed)
	# tx_synack pass_cookie_ok handoff_ok handoff_error drop_cookie_bad
	local d_tx=$((b[0] - a[0])) d_ok=$((b[1] - a[1])) d_ho=$((b[2] - a[2]))
	local d_err=$((b[3] - a[3])) d_bad=$((b[4] - a[4])) d_fu=$((b[5] - a[5]))
	if [ $ok = 0 ]; then
		fail "$engine: $name" "transfers failed:$why; synguard: $(e2e_in s "$SG" stats "$E2E_DEV_SC" 2>&1 | awk '$2 ~ /^[0-9]+$/ && $2 != 0 { printf "%s=%s ", $1, $2 }'); server: $(e2e_nstat s "" | awk '$2 != 0 && $1 ~ /Listen|Reset|Cookie|Drop|Req|RST|Abort|Ofo|InErr/ { printf "%s=%s ", $1, $2 }')"
		return
	fi
	[ "$min_ms" -gt 0 ] && [ $slow != $CONNS ] &&
		why="$why only $slow of $CONNS connects took >= $min_ms ms (was the packet lost?);"
	[ $d_tx -ge $CONNS ] || why="$why tx_synack +$d_tx;"
	[ $d_bad = 0 ] || why="$why drop_cookie_bad +$d_bad;"
	if [ "$engine" = own ]; then
		[ $d_ho = $CONNS ] || why="$why handoff_ok +$d_ho (want $CONNS);"
		[ $d_err = 0 ] || why="$why handoff_error +$d_err;"
	else
		[ $((s1 - s0)) = $CONNS ] || why="$why kernel SyncookiesRecv +$((s1 - s0)) (want $CONNS);"
		[ $((f1 - f0)) = 0 ] || why="$why kernel SyncookiesFailed +$((f1 - f0));"
	fi
	[ "${6:-}" ] && [ $d_tx != "$6" ] && why="$why tx_synack +$d_tx (want $6);"
	if [ -z "$why" ]; then
		pass "$engine: $name: $CONNS x 200 kB intact over IPv4/IPv6 (SYN-ACKs +$d_tx, cookie ACKs passed +$d_ok, $([ "$engine" = own ] && echo "hand-offs +$d_ho" || echo "kernel cookie checks +$((s1 - s0))"), forged 0, follow-ups dropped uncharged +$d_fu)"
	else
		fail "$engine: $name" "$why"
	fi
}

for engine in $ENGINES; do
	extra=()
	[ "$engine" = kernel ] && extra=(--set-sysctl)
	SG_PID=$(e2e_bg s "$SG" run "$E2E_DEV_SC" --ports $PORT --cookie "$engine" \
		--metrics off "${extra[@]}")
	for _ in $(seq 150); do
		grep -q 'ready on' "$(e2e_bg_log "$SG_PID")" && break
		kill -0 "$SG_PID" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q 'ready on' "$(e2e_bg_log "$SG_PID")"; then
		fail "$engine: synguard starts" "$(cat "$(e2e_bg_log "$SG_PID")")"
		SG_PID=""
		continue
	fi
	# Addresses and listeners are followed once a second.
	for _ in $(seq 30); do
		e2e_in s "$SG" status --json 2>/dev/null | grep -q '"local_scope": true' && break
		sleep 0.1
	done

	run_case "$engine" "no loss (reference)" "" "" 0 $CONNS
	# Every second SYN-ACK dropped: each handshake loses its first.
	run_case "$engine" "first SYN-ACK of every handshake lost" "" \
		"tcp flags & (syn | ack) == (syn | ack) tcp sport $PORT numgen inc mod 2 == 0 drop" \
		900 $((2 * CONNS))
	# The second packet of each connection from the client: the ACK.
	run_case "$engine" "the handshake's third ACK lost (the first data segment completes it)" \
		"tcp dport $PORT tcp flags & (syn | fin | rst) == 0 ct original packets 2 drop" "" \
		0 $CONNS
	run_case "$engine" "every 7th packet lost each way" \
		"tcp dport $PORT numgen inc mod 7 == 3 drop" \
		"tcp sport $PORT numgen inc mod 7 == 5 drop" 0

	kill -TERM "$SG_PID"
	for _ in $(seq 100); do
		kill -0 "$SG_PID" 2>/dev/null || break
		sleep 0.1
	done
	SG_PID=""
done
