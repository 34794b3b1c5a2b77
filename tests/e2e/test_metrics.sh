#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The /metrics endpoint end to end: a live scrape passes `promtool check
# metrics`; a real Prometheus (scrape interval 1 s, storage in a temp dir,
# loopback in the server namespace) scrapes synguard during a small flood and
# its API shows rate(synguard_synack_sent_total) > 0 and the counter equal
# to `synguard stats --json`; 200 concurrent scrapes succeed; 1,000
# garbage, oversized and half-open connections neither crash the daemon nor
# stall the next scrape; wrong paths and methods get 404/405.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

SG=${SG:-$ROOT/.output/asan/synguard} # the ASan/UBSan build
PEER=$ROOT/tests/e2e/sgpeer.py
PORT=8080
MPORT=9630
PROMPORT=19090
BPFFS=/run/synguard-e2e.$E2E_PREFIX
TMP=$(mktemp -d /tmp/sg-metrics.XXXXXX)

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }

cleanup() {
	[ -n "${SGPID:-}" ] && kill -TERM "$SGPID" 2>/dev/null
	[ -n "${PROMPID:-}" ] && kill -TERM "$PROMPID" 2>/dev/null
	sleep 0.5
	if mountpoint -q "$BPFFS" 2>/dev/null; then
		umount -l "$BPFFS"
	fi
	rmdir "$BPFFS" 2>/dev/null
	rm -rf "$TMP"
	return 0
}
e2e_trap cleanup

e2e_topology_up || {
	fail "metrics setup" "topology"
	exit 1
}
mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || {
	fail "metrics setup" "bpffs"
	exit 1
}
export SYNGUARD_PIN_ROOT=$BPFFS/synguard
e2e_in s sysctl -qw net.ipv4.tcp_syncookies=1
e2e_bg s python3 "$PEER" serve --port $PORT >/dev/null

SGPID=$(e2e_bg s "$SG" run $E2E_DEV_SA --ports $PORT --metrics 127.0.0.1:$MPORT)
for _ in $(seq 100); do
	grep -q 'ready on' "$(e2e_bg_log "$SGPID")" && break
	sleep 0.1
done
if ! grep -q "metrics 127.0.0.1:$MPORT" "$(e2e_bg_log "$SGPID")"; then
	fail "metrics: daemon serves /metrics" "$(cat "$(e2e_bg_log "$SGPID")")"
	exit 1
fi

scrape() { e2e_in s curl -sS --max-time 5 "http://127.0.0.1:$MPORT${1:-/metrics}"; }

# promtool on a live scrape, with traffic behind the numbers.
e2e_flood_start syn 5000 1 >/dev/null
e2e_flood_wait >/dev/null
scrape >"$TMP/scrape.txt"
if promtool check metrics <"$TMP/scrape.txt" >"$TMP/promtool.txt" 2>&1 &&
	grep -q "^synguard_synack_sent_total{interface=\"sga0\"} [1-9]" "$TMP/scrape.txt"; then
	pass "metrics: live scrape passes promtool check metrics ($(grep -c '^synguard_' "$TMP/scrape.txt") samples)"
else
	fail "metrics: live scrape passes promtool" "$(cat "$TMP/promtool.txt"; head -5 "$TMP/scrape.txt")"
fi
hdr=$(e2e_in s curl -sS -D - -o /dev/null "http://127.0.0.1:$MPORT/metrics")
if echo "$hdr" | grep -qi '^content-type: text/plain; version=0.0.4'; then
	pass "metrics: Content-Type text/plain; version=0.0.4"
else
	fail "metrics: Content-Type" "$hdr"
fi

# Paths and methods.
codes=""
for spec in "GET /" "GET /nope" "HEAD /metrics" "POST /metrics" "PUT /" "DELETE /metrics"; do
	set -- $spec
	if [ "$1" = HEAD ]; then
		c=$(e2e_in s curl -s -o /dev/null -w '%{http_code}' --head "http://127.0.0.1:$MPORT$2")
	else
		c=$(e2e_in s curl -s -o /dev/null -w '%{http_code}' -X "$1" "http://127.0.0.1:$MPORT$2")
	fi
	codes="$codes $1$2=$c"
done
if [ "$codes" = " GET/=200 GET/nope=404 HEAD/metrics=200 POST/metrics=405 PUT/=405 DELETE/metrics=405" ]; then
	pass "metrics: GET/HEAD only, 404 elsewhere, 405 for other methods"
else
	fail "metrics: paths and methods" "$codes"
fi

# A real Prometheus scraping every second during a flood.
cat >"$TMP/prom.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $ROOT/tools/prometheus/synguard.rules.yml
scrape_configs:
  - job_name: synguard
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF
PROMPID=$(e2e_bg s prometheus --config.file="$TMP/prom.yml" \
	--storage.tsdb.path="$TMP/tsdb" --web.listen-address=127.0.0.1:$PROMPORT \
	--log.level=warn)
