// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Loader: skeleton open/load, XDP through libxdp (as xdp-bench does, the
 * skeleton's bpf_object is handed to libxdp, which loads it), TC through
 * libbpf's bpf_tc_* API, and map pins under <pin root>/<ifname>/ so that
 * `stats`, other commands and a restarted daemon find the same maps.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "loader.h"
#include "log.h"
#include "pins.h"
#include "synguard.skel.h"
#include "util.h"

static const char *const sg_map_names[] = {
	SG_MAP_CONFIG, SG_MAP_PORTS,  SG_MAP_KEYS,    SG_MAP_EPOCH,
	SG_MAP_STATS,  SG_MAP_RECENT, SG_MAP_ALLOW4,  SG_MAP_ALLOW6,
	SG_MAP_DENY4,  SG_MAP_DENY6,  SG_MAP_SOURCES, SG_MAP_INFO,
	SG_MAP_LPORTS, SG_MAP_LOCAL4, SG_MAP_LOCAL6,  SG_MAP_BADCK,
	SG_MAP_HANDED, SG_MAP_FLAGS,  SG_MAP_ACKMIX,  SG_MAP_HSHAKE,
};

const char *sg_mode_name(enum xdp_attach_mode mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_SKB:
		return "generic";
	case XDP_MODE_HW:
		return "offload";
	default:
		return "none";
	}
}

const char *sg_libxdp_name(__u32 how)
{
	switch (how) {
	case SG_LIBXDP_DISPATCHER:
		return "libxdp dispatcher";
	case SG_LIBXDP_SINGLE:
		return "single-program: no dispatcher support in this kernel";
	case SG_LIBXDP_REFUSED:
		return "single-program: the libxdp dispatcher refused synguard";
	default:
		return "unknown";
	}
}

const char *sg_pin_root(const char *opt)
{
	const char *env = getenv(SG_PIN_ROOT_ENV);

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return SG_PIN_ROOT_DEFAULT;
}

/* The nearest existing ancestor of @path (or @path itself). */
static void existing_ancestor(const char *path, char *out, size_t len)
{
	struct stat st;
	char *slash;

	snprintf(out, len, "%s", path);
	while (stat(out, &st) && (slash = strrchr(out, '/')) && slash != out)
		*slash = '\0';
	if (stat(out, &st))
		snprintf(out, len, "/");
}

int sg_check_bpffs(const char *root)
{
	char anc[PATH_MAX];
	struct statfs sfs;

	existing_ancestor(root, anc, sizeof(anc));
	if (statfs(anc, &sfs)) {
		int err = -errno;

		pr_warn("synguard: cannot stat %s: %s\n", anc, strerror(-err));
		return err;
	}
	if (sfs.f_type == BPF_FS_MAGIC)
		return 0;
	pr_warn("synguard: pin root %s is not on a BPF filesystem (%s is not "
		"bpffs; 'ip netns exec' remounts /sys); mount one, e.g. "
		"'mount -t bpf bpf /run/synguard-bpffs', and pass --pin-root "
		"/run/synguard-bpffs/synguard or set %s\n",
		root, anc, SG_PIN_ROOT_ENV);
	return -ENOTSUP;
}

static int is_bpffs(const char *path)
{
	struct statfs sfs;

	return !statfs(path, &sfs) && sfs.f_type == BPF_FS_MAGIC;
}

