#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The reflection guard and per-prefix accounting, end to end (namespaces
# of tests/e2e/lib.sh, synguard on the server's attacker-side sga0 with
# --synack-rate 300, so burst 600, per /24 and /64):
#
#   known     a real client inside a flooded prefix: the attacker namespace
#             also owns 198.19.7.200 and fd00:5e:ff::200 (the server routes
#             198.19.0.0/16 and fd00:5e:ff::/64 back to it). The client
#             connects a few times (synguard now knows it), then a spoofed
#             SYN flood from its /24 (/64) runs far above the guard's rate
#             while the client connects 20 times: every connection works
#             with no SYN retransmitted by the client (nstat in its
#             namespace), the flood is limited (drop_ratelimit) and the
#             client's SYNs went past the empty bucket (guard_bypass) -
#             and only the client's: no more bypasses than its SYNs.
#   thrash    per-prefix buckets are a keyed array, not an LRU map: a
#             flood from 198.19.7.0/24 over the guard's rate while another
#             flood spoofs a new /64 with every SYN (more prefixes than the
#             old LRU's 65536 entries): the /24 stays limited, its
#             SYN-ACKs within burst + rate x time (+ slack), while every
#             one-SYN /64 is answered; and fd00:5e:ff::/64, flooded just
#             before and idle meanwhile, keeps its bucket and its counts
#             (a bucket is held until its prefix has been idle for two key
#             epochs; an LRU map evicts the idle entry, counts and all).
#   top       `synguard top` names the flooded prefixes with their counts.
#
#   bash tests/e2e/test_guard.sh      (~40 s)
#   SG=/path/to/synguard bash tests/e2e/test_guard.sh   another build
#   GUARD_THRASH_PPS=N               rate of the many-prefix flood (15000)
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

SG=${SG:-$ROOT/.output/asan/synguard}
PEER=$ROOT/tests/e2e/sgpeer.py
BPFFS=/run/synguard-guard.$E2E_PREFIX
PINS=$BPFFS/synguard
PORT=8080
RATE=300 BURST=600 # the guard: SYN-ACKs per second per prefix, bucket depth
FLOOD_PPS=1500     # from the one prefix: five times the guard's rate
FLOOD_SECS=6
N=20                          # the known client's connections during the flood
CLI4=198.19.7.200             # a real client inside 198.19.7.0/24
CLI6=fd00:5e:ff::200          # and inside fd00:5e:ff::/64 (lib.sh's v6 floods)
MANY6=fd00:5f::/32            # sources of the many-prefix flood: a /64 each
THRASH_PPS=${GUARD_THRASH_PPS:-15000}
THRASH_SECS=8
DEV=$E2E_DEV_SA
T0=$SECONDS

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }
note() { echo "# $*"; }

SG_PID=""
cleanup() {
	if [ -n "$SG_PID" ]; then
		kill -TERM "$SG_PID" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$SG_PID" 2>/dev/null || break
			sleep 0.1
		done
	fi
	e2e_bpffs_umount "$BPFFS"
}
e2e_trap cleanup

if [ ! -x "$SG" ]; then
	fail "guard setup" "$SG missing (make tests first)"
	exit 1
fi
e2e_topology_up || {
	fail "guard setup" "topology"
	exit 1
}
mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || {
	fail "guard setup" "cannot mount bpffs at $BPFFS"
	exit 1
}
export SYNGUARD_PIN_ROOT=$PINS LIBXDP_BPFFS=$BPFFS
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
[ -x "$PY" ] || PY=python3

# The real clients inside the spoofed prefixes, and the way back to the
# many-prefix flood's sources (replies die in the attacker: not local).
e2e_in a ip addr add $CLI4/32 dev "$E2E_DEV_A" &&
	e2e_in a ip -6 addr add $CLI6/128 dev "$E2E_DEV_A" nodad &&
	e2e_in s ip -6 route add $MANY6 via "$E2E_IP6_A" || {
	fail "guard setup" "client addresses and routes"
	exit 1
}
e2e_in s sysctl -qw net.ipv4.tcp_syncookies=1
SRV=$(e2e_bg s "$PY" "$PEER" serve --port $PORT)
e2e_wait_port s $PORT || {
	fail "guard setup" "server: $(cat "$(e2e_bg_log "$SRV")")"
	exit 1
}

