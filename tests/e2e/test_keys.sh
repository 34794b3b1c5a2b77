#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# End to end: cookie key rotation and fleet key files, with the real
# running daemons. Cookies are minted and checked by running frames through
# the live XDP programs with BPF_PROG_TEST_RUN (.output/tests/sgrun), so
# the programs use the keys and epochs the daemons installed:
#
#   - three epochs: a SYN-ACK minted in epoch N completes (XDP_PASS with
#     synguard metadata) with its ACK while the checking daemon is in
#     N-1, N or N+1, and is dropped (drop_cookie_bad) in N-2 and N+2;
#     IPv4 with and without timestamps, IPv6; cookie_prev_epoch counts
#     the N-1 and N+1 completions. The epochs: A and B in W (the clock's
#     epoch), A forced to W+1 with `synguard keys rotate` (one ahead of
#     the clock, as far as a forced rotation goes), and D, a fleet member
#     with the same key file and a key period that puts it in W+2 (with a
#     key file an epoch's key depends on its number only);
#   - fleet: daemons A (server namespace, sgc0) and B (a second server
#     namespace made here, sgb0) started with the same --key-file and
#     --key-period accept each other's cookies; C (sga0) with another key
#     file rejects them; a key file with mode 0644 is refused;
#   - no key material (key file bytes, installed epoch keys) in stats,
#     status, keys show or the daemons' logs.
#
#   bash tests/e2e/test_keys.sh      (root; < 60 s)
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
E2E_PREFIX=${E2E_PREFIX:-sgk$$}
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

SG=${SG:-$ROOT/.output/asan/synguard} # the ASan/UBSan build
SGRUN=${SGRUN:-$ROOT/.output/tests/sgrun}
PORT=8080
NS_S=$E2E_NS_S
NS_B=${E2E_PREFIX}b # the second server namespace, made and removed here
DEV_A=$E2E_DEV_SC   # daemon A (key file K1), namespace S
DEV_C=$E2E_DEV_SA   # daemon C (key file K2), namespace S
DEV_B=sgb0          # daemon B (key file K1), namespace B
DEV_B_PEER=sgb1
DEV_D=sgd0 # daemon D (key file K1, two epochs ahead), namespace B
DEV_D_PEER=sgd1
IP4_B=198.18.2.1
# One bpffs per server namespace: pins (and libxdp's own state, keyed by
# ifindex) of the two namespaces never meet.
BPFFS=/run/synguard-keys.$E2E_PREFIX
BPFFS_B=/run/synguard-keys.$E2E_PREFIX.b
PINS=$BPFFS/synguard
PINS_B=$BPFFS_B/synguard

FAILED=0
pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1: $2"
	FAILED=$((FAILED + 1))
}
skip() { echo "SKIP: $1: $2"; }

SG_PIDS=""
NS_B_MADE=0
cleanup() {
	# shellcheck disable=SC2086
	[ -n "$SG_PIDS" ] && e2e_kill $SG_PIDS
	SG_PIDS=""
	[ "$NS_B_MADE" = 1 ] && e2e_ns_del "$NS_B"
	e2e_bpffs_umount "$BPFFS" "$BPFFS_B"
}
e2e_trap cleanup

for bin in "$SG" "$SGRUN"; do
	if [ ! -x "$bin" ]; then
		fail "keys setup" "$bin missing (make tests; sgrun: see tests/prog/sgrun.c)"
		exit 1
	fi
done
if ! e2e_topology_up; then
	fail "keys setup" "topology"
	exit 1
fi

# The second server namespace: one veth pair of its own, both ends inside.
if _e2e_ns_exists "$NS_B"; then
	fail "keys setup" "namespace $NS_B already exists: not touching it"
	exit 1
