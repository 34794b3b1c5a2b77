// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Key files and epoch key derivation (user/keys.c): files are refused
 * unless private, regular and long enough; the same file gives the same
 * epoch keys (what lets a fleet share cookies); epochs and files give
 * different keys; the byte-string SipHash matches the reference vector.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../user/keys.c"
#include "sg_test.h"

static char dir[] = "/tmp/sg-test-keys.XXXXXX";

static const char *write_file(const char *name, const void *buf, size_t len,
			      mode_t mode)
{
	static char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
	chmod(path, mode);
	return path;
}

int main(void)
{
	unsigned char secret[32], other[32], seq[16];
	struct sg_master a, b, c;
	__u64 k0, k1, j0, j1;
	char err[256];
	const char *p;
	int i, rc;

	if (!mkdtemp(dir))
		return 1;
	for (i = 0; i < 32; i++) {
		secret[i] = (unsigned char)(i * 7 + 1);
		other[i] = secret[i] ^ (i == 31);
	}
	for (i = 0; i < 16; i++)
		seq[i] = i;

	/* Reference: key 00..0f, message 00..0e (15 bytes). */
	SG_CHECK("siphash bytes matches the reference vector",
		 sg_siphash(0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL, seq,
			    15) == 0xa129ca6149be45e5ULL,
		 "got %llx",
		 (unsigned long long)sg_siphash(0x0706050403020100ULL,
						0x0f0e0d0c0b0a0908ULL, seq,
						15));

	p = write_file("ok", secret, sizeof(secret), 0600);
	rc = sg_key_file_load(p, &a, err, sizeof(err));
	SG_CHECK("a private 32-byte key file loads", rc == 0, "%s", err);

	p = write_file("ok2", secret, sizeof(secret), 0400);
	rc = sg_key_file_load(p, &b, err, sizeof(err));
	SG_CHECK("the same bytes in another file give the same master",
		 rc == 0 && a.k0 == b.k0 && a.k1 == b.k1, "rc %d", rc);

	p = write_file("other", other, sizeof(other), 0600);
	rc = sg_key_file_load(p, &c, err, sizeof(err));
	SG_CHECK("one changed bit (in the last byte) changes the master",
		 rc == 0 && (a.k0 != c.k0 && a.k1 != c.k1), "rc %d", rc);

	p = write_file("group", secret, sizeof(secret), 0640);
	rc = sg_key_file_load(p, &b, err, sizeof(err));
	SG_CHECK("a group-readable key file is refused",
		 rc == -EPERM && strstr(err, "chmod 600"), "rc %d: %s", rc,
		 err);

	p = write_file("world", secret, sizeof(secret), 0604);
	rc = sg_key_file_load(p, &b, err, sizeof(err));
	SG_CHECK("a world-readable key file is refused", rc == -EPERM,
		 "rc %d: %s", rc, err);

	p = write_file("short", secret, 15, 0600);
	rc = sg_key_file_load(p, &b, err, sizeof(err));
	SG_CHECK("a 15-byte key file is refused",
		 rc == -EINVAL && strstr(err, "15 bytes"), "rc %d: %s", rc,
		 err);

	p = write_file("foreign", secret, sizeof(secret), 0600);
	rc = chown(p, 12345, 12345);
	rc = rc ? rc : sg_key_file_load(p, &b, err, sizeof(err));
	SG_CHECK("a key file owned by another user is refused",
		 rc == -EPERM && strstr(err, "uid 12345"), "rc %d: %s", rc,
		 err);
	unlink(p);

	rc = sg_key_file_load(dir, &b, err, sizeof(err));
	SG_CHECK("a directory is refused", rc != 0, "rc %d", rc);

	{
		char link[300];

		snprintf(link, sizeof(link), "%s/link", dir);
		p = write_file("target", secret, sizeof(secret), 0600);
		rc = symlink(p, link);
		rc = rc ? rc : sg_key_file_load(link, &b, err, sizeof(err));
		SG_CHECK("a symlink is refused (O_NOFOLLOW)", rc == -ELOOP,
			 "rc %d: %s", rc, err);
		unlink(link);
	}

	rc = sg_key_file_load("/nonexistent/key", &b, err, sizeof(err));
	SG_CHECK("a missing file is refused with its name",
		 rc == -ENOENT && strstr(err, "/nonexistent/key"), "rc %d", rc);

	sg_epoch_key(&a, 1000, &k0, &k1);
	sg_epoch_key(&a, 1000, &j0, &j1);
	SG_CHECK("epoch keys are deterministic", k0 == j0 && k1 == j1,
		 "differ");
	sg_epoch_key(&a, 1001, &j0, &j1);
	SG_CHECK("another epoch gives another key",
		 k0 != j0 && k1 != j1 && k0 != k1, "same");
	sg_epoch_key(&c, 1000, &j0, &j1);
	SG_CHECK("another master gives another epoch key", k0 != j0 && k1 != j1,
		 "same");

	unlink(write_file("ok", "", 0, 0600));
	unlink(write_file("ok2", "", 0, 0600));
	unlink(write_file("other", "", 0, 0600));
	unlink(write_file("group", "", 0, 0600));
	unlink(write_file("world", "", 0, 0600));
	unlink(write_file("short", "", 0, 0600));
	unlink(write_file("target", "", 0, 0600));
	rmdir(dir);
	return sg_test_exit();
}