SG_PID=$(e2e_bg s "$SG" run $DEV --ports $PORT --synack-rate $RATE \
	--synack-burst $BURST --metrics off)
for _ in $(seq 150); do
	grep -q 'ready on' "$(e2e_bg_log "$SG_PID")" && break
	kill -0 "$SG_PID" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q 'ready on' "$(e2e_bg_log "$SG_PID")"; then
	fail "guard setup" "synguard run: $(cat "$(e2e_bg_log "$SG_PID")")"
	exit 1
fi
note "$(grep 'ready on' "$(e2e_bg_log "$SG_PID")")"

# ---- helpers ----

# ctr NAME...: counter values of sga0, space separated ("-" when this
# build has no such counter).
ctr() {
	"$PY" -c 'import json, sys
d = json.loads(sys.stdin.read())[sys.argv[1]]
print(" ".join(str(d.get(n, "-")) for n in sys.argv[2:]))' "$DEV" "$@" \
		< <(e2e_in s "$SG" stats $DEV --json 2>/dev/null)
}
# d NEW OLD: NEW - OLD, or "-" when either is missing.
d() {
	if [[ $1 =~ ^[0-9]+$ ]] && [[ $2 =~ ^[0-9]+$ ]]; then echo $(($1 - $2)); else echo -; fi
}
num() { [[ $1 =~ ^-?[0-9]+$ ]]; }
# jget JSON EXPR: a Python expression over d = the parsed JSON.
jget() {
	"$PY" -c 'import json, sys
d = json.loads(sys.argv[1])
print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}
# top_row PREFIX: "synack limited unanswered" of PREFIX in `top --json`.
top_row() {
	e2e_in s "$SG" top $DEV --json -n 20 2>/dev/null |
		"$PY" -c 'import json, sys
for r in json.loads(sys.stdin.read())[sys.argv[1]]["top"]:
    if r["prefix"] == sys.argv[2]:
        print(r["synack"], r["limited"], r["unanswered"]); break
else:
    print("- - -")' "$DEV" "$1"
}
# probe SOURCE COUNT [INTERVAL]: connections from SOURCE (in the attacker
# namespace) to the server through sga0; sgpeer's JSON line.
probe() {
	local host=$E2E_IP4_SA
	[[ $1 == *:* ]] && host=$E2E_IP6_SA
	e2e_in a "$PY" "$PEER" probe --host "$host" --port $PORT --source "$1" \
		--count "$2" --parallel 1 --timeout 3 --interval "${3:-0}" 2>&1 | tail -n 1
}
okcount() { jget "$1" 'd["ok"]'; }
mac_bytes() { echo "0x${1//:/, 0x}"; }

