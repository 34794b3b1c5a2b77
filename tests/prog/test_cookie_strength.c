/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Cookie strength, measured on the real XDP program through
 * BPF_PROG_TEST_RUN (docs/cookie.md, section 6).
 *
 * Blind forgery: 2^20 ACKs with random cookies for ONE fixed 4-tuple
 * (IPv4, 192.0.2.1:40000 -> 198.51.100.2:80), each a distinct frame run
 * once. The keys of the previous, current and next epoch are installed
 * (as the daemon keeps them) and each guess carries the epoch bits of one
 * of those three, as a forger who has seen one SYN-ACK would: every guess
 * reaches the MAC (the fourth value of the bits, two epochs ahead, has no
 * key and would be refused without one).
 *  - No timestamp option: random ack_seq (the cookie) and seq (the client
 *    ISN). 22 MAC bits are checked, so the acceptances follow
 *    Binomial(2^20, 2^-22): mean 0.25, P(X >= 6) = 2.6e-7. The case
 *    asserts at most 5.
 *  - Timestamp option: random ack_seq and TSecr, 30 + 23 = 53 MAC bits:
 *    mean 2^-33 (1.2e-10). The case asserts 0.
 * Acceptances are counted from SG_V_PASS_COOKIE_OK (the counter's delta
 * over the batch) and from the verdicts; every verdict is also compared
 * with the MAC check computed here (the layout written out here, only
 * SipHash shared), so an acceptance is known to be a genuine MAC collision
 * and not a program error. The bad-cookie limiter is off (badck_burst 0)
 * for these two.
 *
 * The limiter: the same 2^20 ISN-only guesses from the one source with the
 * limiter at its defaults (SG_BADCK_RATE_DEFAULT per second, burst
 * SG_BADCK_BURST_DEFAULT, the daemon's sg_bucket_params()). Only the
 * guesses the bucket allows are checked (the rest: drop_cookie_limited):
 * at least the burst, at most burst + rate x the batch's duration (+1 for
 * the coarse clock's tick), whatever that duration was. The PASS line
 * reports the odds: accepted, checked, and the time a forger needs for
 * one connection from a chosen source.
 *
 * Replay: a SYN runs through the program, the ACK is built from the
 * SYN-ACK it emitted (ISN-only and timestamp layouts, IPv4 and IPv6). It
 * is accepted in epoch E (twice: a replay within the epoch passes, as
 * documented), after one rotation (as the daemon rotates: the key for
 * E+2 installed, then sg_epoch = E+1; counted as a neighbouring epoch),
 * and rejected after two (E+2) and three (E+3) rotations.
 *
 * SG_STRENGTH_SEED=N reruns the random batches with the same keys and
 * guesses (the seed is printed); SG_STRENGTH_N=N changes the batch size
 * (the bounds are then recomputed; for quick runs only).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "cookie.h"
#include "pkt.h"
#include "xdprun.h"
#include "sg_test.h"
#include "synguard.skel.h"
#include "verify.h"
#include "usage.h"
#include "../../user/util.c"

#define OUT_MAX (PKT_MAX + 512)
#define STRENGTH_EPOCH 500u
#define REPLAY_EPOCH 1000u
#define DEFAULT_N (1u << 20)
#define NOTS_BOUND 5 /* acceptances allowed without timestamps */
#define NAME_LEN 160

static const struct sg_config test_cfg = {
	.flags = SG_CFG_SACK | SG_CFG_TS | SG_CFG_WSCALE | SG_CFG_ECN,
	SG_TEST_CFG_SYNACK,
};

static struct synguard_bpf *skel;
static int prog_fd, ncpus;

/* ---- random numbers: splitmix64 ---- */

static __u64 rng_state;

static __u64 rng64(void)
{
	__u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u32 rng32(void)
{
	return (__u32)(rng64() >> 32);
}

/* ---- maps ---- */

static int map_set(struct bpf_map *m, __u32 key, const void *val, size_t sz)
{
	return bpf_map__update_elem(m, &key, sizeof(key), val, sz, BPF_ANY);
}

static int set_epoch(__u32 epoch)
{
	struct sg_epoch_state st = { .epoch = epoch };

	return map_set(skel->maps.sg_epoch, 0, &st, sizeof(st));
}

static int set_key(const struct sg_key *k)
{
	return map_set(skel->maps.sg_keys, k->epoch & (SG_KEY_SLOTS - 1), k,
		       sizeof(*k));
}

static int clear_keys(void)
{
	struct sg_key zero = { 0 };
	__u32 i;
	int err = 0;

	for (i = 0; i < SG_KEY_SLOTS; i++)
		err |= map_set(skel->maps.sg_keys, i, &zero, sizeof(zero));
	return err;
}

static int setup_maps(void)
{
	__u32 word = (1u << (80 & 31)), word443 = (1u << (443 & 31));
	int err = 0;

	err |= map_set(skel->maps.sg_config, 0, &test_cfg, sizeof(test_cfg));
	err |= map_set(skel->maps.sg_ports, 80 >> 5, &word, sizeof(word));
	err |= map_set(skel->maps.sg_ports, 443 >> 5, &word443,
		       sizeof(word443));
	return err;
}

/* ---- one test run ---- */

struct run {
	int err;
	__u32 verdict;
	__u8 out[OUT_MAX];
	__u32 out_len, meta_len, frame_len;
	const __u8 *frame;
};

static void run_frame(const struct pkt *p, struct run *r)
{
	struct xdp_md ctx_in = { 0 }, ctx_out = { 0 };

	r->err = 0;
	ctx_in.data_end = p->len;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data,
		    .data_size_in = p->len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &opts)) {
		r->err = -errno;
		return;
	}
	r->verdict = opts.retval;
	r->out_len = opts.data_size_out;
	r->meta_len = ctx_out.data;
	r->frame_len = ctx_out.data_end - ctx_out.data;
	r->frame = r->out + r->meta_len;
}

