// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* See natcheck.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "natcheck.h"

/* iptables-legacy: /proc/net/ip{,6}_tables_names lists loaded tables. */
static int legacy_nat(const char *path)
{
	char line[64];
	FILE *f = fopen(path, "re");
	int nat = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strcmp(line, "nat\n"))
			nat = 1;
	fclose(f);
	return nat;
}

/* The NFTA_CHAIN_TYPE of one NFT_MSG_NEWCHAIN message is "nat". */
static int chain_is_nat(struct nlmsghdr *nh)
{
	struct nfgenmsg *g = NLMSG_DATA(nh);
	struct nlattr *a = (void *)((char *)g + NLMSG_ALIGN(sizeof(*g)));
	int len = nh->nlmsg_len - NLMSG_SPACE(sizeof(*g));

	while (len >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == NFTA_CHAIN_TYPE)
			return a->nla_len - NLA_HDRLEN >= 4 &&
			       !strncmp((char *)a + NLA_HDRLEN, "nat", 4);
		len -= NLA_ALIGN(a->nla_len);
		a = (void *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	return 0;
}

static unsigned int nft_nat(void)
{
	struct {
		struct nlmsghdr nh;
		struct nfgenmsg g;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type =
				(NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1 },
		.g = { .nfgen_family = NFPROTO_UNSPEC,
		       .version = NFNETLINK_V0 },
	};
	unsigned int found = 0;
	char buf[16384];
	int fd, done = 0;

	/* On a modular kernel without nf_tables loaded there is no chain to
	 * find, and asking would make the kernel load the module (or run
	 * modprobe every second where it cannot). */
	if (!access("/proc/modules", F_OK) &&
	    access("/sys/module/nf_tables", F_OK))
		return 0;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return 0;
	if (send(fd, &req, sizeof(req), 0) < 0) {
		close(fd);
		return 0;
	}
	while (!done) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh = (struct nlmsghdr *)buf;

		if (len <= 0)
			break;
		for (; NLMSG_OK(nh, (size_t)len); nh = NLMSG_NEXT(nh, len)) {
			struct nfgenmsg *g = NLMSG_DATA(nh);

			if (nh->nlmsg_type == NLMSG_DONE ||
			    nh->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			if ((nh->nlmsg_type & 0xff) != NFT_MSG_NEWCHAIN ||
			    !chain_is_nat(nh))
				continue;
			if (g->nfgen_family == NFPROTO_IPV4 ||
			    g->nfgen_family == NFPROTO_INET)
				found |= SG_NAT4;
			if (g->nfgen_family == NFPROTO_IPV6 ||
			    g->nfgen_family == NFPROTO_INET)
				found |= SG_NAT6;
		}
	}
	close(fd);
	return found;
}

unsigned int sg_nat_hooks(void)
{
	unsigned int found = nft_nat();

	if (legacy_nat("/proc/net/ip_tables_names"))
		found |= SG_NAT4;
	if (legacy_nat("/proc/net/ip6_tables_names"))
		found |= SG_NAT6;
	return found;
}
