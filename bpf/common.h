/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The one boundary header: every struct, enum and constant that crosses the
 * line between the BPF programs and userspace (the loader and the tests).
 * Fixed-width types only: no pointers, bool or long, whose sizes differ
 * between the BPF target and the host.
 *
 * Counters are append-only: never renumber an existing value, userspace and
 * pinned maps from older builds depend on the indices.
 */
#ifndef SG_COMMON_H
#define SG_COMMON_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Map names (also the pin file names under <pin root>/<ifname>/). */
#define SG_MAP_CONFIG "sg_config"
#define SG_MAP_PORTS "sg_ports"
#define SG_MAP_KEYS "sg_keys"
#define SG_MAP_EPOCH "sg_epoch"
#define SG_MAP_STATS "sg_stats"
#define SG_MAP_RECENT "sg_recent"

#define SG_MSS_TABLE_LEN 8 /* entries per family; the index takes 3 bits */
#define SG_KEY_SLOTS 4	   /* key ring indexed by epoch & 3 */
#define SG_PORT_WORDS 2048 /* 65536 ports / 32 bits */
#define SG_WSCALE_NONE 15  /* cookie value: client sent no window scale */
#define SG_WSCALE_MAX 14

/* sg_config.flags: what the server kernel will accept (mirrored sysctls). */
enum sg_cfg_flags {
	SG_CFG_SACK = 1 << 0,	/* net.ipv4.tcp_sack */
	SG_CFG_TS = 1 << 1,	/* net.ipv4.tcp_timestamps */
	SG_CFG_WSCALE = 1 << 2, /* net.ipv4.tcp_window_scaling */
	SG_CFG_ECN = 1 << 3,	/* net.ipv4.tcp_ecn != 0 */
};

/*
 * Runtime configuration: one element of an array map, written whole by the
 * loader. Changed rarely (start-up, policy changes); the hot epoch number
 * lives in its own map so that a config write can never roll it back.
 */
struct sg_config {
	__u32 flags;  /* enum sg_cfg_flags */
	__u16 mss4;   /* MSS we advertise over IPv4 */
	__u16 mss6;   /* MSS we advertise over IPv6 */
	__u16 window; /* receive window in the SYN-ACK (unscaled, never 0) */
	__u8 wscale;  /* our window scale shift, 0..14 */
	__u8 ttl;     /* IPv4 TTL and IPv6 hop limit of the SYN-ACK */
	__u16 msstab4[SG_MSS_TABLE_LEN]; /* ascending */
	__u16 msstab6[SG_MSS_TABLE_LEN]; /* ascending */
	/*
	 * TIME_WAIT guard: a SYN from a source seen with an established
	 * connection or a verified cookie within this many epochs is checked
	 * against the kernel's sockets first. 0 disables the check.
	 */
	__u32 tw_epochs;
};

/* One epoch's cookie key. Slot for epoch E is E % SG_KEY_SLOTS. */
struct sg_key {
	__u64 k0;
	__u64 k1;
	__u32 epoch;
	__u32 valid; /* 0: slot empty */
};

/* sg_epoch[0]: the current epoch; SYN-ACKs are minted with its key. */
struct sg_epoch_state {
	__u32 epoch;
	__u32 pad;
};

/*
 * XDP metadata in front of a verified cookie ACK (bpf_xdp_adjust_meta), read
 * by the TC program. The size is a multiple of 4 as the kernel requires.
 */
#define SG_META_MAGIC 0x53474d31 /* "SGM1" */

enum sg_meta_flags {
	SG_META_SACK = 1 << 0,
	SG_META_TS = 1 << 1,
	SG_META_WSCALE = 1 << 2, /* both sides scale; snd/rcv_wscale valid */
	SG_META_ECN = 1 << 3,
};

struct sg_meta {
	__u32 magic;
	__u16 mss;	 /* client's MSS, from the cookie's table index */
	__u8 snd_wscale; /* client's shift */
	__u8 rcv_wscale; /* our shift */
	__u32 flags;	 /* enum sg_meta_flags */
	__u32 tsval;	 /* client's TSval in the ACK */
	__u32 tsecr;	 /* the TSval we sent, echoed */
};

