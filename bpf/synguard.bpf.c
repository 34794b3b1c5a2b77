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

#include "common.h"
#include "maps.h"
#include "csum.h"
#include "cookie.h"
#include "parse.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

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
 * Turn the SYN in @ctx into our SYN-ACK and return XDP_TX (or the drop
 * verdict when the frame cannot be resized).
 */
static __always_inline int sg_syn(struct xdp_md *ctx, struct sg_pkt *pkt,
				  const struct sg_config *cfg,
				  const struct sg_opts *o)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 l3off = pkt->l3off, iplen, tcplen, optlen, attrs9, isn, cisn;
	__u32 saddr = 0, daddr = 0, tsval = 0, epoch, ow[6], n;
	struct sg_epoch_state *es;
	struct sg_attrs a = {};
	struct sg_key *key;
	struct tcphdr *th;
	__u32 zero = 0;
	__u64 sum, mac;
	__u16 mss;
	int delta;

	es = bpf_map_lookup_elem(&sg_epoch, &zero);
	if (!es)
		return sg_verdict(SG_V_PASS_NO_KEY, XDP_PASS);
	epoch = es->epoch;
	key = sg_key_for(epoch);
	if (!key)
		return sg_verdict(SG_V_PASS_NO_KEY, XDP_PASS);

	th = data + pkt->l4off;
	if ((void *)(th + 1) > data_end)
		return sg_verdict(SG_V_DROP_MALFORMED_TCP, XDP_DROP);
	cisn = bpf_ntohl(th->seq);
	if (pkt->l4len > pkt->doff)
		sg_count(SG_E_SYN_PAYLOAD);

	/* What the handshake will be: the client's offer, less what the
	 * server kernel would refuse. */
	mss = o->mss ? o->mss : (pkt->v6 ? SG_DEF_MSS6 : SG_DEF_MSS4);
	a.mss_idx = sg_mss_index(pkt->v6 ? cfg->msstab6 : cfg->msstab4, mss);
	a.wscale = (o->has_ws && (cfg->flags & SG_CFG_WSCALE)) ? o->wscale :
								 SG_WSCALE_NONE;
	a.sack = o->sack && (cfg->flags & SG_CFG_SACK);
	a.ecn = (pkt->flags & (SG_TCP_ECE | SG_TCP_CWR)) ==
			(SG_TCP_ECE | SG_TCP_CWR) &&
		(cfg->flags & SG_CFG_ECN);
	n = o->ts && (cfg->flags & SG_CFG_TS); /* timestamps: the layout */
	attrs9 = sg_attrs_pack(&a);

	/* MAC, and the sum of both addresses for the pseudo header (the
	 * sum does not change when they are swapped). */
	if (pkt->v6) {
		struct ipv6hdr *ip6 = data + l3off;
		__u32 *s, *d;

		if ((void *)(ip6 + 1) > data_end)
			return sg_verdict(SG_V_DROP_MALFORMED_IP, XDP_DROP);
		s = ip6->saddr.in6_u.u6_addr32;
		d = ip6->daddr.in6_u.u6_addr32;
		mac = sg_mac6(key, s, d, pkt->ports, cisn,
			      sg_cookie_meta(epoch, attrs9, n));
		sum = (__u64)s[0] + s[1] + s[2] + s[3] + d[0] + d[1] + d[2] +
		      d[3];
		/* Swap in place: the IPv6 header never moves. */
		{
			struct in6_addr tmp = ip6->saddr;

			ip6->saddr = ip6->daddr;
			ip6->daddr = tmp;
		}
		iplen = sizeof(struct ipv6hdr);
	} else {
		struct iphdr *iph = data + l3off;

		if ((void *)(iph + 1) > data_end)
			return sg_verdict(SG_V_DROP_MALFORMED_IP, XDP_DROP);
		saddr = iph->saddr;
		daddr = iph->daddr;
		mac = sg_mac4(key, saddr, daddr, pkt->ports, cisn,
			      sg_cookie_meta(epoch, attrs9, n));
		sum = (__u64)saddr + daddr;
		iplen = sizeof(struct iphdr);
	}
	isn = sg_cookie_isn(mac, epoch, attrs9, n);

	/* Options, as stored words: MSS, then TS (with SACK-permitted in
	 * its padding) or SACK-permitted alone, then window scale. */
	ow[0] = 0x0402 | (__u32)bpf_htons(pkt->v6 ? cfg->mss6 : cfg->mss4)
				 << 16;
	if (n) {
		tsval = sg_cookie_tsval(mac, attrs9);
		ow[1] = a.sack ? bpf_htonl(0x0402080a) : bpf_htonl(0x0101080a);
		ow[2] = bpf_htonl(tsval);
		ow[3] = bpf_htonl(o->tsval);
		n = 4;
	} else if (a.sack) {
		ow[1] = bpf_htonl(0x01010402);
		n = 2;
	} else {
		n = 1;
	}
	if (a.wscale != SG_WSCALE_NONE) {
		ow[n & 7] = bpf_htonl(0x01030300 | cfg->wscale);
		n++;
	}
	optlen = n * 4;
	tcplen = sizeof(struct tcphdr) + optlen;

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

	if (pkt->v6) {
		struct ipv6hdr *ip6 = data + l3off;

		if ((void *)(ip6 + 1) > data_end)
			return sg_verdict(SG_V_DROP_ADJUST, XDP_DROP);
		*(__u32 *)ip6 = bpf_htonl(0x60000000); /* no class, no label */
		ip6->payload_len = bpf_htons(tcplen);
		ip6->nexthdr = SG_IPPROTO_TCP;
		ip6->hop_limit = cfg->ttl;
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
		iph->ttl = cfg->ttl;
		iph->protocol = SG_IPPROTO_TCP;
		iph->saddr = daddr;
		iph->daddr = saddr;
		isum = (__u64)bpf_htons(0x4500) + iph->tot_len +
		       bpf_htons(0x4000) + ((__u16 *)iph)[4] + saddr + daddr;
		iph->check = sg_csum_fold(isum);
		sum += bpf_htonl((SG_IPPROTO_TCP << 16) | tcplen);
		th = (void *)(iph + 1);
	}
	if ((void *)(th + 1) > data_end)
		return sg_verdict(SG_V_DROP_ADJUST, XDP_DROP);

	{
		__u32 *w = (__u32 *)th, *opt = (__u32 *)(th + 1);
		__u32 flags =
			SG_TCP_SYN | SG_TCP_ACK | (a.ecn ? SG_TCP_ECE : 0);

		w[0] = (pkt->ports >> 16) | (pkt->ports << 16);
		w[1] = bpf_htonl(isn);
		w[2] = bpf_htonl(cisn + 1);
		w[3] = (tcplen / 4) << 4 | flags << 8 |
		       (__u32)bpf_htons(cfg->window) << 16;
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
 * An ACK to a protected port: check the cookie it returns. Valid: pass it
 * up with the handshake in metadata for the TC hand-off. Invalid: drop.
 */
static __always_inline int sg_ack(struct xdp_md *ctx, struct sg_pkt *pkt,
				  const struct sg_config *cfg,
				  const struct sg_opts *o)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 cookie, cisn, epoch, attrs9, ts = o->ts, zero = 0;
	struct sg_epoch_state *es;
	struct sg_attrs a;
	struct sg_meta *m;
	struct sg_key *key;
	struct tcphdr *th;
	__u64 mac;

	es = bpf_map_lookup_elem(&sg_epoch, &zero);
	if (!es || !sg_key_for(es->epoch))
		return sg_verdict(SG_V_PASS_NO_KEY, XDP_PASS);

	th = data + pkt->l4off;
	if ((void *)(th + 1) > data_end)
		return sg_verdict(SG_V_DROP_MALFORMED_TCP, XDP_DROP);
	cookie = bpf_ntohl(th->ack_seq) - 1;
	cisn = bpf_ntohl(th->seq) - 1;
	epoch = sg_cookie_epoch(cookie, es->epoch);
	key = sg_key_for(epoch);
	if (!key)
		return sg_verdict(SG_V_DROP_COOKIE_BAD, XDP_DROP);
	attrs9 = sg_cookie_attrs(cookie, o->tsecr, ts);

	if (pkt->v6) {
		struct ipv6hdr *ip6 = data + pkt->l3off;

		if ((void *)(ip6 + 1) > data_end)
			return sg_verdict(SG_V_DROP_MALFORMED_IP, XDP_DROP);
		mac = sg_mac6(key, ip6->saddr.in6_u.u6_addr32,
			      ip6->daddr.in6_u.u6_addr32, pkt->ports, cisn,
			      sg_cookie_meta(epoch, attrs9, ts));
	} else {
		struct iphdr *iph = data + pkt->l3off;

		if ((void *)(iph + 1) > data_end)
			return sg_verdict(SG_V_DROP_MALFORMED_IP, XDP_DROP);
		mac = sg_mac4(key, iph->saddr, iph->daddr, pkt->ports, cisn,
			      sg_cookie_meta(epoch, attrs9, ts));
	}
	if (!sg_cookie_mac_ok(mac, cookie, o->tsecr, ts))
		return sg_verdict(SG_V_DROP_COOKIE_BAD, XDP_DROP);
	if (epoch != es->epoch)
		sg_count(SG_E_COOKIE_PREV_EPOCH);

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

	fl = pkt.flags;
	if ((fl & SG_TCP_SYN) && (fl & (SG_TCP_RST | SG_TCP_FIN)))
		return sg_verdict(SG_V_DROP_BAD_FLAGS, XDP_DROP);
	if (!(fl & SG_TCP_SYN) == !(fl & SG_TCP_ACK) || (fl & SG_TCP_RST))
		/* SYN-ACK, RST, or neither SYN nor ACK: the kernel's. */
		return sg_verdict(SG_V_PASS_FLAGS, XDP_PASS);

	cfg = bpf_map_lookup_elem(&sg_config, &zero);
	if (!cfg)
		return sg_verdict(SG_V_DROP_NO_CONFIG, XDP_DROP);
	if (sg_parse_opts(ctx, pkt.l4off + sizeof(struct tcphdr),
			  pkt.doff - sizeof(struct tcphdr), &o))
		return sg_verdict(SG_V_DROP_BAD_OPTION, XDP_DROP);

	if (fl & SG_TCP_SYN)
		return sg_syn(ctx, &pkt, cfg, &o);
	return sg_ack(ctx, &pkt, cfg, &o);
}
