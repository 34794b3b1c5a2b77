// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Operator commands that change or show a running daemon's policy through
 * its pins: `allow` and `deny` (source CIDR lists), `ports` (the protected
 * port bitmap) and `keys` (epoch rotation and key state, never key bytes).
 * Input is checked whole before anything is written; changes are checked
 * against every target interface first and rolled back on a failure, so a
 * command either applies everywhere or nowhere.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cmds.h"
#include "loader.h"
#include "log.h"
#include "main.h"
#include "pins.h"
#include "policy.h"
#include "usage.h"
#include "util.h"

#define ROTATE_POLL_MS 50
#define ROTATE_TIMEOUT_MS 3000

struct ctl_opts {
	const char *cmd; /* "allow", "deny", "ports", "keys" */
	const char *sub; /* subcommand */
	const char *ifname;
	const char *root;
	int json;
	char **args; /* after the subcommand */
	int nargs;
};

/* Interfaces a command applies to. */
struct ifaces {
	char (*names)[IF_NAMESIZE];
	int n;
};

__attribute__((format(printf, 2, 3))) static int usage_err(const char *cmd,
							   const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "synguard %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try 'synguard %s --help')\n", cmd);
	return SG_EXIT_USAGE;
}

/* Bad input whose message says all: one line, no pointer to --help. */
__attribute__((format(printf, 2, 3))) static int input_err(const char *cmd,
							   const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "synguard %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return SG_EXIT_USAGE;
}

/*
 * Options common to these commands: -i/--iface (with_iface), --json,
 * --pin-root, --help. 0 when parsed, -1 after printing the help, or
 * SG_EXIT_USAGE after one line on stderr.
 */
