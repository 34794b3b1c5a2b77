/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * BPF fixture tests for the synguard XDP program. Loads the real object
 * through its skeleton, installs a known configuration and cookie keys,
 * and runs tables of frames through BPF_PROG_TEST_RUN (no interface is
 * touched). Each run checks the verdict, that exactly the expected
 * counters moved, and the output: unchanged frame, a SYN-ACK checked field
 * by field by the independent checker in lib/verify.c against cookies
 * computed here (SipHash from cookie.h, checked against the reference
 * vectors by test_cookie; the bit layout written out here), or the
 * metadata of a validated ACK.
 *
 * Keys as the daemon keeps them: the previous, the current and the next
 * epoch's, each in slot epoch % SG_KEY_SLOTS.
 *
 * Test-run mechanics (net/bpf/test_run.c): with an xdp_md context of
 * data = data_meta = 0 and data_end = frame length, the output buffer
 * starts at data_meta and ctx_out.data is the metadata length; the frame
 * follows. The kernel rejects frames shorter than ETH_HLEN (14 bytes) with
 * EINVAL, so the "13-byte frame" case can only be reported as skipped.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

#define OUT_MAX (PKT_MAX + 512)
#define CUR_EPOCH 100
#define NO_EVENT (-1)
#define WHY_MAX 2048
#define NAME_MAX_ 128

/* ---- configuration under test ---- */

static const struct sg_config test_cfg = {
	.flags = SG_CFG_SACK | SG_CFG_TS | SG_CFG_WSCALE | SG_CFG_ECN,
	SG_TEST_CFG_SYNACK,
	/* slot hash keys (the daemon's are random) */
	.hkey = { 0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL },
};

static const struct sg_key key98 = { 0x9898989898989898ULL,
				     0x0123456789abcdefULL, 98, 1 };
static const struct sg_key key99 = { 0x0706050403020100ULL,
				     0x0f0e0d0c0b0a0908ULL, 99, 1 };
static const struct sg_key key100 = { 0xa5a5a5a55a5a5a5aULL,
				      0x1122334455667788ULL, 100, 1 };
static const struct sg_key key101 = { 0x0101010110101010ULL,
				      0x8877665544332211ULL, 101, 1 };

static const __u16 protected_ports[] = { 80, 443 };

/* ---- program handle and run accounting ---- */

static struct synguard_bpf *skel;
static int prog_fd;
static int ncpus;
static unsigned long n_runs;	/* test runs that executed the program */
static unsigned long n_aborted; /* of which returned XDP_ABORTED */
static unsigned long n_errors;	/* bpf_prog_test_run_opts failures */

static const char *const stat_names[SG_STAT_MAX] = {
	[SG_V_PASS_NOT_IP] = "SG_V_PASS_NOT_IP",
	[SG_V_PASS_NOT_TCP] = "SG_V_PASS_NOT_TCP",
	[SG_V_PASS_PORT] = "SG_V_PASS_PORT",
	[SG_V_PASS_FRAGMENT] = "SG_V_PASS_FRAGMENT",
	[SG_V_PASS_IPV6_EXT] = "SG_V_PASS_IPV6_EXT",
	[SG_V_PASS_VLAN_DEPTH] = "SG_V_PASS_VLAN_DEPTH",
	[SG_V_PASS_FLAGS] = "SG_V_PASS_FLAGS",
	[SG_V_PASS_NO_KEY] = "SG_V_PASS_NO_KEY",
	[SG_V_PASS_COOKIE_OK] = "SG_V_PASS_COOKIE_OK",
	[SG_V_TX_SYNACK] = "SG_V_TX_SYNACK",
	[SG_V_DROP_COOKIE_BAD] = "SG_V_DROP_COOKIE_BAD",
	[SG_V_DROP_MALFORMED_L2] = "SG_V_DROP_MALFORMED_L2",
	[SG_V_DROP_MALFORMED_IP] = "SG_V_DROP_MALFORMED_IP",
	[SG_V_DROP_MALFORMED_TCP] = "SG_V_DROP_MALFORMED_TCP",
	[SG_V_DROP_BAD_OPTION] = "SG_V_DROP_BAD_OPTION",
	[SG_V_DROP_BAD_FLAGS] = "SG_V_DROP_BAD_FLAGS",
	[SG_V_DROP_ADJUST] = "SG_V_DROP_ADJUST",
	[SG_V_DROP_NO_CONFIG] = "SG_V_DROP_NO_CONFIG",
	[SG_V_DROP_DENY] = "SG_V_DROP_DENY",
	[SG_V_DROP_RATELIMIT] = "SG_V_DROP_RATELIMIT",
	[SG_V_PASS_ESTABLISHED] = "SG_V_PASS_ESTABLISHED",
	[SG_V_PASS_TIMEWAIT] = "SG_V_PASS_TIMEWAIT",
	[SG_V_PASS_NO_LISTENER] = "SG_V_PASS_NO_LISTENER",
	[SG_V_PASS_GEN_COOKIE] = "SG_V_PASS_GEN_COOKIE",
	[SG_V_PASS_ALLOW] = "SG_V_PASS_ALLOW",
	[SG_E_SYN_PAYLOAD] = "SG_E_SYN_PAYLOAD",
	[SG_E_COOKIE_PREV_EPOCH] = "SG_E_COOKIE_PREV_EPOCH",
	[SG_E_HANDOFF_OK] = "SG_E_HANDOFF_OK",
	[SG_E_HANDOFF_NO_LISTENER] = "SG_E_HANDOFF_NO_LISTENER",
	[SG_E_HANDOFF_ERROR] = "SG_E_HANDOFF_ERROR",
	[SG_E_HANDOFF_PARSE] = "SG_E_HANDOFF_PARSE",
	[SG_E_SYN_RX] = "SG_E_SYN_RX",
	[SG_V_PASS_NOT_LOCAL] = "SG_V_PASS_NOT_LOCAL",
	[SG_V_PASS_MPTCP] = "SG_V_PASS_MPTCP",
	[SG_V_PASS_TCP_AUTH] = "SG_V_PASS_TCP_AUTH",
	[SG_V_PASS_NOT_ENGAGED] = "SG_V_PASS_NOT_ENGAGED",
	[SG_V_PASS_KERNEL_COOKIE] = "SG_V_PASS_KERNEL_COOKIE",
	[SG_V_DROP_COOKIE_LIMITED] = "SG_V_DROP_COOKIE_LIMITED",
	[SG_E_META_FAILED] = "SG_E_META_FAILED",
	[SG_E_MONITOR_PASSED] = "SG_E_MONITOR_PASSED",
	[SG_E_GUARD_BYPASS] = "SG_E_GUARD_BYPASS",
	[SG_E_HANDOFF_DUP] = "SG_E_HANDOFF_DUP",
	[SG_E_HANDOFF_DEFERRED] = "SG_E_HANDOFF_DEFERRED",
	[SG_E_TC_VERIFIED] = "SG_E_TC_VERIFIED",
};

static const char *stat_name(int s)
{
	static char buf[32];

	if (s >= 0 && s < SG_STAT_MAX && stat_names[s])
		return stat_names[s];
	snprintf(buf, sizeof(buf), "stat#%d", s);
	return buf;
}

__attribute__((format(printf, 3, 4))) static void addf(char *why, size_t n,
						       const char *fmt, ...)
{
	size_t used = strlen(why);
	va_list ap;

	if (used + 1 >= n)
		return;
	if (used)
		used += snprintf(why + used, n - used, "; ");
	if (used + 1 >= n)
		return;
	va_start(ap, fmt);
	vsnprintf(why + used, n - used, fmt, ap);
	va_end(ap);
}

/* ---- maps ---- */

static int map_set(struct bpf_map *m, __u32 key, const void *val, size_t sz)
{
	return bpf_map__update_elem(m, &key, sizeof(key), val, sz, BPF_ANY);
}

static int set_epoch_engaged(__u32 epoch, __u32 engaged)
{
	struct sg_epoch_state st = { .epoch = epoch, .engaged = engaged };

	return map_set(skel->maps.sg_epoch, 0, &st, sizeof(st));
}

static int set_epoch(__u32 epoch)
{
	return set_epoch_engaged(epoch, 0);
}

/* The key slot of an epoch (written out: epoch mod 64). */
static __u32 slot_of(__u32 epoch)
{
	return epoch % 64;
}

/* Install k in the slot of epoch (k NULL: empty the slot). */
static int set_key(__u32 epoch, const struct sg_key *k)
{
	struct sg_key zero = { 0 };

	return map_set(skel->maps.sg_keys, slot_of(epoch), k ? k : &zero,
		       sizeof(zero));
}

/* The fixed key of an epoch: the three constants, else derived. */
static struct sg_key key_of(__u32 epoch)
{
	struct sg_key k = { 0x3c3c3c3cc3c3c3c3ULL ^
				    (__u64)epoch * 0x9e3779b9ULL,
			    0x0f1e2d3c4b5a6978ULL + epoch, epoch, 1 };

	if (epoch == 98)
		return key98;
	if (epoch == 99)
		return key99;
	if (epoch == 100)
		return key100;
	if (epoch == 101)
		return key101;
	return k;
}

/*
 * The key ring as the daemon keeps it around current epoch @cur: keys of
 * cur - 1, cur and cur + 1 installed, every other slot empty; then the
 * epoch.
 */
static int set_ring(__u32 cur)
{
	struct sg_key k;
	__u32 i;
	int err = 0;

	for (i = 0; i < SG_KEY_SLOTS; i++)
		err |= map_set(skel->maps.sg_keys, i, &(struct sg_key){ 0 },
			       sizeof(k));
	for (i = 0; i < 3; i++) {
		k = key_of(cur - 1 + i);
		err |= set_key(cur - 1 + i, &k);
	}
	return err | set_epoch(cur);
}

static int setup_maps(void)
{
	__u32 words[SG_PORT_WORDS] = { 0 };
	size_t i;
	int err = 0;

	err |= map_set(skel->maps.sg_config, 0, &test_cfg, sizeof(test_cfg));
	for (i = 0; i < sizeof(protected_ports) / sizeof(protected_ports[0]);
	     i++)
		words[protected_ports[i] >> 5] |= 1u
						  << (protected_ports[i] & 31);
	for (i = 0; i < SG_PORT_WORDS; i++)
		if (words[i])
			err |= map_set(skel->maps.sg_ports, i, &words[i],
				       sizeof(words[i]));
	err |= set_ring(CUR_EPOCH);
	return err;
}

/* ---- running a frame ---- */

struct run {
	int err;
	__u32 verdict;
	__u8 out[OUT_MAX];
	__u32 out_len;	 /* metadata + frame */
	__u32 meta_len;	 /* ctx_out.data */
	__u32 frame_len; /* ctx_out.data_end - ctx_out.data */
	const __u8 *frame;
	__u64 delta[SG_STAT_MAX];
};

static void run_prog(const struct pkt *p, struct run *r)
{
	__u64 before[SG_STAT_MAX], after[SG_STAT_MAX];
	struct xdp_md ctx_in = { 0 }, ctx_out = { 0 };
	int i;

	memset(r, 0, sizeof(*r));
	ctx_in.data_end = p->len;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data,
		    .data_size_in = p->len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);

	if (sg_stats_sum(skel->maps.sg_stats, before)) {
		r->err = -EIO;
		return;
	}
	if (bpf_prog_test_run_opts(prog_fd, &opts)) {
		r->err = -errno;
		n_errors++;
		return;
	}
	n_runs++;
	if (sg_stats_sum(skel->maps.sg_stats, after)) {
		r->err = -EIO;
		return;
	}
	for (i = 0; i < SG_STAT_MAX; i++)
		r->delta[i] = after[i] - before[i];
	r->verdict = opts.retval;
	if (r->verdict == XDP_ABORTED)
		n_aborted++;
	r->out_len = opts.data_size_out;
	r->meta_len = ctx_out.data;
	r->frame_len = ctx_out.data_end - ctx_out.data;
	r->frame = r->out + r->meta_len;
	if (r->meta_len > r->out_len || ctx_out.data_end != r->out_len)
		r->err = -ERANGE; /* inconsistent context: report it */
}

/*
 * The verdict, and the counters: each of moved[0..nmoved) moved by exactly
 * one, every other counter unchanged.
 */
static void check_runv(const struct run *r, __u32 verdict, const int *moved,
		       int nmoved, char *why, size_t n)
{
	int i, j;

	if (r->err) {
		addf(why, n, "test run failed: %s (%d)", strerror(-r->err),
		     r->err);
		return;
	}
	if (r->verdict != verdict)
		addf(why, n, "verdict %s, expected %s",
		     sg_verdict_name(r->verdict), sg_verdict_name(verdict));
	for (i = 0; i < SG_STAT_MAX; i++) {
		__u64 want = 0;

		for (j = 0; j < nmoved; j++)
			if (moved[j] == i)
				want++;
		if (r->delta[i] != want)
			addf(why, n, "%s moved by %lld, expected %llu",
			     stat_name(i), (long long)r->delta[i],
			     (unsigned long long)want);
	}
}

/*
 * The verdict, and the counters: stat and (unless NO_EVENT) event moved by
 * exactly one, every other counter unchanged.
 */
static void check_run(const struct run *r, __u32 verdict, int stat, int event,
		      char *why, size_t n)
{
	int moved[3], nmoved = 0;

	moved[nmoved++] = stat;
	if (event != NO_EVENT)
		moved[nmoved++] = event;
	/* Every SYN that reaches the SYN path counts SG_E_SYN_RX. */
	if (stat == SG_V_TX_SYNACK && event != SG_E_SYN_RX)
		moved[nmoved++] = SG_E_SYN_RX;
	check_runv(r, verdict, moved, nmoved, why, n);
}

/* The frame came back byte for byte, with no metadata. */
static void check_unchanged(const struct run *r, const struct pkt *in,
			    char *why, size_t n)
{
	__u32 i;

	if (r->err)
		return;
	if (r->meta_len)
		addf(why, n, "%u bytes of metadata added", r->meta_len);
	if (r->frame_len != in->len) {
		addf(why, n, "frame length %u, input was %u", r->frame_len,
		     in->len);
		return;
	}
	for (i = 0; i < in->len; i++)
		if (r->frame[i] != in->data[i]) {
			addf(why, n,
			     "frame modified at offset %u (0x%02x -> 0x%02x)",
			     i, in->data[i], r->frame[i]);
			return;
		}
}

static void report(const char *name, const char *why)
{
	if (why[0])
		sg_fail(name, "%s", why);
	else
		sg_pass(name);
}

/*
 * ---- cookies and metadata computed here ----
 *
 * The layout, written out (only SipHash, sg_mac4/sg_mac6, is cookie.h's):
 *   attrs9 = mss_idx | wscale << 3 | sack << 7 | ecn << 8
 *   meta32 = attrs9 | ts << 9 | (epoch & 0x3fffff) << 10   (MAC input)
 *   no timestamps: ISN = (epoch & 3) << 30 | attrs8 << 22 | mac[21:0]
 *                  (attrs8: attrs9 without ECN, which needs timestamps)
 *   timestamps:    ISN = (epoch & 3) << 30 | mac[29:0]
 *                  TSval = mac[54:32] << 9 | attrs9
 */

struct attrs_exp {
	__u8 mss_idx;
	__u8 wscale; /* client shift as the cookie carries it, or NONE */
	__u8 sack;
	__u8 ts;
	__u8 ecn;
};

/*
 * Mint the cookie for a client->server frame p (addresses and ports read
 * raw from its bytes) with client ISN cisn.
 */
static void mint(const struct pkt *p, int family, const struct sg_key *k,
		 __u32 epoch, __u32 cisn, const struct attrs_exp *x, __u32 *isn,
		 __u32 *tsval)
{
	__u32 attrs9 = (x->mss_idx & 7) | (x->wscale & 15) << 3 |
		       (x->sack & 1) << 7 | (x->ecn & 1) << 8;
	__u32 meta = attrs9 | (x->ts ? 1u << 9 : 0) | (epoch & 0x3fffff) << 10;
	__u32 ports;
	__u64 mac;

	if (x->ecn && !x->ts) {
		/* The SYN path never negotiates that: a fixture error. */
		fprintf(stderr, "mint: ECN without timestamps\n");
		abort();
	}
	memcpy(&ports, p->data + p->l4, 4);
	if (family == 4) {
		__u32 sa, da;

		memcpy(&sa, p->data + p->l3 + 12, 4);
		memcpy(&da, p->data + p->l3 + 16, 4);
		mac = sg_mac4(k, sa, da, ports, cisn, meta);
	} else {
		__u32 sa[4], da[4];

		memcpy(sa, p->data + p->l3 + 8, 16);
		memcpy(da, p->data + p->l3 + 24, 16);
		mac = sg_mac6(k, sa, da, ports, cisn, meta);
	}
	if (x->ts) {
		*isn = (epoch & 3) << 30 | ((__u32)mac & 0x3fffffff);
		*tsval = ((__u32)(mac >> 32) & 0x7fffff) << 9 | attrs9;
	} else {
		*isn = (epoch & 3) << 30 | (attrs9 & 0xff) << 22 |
		       ((__u32)mac & 0x3fffff);
		*tsval = 0;
	}
}

static void expect_meta(struct sg_meta *m, int family,
			const struct attrs_exp *x, __u32 tsval, __u32 tsecr)
{
	const __u16 *tab = family == 4 ? test_cfg.msstab4 : test_cfg.msstab6;
	int ws = x->wscale != SG_WSCALE_NONE;

	memset(m, 0, sizeof(*m));
	m->magic = SG_META_MAGIC;
	m->mss = tab[x->mss_idx & 7];
	m->snd_wscale = ws ? x->wscale : 0;
	m->rcv_wscale = ws ? test_cfg.wscale : 0;
	m->flags = (x->sack ? SG_META_SACK : 0) | (x->ts ? SG_META_TS : 0) |
		   (ws ? SG_META_WSCALE : 0) | (x->ecn ? SG_META_ECN : 0);
	m->tsval = x->ts ? tsval : 0;
	m->tsecr = x->ts ? tsecr : 0;
}

/* Metadata equal to *m, sitting right in front of the unchanged frame. */
static void check_meta(const struct run *r, const struct pkt *in,
		       const struct sg_meta *m, char *why, size_t n)
{
	struct sg_meta got;

	if (r->err)
		return;
	if (r->meta_len != sizeof(got)) {
		addf(why, n, "metadata length %u, expected %zu", r->meta_len,
		     sizeof(got));
		if (r->meta_len < sizeof(got))
			return;
	}
	memcpy(&got, r->frame - sizeof(got), sizeof(got));
	if (got.magic != m->magic)
		addf(why, n, "meta magic 0x%08x != 0x%08x", got.magic,
		     m->magic);
	if (got.mss != m->mss)
		addf(why, n, "meta mss %u != %u", got.mss, m->mss);
	if (got.snd_wscale != m->snd_wscale)
		addf(why, n, "meta snd_wscale %u != %u", got.snd_wscale,
		     m->snd_wscale);
	if (got.rcv_wscale != m->rcv_wscale)
		addf(why, n, "meta rcv_wscale %u != %u", got.rcv_wscale,
		     m->rcv_wscale);
	if (got.flags != m->flags)
		addf(why, n, "meta flags 0x%x != 0x%x", got.flags, m->flags);
	if (got.tsval != m->tsval)
		addf(why, n, "meta tsval 0x%08x != 0x%08x", got.tsval,
		     m->tsval);
	if (got.tsecr != m->tsecr)
		addf(why, n, "meta tsecr 0x%08x != 0x%08x", got.tsecr,
		     m->tsecr);
	if (r->frame_len != in->len || memcmp(r->frame, in->data, in->len) != 0)
		addf(why, n,
		     "frame behind the metadata changed (%u bytes, input %u)",
		     r->frame_len, in->len);
}

/* ---- simple fixtures: one frame, a verdict, a counter ---- */

enum out_check {
	OUT_NONE, /* dropped: the output is not looked at */
	OUT_SAME, /* passed: frame unchanged, no metadata */
};

typedef void (*mutate_fn)(struct pkt *p, long arg);

struct simple_fix {
	const char *name;
	struct pkt_spec spec;
	mutate_fn mutate; /* edit the built frame (NULL: none) */
	long arg;
	__u32 verdict;
	int stat;
	enum out_check out;
};

