// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Cost probes for tools/bench/prog_bench: single pieces of synguard's data
 * path, each in a tiny XDP program, so that the benchmark can say what
 * dominates a class that misses its target. They reuse the project's own
 * headers (parse.h, cookie.h, csum.h, read-only) so the pieces are the
 * same code; maps.h comes along with parse.h and gives this object its own
 * copies of synguard's maps (only sg_ports is used, for the port check in
 * sg_parse, with every port set, and sg_sources, for the bucket probe).
 *
 * Return values tell the caller which path ran (the test-run retval):
 *
 *   probe_hdr    sg_parse alone (headers, port bitmap): XDP_PASS for a TCP
 *                segment to a protected port, else XDP_ABORTED
 *   probe_parse  sg_parse + sg_parse_opts: XDP_PASS for a protected TCP
 *                segment with valid options, else XDP_ABORTED
 *   probe_parse_syn, probe_parse_ack
 *                sg_parse + the options as synguard's SYN or ACK path
 *                reads them (sg_syn_opts_fast or sg_ack_opts_fast, the
 *                walk only for other layouts): XDP_PASS as probe_parse
 *   probe_mac    the cookie MAC (SipHash-2-4 over the 4-tuple, ISN, meta)
 *                for an untagged IPv4 or IPv6 TCP frame: XDP_PASS
 *   probe_src    synguard's per-prefix sg_sources update with the
 *                reflection guard off, as sg_src_synack() does it: the
 *                keyed hash of the /24 to a bucket of the array, the
 *                coarse clock, the claim check, the counters: XDP_PASS
 *   probe_skc    bpf_skc_lookup_tcp + bpf_sk_release on the IPv4 4-tuple:
 *                XDP_PASS for an established socket, XDP_TX for a
 *                listener, XDP_DROP for none, XDP_ABORTED otherwise
 *   probe_clock_call, probe_clock_kept
 *                the token buckets' time stamp: bpf_ktime_get_coarse_ns()
 *                called every packet, and sg_now() (clock.h: jiffies and
 *                the reading kept from the tick's first packet), as
 *                synguard takes it: XDP_PASS
 *   probe_call4, probe_inline4
 *                four calls of a global (noinline) BPF function, each a
 *                few ALU instructions on the frame's first word, and the
 *                same four bodies inline: the difference is four calls
 *                and returns. XDP_PASS
 *   probe_ip_reload, probe_ip_regs
 *                the fresh IPv4 header of sg_emit_synack (same stores),
 *                its checksum summed once as synguard does it (reading
 *                TTL and protocol back from the packet as one 16-bit load
 *                right after storing them as two bytes) and once from the
 *                register values: the difference is the cost of that
 *                reload. Both write the same bytes every repeat. XDP_PASS
 *   probe_least_syn, probe_least_ack
 *                the least a responder with synguard's MAC does (their
 *                comments): XDP_TX, and XDP_PASS
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "common.h"
#include "maps.h"
#include "csum.h"
#include "cookie.h"
#include "parse.h"
#include "clock.h"

#define BENCH_ETH_P_IP 0x0800
#define BENCH_ETH_P_IPV6 0x86DD
/* The socket lookups' netns argument: the program's own namespace (not
 * from vmlinux.h, which may lack the UAPI enum). */
#define PROBE_CURRENT_NETNS ((__u64)-1)

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Writable globals: loaded at run time, never folded into constants. */
struct sg_key probe_key = { 0xa5a5a5a55a5a5a5aULL, 0x1122334455667788ULL, 100,
			    1 };
__u32 probe_mask4 = 0x00ffffff; /* /24 in network order on little endian */
__u64 probe_hkey = 0x9e3779b97f4a7c15ULL; /* sg_config.hkey[0] */
__u64 probe_sink;
__u8 probe_ttl = 64;

SEC("xdp")
int probe_hdr(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct sg_pkt pkt;

	if (sg_parse(data, data_end, &pkt) != SG_PARSE_TCP)
		return XDP_ABORTED;
	probe_sink = pkt.ports;
	return XDP_PASS;
}

/* sg_parse and the options: the walk alone (@fast 0), or first the word
 * compares synguard uses for SYNs (1) or ACKs (2). @fast is a constant:
 * each program keeps only its own path. */
static __always_inline int probe_parse_opts(struct xdp_md *ctx, int fast)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct sg_opts o = {};
	struct sg_pkt pkt;

	if (sg_parse(data, data_end, &pkt) != SG_PARSE_TCP)
		return XDP_ABORTED;
	if (!(fast == 1 && sg_syn_opts_fast(data, data_end, &pkt, &o)) &&
	    !(fast == 2 && sg_ack_opts_fast(data, data_end, &pkt, &o)) &&
	    sg_parse_opts(ctx, pkt.l4off + sizeof(struct tcphdr),
			  pkt.doff - sizeof(struct tcphdr), &o))
		return XDP_ABORTED;
	probe_sink = o.tsval;
	return XDP_PASS;
}

