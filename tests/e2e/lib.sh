# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# End-to-end test library: three network namespaces wired with veth pairs,
# background processes recorded for cleanup, and bounded floods with trafgen.
# Source it from a bash test script (works under `set -u`; does not set -e):
#
#   source "$(dirname "$0")/lib.sh"
#   e2e_trap                       # cleanup on EXIT/INT/TERM
#   e2e_topology_up || exit 1
#   ...
#
# Topology (no bridge; the veth pairs are created inside the server namespace
# and their peers moved straight into the client/attacker namespaces; nothing
# is created in or changed in the root namespace):
#
#   ${E2E_PREFIX}c (client)     ${E2E_PREFIX}s (server)        ${E2E_PREFIX}a (attacker)
#   cli0 198.18.0.2/24  <---->  sgc0 198.18.0.1/24
#        fd00:5e:0::2/64             fd00:5e:0::1/64
#                               sga0 198.18.1.1/24    <---->  atk0 198.18.1.2/24
#                                    fd00:5e:1::1/64               fd00:5e:1::2/64
#
# Spoofed flood sources: 198.19.0.0/16 and fd00:5e:ff::/64; the server routes
# them via the attacker (where replies are dropped: not local, no forwarding).
# synguard attaches to sgc0/sga0; cli0 and atk0 carry xdp_peer (XDP_PASS) so
# that XDP_TX on the server side is delivered promptly.
#
# Functions (NS is a full namespace name or one of c|client, s|server,
# a|attacker):
#   e2e_topology_up            create namespaces, links, addresses, routes
#   e2e_topology_down          stop recorded processes, delete namespaces
#                              (idempotent)
#   e2e_trap [FUNC]            trap EXIT/INT/TERM -> [FUNC;] e2e_topology_down
#   e2e_in NS CMD...           run CMD in NS (ip netns exec)
#   e2e_bg NS CMD...           run CMD in NS in the background, stdout+stderr
#                              to $(e2e_bg_log PID); records and echoes PID
#   e2e_bg_log PID             path of that process's output
#   e2e_kill PID...            stop recorded background processes (TERM,
#                              then KILL after 3 s)
#   e2e_nstat NS [PREFIX]      "name value" lines of nstat -az (PREFIX
#                              default TcpExt; "" = all counters)
#   e2e_nstat_get NS NAME      one counter's value (0 if absent)
#   e2e_dev_stat NS DEV STAT   /sys/class/net/DEV/statistics/STAT in NS
#   e2e_wait_port NS PORT [S]  wait (max S s, default 10) for a TCP listener
#   e2e_flood_start KIND RATE DURATION [v6]
#                              KIND syn|ack, RATE pps (0 = max), DURATION s;
#                              trafgen in the attacker under timeout and -n
#   e2e_flood_wait             wait for every flood started; prints the
#                              number of packets trafgen sent (also in
#                              E2E_FLOOD_SENT)
#   e2e_xdp_peer_obj           build (once) and print the xdp_peer object
#
# Variables for tests: E2E_NS_C/S/A (namespaces), E2E_DEV_SC/SA/C/A
# (sgc0, sga0, cli0, atk0), E2E_IP4_SC/C/SA/A and E2E_IP6_* (addresses),
# E2E_RUN (this run's directory, made by e2e_topology_up, removed by
# e2e_topology_down). Start long-running processes with e2e_bg (not with
# `e2e_in ... &`) so that they are recorded and stopped on cleanup.
#
# Environment (set before sourcing or before e2e_topology_up):
#   E2E_PREFIX   namespace prefix (default sg$$, cut to 12 characters)
#   E2E_OUT      build output directory (default <repo>/.output/e2e)
#   E2E_QUEUES   veth rx/tx queues (default min(nproc, 2))
#   E2E_KEEP=1   keep the run directory $E2E_RUN (logs, configs) on cleanup
#   E2E_FLOOD_MAX_PPS  packet cap per second for RATE 0 floods (3000000)
#   E2E_FLOOD_PORT     destination port of floods (8080)

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_ROOT=$(cd "$E2E_LIB_DIR/../.." && pwd)

E2E_PREFIX=${E2E_PREFIX:-sg$$}
E2E_PREFIX=${E2E_PREFIX:0:12}
E2E_NS_C=${E2E_PREFIX}c
E2E_NS_S=${E2E_PREFIX}s
E2E_NS_A=${E2E_PREFIX}a
E2E_RUN= # per-run directory (pids, logs, configs), made by e2e_topology_up
export E2E_FLOOD_SENT=0

