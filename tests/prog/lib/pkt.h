/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A small packet builder for the XDP fixture tests. A struct pkt_spec
 * describes one client frame (Ethernet, up to three VLAN tags, IPv4 or
 * IPv6, TCP/UDP/ICMP, TCP options, payload, Ethernet padding) with every
 * field defaulting to something sensible when left zero, so fixture tables
 * stay short. pkt_build() turns it into bytes with correct IP and L4
 * checksums; fixtures that need malformed frames edit the bytes afterwards
 * through the offsets recorded in struct pkt.
 */
#ifndef SG_PKT_H
#define SG_PKT_H

#include <linux/types.h>
#include <stddef.h>

#define PKT_MAX 2048
#define PKT_MAX_VLAN 3

#define PKT_ETH_P_IP 0x0800
#define PKT_ETH_P_IPV6 0x86dd
#define PKT_ETH_P_ARP 0x0806
#define PKT_ETH_P_8021Q 0x8100
#define PKT_ETH_P_8021AD 0x88a8

#define PKT_IPPROTO_ICMP 1
#define PKT_IPPROTO_TCP 6
#define PKT_IPPROTO_UDP 17
#define PKT_IPPROTO_ICMPV6 58

/* TCP flags, byte 13 of the header. */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

/* IPv4 frag_off field (host order). */
#define PKT_IP_DF 0x4000
#define PKT_IP_MF 0x2000

/* Defaults used when the corresponding spec field is zero. */
#define PKT_DEF_SPORT 40000
#define PKT_DEF_TTL 55
#define PKT_DEF_WINDOW 64240

/* Fill .opts and .optlen of a pkt_spec from a byte list. */
#define PKT_OPTS(...) \
	.opts = { __VA_ARGS__ }, .optlen = sizeof((__u8[]){ __VA_ARGS__ })
#define PKT_IPOPTS(...) \
	.ip_opts = { __VA_ARGS__ }, .ip_optlen = sizeof((__u8[]){ __VA_ARGS__ })

struct pkt_spec {
	/* L2: MACs default to client 02:00:00:00:00:01 -> server ..:02 */
	__u8 src_mac[6];
	__u8 dst_mac[6];
	__u8 nvlan;		  /* VLAN tags, outermost first */
	__u16 tpid[PKT_MAX_VLAN]; /* 0: 0x8100 */
	__u16 tci[PKT_MAX_VLAN];
	__u16 ethertype; /* 0: derived from family */
	/* L3: family 4 or 6; 0 = no IP header, raw body of raw_len bytes */
	__u8 family;
	__u8 proto;	/* 0: TCP, unless proto_set */
	__u8 proto_set; /* proto is explicit (IPv6 hop-by-hop: 0) */
	__u8 tos;	/* IPv4 TOS / IPv6 traffic class */
	__u32 flow;	/* IPv6 flow label */
	__u8 ttl;	/* 0: PKT_DEF_TTL */
	__u16 ip_id;
	__u16 frag_off;	  /* IPv4 flags | offset, host order */
	__u8 ip_opts[40]; /* IPv4 options (multiple of 4 bytes) */
	__u8 ip_optlen;
	__u8 src_ip[16]; /* IPv4 uses the first 4 bytes; */
	__u8 dst_ip[16]; /* all-zero: 192.0.2.1 / 2001:db8::1 etc */
	__u16 raw_len;	 /* family 0: bytes after the L2 header */
	/* L4 */
	__u16 sport; /* 0: PKT_DEF_SPORT */
	__u16 dport;
	__u32 seq;
	__u32 ack;
	__u8 flags;    /* TH_* */
	__u16 window;  /* 0: PKT_DEF_WINDOW */
	__u8 opts[40]; /* TCP options */
	__u8 optlen;   /* multiple of 4 for a well-formed doff */
	__u16 paylen;  /* L4 payload bytes (a fixed pattern) */
	__u16 pad_to;  /* zero-pad the frame to this length */
};

struct pkt {
	__u8 data[PKT_MAX];
	__u32 len; /* frame length */
	__u32 l3;  /* offset of the IP header (or of the raw body) */
	__u32 l4;  /* offset of the L4 header */
};

/* Build the frame described by s into p. Returns 0, -1 if it won't fit. */
int pkt_build(struct pkt *p, const struct pkt_spec *s);

/* The addresses pkt_build() uses for a spec (defaults applied). */
void pkt_addrs(const struct pkt_spec *s, __u8 *src, __u8 *dst);

/* Cut the frame to len bytes (no-op if already shorter). */
void pkt_truncate(struct pkt *p, __u32 len);

/*
 * Recompute the IPv4 header checksum and the TCP/UDP/ICMP checksum of a
 * built frame after its bytes were edited (lengths taken from the
 * headers, clamped to the frame).
 */
void pkt_fix_csums(struct pkt *p);

/* Big-endian accessors for the fixtures. */
void pkt_put16(__u8 *p, __u16 v);
void pkt_put32(__u8 *p, __u32 v);
__u16 pkt_get16(const __u8 *p);
__u32 pkt_get32(const __u8 *p);

/* Hex dump of a frame into buf (for failure messages), truncated to n. */
void pkt_hex(const __u8 *data, __u32 len, char *buf, size_t n);

#endif /* SG_PKT_H */
