#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Assemble bench/results.md (the last step of `make bench`) from the parts
# the benchmarks wrote: each FILE becomes a section, Markdown as it is,
# anything else in a code block; a missing or empty FILE is noted, not
# fatal (the other parts are still worth having).
#
#   tools/bench/results.sh [-o OUT] FILE...     (default OUT: stdout)
set -u
out=
if [ "${1:-}" = -o ]; then
	out=$2
	shift 2
fi
if [ $# -eq 0 ]; then
	echo "usage: $0 [-o OUT] FILE..." >&2
	exit 2
fi

emit() {
	local f
	echo "# synguard benchmarks"
	echo
	echo "Machine: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores, kernel $(uname -r)," \
		"$(date -u '+%Y-%m-%d %H:%M UTC'); synguard $(git -C "$(dirname "$0")/../.." describe --always --dirty 2>/dev/null || echo unknown)"
	echo
	for f in "$@"; do
		if [ ! -s "$f" ]; then
			echo "## $(basename "$f")"
			echo
			echo "_missing: $f was not produced (see the output of make bench)._"
			echo
			continue
		fi
		if grep -qE '^(#|\|)' "$f"; then
			# demote the part's headings one level below this document's
			sed -E 's/^(#+) /#\1 /' "$f"
		else
			echo "## $(basename "$f")"
			echo
			echo '```'
			cat "$f"
			echo '```'
		fi
		echo
	done
}

if [ -n "$out" ]; then
	mkdir -p "$(dirname "$out")" && emit "$@" >"$out.tmp" && mv -f "$out.tmp" "$out"
else
	emit "$@"
fi
