// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Floor programs for tools/bench/prog_bench: what any XDP program costs
 * through BPF_PROG_TEST_RUN on this machine, measured alternately with the
 * synguard classes so that drift and noise affect both.
 *
 *   floor_pass     return XDP_PASS: the test-run loop and the call itself.
 *   floor_swap_tx  the least a responder does: swap the MAC addresses, the
 *                  IPv4/IPv6 addresses and the L4 ports, XDP_TX. Each
 *                  repeat swaps back, so the path is the same every time.
 *
 * floor_swap_tx returns XDP_ABORTED for a frame it cannot parse (no IP, IPv4
 * options, no L4 ports), so the test-run retval proves the path.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define BENCH_ETH_P_IP 0x0800
#define BENCH_ETH_P_IPV6 0x86DD

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int floor_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int floor_swap_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 *ports;
	__u8 tmp[6];

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(tmp, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, tmp, 6);

	if (eth->h_proto == bpf_htons(BENCH_ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);
		__u32 a;

		if ((void *)(iph + 1) > data_end || iph->ihl != 5)
			return XDP_ABORTED;
		a = iph->saddr;
		iph->saddr = iph->daddr;
		iph->daddr = a;
		ports = (void *)(iph + 1);
	} else if (eth->h_proto == bpf_htons(BENCH_ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		struct in6_addr a;

		if ((void *)(ip6 + 1) > data_end)
			return XDP_ABORTED;
		a = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
		ports = (void *)(ip6 + 1);
	} else {
		return XDP_ABORTED;
	}
	if ((void *)(ports + 1) > data_end)
		return XDP_ABORTED;
	*ports = (*ports >> 16) | (*ports << 16);
	return XDP_TX;
}