/*
 * ---- the cookie check, computed here ----
 *
 * Written from the layout (bpf/cookie.h's header comment), not from
 * cookie.h's helpers, so that a change to the program's comparison shows
 * up as a disagreement: only SipHash (sg_mac4, checked against the
 * reference vectors by test_cookie) is shared.
 *
 *   no timestamps: ISN = e2 << 30 | attrs8 << 22 | mac[21:0]
 *   timestamps:    ISN = e2 << 30 | mac[29:0],
 *                  TSval = mac[54:32] << 9 | attrs9
 */
#define DOC_MAC_BITS_NOTS 22	  /* ISN-only layout */
#define DOC_MAC_BITS_TS (30 + 23) /* ISN + TSval */

static const struct sg_key *key_for(const struct sg_key *keys, int nkeys,
				    __u32 epoch)
{
	int i;

	for (i = 0; i < nkeys; i++)
		if (keys[i].valid && keys[i].epoch == epoch)
			return &keys[i];
	return NULL;
}

/* Would an ACK of frame p (IPv4) with this seq/ack/tsecr verify? */
static int host_cookie_ok(const struct pkt *p, const struct sg_key *keys,
			  int nkeys, __u32 cur, __u32 seq, __u32 ack,
			  __u32 tsecr, __u32 ts)
{
	__u32 cookie = ack - 1, epoch, attrs9, meta, sa, da, ports;
	const struct sg_key *k;
	__u64 mac;

	/* Bits 31:30: the epoch of cur - 1 .. cur + 2 with those low bits. */
	for (epoch = cur - 1; (epoch & 3) != cookie >> 30; epoch++)
		;
	k = key_for(keys, nkeys, epoch);
	if (!k)
		return 0;
	/* attrs9: ISN bits 22-29 (no ECN), or TSecr bits 0-8. */
	attrs9 = ts ? tsecr & 0x1ff : (cookie >> 22) & 0xff;
	/* meta32 = attrs9 | layout << 9 | epoch[21:0] << 10 */
	meta = attrs9 | (ts ? 1u << 9 : 0) | (epoch & 0x3fffff) << 10;
	memcpy(&sa, p->data + p->l3 + 12, 4);
	memcpy(&da, p->data + p->l3 + 16, 4);
	memcpy(&ports, p->data + p->l4, 4);
	mac = sg_mac4(k, sa, da, ports, seq - 1, meta);
	if (!ts) /* ISN[21:0] = mac[21:0] */
		return ((cookie ^ (__u32)mac) & 0x3fffff) == 0;
	/* ISN[29:0] = mac[29:0], TSecr[31:9] = mac[54:32] */
	return ((cookie ^ (__u32)mac) & 0x3fffffff) == 0 &&
	       (((tsecr >> 9) ^ (__u32)(mac >> 32)) & 0x7fffff) == 0;
}

