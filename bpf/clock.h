/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The token buckets' clock: bpf_ktime_get_coarse_ns() without a helper
 * call per packet. That clock moves only at the scheduler tick, when
 * jiffies move too; so its value is kept with the jiffy it was read in,
 * and bpf_jiffies64() (which the verifier inlines into one load on 64-bit
 * JITs, Linux 5.5+) says when to read it again: once per tick instead of
 * once per packet, for the same time stamps. On this project's CI machine
 * the call costs about 12 ns alone (tools/bench: the clock probe pair),
 * and taking it out of the SYN path saved 15-20 ns per SYN.
 *
 * The kept pair is shared by all CPUs of an object (.bss). A CPU that
 * reads it while another rewrites it may get the tick before; the token
 * buckets take a time behind their last refill as no time passed.
 */
#ifndef SG_CLOCK_H
#define SG_CLOCK_H

static __u64 sg_clk_jiffies, sg_clk_ns;

static __always_inline __u64 sg_now(void)
{
	__u64 j = bpf_jiffies64();

	if (j != *(volatile __u64 *)&sg_clk_jiffies) {
		/* The time first: a reader that sees the new jiffy sees it
		 * (x86 keeps stores in order; elsewhere the worst is the
		 * tick before, as above). */
		*(volatile __u64 *)&sg_clk_ns = bpf_ktime_get_coarse_ns();
		*(volatile __u64 *)&sg_clk_jiffies = j;
	}
	return *(volatile __u64 *)&sg_clk_ns;
}

#endif /* SG_CLOCK_H */