fi
setup_b() {
	ip netns add "$NS_B" || return 1
	NS_B_MADE=1
	# The fleet's service address (A's) is B's too: the cookies cover it.
	ip -n "$NS_B" link set lo up &&
		ip -n "$NS_B" link add "$DEV_B" type veth peer name "$DEV_B_PEER" &&
		ip -n "$NS_B" addr add "$IP4_B/24" dev "$DEV_B" &&
		ip -n "$NS_B" addr add "$E2E_IP4_SC/32" dev "$DEV_B" &&
		ip -n "$NS_B" addr add "$E2E_IP6_SC/128" dev "$DEV_B" nodad &&
		ip -n "$NS_B" link set "$DEV_B_PEER" up &&
		ip -n "$NS_B" link set "$DEV_B" up &&
		ip -n "$NS_B" link add "$DEV_D" type veth peer name "$DEV_D_PEER" &&
		ip -n "$NS_B" link set "$DEV_D_PEER" up &&
		ip -n "$NS_B" link set "$DEV_D" up
}
if ! setup_b; then
	fail "keys setup" "second server namespace $NS_B"
	exit 1
fi
for mnt in "$BPFFS" "$BPFFS_B"; do
	if ! { mkdir -p "$mnt" && mount -t bpf bpf "$mnt"; }; then
		fail "keys setup" "cannot mount bpffs at $mnt"
		exit 1
	fi
done
export SYNGUARD_PIN_ROOT=$PINS
for ns in "$NS_S" "$NS_B"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syncookies=1
done

# The key periods: close to a day (the longest allowed), so that only
# forced rotations move an epoch while the test runs, and so that the epoch
# numbers (wall-clock time / period) are small enough, about 20000, for one
# second of period to move the epoch by more than one: A, B and C run with
# PERIOD (epoch W), D with PERIOD2 (epoch W+2). Neither period has a
# boundary in the next 600 s.
PERIOD="" PERIOD2=""
now=$(date +%s)
for ((w = now / 86400 + 1; w < now / 86400 + 30; w++)); do
	p=$((now / w)) p2=$((now / (w + 2)))
	if [ "$p" -le 86400 ] && [ $((now / p)) = "$w" ] &&
		[ $((now / p2)) = $((w + 2)) ] &&
		[ $(((w + 1) * p - now)) -gt 600 ] &&
		[ $(((w + 3) * p2 - now)) -gt 600 ]; then
		PERIOD=$p PERIOD2=$p2
		break
	fi
done
if [ -z "$PERIOD" ]; then
	fail "keys setup" "no key periods putting two daemons two epochs apart"
	exit 1
fi
echo "key periods $PERIOD s (epoch $((now / PERIOD))) and $PERIOD2 s (epoch $((now / PERIOD2)))"

# Key files: K1 shared by A and B, K2 for C, K644 world-readable.
K1=$E2E_RUN/k1.key K2=$E2E_RUN/k2.key K644=$E2E_RUN/k644.key
(
	umask 077
	head -c 32 /dev/urandom >"$K1"
	head -c 32 /dev/urandom >"$K2"
	head -c 32 /dev/urandom >"$K644"
)
chmod 600 "$K1" "$K2"
chmod 644 "$K644"

# ---- helpers ----

# pin root of a namespace
pins_of() { [ "$1" = "$NS_B" ] && echo "$PINS_B" || echo "$PINS"; }

# sg NS ARGS...: the synguard CLI in NS with that namespace's pin root.
sg() {
	local ns=$1
	shift
	ip netns exec "$ns" env SYNGUARD_PIN_ROOT="$(pins_of "$ns")" "$SG" "$@"
}

# Start a daemon: NS DEV KEYFILE [ARGS...]. Behind a shell that forwards
# SIGTERM and logs the exit status. Prints the wrapper's PID (recorded for
# cleanup by e2e_bg); sg_ready waits for it.
sg_launch() {
	local ns=$1 dev=$2 key=$3
	shift 3
	# shellcheck disable=SC2016 # expanded by the inner shell
	e2e_bg "$ns" bash -c 'trap "kill -TERM \$p" TERM; "$@" & p=$!
		wait $p; wait $p; echo "synguard exit status $?"' _ \
		env SYNGUARD_PIN_ROOT="$(pins_of "$ns")" \
		"$SG" -v run "$dev" --ports $PORT --cookie own \
		--key-period "${SG_PERIOD:-$PERIOD}" --key-file "$key" "$@"
}