/* ---- binomial tail ---- */

/* P(X >= k) for X ~ Binomial(n, 2^-bits), summed over the tail. */
static double binom_tail(__u32 n, int bits, int k)
{
	double p = 1.0, q, term, sum = 0.0;
	int i;

	for (i = 0; i < bits; i++)
		p /= 2.0;
	/* (1 - p)^n by repeated multiplication in log2(n) squarings when n
	 * is a power of two, else plainly. */
	q = 1.0 - p;
	term = 1.0;
	if ((n & (n - 1)) == 0) {
		__u32 m = n;

		term = q;
		while (m > 1) {
			term *= term;
			m >>= 1;
		}
	} else {
		__u32 j;

		for (j = 0; j < n; j++)
			term *= q;
	}
	/* term = P(X = 0); P(X = i + 1) = P(X = i) (n - i) / (i + 1) p / q */
	for (i = 0; i < k + 40 && (__u32)i < n; i++) {
		if (i >= k)
			sum += term;
		term *= (double)(n - (__u32)i) / (double)(i + 1) * p / q;
	}
	return sum;
}

/* ---- blind forgery batches ---- */

struct batch {
	__u32 n;
	__u32 accepted_verdict; /* XDP_PASS verdicts */
	__u64 accepted_counter; /* SG_V_PASS_COOKIE_OK delta */
	__u64 dropped_counter;	/* SG_V_DROP_COOKIE_BAD delta */
	__u64 limited_counter;	/* SG_V_DROP_COOKIE_LIMITED delta */
	__u64 verdicts_counted; /* sum of the SG_V_* deltas */
	__u32 host_accepted;	/* the MAC check computed here */
	__u32 disagree;		/* program vs host decisions */
	__u32 false_accept;	/* accepted, the host check says invalid */
	double seconds;		/* the batch's duration, CLOCK_MONOTONIC */
	__u32 errors;		/* test-run errors, other verdicts */
	__u32 first_err;
};

static double mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Run n guesses. With the limiter on, a guess the program dropped may not
 * have been checked: only acceptances are compared with the host check
 * then (none may be a false one), the rest is counted.
 */
static int run_batch(int ts, __u32 n, const struct sg_key *keys, int nkeys,
		     int limiter, struct batch *b)
{
	struct pkt_spec s = { 0 };
	__u64 before[SG_STAT_MAX], after[SG_STAT_MAX];
	static struct run r;
	struct pkt p;
	__u32 i, v;

	memset(b, 0, sizeof(*b));
	b->n = n;
	s.family = 4;
	s.dport = 80;
	s.flags = TH_ACK;
	s.window = 502;
	if (ts) {
		const __u8 o[12] = { 1, 1, 8, 10, 0, 0xc0, 0xff, 0xee };

		memcpy(s.opts, o, sizeof(o));
		s.optlen = sizeof(o);
	}
	if (pkt_build(&p, &s) || sg_stats_sum(skel->maps.sg_stats, before))
		return -1;
	b->seconds = mono_s();
	for (i = 0; i < n; i++) {
		/* The epoch bits of one of the installed epochs. */
		__u32 code = (STRENGTH_EPOCH - 1 + rng32() % 3) & 3;
		__u32 seq = rng32(), tsecr = ts ? rng32() : 0;
		__u32 ack = ((rng32() & 0x3fffffff) | code << 30) + 1;
		int prog_ok, host_ok;

		pkt_put32(p.data + p.l4 + 4, seq);
		pkt_put32(p.data + p.l4 + 8, ack);
		if (ts)
			pkt_put32(p.data + p.l4 + 20 + 8, tsecr);
		pkt_fix_csums(&p);
		run_frame(&p, &r);
		if (r.err || (r.verdict != XDP_PASS && r.verdict != XDP_DROP)) {
			if (!b->errors++)
				b->first_err = r.err ? (__u32)-r.err :
						       1000 + r.verdict;
			continue;
		}
		prog_ok = r.verdict == XDP_PASS;
		host_ok = host_cookie_ok(&p, keys, nkeys, STRENGTH_EPOCH, seq,
					 ack, tsecr, ts);
		b->accepted_verdict += prog_ok;
		b->host_accepted += host_ok;
		if (prog_ok && !host_ok)
			b->false_accept++;
		if (prog_ok != host_ok && !limiter)
			b->disagree++;
		if (prog_ok)
			printf("# %s: accepted seq=0x%08x ack=0x%08x "
			       "tsecr=0x%08x (metadata %u bytes)\n",
			       ts ? "ts" : "nots", seq, ack, tsecr, r.meta_len);
	}
	b->seconds = mono_s() - b->seconds;
	if (sg_stats_sum(skel->maps.sg_stats, after))
		return -1;
	b->limited_counter = after[SG_V_DROP_COOKIE_LIMITED] -
			     before[SG_V_DROP_COOKIE_LIMITED];
	b->accepted_counter =
		after[SG_V_PASS_COOKIE_OK] - before[SG_V_PASS_COOKIE_OK];
	b->dropped_counter =
		after[SG_V_DROP_COOKIE_BAD] - before[SG_V_DROP_COOKIE_BAD];
	for (v = 0; v < SG_STAT_MAX; v++)
		if (sg_stat_kind(v) != SG_KIND_EVENT)
			b->verdicts_counted += after[v] - before[v];
	return 0;
}

