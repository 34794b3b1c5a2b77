/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SipHash-2-4 and the synguard cookie layout. Compiled into the XDP program
 * and into the host unit tests, so both sides share one definition.
 *
 * A cookie is the 32-bit ISN of our SYN-ACK (plus, when the client sends
 * timestamps, our 32-bit TSval). It carries the handshake attributes the
 * kernel needs to build the connection later, and a MAC over the 4-tuple,
 * the client's ISN, the epoch and those attributes. docs/cookie.md has the
 * bit layout and the forgery odds.
 *
 *  attrs9  = mss_idx(3) | wscale(4) << 3 | sack << 7 | ecn << 8
 *  meta32  = attrs9 | ts_layout << 9 | (epoch & 0x3fffff) << 10   (MAC input)
 *
 *  no timestamps: ISN   = e2 << 30 | attrs8 << 22 | mac[21:0]
 *  timestamps:    ISN   = e2 << 30 | mac[29:0]
 *                 TSval = mac[54:32] << 9 | attrs9
 *
 * e2 is the epoch's low two bits: they tell the previous, current and next
 * epoch apart (a fleet's servers rotate at slightly different moments, and
 * each accepts its neighbours' fresh cookies). attrs8 is attrs9 without
 * ECN: the ISN-only layout has no room for it, so a client without
 * timestamps gets no ECN. An older cookie is decoded as one of the three
 * epochs and checked with that epoch's key and number, so it fails (but
 * for the forgery odds).
 */
#ifndef SG_COOKIE_H
#define SG_COOKIE_H

#include "common.h"

#ifndef __sg_inline
#define __sg_inline static inline __attribute__((always_inline))
#endif

/* ---- SipHash-2-4 (Aumasson & Bernstein), 64-bit output ---- */

struct sg_sip {
	__u64 v0, v1, v2, v3;
};

#define SG_ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

