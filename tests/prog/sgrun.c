/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * sgrun: run one client frame through a live (loaded, usually attached)
 * synguard XDP program with BPF_PROG_TEST_RUN, by program id, and print
 * what it did on one line. The run uses the program's real maps (config,
 * keys, epoch, counters), so the end-to-end tests use it to mint a cookie
 * SYN-ACK with one daemon's program and check the ACK with another's, or
 * across a key rotation. The program's socket lookups run in the caller's
 * network namespace: run it inside the server namespace.
 *
 *   sgrun syn PROG_ID [--v6] [--nots] [addressing] [--isn N] [--tsval N]
 *                     [--mss N] [--wscale N]
 *     -> XDP_TX seq=0x... ebits=E tsval=0x... isn=0x... src=A dst=B
 *        sport=S dport=D csum=ok moved=tx_synack,syn_rx
 *        (tsval=none when the SYN-ACK has no timestamp; ebits: the cookie's
 *        two epoch bits, seq >> 30)
 *   sgrun ack PROG_ID --seq ISN+1 --ack SYNACK_SEQ+1 [--tsecr TSVAL]
 *                     [--v6] [addressing] [--tsval N]
 *     -> XDP_PASS meta=yes mss=1460 flags=0x7 snd_wscale=7 rcv_wscale=7
 *        tsval=0x... tsecr=0x... src=... moved=pass_cookie_ok (or meta=no)
 *
 * moved= names the program's counters (synguard stats names) that moved
 * during the run: the run's verdict and events, and whatever real traffic
 * on the interface counted meanwhile ("?" when sg_stats is unreadable).
 *
 * addressing: --src ADDR --dst ADDR --sport N --dport N. Defaults: client
 * 198.18.0.77:40077 (fd00:5e:0::77 with --v6), server 198.18.0.1:8080
 * (fd00:5e:0::1), client ISN 0x5eed0001, client TSval 0x00c0ffee. The ACK
 * carries a timestamp option exactly when --tsecr is given. Numbers take
 * C syntax (0x.. hex). Exit status: 0 when the program ran (whatever its
 * verdict), 1 on a failure (no such program, test run error, an XDP_TX
 * output that is not a well-formed SYN-ACK for the SYN), 2 on usage.
 *
 * Test-run mechanics: with an xdp_md context of data = data_meta = 0 and
 * data_end = frame length, the output starts at the metadata and
 * ctx_out.data is its length.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "../../user/counters.c"
#include "pkt.h"
#include "xdprun.h"
#include "verify.h"

#define OUT_MAX (PKT_MAX + 512)

#define DEF_SRC4 "198.18.0.77"
#define DEF_DST4 "198.18.0.1"
#define DEF_SRC6 "fd00:5e:0::77"
#define DEF_DST6 "fd00:5e:0::1"
#define DEF_SPORT 40077
#define DEF_DPORT 8080
#define DEF_ISN 0x5eed0001u
#define DEF_TSVAL 0x00c0ffeeu
#define DEF_WSCALE 7

struct args {
	int ack; /* 0: syn, 1: ack */
	__u32 prog_id;
	int v6;
	int nots;
	const char *src, *dst;
	__u32 sport, dport;
	__u32 isn, tsval, mss, wscale;
	__u32 seq, ackno, tsecr;
	int has_seq, has_ack, has_tsecr, has_tsval;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: sgrun syn PROG_ID [--v6] [--nots] [--src A] [--dst A] "
		"[--sport N]\n"
		"                 [--dport N] [--isn N] [--tsval N] [--mss N] "
		"[--wscale N]\n"
		"       sgrun ack PROG_ID --seq N --ack N [--tsecr N] [--v6] "
		"[--src A]\n"
		"                 [--dst A] [--sport N] [--dport N] [--tsval N]\n\n"
		"Run one SYN or ACK through the live XDP program PROG_ID "
		"(BPF_PROG_TEST_RUN)\nand print the verdict on one line: for "
		"XDP_TX the SYN-ACK's seq and TSval,\nfor an ACK whether "
		"synguard metadata (SGM1) was attached. Defaults: client\n"
		"%s:%u (%s), server %s:%u (%s), ISN 0x%08x, TSval 0x%08x.\n"
		"The ACK has a timestamp option exactly when --tsecr is given.\n",
		DEF_SRC4, DEF_SPORT, DEF_SRC6, DEF_DST4, DEF_DPORT, DEF_DST6,
		DEF_ISN, DEF_TSVAL);
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "sgrun: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (try 'sgrun --help')\n");
	return 2;
}