static void report_batch(const char *tag, const struct batch *b, int bits,
			 int bound)
{
	char name[NAME_LEN];
	double mean = (double)b->n, tail;
	int i;

	for (i = 0; i < bits; i++)
		mean /= 2.0;
	tail = binom_tail(b->n, bits, bound + 1);
	printf("# %s: %u random ACKs, one 4-tuple, %d MAC bits: %llu "
	       "accepted (expected %.3g; P(X >= %d) = %.2g)\n",
	       tag, b->n, bits, (unsigned long long)b->accepted_counter, mean,
	       bound + 1, tail);

	snprintf(name, sizeof(name), "%s/test_runs_ok", tag);
	SG_CHECK(name, b->errors == 0,
		 "%u runs failed or returned another verdict (first: %u)",
		 b->errors, b->first_err);
	snprintf(name, sizeof(name), "%s/counters_account_for_every_ack", tag);
	SG_CHECK(name,
		 b->verdicts_counted == b->n &&
			 b->accepted_counter + b->dropped_counter == b->n &&
			 b->limited_counter == 0 &&
			 b->accepted_counter == b->accepted_verdict,
		 "SG_V_* moved by %llu, cookie_ok %llu + cookie_bad %llu, "
		 "%u XDP_PASS verdicts, %u ACKs",
		 (unsigned long long)b->verdicts_counted,
		 (unsigned long long)b->accepted_counter,
		 (unsigned long long)b->dropped_counter, b->accepted_verdict,
		 b->n);
	snprintf(name, sizeof(name), "%s/decisions_match_host_mac", tag);
	SG_CHECK(name, b->disagree == 0,
		 "%u of %u decisions differ from the MAC check (host "
		 "accepts %u)",
		 b->disagree, b->n, b->host_accepted);
	if (bound == 0)
		snprintf(name, sizeof(name), "%s/accepted_eq_0_of_%u_mean_%.2g",
			 tag, b->n, mean);
	else
		snprintf(name, sizeof(name),
			 "%s/accepted_le_%d_of_%u_mean_%.3g_P(X>=%d)=%.1e", tag,
			 bound, b->n, mean, bound + 1, tail);
	SG_CHECK(name, b->accepted_counter <= (__u64)bound,
		 "%llu forged ACKs accepted (bound %d, expected %.3g)",
		 (unsigned long long)b->accepted_counter, bound, mean);
}

/*
 * The bad-cookie limiter at its defaults against the same blind guessing:
 * 2^20 ISN-only guesses from one source. The bucket starts full (burst),
 * refills at the rate the daemon's parameters give, and each checked
 * failure takes one: the checked guesses are at least the burst and at
 * most burst + rate x duration (+1: the coarse clock's tick).
 */
