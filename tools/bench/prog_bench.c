/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * prog_bench: per-packet cost of the synguard XDP program, through
 * BPF_PROG_TEST_RUN on the real object (.output/synguard.bpf.o through its
 * skeleton), for the packet classes that matter in a flood, each set against
 * two floor programs measured alternately in the same run:
 *
 *   floor_pass     return XDP_PASS             (tools/bench/floor.bpf.c)
 *   floor_swap_tx  swap MACs, IPs, ports; TX   (tools/bench/floor.bpf.c)
 *
 * Most classes run behind tools/bench/wrap.bpf.c, which writes a frame
 * from a ring of N (-N, a power of two) before every repeat and tail-calls
 * the program: a SYN class brings a new random source address, port and
 * ISN every repeat, a valid-cookie ACK class a cookie valid for its own
 * random source, as in a random-source flood. The cost is then
 * wrap->synguard - wrap->floor_pass + floor_pass, with the same ring in
 * front of both. Classes of one fixed frame (an established flow, other
 * traffic) run synguard directly.
 *
 * The kernel's XDP synproxy example (xdp_synproxy_kern.c of the kernel
 * selftests, which tools/bench/kexample.sh builds from Debian's kernel
 * source package at bench time, -K DIR) is timed on the same SYN rings,
 * behind the same wrapper, alternated with synguard and the floors in the
 * same runs.
 *
 * Every run proves its path: synguard's per-CPU sg_stats are read before
 * and after, and the class's verdict counter (plus SG_E_SYN_RX for SYNs)
 * must have moved by exactly the repeat count and every other counter not
 * at all; the last repeat's output frame is checked too (a SYN-ACK byte
 * for byte against the one verified field by field for that frame with
 * tests/prog/lib/verify.c). Before the classes, every frame of every ring
 * is run once on its own and its verdict and output checked. The kernel
 * example's runs are checked by its own SYN-ACK counter and its output.
 * Any mismatch is reported as FAIL and the exit status is 1.
 *
 * The whole run happens in a private network namespace (unshare) with lo
 * up and carrying the server's addresses, listeners on port 80 (IPv4 and
 * IPv6) and one real established connection to it: the program's socket
 * lookups use the caller's namespace. synguard runs with the daemon's
 * default configuration, its local-address and listener sets filled as
 * the daemon fills them (SG_CFG_LOCAL); where a class departs from that
 * the report says so.
 *
 * Time per packet is the calling thread's CPU time across the test-run
 * syscall, less the fixed cost of a call (measured with 2-repeat calls),
 * divided by the repeat count: nanosecond clock, so sub-ns resolution per
 * packet, and time spent preempted is not counted. The kernel's own figure
 * (opts.duration) is an integer number of ns per repeat and is shown
 * beside it in the raw table.
 *
 * When a target is missed, the report breaks the class down with cost
 * probes (tools/bench/probe.bpf.c: single pieces of the data path, timed
 * the same way); tools/bench/profile.sh adds a perf profile by source line.
 *
 *   prog_bench [-o FILE] [-r RUNS] [-n REPEAT] [-N FRAMES] [-K DIR]
 *              [-s SEED] [-c TEXT] [-p TEXT] [-C CPU] [-L FILE] [-q]
 *
 * Needs root (CAP_SYS_ADMIN, CAP_BPF, CAP_NET_ADMIN).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "xdprun.h"
#include "cookie.h"
#include "../../user/util.c"
#include "../../user/usage.h"
#include "pkt.h"
#include "verify.h"
#include "synguard.skel.h"
#include "floor.skel.h"
#include "wrap.skel.h"
#include "probe.skel.h"

#define DEF_RUNS 11
#define DEF_REPEAT 1000000u
#define DEF_RING 4096u
#define MAX_RING 65536u
#define MIN_RUNS 5	    /* the stated method: median of >= 5 runs */
#define MIN_REPEAT 1000000u /* of >= 1e6 repeats each */
#define OUT_MAX 4096
#define FRAME_MAX 120 /* wrap.bpf.c BENCH_FRAME_MAX */
#define CUR_EPOCH 100
#define SERVER_PORT 80
#define MAX_SERIES 6
#define MAX_RUNS 101

/* Targets from the issue: IPv4 SYN and valid-cookie ACK, random sources,
 * each at most this many times the swap+TX floor. */
#define TARGET_SWAP 4.0

/* The server: the frames' destination, an address of the namespace. */
#define SERVER4 "198.51.100.2"
#define SERVER6 "2001:db8::2"
/* The client of the one established connection. */
#define CLIENT4 "203.0.113.7"

/* The kernel example's SYN-ACK counter: key 1 of its "values" map. */
#define KEX_VALUES_SYNACKS 1

/* ---- configuration: the daemon's defaults ---- */

/*
 * What `synguard run` writes into sg_config with its defaults on an
 * interface of MTU 1500 (user/run.c): the sysctls' SACK, timestamps,
 * window scaling and ECN (tcp_ecn 2), MSS 1460/1440, window 65535, our
 * shift 7 (what the kernel announces with default buffers), TTL 64, the
 * default MSS tables, the TIME_WAIT window of a 60 s key period (2
 * epochs), /24 and /64 source prefixes, the reflection guard at 2000
 * SYN-ACKs/s per prefix (burst twice that), the bad-cookie limiter at 4/s
 * with a burst of 32 per source; SG_CFG_LOCAL once the daemon has filled
 * the local-address and listener sets.
 */
static struct sg_config cfg_daemon = {
	.flags = SG_CFG_SACK | SG_CFG_TS | SG_CFG_WSCALE | SG_CFG_ECN |
		 SG_CFG_LOCAL,
	SG_TEST_CFG_SYNACK,
	.tw_epochs = 2,
	.prefix4 = 24,
	.prefix6 = 64,
	.synack_rate = SG_SYNACK_RATE_DEFAULT,
	.synack_burst = 2 * SG_SYNACK_RATE_DEFAULT,
	.badck_burst = SG_BADCK_BURST_DEFAULT,
	.hkey = { 0x9e3779b97f4a7c15ULL, 0x6a09e667f3bcc909ULL },
};

/*
 * The configurations the classes run with: the daemon's, and where a
 * class needs another, that one changed in one respect (the report says
 * which class ran with which).
 */
enum {
	CFG_DAEMON,
	CFG_GUARD_OFF,	/* synack_rate 0: the guard's cost, by difference */
	CFG_GUARD_DEEP, /* guard 1e9/s, burst 1e6: one replayed /24 */
	CFG_BADCK_DEEP, /* limiter 1e6/s, burst 1e6: every repeat finds tokens */
	CFG_BADCK_EMPTY, /* limiter refill 0: the bucket stays empty */
	NCFG
};

static struct sg_config cfgs[NCFG];

static const char *const cfg_desc[NCFG] = {
	[CFG_DAEMON] = "the daemon's defaults",
	[CFG_GUARD_OFF] = "the daemon's defaults but the reflection guard "
			  "off (synack_rate 0)",
	[CFG_GUARD_DEEP] = "the daemon's defaults but the reflection guard at "
			   "1e9 SYN-ACKs/s, burst 1e6 (same code path; at "
			   "2000/s one replayed /24 would be limited)",
	[CFG_BADCK_DEEP] = "the daemon's defaults but the bad-cookie "
			   "limiter at 1e6/s, burst 1e6 instead of 4/s, 32, "
			   "so that every repeat finds tokens, as a fresh "
			   "address's bucket has them (replayed, each address "
			   "would be limited after 32 tries; the rate too, "
			   "because a never-seen bucket fills with the time "
			   "since boot: at 4/s, a burst of 1e6 takes 3 days)",
	[CFG_BADCK_EMPTY] = "the daemon's defaults but the bad-cookie "
			    "limiter's refill 0, so that the bucket stays "
			    "empty for the whole run (at 4/s a few ACKs per "
			    "run would be checked)",
};

#define GUARD_DEEP_RATE 1000000000u
#define GUARD_DEEP_BURST 1000000u
#define BADCK_DEEP_RATE 1000000u
#define BADCK_DEEP_BURST 1000000u

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt,
								...);

static void make_configs(void)
{
	struct sg_config *c;
	int i;

	cfg_daemon.mask4 = htonl(~0u << (32 - cfg_daemon.prefix4));
	cfg_daemon.mask6[0] = 0xffffffffu;
	cfg_daemon.mask6[1] = 0xffffffffu;
	/* The daemon copies the namespace's few addresses into the config
	 * too (user/run.c, local_list), where the program compares them in
	 * place. */
	if (inet_pton(AF_INET, SERVER4, &cfg_daemon.local4[0]) != 1 ||
	    inet_pton(AF_INET6, SERVER6, cfg_daemon.local6[0]) != 1)
		die("server addresses");
	cfg_daemon.nlocal4 = 1;
	cfg_daemon.nlocal6 = 1;
	for (i = 0; i < NCFG; i++)
		cfgs[i] = cfg_daemon;
	cfgs[CFG_GUARD_OFF].synack_rate = 0;
	cfgs[CFG_GUARD_DEEP].synack_rate = GUARD_DEEP_RATE;
	cfgs[CFG_GUARD_DEEP].synack_burst = GUARD_DEEP_BURST;
	cfgs[CFG_BADCK_DEEP].badck_burst = BADCK_DEEP_BURST;
	for (i = 0; i < NCFG; i++) {
		c = &cfgs[i];
		/* the refills the daemon computes for these rates */
		sg_bucket_params(c->synack_rate, c->synack_burst,
				 &c->synack_mul, &c->synack_cap_ns);
		sg_bucket_params(i == CFG_BADCK_EMPTY ? 0 :
				 i == CFG_BADCK_DEEP  ? BADCK_DEEP_RATE :
							SG_BADCK_RATE_DEFAULT,
				 c->badck_burst, &c->badck_mul,
				 &c->badck_cap_ns);
	}
}

static const struct sg_key key99 = { 0x0706050403020100ULL,
				     0x0f0e0d0c0b0a0908ULL, 99, 1 };
static const struct sg_key key100 = { 0xa5a5a5a55a5a5a5aULL,
				      0x1122334455667788ULL, 100, 1 };
static const struct sg_key key101 = { 0x0101010110101010ULL,
				      0x8877665544332211ULL, 101, 1 };

/* wrap.bpf.c's map value; also how the rings keep their frames. */
struct bench_frame {
	__u32 len;
	__u32 pad;
	__u8 data[FRAME_MAX];
};

/* ---- output ---- */

static char *out_buf;
static size_t out_len, out_cap;
static int quiet;
/* -c / -p: run only the classes / probes whose name contains this; with
 * only one of them given, none of the other kind run. */
static const char *only_class, *only_probe;
static const char *linemap; /* -L: write synguard_xdp's JIT line map */
static const char *kex_dir; /* -K: where kexample.sh built the example */
static int pin_cpu = -1;    /* -C: run on this CPU only */
static int n_fail;
/* Path failures of the kernel example's runs: reported with its figures,
 * not in the exit status (synguard's figures do not depend on them). */
static int n_kfail, in_kex;

__attribute__((format(printf, 1, 2))) static void emit(const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = out_cap - out_len;

		va_start(ap, fmt);
		n = vsnprintf(out_buf ? out_buf + out_len : NULL, room, fmt,
			      ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			out_len += n;
			return;
		}
		out_cap = (out_cap + n + 1) * 2;
		out_buf = realloc(out_buf, out_cap);
		if (!out_buf) {
			perror("realloc");
			exit(1);
		}
	}
}