sg_ready() { # PID WHAT
	local i log
	log=$(e2e_bg_log "$1")
	for ((i = 0; i < 200; i++)); do
		grep -q 'ready on' "$log" && return 0
		grep -q 'exit status' "$log" && break
		sleep 0.1
	done
	echo "synguard $2 did not start:" >&2
	cat "$log" >&2
	return 1
}

# The id of the XDP program attached to DEV in NS, and its name.
xdp_id() { # NS DEV
	ip -n "$1" -d link show dev "$2" 2>/dev/null |
		sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1
}
xdp_name() { # NS DEV
	ip -n "$1" -d link show dev "$2" 2>/dev/null |
		sed -n 's/.*prog\/xdp id [0-9]* name \([^ ]*\).*/\1/p' | head -n 1
}

# The current epoch of DEV in NS, read from the pinned sg_epoch map with
# bpftool (independent of synguard's own reader).
epoch_of() { # NS DEV
	bpftool -j map dump pinned "$(pins_of "$1")/$2/sg_epoch" 2>/dev/null |
		grep -o '"epoch":[0-9]*' | head -n 1 | cut -d: -f2
}

# One counter from `synguard stats DEV --json`.
stat_of() { # NS DEV COUNTER
	sg "$1" stats "$2" --json 2>/dev/null |
		sed -n "s/.*\"$3\": *\([0-9]*\).*/\1/p" | head -n 1
}

# "key=value" field of an sgrun line.
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

# The three handshake variants: sgrun flags for the SYN (the ACK uses the
# same addressing). Each gets its own client port and ISN.
VARIANTS="ipv4-ts ipv4-nots ipv6"
variant_args() { # VARIANT TAG(0-9)
	case $1 in
	ipv4-ts) echo "--sport $((41000 + $2)) --isn $((0x10000000 + $2 * 0x1000))" ;;
	ipv4-nots) echo "--sport $((42000 + $2)) --isn $((0x20000000 + $2 * 0x1000)) --nots" ;;
	ipv6) echo "--sport $((43000 + $2)) --isn $((0x30000000 + $2 * 0x1000)) --v6" ;;
	esac
}

# mint NS PROG VARIANT TAG: run the SYN; on XDP_TX sets MINT (the line)
# and ACKARGS (sgrun ack arguments completing it). Returns 1 otherwise.
MINT="" ACKARGS=""
mint() {
	local ns=$1 prog=$2 v=$3 tag=$4 args seq tsval isn
	args=$(variant_args "$v" "$tag")
	# shellcheck disable=SC2086
	MINT=$(ip netns exec "$ns" "$SGRUN" syn "$prog" $args 2>&1)
	case $MINT in XDP_TX\ *) ;; *) return 1 ;; esac
	seq=$(field "$MINT" seq) tsval=$(field "$MINT" tsval) isn=$(field "$MINT" isn)
	ACKARGS="${args/--nots/} --seq $(((isn + 1) & 0xffffffff)) --ack $(((seq + 1) & 0xffffffff))"
	[ "$tsval" != none ] && ACKARGS="$ACKARGS --tsecr $tsval"
	case $v in
	ipv4-nots) [ "$tsval" = none ] || return 1 ;;
	*) [ "$tsval" != none ] || return 1 ;;
	esac
	return 0
}

# ack NS PROG ACKARGS: prints the sgrun line.
ack() {
	# shellcheck disable=SC2086
	ip netns exec "$1" "$SGRUN" ack "$2" $3 2>&1
}

# The MSS the metadata must carry: the client's MSS (1460 / 1440, the
# sgrun defaults) is in the default tables.
want_mss() { [ "$1" = ipv6 ] && echo 1440 || echo 1460; }

