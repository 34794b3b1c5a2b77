/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libFuzzer harness for the synguard XDP program (synguard_xdp).
 *
 * LLVMFuzzerInitialize loads the real object through the skeleton and
 * installs a fixed configuration (ports 0, 25, 80, 443, 8080, 8443, 65535;
 * keys for the previous, current and next epoch, as the daemon keeps them;
 * tw_epochs 0; prefixes /24 and /64; synack_rate 0; the bad-cookie limiter
 * off; no address/listener sets, engagement or monitor mode). Every input
 * becomes one frame that runs through
 * BPF_PROG_TEST_RUN; the invariants below are checked on every run and a
 * violation prints a report ("SG-FUZZ-VIOLATION: ...") and abort()s, which
 * libFuzzer records as a crash.
 *
 * Input format: the low two bits of the first byte choose a mode.
 *   0  raw: the remaining bytes are the frame (first 256 bytes).
 *   1  structured SYN, 2 structured ACK: a recipe (family, VLAN tags,
 *      port, address, flags, seq/ack, TCP options, payload, IPv4 options,
 *      Ethernet padding) built by tests/prog/lib/pkt.c, then up to eight
 *      byte overlays/truncations taken from the rest of the input.
 *   3  minted ACK: like 2, but the ACK carries a cookie computed here for
 *      the current, previous, next, two-old, two-ahead, three-old,
 *      three-ahead or a key ring's earlier epoch (ISN-only or timestamp
 *      layout), so the fuzzer reaches the verified-cookie path at once.
 * The recipe layouts are described at build_struct() and build_minted().
 *
 * Invariants (every frame of 14 bytes or more; shorter ones the kernel
 * refuses with EINVAL and are skipped):
 *   I1  the test run succeeds and its context is consistent;
 *   I2  the verdict is XDP_PASS, XDP_DROP or XDP_TX;
 *   I3  exactly one SG_V_* counter moved, by one, and its class (pass, tx,
 *       drop) is the verdict's;
 *   I4  events: each moves by at most one, TC events never, and
 *       SG_E_SYN_PAYLOAD only with a SYN-ACK, SG_E_COOKIE_PREV_EPOCH only
 *       with a valid cookie; SG_E_SYN_RX exactly with the SYN path's
 *       verdicts (SYN-ACK, not ours, TCP-MD5/AO);
 *   I5  counters this configuration rules out never move (no key, TIME_WAIT
 *       guard, kernel engine, allow/deny lists, rate limit, adjust failure,
 *       missing config, listener/MPTCP sets, engagement, kernel cookies,
 *       the bad-cookie limiter, monitor mode, metadata failure);
 *   I6  XDP_PASS: the frame comes back byte for byte; metadata only with a
 *       valid cookie, exactly struct sg_meta, carrying SG_META_MAGIC;
 *   I7  XDP_TX: the input is a SYN to a protected port for the independent
 *       parser (tests/prog/lib/verify.c), from a possible source to a
 *       unicast destination, without TCP-MD5/AO, and the output is exactly
 *       the SYN-ACK for it: checksums recomputed, MACs/addresses/ports
 *       swapped, VLAN tags kept, SYN|ACK (+ECE, only with timestamps),
 *       ack = client ISN + 1, the option layout the program emits, the
 *       cookie ISN/TSval computed here from the layout with the key;
 *   I8  cookie decisions (valid / bad) agree with a check written here
 *       from the layout (two epoch bits; ISN-only: attrs8 and 22 MAC bits;
 *       timestamps: 30 + 23 MAC bits), and the metadata of a valid one is
 *       exact; no cookie decision for a frame with TCP-MD5/AO;
 *   I9  pass_port only for unprotected ports, pass_flags / drop_bad_flags
 *       only for the flag combinations the README's table names,
 *       pass_not_local exactly for SYNs and ACKs to multicast/broadcast
 *       or from impossible sources (written out here), pass_tcp_auth only with a
 *       TCP-MD5/AO option.
 *
 * Extra libFuzzer features: the harness cannot see coverage inside the BPF
 * program, so it reports what the program did (counter, events, SYN-ACK
 * option layout, metadata flags, MSS index) through libFuzzer's extra
 * counters section; inputs that make the program do something new are kept.
 *
 * FUZZ_WRITE_SEEDS=DIR writes the seed corpus (tests/fuzz/corpus_xdp) to
 * DIR and exits. FUZZ_VERBOSE=1 prints one line per input.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "cookie.h"
#include "pkt.h"
#include "xdprun.h"
#include "synguard.skel.h"
#include "verify.h"

#define FRAME_MAX 256
#define OUT_MAX 4096
#define CUR_EPOCH 1001u
#define WHY_MAX 4096

/* ---- configuration under test ---- */

static struct sg_config cfg = {
	.flags = SG_CFG_SACK | SG_CFG_TS | SG_CFG_WSCALE | SG_CFG_ECN,
	SG_TEST_CFG_SYNACK,
	.tw_epochs = 0,
	.prefix4 = 24,
	.prefix6 = 64,
	.synack_rate = 0,
	.synack_burst = 0,
	.badck_burst = 0,
	.hkey = { 0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL },
};

/* Installed: previous, current and next epoch. The others mint cookies
 * the program has no key for, or another epoch's key in the same slot. */
static const struct sg_key key_cur = { 0xa5a5a5a55a5a5a5aULL,
				       0x1122334455667788ULL, CUR_EPOCH, 1 };
static const struct sg_key key_prev = { 0x0706050403020100ULL,
					0x0f0e0d0c0b0a0908ULL, CUR_EPOCH - 1,
					1 };
static const struct sg_key key_old = { 0x9898989898989898ULL,
				       0x0123456789abcdefULL, CUR_EPOCH - 2,
				       1 };
static const struct sg_key key_next = { 0x0badc0ffee0ddf00ULL,
					0x5555aaaa5555aaaaULL, CUR_EPOCH + 1,
					1 };
static const struct sg_key key_ahead2 = { 0x1357913579135791ULL,
					  0x2468024680246802ULL, CUR_EPOCH + 2,
					  1 };
static const struct sg_key key_ahead3 = { 0x0f0f0f0ff0f0f0f0ULL,
					  0x3c3c3c3cc3c3c3c3ULL, CUR_EPOCH + 3,
					  1 };
static const struct sg_key key_old3 = { 0x7777777788888888ULL,
					0x9999999966666666ULL, CUR_EPOCH - 3,
					1 };
static const struct sg_key key_ring = { 0xdeadbeefdeadbeefULL,
					0xfeedfacefeedfaceULL, CUR_EPOCH - 64,
					1 };

static const __u16 prot_ports[] = { 0, 25, 80, 443, 8080, 8443, 65535 };

/* Ports of the structured modes: protected ones and their neighbours. */
static const __u16 port_tab[16] = {
	80, 443, 25,  8080, 8443, 0,	65535, 22,
	79, 81,	 442, 444,  53,	  8081, 8442,  65534
};

static int port_protected(__u16 port)
{
	size_t i;

	for (i = 0; i < sizeof(prot_ports) / sizeof(prot_ports[0]); i++)
		if (prot_ports[i] == port)
			return 1;
	return 0;
}

/* The key the program holds for an epoch (what setup installed). */
static const struct sg_key *installed_key(__u32 epoch)
{
	if (epoch == CUR_EPOCH)
		return &key_cur;
	if (epoch == CUR_EPOCH - 1)
		return &key_prev;
	if (epoch == CUR_EPOCH + 1)
		return &key_next;
	return NULL;
}

/* ---- libFuzzer extra counters: what the BPF program did ---- */

#define FEAT_N 2048
__attribute__((section("__libfuzzer_extra_counters"),
	       used)) static __u8 feat[FEAT_N];

static void feature(__u32 idx)
{
	__u8 *c = &feat[idx % FEAT_N];

	if (*c < 255)
		(*c)++;
}

/* ---- program handle and counters ---- */

static struct synguard_bpf *skel;
static int prog_fd, stats_fd, ncpus, batch_ok = 1, verbose;
static __u64 *pcpu;		/* SG_STAT_MAX * ncpus values */
static __u64 last[SG_STAT_MAX]; /* counters after the previous run */

static int map_set(struct bpf_map *m, __u32 key, const void *val, size_t sz)
{
	return bpf_map__update_elem(m, &key, sizeof(key), val, sz, BPF_ANY);
}

