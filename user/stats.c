// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * `synguard stats`: the XDP/TC counters from the pinned per-CPU map,
 * summed over CPUs, as text or JSON.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cmds.h"
#include "counters.h"
#include "loader.h"
#include "log.h"
#include "main.h"
#include "util.h"

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

int cmd_stats(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pin-root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = NULL;
	int c, json = 0, err = 0, n = 0;

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
		case 'h':
			printf("Usage: synguard stats [IFACE] [--json] "
			       "[--pin-root DIR]\n\n"
			       "Counters of synguard on IFACE (default: every "
			       "interface with pins),\nsummed over CPUs.\n");
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
	root = sg_pin_root(root);
	if (json)
		printf("{");
	if (optind < argc) {
		if (strlen(argv[optind]) >= IF_NAMESIZE ||
		    strchr(argv[optind], '/')) {
			fprintf(stderr,
				"synguard stats: bad interface name "
				"'%s'\n",
				argv[optind]);
			return SG_EXIT_USAGE;
		}
		err = print_iface(root, argv[optind], json, 1);
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
