// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * user/netstate.c against a real network namespace (root): the test
 * unshares its own, so it goes when the process exits. There it sets up
 * veth interfaces with IPv4 (one point-to-point), IPv6 (nodad, link-local,
 * one still tentative), a service address on lo, TCP listeners (IPv4
 * only, IPv6 only, dual-stack, bound to one address, ports 32 and 65535
 * at word edges), MPTCP listeners (IPv4, IPv6, and one sharing a port
 * with a plain TCP listener), and sockets that must not count (bound but
 * not listening, UDP, an established connection). It syncs into maps
 * made like the XDP program's, pre-seeded with stale entries, and checks
 * their exact contents and the counters; then it changes addresses and
 * listeners and checks again; an unchanged sync must write nothing (the
 * counters say so, and entries altered behind its back stay altered);
 * new maps are compared whole; a failure part-way makes the next sync
 * read the maps; the tentative address comes once DAD is done. MPTCP
 * listeners are found by each way alone: by ULP names without the MPTCP
 * diag dump, and without CAP_NET_ADMIN (where kernels before 6.15 give
 * no ULP names) by the MPTCP diag dump.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <bpf/bpf.h>

#include "../../user/log.c"
#include "../../user/netstate.c"
#include "sg_test.h"

#define WHY_LEN 1024

static char why[WHY_LEN];

/* Run a shell command; 0 when it exits 0. */
__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc) {
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
		return -1;
	}
	return 0;
}

/* A socket bound to addr:port (addr NULL: any), listening unless !listen. */
static int sock_on(int family, int type, int proto, const char *addr, int port,
		   int v6only, int listening)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	int fd, one = 1;

	fd = socket(family, type | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
			   sizeof(v6only));
		s6.sin6_port = htons(port);
		if (addr)
			inet_pton(AF_INET6, addr, &s6.sin6_addr);
		if (bind(fd, (struct sockaddr *)&s6, sizeof(s6)))
			goto fail;
	} else {
		s4.sin_port = htons(port);
		if (addr)
			inet_pton(AF_INET, addr, &s4.sin_addr);
		if (bind(fd, (struct sockaddr *)&s4, sizeof(s4)))
			goto fail;
	}
	if (listening && listen(fd, 16))
		goto fail;
	return fd;
fail:
	fprintf(stderr, "socket on %s port %d: %s\n", addr ? addr : "any", port,
		strerror(errno));
	close(fd);
	return -1;
}

/* ---- expected map contents ---- */

struct expect {
	const char *v4[8];
	const char *v6[8];
	int listen[16]; /* ports, 0-terminated */
	int mptcp[8];
};

/* Every key of the hash map @fd has value 1 and is one of @want, and
 * every one of @want is there. */
static int check_set(int fd, int family, const char *const *want)
{
	unsigned char key[16], prev[16], bin[16];
	size_t esz = family == AF_INET ? 4 : 16;
	int n = 0, nwant = 0, i, err, found;
	char buf[INET6_ADDRSTRLEN];
	__u32 val;

	why[0] = '\0';
	while (want[nwant])
		nwant++;
	for (err = bpf_map_get_next_key(fd, NULL, key); !err;
	     err = bpf_map_get_next_key(fd, prev, key)) {
		memcpy(prev, key, esz);
		n++;
		inet_ntop(family, key, buf, sizeof(buf));
		if (bpf_map_lookup_elem(fd, key, &val) || val != 1) {
			snprintf(why, sizeof(why), "%s: value %u", buf, val);
			return 0;
		}
		for (i = found = 0; i < nwant && !found; i++) {
			inet_pton(family, want[i], bin);
			found = !memcmp(bin, key, esz);
		}
		if (!found) {
			snprintf(why, sizeof(why), "%s is in the map", buf);
			return 0;
		}
	}
	if (n != nwant) {
		snprintf(why, sizeof(why), "%d entries, want %d", n, nwant);
		return 0;
	}
	return 1;
}

static int in_list(const int *ports, int port)
{
	for (; *ports; ports++)
		if (*ports == port)
			return 1;
	return 0;
}