accepted() { # LINE VARIANT
	case $1 in XDP_PASS\ *meta=yes*) ;; *) return 1 ;; esac
	[ "$(field "$1" mss)" = "$(want_mss "$2")" ]
}
# Dropped for its cookie (not for another reason): sgrun's moved= names
# the counters that moved.
dropped() { # LINE
	case $1 in XDP_DROP\ *meta=no*) ;; *) return 1 ;; esac
	case ",$(field "$1" moved)," in *,drop_cookie_bad,*) return 0 ;; esac
	return 1
}

# ---- a key file readable by others is refused ----
name="key file with mode 0644 is refused (exit 1, one line, nothing attached)"
out=$(ip netns exec "$NS_S" timeout 5 "$SG" run "$DEV_C" --ports $PORT \
	--cookie own --key-period "$PERIOD" --key-file "$K644" 2>&1)
rc=$?
nlines=$(printf '%s\n' "$out" | grep -c .)
if [ $rc = 1 ] && [ "$nlines" = 1 ] && [[ $out == *"$K644"* ]] &&
	[[ $out == *0644* ]] && [ -z "$(xdp_id "$NS_S" "$DEV_C")" ] &&
	[ ! -e "$PINS/$DEV_C" ] &&
	! ip -n "$NS_S" -d link show dev "$DEV_C" | grep -q 'prog/xdp' &&
	[ -z "$(tc -n "$NS_S" filter show dev "$DEV_C" ingress 2>/dev/null)" ]; then
	pass "$name"
	echo "    $out"
else
	fail "$name" "exit $rc, $nlines lines: $out; xdp id '$(xdp_id "$NS_S" "$DEV_C")'; pins: $(find "$PINS" -maxdepth 1 2>&1 | tr '\n' ' ')"
fi

# ---- the daemons ----
# Metrics: A serves them on a port of its own (they are checked for keys
# below); B and C do without (C shares A's namespace).
MPORT=9639
M_A=() M_OFF=()
if "$SG" run --help 2>/dev/null | grep -q -- '--metrics'; then
	M_A=(--metrics "127.0.0.1:$MPORT")
	M_OFF=(--metrics off)
fi
# Listeners on the port in both server namespaces (what a daemon that
# answers only for listeners looks for; the ACKs' checks do not care).
for ns in "$NS_S" "$NS_B"; do
	e2e_bg "$ns" python3 -c 'import socket, time
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", '"$PORT"'))
s.listen(16)
time.sleep(600)' >/dev/null
done
PID_A=$(sg_launch "$NS_S" "$DEV_A" "$K1" "${M_A[@]}")
PID_B=$(sg_launch "$NS_B" "$DEV_B" "$K1" "${M_OFF[@]}")
PID_C=$(sg_launch "$NS_S" "$DEV_C" "$K2" "${M_OFF[@]}")
PID_D=$(SG_PERIOD=$PERIOD2 sg_launch "$NS_B" "$DEV_D" "$K1" "${M_OFF[@]}")
SG_PIDS="$PID_A $PID_B $PID_C $PID_D"
started=1
sg_ready "$PID_A" "A on $DEV_A" || started=0
sg_ready "$PID_B" "B on $DEV_B ($NS_B)" || started=0
sg_ready "$PID_C" "C on $DEV_C" || started=0
sg_ready "$PID_D" "D on $DEV_D ($NS_B)" || started=0
if [ $started = 0 ]; then
	fail "daemons start" "see above"
	exit 1