static void m_cut(struct pkt *p, long len)
{
	pkt_truncate(p, (__u32)len);
}

static void m_ip_byte0(struct pkt *p, long v)
{
	p->data[p->l3] = (__u8)v;
	pkt_fix_csums(p);
}

/* IPv4 tot_len = bytes from the IP header to the end of the frame + d. */
static void m_tot_len_rel(struct pkt *p, long d)
{
	pkt_put16(p->data + p->l3 + 2, (__u16)(p->len - p->l3 + d));
	pkt_fix_csums(p);
}

static void m_tot_len_abs(struct pkt *p, long v)
{
	pkt_put16(p->data + p->l3 + 2, (__u16)v);
	pkt_fix_csums(p);
}

/* IPv6 payload_len = bytes after the fixed header + d. */
static void m_plen_rel(struct pkt *p, long d)
{
	pkt_put16(p->data + p->l3 + 4, (__u16)(p->len - p->l3 - 40 + d));
	pkt_fix_csums(p);
}

/* Make the IP datagram carry exactly n L4 bytes; the frame is unchanged. */
static void m_l4_len(struct pkt *p, long n)
{
	__u8 *ip = p->data + p->l3;

	if ((ip[0] >> 4) == 4)
		pkt_put16(ip + 2, (__u16)(p->l4 - p->l3 + n));
	else
		pkt_put16(ip + 4, (__u16)n);
	pkt_fix_csums(p);
}

/* Keep n L4 bytes: cut the frame there and make the IP lengths agree. */
static void m_l4_keep(struct pkt *p, long n)
{
	pkt_truncate(p, p->l4 + (__u32)n);
	m_l4_len(p, n);
}

static void m_doff(struct pkt *p, long doff)
{
	p->data[p->l4 + 12] = (__u8)(doff << 4);
	pkt_fix_csums(p);
}

#define ISN .seq = 0x01020304
#define MSS1460 PKT_OPTS(2, 4, 0x05, 0xb4)
#define Q1 .nvlan = 1, .tci = { 100 }
#define QQ                                                         \
	.nvlan = 2, .tpid = { PKT_ETH_P_8021AD, PKT_ETH_P_8021Q }, \
	.tci = { 0x2005, 100 }
#define SYN4(port) .family = 4, .dport = port, .flags = TH_SYN, ISN, MSS1460
#define SYN6(port) .family = 6, .dport = port, .flags = TH_SYN, ISN, MSS1460
#define TCP4(port, fl) .family = 4, .dport = port, .flags = fl, ISN
#define TCP6(port, fl) .family = 6, .dport = port, .flags = fl, ISN

#define PASS_SAME(st) .verdict = XDP_PASS, .stat = st, .out = OUT_SAME
#define DROP(st) .verdict = XDP_DROP, .stat = st, .out = OUT_NONE

/* One row: name, mutation and its argument, outcome, then the frame spec. */
#define FIX(n, fn, a, outcome, ...)                                   \
	{                                                             \
		.name = n, .mutate = fn, .arg = a, outcome, .spec = { \
			__VA_ARGS__                                   \
		}                                                     \
	}

static const struct simple_fix simple_fixes[] = {
	/* Not IP, not TCP: passed untouched. */
	FIX("arp", NULL, 0, PASS_SAME(SG_V_PASS_NOT_IP),
	    .ethertype = PKT_ETH_P_ARP, .raw_len = 28),
	FIX("arp_8021q", NULL, 0, PASS_SAME(SG_V_PASS_NOT_IP), Q1,
	    .ethertype = PKT_ETH_P_ARP, .raw_len = 28),
	FIX("arp_qinq", NULL, 0, PASS_SAME(SG_V_PASS_NOT_IP), QQ,
	    .ethertype = PKT_ETH_P_ARP, .raw_len = 28),
	FIX("lldp", NULL, 0, PASS_SAME(SG_V_PASS_NOT_IP), .ethertype = 0x88cc,
	    .raw_len = 46),
	FIX("udp4_port80", NULL, 0, PASS_SAME(SG_V_PASS_NOT_TCP), .family = 4,
	    .proto = PKT_IPPROTO_UDP, .dport = 80, .paylen = 32),
	FIX("icmp4_echo", NULL, 0, PASS_SAME(SG_V_PASS_NOT_TCP), .family = 4,
	    .proto = PKT_IPPROTO_ICMP, .paylen = 56),
	FIX("udp6_port80", NULL, 0, PASS_SAME(SG_V_PASS_NOT_TCP), .family = 6,
	    .proto = PKT_IPPROTO_UDP, .dport = 80, .paylen = 32),
	FIX("icmp6_echo", NULL, 0, PASS_SAME(SG_V_PASS_NOT_TCP), .family = 6,
	    .proto = PKT_IPPROTO_ICMPV6, .paylen = 56),
	FIX("udp4_qinq", NULL, 0, PASS_SAME(SG_V_PASS_NOT_TCP), QQ, .family = 4,
	    .proto = PKT_IPPROTO_UDP, .dport = 443, .paylen = 8),
	/* The protocol is checked before total length and fragments. */
	FIX("udp4_tot_len_beyond_frame", m_tot_len_rel, 1,
	    PASS_SAME(SG_V_PASS_NOT_TCP), .family = 4, .proto = PKT_IPPROTO_UDP,
	    .dport = 80, .paylen = 32),
	FIX("udp4_fragment_mf", NULL, 0, PASS_SAME(SG_V_PASS_NOT_TCP),
	    .family = 4, .proto = PKT_IPPROTO_UDP, .dport = 80, .paylen = 32,
	    .frag_off = PKT_IP_MF),
	/* Unprotected ports, including the bitmap neighbours of 80/443. */
	FIX("syn4_port22", NULL, 0, PASS_SAME(SG_V_PASS_PORT), SYN4(22)),
	FIX("syn4_port79", NULL, 0, PASS_SAME(SG_V_PASS_PORT), SYN4(79)),
	FIX("syn4_port81", NULL, 0, PASS_SAME(SG_V_PASS_PORT), SYN4(81)),
	FIX("syn4_port442", NULL, 0, PASS_SAME(SG_V_PASS_PORT), SYN4(442)),
	FIX("syn4_port444", NULL, 0, PASS_SAME(SG_V_PASS_PORT), SYN4(444)),
	FIX("syn4_port65535", NULL, 0, PASS_SAME(SG_V_PASS_PORT), SYN4(65535)),
	FIX("ack4_port22", NULL, 0, PASS_SAME(SG_V_PASS_PORT),
	    TCP4(22, TH_ACK)),
	FIX("syn6_port8080", NULL, 0, PASS_SAME(SG_V_PASS_PORT), SYN6(8080)),
	FIX("ack6_port22", NULL, 0, PASS_SAME(SG_V_PASS_PORT),
	    TCP6(22, TH_ACK)),
	FIX("syn4_8021q_port22", NULL, 0, PASS_SAME(SG_V_PASS_PORT), Q1,
	    SYN4(22)),
	/* The port is checked before the rest of the TCP header and flags. */
	FIX("tcp4_port22_4_bytes", m_l4_keep, 4, PASS_SAME(SG_V_PASS_PORT),
	    SYN4(22)),
	FIX("tcp4_port22_19_bytes", m_l4_keep, 19, PASS_SAME(SG_V_PASS_PORT),
	    SYN4(22)),
	FIX("tcp4_port22_doff4", m_doff, 4, PASS_SAME(SG_V_PASS_PORT),
	    SYN4(22)),
	FIX("synrst4_port22", NULL, 0, PASS_SAME(SG_V_PASS_PORT),
	    TCP4(22, TH_SYN | TH_RST)),
	/* Flags the kernel owns on a protected port. */
	FIX("rst4_port80", NULL, 0, PASS_SAME(SG_V_PASS_FLAGS),
	    TCP4(80, TH_RST)),
	FIX("rstack4_port80", NULL, 0, PASS_SAME(SG_V_PASS_FLAGS),
	    TCP4(80, TH_RST | TH_ACK)),
	FIX("fin4_port80", NULL, 0, PASS_SAME(SG_V_PASS_FLAGS),
	    TCP4(80, TH_FIN)),
	FIX("synack4_port80", NULL, 0, PASS_SAME(SG_V_PASS_FLAGS),
	    TCP4(80, TH_SYN | TH_ACK), MSS1460),
	FIX("noflags4_port80", NULL, 0, PASS_SAME(SG_V_PASS_FLAGS),
	    TCP4(80, 0)),
	FIX("psh4_port80", NULL, 0, PASS_SAME(SG_V_PASS_FLAGS),
	    TCP4(80, TH_PSH), .paylen = 10),
	FIX("rst6_port443", NULL, 0, PASS_SAME(SG_V_PASS_FLAGS),
	    TCP6(443, TH_RST)),
	FIX("synack6_port80", NULL, 0, PASS_SAME(SG_V_PASS_FLAGS),
	    TCP6(80, TH_SYN | TH_ACK)),
	FIX("fin6_qinq_port80", NULL, 0, PASS_SAME(SG_V_PASS_FLAGS), QQ,
	    TCP6(80, TH_FIN)),
	/* IPv4 fragments. */
	FIX("syn4_fragment_mf", NULL, 0, PASS_SAME(SG_V_PASS_FRAGMENT),
	    SYN4(80), .frag_off = PKT_IP_MF),
	FIX("syn4_fragment_offset", NULL, 0, PASS_SAME(SG_V_PASS_FRAGMENT),
	    SYN4(80), .frag_off = 185),
	FIX("syn4_fragment_mf_offset", NULL, 0, PASS_SAME(SG_V_PASS_FRAGMENT),
	    SYN4(80), .frag_off = PKT_IP_MF | 1),
	FIX("ack4_fragment_df_offset", NULL, 0, PASS_SAME(SG_V_PASS_FRAGMENT),
	    TCP4(80, TH_ACK), .frag_off = PKT_IP_DF | 0x1fff),
	/* Fragments pass before the port is looked at. */
	FIX("syn4_fragment_port22", NULL, 0, PASS_SAME(SG_V_PASS_FRAGMENT),
	    SYN4(22), .frag_off = 8),
	/* ... but after the length check. */
	FIX("syn4_fragment_tot_len_beyond", m_tot_len_rel, 1,
	    DROP(SG_V_DROP_MALFORMED_IP), SYN4(80), .frag_off = PKT_IP_MF),
	/* IPv6 extension headers. */
	FIX("ipv6_ext_hopopts", NULL, 0, PASS_SAME(SG_V_PASS_IPV6_EXT),
	    .family = 6, .proto = 0, .proto_set = 1, .paylen = 48),
	FIX("ipv6_ext_routing", NULL, 0, PASS_SAME(SG_V_PASS_IPV6_EXT),
	    .family = 6, .proto = 43, .paylen = 48),
	FIX("ipv6_ext_fragment", NULL, 0, PASS_SAME(SG_V_PASS_IPV6_EXT),
	    .family = 6, .proto = 44, .paylen = 48),
	FIX("ipv6_ext_ah", NULL, 0, PASS_SAME(SG_V_PASS_IPV6_EXT), .family = 6,
	    .proto = 51, .paylen = 48),
	FIX("ipv6_ext_dstopts", NULL, 0, PASS_SAME(SG_V_PASS_IPV6_EXT),
	    .family = 6, .proto = 60, .paylen = 48),
	FIX("ipv6_ext_mobility", NULL, 0, PASS_SAME(SG_V_PASS_IPV6_EXT),
	    .family = 6, .proto = 135, .paylen = 48),
	FIX("ipv6_ext_hip", NULL, 0, PASS_SAME(SG_V_PASS_IPV6_EXT), .family = 6,
	    .proto = 139, .paylen = 48),
	FIX("ipv6_ext_shim6", NULL, 0, PASS_SAME(SG_V_PASS_IPV6_EXT),
	    .family = 6, .proto = 140, .paylen = 48),
	FIX("ipv6_ext_hopopts_plen_beyond", m_plen_rel, 1,
	    PASS_SAME(SG_V_PASS_IPV6_EXT), .family = 6, .proto = 0,
	    .proto_set = 1, .paylen = 48),
	FIX("udp6_plen_beyond_frame", m_plen_rel, 1,
	    PASS_SAME(SG_V_PASS_NOT_TCP), .family = 6, .proto = PKT_IPPROTO_UDP,
	    .dport = 80, .paylen = 8),
	/* VLAN depth. */
	FIX("syn4_three_vlan_tags", NULL, 0, PASS_SAME(SG_V_PASS_VLAN_DEPTH),
	    SYN4(80), .nvlan = 3, .tci = { 1, 2, 3 }),
	FIX("syn6_three_vlan_tags_88a8", NULL, 0,
	    PASS_SAME(SG_V_PASS_VLAN_DEPTH), SYN6(80), .nvlan = 3,
	    .tpid = { PKT_ETH_P_8021AD, PKT_ETH_P_8021Q, PKT_ETH_P_8021Q },
	    .tci = { 1, 2, 3 }),
	/* Malformed L2. (13-byte frame: see the note at the top.) */
	FIX("vlan_tag_missing", m_cut, 14, DROP(SG_V_DROP_MALFORMED_L2), Q1,
	    SYN4(80)),
	FIX("vlan_tag_truncated_17", m_cut, 17, DROP(SG_V_DROP_MALFORMED_L2),
	    Q1, SYN4(80)),
	FIX("qinq_inner_tag_truncated_21", m_cut, 21,
	    DROP(SG_V_DROP_MALFORMED_L2), QQ, SYN4(80)),
	FIX("qinq_inner_tag_missing_18", m_cut, 18,
	    DROP(SG_V_DROP_MALFORMED_L2), QQ, SYN4(80)),
	/* Malformed IPv4. */
	FIX("ipv4_header_missing", m_cut, 14, DROP(SG_V_DROP_MALFORMED_IP),
	    SYN4(80)),
	FIX("ipv4_header_19_bytes", m_cut, 14 + 19,
	    DROP(SG_V_DROP_MALFORMED_IP), SYN4(80)),
	FIX("ipv4_8021q_header_19_bytes", m_cut, 18 + 19,
	    DROP(SG_V_DROP_MALFORMED_IP), Q1, SYN4(80)),
	FIX("ipv4_qinq_header_19_bytes", m_cut, 22 + 19,
	    DROP(SG_V_DROP_MALFORMED_IP), QQ, SYN4(80)),
	FIX("ipv4_version5", m_ip_byte0, 0x55, DROP(SG_V_DROP_MALFORMED_IP),
	    SYN4(80)),
	FIX("ipv4_version6_in_0800", m_ip_byte0, 0x65,
	    DROP(SG_V_DROP_MALFORMED_IP), SYN4(80)),
	FIX("ipv4_ihl4", m_ip_byte0, 0x44, DROP(SG_V_DROP_MALFORMED_IP),
	    SYN4(80)),
	FIX("ipv4_ihl0", m_ip_byte0, 0x40, DROP(SG_V_DROP_MALFORMED_IP),
	    SYN4(80)),
	FIX("ipv4_ihl15_beyond_frame", m_ip_byte0, 0x4f,
	    DROP(SG_V_DROP_MALFORMED_IP), SYN4(80)),
	FIX("ipv4_udp_ihl4", m_ip_byte0, 0x44, DROP(SG_V_DROP_MALFORMED_IP),
	    .family = 4, .proto = PKT_IPPROTO_UDP, .paylen = 8),
	FIX("ipv4_tot_len_beyond_frame", m_tot_len_rel, 1,
	    DROP(SG_V_DROP_MALFORMED_IP), SYN4(80)),
	FIX("ipv4_tot_len_19", m_tot_len_abs, 19, DROP(SG_V_DROP_MALFORMED_IP),
	    SYN4(80)),
	FIX("ipv4_tot_len_0", m_tot_len_abs, 0, DROP(SG_V_DROP_MALFORMED_IP),
	    SYN4(80)),
	FIX("ipv4_tot_len_below_ihl6", m_tot_len_abs, 22,
	    DROP(SG_V_DROP_MALFORMED_IP), SYN4(80), PKT_IPOPTS(1, 1, 1, 0)),
	/* Malformed IPv6. */
	FIX("ipv6_header_missing", m_cut, 14, DROP(SG_V_DROP_MALFORMED_IP),
	    SYN6(80)),
	FIX("ipv6_header_39_bytes", m_cut, 14 + 39,
	    DROP(SG_V_DROP_MALFORMED_IP), SYN6(80)),
	FIX("ipv6_qinq_header_39_bytes", m_cut, 22 + 39,
	    DROP(SG_V_DROP_MALFORMED_IP), QQ, SYN6(80)),
	FIX("ipv6_version4_in_86dd", m_ip_byte0, 0x40,
	    DROP(SG_V_DROP_MALFORMED_IP), SYN6(80)),
	FIX("ipv6_plen_beyond_frame", m_plen_rel, 1,
	    DROP(SG_V_DROP_MALFORMED_IP), SYN6(80)),
	/* Malformed TCP on a protected port. */
	FIX("tcp4_0_bytes", m_l4_keep, 0, DROP(SG_V_DROP_MALFORMED_TCP),
	    SYN4(80)),
	FIX("tcp4_ports_3_bytes", m_l4_keep, 3, DROP(SG_V_DROP_MALFORMED_TCP),
	    SYN4(80)),
	FIX("tcp4_port22_3_bytes", m_l4_keep, 3, DROP(SG_V_DROP_MALFORMED_TCP),
	    SYN4(22)),
	FIX("tcp6_ports_3_bytes", m_l4_keep, 3, DROP(SG_V_DROP_MALFORMED_TCP),
	    SYN6(80)),
	FIX("tcp4_header_19_bytes", m_l4_keep, 19,
	    DROP(SG_V_DROP_MALFORMED_TCP), SYN4(80)),
	FIX("tcp4_header_4_bytes", m_l4_keep, 4, DROP(SG_V_DROP_MALFORMED_TCP),
	    SYN4(80)),
	FIX("tcp6_header_19_bytes", m_l4_keep, 19,
	    DROP(SG_V_DROP_MALFORMED_TCP), SYN6(80)),
	FIX("tcp4_qinq_header_19_bytes", m_l4_keep, 19,
	    DROP(SG_V_DROP_MALFORMED_TCP), QQ, SYN4(80)),
	/* The header is in the frame but past tot_len (Ethernet padding). */
	FIX("tcp4_header_in_eth_padding", m_l4_len, 10,
	    DROP(SG_V_DROP_MALFORMED_TCP), SYN4(80)),
	FIX("tcp4_options_in_eth_padding", m_l4_len, 20,
	    DROP(SG_V_DROP_MALFORMED_TCP), SYN4(80)),
	FIX("tcp4_doff4", m_doff, 4, DROP(SG_V_DROP_MALFORMED_TCP), SYN4(80)),
	FIX("tcp4_doff0", m_doff, 0, DROP(SG_V_DROP_MALFORMED_TCP), SYN4(80)),
	FIX("tcp4_doff6_past_end", m_doff, 6, DROP(SG_V_DROP_MALFORMED_TCP),
	    TCP4(80, TH_SYN)),
	FIX("tcp4_doff15_past_end", m_doff, 15, DROP(SG_V_DROP_MALFORMED_TCP),
	    SYN4(80)),
	FIX("tcp6_doff4", m_doff, 4, DROP(SG_V_DROP_MALFORMED_TCP), SYN6(80)),
	FIX("tcp6_doff7_past_end", m_doff, 7, DROP(SG_V_DROP_MALFORMED_TCP),
	    SYN6(80)),
	FIX("ack4_doff4", m_doff, 4, DROP(SG_V_DROP_MALFORMED_TCP),
	    TCP4(80, TH_ACK)),
	/* Option walk. */
	FIX("syn4_opt_len0", NULL, 0, DROP(SG_V_DROP_BAD_OPTION),
	    TCP4(80, TH_SYN), PKT_OPTS(2, 0, 0, 0)),
	FIX("syn4_opt_len1", NULL, 0, DROP(SG_V_DROP_BAD_OPTION),
	    TCP4(80, TH_SYN), PKT_OPTS(2, 1, 0, 0)),
	FIX("syn4_unknown_opt_len1", NULL, 0, DROP(SG_V_DROP_BAD_OPTION),
	    TCP4(80, TH_SYN), PKT_OPTS(1, 0xfe, 1, 0)),
	FIX("syn4_opt_overrun", NULL, 0, DROP(SG_V_DROP_BAD_OPTION),
	    TCP4(80, TH_SYN),
	    PKT_OPTS(2, 4, 5, 0xb4, 1, 1, 1, 1, 1, 1, 1, 1, 8, 10, 0, 0)),
	FIX("syn4_opt_overrun_by_one", NULL, 0, DROP(SG_V_DROP_BAD_OPTION),
	    TCP4(80, TH_SYN), PKT_OPTS(1, 3, 4, 7)),
	FIX("syn4_opt_no_length_byte", NULL, 0, DROP(SG_V_DROP_BAD_OPTION),
	    TCP4(80, TH_SYN), PKT_OPTS(1, 1, 1, 2)),
	FIX("syn6_opt_len1", NULL, 0, DROP(SG_V_DROP_BAD_OPTION),
	    TCP6(80, TH_SYN), PKT_OPTS(4, 1, 0, 0)),
	FIX("syn6_8021q_opt_overrun", NULL, 0, DROP(SG_V_DROP_BAD_OPTION), Q1,
	    TCP6(80, TH_SYN), PKT_OPTS(2, 4, 5, 0xa0, 8, 10, 0, 0)),
	FIX("ack4_opt_len0", NULL, 0, DROP(SG_V_DROP_BAD_OPTION),
	    TCP4(80, TH_ACK), PKT_OPTS(1, 1, 8, 0)),
	FIX("ack4_opt_overrun", NULL, 0, DROP(SG_V_DROP_BAD_OPTION),
	    TCP4(80, TH_ACK), PKT_OPTS(1, 1, 8, 10, 0, 0, 0, 1)),
	FIX("ack6_opt_no_length_byte", NULL, 0, DROP(SG_V_DROP_BAD_OPTION),
	    TCP6(443, TH_ACK), PKT_OPTS(1, 1, 1, 8)),
	/* NOP, NOP, then a timestamp whose length byte is 11, not 10: not
	 * the layout sg_ack_opts_fast() takes; the walk finds it overruns
	 * the 12 bytes. */
	FIX("ack4_nop_nop_ts_len11_overrun", NULL, 0,
	    DROP(SG_V_DROP_BAD_OPTION), TCP4(80, TH_ACK),
	    PKT_OPTS(1, 1, 8, 11, 0, 0, 0, 1, 0, 0, 0, 2)),
	/* Bad flag combinations. */
	FIX("synrst4", NULL, 0, DROP(SG_V_DROP_BAD_FLAGS),
	    TCP4(80, TH_SYN | TH_RST), MSS1460),
	FIX("synfin4", NULL, 0, DROP(SG_V_DROP_BAD_FLAGS),
	    TCP4(80, TH_SYN | TH_FIN), MSS1460),
	FIX("synfinack4", NULL, 0, DROP(SG_V_DROP_BAD_FLAGS),
	    TCP4(80, TH_SYN | TH_FIN | TH_ACK)),
	FIX("synrstack4", NULL, 0, DROP(SG_V_DROP_BAD_FLAGS),
	    TCP4(80, TH_SYN | TH_RST | TH_ACK)),
	FIX("synrstfin6", NULL, 0, DROP(SG_V_DROP_BAD_FLAGS),
	    TCP6(443, TH_SYN | TH_RST | TH_FIN)),
	FIX("synfin6_qinq", NULL, 0, DROP(SG_V_DROP_BAD_FLAGS), QQ,
	    TCP6(80, TH_SYN | TH_FIN)),
	/* ACKs that carry no cookie of ours. */
	FIX("ack4_random", NULL, 0, DROP(SG_V_DROP_COOKIE_BAD), .family = 4,
	    .dport = 80, .flags = TH_ACK, .seq = 0xdeadbeef, .ack = 0x12345678),
	FIX("ack4_random_ts", NULL, 0, DROP(SG_V_DROP_COOKIE_BAD), .family = 4,
	    .dport = 80, .flags = TH_ACK, .seq = 0xdeadbeef, .ack = 0x12345678,
	    PKT_OPTS(1, 1, 8, 10, 1, 2, 3, 4, 0x87, 0x65, 0x43, 0x21)),
	FIX("ack6_random", NULL, 0, DROP(SG_V_DROP_COOKIE_BAD),
	    TCP6(443, TH_ACK)),
	FIX("ack6_8021q_random_data", NULL, 0, DROP(SG_V_DROP_COOKIE_BAD), Q1,
	    TCP6(80, TH_ACK | TH_PSH), .paylen = 200),
};

