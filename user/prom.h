/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Prometheus text exposition (format 0.0.4) of synguard's counters:
 * rendering only, from snapshots, so that it is testable without HTTP.
 */
#ifndef SG_PROM_H
#define SG_PROM_H

#include <net/if.h>
#include <stddef.h>
#include <time.h>

#include "common.h"

/* A growable text buffer; on allocation failure it stays truncated and
 * sets failed. */
struct sg_buf {
	char *data;
	size_t len, cap;
	int failed;
};

__attribute__((format(printf, 2, 3))) void sg_buf_printf(struct sg_buf *b,
							 const char *fmt, ...);
void sg_buf_free(struct sg_buf *b);

/* What one interface looks like at scrape time. */
struct sg_snapshot {
	char ifname[2 * IF_NAMESIZE]; /* escaped for a label value */
	__u64 vals[SG_STAT_MAX];
	struct sg_info info;
	int have_info;
	int running; /* its daemon is alive */
	__u64 half_open;
	__u32 epoch;
	__u32 engaged; /* sg_epoch's flag (--engage auto) */
};

/* Metric families in exposition order, for docs and tests. */
struct sg_metric_family {
	const char *name;
	const char *type; /* counter or gauge */
	const char *help;
};

extern const struct sg_metric_family sg_metric_families[];
extern const size_t sg_metric_families_len;

/*
 * The metric family (and reason label, or NULL) that exports counter
 * @stat, so that every counter of enum sg_stat is exported somewhere.
 */
const char *sg_stat_metric(unsigned int stat, const char **reason);

/* Copy @s into @dst escaped as a Prometheus label value (\\, \", \n). */
void sg_prom_escape(char *dst, size_t len, const char *s);

void sg_prom_render(struct sg_buf *b, const struct sg_snapshot *s, int n,
		    const char *version, const char *engine, time_t now,
		    double scrape_seconds);

#endif /* SG_PROM_H */
