#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The synguard command line: help, version, exit codes for usage errors.
cd "$(dirname "$0")/../.."
SG=${SG:-.output/asan/synguard} # the ASan/UBSan build

# expect NAME WANT_RC STREAM PATTERN -- ARGS...: run synguard ARGS, check the
# exit code and that STREAM (out|err) matches PATTERN.
expect() {
	local name=$1 want=$2 stream=$3 pat=$4 rc out err
	shift 5
	out=$("$SG" "$@" 2>/tmp/sg-cli-err.$$)
	rc=$?
	err=$(cat /tmp/sg-cli-err.$$)
	rm -f /tmp/sg-cli-err.$$
	local text=$out
	[ "$stream" = err ] && text=$err
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL: $name: exit $rc, want $want (stderr: $err)"
	elif [ "$stream" = err ] && [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then
		echo "FAIL: $name: want exactly one line on stderr, got: $err"
	elif ! grep -qE -- "$pat" <<<"$text"; then
		echo "FAIL: $name: std$stream does not match '$pat': $text"
	else
		echo "PASS: $name"
	fi
}

expect "no command is a usage error" 2 err "no command given" --
expect "help lists commands" 0 out 'version' -- help
expect "--help lists commands" 0 out 'Commands:' -- --help
expect "version prints the version" 0 out '^synguard .* \(libbpf ' -- version
expect "version --help" 0 out '^Usage: synguard version' -- version --help
expect "version with extra argument" 2 err "unexpected argument 'x'" -- version x
expect "unknown command" 2 err "unknown command 'frobnicate'" -- frobnicate

# Operator commands: usage errors (exit 2, one line on stderr, nothing
# changed) and runtime errors with no daemon. The pin root is an empty
# directory so that nothing here can reach a running synguard.
SYNGUARD_PIN_ROOT=$(mktemp -d /tmp/sg-cli-pins.XXXXXX)
export SYNGUARD_PIN_ROOT
trap 'rmdir "$SYNGUARD_PIN_ROOT"' EXIT

expect "help lists the operator commands" 0 out 'status .*' -- help
for c in status top allow deny ports keys; do
	expect "$c --help" 0 out "^Usage: synguard $c" -- $c --help
done
expect "stats --help mentions --watch" 0 out '--watch' -- stats --help

# CIDRs
expect "allow: host bits set" 2 err "host bits set in '10.0.0.1/8'; did you mean 10.0.0.0/8\?" -- allow add 10.0.0.1/8
expect "allow: IPv4 prefix too long" 2 err "bad prefix length '33' in '1.2.3.4/33'" -- allow add 1.2.3.4/33
expect "deny: IPv6 prefix too long" 2 err "bad prefix length '129' in 'fd00::/129'" -- deny add fd00::/129
expect "allow: garbage CIDR" 2 err "'banana' is not an IPv4 or IPv6 address" -- allow add banana
expect "deny: empty CIDR" 2 err "empty address" -- deny del ''
expect "allow: empty prefix length" 2 err "bad prefix length ''" -- allow add 10.0.0.0/
expect "allow: IPv6 host bits set" 2 err "did you mean fd00::/64\?" -- allow del fd00::1/64
expect "allow: a bad CIDR after good ones changes nothing" 2 err "host bits set" -- allow add 10.0.0.0/8 fd00::/64 10.0.0.1/8
expect "allow: no subcommand" 2 err "no subcommand given" -- allow
expect "allow: unknown subcommand" 2 err "unknown subcommand 'frob'" -- allow frob 10.0.0.0/8
expect "deny: add without CIDR" 2 err "no CIDR given to 'add'" -- deny add
expect "allow: list with an argument" 2 err "unexpected argument '10.0.0.0/8'" -- allow list 10.0.0.0/8
expect "allow: unknown option" 2 err "unknown option '--bogus'" -- allow list --bogus
expect "allow: -i without a value" 2 err "option '-i' needs a value" -- allow add 10.0.0.0/8 -i
expect "allow: bad interface name" 2 err "bad interface name 'a/b'" -- allow add 10.0.0.0/8 -i a/b
expect "deny: --json with add" 2 err "--json applies to 'list' only" -- deny add 10.0.0.0/8 --json

# Port lists
expect "ports: port 0" 2 err "bad port '0'" -- ports add 0
expect "ports: port 70000" 2 err "bad port '70000'" -- ports add 70000
expect "ports: reversed range" 2 err "bad port '10-5'" -- ports del 10-5
expect "ports: trailing comma" 2 err "trailing comma" -- ports add 80,
expect "ports: not a number" 2 err "bad port 'x'" -- ports add x
expect "ports: no subcommand" 2 err "no subcommand given" -- ports
expect "ports: unknown subcommand" 2 err "unknown subcommand 'set'" -- ports set 80
expect "ports: add without a list" 2 err "no port list given to 'add'" -- ports add
expect "ports: two lists" 2 err "unexpected argument '443'" -- ports add 80 443
expect "ports: unknown option" 2 err "unknown option '--bogus'" -- ports list --bogus

# keys
expect "keys: no subcommand" 2 err "no subcommand given" -- keys
expect "keys: unknown subcommand" 2 err "unknown subcommand 'new'" -- keys new eth0
expect "keys rotate: no interface" 2 err "no interface given to 'rotate'" -- keys rotate
expect "keys show: no interface" 2 err "no interface given to 'show'" -- keys show
expect "keys rotate: two interfaces" 2 err "unexpected argument 'b'" -- keys rotate a b
expect "keys rotate: --json" 2 err "--json applies to 'show' only" -- keys rotate eth0 --json
expect "keys: -i is not an option" 2 err "unknown option '-i'" -- keys show eth0 -i eth0
expect "keys: --iface is not an option" 2 err "--iface does not apply" -- keys show eth0 --iface eth0
expect "keys: bad interface name" 2 err "bad interface name" -- keys show ..

# top, status, stats --watch
expect "top: -n 0" 2 err "bad -n '0'" -- top -n 0
expect "top: -n x" 2 err "bad -n 'x'" -- top -n x
expect "top: -n without a value" 2 err "option '-n' needs a value" -- top -n
expect "top: two interfaces" 2 err "unexpected argument 'b'" -- top a b
expect "top: unknown option" 2 err "unknown option '--bogus'" -- top --bogus
expect "status: unknown option" 2 err "unknown option '--bogus'" -- status --bogus
expect "status: unexpected argument" 2 err "unexpected argument 'eth0'" -- status eth0
expect "stats: --interval 0" 2 err "bad --interval '0'" -- stats --watch --interval 0
expect "stats: --interval x" 2 err "bad --interval 'x'" -- stats --watch --interval x
expect "stats: --count 0" 2 err "bad --count '0'" -- stats --watch --count 0
expect "stats: --interval without --watch" 2 err "--interval needs --watch" -- stats --interval 1

# Runtime failures with no daemon: exit 1, one line saying why.
expect "allow add with no daemon" 1 err "synguard runs on no interface" -- allow add 10.0.0.0/8
expect "deny list with no daemon" 1 err "synguard runs on no interface" -- deny list
expect "allow list -i with no pins" 1 err "synguard has no pins for nosuch0 under" -- allow list -i nosuch0
expect "ports list with no daemon" 1 err "synguard runs on no interface" -- ports list
expect "keys rotate with no daemon" 1 err "synguard has no pins for nosuch0 under .* \(not running there\?\)" -- keys rotate nosuch0
expect "keys show with no daemon" 1 err "synguard has no pins for nosuch0" -- keys show nosuch0
expect "top IFACE with no daemon" 1 err "synguard has no pins for nosuch0" -- top nosuch0
expect "top with no daemon" 1 err "synguard runs on no interface" -- top
expect "stats --watch with no daemon" 1 err "synguard runs on no interface" -- stats --watch --count 1
expect "status with no daemon" 0 out "synguard runs on no interface" -- status
expect "status shows the sysctls" 0 out "net.ipv4.tcp_syncookies" -- status
expect "status --json with no daemon" 0 out '"interfaces": \{\}' -- status --json