fi
PROG_A=$(xdp_id "$NS_S" "$DEV_A")
PROG_B=$(xdp_id "$NS_B" "$DEV_B")
PROG_C=$(xdp_id "$NS_S" "$DEV_C")
PROG_D=$(xdp_id "$NS_B" "$DEV_D")
# What is attached is synguard's own program (single-program mode here),
# the one its daemon recorded in sg_info (synguard status --json).
status_xdp_id() { # NS DEV
	sg "$1" status --json 2>/dev/null | awk -v d="\"$2\": {" '
		index($0, d) { f = 1 }
		f && /"xdp_id":/ { gsub(/[^0-9]/, ""); print; exit }'
}
name="the attached programs are synguard_xdp, the ids the daemons recorded"
why=""
for t in "$NS_S:$DEV_A:$PROG_A" "$NS_B:$DEV_B:$PROG_B" "$NS_S:$DEV_C:$PROG_C" \
	"$NS_B:$DEV_D:$PROG_D"; do
	IFS=: read -r ns dev id <<<"$t"
	n=$(xdp_name "$ns" "$dev")
	[ -n "$id" ] && [ "$n" = synguard_xdp ] || why="$why $dev: id '$id' name '$n';"
	if "$SG" status --help >/dev/null 2>&1; then
		rec=$(status_xdp_id "$ns" "$dev")
		[ "$rec" = "$id" ] || why="$why $dev: status xdp_id '$rec' != '$id';"
	fi
done
if [ -z "$why" ]; then pass "$name"; else fail "$name" "$why"; fi
EA=$(epoch_of "$NS_S" "$DEV_A")
EB=$(epoch_of "$NS_B" "$DEV_B")
EC=$(epoch_of "$NS_S" "$DEV_C")
ED=$(epoch_of "$NS_B" "$DEV_D")
echo "programs: A $PROG_A, B $PROG_B, C $PROG_C, D $PROG_D; epochs $EA $EB $EC $ED"
W=$(($(date +%s) / PERIOD))
if [ -n "$PROG_A" ] && [ -n "$PROG_B" ] && [ -n "$PROG_C" ] && [ -n "$PROG_D" ] &&
	[ "$EA" = "$W" ] && [ "$EB" = "$EA" ] && [ "$EC" = "$EA" ] &&
	[ "$ED" = $((W + 2)) ] &&
	grep -q 'keys from key file' "$(e2e_bg_log "$PID_A")" &&
	grep -q 'keys from key file' "$(e2e_bg_log "$PID_B")" &&
	grep -q 'keys from key file' "$(e2e_bg_log "$PID_D")"; then
	pass "daemons A, B, D (same key file) and C (another) start in epoch time/period: W = $W, D in W+2"
else
	fail "daemons A, B, D (same key file) and C (another) start in epoch time/period" \
		"programs '$PROG_A' '$PROG_B' '$PROG_C' '$PROG_D', epochs '$EA' '$EB' '$EC' '$ED' (want $W, D $((W + 2)))"
fi

# ---- fleet: A's cookies complete at B, not at C ----
okb0=$(stat_of "$NS_B" "$DEV_B" pass_cookie_ok)
badc0=$(stat_of "$NS_S" "$DEV_C" drop_cookie_bad)
nfleet=0
for v in $VARIANTS; do
	if ! mint "$NS_S" "$PROG_A" "$v" 0; then
		fail "fleet $v: A mints a cookie" "$MINT"
		continue
	fi
	echo "    A: $MINT"
	nfleet=$((nfleet + 1))
	got=$(ack "$NS_B" "$PROG_B" "$ACKARGS")
	if accepted "$got" "$v"; then
		pass "fleet $v: SYN-ACK from A, ACK accepted by B (same key file)"
	else
		fail "fleet $v: SYN-ACK from A, ACK accepted by B (same key file)" "$got"
	fi
	got=$(ack "$NS_S" "$PROG_C" "$ACKARGS")
	if dropped "$got"; then
		pass "fleet $v: ACK dropped by C (other key file)"
	else
		fail "fleet $v: ACK dropped by C (other key file)" "$got"
	fi
done
okb1=$(stat_of "$NS_B" "$DEV_B" pass_cookie_ok)
badc1=$(stat_of "$NS_S" "$DEV_C" drop_cookie_bad)
if [ $((okb1 - okb0)) = "$nfleet" ] && [ $((badc1 - badc0)) = "$nfleet" ]; then
	pass "fleet: B counted $nfleet pass_cookie_ok, C $nfleet drop_cookie_bad"
