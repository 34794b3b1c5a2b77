/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Host unit tests for bpf/cookie.h, the SipHash-2-4 primitives and the SYN
 * cookie layout shared with the XDP program. The SipHash core is checked
 * against the reference vectors of the SipHash paper through a generic
 * byte-string SipHash built only from the header's primitives, and the
 * specialised sg_mac4/sg_mac6 are proven equal to that generic SipHash.
 * Cookies are then minted and verified exactly as the SYN and ACK paths do:
 * every attribute combination round-trips (the ISN-only layout without ECN),
 * the epoch rules hold (a cookie of epoch E verifies while the current epoch
 * is E - 1, E or E + 1, with the keys of exactly those three epochs
 * installed, as the daemon keeps them), single-bit changes to the cookie or
 * the flow are rejected, and a cookie only verifies in the layout (with or
 * without timestamps) it was minted for. The bit layout itself (two epoch
 * bits; ISN-only: attrs8 and 22 MAC bits; timestamps: 30 + 23 MAC bits) is
 * checked against values written here, not taken from the header.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cookie.h"
#include "sg_test.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

static __u64 get_le64(const __u8 *p)
{
	__u64 v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_le32(__u8 *p, __u32 v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

/* Deterministic pseudo-random numbers (splitmix64). */
static __u64 splitmix64(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Generic SipHash-2-4 over a byte string, built only from the header's
 * primitives: little-endian 8-byte words, then the tail bytes with the
 * length (mod 256) in the top byte.
 */
static __u64 ref_siphash(__u64 k0, __u64 k1, const __u8 *m, size_t len)
{
	size_t full = len & ~(size_t)7, i;
	__u64 last = (__u64)(len & 0xff) << 56;
	struct sg_sip s;

	sg_sip_init(&s, k0, k1);
	for (i = 0; i < full; i += 8)
		sg_sip_word(&s, get_le64(m + i));
	for (i = 0; i < (len & 7); i++)
		last |= (__u64)m[full + i] << (8 * i);
	return sg_sip_final(&s, last);
}

/* One epoch's key: distinct, random-looking keys per (seed, epoch). */
static struct sg_key epoch_key(__u64 seed, __u32 epoch)
{
	__u64 st = seed ^ ((__u64)epoch << 32 | epoch);
	struct sg_key k;

	k.k0 = splitmix64(&st);
	k.k1 = splitmix64(&st);
	k.epoch = epoch;
	k.valid = 1;
	return k;
}

/*
 * A handshake as the XDP program sees it: addresses and the ports word are
 * the client->server values as loaded from the packet, cisn in host order.
 * IPv4 uses saddr[0]/daddr[0] only.
 */
struct flow {
	int v6;
	__u32 saddr[4];
	__u32 daddr[4];
	__u32 ports;
	__u32 cisn;
};

static const struct flow flows[] = {
	/* 10.0.0.1:1234 -> 10.0.0.2:80 */
	{ 0, { 0x0100000a }, { 0x0200000a }, 0x5000d204, 0x12345678 },
	{ 0, { 0 }, { 0 }, 0, 0 },
	{ 0, { 0xffffffff }, { 0xffffffff }, 0xffffffff, 0xffffffff },
	/* 192.168.1.7:65535 -> 203.0.113.9:443 */
	{ 0, { 0x0701a8c0 }, { 0x097100cb }, 0xbb01ffff, 0x80000000 },
	/* [2001:db8::1]:1234 -> [2001:db8::2]:80 */
	{ 1,
	  { 0xb80d0120, 0, 0, 0x01000000 },
	  { 0xb80d0120, 0, 0, 0x02000000 },
	  0x5000d204,
	  0x12345678 },
	{ 1, { 0, 0, 0, 0 }, { 0, 0, 0, 0 }, 0, 0 },
	{ 1,
	  { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff },
	  { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff },
	  0xffffffff,
	  0xffffffff },
	/* [fe80::1234:5678:9abc:def0]:40000 -> [fd00::53]:53 */
	{ 1,
	  { 0x000080fe, 0, 0x78563412, 0xf0debc9a },
	  { 0x000000fd, 0, 0, 0x53000000 },
	  0x3500409c,
	  0x7fffffff },
};

static __u64 flow_mac(const struct sg_key *k, const struct flow *f, __u32 meta)
{
	if (f->v6)
		return sg_mac6(k, f->saddr, f->daddr, f->ports, f->cisn, meta);
	return sg_mac4(k, f->saddr[0], f->daddr[0], f->ports, f->cisn, meta);
}

/*
 * SYN path: mint the cookie ISN (and TSval when ts) in the given epoch.
 * Without timestamps the caller passes attributes without ECN (the SYN path
 * negotiates ECN only with timestamps).
 */
static void mint(__u64 seed, const struct flow *f, __u32 epoch, __u32 attrs9,
		 __u32 ts, __u32 *isn, __u32 *tsval)
{
	struct sg_key k = epoch_key(seed, epoch);
	__u64 mac = flow_mac(&k, f, sg_cookie_meta(epoch, attrs9, ts));

	*isn = sg_cookie_isn(mac, epoch, attrs9, ts);
	*tsval = ts ? sg_cookie_tsval(mac, attrs9) : 0;
}

/*
 * The daemon keeps the keys of the previous, the current and the next
 * epoch installed, no others: is there a key for @epoch?
 */
static int key_installed(__u32 cur_epoch, __u32 epoch)
{
	return epoch - (cur_epoch - 1) <= 2;
}

/*
 * ACK path: decode epoch and attributes from what the ACK brings back
 * (isn = ack_seq - 1, tsecr = echoed TSval), recompute the MAC with that
 * epoch's key, if installed, and compare. Returns 1 when the cookie
 * verifies.
 */
static int ack_verify(__u64 seed, const struct flow *f, __u32 cur_epoch,
		      __u32 isn, __u32 tsecr, __u32 ts, __u32 *epoch_out,
		      __u32 *attrs_out)
{
	__u32 epoch = sg_cookie_epoch(isn, cur_epoch);
	__u32 attrs9 = sg_cookie_attrs(isn, tsecr, ts);
	struct sg_key k = epoch_key(seed, epoch);
	__u64 mac = flow_mac(&k, f, sg_cookie_meta(epoch, attrs9, ts));

	if (epoch_out)
		*epoch_out = epoch;
	if (attrs_out)
		*attrs_out = attrs9;
	if (!key_installed(cur_epoch, epoch))
		return 0;
	return sg_cookie_mac_ok(mac, isn, tsecr, ts);
}

/* The ISN-only layout has no room for ECN: attributes as it carries them. */
static __u32 nots_attrs(__u32 attrs9)
{
	return attrs9 & 0xff;
}

static const char *fam(const struct flow *f)
{
	return f->v6 ? "ipv6" : "ipv4";
}

static const __u64 key_seeds[] = {
	0x0123456789abcdefULL,
	0xdeadbeefcafef00dULL,
	0,
};

static const __u32 test_epochs[] = {
	0,	    1,		2,	    0x3fffff,	0x400000,
	0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
};

/* ---- SipHash ---- */

/* vectors_sip64 from the SipHash reference: key 00..0f, message 00..n-1. */
static const __u8 sip64_vectors[64][8] = {
	{ 0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72 },
	{ 0xfd, 0x67, 0xdc, 0x93, 0xc5, 0x39, 0xf8, 0x74 },
	{ 0x5a, 0x4f, 0xa9, 0xd9, 0x09, 0x80, 0x6c, 0x0d },
	{ 0x2d, 0x7e, 0xfb, 0xd7, 0x96, 0x66, 0x67, 0x85 },
	{ 0xb7, 0x87, 0x71, 0x27, 0xe0, 0x94, 0x27, 0xcf },
	{ 0x8d, 0xa6, 0x99, 0xcd, 0x64, 0x55, 0x76, 0x18 },
	{ 0xce, 0xe3, 0xfe, 0x58, 0x6e, 0x46, 0xc9, 0xcb },
	{ 0x37, 0xd1, 0x01, 0x8b, 0xf5, 0x00, 0x02, 0xab },
	{ 0x62, 0x24, 0x93, 0x9a, 0x79, 0xf5, 0xf5, 0x93 },
	{ 0xb0, 0xe4, 0xa9, 0x0b, 0xdf, 0x82, 0x00, 0x9e },
	{ 0xf3, 0xb9, 0xdd, 0x94, 0xc5, 0xbb, 0x5d, 0x7a },
	{ 0xa7, 0xad, 0x6b, 0x22, 0x46, 0x2f, 0xb3, 0xf4 },
	{ 0xfb, 0xe5, 0x0e, 0x86, 0xbc, 0x8f, 0x1e, 0x75 },
	{ 0x90, 0x3d, 0x84, 0xc0, 0x27, 0x56, 0xea, 0x14 },
	{ 0xee, 0xf2, 0x7a, 0x8e, 0x90, 0xca, 0x23, 0xf7 },
	{ 0xe5, 0x45, 0xbe, 0x49, 0x61, 0xca, 0x29, 0xa1 },
	{ 0xdb, 0x9b, 0xc2, 0x57, 0x7f, 0xcc, 0x2a, 0x3f },
	{ 0x94, 0x47, 0xbe, 0x2c, 0xf5, 0xe9, 0x9a, 0x69 },
	{ 0x9c, 0xd3, 0x8d, 0x96, 0xf0, 0xb3, 0xc1, 0x4b },
	{ 0xbd, 0x61, 0x79, 0xa7, 0x1d, 0xc9, 0x6d, 0xbb },
	{ 0x98, 0xee, 0xa2, 0x1a, 0xf2, 0x5c, 0xd6, 0xbe },
	{ 0xc7, 0x67, 0x3b, 0x2e, 0xb0, 0xcb, 0xf2, 0xd0 },
	{ 0x88, 0x3e, 0xa3, 0xe3, 0x95, 0x67, 0x53, 0x93 },
	{ 0xc8, 0xce, 0x5c, 0xcd, 0x8c, 0x03, 0x0c, 0xa8 },
	{ 0x94, 0xaf, 0x49, 0xf6, 0xc6, 0x50, 0xad, 0xb8 },
	{ 0xea, 0xb8, 0x85, 0x8a, 0xde, 0x92, 0xe1, 0xbc },
	{ 0xf3, 0x15, 0xbb, 0x5b, 0xb8, 0x35, 0xd8, 0x17 },
	{ 0xad, 0xcf, 0x6b, 0x07, 0x63, 0x61, 0x2e, 0x2f },
	{ 0xa5, 0xc9, 0x1d, 0xa7, 0xac, 0xaa, 0x4d, 0xde },
	{ 0x71, 0x65, 0x95, 0x87, 0x66, 0x50, 0xa2, 0xa6 },
	{ 0x28, 0xef, 0x49, 0x5c, 0x53, 0xa3, 0x87, 0xad },
	{ 0x42, 0xc3, 0x41, 0xd8, 0xfa, 0x92, 0xd8, 0x32 },
	{ 0xce, 0x7c, 0xf2, 0x72, 0x2f, 0x51, 0x27, 0x71 },
	{ 0xe3, 0x78, 0x59, 0xf9, 0x46, 0x23, 0xf3, 0xa7 },
	{ 0x38, 0x12, 0x05, 0xbb, 0x1a, 0xb0, 0xe0, 0x12 },
	{ 0xae, 0x97, 0xa1, 0x0f, 0xd4, 0x34, 0xe0, 0x15 },
	{ 0xb4, 0xa3, 0x15, 0x08, 0xbe, 0xff, 0x4d, 0x31 },
	{ 0x81, 0x39, 0x62, 0x29, 0xf0, 0x90, 0x79, 0x02 },
	{ 0x4d, 0x0c, 0xf4, 0x9e, 0xe5, 0xd4, 0xdc, 0xca },
	{ 0x5c, 0x73, 0x33, 0x6a, 0x76, 0xd8, 0xbf, 0x9a },
	{ 0xd0, 0xa7, 0x04, 0x53, 0x6b, 0xa9, 0x3e, 0x0e },
	{ 0x92, 0x59, 0x58, 0xfc, 0xd6, 0x42, 0x0c, 0xad },
	{ 0xa9, 0x15, 0xc2, 0x9b, 0xc8, 0x06, 0x73, 0x18 },
	{ 0x95, 0x2b, 0x79, 0xf3, 0xbc, 0x0a, 0xa6, 0xd4 },
	{ 0xf2, 0x1d, 0xf2, 0xe4, 0x1d, 0x45, 0x35, 0xf9 },
	{ 0x87, 0x57, 0x75, 0x19, 0x04, 0x8f, 0x53, 0xa9 },
	{ 0x10, 0xa5, 0x6c, 0xf5, 0xdf, 0xcd, 0x9a, 0xdb },
	{ 0xeb, 0x75, 0x09, 0x5c, 0xcd, 0x98, 0x6c, 0xd0 },
	{ 0x51, 0xa9, 0xcb, 0x9e, 0xcb, 0xa3, 0x12, 0xe6 },
	{ 0x96, 0xaf, 0xad, 0xfc, 0x2c, 0xe6, 0x66, 0xc7 },
	{ 0x72, 0xfe, 0x52, 0x97, 0x5a, 0x43, 0x64, 0xee },
	{ 0x5a, 0x16, 0x45, 0xb2, 0x76, 0xd5, 0x92, 0xa1 },
	{ 0xb2, 0x74, 0xcb, 0x8e, 0xbf, 0x87, 0x87, 0x0a },
	{ 0x6f, 0x9b, 0xb4, 0x20, 0x3d, 0xe7, 0xb3, 0x81 },
	{ 0xea, 0xec, 0xb2, 0xa3, 0x0b, 0x22, 0xa8, 0x7f },
	{ 0x99, 0x24, 0xa4, 0x3c, 0xc1, 0x31, 0x57, 0x24 },
	{ 0xbd, 0x83, 0x8d, 0x3a, 0xaf, 0xbf, 0x8d, 0xb7 },
	{ 0x0b, 0x1a, 0x2a, 0x32, 0x65, 0xd5, 0x1a, 0xea },
	{ 0x13, 0x50, 0x79, 0xa3, 0x23, 0x1c, 0xe6, 0x60 },
	{ 0x93, 0x2b, 0x28, 0x46, 0xe4, 0xd7, 0x06, 0x66 },
	{ 0xe1, 0x91, 0x5f, 0x5c, 0xb1, 0xec, 0xa4, 0x6c },
	{ 0xf3, 0x25, 0x96, 0x5c, 0xa1, 0x6d, 0x62, 0x9f },
	{ 0x57, 0x5f, 0xf2, 0x8e, 0x60, 0x38, 0x1b, 0xe5 },
	{ 0x72, 0x45, 0x06, 0xeb, 0x4c, 0x32, 0x8a, 0x95 },
};

static void test_siphash_vectors(void)
{
	static const char name[] = "siphash24_reference_vectors_len_0_to_63";
	__u8 key[16], msg[64];
	__u64 k0, k1;
	unsigned int n;

	for (n = 0; n < 16; n++)
		key[n] = n;
	for (n = 0; n < 64; n++)
		msg[n] = n;
	k0 = get_le64(key);
	k1 = get_le64(key + 8);

	/* Spot-check the table against the values quoted in the paper. */
	if (get_le64(sip64_vectors[0]) != 0x726fdb47dd0e0e31ULL ||
	    get_le64(sip64_vectors[15]) != 0xa129ca6149be45e5ULL) {
		sg_fail(name, "vector table typo: [0]=%#llx [15]=%#llx",
			(unsigned long long)get_le64(sip64_vectors[0]),
			(unsigned long long)get_le64(sip64_vectors[15]));
		return;
	}

	for (n = 0; n < 64; n++) {
		__u64 want = get_le64(sip64_vectors[n]);
		__u64 got = ref_siphash(k0, k1, msg, n);

		if (got != want) {
			sg_fail(name, "len %u: got %#018llx want %#018llx", n,
				(unsigned long long)got,
				(unsigned long long)want);
			return;
		}
	}
	sg_pass(name);
}

/* Keys for the MAC checks: reference key, zero, all-ones, then random. */
static struct sg_key mac_test_key(unsigned int i, __u64 *rng)
{
	struct sg_key k = { 0 };

	switch (i) {
	case 0:
		k.k0 = 0x0706050403020100ULL;
		k.k1 = 0x0f0e0d0c0b0a0908ULL;
		break;
	case 1:
		break;
	case 2:
		k.k0 = ~0ULL;
		k.k1 = ~0ULL;
		break;
	default:
		k.k0 = splitmix64(rng);
		k.k1 = splitmix64(rng);
	}
	return k;
}

static __u32 rand_u32(__u64 *rng, unsigned int iter)
{
	/* The first iterations use the edge values 0 and 0xffffffff. */
	if (iter == 0)
		return 0;
	if (iter == 1)
		return 0xffffffff;
	return (__u32)splitmix64(rng);
}

static void test_mac4_equals_siphash(void)
{
	static const char name[] = "sg_mac4_equals_generic_siphash_20_bytes";
	__u64 rng = 0x4d414334;
	unsigned int ki, it;

	for (ki = 0; ki < 8; ki++) {
		struct sg_key k = mac_test_key(ki, &rng);

		for (it = 0; it < 2000; it++) {
			__u32 sa = rand_u32(&rng, it), da = rand_u32(&rng, it);
			__u32 po = rand_u32(&rng, it), ci = rand_u32(&rng, it);
			__u32 meta = rand_u32(&rng, it);
			__u8 m[20];
			__u64 want, got;

			put_le32(m, sa);
			put_le32(m + 4, da);
			put_le32(m + 8, po);
			put_le32(m + 12, ci);
			put_le32(m + 16, meta);
			want = ref_siphash(k.k0, k.k1, m, sizeof(m));
			got = sg_mac4(&k, sa, da, po, ci, meta);
			if (got != want) {
				sg_fail(name,
					"key %#llx/%#llx saddr %#x daddr %#x ports %#x isn %#x meta %#x: sg_mac4 %#018llx generic %#018llx",
					(unsigned long long)k.k0,
					(unsigned long long)k.k1, sa, da, po,
					ci, meta, (unsigned long long)got,
					(unsigned long long)want);
				return;
			}
		}
	}
	sg_pass(name);
}

static void test_mac6_equals_siphash(void)
{
	static const char name[] = "sg_mac6_equals_generic_siphash_44_bytes";
	__u64 rng = 0x4d414336;
	unsigned int ki, it, i;

	for (ki = 0; ki < 8; ki++) {
		struct sg_key k = mac_test_key(ki, &rng);

		for (it = 0; it < 2000; it++) {
			__u32 sa[4], da[4], po, ci, meta;
			__u8 m[44];
			__u64 want, got;

			for (i = 0; i < 4; i++) {
				sa[i] = rand_u32(&rng, it);
				da[i] = rand_u32(&rng, it);
			}
			po = rand_u32(&rng, it);
			ci = rand_u32(&rng, it);
			meta = rand_u32(&rng, it);
			for (i = 0; i < 4; i++) {
				put_le32(m + 4 * i, sa[i]);
				put_le32(m + 16 + 4 * i, da[i]);
			}
			put_le32(m + 32, po);
			put_le32(m + 36, ci);
			put_le32(m + 40, meta);
			want = ref_siphash(k.k0, k.k1, m, sizeof(m));
			got = sg_mac6(&k, sa, da, po, ci, meta);
			if (got != want) {
				sg_fail(name,
					"key %#llx/%#llx saddr %08x:%08x:%08x:%08x daddr %08x:%08x:%08x:%08x ports %#x isn %#x meta %#x: sg_mac6 %#018llx generic %#018llx",
					(unsigned long long)k.k0,
					(unsigned long long)k.k1, sa[0], sa[1],
					sa[2], sa[3], da[0], da[1], da[2],
					da[3], po, ci, meta,
					(unsigned long long)got,
					(unsigned long long)want);
				return;
			}
		}
	}
	sg_pass(name);
}

/* ---- cookie round trip ---- */

/* Attribute set number c of all 8 * 16 * 2 * 2 (wscale 15: no scaling). */
#define NR_ATTR_SETS (SG_MSS_TABLE_LEN * (SG_WSCALE_NONE + 1) * 2 * 2)

static struct sg_attrs attrs_set(unsigned int c)
{
	struct sg_attrs a = {
		.mss_idx = c % SG_MSS_TABLE_LEN,
		.wscale = (c / SG_MSS_TABLE_LEN) % (SG_WSCALE_NONE + 1),
		.sack = (c / (SG_MSS_TABLE_LEN * (SG_WSCALE_NONE + 1))) % 2,
		.ecn = (c / (SG_MSS_TABLE_LEN * (SG_WSCALE_NONE + 1) * 2)) % 2,
	};

	return a;
}

/*
 * Mint every attribute set for one flow, key and epoch (without
 * timestamps, the sets without ECN), and verify each with the current
 * epoch one before, equal to and one after the minting epoch.
 */
static int roundtrip_all_attrs(const char *name, __u64 seed, unsigned int fi,
			       __u32 epoch, __u32 ts)
{
	const struct flow *f = &flows[fi];
	unsigned int c;

	for (c = 0; c < 3 * NR_ATTR_SETS; c++) {
		struct sg_attrs a = attrs_set(c / 3), b;
		__u32 attrs9 = sg_attrs_pack(&a), isn, tsval, ep2, attrs2;
		__u32 cur = epoch - 1 + c % 3;
		int ok;

		if (!ts && a.ecn)
			continue;

		mint(seed, f, epoch, attrs9, ts, &isn, &tsval);
		ok = ack_verify(seed, f, cur, isn, tsval, ts, &ep2, &attrs2);
		memset(&b, 0xee, sizeof(b));
		sg_attrs_unpack(attrs2, &b);
		if (ok && ep2 == epoch && attrs2 == attrs9 &&
		    a.mss_idx == b.mss_idx && a.wscale == b.wscale &&
		    a.sack == b.sack && a.ecn == b.ecn)
			continue;
		sg_fail(name,
			"flow %u seed %#llx epoch %#x cur %#x mss_idx %u wscale %u sack %u ecn %u: isn %#x tsval %#x -> mac_ok %d epoch %#x attrs %#x (want %#x) mss_idx %u wscale %u sack %u ecn %u",
			fi, (unsigned long long)seed, epoch, cur, a.mss_idx,
			a.wscale, a.sack, a.ecn, isn, tsval, ok, ep2, attrs2,
			attrs9, b.mss_idx, b.wscale, b.sack, b.ecn);
		return -1;
	}
	return 0;
}

static void test_roundtrip(int v6, __u32 ts)
{
	unsigned int si, fi, ei;
	char name[64];

	snprintf(name, sizeof(name), "cookie_roundtrip_all_attrs_%s_%s",
		 v6 ? "ipv6" : "ipv4", ts ? "ts_layout" : "nots_layout");

	for (si = 0; si < ARRAY_SIZE(key_seeds); si++) {
		for (fi = 0; fi < ARRAY_SIZE(flows); fi++) {
			if (flows[fi].v6 != v6)
				continue;
			for (ei = 0; ei < ARRAY_SIZE(test_epochs); ei++)
				if (roundtrip_all_attrs(name, key_seeds[si], fi,
							test_epochs[ei], ts))
					return;
		}
	}
	sg_pass(name);
}

/* ---- epoch rules ---- */

static const __u32 attr_samples[] = { 0, 0x1ff, 0x0a5, 0x15a, 0x0f8 };

/*
 * Current epoch relative to the minting epoch E, verdict, decoded epoch.
 * The two epoch bits say which of cur - 1, cur, cur + 1 and cur + 2 the
 * cookie is from; cur + 2 never has a key installed.
 */
static const struct {
	__u32 off;
	int ok;
	__u32 dec_off;
} epoch_rules[] = {
	{ 0, 1, 0 },	 /* current epoch: own key */
	{ 1, 1, 0 },	 /* minted in the previous epoch */
	{ -1u, 1, 0 },	 /* minted in the next epoch (a neighbour ahead) */
	{ 2, 0, 4 },	 /* two old: read as cur + 2 = E + 4, no key */
	{ -2u, 0, 0 },	 /* two ahead: read as cur + 2 = E, no key there */
	{ 3, 0, 4 },	 /* read as cur + 1 = E + 4: another key and epoch */
	{ -3u, 0, -4u }, /* read as cur - 1 = E - 4 */
	{ 4, 0, 4 },	 /* read as cur = E + 4 */
	{ -4u, 0, -4u }, /* read as cur = E - 4 */
	{ 64, 0, 64 },	 /* a full key ring later: same slot, other epoch */
};

/* Mint sample cookies in epoch e and check them against epoch_rules[]. */
static int epoch_rules_one(const char *name, __u64 seed, unsigned int fi,
			   __u32 e, __u32 ts)
{
	const struct flow *f = &flows[fi];
	__u32 attrs9, isn, tsval, dec, cur;
	unsigned int ai, r;
	int ok;

	for (ai = 0; ai < ARRAY_SIZE(attr_samples); ai++) {
		attrs9 = ts ? attr_samples[ai] : nots_attrs(attr_samples[ai]);
		mint(seed, f, e, attrs9, ts, &isn, &tsval);
		for (r = 0; r < ARRAY_SIZE(epoch_rules); r++) {
			cur = e + epoch_rules[r].off;
			ok = ack_verify(seed, f, cur, isn, tsval, ts, &dec,
					NULL);
			if (ok == epoch_rules[r].ok &&
			    dec == e + epoch_rules[r].dec_off)
				continue;
			sg_fail(name,
				"%s flow %u seed %#llx minted in epoch %#x attrs %#x isn %#x tsval %#x, current %#x: decoded epoch %#x (want %#x), verified %d (want %d)",
				fam(f), fi, (unsigned long long)seed, e, attrs9,
				isn, tsval, cur, dec,
				e + epoch_rules[r].dec_off, ok,
				epoch_rules[r].ok);
			return -1;
		}
	}
	return 0;
}

static void test_epoch_rules(__u32 ts)
{
	static const __u32 epochs[] = {
		0,	    1,		5,	    0x3ffffe,	0x3fffff,
		0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	};
	unsigned int si, fi, ei;
	char name[64];

	snprintf(name, sizeof(name),
		 "cookie_epoch_rules_prev_cur_next_ok_others_fail_%s",
		 ts ? "ts_layout" : "nots_layout");

	for (si = 0; si < ARRAY_SIZE(key_seeds); si++)
		for (fi = 0; fi < ARRAY_SIZE(flows); fi++)
			for (ei = 0; ei < ARRAY_SIZE(epochs); ei++)
				if (epoch_rules_one(name, key_seeds[si], fi,
						    epochs[ei], ts))
					return;
	sg_pass(name);
}

/* ---- single-bit flips ---- */

/*
 * Returns 0 when every single-bit change is rejected; otherwise describes
 * the first change that still verified in why.
 */
static int flips_rejected(__u64 seed, const struct flow *f, __u32 cur,
			  __u32 isn, __u32 tsval, __u32 ts, char *why,
			  size_t len)
{
	unsigned int naddr = f->v6 ? 4 : 1, w, b;
	struct flow g;

	for (b = 0; b < 32; b++) {
		if (ack_verify(seed, f, cur, isn ^ (1u << b), tsval, ts, NULL,
			       NULL)) {
			snprintf(why, len, "ISN bit %u", b);
			return -1;
		}
		if (ts && ack_verify(seed, f, cur, isn, tsval ^ (1u << b), ts,
				     NULL, NULL)) {
			snprintf(why, len, "TSecr bit %u", b);
			return -1;
		}
	}
	for (w = 0; w < naddr; w++) {
		for (b = 0; b < 32; b++) {
			g = *f;
			g.saddr[w] ^= 1u << b;
			if (ack_verify(seed, &g, cur, isn, tsval, ts, NULL,
				       NULL)) {
				snprintf(why, len, "saddr word %u bit %u", w,
					 b);
				return -1;
			}
			g = *f;
			g.daddr[w] ^= 1u << b;
			if (ack_verify(seed, &g, cur, isn, tsval, ts, NULL,
				       NULL)) {
				snprintf(why, len, "daddr word %u bit %u", w,
					 b);
				return -1;
			}
		}
	}
	for (b = 0; b < 32; b++) {
		g = *f;
		g.ports ^= 1u << b;
		if (ack_verify(seed, &g, cur, isn, tsval, ts, NULL, NULL)) {
			snprintf(why, len, "ports bit %u", b);
			return -1;
		}
		g = *f;
		g.cisn ^= 1u << b;
		if (ack_verify(seed, &g, cur, isn, tsval, ts, NULL, NULL)) {
			snprintf(why, len, "client ISN bit %u", b);
			return -1;
		}
	}
	return 0;
}

/*
 * Mint sample cookies in epoch e; each must verify with the current epoch
 * e - 1, e and e + 1, and no single-bit change may verify.
 */
static int bit_flips_one(const char *name, __u64 seed, unsigned int fi, __u32 e,
			 __u32 ts)
{
	const struct flow *f = &flows[fi];
	__u32 attrs9, isn, tsval, cur;
	unsigned int c;
	char why[64];

	for (c = 0; c < 3 * ARRAY_SIZE(attr_samples); c++) {
		attrs9 = ts ? attr_samples[c / 3] :
			      nots_attrs(attr_samples[c / 3]);
		cur = e - 1 + c % 3;
		mint(seed, f, e, attrs9, ts, &isn, &tsval);
		if (!ack_verify(seed, f, cur, isn, tsval, ts, NULL, NULL)) {
			sg_fail(name,
				"flow %u seed %#llx epoch %#x cur %#x attrs %#x: unmodified cookie isn %#x tsval %#x does not verify",
				fi, (unsigned long long)seed, e, cur, attrs9,
				isn, tsval);
			return -1;
		}
		if (flips_rejected(seed, f, cur, isn, tsval, ts, why,
				   sizeof(why))) {
			sg_fail(name,
				"flow %u seed %#llx epoch %#x cur %#x attrs %#x isn %#x tsval %#x: flipping %s still verifies",
				fi, (unsigned long long)seed, e, cur, attrs9,
				isn, tsval, why);
			return -1;
		}
	}
	return 0;
}

static void test_bit_flips(int v6, __u32 ts)
{
	static const __u32 epochs[] = { 0, 0x2a, 0xffffffff };
	unsigned int si, fi, ei;
	char name[64];

	snprintf(name, sizeof(name), "cookie_single_bit_flips_rejected_%s_%s",
		 v6 ? "ipv6" : "ipv4", ts ? "ts_layout" : "nots_layout");

	for (si = 0; si < 2; si++) {
		for (fi = 0; fi < ARRAY_SIZE(flows); fi++) {
			if (flows[fi].v6 != v6)
				continue;
			for (ei = 0; ei < ARRAY_SIZE(epochs); ei++)
				if (bit_flips_one(name, key_seeds[si], fi,
						  epochs[ei], ts))
					return;
		}
	}
	sg_pass(name);
}

/* ---- layout binding ---- */

static const __u32 binding_epochs[] = { 0, 7, 0xffffffff };

/*
 * For every attribute set: a timestamp-layout cookie presented on an ACK
 * without timestamps, and a no-timestamp cookie presented with a TSecr.
 */
static int layout_binding_one(const char *name, __u64 seed, unsigned int fi,
			      __u32 e, __u32 nots_cookie)
{
	const struct flow *f = &flows[fi];
	__u32 a, t, isn, tsval, ts_isn, ts_tsval, tsecrs[7];

	for (a = 0; a <= SG_ATTR_MASK; a++) {
		mint(seed, f, e, a, 1, &ts_isn, &ts_tsval);
		if (!nots_cookie) {
			if (!ack_verify(seed, f, e, ts_isn, 0, 0, NULL, NULL))
				continue;
			sg_fail(name,
				"%s flow %u seed %#llx epoch %#x attrs %#x: ts cookie isn %#x tsval %#x verifies on an ACK without timestamps",
				fam(f), fi, (unsigned long long)seed, e, a,
				ts_isn, ts_tsval);
			return -1;
		}
		mint(seed, f, e, nots_attrs(a), 0, &isn, &tsval);
		tsecrs[0] = 0;
		tsecrs[1] = a; /* low 9 bits equal the attrs */
		tsecrs[2] = 0xdeadbe00 | a;
		tsecrs[3] = (isn & 0x7fffff) << SG_ATTR_BITS | a;
		tsecrs[4] = 0xffffffff;
		/* the TSval a ts-layout SYN-ACK for this flow carried */
		tsecrs[5] = ts_tsval;
		tsecrs[6] =
			(ts_tsval & ~SG_ATTR_MASK) | ((a + 1) & SG_ATTR_MASK);
		for (t = 0; t < ARRAY_SIZE(tsecrs); t++) {
			if (!ack_verify(seed, f, e, isn, tsecrs[t], 1, NULL,
					NULL))
				continue;
			sg_fail(name,
				"%s flow %u seed %#llx epoch %#x attrs %#x: no-ts cookie isn %#x verifies with TSecr %#x",
				fam(f), fi, (unsigned long long)seed, e, a, isn,
				tsecrs[t]);
			return -1;
		}
	}
	return 0;
}

static void test_layout_binding(__u32 nots_cookie)
{
	const char *name =
		nots_cookie ? "cookie_nots_layout_rejected_with_tsecr" :
			      "cookie_ts_layout_rejected_without_timestamps";
	unsigned int si, fi, ei;

	for (si = 0; si < 2; si++)
		for (fi = 0; fi < ARRAY_SIZE(flows); fi++)
			for (ei = 0; ei < ARRAY_SIZE(binding_epochs); ei++)
				if (layout_binding_one(name, key_seeds[si], fi,
						       binding_epochs[ei],
						       nots_cookie))
					return;
	sg_pass(name);
}

/* ---- attributes, meta word and bit layout ---- */

static void test_attrs_pack_unpack(void)
{
	static const char name[] = "attrs_pack_unpack_roundtrip_fits_9_bits";
	static const struct {
		struct sg_attrs a;
		__u32 packed;
	} fields[] = {
		{ { 7, 0, 0, 0 }, 0x007 },  /* mss_idx */
		{ { 0, 15, 0, 0 }, 0x078 }, /* wscale */
		{ { 0, 0, 1, 0 }, 0x080 },  /* sack */
		{ { 0, 0, 0, 1 }, 0x100 },  /* ecn */
		{ { 5, 14, 1, 0 }, 0x0f5 },
	};
	unsigned char seen[SG_ATTR_MASK + 1];
	unsigned int c, v;

	memset(seen, 0, sizeof(seen));
	for (c = 0; c < NR_ATTR_SETS; c++) {
		struct sg_attrs a = attrs_set(c), b;
		__u32 p = sg_attrs_pack(&a);

		if (p > SG_ATTR_MASK || seen[p]++) {
			sg_fail(name,
				"mss_idx %u wscale %u sack %u ecn %u packs to %#x: %s",
				a.mss_idx, a.wscale, a.sack, a.ecn, p,
				p > SG_ATTR_MASK ? "over 9 bits" :
						   "value already used");
			return;
		}
		memset(&b, 0xee, sizeof(b));
		sg_attrs_unpack(p, &b);
		if (a.mss_idx != b.mss_idx || a.wscale != b.wscale ||
		    a.sack != b.sack || a.ecn != b.ecn) {
			sg_fail(name,
				"mss_idx %u wscale %u sack %u ecn %u -> %#x -> mss_idx %u wscale %u sack %u ecn %u",
				a.mss_idx, a.wscale, a.sack, a.ecn, p,
				b.mss_idx, b.wscale, b.sack, b.ecn);
			return;
		}
	}
	/* Every 9-bit value is some attribute set and packs back to itself. */
	for (v = 0; v <= SG_ATTR_MASK; v++) {
		struct sg_attrs b;

		sg_attrs_unpack(v, &b);
		if (sg_attrs_pack(&b) != v) {
			sg_fail(name, "%#x unpacks and packs to %#x", v,
				sg_attrs_pack(&b));
			return;
		}
	}
	/* Positions: mss_idx(3) | wscale(4) << 3 | sack << 7 | ecn << 8 */
	for (c = 0; c < ARRAY_SIZE(fields); c++) {
		const struct sg_attrs *a = &fields[c].a;

		if (sg_attrs_pack(a) != fields[c].packed) {
			sg_fail(name,
				"mss_idx %u wscale %u sack %u ecn %u packs to %#x, want %#x",
				a->mss_idx, a->wscale, a->sack, a->ecn,
				sg_attrs_pack(a), fields[c].packed);
			return;
		}
	}
	sg_pass(name);
}

static void test_cookie_meta(void)
{
	static const char name[] = "cookie_meta_attrs_ts_bit9_epoch_bit10";
	unsigned int ei, n;

	for (ei = 0; ei < ARRAY_SIZE(test_epochs); ei++) {
		for (n = 0; n < 2 * (SG_ATTR_MASK + 1); n++) {
			__u32 e = test_epochs[ei], a = n >> 1, ts = n & 1;
			__u32 m = sg_cookie_meta(e, a, ts);

			if ((m & SG_ATTR_MASK) == a && ((m >> 9) & 1) == ts &&
			    (m >> 10) == (e & 0x3fffff))
				continue;
			sg_fail(name,
				"epoch %#x attrs %#x ts %u -> meta %#x (want %#x)",
				e, a, ts, m,
				a | ts << 9 | (e & 0x3fffff) << 10);
			return;
		}
	}
	/* Stray high bits in attrs must not leak into the ts bit or epoch. */
	if (sg_cookie_meta(0, 0xffffffff, 0) != SG_ATTR_MASK) {
		sg_fail(name, "attrs 0xffffffff leaks: meta %#x",
			sg_cookie_meta(0, 0xffffffff, 0));
		return;
	}
	sg_pass(name);
}

/*
 * The ISN/TSval layout, written out here:
 *   no timestamps: ISN = e2 << 30 | attrs8 << 22 | mac[21:0]
 *   timestamps:    ISN = e2 << 30 | mac[29:0],
 *                  TSval = mac[54:32] << 9 | attrs9
 * (e2 = epoch & 3, attrs8 = attrs9 without ECN), and that sg_cookie_mac_ok
 * compares exactly the MAC bits the cookie carries: a change to any carried
 * bit is caught, a change to any other MAC bit is not looked at.
 */
static void test_cookie_layout(void)
{
	static const char name[] =
		"cookie_isn_tsval_bit_layout_and_mac_ok_bits";
	/* 22 MAC bits without timestamps, 30 + 23 = 53 with them */
	const __u64 carried0 = 0x3fffffULL;
	const __u64 carried1 = 0x3fffffffULL | 0x7fffffULL << 32;
	__u64 rng = 0x4c41594f;
	unsigned int it, b;

	for (it = 0; it < 4000; it++) {
		__u64 mac = splitmix64(&rng);
		__u32 e = (__u32)splitmix64(&rng);
		__u32 a = (__u32)splitmix64(&rng) & 0x1ff, a8 = a & 0xff;
		__u32 isn0 = sg_cookie_isn(mac, e, a8, 0);
		__u32 isn1 = sg_cookie_isn(mac, e, a, 1);
		__u32 tsv = sg_cookie_tsval(mac, a);

		if (isn0 != ((e & 3) << 30 | a8 << 22 |
			     ((__u32)mac & 0x3fffff)) ||
		    sg_cookie_attrs(isn0, 0xffffffff, 0) != a8 ||
		    sg_cookie_isn(mac, e, a | 0x100, 0) != isn0) {
			sg_fail(name,
				"no-ts: mac %#018llx epoch %#x attrs %#x -> isn %#x (ECN set: %#x), attrs back %#x",
				(unsigned long long)mac, e, a8, isn0,
				sg_cookie_isn(mac, e, a | 0x100, 0),
				sg_cookie_attrs(isn0, 0xffffffff, 0));
			return;
		}
		if (isn1 != ((e & 3) << 30 | ((__u32)mac & 0x3fffffff)) ||
		    tsv != ((((__u32)(mac >> 32)) & 0x7fffff) << 9 | a) ||
		    sg_cookie_attrs(isn1, tsv, 1) != a) {
			sg_fail(name,
				"ts: mac %#018llx epoch %#x attrs %#x -> isn %#x tsval %#x",
				(unsigned long long)mac, e, a, isn1, tsv);
			return;
		}
		if (!sg_cookie_mac_ok(mac, isn0, 0, 0) ||
		    !sg_cookie_mac_ok(mac, isn1, tsv, 1)) {
			sg_fail(name, "mac %#018llx: own cookie rejected",
				(unsigned long long)mac);
			return;
		}
		for (b = 0; b < 64; b++) {
			__u64 m2 = mac ^ (1ULL << b);
			int ok0 = sg_cookie_mac_ok(m2, isn0, 0, 0);
			int ok1 = sg_cookie_mac_ok(m2, isn1, tsv, 1);

			if (ok0 != !((carried0 >> b) & 1) ||
			    ok1 != !((carried1 >> b) & 1)) {
				sg_fail(name,
					"mac %#018llx with bit %u flipped: mac_ok no-ts %d ts %d",
					(unsigned long long)mac, b, ok0, ok1);
				return;
			}
		}
	}
	sg_pass(name);
}

/*
 * The epoch decoder: the cookie's two epoch bits name the one epoch of
 * cur - 1, cur, cur + 1, cur + 2 with those low bits; every ISN, around
 * every wrap of the epoch counter.
 */
static void test_cookie_epoch_decode(void)
{
	static const char name[] = "cookie_epoch_decoded_from_two_bits";
	static const __u32 curs[] = { 0,	  1,	      2,
				      3,	  4,	      99,
				      100,	  0x3fffff,   0x400000,
				      0x7fffffff, 0x80000000, 0xfffffffd,
				      0xfffffffe, 0xffffffff };
	__u64 rng = 0x45504f43;
	unsigned int ci, it;

	for (ci = 0; ci < ARRAY_SIZE(curs); ci++) {
		for (it = 0; it < 256; it++) {
			__u32 cur = curs[ci], isn = (__u32)splitmix64(&rng);
			__u32 want = cur - 1, got;

			while ((want & 3) != isn >> 30)
				want++;
			got = sg_cookie_epoch(isn, cur);
			if (got == want)
				continue;
			sg_fail(name,
				"isn %#x (epoch bits %u), current %#x: %#x, want %#x",
				isn, isn >> 30, cur, got, want);
			return;
		}
	}
	sg_pass(name);
}

/*
 * Without timestamps no ECN: an ACK without a timestamp option never
 * decodes ECN, whatever its ISN.
 */
static void test_nots_no_ecn(void)
{
	static const char name[] = "cookie_nots_layout_never_decodes_ecn";
	__u64 rng = 0x4e4f4543;
	unsigned int it;

	for (it = 0; it < 100000; it++) {
		__u32 isn = it < 2 ? -(__u32)it : (__u32)splitmix64(&rng);
		__u32 a = sg_cookie_attrs(isn, 0xffffffff, 0);

		if (a & 0x100 || a != ((isn >> 22) & 0xff)) {
			sg_fail(name, "isn %#x decodes to attrs %#x", isn, a);
			return;
		}
	}
	sg_pass(name);
}

int main(void)
{
	test_siphash_vectors();
	test_mac4_equals_siphash();
	test_mac6_equals_siphash();
	test_roundtrip(0, 0);
	test_roundtrip(0, 1);
	test_roundtrip(1, 0);
	test_roundtrip(1, 1);
	test_epoch_rules(0);
	test_epoch_rules(1);
	test_bit_flips(0, 0);
	test_bit_flips(0, 1);
	test_bit_flips(1, 0);
	test_bit_flips(1, 1);
	test_layout_binding(0);
	test_layout_binding(1);
	test_attrs_pack_unpack();
	test_cookie_meta();
	test_cookie_layout();
	test_cookie_epoch_decode();
	test_nots_no_ecn();
	return sg_test_exit();
}
