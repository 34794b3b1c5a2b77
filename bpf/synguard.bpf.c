// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * synguard XDP program: answers SYNs to protected ports with a stateless
 * SYN-cookie SYN-ACK (XDP_TX), checks the cookie in the returning ACK and
 * passes verified ACKs up with the decoded handshake in XDP metadata;
 * forged ACKs are dropped. Everything that is not ours passes untouched.
 *
 * The SYN path does no map lookup beyond the config, the current epoch
 * and its key (array maps, inlined by the verifier), no helper call except
 * bpf_xdp_adjust_tail when the frame changes size, and computes both
 * checksums from register values.
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

/* Inputs of the cookie MAC, gathered on the stack for sg_mac(). */
struct sg_mac_args {
	struct sg_key key;
	__u32 saddr[4];
	__u32 daddr[4];
	__u32 ports;
	__u32 isn;
	__u32 meta;
	__u32 v6;
};

/*
 * The cookie MAC, as a global function: the verifier checks the SipHash
 * rounds once instead of once per path that reaches them (SYN and ACK,
 * IPv4 and IPv6, each option combination), which keeps the program's
 * verification cost modest. The call costs a few instructions.
 */
__attribute__((noinline)) __u64 sg_mac(struct sg_mac_args *a)
{
	if (!a)
		return 0;
	if (a->v6)
		return sg_mac6(&a->key, a->saddr, a->daddr, a->ports, a->isn,
			       a->meta);
	return sg_mac4(&a->key, a->saddr[0], a->daddr[0], a->ports, a->isn,
		       a->meta);
}

/* Fill the address part of @a from the packet; 0 or -1. */
static __always_inline int sg_mac_addrs(struct xdp_md *ctx, struct sg_pkt *pkt,
					struct sg_mac_args *a)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (pkt->v6) {
		struct ipv6hdr *ip6 = data + pkt->l3off;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		__builtin_memcpy(a->saddr, &ip6->saddr, 16);
		__builtin_memcpy(a->daddr, &ip6->daddr, 16);
		a->v6 = 1;
	} else {
		struct iphdr *iph = data + pkt->l3off;

		if ((void *)(iph + 1) > data_end)
			return -1;
		a->saddr[0] = iph->saddr;
		a->daddr[0] = iph->daddr;
		a->v6 = 0;
	}
	return 0;
}

/* Hand-off engine, fixed at load time (dead engine code is pruned). */
const volatile __u32 sg_engine = SG_ENGINE_OWN;

/*
 * What the SYN path decided, and everything sg_emit_synack() needs from
 * the SYN and the config: it is a global function, which sees nothing but
 * its arguments.
 */
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

static __always_inline __u32 sg_src_slot4(__u32 saddr)
{
	return (saddr * 0x9e3779b1u) >> 16; /* 16 bits: SG_RECENT_SLOTS */
}

static __always_inline __u32 sg_src_slot6(const __u32 *s)
{
	return sg_src_slot4(s[0] ^ s[1] ^ s[2] ^ s[3]);
}

static __always_inline void sg_recent_mark(__u32 slot, __u32 epoch)
{
	__u32 *r = bpf_map_lookup_elem(&sg_recent, &slot);

	/* Store only on change: no cache-line ping-pong between CPUs. */
	if (r && *r != epoch + 1)
		*r = epoch + 1;
}

static __always_inline int sg_recent_seen(__u32 slot, __u32 epoch, __u32 window)
{
	__u32 *r = bpf_map_lookup_elem(&sg_recent, &slot);

	return r && *r && epoch + 1 - *r < window;
}

/*
 * The segment's 4-tuple as the socket lookup helpers take it. Returns the
 * tuple size, or 0 when the IP header is not in the frame. Shared by XDP
 * and TC (which passes its own data pointers).
 */