__attribute__((format(printf, 1, 2))) static void progress(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (in_kex)
		n_kfail++;
	else
		n_fail++;
}

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt,
								...)
{
	va_list ap;

	fprintf(stderr, "prog_bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	if (!p)
		die("out of memory");
	return p;
}

/* ---- random numbers (splitmix64; the seed is in the report) ---- */

static __u64 rng_seed, rng_state;

static __u64 rnd64(void)
{
	__u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u32 rnd32(void)
{
	return (__u32)(rnd64() >> 32);
}

/* ---- programs and maps ---- */

static struct synguard_bpf *sg;
static struct bench_floor *fl;
static struct bench_wrap *wr;
static struct bench_probe *pr;
static int ncpus;

static int map_set(struct bpf_map *m, __u32 key, const void *val, size_t sz)
{
	return bpf_map__update_elem(m, &key, sizeof(key), val, sz, BPF_ANY);
}

static int cfg_installed = -1;

static void set_config(int which)
{
	if (cfg_installed == which)
		return;
	if (map_set(sg->maps.sg_config, 0, &cfgs[which], sizeof(cfgs[which])))
		die("sg_config: %s", strerror(errno));
	cfg_installed = which;
}

static void set_port_bits(struct bpf_map *m)
{
	static const __u16 ports[] = { 80, 443 };
	__u32 words[SG_PORT_WORDS] = { 0 };
	size_t i;

	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		words[ports[i] >> 5] |= 1u << (ports[i] & 31);
	for (i = 0; i < SG_PORT_WORDS; i++)
		if (words[i] && map_set(m, i, &words[i], sizeof(words[i])))
			die("ports map: %s", strerror(errno));
}

/* Every port, for the probes: probe_least_syn swaps the ports of its
 * frame every repeat, and both directions must parse alike. */
static void set_all_port_bits(struct bpf_map *m)
{
	__u32 all = ~0u, i;

	for (i = 0; i < SG_PORT_WORDS; i++)
		if (map_set(m, i, &all, sizeof(all)))
			die("ports map: %s", strerror(errno));
}

/* The daemon's view of this namespace: the server's addresses (the
 * config's copies, make_configs), and a listener on SERVER_PORT
 * (user/netstate.c fills these). */
static void set_local_sets(void)
{
	struct sg_lport lp = { .listen = 1u << (SERVER_PORT & 31) };
	__u32 one = 1, idx = SERVER_PORT >> 5;
	struct sg_in6 a6;

	memcpy(a6.addr, cfg_daemon.local6[0], sizeof(a6.addr));
	if (bpf_map__update_elem(sg->maps.sg_local4, &cfg_daemon.local4[0],
				 sizeof(cfg_daemon.local4[0]), &one,
				 sizeof(one), BPF_ANY) ||
	    bpf_map__update_elem(sg->maps.sg_local6, &a6, sizeof(a6), &one,
				 sizeof(one), BPF_ANY) ||
	    map_set(sg->maps.sg_lports, idx, &lp, sizeof(lp)))
		die("local sets: %s", strerror(errno));
}

static void setup_synguard(void)
{
	struct sg_epoch_state es = { .epoch = CUR_EPOCH };

	make_configs();
	set_config(CFG_DAEMON);
	set_port_bits(sg->maps.sg_ports);
	set_local_sets();
	/* The daemon's key ring: previous, current and next epoch. */
	if (map_set(sg->maps.sg_keys, CUR_EPOCH % SG_KEY_SLOTS, &key100,
		    sizeof(key100)) ||
	    map_set(sg->maps.sg_keys, (CUR_EPOCH - 1) % SG_KEY_SLOTS, &key99,
		    sizeof(key99)) ||
	    map_set(sg->maps.sg_keys, (CUR_EPOCH + 1) % SG_KEY_SLOTS, &key101,
		    sizeof(key101)) ||
	    map_set(sg->maps.sg_epoch, 0, &es, sizeof(es)))
		die("keys/epoch: %s", strerror(errno));
}

/*
 * The per-source state (source-prefix buckets, recently seen sources,
 * bad-cookie buckets) back to what a program that never saw these
 * sources holds. By name, so that a map the program no longer has is
 * skipped; arrays are zeroed, hashes emptied.
 */
static const char *const source_maps[] = { "sg_sources", "sg_recent",
					   "sg_badck" };

static void reset_map(struct bpf_map *m)
{
	static __u32 *keys;
	static void *zeros;
	static size_t zcap;
	enum bpf_map_type t = bpf_map__type(m);
	__u32 n = bpf_map__max_entries(m), i, count;
	size_t vs = bpf_map__value_size(m);
	int fd = bpf_map__fd(m);

	if (t == BPF_MAP_TYPE_PERCPU_ARRAY)
		vs = ((vs + 7) & ~(size_t)7) * ncpus;
	if (t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY) {
		LIBBPF_OPTS(bpf_map_batch_opts, bo);

		if (!keys) {
			keys = xcalloc(MAX_RING * 4, sizeof(*keys));
			for (i = 0; i < MAX_RING * 4; i++)
				keys[i] = i;
		}
		if (n > MAX_RING * 4)
			die("%s: %u entries", bpf_map__name(m), n);
		if (zcap < n * vs) {
			free(zeros);
			zcap = n * vs;
			zeros = xcalloc(1, zcap);
		}
		count = n;
		if (!bpf_map_update_batch(fd, keys, zeros, &count, &bo) &&
		    count == n)
			return;
		for (i = 0; i < n; i++)
			if (bpf_map_update_elem(fd, &i, zeros, BPF_ANY))
				die("%s: %s", bpf_map__name(m),
				    strerror(errno));
		return;
	}
	/* a hash: delete what it holds */
	{
		__u8 next[256];

		if (bpf_map__key_size(m) > sizeof(next))
			die("%s: key of %u bytes", bpf_map__name(m),
			    bpf_map__key_size(m));
		while (!bpf_map_get_next_key(fd, NULL, next))
			if (bpf_map_delete_elem(fd, next))
				die("%s: %s", bpf_map__name(m),
				    strerror(errno));
	}
}

static void reset_sources(void)
{
	size_t i;

	for (i = 0; i < sizeof(source_maps) / sizeof(source_maps[0]); i++) {
		struct bpf_map *m =
			bpf_object__find_map_by_name(sg->obj, source_maps[i]);

		if (m)
			reset_map(m);
	}
}

static void read_stats(__u64 *sum)
{
	__u64 vals[ncpus];
	__u32 i;
	int c;

	for (i = 0; i < SG_STAT_MAX; i++) {
		if (bpf_map__lookup_elem(sg->maps.sg_stats, &i, sizeof(i), vals,
					 sizeof(vals), 0))
			die("sg_stats: %s", strerror(errno));
		sum[i] = 0;
		for (c = 0; c < ncpus; c++)
			sum[i] += vals[c];
	}
}

static const char *stat_name(int s)
{
	static const char *const names[SG_STAT_MAX] = {
		[SG_V_PASS_NOT_IP] = "pass_not_ip",
		[SG_V_PASS_NOT_TCP] = "pass_not_tcp",
		[SG_V_PASS_PORT] = "pass_port",
		[SG_V_PASS_FRAGMENT] = "pass_fragment",
		[SG_V_PASS_IPV6_EXT] = "pass_ipv6_ext",
		[SG_V_PASS_VLAN_DEPTH] = "pass_vlan_depth",
		[SG_V_PASS_FLAGS] = "pass_flags",
		[SG_V_PASS_NO_KEY] = "pass_no_key",
		[SG_V_PASS_COOKIE_OK] = "pass_cookie_ok",
		[SG_V_PASS_ESTABLISHED] = "pass_established",
		[SG_V_PASS_TIMEWAIT] = "pass_timewait",
		[SG_V_PASS_NO_LISTENER] = "pass_no_listener",
		[SG_V_PASS_GEN_COOKIE] = "pass_gen_cookie",
		[SG_V_PASS_ALLOW] = "pass_allow",
		[SG_V_TX_SYNACK] = "tx_synack",
		[SG_V_DROP_COOKIE_BAD] = "drop_cookie_bad",
		[SG_V_DROP_MALFORMED_L2] = "drop_malformed_l2",
		[SG_V_DROP_MALFORMED_IP] = "drop_malformed_ip",
		[SG_V_DROP_MALFORMED_TCP] = "drop_malformed_tcp",
		[SG_V_DROP_BAD_OPTION] = "drop_bad_option",
		[SG_V_DROP_BAD_FLAGS] = "drop_bad_flags",
		[SG_V_DROP_ADJUST] = "drop_adjust",
		[SG_V_DROP_NO_CONFIG] = "drop_no_config",
		[SG_V_DROP_DENY] = "drop_deny",
		[SG_V_DROP_RATELIMIT] = "drop_ratelimit",
		[SG_E_SYN_PAYLOAD] = "syn_payload",
		[SG_E_COOKIE_PREV_EPOCH] = "cookie_prev_epoch",
		[SG_E_HANDOFF_OK] = "handoff_ok",
		[SG_E_HANDOFF_NO_LISTENER] = "handoff_no_listener",
		[SG_E_HANDOFF_ERROR] = "handoff_error",
		[SG_E_HANDOFF_PARSE] = "handoff_parse",
		[SG_E_SYN_RX] = "syn_rx",
		[SG_V_PASS_NOT_LOCAL] = "pass_not_local",
		[SG_V_PASS_MPTCP] = "pass_mptcp",
		[SG_V_PASS_TCP_AUTH] = "pass_tcp_auth",
		[SG_V_PASS_NOT_ENGAGED] = "pass_not_engaged",
		[SG_V_PASS_KERNEL_COOKIE] = "pass_kernel_cookie",
		[SG_V_PASS_NAT] = "pass_nat",
		[SG_V_DROP_COOKIE_LIMITED] = "drop_cookie_limited",
		[SG_E_META_FAILED] = "meta_failed",
		[SG_E_MONITOR_PASSED] = "monitor_passed",
		[SG_E_GUARD_BYPASS] = "guard_bypass",
		[SG_E_HANDOFF_DUP] = "handoff_dup",
		[SG_E_HANDOFF_DEFERRED] = "handoff_deferred",
		[SG_E_TC_VERIFIED] = "tc_verified",
	};
	static char buf[32];

	if (s >= 0 && s < SG_STAT_MAX && names[s])
		return names[s];
	snprintf(buf, sizeof(buf), "stat#%d", s);
	return buf;
}

static const char *verdict_name(__u32 v)
{
	static const char *const n[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS",
					 "XDP_TX", "XDP_REDIRECT" };

	return v < 5 ? n[v] : "XDP_?";
}

/* ---- frames and rings ---- */

#define CLI_ISN 0x01020304u
#define CLI_TSVAL 0x11223344u
#define TSV_OFF 8 /* the TSval in opts_linux */

/* MSS 1460, SACK-permitted, TS, NOP, WS 7: what Linux sends. */
static const __u8 opts_linux[] = { 2,	 4,    5, 0xb4, 4, 2, 8, 10, 0x11, 0x22,
				   0x33, 0x44, 0, 0,	0, 0, 1, 3,  3,	   7 };
/* MSS 1460, NOP, WS 8, NOP, NOP, SACK-permitted: what Windows sends. */
static const __u8 opts_windows[] = { 2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2 };

/* What synguard's cookie carries for those: MSS index, client shift,
 * SACK, timestamps, ECN (the SYNs ask for none). */
struct attrs_exp {
	__u8 mss_idx, wscale, sack, ts, ecn;
};

static const struct attrs_exp x_linux = { 6, 7, 1, 1, 0 };
static const struct attrs_exp x_windows = { 6, 8, 1, 0, 0 };

/*
 * A ring: the frames the wrapper writes in turn (a direct class uses the
 * first), and for SYN rings the SYN-ACK synguard must answer each with.
 */
struct ring {
	__u32 n; /* frames, a power of two */
	int family;
	struct bench_frame *in;
	struct bench_frame *ref;
};

static __u32 ring_n = DEF_RING; /* -N */

static void ring_alloc(struct ring *rg, __u32 n, int family, int refs)
{
	rg->n = n;
	rg->family = family;
	rg->in = xcalloc(n, sizeof(*rg->in));
	rg->ref = refs ? xcalloc(n, sizeof(*rg->ref)) : NULL;
}

/* A ring of one frame: frame @i of @from. */
static void ring_one(struct ring *rg, const struct ring *from, __u32 i)
{
	ring_alloc(rg, 1, from->family, !!from->ref);
	rg->in[0] = from->in[i];
	if (from->ref)
		rg->ref[0] = from->ref[i];
}

static void put_frame(struct bench_frame *f, const struct pkt_spec *s,
		      const char *what)
{
	static struct pkt p;

	if (pkt_build(&p, s) || p.len > FRAME_MAX)
		die("cannot build the %s frame", what);
	memset(f, 0, sizeof(*f));
	f->len = p.len;
	memcpy(f->data, p.data, p.len);
}

static void spec_opts(struct pkt_spec *s, const __u8 *o, size_t n)
{
	memcpy(s->opts, o, n);
	s->optlen = (__u8)n;
}

/* NOP NOP TS(tsval, tsecr): what a Linux ACK carries. */
static void spec_ts(struct pkt_spec *s, __u32 tsval, __u32 tsecr)
{
	memset(s->opts, 0, sizeof(s->opts));
	s->opts[0] = 1;
	s->opts[1] = 1;
	s->opts[2] = 8;
	s->opts[3] = 10;
	pkt_put32(s->opts + 4, tsval);
	pkt_put32(s->opts + 8, tsecr);
	s->optlen = 12;
}

/* To the server's port; IPv4 with DF set, as TCP stacks send it. */
static void spec_server(struct pkt_spec *s, int family)
{
	s->family = family;
	s->dport = SERVER_PORT;
	if (family == 4)
		s->frag_off = PKT_IP_DF;
	if (inet_pton(family == 4 ? AF_INET : AF_INET6,
		      family == 4 ? SERVER4 : SERVER6, s->dst_ip) != 1)
		die("server address");
}

/*
 * Random sources: unicast addresses no rule of synguard's passes to the
 * kernel (IPv4 outside 0/8, 127/8, 224/3 and the documentation /24s this
 * bench uses itself; IPv6 in 2000::/3 outside 2001:db8::/32), each frame
 * of a ring from its own /24 (IPv4) or /64 (IPv6), the prefixes the
 * reflection guard and the source accounting count by.
 */
static __u64 *pfx_tab;
static __u32 pfx_mask;

static void pfx_clear(__u32 n)
{
	__u32 size = 1;

	while (size < 2 * n)
		size <<= 1;
	free(pfx_tab);
	pfx_tab = xcalloc(size, sizeof(*pfx_tab));
	pfx_mask = size - 1;
}

/* 1 when @key (never 0) was not in the set yet. */
static int pfx_add(__u64 key)
{
	__u32 i = (__u32)((key * 0x9e3779b97f4a7c15ULL) >> 40) & pfx_mask;

	for (; pfx_tab[i]; i = (i + 1) & pfx_mask)
		if (pfx_tab[i] == key)
			return 0;
	pfx_tab[i] = key;
	return 1;
}

static void rand_src(int family, __u8 *ip)
{
	for (;;) {
		if (family == 4) {
			__u32 a = rnd32(), o = a >> 24, p24 = a >> 8;

			if (o == 0 || o == 127 || o >= 224 ||
			    p24 == 0xc00002 /* 192.0.2 */ ||
			    p24 == 0xc63364 /* 198.51.100 */ ||
			    p24 == 0xcb0071 /* 203.0.113 */)
				continue;
			if (!pfx_add((__u64)p24 | 1ULL << 40))
				continue;
			pkt_put32(ip, a);
			return;
		} else {
			__u64 hi = rnd64(), lo = rnd64();
			int i;

			hi = (hi & ~(7ULL << 61)) | 1ULL << 61; /* 2000::/3 */
			if ((hi >> 32) == 0x20010db8u || !pfx_add(hi))
				continue;
			for (i = 0; i < 8; i++) {
				ip[i] = (__u8)(hi >> (56 - 8 * i));
				ip[8 + i] = (__u8)(lo >> (56 - 8 * i));
			}
			return;
		}
	}
}

/* Source port, ISN, IP id: random for a random-source frame. */
static void rand_flow(struct pkt_spec *s)
{
	s->sport = (__u16)(1024 + rnd32() % 64512);
	s->seq = rnd32();
	s->ip_id = (__u16)rnd32();
}

/*
 * A SYN ring: @n SYNs with option set @o (Linux: with its random TSval),
 * from random sources, or (@n 1, !@random) the one fixed frame of the
 * single-source class.
 */
static void build_syn_ring(struct ring *rg, int family, const __u8 *o,
			   size_t olen, __u32 n, int random)
{
	struct pkt_spec s;
	__u32 i;

	ring_alloc(rg, n, family, 1);
	pfx_clear(n);
	for (i = 0; i < n; i++) {
		memset(&s, 0, sizeof(s));
		spec_server(&s, family);
		s.flags = TH_SYN;
		s.seq = CLI_ISN;
		spec_opts(&s, o, olen);
		if (random) {
			rand_src(family, s.src_ip);
			rand_flow(&s);
			if (o == opts_linux)
				pkt_put32(s.opts + TSV_OFF, rnd32());
		}
		put_frame(&rg->in[i], &s, "SYN");
	}
}

/* An ACK of the handshake frame @i of SYN ring @syn started, with the
 * cookie of its verified SYN-ACK (and the echoed TSval when it has one). */
static void build_ack_ring(struct ring *rg, const struct ring *syn)
{
	struct sg_frame f, sa;
	struct pkt_spec s;
	char why[512];
	__u32 i, n = syn->family == 4 ? 4 : 16;

	ring_alloc(rg, syn->n, syn->family, 0);
	for (i = 0; i < syn->n; i++) {
		if (sg_parse_frame(syn->in[i].data, syn->in[i].len, &f, why,
				   sizeof(why)) ||
		    sg_parse_frame(syn->ref[i].data, syn->ref[i].len, &sa, why,
				   sizeof(why)))
			die("valid-cookie ACK %u: %s", i, why);
		memset(&s, 0, sizeof(s));
		spec_server(&s, syn->family);
		memcpy(s.src_ip, f.saddr, n);
		s.sport = f.sport;
		s.flags = TH_ACK;
		s.seq = f.seq + 1;
		s.ack = sa.seq + 1;
		s.window = 502;
		s.ip_id = (__u16)rnd32();
		if (sa.has_ts)
			spec_ts(&s, f.tsval + 1, sa.tsval);
		put_frame(&rg->in[i], &s, "valid-cookie ACK");
	}
}

/* Would @cookie, with @tsecr when @ts, verify for this ACK (current
 * epoch's key)? A forged one is redrawn when it does (odds 2^-22). */
static int cookie_valid(const struct pkt_spec *s, __u32 cookie, __u32 tsecr,
			int ts)
{
	__u32 attrs9 = sg_cookie_attrs(cookie, tsecr, ts), ports, cisn = s->seq;
	__u32 meta = sg_cookie_meta(CUR_EPOCH, attrs9, ts);
	__u8 sa[16], da[16];
	__u64 mac;

	pkt_addrs(s, sa, da);
	ports = htons(s->sport) | (__u32)htons(s->dport) << 16;
	if (s->family == 4) {
		__u32 a, b;

		memcpy(&a, sa, 4);
		memcpy(&b, da, 4);
		mac = sg_mac4(&key100, a, b, ports, cisn, meta);
	} else {
		__u32 a[4], b[4];

		memcpy(a, sa, 16);
		memcpy(b, da, 16);
		mac = sg_mac6(&key100, a, b, ports, cisn, meta);
	}
	return sg_cookie_mac_ok(mac, cookie, tsecr, ts);
}

/*
 * Forged ACKs: random cookies (their epoch bits the current epoch's, so
 * the full MAC check runs with the current key), with a random TSecr when
 * @ts; from random sources, or (!@random) from the one source 192.0.2.1.
 */
static void build_forged_ring(struct ring *rg, int family, int ts, __u32 n,
			      int random)
{
	struct pkt_spec s;
	__u32 i, cookie, tsecr;

	ring_alloc(rg, n, family, 0);
	pfx_clear(n);
	for (i = 0; i < n; i++) {
		memset(&s, 0, sizeof(s));
		spec_server(&s, family);
		s.flags = TH_ACK;
		s.window = 502;
		s.seq = 0x11110000;
		if (random) {
			rand_src(family, s.src_ip);
			rand_flow(&s);
		}
		do {
			cookie = (rnd32() & 0x3fffffffu) | (CUR_EPOCH & 3u)
								   << 30;
			tsecr = rnd32();
		} while (cookie_valid(&s, cookie, tsecr, ts));
		s.ack = cookie + 1;
		s.seq += 1; /* the client's ISN + 1, as the MAC input saw */
		if (ts)
			spec_ts(&s, rnd32(), tsecr);
		put_frame(&rg->in[i], &s, "forged ACK");
	}
}

/* ---- the wrapper's ring ---- */

static const struct ring *ring_loaded;

static void load_ring(const struct ring *rg)
{
	static __u32 *keys;
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__u32 i, count = rg->n;
	int fd = bpf_map__fd(wr->maps.bench_frames);

	if (ring_loaded == rg)
		return;
	if (rg->n > ring_n || (rg->n & (rg->n - 1)))
		die("ring of %u frames", rg->n);
	if (!keys) {
		keys = xcalloc(MAX_RING, sizeof(*keys));
		for (i = 0; i < MAX_RING; i++)
			keys[i] = i;
	}
	if (bpf_map_update_batch(fd, keys, rg->in, &count, &bo) ||
	    count != rg->n)
		for (i = 0; i < rg->n; i++)
			if (bpf_map_update_elem(fd, &i, &rg->in[i], BPF_ANY))
				die("bench_frames: %s", strerror(errno));
	wr->bss->bench_mask = rg->n - 1;
	ring_loaded = rg;
}

/* The wrapper's cursor to frame 0: a run's last repeat then used frame
 * (repeat - 1) & mask. */
static void reset_cursor(void)
{
	wr->bss->bench_cursor = 0;
}

/* ---- the kernel's XDP synproxy example ---- */

static struct bpf_object *kex_obj;
static int kex_fd = -1, kex_values_fd = -1;
static char kex_why[1024];  /* why it is not there */
static char kex_from[512];  /* what it was built from */
static char kex_log[16384]; /* libbpf's messages while loading it */
static size_t kex_log_len;

/* Keeps the tail of libbpf's messages (the verifier's verdict is at the
 * end of a log that can be megabytes long). */
static int kex_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg = NULL;
	size_t n, keep;
	int len;

	if (level == LIBBPF_DEBUG)
		return 0;
	len = vasprintf(&msg, fmt, ap);
	if (len < 0)
		return 0;
	n = (size_t)len;
	if (n >= sizeof(kex_log) - 1) {
		memcpy(kex_log, msg + n - (sizeof(kex_log) - 1),
		       sizeof(kex_log) - 1);
		kex_log_len = sizeof(kex_log) - 1;
	} else {
		keep = sizeof(kex_log) - 1 - n;
		if (kex_log_len > keep) {
			memmove(kex_log, kex_log + kex_log_len - keep, keep);
			kex_log_len = keep;
		}
		memcpy(kex_log + kex_log_len, msg, n);
		kex_log_len += n;
	}
	kex_log[kex_log_len] = '\0';
	free(msg);
	return 0;
}

static void read_text(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	size_t len = 0;

	buf[0] = '\0';
	if (!f)
		return;
	len = fread(buf, 1, n - 1, f);
	buf[len] = '\0';
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	fclose(f);
}

/* The last non-empty line of libbpf's messages containing @what. */
static const char *kex_log_line(const char *what)
{
	static char line[256];
	char *p = kex_log, *hit = NULL;

	while ((p = strstr(p, what)))
		hit = p++;
	if (!hit)
		return NULL;
	while (hit > kex_log && hit[-1] != '\n')
		hit--;
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(hit, "\n"), hit);
	return line;
}