static int read_stats(__u64 *sum)
{
	__u32 keys[SG_STAT_MAX], count = SG_STAT_MAX, out_batch = 0, i;
	int c;

	if (batch_ok) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		int err = bpf_map_lookup_batch(stats_fd, NULL, &out_batch, keys,
					       pcpu, &count, &o);

		if ((!err || errno == ENOENT) && count == SG_STAT_MAX) {
			for (i = 0; i < SG_STAT_MAX; i++) {
				__u64 s = 0;

				for (c = 0; c < ncpus; c++)
					s += pcpu[i * ncpus + c];
				if (keys[i] >= SG_STAT_MAX)
					return -1;
				sum[keys[i]] = s;
			}
			return 0;
		}
		batch_ok = 0; /* fall back to one lookup per counter */
	}
	for (i = 0; i < SG_STAT_MAX; i++) {
		if (bpf_map_lookup_elem(stats_fd, &i, pcpu))
			return -1;
		sum[i] = 0;
		for (c = 0; c < ncpus; c++)
			sum[i] += pcpu[c];
	}
	return 0;
}

static int setup_maps(void)
{
	__u32 words[SG_PORT_WORDS] = { 0 };
	struct sg_epoch_state es = { .epoch = CUR_EPOCH };
	size_t i;
	int err = 0;

	cfg.mask4 = htonl(0xffffff00u);
	cfg.mask6[0] = cfg.mask6[1] = 0xffffffffu;
	err |= map_set(skel->maps.sg_config, 0, &cfg, sizeof(cfg));
	for (i = 0; i < sizeof(prot_ports) / sizeof(prot_ports[0]); i++)
		words[prot_ports[i] >> 5] |= 1u << (prot_ports[i] & 31);
	for (i = 0; i < SG_PORT_WORDS; i++)
		if (words[i])
			err |= map_set(skel->maps.sg_ports, i, &words[i],
				       sizeof(words[i]));
	err |= map_set(skel->maps.sg_keys, CUR_EPOCH % 64, &key_cur,
		       sizeof(key_cur));
	err |= map_set(skel->maps.sg_keys, (CUR_EPOCH - 1) % 64, &key_prev,
		       sizeof(key_prev));
	err |= map_set(skel->maps.sg_keys, (CUR_EPOCH + 1) % 64, &key_next,
		       sizeof(key_next));
	err |= map_set(skel->maps.sg_epoch, 0, &es, sizeof(es));
	return err;
}

/*
 * ---- cookies, written from the layout (only SipHash is shared) ----
 *
 *   attrs9 = mss_idx | wscale << 3 | sack << 7 | ecn << 8
 *   meta32 = attrs9 | ts << 9 | (epoch & 0x3fffff) << 10   (MAC input)
 *   no timestamps: ISN = (epoch & 3) << 30 | attrs8 << 22 | mac[21:0]
 *                  (attrs8: attrs9 without ECN)
 *   timestamps:    ISN = (epoch & 3) << 30 | mac[29:0]
 *                  TSval = mac[54:32] << 9 | attrs9
 * The ACK names the epoch of cur - 1 .. cur + 2 with its two epoch bits.
 */

static __u32 doc_meta32(__u32 epoch, __u32 attrs9, __u32 ts)
{
	return (attrs9 & 0x1ff) | (ts ? 1u << 9 : 0) |
	       (epoch & 0x3fffffu) << 10;
}

/* MAC over the client->server addresses and ports of frame d (offsets of
 * the parsed frame f), client ISN cisn. */
static __u64 doc_mac(const struct sg_key *k, const __u8 *d, __u32 l3, __u32 l4,
		     int family, __u32 cisn, __u32 meta)
{
	__u32 ports;

	memcpy(&ports, d + l4, 4);
	if (family == 4) {
		__u32 sa, da;

		memcpy(&sa, d + l3 + 12, 4);
		memcpy(&da, d + l3 + 16, 4);
		return sg_mac4(k, sa, da, ports, cisn, meta);
	} else {
		__u32 sa[4], da[4];

		memcpy(sa, d + l3 + 8, 16);
		memcpy(da, d + l3 + 24, 16);
		return sg_mac6(k, sa, da, ports, cisn, meta);
	}
}

/* The cookie ISN (and TSval) for a handshake, per the bit layouts. */
static void doc_mint(__u64 mac, __u32 epoch, __u32 attrs9, __u32 ts, __u32 *isn,
		     __u32 *tsval)
{
	__u32 ebits = (epoch & 3) << 30;

	if (ts) {
		*isn = ebits | ((__u32)mac & 0x3fffffffu);
		*tsval = ((__u32)(mac >> 32) & 0x7fffffu) << 9 |
			 (attrs9 & 0x1ff);
	} else {
		*isn = ebits | (attrs9 & 0xff) << 22 | ((__u32)mac & 0x3fffffu);
		*tsval = 0;
	}
}

/* The epoch an ACK's cookie names, relative to the current one. */
static __u32 doc_epoch(__u32 cookie, __u32 cur)
{
	__u32 e = cur - 1;

	while ((e & 3) != cookie >> 30)
		e++;
	return e;
}

/*
 * Not a SYN synguard answers: Ethernet group address; IPv4 source in
 * 0/8, 127/8 or 224/3 and up, destination 224/3 and up; IPv6 source ::,
 * ::1 or ff00::/8, destination ff00::/8.
 */
static int doc_martian(const __u8 *frame, const struct sg_frame *c)
{
	static const __u8 zero[16], one[16] = { [15] = 1 };

	if (frame[0] & 1)
		return 1;
	if (c->family == 4)
		return c->saddr[0] == 0 || c->saddr[0] == 127 ||
		       c->saddr[0] >= 224 || c->daddr[0] >= 224;
	return c->saddr[0] == 0xff || c->daddr[0] == 0xff ||
	       !memcmp(c->saddr, zero, 16) || !memcmp(c->saddr, one, 16);
}

static __u32 doc_mss_idx(const __u16 *tab, __u32 mss)
{
	__u32 idx = 0, i;

	for (i = 0; i < SG_MSS_TABLE_LEN; i++)
		if (tab[i] <= mss)
			idx = i;
	return idx;
}

/* ---- reporting ---- */

static char why[WHY_MAX];

__attribute__((format(printf, 1, 2))) static void bad(const char *fmt, ...)
{
	size_t used = strlen(why);
	va_list ap;

	if (used + 1 >= sizeof(why))
		return;
	if (used)
		used += snprintf(why + used, sizeof(why) - used, "; ");
	if (used + 1 >= sizeof(why))
		return;
	va_start(ap, fmt);
	vsnprintf(why + used, sizeof(why) - used, fmt, ap);
	va_end(ap);
}

