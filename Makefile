# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# synguard build. `make help` lists the targets.

.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

OUTPUT    ?= .output
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= gcc
ARCH      := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -dumpmachine 2>/dev/null)
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# The kernel types the BPF programs are built with: a minimal header
# shipped in the tree (UAPI types only, see tools/vmlinux/), so that the
# build does not depend on the build host's kernel. VMLINUX_H=FILE builds
# against another (e.g. a full `bpftool btf dump ... format c` of some
# kernel); BTF=FILE is what `make vmlinux-h` regenerates the shipped one from.
VMLINUX_H ?= bpf/vmlinux/vmlinux.h
BTF       ?= /sys/kernel/btf/vmlinux

BPF_CFLAGS := -g -O2 --target=bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-I$(OUTPUT) -Ibpf -I/usr/include/$(MULTIARCH) -MMD -MP
CFLAGS     ?= -O2 -g
CFLAGS     += -Wall -Wextra -Werror -std=gnu11 -I$(OUTPUT) -Ibpf -Iuser -Itests/include -MMD -MP \
	-DSG_VERSION='"$(VERSION)"'
LDLIBS     := -lxdp -lbpf -lelf -lz -lmicrohttpd
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# The installed binary is hardened (tests/build/test_hardening.sh checks
# it); the ASan/UBSan and fuzz builds keep their own flags. CPPFLAGS and
# LDFLAGS from the environment (dpkg-buildflags) come on top.
HARDEN_CFLAGS  := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now

# make install: PREFIX (default /usr/local) and DESTDIR as usual. The
# unit goes where systemd looks for units of that prefix; the
# configuration under /etc whatever the prefix (the unit reads
# /etc/synguard/IFACE.conf).
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
# The manual page's date: the last commit's (reproducible), else today.
MAN_DATE   ?= $(shell date -u -d "@$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || date +%s)}" +%Y-%m-%d)

