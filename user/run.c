// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * `synguard run`: load, configure and attach on one interface, then stay in
 * the foreground until SIGINT/SIGTERM and remove what was attached. Map
 * pins stay (counters survive a restart); `synguard detach` removes them.
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cmds.h"
#include "engage.h"
#include "keyring.h"
#include "keys.h"
#include "natcheck.h"
#include "netstate.h"
#include "pins.h"
#include "sysctlsave.h"
#include "policy.h"
#include "loader.h"
#include "log.h"
#include "main.h"
#include "metrics.h"
#include "notify.h"
#include "synguard.skel.h"
#include "usage.h"
#include "util.h"

#define SG_TW_SECONDS 60 /* TCP_TIMEWAIT_LEN */

static const __u16 msstab4_default[SG_MSS_TABLE_LEN] = { SG_MSSTAB4_DEFAULT };
static const __u16 msstab6_default[SG_MSS_TABLE_LEN] = { SG_MSSTAB6_DEFAULT };

#define SG_LIST_ARGS 64 /* --allow/--deny entries on the command line */

struct run_opts {
	const char *ifname;
	char pin_root[PATH_MAX];
	__u32 ports[SG_PORT_WORDS];
	int nports;
	enum xdp_attach_mode mode;
	int engine; /* -1: auto */
	int set_sysctl;
	__u32 mss4, mss6, wscale, ttl, window; /* 0 / ~0: derive */
	__u32 key_period;
	char key_file[PATH_MAX];
	__u32 synack_rate, synack_burst, prefix4, prefix6;
	struct sg_cidr allow[SG_LIST_ARGS], deny[SG_LIST_ARGS];
	int nallow, ndeny;
	int cli_allow, cli_deny; /* lists given on the command line */
	char metrics[80];	 /* ADDR:PORT or "off" */
	int metrics_explicit;
	__u32 badck_rate, badck_burst; /* bad cookies per source */
	int xdp_meta;		       /* 0: TC verifies (--xdp-meta off) */
	enum sg_engage engage;
	__u32 engage_on, engage_off, engage_hold;
};

/* A sysctl we changed, to restore on exit. */
struct sysctl_save {
	const char *name;
	long old;
	int changed;
};

static struct sysctl_save saved[2] = {
	{ "net/ipv4/tcp_syncookies", 0, 0 },
	{ "net/ipv4/tcp_timestamps", 0, 0 },
};

static void run_usage(FILE *f)
{
	sg_usage(f, "run");
}

enum {
	O_SET_SYSCTL = 256,
	O_MSS4,
	O_MSS6,
	O_WSCALE,
	O_TTL,
	O_WINDOW,
	O_PERIOD,
	O_PIN_ROOT,
	O_KEY_FILE,
	O_RATE,
	O_BURST,
	O_PREFIX4,
	O_PREFIX6,
	O_ALLOW,
	O_DENY,
	O_CONFIG,
	O_METRICS,
	O_BADCK_RATE,
	O_BADCK_BURST,
	O_XDP_META,
	O_ENGAGE,
	O_ENGAGE_ON,
	O_ENGAGE_OFF,
	O_ENGAGE_HOLD,
};

