#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# A fleet sharing one key file, while both daemons rotate their keys
# every second: no legitimate handshake is lost at a rotation.
#
# Daemons A (server namespace, sgc0) and B (a second server namespace made
# here, sgb0; the same service address 198.18.0.1 / fd00:5e:0::1, as
# behind an anycast or load-balanced address) run with the same
# --key-file and --key-period 1, B started about half a second after A.
# For at least 20 rotations two workers run handshakes without pause: a
# SYN through A's live XDP program (BPF_PROG_TEST_RUN with
# .output/tests/sgrun: the program's real maps, keys and epoch), a random
# wait of 0-400 ms, its ACK through B's program; the other worker B to A.
# Cookies of the previous, current and next epoch are accepted, and every
# daemon moves to the clock's epoch at the period boundary, so two servers
# are never more than one epoch apart: a handshake must be accepted
# (XDP_PASS with synguard metadata) unless it spans two epoch boundaries
# (taking the SYN 200 ms early, for a daemon slow to wake at a boundary):
# then its cookie may have expired, and it is counted, not judged (the
# machine stalled). (With one epoch bit, previous-epoch-only acceptance and
# per-daemon timers, the servers rejected each other's fresh cookies for
# up to a second of each period.)
#
# Mid-run, `synguard keys rotate` on A moves it one epoch ahead of the
# clock: B accepts the cookies A mints then, and A accepts B's; a second
# `keys rotate` right after is refused (the command says so and fails, the
# daemon logs a warning) and the epoch stays one ahead, never two.
#
# Not here: a wall-clock step back must not freeze rotation. The machine's
# clock is not ours to change; tests/unit/test_keyring.c steps a simulated
# clock back (and forward, and forces rotations) against the real key ring.
#
#   bash tests/e2e/test_fleet.sh      (root; ~35 s)
#
# FLEET_ROTATIONS (default 20): rotations to run the workers for.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
E2E_PREFIX=${E2E_PREFIX:-sgf$$}
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

SG=${SG:-$ROOT/.output/asan/synguard}
SGRUN=${SGRUN:-$ROOT/.output/tests/sgrun}
PEER=$ROOT/tests/e2e/sgpeer.py
PORT=8080
PERIOD=1
ROTATIONS=${FLEET_ROTATIONS:-20}
LAG_MS=200 # wake-up latency allowed a daemon at an epoch boundary
NS_S=$E2E_NS_S
NS_B=${E2E_PREFIX}b
DEV_A=$E2E_DEV_SC
DEV_B=sgb0
DEV_B_PEER=sgb1
BPFFS=/run/synguard-fleet.$E2E_PREFIX
BPFFS_B=/run/synguard-fleet.$E2E_PREFIX.b
PINS=$BPFFS/synguard
PINS_B=$BPFFS_B/synguard

FAILED=0
pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1: $2"
	FAILED=$((FAILED + 1))
}

SG_PIDS="" WORKERS="" NS_B_MADE=0
cleanup() {
	local p
	for p in $WORKERS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	# shellcheck disable=SC2086
	[ -n "$SG_PIDS" ] && e2e_kill $SG_PIDS
	[ "$NS_B_MADE" = 1 ] && e2e_ns_del "$NS_B"
	e2e_bpffs_umount "$BPFFS" "$BPFFS_B"
}
e2e_trap cleanup

for bin in "$SG" "$SGRUN"; do
	if [ ! -x "$bin" ]; then
		fail "fleet setup" "$bin missing (make tests)"
		exit 1
	fi
done
if ! e2e_topology_up; then
	fail "fleet setup" "topology"
	exit 1
fi
if _e2e_ns_exists "$NS_B"; then
	fail "fleet setup" "namespace $NS_B already exists: not touching it"
	exit 1
