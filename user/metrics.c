// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * /metrics over HTTP with libmicrohttpd, from the pinned maps of every
 * interface under the pin root. One internal polling thread serves all
 * connections without blocking on any of them; connection count, request
 * memory and idle time are bounded, so a slow or garbage client cannot
 * starve a scrape, and the packet path never waits for HTTP. Only GET and
 * HEAD of / and /metrics; nothing key-related is ever read.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <microhttpd.h>

#include "log.h"
#include "metrics.h"
#include "pins.h"
#include "prom.h"
#include "stats.h"
#include "top.h"

#ifndef SG_VERSION
#define SG_VERSION "0.0.0"
#endif

#define SG_HTTP_CONN_MAX 1024
#define SG_HTTP_TIMEOUT 5   /* seconds a connection may idle */
#define SG_HTTP_MEM 16384   /* request buffer per connection */
#define SG_SNAPSHOTS_MAX 64 /* interfaces per scrape */

struct sg_metrics {
	struct MHD_Daemon *mhd;
	char pin_root[PATH_MAX];
	char engine[16];
};

int sg_metrics_parse_addr(const char *s, void *sockaddr, size_t *len, char *err,
			  size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port_s;
	unsigned long port;
	char *end;
	size_t hl;

	if (!strcmp(s, "off"))
		return 1;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			goto bad;
		hl = rb - s - 1;
		port_s = rb + 2;
		if (hl == 0 || hl >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, hl);
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			goto bad;
		hl = colon - s;
		port_s = colon + 1;
		if (hl == 0 || hl >= sizeof(host))
			goto bad;
		memcpy(host, s, hl);
	}
	host[hl] = '\0';
	if (strspn(port_s, "0123456789") != strlen(port_s)) /* no " 9630" */
		goto bad;
	errno = 0;
	port = strtoul(port_s, &end, 10);
	if (!*port_s || *end || errno || port == 0 || port > 65535 ||
	    *port_s == '+' || *port_s == '-')
		goto bad;
	if (s[0] == '[') {
		struct sockaddr_in6 *a = sockaddr;

		memset(a, 0, sizeof(*a));
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			goto bad;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = sockaddr;

		memset(a, 0, sizeof(*a));
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			goto bad;
		*len = sizeof(*a);
	}
	return 0;
bad:
	snprintf(err, errlen,
		 "bad metrics address '%s' (want ADDR:PORT, [IPV6]:PORT or "
		 "off)",
		 s);
	return -EINVAL;
}

static int daemon_alive(__u32 pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	if (!pid || kill(pid, 0))
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strncmp(comm, "synguard", 8);
}

static void snapshot(const char *root, const char *ifname,
		     struct sg_snapshot *s)
{
	__u32 zero = 0;
	int fd;

	memset(s, 0, sizeof(*s));
	sg_prom_escape(s->ifname, sizeof(s->ifname), ifname);
	if (sg_read_stats(root, ifname, s->vals))
		memset(s->vals, 0, sizeof(s->vals));
	fd = sg_pin_fd(root, ifname, SG_MAP_INFO);
	if (fd >= 0) {
		s->have_info = !bpf_map_lookup_elem(fd, &zero, &s->info);
		close(fd);
	}
	s->running = s->have_info && daemon_alive(s->info.pid);
	fd = sg_pin_fd(root, ifname, SG_MAP_EPOCH);
	if (fd >= 0) {
		struct sg_epoch_state es;

		if (!bpf_map_lookup_elem(fd, &zero, &es))
			s->epoch = es.epoch;
		close(fd);
	}
	if (sg_half_open(root, ifname, &s->half_open))
		s->half_open = 0;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_snap(const void *a, const void *b)
{
	return strcmp(((const struct sg_snapshot *)a)->ifname,
		      ((const struct sg_snapshot *)b)->ifname);
}

static void render(struct sg_metrics *m, struct sg_buf *b)
{
	struct sg_snapshot *snaps;
	double t0 = now_seconds();
	struct dirent *de;
	int n = 0;
	DIR *d;

	snaps = calloc(SG_SNAPSHOTS_MAX, sizeof(*snaps));
	if (!snaps) {
		b->failed = 1;
		return;
	}
	d = opendir(m->pin_root);
	while (d && (de = readdir(d)) && n < SG_SNAPSHOTS_MAX) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= IF_NAMESIZE)
			continue;
		snapshot(m->pin_root, de->d_name, &snaps[n++]);
	}
	if (d)
		closedir(d);
	qsort(snaps, n, sizeof(*snaps), cmp_snap);
	sg_prom_render(b, snaps, n, SG_VERSION, m->engine, time(NULL),
		       now_seconds() - t0);
	free(snaps);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code,
			     const char *type, char *body, size_t len,
			     int must_free)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body,
					    must_free ? MHD_RESPMEM_MUST_FREE :
							MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (must_free)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static char page_index[] =
	"<html><head><title>synguard</title></head><body><h1>synguard</h1>"
	"<p><a href=\"/metrics\">Metrics</a></p></body></html>\n";
static char page_404[] = "not found: try /metrics\n";
static char page_405[] = "method not allowed: GET or HEAD\n";
static char page_400[] = "request bodies are not accepted\n";
static char page_500[] = "out of memory\n";

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **state)
{
	static int first_call;
	struct sg_metrics *m = cls;
	struct sg_buf b = { 0 };

	(void)version;
	(void)upload;
	if (!*state) {
		/* Called once for the headers; answer on the next call. */
		*state = &first_call;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0; /* discard, then refuse */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     page_405, strlen(page_405), 0);
	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_CONTENT_LENGTH))
		return reply(c, MHD_HTTP_BAD_REQUEST, "text/plain", page_400,
			     strlen(page_400), 0);
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8",
			     page_index, strlen(page_index), 0);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", page_404,
			     strlen(page_404), 0);
	render(m, &b);
	if (b.failed) {
		sg_buf_free(&b);
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
			     page_500, strlen(page_500), 0);
	}
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
		     b.data, b.len, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (sg_log_level >= SG_LOG_DEBUG) {
		fprintf(stderr, "synguard: metrics: ");
		vfprintf(stderr, fmt, ap);
	}
}

struct sg_metrics *sg_metrics_start(const char *addr, const char *pin_root,
				    const char *engine)
{
	struct sockaddr_storage sa;
	struct sg_metrics *m;
	struct rlimit rl;
	char err[128];
	size_t salen;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_USE_ERROR_LOG;

	if (sg_metrics_parse_addr(addr, &sa, &salen, err, sizeof(err))) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	snprintf(m->pin_root, sizeof(m->pin_root), "%s", pin_root);
	snprintf(m->engine, sizeof(m->engine), "%s", engine);
	/* Room for the connection limit plus our own descriptors. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) &&
	    rl.rlim_cur < SG_HTTP_CONN_MAX + 256 && rl.rlim_max > rl.rlim_cur) {
		rl.rlim_cur = rl.rlim_max < SG_HTTP_CONN_MAX + 256 ?
				      rl.rlim_max :
				      SG_HTTP_CONN_MAX + 256;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, m, MHD_OPTION_SOCK_ADDR, &sa,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SG_HTTP_CONN_MAX,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SG_HTTP_TIMEOUT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SG_HTTP_MEM,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
	if (!m->mhd) {
		int e = errno ? errno : EADDRINUSE;

		free(m);
		errno = e;
		return NULL;
	}
	return m;
}

void sg_metrics_stop(struct sg_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	free(m);
}
