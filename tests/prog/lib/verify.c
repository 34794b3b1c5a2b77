/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Independent SYN-ACK checker (see verify.h). Reads every field from the
 * frame bytes in network order and recomputes checksums with its own
 * ones' complement arithmetic; it never looks at what the program or the
 * packet builder believe the values are.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "verify.h"

static __u16 rd16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 rd32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
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

/* Parse TCP options the way Linux does; returns -1 on a malformed walk. */
static int parse_opts(struct sg_frame *f)
{
	const __u8 *o = f->opts;
	__u32 i = 0, len;

	while (i < f->optlen) {
		__u8 kind = o[i];

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= f->optlen)
			return -1;
		len = o[i + 1];
		if (len < 2 || i + len > f->optlen)
			return -1;
		if (kind == 2 && len == 4) {
			f->has_mss = 1;
			f->mss = rd16(o + i + 2);
		} else if (kind == 3 && len == 3) {
			f->has_ws = 1;
			f->ws = o[i + 2];
		} else if (kind == 4 && len == 2) {
			f->sackok = 1;
		} else if (kind == 8 && len == 10) {
			f->has_ts = 1;
			f->tsval = rd32(o + i + 2);
			f->tsecr = rd32(o + i + 6);
		} else if (kind == 19 || kind == 29) {
			f->has_auth = 1;
		}
		i += len;
	}
	return 0;
}

int sg_parse_frame(const __u8 *buf, __u32 len, struct sg_frame *f, char *why,
		   size_t n)
{
	__u32 off = 12, l4len;
	__u16 et;

	memset(f, 0, sizeof(*f));
	f->len = len;
	if (len < 14) {
		addf(why, n, "frame %u bytes < 14", len);
		return -1;
	}
	memcpy(f->dst, buf, 6);
	memcpy(f->src, buf + 6, 6);
	et = rd16(buf + off);
	while (et == 0x8100 || et == 0x88a8) {
		if (f->nvlan == 2) {
			addf(why, n, "more than two VLAN tags");
			return -1;
		}
		if (off + 6 > len) {
			addf(why, n, "truncated VLAN tag");
			return -1;
		}
		f->tpid[f->nvlan] = et;
		f->tci[f->nvlan] = rd16(buf + off + 2);
		f->nvlan++;
		off += 4;
		et = rd16(buf + off);
	}
	f->ethertype = et;
	off += 2;
	f->l3 = off;

	if (et == 0x0800) {
		const __u8 *ip = buf + off;
		__u32 ihl;

		if (off + 20 > len) {
			addf(why, n, "truncated IPv4 header");
			return -1;
		}
		f->family = 4;
		f->ver_ihl = ip[0];
		ihl = (ip[0] & 15) * 4;
		if ((ip[0] >> 4) != 4 || ihl < 20 || off + ihl > len) {
			addf(why, n, "bad IPv4 version/IHL byte 0x%02x", ip[0]);
			return -1;
		}
		f->tos = ip[1];
		f->tot_len = rd16(ip + 2);
		f->id = rd16(ip + 4);
		f->frag_off = rd16(ip + 6);
		f->ttl = ip[8];
		f->proto = ip[9];
		memcpy(f->saddr, ip + 12, 4);
		memcpy(f->daddr, ip + 16, 4);
		if (f->tot_len < ihl || off + f->tot_len > len) {
			addf(why, n,
			     "IPv4 tot_len %u inconsistent (IHL %u, %u bytes)",
			     f->tot_len, ihl, len - off);
			return -1;
		}
		f->ip_end = off + f->tot_len;
		off += ihl;
	} else if (et == 0x86dd) {
		const __u8 *ip = buf + off;

		if (off + 40 > len) {
			addf(why, n, "truncated IPv6 header");
			return -1;
		}
		f->family = 6;
		f->ver_tc_flow = rd32(ip);
		if ((f->ver_tc_flow >> 28) != 6) {
			addf(why, n, "IPv6 version %u", f->ver_tc_flow >> 28);
			return -1;
		}
		f->plen = rd16(ip + 4);
		f->proto = ip[6];
		f->ttl = ip[7];
		memcpy(f->saddr, ip + 8, 16);
		memcpy(f->daddr, ip + 24, 16);
		if (off + 40 + f->plen > len) {
			addf(why, n, "IPv6 payload_len %u beyond the frame",
			     f->plen);
			return -1;
		}
		f->ip_end = off + 40 + f->plen;
		off += 40;
	} else {
		addf(why, n, "ethertype 0x%04x is not IP", et);
		return -1;
	}
	if (f->proto != 6) {
		addf(why, n, "IP protocol %u is not TCP", f->proto);
		return -1;
	}
	f->l4 = off;
	l4len = f->ip_end - off;
	if (l4len < 20) {
		addf(why, n, "TCP header truncated (%u bytes)", l4len);
		return -1;
	}
	f->sport = rd16(buf + off);
	f->dport = rd16(buf + off + 2);
	f->seq = rd32(buf + off + 4);
	f->ack = rd32(buf + off + 8);
	f->off_byte = buf[off + 12];
	f->flags = buf[off + 13];
	f->window = rd16(buf + off + 14);
	f->csum = rd16(buf + off + 16);
	f->urg = rd16(buf + off + 18);
	f->doff = (f->off_byte >> 4) * 4u;
	if (f->doff < 20 || f->doff > l4len) {
		addf(why, n, "TCP doff %u bytes invalid (%u in segment)",
		     f->doff, l4len);
		return -1;
	}
	f->optlen = f->doff - 20;
	memcpy(f->opts, buf + off + 20, f->optlen);
	f->paylen = l4len - f->doff;
	if (parse_opts(f)) {
		addf(why, n, "malformed TCP options");
		return -1;
	}
	return 0;
}