fi
# B: the same service addresses as A's sgc0, on a veth pair of its own.
setup_b() {
	ip netns add "$NS_B" || return 1
	NS_B_MADE=1
	ip -n "$NS_B" link set lo up &&
		ip -n "$NS_B" link add "$DEV_B" type veth peer name "$DEV_B_PEER" &&
		ip -n "$NS_B" addr add "$E2E_IP4_SC/24" dev "$DEV_B" &&
		ip -n "$NS_B" addr add "$E2E_IP6_SC/64" dev "$DEV_B" nodad &&
		ip -n "$NS_B" link set "$DEV_B_PEER" up &&
		ip -n "$NS_B" link set "$DEV_B" up
}
if ! setup_b; then
	fail "fleet setup" "second server namespace $NS_B"
	exit 1
fi
for mnt in "$BPFFS" "$BPFFS_B"; do
	if ! { mkdir -p "$mnt" && mount -t bpf bpf "$mnt"; }; then
		fail "fleet setup" "cannot mount bpffs at $mnt"
		exit 1
	fi
done
for ns in "$NS_S" "$NS_B"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syncookies=1
done
# The listeners the cookies are for (synguard answers SYNs for local
# listeners only).
SRV_A=$(e2e_bg "$NS_S" python3 "$PEER" serve --port $PORT)
SRV_B=$(e2e_bg "$NS_B" python3 "$PEER" serve --port $PORT)
if ! e2e_wait_port "$NS_S" $PORT || ! e2e_wait_port "$NS_B" $PORT; then
	fail "fleet setup" "listeners: $(cat "$(e2e_bg_log "$SRV_A")" "$(e2e_bg_log "$SRV_B")")"
	exit 1
fi
KEY=$E2E_RUN/fleet.key
(
	umask 077
	head -c 32 /dev/urandom >"$KEY"
)

pins_of() { [ "$1" = "$NS_B" ] && echo "$PINS_B" || echo "$PINS"; }
sg() { # NS ARGS...: the synguard CLI with that namespace's pin root
	local ns=$1
	shift
	ip netns exec "$ns" env SYNGUARD_PIN_ROOT="$(pins_of "$ns")" "$SG" "$@"
}
sg_launch() { # NS DEV: prints the PID
	e2e_bg "$1" env SYNGUARD_PIN_ROOT="$(pins_of "$1")" "$SG" -v run "$2" \
		--ports $PORT --cookie own --key-file "$KEY" \
		--key-period $PERIOD --metrics off
}
sg_ready() { # PID NS DEV
	local i log
	log=$(e2e_bg_log "$1")
	for ((i = 0; i < 200; i++)); do
		grep -q 'ready on' "$log" && break
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	grep -q 'ready on' "$log" || return 1
	# Local addresses and listeners followed (if this synguard does).
	for ((i = 0; i < 30; i++)); do
		sg "$2" status --json 2>/dev/null | grep -q '"local_scope": true' && return 0
		sg "$2" status --json >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	return 0
}
xdp_id() { # NS DEV
	ip -n "$1" -d link show dev "$2" 2>/dev/null |
		sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1
}
epoch_of() { # NS DEV: from the pinned sg_epoch map, with bpftool
	bpftool -j map dump pinned "$(pins_of "$1")/$2/sg_epoch" 2>/dev/null |
		grep -o '"epoch":[0-9]*' | head -n 1 | cut -d: -f2
}
rotations_of() { # NS DEV
	sg "$1" keys show "$2" --json 2>/dev/null |
		sed -n 's/.*"rotations": *\([0-9]*\).*/\1/p' | head -n 1
}
field() { # LINE KEY
	local w
	for w in $1; do
		case $w in "$2="*)
			echo "${w#*=}"
			return 0
			;;
		esac
	done
	return 1
}
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# handshake MINT_NS MINT_PROG CHECK_NS CHECK_PROG VARIANT SPORT ISN DELAY:
# prints "accepted|rejected|nomint SPAN_MS T0_MS T1_MS detail" (the times:
# before the SYN, after the ACK).
handshake() {
	local mns=$1 mprog=$2 cns=$3 cprog=$4 v=$5 sport=$6 isn=$7 delay=$8
	local args t0 t1 m a seq tsval ackargs
	args="--sport $sport --isn $isn"
	case $v in
	nots) args="$args --nots" ;;
	v6) args="$args --v6" ;;
	esac
	t0=$(now_ms)
	# shellcheck disable=SC2086
	m=$(ip netns exec "$mns" "$SGRUN" syn "$mprog" $args 2>&1)
	case $m in XDP_TX\ *) ;; *)
		echo "nomint 0 $t0 $t0 $m"
		return
		;;
	esac
	seq=$(field "$m" seq) tsval=$(field "$m" tsval)
	ackargs="${args/--nots/} --seq $(((isn + 1) & 0xffffffff)) --ack $(((seq + 1) & 0xffffffff))"
	[ "$tsval" != none ] && ackargs="$ackargs --tsecr $tsval"
	[ "$delay" != 0 ] && sleep "$delay"
	# shellcheck disable=SC2086
	a=$(ip netns exec "$cns" "$SGRUN" ack "$cprog" $ackargs 2>&1)
	t1=$(now_ms)
	case $a in
	XDP_PASS\ *meta=yes*) echo "accepted $((t1 - t0)) $t0 $t1 seq=$seq" ;;
	*) echo "rejected $((t1 - t0)) $t0 $t1 seq=$seq: $a" ;;
	esac
}

