/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Header parsing for the XDP program: Ethernet, up to two VLAN tags, IPv4
 * or IPv6, TCP, and the TCP option walk. Everything is bounds-checked
 * against data_end; offsets are kept as small bounded scalars so that the
 * verifier can follow them and prune its search.
 *
 * sg_parse() either fills a struct sg_pkt for a TCP segment to a protected
 * port, or returns the counter (and so the verdict) the packet ends with.
 */
#ifndef SG_PARSE_H
#define SG_PARSE_H

#include "common.h"
#include "maps.h"

#define SG_ETH_P_IP 0x0800
#define SG_ETH_P_IPV6 0x86DD
#define SG_ETH_P_8021Q 0x8100
#define SG_ETH_P_8021AD 0x88A8
#define SG_IPPROTO_TCP 6

#define SG_TCP_FIN 0x01
#define SG_TCP_SYN 0x02
#define SG_TCP_RST 0x04
#define SG_TCP_ACK 0x10
#define SG_TCP_ECE 0x40
#define SG_TCP_CWR 0x80

#define SG_PARSE_TCP (-1) /* sg_parse(): protected TCP segment, go on */

struct sg_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* A TCP segment to a protected port, as found in the frame. */
struct sg_pkt {
	__u32 l3off; /* IP header; <= 22 (two VLAN tags) */
	__u32 l4off; /* TCP header; <= l3off + 60 */
	__u32 l4len; /* TCP header + payload, from the IP length */
	__u32 doff;  /* TCP header length in bytes, 20..60 */
	__u32 ports; /* source and destination port as loaded (network order) */
	__u8 v6;
	__u8 flags; /* TCP flags byte */
	/* Ethernet destination is multicast or broadcast. 16 bits, so that
	 * the struct has no padding: Linux 5.15's verifier refuses stack
	 * memory with an unwritten byte as a global function's argument
	 * (sg_is_local), and a constant 0 stored into a pad byte makes 6.1's
	 * check the program 70 % longer. */
	__u16 l2mcast;
	/* Addresses as loaded (network order); IPv4 in [0], the rest 0. Read
	 * once here: everything after works from these copies. */
	__u32 saddr[4];
	__u32 daddr[4];
};

/* Options of interest in a SYN or ACK. */
struct sg_opts {
	__u16 mss; /* 0: absent */
	__u8 wscale;
	__u8 has_ws;
	__u8 sack;
	__u8 ts;
	__u8 auth; /* TCP-MD5 (19) or TCP-AO (29): the kernel's to check */
	__u8 pad;
	__u32 tsval; /* host order */
	__u32 tsecr; /* host order */
};

static __always_inline int sg_ipv6_ext(__u8 nh)
{
	/* hop-by-hop, routing, fragment, AH, destination, mobility, HIP, shim6 */
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60 ||
	       nh == 135 || nh == 139 || nh == 140;
}

static __always_inline int sg_parse(void *data, void *data_end,
				    struct sg_pkt *pkt)
{
	struct ethhdr *eth = data;
	__u64 len = data_end - data;
	__u32 l3off = sizeof(*eth);
	__u64 l4end;
	struct tcphdr *th;
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return SG_V_DROP_MALFORMED_L2;
	proto = eth->h_proto;

#pragma unroll
	for (i = 0; i < 2; i++) {
		struct sg_vlan_hdr *vh;

		if (proto != bpf_htons(SG_ETH_P_8021Q) &&
		    proto != bpf_htons(SG_ETH_P_8021AD))
			break;
		vh = data + l3off;
		if ((void *)(vh + 1) > data_end)
			return SG_V_DROP_MALFORMED_L2;
		proto = vh->proto;
		l3off += sizeof(*vh);
	}
	if (proto == bpf_htons(SG_ETH_P_8021Q) ||
	    proto == bpf_htons(SG_ETH_P_8021AD))
		return SG_V_PASS_VLAN_DEPTH;

