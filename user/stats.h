/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Reading the pinned per-CPU counters (user/stats.c). */
#ifndef SG_STATS_H
#define SG_STATS_H

#include <linux/types.h>

/* Sum the per-CPU counters pinned for @ifname into vals[SG_STAT_MAX]. */
int sg_read_stats(const char *pin_root, const char *ifname, __u64 *vals);

#endif /* SG_STATS_H */
