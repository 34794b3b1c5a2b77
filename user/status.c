// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * `synguard status`: for every pin directory, what its daemon runs with
 * (engine, XDP mode, libxdp mode, program ids, keys; from sg_info), whether
 * that daemon is alive, whether the interface exists in this network
 * namespace and what is attached to it now, and the current epoch; then
 * what the kernel offers (BTF, the reqsk kfunc) and the TCP sysctls each
 * engine depends on. Key material is never read.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "cmds.h"
#include "loader.h"
#include "log.h"
#include "main.h"
#include "pins.h"
#include "usage.h"
#include "util.h"

#define SG_XDP_PROG_NAME "synguard_xdp"

struct iface_status {
	char name[IF_NAMESIZE];
	char pin_dir[PATH_MAX];
	int info_err; /* 0: info valid */
	struct sg_info info;
	int recorded; /* sg_info was written by a daemon */
	int alive;
	int ifindex;   /* 0: not in this namespace */
	__u32 xdp_now; /* program id attached now, 0: none */
	enum xdp_attach_mode xdp_now_mode;
	int xdp_ours;
	__u32 tc_now; /* our TC filter's program id, 0: none */
	int epoch_err;
	__u32 epoch;
	__u32 engaged;	   /* sg_epoch's flag (--engage auto) */
	int cfg_err;	   /* 0: cfg_flags valid */
	__u32 cfg_flags;   /* the live config's flags */
	__u32 meta_failed; /* sg_flags: XDP metadata refused */
	/* Protected ports by what XDP does with their SYNs (port_sets). */
	int ports_err; /* 0: the three lists are valid */
	unsigned int n_answered, n_idle, n_mptcp;
	char answered[200]; /* a listener: synguard answers */
	char idle[200];	    /* nobody listens: SYNs go to the kernel */
	char mptcp[200];    /* an MPTCP listener: the kernel's */
};

/*
 * The protected ports (sg_ports) split by the daemon's listener set
 * (sg_lports): answered, nobody listening, MPTCP. The listener set is
 * what XDP goes by, so this says why a port's SYNs reach the kernel.
 * Without the set (SG_CFG_LOCAL clear) every protected port is answered.
 */
static int port_sets(const char *root, const char *ifname, int local,
		     struct iface_status *s)
{
	static __u32 ans[SG_PORT_WORDS], idle[SG_PORT_WORDS],
		mptcp[SG_PORT_WORDS];
	int pfd, lfd = -1, err = 0;
	__u32 i;

	pfd = sg_pin_fd(root, ifname, SG_MAP_PORTS);
	if (pfd < 0)
		return pfd;
	if (local) {
		lfd = sg_pin_fd(root, ifname, SG_MAP_LPORTS);
		if (lfd < 0) {
			close(pfd);
			return lfd;
		}
	}
	for (i = 0; i < SG_PORT_WORDS; i++) {
		struct sg_lport lp = { ~0u, 0 };
		__u32 w;

		ans[i] = idle[i] = mptcp[i] = 0;
		if (bpf_map_lookup_elem(pfd, &i, &w)) {
			err = -errno;
			break;
		}
		if (!w)
			continue;
		if (lfd >= 0 && bpf_map_lookup_elem(lfd, &i, &lp)) {
			err = -errno;
			break;
		}
		mptcp[i] = w & lp.listen & lp.mptcp;
		ans[i] = w & lp.listen & ~lp.mptcp;
		idle[i] = w & ~lp.listen;
	}
	close(pfd);
	if (lfd >= 0)
		close(lfd);
	if (err)
		return err;
	s->n_answered = sg_ports_format(ans, s->answered, sizeof(s->answered));
	s->n_idle = sg_ports_format(idle, s->idle, sizeof(s->idle));
	s->n_mptcp = sg_ports_format(mptcp, s->mptcp, sizeof(s->mptcp));
	return 0;
}

struct status_ctx {
	const char *root;
	int json;
	int n;
	int failed;
};

