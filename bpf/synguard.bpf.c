// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * synguard XDP program: answers SYNs to protected ports with a stateless
 * SYN-cookie SYN-ACK (XDP_TX), checks the cookie in the returning ACK and
 * passes verified ACKs up with the decoded handshake in XDP metadata;
 * forged ACKs are dropped. Everything that is not ours passes untouched.
 *
 * Only what is ours is answered: a unicast SYN to one of this namespace's
 * addresses, on a protected port something listens on, that is not MPTCP
 * or TCP-MD5/AO (the kernel's), from a plausible source; the rest passes.
 *
 * The SYN path's lookups are array maps the verifier inlines (config,
 * ports, listeners, epoch, key, source buckets) and one hash (the local
 * address set); no helper call except bpf_xdp_adjust_tail when the frame
 * changes size; both checksums are computed from register values.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>

#include "common.h"
#include "maps.h"
#include "csum.h"
#include "cookie.h"
#include "parse.h"
#include "clock.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * The socket lookup helpers' netns argument: the program's own namespace.
 * Not from vmlinux.h: older kernels' BTF lacks it (a #define in their UAPI).
 */
#define SG_CURRENT_NETNS ((__u64)-1)

#define SG_DEF_MSS4 536	 /* RFC 9293: no MSS option means 536 over IPv4 */
#define SG_DEF_MSS6 1220 /* and 1220 over IPv6 (RFC 8200 minimum MTU) */

static __always_inline __u32 sg_mss_index(const __u16 *tab, __u32 mss)
{
	__u32 idx = 0;
	int i;

	/*
	 * Largest entry not above the client's MSS; the table is ascending.
	 * Branch-free (adds 1 when tab[i] <= mss, both < 2^16): with a branch
	 * per entry the verifier would carry eight index values, and so eight
	 * states, through the rest of the SYN path.
	 */
#pragma unroll
	for (i = 1; i < SG_MSS_TABLE_LEN; i++)
		idx += (__u32)(((__s32)(mss - tab[i]) >> 31) + 1);
	return idx;
}

/* Store option word i of ow[] when the SYN-ACK has it, summing it in. */
#define SG_PUT_OPT(i)                                                          \
	do {                                                                   \
		if (n > (i)) {                                                 \
			if ((void *)(opt + (i) + 1) > data_end)                \
				return sg_verdict(SG_V_DROP_ADJUST, XDP_DROP); \
			opt[i] = ow[i];                                        \
			sum += ow[i];                                          \
		}                                                              \
	} while (0)

static __always_inline void sg_swap_mac(struct ethhdr *eth)
{
	__u8 tmp[6];

	__builtin_memcpy(tmp, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, tmp, 6);
}

/*
 * The cookie MAC of the handshake @pkt belongs to. Inline: it was a global
 * function, verified once, but a call and its return cost about 7 ns on
 * this project's CI machine (tools/bench: the call probe pair): where the
 * kernel mitigates return speculation (SRSO "Safe RET" there) every
 * return of JITed code goes through its return thunk. The rounds are
 * straight-line code, cheap to verify where they are inlined.
 */
static __always_inline __u64 sg_mac(const struct sg_key *key,
				    const struct sg_pkt *pkt, __u32 isn,
				    __u32 meta)
{
	if (pkt->v6)
		return sg_mac6(key, pkt->saddr, pkt->daddr, pkt->ports, isn,
			       meta);
	return sg_mac4(key, pkt->saddr[0], pkt->daddr[0], pkt->ports, isn,
		       meta);
}

/* Hand-off engine, fixed at load time (dead engine code is pruned). */
const volatile __u32 sg_engine = SG_ENGINE_OWN;

/* What the SYN path decided, and everything sg_emit_synack() needs from
 * the SYN and the config. */
struct sg_synack {
	__u32 isn;   /* our sequence number: the cookie */
	__u32 tsval; /* our TSval when ts */
	__u32 ts;    /* timestamps negotiated */
	struct sg_attrs a;
	__u32 cisn;	  /* the client's ISN */
	__u32 peer_tsval; /* the client's TSval, echoed when ts */
	__u32 l3off;	  /* IP header offset in the SYN */
	__u32 ports;	  /* as loaded from the SYN */
	__u32 v6;
	__u16 mss; /* our MSS for the family */
	__u16 window;
	__u8 wscale; /* our shift */
	__u8 ttl;
};

/*
 * A keyed hash of an address (IPv4 in a[0]): a multiply-xorshift chain
 * under a secret odd multiplier from the config, so that a source cannot
 * pick addresses that land in another's slot. 64 bits: slots take the top
 * bits, fingerprints the low ones.
 */
static __always_inline __u64 sg_hash(const __u32 *a, __u32 v6, __u64 key)
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

/* The source's slot in sg_recent and sg_badck (2^16 each), and its
 * fingerprint there: the address itself for IPv4. */
struct sg_srcid {
	__u32 recent_slot;
	__u32 badck_slot;
	__u32 fp;
};

static __always_inline void sg_srcid(const struct sg_pkt *pkt,
				     const struct sg_config *cfg,
				     struct sg_srcid *id)
{
	__u64 h = sg_hash(pkt->saddr, pkt->v6, cfg->hkey[1]);

	id->recent_slot = h >> 48;
	id->badck_slot = (h >> 32) & (SG_BADCK_SLOTS - 1);
	id->fp = pkt->v6 ? (__u32)h : pkt->saddr[0];
}

/* Put the source in sg_recent for @epoch. 1 when that stored something
 * (the caller then marks the prefix's bucket, sg_src_mark_seen). */
static __always_inline int sg_recent_mark(const struct sg_srcid *id,
					  __u32 epoch)
{
	__u32 slot = id->recent_slot;
	struct sg_seen *r = bpf_map_lookup_elem(&sg_recent, &slot);

	/* Store only on change: no cache-line ping-pong between CPUs. */
	if (r && (r->epoch1 != epoch + 1 || r->fp != id->fp)) {
		r->fp = id->fp;
		r->epoch1 = epoch + 1;
		return 1;
	}
	return 0;
}

/* Epoch + 1 of this very source's last sighting, 0 for none. */
static __always_inline __u32 sg_recent_get(const struct sg_srcid *id)
{
	__u32 slot = id->recent_slot;
	struct sg_seen *r = bpf_map_lookup_elem(&sg_recent, &slot);

	return r && r->fp == id->fp ? r->epoch1 : 0;
}

/* Was the source (last seen at @seen, sg_recent_get) seen within @window
 * epochs of @epoch? */
static __always_inline int sg_seen_within(__u32 seen, __u32 epoch, __u32 window)
{
	return seen && epoch + 1 - seen < window;
}

/* The segment's 4-tuple as the socket lookup helpers take it; its size. */
static __always_inline __u32 sg_tuple(const struct sg_pkt *pkt,
				      struct bpf_sock_tuple *t)
{
	if (pkt->v6) {
		__builtin_memcpy(t->ipv6.saddr, pkt->saddr, 16);
		__builtin_memcpy(t->ipv6.daddr, pkt->daddr, 16);
		t->ipv6.sport = (__u16)pkt->ports;
		t->ipv6.dport = pkt->ports >> 16;
		return sizeof(t->ipv6);
	}
	t->ipv4.saddr = pkt->saddr[0];
	t->ipv4.daddr = pkt->daddr[0];
	t->ipv4.sport = (__u16)pkt->ports;
	t->ipv4.dport = pkt->ports >> 16;
	return sizeof(t->ipv4);
}

/*
 * The socket the kernel holds for the segment's 4-tuple: an established,
 * TIME_WAIT or request socket, else the listener, else NULL. The caller
 * releases it.
 */
static __always_inline struct bpf_sock *sg_sk_lookup(struct xdp_md *ctx,
						     struct sg_pkt *pkt)
{
	struct bpf_sock_tuple t = {};
	__u32 sz = sg_tuple(pkt, &t);

	return bpf_skc_lookup_tcp(ctx, &t, sz, SG_CURRENT_NETNS, 0);
}

/* State of the socket owning the 4-tuple, or -1 when there is none. */
static __always_inline int sg_sk_state(struct xdp_md *ctx, struct sg_pkt *pkt)
{
	struct bpf_sock *sk = sg_sk_lookup(ctx, pkt);
	int state;

	if (!sk)
		return -1;
	state = sk->state;
	bpf_sk_release(sk);
	return state;
}

/*
 * Copy of the IP and TCP headers on the stack, for the kernel's cookie
 * helpers: they take memory of a size the verifier must bound, which a
 * packet pointer plus a variable header length is not. Word-aligned: the
 * verifier insists on aligned stack access.
 */
