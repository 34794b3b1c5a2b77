/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Source allow/deny lists: CIDR parsing and printing, and the pinned LPM
 * tries behind them (keys struct sg_lpm4/sg_lpm6, value 1). The XDP
 * program skips the lookups of an empty list, so every change is followed
 * by sg_policy_sync_flags(), which keeps SG_CFG_ALLOW4/6 and
 * SG_CFG_DENY4/6 in sg_config.flags in step with the tries.
 */
#ifndef SG_POLICY_H
#define SG_POLICY_H

#include <stddef.h>
#include <linux/types.h>

/* Longest sg_cidr_str(): INET6_ADDRSTRLEN, "/128" and the NUL. */
#define SG_CIDR_STRLEN 52

struct sg_cidr {
	int family; /* 4 or 6 */
	__u32 prefixlen;
	__u32 addr[4]; /* network order, host bits zero */
};

/*
 * "10.0.0.0/8", "10.1.2.3" (= /32), "fd00::/64", "::1" (= /128). Refuses
 * host bits beyond the prefix, a bad prefix length and anything else
 * with -EINVAL and one line of reason in err (errlen bytes).
 */
int sg_parse_cidr(const char *s, struct sg_cidr *out, char *err, size_t errlen);

/*
 * Add @c to (add != 0, BPF_ANY) or delete it from (add == 0) the list
 * whose IPv4 trie is @fd4 and IPv6 trie @fd6. 0 or -errno; deleting an
 * entry that is not there (exact prefix) is -ENOENT.
 */
int sg_list_update(int fd4, int fd6, const struct sg_cidr *c, int add);

/* 1 if the trie @fd has any entry, 0 if empty, -errno on failure. */
int sg_list_nonempty(int fd);

/*
 * Set or clear SG_CFG_ALLOW4/ALLOW6/DENY4/DENY6 in the config pinned for
 * @ifname from the emptiness of its four tries (read-modify-write of the
 * config element). 0 or -errno.
 */
int sg_policy_sync_flags(const char *root, const char *ifname);

/* "10.0.0.0/8", "fd00::/64". */
void sg_cidr_str(const struct sg_cidr *c, char *buf, size_t len);

/* Order: IPv4 before IPv6, then address, then prefix length. */
int sg_cidr_cmp(const void *a, const void *b);

/*
 * Every entry of one list, sorted by sg_cidr_cmp, into a malloc'ed
 * array in *out (free() it; NULL when empty). Returns the count or
 * -errno. @fd4 or @fd6 may be -1 to skip that family.
 */
int sg_list_dump(int fd4, int fd6, struct sg_cidr **out);

#endif /* SG_POLICY_H */