void sg_libxdp_bpffs(const char *root)
{
	char dir[PATH_MAX], *slash;

	if (getenv(XDP_BPFFS_ENVVAR) || is_bpffs("/sys/fs/bpf"))
		return;
	/* libxdp keeps its own pins (dispatcher state) on a bpffs too: point
	 * it at the one holding our pin root. */
	existing_ancestor(root, dir, sizeof(dir));
	while (is_bpffs(dir) && (slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if (!is_bpffs(dir)) {
			*slash = '/';
			break;
		}
	}
	if (is_bpffs(dir)) {
		setenv(XDP_BPFFS_ENVVAR, dir, 0);
		pr_debug("synguard: %s=%s\n", XDP_BPFFS_ENVVAR, dir);
	}
}

int sg_have_reqsk_kfunc(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int id;

	if (!btf)
		return 0;
	id = btf__find_by_name_kind(btf, "bpf_sk_assign_tcp_reqsk",
				    BTF_KIND_FUNC);
	btf__free(btf);
	return id > 0;
}

const char *sg_missing_helper(void)
{
	/* The newest helpers the XDP program calls, newest first (every
	 * other one it calls is older than these). Linux 5.11 to 5.14 have
	 * them but are not tested; the verifier of 5.10 also refuses the
	 * program's global functions (pointer arguments). */
	static const struct {
		enum bpf_func_id id;
		const char *name;
	} need[] = {
		{ BPF_FUNC_ktime_get_coarse_ns,
		  "bpf_ktime_get_coarse_ns (Linux 5.11)" },
		{ BPF_FUNC_tcp_gen_syncookie,
		  "bpf_tcp_gen_syncookie (Linux 5.3)" },
	};
	size_t i;

	/* libbpf tells a helper the verifier does not know (0) from one it
	 * knows but refuses the probe's arguments for (1); the probe load
	 * needs CAP_BPF, and a failed probe proves nothing. */
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP, need[i].id,
					     NULL))
			return need[i].name;
	return NULL;
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * A map pinned by an older synguard whose layout has changed since (type,
 * sizes, flags) cannot be reused, and libbpf would refuse the whole load:
 * such a pin goes, with a note, and the map starts afresh. Only called
 * once the interface is known to be free (no live daemon behind the pins).
 */
static int pin_compatible(struct bpf_map *map)
{
	const char *path = bpf_map__pin_path(map);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd, err = 0;

	if (!path)
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0; /* not pinned: created at load */
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
	} else if (info.type != bpf_map__type(map) ||
		   info.key_size != bpf_map__key_size(map) ||
		   info.value_size != bpf_map__value_size(map) ||
		   info.max_entries != bpf_map__max_entries(map) ||
		   info.map_flags != bpf_map__map_flags(map)) {
		pr_info("synguard: %s was pinned by another synguard version "
			"with another layout; replacing it (its contents start "
			"over)\n",
			path);
		if (unlink(path))
			err = -errno;
	}
	close(fd);
	if (err)
		pr_warn("synguard: couldn't check pinned map %s: %s\n", path,
			strerror(-err));
	return err;
}

/*
 * Open the skeleton for l->engine with every map pinned under l->pin_dir.
 * Also how an attach attempt starts over: a bpf_object whose load failed
 * cannot be loaded again.
 */
static int open_skel(struct sg_loader *l)
{
	char path[PATH_MAX + 64];
	struct bpf_map *map;
	int err;

	synguard_bpf__destroy(l->skel);
	l->skel = synguard_bpf__open();
	if (!l->skel) {
		err = -errno;
		pr_warn("synguard: couldn't open the BPF object: %s\n",
			strerror(-err));
		return err;
	}
	l->skel->rodata->sg_engine = l->engine;
	/* The kernel engine needs no TC program (and older kernels lack the
	 * kfunc it calls, which would fail the whole load). */
	if (l->engine == SG_ENGINE_KERNEL)
		bpf_program__set_autoload(l->skel->progs.synguard_tc, false);

	bpf_object__for_each_map(map, l->skel->obj)
	{
		const char *name = bpf_map__name(map);

		if (strncmp(name, "sg_", 3))
			continue; /* .rodata and friends stay private */
		snprintf(path, sizeof(path), "%s/%s", l->pin_dir, name);
		err = bpf_map__set_pin_path(map, path);
		if (err) {
			pr_warn("synguard: couldn't set pin path %s: %s\n",
				path, strerror(-err));
			return err;
		}
	}
	return 0;
}

int sg_loader_open(struct sg_loader *l, const char *pin_root,
		   const char *ifname, enum sg_engine engine)
{
	int err;

	memset(l, 0, sizeof(*l));
	if (strlen(pin_root) + IF_NAMESIZE + 2 > sizeof(l->pin_dir)) {
		pr_warn("synguard: pin root path too long\n");
		return -ENAMETOOLONG;
	}
	snprintf(l->ifname, sizeof(l->ifname), "%s", ifname);
	l->ifindex = if_nametoindex(ifname);
	if (!l->ifindex) {
		err = -errno;
		pr_warn("synguard: no interface '%s' in this network namespace: "
			"%s\n",
			ifname, strerror(-err));
		return err;
	}
	l->engine = engine;
	snprintf(l->pin_dir, sizeof(l->pin_dir), "%s/%s", pin_root, ifname);
	snprintf(l->pin_root, sizeof(l->pin_root), "%s", pin_root);
	return open_skel(l);
}

