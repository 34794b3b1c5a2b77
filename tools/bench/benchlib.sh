# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# Shared by tools/demo.sh and tools/bench/flood.sh: the end-to-end topology
# of tests/e2e/lib.sh (sourced, not copied) made fit for measuring.
#
#   * threaded NAPI on all four veths, the kernel threads pinned: the
#     server's two veths (sgc0, sga0) to SRV_CPU, atk0 to GEN_CPU, cli0 to
#     CLI_CPU. The server's whole receive path (XDP, IP, TCP, SYN-ACK
#     transmit) then runs, and is charged, on the server CPU like a NIC
#     whose interrupt is affined there; without it veth processes received
#     packets in softirq on the *sender's* CPU and the server's cost hides
#     inside the flood generator. The threads are found by NAPI id over
#     netlink (sgbench.py napi), not by name: other runs use the same
#     interface names in their own namespaces.
#   * atk0 gets xdp_sink.bpf.c instead of xdp_peer: the SYN-ACKs to forged
#     sources are dropped in XDP on arrival instead of climbing the
#     attacker's IP stack on the generator CPU.
#   * a private bpffs for synguard's pins, synguard start/stop, the echo
#     server, TCP state reset between runs, one measurement window.
#
# Nothing outside the three namespaces lib.sh creates is changed (their
# sysctls, interfaces and NAPI threads only); the bpffs mount point is
# /run/synguard-bench.PREFIX, unmounted on exit. The caller sets
# E2E_PREFIX before sourcing and calls bench_trap.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_ROOT=$(cd "$BENCH_DIR/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
source "$BENCH_ROOT/tests/e2e/lib.sh"

SG=${SG:-$BENCH_ROOT/.output/synguard}
PEER=$BENCH_ROOT/tests/e2e/sgpeer.py
SGB=$BENCH_DIR/sgbench.py
BENCH_PORT=${BENCH_PORT:-8080}
BENCH_MPORT=${BENCH_MPORT:-9630}
BENCH_OUT=${BENCH_OUT:-$BENCH_ROOT/.output/bench}
if [ "$(nproc)" -ge 2 ]; then
	SRV_CPU=${SRV_CPU:-1} GEN_CPU=${GEN_CPU:-0} CLI_CPU=${CLI_CPU:-1}
else
	SRV_CPU=${SRV_CPU:-0} GEN_CPU=${GEN_CPU:-0} CLI_CPU=${CLI_CPU:-0}
fi
BENCH_BPFFS=/run/synguard-bench.$E2E_PREFIX
export SYNGUARD_PIN_ROOT=$BENCH_BPFFS/synguard
export E2E_FLOOD_PORT=$BENCH_PORT

BENCH_SG_PIDS=()
BENCH_SRV_PID=
BENCH_NAPI_SRV='' BENCH_NAPI_ATK='' BENCH_NAPI_CLI=''
BENCH_MOUNTED=0
BENCH_DURING_PID=

bench_err() { echo "${BENCH_NAME:-bench}: $*" >&2; }

# bench_require: root, tools, the release binary.
bench_require() {
	local t missing=""
	if [ "$(id -u)" != 0 ]; then
		bench_err "needs root (network namespaces, XDP)"
		return 1
	fi
	for t in ip ethtool clang trafgen nstat ss python3 timeout taskset; do
		command -v "$t" >/dev/null || missing="$missing $t"
	done
	if [ -n "$missing" ]; then
		bench_err "missing:$missing (make deps)"
		return 1
	fi
	if [ ! -x "$SG" ]; then
		bench_err "$SG not built (make)"
		return 1
	fi
	return 0
}

# bench_bpf_obj NAME: build (once) tools/bench/NAME.bpf.c, print the object.
bench_bpf_obj() {
	local src=$BENCH_DIR/$1.bpf.c obj=$BENCH_OUT/$1.bpf.o tmp
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
		mkdir -p "$BENCH_OUT" || return 1
		tmp=$(mktemp "$BENCH_OUT/.$1.XXXXXX") || return 1
		if ! clang -O2 -g --target=bpf -I"/usr/include/$(gcc -dumpmachine)" \
			-c "$src" -o "$tmp"; then
			rm -f "$tmp"
			bench_err "cannot build $obj"
			return 1
		fi
		mv -f "$tmp" "$obj" || return 1
	fi
	echo "$obj"
}

