#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# libFuzzer + ASan/UBSan runs of synguard's input parsers and its HTTP
# endpoint (harnesses in tests/fuzz/fuzz_*.c). Each target runs for
# $FUZZ_PARSER_SECONDS (default 20) on a copy of its committed seed corpus
# (tests/fuzz/corpus_<target>/) in .output/fuzz/run/<target>/, and prints
#
#   PASS: fuzz <target> (N execs)
#   FAIL: fuzz <target>: crash file <path> (minimised: <path>)
#   SKIP: fuzz <target>: <why>
#
# The harnesses are built here (`make fuzz-parsers` runs this script)
# with these commands (clang with libFuzzer; Debian 12:
# clang-14 and libclang-rt-14-dev). Environment:
#   FUZZ_PARSER_SECONDS   seconds per target (default 20)
#   FUZZ_TARGETS          targets to run (default: all)
#   FUZZ_CLANG            compiler (default clang)
#   FUZZ_KEEP_CORPUS=1    keep the grown corpus in .output/fuzz/run/<t>/corpus
set -u
cd "$(dirname "$0")/../.." || exit 1

OUT=.output/fuzz
SECS=${FUZZ_PARSER_SECONDS:-20}
CLANG=${FUZZ_CLANG:-clang}
ALL="u32 ports cidr metrics_addr keyfile config metrics_http"
TARGETS=${FUZZ_TARGETS:-$ALL}

# The build (the same commands as the Makefile's fuzz rules): user/*.c but
# main.c compiled once with coverage instrumentation, then one link per
# harness. fuzz_config includes user/run.c itself (load_config is static).
FUZZ_CFLAGS=(-g -O1 -fno-omit-frame-pointer '-fsanitize=address,undefined'
	-fno-sanitize-recover=all -std=gnu11 -Wall -Wextra -I.output -Ibpf -Iuser
	-Itests/include -Itests/fuzz '-DSG_VERSION="fuzz"')
FUZZ_LIBS=(-lxdp -lbpf -lelf -lz -lmicrohttpd -lpthread)

say() { printf '%s\n' "$*"; }

skip_all() {
	local t
	for t in $TARGETS; do say "SKIP: fuzz $t: $1"; done
	exit 0
}

newest_header() {
	ls -t user/*.h bpf/*.h tests/fuzz/*.h .output/synguard.skel.h \
		2>/dev/null | head -n 1
}

build_by_hand() {
	local src obj objs=() hdr t
	mkdir -p "$OUT/obj" || return 1
	hdr=$(newest_header)
	for src in user/*.c; do
		[ "$src" = user/main.c ] && continue
		obj=$OUT/obj/$(basename "$src" .c).o
		if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ "$hdr" -nt "$obj" ]; then
			"$CLANG" "${FUZZ_CFLAGS[@]}" -fsanitize=fuzzer-no-link -c "$src" \
				-o "$obj" || return 1
		fi
		objs+=("$obj")
	done
	for t in $TARGETS; do
		local bin=$OUT/fuzz_$t src=tests/fuzz/fuzz_$t.c link=()
		for obj in "${objs[@]}"; do
			[ "$t" = config ] && [ "$obj" = "$OUT/obj/run.o" ] && continue
			link+=("$obj")
		done
		if [ ! -e "$bin" ] || [ "$src" -nt "$bin" ] || [ "$hdr" -nt "$bin" ] ||
			[ -n "$(find "${link[@]}" -newer "$bin" 2>/dev/null | head -n 1)" ]; then
			"$CLANG" "${FUZZ_CFLAGS[@]}" -fsanitize=fuzzer "$src" "${link[@]}" \
				"${FUZZ_LIBS[@]}" -o "$bin" || return 1
		fi
	done
}

# Can this clang build a fuzzer at all?
probe=$(mktemp -d /tmp/sg-fuzz-probe.XXXXXX)
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long s)\n{ (void)d; (void)s; return 0; }\n' >"$probe/p.c"
if ! "$CLANG" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>"$probe/err"; then
	why=$(head -n 1 "$probe/err")
	rm -rf "$probe"
	skip_all "$CLANG cannot build libFuzzer targets (${why:-not found}; Debian: apt-get install clang libclang-rt-14-dev)"
fi
rm -rf "$probe"

[ -e .output/synguard.skel.h ] || make --no-print-directory -s bpf >/dev/null 2>&1
[ -e .output/synguard.skel.h ] || skip_all "no .output/synguard.skel.h (run make first)"

mkdir -p "$OUT"
blog=$OUT/build.log
# Built here, always: `make fuzz` runs this script (no recursion).
stamp=$OUT/.build-start
: >"$stamp"
build_by_hand >"$blog" 2>&1
build_rc=$?
failed=0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for t in $TARGETS; do
	bin=$OUT/fuzz_$t
	# After a failed build, a binary not relinked in this run is stale
	# (built from other sources): never run it.
	if [ ! -x "$bin" ] || { [ "$build_rc" -ne 0 ] && [ "$bin" -ot "$stamp" ]; }; then
		say "FAIL: fuzz $t: build failed (see $blog)"
		failed=1
		tail -n 20 "$blog" | sed 's/^/    /'
		continue
	fi
	work=$OUT/run/$t
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/artifacts"
	if [ -d "tests/fuzz/corpus_$t" ]; then
		cp tests/fuzz/corpus_"$t"/* "$work/corpus/" 2>/dev/null
	fi
	extra=()
	case $t in
	keyfile) extra+=(-max_len=8192) ;;
	config) extra+=(-max_len=8192) ;;
	metrics_http)
		extra+=(-max_len=20000)
		# Pins of this run, removed afterwards even after a crash.
		pins=""
		if [ "$(id -u)" = 0 ] && [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ]; then
			pins=/sys/fs/bpf/sg-fuzz-$$
			export SG_FUZZ_PIN_ROOT=$pins
		fi
		;;
	esac
	log=$work/fuzz.log
	"$bin" -max_total_time="$SECS" -timeout=20 -rss_limit_mb=4096 \
		-print_final_stats=1 -artifact_prefix="$work/artifacts/" \
		"${extra[@]}" "$work/corpus" >"$log" 2>&1
	rc=$?
	if [ "$t" = metrics_http ] && [ -n "${pins:-}" ]; then
		rm -rf "$pins"
		unset SG_FUZZ_PIN_ROOT
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	crash=$(ls "$work"/artifacts/* 2>/dev/null | head -n 1)
	if [ "$rc" -eq 0 ] && [ -z "$crash" ]; then
		say "PASS: fuzz $t (${execs:-?} execs)"
		[ "${FUZZ_KEEP_CORPUS:-0}" = 1 ] || rm -rf "$work/corpus"
		continue
	fi
	if [ -z "$crash" ]; then
		say "FAIL: fuzz $t: exited $rc without a crash file (see $log)"
		failed=1
		grep -m 5 -E 'ERROR|INVARIANT|runtime error' "$log" | sed 's/^/    /'
		continue
	fi
	# Minimise (best effort, 30 s) so that the reproducer is small.
	"$bin" -minimize_crash=1 -max_total_time=30 -runs=100000 \
		-exact_artifact_path="$crash.min" "${extra[@]}" "$crash" \
		>"$work/minimize.log" 2>&1
	min=""
	[ -s "$crash.min" ] && min=" (minimised: $crash.min)"
	say "FAIL: fuzz $t: crash file $crash$min"
	failed=1
	grep -m 5 -E 'ERROR|INVARIANT|runtime error' "$log" | sed 's/^/    /'
done
exit "$failed"