/* sg_lports holds exactly the listen and mptcp bits of @e. */
static int check_lports(int fd, const struct expect *e)
{
	struct sg_lport v;
	__u32 i, b;

	why[0] = '\0';
	for (i = 0; i < SG_PORT_WORDS; i++) {
		if (bpf_map_lookup_elem(fd, &i, &v)) {
			snprintf(why, sizeof(why), "lookup %u: %s", i,
				 strerror(errno));
			return 0;
		}
		for (b = 0; b < 32; b++) {
			int port = (int)(i * 32 + b);
			int l = !!(v.listen & (1u << b));
			int m = !!(v.mptcp & (1u << b));

			if (l != in_list(e->listen, port) ||
			    m != in_list(e->mptcp, port)) {
				snprintf(why, sizeof(why),
					 "port %d: listen %d mptcp %d, want "
					 "%d %d",
					 port, l, m, in_list(e->listen, port),
					 in_list(e->mptcp, port));
				return 0;
			}
		}
	}
	return 1;
}

static void check_maps(const char *phase, int fd4, int fd6, int fdlp,
		       const struct expect *e)
{
	char name[128];

	snprintf(name, sizeof(name), "%s: sg_local4 exact", phase);
	SG_CHECK(name, check_set(fd4, AF_INET, e->v4), "%s", why);
	snprintf(name, sizeof(name), "%s: sg_local6 exact", phase);
	SG_CHECK(name, check_set(fd6, AF_INET6, e->v6), "%s", why);
	snprintf(name, sizeof(name), "%s: sg_lports exact", phase);
	SG_CHECK(name, check_lports(fdlp, e), "%s", why);
}

static int make_maps(int fds[3])
{
	fds[0] = bpf_map_create(BPF_MAP_TYPE_HASH, SG_MAP_LOCAL4, 4, 4,
				SG_LOCAL_MAX, NULL);
	fds[1] = bpf_map_create(BPF_MAP_TYPE_HASH, SG_MAP_LOCAL6,
				sizeof(struct sg_in6), 4, SG_LOCAL_MAX, NULL);
	fds[2] = bpf_map_create(BPF_MAP_TYPE_ARRAY, SG_MAP_LPORTS, 4,
				sizeof(struct sg_lport), SG_PORT_WORDS, NULL);
	return fds[0] < 0 || fds[1] < 0 || fds[2] < 0 ? -1 : 0;
}

static void put4(int fd, const char *a, __u32 val)
{
	__u32 k;

	inet_pton(AF_INET, a, &k);
	bpf_map_update_elem(fd, &k, &val, BPF_ANY);
}

static void put6(int fd, const char *a, __u32 val)
{
	struct sg_in6 k;

	inet_pton(AF_INET6, a, &k);
	bpf_map_update_elem(fd, &k, &val, BPF_ANY);
}

static void lport_or(int fd, int port, int mptcp)
{
	__u32 i = (__u32)port >> 5;
	struct sg_lport v = { 0 };

	bpf_map_lookup_elem(fd, &i, &v);
	v.listen |= 1u << (port & 31);
	if (mptcp)
		v.mptcp |= 1u << (port & 31);
	bpf_map_update_elem(fd, &i, &v, BPF_ANY);
}

static int writes(const struct sg_netstate_stats *st)
{
	return (int)(st->added + st->removed + st->lport_writes);
}

static int setup_links(void)
{
	return sh("ip link set lo up") ||
	       sh("ip link add a0 type veth peer name a1") ||
	       sh("ip link set a0 addrgenmode none") ||
	       sh("ip link set a1 addrgenmode none") ||
	       sh("ip link set a1 up") || sh("ip link set a0 up") ||
	       sh("ip addr add 192.0.2.1/24 dev a0") ||
	       sh("ip addr add 192.0.2.2/24 dev a0") ||
	       sh("ip addr add 198.51.100.1 peer 198.51.100.254/32 dev a0") ||
	       sh("ip addr add 203.0.113.7/32 dev lo") ||
	       sh("ip -6 addr add 2001:db8::1/64 dev a0 nodad") ||
	       sh("ip -6 addr add 2001:db8:1::5/64 dev a0 nodad") ||
	       sh("ip -6 addr add fe80::1/64 dev a0 nodad") ||
	       sh("ip -6 addr add 2001:db8:9::9/128 dev lo") ||
	       /* t1 stays down: t0 has no carrier, so DAD cannot run */
	       sh("ip link add t0 type veth peer name t1") ||
	       sh("ip link set t0 addrgenmode none") ||
	       sh("ip link set t1 addrgenmode none") ||
	       sh("ip link set t0 up") ||
	       sh("ip -6 addr add 2001:db8:2::1/64 dev t0");
}

