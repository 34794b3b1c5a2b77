// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * This namespace's addresses (rtnetlink) and TCP listeners (sock_diag),
 * mirrored into sg_local4/6 and sg_lports; see netstate.h for what counts.
 *
 * Netlink: one socket per protocol, kept open; one dump request at a
 * time, its answers read into one bounded buffer (a dump skb is at most
 * 32 KiB, so 64 KiB never truncates; MSG_TRUNC is an error all the same),
 * and a receive timeout so that a kernel that never answers cannot stall
 * the daemon. Answers of another sequence number are skipped. A dump
 * abandoned half-way (an error of ours, a timeout) leaves the kernel's
 * dump running on that socket, where a new one would get EBUSY: the
 * socket is closed and opened anew instead. An address dump flagged
 * NLM_F_DUMP_INTR (addresses changed under it) is read to its end and
 * done again, a few times at most.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/if_addr.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <bpf/bpf.h>

#include "common.h"
#include "log.h"
#include "netstate.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NS_TCP_LISTEN 10      /* TCP_LISTEN of the kernel's TCP states */
#define NS_BUF_LEN 65536      /* receive buffer; a dump skb is <= 32 KiB */
#define NS_TIMEOUT_S 2	      /* receive timeout of one answer */
#define NS_DUMP_TRIES 5	      /* dumps flagged NLM_F_DUMP_INTR redone */
#define NS_MPTCP_RETRY 60     /* syncs before asking mptcp_diag again */
#define NS_COLLECT_MAX 262144 /* addresses collected per family, at most */

enum { NS_ROUTE, NS_DIAG, NS_SOCKS };

/* A sorted set of addresses without duplicates: __u32 or struct sg_in6. */
struct ns_set {
	unsigned char *v;
	size_t n, cap;
	size_t esz;
};

struct sg_netstate {
	int fd[NS_SOCKS];
	__u32 seq;
	unsigned char *buf;
	char errmsg[128]; /* the kernel's extended ack text of the last error */
	/* What the maps hold as far as we know: valid while synced. */
	int synced;
	__u32 ids[3]; /* map ids of local4, local6, lports at the last sync */
	struct ns_set cur4, cur6;
	struct sg_lport cur_lp[SG_PORT_WORDS];
	/* What this sync found. */
	struct ns_set new4, new6;
	struct sg_lport new_lp[SG_PORT_WORDS];
	struct sg_netstate_stats st;
	int mptcp_wait; /* syncs left before asking mptcp_diag again */
	int mptcp_told; /* its absence was logged */
	__u32 told_skipped;
};

static const char *const sock_name[NS_SOCKS] = { "rtnetlink", "sock_diag" };
static const int sock_proto[NS_SOCKS] = { NETLINK_ROUTE, NETLINK_SOCK_DIAG };

static int nl_open(int which)
{
	struct timeval tv = { .tv_sec = NS_TIMEOUT_S };
	int one = 1, fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, sock_proto[which]);
	if (fd < 0) {
		err = -errno;
		pr_warn("synguard: couldn't open a %s socket: %s\n",
			sock_name[which], strerror(-err));
		return err;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		err = -errno;
		pr_warn("synguard: couldn't set a %s socket's timeout: %s\n",
			sock_name[which], strerror(-err));
		close(fd);
		return err;
	}
	/* Best effort: the kernel's reason for an error, without the echo of
	 * the request. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return fd;
}

static void nl_reset(struct sg_netstate *ns, int which)
{
	if (ns->fd[which] >= 0)
		close(ns->fd[which]);
	ns->fd[which] = -1;
}

/* The NLMSGERR_ATTR_MSG text among the attributes at @off of @h, if any. */
static void ext_ack(struct sg_netstate *ns, const struct nlmsghdr *h,
		    size_t off)
{
	const struct nlattr *a;
	size_t left, alen;

	ns->errmsg[0] = '\0';
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || h->nlmsg_len < off)
		return;
	left = h->nlmsg_len - off;
	a = (const void *)((const char *)h + off);
	while (left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= left) {
		alen = a->nla_len - NLA_HDRLEN;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG &&
		    alen) {
			const char *s = (const char *)a + NLA_HDRLEN;

			snprintf(ns->errmsg, sizeof(ns->errmsg), " (%.*s)",
				 (int)strnlen(s, alen), s);
			return;
		}
		if ((size_t)NLA_ALIGN(a->nla_len) >= left)
			break;
		left -= (size_t)NLA_ALIGN(a->nla_len);
		a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len));
	}
}

