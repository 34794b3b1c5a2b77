// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* See engage.h. */
#include "engage.h"

int sg_engage_step(struct sg_engage_state *s, const struct sg_engage_cfg *c,
		   double syn_rate, int kernel_defends, time_t now)
{
	if (!s->engaged) {
		if (syn_rate >= c->on || kernel_defends) {
			s->engaged = 1;
			s->calm_since = 0;
			s->since = now;
			return 1;
		}
		return 0;
	}
	if (syn_rate > c->off || kernel_defends) {
		s->calm_since = 0;
		return 0;
	}
	if (!s->calm_since) {
		s->calm_since = now;
		return 0;
	}
	if (now - s->calm_since < (time_t)c->hold)
		return 0;
	s->engaged = 0;
	s->calm_since = 0;
	s->since = now;
	return 1;
}
