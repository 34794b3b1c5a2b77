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
#define SG_MAP_ALLOW4 "sg_allow4"
#define SG_MAP_ALLOW6 "sg_allow6"
#define SG_MAP_DENY4 "sg_deny4"
#define SG_MAP_DENY6 "sg_deny6"
#define SG_MAP_SOURCES "sg_sources"
#define SG_MAP_INFO "sg_info"
#define SG_MAP_LPORTS "sg_lports"
#define SG_MAP_LOCAL4 "sg_local4"
#define SG_MAP_LOCAL6 "sg_local6"
#define SG_MAP_BADCK "sg_badck"
#define SG_MAP_HANDED "sg_handed"
#define SG_MAP_FLAGS "sg_flags"
#define SG_MAP_ACKMIX "sg_ackmix"
#define SG_MAP_HSHAKE "sg_hshake"

#define SG_LIST_MAX 65536    /* entries per allow/deny trie */
#define SG_SOURCES_MAX 65536 /* buckets of per-prefix accounting (2^16) */
#define SG_BADCK_SLOTS 65536 /* buckets of the bad-cookie limiter (2^16) */
#define SG_LOCAL_MAX 4096    /* local addresses per family */
#define SG_HANDED_MAX 65536  /* 4-tuples recently handed to the kernel */
#define SG_LOCAL_LIST 8	     /* local IPv4 addresses kept in sg_config */
#define SG_LOCAL_LIST6 4     /* local IPv6 addresses kept in sg_config */

#define SG_MSS_TABLE_LEN 8 /* entries per family; the index takes 3 bits */
/* The daemon's MSS tables (docs/cookie.md has the reasons), ascending:
 * initialiser lists, { SG_MSSTAB4_DEFAULT }. */
#define SG_MSSTAB4_DEFAULT 536, 1200, 1300, 1380, 1440, 1452, 1460, 8960
#define SG_MSSTAB6_DEFAULT 1220, 1280, 1340, 1380, 1420, 1432, 1440, 8940
#define SG_KEY_SLOTS 64	   /* key ring indexed by epoch & 63 */
#define SG_PORT_WORDS 2048 /* 65536 ports / 32 bits */
#define SG_WSCALE_NONE 15  /* cookie value: client sent no window scale */
#define SG_WSCALE_MAX 14

/* sg_ackmix: the share of handshakes among recent pure ACKs, in 1/65536,
 * a moving average in which the newest ACK weighs 1/8. */
#define SG_MIX_ONE (1u << 16)
#define SG_MIX_SHIFT 3
/* Cookie first from 3/8 handshakes on. At a share p that order saves
 * p x L (a handshake's lookup) and costs (1 - p) x M (options, key and
 * MAC for an established ACK) per pure ACK, break-even at M / (L + M).
 * Both measured both ways: L 70, M 37 ns on one 2-core VM (0.35); L 36,
 * M 28 ns on another (0.43). Near break-even both orders cost about the
 * same, so the exact value matters little. */
#define SG_MIX_COOKIE_FIRST (SG_MIX_ONE / 8 * 3)