static const char *engine_name(__u32 e)
{
	return e == SG_ENGINE_OWN    ? "own" :
	       e == SG_ENGINE_KERNEL ? "kernel" :
				       "unknown";
}

/* Is our program (@id, or by name) a component of the dispatcher? */
static int in_dispatcher(int ifindex, __u32 id)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p = NULL;
	int found = 0;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!mp || libxdp_get_error(mp))
		return 0;
	while ((p = xdp_multiprog__next_prog(p, mp)))
		if ((id && xdp_program__id(p) == id) ||
		    (!id && !strcmp(xdp_program__name(p), SG_XDP_PROG_NAME)))
			found = 1;
	xdp_multiprog__close(mp);
	return found;
}

/* The name of program @id, "" when it cannot be read. */
static void prog_name(__u32 id, char *buf, size_t len)
{
	struct bpf_prog_info pi;
	__u32 plen = sizeof(pi);
	int fd = bpf_prog_get_fd_by_id(id);

	buf[0] = '\0';
	if (fd < 0)
		return;
	memset(&pi, 0, sizeof(pi));
	if (!bpf_obj_get_info_by_fd(fd, &pi, &plen))
		snprintf(buf, len, "%s", pi.name);
	close(fd);
}

static void probe_attached(struct iface_status *s)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, xq);
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = s->ifindex,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tco, .handle = SG_TC_HANDLE,
			    .priority = SG_TC_PRIO);
	char name[BPF_OBJ_NAME_LEN];

	sg_log_mute(1); /* absent things are the normal answer */
	if (!bpf_xdp_query(s->ifindex, 0, &xq)) {
		switch (xq.attach_mode) {
		case XDP_ATTACHED_DRV:
			s->xdp_now = xq.drv_prog_id;
			s->xdp_now_mode = XDP_MODE_NATIVE;
			break;
		case XDP_ATTACHED_SKB:
			s->xdp_now = xq.skb_prog_id;
			s->xdp_now_mode = XDP_MODE_SKB;
			break;
		case XDP_ATTACHED_HW:
			s->xdp_now = xq.hw_prog_id;
			s->xdp_now_mode = XDP_MODE_HW;
			break;
		case XDP_ATTACHED_MULTI:
			s->xdp_now = xq.drv_prog_id ?: xq.skb_prog_id;
			s->xdp_now_mode =
				xq.drv_prog_id ? XDP_MODE_NATIVE : XDP_MODE_SKB;
			break;
		default:
			break;
		}
	}
	if (s->xdp_now) {
		if (s->recorded && s->info.xdp_id)
			s->xdp_ours = s->xdp_now == s->info.xdp_id;
		else {
			prog_name(s->xdp_now, name, sizeof(name));
			s->xdp_ours = !strcmp(name, SG_XDP_PROG_NAME);
		}
		if (!s->xdp_ours)
			s->xdp_ours = in_dispatcher(
				s->ifindex, s->recorded ? s->info.xdp_id : 0);
	}
	if (!bpf_tc_query(&hook, &tco))
		s->tc_now = tco.prog_id;
	sg_log_mute(0);
}

static void gather(const char *root, const char *ifname, struct iface_status *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", ifname);
	snprintf(s->pin_dir, sizeof(s->pin_dir), "%s/%s", root, ifname);
	s->info_err = sg_info_read(root, ifname, &s->info);
	s->recorded = !s->info_err && (s->info.pid || s->info.started);
	s->alive = s->recorded && sg_daemon_alive(s->info.pid);
	s->epoch_err = sg_epoch_read(root, ifname, &s->epoch);
	{
		struct sg_epoch_state es;
		struct sg_flags fl;
		struct sg_config cfg;
		__u32 zero = 0;
		int fd = sg_pin_fd(root, ifname, SG_MAP_EPOCH);

		if (fd >= 0) {
			if (!bpf_map_lookup_elem(fd, &zero, &es))
				s->engaged = es.engaged;
			close(fd);
		}
		fd = sg_pin_fd(root, ifname, SG_MAP_FLAGS);
		if (fd >= 0) {
			if (!bpf_map_lookup_elem(fd, &zero, &fl))
				s->meta_failed = fl.meta_failed;
			close(fd);
		}
		s->cfg_err = sg_config_read(root, ifname, &cfg);
		if (!s->cfg_err)
			s->cfg_flags = cfg.flags;
	}
	s->ports_err = s->cfg_err ?
			       s->cfg_err :
			       port_sets(root, ifname,
					 !!(s->cfg_flags & SG_CFG_LOCAL), s);
	s->ifindex = if_nametoindex(ifname);
	if (s->ifindex)
		probe_attached(s);
}

