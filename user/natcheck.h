/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Is connection-tracking NAT set up in this network namespace? Then the
 * own engine's hand-off does not survive: Linux's NAT hook at LOCAL_IN
 * (nf_nat_ipv4_local_in / nf_nat_ipv6_local_in) checks whether a packet's
 * port was mangled against the socket attached to it, and the request
 * socket bpf_sk_assign_tcp_reqsk() attaches has no ports yet (the kernel
 * fills them later), so the check drops it and the listener answers the
 * ACK with a RST. NAT hooks exist for a family as soon as one nat chain
 * does, whatever it matches (a Docker host has them), so the test is: a
 * nat chain in nftables (which iptables-nft uses too), or iptables-legacy's
 * nat table.
 */
#ifndef SG_NATCHECK_H
#define SG_NATCHECK_H

#define SG_NAT4 1u /* IPv4 NAT hooks */
#define SG_NAT6 2u /* IPv6 NAT hooks */

/* SG_NAT4 | SG_NAT6 as found now; 0 when none or it cannot be told. */
unsigned int sg_nat_hooks(void);

#endif /* SG_NATCHECK_H */