/* sg_config.flags: what the server kernel will accept (mirrored sysctls). */
enum sg_cfg_flags {
	SG_CFG_SACK = 1 << 0,	/* net.ipv4.tcp_sack */
	SG_CFG_TS = 1 << 1,	/* net.ipv4.tcp_timestamps */
	SG_CFG_WSCALE = 1 << 2, /* net.ipv4.tcp_window_scaling */
	SG_CFG_ECN = 1 << 3,	/* net.ipv4.tcp_ecn != 0 */
	/* Non-empty policy lists: empty ones cost no lookup. */
	SG_CFG_ALLOW4 = 1 << 8,
	SG_CFG_ALLOW6 = 1 << 9,
	SG_CFG_DENY4 = 1 << 10,
	SG_CFG_DENY6 = 1 << 11,
	/*
	 * The daemon keeps sg_local4/6 (this namespace's addresses) and
	 * sg_lports (ports with a listener, MPTCP ones) up to date: SYNs to
	 * other destinations or to ports nobody listens on go to the kernel.
	 */
	SG_CFG_LOCAL = 1 << 12,
	/* --engage auto: SYNs go to the kernel unless sg_epoch says engaged */
	SG_CFG_ENGAGE_AUTO = 1 << 13,
	/* --engage monitor: decide and count, but pass everything */
	SG_CFG_MONITOR = 1 << 14,
	/* The kernel sent SYN cookies of its own lately: an ACK our cookie
	 * check refuses may carry one (bpf_tcp_check_syncookie). */
	SG_CFG_KCOOKIE = 1 << 15,
	/* --xdp-meta off: no XDP metadata; TC verifies the cookie itself */
	SG_CFG_NO_META = 1 << 16,
	/* Conntrack NAT hooks in this namespace (user/natcheck.h): the own
	 * engine's hand-off would be undone; SYNs of the family go to the
	 * kernel. */
	SG_CFG_NAT4 = 1 << 17,
	SG_CFG_NAT6 = 1 << 18,
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
	/* Half-open accounting and the reflection guard, per source prefix
	 * (the destination prefix of our SYN-ACKs). */
	__u32 prefix4;	    /* IPv4 prefix length, 1..32 */
	__u32 prefix6;	    /* IPv6 prefix length, 1..128 */
	__u32 synack_rate;  /* SYN-ACKs per second per prefix; 0: no limit */
	__u32 synack_burst; /* bucket depth in SYN-ACKs */
	__u32 mask4;	    /* prefix4 as a network-order mask */
	__u32 mask6[4];	    /* prefix6 as a network-order mask */
	/*
	 * Token buckets without division: a bucket of "units" (1024 per
	 * packet) gains (elapsed_ns * mul) >> 24 units, elapsed capped at
	 * cap_ns (the time to fill it from empty), so the product fits in
	 * 64 bits. The loader computes mul = rate * 1024 * 2^24 / 10^9.
	 */
	__u64 synack_mul;
	__u64 synack_cap_ns;
	/* Per-source limit on ACKs with a bad cookie (0: off). */
	__u32 badck_burst; /* in packets */
	__u32 ifindex;	   /* the XDP device: TC elsewhere is on a VLAN above */
	__u64 badck_mul;
	__u64 badck_cap_ns;
	/* Secret multipliers of the slot hashes of sg_sources, sg_recent and
	 * sg_badck (random per daemon start; odd): sources cannot aim at
	 * each other's slots. */
	__u64 hkey[2];
	/*
	 * This namespace's addresses as a short list when there are few
	 * (most servers): compared in place, no hash lookup. 1 to
	 * SG_LOCAL_LIST(6) entries; 0 or a larger count means "see
	 * sg_local4/6".
	 */
	__u32 nlocal4;
	__u32 nlocal6;
	__u32 local4[SG_LOCAL_LIST];
	__u32 local6[SG_LOCAL_LIST6][4];
};

/* sg_local6 key: an IPv6 address, network order. */
struct sg_in6 {
	__u32 addr[4];
};

/* sg_lports[port >> 5]: bit (port & 31) of listen when this namespace has
 * a TCP listener on the port, of mptcp when one of them is MPTCP's. */
struct sg_lport {
	__u32 listen;
	__u32 mptcp;
};

/* sg_flags[0]: what the programs learned at run time. */
struct sg_flags {
	__u32 meta_failed; /* bpf_xdp_adjust_meta failed: TC verifies */
	__u32 pad;
};

/* Allow/deny LPM trie keys (prefixlen first, as the trie requires). */
struct sg_lpm4 {
	__u32 prefixlen;
	__u32 addr; /* network order */
};

struct sg_lpm6 {
	__u32 prefixlen;
	__u32 addr[4]; /* network order */
};

/* A source prefix, address masked to the prefix length. */
struct sg_src_key {
	__u16 family; /* 4 or 6; 0: bucket never used */
	/*
	 * Not part of the prefix, kept when another prefix claims the
	 * bucket: 0x8000 | the low 15 bits of the epoch in which a source
	 * hashing here was last put in sg_recent (0: never). The SYN path
	 * reads sg_recent (another cache line) only when this is recent.
	 */
	__u16 seen;
	__u32 addr[4]; /* network order; IPv4 in addr[0] */
};

/*
 * sg_sources: an array of buckets, one per source prefix by a keyed hash
 * of the prefix (no insertion, eviction or miss path, whatever a flood's
 * sources). A bucket belongs to the prefix in key; a prefix whose bucket
 * another one holds takes it over once that one has been idle for two
 * epochs, and shares it until then. Counters are approximate under
 * concurrency (plain adds from several CPUs).
 */
