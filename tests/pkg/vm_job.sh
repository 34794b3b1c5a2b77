#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The package test's guest half (tests/pkg/package.sh boots it under
# systemd, tools/kvm/vm.sh VM_INIT=systemd): install the .deb, run
# synguard@sgpkg0.service on a veth whose peer is in a namespace, check
# what systemd, the journal, the kernel, the unit's sandbox and /metrics
# say, make another instance fail, purge, and check that nothing is left.
# One PASS/FAIL line per check.
set -u
cd "$(dirname "$0")/../.." || exit 1
DEB=$(ls .output/deb/synguard_*.deb 2>/dev/null | grep -v dbgsym | head -n 1)
U=synguard@sgpkg0.service
pass() { echo "PASS: package: $1"; }
fail() { echo "FAIL: package: $1: $2"; }
check() { if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "$3"; fi; }
status_field() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"; }
echo "guest: $(uname -r), PID 1 $(cat /proc/1/comm), package $DEB"
[ -n "$DEB" ] || { fail "setup" "no .deb in .output/deb"; exit 1; }
files=$(dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }')

# A veth pair: sgpkg0 in the guest's own namespace (udev gives it the
# device unit the service binds to), its peer in a client namespace.
ip netns add pkgcli
ip link add sgpkg0 type veth peer name cli0 netns pkgcli
ip addr add 198.18.7.1/24 dev sgpkg0
ip -n pkgcli addr add 198.18.7.2/24 dev cli0
ethtool -K sgpkg0 gro on >/dev/null 2>&1
ip netns exec pkgcli ethtool -K cli0 gro on tx off >/dev/null 2>&1
ip link set sgpkg0 up
ip -n pkgcli link set cli0 up
# XDP_PASS on the client's end: on Linux 6.1 veth schedules the peer's NAPI
# after XDP_TX only when the peer has an XDP program, so synguard's
# SYN-ACKs would wait in cli0's ring (tests/e2e/xdp_peer.bpf.c; package.sh
# builds it before the guest boots).
source tests/e2e/lib.sh
peer=$(e2e_xdp_peer_obj) && ip -n pkgcli link set dev cli0 xdpdrv obj "$peer" sec xdp ||
	fail "setup" "no XDP_PASS program on cli0"
ip -n pkgcli link set lo up
udevadm settle -t 20 || echo "guest: no udevadm (apt-get install udev)"
for _ in $(seq 50); do systemctl is-active -q sys-subsystem-net-devices-sgpkg0.device && break; sleep 0.2; done

# man-db's trigger would re-index every manual page over 9p: minutes.
rm -f /var/lib/man-db/auto-update
out=$(DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB" 2>&1)
check "dpkg -i installs it" "$(dpkg-query -W -f='${Status}' synguard 2>/dev/null | grep -q 'install ok installed'; echo $?)" "$out"
missing=$(for f in $files; do [ -e "$f" ] || echo "$f"; done)
check "every file of the package is there ($(wc -w <<<"$files") files)" "$([ -z "$missing" ]; echo $?)" "$missing"
check "the unit runs /usr/sbin/synguard, conffile /etc/synguard/synguard.conf.example" \
	"$(grep -q '^ExecStart=/usr/sbin/synguard run %I' /lib/systemd/system/synguard@.service &&
		dpkg-query -W -f='${Conffiles}' synguard | grep -q '/etc/synguard/synguard.conf.example'; echo $?)" \
	"$(grep ExecStart= /lib/systemd/system/synguard@.service) / $(dpkg-query -W -f='${Conffiles}' synguard)"
pw=$(getent passwd synguard)
check "postinst made the system user synguard ($pw)" \
	"$(IFS=: read -r _ _ uid _ _ home shell <<<"$pw"; [ -n "$pw" ] && [ "$uid" -lt 1000 ] && [ "$uid" -gt 0 ] && [[ $shell == */nologin || $shell == */false ]]; echo $?)" "$pw"
check "man synguard finds synguard(8)" "$(man -w synguard 2>/dev/null | grep -q '/usr/share/man/man8/synguard.8'; echo $?)" "$(man -w synguard 2>&1)"

