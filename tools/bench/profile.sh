#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# Where one prog_bench class spends its time: perf cpu-clock samples (no
# hardware PMU needed) while prog_bench runs only that class, by symbol and
# by synguard source line (JIT addresses mapped through the program's line
# info, tools/bench/lineprof.py). Root; needs perf.
#
#   tools/bench/profile.sh ['CLASS TEXT' [RUNS]]
#   e.g. tools/bench/profile.sh 'SYN→SYN-ACK IPv4, Linux' 15
#        tools/bench/profile.sh 'established'
#
# PB_ARGS adds prog_bench options (e.g. PB_ARGS="-C 1 -N 1024"). The
# samples include the floor programs that alternate with the class.
set -eu

here=$(dirname "$0")
bin=${PROG_BENCH:-.output/bench/prog_bench}
class=${1:-SYN→SYN-ACK IPv4, Linux options}
runs=${2:-15}

command -v perf >/dev/null || { echo "profile.sh: perf not found" >&2; exit 1; }
[ -x "$bin" ] || { echo "profile.sh: $bin not built (make bench)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

perf record -q -e cpu-clock -F 20000 -o "$tmp/perf.data" -- \
	"$bin" -q -c "$class" -r "$runs" ${PB_ARGS:-} -L "$tmp/lines" >"$tmp/report.md"
echo "(class row as timed under perf; sampling inflates the absolute numbers)"
grep '^| ' "$tmp/report.md" | grep -F -- "$class" | head -n 1 || true
perf script -i "$tmp/perf.data" -F ip,sym,symoff 2>/dev/null |
	python3 "$here/lineprof.py" "$tmp/lines" "${TOP:-30}"
