// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Frame-restoring wrapper for tools/bench/prog_bench.
 *
 * BPF_PROG_TEST_RUN runs every repeat on the same buffer and the same
 * xdp_buff: what one repeat writes (the SYN rewritten into a SYN-ACK, a
 * resized tail, metadata in front of a verified ACK) is what the next one
 * sees. Timing synguard on a SYN therefore needs a SYN back before each
 * repeat. This program does that, then tail-calls the program under test
 * (slot 0 of bench_target):
 *
 *   0. pick the next frame of the ring: bench_frames[bench_cursor++ &
 *      bench_mask], so that a class can bring a different source address,
 *      port and ISN every repeat (a random-source flood) rather than one
 *      replayed frame; bench_mask 0 replays frame 0. The cursor is one
 *      global, not per CPU: a test run that yields between repeats may go
 *      on on another CPU, and the caller needs to know which frame the
 *      last repeat saw
 *   1. drop any metadata: bpf_xdp_adjust_meta(ctx, data - data_meta)
 *   2. restore the frame's length: bpf_xdp_adjust_tail(ctx, len - cur)
 *   3. write the frame's bytes (bpf_xdp_store_bytes)
 *   4. read the frame back, 8 bytes at a time
 *
 * Every step runs unconditionally (adjusting by 0 when nothing changed), so
 * the wrapper costs the same in front of synguard as in front of
 * floor_pass, given the same ring; prog_bench subtracts the latter. Step 4
 * is there for the same reason: loads right behind the helper's memcpy may
 * wait for its stores to complete, and without the read-back only a program
 * that reads the frame (synguard, not floor_pass) would pay that wait. What
 * is left of the difference between the two (presumably cache and
 * predictor state shared with the wrapper) is what prog_bench's method
 * check measures: a class that can be timed both ways, wrapped and
 * directly.
 *
 * Any failure returns XDP_ABORTED without calling the program, which the
 * caller sees as counters that did not move.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* A frame of the ring fills two cache lines: 8 + 120 bytes. */
#define BENCH_FRAME_MAX 120

/* One frame of the ring (userspace writes them). */
struct bench_frame {
	__u32 len; /* 14..BENCH_FRAME_MAX */
	__u32 pad;
	__u8 data[BENCH_FRAME_MAX];
};

/*
 * The ring; userspace sizes it (a power of two) before loading. Its values
 * start on a page (BPF_F_MMAPABLE, for that alone): an ordinary array's
 * start 312 bytes into one on Linux 6.18, where each frame would span
 * three cache lines instead of two and crowd synguard's own lines out of
 * the cache more than a NIC's recycled buffers do.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct bench_frame);
} bench_frames SEC(".maps");

/* The next frame's number (userspace resets it before a run). */
__u32 bench_cursor;
/* Frames in use - 1 (a power of two - 1, below the ring's size). */
__u32 bench_mask;
/* Where the read-back goes, so that it is not optimised away. */
__u64 bench_sink;

/* Slot 0: the program under test (synguard_xdp, floor_pass, ...). */
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
	__u32 len, idx;
	long meta, cur;
	void *data, *end;
	__u64 acc = 0;
	int i;

	idx = bench_cursor++ & bench_mask;
	f = bpf_map_lookup_elem(&bench_frames, &idx);
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
