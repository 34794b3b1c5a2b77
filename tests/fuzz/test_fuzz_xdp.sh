#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Fuzzes the XDP program (tests/fuzz/fuzz_xdp.c, libFuzzer) for
# ${FUZZ_SECONDS:-60} seconds on a copy of tests/fuzz/corpus_xdp, so the
# committed corpus is never changed. One case: "PASS: fuzz_xdp: ..." with
# the executions from libFuzzer's final stats, or "FAIL: fuzz_xdp: ..."
# with the violated invariant and the crash file (kept in
# .output/fuzz/crashes/; replay it with `.output/fuzz/fuzz_xdp FILE`).
# The log of the last run is .output/fuzz/test_fuzz_xdp.log.
cd "$(dirname "$0")/../.." || exit 1
name=fuzz_xdp
bin=.output/fuzz/fuzz_xdp
secs=${FUZZ_SECONDS:-60}
keep=.output/fuzz/crashes

if [ ! -x "$bin" ]; then
	echo "SKIP: $name: $bin is not built (make $bin)"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $name: BPF_PROG_TEST_RUN needs root"
	exit 0
fi
case $secs in
'' | *[!0-9]*)
	echo "FAIL: $name: FUZZ_SECONDS must be a number of seconds, not '$secs'"
	exit 1
	;;
esac

work=$(mktemp -d .output/fuzz/run.XXXXXX) || {
	echo "FAIL: $name: cannot create a work directory under .output/fuzz"
	exit 1
}
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$keep"
cp tests/fuzz/corpus_xdp/* "$work/corpus/"
n0=$(find "$work/corpus" -type f | wc -l)

"$bin" -max_total_time="$secs" -rss_limit_mb=4096 -max_len=320 \
	-timeout=10 -print_final_stats=1 -artifact_prefix="$work/" \
	"$work/corpus" >"$work/log" 2>&1
rc=$?
cp "$work/log" .output/fuzz/test_fuzz_xdp.log

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -n 1)
crash=$(find "$work" -maxdepth 1 -type f \
	\( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
	-o -name 'oom-*' -o -name 'slow-unit-*' \) | head -n 1)

if [ "$rc" -eq 0 ] && [ -z "$crash" ] && [ -n "$execs" ]; then
	n1=$(find "$work/corpus" -type f | wc -l)
	echo "PASS: $name: ${secs} s, $execs executions ($rate/s), corpus $n0 -> $n1 inputs"
	exit 0
fi

# What broke: our invariant report, else libFuzzer's or a sanitizer's.
reason=$(grep -m1 '^SG-FUZZ-VIOLATION: ' "$work/log" | cut -c1-600)
[ -n "$reason" ] || reason=$(grep -m1 -E '^==[0-9]+==ERROR|ERROR: libFuzzer|runtime error|^fuzz_xdp: ' "$work/log" | cut -c1-300)
[ -n "$reason" ] || reason="libFuzzer exited $rc (see .output/fuzz/test_fuzz_xdp.log)"
if [ -n "$crash" ]; then
	cp "$crash" "$keep/"
	kept="$keep/$(basename "$crash")"
	echo "FAIL: $name: $reason; input $kept ($(od -An -v -tx1 "$crash" | tr -d ' \n' | cut -c1-600))"
else
	echo "FAIL: $name: $reason"
fi
grep -E '^(mode |  counter |input |frame |output )' "$work/log" | head -n 12 | sed 's/^/    /'
exit 1
