/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Half-open accounting from the pinned sg_sources map: per source prefix,
 * SYN-ACKs sent, verified ACKs and SYNs the reflection guard dropped.
 * `synguard top` shows it; metrics reuse sg_half_open().
 */
#ifndef SG_TOP_H
#define SG_TOP_H

#include <linux/types.h>

#include "common.h"

/* One used bucket of sg_sources (its prefix in key). */
struct sg_src_row {
	struct sg_src_key key;
	struct sg_src val;
	__u64 unanswered; /* max(0, synack - ack_ok) */
};

/*
 * Every used bucket of the sg_sources array @fd into a malloc'ed array in
 * *rows (free() it). Returns the count or -errno.
 */
int sg_sources_read(int fd, struct sg_src_row **rows);

/*
 * The half-open estimate of @ifname: the sum of unanswered SYN-ACKs over
 * prefixes active in the current or the previous epoch. 0 or -errno.
 */
int sg_half_open(const char *root, const char *ifname, __u64 *out);

#endif /* SG_TOP_H */