struct sg_hdr_copy {
	__u32 ip[sizeof(struct ipv6hdr) / 4];
	__u32 tcp[15];
	__u32 tcplen;
};

/*
 * Copy the headers; their lengths in @iplen and @h->tcplen (20..60).
 * Direct packet access, no helper (bpf_xdp_load_bytes is Linux 5.18, and
 * the kernel engine runs from 5.15): the IP header as a fixed block, the
 * TCP header word by word. All 15 TCP words are written, those past the
 * header with 0: the verifier checks the helpers' reads against the
 * largest header, 60 bytes, so every one of them must be set.
 */
static __always_inline int sg_copy_hdrs(struct xdp_md *ctx, struct sg_pkt *pkt,
					struct sg_hdr_copy *h, __u32 *iplen)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 doff = pkt->doff, l3off = pkt->l3off, nw, i;
	__u32 *src;

	if (doff < sizeof(struct tcphdr) || doff > sizeof(h->tcp))
		return -1;
	/* sg_parse(): at most two VLAN tags; the mask is for the verifier. */
	asm volatile("%0 &= 0x3f" : "+r"(l3off));
	src = data + l3off;
	if (pkt->v6) {
		if ((void *)(src + 10) > data_end)
			return -1;
#pragma unroll
		for (i = 0; i < 10; i++)
			h->ip[i] = src[i];
		*iplen = sizeof(struct ipv6hdr);
	} else {
		if ((void *)(src + 5) > data_end)
			return -1;
#pragma unroll
		for (i = 0; i < 5; i++)
			h->ip[i] = src[i];
		*iplen = sizeof(struct iphdr);
	}
	src = data + sg_l4off(pkt);
	nw = doff / 4;
#pragma unroll
	for (i = 0; i < 15; i++) {
		__u32 w = 0;

		if (i < nw) {
			if ((void *)(src + i + 1) > data_end)
				return -1;
			w = src[i];
		}
		h->tcp[i] = w;
	}
	h->tcplen = doff;
	return 0;
}

/* h->tcplen as the verifier must see it for the cookie helpers. */
static __always_inline __u32 sg_tcplen(const struct sg_hdr_copy *h)
{
	__u32 len = h->tcplen;

	if (len < sizeof(struct tcphdr))
		len = sizeof(struct tcphdr);
	if (len > sizeof(h->tcp))
		len = sizeof(h->tcp);
	return len;
}

/*
 * Kernel engine: the listener mints the cookie (bpf_tcp_gen_syncookie also
 * marks it, so that the kernel accepts the ACK). Needs tcp_syncookies=2 and
 * tcp_timestamps=2. Option bits travel in our TSval the way the kernel
 * decodes them; without client timestamps only the MSS survives, so the
 * SYN-ACK then offers neither window scaling nor SACK.
 */
static __always_inline int sg_syn_kernel(struct xdp_md *ctx, struct sg_pkt *pkt,
					 const struct sg_config *cfg,
					 const struct sg_opts *o,
					 struct sg_synack *r)
{
	struct sg_hdr_copy h;
	struct bpf_sock *sk;
	__u32 iplen, opts;
	__s64 v;

	sk = sg_sk_lookup(ctx, pkt);
	if (!sk)
		return SG_V_PASS_NO_LISTENER;
	if (sk->state != BPF_TCP_LISTEN) {
		bpf_sk_release(sk);
		return SG_V_PASS_TIMEWAIT;
	}
	if (sg_copy_hdrs(ctx, pkt, &h, &iplen)) {
		bpf_sk_release(sk);
		return SG_V_DROP_MALFORMED_TCP;
	}
	v = bpf_tcp_gen_syncookie(sk, h.ip, iplen, (struct tcphdr *)h.tcp,
				  sg_tcplen(&h));
	bpf_sk_release(sk);
	if (v < 0)
		return SG_V_PASS_GEN_COOKIE;
	r->isn = (__u32)v;
	r->ts = o->ts && (cfg->flags & SG_CFG_TS);
	if (r->ts) {
		__u64 now = bpf_ktime_get_ns() / 1000000;
		__u64 tsv;

		r->a.wscale = (o->has_ws && (cfg->flags & SG_CFG_WSCALE)) ?
				      o->wscale :
				      SG_WSCALE_NONE;
		r->a.sack = o->sack && (cfg->flags & SG_CFG_SACK);
		r->a.ecn = (pkt->flags & (SG_TCP_ECE | SG_TCP_CWR)) ==
				   (SG_TCP_ECE | SG_TCP_CWR) &&
			   (cfg->flags & SG_CFG_ECN);
		/* The kernel's layout: wscale (0xf none), SACK << 4,
		 * ECN << 5 in the low 6 bits of a millisecond clock. */
		opts = (r->a.wscale & 0xf) | r->a.sack << 4 | r->a.ecn << 5;
		tsv = ((now >> 6) << 6) | opts;
		if (tsv > now)
			tsv -= 64;
		r->tsval = (__u32)tsv;
	} else {
		r->a.wscale = SG_WSCALE_NONE;
	}
	return SG_PARSE_TCP;
}

/*
 * Own engine: our SipHash cookie. Returns SG_PARSE_TCP with the SYN-ACK's
 * cookie and options in @r, or the counter of the verdict to take instead.
 */
static __always_inline int sg_syn_own(const struct sg_pkt *pkt,
				      const struct sg_config *cfg,
				      const struct sg_opts *o, __u32 cisn,
				      __u32 epoch, struct sg_synack *r)
{
	__u32 attrs9, meta;
	struct sg_key *key;
	__u16 mss;
	__u64 mac;

	key = sg_key_for(epoch);
	if (!key)
		return SG_V_PASS_NO_KEY;

	/* What the handshake will be: the client's offer, less what the
	 * server kernel would refuse. */
	mss = o->mss ? o->mss : (pkt->v6 ? SG_DEF_MSS6 : SG_DEF_MSS4);
	r->a.mss_idx = sg_mss_index(pkt->v6 ? cfg->msstab6 : cfg->msstab4, mss);
	r->a.wscale = (o->has_ws && (cfg->flags & SG_CFG_WSCALE)) ?
			      o->wscale :
			      SG_WSCALE_NONE;
	r->a.sack = o->sack && (cfg->flags & SG_CFG_SACK);
	r->ts = o->ts && (cfg->flags & SG_CFG_TS);
	/* ECN only with timestamps: the ISN-only layout has no room for it. */
	r->a.ecn = (pkt->flags & (SG_TCP_ECE | SG_TCP_CWR)) ==
			   (SG_TCP_ECE | SG_TCP_CWR) &&
		   (cfg->flags & SG_CFG_ECN) && r->ts;
	attrs9 = sg_attrs_pack(&r->a);
	meta = sg_cookie_meta(epoch, attrs9, r->ts);

	mac = sg_mac(key, pkt, cisn, meta);
	r->isn = sg_cookie_isn(mac, epoch, attrs9, r->ts);
	if (r->ts)
		r->tsval = sg_cookie_tsval(mac, attrs9);
	return SG_PARSE_TCP;
}

/*
 * Rewrite the SYN in @ctx into the SYN-ACK @r describes and return XDP_TX
 * (or the drop verdict when the frame cannot be resized).
 *
 * Inline, like sg_mac() and for the same reason. (It was a global function
 * when 6.1's verifier could not prune the paths into it; the SYN paths
 * now reach it with so few distinct states that, inlined, the program
 * verifies in fewer instructions on 6.1 than before: README.)
 */