/*
 * Load the example as its userspace part (xdp_synproxy.c) would set it
 * up: port SERVER_PORT allowed, and the same MSS, window scale and TTL as
 * synguard's configuration (its values[0]: mss4 | wscale << 16 | ttl << 24
 * | mss6 << 32). Only the XDP program is loaded.
 */
static void load_kex(void)
{
	char path[4096];
	struct bpf_program *p;
	__u64 opts;
	__u32 k = 0;
	__u16 port = SERVER_PORT;
	int err, fd;

	if (!kex_dir) {
		snprintf(kex_why, sizeof(kex_why),
			 "not requested (prog_bench -K DIR; `make bench-prog` "
			 "and `make bench` build it)");
		return;
	}
	snprintf(path, sizeof(path), "%s/from", kex_dir);
	read_text(path, kex_from, sizeof(kex_from));
	snprintf(path, sizeof(path), "%s/xdp_synproxy_kern.o", kex_dir);
	if (access(path, R_OK)) {
		snprintf(path, sizeof(path), "%s/why", kex_dir);
		read_text(path, kex_why, sizeof(kex_why));
		if (!kex_why[0])
			snprintf(kex_why, sizeof(kex_why),
				 "%s/xdp_synproxy_kern.o was not built",
				 kex_dir);
		return;
	}
	kex_obj = bpf_object__open_file(path, NULL);
	if (!kex_obj) {
		snprintf(kex_why, sizeof(kex_why), "opening %.200s: %s", path,
			 strerror(errno));
		return;
	}
	for (p = bpf_object__next_program(kex_obj, NULL); p;
	     p = bpf_object__next_program(kex_obj, p))
		bpf_program__set_autoload(
			p, !strcmp(bpf_program__name(p), "syncookie_xdp"));
	libbpf_set_print(kex_print);
	err = bpf_object__load(kex_obj);
	libbpf_set_print(NULL);
	if (err) {
		const char *l = kex_log_line("processed");

		snprintf(kex_why, sizeof(kex_why),
			 "the kernel refused to load it (%s)%s%s%s",
			 strerror(-err), l ? ": `" : "", l ? l : "",
			 l ? "`" : "");
		goto out;
	}
	p = bpf_object__find_program_by_name(kex_obj, "syncookie_xdp");
	fd = p ? bpf_program__fd(p) : -1;
	{
		struct bpf_map *v =
			bpf_object__find_map_by_name(kex_obj, "values");
		struct bpf_map *ap =
			bpf_object__find_map_by_name(kex_obj, "allowed_ports");

		if (fd < 0 || !v || !ap) {
			snprintf(kex_why, sizeof(kex_why),
				 "no syncookie_xdp program or no values / "
				 "allowed_ports map in it");
			goto out;
		}
		opts = (__u64)cfg_daemon.mss6 << 32 |
		       (__u64)cfg_daemon.ttl << 24 |
		       (__u64)cfg_daemon.wscale << 16 | cfg_daemon.mss4;
		if (bpf_map_update_elem(bpf_map__fd(ap), &k, &port, BPF_ANY) ||
		    bpf_map_update_elem(bpf_map__fd(v), &k, &opts, BPF_ANY)) {
			snprintf(kex_why, sizeof(kex_why),
				 "setting its maps: %s", strerror(errno));
			goto out;
		}
		kex_values_fd = bpf_map__fd(v);
	}
	kex_fd = fd;
	return;
out:
	bpf_object__close(kex_obj);
	kex_obj = NULL;
}

static __u32 kex_synacks(void)
{
	__u32 k = KEX_VALUES_SYNACKS;
	__u64 v = 0;

	if (bpf_map_lookup_elem(kex_values_fd, &k, &v))
		die("the example's values map: %s", strerror(errno));
	return (__u32)v; /* it adds to the low 32 bits */
}

/* ---- one measured test run ---- */

enum out_check {
	OUT_NONE,    /* dropped or a floor: the output is not looked at */
	OUT_SAME,    /* passed: frame unchanged, no metadata */
	OUT_SYNACK,  /* the frame's verified SYN-ACK, no metadata */
	OUT_META,    /* sg_meta in front of the unchanged frame */
	OUT_KSYNACK, /* the kernel example's SYN-ACK for the frame */
};

/* What a run of one series must show. */
struct expect {
	__u32 retval; /* verdict of the last repeat */
	int stat;     /* synguard counter moving by repeat; -1: none moves */
	int event;    /* and this one; -1: none */
	enum out_check out;
};

struct series {
	const char *name;
	int prog_fd;
	int target_fd; /* >= 0: prog_fd is the wrapper, this goes to slot 0 */
	struct expect x;
	int cfg;	      /* synguard's configuration for it */
	int fresh;	      /* per-source state reset before every run */
	int kex;	      /* the kernel example: its counter, its output */
	double ns[MAX_RUNS];  /* thread CPU ns per packet, fixed cost out */
	double tot[MAX_RUNS]; /* thread CPU ns of the whole test run */
	double fix[MAX_RUNS]; /* thread CPU ns of a 2-repeat test run */
	double fixed;	      /* median of fix[]: the per-call cost */
	__u32 kns[MAX_RUNS];  /* kernel-reported ns per repeat */
};

static const char *check_ksynack(const __u8 *o, __u32 len,
				 const struct bench_frame *syn)
{
	struct sg_frame a, s;
	char why[512];
	__u16 c;
	__u32 n;

	if (sg_parse_frame(o, len, &a, why, sizeof(why)))
		return "the example's output does not parse as TCP";
	if (sg_parse_frame(syn->data, syn->len, &s, why, sizeof(why)))
		return "the input SYN does not parse";
	n = s.family == 4 ? 4 : 16;
	if ((a.flags & (TH_SYN | TH_ACK | TH_RST | TH_FIN)) !=
	    (TH_SYN | TH_ACK))
		return "the example's output is not a SYN-ACK";
	if (a.family != s.family || memcmp(a.saddr, s.daddr, n) ||
	    memcmp(a.daddr, s.saddr, n) || memcmp(a.src, s.dst, 6) ||
	    memcmp(a.dst, s.src, 6) || a.sport != s.dport || a.dport != s.sport)
		return "the example's SYN-ACK does not go back to the SYN's sender";
	if (a.ack != s.seq + 1)
		return "the example's SYN-ACK does not acknowledge the SYN";
	if ((a.family == 4 && !sg_ipv4_csum_ok(o, &a, &c)) ||
	    !sg_tcp_csum_ok(o, &a, &c))
		return "the example's SYN-ACK has a bad checksum";
	if (!a.has_mss)
		return "the example's SYN-ACK has no MSS option";
	return NULL;
}

