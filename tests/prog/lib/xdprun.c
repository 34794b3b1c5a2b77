// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* See xdprun.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "common.h"
#include "synguard.skel.h"
#include "xdprun.h"

struct synguard_bpf *sg_xdp_open_load(void)
{
	struct synguard_bpf *skel = synguard_bpf__open();
	struct btf *vmlinux;
	int kfunc = 0, err;

	if (!skel)
		return NULL;
	/* The TC program needs the hand-off kfunc (Linux 6.9+); before
	 * that, load what the kernel engine loads: the XDP program. */
	vmlinux = btf__load_vmlinux_btf();
	if (vmlinux) {
		kfunc = btf__find_by_name_kind(vmlinux,
					       "bpf_sk_assign_tcp_reqsk",
					       BTF_KIND_FUNC) > 0;
		btf__free(vmlinux);
	}
	if (!kfunc)
		bpf_program__set_autoload(skel->progs.synguard_tc, false);
	err = synguard_bpf__load(skel);
	if (err) {
		synguard_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

const char *sg_verdict_name(__u32 v)
{
	static char buf[32];

	switch (v) {
	case XDP_ABORTED:
		return "XDP_ABORTED";
	case XDP_DROP:
		return "XDP_DROP";
	case XDP_PASS:
		return "XDP_PASS";
	case XDP_TX:
		return "XDP_TX";
	case XDP_REDIRECT:
		return "XDP_REDIRECT";
	}
	snprintf(buf, sizeof(buf), "verdict_%u", v);
	return buf;
}

int sg_stats_sum(const struct bpf_map *stats, __u64 *sum)
{
	int ncpus = libbpf_num_possible_cpus(), c, err = 0;
	__u64 *vals;
	__u32 i;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (i = 0; i < SG_STAT_MAX; i++) {
		if (bpf_map__lookup_elem(stats, &i, sizeof(i), vals,
					 sizeof(*vals) * ncpus, 0)) {
			err = -errno;
			break;
		}
		sum[i] = 0;
		for (c = 0; c < ncpus; c++)
			sum[i] += vals[c];
	}
	free(vals);
	return err;
}
