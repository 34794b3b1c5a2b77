/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Map definitions of the XDP program and the counter helpers. The value
 * types live in common.h, the boundary header shared with userspace.
 */
#ifndef SG_MAPS_H
#define SG_MAPS_H

#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_config);
} sg_config SEC(".maps");

/* Protected destination ports: bit (port & 31) of word (port >> 5). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SG_PORT_WORDS);
	__type(key, __u32);
	__type(value, __u32);
} sg_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SG_KEY_SLOTS);
	__type(key, __u32);
	__type(value, struct sg_key);
} sg_keys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_epoch_state);
} sg_epoch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SG_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} sg_stats SEC(".maps");

/*
 * Per CPU: the share of handshake ACKs among the pure ACKs to our
 * listeners lately, in 1/65536 (a moving average over about the last
 * eight). It picks the order of an ACK's two checks (sg_ack): the socket
 * lookup first while established traffic dominates, the cookie first
 * while handshakes do.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} sg_ackmix SEC(".maps");

/*
 * Per CPU, by 4-tuple: the last handshakes whose completing segment
 * passed the cookie check (or the kernel's, kernel engine). The segments
 * that follow it in the same receive batch (the rest of a first flight:
 * a request or TLS hello of more than one segment) reach XDP before the
 * kernel has made the socket, as TC and TCP see the batch after XDP, and
 * their sequence numbers no longer give the client's ISN the cookie was
 * made over. They are no forgery when they return the very
 * acknowledgment number of the handshake (our ISN + 1, which a blind
 * sender cannot know) from the same 4-tuple, a little further on in
 * sequence, within a second: dropped, but not charged to the source's
 * bad-cookie budget (sg_badck), and counted apart. Passing them would
 * race the socket's creation: one that reached the listener first (its
 * lock held by accept(), the segments queued on its backlog) would be
 * answered with a reset. The client sends them again.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SG_HSHAKE_SLOTS);
	__type(key, __u32);
	__type(value, struct sg_hshake);
} sg_hshake SEC(".maps");

/*
 * Sources seen recently with an established connection or a verified
 * cookie, by a keyed hash of the address: the slot holds the address (or
 * its keyed fold) and epoch + 1 of the last sighting. Only such sources
 * can hold a server TIME_WAIT socket, so only their SYNs pay for a socket
 * lookup (a spoofed flood comes from sources that never completed a
 * handshake); and they pass the reflection guard, which a flood spoofing
 * their prefix must not close to them. Another source hashing to the slot
 * only evicts the entry (it cannot pass for it).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SG_RECENT_SLOTS);
	__type(key, __u32);
	__type(value, struct sg_seen);
} sg_recent SEC(".maps");

/* Source allow/deny lists (LPM tries, network-order keys). */
#define SG_LPM_MAP(name, keytype)                     \
	struct {                                      \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);  \
		__uint(max_entries, SG_LIST_MAX);     \
		__uint(map_flags, BPF_F_NO_PREALLOC); \
		__type(key, keytype);                 \
		__type(value, __u32);                 \
	} name SEC(".maps")

SG_LPM_MAP(sg_allow4, struct sg_lpm4);
SG_LPM_MAP(sg_allow6, struct sg_lpm6);
SG_LPM_MAP(sg_deny4, struct sg_lpm4);
SG_LPM_MAP(sg_deny6, struct sg_lpm6);

/*
 * Half-open accounting and the reflection guard, per source prefix.
 *
 * BPF_F_MMAPABLE for the alignment, not for mmap(): it starts the values
 * on a page. An ordinary array's values follow struct bpf_array, at 312
 * bytes into a page on Linux 6.18, so every 64-byte bucket would straddle
 * two cache lines and a SYN from a new prefix would miss twice.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SG_SOURCES_MAX);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sg_src);
} sg_sources SEC(".maps");

/* The bad-cookie limiter: a bucket per source address hash (16 bytes;
 * page-aligned like sg_sources, so that none straddles two lines). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SG_BADCK_SLOTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sg_badck);
} sg_badck SEC(".maps");

/* Ports with a listener in this namespace (kept by the daemon). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SG_PORT_WORDS);
	__type(key, __u32);
	__type(value, struct sg_lport);
} sg_lports SEC(".maps");

/* This namespace's unicast addresses (kept by the daemon). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SG_LOCAL_MAX);
	__type(key, __u32);
	__type(value, __u32);
} sg_local4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SG_LOCAL_MAX);
	__type(key, struct sg_in6);
	__type(value, __u32);
} sg_local6 SEC(".maps");

/*
 * 4-tuples the TC program handed to the kernel in the last moments: the
 * client's first data segment can reach TC in the same receive batch as
 * its ACK, before the kernel has made the socket; handing it off again
 * would lose it (the client then waits for a retransmission timeout).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SG_HANDED_MAX);
	__type(key, struct sg_tuple_key);
	__type(value, __u64);
} sg_handed SEC(".maps");

/* What the programs learned at run time (struct sg_flags). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_flags);
} sg_flags SEC(".maps");

/* What the daemon runs with; written by userspace only. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_info);
} sg_info SEC(".maps");

static __always_inline void sg_count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&sg_stats, &idx);

	if (c)
		*c += 1;
}

/* Record the reason for a verdict and return the verdict. */
static __always_inline int sg_verdict(__u32 reason, int action)
{
	sg_count(reason);
	return action;
}

static __always_inline int sg_port_protected(__u16 port)
{
	__u32 idx = port >> 5;
	__u32 *w = bpf_map_lookup_elem(&sg_ports, &idx);

	return w && (*w & (1u << (port & 31)));
}

/*
 * The key for @epoch, or NULL when its slot holds another epoch or nothing
 * (no key installed yet, or the previous epoch's slot already reused).
 */
static __always_inline struct sg_key *sg_key_for(__u32 epoch)
{
	__u32 slot = epoch & (SG_KEY_SLOTS - 1);
	struct sg_key *k = bpf_map_lookup_elem(&sg_keys, &slot);

	if (!k || !k->valid || k->epoch != epoch)
		return NULL;
	return k;
}

#endif /* SG_MAPS_H */