static const char *check_output(const struct expect *x, const __u8 *o,
				__u32 meta_len, __u32 frame_len,
				const struct bench_frame *in,
				const struct bench_frame *ref)
{
	const __u8 *frame = o + meta_len;

	switch (x->out) {
	case OUT_NONE:
		return NULL;
	case OUT_SAME:
		if (meta_len || frame_len != in->len ||
		    memcmp(frame, in->data, in->len))
			return "frame changed";
		return NULL;
	case OUT_SYNACK:
		if (!ref)
			return "no reference SYN-ACK";
		if (meta_len || frame_len != ref->len ||
		    memcmp(frame, ref->data, ref->len))
			return "last repeat's SYN-ACK differs from the verified one";
		return NULL;
	case OUT_META: {
		struct sg_meta m;

		if (meta_len != sizeof(m))
			return "no sg_meta in front of the frame";
		memcpy(&m, o, sizeof(m));
		if (m.magic != SG_META_MAGIC)
			return "bad sg_meta magic";
		if (frame_len != in->len || memcmp(frame, in->data, in->len))
			return "frame behind the metadata changed";
		return NULL;
	}
	case OUT_KSYNACK:
		if (meta_len)
			return "metadata in front of the example's SYN-ACK";
		return check_ksynack(frame, frame_len, in);
	}
	return NULL;
}

/* The output of the last test run: metadata, then the frame. */
static __u8 out[OUT_MAX];
static __u32 out_meta, out_frame;

/* One BPF_PROG_TEST_RUN of @fd on @in, @repeat times; the verdict, the
 * output in out[] and the thread CPU time it took (ns). */
static double test_run(int fd, const struct bench_frame *in, __u32 repeat,
		       __u32 *retval, __u32 *kns, const char *label,
		       const char *name)
{
	struct xdp_md ctx_in = { 0 }, ctx_out = { 0 };
	struct timespec t0, t1;
	int err;

	ctx_in.data_end = in->len;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->data,
		    .data_size_in = in->len, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = repeat);

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	err = bpf_prog_test_run_opts(fd, &opts);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	if (err)
		die("%s: %s: BPF_PROG_TEST_RUN: %s", label, name,
		    strerror(errno));
	*retval = opts.retval;
	if (kns)
		*kns = opts.duration;
	out_meta = out_frame = 0;
	if (ctx_out.data <= opts.data_size_out &&
	    ctx_out.data_end == opts.data_size_out) {
		out_meta = ctx_out.data;
		out_frame = ctx_out.data_end - ctx_out.data;
	} else {
		fail("%s: %s: inconsistent output context", label, name);
	}
	return (double)(t1.tv_sec - t0.tv_sec) * 1e9 +
	       (double)(t1.tv_nsec - t0.tv_nsec);
}

/* synguard's counters that moved from @before to @after other than as
 * @x says, for @moves packets. */
static void check_counters(const __u64 *before, const __u64 *after,
			   const struct expect *x, __u64 moves,
			   const char *label, const char *name)
{
	int i;

	for (i = 0; i < SG_STAT_MAX; i++) {
		__u64 want = (i == x->stat || i == x->event) ? moves : 0;
		__u64 got = after[i] - before[i];

		if (got != want)
			fail("%s: %s: counter %s moved by %llu over %llu packets, expected %llu",
			     label, name, stat_name(i), (unsigned long long)got,
			     (unsigned long long)moves,
			     (unsigned long long)want);
	}
}

/*
 * One BPF_PROG_TEST_RUN of @repeat repeats of series @s on ring @rg
 * (wrapped: the whole ring in turn; direct: its first frame); returns
 * the thread CPU time it took (ns) and checks the path. @label names the
 * run in errors.
 */
static double run_once(struct series *s, const struct ring *rg, __u32 repeat,
		       __u32 *kns, const char *label)
{
	__u64 before[SG_STAT_MAX], after[SG_STAT_MAX];
	__u32 zero = 0, retval, last = 0, kb = 0, ka, pre = 0;
	const char *why;
	double ns;

	set_config(s->cfg);
	if (s->fresh)
		reset_sources();
	if (s->target_fd >= 0) {
		load_ring(rg);
		if (bpf_map_update_elem(bpf_map__fd(wr->maps.bench_target),
					&zero, &s->target_fd, BPF_ANY))
			die("bench_target: %s", strerror(errno));
		last = (repeat - 1) & (rg->n - 1);
	}
	in_kex = s->kex;
	read_stats(before);
	if (s->kex)
		kb = kex_synacks();
	/*
	 * After a reset, one untimed pass over the ring first (checked with
	 * the run): the timed run then starts from the state its own first
	 * pass would leave, in the caches too, rather than paying for
	 * bringing the reset's lines back (about 1 ns per packet at 1e6
	 * repeats).
	 */
	if (s->fresh && s->target_fd >= 0) {
		reset_cursor();
		pre = rg->n;
		test_run(s->prog_fd, &rg->in[0], pre, &retval, NULL, label,
			 s->name);
	}
	if (s->target_fd >= 0)
		reset_cursor();
	ns = test_run(s->prog_fd, &rg->in[0], repeat, &retval, kns, label,
		      s->name);
	read_stats(after);
	if (retval != s->x.retval)
		fail("%s: %s: last repeat returned %s, expected %s", label,
		     s->name, verdict_name(retval), verdict_name(s->x.retval));
	check_counters(before, after, &s->x, (__u64)repeat + pre, label,
		       s->name);
	if (s->kex) {
		ka = kex_synacks();
		if (ka - kb != repeat)
			fail("%s: %s: its SYN-ACK counter moved by %u over %u repeats",
			     label, s->name, ka - kb, repeat);
	}
	why = check_output(&s->x, out, out_meta, out_frame, &rg->in[last],
			   rg->ref ? &rg->ref[last] : NULL);
	if (why)
		fail("%s: %s: %s (frame %u)", label, s->name, why, last);
	in_kex = 0;
	return ns;
}

/* ---- every frame once, on its own ---- */

/* The cookie (ISN, and TSval when ts) synguard must mint for SYN @f. */
static void mint(const struct bench_frame *f, int family,
		 const struct attrs_exp *x, __u32 *isn, __u32 *tsval)
{
	struct sg_attrs a = { x->mss_idx, x->wscale, x->sack, x->ecn };
	__u32 attrs9 = sg_attrs_pack(&a), ports, cisn;
	__u32 meta = sg_cookie_meta(CUR_EPOCH, attrs9, x->ts);
	__u32 l3 = 14, l4 = family == 4 ? 14 + 20 : 14 + 40;
	__u64 mac;

	memcpy(&ports, f->data + l4, 4);
	cisn = pkt_get32(f->data + l4 + 4);
	if (family == 4) {
		__u32 sa, da;

		memcpy(&sa, f->data + l3 + 12, 4);
		memcpy(&da, f->data + l3 + 16, 4);
		mac = sg_mac4(&key100, sa, da, ports, cisn, meta);
	} else {
		__u32 sa[4], da[4];

		memcpy(sa, f->data + l3 + 8, 16);
		memcpy(da, f->data + l3 + 24, 16);
		mac = sg_mac6(&key100, sa, da, ports, cisn, meta);
	}
	*isn = sg_cookie_isn(mac, CUR_EPOCH, attrs9, x->ts);
	*tsval = x->ts ? sg_cookie_tsval(mac, attrs9) : 0;
}

static int sg_fd(void)
{
	return bpf_program__fd(sg->progs.synguard_xdp);
}

/*
 * Run every SYN of @rg through synguard once, on its own, verify each
 * SYN-ACK field by field (tests/prog/lib/verify.c, cookie minted here
 * with the installed key) and keep it as that frame's reference.
 */
static void verify_syn_ring(struct ring *rg, const struct attrs_exp *x, int cfg,
			    const char *name)
{
	static const struct expect tx = { XDP_TX, SG_V_TX_SYNACK, SG_E_SYN_RX,
					  OUT_NONE };
	__u64 before[SG_STAT_MAX], after[SG_STAT_MAX];
	struct sg_synack_exp e = { 0 };
	struct sg_frame f, sa;
	char why[2048];
	__u32 i, ret;

	set_config(cfg);
	reset_sources();
	read_stats(before);
	for (i = 0; i < rg->n; i++) {
		const struct bench_frame *in = &rg->in[i];

		test_run(sg_fd(), in, 1, &ret, NULL, name, "synguard");
		if (ret != XDP_TX || out_meta || !out_frame ||
		    out_frame > FRAME_MAX) {
			fail("%s: frame %u: no SYN-ACK (%s)", name, i,
			     verdict_name(ret));
			continue;
		}
		if (sg_parse_frame(in->data, in->len, &f, why, sizeof(why)))
			die("%s: frame %u: %s", name, i, why);
		memset(&e, 0, sizeof(e));
		e.mss = rg->family == 4 ? cfg_daemon.mss4 : cfg_daemon.mss6;
		e.window = cfg_daemon.window;
		e.ttl = cfg_daemon.ttl;
		e.wscale = cfg_daemon.wscale;
		e.ts = x->ts;
		e.sack = x->sack;
		e.ws = x->wscale != SG_WSCALE_NONE;
		e.ecn = x->ecn;
		e.tsecr = f.tsval;
		mint(in, rg->family, x, &e.isn, &e.tsval);
		if (sg_verify_synack(out, out_frame, in->data, in->len, &e, &sa,
				     why, sizeof(why)))
			fail("%s: frame %u: SYN-ACK does not verify: %s", name,
			     i, why);
		rg->ref[i].len = out_frame;
		memcpy(rg->ref[i].data, out, out_frame);
	}
	read_stats(after);
	check_counters(before, after, &tx, rg->n, name, "every frame once");
	reset_sources();
}

/* Run every frame of @rg through synguard once, on its own, and check
 * its verdict, the counters and its output as @x says. */
static void verify_ring(const struct ring *rg, const struct expect *x, int cfg,
			const char *name)
{
	__u64 before[SG_STAT_MAX], after[SG_STAT_MAX];
	const char *why;
	__u32 i, ret;

	set_config(cfg);
	reset_sources();
	read_stats(before);
	for (i = 0; i < rg->n; i++) {
		test_run(sg_fd(), &rg->in[i], 1, &ret, NULL, name, "synguard");
		if (ret != x->retval)
			fail("%s: frame %u: %s, expected %s", name, i,
			     verdict_name(ret), verdict_name(x->retval));
		why = check_output(x, out, out_meta, out_frame, &rg->in[i],
				   rg->ref ? &rg->ref[i] : NULL);
		if (why)
			fail("%s: frame %u: %s", name, i, why);
	}
	read_stats(after);
	check_counters(before, after, x, rg->n, name, "every frame once");
	reset_sources();
}

/* ---- statistics ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double t[MAX_RUNS];

	memcpy(t, v, n * sizeof(*v));
	qsort(t, n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static double vmin(const double *v, int n)
{
	double m = v[0];
	int i;

	for (i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

static double vmax(const double *v, int n)
{
	double m = v[0];
	int i;

	for (i = 1; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

static double umedian(const __u32 *v, int n)
{
	double t[MAX_RUNS];
	int i;

	for (i = 0; i < n; i++)
		t[i] = v[i];
	return median(t, n);
}

/* ---- classes ---- */

static int runs = DEF_RUNS;
static __u32 repeat = DEF_REPEAT;

/*
 * Series of a class: the floors, synguard (directly or behind the
 * wrapper), wrap->floor_pass, an extra one for paired comparisons
 * (synguard direct: the method check; wrap->synguard with the reflection
 * guard off: the guard's cost) and the kernel example behind the wrapper.
 */
enum { S_PASS, S_SWAP, S_A, S_B, S_X, S_K };

/* Which of the targets a class is held to. */
enum { T_NONE, T_SYN4, T_ACK };

struct klass {
	const char *name;
	const char *sources; /* in the table: where the frames come from */
	struct ring *ring;
	struct ring *prep; /* SYNs run once through synguard first */
	int wrapped;
	int check; /* wrapped, and also run directly: the method check */
	int guard; /* and with the guard off: the guard's cost */
	int kex;   /* and the kernel example on the same ring */
	int cfg;   /* synguard's configuration */
	int fresh; /* per-source state reset before every run */
	int target;
	struct expect x;
	struct series s[MAX_SERIES];
	struct series *act[MAX_SERIES];
	int nact;
	/* results, per run and summarised */
	double cost[MAX_RUNS], r_swap[MAX_RUNS], r_pass[MAX_RUNS];
	double med, lo, hi, med_swap, med_pass;
	double diff[MAX_RUNS], med_diff; /* S_A's cost - S_X's, paired */
	/* the kernel example: its cost, to swap+TX, synguard's to its */
	double kcost[MAX_RUNS], kswap[MAX_RUNS], krel[MAX_RUNS];
	double kmed, klo, khi, kmed_swap, kmed_rel;
	int has_k;
	int fails, kfails; /* path checks failed while measuring it */
	int done;	   /* measured (not filtered out by -c) */
};

static void init_series(struct series *s, const char *name, int prog_fd,
			int target_fd, const struct expect *x, int cfg)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->prog_fd = prog_fd;
	s->target_fd = target_fd;
	s->x = *x;
	s->cfg = cfg;
}

static const struct expect X_PASS_FLOOR = { XDP_PASS, -1, -1, OUT_SAME };
static const struct expect X_SWAP_FLOOR = { XDP_TX, -1, -1, OUT_NONE };
static const struct expect X_KEX = { XDP_TX, -1, -1, OUT_KSYNACK };

static void use(struct klass *k, int i)
{
	k->act[k->nact++] = &k->s[i];
}

static void setup_class(struct klass *k)
{
	int passfd = bpf_program__fd(fl->progs.floor_pass);
	int swapfd = bpf_program__fd(fl->progs.floor_swap_tx);
	int wrapfd = bpf_program__fd(wr->progs.bench_wrap);

	k->nact = 0;
	init_series(&k->s[S_PASS], "floor_pass", passfd, -1, &X_PASS_FLOOR,
		    k->cfg);
	init_series(&k->s[S_SWAP], "floor_swap_tx", swapfd, -1, &X_SWAP_FLOOR,
		    k->cfg);
	use(k, S_PASS);
	use(k, S_SWAP);
	if (!k->wrapped) {
		init_series(&k->s[S_A], "synguard", sg_fd(), -1, &k->x, k->cfg);
		k->s[S_A].fresh = k->fresh;
		use(k, S_A);
		return;
	}
	init_series(&k->s[S_A], "wrap->synguard", wrapfd, sg_fd(), &k->x,
		    k->cfg);
	k->s[S_A].fresh = k->fresh;
	init_series(&k->s[S_B], "wrap->floor_pass", wrapfd, passfd,
		    &X_PASS_FLOOR, k->cfg);
	use(k, S_A);
	use(k, S_B);
	if (k->check) {
		init_series(&k->s[S_X], "synguard", sg_fd(), -1, &k->x, k->cfg);
		use(k, S_X);
	} else if (k->guard) {
		init_series(&k->s[S_X], "wrap->synguard (guard off)", wrapfd,
			    sg_fd(), &k->x, CFG_GUARD_OFF);
		k->s[S_X].fresh = k->fresh;
		use(k, S_X);
	}
	k->has_k = k->kex && kex_fd >= 0;
	if (k->has_k) {
		init_series(&k->s[S_K], "wrap->kernel example", wrapfd, kex_fd,
			    &X_KEX, k->cfg);
		k->s[S_K].kex = 1;
		use(k, S_K);
	}
}

