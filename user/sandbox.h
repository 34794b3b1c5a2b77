/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Dropping privileges for good, for a process that handles untrusted input
 * (the metrics endpoint's HTTP process): an unprivileged uid and gid, no
 * supplementary groups, no capabilities in any set, no_new_privs, and a
 * seccomp filter refusing the system calls such a process never needs
 * (bpf, ptrace, module and mount calls, exec, new namespaces, ...).
 */
#ifndef SG_SANDBOX_H
#define SG_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

/* The user the HTTP process runs as: "synguard" if it exists, else
 * "nobody", else 65534. Never uid 0. @name gets its name. */
void sg_sandbox_user(uid_t *uid, gid_t *gid, char *name, size_t len);

/*
 * Become @uid/@gid and drop everything (needs CAP_SETUID, CAP_SETGID; the
 * bounding set is emptied too where CAP_SETPCAP allows). 0, or -errno with
 * what failed in @err. Irreversible.
 */
int sg_sandbox_enter(uid_t uid, gid_t gid, char *err, size_t errlen);

#endif /* SG_SANDBOX_H */
