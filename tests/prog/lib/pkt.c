/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Packet builder for the XDP fixture tests (see pkt.h). Writes every
 * header byte by byte in network order, so the result does not depend on
 * host structure layouts, and fills in valid checksums.
 */
#include <stdio.h>
#include <string.h>

#include "pkt.h"

static const __u8 def_src_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const __u8 def_dst_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const __u8 def_src4[4] = { 192, 0, 2, 1 };
static const __u8 def_dst4[4] = { 198, 51, 100, 2 };
static const __u8 def_src6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				   0,	 0,    0,    0,	   0, 0, 0, 1 };
static const __u8 def_dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				   0,	 0,    0,    0,	   0, 0, 0, 2 };

void pkt_put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

void pkt_put32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

__u16 pkt_get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

__u32 pkt_get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static int all_zero(const __u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

void pkt_addrs(const struct pkt_spec *s, __u8 *src, __u8 *dst)
{
	size_t n = s->family == 6 ? 16 : 4;

	if (all_zero(s->src_ip, n))
		memcpy(src, s->family == 6 ? def_src6 : def_src4, n);
	else
		memcpy(src, s->src_ip, n);
	if (all_zero(s->dst_ip, n))
		memcpy(dst, s->family == 6 ? def_dst6 : def_dst4, n);
	else
		memcpy(dst, s->dst_ip, n);
}

/* Ones' complement sum of big-endian 16-bit words, not folded. */
static __u32 sum16(const __u8 *p, __u32 len, __u32 sum)
{
	__u32 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += pkt_get16(p + i);
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

static __u16 fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* L4 checksum; pseudo-header unless ICMPv4. Field must be zero on entry. */
static __u16 l4_csum(const __u8 *l3, int family, __u8 proto, const __u8 *l4,
		     __u32 l4len)
{
	__u32 sum = 0;

	if (family == 4 && proto == PKT_IPPROTO_ICMP)
		return fold(sum16(l4, l4len, 0));
	if (family == 4) {
		sum = sum16(l3 + 12, 8, 0);
		sum += proto;
		sum += l4len;
	} else {
		sum = sum16(l3 + 8, 32, 0);
		sum += l4len >> 16;
		sum += l4len & 0xffff;
		sum += proto;
	}
	return fold(sum16(l4, l4len, sum));
}

/* Offset of the checksum field inside an L4 header, -1 if none. */
static int l4_csum_off(__u8 proto)
{
	switch (proto) {
	case PKT_IPPROTO_TCP:
		return 16;
	case PKT_IPPROTO_UDP:
		return 6;
	case PKT_IPPROTO_ICMP:
	case PKT_IPPROTO_ICMPV6:
		return 2;
	}
	return -1;
}

int pkt_build(struct pkt *p, const struct pkt_spec *s)
{
	__u8 proto = s->proto || s->proto_set ? s->proto : PKT_IPPROTO_TCP;
	__u8 ttl = s->ttl ? s->ttl : PKT_DEF_TTL;
	__u8 *d = p->data, *l3, *l4;
	__u32 off, l4len, hlen, i, optlen;
	__u16 etype;
	int csum_off;

	memset(p, 0, sizeof(*p));
	if (s->nvlan > PKT_MAX_VLAN)
		return -1;

	memcpy(d, all_zero(s->dst_mac, 6) ? def_dst_mac : s->dst_mac, 6);
	memcpy(d + 6, all_zero(s->src_mac, 6) ? def_src_mac : s->src_mac, 6);
	off = 12;
	for (i = 0; i < s->nvlan; i++) {
		pkt_put16(d + off, s->tpid[i] ? s->tpid[i] : PKT_ETH_P_8021Q);
		pkt_put16(d + off + 2, s->tci[i]);
		off += 4;
	}
	etype = s->ethertype;
	if (!etype)
		etype = s->family == 6 ? PKT_ETH_P_IPV6 : PKT_ETH_P_IP;
	pkt_put16(d + off, etype);
	off += 2;
	p->l3 = off;
	l3 = d + off;

	if (s->family != 4 && s->family != 6) {
		/* Raw body (ARP and friends): a recognisable pattern. */
		if (off + s->raw_len > PKT_MAX)
			return -1;
		for (i = 0; i < s->raw_len; i++)
			l3[i] = (__u8)(0xa0 + i);
		p->l4 = off;
		p->len = off + s->raw_len;
		goto pad;
	}

	/* L4 length first: the IP header needs it. */
	optlen = (s->optlen + 3u) & ~3u;
	if (proto == PKT_IPPROTO_TCP)
		hlen = 20 + optlen;
	else if (proto == PKT_IPPROTO_UDP || proto == PKT_IPPROTO_ICMP ||
		 proto == PKT_IPPROTO_ICMPV6)
		hlen = 8;
	else
		hlen = 0;
	l4len = hlen + s->paylen;

	if (s->family == 4) {
		__u32 ihl = 5 + (s->ip_optlen + 3u) / 4;

		if (off + ihl * 4 + l4len > PKT_MAX || ihl > 15)
			return -1;
		l3[0] = 0x40 | ihl;
		l3[1] = s->tos;
		pkt_put16(l3 + 2, ihl * 4 + l4len);
		pkt_put16(l3 + 4, s->ip_id);
		pkt_put16(l3 + 6, s->frag_off);
		l3[8] = ttl;
		l3[9] = proto;
		pkt_addrs(s, l3 + 12, l3 + 16);
		memcpy(l3 + 20, s->ip_opts, s->ip_optlen);
		off += ihl * 4;
	} else {
		if (off + 40 + l4len > PKT_MAX)
			return -1;
		pkt_put32(l3,
			  6u << 28 | (__u32)s->tos << 20 | (s->flow & 0xfffff));
		pkt_put16(l3 + 4, l4len);
		l3[6] = proto;
		l3[7] = ttl;
		pkt_addrs(s, l3 + 8, l3 + 24);
		off += 40;
	}
	p->l4 = off;
	l4 = d + off;

	if (proto == PKT_IPPROTO_TCP) {
		pkt_put16(l4, s->sport ? s->sport : PKT_DEF_SPORT);
		pkt_put16(l4 + 2, s->dport);
		pkt_put32(l4 + 4, s->seq);
		pkt_put32(l4 + 8, s->ack);
		l4[12] = (__u8)(hlen / 4) << 4;
		l4[13] = s->flags;
		pkt_put16(l4 + 14, s->window ? s->window : PKT_DEF_WINDOW);
		memcpy(l4 + 20, s->opts, s->optlen);
	} else if (proto == PKT_IPPROTO_UDP) {
		pkt_put16(l4, s->sport ? s->sport : PKT_DEF_SPORT);
		pkt_put16(l4 + 2, s->dport);
		pkt_put16(l4 + 4, l4len);
	} else if (proto == PKT_IPPROTO_ICMP || proto == PKT_IPPROTO_ICMPV6) {
		l4[0] = proto == PKT_IPPROTO_ICMP ? 8 : 128; /* echo request */
		pkt_put16(l4 + 4, 0x1234);
		pkt_put16(l4 + 6, 1);
	}
	for (i = 0; i < s->paylen; i++)
		l4[hlen + i] = (__u8)(i * 7 + 0x30);
	p->len = off + l4len;

	if (s->family == 4)
		pkt_put16(l3 + 10, fold(sum16(l3, (l3[0] & 15) * 4, 0)));
	csum_off = l4_csum_off(proto);
	if (csum_off >= 0 && (__u32)csum_off + 2 <= l4len)
		pkt_put16(l4 + csum_off,
			  l4_csum(l3, s->family, proto, l4, l4len));
pad:
	if (s->pad_to > PKT_MAX)
		return -1;
	if (p->len < s->pad_to)
		p->len = s->pad_to; /* the buffer is already zeroed */
	return 0;
}

void pkt_truncate(struct pkt *p, __u32 len)
{
	if (len < p->len) {
		memset(p->data + len, 0, p->len - len);
		p->len = len;
	}
}

void pkt_fix_csums(struct pkt *p)
{
	__u8 *l3 = p->data + p->l3, *l4 = p->data + p->l4;
	__u32 l4len, end;
	int family, csum_off;
	__u8 proto;

	if (p->l3 >= p->len)
		return;
	family = l3[0] >> 4;
	if (family == 4 && p->l3 + 20 <= p->len) {
		__u32 ihl = (l3[0] & 15) * 4;

		if (ihl >= 20 && p->l3 + ihl <= p->len) {
			pkt_put16(l3 + 10, 0);
			pkt_put16(l3 + 10, fold(sum16(l3, ihl, 0)));
		}
		proto = l3[9];
		end = p->l3 + pkt_get16(l3 + 2);
	} else if (family == 6 && p->l3 + 40 <= p->len) {
		proto = l3[6];
		end = p->l3 + 40 + pkt_get16(l3 + 4);
	} else {
		return;
	}
	if (end > p->len)
		end = p->len;
	if (end <= p->l4)
		return;
	l4len = end - p->l4;
	csum_off = l4_csum_off(proto);
	if (csum_off < 0 || (__u32)csum_off + 2 > l4len)
		return;
	pkt_put16(l4 + csum_off, 0);
	pkt_put16(l4 + csum_off, l4_csum(l3, family, proto, l4, l4len));
}

void pkt_hex(const __u8 *data, __u32 len, char *buf, size_t n)
{
	size_t used = 0;
	__u32 i;

	if (!n)
		return;
	buf[0] = '\0';
	for (i = 0; i < len && used + 4 < n; i++)
		used += snprintf(buf + used, n - used, "%02x%s", data[i],
				 i + 1 < len ? " " : "");
	if (i < len && used + 4 < n)
		snprintf(buf + used, n - used, "...");
}
