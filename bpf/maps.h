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
 * Sources seen recently with an established connection or a verified
 * cookie: slot (hash of the source address) holds epoch + 1 of the last
 * sighting, 0 for never. Only such sources can hold a server TIME_WAIT
 * socket, so only their SYNs pay for a socket lookup (a spoofed flood
 * comes from sources that never completed a handshake). Collisions only
 * cost a lookup, never a wrong verdict.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SG_RECENT_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
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

/* Half-open accounting and the reflection guard, per source prefix. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SG_SOURCES_MAX);
	__type(key, struct sg_src_key);
	__type(value, struct sg_src);
} sg_sources SEC(".maps");

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