static void run_limiter(__u32 n, const struct sg_key *keys, int nkeys)
{
	const __u32 rate = SG_BADCK_RATE_DEFAULT,
		    burst = SG_BADCK_BURST_DEFAULT;
	struct sg_config c = test_cfg;
	char name[NAME_LEN * 2];
	double rate_eff, hi, p_sent;
	__u64 checked;
	struct batch b;

	c.badck_burst = burst;
	sg_bucket_params(rate, burst, &c.badck_mul, &c.badck_cap_ns);
	if (map_set(skel->maps.sg_config, 0, &c, sizeof(c))) {
		sg_fail("limiter_setup", "cannot configure: %s",
			strerror(errno));
		return;
	}
	if (run_batch(0, n, keys, nkeys, 1, &b)) {
		sg_fail("limiter", "cannot run the batch: %s", strerror(errno));
		map_set(skel->maps.sg_config, 0, &test_cfg, sizeof(test_cfg));
		return;
	}
	map_set(skel->maps.sg_config, 0, &test_cfg, sizeof(test_cfg));

	checked = b.accepted_counter + b.dropped_counter;
	/* packets per second the bucket refills: mul is units/ns << 24 */
	rate_eff = (double)c.badck_mul * 1e9 / 16777216.0 / 1024.0;
	hi = rate_eff * b.seconds;
	hi = burst + (double)(__u64)hi + ((double)(__u64)hi < hi) + 1;
	p_sent = (double)checked / b.n;
	for (int i = 0; i < DOC_MAC_BITS_NOTS; i++)
		p_sent /= 2.0;
	printf("# limiter: %u ISN-only guesses from one source in %.2f s: "
	       "%llu checked (expected <= %u + %.4f/s x %.2f s = %.1f), %llu "
	       "limited, %llu accepted; odds per guess sent %.2g (%.2g "
	       "without the limiter); a forged connection from a chosen "
	       "source: 2^21/%u s = %.1f days (mean of the geometric "
	       "2^22/%u s = %.1f days)\n",
	       b.n, b.seconds, (unsigned long long)checked, burst, rate_eff,
	       b.seconds, hi, (unsigned long long)b.limited_counter,
	       (unsigned long long)b.accepted_counter, p_sent,
	       1.0 / (1u << DOC_MAC_BITS_NOTS), rate,
	       (double)(1u << 21) / rate / 86400.0, rate,
	       (double)(1u << 22) / rate / 86400.0);

	SG_CHECK("limiter/test_runs_ok", b.errors == 0,
		 "%u runs failed or returned another verdict (first: %u)",
		 b.errors, b.first_err);
	SG_CHECK("limiter/counters_account_for_every_ack",
		 b.verdicts_counted == b.n &&
			 checked + b.limited_counter == b.n &&
			 b.accepted_counter == b.accepted_verdict,
		 "SG_V_* moved by %llu, cookie_ok %llu + cookie_bad %llu + "
		 "cookie_limited %llu, %u XDP_PASS verdicts, %u ACKs",
		 (unsigned long long)b.verdicts_counted,
		 (unsigned long long)b.accepted_counter,
		 (unsigned long long)b.dropped_counter,
		 (unsigned long long)b.limited_counter, b.accepted_verdict,
		 b.n);
	SG_CHECK("limiter/no_acceptance_the_host_check_refuses",
		 b.false_accept == 0, "%u accepted ACKs fail the MAC check",
		 b.false_accept);
	snprintf(name, sizeof(name),
		 "limiter/checked_%llu_of_%u_in_%.1fs_within_burst_%u_to_%.0f_"
		 "accepted_%llu_forge_one_from_a_chosen_source_2^21/%u_s=%.1f_"
		 "days",
		 (unsigned long long)checked, b.n, b.seconds, burst, hi,
		 (unsigned long long)b.accepted_counter, rate,
		 (double)(1u << 21) / rate / 86400.0);
	SG_CHECK(name, checked >= burst && checked <= hi,
		 "%llu guesses checked, expected %u to %.0f (burst + "
		 "%.4f/s x %.2f s + 1)",
		 (unsigned long long)checked, burst, hi, rate_eff, b.seconds);
}

