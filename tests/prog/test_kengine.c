// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The kernel engine's XDP program (sg_engine = kernel) through
 * BPF_PROG_TEST_RUN, against real listeners (root): the test unshares a
 * network namespace of its own (tcp_syncookies=2 there, TCP listeners on
 * port 80 for IPv4 and IPv6), so it goes when the process exits.
 *
 * The kernel mints and checks these cookies with its own secret, from the
 * copy of the IP and TCP headers the program hands its helpers. For every
 * header shape that copy must get right (IPv4 with and without IP options,
 * IPv6, 0/1/2 VLAN tags, TCP headers of 20 to 60 bytes, a SYN with data)
 * and both option layouts (timestamps, none):
 *   - the SYN is answered (XDP_TX, tx_synack), and the SYN-ACK is checked
 *     field by field by the independent checker (tests/prog/lib/verify.c)
 *     with the kernel's cookie taken from it; with timestamps, our TSval
 *     carries the options in the kernel's layout (low 6 bits);
 *   - the ACK completing it passes the kernel's check (XDP_PASS,
 *     pass_cookie_ok), untouched;
 *   - the kernel's cookie carries the index of the SYN's MSS in the
 *     kernel's table: the cookies of the same handshake for the lowest
 *     and the highest index pass, one below and one above are dropped;
 *   - ACKs from another address or port, or with another sequence
 *     number, fail it (XDP_DROP, drop_cookie_bad).
 * A SYN to a protected port nobody listens on is the kernel's
 * (pass_no_listener), as is an ACK there (drop_cookie_bad: no listener,
 * no cookie).
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
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "common.h"
#include "pkt.h"
#include "sg_test.h"
#include "synguard.skel.h"
#include "verify.h"
#include "xdprun.h"

#define PORT 80
#define PORT_DEAD 443 /* protected, nobody listens */
#define OUT_MAX (PKT_MAX + 512)
#define WHY_MAX 2048

static const struct sg_config cfg = {
	.flags = SG_CFG_SACK | SG_CFG_TS | SG_CFG_WSCALE | SG_CFG_ECN,
	SG_TEST_CFG_SYNACK,
	.hkey = { 0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL },
};

static struct synguard_bpf *skel;
static int prog_fd;

struct run {
	int err;
	__u32 verdict;
	__u8 out[OUT_MAX];
	__u32 len;
	__s64 delta[SG_STAT_MAX];
};

__attribute__((format(printf, 3, 4))) static void addf(char *buf, size_t n,
						       const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 3 >= n)
		return;
	if (used) {
		strcpy(buf + used, "; ");
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, n - used, fmt, ap);
	va_end(ap);
}

static void run_prog(const struct pkt *p, struct run *r)
{
	__u64 before[SG_STAT_MAX], after[SG_STAT_MAX];
	int i;

	memset(r, 0, sizeof(*r));
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data,
		    .data_size_in = p->len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .repeat = 1);
	if (sg_stats_sum(skel->maps.sg_stats, before) ||
	    bpf_prog_test_run_opts(prog_fd, &opts) ||
	    sg_stats_sum(skel->maps.sg_stats, after)) {
		r->err = errno ? errno : EIO;
		return;
	}
	for (i = 0; i < SG_STAT_MAX; i++)
		r->delta[i] = (__s64)(after[i] - before[i]);
	r->verdict = opts.retval;
	r->len = opts.data_size_out;
}

/* The verdict, and of the verdict counters exactly @stat moved, by one. */
static void check_verdict(const struct run *r, __u32 verdict, int stat,
			  char *why, size_t n)
{
	int i;

	if (r->err) {
		addf(why, n, "test run failed: %s", strerror(r->err));
		return;
	}
	if (r->verdict != verdict)
		addf(why, n, "verdict %s, expected %s",
		     sg_verdict_name(r->verdict), sg_verdict_name(verdict));
	for (i = 0; i < SG_STAT_MAX; i++) {
		if (sg_stat_kind(i) == SG_KIND_EVENT)
			continue;
		if (r->delta[i] != (i == stat))
			addf(why, n, "counter %d moved by %lld (expected %d)",
			     i, (long long)r->delta[i], i == stat);
	}
}

