/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Independent SYN-ACK checker for the XDP fixture tests. It parses frames
 * from their bytes alone (no shared code with the BPF program or with the
 * packet builder), recomputes the IPv4 header and TCP checksums itself and
 * compares every field of an emitted SYN-ACK against the SYN it answers and
 * the values the test expects (cookie ISN, TSval, options).
 */
#ifndef SG_VERIFY_H
#define SG_VERIFY_H

#include <linux/types.h>
#include <stddef.h>

/* One parsed Ethernet/VLAN/IP/TCP frame. Offsets are from the frame start. */
struct sg_frame {
	__u32 len; /* frame length */
	__u8 dst[6];
	__u8 src[6];
	__u8 nvlan;
	__u16 tpid[2];
	__u16 tci[2];
	__u16 ethertype;
	__u32 l3;
	__u32 l4;
	__u32 ip_end; /* where the IP datagram ends (<= len) */
	__u8 family;  /* 4 or 6 */
	/* IPv4 */
	__u8 ver_ihl;
	__u8 tos;
	__u16 tot_len;
	__u16 id;
	__u16 frag_off;
	__u8 proto; /* IPv4 protocol / IPv6 next header */
	__u8 ttl;   /* IPv4 TTL / IPv6 hop limit */
	/* IPv6 */
	__u32 ver_tc_flow;
	__u16 plen;
	__u8 saddr[16]; /* IPv4: first 4 bytes */
	__u8 daddr[16];
	/* TCP */
	__u16 sport;
	__u16 dport;
	__u32 seq;
	__u32 ack;
	__u8 off_byte; /* data offset << 4 | reserved | NS */
	__u8 flags;
	__u16 window;
	__u16 csum;
	__u16 urg;
	__u32 doff; /* header bytes */
	__u8 opts[40];
	__u32 optlen;
	__u32 paylen;
	/* options, parsed as Linux does (wrong lengths ignored) */
	__u8 has_mss, has_ws, sackok, has_ts;
	__u8 has_auth; /* a TCP-MD5 (19) or TCP-AO (29) option */
	__u16 mss;
	__u8 ws;
	__u32 tsval;
	__u32 tsecr;
};

/*
 * Parse a TCP frame (up to two VLAN tags, IPv4 or IPv6 without extension
 * headers). Returns 0, or -1 with the reason in why.
 */
int sg_parse_frame(const __u8 *buf, __u32 len, struct sg_frame *f, char *why,
		   size_t n);

/*
 * Checksums recomputed from the bytes. *computed gets the value the field
 * should hold; the return value is 1 when the stored field verifies.
 */
int sg_ipv4_csum_ok(const __u8 *buf, const struct sg_frame *f, __u16 *computed);
int sg_tcp_csum_ok(const __u8 *buf, const struct sg_frame *f, __u16 *computed);

/* What a SYN-ACK answering a given SYN must contain. */
struct sg_synack_exp {
	__u16 mss;    /* our MSS option value */
	__u16 window; /* our window */
	__u8 ttl;     /* IPv4 TTL / IPv6 hop limit */
	__u8 wscale;  /* our shift, sent iff ws */
	__u8 ts;      /* timestamps negotiated */
	__u8 sack;    /* SACK-permitted sent */
	__u8 ws;      /* window scale sent */
	__u8 ecn;     /* ECE set */
	__u32 isn;    /* cookie ISN */
	__u32 tsval;  /* our TSval (ts) */
	__u32 tsecr;  /* the client's TSval (ts) */
};

/* The option bytes expected in the SYN-ACK; returns their length. */
__u32 sg_synack_opts(const struct sg_synack_exp *e, __u8 *opts);

/*
 * Check the frame out (out_len bytes) as the SYN-ACK for syn. Every
 * mismatch is appended to why. sa receives the parsed SYN-ACK (valid when
 * the parse succeeded, even if a check failed). Returns 0 when all hold.
 */
int sg_verify_synack(const __u8 *out, __u32 out_len, const __u8 *syn,
		     __u32 syn_len, const struct sg_synack_exp *e,
		     struct sg_frame *sa, char *why, size_t n);

#endif /* SG_VERIFY_H */