static void run_simple(const struct simple_fix *f)
{
	char why[WHY_MAX] = "";
	struct pkt p;
	struct run r;

	if (pkt_build(&p, &f->spec)) {
		sg_fail(f->name, "cannot build the frame");
		return;
	}
	if (f->mutate)
		f->mutate(&p, f->arg);
	run_prog(&p, &r);
	check_run(&r, f->verdict, f->stat, NO_EVENT, why, sizeof(why));
	if (f->out == OUT_SAME)
		check_unchanged(&r, &p, why, sizeof(why));
	report(f->name, why);
}

/* A frame shorter than Ethernet: the kernel refuses it before the program. */
static void run_eth_truncated(void)
{
	const char *name = "eth_13_bytes";
	struct pkt_spec s = { SYN4(80) };
	char why[WHY_MAX] = "";
	struct pkt p;
	struct run r;

	pkt_build(&p, &s);
	pkt_truncate(&p, 13);
	run_prog(&p, &r);
	if (r.err == -EINVAL) {
		n_errors--; /* expected: not a failure of the program */
		printf("SKIP: %s: BPF_PROG_TEST_RUN rejects frames < 14 bytes "
		       "(EINVAL), the program cannot be given one\n",
		       name);
		fflush(stdout);
		return;
	}
	check_run(&r, XDP_DROP, SG_V_DROP_MALFORMED_L2, NO_EVENT, why,
		  sizeof(why));
	report(name, why);
}

/* ---- SYN fixtures: SYN-ACK checked, then the handshake completed ---- */

struct syn_fix {
	char name[NAME_MAX_];
	struct pkt_spec spec; /* the SYN */
	struct attrs_exp x;   /* cookie attributes it must produce */
	__u32 cli_tsval;      /* the SYN's TSval (x.ts) */
	__u8 payload;	      /* SYN carries data: SG_E_SYN_PAYLOAD */
	__u8 drops;	      /* also run the forged/altered ACK variants */
};

#define TSV 0x11, 0x22, 0x33, 0x44
#define TSV_VAL 0x11223344u
#define NONE SG_WSCALE_NONE

struct optset {
	const char *name;
	__u8 opts[40];
	__u8 optlen;
	__u8 idx4, idx6; /* expected mss_idx for IPv4 / IPv6 */
	__u8 wscale, sack, ts;
};

/* The option sets real stacks send (all with MSS 1460). */
#define OPTSET(n, i4, i6, ws_, sack_, ts_, ...)                   \
	{                                                         \
		.name = n, .idx4 = i4, .idx6 = i6, .wscale = ws_, \
		.sack = sack_, .ts = ts_, PKT_OPTS(__VA_ARGS__)   \
	}

static const struct optset optsets[] = {
	OPTSET("linux", 6, 6, 7, 1, 1, 2, 4, 5, 0xb4, 4, 2, 8, 10, TSV, 0, 0, 0,
	       0, 1, 3, 3, 7),
	OPTSET("windows", 6, 6, 8, 1, 0, 2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2),
	OPTSET("macos", 6, 6, 6, 1, 1, 2, 4, 5, 0xb4, 1, 3, 3, 6, 1, 1, 8, 10,
	       TSV, 0, 0, 0, 0, 4, 2, 0, 0),
	OPTSET("mss_only", 6, 6, NONE, 0, 0, 2, 4, 5, 0xb4),
	{ .name = "no_options", .wscale = NONE },
};

struct vlanmode {
	const char *name;
	__u8 nvlan;
	__u16 tpid[2];
	__u16 tci[2];
};

static const struct vlanmode vlanmodes[] = {
	{ "untagged", 0, { 0 }, { 0 } },
	{ "8021q", 1, { PKT_ETH_P_8021Q }, { 0x0064 } },
	{ .name = "qinq",
	  .nvlan = 2,
	  .tpid = { PKT_ETH_P_8021AD, PKT_ETH_P_8021Q },
	  .tci = { 0x2005, 0x0064 } },
};

#define LINUX_OPTS \
	PKT_OPTS(2, 4, 5, 0xb4, 4, 2, 8, 10, TSV, 0, 0, 0, 0, 1, 3, 3, 7)
/* Cookie attributes: mss_idx, client wscale (or NONE), sack, ts, ecn. */
#define X(idx, ws, sack, ts, ecn)      \
	{                              \
		idx, ws, sack, ts, ecn \
	}
#define XS(idx) X(idx, NONE, 0, 0, 0)
#define LINUX_X X(6, 7, 1, 1, 0)
#define SYNL4(port) TCP4(port, TH_SYN), LINUX_OPTS
#define MSSOPT(m) PKT_OPTS(2, 4, (m) >> 8, (m)&0xff)

/*
 * One row: name, attributes, the client's TSval, SYN payload event, run
 * the ACK drop variants, then the spec of the SYN.
 */
#define SYNFIX(n, x_, tsval, payload_, drops_, ...)                          \
	{                                                                    \
		.name = n, .x = x_, .cli_tsval = tsval, .payload = payload_, \
		.drops = drops_, .spec = {                                   \
			__VA_ARGS__                                          \
		}                                                            \
	}

/* Hand-written SYN fixtures (the OS x VLAN x family matrix is generated). */
static const struct syn_fix syn_fixes[] = {
	SYNFIX("syn4_port443_linux", LINUX_X, TSV_VAL, 0, 1, SYNL4(443)),
	SYNFIX("syn6_port443_windows", X(6, 8, 1, 0, 0), 0, 0, 1, .family = 6,
	       .dport = 443, .flags = TH_SYN, ISN,
	       PKT_OPTS(2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2)),
	/* ECN: negotiated only with both ECE and CWR, and only with
	 * timestamps (the ISN-only cookie has no room for it): no ECE in
	 * the SYN-ACK of a client without timestamps. */
	SYNFIX("syn4_ecn_linux", X(6, 7, 1, 1, 1), TSV_VAL, 0, 1,
	       TCP4(80, TH_SYN | TH_ECE | TH_CWR), LINUX_OPTS),
	SYNFIX("syn6_ecn_ts_only", X(6, NONE, 0, 1, 1), TSV_VAL, 0, 1,
	       TCP6(80, TH_SYN | TH_ECE | TH_CWR),
	       PKT_OPTS(2, 4, 5, 0xb4, 1, 1, 8, 10, TSV, 0, 0, 0, 0)),
	SYNFIX("syn6_ecn_windows_no_ts_no_ecn", X(6, 8, 1, 0, 0), 0, 0, 1,
	       TCP6(80, TH_SYN | TH_ECE | TH_CWR),
	       PKT_OPTS(2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2)),
	SYNFIX("syn4_ecn_no_options_no_ecn", X(0, NONE, 0, 0, 0), 0, 0, 1,
	       .family = 4, .dport = 80, .flags = TH_SYN | TH_ECE | TH_CWR,
	       ISN),
	SYNFIX("syn4_ece_only", LINUX_X, TSV_VAL, 0, 0,
	       TCP4(80, TH_SYN | TH_ECE), LINUX_OPTS),
	SYNFIX("syn4_cwr_only", XS(6), 0, 0, 0, TCP4(80, TH_SYN | TH_CWR),
	       MSS1460),
	/* Other flag bits do not matter on a SYN. */
	SYNFIX("syn4_psh", XS(6), 0, 0, 0, TCP4(80, TH_SYN | TH_PSH), MSS1460),
	/* SYN payload (Fast Open): dropped from the reply, counted. */
	SYNFIX("syn4_payload_linux", LINUX_X, TSV_VAL, 1, 1, SYNL4(80),
	       .paylen = 50),
	SYNFIX("syn6_payload_mss", X(6, NONE, 0, 0, 0), 0, 1, 0, SYN6(80),
	       .paylen = 100),
	SYNFIX("syn4_qinq_payload_1000_macos", X(6, 6, 1, 1, 0), TSV_VAL, 1, 0,
	       QQ, .family = 4, .dport = 80, .flags = TH_SYN, ISN,
	       PKT_OPTS(2, 4, 5, 0xb4, 1, 3, 3, 6, 1, 1, 8, 10, TSV, 0, 0, 0, 0,
			4, 2, 0, 0),
	       .paylen = 1000),
	/* IPv4 options are not echoed; IHL 5 in the reply. */
	SYNFIX("syn4_ip_options_ihl6", LINUX_X, TSV_VAL, 0, 1, SYNL4(80),
	       PKT_IPOPTS(1, 1, 1, 0)),
	SYNFIX("syn4_ip_options_ihl7", LINUX_X, TSV_VAL, 0, 1, SYNL4(80),
	       PKT_IPOPTS(0x94, 4, 0, 0, 1, 1, 1, 0)),
	SYNFIX("syn4_8021q_ip_options_ihl7_no_tcp_options", XS(0), 0, 0, 0, Q1,
	       .family = 4, .dport = 443, .flags = TH_SYN, ISN,
	       PKT_IPOPTS(0x94, 4, 0, 0, 1, 1, 1, 0)),
	/* Ethernet padding beyond tot_len / payload_len. */
	SYNFIX("syn4_no_options_padded_60", XS(0), 0, 0, 1, .family = 4,
	       .dport = 80, .flags = TH_SYN, ISN, .pad_to = 60),
	SYNFIX("syn4_mss_padded_60", XS(6), 0, 0, 0, SYN4(80), .pad_to = 60),
	SYNFIX("syn4_8021q_padded_64", XS(0), 0, 0, 0, Q1, .family = 4,
	       .dport = 80, .flags = TH_SYN, ISN, .pad_to = 64),
	SYNFIX("syn6_trailing_bytes", XS(6), 0, 0, 0, SYN6(80), .pad_to = 90),
	/* Header fields of the SYN that must not leak into the reply. */
	SYNFIX("syn4_df_tos_ttl", XS(6), 0, 0, 0, SYN4(80),
	       .frag_off = PKT_IP_DF, .tos = 0xb9, .ttl = 128, .ip_id = 0x4242),
	SYNFIX("syn6_tclass_flow_hlim", XS(6), 0, 0, 0, SYN6(80), .tos = 0xb9,
	       .flow = 0xabcde, .ttl = 255),
	SYNFIX("syn4_8021q_8021q", LINUX_X, TSV_VAL, 0, 0, .nvlan = 2,
	       .tci = { 7, 0xe008 }, SYNL4(80)),
	SYNFIX("syn6_88a8_single", XS(6), 0, 0, 0, .nvlan = 1,
	       .tpid = { PKT_ETH_P_8021AD }, .tci = { 9 }, SYN6(443)),
	/* Client MSS -> table index. */
	SYNFIX("syn4_mss_absent", XS(0), 0, 0, 0, .family = 4, .dport = 80,
	       .flags = TH_SYN, ISN),
	SYNFIX("syn4_mss_0", XS(0), 0, 0, 0, TCP4(80, TH_SYN), MSSOPT(0)),
	SYNFIX("syn4_mss_100", XS(0), 0, 0, 0, TCP4(80, TH_SYN), MSSOPT(100)),
	SYNFIX("syn4_mss_535", XS(0), 0, 0, 0, TCP4(80, TH_SYN), MSSOPT(535)),
	SYNFIX("syn4_mss_536", XS(0), 0, 0, 0, TCP4(80, TH_SYN), MSSOPT(536)),
	SYNFIX("syn4_mss_1199", XS(0), 0, 0, 0, TCP4(80, TH_SYN), MSSOPT(1199)),
	SYNFIX("syn4_mss_1200", XS(1), 0, 0, 0, TCP4(80, TH_SYN), MSSOPT(1200)),
	SYNFIX("syn4_mss_1300", XS(2), 0, 0, 0, TCP4(80, TH_SYN), MSSOPT(1300)),
	SYNFIX("syn4_mss_1379", XS(2), 0, 0, 0, TCP4(80, TH_SYN), MSSOPT(1379)),
	SYNFIX("syn4_mss_1380", XS(3), 0, 0, 0, TCP4(80, TH_SYN), MSSOPT(1380)),
	SYNFIX("syn4_mss_1440", XS(4), 0, 0, 0, TCP4(80, TH_SYN), MSSOPT(1440)),
	SYNFIX("syn4_mss_1452", XS(5), 0, 0, 0, TCP4(80, TH_SYN), MSSOPT(1452)),
	SYNFIX("syn4_mss_1460", XS(6), 0, 0, 0, TCP4(80, TH_SYN), MSSOPT(1460)),
	SYNFIX("syn4_mss_1500", XS(6), 0, 0, 0, TCP4(80, TH_SYN), MSSOPT(1500)),
	SYNFIX("syn4_mss_8959", XS(6), 0, 0, 0, TCP4(80, TH_SYN), MSSOPT(8959)),
	SYNFIX("syn4_mss_8960", XS(7), 0, 0, 0, TCP4(80, TH_SYN), MSSOPT(8960)),
	SYNFIX("syn4_mss_65535", XS(7), 0, 0, 0, TCP4(80, TH_SYN),
	       MSSOPT(65535)),
	SYNFIX("syn6_mss_absent", XS(0), 0, 0, 0, .family = 6, .dport = 80,
	       .flags = TH_SYN, ISN),
	SYNFIX("syn6_mss_0", XS(0), 0, 0, 0, TCP6(80, TH_SYN), MSSOPT(0)),
	SYNFIX("syn6_mss_536", XS(0), 0, 0, 0, TCP6(80, TH_SYN), MSSOPT(536)),
	SYNFIX("syn6_mss_1219", XS(0), 0, 0, 0, TCP6(80, TH_SYN), MSSOPT(1219)),
	SYNFIX("syn6_mss_1220", XS(0), 0, 0, 0, TCP6(80, TH_SYN), MSSOPT(1220)),
	SYNFIX("syn6_mss_1280", XS(1), 0, 0, 0, TCP6(80, TH_SYN), MSSOPT(1280)),
	SYNFIX("syn6_mss_1340", XS(2), 0, 0, 0, TCP6(80, TH_SYN), MSSOPT(1340)),
	SYNFIX("syn6_mss_1380", XS(3), 0, 0, 0, TCP6(80, TH_SYN), MSSOPT(1380)),
	SYNFIX("syn6_mss_1420", XS(4), 0, 0, 0, TCP6(80, TH_SYN), MSSOPT(1420)),
	SYNFIX("syn6_mss_1431", XS(4), 0, 0, 0, TCP6(80, TH_SYN), MSSOPT(1431)),
	SYNFIX("syn6_mss_1432", XS(5), 0, 0, 0, TCP6(80, TH_SYN), MSSOPT(1432)),
	SYNFIX("syn6_mss_1440", XS(6), 0, 0, 0, TCP6(80, TH_SYN), MSSOPT(1440)),
	SYNFIX("syn6_mss_1460", XS(6), 0, 0, 0, TCP6(80, TH_SYN), MSSOPT(1460)),
	SYNFIX("syn6_mss_8939", XS(6), 0, 0, 0, TCP6(80, TH_SYN), MSSOPT(8939)),
	SYNFIX("syn6_mss_8940", XS(7), 0, 0, 0, TCP6(80, TH_SYN), MSSOPT(8940)),
	SYNFIX("syn6_mss_65535", XS(7), 0, 0, 0, TCP6(80, TH_SYN),
	       MSSOPT(65535)),
	/* Window scale. */
	SYNFIX("syn4_ws0", X(6, 0, 0, 0, 0), 0, 0, 0, TCP4(80, TH_SYN),
	       PKT_OPTS(2, 4, 5, 0xb4, 1, 3, 3, 0)),
	SYNFIX("syn4_ws14", X(6, 14, 0, 0, 0), 0, 0, 0, TCP4(80, TH_SYN),
	       PKT_OPTS(2, 4, 5, 0xb4, 1, 3, 3, 14)),
	SYNFIX("syn4_ws15_clamped", X(6, 14, 0, 0, 0), 0, 0, 0,
	       TCP4(80, TH_SYN), PKT_OPTS(2, 4, 5, 0xb4, 1, 3, 3, 15)),
	SYNFIX("syn6_ws255_clamped", X(6, 14, 0, 0, 0), 0, 0, 0,
	       TCP6(80, TH_SYN), PKT_OPTS(1, 3, 3, 255, 2, 4, 5, 0xb4)),
	/* Option layouts: TS without SACK, SACK alone, order independence. */
	SYNFIX("syn4_ts_only", X(6, NONE, 0, 1, 0), TSV_VAL, 0, 1,
	       TCP4(80, TH_SYN),
	       PKT_OPTS(2, 4, 5, 0xb4, 1, 1, 8, 10, TSV, 0, 0, 0, 0)),
	SYNFIX("syn6_ts_ws_no_sack", X(0, 2, 0, 1, 0), 0xffffffffu, 0, 1,
	       TCP6(80, TH_SYN),
	       PKT_OPTS(1, 1, 8, 10, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 3, 3,
			2, 1)),
	SYNFIX("syn4_sack_only", X(6, NONE, 1, 0, 0), 0, 0, 1, TCP4(80, TH_SYN),
	       PKT_OPTS(2, 4, 5, 0xb4, 1, 1, 4, 2)),
	SYNFIX("syn4_options_reversed", X(2, 9, 1, 1, 0), 1, 0, 1,
	       TCP4(80, TH_SYN),
	       PKT_OPTS(3, 3, 9, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 2, 4, 5,
			0x14, 1, 1)),
	/* Known kinds with wrong lengths are ignored; unknown kinds skipped. */
	SYNFIX("syn4_mss_len3_ignored", XS(0), 0, 0, 0, TCP4(80, TH_SYN),
	       PKT_OPTS(2, 3, 5, 1)),
	SYNFIX("syn4_ws_len4_ignored", XS(6), 0, 0, 0, TCP4(80, TH_SYN),
	       PKT_OPTS(2, 4, 5, 0xb4, 3, 4, 7, 0)),
	SYNFIX("syn4_sack_len3_ignored", XS(6), 0, 0, 0, TCP4(80, TH_SYN),
	       PKT_OPTS(2, 4, 5, 0xb4, 4, 3, 0, 1)),
	SYNFIX("syn4_ts_len8_ignored", XS(6), 0, 0, 0, TCP4(80, TH_SYN),
	       PKT_OPTS(2, 4, 5, 0xb4, 8, 8, 1, 2, 3, 4, 5, 6)),
	SYNFIX("syn6_unknown_options_skipped", XS(6), 0, 0, 0, TCP6(80, TH_SYN),
	       PKT_OPTS(0xfe, 4, 0xf9, 0x89, 0x1e, 2, 2, 4, 5, 0xb4, 1, 1)),
	SYNFIX("syn4_eol_then_garbage", XS(6), 0, 0, 0, TCP4(80, TH_SYN),
	       PKT_OPTS(2, 4, 5, 0xb4, 0, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 2, 0,
			1, 3, 3)),
	SYNFIX("syn6_eol_first", XS(0), 0, 0, 0, TCP6(80, TH_SYN),
	       PKT_OPTS(0, 2, 4, 5, 0xb4, 0, 0, 0)),
	SYNFIX("syn4_max_options_40_bytes", X(6, NONE, 1, 1, 0), TSV_VAL, 0, 1,
	       TCP4(80, TH_SYN),
	       PKT_OPTS(2, 4, 5, 0xb4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
			1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 2, 8, 10, TSV, 0, 0, 0,
			0)),
};