static int num(const char *s, __u32 max, __u32 *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*out = (__u32)v;
	return 0;
}

enum {
	O_V6 = 256,
	O_NOTS,
	O_SRC,
	O_DST,
	O_SPORT,
	O_DPORT,
	O_ISN,
	O_TSVAL,
	O_MSS,
	O_WSCALE,
	O_SEQ,
	O_ACK,
	O_TSECR,
};

static int parse(int argc, char **argv, struct args *a)
{
	static const struct option lo[] = {
		{ "v6", no_argument, NULL, O_V6 },
		{ "nots", no_argument, NULL, O_NOTS },
		{ "src", required_argument, NULL, O_SRC },
		{ "dst", required_argument, NULL, O_DST },
		{ "sport", required_argument, NULL, O_SPORT },
		{ "dport", required_argument, NULL, O_DPORT },
		{ "isn", required_argument, NULL, O_ISN },
		{ "tsval", required_argument, NULL, O_TSVAL },
		{ "mss", required_argument, NULL, O_MSS },
		{ "wscale", required_argument, NULL, O_WSCALE },
		{ "seq", required_argument, NULL, O_SEQ },
		{ "ack", required_argument, NULL, O_ACK },
		{ "tsecr", required_argument, NULL, O_TSECR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, npos = 0;
	const char *pos[2] = { NULL, NULL };

	memset(a, 0, sizeof(*a));
	a->sport = DEF_SPORT;
	a->dport = DEF_DPORT;
	a->isn = DEF_ISN;
	a->tsval = DEF_TSVAL;
	a->wscale = DEF_WSCALE;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "-:h", lo, NULL)) != -1) {
		__u32 *dst = NULL, max = 0xffffffffu;

		switch (c) {
		case 1: /* positional, in order */
			if (npos >= 2)
				return bad("unexpected argument '%s'", optarg);
			pos[npos++] = optarg;
			continue;
		case 'h':
			usage(stdout);
			return -1;
		case ':':
			return bad("option '%s' needs a value",
				   argv[optind - 1]);
		case '?':
			return bad("unknown option '%s'", argv[optind - 1]);
		case O_V6:
			a->v6 = 1;
			continue;
		case O_NOTS:
			a->nots = 1;
			continue;
		case O_SRC:
			a->src = optarg;
			continue;
		case O_DST:
			a->dst = optarg;
			continue;
		case O_SPORT:
			dst = &a->sport, max = 65535;
			break;
		case O_DPORT:
			dst = &a->dport, max = 65535;
			break;
		case O_ISN:
			dst = &a->isn;
			break;
		case O_TSVAL:
			dst = &a->tsval, a->has_tsval = 1;
			break;
		case O_MSS:
			dst = &a->mss, max = 65535;
			break;
		case O_WSCALE:
			dst = &a->wscale, max = 14;
			break;
		case O_SEQ:
			dst = &a->seq, a->has_seq = 1;
			break;
		case O_ACK:
			dst = &a->ackno, a->has_ack = 1;
			break;
		case O_TSECR:
			dst = &a->tsecr, a->has_tsecr = 1;
			break;
		}
		if (!dst || num(optarg, max, dst))
			return bad("bad value '%s'", optarg);
		if ((c == O_SPORT || c == O_DPORT) && !*dst)
			return bad("bad port '%s'", optarg);
	}
	if (npos < 1)
		return bad("%s", "no command given (syn or ack)");
	if (!strcmp(pos[0], "ack"))
		a->ack = 1;
	else if (strcmp(pos[0], "syn"))
		return bad("unknown command '%s' (syn or ack)", pos[0]);
	if (npos < 2 || num(pos[1], 0xffffffffu, &a->prog_id) || !a->prog_id)
		return bad("want a program id after '%s'", pos[0]);
	if (a->ack && (!a->has_seq || !a->has_ack))
		return bad("%s", "ack needs --seq and --ack");
	if (a->ack && a->nots)
		return bad("%s", "--nots is for syn (an ACK has a timestamp "
				 "option exactly when --tsecr is given)");
	if (!a->ack && (a->has_seq || a->has_ack || a->has_tsecr))
		return bad("%s", "--seq/--ack/--tsecr are for ack");
	if ((a->src && strchr(a->src, ':')) || (a->dst && strchr(a->dst, ':')))
		a->v6 = 1;
	if (!a->src)
		a->src = a->v6 ? DEF_SRC6 : DEF_SRC4;
	if (!a->dst)
		a->dst = a->v6 ? DEF_DST6 : DEF_DST4;
	if (!a->mss)
		a->mss = a->v6 ? 1440 : 1460;
	if (a->ack && !a->has_tsval)
		a->tsval = DEF_TSVAL + 1; /* the client clock moved on */
	return 0;
}