/*
 * Measure series act[0..n) alternately, runs times, the order rotated
 * every run so that no series always follows the same one. One short
 * warm-up pass first (checked like the others, not recorded).
 *
 * A test run with more than one repeat costs about a millisecond of CPU
 * on top of its repeats (the kernel points the XDP dispatcher at the
 * program and back: image rewrite, IPIs), ~1 ns per packet at 1e6
 * repeats, which is 15% of the pass floor. So every timed run is
 * followed by a 2-repeat run of the same series, and the median of those
 * is taken off: ns/pkt = (t(repeat) - median t(2)) / (repeat - 2).
 */
static void measure_alternating(struct series **act, int n,
				const struct ring *rg, const char *label)
{
	__u32 warm = repeat / 10 ? repeat / 10 : 1;
	int r, j;

	for (j = 0; j < n; j++)
		run_once(act[j], rg, warm, NULL, label);
	for (r = 0; r < runs; r++)
		for (j = 0; j < n; j++) {
			struct series *s = act[(j + r) % n];

			s->tot[r] = run_once(s, rg, repeat, &s->kns[r], label);
			s->fix[r] = repeat > 2 ?
					    run_once(s, rg, 2, NULL, label) :
					    0;
		}
	for (j = 0; j < n; j++) {
		struct series *s = act[j];

		s->fixed = repeat > 2 ? median(s->fix, runs) : 0;
		for (r = 0; r < runs; r++)
			s->ns[r] = (s->tot[r] - s->fixed) /
				   (repeat > 2 ? repeat - 2 : repeat);
	}
}

/* The handshakes' SYNs, once each through synguard behind the wrapper:
 * the source accounting then holds these sources, as it would when
 * their ACKs come. */
static void run_prep(struct klass *k)
{
	static const struct expect tx = { XDP_TX, SG_V_TX_SYNACK, SG_E_SYN_RX,
					  OUT_SYNACK };
	struct series s;

	init_series(&s, "wrap->synguard (the SYNs)",
		    bpf_program__fd(wr->progs.bench_wrap), sg_fd(), &tx,
		    CFG_DAEMON);
	run_once(&s, k->prep, k->prep->n, NULL, k->name);
}

static void run_class(struct klass *k)
{
	int fails = n_fail, kfails = n_kfail, r;

	progress("  %-58s", k->name);
	reset_sources();
	if (k->prep)
		run_prep(k);
	setup_class(k);
	measure_alternating(k->act, k->nact, k->ring, k->name);
	for (r = 0; r < runs; r++) {
		double pass = k->s[S_PASS].ns[r], swap = k->s[S_SWAP].ns[r];
		double c = k->s[S_A].ns[r];

		if (k->wrapped)
			c = c - k->s[S_B].ns[r] + pass;
		k->cost[r] = c;
		k->r_swap[r] = c / swap;
		k->r_pass[r] = c / pass;
		if (k->check)
			k->diff[r] = c - k->s[S_X].ns[r];
		else if (k->guard)
			k->diff[r] = k->s[S_A].ns[r] - k->s[S_X].ns[r];
		if (k->has_k) {
			k->kcost[r] = k->s[S_K].ns[r] - k->s[S_B].ns[r] + pass;
			k->kswap[r] = k->kcost[r] / swap;
			k->krel[r] = c / k->kcost[r];
		}
	}
	if (k->check || k->guard)
		k->med_diff = median(k->diff, runs);
	k->med = median(k->cost, runs);
	k->lo = vmin(k->cost, runs);
	k->hi = vmax(k->cost, runs);
	k->med_swap = median(k->r_swap, runs);
	k->med_pass = median(k->r_pass, runs);
	if (k->has_k) {
		k->kmed = median(k->kcost, runs);
		k->klo = vmin(k->kcost, runs);
		k->khi = vmax(k->kcost, runs);
		k->kmed_swap = median(k->kswap, runs);
		k->kmed_rel = median(k->krel, runs);
	}
	k->fails = n_fail - fails;
	k->kfails = n_kfail - kfails;
	progress(" %7.1f ns/pkt", k->med);
	if (k->has_k)
		progress("  (kernel example %.1f)", k->kmed);
	progress("%s%s\n", k->fails ? "  PATH CHECK FAILED" : "",
		 k->kfails ? "  EXAMPLE'S PATH CHECK FAILED" : "");
}

/* ---- probes ---- */

struct probe {
	const char *name;
	const char *what;
	int fd;
	const struct ring *frame;
	__u32 retval;
	struct series s[2];	/* floor_pass, probe */
	double delta[MAX_RUNS]; /* probe - floor_pass, per run (ns) */
	double rel[MAX_RUNS];	/* probe / floor_pass - 1, per run */
	double med, med_delta, med_rel;
	int done;
};

static void run_probe(struct probe *p)
{
	static const struct expect none = { 0, -1, -1, OUT_NONE };
	struct series *act[2] = { &p->s[0], &p->s[1] };
	struct expect x = none;
	int r;

	progress("  %-66s", p->name);
	x.retval = p->retval;
	init_series(&p->s[0], "floor_pass",
		    bpf_program__fd(fl->progs.floor_pass), -1, &X_PASS_FLOOR,
		    CFG_DAEMON);
	init_series(&p->s[1], p->name, p->fd, -1, &x, CFG_DAEMON);
	measure_alternating(act, 2, p->frame, p->name);
	for (r = 0; r < runs; r++) {
		p->delta[r] = p->s[1].ns[r] - p->s[0].ns[r];
		p->rel[r] = p->s[1].ns[r] / p->s[0].ns[r] - 1;
	}
	p->med = median(p->s[1].ns, runs);
	p->med_delta = median(p->delta, runs);
	p->med_rel = median(p->rel, runs);
	progress(" %7.1f ns/pkt\n", p->med);
}

/* ---- network namespace and the established connection ---- */

static int listen_fd = -1, listen6_fd = -1, client_fd = -1, server_fd = -1;

/* Add @addr/32 to lo as alias @label. */
static void lo_addr(int fd, const char *label, const char *addr)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	strncpy(ifr.ifr_name, label, IFNAMSIZ - 1);
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		die("address %s", addr);
	if (ioctl(fd, SIOCSIFADDR, &ifr))
		die("SIOCSIFADDR %s %s: %s", label, addr, strerror(errno));
	memset(&ifr.ifr_addr, 0, sizeof(ifr.ifr_addr));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = 0xffffffffu;
	if (ioctl(fd, SIOCSIFNETMASK, &ifr))
		die("SIOCSIFNETMASK %s: %s", label, strerror(errno));
}

/* A namespace of our own with lo up, carrying the server's address and
 * the established connection's client address. */
static void enter_netns(void)
{
	struct ifreq ifr = { 0 };
	int fd;

	if (unshare(CLONE_NEWNET))
		die("unshare(CLONE_NEWNET): %s (run as root)", strerror(errno));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		die("SIOCGIFFLAGS lo: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		die("SIOCSIFFLAGS lo: %s", strerror(errno));
	lo_addr(fd, "lo:1", SERVER4);
	lo_addr(fd, "lo:2", CLIENT4);
	close(fd);
}

/*
 * Listeners on 0.0.0.0:80 and [::]:80 (IPv6 only), and one connection
 * from CLIENT4 to SERVER4:80 (not loopback addresses: synguard passes
 * those as impossible sources before anything else); returns the client
 * port (host order).
 */
static __u16 connect_server(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	socklen_t alen = sizeof(a);
	int one = 1;

	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listen_fd < 0 ||
	    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("socket: %s", strerror(errno));
	a.sin_port = htons(SERVER_PORT);
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(listen_fd, 16))
		die("listen on :%d: %s", SERVER_PORT, strerror(errno));
	listen6_fd = socket(AF_INET6, SOCK_STREAM, 0);
	a6.sin6_port = htons(SERVER_PORT);
	if (listen6_fd < 0 ||
	    setsockopt(listen6_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		       sizeof(one)) ||
	    bind(listen6_fd, (struct sockaddr *)&a6, sizeof(a6)) ||
	    listen(listen6_fd, 16))
		die("listen on [::]:%d: %s", SERVER_PORT, strerror(errno));
	client_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (client_fd < 0)
		die("socket: %s", strerror(errno));
	a.sin_port = 0;
	inet_pton(AF_INET, CLIENT4, &a.sin_addr);
	if (bind(client_fd, (struct sockaddr *)&a, sizeof(a)))
		die("bind %s: %s", CLIENT4, strerror(errno));
	a.sin_port = htons(SERVER_PORT);
	inet_pton(AF_INET, SERVER4, &a.sin_addr);
	if (connect(client_fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect %s:%d: %s", SERVER4, SERVER_PORT, strerror(errno));
	server_fd = accept(listen_fd, NULL, NULL);
	if (server_fd < 0)
		die("accept: %s", strerror(errno));
	if (getsockname(client_fd, (struct sockaddr *)&a, &alen))
		die("getsockname: %s", strerror(errno));
	return ntohs(a.sin_port);
}
/* ---- JIT line map, for a source-line profile with perf ---- */

/*
 * Write, for every jited line-info record of the program (and its
 * subprograms), "FUNC OFFSET FILE:LINE SOURCE": the offset is from the
 * start of FUNC's JIT image, i.e. what `perf script -F sym,symoff` prints
 * after bpf_prog_<tag>_FUNC+. tools/bench/lineprof.py joins the two.
 */
static void write_linemap(int prog_fd, const char *path)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info), nk, nl, nf, i, j;
	struct bpf_line_info *li;
	struct bpf_func_info *fi;
	__u64 *ksyms, *jli;
	__u32 *flens;
	struct btf *btf;
	FILE *f;

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		die("prog info: %s", strerror(errno));
	nk = info.nr_jited_ksyms;
	nl = info.nr_jited_line_info;
	nf = info.nr_func_info;
	if (!nl || info.nr_line_info != nl || !nk || nf != nk)
		die("%s: no JIT line info for the program", path);
	ksyms = calloc(nk, sizeof(*ksyms));
	flens = calloc(nk, sizeof(*flens));
	jli = calloc(nl, sizeof(*jli));
	li = calloc(nl, sizeof(*li));
	fi = calloc(nf, sizeof(*fi));
	if (!ksyms || !flens || !jli || !li || !fi)
		die("out of memory");
	memset(&info, 0, sizeof(info));
	info.nr_jited_ksyms = nk;
	info.jited_ksyms = (__u64)(unsigned long)ksyms;
	info.nr_jited_func_lens = nk;
	info.jited_func_lens = (__u64)(unsigned long)flens;
	info.nr_jited_line_info = nl;
	info.jited_line_info_rec_size = sizeof(*jli);
	info.jited_line_info = (__u64)(unsigned long)jli;
	info.nr_line_info = nl;
	info.line_info_rec_size = sizeof(*li);
	info.line_info = (__u64)(unsigned long)li;
	info.nr_func_info = nf;
	info.func_info_rec_size = sizeof(*fi);
	info.func_info = (__u64)(unsigned long)fi;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		die("prog info: %s", strerror(errno));
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf)
		die("program BTF: %s", strerror(errno));
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	for (i = 0; i < nl; i++) {
		const struct btf_type *t;
		const char *src, *file;

		for (j = 0; j < nk; j++)
			if (jli[i] >= ksyms[j] && jli[i] < ksyms[j] + flens[j])
				break;
		if (j == nk)
			continue;
		t = btf__type_by_id(btf, fi[j].type_id);
		file = btf__name_by_offset(btf, li[i].file_name_off);
		src = btf__name_by_offset(btf, li[i].line_off);
		fprintf(f, "%s %llu %s:%u %s\n",
			t ? btf__name_by_offset(btf, t->name_off) : "?",
			(unsigned long long)(jli[i] - ksyms[j]),
			file ? (strrchr(file, '/') ? strrchr(file, '/') + 1 :
						     file) :
			       "?",
			BPF_LINE_INFO_LINE_NUM(li[i].line_col),
			src ? src + strspn(src, " \t") : "");
	}
	fclose(f);
	btf__free(btf);
	free(ksyms);
	free(flens);
	free(jli);
	free(li);
	free(fi);
}

/* ---- report helpers ---- */

