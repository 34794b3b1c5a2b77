// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * --engage auto's decision (user/engage.c): engages at once on the SYN
 * rate or on the kernel defending itself, stands down only after the hold
 * time below the lower threshold, and does not flap on a rate hovering
 * between the thresholds or on a pulsing flood.
 */
#include "../../user/engage.c"
#include "sg_test.h"

int main(void)
{
	struct sg_engage_cfg c = { .on = 1000, .off = 250, .hold = 10 };
	struct sg_engage_state s = { 0 };
	int i, flips = 0;
	time_t t = 100;

	SG_CHECK("calm: not engaged",
		 !sg_engage_step(&s, &c, 999, 0, t++) && !s.engaged,
		 "engaged %d", s.engaged);
	SG_CHECK("SYN rate at engage-on: engaged at once",
		 sg_engage_step(&s, &c, 1000, 0, t++) && s.engaged,
		 "engaged %d", s.engaged);
	for (i = 0; i < 60; i++)
		flips += sg_engage_step(&s, &c, 500, 0, t++);
	SG_CHECK("rate between the thresholds: stays engaged",
		 s.engaged && !flips, "engaged %d flips %d", s.engaged, flips);
	for (i = 0; i < 10; i++)
		flips += sg_engage_step(&s, &c, 10, 0, t++);
	SG_CHECK("calm shorter than the hold: still engaged",
		 s.engaged && !flips, "engaged %d flips %d", s.engaged, flips);
	flips += sg_engage_step(&s, &c, 10, 0, t++);
	SG_CHECK("calm for the hold: stands down", !s.engaged && flips == 1,
		 "engaged %d flips %d", s.engaged, flips);
	SG_CHECK("kernel sending its own cookies: engaged",
		 sg_engage_step(&s, &c, 0, 1, t++) && s.engaged, "engaged %d",
		 s.engaged);
	for (i = 0; i < 9; i++)
		sg_engage_step(&s, &c, 0, 0, t++);
	sg_engage_step(&s, &c, 0, 1, t++); /* the kernel again: calm resets */
	for (i = 0; i < 10; i++)
		sg_engage_step(&s, &c, 0, 0, t++);
	SG_CHECK("kernel defending again restarts the calm spell", s.engaged,
		 "engaged %d", s.engaged);
	/* A flood pulsing 5 s on, 5 s off: engaged throughout. */
	flips = 0;
	for (i = 0; i < 100; i++)
		flips +=
			sg_engage_step(&s, &c, (i / 5) % 2 ? 0 : 50000, 0, t++);
	SG_CHECK("pulsing flood: no flapping", s.engaged && !flips,
		 "engaged %d flips %d", s.engaged, flips);
	/* --engage-off 0 (or a quarter of a tiny --engage-on): stands down
	 * once no SYN comes at all for the hold. */
	{
		struct sg_engage_cfg z = { .on = 3, .off = 0, .hold = 5 };
		struct sg_engage_state e = { 0 };

		sg_engage_step(&e, &z, 10, 0, t++);
		for (i = 0; i < 6; i++)
			sg_engage_step(&e, &z, 0, 0, t++);
		SG_CHECK("engage-off 0: stands down after the hold with no SYN",
			 !e.engaged, "engaged %d", e.engaged);
	}
	return sg_test_exit();
}
