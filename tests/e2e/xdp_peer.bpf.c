// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * XDP_PASS everything. The end-to-end topology attaches this to the client
 * and attacker veths (cli0, atk0), the peers of the server's veths where
 * synguard runs. veth only schedules the peer's NAPI after XDP_TX when the
 * peer has an XDP program; without one, the SYN-ACKs synguard sends with
 * XDP_TX sit in the peer's ring until unrelated traffic arrives.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_peer(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