static int read_int_file(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* ---- frames, classes, probes ---- */

/* SYN rings (random sources: IPv4/IPv6 x Linux/Windows options; one
 * replayed source), the valid-cookie ACKs of their handshakes, forged
 * ACKs, and the one-frame classes. */
static struct ring syn4l, syn4w, syn6l, syn6w, syn4l_one;
static struct ring ack4ts, ack4, ack6ts;
static struct ring forged4ts, forged4, forged_one, check1;
static struct ring est, tcp22, udp;

#define SYN_X                                                   \
	{                                                       \
		XDP_TX, SG_V_TX_SYNACK, SG_E_SYN_RX, OUT_SYNACK \
	}
#define META_X                                              \
	{                                                   \
		XDP_PASS, SG_V_PASS_COOKIE_OK, -1, OUT_META \
	}
#define BAD_X                                                \
	{                                                    \
		XDP_DROP, SG_V_DROP_COOKIE_BAD, -1, OUT_NONE \
	}
#define LIMITED_X                                                \
	{                                                        \
		XDP_DROP, SG_V_DROP_COOKIE_LIMITED, -1, OUT_NONE \
	}
#define PASSED_X(stat)                       \
	{                                    \
		XDP_PASS, stat, -1, OUT_SAME \
	}

enum {
	C_SYN4L,
	C_SYN4W,
	C_SYN6L,
	C_SYN6W,
	C_SYN4L_ONE,
	C_ACK4TS,
	C_ACK4,
	C_ACK6TS,
	C_FORGED4TS,
	C_FORGED4,
	C_FORGED_ONE,
	C_ACK_EST,
	C_TCP22,
	C_UDP,
	C_CHECK, /* method check: a forged ACK, behind the wrapper and not */
	NCLASSES
};

static struct klass classes[NCLASSES] = {
	[C_SYN4L] = { .name = "SYN→SYN-ACK IPv4, Linux options",
		      .sources = "random",
		      .ring = &syn4l,
		      .wrapped = 1,
		      .guard = 1,
		      .kex = 1,
		      .fresh = 1,
		      .target = T_SYN4,
		      .x = SYN_X },
	[C_SYN4W] = { .name = "SYN→SYN-ACK IPv4, Windows options",
		      .sources = "random",
		      .ring = &syn4w,
		      .wrapped = 1,
		      .kex = 1,
		      .fresh = 1,
		      .target = T_SYN4,
		      .x = SYN_X },
	[C_SYN6L] = { .name = "SYN→SYN-ACK IPv6, Linux options",
		      .sources = "random",
		      .ring = &syn6l,
		      .wrapped = 1,
		      .kex = 1,
		      .fresh = 1,
		      .x = SYN_X },
	[C_SYN6W] = { .name = "SYN→SYN-ACK IPv6, Windows options",
		      .sources = "random",
		      .ring = &syn6w,
		      .wrapped = 1,
		      .kex = 1,
		      .fresh = 1,
		      .x = SYN_X },
	[C_SYN4L_ONE] = { .name = "SYN→SYN-ACK IPv4, Linux options, one source",
			  .sources = "one, replayed",
			  .ring = &syn4l_one,
			  .wrapped = 1,
			  .cfg = CFG_GUARD_DEEP,
			  .x = SYN_X },
	[C_ACK4TS] = { .name = "ACK, valid cookie, IPv4, timestamps",
		       .sources = "random",
		       .ring = &ack4ts,
		       .prep = &syn4l,
		       .wrapped = 1,
		       .target = T_ACK,
		       .x = META_X },
	[C_ACK4] = { .name = "ACK, valid cookie, IPv4, no timestamps",
		     .sources = "random",
		     .ring = &ack4,
		     .prep = &syn4w,
		     .wrapped = 1,
		     .target = T_ACK,
		     .x = META_X },
	[C_ACK6TS] = { .name = "ACK, valid cookie, IPv6, timestamps",
		       .sources = "random",
		       .ring = &ack6ts,
		       .prep = &syn6l,
		       .wrapped = 1,
		       .x = META_X },
	[C_FORGED4TS] = { .name = "ACK, forged cookie, IPv4, timestamps",
			  .sources = "random",
			  .ring = &forged4ts,
			  .wrapped = 1,
			  .fresh = 1,
			  .x = BAD_X },
	[C_FORGED4] = { .name = "ACK, forged cookie, IPv4, no timestamps",
			.sources = "random",
			.ring = &forged4,
			.wrapped = 1,
			.fresh = 1,
			.cfg = CFG_BADCK_DEEP,
			.x = BAD_X },
	[C_FORGED_ONE] = { .name = "ACK, forged cookie, no timestamps, source "
				   "over its budget",
			   .sources = "one",
			   .ring = &forged_one,
			   .cfg = CFG_BADCK_EMPTY,
			   .x = LIMITED_X },
	[C_ACK_EST] = { .name = "ACK, established flow",
			.sources = "one connection",
			.ring = &est,
			.x = PASSED_X(SG_V_PASS_ESTABLISHED) },
	[C_TCP22] = { .name = "TCP to an unprotected port (22)",
		      .sources = "one",
		      .ring = &tcp22,
		      .x = PASSED_X(SG_V_PASS_PORT) },
	[C_UDP] = { .name = "UDP",
		    .sources = "one",
		    .ring = &udp,
		    .x = PASSED_X(SG_V_PASS_NOT_TCP) },
	[C_CHECK] = { .name = "method check: forged-cookie ACK (timestamps), "
			      "wrapped vs direct",
		      .sources = "one",
		      .ring = &check1,
		      .wrapped = 1,
		      .check = 1,
		      .x = BAD_X },
};

static void build_frames(void)
{
	static const struct expect meta = META_X, bad = BAD_X,
				   limited = LIMITED_X,
				   established =
					   PASSED_X(SG_V_PASS_ESTABLISHED),
				   port = PASSED_X(SG_V_PASS_PORT),
				   nottcp = PASSED_X(SG_V_PASS_NOT_TCP);
	__u16 cport = connect_server();
	struct pkt_spec s;

	build_syn_ring(&syn4l, 4, opts_linux, sizeof(opts_linux), ring_n, 1);
	build_syn_ring(&syn4w, 4, opts_windows, sizeof(opts_windows), ring_n,
		       1);
	build_syn_ring(&syn6l, 6, opts_linux, sizeof(opts_linux), ring_n, 1);
	build_syn_ring(&syn6w, 6, opts_windows, sizeof(opts_windows), ring_n,
		       1);
	build_syn_ring(&syn4l_one, 4, opts_linux, sizeof(opts_linux), 1, 0);
	verify_syn_ring(&syn4l, &x_linux, CFG_DAEMON, "SYN IPv4 Linux ring");
	verify_syn_ring(&syn4w, &x_windows, CFG_DAEMON,
			"SYN IPv4 Windows ring");
	verify_syn_ring(&syn6l, &x_linux, CFG_DAEMON, "SYN IPv6 Linux ring");
	verify_syn_ring(&syn6w, &x_windows, CFG_DAEMON,
			"SYN IPv6 Windows ring");
	verify_syn_ring(&syn4l_one, &x_linux, CFG_GUARD_DEEP, "one-source SYN");

	/* The ACKs completing those handshakes. */
	build_ack_ring(&ack4ts, &syn4l);
	build_ack_ring(&ack4, &syn4w);
	build_ack_ring(&ack6ts, &syn6l);
	verify_ring(&ack4ts, &meta, CFG_DAEMON,
		    "valid-cookie ACK IPv4 TS ring");
	verify_ring(&ack4, &meta, CFG_DAEMON, "valid-cookie ACK IPv4 ring");
	verify_ring(&ack6ts, &meta, CFG_DAEMON,
		    "valid-cookie ACK IPv6 TS ring");

	build_forged_ring(&forged4ts, 4, 1, ring_n, 1);
	build_forged_ring(&forged4, 4, 0, ring_n, 1);
	build_forged_ring(&forged_one, 4, 0, 1, 0);
	verify_ring(&forged4ts, &bad, CFG_DAEMON, "forged ACK IPv4 TS ring");
	verify_ring(&forged4, &bad, CFG_BADCK_DEEP, "forged ACK IPv4 ring");
	verify_ring(&forged_one, &limited, CFG_BADCK_EMPTY,
		    "forged ACK over budget");
	ring_one(&check1, &forged4ts, 0);

	/* An ACK of the real established connection. */
	ring_alloc(&est, 1, 4, 0);
	memset(&s, 0, sizeof(s));
	spec_server(&s, 4);
	inet_pton(AF_INET, CLIENT4, s.src_ip);
	s.sport = cport;
	s.flags = TH_ACK;
	s.seq = 0x11110000;
	s.ack = 0x22220000;
	s.window = 502;
	spec_ts(&s, 0x0badf00d, 0x0c0ffee0);
	put_frame(&est.in[0], &s, "established-flow ACK");
	verify_ring(&est, &established, CFG_DAEMON, "established-flow ACK");

	/* Unprotected TCP: an ACK to port 22. UDP: a 32-byte datagram. */
	ring_alloc(&tcp22, 1, 4, 0);
	memset(&s, 0, sizeof(s));
	spec_server(&s, 4);
	s.dport = 22;
	s.flags = TH_ACK;
	s.seq = 0x11110000;
	s.ack = 0x22220000;
	spec_ts(&s, 0x0badf00d, 0x0c0ffee0);
	put_frame(&tcp22.in[0], &s, "port 22 ACK");
	verify_ring(&tcp22, &port, CFG_DAEMON, "port 22 ACK");
	ring_alloc(&udp, 1, 4, 0);
	memset(&s, 0, sizeof(s));
	spec_server(&s, 4);
	s.proto = PKT_IPPROTO_UDP;
	s.dport = 53;
	s.paylen = 32;
	put_frame(&udp.in[0], &s, "UDP");
	verify_ring(&udp, &nottcp, CFG_DAEMON, "UDP");
}

enum {
	P_HDR,
	P_PARSE_SYN,
	P_PARSE_ACK,
	P_PARSE_WALK,
	P_MAC4,
	P_MAC6,
	P_SRC,
	P_SKC_EST,
	P_SKC_LISTEN,
	P_IP_RELOAD,
	P_IP_REGS,
	P_CLOCK_CALL,
	P_CLOCK_KEPT,
	P_CALL4,
	P_INLINE4,
	P_LEAST_SYN,
	P_LEAST_ACK,
	NPROBES
};

static struct probe probes[NPROBES] = {
	[P_HDR] = { "sg_parse (headers, port bitmap)", "IPv4 Linux SYN", -1,
		    &syn4l_one, XDP_PASS },
	[P_PARSE_SYN] = { "sg_parse + SYN options (word compares, as synguard)",
			  "IPv4 Linux SYN", -1, &syn4l_one, XDP_PASS },
	[P_PARSE_ACK] = { "sg_parse + ACK options (word compare, as synguard)",
			  "ACK with timestamps", -1, &est, XDP_PASS },
	[P_PARSE_WALK] = { "sg_parse + TCP option walk (other layouts)",
			   "ACK with timestamps", -1, &est, XDP_PASS },
	[P_MAC4] = { "cookie MAC, IPv4 (SipHash-2-4, 3 blocks)",
		     "IPv4 Linux SYN", -1, &syn4l_one, XDP_PASS },
	[P_MAC6] = { "cookie MAC, IPv6 (SipHash-2-4, 6 blocks)",
		     "IPv6 Linux SYN", -1, &syn6l, XDP_PASS },
	[P_SRC] = { "sg_sources bucket update (guard off)", "IPv4 Linux SYN",
		    -1, &syn4l_one, XDP_PASS },
	[P_SKC_EST] = { "bpf_skc_lookup_tcp + release, established",
			"established ACK", -1, &est, XDP_PASS },
	[P_SKC_LISTEN] = { "bpf_skc_lookup_tcp + release, listener",
			   "forged-cookie ACK", -1, &forged4ts, XDP_TX },
	[P_IP_RELOAD] = { "IPv4 header + checksum, TTL/proto read back",
			  "IPv4 Linux SYN", -1, &syn4l_one, XDP_PASS },
	[P_IP_REGS] = { "IPv4 header + checksum, TTL/proto from registers "
			"(as synguard)",
			"IPv4 Linux SYN", -1, &syn4l_one, XDP_PASS },
	[P_CLOCK_CALL] = { "time stamp: bpf_ktime_get_coarse_ns() every packet",
			   "IPv4 Linux SYN", -1, &syn4l_one, XDP_PASS },
	[P_CLOCK_KEPT] = { "time stamp: sg_now() (jiffies, the tick's reading "
			   "kept; as synguard)",
			   "IPv4 Linux SYN", -1, &syn4l_one, XDP_PASS },
	[P_CALL4] = { "4 calls of a global BPF function (a few ALU ops each)",
		      "IPv4 Linux SYN", -1, &syn4l_one, XDP_PASS },
	[P_INLINE4] = { "the same 4 bodies inline", "IPv4 Linux SYN", -1,
			&syn4l_one, XDP_PASS },
	[P_LEAST_SYN] = { "least SYN responder: sg_parse + SYN options + MAC + "
			  "swaps, cookie in SEQ, XDP_TX (no checksum, "
			  "options, lookups, counters or state)",
			  "IPv4 Linux SYN", -1, &syn4l_one, XDP_TX },
	[P_LEAST_ACK] = { "least ACK check: sg_parse + ACK options + MAC + "
			  "compare (no key lookup, decode, counters, state or "
			  "metadata)",
			  "ACK with timestamps", -1, &est, XDP_PASS },
};

static void probe_fds(void)
{
	probes[P_HDR].fd = bpf_program__fd(pr->progs.probe_hdr);
	probes[P_PARSE_SYN].fd = bpf_program__fd(pr->progs.probe_parse_syn);
	probes[P_PARSE_ACK].fd = bpf_program__fd(pr->progs.probe_parse_ack);
	probes[P_PARSE_WALK].fd = bpf_program__fd(pr->progs.probe_parse);
	probes[P_MAC4].fd = bpf_program__fd(pr->progs.probe_mac);
	probes[P_MAC6].fd = bpf_program__fd(pr->progs.probe_mac);
	probes[P_SRC].fd = bpf_program__fd(pr->progs.probe_src);
	probes[P_SKC_EST].fd = bpf_program__fd(pr->progs.probe_skc);
	probes[P_SKC_LISTEN].fd = bpf_program__fd(pr->progs.probe_skc);
	probes[P_IP_RELOAD].fd = bpf_program__fd(pr->progs.probe_ip_reload);
	probes[P_IP_REGS].fd = bpf_program__fd(pr->progs.probe_ip_regs);
	probes[P_CLOCK_CALL].fd = bpf_program__fd(pr->progs.probe_clock_call);
	probes[P_CLOCK_KEPT].fd = bpf_program__fd(pr->progs.probe_clock_kept);
	probes[P_CALL4].fd = bpf_program__fd(pr->progs.probe_call4);
	probes[P_INLINE4].fd = bpf_program__fd(pr->progs.probe_inline4);
	probes[P_LEAST_SYN].fd = bpf_program__fd(pr->progs.probe_least_syn);
	probes[P_LEAST_ACK].fd = bpf_program__fd(pr->progs.probe_least_ack);
}

/* ---- report ---- */

static const char *const cfg_short[NCFG] = {
	[CFG_DAEMON] = "defaults",
	[CFG_GUARD_OFF] = "guard off",
	[CFG_GUARD_DEEP] = "guard 1e9/s",
	[CFG_BADCK_DEEP] = "limiter 1e6/s",
	[CFG_BADCK_EMPTY] = "limiter refill 0",
};

static double floor_med(const struct klass *k, int which)
{
	return median(k->s[which].ns, runs);
}

/* The class's name, and its sources when random. */
static const char *label(const struct klass *k)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s%s", k->name,
		 strcmp(k->sources, "random") ? "" : ", random sources");
	return buf[i];
}

