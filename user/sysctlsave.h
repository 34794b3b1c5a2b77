/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The sysctls `--set-sysctl` changes (net.ipv4.tcp_syncookies and, for the
 * kernel engine, tcp_timestamps) are the network namespace's, shared by
 * every synguard in it: their original values are kept in one daemon
 * record (sg_info, pinned, so they survive a crash), and the last synguard
 * of the namespace to stop puts them back. A daemon that stops while
 * another still runs hands its record over instead of restoring values the
 * other one needs.
 */
#ifndef SG_SYSCTLSAVE_H
#define SG_SYSCTLSAVE_H

#include <linux/types.h>

#include "common.h"

#define SG_SYSCTL_COOKIES 1u
#define SG_SYSCTL_TS 2u

/*
 * Hand-overs between the synguards of one pin root are read-modify-writes
 * of each other's records: every such sequence (start's adoption, a
 * record write, stop's release, detach's) runs under this lock, an flock
 * on the pin root directory, so that two daemons stopping together
 * (systemctl stop of several instances) cannot lose the originals.
 * Returns the fd for sg_records_unlock(), or -1: then unlocked (best
 * effort; the directory cannot be opened).
 */
int sg_records_lock(const char *root);
void sg_records_unlock(int fd);

/* The network namespace of this process (inode of /proc/self/ns/net). */
__u64 sg_netns_id(void);

/*
 * At start: take the originals held by records of dead daemons of this
 * namespace under @root (other than @ifname's, which @info already is)
 * into @info, so that they are put back some day. Returns the mask of
 * sysctls some record of the namespace (live or adopted) holds.
 */
__u32 sg_sysctl_adopt(const char *root, const char *ifname,
		      struct sg_info *info);

/*
 * At stop (or `synguard detach` after a crash): put back what @info holds
 * when no other synguard of the namespace runs, or hand it over to one
 * that does. Clears what @info held; the caller writes @info back.
 */
void sg_sysctl_release(const char *root, const char *ifname,
		       struct sg_info *info);

#endif /* SG_SYSCTLSAVE_H */
