// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Key material for the cookie. The master key is a SipHash-2-4 compression
 * of the key file (first 16 bytes as the SipHash key, the whole file as
 * the message, twice with different domain bytes for 128 bits); each epoch
 * key is SipHash-2-4 keyed by the master over a fixed label and the epoch
 * number: a PRF of the epoch, the same on every host with the same file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cookie.h"
#include "keys.h"

__u64 sg_siphash(__u64 k0, __u64 k1, const unsigned char *buf, size_t len)
{
	struct sg_sip s;
	__u64 last = (__u64)len << 56;
	size_t i, tail = len & 7;

	sg_sip_init(&s, k0, k1);
	for (i = 0; i + 8 <= len; i += 8) {
		__u64 m;

		memcpy(&m, buf + i, 8); /* little-endian hosts */
		sg_sip_word(&s, m);
	}
	for (i = 0; i < tail; i++)
		last |= (__u64)buf[len - tail + i] << (8 * i);
	return sg_sip_final(&s, last);
}

void sg_master_from_bytes(const unsigned char *buf, size_t len,
			  struct sg_master *m)
{
	unsigned char tmp[SG_KEY_FILE_MAX + 1], head[16] = { 0 };
	__u64 k0, k1;

	/* The first 16 bytes key the compression (zero-padded if fewer:
	 * sg_key_file_load() never passes fewer). */
	memcpy(head, buf, len < sizeof(head) ? len : sizeof(head));
	memcpy(&k0, head, 8);
	memcpy(&k1, head + 8, 8);
	if (len > SG_KEY_FILE_MAX)
		len = SG_KEY_FILE_MAX;
	memcpy(tmp + 1, buf, len);
	tmp[0] = 1;
	m->k0 = sg_siphash(k0, k1, tmp, len + 1);
	tmp[0] = 2;
	m->k1 = sg_siphash(k0, k1, tmp, len + 1);
	memset(tmp, 0, sizeof(tmp));
	__asm__ __volatile__("" : : "r"(tmp) : "memory");
}

void sg_epoch_key(const struct sg_master *m, __u32 epoch, __u64 *k0, __u64 *k1)
{
	unsigned char msg[13] = "sg-epoch";

	memcpy(msg + 8, &epoch, 4);
	msg[12] = 0;
	*k0 = sg_siphash(m->k0, m->k1, msg, sizeof(msg));
	msg[12] = 1;
	*k1 = sg_siphash(m->k0, m->k1, msg, sizeof(msg));
}

int sg_key_file_load(const char *path, struct sg_master *m, char *err,
		     size_t errlen)
{
	unsigned char buf[SG_KEY_FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open key file %s: %s", path,
			 strerror(errno));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot stat key file %s: %s", path,
			 strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		snprintf(err, errlen, "key file %s is not a regular file",
			 path);
		goto out;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		ret = -EPERM;
		snprintf(err, errlen,
			 "key file %s is owned by uid %u, not by root or us; "
			 "chown it",
			 path, (unsigned)st.st_uid);
		goto out;
	}
	if (st.st_mode & 077) {
		ret = -EPERM;
		snprintf(err, errlen,
			 "key file %s is readable by group or others (mode "
			 "%04o); chmod 600 it",
			 path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot read key file %s: %s", path,
			 strerror(errno));
		goto out;
	}
	if (n < SG_KEY_FILE_MIN || n > SG_KEY_FILE_MAX) {
		ret = -EINVAL;
		snprintf(err, errlen,
			 "key file %s holds %zd bytes; want %d to %d random "
			 "bytes (e.g. head -c 32 /dev/urandom)",
			 path, n, SG_KEY_FILE_MIN, SG_KEY_FILE_MAX);
		goto out;
	}
	sg_master_from_bytes(buf, n, m);
out:
	memset(buf, 0, sizeof(buf));
	__asm__ __volatile__("" : : "r"(buf) : "memory");
	close(fd);
	return ret;
}
