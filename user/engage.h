/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * --engage auto: when synguard takes over SYNs from the kernel and when it
 * hands them back. Once a second the daemon feeds in the SYN rate to the
 * protected ports (counted by XDP whether engaged or not) and whether the
 * kernel had to defend itself (TcpExtSyncookiesSent or ListenOverflows
 * grew: a listener's queue full). Engage at once when either says attack;
 * stand down only after --engage-hold seconds at or below --engage-off with the
 * kernel calm: two thresholds and a hold, so a flood that pulses or hovers
 * around one threshold does not flap the mode.
 */
#ifndef SG_ENGAGE_H
#define SG_ENGAGE_H

#include <time.h>
#include <linux/types.h>

struct sg_engage_cfg {
	__u32 on;   /* SYNs per second that engage */
	__u32 off;  /* below this ... */
	__u32 hold; /* ... for this many seconds: stand down */
};

struct sg_engage_state {
	int engaged;
	time_t calm_since; /* start of the current calm spell, 0: none */
	time_t since;	   /* when the mode last changed */
};

/*
 * One step at @now: @syn_rate SYNs per second, @kernel_defends when the
 * kernel sent cookies or overflowed a listen queue since the last step.
 * Returns 1 when the engaged state changed.
 */
int sg_engage_step(struct sg_engage_state *s, const struct sg_engage_cfg *c,
		   double syn_rate, int kernel_defends, time_t now);

#endif /* SG_ENGAGE_H */
