/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * This network namespace's local addresses and TCP listeners, mirrored
 * into the maps the XDP program consults before it answers a SYN:
 * sg_local4/sg_local6 (hash: address -> 1) and sg_lports (array of
 * struct sg_lport, bit (port & 31) of word port >> 5).
 *
 * What counts as local (an address the kernel would deliver a SYN to):
 *  - every unicast address of every interface, IFA_LOCAL when the address
 *    has one (point-to-point: IFA_ADDRESS is then the peer's), including
 *    global addresses on lo (a service address on lo is reached through
 *    the XDP device) and link-local ones (the maps cannot say on which
 *    link: fe80::1 of another interface counts as well);
 *  - not host-scope addresses (127.0.0.0/8, ::1): the kernel drops a
 *    packet for them that comes in on any device but lo, so a SYN to them
 *    on the XDP device is a spoofed one that must not get a SYN-ACK;
 *  - not IPv6 addresses still in duplicate address detection (tentative,
 *    unless optimistic) or that failed it: the kernel has no local route
 *    for them yet. They are added by the first sync after DAD succeeds.
 * An address missing from the map only sends its SYNs to the kernel.
 *
 * Listeners: sock_diag dumps of TCP sockets in LISTEN (IPv4 and IPv6;
 * a dual-stack socket is in the IPv6 dump). The maps are per port, not
 * per address: a port has its listen bit when any listener of the
 * namespace has that port, whatever it is bound to, and its mptcp bit
 * when any of them is an MPTCP listener, even if a plain TCP one shares
 * the port on another address: every SYN to such a port then goes to
 * the kernel (whose own SYN cookies still work), because a cookie
 * SYN-ACK would break an MPTCP handshake and the hand-off refuses MPTCP
 * listeners. Failing open for the plain listener is the safe side.
 *
 * MPTCP listeners are found two ways, and a port is marked when either
 * says so:
 *  - in the TCP dump, the MPTCP socket's listening subflow is a TCP
 *    listener whose ULP is "mptcp" (INET_DIAG_ULP_INFO, requested with
 *    the INET_DIAG_INFO extension; Linux 5.4+, needs CAP_NET_ADMIN
 *    before 6.15, which the daemon has);
 *  - the MPTCP diag dump (protocol IPPROTO_MPTCP through the
 *    INET_DIAG_REQ_PROTOCOL attribute, Linux 5.19+ for listeners), which
 *    needs no capability but needs mptcp_diag (built in or a module). Its
 *    absence is not an error; it is asked again every 60 syncs.
 * tests/prog/test_netstate.c checks each way alone; on Debian's 6.1 and
 * 6.12 both find them, and without CAP_NET_ADMIN only the second.
 *
 * Every call dumps addresses and listeners (cheap: a few netlink
 * messages) and writes only what differs from what it wrote last:
 * nothing at all when nothing changed. The first call, a call with other
 * maps than the last one (map ids differ) and the call after a failure
 * read the maps instead and compare with what they really hold, so that
 * stale entries (pinned maps of an earlier run) go.
 */
#ifndef SG_NETSTATE_H
#define SG_NETSTATE_H

#include <linux/types.h>

struct sg_netstate; /* netlink sockets, buffers, the last view */

struct sg_netstate_stats {
	__u32 addrs4;	      /* IPv4 addresses in sg_local4 after the sync */
	__u32 addrs6;	      /* IPv6 addresses in sg_local6 */
	__u32 ports;	      /* ports with a listen bit */
	__u32 mptcp_ports;    /* ports with an mptcp bit */
	__u32 listeners;      /* listening TCP sockets in the dumps */
	__u32 mptcp_ulp;      /* of which MPTCP subflow listeners (ULP name) */
	__u32 mptcp_diag;     /* MPTCP listeners in the MPTCP diag dump */
	__u32 added;	      /* sg_local4/6 entries added by this sync */
	__u32 removed;	      /* sg_local4/6 entries deleted */
	__u32 lport_writes;   /* sg_lports words written */
	__u32 skipped;	      /* addresses left out: a map is full */
	__u32 tentative;      /* IPv6 addresses left out: DAD not done */
	__u32 retries;	      /* address dumps redone (NLM_F_DUMP_INTR) */
	__u32 full;	      /* 1: compared with the maps' contents */
	__u32 has_mptcp_diag; /* 1: the MPTCP diag dump answered */
};

/* NULL and errno set on failure (a message is logged). */
struct sg_netstate *sg_netstate_open(void);

/*
 * Bring sg_local4 (@local4_fd), sg_local6 (@local6_fd) and sg_lports
 * (@lports_fd) in line with the namespace now: delete stale entries, add
 * new ones, rewrite only changed sg_lports words. 0 or -errno (logged
 * with pr_warn); on failure the maps may be part-way and the next call
 * compares with their contents. @st (may be NULL) is filled either way.
 */
int sg_netstate_sync(struct sg_netstate *ns, int local4_fd, int local6_fd,
		     int lports_fd, struct sg_netstate_stats *st);

void sg_netstate_close(struct sg_netstate *ns);

#endif /* SG_NETSTATE_H */
