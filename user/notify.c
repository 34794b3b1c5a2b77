// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * sd_notify without libsystemd (see notify.h). The protocol: one datagram
 * of "VAR=VALUE" lines to the AF_UNIX socket in $NOTIFY_SOCKET; a name
 * starting with '@' is in the abstract namespace (the '@' becomes a NUL
 * byte). The service manager learns the sender from the socket's
 * credentials, so nothing else is needed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

int sg_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len, salen;
	int fd, err = 0;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path)) {
		pr_debug("synguard: NOTIFY_SOCKET '%s' is not a socket path\n",
			 path);
		return -EINVAL;
	}
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	/* An abstract name is exactly its bytes: no trailing NUL counted. */
	salen = offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/');
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (struct sockaddr *)&sa, salen) < 0) {
		err = -errno;
		pr_debug("synguard: couldn't notify %s: %s\n", path,
			 strerror(errno));
	}
	close(fd);
	return err;
}

int sg_notifyf(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return sg_notify(buf);
}

unsigned long long sg_watchdog_usec(void)
{
	const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v, p;
	char end;

	if (!us || sscanf(us, "%llu%c", &v, &end) != 1)
		return 0;
	/* Meant for another process (a shell that started us, say). */
	if (pid && (sscanf(pid, "%llu%c", &p, &end) != 1 ||
		    p != (unsigned long long)getpid()))
		return 0;
	return v;
}

static unsigned long long now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

long sg_watchdog_tick(void)
{
	static unsigned long long interval = ~0ULL, last;
	unsigned long long now, half;

	if (interval == ~0ULL)
		interval = sg_watchdog_usec();
	if (!interval)
		return -1;
	half = interval / 2;
	now = now_usec();
	if (!last || now - last >= half) {
		if (sg_notify("WATCHDOG=1"))
			return -1; /* not sent: again at the loop's next wake */
		last = now;
	}
	/* Rounded up: waking a little late is harmless, a little early
	 * would cost a second wake-up. */
	return (long)((last + half - now + 999) / 1000);
}
