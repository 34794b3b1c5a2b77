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
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	.mss4 = 1460,
	.mss6 = 1440,
	.window = 65535,
	.wscale = 7,
	.ttl = 64,
	.msstab4 = { 536, 1200, 1300, 1380, 1440, 1452, 1460, 8960 },
	.msstab6 = { 1220, 1280, 1340, 1380, 1420, 1432, 1440, 8940 },
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
 * Run a SYN: XDP_TX, SG_V_TX_SYNACK (+ payload event), and a SYN-ACK the
 * independent checker accepts, with the cookie minted here by key/epoch.
 * Fills hs for the follow-up ACKs. Returns 0 when the SYN-ACK parsed.
 */
static int do_syn(const char *name, const struct pkt_spec *spec,
		  const struct attrs_exp *x, __u32 cli_tsval, int payload,
		  const struct sg_key *key, __u32 epoch, struct handshake *hs)
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
	check_run(&r, XDP_TX, SG_V_TX_SYNACK,
		  payload ? SG_E_SYN_PAYLOAD : NO_EVENT, why, sizeof(why));
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

/* ACKs that must fail the cookie check (DROP COOKIE_BAD). */
static void ack_drops(const char *base, const struct handshake *hs)
{
	char name[NAME_MAX_ + 32];
	struct pkt_spec a;

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

int main(void)
{
	__u64 first[SG_STAT_MAX], last[SG_STAT_MAX], sum = 0;
	char why[WHY_MAX] = "";
	size_t i;

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