/* Parsed from the emitted SYN-ACK, to build the ACK. */
struct handshake {
	struct pkt_spec syn_spec;
	struct attrs_exp x;
	__u32 synack_seq;
	__u8 synack_ts;
	__u32 synack_tsval;
};

/*
 * Run a SYN: XDP_TX, SG_V_TX_SYNACK, SG_E_SYN_RX (+ event, unless
 * NO_EVENT), and a SYN-ACK the independent checker accepts, with the cookie
 * minted here by key/epoch. Fills hs for the follow-up ACKs. Returns 0 when
 * the SYN-ACK parsed.
 */
static int do_syn_ev(const char *name, const struct pkt_spec *spec,
		     const struct attrs_exp *x, __u32 cli_tsval, int event,
		     const struct sg_key *key, __u32 epoch,
		     struct handshake *hs)
{
	char why[WHY_MAX] = "", vwhy[WHY_MAX] = "";
	struct sg_synack_exp e = { 0 };
	struct sg_frame sa;
	struct pkt syn;
	struct run r;
	int parsed = 0;

	if (pkt_build(&syn, spec)) {
		sg_fail(name, "cannot build the SYN");
		return -1;
	}
	run_prog(&syn, &r);
	check_run(&r, XDP_TX, SG_V_TX_SYNACK, event, why, sizeof(why));
	e.mss = spec->family == 4 ? test_cfg.mss4 : test_cfg.mss6;
	e.window = test_cfg.window;
	e.ttl = test_cfg.ttl;
	e.wscale = test_cfg.wscale;
	e.ts = x->ts;
	e.sack = x->sack;
	e.ws = x->wscale != SG_WSCALE_NONE;
	e.ecn = x->ecn;
	e.tsecr = cli_tsval;
	mint(&syn, spec->family, key, epoch, spec->seq, x, &e.isn, &e.tsval);
	memset(&sa, 0, sizeof(sa));
	if (!r.err && r.verdict == XDP_TX) {
		if (r.meta_len)
			addf(why, sizeof(why),
			     "%u bytes of metadata on a SYN-ACK", r.meta_len);
		sg_verify_synack(r.frame, r.frame_len, syn.data, syn.len, &e,
				 &sa, vwhy, sizeof(vwhy));
		parsed = sa.l4 != 0;
		if (vwhy[0]) {
			char hex[512];

			pkt_hex(r.frame, r.frame_len, hex, sizeof(hex));
			addf(why, sizeof(why), "SYN-ACK: %s; output %s", vwhy,
			     hex);
		}
	}
	report(name, why);
	if (!parsed)
		return -1;
	hs->syn_spec = *spec;
	hs->x = *x;
	hs->synack_seq = sa.seq;
	hs->synack_ts = sa.has_ts;
	hs->synack_tsval = sa.tsval;
	return 0;
}

/* do_syn_ev() with the payload event when payload is set. */
static int do_syn(const char *name, const struct pkt_spec *spec,
		  const struct attrs_exp *x, __u32 cli_tsval, int payload,
		  const struct sg_key *key, __u32 epoch, struct handshake *hs)
{
	return do_syn_ev(name, spec, x, cli_tsval,
			 payload ? SG_E_SYN_PAYLOAD : NO_EVENT, key, epoch, hs);
}

/* The client's ACK completing hs. */
static void ack_spec(struct pkt_spec *a, const struct handshake *hs, __u8 flags,
		     __u16 paylen)
{
	*a = hs->syn_spec;
	a->flags = flags;
	a->seq = hs->syn_spec.seq + 1;
	a->ack = hs->synack_seq + 1;
	a->window = 502;
	a->paylen = paylen;
	a->pad_to = 0;
	a->tos = 0;
	a->flow = 0;
	memset(a->opts, 0, sizeof(a->opts));
	a->optlen = 0;
	if (hs->synack_ts) {
		__u8 *o = a->opts;

		o[0] = 1;
		o[1] = 1;
		o[2] = 8;
		o[3] = 10;
		pkt_put32(o + 4, 0x0badf00d);
		pkt_put32(o + 8, hs->synack_tsval);
		a->optlen = 12;
	}
}

/* An ACK that must validate: PASS, COOKIE_OK, metadata, frame unchanged. */
static void ack_ok(const char *name, const struct pkt_spec *a,
		   const struct attrs_exp *x, int event)
{
	char why[WHY_MAX] = "";
	struct sg_meta m;
	struct pkt p;
	struct run r;
	__u32 tsval = 0, tsecr = 0;

	if (pkt_build(&p, a)) {
		sg_fail(name, "cannot build the ACK");
		return;
	}
	if (a->optlen >= 12 && a->opts[2] == 8) {
		tsval = pkt_get32(a->opts + 4);
		tsecr = pkt_get32(a->opts + 8);
	} else if (a->optlen >= 10 && a->opts[0] == 8) {
		tsval = pkt_get32(a->opts + 2);
		tsecr = pkt_get32(a->opts + 6);
	}
	run_prog(&p, &r);
	check_run(&r, XDP_PASS, SG_V_PASS_COOKIE_OK, event, why, sizeof(why));
	expect_meta(&m, a->family, x, tsval, tsecr);
	if (r.verdict == XDP_PASS)
		check_meta(&r, &p, &m, why, sizeof(why));
	report(name, why);
}

/* A frame with an expected verdict/counter; output unchanged if passed. */
static void expect_frame(const char *name, const struct pkt_spec *a,
			 __u32 verdict, int stat, int event)
{
	char why[WHY_MAX] = "";
	struct pkt p;
	struct run r;

	if (pkt_build(&p, a)) {
		sg_fail(name, "cannot build the frame");
		return;
	}
	run_prog(&p, &r);
	check_run(&r, verdict, stat, event, why, sizeof(why));
	if (verdict == XDP_PASS && r.verdict == XDP_PASS)
		check_unchanged(&r, &p, why, sizeof(why));
	report(name, why);
}

static void set_ts_opt(struct pkt_spec *a, __u32 tsval, __u32 tsecr)
{
	memset(a->opts, 0, sizeof(a->opts));
	a->opts[0] = 1;
	a->opts[1] = 1;
	a->opts[2] = 8;
	a->opts[3] = 10;
	pkt_put32(a->opts + 4, tsval);
	pkt_put32(a->opts + 8, tsecr);
	a->optlen = 12;
}

/* Append NOP NOP SACK(one block) to the ACK's options. */
static void add_sack_block(struct pkt_spec *a)
{
	__u8 *o = a->opts + a->optlen;

	o[0] = 1;
	o[1] = 1;
	o[2] = 5;
	o[3] = 10;
	pkt_put32(o + 4, 0x01000000);
	pkt_put32(o + 8, 0x01000100);
	a->optlen += 12;
}

/*
 * sg_hshake, the per-CPU record of completed handshakes, on every CPU:
 * emptied (@age_ns 0), or each record made @age_ns older.
 */
static int hshake_touch(__u64 age_ns)
{
	struct bpf_map *m = skel->maps.sg_hshake;
	size_t stride = (bpf_map__value_size(m) + 7) & ~(size_t)7;
	__u8 *buf = calloc((size_t)ncpus, stride);
	__u32 i, n = bpf_map__max_entries(m);
	int c, err = buf ? 0 : -ENOMEM;

	for (i = 0; i < n && !err; i++) {
		if (age_ns) {
			err = bpf_map__lookup_elem(m, &i, sizeof(i), buf,
						   (size_t)ncpus * stride, 0);
			for (c = 0; c < ncpus && !err; c++) {
				struct sg_hshake *h =
					(void *)(buf + (size_t)c * stride);

				h->t -= age_ns;
			}
		}
		if (!err)
			err = bpf_map__update_elem(m, &i, sizeof(i), buf,
						   (size_t)ncpus * stride,
						   BPF_ANY);
	}
	free(buf);
	return err;
}

/*
 * The segments after the one that completed a handshake (sg_followup):
 * run right after that one's valid ACK, they are dropped as follow-ups,
 * not as bad cookies, when they return its acknowledgment from its
 * 4-tuple, up to 64 KiB further on, within a second; anything else still
 * fails the cookie check.
 */
static void ack_followups(const char *base, const struct handshake *hs)
{
	char name[NAME_MAX_ + 32];
	cpu_set_t one, old;
	struct pkt_spec a;
	struct pkt p;
	struct run r;
	int cpu = sched_getcpu();

	/* The record is per CPU, as a flow's packets are: the completing
	 * ACK again and its follow-ups, all on this CPU. */
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (cpu < 0 || sched_getaffinity(0, sizeof(old), &old) ||
	    sched_setaffinity(0, sizeof(one), &one)) {
		sg_fail(base, "followups: cannot stay on one CPU: %s",
			strerror(errno));
		return;
	}
	ack_spec(&a, hs, TH_ACK, 0);
	if (pkt_build(&p, &a)) {
		sg_fail(base, "followups: cannot build the ACK");
		goto out;
	}
	run_prog(&p, &r);
	if (r.verdict != XDP_PASS) {
		sg_fail(base, "followups: the completing ACK did not pass");
		goto out;
	}

#define FOLLOW(suffix, verdict, stat)                                \
	do {                                                         \
		snprintf(name, sizeof(name), "%s/%s", base, suffix); \
		expect_frame(name, &a, verdict, stat, NO_EVENT);     \
	} while (0)

	ack_spec(&a, hs, TH_ACK | TH_PSH, 100);
	a.seq += 1448;
	FOLLOW("followup_second_segment", XDP_DROP, SG_V_DROP_FOLLOWUP);

	ack_spec(&a, hs, TH_ACK | TH_PSH, 100);
	a.seq += 65535;
	FOLLOW("followup_64k_on", XDP_DROP, SG_V_DROP_FOLLOWUP);

	ack_spec(&a, hs, TH_ACK | TH_PSH, 100);
	a.seq += 65536;
	FOLLOW("followup_past_the_window", XDP_DROP, SG_V_DROP_COOKIE_BAD);

	ack_spec(&a, hs, TH_ACK | TH_PSH, 100);
	a.seq -= 1;
	FOLLOW("followup_behind", XDP_DROP, SG_V_DROP_COOKIE_BAD);

	ack_spec(&a, hs, TH_ACK | TH_PSH, 100);
	a.seq += 1448;
	a.ack += 1;
	FOLLOW("followup_other_ack", XDP_DROP, SG_V_DROP_COOKIE_BAD);

	ack_spec(&a, hs, TH_ACK | TH_PSH, 100);
	a.seq += 1448;
	a.sport = (a.sport ? a.sport : PKT_DEF_SPORT) + 1;
	FOLLOW("followup_other_sport", XDP_DROP, SG_V_DROP_COOKIE_BAD);

	ack_spec(&a, hs, TH_ACK | TH_PSH, 100);
	a.seq += 1448;
	if (hshake_touch(1100000000ULL)) {
		sg_fail(base, "cannot age sg_hshake");
	} else {
		FOLLOW("followup_after_a_second", XDP_DROP,
		       SG_V_DROP_COOKIE_BAD);
	}
#undef FOLLOW
out:
	sched_setaffinity(0, sizeof(old), &old);
}

/* ACKs that must fail the cookie check (DROP COOKIE_BAD). */
static void ack_drops(const char *base, const struct handshake *hs)
{
	char name[NAME_MAX_ + 32];
	struct pkt_spec a;

	/* The MAC alone: no record of the handshake its valid ACK left. */
	if (hshake_touch(0))
		sg_fail(base, "cannot empty sg_hshake");

#define DROPCASE(suffix)                                               \
	do {                                                           \
		snprintf(name, sizeof(name), "%s/%s", base, suffix);   \
		expect_frame(name, &a, XDP_DROP, SG_V_DROP_COOKIE_BAD, \
			     NO_EVENT);                                \
	} while (0)

	ack_spec(&a, hs, TH_ACK, 0);
	a.ack += 1;
	DROPCASE("drop_ack_plus1");

	ack_spec(&a, hs, TH_ACK, 0);
	a.ack -= 1;
	DROPCASE("drop_ack_minus1");

	ack_spec(&a, hs, TH_ACK, 0);
	a.ack ^= 0x80000000u; /* read as two epochs ahead: no key */
	DROPCASE("drop_ack_epoch_bit31_flipped");

	ack_spec(&a, hs, TH_ACK, 0);
	a.ack ^= 0x40000000u; /* read as a neighbour epoch: its key */
	DROPCASE("drop_ack_epoch_bit30_flipped");

	ack_spec(&a, hs, TH_ACK, 0);
	a.seq += 1;
	DROPCASE("drop_seq_plus1");

	ack_spec(&a, hs, TH_ACK, 0);
	a.sport = (a.sport ? a.sport : PKT_DEF_SPORT) + 1;
	DROPCASE("drop_other_sport");

	ack_spec(&a, hs, TH_ACK, 0);
	a.dport = a.dport == 80 ? 443 : 80;
	DROPCASE("drop_other_protected_dport");

	ack_spec(&a, hs, TH_ACK, 0);
	pkt_addrs(&a, a.src_ip, a.dst_ip);
	a.src_ip[a.family == 4 ? 3 : 15] ^= 0x40;
	DROPCASE("drop_other_saddr");

	ack_spec(&a, hs, TH_ACK, 0);
	pkt_addrs(&a, a.src_ip, a.dst_ip);
	a.dst_ip[a.family == 4 ? 3 : 15] ^= 0x01;
	DROPCASE("drop_other_daddr");

	if (hs->synack_ts) {
		ack_spec(&a, hs, TH_ACK, 0);
		memset(a.opts, 0, sizeof(a.opts));
		a.optlen = 0;
		DROPCASE("drop_ts_stripped");

		/* A timestamp option of the wrong length is no timestamp. */
		ack_spec(&a, hs, TH_ACK, 0);
		a.opts[2] = 8;
		a.opts[3] = 8;
		a.opts[10] = 1;
		a.opts[11] = 1;
		DROPCASE("drop_ts_len8");

		ack_spec(&a, hs, TH_ACK, 0);
		set_ts_opt(&a, 0x0badf00d, hs->synack_tsval ^ (1u << 20));
		DROPCASE("drop_tsecr_mac_bit_flipped");

		ack_spec(&a, hs, TH_ACK, 0);
		a.ack ^= 1u << 29; /* the top MAC bit of the ISN */
		DROPCASE("drop_isn_mac_bit29_flipped");

		ack_spec(&a, hs, TH_ACK, 0);
		set_ts_opt(&a, 0x0badf00d, hs->synack_tsval ^ 0x1);
		DROPCASE("drop_tsecr_attr_bit_flipped");
	} else {
		ack_spec(&a, hs, TH_ACK, 0);
		a.ack ^= 1u << 22; /* mss_idx bit of the attributes */
		DROPCASE("drop_isn_attr_bit_flipped");

		ack_spec(&a, hs, TH_ACK, 0);
		a.ack ^= 1u << 29; /* the SACK bit of attrs8 */
		DROPCASE("drop_isn_sack_bit_flipped");

		ack_spec(&a, hs, TH_ACK, 0);
		a.ack ^= 1u << 21; /* the top MAC bit */
		DROPCASE("drop_isn_mac_bit21_flipped");

		ack_spec(&a, hs, TH_ACK, 0);
		set_ts_opt(&a, 0x0badf00d, 0);
		DROPCASE("drop_ts_added");
	}
#undef DROPCASE
}

/* A SYN fixture: the SYN, then the ACKs completing the handshake. */
static void run_syn_fix(const struct syn_fix *f)
{
	char name[NAME_MAX_ + 32];
	struct handshake hs;
	struct pkt_spec a;

	if (do_syn(f->name, &f->spec, &f->x, f->cli_tsval, f->payload, &key100,
		   CUR_EPOCH, &hs))
		return;

	snprintf(name, sizeof(name), "%s/ack", f->name);
	ack_spec(&a, &hs, TH_ACK, 0);
	ack_ok(name, &a, &f->x, NO_EVENT);

	snprintf(name, sizeof(name), "%s/ack_data100", f->name);
	ack_spec(&a, &hs, TH_ACK | TH_PSH, 100);
	ack_ok(name, &a, &f->x, NO_EVENT);

	snprintf(name, sizeof(name), "%s/fin_ack", f->name);
	ack_spec(&a, &hs, TH_ACK | TH_FIN, 0);
	ack_ok(name, &a, &f->x, NO_EVENT);

	if (f->drops) {
		/* Other options beside the timestamp do not matter. */
		snprintf(name, sizeof(name), "%s/ack_sack_blocks", f->name);
		ack_spec(&a, &hs, TH_ACK, 0);
		add_sack_block(&a);
		ack_ok(name, &a, &f->x, NO_EVENT);

		if (hs.synack_ts) {
			/* 12 bytes of options, but not NOP, NOP, TS: the
			 * general walk, not sg_ack_opts_fast(), finds the
			 * timestamps, with the same result. */
			snprintf(name, sizeof(name), "%s/ack_ts_first",
				 f->name);
			ack_spec(&a, &hs, TH_ACK, 0);
			memset(a.opts, 0, sizeof(a.opts));
			a.opts[0] = 8;
			a.opts[1] = 10;
			pkt_put32(a.opts + 2, 0x0badf00d);
			pkt_put32(a.opts + 6, hs.synack_tsval);
			a.opts[10] = 1;
			a.opts[11] = 1;
			a.optlen = 12;
			ack_ok(name, &a, &f->x, NO_EVENT);
		}

		ack_followups(f->name, &hs);
		ack_drops(f->name, &hs);
	}
}

