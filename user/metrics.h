/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* The /metrics HTTP endpoint of `synguard run` (libmicrohttpd). */
#ifndef SG_METRICS_H
#define SG_METRICS_H

#include <stddef.h>

#define SG_METRICS_DEFAULT "127.0.0.1:9630"

struct sg_metrics;

/*
 * Parse "ADDR:PORT" ("127.0.0.1:9630", "[::1]:9630", "0.0.0.0:9630") or
 * "off" (returns 1). 0 on success, -EINVAL with the reason in err.
 */
int sg_metrics_parse_addr(const char *s, void *sockaddr, size_t *len, char *err,
			  size_t errlen);

/*
 * Serve every interface pinned under @pin_root on @addr (already checked
 * with sg_metrics_parse_addr). NULL and errno set on failure.
 *
 * sg_metrics_spawn: privilege-separated, what the daemon uses. This
 * process binds @addr, then an unprivileged child process with no
 * capabilities parses HTTP and asks a thread of this process for the
 * rendered text over a socketpair; a child that dies is restarted.
 * sg_metrics_start: all in this process (the HTTP fuzzer's harness).
 */
struct sg_metrics *sg_metrics_spawn(const char *addr, const char *pin_root,
				    const char *engine);
struct sg_metrics *sg_metrics_start(const char *addr, const char *pin_root,
				    const char *engine);
/*
 * Memory holding secrets (the key file's master key, the slot hash keys)
 * that every HTTP process wipes from its copy of the daemon's memory
 * first thing after fork, so that a bug in the HTTP parser cannot leak
 * them. Register before sg_metrics_spawn(); at most 4 regions.
 */
void sg_metrics_forget(void *p, size_t len);

/* The HTTP process's pid (privilege-separated), else 0. */
int sg_metrics_pid(const struct sg_metrics *m);
void sg_metrics_stop(struct sg_metrics *m);

#endif /* SG_METRICS_H */