/* Raise (on) or drop CAP_NET_ADMIN from the effective set. */
static int net_admin(int on)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	if (on)
		d[0].effective |= 1u << CAP_NET_ADMIN;
	else
		d[0].effective &= ~(1u << CAP_NET_ADMIN);
	return (int)syscall(SYS_capset, &h, d);
}

static int mptcp_enable(void)
{
	int fd = open("/proc/sys/net/mptcp/enabled", O_WRONLY | O_CLOEXEC);
	int ok;

	if (fd < 0)
		return 0;
	ok = write(fd, "1\n", 2) == 2;
	close(fd);
	return ok;
}

int main(void)
{
	struct expect e1 = {
		.v4 = { "192.0.2.1", "192.0.2.2", "198.51.100.1",
			"203.0.113.7" },
		.v6 = { "2001:db8::1", "2001:db8:1::5", "fe80::1",
			"2001:db8:9::9" },
		.listen = { 32, 8001, 8002, 8003, 8004, 8005, 8008, 65535 },
	};
	struct expect e2 = {
		.v4 = { "192.0.2.1", "198.51.100.1", "192.0.2.77",
			"203.0.113.7" },
		.v6 = { "2001:db8::1", "fe80::1", "2001:db8:9::9" },
		.listen = { 32, 8001, 8003, 8004, 8005, 8008, 65535 },
	};
	int fds[3], fds2[3], fds3[3], l[16], cfd = -1, afd = -1, have_mptcp, i,
					     rc, nl = 0;
	struct sg_netstate_stats st;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(8001) };
	struct sg_netstate *ns;
	struct timespec t0, t;
	__u32 k, v, w;
	struct sg_lport lp;

	if (geteuid() != 0) {
		printf("SKIP: netstate: needs root (a network namespace)\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET)) {
		printf("FAIL: netstate: unshare(CLONE_NEWNET): %s\n",
		       strerror(errno));
		return 1;
	}
	sg_log_init(getenv("SG_TEST_DEBUG") ? SG_LOG_DEBUG : SG_LOG_INFO);
	if (setup_links()) {
		printf("FAIL: netstate: setup: interfaces and addresses\n");
		return 1;
	}

	/* Listeners, and sockets that are none. */
	l[nl++] = sock_on(AF_INET, SOCK_STREAM, 0, NULL, 8001, 0, 1);
	l[nl++] = sock_on(AF_INET6, SOCK_STREAM, 0, NULL, 8002, 1, 1);
	l[nl++] = sock_on(AF_INET6, SOCK_STREAM, 0, NULL, 8003, 0, 1);
	l[nl++] = sock_on(AF_INET, SOCK_STREAM, 0, "192.0.2.1", 8004, 0, 1);
	l[nl++] = sock_on(AF_INET6, SOCK_STREAM, 0, "2001:db8::1", 8005, 1, 1);
	l[nl++] = sock_on(AF_INET, SOCK_STREAM, 0, "192.0.2.1", 8008, 0, 1);
	l[nl++] = sock_on(AF_INET, SOCK_STREAM, 0, NULL, 32, 0, 1);
	l[nl++] = sock_on(AF_INET6, SOCK_STREAM, 0, NULL, 65535, 0, 1);
	l[nl++] = sock_on(AF_INET, SOCK_STREAM, 0, NULL, 8009, 0, 0);
	l[nl++] = sock_on(AF_INET, SOCK_DGRAM, 0, NULL, 8010, 0, 0);
	for (i = 0; i < nl; i++)
		if (l[i] < 0) {
			printf("FAIL: netstate: setup: sockets\n");
			return 1;
		}
	/* An established connection: neither end is a listener. */
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (afd = accept(l[0], NULL, NULL)) < 0) {
		printf("FAIL: netstate: setup: connection: %s\n",
		       strerror(errno));
		return 1;
	}
	/* MPTCP: 8006 (IPv4), 8007 (IPv6), 8008 (beside plain TCP). */
	have_mptcp = mptcp_enable();
	if (have_mptcp) {
		l[nl] = sock_on(AF_INET, SOCK_STREAM, IPPROTO_MPTCP, NULL, 8006,
				0, 1);
		l[nl + 1] = sock_on(AF_INET6, SOCK_STREAM, IPPROTO_MPTCP, NULL,
				    8007, 0, 1);
		l[nl + 2] = sock_on(AF_INET, SOCK_STREAM, IPPROTO_MPTCP,
				    "192.0.2.2", 8008, 0, 1);
		have_mptcp = l[nl] >= 0 && l[nl + 1] >= 0 && l[nl + 2] >= 0;
		if (!have_mptcp) {
			printf("FAIL: netstate: setup: MPTCP listeners\n");
			return 1;
		}
		nl += 3;
		/* e1: 8006, 8007 listen too; e2 after 8006 and 8008's go
		 * and 8011 comes */
		e1.listen[8] = 8006;
		e1.listen[9] = 8007;
		e1.mptcp[0] = 8006;
		e1.mptcp[1] = 8007;
		e1.mptcp[2] = 8008;
		e2.listen[7] = 8007;
		e2.listen[8] = 8011;
		e2.mptcp[0] = 8007;
		e2.mptcp[1] = 8011;
	} else {
		printf("SKIP: netstate: MPTCP listeners: no MPTCP here\n");
	}

	if (make_maps(fds)) {
		printf("FAIL: netstate: bpf_map_create: %s\n", strerror(errno));
		return 1;
	}
	/* Stale entries, as pinned maps of an earlier run would have. */
	put4(fds[0], "10.9.9.9", 1);
	put6(fds[1], "2001:db8:dead::1", 1);
	lport_or(fds[2], 9999, 0);
	lport_or(fds[2], 8001, 1);

	ns = sg_netstate_open();
	SG_CHECK("netstate: open", ns, "%s", strerror(errno));
	if (!ns)
		return sg_test_exit();

	/* ---- first sync: compared with the maps, stale entries go ---- */
	rc = sg_netstate_sync(ns, fds[0], fds[1], fds[2], &st);
	SG_CHECK("netstate: first sync", rc == 0, "%s", strerror(-rc));
	check_maps("netstate: first sync", fds[0], fds[1], fds[2], &e1);
	SG_CHECK("netstate: first sync: counters",
		 st.full == 1 && st.addrs4 == 4 && st.addrs6 == 4 &&
			 st.added == 8 && st.removed == 2 &&
			 st.tentative == 1 && st.skipped == 0 &&
			 st.ports == (have_mptcp ? 10u : 8u) &&
			 st.mptcp_ports == (have_mptcp ? 3u : 0u) &&
			 st.listeners == (have_mptcp ? 11u : 8u),
		 "full %u addrs %u/%u added %u removed %u tentative %u "
		 "skipped %u ports %u mptcp %u listeners %u",
		 st.full, st.addrs4, st.addrs6, st.added, st.removed,
		 st.tentative, st.skipped, st.ports, st.mptcp_ports,
		 st.listeners);
	if (have_mptcp) {
		SG_CHECK("netstate: MPTCP listeners by ULP name",
			 st.mptcp_ulp == 3, "%u found, want 3", st.mptcp_ulp);
		if (st.has_mptcp_diag)
			SG_CHECK("netstate: MPTCP listeners by MPTCP diag",
				 st.mptcp_diag == 3, "%u found, want 3",
				 st.mptcp_diag);
		else
			printf("SKIP: netstate: MPTCP listeners by MPTCP "
			       "diag: no mptcp_diag\n");
	}

	/* ---- nothing changed: nothing written ---- */
	rc = sg_netstate_sync(ns, fds[0], fds[1], fds[2], &st);
	SG_CHECK("netstate: unchanged sync writes nothing",
		 rc == 0 && st.full == 0 && writes(&st) == 0,
		 "rc %d full %u added %u removed %u lport_writes %u", rc,
		 st.full, st.added, st.removed, st.lport_writes);
	/* Alter entries behind its back: a write would undo it. */
	put4(fds[0], "192.0.2.1", 7);
	put6(fds[1], "fe80::1", 7);
	k = 8001 >> 5;
	bpf_map_lookup_elem(fds[2], &k, &lp);
	w = lp.listen;
	lp.listen |= 1u << (8031 & 31);
	bpf_map_update_elem(fds[2], &k, &lp, BPF_ANY);
	rc = sg_netstate_sync(ns, fds[0], fds[1], fds[2], &st);
	inet_pton(AF_INET, "192.0.2.1", &k);
	v = 0;
	bpf_map_lookup_elem(fds[0], &k, &v);
	{
		struct sg_in6 k6;
		__u32 v6 = 0, kw = 8001 >> 5;

		inet_pton(AF_INET6, "fe80::1", &k6);
		bpf_map_lookup_elem(fds[1], &k6, &v6);
		bpf_map_lookup_elem(fds[2], &kw, &lp);
		SG_CHECK("netstate: unchanged sync leaves the maps alone",
			 rc == 0 && v == 7 && v6 == 7 &&
				 (lp.listen & (1u << (8031 & 31))),
			 "rc %d: value %u, %u, word %08x", rc, v, v6,
			 lp.listen);
		/* put them back */
		put4(fds[0], "192.0.2.1", 1);
		put6(fds[1], "fe80::1", 1);
		lp.listen = w;
		bpf_map_update_elem(fds[2], &kw, &lp, BPF_ANY);
	}

	/* ---- addresses and listeners change ---- */
	if (sh("ip addr del 192.0.2.2/24 dev a0") ||
	    sh("ip -6 addr del 2001:db8:1::5/64 dev a0") ||
	    sh("ip addr add 192.0.2.77/24 dev a0")) {
		printf("FAIL: netstate: setup: address changes\n");
		return 1;
	}
	close(l[1]); /* 8002 */
	l[1] = -1;
	if (have_mptcp) {
		close(l[nl - 3]); /* 8006 */
		close(l[nl - 1]); /* MPTCP 8008: plain TCP stays there */
		l[nl - 3] = l[nl - 1] = -1;
		l[nl - 1] = sock_on(AF_INET, SOCK_STREAM, IPPROTO_MPTCP, NULL,
				    8011, 0, 1);
	}
	rc = sg_netstate_sync(ns, fds[0], fds[1], fds[2], &st);
	SG_CHECK("netstate: changes", rc == 0, "%s", strerror(-rc));
	check_maps("netstate: changes", fds[0], fds[1], fds[2], &e2);
	/* One word changed (8000-8031); with 8011 new to both bits, its
	 * mptcp bit is written first: two writes. */
	SG_CHECK("netstate: changes: counters",
		 st.full == 0 && st.added == 1 && st.removed == 2 &&
			 st.lport_writes == (have_mptcp ? 2u : 1u) &&
			 st.addrs4 == 4 && st.addrs6 == 3,
		 "full %u added %u removed %u lport_writes %u addrs %u/%u",
		 st.full, st.added, st.removed, st.lport_writes, st.addrs4,
		 st.addrs6);
	rc = sg_netstate_sync(ns, fds[0], fds[1], fds[2], &st);
	SG_CHECK("netstate: changes: then unchanged sync writes nothing",
		 rc == 0 && writes(&st) == 0,
		 "rc %d added %u removed %u lport_writes %u", rc, st.added,
		 st.removed, st.lport_writes);

	/* ---- each way of finding MPTCP listeners alone ---- */
	if (have_mptcp) {
		ns->mptcp_wait = 1; /* no MPTCP diag dump this time */
		rc = sg_netstate_sync(ns, fds[0], fds[1], fds[2], &st);
		SG_CHECK("netstate: MPTCP ports by ULP names alone",
			 rc == 0 && !st.has_mptcp_diag && st.mptcp_ulp == 2 &&
				 writes(&st) == 0 && check_lports(fds[2], &e2),
			 "rc %d diag %u ulp %u writes %d: %s", rc,
			 st.has_mptcp_diag, st.mptcp_ulp, writes(&st), why);
		/* Without CAP_NET_ADMIN, kernels before 6.15 give no ULP
		 * names: the MPTCP diag dump must do. */
		if (net_admin(0)) {
			printf("FAIL: netstate: capset: %s\n", strerror(errno));
			return 1;
		}
		rc = sg_netstate_sync(ns, fds[0], fds[1], fds[2], &st);
		net_admin(1);
		printf("# without CAP_NET_ADMIN: %u by ULP name, %u by MPTCP "
		       "diag\n",
		       st.mptcp_ulp, st.mptcp_diag);
		if (st.has_mptcp_diag)
			SG_CHECK("netstate: MPTCP ports without CAP_NET_ADMIN",
				 rc == 0 && st.mptcp_diag == 2 &&
					 writes(&st) == 0 &&
					 check_lports(fds[2], &e2),
				 "rc %d diag %u writes %d: %s", rc,
				 st.mptcp_diag, writes(&st), why);
		else
			printf("SKIP: netstate: MPTCP ports without "
			       "CAP_NET_ADMIN: no mptcp_diag\n");
	}

	/* ---- other maps: compared whole ---- */
	if (make_maps(fds2)) {
		printf("FAIL: netstate: bpf_map_create: %s\n", strerror(errno));
		return 1;
	}
	rc = sg_netstate_sync(ns, fds2[0], fds2[1], fds2[2], &st);
	SG_CHECK("netstate: new maps: filled",
		 rc == 0 && st.full == 1 && st.added == 7 && st.removed == 0,
		 "rc %d full %u added %u removed %u", rc, st.full, st.added,
		 st.removed);
	check_maps("netstate: new maps", fds2[0], fds2[1], fds2[2], &e2);
	rc = sg_netstate_sync(ns, fds[0], fds[1], fds[2], &st);
	SG_CHECK("netstate: back to the first maps: read, nothing to write",
		 rc == 0 && st.full == 1 && writes(&st) == 0,
		 "rc %d full %u added %u removed %u lport_writes %u", rc,
		 st.full, st.added, st.removed, st.lport_writes);

	/* ---- wrong maps ---- */
	rc = sg_netstate_sync(ns, fds[2], fds[1], fds[2], &st);
	SG_CHECK("netstate: refuses a map of the wrong shape", rc == -EINVAL,
		 "rc %d", rc);
	rc = sg_netstate_sync(ns, fds[0], fds[1], fds[2], &st);
	SG_CHECK("netstate: after a refusal: nothing to write",
		 rc == 0 && st.full == 0 && writes(&st) == 0,
		 "rc %d full %u writes %d", rc, st.full, writes(&st));

	/* ---- a failure part-way: the next sync reads the maps ---- */
	if (make_maps(fds3)) {
		printf("FAIL: netstate: bpf_map_create: %s\n", strerror(errno));
		return 1;
	}
	rc = sg_netstate_sync(ns, fds3[0], fds3[1], fds3[2], &st);
	if (rc || bpf_map_freeze(fds3[1]) ||
	    sh("ip -6 addr add 2001:db8:5::5/64 dev a0 nodad")) {
		printf("FAIL: netstate: setup: sync, freeze, address: %s\n",
		       strerror(errno));
		return 1;
	}
	rc = sg_netstate_sync(ns, fds3[0], fds3[1], fds3[2], &st);
	SG_CHECK("netstate: frozen sg_local6: the write fails",
		 rc == -EPERM && st.full == 0, "rc %d full %u", rc, st.full);
	rc = sg_netstate_sync(ns, fds3[0], fds3[1], fds3[2], &st);
	SG_CHECK("netstate: after a failure: reads the maps again",
		 rc == -EPERM && st.full == 1 && st.added == 0,
		 "rc %d full %u added %u", rc, st.full, st.added);
	if (sh("ip -6 addr del 2001:db8:5::5/64 dev a0")) {
		printf("FAIL: netstate: setup: address removal\n");
		return 1;
	}

	/* ---- the tentative address, once DAD is done ---- */
	if (sh("ip link set t1 up")) {
		printf("FAIL: netstate: setup: t1 up\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		usleep(100000);
		rc = sg_netstate_sync(ns, fds[0], fds[1], fds[2], &st);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!rc && st.added == 0 && t.tv_sec - t0.tv_sec < 10);
	e2.v6[3] = "2001:db8:2::1";
	SG_CHECK("netstate: address added once DAD is done",
		 rc == 0 && st.added == 1 && st.tentative == 0 &&
			 check_set(fds[1], AF_INET6, e2.v6),
		 "rc %d added %u tentative %u after %lds: %s", rc, st.added,
		 st.tentative, (long)(t.tv_sec - t0.tv_sec), why);

	sg_netstate_close(ns);
	for (i = 0; i < nl; i++)
		if (l[i] >= 0)
			close(l[i]);
	close(cfd);
	close(afd);
	for (i = 0; i < 3; i++) {
		close(fds[i]);
		close(fds2[i]);
		close(fds3[i]);
	}
	return sg_test_exit();
}