# Interfaces
E2E_DEV_SC=sgc0 # server side of the client link
E2E_DEV_SA=sga0 # server side of the attacker link
E2E_DEV_C=cli0
E2E_DEV_A=atk0
E2E_MAC_SC=02:5e:00:00:00:01
E2E_MAC_C=02:5e:00:00:00:02
E2E_MAC_SA=02:5e:00:01:00:01
E2E_MAC_A=02:5e:00:01:00:02

# Addresses
E2E_IP4_SC=198.18.0.1 E2E_IP4_C=198.18.0.2
E2E_IP4_SA=198.18.1.1 E2E_IP4_A=198.18.1.2
E2E_IP6_SC=fd00:5e:0::1 E2E_IP6_C=fd00:5e:0::2
E2E_IP6_SA=fd00:5e:1::1 E2E_IP6_A=fd00:5e:1::2
E2E_SPOOF4=198.19.0.0/16
E2E_SPOOF6=fd00:5e:ff::/64

_e2e_err() { echo "e2e: $*" >&2; }

# Run a command; on failure say which one.
_e2e_x() {
	"$@" && return 0
	_e2e_err "failed ($?): $*"
	return 1
}

# Map c/s/a shorthands to namespace names.
_e2e_ns() {
	case $1 in
	c | client) echo "$E2E_NS_C" ;;
	s | server) echo "$E2E_NS_S" ;;
	a | attacker) echo "$E2E_NS_A" ;;
	*) echo "$1" ;;
	esac
}

_e2e_ns_exists() {
	ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF -- "$1"
}

e2e_in() {
	local ns
	ns=$(_e2e_ns "$1")
	shift
	ip netns exec "$ns" "$@"
}

# Per-run directory: pid records, logs, generated configs.
_e2e_rundir() {
	if [ -z "$E2E_RUN" ] || [ ! -d "$E2E_RUN" ]; then
		E2E_RUN=$(mktemp -d "${TMPDIR:-/tmp}/sg-e2e.$E2E_PREFIX.XXXXXX") || return 1
	fi
}

# The run directory is made by e2e_topology_up in the calling shell; a
# subshell ($(...)) must not make its own, or its records would be lost.
_e2e_need_run() {
	[ -n "$E2E_RUN" ] && [ -d "$E2E_RUN" ] && return 0
	_e2e_err "run e2e_topology_up first"
	return 1
}

# Start time (clock ticks since boot) of a process: with the PID it
# identifies the process even if the PID is later reused.
_e2e_starttime() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo "${20}"
}

# True if PID is alive and still the process recorded with START.
_e2e_same_proc() {
	local st
	st=$(_e2e_starttime "$1") || return 1
	[ "$st" = "$2" ]
}

_e2e_record_pid() {
	local st
	st=$(_e2e_starttime "$1") || return 0 # already gone
	echo "$1 $st" >>"$E2E_RUN/pids"
}

# Build the peer XDP program once (rebuilt when the source is newer).
e2e_xdp_peer_obj() {
	local out=${E2E_OUT:-$E2E_ROOT/.output/e2e}
	local src=$E2E_LIB_DIR/xdp_peer.bpf.c obj tmp
	obj=$out/xdp_peer.bpf.o
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
		mkdir -p "$out" || return 1
		tmp=$(mktemp "$out/.xdp_peer.XXXXXX") || return 1
		if ! clang -O2 -g --target=bpf -I"/usr/include/$(gcc -dumpmachine)" \
			-c "$src" -o "$tmp"; then
			rm -f "$tmp"
			_e2e_err "cannot build $obj"
			return 1
		fi
		mv -f "$tmp" "$obj" || return 1 # atomic for parallel runs
	fi
	echo "$obj"
}

e2e_topology_up() {
	local ns q obj pair dev n
	case $E2E_PREFIX in
	*[!A-Za-z0-9_-]* | "")
		_e2e_err "bad E2E_PREFIX '$E2E_PREFIX'"
		return 1
		;;
	esac
	for ns in "$E2E_NS_C" "$E2E_NS_S" "$E2E_NS_A"; do
		if _e2e_ns_exists "$ns"; then
			_e2e_err "namespace $ns already exists (another run, or a stale one): not touching it"
			return 1
		fi
	done
	_e2e_rundir || return 1
	obj=$(e2e_xdp_peer_obj) || return 1
	if ! _e2e_topology_up "$obj"; then
		_e2e_err "topology setup failed; cleaning up"
		e2e_topology_down
		return 1
	fi
}

