// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The daemon's key ring (user/keyring.c) against a model of the programs'
 * key and epoch maps: after every move the published epoch's previous,
 * current and next keys are in their slots (derived ones equal to the key
 * file's); no write ever lands in a slot the programs may be reading (the
 * slots around the epoch published at that moment); and the epoch follows
 * the clock: forward, back after a step back (rotation never freezes),
 * forced one ahead by `keys rotate` and no further, across jumps of any
 * size including multiples of the 64 slots.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../../user/keys.c"
#include "../../user/keyring.c"
#include "sg_test.h"

enum sg_log_level sg_log_level = SG_LOG_WARN;
void sg_log(enum sg_log_level level, const char *fmt, ...)
{
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* The programs' view. */
static struct sg_key keys[SG_KEY_SLOTS];
static struct sg_epoch_state published;
static int have_published, bad_writes, writes;
static char why[256];

static int in_use_now(__u32 slot)
{
	__u32 e = published.epoch;

	return have_published && (slot == ((e - 1) & 63) || slot == (e & 63) ||
				  slot == ((e + 1) & 63));
}

static int w_key(void *ctx, __u32 slot, const struct sg_key *k)
{
	(void)ctx;
	writes++;
	if (slot >= SG_KEY_SLOTS || in_use_now(slot)) {
		if (!bad_writes++)
			snprintf(why, sizeof(why),
				 "wrote slot %u while epoch %u was published",
				 slot, published.epoch);
	}
	if (slot < SG_KEY_SLOTS)
		keys[slot] = *k;
	return 0;
}

static int w_epoch(void *ctx, const struct sg_epoch_state *es)
{
	(void)ctx;
	published = *es;
	have_published = 1;
	return 0;
}

/* The published state is complete: keys of e-1, e, e+1 in place. */
static int complete(const struct sg_master *m, char *msg, size_t len)
{
	__u32 e = published.epoch, d;

	for (d = 0; d < 3; d++) {
		__u32 x = e - 1 + d;
		const struct sg_key *k = &keys[x & 63];
		__u64 k0, k1;

		if (!k->valid || k->epoch != x) {
			snprintf(msg, len, "epoch %u: slot of %u holds %u", e,
				 x, k->epoch);
			return 0;
		}
		if (m) {
			sg_epoch_key(m, x, &k0, &k1);
			if (k->k0 != k0 || k->k1 != k1) {
				snprintf(msg, len, "key of %u not derived", x);
				return 0;
			}
		}
	}
	return 1;
}

static __u64 rng = 0x1234567887654321ULL;
static __u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void walk(int from_file)
{
	struct sg_keyring kr = { .ops = { w_key, w_epoch, NULL },
				 .period = 60,
				 .grace_us = 1 };
	time_t now = 1700000000;
	int i, incomplete = 0, wrong_epoch = 0, forced_far = 0, steps = 20000;
	int backs = 0, jumps = 0, forces = 0;
	char msg[160] = "", name[64];

	memset(keys, 0, sizeof(keys));
	have_published = bad_writes = writes = 0;
	kr.from_file = from_file;
	if (from_file)
		sg_master_from_bytes((const unsigned char *)"0123456789abcdef",
				     16, &kr.master);
	for (i = 0; i < steps; i++) {
		__u64 r = rnd() % 100;
		__u32 want, wall;

		if (r < 70)
			now += 1 + rnd() % 30; /* ticking on */
		else if (r < 80) {
			now -= rnd() % 400; /* clock stepped back */
			backs++;
		} else if (r < 88) {
			/* jumps, some by about a multiple of the slots */
			now += 60 * (64 * (1 + rnd() % 3) + (rnd() % 5) - 2);
			jumps++;
		} else if (r < 95) {
			sg_keyring_force(&kr, now);
			forces++;
		} else {
			now += 60 * (rnd() % 5);
		}
		want = sg_keyring_want(&kr, now);
		if (sg_keyring_set(&kr, want)) {
			snprintf(msg, sizeof(msg), "set %u failed", want);
			incomplete++;
			break;
		}
		wall = (__u32)(now / 60);
		if (published.epoch != want)
			wrong_epoch++;
		if (published.epoch != wall && published.epoch != wall + 1)
			forced_far++;
		if (!complete(from_file ? &kr.master : NULL, msg, sizeof(msg)))
			incomplete++;
	}
	snprintf(name, sizeof(name), "%s: published state complete",
		 from_file ? "key file" : "random keys");
	SG_CHECK(name, !incomplete, "%d incomplete states; %s", incomplete,
		 msg);
	snprintf(name, sizeof(name), "%s: no write into a slot in use",
		 from_file ? "key file" : "random keys");
	SG_CHECK(name, !bad_writes, "%d of %d writes; first: %s", bad_writes,
		 writes, why);
	snprintf(name, sizeof(name), "%s: epoch follows the clock",
		 from_file ? "key file" : "random keys");
	SG_CHECK(name, !wrong_epoch && !forced_far,
		 "%d published epochs not wanted, %d not within one of the "
		 "clock (%d back steps, %d jumps, %d forced)",
		 wrong_epoch, forced_far, backs, jumps, forces);
	sg_keyring_wipe(&kr);
}

int main(void)
{
	struct sg_keyring kr = { .ops = { w_key, w_epoch, NULL },
				 .period = 60,
				 .grace_us = 1 };
	time_t t = 6000;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(keys, 0, sizeof(keys));
	have_published = 0;
	sg_keyring_set(&kr, sg_keyring_want(&kr, t));
	SG_CHECK("first epoch from the clock", published.epoch == 100,
		 "epoch %u", published.epoch);
	SG_CHECK("keys rotate: one ahead",
		 !sg_keyring_force(&kr, t) && published.epoch == 101,
		 "epoch %u", published.epoch);
	SG_CHECK("keys rotate twice: refused, still one ahead",
		 sg_keyring_force(&kr, t) == -EALREADY &&
			 published.epoch == 101,
		 "epoch %u", published.epoch);
	sg_keyring_set(&kr, sg_keyring_want(&kr, t + 30));
	SG_CHECK("forced epoch kept until the clock catches up",
		 published.epoch == 101, "epoch %u", published.epoch);
	sg_keyring_set(&kr, sg_keyring_want(&kr, t + 61));
	SG_CHECK("clock caught up", published.epoch == 101 && !kr.forced,
		 "epoch %u forced %u", published.epoch, kr.forced);
	sg_keyring_set(&kr, sg_keyring_want(&kr, t - 3600));
	SG_CHECK("clock stepped back an hour: epoch follows",
		 published.epoch == 40, "epoch %u", published.epoch);
	sg_keyring_engage(&kr, 1);
	SG_CHECK("engaged flag published with the epoch",
		 published.engaged == 1 && published.epoch == 40,
		 "engaged %u epoch %u", published.engaged, published.epoch);
	sg_keyring_set(&kr, 41);
	SG_CHECK("engaged flag kept across a rotation", published.engaged == 1,
		 "engaged %u", published.engaged);
	SG_CHECK("ms to the boundary",
		 sg_keyring_ms_to_boundary(&kr, 60000LL * 41 + 59500) == 500,
		 "%ld", sg_keyring_ms_to_boundary(&kr, 60000LL * 41 + 59500));
	walk(0);
	walk(1);
	return sg_test_exit();
}