BPF_OBJ    := $(OUTPUT)/synguard.bpf.o
SKEL       := $(OUTPUT)/synguard.skel.h
USER_SRCS  := $(wildcard user/*.c)
USER_OBJS  := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
ASAN_OBJS  := $(patsubst user/%.c,$(OUTPUT)/asan/%.o,$(USER_SRCS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
PROG_SRCS  := $(wildcard tests/prog/test_*.c)
PROG_BINS  := $(patsubst tests/prog/%.c,$(OUTPUT)/tests/%,$(PROG_SRCS))
PROG_LIB   := $(wildcard tests/prog/lib/*.c)

# Debian 12 packages needed to build and test.
DEPS := clang llvm libbpf-dev libxdp-dev bpftool libelf-dev zlib1g-dev pkg-config \
	gcc make libc6-dev iproute2 ethtool netsniff-ng python3 clang-format \
	libclang-rt-14-dev libmicrohttpd-dev prometheus clang-19 nftables curl conntrack \
	xdp-tools debhelper lintian dpkg-dev fakeroot groff-base man-db binutils

.PHONY: all help deps check check-kernels check-package test bpf user tests format format-check clean demo vmlinux-h FORCE \
	install uninstall deb man

all: $(OUTPUT)/synguard $(OUTPUT)/synguard.8 ## Build the BPF object, skeleton, the synguard binary and its manual page

help: ## List targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
		awk -F':.*## ' '{ printf "  %-14s %s\n", $$1, $$2 }'

deps: ## Install missing build/test dependencies with apt-get (idempotent)
	@missing=""; for p in $(DEPS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: need root to install:$$missing" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else echo "deps: all present"; fi

bpf: $(BPF_OBJ) $(SKEL) ## Build the BPF object and skeleton only

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/asan $(OUTPUT)/tests:
	$(Q)mkdir -p $@

# A copy of $(VMLINUX_H), rewritten only when its content changes, so that
# switching VMLINUX_H rebuilds the objects and nothing else does.
$(OUTPUT)/vmlinux.h: FORCE | $(OUTPUT)
	$(Q)cmp -s $(VMLINUX_H) $@ 2>/dev/null || { \
		printf '  %-8s %s\n' GEN "$@ (from $(VMLINUX_H))"; \
		cp $(VMLINUX_H) $@.tmp && mv -f $@.tmp $@; }

$(OUTPUT)/gen_vmlinux_h: tools/vmlinux/gen_vmlinux_h.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -lbpf -lelf -lz -o $@

vmlinux-h: $(OUTPUT)/gen_vmlinux_h ## Regenerate bpf/vmlinux/vmlinux.h from BTF=FILE (default: this kernel's)
	$(Q)$< $(BTF) "Linux $$(uname -r)" > $(OUTPUT)/vmlinux-min.h.tmp
	$(Q)mv -f $(OUTPUT)/vmlinux-min.h.tmp bpf/vmlinux/vmlinux.h
	@echo "wrote bpf/vmlinux/vmlinux.h from $(BTF)"

FORCE:

$(BPF_OBJ): bpf/synguard.bpf.c $(OUTPUT)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name synguard_bpf > $@

$(OUTPUT)/user/%.o: user/%.c $(SKEL) | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(HARDEN_CFLAGS) -c $< -o $@

$(OUTPUT)/synguard: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(HARDEN_CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) $^ $(LDLIBS) -o $@

# synguard(8), from the same tables as every `--help` (user/usage.c).
$(OUTPUT)/gen_man: tools/man/gen_man.c user/usage.c user/usage.h | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) tools/man/gen_man.c user/usage.c -o $@

$(OUTPUT)/synguard.8: $(OUTPUT)/gen_man
	$(call msg,GEN,$@)
	$(Q)$< "$(VERSION)" "$(MAN_DATE)" > $@

man: $(OUTPUT)/synguard.8 ## Build the manual page synguard(8)

install: all ## Install binary, manual page, unit, example config (PREFIX=/usr/local, DESTDIR)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/synguard
	install -m 755 $(OUTPUT)/synguard $(DESTDIR)$(SBINDIR)/synguard
	install -m 644 $(OUTPUT)/synguard.8 $(DESTDIR)$(MANDIR)/man8/synguard.8
	sed 's|/usr/local/sbin/synguard|$(SBINDIR)/synguard|g' tools/synguard@.service \
		> $(DESTDIR)$(UNITDIR)/synguard@.service
	chmod 644 $(DESTDIR)$(UNITDIR)/synguard@.service
	install -m 644 tools/synguard.conf.example $(DESTDIR)$(SYSCONFDIR)/synguard/synguard.conf.example

uninstall: ## Remove what `make install` installed (same PREFIX, DESTDIR); keeps your IFACE.conf files
	rm -f $(DESTDIR)$(SBINDIR)/synguard $(DESTDIR)$(MANDIR)/man8/synguard.8 \
		$(DESTDIR)$(UNITDIR)/synguard@.service \
		$(DESTDIR)$(SYSCONFDIR)/synguard/synguard.conf.example
	-rmdir $(DESTDIR)$(SYSCONFDIR)/synguard 2>/dev/null

# The Debian package, built from a copy of the tree (committed and
# uncommitted files git knows about) in $(OUTPUT)/deb, where the .deb,
# .buildinfo, .changes and lintian.txt land.
DEB_DIR := $(OUTPUT)/deb
deb: ## Build the Debian package (.output/deb/synguard_*.deb) and run lintian on it
	$(Q)tools/deb/build.sh $(DEB_DIR)

# The same binary with ASan/UBSan: what the tests run.
$(OUTPUT)/asan/%.o: user/%.c $(SKEL) | $(OUTPUT)/asan
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(OUTPUT)/asan/synguard: $(ASAN_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $^ $(LDLIBS) -o $@

# Test binaries are built with ASan/UBSan: every run of the suite is a
# sanitizer run.
$(OUTPUT)/tests/test_%: tests/unit/test_%.c $(SKEL) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $< -o $@

$(OUTPUT)/tests/test_%: tests/prog/test_%.c $(PROG_LIB) $(SKEL) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -Itests/prog/lib $< $(PROG_LIB) $(LDLIBS) -o $@

# test_netstate includes user/netstate.c and user/log.c. Named here because
# the .d file of a program compiled from several sources at once lists the
# headers of the last one only.
$(OUTPUT)/tests/test_netstate: user/netstate.c user/netstate.h user/log.c user/log.h

# Runs one frame through a live synguard XDP program (tests/e2e/test_keys.sh).
# Not test_*: tests/run.sh runs every $(OUTPUT)/tests/test_* as a test.
$(OUTPUT)/tests/sgrun: tests/prog/sgrun.c $(PROG_LIB) $(SKEL) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -Itests/prog/lib $< $(PROG_LIB) $(LDLIBS) -o $@

# Loads an object per engine and reports the verifier's instruction counts
# (tests/build/test_clang19.sh, tests/kernels/load.sh).
$(OUTPUT)/tests/bpfload: tests/build/bpfload.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -lbpf -lelf -lz -o $@

tests: $(UNIT_BINS) $(PROG_BINS) $(OUTPUT)/asan/synguard $(OUTPUT)/tests/sgrun $(OUTPUT)/tests/bpfload $(OUTPUT)/fuzz/fuzz_xdp ## Build the test programs

check: deps ## Install deps, build everything, run every test
	$(Q)$(MAKE) --no-print-directory all tests
	$(Q)tests/run.sh

# Booting Debian's and Ubuntu's kernels under qemu (tools/kvm/) needs these
# as well (curl and gpg fetch and check Ubuntu's archive key).
KVM_DEPS := qemu-system-x86 busybox-static zstd xz-utils kmod xdp-tools curl gpg

check-kernels: deps ## Boot Debian's 5.10, 6.1, 6.12 and Ubuntu's 5.15, 6.8 under qemu, run the suite on them and on this kernel (root, ~30 min)
	$(Q)$(MAKE) --no-print-directory deps DEPS="$(KVM_DEPS)"
	$(Q)$(MAKE) --no-print-directory all tests
	$(Q)tests/kernels/check-kernels.sh

# The package test boots Debian 12's kernel with systemd under qemu.
PKG_DEPS := $(KVM_DEPS) udev bc

check-package: deps ## Build the .deb, install/run/purge it under systemd in a qemu guest (root, ~3 min)
	$(Q)$(MAKE) --no-print-directory deps DEPS="$(PKG_DEPS)"
	$(Q)RUN_LOGS=$(OUTPUT)/test-logs; . tests/runlib.sh; run_one package bash tests/pkg/package.sh; run_summary

test: all tests ## Run the tests without touching packages
	$(Q)tests/run.sh

FORMAT_FILES = $(wildcard bpf/*.c bpf/*.h user/*.c user/*.h tests/unit/*.c tests/prog/*.c tests/prog/lib/*.[ch] tests/fuzz/*.[ch] tests/build/*.c tools/bench/*.c tools/vmlinux/*.c)

format: ## Reformat the C sources with clang-format
	$(Q)clang-format -i $(FORMAT_FILES)

format-check: ## Fail if a C source is not clang-formatted
	$(Q)clang-format --dry-run --Werror $(FORMAT_FILES)

demo: deps ## Show synguard defending a server against a SYN flood, next to the kernel alone (root, ~80 s)
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/demo.sh

clean: ## Remove build outputs
	$(Q)rm -rf $(OUTPUT)

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/user/*.d $(OUTPUT)/asan/*.d $(OUTPUT)/tests/*.d)

# ---- per-packet cost benchmark: tools/bench/prog_bench (root; not in `check`) ----
PROG_BENCH_BPF  := floor wrap probe
PROG_BENCH_SKEL := $(patsubst %,$(OUTPUT)/bench/%.skel.h,$(PROG_BENCH_BPF))
PROG_BENCH_LIB  := tests/prog/lib/pkt.c tests/prog/lib/verify.c

.PHONY: bench bench-prog bench-flood fuzz fuzz-parsers

$(OUTPUT)/bench:
	$(Q)mkdir -p $@

$(patsubst %,$(OUTPUT)/bench/%.bpf.o,$(PROG_BENCH_BPF)): $(OUTPUT)/bench/%.bpf.o: tools/bench/%.bpf.c $(OUTPUT)/vmlinux.h | $(OUTPUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(PROG_BENCH_SKEL): $(OUTPUT)/bench/%.skel.h: $(OUTPUT)/bench/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name bench_$* > $@

$(OUTPUT)/bench/prog_bench: tools/bench/prog_bench.c $(PROG_BENCH_LIB) $(SKEL) $(PROG_BENCH_SKEL) | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(OUTPUT)/bench -Itests/prog/lib $< $(PROG_BENCH_LIB) $(LDLIBS) -o $@

# The kernel's XDP synproxy example, timed beside synguard: built at bench
# time from Debian's kernel source package (never committed) by
# tools/bench/kexample.sh. The package comes through `make deps`; when it
# cannot be had or the example cannot be built, the report says why and
# the rest runs.
BENCH_DEPS := linux-source-6.12
KEX_DIR    := $(OUTPUT)/bench/kexample

.PHONY: bench-deps bench-kexample

bench-deps:
	-$(Q)$(MAKE) --no-print-directory deps DEPS="$(BENCH_DEPS)"

bench-kexample: bench-deps | $(OUTPUT)/bench
	$(Q)CLANG=$(CLANG) BPFTOOL=$(BPFTOOL) tools/bench/kexample.sh $(KEX_DIR)

bench-prog: all $(OUTPUT)/bench/prog_bench bench-kexample ## Per-packet cost of the XDP program and the kernel's synproxy example via BPF_PROG_TEST_RUN (root, ~3 min)
	$(Q)$(OUTPUT)/bench/prog_bench -K $(KEX_DIR) -o $(OUTPUT)/bench/prog_bench.md

bench-flood: all ## Flood bench in namespaces: synguard vs the kernel and nft synproxy (root, minutes)
	$(Q)tools/bench/flood.sh -o bench/flood.md

bench: deps ## All benchmarks; writes bench/results.md (root; not part of check)
	$(Q)$(MAKE) --no-print-directory all $(OUTPUT)/bench/prog_bench bench-kexample
	$(Q)$(OUTPUT)/bench/prog_bench -K $(KEX_DIR) -o bench/prog.md
	$(Q)tools/bench/flood.sh -o bench/flood.md
	$(Q)tools/bench/results.sh -o bench/results.md bench/prog.md bench/flood.md
	@echo "wrote bench/results.md"

-include $(wildcard $(OUTPUT)/bench/*.d)

# ---- XDP fuzzer: tests/fuzz/fuzz_xdp.c (libFuzzer, clang 14; running needs root) ----
FUZZ_SECONDS   ?= 60
FUZZ_CC        ?= clang
XDP_FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all
XDP_FUZZ_ARGS  := -rss_limit_mb=4096 -max_len=320 -timeout=10 -print_final_stats=1

.PHONY: fuzz-xdp fuzz-xdp-seeds

$(OUTPUT)/fuzz/fuzz_xdp: tests/fuzz/fuzz_xdp.c $(PROG_LIB) $(SKEL)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(filter-out -O2,$(CFLAGS)) $(XDP_FUZZ_FLAGS) -Itests/prog/lib \
		$< $(PROG_LIB) -lbpf -lelf -lz -o $@

fuzz-xdp: $(OUTPUT)/fuzz/fuzz_xdp ## Fuzz the XDP program for FUZZ_SECONDS (default 60; root)
	$(Q)mkdir -p $(OUTPUT)/fuzz/corpus_xdp $(OUTPUT)/fuzz/artifacts_xdp
	$(Q)cp tests/fuzz/corpus_xdp/* $(OUTPUT)/fuzz/corpus_xdp/
	$(Q)$< -max_total_time=$(FUZZ_SECONDS) $(XDP_FUZZ_ARGS) \
		-artifact_prefix=$(OUTPUT)/fuzz/artifacts_xdp/ $(OUTPUT)/fuzz/corpus_xdp

fuzz-parsers: all ## Fuzz the CLI/config/key-file/HTTP parsers, FUZZ_PARSER_SECONDS each (default 20)
	$(Q)tests/fuzz/test_fuzz_parsers.sh

fuzz: fuzz-xdp fuzz-parsers ## All fuzzers (FUZZ_SECONDS for the packet path)

fuzz-xdp-seeds: $(OUTPUT)/fuzz/fuzz_xdp ## Regenerate the seed corpus tests/fuzz/corpus_xdp
	$(Q)FUZZ_WRITE_SEEDS=tests/fuzz/corpus_xdp $<

-include $(wildcard $(OUTPUT)/fuzz/*.d)