static void hexline(const char *label, const __u8 *p, __u32 n)
{
	__u32 i;

	fprintf(stderr, "%s (%u bytes): ", label, n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%02x", p[i]);
	fprintf(stderr, "\n");
}

/* ---- building the frame from the input ---- */

struct rd {
	const __u8 *p;
	size_t n, i;
};

static __u8 rd8(struct rd *r)
{
	return r->i < r->n ? r->p[r->i++] : 0;
}

static __u16 rd16(struct rd *r)
{
	__u16 v = rd8(r);

	return (__u16)(v << 8 | rd8(r));
}

static __u32 rd32(struct rd *r)
{
	__u32 v = rd16(r);

	return v << 16 | rd16(r);
}

static void rdn(struct rd *r, __u8 *dst, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = rd8(r);
}

/*
 * Common recipe head of modes 1-3:
 *   ctl   bit 0 IPv6, bits 1-2 VLAN tags (0-3), bit 3 outer tag 802.1ad,
 *         bit 4 IPv4 options follow, bit 5 Ethernet padding follows,
 *         bit 6 (mode 3) timestamp layout
 *   port  index into port_tab (low 4 bits)
 *   addr  XORed into the last byte of the client address
 *   sport 16 bits (0: the builder's default)
 *   flx   XORed into the TCP flags
 */
static __u8 rd_head(struct rd *r, struct pkt_spec *s, __u8 *flx)
{
	__u8 ctl = rd8(r), addr, i;

	s->family = ctl & 1 ? 6 : 4;
	s->nvlan = (ctl >> 1) & 3;
	for (i = 0; i < s->nvlan; i++) {
		s->tpid[i] = i == 0 && (ctl & 8) ? PKT_ETH_P_8021AD :
						   PKT_ETH_P_8021Q;
		s->tci[i] = 100 + i;
	}
	s->dport = port_tab[rd8(r) & 15];
	addr = rd8(r);
	pkt_addrs(s, s->src_ip, s->dst_ip);
	s->src_ip[s->family == 4 ? 3 : 15] ^= addr;
	s->sport = rd16(r);
	*flx = rd8(r);
	return ctl;
}

/* Recipe tail: payload length, IPv4 options (ctl bit 4), padding (bit 5). */
static void rd_tail(struct rd *r, struct pkt_spec *s, __u8 ctl)
{
	s->paylen = rd8(r) % 128;
	if (ctl & 0x10) {
		__u8 n = (__u8)((rd8(r) % 10 + 1) * 4);

		if (s->family == 4) {
			s->ip_optlen = n;
			rdn(r, s->ip_opts, n);
		}
	}
	if (ctl & 0x20)
		s->pad_to = 60 + rd8(r) % 128;
}

/*
 * Overlays, three bytes each, at most eight: op, a, v.
 *   op & 3 = 0, 1, 2: the byte at a from the frame start, the IP header or
 *   the L4 header is set to v (op & 4: XORed with v);
 *   op & 3 = 3: op & 4: cut a bytes off the end (not below 14); otherwise
 *   append a % 64 bytes of value v.
 */
static void overlay(struct pkt *p, struct rd *r)
{
	int k;

	for (k = 0; k < 8 && r->i + 3 <= r->n; k++) {
		__u8 op = rd8(r), a = rd8(r), v = rd8(r);
		__u32 off;

		switch (op & 3) {
		case 0:
			off = a;
			break;
		case 1:
			off = p->l3 + a;
			break;
		case 2:
			off = p->l4 + a;
			break;
		default:
			if (op & 4) {
				p->len = p->len > 14u + a ? p->len - a : 14;
			} else {
				__u32 add = a % 64, i;

				for (i = 0; i < add && p->len < FRAME_MAX; i++)
					p->data[p->len++] = v;
			}
			continue;
		}
		if (off >= p->len)
			continue;
		if (op & 4)
			p->data[off] ^= v;
		else
			p->data[off] = v;
	}
}

/*
 * Modes 1 (SYN) and 2 (ACK): head, seq (4), ack (4), optlen (1, % 41),
 * options, tail, overlays.
 */
static int build_struct(struct pkt *p, struct rd *r, __u8 base)
{
	struct pkt_spec s;
	__u8 ctl, flx;

	memset(&s, 0, sizeof(s));
	ctl = rd_head(r, &s, &flx);
	s.flags = base ^ flx;
	s.seq = rd32(r);
	s.ack = rd32(r);
	s.optlen = rd8(r) % 41;
	rdn(r, s.opts, s.optlen);
	rd_tail(r, &s, ctl);
	if (pkt_build(p, &s))
		return -1;
	overlay(p, r);
	return 0;
}

/* Flip bit b of the big-endian 32-bit field at p. */
static void flip32(__u8 *p, __u32 b)
{
	p[3 - (b & 31) / 8] ^= (__u8)(1u << (b & 7));
}

/* Mode 3's perturbation kind (pert >> 5), for the extra features. */
static int cur_pert = -1;

/*
 * Mode 3: head, attrs9 (2), epoch selector (1, low 3 bits: current,
 * previous, two old, next, two ahead, three ahead, three old, a key ring
 * (64) earlier), pert (1), seq (4: the ACK's, client ISN + 1), the client's
 * TSval (4), optlen (1) and options placed after the timestamp option,
 * tail; then the cookie is minted here and written into ack (and TSecr),
 * pert applied, then overlays.
 *
 * pert: bits 5-7 choose what changes after minting, bits 0-4 a bit
 * number: 0 nothing; flip a bit of 1 the ack, 2 the TSecr, 3 the seq, 4
 * the ports word, 5 the client address (last word), 6 the server address
 * (last word); 7 mint under the other layout (timestamp vs ISN-only) than
 * the one the ACK shows.
 */
static int build_minted(struct pkt *p, struct rd *r)
{
	static const struct sg_key *const keys[8] = {
		&key_cur,    &key_prev,	  &key_old,  &key_next,
		&key_ahead2, &key_ahead3, &key_old3, &key_ring,
	};
	const struct sg_key *k;
	struct pkt_spec s;
	__u32 attrs9, ts, mint_ts, seq, tsval, isn, tsv, room, bit;
	__u8 ctl, flx, n, o = 0, pert;
	__u64 mac;

	memset(&s, 0, sizeof(s));
	ctl = rd_head(r, &s, &flx);
	ts = !!(ctl & 0x40);
	s.flags = TH_ACK ^ flx;
	attrs9 = rd16(r) & 0x1ff;
	k = keys[rd8(r) & 7];
	pert = rd8(r);
	cur_pert = pert >> 5;
	bit = pert & 31;
	mint_ts = cur_pert == 7 ? !ts : ts;
	seq = rd32(r);
	tsval = rd32(r);
	s.seq = seq;
	if (ts) {
		s.opts[0] = 1;
		s.opts[1] = 1;
		s.opts[2] = 8;
		s.opts[3] = 10;
		pkt_put32(s.opts + 4, tsval);
		o = 12;
	}
	room = 40 - o;
	n = (__u8)(rd8(r) % (room + 1));
	rdn(r, s.opts + o, n);
	s.optlen = o + n;
	rd_tail(r, &s, ctl);
	if (pkt_build(p, &s))
		return -1;
	mac = doc_mac(k, p->data, p->l3, p->l4, s.family, seq - 1,
		      doc_meta32(k->epoch, attrs9, mint_ts));
	doc_mint(mac, k->epoch, attrs9, mint_ts, &isn, &tsv);
	pkt_put32(p->data + p->l4 + 8, isn + 1);
	if (ts)
		pkt_put32(p->data + p->l4 + 20 + 8, mint_ts ? tsv : attrs9);
	switch (cur_pert) {
	case 1:
		flip32(p->data + p->l4 + 8, bit);
		break;
	case 2:
		if (ts)
			flip32(p->data + p->l4 + 20 + 8, bit);
		break;
	case 3:
		flip32(p->data + p->l4 + 4, bit);
		break;
	case 4:
		flip32(p->data + p->l4, bit);
		break;
	case 5:
		flip32(p->data + p->l3 + (s.family == 4 ? 12 : 20), bit);
		break;
	case 6:
		flip32(p->data + p->l3 + (s.family == 4 ? 16 : 36), bit);
		break;
	}
	pkt_fix_csums(p);
	overlay(p, r);
	return 0;
}

static int build_frame(const __u8 *data, size_t size, struct pkt *p)
{
	struct rd r = { data + 1, size - 1, 0 };

	memset(p, 0, sizeof(*p));
	cur_pert = -1;
	switch (data[0] & 3) {
	case 0:
		p->len = size - 1 > FRAME_MAX ? FRAME_MAX : (__u32)(size - 1);
		memcpy(p->data, data + 1, p->len);
		return 0;
	case 1:
		return build_struct(p, &r, TH_SYN);
	case 2:
		return build_struct(p, &r, TH_ACK);
	default:
		return build_minted(p, &r);
	}
}

/* ---- the checks ---- */

struct run {
	__u32 verdict;
	__u8 out[OUT_MAX];
	__u32 out_len, meta_len, frame_len;
	const __u8 *frame;
	__u64 delta[SG_STAT_MAX];
	int stat; /* the SG_V_* counter that moved, -1 if not exactly one */
};

/* I3, I4, I5: the counters. */
static void check_counters(struct run *r)
{
	static const int ruled_out[] = {
		SG_V_PASS_NO_KEY,	  SG_V_PASS_TIMEWAIT,
		SG_V_PASS_NO_LISTENER,	  SG_V_PASS_GEN_COOKIE,
		SG_V_PASS_ALLOW,	  SG_V_DROP_ADJUST,
		SG_V_DROP_NO_CONFIG,	  SG_V_DROP_DENY,
		SG_V_DROP_RATELIMIT,	  SG_V_PASS_MPTCP,
		SG_V_PASS_NOT_ENGAGED,	  SG_V_PASS_KERNEL_COOKIE,
		SG_V_DROP_COOKIE_LIMITED, SG_E_META_FAILED,
		SG_E_MONITOR_PASSED,	  SG_E_GUARD_BYPASS,
		SG_E_HANDOFF_OK,	  SG_E_HANDOFF_NO_LISTENER,
		SG_E_HANDOFF_ERROR,	  SG_E_HANDOFF_PARSE,
		SG_E_HANDOFF_DUP,	  SG_E_HANDOFF_DEFERRED,
		SG_E_TC_VERIFIED,
	};
	__u64 sum = 0;
	size_t i;

	r->stat = -1;
	for (i = 0; i < SG_STAT_MAX; i++) {
		if (sg_stat_kind(i) == SG_KIND_EVENT)
			continue;
		sum += r->delta[i];
		if (r->delta[i] == 1)
			r->stat = (int)i;
		else if (r->delta[i])
			bad("counter %zu moved by %lld", i,
			    (long long)r->delta[i]);
	}
	if (sum != 1) {
		bad("SG_V_* counters moved by %llu in total, expected 1",
		    (unsigned long long)sum);
		r->stat = -1;
		return;
	}
	switch (sg_stat_kind(r->stat)) {
	case SG_KIND_PASS:
		if (r->verdict != XDP_PASS)
			bad("pass counter %d with %s", r->stat,
			    sg_verdict_name(r->verdict));
		break;
	case SG_KIND_TX:
		if (r->verdict != XDP_TX)
			bad("tx counter with %s", sg_verdict_name(r->verdict));
		break;
	default:
		if (r->verdict != XDP_DROP)
			bad("drop counter %d with %s", r->stat,
			    sg_verdict_name(r->verdict));
	}
	for (i = 0; i < sizeof(ruled_out) / sizeof(ruled_out[0]); i++)
		if (r->delta[ruled_out[i]])
			bad("counter %d moved: this configuration rules it out",
			    ruled_out[i]);
	for (i = 0; i < SG_STAT_MAX; i++)
		if (sg_stat_kind(i) == SG_KIND_EVENT && r->delta[i] > 1)
			bad("event %zu moved by %lld", i,
			    (long long)r->delta[i]);
	if (r->delta[SG_E_SYN_PAYLOAD] && r->stat != SG_V_TX_SYNACK)
		bad("syn_payload without a SYN-ACK");
	if (r->delta[SG_E_COOKIE_PREV_EPOCH] && r->stat != SG_V_PASS_COOKIE_OK)
		bad("cookie_prev_epoch without a valid cookie");
	/* The SYN path counts every SYN it sees (pass_not_local: in
	 * check_run, which knows whether it was a SYN). */
	if (r->stat == SG_V_TX_SYNACK && r->delta[SG_E_SYN_RX] != 1)
		bad("counter %d without syn_rx", r->stat);
	if (r->delta[SG_E_SYN_RX] && r->stat != SG_V_TX_SYNACK &&
	    r->stat != SG_V_PASS_NOT_LOCAL && r->stat != SG_V_PASS_TCP_AUTH)
		bad("syn_rx with counter %d", r->stat);
}

/* I7: the SYN-ACK, against the SYN parsed independently as c. */
static void check_synack(const struct run *r, const struct pkt *in,
			 const struct sg_frame *c, int in_ok)
{
	char vwhy[WHY_MAX] = "";
	struct sg_synack_exp e = { 0 };
	struct sg_frame sa;
	__u32 mss, attrs9, ws, feat_bits;
	__u64 mac;

	if (r->meta_len)
		bad("%u bytes of metadata on a SYN-ACK", r->meta_len);
	if (!in_ok) {
		bad("XDP_TX for a frame the independent parser rejects");
		return;
	}
	if (!(c->flags & TH_SYN) || (c->flags & (TH_ACK | TH_RST | TH_FIN)))
		bad("XDP_TX for TCP flags 0x%02x", c->flags);
	if (!port_protected(c->dport))
		bad("XDP_TX for unprotected port %u", c->dport);
	if (doc_martian(in->data, c))
		bad("XDP_TX for a multicast/broadcast destination or an "
		    "impossible source");
	if (c->has_auth)
		bad("XDP_TX for a SYN with TCP-MD5/AO");

	mss = c->has_mss && c->mss ? c->mss : (c->family == 4 ? 536 : 1220);
	ws = c->has_ws ? (c->ws > 14 ? 14 : c->ws) : SG_WSCALE_NONE;
	e.mss = c->family == 4 ? cfg.mss4 : cfg.mss6;
	e.window = cfg.window;
	e.ttl = cfg.ttl;
	e.wscale = cfg.wscale;
	e.ts = c->has_ts;
	e.sack = c->sackok;
	e.ws = ws != SG_WSCALE_NONE;
	/* ECN needs timestamps: the ISN-only cookie has no room for it. */
	e.ecn = (c->flags & (TH_ECE | TH_CWR)) == (TH_ECE | TH_CWR) && e.ts;
	e.tsecr = c->tsval;
	attrs9 = doc_mss_idx(c->family == 4 ? cfg.msstab4 : cfg.msstab6, mss) |
		 ws << 3 | (__u32)e.sack << 7 | (__u32)e.ecn << 8;
	mac = doc_mac(&key_cur, in->data, c->l3, c->l4, c->family, c->seq,
		      doc_meta32(CUR_EPOCH, attrs9, e.ts));
	doc_mint(mac, CUR_EPOCH, attrs9, e.ts, &e.isn, &e.tsval);
	if (sg_verify_synack(r->frame, r->frame_len, in->data, in->len, &e, &sa,
			     vwhy, sizeof(vwhy)))
		bad("SYN-ACK: %s", vwhy);

	feat_bits = (c->family == 6) | e.ts << 1 | e.sack << 2 | e.ws << 3 |
		    e.ecn << 4 | (c->paylen ? 1 : 0) << 5 |
		    (__u32)c->nvlan << 6 |
		    (c->family == 4 && (c->ver_ihl & 15) > 5) << 8;
	feature(256 + feat_bits);
	feature(768 + (attrs9 & 7) + 8 * (c->family == 6));
}

/* I8: a cookie decision, recomputed from the ACK's bytes. */
static void check_cookie(const struct run *r, const struct pkt *in,
			 const struct sg_frame *c, int in_ok)
{
	__u32 cookie, cisn, epoch, ts, attrs9, mac_lo, want_ok;
	const struct sg_key *k;
	struct sg_meta m, got;
	__u64 mac;

	if (!in_ok) {
		bad("cookie verdict for a frame the independent parser rejects");
		return;
	}
	if (!(c->flags & TH_ACK) || (c->flags & (TH_SYN | TH_RST)))
		bad("cookie verdict for TCP flags 0x%02x", c->flags);
	if (!port_protected(c->dport))
		bad("cookie verdict for unprotected port %u", c->dport);
	if (c->has_auth)
		bad("cookie verdict for an ACK with TCP-MD5/AO");

	cookie = c->ack - 1;
	cisn = c->seq - 1;
	epoch = doc_epoch(cookie, CUR_EPOCH);
	ts = c->has_ts;
	attrs9 = ts ? c->tsecr & 0x1ff : (cookie >> 22) & 0xff;
	k = installed_key(epoch);
	want_ok = 0;
	if (k) {
		mac = doc_mac(k, in->data, c->l3, c->l4, c->family, cisn,
			      doc_meta32(epoch, attrs9, ts));
		mac_lo = (__u32)mac;
		if (ts)
			want_ok = ((cookie ^ mac_lo) & 0x3fffffffu) == 0 &&
				  (((c->tsecr >> 9) ^ (__u32)(mac >> 32)) &
				   0x7fffffu) == 0;
		else
			want_ok = ((cookie ^ mac_lo) & 0x3fffffu) == 0;
	}
	if (want_ok != (r->stat == SG_V_PASS_COOKIE_OK)) {
		bad("cookie %s by the program, %s by the documented check "
		    "(cookie 0x%08x, client ISN 0x%08x, epoch %u, ts %u, "
		    "tsecr 0x%08x)",
		    r->stat == SG_V_PASS_COOKIE_OK ? "accepted" : "rejected",
		    want_ok ? "valid" : "invalid", cookie, cisn, epoch, ts,
		    c->tsecr);
		return;
	}
	if ((r->delta[SG_E_COOKIE_PREV_EPOCH] == 1) !=
	    (want_ok && epoch != CUR_EPOCH))
		bad("cookie_prev_epoch moved by %lld for epoch %u",
		    (long long)r->delta[SG_E_COOKIE_PREV_EPOCH], epoch);
	if (!want_ok)
		return;

	/* The metadata, field by field. */
	memset(&m, 0, sizeof(m));
	m.magic = SG_META_MAGIC;
	m.mss = (c->family == 4 ? cfg.msstab4 : cfg.msstab6)[attrs9 & 7];
	if (((attrs9 >> 3) & 15) != SG_WSCALE_NONE) {
		m.snd_wscale = (attrs9 >> 3) & 15;
		m.rcv_wscale = cfg.wscale;
		m.flags |= SG_META_WSCALE;
	}
	if (attrs9 & 0x80)
		m.flags |= SG_META_SACK;
	if (attrs9 & 0x100)
		m.flags |= SG_META_ECN;
	if (ts) {
		m.flags |= SG_META_TS;
		m.tsval = c->tsval;
		m.tsecr = c->tsecr;
	}
	if (r->meta_len != sizeof(got)) {
		bad("valid cookie with %u bytes of metadata", r->meta_len);
		return;
	}
	memcpy(&got, r->out, sizeof(got));
	if (got.magic != m.magic || got.mss != m.mss ||
	    got.snd_wscale != m.snd_wscale || got.rcv_wscale != m.rcv_wscale ||
	    got.flags != m.flags || got.tsval != m.tsval ||
	    got.tsecr != m.tsecr)
		bad("metadata magic 0x%08x mss %u wscale %u/%u flags 0x%x "
		    "tsval 0x%08x tsecr 0x%08x, expected 0x%08x %u %u/%u 0x%x "
		    "0x%08x 0x%08x",
		    got.magic, got.mss, got.snd_wscale, got.rcv_wscale,
		    got.flags, got.tsval, got.tsecr, m.magic, m.mss,
		    m.snd_wscale, m.rcv_wscale, m.flags, m.tsval, m.tsecr);
	feature(1024 + m.flags + 16 * (epoch != CUR_EPOCH) +
		32 * (c->family == 6) + 64 * (attrs9 & 7) +
		512 * (epoch == CUR_EPOCH + 1));
}

static void check_run(struct run *r, const struct pkt *in)
{
	struct sg_frame c;
	char pwhy[256] = "";
	int in_ok;

	if (r->verdict != XDP_PASS && r->verdict != XDP_DROP &&
	    r->verdict != XDP_TX)
		bad("verdict %s (%u)", sg_verdict_name(r->verdict), r->verdict);
	check_counters(r);
	in_ok = sg_parse_frame(in->data, in->len, &c, pwhy, sizeof(pwhy)) == 0;

	/* I6 */
	if (r->meta_len && r->stat != SG_V_PASS_COOKIE_OK)
		bad("%u bytes of metadata with counter %d", r->meta_len,
		    r->stat);
	if (r->meta_len) {
		__u32 magic = 0;

		if (r->meta_len >= 4)
			memcpy(&magic, r->out, 4);
		if (magic != SG_META_MAGIC)
			bad("metadata without SG_META_MAGIC (0x%08x)", magic);
	}
	if (r->verdict == XDP_PASS &&
	    (r->frame_len != in->len || memcmp(r->frame, in->data, in->len)))
		bad("XDP_PASS output differs from the input (%u bytes, "
		    "input %u)",
		    r->frame_len, in->len);

	/* I7, I8, I9 */
	switch (r->stat) {
	case SG_V_TX_SYNACK:
		if (r->verdict == XDP_TX)
			check_synack(r, in, &c, in_ok);
		break;
	case SG_V_PASS_COOKIE_OK:
	case SG_V_DROP_COOKIE_BAD:
		check_cookie(r, in, &c, in_ok);
		break;
	case SG_V_PASS_PORT:
		if (in_ok && port_protected(c.dport))
			bad("pass_port for protected port %u", c.dport);
		break;
	case SG_V_PASS_FLAGS:
		if (in_ok && !(!(c.flags & TH_SYN) == !(c.flags & TH_ACK) ||
			       (c.flags & TH_RST)))
			bad("pass_flags for flags 0x%02x", c.flags);
		if (in_ok && (c.flags & TH_SYN) &&
		    (c.flags & (TH_RST | TH_FIN)))
			bad("pass_flags for SYN with RST/FIN 0x%02x", c.flags);
		break;
	case SG_V_DROP_BAD_FLAGS:
		if (in_ok &&
		    !((c.flags & TH_SYN) && (c.flags & (TH_RST | TH_FIN))))
			bad("drop_bad_flags for flags 0x%02x", c.flags);
		break;
	case SG_V_PASS_NOT_LOCAL:
		/* The ACK path passes what is not ours before it reads the
		 * options: bad options are no objection there. */
		if (!in_ok && !strcmp(pwhy, "malformed TCP options") &&
		    !(c.flags & TH_SYN))
			break;
		if (!in_ok)
			bad("pass_not_local for a frame the independent parser "
			    "rejects (%s)",
			    pwhy);
		else if (!port_protected(c.dport) ||
			 !doc_martian(in->data, &c) || (c.flags & TH_RST) ||
			 ((c.flags & TH_SYN) &&
			  (c.flags & (TH_ACK | TH_FIN))) ||
			 !(c.flags & (TH_SYN | TH_ACK)))
			/* A SYN, or an ACK on its way to the cookie check. */
			bad("pass_not_local for flags 0x%02x, port %u, not "
			    "multicast or impossible",
			    c.flags, c.dport);
		else if (r->delta[SG_E_SYN_RX] != !!(c.flags & TH_SYN))
			bad("pass_not_local for flags 0x%02x with syn_rx +%lld",
			    c.flags, (long long)r->delta[SG_E_SYN_RX]);
		break;
	case SG_V_PASS_TCP_AUTH:
		if (!in_ok || !c.has_auth)
			bad("pass_tcp_auth without a TCP-MD5/AO option");
		else if (doc_martian(in->data, &c))
			bad("pass_tcp_auth for a segment that is not ours");
		break;
	}
	/* Not ours: a SYN of the kind synguard answers can end only so. */
	if (in_ok && r->stat >= 0 && doc_martian(in->data, &c) &&
	    (c.flags & (TH_SYN | TH_ACK | TH_RST | TH_FIN)) == TH_SYN &&
	    port_protected(c.dport) && r->stat != SG_V_PASS_NOT_LOCAL &&
	    r->stat != SG_V_PASS_FRAGMENT &&
	    sg_stat_kind(r->stat) != SG_KIND_DROP)
		bad("SYN not ours ended in counter %d", r->stat);
}

/* ---- seeds ---- */

static const char *seed_dir;
static int seed_count;

static void seed_write(const char *name, __u8 mode, const __u8 *b, __u32 n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", seed_dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(&mode, 1, 1, f) != 1 ||
	    (n && fwrite(b, 1, n, f) != n) || fclose(f)) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	seed_count++;
}

