// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * `synguard stats`: the XDP/TC counters from the pinned per-CPU map,
 * summed over CPUs, as text or JSON; with --watch, sampled every interval
 * with per-second rates until --count samples or SIGINT/SIGTERM.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cmds.h"
#include "counters.h"
#include "loader.h"
#include "log.h"
#include "main.h"
#include "pins.h"
#include "stats.h"
#include "usage.h"
#include "util.h"

#define WATCH_INTERVAL_MS 1000
#define WATCH_INTERVAL_MIN_MS 100
#define WATCH_INTERVAL_MAX_MS 86400000u

/* Sum the per-CPU counters pinned for @ifname into vals[SG_STAT_MAX]. */
int sg_read_stats(const char *pin_root, const char *ifname, __u64 *vals)
{
	int ncpu = libbpf_num_possible_cpus(), fd, err = 0;
	char path[PATH_MAX];
	__u64 *percpu;
	__u32 i;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	snprintf(path, sizeof(path), "%s/%s/%s", pin_root, ifname,
		 SG_MAP_STATS);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu) {
		close(fd);
		return -ENOMEM;
	}
	for (i = 0; i < SG_STAT_MAX && !err; i++) {
		int c;

		vals[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, percpu)) {
			err = -errno;
			break;
		}
		for (c = 0; c < ncpu; c++)
			vals[i] += percpu[c];
	}
	free(percpu);
	close(fd);
	return err;
}

static int print_iface(const char *root, const char *ifname, int json,
		       int first)
{
	__u64 vals[SG_STAT_MAX];
	int err = sg_read_stats(root, ifname, vals), i;

	if (err) {
		pr_warn("synguard stats: no counters for %s under %s: %s\n",
			ifname, root,
			err == -ENOENT ? "not running there (no pins)" :
					 strerror(-err));
		return err;
	}
	if (json) {
		printf("%s\n  \"%s\": {", first ? "" : ",", ifname);
		for (i = 0; i < SG_STAT_MAX; i++)
			printf("%s\n    \"%s\": %llu", i ? "," : "",
			       sg_counters[i].name,
			       (unsigned long long)vals[i]);
		printf("\n  }");
		return 0;
	}
	printf("%s%s\n", first ? "" : "\n", ifname);
	for (i = 0; i < SG_STAT_MAX; i++)
		printf("  %-22s %20llu\n", sg_counters[i].name,
		       (unsigned long long)vals[i]);
	return 0;
}

/* Seconds with up to three decimals ("2", "0.5") into milliseconds. */
static int parse_interval(const char *s, __u32 *ms)
{
	unsigned long long v = 0;
	int frac = -1;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || frac == 3 || v > 1ull << 40)
			return -EINVAL;
		v = v * 10 + (*s - '0');
		if (frac >= 0)
			frac++;
	}
	if (frac == 0)
		return -EINVAL; /* "1." */
	for (frac = frac < 0 ? 0 : frac; frac < 3; frac++)
		v *= 10;
	if (v < WATCH_INTERVAL_MIN_MS || v > WATCH_INTERVAL_MAX_MS)
		return -ERANGE;
	*ms = v;
	return 0;
}

struct watch_iface {
	char name[IF_NAMESIZE];
	__u64 prev[SG_STAT_MAX];
};

struct watch_list {
	struct watch_iface *w;
	int n;
};

static int watch_add(const char *ifname, void *ctx)
{
	struct watch_list *l = ctx;
	struct watch_iface *nw = realloc(l->w, (l->n + 1) * sizeof(*nw));

	if (!nw)
		return -ENOMEM;
	l->w = nw;
	memset(&nw[l->n], 0, sizeof(*nw));
	snprintf(nw[l->n++].name, IF_NAMESIZE, "%s", ifname);
	return 0;
}

static double ts_sec(const struct timespec *t)
{
	return t->tv_sec + t->tv_nsec / 1e9;
}

/* One sample of @w: text (totals, rates when @dt > 0) or a JSON line. */
static void watch_print(struct watch_iface *w, const __u64 *vals, int json,
			int first, double dt)
{
	char when[64];
	int i, any = 0;

	if (json) {
		printf("%s", first ? "{" : ", ");
		sg_json_str(w->name);
		printf(": {");
		for (i = 0; i < SG_STAT_MAX; i++)
			printf("%s\"%s\": %llu", i ? ", " : "",
			       sg_counters[i].name,
			       (unsigned long long)vals[i]);
		printf("}");
		return;
	}
	sg_time_str(time(NULL), when, sizeof(when));
	if (dt > 0)
		printf("%s  %s  (%.2f s)\n", w->name, when, dt);
	else
		printf("%s  %s\n", w->name, when);
	for (i = 0; i < SG_STAT_MAX; i++) {
		if (!vals[i])
			continue;
		any = 1;
		if (dt <= 0)
			printf("  %-22s %20llu\n", sg_counters[i].name,
			       (unsigned long long)vals[i]);
		else if (vals[i] < w->prev[i])
			printf("  %-22s %20llu %14s\n", sg_counters[i].name,
			       (unsigned long long)vals[i], "(reset)");
		else
			printf("  %-22s %20llu %12.1f/s\n", sg_counters[i].name,
			       (unsigned long long)vals[i],
			       (vals[i] - w->prev[i]) / dt);
	}
	if (!any)
		printf("  (all counters zero)\n");
}

