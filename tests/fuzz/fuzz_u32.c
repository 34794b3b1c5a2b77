// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer harness: sg_parse_u32() (user/util.c), the number parser behind
 * every numeric option and the CIDR prefix length.
 *
 * Input: byte 0 picks the [min, max] range (one of the ranges the callers
 * use, or, with bit 7 set and 8 more bytes, an arbitrary one); the rest is
 * the string. Invariants, against a strict reference model (one or more
 * ASCII digits, nothing else, value within [min, max]):
 *  - accepted exactly when the model accepts, with the model's value;
 *  - the value round-trips through "%u";
 *  - *out untouched on failure; failures are -EINVAL or -ERANGE.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_common.h"
#include "util.h"

static const struct {
	__u32 min, max;
} ranges[] = {
	{ 1, 65535 },	   { 536, 65495 }, { 1220, 65475 },   { 0, 14 },
	{ 1, 255 },	   { 1, 86400 },   { 0, 100000000 },  { 1, 100000000 },
	{ 1, 32 },	   { 1, 128 },	   { 0, 32 },	      { 0, 128 },
	{ 1, UINT32_MAX }, { 1, 65536 },   { 0, UINT32_MAX },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	__u32 min, max, out = 0xdeadbeef, again = 0;
	uint64_t v;
	int ovf, digits, want_ok, skip, rc;
	char *s, buf[16];

	if (size < 1)
		return 0;
	if ((data[0] & 0x80) && size >= 9) {
		memcpy(&min, data + 1, 4);
		memcpy(&max, data + 5, 4);
		data += 9;
		size -= 9;
	} else {
		min = ranges[data[0] % (sizeof(ranges) / sizeof(ranges[0]))]
			      .min;
		max = ranges[data[0] % (sizeof(ranges) / sizeof(ranges[0]))]
			      .max;
		data++;
		size--;
	}
	s = fuzz_cstr(data, size);

	rc = sg_parse_u32(s, min, max, &out);
	digits = fuzz_ref_decimal(s, strlen(s), &v, &ovf);
	want_ok = digits && !ovf && v >= min && v <= max;
	skip = fuzz_skip_model(s);

	FUZZ_ASSERT(rc == 0 || rc == -EINVAL || rc == -ERANGE, "rc %d", rc);
	FUZZ_ASSERT(skip || (rc == 0) == want_ok,
		    "sg_parse_u32 returned %d for [%u, %u], the strict model "
		    "says %s",
		    rc, min, max, want_ok ? "accept" : "reject");
	if (rc) {
		FUZZ_ASSERT(out == 0xdeadbeef, "*out written on failure");
	} else {
		FUZZ_ASSERT(out >= min && out <= max, "%u outside [%u, %u]",
			    out, min, max);
		FUZZ_ASSERT(skip || out == v, "value %u, model %llu", out,
			    (unsigned long long)v);
		snprintf(buf, sizeof(buf), "%u", out);
		FUZZ_ASSERT(!sg_parse_u32(buf, min, max, &again) &&
				    again == out,
			    "'%s' does not parse back", buf);
	}
	/* NULL and the empty string are refused. */
	FUZZ_ASSERT(sg_parse_u32(NULL, 0, 1, &again) == -EINVAL, "NULL");
	free(s);
	return 0;
}