/* A raw frame seed: mode byte 0, then the frame. */
static void seed_pkt(const char *name, const struct pkt *p)
{
	seed_write(name, 0, p->data, p->len > FRAME_MAX ? FRAME_MAX : p->len);
}

static void seed_spec(const char *name, const struct pkt_spec *s,
		      int cut /* < 0: none */)
{
	struct pkt p;

	if (pkt_build(&p, s)) {
		fprintf(stderr, "seed %s does not build\n", name);
		exit(1);
	}
	if (cut >= 0)
		pkt_truncate(&p, (__u32)cut);
	seed_pkt(name, &p);
}

/* Keep n L4 bytes and make the IP length say so (a short TCP header). */
static void seed_l4_keep(const char *name, const struct pkt_spec *s, __u32 n)
{
	struct pkt p;
	__u8 *ip;

	pkt_build(&p, s);
	pkt_truncate(&p, p.l4 + n);
	ip = p.data + p.l3;
	if (s->family == 4)
		pkt_put16(ip + 2, (__u16)(p.l4 - p.l3 + n));
	else
		pkt_put16(ip + 4, (__u16)n);
	pkt_fix_csums(&p);
	seed_pkt(name, &p);
}

#define TSV 0x11, 0x22, 0x33, 0x44
#define OPT_LINUX 2, 4, 5, 0xb4, 4, 2, 8, 10, TSV, 0, 0, 0, 0, 1, 3, 3, 7
#define OPT_WINDOWS 2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2
#define OPT_MACOS \
	2, 4, 5, 0xb4, 1, 3, 3, 6, 1, 1, 8, 10, TSV, 0, 0, 0, 0, 4, 2, 0, 0
