#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Where real servers live: synguard must not break a legitimate
# connection, whatever the listener and the path. With synguard (own
# engine) on the server's interface towards the client, real clients
# connect:
#   - to an MPTCP listener (MPTCP and plain TCP clients): its SYNs go to
#     the kernel (the hand-off refuses MPTCP listeners);
#   - over an 802.1Q VLAN and over QinQ (802.1ad + 802.1Q) devices: cookies
#     answered by XDP on the physical device, handed off on the device
#     where the frame is untagged; after kill -9, `synguard detach` also
#     removes the TC filters the daemon put on the VLAN devices;
#   - to a DNAT'd, container-style service (the listener is in another
#     namespace behind nft DNAT): no local listener, so the kernel's;
#   - to an address the server does not own: no SYN-ACK from synguard;
#   - with TCP-MD5 (RFC 2385): the kernel's to check;
#   - with XDP metadata off (drivers without it): TC checks the cookie;
#   - sending the handshake's ACK and the first data segment in one
#     receive batch (a raw-frame client): handed off once, the data kept.
# Each case checks the connection's data and synguard's counters.
#
#   bash tests/e2e/test_realworld.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

SG=${SG:-$ROOT/.output/asan/synguard}
PEER=$ROOT/tests/e2e/sgpeer.py
BPFFS=/run/synguard-e2e.$E2E_PREFIX
PINS=$BPFFS/synguard
P_PLAIN=8080 P_MPTCP=8083 P_DNAT=8084 P_MD5=8086
PORTS=$P_PLAIN,$P_MPTCP,$P_DNAT,$P_MD5
NS_K=${E2E_PREFIX}k # the "container" behind DNAT
MD5KEY=synguard-md5-key
BURST=${E2E_BURST:-100}

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }

SG_PID=""
cleanup() {
	[ -n "$SG_PID" ] && kill -TERM "$SG_PID" 2>/dev/null
	ip netns del "$NS_K" 2>/dev/null
	e2e_bpffs_umount "$BPFFS"
}
e2e_trap cleanup

if [ ! -x "$SG" ]; then
	fail "e2e setup" "$SG missing (make first)"
	exit 1
fi
e2e_topology_up || {
	fail "e2e setup" "topology"
	exit 1
}
mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || {
	fail "e2e setup" "cannot mount bpffs at $BPFFS"
	exit 1
}
export SYNGUARD_PIN_ROOT=$PINS LIBXDP_BPFFS=$BPFFS
DEV=$E2E_DEV_SC

