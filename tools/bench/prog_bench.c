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
 * Classes that rewrite the frame (SYN -> SYN-ACK in place; a verified ACK
 * gains metadata) run behind tools/bench/wrap.bpf.c, which restores the
 * original frame before every repeat and tail-calls the program; the cost
 * is then wrap->synguard - wrap->floor_pass + floor_pass. The others run
 * synguard directly.
 *
 * Every run proves its path: synguard's per-CPU sg_stats are read before
 * and after, and the class's verdict counter (plus SG_E_SYN_RX for SYNs)
 * must have moved by exactly the repeat count and every other counter not
 * at all; the last repeat's output frame is checked too (the SYN-ACK byte
 * for byte against one verified field by field with tests/prog/lib/verify.c).
 * Any mismatch is reported as FAIL and the exit status is 1.
 *
 * The whole run happens in a private network namespace (unshare) with lo
 * up, a listener on port 80 (a protected port) and one real established
 * loopback connection to it: the program's socket lookups use the caller's
 * namespace, so the established-flow ACK is built for that connection's
 * 4-tuple and bpf_skc_lookup_tcp finds the socket.
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
 *   prog_bench [-o FILE] [-r RUNS] [-n REPEAT] [-c TEXT] [-p TEXT]
 *              [-C CPU] [-L FILE] [-q]
 *
 * Needs root (CAP_SYS_ADMIN, CAP_BPF, CAP_NET_ADMIN).
 */
#define _GNU_SOURCE
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
#include "cookie.h"
#include "../../user/util.c"
#include "pkt.h"
#include "verify.h"
#include "synguard.skel.h"
#include "floor.skel.h"
#include "wrap.skel.h"
#include "probe.skel.h"

#define DEF_RUNS 11
#define DEF_REPEAT 1000000u
#define MIN_RUNS 5	    /* the stated method: median of >= 5 runs */
#define MIN_REPEAT 1000000u /* of >= 1e6 repeats each */
#define OUT_MAX 4096
#define FRAME_MAX 128 /* wrap.bpf.c BENCH_FRAME_MAX */
#define CUR_EPOCH 100
#define SERVER_PORT 80
#define MAX_SERIES 5
#define MAX_RUNS 101

/* Targets from the issue. */
#define TARGET_SYN_SWAP 2.0
#define TARGET_EST_PASS 1.5

/* ---- configuration (as the issue specifies) ---- */

static struct sg_config bench_cfg = {
	.flags = SG_CFG_SACK | SG_CFG_TS | SG_CFG_WSCALE | SG_CFG_ECN,
	.mss4 = 1460,
	.mss6 = 1440,
	.window = 65535,
	.wscale = 7,
	.ttl = 64,
	.msstab4 = { 536, 1200, 1300, 1380, 1440, 1452, 1460, 8960 },
	.msstab6 = { 1220, 1280, 1340, 1380, 1420, 1432, 1440, 8940 },
	.tw_epochs = 0,
	.prefix4 = 24,
	.prefix6 = 64,
	.synack_rate = 0,
	.synack_burst = 0,
	.hkey = { 0x9e3779b97f4a7c15ULL, 0x6a09e667f3bcc909ULL },
};

/* Reflection guard on, never limiting: 1e9 SYN-ACKs/s per prefix, and a
 * bucket deeper than the SYNs one coarse-clock tick can see. */
#define GUARD_RATE 1000000000u
#define GUARD_BURST 1000000u

static const struct sg_key key99 = { 0x0706050403020100ULL,
				     0x0f0e0d0c0b0a0908ULL, 99, 1 };
static const struct sg_key key100 = { 0xa5a5a5a55a5a5a5aULL,
				      0x1122334455667788ULL, 100, 1 };
static const struct sg_key key101 = { 0x0101010110101010ULL,
				      0x8877665544332211ULL, 101, 1 };

/* wrap.bpf.c's map value. */
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
static int pin_cpu = -1;    /* -C: run on this CPU only */
static int n_fail;

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