/*
 * Sample every @interval_ms until @count samples (0: no bound) or
 * SIGINT/SIGTERM, which end it cleanly (exit 0).
 */
static int watch(const char *root, const char *ifname, int json,
		 __u32 interval_ms, __u32 count)
{
	struct watch_list l = { NULL, 0 };
	struct timespec start, prev, now, zero = { 0, 0 };
	__u64 vals[SG_STAT_MAX];
	sigset_t set, old;
	int rc = SG_EXIT_OK, err, i, sig;
	__u32 k;

	err = ifname ? watch_add(ifname, &l) :
		       sg_for_each_iface(root, watch_add, &l);
	if (err < 0 || !l.n) {
		if (err < 0)
			pr_warn("synguard stats: couldn't list %s: %s\n", root,
				strerror(-err));
		else
			pr_warn("synguard stats: synguard runs on no interface "
				"(nothing under %s)\n",
				root);
		free(l.w);
		return SG_EXIT_FAIL;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	clock_gettime(CLOCK_MONOTONIC, &start);
	prev = start;
	for (k = 0; !count || k < count; k++) {
		/* Wait for sample k at start + k * interval. */
		for (sig = 0; k && sig <= 0;) {
			double left;
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &now);
			left = ts_sec(&start) + k * (interval_ms / 1e3) -
			       ts_sec(&now);
			if (left <= 0) {
				sig = sigtimedwait(&set, NULL, &zero);
				break;
			}
			ts.tv_sec = (time_t)left;
			ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
			sig = sigtimedwait(&set, NULL, &ts);
			if (sig < 0 && errno != EAGAIN && errno != EINTR)
				break;
		}
		if (sig > 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (i = 0; i < l.n; i++) {
			err = sg_read_stats(root, l.w[i].name, vals);
			if (err) {
				pr_warn("synguard stats: no counters for %s "
					"under %s: %s\n",
					l.w[i].name, root,
					err == -ENOENT ?
						"not running there (no pins)" :
						strerror(-err));
				rc = SG_EXIT_FAIL;
				goto out;
			}
			watch_print(&l.w[i], vals, json, i == 0,
				    k ? ts_sec(&now) - ts_sec(&prev) : 0);
			memcpy(l.w[i].prev, vals, sizeof(vals));
		}
		if (json)
			printf("}\n");
		fflush(stdout);
		prev = now;
	}
out:
	while (sigtimedwait(&set, NULL, &zero) > 0)
		; /* a late SIGINT ends nothing more */
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(l.w);
	return rc;
}

int cmd_stats(int argc, char **argv)
{
	enum { O_WATCH = 256, O_INTERVAL, O_COUNT };
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pin-root", required_argument, NULL, 'r' },
		{ "watch", no_argument, NULL, O_WATCH },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "count", required_argument, NULL, O_COUNT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = NULL, *ifname = NULL;
	int c, json = 0, err = 0, n = 0, watching = 0;
	__u32 interval_ms = WATCH_INTERVAL_MS, count = 0;
	const char *interval_arg = NULL, *count_arg = NULL;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", lo, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'r':
			root = optarg;
			break;
		case O_WATCH:
			watching = 1;
			break;
		case O_INTERVAL:
			interval_arg = optarg;
			if (parse_interval(optarg, &interval_ms)) {
				fprintf(stderr,
					"synguard stats: bad --interval '%s' "
					"(seconds, 0.1-86400)\n",
					optarg);
				return SG_EXIT_USAGE;
			}
			break;
		case O_COUNT:
			count_arg = optarg;
			if (sg_parse_u32(optarg, 1, UINT32_MAX, &count)) {
				fprintf(stderr,
					"synguard stats: bad --count '%s' (a "
					"number of samples, at least 1)\n",
					optarg);
				return SG_EXIT_USAGE;
			}
			break;
		case 'h':
			sg_usage(stdout, "stats");
			return SG_EXIT_OK;
		case ':':
			fprintf(stderr,
				"synguard stats: option '%s' needs a "
				"value\n",
				argv[optind - 1]);
			return SG_EXIT_USAGE;
		default:
			fprintf(stderr, "synguard stats: unknown option '%s'\n",
				argv[optind - 1]);
			return SG_EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "synguard stats: unexpected argument '%s'\n",
			argv[optind + 1]);
		return SG_EXIT_USAGE;
	}
	if (optind < argc) {
		ifname = argv[optind];
		if (!sg_ifname_valid(ifname)) {
			fprintf(stderr,
				"synguard stats: bad interface name "
				"'%s'\n",
				ifname);
			return SG_EXIT_USAGE;
		}
	}
	if (!watching && (interval_arg || count_arg)) {
		fprintf(stderr, "synguard stats: %s needs --watch\n",
			interval_arg ? "--interval" : "--count");
		return SG_EXIT_USAGE;
	}
	root = sg_pin_root(root);
	if (watching)
		return watch(root, ifname, json, interval_ms, count);
	if (json)
		printf("{");
	if (ifname) {
		err = print_iface(root, ifname, json, 1);
		n = 1;
	} else {
		DIR *d = opendir(root);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			if (!print_iface(root, de->d_name, json, n == 0))
				n++;
		}
		if (d)
			closedir(d);
		if (!n)
			pr_warn("synguard stats: synguard runs on no interface "
				"(nothing under %s)\n",
				root);
	}
	if (json)
		printf("%s}\n", n ? "\n" : "");
	return err || !n ? SG_EXIT_FAIL : SG_EXIT_OK;
}