/* Linux's SYN options: MSS, SACK-permitted, timestamps, NOP, window scale
 * (tcp_syn_options order), or without timestamps MSS, NOP, NOP,
 * SACK-permitted, NOP, window scale. */
static void syn_opts(const struct args *a, struct pkt_spec *s)
{
	__u8 *o = s->opts;
	int n = 0;

	o[n++] = 2, o[n++] = 4, o[n++] = a->mss >> 8, o[n++] = a->mss & 0xff;
	if (a->nots) {
		o[n++] = 1, o[n++] = 1, o[n++] = 4, o[n++] = 2;
	} else {
		o[n++] = 4, o[n++] = 2, o[n++] = 8, o[n++] = 10;
		pkt_put32(o + n, a->tsval);
		pkt_put32(o + n + 4, 0);
		n += 8;
	}
	o[n++] = 1, o[n++] = 3, o[n++] = 3, o[n++] = a->wscale;
	s->optlen = n;
}

static int build(const struct args *a, struct pkt *p)
{
	struct pkt_spec s;
	int af = a->v6 ? AF_INET6 : AF_INET;

	memset(&s, 0, sizeof(s));
	s.family = a->v6 ? 6 : 4;
	if (inet_pton(af, a->src, s.src_ip) != 1) {
		fprintf(stderr, "sgrun: bad IPv%d address '%s'\n", s.family,
			a->src);
		return -1;
	}
	if (inet_pton(af, a->dst, s.dst_ip) != 1) {
		fprintf(stderr, "sgrun: bad IPv%d address '%s'\n", s.family,
			a->dst);
		return -1;
	}
	s.ttl = 64;
	s.frag_off = a->v6 ? 0 : PKT_IP_DF;
	s.sport = a->sport;
	s.dport = a->dport;
	if (a->ack) {
		s.flags = TH_ACK;
		s.seq = a->seq;
		s.ack = a->ackno;
		s.window = 502;
		if (a->has_tsecr) {
			s.opts[0] = 1, s.opts[1] = 1, s.opts[2] = 8;
			s.opts[3] = 10;
			pkt_put32(s.opts + 4, a->tsval);
			pkt_put32(s.opts + 8, a->tsecr);
			s.optlen = 12;
		}
	} else {
		s.flags = TH_SYN;
		s.seq = a->isn;
		s.window = 64240;
		syn_opts(a, &s);
	}
	if (pkt_build(p, &s)) {
		fprintf(stderr, "sgrun: frame does not fit\n");
		return -1;
	}
	return 0;
}