static const struct option run_lopts[] = {
	{ "ports", required_argument, NULL, 'p' },
	{ "mode", required_argument, NULL, 'm' },
	{ "cookie", required_argument, NULL, 'c' },
	{ "set-sysctl", no_argument, NULL, O_SET_SYSCTL },
	{ "mss4", required_argument, NULL, O_MSS4 },
	{ "mss6", required_argument, NULL, O_MSS6 },
	{ "wscale", required_argument, NULL, O_WSCALE },
	{ "ttl", required_argument, NULL, O_TTL },
	{ "window", required_argument, NULL, O_WINDOW },
	{ "key-period", required_argument, NULL, O_PERIOD },
	{ "pin-root", required_argument, NULL, O_PIN_ROOT },
	{ "key-file", required_argument, NULL, O_KEY_FILE },
	{ "synack-rate", required_argument, NULL, O_RATE },
	{ "synack-burst", required_argument, NULL, O_BURST },
	{ "prefix4", required_argument, NULL, O_PREFIX4 },
	{ "prefix6", required_argument, NULL, O_PREFIX6 },
	{ "allow", required_argument, NULL, O_ALLOW },
	{ "deny", required_argument, NULL, O_DENY },
	{ "config", required_argument, NULL, O_CONFIG },
	{ "metrics", required_argument, NULL, O_METRICS },
	{ "bad-cookie-rate", required_argument, NULL, O_BADCK_RATE },
	{ "bad-cookie-burst", required_argument, NULL, O_BADCK_BURST },
	{ "xdp-meta", required_argument, NULL, O_XDP_META },
	{ "engage", required_argument, NULL, O_ENGAGE },
	{ "engage-on", required_argument, NULL, O_ENGAGE_ON },
	{ "engage-off", required_argument, NULL, O_ENGAGE_OFF },
	{ "engage-hold", required_argument, NULL, O_ENGAGE_HOLD },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/*
 * Apply one option (from the command line or the config file). @from_cli
 * lets command-line lists replace the config file's. 0, or -1 with the
 * problem in err.
 */
static int apply_opt(struct run_opts *o, int code, const char *val,
		     int from_cli, char *err, size_t errlen)
{
	struct sg_cidr *list;
	int *n;

#define BAD(...)                                    \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -1;                          \
	} while (0)
	switch (code) {
	case 'p':
		memset(o->ports, 0, sizeof(o->ports));
		o->nports = sg_parse_ports(val, o->ports, err, errlen);
		if (o->nports < 0)
			return -1;
		break;
	case 'm':
		if (!strcmp(val, "native"))
			o->mode = XDP_MODE_NATIVE;
		else if (!strcmp(val, "generic") || !strcmp(val, "skb"))
			o->mode = XDP_MODE_SKB;
		else if (!strcmp(val, "auto"))
			o->mode = XDP_MODE_UNSPEC;
		else
			BAD("bad mode '%s' (native, generic or auto)", val);
		break;
	case 'c':
		if (!strcmp(val, "own"))
			o->engine = SG_ENGINE_OWN;
		else if (!strcmp(val, "kernel"))
			o->engine = SG_ENGINE_KERNEL;
		else if (!strcmp(val, "auto"))
			o->engine = -1;
		else
			BAD("bad cookie engine '%s' (own, kernel or auto)",
			    val);
		break;
	case O_SET_SYSCTL:
		if (!val || !strcmp(val, "yes") || !strcmp(val, "true") ||
		    !strcmp(val, "1"))
			o->set_sysctl = 1;
		else if (!strcmp(val, "no") || !strcmp(val, "false") ||
			 !strcmp(val, "0"))
			o->set_sysctl = 0;
		else
			BAD("bad set-sysctl '%s' (yes or no)", val);
		break;
	case O_MSS4:
		if (sg_parse_u32(val, 536, 65495, &o->mss4))
			BAD("bad mss4 '%s' (536-65495)", val);
		break;
	case O_MSS6:
		if (sg_parse_u32(val, 1220, 65475, &o->mss6))
			BAD("bad mss6 '%s' (1220-65475)", val);
		break;
	case O_WSCALE:
		if (sg_parse_u32(val, 0, 14, &o->wscale))
			BAD("bad wscale '%s' (0-14)", val);
		break;
	case O_TTL:
		if (sg_parse_u32(val, 1, 255, &o->ttl))
			BAD("bad ttl '%s' (1-255)", val);
		break;
	case O_WINDOW:
		if (sg_parse_u32(val, 1, 65535, &o->window))
			BAD("bad window '%s' (1-65535)", val);
		break;
	case O_PERIOD:
		if (sg_parse_u32(val, 1, 86400, &o->key_period))
			BAD("bad key-period '%s' (1-86400 seconds)", val);
		break;
	case O_PIN_ROOT:
		if (!*val ||
		    strlen(val) >= sizeof(o->pin_root) - IF_NAMESIZE - 64)
			BAD("bad pin-root '%s'", val);
		snprintf(o->pin_root, sizeof(o->pin_root), "%s", val);
		break;
	case O_KEY_FILE:
		if (!*val || strlen(val) >= sizeof(o->key_file))
			BAD("bad key-file '%s'", val);
		snprintf(o->key_file, sizeof(o->key_file), "%s", val);
		break;
	case O_RATE:
		if (sg_parse_u32(val, 0, 100000000, &o->synack_rate))
			BAD("bad synack-rate '%s' (0-100000000 per second)",
			    val);
		break;
	case O_BURST:
		if (sg_parse_u32(val, 1, 100000000, &o->synack_burst))
			BAD("bad synack-burst '%s' (1-100000000)", val);
		break;
	case O_PREFIX4:
		if (sg_parse_u32(val, 1, 32, &o->prefix4))
			BAD("bad prefix4 '%s' (1-32)", val);
		break;
	case O_PREFIX6:
		if (sg_parse_u32(val, 1, 128, &o->prefix6))
			BAD("bad prefix6 '%s' (1-128)", val);
		break;
	case O_ALLOW:
	case O_DENY:
		list = code == O_ALLOW ? o->allow : o->deny;
		n = code == O_ALLOW ? &o->nallow : &o->ndeny;
		if (from_cli) {
			int *cli =
				code == O_ALLOW ? &o->cli_allow : &o->cli_deny;

			if (!*cli)
				*n = 0; /* replaces the config file's list */
			*cli = 1;
		}
		if (*n >= SG_LIST_ARGS)
			BAD("too many %s entries (at most %d here; use "
			    "'synguard %s add' for more)",
			    code == O_ALLOW ? "allow" : "deny", SG_LIST_ARGS,
			    code == O_ALLOW ? "allow" : "deny");
		if (sg_parse_cidr(val, &list[*n], err, errlen))
			return -1;
		(*n)++;
		break;
	case O_BADCK_RATE:
		if (sg_parse_u32(val, 0, 1000000, &o->badck_rate))
			BAD("bad bad-cookie-rate '%s' (0-1000000 per second)",
			    val);
		break;
	case O_BADCK_BURST:
		if (sg_parse_u32(val, 1, 1000000, &o->badck_burst))
			BAD("bad bad-cookie-burst '%s' (1-1000000)", val);
		break;
	case O_XDP_META:
		if (!strcmp(val, "on"))
			o->xdp_meta = 1;
		else if (!strcmp(val, "off"))
			o->xdp_meta = 0;
		else
			BAD("bad xdp-meta '%s' (on or off)", val);
		break;
	case O_ENGAGE:
		if (!strcmp(val, "always"))
			o->engage = SG_ENGAGE_ALWAYS;
		else if (!strcmp(val, "auto"))
			o->engage = SG_ENGAGE_AUTO;
		else if (!strcmp(val, "monitor"))
			o->engage = SG_ENGAGE_MONITOR;
		else
			BAD("bad engage '%s' (always, auto or monitor)", val);
		break;
	case O_ENGAGE_ON:
		if (sg_parse_u32(val, 1, 100000000, &o->engage_on))
			BAD("bad engage-on '%s' (1-100000000 SYNs per second)",
			    val);
		break;
	case O_ENGAGE_OFF:
		if (sg_parse_u32(val, 0, 100000000, &o->engage_off))
			BAD("bad engage-off '%s' (0-100000000 SYNs per second)",
			    val);
		break;
	case O_ENGAGE_HOLD:
		if (sg_parse_u32(val, 1, 3600, &o->engage_hold))
			BAD("bad engage-hold '%s' (1-3600 seconds)", val);
		break;
	case O_METRICS: {
		struct sockaddr_storage sa;
		size_t len;

		if (strlen(val) >= sizeof(o->metrics))
			BAD("bad metrics address '%.64s'", val);
		if (sg_metrics_parse_addr(val, &sa, &len, err, errlen) < 0)
			return -1;
		snprintf(o->metrics, sizeof(o->metrics), "%s", val);
		o->metrics_explicit = 1;
		break;
	}
	default:
		BAD("unknown option");
	}
	return 0;
#undef BAD
}

/*
 * The config file: "key = value" lines, keys as the long options without
 * dashes; '#' starts a comment; "set-sysctl = yes". Errors name the line.
 */
static int load_config(struct run_opts *o, const char *path, char *err,
		       size_t errlen)
{
	char line[1024], msg[256];
	int lineno = 0, ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "cannot open config file %s: %s", path,
			 strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *key, *val, *end;
		const struct option *opt;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path,
				 lineno);
			ret = -1;
			break;
		}
		if ((end = strchr(p, '#')))
			*end = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p && strchr(" \t\r\n", end[-1]))
			*--end = '\0';
		if (!*p)
			continue;
		key = p;
		val = strchr(p, '=');
		if (!val) {
			snprintf(err, errlen, "%s:%d: want 'key = value'", path,
				 lineno);
			ret = -1;
			break;
		}
		end = val;
		while (end > key && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*end = '\0';
		val++;
		while (*val == ' ' || *val == '\t')
			val++;
		for (opt = run_lopts; opt->name; opt++)
			if (!strcmp(opt->name, key))
				break;
		if (!opt->name || opt->val == 'h' || opt->val == O_CONFIG) {
			snprintf(err, errlen, "%s:%d: unknown key '%.64s'",
				 path, lineno, key);
			ret = -1;
			break;
		}
		if (apply_opt(o, opt->val, val, 0, msg, sizeof(msg))) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
			ret = -1;
			break;
		}
	}
	fclose(f);
	return ret;
}

static int usage_err(const char *msg)
{
	fprintf(stderr, "synguard run: %s (try 'synguard run --help')\n", msg);
	return SG_EXIT_USAGE;
}

