// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * /metrics over HTTP with libmicrohttpd, from the pinned maps of every
 * interface under the pin root. One internal polling thread serves all
 * connections without blocking on any of them; connection count (in all
 * and per client address), request memory and idle time are bounded, so a
 * slow or garbage client cannot starve a scrape, and the packet path never
 * waits for HTTP. Only GET and HEAD of / and /metrics; nothing
 * key-related is ever read.
 *
 * Privilege separation (sg_metrics_spawn, what `synguard run` uses): the
 * daemon binds the listening socket, then forks the HTTP process, which
 * keeps only that socket and its end of a socketpair, drops to an
 * unprivileged user with no capabilities, no_new_privs and a seccomp
 * filter (sandbox.c), and only then parses HTTP. For each scrape it sends
 * one request byte over the socketpair; a thread of the daemon answers
 * with the rendered text (a length, then the bytes). The daemon reads
 * nothing else from it: attacker-controlled bytes never reach the
 * privileged process. When the HTTP process dies, the daemon starts a new
 * one a second later on the same socket (at most SG_HTTP_RESTARTS in a
 * minute, then it gives up and says so); the packet path and the daemon
 * never depend on it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <microhttpd.h>

#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "pins.h"
#include "prom.h"
#include "sandbox.h"
#include "stats.h"
#include "top.h"

#ifndef SG_VERSION
#define SG_VERSION "0.0.0"
#endif

#define SG_HTTP_CONN_MAX 1024
#define SG_HTTP_PER_IP 64   /* of those, from one client address */
#define SG_HTTP_TIMEOUT 5   /* seconds a connection may idle */
#define SG_HTTP_MEM 16384   /* request buffer per connection */
#define SG_SNAPSHOTS_MAX 64 /* interfaces per scrape */
#define SG_HTTP_RESTARTS 5  /* HTTP process restarts per minute, at most */
#define SG_HTTP_START_S 10  /* seconds the HTTP process may take to start */
#define SG_RENDER_MAX (64u << 20)

/* Over the socketpair: the HTTP process sends one of these bytes... */
enum {
	SG_CHAN_READY = 'R',  /* started: serving */
	SG_CHAN_ERROR = 'E',  /* could not start; an int errno follows */
	SG_CHAN_SCRAPE = 'M', /* render /metrics, please */
};

/* ...and the daemon answers SG_CHAN_SCRAPE with this, then len bytes. */
struct sg_chan_reply {
	uint32_t failed;
	uint32_t len;
};