static __always_inline int sg_emit_synack(struct xdp_md *ctx,
					  const struct sg_synack *r)
{
	void *data, *data_end;
	__u32 l3off, iplen, tcplen, saddr = 0, daddr = 0;
	__u32 ow[6], n;
	struct tcphdr *th;
	__u64 sum;
	int delta;

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	/* Bounded for the verifier: at most two VLAN tags. */
	l3off = r->l3off;
	if (l3off > sizeof(struct ethhdr) + 8)
		return sg_verdict(SG_V_DROP_MALFORMED_L2, XDP_DROP);

	/* The sum of both addresses for the pseudo header: it does not
	 * change when they are swapped. */
	if (r->v6) {
		struct ipv6hdr *ip6 = data + l3off;
		struct in6_addr tmp;
		__u32 *s, *d;

		if ((void *)(ip6 + 1) > data_end)
			return sg_verdict(SG_V_DROP_MALFORMED_IP, XDP_DROP);
		s = ip6->saddr.in6_u.u6_addr32;
		d = ip6->daddr.in6_u.u6_addr32;
		sum = (__u64)s[0] + s[1] + s[2] + s[3] + d[0] + d[1] + d[2] +
		      d[3];
		/* Swap in place: the IPv6 header never moves. */
		tmp = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = tmp;
		iplen = sizeof(struct ipv6hdr);
	} else {
		struct iphdr *iph = data + l3off;

		if ((void *)(iph + 1) > data_end)
			return sg_verdict(SG_V_DROP_MALFORMED_IP, XDP_DROP);
		saddr = iph->saddr;
		daddr = iph->daddr;
		sum = (__u64)saddr + daddr;
		iplen = sizeof(struct iphdr);
	}

	/* Options, as stored words: MSS, then TS (with SACK-permitted in
	 * its padding) or SACK-permitted alone, then window scale. */
	ow[0] = 0x0402 | (__u32)bpf_htons(r->mss) << 16;
	if (r->ts) {
		ow[1] = r->a.sack ? bpf_htonl(0x0402080a) :
				    bpf_htonl(0x0101080a);
		ow[2] = bpf_htonl(r->tsval);
		ow[3] = bpf_htonl(r->peer_tsval);
		n = 4;
	} else if (r->a.sack) {
		ow[1] = bpf_htonl(0x01010402);
		n = 2;
	} else {
		n = 1;
	}
	if (r->a.wscale != SG_WSCALE_NONE) {
		ow[n & 7] = bpf_htonl(0x01030300 | r->wscale);
		n++;
	}
	tcplen = sizeof(struct tcphdr) + n * 4;

	/* Resize the frame to exactly the SYN-ACK: payload, padding and IPv4
	 * options of the SYN go. */
	delta = (int)(l3off + iplen + tcplen) - (int)(data_end - data);
	if (delta && bpf_xdp_adjust_tail(ctx, delta))
		return sg_verdict(SG_V_DROP_ADJUST, XDP_DROP);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + sizeof(struct ethhdr) > data_end)
		return sg_verdict(SG_V_DROP_ADJUST, XDP_DROP);
	sg_swap_mac(data);

	if (r->v6) {
		struct ipv6hdr *ip6 = data + l3off;

		if ((void *)(ip6 + 1) > data_end)
			return sg_verdict(SG_V_DROP_ADJUST, XDP_DROP);
		*(__u32 *)ip6 = bpf_htonl(0x60000000); /* no class, no label */
		ip6->payload_len = bpf_htons(tcplen);
		ip6->nexthdr = SG_IPPROTO_TCP;
		ip6->hop_limit = r->ttl;
		sum += bpf_htonl(tcplen) + bpf_htonl(SG_IPPROTO_TCP);
		th = (void *)(ip6 + 1);
	} else {
		struct iphdr *iph = data + l3off;
		__u64 isum;

		if ((void *)(iph + 1) > data_end)
			return sg_verdict(SG_V_DROP_ADJUST, XDP_DROP);
		/* A fresh 20-byte header: version/IHL, TOS 0, length, id 0,
		 * DF, TTL, TCP, checksum, addresses swapped. */
		((__u16 *)iph)[0] = bpf_htons(0x4500);
		iph->tot_len = bpf_htons(iplen + tcplen);
		iph->id = 0;
		iph->frag_off = bpf_htons(0x4000);
		iph->ttl = r->ttl;
		iph->protocol = SG_IPPROTO_TCP;
		iph->saddr = daddr;
		iph->daddr = saddr;
		/* From registers: reading TTL and protocol back as one 16-bit
		 * word right after two byte stores stalls on store
		 * forwarding (~7 ns per SYN-ACK, measured). */
		isum = (__u64)bpf_htons(0x4500) + bpf_htons(iplen + tcplen) +
		       bpf_htons(0x4000) +
		       (__u16)(r->ttl | SG_IPPROTO_TCP << 8) + saddr + daddr;
		iph->check = sg_csum_fold(isum);
		sum += bpf_htonl((SG_IPPROTO_TCP << 16) | tcplen);
		th = (void *)(iph + 1);
	}
	if ((void *)(th + 1) > data_end)
		return sg_verdict(SG_V_DROP_ADJUST, XDP_DROP);

	{
		__u32 *w = (__u32 *)th, *opt = (__u32 *)(th + 1);
		__u32 flags =
			SG_TCP_SYN | SG_TCP_ACK | (r->a.ecn ? SG_TCP_ECE : 0);

		w[0] = (r->ports >> 16) | (r->ports << 16);
		w[1] = bpf_htonl(r->isn);
		w[2] = bpf_htonl(r->cisn + 1);
		w[3] = (tcplen / 4) << 4 | flags << 8 |
		       (__u32)bpf_htons(r->window) << 16;
		sum += (__u64)w[0] + w[1] + w[2] + w[3];
		/* Unrolled by hand: n is 1, 2, 3, 4 or 5 words. */
		SG_PUT_OPT(0);
		SG_PUT_OPT(1);
		SG_PUT_OPT(2);
		SG_PUT_OPT(3);
		SG_PUT_OPT(4);
		w[4] = sg_csum_fold(sum); /* checksum, urgent pointer 0 */
	}
	return sg_verdict(SG_V_TX_SYNACK, XDP_TX);
}

/*
 * Token bucket without division (sg_config): refill @b's @tokens for the
 * time since @last_ns, capped at @full units; 1 and the bucket charged
 * @cost units when it holds @need units, else 0.
 */
static __always_inline int sg_bucket_take(__u64 *tokens, __u64 *last_ns,
					  __u64 now, __u64 mul, __u64 cap_ns,
					  __u64 full, __u64 need, __u64 cost)
{
	__u64 last = *last_ns, elapsed = 0, t = *tokens;

	/* A @now behind the last refill (another CPU's clock reading,
	 * stored first; or a refill time set from userspace's finer clock)
	 * refills nothing and leaves the time alone. */
	if (now > last) {
		elapsed = now - last;
		if (elapsed > cap_ns)
			elapsed = cap_ns;
		*last_ns = now;
	}
	t += (elapsed * mul) >> 24;
	if (t > full)
		t = full;
	if (t < need) {
		*tokens = t;
		return 0;
	}
	*tokens = t - cost;
	return 1;
}

/*
 * Start fetching element @slot of the array @map without waiting for it:
 * a load whose value nothing uses, kept by the barrier. The CPU goes on
 * with the independent work that follows while the line comes (in a flood
 * of new sources, from L3 or memory); the element's real use then finds it
 * in L1. The pointer dies here, so that the verifier's states do not split
 * on it. (Tried on the ACK path too, before the socket lookup, and with
 * the cookie first before the MAC: no difference measurable there, so not
 * kept.)
 */
static __always_inline void sg_prefetch(void *map, __u32 slot)
{
	const volatile __u8 *p = bpf_map_lookup_elem(map, &slot);

	if (p) {
		__u8 v = *p;

		asm volatile("" : : "r"(v));
	}
}

/* The source prefix of the segment, and its slot in sg_sources. */
static __always_inline __u32 sg_src_slot(const struct sg_pkt *pkt,
					 const struct sg_config *cfg,
					 struct sg_src_key *k)
{
	k->family = pkt->v6 ? 6 : 4;
	k->addr[0] = pkt->saddr[0] & (pkt->v6 ? cfg->mask6[0] : cfg->mask4);
	k->addr[1] = pkt->saddr[1] & cfg->mask6[1];
	k->addr[2] = pkt->saddr[2] & cfg->mask6[2];
	k->addr[3] = pkt->saddr[3] & cfg->mask6[3];
	return sg_hash(k->addr, pkt->v6, cfg->hkey[0]) >> 48;
}

/* The bucket at @slot (sg_src_slot). */
static __always_inline struct sg_src *sg_src_at(__u32 slot)
{
	return bpf_map_lookup_elem(&sg_sources, &slot);
}

#define SG_SEEN16(e) ((__u16)(0x8000 | ((e)&0x7fff)))

/* Note in @b that a source hashing here went into sg_recent in @epoch. */
static __always_inline void sg_src_mark_seen(struct sg_src *b, __u32 epoch)
{
	if (b->key.seen != SG_SEEN16(epoch))
		b->key.seen = SG_SEEN16(epoch);
}

/*
 * May a source hashing to @b have been put in sg_recent within @window
 * epochs of @epoch? Never wrong when it says no (the mark is the latest
 * epoch of any such source); a yes may be another source's, or one 2^15
 * epochs ago: the caller then asks sg_recent itself.
 */
static __always_inline int sg_src_maybe_seen(const struct sg_src *b,
					     __u32 epoch, __u32 window)
{
	__u16 s;

	if (!b)
		return 1;
	s = b->key.seen;
	return s && ((epoch - s) & 0x7fff) < window;
}

/*
 * Claim @b for prefix @k when another prefix holds it but has been idle
 * for two epochs (or nobody ever did); until then the two share it.
 */