static void set_config(__u32 rate, __u32 burst)
{
	static int installed;

	if (installed && bench_cfg.synack_rate == rate &&
	    bench_cfg.synack_burst == burst)
		return;
	installed = 1;
	bench_cfg.synack_rate = rate;
	bench_cfg.synack_burst = burst;
	/* the refill the daemon computes for that rate and depth */
	sg_bucket_params(rate, burst, &bench_cfg.synack_mul,
			 &bench_cfg.synack_cap_ns);
	if (map_set(sg->maps.sg_config, 0, &bench_cfg, sizeof(bench_cfg)))
		die("sg_config: %s", strerror(errno));
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

static void setup_synguard(void)
{
	struct sg_epoch_state es = { .epoch = CUR_EPOCH };

	bench_cfg.mask4 = htonl(0xffffff00u);
	bench_cfg.mask6[0] = 0xffffffffu;
	bench_cfg.mask6[1] = 0xffffffffu;
	set_config(0, 0);
	set_port_bits(sg->maps.sg_ports);
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
		[SG_V_TX_SYNACK] = "tx_synack",
		[SG_V_DROP_COOKIE_BAD] = "drop_cookie_bad",
		[SG_V_DROP_ADJUST] = "drop_adjust",
		[SG_V_DROP_RATELIMIT] = "drop_ratelimit",
		[SG_E_SYN_RX] = "syn_rx",
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

/* ---- frames ---- */

#define TSV 0x11, 0x22, 0x33, 0x44
#define CLI_ISN 0x01020304u
#define CLI_TSVAL 0x11223344u

static const __u8 opts_linux[] = { 2, 4, 5, 0xb4, 4, 2, 8, 10, TSV,
				   0, 0, 0, 0,	  1, 3, 3, 7 };
static const __u8 opts_windows[] = { 2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2 };

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

static void build(struct pkt *p, const struct pkt_spec *s, const char *what)
{
	if (pkt_build(p, s) || p->len > FRAME_MAX)
		die("cannot build the %s frame", what);
}

/* ---- one measured test run ---- */

enum out_check {
	OUT_NONE,   /* dropped or a floor: the output is not looked at */
	OUT_SAME,   /* passed: frame unchanged, no metadata */
	OUT_SYNACK, /* the reference SYN-ACK, no metadata */
	OUT_META,   /* sg_meta in front of the unchanged frame */
};

/* What a run of one series must show. */
struct expect {
	__u32 retval; /* verdict of the last repeat */
	int stat;     /* synguard counter moving by repeat; -1: none moves */
	int event;    /* and this one; -1: none */
	enum out_check out;
	const struct pkt *ref; /* OUT_SYNACK: the verified SYN-ACK */
};

struct series {
	const char *name;
	int prog_fd;
	int target_fd; /* >= 0: prog_fd is the wrapper, this goes to slot 0 */
	struct expect x;
	__u32 rate, burst;    /* synguard's synack_rate/burst for this one */
	double ns[MAX_RUNS];  /* thread CPU ns per packet, fixed cost out */
	double tot[MAX_RUNS]; /* thread CPU ns of the whole test run */
	double fix[MAX_RUNS]; /* thread CPU ns of a 2-repeat test run */
	double fixed;	      /* median of fix[]: the per-call cost */
	__u32 kns[MAX_RUNS];  /* kernel-reported ns per repeat */
};

static const char *check_output(const struct expect *x, const __u8 *out,
				__u32 meta_len, __u32 frame_len,
				const struct pkt *in)
{
	const __u8 *frame = out + meta_len;

	switch (x->out) {
	case OUT_NONE:
		return NULL;
	case OUT_SAME:
		if (meta_len || frame_len != in->len ||
		    memcmp(frame, in->data, in->len))
			return "frame changed";
		return NULL;
	case OUT_SYNACK:
		if (meta_len || frame_len != x->ref->len ||
		    memcmp(frame, x->ref->data, x->ref->len))
			return "last repeat's SYN-ACK differs from the verified one";
		return NULL;
	case OUT_META: {
		struct sg_meta m;

		if (meta_len != sizeof(m))
			return "no sg_meta in front of the frame";
		memcpy(&m, out, sizeof(m));
		if (m.magic != SG_META_MAGIC)
			return "bad sg_meta magic";
		if (frame_len != in->len || memcmp(frame, in->data, in->len))
			return "frame behind the metadata changed";
		return NULL;
	}
	}
	return NULL;
}

/* The output of the last run_once(): metadata, then the frame. */
static __u8 out[OUT_MAX];
static __u32 out_meta, out_frame;

/*
 * One BPF_PROG_TEST_RUN of @repeat repeats of series @s on @in; returns
 * the thread CPU time it took (ns) and checks the path. @label names the
 * run in errors.
 */
static double run_once(struct series *s, const struct pkt *in, __u32 repeat,
		       __u32 *kns, const char *label)
{
	__u64 before[SG_STAT_MAX], after[SG_STAT_MAX];
	struct xdp_md ctx_in = { 0 }, ctx_out = { 0 };
	struct timespec t0, t1;
	const char *why;
	__u32 zero = 0;
	double ns;
	int i, err;

	set_config(s->rate, s->burst);
	if (s->target_fd >= 0 &&
	    bpf_map_update_elem(bpf_map__fd(wr->maps.bench_target), &zero,
				&s->target_fd, BPF_ANY))
		die("bench_target: %s", strerror(errno));
	ctx_in.data_end = in->len;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->data,
		    .data_size_in = in->len, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = repeat);

	read_stats(before);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	err = bpf_prog_test_run_opts(s->prog_fd, &opts);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	if (err)
		die("%s: %s: BPF_PROG_TEST_RUN: %s", label, s->name,
		    strerror(errno));
	read_stats(after);
	ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 +
	     (double)(t1.tv_nsec - t0.tv_nsec);
	if (kns)
		*kns = opts.duration;

	if (opts.retval != s->x.retval)
		fail("%s: %s: last repeat returned %s, expected %s", label,
		     s->name, verdict_name(opts.retval),
		     verdict_name(s->x.retval));
	for (i = 0; i < SG_STAT_MAX; i++) {
		__u64 want = (i == s->x.stat || i == s->x.event) ? repeat : 0;
		__u64 got = after[i] - before[i];

		if (got != want)
			fail("%s: %s: counter %s moved by %llu over %u repeats, expected %llu",
			     label, s->name, stat_name(i),
			     (unsigned long long)got, repeat,
			     (unsigned long long)want);
	}
	out_meta = out_frame = 0;
	if (ctx_out.data > opts.data_size_out ||
	    ctx_out.data_end != opts.data_size_out) {
		fail("%s: %s: inconsistent output context", label, s->name);
		return ns;
	}
	out_meta = ctx_out.data;
	out_frame = ctx_out.data_end - ctx_out.data;
	why = check_output(&s->x, out, out_meta, out_frame, in);
	if (why)
		fail("%s: %s: %s", label, s->name, why);
	return ns;
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
 * wrapper), wrap->floor_pass, and an extra one for paired comparisons:
 * synguard direct (method check) or wrap->synguard with the reflection
 * guard off (guard class).
 */
enum { S_PASS, S_SWAP, S_A, S_B, S_X };

struct klass {
	const char *name;
	const struct pkt *frame;
	int wrapped;
	int check; /* wrapped, and also run directly: the method check */
	int guard; /* rate/burst on, and also off: the guard's cost */
	__u32 rate, burst; /* config for this class */
	struct expect x;
	struct series s[MAX_SERIES];
	int ns_series;
	/* results, per run and summarised */
	double cost[MAX_RUNS], r_swap[MAX_RUNS], r_pass[MAX_RUNS];
	double med, lo, hi, med_swap, med_pass;
	double diff[MAX_RUNS], med_diff; /* S_A's cost - S_X's, paired */
	int fails; /* path checks failed while measuring this class */
	int done;  /* measured (not filtered out by -c) */
};

static void init_series(struct series *s, const char *name, int prog_fd,
			int target_fd, const struct expect *x)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->prog_fd = prog_fd;
	s->target_fd = target_fd;
	s->x = *x;
}

