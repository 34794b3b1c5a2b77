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

RUN_LOGS=.output/test-logs
# shellcheck source=tests/runlib.sh
source tests/runlib.sh

selected() {
	local name=$1 w
	[ $# -eq 1 ] && [ ${#FILTER[@]} -eq 0 ] && return 0
	for w in "${FILTER[@]}"; do
		[[ $name == *"$w"* ]] && return 0
	done
	return 1
}
FILTER=("$@")

for t in .output/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	selected "$name" "${FILTER[@]}" && run_one "$name" "$t"
done
for t in tests/*/test_*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	# A script named like a test program (tests/e2e/test_engage.sh and
	# tests/unit/test_engage.c) keeps its own log: NAME.DIR.
	[ -e ".output/tests/$name" ] && name=$name.$(basename "$(dirname "$t")")
	selected "$name" "${FILTER[@]}" && run_one "$name" bash "$t"
done

run_summary
