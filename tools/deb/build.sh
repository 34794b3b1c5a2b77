#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# `make deb`: build synguard's Debian package from a copy of this tree
# (the files git tracks or would track, as they are now) in OUTDIR, run
# lintian on the result, and fail on any lintian error. Leaves in OUTDIR:
# synguard_VERSION_ARCH.deb, the .changes and .buildinfo, build.log and
# lintian.txt.
#
#   tools/deb/build.sh OUTDIR
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
ver=$(dpkg-parsechangelog -S Version)
src=$out/synguard-$ver
rm -rf "$src" "$out"/synguard_* "$out"/synguard-dbgsym_*
mkdir -p "$src"
git ls-files -z -co --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	tar --null -T - -cf - | tar -C "$src" -xf -

start=$(date +%s)
echo "  DEB      $out (dpkg-buildpackage, log in $out/build.log)"
if ! (cd "$src" && dpkg-buildpackage -us -uc -j2) >"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2
	echo "make deb: dpkg-buildpackage failed (see $out/build.log)" >&2
	exit 1
fi
built=$(date +%s)
rm -rf "$src"
changes=$(ls "$out"/synguard_"${ver}"_*.changes)
echo "  LINTIAN  $changes"
rc=0
lintian --fail-on error --display-info --pedantic "$changes" >"$out/lintian.txt" 2>&1 || rc=$?
sed 's/^/    /' "$out/lintian.txt"
summary=$( (cut -c1 "$out/lintian.txt" | grep -E "^[EWIPX]$" || true) | sort | uniq -c | awk "{ printf \"%s%s %s\", sep, \$1, \$2; sep = \", \" }")
echo "  deb: $(basename "$(ls "$out"/synguard_"${ver}"_*.deb)") built in $((built - start)) s; lintian in $(($(date +%s) - built)) s: ${summary:-no tags} (E error, W warning, I info, P pedantic, X experimental)"
if [ "$rc" != 0 ]; then
	echo "make deb: lintian reports errors (see $out/lintian.txt)" >&2
	exit 1
fi
