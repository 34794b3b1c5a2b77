// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The userspace counter table (user/counters.c) against enum sg_stat: every
 * counter named, names unique and snake_case, and the verdict classes the
 * README's table documents.
 */
#include <ctype.h>
#include <string.h>

#include "../../user/counters.c"
#include "sg_test.h"

static int snake_case(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!islower((unsigned char)*s) &&
		    !isdigit((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

int main(void)
{
	int i, j, bad = -1, dup = -1;

	for (i = 0; i < SG_STAT_MAX && bad < 0; i++)
		if (!sg_counters[i].name || !sg_counters[i].help ||
		    !snake_case(sg_counters[i].name))
			bad = i;
	SG_CHECK("every counter has a snake_case name and help", bad < 0,
		 "counter %d", bad);

	for (i = 0; i < SG_STAT_MAX && dup < 0 && bad < 0; i++)
		for (j = i + 1; j < SG_STAT_MAX; j++)
			if (!strcmp(sg_counters[i].name, sg_counters[j].name))
				dup = i;
	SG_CHECK("counter names are unique", dup < 0, "counter %d", dup);

	bad = -1;
	for (i = 0; i < SG_STAT_MAX && bad < 0; i++) {
		const char *n = sg_counters[i].name;
		enum sg_stat_kind k = sg_stat_kind(i);

		if (!n)
			break;
		if ((k == SG_KIND_PASS && strncmp(n, "pass_", 5)) ||
		    (k == SG_KIND_DROP && strncmp(n, "drop_", 5)) ||
		    (k == SG_KIND_TX && strncmp(n, "tx_", 3)) ||
		    (k == SG_KIND_EVENT &&
		     (!strncmp(n, "pass_", 5) || !strncmp(n, "drop_", 5))))
			bad = i;
	}
	SG_CHECK("verdict class matches the name prefix", bad < 0,
		 "counter %d (%s)", bad, bad >= 0 ? sg_counters[bad].name : "");
	return sg_test_exit();
}