/*
 * What holds the XDP hook of @ifindex: nothing, synguard, a libxdp
 * dispatcher without synguard (which synguard can join), or another
 * program attached directly (which synguard never replaces).
 */
enum owner { OWNER_NONE, OWNER_US, OWNER_DISPATCHER, OWNER_OTHER };

static enum owner xdp_owner(int ifindex, char *name, size_t len, __u32 *id,
			    enum xdp_attach_mode *mode)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	enum owner o = OWNER_NONE;

	if (libxdp_get_error(mp) || !mp)
		return OWNER_NONE;
	p = xdp_multiprog__main_prog(mp);
	if (!p)
		p = xdp_multiprog__hw_prog(mp);
	*mode = xdp_multiprog__attach_mode(mp);
	if (p && xdp_multiprog__is_legacy(mp)) {
		snprintf(name, len, "%s", xdp_program__name(p));
		*id = xdp_program__id(p);
		o = strcmp(name, "synguard_xdp") ? OWNER_OTHER : OWNER_US;
	} else if (p) {
		/* A libxdp dispatcher: ours if one of its programs is. */
		struct xdp_program *q = NULL;
		size_t off;

		o = OWNER_DISPATCHER;
		*id = xdp_program__id(p);
		off = snprintf(name, len, "libxdp dispatcher with");
		while ((q = xdp_multiprog__next_prog(q, mp))) {
			if (!strcmp(xdp_program__name(q), "synguard_xdp")) {
				o = OWNER_US;
				*id = xdp_program__id(q);
			}
			if (off < len)
				off += snprintf(name + off, len - off, " %s",
						xdp_program__name(q));
		}
	}
	xdp_multiprog__close(mp);
	return o;
}

/* The first line of a captured verifier or libxdp reason, for messages. */
static void first_line(const char *s, char *buf, size_t len)
{
	size_t n = s ? strcspn(s, "\n") : 0;

	snprintf(buf, len, "%.*s", (int)n, s ? s : "");
}

/*
 * One attempt to load and attach in @mode: through libxdp (which uses its
 * dispatcher where the kernel supports one, or joins the dispatcher that
 * is there), or with @direct, as the interface's only program
 * (LIBXDP_SKIP_DISPATCHER). Every attempt after the first starts from a
 * fresh object.
 */
static int xdp_try(struct sg_loader *l, enum xdp_attach_mode mode, int direct)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xopts,
			    .prog_name = "synguard_xdp");
	const char *env = getenv("LIBXDP_SKIP_DISPATCHER");
	char *saved = env ? strdup(env) : NULL;
	int err;

	if (l->attempts++ && (err = open_skel(l)))
		goto out;
	xopts.obj = l->skel->obj;
	l->xdp = xdp_program__create(&xopts);
	err = libxdp_get_error(l->xdp);
	if (err) {
		l->xdp = NULL;
		goto out;
	}
	if (direct)
		setenv("LIBXDP_SKIP_DISPATCHER", "1", 1);
	err = xdp_program__attach(l->xdp, l->ifindex, mode, 0);
	if (direct) {
		if (saved)
			setenv("LIBXDP_SKIP_DISPATCHER", saved, 1);
		else
			unsetenv("LIBXDP_SKIP_DISPATCHER");
	}
	if (err) {
		xdp_program__close(l->xdp);
		l->xdp = NULL;
	}
out:
	free(saved);
	return err;
}

/*
 * Attach XDP in @mode (UNSPEC: native, else generic). Through libxdp's
 * dispatcher where possible, so that other libxdp programs can share the
 * interface; where the kernel refuses synguard as a dispatcher extension
 * (Linux 6.12+ refuses extensions that change packet data in slots of
 * dispatchers that do not, which libxdp 1.3's are), directly in the same
 * mode. Joining a dispatcher that is already there has no such fallback:
 * attaching directly would replace the programs in it.
 */