/* The family x VLAN x OS option set matrix. */
static void run_syn_matrix(void)
{
	size_t o, v;
	int fam;

	for (fam = 4; fam <= 6; fam += 2)
		for (v = 0; v < sizeof(vlanmodes) / sizeof(vlanmodes[0]); v++)
			for (o = 0; o < sizeof(optsets) / sizeof(optsets[0]);
			     o++) {
				const struct vlanmode *vm = &vlanmodes[v];
				const struct optset *os = &optsets[o];
				struct syn_fix f;

				memset(&f, 0, sizeof(f));
				snprintf(f.name, sizeof(f.name), "syn%d_%s_%s",
					 fam, vm->name, os->name);
				f.spec.family = fam;
				f.spec.nvlan = vm->nvlan;
				memcpy(f.spec.tpid, vm->tpid, sizeof(vm->tpid));
				memcpy(f.spec.tci, vm->tci, sizeof(vm->tci));
				f.spec.dport = 80;
				f.spec.flags = TH_SYN;
				f.spec.seq = 0xfedcba98 - (__u32)(o * 1000 + v);
				memcpy(f.spec.opts, os->opts, sizeof(os->opts));
				f.spec.optlen = os->optlen;
				f.x.mss_idx = fam == 4 ? os->idx4 : os->idx6;
				f.x.wscale = os->wscale;
				f.x.sack = os->sack;
				f.x.ts = os->ts;
				f.cli_tsval = os->ts ? TSV_VAL : 0;
				f.drops = vm->nvlan != 1;
				run_syn_fix(&f);
			}
}

/* ---- epochs and keys ---- */

/*
 * An ACK whose cookie is minted here (not by the program) for the 4-tuple
 * of spec, with key/epoch and attributes x.
 */
static void minted_ack(struct pkt_spec *a, const struct pkt_spec *base,
		       const struct sg_key *k, __u32 epoch,
		       const struct attrs_exp *x)
{
	__u32 isn, tsval;
	struct pkt p;

	*a = *base;
	a->flags = TH_ACK;
	a->seq = base->seq + 1;
	memset(a->opts, 0, sizeof(a->opts));
	a->optlen = 0;
	pkt_build(&p, a); /* only the addresses and ports are used */
	mint(&p, a->family, k, epoch, base->seq, x, &isn, &tsval);
	a->ack = isn + 1;
	if (x->ts)
		set_ts_opt(a, 0x01010101, tsval);
}

static void run_epoch_cases(void)
{
	const struct attrs_exp lx = LINUX_X, mx = XS(6);
	const struct pkt_spec s4 = { SYNL4(80) };
	const struct pkt_spec s6 = { .family = 6,
				     .dport = 443,
				     .flags = TH_SYN,
				     .seq = 0x77777777,
				     MSS1460 };
	struct handshake hs;
	struct pkt_spec a;
	struct sg_key k;

	/* Cookies minted here must validate like the program's own. */
	minted_ack(&a, &s4, &key100, 100, &lx);
	ack_ok("minted_epoch100_ts_ack", &a, &lx, NO_EVENT);
	minted_ack(&a, &s6, &key100, 100, &mx);
	ack_ok("minted_epoch100_nots_ack6", &a, &mx, NO_EVENT);
	/* The neighbouring epochs count as such (cookie_prev_epoch). */
	minted_ack(&a, &s4, &key99, 99, &lx);
	ack_ok("minted_epoch99_ts_ack_prev_epoch", &a, &lx,
	       SG_E_COOKIE_PREV_EPOCH);
	minted_ack(&a, &s6, &key99, 99, &mx);
	ack_ok("minted_epoch99_nots_ack6_prev_epoch", &a, &mx,
	       SG_E_COOKIE_PREV_EPOCH);
	minted_ack(&a, &s4, &key101, 101, &lx);
	ack_ok("minted_epoch101_ts_ack_next_epoch", &a, &lx,
	       SG_E_COOKIE_PREV_EPOCH);
	minted_ack(&a, &s6, &key101, 101, &mx);
	ack_ok("minted_epoch101_nots_ack6_next_epoch", &a, &mx,
	       SG_E_COOKIE_PREV_EPOCH);
	/* Right epoch, wrong key. */
	minted_ack(&a, &s4, &key99, 100, &lx);
	expect_frame("minted_epoch100_wrong_key", &a, XDP_DROP,
		     SG_V_DROP_COOKIE_BAD, NO_EVENT);
	minted_ack(&a, &s6, &key100, 101, &mx);
	expect_frame("minted_epoch101_with_epoch100_key", &a, XDP_DROP,
		     SG_V_DROP_COOKIE_BAD, NO_EVENT);
	/* Two epochs away, either way: no key is installed for it. */
	k = key_of(102);
	minted_ack(&a, &s4, &k, 102, &lx);
	expect_frame("minted_epoch102_ts_ack_at_100_dropped", &a, XDP_DROP,
		     SG_V_DROP_COOKIE_BAD, NO_EVENT);
	minted_ack(&a, &s6, &key98, 98, &mx);
	expect_frame("minted_epoch98_nots_ack6_at_100_dropped", &a, XDP_DROP,
		     SG_V_DROP_COOKIE_BAD, NO_EVENT);
	minted_ack(&a, &s4, &key98, 98, &lx);
	expect_frame("minted_epoch98_ts_ack_at_100_dropped", &a, XDP_DROP,
		     SG_V_DROP_COOKIE_BAD, NO_EVENT);

	/* Previous epoch: SYN-ACK minted at 99, ACK arrives at 100. */
	if (set_ring(99) == 0 && do_syn("epoch99_syn4_linux", &s4, &lx, TSV_VAL,
					0, &key99, 99, &hs) == 0) {
		set_ring(CUR_EPOCH);
		ack_spec(&a, &hs, TH_ACK, 0);
		ack_ok("epoch99_syn4_linux/ack_at_100_prev_epoch", &a, &lx,
		       SG_E_COOKIE_PREV_EPOCH);
	}
	if (set_ring(99) == 0 &&
	    do_syn("epoch99_syn6_mss", &s6, &mx, 0, 0, &key99, 99, &hs) == 0) {
		set_ring(CUR_EPOCH);
		ack_spec(&a, &hs, TH_ACK, 0);
		ack_ok("epoch99_syn6_mss/ack_at_100_prev_epoch", &a, &mx,
		       SG_E_COOKIE_PREV_EPOCH);
	}
	/* Next epoch: a server that rotated first minted it at 101. */
	if (set_ring(101) == 0 && do_syn("epoch101_syn4_linux", &s4, &lx,
					 TSV_VAL, 0, &key101, 101, &hs) == 0) {
		set_ring(CUR_EPOCH);
		ack_spec(&a, &hs, TH_ACK, 0);
		ack_ok("epoch101_syn4_linux/ack_at_100_next_epoch", &a, &lx,
		       SG_E_COOKIE_PREV_EPOCH);
	}
	set_ring(CUR_EPOCH);

	/* Previous epoch's slot emptied: its cookies no longer validate. */
	set_key(99, NULL);
	minted_ack(&a, &s4, &key99, 99, &lx);
	expect_frame("minted_epoch99_ack_prev_slot_empty", &a, XDP_DROP,
		     SG_V_DROP_COOKIE_BAD, NO_EVENT);
	/* The slot holding the epoch a key ring earlier is no key for 99. */
	k = key99;
	k.epoch = 99 - SG_KEY_SLOTS;
	set_key(99, &k);
	expect_frame("minted_epoch99_ack_slot_holds_epoch35", &a, XDP_DROP,
		     SG_V_DROP_COOKIE_BAD, NO_EVENT);
	set_key(99, &key99);
	ack_ok("minted_epoch99_ack_slot_restored", &a, &lx,
	       SG_E_COOKIE_PREV_EPOCH);
}

/*
 * Three-epoch acceptance, the program minting: a SYN-ACK minted in epoch
 * E completes while the current epoch is E - 1, E or E + 1 (the daemon's
 * key ring around each), and not at E - 2 or E + 2.
 */
static void run_three_epochs(void)
{
	static const struct {
		const char *name;
		struct pkt_spec spec;
		struct attrs_exp x;
		__u32 tsval;
	} v[] = {
		{ "three_epochs_syn4_ts", { SYNL4(80) }, LINUX_X, TSV_VAL },
		{ "three_epochs_syn4_nots",
		  { TCP4(443, TH_SYN),
		    PKT_OPTS(2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2) },
		  X(6, 8, 1, 0, 0),
		  0 },
		{ "three_epochs_syn6_ts",
		  { TCP6(80, TH_SYN), LINUX_OPTS, .sport = 40123 },
		  LINUX_X,
		  TSV_VAL },
		{ "three_epochs_syn6_nots",
		  { SYN6(443), .sport = 40124 },
		  XS(6),
		  0 },
	};
	const __u32 e = 1000;
	char name[NAME_MAX_ + 32];
	struct handshake hs;
	struct pkt_spec a;
	struct sg_key k = key_of(e);
	size_t i;
	int off;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(name, sizeof(name), "%s/minted_at_E", v[i].name);
		if (set_ring(e) || do_syn(name, &v[i].spec, &v[i].x, v[i].tsval,
					  0, &k, e, &hs))
			continue;
		ack_spec(&a, &hs, TH_ACK, 0);
		for (off = -2; off <= 2; off++) {
			if (set_ring(e + off)) {
				sg_fail(name, "cannot install the key ring");
				break;
			}
			if (off >= -1 && off <= 1) {
				snprintf(name, sizeof(name),
					 "%s/accepted_at_E%+d", v[i].name, off);
				ack_ok(name, &a, &v[i].x,
				       off ? SG_E_COOKIE_PREV_EPOCH : NO_EVENT);
			} else {
				snprintf(name, sizeof(name),
					 "%s/refused_at_E%+d", v[i].name, off);
				expect_frame(name, &a, XDP_DROP,
					     SG_V_DROP_COOKIE_BAD, NO_EVENT);
			}
		}
	}
	set_ring(CUR_EPOCH);
}

static void run_no_key_cases(void)
{
	const struct attrs_exp lx = LINUX_X;
	const struct pkt_spec s4 = { SYNL4(80) };
	const struct pkt_spec s6 = { QQ, SYN6(443) };
	struct sg_key stale = key100;
	struct pkt_spec a;

	if (set_key(CUR_EPOCH, NULL)) {
		sg_fail("no_key_setup", "cannot clear key slot %u",
			slot_of(CUR_EPOCH));
		return;
	}
	expect_frame("no_key/syn4", &s4, XDP_PASS, SG_V_PASS_NO_KEY,
		     SG_E_SYN_RX);
	expect_frame("no_key/syn6_qinq", &s6, XDP_PASS, SG_V_PASS_NO_KEY,
		     SG_E_SYN_RX);
	minted_ack(&a, &s4, &key100, 100, &lx);
	expect_frame("no_key/ack_epoch100_cookie", &a, XDP_PASS,
		     SG_V_PASS_NO_KEY, NO_EVENT);
	minted_ack(&a, &s4, &key99, 99, &lx);
	expect_frame("no_key/ack_epoch99_cookie", &a, XDP_PASS,
		     SG_V_PASS_NO_KEY, NO_EVENT);

	/* A valid slot holding another epoch's key is no key either. */
	stale.epoch = CUR_EPOCH - SG_KEY_SLOTS;
	if (set_key(CUR_EPOCH, &stale) == 0)
		expect_frame("stale_key_in_slot/syn4", &s4, XDP_PASS,
			     SG_V_PASS_NO_KEY, SG_E_SYN_RX);

	if (set_key(CUR_EPOCH, &key100)) {
		sg_fail("no_key_restore", "cannot restore key slot %u",
			slot_of(CUR_EPOCH));
		return;
	}
	/* Back to normal. */
	{
		struct handshake hs;

		if (do_syn("key_restored/syn4", &s4, &lx, TSV_VAL, 0, &key100,
			   CUR_EPOCH, &hs) == 0) {
			ack_spec(&a, &hs, TH_ACK, 0);
			ack_ok("key_restored/syn4/ack", &a, &lx, NO_EVENT);
		}
	}
}

/* ---- decisions: what is not ours, engagement, monitor, limits ---- */

/* The configuration under test with changes; restored by cfg_restore(). */
static int cfg_write(const struct sg_config *c)
{
	return map_set(skel->maps.sg_config, 0, c, sizeof(*c));
}

static int cfg_restore(void)
{
	return cfg_write(&test_cfg);
}

enum dec_out {
	D_SAME,	  /* passed: frame unchanged, no metadata */
	D_NONE,	  /* dropped */
	D_SYNACK, /* the SYN-ACK, checked field by field (do_syn) */
};

struct dec_fix {
	const char *name;
	struct pkt_spec spec;
	mutate_fn mutate; /* edit the built frame (NULL: none) */
	long arg;
	__u32 verdict;
	enum dec_out out;
	int moved[4]; /* counters moving by one, the rest by none */
	int nmoved;
	struct attrs_exp x; /* D_SYNACK: the cookie's attributes */
};

#define MOVED(...)                \
	.moved = { __VA_ARGS__ }, \
	.nmoved = sizeof((int[]){ __VA_ARGS__ }) / sizeof(int)
#define DPASS(...) .verdict = XDP_PASS, .out = D_SAME, MOVED(__VA_ARGS__)
#define DDROP(...) .verdict = XDP_DROP, .out = D_NONE, MOVED(__VA_ARGS__)
#define DTX(x_)                                      \
	.verdict = XDP_TX, .out = D_SYNACK, .x = x_, \
	MOVED(SG_V_TX_SYNACK, SG_E_SYN_RX)
#define DFIX(n, outcome, ...)                               \
	{                                                   \
		.name = n, outcome, .spec = { __VA_ARGS__ } \
	}
#define DFIXM(n, fn, a, outcome, ...)                                 \
	{                                                             \
		.name = n, .mutate = fn, .arg = a, outcome, .spec = { \
			__VA_ARGS__                                   \
		}                                                     \
	}

#define IP4(a, b, c, d)    \
	{                  \
		a, b, c, d \
	}
#define SRC4(a, b, c, d) .src_ip = IP4(a, b, c, d)
#define DST4(a, b, c, d) .dst_ip = IP4(a, b, c, d)
/* IPv6 addresses: 16 bytes. */
#define IP6(...)            \
	{                   \
		__VA_ARGS__ \
	}
#define MAC(...)            \
	{                   \
		__VA_ARGS__ \
	}
#define NOT_LOCAL DPASS(SG_V_PASS_NOT_LOCAL, SG_E_SYN_RX)

/* The builder takes an all-zero address for "default": zero it after. */
static void m_src_zero(struct pkt *p, long unused)
{
	__u8 *ip = p->data + p->l3;

	(void)unused;
	if ((ip[0] >> 4) == 4)
		memset(ip + 12, 0, 4);
	else
		memset(ip + 8, 0, 16);
	pkt_fix_csums(p);
}

static void run_dec(const struct dec_fix *f)
{
	char why[WHY_MAX] = "";
	struct handshake hs;
	struct pkt p;
	struct run r;

	if (f->out == D_SYNACK && !f->mutate) {
		do_syn(f->name, &f->spec, &f->x, 0, 0, &key100, CUR_EPOCH, &hs);
		return;
	}
	if (pkt_build(&p, &f->spec)) {
		sg_fail(f->name, "cannot build the frame");
		return;
	}
	if (f->mutate)
		f->mutate(&p, f->arg);
	run_prog(&p, &r);
	check_runv(&r, f->verdict, f->moved, f->nmoved, why, sizeof(why));
	if (f->out == D_SAME)
		check_unchanged(&r, &p, why, sizeof(why));
	report(f->name, why);
}

static void run_decs(const struct dec_fix *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		run_dec(&f[i]);
}

/* Multicast/broadcast and impossible addresses (no daemon sets needed). */
static const struct dec_fix martian_fixes[] = {
	/* Ethernet destination: group bit set. */
	DFIX("martian/syn4_dst_mac_broadcast", NOT_LOCAL, SYN4(80),
	     .dst_mac = MAC(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)),
	DFIX("martian/syn4_dst_mac_ipv4_multicast", NOT_LOCAL, SYN4(80),
	     .dst_mac = MAC(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01)),
	DFIX("martian/syn6_dst_mac_ipv6_multicast", NOT_LOCAL, SYN6(443),
	     .dst_mac = MAC(0x33, 0x33, 0x00, 0x00, 0x00, 0x01)),
	DFIX("martian/syn4_qinq_dst_mac_multicast", NOT_LOCAL, QQ, SYN4(80),
	     .dst_mac = MAC(0x03, 0x00, 0x00, 0x00, 0x00, 0x01)),
	DFIX("martian/syn4_dst_mac_unicast_answered", DTX(XS(6)), SYN4(80),
	     .dst_mac = MAC(0xfe, 0xff, 0xff, 0xff, 0xff, 0xff)),
	/* IPv4 sources. */
	DFIXM("martian/syn4_src_0.0.0.0", m_src_zero, 0, NOT_LOCAL, SYN4(80)),
	DFIX("martian/syn4_src_0.1.2.3", NOT_LOCAL, SYN4(80), SRC4(0, 1, 2, 3)),
	DFIX("martian/syn4_src_127.0.0.1", NOT_LOCAL, SYN4(80),
	     SRC4(127, 0, 0, 1)),
	DFIX("martian/syn4_src_127.255.255.254", NOT_LOCAL, SYN4(80),
	     SRC4(127, 255, 255, 254)),
	DFIX("martian/syn4_src_224.0.0.1_multicast", NOT_LOCAL, SYN4(80),
	     SRC4(224, 0, 0, 1)),
	DFIX("martian/syn4_src_239.255.255.250_multicast", NOT_LOCAL, SYN4(80),
	     SRC4(239, 255, 255, 250)),
	DFIX("martian/syn4_src_240.0.0.1_reserved", NOT_LOCAL, SYN4(80),
	     SRC4(240, 0, 0, 1)),
	DFIX("martian/syn4_src_255.255.255.255_broadcast", NOT_LOCAL, SYN4(80),
	     SRC4(255, 255, 255, 255)),
	DFIX("martian/syn4_8021q_src_127.0.0.1", NOT_LOCAL, Q1, SYN4(443),
	     SRC4(127, 0, 0, 1)),
	/* ... and their neighbours, answered. */
	DFIX("martian/syn4_src_1.0.0.1_answered", DTX(XS(6)), SYN4(80),
	     SRC4(1, 0, 0, 1)),
	DFIX("martian/syn4_src_126.255.255.254_answered", DTX(XS(6)), SYN4(80),
	     SRC4(126, 255, 255, 254)),
	DFIX("martian/syn4_src_128.0.0.1_answered", DTX(XS(6)), SYN4(80),
	     SRC4(128, 0, 0, 1)),
	DFIX("martian/syn4_src_223.255.255.254_answered", DTX(XS(6)), SYN4(80),
	     SRC4(223, 255, 255, 254)),
	/* IPv4 destinations. */
	DFIX("martian/syn4_dst_224.0.0.5_multicast", NOT_LOCAL, SYN4(80),
	     DST4(224, 0, 0, 5)),
	DFIX("martian/syn4_dst_239.1.2.3_multicast", NOT_LOCAL, SYN4(80),
	     DST4(239, 1, 2, 3)),
	DFIX("martian/syn4_dst_255.255.255.255_broadcast", NOT_LOCAL, SYN4(80),
	     DST4(255, 255, 255, 255)),
	DFIX("martian/syn4_dst_223.255.255.254_answered", DTX(XS(6)), SYN4(80),
	     DST4(223, 255, 255, 254)),
	/* IPv6 sources. */
	DFIXM("martian/syn6_src_unspecified", m_src_zero, 0, NOT_LOCAL,
	      SYN6(80)),
	DFIX("martian/syn6_src_loopback", NOT_LOCAL, SYN6(80),
	     .src_ip = IP6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)),
	DFIX("martian/syn6_src_ff02::1_multicast", NOT_LOCAL, SYN6(80),
	     .src_ip =
		     IP6(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)),
	DFIX("martian/syn6_src_ff0e::1_multicast", NOT_LOCAL, QQ, SYN6(443),
	     .src_ip =
		     IP6(0xff, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)),
	DFIX("martian/syn6_src_::2_answered", DTX(XS(6)), SYN6(80),
	     .src_ip = IP6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2)),
	DFIX("martian/syn6_src_fe80::1_answered", DTX(XS(6)), SYN6(80),
	     .src_ip =
		     IP6(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)),
	DFIX("martian/syn6_src_feff::1_answered", DTX(XS(6)), SYN6(80),
	     .src_ip =
		     IP6(0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)),
	/* IPv6 destinations. */
	DFIX("martian/syn6_dst_ff02::1_multicast", NOT_LOCAL, SYN6(80),
	     .dst_ip =
		     IP6(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)),
	DFIX("martian/syn6_dst_ff05::1:3_multicast", NOT_LOCAL, SYN6(443),
	     .dst_ip =
		     IP6(0xff, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3)),
	/* ACKs from impossible sources are the kernel's too (it drops
	 * martians): passed before any socket lookup or cookie check. */
	DFIX("martian/ack4_src_127.0.0.1_not_local", DPASS(SG_V_PASS_NOT_LOCAL),
	     TCP4(80, TH_ACK), SRC4(127, 0, 0, 1)),
	/* Before the option walk's verdicts: a martian with TCP-MD5. */
	DFIX("martian/syn4_src_127.0.0.1_tcp_md5", NOT_LOCAL, TCP4(80, TH_SYN),
	     SRC4(127, 0, 0, 1),
	     PKT_OPTS(2, 4, 5, 0xb4, 1, 1, 19, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9,
		      10, 11, 12, 13, 14, 15, 16)),
};

