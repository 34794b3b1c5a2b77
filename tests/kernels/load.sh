#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Load BPF objects the way `synguard run` does for each engine, on the
# running kernel, with .output/tests/bpfload (nothing attached), and check
# which engines this kernel offers against what it should:
#
#   tests/kernels/load.sh "ENGINES" NAME=OBJ...
#
# ENGINES: the engines this kernel must run ("kernel", "own kernel", or
# "none" below every engine's minimum kernel). One
# case per object and engine, and one for the own engine's XDP program
# alone (own-xdp: what test_xdp runs, on every kernel):
#   PASS: shipped header, engine own: synguard_xdp processed 71661 insns, synguard_tc processed 1033 insns
#   PASS: shipped header, engine own: not offered here (no bpf_sk_assign_tcp_reqsk), as expected
set -u
cd "$(dirname "$0")/../.." || exit 1
want=$1
shift
LOAD=.output/tests/bpfload
if [ ! -x "$LOAD" ]; then
	echo "FAIL: setup: $LOAD missing (make .output/tests/bpfload)"
	exit 1
fi
for arg in "$@"; do
	name=${arg%%=*} obj=${arg#*=}
	for engine in own own-xdp kernel; do
		tag="$name, engine $engine"
		expected=0
		# The own engine's XDP program alone loads wherever an engine does.
		[[ " $want $([ "$want" != none ] && echo own-xdp) " == *" $engine "* ]] && expected=1
		out=$("$LOAD" "$obj" "$engine" 2>&1)
		rc=$?
		if [ "$rc" = 3 ]; then
			if [ $expected = 0 ]; then
				echo "PASS: $tag: not offered here (no bpf_sk_assign_tcp_reqsk), as expected"
			else
				echo "FAIL: $tag: expected on this kernel: $(sed -n 's/^skip: //p' <<<"$out")"
			fi
			continue
		fi
		desc=$(sed -n 's/^prog \([a-z_]*\) insns \([0-9-]*\) ok$/\1 processed \2 insns/p' <<<"$out" |
			paste -sd, - | sed 's/,/, /g')
		if [ "$rc" != 0 ] && [ $expected = 0 ]; then
			# Below the engine's minimum kernel: refused, with the
			# verifier's reason (a missing helper, ...).
			why=$(sed -n '/^reason: /,$p' <<<"$out" | sed 's/^reason: //' |
				grep -vE '^(processed |Validating |$)' | tail -n 1 | cut -c1-120)
			echo "PASS: $tag: refused here, as expected: ${why:-load failed}"
			continue
		fi
		if [ "$rc" = 0 ] && [ -n "$desc" ]; then
			if [ $expected = 1 ]; then
				echo "PASS: $tag: $desc"
			else
				echo "FAIL: $tag: loads, but this kernel was not expected to offer it ($desc)"
			fi
		else
			echo "FAIL: $tag: $(grep -m 1 failed <<<"$out"); $(sed -n 's/^reason: //p' <<<"$out" | tr '\n' ' ' | tail -c 400)"
		fi
	done
done
exit 0