static __always_inline __u32 sg_tuple(void *data, void *data_end,
				      const struct sg_pkt *pkt,
				      struct bpf_sock_tuple *t)
{
	if (pkt->v6) {
		struct ipv6hdr *ip6 = data + pkt->l3off;

		if ((void *)(ip6 + 1) > data_end)
			return 0;
		__builtin_memcpy(t->ipv6.saddr, &ip6->saddr, 16);
		__builtin_memcpy(t->ipv6.daddr, &ip6->daddr, 16);
		t->ipv6.sport = (__u16)pkt->ports;
		t->ipv6.dport = pkt->ports >> 16;
		return sizeof(t->ipv6);
	} else {
		struct iphdr *iph = data + pkt->l3off;

		if ((void *)(iph + 1) > data_end)
			return 0;
		t->ipv4.saddr = iph->saddr;
		t->ipv4.daddr = iph->daddr;
		t->ipv4.sport = (__u16)pkt->ports;
		t->ipv4.dport = pkt->ports >> 16;
		return sizeof(t->ipv4);
	}
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
	__u32 sz = sg_tuple((void *)(long)ctx->data,
			    (void *)(long)ctx->data_end, pkt, &t);

	if (!sz)
		return NULL;
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
 * packet pointer plus a variable header length is not.
 */
struct sg_hdr_copy {
	__u8 ip[sizeof(struct ipv6hdr)];
	__u8 tcp[60];
};

static __always_inline int sg_copy_hdrs(struct xdp_md *ctx, struct sg_pkt *pkt,
					struct sg_hdr_copy *h, __u32 *iplen)
{
	__u32 doff = pkt->doff;

	*iplen = pkt->v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	if (bpf_xdp_load_bytes(ctx, pkt->l3off, h->ip, *iplen))
		return -1;
	if (doff < sizeof(struct tcphdr) || doff > sizeof(h->tcp))
		return -1;
	return bpf_xdp_load_bytes(ctx, pkt->l4off, h->tcp, doff);
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
				  pkt->doff);
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
 * Own engine: our SipHash cookie. Returns SG_PARSE_TCP to go on with the
 * SYN-ACK in @r, or the counter of the verdict to take instead.
 */
static __always_inline int sg_syn_own(struct xdp_md *ctx, struct sg_pkt *pkt,
				      const struct sg_config *cfg,
				      const struct sg_opts *o, __u32 cisn,
				      struct sg_synack *r)
{
	struct sg_mac_args ma = {};
	struct sg_epoch_state *es;
	__u32 epoch, attrs9, slot, meta, zero = 0;
	struct sg_key *key;
	__u16 mss;
	__u64 mac;

	es = bpf_map_lookup_elem(&sg_epoch, &zero);
	if (!es)
		return SG_V_PASS_NO_KEY;
	epoch = es->epoch;
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
	r->a.ecn = (pkt->flags & (SG_TCP_ECE | SG_TCP_CWR)) ==
			   (SG_TCP_ECE | SG_TCP_CWR) &&
		   (cfg->flags & SG_CFG_ECN);
	r->ts = o->ts && (cfg->flags & SG_CFG_TS);
	attrs9 = sg_attrs_pack(&r->a);
	meta = sg_cookie_meta(epoch, attrs9, r->ts);

	if (sg_mac_addrs(ctx, pkt, &ma))
		return SG_V_DROP_MALFORMED_IP;
	slot = pkt->v6 ? sg_src_slot6(ma.saddr) : sg_src_slot4(ma.saddr[0]);
	ma.key = *key;
	ma.ports = pkt->ports;
	ma.isn = cisn;
	ma.meta = meta;
	mac = sg_mac(&ma);

	/*
	 * TIME_WAIT guard: a client reusing a port whose 4-tuple the server
	 * still holds must reach the kernel, which recycles the socket; our
	 * SYN-ACK would lead to an ACK the TIME_WAIT socket swallows. Only
	 * recently seen sources pay for the lookup.
	 */
	if (cfg->tw_epochs && sg_recent_seen(slot, epoch, cfg->tw_epochs)) {
		int st = sg_sk_state(ctx, pkt);

		if (st >= 0 && st != BPF_TCP_LISTEN)
			return SG_V_PASS_TIMEWAIT;
	}