/* TCP-MD5 (kind 19) and TCP-AO (kind 29): the kernel's to check. */
#define MD5OPT                                                              \
	19, 18, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, \
		0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0
#define AOOPT                                                               \
	29, 16, 1, 1, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, \
		0xaa, 0xab, 0xac

static const struct dec_fix auth_fixes[] = {
	DFIX("tcp_auth/syn4_md5", DPASS(SG_V_PASS_TCP_AUTH, SG_E_SYN_RX),
	     TCP4(80, TH_SYN), PKT_OPTS(2, 4, 5, 0xb4, 1, 1, MD5OPT)),
	DFIX("tcp_auth/syn6_md5_linux", DPASS(SG_V_PASS_TCP_AUTH, SG_E_SYN_RX),
	     TCP6(443, TH_SYN),
	     PKT_OPTS(2, 4, 5, 0xb4, 1, 1, MD5OPT, 1, 3, 3, 7)),
	DFIX("tcp_auth/syn4_ao", DPASS(SG_V_PASS_TCP_AUTH, SG_E_SYN_RX),
	     TCP4(443, TH_SYN), PKT_OPTS(AOOPT, 2, 4, 5, 0xb4)),
	DFIX("tcp_auth/syn6_qinq_ao", DPASS(SG_V_PASS_TCP_AUTH, SG_E_SYN_RX),
	     QQ, TCP6(80, TH_SYN), PKT_OPTS(2, 4, 5, 0xb4, AOOPT)),
	DFIX("tcp_auth/ack4_md5", DPASS(SG_V_PASS_TCP_AUTH), TCP4(80, TH_ACK),
	     PKT_OPTS(1, 1, MD5OPT)),
	DFIX("tcp_auth/ack6_ao_data", DPASS(SG_V_PASS_TCP_AUTH),
	     TCP6(443, TH_ACK | TH_PSH), PKT_OPTS(AOOPT), .paylen = 100),
	DFIX("tcp_auth/ack4_ts_md5", DPASS(SG_V_PASS_TCP_AUTH),
	     TCP4(80, TH_ACK),
	     PKT_OPTS(1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1, MD5OPT)),
	/* Other options are not: kind 28 (user timeout), kind 30 (MPTCP). */
	DFIX("tcp_auth/syn4_kind28_answered", DTX(XS(6)), TCP4(80, TH_SYN),
	     PKT_OPTS(2, 4, 5, 0xb4, 28, 4, 0x80, 0x10)),
	DFIX("tcp_auth/syn4_kind30_answered", DTX(XS(6)), TCP4(80, TH_SYN),
	     PKT_OPTS(2, 4, 5, 0xb4, 30, 4, 0x00, 0x81)),
	DFIX("tcp_auth/ack4_kind28_cookie_checked", DDROP(SG_V_DROP_COOKIE_BAD),
	     TCP4(80, TH_ACK), PKT_OPTS(28, 4, 0x80, 0x10)),
};

/* A valid cookie ACK with a TCP-MD5 option: still the kernel's. */
static void run_auth_valid_cookie(void)
{
	const struct attrs_exp lx = LINUX_X;
	const struct pkt_spec s4 = { SYNL4(80), .sport = 40404 };
	const __u8 md5[] = { 1, 1, MD5OPT };
	struct handshake hs;
	struct pkt_spec a;

	if (do_syn("tcp_auth/valid/syn4", &s4, &lx, TSV_VAL, 0, &key100,
		   CUR_EPOCH, &hs))
		return;
	ack_spec(&a, &hs, TH_ACK, 0);
	ack_ok("tcp_auth/valid/ack4", &a, &lx, NO_EVENT);
	memcpy(a.opts + a.optlen, md5, sizeof(md5));
	a.optlen += sizeof(md5);
	expect_frame("tcp_auth/valid/ack4_with_md5_passed_unchecked", &a,
		     XDP_PASS, SG_V_PASS_TCP_AUTH, NO_EVENT);
}

/*
 * With the daemon's sets (SG_CFG_LOCAL): sg_local4/6 hold the default
 * destinations 198.51.100.2 and 2001:db8::2; ports 80, 443, 8080, 8443
 * protected; listeners on 80 and 443, an MPTCP listener on 8443, none on
 * 8080.
 */
static const struct dec_fix local_fixes[] = {
	DFIX("local/syn4_local_dst_listener", DTX(XS(6)), SYN4(80)),
	DFIX("local/syn6_local_dst_listener", DTX(XS(6)), SYN6(443)),
	DFIX("local/syn4_qinq_local_dst_listener", DTX(XS(6)), QQ, SYN4(443)),
	DFIX("local/syn4_other_dst", NOT_LOCAL, SYN4(80),
	     DST4(198, 51, 100, 3)),
	DFIX("local/syn4_other_dst_8021q", NOT_LOCAL, Q1, SYN4(443),
	     DST4(203, 0, 113, 2)),
	DFIX("local/syn6_other_dst", NOT_LOCAL, SYN6(443),
	     .dst_ip = IP6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			   0, 3)),
	/* The IPv4 address as an IPv4-mapped IPv6 destination is not it. */
	DFIX("local/syn6_v4mapped_dst", NOT_LOCAL, SYN6(80),
	     .dst_ip = IP6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51,
			   100, 2)),
	DFIX("local/syn4_no_listener_8080",
	     DPASS(SG_V_PASS_NO_LISTENER, SG_E_SYN_RX), SYN4(8080)),
	DFIX("local/syn6_no_listener_8080",
	     DPASS(SG_V_PASS_NO_LISTENER, SG_E_SYN_RX), SYN6(8080)),
	DFIX("local/syn4_mptcp_8443", DPASS(SG_V_PASS_MPTCP, SG_E_SYN_RX),
	     SYN4(8443)),
	DFIX("local/syn6_qinq_mptcp_8443", DPASS(SG_V_PASS_MPTCP, SG_E_SYN_RX),
	     QQ, SYN6(8443)),
	DFIX("local/ack4_mptcp_8443", DPASS(SG_V_PASS_MPTCP),
	     TCP4(8443, TH_ACK)),
	DFIX("local/ack6_mptcp_8443_data", DPASS(SG_V_PASS_MPTCP),
	     TCP6(8443, TH_ACK | TH_PSH), .paylen = 64),
	DFIX("local/ack4_mptcp_8443_ts", DPASS(SG_V_PASS_MPTCP),
	     TCP4(8443, TH_ACK), PKT_OPTS(1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8)),
	/* An ACK to a listener's port is checked; one to a port nothing
	 * listens on here (a DNAT'd service's) is the kernel's. */
	DFIX("local/ack4_port80_cookie_checked", DDROP(SG_V_DROP_COOKIE_BAD),
	     TCP4(80, TH_ACK)),
	DFIX("local/ack6_port8080_no_listener", DPASS(SG_V_PASS_NO_LISTENER),
	     TCP6(8080, TH_ACK)),
	/* Impossible sources first, whatever the sets say. */
	DFIX("local/syn4_src_127.0.0.1_local_dst", NOT_LOCAL, SYN4(80),
	     SRC4(127, 0, 0, 1)),
	/* An unprotected port is still just that. */
	DFIX("local/syn4_port22", DPASS(SG_V_PASS_PORT), SYN4(22)),
};

static int set_lport(__u16 port, int listen, int mptcp)
{
	struct sg_lport lp = { 0 };
	__u32 idx = port >> 5;

	bpf_map__lookup_elem(skel->maps.sg_lports, &idx, sizeof(idx), &lp,
			     sizeof(lp), 0);
	lp.listen = (lp.listen & ~(1u << (port & 31))) |
		    (listen ? 1u << (port & 31) : 0);
	lp.mptcp = (lp.mptcp & ~(1u << (port & 31))) |
		   (mptcp ? 1u << (port & 31) : 0);
	return map_set(skel->maps.sg_lports, idx, &lp, sizeof(lp));
}

static int set_port_protected(__u16 port, int on)
{
	__u32 idx = port >> 5, w = 0;

	bpf_map__lookup_elem(skel->maps.sg_ports, &idx, sizeof(idx), &w,
			     sizeof(w), 0);
	w = on ? w | 1u << (port & 31) : w & ~(1u << (port & 31));
	return map_set(skel->maps.sg_ports, idx, &w, sizeof(w));
}

static void run_local(void)
{
	const __u8 d4[4] = { 198, 51, 100, 2 };
	const __u8 d6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
			      0,    0,	  0,	0,    0, 0, 0, 2 };
	struct sg_config c = test_cfg;
	struct sg_in6 k6;
	__u32 k4, one = 1;
	int err = 0;

	memcpy(&k4, d4, 4);
	memcpy(k6.addr, d6, 16);
	c.flags |= SG_CFG_LOCAL;
	err |= bpf_map__update_elem(skel->maps.sg_local4, &k4, sizeof(k4), &one,
				    sizeof(one), BPF_ANY);
	err |= bpf_map__update_elem(skel->maps.sg_local6, &k6, sizeof(k6), &one,
				    sizeof(one), BPF_ANY);
	err |= set_port_protected(8080, 1) | set_port_protected(8443, 1);
	err |= set_lport(80, 1, 0) | set_lport(443, 1, 0) |
	       set_lport(8443, 1, 1);
	err |= cfg_write(&c);
	if (err) {
		sg_fail("local/setup", "cannot fill the sets: %s",
			strerror(errno));
		cfg_restore();
		return;
	}
	run_decs(local_fixes, sizeof(local_fixes) / sizeof(local_fixes[0]));

	/* The same with the addresses in the config's short lists and the
	 * hash maps empty: the in-place compare must give the same answers. */
	bpf_map__delete_elem(skel->maps.sg_local4, &k4, sizeof(k4), 0);
	bpf_map__delete_elem(skel->maps.sg_local6, &k6, sizeof(k6), 0);
	c.nlocal4 = 3;
	c.local4[0] = htonl(0x0a000001); /* 10.0.0.1 */
	c.local4[1] = htonl(0xc000024d); /* 192.0.2.77 */
	memcpy(&c.local4[2], d4, 4);
	c.nlocal6 = 2;
	memset(c.local6, 0, sizeof(c.local6));
	c.local6[0][0] = htonl(0xfe800000);
	c.local6[0][3] = htonl(1);
	memcpy(c.local6[1], d6, 16);
	if (cfg_write(&c)) {
		sg_fail("local/list/setup", "cannot write the config: %s",
			strerror(errno));
	} else {
		char names[sizeof(local_fixes) / sizeof(local_fixes[0])][96];
		struct dec_fix f[sizeof(local_fixes) / sizeof(local_fixes[0])];
		size_t i;

		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			f[i] = local_fixes[i];
			snprintf(names[i], sizeof(names[i]), "local/list/%s",
				 local_fixes[i].name + strlen("local/"));
			f[i].name = names[i];
		}
		run_decs(f, sizeof(f) / sizeof(f[0]));
	}
	/* The count bounds the list: an address past it is not local... */
	c.nlocal4 = 2;
	c.nlocal6 = 1;
	if (!cfg_write(&c)) {
		const struct dec_fix f[] = {
			DFIX("local/list/syn4_past_the_count", NOT_LOCAL,
			     SYN4(80)),
			DFIX("local/list/syn6_past_the_count", NOT_LOCAL,
			     SYN6(443)),
		};

		run_decs(f, 2);
	}
	/* One address of a family is compared in line (sg_dst_local()):
	 * the destination is local only when all of it matches. */
	c.nlocal4 = 1;
	memcpy(&c.local4[0], d4, 4);
	c.nlocal6 = 1;
	memcpy(c.local6[0], d6, 16);
	if (!cfg_write(&c)) {
		const struct dec_fix f[] = {
			DFIX("local/one/syn4_answered", DTX(XS(6)), SYN4(80)),
			DFIX("local/one/syn6_answered", DTX(XS(6)), SYN6(443)),
		};

		run_decs(f, 2);
	}
	c.local4[0] ^= htonl(1);
	memcpy(&c.local4[1], d4, 4); /* past the count */
	if (!cfg_write(&c)) {
		const struct dec_fix f[] = {
			DFIX("local/one/syn4_other_address_not_local",
			     NOT_LOCAL, SYN4(80)),
		};

		run_decs(f, 1);
	}
	for (int w = 0; w < 4; w++) {
		char nm[64];
		struct dec_fix f[] = {
			DFIX("", NOT_LOCAL, SYN6(443)),
		};

		memcpy(c.local6[0], d6, 16);
		c.local6[0][w] ^= htonl(0x100);
		snprintf(nm, sizeof(nm),
			 "local/one/syn6_word_%d_differs_not_local", w);
		f[0].name = nm;
		if (!cfg_write(&c))
			run_decs(f, 1);
	}
	/* ... the last slot of a full list is, and a count beyond the list
	 * sends the lookup to the (now empty) hash maps. */
	c.nlocal4 = SG_LOCAL_LIST;
	memset(c.local4, 0, sizeof(c.local4));
	memcpy(&c.local4[SG_LOCAL_LIST - 1], d4, 4);
	c.nlocal6 = SG_LOCAL_LIST6;
	memset(c.local6, 0, sizeof(c.local6));
	memcpy(c.local6[SG_LOCAL_LIST6 - 1], d6, 16);
	if (!cfg_write(&c)) {
		const struct dec_fix f[] = {
			DFIX("local/list/syn4_last_slot", DTX(XS(6)), SYN4(80)),
			DFIX("local/list/syn6_last_slot", DTX(XS(6)),
			     SYN6(443)),
		};

		run_decs(f, 2);
	}
	c.nlocal4 = SG_LOCAL_LIST + 1;
	c.nlocal6 = SG_LOCAL_LIST6 + 1;
	if (!cfg_write(&c)) {
		const struct dec_fix f[] = {
			DFIX("local/list/syn4_count_over_list_uses_map",
			     NOT_LOCAL, SYN4(80)),
			DFIX("local/list/syn6_count_over_list_uses_map",
			     NOT_LOCAL, SYN6(443)),
		};

		run_decs(f, 2);
	}
	err = bpf_map__update_elem(skel->maps.sg_local4, &k4, sizeof(k4), &one,
				   sizeof(one), BPF_ANY) |
	      bpf_map__update_elem(skel->maps.sg_local6, &k6, sizeof(k6), &one,
				   sizeof(one), BPF_ANY);
	if (!err) {
		const struct dec_fix f[] = {
			DFIX("local/list/syn4_count_over_list_map_hit",
			     DTX(XS(6)), SYN4(80)),
			DFIX("local/list/syn6_count_over_list_map_hit",
			     DTX(XS(6)), SYN6(443)),
		};

		run_decs(f, 2);
	}
	cfg_restore();
	set_port_protected(8080, 0);
	set_port_protected(8443, 0);
	/* Without the flag the sets are not looked at. */
	{
		const struct dec_fix f[] = {
			DFIX("local/flag_off/syn4_other_dst_answered",
			     DTX(XS(6)), SYN4(80), DST4(198, 51, 100, 3)),
		};

		run_decs(f, 1);
	}
}

/* --engage auto: SYNs are answered only while sg_epoch says engaged. */
static void run_engage(void)
{
	const struct attrs_exp lx = LINUX_X;
	const struct pkt_spec s4 = { SYNL4(80), .sport = 40501 };
	const struct pkt_spec s6 = { QQ, SYN6(443), .sport = 40502 };
	struct sg_config c = test_cfg;
	struct handshake hs;
	struct pkt_spec a;
	int have = 0;

	c.flags |= SG_CFG_ENGAGE_AUTO;
	if (cfg_write(&c) || set_epoch_engaged(CUR_EPOCH, 1)) {
		sg_fail("engage/setup", "cannot configure: %s",
			strerror(errno));
		return;
	}
	have = do_syn("engage/engaged/syn4", &s4, &lx, TSV_VAL, 0, &key100,
		      CUR_EPOCH, &hs) == 0;
	if (set_epoch_engaged(CUR_EPOCH, 0)) {
		sg_fail("engage/setup", "cannot disengage: %s",
			strerror(errno));
		cfg_restore();
		return;
	}
	expect_frame("engage/not_engaged/syn4", &s4, XDP_PASS,
		     SG_V_PASS_NOT_ENGAGED, SG_E_SYN_RX);
	expect_frame("engage/not_engaged/syn6_qinq", &s6, XDP_PASS,
		     SG_V_PASS_NOT_ENGAGED, SG_E_SYN_RX);
	/* Cookies issued while engaged still complete after. */
	if (have) {
		ack_spec(&a, &hs, TH_ACK, 0);
		ack_ok("engage/not_engaged/ack_of_engaged_synack", &a, &lx,
		       NO_EVENT);
		a.ack ^= 1;
		expect_frame("engage/not_engaged/forged_ack_dropped", &a,
			     XDP_DROP, SG_V_DROP_COOKIE_BAD, NO_EVENT);
	}
	/* Not ours comes first. */
	{
		const struct dec_fix f[] = {
			DFIX("engage/not_engaged/syn4_dst_multicast", NOT_LOCAL,
			     SYN4(80), DST4(224, 0, 0, 9)),
		};

		run_decs(f, 1);
	}
	set_epoch_engaged(CUR_EPOCH, 1);
	do_syn("engage/engaged_again/syn6_qinq", &s6, &(struct attrs_exp)XS(6),
	       0, 0, &key100, CUR_EPOCH, &hs);
	cfg_restore();
	/* Without --engage auto the engaged bit means nothing. */
	set_epoch_engaged(CUR_EPOCH, 0);
	do_syn("engage/always/syn4_engaged_bit_clear", &s4, &lx, TSV_VAL, 0,
	       &key100, CUR_EPOCH, &hs);
	set_epoch(CUR_EPOCH);
}

/* Run spec (after mutate) and expect the counters in moved[], verdict. */
static void expect_v(const char *name, const struct pkt_spec *spec,
		     mutate_fn mutate, long arg, __u32 verdict,
		     enum dec_out out, const int *moved, int nmoved)
{
	struct dec_fix f = { .name = name,
			     .spec = *spec,
			     .mutate = mutate,
			     .arg = arg,
			     .verdict = verdict,
			     .out = out,
			     .nmoved = nmoved };

	memcpy(f.moved, moved, (size_t)nmoved * sizeof(int));
	run_dec(&f);
}

#define EXPECT_V(name, spec, mut, arg, verdict, out, ...)                    \
	expect_v(name, spec, mut, arg, verdict, out, (int[]){ __VA_ARGS__ }, \
		 sizeof((int[]){ __VA_ARGS__ }) / sizeof(int))