query() { # PROMQL -> first value
	e2e_in s curl -sS --max-time 5 -G "http://127.0.0.1:$PROMPORT/api/v1/query" 2>/dev/null \
		--data-urlencode "query=$1" |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")' 2>/dev/null
}
for _ in $(seq 60); do
	[ "$(query 'up{job="synguard"}')" = 1 ] && break
	sleep 0.5
done
e2e_flood_start syn 20000 6 >/dev/null
sleep 4
rate=$(query 'rate(synguard_synack_sent_total{interface="sga0"}[3s])')
e2e_flood_wait >/dev/null
if python3 -c "import sys; sys.exit(0 if float('$rate') > 0 else 1)" 2>/dev/null; then
	pass "metrics: Prometheus scrapes synguard: rate(synguard_synack_sent_total[3s]) = $rate/s during the flood"
else
	fail "metrics: Prometheus sees the flood" "rate=$rate; prometheus log: $(tail -5 "$(e2e_bg_log "$PROMPID")")"
fi
# Counters settle after the flood; Prometheus must agree with stats
# within one scrape interval.
sleep 2.5
want=$(e2e_in s "$SG" stats $E2E_DEV_SA --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["sga0"]["tx_synack"])')
got=none
for _ in $(seq 10); do
	got=$(query 'synguard_synack_sent_total{interface="sga0"}')
	[ "$got" = "$want" ] && break
	sleep 0.5
done
if [ "$got" = "$want" ]; then
	pass "metrics: Prometheus's synguard_synack_sent_total equals synguard stats --json ($want)"
else
	fail "metrics: Prometheus value equals stats" "prometheus $got, stats $want"
fi

# The shipped alert rules, evaluated by this Prometheus.
rules=$(e2e_in s curl -sS --max-time 5 "http://127.0.0.1:$PROMPORT/api/v1/rules" |
	python3 -c 'import json,sys; r=[x for g in json.load(sys.stdin)["data"]["groups"] for x in g["rules"]]; print(len(r), sum(x["health"] == "ok" for x in r))')
alert=none
for _ in $(seq 20); do
	alert=$(e2e_in s curl -sS --max-time 5 "http://127.0.0.1:$PROMPORT/api/v1/alerts" |
		python3 -c 'import json,sys; a=[x for x in json.load(sys.stdin)["data"]["alerts"] if x["labels"]["alertname"] == "SynguardSynFlood" and x["labels"].get("interface") == "sga0"]; print(a[0]["state"] if a else "none")')
	[ "$alert" != none ] && break
	sleep 0.5
done
if [ "$rules" = "6 6" ] && [ "$alert" = pending ]; then
	pass "metrics: the 6 shipped alert rules load and evaluate (health ok); SynguardSynFlood is pending for sga0 after the flood"
else
	fail "metrics: shipped alert rules in Prometheus" "rules (loaded, healthy): $rules; SynguardSynFlood: $alert"
fi

# Every query of the shipped Grafana dashboard, against this Prometheus.
e2e_in s python3 tests/e2e/dashboard_check.py tools/grafana/synguard.json \
	"http://127.0.0.1:$PROMPORT" "127.0.0.1:$MPORT" sga0

# 200 concurrent scrapes, from 8 client addresses (25 each: under the
# per-address cap of 64).
got=$(e2e_in s python3 - $MPORT <<'EOF'
import concurrent.futures, http.client, sys
port = int(sys.argv[1])
def one(i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                   source_address=(f"127.0.0.{1 + i % 8}", 0))
    c.request("GET", "/metrics")
    r = c.getresponse()
    ok = r.status == 200 and b"synguard_build_info" in r.read()
    c.close()
    return ok
with concurrent.futures.ThreadPoolExecutor(200) as ex:
    print(sum(ex.map(one, range(200))))
EOF
)
if [ "$got" = 200 ]; then
	pass "metrics: 200 concurrent scrapes from 8 addresses all succeed"
else
	fail "metrics: 200 concurrent scrapes" "$got succeeded"
fi

# One client address holds at most 64 connections: of 200 silent ones,
# the server keeps 64 and closes the rest at once; that address's next
# scrape is refused while they stay, another address's is served.
got=$(e2e_in s python3 - $MPORT <<'EOF'
import http.client, socket, sys, time
port = int(sys.argv[1])
socks = []
for i in range(200):
    s = socket.create_connection(("127.0.0.1", port), timeout=5,
                                 source_address=("127.0.0.3", 0))
    s.setblocking(False)  # still_open() must not wait
    socks.append(s)
def still_open(s):
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
held = 0
for _ in range(20):  # well inside the 5 s idle timeout
    time.sleep(0.1)
    held = sum(map(still_open, socks))
    if held <= 64:
        break
def scrape(src):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=3,
                                       source_address=(src, 0))
        c.request("GET", "/metrics")
        r = c.getresponse()
        return "served" if r.status == 200 and b"synguard_build_info" in r.read() else "bad"
    except (OSError, http.client.HTTPException):
        return "refused"