static int parse_run(int argc, char **argv, struct run_opts *o)
{
	char err[PATH_MAX + 128];
	int c;

	memset(o, 0, sizeof(*o));
	o->engine = -1;
	o->wscale = ~0u;
	o->ttl = 64;
	o->window = 65535;
	o->key_period = SG_KEY_PERIOD_DEFAULT;
	o->synack_rate = SG_SYNACK_RATE_DEFAULT;
	o->prefix4 = 24;
	o->prefix6 = 64;
	o->badck_rate = SG_BADCK_RATE_DEFAULT;
	o->badck_burst = SG_BADCK_BURST_DEFAULT;
	o->xdp_meta = 1;
	o->engage = SG_ENGAGE_ALWAYS;
	o->engage_on = SG_ENGAGE_ON_DEFAULT;
	o->engage_off = ~0u; /* a quarter of engage-on */
	o->engage_hold = SG_ENGAGE_HOLD_DEFAULT;
	snprintf(o->metrics, sizeof(o->metrics), "%s", SG_METRICS_DEFAULT);

	/*
	 * The config file first, whatever its position: flags override. Found
	 * by getopt itself, so that every spelling it accepts (--config=F,
	 * --conf F, ...) is honoured and none is silently ignored.
	 */
	optind = 0; /* a fresh scan (glibc) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:m:c:h", run_lopts, NULL)) !=
	       -1) {
		if (c == O_CONFIG && load_config(o, optarg, err, sizeof(err)))
			return usage_err(err);
	}

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:m:c:h", run_lopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'h':
			run_usage(stdout);
			return -1;
		case O_CONFIG:
			break;
		case ':':
			snprintf(err, sizeof(err), "option '%s' needs a value",
				 argv[optind - 1]);
			return usage_err(err);
		case '?':
			snprintf(err, sizeof(err), "unknown option '%s'",
				 argv[optind - 1]);
			return usage_err(err);
		default:
			if (apply_opt(o, c, optarg, 1, err, sizeof(err)))
				return usage_err(err);
		}
	}
	if (optind >= argc)
		return usage_err("no interface given");
	if (optind + 1 < argc) {
		snprintf(err, sizeof(err), "unexpected argument '%s'",
			 argv[optind + 1]);
		return usage_err(err);
	}
	o->ifname = argv[optind];
	if (!*o->ifname || strlen(o->ifname) >= IF_NAMESIZE ||
	    strchr(o->ifname, '/')) {
		snprintf(err, sizeof(err), "bad interface name '%s'",
			 o->ifname);
		return usage_err(err);
	}
	if (!o->nports)
		return usage_err("--ports is required");
	if (!o->synack_burst)
		o->synack_burst = o->synack_rate ? 2 * o->synack_rate : 1;
	if (o->engage_off == ~0u)
		o->engage_off = o->engage_on / 4;
	if (o->engage_off >= o->engage_on)
		return usage_err("--engage-off must be below --engage-on");
	return 0;
}

static int iface_mtu(const char *ifname, __u32 *mtu)
{
	char path[128];
	long v;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", ifname);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (fscanf(f, "%ld", &v) != 1 || v < 68)
		v = 1500;
	fclose(f);
	*mtu = v;
	return 0;
}

/*
 * The receive window shift the kernel picks for a listener, which the
 * kernel engine's SYN-ACK must announce (tcp_select_initial_window():
 * ilog2 of the larger of tcp_rmem[2] and rmem_max, less 15, 0..14).
 */
static __u32 kernel_wscale(void)
{
	long rmem_max = 0;
	long space = 0;
	char buf[128];
	FILE *f;
	__u32 ws = 0;

	f = fopen("/proc/sys/net/ipv4/tcp_rmem", "r");
	if (f) {
		long a, b, c;

		if (fgets(buf, sizeof(buf), f) &&
		    sscanf(buf, "%ld %ld %ld", &a, &b, &c) == 3)
			space = c;
		fclose(f);
	}
	if (!sg_sysctl_read("net/core/rmem_max", &rmem_max) && rmem_max > space)
		space = rmem_max;
	while (space >> (ws + 16) && ws < 14)
		ws++;
	return ws;
}

/* Mirror the server's TCP sysctls; fix what the engine needs. */
static int check_sysctls(const struct run_opts *o, enum sg_engine engine,
			 __u32 *flags)
{
	long cookies = -1, ts = -1, sack = 0, ws = 0, ecn = 0;
	int err;

	err = sg_sysctl_read("net/ipv4/tcp_syncookies", &cookies);
	if (err) {
		pr_warn("synguard: couldn't read net.ipv4.tcp_syncookies: %s\n",
			strerror(-err));
		return err;
	}
	sg_sysctl_read("net/ipv4/tcp_timestamps", &ts);
	sg_sysctl_read("net/ipv4/tcp_sack", &sack);
	sg_sysctl_read("net/ipv4/tcp_window_scaling", &ws);
	sg_sysctl_read("net/ipv4/tcp_ecn", &ecn);

	{
		long want_cookies = engine == SG_ENGINE_OWN ? 1 : 2;
		int bad_cookies =
			engine == SG_ENGINE_OWN ? cookies < 1 : cookies != 2;
		int bad_ts = engine == SG_ENGINE_KERNEL && ts == 1;

		if ((bad_cookies || bad_ts) && !o->set_sysctl) {
			pr_warn("synguard: the %s engine needs "
				"net.ipv4.tcp_syncookies=%s%s in this network "
				"namespace (now %ld%s); set it or pass "
				"--set-sysctl\n",
				engine == SG_ENGINE_OWN ? "own" : "kernel",
				engine == SG_ENGINE_OWN ? "1 or 2" : "2",
				engine == SG_ENGINE_KERNEL ?
					" and net.ipv4.tcp_timestamps 0 or 2" :
					"",
				cookies,
				engine == SG_ENGINE_KERNEL && ts == 1 ?
					", tcp_timestamps 1" :
					"");
			return -EINVAL;
		}
		if (bad_cookies) {
			err = sg_sysctl_write(saved[0].name, want_cookies);
			if (err)
				goto write_fail;
			saved[0].old = cookies;
			saved[0].changed = 1;
			pr_info("synguard: set net.ipv4.tcp_syncookies=%ld (was "
				"%ld; restored on exit)\n",
				want_cookies, cookies);
		}
		if (bad_ts) {
			err = sg_sysctl_write(saved[1].name, 2);
			if (err)
				goto write_fail;
			saved[1].old = ts;
			saved[1].changed = 1;
			ts = 2;
			pr_info("synguard: set net.ipv4.tcp_timestamps=2 (was "
				"1; restored on exit)\n");
		}
	}
	*flags = (sack == 1 ? SG_CFG_SACK : 0) | (ts >= 1 ? SG_CFG_TS : 0) |
		 (ws == 1 ? SG_CFG_WSCALE : 0) | (ecn != 0 ? SG_CFG_ECN : 0);
	return 0;
write_fail:
	pr_warn("synguard: couldn't write a sysctl: %s\n", strerror(-err));
	return err;
}

static void restore_sysctls(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(saved); i++) {
		if (!saved[i].changed)
			continue;
		if (sg_sysctl_write(saved[i].name, saved[i].old))
			pr_warn("synguard: couldn't restore %s to %ld\n",
				saved[i].name, saved[i].old);
		saved[i].changed = 0;
	}
}