/*
 * --engage monitor: every frame comes back unmodified with XDP_PASS; the
 * decision synguard would have taken is counted, and monitor_passed when
 * it would not have passed the frame.
 */
static void run_monitor(void)
{
	const struct attrs_exp lx = LINUX_X;
	const struct pkt_spec s4 = { SYNL4(80), .sport = 40601 };
	const struct pkt_spec s6 = { QQ, SYN6(443), .sport = 40602,
				     .paylen = 30 };
	const struct pkt_spec forged = { TCP4(80, TH_ACK), .sport = 40603,
					 .ack = 0x31337 };
	const struct pkt_spec deny = { SYNL4(80), SRC4(192, 0, 2, 66) };
	const struct pkt_spec deny_ack = { TCP6(443, TH_ACK),
					   .src_ip = IP6(0x20, 0x01, 0x0d, 0xb8,
							 0, 0, 0, 0, 0, 0, 0, 0,
							 0, 0, 0, 0x66) };
	const struct pkt_spec port22 = { SYN4(22) };
	const struct pkt_spec synfin = { TCP4(80, TH_SYN | TH_FIN) };
	const struct pkt_spec mcast = { SYN4(80), DST4(224, 0, 0, 1) };
	struct sg_config c = test_cfg;
	struct sg_lpm4 d4 = { .prefixlen = 32 };
	struct sg_lpm6 d6 = { .prefixlen = 128 };
	struct handshake hs;
	struct pkt_spec a;
	__u32 one = 1;
	int have;

	memcpy(&d4.addr, deny.src_ip, 4);
	memcpy(d6.addr, deny_ack.src_ip, 16);
	if (bpf_map__update_elem(skel->maps.sg_deny4, &d4, sizeof(d4), &one,
				 sizeof(one), BPF_ANY) ||
	    bpf_map__update_elem(skel->maps.sg_deny6, &d6, sizeof(d6), &one,
				 sizeof(one), BPF_ANY)) {
		sg_fail("monitor/setup", "cannot fill the denylists: %s",
			strerror(errno));
		return;
	}
	/* The handshake to complete under monitor, begun while active. */
	have = do_syn("monitor/before/syn4", &s4, &lx, TSV_VAL, 0, &key100,
		      CUR_EPOCH, &hs) == 0;
	/* Without monitor the denylist drops (the control). */
	c.flags |= SG_CFG_DENY4 | SG_CFG_DENY6;
	cfg_write(&c);
	EXPECT_V("monitor/off/syn4_denylisted_dropped", &deny, NULL, 0,
		 XDP_DROP, D_NONE, SG_V_DROP_DENY);
	EXPECT_V("monitor/off/ack6_denylisted_dropped", &deny_ack, NULL, 0,
		 XDP_DROP, D_NONE, SG_V_DROP_DENY);

	c.flags |= SG_CFG_MONITOR;
	if (cfg_write(&c)) {
		sg_fail("monitor/setup", "cannot configure: %s",
			strerror(errno));
		cfg_restore();
		return;
	}
	EXPECT_V("monitor/syn4_would_answer", &s4, NULL, 0, XDP_PASS, D_SAME,
		 SG_V_TX_SYNACK, SG_E_SYN_RX, SG_E_MONITOR_PASSED);
	EXPECT_V("monitor/syn6_qinq_payload_would_answer", &s6, NULL, 0,
		 XDP_PASS, D_SAME, SG_V_TX_SYNACK, SG_E_SYN_RX,
		 SG_E_SYN_PAYLOAD, SG_E_MONITOR_PASSED);
	EXPECT_V("monitor/forged_ack_would_drop", &forged, NULL, 0, XDP_PASS,
		 D_SAME, SG_V_DROP_COOKIE_BAD, SG_E_MONITOR_PASSED);
	EXPECT_V("monitor/syn4_denylisted_would_drop", &deny, NULL, 0, XDP_PASS,
		 D_SAME, SG_V_DROP_DENY, SG_E_MONITOR_PASSED);
	EXPECT_V("monitor/ack6_denylisted_would_drop", &deny_ack, NULL, 0,
		 XDP_PASS, D_SAME, SG_V_DROP_DENY, SG_E_MONITOR_PASSED);
	EXPECT_V("monitor/synfin_would_drop", &synfin, NULL, 0, XDP_PASS,
		 D_SAME, SG_V_DROP_BAD_FLAGS, SG_E_MONITOR_PASSED);
	EXPECT_V("monitor/tcp_doff4_would_drop", &s4, m_doff, 4, XDP_PASS,
		 D_SAME, SG_V_DROP_MALFORMED_TCP, SG_E_MONITOR_PASSED);
	/* What passes anyway is not monitor_passed. */
	EXPECT_V("monitor/syn4_port22_passes_anyway", &port22, NULL, 0,
		 XDP_PASS, D_SAME, SG_V_PASS_PORT);
	EXPECT_V("monitor/syn4_multicast_dst_passes_anyway", &mcast, NULL, 0,
		 XDP_PASS, D_SAME, SG_V_PASS_NOT_LOCAL, SG_E_SYN_RX);
	/* A valid cookie: counted, passed without metadata (no hand-off). */
	if (have) {
		ack_spec(&a, &hs, TH_ACK, 0);
		EXPECT_V("monitor/valid_ack_passed_without_metadata", &a, NULL,
			 0, XDP_PASS, D_SAME, SG_V_PASS_COOKIE_OK);
	}
	cfg_restore();
	bpf_map__delete_elem(skel->maps.sg_deny4, &d4, sizeof(d4), 0);
	bpf_map__delete_elem(skel->maps.sg_deny6, &d6, sizeof(d6), 0);
	/* Active again: the same SYN gets its SYN-ACK. */
	do_syn("monitor/after/syn4", &s4, &lx, TSV_VAL, 0, &key100, CUR_EPOCH,
	       &hs);
}

/*
 * The slot hashes of the program (sg_hash), written out here: the guard
 * case needs two sources in one sg_recent slot, and proves the hash by
 * their displacing each other.
 */
static __u64 t_hash(const __u32 *a, int v6, __u64 key)
{
	__u64 k = key | 1, h;

	h = (__u64)(a[0] ^ (__u32)(key >> 32)) * k;
	if (v6) {
		h = ((h ^ (h >> 29)) + a[1]) * k;
		h = ((h ^ (h >> 29)) + a[2]) * k;
		h = ((h ^ (h >> 29)) + a[3]) * k;
	}
	return h ^ (h >> 32);
}

/* Zero every element of an array map. */
static int clear_array(struct bpf_map *m)
{
	__u32 n = bpf_map__max_entries(m), vs = bpf_map__value_size(m), i;
	void *zero = calloc(1, vs);
	int err = 0;

	if (!zero)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++)
		err = bpf_map__update_elem(m, &i, sizeof(i), zero, vs, BPF_ANY);
	free(zero);
	return err;
}

#define GUARD_BURST 4

/*
 * The reflection guard: GUARD_BURST SYN-ACKs per source prefix (/24,
 * /64), then drops; a source that completed a handshake (in sg_recent
 * with its exact fingerprint) is answered past it. The refill is 1 unit
 * (1/1024 SYN-ACK) per 2^24 ns: a whole SYN-ACK would take 17 s.
 */
static void run_guard_family(int fam)
{
	struct pkt_spec s = { 0 }, b, other, col;
	const struct attrs_exp mx = XS(6);
	char name[NAME_MAX_ + 32];
	struct handshake hs, first;
	struct pkt_spec a, ac;
	__u32 aw[4] = { 0 }, cw[4] = { 0 }, slot, n;
	int i, ok = 1;

	s.family = (__u8)fam;
	s.dport = 80;
	s.flags = TH_SYN;
	s.seq = 0x0a0b0c0d;
	memcpy(s.opts, (__u8[]){ 2, 4, 5, 0xb4 }, 4);
	s.optlen = 4;
	if (fam == 4) {
		memcpy(s.src_ip, (__u8[]){ 203, 0, 113, 7 }, 4);
	} else {
		memcpy(s.src_ip,
		       (__u8[]){ 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 0, 0, 0,
				 0, 0, 0, 7 },
		       16);
	}
	b = s; /* another source of the prefix */
	b.src_ip[fam == 4 ? 3 : 15] = 8;
	other = s; /* a source of another prefix */
	other.src_ip[fam == 4 ? 2 : 7] ^= 1;

	for (i = 0; i < GUARD_BURST; i++) {
		struct pkt_spec t = s;

		t.sport = (__u16)(41000 + i);
		snprintf(name, sizeof(name), "guard%d/burst_syn_%d_answered",
			 fam, i + 1);
		if (do_syn(name, &t, &mx, 0, 0, &key100, CUR_EPOCH,
			   i ? &hs : &first))
			ok = 0;
	}
	snprintf(name, sizeof(name), "guard%d/syn_%d_limited", fam,
		 GUARD_BURST + 1);
	s.sport = 41100;
	expect_frame(name, &s, XDP_DROP, SG_V_DROP_RATELIMIT, SG_E_SYN_RX);
	snprintf(name, sizeof(name), "guard%d/other_source_same_prefix_limited",
		 fam);
	expect_frame(name, &b, XDP_DROP, SG_V_DROP_RATELIMIT, SG_E_SYN_RX);
	snprintf(name, sizeof(name), "guard%d/other_prefix_answered", fam);
	do_syn(name, &other, &mx, 0, 0, &key100, CUR_EPOCH, &hs);
	if (!ok)
		return;

	/* The source completes a handshake: in sg_recent from now on. */
	ack_spec(&a, &first, TH_ACK, 0);
	snprintf(name, sizeof(name), "guard%d/valid_ack_completes", fam);
	ack_ok(name, &a, &mx, NO_EVENT);
	snprintf(name, sizeof(name), "guard%d/known_source_bypasses_guard",
		 fam);
	s.sport = 41101;
	do_syn_ev(name, &s, &mx, 0, SG_E_GUARD_BYPASS, &key100, CUR_EPOCH, &hs);
	snprintf(name, sizeof(name),
		 "guard%d/other_source_same_prefix_still_limited", fam);
	expect_frame(name, &b, XDP_DROP, SG_V_DROP_RATELIMIT, SG_E_SYN_RX);
	if (fam != 6)
		return;

	/*
	 * A source of the prefix sharing the known source's sg_recent slot
	 * (another fingerprint) is not known: the fingerprint is exact.
	 * Then it completes a handshake itself and takes the slot over, and
	 * the first source is limited again: the two did share the slot.
	 */
	memcpy(aw, s.src_ip, 16);
	slot = (__u32)(t_hash(aw, 1, test_cfg.hkey[1]) >> 48);
	col = s;
	for (n = 9; n < (1u << 22); n++) {
		memcpy(cw, s.src_ip, 16);
		cw[3] = htonl(n);
		if ((__u32)(t_hash(cw, 1, test_cfg.hkey[1]) >> 48) == slot)
			break;
	}
	memcpy(col.src_ip, cw, 16);
	col.sport = 41200;
	if (n == (1u << 22)) {
		sg_fail("guard6/slot_collision", "no address of the /64 found "
						 "sharing the slot");
		return;
	}
	expect_frame("guard6/same_slot_other_fingerprint_limited", &col,
		     XDP_DROP, SG_V_DROP_RATELIMIT, SG_E_SYN_RX);
	/* Its own handshake: minted here, it never got a SYN-ACK. */
	minted_ack(&ac, &col, &key100, CUR_EPOCH, &mx);
	ack_ok("guard6/same_slot_source_completes", &ac, &mx, NO_EVENT);
	col.sport = 41201;
	do_syn_ev("guard6/same_slot_source_now_bypasses", &col, &mx, 0,
		  SG_E_GUARD_BYPASS, &key100, CUR_EPOCH, &hs);
	s.sport = 41102;
	expect_frame("guard6/first_source_displaced_limited", &s, XDP_DROP,
		     SG_V_DROP_RATELIMIT, SG_E_SYN_RX);
}

static void run_guard(void)
{
	struct sg_config c = test_cfg;

	c.prefix4 = 24;
	c.prefix6 = 64;
	c.mask4 = htonl(0xffffff00u);
	c.mask6[0] = c.mask6[1] = 0xffffffffu;
	c.synack_rate = 1; /* on */
	c.synack_burst = GUARD_BURST;
	c.synack_mul = 1; /* 1024 units per 2^34 ns */
	c.synack_cap_ns = 1ULL << 40;
	if (clear_array(skel->maps.sg_sources) ||
	    clear_array(skel->maps.sg_recent) || cfg_write(&c)) {
		sg_fail("guard/setup", "cannot configure: %s", strerror(errno));
		cfg_restore();
		return;
	}
	run_guard_family(4);
	run_guard_family(6);
	cfg_restore();
}

/* CLOCK_MONOTONIC_COARSE: the clock bpf_ktime_get_coarse_ns() reads. */
static __u64 coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* A tick at HZ 100 or more: how far the program's clock may lag. */
#define TICK_SLACK_NS 10000000ULL

/*
 * The guard's clock (sg_now(): the coarse clock, read once per jiffy and
 * kept): a bucket's refill time is the coarse clock's time of the SYN,
 * and real time refills it. Burst 1, refill one SYN-ACK per 49 ms: the
 * first SYN spends the bucket, a SYN 150 ms later is answered from the
 * refill, and the bucket's time has moved with CLOCK_MONOTONIC_COARSE.
 * A clock that stood still between the two would leave it empty.
 */
static void run_guard_clock(void)
{
	const struct attrs_exp mx = XS(6);
	struct pkt_spec s = { SYN4(80), SRC4(198, 51, 100, 9), .sport = 43000 };
	struct sg_config c = test_cfg;
	struct sg_src b1 = { 0 }, b2 = { 0 };
	__u64 t0, t1, t2, t3;
	struct handshake hs;
	__u32 a[4] = { 0 }, slot;
	int err;

	c.prefix4 = 24;
	c.mask4 = htonl(0xffffff00u);
	c.synack_rate = 1;
	c.synack_burst = 1;
	c.synack_mul = 350; /* 1024 units (a SYN-ACK) per 49 ms */
	c.synack_cap_ns = 1ULL << 40;
	if (clear_array(skel->maps.sg_sources) ||
	    clear_array(skel->maps.sg_recent) || cfg_write(&c)) {
		sg_fail("guard_clock/setup", "cannot configure: %s",
			strerror(errno));
		cfg_restore();
		return;
	}
	memcpy(a, s.src_ip, 4);
	a[0] &= c.mask4;
	slot = (__u32)(t_hash(a, 0, c.hkey[0]) >> 48);

	t0 = coarse_ns();
	do_syn("guard_clock/first_syn_answered", &s, &mx, 0, 0, &key100,
	       CUR_EPOCH, &hs);
	t1 = coarse_ns();
	err = bpf_map__lookup_elem(skel->maps.sg_sources, &slot, sizeof(slot),
				   &b1, sizeof(b1), 0);
	SG_CHECK("guard_clock/first_syn_spent_the_bucket",
		 !err && b1.synack == 1 && b1.tokens < 1024,
		 "bucket: err %d, %llu SYN-ACKs, %llu units", err,
		 (unsigned long long)b1.synack, (unsigned long long)b1.tokens);
	SG_CHECK("guard_clock/refill_time_is_the_coarse_clock",
		 b1.last_ns + TICK_SLACK_NS >= t0 && b1.last_ns <= t1,
		 "bucket time %llu, coarse clock %llu..%llu",
		 (unsigned long long)b1.last_ns, (unsigned long long)t0,
		 (unsigned long long)t1);

	nanosleep(&(struct timespec){ .tv_nsec = 150000000 }, NULL);
	s.sport++;
	t2 = coarse_ns();
	do_syn("guard_clock/syn_150ms_later_answered_from_the_refill", &s, &mx,
	       0, 0, &key100, CUR_EPOCH, &hs);
	t3 = coarse_ns();
	err = bpf_map__lookup_elem(skel->maps.sg_sources, &slot, sizeof(slot),
				   &b2, sizeof(b2), 0);
	SG_CHECK("guard_clock/refill_time_moved_with_the_clock",
		 !err && b2.synack == 2 && b2.last_ns + TICK_SLACK_NS >= t2 &&
			 b2.last_ns <= t3 &&
			 b2.last_ns >=
				 b1.last_ns + 150000000ULL - TICK_SLACK_NS,
		 "bucket: err %d, %llu SYN-ACKs, time %llu (first %llu), "
		 "coarse clock %llu..%llu",
		 err, (unsigned long long)b2.synack,
		 (unsigned long long)b2.last_ns, (unsigned long long)b1.last_ns,
		 (unsigned long long)t2, (unsigned long long)t3);
	cfg_restore();
}

#define BADCK_BURST 4

/* Every sg_badck bucket holding @tokens, last refilled now. */
static int fill_badck(__u64 tokens)
{
	struct bpf_map *m = skel->maps.sg_badck;
	struct sg_badck b = { .tokens = tokens };
	struct timespec ts;
	__u32 i;
	int err = 0;

	/* bpf_ktime_get_ns() is CLOCK_MONOTONIC */
	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		return -errno;
	b.last_ns = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	for (i = 0; i < bpf_map__max_entries(m) && !err; i++)
		err = bpf_map__update_elem(m, &i, sizeof(i), &b, sizeof(b),
					   BPF_ANY);
	return err;
}

/*
 * The bad-cookie limiter: BADCK_BURST failures from one source, then its
 * ACKs in the ISN-only layout are dropped unchecked (even a valid one);
 * timestamp-layout ACKs are still checked; another source is unaffected.
 * Every bucket starts full, refilled just now (a bucket never touched has
 * its last refill at 0, the boot: in a guest booted a minute ago it holds
 * only the minute's refill, not the burst), and refills 1 unit (1/1024
 * ACK) per 2^24 ns: a whole ACK would take 17 s.
 */
static void run_badck(void)
{
	const struct attrs_exp lx = LINUX_X, mx = XS(6);
	struct pkt_spec x = { SYN4(80), SRC4(192, 0, 2, 77), .sport = 42000 };
	struct pkt_spec y = { SYN4(80), SRC4(192, 0, 2, 78), .sport = 42000 };
	struct pkt_spec x6 = { SYN6(443), .sport = 42000 };
	struct sg_config c = test_cfg;
	char name[NAME_MAX_ + 32];
	struct pkt_spec a, f, o;
	int i;

	x6.src_ip[0] = 0x20, x6.src_ip[1] = 0x01, x6.src_ip[15] = 0x77;
	c.badck_burst = BADCK_BURST;
	c.badck_mul = 1;
	c.badck_cap_ns = 1ULL << 40;
	if (fill_badck((__u64)BADCK_BURST << 10) || cfg_write(&c)) {
		sg_fail("badck/setup", "cannot configure: %s", strerror(errno));
		return;
	}
	/* Forged ISN-only ACKs: each checked and failed, burst of them. */
	for (i = 0; i < BADCK_BURST; i++) {
		f = x;
		f.flags = TH_ACK;
		f.optlen = 0;
		f.sport = (__u16)(42100 + i);
		f.ack = 0x1000 + (__u32)i;
		snprintf(name, sizeof(name), "badck/x_forged_%d_checked",
			 i + 1);
		expect_frame(name, &f, XDP_DROP, SG_V_DROP_COOKIE_BAD,
			     NO_EVENT);
	}
	f.ack++;
	expect_frame("badck/x_forged_after_burst_limited", &f, XDP_DROP,
		     SG_V_DROP_COOKIE_LIMITED, NO_EVENT);
	/* A valid ISN-only cookie of the source: not even checked. */
	minted_ack(&a, &x, &key100, CUR_EPOCH, &mx);
	expect_frame("badck/x_valid_nots_limited_unchecked", &a, XDP_DROP,
		     SG_V_DROP_COOKIE_LIMITED, NO_EVENT);
	o = x;
	o.sport = 42999;
	minted_ack(&a, &o, &key100, CUR_EPOCH, &mx);
	expect_frame("badck/x_valid_nots_other_port_limited", &a, XDP_DROP,
		     SG_V_DROP_COOKIE_LIMITED, NO_EVENT);
	/* Timestamp-layout cookies (53 MAC bits) are still checked. */
	minted_ack(&a, &x, &key100, CUR_EPOCH, &lx);
	ack_ok("badck/x_valid_ts_still_verified", &a, &lx, NO_EVENT);
	set_ts_opt(&a, 0x01010101, 0x12345678);
	expect_frame("badck/x_forged_ts_checked", &a, XDP_DROP,
		     SG_V_DROP_COOKIE_BAD, NO_EVENT);
	/* Another source: its own budget. */
	minted_ack(&a, &y, &key100, CUR_EPOCH, &mx);
	ack_ok("badck/y_valid_nots_verified", &a, &mx, NO_EVENT);
	a.ack ^= 1;
	expect_frame("badck/y_forged_nots_checked", &a, XDP_DROP,
		     SG_V_DROP_COOKIE_BAD, NO_EVENT);
	minted_ack(&a, &x6, &key100, CUR_EPOCH, &mx);
	ack_ok("badck/x6_valid_nots_verified", &a, &mx, NO_EVENT);
	/* The limiter off (burst 0): checked again. */
	cfg_restore();
	minted_ack(&a, &x, &key100, CUR_EPOCH, &mx);
	ack_ok("badck/off/x_valid_nots_verified", &a, &mx, NO_EVENT);
	expect_frame("badck/off/x_forged_checked", &f, XDP_DROP,
		     SG_V_DROP_COOKIE_BAD, NO_EVENT);
}