# ---- extra topology ----
# VLAN 100 and QinQ (802.1ad 200, 802.1Q 300) over the client link, the
# tags in the frames (both ends send them in band).
setup_vlans() {
	local side dev ns a
	for side in s c; do
		if [ $side = s ]; then dev=$E2E_DEV_SC a=1; else dev=$E2E_DEV_C a=2; fi
		ns=$(_e2e_ns $side)
		ip -n "$ns" link add link "$dev" name v100 type vlan id 100 || return 1
		ip -n "$ns" link add link "$dev" name q200 type vlan proto 802.1ad id 200 || return 1
		ip -n "$ns" link add link q200 name q300 type vlan id 300 || return 1
		ip -n "$ns" addr add 198.18.100.$a/24 dev v100 || return 1
		ip -n "$ns" addr add 198.18.200.$a/24 dev q300 || return 1
		ip -n "$ns" link set v100 up && ip -n "$ns" link set q200 up &&
			ip -n "$ns" link set q300 up || return 1
	done
	# The tags in the frames, both ways, as on a wire into a NIC with
	# VLAN stripping off (README): a veth would otherwise hand them over
	# out of band (skb->vlan_tci), where the XDP programs on both ends
	# cannot see them, and an untagged SYN-ACK or reply would reach the
	# client by accident (802.1Q) or not at all (QinQ).
	# Two tags in band make a full-sized frame 4 bytes longer than veth
	# forwards at MTU 1500 (it allows one tag): the links get 1504, as a
	# QinQ trunk gets its extra bytes; the VLAN devices keep 1500.
	ip netns exec "$E2E_NS_C" ethtool -K "$E2E_DEV_C" txvlan off \
		tx-vlan-stag-hw-insert off >/dev/null &&
		ip netns exec "$E2E_NS_S" ethtool -K "$E2E_DEV_SC" txvlan off \
			tx-vlan-stag-hw-insert off >/dev/null &&
		ip -n "$E2E_NS_C" link set "$E2E_DEV_C" mtu 1504 &&
		ip -n "$E2E_NS_S" link set "$E2E_DEV_SC" mtu 1504 || return 1
	# Static neighbours: no ARP through the XDP program.
	ip -n "$E2E_NS_C" neigh replace 198.18.100.1 lladdr "$E2E_MAC_SC" dev v100 nud permanent &&
		ip -n "$E2E_NS_C" neigh replace 198.18.200.1 lladdr "$E2E_MAC_SC" dev q300 nud permanent &&
		ip -n "$E2E_NS_S" neigh replace 198.18.100.2 lladdr "$E2E_MAC_C" dev v100 nud permanent &&
		ip -n "$E2E_NS_S" neigh replace 198.18.200.2 lladdr "$E2E_MAC_C" dev q300 nud permanent
}
# A container-style namespace behind DNAT: 198.18.0.1:P_DNAT -> 10.77.0.2:80.
setup_dnat() {
	ip netns add "$NS_K" || return 1
	ip -n "$NS_K" link set lo up &&
		ip -n "$E2E_NS_S" link add kc0 type veth peer name k0 netns "$NS_K" &&
		ip -n "$E2E_NS_S" addr add 10.77.0.1/24 dev kc0 &&
		ip -n "$NS_K" addr add 10.77.0.2/24 dev k0 &&
		ip -n "$E2E_NS_S" link set kc0 up && ip -n "$NS_K" link set k0 up &&
		ip -n "$NS_K" route add default via 10.77.0.1 &&
		e2e_in s sysctl -qw net.ipv4.ip_forward=1 || return 1
	e2e_in s nft -f - <<EOF || return 1
table ip sgdnat {
	chain pre {
		type nat hook prerouting priority dstnat;
		ip daddr $E2E_IP4_SC tcp dport $P_DNAT dnat to 10.77.0.2:80
	}
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "kc0" masquerade
	}
}
EOF
}
HAVE_VLAN=1
if ! ip -n "$E2E_NS_S" link add link "$E2E_DEV_SC" name vprobe type vlan id 4000 2>/dev/null; then
	HAVE_VLAN=0 # this kernel has no 802.1Q (CONFIG_VLAN_8021Q)
else
	ip -n "$E2E_NS_S" link del vprobe
	if ! setup_vlans; then
		fail "e2e setup" "VLAN/QinQ devices"
		exit 1
	fi
fi


e2e_in s sysctl -qw net.ipv4.tcp_syncookies=1 net.mptcp.enabled=1
e2e_in c sysctl -qw net.mptcp.enabled=1
SRV=$(e2e_bg s python3 "$PEER" serve --port $P_PLAIN)
MSRV=$(e2e_bg s python3 "$PEER" serve --port $P_MPTCP --mptcp)
MD5SRV=$(e2e_bg s python3 "$PEER" serve --port $P_MD5 --bind "$E2E_IP4_SC" \
	--md5 $MD5KEY --md5-peer "$E2E_IP4_C")
for p in $P_PLAIN $P_MPTCP $P_MD5; do
	e2e_wait_port s $p || {
		fail "e2e setup" "server on $p: $(cat "$(e2e_bg_log "$SRV")" "$(e2e_bg_log "$MSRV")" "$(e2e_bg_log "$MD5SRV")")"
		exit 1
	}
done

