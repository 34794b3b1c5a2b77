# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# The test runner's bookkeeping, shared by tests/run.sh (`make check`) and
# tests/kernels/job.sh (`make check-kernels`). Each test prints one line
# per case, "PASS: name", "FAIL: name: why" or "SKIP: name: why"; a
# program that exits non-zero without reporting a failure counts as one
# failed case (a crash, a sanitizer report).
#
#   RUN_LOGS=DIR; source tests/runlib.sh
#   run_one NAME CMD...      run CMD, log to DIR/NAME.log, count its cases
#   run_summary              "N passed, N failed, N skipped"; status 0 iff
#                            nothing failed

RUN_LOGS=${RUN_LOGS:-.output/test-logs}
mkdir -p "$RUN_LOGS"
passed=0 failed=0 skipped=0

# Sanitizers: fail hard, report leaks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {
	local name=$1; shift
	local log="$RUN_LOGS/$name.log" rc p f s
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

run_summary() {
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}
