// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Port lists (user/util.c): sg_ports_format() writes a bitmap the way
 * sg_parse_ports() reads it, so that what `run` logs and `status` prints
 * can be pasted back into --ports; a list too long for its buffer ends in
 * ",..." after its last whole entry, and the count is always the whole
 * bitmap's.
 */
#include <stdlib.h>
#include <string.h>

#include "../../user/util.c"
#include "sg_test.h"

static __u32 bm[SG_PORT_WORDS], back[SG_PORT_WORDS];

static int parse(const char *s, __u32 *out)
{
	char err[128];

	memset(out, 0, sizeof(bm));
	return sg_parse_ports(s, out, err, sizeof(err));
}

static void roundtrip(const char *name, const char *in, const char *want,
		      unsigned int nwant)
{
	char buf[256];
	unsigned int n;

	parse(in, bm);
	n = sg_ports_format(bm, buf, sizeof(buf));
	SG_CHECK(name, n == nwant && !strcmp(buf, want),
		 "'%s' -> '%s' (%u ports), want '%s' (%u)", in, buf, n, want,
		 nwant);
}

int main(void)
{
	static char big[65536 * 7]; /* every port as a single: < 7 bytes each */
	char buf[64];
	unsigned int n, i, p, bad = 0;
	char *cut;

	roundtrip("format: ports and a range, merged and sorted",
		  "8010,80,8000-8009,443", "80,443,8000-8010", 13);
	roundtrip("format: the edges 1 and 65535", "65535,1", "1,65535", 2);
	roundtrip("format: every port", "1-65535", "1-65535", 65535);
	roundtrip("format: adjacent single ports become a range", "5,6,7,9",
		  "5-7,9", 4);

	memset(bm, 0, sizeof(bm));
	n = sg_ports_format(bm, buf, sizeof(buf));
	SG_CHECK("format: no port is an empty string", n == 0 && !buf[0],
		 "'%s' (%u)", buf, n);

	/* Random sets: what is formatted parses back to the same bitmap. */
	srand(12345);
	for (i = 0; i < 200 && !bad; i++) {
		memset(bm, 0, sizeof(bm));
		for (p = 1 + rand() % 97; p < 65536; p += 1 + rand() % 4000)
			bm[p >> 5] |= 1u << (p & 31);
		sg_ports_format(bm, big, sizeof(big));
		if (parse(big, back) < 0 || memcmp(bm, back, sizeof(bm)))
			bad = 1;
	}
	SG_CHECK("format: 200 random sets parse back unchanged", !bad,
		 "set %u: '%.80s...'", i, big);

	/* Every odd port: far too long for 64 bytes. */
	memset(bm, 0, sizeof(bm));
	for (p = 1; p < 65536; p += 2)
		bm[p >> 5] |= 1u << (p & 31);
	n = sg_ports_format(bm, buf, sizeof(buf));
	cut = strstr(buf, ",...");
	bad = !cut || cut[4];
	if (!bad) {
		int got;

		*cut = '\0'; /* what is before the marker: whole ports */
		got = parse(buf, back);
		bad = got < 10;
		for (i = 0; i < SG_PORT_WORDS && !bad; i++)
			bad = !!(back[i] & ~bm[i]);
		*cut = ',';
	}
	SG_CHECK(
		"format: a long list is cut after a whole entry and ends in ',...'; the count is of all",
		n == 32768 && !bad, "'%s' (%u ports)", buf, n);
	return sg_test_exit();
}