cat >/etc/synguard/sgpkg0.conf <<CONF
ports = 8080
set-sysctl = yes
metrics = 127.0.0.1:9630
CONF
# A short watchdog for the test: pings every 2 s must keep it alive.
mkdir -p /run/systemd/system/$U.d
printf '[Service]\nWatchdogSec=4s\n' >/run/systemd/system/$U.d/watchdog.conf
systemctl daemon-reload
start=$(date +%s.%N)
out=$(timeout 120 systemctl start $U 2>&1)
rc=$?
took=$(echo "$(date +%s.%N) - $start" | bc)
check "systemctl start $U (Type=notify: returns after READY=1, ${took%.*} s)" "$rc" "$out; $(journalctl -u $U -n 20 --no-pager)"
show=$(systemctl show $U -p ActiveState -p SubState -p Type -p NotifyAccess -p StatusText -p MainPID -p WatchdogUSec -p NRestarts)
st=$(sed -n 's/^StatusText=//p' <<<"$show")
check "systemd: active/running, Type=notify, NotifyAccess=main, STATUS '$st'" \
	"$(grep -qx ActiveState=active <<<"$show" && grep -qx Type=notify <<<"$show" && grep -qx NotifyAccess=main <<<"$show" &&
		[[ $st == 'protecting sgpkg0: XDP '*', engine kernel, ports 8080, metrics 127.0.0.1:9630' ]]; echo $?)" "$show"
check "XDP and the kernel's sysctl set on sgpkg0 when READY=1 arrived" \
	"$(ip -d link show dev sgpkg0 | grep -q 'prog/xdp' && [ "$(sysctl -n net.ipv4.tcp_syncookies)" = 2 ]; echo $?)" \
	"$(ip -d link show dev sgpkg0 | grep xdp); syncookies $(sysctl -n net.ipv4.tcp_syncookies)"
MAIN=$(sed -n 's/^MainPID=//p' <<<"$show")
# The sandbox as the daemon sees it (its mount namespace): the bpffs
# read-only but for its pin root and libxdp's directory, /proc/sys
# read-only but for net/ipv4; the unit's capability bounding set (CAP_BPF,
# NET_ADMIN, SYS_ADMIN, PERFMON, SYS_RESOURCE, SETUID, SETGID, SETPCAP,
# KILL); a seccomp filter (no mount calls to undo the read-only mounts).
mopt() { nsenter -t "$MAIN" -m findmnt -n -o OPTIONS -T "$1" 2>/dev/null | tail -n 1 | cut -d, -f1; }
sandbox="bpffs $(mopt /sys/fs/bpf), pins $(mopt /sys/fs/bpf/synguard/sgpkg0), libxdp $(mopt /sys/fs/bpf/xdp), /proc/sys $(mopt /proc/sys/net/core), net/ipv4 $(mopt /proc/sys/net/ipv4), /etc $(mopt /etc)"
expo=$(systemd-analyze security $U 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: //p')
check "sandbox: $sandbox; CapBnd $(status_field "$MAIN" CapBnd), seccomp $(status_field "$MAIN" Seccomp); exposure $expo" \
	"$([ "$sandbox" = "bpffs ro, pins rw, libxdp rw, /proc/sys ro, net/ipv4 rw, /etc ro" ] &&
		[ "$(status_field "$MAIN" CapBnd)" = 000000c0012011e0 ] && [ "$(status_field "$MAIN" Seccomp)" = 2 ] &&
		[ "$(status_field "$MAIN" NoNewPrivs)" = 1 ]; echo $?)" \
	"$(nsenter -t "$MAIN" -m findmnt -R /sys/fs/bpf 2>&1)"