same, other = scrape("127.0.0.3"), scrape("127.0.0.4")
print(held, same, other, sum(map(still_open, socks)))
for s in socks:
    s.close()
EOF
)
if [ "$got" = "64 refused served 64" ]; then
	pass "metrics: one address holds at most 64 connections (of 200, 64 kept); its next scrape refused, another address served"
else
	fail "metrics: per-address connection cap" "held, same address, other address, held after: $got"
fi

# 1,000 hostile connections from one address, then a scrape from another.
got=$(e2e_in s python3 - $MPORT <<'EOF'
import http.client, socket, sys, time
port = int(sys.argv[1])
socks = []
for i in range(1000):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    kind = i % 4
    if kind == 0:
        s.sendall(b"\x00\xff garbage \r\n\r\n")
    elif kind == 1:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n")
    elif kind == 2:
        s.sendall(b"GET /metr")          # half a request, then silence
    # kind 3: connect and say nothing
    socks.append(s)
t = time.time()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=5,
                               source_address=("127.0.0.2", 0))
c.request("GET", "/metrics")
r = c.getresponse()
ok = r.status == 200 and b"synguard_build_info" in r.read()
print("ok" if ok else "bad", round((time.time() - t) * 1000, 1))
for s in socks:
    s.close()
EOF
)
if [ "${got%% *}" = ok ] && kill -0 "$SGPID" 2>/dev/null; then
	pass "metrics: 1000 garbage/oversized/half-open connections from one address, a scrape from another served in ${got#* } ms, daemon alive"
else
	fail "metrics: hostile connections" "$got; daemon alive: $(kill -0 "$SGPID" 2>/dev/null && echo yes || echo no)"
fi
if scrape | grep -q synguard_build_info; then
	pass "metrics: scrapes still served afterwards"
else
	fail "metrics: scrapes still served afterwards" "no answer"
fi

# Default address taken: a second daemon says so and runs on; an explicit
# address that cannot bind is an error.
pid2=$(e2e_bg s "$SG" run $E2E_DEV_SC --ports $PORT)
for _ in $(seq 100); do
	grep -q 'ready on' "$(e2e_bg_log "$pid2")" && break
	sleep 0.1
done
out=$(e2e_in s "$SG" run lo --ports 1 --metrics 127.0.0.1:$MPORT 2>&1)
rc=$?
if grep -q 'ready on sgc0' "$(e2e_bg_log "$pid2")" &&
	grep -q 'metrics: 127.0.0.1:9630 unavailable' "$(e2e_bg_log "$pid2")" &&
	[ $rc = 1 ] && echo "$out" | grep -q "couldn't serve metrics on 127.0.0.1:$MPORT"; then
	pass "metrics: default port taken warns and runs on; explicit address in use fails"
else
	fail "metrics: port in use" "rc=$rc out=$out log=$(cat "$(e2e_bg_log "$pid2")")"
fi
e2e_kill "$pid2"
if scrape | grep -q 'synguard_xdp_attached{interface="sgc0",mode="native"} 0'; then
	pass "metrics: the first daemon exports every interface (sgc0 shown stopped)"
else
	fail "metrics: every interface exported" "$(scrape | grep xdp_attached)"
fi
e2e_in s "$SG" detach $E2E_DEV_SC >/dev/null 2>&1

# Bad addresses are usage errors.
bad=0
for a in 127.0.0.1 127.0.0.1:0 127.0.0.1:65536 '[::1]' '::1:9630' 'host:9630' ':9630'; do
	e2e_in s "$SG" run $E2E_DEV_SC --ports $PORT --metrics "$a" >/dev/null 2>&1
	[ $? = 2 ] || bad="$bad $a"
done
if [ "$bad" = 0 ]; then
	pass "metrics: malformed --metrics addresses are usage errors"
else
	fail "metrics: malformed --metrics addresses" "accepted:$bad"
fi

kill -TERM "$SGPID"
for _ in $(seq 50); do
	kill -0 "$SGPID" 2>/dev/null || break
	sleep 0.1
done
if ! grep -qE 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' "$(e2e_bg_log "$SGPID")"; then
	pass "metrics: daemon under ASan/UBSan: no sanitizer report"
else
	fail "metrics: sanitizer report" "$(grep -m3 -E 'ERROR|runtime error' "$(e2e_bg_log "$SGPID")")"
fi
SGPID=""
e2e_in s "$SG" detach $E2E_DEV_SA >/dev/null 2>&1
exit 0