static int xdp_attach(struct sg_loader *l, enum xdp_attach_mode mode,
		      int joining, const char *holder)
{
	enum xdp_attach_mode modes[2] = { mode, XDP_MODE_SKB };
	int n = mode == XDP_MODE_UNSPEC ? 2 : 1, i, err = -EINVAL;
	char why[256] = "";

	if (mode == XDP_MODE_UNSPEC)
		modes[0] = XDP_MODE_NATIVE;
	for (i = 0; i < n; i++) {
		sg_log_mute(1);
		err = xdp_try(l, modes[i], 0);
		first_line(sg_log_captured("Extension program"), why,
			   sizeof(why));
		sg_log_mute(0);
		if (!err) {
			l->libxdp = SG_LIBXDP_DISPATCHER;
			break;
		}
		if (joining) {
			pr_warn("synguard: couldn't add synguard to the %s on %s "
				"(%s XDP): %s%s%s; synguard will not replace "
				"it\n",
				holder, l->ifname, sg_mode_name(modes[i]),
				strerror(-err), *why ? ": " : "", why);
			if (*why)
				pr_warn("synguard: this libxdp's dispatcher "
					"predates the kernel's check on "
					"programs that change packet data; "
					"remove the other programs or use a "
					"libxdp with that support\n");
			return err;
		}
		sg_log_mute(1);
		err = xdp_try(l, modes[i], 1);
		sg_log_mute(0);
		if (!err) {
			l->libxdp = *why ? SG_LIBXDP_REFUSED : SG_LIBXDP_SINGLE;
			if (*why)
				pr_info("synguard: libxdp's dispatcher refused "
					"synguard on %s (kernel: \"%s\"); "
					"attached directly (single-program "
					"mode)\n",
					l->ifname, why);
			break;
		}
		if (i + 1 < n)
			pr_info("synguard: %s XDP on %s failed (%s), trying "
				"%s\n",
				sg_mode_name(modes[i]), l->ifname,
				strerror(-err), sg_mode_name(modes[i + 1]));
	}
	if (err) {
		const char *log = sg_log_captured(NULL);

		pr_warn("synguard: couldn't attach XDP to %s: %s\n", l->ifname,
			strerror(-err));
		if (log && *log && sg_log_level < SG_LOG_DEBUG)
			pr_warn("synguard: last library messages:\n%s", log);
		return err;
	}
	l->xdp_attached = 1;
	l->mode = xdp_program__is_attached(l->xdp, l->ifindex);
	if (l->libxdp == SG_LIBXDP_DISPATCHER) {
		/* libxdp falls back to one program itself where the kernel
		 * has no dispatcher support at all. */
		struct xdp_multiprog *mp =
			xdp_multiprog__get_from_ifindex(l->ifindex);

		if (!libxdp_get_error(mp) && mp) {
			if (xdp_multiprog__is_legacy(mp))
				l->libxdp = SG_LIBXDP_SINGLE;
			xdp_multiprog__close(mp);
		}
	}
	return 0;
}

int sg_loader_attach(struct sg_loader *l, enum xdp_attach_mode mode)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = l->ifindex,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tco, .handle = SG_TC_HANDLE,
			    .priority = SG_TC_PRIO);
	enum xdp_attach_mode held = XDP_MODE_UNSPEC;
	char name[256] = "";
	enum owner owner;
	__u32 id = 0;
	int err;

	sg_log_mute(1); /* an empty hook is the normal answer */
	owner = xdp_owner(l->ifindex, name, sizeof(name), &id, &held);
	sg_log_mute(0);
	switch (owner) {
	case OWNER_US:
		pr_warn("synguard: synguard is already attached to %s (XDP "
			"program id %u); if no 'synguard run' owns it any more, "
			"remove it with 'synguard detach %s'\n",
			l->ifname, id, l->ifname);
		return -EBUSY;
	case OWNER_OTHER:
		pr_warn("synguard: another XDP program (%s, id %u) is attached "
			"to %s; synguard will not replace it\n",
			name, id, l->ifname);
		return -EBUSY;
	case OWNER_DISPATCHER:
		if (mode != XDP_MODE_UNSPEC && mode != held) {
			pr_warn("synguard: the %s on %s runs in %s mode; "
				"synguard can only join it in that mode (not "
				"--mode %s)\n",
				name, l->ifname, sg_mode_name(held),
				sg_mode_name(mode));
			return -EBUSY;
		}
		pr_info("synguard: joining the %s on %s\n", name, l->ifname);
		mode = held;
		break;
	case OWNER_NONE:
		break;
	}

	/* Only now, with the interface ours to take, touch the pin root. */
	l->pin_dir_created = access(l->pin_dir, F_OK) != 0;
	err = mkdir_p(l->pin_dir);
	if (err) {
		pr_warn("synguard: couldn't create pin directory %s: %s\n",
			l->pin_dir, strerror(-err));
		return err;
	}

	{
		struct bpf_map *map;

		sg_log_mute(1); /* absent pins are the normal answer */
		bpf_object__for_each_map(map, l->skel->obj)
		{
			err = pin_compatible(map);
			if (err)
				break;
		}
		sg_log_mute(0);
		if (err)
			return err;
	}
	err = xdp_attach(l, mode, owner == OWNER_DISPATCHER, name);
	if (err)
		return err;

	if (l->engine != SG_ENGINE_OWN)
		return 0;

	err = sg_tc_attach_dev(l->ifindex,
			       bpf_program__fd(l->skel->progs.synguard_tc),
			       &l->tc_hook_created);
	if (err) {
		pr_warn("synguard: couldn't attach the TC ingress program to "
			"%s: %s%s\n",
			l->ifname, strerror(-err),
			err == -EEXIST ? " (a filter with synguard's handle "
					 "exists: 'synguard detach')" :
					 "");
		return err;
	}
	l->tc_attached = 1;
	return 0;
}

