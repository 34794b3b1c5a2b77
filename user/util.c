// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Parsing and sysctl helpers; see util.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "util.h"

int sg_parse_u32(const char *s, __u32 min, __u32 max, __u32 *out)
{
	unsigned long long v;
	const char *p;
	char *end;

	/* Plain decimal digits only: strtoull() alone would also take
	 * leading white space (\t \n \v \f \r, found by fuzzing) and signs. */
	if (!s || !*s)
		return -EINVAL;
	for (p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return errno == ERANGE ? -ERANGE : -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = (__u32)v;
	return 0;
}

static int parse_port(const char *s, size_t len, __u32 *port)
{
	char buf[8];

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return sg_parse_u32(buf, 1, 65535, port);
}

int sg_parse_ports(const char *s, __u32 *bitmap, char *err, size_t err_len)
{
	const char *p = s;
	int count = 0;

	if (!s || !*s) {
		snprintf(err, err_len, "empty port list");
		return -EINVAL;
	}
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *dash = memchr(p, '-', len);
		__u32 lo, hi, i;

		if (dash) {
			if (parse_port(p, dash - p, &lo) ||
			    parse_port(dash + 1, len - (dash - p) - 1, &hi) ||
			    lo > hi)
				goto bad;
		} else {
			if (parse_port(p, len, &lo))
				goto bad;
			hi = lo;
		}
		for (i = lo; i <= hi; i++) {
			if (!(bitmap[i >> 5] & (1u << (i & 31))))
				count++;
			bitmap[i >> 5] |= 1u << (i & 31);
		}
		if (!comma)
			break;
		p = comma + 1;
		if (!*p)
			goto bad_end;
		continue;
bad:
		snprintf(err, err_len,
			 "bad port '%.*s' (want 1-65535 or LO-HI)", (int)len,
			 p);
		return -EINVAL;
	}
	return count;
bad_end:
	snprintf(err, err_len, "trailing comma in port list");
	return -EINVAL;
}

#define SG_PORT_SET(bm, p) ((bm)[(p) >> 5] & (1u << ((p)&31)))

unsigned int sg_ports_format(const __u32 *bm, char *buf, size_t len)
{
	static const char more[] = ",...";
	unsigned int n = 0, p, lo;
	size_t off = 0;
	int full = 0;

	buf[0] = '\0';
	for (p = 1; p < 65536; p++) {
		char ent[16];
		int w;

		if (!SG_PORT_SET(bm, p))
			continue;
		lo = p;
		while (p + 1 < 65536 && SG_PORT_SET(bm, p + 1))
			p++;
		n += p - lo + 1;
		if (full)
			continue;
		w = snprintf(ent, sizeof(ent), lo == p ? "%s%u" : "%s%u-%u",
			     off ? "," : "", lo, p);
		/* Room for this entry and, after it, the marker. */
		if (off + w + sizeof(more) > len) {
			full = 1;
			if (off + sizeof(more) <= len)
				memcpy(buf + off, more, sizeof(more));
			continue;
		}
		memcpy(buf + off, ent, w + 1);
		off += w;
	}
	return n;
}

int sg_sysctl_read(const char *name, long *val)
{
	char path[256], buf[64], *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	*val = strtol(buf, &end, 10);
	if (end == buf)
		return -EINVAL;
	return 0;
}

int sg_sysctl_write(const char *name, long val)
{
	char path[256], buf[32];
	int fd, len, err = 0;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%ld\n", val);
	if (write(fd, buf, len) != len)
		err = -errno;
	close(fd);
	return err;
}

void sg_bucket_params(__u32 rate, __u32 burst, __u64 *mul, __u64 *cap_ns)
{
	unsigned __int128 m, full = (unsigned __int128)burst << 10;

	*mul = *cap_ns = 0;
	if (!rate)
		return;
	/* units per ns, << 24: rate * 1024 / 1e9 * 2^24, rounded up so
	 * that a slow rate never rounds to nothing */
	m = ((unsigned __int128)rate << 34) + 999999999;
	m /= 1000000000;
	*mul = (__u64)m;
	/* time to fill from empty: the product elapsed * mul stays below
	 * full << 24 (< 2^61 for burst <= 10^8) */
	*cap_ns = (__u64)(((full << 24) + m - 1) / m);
}
