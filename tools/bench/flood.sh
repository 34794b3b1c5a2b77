#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Flood bench (the namespace part of `make bench`): the same spoofed SYN
# flood at the generator's full rate against one server CPU, for
#
#   own            synguard, own engine, native XDP on both server veths
#   kernel-engine  synguard, kernel engine, native XDP (tcp_syncookies=2)
#   kernel         the kernel alone (tcp_syncookies=1)
#   synproxy       nft SYNPROXY (tcp_syncookies=1)
#
# and, for each, REPS measurement windows of SECONDS (medians reported):
#   (a) SYNs/s into the server interface (sga0 rx) at the generator's full
#       rate, SYNs lost in the receive ring (atk0 tx_dropped), and whether
#       legitimate clients still all got through;
#   (b) server CPU per million SYNs: (server app + server NAPI threads +
#       synguard daemon) CPU seconds / SYNs in x 1e6;
#   (c) legitimate success rate and connect p50/p99 under that flood
#       (tests/e2e/sgpeer.py probe, CONNS_PER_S paced connections).
# A reference window without flood comes first; a calibration row
# (xdp-drop: every SYN dropped in XDP on sga0, no defence) gives the floor
# (the cost of getting a packet from the veth into XDP on this machine)
# and the highest rate the generator can offer. If the kernel alone loses
# legitimate connections at full rate, paced floods find the rate it
# survives. The report gives the ratio "SYN rate synguard absorbs with
# 100 % legit success / SYN rate the kernel alone survives with 100 %" and
# which bound applies (generator or server CPU).
#
# Topology: tests/e2e/lib.sh (sourced) via tools/bench/benchlib.sh, with
# threaded NAPI pinned (server CPU = SRV_CPU, generator = GEN_CPU). Every
# window is checked for other load on the machine (sgbench.py diff);
# contaminated windows are retried (RETRIES) and flagged; medians use the
# clean windows when there are any.
#
# usage: tools/bench/flood.sh [-o OUT.md] [-n REPS] [-d SECONDS]
#                             [-D "own kernel-engine kernel synproxy"]
#                             [-q QUIET_WAIT_S] [-r RETRIES] [-c CONNS_PER_S]
# environment: FLOOD_OUT, FLOOD_REPS (3), FLOOD_SECONDS (10),
#   FLOOD_DEFENSES, FLOOD_QUIET_WAIT (10), FLOOD_RETRIES (1),
#   FLOOD_CONNS_PER_S (100), FLOOD_BASELINE (1: the no-flood window),
#   FLOOD_FLOOR (1: the xdp-drop calibration row),
#   SG (binary, default .output/synguard), SRV_CPU/GEN_CPU/CLI_CPU.
# Output: OUT.md (default bench/flood.md) and the raw windows in OUT.jsonl.
set -u
cd "$(dirname "$0")/../.." || exit 1
E2E_PREFIX=sgflood$$
BENCH_NAME=flood
# shellcheck source=tools/bench/benchlib.sh
source tools/bench/benchlib.sh

OUT=${FLOOD_OUT:-bench/flood.md}
REPS=${FLOOD_REPS:-3}
SECS=${FLOOD_SECONDS:-10}
DEFENSES=${FLOOD_DEFENSES:-own kernel-engine kernel synproxy}
QUIET_WAIT=${FLOOD_QUIET_WAIT:-10}
RETRIES=${FLOOD_RETRIES:-1}
CPS=${FLOOD_CONNS_PER_S:-100}
BASELINE=${FLOOD_BASELINE:-1}
FLOOR=${FLOOD_FLOOR:-1}
WARM=2
while getopts "o:n:d:D:q:r:c:h" o; do
	case $o in
	o) OUT=$OPTARG ;;
	n) REPS=$OPTARG ;;
	d) SECS=$OPTARG ;;
	D) DEFENSES=$OPTARG ;;
	q) QUIET_WAIT=$OPTARG ;;
	r) RETRIES=$OPTARG ;;
	c) CPS=$OPTARG ;;
	*)
		sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 2
		;;
	esac
done
for v in REPS SECS QUIET_WAIT RETRIES CPS; do
	if ! [[ ${!v} =~ ^[0-9]+$ ]]; then
		bench_err "$v must be a non-negative integer"
		exit 2
	fi
done
if [ "$SECS" -lt 2 ] || [ "$SECS" -gt 120 ] || [ "$REPS" -lt 1 ] || [ "$CPS" -lt 1 ]; then
	bench_err "need 2 <= SECONDS <= 120, REPS >= 1, CONNS_PER_S >= 1"
	exit 2
fi
for d in $DEFENSES; do
	case $d in own | kernel-engine | kernel | synproxy | xdp-drop) ;; *)
		bench_err "unknown defense '$d' (own kernel-engine kernel synproxy)"
		exit 2
		;;
	esac
done