struct sg_src {
	struct sg_src_key key;
	__u32 epoch;   /* epoch of the last SYN-ACK or ACK */
	__u64 synack;  /* SYN-ACKs sent to the prefix */
	__u64 ack_ok;  /* verified cookie ACKs from it */
	__u64 limited; /* SYNs dropped by the reflection guard */
	__u64 tokens;  /* bucket fill, in 1/1024 SYN-ACK */
	__u64 last_ns; /* last refill, bpf_ktime_get_coarse_ns() */
};

/* sg_recent[slot]: a source seen with an established connection or a
 * verified cookie (exact address, so a slot cannot be borrowed). */
struct sg_seen {
	__u32 fp;     /* the address (IPv4) or a keyed fold of it (IPv6) */
	__u32 epoch1; /* epoch + 1 of the last sighting; 0: never */
};

/* sg_badck[slot]: the bad-cookie bucket of the sources hashing there. */
struct sg_badck {
	__u64 tokens; /* units, 1024 per ACK */
	__u64 last_ns;
};

/* sg_handed: a 4-tuple the TC program handed to the kernel, and when. */
struct sg_tuple_key {
	__u32 saddr[4];
	__u32 daddr[4];
	__u32 ports;
	__u32 family;
};

/*
 * sg_info[0]: what the daemon runs with, for `status`, `keys rotate` and
 * metrics. Written by `synguard run` only.
 */
struct sg_info {
	__u32 engine;	  /* enum sg_engine */
	__u32 xdp_mode;	  /* enum xdp_attach_mode */
	__u32 legacy;	  /* enum sg_libxdp: 0 dispatcher, else single */
	__u32 pid;	  /* daemon PID (0: not running) */
	__u64 started;	  /* wall clock, seconds */
	__u64 rotated;	  /* wall clock of the last key change, seconds */
	__u64 rotations;  /* key rotations since start */
	__u32 key_period; /* seconds */
	__u32 key_file;	  /* 1: keys derived from a key file */
	__u32 xdp_id;	  /* program ids */
	__u32 tc_id;
	__u32 engage;	 /* enum sg_engage */
	__u32 tc_uppers; /* VLAN devices above carrying the TC program */
	/*
	 * Sysctls `--set-sysctl` changed in this network namespace whose
	 * original values this record holds (bit 0 tcp_syncookies, bit 1
	 * tcp_timestamps): the last synguard of the namespace to stop puts
	 * them back, also after a crash (`synguard detach`).
	 */
	__u32 sysctl_saved;
	__s32 orig_syncookies;
	__s32 orig_timestamps;
	/* `synguard keys rotate` requests refused (one epoch ahead of the
	 * clock already): the command tells a refusal from a rotation. */
	__u32 rotate_refused;
	__u64 netns; /* inode of the daemon's network namespace */
};

/* How the XDP program is attached (sg_info.legacy). */
enum sg_libxdp {
	SG_LIBXDP_DISPATCHER = 0, /* a component of libxdp's dispatcher */
	SG_LIBXDP_SINGLE = 1,	  /* alone: the kernel has no dispatcher */
	SG_LIBXDP_REFUSED = 2,	  /* alone: the dispatcher refused synguard */
};

/* One epoch's cookie key. Slot for epoch E is E % SG_KEY_SLOTS. */
struct sg_key {
	__u64 k0;
	__u64 k1;
	__u32 epoch;
	__u32 valid; /* 0: slot empty */
};

/*
 * sg_epoch[0]: the current epoch (SYN-ACKs are minted with its key; ACKs
 * of the previous, current and next epoch are accepted) and, for --engage
 * auto, whether synguard answers SYNs now. Written whole by the daemon.
 */