#define OPT_MSS 2, 4, 5, 0xb4

struct optset {
	const char *name;
	__u8 opts[40];
	__u8 optlen;
};

#define OS(n, ...)                                        \
	{                                                 \
		.name = n, .opts = { __VA_ARGS__ },       \
		.optlen = sizeof((__u8[]){ __VA_ARGS__ }) \
	}

static const struct optset seed_optsets[] = {
	OS("linux", OPT_LINUX),		  OS("windows", OPT_WINDOWS),
	OS("macos", OPT_MACOS),		  OS("mss", OPT_MSS),
	{ .name = "noopt", .optlen = 0 },
};

/* A structured or minted recipe (mode 1-3): bytes as given. */
static void seed_recipe(const char *name, __u8 mode, const __u8 *b, __u32 n)
{
	seed_write(name, mode, b, n);
}

/* A raw ACK carrying a valid cookie, minted with the installed keys. */
static void seed_minted_raw(const char *name, struct pkt_spec s,
			    const struct sg_key *k, __u32 attrs9, int ts)
{
	__u32 isn, tsv;
	struct pkt p;
	__u64 mac;

	s.flags = TH_ACK;
	memset(s.opts, 0, sizeof(s.opts));
	s.optlen = 0;
	if (ts) {
		__u8 o[12] = { 1, 1, 8, 10, 0, 0xc0, 0xff, 0xee, 0, 0, 0, 0 };

		memcpy(s.opts, o, sizeof(o));
		s.optlen = 12;
	}
	pkt_build(&p, &s);
	mac = doc_mac(k, p.data, p.l3, p.l4, s.family, s.seq - 1,
		      doc_meta32(k->epoch, attrs9, ts));
	doc_mint(mac, k->epoch, attrs9, ts, &isn, &tsv);
	pkt_put32(p.data + p.l4 + 8, isn + 1);
	if (ts)
		pkt_put32(p.data + p.l4 + 28, tsv);
	pkt_fix_csums(&p);
	seed_pkt(name, &p);
}