SEC("xdp")
int probe_parse(struct xdp_md *ctx)
{
	return probe_parse_opts(ctx, 0);
}

SEC("xdp")
int probe_parse_syn(struct xdp_md *ctx)
{
	return probe_parse_opts(ctx, 1);
}

SEC("xdp")
int probe_parse_ack(struct xdp_md *ctx)
{
	return probe_parse_opts(ctx, 2);
}

SEC("xdp")
int probe_mac(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct sg_key k;
	__u64 mac;

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	k = probe_key;
	if (eth->h_proto == bpf_htons(BENCH_ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);
		struct tcphdr *th = (void *)(iph + 1);

		if ((void *)(th + 1) > data_end)
			return XDP_ABORTED;
		mac = sg_mac4(&k, iph->saddr, iph->daddr, *(__u32 *)th,
			      bpf_ntohl(th->seq), 0x190df);
	} else if (eth->h_proto == bpf_htons(BENCH_ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		struct tcphdr *th = (void *)(ip6 + 1);
		__u32 s[4], d[4];

		if ((void *)(th + 1) > data_end)
			return XDP_ABORTED;
		__builtin_memcpy(s, &ip6->saddr, 16);
		__builtin_memcpy(d, &ip6->daddr, 16);
		mac = sg_mac6(&k, s, d, *(__u32 *)th, bpf_ntohl(th->seq),
			      0x190df);
	} else {
		return XDP_ABORTED;
	}
	probe_sink = mac;
	return XDP_PASS;
}

SEC("xdp")
int probe_src(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	__u64 key = probe_hkey, k1 = key | 1, h, now;
	struct sg_src_key k = {};
	struct sg_src *b;
	__u32 slot;

	if ((void *)(iph + 1) > data_end)
		return XDP_ABORTED;
	k.family = 4;
	k.addr[0] = iph->saddr & probe_mask4;
	/* sg_hash() of an IPv4 prefix, top 16 bits: the bucket */
	h = (__u64)(k.addr[0] ^ (__u32)(key >> 32)) * k1;
	h ^= h >> 32;
	slot = h >> 48;
	b = bpf_map_lookup_elem(&sg_sources, &slot);
	if (!b)
		return XDP_ABORTED;
	now = sg_now();
	/* sg_src_claim(): the prefix's own bucket after the first packet */
	if (b->key.family != k.family || b->key.addr[0] != k.addr[0] ||
	    b->key.addr[1] || b->key.addr[2] || b->key.addr[3]) {
		if (!b->key.family || 100 - b->epoch >= 2) {
			b->key = k;
			b->synack = b->ack_ok = b->limited = 0;
			b->tokens = 0;
			b->last_ns = now;
			b->epoch = 100;
		}
	}
	b->synack++;
	if (b->epoch != 100)
		b->epoch = 100;
	return XDP_PASS;
}

SEC("xdp")
int probe_skc(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	struct bpf_sock_tuple t = {};
	struct tcphdr *th;
	struct bpf_sock *sk;
	int state;

	th = (void *)(iph + 1);
	if ((void *)(th + 1) > data_end)
		return XDP_ABORTED;
	t.ipv4.saddr = iph->saddr;
	t.ipv4.daddr = iph->daddr;
	t.ipv4.sport = th->source;
	t.ipv4.dport = th->dest;
	sk = bpf_skc_lookup_tcp(ctx, &t, sizeof(t.ipv4), PROBE_CURRENT_NETNS,
				0);
	if (!sk)
		return XDP_DROP;
	state = sk->state;
	bpf_sk_release(sk);
	if (state == BPF_TCP_ESTABLISHED)
		return XDP_PASS;
	if (state == BPF_TCP_LISTEN)
		return XDP_TX;
	return XDP_ABORTED;
}

static __always_inline int ip_header(struct xdp_md *ctx, int reload)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	__u32 saddr, daddr;
	__u8 ttl = probe_ttl;
	__u64 isum;

	if ((void *)(iph + 1) > data_end)
		return XDP_ABORTED;
	saddr = iph->saddr;
	daddr = iph->daddr;
	/* As in sg_emit_synack (addresses written back unswapped, so that
	 * every repeat stores the same bytes). */
	((__u16 *)iph)[0] = bpf_htons(0x4500);
	iph->tot_len = bpf_htons(60);
	iph->id = 0;
	iph->frag_off = bpf_htons(0x4000);
	iph->ttl = ttl;
	iph->protocol = SG_IPPROTO_TCP;
	iph->saddr = saddr;
	iph->daddr = daddr;
	if (reload)
		isum = (__u64)bpf_htons(0x4500) + iph->tot_len +
		       bpf_htons(0x4000) + ((__u16 *)iph)[4] + saddr + daddr;
	else
		isum = (__u64)bpf_htons(0x4500) + bpf_htons(60) +
		       bpf_htons(0x4000) + (ttl | SG_IPPROTO_TCP << 8) + saddr +
		       daddr;
	iph->check = sg_csum_fold(isum);
	return XDP_PASS;
}