static __always_inline void sg_src_claim(struct sg_src *b,
					 const struct sg_src_key *k,
					 __u32 epoch, __u64 full, __u64 now)
{
	if (b->key.family == k->family && b->key.addr[0] == k->addr[0] &&
	    b->key.addr[1] == k->addr[1] && b->key.addr[2] == k->addr[2] &&
	    b->key.addr[3] == k->addr[3])
		return;
	if (b->key.family && epoch - b->epoch < 2)
		return;
	b->key.family = k->family;
	b->key.addr[0] = k->addr[0];
	b->key.addr[1] = k->addr[1];
	b->key.addr[2] = k->addr[2];
	b->key.addr[3] = k->addr[3];
	b->synack = b->ack_ok = b->limited = 0;
	b->tokens = full;
	b->last_ns = now;
	b->epoch = epoch;
}

/*
 * Half-open accounting and the reflection guard: a token bucket per
 * source prefix (the prefix our SYN-ACK goes to), so that spoofed SYNs
 * cannot turn synguard into a SYN-ACK cannon aimed at one victim network.
 * A source that completed a handshake lately (@known) is answered even
 * when its prefix's bucket is empty: a flood spoofing the prefix must not
 * lock its real clients out. Returns 0 to answer, or SG_V_DROP_RATELIMIT.
 */
static __always_inline int sg_src_synack(struct sg_src *b,
					 const struct sg_src_key *k,
					 const struct sg_config *cfg,
					 __u32 epoch, int known)
{
	__u64 full = (__u64)cfg->synack_burst << 10, now;

	if (!b)
		return 0;
	now = sg_now();
	sg_src_claim(b, k, epoch, full, now);
	if (cfg->synack_rate &&
	    !sg_bucket_take(&b->tokens, &b->last_ns, now, cfg->synack_mul,
			    cfg->synack_cap_ns, full, 1024, 1024)) {
		if (!known) {
			b->limited++;
			return SG_V_DROP_RATELIMIT;
		}
		sg_count(SG_E_GUARD_BYPASS);
	}
	b->synack++;
	if (b->epoch != epoch)
		b->epoch = epoch;
	return 0;
}

/* A verified cookie from prefix @k, whose bucket is @b. */
static __always_inline void
sg_src_ack_ok(struct sg_src *b, const struct sg_src_key *k, __u32 epoch)
{
	if (!b)
		return;
	sg_src_mark_seen(b, epoch);
	if (b->key.family == k->family && b->key.addr[0] == k->addr[0] &&
	    b->key.addr[1] == k->addr[1] && b->key.addr[2] == k->addr[2] &&
	    b->key.addr[3] == k->addr[3]) {
		b->ack_ok++;
		b->epoch = epoch;
	}
}

/*
 * Allow/deny lists by source address. Empty lists cost nothing: the loader
 * and the CLI keep a config flag per non-empty list. Returns the verdict
 * counter, or SG_PARSE_TCP to go on.
 */
static __always_inline int sg_policy(const struct sg_pkt *pkt,
				     const struct sg_config *cfg)
{
	if (pkt->v6 && (cfg->flags & (SG_CFG_ALLOW6 | SG_CFG_DENY6))) {
		struct sg_lpm6 k = { .prefixlen = 128 };

		__builtin_memcpy(k.addr, pkt->saddr, 16);
		if ((cfg->flags & SG_CFG_DENY6) &&
		    bpf_map_lookup_elem(&sg_deny6, &k))
			return SG_V_DROP_DENY;
		if ((cfg->flags & SG_CFG_ALLOW6) &&
		    bpf_map_lookup_elem(&sg_allow6, &k))
			return SG_V_PASS_ALLOW;
	} else if (!pkt->v6 && (cfg->flags & (SG_CFG_ALLOW4 | SG_CFG_DENY4))) {
		struct sg_lpm4 k = { .prefixlen = 32 };

		k.addr = pkt->saddr[0];
		if ((cfg->flags & SG_CFG_DENY4) &&
		    bpf_map_lookup_elem(&sg_deny4, &k))
			return SG_V_DROP_DENY;
		if ((cfg->flags & SG_CFG_ALLOW4) &&
		    bpf_map_lookup_elem(&sg_allow4, &k))
			return SG_V_PASS_ALLOW;
	}
	return SG_PARSE_TCP;
}

/*
 * Addresses no handshake can be completed with: unspecified, loopback,
 * multicast, limited broadcast and reserved IPv4 sources; unspecified,
 * loopback and multicast IPv6 sources; multicast or broadcast
 * destinations. The kernel drops or handles such packets itself.
 */
static __always_inline int sg_martian(const struct sg_pkt *pkt)
{
	__u32 s0 = bpf_ntohl(pkt->saddr[0]), d0 = bpf_ntohl(pkt->daddr[0]);

	if (pkt->l2mcast)
		return 1;
	if (!pkt->v6)
		return (s0 >> 24) == 0 || (s0 >> 24) == 127 ||
		       s0 >= 0xe0000000 || d0 >= 0xe0000000;
	if ((s0 >> 24) == 0xff || (d0 >> 24) == 0xff)
		return 1;
	/* :: and ::1 */
	return !pkt->saddr[0] && !pkt->saddr[1] && !pkt->saddr[2] &&
	       (pkt->saddr[3] == 0 || pkt->saddr[3] == bpf_htonl(1));
}

/* 1 when @x is 0, branch-free (a branch per entry would multiply the
 * verifier's states by the list's length). */
static __always_inline __u32 sg_zero(__u32 x)
{
	return ((x | (0u - x)) >> 31) ^ 1;
}

/*
 * Is the destination one of this namespace's addresses? A global
 * function: verified once, whatever the paths into it.
 */
__attribute__((noinline)) int sg_is_local(const struct sg_pkt *pkt,
					  const struct sg_config *cfg)
{
	__u32 i, n, hit = 0, k4;
	struct sg_in6 k6;

	if (!pkt || !cfg)
		return 0;
	/* Map keys from the stack: Linux 6.1 takes no argument memory as a
	 * key. */
	if (!pkt->v6) {
		n = cfg->nlocal4;
		k4 = pkt->daddr[0];
		if (n - 1 >= SG_LOCAL_LIST) /* 0, or too many for the list */
			return !!bpf_map_lookup_elem(&sg_local4, &k4);
#pragma unroll
		for (i = 0; i < SG_LOCAL_LIST; i++)
			hit |= sg_zero(cfg->local4[i] ^ pkt->daddr[0]) &
			       ((i - n) >> 31); /* i < n */
		return hit;
	}
	n = cfg->nlocal6;
	if (n - 1 >= SG_LOCAL_LIST6) {
		__builtin_memcpy(k6.addr, pkt->daddr, 16);
		return !!bpf_map_lookup_elem(&sg_local6, &k6);
	}
#pragma unroll
	for (i = 0; i < SG_LOCAL_LIST6; i++)
		hit |= sg_zero((cfg->local6[i][0] ^ pkt->daddr[0]) |
			       (cfg->local6[i][1] ^ pkt->daddr[1]) |
			       (cfg->local6[i][2] ^ pkt->daddr[2]) |
			       (cfg->local6[i][3] ^ pkt->daddr[3])) &
		       ((i - n) >> 31);
	return hit;
}

/*
 * sg_is_local() without its call (about 7 ns, see sg_mac()) where a family
 * has one address, as most servers' IPv4 does.
 */
static __always_inline int sg_dst_local(const struct sg_pkt *pkt,
					const struct sg_config *cfg)
{
	if (!pkt->v6 && cfg->nlocal4 == 1)
		return cfg->local4[0] == pkt->daddr[0];
	if (pkt->v6 && cfg->nlocal6 == 1)
		return !((cfg->local6[0][0] ^ pkt->daddr[0]) |
			 (cfg->local6[0][1] ^ pkt->daddr[1]) |
			 (cfg->local6[0][2] ^ pkt->daddr[2]) |
			 (cfg->local6[0][3] ^ pkt->daddr[3]));
	return sg_is_local(pkt, cfg);
}

/*
 * Is the SYN for a listener of ours? Destination one of this namespace's
 * addresses, and something listening on the port; not an MPTCP listener
 * (the hand-off kfunc refuses those). 0, or the pass reason. Without the
 * daemon's sets (SG_CFG_LOCAL clear: test harnesses, or a daemon that has
 * not filled them yet) only the address checks apply.
 */
