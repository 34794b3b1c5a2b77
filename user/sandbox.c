// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Privilege dropping for the metrics endpoint's HTTP process (sandbox.h).
 * No libcap, no libseccomp: the raw capset(2) and a small classic-BPF
 * seccomp filter.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "sandbox.h"
#include "util.h"

#define SG_NOBODY 65534

void sg_sandbox_user(uid_t *uid, gid_t *gid, char *name, size_t len)
{
	static const char *const users[] = { "synguard", "nobody" };
	struct passwd *pw;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(users); i++) {
		pw = getpwnam(users[i]);
		if (pw && pw->pw_uid && pw->pw_gid) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			snprintf(name, len, "%s", users[i]);
			return;
		}
	}
	*uid = SG_NOBODY;
	*gid = SG_NOBODY;
	snprintf(name, len, "%d", SG_NOBODY);
}

#if defined(__x86_64__)
#define SG_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SG_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef SG_AUDIT_ARCH
/* What an HTTP server that only reads its sockets never calls. */
static const int denied[] = {
	__NR_bpf,
	__NR_ptrace,
	__NR_perf_event_open,
	__NR_process_vm_readv,
	__NR_process_vm_writev,
	__NR_kexec_load,
	__NR_init_module,
	__NR_finit_module,
	__NR_delete_module,
	__NR_mount,
	__NR_umount2,
	__NR_pivot_root,
	__NR_chroot,
	__NR_setns,
	__NR_unshare,
	__NR_keyctl,
	__NR_add_key,
	__NR_request_key,
	__NR_userfaultfd,
	__NR_setuid,
	__NR_setgid,
	__NR_setreuid,
	__NR_setregid,
	__NR_setresuid,
	__NR_setresgid,
	__NR_setgroups,
	__NR_capset,
#if !defined(__SANITIZE_ADDRESS__)
	/* The sanitizers run a symbolizer when they report. */
	__NR_execve,
	__NR_execveat,
#endif
};

/*
 * clone(2) flags that make a namespace. In a new user namespace the process
 * would hold every capability again (over that namespace's objects), and
 * unprivileged user namespaces are on by default in Debian and Ubuntu:
 * refused like unshare(2) and setns(2). (CLONE_NEWTIME only exists for
 * clone3 and unshare, both refused.)
 */
#define SG_CLONE_NEW                                                   \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
	 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

static int seccomp_deny(void)
{
	enum { HEAD = 8, TAIL = 4 };
	struct sock_filter f[HEAD + ARRAY_SIZE(denied) + TAIL];
	struct sock_fprog prog = { .len = ARRAY_SIZE(f), .filter = f };
	size_t i, n = 0, allow = ARRAY_SIZE(f) - 3, deny = ARRAY_SIZE(f) - 2,
		  nosys = ARRAY_SIZE(f) - 1;

	f[n++] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					      SG_AUDIT_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					      SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	/* clone3 passes its flags in memory, which a filter cannot read:
	 * ENOSYS, on which glibc (threads, fork, posix_spawn) falls back to
	 * clone(2), whose flags it can. */
	f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					    __NR_clone3, nosys - n - 1, 0);
	n++;
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					      __NR_clone, 0, 2);
	/* clone's flags: the low half of its first argument (both
	 * architectures here are little-endian). */
	f[n++] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args));
	f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
					    SG_CLONE_NEW, deny - n - 1,
					    allow - n - 1);
	n++;
	for (i = 0; i < ARRAY_SIZE(denied); i++, n++)
		f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						    denied[i], deny - n - 1, 0);
#ifdef __x86_64__
	/* The x32 numbers of the same calls. */
	f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
					    0x40000000, deny - n - 1, 0);
#else
	f[n] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					    offsetof(struct seccomp_data, nr));
#endif
	n++;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					      SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					      SECCOMP_RET_ERRNO | EPERM);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					      SECCOMP_RET_ERRNO | ENOSYS);
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}
#else
static int seccomp_deny(void)
{
	return 0; /* no filter for this architecture yet */
}
#endif

int sg_sandbox_enter(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
						0 };
	struct __user_cap_data_struct caps[2];
	int c;

#define FAIL(what)                                                  \
	do {                                                        \
		int e = errno;                                      \
		snprintf(err, errlen, "%s: %s", what, strerror(e)); \
		return -e;                                          \
	} while (0)
	if (!uid || !gid) {
		errno = EINVAL;
		FAIL("refusing to run as uid or gid 0");
	}
	/* The bounding set first: emptying it needs CAP_SETPCAP, which goes
	 * with the uid change. Without CAP_SETPCAP it stays as it is (the
	 * other sets are empty anyway and no_new_privs forbids gaining). */
	for (c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EPERM)
			FAIL("PR_CAPBSET_DROP");
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0))
		FAIL("PR_SET_KEEPCAPS");
	if (setgroups(0, NULL))
		FAIL("setgroups");
	if (setresgid(gid, gid, gid))
		FAIL("setresgid");
	if (setresuid(uid, uid, uid))
		FAIL("setresuid");
	memset(caps, 0, sizeof(caps));
	if (syscall(SYS_capset, &hdr, caps))
		FAIL("capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		FAIL("PR_CAP_AMBIENT_CLEAR_ALL");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		FAIL("PR_SET_NO_NEW_PRIVS");
	/* Check, do not trust. */
	if (syscall(SYS_capget, &hdr, caps))
		FAIL("capget");
	if (caps[0].effective || caps[0].permitted || caps[0].inheritable ||
	    caps[1].effective || caps[1].permitted || caps[1].inheritable ||
	    getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid) {
		errno = EPERM;
		FAIL("privileges still held after dropping them");
	}
	if (seccomp_deny())
		FAIL("seccomp");
	return 0;
#undef FAIL
}
