/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Small parsing and file helpers shared by the commands. */
#ifndef SG_UTIL_H
#define SG_UTIL_H

#include <stddef.h>
#include <linux/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Decimal unsigned integer in [min, max]; 0 or -EINVAL/-ERANGE. */
int sg_parse_u32(const char *s, __u32 min, __u32 max, __u32 *out);

/*
 * Comma-separated ports and ranges ("80,443,8000-8010") into a bitmap of
 * SG_PORT_WORDS words. Returns the number of ports set, or -EINVAL with a
 * reason in err (err_len bytes).
 */
int sg_parse_ports(const char *s, __u32 *bitmap, char *err, size_t err_len);

/*
 * The ports of a bitmap of SG_PORT_WORDS words the way sg_parse_ports()
 * reads them ("80,443,8000-8010"; "" for none) into @buf of @len bytes
 * (at least 16). A list too long for it ends in ",..." after the last
 * whole entry. Returns the number of ports in the bitmap.
 */
unsigned int sg_ports_format(const __u32 *bm, char *buf, size_t len);

/* Read/write an integer sysctl under /proc/sys ("net/ipv4/tcp_sack"). */
int sg_sysctl_read(const char *name, long *val);
int sg_sysctl_write(const char *name, long val);

/*
 * The division-free token bucket of struct sg_config for @rate packets per
 * second and @burst packets: the multiplier (units per ns << 24) and the
 * refill cap in ns. Both 0 when rate is 0.
 */
void sg_bucket_params(__u32 rate, __u32 burst, __u64 *mul, __u64 *cap_ns);

#endif /* SG_UTIL_H */