static const struct expect X_PASS_FLOOR = { XDP_PASS, -1, -1, OUT_SAME, NULL };
static const struct expect X_SWAP_FLOOR = { XDP_TX, -1, -1, OUT_NONE, NULL };

static void setup_class(struct klass *k)
{
	int sgfd = bpf_program__fd(sg->progs.synguard_xdp);
	int passfd = bpf_program__fd(fl->progs.floor_pass);
	int swapfd = bpf_program__fd(fl->progs.floor_swap_tx);
	int wrapfd = bpf_program__fd(wr->progs.bench_wrap);

	init_series(&k->s[S_PASS], "floor_pass", passfd, -1, &X_PASS_FLOOR);
	init_series(&k->s[S_SWAP], "floor_swap_tx", swapfd, -1, &X_SWAP_FLOOR);
	if (k->wrapped) {
		init_series(&k->s[S_A], "wrap->synguard", wrapfd, sgfd, &k->x);
		k->s[S_A].rate = k->rate;
		k->s[S_A].burst = k->burst;
		init_series(&k->s[S_B], "wrap->floor_pass", wrapfd, passfd,
			    &X_PASS_FLOOR);
		k->ns_series = 4;
		if (k->check) {
			init_series(&k->s[S_X], "synguard", sgfd, -1, &k->x);
			k->ns_series = 5;
		} else if (k->guard) {
			init_series(&k->s[S_X], "wrap->synguard (guard off)",
				    wrapfd, sgfd, &k->x);
			k->ns_series = 5;
		}
	} else {
		init_series(&k->s[S_A], "synguard", sgfd, -1, &k->x);
		k->s[S_A].rate = k->rate;
		k->s[S_A].burst = k->burst;
		k->ns_series = 3;
	}
}

static void load_wrap_frame(const struct pkt *p)
{
	struct bench_frame f = { .len = p->len };

	memcpy(f.data, p->data, p->len);
	if (map_set(wr->maps.bench_frame, 0, &f, sizeof(f)))
		die("bench_frame: %s", strerror(errno));
}

/*
 * Measure series[0..n) alternately, runs times, the order rotated every
 * run so that no series always follows the same one. One short warm-up
 * pass first (checked like the others, not recorded).
 *
 * A test run with more than one repeat costs about a millisecond of CPU
 * on top of its repeats (the kernel points the XDP dispatcher at the
 * program and back: image rewrite, IPIs), ~1 ns per packet at 1e6
 * repeats, which is 15% of the pass floor. So every timed run is
 * followed by a 2-repeat run of the same series, and the median of those
 * is taken off: ns/pkt = (t(repeat) - median t(2)) / (repeat - 2).
 */
static void measure_alternating(struct series *ser, int n, const struct pkt *in,
				const char *label)
{
	__u32 warm = repeat / 10 ? repeat / 10 : 1;
	int r, j;

	for (j = 0; j < n; j++)
		run_once(&ser[j], in, warm, NULL, label);
	for (r = 0; r < runs; r++)
		for (j = 0; j < n; j++) {
			struct series *s = &ser[(j + r) % n];

			s->tot[r] = run_once(s, in, repeat, &s->kns[r], label);
			s->fix[r] = repeat > 2 ?
					    run_once(s, in, 2, NULL, label) :
					    0;
		}
	for (j = 0; j < n; j++) {
		struct series *s = &ser[j];

		s->fixed = repeat > 2 ? median(s->fix, runs) : 0;
		for (r = 0; r < runs; r++)
			s->ns[r] = (s->tot[r] - s->fixed) /
				   (repeat > 2 ? repeat - 2 : repeat);
	}
}

static void run_class(struct klass *k)
{
	int r;

	int fails = n_fail;

	progress("  %-52s", k->name);
	if (k->wrapped)
		load_wrap_frame(k->frame);
	setup_class(k);
	measure_alternating(k->s, k->ns_series, k->frame, k->name);
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
	}
	if (k->check || k->guard)
		k->med_diff = median(k->diff, runs);
	k->med = median(k->cost, runs);
	k->lo = vmin(k->cost, runs);
	k->hi = vmax(k->cost, runs);
	k->med_swap = median(k->r_swap, runs);
	k->med_pass = median(k->r_pass, runs);
	k->fails = n_fail - fails;
	progress(" %7.1f ns/pkt%s\n", k->med,
		 k->fails ? "  PATH CHECK FAILED" : "");
}

/* ---- probes ---- */

struct probe {
	const char *name;
	const char *what;
	int fd;
	const struct pkt *frame;
	__u32 retval;
	struct series s[2];	/* floor_pass, probe */
	double delta[MAX_RUNS]; /* probe - floor_pass, per run (ns) */
	double rel[MAX_RUNS];	/* probe / floor_pass - 1, per run */
	double med, med_delta, med_rel;
	int done;
};

