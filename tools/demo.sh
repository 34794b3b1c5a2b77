#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# make demo: synguard defending a real server against a spoofed SYN flood,
# side by side with the kernel's own SYN cookies. As root, from a built
# tree (.output/synguard), in about a minute:
#
#   1. three network namespaces (client, server, attacker) on veth pairs
#      (tests/e2e/lib.sh), threaded NAPI pinned so the server's packet
#      path runs on one CPU, an echo server (tests/e2e/sgpeer.py serve);
#   2. round 1: the kernel alone (net.ipv4.tcp_syncookies=1) under a
#      spoofed SYN flood at the generator's full rate, legitimate clients
#      connecting throughout;
#   3. round 2: the same flood with `synguard run` (own engine, native XDP)
#      on the server's two interfaces, with `synguard stats --watch` live;
#   4. a side-by-side table, an excerpt of /metrics, teardown (also on
#      Ctrl-C).
#
# Everything happens inside the namespaces it creates; the root namespace
# is not changed. Environment: DEMO_FLOOD_SECONDS (20), DEMO_CONNS_PER_S
# (10), SG (binary, default .output/synguard).
set -u
cd "$(dirname "$0")/.." || exit 1
E2E_PREFIX=sgdemo$$
BENCH_NAME=demo
# shellcheck source=tools/bench/benchlib.sh
source tools/bench/benchlib.sh

FLOOD_S=${DEMO_FLOOD_SECONDS:-20}
RATE=${DEMO_CONNS_PER_S:-10}
WARM=2
PROBE_S=$((FLOOD_S - WARM - 2))
[ "$PROBE_S" -ge 4 ] || PROBE_S=4
COUNT=$((PROBE_S * RATE))
INTERVAL=$(awk -v r="$RATE" 'BEGIN { printf "%.4f", 1 / r }')
W=

if [ -t 1 ]; then
	B=$'\e[1m' D=$'\e[2m' G=$'\e[32m' Y=$'\e[33m' R=$'\e[31m' N=$'\e[0m'
else
	B='' D='' G='' Y='' R='' N=''
fi
say() { printf '%s\n' "$*"; }
hdr() { printf '\n%s== %s ==%s\n' "$B" "$*" "$N"; }
note() { printf '%s%s%s\n' "$D" "$*" "$N"; }

# shellcheck disable=SC2317 # called from the EXIT trap
demo_cleanup() {
	printf '\n%s\n' "Tearing down (synguard, processes, namespaces, bpffs)..."
	bench_cleanup
	[ -n "$W" ] && rm -rf "$W"
	return 0
}
e2e_trap demo_cleanup

T0=$SECONDS
bench_require || exit 1
W=$(mktemp -d /tmp/sg-demo.XXXXXX) || exit 1

hdr "synguard demo"
say "A small echo server is flooded with spoofed SYNs (random sources in 198.19.0.0/16)"
say "while legitimate clients keep connecting to it. Two rounds of the same flood:"
say "  1. the kernel alone, with its own SYN cookies (net.ipv4.tcp_syncookies=1)"
say "  2. synguard in front: XDP answers every SYN with a cookie SYN-ACK on the NIC's"
say "     receive path; only verified handshakes reach the kernel"
say ""
say "Setting up three network namespaces joined by veth pairs:"
say "  client ${E2E_NS_C} (cli0 $E2E_IP4_C) -> server ${E2E_NS_S} (sgc0 $E2E_IP4_SC | sga0 $E2E_IP4_SA) <- attacker ${E2E_NS_A} (atk0)"
if ! bench_up; then
	bench_err "setup failed"
	exit 1
fi
e2e_in s sysctl -qw net.ipv4.tcp_syncookies=1
if ! bench_server_start; then
	bench_err "echo server did not start: $(cat "$(e2e_bg_log "$BENCH_SRV_PID")")"
	exit 1