/*
 * Filters left on @ifindex's clsact (ingress and egress), by a netlink
 * dump; -errno when it cannot be told.
 */
static int tc_filters_left(int ifindex)
{
	static const __u32 parents[] = {
		TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
		TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS),
	};
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req;
	char buf[8192];
	int fd, n = 0, err = 0;
	size_t i;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	for (i = 0; i < ARRAY_SIZE(parents) && !err; i++) {
		int done = 0;

		memset(&req, 0, sizeof(req));
		req.nh.nlmsg_len = sizeof(req);
		req.nh.nlmsg_type = RTM_GETTFILTER;
		req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		req.nh.nlmsg_seq = i + 1;
		req.tc.tcm_family = AF_UNSPEC;
		req.tc.tcm_ifindex = ifindex;
		req.tc.tcm_parent = parents[i];
		if (send(fd, &req, sizeof(req), 0) < 0) {
			err = -errno;
			break;
		}
		while (!done && !err) {
			ssize_t len = recv(fd, buf, sizeof(buf), 0);
			struct nlmsghdr *nh = (struct nlmsghdr *)buf;

			if (len < 0) {
				err = -errno;
				break;
			}
			for (; NLMSG_OK(nh, (size_t)len);
			     nh = NLMSG_NEXT(nh, len)) {
				if (nh->nlmsg_type == NLMSG_DONE) {
					done = 1;
					break;
				}
				if (nh->nlmsg_type == NLMSG_ERROR) {
					struct nlmsgerr *e = NLMSG_DATA(nh);

					err = e->error;
					break;
				}
				if (nh->nlmsg_type == RTM_NEWTFILTER)
					n++;
			}
		}
	}
	close(fd);
	return err ? err : n;
}

int sg_tc_attach_dev(int ifindex, int prog_fd, int *hook_created)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tco, .handle = SG_TC_HANDLE,
			    .priority = SG_TC_PRIO, .prog_fd = prog_fd);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	*hook_created = !err;
	err = bpf_tc_attach(&hook, &tco);
	if (err && *hook_created) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
		*hook_created = 0;
	}
	return err;
}

/*
 * Remove our filter; and the clsact qdisc when we created it and no other
 * filter lives on it now (other tools may have added theirs since).
 */
int sg_tc_detach_dev(int ifindex, int hook_created)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tco, .handle = SG_TC_HANDLE,
			    .priority = SG_TC_PRIO);
	int err, left;

	err = bpf_tc_detach(&hook, &tco);
	if (hook_created) {
		left = tc_filters_left(ifindex);
		if (left == 0) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		} else if (left > 0) {
			pr_info("synguard: leaving the clsact qdisc on ifindex "
				"%d: %d filter%s of other tools on it\n",
				ifindex, left, left == 1 ? "" : "s");
		}
	}
	return err;
}

