#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# End to end: real kernel clients connect through synguard to a real
# server in network namespaces. For each hand-off engine (own, kernel) and
# XDP mode (native, generic), with synguard on both server interfaces:
# 10 MB both ways over IPv4 and IPv6 with SHA-256 compared, negotiated TCP
# options (ss -tino, both ends) against a plain kernel handshake for seven
# client profiles, exact counter tallies, a reused TIME_WAIT 4-tuple, an
# unprotected port, 500 legitimate connections under a spoofed SYN flood
# plus a random-ACK flood, and a clean detach.
#
#   bash tests/e2e/test_handoff.sh [own|kernel] [native|generic]
#
# E2E_XFER_BYTES, E2E_PROBES and E2E_FLOOD_SECONDS scale it down (the
# kernel matrix does, under emulation).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

SG=${SG:-$ROOT/.output/asan/synguard} # the ASan/UBSan build
PEER=$ROOT/tests/e2e/sgpeer.py
PORT=8080   # protected
UNPROT=8081 # not protected
TWPORT=8082 # protected; the server closes first (TIME_WAIT on its side)
BPFFS=/run/synguard-e2e.$E2E_PREFIX
PINS=$BPFFS/synguard
ENGINES=${1:-own kernel}
MODES=${2:-native generic}
FLOOD_SECONDS=${E2E_FLOOD_SECONDS:-8}
PROBES=${E2E_PROBES:-500}
XFER=${E2E_XFER_BYTES:-10000000} # per direction and family

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }

cleanup() {
	local p
	for p in ${SG_PIDS:-}; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in ${SG_PIDS:-}; do
		wait "$p" 2>/dev/null
	done
	e2e_bpffs_umount "$BPFFS"
}
e2e_trap cleanup

if [ ! -x "$SG" ]; then
	fail "e2e setup" "$SG missing (make first)"
	exit 1
fi
if ! e2e_topology_up; then
	fail "e2e setup" "topology"
	exit 1
fi
# A bpffs every 'ip netns exec' sees ('ip netns exec' remounts /sys, so
# /sys/fs/bpf is not one there).
mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || {
	fail "e2e setup" "cannot mount bpffs at $BPFFS"
	exit 1
}
export SYNGUARD_PIN_ROOT=$PINS

e2e_in s sysctl -qw net.ipv4.tcp_syncookies=1
SRV=$(e2e_bg s python3 "$PEER" serve --port $PORT --port $UNPROT)
# The TIME_WAIT server: greets, then closes first.
TWSRV=$(e2e_bg s python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1])))
s.listen(128)
while True:
    c, _ = s.accept()
    c.sendall(b"bye\n")
    c.close()
' $TWPORT)
e2e_wait_port s $PORT && e2e_wait_port s $TWPORT || {
	fail "e2e setup" "servers did not start: $(cat "$(e2e_bg_log "$SRV")")"
	exit 1
}

# ---- helpers ----

# One connection held open while both ends are read with ss. Prints
# "client: <opts> | server: <opts>" with opts normalised to the fields
# synguard decides: ts, sack, ecn, wscale:S,R, mss:N.
norm_ss() {
	grep -oE '(^| )(ts|sack|ecn|ecnseen|wscale:[0-9]+,[0-9]+|mss:[0-9]+)( |$)' |
		tr -d ' ' | grep -v ecnseen | sort | tr '\n' ' '
}

conn_opts() { # HOST
	local host=$1 pid c s
	pid=$(e2e_bg c python3 -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"x" * 100)
d = b""
while len(d) < 100:
    d += s.recv(100)
print("connected", flush=True)
time.sleep(30)
' "$host" $PORT)
	# Held open until read (killed below); bounded for slow (emulated)
	# machines, where starting Python alone takes seconds.
	for _ in $(seq 400); do
		grep -q connected "$(e2e_bg_log "$pid")" 2>/dev/null && break
		sleep 0.05
	done
	c=$(e2e_in c ss -tinoH state established "( dport = :$PORT )" | norm_ss)
	s=$(e2e_in s ss -tinoH state established "( sport = :$PORT )" | norm_ss)
	e2e_kill "$pid"
	echo "client: $c| server: $s"
}