else
	fail "fleet: B counted $nfleet pass_cookie_ok, C $nfleet drop_cookie_bad" \
		"B pass_cookie_ok $okb0 -> $okb1, C drop_cookie_bad $badc0 -> $badc1"
fi
# And the other way round, B's cookie at A.
if mint "$NS_B" "$PROG_B" ipv4-ts 1; then
	got=$(ack "$NS_S" "$PROG_A" "$ACKARGS")
	if accepted "$got" ipv4-ts; then
		pass "fleet ipv4-ts: SYN-ACK from B, ACK accepted by A"
	else
		fail "fleet ipv4-ts: SYN-ACK from B, ACK accepted by A" "$got"
	fi
else
	fail "fleet ipv4-ts: B mints a cookie" "$MINT"
fi

# ---- three epochs: minted in N, accepted in N-1, N, N+1; refused in N-2, N+2 ----
ROTATE_OK=1
if ! "$SG" keys --help 2>/dev/null | grep -q 'keys rotate'; then
	ROTATE_OK=0
	skip "three epochs" "'synguard keys rotate' is missing from $SG"
fi

# rotate DEV: `synguard keys rotate` in S; checks the epoch moved by one.
rotate() { # WANT_FROM
	local out rc e
	out=$(sg "$NS_S" keys rotate "$DEV_A" 2>&1)
	rc=$?
	e=$(epoch_of "$NS_S" "$DEV_A")
	if [ $rc = 0 ] && [ "$out" = "$DEV_A: epoch $1 -> $(($1 + 1))" ] &&
		[ "$e" = $(($1 + 1)) ]; then
		pass "keys rotate $DEV_A: epoch $1 -> $(($1 + 1))"
		return 0
	fi
	fail "keys rotate $DEV_A: epoch $1 -> $(($1 + 1))" "exit $rc: $out; epoch now $e"
	return 1
}

# mint_set NS PROG DEV TAG EPOCH SET: mint the three variants; their ACK
# arguments into ACKS[SET:variant]. Checks the cookies' epoch bits.
declare -A ACKS
mint_set() {
	local ns=$1 prog=$2 dev=$3 tag=$4 e=$5 set=$6 v eb
	for v in $VARIANTS; do
		if ! mint "$ns" "$prog" "$v" "$tag"; then
			fail "three epochs $v: $dev mints in epoch $e" "$MINT"
			continue
		fi
		echo "    $dev, epoch $e: $MINT"
		eb=$(field "$MINT" ebits)
		if [ "$eb" = $((e & 3)) ]; then
			ACKS[$set:$v]=$ACKARGS
		else
			fail "three epochs $v: $dev's cookie carries epoch bits $((e & 3))" "$MINT"
		fi
	done
}

# verdict NAME NS DEV PROG ACKARGS VARIANT accept|refuse: run the ACK and
# check the verdict, metadata and counters (cookie_prev_epoch PREV for an
# acceptance, drop_cookie_bad +1 for a refusal).
verdict() {
	local name=$1 ns=$2 dev=$3 prog=$4 args=$5 v=$6 want=$7 prev=${8:-0}
	local got p0 p1 b0 b1
	p0=$(stat_of "$ns" "$dev" cookie_prev_epoch)
	b0=$(stat_of "$ns" "$dev" drop_cookie_bad)
	got=$(ack "$ns" "$prog" "$args")
	p1=$(stat_of "$ns" "$dev" cookie_prev_epoch)
	b1=$(stat_of "$ns" "$dev" drop_cookie_bad)
	if [ "$want" = accept ]; then
		if accepted "$got" "$v" && [ $((p1 - p0)) = "$prev" ] &&
			[ "$b1" = "$b0" ]; then
			pass "$name (cookie_prev_epoch +$prev)"
		else
			fail "$name" "$got; cookie_prev_epoch $p0 -> $p1 (want +$prev), drop_cookie_bad $b0 -> $b1"
		fi
	elif dropped "$got" && [ $((b1 - b0)) = 1 ] && [ "$p1" = "$p0" ]; then
		pass "$name (drop_cookie_bad +1)"
	else
		fail "$name" "$got; drop_cookie_bad $b0 -> $b1 (want +1), cookie_prev_epoch $p0 -> $p1"
	fi
}

