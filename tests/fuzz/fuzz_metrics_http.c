// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer harness: the /metrics HTTP endpoint (user/metrics.c on
 * libmicrohttpd), as `synguard run` starts it.
 *
 * LLVMFuzzerInitialize starts sg_metrics_start() on 127.0.0.1 and a free
 * port over a private pin root. When it can (root, /sys/fs/bpf is a
 * bpffs) the pin root holds the real maps of one interface "fz0" (the
 * skeleton's maps, loaded and pinned, with an installed key, an epoch and
 * an sg_info), so scrapes render real data; otherwise an empty directory.
 * $SG_FUZZ_PIN_ROOT overrides where the pins go (the test script removes
 * it afterwards).
 *
 * Each input is written to a new TCP connection, which is then half-closed;
 * the answer is read with a short timeout. Invariants:
 *  - whatever comes back is HTTP ("HTTP/1.") and never holds the key;
 *  - every 64 inputs, and after the last, a normal "GET /metrics" gets a
 *    200 with the metric families (synguard_build_info) within 5 s: the
 *    endpoint keeps serving whatever the inputs were.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "common.h"
#include "fuzz_common.h"
#include "log.h"
#include "metrics.h"
#include "synguard.skel.h"

#define HEALTH_EVERY 64
#define REPLY_MAX (1 << 20)

static struct sg_metrics *srv;
static struct synguard_bpf *skel;
static struct sockaddr_in srv_addr;
static char root[PATH_MAX], ifdir[PATH_MAX + 8];
static int own_root, tmp_root;
static unsigned long long execs;
/* A recognisable key: its bytes must never appear in an answer. */
static const __u64 key_k0 = 0x4b45594b45595fa5ULL,
		   key_k1 = 0x5a5a4b4559215a5aULL;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Send @req on a new connection (half-closing after it when @half) and read
 * the answer into @buf: wait up to @first seconds for its first byte, then
 * until EOF, a pause of @idle seconds, or @cap bytes. libmicrohttpd keeps
 * an idle or incomplete connection open until its timeout (5 s), so EOF
 * alone cannot end the wait. Returns the bytes read, or -1 when the
 * connection could not be made.
 */
static ssize_t exchange(const void *req, size_t len, int half, char *buf,
			size_t cap, double first, double idle)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	size_t got = 0, sent = 0;
	double end = now() + first;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* RST on close: no TIME_WAIT pile-up over millions of inputs, and
	 * the server drops its side at once. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&srv_addr, sizeof(srv_addr))) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (!len && half)
		shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double left = end - now();
		ssize_t n;

		if (sent < len)
			p.events |= POLLOUT;
		if (left <= 0)
			break;
		n = poll(&p, 1, (int)(left * 1000) + 1);
		if (n < 0 && errno == EINTR)
			continue; /* libFuzzer's SIGALRM (-timeout) */
		if (n <= 0)
			break;
		if (p.revents & POLLOUT) {
			n = send(fd, (const char *)req + sent, len - sent,
				 MSG_NOSIGNAL);
			if (n > 0)
				sent += n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				sent = len; /* peer gone: just read */
			if (sent == len && half)
				shutdown(fd, SHUT_WR);
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, buf + got, cap - 1 - got, 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0)
				break;
			got += n;
			if (got == cap - 1)
				break;
			end = now() + idle;
		}
	}
	buf[got] = '\0';
	close(fd);
	return (ssize_t)got;
}

static int contains(const char *buf, size_t len, const void *needle,
		    size_t nlen)
{
	return memmem(buf, len, needle, nlen) != NULL;
}

static int key_leaks(const char *buf, size_t len)
{
	char s[64];

	if (contains(buf, len, &key_k0, 8) || contains(buf, len, &key_k1, 8))
		return 1;
	snprintf(s, sizeof(s), "%llu", (unsigned long long)key_k0);
	if (contains(buf, len, s, strlen(s)))
		return 1;
	snprintf(s, sizeof(s), "%llx", (unsigned long long)key_k0);
	if (contains(buf, len, s, strlen(s)))
		return 1;
	snprintf(s, sizeof(s), "%llx", (unsigned long long)key_k1);
	return contains(buf, len, s, strlen(s));
}

static void health(const char *when)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: fuzz\r\n"
				  "Connection: close\r\n\r\n";
	static char buf[REPLY_MAX];
	ssize_t n =
		exchange(req, sizeof(req) - 1, 0, buf, sizeof(buf), 5.0, 0.5);

	FUZZ_ASSERT(n > 0, "%s: no answer to GET /metrics (%zd, %s)", when, n,
		    strerror(errno));
	FUZZ_ASSERT(!strncmp(buf, "HTTP/1.1 200", 12) &&
			    contains(buf, n, "synguard_build_info", 19),
		    "%s: GET /metrics answered '%.60s'", when, buf);
	if (skel)
		FUZZ_ASSERT(contains(buf, n, "interface=\"fz0\"", 15),
			    "%s: scrape lacks the fz0 interface", when);
	FUZZ_ASSERT(!key_leaks(buf, n), "%s: key material in a scrape", when);
}