_e2e_topology_up() {
	local obj=$1 ns n q pair dev
	n=${E2E_QUEUES:-$(nproc)}
	[ "$n" -gt 2 ] && n=2
	q="numtxqueues $n numrxqueues $n"

	for ns in "$E2E_NS_S" "$E2E_NS_C" "$E2E_NS_A"; do
		_e2e_x ip netns add "$ns" || return 1
		echo "$ns" >>"$E2E_RUN/namespaces"
		_e2e_x ip -n "$ns" link set lo up || return 1
		_e2e_x ip netns exec "$ns" sysctl -qw \
			net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
			net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
			net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 || return 1
	done

	# shellcheck disable=SC2086
	_e2e_x ip -n "$E2E_NS_S" link add "$E2E_DEV_SC" $q address "$E2E_MAC_SC" \
		type veth peer name "$E2E_DEV_C" netns "$E2E_NS_C" $q \
		address "$E2E_MAC_C" || return 1
	# shellcheck disable=SC2086
	_e2e_x ip -n "$E2E_NS_S" link add "$E2E_DEV_SA" $q address "$E2E_MAC_SA" \
		type veth peer name "$E2E_DEV_A" netns "$E2E_NS_A" $q \
		address "$E2E_MAC_A" || return 1

	_e2e_x ip -n "$E2E_NS_S" addr add "$E2E_IP4_SC/24" dev "$E2E_DEV_SC" || return 1
	_e2e_x ip -n "$E2E_NS_S" addr add "$E2E_IP6_SC/64" dev "$E2E_DEV_SC" nodad || return 1
	_e2e_x ip -n "$E2E_NS_S" addr add "$E2E_IP4_SA/24" dev "$E2E_DEV_SA" || return 1
	_e2e_x ip -n "$E2E_NS_S" addr add "$E2E_IP6_SA/64" dev "$E2E_DEV_SA" nodad || return 1
	_e2e_x ip -n "$E2E_NS_C" addr add "$E2E_IP4_C/24" dev "$E2E_DEV_C" || return 1
	_e2e_x ip -n "$E2E_NS_C" addr add "$E2E_IP6_C/64" dev "$E2E_DEV_C" nodad || return 1
	_e2e_x ip -n "$E2E_NS_A" addr add "$E2E_IP4_A/24" dev "$E2E_DEV_A" || return 1
	_e2e_x ip -n "$E2E_NS_A" addr add "$E2E_IP6_A/64" dev "$E2E_DEV_A" nodad || return 1

	for pair in "$E2E_NS_S:$E2E_DEV_SC" "$E2E_NS_S:$E2E_DEV_SA" \
		"$E2E_NS_C:$E2E_DEV_C" "$E2E_NS_A:$E2E_DEV_A"; do
		ns=${pair%%:*} dev=${pair#*:}
		# GRO on = veth NAPI mode (needed for XDP_TX into the peer).
		_e2e_x ip netns exec "$ns" ethtool -K "$dev" gro on >/dev/null || return 1
	done
	# Senders compute checksums in software: what enters the server
	# carries full checksums, as from a wire (XDP_TX of a CHECKSUM_PARTIAL
	# packet would produce frames the receiver drops).
	_e2e_x ip netns exec "$E2E_NS_C" ethtool -K "$E2E_DEV_C" tx off >/dev/null || return 1
	_e2e_x ip netns exec "$E2E_NS_A" ethtool -K "$E2E_DEV_A" tx off >/dev/null || return 1

	# Static neighbours both ways: no ARP/ND during floods.
	_e2e_x ip -n "$E2E_NS_C" neigh replace "$E2E_IP4_SC" lladdr "$E2E_MAC_SC" dev "$E2E_DEV_C" nud permanent || return 1
	_e2e_x ip -n "$E2E_NS_C" neigh replace "$E2E_IP6_SC" lladdr "$E2E_MAC_SC" dev "$E2E_DEV_C" nud permanent || return 1
	_e2e_x ip -n "$E2E_NS_A" neigh replace "$E2E_IP4_SA" lladdr "$E2E_MAC_SA" dev "$E2E_DEV_A" nud permanent || return 1
	_e2e_x ip -n "$E2E_NS_A" neigh replace "$E2E_IP6_SA" lladdr "$E2E_MAC_SA" dev "$E2E_DEV_A" nud permanent || return 1
	_e2e_x ip -n "$E2E_NS_S" neigh replace "$E2E_IP4_C" lladdr "$E2E_MAC_C" dev "$E2E_DEV_SC" nud permanent || return 1
	_e2e_x ip -n "$E2E_NS_S" neigh replace "$E2E_IP6_C" lladdr "$E2E_MAC_C" dev "$E2E_DEV_SC" nud permanent || return 1
	_e2e_x ip -n "$E2E_NS_S" neigh replace "$E2E_IP4_A" lladdr "$E2E_MAC_A" dev "$E2E_DEV_SA" nud permanent || return 1
	_e2e_x ip -n "$E2E_NS_S" neigh replace "$E2E_IP6_A" lladdr "$E2E_MAC_A" dev "$E2E_DEV_SA" nud permanent || return 1

	# XDP_PASS on the peers of the server's veths.
	_e2e_x ip -n "$E2E_NS_C" link set dev "$E2E_DEV_C" xdpdrv obj "$obj" sec xdp || return 1
	_e2e_x ip -n "$E2E_NS_A" link set dev "$E2E_DEV_A" xdpdrv obj "$obj" sec xdp || return 1

	for pair in "$E2E_NS_S:$E2E_DEV_SC" "$E2E_NS_S:$E2E_DEV_SA" \
		"$E2E_NS_C:$E2E_DEV_C" "$E2E_NS_A:$E2E_DEV_A"; do
		ns=${pair%%:*} dev=${pair#*:}
		_e2e_x ip -n "$ns" link set "$dev" up || return 1
	done

	# Replies to spoofed sources go back towards the attacker.
	_e2e_x ip -n "$E2E_NS_S" route add "$E2E_SPOOF4" via "$E2E_IP4_A" || return 1
	_e2e_x ip -n "$E2E_NS_S" -6 route add "$E2E_SPOOF6" via "$E2E_IP6_A" || return 1

	# Wait for carrier on all four ends (bounded), then, when ping is
	# installed, check both families on both links.
	local i up
	for ((i = 0; i < 50; i++)); do
		up=0
		for pair in "$E2E_NS_S:$E2E_DEV_SC" "$E2E_NS_S:$E2E_DEV_SA" \
			"$E2E_NS_C:$E2E_DEV_C" "$E2E_NS_A:$E2E_DEV_A"; do
			ns=${pair%%:*} dev=${pair#*:}
			ip -n "$ns" link show dev "$dev" 2>/dev/null | grep -q 'LOWER_UP' &&
				up=$((up + 1))
		done
		[ $up = 4 ] && break
		sleep 0.1
	done
	if [ $up != 4 ]; then
		_e2e_err "veth links did not come up"
		return 1
	fi
	if command -v ping >/dev/null; then
		_e2e_x ip netns exec "$E2E_NS_C" ping -c1 -W2 -q "$E2E_IP4_SC" >/dev/null || return 1
		_e2e_x ip netns exec "$E2E_NS_C" ping -6 -c1 -W2 -q "$E2E_IP6_SC" >/dev/null || return 1
		_e2e_x ip netns exec "$E2E_NS_A" ping -c1 -W2 -q "$E2E_IP4_SA" >/dev/null || return 1
		_e2e_x ip netns exec "$E2E_NS_A" ping -6 -c1 -W2 -q "$E2E_IP6_SA" >/dev/null || return 1
	fi
	return 0
}

# Stop PIDs (recorded as "pid starttime" lines on stdin): TERM, then KILL
# whatever is still there after 3 s. Only processes whose start time still
# matches are signalled.
_e2e_stop_procs() {
	local pid st live=() i
	while read -r pid st; do
		[ -n "$pid" ] || continue
		if _e2e_same_proc "$pid" "$st"; then
			kill -TERM "$pid" 2>/dev/null || true
			live+=("$pid $st")
		fi
	done
	[ ${#live[@]} -gt 0 ] || return 0
	for ((i = 0; i < 30; i++)); do
		local any=0 r
		for r in "${live[@]}"; do
			# shellcheck disable=SC2086
			_e2e_same_proc $r && any=1
		done
		if [ $any = 0 ]; then
			_e2e_reap "${live[@]}"
			return 0
		fi
		sleep 0.1
	done
	for r in "${live[@]}"; do
		# shellcheck disable=SC2086
		set -- $r
		if _e2e_same_proc "$1" "$2"; then kill -KILL "$1" 2>/dev/null || true; fi
	done
	_e2e_reap "${live[@]}"
	return 0
}

# Reap our own children among "pid starttime" words quietly (no
# "Terminated" job notices); returns at once for other processes.
_e2e_reap() {
	local r
	for r in "$@"; do
		wait "${r%% *}" 2>/dev/null || true
	done
	return 0
}

# e2e_ns_del NS: delete a namespace this run made, if it is there. Anything
# still running inside it was started by this run (children of recorded
# processes, or processes a test started with e2e_in ... &): stopped by PID
# first, or the namespace would live on after `ip netns del`.
e2e_ns_del() {
	local ns=$1 pids p
	_e2e_ns_exists "$ns" || return 0
	pids=$(ip netns pids "$ns" 2>/dev/null)
	if [ -n "$pids" ]; then
		_e2e_stop_procs < <(for p in $pids; do
			echo "$p $(_e2e_starttime "$p")"
		done)
	fi
	ip netns del "$ns" 2>/dev/null || _e2e_err "could not delete namespace $ns"
}

# e2e_bpffs_umount DIR...: unmount the private bpffs at each DIR (if
# mounted) and remove the directory.
e2e_bpffs_umount() {
	local mnt
	for mnt in "$@"; do
		if mountpoint -q "$mnt" 2>/dev/null; then
			umount -l "$mnt"
		fi
		rmdir "$mnt" 2>/dev/null
	done
	return 0
}

e2e_topology_down() {
	local ns
	if [ -n "$E2E_RUN" ] && [ -f "$E2E_RUN/pids" ]; then
		_e2e_stop_procs <"$E2E_RUN/pids"
		: >"$E2E_RUN/pids"
	fi
	for ns in "$E2E_NS_A" "$E2E_NS_C" "$E2E_NS_S"; do
		e2e_ns_del "$ns"
	done
	if [ -n "$E2E_RUN" ] && [ -d "$E2E_RUN" ]; then
		if [ "${E2E_KEEP:-0}" = 1 ]; then
			_e2e_err "kept $E2E_RUN"
		else
			rm -rf "$E2E_RUN"
		fi
		E2E_RUN=
	fi
	return 0
}

# e2e_trap [FUNC]: on EXIT (and INT/TERM, which exit), run FUNC if given,
# then e2e_topology_down. The script's exit status is kept.
e2e_trap() {
	E2E_TRAP_FUNC=${1:-}
	trap '_e2e_on_exit' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

_e2e_on_exit() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "${E2E_TRAP_FUNC:-}" ]; then
		"$E2E_TRAP_FUNC" || true
	fi
	e2e_topology_down
	exit "$rc"
}

# e2e_bg NS CMD...: start CMD in NS in the background; its stdout and
# stderr go to $(e2e_bg_log PID). Echoes the PID. Safe in $(...).
e2e_bg() {
	local ns log pid fd
	ns=$(_e2e_ns "$1")
	shift
	_e2e_need_run || return 1
	log=$(mktemp "$E2E_RUN/bg.XXXXXX") || return 1
	# Opened here, not in the child: the child redirects after the fork,
	# and could open the temporary name after the rename below (its
	# output lost in a new file, the log left empty).
	exec {fd}>"$log" || return 1
	ip netns exec "$ns" "$@" </dev/null >&"$fd" 2>&1 {fd}>&- &
	pid=$!
	exec {fd}>&-
	_e2e_record_pid "$pid"
	mv -f "$log" "$E2E_RUN/bg.$pid.log"
	echo "$pid"
}

e2e_bg_log() {
	echo "$E2E_RUN/bg.$1.log"
}

# e2e_kill PID...: stop background processes started by e2e_bg.
e2e_kill() {
	local pid st
	_e2e_stop_procs < <(for pid in "$@"; do
		st=$(awk -v p="$pid" '$1 == p {print $2}' "$E2E_RUN/pids" 2>/dev/null | tail -n 1)
		[ -n "$st" ] && echo "$pid $st"
	done)
	return 0
}

# e2e_nstat NS [PREFIX]: "name value" lines, all counters (-a: absolute,
# -z: zeros too, -s: do not touch any nstat history file).
e2e_nstat() {
	local ns prefix=${2-TcpExt}
	ns=$(_e2e_ns "$1")
	NSTAT_HISTORY=/dev/null ip netns exec "$ns" nstat -asz 2>/dev/null |
		awk -v p="$prefix" '$1 !~ /^#/ && NF >= 2 && index($1, p) == 1 {print $1, $2}'
}

e2e_nstat_get() {
	local v
	v=$(e2e_nstat "$1" "" | awk -v n="$2" '$1 == n {print $2}')
	echo "${v:-0}"
}

e2e_dev_stat() {
	e2e_in "$1" cat "/sys/class/net/$2/statistics/$3"
}

# e2e_wait_port NS PORT [SECONDS]: wait until a TCP socket listens on PORT.
e2e_wait_port() {
	local ns i max=${3:-10}
	ns=$(_e2e_ns "$1")
	for ((i = 0; i < max * 10; i++)); do
		if [ -n "$(ip netns exec "$ns" ss -Hltn "sport = :$2" 2>/dev/null)" ]; then
			return 0
		fi
		sleep 0.1
	done
	_e2e_err "nothing listens on port $2 in $ns after ${max}s"
	return 1
}

_e2e_mac_bytes() { echo "0x${1//:/, 0x}"; }
_e2e_ip4_bytes() { echo "${1//./, }"; }
_e2e_ip6_bytes() {
	python3 -c 'import ipaddress, sys
print(", ".join("0x%02x" % b for b in ipaddress.IPv6Address(sys.argv[1]).packed))' "$1"
}

# trafgen packet configs. Everything random is drawn per packet (drnd);
# checksums are recomputed per packet (csumip/csumtcp/csumtcp6).
_e2e_flood_cfg() {
	local kind=$1 fam=$2 port=$3 flags doff tcpopts l4len
	if [ "$kind" = syn ]; then
		# SYN with a Linux-like option set: MSS, SACK-perm, TS, NOP, WS 7
		flags=0x02 doff=0xa0 l4len=40
		tcpopts="0x02, 0x04, c16($([ "$fam" = 4 ] && echo 1460 || echo 1440)), 0x04, 0x02, 0x08, 0x0a, drnd(4), c32(0), 0x01, 0x03, 0x03, 0x07"
	else
		# ACK with random seq/ack and a random timestamp option
		flags=0x10 doff=0x80 l4len=32
		tcpopts="0x01, 0x01, 0x08, 0x0a, drnd(4), drnd(4)"
	fi
	echo "/* $kind flood, IPv$fam, generated by tests/e2e/lib.sh */"
	echo "{"
	if [ "$fam" = 4 ]; then
		cat <<EOF
  /* Ethernet: dst = $E2E_DEV_SA, src = $E2E_DEV_A */
  $(_e2e_mac_bytes "$E2E_MAC_SA"), $(_e2e_mac_bytes "$E2E_MAC_A"), c16(0x0800),
  /* IPv4: ver/ihl, tos, total length, id (random), DF, ttl 64, TCP, csum */
  0x45, 0x00, c16($((20 + l4len))), drnd(2), 0x40, 0x00, 64, 6, csumip(14, 33),
  /* source 198.19.x.y (random), destination $E2E_IP4_SA */
  198, 19, drnd(2), $(_e2e_ip4_bytes "$E2E_IP4_SA"),
  /* TCP: sport (random), dport, seq, ack, doff, flags, window, csum, urg */
  drnd(2), c16($port), drnd(4), $([ "$kind" = syn ] && echo "c32(0)" || echo "drnd(4)"), $doff, $flags, c16(64240), csumtcp(14, 34), c16(0),
  $tcpopts
EOF
	else
		cat <<EOF
  $(_e2e_mac_bytes "$E2E_MAC_SA"), $(_e2e_mac_bytes "$E2E_MAC_A"), c16(0x86dd),
  /* IPv6: version/class/flow, payload length, next header TCP, hop limit */
  0x60, 0x00, 0x00, 0x00, c16($l4len), 6, 64,
  /* source fd00:5e:ff::/64 with a random interface id, destination $E2E_IP6_SA */
  c16(0xfd00), c16(0x005e), c16(0x00ff), c16(0), drnd(8),
  $(_e2e_ip6_bytes "$E2E_IP6_SA"),
  /* TCP */
  drnd(2), c16($port), drnd(4), $([ "$kind" = syn ] && echo "c32(0)" || echo "drnd(4)"), $doff, $flags, c16(64240), csumtcp6(14, 54), c16(0),
  $tcpopts
EOF
	fi
	echo "}"
}

E2E_FLOODS=()

# e2e_flood_start KIND RATE DURATION [v6]
e2e_flood_start() {
	local kind=${1:-} rate=${2:-} dur=${3:-} fam=4 cfg out cap pid i
	local port=${E2E_FLOOD_PORT:-8080}
	case ${4:-} in
	"" | v4 | 4) ;;
	v6 | 6 | -6) fam=6 ;;
	*)
		_e2e_err "e2e_flood_start: bad family '$4'"
		return 2
		;;
	esac
	case $kind in syn | ack) ;; *)
		_e2e_err "usage: e2e_flood_start syn|ack RATE DURATION [v6]"
		return 2
		;;
	esac
	if ! [[ $rate =~ ^[0-9]+$ ]] || ! [[ $dur =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
		! awk -v d="$dur" 'BEGIN { exit !(d > 0 && d <= 300) }'; then
		_e2e_err "e2e_flood_start: RATE must be an integer, DURATION in (0, 300] s"
		return 2
	fi
	command -v trafgen >/dev/null || {
		_e2e_err "trafgen not found (apt-get install netsniff-ng)"
		return 1
	}
	_e2e_ns_exists "$E2E_NS_A" || {
		_e2e_err "no attacker namespace: run e2e_topology_up first"
		return 1
	}
	_e2e_need_run || return 1
	i=0
	while [ -e "$E2E_RUN/flood.$i.cfg" ]; do i=$((i + 1)); done
	cfg=$E2E_RUN/flood.$i.cfg out=$E2E_RUN/flood.$i.out
	_e2e_flood_cfg "$kind" "$fam" "$port" >"$cfg" || return 1

	# Packet cap: rate x duration, or E2E_FLOOD_MAX_PPS x duration at max
	# rate; the flood stops at whichever of count and time comes first.
	cap=$(awk -v r="$rate" -v d="$dur" -v m="${E2E_FLOOD_MAX_PPS:-3000000}" \
		'BEGIN { printf "%d", (r > 0 ? r : m) * d + 0.5 }')
	[ "$cap" -ge 1 ] || cap=1
	# sendto() mode (--rate / --gap 0): TX_RING fails on veth. Never touch
	# global state: --no-sock-mem (net.core.wmem_*), --notouch-irq.
	local args=(--dev "$E2E_DEV_A" --conf "$cfg" --cpus 1 --num "$cap"
		--no-sock-mem --notouch-irq --no-cpu-stats)
	if [ "$rate" -gt 0 ]; then args+=(--rate "${rate}pps"); else args+=(--gap 0); fi
	# From the run directory: trafgen maps a scratch file in its working
	# directory (MAP_SHARED), which some file systems refuse.
	(cd "$E2E_RUN" && exec ip netns exec "$E2E_NS_A" timeout -s INT -k 2 "$dur" \
		trafgen "${args[@]}" </dev/null >"$out" 2>&1) &
	pid=$!
	_e2e_record_pid "$pid"
	echo "$pid $i" >>"$E2E_RUN/floods"
	E2E_FLOODS+=("$pid")
	return 0
}

# e2e_flood_wait: wait for all floods started so far; print the number of
# packets trafgen reports as sent (sum), also left in E2E_FLOOD_SENT.
e2e_flood_wait() {
	local pid i n total=0 t
	if [ -z "$E2E_RUN" ] || [ ! -f "$E2E_RUN/floods" ]; then
		E2E_FLOOD_SENT=0
		echo 0
		return 0
	fi
	while read -r pid i; do
		if ! wait "$pid" 2>/dev/null; then
			# not our child (started in a subshell): poll, bounded
			for ((t = 0; t < 3100 && ${#pid} > 0; t++)); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
		fi
		n=$(tr -d '\r' <"$E2E_RUN/flood.$i.out" 2>/dev/null |
			awk '/packets outgoing/ {print $1; exit}')
		total=$((total + ${n:-0}))
	done <"$E2E_RUN/floods"
	rm -f "$E2E_RUN/floods"
	E2E_FLOODS=()
	E2E_FLOOD_SENT=$total
	echo "$total"
}
