// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Pin access for the commands that talk to a running daemon through the
 * maps it pinned under <pin root>/<ifname>/; see pins.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "pins.h"

int sg_pin_fd(const char *root, const char *ifname, const char *map)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s/%s", root, ifname, map) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int sg_pin_open(const char *cmd, const char *root, const char *ifname,
		const char *map)
{
	char dir[PATH_MAX];
	struct stat st;
	int fd = sg_pin_fd(root, ifname, map);

	if (fd >= 0)
		return fd;
	snprintf(dir, sizeof(dir), "%s/%s", root, ifname);
	if (fd == -ENOENT && (stat(dir, &st) || !S_ISDIR(st.st_mode)))
		pr_warn("synguard %s: synguard has no pins for %s under %s "
			"(not running there?)\n",
			cmd, ifname, root);
	else if (fd == -ENOENT)
		pr_warn("synguard %s: no pinned map %s for %s under %s (pins "
			"of an older synguard? restart 'synguard run %s')\n",
			cmd, map, ifname, root, ifname);
	else
		pr_warn("synguard %s: couldn't open pinned map %s/%s: %s%s\n",
			cmd, dir, map, strerror(-fd),
			fd == -EPERM || fd == -EACCES ? " (run as root)" : "");
	return fd;
}

static int is_pin_dir(const struct dirent *de)
{
	return de->d_name[0] != '.' &&
	       (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN);
}

int sg_for_each_iface(const char *root,
		      int (*fn)(const char *ifname, void *ctx), void *ctx)
{
	struct dirent **list;
	int n, i, ret = 0, visited = 0;

	n = scandir(root, &list, is_pin_dir, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	for (i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		char path[PATH_MAX];
		struct stat st;

		/* A pin directory holds at least the config pin. */
		snprintf(path, sizeof(path), "%s/%s/%s", root, name,
			 SG_MAP_CONFIG);
		if (ret >= 0 && sg_ifname_valid(name) && !stat(path, &st)) {
			ret = fn(name, ctx);
			visited++;
		}
		free(list[i]);
	}
	free(list);
	return ret < 0 ? ret : visited;
}

int sg_ifname_valid(const char *s)
{
	return s && *s && strlen(s) < IF_NAMESIZE && !strchr(s, '/') &&
	       strcmp(s, ".") && strcmp(s, "..");
}

static int read_elem(const char *root, const char *ifname, const char *map,
		     void *val)
{
	__u32 key = 0;
	int fd = sg_pin_fd(root, ifname, map), err = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &key, val))
		err = -errno;
	close(fd);
	return err;
}

int sg_config_read(const char *root, const char *ifname, struct sg_config *cfg)
{
	return read_elem(root, ifname, SG_MAP_CONFIG, cfg);
}

int sg_config_write(const char *root, const char *ifname,
		    const struct sg_config *cfg)
{
	__u32 key = 0;
	int fd = sg_pin_fd(root, ifname, SG_MAP_CONFIG), err = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_update_elem(fd, &key, cfg, BPF_EXIST))
		err = -errno;
	close(fd);
	return err;
}

int sg_epoch_read(const char *root, const char *ifname, __u32 *epoch)
{
	struct sg_epoch_state es;
	int err = read_elem(root, ifname, SG_MAP_EPOCH, &es);

	if (!err)
		*epoch = es.epoch;
	return err;
}

int sg_info_read(const char *root, const char *ifname, struct sg_info *info)
{
	return read_elem(root, ifname, SG_MAP_INFO, info);
}

/* Read /proc/<pid>/<what> into buf (NUL-terminated); bytes read or -errno. */
static ssize_t proc_read(__u32 pid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/%s", pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

int sg_daemon_alive(__u32 pid)
{
	char buf[4096];
	ssize_t n, off;

	if (!pid || pid > INT_MAX || (kill(pid, 0) && errno != EPERM))
		return 0;
	n = proc_read(pid, "comm", buf, sizeof(buf));
	if (n <= 0)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, "synguard"))
		return 0;
	n = proc_read(pid, "cmdline", buf, sizeof(buf));
	for (off = 0; n > 0 && off < n; off += strlen(buf + off) + 1)
		if (!strcmp(buf + off, "run"))
			return 1;
	return 0;
}

void sg_time_str(__u64 secs, char *buf, size_t len)
{
	time_t t = secs;
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M:%S %Z", &tm))
		snprintf(buf, len, "@%llu", (unsigned long long)secs);
}

void sg_age_str(__u64 secs, char *buf, size_t len)
{
	__u64 now = time(NULL), d = now > secs ? now - secs : 0;

	if (d >= 86400)
		snprintf(buf, len, "%llud%02lluh", d / 86400, d % 86400 / 3600);
	else if (d >= 3600)
		snprintf(buf, len, "%lluh%02llum", d / 3600, d % 3600 / 60);
	else if (d >= 60)
		snprintf(buf, len, "%llum%02llus", d / 60, d % 60);
	else
		snprintf(buf, len, "%llus", d);
}

void sg_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}
