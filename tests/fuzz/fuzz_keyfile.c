// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer harness: sg_key_file_load() (user/keys.c). Each input is
 * written to a mode-0600 file in a private temporary directory (on
 * /dev/shm when writable), which is then loaded.
 *
 * Invariants:
 *  - 16 to 4096 bytes load; anything else is refused with -EINVAL and a
 *    message naming the size, the master key untouched;
 *  - the master key equals an independent implementation of the
 *    documented derivation (SipHash-2-4 keyed by the first 16 bytes over
 *    0x01 || file and 0x02 || file), so no byte is lost or misread;
 *  - epoch keys derived from it are deterministic and differ between
 *    neighbouring epochs.
 * Run with -max_len=8192 so that oversized files are tried.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "keys.h"

static char dir[64];
static char path[96];

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* tmpfs when there is one: a file per input. */
	snprintf(dir, sizeof(dir), "%s/sg-fuzz-keyfile.XXXXXX",
		 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/key", dir);
	atexit(cleanup);
	return 0;
}

/* Reference SipHash-2-4 (Aumasson & Bernstein), byte oriented. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                   \
	do {                       \
		v0 += v1;          \
		v1 = ROTL(v1, 13); \
		v1 ^= v0;          \
		v0 = ROTL(v0, 32); \
		v2 += v3;          \
		v3 = ROTL(v3, 16); \
		v3 ^= v2;          \
		v0 += v3;          \
		v3 = ROTL(v3, 21); \
		v3 ^= v0;          \
		v2 += v1;          \
		v1 = ROTL(v1, 17); \
		v1 ^= v2;          \
		v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t ref_siphash(const uint8_t key[16], const uint8_t *m, size_t len)
{
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0,
		 v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0,
		 v3 = 0x7465646279746573ULL ^ k1;
	uint64_t b = (uint64_t)len << 56, w;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		w = le64(m + i);
		v3 ^= w;
		SIPROUND;
		SIPROUND;
		v0 ^= w;
	}
	for (i = 0; i < left; i++)
		b |= (uint64_t)m[len - left + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint8_t msg[SG_KEY_FILE_MAX + 1];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_master m, poison;
	__u64 a0, a1, b0, b1, c0, c1;
	char err[512];
	int fd, rc;

	fuzz_cur_data = data;
	fuzz_cur_size = size;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);

	memset(&poison, 0xa5, sizeof(poison));
	m = poison;
	memset(err, 0, sizeof(err));
	rc = sg_key_file_load(path, &m, err, sizeof(err));
	if (size < SG_KEY_FILE_MIN || size > SG_KEY_FILE_MAX) {
		char want[32];

		snprintf(want, sizeof(want), "holds %zu bytes",
			 size > SG_KEY_FILE_MAX ? (size_t)SG_KEY_FILE_MAX + 1 :
						  size);
		FUZZ_ASSERT(rc == -EINVAL, "size %zu: rc %d", size, rc);
		FUZZ_ASSERT(fuzz_msg_ok(err, sizeof(err)) && strstr(err, want),
			    "message '%s' lacks '%s'", err, want);
		FUZZ_ASSERT(!memcmp(&m, &poison, sizeof(m)),
			    "master written on failure");
		return 0;
	}
	FUZZ_ASSERT(rc == 0, "size %zu: rc %d: %s", size, rc, err);

	msg[0] = 1;
	memcpy(msg + 1, data, size);
	FUZZ_ASSERT(m.k0 == ref_siphash(data, msg, size + 1), "k0 differs");
	msg[0] = 2;
	FUZZ_ASSERT(m.k1 == ref_siphash(data, msg, size + 1), "k1 differs");

	sg_epoch_key(&m, 1000, &a0, &a1);
	sg_epoch_key(&m, 1000, &b0, &b1);
	sg_epoch_key(&m, 1001, &c0, &c1);
	FUZZ_ASSERT(a0 == b0 && a1 == b1, "epoch key not deterministic");
	FUZZ_ASSERT(a0 != c0 || a1 != c1, "neighbouring epochs share a key");
	return 0;
}