	r->isn = sg_cookie_isn(mac, epoch, attrs9, r->ts);
	if (r->ts)
		r->tsval = sg_cookie_tsval(mac, attrs9);
	return SG_PARSE_TCP;
}

/*
 * Rewrite the SYN in @ctx into the SYN-ACK @r describes and return XDP_TX
 * (or the drop verdict when the frame cannot be resized).
 *
 * A global function: the verifier checks it once, for any SYN-ACK,
 * instead of once for every combination of header layout and options the
 * SYN paths arrive with. Older verifiers (Linux 6.1) cannot prune those
 * combinations and give up at their 1M-instruction limit otherwise.
 */
__attribute__((noinline)) int sg_emit_synack(struct xdp_md *ctx,
					     struct sg_synack *r)
{
	void *data, *data_end;
	__u32 l3off, iplen, tcplen, saddr = 0, daddr = 0;
	__u32 ow[6], n;
	struct tcphdr *th;
	__u64 sum;
	int delta;

	if (!r)
		return XDP_ABORTED;
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

/* The source prefix of the segment, as the sg_sources key. */
static __always_inline int sg_src_key(struct xdp_md *ctx, struct sg_pkt *pkt,
				      const struct sg_config *cfg,
				      struct sg_src_key *k)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (pkt->v6) {
		struct ipv6hdr *ip6 = data + pkt->l3off;
		__u32 *a;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		a = ip6->saddr.in6_u.u6_addr32;
		k->family = 6;
		k->addr[0] = a[0] & cfg->mask6[0];
		k->addr[1] = a[1] & cfg->mask6[1];
		k->addr[2] = a[2] & cfg->mask6[2];
		k->addr[3] = a[3] & cfg->mask6[3];
	} else {
		struct iphdr *iph = data + pkt->l3off;

		if ((void *)(iph + 1) > data_end)
			return -1;
		k->family = 4;
		k->addr[0] = iph->saddr & cfg->mask4;
		k->addr[1] = k->addr[2] = k->addr[3] = 0;
	}
	return 0;
}

/*
 * Half-open accounting and the reflection guard: a token bucket per
 * source prefix (the prefix our SYN-ACK goes to), so that spoofed SYNs
 * cannot turn synguard into a SYN-ACK cannon aimed at one victim network.
 * Returns 0 to answer, or SG_V_DROP_RATELIMIT.
 */
static __always_inline int sg_src_synack(struct xdp_md *ctx, struct sg_pkt *pkt,
					 const struct sg_config *cfg,
					 __u32 epoch)
{
	struct sg_src_key k;
	struct sg_src *src;
	__u64 now = 0, full;

	if (sg_src_key(ctx, pkt, cfg, &k))
		return 0;
	full = (__u64)cfg->synack_burst << 10;
	src = bpf_map_lookup_elem(&sg_sources, &k);
	if (!src) {
		struct sg_src n = { .tokens = full, .epoch = epoch };

		if (cfg->synack_rate)
			n.last_ns = bpf_ktime_get_coarse_ns();
		bpf_map_update_elem(&sg_sources, &k, &n, BPF_NOEXIST);
		src = bpf_map_lookup_elem(&sg_sources, &k);
		if (!src)
			return 0; /* accounting is best effort */
	}
	if (cfg->synack_rate) {
		__u64 elapsed, tokens = src->tokens;

		now = bpf_ktime_get_coarse_ns();
		elapsed = now - src->last_ns;
		if (elapsed > 10000000000ULL) /* cap: no overflow below */
			elapsed = 10000000000ULL;
		/* 1024 units per SYN-ACK, rate per 1e9 ns. */
		tokens += elapsed * cfg->synack_rate / 976562;
		if (tokens > full)
			tokens = full;
		src->last_ns = now;
		if (tokens < 1024) {
			src->tokens = tokens;
			src->limited++;
			return SG_V_DROP_RATELIMIT;
		}
		src->tokens = tokens - 1024;
	}
	src->synack++;
	if (src->epoch != epoch)
		src->epoch = epoch;
	return 0;
}

static __always_inline void sg_src_ack_ok(struct xdp_md *ctx,
					  struct sg_pkt *pkt,
					  const struct sg_config *cfg,
					  __u32 epoch)
{
	struct sg_src_key k;
	struct sg_src *src;

	if (sg_src_key(ctx, pkt, cfg, &k))
		return;
	src = bpf_map_lookup_elem(&sg_sources, &k);
	if (src) {
		src->ack_ok++;
		src->epoch = epoch;
	}
}

/*
 * Allow/deny lists by source address. Empty lists cost nothing: the loader
 * and the CLI keep a config flag per non-empty list. Returns the verdict
 * counter, or SG_PARSE_TCP to go on.
 */
static __always_inline int sg_policy(struct xdp_md *ctx, struct sg_pkt *pkt,
				     const struct sg_config *cfg)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (pkt->v6 && (cfg->flags & (SG_CFG_ALLOW6 | SG_CFG_DENY6))) {
		struct ipv6hdr *ip6 = data + pkt->l3off;
		struct sg_lpm6 k = { .prefixlen = 128 };

		if ((void *)(ip6 + 1) > data_end)
			return SG_V_DROP_MALFORMED_IP;
		__builtin_memcpy(k.addr, &ip6->saddr, 16);
		if ((cfg->flags & SG_CFG_DENY6) &&
		    bpf_map_lookup_elem(&sg_deny6, &k))
			return SG_V_DROP_DENY;
		if ((cfg->flags & SG_CFG_ALLOW6) &&
		    bpf_map_lookup_elem(&sg_allow6, &k))
			return SG_V_PASS_ALLOW;
	} else if (!pkt->v6 && (cfg->flags & (SG_CFG_ALLOW4 | SG_CFG_DENY4))) {
		struct iphdr *iph = data + pkt->l3off;
		struct sg_lpm4 k = { .prefixlen = 32 };

		if ((void *)(iph + 1) > data_end)
			return SG_V_DROP_MALFORMED_IP;
		k.addr = iph->saddr;
		if ((cfg->flags & SG_CFG_DENY4) &&
		    bpf_map_lookup_elem(&sg_deny4, &k))
			return SG_V_DROP_DENY;
		if ((cfg->flags & SG_CFG_ALLOW4) &&
		    bpf_map_lookup_elem(&sg_allow4, &k))
			return SG_V_PASS_ALLOW;
	}
	return SG_PARSE_TCP;
}