sg_start() { # extra synguard run options
	local i
	SG_PID=$(e2e_bg s "$SG" run "$DEV" --ports $PORTS --metrics off "$@")
	for i in $(seq 150); do
		grep -q 'ready on' "$(e2e_bg_log "$SG_PID")" && break
		kill -0 "$SG_PID" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q 'ready on' "$(e2e_bg_log "$SG_PID")"; then
		fail "synguard starts" "$(cat "$(e2e_bg_log "$SG_PID")")"
		exit 1
	fi
	# The daemon follows addresses and listeners once a second.
	for i in $(seq 30); do
		e2e_in s "$SG" status --json 2>/dev/null | grep -q '"local_scope": true' && break
		sleep 0.1
	done
}
sg_stop() {
	[ -n "$SG_PID" ] || return 0
	kill -TERM "$SG_PID"
	for _ in $(seq 100); do
		kill -0 "$SG_PID" 2>/dev/null || break
		sleep 0.1
	done
	SG_PID=""
}
# Counter deltas: snap NAME... then delta NAME.
declare -A SNAP
stats() {
	e2e_in s "$SG" stats "$DEV" --json 2>/dev/null
}
snap() {
	local j n
	j=$(stats)
	for n in "$@"; do
		SNAP[$n]=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]][sys.argv[3]])' "$j" "$DEV" "$n" 2>/dev/null || echo 0)
	done
}
# Every counter that moved since snap_all, "name +N ..." (for failures).
snap_all() { SNAP_ALL=$(stats); }
moved() {
	python3 -c '
import json, sys
a = json.loads(sys.argv[1] or "{}").get(sys.argv[3], {})
b = json.loads(sys.argv[2] or "{}").get(sys.argv[3], {})
print(" ".join("%s +%d" % (k, v - a.get(k, 0)) for k, v in sorted(b.items())
               if isinstance(v, int) and v != a.get(k, 0)) or "none")
' "${SNAP_ALL:-}" "$(stats)" "$DEV" 2>/dev/null || echo "?"
}
delta() {
	local v
	v=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]][sys.argv[3]])' "$(stats)" "$DEV" "$1" 2>/dev/null || echo 0)
	echo $((v - ${SNAP[$1]:-0}))
}
xfer() { # HOST PORT [sgpeer options]: 0 when the echo came back intact
	local host=$1 port=$2
	shift 2
	e2e_in c python3 "$PEER" xfer --host "$host" --port "$port" \
		--bytes 200000 --timeout 5 "$@" 2>&1
}
ok() { echo "$1" | grep -qE '"ok": ?true'; }
COUNTERS="tx_synack handoff_ok handoff_error pass_cookie_ok pass_mptcp pass_no_listener pass_not_local pass_tcp_auth handoff_dup handoff_deferred tc_verified meta_failed"

sg_start

# ---- status: which protected ports synguard answers, and why not ----
# Polled up to 3 s for a state (the daemon follows listeners once a
# second); the assertion is on what status says, not on when.
ports_line() { e2e_in s "$SG" status 2>/dev/null | sed -n 's/^  ports  *//p'; }
ports_json() {
	e2e_in s "$SG" status --json 2>/dev/null | python3 -c 'import json, sys
p = json.load(sys.stdin)["interfaces"][sys.argv[1]]["ports"]
print(p["answered"], p["no_listener"], p["mptcp"])' "$DEV" 2>&1
}
wait_ports() { # expected ports line
	local i line
	for i in $(seq 30); do
		line=$(ports_line)
		[ "$line" = "$1" ] && break
		sleep 0.1
	done
	echo "$line"
}
want="answered $P_PLAIN,$P_MD5; nobody listening on $P_DNAT (SYNs go to the kernel); MPTCP listener on $P_MPTCP (left to the kernel)"
line=$(wait_ports "$want")
json=$(ports_json)
if [ "$line" = "$want" ] && [ "$json" = "$P_PLAIN,$P_MD5 $P_DNAT $P_MPTCP" ]; then
	pass "status: protected ports by listener ('$line'; json: $json)"
else
	fail "status: protected ports by listener" "'$line', want '$want'; json $json"
fi
TMPSRV=$(e2e_bg s python3 "$PEER" serve --port $P_DNAT)
e2e_wait_port s $P_DNAT
want2="answered $P_PLAIN,$P_DNAT,$P_MD5; MPTCP listener on $P_MPTCP (left to the kernel)"
line=$(wait_ports "$want2")
e2e_kill "$TMPSRV"
line2=$(wait_ports "$want")
if [ "$line" = "$want2" ] && [ "$line2" = "$want" ]; then
	pass "status: a listener that comes and goes is followed ('$line', then '$line2')"
else
	fail "status: a listener that comes and goes" "with a listener on $P_DNAT: '$line' (want '$want2'); after: '$line2'"
fi