static const char *path_note(const struct klass *k)
{
	switch (k->x.out) {
	case OUT_SYNACK:
		return ", SYN-ACK as verified";
	case OUT_META:
		return ", sg_meta in front";
	case OUT_SAME:
		return ", frame untouched";
	default:
		return "";
	}
}

static void report_classes(void)
{
	int i, fi = -1, used[NCFG] = { 0 };

	emit("| class | sources | config | ns/pkt (median) | min–max | ratio to swap+TX floor | ratio to pass floor | path check |\n");
	emit("|---|---|---|---:|---:|---:|---:|---|\n");
	for (i = 0; i < C_CHECK; i++) {
		struct klass *k = &classes[i];

		if (!k->done)
			continue;
		if (fi < 0)
			fi = i;
		used[k->cfg] = 1;
		emit("| %s%s | %s | %s | %.1f | %.1f–%.1f | %.2f× | %.2f× | %s `%s` +%u in each of %d runs%s |\n",
		     k->name, k->wrapped ? " ¹" : "", k->sources,
		     cfg_short[k->cfg], k->med, k->lo, k->hi, k->med_swap,
		     k->med_pass, k->fails ? "**FAILED** (see stderr):" : "ok:",
		     stat_name(k->x.stat), repeat, runs, path_note(k));
	}
	if (fi >= 0) {
		const struct klass *k = &classes[fi];

		emit("| floor: `return XDP_PASS` | | | %.1f | %.1f–%.1f | | 1.00× | verdict |\n",
		     floor_med(k, S_PASS), vmin(k->s[S_PASS].ns, runs),
		     vmax(k->s[S_PASS].ns, runs));
		emit("| floor: swap MAC+IP+ports, XDP_TX | | | %.1f | %.1f–%.1f | 1.00× | | verdict |\n",
		     floor_med(k, S_SWAP), vmin(k->s[S_SWAP].ns, runs),
		     vmax(k->s[S_SWAP].ns, runs));
		emit("\nFloors as measured beside the %s class; every class has "
		     "its own pair (raw table), its ratios use those.\n",
		     k->name);
	}
	emit("\n¹ Timed behind wrap.bpf.c, which writes the next frame of the "
	     "class's ring before every repeat and then tail-calls: ns/pkt = "
	     "wrap→synguard − wrap→floor_pass + floor_pass, per run, the same "
	     "ring in front of both; ratios are per-run pairs, median taken.\n");
	emit("\nSources: *random* is a ring of %u frames (seed 0x%llx), each "
	     "from its own random /24 (IPv4; outside 0/8, 127/8, 224/3) or "
	     "/64 (IPv6; in 2000::/3), with a random port and ISN (and TSval); "
	     "the valid-cookie ACKs complete the handshakes of the SYN rings, "
	     "each with the cookie of its own SYN-ACK (every frame run once on "
	     "its own and checked before the timing). *one, replayed* is a "
	     "single frame every repeat.\n",
	     ring_n, (unsigned long long)rng_seed);
	emit("\nConfig:");
	for (i = 0; i < NCFG; i++)
		if (used[i] || (i == CFG_GUARD_OFF && classes[C_SYN4L].done))
			emit(" *%s*: %s.", cfg_short[i], cfg_desc[i]);
	emit(" The SYN and forged-ACK classes of random sources start every run "
	     "from empty per-source state (source buckets, recent sources, "
	     "bad-cookie buckets), as for sources never seen, and one untimed "
	     "pass over the ring; a /24 then gets %u SYN-ACKs per run (repeat "
	     "/ ring + 1), against the guard's burst "
	     "of %u: its code runs in full and never limits (`drop_ratelimit` "
	     "unmoved is part of the path check). The valid-cookie ACK "
	     "classes start from the state their SYNs left (run once each "
	     "through synguard just before). ACK order: a ring of "
	     "valid-cookie ACKs is all handshakes, so after its first few "
	     "frames synguard checks the cookie first and makes no socket "
	     "lookup for them; the established flow's ACK, all established, "
	     "takes the lookup first; forged ACKs cost both checks in either "
	     "order (README, \"How the hand-off works\").\n",
	     repeat / ring_n + 1, cfg_daemon.synack_burst);
	if ((repeat / ring_n + 1) * 4 > cfg_daemon.synack_burst)
		emit("**Warning**: with %u repeats over %u frames a source "
		     "bucket shared by a few /24s may run dry: the guard would "
		     "limit, and the path check fail.\n",
		     repeat, ring_n);
	if (fi >= 0)
		emit("\nTiming: thread CPU time across each BPF_PROG_TEST_RUN "
		     "call; the fixed cost of a call (≈ %.2f ms here: the "
		     "kernel switches the XDP dispatcher to the program and "
		     "back), measured with 2-repeat calls of the same series, "
		     "is subtracted.\n",
		     classes[fi].s[S_PASS].fixed / 1e6);
	if (classes[C_SYN4L].done)
		emit("Reflection guard (the daemon's 2000/s per /24, never "
		     "limiting here): %+.1f ns per SYN-ACK (the IPv4 Linux "
		     "random-source class with the guard on minus off, "
		     "alternated in the same runs).\n",
		     classes[C_SYN4L].med_diff);
	if (classes[C_CHECK].done)
		emit("Method check: a forged-cookie ACK (it leaves the frame "
		     "alone, so it can be timed both ways) costs %.1f ns derived "
		     "behind the wrapper (ring of one) and %.1f ns run directly, "
		     "alternated in the same runs: median difference %+.1f ns; "
		     "read the wrapped (¹) figures as accurate to about ±%.0f "
		     "ns.\n",
		     classes[C_CHECK].med,
		     median(classes[C_CHECK].s[S_X].ns, runs),
		     classes[C_CHECK].med_diff,
		     classes[C_CHECK].med_diff < 0 ?
			     -classes[C_CHECK].med_diff :
			     classes[C_CHECK].med_diff);
}

static void report_kex(void)
{
	int i, any = 0;

	emit("\n### The kernel's XDP synproxy example, same run\n\n");
	for (i = 0; i < C_CHECK; i++)
		any |= classes[i].done && classes[i].kex;
	if (kex_fd < 0) {
		emit("Not measured: %s.\n", kex_why);
		return;
	}
	if (!any) {
		emit("Not measured: no SYN class ran (-c).\n");
		return;
	}
	emit("`xdp_synproxy_kern.c` of the kernel's BPF selftests%s%s, built at "
	     "bench time against this kernel's BTF and loaded as its "
	     "userspace part sets it up (port %d allowed; MSS %u/%u, window "
	     "scale %u, TTL %u, as synguard's). Timed on the same SYN rings "
	     "behind the same wrapper, alternated with synguard and the "
	     "floors in the same runs: ns/pkt = wrap→example − "
	     "wrap→floor_pass + floor_pass. Its SYN path: parse, a conntrack "
	     "lookup (bpf_xdp_ct_lookup), IPv4 and TCP checksum checks, "
	     "the kernel's cookie (bpf_tcp_raw_gen_syncookie_*), an option "
	     "walk, the SYN-ACK; its path proof: `XDP_TX`, its own SYN-ACK "
	     "counter moved by exactly the repeat count, and the last "
	     "repeat's SYN-ACK going back to that frame's sender, "
	     "acknowledging its ISN, with valid checksums.\n\n",
	     kex_from[0] ? ", from " : "", kex_from, SERVER_PORT,
	     cfg_daemon.mss4, cfg_daemon.mss6, cfg_daemon.wscale,
	     cfg_daemon.ttl);
	emit("| class | example ns/pkt (median) | min–max | example to swap+TX floor | synguard ns/pkt | synguard ÷ example (per-run pairs) | path check |\n");
	emit("|---|---:|---:|---:|---:|---:|---|\n");
	for (i = 0; i < C_CHECK; i++) {
		const struct klass *k = &classes[i];

		if (!k->done || !k->has_k)
			continue;
		emit("| %s | %.1f | %.1f–%.1f | %.2f× | %.1f | %.2f | %s |\n",
		     label(k), k->kmed, k->klo, k->khi, k->kmed_swap, k->med,
		     k->kmed_rel,
		     k->kfails ? "**FAILED** (see stderr)" :
				 "ok: `XDP_TX`, its counter, its SYN-ACK");
	}
}

static int report_targets(void)
{
	int i, missed = 0, any = 0;

	for (i = 0; i < C_CHECK; i++)
		any |= classes[i].done && classes[i].target != T_NONE;
	if (!any)
		return 0;
	emit("\nTargets (issue 12: IPv4 SYN and the valid-cookie ACK, random "
	     "sources, each ≤ %.0f× the swap+TX floor measured in the same "
	     "run):\n\n",
	     TARGET_SWAP);
	for (i = 0; i < C_CHECK; i++) {
		const struct klass *k = &classes[i];
		int ok = k->med_swap <= TARGET_SWAP;

		if (!k->done || k->target == T_NONE)
			continue;
		missed += !ok;
		emit("- %s ≤ %.0f× the swap+TX floor: %.2f× (%.1f ns against "
		     "%.1f ns) — %s\n",
		     label(k), TARGET_SWAP, k->med_swap, k->med,
		     floor_med(k, S_SWAP), ok ? "met" : "**missed**");
	}
	return missed;
}

/*
 * The breakdown scales each probe to the class it explains: a probe's cost
 * above floor_pass, in units of the floor_pass measured alternately with
 * it, times the floor_pass measured with the class. Load from other
 * processes slows floors and pieces alike, so this holds up when the
 * probes ran in a busier (or quieter) moment than the class.
 */
static double piece_ns(int p, const struct klass *k)
{
	return probes[p].med_rel * floor_med(k, S_PASS);
}

/* Median over runs of the relative difference between two probes. */
static double pair_ns(int a, int b, const struct klass *k)
{
	double d[MAX_RUNS];
	int r;

	for (r = 0; r < runs; r++)
		d[r] = probes[a].rel[r] - probes[b].rel[r];
	return median(d, runs) * floor_med(k, S_PASS);
}

/* One line of the breakdown: a piece and its share of @over. */
static double piece(const char *what, int p, const struct klass *k, double over)
{
	double ns = piece_ns(p, k);

	emit("  - %s: ≈ %.1f ns (%.0f%%)\n", what, ns,
	     over > 0 ? 100.0 * ns / over : 0.0);
	return ns;
}

static void rest_line(const char *what, double rest, double over)
{
	if (rest > 0)
		emit("  - the rest (%s): ≈ %.1f ns (%.0f%%)\n", what, rest,
		     100.0 * rest / over);
	else
		emit("  - the rest (%s): lost in the noise (pieces add up to "
		     "more than the class)\n",
		     what);
}

static void budget_line(const struct klass *k, double *over, double *budget)
{
	*over = k->med - floor_med(k, S_SWAP);
	*budget = (TARGET_SWAP - 1) * floor_med(k, S_SWAP);
	emit("- %s: %.1f ns above the swap+TX floor; the %.0f× target leaves "
	     "%.1f ns.\n",
	     label(k), *over, TARGET_SWAP, *budget);
}

/*
 * The least-responder probe @p against class @k's floors: what a program
 * doing only the parts the target cannot do without (parse, options, the
 * MAC, the swaps) costs, as a ratio to the swap+TX floor.
 */
static void least_line(int p, const struct klass *k, const char *what)
{
	double ns;

	if (!probes[p].done)
		return;
	ns = floor_med(k, S_PASS) + piece_ns(p, k);
	emit("  - the least %s (probe below: parse, options, the MAC%s, "
	     "nothing else) costs ≈ %.1f ns, %.2f× the swap+TX floor: %s the "
	     "%.0f× target before any %s.\n",
	     what, p == P_LEAST_SYN ? ", the swaps" : ", one compare", ns,
	     ns / floor_med(k, S_SWAP),
	     ns / floor_med(k, S_SWAP) > TARGET_SWAP ? "above" : "within",
	     TARGET_SWAP,
	     p == P_LEAST_SYN ?
		     "checksum, option of ours, lookup, counter or per-source "
		     "state" :
		     "key lookup, epoch decode, counter, per-source state or "
		     "metadata");
}