bench_require || exit 1
DROP_OBJ=$(bench_bpf_obj xdp_drop) || exit 1
if [ "$FLOOR" = 1 ] && [[ " $DEFENSES " != *" xdp-drop "* ]]; then
	DEFENSES="$DEFENSES xdp-drop"
fi
if [[ " $DEFENSES " == *" synproxy "* ]] && ! command -v nft >/dev/null; then
	bench_err "nft not installed (apt-get install nftables): skipping synproxy"
	DEFENSES=${DEFENSES//synproxy/}
fi

mkdir -p "$(dirname "$OUT")" || exit 1
JSONL=${OUT%.md}.jsonl
W=$(mktemp -d /tmp/sg-flood.XXXXXX) || exit 1
: >"$W/runs.jsonl"
flood_cleanup() {
	bench_cleanup
	rm -rf "$W"
	return 0
}
e2e_trap flood_cleanup

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

label_of() {
	case $1 in
	none) echo "no flood (reference, kernel)" ;;
	own) echo "synguard own engine, native XDP" ;;
	kernel-engine) echo "synguard kernel engine, native XDP" ;;
	kernel) echo "kernel alone (tcp_syncookies=1)" ;;
	kernel@*) echo "kernel alone, paced flood" ;;
	synproxy) echo "nft synproxy (tcp_syncookies=1)" ;;
	xdp-drop) echo "floor: XDP_DROP on sga0 (no defence, calibration)" ;;
	esac
}

NFT_TABLE=sgbench_synproxy
defense_on() {
	case $1 in
	none | kernel | kernel@*)
		e2e_in s sysctl -qw net.ipv4.tcp_syncookies=1
		;;
	own)
		e2e_in s sysctl -qw net.ipv4.tcp_syncookies=1
		# --synack-rate 0: answer every SYN (no per-prefix reflection
		# guard), as the kernel does, so the cost per SYN compares
		bench_sg_start own --synack-rate 0
		;;
	kernel-engine)
		bench_sg_start kernel --synack-rate 0
		;;
	xdp-drop)
		ip -n "$E2E_NS_S" link set dev "$E2E_DEV_SA" xdpdrv obj "$DROP_OBJ" sec xdp &&
			bench_pin_napi
		;;
	synproxy)
		# SYNs to the port are untracked in raw prerouting and answered
		# by SYNPROXY with a cookie; the completing ACK is checked by
		# SYNPROXY, which then opens the connection to the server.
		e2e_in s nft -f - <<NFT || return 1
table inet $NFT_TABLE {
	counter syn_untracked {}
	counter proxied {}
	counter ct_invalid {}
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		iifname { "$E2E_DEV_SA", "$E2E_DEV_SC" } tcp dport $BENCH_PORT tcp flags & (fin | syn | rst | ack) == syn counter name syn_untracked notrack
	}
	chain in {
		type filter hook input priority filter; policy accept;
		meta nfproto ipv4 tcp dport $BENCH_PORT ct state invalid,untracked counter name proxied synproxy mss 1460 wscale 7 timestamp sack-perm
		meta nfproto ipv6 tcp dport $BENCH_PORT ct state invalid,untracked counter name proxied synproxy mss 1440 wscale 7 timestamp sack-perm
		ct state invalid counter name ct_invalid drop
	}
}
NFT
		# tcp_loose=0: the completing ACK must not be picked up by
		# conntrack as a mid-stream connection. TIME_WAIT 1 s: SYNs are
		# untracked, so conntrack never sees the SYN that would recycle
		# a TIME_WAIT entry, and a client reusing its source port within
		# the default 120 s stalls (a SYNPROXY artefact, not the flood's)
		e2e_in s sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.tcp_timestamps=1 \
			net.netfilter.nf_conntrack_tcp_loose=0 \
			net.netfilter.nf_conntrack_tcp_timeout_time_wait=1
		;;
	esac
}

defense_off() {
	case $1 in
	own | kernel-engine) bench_sg_stop ;;
	synproxy) e2e_in s nft delete table inet "$NFT_TABLE" 2>/dev/null ;;
	xdp-drop) ip -n "$E2E_NS_S" link set dev "$E2E_DEV_SA" xdpdrv off ;;
	esac
	e2e_in s sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.tcp_timestamps=1
	return 0
}