/*
 * Per-CPU counters, one array indexed by this enum. The SG_V_* group is
 * the verdict record: every packet the XDP program sees increments exactly
 * one of them, so their sum equals packets processed. SG_E_* are events
 * counted beside a verdict.
 *
 * Append only; userspace names them in a table checked against SG_STAT_MAX.
 */
enum sg_stat {
	/* XDP_PASS, by reason */
	SG_V_PASS_NOT_IP = 0,  /* neither IPv4 nor IPv6 (ARP, LLDP, ...) */
	SG_V_PASS_NOT_TCP,     /* IP but not TCP */
	SG_V_PASS_PORT,	       /* TCP to a port we do not protect */
	SG_V_PASS_FRAGMENT,    /* IPv4 fragment: the kernel reassembles */
	SG_V_PASS_IPV6_EXT,    /* IPv6 extension header: not on the fast path */
	SG_V_PASS_VLAN_DEPTH,  /* more than two VLAN tags */
	SG_V_PASS_FLAGS,       /* RST, FIN, SYN-ACK, ...: the kernel owns it */
	SG_V_PASS_NO_KEY,      /* no cookie key installed: fail open */
	SG_V_PASS_COOKIE_OK,   /* ACK with a valid cookie (metadata attached) */
	SG_V_PASS_ESTABLISHED, /* ACK owned by an existing socket */
	SG_V_PASS_TIMEWAIT,    /* SYN reusing a TIME_WAIT 4-tuple: kernel's */
	SG_V_PASS_NO_LISTENER, /* kernel engine: nobody listens, kernel RSTs */
	SG_V_PASS_GEN_COOKIE,  /* kernel engine: no kernel cookie, kernel's */
	/* XDP_TX */
	SG_V_TX_SYNACK, /* SYN answered with a cookie SYN-ACK */
	/* XDP_DROP, by reason */
	SG_V_DROP_COOKIE_BAD,	 /* ACK whose cookie does not verify */
	SG_V_DROP_MALFORMED_L2,	 /* truncated Ethernet/VLAN header */
	SG_V_DROP_MALFORMED_IP,	 /* truncated IP, IHL < 5, bad lengths */
	SG_V_DROP_MALFORMED_TCP, /* truncated TCP, doff < 5 or past the end */
	SG_V_DROP_BAD_OPTION,	 /* TCP option length 0/1 or overrunning */
	SG_V_DROP_BAD_FLAGS,	 /* SYN+RST, SYN+FIN */
	SG_V_DROP_ADJUST,	 /* bpf_xdp_adjust_tail/meta failed */
	SG_V_DROP_NO_CONFIG, /* config map empty (cannot happen once loaded) */
	SG_V_LAST = SG_V_DROP_NO_CONFIG,
	/* events */
	SG_E_SYN_PAYLOAD,	/* SYN carried data (Fast Open); data dropped */
	SG_E_COOKIE_PREV_EPOCH, /* valid cookie from the previous epoch */
	SG_E_HANDOFF_OK,	/* TC: kernel took the connection */
	SG_E_HANDOFF_NO_LISTENER, /* TC: no listening socket for the ACK */
	SG_E_HANDOFF_ERROR,	  /* TC: bpf_sk_assign_tcp_reqsk() failed */
	SG_E_HANDOFF_PARSE,	  /* TC: metadata on a packet TC cannot parse */
	SG_STAT_MAX
};

/* Hand-off engine, a load-time constant of the programs. */
enum sg_engine {
	SG_ENGINE_OWN = 0,    /* our cookie, TC bpf_sk_assign_tcp_reqsk() */
	SG_ENGINE_KERNEL = 1, /* kernel cookie, bpf_tcp_gen_syncookie() */
};

#define SG_RECENT_SLOTS 65536 /* sg_recent: sources seen completing */

/* What a counter records: the verdict class of its packets, or an event. */
enum sg_stat_kind {
	SG_KIND_PASS,
	SG_KIND_TX,
	SG_KIND_DROP,
	SG_KIND_EVENT,
};

static inline __attribute__((always_inline)) enum sg_stat_kind
sg_stat_kind(__u32 stat)
{
	if (stat < SG_V_TX_SYNACK)
		return SG_KIND_PASS;
	if (stat == SG_V_TX_SYNACK)
		return SG_KIND_TX;
	if (stat <= SG_V_LAST)
		return SG_KIND_DROP;
	return SG_KIND_EVENT;
}

#endif /* SG_COMMON_H */