# Client profiles: name, then the client-namespace commands that make it.
PROFILES="default nots nosack nows mss536 ecn ipv6"
profile_set() { # NAME on|off
	local on=$2
	case $1 in
	nots) e2e_in c sysctl -qw net.ipv4.tcp_timestamps=$([ "$on" = on ] && echo 0 || echo 1) ;;
	nosack) e2e_in c sysctl -qw net.ipv4.tcp_sack=$([ "$on" = on ] && echo 0 || echo 1) ;;
	nows) e2e_in c sysctl -qw net.ipv4.tcp_window_scaling=$([ "$on" = on ] && echo 0 || echo 1) ;;
	ecn) e2e_in c sysctl -qw net.ipv4.tcp_ecn=$([ "$on" = on ] && echo 1 || echo 2) ;;
	mss536)
		if [ "$on" = on ]; then
			e2e_in c ip route change 198.18.0.0/24 dev cli0 advmss 536
		else
			e2e_in c ip route change 198.18.0.0/24 dev cli0
		fi
		;;
	esac
}
profile_host() {
	[ "$1" = ipv6 ] && echo "$E2E_IP6_SC" || echo "$E2E_IP4_SC"
}

# Where synguard must differ from the kernel's own handshake. The kernel
# engine carries window scale and SACK only in the timestamp bits, so a
# client without timestamps gets neither (docs/cookie.md).
expected_opts() { # ENGINE PROFILE BASELINE
	local t out=""
	if [ "$1" = kernel ] && [ "$2" = nots ]; then
		for t in $3; do
			case $t in
			sack | wscale:*) ;;
			*) out="$out$t " ;;
			esac
		done
		echo "$out"
	else
		echo "$3"
	fi
}

stats_json() { # IFACE
	e2e_in s "$SG" stats "$1" --json
}
stat_of() { # JSON IFACE NAME
	python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]][sys.argv[3]])' "$1" "$2" "$3"
}