__sg_inline void sg_sipround(struct sg_sip *s)
{
	s->v0 += s->v1;
	s->v1 = SG_ROTL64(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = SG_ROTL64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = SG_ROTL64(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = SG_ROTL64(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = SG_ROTL64(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = SG_ROTL64(s->v2, 32);
}

__sg_inline void sg_sip_init(struct sg_sip *s, __u64 k0, __u64 k1)
{
	s->v0 = k0 ^ 0x736f6d6570736575ULL;
	s->v1 = k1 ^ 0x646f72616e646f6dULL;
	s->v2 = k0 ^ 0x6c7967656e657261ULL;
	s->v3 = k1 ^ 0x7465646279746573ULL;
}

/* Absorb one 8-byte little-endian message word. */
__sg_inline void sg_sip_word(struct sg_sip *s, __u64 m)
{
	s->v3 ^= m;
	sg_sipround(s);
	sg_sipround(s);
	s->v0 ^= m;
}

/*
 * Absorb the last word (tail bytes | total length << 56) and finalise.
 */
__sg_inline __u64 sg_sip_final(struct sg_sip *s, __u64 last)
{
	sg_sip_word(s, last);
	s->v2 ^= 0xff;
	sg_sipround(s);
	sg_sipround(s);
	sg_sipround(s);
	sg_sipround(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* ---- cookie layout ---- */

#define SG_ATTR_BITS 9
#define SG_ATTR_MASK 0x1ffu
#define SG_ATTR_MASK_NOTS 0xffu /* no ECN in the ISN-only layout */
#define SG_EPOCH_BITS 2		/* in the cookie: epoch & 3 */
#define SG_MAC_BITS_NOTS 22
#define SG_MAC_BITS_TS_ISN 30
#define SG_MAC_BITS_TS_TSVAL 23
#define SG_EPOCH_MAC_MASK 0x3fffffu

/* Handshake attributes carried by a cookie. */
struct sg_attrs {
	__u8 mss_idx; /* index into the family's MSS table */
	__u8 wscale;  /* client's shift 0..14, SG_WSCALE_NONE if absent */
	__u8 sack;    /* client sent SACK-permitted (and we accept it) */
	__u8 ecn;     /* ECN negotiated */
};

__sg_inline __u32 sg_attrs_pack(const struct sg_attrs *a)
{
	return (__u32)(a->mss_idx & 7) | (__u32)(a->wscale & 15) << 3 |
	       (__u32)(a->sack & 1) << 7 | (__u32)(a->ecn & 1) << 8;
}

__sg_inline void sg_attrs_unpack(__u32 v, struct sg_attrs *a)
{
	a->mss_idx = v & 7;
	a->wscale = (v >> 3) & 15;
	a->sack = (v >> 7) & 1;
	a->ecn = (v >> 8) & 1;
}

/* The 32-bit word that binds epoch, layout and attributes into the MAC. */
__sg_inline __u32 sg_cookie_meta(__u32 epoch, __u32 attrs9, __u32 ts)
{
	return (attrs9 & SG_ATTR_MASK) | (ts & 1) << 9 |
	       (epoch & SG_EPOCH_MAC_MASK) << 10;
}

/*
 * MAC over an IPv4 handshake. saddr/daddr/ports are the client->server
 * values exactly as they sit in the packet (network order, loaded as
 * native words), client_isn is host order. 20 bytes: two words and a
 * 4-byte tail, three SipHash compressions.
 */
__sg_inline __u64 sg_mac4(const struct sg_key *k, __u32 saddr, __u32 daddr,
			  __u32 ports, __u32 client_isn, __u32 meta)
{
	struct sg_sip s;

	sg_sip_init(&s, k->k0, k->k1);
	sg_sip_word(&s, (__u64)saddr | (__u64)daddr << 32);
	sg_sip_word(&s, (__u64)ports | (__u64)client_isn << 32);
	return sg_sip_final(&s, (__u64)meta | (__u64)20 << 56);
}

/* MAC over an IPv6 handshake: 44 bytes, six compressions. */
__sg_inline __u64 sg_mac6(const struct sg_key *k, const __u32 *saddr,
			  const __u32 *daddr, __u32 ports, __u32 client_isn,
			  __u32 meta)
{
	struct sg_sip s;

	sg_sip_init(&s, k->k0, k->k1);
	sg_sip_word(&s, (__u64)saddr[0] | (__u64)saddr[1] << 32);
	sg_sip_word(&s, (__u64)saddr[2] | (__u64)saddr[3] << 32);
	sg_sip_word(&s, (__u64)daddr[0] | (__u64)daddr[1] << 32);
	sg_sip_word(&s, (__u64)daddr[2] | (__u64)daddr[3] << 32);
	sg_sip_word(&s, (__u64)ports | (__u64)client_isn << 32);
	return sg_sip_final(&s, (__u64)meta | (__u64)44 << 56);
}

/*
 * Build the cookie ISN (and TSval when ts) from a MAC. Without timestamps
 * attrs9 must have no ECN bit (the MAC covers attrs9 as given, and the ACK
 * path reads back attrs8).
 */
__sg_inline __u32 sg_cookie_isn(__u64 mac, __u32 epoch, __u32 attrs9, __u32 ts)
{
	__u32 ebits = (epoch & 3) << 30;

	if (ts)
		return ebits | ((__u32)mac & ((1u << SG_MAC_BITS_TS_ISN) - 1));
	return ebits | (attrs9 & SG_ATTR_MASK_NOTS) << SG_MAC_BITS_NOTS |
	       ((__u32)mac & ((1u << SG_MAC_BITS_NOTS) - 1));
}

__sg_inline __u32 sg_cookie_tsval(__u64 mac, __u32 attrs9)
{
	return ((__u32)(mac >> 32) & ((1u << SG_MAC_BITS_TS_TSVAL) - 1))
		       << SG_ATTR_BITS |
	       (attrs9 & SG_ATTR_MASK);
}

/*
 * The epoch a cookie was minted in, given the current epoch: the previous,
 * the current or the next one, told apart by the cookie's two epoch bits.
 * The fourth value means "two epochs away": cur_epoch + 2, for which no
 * key is ever installed, so the check fails.
 */
__sg_inline __u32 sg_cookie_epoch(__u32 isn, __u32 cur_epoch)
{
	__u32 d = ((isn >> 30) - cur_epoch) & 3;

	return d == 3 ? cur_epoch - 1 : cur_epoch + d;
}

/* Attributes as the ACK carries them: in the ISN, or in the echoed TSval. */
__sg_inline __u32 sg_cookie_attrs(__u32 isn, __u32 tsecr, __u32 ts)
{
	if (ts)
		return tsecr & SG_ATTR_MASK;
	return (isn >> SG_MAC_BITS_NOTS) & SG_ATTR_MASK_NOTS;
}

/*
 * Compare the MAC bits an ACK brings back with a freshly computed MAC.
 * Returns 1 when they match.
 */
__sg_inline int sg_cookie_mac_ok(__u64 mac, __u32 isn, __u32 tsecr, __u32 ts)
{
	__u32 tsmac = (tsecr >> SG_ATTR_BITS) ^ (__u32)(mac >> 32);

	if (ts)
		return ((isn ^ (__u32)mac) &
			((1u << SG_MAC_BITS_TS_ISN) - 1)) == 0 &&
		       (tsmac & ((1u << SG_MAC_BITS_TS_TSVAL) - 1)) == 0;
	return ((isn ^ (__u32)mac) & ((1u << SG_MAC_BITS_NOTS) - 1)) == 0;
}

#endif /* SG_COOKIE_H */