struct sg_epoch_state {
	__u32 epoch;
	__u32 engaged;
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
	SG_V_PASS_ALLOW,       /* source in the allowlist: the kernel's */
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
	SG_V_DROP_DENY,	     /* source in the denylist */
	SG_V_DROP_RATELIMIT, /* reflection guard: prefix over --synack-rate */
	SG_V_LAST = SG_V_DROP_RATELIMIT,
	/* events */
	SG_E_SYN_PAYLOAD,	/* SYN carried data (Fast Open); data dropped */
	SG_E_COOKIE_PREV_EPOCH, /* valid cookie from the previous epoch */
	SG_E_HANDOFF_OK,	/* TC: kernel took the connection */
	SG_E_HANDOFF_NO_LISTENER, /* TC: no listening socket for the ACK */
	SG_E_HANDOFF_ERROR,	  /* TC: bpf_sk_assign_tcp_reqsk() failed */
	SG_E_HANDOFF_PARSE,	  /* TC: metadata on a packet TC cannot parse */
	SG_E_SYN_RX,		  /* SYN (no ACK) to a protected port */
	/* XDP_PASS, by reason (added later) */
	SG_V_PASS_NOT_LOCAL,   /* SYN not for us: multicast, broadcast, another
				host's address, martian source */
	SG_V_PASS_MPTCP,       /* an MPTCP listener's port: the kernel's */
	SG_V_PASS_TCP_AUTH,    /* TCP-MD5 or TCP-AO option: the kernel's */
	SG_V_PASS_NOT_ENGAGED, /* --engage auto, no attack: the kernel's */
	SG_V_PASS_KERNEL_COOKIE, /* ACK with a SYN cookie of the kernel's */
	SG_V_PASS_NAT, /* own engine, conntrack NAT here: the kernel's */
	SG_V_PASS2_LAST = SG_V_PASS_NAT,
	/* XDP_DROP, by reason (added later) */
	SG_V_DROP_COOKIE_LIMITED, /* source over its bad-cookie budget */
	SG_V_DROP2_LAST = SG_V_DROP_COOKIE_LIMITED,
	/* events (added later) */
	SG_E_META_FAILED,      /* no XDP metadata possible: TC verifies */
	SG_E_MONITOR_PASSED,   /* --engage monitor passed what it would not */
	SG_E_GUARD_BYPASS,     /* known source's SYN past an exhausted guard */
	SG_E_HANDOFF_DUP,      /* TC: 4-tuple handed off already, left alone */
	SG_E_HANDOFF_DEFERRED, /* TC: still VLAN-tagged, left to the upper
				  device's TC */
	SG_E_TC_VERIFIED,      /* TC verified a cookie itself (no metadata) */
	/* XDP_DROP, by reason (added later still) */
	SG_V_DROP_FOLLOWUP, /* a segment after the one that completed its
			       handshake, before the kernel has its socket:
			       not charged as a bad cookie */
	SG_STAT_MAX
};

/* When synguard answers SYNs (--engage; userspace: sg_info.engage). */
enum sg_engage {
	SG_ENGAGE_ALWAYS = 0,  /* every SYN that is ours */
	SG_ENGAGE_AUTO = 1,    /* only while the SYN rate or the kernel's
				  own cookies say attack */
	SG_ENGAGE_MONITOR = 2, /* never: decide, count, pass everything */
};

/* Hand-off engine, a load-time constant of the programs. */
enum sg_engine {
	SG_ENGINE_OWN = 0,    /* our cookie, TC bpf_sk_assign_tcp_reqsk() */
	SG_ENGINE_KERNEL = 1, /* kernel cookie, bpf_tcp_gen_syncookie() */
};

#define SG_RECENT_SLOTS 65536 /* sg_recent: sources seen completing */

/* sg_hshake (bpf/maps.h): a handshake whose follow-ups are no forgery. */
struct sg_hshake {
	__u32 fp;    /* source address, or its keyed fold (IPv6) */
	__u32 ports; /* source and destination port */
	__u32 ack;   /* the handshake's acknowledgment number, as sent */
	__u32 seq;   /* the completing segment's sequence number */
	__u64 t;     /* when (sg_now()) */
};

#define SG_HSHAKE_SLOTS 256

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
	if (stat < SG_V_PASS_NOT_LOCAL)
		return SG_KIND_EVENT;
	if (stat <= SG_V_PASS2_LAST)
		return SG_KIND_PASS;
	if (stat <= SG_V_DROP2_LAST)
		return SG_KIND_DROP;
	if (stat == SG_V_DROP_FOLLOWUP)
		return SG_KIND_DROP;
	return SG_KIND_EVENT;
}

#endif /* SG_COMMON_H */