typedef int (*ns_msg_fn)(struct sg_netstate *ns, const struct nlmsghdr *h,
			 void *arg);

/*
 * Send the dump request @req on socket @which and hand each answer to
 * @fn. 0: done; 1: done, but flagged NLM_F_DUMP_INTR (redo it); -errno
 * (not logged: the caller knows what it asked; ns->errmsg may say more).
 */
static int nl_dump(struct sg_netstate *ns, int which, struct nlmsghdr *req,
		   ns_msg_fn fn, void *arg)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int intr = 0, err, fd;

	ns->errmsg[0] = '\0';
	if (ns->fd[which] < 0) {
		ns->fd[which] = nl_open(which);
		if (ns->fd[which] < 0)
			return ns->fd[which];
	}
	fd = ns->fd[which];
	req->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req->nlmsg_seq = ++ns->seq;
	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		err = -errno;
		goto fail;
	}
	for (;;) {
		struct iovec iov = { .iov_base = ns->buf,
				     .iov_len = NS_BUF_LEN };
		struct msghdr msg = { .msg_name = &sa,
				      .msg_namelen = sizeof(sa),
				      .msg_iov = &iov,
				      .msg_iovlen = 1 };
		const struct nlmsghdr *h;
		ssize_t n;
		int left;

		n = recvmsg(fd, &msg, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno == EAGAIN || errno == EWOULDBLOCK ?
				      -ETIMEDOUT :
				      -errno;
			goto fail;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			err = -EMSGSIZE;
			goto fail;
		}
		if (sa.nl_pid != 0) /* not the kernel's */
			continue;
		left = (int)n;
		for (h = (const void *)ns->buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != req->nlmsg_seq)
				continue;
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = 1;
			if (h->nlmsg_type == NLMSG_DONE) {
				int e = 0;

				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(e)))
					memcpy(&e, NLMSG_DATA(h), sizeof(e));
				if (e < 0) {
					ext_ack(ns, h,
						NLMSG_LENGTH(NLMSG_ALIGN(
							sizeof(e))));
					return e;
				}
				return intr;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				size_t off;

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EBADMSG;
				off = NLMSG_LENGTH(sizeof(*e));
				if (!(h->nlmsg_flags & NLM_F_CAPPED))
					off += NLMSG_ALIGN(e->msg.nlmsg_len) -
					       NLMSG_HDRLEN;
				ext_ack(ns, h, off);
				/* An ack (0) does not end a dump. */
				return e->error ? e->error : -EBADMSG;
			}
			if (h->nlmsg_type == NLMSG_NOOP)
				continue;
			if (h->nlmsg_type == NLMSG_OVERRUN) {
				err = -ENOBUFS;
				goto fail;
			}
			err = fn(ns, h, arg);
			if (err < 0)
				goto fail;
		}
		if (left) { /* a message cut short */
			err = -EBADMSG;
			goto fail;
		}
	}
fail:
	/* The rest of the dump may still come: start over on a new socket. */
	nl_reset(ns, which);
	return err;
}

/* ---- address sets ---- */

static void set_init(struct ns_set *s, size_t esz)
{
	memset(s, 0, sizeof(*s));
	s->esz = esz;
}

static void set_free(struct ns_set *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int set_push(struct ns_set *s, const void *e)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *v;

		if (cap > NS_COLLECT_MAX)
			return -E2BIG;
		v = realloc(s->v, cap * s->esz);
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	memcpy(s->v + s->n * s->esz, e, s->esz);
	s->n++;
	return 0;
}

static int cmp4(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(__u32));
}

static int cmp6(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct sg_in6));
}

