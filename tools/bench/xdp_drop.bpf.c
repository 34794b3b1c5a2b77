// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Calibration receiver for the flood bench: drops every frame in XDP.
 * Attached to the server's attacker-facing veth (sga0) in place of any
 * defence, it measures the floor: what it costs on this machine to take a
 * packet off the veth ring into XDP at all (with veth, frames from a
 * socket arrive as skbs that are copied into an XDP buffer), and the
 * highest rate the generator can offer when the receiver does nothing.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char _license[] SEC("license") = "Dual BSD/GPL";