	if (proto == bpf_htons(SG_ETH_P_IP)) {
		struct iphdr *iph = data + l3off;
		__u32 ihl;
		__u64 tot;

		if ((void *)(iph + 1) > data_end || iph->version != 4 ||
		    iph->ihl < 5)
			return SG_V_DROP_MALFORMED_IP;
		ihl = iph->ihl * 4;
		if (l3off + ihl > len)
			return SG_V_DROP_MALFORMED_IP;
		if (iph->protocol != SG_IPPROTO_TCP)
			return SG_V_PASS_NOT_TCP;
		tot = bpf_ntohs(iph->tot_len);
		if (tot < ihl || l3off + tot > len)
			return SG_V_DROP_MALFORMED_IP;
		if (iph->frag_off & bpf_htons(0x3fff))
			return SG_V_PASS_FRAGMENT;
		pkt->v6 = 0;
		pkt->l4off = l3off + ihl;
		l4end = l3off + tot;
	} else if (proto == bpf_htons(SG_ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + l3off;

		if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
			return SG_V_DROP_MALFORMED_IP;
		if (ip6->nexthdr != SG_IPPROTO_TCP)
			return sg_ipv6_ext(ip6->nexthdr) ? SG_V_PASS_IPV6_EXT :
							   SG_V_PASS_NOT_TCP;
		l4end = l3off + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		if (l4end > len)
			return SG_V_DROP_MALFORMED_IP;
		pkt->v6 = 1;
		pkt->l4off = l3off + sizeof(*ip6);
	} else {
		return SG_V_PASS_NOT_IP;
	}
	pkt->l3off = l3off;

	/* l4off <= 22 + 60: the verifier sees a small bounded offset. */
	th = data + pkt->l4off;
	if (l4end < pkt->l4off + 4 || (void *)th + 4 > data_end)
		return SG_V_DROP_MALFORMED_TCP;
	pkt->ports = *(__u32 *)th;
	if (!sg_port_protected(bpf_ntohs(th->dest)))
		return SG_V_PASS_PORT;
	if (pkt->v6) {
		struct ipv6hdr *ip6 = data + l3off;

		if ((void *)(ip6 + 1) > data_end)
			return SG_V_DROP_MALFORMED_IP;
		__builtin_memcpy(pkt->saddr, &ip6->saddr, 16);
		__builtin_memcpy(pkt->daddr, &ip6->daddr, 16);
	} else {
		struct iphdr *iph = data + l3off;

		if ((void *)(iph + 1) > data_end)
			return SG_V_DROP_MALFORMED_IP;
		pkt->saddr[0] = iph->saddr;
		pkt->daddr[0] = iph->daddr;
		pkt->saddr[1] = pkt->saddr[2] = pkt->saddr[3] = 0;
		pkt->daddr[1] = pkt->daddr[2] = pkt->daddr[3] = 0;
	}
	pkt->l2mcast = eth->h_dest[0] & 1;
	if (l4end < pkt->l4off + sizeof(*th) || (void *)(th + 1) > data_end)
		return SG_V_DROP_MALFORMED_TCP;
	pkt->doff = th->doff * 4;
	pkt->l4len = l4end - pkt->l4off;
	if (pkt->doff < sizeof(*th) || pkt->doff > pkt->l4len)
		return SG_V_DROP_MALFORMED_TCP;
	pkt->flags = ((__u8 *)th)[13];
	return SG_PARSE_TCP;
}

/*
 * Walk the TCP options: @optlen bytes (0..40) at offset @off of the frame.
 * Every option takes at least one byte, so 40 rounds always reach the end.
 *
 * This is a global (non-inlined) function on purpose: the verifier checks
 * it once, on its own, and the caller sees its results as unknown values.
 * Inlined, every combination of options found would reach the rest of the
 * program as a distinct verifier state and the SYN-ACK path would be
 * verified once per combination (over the 1M instruction limit).
 * Inside, the offset is masked to 0..63 behind an asm barrier at the top of
 * each round: clang drops a plain mask, and without it each path carries a
 * different offset range and the loop cannot be pruned.
 *
 * Returns 0, or -1 for an option whose length is 0, 1 or overruns.
 */
__attribute__((noinline)) int sg_parse_opts(struct xdp_md *ctx, __u64 start,
					    __u64 optlen, struct sg_opts *o)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *opts;
	__u64 off = 0;
	int i;

	if (!o || start > 127 || optlen > 40)
		return -1;
	/* clang 14 re-derives start from a copy it did not check: pin the
	 * bound on the register actually used. */
	asm volatile("%0 &= 0x7f" : "+r"(start));
	opts = data + start;

