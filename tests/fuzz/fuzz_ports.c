// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer harness: sg_parse_ports() (user/util.c), the port list of
 * --ports, "ports =" and `synguard ports add|del`.
 *
 * Invariants:
 *  - accepted exactly when a strict reference model accepts: tokens
 *    separated by single commas, each N or LO-HI, N a decimal of 1-7
 *    digits (parse_port's buffer) in 1-65535, LO <= HI; nothing else;
 *  - on success the bitmap equals the model's, the return value is its
 *    population count, port 0 is never set;
 *  - the bitmap re-formatted as ranges ("1,3-5") parses to the same bitmap
 *    and count; sg_ports_format() writes that form, or (200 bytes) a
 *    whole-entry prefix of it followed by ",...", and counts every port;
 *  - ports already in the bitmap are not counted again;
 *  - on failure: -EINVAL and a message (one line unless the input has a
 *    newline: the message quotes the input).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "fuzz_common.h"
#include "util.h"

#define WORDS SG_PORT_WORDS

static __u32 bm[WORDS], ref[WORDS], again[WORDS];

static int popcount(const __u32 *b)
{
	int i, n = 0;

	for (i = 0; i < WORDS; i++)
		n += __builtin_popcount(b[i]);
	return n;
}

static int ref_port(const char *s, size_t len, __u32 *port)
{
	uint64_t v;
	int ovf;

	if (len == 0 || len > 7 || !fuzz_ref_decimal(s, len, &v, &ovf))
		return -1;
	if (v < 1 || v > 65535)
		return -1;
	*port = (__u32)v;
	return 0;
}

/* The strict grammar; fills ref[]. 0 or -1. */
static int ref_parse(const char *s)
{
	const char *p = s;

	memset(ref, 0, sizeof(ref));
	if (!*s)
		return -1;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *dash = memchr(p, '-', len);
		__u32 lo, hi, i;

		if (dash) {
			if (ref_port(p, dash - p, &lo) ||
			    ref_port(dash + 1, len - (dash - p) - 1, &hi) ||
			    lo > hi)
				return -1;
		} else {
			if (ref_port(p, len, &lo))
				return -1;
			hi = lo;
		}
		for (i = lo; i <= hi; i++)
			ref[i >> 5] |= 1u << (i & 31);
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static void format(const __u32 *b, char *buf, size_t len)
{
	size_t off = 0;
	__u32 p, lo;

	buf[0] = '\0';
	for (p = 1; p < 65536; p++) {
		if (!(b[p >> 5] & (1u << (p & 31))))
			continue;
		lo = p;
		while (p + 1 < 65536 &&
		       (b[(p + 1) >> 5] & (1u << ((p + 1) & 31))))
			p++;
		off += snprintf(buf + off, len - off,
				lo == p ? "%s%u" : "%s%u-%u", off ? "," : "",
				lo, p);
		FUZZ_ASSERT(off < len, "formatted list too long");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char list[400000];
	char err[256], *s = fuzz_cstr(data, size);
	int rc, want, n2, half, skip, i;

	memset(bm, 0, sizeof(bm));
	memset(err, 0, sizeof(err));
	rc = sg_parse_ports(s, bm, err, sizeof(err));
	want = ref_parse(s);

	skip = fuzz_skip_model(s);
	FUZZ_ASSERT(skip || (rc >= 0) == (want == 0),
		    "sg_parse_ports returned %d (%s), the strict model says %s",
		    rc, rc < 0 ? err : "ok", want ? "reject" : "accept");
	if (rc < 0) {
		FUZZ_ASSERT(rc == -EINVAL, "rc %d", rc);
		FUZZ_ASSERT(fuzz_msg_ok(err, sizeof(err)) &&
				    (!strchr(err, '\n') || strchr(s, '\n')),
			    "bad error message");
		free(s);
		return 0;
	}
	FUZZ_ASSERT(rc > 0, "accepted an empty set");
	FUZZ_ASSERT(rc == popcount(bm), "returned %d, bitmap holds %d", rc,
		    popcount(bm));
	FUZZ_ASSERT(!(bm[0] & 1), "port 0 set");
	FUZZ_ASSERT(skip || !memcmp(bm, ref, sizeof(bm)),
		    "bitmap differs from model");

	/* Round trip through the canonical range form. */
	format(bm, list, sizeof(list));
	memset(again, 0, sizeof(again));
	n2 = sg_parse_ports(list, again, err, sizeof(err));
	FUZZ_ASSERT(n2 == rc && !memcmp(bm, again, sizeof(bm)),
		    "canonical form '%.100s' gave %d", list, n2);
	/* sg_ports_format (what run logs and status prints): the same
	 * form, or a whole-entry prefix of it and ",..." when too long. */
	{
		static char out[200];
		size_t k;

		n2 = (int)sg_ports_format(bm, out, sizeof(out));
		k = strlen(out);
		FUZZ_ASSERT(n2 == rc, "sg_ports_format counted %d of %d", n2,
			    rc);
		if (k < 4 || strcmp(out + k - 4, ",..."))
			FUZZ_ASSERT(!strcmp(out, list),
				    "sg_ports_format '%.100s', want '%.100s'",
				    out, list);
		else
			FUZZ_ASSERT(!strncmp(out, list, k - 4) &&
					    list[k - 4] == ',',
				    "cut list '%.100s' is not a whole-entry "
				    "prefix of '%.100s'",
				    out, list);
	}

	/* Parsing into a full bitmap adds nothing; into a half one, the
	 * count is what was missing. */
	n2 = sg_parse_ports(s, again, err, sizeof(err));
	FUZZ_ASSERT(n2 == 0, "re-adding counted %d", n2);
	for (i = 0; i < WORDS; i++)
		again[i] = bm[i] & 0x55555555u;
	half = popcount(again);
	n2 = sg_parse_ports(s, again, err, sizeof(err));
	FUZZ_ASSERT(n2 == rc - half && !memcmp(bm, again, sizeof(bm)),
		    "re-adding to a half-filled bitmap counted %d, want %d", n2,
		    rc - half);
	free(s);
	return 0;
}