# worker NAME MINT_NS MINT_PROG CHECK_NS CHECK_PROG BASEPORT: handshakes
# until $E2E_RUN/stop exists; one result line each in $E2E_RUN/NAME.txt.
worker() {
	local name=$1 i=0 v d
	while [ ! -e "$E2E_RUN/stop" ]; do
		case $((i % 3)) in 0) v=ts ;; 1) v=nots ;; 2) v=v6 ;; esac
		d=$((RANDOM % 401))
		printf '%s %s %s\n' "$v" "$d" "$(handshake "$2" "$3" "$4" "$5" "$v" \
			$(($6 + i % 5000)) $(((RANDOM << 15 | RANDOM) + 1)) \
			"$(printf '0.%03d' "$d")")"
		i=$((i + 1))
	done >"$E2E_RUN/$name.txt"
}

# ---- the fleet ----
PID_A=$(sg_launch "$NS_S" "$DEV_A")
SG_PIDS=$PID_A
if ! sg_ready "$PID_A" "$NS_S" "$DEV_A"; then
	fail "daemon A starts" "$(cat "$(e2e_bg_log "$PID_A")")"
	exit 1
fi
sleep 0.5
PID_B=$(sg_launch "$NS_B" "$DEV_B")
SG_PIDS="$PID_A $PID_B"
if ! sg_ready "$PID_B" "$NS_B" "$DEV_B"; then
	fail "daemon B starts" "$(cat "$(e2e_bg_log "$PID_B")")"
	exit 1
fi
PROG_A=$(xdp_id "$NS_S" "$DEV_A")
PROG_B=$(xdp_id "$NS_B" "$DEV_B")
m=$(ip netns exec "$NS_S" "$SGRUN" syn "$PROG_A" --sport 19999 2>&1)
if [ -z "$PROG_A" ] || [ -z "$PROG_B" ] || [[ $m != XDP_TX* ]]; then
	fail "fleet setup" "programs '$PROG_A' '$PROG_B'; A answers a SYN: $m"
	exit 1
fi
echo "A: pid $PID_A, XDP $PROG_A; B: pid $PID_B, XDP $PROG_B; key period $PERIOD s"
echo "    (a wall-clock step back: tests/unit/test_keyring.c; this machine's clock is not ours to step)"

ROT_A0=$(rotations_of "$NS_S" "$DEV_A")
ROT_B0=$(rotations_of "$NS_B" "$DEV_B")
T_START=$(now_ms)
worker ab "$NS_S" "$PROG_A" "$NS_B" "$PROG_B" 20000 &
WORKERS=$!
worker ba "$NS_B" "$PROG_B" "$NS_S" "$PROG_A" 30000 &
WORKERS="$WORKERS $!"

