// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * `synguard run`: load, configure and attach on one interface, then stay in
 * the foreground until SIGINT/SIGTERM and remove what was attached. Map
 * pins stay (counters survive a restart); `synguard detach` removes them.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cmds.h"
#include "loader.h"
#include "log.h"
#include "main.h"
#include "synguard.skel.h"
#include "util.h"

#define SG_KEY_PERIOD_DEFAULT 60
#define SG_TW_SECONDS 60 /* TCP_TIMEWAIT_LEN */

static const __u16 msstab4_default[SG_MSS_TABLE_LEN] = {
	536, 1200, 1300, 1380, 1440, 1452, 1460, 8960,
};
static const __u16 msstab6_default[SG_MSS_TABLE_LEN] = {
	1220, 1280, 1340, 1380, 1420, 1432, 1440, 8940,
};

struct run_opts {
	const char *ifname;
	const char *pin_root;
	__u32 ports[SG_PORT_WORDS];
	int nports;
	enum xdp_attach_mode mode;
	int engine; /* -1: auto */
	int set_sysctl;
	__u32 mss4, mss6, wscale, ttl, window; /* 0 / ~0: derive */
	__u32 key_period;
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
	fprintf(f,
		"Usage: synguard run IFACE --ports LIST [options]\n\n"
		"Attach synguard to IFACE and serve until SIGINT/SIGTERM.\n\n"
		"  -p, --ports LIST      protected TCP ports: 80,443,8000-8010 "
		"(required)\n"
		"  -m, --mode MODE       XDP mode: native, generic or auto "
		"(default auto:\n"
		"                        native, falling back to generic)\n"
		"  -c, --cookie ENGINE   own, kernel or auto (default auto: own "
		"when the\n"
		"                        kernel has bpf_sk_assign_tcp_reqsk)\n"
		"      --set-sysctl      set net.ipv4.tcp_syncookies (and for "
		"the kernel\n"
		"                        engine tcp_timestamps) as the engine "
		"needs;\n"
		"                        restored on exit\n"
		"      --mss4 N          MSS in IPv4 SYN-ACKs (default: MTU - 40)\n"
		"      --mss6 N          MSS in IPv6 SYN-ACKs (default: MTU - 60)\n"
		"      --wscale N        our window scale 0-14 (default: what "
		"the kernel\n"
		"                        computes from tcp_rmem/rmem_max; "
		"fixed so\n"
		"                        for the kernel engine)\n"
		"      --ttl N           TTL/hop limit of SYN-ACKs (default 64)\n"
		"      --window N        SYN-ACK window 1-65535 (default 65535)\n"
		"      --key-period S    cookie epoch length in seconds "
		"(default 60)\n"
		"      --pin-root DIR    bpffs directory for pins (default "
		"$%s or\n"
		"                        %s)\n"
		"  -h, --help            this help\n",
		SG_PIN_ROOT_ENV, SG_PIN_ROOT_DEFAULT);
}

static int usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, "synguard run: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (try 'synguard run --help')\n");
	return SG_EXIT_USAGE;
}