static void report(const char *name, const char *why)
{
	if (why[0])
		sg_fail(name, "%s", why);
	else
		sg_pass(name);
}

/* ---- the namespace: sysctls, listeners ---- */

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

static int listen_on(int family, int port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	if ((family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    (family == AF_INET ? bind(fd, (void *)&a4, sizeof(a4)) :
				 bind(fd, (void *)&a6, sizeof(a6))) ||
	    listen(fd, 16)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int setup_netns(const char **what)
{
	*what = "unshare(CLONE_NEWNET)";
	if (unshare(CLONE_NEWNET))
		return -1;
	*what = "lo up";
	if (system("ip link set lo up"))
		return -1;
	*what = "net.ipv4.tcp_syncookies=2";
	if (write_file("/proc/sys/net/ipv4/tcp_syncookies", "2"))
		return -1;
	*what = "listeners on port 80";
	if (listen_on(AF_INET, PORT) < 0 || listen_on(AF_INET6, PORT) < 0)
		return -1;
	return 0;
}

static int setup_maps(void)
{
	__u32 zero = 0, w;
	struct sg_epoch_state st = { .epoch = 100 };
	int err = 0;

	err |= bpf_map__update_elem(skel->maps.sg_config, &zero, sizeof(zero),
				    &cfg, sizeof(cfg), BPF_ANY);
	/* both ports in word 2 (64..95) and 13 (416..447) */
	w = PORT >> 5;
	err |= bpf_map__update_elem(skel->maps.sg_ports, &w, sizeof(w),
				    &(__u32){ 1u << (PORT & 31) }, 4, BPF_ANY);
	w = PORT_DEAD >> 5;
	err |= bpf_map__update_elem(skel->maps.sg_ports, &w, sizeof(w),
				    &(__u32){ 1u << (PORT_DEAD & 31) }, 4,
				    BPF_ANY);
	err |= bpf_map__update_elem(skel->maps.sg_epoch, &zero, sizeof(zero),
				    &st, sizeof(st), BPF_ANY);
	return err;
}

/* ---- the shapes ---- */

struct shape {
	const char *name;
	__u8 family;
	__u8 nvlan;
	__u8 ip_optlen; /* IPv4 options: NOPs then EOL */
	__u8 ts;	/* Linux options (timestamps) or Windows' (none) */
	__u8 nops;	/* extra NOP words after the options */
	__u8 bare;	/* no options at all */
	__u8 mss_only;	/* the MSS option alone */
	__u8 ecn;	/* SYN with ECE|CWR */
	__u16 paylen;	/* SYN data */
};

static const struct shape shapes[] = {
	{ "ipv4 linux", 4, 0, 0, 1, 0, 0, 0, 0, 0 },
	{ "ipv4 windows", 4, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "ipv4 no options (20-byte TCP header)", 4, 0, 0, 0, 0, 1, 0, 0, 0 },
	{ "ipv4 MSS only (24)", 4, 0, 0, 0, 0, 0, 1, 0, 0 },
	{ "ipv4 linux + 20 bytes of NOPs (60)", 4, 0, 0, 1, 5, 0, 0, 0, 0 },
	{ "ipv4 windows + 28 bytes of NOPs (60)", 4, 0, 0, 0, 7, 0, 0, 0, 0 },
	{ "ipv4 linux, ECN", 4, 0, 0, 1, 0, 0, 0, 1, 0 },
	{ "ipv4 linux, 4 bytes of IP options", 4, 0, 4, 1, 0, 0, 0, 0, 0 },
	{ "ipv4 windows, 40 bytes of IP options", 4, 0, 40, 0, 0, 0, 0, 0, 0 },
	{ "ipv4 linux, 802.1Q", 4, 1, 0, 1, 0, 0, 0, 0, 0 },
	{ "ipv4 linux + NOPs (60), QinQ, IP options", 4, 2, 8, 1, 5, 0, 0, 0,
	  0 },
	{ "ipv4 linux, SYN with 100 bytes of data", 4, 0, 0, 1, 0, 0, 0, 0,
	  100 },
	{ "ipv6 linux", 6, 0, 0, 1, 0, 0, 0, 0, 0 },
	{ "ipv6 windows", 6, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "ipv6 no options", 6, 0, 0, 0, 0, 1, 0, 0, 0 },
	{ "ipv6 linux + NOPs (60), QinQ", 6, 2, 0, 1, 5, 0, 0, 0, 0 },
	{ "ipv6 windows, 802.1Q, ECN", 6, 1, 0, 0, 0, 0, 0, 1, 0 },
};

#define CLIENT_WS 8

static void syn_spec(const struct shape *s, __u16 dport, __u32 n,
		     struct pkt_spec *p)
{
	__u8 *o = p->opts;
	__u32 i;

	memset(p, 0, sizeof(*p));
	p->family = s->family;
	p->nvlan = s->nvlan;
	for (i = 0; i < s->nvlan; i++) {
		p->tpid[i] = s->nvlan == 2 && i == 0 ? PKT_ETH_P_8021AD : 0;
		p->tci[i] = 100 + i;
	}
	for (i = 0; i < s->ip_optlen; i++)
		p->ip_opts[i] = i + 1 < s->ip_optlen ? 1 : 0;
	p->ip_optlen = s->ip_optlen;
	p->sport = 41000 + n;
	p->dport = dport;
	p->seq = 0x10203040u * (n + 1);
	p->flags = TH_SYN | (s->ecn ? TH_ECE | TH_CWR : 0);
	p->paylen = s->paylen;
	if (s->bare)
		return;
	o[0] = 2;
	o[1] = 4;
	pkt_put16(o + 2, s->family == 4 ? 1460 : 1440);
	if (s->mss_only) {
		p->optlen = 4;
		return;
	}
	if (s->ts) { /* MSS, SACK-permitted, TS, NOP, WS */
		o[4] = 4;
		o[5] = 2;
		o[6] = 8;
		o[7] = 10;
		pkt_put32(o + 8, 0x01020304u + n);
		pkt_put32(o + 12, 0);
		o[16] = 1;
		o[17] = 3;
		o[18] = 3;
		o[19] = CLIENT_WS;
		p->optlen = 20;
	} else { /* MSS, NOP, WS, NOP, NOP, SACK-permitted */
		o[4] = 1;
		o[5] = 3;
		o[6] = 3;
		o[7] = CLIENT_WS;
		o[8] = 1;
		o[9] = 1;
		o[10] = 4;
		o[11] = 2;
		p->optlen = 12;
	}
	memset(o + p->optlen, 1, s->nops * 4u);
	p->optlen += s->nops * 4;
}

/* The SYN-ACK the kernel engine must send for @syn (cookie from @sa). */
static void synack_exp(const struct shape *s, const struct pkt_spec *syn,
		       const struct sg_frame *sa, struct sg_synack_exp *e)
{
	int ts = s->ts && !s->bare && !s->mss_only;

	memset(e, 0, sizeof(*e));
	e->mss = s->family == 4 ? cfg.mss4 : cfg.mss6;
	e->window = cfg.window;
	e->ttl = cfg.ttl;
	e->wscale = cfg.wscale;
	/* Without timestamps the kernel's cookie carries only the MSS: no
	 * window scaling, no SACK, no ECN. */
	e->ts = ts;
	e->sack = ts;
	e->ws = ts;
	e->ecn = ts && s->ecn;
	e->isn = sa->seq;
	e->tsval = sa->tsval;
	e->tsecr = ts ? pkt_get32(syn->opts + 8) : 0;
}

/* The client's ACK for the handshake: seq, ack, and the TS echo. */
static void ack_spec(const struct pkt_spec *syn, const struct sg_frame *sa,
		     struct pkt_spec *a)
{
	*a = *syn;
	a->flags = TH_ACK;
	a->seq = syn->seq + 1;
	a->ack = sa->seq + 1;
	a->paylen = 0;
	memset(a->opts, 0, sizeof(a->opts));
	a->optlen = 0;
	if (sa->has_ts) {
		a->opts[0] = 1;
		a->opts[1] = 1;
		a->opts[2] = 8;
		a->opts[3] = 10;
		pkt_put32(a->opts + 4, 0x0badf00d);
		pkt_put32(a->opts + 8, sa->tsval);
		a->optlen = 12;
	}
}

static void frame_case(const char *name, const struct pkt_spec *a,
		       __u32 verdict, int stat)
{
	char why[WHY_MAX] = "";
	struct pkt p;
	struct run r;

	if (pkt_build(&p, a)) {
		sg_fail(name, "cannot build the frame");
		return;
	}
	run_prog(&p, &r);
	check_verdict(&r, verdict, stat, why, sizeof(why));
	if (!r.err && r.verdict == XDP_PASS &&
	    (r.len != p.len || memcmp(r.out, p.data, p.len)))
		addf(why, sizeof(why), "the passed frame was changed");
	report(name, why);
}

/*
 * The MSS the kernel takes from the SYN (the option, else its default:
 * 536 over IPv4, 1220 over IPv6), and its index in the kernel's cookie
 * MSS table (net/ipv4/syncookies.c, net/ipv6/syncookies.c): the largest
 * entry not above it.
 */
static __u32 kernel_mss(const struct shape *s)
{
	if (s->bare)
		return s->family == 4 ? 536 : 1220;
	return s->family == 4 ? 1460 : 1440;
}

static __u32 kernel_mss_index(const struct shape *s)
{
	static const __u32 tab4[] = { 536, 1300, 1440, 1460 };
	static const __u32 tab6[] = { 1220, 1420, 1440, 8940 };
	const __u32 *tab = s->family == 4 ? tab4 : tab6;
	__u32 mss = kernel_mss(s), i = 3;

	while (i && mss < tab[i])
		i--;
	return i;
}

static void run_shape(const struct shape *s, __u32 n)
{
	char name[160], why[WHY_MAX] = "", vwhy[WHY_MAX] = "";
	struct sg_synack_exp e;
	struct pkt_spec syn, a;
	struct sg_frame sa;
	struct pkt p;
	struct run r;
	__u32 mi, k;

	syn_spec(s, PORT, n, &syn);
	snprintf(name, sizeof(name),
		 "%s: SYN -> SYN-ACK with the kernel's "
		 "cookie",
		 s->name);
	if (pkt_build(&p, &syn)) {
		sg_fail(name, "cannot build the SYN");
		return;
	}
	run_prog(&p, &r);
	check_verdict(&r, XDP_TX, SG_V_TX_SYNACK, why, sizeof(why));
	memset(&sa, 0, sizeof(sa));
	if (!r.err && r.verdict == XDP_TX &&
	    !sg_parse_frame(r.out, r.len, &sa, vwhy, sizeof(vwhy))) {
		synack_exp(s, &syn, &sa, &e);
		vwhy[0] = '\0';
		sg_verify_synack(r.out, r.len, p.data, p.len, &e, &sa, vwhy,
				 sizeof(vwhy));
		/* The kernel's TS layout: wscale (0xf: none) | SACK << 4 |
		 * ECN << 5 in the low six bits of our TSval. */
		if (e.ts && (sa.tsval & 0x3f) !=
				    (CLIENT_WS | 1u << 4 | (__u32)e.ecn << 5))
			addf(why, sizeof(why),
			     "TSval 0x%08x: low bits 0x%02x, expected 0x%02x",
			     sa.tsval, sa.tsval & 0x3f,
			     CLIENT_WS | 1u << 4 | (__u32)e.ecn << 5);
	}
	if (vwhy[0])
		addf(why, sizeof(why), "SYN-ACK: %s", vwhy);
	report(name, why);
	if (!sa.l4)
		return;

	/* The kernel's cookie keeps the index of the SYN's MSS in its
	 * table in its low bits, 0..3: cookie - i is the same handshake's
	 * cookie for index 0, cookie + 3 - i for index 3, and one further
	 * either way is no cookie. That the first two pass proves the kernel
	 * read the MSS option from the copy (index exactly i). */
	mi = kernel_mss_index(s);
	for (k = 0; k < 4; k++) {
		/* MSS index 0, 3, -1 and 4: the cookie moved by idx[k] - i */
		static const int idx[4] = { 0, 3, -1, 4 };
		int d = idx[k] - (int)mi;

		ack_spec(&syn, &sa, &a);
		a.ack += (__u32)d;
		snprintf(name, sizeof(name),
			 "%s: ACK, cookie %+d (MSS index %d; the SYN's MSS %u "
			 "is index %u): %s",
			 s->name, d, idx[k], kernel_mss(s), mi,
			 k < 2 ? "passes" : "dropped");
		frame_case(name, &a, k < 2 ? XDP_PASS : XDP_DROP,
			   k < 2 ? SG_V_PASS_COOKIE_OK : SG_V_DROP_COOKIE_BAD);
	}

	ack_spec(&syn, &sa, &a);
	a.sport += 1000;
	snprintf(name, sizeof(name), "%s: ACK from another port: dropped",
		 s->name);
	frame_case(name, &a, XDP_DROP, SG_V_DROP_COOKIE_BAD);

	ack_spec(&syn, &sa, &a);
	pkt_addrs(&syn, a.src_ip, a.dst_ip);
	a.src_ip[s->family == 4 ? 3 : 15] ^= 0x40;
	snprintf(name, sizeof(name),
		 "%s: ACK from another source address: dropped", s->name);
	frame_case(name, &a, XDP_DROP, SG_V_DROP_COOKIE_BAD);

	ack_spec(&syn, &sa, &a);
	a.seq += 0x01000000;
	snprintf(name, sizeof(name),
		 "%s: ACK with another sequence number: dropped", s->name);
	frame_case(name, &a, XDP_DROP, SG_V_DROP_COOKIE_BAD);

	ack_spec(&syn, &sa, &a);
	snprintf(name, sizeof(name),
		 "%s: the completing ACK passes the kernel's check", s->name);
	frame_case(name, &a, XDP_PASS, SG_V_PASS_COOKIE_OK);
}

int main(void)
{
	const char *what;
	struct pkt_spec syn, a;
	struct sg_frame sa = { 0 };
	size_t i;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid()) {
		printf("SKIP: kernel engine: needs root (namespace, BPF)\n");
		return 0;
	}
	if (setup_netns(&what)) {
		sg_fail("kernel engine: setup", "%s: %s", what,
			strerror(errno));
		return 1;
	}
	skel = synguard_bpf__open();
	if (!skel) {
		sg_fail("kernel engine: open", "%s", strerror(errno));
		return 1;
	}
	skel->rodata->sg_engine = SG_ENGINE_KERNEL;
	bpf_program__set_autoload(skel->progs.synguard_tc, false);
	err = synguard_bpf__load(skel);
	if (err || setup_maps()) {
		sg_fail("kernel engine: load", "%s",
			err ? strerror(-err) : "cannot fill the maps");
		synguard_bpf__destroy(skel);
		return 1;
	}
	prog_fd = bpf_program__fd(skel->progs.synguard_xdp);

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		run_shape(&shapes[i], i);

	/* Nobody listens on the other protected port. */
	syn_spec(&shapes[0], PORT_DEAD, 90, &syn);
	frame_case("SYN to a protected port nobody listens on: the kernel's",
		   &syn, XDP_PASS, SG_V_PASS_NO_LISTENER);
	sa.seq = 0x55667788;
	ack_spec(&syn, &sa, &a);
	frame_case("ACK to a protected port nobody listens on: dropped", &a,
		   XDP_DROP, SG_V_DROP_COOKIE_BAD);

	synguard_bpf__destroy(skel);
	return sg_test_exit();
}
