// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The HTTP process's sandbox (user/sandbox.c), entered for real in a child
 * (root: it changes uid): afterwards no capability, no new namespace by any
 * call (clone with a namespace flag, clone3, unshare), no bpf(); threads
 * and fork still work, as libmicrohttpd and the sanitizers need them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../user/sandbox.c"
#include "sg_test.h"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

/* clone3's argument, version 0 (64 bytes). */
struct clone_args0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		stack_size, tls;
};

/* After a raw clone or clone3 returned @pid: the child exits at once, the
 * parent reaps it. -errno, or 0. */
static long settle(long pid)
{
	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return -errno;
	waitpid((pid_t)pid, NULL, 0);
	return 0;
}

static long try_clone(unsigned long flags)
{
	return settle(syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0));
}

static long try_clone3(unsigned long flags)
{
	struct clone_args0 a = { .flags = flags, .exit_signal = SIGCHLD };

	return settle(syscall(SYS_clone3, &a, sizeof(a)));
}

static void *thread_fn(void *arg)
{
	*(int *)arg = 42;
	return NULL;
}

static void check_errno(const char *name, long got, long want)
{
	SG_CHECK(name, got == want, "got %ld (%s), want %ld (%s)", got,
		 got ? strerror((int)-got) : "success", want,
		 want ? strerror((int)-want) : "success");
}

/* In the child, after sg_sandbox_enter(). */
static void sandboxed_checks(void)
{
	int v = 0, st = -1;
	pthread_t t;
	pid_t pid;

	check_errno("sandbox: clone(CLONE_NEWUSER) refused",
		    try_clone(CLONE_NEWUSER), -EPERM);
	/* With a user namespace, the others need no privilege at all. */
	check_errno("sandbox: clone(CLONE_NEWUSER | CLONE_NEWNET) refused",
		    try_clone(CLONE_NEWUSER | CLONE_NEWNET), -EPERM);
	check_errno(
		"sandbox: clone(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) refused",
		try_clone(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID), -EPERM);
	check_errno("sandbox: clone3(CLONE_NEWUSER) is ENOSYS",
		    try_clone3(CLONE_NEWUSER), -ENOSYS);
	check_errno("sandbox: clone3 without flags is ENOSYS", try_clone3(0),
		    -ENOSYS);
	check_errno("sandbox: unshare(CLONE_NEWUSER) refused",
		    unshare(CLONE_NEWUSER) ? -errno : 0, -EPERM);
	check_errno("sandbox: bpf() refused",
		    syscall(SYS_bpf, 0, NULL, 0) ? -errno : 0, -EPERM);
	check_errno("sandbox: plain clone (fork) allowed", try_clone(0), 0);

	SG_CHECK("sandbox: pthread_create works (glibc falls back to clone)",
		 !pthread_create(&t, NULL, thread_fn, &v) &&
			 !pthread_join(t, NULL) && v == 42,
		 "thread ran: %d", v);
	pid = fork();
	if (pid == 0)
		_exit(7);
	SG_CHECK("sandbox: fork works",
		 pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
			 WEXITSTATUS(st) == 7,
		 "pid %d status %#x", (int)pid, st);
	SG_CHECK("sandbox: runs as uid and gid 65534",
		 getuid() == 65534 && geteuid() == 65534 && getgid() == 65534,
		 "uid %d euid %d gid %d", (int)getuid(), (int)geteuid(),
		 (int)getgid());
}

int main(void)
{
	int st = -1;
	pid_t pid;

	if (geteuid() != 0) {
		printf("SKIP: sandbox: needs root (it changes uid)\n");
		return 0;
	}
	/* Before the sandbox, for contrast: root may make a user namespace
	 * (so the refusal below is the filter's doing, not the kernel's). */
	check_errno("sandbox: before it, clone(CLONE_NEWUSER) works",
		    try_clone(CLONE_NEWUSER), 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char err[256];
		int e = sg_sandbox_enter(65534, 65534, err, sizeof(err));

		SG_CHECK("sandbox: entered as 65534", !e, "%s", err);
		if (!e)
			sandboxed_checks();
		fflush(stdout);
		_exit(sg_test_failed ? 1 : 0);
	}
	SG_CHECK("sandbox: child finished, not killed",
		 pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st),
		 "status %#x", st);
	if (WIFEXITED(st) && WEXITSTATUS(st))
		sg_test_failed++; /* its cases said FAIL already */
	return sg_test_exit();
}