fi
say "  echo server (tests/e2e/sgpeer.py) on port $BENCH_PORT in the server namespace"
note "  Server CPU = CPU $SRV_CPU. The veths run threaded NAPI and the server's NAPI threads"
note "  are pinned to CPU $SRV_CPU with the echo server, so everything the server does for a"
note "  packet (XDP, IP, TCP, SYN-ACK) is charged to it, like a NIC whose interrupt is affined"
note "  there. The flood generator (trafgen) runs on CPU $GEN_CPU. Server CPU below is the"
note "  on-CPU time of those threads (/proc/PID/task/TID/schedstat) in % of one core."

# round TAG: flood, probe, live view ($@ = command shown while the probe runs)
round() {
	local tag=$1 pre st
	shift
	read -r pre st < <(python3 "$SGB" busy 1)
	bench_reset_tcp
	bench_flood_start 0 $((FLOOD_S + 10)) || return 1
	sleep "$WARM"
	bench_window "$W" "$tag" "$COUNT" "$INTERVAL" "$pre" --during "$@"
	bench_flood_stop
	bench_summary "$W" "$tag" >"$W/$tag.sum.json"
}

hdr "Round 1/2: the kernel alone (tcp_syncookies=1)"
say "Flood: trafgen at full speed for ~${FLOOD_S} s. Legit clients: $COUNT connections, $RATE per second,"
say "each connect + 64-byte echo (timeout 5 s). Every 2 s, as the server sees it:"
round kernel python3 "$SGB" live --srv "$E2E_NS_S" --link "$E2E_NS_S:$E2E_DEV_SA" \
	--interval 2 --count $((PROBE_S / 2)) || exit 1

hdr "Round 2/2: synguard (own engine, native XDP on sgc0 and sga0)"
if ! bench_sg_start own; then
	bench_err "synguard did not start"
	exit 1
fi
bench_sg_ready_lines | sed 's/^/  /'
say "The same flood. Live: synguard stats sga0 --watch --interval 2 (counters, rates per second):"
round synguard e2e_in s "$SG" stats "$E2E_DEV_SA" --watch --interval 2 \
	--count $((PROBE_S / 2 + 1)) || exit 1

# /metrics while the daemon still runs
if command -v curl >/dev/null; then
	curl_out=$(e2e_in s curl -sS --max-time 5 "http://127.0.0.1:$BENCH_MPORT/metrics" 2>&1)
else # same request without curl
	curl_out=$(e2e_in s python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end="")' \
		"http://127.0.0.1:$BENCH_MPORT/metrics" 2>&1)
fi

hdr "Results (measured over the ${PROBE_S} s legit-client window of each round)"
python3 - "$W/kernel.sum.json" "$W/synguard.sum.json" "$B" "$N" "$G" "$R" "$Y" <<'PY'
import json, sys
k, s = (json.load(open(f)) for f in sys.argv[1:3])
B, N, G, R, Y = sys.argv[3:8]

def ok(r):
    c = G if r["legit_ok_pct"] >= 100 else R
    return f"{c}{r['legit_ok']}/{r['legit_count']} ({r['legit_ok_pct']:.1f} %){N}", \
        len(f"{r['legit_ok']}/{r['legit_count']} ({r['legit_ok_pct']:.1f} %)")

def ms(v):
    return "–" if v is None else (f"{v:.2f}" if v < 10 else f"{v:.0f}")

def k_(v):
    return f"{v:,}"

rows = [
    ("legit connections ok", ok(k), ok(s)),
    ("connect p50 / p99 (ms)", f"{ms(k['p50_ms'])} / {ms(k['p99_ms'])}", f"{ms(s['p50_ms'])} / {ms(s['p99_ms'])}"),
    ("server CPU (% of one core)", f"{k['server_cpu_pct']:.0f} %", f"{s['server_cpu_pct']:.0f} %"),
    ("SYNs seen (sga0 rx)", k_(k["syn_in"]), k_(s["syn_in"])),
    ("  = SYNs per second", f"{k['syn_in_pps']:,}/s", f"{s['syn_in_pps']:,}/s"),
    ("SYN-ACKs sent", f"{k_(k['cookies_sent'])} (TcpExtSyncookiesSent)", f"{k_(s['tx_synack'] or 0)} (tx_synack)"),
    ("handshakes completed by cookie", f"{k_(k['cookies_recv'])} (TcpExtSyncookiesRecv)",
     f"{k_(sum(v.get('handoff_ok', 0) for v in s['synguard'].values()))} (handoff_ok)"),
    ("SYNs lost before the server (ring full)", f"{k['ring_drop_pps']:,}/s", f"{s['ring_drop_pps']:,}/s"),
    ("CPU per 1 M SYNs (server CPU s)", "–" if k["cpu_s_per_msyn"] is None else f"{k['cpu_s_per_msyn']:.2f} s",
     "–" if s["cpu_s_per_msyn"] is None else f"{s['cpu_s_per_msyn']:.2f} s"),
]
w0 = max(len(r[0]) for r in rows) + 2
w1 = 36
print(f"  {B}{'':{w0}}{'kernel alone':{w1}}synguard{N}")
for name, a, b in rows:
    if isinstance(a, tuple):
        a = a[0] + " " * (w1 - a[1])
        b = b[0]
    else:
        a = f"{a:{w1}}"
    print(f"  {name:{w0}}{a}{b}")
