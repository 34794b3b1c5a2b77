// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* See sysctlsave.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "pins.h"
#include "sysctlsave.h"
#include "util.h"

int sg_records_lock(const char *root)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) && errno == EINTR)
		;
	return fd;
}

void sg_records_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

__u64 sg_netns_id(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (__u64)st.st_ino;
}

static int info_write(const char *root, const char *ifname,
		      const struct sg_info *info)
{
	int fd = sg_pin_fd(root, ifname, SG_MAP_INFO), err = 0;
	__u32 zero = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_update_elem(fd, &zero, info, 0))
		err = -errno;
	close(fd);
	return err;
}

/* The record of @ifname under @root, if it is of this namespace. */
static int read_ns(const char *root, const char *ifname, __u64 netns,
		   struct sg_info *out)
{
	if (sg_info_read(root, ifname, out))
		return -1;
	return out->netns == netns ? 0 : -1;
}

struct scan {
	const char *root, *self;
	__u64 netns;
	struct sg_info *info;
	__u32 held;
	char live[32];
};

static int adopt_one(const char *ifname, void *ctx)
{
	struct scan *s = ctx;
	struct sg_info o;

	if (!strcmp(ifname, s->self) || read_ns(s->root, ifname, s->netns, &o))
		return 0;
	if (!o.sysctl_saved)
		return 0;
	if (o.pid && sg_daemon_alive(o.pid)) {
		s->held |= o.sysctl_saved;
		return 0;
	}
	/* A dead daemon's originals: ours to put back some day. */
	if ((o.sysctl_saved & SG_SYSCTL_COOKIES) &&
	    !(s->info->sysctl_saved & SG_SYSCTL_COOKIES)) {
		s->info->orig_syncookies = o.orig_syncookies;
		s->info->sysctl_saved |= SG_SYSCTL_COOKIES;
	}
	if ((o.sysctl_saved & SG_SYSCTL_TS) &&
	    !(s->info->sysctl_saved & SG_SYSCTL_TS)) {
		s->info->orig_timestamps = o.orig_timestamps;
		s->info->sysctl_saved |= SG_SYSCTL_TS;
	}
	o.sysctl_saved = 0;
	info_write(s->root, ifname, &o);
	pr_debug("synguard: took over the saved sysctls of %s's dead daemon\n",
		 ifname);
	return 0;
}

__u32 sg_sysctl_adopt(const char *root, const char *ifname,
		      struct sg_info *info)
{
	struct scan s = { .root = root, .self = ifname, .info = info };

	s.netns = info->netns;
	sg_for_each_iface(root, adopt_one, &s);
	return s.held | info->sysctl_saved;
}

static int find_live(const char *ifname, void *ctx)
{
	struct scan *s = ctx;
	struct sg_info o;

	if (!strcmp(ifname, s->self) || read_ns(s->root, ifname, s->netns, &o))
		return 0;
	if (!o.pid || !sg_daemon_alive(o.pid) || (__u32)getpid() == o.pid)
		return 0;
	snprintf(s->live, sizeof(s->live), "%s", ifname);
	return -1; /* stop: one is enough */
}

static void put_back(const char *name, long val)
{
	int err = sg_sysctl_write(name, val);

	if (err)
		pr_warn("synguard: couldn't restore %s to %ld: %s\n", name, val,
			strerror(-err));
	else
		pr_info("synguard: restored %s=%ld\n", name, val);
}

void sg_sysctl_release(const char *root, const char *ifname,
		       struct sg_info *info)
{
	struct scan s = { .root = root, .self = ifname, .info = info };
	struct sg_info o;

	if (!info->sysctl_saved)
		return;
	s.netns = info->netns;
	sg_for_each_iface(root, find_live, &s);
	if (s.live[0] && !read_ns(root, s.live, s.netns, &o)) {
		/* Another synguard of the namespace still needs them. */
		if ((info->sysctl_saved & SG_SYSCTL_COOKIES) &&
		    !(o.sysctl_saved & SG_SYSCTL_COOKIES))
			o.orig_syncookies = info->orig_syncookies;
		if ((info->sysctl_saved & SG_SYSCTL_TS) &&
		    !(o.sysctl_saved & SG_SYSCTL_TS))
			o.orig_timestamps = info->orig_timestamps;
		o.sysctl_saved |= info->sysctl_saved;
		if (!info_write(root, s.live, &o)) {
			pr_info("synguard: sysctls left as they are: synguard "
				"on %s still runs and will restore them\n",
				s.live);
			info->sysctl_saved = 0;
			return;
		}
	}
	if (info->sysctl_saved & SG_SYSCTL_COOKIES)
		put_back("net/ipv4/tcp_syncookies", info->orig_syncookies);
	if (info->sysctl_saved & SG_SYSCTL_TS)
		put_back("net/ipv4/tcp_timestamps", info->orig_timestamps);
	info->sysctl_saved = 0;
}
