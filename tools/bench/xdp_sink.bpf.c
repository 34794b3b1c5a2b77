// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Attacker-side sink for the demo and the flood bench: drops, in XDP,
 * every frame addressed to the spoofed source pools (198.19.0.0/16,
 * fd00:5e:ff::/64), i.e. the SYN-ACKs the server sends to forged sources;
 * passes everything else. Replaces tests/e2e/xdp_peer (XDP_PASS) on atk0,
 * where those SYN-ACKs would otherwise climb the attacker's IP stack and
 * take generator CPU away from the flood. Being an XDP program it also
 * keeps what xdp_peer is there for: veth kicks the peer's NAPI after
 * XDP_TX only when the peer has an XDP program.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int xdp_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end)
			return XDP_PASS;
		/* 198.19.0.0/16 */
		if ((bpf_ntohl(ip->daddr) & 0xffff0000) == 0xc6130000)
			return XDP_DROP;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		__u32 *d;

		if ((void *)(ip6 + 1) > end)
			return XDP_PASS;
		d = ip6->daddr.in6_u.u6_addr32;
		/* fd00:5e:ff::/64 */
		if (d[0] == bpf_htonl(0xfd00005e) &&
		    d[1] == bpf_htonl(0x00ff0000))
			return XDP_DROP;
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