static __always_inline int sg_syn(struct xdp_md *ctx, struct sg_pkt *pkt,
				  const struct sg_config *cfg,
				  const struct sg_opts *o)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct sg_synack r = {};
	struct sg_epoch_state *es;
	struct tcphdr *th;
	__u32 cisn, zero = 0;
	int v;

	th = data + pkt->l4off;
	if ((void *)(th + 1) > data_end)
		return sg_verdict(SG_V_DROP_MALFORMED_TCP, XDP_DROP);
	cisn = bpf_ntohl(th->seq);

	sg_count(SG_E_SYN_RX);
	es = bpf_map_lookup_elem(&sg_epoch, &zero);
	v = sg_src_synack(ctx, pkt, cfg, es ? es->epoch : 0);
	if (v)
		return sg_verdict(v, XDP_DROP);

	if (sg_engine == SG_ENGINE_KERNEL)
		v = sg_syn_kernel(ctx, pkt, cfg, o, &r);
	else
		v = sg_syn_own(ctx, pkt, cfg, o, cisn, &r);
	if (v != SG_PARSE_TCP)
		return sg_verdict(v, sg_stat_kind(v) == SG_KIND_DROP ?
					     XDP_DROP :
					     XDP_PASS);
	if (pkt->l4len > pkt->doff)
		sg_count(SG_E_SYN_PAYLOAD);
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

/*
 * Kernel engine ACK: a listener owns the 4-tuple, so this may complete a
 * kernel cookie. bpf_tcp_check_syncookie() is a pre-filter (the kernel
 * re-checks and may still refuse): pass what it accepts, drop the rest.
 */
static __always_inline int sg_ack_kernel(struct xdp_md *ctx, struct sg_pkt *pkt)
{
	struct sg_hdr_copy h;
	struct bpf_sock *sk;
	__u32 iplen;
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
				     pkt->doff);
	bpf_sk_release(sk);
	if (ok)
		return sg_verdict(SG_V_DROP_COOKIE_BAD, XDP_DROP);
	return sg_verdict(SG_V_PASS_COOKIE_OK, XDP_PASS);
}