SEC("xdp")
int probe_ip_reload(struct xdp_md *ctx)
{
	return ip_header(ctx, 1);
}

SEC("xdp")
int probe_ip_regs(struct xdp_md *ctx)
{
	return ip_header(ctx, 0);
}

SEC("xdp")
int probe_clock_call(struct xdp_md *ctx)
{
	probe_sink = bpf_ktime_get_coarse_ns();
	return XDP_PASS;
}

SEC("xdp")
int probe_clock_kept(struct xdp_md *ctx)
{
	probe_sink = sg_now();
	return XDP_PASS;
}

/* The body of the call probes: a few dependent ALU instructions. */
static __always_inline __u64 probe_mix(__u64 x)
{
	x ^= x >> 29;
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 32);
}

__attribute__((noinline)) __u64 probe_mix_call(__u64 x)
{
	return probe_mix(x);
}

static __always_inline int probe_calls(struct xdp_md *ctx, int call)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 x;

	if (data + 8 > data_end)
		return XDP_ABORTED;
	x = *(__u64 *)data;
	if (call) {
		x = probe_mix_call(x);
		x = probe_mix_call(x);
		x = probe_mix_call(x);
		x = probe_mix_call(x);
	} else {
		x = probe_mix(x);
		x = probe_mix(x);
		x = probe_mix(x);
		x = probe_mix(x);
	}
	probe_sink = x;
	return XDP_PASS;
}

SEC("xdp")
int probe_call4(struct xdp_md *ctx)
{
	return probe_calls(ctx, 1);
}

SEC("xdp")
int probe_inline4(struct xdp_md *ctx)
{
	return probe_calls(ctx, 0);
}

/*
 * The least a SYN-cookie responder with synguard's MAC can do, as a floor
 * for the issue-12 target rather than a design: sg_parse, the SYN's
 * options (word compares), the MAC over the 4-tuple and the client's ISN,
 * the swap+TX floor's swaps (MACs, addresses, ports), the cookie as our
 * sequence number, the client's ISN + 1 acknowledged, SYN|ACK, XDP_TX.
 * No checksum, no option of ours, no config, key, counter or per-source
 * state. IPv4 only. Every repeat swaps the frame back, as the floor does;
 * the probe object's port bitmap has every port, so that both directions
 * parse alike.
 */
SEC("xdp")
int probe_least_syn(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct sg_opts o = {};
	struct sg_pkt pkt;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	struct tcphdr *th;
	struct sg_key k;
	__u8 tmp[6];
	__u32 cisn;
	__u64 mac;

	if (sg_parse(data, data_end, &pkt) != SG_PARSE_TCP || pkt.v6 ||
	    pkt.l3off != sizeof(struct ethhdr) ||
	    !sg_syn_opts_fast(data, data_end, &pkt, &o))
		return XDP_ABORTED;
	iph = data + sizeof(struct ethhdr);
	th = data + sg_l4off(&pkt);
	if ((void *)(iph + 1) > data_end || (void *)(th + 1) > data_end)
		return XDP_ABORTED;
	k = probe_key;
	cisn = bpf_ntohl(th->seq);
	mac = sg_mac4(&k, pkt.saddr[0], pkt.daddr[0], pkt.ports, cisn,
		      o.mss | (__u32)o.wscale << 16);
	__builtin_memcpy(tmp, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, tmp, 6);
	iph->saddr = pkt.daddr[0];
	iph->daddr = pkt.saddr[0];
	*(__u32 *)th = pkt.ports >> 16 | pkt.ports << 16;
	th->seq = bpf_htonl((__u32)mac);
	th->ack_seq = bpf_htonl(cisn + 1);
	((__u8 *)th)[13] = SG_TCP_SYN | SG_TCP_ACK;
	return XDP_TX;
}

/*
 * The same for the returning ACK: sg_parse, the ACK's options (word
 * compare), the MAC over the 4-tuple and the client's ISN, compared with
 * the acknowledged cookie. No key lookup, epoch, decode, counter, state or
 * metadata. The frame is left alone; XDP_PASS whatever the comparison
 * says (it goes to probe_sink).
 */
SEC("xdp")
int probe_least_ack(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct sg_opts o = {};
	struct sg_pkt pkt;
	struct tcphdr *th;
	struct sg_key k;
	__u32 cookie;
	__u64 mac;

	if (sg_parse(data, data_end, &pkt) != SG_PARSE_TCP ||
	    !sg_ack_opts_fast(data, data_end, &pkt, &o))
		return XDP_ABORTED;
	th = data + sg_l4off(&pkt);
	if ((void *)(th + 1) > data_end)
		return XDP_ABORTED;
	k = probe_key;
	cookie = bpf_ntohl(th->ack_seq) - 1;
	mac = sg_mac4(&k, pkt.saddr[0], pkt.daddr[0], pkt.ports,
		      bpf_ntohl(th->seq) - 1, o.tsecr & 0x1ff);
	probe_sink = ((__u32)mac ^ cookie) & ((1u << SG_MAC_BITS_TS_ISN) - 1);
	return XDP_PASS;
}