if [ $ROTATE_OK = 1 ] && [ "$EA" = "$W" ] && [ "$ED" = $((W + 2)) ]; then
	mint_set "$NS_S" "$PROG_A" "$DEV_A" 2 "$W" W
	mint_set "$NS_B" "$PROG_D" "$DEV_D" 4 $((W + 2)) W2
	for v in $VARIANTS; do
		[ -n "${ACKS[W:$v]:-}" ] &&
			verdict "three epochs $v: minted in N=W by A, at A in W (N): accepted" \
				"$NS_S" "$DEV_A" "$PROG_A" "${ACKS[W:$v]}" "$v" accept 0
		[ -n "${ACKS[W:$v]:-}" ] &&
			verdict "three epochs $v: minted in N=W by A, at D in W+2 (N+2): refused" \
				"$NS_B" "$DEV_D" "$PROG_D" "${ACKS[W:$v]}" "$v" refuse
		[ -n "${ACKS[W2:$v]:-}" ] &&
			verdict "three epochs $v: minted in N=W+2 by D, at B in W (N-2): refused" \
				"$NS_B" "$DEV_B" "$PROG_B" "${ACKS[W2:$v]}" "$v" refuse
	done
	if rotate "$W"; then
		mint_set "$NS_S" "$PROG_A" "$DEV_A" 5 $((W + 1)) W1
		for v in $VARIANTS; do
			[ -n "${ACKS[W:$v]:-}" ] &&
				verdict "three epochs $v: minted in N=W by A, at A in W+1 (N+1): accepted" \
					"$NS_S" "$DEV_A" "$PROG_A" "${ACKS[W:$v]}" "$v" accept 1
			[ -n "${ACKS[W1:$v]:-}" ] &&
				verdict "three epochs $v: minted in N=W+1 by A, at B in W (N-1): accepted" \
					"$NS_B" "$DEV_B" "$PROG_B" "${ACKS[W1:$v]}" "$v" accept 1
			[ -n "${ACKS[W1:$v]:-}" ] &&
				verdict "three epochs $v: minted in N=W+1 by A, at D in W+2 (N+1): accepted" \
					"$NS_B" "$DEV_D" "$PROG_D" "${ACKS[W1:$v]}" "$v" accept 1
			[ -n "${ACKS[W2:$v]:-}" ] &&
				verdict "three epochs $v: minted in N=W+2 by D, at A in W+1 (N-1): accepted" \
					"$NS_S" "$DEV_A" "$PROG_A" "${ACKS[W2:$v]}" "$v" accept 1
		done
	fi
	# B and D did not move: rotation is per daemon.
	if [ "$(epoch_of "$NS_B" "$DEV_B")" = "$EB" ] &&
		[ "$(epoch_of "$NS_B" "$DEV_D")" = "$ED" ]; then
		pass "rotation on A leaves B's and D's epochs alone"
	else
		fail "rotation on A leaves B's and D's epochs alone" \
			"B epoch $EB -> $(epoch_of "$NS_B" "$DEV_B"), D $ED -> $(epoch_of "$NS_B" "$DEV_D")"
	fi
elif [ $ROTATE_OK = 1 ]; then
	fail "three epochs" "the daemons are not in epochs W and W+2 (A '$EA', D '$ED', W $W)"
fi