	for (i = 0; i < 40; i++) {
		__u8 *p, kind, olen;

		if (off >= optlen)
			break;
		asm volatile("%0 &= 0x3f" : "+r"(off));
		p = opts + off;
		/* Opaque to clang: bounds checks stay p + const, the form
		 * the verifier ties to p's own range. */
		asm volatile("" : "+r"(p));
		if ((void *)(p + 1) > data_end)
			return -1;
		kind = p[0];
		if (kind == 0)
			break;
		if (kind == 1) {
			off++;
			continue;
		}
		if (off + 2 > optlen || (void *)(p + 2) > data_end)
			return -1;
		olen = p[1];
		if (olen < 2 || off + olen > optlen)
			return -1;
		if (kind == 2 && olen == 4) {
			if ((void *)(p + 4) > data_end)
				return -1;
			o->mss = bpf_ntohs(*(__u16 *)(p + 2));
		} else if (kind == 3 && olen == 3) {
			if ((void *)(p + 3) > data_end)
				return -1;
			o->wscale = p[2] > SG_WSCALE_MAX ? SG_WSCALE_MAX : p[2];
			o->has_ws = 1;
		} else if (kind == 4 && olen == 2) {
			o->sack = 1;
		} else if (kind == 19 || kind == 29) {
			o->auth = 1;
		} else if (kind == 8 && olen == 10) {
			if ((void *)(p + 10) > data_end)
				return -1;
			o->ts = 1;
			o->tsval = bpf_ntohl(*(__u32 *)(p + 2));
			o->tsecr = bpf_ntohl(*(__u32 *)(p + 6));
		}
		off += olen;
	}
	return 0;
}

/*
 * The TCP header offset, bounded for the verifier where it reloads it from
 * the stack as a plain 32-bit value (sg_parse() guarantees the bound).
 */
static __always_inline __u32 sg_l4off(const struct sg_pkt *pkt)
{
	__u32 off = pkt->l4off;

	asm volatile("%0 &= 0x7f" : "+r"(off));
	return off;
}

/*
 * The option layouts most SYNs carry, recognised by whole-word compares
 * instead of the general walk (sg_parse_opts): 1 with @o filled when the
 * SYN's options are exactly one of them, 0 to walk.
 *   Linux:   MSS, SACK-permitted, timestamps, NOP, window scale (20 bytes)
 *   Windows: MSS, NOP, window scale, NOP, NOP, SACK-permitted (12 bytes)
 * Loads are little-endian words of the wire bytes.
 */
static __always_inline int sg_syn_opts_fast(void *data, void *data_end,
					    const struct sg_pkt *pkt,
					    struct sg_opts *o)
{
	__u32 optlen = pkt->doff - sizeof(struct tcphdr);
	__u32 *w = data + sg_l4off(pkt) + sizeof(struct tcphdr);
	__u32 ws;

	if (optlen == 20) {
		if ((void *)(w + 5) > data_end)
			return 0;
		if ((w[0] & 0xffff) != 0x0402 || w[1] != 0x0a080204 ||
		    (w[4] & 0xffffff) != 0x030301)
			return 0;
		o->ts = 1;
		o->tsval = bpf_ntohl(w[2]);
		o->tsecr = bpf_ntohl(w[3]);
		ws = w[4] >> 24;
	} else if (optlen == 12) {
		if ((void *)(w + 3) > data_end)
			return 0;
		if ((w[0] & 0xffff) != 0x0402 ||
		    (w[1] & 0xffffff) != 0x030301 || w[2] != 0x02040101)
			return 0;
		ws = w[1] >> 24;
	} else {
		return 0;
	}
	o->mss = bpf_ntohs((__u16)(w[0] >> 16));
	o->sack = 1;
	o->has_ws = 1;
	o->wscale = ws > SG_WSCALE_MAX ? SG_WSCALE_MAX : ws;
	return 1;
}

/*
 * The option layouts most handshake ACKs carry, recognised without the
 * walk (a call, and a loop): none, or NOP, NOP, timestamps (12 bytes,
 * Linux, macOS, Windows with timestamps). 1 with @o filled, 0 to walk.
 * Taken out of the valid-cookie ACK: 28 ns with timestamps, 13 without
 * (alternated A/B, prog_bench).
 */
static __always_inline int sg_ack_opts_fast(void *data, void *data_end,
					    const struct sg_pkt *pkt,
					    struct sg_opts *o)
{
	__u32 optlen = pkt->doff - sizeof(struct tcphdr);
	__u32 *w = data + sg_l4off(pkt) + sizeof(struct tcphdr);

	if (!optlen)
		return 1;
	if (optlen != 12 || (void *)(w + 3) > data_end || w[0] != 0x0a080101)
		return 0;
	o->ts = 1;
	o->tsval = bpf_ntohl(w[1]);
	o->tsecr = bpf_ntohl(w[2]);
	return 1;
}

#endif /* SG_PARSE_H */