# one_run KEY RATE REP: one window; appends a JSON record; prints a line.
# Returns 3 when the window was contaminated.
one_run() {
	local key=$1 rate=$2 rep=$3 try=$4 pre tag flood
	tag=$key.$rep.$try
	pre=$(python3 "$SGB" quiet "$QUIET_WAIT" 15)
	defense_on "$key" || {
		bench_err "cannot set up '$key'"
		defense_off "$key"
		return 1
	}
	bench_reset_tcp
	flood=none
	if [ "$rate" != none ]; then
		bench_flood_start "$rate" $((WARM + SECS + 15)) || return 1
		sleep "$WARM"
		if [ "$rate" = 0 ]; then flood="max (1 generator CPU)"; else flood="paced $((rate / 1000)) kpps"; fi
	fi
	bench_window "$W" "$tag" $((CPS * SECS)) "$(awk -v r="$CPS" 'BEGIN { printf "%.5f", 1 / r }')" "$pre"
	[ "$rate" != none ] && bench_flood_stop
	defense_off "$key"
	bench_summary "$W" "$tag" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
r.update(defense=sys.argv[1], label=sys.argv[2], flood=sys.argv[3], rep=int(sys.argv[4]),
         attempt=int(sys.argv[5]), pre_busy_pct=float(sys.argv[6] or -1),
         trafgen_sent=int(sys.argv[7]))
r["synack_pps"] = round((r["tx_synack"] if r["tx_synack"] is not None else
                         (r["synproxy_syn"] or 0) + r["cookies_sent"]) / r["interval_s"])
print(json.dumps(r))' "$key" "$(label_of "$key")" "$flood" "$rep" "$try" "$pre" "${E2E_FLOOD_SENT:-0}" \
		>"$W/rec.json" || return 1
	cat "$W/rec.json" >>"$W/runs.jsonl"
	python3 - "$W/rec.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = "  CONTAMINATED: " + "; ".join(r["contamination"]) if r["contaminated"] else ""
cpm = "–" if r["cpu_s_per_msyn"] is None else f"{r['cpu_s_per_msyn']:.2f}"
print(f"  {r['defense']:13s} rep {r['rep']}: SYNs in {r['syn_in_pps'] / 1000:6.1f} k/s "
      f"(offered {r['offered_pps'] / 1000:.1f}k, ring drops {r['ring_drop_pps'] / 1000:.1f}k/s) | "
      f"server CPU {r['server_cpu_pct']:.0f}% = {cpm} s/M SYN | generator {r['generator_cpu_pct']:.0f}% | "
      f"legit {r['legit_ok']}/{r['legit_count']} p50 {r['p50_ms']} p99 {r['p99_ms']} ms{c}", flush=True)
sys.exit(3 if r["contaminated"] else 0)
PY
}

# run_rep KEY RATE REP: one window, retried up to RETRIES times while it
# comes out contaminated. Returns 1 on a setup failure.
run_rep() {
	local try rc
	for ((try = 0; try <= RETRIES; try++)); do
		one_run "$1" "$2" "$3" "$try"
		rc=$?
		[ $rc = 3 ] || break
	done
	[ $rc != 1 ]
}

T0=$SECONDS
log "flood bench: defenses [$DEFENSES], $REPS x ${SECS} s windows, $CPS legit conn/s, server CPU $SRV_CPU, generator CPU $GEN_CPU"
bench_up || exit 1
bench_server_start || {
	bench_err "echo server did not start"
	exit 1
}

if [ "$BASELINE" = 1 ]; then
	log "reference: no flood"
	run_rep none none 1 || exit 1
fi
# Interleaved (rep outer, defense inner): slow drifts in the machine's
# load hit every defense alike.
for ((r = 1; r <= REPS; r++)); do
	for d in $DEFENSES; do
		log "$d, rep $r/$REPS: flood at full generator rate"
		run_rep "$d" 0 "$r" || exit 1
	done
done

# The kernel alone at full rate lost legitimate connections? Find a paced
# rate it survives (fractions of what it took in at full rate).
if [[ " $DEFENSES " == *" kernel "* ]]; then
	kmax=$(python3 - "$W/runs.jsonl" <<'PY'
import json, statistics, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
k = [r for r in rs if r["defense"] == "kernel"]
clean = [r for r in k if not r["contaminated"]] or k
if k and min(r["legit_ok_pct"] for r in clean) < 100:
    print(int(statistics.median(r["syn_in_pps"] for r in clean)))
PY
	)
	if [ -n "$kmax" ]; then
		for f in 75 50 25; do
			rate=$((kmax * f / 100))
			[ "$rate" -ge 1000 ] || break
			log "kernel alone lost legit connections at full rate: paced flood at $rate pps"
			run_rep "kernel@$rate" "$rate" 1 || exit 1
			ok=$(tail -n 1 "$W/runs.jsonl" | python3 -c 'import json,sys; print(int(json.loads(sys.stdin.read())["legit_ok_pct"] >= 100))')
			[ "$ok" = 1 ] && break
		done
	fi
fi

machine="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores, kernel $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC')"
cp "$W/runs.jsonl" "$JSONL"
{
	python3 "$SGB" report "$JSONL" --machine "$machine" \
		--setup "$SECS s windows x $REPS (medians); legit clients $CPS conn/s; server CPU = CPU $SRV_CPU, generator (trafgen, 1 CPU) = CPU $GEN_CPU, legit client = CPU $CLI_CPU"
} >"$OUT.tmp" && mv -f "$OUT.tmp" "$OUT" || exit 1
cat "$OUT"
log "wrote $OUT and $JSONL in $((SECONDS - T0)) s"
exit 0