# Trafgen SYN floods into sga0 (the topology's MACs; options as Linux's).
SYNOPTS="0x02, 0x04, c16(1440), 0x04, 0x02, 0x08, 0x0a, drnd(4), c32(0), 0x01, 0x03, 0x03, 0x07"
# 198.19.7.0-199 (never the client's .200), random ports.
flood4_cfg() {
	cat <<EOF
{
  $(mac_bytes "$E2E_MAC_SA"), $(mac_bytes "$E2E_MAC_A"), c16(0x0800),
  0x45, 0x00, c16(60), drnd(2), 0x40, 0x00, 64, 6, csumip(14, 33),
  198, 19, 7, dinc(0, 199), ${E2E_IP4_SA//./, },
  drnd(2), c16($PORT), drnd(4), c32(0), 0xa0, 0x02, c16(64240), csumtcp(14, 34), c16(0),
  $SYNOPTS
}
EOF
}
# fd00:5e:ff::/64 (lib.sh's IPv6 flood prefix), a random interface id:
# never the client's ::200 (2^-64).
flood6_cfg() {
	cat <<EOF
{
  $(mac_bytes "$E2E_MAC_SA"), $(mac_bytes "$E2E_MAC_A"), c16(0x86dd),
  0x60, 0x00, 0x00, 0x00, c16(40), 6, 64,
  c16(0xfd00), c16(0x005e), c16(0x00ff), c16(0), drnd(8),
  $(_e2e_ip6_bytes "$E2E_IP6_SA"),
  drnd(2), c16($PORT), drnd(4), c32(0), 0xa0, 0x02, c16(64240), csumtcp6(14, 54), c16(0),
  $SYNOPTS
}
EOF
}
# fd00:5f:RRRR:RRRR:<random>: a new /64 with (almost) every SYN.
many6_cfg() {
	cat <<EOF
{
  $(mac_bytes "$E2E_MAC_SA"), $(mac_bytes "$E2E_MAC_A"), c16(0x86dd),
  0x60, 0x00, 0x00, 0x00, c16(40), 6, 64,
  c16(0xfd00), c16(0x005f), drnd(4), drnd(8),
  $(_e2e_ip6_bytes "$E2E_IP6_SA"),
  drnd(2), c16($PORT), drnd(4), c32(0), 0xa0, 0x02, c16(64240), csumtcp6(14, 54), c16(0),
  $SYNOPTS
}
EOF
}
# flood_bg NAME PPS SECONDS [burst]: start a trafgen flood with config
# NAME_cfg, bounded by count (-n) and time (timeout); echoes the PID.
# Paced packet by packet (--gap; a loaded machine sends fewer): trafgen's
# --rate sends each second's packets in one burst, and a bucket refilled
# over the rest of the second would never be empty. "burst": --rate.
flood_bg() {
	local cfg=$E2E_RUN/$1.cfg pace
	"$1_cfg" >"$cfg" || return 1
	if [ "${4:-}" = burst ]; then
		pace=(--rate "${2}pps")
	else
		pace=(--gap "$((1000000 / $2))us")
	fi
	e2e_bg a timeout -s INT -k 2 "$3" trafgen --dev "$E2E_DEV_A" --conf "$cfg" \
		--cpus 1 --num $(($2 * $3)) "${pace[@]}" --no-sock-mem \
		--notouch-irq --no-cpu-stats
}
# flood_end PID: wait (bounded) for it; prints "sent seconds".
flood_end() {
	local i
	for ((i = 0; i < 400; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	tr -d '\r' <"$(e2e_bg_log "$1")" | awk '/packets outgoing/ {print $1; exit}'
}
# retrans: "TcpRetransSegs TcpExtTCPSynRetrans" of the attacker namespace,
# where the real clients live (trafgen's floods are no TCP sockets).
retrans() {
	echo "$(e2e_nstat_get a TcpRetransSegs) $(e2e_nstat_get a TcpExtTCPSynRetrans)"
}

# ---- known: a real client inside the flooded prefix ----
known_case() { # FAMILY CLIENT PREFIX
	local fam=$1 cli=$2 pfx=$3 got r0 s0 r1 s1 rl0 gb0 rl1 gb1 rlm fpid sent t
	local tag="known client $cli inside the flooded $pfx"
	got=$(probe "$cli" 5)
	if [ "$(okcount "$got")" != 5 ]; then
		fail "$tag: first connections (no flood yet)" "$got"
		return
	fi
	read -r r0 s0 < <(retrans)
	read -r rl0 gb0 < <(ctr drop_ratelimit guard_bypass)
	t=$SECONDS
	fpid=$(flood_bg "flood$fam" $FLOOD_PPS $FLOOD_SECS)
	# The bucket is empty once the guard drops: then the client connects.
	for _ in $(seq 50); do
		read -r rlm < <(ctr drop_ratelimit)
		num "$rlm" && [ "$rlm" -gt "$rl0" ] && break
		sleep 0.1
	done
	got=$(probe "$cli" $N 0.1)
	read -r rl1 < <(ctr drop_ratelimit)
	sent=$(flood_end "$fpid")
	t=$((SECONDS - t))
	read -r r1 s1 < <(retrans)
	read -r rl1 gb1 < <(ctr drop_ratelimit guard_bypass)
	note "$tag: flood of $sent SYNs in ~$t s; drop_ratelimit +$(d "$rl1" "$rl0") (+$(d "$rlm" "$rl0") before the client's first SYN), guard_bypass +$(d "$gb1" "$gb0"); client: $got, TcpRetransSegs +$((r1 - r0)), TCPSynRetrans +$((s1 - s0))"
	if [ "$(okcount "$got")" = $N ] && [ $((r1 - r0)) = 0 ] && [ $((s1 - s0)) = 0 ]; then
		pass "$tag: $N/$N connections during the flood, no SYN retransmitted"
	else
		fail "$tag: $N connections during the flood without retransmission" "ok $(okcount "$got")/$N, TcpRetransSegs +$((r1 - r0)), TCPSynRetrans +$((s1 - s0)); $got"
	fi
	# Answered: at most a full bucket and the refill over the flood's
	# time (timeout ends trafgen within FLOOD_SECS), with slack.
	local rl most=$((BURST + RATE * FLOOD_SECS + 100))
	rl=$(d "$rl1" "$rl0")
	if num "$rl" && [ "$rl" -gt 0 ] && [ $((${sent:-0} - rl)) -le $most ]; then
		pass "$tag: the flood was limited (drop_ratelimit +$rl of $sent SYNs; $((sent - rl)) answered <= $most)"
	else
		fail "$tag: the flood was limited" "drop_ratelimit +$rl of ${sent:-?} SYNs, want > 0 and at most $most answered"
	fi
	local gb
	gb=$(d "$gb1" "$gb0")
	if num "$gb" && [ "$gb" -ge 1 ] && [ "$gb" -le $N ]; then
		pass "$tag: its SYNs went past the empty bucket (guard_bypass +$gb of its $N; the flood's none)"
	else
		fail "$tag: its SYNs went past the empty bucket" "guard_bypass +$gb (want 1..$N)"
	fi
}

note "known at $((SECONDS - T0)) s"
known_case 4 $CLI4 198.19.7.0/24
known_case 6 $CLI6 fd00:5e:ff::/64

# ---- thrash: one /24 over the guard while a new /64 comes with every SYN ----
note "thrash at $((SECONDS - T0)) s"
sleep $((BURST / RATE + 1)) # the /24's bucket full again
read -r syn0 lim0 _ < <(top_row 198.19.7.0/24)
read -r isyn0 ilim0 _ < <(top_row fd00:5e:ff::/64)
read -r tx0 rl0 < <(ctr tx_synack drop_ratelimit)
t=$EPOCHREALTIME
P24=$(flood_bg flood4 $FLOOD_PPS $THRASH_SECS)
PMANY=$(flood_bg many6 "$THRASH_PPS" $THRASH_SECS burst)
sent24=$(flood_end "$P24")
t=$(awk -v a="$t" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
sentmany=$(flood_end "$PMANY")
read -r syn1 lim1 _ < <(top_row 198.19.7.0/24)
read -r isyn1 ilim1 _ < <(top_row fd00:5e:ff::/64)
read -r tx1 rl1 < <(ctr tx_synack drop_ratelimit)
tracked=$(jget "$(e2e_in s "$SG" top $DEV --json -n 1 2>/dev/null)" "d['$DEV']['tracked']")
s24=$(d "$syn1" "$syn0")
# At most a full bucket and the refill over the flood's time (timeout
# ends trafgen within THRASH_SECS), with slack for the clock and for the
# few /64s that share the /24's bucket.
limit=$((BURST + RATE * THRASH_SECS + 100))
note "thrash: 198.19.7.0/24 sent $sent24 SYNs in $t s, got $s24 SYN-ACKs (limit $limit), limited +$(d "$lim1" "$lim0"); the many-prefix flood sent ${sentmany:-?} SYNs from as many /64s; tx_synack +$(d "$tx1" "$tx0"), drop_ratelimit +$(d "$rl1" "$rl0"); $tracked prefixes tracked"
if [ "${sentmany:-0}" -gt 65536 ] && num "$(d "$tx1" "$tx0")" &&
	[ "$(d "$tx1" "$tx0")" -ge $((sentmany * 9 / 10)) ]; then
	pass "thrash: the many-prefix flood came from more prefixes than the old LRU held (${sentmany} SYNs, one /64 each) and each was answered (tx_synack +$(d "$tx1" "$tx0"))"
else
	fail "thrash: a flood from more than 65536 prefixes" "sent ${sentmany:-?}, tx_synack +$(d "$tx1" "$tx0") (a slow machine: set GUARD_THRASH_PPS higher?)"
fi
# The /24's flood must have been well over what the guard lets through
# for this to say anything.
if num "$s24" && [ "$s24" -le "$limit" ] && [ "$s24" -ge $((BURST / 2)) ] &&
	[ "${sent24:-0}" -gt $((limit + BURST)) ]; then
	pass "thrash: the /24 stayed limited meanwhile ($s24 SYN-ACKs for $sent24 SYNs <= burst $BURST + $RATE/s x $THRASH_SECS s + 100 = $limit)"
else
	fail "thrash: the /24 stayed limited meanwhile" "$s24 SYN-ACKs for ${sent24:-?} SYNs in $t s, want <= $limit (its bucket reset to full?) and SYNs > $((limit + BURST)) (else the flood was too small to tell)"
fi

# The idle prefix's row: the same, but for the SYN-ACKs of the few one-SYN
# /64s that hashed to its bucket and shared it (about 2 expected).
if num "$isyn0" && num "$ilim0" && [ "$ilim0" -gt 0 ] && num "$isyn1" && num "$ilim1" &&
	[ "$isyn1" -ge "$isyn0" ] && [ "$isyn1" -le $((isyn0 + 50)) ] && [ "$ilim1" -ge "$ilim0" ]; then
	pass "thrash: fd00:5e:ff::/64, flooded before and idle meanwhile, kept its bucket and counts ($isyn0 -> $isyn1 SYN-ACKs, $ilim0 -> $ilim1 limited)"
else
	fail "thrash: fd00:5e:ff::/64, flooded before and idle meanwhile, keeps its bucket and counts" "before: ${isyn0:--} SYN-ACKs, ${ilim0:--} limited; after: ${isyn1:--}, ${ilim1:--} (- = no longer tracked)"
fi

# ---- top ----
note "top at $((SECONDS - T0)) s"
tj=$(e2e_in s "$SG" top $DEV --json -n 3 2>&1)
tt=$(e2e_in s "$SG" top $DEV -n 3 2>&1)
p0=$(jget "$tj" "d['$DEV']['top'][0]['prefix']")
p1=$(jget "$tj" "d['$DEV']['top'][1]['prefix']")
read -r syn lim un < <(top_row 198.19.7.0/24)
read -r syn6 lim6 un6 < <(top_row fd00:5e:ff::/64)
if [ "$p0" = 198.19.7.0/24 ] && [ "$p1" = fd00:5e:ff::/64 ] &&
	num "$lim" && [ "$lim" -gt 0 ] && num "$un" && [ "$un" -gt "$BURST" ] &&
	num "$lim6" && [ "$lim6" -gt 0 ] && num "$un6" && [ "$un6" -gt "$BURST" ] &&
	grep -qE "^  198\.19\.7\.0/24 +$syn +" <<<"$tt"; then
	pass "top: the flooded prefixes first, with their counts (198.19.7.0/24: $syn SYN-ACKs, $un unanswered, $lim limited; fd00:5e:ff::/64: $syn6, $un6, $lim6)"
else
	fail "top: the flooded prefixes first, with their counts" "$tj / $tt"
fi
note "done in $((SECONDS - T0)) s"
exit 0