/* Ones' complement sum of big-endian 16-bit words, folded to 16 bits. */
static __u32 ocsum(const __u8 *p, __u32 len, __u32 sum)
{
	__u32 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

static __u16 ofold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

int sg_ipv4_csum_ok(const __u8 *buf, const struct sg_frame *f, __u16 *computed)
{
	const __u8 *ip = buf + f->l3;
	__u32 ihl = (ip[0] & 15) * 4;
	__u32 sum;

	/* Everything but the checksum field, then the field itself. */
	sum = ocsum(ip, 10, 0);
	sum = ocsum(ip + 12, ihl - 12, sum);
	if (computed)
		*computed = (__u16)~ofold(sum);
	return ofold(sum + rd16(ip + 10)) == 0xffff;
}

int sg_tcp_csum_ok(const __u8 *buf, const struct sg_frame *f, __u16 *computed)
{
	const __u8 *tcp = buf + f->l4;
	__u32 seglen = f->ip_end - f->l4;
	__u32 sum;

	if (f->family == 4) {
		sum = ocsum(f->saddr, 4, 0);
		sum = ocsum(f->daddr, 4, sum);
		sum += 6;
		sum += seglen;
	} else {
		sum = ocsum(f->saddr, 16, 0);
		sum = ocsum(f->daddr, 16, sum);
		sum += seglen >> 16;
		sum += seglen & 0xffff;
		sum += 6;
	}
	sum = ocsum(tcp, 16, sum);
	sum = ocsum(tcp + 18, seglen - 18, sum);
	if (computed)
		*computed = (__u16)~ofold(sum);
	return ofold(sum + rd16(tcp + 16)) == 0xffff;
}

__u32 sg_synack_opts(const struct sg_synack_exp *e, __u8 *o)
{
	__u32 n = 0;

	o[n++] = 2;
	o[n++] = 4;
	o[n++] = e->mss >> 8;
	o[n++] = e->mss & 0xff;
	if (e->ts) {
		o[n++] = e->sack ? 4 : 1;
		o[n++] = e->sack ? 2 : 1;
		o[n++] = 8;
		o[n++] = 10;
		o[n++] = e->tsval >> 24;
		o[n++] = e->tsval >> 16;
		o[n++] = e->tsval >> 8;
		o[n++] = e->tsval;
		o[n++] = e->tsecr >> 24;
		o[n++] = e->tsecr >> 16;
		o[n++] = e->tsecr >> 8;
		o[n++] = e->tsecr;
	} else if (e->sack) {
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 4;
		o[n++] = 2;
	}
	if (e->ws) {
		o[n++] = 1;
		o[n++] = 3;
		o[n++] = 3;
		o[n++] = e->wscale;
	}
	return n;
}

static void hex(const __u8 *p, __u32 len, char *buf, size_t n)
{
	size_t used = 0;
	__u32 i;

	buf[0] = '\0';
	for (i = 0; i < len && used + 4 < n; i++)
		used += snprintf(buf + used, n - used, "%02x", p[i]);
}

int sg_verify_synack(const __u8 *out, __u32 out_len, const __u8 *syn,
		     __u32 syn_len, const struct sg_synack_exp *e,
		     struct sg_frame *sa, char *why, size_t n)
{
	__u8 exp_opts[40];
	char h1[96], h2[96];
	struct sg_frame c;
	__u32 exp_optlen, i;
	__u16 computed;
	__u8 exp_flags;

	why[0] = '\0';
	if (sg_parse_frame(syn, syn_len, &c, why, n)) {
		addf(why, n, "(the input SYN itself did not parse)");
		return -1;
	}
	if (sg_parse_frame(out, out_len, sa, why, n))
		return -1;

	exp_optlen = sg_synack_opts(e, exp_opts);

	/* L2: MACs swapped, identical VLAN stack. */
	if (memcmp(sa->dst, c.src, 6) || memcmp(sa->src, c.dst, 6))
		addf(why, n, "MACs not swapped");
	if (sa->nvlan != c.nvlan)
		addf(why, n, "%u VLAN tags, SYN had %u", sa->nvlan, c.nvlan);
	for (i = 0; i < sa->nvlan && i < c.nvlan; i++)
		if (sa->tpid[i] != c.tpid[i] || sa->tci[i] != c.tci[i])
			addf(why, n,
			     "VLAN tag %u is %04x/%04x, SYN had %04x/%04x", i,
			     sa->tpid[i], sa->tci[i], c.tpid[i], c.tci[i]);
	if (sa->family != c.family)
		addf(why, n, "family %u, SYN was %u", sa->family, c.family);

	/* L3 */
	if (sa->family == 4) {
		if (sa->ver_ihl != 0x45)
			addf(why, n, "version/IHL 0x%02x != 0x45", sa->ver_ihl);
		if (sa->tos)
			addf(why, n, "TOS 0x%02x != 0", sa->tos);
		if (sa->tot_len != 40 + exp_optlen)
			addf(why, n, "tot_len %u != %u", sa->tot_len,
			     40 + exp_optlen);
		if (sa->id)
			addf(why, n, "IP id %u != 0", sa->id);
		if (sa->frag_off != 0x4000)
			addf(why, n, "frag_off 0x%04x != 0x4000 (DF)",
			     sa->frag_off);
		if (!sg_ipv4_csum_ok(out, sa, &computed))
			addf(why, n,
			     "IPv4 header checksum 0x%04x, computed 0x%04x",
			     rd16(out + sa->l3 + 10), computed);
		if (memcmp(sa->saddr, c.daddr, 4) ||
		    memcmp(sa->daddr, c.saddr, 4))
			addf(why, n, "IPv4 addresses not swapped");
	} else if (sa->family == 6) {
		if (sa->ver_tc_flow != 0x60000000)
			addf(why, n, "IPv6 first word 0x%08x != 0x60000000",
			     sa->ver_tc_flow);
		if (sa->plen != 20 + exp_optlen)
			addf(why, n, "payload_len %u != %u", sa->plen,
			     20 + exp_optlen);
		if (memcmp(sa->saddr, c.daddr, 16) ||
		    memcmp(sa->daddr, c.saddr, 16))
			addf(why, n, "IPv6 addresses not swapped");
	}
	if (sa->ttl != e->ttl)
		addf(why, n, "TTL/hop limit %u != %u", sa->ttl, e->ttl);
	if (sa->ip_end != out_len)
		addf(why, n, "frame is %u bytes, IP datagram ends at %u",
		     out_len, sa->ip_end);

	/* TCP */
	if (sa->sport != c.dport || sa->dport != c.sport)
		addf(why, n, "ports %u->%u, expected %u->%u", sa->sport,
		     sa->dport, c.dport, c.sport);
	if (sa->seq != e->isn)
		addf(why, n, "seq (cookie) 0x%08x != expected 0x%08x", sa->seq,
		     e->isn);
	if (sa->ack != c.seq + 1)
		addf(why, n, "ack 0x%08x != client ISN + 1 = 0x%08x", sa->ack,
		     c.seq + 1);
	if (sa->off_byte != (__u8)((20 + exp_optlen) / 4) << 4)
		addf(why, n, "data offset byte 0x%02x != 0x%02x", sa->off_byte,
		     ((20 + exp_optlen) / 4) << 4);
	exp_flags = 0x12 | (e->ecn ? 0x40 : 0);
	if (sa->flags != exp_flags)
		addf(why, n, "flags 0x%02x != 0x%02x", sa->flags, exp_flags);
	if (sa->window != e->window)
		addf(why, n, "window %u != %u", sa->window, e->window);
	if (sa->urg)
		addf(why, n, "urgent pointer %u != 0", sa->urg);
	if (sa->paylen)
		addf(why, n, "%u payload bytes after the options", sa->paylen);
	if (!sg_tcp_csum_ok(out, sa, &computed))
		addf(why, n, "TCP checksum 0x%04x, computed 0x%04x", sa->csum,
		     computed);
	if (sa->optlen != exp_optlen ||
	    memcmp(sa->opts, exp_opts, exp_optlen)) {
		hex(sa->opts, sa->optlen, h1, sizeof(h1));
		hex(exp_opts, exp_optlen, h2, sizeof(h2));
		addf(why, n, "options %s != expected %s", h1, h2);
	}
	if (out_len != sa->l4 + 20 + exp_optlen)
		addf(why, n, "frame length %u != %u", out_len,
		     sa->l4 + 20 + exp_optlen);
	return why[0] ? -1 : 0;
}
