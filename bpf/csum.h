/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Internet checksum arithmetic on values held in registers. The SYN-ACK is
 * built from known field values, so its checksums are summed from those
 * values (32-bit words exactly as they are stored, in network order) with
 * no helper call and no re-read of the packet. The one's-complement sum is
 * byte-order independent, so folding the stored words gives the checksum
 * in stored order too.
 */
#ifndef SG_CSUM_H
#define SG_CSUM_H

static __always_inline __u16 sg_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

#endif /* SG_CSUM_H */