static int map_set(struct bpf_map *map, __u32 key, const void *val, size_t len)
{
	int err = bpf_map__update_elem(map, &key, sizeof(key), val, len, 0);

	if (err)
		pr_warn("synguard: couldn't write map %s[%u]: %s\n",
			bpf_map__name(map), key, strerror(-err));
	return err;
}

/* Empty the allow/deny tries left pinned by an earlier run. */
static int clear_lists(struct sg_loader *l)
{
	struct bpf_map *maps[] = { l->skel->maps.sg_allow4,
				   l->skel->maps.sg_allow6,
				   l->skel->maps.sg_deny4,
				   l->skel->maps.sg_deny6 };
	unsigned char key[sizeof(struct sg_lpm6)], next[sizeof(key)];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(maps); i++) {
		int fd = bpf_map__fd(maps[i]);

		/* Deleting the first key until none is left. */
		while (!bpf_map_get_next_key(fd, NULL, next)) {
			memcpy(key, next, sizeof(key));
			if (bpf_map_delete_elem(fd, key)) {
				pr_warn("synguard: couldn't clear %s: %s\n",
					bpf_map__name(maps[i]),
					strerror(errno));
				return -errno;
			}
		}
	}
	return 0;
}

static void ipv6_mask(__u32 len, __u32 *mask)
{
	int i;

	for (i = 0; i < 4; i++) {
		int bits = (int)len - 32 * i;

		bits = bits < 0 ? 0 : bits > 32 ? 32 : bits;
		mask[i] = htonl(bits ? ~0u << (32 - bits) : 0);
	}
}

/*
 * Pins are per <pin root>/<ifname>: a synguard in another network
 * namespace with an interface of the same name and the same pin root
 * (containers sharing the host's bpffs) would share its maps, config and
 * keys with ours. Refuse while that one runs.
 */
static int pins_not_shared(const struct run_opts *o)
{
	struct sg_info other;

	if (sg_info_read(o->pin_root, o->ifname, &other) || !other.pid ||
	    !other.netns || other.netns == sg_netns_id() ||
	    !sg_daemon_alive(other.pid))
		return 0;
	pr_warn("synguard: %s/%s belongs to a synguard (pid %u) in another "
		"network namespace with an interface named %s; give each "
		"namespace its own --pin-root\n",
		o->pin_root, o->ifname, other.pid, o->ifname);
	return -EBUSY;
}

/* What a running daemon holds. */
struct daemon {
	int argc; /* its command line, parsed again on SIGHUP */
	char **argv;
	struct run_opts o;
	struct sg_loader l;
	struct sg_keyring kr;
	struct sg_info info;
	struct sg_metrics *metrics;
	enum sg_engine engine;
	__u32 sysflags; /* mirrored TCP sysctls (SG_CFG_SACK ...) */
	__u64 hkey[2];	/* the slot hash keys: the same across reloads */
	struct sg_engage_state eng;
	__u64 last_syn, last_cookies, last_ovf; /* at the last tick */
	long long last_ms;
	time_t kcookie_seen; /* the kernel last sent cookies of its own */
	struct sg_netstate *ns;
	int local_ready; /* sg_local*, sg_lports filled once */
	__u32 nat_flags; /* SG_CFG_NAT4/6 as set */
};

static int key_write(void *ctx, __u32 slot, const struct sg_key *k)
{
	struct daemon *d = ctx;

	return map_set(d->l.skel->maps.sg_keys, slot, k, sizeof(*k));
}

static int epoch_write(void *ctx, const struct sg_epoch_state *es)
{
	struct daemon *d = ctx;

	return map_set(d->l.skel->maps.sg_epoch, 0, es, sizeof(*es));
}

/* The sg_config the options say (without the flags the daemon and the
 * policy commands keep: SG_CFG_LOCAL, KCOOKIE, ALLOW/DENY). */
static void build_config(const struct daemon *d, const struct run_opts *o,
			 struct sg_config *cfg)
{
	__u32 mtu = 1500;

	memset(cfg, 0, sizeof(*cfg));
	cfg->flags = d->sysflags;
	iface_mtu(o->ifname, &mtu);
	cfg->mss4 = o->mss4 ? o->mss4 : (mtu > 576 ? mtu - 40 : 536);
	cfg->mss6 = o->mss6 ? o->mss6 : (mtu > 1280 ? mtu - 60 : 1220);
	/* Default: the shift the kernel would announce itself, so that a
	 * connection looks the same with or without synguard. The kernel
	 * engine has no choice: the kernel decodes its own. */
	if (d->engine == SG_ENGINE_KERNEL || o->wscale == ~0u)
		cfg->wscale = kernel_wscale();
	else
		cfg->wscale = o->wscale;
	cfg->ttl = o->ttl;
	cfg->window = o->window;
	memcpy(cfg->msstab4, msstab4_default, sizeof(cfg->msstab4));
	memcpy(cfg->msstab6, msstab6_default, sizeof(cfg->msstab6));
	cfg->tw_epochs =
		(SG_TW_SECONDS + o->key_period - 1) / o->key_period + 1;
	cfg->prefix4 = o->prefix4;
	cfg->prefix6 = o->prefix6;
	cfg->mask4 = htonl(~0u << (32 - o->prefix4));
	ipv6_mask(o->prefix6, cfg->mask6);
	cfg->synack_rate = o->synack_rate;
	cfg->synack_burst = o->synack_burst;
	sg_bucket_params(o->synack_rate, o->synack_burst, &cfg->synack_mul,
			 &cfg->synack_cap_ns);
	cfg->badck_burst = o->badck_rate ? o->badck_burst : 0;
	sg_bucket_params(o->badck_rate, o->badck_burst, &cfg->badck_mul,
			 &cfg->badck_cap_ns);
	cfg->ifindex = d->l.ifindex;
	if (!o->xdp_meta)
		cfg->flags |= SG_CFG_NO_META;
	if (o->engage == SG_ENGAGE_AUTO)
		cfg->flags |= SG_CFG_ENGAGE_AUTO;
	else if (o->engage == SG_ENGAGE_MONITOR)
		cfg->flags |= SG_CFG_MONITOR;
	memcpy(cfg->hkey, d->hkey, sizeof(cfg->hkey));
}

/* Flags kept by the daemon at run time and by the policy commands. */
#define SG_CFG_RUNTIME                                                   \
	(SG_CFG_LOCAL | SG_CFG_KCOOKIE | SG_CFG_ALLOW4 | SG_CFG_ALLOW6 | \
	 SG_CFG_DENY4 | SG_CFG_DENY6 | SG_CFG_NAT4 | SG_CFG_NAT6)