static int parse_run(int argc, char **argv, struct run_opts *o)
{
	enum {
		O_SET_SYSCTL = 256,
		O_MSS4,
		O_MSS6,
		O_WSCALE,
		O_TTL,
		O_WINDOW,
		O_PERIOD,
		O_PIN_ROOT
	};
	static const struct option lo[] = {
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[128];
	int c;

	memset(o, 0, sizeof(*o));
	o->engine = -1;
	o->wscale = ~0u;
	o->ttl = 64;
	o->window = 65535;
	o->key_period = SG_KEY_PERIOD_DEFAULT;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:m:c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->nports = sg_parse_ports(optarg, o->ports, err,
						   sizeof(err));
			if (o->nports < 0)
				return usage_err("%s", err);
			break;
		case 'm':
			if (!strcmp(optarg, "native"))
				o->mode = XDP_MODE_NATIVE;
			else if (!strcmp(optarg, "generic") ||
				 !strcmp(optarg, "skb"))
				o->mode = XDP_MODE_SKB;
			else if (!strcmp(optarg, "auto"))
				o->mode = XDP_MODE_UNSPEC;
			else
				return usage_err("bad --mode '%s' (native, "
						 "generic or auto)",
						 optarg);
			break;
		case 'c':
			if (!strcmp(optarg, "own"))
				o->engine = SG_ENGINE_OWN;
			else if (!strcmp(optarg, "kernel"))
				o->engine = SG_ENGINE_KERNEL;
			else if (!strcmp(optarg, "auto"))
				o->engine = -1;
			else
				return usage_err("bad --cookie '%s' (own, "
						 "kernel or auto)",
						 optarg);
			break;
		case O_SET_SYSCTL:
			o->set_sysctl = 1;
			break;
		case O_MSS4:
			if (sg_parse_u32(optarg, 536, 65495, &o->mss4))
				return usage_err("bad --mss4 '%s' (536-65495)",
						 optarg);
			break;
		case O_MSS6:
			if (sg_parse_u32(optarg, 1220, 65475, &o->mss6))
				return usage_err("bad --mss6 '%s' (1220-65475)",
						 optarg);
			break;
		case O_WSCALE:
			if (sg_parse_u32(optarg, 0, 14, &o->wscale))
				return usage_err("bad --wscale '%s' (0-14)",
						 optarg);
			break;
		case O_TTL:
			if (sg_parse_u32(optarg, 1, 255, &o->ttl))
				return usage_err("bad --ttl '%s' (1-255)",
						 optarg);
			break;
		case O_WINDOW:
			if (sg_parse_u32(optarg, 1, 65535, &o->window))
				return usage_err("bad --window '%s' (1-65535)",
						 optarg);
			break;
		case O_PERIOD:
			if (sg_parse_u32(optarg, 1, 86400, &o->key_period))
				return usage_err("bad --key-period '%s' "
						 "(1-86400 seconds)",
						 optarg);
			break;
		case O_PIN_ROOT:
			o->pin_root = optarg;
			break;
		case 'h':
			run_usage(stdout);
			return -1;
		case ':':
			return usage_err("option '%s' needs a value",
					 argv[optind - 1]);
		default:
			return usage_err("unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_err("%s", "no interface given");
	if (optind + 1 < argc)
		return usage_err("unexpected argument '%s'", argv[optind + 1]);
	o->ifname = argv[optind];
	if (strlen(o->ifname) >= IF_NAMESIZE || strchr(o->ifname, '/'))
		return usage_err("bad interface name '%s'", o->ifname);
	if (!o->nports)
		return usage_err("%s", "--ports is required");
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

/* Install a fresh random key for @epoch in its slot, then make it current. */
static int install_key(struct synguard_bpf *skel, __u32 epoch)
{
	struct sg_epoch_state es = { .epoch = epoch };
	struct sg_key k = { .epoch = epoch, .valid = 1 };
	__u64 rnd[2];
	int err;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		pr_warn("synguard: getrandom failed: %s\n", strerror(errno));
		return -EIO;
	}
	k.k0 = rnd[0];
	k.k1 = rnd[1];
	err = map_set(skel->maps.sg_keys, epoch % SG_KEY_SLOTS, &k, sizeof(k));
	explicit_bzero(&k, sizeof(k));
	explicit_bzero(rnd, sizeof(rnd));
	if (err)
		return err;
	return map_set(skel->maps.sg_epoch, 0, &es, sizeof(es));
}

static int configure(struct sg_loader *l, const struct run_opts *o, __u32 flags)
{
	struct sg_config cfg = { .flags = flags };
	__u32 mtu = 1500, i, zero = 0;
	int err;

	iface_mtu(o->ifname, &mtu);
	cfg.mss4 = o->mss4 ? o->mss4 : (mtu > 576 ? mtu - 40 : 536);
	cfg.mss6 = o->mss6 ? o->mss6 : (mtu > 1280 ? mtu - 60 : 1220);
	/* Default: the shift the kernel would announce itself, so that a
	 * connection looks the same with or without synguard. The kernel
	 * engine has no choice: the kernel decodes its own. */
	if (l->engine == SG_ENGINE_KERNEL || o->wscale == ~0u)
		cfg.wscale = kernel_wscale();
	else
		cfg.wscale = o->wscale;
	if (l->engine == SG_ENGINE_KERNEL && o->wscale != ~0u &&
	    o->wscale != cfg.wscale)
		pr_warn("synguard: --wscale ignored: the kernel engine must "
			"announce the kernel's own shift (%u)\n",
			cfg.wscale);
	cfg.ttl = o->ttl;
	cfg.window = o->window;
	memcpy(cfg.msstab4, msstab4_default, sizeof(cfg.msstab4));
	memcpy(cfg.msstab6, msstab6_default, sizeof(cfg.msstab6));
	cfg.tw_epochs = (SG_TW_SECONDS + o->key_period - 1) / o->key_period + 1;

	err = map_set(l->skel->maps.sg_config, zero, &cfg, sizeof(cfg));
	for (i = 0; i < SG_PORT_WORDS && !err; i++)
		err = map_set(l->skel->maps.sg_ports, i, &o->ports[i],
			      sizeof(o->ports[i]));
	if (!err)
		err = install_key(l->skel, time(NULL) / o->key_period);
	if (!err)
		pr_debug("synguard: mss %u/%u wscale %u ttl %u window %u "
			 "flags 0x%x\n",
			 cfg.mss4, cfg.mss6, cfg.wscale, cfg.ttl, cfg.window,
			 cfg.flags);
	return err;
}

static void ports_string(const __u32 *bm, char *buf, size_t len)
{
	size_t off = 0;
	__u32 p, lo;

	buf[0] = '\0';
	for (p = 1; p < 65536 && off < len; p++) {
		if (!(bm[p >> 5] & (1u << (p & 31))))
			continue;
		lo = p;
		while (p + 1 < 65536 &&
		       (bm[(p + 1) >> 5] & (1u << ((p + 1) & 31))))
			p++;
		off += snprintf(buf + off, len - off,
				lo == p ? "%s%u" : "%s%u-%u", off ? "," : "",
				lo, p);
	}
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct sg_loader l = { .skel = NULL };
	enum sg_engine engine;
	const char *root;
	char portstr[256];
	sigset_t set;
	__u32 flags = 0;
	int err, sig;

	err = parse_run(argc, argv, &o);
	if (err)
		return err < 0 ? SG_EXIT_OK : err;

	root = sg_pin_root(o.pin_root);
	if (sg_check_bpffs(root))
		return SG_EXIT_FAIL;
	sg_libxdp_bpffs(root);

	if (o.engine < 0)
		engine = sg_have_reqsk_kfunc() ? SG_ENGINE_OWN :
						 SG_ENGINE_KERNEL;
	else
		engine = o.engine;
	if (engine == SG_ENGINE_OWN && !sg_have_reqsk_kfunc()) {
		pr_warn("synguard: the own engine needs bpf_sk_assign_tcp_reqsk "
			"(Linux 6.9 or later); use --cookie kernel\n");
		return SG_EXIT_FAIL;
	}

	/* Handle signals synchronously from here on: nothing is attached
	 * yet that a signal could leave behind. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);

	err = check_sysctls(&o, engine, &flags);
	if (err)
		return SG_EXIT_FAIL;

	err = sg_loader_open(&l, root, o.ifname, engine);
	if (!err)
		err = sg_loader_attach(&l, o.mode);
	if (!err)
		err = configure(&l, &o, flags);
	if (err)
		goto out;

	ports_string(o.ports, portstr, sizeof(portstr));
	pr_info("synguard: ready on %s: XDP %s%s, engine %s, ports %s, pins "
		"%s\n",
		l.ifname, sg_mode_name(l.mode),
		l.legacy ? " (single-program)" : " (libxdp dispatcher)",
		engine == SG_ENGINE_OWN ? "own" : "kernel", portstr, l.pin_dir);

	for (;;) {
		struct timespec ts = { .tv_sec = 1 };

		sig = sigtimedwait(&set, NULL, &ts);
		if (sig > 0)
			break;
	}
	pr_info("synguard: %s, detaching from %s\n", strsignal(sig), l.ifname);
out:
	sg_loader_close(&l);
	restore_sysctls();
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
			printf("Usage: synguard detach IFACE [--pin-root DIR]\n\n"
			       "Remove everything synguard left on IFACE: its XDP "
			       "program, its TC\nfilter and its map pins (after a "
			       "crash too). Other programs are\nleft alone.\n");
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
	return sg_detach_iface(sg_pin_root(pin_root), argv[optind]) ?
		       SG_EXIT_FAIL :
		       SG_EXIT_OK;
}