static __always_inline int sg_not_ours(const struct sg_pkt *pkt,
				       const struct sg_config *cfg)
{
	__u32 port, idx;
	struct sg_lport *lp;

	if (sg_martian(pkt))
		return SG_V_PASS_NOT_LOCAL;
	if (!(cfg->flags & SG_CFG_LOCAL))
		return 0;
	if (!sg_dst_local(pkt, cfg))
		return SG_V_PASS_NOT_LOCAL;
	port = bpf_ntohs((__u16)(pkt->ports >> 16));
	idx = port >> 5;
	lp = bpf_map_lookup_elem(&sg_lports, &idx);
	if (!lp || !(lp->listen & (1u << (port & 31))))
		return SG_V_PASS_NO_LISTENER;
	if (lp->mptcp & (1u << (port & 31)))
		return SG_V_PASS_MPTCP;
	return 0;
}

static __always_inline int sg_syn(struct xdp_md *ctx, struct sg_pkt *pkt,
				  const struct sg_config *cfg,
				  const struct sg_opts *o)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct sg_synack r = {};
	struct sg_epoch_state *es;
	struct sg_src_key k;
	struct sg_srcid id;
	struct sg_src *b;
	struct tcphdr *th;
	__u32 cisn, epoch, seen, slot, zero = 0;
	int v;

	th = data + sg_l4off(pkt);
	if ((void *)(th + 1) > data_end)
		return sg_verdict(SG_V_DROP_MALFORMED_TCP, XDP_DROP);
	cisn = bpf_ntohl(th->seq);

	sg_count(SG_E_SYN_RX);
	/* The prefix's bucket, fetched now: in a flood of new sources it is
	 * a cache miss every time, and the checks and the MAC below run
	 * while it is on its way instead of after it. */
	slot = sg_src_slot(pkt, cfg, &k);
	sg_prefetch(&sg_sources, slot);
	v = sg_not_ours(pkt, cfg);
	if (v)
		return sg_verdict(v, XDP_PASS);
	/* Conntrack NAT would drop the request socket the hand-off attaches
	 * (user/natcheck.h): such a namespace's SYNs are the kernel's. */
	if (sg_engine == SG_ENGINE_OWN &&
	    (cfg->flags & (pkt->v6 ? SG_CFG_NAT6 : SG_CFG_NAT4)))
		return sg_verdict(SG_V_PASS_NAT, XDP_PASS);
	if (o->auth) /* the kernel checks the signature */
		return sg_verdict(SG_V_PASS_TCP_AUTH, XDP_PASS);
	es = bpf_map_lookup_elem(&sg_epoch, &zero);
	if (!es)
		return sg_verdict(SG_V_PASS_NO_KEY, XDP_PASS);
	epoch = es->epoch;
	if ((cfg->flags & SG_CFG_ENGAGE_AUTO) && !es->engaged)
		return sg_verdict(SG_V_PASS_NOT_ENGAGED, XDP_PASS);

	/* Our cookie before the bucket is read: the MAC does not depend on
	 * it, so it hides the bucket's cache miss. A SYN the guard then
	 * drops has paid for a MAC it did not need, which still costs less
	 * than a SYN-ACK. */
	if (sg_engine == SG_ENGINE_OWN) {
		v = sg_syn_own(pkt, cfg, o, cisn, epoch, &r);
		if (v != SG_PARSE_TCP)
			return sg_verdict(v, XDP_PASS);
	}

	/* The prefix's bucket says whether sg_recent may know the source at
	 * all, so that a flood of new sources costs one cache line here,
	 * not two. One sg_recent lookup serves the guard and the TIME_WAIT
	 * check. */
	b = sg_src_at(slot);
	seen = 0;
	if (sg_src_maybe_seen(b, epoch, cfg->tw_epochs + 2)) {
		sg_srcid(pkt, cfg, &id);
		seen = sg_recent_get(&id);
	}
	v = sg_src_synack(b, &k, cfg, epoch,
			  sg_seen_within(seen, epoch, cfg->tw_epochs + 2));
	if (v)
		return sg_verdict(v, XDP_DROP);

	v = SG_PARSE_TCP;
	if (sg_engine == SG_ENGINE_KERNEL) {
		v = sg_syn_kernel(ctx, pkt, cfg, o, &r);
	} else if (cfg->tw_epochs &&
		   sg_seen_within(seen, epoch, cfg->tw_epochs)) {
		/* TIME_WAIT guard: a client reusing a port whose 4-tuple the
		 * server still holds must reach the kernel, which recycles
		 * the socket; our SYN-ACK would lead to an ACK the TIME_WAIT
		 * socket swallows. Only recently seen sources pay for the
		 * lookup. */
		int st = sg_sk_state(ctx, pkt);

		if (st >= 0 && st != BPF_TCP_LISTEN)
			v = SG_V_PASS_TIMEWAIT;
	}
	if (v != SG_PARSE_TCP)
		return sg_verdict(v, sg_stat_kind(v) == SG_KIND_DROP ?
					     XDP_DROP :
					     XDP_PASS);
	if (pkt->l4len > pkt->doff)
		sg_count(SG_E_SYN_PAYLOAD);
	if (cfg->flags & SG_CFG_MONITOR) {
		/* What it would do, counted; the SYN goes on to the kernel. */
		sg_count(SG_E_MONITOR_PASSED);
		return sg_verdict(SG_V_TX_SYNACK, XDP_PASS);
	}
	r.cisn = cisn;
	r.peer_tsval = o->tsval;
	r.l3off = pkt->l3off;
	r.ports = pkt->ports;
	r.v6 = pkt->v6;
	r.mss = pkt->v6 ? cfg->mss6 : cfg->mss4;
	r.window = cfg->window;
	r.wscale = cfg->wscale;
	r.ttl = cfg->ttl;
	return sg_emit_synack(ctx, &r);
}

/* The segment's slot in sg_hshake, and what identifies it there. */
static __always_inline struct sg_hshake *sg_hshake_at(const struct sg_pkt *pkt,
						      const struct sg_srcid *id)
{
	__u32 slot = (id->recent_slot ^ pkt->ports ^ pkt->ports >> 16) &
		     (SG_HSHAKE_SLOTS - 1);

	return bpf_map_lookup_elem(&sg_hshake, &slot);
}

/* A handshake completed by @th: its follow-ups are known (sg_followup). */
static __always_inline void sg_hshake_note(const struct sg_pkt *pkt,
					   const struct sg_srcid *id,
					   const struct tcphdr *th, __u64 now)
{
	struct sg_hshake *h = sg_hshake_at(pkt, id);

	if (!h)
		return;
	h->fp = id->fp;
	h->ports = pkt->ports;
	h->ack = th->ack_seq;
	h->seq = bpf_ntohl(th->seq);
	h->t = now;
}

/*
 * Is @th, whose cookie did not check out, one of the segments behind the
 * one that completed its handshake (sg_hshake)? Same 4-tuple, the same
 * acknowledgment number, a sequence number at most one SYN-ACK window
 * (64 KiB) further on, within a second.
 */
static __always_inline int sg_followup(const struct sg_pkt *pkt,
				       const struct sg_srcid *id,
				       const struct tcphdr *th, __u64 now)
{
	struct sg_hshake *h = sg_hshake_at(pkt, id);
	__u32 ahead;

	if (!h || h->fp != id->fp || h->ports != pkt->ports ||
	    h->ack != th->ack_seq || now - h->t >= 1000000000ULL)
		return 0;
	ahead = bpf_ntohl(th->seq) - h->seq;
	return ahead - 1 < 65535;
}

/*
 * Kernel engine ACK: a listener owns the 4-tuple, so this may complete a
 * kernel cookie. bpf_tcp_check_syncookie() is a pre-filter (the kernel
 * re-checks and may still refuse): pass what it accepts, drop the rest.
 */
static __always_inline int sg_ack_kernel(struct xdp_md *ctx, struct sg_pkt *pkt,
					 const struct sg_config *cfg)
{
	struct sg_hdr_copy h;
	struct sg_srcid id;
	struct bpf_sock *sk;
	struct tcphdr *th;
	__u32 iplen;
	__u64 now;
	long ok;

	sk = sg_sk_lookup(ctx, pkt);
	if (!sk)
		return sg_verdict(SG_V_DROP_COOKIE_BAD, XDP_DROP);
	if (sk->state != BPF_TCP_LISTEN) {
		bpf_sk_release(sk);
		return sg_verdict(SG_V_PASS_ESTABLISHED, XDP_PASS);
	}
	if (sg_copy_hdrs(ctx, pkt, &h, &iplen)) {
		bpf_sk_release(sk);
		return sg_verdict(SG_V_DROP_MALFORMED_TCP, XDP_DROP);
	}
	ok = bpf_tcp_check_syncookie(sk, h.ip, iplen, (struct tcphdr *)h.tcp,
				     sg_tcplen(&h));
	bpf_sk_release(sk);
	th = (struct tcphdr *)h.tcp; /* the copy the kernel checked */
	sg_srcid(pkt, cfg, &id);
	now = sg_now();
	if (ok)
		return sg_verdict(sg_followup(pkt, &id, th, now) ?
					  SG_V_DROP_FOLLOWUP :
					  SG_V_DROP_COOKIE_BAD,
				  XDP_DROP);
	sg_hshake_note(pkt, &id, th, now);
	return sg_verdict(SG_V_PASS_COOKIE_OK, XDP_PASS);
}