static void run_strength(void)
{
	struct sg_key keys[3];
	const char *env;
	__u32 n = DEFAULT_N;
	__u64 seed;
	struct batch b;
	int bound;

	env = getenv("SG_STRENGTH_SEED");
	if (env && *env)
		seed = strtoull(env, NULL, 0);
	else if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = 0x5eed5eed5eed5eedULL;
	env = getenv("SG_STRENGTH_N");
	if (env && *env && strtoul(env, NULL, 0) > 0)
		n = (__u32)strtoul(env, NULL, 0);
	printf("# seed 0x%016llx (SG_STRENGTH_SEED to repeat)\n",
	       (unsigned long long)seed);
	rng_state = seed;

	keys[0].k0 = rng64();
	keys[0].k1 = rng64();
	keys[0].epoch = STRENGTH_EPOCH;
	keys[0].valid = 1;
	keys[1].k0 = rng64();
	keys[1].k1 = rng64();
	keys[1].epoch = STRENGTH_EPOCH - 1;
	keys[1].valid = 1;
	keys[2].k0 = rng64();
	keys[2].k1 = rng64();
	keys[2].epoch = STRENGTH_EPOCH + 1;
	keys[2].valid = 1;
	if (clear_keys() || set_key(&keys[0]) || set_key(&keys[1]) ||
	    set_key(&keys[2]) || set_epoch(STRENGTH_EPOCH)) {
		sg_fail("strength_setup", "cannot install keys: %s",
			strerror(errno));
		return;
	}

	/* The bound for other batch sizes: the smallest k with a tail
	 * below 1e-6 (5 for 2^20). */
	for (bound = 0; bound < 60; bound++)
		if (binom_tail(n, DOC_MAC_BITS_NOTS, bound + 1) < 1e-6)
			break;
	if (run_batch(0, n, keys, 3, 0, &b))
		sg_fail("strength_nots", "cannot run the batch: %s",
			strerror(errno));
	else
		report_batch("strength_nots", &b, DOC_MAC_BITS_NOTS,
			     n == DEFAULT_N ? NOTS_BOUND : bound);
	if (run_batch(1, n, keys, 3, 0, &b))
		sg_fail("strength_ts", "cannot run the batch: %s",
			strerror(errno));
	else
		report_batch("strength_ts", &b, DOC_MAC_BITS_TS, 0);
	run_limiter(n, keys, 3);
}

/* ---- replay across rotations ---- */

/* Fixed keys: the replay cases are deterministic. */
static struct sg_key replay_key(__u32 epoch)
{
	struct sg_key k = { 0x0123456789abcdefULL ^ (__u64)epoch * 0x9e37ULL,
			    0xfedcba9876543210ULL + epoch, epoch, 1 };

	return k;
}

/* Run a; expect the verdict and exactly these counters to move. */
static void expect_ack(const char *name, const struct pkt *a, int ok,
		       int prev_epoch)
{
	__u64 before[SG_STAT_MAX], after[SG_STAT_MAX];
	char why[512] = "";
	static struct run r;
	__u32 i;

	if (sg_stats_sum(skel->maps.sg_stats, before)) {
		sg_fail(name, "cannot read the counters");
		return;
	}
	run_frame(a, &r);
	if (r.err || sg_stats_sum(skel->maps.sg_stats, after)) {
		sg_fail(name, "test run failed: %s", strerror(-r.err));
		return;
	}
	for (i = 0; i < SG_STAT_MAX; i++) {
		__u64 want = 0, d = after[i] - before[i];

		if (i == (ok ? SG_V_PASS_COOKIE_OK : SG_V_DROP_COOKIE_BAD) ||
		    (i == SG_E_COOKIE_PREV_EPOCH && prev_epoch))
			want = 1;
		if (d != want) {
			size_t u = strlen(why);

			snprintf(why + u, sizeof(why) - u,
				 "%scounter %u moved by %llu, expected %llu",
				 u ? "; " : "", i, (unsigned long long)d,
				 (unsigned long long)want);
		}
	}
	if (r.verdict != (ok ? XDP_PASS : XDP_DROP)) {
		size_t u = strlen(why);

		snprintf(why + u, sizeof(why) - u, "%sverdict %u, expected %s",
			 u ? "; " : "", r.verdict,
			 ok ? "XDP_PASS" : "XDP_DROP");
	}
	if (ok && r.verdict == XDP_PASS) {
		__u32 magic = 0;

		if (r.meta_len == sizeof(struct sg_meta))
			memcpy(&magic, r.out, sizeof(magic));
		if (magic != SG_META_MAGIC) {
			size_t u = strlen(why);

			snprintf(why + u, sizeof(why) - u,
				 "%sno sg_meta in front of the frame (%u "
				 "bytes)",
				 u ? "; " : "", r.meta_len);
		}
	}
	if (why[0])
		sg_fail(name, "%s", why);
	else
		sg_pass(name);
}

