#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The BPF object with a newer compiler: builds bpf/synguard.bpf.c with
# clang-19 and the Makefile's BPF_CFLAGS into .output/clang19/synguard.bpf.o,
# then loads it, and the default build (.output/synguard.bpf.o, clang-14 on
# Debian 12), the way `synguard run` does for each engine (sg_engine set in
# .rodata; own: XDP and TC programs, kernel: XDP only), with
# tests/build/bpfload.c. Nothing is attached or pinned. One line per case:
#
#   PASS: clang-19 build
#   PASS: clang-19 engine own: synguard_xdp processed 71661 insns, synguard_tc processed 1033 insns
#   FAIL: clang-14 engine kernel: synguard_xdp: <verifier reason>
#   SKIP: clang-19: <why>
#
# The instruction counts are the verifier's "processed N insns". Needs root
# (BPF loads) and, for clang-19, the clang-19 package (Debian 12: bookworm
# main, `apt-get install clang-19`); SKIPs otherwise. CLANG19 overrides the
# compiler.
set -u
cd "$(dirname "$0")/../.." || exit 1

OUT=.output/clang19
CLANG19=${CLANG19:-clang-19}
failed=0

pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1: $2"
	failed=1
}
skip() { echo "SKIP: $1: $2"; }

if [ "$(id -u)" != 0 ]; then
	skip "clang-19" "loading BPF programs needs root"
	exit 0
fi
mkdir -p "$OUT"

# The Makefile's BPF_CFLAGS, expanded by make itself (without the
# dependency-file flags); the literal flags if that fails.
print_mk='sg-print-%:
	@echo $($*)'
bpf_cflags=$(make --no-print-directory -f Makefile -f <(printf '%s\n' "$print_mk") \
	sg-print-BPF_CFLAGS 2>/dev/null)
if [ -z "$bpf_cflags" ]; then
	arch=$(uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
	bpf_cflags="-g -O2 --target=bpf -D__TARGET_ARCH_$arch -Wall -Werror \
-I.output -Ibpf -I/usr/include/$(gcc -dumpmachine)"
fi
bpf_cflags=$(printf '%s\n' "$bpf_cflags" | sed 's/ -MMD//; s/ -MP//')

[ -e .output/vmlinux.h ] || make --no-print-directory -s .output/vmlinux.h >/dev/null 2>&1
[ -e .output/synguard.bpf.o ] || make --no-print-directory -s .output/synguard.bpf.o >/dev/null 2>&1

# The loader.
LOAD=.output/tests/bpfload
if ! make --no-print-directory -s "$LOAD" >"$OUT/bpfload.log" 2>&1; then
	fail "bpfload builds" "$(head -n 5 "$OUT/bpfload.log")"
	exit 1
fi

# load COMPILER OBJECT: one case per engine.
load() {
	local cc=$1 obj=$2 engine out rc line name desc
	for engine in own kernel; do
		name="$cc engine $engine"
		out=$("$LOAD" "$obj" "$engine" 2>&1)
		rc=$?
		if [ "$rc" -eq 3 ]; then
			skip "$name" "$(sed -n 's/^skip: //p' <<<"$out")"
			continue
		fi
		desc=$(sed -n 's/^prog \([a-z_]*\) insns \([0-9-]*\) ok$/\1 processed \2 insns/p' \
			<<<"$out" | paste -sd, - | sed 's/,/, /g')
		if [ "$rc" -eq 0 ] && [ -n "$desc" ]; then
			pass "$name: $desc"
		else
			line=$(grep -m 1 'failed' <<<"$out")
			fail "$name" "${line:-exit $rc}; $(sed -n 's/^reason: //p' <<<"$out" | tr '\n' ' ' | tail -c 600)"
		fi
	done
}

# clang-19.
c19=$(command -v "$CLANG19" 2>/dev/null)
if [ -z "$c19" ]; then
	cand=$(apt-cache policy clang-19 2>/dev/null | sed -n 's/^ *Candidate: //p')
	if [ -n "$cand" ] && [ "$cand" != "(none)" ]; then
		skip "clang-19" "not installed (apt-get install clang-19: $cand available)"
	else
		skip "clang-19" "no clang-19 package in the configured apt sources"
	fi
else
	# shellcheck disable=SC2086
	if "$c19" $bpf_cflags -c bpf/synguard.bpf.c -o "$OUT/synguard.bpf.o" \
		2>"$OUT/build.log"; then
		pass "clang-19 build ($("$c19" --version | head -n 1))"
		load clang-19 "$OUT/synguard.bpf.o"
	else
		fail "clang-19 build" "$(grep -m 3 -E 'error|warning' "$OUT/build.log" | tr '\n' ' ')"
	fi
fi

# The default build, the same way (labelled with its compiler's version).
if [ -e .output/synguard.bpf.o ]; then
	major=$(${CLANG:-clang} --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)
	load "clang-${major:-default}" .output/synguard.bpf.o
else
	fail "default build" ".output/synguard.bpf.o missing (run make)"
fi
exit "$failed"
