// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Frame-restoring wrapper for tools/bench/prog_bench.
 *
 * BPF_PROG_TEST_RUN runs every repeat on the same buffer and the same
 * xdp_buff: what one repeat writes (the SYN rewritten into a SYN-ACK, a
 * resized tail, metadata in front of a verified ACK) is what the next one
 * sees. Timing synguard on a SYN therefore needs the SYN back before each
 * repeat. This program does that, then tail-calls the program under test
 * (slot 0 of bench_target):
 *
 *   1. drop any metadata: bpf_xdp_adjust_meta(ctx, data - data_meta)
 *   2. restore the original length: bpf_xdp_adjust_tail(ctx, len - cur)
 *   3. rewrite the original bytes from bench_frame (bpf_xdp_store_bytes)
 *   4. read the frame back, 8 bytes at a time
 *
 * Every step runs unconditionally (adjusting by 0 when nothing changed), so
 * the wrapper costs the same in front of synguard as in front of
 * floor_pass; prog_bench subtracts the latter. Step 4 is there for the
 * same reason: loads right behind the helper's memcpy may wait for its
 * stores to complete, and without the read-back only a program that reads
 * the frame (synguard, not floor_pass) would pay that wait. What is left
 * of the difference between the two (presumably cache and predictor state
 * shared with the wrapper) is what prog_bench's method check measures:
 * a class that can be timed both ways, wrapped and directly.
 *
 * Any failure returns XDP_ABORTED without calling the program, which the
 * caller sees as counters that did not move.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define BENCH_FRAME_MAX 128

/* The frame to restore before every repeat (userspace writes it). */
struct bench_frame {
	__u32 len; /* 14..BENCH_FRAME_MAX */
	__u32 pad;
	__u8 data[BENCH_FRAME_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bench_frame);
} bench_frame SEC(".maps");

/* Slot 0: the program under test (synguard_xdp or floor_pass). */
/* Where the read-back goes, so that it is not optimised away. */
__u64 bench_sink;

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_target SEC(".maps");

SEC("xdp")
int bench_wrap(struct xdp_md *ctx)
{
	struct bench_frame *f;
	__u32 zero = 0, len;
	long meta, cur;
	void *data, *end;
	__u64 acc = 0;
	int i;

	f = bpf_map_lookup_elem(&bench_frame, &zero);
	if (!f)
		return XDP_ABORTED;
	len = f->len;
	if (len < 14 || len > BENCH_FRAME_MAX)
		return XDP_ABORTED;

	meta = (long)ctx->data - (long)ctx->data_meta;
	if (bpf_xdp_adjust_meta(ctx, (int)meta))
		return XDP_ABORTED;
	cur = (long)ctx->data_end - (long)ctx->data;
	/* Keep "end - data" one pointer difference: clang would otherwise
	 * fold it into len - end + data, which the verifier refuses. */
	asm volatile("" : "+r"(cur));
	if (bpf_xdp_adjust_tail(ctx, (int)((long)len - cur)))
		return XDP_ABORTED;
	if (bpf_xdp_store_bytes(ctx, 0, f->data, len))
		return XDP_ABORTED;

	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	for (i = 0; i < BENCH_FRAME_MAX / 8; i++) {
		__u64 *w = data + i * 8;

		if ((void *)(w + 1) > end)
			break;
		acc ^= *w;
	}
	bench_sink = acc;

	bpf_tail_call(ctx, &bench_target, 0);
	return XDP_ABORTED;
}