prio=$(journalctl -u $U -o json --no-pager | python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    if "ready on sgpkg0" in str(e.get("MESSAGE", "")):
        print(e.get("PRIORITY"), str(e["MESSAGE"])[:3])')
check "journal: the ready line has PRIORITY 6 and no '<6>' left in the text ($prio)" \
	"$([ "${prio%% *}" = 6 ] && [[ ${prio#* } != '<'* ]]; echo $?)" "$prio"
C=$(cat /proc/"$MAIN"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -m1 .)
if [ -n "$C" ]; then
	caps="$(status_field "$C" CapPrm) $(status_field "$C" CapEff) $(status_field "$C" CapBnd)"
	check "metrics: HTTP process $C runs as synguard, no capabilities, NoNewPrivs, seccomp" \
		"$([ "$(status_field "$C" Uid | awk '{print $1}')" = "$(id -u synguard)" ] && [ "$caps" = "0000000000000000 0000000000000000 0000000000000000" ] &&
			[ "$(status_field "$C" NoNewPrivs)" = 1 ] && [ "$(status_field "$C" Seccomp)" = 2 ]; echo $?)" \
		"Uid $(status_field "$C" Uid) caps $caps NoNewPrivs $(status_field "$C" NoNewPrivs)"
else
	fail "metrics: HTTP process" "no child of $MAIN"
fi

# A real client through the defence, then /metrics.
python3 -m http.server --bind 198.18.7.1 8080 >/dev/null 2>&1 &
WEB=$!
for _ in $(seq 50); do ss -Hltn 'sport = :8080' | grep -q . && break; sleep 0.2; done
# The daemon follows listeners once a second; until it knows this one,
# SYNs to 8080 go to the kernel (README, limitations). Wait for it.
for _ in $(seq 30); do
	ports=$(/usr/sbin/synguard status 2>/dev/null | sed -n 's/^  ports  *//p')
	[ "$ports" = "answered 8080" ] && break
	sleep 0.1
done
check "status: port 8080 answered once the web server listens ($ports)" \
	"$([ "$ports" = "answered 8080" ]; echo $?)" "$(/usr/sbin/synguard status 2>&1 | tr '\n' ' ')"
ok=0
for _ in 1 2 3; do ip netns exec pkgcli curl -s -o /dev/null --max-time 10 http://198.18.7.1:8080/ && ok=$((ok + 1)); done
m=$(curl -s --max-time 10 http://127.0.0.1:9630/metrics)
syn=$(awk '$1 == "synguard_syn_received_total{interface=\"sgpkg0\"}" { print $2 }' <<<"$m")
handed=$(awk '$1 == "synguard_connections_handed_total{interface=\"sgpkg0\"}" { print $2 }' <<<"$m")
check "3 connections through XDP; /metrics: syn_received $syn, handed $handed, attached 1, version 0.1.0" \
	"$([ "$ok" = 3 ] && [ "${syn:-0}" -ge 3 ] && [ "${handed:-0}" -ge 3 ] &&
		grep -q '^synguard_xdp_attached{interface="sgpkg0",mode="[a-z]*"} 1' <<<"$m" &&
		grep -q '^synguard_build_info{version="0.1.0",engine="kernel"} 1' <<<"$m"; echo $?)" \
	"$ok connections; $(grep -E 'syn_received|handed|attached|build_info' <<<"$m" | tr '\n' ' ')"
kill "$WEB"

sleep 9
check "watchdog: still running after 9 s with WatchdogSec=4s, no restart" \
	"$(systemctl is-active -q $U && [ "$(systemctl show $U -p NRestarts --value)" = 0 ] && [ "$(systemctl show $U -p MainPID --value)" = "$MAIN" ]; echo $?)" \
	"$(systemctl show $U -p ActiveState -p NRestarts -p MainPID | tr '\n' ' ')"
systemctl stop $U
check "systemctl stop: inactive, XDP removed, sysctl restored, pins kept" \
	"$(! systemctl is-active -q $U && ! ip -d link show dev sgpkg0 | grep -q prog/xdp && [ "$(sysctl -n net.ipv4.tcp_syncookies)" = 1 ] &&
		[ -d /sys/fs/bpf/synguard/sgpkg0 ] && journalctl -u $U --no-pager | grep -q 'detaching from sgpkg0'; echo $?)" \
	"$(systemctl show $U -p ActiveState -p Result -p ExecMainStatus | tr '\n' ' '); $(ip -d link show dev sgpkg0 | grep xdp); syncookies $(sysctl -n net.ipv4.tcp_syncookies); $(journalctl -u $U -n 12 --no-pager)"