/* "src=A dst=B sport=S dport=D", client to server. */
static void print_tuple(const struct args *a)
{
	printf(" src=%s dst=%s sport=%u dport=%u", a->src, a->dst, a->sport,
	       a->dport);
}

/*
 * The SYN-ACK must answer this SYN: addresses and ports swapped, SYN|ACK,
 * ack = ISN + 1, our TSecr = the client's TSval, valid checksums.
 */
static int check_synack(const struct args *a, const struct pkt *syn,
			const __u8 *out, __u32 len, struct sg_frame *sa,
			char *why, size_t n)
{
	struct sg_frame c;
	__u16 csum;
	size_t al = a->v6 ? 16 : 4;

	if (sg_parse_frame(out, len, sa, why, n))
		return -1;
	if (sg_parse_frame(syn->data, syn->len, &c, why, n))
		return -1;
	if (sa->family != c.family || memcmp(sa->saddr, c.daddr, al) ||
	    memcmp(sa->daddr, c.saddr, al))
		snprintf(why, n, "addresses not swapped");
	else if (sa->sport != c.dport || sa->dport != c.sport)
		snprintf(why, n, "ports not swapped");
	else if ((sa->flags & (TH_SYN | TH_ACK | TH_RST | TH_FIN)) !=
		 (TH_SYN | TH_ACK))
		snprintf(why, n, "flags 0x%02x, not SYN|ACK", sa->flags);
	else if (sa->ack != c.seq + 1)
		snprintf(why, n, "ack 0x%08x, want ISN+1 0x%08x", sa->ack,
			 c.seq + 1);
	else if (!a->nots && (!sa->has_ts || sa->tsecr != a->tsval))
		snprintf(why, n, "no timestamp echoing TSval 0x%08x", a->tsval);
	else if (a->nots && sa->has_ts)
		snprintf(why, n, "timestamp option without one in the SYN");
	else if (sa->family == 4 && !sg_ipv4_csum_ok(out, sa, &csum))
		snprintf(why, n, "bad IPv4 checksum (want 0x%04x)", csum);
	else if (!sg_tcp_csum_ok(out, sa, &csum))
		snprintf(why, n, "bad TCP checksum (want 0x%04x)", csum);
	else
		return 0;
	return -1;
}

/* The program's sg_stats map, found by name among its maps; -1 if not. */
static int stats_fd_of(int prog_fd)
{
	struct bpf_prog_info info;
	__u32 ids[64], len = sizeof(info), i, n;

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 64;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -1;
	n = info.nr_map_ids < 64 ? info.nr_map_ids : 64;
	for (i = 0; i < n; i++) {
		struct bpf_map_info mi;
		__u32 ml = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		if (!bpf_obj_get_info_by_fd(fd, &mi, &ml) &&
		    !strcmp(mi.name, SG_MAP_STATS))
			return fd;
		close(fd);
	}
	return -1;
}

/* Sum the per-CPU counters; 0 or -1. */
static int stats_read(int fd, __u64 *sum)
{
	int ncpus = libbpf_num_possible_cpus(), c;
	__u64 *vals;
	__u32 i;

	if (fd < 0 || ncpus <= 0)
		return -1;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -1;
	for (i = 0; i < SG_STAT_MAX; i++) {
		if (bpf_map_lookup_elem(fd, &i, vals)) {
			free(vals);
			return -1;
		}
		sum[i] = 0;
		for (c = 0; c < ncpus; c++)
			sum[i] += vals[c];
	}
	free(vals);
	return 0;
}