static void run_replay(const char *tag, int family, int ts)
{
	const __u8 linux_ts[] = { 2,	4,    5, 0xb4, 4, 2, 8, 10, 0x11, 0x22,
				  0x33, 0x44, 0, 0,    0, 0, 1, 3,  3,	  7 };
	const __u8 windows[] = { 2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2 };
	const __u32 e = REPLAY_EPOCH;
	struct sg_key k;
	struct pkt_spec s = { 0 };
	char name[NAME_LEN], why[1024] = "";
	static struct run r;
	struct sg_frame sa;
	struct pkt syn, ack;
	__u32 step;

	/* Epoch E with keys for E-1, E and E+1. */
	k = replay_key(e);
	if (clear_keys() || set_key(&k) ||
	    (k = replay_key(e - 1), set_key(&k)) ||
	    (k = replay_key(e + 1), set_key(&k)) || set_epoch(e)) {
		snprintf(name, sizeof(name), "%s/setup", tag);
		sg_fail(name, "cannot install keys: %s", strerror(errno));
		return;
	}

	/* The SYN, and the SYN-ACK the program answers it with. */
	s.family = (__u8)family;
	s.dport = family == 4 ? 80 : 443;
	s.flags = TH_SYN;
	s.seq = 0x5eed0001;
	if (ts) {
		memcpy(s.opts, linux_ts, sizeof(linux_ts));
		s.optlen = sizeof(linux_ts);
	} else {
		memcpy(s.opts, windows, sizeof(windows));
		s.optlen = sizeof(windows);
	}
	pkt_build(&syn, &s);
	run_frame(&syn, &r);
	snprintf(name, sizeof(name), "%s/synack_captured_at_E", tag);
	if (r.err || r.verdict != XDP_TX ||
	    sg_parse_frame(r.frame, r.frame_len, &sa, why, sizeof(why)) ||
	    sa.flags != (TH_SYN | TH_ACK) || sa.ack != s.seq + 1 ||
	    sa.has_ts != ts) {
		sg_fail(name, "no usable SYN-ACK (err %d, verdict %u): %s",
			r.err, r.verdict, why);
		return;
	}
	sg_pass(name);

	/* The client's ACK completing it. */
	s.flags = TH_ACK;
	s.seq = s.seq + 1;
	s.ack = sa.seq + 1;
	s.window = 502;
	memset(s.opts, 0, sizeof(s.opts));
	s.optlen = 0;
	if (ts) {
		s.opts[0] = 1;
		s.opts[1] = 1;
		s.opts[2] = 8;
		s.opts[3] = 10;
		pkt_put32(s.opts + 4, 0x0badf00d);
		pkt_put32(s.opts + 8, sa.tsval);
		s.optlen = 12;
	}
	pkt_build(&ack, &s);

	snprintf(name, sizeof(name), "%s/ack_accepted_at_E", tag);
	expect_ack(name, &ack, 1, 0);
	snprintf(name, sizeof(name), "%s/replayed_ack_accepted_again_at_E",
		 tag);
	expect_ack(name, &ack, 1, 0);

	for (step = 1; step <= 3; step++) {
		/* Rotation as the daemon does it: the next epoch's key
		 * first, then the epoch. */
		k = replay_key(e + step + 1);
		if (set_key(&k) || set_epoch(e + step)) {
			snprintf(name, sizeof(name), "%s/rotate_to_E+%u", tag,
				 step);
			sg_fail(name, "cannot rotate: %s", strerror(errno));
			return;
		}
		if (step == 1)
			snprintf(name, sizeof(name),
				 "%s/replay_accepted_at_E+1_prev_epoch", tag);
		else
			snprintf(name, sizeof(name),
				 "%s/replay_rejected_at_E+%u", tag, step);
		expect_ack(name, &ack, step == 1, step == 1);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		sg_fail("setup", "libbpf_num_possible_cpus: %d", ncpus);
		return sg_test_exit();
	}
	skel = sg_xdp_open_load();
	if (!skel) {
		sg_fail("setup", "cannot load the BPF object: %s",
			strerror(errno));
		return sg_test_exit();
	}
	prog_fd = bpf_program__fd(skel->progs.synguard_xdp);
	if (setup_maps()) {
		sg_fail("setup", "cannot initialise the maps: %s",
			strerror(errno));
		synguard_bpf__destroy(skel);
		return sg_test_exit();
	}

	run_replay("replay4_nots", 4, 0);
	run_replay("replay4_ts", 4, 1);
	run_replay("replay6_nots", 6, 0);
	run_replay("replay6_ts", 6, 1);
	run_strength();

	synguard_bpf__destroy(skel);
	return sg_test_exit();
}
