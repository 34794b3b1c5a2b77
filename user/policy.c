// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Allow/deny lists: CIDR parsing and the pinned LPM tries; see policy.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "common.h"
#include "pins.h"
#include "policy.h"
#include "util.h"

/* Zero the bits of addr (nwords network-order words) past @prefixlen. */
static void mask_addr(__u32 *addr, int nwords, __u32 prefixlen)
{
	int i;

	for (i = 0; i < nwords; i++) {
		__u32 bits = prefixlen > 32u * i ? prefixlen - 32u * i : 0;

		if (bits >= 32)
			continue;
		addr[i] &= bits ? htonl(~0u << (32 - bits)) : 0;
	}
}

int sg_parse_cidr(const char *s, struct sg_cidr *out, char *err, size_t errlen)
{
	char buf[SG_CIDR_STRLEN], *slash;
	struct sg_cidr c = { 0 };
	__u32 max;

	if (!s || !*s) {
		snprintf(err, errlen,
			 "empty address (want a CIDR such as "
			 "10.0.0.0/8 or fd00::/64)");
		return -EINVAL;
	}
	if (strlen(s) >= sizeof(buf))
		goto garbage;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	c.family = strchr(buf, ':') ? 6 : 4;
	if (inet_pton(c.family == 4 ? AF_INET : AF_INET6, buf, c.addr) != 1)
		goto garbage;
	max = c.family == 4 ? 32 : 128;
	c.prefixlen = max;
	if (slash && sg_parse_u32(slash, 0, max, &c.prefixlen)) {
		snprintf(err, errlen,
			 "bad prefix length '%.40s' in '%.80s' (0-%u for "
			 "IPv%d)",
			 slash, s, max, c.family);
		return -EINVAL;
	}
	{
		struct sg_cidr m = c;
		char fix[SG_CIDR_STRLEN];

		mask_addr(m.addr, c.family == 4 ? 1 : 4, c.prefixlen);
		if (memcmp(m.addr, c.addr, sizeof(c.addr))) {
			sg_cidr_str(&m, fix, sizeof(fix));
			snprintf(err, errlen,
				 "host bits set in '%.80s'; did you mean %s?",
				 s, fix);
			return -EINVAL;
		}
	}
	*out = c;
	return 0;
garbage:
	snprintf(err, errlen,
		 "'%.80s' is not an IPv4 or IPv6 address or CIDR (e.g. "
		 "10.0.0.0/8, fd00::/64)",
		 s);
	return -EINVAL;
}

void sg_cidr_str(const struct sg_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a,
		       sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, c->prefixlen);
}

int sg_cidr_cmp(const void *pa, const void *pb)
{
	const struct sg_cidr *a = pa, *b = pb;
	int r;

	if (a->family != b->family)
		return a->family - b->family;
	r = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (r)
		return r;
	return a->prefixlen < b->prefixlen ? -1 : a->prefixlen > b->prefixlen;
}

int sg_list_update(int fd4, int fd6, const struct sg_cidr *c, int add)
{
	struct sg_lpm4 k4 = { .prefixlen = c->prefixlen, .addr = c->addr[0] };
	struct sg_lpm6 k6 = { .prefixlen = c->prefixlen };
	const void *key = &k4;
	__u32 one = 1;
	int fd = fd4, err;

	if (c->family == 6) {
		memcpy(k6.addr, c->addr, sizeof(k6.addr));
		key = &k6;
		fd = fd6;
	} else if (c->family != 4) {
		return -EINVAL;
	}
	if (add)
		err = bpf_map_update_elem(fd, key, &one, BPF_ANY);
	else
		err = bpf_map_delete_elem(fd, key);
	return err ? -errno : 0;
}

int sg_list_nonempty(int fd)
{
	struct sg_lpm6 key; /* the larger key */

	if (!bpf_map_get_next_key(fd, NULL, &key))
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

int sg_policy_sync_flags(const char *root, const char *ifname)
{
	static const struct {
		const char *map;
		__u32 flag;
	} lists[] = {
		{ SG_MAP_ALLOW4, SG_CFG_ALLOW4 },
		{ SG_MAP_ALLOW6, SG_CFG_ALLOW6 },
		{ SG_MAP_DENY4, SG_CFG_DENY4 },
		{ SG_MAP_DENY6, SG_CFG_DENY6 },
	};
	__u32 mask = 0, flags = 0;
	struct sg_config cfg;
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		int fd = sg_pin_fd(root, ifname, lists[i].map), r;

		if (fd < 0)
			return fd;
		r = sg_list_nonempty(fd);
		close(fd);
		if (r < 0)
			return r;
		mask |= lists[i].flag;
		flags |= r ? lists[i].flag : 0;
	}
	err = sg_config_read(root, ifname, &cfg);
	if (err)
		return err;
	if ((cfg.flags & mask) == flags)
		return 0;
	cfg.flags = (cfg.flags & ~mask) | flags;
	return sg_config_write(root, ifname, &cfg);
}

/* Append every key of trie @fd (family 4 or 6) to the array. */
static int dump_trie(int fd, int family, struct sg_cidr **arr, int *n, int *cap)
{
	struct sg_lpm6 key, next;
	const void *prev = NULL;
	int guard = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct sg_cidr *c;

		if (++guard > 2 * SG_LIST_MAX)
			return -ELOOP; /* the trie changes under us */
		if (*n == *cap) {
			int ncap = *cap ? 2 * *cap : 64;
			struct sg_cidr *na = realloc(*arr, ncap * sizeof(*na));

			if (!na)
				return -ENOMEM;
			*arr = na;
			*cap = ncap;
		}
		c = &(*arr)[(*n)++];
		memset(c, 0, sizeof(*c));
		c->family = family;
		c->prefixlen = next.prefixlen;
		if (family == 4)
			c->addr[0] = next.addr[0];
		else
			memcpy(c->addr, next.addr, sizeof(c->addr));
		key = next;
		prev = &key;
	}
	return errno == ENOENT ? 0 : -errno;
}

int sg_list_dump(int fd4, int fd6, struct sg_cidr **out)
{
	struct sg_cidr *arr = NULL;
	int n = 0, cap = 0, err = 0;

	if (fd4 >= 0)
		err = dump_trie(fd4, 4, &arr, &n, &cap);
	if (!err && fd6 >= 0)
		err = dump_trie(fd6, 6, &arr, &n, &cap);
	if (err) {
		free(arr);
		*out = NULL;
		return err;
	}
	if (n)
		qsort(arr, n, sizeof(*arr), sg_cidr_cmp);
	*out = arr;
	return n;
}