/* The protected ports by what their SYNs get (port_sets). */
static void print_ports(const struct iface_status *s)
{
	const char *sep = "";

	printf("  %-11s ", "ports");
	if (s->n_answered) {
		printf("answered %s", s->answered);
		sep = "; ";
	}
	if (s->n_idle) {
		printf("%snobody listening on %s (SYNs go to the kernel)", sep,
		       s->idle);
		sep = "; ";
	}
	if (s->n_mptcp)
		printf("%sMPTCP listener on %s (left to the kernel)", sep,
		       s->mptcp);
	printf("\n");
}

static void print_text(const struct iface_status *s, int first)
{
	const struct sg_info *in = &s->info;
	char when[80], age[32];

	printf("%s%s (pins %s)\n", first ? "" : "\n", s->name, s->pin_dir);
	if (s->info_err) {
		printf("  %-11s no daemon record: %s\n", "daemon",
		       s->info_err == -ENOENT ?
			       "no sg_info pin (pins of an older synguard)" :
			       strerror(-s->info_err));
	} else if (!s->recorded) {
		printf("  %-11s no daemon record (sg_info empty: a daemon "
		       "that does not write it yet)\n",
		       "daemon");
	} else {
		sg_time_str(in->started, when, sizeof(when));
		sg_age_str(in->started, age, sizeof(age));
		if (in->pid && s->alive)
			printf("  %-11s pid %u, running; started %s (up %s)\n",
			       "daemon", in->pid, when, age);
		else if (in->pid)
			printf("  %-11s pid %u, not running (stale record); "
			       "started %s\n",
			       "daemon", in->pid, when);
		else
			printf("  %-11s no pid recorded; started %s\n",
			       "daemon", when);
		printf("  %-11s %s\n", "engine", engine_name(in->engine));
		printf("  %-11s %s, %s\n", "XDP mode",
		       sg_mode_name(in->xdp_mode), sg_libxdp_name(in->legacy));
		printf("  %-11s XDP id %u, TC id %u%s\n", "programs",
		       in->xdp_id, in->tc_id,
		       in->engine == SG_ENGINE_KERNEL && !in->tc_id ?
			       " (the kernel engine needs no TC program)" :
			       "");
		if (in->rotated) {
			sg_time_str(in->rotated, when, sizeof(when));
			sg_age_str(in->rotated, age, sizeof(age));
			snprintf(when + strlen(when),
				 sizeof(when) - strlen(when), " (%s ago)", age);
		} else {
			snprintf(when, sizeof(when), "never");
		}
		printf("  %-11s period %u s, %s, %llu rotation%s, last %s\n",
		       "keys", in->key_period,
		       in->key_file ? "from a key file" :
				      "random, new at daemon start",
		       (unsigned long long)in->rotations,
		       in->rotations == 1 ? "" : "s", when);
		printf("  %-11s %s\n", "engage",
		       in->engage == SG_ENGAGE_AUTO ?
			       (s->engaged ? "auto: engaged (answering SYNs)" :
					     "auto: standing by (the kernel "
					     "answers SYNs)") :
		       in->engage == SG_ENGAGE_MONITOR ?
			       "monitor: counting only, everything passes" :
			       "always");
		if (in->engine == SG_ENGINE_OWN)
			printf("  %-11s %s%s%u VLAN device%s above\n",
			       "hand-off",
			       !s->cfg_err && (s->cfg_flags & SG_CFG_NO_META) ?
				       "TC checks the cookie itself "
				       "(--xdp-meta off)" :
			       s->meta_failed ?
				       "TC checks the cookie itself (the "
				       "driver refused XDP metadata)" :
				       "in XDP metadata to TC",
			       "; TC also on ", in->tc_uppers,
			       in->tc_uppers == 1 ? "" : "s");
		if (!s->cfg_err)
			printf("  %-11s %s%s\n", "scope",
			       (s->cfg_flags & SG_CFG_LOCAL) ?
				       "SYNs for local addresses and listening "
				       "ports (MPTCP listeners' left to the "
				       "kernel)" :
				       "every SYN to a protected port (local "
				       "addresses and listeners not known "
				       "yet)",
			       (s->cfg_flags & SG_CFG_KCOOKIE) ?
				       "; the kernel's own SYN cookies "
				       "accepted too (it sent some lately)" :
				       "");
		if (!s->ports_err)
			print_ports(s);
		if (in->sysctl_saved)
			printf("  %-11s holds the original%s%s%s (put back by "
			       "this namespace's last synguard)\n",
			       "sysctls",
			       (in->sysctl_saved & 1) ? " tcp_syncookies" : "",
			       (in->sysctl_saved & 3) == 3 ? " and" : "",
			       (in->sysctl_saved & 2) ? " tcp_timestamps" : "");
	}
	if (!s->ifindex) {
		printf("  %-11s not in this network namespace (run status "
		       "in the daemon's)\n",
		       "interface");
	} else {
		printf("  %-11s present (ifindex %d)\n", "interface",
		       s->ifindex);
		if (!s->xdp_now)
			printf("  %-11s XDP: none", "attached");
		else
			printf("  %-11s XDP: %s (id %u, %s)", "attached",
			       s->xdp_ours ? "synguard" : "another program",
			       s->xdp_now, sg_mode_name(s->xdp_now_mode));
		if (s->tc_now)
			printf("; TC: synguard's filter (id %u)\n", s->tc_now);
		else
			printf("; TC: no synguard filter\n");
	}
	if (s->epoch_err)
		printf("  %-11s unreadable: %s\n", "epoch",
		       strerror(-s->epoch_err));
	else
		printf("  %-11s %u\n", "epoch", s->epoch);
}