/* Write @cfg, keeping the run-time flags of the live config. */
static int config_write(struct daemon *d, struct sg_config *cfg)
{
	struct sg_config cur;
	__u32 zero = 0;

	if (!bpf_map__lookup_elem(d->l.skel->maps.sg_config, &zero,
				  sizeof(zero), &cur, sizeof(cur), 0)) {
		cfg->flags = (cfg->flags & ~SG_CFG_RUNTIME) |
			     (cur.flags & SG_CFG_RUNTIME);
		/* The daemon's view of the namespace, kept by tick(). */
		cfg->nlocal4 = cur.nlocal4;
		cfg->nlocal6 = cur.nlocal6;
		memcpy(cfg->local4, cur.local4, sizeof(cfg->local4));
		memcpy(cfg->local6, cur.local6, sizeof(cfg->local6));
	}
	return map_set(d->l.skel->maps.sg_config, 0, cfg, sizeof(*cfg));
}

/* Set and clear run-time flags in the live config (read-modify-write). */
static int config_flags(struct daemon *d, __u32 set, __u32 clear)
{
	struct sg_config cur;
	__u32 zero = 0, was;

	if (bpf_map__lookup_elem(d->l.skel->maps.sg_config, &zero, sizeof(zero),
				 &cur, sizeof(cur), 0))
		return -errno;
	was = cur.flags;
	cur.flags = (cur.flags | set) & ~clear;
	if (cur.flags == was)
		return 0;
	return map_set(d->l.skel->maps.sg_config, 0, &cur, sizeof(cur));
}

/*
 * Copy a few local addresses from sg_local4/6 into the config, where the
 * program compares them in place (no hash lookup per SYN); more than fit
 * leave it to the maps.
 */
static int local_list(struct daemon *d)
{
	int fd4 = bpf_map__fd(d->l.skel->maps.sg_local4);
	int fd6 = bpf_map__fd(d->l.skel->maps.sg_local6);
	struct sg_config cur;
	__u32 zero = 0, n4 = 0, n6 = 0, k4, prev4;
	struct sg_in6 k6, prev6;
	int first;

	if (bpf_map__lookup_elem(d->l.skel->maps.sg_config, &zero, sizeof(zero),
				 &cur, sizeof(cur), 0))
		return -errno;
	memset(cur.local4, 0, sizeof(cur.local4));
	memset(cur.local6, 0, sizeof(cur.local6));
	for (first = 1; !bpf_map_get_next_key(fd4, first ? NULL : &prev4, &k4);
	     first = 0, prev4 = k4) {
		if (n4 < SG_LOCAL_LIST)
			cur.local4[n4] = k4;
		n4++;
	}
	for (first = 1; !bpf_map_get_next_key(fd6, first ? NULL : &prev6, &k6);
	     first = 0, prev6 = k6) {
		if (n6 < SG_LOCAL_LIST6)
			memcpy(cur.local6[n6], k6.addr, sizeof(k6.addr));
		n6++;
	}
	/* A count past the list (or 0) sends the program to the maps. */
	cur.nlocal4 = n4 <= SG_LOCAL_LIST ? n4 : SG_LOCAL_LIST + 1;
	cur.nlocal6 = n6 <= SG_LOCAL_LIST6 ? n6 : SG_LOCAL_LIST6 + 1;
	return map_set(d->l.skel->maps.sg_config, 0, &cur, sizeof(cur));
}

/* Ports and lists as @o says (entries added live last until a restart
 * or a reload). */
static int write_policy(struct daemon *d, const struct run_opts *o)
{
	struct sg_loader *l = &d->l;
	__u32 i;
	int err = 0;

	for (i = 0; i < SG_PORT_WORDS && !err; i++)
		err = map_set(l->skel->maps.sg_ports, i, &o->ports[i],
			      sizeof(o->ports[i]));
	if (!err)
		err = clear_lists(l);
	for (i = 0; i < (__u32)o->nallow && !err; i++)
		err = sg_list_update(bpf_map__fd(l->skel->maps.sg_allow4),
				     bpf_map__fd(l->skel->maps.sg_allow6),
				     &o->allow[i], 1);
	for (i = 0; i < (__u32)o->ndeny && !err; i++)
		err = sg_list_update(bpf_map__fd(l->skel->maps.sg_deny4),
				     bpf_map__fd(l->skel->maps.sg_deny6),
				     &o->deny[i], 1);
	if (!err)
		err = sg_policy_sync_flags(o->pin_root, o->ifname);
	return err;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The wall clock's seconds, for the key epoch: from the same clock as the
 * wake-up at each epoch boundary (now_ms()). Not time(NULL): that reads
 * the coarse clock, which a few milliseconds after a second begins may
 * still show the second before, so a daemon woken at the boundary went
 * on with the old epoch (and back to it after other wake-ups): up to a
 * period behind the clock and its fleet, whose fresh cookies it refused.
 */
static time_t wall_now(void)
{
	return (time_t)(now_ms() / 1000);
}

static int configure(struct daemon *d)
{
	struct sg_config cfg;
	int err;

	if (d->engine == SG_ENGINE_KERNEL && d->o.wscale != ~0u &&
	    d->o.wscale != kernel_wscale())
		pr_warn("synguard: --wscale ignored: the kernel engine must "
			"announce the kernel's own shift (%u)\n",
			kernel_wscale());
	if (getrandom(d->hkey, sizeof(d->hkey), 0) != sizeof(d->hkey)) {
		pr_warn("synguard: getrandom failed: %s\n", strerror(errno));
		return -EIO;
	}
	build_config(d, &d->o, &cfg);
	err = map_set(d->l.skel->maps.sg_config, 0, &cfg, sizeof(cfg));
	if (!err)
		err = write_policy(d, &d->o);
	if (!err)
		err = sg_keyring_set(&d->kr,
				     sg_keyring_want(&d->kr, wall_now()));
	if (!err)
		pr_debug("synguard: mss %u/%u wscale %u ttl %u window %u "
			 "flags 0x%x synack-rate %u/%u per /%u,/%u\n",
			 cfg.mss4, cfg.mss6, cfg.wscale, cfg.ttl, cfg.window,
			 cfg.flags, cfg.synack_rate, cfg.synack_burst,
			 cfg.prefix4, cfg.prefix6);
	return err;
}

static void write_info(struct daemon *d)
{
	struct sg_loader *l = &d->l;
	struct sg_info *info = &d->info;
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi);

	info->engine = l->engine;
	info->xdp_mode = l->mode;
	info->legacy = l->libxdp;
	info->pid = getpid();
	info->key_period = d->kr.period;
	info->key_file = d->kr.from_file;
	info->engage = d->o.engage;
	info->tc_uppers = l->nuppers;
	info->netns = sg_netns_id();
	if (!bpf_obj_get_info_by_fd(
		    bpf_program__fd(l->skel->progs.synguard_xdp), &pi, &len))
		info->xdp_id = pi.id;
	memset(&pi, 0, sizeof(pi));
	len = sizeof(pi);
	if (l->tc_attached &&
	    !bpf_obj_get_info_by_fd(bpf_program__fd(l->skel->progs.synguard_tc),
				    &pi, &len))
		info->tc_id = pi.id;
	map_set(l->skel->maps.sg_info, 0, info, sizeof(*info));
}