static void run_probe(struct probe *p)
{
	static const struct expect none = { 0, -1, -1, OUT_NONE, NULL };
	struct expect x = none;
	int r;

	progress("  %-60s", p->name);
	x.retval = p->retval;
	init_series(&p->s[0], "floor_pass",
		    bpf_program__fd(fl->progs.floor_pass), -1, &X_PASS_FLOOR);
	init_series(&p->s[1], p->name, p->fd, -1, &x);
	measure_alternating(p->s, 2, p->frame, p->name);
	for (r = 0; r < runs; r++) {
		p->delta[r] = p->s[1].ns[r] - p->s[0].ns[r];
		p->rel[r] = p->s[1].ns[r] / p->s[0].ns[r] - 1;
	}
	p->med = median(p->s[1].ns, runs);
	p->med_delta = median(p->delta, runs);
	p->med_rel = median(p->rel, runs);
	progress(" %7.1f ns/pkt\n", p->med);
}

/* ---- the SYN-ACKs the classes start from, verified once ---- */

struct attrs_exp {
	__u8 mss_idx, wscale, sack, ts, ecn;
};

/* The cookie for SYN p (as test_xdp.c mints it). */
static void mint(const struct pkt *p, int family, __u32 cisn,
		 const struct attrs_exp *x, __u32 *isn, __u32 *tsval)
{
	struct sg_attrs a = { x->mss_idx, x->wscale, x->sack, x->ecn };
	__u32 attrs9 = sg_attrs_pack(&a), ports;
	__u32 meta = sg_cookie_meta(CUR_EPOCH, attrs9, x->ts);
	__u64 mac;

	memcpy(&ports, p->data + p->l4, 4);
	if (family == 4) {
		__u32 sa, da;

		memcpy(&sa, p->data + p->l3 + 12, 4);
		memcpy(&da, p->data + p->l3 + 16, 4);
		mac = sg_mac4(&key100, sa, da, ports, cisn, meta);
	} else {
		__u32 sa[4], da[4];

		memcpy(sa, p->data + p->l3 + 8, 16);
		memcpy(da, p->data + p->l3 + 24, 16);
		mac = sg_mac6(&key100, sa, da, ports, cisn, meta);
	}
	*isn = sg_cookie_isn(mac, CUR_EPOCH, attrs9, x->ts);
	*tsval = x->ts ? sg_cookie_tsval(mac, attrs9) : 0;
}

/*
 * Run SYN once through synguard, verify the SYN-ACK field by field, keep
 * it as the reference for the timed runs; fills the parsed SYN-ACK.
 */
static void reference_synack(const char *name, const struct pkt *syn,
			     int family, const struct attrs_exp *x,
			     __u32 cli_tsval, struct pkt *ref,
			     struct sg_frame *sa)
{
	static const struct expect tx = { XDP_TX, SG_V_TX_SYNACK, SG_E_SYN_RX,
					  OUT_NONE, NULL };
	struct sg_synack_exp e = { 0 };
	char why[2048];
	struct series s;

	init_series(&s, "synguard", bpf_program__fd(sg->progs.synguard_xdp), -1,
		    &tx);
	run_once(&s, syn, 1, NULL, name);
	if (out_meta || !out_frame || out_frame > FRAME_MAX)
		die("%s: the SYN did not come back as a SYN-ACK", name);
	e.mss = family == 4 ? bench_cfg.mss4 : bench_cfg.mss6;
	e.window = bench_cfg.window;
	e.ttl = bench_cfg.ttl;
	e.wscale = bench_cfg.wscale;
	e.ts = x->ts;
	e.sack = x->sack;
	e.ws = x->wscale != SG_WSCALE_NONE;
	e.ecn = x->ecn;
	e.tsecr = cli_tsval;
	mint(syn, family, CLI_ISN, x, &e.isn, &e.tsval);
	memset(sa, 0, sizeof(*sa));
	if (sg_verify_synack(out, out_frame, syn->data, syn->len, &e, sa, why,
			     sizeof(why)))
		fail("%s: SYN-ACK does not verify: %s", name, why);
	memset(ref, 0, sizeof(*ref));
	memcpy(ref->data, out, out_frame);
	ref->len = out_frame;
}

/* ---- network namespace and the established connection ---- */

static int listen_fd = -1, client_fd = -1, server_fd = -1;

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
	close(fd);
}

/* Listener on 0.0.0.0:80 and one connection to it; returns the client
 * port (host order). */