/*
 * An ACK to a protected port. If a socket other than the listener owns
 * its 4-tuple it is ordinary traffic: pass. Otherwise it must return a
 * valid cookie: pass it up with the handshake in metadata for the TC
 * hand-off, or drop it.
 */
static __always_inline int sg_ack(struct xdp_md *ctx, struct sg_pkt *pkt,
				  const struct sg_config *cfg,
				  struct sg_opts *o)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 cookie, cisn, epoch, attrs9, slot, ts, zero = 0;
	struct sg_mac_args ma = {};
	struct sg_epoch_state *es;
	struct sg_attrs a;
	struct sg_meta *m;
	struct sg_key *key;
	struct tcphdr *th;
	int state;
	__u64 mac;

	if (sg_engine == SG_ENGINE_KERNEL)
		return sg_ack_kernel(ctx, pkt);

	es = bpf_map_lookup_elem(&sg_epoch, &zero);
	if (!es || !sg_key_for(es->epoch))
		return sg_verdict(SG_V_PASS_NO_KEY, XDP_PASS);

	th = data + pkt->l4off;
	if ((void *)(th + 1) > data_end)
		return sg_verdict(SG_V_DROP_MALFORMED_TCP, XDP_DROP);
	cookie = bpf_ntohl(th->ack_seq) - 1;
	cisn = bpf_ntohl(th->seq) - 1;

	if (pkt->v6) {
		struct ipv6hdr *ip6 = data + pkt->l3off;

		if ((void *)(ip6 + 1) > data_end)
			return sg_verdict(SG_V_DROP_MALFORMED_IP, XDP_DROP);
		slot = sg_src_slot6(ip6->saddr.in6_u.u6_addr32);
	} else {
		struct iphdr *iph = data + pkt->l3off;

		if ((void *)(iph + 1) > data_end)
			return sg_verdict(SG_V_DROP_MALFORMED_IP, XDP_DROP);
		slot = sg_src_slot4(iph->saddr);
	}

	state = sg_sk_state(ctx, pkt);
	if (state >= 0 && state != BPF_TCP_LISTEN) {
		if (cfg->tw_epochs)
			sg_recent_mark(slot, es->epoch);
		return sg_verdict(SG_V_PASS_ESTABLISHED, XDP_PASS);
	}

	/* Options only now: established traffic never needs them. */
	if (sg_parse_opts(ctx, pkt->l4off + sizeof(struct tcphdr),
			  pkt->doff - sizeof(struct tcphdr), o))
		return sg_verdict(SG_V_DROP_BAD_OPTION, XDP_DROP);
	ts = o->ts;
	epoch = sg_cookie_epoch(cookie, es->epoch);
	key = sg_key_for(epoch);
	if (!key)
		return sg_verdict(SG_V_DROP_COOKIE_BAD, XDP_DROP);
	attrs9 = sg_cookie_attrs(cookie, o->tsecr, ts);

	if (sg_mac_addrs(ctx, pkt, &ma))
		return sg_verdict(SG_V_DROP_MALFORMED_IP, XDP_DROP);
	ma.key = *key;
	ma.ports = pkt->ports;
	ma.isn = cisn;
	ma.meta = sg_cookie_meta(epoch, attrs9, ts);
	mac = sg_mac(&ma);
	if (!sg_cookie_mac_ok(mac, cookie, o->tsecr, ts))
		return sg_verdict(SG_V_DROP_COOKIE_BAD, XDP_DROP);
	if (epoch != es->epoch)
		sg_count(SG_E_COOKIE_PREV_EPOCH);
	if (cfg->tw_epochs)
		sg_recent_mark(slot, es->epoch);
	sg_src_ack_ok(ctx, pkt, cfg, es->epoch);

	sg_attrs_unpack(attrs9, &a);
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m)))
		return sg_verdict(SG_V_DROP_ADJUST, XDP_DROP);
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > (void *)(long)ctx->data)
		return sg_verdict(SG_V_DROP_ADJUST, XDP_DROP);
	m->magic = SG_META_MAGIC;
	m->mss = (pkt->v6 ? cfg->msstab6 : cfg->msstab4)[a.mss_idx & 7];
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
	return sg_verdict(SG_V_PASS_COOKIE_OK, XDP_PASS);
}

