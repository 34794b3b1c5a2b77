/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Small helpers shared by the programs that run synguard_xdp through
 * BPF_PROG_TEST_RUN (test_xdp, test_cookie_strength, sgrun, fuzz_xdp).
 */
#ifndef SG_XDPRUN_H
#define SG_XDPRUN_H

#include <linux/types.h>

/*
 * The SYN-ACK part of a test configuration (all but .flags): what the
 * daemon sends by default on a 1500-byte link (user/run.c), with its MSS
 * tables.
 */
#define SG_TEST_CFG_SYNACK                                                   \
	.mss4 = 1460, .mss6 = 1440, .window = 65535, .wscale = 7, .ttl = 64, \
	.msstab4 = { SG_MSSTAB4_DEFAULT }, .msstab6 = { SG_MSSTAB6_DEFAULT }

struct bpf_map;
struct synguard_bpf;

/*
 * The synguard skeleton, opened and loaded as the running kernel allows:
 * the TC hand-off program too where the kernel has its kfunc. NULL with
 * errno set on failure.
 */
struct synguard_bpf *sg_xdp_open_load(void);

/* "XDP_PASS", ..., or "verdict_N" for anything else. */
const char *sg_verdict_name(__u32 v);

/* Sum the per-CPU sg_stats counters into sum[SG_STAT_MAX]; 0 or -errno. */
int sg_stats_sum(const struct bpf_map *stats, __u64 *sum);

#endif /* SG_XDPRUN_H */