/*
 * The sysctl originals of our record as the map holds them now: a synguard
 * of this namespace that stopped since may have handed its own over to us
 * there (sg_sysctl_release()). Taken before each write of the record and
 * before we put them back at exit, so that they are neither overwritten
 * nor forgotten.
 */
static void info_take_sysctls(struct daemon *d)
{
	struct sg_info rec;
	__u32 zero = 0;

	if (bpf_map__lookup_elem(d->l.skel->maps.sg_info, &zero, sizeof(zero),
				 &rec, sizeof(rec), 0))
		return;
	d->info.sysctl_saved = rec.sysctl_saved;
	d->info.orig_syncookies = rec.orig_syncookies;
	d->info.orig_timestamps = rec.orig_timestamps;
}

/* Write our record (after start). */
static void info_update(struct daemon *d)
{
	int lk = sg_records_lock(d->l.pin_root);

	info_take_sysctls(d);
	map_set(d->l.skel->maps.sg_info, 0, &d->info, sizeof(d->info));
	sg_records_unlock(lk);
}

/* TcpExt SyncookiesSent and ListenOverflows of this namespace. */
static int tcpext(__u64 *cookies, __u64 *overflows)
{
	char names[4096], vals[4096], *ns, *vs, *n, *v;
	FILE *f = fopen("/proc/net/netstat", "re");
	int found = 0;

	if (!f)
		return -errno;
	while (fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(names, "TcpExt:", 7) || strncmp(vals, "TcpExt:", 7))
			continue;
		n = strtok_r(names + 7, " \n", &ns);
		v = strtok_r(vals + 7, " \n", &vs);
		for (; n && v; n = strtok_r(NULL, " \n", &ns),
			       v = strtok_r(NULL, " \n", &vs)) {
			if (!strcmp(n, "SyncookiesSent")) {
				*cookies = strtoull(v, NULL, 10);
				found |= 1;
			} else if (!strcmp(n, "ListenOverflows")) {
				*overflows = strtoull(v, NULL, 10);
				found |= 2;
			}
		}
	}
	fclose(f);
	return found == 3 ? 0 : -ENOENT;
}