/* Sort, drop duplicates, keep at most @max: returns how many were cut. */
static size_t set_finish(struct ns_set *s, size_t max)
{
	size_t i, j, cut = 0;

	if (!s->n)
		return 0;
	qsort(s->v, s->n, s->esz, s->esz == 4 ? cmp4 : cmp6);
	for (i = 1, j = 1; i < s->n; i++) {
		if (memcmp(s->v + i * s->esz, s->v + (j - 1) * s->esz,
			   s->esz)) {
			if (i != j)
				memcpy(s->v + j * s->esz, s->v + i * s->esz,
				       s->esz);
			j++;
		}
	}
	s->n = j;
	if (s->n > max) {
		cut = s->n - max;
		s->n = max;
	}
	return cut;
}

static const char *addr_str(const void *e, size_t esz, char *buf, size_t len)
{
	if (!inet_ntop(esz == 4 ? AF_INET : AF_INET6, e, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* ---- addresses ---- */

static int addr_msg(struct sg_netstate *ns, const struct nlmsghdr *h, void *arg)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const struct rtattr *rta, *addr = NULL, *local = NULL;
	const unsigned char *p;
	__u32 flags;
	int len;

	(void)arg;
	if (h->nlmsg_type != RTM_NEWADDR)
		return 0;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return -EBADMSG;
	flags = ifa->ifa_flags;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa)));
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		switch (rta->rta_type & NLA_TYPE_MASK) {
		case IFA_ADDRESS:
			addr = rta;
			break;
		case IFA_LOCAL:
			local = rta;
			break;
		case IFA_FLAGS:
			if (RTA_PAYLOAD(rta) >= sizeof(flags))
				memcpy(&flags, RTA_DATA(rta), sizeof(flags));
			break;
		}
	}
	/* Point-to-point: IFA_LOCAL is ours, IFA_ADDRESS the peer's. */
	if (local)
		addr = local;
	if (!addr || ifa->ifa_scope >= RT_SCOPE_HOST)
		return 0;
	p = RTA_DATA(addr);
	if (ifa->ifa_family == AF_INET) {
		if (RTA_PAYLOAD(addr) != 4)
			return -EBADMSG;
		/* loopback 127/8, multicast (autojoin), 0.0.0.0 and the
		 * limited broadcast: never a unicast destination of ours */
		if (p[0] == 127 || (p[0] & 0xf0) == 0xe0 ||
		    !memcmp(p, "\0\0\0\0", 4) ||
		    !memcmp(p, "\xff\xff\xff\xff", 4))
			return 0;
		return set_push(&ns->new4, p);
	}
	if (ifa->ifa_family == AF_INET6) {
		static const unsigned char lo6[16] = { [15] = 1 };

		if (RTA_PAYLOAD(addr) != 16)
			return -EBADMSG;
		if (p[0] == 0xff || !memcmp(p, lo6, 16))
			return 0;
		if ((flags & IFA_F_DADFAILED) ||
		    ((flags & IFA_F_TENTATIVE) &&
		     !(flags & IFA_F_OPTIMISTIC))) {
			ns->st.tentative++;
			return 0;
		}
		return set_push(&ns->new6, p);
	}
	return 0;
}

static int collect_addrs(struct sg_netstate *ns, size_t max4, size_t max6)
{
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg ifa;
	} req;
	size_t cut;
	int err, try;

	for (try = 0; try < NS_DUMP_TRIES; try++) {
		memset(&req, 0, sizeof(req));
		req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
		req.h.nlmsg_type = RTM_GETADDR;
		req.ifa.ifa_family = AF_UNSPEC; /* both families */
		ns->new4.n = ns->new6.n = 0;
		ns->st.tentative = 0;
		err = nl_dump(ns, NS_ROUTE, &req.h, addr_msg, NULL);
		if (err <= 0)
			break;
		ns->st.retries++;
	}
	if (err > 0)
		err = -EAGAIN;
	if (err < 0) {
		pr_warn("synguard: couldn't dump the addresses (RTM_GETADDR): "
			"%s%s\n",
			err == -EAGAIN ? "they kept changing during the dump" :
					 strerror(-err),
			ns->errmsg);
		return err;
	}
	cut = set_finish(&ns->new4, max4);
	cut += set_finish(&ns->new6, max6);
	ns->st.skipped = (__u32)cut;
	if (cut && cut != ns->told_skipped)
		pr_warn("synguard: %zu local addresses left out of %s/%s "
			"(full at %zu/%zu): SYNs to them go to the kernel\n",
			cut, SG_MAP_LOCAL4, SG_MAP_LOCAL6, max4, max6);
	ns->told_skipped = (__u32)cut;
	return 0;
}