SEC("xdp")
int synguard_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct sg_opts o = {};
	struct sg_config *cfg;
	struct sg_pkt pkt;
	__u32 zero = 0;
	__u8 fl;
	int r;

	r = sg_parse(data, data_end, &pkt);
	if (r != SG_PARSE_TCP) {
		__u32 kind = sg_stat_kind(r);

		return sg_verdict(r,
				  kind == SG_KIND_DROP ? XDP_DROP : XDP_PASS);
	}

	cfg = bpf_map_lookup_elem(&sg_config, &zero);
	if (!cfg)
		return sg_verdict(SG_V_DROP_NO_CONFIG, XDP_DROP);
	r = sg_policy(ctx, &pkt, cfg);
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
		if (sg_parse_opts(ctx, pkt.l4off + sizeof(struct tcphdr),
				  pkt.doff - sizeof(struct tcphdr), &o))
			return sg_verdict(SG_V_DROP_BAD_OPTION, XDP_DROP);
		return sg_syn(ctx, &pkt, cfg, &o);
	}
	return sg_ack(ctx, &pkt, cfg, &o);
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

/*
 * A packet that the XDP program passed with sg_meta in front carries a
 * verified cookie: find the listener and have the kernel create the
 * request socket from the decoded handshake, as if it had answered the SYN
 * itself. Everything else passes untouched. The kernel then creates the
 * full socket as it processes this ACK.
 */
SEC("tc")
int synguard_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct sg_meta *m = (void *)(long)skb->data_meta;
	struct bpf_tcp_req_attrs___sg attrs = {};
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	struct sg_pkt pkt;
	__u32 sz;
	int err;

	if ((void *)(m + 1) > data || m->magic != SG_META_MAGIC)
		return SG_TC_ACT_OK;
	/* The tuple again: TC sees the frame after VLAN untagging, so it
	 * parses rather than trusting offsets from XDP. */
	if (sg_parse(data, data_end, &pkt) != SG_PARSE_TCP)
		return sg_verdict(SG_E_HANDOFF_PARSE, SG_TC_ACT_OK);
	sz = sg_tuple(data, data_end, &pkt, &t);
	if (!sz)
		return sg_verdict(SG_E_HANDOFF_PARSE, SG_TC_ACT_OK);

	/* A full socket, not skc: the kfunc takes a referenced listener. */
	sk = bpf_sk_lookup_tcp(skb, &t, sz, SG_CURRENT_NETNS, 0);
	if (!sk)
		return sg_verdict(SG_E_HANDOFF_NO_LISTENER, SG_TC_ACT_OK);
	if (sk->state != BPF_TCP_LISTEN) {
		/* The connection exists already: XDP saw this segment (the
		 * first data after the ACK, in one batch) before the kernel
		 * created it. Nothing to do. */
		bpf_sk_release(sk);
		return SG_TC_ACT_OK;
	}

	attrs.mss = m->mss;
	attrs.sack_ok = !!(m->flags & SG_META_SACK);
	attrs.ecn_ok = !!(m->flags & SG_META_ECN);
	if (m->flags & SG_META_WSCALE) {
		attrs.wscale_ok = 1;
		attrs.snd_wscale = m->snd_wscale;
		attrs.rcv_wscale = m->rcv_wscale;
	}
	if (m->flags & SG_META_TS) {
		attrs.tstamp_ok = 1;
		attrs.rcv_tsval = m->tsval;
		attrs.rcv_tsecr = m->tsecr;
	}
	err = bpf_sk_assign_tcp_reqsk(
		skb, (struct sock___sg *)sk, &attrs,
		bpf_core_type_size(struct bpf_tcp_req_attrs___sg));
	bpf_sk_release(sk);
	sg_count(err ? SG_E_HANDOFF_ERROR : SG_E_HANDOFF_OK);
	return SG_TC_ACT_OK;
}
