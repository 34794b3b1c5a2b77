// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * `synguard top`: the source prefixes that cost the most, from the pinned
 * sg_sources map (SYN-ACKs sent, verified ACKs, unanswered SYN-ACKs and
 * SYNs dropped by the reflection guard), and the half-open estimate: the
 * unanswered SYN-ACKs of prefixes active in the current or previous epoch.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cmds.h"
#include "loader.h"
#include "log.h"
#include "main.h"
#include "pins.h"
#include "policy.h"
#include "top.h"
#include "usage.h"
#include "util.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel's, leaked to userspace */
#endif

/*
 * Batched read of the bucket array; -EINVAL/-ENOTSUPP when the kernel has
 * no batch ops on arrays.
 */
static int read_batch(int fd, __u32 *keys, struct sg_src *vals, __u32 max)
{
	__u32 in = 0, out = 0, n = 0, count;
	void *inp = NULL;
	int err;

	while (n < max) {
		count = max - n;
		err = bpf_map_lookup_batch(fd, inp, &out, keys + n, vals + n,
					   &count, NULL);
		err = err ? -errno : 0;
		if (err && err != -ENOENT)
			return err;
		n += count;
		if (err)
			break;
		in = out;
		inp = &in;
	}
	return n;
}

/* One lookup per bucket, for kernels without batch ops. */
static int read_iter(int fd, struct sg_src *vals, __u32 max)
{
	__u32 i;

	for (i = 0; i < max; i++)
		if (bpf_map_lookup_elem(fd, &i, &vals[i]))
			return -errno;
	return max;
}

/*
 * sg_sources is an array of buckets indexed by a hash of the prefix; each
 * bucket names the prefix that holds it (family 0: never used).
 */
int sg_sources_read(int fd, struct sg_src_row **rows)
{
	struct bpf_map_info mi;
	__u32 len = sizeof(mi);
	__u32 *keys = NULL;
	struct sg_src *vals = NULL;
	struct sg_src_row *r = NULL;
	int n, i, used = 0;

	*rows = NULL;
	memset(&mi, 0, sizeof(mi));
	if (bpf_obj_get_info_by_fd(fd, &mi, &len))
		return -errno;
	if (mi.type != BPF_MAP_TYPE_ARRAY || mi.key_size != sizeof(*keys) ||
	    mi.value_size != sizeof(*vals))
		return -EPROTO; /* pins of another synguard version */
	if (!mi.max_entries)
		return 0;
	keys = calloc(mi.max_entries, sizeof(*keys));
	vals = calloc(mi.max_entries, sizeof(*vals));
	if (!keys || !vals) {
		n = -ENOMEM;
		goto out;
	}
	n = read_batch(fd, keys, vals, mi.max_entries);
	if (n == -EINVAL || n == -ENOTSUP || n == -EOPNOTSUPP || n == -ENOTSUPP)
		n = read_iter(fd, vals, mi.max_entries);
	if (n <= 0)
		goto out;
	for (i = 0; i < n; i++)
		if (vals[i].key.family)
			used++;
	if (!used) {
		n = 0;
		goto out;
	}
	r = calloc(used, sizeof(*r));
	if (!r) {
		n = -ENOMEM;
		goto out;
	}
	for (i = 0, used = 0; i < n; i++) {
		if (!vals[i].key.family)
			continue;
		r[used].key = vals[i].key;
		r[used].val = vals[i];
		r[used].unanswered = vals[i].synack > vals[i].ack_ok ?
					     vals[i].synack - vals[i].ack_ok :
					     0;
		used++;
	}
	n = used;
	*rows = r;
out:
	free(keys);
	free(vals);
	return n;
}

/* Active in the current or the previous epoch. */
static int recent(__u32 epoch, __u32 cur)
{
	return (__u32)(cur - epoch) <= 1;
}

static __u64 half_open(const struct sg_src_row *rows, int n, __u32 cur,
		       int *active)
{
	__u64 sum = 0;
	int i;

	*active = 0;
	for (i = 0; i < n; i++) {
		if (!recent(rows[i].val.epoch, cur) || !rows[i].unanswered)
			continue;
		sum += rows[i].unanswered;
		(*active)++;
	}
	return sum;
}

int sg_half_open(const char *root, const char *ifname, __u64 *out)
{
	struct sg_src_row *rows;
	__u32 cur;
	int fd, n, active;

	n = sg_epoch_read(root, ifname, &cur);
	if (n)
		return n;
	fd = sg_pin_fd(root, ifname, SG_MAP_SOURCES);
	if (fd < 0)
		return fd;
	n = sg_sources_read(fd, &rows);
	close(fd);
	if (n < 0)
		return n;
	*out = half_open(rows, n, cur, &active);
	free(rows);
	return 0;
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct sg_src_row *a = pa, *b = pb;

	if (a->unanswered != b->unanswered)
		return a->unanswered < b->unanswered ? 1 : -1;
	if (a->val.limited != b->val.limited)
		return a->val.limited < b->val.limited ? 1 : -1;
	if (a->val.synack != b->val.synack)
		return a->val.synack < b->val.synack ? 1 : -1;
	return memcmp(&a->key, &b->key, sizeof(a->key));
}

static void prefix_str(const struct sg_src_key *k, const struct sg_config *cfg,
		       char *buf, size_t len)
{
	struct sg_cidr c = { .family = k->family == 6 ? 6 : 4 };

	memcpy(c.addr, k->addr, sizeof(c.addr));
	if (c.family == 4)
		c.prefixlen = cfg->prefix4 >= 1 && cfg->prefix4 <= 32 ?
				      cfg->prefix4 :
				      32;
	else
		c.prefixlen = cfg->prefix6 >= 1 && cfg->prefix6 <= 128 ?
				      cfg->prefix6 :
				      128;
	sg_cidr_str(&c, buf, len);
}

