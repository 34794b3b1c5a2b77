// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer harness: sg_metrics_parse_addr() (user/metrics.c), the parser
 * of --metrics and "metrics =".
 *
 * Invariants:
 *  - 1 exactly for "off";
 *  - on success, a strict reference model agrees: "A.B.C.D:PORT" (one
 *    colon, inet_pton AF_INET) or "[V6]:PORT" (inet_pton AF_INET6), PORT a
 *    plain decimal 1-65535; the sockaddr has that family, address and
 *    port, and *len its size;
 *  - the address printed back (inet_ntop, "[v6]:port") parses to the
 *    same sockaddr;
 *  - on failure: -EINVAL and a one-line message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz_common.h"
#include "metrics.h"

/* The strict model: 0 and the sockaddr, or -1. */
static int ref_parse(const char *s, struct sockaddr_storage *ss)
{
	char host[128];
	const char *port_s;
	uint64_t port;
	int ovf;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(rb - s - 1), s + 1);
		port_s = rb + 2;
	} else {
		const char *colon = strchr(s, ':');

		if (!colon || strchr(colon + 1, ':') ||
		    (size_t)(colon - s) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
		port_s = colon + 1;
	}
	if (!fuzz_ref_decimal(port_s, strlen(port_s), &port, &ovf) || ovf ||
	    port < 1 || port > 65535)
		return -1;
	if (s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
	}
}

static int same(const struct sockaddr_storage *a, size_t alen,
		const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a,
					 *y = (const void *)b;

		return alen == sizeof(*x) && x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	} else {
		const struct sockaddr_in6 *x = (const void *)a,
					  *y = (const void *)b;

		return alen == sizeof(*x) && x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, 16) &&
		       !x->sin6_flowinfo && !x->sin6_scope_id;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage sa, sa2, ref;
	char err[512], err2[512], host[INET6_ADDRSTRLEN], back[128];
	size_t len = 0, len2 = 0;
	char *s = fuzz_cstr(data, size);
	int rc, rc2, want, skip;

	memset(err, 0, sizeof(err));
	memset(&sa, 0, sizeof(sa));
	rc = sg_metrics_parse_addr(s, &sa, &len, err, sizeof(err));
	FUZZ_ASSERT((rc == 1) == !strcmp(s, "off"), "rc %d", rc);
	if (rc == 1) {
		free(s);
		return 0;
	}
	want = ref_parse(s, &ref);
	skip = fuzz_skip_model(s);
	FUZZ_ASSERT(skip || (rc == 0) == (want == 0),
		    "sg_metrics_parse_addr returned %d (%s), the strict model "
		    "says %s",
		    rc, rc ? err : "ok", want ? "reject" : "accept");
	if (rc) {
		FUZZ_ASSERT(rc == -EINVAL, "rc %d", rc);
		FUZZ_ASSERT(fuzz_msg_ok(err, sizeof(err)), "no message");
		free(s);
		return 0;
	}
	FUZZ_ASSERT(skip || same(&sa, len, &ref),
		    "sockaddr differs from the model");

	if (sa.ss_family == AF_INET) {
		struct sockaddr_in *a = (void *)&sa;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(back, sizeof(back), "%s:%u", host, ntohs(a->sin_port));
	} else {
		struct sockaddr_in6 *a = (void *)&sa;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(back, sizeof(back), "[%s]:%u", host,
			 ntohs(a->sin6_port));
	}
	rc2 = sg_metrics_parse_addr(back, &sa2, &len2, err2, sizeof(err2));
	FUZZ_ASSERT(!rc2 && len2 == len && same(&sa2, len2, &sa),
		    "'%s' does not parse back", back);
	free(s);
	return 0;
}
