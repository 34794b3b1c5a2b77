// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* See keyring.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#include "keyring.h"
#include "log.h"

#define SLOT(e) ((e) & (SG_KEY_SLOTS - 1))

__u32 sg_keyring_want(struct sg_keyring *kr, time_t now)
{
	__u32 wall = (__u32)(now / kr->period);

	if (kr->forced) {
		/* Caught up with, or the clock stepped back past it: the
		 * clock rules again. */
		if ((__s32)(wall - kr->forced) >= 0 ||
		    (__s32)(kr->forced - wall) > 1)
			kr->forced = 0;
		else
			return kr->forced;
	}
	return wall;
}

static int write_key(struct sg_keyring *kr, __u32 epoch)
{
	struct sg_key k = { .epoch = epoch, .valid = 1 };
	__u64 rnd[2];
	int err;

	if (kr->from_file) {
		sg_epoch_key(&kr->master, epoch, &k.k0, &k.k1);
	} else {
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
			pr_warn("synguard: getrandom failed: %s\n",
				strerror(errno));
			return -EIO;
		}
		k.k0 = rnd[0];
		k.k1 = rnd[1];
		explicit_bzero(rnd, sizeof(rnd));
	}
	err = kr->ops.write_key(kr->ops.ctx, SLOT(epoch), &k);
	explicit_bzero(&k, sizeof(k));
	if (err) {
		kr->slot_valid[SLOT(epoch)] = 0; /* unknown now */
		return err;
	}
	kr->slot_epoch[SLOT(epoch)] = epoch;
	kr->slot_valid[SLOT(epoch)] = 1;
	return 0;
}

static int holds(const struct sg_keyring *kr, __u32 epoch)
{
	return kr->slot_valid[SLOT(epoch)] &&
	       kr->slot_epoch[SLOT(epoch)] == epoch;
}

/* Is @slot one the programs may read now (around the published epoch)? */
static int in_use(const struct sg_keyring *kr, __u32 slot)
{
	return kr->have &&
	       (slot == SLOT(kr->epoch - 1) || slot == SLOT(kr->epoch) ||
		slot == SLOT(kr->epoch + 1));
}

static int publish(struct sg_keyring *kr, __u32 epoch)
{
	struct sg_epoch_state es = { .epoch = epoch, .engaged = kr->engaged };
	int err = kr->ops.write_epoch(kr->ops.ctx, &es);

	if (err)
		return err;
	kr->epoch = epoch;
	kr->have = 1;
	return 0;
}

int sg_keyring_set(struct sg_keyring *kr, __u32 target)
{
	__u32 need[3] = { target - 1, target, target + 1 };
	int i, err, clash = 0;

	if (kr->have && kr->epoch == target && holds(kr, target - 1) &&
	    holds(kr, target) && holds(kr, target + 1))
		return 0;
	for (i = 0; i < 3; i++)
		if (!holds(kr, need[i]) && in_use(kr, SLOT(need[i])))
			clash = 1;
	if (clash) {
		/* A jump by about a multiple of 64 epochs: go through an
		 * epoch whose slots are clear of both, let readers of the
		 * old state finish, then on. */
		err = sg_keyring_set(kr, kr->epoch + SG_KEY_SLOTS / 2);
		if (err)
			return err;
		usleep(kr->grace_us ? kr->grace_us : 20000);
	}
	for (i = 0; i < 3; i++) {
		if (holds(kr, need[i]))
			continue;
		err = write_key(kr, need[i]);
		if (err)
			return err;
	}
	return publish(kr, target);
}

int sg_keyring_force(struct sg_keyring *kr, time_t now)
{
	__u32 wall = (__u32)(now / kr->period);

	/* One ahead at most: the fleet accepts the next epoch, no more. */
	if ((__s32)(kr->epoch - wall) >= 1)
		return -EALREADY;
	kr->forced = wall + 1;
	return sg_keyring_set(kr, kr->forced);
}

int sg_keyring_engage(struct sg_keyring *kr, __u32 engaged)
{
	__u32 old = kr->engaged;
	int err;

	kr->engaged = engaged;
	if (!kr->have)
		return 0;
	err = publish(kr, kr->epoch);
	if (err)
		kr->engaged = old;
	return err;
}

long sg_keyring_ms_to_boundary(const struct sg_keyring *kr, long long now_ms)
{
	long long p = (long long)kr->period * 1000;

	return (long)(p - now_ms % p);
}

void sg_keyring_wipe(struct sg_keyring *kr)
{
	explicit_bzero(&kr->master, sizeof(kr->master));
}