/* SYNs to protected ports XDP has seen, summed over CPUs. */
static __u64 syn_total(struct daemon *d)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	__u32 key = SG_E_SYN_RX;
	__u64 *v, sum = 0;

	if (ncpu <= 0)
		return 0;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(d->l.skel->maps.sg_stats), &key,
				 v))
		for (i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define SG_KCOOKIE_WINDOW 130 /* s: a kernel SYN cookie is good for ~2 min */

/* Once a second (and at each epoch boundary). */
static void tick(struct daemon *d, int forced)
{
	time_t now = wall_now();
	__u64 cookies = 0, ovf = 0, syn;
	long long ms = mono_ms();
	int changed = 0, refused = 0, defends = 0, err;
	__u32 want;

	/* Keys: the clock's epoch, or one ahead on `keys rotate`. */
	if (forced) {
		err = sg_keyring_force(&d->kr, now);
		if (err == -EALREADY) {
			pr_warn("synguard: keys rotate: %s is one epoch ahead of "
				"the clock already (the fleet accepts no "
				"further); wait for the next period\n",
				d->l.ifname);
			d->info.rotate_refused++;
			refused = 1;
		} else if (!err) {
			changed = 1;
		}
	}
	want = sg_keyring_want(&d->kr, now);
	if (want != d->kr.epoch) {
		if (sg_keyring_set(&d->kr, want)) {
			pr_warn("synguard: key rotation failed; the previous "
				"key stays in use\n");
		} else {
			changed = 1;
		}
	}
	if (changed) {
		d->info.rotations++;
		d->info.rotated = now;
		pr_debug("synguard: %s key epoch %u\n", d->l.ifname,
			 d->kr.epoch);
	}

	/* Which destinations and ports are ours. */
	if (d->ns) {
		struct sg_netstate_stats st;

		err = sg_netstate_sync(
			d->ns, bpf_map__fd(d->l.skel->maps.sg_local4),
			bpf_map__fd(d->l.skel->maps.sg_local6),
			bpf_map__fd(d->l.skel->maps.sg_lports), &st);
		if (!err && (!d->local_ready || st.added || st.removed))
			err = local_list(d);
		if (!err && !d->local_ready &&
		    !config_flags(d, SG_CFG_LOCAL, 0)) {
			d->local_ready = 1;
			pr_debug(
				"synguard: %u+%u local addresses, %u listening "
				"ports (%u MPTCP)\n",
				st.addrs4, st.addrs6, st.ports, st.mptcp_ports);
		}
	}

	/* Conntrack NAT appearing (a container runtime starting): the own
	 * engine's hand-off would be undone; leave those SYNs to the kernel. */
	if (d->engine == SG_ENGINE_OWN) {
		unsigned int nat = sg_nat_hooks();
		__u32 want = (nat & SG_NAT4 ? SG_CFG_NAT4 : 0) |
			     (nat & SG_NAT6 ? SG_CFG_NAT6 : 0);

		if (want != d->nat_flags) {
			if (want)
				pr_warn("synguard: connection-tracking NAT is "
					"set up in this namespace (IPv%s): the "
					"kernel undoes the own engine's "
					"hand-off there, so those SYNs go to "
					"the kernel's own SYN cookies; run "
					"with --cookie kernel on NAT hosts\n",
					want == (SG_CFG_NAT4 | SG_CFG_NAT6) ?
						"4 and IPv6" :
					want == SG_CFG_NAT4 ? "4" :
							      "6");
			else
				pr_info("synguard: no connection-tracking NAT "
					"here any more: answering SYNs again\n");
			if (!config_flags(d, want,
					  (SG_CFG_NAT4 | SG_CFG_NAT6) & ~want))
				d->nat_flags = want;
		}
	}

	/* VLAN devices above: the TC hand-off there too. */
	if (d->l.tc_attached &&
	    (__u32)sg_loader_sync_uppers(&d->l) != d->info.tc_uppers) {
		d->info.tc_uppers = d->l.nuppers;
		changed = 1;
	}

	/* Is the kernel defending itself (its own cookies, full queues)? */
	if (!tcpext(&cookies, &ovf)) {
		if (d->last_ms &&
		    (cookies > d->last_cookies || ovf > d->last_ovf))
			defends = 1;
		if (d->last_ms && cookies > d->last_cookies)
			d->kcookie_seen = now;
		d->last_cookies = cookies;
		d->last_ovf = ovf;
	}
	config_flags(
		d,
		d->kcookie_seen && now - d->kcookie_seen < SG_KCOOKIE_WINDOW ?
			SG_CFG_KCOOKIE :
			0,
		d->kcookie_seen && now - d->kcookie_seen < SG_KCOOKIE_WINDOW ?
			0 :
			SG_CFG_KCOOKIE);

	/* --engage auto. */
	syn = syn_total(d);
	if (d->o.engage == SG_ENGAGE_AUTO && d->last_ms && ms > d->last_ms) {
		struct sg_engage_cfg c = { d->o.engage_on, d->o.engage_off,
					   d->o.engage_hold };
		double rate = (double)(syn - d->last_syn) * 1000.0 /
			      (double)(ms - d->last_ms);

		if (sg_engage_step(&d->eng, &c, rate, defends, now)) {
			if (sg_keyring_engage(&d->kr, d->eng.engaged))
				pr_warn("synguard: couldn't publish the "
					"engagement\n");
			pr_info("synguard: %s %s: %.0f SYN/s%s\n", d->l.ifname,
				d->eng.engaged ? "engaged" : "stands down",
				rate,
				defends ?
					", the kernel is sending SYN cookies" :
					"");
			sg_notifyf("STATUS=%s %s", d->l.ifname,
				   d->eng.engaged ? "engaged: answering SYNs" :
						    "standing by (auto)");
		}
	}
	d->last_syn = syn;
	d->last_ms = ms;
	if (changed || refused)
		info_update(d);
}

/*
 * SIGHUP: read the command line and the config file again and apply what
 * can change live (ports, lists, rates, MSS, window, TTL, engagement,
 * ...); what cannot (interface, XDP mode, engine, keys, pin root, metrics
 * address) keeps its value, with a note. A bad config keeps the running
 * one.
 */
static void reload(struct daemon *d)
{
	struct run_opts n;
	struct sg_config cfg;
	int err;

	err = parse_run(d->argc, d->argv, &n);
	if (err) {
		pr_warn("synguard: reload: the configuration has errors (see "
			"above); nothing changed\n");
		return;
	}
	if (!n.pin_root[0])
		snprintf(n.pin_root, sizeof(n.pin_root), "%s", d->o.pin_root);
#define KEEP(field, what)                                                   \
	do {                                                                \
		if (memcmp(&n.field, &d->o.field, sizeof(n.field)))         \
			pr_warn("synguard: reload: %s changes only with a " \
				"restart; keeping the running one\n",       \
				what);                                      \
		memcpy(&n.field, &d->o.field, sizeof(n.field));             \
	} while (0)
	KEEP(mode, "mode");
	KEEP(engine, "cookie");
	KEEP(key_period, "key-period");
	KEEP(key_file, "key-file");
	KEEP(pin_root, "pin-root");
	KEEP(metrics, "metrics");
	KEEP(set_sysctl, "set-sysctl");
#undef KEEP
	n.ifname = d->o.ifname;
	build_config(d, &n, &cfg);
	err = config_write(d, &cfg);
	if (!err)
		err = write_policy(d, &n);
	if (err) {
		pr_warn("synguard: reload failed half-way: %s\n",
			strerror(-err));
		return;
	}
	if (n.engage != d->o.engage) {
		d->eng.engaged = 0;
		sg_keyring_engage(&d->kr, 0);
	}
	d->o = n;
	d->info.engage = n.engage;
	info_update(d);
	pr_info("synguard: reloaded the configuration of %s\n", d->l.ifname);
	sg_notifyf("STATUS=reloaded the configuration of %s", d->l.ifname);
}

int cmd_run(int argc, char **argv)
{
	struct daemon d = { .argc = argc, .argv = argv };
	struct run_opts *o = &d.o;
	struct sg_loader *l = &d.l;
	char portstr[256], err_msg[PATH_MAX + 128];
	const char *missing;
	enum sg_engine engine;
	sigset_t set;
	int err, sig = 0, i;
	long wd_ms;

	err = parse_run(argc, argv, o);
	if (err)
		return err < 0 ? SG_EXIT_OK : err;

	if (!o->pin_root[0]) /* sg_pin_root() returns its argument when set */
		snprintf(o->pin_root, sizeof(o->pin_root), "%s",
			 sg_pin_root(NULL));
	if (sg_check_bpffs(o->pin_root))
		return SG_EXIT_FAIL;
	sg_libxdp_bpffs(o->pin_root);

	d.kr.period = o->key_period;
	d.kr.ops.write_key = key_write;
	d.kr.ops.write_epoch = epoch_write;
	d.kr.ops.ctx = &d;
	if (o->key_file[0]) {
		if (sg_key_file_load(o->key_file, &d.kr.master, err_msg,
				     sizeof(err_msg))) {
			pr_warn("synguard: %s\n", err_msg);
			return SG_EXIT_FAIL;
		}
		d.kr.from_file = 1;
	}

	/* Below the kernel engine's minimum nothing loads, and the only
	 * explanation would be the verifier's log of the refusal: say it
	 * in one line, before anything is changed. */
	missing = sg_missing_helper();
	if (missing) {
		struct utsname u;

		pr_warn("synguard: this kernel (%s) lacks the BPF helper %s: "
			"synguard needs Linux 5.15 or later\n",
			uname(&u) ? "unknown" : u.release, missing);
		return SG_EXIT_FAIL;
	}

	if (o->engine < 0) {
		engine = sg_have_reqsk_kfunc() ? SG_ENGINE_OWN :
						 SG_ENGINE_KERNEL;
		if (engine == SG_ENGINE_OWN && sg_nat_hooks()) {
			engine = SG_ENGINE_KERNEL;
			pr_info("synguard: connection-tracking NAT is set up in "
				"this network namespace, which undoes the own "
				"engine's hand-off: using the kernel engine\n");
		}
	} else {
		engine = o->engine;
	}
	if (engine == SG_ENGINE_OWN && !sg_have_reqsk_kfunc()) {
		pr_warn("synguard: the own engine needs bpf_sk_assign_tcp_reqsk "
			"(Linux 6.9 or later); use --cookie kernel\n");
		return SG_EXIT_FAIL;
	}
	d.engine = engine;
	if (engine == SG_ENGINE_KERNEL && d.kr.from_file)
		pr_warn("synguard: --key-file has no effect with the kernel "
			"engine (the kernel mints its own cookies)\n");

	/* Handle signals synchronously from here on: nothing is attached
	 * yet that a signal could leave behind. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN); /* a scraper hanging up must not kill us */

	err = check_sysctls(o, engine, &d.sysflags);
	if (err)
		return SG_EXIT_FAIL;

	err = pins_not_shared(o);
	if (!err)
		err = sg_loader_open(l, o->pin_root, o->ifname, engine);
	if (!err)
		err = sg_loader_attach(l, o->mode);
	if (!err)
		err = configure(&d);
	if (err)
		goto out;
	/* The sysctls this start changed, in the pinned record: put back by
	 * the namespace's last synguard to stop, even after a crash. */
	{
		struct sg_info stale = { 0 }; /* of a crashed daemon here */

		if (!sg_info_read(o->pin_root, o->ifname, &stale)) {
			d.info.sysctl_saved =
				stale.sysctl_saved &
				(SG_SYSCTL_COOKIES | SG_SYSCTL_TS);
			d.info.orig_syncookies = stale.orig_syncookies;
			d.info.orig_timestamps = stale.orig_timestamps;
		}
	}
	for (i = 0; i < (int)ARRAY_SIZE(saved); i++) {
		if (!saved[i].changed)
			continue;
		d.info.sysctl_saved |= i ? SG_SYSCTL_TS : SG_SYSCTL_COOKIES;
		if (i)
			d.info.orig_timestamps = saved[i].old;
		else
			d.info.orig_syncookies = saved[i].old;
		saved[i].changed = 0; /* the record has it now */
	}
	d.info.netns = sg_netns_id();
	d.info.started = d.info.rotated = time(NULL);
	sg_loader_sync_uppers(l);
	{
		int lk = sg_records_lock(o->pin_root);

		sg_sysctl_adopt(o->pin_root, o->ifname, &d.info);
		write_info(&d);
		sg_records_unlock(lk);
	}

	d.ns = sg_netstate_open();
	if (!d.ns)
		pr_warn("synguard: can't follow this namespace's addresses and "
			"listeners (%s): every SYN to a protected port is "
			"answered\n",
			strerror(errno));

	if (strcmp(o->metrics, "off")) {
		sg_metrics_forget(&d.kr.master, sizeof(d.kr.master));
		sg_metrics_forget(d.hkey, sizeof(d.hkey));
		d.metrics = sg_metrics_spawn(
			o->metrics, o->pin_root,
			engine == SG_ENGINE_OWN ? "own" : "kernel");
		if (!d.metrics && o->metrics_explicit) {
			pr_err("synguard: couldn't serve metrics on %s: %s\n",
			       o->metrics, strerror(errno));
			err = -errno;
			goto out;
		}
		if (!d.metrics)
			pr_warn("synguard: metrics: %s unavailable (%s; another "
				"synguard serving every interface there?); "
				"continuing without; set --metrics ADDR:PORT or "
				"off\n",
				o->metrics, strerror(errno));
	}
	tick(&d, 0); /* addresses and listeners before the first SYN */

	sg_ports_format(o->ports, portstr, sizeof(portstr));
	pr_info("synguard: ready on %s: XDP %s (%s), engine %s, ports %s, keys %s "
		"every %us, engage %s, metrics %s, pins %s\n",
		l->ifname, sg_mode_name(l->mode), sg_libxdp_name(l->libxdp),
		engine == SG_ENGINE_OWN ? "own" : "kernel", portstr,
		d.kr.from_file ? "from key file" : "random", d.kr.period,
		o->engage == SG_ENGAGE_AUTO    ? "auto" :
		o->engage == SG_ENGAGE_MONITOR ? "monitor (passes everything)" :
						 "always",
		d.metrics ? o->metrics : "off", l->pin_dir);
	sg_notifyf("READY=1\nSTATUS=protecting %s: XDP %s, engine %s, ports "
		   "%s, metrics %s",
		   l->ifname, sg_mode_name(l->mode),
		   engine == SG_ENGINE_OWN ? "own" : "kernel", portstr,
		   d.metrics ? o->metrics : "off");

	wd_ms = sg_watchdog_tick();
	for (;;) {
		/* Wake every second, right at each epoch boundary, and when
		 * the next watchdog ping is due. */
		long ms = sg_keyring_ms_to_boundary(&d.kr, now_ms()) + 2;
		struct timespec ts;

		if (ms > 1000)
			ms = 1000;
		if (wd_ms >= 0 && ms > wd_ms)
			ms = wd_ms;
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		sig = sigtimedwait(&set, NULL, &ts);
		wd_ms = sg_watchdog_tick();
		if (sig == SIGHUP) {
			reload(&d);
			continue;
		}
		if (sig > 0 && sig != SIGUSR1)
			break;
		tick(&d, sig == SIGUSR1);
	}
	pr_info("synguard: %s, detaching from %s\n", strsignal(sig), l->ifname);
	sg_notifyf("STOPPING=1\nSTATUS=%s, detaching from %s", strsignal(sig),
		   l->ifname);
out:
	sg_metrics_stop(d.metrics);
	sg_netstate_close(d.ns);
	sg_keyring_wipe(&d.kr);
	if (l->skel && d.info.pid) {
		/* Under the lock, and our record says we are gone before it is
		 * released: a synguard stopping at the same time then sees
		 * us gone and restores, instead of handing over to us. */
		int lk = sg_records_lock(o->pin_root);

		info_take_sysctls(&d);
		d.info.pid = 0;
		sg_sysctl_release(o->pin_root, o->ifname, &d.info);
		map_set(l->skel->maps.sg_info, 0, &d.info, sizeof(d.info));
		sg_records_unlock(lk);
	}
	sg_loader_close(l);
	if (err && l->pin_dir_created)
		sg_unpin(l->pin_root,
			 l->ifname); /* a failed start leaves nothing */
	restore_sysctls();	     /* what no record holds: a failed start */
	return err ? SG_EXIT_FAIL : SG_EXIT_OK;
}

int cmd_detach(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pin-root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pin_root = NULL;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			pin_root = optarg;
			break;
		case 'h':
			sg_usage(stdout, "detach");
			return SG_EXIT_OK;
		case ':':
			fprintf(stderr,
				"synguard detach: option '%s' needs a "
				"value\n",
				argv[optind - 1]);
			return SG_EXIT_USAGE;
		default:
			fprintf(stderr,
				"synguard detach: unknown option '%s'\n",
				argv[optind - 1]);
			return SG_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "synguard detach: want exactly one interface "
				"(try 'synguard detach --help')\n");
		return SG_EXIT_USAGE;
	}
	if (strlen(argv[optind]) >= IF_NAMESIZE || strchr(argv[optind], '/') ||
	    !argv[optind][0]) {
		fprintf(stderr, "synguard detach: bad interface name '%s'\n",
			argv[optind]);
		return SG_EXIT_USAGE;
	}
	{
		/* A crashed daemon's saved sysctls: put back (or hand over to
		 * a synguard of this namespace that still runs). */
		struct sg_info info;
		const char *root = sg_pin_root(pin_root);
		int lk = sg_records_lock(root);

		if (!sg_info_read(root, argv[optind], &info) &&
		    info.sysctl_saved && info.netns == sg_netns_id() &&
		    !(info.pid && sg_daemon_alive(info.pid)))
			sg_sysctl_release(root, argv[optind], &info);
		sg_records_unlock(lk);
	}
	return sg_detach_iface(sg_pin_root(pin_root), argv[optind]) ?
		       SG_EXIT_FAIL :
		       SG_EXIT_OK;
}
