/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Cookie keys: random per epoch, or derived from a master secret in a key
 * file so that every server sharing the file validates every other's
 * cookies with no coordination.
 */
#ifndef SG_KEYS_H
#define SG_KEYS_H

#include <stddef.h>
#include <linux/types.h>

#define SG_KEY_FILE_MIN 16 /* bytes of secret, at least */
#define SG_KEY_FILE_MAX 4096

/* The 128-bit master key compressed from a key file's bytes. */
struct sg_master {
	__u64 k0, k1;
};

/*
 * Read a key file: a regular file, mode 0600 or stricter (no group or
 * other bits), SG_KEY_FILE_MIN..SG_KEY_FILE_MAX bytes. 0, or -errno with
 * the reason in err.
 */
int sg_key_file_load(const char *path, struct sg_master *m, char *err,
		     size_t errlen);

/* Compress secret bytes into a master key (SipHash-2-4 chain). */
void sg_master_from_bytes(const unsigned char *buf, size_t len,
			  struct sg_master *m);

/* The epoch key: SipHash-2-4 keyed by the master over ("sg-epoch", epoch, i). */
void sg_epoch_key(const struct sg_master *m, __u32 epoch, __u64 *k0, __u64 *k1);

/* SipHash-2-4 over a byte string (little-endian words, as the reference). */
__u64 sg_siphash(__u64 k0, __u64 k1, const unsigned char *buf, size_t len);

#endif /* SG_KEYS_H */