static int parse_ctl(int argc, char **argv, int with_iface, void (*help)(void),
		     struct ctl_opts *o)
{
	static const struct option lo[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "pin-root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->cmd = argv[0];
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, with_iface ? ":i:h" : ":h", lo,
				NULL)) != -1) {
		switch (c) {
		case 'i':
			if (!with_iface)
				return usage_err(o->cmd,
						 "-i/--iface does not apply: "
						 "IFACE is an argument");
			if (!sg_ifname_valid(optarg))
				return input_err(o->cmd,
						 "bad interface name '%s'",
						 optarg);
			o->ifname = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'r':
			o->root = optarg;
			break;
		case 'h':
			help();
			return -1;
		case ':':
			return usage_err(o->cmd, "option '%s' needs a value",
					 argv[optind - 1]);
		default:
			return usage_err(o->cmd, "unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_err(o->cmd, "no subcommand given");
	o->sub = argv[optind];
	o->args = argv + optind + 1;
	o->nargs = argc - optind - 1;
	o->root = sg_pin_root(o->root);
	return 0;
}

static int add_iface(const char *ifname, void *ctx)
{
	struct ifaces *l = ctx;
	char(*nn)[IF_NAMESIZE] = realloc(l->names, (l->n + 1) * sizeof(*nn));

	if (!nn)
		return -ENOMEM;
	l->names = nn;
	snprintf(l->names[l->n++], IF_NAMESIZE, "%s", ifname);
	return 0;
}

/* -i IFACE, else every interface with pins; 0, or -errno after a line. */
static int target_ifaces(const struct ctl_opts *o, struct ifaces *l)
{
	int n;

	memset(l, 0, sizeof(*l));
	if (o->ifname)
		return add_iface(o->ifname, l);
	n = sg_for_each_iface(o->root, add_iface, l);
	if (n < 0) {
		pr_warn("synguard %s: couldn't read the pin root %s: %s\n",
			o->cmd, o->root, strerror(-n));
		return n;
	}
	if (!n) {
		pr_warn("synguard %s: synguard runs on no interface (no pins "
			"under %s)\n",
			o->cmd, o->root);
		return -ENOENT;
	}
	return 0;
}

static int bit_test(const __u32 *bm, __u32 p)
{
	return !!(bm[p >> 5] & (1u << (p & 31)));
}

/* Next run of set bits at or after *p: 1 with [*lo, *hi], else 0. */
static int next_range(const __u32 *bm, __u32 *p, __u32 *lo, __u32 *hi)
{
	while (*p < 65536 && !bit_test(bm, *p))
		(*p)++;
	if (*p >= 65536)
		return 0;
	*lo = *p;
	while (*p + 1 < 65536 && bit_test(bm, *p + 1))
		(*p)++;
	*hi = (*p)++;
	return 1;
}

/* "80,443,8000-8010" into buf, cut with "..." when it does not fit. */
static void ports_str(const __u32 *bm, char *buf, size_t len)
{
	__u32 p = 1, lo, hi;
	size_t off = 0;
	int n;

	buf[0] = '\0';
	while (next_range(bm, &p, &lo, &hi)) {
		n = snprintf(buf + off, len - off,
			     lo == hi ? "%s%u" : "%s%u-%u", off ? "," : "", lo,
			     hi);
		if (n < 0 || (size_t)n >= len - off) {
			snprintf(buf + (len > 4 ? len - 4 : 0),
				 len > 4 ? 4 : len, "...");
			return;
		}
		off += n;
	}
}

/* The compact list on stdout; @none when no port is set. */
static void ports_print(const __u32 *bm, const char *none)
{
	__u32 p = 1, lo, hi;
	int first = 1;

	while (next_range(bm, &p, &lo, &hi)) {
		printf(lo == hi ? "%s%u" : "%s%u-%u", first ? "" : ",", lo, hi);
		first = 0;
	}
	if (first)
		printf("%s", none);
}

static __u32 ports_count(const __u32 *bm)
{
	__u32 i, n = 0;

	for (i = 0; i < SG_PORT_WORDS; i++)
		n += __builtin_popcount(bm[i]);
	return n;
}

/* ---- allow / deny ---------------------------------------------------- */

struct list_kind {
	const char *cmd;  /* "allow" */
	const char *noun; /* "allowlist" */
	const char *map4, *map6;
};

static const struct list_kind allow_kind = { "allow", "allowlist",
					     SG_MAP_ALLOW4, SG_MAP_ALLOW6 };
static const struct list_kind deny_kind = { "deny", "denylist", SG_MAP_DENY4,
					    SG_MAP_DENY6 };

static void list_help(const struct list_kind *k)
{
	sg_usage(stdout, k->cmd);
}

static void allow_help(void)
{
	list_help(&allow_kind);
}

static void deny_help(void)
{
	list_help(&deny_kind);
}

struct list_iface {
	const char *name;
	int fd4, fd6;
	struct sg_cidr *cur; /* entries before the change, sorted */
	int ncur;
	unsigned char *todo; /* per CIDR: write it here */
	int changed;
};

static int list_show(const struct list_kind *k, const struct ctl_opts *o,
		     const struct ifaces *ifs)
{
	char buf[SG_CIDR_STRLEN];
	int i, j, rc = SG_EXIT_OK, shown = 0;

	if (o->json)
		printf("{");
	for (i = 0; i < ifs->n; i++) {
		const char *name = ifs->names[i];
		struct sg_cidr *cur = NULL;
		int fd4, fd6 = -1, n;

		fd4 = sg_pin_open(k->cmd, o->root, name, k->map4);
		if (fd4 >= 0)
			fd6 = sg_pin_open(k->cmd, o->root, name, k->map6);
		if (fd4 < 0 || fd6 < 0) {
			if (fd4 >= 0)
				close(fd4);
			rc = SG_EXIT_FAIL;
			continue;
		}
		n = sg_list_dump(fd4, fd6, &cur);
		close(fd4);
		close(fd6);
		if (n < 0) {
			pr_warn("synguard %s: couldn't read the %s of %s: %s\n",
				k->cmd, k->noun, name, strerror(-n));
			rc = SG_EXIT_FAIL;
			continue;
		}
		if (o->json) {
			printf("%s\n  ", shown ? "," : "");
			sg_json_str(name);
			printf(": [");
			for (j = 0; j < n; j++) {
				sg_cidr_str(&cur[j], buf, sizeof(buf));
				printf("%s\n    \"%s\"", j ? "," : "", buf);
			}
			printf("%s]", n ? "\n  " : "");
		} else {
			printf("%s: %d entr%s\n", name, n,
			       n == 1 ? "y" : "ies");
			for (j = 0; j < n; j++) {
				sg_cidr_str(&cur[j], buf, sizeof(buf));
				printf("  %s\n", buf);
			}
		}
		free(cur);
		shown++;
	}
	if (o->json)
		printf("%s}\n", shown ? "\n" : "");
	return rc;
}

static int has_cidr(const struct list_iface *li, const struct sg_cidr *c)
{
	return li->ncur &&
	       bsearch(c, li->cur, li->ncur, sizeof(*c), sg_cidr_cmp) != NULL;
}

/* Undo every write made before (upto_i, upto_j). */
static void list_rollback(struct list_iface *li, int upto_i, int upto_j,
			  const struct sg_cidr *cs, int ncs, int add)
{
	int i, j;

	for (i = 0; i <= upto_i; i++)
		for (j = 0; j < (i == upto_i ? upto_j : ncs); j++)
			if (li[i].todo[j])
				sg_list_update(li[i].fd4, li[i].fd6, &cs[j],
					       !add);
}

static int list_change(const struct list_kind *k, const struct ctl_opts *o,
		       const struct ifaces *ifs, const struct sg_cidr *cs,
		       int ncs, int add)
{
	char buf[SG_CIDR_STRLEN];
	struct list_iface *li = calloc(ifs->n, sizeof(*li));
	int i, j, rc = SG_EXIT_FAIL, err;

	if (!li) {
		pr_warn("synguard %s: out of memory\n", k->cmd);
		return SG_EXIT_FAIL;
	}
	for (i = 0; i < ifs->n; i++)
		li[i].fd4 = li[i].fd6 = -1;

	/* Open and check everything before the first write. */
	for (i = 0; i < ifs->n; i++) {
		li[i].name = ifs->names[i];
		li[i].fd4 = sg_pin_open(k->cmd, o->root, li[i].name, k->map4);
		if (li[i].fd4 < 0)
			goto out;
		li[i].fd6 = sg_pin_open(k->cmd, o->root, li[i].name, k->map6);
		if (li[i].fd6 < 0)
			goto out;
		li[i].ncur = sg_list_dump(li[i].fd4, li[i].fd6, &li[i].cur);
		li[i].todo = calloc(ncs, 1);
		if (li[i].ncur < 0 || !li[i].todo) {
			pr_warn("synguard %s: couldn't read the %s of %s: %s\n",
				k->cmd, k->noun, li[i].name,
				strerror(li[i].ncur < 0 ? -li[i].ncur :
							  ENOMEM));
			li[i].ncur = 0;
			goto out;
		}
		for (j = 0; j < ncs; j++) {
			int present = has_cidr(&li[i], &cs[j]);

			if (!add && !present) {
				sg_cidr_str(&cs[j], buf, sizeof(buf));
				pr_warn("synguard %s: %s is not in the %s of "
					"%s; nothing changed\n",
					k->cmd, buf, k->noun, li[i].name);
				goto out;
			}
			li[i].todo[j] = add ? !present : 1;
		}
	}

	for (i = 0; i < ifs->n; i++) {
		for (j = 0; j < ncs; j++) {
			if (!li[i].todo[j])
				continue;
			err = sg_list_update(li[i].fd4, li[i].fd6, &cs[j], add);
			if (!err) {
				li[i].changed++;
				continue;
			}
			list_rollback(li, i, j, cs, ncs, add);
			sg_cidr_str(&cs[j], buf, sizeof(buf));
			pr_warn("synguard %s: couldn't %s %s %s the %s of %s: "
				"%s%s; nothing changed\n",
				k->cmd, add ? "add" : "delete", buf,
				add ? "to" : "from", k->noun, li[i].name,
				strerror(-err),
				err == -ENOSPC || err == -E2BIG ?
					" (the list holds at most 65536 "
					"entries)" :
					"");
			for (i = 0; i < ifs->n; i++)
				sg_policy_sync_flags(o->root, li[i].name);
			goto out;
		}
	}

	rc = SG_EXIT_OK;
	for (i = 0; i < ifs->n; i++) {
		int now = li[i].ncur + (add ? li[i].changed : -li[i].changed);

		err = sg_policy_sync_flags(o->root, li[i].name);
		if (err) {
			pr_warn("synguard %s: the %s of %s changed, but "
				"updating the policy flags in its config "
				"failed: %s\n",
				k->cmd, k->noun, li[i].name, strerror(-err));
			rc = SG_EXIT_FAIL;
		}
		if (add && ncs > li[i].changed)
			printf("%s: added %d to the %s (%d already there), "
			       "%d entr%s now\n",
			       li[i].name, li[i].changed, k->noun,
			       ncs - li[i].changed, now,
			       now == 1 ? "y" : "ies");
		else if (add)
			printf("%s: added %d to the %s, %d entr%s now\n",
			       li[i].name, li[i].changed, k->noun, now,
			       now == 1 ? "y" : "ies");
		else
			printf("%s: removed %d from the %s, %d entr%s now\n",
			       li[i].name, li[i].changed, k->noun, now,
			       now == 1 ? "y" : "ies");
	}
out:
	for (i = 0; i < ifs->n; i++) {
		if (li[i].fd4 >= 0)
			close(li[i].fd4);
		if (li[i].fd6 >= 0)
			close(li[i].fd6);
		free(li[i].cur);
		free(li[i].todo);
	}
	free(li);
	return rc;
}

static int list_cmd(const struct list_kind *k, int argc, char **argv)
{
	struct sg_cidr *cs = NULL;
	struct ctl_opts o;
	struct ifaces ifs;
	int add, i, ncs = 0, rc;
	char err[160];

	rc = parse_ctl(argc, argv, 1, k == &allow_kind ? allow_help : deny_help,
		       &o);
	if (rc)
		return rc < 0 ? SG_EXIT_OK : rc;
	if (!strcmp(o.sub, "list")) {
		if (o.nargs)
			return usage_err(k->cmd, "unexpected argument '%s'",
					 o.args[0]);
		if (target_ifaces(&o, &ifs))
			return SG_EXIT_FAIL;
		rc = list_show(k, &o, &ifs);
		free(ifs.names);
		return rc;
	}
	if (strcmp(o.sub, "add") && strcmp(o.sub, "del"))
		return usage_err(k->cmd,
				 "unknown subcommand '%s' (add, del or list)",
				 o.sub);
	add = !strcmp(o.sub, "add");
	if (o.json)
		return usage_err(k->cmd, "--json applies to 'list' only");
	if (!o.nargs)
		return usage_err(k->cmd, "no CIDR given to '%s'", o.sub);

	cs = calloc(o.nargs, sizeof(*cs));
	if (!cs) {
		pr_warn("synguard %s: out of memory\n", k->cmd);
		return SG_EXIT_FAIL;
	}
	for (i = 0; i < o.nargs; i++) {
		if (sg_parse_cidr(o.args[i], &cs[i], err, sizeof(err))) {
			free(cs);
			return input_err(k->cmd, "%s", err);
		}
	}
	qsort(cs, o.nargs, sizeof(*cs), sg_cidr_cmp);
	for (i = 0; i < o.nargs; i++) /* drop duplicates */
		if (!ncs || sg_cidr_cmp(&cs[ncs - 1], &cs[i]))
			cs[ncs++] = cs[i];
	if (target_ifaces(&o, &ifs)) {
		free(cs);
		return SG_EXIT_FAIL;
	}
	rc = list_change(k, &o, &ifs, cs, ncs, add);
	free(ifs.names);
	free(cs);
	return rc;
}

int cmd_allow(int argc, char **argv)
{
	return list_cmd(&allow_kind, argc, argv);
}

int cmd_deny(int argc, char **argv)
{
	return list_cmd(&deny_kind, argc, argv);
}

/* ---- ports ------------------------------------------------------------ */

static void ports_help(void)
{
	sg_usage(stdout, "ports");
}

static int ports_read(int fd, __u32 *bm)
{
	__u32 i;

	for (i = 0; i < SG_PORT_WORDS; i++)
		if (bpf_map_lookup_elem(fd, &i, &bm[i]))
			return -errno;
	return 0;
}

/* Write the words of @want that differ from @have; 0 or -errno. */
static int ports_write(int fd, const __u32 *have, const __u32 *want)
{
	__u32 i;

	for (i = 0; i < SG_PORT_WORDS; i++)
		if (have[i] != want[i] &&
		    bpf_map_update_elem(fd, &i, &want[i], BPF_EXIST))
			return -errno;
	return 0;
}

static int ports_show(const struct ctl_opts *o, const struct ifaces *ifs)
{
	__u32 bm[SG_PORT_WORDS];
	int i, rc = SG_EXIT_OK, n = 0;

	if (o->json)
		printf("{");
	for (i = 0; i < ifs->n; i++) {
		const char *name = ifs->names[i];
		int fd = sg_pin_open(o->cmd, o->root, name, SG_MAP_PORTS), err;
		__u32 p = 1, lo, hi;
		int first;

		if (fd < 0) {
			rc = SG_EXIT_FAIL;
			continue;
		}
		err = ports_read(fd, bm);
		close(fd);
		if (err) {
			pr_warn("synguard ports: couldn't read the ports of "
				"%s: %s\n",
				name, strerror(-err));
			rc = SG_EXIT_FAIL;
			continue;
		}
		if (!o->json) {
			printf("%s: ", name);
			ports_print(bm, "none");
			printf("\n");
			continue;
		}
		printf("%s\n  ", n++ ? "," : "");
		sg_json_str(name);
		printf(": {\n    \"ports\": \"");
		ports_print(bm, "");
		printf("\",\n    \"ranges\": [");
		for (first = 1; next_range(bm, &p, &lo, &hi); first = 0)
			printf("%s[%u, %u]", first ? "" : ", ", lo, hi);
		printf("],\n    \"count\": %u\n  }", ports_count(bm));
	}
	if (o->json)
		printf("%s}\n", n ? "\n" : "");
	return rc;
}

static int ports_change(const struct ctl_opts *o, const struct ifaces *ifs,
			const __u32 *req, int add)
{
	__u32(*have)[SG_PORT_WORDS] = calloc(ifs->n, sizeof(*have));
	__u32(*want)[SG_PORT_WORDS] = calloc(ifs->n, sizeof(*want));
	int *fds = calloc(ifs->n, sizeof(*fds));
	int i, k, err, rc = SG_EXIT_FAIL;
	char buf[256];

	if (!have || !want || !fds) {
		pr_warn("synguard ports: out of memory\n");
		goto out_free;
	}
	for (i = 0; i < ifs->n; i++)
		fds[i] = -1;
	for (i = 0; i < ifs->n; i++) {
		__u32 missing[SG_PORT_WORDS], any = 0;

		fds[i] = sg_pin_open(o->cmd, o->root, ifs->names[i],
				     SG_MAP_PORTS);
		if (fds[i] < 0)
			goto out;
		err = ports_read(fds[i], have[i]);
		if (err) {
			pr_warn("synguard ports: couldn't read the ports of "
				"%s: %s\n",
				ifs->names[i], strerror(-err));
			goto out;
		}
		for (k = 0; k < SG_PORT_WORDS; k++) {
			missing[k] = req[k] & ~have[i][k];
			any |= missing[k];
			want[i][k] = add ? have[i][k] | req[k] :
					   have[i][k] & ~req[k];
		}
		if (!add && any) {
			ports_str(missing, buf, sizeof(buf));
			pr_warn("synguard ports: %s %s not protected on %s; "
				"nothing changed\n",
				buf, ports_count(missing) == 1 ? "is" : "are",
				ifs->names[i]);
			goto out;
		}
	}
	for (i = 0; i < ifs->n; i++) {
		err = ports_write(fds[i], have[i], want[i]);
		if (!err)
			continue;
		for (k = 0; k <= i; k++) /* restore; want -> have */
			ports_write(fds[k], want[k], have[k]);
		pr_warn("synguard ports: couldn't write the ports of %s: %s; "
			"nothing changed\n",
			ifs->names[i], strerror(-err));
		goto out;
	}
	rc = SG_EXIT_OK;
	for (i = 0; i < ifs->n; i++) {
		__u32 n = ports_count(want[i]);

		printf("%s: protected ports ", ifs->names[i]);
		ports_print(want[i], "none");
		printf(" (%u)\n", n);
		if (!n)
			pr_warn("synguard ports: warning: no port is protected "
				"on %s now; synguard passes all TCP there\n",
				ifs->names[i]);
	}
out:
	for (i = 0; i < ifs->n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
out_free:
	free(have);
	free(want);
	free(fds);
	return rc;
}

int cmd_ports(int argc, char **argv)
{
	__u32 req[SG_PORT_WORDS] = { 0 };
	struct ctl_opts o;
	struct ifaces ifs;
	char err[128];
	int rc, add;

	rc = parse_ctl(argc, argv, 1, ports_help, &o);
	if (rc)
		return rc < 0 ? SG_EXIT_OK : rc;
	if (!strcmp(o.sub, "list")) {
		if (o.nargs)
			return usage_err(o.cmd, "unexpected argument '%s'",
					 o.args[0]);
		if (target_ifaces(&o, &ifs))
			return SG_EXIT_FAIL;
		rc = ports_show(&o, &ifs);
		free(ifs.names);
		return rc;
	}
	if (strcmp(o.sub, "add") && strcmp(o.sub, "del"))
		return usage_err(o.cmd,
				 "unknown subcommand '%s' (add, del or list)",
				 o.sub);
	add = !strcmp(o.sub, "add");
	if (o.json)
		return usage_err(o.cmd, "--json applies to 'list' only");
	if (!o.nargs)
		return usage_err(o.cmd, "no port list given to '%s'", o.sub);
	if (o.nargs > 1)
		return usage_err(o.cmd,
				 "unexpected argument '%s' (one PORTLIST: "
				 "80,443,8000-8010)",
				 o.args[1]);
	if (sg_parse_ports(o.args[0], req, err, sizeof(err)) < 0)
		return input_err(o.cmd, "%s", err);
	if (target_ifaces(&o, &ifs))
		return SG_EXIT_FAIL;
	rc = ports_change(&o, &ifs, req, add);
	free(ifs.names);
	return rc;
}

/* ---- keys ------------------------------------------------------------- */

static void keys_help(void)
{
	sg_usage(stdout, "keys");
}

/* Open sg_info for @ifname and read it; 0 or -errno after one line. */
static int keys_info(const struct ctl_opts *o, const char *ifname,
		     struct sg_info *info)
{
	int fd = sg_pin_open(o->cmd, o->root, ifname, SG_MAP_INFO), err;

	if (fd < 0)
		return fd;
	close(fd);
	err = sg_info_read(o->root, ifname, info);
	if (err)
		pr_warn("synguard keys: couldn't read the daemon record of "
			"%s: %s\n",
			ifname, strerror(-err));
	return err;
}

static int keys_epoch(const struct ctl_opts *o, const char *ifname,
		      __u32 *epoch)
{
	int err = sg_epoch_read(o->root, ifname, epoch);

	if (err)
		pr_warn("synguard keys: couldn't read the epoch of %s: %s\n",
			ifname, strerror(-err));
	return err;
}

static int keys_rotate(const struct ctl_opts *o, const char *ifname)
{
	struct timespec ts = { 0, ROTATE_POLL_MS * 1000000L };
	struct sg_info info;
	__u32 before, now, refused;
	int waited;

	if (keys_info(o, ifname, &info))
		return SG_EXIT_FAIL;
	refused = info.rotate_refused;
	if (!sg_daemon_alive(info.pid)) {
		if (info.pid && kill(info.pid, 0) && errno == ESRCH)
			pr_warn("synguard keys: no synguard daemon runs on %s "
				"(its recorded pid %u has exited)\n",
				ifname, info.pid);
		else if (info.pid)
			pr_warn("synguard keys: no synguard daemon runs on %s "
				"(its recorded pid %u is not a 'synguard run' "
				"process now)\n",
				ifname, info.pid);
		else
			pr_warn("synguard keys: no synguard daemon runs on %s "
				"(no pid recorded)\n",
				ifname);
		return SG_EXIT_FAIL;
	}
	if (keys_epoch(o, ifname, &before))
		return SG_EXIT_FAIL;
	if (kill(info.pid, SIGUSR1)) {
		pr_warn("synguard keys: couldn't signal the daemon on %s (pid "
			"%u): %s\n",
			ifname, info.pid, strerror(errno));
		return SG_EXIT_FAIL;
	}
	for (waited = 0; waited < ROTATE_TIMEOUT_MS; waited += ROTATE_POLL_MS) {
		nanosleep(&ts, NULL);
		/* A refusal first: the clock may move the epoch meanwhile,
		 * which is no rotation of ours. */
		if (!sg_info_read(o->root, ifname, &info) &&
		    info.rotate_refused != refused) {
			pr_warn("synguard keys: %s is one epoch ahead of the "
				"clock already (the fleet accepts no further): "
				"not rotated; try again in the next period\n",
				ifname);
			return SG_EXIT_FAIL;
		}
		if (keys_epoch(o, ifname, &now))
			return SG_EXIT_FAIL;
		if (now != before) {
			printf("%s: epoch %u -> %u\n", ifname, before, now);
			return SG_EXIT_OK;
		}
	}
	pr_warn("synguard keys: the daemon on %s (pid %u) did not change the "
		"epoch within %d s (still %u)\n",
		ifname, info.pid, ROTATE_TIMEOUT_MS / 1000, before);
	return SG_EXIT_FAIL;
}

static int keys_show(const struct ctl_opts *o, const char *ifname)
{
	struct sg_info info;
	char when[80] = "never", age[32];
	__u32 epoch;
	int alive;

	if (keys_info(o, ifname, &info) || keys_epoch(o, ifname, &epoch))
		return SG_EXIT_FAIL;
	alive = sg_daemon_alive(info.pid);
	if (info.rotated) {
		sg_time_str(info.rotated, when, sizeof(when));
		sg_age_str(info.rotated, age, sizeof(age));
		snprintf(when + strlen(when), sizeof(when) - strlen(when),
			 " (%s ago)", age);
	}
	if (o->json) {
		printf("{\n  ");
		sg_json_str(ifname);
		printf(": {\n    \"epoch\": %u,\n"
		       "    \"rotations\": %llu,\n    \"rotated\": %llu,\n"
		       "    \"key_period\": %u,\n    \"key_source\": \"%s\",\n"
		       "    \"pid\": %u,\n    \"running\": %s\n  }\n}\n",
		       epoch, (unsigned long long)info.rotations,
		       (unsigned long long)info.rotated, info.key_period,
		       info.key_file ? "file" : "random", info.pid,
		       alive ? "true" : "false");
		return SG_EXIT_OK;
	}
	printf("%s\n", ifname);
	printf("  %-14s %u\n", "epoch", epoch);
	printf("  %-14s %llu\n", "rotations",
	       (unsigned long long)info.rotations);
	printf("  %-14s %s\n", "last rotation", when);
	if (info.key_period)
		printf("  %-14s %u s\n", "key period", info.key_period);
	else
		printf("  %-14s unknown (no daemon record)\n", "key period");
	printf("  %-14s %s\n", "key source",
	       info.key_file ? "key file" : "random, new at daemon start");
	if (info.pid)
		printf("  %-14s pid %u, %s\n", "daemon", info.pid,
		       alive ? "running" : "not running");
	else
		printf("  %-14s none recorded\n", "daemon");
	return SG_EXIT_OK;
}

int cmd_keys(int argc, char **argv)
{
	struct ctl_opts o;
	int rc;

	rc = parse_ctl(argc, argv, 0, keys_help, &o);
	if (rc)
		return rc < 0 ? SG_EXIT_OK : rc;
	if (strcmp(o.sub, "rotate") && strcmp(o.sub, "show"))
		return usage_err(o.cmd,
				 "unknown subcommand '%s' (rotate or show)",
				 o.sub);
	if (!o.nargs)
		return usage_err(o.cmd, "no interface given to '%s'", o.sub);
	if (o.nargs > 1)
		return usage_err(o.cmd, "unexpected argument '%s'", o.args[1]);
	if (!sg_ifname_valid(o.args[0]))
		return input_err(o.cmd, "bad interface name '%s'", o.args[0]);
	if (!strcmp(o.sub, "rotate")) {
		if (o.json)
			return usage_err(o.cmd,
					 "--json applies to 'show' only");
		return keys_rotate(&o, o.args[0]);
	}
	return keys_show(&o, o.args[0]);
}