static int is_bpffs(const char *path)
{
	struct statfs sfs;

	return !statfs(path, &sfs) && sfs.f_type == BPF_FS_MAGIC;
}

/* Load the skeleton with its maps pinned under <root>/fz0; 0 or -1. */
static int setup_pins(void)
{
	struct sg_key k = { .k0 = key_k0, .k1 = key_k1, .valid = 1 };
	struct sg_epoch_state es;
	struct sg_info info = { 0 };
	struct bpf_map *map;
	char path[PATH_MAX + 64];
	__u32 zero = 0, slot;

	skel = synguard_bpf__open();
	if (!skel)
		return -1;
	bpf_program__set_autoload(skel->progs.synguard_tc, false);
	bpf_object__for_each_map(map, skel->obj)
	{
		if (strncmp(bpf_map__name(map), "sg_", 3))
			continue;
		snprintf(path, sizeof(path), "%s/%s", ifdir,
			 bpf_map__name(map));
		if (bpf_map__set_pin_path(map, path))
			goto fail;
	}
	if (synguard_bpf__load(skel))
		goto fail;
	es.epoch = (__u32)(time(NULL) / 60);
	es.engaged = 0;
	k.epoch = es.epoch;
	slot = es.epoch % SG_KEY_SLOTS;
	info.pid = getpid();
	info.key_period = 60;
	info.started = info.rotated = time(NULL);
	if (bpf_map__update_elem(skel->maps.sg_keys, &slot, 4, &k, sizeof(k),
				 0) ||
	    bpf_map__update_elem(skel->maps.sg_epoch, &zero, 4, &es, sizeof(es),
				 0) ||
	    bpf_map__update_elem(skel->maps.sg_info, &zero, 4, &info,
				 sizeof(info), 0))
		goto fail;
	return 0;
fail:
	bpf_object__unpin_maps(skel->obj, NULL);
	synguard_bpf__destroy(skel);
	skel = NULL;
	return -1;
}

static void cleanup(void)
{
	if (srv) {
		fuzz_cur_data = NULL; /* no input is current any more */
		fuzz_cur_size = 0;
		health("at exit");
		sg_metrics_stop(srv);
		srv = NULL;
	}
	if (skel) {
		bpf_object__unpin_maps(skel->obj, NULL);
		synguard_bpf__destroy(skel);
		skel = NULL;
	}
	rmdir(ifdir);
	if (own_root)
		rmdir(root);
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *env = getenv("SG_FUZZ_PIN_ROOT");
	char addr[64];
	int i, port = -1;

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	sg_log_init(SG_LOG_WARN);
	libbpf_set_print(NULL);

	if (env && *env) {
		snprintf(root, sizeof(root), "%s", env);
		own_root = !mkdir(root, 0700);
	} else if (!geteuid() && is_bpffs("/sys/fs/bpf")) {
		snprintf(root, sizeof(root), "/sys/fs/bpf/sg-fuzz-%d",
			 (int)getpid());
		own_root = !mkdir(root, 0700);
	} else {
		snprintf(root, sizeof(root), "/tmp/sg-fuzz-metrics.XXXXXX");
		if (!mkdtemp(root))
			abort();
		own_root = tmp_root = 1;
	}
	snprintf(ifdir, sizeof(ifdir), "%s/fz0", root);
	mkdir(ifdir, 0700);
	if (tmp_root || !is_bpffs(root) || setup_pins())
		fprintf(stderr, "fuzz_metrics_http: no BPF pins (not root or "
				"no bpffs); scraping an empty pin root\n");
	atexit(cleanup);

	for (i = 0; i < 50 && !srv; i++) {
		port = free_port();
		if (port <= 0)
			continue;
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
		srv = sg_metrics_start(addr, root, "own");
	}
	if (!srv) {
		fprintf(stderr,
			"fuzz_metrics_http: cannot start the endpoint: "
			"%s\n",
			strerror(errno));
		abort();
	}
	srv_addr.sin_family = AF_INET;
	srv_addr.sin_port = htons(port);
	srv_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fprintf(stderr, "fuzz_metrics_http: serving on %s, pins under %s\n",
		addr, root);
	health("at start");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[REPLY_MAX];
	int complete;
	ssize_t n;

	fuzz_cur_data = data;
	fuzz_cur_size = size;
	/* A complete request (a blank line) is answered at once; anything
	 * else is worth only a short wait. */
	complete = memmem(data, size, "\r\n\r\n", 4) ||
		   memmem(data, size, "\n\n", 2);
	n = exchange(data, size, 1, buf, sizeof(buf), complete ? 0.5 : 0.02,
		     0.02);
	FUZZ_ASSERT(n >= 0, "connect failed: %s", strerror(errno));
	FUZZ_ASSERT(n == 0 || !strncmp(buf, "HTTP/1.", n < 7 ? n : 7),
		    "answer is not HTTP: '%.40s'", buf);
	FUZZ_ASSERT(!key_leaks(buf, n), "key material in an answer");
	if (++execs % HEALTH_EVERY == 0)
		health("after an input");
	return 0;
}