struct top_ctx {
	const char *root;
	__u32 nmax;
	int json;
	int shown; /* interfaces printed */
	int failed;
};

static int top_iface(const char *ifname, void *vctx)
{
	struct top_ctx *t = vctx;
	char pfx[SG_CIDR_STRLEN];
	struct sg_src_row *rows = NULL;
	struct sg_config cfg;
	__u64 half;
	__u32 cur;
	int fd, n, i, active, err;

	fd = sg_pin_open("top", t->root, ifname, SG_MAP_SOURCES);
	if (fd < 0) {
		t->failed = 1;
		return 0;
	}
	err = sg_config_read(t->root, ifname, &cfg);
	if (!err)
		err = sg_epoch_read(t->root, ifname, &cur);
	n = err ? err : sg_sources_read(fd, &rows);
	close(fd);
	if (n < 0) {
		pr_warn("synguard top: couldn't read the sources of %s under "
			"%s: %s\n",
			ifname, t->root, strerror(-n));
		t->failed = 1;
		return 0;
	}
	if (n)
		qsort(rows, n, sizeof(*rows), row_cmp);
	half = half_open(rows, n, cur, &active);

	if (t->json) {
		printf("%s\n  ", t->shown ? "," : "");
		sg_json_str(ifname);
		printf(": {\n    \"epoch\": %u,\n"
		       "    \"tracked\": %d,\n    \"active\": %d,\n"
		       "    \"half_open\": %llu,\n    \"top\": [",
		       cur, n, active, (unsigned long long)half);
		for (i = 0; i < n && (__u32)i < t->nmax; i++) {
			prefix_str(&rows[i].key, &cfg, pfx, sizeof(pfx));
			printf("%s\n      { \"prefix\": \"%s\", \"synack\": "
			       "%llu, \"ack_ok\": %llu, \"unanswered\": %llu, "
			       "\"limited\": %llu, \"epoch\": %u }",
			       i ? "," : "", pfx,
			       (unsigned long long)rows[i].val.synack,
			       (unsigned long long)rows[i].val.ack_ok,
			       (unsigned long long)rows[i].unanswered,
			       (unsigned long long)rows[i].val.limited,
			       rows[i].val.epoch);
		}
		printf("%s]\n  }", n ? "\n    " : "");
	} else {
		printf("%s%s: %d source prefix%s tracked, epoch %u\n",
		       t->shown ? "\n" : "", ifname, n, n == 1 ? "" : "es",
		       cur);
		if (n)
			printf("  %-43s %12s %12s %12s %12s\n", "PREFIX",
			       "SYNACK", "ACK_OK", "UNANSWERED", "LIMITED");
		for (i = 0; i < n && (__u32)i < t->nmax; i++) {
			prefix_str(&rows[i].key, &cfg, pfx, sizeof(pfx));
			printf("  %-43s %12llu %12llu %12llu %12llu\n", pfx,
			       (unsigned long long)rows[i].val.synack,
			       (unsigned long long)rows[i].val.ack_ok,
			       (unsigned long long)rows[i].unanswered,
			       (unsigned long long)rows[i].val.limited);
		}
		printf("  total: half-open estimate %llu over %d prefix%s "
		       "active in epochs %u-%u\n",
		       (unsigned long long)half, active,
		       active == 1 ? "" : "es", cur - 1, cur);
	}
	free(rows);
	t->shown++;
	return 0;
}

static void top_help(void)
{
	sg_usage(stdout, "top");
}

int cmd_top(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pin-root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct top_ctx t = { .nmax = SG_TOP_DEFAULT };
	const char *root = NULL;
	int c, n;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:h", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (sg_parse_u32(optarg, 1, SG_SOURCES_MAX, &t.nmax)) {
				fprintf(stderr,
					"synguard top: bad -n '%s' (1-%u rows)"
					"\n",
					optarg, SG_SOURCES_MAX);
				return SG_EXIT_USAGE;
			}
			break;
		case 'j':
			t.json = 1;
			break;
		case 'r':
			root = optarg;
			break;
		case 'h':
			top_help();
			return SG_EXIT_OK;
		case ':':
			fprintf(stderr,
				"synguard top: option '%s' needs a value (try "
				"'synguard top --help')\n",
				argv[optind - 1]);
			return SG_EXIT_USAGE;
		default:
			fprintf(stderr,
				"synguard top: unknown option '%s' (try "
				"'synguard top --help')\n",
				argv[optind - 1]);
			return SG_EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "synguard top: unexpected argument '%s'\n",
			argv[optind + 1]);
		return SG_EXIT_USAGE;
	}
	if (optind < argc && !sg_ifname_valid(argv[optind])) {
		fprintf(stderr, "synguard top: bad interface name '%s'\n",
			argv[optind]);
		return SG_EXIT_USAGE;
	}
	t.root = sg_pin_root(root);
	if (t.json)
		printf("{");
	if (optind < argc) {
		top_iface(argv[optind], &t);
	} else {
		n = sg_for_each_iface(t.root, top_iface, &t);
		if (n <= 0) {
			if (n < 0)
				pr_warn("synguard top: couldn't read the pin "
					"root %s: %s\n",
					t.root, strerror(-n));
			else
				pr_warn("synguard top: synguard runs on no "
					"interface (no pins under %s)\n",
					t.root);
			t.failed = 1;
		}
	}
	if (t.json)
		printf("%s}\n", t.shown ? "\n" : "");
	return t.failed || !t.shown ? SG_EXIT_FAIL : SG_EXIT_OK;
}