static void print_json(const struct iface_status *s, int first)
{
	const struct sg_info *in = &s->info;

	printf("%s\n    ", first ? "" : ",");
	sg_json_str(s->name);
	printf(": {\n      \"pin_dir\": ");
	sg_json_str(s->pin_dir);
	printf(",\n      \"recorded\": %s,\n", s->recorded ? "true" : "false");
	if (s->recorded)
		printf("      \"pid\": %u,\n      \"running\": %s,\n"
		       "      \"started\": %llu,\n      \"engine\": \"%s\",\n"
		       "      \"xdp_mode\": \"%s\",\n      \"legacy\": %s,\n"
		       "      \"libxdp\": \"%s\",\n"
		       "      \"xdp_id\": %u,\n      \"tc_id\": %u,\n"
		       "      \"key_period\": %u,\n"
		       "      \"key_source\": \"%s\",\n"
		       "      \"rotations\": %llu,\n      \"rotated\": %llu,\n"
		       "      \"engage\": \"%s\",\n      \"engaged\": %s,\n"
		       "      \"tc_uppers\": %u,\n",
		       in->pid, s->alive ? "true" : "false",
		       (unsigned long long)in->started, engine_name(in->engine),
		       sg_mode_name(in->xdp_mode),
		       in->legacy ? "true" : "false",
		       in->legacy == SG_LIBXDP_DISPATCHER ? "dispatcher" :
		       in->legacy == SG_LIBXDP_REFUSED	  ? "refused" :
							    "single",
		       in->xdp_id, in->tc_id, in->key_period,
		       in->key_file ? "file" : "random",
		       (unsigned long long)in->rotations,
		       (unsigned long long)in->rotated,
		       in->engage == SG_ENGAGE_AUTO    ? "auto" :
		       in->engage == SG_ENGAGE_MONITOR ? "monitor" :
							 "always",
		       in->engage == SG_ENGAGE_ALWAYS || s->engaged ? "true" :
								      "false",
		       in->tc_uppers);
	if (!s->cfg_err)
		printf("      \"local_scope\": %s,\n      \"kernel_cookies\": "
		       "%s,\n      \"meta\": \"%s\",\n",
		       (s->cfg_flags & SG_CFG_LOCAL) ? "true" : "false",
		       (s->cfg_flags & SG_CFG_KCOOKIE) ? "true" : "false",
		       (s->cfg_flags & SG_CFG_NO_META) ? "off" :
		       s->meta_failed		       ? "refused" :
							 "on");
	if (!s->ports_err) {
		printf("      \"ports\": { \"answered\": ");
		sg_json_str(s->answered);
		printf(", \"no_listener\": ");
		sg_json_str(s->idle);
		printf(", \"mptcp\": ");
		sg_json_str(s->mptcp);
		printf(" },\n");
	}
	printf("      \"present\": %s,\n      \"ifindex\": %d,\n",
	       s->ifindex ? "true" : "false", s->ifindex);
	if (s->xdp_now)
		printf("      \"xdp_attached\": { \"id\": %u, \"mode\": \"%s\", "
		       "\"synguard\": %s },\n",
		       s->xdp_now, sg_mode_name(s->xdp_now_mode),
		       s->xdp_ours ? "true" : "false");
	else
		printf("      \"xdp_attached\": null,\n");
	if (s->tc_now)
		printf("      \"tc_attached\": { \"id\": %u },\n", s->tc_now);
	else
		printf("      \"tc_attached\": null,\n");
	if (s->epoch_err)
		printf("      \"epoch\": null\n    }");
	else
		printf("      \"epoch\": %u\n    }", s->epoch);
}

