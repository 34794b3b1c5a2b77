/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Names and help texts of the XDP program's counters (enum sg_stat). */
#ifndef SG_COUNTERS_H
#define SG_COUNTERS_H

#include "common.h"

struct sg_counter_desc {
	const char *name; /* short snake_case name: stats, JSON, metric label */
	const char *help;
};

extern const struct sg_counter_desc sg_counters[];

#endif /* SG_COUNTERS_H */