static void report_dominates(void)
{
	const struct klass *k;
	double over, rest, budget;

	emit("\nWhat the cost is made of (cost probes below: each piece "
	     "alone, on one replayed frame, its cost above floor_pass scaled "
	     "to this class's floor_pass; shares of the class's cost above "
	     "the swap+TX floor, approximate):\n\n");
	k = &classes[C_SYN4L];
	if (k->done && k->med_swap > TARGET_SWAP && probes[P_PARSE_SYN].done &&
	    probes[P_MAC4].done && probes[P_SRC].done) {
		budget_line(k, &over, &budget);
		rest = over;
		rest -= piece("cookie MAC (SipHash-2-4)", P_MAC4, k, over);
		rest -= piece("parse + SYN options (word compares)",
			      P_PARSE_SYN, k, over);
		rest -= piece("sg_sources per-prefix update (bucket array, "
			      "one prefix)",
			      P_SRC, k, over);
		rest_line("SYN-ACK build and checksums, counters, "
			  "config/epoch/key/local-address lookups, the "
			  "per-source state of random sources",
			  rest, over);
		if ((probes[P_IP_RELOAD].done && probes[P_IP_REGS].done) ||
		    (probes[P_CALL4].done && probes[P_INLINE4].done) ||
		    (probes[P_CLOCK_CALL].done && probes[P_CLOCK_KEPT].done))
			emit("  - costs this path no longer pays (probe pairs; "
			     "not part of the figures above):\n");
		if (probes[P_IP_RELOAD].done && probes[P_IP_REGS].done)
			emit("    the IPv4 header checksum reading TTL/protocol "
			     "back right after storing them (synguard sums "
			     "them from registers): ≈ %.1f ns\n",
			     pair_ns(P_IP_RELOAD, P_IP_REGS, k));
		if (probes[P_CALL4].done && probes[P_INLINE4].done)
			emit("    a call of a global BPF function and its "
			     "return (the MAC and the SYN-ACK writer are "
			     "inline, one local address is compared in line): "
			     "≈ %.1f ns each (pair / 4)\n",
			     pair_ns(P_CALL4, P_INLINE4, k) / 4);
		if (probes[P_CLOCK_CALL].done && probes[P_CLOCK_KEPT].done)
			emit("    bpf_ktime_get_coarse_ns() called every packet "
			     "instead of sg_now(): ≈ %.1f ns\n",
			     pair_ns(P_CLOCK_CALL, P_CLOCK_KEPT, k));
		emit("  - the MAC alone is %.1f× the whole budget.\n",
		     piece_ns(P_MAC4, k) / budget);
		least_line(P_LEAST_SYN, k, "SYN responder");
		if (classes[C_SYN4L_ONE].done)
			emit("  - one replayed source instead of random ones: "
			     "%.1f ns.\n",
			     classes[C_SYN4L_ONE].med);
	}
	k = &classes[C_ACK4TS];
	if (k->done && k->med_swap > TARGET_SWAP && probes[P_PARSE_ACK].done &&
	    probes[P_MAC4].done) {
		/* With the cookie first (all handshakes), no socket lookup. */
		budget_line(k, &over, &budget);
		rest = over;
		rest -= piece("cookie MAC (SipHash-2-4)", P_MAC4, k, over);
		rest -= piece("parse + ACK options (word compare)", P_PARSE_ACK,
			      k, over);
		rest_line("metadata, config/epoch/key/local-address lookups, "
			  "the ACK-order share, per-source state (random "
			  "sources: their lines), counters",
			  rest, over);
		emit("  - the MAC alone is %.1f× the whole budget.\n",
		     piece_ns(P_MAC4, k) / budget);
		least_line(P_LEAST_ACK, k, "cookie check");
	}
}

static void report_raw(void)
{
	int i, j;

	emit("\nRaw medians, ns/pkt (thread CPU time less the fixed cost of "
	     "a test-run call, / repeats; in brackets the kernel's own "
	     "`duration`, an integer):\n\n");
	emit("| class | floor_pass | floor_swap_tx | synguard direct | wrap→floor_pass | wrap→synguard | wrap→kernel example |\n");
	emit("|---|---:|---:|---:|---:|---:|---:|\n");
	for (i = 0; i < NCLASSES; i++) {
		struct klass *k = &classes[i];

		if (!k->done)
			continue;
		if (k->guard)
			emit("| %s (guard off: wrap→synguard %.1f [%.0f]) |",
			     label(k), median(k->s[S_X].ns, runs),
			     umedian(k->s[S_X].kns, runs));
		else
			emit("| %s |", label(k));
		for (j = 0; j < 2; j++)
			emit(" %.1f [%.0f] |", median(k->s[j].ns, runs),
			     umedian(k->s[j].kns, runs));
		if (!k->wrapped) {
			emit(" %.1f [%.0f] | | | |\n",
			     median(k->s[S_A].ns, runs),
			     umedian(k->s[S_A].kns, runs));
			continue;
		}
		if (k->check)
			emit(" %.1f [%.0f] |", median(k->s[S_X].ns, runs),
			     umedian(k->s[S_X].kns, runs));
		else
			emit(" |");
		emit(" %.1f [%.0f] | %.1f [%.0f] |", median(k->s[S_B].ns, runs),
		     umedian(k->s[S_B].kns, runs), median(k->s[S_A].ns, runs),
		     umedian(k->s[S_A].kns, runs));
		if (k->has_k)
			emit(" %.1f [%.0f] |\n", median(k->s[S_K].ns, runs),
			     umedian(k->s[S_K].kns, runs));
		else
			emit(" |\n");
	}
	emit("\nCost probes (tools/bench/probe.bpf.c: one piece of the data "
	     "path alone, on one replayed frame, measured alternately with "
	     "floor_pass):\n\n");
	emit("| piece | frame | ns/pkt (median) | floor_pass beside it | above floor_pass (median of pairs) |\n");
	emit("|---|---|---:|---:|---:|\n");
	for (i = 0; i < NPROBES; i++)
		if (probes[i].done)
			emit("| %s | %s | %.1f | %.1f | %+.1f ns (%+.2f×) |\n",
			     probes[i].name, probes[i].what, probes[i].med,
			     median(probes[i].s[0].ns, runs),
			     probes[i].med_delta, probes[i].med_rel);
}

/* The machine's CPU time so far (/proc/stat "cpu": user nice system idle
 * iowait irq softirq steal), in ticks. */
struct cpu_times {
	unsigned long long t[8];
};

static void read_cpu_times(struct cpu_times *c)
{
	FILE *f = fopen("/proc/stat", "r");

	memset(c, 0, sizeof(*c));
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &c->t[0],
		   &c->t[1], &c->t[2], &c->t[3], &c->t[4], &c->t[5], &c->t[6],
		   &c->t[7]) != 8)
		memset(c, 0, sizeof(*c));
	fclose(f);
}

static void machine_line(const double *load0)
{
	char line[256], model[128] = "unknown";
	struct utsname u;
	double load[3] = { 0 };
	FILE *f;

	f = fopen("/proc/cpuinfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "model name", 10)) {
				char *c = strchr(line, ':');

				if (c) {
					c += 1 + strspn(c + 1, " \t");
					c[strcspn(c, "\n")] = '\0';
					snprintf(model, sizeof(model), "%s", c);
				}
				break;
			}
		fclose(f);
	}
	uname(&u);
	getloadavg(load, 3);
	emit("Machine: %s, %ld cores online (%ld configured), Linux %s %s; "
	     "load average (1 min) %.2f at the start of the run, %.2f at "
	     "the end (the bench's own busy CPU adds up to 1)",
	     model, sysconf(_SC_NPROCESSORS_ONLN),
	     sysconf(_SC_NPROCESSORS_CONF), u.release, u.machine, load0[0],
	     load[0]);
}

/* What the whole machine did during the run: this bench keeps one CPU
 * busy, mostly in the kernel; softirq time is other work (packets of
 * other tests: this kernel charges it to whatever thread it interrupts,
 * the bench's included), steal time the hypervisor's. */
static void cpu_line(const struct cpu_times *a, const struct cpu_times *b)
{
	unsigned long long d[8], tot = 0;
	int i;

	for (i = 0; i < 8; i++) {
		d[i] = b->t[i] - a->t[i];
		tot += d[i];
	}
	if (!tot) {
		emit(".\n");
		return;
	}
	emit("; of the machine's CPU time during the run: %.0f%% idle, %.0f%% "
	     "user, %.0f%% system, %.1f%% softirq, %.1f%% steal.\n",
	     100.0 * (d[3] + d[4]) / tot, 100.0 * (d[0] + d[1]) / tot,
	     100.0 * (d[2] + d[5]) / tot, 100.0 * d[6] / tot,
	     100.0 * d[7] / tot);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: prog_bench [-o FILE] [-r RUNS] [-n REPEAT] [-N FRAMES] [-K DIR] [-s SEED]\n"
		"                  [-c TEXT] [-p TEXT] [-C CPU] [-L FILE] [-q]\n"
		"  -o FILE    also write the report (Markdown) to FILE\n"
		"  -r RUNS    runs per program, median taken (default %d; the stated method needs >= %d)\n"
		"  -n REPEAT  repeats per run (default %u; the stated method needs >= %u)\n"
		"  -N FRAMES  frames in a random-source ring, a power of two (default %u, at most %u)\n"
		"  -K DIR     time the kernel's XDP synproxy example built in DIR (tools/bench/kexample.sh)\n"
		"  -s SEED    seed of the random sources (default: a random one, shown in the report)\n"
		"  -c TEXT    only the class named TEXT, or if none is, those whose name contains it\n"
		"             (and no probe unless -p)\n"
		"  -p TEXT    only the cost probes whose name contains TEXT (and no class unless -c)\n"
		"  -C CPU     run on that CPU only (default: wherever the scheduler puts it)\n"
		"  -L FILE    write synguard_xdp's JIT line map to FILE (for lineprof.py)\n"
		"  -q         no progress on stderr\n",
		DEF_RUNS, MIN_RUNS, DEF_REPEAT, MIN_REPEAT, DEF_RING, MAX_RING);
}

static void load_programs(void)
{
	sg = synguard_bpf__open_and_load();
	if (!sg)
		die("loading synguard: %s", strerror(errno));
	fl = bench_floor__open_and_load();
	pr = bench_probe__open_and_load();
	wr = bench_wrap__open();
	if (!fl || !pr || !wr)
		die("loading the bench programs: %s", strerror(errno));
	if (bpf_map__set_max_entries(wr->maps.bench_frames, ring_n) ||
	    bench_wrap__load(wr))
		die("loading the wrapper: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	const char *out_path = NULL;
	time_t t_start = time(NULL);
	double load0[3] = { 0 };
	struct cpu_times cpu0, cpu1;
	int c, i, missed, seeded = 0, exact = 0;

	while ((c = getopt(argc, argv, "c:p:C:L:o:r:n:N:K:s:qh")) != -1) {
		switch (c) {
		case 'c':
			only_class = optarg;
			break;
		case 'p':
			only_probe = optarg;
			break;
		case 'L':
			linemap = optarg;
			break;
		case 'C':
			pin_cpu = atoi(optarg);
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'n':
			repeat = (__u32)strtoul(optarg, NULL, 0);
			break;
		case 'N':
			ring_n = (__u32)strtoul(optarg, NULL, 0);
			break;
		case 'K':
			kex_dir = optarg;
			break;
		case 's':
			rng_seed = strtoull(optarg, NULL, 0);
			seeded = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || runs < 1 || runs > MAX_RUNS || repeat < 1 ||
	    !ring_n || ring_n > MAX_RING || (ring_n & (ring_n - 1))) {
		usage(stderr);
		return 2;
	}
	if (!seeded &&
	    getrandom(&rng_seed, sizeof(rng_seed), 0) != sizeof(rng_seed))
		die("getrandom: %s", strerror(errno));
	rng_state = rng_seed;
	getloadavg(load0, 3);
	read_cpu_times(&cpu0);

	if (pin_cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(pin_cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("CPU %d: %s", pin_cpu, strerror(errno));
	}
	enter_netns();
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		die("libbpf_num_possible_cpus: %d", ncpus);
	load_programs();
	setup_synguard();
	set_all_port_bits(pr->maps.sg_ports);
	probe_fds();
	if (linemap)
		write_linemap(sg_fd(), linemap);
	progress("prog_bench: %d runs x %u repeats, rings of %u frames\n", runs,
		 repeat, ring_n);
	load_kex();
	if (kex_fd < 0)
		progress("kernel example: not measured: %s\n", kex_why);
	progress("building the frames, every one checked on its own\n");
	build_frames();

	/* -c: a class named exactly so, else every class whose name has it */
	for (i = 0; only_class && i < NCLASSES; i++)
		exact |= !strcmp(classes[i].name, only_class);
	progress("classes:\n");
	for (i = 0; i < NCLASSES; i++) {
		if ((only_class || only_probe) &&
		    (!only_class ||
		     (exact ? strcmp(classes[i].name, only_class) :
			      !strstr(classes[i].name, only_class))))
			continue;
		run_class(&classes[i]);
		classes[i].done = 1;
	}
	progress("cost probes:\n");
	for (i = 0; i < NPROBES; i++) {
		if ((only_class || only_probe) &&
		    (!only_probe || !strstr(probes[i].name, only_probe)))
			continue;
		run_probe(&probes[i]);
		probes[i].done = 1;
	}

	emit("## synguard XDP per-packet cost (BPF_PROG_TEST_RUN)\n\n");
	emit("Median of %d runs of %u repeats each; the floors measured "
	     "alternately with each class in the same run%s.\n\n",
	     runs, repeat,
	     runs < MIN_RUNS || repeat < MIN_REPEAT ?
		     " (**below the stated method**: ≥ 5 runs of ≥ 1e6 repeats)" :
		     "");
	report_classes();
	missed = report_targets();
	report_kex();
	if (missed)
		report_dominates();
	report_raw();
	emit("\n");
	read_cpu_times(&cpu1);
	machine_line(load0);
	cpu_line(&cpu0, &cpu1);
	if (pin_cpu >= 0)
		emit("Pinned to CPU %d. ", pin_cpu);
	emit("Run: %ld s, in a private network namespace (the server's "
	     "addresses on lo, listeners on :%d, one established connection); "
	     "bpf_stats_enabled=%d. Other processes share the cores, so "
	     "single runs are noisy (see min–max); the alternation (order "
	     "rotated every run) and the medians are there for it, and a "
	     "load average well above 0 at either end means the absolute "
	     "figures are inflated.\n",
	     (long)(time(NULL) - t_start), SERVER_PORT,
	     read_int_file("/proc/sys/kernel/bpf_stats_enabled"));
	if (n_fail)
		emit("\n**%d path check(s) FAILED** (details on stderr): the "
		     "numbers above are not trustworthy.\n",
		     n_fail);
	if (n_kfail)
		emit("\n**%d path check(s) of the kernel example FAILED** "
		     "(details on stderr): its figures are not trustworthy.\n",
		     n_kfail);

	fwrite(out_buf, 1, out_len, stdout);
	if (out_path) {
		FILE *f = fopen(out_path, "w");

		if (!f || fwrite(out_buf, 1, out_len, f) != out_len ||
		    fclose(f))
			die("%s: %s", out_path, strerror(errno));
	}

	close(server_fd);
	close(client_fd);
	close(listen_fd);
	close(listen6_fd);
	bpf_object__close(kex_obj);
	bench_probe__destroy(pr);
	bench_wrap__destroy(wr);
	bench_floor__destroy(fl);
	synguard_bpf__destroy(sg);
	free(out_buf);
	return n_fail ? 1 : 0;
}