static int status_iface(const char *ifname, void *vctx)
{
	struct status_ctx *c = vctx;
	struct iface_status s;

	gather(c->root, ifname, &s);
	if (s.info_err && s.info_err != -ENOENT)
		c->failed = 1; /* e.g. EPERM: not root */
	if (c->json)
		print_json(&s, c->n == 0);
	else
		print_text(&s, c->n == 0);
	c->n++;
	return 0;
}

static const struct {
	const char *name; /* under /proc/sys */
	const char *label;
} sysctls[] = {
	{ "net/ipv4/tcp_syncookies", "net.ipv4.tcp_syncookies" },
	{ "net/ipv4/tcp_timestamps", "net.ipv4.tcp_timestamps" },
	{ "net/ipv4/tcp_sack", "net.ipv4.tcp_sack" },
	{ "net/ipv4/tcp_window_scaling", "net.ipv4.tcp_window_scaling" },
	{ "net/ipv4/tcp_ecn", "net.ipv4.tcp_ecn" },
};

/* What each sysctl means to synguard, for value @v. */
static void sysctl_note(size_t i, long v, char *buf, size_t len)
{
	switch (i) {
	case 0:
		snprintf(buf, len,
			 "own engine needs 1 or 2 (%s); kernel engine needs 2 "
			 "(%s)",
			 v >= 1 ? "ok" : "NOT MET", v == 2 ? "ok" : "NOT MET");
		break;
	case 1:
		snprintf(buf, len,
			 "kernel engine needs 0 or 2 (%s); SYN-ACKs offer "
			 "timestamps when >= 1",
			 v == 1 ? "NOT MET" : "ok");
		break;
	case 2:
		snprintf(buf, len, "SYN-ACKs offer SACK when 1");
		break;
	case 3:
		snprintf(buf, len, "SYN-ACKs offer window scaling when 1");
		break;
	default:
		snprintf(buf, len, "SYN-ACKs answer ECN when not 0");
		break;
	}
}