# NAPI thread PIDs of devices in a namespace (threaded NAPI only).
bench_napi_pids() { # NS DEV...
	local ns=$1
	shift
	ip netns exec "$ns" python3 "$SGB" napi "$@" | awk '$3 > 0 {print $3}' | tr '\n' ' '
}

# Re-find and re-pin the NAPI threads (call after anything that may have
# re-created them, e.g. attaching XDP).
bench_pin_napi() {
	local p
	BENCH_NAPI_SRV=$(bench_napi_pids "$E2E_NS_S" "$E2E_DEV_SC" "$E2E_DEV_SA")
	BENCH_NAPI_ATK=$(bench_napi_pids "$E2E_NS_A" "$E2E_DEV_A")
	BENCH_NAPI_CLI=$(bench_napi_pids "$E2E_NS_C" "$E2E_DEV_C")
	if [ -z "$BENCH_NAPI_SRV" ] || [ -z "$BENCH_NAPI_ATK" ]; then
		bench_err "threaded NAPI threads not found"
		return 1
	fi
	for p in $BENCH_NAPI_SRV; do taskset -pc "$SRV_CPU" "$p" >/dev/null || return 1; done
	for p in $BENCH_NAPI_ATK; do taskset -pc "$GEN_CPU" "$p" >/dev/null || return 1; done
	for p in $BENCH_NAPI_CLI; do taskset -pc "$CLI_CPU" "$p" >/dev/null || return 1; done
	return 0
}