static const __u8 opt_mss8960_sack[] = { 2, 4, 0x23, 0x00, 1, 1, 4, 2 };
static const __u8 opt_md5[] = { 2, 4, 5, 0xb4, 1, 1,  19, 18, 1,  2,  3,  4,
				5, 6, 7, 8,    9, 10, 11, 12, 13, 14, 15, 16 };
static const __u8 opt_ao[] = { 29, 16, 1, 1,  1,  2,  3, 4, 5, 6,
			       7,  8,  9, 10, 11, 12, 2, 4, 5, 0xa0 };
static const __u8 opt_40[40] = {
	2, 4, 5, 0xb4, [4 ... 27] = 1, 4, 2, 8, 10, TSV
};
static const __u8 ipopt_ra_nops[] = { 0x94, 4, 0, 0, 1, 1, 1, 0 };
static const __u8 opt_ts_random[] = { 1, 1, 8,	  10,	1,    2,
				      3, 4, 0x87, 0x65, 0x43, 0x21 };

static void write_seeds(void)
{
	static const struct {
		const char *name;
		__u8 nvlan;
		__u16 tpid[3];
	} vl[] = { { "untagged", 0, { 0 } },
		   { "8021q", 1, { PKT_ETH_P_8021Q } },
		   { "qinq", 2, { PKT_ETH_P_8021AD, PKT_ETH_P_8021Q } } };
	char name[128];
	struct pkt_spec s;
	size_t v, o;
	int fam;

	mkdir(seed_dir, 0755);

	/* Not IP, not TCP. */
	memset(&s, 0, sizeof(s));
	s.ethertype = PKT_ETH_P_ARP;
	s.raw_len = 28;
	seed_spec("raw-arp", &s, -1);
	s.nvlan = 1;
	s.tci[0] = 100;
	seed_spec("raw-arp-8021q", &s, -1);
	memset(&s, 0, sizeof(s));
	s.ethertype = 0x88cc;
	s.raw_len = 46;
	seed_spec("raw-lldp", &s, -1);
	for (fam = 4; fam <= 6; fam += 2) {
		memset(&s, 0, sizeof(s));
		s.family = fam;
		s.proto = PKT_IPPROTO_UDP;
		s.dport = 80;
		s.paylen = 32;
		snprintf(name, sizeof(name), "raw-udp%d-port80", fam);
		seed_spec(name, &s, -1);
		s.proto = fam == 4 ? PKT_IPPROTO_ICMP : PKT_IPPROTO_ICMPV6;
		s.paylen = 56;
		snprintf(name, sizeof(name), "raw-icmp%d-echo", fam);
		seed_spec(name, &s, -1);
	}

	/* SYNs: family x VLAN x OS option sets. */
	for (fam = 4; fam <= 6; fam += 2)
		for (v = 0; v < sizeof(vl) / sizeof(vl[0]); v++)
			for (o = 0;
			     o < sizeof(seed_optsets) / sizeof(seed_optsets[0]);
			     o++) {
				memset(&s, 0, sizeof(s));
				s.family = fam;
				s.nvlan = vl[v].nvlan;
				memcpy(s.tpid, vl[v].tpid, sizeof(s.tpid));
				s.tci[0] = 5;
				s.tci[1] = 100;
				s.dport = o & 1 ? 443 : 80;
				s.flags = TH_SYN;
				s.seq = 0xfedcba98 - (__u32)(o * 1000 + v);
				memcpy(s.opts, seed_optsets[o].opts, 40);
				s.optlen = seed_optsets[o].optlen;
				snprintf(name, sizeof(name), "raw-syn%d-%s-%s",
					 fam, vl[v].name, seed_optsets[o].name);
				seed_spec(name, &s, -1);
			}

			/* SYN variants (IPv4, Linux options unless said). */
#define SYN_BASE()                                        \
	do {                                              \
		memset(&s, 0, sizeof(s));                 \
		s.family = 4;                             \
		s.dport = 80;                             \
		s.flags = TH_SYN;                         \
		s.seq = 0x01020304;                       \
		memcpy(s.opts, seed_optsets[0].opts, 40); \
		s.optlen = seed_optsets[0].optlen;        \
	} while (0)
	SYN_BASE();
	s.flags |= TH_ECE | TH_CWR;
	seed_spec("raw-syn4-ecn", &s, -1);
	SYN_BASE();
	s.family = 6;
	s.flags |= TH_ECE | TH_CWR;
	seed_spec("raw-syn6-ecn", &s, -1);
	SYN_BASE();
	s.paylen = 50;
	seed_spec("raw-syn4-payload", &s, -1);
	SYN_BASE();
	s.ip_optlen = sizeof(ipopt_ra_nops);
	memcpy(s.ip_opts, ipopt_ra_nops, sizeof(ipopt_ra_nops));
	seed_spec("raw-syn4-ipopts", &s, -1);
	SYN_BASE();
	s.optlen = 0;
	s.pad_to = 60;
	seed_spec("raw-syn4-noopt-padded60", &s, -1);
	SYN_BASE();
	s.nvlan = 3;
	s.tci[0] = 1;
	s.tci[1] = 2;
	s.tci[2] = 3;
	seed_spec("raw-syn4-3vlan", &s, -1);
	SYN_BASE();
	s.frag_off = PKT_IP_MF;
	seed_spec("raw-syn4-fragment", &s, -1);
	SYN_BASE();
	s.dport = 22;
	seed_spec("raw-syn4-port22", &s, -1);
	SYN_BASE();
	s.dport = 65535;
	seed_spec("raw-syn4-port65535", &s, -1);
	SYN_BASE();
	s.opts[3] = 0;
	s.opts[19] = 200; /* MSS 1280, wscale 200 (clamped to 14) */
	seed_spec("raw-syn4-mss1280-ws200", &s, -1);
	SYN_BASE();
	memset(&s.opts, 0, sizeof(s.opts));
	memcpy(s.opts, opt_mss8960_sack, sizeof(opt_mss8960_sack));
	s.optlen = sizeof(opt_mss8960_sack);
	seed_spec("raw-syn4-mss8960-sack", &s, -1);
	SYN_BASE();
	memcpy(s.opts, opt_40, sizeof(opt_40));
	s.optlen = sizeof(opt_40);
	seed_spec("raw-syn4-options40", &s, -1);
	SYN_BASE();
	s.flags = TH_SYN | TH_RST;
	seed_spec("raw-synrst4", &s, -1);
	SYN_BASE();
	s.flags = TH_SYN | TH_FIN;
	seed_spec("raw-synfin4", &s, -1);
	SYN_BASE();
	s.flags = TH_SYN | TH_ACK;
	seed_spec("raw-synack4", &s, -1);
	SYN_BASE();
	s.flags = TH_RST;
	s.optlen = 0;
	seed_spec("raw-rst4", &s, -1);
	SYN_BASE();
	s.flags = TH_FIN | TH_ACK;
	s.optlen = 0;
	seed_spec("raw-finack4-random", &s, -1);
	SYN_BASE();
	s.family = 6;
	s.proto = 0;
	s.proto_set = 1;
	s.optlen = 0;
	s.paylen = 48;
	seed_spec("raw-ipv6-hopopts", &s, -1);
	/* Not ours: multicast/broadcast, impossible sources. */
	SYN_BASE();
	memset(s.dst_mac, 0xff, 6);
	seed_spec("raw-syn4-dst-mac-broadcast", &s, -1);
	SYN_BASE();
	s.family = 6;
	s.dst_mac[0] = 0x33;
	s.dst_mac[1] = 0x33;
	s.dst_mac[5] = 1;
	seed_spec("raw-syn6-dst-mac-multicast", &s, -1);
	SYN_BASE();
	s.src_ip[0] = 127;
	s.src_ip[3] = 1;
	seed_spec("raw-syn4-src-loopback", &s, -1);
	SYN_BASE();
	s.dst_ip[0] = 224;
	s.dst_ip[3] = 5;
	seed_spec("raw-syn4-dst-multicast", &s, -1);
	SYN_BASE();
	s.family = 6;
	s.src_ip[15] = 1;
	seed_spec("raw-syn6-src-loopback", &s, -1);
	SYN_BASE();
	s.family = 6;
	s.dst_ip[0] = 0xff;
	s.dst_ip[1] = 0x02;
	s.dst_ip[15] = 1;
	seed_spec("raw-syn6-dst-multicast", &s, -1);
	/* TCP-MD5 / TCP-AO. */
	SYN_BASE();
	memset(s.opts, 0, sizeof(s.opts));
	memcpy(s.opts, opt_md5, sizeof(opt_md5));
	s.optlen = sizeof(opt_md5);
	seed_spec("raw-syn4-md5", &s, -1);
	s.flags = TH_ACK;
	seed_spec("raw-ack4-md5", &s, -1);
	SYN_BASE();
	s.family = 6;
	memset(s.opts, 0, sizeof(s.opts));
	memcpy(s.opts, opt_ao, sizeof(opt_ao));
	s.optlen = sizeof(opt_ao);
	seed_spec("raw-syn6-ao", &s, -1);
	s.flags = TH_ACK;
	seed_spec("raw-ack6-ao", &s, -1);

	/* Malformed: truncated at every header boundary, bad lengths. */
	SYN_BASE();
	seed_spec("raw-trunc-eth14", &s, 14);
	seed_spec("raw-trunc-ip33", &s, 14 + 19);
	seed_spec("raw-trunc-tcp-options", &s, 14 + 20 + 25);
	seed_l4_keep("raw-trunc-tcp3-iplen-fixed", &s, 3);
	seed_l4_keep("raw-trunc-tcp19-iplen-fixed", &s, 19);
	seed_l4_keep("raw-trunc-tcp25-iplen-fixed", &s, 25);
	s.family = 6;
	seed_l4_keep("raw-trunc-tcp6-19-iplen-fixed", &s, 19);
	s.family = 4;
	s.nvlan = 1;
	seed_spec("raw-trunc-vlan17", &s, 17);
	s.nvlan = 2;
	seed_spec("raw-trunc-qinq21", &s, 21);
	s.nvlan = 0;
	s.family = 6;
	seed_spec("raw-trunc-ip6-53", &s, 14 + 39);
	{
		struct pkt p;

		SYN_BASE();
		pkt_build(&p, &s);
		p.data[p.l3] = 0x44; /* IHL 4 */
		pkt_fix_csums(&p);
		seed_pkt("raw-ipv4-ihl4", &p);
		pkt_build(&p, &s);
		p.data[p.l3] = 0x4f; /* IHL 15, beyond the frame */
		seed_pkt("raw-ipv4-ihl15", &p);
		pkt_build(&p, &s);
		pkt_put16(p.data + p.l3 + 2, (__u16)(p.len - p.l3 + 1));
		seed_pkt("raw-ipv4-totlen-beyond", &p);
		pkt_build(&p, &s);
		pkt_put16(p.data + p.l3 + 2, 30); /* TCP in the padding */
		seed_pkt("raw-ipv4-totlen-short", &p);
		pkt_build(&p, &s);
		p.data[p.l4 + 12] = 4 << 4;
		seed_pkt("raw-tcp-doff4", &p);
		pkt_build(&p, &s);
		p.data[p.l4 + 12] = 15 << 4;
		seed_pkt("raw-tcp-doff15", &p);
		pkt_build(&p, &s);
		p.data[p.l4 + 21] = 0; /* MSS option length 0 */
		seed_pkt("raw-opt-len0", &p);
		pkt_build(&p, &s);
		p.data[p.l4 + 21] = 40; /* overrun */
		seed_pkt("raw-opt-overrun", &p);
	}

	/* ACKs: random cookies, and valid ones minted with the keys. */
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.dport = 80;
	s.flags = TH_ACK;
	s.seq = 0xdeadbeef;
	s.ack = 0x12345678;
	seed_spec("raw-ack4-random", &s, -1);
	memcpy(s.opts, opt_ts_random, sizeof(opt_ts_random));
	s.optlen = sizeof(opt_ts_random);
	seed_spec("raw-ack4-random-ts", &s, -1);
	s.family = 6;
	s.nvlan = 1;
	s.tci[0] = 7;
	s.optlen = 0;
	s.paylen = 100;
	seed_spec("raw-ack6-8021q-random-data", &s, -1);

	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.dport = 80;
	s.seq = 0x01020305;
	seed_minted_raw("raw-ack4-valid-ts", s, &key_cur, 6 | 7 << 3 | 1 << 7,
			1);
	seed_minted_raw("raw-ack4-valid-nots", s, &key_cur, 6 | 15 << 3, 0);
	seed_minted_raw("raw-ack4-valid-prev-ts", s, &key_prev,
			6 | 7 << 3 | 1 << 7, 1);
	seed_minted_raw("raw-ack4-old-epoch", s, &key_old, 6 | 7 << 3, 0);
	seed_minted_raw("raw-ack4-valid-next-nots", s, &key_next, 6 | 7 << 3,
			0);
	seed_minted_raw("raw-ack4-ahead2-epoch", s, &key_ahead2, 6 | 7 << 3, 1);
	s.family = 6;
	s.dport = 443;
	s.nvlan = 2;
	s.tpid[0] = PKT_ETH_P_8021AD;
	s.tci[0] = 5;
	s.tci[1] = 100;
	seed_minted_raw("raw-ack6-qinq-valid-nots", s, &key_cur,
			5 | 8 << 3 | 1 << 7, 0);
	seed_minted_raw("raw-ack6-qinq-valid-next-ts-ecn", s, &key_next,
			5 | 8 << 3 | 1 << 7 | 1 << 8, 1);
	seed_minted_raw("raw-ack6-qinq-valid-prev-ts", s, &key_prev,
			6 | 6 << 3 | 1 << 7, 1);

	/*
	 * Structured recipes. Mode 1/2 layout: ctl port addr sport(2) flx
	 * seq(4) ack(4) optlen opts... paylen [ipopts] [pad] overlays.
	 */
	{
		const __u8 syn4_linux[] = { 0x00, 0, 0,	 0,	    0, 0,
					    1,	  2, 3,	 4,	    0, 0,
					    0,	  0, 20, OPT_LINUX, 0 };
		const __u8 syn6_qinq_macos[] = {
			0x0d, 1, 9, 0x9c, 0x41, 0,  0xfe,      0xdc, 0xba,
			0x98, 0, 0, 0,	  0,	24, OPT_MACOS, 0
		};
		const __u8 syn4_ipopts_pad_windows[] = {
			0x32, 3, 1, 0, 0, 0,  0,	   0,  0,
			1,    0, 0, 0, 0, 12, OPT_WINDOWS, 10, 1,
			0x94, 4, 0, 0, 1, 1,  1,	   0,  10
		};
		const __u8 syn4_overlays[] = { 0x00, 0,	      0, 0, 0,	0,    1,
					       2,    3,	      4, 0, 0,	0,    0,
					       4,    OPT_MSS, 0, 2, 13, 0xc2, 6,
					       0,    0x55,    3, 4, 9 };
		const __u8 ack4[] = { 0x00, 0,	  0,	0,    0,    0,
				      0xde, 0xad, 0xbe, 0xef, 0x12, 0x34,
				      0x56, 0x78, 0,	0 };
		const __u8 ack6_ts_data[] = { 0x03, 1, 0, 0, 0,	 0x08, 0,
					      0,    0, 9, 0, 0,	 0,    1,
					      12,   1, 1, 8, 10, 1,    2,
					      3,    4, 5, 6, 7,	 8,    100 };

		seed_recipe("st-syn4-linux", 1, syn4_linux, sizeof(syn4_linux));
		seed_recipe("st-syn6-qinq-macos", 1, syn6_qinq_macos,
			    sizeof(syn6_qinq_macos));
		seed_recipe("st-syn4-8021q-ipopts-pad-windows", 1,
			    syn4_ipopts_pad_windows,
			    sizeof(syn4_ipopts_pad_windows));
		seed_recipe("st-syn4-overlays", 1, syn4_overlays,
			    sizeof(syn4_overlays));
		seed_recipe("st-ack4", 2, ack4, sizeof(ack4));
		seed_recipe("st-ack6-8021q-ts-data", 2, ack6_ts_data,
			    sizeof(ack6_ts_data));
	}
	/*
	 * Minted recipes (mode 3): ctl port addr sport(2) flx attrs(2) epsel
	 * seq(4) tsval(4) optlen opts... paylen [ipopts] [pad] overlays.
	 */
	{
		static const char *const ep[8] = { "cur",  "prev",   "old",
						   "next", "ahead2", "ahead3",
						   "old3", "ring" };
		__u8 b[32];
		int e, ts, f6;

		for (f6 = 0; f6 < 2; f6++)
			for (ts = 0; ts < 2; ts++)
				for (e = 0; e < 8; e++) {
					__u8 ctl = (__u8)(f6 | ts << 6 |
							  (e == 1 ? 2 : 0));

					memset(b, 0, sizeof(b));
					b[0] = ctl;
					b[1] = (__u8)(e & 1); /* 80 / 443 */
					b[6] = 0;
					b[7] = 6 | 7 << 3 | 1 << 7;
					b[8] = (__u8)e;
					b[9] = 0; /* no perturbation */
					b[10] = 0x10;
					b[13] = 0x42;
					b[14] = 0x00; /* tsval */
					b[15] = 0xc0;
					b[16] = 0xff;
					b[17] = 0xee;
					b[18] = 0; /* extra options */
					b[19] = e == 2 ? 20 : 0; /* payload */
					snprintf(name, sizeof(name),
						 "mint-ack%d-%s-%s", f6 ? 6 : 4,
						 ts ? "ts" : "nots", ep[e]);
					seed_recipe(name, 3, b, 20);
					if (e)
						continue;
					/* One cookie bit flipped (MAC bit 21
					 * or 30), then the layout swapped. */
					b[9] = (__u8)(1 << 5 | (ts ? 30 : 21));
					snprintf(name, sizeof(name),
						 "mint-ack%d-%s-cookiebit",
						 f6 ? 6 : 4,
						 ts ? "ts" : "nots");
					seed_recipe(name, 3, b, 20);
					b[9] = 7 << 5;
					snprintf(name, sizeof(name),
						 "mint-ack%d-%s-layout-swapped",
						 f6 ? 6 : 4,
						 ts ? "ts" : "nots");
					seed_recipe(name, 3, b, 20);
				}
		/* A valid ACK with a SACK block and an overlay cutting it. */
		{
			const __u8 sackblk[] = { 0x40, 0,  0, 0, 0,    0, 0,
						 0xbe, 0,  0, 1, 2,    3, 4,
						 0,    0,  0, 1, 12,   1, 1,
						 5,    10, 0, 0, 0,    1, 0,
						 0,    1,  1, 0, 0x07, 4, 0 };
			seed_recipe("mint-ack4-ts-sackblock-cut", 3, sackblk,
				    sizeof(sackblk));
		}
	}
#undef SYN_BASE
}