static void print_system(int json)
{
	int btf = !access("/sys/kernel/btf/vmlinux", R_OK);
	int kfunc = btf && sg_have_reqsk_kfunc();
	int probed = !geteuid();
	const char *missing = probed ? sg_missing_helper() : NULL;
	struct utsname u;
	char note[160];
	size_t i;
	long v;

	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "unknown");
	if (json) {
		printf("  \"kernel\": {\n    \"release\": \"%s\",\n"
		       "    \"btf\": %s,\n    \"reqsk_kfunc\": %s,\n"
		       "    \"xdp_helpers\": %s\n  },\n"
		       "  \"sysctl\": {",
		       u.release, btf ? "true" : "false",
		       kfunc ? "true" : "false",
		       !probed ? "null" :
		       missing ? "false" :
				 "true");
		for (i = 0; i < ARRAY_SIZE(sysctls); i++) {
			printf("%s\n    \"%s\": ", i ? "," : "",
			       sysctls[i].label);
			if (sg_sysctl_read(sysctls[i].name, &v))
				printf("null");
			else
				printf("%ld", v);
		}
		printf("\n  }\n");
		return;
	}
	printf("kernel %s\n", u.release);
	printf("  %-26s %s\n", "BTF",
	       btf ? "present (/sys/kernel/btf/vmlinux)" :
		     "absent: synguard cannot probe the kernel or build");
	if (!probed)
		printf("  %-26s %s\n", "BPF helpers",
		       "not probed (needs root)");
	else if (missing)
		printf("  %-26s absent: %s; synguard needs Linux 5.15 "
		       "or later\n",
		       "BPF helpers", missing);
	else
		printf("  %-26s %s\n", "BPF helpers",
		       "present: the kernel engine can run");
	printf("  %-26s %s\n", "bpf_sk_assign_tcp_reqsk",
	       kfunc   ? "present: the own engine can run" :
	       missing ? "absent (the own engine needs Linux 6.9)" :
			 "absent: only the kernel engine (--cookie kernel; "
			 "the own engine needs Linux 6.9)");
	printf("\nsysctls (this network namespace; mirrored into the config "
	       "at 'run' start)\n");
	for (i = 0; i < ARRAY_SIZE(sysctls); i++) {
		if (sg_sysctl_read(sysctls[i].name, &v)) {
			printf("  %-28s %3s  unreadable\n", sysctls[i].label,
			       "?");
			continue;
		}
		sysctl_note(i, v, note, sizeof(note));
		printf("  %-28s %3ld  %s\n", sysctls[i].label, v, note);
	}
}

static void status_help(void)
{
	sg_usage(stdout, "status");
}

int cmd_status(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pin-root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct status_ctx c = { 0 };
	const char *root = NULL;
	int opt, n;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c.json = 1;
			break;
		case 'r':
			root = optarg;
			break;
		case 'h':
			status_help();
			return SG_EXIT_OK;
		case ':':
			fprintf(stderr,
				"synguard status: option '%s' needs a value "
				"(try 'synguard status --help')\n",
				argv[optind - 1]);
			return SG_EXIT_USAGE;
		default:
			fprintf(stderr,
				"synguard status: unknown option '%s' (try "
				"'synguard status --help')\n",
				argv[optind - 1]);
			return SG_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"synguard status: unexpected argument '%s' (try "
			"'synguard status --help')\n",
			argv[optind]);
		return SG_EXIT_USAGE;
	}
	c.root = sg_pin_root(root);
	sg_libxdp_bpffs(c.root);
	if (c.json) {
		printf("{\n  \"pin_root\": ");
		sg_json_str(c.root);
		printf(",\n  \"interfaces\": {");
	}
	n = sg_for_each_iface(c.root, status_iface, &c);
	if (n < 0) {
		pr_warn("synguard status: couldn't read the pin root %s: %s\n",
			c.root, strerror(-n));
		c.failed = 1;
	}
	if (c.json) {
		printf("%s},\n", c.n ? "\n  " : "");
	} else {
		if (!c.n)
			printf("synguard runs on no interface (no pins under "
			       "%s)\n",
			       c.root);
		printf("\n");
	}
	print_system(c.json);
	if (c.json)
		printf("}\n");
	return c.failed ? SG_EXIT_FAIL : SG_EXIT_OK;
}