/* ---- listeners ---- */

struct diag_ctx {
	int mptcp; /* the MPTCP dump: every listener in it is MPTCP */
};

/* 1 when the INET_DIAG_ULP_INFO nest @rta names the "mptcp" ULP. */
static int ulp_is_mptcp(const struct rtattr *ulp)
{
	const struct rtattr *rta;
	int len = (int)RTA_PAYLOAD(ulp);

	for (rta = RTA_DATA(ulp); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		const char *name = RTA_DATA(rta);
		size_t n = RTA_PAYLOAD(rta);

		if ((rta->rta_type & NLA_TYPE_MASK) != INET_ULP_INFO_NAME)
			continue;
		return strnlen(name, n) == 5 && !memcmp(name, "mptcp", 5);
	}
	return 0;
}

static int diag_msg(struct sg_netstate *ns, const struct nlmsghdr *h, void *arg)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	const struct diag_ctx *ctx = arg;
	const struct rtattr *rta;
	int len, mptcp = ctx->mptcp;
	__u32 bit;
	__u16 port;

	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return 0;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EBADMSG;
	if (m->idiag_state != NS_TCP_LISTEN)
		return 0;
	port = ntohs(m->id.idiag_sport);
	if (mptcp) {
		ns->st.mptcp_diag++;
	} else {
		ns->st.listeners++;
		len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
		rta = (const void *)((const char *)m + NLMSG_ALIGN(sizeof(*m)));
		for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
			if ((rta->rta_type & NLA_TYPE_MASK) ==
				    INET_DIAG_ULP_INFO &&
			    ulp_is_mptcp(rta)) {
				mptcp = 1;
				ns->st.mptcp_ulp++;
				break;
			}
		}
	}
	bit = 1u << (port & 31);
	ns->new_lp[port >> 5].listen |= bit;
	if (mptcp)
		ns->new_lp[port >> 5].mptcp |= bit;
	return 0;
}

static int diag_dump(struct sg_netstate *ns, int family, int mptcp)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
		struct nlattr a;
		__u32 proto;
	} req;
	struct diag_ctx ctx = { .mptcp = mptcp };

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.r));
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.r.sdiag_family = family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = 1u << NS_TCP_LISTEN;
	if (mptcp) {
		/*
		 * IPPROTO_MPTCP does not fit sdiag_protocol: the attribute
		 * says it. sdiag_protocol 0 then, so that a kernel that
		 * ignores the attribute answers ENOENT, not with TCP.
		 */
		req.r.sdiag_protocol = 0;
		req.a.nla_len = NLA_HDRLEN + sizeof(req.proto);
		req.a.nla_type = INET_DIAG_REQ_PROTOCOL;
		req.proto = IPPROTO_MPTCP;
		req.h.nlmsg_len = sizeof(req);
	} else {
		/*
		 * INET_DIAG_INFO brings INET_DIAG_ULP_INFO along. (Stable
		 * kernels that have "mptcp: fix lockless access in subflow
		 * ULP diag" but not its follow-up "mptcp: fix possible
		 * deadlock in subflow diag", both of early 2024, take the
		 * subflow listener's socket lock in this dump; both fixes
		 * were marked for the stable trees.)
		 */
		req.r.idiag_ext = 1u << (INET_DIAG_INFO - 1);
	}
	return nl_dump(ns, NS_DIAG, &req.h, diag_msg, &ctx);
}

