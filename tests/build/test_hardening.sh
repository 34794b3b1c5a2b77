#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The installed binary (.output/synguard) is built hardened: PIE, full
# RELRO (GNU_RELRO + BIND_NOW), stack protector, _FORTIFY_SOURCE (checked
# *_chk functions). The same checks on a binary built without the flags
# must fail, so they are not vacuous.
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-.output/synguard}

# hardening BINARY: print what is missing (nothing when hardened).
hardening() {
	local h d s miss=()
	h=$(readelf -hW "$1") d=$(readelf -dW "$1") s=$(readelf -lW "$1")
	grep -q 'Type:.*DYN' <<<"$h" && grep -q 'FLAGS_1.*PIE' <<<"$d" || miss+=(PIE)
	grep -q 'GNU_RELRO' <<<"$s" || miss+=(GNU_RELRO)
	grep -qE 'BIND_NOW|FLAGS.*\bNOW\b' <<<"$d" || miss+=(BIND_NOW)
	readelf -sW --dyn-syms "$1" | grep -q '__stack_chk_fail' || miss+=(stack-protector)
	readelf -sW --dyn-syms "$1" | grep -qE '__[a-z_]+_chk@' || miss+=(fortify)
	echo "${miss[*]}"
}

if [ ! -x "$BIN" ]; then
	echo "FAIL: hardening: $BIN not built"
	exit 0
fi
miss=$(hardening "$BIN")
if [ -z "$miss" ]; then
	echo "PASS: hardening: $BIN is PIE with GNU_RELRO, BIND_NOW, stack protector and fortified calls ($(readelf -sW --dyn-syms "$BIN" | grep -oE '__[a-z_]+_chk' | sort -u | wc -l) *_chk functions)"
else
	echo "FAIL: hardening: $BIN lacks: $miss"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <string.h>\nint main(int c, char **v) { char b[16]; strcpy(b, v[c - 1]); return (int)strlen(b); }\n' >"$tmp/p.c"
gcc -O2 -fno-stack-protector -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=0 -no-pie -fno-pie -Wl,-z,norelro -Wl,-z,lazy "$tmp/p.c" -o "$tmp/plain" 2>/dev/null
gcc -O2 -fstack-protector-all -D_FORTIFY_SOURCE=2 -fPIE -pie -Wl,-z,relro,-z,now "$tmp/p.c" -o "$tmp/hard" 2>/dev/null
plain=$(hardening "$tmp/plain") hard=$(hardening "$tmp/hard")
if [ "$plain" = "PIE GNU_RELRO BIND_NOW stack-protector fortify" ] && [ -z "$hard" ]; then
	echo "PASS: hardening: the checks flag every property on an unhardened build and none on a hardened one"
else
	echo "FAIL: hardening: self-check: unhardened build lacks '$plain', hardened build lacks '$hard'"
fi
