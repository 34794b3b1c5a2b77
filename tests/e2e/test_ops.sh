#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Operator-facing end to end: what an operator does to a running synguard,
# in network namespaces (tests/e2e/lib.sh), against the ASan/UBSan build.
#
#   guard     reflection guard: a spoofed SYN flood from one /24 is cut to
#             burst + rate x seconds, `top` names the prefix, others connect
#   default   the default guard (2000/s, burst 4000 per /24) does not limit
#             a flood spread over a /16 at up to 100k pps
#   config    --config FILE honoured, a flag overrides one of its values
#   policy    allow/deny add/del/list live (IPv4 and IPv6), no reload
#   ports     ports add/del/list live
#   restart   SIGTERM then run again: pinned counters survive; an older
#             release's pin of another layout is replaced with a note
#   bad       malformed input and runtime failures: one stderr line, exit
#             2 (usage) or 1 (runtime), nothing changed
#   soak      ASan/UBSan daemon, --key-period 2, 30 s SYN+ACK flood while
#             keys/allow/deny/ports change every ~2 s and probes connect;
#             SIGTERM -> exit 0, no sanitizer report
#   crash     kill -9: programs stay (cookies keep working), `keys rotate`
#             refuses, `detach` leaves no XDP, no TC filter, no pins
#
#   bash tests/e2e/test_ops.sh            everything (~90 s on an idle 2-CPU
#                                         machine; the soak is 30 s of it)
#   OPS_ONLY="bad policy" bash tests/e2e/test_ops.sh   only these groups
#                                         (setup and daemons always run)
#   E2E_SOAK_SECONDS=N, E2E_SOAK_PPS=N    soak length and flood rate
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

SG=${SG:-$ROOT/.output/asan/synguard} # the ASan/UBSan build: every command
PEER=$ROOT/tests/e2e/sgpeer.py
PORT=8080  # protected everywhere
XPORT=9090 # a server port that `ports add` protects later
SOAK_SECONDS=${E2E_SOAK_SECONDS:-30}
SOAK_PPS=${E2E_SOAK_PPS:-20000}
BPFFS=/run/synguard-ops.$E2E_PREFIX # our bpffs (ip netns exec remounts /sys)
PINS=$BPFFS/synguard
RO_BPFFS=/run/synguard-ops-ro.$E2E_PREFIX # a read-only bpffs
SCRATCH= # a plain directory for key and config files (made below)
T0=$SECONDS

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }
check() { # NAME OK(0/1 as a command status) WHY
	if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "$3"; fi
}
want() { # GROUP: is this group selected?
	[ -z "${OPS_ONLY:-}" ] && return 0
	[[ " $OPS_ONLY " == *" $1 "* ]]
}
note() { echo "# $*"; }
section() { note "$1 at $((SECONDS - T0)) s"; FP_LAST=; }

# ---- cleanup: daemons by PID, mounts, scratch; lib.sh removes the rest ----
WRAPPERS=""
cleanup() {
	local p
	for p in $WRAPPERS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $WRAPPERS; do
		for _ in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
	done
	for d in "$BPFFS" "$RO_BPFFS"; do
		if mountpoint -q "$d" 2>/dev/null; then
			umount -l "$d"
		fi
		rmdir "$d" 2>/dev/null
	done
	[ -n "$SCRATCH" ] && rm -rf "$SCRATCH"
	return 0
}
e2e_trap cleanup

if [ ! -x "$SG" ]; then
	fail "ops setup" "$SG missing (make tests first)"
	exit 1
fi
# The plain build, for the many read-only look-ups that check state (fast);
# the ASan build otherwise.
SGF=${SGF:-$ROOT/.output/synguard}
[ -x "$SGF" ] || SGF=$SG
# The interpreter itself, not a version-manager shim (some cost ~1 s a call).
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
[ -x "$PY" ] || PY=python3

if ! e2e_topology_up; then
	fail "ops setup" "topology"
	exit 1
fi
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/sg-ops.XXXXXX") || exit 1
chmod 700 "$SCRATCH"
# Run private copies: a rebuild while the test runs must not break it.
mkdir "$SCRATCH/bin" && cp "$SG" "$SCRATCH/bin/synguard" &&
	cp "$SGF" "$SCRATCH/bin/synguard-plain" || {
	fail "ops setup" "cannot copy the binaries"
	exit 1
}
SG=$SCRATCH/bin/synguard SGF=$SCRATCH/bin/synguard-plain
mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || {
	fail "ops setup" "cannot mount bpffs at $BPFFS"
	exit 1
}
mkdir -p "$RO_BPFFS" && mount -t bpf -o ro bpf "$RO_BPFFS" || {
	fail "ops setup" "cannot mount a read-only bpffs at $RO_BPFFS"
	exit 1
}
export SYNGUARD_PIN_ROOT=$PINS

# A spare veth pair in the server namespace: bad `run`s aim at it, and it
# must stay without XDP and without pins.
XDEV=sgx0
e2e_in s ip link add $XDEV type veth peer name sgx1 &&
	e2e_in s ip link set $XDEV up && e2e_in s ip link set sgx1 up || {
	fail "ops setup" "spare veth"
	exit 1
}

e2e_in s sysctl -qw net.ipv4.tcp_syncookies=1
SRV=$(e2e_bg s "$PY" "$PEER" serve --port $PORT --port $XPORT)
e2e_wait_port s $PORT && e2e_wait_port s $XPORT || {
	fail "ops setup" "server did not start: $(cat "$(e2e_bg_log "$SRV")")"
	exit 1
}

# ---- helpers ----

sg() { e2e_in s "$SG" "$@"; } # ASan build in the server namespace
# Plain build, for state look-ups that only read pins (no namespace needed:
# the bpffs is mounted in ours too); `status` looks at interfaces: sgst.
sgf() { "$SGF" "$@"; }
sgst() { e2e_in s "$SGF" status "$@"; }

# jget JSON EXPR: evaluate a Python expression over d = the parsed JSON.
jget() {
	"$PY" -c 'import json, sys
d = json.loads(sys.argv[1])
print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}