static int collect_listeners(struct sg_netstate *ns)
{
	static const int families[] = { AF_INET, AF_INET6 };
	int err = 0, try, i;

	for (try = 0; try < NS_DUMP_TRIES; try++) {
		memset(ns->new_lp, 0, sizeof(ns->new_lp));
		ns->st.listeners = ns->st.mptcp_ulp = ns->st.mptcp_diag = 0;
		ns->st.has_mptcp_diag = 0;
		for (i = 0; i < 2; i++) {
			err = diag_dump(ns, families[i], 0);
			if (err)
				break;
		}
		if (err < 0) {
			pr_warn("synguard: couldn't dump the TCP listeners "
				"(sock_diag): %s%s%s\n",
				strerror(-err), ns->errmsg,
				err == -ENOENT ? " (no tcp_diag in this "
						 "kernel?)" :
						 "");
			return err;
		}
		if (err)
			continue;
		/* After the TCP dumps: a listener made in between is then
		 * in this one, with both bits. */
		if (ns->mptcp_wait > 0) {
			ns->mptcp_wait--;
			break;
		}
		for (i = 0; i < 2; i++) {
			err = diag_dump(ns, families[i], 1);
			if (err)
				break;
		}
		if (!err) {
			ns->st.has_mptcp_diag = 1;
			ns->mptcp_told = 0;
			break;
		}
		if (err > 0)
			continue;
		if (err != -ENOENT && err != -EINVAL && err != -EOPNOTSUPP &&
		    err != -EPROTONOSUPPORT) {
			pr_warn("synguard: couldn't dump the MPTCP listeners "
				"(sock_diag): %s%s\n",
				strerror(-err), ns->errmsg);
			return err;
		}
		/* No mptcp_diag: the ULP names must do. */
		if (!ns->mptcp_told)
			pr_info("synguard: no MPTCP socket diagnostics (%s): "
				"MPTCP listeners are known by their TCP "
				"subflow only\n",
				strerror(-err));
		ns->mptcp_told = 1;
		ns->mptcp_wait = NS_MPTCP_RETRY;
		ns->st.mptcp_diag = 0;
		err = 0;
		break;
	}
	if (err > 0) {
		pr_warn("synguard: couldn't dump the TCP listeners: "
			"inconsistent dumps\n");
		return -EAGAIN;
	}
	return 0;
}

/* ---- the maps ---- */

static int map_check(int fd, const char *name, __u32 type, __u32 ksz, __u32 vsz,
		     __u32 min_entries, __u32 *id, size_t *max)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		int err = -errno;

		pr_warn("synguard: couldn't read the map info of %s: %s\n",
			name, strerror(-err));
		return err;
	}
	if (info.type != type || info.key_size != ksz ||
	    info.value_size != vsz || info.max_entries < min_entries) {
		pr_warn("synguard: %s is not the map it should be (type %u, "
			"key %u, value %u bytes, %u entries)\n",
			name, info.type, info.key_size, info.value_size,
			info.max_entries);
		return -EINVAL;
	}
	*id = info.id;
	if (max)
		*max = info.max_entries;
	return 0;
}

static int read_keys(int fd, const char *name, struct ns_set *s, size_t max)
{
	unsigned char key[sizeof(struct sg_in6)], next[sizeof(key)];
	size_t seen = 0;
	int err;

	s->n = 0;
	for (err = bpf_map_get_next_key(fd, NULL, next); !err;
	     err = bpf_map_get_next_key(fd, key, next)) {
		/* A hash map walk can restart when entries go under it. */
		if (++seen > 2 * max + 16) {
			err = -EAGAIN;
			goto fail;
		}
		err = set_push(s, next);
		if (err)
			goto fail;
		memcpy(key, next, s->esz);
	}
	if (err != -ENOENT)
		goto fail;
	set_finish(s, SIZE_MAX);
	return 0;
fail:
	pr_warn("synguard: couldn't read the keys of %s: %s\n", name,
		strerror(-err));
	return err;
}