struct sg_metrics {
	struct MHD_Daemon *mhd; /* in this process (in-process, or the child) */
	char pin_root[PATH_MAX];
	char engine[16];
	struct sockaddr_storage sa;
	/* Privilege-separated: the daemon's side. */
	int privsep;
	int listen_fd; /* bound by the daemon, served by the child */
	int chan;      /* the daemon's end of the socketpair; -1: no child */
	int stop[2];   /* sg_metrics_stop() -> the supervising thread */
	pid_t child;
	uid_t uid;
	gid_t gid;
	char user[64];
	pthread_t thread;
	int have_thread;
	/* In the HTTP process: its end of the socketpair. */
	int in_child;
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
	s->running = s->have_info && sg_daemon_alive(s->info.pid);
	fd = sg_pin_fd(root, ifname, SG_MAP_EPOCH);
	if (fd >= 0) {
		struct sg_epoch_state es;

		if (!bpf_map_lookup_elem(fd, &zero, &es)) {
			s->epoch = es.epoch;
			s->engaged = es.engaged;
		}
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

static int io_full(int fd, void *buf, size_t len, int out)
{
	char *p = buf;

	while (len) {
		ssize_t n =
			out ? send(fd, p, len, MSG_NOSIGNAL) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EPIPE;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * In the HTTP process: ask the daemon for the rendered text. Any failure
 * leaves the stream in an unknown state: the process exits and the daemon
 * starts a fresh one.
 */
static void fetch(struct sg_metrics *m, struct sg_buf *b)
{
	char req = SG_CHAN_SCRAPE;
	struct sg_chan_reply r;

	if (io_full(m->chan, &req, 1, 1) || io_full(m->chan, &r, sizeof(r), 0))
		goto lost;
	if (r.failed || r.len > SG_RENDER_MAX) {
		b->failed = 1;
		if (r.len > SG_RENDER_MAX)
			goto lost;
		return;
	}
	b->data = malloc(r.len + 1);
	if (!b->data)
		goto lost;
	b->cap = r.len + 1;
	b->len = r.len;
	if (io_full(m->chan, b->data, r.len, 0))
		goto lost;
	return;
lost:
	pr_warn("synguard: metrics: lost the daemon's answer; HTTP process "
		"exiting\n");
	_exit(1);
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
	if (m->in_child)
		fetch(m, &b);
	else
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
	char msg[512];

	(void)cls;
	if (sg_log_level >= SG_LOG_DEBUG) {
		vsnprintf(msg, sizeof(msg), fmt, ap);
		pr_debug("synguard: metrics: %s", msg);
	}
}

static void raise_nofile(void)
{
	struct rlimit rl;

	/* Room for the connection limit plus our own descriptors. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) &&
	    rl.rlim_cur < SG_HTTP_CONN_MAX + 256 && rl.rlim_max > rl.rlim_cur) {
		rl.rlim_cur = rl.rlim_max < SG_HTTP_CONN_MAX + 256 ?
				      rl.rlim_max :
				      SG_HTTP_CONN_MAX + 256;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* libmicrohttpd on @listen_fd (-1: bind m->sa itself). */
static int mhd_start(struct sg_metrics *m, int listen_fd)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_USE_ERROR_LOG;

	if (m->sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	/* The logger first, or libmicrohttpd complains on its own. */
	if (listen_fd >= 0)
		m->mhd =
			MHD_start_daemon(flags, 0, NULL, NULL, handle, m,
					 MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
					 NULL, MHD_OPTION_LISTEN_SOCKET,
					 listen_fd, MHD_OPTION_CONNECTION_LIMIT,
					 (unsigned int)SG_HTTP_CONN_MAX,
					 MHD_OPTION_CONNECTION_TIMEOUT,
					 (unsigned int)SG_HTTP_TIMEOUT,
					 MHD_OPTION_PER_IP_CONNECTION_LIMIT,
					 (unsigned int)SG_HTTP_PER_IP,
					 MHD_OPTION_CONNECTION_MEMORY_LIMIT,
					 (size_t)SG_HTTP_MEM, MHD_OPTION_END);
	else
		m->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, m,
					  MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
					  NULL, MHD_OPTION_SOCK_ADDR, &m->sa,
					  MHD_OPTION_CONNECTION_LIMIT,
					  (unsigned int)SG_HTTP_CONN_MAX,
					  MHD_OPTION_CONNECTION_TIMEOUT,
					  (unsigned int)SG_HTTP_TIMEOUT,
					  MHD_OPTION_PER_IP_CONNECTION_LIMIT,
					  (unsigned int)SG_HTTP_PER_IP,
					  MHD_OPTION_CONNECTION_MEMORY_LIMIT,
					  (size_t)SG_HTTP_MEM, MHD_OPTION_END);
	if (!m->mhd) {
		if (errno)
			return -errno;
		/* Bound already (the daemon's socket): not an address in
		 * use, whatever libmicrohttpd did not say. */
		if (listen_fd >= 0) {
			pr_err("synguard: metrics: libmicrohttpd failed to "
			       "start\n");
			return -EIO;
		}
		return -EADDRINUSE;
	}
	return 0;
}

static struct sg_metrics *metrics_new(const char *addr, const char *pin_root,
				      const char *engine)
{
	struct sg_metrics *m;
	char err[128];
	size_t salen;

	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	if (sg_metrics_parse_addr(addr, &m->sa, &salen, err, sizeof(err))) {
		free(m);
		errno = EINVAL;
		return NULL;
	}
	snprintf(m->pin_root, sizeof(m->pin_root), "%s", pin_root);
	snprintf(m->engine, sizeof(m->engine), "%s", engine);
	m->listen_fd = m->chan = m->stop[0] = m->stop[1] = -1;
	raise_nofile();
	return m;
}

struct sg_metrics *sg_metrics_start(const char *addr, const char *pin_root,
				    const char *engine)
{
	struct sg_metrics *m = metrics_new(addr, pin_root, engine);
	int err;

	if (!m)
		return NULL;
	err = mhd_start(m, -1);
	if (err) {
		free(m);
		errno = -err;
		return NULL;
	}
	return m;
}

/* ---- privilege separation: the daemon's side --------------------------- */

static int listen_on(const struct sockaddr_storage *sa)
{
	socklen_t len = sa->ss_family == AF_INET6 ?
				sizeof(struct sockaddr_in6) :
				sizeof(struct sockaddr_in);
	int fd, one = 1, err;

	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, len) ||
	    listen(fd, SOMAXCONN)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Close every descriptor above 2 but @a and @b. */
static void close_others(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo > 3)
		close_range(3, lo - 1, 0);
	if (hi > lo + 1)
		close_range(lo + 1, hi - 1, 0);
	close_range(hi + 1, ~0U, 0);
}

static void child_report(int chan, int err)
{
	char msg[1 + sizeof(int)] = { SG_CHAN_ERROR };

	memcpy(msg + 1, &err, sizeof(err));
	io_full(chan, msg, sizeof(msg), 1);
	_exit(1);
}

static struct {
	void *p;
	size_t len;
} secrets[4];
static int nsecrets;

void sg_metrics_forget(void *p, size_t len)
{
	if (nsecrets < (int)(sizeof(secrets) / sizeof(secrets[0]))) {
		secrets[nsecrets].p = p;
		secrets[nsecrets].len = len;
		nsecrets++;
	}
}

/* The HTTP process: never returns. */
static void child_main(struct sg_metrics *m, int chan, pid_t daemon)
{
	struct timeval tv = { .tv_sec = 30 };
	char ready = SG_CHAN_READY, err[160];
	sigset_t none;
	int e;

	for (e = 0; e < nsecrets; e++)
		explicit_bzero(secrets[e].p, secrets[e].len);
	prctl(PR_SET_NAME, "synguard-http", 0, 0, 0);
	signal(SIGINT, SIG_IGN); /* a terminal's ^C is the daemon's to act on */
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	close_others(m->listen_fd, chan);
	e = sg_sandbox_enter(m->uid, m->gid, err, sizeof(err));
	if (e) {
		pr_err("synguard: metrics: HTTP process: %s\n", err);
		child_report(chan, -e);
	}
	/* Die with the daemon; no core dump, no ptrace by other processes
	 * of its user (both set after the uid change, which resets them). */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (getppid() != daemon)
		_exit(0);
	setsockopt(chan, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(m->pin_root, 0, sizeof(m->pin_root));
	m->in_child = 1;
	m->chan = chan;
	e = mhd_start(m, m->listen_fd);
	if (e)
		child_report(chan, -e);
	if (io_full(chan, &ready, 1, 1))
		_exit(1);
	for (;;)
		pause();
}

/* Fork the HTTP process and wait until it serves. 0 or -errno. */
static int child_start(struct sg_metrics *m)
{
	struct pollfd p;
	char msg[1 + sizeof(int)];
	pid_t daemon = getpid();
	int sv[2], err = -EIO, st;
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	m->child = fork();
	if (m->child < 0) {
		err = -errno;
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (!m->child) {
		close(sv[0]);
		child_main(m, sv[1], daemon);
	}
	close(sv[1]);
	p = (struct pollfd){ .fd = sv[0], .events = POLLIN };
	if (poll(&p, 1, SG_HTTP_START_S * 1000) == 1) {
		n = read(sv[0], msg, sizeof(msg));
		if (n == 1 && msg[0] == SG_CHAN_READY) {
			struct timeval tv = { .tv_sec = 5 };

			/* A child that stops reading never blocks us long. */
			setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv,
				   sizeof(tv));
			m->chan = sv[0];
			return 0;
		}
		if (n == (ssize_t)sizeof(msg) && msg[0] == SG_CHAN_ERROR) {
			memcpy(&err, msg + 1, sizeof(err));
			err = err > 0 ? -err : -EIO;
		}
	} else {
		err = -ETIMEDOUT;
	}
	close(sv[0]);
	kill(m->child, SIGKILL);
	waitpid(m->child, &st, 0);
	m->child = 0;
	return err;
}

/* Stop the HTTP process (if any) and describe how it ended in @how. */
static void child_reap(struct sg_metrics *m, int sig, char *how, size_t len)
{
	int st = 0, i, kerr = 0;

	if (m->chan >= 0) {
		close(m->chan);
		m->chan = -1;
	}
	if (m->child <= 0) {
		snprintf(how, len, "none");
		return;
	}
	if (kill(m->child, sig))
		kerr = errno;
	/* 2 s for the signal, then SIGKILL and 2 s more.  Never a blocking
	 * wait: without CAP_KILL over the child's user the kills fail, and
	 * the daemon must still stop: the child ends at its next request
	 * (the channel is closed) or with the daemon (PR_SET_PDEATHSIG). */
	for (i = 0; i < 400; i++) {
		if (waitpid(m->child, &st, WNOHANG) == m->child)
			break;
		if (i == 199 && kill(m->child, SIGKILL))
			kerr = errno;
		usleep(10000);
	}
	if (i == 400) {
		snprintf(how, len, "pid %d, did not end (kill: %s)", m->child,
			 kerr ? strerror(kerr) : "sent");
		m->child = 0;
		return;
	}
	if (WIFSIGNALED(st))
		snprintf(how, len, "pid %d, killed by signal %d (%s)", m->child,
			 WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(how, len, "pid %d, exit status %d", m->child,
			 WEXITSTATUS(st));
	m->child = 0;
}

/* Answer one request from the HTTP process. 0, or -1: it must go. */
static int serve_one(struct sg_metrics *m)
{
	struct sg_chan_reply r = { 0 };
	struct sg_buf b = { 0 };
	ssize_t n;
	char req;
	int err;

	n = read(m->chan, &req, 1);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n != 1)
		return -1; /* it exited (EOF) or the socket broke */
	if (req != SG_CHAN_SCRAPE) {
		pr_warn("synguard: metrics: unexpected request 0x%02x from the "
			"HTTP process\n",
			(unsigned char)req);
		return -1;
	}
	render(m, &b);
	r.failed = b.failed || b.len > SG_RENDER_MAX;
	r.len = r.failed ? 0 : b.len;
	err = io_full(m->chan, &r, sizeof(r), 1);
	if (!err && r.len)
		err = io_full(m->chan, b.data, r.len, 1);
	sg_buf_free(&b);
	return err ? -1 : 0;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The daemon's thread for the endpoint: answers the HTTP process, and when
 * it dies starts another after a second, at most SG_HTTP_RESTARTS times a
 * minute. Ends on sg_metrics_stop() or when it gives up.
 */
static void *supervise(void *arg)
{
	struct sg_metrics *m = arg;
	double deaths[SG_HTTP_RESTARTS] = { 0 }, restart_at = 0;
	char how[128] = "";
	int ndeaths = 0, err;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = m->stop[0], .events = POLLIN },
			{ .fd = m->chan, .events = POLLIN },
		};
		int timeout = -1;

		if (m->chan < 0) {
			timeout = (int)((restart_at - mono()) * 1000);
			timeout = timeout < 0 ? 0 : timeout;
		}
		if (poll(p, m->chan >= 0 ? 2 : 1, timeout) < 0 &&
		    errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (m->chan < 0) {
			if (mono() < restart_at)
				continue;
			err = child_start(m);
			if (!err) {
				pr_warn("synguard: metrics: the HTTP process "
					"ended (%s); restarted as pid %d\n",
					how, m->child);
				continue;
			}
			snprintf(how, sizeof(how), "restart failed: %s",
				 strerror(-err));
		} else if (!p[1].revents || !serve_one(m)) {
			continue;
		} else {
			child_reap(m, SIGKILL, how, sizeof(how));
		}
		/* It died (or would not start): again in a second, unless
		 * that was once too often this minute. */
		if (ndeaths >= SG_HTTP_RESTARTS &&
		    mono() - deaths[ndeaths % SG_HTTP_RESTARTS] < 60) {
			pr_err("synguard: metrics: the HTTP process ended %d "
			       "times within a minute (last: %s); metrics "
			       "endpoint stopped, the daemon runs on\n",
			       SG_HTTP_RESTARTS + 1, how);
			sg_notifyf("STATUS=metrics endpoint stopped: the HTTP "
				   "process kept dying (%s)",
				   how);
			close(m->listen_fd);
			m->listen_fd = -1;
			break;
		}
		deaths[ndeaths++ % SG_HTTP_RESTARTS] = mono();
		restart_at = mono() + 1;
	}
	return NULL;
}

struct sg_metrics *sg_metrics_spawn(const char *addr, const char *pin_root,
				    const char *engine)
{
	struct sg_metrics *m = metrics_new(addr, pin_root, engine);
	int err;

	if (!m)
		return NULL;
	m->privsep = 1;
	sg_sandbox_user(&m->uid, &m->gid, m->user, sizeof(m->user));
	m->listen_fd = listen_on(&m->sa);
	if (m->listen_fd < 0) {
		err = m->listen_fd;
		goto fail;
	}
	if (pipe2(m->stop, O_CLOEXEC)) {
		err = -errno;
		goto fail;
	}
	err = child_start(m);
	if (err)
		goto fail;
	err = -pthread_create(&m->thread, NULL, supervise, m);
	if (err) {
		char how[128];

		child_reap(m, SIGTERM, how, sizeof(how));
		goto fail;
	}
	m->have_thread = 1;
	pr_debug("synguard: metrics: served by HTTP process %d as user %s\n",
		 m->child, m->user);
	return m;
fail:
	if (m->listen_fd >= 0)
		close(m->listen_fd);
	if (m->stop[0] >= 0) {
		close(m->stop[0]);
		close(m->stop[1]);
	}
	free(m);
	errno = -err;
	return NULL;
}

int sg_metrics_pid(const struct sg_metrics *m)
{
	return m && m->privsep ? m->child : 0;
}

void sg_metrics_stop(struct sg_metrics *m)
{
	char how[128];

	if (!m)
		return;
	if (!m->privsep) {
		MHD_stop_daemon(m->mhd);
		free(m);
		return;
	}
	if (m->have_thread) {
		if (write(m->stop[1], "x", 1) < 0)
			pr_debug("synguard: metrics: stop: %s\n",
				 strerror(errno));
		pthread_join(m->thread, NULL);
	}
	child_reap(m, SIGTERM, how, sizeof(how));
	if (m->listen_fd >= 0)
		close(m->listen_fd);
	close(m->stop[0]);
	close(m->stop[1]);
	free(m);
}
