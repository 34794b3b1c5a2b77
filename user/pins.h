/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Access to what a running `synguard run` pinned under
 * <pin root>/<ifname>/<map>: opening pins, walking the pin directories,
 * the config element (read-modify-write), the epoch, the daemon record
 * (struct sg_info) and whether that daemon is still alive.
 */
#ifndef SG_PINS_H
#define SG_PINS_H

#include <stddef.h>
#include <linux/types.h>

#include "common.h"

/* Open <root>/<ifname>/<map>: an fd, or -errno (-ENOENT: not running). */
int sg_pin_fd(const char *root, const char *ifname, const char *map);

/*
 * sg_pin_fd(), printing on failure one line "synguard CMD: ..." that says
 * why: no pins for the interface, one map missing, or the errno.
 */
int sg_pin_open(const char *cmd, const char *root, const char *ifname,
		const char *map);

/*
 * Call @fn for every pin directory under @root (a directory named like an
 * interface holding an sg_config pin), in name order. Stops at
 * the first negative return of @fn and returns it; otherwise returns the
 * number of directories visited (0 when @root does not exist), or -errno
 * when @root cannot be read.
 */
int sg_for_each_iface(const char *root,
		      int (*fn)(const char *ifname, void *ctx), void *ctx);

/*
 * A name usable as a pin directory and interface: non-empty, shorter
 * than IF_NAMESIZE, no '/', not "." or "..". 1 if valid.
 */
int sg_ifname_valid(const char *s);

/* Whole-element access to sg_config[0] (read-modify-write: no field can
 * be written alone). 0 or -errno. */
int sg_config_read(const char *root, const char *ifname, struct sg_config *cfg);
int sg_config_write(const char *root, const char *ifname,
		    const struct sg_config *cfg);

/* sg_epoch[0].epoch and sg_info[0]; 0 or -errno. */
int sg_epoch_read(const char *root, const char *ifname, __u32 *epoch);
int sg_info_read(const char *root, const char *ifname, struct sg_info *info);

/*
 * 1 when @pid is a live process whose /proc/PID/comm is "synguard" and
 * whose command line holds "run" (a daemon, not another synguard
 * command that reused the PID); 0 otherwise.
 */
int sg_daemon_alive(__u32 pid);

/* "2025-01-31 12:00:00 UTC" for a wall-clock second count. */
void sg_time_str(__u64 secs, char *buf, size_t len);

/* "3d04h", "2h05m", "4m07s", "12s": the time since @secs (wall clock). */
void sg_age_str(__u64 secs, char *buf, size_t len);

/* Print @s as a JSON string (quoted, escaped) on stdout. */
void sg_json_str(const char *s);

#endif /* SG_PINS_H */