# ctr IFACE NAME...: counter values, space separated.
ctr() {
	local dev=$1
	shift
	"$PY" -c 'import json, sys
d = json.loads(sys.stdin.read())[sys.argv[1]]
print(" ".join(str(d[n]) for n in sys.argv[2:]))' "$dev" "$@" \
		< <(sgf stats "$dev" --json 2>/dev/null)
}

# probe NS HOST PORT COUNT [TIMEOUT] [PARALLEL]: sgpeer probe; its JSON on
# stdout, status 0 iff every connection worked.
probe() {
	e2e_in "$1" "$PY" "$PEER" probe --host "$2" --port "$3" --count "$4" \
		--timeout "${5:-3}" --parallel "${6:-5}" 2>&1 | tail -n 1
	return "${PIPESTATUS[0]}"
}

xdp_id() { # NS DEV: id of the XDP program attached, empty if none
	e2e_in "$1" ip -o link show dev "$2" 2>/dev/null |
		grep -oE 'prog/xdp id [0-9]+' | awk '{print $3}'
}

mac_bytes() { echo "0x${1//:/, 0x}"; }

# sg_start NAME IFACE ARGS...: `synguard run IFACE ARGS...` in the server
# namespace behind a bash wrapper that forwards SIGTERM and logs the exit
# status; waits for "ready on". Sets W_<NAME> (wrapper PID), P_<NAME>
# (synguard PID), L_<NAME> (log).
sg_start() {
	local name=$1 dev=$2 w log p i
	shift 2
	w=$(e2e_bg s bash -c 'trap "kill -TERM \$p 2>/dev/null" TERM
		"$@" & p=$!
		echo "synguard pid $p"
		wait $p; rc=$?
		while kill -0 $p 2>/dev/null; do wait $p; rc=$?; done
		echo "synguard exit status $rc"' _ "$SG" run "$dev" "$@")
	log=$(e2e_bg_log "$w")
	WRAPPERS="$WRAPPERS $w"
	for i in $(seq 150); do
		grep -q 'ready on' "$log" 2>/dev/null && break
		grep -q 'synguard exit status' "$log" 2>/dev/null && break
		sleep 0.1
	done
	p=$(awk '/^synguard pid/ {print $3; exit}' "$log")
	printf -v "W_$name" %s "$w"
	printf -v "P_$name" %s "$p"
	printf -v "L_$name" %s "$log"
	if ! grep -q 'ready on' "$log"; then
		echo "synguard run $dev $* did not start:" >&2
		cat "$log" >&2
		return 1
	fi
	grep 'ready on' "$log" | sed 's/^/# /'
	return 0
}

# sg_stop NAME [SIGNAL]: signal the wrapper (or, for KILL, synguard
# itself), wait for the exit status line; prints the status.
sg_stop() {
	local name=$1 sig=${2:-TERM} w p log i
	w=$(eval echo "\$W_$name") p=$(eval echo "\$P_$name")
	log=$(eval echo "\$L_$name")
	if [ "$sig" = KILL ]; then kill -KILL "$p" 2>/dev/null; else kill -"$sig" "$w" 2>/dev/null; fi
	for i in $(seq 150); do
		grep -q 'synguard exit status' "$log" && break
		sleep 0.1
	done
	awk '/^synguard exit status/ {print $4; exit}' "$log"
}

# A trafgen SYN flood config from 198.19.7.0/24 (random host byte) to
# sga0: lib.sh's floods spread over 198.19.0.0/16, this one hits one /24.
flood24_cfg() {
	cat <<EOF
/* SYN flood from 198.19.7.0/24, generated by tests/e2e/test_ops.sh */
{
  $(mac_bytes "$E2E_MAC_SA"), $(mac_bytes "$E2E_MAC_A"), c16(0x0800),
  0x45, 0x00, c16(60), drnd(2), 0x40, 0x00, 64, 6, csumip(14, 33),
  198, 19, 7, drnd(1), ${E2E_IP4_SA//./, },
  drnd(2), c16($PORT), drnd(4), c32(0), 0xa0, 0x02, c16(64240), csumtcp(14, 34), c16(0),
  0x02, 0x04, c16(1460), 0x04, 0x02, 0x08, 0x0a, drnd(4), c32(0), 0x01, 0x03, 0x03, 0x07
}
EOF
}

# flood24 PPS SECONDS: run that flood (bounded by timeout and -n) and wait
# for it; prints "sent elapsed_seconds".
flood24() {
	local pps=$1 secs=$2 cfg pid log t0 t1 i sent
	cfg=$E2E_RUN/flood24.cfg
	flood24_cfg >"$cfg"
	t0=$(date +%s.%N)
	pid=$(e2e_bg a timeout -s INT -k 2 "$secs" trafgen --dev "$E2E_DEV_A" \
		--conf "$cfg" --cpus 1 --num $((pps * secs)) --rate "${pps}pps" \
		--no-sock-mem --notouch-irq --no-cpu-stats)
	log=$(e2e_bg_log "$pid")
	for ((i = 0; i < 10 * (secs + 5); i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	t1=$(date +%s.%N)
	sent=$(tr -d '\r' <"$log" | awk '/packets outgoing/ {print $1; exit}')
	echo "${sent:-0} $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
}

# State an operator could see: lists, ports, attachments, pin dirs. Bad
# input must leave all of it as it was.
fingerprint() {
	local f=$SCRATCH/fp
	sgf ports list --json >"$f.1" 2>&1 &
	sgf allow list --json >"$f.2" 2>&1 &
	sgf deny list --json >"$f.3" 2>&1 &
	wait
	cat "$f.1" "$f.2" "$f.3"
	ip -n "$E2E_NS_S" -o link show | grep -oE "^[0-9]+: [a-z0-9]+|prog/xdp id [0-9]+"
	printf 'filter show dev %s ingress\n' $E2E_DEV_SC $E2E_DEV_SA $XDEV |
		tc -n "$E2E_NS_S" -batch - 2>&1 | grep -E 'bpf|handle'
	ip -n "$E2E_NS_C" -o link show dev $E2E_DEV_C | grep -oE 'prog/xdp id [0-9]+'
	ls "$PINS" "$RO_BPFFS" 2>&1
}

# bad NAME NS WANT_RC PATTERN -- ARGS...: synguard ARGS in NS (with the
# environment in BAD_ENV) must exit WANT_RC with exactly one stderr line
# matching PATTERN, and change nothing. FP_LAST caches the state seen after
# the previous case; reset it when changing state between cases.
BAD_N=0 FP_LAST='' BAD_ENV=()
bad() {
	local name=$1 ns=$2 want_rc=$3 pat=$4 before after err rc n
	shift 5
	BAD_N=$((BAD_N + 1))
	before=${FP_LAST:-$(fingerprint)}
	local t0=$EPOCHREALTIME
	err=$(e2e_in "$ns" env "${BAD_ENV[@]}" "$SG" "$@" 2>&1 >/dev/null)
	rc=$?
	local t1=$EPOCHREALTIME
	after=$(fingerprint)
	[ -n "${BAD_TIMING:-}" ] && note "$name: cmd $(awk -v a=$t0 -v b=$t1 'BEGIN{print b-a}') s, fp $(awk -v a=$t1 -v b=$EPOCHREALTIME 'BEGIN{print b-a}') s"
	FP_LAST=$after
	n=$(printf '%s\n' "$err" | grep -c .)
	if [ "$rc" != "$want_rc" ]; then
		fail "bad input: $name" "exit $rc, want $want_rc (stderr: $err)"
	elif [ "$n" != 1 ]; then
		fail "bad input: $name" "want one stderr line, got $n: $err"
	elif ! grep -qE -- "$pat" <<<"$err"; then
		fail "bad input: $name" "stderr does not match '$pat': $err"
	elif [ "$before" != "$after" ]; then
		fail "bad input: $name" "state changed: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | tr '\n' ' ')"
	else
		pass "bad input: $name (exit $rc: $err)"
	fi
}

# ---- daemons: A on sga0 (attacker side), C on sgc0 (client side) ----

# C runs from a config file with one value overridden on the command line.
CONF=$SCRATCH/sgc0.conf
cat >"$CONF" <<EOF
# synguard config for sgc0 (test_ops.sh)
ports = $PORT
synack-rate = 300       # overridden by --synack-rate 500 on the command line
synack-burst = 900
prefix6 = 56
key-period = 30
ttl = 61
window = 29200
allow = 192.0.2.0/24
allow = 2001:db8:1::/48
deny = 203.0.113.0/24
deny = 2001:db8::/32
EOF

if ! sg_start A $E2E_DEV_SA --ports $PORT --synack-rate 200 --synack-burst 200; then
	fail "ops setup" "daemon on $E2E_DEV_SA"
	exit 1
fi
if ! sg_start C $E2E_DEV_SC --config "$CONF" --synack-rate 500; then
	fail "ops setup" "daemon on $E2E_DEV_SC"
	exit 1
fi
note "setup done at $((SECONDS - T0)) s"

# ---- config file: honoured, flag overrides ----
if want config; then
	section config
	cfg=$(bpftool -j map dump pinned "$PINS/$E2E_DEV_SC/sg_config" 2>/dev/null)
	got=$(jget "$cfg" '"%s %s %s %s %s" % tuple(d[0]["formatted"]["value"][k] for k in ("synack_rate", "synack_burst", "prefix6", "ttl", "window"))')
	check "config: file values in sg_config, --synack-rate overrides the file (rate burst prefix6 ttl window = $got)" \
		"$([ "$got" = "500 900 56 61 29200" ]; echo $?)" "want '500 900 56 61 29200', sg_config: $cfg"
	got=$(jget "$(sgf keys show $E2E_DEV_SC --json)" 'd["sgc0"]["key_period"]')
	check "config: key-period = 30 from the file ($got)" "$([ "$got" = 30 ]; echo $?)" "keys show: $got"
	got=$(jget "$(sgf ports list -i $E2E_DEV_SC --json)" 'd["sgc0"]["ports"]')
	check "config: ports from the file ($got)" "$([ "$got" = $PORT ]; echo $?)" "ports list: $got"
	got=$(jget "$(sgf allow list -i $E2E_DEV_SC --json)" '" ".join(d["sgc0"])')
	check "config: repeated allow keys accumulate ($got)" \
		"$([ "$got" = "192.0.2.0/24 2001:db8:1::/48" ]; echo $?)" "allow list: $got"
	got=$(jget "$(sgf deny list -i $E2E_DEV_SC --json)" '" ".join(d["sgc0"])')
	check "config: deny keys ($got)" \
		"$([ "$got" = "203.0.113.0/24 2001:db8::/32" ]; echo $?)" "deny list: $got"
	# --pin-root on the command line (the same path as 'pin-root =' in a
	# config file): a daemon on the spare interface with pins elsewhere.
	ALT=$BPFFS/alt
	if sg_start X $XDEV --ports $PORT --pin-root "$ALT" --metrics off; then
		got=$(jget "$(sgst --json --pin-root "$ALT")" '" ".join(d["interfaces"])')
		rc=$(sg_stop X)
		out=$(sg detach $XDEV --pin-root "$ALT" 2>&1)
		check "config: --pin-root DIR is honoured (status there lists '$got'; exit $rc)" \
			"$([ "$got" = $XDEV ] && [ "$rc" = 0 ] && [ ! -e "$ALT/$XDEV" ] && [ -z "$(xdp_id s $XDEV)" ]; echo $?)" \
			"status lists '$got', exit '$rc', detach: $out"
	else
		fail "config: --pin-root DIR is honoured" "run failed: $(grep -v '^synguard pid' "$L_X" | head -n 3 | tr '\n' ' ')"
	fi
	rmdir "$ALT" 2>/dev/null
fi

# ---- reflection guard: one /24 floods, others connect ----
if want guard; then
	section guard
	read -r rl0 sa0 < <(ctr $E2E_DEV_SA drop_ratelimit tx_synack)
	# Legitimate clients meanwhile: through sgc0 (another daemon) and, on
	# the flooded interface itself, from the attacker's own address
	# (198.18.1.0/24, another prefix of the same daemon).
	PC=$(e2e_bg c "$PY" "$PEER" probe --host "$E2E_IP4_SC" --port $PORT \
		--count 50 --parallel 5 --timeout 3 --interval 0.04)
	PA=$(e2e_bg a "$PY" "$PEER" probe --host "$E2E_IP4_SA" --port $PORT \
		--count 50 --parallel 5 --timeout 3 --interval 0.04)
	read -r sent secs < <(flood24 20000 3)
	for p in $PC $PA; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
	read -r rl1 sa1 < <(ctr $E2E_DEV_SA drop_ratelimit tx_synack)
	top=$(sgf top $E2E_DEV_SA --json -n 5)
	row=$(jget "$top" 'd["sga0"]["top"][0]')
	pfx=$(jget "$top" 'd["sga0"]["top"][0]["prefix"]')
	psyn=$(jget "$top" 'd["sga0"]["top"][0]["synack"]')
	plim=$(jget "$top" 'd["sga0"]["top"][0]["limited"]')
	# At most burst + rate x flood time, plus slack for the clock.
	limit=$(awk -v s="$secs" 'BEGIN { printf "%d", 200 + 200 * s + 50 }')
	note "guard: $sent SYNs from 198.19.7.0/24 in $secs s; drop_ratelimit +$((rl1 - rl0)), tx_synack +$((sa1 - sa0)); top[0] $row"
	check "guard: drop_ratelimit rises under a one-/24 flood (+$((rl1 - rl0)) of $sent SYNs)" \
		"$([ $((rl1 - rl0)) -gt $((sent / 2)) ]; echo $?)" "drop_ratelimit +$((rl1 - rl0)), sent $sent"
	check "guard: SYN-ACKs to 198.19.7.0/24 bounded (${psyn:-?} <= burst 200 + 200/s x $secs s + 50 = $limit)" \
		"$([ -n "$psyn" ] && [ "$psyn" -le "$limit" ] && [ "$psyn" -ge 200 ]; echo $?)" "top: $row"
	check "guard: top lists 198.19.7.0/24 first with its limited count ($plim)" \
		"$([ "$pfx" = 198.19.7.0/24 ] && [ "${plim:-0}" -ge $(((rl1 - rl0) * 9 / 10)) ] && [ "${plim:-0}" -gt 0 ]; echo $?)" \
		"$top"
	for p in $PC $PA; do
		r=$(tail -n 1 "$(e2e_bg_log "$p")")
		check "guard: 50 legitimate connections meanwhile ($([ "$p" = "$PC" ] && echo "client via sgc0" || echo "198.18.1.2 via the flooded sga0"))" \
			"$([ "$(jget "$r" 'd["ok"]')" = 50 ]; echo $?)" "$r"
	done
fi

# ---- restart keeps pinned counters; then the default guard ----
if want restart || want default || want soak; then
	section restart
	read -r tot0 < <(ctr $E2E_DEV_SA tx_synack)
	# Live changes before the restart: which survive it is reported below.
	sg deny add 198.51.100.0/24 -i $E2E_DEV_SA >/dev/null
	sg ports add 9191 -i $E2E_DEV_SA >/dev/null
	rc=$(sg_stop A)
	check "restart: SIGTERM -> exit status 0" "$([ "$rc" = 0 ]; echo $?)" "exit status '$rc': $(cat "$L_A")"
	read -r tot1 < <(ctr $E2E_DEV_SA tx_synack)
	FP_LAST=
	bad "keys rotate with the daemon stopped" s 1 "no synguard daemon runs on sga0" -- keys rotate $E2E_DEV_SA
	check "restart: counters readable with no daemon (tx_synack $tot1)" \
		"$([ -n "$tot1" ] && [ "$tot1" = "$tot0" ]; echo $?)" "before $tot0, after stop '$tot1'"
	# An upgrade over the pins of an older release whose sg_sources had
	# another layout (no BPF_F_MMAPABLE before 2026-12-03): that pin goes
	# with a note and a new map, every other pin is reused as it is.
	src=$PINS/$E2E_DEV_SA/sg_sources
	rm -f "$src"
	bpftool map create "$src" type array key 4 value 64 entries 65536 name sg_sources flags 0
	old_src=$(bpftool -j map show pinned "$src" 2>&1)
	old_cfg=$(bpftool -j map show pinned "$PINS/$E2E_DEV_SA/sg_config" 2>&1)
	if sg_start A $E2E_DEV_SA --ports $PORT; then
		new_src=$(bpftool -j map show pinned "$src" 2>&1)
		new_cfg=$(bpftool -j map show pinned "$PINS/$E2E_DEV_SA/sg_config" 2>&1)
		got="$(jget "$old_src" '"%s/%s" % (d["id"], d["flags"])') -> $(jget "$new_src" '"%s/%s" % (d["id"], d["flags"])')"
		check "restart: an older release's sg_sources pin (flags 0) replaced with a note ($got), sg_config's reused" \
			"$(grep -q "$src was pinned by another synguard version with another layout; replacing it" "$L_A" &&
				[ "$(jget "$new_src" 'd["flags"]')" = 1024 ] &&
				[ "$(jget "$old_src" 'd["id"]')" != "$(jget "$new_src" 'd["id"]')" ] &&
				[ "$(jget "$old_cfg" 'd["id"]')" = "$(jget "$new_cfg" 'd["id"]')" ]; echo $?)" \
			"log: $(grep -m1 sg_sources "$L_A"); before $old_src / $old_cfg; after $new_src / $new_cfg"
		read -r tot2 < <(ctr $E2E_DEV_SA tx_synack)
		check "restart: counters survive a restart (tx_synack $tot0 -> $tot2)" \
			"$([ "${tot2:-0}" -ge "$tot0" ] && [ "$tot0" -gt 0 ]; echo $?)" "before $tot0, after '$tot2'"
		dl=$(jget "$(sgf deny list -i $E2E_DEV_SA --json)" '" ".join(d["sga0"])')
		pl=$(jget "$(sgf ports list -i $E2E_DEV_SA --json)" 'd["sga0"]["ports"]')
		note "restart: after a live 'deny add 198.51.100.0/24' and 'ports add 9191', the restarted daemon has deny list '$dl', ports '$pl' (both come from the command line and config file again)"
		sg deny del 198.51.100.0/24 -i $E2E_DEV_SA >/dev/null 2>&1
		[ "$pl" = $PORT ] || sg ports del 9191 -i $E2E_DEV_SA >/dev/null 2>&1
	else
		fail "restart: daemon starts again" "$(cat "$L_A")"
	fi
fi

if want default; then
	section default
	cfg=$(bpftool -j map dump pinned "$PINS/$E2E_DEV_SA/sg_config" 2>/dev/null)
	got=$(jget "$cfg" '"%s %s %s %s" % tuple(d[0]["formatted"]["value"][k] for k in ("synack_rate", "synack_burst", "prefix4", "prefix6"))')
	check "default: guard on by default (rate burst prefix4 prefix6 = $got)" \
		"$([ "$got" = "2000 4000 24 64" ]; echo $?)" "sg_config: $cfg"
	st=$(sgst --json)
	got=$(jget "$st" 'd["interfaces"]["sga0"]["running"]')
	check "default: status --json shows the restarted daemon running ($got)" \
		"$([ "$got" = True ]; echo $?)" "$st"
	read -r rl0 sa0 < <(ctr $E2E_DEV_SA drop_ratelimit tx_synack)
	e2e_flood_start syn 100000 3
	sent=$(e2e_flood_wait)
	read -r rl1 sa1 < <(ctr $E2E_DEV_SA drop_ratelimit tx_synack)
	tracked=$(jget "$(sgf top $E2E_DEV_SA --json -n 1)" 'd["sga0"]["tracked"]')
	note "default: $sent SYNs from 198.19.0.0/16 in 3 s; tx_synack +$((sa1 - sa0)), drop_ratelimit +$((rl1 - rl0)), $tracked prefixes tracked"
	check "default: a flood spread over 256 /24s (~$((sent / 3)) pps) is not limited (drop_ratelimit +$((rl1 - rl0)), tx_synack +$((sa1 - sa0)))" \
		"$([ $((sa1 - sa0)) -gt 10000 ] && [ $((rl1 - rl0)) -le $(((sa1 - sa0) / 1000)) ]; echo $?)" \
		"sent $sent, tx_synack +$((sa1 - sa0)), drop_ratelimit +$((rl1 - rl0))"
fi

# ---- allow / deny, live ----
conn() { # NS HOST PORT TIMEOUT: one connection
	probe "$1" "$2" "$3" 1 "$4" 1 >/dev/null
}
if want policy; then
	section policy
	for fam in 4 6; do
		if [ $fam = 4 ]; then
			host=$E2E_IP4_SC one=198.18.0.2/32 net=198.18.0.0/24 onec=$one netc=$net
		else
			host=$E2E_IP6_SC one=fd00:5e:0::2/128 net=fd00:5e:0::/64
			onec=fd00:5e::2/128 netc=fd00:5e::/64 # as listed (inet_ntop)
		fi
		# deny the client
		read -r dd0 < <(ctr $E2E_DEV_SC drop_deny)
		out=$(sg deny add "$one" -i $E2E_DEV_SC 2>&1)
		rc=$?
		lst=$(jget "$(sgf deny list -i $E2E_DEV_SC --json)" '" ".join(d["sgc0"])')
		conn c "$host" $PORT 1
		crc=$?
		read -r dd1 < <(ctr $E2E_DEV_SC drop_deny)
		check "policy v$fam: deny add $one -> listed, client refused, drop_deny +$((dd1 - dd0))" \
			"$([ $rc = 0 ] && [[ " $lst " == *" $onec "* ]] && [ $crc != 0 ] && [ $((dd1 - dd0)) -ge 1 ]; echo $?)" \
			"add rc $rc ($out), list '$lst', connect rc $crc, drop_deny +$((dd1 - dd0))"
		out=$(sg deny del "$one" -i $E2E_DEV_SC 2>&1)
		rc=$?
		lst=$(jget "$(sgf deny list -i $E2E_DEV_SC --json)" '" ".join(d["sgc0"])')
		conn c "$host" $PORT 3
		crc=$?
		check "policy v$fam: deny del $one -> unlisted, client connects" \
			"$([ $rc = 0 ] && [[ " $lst " != *" $onec "* ]] && [ $crc = 0 ]; echo $?)" \
			"del rc $rc ($out), list '$lst', connect rc $crc"
		# allow the client's network: the kernel answers its SYN
		out=$(sg allow add "$net" -i $E2E_DEV_SC 2>&1)
		rc=$?
		lst=$(jget "$(sgf allow list -i $E2E_DEV_SC --json)" '" ".join(d["sgc0"])')
		read -r pa0 sa0 < <(ctr $E2E_DEV_SC pass_allow tx_synack)
		conn c "$host" $PORT 3
		crc=$?
		read -r pa1 sa1 < <(ctr $E2E_DEV_SC pass_allow tx_synack)
		check "policy v$fam: allow add $net -> listed, SYN left to the kernel (pass_allow +$((pa1 - pa0)), tx_synack +$((sa1 - sa0))), connects" \
			"$([ $rc = 0 ] && [[ " $lst " == *" $netc "* ]] && [ $crc = 0 ] && [ $((pa1 - pa0)) -ge 2 ] && [ $((sa1 - sa0)) = 0 ]; echo $?)" \
			"add rc $rc ($out), list '$lst', connect rc $crc"
		out=$(sg allow del "$net" -i $E2E_DEV_SC 2>&1)
		rc=$?
		lst=$(jget "$(sgf allow list -i $E2E_DEV_SC --json)" '" ".join(d["sgc0"])')
		read -r pa0 sa0 < <(ctr $E2E_DEV_SC pass_allow tx_synack)
		conn c "$host" $PORT 3
		crc=$?
		read -r pa1 sa1 < <(ctr $E2E_DEV_SC pass_allow tx_synack)
		check "policy v$fam: allow del $net -> back to XDP cookies (tx_synack +$((sa1 - sa0)), pass_allow +$((pa1 - pa0)))" \
			"$([ $rc = 0 ] && [[ " $lst " != *" $netc "* ]] && [ $crc = 0 ] && [ $((pa1 - pa0)) = 0 ] && [ $((sa1 - sa0)) -ge 1 ]; echo $?)" \
			"del rc $rc ($out), list '$lst', connect rc $crc"
	done
	got=$(sgf deny list -i $E2E_DEV_SC)
	check "policy: deny list (text) shows what is there" \
		"$(grep -q '203.0.113.0/24' <<<"$got" && grep -q '2001:db8::/32' <<<"$got" && grep -q '^sgc0: 2 entries' <<<"$got"; echo $?)" "$got"
	got=$(sgf allow list)
	check "policy: allow list without -i covers every interface" \
		"$(grep -q '^sga0: 0 entries' <<<"$got" && grep -q '^sgc0: 2 entries' <<<"$got"; echo $?)" "$got"
fi

# ---- ports, live ----
if want ports; then
	section ports
	read -r pp0 sa0 < <(ctr $E2E_DEV_SC pass_port tx_synack)
	conn c "$E2E_IP4_SC" $XPORT 3
	crc=$?
	read -r pp1 sa1 < <(ctr $E2E_DEV_SC pass_port tx_synack)
	check "ports: $XPORT unprotected at first: passed untouched (pass_port +$((pp1 - pp0)), tx_synack +$((sa1 - sa0)))" \
		"$([ $crc = 0 ] && [ $((pp1 - pp0)) -ge 2 ] && [ $((sa1 - sa0)) = 0 ]; echo $?)" "connect rc $crc"
	out=$(sg ports add $XPORT -i $E2E_DEV_SC 2>&1)
	rc=$?
	lst=$(jget "$(sgf ports list -i $E2E_DEV_SC --json)" 'd["sgc0"]["ports"]')
	read -r sa0 ho0 < <(ctr $E2E_DEV_SC tx_synack handoff_ok)
	conn c "$E2E_IP4_SC" $XPORT 3
	crc=$?
	conn c "$E2E_IP6_SC" $XPORT 3
	crc6=$?
	read -r sa1 ho1 < <(ctr $E2E_DEV_SC tx_synack handoff_ok)
	check "ports: add $XPORT -> listed ($lst), SYNs answered by XDP (tx_synack +$((sa1 - sa0)), handoff_ok +$((ho1 - ho0))), v4+v6 connect" \
		"$([ $rc = 0 ] && [ "$lst" = "$PORT,$XPORT" ] && [ $crc = 0 ] && [ $crc6 = 0 ] && [ $((sa1 - sa0)) -ge 2 ] && [ $((ho1 - ho0)) = 2 ]; echo $?)" \
		"add rc $rc ($out), list '$lst', connect rc $crc/$crc6"
	out=$(sg ports del $XPORT -i $E2E_DEV_SC 2>&1)
	rc=$?
	lst=$(jget "$(sgf ports list -i $E2E_DEV_SC --json)" 'd["sgc0"]["ports"]')
	read -r pp0 sa0 < <(ctr $E2E_DEV_SC pass_port tx_synack)
	conn c "$E2E_IP4_SC" $XPORT 3
	crc=$?
	read -r pp1 sa1 < <(ctr $E2E_DEV_SC pass_port tx_synack)
	check "ports: del $XPORT -> unlisted ($lst), passed untouched (pass_port +$((pp1 - pp0)), tx_synack +$((sa1 - sa0)))" \
		"$([ $rc = 0 ] && [ "$lst" = "$PORT" ] && [ $crc = 0 ] && [ $((pp1 - pp0)) -ge 2 ] && [ $((sa1 - sa0)) = 0 ]; echo $?)" \
		"del rc $rc ($out), list '$lst', connect rc $crc"
	got=$(sgf ports list)
	check "ports: list without -i shows every interface" \
		"$(grep -qx "sga0: $PORT" <<<"$got" && grep -qx "sgc0: $PORT" <<<"$got"; echo $?)" "$got"
fi

# ---- bad input: one line on stderr, exit 2 or 1, nothing changed ----
if want bad; then
	section bad
	head -c 32 /dev/urandom >"$SCRATCH/key.open" && chmod 644 "$SCRATCH/key.open"
	head -c 8 /dev/urandom >"$SCRATCH/key.short" && chmod 600 "$SCRATCH/key.short"
	mkdir -p "$SCRATCH/key.dir" "$SCRATCH/notbpf" "$BPFFS/empty"
	printf 'ports = %s\nsynack-rate = 300\nsynack-rat = 100\n' $PORT >"$SCRATCH/badkey.conf"
	printf 'ports = %s\nsynack-rate = fast\n' $PORT >"$SCRATCH/badval.conf"
	printf 'ports = %s\nkey-period\n' $PORT >"$SCRATCH/noeq.conf"
	printf 'ports = %s\nconfig = /etc/other.conf\n' $PORT >"$SCRATCH/nested.conf"

	# run
	bad "run on a nonexistent interface" s 1 "nosuch0" -- run nosuch0 --ports $PORT
	bad "run on an interface synguard already holds" s 1 "already attached to sgc0" -- run $E2E_DEV_SC --ports $PORT
	bad "run where another XDP program is attached" c 1 "another XDP program" -- run $E2E_DEV_C --ports $PORT
	rmdir "$PINS/$E2E_DEV_C" 2>/dev/null && FP_LAST= # see the report if it was left
	bad "run with a missing key file" s 1 "key file" -- run $XDEV --ports $PORT --key-file "$SCRATCH/nokey"
	bad "run with a world-readable key file" s 1 "chmod 600" -- run $XDEV --ports $PORT --key-file "$SCRATCH/key.open"
	bad "run with an 8-byte key file" s 1 "8 bytes" -- run $XDEV --ports $PORT --key-file "$SCRATCH/key.short"
	bad "run with a directory as key file" s 1 "key file" -- run $XDEV --ports $PORT --key-file "$SCRATCH/key.dir"
	BAD_ENV=("SYNGUARD_PIN_ROOT=$SCRATCH/notbpf/synguard")
	bad "run with \$SYNGUARD_PIN_ROOT not on bpffs" s 1 "pin root $SCRATCH/notbpf/synguard is not on a BPF filesystem" -- run $XDEV --ports $PORT
	BAD_ENV=("SYNGUARD_PIN_ROOT=$RO_BPFFS/synguard")
	bad "run with an unwritable (read-only bpffs) pin root" s 1 "couldn't create pin directory $RO_BPFFS/synguard/$XDEV" -- run $XDEV --ports $PORT
	BAD_ENV=()
	bad "run --pin-root not on bpffs names it" s 1 "pin root $SCRATCH/notbpf/synguard is not on a BPF filesystem" -- run $XDEV --ports $PORT --pin-root "$SCRATCH/notbpf/synguard"
	bad "run --config with an unknown key names file:line" s 2 "badkey.conf:3: unknown key 'synack-rat'" -- run $XDEV --config "$SCRATCH/badkey.conf"
	bad "run --config with a bad value names file:line" s 2 "badval.conf:2: bad synack-rate" -- run $XDEV --config "$SCRATCH/badval.conf"
	bad "run --config with a line without '='" s 2 "noeq.conf:2:" -- run $XDEV --config "$SCRATCH/noeq.conf"
	bad "run --config with a nested config key" s 2 "nested.conf:2: unknown key" -- run $XDEV --config "$SCRATCH/nested.conf"
	bad "run --config with a missing file" s 2 "config file" -- run $XDEV --config "$SCRATCH/missing.conf"
	bad "run --cookie kernel without tcp_syncookies=2" s 1 "tcp_syncookies" -- run $XDEV --ports $PORT --cookie kernel
	bad "run --allow with host bits set" s 2 "host bits" -- run $XDEV --ports $PORT --allow 10.0.0.1/8
	# allow / deny
	bad "allow add a bad address" s 2 "not an IPv4 or IPv6" -- allow add 198.18.0.300 -i $E2E_DEV_SC
	bad "allow add: one bad CIDR among good ones adds none" s 2 "bogus" -- allow add 10.1.0.0/16 bogus -i $E2E_DEV_SC
	bad "deny del an entry that is not there" s 1 "not in the denylist" -- deny del 10.9.9.9/32 -i $E2E_DEV_SC
	bad "deny del: one missing entry removes none" s 1 "not in the denylist" -- deny del 203.0.113.0/24 10.9.9.9/32 -i $E2E_DEV_SC
	bad "allow add on an interface without pins" s 1 "no pins for nosuch0" -- allow add 192.0.2.0/24 -i nosuch0
	bad "deny list with an empty pin root" s 1 "no interface" -- deny list --pin-root "$BPFFS/empty"
	# ports
	bad "ports add 0" s 2 "" -- ports add 0 -i $E2E_DEV_SC
	bad "ports del a port that is not protected" s 1 "7777 is not protected" -- ports del 7777 -i $E2E_DEV_SC
	bad "ports del: one unprotected port removes none" s 1 "7777 is not protected" -- ports del $PORT,7777 -i $E2E_DEV_SC
	bad "ports add on an interface without pins" s 1 "no pins for nosuch0" -- ports add 8081 -i nosuch0
	# keys, top, stats, status, detach
	bad "top on an interface without pins" s 1 "nosuch0" -- top nosuch0
	bad "stats on an interface without pins" s 1 "nosuch0" -- stats nosuch0
	bad "detach with two interfaces detaches neither" s 2 "exactly one interface" -- detach $E2E_DEV_SC $E2E_DEV_SA
	# Not bad input, but the same promise: detach leaves others' programs.
	pid0=$(xdp_id c $E2E_DEV_C)
	out=$(e2e_in c "$SG" detach $E2E_DEV_C 2>&1)
	rc=$?
	check "detach leaves another XDP program alone (xdp_peer on cli0, exit $rc)" \
		"$([ $rc = 0 ] && [ -n "$pid0" ] && [ "$(xdp_id c $E2E_DEV_C)" = "$pid0" ]; echo $?)" "$out; xdp before '$pid0' after '$(xdp_id c $E2E_DEV_C)'"
	rmdir "$BPFFS/empty"
	# The daemons are untouched.
	st=$(sgst --json)
	check "bad input: both daemons still run after $BAD_N bad commands" \
		"$([ "$(jget "$st" 'd["interfaces"]["sgc0"]["running"] and d["interfaces"]["sga0"]["running"]')" = True ]; echo $?)" "$st"
fi
note "operator cases done at $((SECONDS - T0)) s"

# ---- soak: ASan/UBSan daemon under flood while everything changes ----
if want soak; then
	section soak
	rc=$(sg_stop A)
	[ "$rc" = 0 ] || fail "soak: previous daemon on sga0 exits 0" "status '$rc'"
	if ! sg_start S $E2E_DEV_SA --ports $PORT --key-period 2; then
		fail "soak: ASan daemon starts" "$(cat "$L_S")"
	else
		read -r ep0 < <(jget "$(sgf keys show $E2E_DEV_SA --json)" 'd["sga0"]["epoch"]')
		read -r sa0 bad0 < <(ctr $E2E_DEV_SA tx_synack drop_cookie_bad)
		e2e_flood_start syn "$SOAK_PPS" "$SOAK_SECONDS"
		e2e_flood_start ack "$SOAK_PPS" "$SOAK_SECONDS"
		ops=0 opfail=0 rounds=0 probes_ok=0 failures=""
		op() {
			local out
			ops=$((ops + 1))
			out=$(e2e_in s "$SG" "$@" 2>&1) && return 0
			opfail=$((opfail + 1))
			failures="$failures [$*: $out]"
		}
		end=$((SECONDS + SOAK_SECONDS))
		while [ $SECONDS -lt $end ]; do
			t=${EPOCHREALTIME/./} # us
			rounds=$((rounds + 1))
			op keys rotate $E2E_DEV_SA
			op allow add 192.0.2.0/24 2001:db8:1::/48 -i $E2E_DEV_SA
			op deny add 203.0.113.0/24 2001:db8::/32 -i $E2E_DEV_SA
			op ports add 9191 -i $E2E_DEV_SA
			r=$(probe a "$E2E_IP4_SA" $PORT 20 3 5)
			if [ "$(jget "$r" 'd["ok"]')" = 20 ]; then
				probes_ok=$((probes_ok + 1))
			else
				failures="$failures [probe: $r]"
			fi
			op allow del 192.0.2.0/24 2001:db8:1::/48 -i $E2E_DEV_SA
			op deny del 203.0.113.0/24 2001:db8::/32 -i $E2E_DEV_SA
			op ports del 9191 -i $E2E_DEV_SA
			# The next forced rotation once the clock has caught up
			# with this one (the next 2-s period): one sooner is
			# refused (one epoch ahead at most).
			t=$(((t + 2100000 - ${EPOCHREALTIME/./}) / 1000))
			[ $t -gt 0 ] && sleep "$((t / 1000)).$(printf %03d $((t % 1000)))"
		done
		sent=$(e2e_flood_wait)
		read -r sa1 bad1 < <(ctr $E2E_DEV_SA tx_synack drop_cookie_bad)
		ks=$(sgf keys show $E2E_DEV_SA --json)
		ep1=$(jget "$ks" 'd["sga0"]["epoch"]')
		rot=$(jget "$ks" 'd["sga0"]["rotations"]')
		note "soak: $sent flood packets, tx_synack +$((sa1 - sa0)), drop_cookie_bad +$((bad1 - bad0)), epoch $ep0 -> $ep1 ($rot rotations), $rounds rounds, $ops commands"
		check "soak: $ops live commands during a ${SOAK_SECONDS} s SYN+ACK flood all succeed" \
			"$([ $opfail = 0 ] && [ $rounds -ge 3 ]; echo $?)" "$opfail failed, $rounds rounds:$failures"
		check "soak: every probe round connects 20/20 ($probes_ok/$rounds rounds)" \
			"$([ $probes_ok = $rounds ] && [ $rounds -ge 3 ]; echo $?)" "$failures"
		# The clock rotates every 2 s; a forced rotation moves one epoch
		# ahead and the clock catches up: never more than one ahead.
		clock_ep=$(($(date +%s) / 2))
		check "soak: keys rotated by the clock and by 'keys rotate' (epoch $ep0 -> $ep1, $rot rotations, clock epoch $clock_ep)" \
			"$([ "${rot:-0}" -ge $((SOAK_SECONDS / 2 - 1)) ] && [ $((ep1 - ep0)) -ge $((SOAK_SECONDS / 2 - 1)) ] && [ "$ep1" -le $((clock_ep + 1)) ] && [ "$ep1" -ge $((clock_ep - 1)) ]; echo $?)" "$ks"
		check "soak: flood answered and forged ACKs dropped (tx_synack +$((sa1 - sa0)), drop_cookie_bad +$((bad1 - bad0)))" \
			"$([ $((sa1 - sa0)) -gt 1000 ] && [ $((bad1 - bad0)) -gt 1000 ]; echo $?)" "sent $sent"
		rc=$(sg_stop S)
		check "soak: ASan daemon exits 0 on SIGTERM" "$([ "$rc" = 0 ]; echo $?)" "exit status '$rc': $(tail -n 20 "$L_S")"
		if grep -qE 'ERROR: AddressSanitizer|runtime error|LeakSanitizer|SUMMARY: (Address|Undefined|Leak)' "$L_S"; then
			fail "soak: no sanitizer report" "$(grep -m 5 -E 'Sanitizer|runtime error' "$L_S")"
		else
			pass "soak: no sanitizer report in the daemon log"
		fi
	fi
fi

# ---- crash: kill -9, fail safe, then detach ----
if want crash; then
	section crash
	FP_LAST=
	xid=$(xdp_id s $E2E_DEV_SC)
	rc=$(sg_stop C KILL)
	sleep 0.2
	tcf=$(e2e_in s tc filter show dev $E2E_DEV_SC ingress)
	check "crash: after kill -9 ($rc) XDP (id $xid) and the TC filter stay attached" \
		"$([ "$rc" = 137 ] && [ -n "$xid" ] && [ "$(xdp_id s $E2E_DEV_SC)" = "$xid" ] && [ -n "$tcf" ]; echo $?)" \
		"exit '$rc', xdp '$(xdp_id s $E2E_DEV_SC)', tc '$tcf'"
	read -r sa0 ho0 < <(ctr $E2E_DEV_SC tx_synack handoff_ok)
	r=$(probe c "$E2E_IP4_SC" $PORT 20 3 5)
	read -r sa1 ho1 < <(ctr $E2E_DEV_SC tx_synack handoff_ok)
	check "crash: cookies keep working with the daemon dead (20/20, tx_synack +$((sa1 - sa0)), handoff_ok +$((ho1 - ho0)))" \
		"$([ "$(jget "$r" 'd["ok"]')" = 20 ] && [ $((sa1 - sa0)) -ge 20 ] && [ $((ho1 - ho0)) = 20 ]; echo $?)" "$r"
	st=$(sgst --json)
	check "crash: status --json reports the daemon not running" \
		"$([ "$(jget "$st" 'd["interfaces"]["sgc0"]["running"]')" = False ]; echo $?)" "$st"
	bad "keys rotate with the daemon dead" s 1 "no synguard daemon runs on sgc0" -- keys rotate $E2E_DEV_SC
	out=$(sg detach $E2E_DEV_SC 2>&1)
	rc=$?
	tcf=$(e2e_in s tc filter show dev $E2E_DEV_SC ingress)
	check "crash: detach after kill -9: no XDP, no TC filter, no pins" \
		"$([ $rc = 0 ] && [ -z "$(xdp_id s $E2E_DEV_SC)" ] && [ -z "$tcf" ] && [ ! -e "$PINS/$E2E_DEV_SC" ]; echo $?)" \
		"rc $rc ($out), xdp '$(xdp_id s $E2E_DEV_SC)', tc '$tcf', pins: $(ls "$PINS/$E2E_DEV_SC" 2>&1)"
	FP_LAST=
	r=$(probe c "$E2E_IP4_SC" $PORT 5 3 5)
	check "crash: after detach the kernel serves on its own" \
		"$([ "$(jget "$r" 'd["ok"]')" = 5 ]; echo $?)" "$r"
	bad "stats after detach (pins gone)" s 1 "sgc0" -- stats $E2E_DEV_SC
	bad "top after detach (pins gone)" s 1 "no pins for sgc0" -- top $E2E_DEV_SC
	bad "allow list after detach (pins gone)" s 1 "no pins for sgc0" -- allow list -i $E2E_DEV_SC
	bad "keys show after detach (pins gone)" s 1 "sgc0" -- keys show $E2E_DEV_SC
	out=$(sg detach $E2E_DEV_SC 2>&1)
	check "crash: detach again is a no-op (exit $?)" "$?" "$out"
fi

note "total $((SECONDS - T0)) s"
exit 0