# ---- no key material anywhere visible ----
# Every 8-byte window of each key file as hex, and the epoch keys the
# daemons installed (read from the pinned sg_keys maps), as hex and decimal.
secrets() {
	local f h i m k x le
	for f in "$K1" "$K2" "$K644"; do
		h=$(od -An -v -tx1 "$f" | tr -d ' \n')
		for ((i = 0; i + 16 <= ${#h}; i += 2)); do
			echo "${h:i:16}"
		done
	done
	for m in "$PINS/$DEV_A" "$PINS/$DEV_C" "$PINS_B/$DEV_B" "$PINS_B/$DEV_D"; do
		for k in $(bpftool -j map dump pinned "$m/sg_keys" 2>/dev/null |
			grep -oE '"k[01]":[0-9]+' | cut -d: -f2); do
			[ "$k" = 0 ] && continue
			x=$(printf '%016x' "$k")
			le=""
			for ((i = 14; i >= 0; i -= 2)); do le="$le${x:i:2}"; done
			printf '%s\n' "$k" "$x" "$(printf '%x' "$k")" "$le"
		done
	done
}
SECRETS=$(secrets | sort -u)
nsec=$(echo "$SECRETS" | grep -c .)
{
	sg "$NS_S" stats --json
	sg "$NS_B" stats --json
	sg "$NS_S" keys show "$DEV_A" --json
	sg "$NS_S" keys show "$DEV_C"
	sg "$NS_B" keys show "$DEV_B" --json
	if "$SG" status --help >/dev/null 2>&1; then
		sg "$NS_S" status --json
		sg "$NS_B" status --json
	fi
	if [ ${#M_A[@]} -gt 0 ]; then
		# shellcheck disable=SC2016 # expanded by the inner shell
		ip netns exec "$NS_S" timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" &&
			printf "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3 &&
			cat <&3' _ "$MPORT"
	fi
} >"$E2E_RUN/visible.txt" 2>&1
leaks=""
for what in visible:"$E2E_RUN/visible.txt" log-A:"$(e2e_bg_log "$PID_A")" \
	log-B:"$(e2e_bg_log "$PID_B")" log-C:"$(e2e_bg_log "$PID_C")" \
	log-D:"$(e2e_bg_log "$PID_D")"; do
	f=${what#*:}
	hits=$(grep -oiF -f <(echo "$SECRETS") "$f" | head -n 3 | tr '\n' ' ')
	[ -n "$hits" ] && leaks="$leaks ${what%%:*}: $hits;"
done
nkeys=$(echo "$SECRETS" | grep -cE '^[0-9]{6,}$')
scraped=1
if [ ${#M_A[@]} -gt 0 ] && ! grep -q '^synguard_' "$E2E_RUN/visible.txt"; then
	scraped=0
fi
if [ "$nsec" -gt 20 ] && [ "$nkeys" -ge 3 ] && [ -z "$leaks" ] && [ $scraped = 1 ] &&
	grep -q '"key_source"' "$E2E_RUN/visible.txt"; then
	pass "no key material in stats, status, keys show, metrics or the daemon logs ($nsec patterns)"
else
	fail "no key material in stats, status, keys show, metrics or the daemon logs" \
		"${leaks:-"$nsec patterns, $nkeys epoch keys read, metrics scraped: $scraped"}"
fi

# ---- clean stop ----
stopped=1
for p in $SG_PIDS; do
	kill -TERM "$p" 2>/dev/null
done
for p in $SG_PIDS; do
	for _ in $(seq 100); do
		grep -q 'exit status' "$(e2e_bg_log "$p")" && break
		sleep 0.1
	done
	grep -q 'synguard exit status 0$' "$(e2e_bg_log "$p")" || stopped=0
done
if [ $stopped = 1 ] && [ -z "$(xdp_id "$NS_S" "$DEV_A")" ] &&
	[ -z "$(xdp_id "$NS_S" "$DEV_C")" ] && [ -z "$(xdp_id "$NS_B" "$DEV_B")" ] &&
	[ -z "$(xdp_id "$NS_B" "$DEV_D")" ]; then
	pass "daemons exit 0 on SIGTERM and detach"
else
	fail "daemons exit 0 on SIGTERM and detach" \
		"$(for p in $SG_PIDS; do tail -n 2 "$(e2e_bg_log "$p")"; done | tr '\n' ' ')"
fi
SG_PIDS=""
[ "$FAILED" = 0 ]