SG_PIDS=""
sg_start() { # ENGINE MODE
	local engine=$1 mode=$2 dev pid i extra
	SG_PIDS=""
	for dev in $E2E_DEV_SC $E2E_DEV_SA; do
		# The first daemon sets the sysctls (and restores them on exit,
		# so it is stopped last).
		extra=""
		[ "$dev" = "$E2E_DEV_SC" ] && extra=--set-sysctl
		# Behind a shell that forwards SIGTERM and logs the exit status
		# (e2e_bg runs in a subshell, so this one cannot wait for it).
		pid=$(e2e_bg s bash -c 'trap "kill -TERM \$p" TERM; "$@" & p=$!
			wait $p; wait $p; echo "synguard exit status $?"' _ \
			"$SG" run "$dev" --ports $PORT,$TWPORT --mode "$mode" \
			--cookie "$engine" $extra)
		SG_PIDS="$SG_PIDS $pid"
		for i in $(seq 100); do
			grep -q 'ready on' "$(e2e_bg_log "$pid")" && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if ! grep -q 'ready on' "$(e2e_bg_log "$pid")"; then
			echo "synguard on $dev did not start:" >&2
			cat "$(e2e_bg_log "$pid")" >&2
			return 1
		fi
	done
	grep -h 'ready on' $(for p in $SG_PIDS; do e2e_bg_log "$p"; done) >&2
	return 0
}

sg_stop() { # stop in reverse order, check the exit status
	local p rc=0 order=""
	for p in $SG_PIDS; do order="$p $order"; done
	for p in $order; do
		kill -TERM "$p" 2>/dev/null
		for _ in $(seq 100); do
			grep -q 'exit status' "$(e2e_bg_log "$p")" && break
			sleep 0.1
		done
		grep -q 'synguard exit status 0$' "$(e2e_bg_log "$p")" || rc=1
	done
	SG_PIDS=""
	return $rc
}

# ---- baseline: the kernel's own handshakes, no synguard ----
declare -A BASE
for prof in $PROFILES; do
	profile_set "$prof" on
	BASE[$prof]=$(conn_opts "$(profile_host "$prof")")
	profile_set "$prof" off
	echo "baseline $prof: ${BASE[$prof]}"
done

run_combo() { # ENGINE MODE
	local engine=$1 mode=$2 tag="$1/$2" conns=0 j got want ok n i
	local before_sent before_ovf before_recv

	if ! sg_start "$engine" "$mode"; then
		fail "$tag: synguard starts" "see stderr"
		sg_stop
		return
	fi
	pass "$tag: synguard starts on both server interfaces"
	got=$(e2e_in s "$SG" run $E2E_DEV_SC --ports $PORT 2>&1)
	if [ $? = 1 ] && echo "$got" | grep -q 'already attached to sgc0'; then
		pass "$tag: a second run on the interface is refused"
	else
		fail "$tag: a second run on the interface is refused" "$got"
	fi
	before_sent=$(e2e_nstat_get s TcpExtSyncookiesSent)
	before_ovf=$(e2e_nstat_get s TcpExtListenOverflows)
	before_recv=$(e2e_nstat_get s TcpExtSyncookiesRecv)

	# XFER bytes (10 MB) each way, hashes compared by sgpeer.
	for host in "$E2E_IP4_SC" "$E2E_IP6_SC"; do
		got=$(e2e_in c python3 "$PEER" xfer --host "$host" --port $PORT \
			--bytes "$XFER" --seed $RANDOM 2>&1)
		conns=$((conns + 1))
		if echo "$got" | grep -qE '"ok": ?true'; then
			pass "$tag: $XFER bytes echoed intact over $host"
		else
			fail "$tag: $XFER bytes echoed intact over $host" "$got"
		fi
	done

	# Negotiated options per client profile.
	for prof in $PROFILES; do
		profile_set "$prof" on
		got=$(conn_opts "$(profile_host "$prof")")
		profile_set "$prof" off
		conns=$((conns + 1))
		want=$(expected_opts "$engine" "$prof" "${BASE[$prof]}")
		if [ "$got" = "$want" ]; then
			pass "$tag: options of profile $prof match ($got)"
		else
			fail "$tag: options of profile $prof" "got '$got', want '$want'"
		fi
	done

	# Exact tallies: one SYN-ACK per SYN, one hand-off per connection,
	# the kernel never answered a SYN itself.
	j=$(stats_json $E2E_DEV_SC)
	ok=1
	for n in tx_synack pass_cookie_ok; do
		[ "$(stat_of "$j" $E2E_DEV_SC $n)" = "$conns" ] || ok=0
	done
	if [ "$engine" = own ]; then
		[ "$(stat_of "$j" $E2E_DEV_SC handoff_ok)" = "$conns" ] || ok=0
		[ "$(stat_of "$j" $E2E_DEV_SC handoff_error)" = 0 ] || ok=0
	else
		[ $(($(e2e_nstat_get s TcpExtSyncookiesRecv) - before_recv)) = "$conns" ] || ok=0
	fi
	[ "$(e2e_nstat_get s TcpExtSyncookiesSent)" = "$before_sent" ] || ok=0
	[ "$(e2e_nstat_get s TcpExtListenOverflows)" = "$before_ovf" ] || ok=0
	if [ $ok = 1 ]; then
		pass "$tag: counters tally ($conns connections: $conns SYN-ACKs, $conns hand-offs, kernel sent no cookie)"
	else
		fail "$tag: counters tally" "conns=$conns stats=$(echo "$j" | tr -d ' \n') SyncookiesSent $before_sent->$(e2e_nstat_get s TcpExtSyncookiesSent) ListenOverflows $before_ovf->$(e2e_nstat_get s TcpExtListenOverflows)"
	fi

	# Unprotected port: untouched by synguard (after the tallies: with
	# tcp_syncookies=2 the kernel answers it with a cookie of its own).
	got=$(e2e_in c python3 "$PEER" xfer --host "$E2E_IP4_SC" --port $UNPROT \
		--bytes 1000000 2>&1)
	if echo "$got" | grep -qE '"ok": ?true' &&
		[ "$(stat_of "$(stats_json $E2E_DEV_SC)" $E2E_DEV_SC pass_port)" -ge 1 ]; then
		pass "$tag: unprotected port works (passed by XDP untouched)"
	else
		fail "$tag: unprotected port works" "$got"
	fi

	# TIME_WAIT reuse: the server closes first, the client reconnects
	# from the same source port at once, 20 times.
	local tw0
	tw0=$(stat_of "$(stats_json $E2E_DEV_SC)" $E2E_DEV_SC pass_timewait)
	got=$(e2e_in c python3 -c '
import errno, socket, sys, time
ok = 0
for i in range(20):
    # Our own side of the previous connection may still be in LAST_ACK
    # for a moment (EADDRNOTAVAIL): that is the client, not the server.
    for retry in range(50):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(3)
        s.bind(("", 40123))
        try:
            s.connect((sys.argv[1], int(sys.argv[2])))
            if s.recv(16) == b"bye\n":
                ok += 1
            while s.recv(16):
                pass
        except OSError as e:
            s.close()
            if e.errno == errno.EADDRNOTAVAIL:
                time.sleep(0.02)
                continue
            print("attempt", i, e)
        s.close()
        break
print("ok", ok)
' "$E2E_IP4_SC" $TWPORT 2>&1)
	n=$(($(stat_of "$(stats_json $E2E_DEV_SC)" $E2E_DEV_SC pass_timewait) - tw0))
	if echo "$got" | grep -q '^ok 20$' && [ "$n" -ge 19 ]; then
		pass "$tag: 20 reconnects onto a server TIME_WAIT 4-tuple ($n SYNs left to the kernel)"
	else
		fail "$tag: reconnects onto a server TIME_WAIT 4-tuple" "pass_timewait +$n; $got"
	fi

	# Flood: spoofed SYNs and random ACKs at full rate into sga0 while
	# legitimate clients connect through sgc0.
	local atk_rx0 synack0 bad0 flood_rx
	atk_rx0=$(e2e_dev_stat s $E2E_DEV_SA rx_packets)
	j=$(stats_json $E2E_DEV_SA)
	synack0=$(stat_of "$j" $E2E_DEV_SA tx_synack)
	bad0=$(stat_of "$j" $E2E_DEV_SA drop_cookie_bad)
	e2e_flood_start syn 0 "$FLOOD_SECONDS" >/dev/null
	e2e_flood_start ack 0 "$FLOOD_SECONDS" >/dev/null
	sleep 1
	got=$(e2e_in c python3 "$PEER" probe --host "$E2E_IP4_SC" --port $PORT \
		--count "$PROBES" --parallel 10 --timeout 5 2>&1)
	e2e_flood_wait >/dev/null
	flood_rx=$(($(e2e_dev_stat s $E2E_DEV_SA rx_packets) - atk_rx0))
	j=$(stats_json $E2E_DEV_SA)
	local p50 p99 okc
	okc=$(echo "$got" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(d["ok"], d["count"], d["p50_ms"], d["p99_ms"])' 2>/dev/null)
	read -r okc n p50 p99 <<<"$okc"
	if [ "${okc:-0}" = "$PROBES" ] && [ "${n:-0}" = "$PROBES" ]; then
		pass "$tag: $PROBES/$PROBES legitimate connections under SYN+ACK flood ($flood_rx flood packets in; connect p50 ${p50} ms, p99 ${p99} ms)"
	else
		fail "$tag: legitimate connections under flood" "$got"
	fi
	if [ $(($(stat_of "$j" $E2E_DEV_SA tx_synack) - synack0)) -gt 1000 ] &&
		[ $(($(stat_of "$j" $E2E_DEV_SA drop_cookie_bad) - bad0)) -gt 1000 ]; then
		pass "$tag: flood answered by XDP ($(($(stat_of "$j" $E2E_DEV_SA tx_synack) - synack0)) SYN-ACKs, $(($(stat_of "$j" $E2E_DEV_SA drop_cookie_bad) - bad0)) forged ACKs dropped)"
	else
		fail "$tag: flood answered by XDP" "$(echo "$j" | tr -d ' \n')"
	fi

	# Stop: everything we attached goes, the interfaces are as before.
	if sg_stop; then
		pass "$tag: synguard exits 0 on SIGTERM"
	else
		fail "$tag: synguard exits 0 on SIGTERM" "non-zero exit"
	fi
	ok=1
	for dev in $E2E_DEV_SC $E2E_DEV_SA; do
		e2e_in s ip link show "$dev" | grep -q ' xdp' && ok=0
		[ -n "$(e2e_in s tc filter show dev "$dev" ingress)" ] && ok=0
	done
	[ "$(e2e_in s sysctl -n net.ipv4.tcp_syncookies)" = 1 ] || ok=0
	if [ $ok = 1 ]; then
		pass "$tag: detached: no XDP, no TC filter, sysctls restored"
	else
		fail "$tag: detached cleanly" "$(e2e_in s ip link show; e2e_in s tc filter show dev $E2E_DEV_SC ingress)"
	fi
	for dev in $E2E_DEV_SC $E2E_DEV_SA; do
		e2e_in s "$SG" detach "$dev" >/dev/null 2>&1
	done
	if [ -z "$(ls -A "$PINS" 2>/dev/null)" ]; then
		pass "$tag: synguard detach removes the pins"
	else
		fail "$tag: synguard detach removes the pins" "$(ls -R "$PINS")"
	fi
}

# After kill -9 the programs stay attached; detach removes them and the pins.
# With the first engine asked for (the kernel engine has no TC program).
crash_detach() {
	local pid i ok=1 tag="crash" engine=${ENGINES%% *} tc what
	pid=$(e2e_bg s "$SG" run $E2E_DEV_SC --ports $PORT --cookie "$engine" \
		--set-sysctl --metrics off)
	for i in $(seq 100); do
		grep -q 'ready on' "$(e2e_bg_log "$pid")" && break
		sleep 0.1
	done
	kill -KILL "$pid"
	sleep 0.2
	tc=$(e2e_in s tc filter show dev $E2E_DEV_SC ingress)
	e2e_in s ip link show $E2E_DEV_SC | grep -q ' xdp' || ok=0
	if [ "$engine" = own ]; then [ -n "$tc" ] || ok=0; else [ -z "$tc" ] || ok=0; fi
	what="XDP program$([ "$engine" = own ] && echo " and TC filter")"
	if [ $ok = 1 ]; then
		pass "$tag: after kill -9, the $what stay attached (fail safe)"
	else
		fail "$tag: after kill -9, the $what stay attached" "$(cat "$(e2e_bg_log "$pid")")"
	fi
	got=$(e2e_in s "$SG" detach $E2E_DEV_SC 2>&1)
	ok=1
	e2e_in s ip link show $E2E_DEV_SC | grep -q ' xdp' && ok=0
	[ -n "$(e2e_in s tc filter show dev $E2E_DEV_SC ingress)" ] && ok=0
	[ -e "$PINS/$E2E_DEV_SC" ] && ok=0
	if [ $ok = 1 ]; then
		pass "$tag: synguard detach removes XDP, TC filter and pins"
	else
		fail "$tag: synguard detach cleans up" "$got"
	fi
	# kill -9 left the sysctl --set-sysctl changed: as the test set it.
	e2e_in s sysctl -qw net.ipv4.tcp_syncookies=1
}

crash_detach
for engine in $ENGINES; do
	for mode in $MODES; do
		run_combo "$engine" "$mode"
	done
done
exit 0