/*
 * --xdp-meta off (SG_CFG_NO_META): a verified ACK goes up without
 * metadata, counted as meta_failed; sg_flags (for a driver that cannot
 * do metadata) stays as it is.
 */
static void run_no_meta(void)
{
	const struct attrs_exp lx = LINUX_X, mx = XS(6);
	const struct pkt_spec s4 = { SYNL4(80), .sport = 40701 };
	const struct pkt_spec s6 = { SYN6(443), .sport = 40702 };
	struct sg_flags before = { 0 }, after = { 0 };
	struct sg_config c = test_cfg;
	struct handshake h4, h6;
	struct pkt_spec a;
	__u32 zero = 0;
	int have4, have6;

	have4 = do_syn("no_meta/syn4", &s4, &lx, TSV_VAL, 0, &key100, CUR_EPOCH,
		       &h4) == 0;
	have6 = do_syn("no_meta/syn6", &s6, &mx, 0, 0, &key100, CUR_EPOCH,
		       &h6) == 0;
	c.flags |= SG_CFG_NO_META;
	if (cfg_write(&c) ||
	    bpf_map__lookup_elem(skel->maps.sg_flags, &zero, sizeof(zero),
				 &before, sizeof(before), 0)) {
		sg_fail("no_meta/setup", "cannot configure: %s",
			strerror(errno));
		cfg_restore();
		return;
	}
	if (have4) {
		ack_spec(&a, &h4, TH_ACK, 0);
		EXPECT_V("no_meta/ack4_ts_passed_without_metadata", &a, NULL, 0,
			 XDP_PASS, D_SAME, SG_V_PASS_COOKIE_OK,
			 SG_E_META_FAILED);
		a.ack ^= 4;
		EXPECT_V("no_meta/forged_ack4_dropped", &a, NULL, 0, XDP_DROP,
			 D_NONE, SG_V_DROP_COOKIE_BAD);
	}
	if (have6) {
		ack_spec(&a, &h6, TH_ACK | TH_PSH, 40);
		EXPECT_V("no_meta/ack6_nots_data_passed_without_metadata", &a,
			 NULL, 0, XDP_PASS, D_SAME, SG_V_PASS_COOKIE_OK,
			 SG_E_META_FAILED);
	}
	if (bpf_map__lookup_elem(skel->maps.sg_flags, &zero, sizeof(zero),
				 &after, sizeof(after), 0))
		sg_fail("no_meta/sg_flags_unchanged", "cannot read sg_flags");
	else
		SG_CHECK("no_meta/sg_flags_unchanged",
			 after.meta_failed == before.meta_failed &&
				 after.meta_failed == 0 &&
				 after.pad == before.pad,
			 "meta_failed %u -> %u", before.meta_failed,
			 after.meta_failed);
	cfg_restore();
	if (have4) {
		ack_spec(&a, &h4, TH_ACK, 0);
		ack_ok("no_meta/off/ack4_with_metadata", &a, &lx, NO_EVENT);
	}
}

/* SG_CFG_KCOOKIE: no listener here, so no kernel cookie either. */
static void run_kcookie(void)
{
	struct sg_config c = test_cfg;
	const struct pkt_spec f = { TCP4(80, TH_ACK), .ack = 0x4242 };

	c.flags |= SG_CFG_KCOOKIE;
	if (cfg_write(&c)) {
		sg_fail("kcookie/setup", "cannot configure: %s",
			strerror(errno));
		return;
	}
	expect_frame("kcookie/forged_ack_no_listener_dropped", &f, XDP_DROP,
		     SG_V_DROP_COOKIE_BAD, NO_EVENT);
	cfg_restore();
}

/* ---- the ACK order (sg_ackmix) against a real established connection ---- */

/* The share after one more pure ACK, as the program keeps it. */
static __u32 mix_step(__u32 s, int handshake)
{
	return handshake ? s + ((SG_MIX_ONE - s) >> SG_MIX_SHIFT) :
			   s - (s >> SG_MIX_SHIFT);
}

static int mix_cpu = -1;

/* Every CPU's share set to @v. */
static int mix_set(__u32 v)
{
	size_t stride = 8; /* per-CPU values are 8-byte aligned */
	__u8 *buf = calloc((size_t)ncpus, stride);
	__u32 zero = 0;
	int i, err;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < ncpus; i++)
		memcpy(buf + (size_t)i * stride, &v, sizeof(v));
	err = bpf_map__update_elem(skel->maps.sg_ackmix, &zero, sizeof(zero),
				   buf, (size_t)ncpus * stride, BPF_ANY);
	free(buf);
	return err;
}

/* The share on the CPU the test runs on; ~0u when it cannot be read. */
static __u32 mix_get(void)
{
	size_t stride = 8;
	__u8 *buf = calloc((size_t)ncpus, stride);
	__u32 zero = 0, v = ~0u;

	if (!buf)
		return v;
	if (!bpf_map__lookup_elem(skel->maps.sg_ackmix, &zero, sizeof(zero),
				  buf, (size_t)ncpus * stride, 0))
		memcpy(&v, buf + (size_t)mix_cpu * stride, sizeof(v));
	free(buf);
	return v;
}

/* A frame's verdict, counter, unchanged output, and the share after it. */
static void expect_mix(const char *name, const struct pkt_spec *a,
		       __u32 verdict, int stat, __u32 mix_before,
		       __u32 mix_after)
{
	char why[WHY_MAX] = "";
	struct pkt p;
	struct run r;
	__u32 got;

	if (mix_set(mix_before) || pkt_build(&p, a)) {
		sg_fail(name, "cannot set up: %s", strerror(errno));
		return;
	}
	run_prog(&p, &r);
	check_run(&r, verdict, stat, NO_EVENT, why, sizeof(why));
	if (verdict == XDP_PASS && r.verdict == XDP_PASS)
		check_unchanged(&r, &p, why, sizeof(why));
	got = mix_get();
	if (got != mix_after)
		addf(why, sizeof(why), "share %u after it, expected %u", got,
		     mix_after);
	report(name, why);
}

/* One TCP connection from 203.0.113.7 to 198.51.100.2:80 (the frames'
 * default server address) inside this namespace. */
static int ao_connect(int fds[3], __u16 *cport)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int one = 1;

	fds[0] = fds[1] = fds[2] = -1;
	if (system("ip link set lo up && ip addr add 198.51.100.2/32 dev lo && "
		   "ip addr add 203.0.113.7/32 dev lo"))
		return -1;
	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_port = htons(80);
	inet_pton(AF_INET, "198.51.100.2", &a.sin_addr);
	if (fds[0] < 0 ||
	    setsockopt(fds[0], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fds[0], (struct sockaddr *)&a, sizeof(a)) || listen(fds[0], 4))
		return -1;
	fds[1] = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_port = 0;
	inet_pton(AF_INET, "203.0.113.7", &a.sin_addr);
	if (fds[1] < 0 || bind(fds[1], (struct sockaddr *)&a, sizeof(a)))
		return -1;
	a.sin_port = htons(80);
	inet_pton(AF_INET, "198.51.100.2", &a.sin_addr);
	if (connect(fds[1], (struct sockaddr *)&a, sizeof(a)))
		return -1;
	fds[2] = accept(fds[0], NULL, NULL);
	if (fds[2] < 0 || getsockname(fds[1], (struct sockaddr *)&a, &alen))
		return -1;
	*cport = ntohs(a.sin_port);
	return 0;
}

/*
 * The order of an ACK's two checks follows the mix of pure ACKs on each
 * CPU: the socket lookup first while established flows dominate, the
 * cookie first once 3/8 are handshakes. Verdicts must not depend on
 * it, with one visible exception that the test uses to tell the orders
 * apart: a valid cookie on the 4-tuple of a connection that exists (a
 * duplicate handshake ACK) passes as established with the lookup first,
 * and with metadata (for TC, which finds the socket and leaves it) with
 * the cookie first. The test runs on one CPU, in this process's own
 * network namespace (main), against a real connection on lo.
 */
static void run_ack_order(void)
{
	const struct attrs_exp lx = LINUX_X;
	const struct pkt_spec base = { SYN4(80), SRC4(203, 0, 113, 7) };
	struct pkt_spec syn, est, ck, a, f, hs;
	struct sg_config c = test_cfg;
	cpu_set_t old, one;
	struct sg_badck b0, b1;
	__u32 s, want, slot, src;
	__u16 cport = 0;
	int fds[3], i, n, pinned = 0;
	char name[NAME_MAX_ + 32];

	if (ao_connect(fds, &cport)) {
		sg_fail("ack_order/setup", "cannot make a connection on lo: %s",
			strerror(errno));
		goto out;
	}
	mix_cpu = sched_getcpu();
	CPU_ZERO(&one);
	CPU_SET(mix_cpu, &one);
	if (mix_cpu < 0 || sched_getaffinity(0, sizeof(old), &old) ||
	    sched_setaffinity(0, sizeof(one), &one)) {
		sg_fail("ack_order/setup", "cannot stay on one CPU: %s",
			strerror(errno));
		goto out;
	}
	pinned = 1;

	syn = base;
	syn.sport = cport;
	/* An ACK of the connection (no cookie in it), and a valid cookie on
	 * its 4-tuple (as a duplicate handshake ACK would carry). */
	est = syn;
	est.flags = TH_ACK;
	est.seq = 0x11110000;
	est.ack = 0x22220000;
	set_ts_opt(&est, 0x0badf00d, 0x0c0ffee0);
	minted_ack(&ck, &syn, &key100, CUR_EPOCH, &lx);

	/* Lookup first: no cookie checked for the connection's segments. */
	expect_mix("ack_order/lookup_first/established_ack_passed", &est,
		   XDP_PASS, SG_V_PASS_ESTABLISHED, 0, mix_step(0, 0));
	expect_mix("ack_order/lookup_first/duplicate_handshake_ack_established",
		   &ck, XDP_PASS, SG_V_PASS_ESTABLISHED, 0, 0);

	/* Four handshakes from elsewhere: past 3/8. */
	if (mix_set(0)) {
		sg_fail("ack_order/setup", "cannot reset sg_ackmix");
		goto out;
	}
	for (i = 0, want = 0; i < 4; i++) {
		hs = (struct pkt_spec){ SYN4(80), SRC4(192, 0, 2, 10 + i),
					.sport = (__u16)(43001 + i) };
		minted_ack(&a, &hs, &key100, CUR_EPOCH, &lx);
		snprintf(name, sizeof(name), "ack_order/handshake_%d_verified",
			 i + 1);
		ack_ok(name, &a, &lx, NO_EVENT);
		want = mix_step(want, 1);
	}
	s = mix_get();
	SG_CHECK("ack_order/four_handshakes_turn_cookie_first",
		 s == want && s >= SG_MIX_COOKIE_FIRST,
		 "share %u, expected %u (cookie first from %u)", s, want,
		 SG_MIX_COOKIE_FIRST);
	ack_ok("ack_order/cookie_first/duplicate_handshake_ack_gets_metadata",
	       &ck, &lx, NO_EVENT);

	/* Cookie first: what fails the cookie on the connection's tuple is
	 * still passed untouched, whatever failed. */
	s = SG_MIX_ONE - 1;
	expect_mix("ack_order/cookie_first/established_ack_passed", &est,
		   XDP_PASS, SG_V_PASS_ESTABLISHED, s, mix_step(s, 0));
	a = est;
	memset(a.opts, 0, sizeof(a.opts));
	a.opts[0] = 2, a.opts[1] = 1; /* MSS option of length 1 */
	a.optlen = 4;
	expect_mix("ack_order/cookie_first/established_bad_options_passed", &a,
		   XDP_PASS, SG_V_PASS_ESTABLISHED, s, mix_step(s, 0));
	a = est;
	{
		const __u8 md5[] = { 1, 1, MD5OPT };

		memcpy(a.opts, md5, sizeof(md5));
		a.optlen = sizeof(md5);
	}
	expect_mix("ack_order/cookie_first/established_md5_passed_as_"
		   "established",
		   &a, XDP_PASS, SG_V_PASS_ESTABLISHED, s, mix_step(s, 0));
	/* A segment with data never takes the cookie first, even with a
	 * valid one (the client's first data segment). */
	a = ck;
	a.flags = TH_ACK | TH_PSH;
	a.paylen = 100;
	expect_mix("ack_order/cookie_first/first_data_segment_lookup_first", &a,
		   XDP_PASS, SG_V_PASS_ESTABLISHED, s, s);
	/* A forged ACK with no connection: dropped, no sample. */
	a = est;
	a.sport = (__u16)(cport ^ 0x4000);
	expect_mix("ack_order/cookie_first/forged_ack_dropped", &a, XDP_DROP,
		   SG_V_DROP_COOKIE_BAD, s, s);

	/* The bad-cookie limiter: an established flow without timestamps is
	 * never charged for failing the cookie, and passes even from a
	 * source over its budget. A forged ACK from the same source is
	 * charged (the check can see a charge). */
	c.badck_burst = 4;
	c.badck_mul = 1;
	c.badck_cap_ns = 1ULL << 40;
	memcpy(&src, syn.src_ip, sizeof(src));
	slot = (__u32)(t_hash(&src, 0, test_cfg.hkey[1]) >> 32) &
	       (SG_BADCK_SLOTS - 1);
	if (fill_badck(4 << 10) || cfg_write(&c)) {
		sg_fail("ack_order/setup", "cannot configure the limiter");
		goto out;
	}
	a = est;
	a.optlen = 0;
	f = a;
	f.sport = (__u16)(cport ^ 0x4000);
	expect_mix("ack_order/cookie_first/established_nots_passed", &a,
		   XDP_PASS, SG_V_PASS_ESTABLISHED, s, mix_step(s, 0));
	b0.tokens = 0;
	bpf_map__lookup_elem(skel->maps.sg_badck, &slot, sizeof(slot), &b0,
			     sizeof(b0), 0);
	expect_mix("ack_order/cookie_first/forged_nots_dropped", &f, XDP_DROP,
		   SG_V_DROP_COOKIE_BAD, s, s);
	b1.tokens = 0;
	bpf_map__lookup_elem(skel->maps.sg_badck, &slot, sizeof(slot), &b1,
			     sizeof(b1), 0);
	SG_CHECK("ack_order/cookie_first/only_the_forged_ack_charged",
		 b0.tokens == 4 << 10 && b1.tokens == 3 << 10,
		 "bucket %llu after the established ACK, %llu after the "
		 "forged one (full: %u)",
		 (unsigned long long)b0.tokens, (unsigned long long)b1.tokens,
		 4 << 10);
	if (fill_badck(0)) {
		sg_fail("ack_order/setup", "cannot empty the limiter");
		goto out;
	}
	expect_mix("ack_order/cookie_first/established_over_budget_passed", &a,
		   XDP_PASS, SG_V_PASS_ESTABLISHED, s, mix_step(s, 0));
	expect_mix("ack_order/cookie_first/no_connection_over_budget_limited",
		   &f, XDP_DROP, SG_V_DROP_COOKIE_LIMITED, s, s);
	cfg_restore();

	/* Established flows bring the lookup back first: from all
	 * handshakes, n established ACKs take the share under 3/8. */
	for (n = 0, want = SG_MIX_ONE - 1; want >= SG_MIX_COOKIE_FIRST; n++)
		want = mix_step(want, 0);
	mix_set(SG_MIX_ONE - 1);
	for (i = 0; i < n; i++) {
		struct pkt p;
		struct run r;

		pkt_build(&p, &est);
		run_prog(&p, &r);
		if (r.err || r.verdict != XDP_PASS)
			break;
	}
	s = mix_get();
	SG_CHECK("ack_order/established_flows_turn_lookup_first",
		 i == n && s == want && s < SG_MIX_COOKIE_FIRST,
		 "%d of %d ACKs passed, share %u, expected %u", i, n, s, want);
	if (mix_set(want))
		sg_fail("ack_order/setup", "cannot set sg_ackmix");
	{
		char why[WHY_MAX] = "";
		struct pkt p;
		struct run r;

		pkt_build(&p, &ck);
		run_prog(&p, &r);
		check_run(&r, XDP_PASS, SG_V_PASS_ESTABLISHED, NO_EVENT, why,
			  sizeof(why));
		check_unchanged(&r, &p, why, sizeof(why));
		report("ack_order/lookup_first_again/duplicate_handshake_ack_"
		       "established",
		       why);
	}
out:
	if (pinned)
		sched_setaffinity(0, sizeof(old), &old);
	mix_set(0);
	for (i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static void run_decisions(void)
{
	run_decs(martian_fixes,
		 sizeof(martian_fixes) / sizeof(martian_fixes[0]));
	run_decs(auth_fixes, sizeof(auth_fixes) / sizeof(auth_fixes[0]));
	run_auth_valid_cookie();
	run_local();
	run_engage();
	run_monitor();
	run_guard();
	run_guard_clock();
	run_badck();
	run_no_meta();
	run_kcookie();
	run_ack_order();
}

int main(void)
{
	__u64 first[SG_STAT_MAX], last[SG_STAT_MAX], sum = 0;
	char why[WHY_MAX] = "";
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A network namespace of our own: the socket lookups of the program
	 * see only the connection run_ack_order() makes, and it goes with
	 * the process. */
	if (unshare(CLONE_NEWNET)) {
		sg_fail("setup", "unshare(CLONE_NEWNET): %s", strerror(errno));
		return sg_test_exit();
	}
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
	if (setup_maps() || sg_stats_sum(skel->maps.sg_stats, first)) {
		sg_fail("setup", "cannot initialise the maps: %s",
			strerror(errno));
		synguard_bpf__destroy(skel);
		return sg_test_exit();
	}

	run_eth_truncated();
	for (i = 0; i < sizeof(simple_fixes) / sizeof(simple_fixes[0]); i++)
		run_simple(&simple_fixes[i]);
	run_syn_matrix();
	for (i = 0; i < sizeof(syn_fixes) / sizeof(syn_fixes[0]); i++)
		run_syn_fix(&syn_fixes[i]);
	run_epoch_cases();
	run_three_epochs();
	run_decisions();
	run_no_key_cases();

	/* Every packet the program saw moved exactly one verdict counter. */
	if (sg_stats_sum(skel->maps.sg_stats, last)) {
		addf(why, sizeof(why), "cannot read the counters");
	} else {
		for (i = 0; i < SG_STAT_MAX; i++)
			if (sg_stat_kind(i) != SG_KIND_EVENT)
				sum += last[i] - first[i];
		if (sum != n_runs)
			addf(why, sizeof(why),
			     "SG_V_* counters moved by %llu over %lu runs",
			     (unsigned long long)sum, n_runs);
	}
	if (n_aborted)
		addf(why, sizeof(why), "%lu runs returned XDP_ABORTED",
		     n_aborted);
	if (n_errors)
		addf(why, sizeof(why), "%lu test runs failed", n_errors);
	report("all_runs_accounted", why);
	printf("# %lu test runs\n", n_runs);

	synguard_bpf__destroy(skel);
	return sg_test_exit();
}
