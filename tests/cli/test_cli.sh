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
