// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer harness: the `synguard run --config FILE` parser, load_config()
 * and apply_opt() in user/run.c. Both are static, so run.c is compiled
 * into this harness; the input is written to a memfd and loaded through
 * /proc/self/fd/N (no disk I/O, no temporary files).
 *
 * Invariants:
 *  - 0 or -1; on -1 a one-line message "PATH:LINE: ..." whose line number
 *    is within the file;
 *  - on success every option is within its documented range (the checks
 *    of apply_opt), the port count is the bitmap's population count, every
 *    allow/deny entry is a valid CIDR (no host bits), at most 64 of each,
 *    the metrics address parses, the strings are terminated and non-empty;
 *    the command-line-only state (cli_allow, cli_deny, ifname) is untouched;
 *  - the options written back as a canonical config file load to the same
 *    options.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "../../user/run.c"

#include "fuzz_common.h"

static int memfd = -1, memfd2 = -1;
static char mpath[64], mpath2[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memfd = memfd_create("sg-fuzz-config", MFD_CLOEXEC);
	memfd2 = memfd_create("sg-fuzz-config2", MFD_CLOEXEC);
	if (memfd < 0 || memfd2 < 0)
		abort();
	snprintf(mpath, sizeof(mpath), "/proc/self/fd/%d", memfd);
	snprintf(mpath2, sizeof(mpath2), "/proc/self/fd/%d", memfd2);
	return 0;
}

/* The defaults of parse_run(), before the config file is read. */
static void defaults(struct run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->engine = -1;
	o->wscale = ~0u;
	o->ttl = 64;
	o->window = 65535;
	o->key_period = SG_KEY_PERIOD_DEFAULT;
	o->synack_rate = SG_SYNACK_RATE_DEFAULT;
	o->prefix4 = 24;
	o->prefix6 = 64;
	snprintf(o->metrics, sizeof(o->metrics), "%s", SG_METRICS_DEFAULT);
}

static void set_file(int fd, const void *buf, size_t len)
{
	if (ftruncate(fd, 0) ||
	    (len && pwrite(fd, buf, len, 0) != (ssize_t)len))
		abort();
}

static int popcount(const __u32 *b)
{
	int i, n = 0;

	for (i = 0; i < SG_PORT_WORDS; i++)
		n += __builtin_popcount(b[i]);
	return n;
}

static int in(__u32 v, __u32 lo, __u32 hi)
{
	return v >= lo && v <= hi;
}

static int cidr_ok(const struct sg_cidr *c)
{
	struct sg_cidr c2;
	char s[SG_CIDR_STRLEN], err[256];

	if (c->family != 4 && c->family != 6)
		return 0;
	sg_cidr_str(c, s, sizeof(s));
	return !sg_parse_cidr(s, &c2, err, sizeof(err)) &&
	       c2.family == c->family && c2.prefixlen == c->prefixlen &&
	       !memcmp(c2.addr, c->addr, sizeof(c->addr));
}

