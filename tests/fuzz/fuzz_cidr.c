// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer harness: sg_parse_cidr() and sg_cidr_str() (user/policy.c), the
 * parser of --allow/--deny, "allow ="/"deny =" and `synguard allow|deny`.
 *
 * Invariants:
 *  - on success: family 4 or 6, prefix length within 0-32 / 0-128, no
 *    host bits set, IPv4 addresses in addr[0] only; the prefix part (after
 *    '/') is a strict decimal (reference model); the address part is what
 *    inet_pton() of that family takes;
 *  - sg_cidr_str() fits SG_CIDR_STRLEN and parses back to the same value;
 *    so does the address alone (as a /32 or /128) when the prefix is full;
 *  - with the host bits cleared, a refused-for-host-bits input is accepted
 *    in the form the error message suggests;
 *  - on failure: -EINVAL, a one-line message, *out untouched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_common.h"
#include "policy.h"

static int host_bits_clear(const struct sg_cidr *c)
{
	int w, nw = c->family == 4 ? 1 : 4;

	for (w = 0; w < nw; w++) {
		__u32 bits =
			c->prefixlen > 32u * w ? c->prefixlen - 32u * w : 0;
		__u32 mask = bits >= 32 ? ~0u : bits ? ~0u << (32 - bits) : 0;

		if (ntohl(c->addr[w]) & ~mask)
			return 0;
	}
	return 1;
}

static int same(const struct sg_cidr *a, const struct sg_cidr *b)
{
	return a->family == b->family && a->prefixlen == b->prefixlen &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_cidr c, c2, poison;
	char err[256], err2[256], str[SG_CIDR_STRLEN + 8], *s, *slash;
	char addr[SG_CIDR_STRLEN + 8];
	unsigned char bin[16];
	int rc, rc2;

	s = fuzz_cstr(data, size);
	memset(&poison, 0xa5, sizeof(poison));
	c = poison;
	memset(err, 0, sizeof(err));
	rc = sg_parse_cidr(s, &c, err, sizeof(err));
	if (rc) {
		FUZZ_ASSERT(rc == -EINVAL, "rc %d", rc);
		FUZZ_ASSERT(fuzz_msg_ok(err, sizeof(err)), "no message");
		FUZZ_ASSERT(!memcmp(&c, &poison, sizeof(c)),
			    "*out written on failure");
		/* "host bits set ...; did you mean X?": X must parse. */
		if (!strncmp(err, "host bits set in ", 17) &&
		    strstr(err, "; did you mean ")) {
			const char *fix = strstr(err, "; did you mean "), *f;
			size_t l;

			/* The last one: the quoted input may hold one too. */
			while ((f = strstr(fix + 1, "; did you mean ")))
				fix = f;
			fix += 15;
			l = strlen(fix);
			FUZZ_ASSERT(l && fix[l - 1] == '?', "'%s'", err);
			snprintf(str, sizeof(str), "%.*s", (int)l - 1, fix);
			rc2 = sg_parse_cidr(str, &c2, err2, sizeof(err2));
			FUZZ_ASSERT(!rc2, "suggested '%s' refused: %s", str,
				    err2);
		}
		free(s);
		return 0;
	}

	FUZZ_ASSERT(c.family == 4 || c.family == 6, "family %d", c.family);
	FUZZ_ASSERT(c.prefixlen <= (c.family == 4 ? 32u : 128u), "prefix %u",
		    c.prefixlen);
	FUZZ_ASSERT(c.family == 6 || (!c.addr[1] && !c.addr[2] && !c.addr[3]),
		    "IPv4 with bits beyond addr[0]");
	FUZZ_ASSERT(host_bits_clear(&c), "host bits set in an accepted CIDR");

	/* Reference: address part by inet_pton, prefix part strict. */
	snprintf(addr, sizeof(addr), "%s", s);
	slash = strchr(addr, '/');
	if (slash && fuzz_skip_model(slash)) {
		*slash = '\0';
	} else if (slash) {
		uint64_t v;
		int ovf;

		*slash = '\0';
		FUZZ_ASSERT(fuzz_ref_decimal(slash + 1, strlen(slash + 1), &v,
					     &ovf) &&
				    !ovf && v == c.prefixlen,
			    "prefix length '%s' is not a plain decimal %u",
			    slash + 1, c.prefixlen);
	} else {
		FUZZ_ASSERT(c.prefixlen == (c.family == 4 ? 32u : 128u),
			    "no '/', prefix %u", c.prefixlen);
	}
	FUZZ_ASSERT(inet_pton(c.family == 4 ? AF_INET : AF_INET6, addr, bin) ==
				    1 &&
			    !memcmp(bin, c.addr, c.family == 4 ? 4 : 16),
		    "address part disagrees with inet_pton");

	/* Round trip through the printed form. */
	memset(str, 'X', sizeof(str));
	sg_cidr_str(&c, str, SG_CIDR_STRLEN);
	FUZZ_ASSERT(memchr(str, '\0', SG_CIDR_STRLEN), "unterminated");
	FUZZ_ASSERT(strlen(str) + 1 < SG_CIDR_STRLEN, "'%s' may be truncated",
		    str);
	rc2 = sg_parse_cidr(str, &c2, err2, sizeof(err2));
	FUZZ_ASSERT(!rc2 && same(&c, &c2), "'%s' does not parse back: %s", str,
		    rc2 ? err2 : "different value");
	FUZZ_ASSERT(!sg_cidr_cmp(&c, &c2), "cmp of equal values");
	if (c.prefixlen == (c.family == 4 ? 32u : 128u)) {
		*strchr(str, '/') = '\0';
		rc2 = sg_parse_cidr(str, &c2, err2, sizeof(err2));
		FUZZ_ASSERT(!rc2 && same(&c, &c2), "bare '%s'", str);
	}
	free(s);
	return 0;
}