static __u16 connect_loopback(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
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
	client_fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (client_fd < 0 ||
	    connect(client_fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect 127.0.0.1:%d: %s", SERVER_PORT, strerror(errno));
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

/* ---- report ---- */

static void machine_line(void)
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
	emit("Machine: %s, %ld cores online (%ld configured), Linux %s %s, "
	     "load average %.2f at the end of the run.\n",
	     model, sysconf(_SC_NPROCESSORS_ONLN),
	     sysconf(_SC_NPROCESSORS_CONF), u.release, u.machine, load[0]);
}

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

static void usage(FILE *f)
{
	fprintf(f,
		"usage: prog_bench [-o FILE] [-r RUNS] [-n REPEAT] [-c TEXT] [-p TEXT] [-C CPU] [-L FILE] [-q]\n"
		"  -o FILE    also write the report (Markdown) to FILE\n"
		"  -r RUNS    runs per program, median taken (default %d; the stated method needs >= %d)\n"
		"  -n REPEAT  repeats per run (default %u; the stated method needs >= %u)\n"
		"  -c TEXT    only the classes whose name contains TEXT (and no probe unless -p)\n"
		"  -p TEXT    only the cost probes whose name contains TEXT (and no class unless -c)\n"
		"  -C CPU     run on that CPU only (default: wherever the scheduler puts it)\n"
		"  -L FILE    write synguard_xdp's JIT line map to FILE (for lineprof.py)\n"
		"  -q         no progress on stderr\n",
		DEF_RUNS, MIN_RUNS, DEF_REPEAT, MIN_REPEAT);
}

/* ---- frames, classes, probes ---- */

static struct pkt syn4l, syn4w, syn6l, ack_ok, ack_bad, ack_est, tcp22, udp;
static struct pkt ref4l, ref4w, ref6l; /* the verified SYN-ACKs */

static void build_frames(void)
{
	static const struct attrs_exp x_linux = { 6, 7, 1, 1, 0 };
	static const struct attrs_exp x_windows = { 6, 8, 1, 0, 0 };
	struct pkt_spec s;
	struct sg_frame sa;
	__u32 rnd[2];
	__u16 cport = connect_loopback();

	/* SYNs: IPv4 Linux, IPv4 Windows, IPv6 Linux option sets. */
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.dport = SERVER_PORT;
	s.flags = TH_SYN;
	s.seq = CLI_ISN;
	spec_opts(&s, opts_linux, sizeof(opts_linux));
	build(&syn4l, &s, "IPv4 Linux SYN");
	spec_opts(&s, opts_windows, sizeof(opts_windows));
	build(&syn4w, &s, "IPv4 Windows SYN");
	s.family = 6;
	spec_opts(&s, opts_linux, sizeof(opts_linux));
	build(&syn6l, &s, "IPv6 Linux SYN");

	reference_synack("syn4_windows", &syn4w, 4, &x_windows, 0, &ref4w, &sa);
	reference_synack("syn6_linux", &syn6l, 6, &x_linux, CLI_TSVAL, &ref6l,
			 &sa);
	reference_synack("syn4_linux", &syn4l, 4, &x_linux, CLI_TSVAL, &ref4l,
			 &sa);
	if (!sa.has_ts)
		die("the IPv4 Linux SYN-ACK has no timestamp");

	/* The client's ACK completing that handshake (timestamps on). */
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.dport = SERVER_PORT;
	s.flags = TH_ACK;
	s.seq = CLI_ISN + 1;
	s.ack = sa.seq + 1;
	s.window = 502;
	spec_ts(&s, 0x0badf00d, sa.tsval);
	build(&ack_ok, &s, "valid-cookie ACK");

	/* A forged one: random cookie (its epoch bits the current epoch's,
	 * so the full MAC check runs with the current key) and random TSecr. */
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		die("getrandom: %s", strerror(errno));
	s.ack = ((rnd[0] & 0x3fffffffu) | (CUR_EPOCH & 3u) << 30) + 1;
	spec_ts(&s, 0x0badf00d, rnd[1]);
	build(&ack_bad, &s, "invalid-cookie ACK");

	/* An ACK of the real established loopback connection. */
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.src_ip[0] = 127;
	s.src_ip[3] = 1;
	s.dst_ip[0] = 127;
	s.dst_ip[3] = 1;
	s.sport = cport;
	s.dport = SERVER_PORT;
	s.flags = TH_ACK;
	s.seq = 0x11110000;
	s.ack = 0x22220000;
	s.window = 502;
	spec_ts(&s, 0x0badf00d, 0x0c0ffee0);
	build(&ack_est, &s, "established-flow ACK");

	/* Unprotected TCP: an ACK to port 22. UDP: a 32-byte datagram. */
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.dport = 22;
	s.flags = TH_ACK;
	s.seq = 0x11110000;
	s.ack = 0x22220000;
	spec_ts(&s, 0x0badf00d, 0x0c0ffee0);
	build(&tcp22, &s, "port 22 ACK");
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.proto = PKT_IPPROTO_UDP;
	s.dport = 53;
	s.paylen = 32;
	build(&udp, &s, "UDP");
}

enum {
	C_SYN4L,
	C_SYN4W,
	C_SYN6L,
	C_SYN4L_GUARD,
	C_ACK_OK,
	C_ACK_BAD,
	C_ACK_EST,
	C_TCP22,
	C_UDP,
	C_CHECK, /* method check: C_ACK_BAD again, behind the wrapper */
	NCLASSES
};

#define SYN_X(ref)                                                   \
	{                                                            \
		XDP_TX, SG_V_TX_SYNACK, SG_E_SYN_RX, OUT_SYNACK, ref \
	}

static struct klass classes[NCLASSES] = {
	[C_SYN4L] = { .name = "SYN→SYN-ACK IPv4, Linux options",
		      .frame = &syn4l,
		      .wrapped = 1,
		      .x = SYN_X(&ref4l) },
	[C_SYN4W] = { .name = "SYN→SYN-ACK IPv4, Windows options",
		      .frame = &syn4w,
		      .wrapped = 1,
		      .x = SYN_X(&ref4w) },
	[C_SYN6L] = { .name = "SYN→SYN-ACK IPv6, Linux options",
		      .frame = &syn6l,
		      .wrapped = 1,
		      .x = SYN_X(&ref6l) },
	[C_SYN4L_GUARD] = { .name = "SYN→SYN-ACK IPv4, Linux, reflection guard on",
			    .frame = &syn4l,
			    .wrapped = 1,
			    .guard = 1,
			    .rate = GUARD_RATE,
			    .burst = GUARD_BURST,
			    .x = SYN_X(&ref4l) },
	[C_ACK_OK] = { .name = "ACK, valid cookie (timestamps)",
		       .frame = &ack_ok,
		       .wrapped = 1,
		       .x = { XDP_PASS, SG_V_PASS_COOKIE_OK, -1, OUT_META,
			      NULL } },
	[C_ACK_BAD] = { .name = "ACK, invalid cookie (random)",
			.frame = &ack_bad,
			.x = { XDP_DROP, SG_V_DROP_COOKIE_BAD, -1, OUT_NONE,
			       NULL } },
	[C_ACK_EST] = { .name = "ACK, established flow",
			.frame = &ack_est,
			.x = { XDP_PASS, SG_V_PASS_ESTABLISHED, -1, OUT_SAME,
			       NULL } },
	[C_TCP22] = { .name = "TCP to an unprotected port (22)",
		      .frame = &tcp22,
		      .x = { XDP_PASS, SG_V_PASS_PORT, -1, OUT_SAME, NULL } },
	[C_UDP] = { .name = "UDP",
		    .frame = &udp,
		    .x = { XDP_PASS, SG_V_PASS_NOT_TCP, -1, OUT_SAME, NULL } },
	[C_CHECK] = { .name = "method check: invalid-cookie ACK, wrapped vs direct",
		      .frame = &ack_bad,
		      .wrapped = 1,
		      .check = 1,
		      .x = { XDP_DROP, SG_V_DROP_COOKIE_BAD, -1, OUT_NONE,
			     NULL } },
};

enum {
	P_HDR,
	P_PARSE_SYN,
	P_PARSE_ACK,
	P_MAC4,
	P_MAC6,
	P_SRC,
	P_SKC_EST,
	P_SKC_LISTEN,
	P_IP_RELOAD,
	P_IP_REGS,
	NPROBES
};

static struct probe probes[NPROBES] = {
	[P_HDR] = { "sg_parse (headers, port bitmap)", "IPv4 Linux SYN", -1,
		    &syn4l, XDP_PASS },
	[P_PARSE_SYN] = { "sg_parse + TCP option walk", "IPv4 Linux SYN", -1,
			  &syn4l, XDP_PASS },
	[P_PARSE_ACK] = { "sg_parse + TCP option walk", "established ACK", -1,
			  &ack_est, XDP_PASS },
	[P_MAC4] = { "cookie MAC, IPv4 (SipHash-2-4, 3 blocks)",
		     "IPv4 Linux SYN", -1, &syn4l, XDP_PASS },
	[P_MAC6] = { "cookie MAC, IPv6 (SipHash-2-4, 6 blocks)",
		     "IPv6 Linux SYN", -1, &syn6l, XDP_PASS },
	[P_SRC] = { "sg_sources bucket update (guard off)", "IPv4 Linux SYN",
		    -1, &syn4l, XDP_PASS },
	[P_SKC_EST] = { "bpf_skc_lookup_tcp + release, established",
			"established ACK", -1, &ack_est, XDP_PASS },
	[P_SKC_LISTEN] = { "bpf_skc_lookup_tcp + release, listener",
			   "invalid-cookie ACK", -1, &ack_bad, XDP_TX },
	[P_IP_RELOAD] = { "IPv4 header + checksum, TTL/proto read back (as synguard)",
			  "IPv4 Linux SYN", -1, &syn4l, XDP_PASS },
	[P_IP_REGS] = { "IPv4 header + checksum, TTL/proto from registers",
			"IPv4 Linux SYN", -1, &syn4l, XDP_PASS },
};

static void probe_fds(void)
{
	probes[P_HDR].fd = bpf_program__fd(pr->progs.probe_hdr);
	probes[P_PARSE_SYN].fd = bpf_program__fd(pr->progs.probe_parse);
	probes[P_PARSE_ACK].fd = bpf_program__fd(pr->progs.probe_parse);
	probes[P_MAC4].fd = bpf_program__fd(pr->progs.probe_mac);
	probes[P_MAC6].fd = bpf_program__fd(pr->progs.probe_mac);
	probes[P_SRC].fd = bpf_program__fd(pr->progs.probe_src);
	probes[P_SKC_EST].fd = bpf_program__fd(pr->progs.probe_skc);
	probes[P_SKC_LISTEN].fd = bpf_program__fd(pr->progs.probe_skc);
	probes[P_IP_RELOAD].fd = bpf_program__fd(pr->progs.probe_ip_reload);
	probes[P_IP_REGS].fd = bpf_program__fd(pr->progs.probe_ip_regs);
}

/* ---- report ---- */

static double floor_med(const struct klass *k, int which)
{
	return median(k->s[which].ns, runs);
}

static void report_classes(void)
{
	int i, fi = -1;

	emit("| class | ns/pkt (median) | min–max | ratio to swap+TX floor | ratio to pass floor | path check |\n");
	emit("|---|---:|---:|---:|---:|---|\n");
	for (i = 0; i < C_CHECK; i++) {
		struct klass *k = &classes[i];

		if (!k->done)
			continue;
		if (fi < 0)
			fi = i;
		emit("| %s%s | %.1f | %.1f–%.1f | %.2f× | %.2f× | %s `%s` +%u in each of %d runs%s |\n",
		     k->name, k->wrapped ? " ¹" : "", k->med, k->lo, k->hi,
		     k->med_swap, k->med_pass,
		     k->fails ? "**FAILED** (see stderr):" : "ok:",
		     stat_name(k->x.stat), repeat, runs,
		     k->x.out == OUT_SYNACK ? ", SYN-ACK as verified" :
		     k->x.out == OUT_META   ? ", sg_meta in front" :
		     k->x.out == OUT_SAME   ? ", frame untouched" :
					      "");
	}
	if (fi >= 0) {
		const struct klass *k = &classes[fi];

		emit("| floor: `return XDP_PASS` | %.1f | %.1f–%.1f | | 1.00× | verdict |\n",
		     floor_med(k, S_PASS), vmin(k->s[S_PASS].ns, runs),
		     vmax(k->s[S_PASS].ns, runs));
		emit("| floor: swap MAC+IP+ports, XDP_TX | %.1f | %.1f–%.1f | 1.00× | | verdict |\n",
		     floor_med(k, S_SWAP), vmin(k->s[S_SWAP].ns, runs),
		     vmax(k->s[S_SWAP].ns, runs));
		emit("\nFloors as measured beside the %s class; every class has "
		     "its own pair (raw table), its ratios use those.\n",
		     k->name);
	}
	emit("\n¹ Rewrites the frame, so timed behind wrap.bpf.c (restores "
	     "the frame every repeat, then tail-calls): ns/pkt = "
	     "wrap→synguard − wrap→floor_pass + floor_pass, per run; ratios "
	     "are per-run pairs, median taken.\n");
	if (fi >= 0)
		emit("Timing: thread CPU time across each BPF_PROG_TEST_RUN call; "
		     "the fixed cost of a call (≈ %.2f ms here: the kernel "
		     "switches the XDP dispatcher to the program and back), "
		     "measured with 2-repeat calls of the same series, is "
		     "subtracted.\n",
		     classes[fi].s[S_PASS].fixed / 1e6);
	if (classes[C_SYN4L_GUARD].done)
		emit("Reflection guard (synack_rate 1e9/s, burst 1e6, never "
		     "limiting): %+.1f ns per SYN-ACK (wrap→synguard with the "
		     "guard on minus off, alternated in the same runs).\n",
		     classes[C_SYN4L_GUARD].med_diff);
	if (classes[C_CHECK].done)
		emit("Method check: the invalid-cookie ACK (it leaves the frame "
		     "alone, so it can be timed both ways) costs %.1f ns derived "
		     "that way and %.1f ns run directly, alternated in the same "
		     "runs: median difference %+.1f ns, about what the "
		     "wrapped (¹) figures may be overstated by.\n",
		     classes[C_CHECK].med,
		     median(classes[C_CHECK].s[S_X].ns, runs),
		     classes[C_CHECK].med_diff);
}

static int report_targets(void)
{
	static const int syns[] = { C_SYN4L, C_SYN4W, C_SYN6L };
	int i, missed = 0;

	if (classes[C_SYN4L].done || classes[C_SYN4W].done ||
	    classes[C_SYN6L].done || classes[C_ACK_EST].done)
		emit("\nTargets:\n\n");
	for (i = 0; i < 3; i++) {
		const struct klass *k = &classes[syns[i]];
		int ok = k->med_swap <= TARGET_SYN_SWAP;

		if (!k->done)
			continue;
		missed += !ok;
		emit("- %s ≤ %.1f× the swap+TX floor: %.2f× — %s\n", k->name,
		     TARGET_SYN_SWAP, k->med_swap, ok ? "met" : "**missed**");
	}
	if (classes[C_ACK_EST].done) {
		const struct klass *k = &classes[C_ACK_EST];
		int ok = k->med_pass <= TARGET_EST_PASS;

		missed += !ok;
		emit("- %s ≤ %.1f× the pass floor: %.2f× — %s\n", k->name,
		     TARGET_EST_PASS, k->med_pass, ok ? "met" : "**missed**");
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

static void report_dominates(void)
{
	const struct klass *k;
	double over, rest, budget;

	emit("\nWhat the cost is made of (cost probes below: each piece "
	     "alone, its cost above floor_pass scaled to this class's "
	     "floor_pass; shares of the class's cost above its floor, "
	     "approximate):\n\n");
	k = &classes[C_SYN4L];
	if (k->done && probes[P_PARSE_SYN].done && probes[P_MAC4].done &&
	    probes[P_SRC].done) {
		over = k->med - floor_med(k, S_SWAP);
		budget = (TARGET_SYN_SWAP - 1) * floor_med(k, S_SWAP);
		emit("- %s: %.1f ns above the swap+TX floor; the %.1f× target "
		     "leaves %.1f ns.\n",
		     k->name, over, TARGET_SYN_SWAP, budget);
		rest = over;
		rest -= piece("cookie MAC (SipHash-2-4)", P_MAC4, k, over);
		rest -= piece("parse + TCP option walk", P_PARSE_SYN, k, over);
		rest -= piece("sg_sources per-prefix update (bucket array)",
			      P_SRC, k, over);
		rest_line("SYN-ACK build and checksums, counters, "
			  "config/epoch/key lookups",
			  rest, over);
		if (probes[P_IP_RELOAD].done && probes[P_IP_REGS].done)
			emit("    of which the IPv4 header checksum reading "
			     "TTL/protocol back right after storing them: ≈ "
			     "%.1f ns (probe pair)\n",
			     pair_ns(P_IP_RELOAD, P_IP_REGS, k));
		emit("  - the MAC alone is %.1f× the whole budget.\n",
		     piece_ns(P_MAC4, k) / budget);
	}
	k = &classes[C_SYN6L];
	if (k->done && probes[P_MAC6].done)
		emit("- %s: %.1f ns above the swap+TX floor, of which the "
		     "6-block MAC ≈ %.1f ns.\n",
		     k->name, k->med - floor_med(k, S_SWAP),
		     piece_ns(P_MAC6, k));
	k = &classes[C_ACK_EST];
	if (k->done && probes[P_PARSE_ACK].done && probes[P_SKC_EST].done) {
		over = k->med - floor_med(k, S_PASS);
		budget = (TARGET_EST_PASS - 1) * floor_med(k, S_PASS);
		emit("- %s: %.1f ns above the pass floor; the %.1f× target "
		     "leaves %.1f ns.\n",
		     k->name, over, TARGET_EST_PASS, budget);
		rest = over;
		rest -= piece("bpf_skc_lookup_tcp + bpf_sk_release "
			      "(established socket)",
			      P_SKC_EST, k, over);
		rest -= piece("parse + TCP option walk", P_PARSE_ACK, k, over);
		rest_line("config, flags, epoch/key check, counter", rest,
			  over);
		emit("  - the socket lookup alone is %.1f× the whole budget.\n",
		     piece_ns(P_SKC_EST, k) / budget);
	}
}

static void report_raw(void)
{
	int i, j;

	emit("\nRaw medians, ns/pkt (thread CPU time less the fixed cost of "
	     "a test-run call, / repeats; in brackets the kernel's own "
	     "`duration`, an integer):\n\n");
	emit("| class | floor_pass | floor_swap_tx | synguard direct | wrap→floor_pass | wrap→synguard |\n");
	emit("|---|---:|---:|---:|---:|---:|\n");
	for (i = 0; i < NCLASSES; i++) {
		struct klass *k = &classes[i];

		if (!k->done)
			continue;
		if (k->guard)
			emit("| %s (guard off: wrap→synguard %.1f [%.0f]) |",
			     k->name, median(k->s[S_X].ns, runs),
			     umedian(k->s[S_X].kns, runs));
		else
			emit("| %s |", k->name);
		for (j = 0; j < 2; j++)
			emit(" %.1f [%.0f] |", median(k->s[j].ns, runs),
			     umedian(k->s[j].kns, runs));
		if (k->check)
			emit(" %.1f [%.0f] |", median(k->s[S_X].ns, runs),
			     umedian(k->s[S_X].kns, runs));
		else if (k->wrapped)
			emit(" |");
		if (k->wrapped)
			emit(" %.1f [%.0f] | %.1f [%.0f] |\n",
			     median(k->s[S_B].ns, runs),
			     umedian(k->s[S_B].kns, runs),
			     median(k->s[S_A].ns, runs),
			     umedian(k->s[S_A].kns, runs));
		else
			emit(" %.1f [%.0f] | | |\n", median(k->s[S_A].ns, runs),
			     umedian(k->s[S_A].kns, runs));
	}
	emit("\nCost probes (tools/bench/probe.bpf.c: one piece of the data "
	     "path alone, measured alternately with floor_pass):\n\n");
	emit("| piece | frame | ns/pkt (median) | floor_pass beside it | above floor_pass (median of pairs) |\n");
	emit("|---|---|---:|---:|---:|\n");
	for (i = 0; i < NPROBES; i++)
		if (probes[i].done)
			emit("| %s | %s | %.1f | %.1f | %+.1f ns (%+.2f×) |\n",
			     probes[i].name, probes[i].what, probes[i].med,
			     median(probes[i].s[0].ns, runs),
			     probes[i].med_delta, probes[i].med_rel);
}

int main(int argc, char **argv)
{
	const char *out_path = NULL;
	time_t t_start = time(NULL);
	int c, i, missed;

	while ((c = getopt(argc, argv, "c:p:C:L:o:r:n:qh")) != -1) {
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
	if (optind != argc || runs < 1 || runs > MAX_RUNS || repeat < 1) {
		usage(stderr);
		return 2;
	}

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
	sg = synguard_bpf__open_and_load();
	if (!sg)
		die("loading synguard: %s", strerror(errno));
	fl = bench_floor__open_and_load();
	wr = bench_wrap__open_and_load();
	pr = bench_probe__open_and_load();
	if (!fl || !wr || !pr)
		die("loading the bench programs: %s", strerror(errno));
	setup_synguard();
	set_port_bits(pr->maps.sg_ports);
	probe_fds();
	if (linemap)
		write_linemap(bpf_program__fd(sg->progs.synguard_xdp), linemap);
	build_frames();

	progress("prog_bench: %d runs x %u repeats\nclasses:\n", runs, repeat);
	for (i = 0; i < NCLASSES; i++) {
		if ((only_class || only_probe) &&
		    (!only_class || !strstr(classes[i].name, only_class)))
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
	if (missed)
		report_dominates();
	report_raw();
	emit("\n");
	machine_line();
	if (pin_cpu >= 0)
		emit("Pinned to CPU %d. ", pin_cpu);
	emit("Run: %ld s, in a private network namespace (listener on :%d, one "
	     "established loopback connection); bpf_stats_enabled=%d. Other "
	     "processes share the cores, so single runs are noisy (see "
	     "min–max); the alternation (order rotated every run) and the "
	     "medians are there for it.\n",
	     (long)(time(NULL) - t_start), SERVER_PORT,
	     read_int_file("/proc/sys/kernel/bpf_stats_enabled"));
	if (n_fail)
		emit("\n**%d path check(s) FAILED** (details on stderr): the "
		     "numbers above are not trustworthy.\n",
		     n_fail);

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
	bench_probe__destroy(pr);
	bench_wrap__destroy(wr);
	bench_floor__destroy(fl);
	synguard_bpf__destroy(sg);
	free(out_buf);
	return n_fail ? 1 : 0;
}