# ---- mid-run: keys rotate on A ----
# Both commands and the handshakes between them must fall in one period
# (the clock catching up ends the forced epoch): start just after a
# boundary, and try again in a later period if the run took too long.
sleep 4
ROT_DONE=0
t_rot=$(now_ms)
for try in 1 2 3 4 5 6; do
	[ $(($(now_ms) - t_rot)) -lt 15000 ] || break
	while :; do # a few ms after a boundary
		f=$((10#${EPOCHREALTIME#*.} / 1000))
		[ "$f" -ge 50 ] && [ "$f" -lt 150 ] && break
		sleep 0.01
	done
	w0=$((${EPOCHREALTIME%.*} / PERIOD))
	now_ms >>"$E2E_RUN/forced"
	warn0=$(grep -c 'one epoch ahead of the clock already' "$(e2e_bg_log "$PID_A")")
	r1=$(sg "$NS_S" keys rotate "$DEV_A" 2>&1)
	rc1=$?
	eb=$(epoch_of "$NS_B" "$DEV_B")
	ab=$(handshake "$NS_S" "$PROG_A" "$NS_B" "$PROG_B" ts 18000 $((0x40000000 + try)) 0)
	ba=$(handshake "$NS_B" "$PROG_B" "$NS_S" "$PROG_A" ts 18100 $((0x50000000 + try)) 0)
	ea=$(epoch_of "$NS_S" "$DEV_A")
	now_ms >>"$E2E_RUN/forced"
	r2=$(sg "$NS_S" keys rotate "$DEV_A" 2>&1)
	rc2=$?
	ea2=$(epoch_of "$NS_S" "$DEV_A")
	eb2=$(epoch_of "$NS_B" "$DEV_B")
	w1=$((${EPOCHREALTIME%.*} / PERIOD))
	if [ "$w1" != "$w0" ]; then
		echo "    keys rotate, try $try: ran into the next period ($r1 / $r2); again"
		sleep 1.5 # the forced epoch ends, A follows the clock again
		continue
	fi
	ROT_DONE=1
	break
done
if [ $ROT_DONE = 0 ]; then
	fail "keys rotate on A" "in $try tries, never both commands in one ${PERIOD}-s period (machine too slow?)"
else
	if [ "$rc1" = 0 ] && [[ $r1 == "$DEV_A: epoch "*" -> $((w0 + 1))" ]] &&
		[ "$ea" = $((w0 + 1)) ] && [ "$eb" = "$w0" ]; then
		pass "keys rotate moves A one epoch ahead of the clock and of B ($r1; B at $eb)"
	else
		fail "keys rotate moves A one epoch ahead" "exit $rc1: $r1; clock epoch $w0, A $ea, B $eb"
	fi
	if [[ $ab == accepted* ]] && [[ $ba == accepted* ]] && [ "$ea" = $((w0 + 1)) ] &&
		[ "$eb2" = "$w0" ]; then
		pass "while A is one epoch ahead, B accepts A's cookie and A accepts B's"
	else
		fail "while A is one epoch ahead, the fleet accepts each other's cookies" \
			"A->B: $ab; B->A: $ba; clock epoch $w0, A at $ea, B at $eb2"
	fi
	warn1=$(grep -c 'one epoch ahead of the clock already' "$(e2e_bg_log "$PID_A")")
	if [ "$rc2" != 0 ] && [ "$ea2" = $((w0 + 1)) ] && [ $((warn1 - warn0)) = 1 ] &&
		[[ $r2 == *"one epoch ahead"* ]]; then
		pass "a second keys rotate right after is refused, A stays one ahead (command: $r2)"
	else
		fail "a second keys rotate right after is refused" \
			"exit $rc2: $r2; A at $ea2 (clock $w0); daemon warnings $warn0 -> $warn1"
	fi
fi

# ---- run until both have rotated often enough ----
for ((i = 0; i < 60; i++)); do
	ra=$(rotations_of "$NS_S" "$DEV_A")
	rb=$(rotations_of "$NS_B" "$DEV_B")
	[ $((${ra:-0} - ${ROT_A0:-0})) -ge "$ROTATIONS" ] &&
		[ $((${rb:-0} - ${ROT_B0:-0})) -ge "$ROTATIONS" ] && break
	if ! kill -0 "$PID_A" 2>/dev/null || ! kill -0 "$PID_B" 2>/dev/null; then
		break
	fi
	sleep 1
done
touch "$E2E_RUN/stop"
for p in $WORKERS; do wait "$p"; done
WORKERS=""
T_END=$(now_ms)
ra=$(rotations_of "$NS_S" "$DEV_A")
rb=$(rotations_of "$NS_B" "$DEV_B")
rot_a=$((${ra:-0} - ${ROT_A0:-0})) rot_b=$((${rb:-0} - ${ROT_B0:-0}))

# ---- the tally ----
# A forced rotation moves A's window ahead: B's cookies of the epoch
# before the clock's, answered before it and checked at A after it, are
# no longer A's to accept. Such B-to-A handshakes are not judged.
tally() { # FILE STRADDLE(0|1): "total judged rejected slow straddling nomint"
	awk -v lag="$LAG_MS" -v p=$((PERIOD * 1000)) -v straddle="$2" \
		-v forced="$E2E_RUN/forced" '
		BEGIN { while ((getline f < forced) > 0) fm[nf++] = f }
		{ n++ }
		$3 == "nomint" { nomint++; next }
		int($6 / p) - int(($5 - lag) / p) > 1 { lt++; next }
		straddle {
			for (i = 0; i < nf; i++)
				if ($5 < fm[i] + 0 && $6 > fm[i] + 0) break
			if (i < nf) { st++; next }
		}
		{ judged++ }
		$3 == "rejected" { rej++ }
		END { printf "%d %d %d %d %d %d\n", n, judged, rej, lt, st, nomint }' "$1"
}
read -r n_ab j_ab rej_ab late_ab _ nm_ab < <(tally "$E2E_RUN/ab.txt" 0)
read -r n_ba j_ba rej_ba late_ba st_ba nm_ba < <(tally "$E2E_RUN/ba.txt" 1)
secs=$(((T_END - T_START) / 1000))
echo "    $secs s; rotations: A $rot_a, B $rot_b; handshakes A->B $n_ab, B->A $n_ba"
for d in ab ba; do
	grep -E ' (rejected|nomint) ' "$E2E_RUN/$d.txt" | head -n 5 | sed "s/^/    $d: /"
done
if [ "$rot_a" -ge "$ROTATIONS" ] && [ "$rot_b" -ge "$ROTATIONS" ]; then
	pass "both daemons rotated at least $ROTATIONS times while the workers ran (A $rot_a, B $rot_b)"
else
	fail "both daemons rotated at least $ROTATIONS times" "A $rot_a, B $rot_b in $secs s"
fi
judged=$((j_ab + j_ba)) late=$((late_ab + late_ba))
if [ $((nm_ab + nm_ba)) = 0 ]; then
	pass "every SYN got a cookie SYN-ACK from its daemon ($((n_ab + n_ba)) SYNs)"
else
	fail "every SYN got a cookie SYN-ACK from its daemon" "A $nm_ab, B $nm_ba SYNs not answered"
fi
name="no legitimate handshake rejected across rotations"
if [ "$judged" -ge $((ROTATIONS * 2)) ] && [ $((rej_ab + rej_ba)) = 0 ]; then
	pass "$name: 0 of $judged (A->B $j_ab, B->A $j_ba; not judged: $late across two epoch boundaries, $st_ba B->A across a forced rotation) over $rot_a rotations"
else
	fail "$name" "rejected A->B $rej_ab of $j_ab, B->A $rej_ba of $j_ba (at least $((ROTATIONS * 2)) judged wanted); not judged: $late across two epoch boundaries, $st_ba B->A across a forced rotation; $rot_a rotations"
fi

# ---- both still run, and stop cleanly ----
if kill -0 "$PID_A" 2>/dev/null && kill -0 "$PID_B" 2>/dev/null; then
	pass "both daemons ran throughout"
else
	fail "both daemons ran throughout" "$(tail -n 3 "$(e2e_bg_log "$PID_A")" "$(e2e_bg_log "$PID_B")")"
fi
# shellcheck disable=SC2086 # two PIDs
e2e_kill $SG_PIDS
SG_PIDS=""
[ "$FAILED" = 0 ]
