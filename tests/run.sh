#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The test runner behind `make check`. Runs every test program
# (.output/tests/test_*) and test script (tests/*/test_*.sh); each prints one
# line per case, "PASS: name", "FAIL: name: why" or "SKIP: name: why". A
# program that exits non-zero without reporting a failure counts as one
# failed case (a crash, a sanitizer report). Ends with "N passed, N failed,
# N skipped".
#
#   tests/run.sh              everything
#   tests/run.sh cookie xdp   only tests whose name contains one of the words
set -u
cd "$(dirname "$0")/.."

out=.output/test-logs
mkdir -p "$out"
passed=0 failed=0 skipped=0

selected() {
	local name=$1 w
	[ $# -eq 1 ] && [ ${#FILTER[@]} -eq 0 ] && return 0
	for w in "${FILTER[@]}"; do
		[[ $name == *"$w"* ]] && return 0
	done
	return 1
}
FILTER=("$@")

run_one() {
	local name=$1; shift
	local log="$out/$name.log" rc p f s
	echo "== $name"
	"$@" >"$log" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL|SKIP): ' "$log" | grep -v '^PASS: ' || true
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	s=$(grep -c '^SKIP: ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name: exited $rc without reporting a failure (see $log)"
		tail -n 20 "$log" | sed 's/^/    /'
		f=1
	fi
	echo "   $p passed, $f failed, $s skipped"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# Sanitizers: fail hard, report leaks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for t in .output/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	selected "$name" "${FILTER[@]}" && run_one "$name" "$t"
done
for t in tests/*/test_*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	selected "$name" "${FILTER[@]}" && run_one "$name" bash "$t"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