/* ---- libFuzzer entry points ---- */

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	verbose = getenv("FUZZ_VERBOSE") && *getenv("FUZZ_VERBOSE") == '1';
	seed_dir = getenv("FUZZ_WRITE_SEEDS");
	if (seed_dir && *seed_dir) {
		write_seeds();
		fprintf(stderr, "fuzz_xdp: %d seeds written to %s\n",
			seed_count, seed_dir);
		exit(0);
	}
	libbpf_set_print(silent);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		fprintf(stderr, "fuzz_xdp: libbpf_num_possible_cpus: %d\n",
			ncpus);
		exit(1);
	}
	pcpu = calloc((size_t)SG_STAT_MAX * ncpus, sizeof(*pcpu));
	skel = sg_xdp_open_load();
	if (!pcpu || !skel) {
		fprintf(stderr, "fuzz_xdp: cannot load the BPF object: %s\n",
			strerror(errno));
		exit(1);
	}
	prog_fd = bpf_program__fd(skel->progs.synguard_xdp);
	stats_fd = bpf_map__fd(skel->maps.sg_stats);
	if (setup_maps() || read_stats(last)) {
		fprintf(stderr, "fuzz_xdp: cannot initialise the maps: %s\n",
			strerror(errno));
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run r;
	static struct pkt in;
	struct xdp_md ctx_in = { 0 }, ctx_out = { 0 };
	__u64 now[SG_STAT_MAX];
	int i;

	if (size < 1 || build_frame(data, size, &in))
		return 0;
	if (in.len > FRAME_MAX)
		in.len = FRAME_MAX;
	if (in.len < 14)
		return 0; /* the kernel refuses these with EINVAL */

	memset(&r, 0, sizeof(r));
	why[0] = '\0';
	ctx_in.data_end = in.len;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.data,
		    .data_size_in = in.len, .data_out = r.out,
		    .data_size_out = sizeof(r.out), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &opts)) {
		bad("BPF_PROG_TEST_RUN failed: %s", strerror(errno));
		goto report;
	}
	if (read_stats(now)) {
		bad("cannot read the counters: %s", strerror(errno));
		goto report;
	}
	for (i = 0; i < SG_STAT_MAX; i++) {
		r.delta[i] = now[i] - last[i];
		last[i] = now[i];
	}
	r.verdict = opts.retval;
	r.out_len = opts.data_size_out;
	r.meta_len = ctx_out.data;
	r.frame_len = ctx_out.data_end - ctx_out.data;
	r.frame = r.out + r.meta_len;
	if (r.meta_len > r.out_len || ctx_out.data_end != r.out_len ||
	    r.out_len > sizeof(r.out)) {
		bad("inconsistent test-run context: meta %u, data_end %u, "
		    "output %u bytes",
		    ctx_out.data, ctx_out.data_end, r.out_len);
		goto report;
	}
	check_run(&r, &in);

	feature(r.verdict < 8 ? r.verdict : 7);
	if (r.stat >= 0)
		feature(8 + (__u32)r.stat + 32 * (data[0] & 3));
	for (i = SG_V_LAST + 1; i < SG_STAT_MAX; i++)
		if (r.delta[i])
			feature(160 + (__u32)i);
	feature(200 + in.len / 16 + 17 * (r.verdict & 3));
	if (cur_pert >= 0 && r.stat >= 0)
		feature(1600 + (__u32)r.stat + 32 * (__u32)cur_pert);

	if (verbose)
		fprintf(stderr, "fuzz_xdp: mode %u, %u bytes: %s, counter %d\n",
			data[0] & 3, in.len, sg_verdict_name(r.verdict),
			r.stat);
report:
	if (why[0]) {
		fprintf(stderr, "SG-FUZZ-VIOLATION: %s\n", why);
		fprintf(stderr, "mode %u, verdict %s (%u), counter %d\n",
			data[0] & 3, sg_verdict_name(r.verdict), r.verdict,
			r.stat);
		for (i = 0; i < SG_STAT_MAX; i++)
			if (r.delta[i])
				fprintf(stderr, "  counter %d moved by %lld\n",
					i, (long long)r.delta[i]);
		hexline("input", data, (__u32)size);
		hexline("frame", in.data, in.len);
		if (r.out_len && r.out_len <= sizeof(r.out))
			hexline("output (metadata + frame)", r.out, r.out_len);
		abort();
	}
	return 0;
}
