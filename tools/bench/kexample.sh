#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Build the kernel's XDP synproxy example, for prog_bench -K: at bench time,
# from Debian's kernel source package (`make bench` installs it through
# BENCH_DEPS), never committed to this repository.
#
#   tools/bench/kexample.sh OUTDIR
#
# From /usr/src/linux-source-VERSION.tar.xz (KEX_TARBALL=FILE to choose;
# by default the newest of 6.12 and 6.1 present), extracts the selftest
# tools/testing/selftests/bpf/progs/xdp_synproxy_kern.c and the selftest
# header it includes (progs/bpf_compiler.h, from 6.7 on) into
# OUTDIR/src/, dumps this kernel's BTF into OUTDIR/vmlinux.h (bpftool
# btf dump ... format c: the program reads kernel structures, nf_conn,
# that the project's minimal vmlinux.h lacks) and compiles
# OUTDIR/xdp_synproxy_kern.o with $CLANG (default clang).
#
# 6.1's file is not loadable on kernels from 6.7 on: the verifier gives up
# on its TCP option walk after 10^6 instructions; 6.7 reworked that walk
# (selftests/bpf: track tcp payload offset as scalar in xdp_synproxy),
# which is why 6.12's file comes first.
#
# Writes OUTDIR/from (what the object was built from) on success, or
# OUTDIR/why (one line: why there is no object) otherwise, and exits 0
# either way: the rest of the bench runs without the example.
set -u
out=${1:?usage: $0 OUTDIR}
CLANG=${CLANG:-clang}
BPFTOOL=${BPFTOOL:-bpftool}
SELFTESTS=tools/testing/selftests/bpf
obj=$out/xdp_synproxy_kern.o

mkdir -p "$out/src" || exit 1
rm -f "$out/why"

why() {
	echo "$*" >"$out/why"
	rm -f "$obj" "$out/from"
	echo "kexample: $*" >&2
	exit 0
}

tarball=${KEX_TARBALL:-}
if [ -z "$tarball" ]; then
	for v in 6.12 6.1; do
		if [ -f "/usr/src/linux-source-$v.tar.xz" ]; then
			tarball=/usr/src/linux-source-$v.tar.xz
			break
		fi
	done
fi
{ [ -n "$tarball" ] && [ -f "$tarball" ]; } ||
	why "no kernel source package: /usr/src/linux-source-{6.12,6.1}.tar.xz missing (apt-get install linux-source-6.12; make bench does it)"
top=$(basename "$tarball" .tar.xz)
pkg=$(dpkg-query -W -f='${Package} ${Version}' "$top" 2>/dev/null || echo "$top")

# Extract only when the tarball changed since the last time.
stamp="$tarball $(stat -c %Y "$tarball")"
if [ "$(cat "$out/src/stamp" 2>/dev/null)" != "$stamp" ]; then
	rm -rf "$out/src" && mkdir -p "$out/src" || exit 1
	echo "kexample: extracting xdp_synproxy_kern.c from $tarball" >&2
	# Both members in one pass (the archive is ~150 MB of xz); a
	# member the version lacks (bpf_compiler.h before 6.7) is no error.
	tar -xJf "$tarball" -C "$out/src" --strip-components=1 \
		--wildcards --no-wildcards-match-slash \
		"$top/$SELFTESTS/progs/xdp_synproxy_kern.c" \
		"$top/$SELFTESTS/progs/bpf_compiler.h" 2>"$out/src/tar.err"
	[ -f "$out/src/$SELFTESTS/progs/xdp_synproxy_kern.c" ] ||
		why "$tarball has no $SELFTESTS/progs/xdp_synproxy_kern.c ($(head -c 200 "$out/src/tar.err"))"
	echo "$stamp" >"$out/src/stamp"
fi
src=$out/src/$SELFTESTS/progs/xdp_synproxy_kern.c

# This kernel's types (again when the kernel changed).
kstamp="$(uname -r) $(stat -c %Y /sys/kernel/btf/vmlinux 2>/dev/null)"
if [ ! -s "$out/vmlinux.h" ] || [ "$(cat "$out/vmlinux.stamp" 2>/dev/null)" != "$kstamp" ]; then
	[ -r /sys/kernel/btf/vmlinux ] || why "this kernel has no BTF (/sys/kernel/btf/vmlinux)"
	"$BPFTOOL" btf dump file /sys/kernel/btf/vmlinux format c >"$out/vmlinux.h.tmp" 2>"$out/bpftool.err" ||
		why "bpftool btf dump failed: $(head -c 200 "$out/bpftool.err")"
	mv -f "$out/vmlinux.h.tmp" "$out/vmlinux.h"
	echo "$kstamp" >"$out/vmlinux.stamp"
	rm -f "$obj"
fi

arch=$(uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
multiarch=$(gcc -dumpmachine 2>/dev/null || echo "$(uname -m)-linux-gnu")
if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
	echo "kexample: building $obj with $CLANG" >&2
	# Its own flags, not the project's -Werror: the file is third-party.
	"$CLANG" -g -O2 --target=bpf -D__TARGET_ARCH_"$arch" -w \
		-I"$out" -I"$(dirname "$src")" -I/usr/include/"$multiarch" \
		-c "$src" -o "$obj.tmp" 2>"$out/clang.err" ||
		why "$CLANG could not build it: $(grep -m1 error "$out/clang.err" | head -c 300)"
	mv -f "$obj.tmp" "$obj"
fi
echo "$pkg ($top.tar.xz), built with $("$CLANG" --version | head -1)" >"$out/from"
exit 0