static void check_opts(const struct run_opts *o)
{
	struct sockaddr_storage sa;
	size_t salen;
	char err[256];
	int i;

	FUZZ_ASSERT(!o->ifname && !o->cli_allow && !o->cli_deny,
		    "command-line state changed by the config file");
	FUZZ_ASSERT(o->nports >= 0 && o->nports == popcount(o->ports) &&
			    !(o->ports[0] & 1),
		    "nports %d, bitmap %d", o->nports, popcount(o->ports));
	FUZZ_ASSERT(o->mode == XDP_MODE_NATIVE || o->mode == XDP_MODE_SKB ||
			    o->mode == XDP_MODE_UNSPEC,
		    "mode %d", o->mode);
	FUZZ_ASSERT(in(o->engine + 1, 0, 2), "engine %d", o->engine);
	FUZZ_ASSERT(o->set_sysctl == 0 || o->set_sysctl == 1, "set-sysctl");
	FUZZ_ASSERT(!o->mss4 || in(o->mss4, 536, 65495), "mss4 %u", o->mss4);
	FUZZ_ASSERT(!o->mss6 || in(o->mss6, 1220, 65475), "mss6 %u", o->mss6);
	FUZZ_ASSERT(o->wscale == ~0u || o->wscale <= 14, "wscale %u",
		    o->wscale);
	FUZZ_ASSERT(in(o->ttl, 1, 255), "ttl %u", o->ttl);
	FUZZ_ASSERT(in(o->window, 1, 65535), "window %u", o->window);
	FUZZ_ASSERT(in(o->key_period, 1, 86400), "key-period %u",
		    o->key_period);
	FUZZ_ASSERT(o->synack_rate <= 100000000, "rate %u", o->synack_rate);
	FUZZ_ASSERT(!o->synack_burst || in(o->synack_burst, 1, 100000000),
		    "burst %u", o->synack_burst);
	FUZZ_ASSERT(in(o->prefix4, 1, 32) && in(o->prefix6, 1, 128),
		    "prefix %u/%u", o->prefix4, o->prefix6);
	FUZZ_ASSERT(in(o->nallow, 0, SG_LIST_ARGS) &&
			    in(o->ndeny, 0, SG_LIST_ARGS),
		    "lists %d/%d", o->nallow, o->ndeny);
	for (i = 0; i < o->nallow; i++)
		FUZZ_ASSERT(cidr_ok(&o->allow[i]), "allow[%d]", i);
	for (i = 0; i < o->ndeny; i++)
		FUZZ_ASSERT(cidr_ok(&o->deny[i]), "deny[%d]", i);
	FUZZ_ASSERT(memchr(o->metrics, 0, sizeof(o->metrics)) &&
			    sg_metrics_parse_addr(o->metrics, &sa, &salen, err,
						  sizeof(err)) >= 0,
		    "metrics '%.80s'", o->metrics);
	FUZZ_ASSERT(memchr(o->pin_root, 0, sizeof(o->pin_root)) &&
			    strlen(o->pin_root) <
				    sizeof(o->pin_root) - IF_NAMESIZE - 64,
		    "pin-root");
	FUZZ_ASSERT(memchr(o->key_file, 0, sizeof(o->key_file)), "key-file");
}

/* The options as a config file; 0, or -1 when a line would not fit. */
static int write_canonical(const struct run_opts *o, char *buf, size_t len)
{
	char ports[65536], c[SG_CIDR_STRLEN];
	size_t off = 0;
	int i;

#define OUT(...)                                                      \
	do {                                                          \
		int n_ = snprintf(buf + off, len - off, __VA_ARGS__); \
		if (n_ < 0 || (size_t)n_ >= len - off || n_ > 1000)   \
			return -1;                                    \
		off += n_;                                            \
	} while (0)
	if (o->nports) {
		sg_ports_format(o->ports, ports, sizeof(ports));
		if (strstr(ports, ",...")) /* too long to write back */
			return -1;
		OUT("ports = %s\n", ports);
	}
	OUT("mode = %s\n", o->mode == XDP_MODE_NATIVE ? "native" :
			   o->mode == XDP_MODE_SKB    ? "generic" :
							"auto");
	OUT("cookie = %s\n", o->engine == SG_ENGINE_OWN	   ? "own" :
			     o->engine == SG_ENGINE_KERNEL ? "kernel" :
							     "auto");
	OUT("set-sysctl = %s\n", o->set_sysctl ? "yes" : "no");
	if (o->mss4)
		OUT("mss4 = %u\n", o->mss4);
	if (o->mss6)
		OUT("mss6=%u\n", o->mss6);
	if (o->wscale != ~0u)
		OUT("\twscale\t=\t%u  \n", o->wscale);
	OUT("ttl = %u # comment\n", o->ttl);
	OUT("window = %u\r\n", o->window);
	OUT("key-period = %u\n", o->key_period);
	OUT("synack-rate = %u\n", o->synack_rate);
	if (o->synack_burst)
		OUT("synack-burst = %u\n", o->synack_burst);
	OUT("prefix4 = %u\nprefix6 = %u\n", o->prefix4, o->prefix6);
	if (o->pin_root[0])
		OUT("pin-root = %s\n", o->pin_root);
	if (o->key_file[0])
		OUT("key-file = %s\n", o->key_file);
	for (i = 0; i < o->nallow; i++) {
		sg_cidr_str(&o->allow[i], c, sizeof(c));
		OUT("allow = %s\n", c);
	}
	for (i = 0; i < o->ndeny; i++) {
		sg_cidr_str(&o->deny[i], c, sizeof(c));
		OUT("deny = %s\n", c);
	}
	if (o->metrics_explicit)
		OUT("metrics = %s\n", o->metrics);
	return (int)off;
#undef OUT
}