/* " moved=a,b": the counters that moved between the two reads. */
static void print_moved(int ok, const __u64 *before, const __u64 *after)
{
	const char *sep = "";
	__u32 i;

	printf(" moved=");
	if (!ok) {
		printf("?");
		return;
	}
	for (i = 0; i < SG_STAT_MAX; i++)
		if (after[i] != before[i]) {
			printf("%s%s", sep, sg_counters[i].name);
			sep = ",";
		}
	if (!*sep)
		printf("none");
}

int main(int argc, char **argv)
{
	__u64 before[SG_STAT_MAX], after[SG_STAT_MAX];
	int sfd, stats_ok;
	static __u8 out[OUT_MAX];
	struct xdp_md ctx_in, ctx_out;
	struct args a;
	struct pkt p;
	int fd, rc;
	__u32 meta_len;

	rc = parse(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (build(&a, &p))
		return 2;

	fd = bpf_prog_get_fd_by_id(a.prog_id);
	if (fd < 0) {
		fprintf(stderr, "sgrun: no BPF program with id %u: %s\n",
			a.prog_id, strerror(errno));
		return 1;
	}
	memset(&ctx_in, 0, sizeof(ctx_in));
	memset(&ctx_out, 0, sizeof(ctx_out));
	ctx_in.data_end = p.len;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p.data,
		    .data_size_in = p.len, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);
	sfd = stats_fd_of(fd);
	stats_ok = stats_read(sfd, before) == 0;
	if (bpf_prog_test_run_opts(fd, &opts)) {
		fprintf(stderr, "sgrun: test run of program %u failed: %s\n",
			a.prog_id, strerror(errno));
		return 1;
	}
	stats_ok = stats_ok && stats_read(sfd, after) == 0;
	meta_len = ctx_out.data;
	if (meta_len > opts.data_size_out ||
	    ctx_out.data_end != opts.data_size_out) {
		fprintf(stderr,
			"sgrun: inconsistent test-run context: meta %u, "
			"data_end %u, output %u bytes\n",
			meta_len, ctx_out.data_end, opts.data_size_out);
		return 1;
	}

	printf("%s", sg_verdict_name(opts.retval));
	if (!a.ack) {
		struct sg_frame sa;
		char why[256] = "";

		if (opts.retval != XDP_TX) {
			printf(" isn=0x%08x", a.isn);
			print_tuple(&a);
			print_moved(stats_ok, before, after);
			printf("\n");
			return 0;
		}
		if (check_synack(&a, &p, out + meta_len,
				 opts.data_size_out - meta_len, &sa, why,
				 sizeof(why))) {
			printf(" bad=1\n");
			fprintf(stderr,
				"sgrun: XDP_TX output is not a SYN-ACK "
				"for the SYN: %s\n",
				why);
			return 1;
		}
		printf(" seq=0x%08x ebits=%u", sa.seq, sa.seq >> 30);
		if (sa.has_ts)
			printf(" tsval=0x%08x", sa.tsval);
		else
			printf(" tsval=none");
		printf(" isn=0x%08x", a.isn);
		print_tuple(&a);
		printf(" csum=ok");
		print_moved(stats_ok, before, after);
		printf("\n");
		return 0;
	}

	if (meta_len >= sizeof(struct sg_meta)) {
		struct sg_meta m;

		/* bpf_xdp_adjust_meta() put it at data_meta: the start. */
		memcpy(&m, out, sizeof(m));
		if (m.magic == SG_META_MAGIC) {
			printf(" meta=yes mss=%u flags=0x%x snd_wscale=%u "
			       "rcv_wscale=%u tsval=0x%08x tsecr=0x%08x",
			       m.mss, m.flags, m.snd_wscale, m.rcv_wscale,
			       m.tsval, m.tsecr);
		} else {
			printf(" meta=bad magic=0x%08x", m.magic);
		}
	} else if (meta_len) {
		printf(" meta=bad len=%u", meta_len);
	} else {
		printf(" meta=no");
	}
	print_tuple(&a);
	print_moved(stats_ok, before, after);
	printf("\n");
	return 0;
}