# ---- plain: the cookie path works at all ----
snap $COUNTERS
got=$(xfer "$E2E_IP4_SC" $P_PLAIN)
if ok "$got" && [ "$(delta tx_synack)" = 1 ] && [ "$(delta handoff_ok)" = 1 ]; then
	pass "plain listener: answered by synguard's cookie and handed off"
else
	fail "plain listener" "$got; tx_synack +$(delta tx_synack) handoff_ok +$(delta handoff_ok)"
fi

# ---- MPTCP ----
snap $COUNTERS
m0=$(e2e_nstat_get c MPTcpExtMPCapableSYNACKRX)
got=$(xfer "$E2E_IP4_SC" $P_MPTCP --mptcp)
got2=$(xfer "$E2E_IP4_SC" $P_MPTCP)
got6=$(xfer "$E2E_IP6_SC" $P_MPTCP --mptcp)
m1=$(e2e_nstat_get c MPTcpExtMPCapableSYNACKRX)
if ok "$got" && ok "$got6" && [ $((m1 - m0)) -ge 2 ]; then
	pass "MPTCP listener, MPTCP clients (IPv4, IPv6): MPTCP negotiated ($((m1 - m0)) MP_CAPABLE SYN-ACKs), data intact"
else
	fail "MPTCP listener, MPTCP clients" "$got / $got6; MP_CAPABLE SYN-ACKs +$((m1 - m0))"
fi
if ok "$got2"; then
	pass "MPTCP listener, plain TCP client: data intact"
else
	fail "MPTCP listener, plain TCP client" "$got2"
fi
if [ "$(delta pass_mptcp)" -ge 3 ] && [ "$(delta tx_synack)" = 0 ]; then
	pass "MPTCP listener's SYNs and segments left to the kernel (pass_mptcp +$(delta pass_mptcp), no cookie)"
else
	fail "MPTCP listener's SYNs left to the kernel" "pass_mptcp +$(delta pass_mptcp) tx_synack +$(delta tx_synack)"
fi

# ---- VLAN and QinQ ----
# After a failed VLAN case: sockets, drop counters and device counters
# on both ends (indented, for the log).
vlan_diag() {
	local side d
	for side in s c; do
		echo "  [$side] sockets:"
		e2e_in $side ss -tani 2>&1 | sed 's/^/    /' | head -n 20
		echo "  [$side] nonzero TCP/IP drop counters:"
		e2e_in $side nstat -az 2>/dev/null |
			awk '$2 != 0 && $1 ~ /Drop|Fail|Err|Discard|Retrans|Cookie|Reset/' |
			sed 's/^/    /' | head -n 30
		for d in "$@" $([ $side = s ] && echo "$E2E_DEV_SC" || echo "$E2E_DEV_C"); do
			echo "    $d rx $(e2e_dev_stat $side "$d" rx_packets) tx $(e2e_dev_stat $side "$d" tx_packets) rx_dropped $(e2e_dev_stat $side "$d" rx_dropped) tx_dropped $(e2e_dev_stat $side "$d" tx_dropped)"
		done
	done
}
# Packets the client received on one of its devices.
rxp() { ip netns exec "$E2E_NS_C" cat "/sys/class/net/$1/statistics/rx_packets"; }
vlan_cases() {
snap $COUNTERS
snap_all
r0=$(rxp v100)
got=$(xfer 198.18.100.1 $P_PLAIN)
r1=$(rxp v100)
# The SYN-ACK and the replies came back tagged: through the client's v100.
if ok "$got" && [ "$(delta tx_synack)" = 1 ] && [ "$(delta handoff_ok)" = 1 ] &&
	[ $((r1 - r0)) -ge 2 ]; then
	pass "802.1Q VLAN: cookie answered by XDP, handed off, data intact"
else
	fail "802.1Q VLAN" "$got; counters moved: $(moved); client v100 received $((r1 - r0))"
fi
snap $COUNTERS
snap_all
r0=$(rxp q300)
got=$(xfer 198.18.200.1 $P_PLAIN)
r1=$(rxp q300)
if ok "$got" && [ "$(delta tx_synack)" = 1 ] && [ "$(delta handoff_ok)" = 1 ] &&
	[ $((r1 - r0)) -ge 2 ]; then
	pass "QinQ: cookie answered by XDP, handed off above the tags (deferred +$(delta handoff_deferred), verified at TC +$(delta tc_verified)), data intact"
else
	fail "QinQ" "$got; counters moved: $(moved); client q300 received $((r1 - r0))"
	vlan_diag q300 q200
fi
}
if [ $HAVE_VLAN = 1 ]; then
	vlan_cases