static int tc_detach(int ifindex, int destroy_hook)
{
	return sg_tc_detach_dev(ifindex, destroy_hook);
}

/* Is @name a VLAN device (802.1Q or 802.1ad)? */
static int is_vlan(const char *name)
{
	char path[128], line[128];
	FILE *f;
	int vlan = 0;

	snprintf(path, sizeof(path), "/sys/class/net/%s/uevent", name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strcmp(line, "DEVTYPE=vlan\n"))
			vlan = 1;
	fclose(f);
	return vlan;
}

/* Collect the VLAN devices stacked on @name, recursively, into @out. */
static void vlan_uppers(const char *name, char (*out)[IF_NAMESIZE], int *n,
			int max, int depth)
{
	char path[128];
	struct dirent *de;
	DIR *d;

	if (depth > 4)
		return;
	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && *n < max) {
		const char *up;

		if (strncmp(de->d_name, "upper_", 6))
			continue;
		up = de->d_name + 6;
		if (!*up || strlen(up) >= IF_NAMESIZE || !is_vlan(up))
			continue;
		snprintf(out[(*n)++], IF_NAMESIZE, "%s", up);
		vlan_uppers(up, out, n, max, depth + 1);
	}
	closedir(d);
}

int sg_loader_sync_uppers(struct sg_loader *l)
{
	char names[SG_UPPERS_MAX][IF_NAMESIZE];
	int n = 0, i, j, err, fd;

	if (!l->tc_attached)
		return 0;
	fd = bpf_program__fd(l->skel->progs.synguard_tc);
	vlan_uppers(l->ifname, names, &n, SG_UPPERS_MAX, 0);
	/* Forget devices that went (their filters went with them); a
	 * renamed one is the same device. */
	for (i = 0; i < l->nuppers;) {
		for (j = 0; j < n; j++)
			if (if_nametoindex(names[j]) ==
			    (unsigned int)l->uppers[i].ifindex)
				break;
		if (j < n) {
			if (strcmp(names[j], l->uppers[i].name))
				memcpy(l->uppers[i].name, names[j],
				       sizeof(l->uppers[i].name));
			i++;
			continue;
		}
		pr_info("synguard: VLAN device %s above %s is gone\n",
			l->uppers[i].name, l->ifname);
		l->uppers[i] = l->uppers[--l->nuppers];
	}
	for (j = 0; j < n; j++) {
		struct sg_upper *u;
		int ifindex = if_nametoindex(names[j]);

		for (i = 0; i < l->nuppers; i++)
			if (l->uppers[i].ifindex == ifindex)
				break;
		if (i < l->nuppers || !ifindex)
			continue;
		u = &l->uppers[l->nuppers];
		for (i = 0; i < l->nfailed; i++)
			if (l->failed[i] == ifindex)
				break;
		if (i < l->nfailed)
			continue; /* refused before: said so once */
		err = sg_tc_attach_dev(ifindex, fd, &u->hook_created);
		if (err) {
			pr_warn("synguard: couldn't attach the TC hand-off to "
				"VLAN device %s above %s: %s%s\n",
				names[j], l->ifname, strerror(-err),
				err == -EEXIST ?
					" (a synguard filter is there: one "
					"running on that device, or left by "
					"a crash: 'synguard detach' of that "
					"device or of this one removes it)" :
					"");
			if (l->nfailed < SG_UPPERS_MAX)
				l->failed[l->nfailed++] = ifindex;
			continue;
		}
		u->ifindex = ifindex;
		memcpy(u->name, names[j], sizeof(u->name));
		u->name[sizeof(u->name) - 1] = '\0';
		l->nuppers++;
		pr_info("synguard: TC hand-off on VLAN device %s above %s\n",
			names[j], l->ifname);
	}
	return l->nuppers;
}

void sg_loader_close(struct sg_loader *l)
{
	int err, i;

	for (i = 0; i < l->nuppers; i++)
		sg_tc_detach_dev(l->uppers[i].ifindex,
				 l->uppers[i].hook_created);
	l->nuppers = 0;
	if (l->tc_attached) {
		err = tc_detach(l->ifindex, l->tc_hook_created);
		if (err)
			pr_warn("synguard: couldn't detach TC from %s: %s\n",
				l->ifname, strerror(-err));
	}
	if (l->xdp_attached) {
		err = xdp_program__detach(l->xdp, l->ifindex, l->mode, 0);
		if (err)
			pr_warn("synguard: couldn't detach XDP from %s: %s\n",
				l->ifname, strerror(-err));
	}
	xdp_program__close(l->xdp);
	synguard_bpf__destroy(l->skel);
	l->xdp = NULL;
	l->skel = NULL;
	l->xdp_attached = l->tc_attached = 0;
}

