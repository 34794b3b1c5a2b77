/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The cookie key ring of a daemon: which epoch is current, and the keys of
 * the previous, current and next epoch in the programs' 64-slot key map
 * (slot = epoch % 64), so that a fleet's servers, which rotate at slightly
 * different moments, accept each other's fresh cookies.
 *
 * The epoch follows the wall clock (time / period), the same on every
 * server of a fleet: when the clock steps back, so does the epoch (rotation
 * never freezes); `synguard keys rotate` moves one epoch ahead until the
 * clock catches up. Moving the epoch writes only key slots no reader uses
 * at that moment: those of the epochs around the published one are never
 * overwritten, so no packet can meet a half-written key; a jump whose slots
 * would collide with the ones in use goes through an epoch in between.
 *
 * Map writes go through callbacks, so that the unit test can watch every
 * write against what the programs could be reading.
 */
#ifndef SG_KEYRING_H
#define SG_KEYRING_H

#include <time.h>
#include <linux/types.h>

#include "common.h"
#include "keys.h"

struct sg_keyring_ops {
	int (*write_key)(void *ctx, __u32 slot, const struct sg_key *k);
	int (*write_epoch)(void *ctx, const struct sg_epoch_state *es);
	void *ctx;
};

struct sg_keyring {
	struct sg_keyring_ops ops;
	int from_file;		 /* keys derive from master, else random */
	struct sg_master master; /* with from_file */
	__u32 period;		 /* seconds per epoch */
	int have;		 /* an epoch was published */
	__u32 epoch;		 /* the published current epoch */
	__u32 engaged;		 /* published with it (--engage auto) */
	__u32 forced;		 /* keys rotate: ahead of the clock; 0 none */
	__u32 slot_epoch[SG_KEY_SLOTS]; /* what each slot holds */
	__u8 slot_valid[SG_KEY_SLOTS];
	unsigned int grace_us; /* wait between two moves (default 20 ms) */
};

/* The epoch the ring should be at at wall-clock time @now. */
__u32 sg_keyring_want(struct sg_keyring *kr, time_t now);

/*
 * Publish @target as the current epoch, with the keys of target - 1,
 * target and target + 1 in place first. 0 or -errno (the published state
 * is then still a consistent older one).
 */
int sg_keyring_set(struct sg_keyring *kr, __u32 target);

/*
 * Move one epoch ahead of the clock at @now (`synguard keys rotate`);
 * -EALREADY when it is one ahead already (the fleet accepts the next epoch
 * and no further).
 */
int sg_keyring_force(struct sg_keyring *kr, time_t now);

/* Publish a new engaged flag with the current epoch. */
int sg_keyring_engage(struct sg_keyring *kr, __u32 engaged);

/* Milliseconds from @now_ms (wall clock) to the next epoch boundary. */
long sg_keyring_ms_to_boundary(const struct sg_keyring *kr, long long now_ms);

/* Forget the key material (explicit_bzero). */
void sg_keyring_wipe(struct sg_keyring *kr);

#endif /* SG_KEYRING_H */