/*
 * An ACK our cookie check refused may still carry a SYN cookie of the
 * kernel's (it answered some SYNs itself: auto engagement, allowlisted or
 * TIME_WAIT sources). Asked only while the daemon has seen the kernel send
 * cookies lately (SG_CFG_KCOOKIE). 1 when the kernel's cookie checks out.
 */
static __always_inline int sg_kernel_cookie(struct xdp_md *ctx,
					    struct sg_pkt *pkt)
{
	struct sg_hdr_copy h;
	struct bpf_sock *sk;
	__u32 iplen;
	long err;

	sk = sg_sk_lookup(ctx, pkt);
	if (!sk)
		return 0;
	if (sk->state != BPF_TCP_LISTEN || sg_copy_hdrs(ctx, pkt, &h, &iplen)) {
		bpf_sk_release(sk);
		return 0;
	}
	err = bpf_tcp_check_syncookie(sk, h.ip, iplen, (struct tcphdr *)h.tcp,
				      sg_tcplen(&h));
	bpf_sk_release(sk);
	return !err;
}

/*
 * The bad-cookie limiter: a source may fail the cookie check a few times a
 * second (a burst, then a rate); past that its ISN-only cookie ACKs are
 * dropped unverified until its bucket refills, so guessing a cookie
 * blindly (2^-22 per try) for a connection from a chosen address takes
 * years instead of minutes. With @cost 0, 1 when the source may be
 * checked (its bucket holds a failure's worth, which stays there); with
 * 1024, charges one failure.
 */
static __always_inline int sg_badck_may(const struct sg_config *cfg,
					const struct sg_srcid *id, __u64 now,
					__u64 cost)
{
	__u32 slot = id->badck_slot;
	struct sg_badck *b;

	if (!cfg->badck_burst)
		return 1;
	b = bpf_map_lookup_elem(&sg_badck, &slot);
	if (!b)
		return 1;
	return sg_bucket_take(&b->tokens, &b->last_ns, now, cfg->badck_mul,
			      cfg->badck_cap_ns, (__u64)cfg->badck_burst << 10,
			      1024, cost);
}

/* The handshake a verified cookie decodes to, as the TC program takes it. */
static __always_inline void sg_meta_fill(struct sg_meta *m,
					 const struct sg_config *cfg, __u32 v6,
					 __u32 attrs9, __u32 ts,
					 const struct sg_opts *o)
{
	struct sg_attrs a;

	sg_attrs_unpack(attrs9, &a);
	m->magic = SG_META_MAGIC;
	m->mss = (v6 ? cfg->msstab6 : cfg->msstab4)[a.mss_idx & 7];
	m->flags = (a.sack ? SG_META_SACK : 0) | (ts ? SG_META_TS : 0) |
		   (a.ecn ? SG_META_ECN : 0);
	if (a.wscale != SG_WSCALE_NONE) {
		m->flags |= SG_META_WSCALE;
		m->snd_wscale = a.wscale;
		m->rcv_wscale = cfg->wscale;
	} else {
		m->snd_wscale = 0;
		m->rcv_wscale = 0;
	}
	m->tsval = ts ? o->tsval : 0;
	m->tsecr = ts ? o->tsecr : 0;
}

/*
 * Check our cookie in an ACK: 0 with @attrs9 set when it verifies, else
 * the verdict counter. Shared by XDP and, without metadata, TC.
 */
static __always_inline int
sg_cookie_check(const struct sg_pkt *pkt, const struct sg_opts *o, __u32 cookie,
		__u32 cisn, __u32 cur_epoch, __u32 *attrs9, __u32 *epoch_out)
{
	__u32 epoch, ts = o->ts;
	struct sg_key *key;

	epoch = sg_cookie_epoch(cookie, cur_epoch);
	key = sg_key_for(epoch);
	if (!key)
		return SG_V_DROP_COOKIE_BAD;
	*attrs9 = sg_cookie_attrs(cookie, o->tsecr, ts);
	if (!sg_cookie_mac_ok(
		    sg_mac(key, pkt, cisn, sg_cookie_meta(epoch, *attrs9, ts)),
		    cookie, o->tsecr, ts))
		return SG_V_DROP_COOKIE_BAD;
	*epoch_out = epoch;
	return 0;
}

/*
 * The ACK order (sg_ackmix; its scale and threshold, SG_MIX_*, are in
 * common.h). A handshake ACK needs the socket lookup (36-70 ns on the
 * bench VMs: it finds only the listener) and the MAC (22-25 ns); an
 * established flow's segment needs only the lookup. Checking the cookie
 * first skips the lookup for every valid cookie, and costs each
 * established segment a MAC it did not need: the better order depends on
 * the mix, so each CPU follows it. Only pure ACKs (no payload, no SYN,
 * FIN, RST, PSH or URG) take part: a segment with data or a FIN is never
 * a handshake ACK worth the MAC (the client's first data segment also
 * carries the cookie, and the lookup finds its socket).
 */
static __always_inline void sg_mix_note(__u32 *mix, int handshake)
{
	__u32 s = *mix;

	if (handshake)
		s += (SG_MIX_ONE - s) >> SG_MIX_SHIFT;
	else
		s -= s >> SG_MIX_SHIFT;
	if (s != *mix)
		*mix = s;
}

/*
 * Does a socket other than the listener own the ACK's 4-tuple? Then it
 * is ordinary traffic: count it, note its source for the TIME_WAIT check
 * of its SYNs, and the caller passes it.
 */
static __always_inline int sg_ack_owned(struct xdp_md *ctx, struct sg_pkt *pkt,
					const struct sg_config *cfg,
					const struct sg_srcid *id, __u32 epoch,
					__u32 *mix)
{
	struct sg_src_key k;
	int state;

	state = sg_sk_state(ctx, pkt);
	if (state < 0 || state == BPF_TCP_LISTEN)
		return 0;
	if (cfg->tw_epochs && sg_recent_mark(id, epoch)) {
		struct sg_src *b = sg_src_at(sg_src_slot(pkt, cfg, &k));

		if (b)
			sg_src_mark_seen(b, epoch);
	}
	if (mix)
		sg_mix_note(mix, 0);
	sg_count(SG_V_PASS_ESTABLISHED);
	return 1;
}

/*
 * An ACK to a protected port. If a socket other than the listener owns
 * its 4-tuple it is ordinary traffic: pass. Otherwise it must return a
 * valid cookie: pass it up with the handshake in metadata for the TC
 * hand-off, or drop it. Which of the two is checked first follows the
 * traffic (sg_ackmix); the verdicts are the same either way.
 */