else
	echo "SKIP: 802.1Q VLAN and QinQ: this kernel ($(uname -r)) has no 802.1Q support; make check-kernels runs them on Debian's kernels"
fi

# ---- an address the server does not own ----
snap $COUNTERS
e2e_in c ip neigh replace 198.18.0.99 lladdr "$E2E_MAC_SC" dev "$E2E_DEV_C" nud permanent
got=$(e2e_in c python3 "$PEER" probe --host 198.18.0.99 --port $P_PLAIN --count 1 --timeout 2 2>&1)
if [ "$(delta tx_synack)" = 0 ] && [ "$(delta pass_not_local)" -ge 1 ] &&
	echo "$got" | grep -qE '"ok": ?0'; then
	pass "SYN to an address the server does not own: no SYN-ACK (pass_not_local +$(delta pass_not_local))"
else
	fail "SYN to an address the server does not own" "tx_synack +$(delta tx_synack) pass_not_local +$(delta pass_not_local); $got"
fi

# ---- TCP-MD5 ----
snap $COUNTERS
got=$(xfer "$E2E_IP4_SC" $P_MD5 --md5 $MD5KEY)
if ok "$got" && [ "$(delta pass_tcp_auth)" -ge 1 ] && [ "$(delta tx_synack)" = 0 ]; then
	pass "TCP-MD5 connection: left to the kernel (pass_tcp_auth +$(delta pass_tcp_auth)), data intact"
else
	fail "TCP-MD5 connection" "$got; pass_tcp_auth +$(delta pass_tcp_auth) tx_synack +$(delta tx_synack)"
fi

# ---- the ACK and the first data in one batch ----
# A raw-frame client sends the handshake's ACK and its first data segment
# in one system call and never retransmits; with the server's NAPI in a
# thread both reach XDP, and TC, in one batch, before the kernel has made
# the socket. Intact means the server acknowledged and echoed the data.
snap $COUNTERS
e2e_in s sh -c "echo 1 > /sys/class/net/$DEV/threaded"
e2e_in c nft -f - <<EOF
table inet sgnorst {
	chain out {
		type filter hook output priority 0;
		oifname "$E2E_DEV_C" tcp sport 20000-60000 tcp flags rst drop
	}
}
EOF
got=$(e2e_in c python3 tests/e2e/sgraw.py ackdata --iface "$E2E_DEV_C" \
	--smac "$E2E_MAC_C" --dmac "$E2E_MAC_SC" --src "$E2E_IP4_C" \
	--dst "$E2E_IP4_SC" --dport $P_PLAIN --count "$BURST" 2>&1)
e2e_in c nft delete table inet sgnorst
e2e_in s sh -c "echo 0 > /sys/class/net/$DEV/threaded"
intact=$(echo "$got" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["intact"])' 2>/dev/null)
if [ "${intact:-0}" = "$BURST" ] && [ "$(delta handoff_ok)" = "$BURST" ] &&
	[ "$(delta handoff_dup)" -ge 1 ]; then
	pass "ACK and first data in one batch, $BURST connections: every first segment kept, one hand-off each ($(delta handoff_dup) data segments met their ACK at TC)"
else
	fail "ACK and first data in one batch" "$got; handoff_ok +$(delta handoff_ok) handoff_dup +$(delta handoff_dup) (0: the case never arose, nothing proven)"
fi

# ---- XDP metadata off ----
sg_stop
sg_start --xdp-meta off
snap $COUNTERS
got=$(xfer "$E2E_IP4_SC" $P_PLAIN)
got6=$(xfer "$E2E_IP6_SC" $P_PLAIN)
st=$(e2e_in s "$SG" status 2>&1)
if ok "$got" && ok "$got6" && [ "$(delta tx_synack)" = 2 ] &&
	[ "$(delta tc_verified)" = 2 ] && [ "$(delta handoff_ok)" = 2 ] &&
	echo "$st" | grep -q "TC checks the cookie itself"; then
	pass "--xdp-meta off: TC verifies the cookie and hands off (IPv4, IPv6), status says so"