static int read_maps(struct sg_netstate *ns, int fd4, int fd6, int fdlp,
		     size_t max4, size_t max6)
{
	__u32 i;
	int err;

	err = read_keys(fd4, SG_MAP_LOCAL4, &ns->cur4, max4);
	if (!err)
		err = read_keys(fd6, SG_MAP_LOCAL6, &ns->cur6, max6);
	if (err)
		return err;
	for (i = 0; i < SG_PORT_WORDS; i++) {
		if (bpf_map_lookup_elem(fdlp, &i, &ns->cur_lp[i])) {
			err = -errno;
			pr_warn("synguard: couldn't read %s[%u]: %s\n",
				SG_MAP_LPORTS, i, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int set_del(int fd, const char *name, const void *e, size_t esz,
		   struct sg_netstate *ns)
{
	char buf[INET6_ADDRSTRLEN];

	if (bpf_map_delete_elem(fd, e)) {
		int err = -errno;

		if (err == -ENOENT) /* gone already */
			return 0;
		pr_warn("synguard: couldn't delete %s from %s: %s\n",
			addr_str(e, esz, buf, sizeof(buf)), name,
			strerror(-err));
		return err;
	}
	ns->st.removed++;
	pr_debug("synguard: %s: - %s\n", name,
		 addr_str(e, esz, buf, sizeof(buf)));
	return 0;
}

static int set_add(int fd, const char *name, const void *e, size_t esz,
		   struct sg_netstate *ns)
{
	char buf[INET6_ADDRSTRLEN];
	__u32 one = 1;

	if (bpf_map_update_elem(fd, e, &one, BPF_ANY)) {
		int err = -errno;

		pr_warn("synguard: couldn't add %s to %s: %s\n",
			addr_str(e, esz, buf, sizeof(buf)), name,
			strerror(-err));
		return err;
	}
	ns->st.added++;
	pr_debug("synguard: %s: + %s\n", name,
		 addr_str(e, esz, buf, sizeof(buf)));
	return 0;
}

/*
 * Make the map @fd, holding @cur, hold @want: deletions first (room in a
 * full map; a missing address only sends SYNs to the kernel), then
 * additions. Both sets sorted the same way.
 */
static int apply_set(struct sg_netstate *ns, int fd, const char *name,
		     const struct ns_set *cur, const struct ns_set *want)
{
	size_t i, j, esz = cur->esz;
	int pass, c, err;

	for (pass = 0; pass < 2; pass++) {
		i = j = 0;
		while (i < cur->n || j < want->n) {
			const void *a = cur->v + i * esz;
			const void *b = want->v + j * esz;

			if (i == cur->n)
				c = 1;
			else if (j == want->n)
				c = -1;
			else
				c = memcmp(a, b, esz);
			err = 0;
			if (c < 0) { /* only in the map */
				if (pass == 0)
					err = set_del(fd, name, a, esz, ns);
				i++;
			} else if (c > 0) { /* only in the namespace */
				if (pass == 1)
					err = set_add(fd, name, b, esz, ns);
				j++;
			} else {
				i++;
				j++;
			}
			if (err)
				return err;
		}
	}
	return 0;
}

static int lport_write(struct sg_netstate *ns, int fd, __u32 i,
		       const struct sg_lport *v)
{
	if (bpf_map_update_elem(fd, &i, v, BPF_ANY)) {
		int err = -errno;

		pr_warn("synguard: couldn't write %s[%u]: %s\n", SG_MAP_LPORTS,
			i, strerror(-err));
		return err;
	}
	ns->st.lport_writes++;
	return 0;
}

static int apply_lports(struct sg_netstate *ns, int fd)
{
	__u32 i;
	int err;

	for (i = 0; i < SG_PORT_WORDS; i++) {
		const struct sg_lport *o = &ns->cur_lp[i], *n = &ns->new_lp[i];

		if (o->listen == n->listen && o->mptcp == n->mptcp)
			continue;
		/*
		 * A port that becomes an MPTCP listener's gets its mptcp bit
		 * before its listen bit: the XDP program, reading the word
		 * while it is written, must never see it listen but not
		 * MPTCP.
		 */
		if (n->mptcp & ~o->mptcp & n->listen & ~o->listen) {
			struct sg_lport mid = { .listen = o->listen,
						.mptcp = o->mptcp | n->mptcp };

			err = lport_write(ns, fd, i, &mid);
			if (err)
				return err;
		}
		err = lport_write(ns, fd, i, n);
		if (err)
			return err;
		pr_debug("synguard: %s[%u]: listen %08x mptcp %08x\n",
			 SG_MAP_LPORTS, i, n->listen, n->mptcp);
	}
	return 0;
}

static void swap_sets(struct ns_set *a, struct ns_set *b)
{
	struct ns_set t = *a;

	*a = *b;
	*b = t;
}

int sg_netstate_sync(struct sg_netstate *ns, int local4_fd, int local6_fd,
		     int lports_fd, struct sg_netstate_stats *st)
{
	size_t max4 = 0, max6 = 0;
	__u32 ids[3], i;
	int err;

	memset(&ns->st, 0, sizeof(ns->st));
	err = map_check(local4_fd, SG_MAP_LOCAL4, BPF_MAP_TYPE_HASH,
			sizeof(__u32), sizeof(__u32), 1, &ids[0], &max4);
	if (!err)
		err = map_check(local6_fd, SG_MAP_LOCAL6, BPF_MAP_TYPE_HASH,
				sizeof(struct sg_in6), sizeof(__u32), 1,
				&ids[1], &max6);
	if (!err)
		err = map_check(lports_fd, SG_MAP_LPORTS, BPF_MAP_TYPE_ARRAY,
				sizeof(__u32), sizeof(struct sg_lport),
				SG_PORT_WORDS, &ids[2], NULL);
	if (err)
		goto out;
	if (memcmp(ids, ns->ids, sizeof(ids)))
		ns->synced = 0;

	err = collect_addrs(ns, max4, max6);
	if (!err)
		err = collect_listeners(ns);
	if (err)
		goto out;

	if (!ns->synced) {
		err = read_maps(ns, local4_fd, local6_fd, lports_fd, max4,
				max6);
		if (err)
			goto out;
		memcpy(ns->ids, ids, sizeof(ids));
		ns->st.full = 1;
	}
	/* Part-way writes leave the view unknown: read the maps next time. */
	ns->synced = 0;
	err = apply_set(ns, local4_fd, SG_MAP_LOCAL4, &ns->cur4, &ns->new4);
	if (!err)
		err = apply_set(ns, local6_fd, SG_MAP_LOCAL6, &ns->cur6,
				&ns->new6);
	if (!err)
		err = apply_lports(ns, lports_fd);
	if (err)
		goto out;
	swap_sets(&ns->cur4, &ns->new4);
	swap_sets(&ns->cur6, &ns->new6);
	memcpy(ns->cur_lp, ns->new_lp, sizeof(ns->cur_lp));
	ns->synced = 1;
out:
	ns->st.addrs4 = (__u32)(ns->synced ? ns->cur4.n : ns->new4.n);
	ns->st.addrs6 = (__u32)(ns->synced ? ns->cur6.n : ns->new6.n);
	for (i = 0; i < SG_PORT_WORDS; i++) {
		ns->st.ports += __builtin_popcount(ns->new_lp[i].listen);
		ns->st.mptcp_ports += __builtin_popcount(ns->new_lp[i].mptcp);
	}
	if (st)
		*st = ns->st;
	return err;
}

struct sg_netstate *sg_netstate_open(void)
{
	struct sg_netstate *ns;
	int i, err;

	ns = calloc(1, sizeof(*ns));
	if (!ns)
		goto nomem;
	ns->buf = malloc(NS_BUF_LEN);
	if (!ns->buf) {
		free(ns);
		goto nomem;
	}
	set_init(&ns->cur4, sizeof(__u32));
	set_init(&ns->new4, sizeof(__u32));
	set_init(&ns->cur6, sizeof(struct sg_in6));
	set_init(&ns->new6, sizeof(struct sg_in6));
	for (i = 0; i < NS_SOCKS; i++)
		ns->fd[i] = -1;
	for (i = 0; i < NS_SOCKS; i++) {
		ns->fd[i] = nl_open(i);
		if (ns->fd[i] < 0) {
			err = ns->fd[i];
			ns->fd[i] = -1;
			sg_netstate_close(ns);
			errno = -err;
			return NULL;
		}
	}
	return ns;
nomem:
	pr_warn("synguard: out of memory\n");
	errno = ENOMEM;
	return NULL;
}

void sg_netstate_close(struct sg_netstate *ns)
{
	int i;

	if (!ns)
		return;
	for (i = 0; i < NS_SOCKS; i++)
		nl_reset(ns, i);
	set_free(&ns->cur4);
	set_free(&ns->new4);
	set_free(&ns->cur6);
	set_free(&ns->new6);
	free(ns->buf);
	free(ns);
}