static __always_inline int sg_ack(struct xdp_md *ctx, struct sg_pkt *pkt,
				  const struct sg_config *cfg,
				  struct sg_opts *o)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 cookie, cisn, attrs9 = 0, epoch = 0, zero = 0, *mix = NULL;
	struct sg_epoch_state *es;
	struct sg_src_key k;
	struct sg_srcid id;
	struct sg_meta *m;
	struct tcphdr *th;
	int v, first = 0;
	__u64 now;

	/* Not for a listener of ours (another host's address, a DNAT'd
	 * service whose listener lives elsewhere, an MPTCP listener's port):
	 * the kernel's, like its SYNs were. */
	v = sg_not_ours(pkt, cfg);
	if (v)
		return sg_verdict(v, XDP_PASS);
	if (sg_engine == SG_ENGINE_KERNEL)
		return sg_ack_kernel(ctx, pkt, cfg);

	es = bpf_map_lookup_elem(&sg_epoch, &zero);
	if (!es || !sg_key_for(es->epoch))
		return sg_verdict(SG_V_PASS_NO_KEY, XDP_PASS);

	th = data + sg_l4off(pkt);
	if ((void *)(th + 1) > data_end)
		return sg_verdict(SG_V_DROP_MALFORMED_TCP, XDP_DROP);
	cookie = bpf_ntohl(th->ack_seq) - 1;
	cisn = bpf_ntohl(th->seq) - 1;
	sg_srcid(pkt, cfg, &id);

	if ((pkt->flags & ~(SG_TCP_ECE | SG_TCP_CWR)) == SG_TCP_ACK &&
	    pkt->l4len == pkt->doff) {
		mix = bpf_map_lookup_elem(&sg_ackmix, &zero);
		first = mix && *mix >= SG_MIX_COOKIE_FIRST;
	}
	if (!first && sg_ack_owned(ctx, pkt, cfg, &id, es->epoch, mix))
		return XDP_PASS;

	/* Options only now: established traffic never needs them (unless
	 * the cookie goes first). Over its bad-cookie budget, a source's
	 * ACKs in the ISN-only layout (22 MAC bits) are not checked: only
	 * timestamp-layout cookies (53 bits), which cannot be guessed, still
	 * complete. */
	now = sg_now();
	if (!sg_ack_opts_fast(data, data_end, pkt, o) &&
	    sg_parse_opts(ctx, pkt->l4off + sizeof(struct tcphdr),
			  pkt->doff - sizeof(struct tcphdr), o))
		v = SG_V_DROP_BAD_OPTION;
	else if (o->auth)
		v = SG_V_PASS_TCP_AUTH;
	else if (!o->ts && !sg_badck_may(cfg, &id, now, 0))
		v = SG_V_DROP_COOKIE_LIMITED;
	else
		v = sg_cookie_check(pkt, o, cookie, cisn, es->epoch, &attrs9,
				    &epoch);
	if (v) {
		/* With the cookie first, whatever it fails may still be an
		 * established flow's: the lookup decides before any verdict
		 * or charge. */
		if (first && sg_ack_owned(ctx, pkt, cfg, &id, es->epoch, mix))
			return XDP_PASS;
		if (v == SG_V_PASS_TCP_AUTH)
			return sg_verdict(v, XDP_PASS);
		if (v == SG_V_DROP_COOKIE_BAD) {
			/* Not a charge: the rest of a first flight that
			 * came in the batch of its handshake's ACK. */
			if (sg_followup(pkt, &id, th, now))
				return sg_verdict(SG_V_DROP_FOLLOWUP, XDP_DROP);
			if ((cfg->flags & SG_CFG_KCOOKIE) &&
			    sg_kernel_cookie(ctx, pkt))
				return sg_verdict(SG_V_PASS_KERNEL_COOKIE,
						  XDP_PASS);
			sg_badck_may(cfg, &id, now, 1024);
		}
		return sg_verdict(v, XDP_DROP);
	}
	if (mix)
		sg_mix_note(mix, 1);
	if (epoch != es->epoch)
		sg_count(SG_E_COOKIE_PREV_EPOCH);
	sg_recent_mark(&id, es->epoch);
	sg_src_ack_ok(sg_src_at(sg_src_slot(pkt, cfg, &k)), &k, es->epoch);
	sg_hshake_note(pkt, &id, th, now);

	if (cfg->flags & SG_CFG_MONITOR)
		return sg_verdict(SG_V_PASS_COOKIE_OK, XDP_PASS);
	if ((cfg->flags & SG_CFG_NO_META) ||
	    bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m))) {
		/* No metadata on this driver: TC verifies the cookie itself. */
		struct sg_flags *f = bpf_map_lookup_elem(&sg_flags, &zero);

		if (f && !f->meta_failed && !(cfg->flags & SG_CFG_NO_META))
			f->meta_failed = 1;
		sg_count(SG_E_META_FAILED);
		return sg_verdict(SG_V_PASS_COOKIE_OK, XDP_PASS);
	}
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > (void *)(long)ctx->data)
		return sg_verdict(SG_V_DROP_ADJUST, XDP_DROP);
	sg_meta_fill(m, cfg, pkt->v6, attrs9, o->ts, o);
	return sg_verdict(SG_V_PASS_COOKIE_OK, XDP_PASS);
}

static __always_inline int sg_xdp(struct xdp_md *ctx,
				  const struct sg_config *cfg)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct sg_opts o = {};
	struct sg_pkt pkt;
	__u8 fl;
	int r;

	r = sg_parse(data, data_end, &pkt);
	if (r != SG_PARSE_TCP)
		return sg_verdict(r, sg_stat_kind(r) == SG_KIND_DROP ?
					     XDP_DROP :
					     XDP_PASS);
	r = sg_policy(&pkt, cfg);
	if (r != SG_PARSE_TCP)
		return sg_verdict(r, sg_stat_kind(r) == SG_KIND_DROP ?
					     XDP_DROP :
					     XDP_PASS);

	fl = pkt.flags;
	if ((fl & SG_TCP_SYN) && (fl & (SG_TCP_RST | SG_TCP_FIN)))
		return sg_verdict(SG_V_DROP_BAD_FLAGS, XDP_DROP);
	if (!(fl & SG_TCP_SYN) == !(fl & SG_TCP_ACK) || (fl & SG_TCP_RST))
		/* SYN-ACK, RST, or neither SYN nor ACK: the kernel's. */
		return sg_verdict(SG_V_PASS_FLAGS, XDP_PASS);

	if (fl & SG_TCP_SYN) {
		if (!sg_syn_opts_fast(data, data_end, &pkt, &o) &&
		    sg_parse_opts(ctx, pkt.l4off + sizeof(struct tcphdr),
				  pkt.doff - sizeof(struct tcphdr), &o))
			return sg_verdict(SG_V_DROP_BAD_OPTION, XDP_DROP);
		return sg_syn(ctx, &pkt, cfg, &o);
	}
	return sg_ack(ctx, &pkt, cfg, &o);
}

SEC("xdp")
int synguard_xdp(struct xdp_md *ctx)
{
	struct sg_config *cfg;
	__u32 zero = 0;
	int act;

	cfg = bpf_map_lookup_elem(&sg_config, &zero);
	if (!cfg)
		return sg_verdict(SG_V_DROP_NO_CONFIG, XDP_DROP);
	act = sg_xdp(ctx, cfg);
	if (act != XDP_PASS && (cfg->flags & SG_CFG_MONITOR)) {
		/* --engage monitor: the verdict is counted, the packet goes
		 * on to the kernel. */
		sg_count(SG_E_MONITOR_PASSED);
		return XDP_PASS;
	}
	return act;
}

/* ---- TC ingress: hand verified cookie ACKs to the kernel (own engine) ---- */

#define SG_TC_ACT_OK 0

/*
 * The kernel's struct sock, only ever behind a pointer here. A definition,
 * not a forward declaration: libbpf checks the kfunc's prototype against
 * the kernel's by kind (a forward declaration is not a struct), and the
 * flavour keeps it from clashing with a full vmlinux.h.
 */
struct sock___sg {
};

/*
 * The hand-off kfunc's attributes (Linux 6.9+), as a CO-RE flavour: libbpf
 * matches it to the running kernel's struct bpf_tcp_req_attrs, relocating
 * each field and the size. Declared here rather than taken from vmlinux.h,
 * so that the object builds against any kernel's headers (6.1's BTF has no
 * such struct) and loads wherever the kfunc exists.
 */
struct bpf_tcp_req_attrs___sg {
	__u32 rcv_tsval;
	__u32 rcv_tsecr;
	__u16 mss;
	__u8 rcv_wscale;
	__u8 snd_wscale;
	__u8 ecn_ok;
	__u8 wscale_ok;
	__u8 sack_ok;
	__u8 tstamp_ok;
	__u8 usec_ts_ok;
	__u8 reserved[3];
} __attribute__((preserve_access_index));

/*
 * Weak: absent before 6.9, where the loader does not load this program.
 * Linux 6.9 and 6.10 declare the first argument as struct sk_buff *, 6.11
 * and later as struct __sk_buff *; libbpf accepts either for this
 * declaration and the verifier takes the program's context for both.
 */
extern int bpf_sk_assign_tcp_reqsk(struct __sk_buff *skb, struct sock___sg *sk,
				   struct bpf_tcp_req_attrs___sg *attrs,
				   int attrs__sz) __ksym __weak;

/* An ACK's TCP options (at most 40 bytes), copied out of the skb: TC
 * cannot walk them in place the way XDP does. 64 bytes, so that every
 * index masked with 63 is inside. */
struct sg_optbuf {
	__u8 b[64];
	__u32 len;
};

/* The mask in asm: clang 19 drops a plain "& 63" it can prove redundant
 * from compares the verifier does not connect to this index. */
static __always_inline __u32 sg_ob_idx(__u32 i)
{
	asm volatile("%0 &= 63" : "+r"(i));
	return i;
}

#define SG_OB(i) (w->ob->b[sg_ob_idx(i)])

/* Scratch space for the copy (the stack is tight with the MAC's frame on
 * top); private to the program, never pinned. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_optbuf);
} tc_scratch SEC(".maps");

struct sg_optwalk {
	struct sg_optbuf *ob;
	struct sg_opts *o;
	__u32 off;
	int err;
};

/* One option of the walk (a bpf_loop() callback: checked once, however
 * many options an ACK carries). 1 ends the walk. */