/*
 * The TC filters a daemon on @ifname put on the VLAN devices above it
 * (the daemon removes them itself when it stops; after a crash, detach
 * does). A VLAN device with a synguard of its own running keeps its
 * filter: it is that daemon's. The clsact qdiscs stay (whether the dead
 * daemon created them is not known).
 */
static void detach_uppers(const char *pin_root, const char *ifname)
{
	char names[SG_UPPERS_MAX][IF_NAMESIZE];
	struct sg_info info;
	int n = 0, i, ifindex;

	vlan_uppers(ifname, names, &n, SG_UPPERS_MAX, 0);
	for (i = 0; i < n; i++) {
		ifindex = if_nametoindex(names[i]);
		if (!ifindex)
			continue;
		if (!sg_info_read(pin_root, names[i], &info) && info.pid &&
		    sg_daemon_alive(info.pid))
			continue;
		sg_log_mute(1);
		if (!sg_tc_detach_dev(ifindex, 0))
			pr_info("synguard: removed the TC filter from VLAN "
				"device %s\n",
				names[i]);
		sg_log_mute(0);
	}
}

int sg_detach_iface(const char *pin_root, const char *ifname)
{
	int ifindex = if_nametoindex(ifname), err, ret = 0;
	enum xdp_attach_mode held;
	char name[256] = "";
	__u32 id = 0;

	/* A dispatcher's state lives in libxdp's bpffs: the one run used. */
	sg_libxdp_bpffs(pin_root);
	if (ifindex) {
		if (xdp_owner(ifindex, name, sizeof(name), &id, &held) ==
		    OWNER_US) {
			struct xdp_multiprog *mp =
				xdp_multiprog__get_from_ifindex(ifindex);

			err = libxdp_get_error(mp);
			if (!err && mp) {
				if (xdp_multiprog__is_legacy(mp)) {
					err = xdp_multiprog__detach(mp);
				} else {
					struct xdp_program *q = NULL;

					while ((q = xdp_multiprog__next_prog(
							q, mp)))
						if (!strcmp(xdp_program__name(
								    q),
							    "synguard_xdp"))
							break;
					err = q ? xdp_program__detach(
							  q, ifindex,
							  xdp_multiprog__attach_mode(
								  mp),
							  0) :
						  0;
				}
				xdp_multiprog__close(mp);
			}
			if (err) {
				pr_warn("synguard: couldn't detach XDP program "
					"%u from %s: %s\n",
					id, ifname, strerror(-err));
				ret = err;
			} else {
				pr_info("synguard: detached XDP program %u from "
					"%s\n",
					id, ifname);
			}
		}
		sg_log_mute(1); /* no clsact at all is fine here */
		err = tc_detach(ifindex, 0);
		sg_log_mute(0);
		if (!err)
			pr_info("synguard: removed the TC filter from %s\n",
				ifname);
		else if (err != -ENOENT && err != -EINVAL)
			pr_debug("synguard: TC filter on %s: %s\n", ifname,
				 strerror(-err));
		detach_uppers(pin_root, ifname);
	} else {
		pr_info("synguard: no interface '%s' here; removing pins only\n",
			ifname);
	}

	err = sg_unpin(pin_root, ifname);
	return err ? err : ret;
}

int sg_unpin(const char *pin_root, const char *ifname)
{
	char path[PATH_MAX + 64];
	int ret = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sg_map_names); i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", pin_root, ifname,
			 sg_map_names[i]);
		if (unlink(path) && errno != ENOENT) {
			ret = -errno;
			pr_warn("synguard: couldn't remove pin %s: %s\n", path,
				strerror(-ret));
		}
	}
	snprintf(path, sizeof(path), "%s/%s", pin_root, ifname);
	if (rmdir(path) && errno != ENOENT) {
		ret = -errno;
		pr_warn("synguard: couldn't remove %s: %s\n", path,
			strerror(-ret));
	}
	return ret;
}