for name, r in (("kernel", k), ("synguard", s)):
    if r["errors"]:
        print(f"  {name}: failed connections: " + ", ".join(f"{e} {n}" for e, n in r["errors"].items()))
print()
sys.path.insert(0, "tools/bench")
from sgbench import bound_of

def bound(r):
    return bound_of({"flood": "max", "srv_cpu": r["server_cpu_pct"], "syn_kpps": r["syn_in_pps"] / 1000,
                     "ringdrop_kpps": r["ring_drop_pps"] / 1000, "srv_cpu_busy": r["srv_cpu_busy_pct"]})

print(f"  Generator (trafgen + attacker NAPI): {k['generator_cpu_pct']:.0f} % / {s['generator_cpu_pct']:.0f} % "
      "of a core (kernel / synguard round).")
if s["cpu_s_per_msyn"] and k["cpu_s_per_msyn"]:
    f = k["cpu_s_per_msyn"] / s["cpu_s_per_msyn"]
    if f >= 1.2:
        print(f"  Per SYN, the server spent {f:.1f}x less CPU with synguard: the SYN is answered in XDP,")
        print("  with no socket, no trip through IP and TCP, no SYN-ACK routed back through the stack.")
    else:
        print(f"  Per SYN, the server's CPU cost was similar in both rounds ({f:.1f}x).")
for name, r in (("kernel alone", k), ("synguard", s)):
    b = bound(r)
    if b == "generator":
        print(f"  {name}: the server kept up with every SYN offered; the flood generator (one CPU) was the limit.")
    elif b == "server CPU":
        print(f"  {name}: the server CPU was saturated; SYNs it could not take were lost in the receive")
        print("    ring (legit SYNs among them, until retransmitted).")
    elif b.startswith("server CPU shared"):
        print(f"  {name}: the server CPU was busy with other work on this machine; SYNs were lost in the ring.")
    else:
        print(f"  {name}: some SYNs were lost in the receive ring ({r['ring_drop_pps']:,}/s) although the server")
        print("    CPU was not saturated (bursts, NAPI thread wake-up latency).")
bad = [(n, r) for n, r in (("round 1", k), ("round 2", s)) if r["contaminated"]]
for n, r in bad:
    print(f"  {Y}Warning: {n} was disturbed by other load on this machine: {'; '.join(r['contamination'])}.{N}")
if bad:
    print(f"  {Y}Its CPU and rate figures are not representative; run the demo on an idle machine.{N}")
PY

hdr "synguard's Prometheus endpoint (curl http://127.0.0.1:$BENCH_MPORT/metrics in the server namespace)"
if echo "$curl_out" | grep -q '^synguard_'; then
	echo "$curl_out" | grep -E '^synguard_(syn_received_total|synack_sent_total|ack_cookie_(valid|invalid)_total|connections_handed_total|half_open|xdp_attached|build_info)' |
		grep -v ' 0$' | head -n 14 | sed 's/^/  /'
	note "  ($(echo "$curl_out" | grep -c '^synguard_') samples in all; counters that are 0 left out)"
else
	say "  (no metrics: $curl_out)"
fi
note "(demo took $((SECONDS - T0)) s)"
exit 0