bench_up() {
	local obj pair ns dev
	e2e_topology_up || return 1
	if ! mkdir -p "$BENCH_BPFFS" || ! mount -t bpf bpf "$BENCH_BPFFS"; then
		bench_err "cannot mount a bpffs at $BENCH_BPFFS"
		return 1
	fi
	BENCH_MOUNTED=1
	obj=$(bench_bpf_obj xdp_sink) || return 1
	ip -force -n "$E2E_NS_A" link set dev "$E2E_DEV_A" xdpdrv obj "$obj" sec xdp || {
		bench_err "cannot attach the XDP sink to $E2E_DEV_A"
		return 1
	}
	for pair in "$E2E_NS_S:$E2E_DEV_SC" "$E2E_NS_S:$E2E_DEV_SA" \
		"$E2E_NS_C:$E2E_DEV_C" "$E2E_NS_A:$E2E_DEV_A"; do
		ns=${pair%%:*} dev=${pair#*:}
		ip netns exec "$ns" sh -c "echo 1 > /sys/class/net/$dev/threaded" || {
			bench_err "cannot switch $dev to threaded NAPI"
			return 1
		}
	done
	bench_pin_napi
}

# Echo server (sgpeer.py serve) in the server namespace on SRV_CPU.
bench_server_start() {
	BENCH_SRV_PID=$(e2e_bg s taskset -c "$SRV_CPU" python3 "$PEER" serve --port "$BENCH_PORT")
	e2e_wait_port s "$BENCH_PORT" 10
}

# bench_sg_start ENGINE [extra run options]: synguard on both server
# veths (the client's and the attacker's), native XDP, pinned to SRV_CPU.
# The first daemon (sga0) serves /metrics on the server namespace's
# loopback and sets the sysctls the engine needs (restored when it
# exits, so it is stopped last).
bench_sg_start() {
	local engine=$1 dev pid i extra log
	shift
	BENCH_SG_PIDS=()
	for dev in "$E2E_DEV_SA" "$E2E_DEV_SC"; do
		if [ "$dev" = "$E2E_DEV_SA" ]; then
			extra=(--set-sysctl --metrics "127.0.0.1:$BENCH_MPORT")
		else
			extra=(--metrics off)
		fi
		pid=$(e2e_bg s taskset -c "$SRV_CPU" "$SG" run "$dev" --ports "$BENCH_PORT" \
			--mode native --cookie "$engine" "${extra[@]}" "$@")
		BENCH_SG_PIDS+=("$pid")
		log=$(e2e_bg_log "$pid")
		for ((i = 0; i < 100; i++)); do
			grep -q 'ready on' "$log" && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if ! grep -q 'ready on' "$log"; then
			bench_err "synguard on $dev did not start:"
			sed 's/^/    /' "$log" >&2
			return 1
		fi
	done
	bench_pin_napi
}

bench_sg_ready_lines() {
	local p
	for p in "${BENCH_SG_PIDS[@]}"; do
		grep -h 'ready on' "$(e2e_bg_log "$p")"
	done
}

bench_sg_stop() {
	local i dev
	[ ${#BENCH_SG_PIDS[@]} -gt 0 ] || return 0
	for ((i = ${#BENCH_SG_PIDS[@]} - 1; i >= 0; i--)); do
		e2e_kill "${BENCH_SG_PIDS[i]}"
	done
	BENCH_SG_PIDS=()
	# after a kill -9 (e2e_kill's last resort) XDP, TC filter and pins stay
	for dev in "$E2E_DEV_SA" "$E2E_DEV_SC"; do
		e2e_in s "$SG" detach "$dev" >/dev/null 2>&1 || true
	done
	return 0
}

# Trap function: stop synguard, unmount the bpffs (lib.sh then removes
# processes and namespaces).
bench_cleanup() {
	if [ -n "$BENCH_DURING_PID" ]; then
		kill -TERM "$BENCH_DURING_PID" 2>/dev/null
		wait "$BENCH_DURING_PID" 2>/dev/null
	fi
	bench_sg_stop
	if [ "$BENCH_MOUNTED" = 1 ]; then
		umount -l "$BENCH_BPFFS" 2>/dev/null
		BENCH_MOUNTED=0
	fi
	rmdir "$BENCH_BPFFS" 2>/dev/null
	return 0
}

# No TCP state carried from one run to the next: the server's TIME_WAIT
# sockets, its TCP metrics (RTT of "proven" peers), conntrack entries,
# leftover client sockets.
bench_reset_tcp() {
	ip -n "$E2E_NS_S" tcp_metrics flush all 2>/dev/null
	e2e_in s ss -K -Htn state time-wait >/dev/null 2>&1
	e2e_in c ss -K -Htn state all >/dev/null 2>&1
	if command -v conntrack >/dev/null; then
		e2e_in s conntrack -F >/dev/null 2>&1
	fi
	return 0
}

# bench_flood_start RATE SECONDS: spoofed SYN flood (lib.sh: trafgen in the
# attacker namespace under timeout and a packet cap), RATE pps (0 = as
# fast as the generator goes). Make it outlast the measurement window and
# end it with bench_flood_stop, so that the generator is alive when the
# window closes (a thread that exited cannot be accounted).
bench_flood_start() {
	e2e_flood_start syn "$1" "$2"
}

# bench_flood_stop: SIGINT the floods (timeout passes it to trafgen, which
# prints its totals), reap them; the packet count is in E2E_FLOOD_SENT.
bench_flood_stop() {
	local p
	for p in "${E2E_FLOODS[@]}"; do
		kill -INT "$p" 2>/dev/null
	done
	e2e_flood_wait >/dev/null
}

# bench_window DIR TAG COUNT INTERVAL [PRE_BUSY] [--during CMD...]
# One measurement window: snapshot, legit probe (COUNT connections paced
# every INTERVAL s from the client namespace on CLI_CPU), snapshot, diff.
# With --during, CMD runs in the foreground while the probe runs (demo:
# a live view). Writes DIR/TAG.probe.json and DIR/TAG.diff.json.
bench_window() {
	local dir=$1 tag=$2 count=$3 interval=$4 pre=${5:-} ppid f
	shift 5 2>/dev/null || shift $#
	local links=(--link "$E2E_NS_S:$E2E_DEV_SA" --link "$E2E_NS_S:$E2E_DEV_SC"
		--link "$E2E_NS_A:$E2E_DEV_A" --link "$E2E_NS_C:$E2E_DEV_C")
	local sgargs=()
	[ ${#BENCH_SG_PIDS[@]} -gt 0 ] && sgargs=(--sg "$SG" --pin-root "$SYNGUARD_PIN_ROOT")
	python3 "$SGB" snap "${links[@]}" --srv "$E2E_NS_S" "${sgargs[@]}" >"$dir/$tag.a.json"
	ip netns exec "$E2E_NS_C" taskset -c "$CLI_CPU" python3 "$PEER" probe \
		--host "$E2E_IP4_SC" --port "$BENCH_PORT" --count "$count" \
		--interval "$interval" --parallel 16 --timeout 5 \
		>"$dir/$tag.probe.json" 2>"$dir/$tag.probe.err" &
	ppid=$!
	if [ "${1:-}" = --during ]; then
		# in the background, so that a signal to this script is handled
		# at once (bash runs traps only between foreground commands)
		shift
		"$@" &
		BENCH_DURING_PID=$!
		wait "$BENCH_DURING_PID"
		BENCH_DURING_PID=
	fi
	wait "$ppid"
	python3 "$SGB" snap "${links[@]}" --srv "$E2E_NS_S" "${sgargs[@]}" >"$dir/$tag.b.json"
	f=(--role "server_app=$BENCH_SRV_PID"
		--role "server_napi=${BENCH_NAPI_SRV// /,}"
		--role "synguard=$(
			IFS=,
			echo "${BENCH_SG_PIDS[*]}"
		)"
		--role "generator=$(
			IFS=,
			echo "${E2E_FLOODS[*]}"
		)"
		--role "attacker_napi=${BENCH_NAPI_ATK// /,}"
		--role "client_app=$ppid"
		--role "client_napi=${BENCH_NAPI_CLI// /,}"
		--bench $$)
	[ -n "$pre" ] && f+=(--pre-busy "$pre")
	python3 "$SGB" diff "$dir/$tag.a.json" "$dir/$tag.b.json" "${f[@]}" >"$dir/$tag.diff.json"
}

# bench_summary DIR TAG: one JSON object with the figures the demo and
# the bench report (CPU, SYN rates, probe).
bench_summary() {
	python3 - "$1/$2.diff.json" "$1/$2.probe.json" "$SRV_CPU" "$GEN_CPU" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
try:
    p = json.load(open(sys.argv[2]))
except ValueError:
    p = {"count": 0, "ok": 0, "p50_ms": None, "p99_ms": None, "errors": {"probe_failed": 1}}
r = d["cpu_by_role_pct"]
dt = d["interval_s"]
lk = d["links"]
syn_in = lk.get("sga0", {}).get("rx_packets", 0)
srv = r.get("server_app", 0) + r.get("server_napi", 0) + r.get("synguard", 0)
sg = d.get("synguard", {})
tx_synack = sum(v.get("tx_synack", 0) for v in sg.values()) if sg else None
sp = d.get("synproxy")
out = {
    "interval_s": dt,
    "syn_in": syn_in,
    "syn_in_pps": round(syn_in / dt),
    "ring_drop_pps": round(lk.get("atk0", {}).get("tx_dropped", 0) / dt),
    "offered_pps": round((lk.get("atk0", {}).get("tx_packets", 0)
                          + lk.get("atk0", {}).get("tx_dropped", 0)) / dt),
    "server_cpu_pct": round(srv, 1),
    "server_app_pct": r.get("server_app", 0),
    "server_napi_pct": r.get("server_napi", 0),
    "synguard_daemon_pct": r.get("synguard", 0),
    "generator_cpu_pct": round(r.get("generator", 0) + r.get("attacker_napi", 0), 1),
    "client_cpu_pct": round(r.get("client_app", 0) + r.get("client_napi", 0), 1),
    "other_cpu_pct": r.get("other", 0),
    "kernel_misc_pct": r.get("kernel_misc", 0),
    "unaccounted_pct": d.get("unaccounted_pct"),
    "cpu": {k: v["busy_pct"] for k, v in d["cpu"].items()},
    "srv_cpu_busy_pct": d["cpu"].get("cpu" + sys.argv[3], {}).get("busy_pct"),
    "gen_cpu_busy_pct": d["cpu"].get("cpu" + sys.argv[4], {}).get("busy_pct"),
    "cpu_s_per_msyn": round(srv / 100.0 * dt / syn_in * 1e6, 3) if syn_in > 1000 else None,
    "cookies_sent": d["tcp"].get("TcpExtSyncookiesSent", 0),
    "cookies_recv": d["tcp"].get("TcpExtSyncookiesRecv", 0),
    "listen_drops": d["tcp"].get("TcpExtListenDrops", 0),
    "tx_synack": tx_synack,
    "synproxy_syn": sp.get("syn_received") if sp else None,
    "synguard": sg,
    "legit_count": p.get("count", 0), "legit_ok": p.get("ok", 0),
    "legit_ok_pct": round(100.0 * p.get("ok", 0) / p["count"], 2) if p.get("count") else 0.0,
    "p50_ms": p.get("p50_ms"), "p99_ms": p.get("p99_ms"), "max_ms": p.get("max_ms"),
    "errors": p.get("errors", {}),
    "contaminated": d["contaminated"], "contamination": d["contamination"],
    "other_top": d.get("other_top", {}),
    "kernel_misc_top": d.get("kernel_misc_top", {}),
}
print(json.dumps(out))
PY
}