static long sg_optwalk_step(__u32 i, struct sg_optwalk *w)
{
	__u32 off = w->off, len = w->ob->len, kind, olen;

	if (off >= len || len > 40)
		return 1;
	kind = SG_OB(off);
	if (kind == 0)
		return 1;
	if (kind == 1) {
		w->off = off + 1;
		return 0;
	}
	olen = off + 2 > len ? 0 : SG_OB(off + 1);
	if (olen < 2 || off + olen > len) {
		w->err = -1;
		return 1;
	}
	if (kind == 8 && olen == 10) {
		w->o->ts = 1;
		w->o->tsval = SG_OB(off + 2) << 24 | SG_OB(off + 3) << 16 |
			      SG_OB(off + 4) << 8 | SG_OB(off + 5);
		w->o->tsecr = SG_OB(off + 6) << 24 | SG_OB(off + 7) << 16 |
			      SG_OB(off + 8) << 8 | SG_OB(off + 9);
	} else if (kind == 19 || kind == 29) {
		w->o->auth = 1;
	}
	w->off = off + olen;
	return 0;
}

/*
 * Without XDP metadata (--xdp-meta off, a driver that cannot, or a VLAN
 * device above the XDP one, which the metadata does not reach), TC checks
 * the cookie itself: the XDP program has already dropped the ACKs that
 * fail, so this recomputes one MAC per hand-off. 0 with @m filled, or -1.
 * A global function: verified once, not once per path into it.
 */
__attribute__((noinline)) int
sg_tc_verify(struct __sk_buff *skb, struct sg_pkt *pkt, struct sg_meta *m)
{
	struct sg_optwalk w = {};
	struct sg_optbuf *ob;
	struct sg_opts o = {};
	struct sg_epoch_state *es;
	struct sg_config *cfg;
	__u32 hdr[4], attrs9, epoch, optlen, zero = 0;

	if (!pkt || !m)
		return -1;
	cfg = bpf_map_lookup_elem(&sg_config, &zero);
	ob = bpf_map_lookup_elem(&tc_scratch, &zero);
	if (!cfg || !ob)
		return -1;
	if ((pkt->flags & (SG_TCP_SYN | SG_TCP_RST | SG_TCP_ACK)) != SG_TCP_ACK)
		return -1;
	es = bpf_map_lookup_elem(&sg_epoch, &zero);
	if (!es)
		return -1;
	if (bpf_skb_load_bytes(skb, pkt->l4off, hdr, sizeof(hdr)))
		return -1;
	optlen = pkt->doff - sizeof(struct tcphdr);
	if (optlen > 40)
		return -1;
	if (optlen) {
		/* 1..64 on the very register passed (clang keeps bounds on
		 * copies); the buffer holds 64. */
		__u32 n = optlen - 1;

		asm volatile("%0 &= 0x3f" : "+r"(n));
		if (bpf_skb_load_bytes(skb, pkt->l4off + sizeof(struct tcphdr),
				       ob->b, n + 1))
			return -1;
	}
	ob->len = optlen;
	w.ob = ob;
	w.o = &o;
	bpf_loop(40, sg_optwalk_step, &w, 0);
	if (w.err || o.auth)
		return -1;
	/* hdr: ports, seq, ack_seq, ... */
	if (sg_cookie_check(pkt, &o, bpf_ntohl(hdr[2]) - 1,
			    bpf_ntohl(hdr[1]) - 1, es->epoch, &attrs9, &epoch))
		return -1;
	sg_meta_fill(m, cfg, pkt->v6, attrs9, o.ts, &o);
	return 0;
}

/*
 * Was this 4-tuple handed to the kernel within the last second? The
 * client's first data segment can reach TC in the ACK's receive batch,
 * before the kernel has made the socket: it must not be handed off again.
 */
static __always_inline int sg_handed_recently(const struct sg_pkt *pkt,
					      struct sg_tuple_key *k, __u64 now)
{
	__u64 *t;

	__builtin_memcpy(k->saddr, pkt->saddr, 16);
	__builtin_memcpy(k->daddr, pkt->daddr, 16);
	k->ports = pkt->ports;
	k->family = pkt->v6 ? 6 : 4;
	t = bpf_map_lookup_elem(&sg_handed, k);
	return t && now - *t < 1000000000ULL;
}

/*
 * A packet that the XDP program passed with sg_meta in front carries a
 * verified cookie: find the listener and have the kernel create the
 * request socket from the decoded handshake, as if it had answered the SYN
 * itself. Everything else passes untouched. The kernel then creates the
 * full socket as it processes this ACK.
 *
 * The same program runs on the VLAN devices above the XDP device: with
 * two tags (QinQ) the frame is still tagged where XDP runs (skb->protocol
 * is 802.1Q there), and the kfunc takes IPv4 or IPv6 only, so the hand-off
 * happens one device up.
 */
SEC("tc")
int synguard_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct sg_meta *xm = (void *)(long)skb->data_meta;
	struct bpf_tcp_req_attrs___sg attrs = {};
	struct bpf_sock_tuple t = {};
	struct sg_tuple_key hk = {};
	struct sg_config *cfg;
	struct sg_flags *fl;
	struct bpf_sock *sk;
	struct sg_meta m = {};
	struct sg_pkt pkt;
	__u32 sz, zero = 0;
	int err, have;
	__u64 now;

	cfg = bpf_map_lookup_elem(&sg_config, &zero);
	if (!cfg || (cfg->flags & SG_CFG_MONITOR))
		return SG_TC_ACT_OK;
	have = (void *)(xm + 1) <= data && xm->magic == SG_META_MAGIC;
	if (have) {
		m = *xm;
	} else {
		/* The common case: no metadata, nothing to do. */
		fl = bpf_map_lookup_elem(&sg_flags, &zero);
		if (!(cfg->flags & SG_CFG_NO_META) &&
		    !(fl && fl->meta_failed) && skb->ifindex == cfg->ifindex)
			return SG_TC_ACT_OK;
	}
	/* The tuple again: TC sees the frame after VLAN untagging, so it
	 * parses rather than trusting offsets from XDP. */
	if (sg_parse(data, data_end, &pkt) != SG_PARSE_TCP)
		return have ? sg_verdict(SG_E_HANDOFF_PARSE, SG_TC_ACT_OK) :
			      SG_TC_ACT_OK;
	if (skb->protocol != bpf_htons(SG_ETH_P_IP) &&
	    skb->protocol != bpf_htons(SG_ETH_P_IPV6))
		return have ? sg_verdict(SG_E_HANDOFF_DEFERRED, SG_TC_ACT_OK) :
			      SG_TC_ACT_OK;
	now = sg_now();
	if (sg_handed_recently(&pkt, &hk, now))
		return sg_verdict(SG_E_HANDOFF_DUP, SG_TC_ACT_OK);

	/* A full socket, not skc: the kfunc takes a referenced listener. */
	sz = sg_tuple(&pkt, &t);
	sk = bpf_sk_lookup_tcp(skb, &t, sz, SG_CURRENT_NETNS, 0);
	if (!sk)
		return have ? sg_verdict(SG_E_HANDOFF_NO_LISTENER,
					 SG_TC_ACT_OK) :
			      SG_TC_ACT_OK;
	if (sk->state != BPF_TCP_LISTEN) {
		/* The connection exists already. Nothing to do. */
		bpf_sk_release(sk);
		return SG_TC_ACT_OK;
	}
	if (!have) {
		if (sg_tc_verify(skb, &pkt, &m)) {
			bpf_sk_release(sk);
			return SG_TC_ACT_OK;
		}
		sg_count(SG_E_TC_VERIFIED);
	}

	attrs.mss = m.mss;
	attrs.sack_ok = !!(m.flags & SG_META_SACK);
	attrs.ecn_ok = !!(m.flags & SG_META_ECN);
	if (m.flags & SG_META_WSCALE) {
		attrs.wscale_ok = 1;
		attrs.snd_wscale = m.snd_wscale;
		attrs.rcv_wscale = m.rcv_wscale;
	}
	if (m.flags & SG_META_TS) {
		attrs.tstamp_ok = 1;
		attrs.rcv_tsval = m.tsval;
		attrs.rcv_tsecr = m.tsecr;
	}
	err = bpf_sk_assign_tcp_reqsk(
		skb, (struct sock___sg *)sk, &attrs,
		bpf_core_type_size(struct bpf_tcp_req_attrs___sg));
	bpf_sk_release(sk);
	if (!err)
		bpf_map_update_elem(&sg_handed, &hk, &now, BPF_ANY);
	sg_count(err ? SG_E_HANDOFF_ERROR : SG_E_HANDOFF_OK);
	return SG_TC_ACT_OK;
}