static void same_opts(const struct run_opts *a, const struct run_opts *b)
{
	int i;

	FUZZ_ASSERT(a->nports == b->nports &&
			    !memcmp(a->ports, b->ports, sizeof(a->ports)),
		    "ports");
	FUZZ_ASSERT(a->mode == b->mode && a->engine == b->engine &&
			    a->set_sysctl == b->set_sysctl,
		    "mode/engine/set-sysctl");
	FUZZ_ASSERT(a->mss4 == b->mss4 && a->mss6 == b->mss6 &&
			    a->wscale == b->wscale && a->ttl == b->ttl &&
			    a->window == b->window &&
			    a->key_period == b->key_period,
		    "numbers");
	FUZZ_ASSERT(a->synack_rate == b->synack_rate &&
			    a->synack_burst == b->synack_burst &&
			    a->prefix4 == b->prefix4 &&
			    a->prefix6 == b->prefix6,
		    "guard");
	FUZZ_ASSERT(!strcmp(a->pin_root, b->pin_root) &&
			    !strcmp(a->key_file, b->key_file) &&
			    !strcmp(a->metrics, b->metrics) &&
			    a->metrics_explicit == b->metrics_explicit,
		    "strings");
	FUZZ_ASSERT(a->nallow == b->nallow && a->ndeny == b->ndeny, "lists");
	for (i = 0; i < a->nallow; i++)
		FUZZ_ASSERT(!sg_cidr_cmp(&a->allow[i], &b->allow[i]), "allow");
	for (i = 0; i < a->ndeny; i++)
		FUZZ_ASSERT(!sg_cidr_cmp(&a->deny[i], &b->deny[i]), "deny");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run_opts o, o2;
	static char canon[1 << 17];
	char err[PATH_MAX + 128];
	size_t i, lines = 1;
	int rc, n;

	fuzz_cur_data = data;
	fuzz_cur_size = size;
	set_file(memfd, data, size);
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';

	defaults(&o);
	memset(err, 0, sizeof(err));
	rc = load_config(&o, mpath, err, sizeof(err));
	FUZZ_ASSERT(rc == 0 || rc == -1, "rc %d", rc);
	if (rc) {
		size_t pl = strlen(mpath);
		char *end;
		long line;

		FUZZ_ASSERT(fuzz_msg_ok(err, sizeof(err)) && !strchr(err, '\n'),
			    "bad message");
		FUZZ_ASSERT(!strncmp(err, mpath, pl) && err[pl] == ':',
			    "message '%s' does not start with the path", err);
		line = strtol(err + pl + 1, &end, 10);
		FUZZ_ASSERT(*end == ':' && line >= 1 && (size_t)line <= lines,
			    "line number in '%s' (file has %zu lines)", err,
			    lines);
		return 0;
	}
	check_opts(&o);

	n = write_canonical(&o, canon, sizeof(canon));
	if (n < 0)
		return 0;
	set_file(memfd2, canon, n);
	defaults(&o2);
	rc = load_config(&o2, mpath2, err, sizeof(err));
	FUZZ_ASSERT(!rc, "canonical form refused: %s\n%s", err, canon);
	same_opts(&o, &o2);
	return 0;
}