# An instance that fails (no /etc/synguard/sgpkg1.conf; no restarts for the
# test): once the package is gone it must not stay listed as "not-found
# failed" (postrm resets it).
ip link add sgpkg1 type veth peer name cli1 netns pkgcli
ip link set sgpkg1 up
udevadm settle -t 20
for _ in $(seq 50); do systemctl is-active -q sys-subsystem-net-devices-sgpkg1.device && break; sleep 0.2; done
mkdir -p /run/systemd/system/synguard@sgpkg1.service.d
printf '[Service]\nRestart=no\n' >/run/systemd/system/synguard@sgpkg1.service.d/norestart.conf
systemctl daemon-reload
systemctl start synguard@sgpkg1.service 2>/dev/null
check "an instance without its config file fails to start" \
	"$(systemctl is-failed -q synguard@sgpkg1.service && journalctl -u synguard@sgpkg1.service --no-pager | grep -q sgpkg1.conf; echo $?)" \
	"$(systemctl show synguard@sgpkg1.service -p ActiveState -p Result | tr '\n' ' '); $(journalctl -u synguard@sgpkg1.service -n 5 --no-pager)"
# The test's drop-ins go; the shipped unit (WatchdogSec=30s) runs below.
rm -rf /run/systemd/system/synguard@sgpkg1.service.d /run/systemd/system/$U.d
systemctl daemon-reload

# Purge with the service running.
systemctl enable -q $U 2>/dev/null
systemctl start $U
out=$(DEBIAN_FRONTEND=noninteractive dpkg --purge synguard 2>&1)
systemctl daemon-reload
left=$(for f in $files; do [ -e "$f" ] && echo "$f"; done)
check "dpkg --purge: not installed, none of its files left" \
	"$(! dpkg-query -W -f='${Status}' synguard 2>/dev/null | grep -q 'ok installed' && [ -z "$left" ]; echo $?)" "$out; left: $left"
check "purge: /etc/synguard, the user and group synguard, instance links gone" \
	"$([ ! -e /etc/synguard ] && ! getent passwd synguard >/dev/null && ! getent group synguard >/dev/null &&
		[ -z "$(ls /etc/systemd/system/*.wants/ 2>/dev/null | grep synguard)" ]; echo $?)" \
	"$(ls -la /etc/synguard 2>&1); $(getent passwd synguard); $(ls /etc/systemd/system/*.wants/ | grep synguard)"
check "purge: no unit instance loaded (none failed either), no synguard process" \
	"$([ -z "$(systemctl list-units --all --plain --no-legend 'synguard@*' | grep -v 'not-found.*inactive')" ] &&
		[ -z "$(systemctl list-units --failed --plain --no-legend 'synguard@*')" ] &&
		! pgrep -x synguard >/dev/null && ! pgrep -x synguard-http >/dev/null; echo $?)" \
	"$(systemctl list-units --all --no-legend 'synguard@*'); $(pgrep -a synguard)"
check "purge: no XDP program or TC filter on sgpkg0, no pins, no synguard BPF program loaded" \
	"$(! ip -d link show dev sgpkg0 | grep -q prog/xdp && [ -z "$(tc filter show dev sgpkg0 ingress 2>/dev/null)" ] &&
		[ ! -e /sys/fs/bpf/synguard ] && ! bpftool prog show 2>/dev/null | grep -q synguard; echo $?)" \
	"$(ip -d link show dev sgpkg0 | grep xdp); $(tc filter show dev sgpkg0 ingress); $(ls /sys/fs/bpf/synguard 2>&1); $(bpftool prog show | grep synguard)"
ip netns del pkgcli
ip link del sgpkg0 2>/dev/null
ip link del sgpkg1 2>/dev/null
exit 0