else
	fail "--xdp-meta off" "$got / $got6; tx_synack +$(delta tx_synack) tc_verified +$(delta tc_verified) handoff_ok +$(delta handoff_ok); $st"
fi
sg_stop

# ---- NAT: a DNAT'd, container-style service ----
# Conntrack NAT in the namespace (any nat chain, as on a Docker host)
# undoes the own engine's hand-off (Linux drops the request socket at its
# LOCAL_IN NAT hook): the own engine leaves that family's SYNs to the
# kernel; the kernel engine keeps protecting them.
if ! setup_dnat; then
	fail "e2e setup" "the DNAT namespace"
	exit 1
fi
DSRV=$(e2e_bg "$NS_K" python3 "$PEER" serve --port 80)
e2e_wait_port "$NS_K" 80 || {
	fail "e2e setup" "container server: $(cat "$(e2e_bg_log "$DSRV")")"
	exit 1
}
COUNTERS="$COUNTERS pass_nat"
sg_start --cookie own
snap $COUNTERS
got=$(xfer "$E2E_IP4_SC" $P_DNAT)
if ok "$got" && [ "$(delta tx_synack)" = 0 ] && [ "$(delta pass_no_listener)" -ge 1 ]; then
	pass "DNAT'd service in another namespace: left to the kernel (no local listener), data intact"
else
	fail "DNAT'd service" "$got; tx_synack +$(delta tx_synack) pass_no_listener +$(delta pass_no_listener)"
fi
snap $COUNTERS
got=$(xfer "$E2E_IP4_SC" $P_PLAIN)
got6=$(xfer "$E2E_IP6_SC" $P_PLAIN)
log=$(cat "$(e2e_bg_log "$SG_PID")")
if ok "$got" && [ "$(delta pass_nat)" = 1 ] && ok "$got6" &&
	[ "$(delta tx_synack)" = 1 ] && echo "$log" | grep -q "connection-tracking NAT"; then
	pass "own engine with NAT set up: IPv4 SYNs left to the kernel (warned), IPv6 still answered, both intact"
else
	fail "own engine with NAT set up" "$got / $got6; pass_nat +$(delta pass_nat) tx_synack +$(delta tx_synack); $log"
fi
sg_stop
sg_start --cookie kernel --set-sysctl
snap $COUNTERS
got=$(xfer "$E2E_IP4_SC" $P_PLAIN)
got2=$(xfer "$E2E_IP4_SC" $P_DNAT)
if ok "$got" && ok "$got2" && [ "$(delta tx_synack)" = 1 ] && [ "$(delta pass_no_listener)" -ge 1 ]; then
	pass "kernel engine with NAT set up: the local listener protected (kernel cookie), the DNAT'd service the kernel's, both intact"
else
	fail "kernel engine with NAT set up" "$got / $got2; tx_synack +$(delta tx_synack) pass_no_listener +$(delta pass_no_listener)"
fi
sg_stop

# ---- a crashed daemon's filters on the VLAN devices go with detach ----
sgfilters() { # the devices of the server namespace with synguard's filter
	local d
	for d in "$DEV" v100 q200 q300; do
		ip netns exec "$E2E_NS_S" tc filter show dev "$d" ingress 2>/dev/null |
			grep -q "handle 0x5347" && echo -n "$d "
	done
}
if [ $HAVE_VLAN = 1 ]; then
	sg_start --cookie own
	before=$(sgfilters)
	kill -KILL "$SG_PID"
	for _ in $(seq 50); do
		kill -0 "$SG_PID" 2>/dev/null || break
		sleep 0.1
	done
	SG_PID=""
	left=$(sgfilters)
	out=$(e2e_in s "$SG" detach "$DEV" 2>&1)
	after=$(sgfilters)
	if [ "$before" = "$DEV v100 q200 q300 " ] && [ "$left" = "$before" ] && [ -z "$after" ]; then
		pass "kill -9 leaves the TC filters on $DEV and the VLAN devices above it; 'synguard detach $DEV' removes all four"
	else
		fail "detach after kill -9 removes the VLAN devices' filters" \
			"running: '$before'; after kill -9: '$left'; after detach: '$after'; $out"
	fi
fi
exit 0
