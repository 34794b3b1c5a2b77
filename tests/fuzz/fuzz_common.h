/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Shared helpers of the libFuzzer harnesses in tests/fuzz/ (built with
 * clang -fsanitize=fuzzer,address,undefined; see test_fuzz_parsers.sh).
 *
 * A harness turns the fuzz input into what the code under test takes (a
 * NUL-terminated string in a buffer of exactly that size, so that ASan
 * sees any read past it; a file; a TCP stream), calls it and checks
 * semantic invariants. A broken invariant is reported with FUZZ_ASSERT,
 * which prints the input and aborts: libFuzzer then saves it as a crash
 * file like any sanitizer report.
 */
#ifndef SG_FUZZ_COMMON_H
#define SG_FUZZ_COMMON_H

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t *fuzz_cur_data;
static size_t fuzz_cur_size;

/* Print the current input (escaped, bounded) to stderr. */
__attribute__((unused)) static void fuzz_dump_input(void)
{
	size_t i, n = fuzz_cur_size < 512 ? fuzz_cur_size : 512;

	fprintf(stderr, "input (%zu bytes): \"", fuzz_cur_size);
	for (i = 0; i < n; i++) {
		uint8_t c = fuzz_cur_data[i];

		if (c == '"' || c == '\\')
			fprintf(stderr, "\\%c", c);
		else if (isprint(c))
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fprintf(stderr, "\"%s\n", n < fuzz_cur_size ? "..." : "");
}

#define FUZZ_ASSERT(cond, ...)                                               \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr,                                      \
				"\nINVARIANT BROKEN: %s:%d: %s: ", __FILE__, \
				__LINE__, #cond);                            \
			fprintf(stderr, __VA_ARGS__);                        \
			fprintf(stderr, "\n");                               \
			fuzz_dump_input();                                   \
			abort();                                             \
		}                                                            \
	} while (0)

/*
 * The input as a C string: a malloc'ed copy of exactly size + 1 bytes,
 * NUL-terminated (an embedded NUL ends the string early, as it would in
 * argv or a config value). Free it with free().
 */
__attribute__((unused)) static char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_cur_data = data;
	fuzz_cur_size = size;
	return s;
}

/* An error message must be a non-empty C string within its buffer. */
__attribute__((unused)) static int fuzz_msg_ok(const char *err, size_t len)
{
	return memchr(err, '\0', len) != NULL && err[0] != '\0';
}

/*
 * Reference model of a strict decimal number: one or more ASCII digits and
 * nothing else (leading zeros allowed, as strtoull takes them). Returns 1
 * with the value in *v (saturated at UINT64_MAX, *ovf set on overflow), 0
 * when @s is not such a number.
 */
__attribute__((unused)) static int fuzz_ref_decimal(const char *s, size_t len,
						    uint64_t *v, int *ovf)
{
	size_t i;

	*v = 0;
	*ovf = 0;
	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return 0;
		d = (unsigned)(s[i] - '0');
		if (*v > (UINT64_MAX - d) / 10) {
			*ovf = 1;
			*v = UINT64_MAX;
		} else if (!*ovf) {
			*v = *v * 10 + d;
		}
	}
	return 1;
}

/*
 * SG_FUZZ_ALLOW_SPACE=1 in the environment: do not compare inputs holding
 * whitespace against the strict models. sg_parse_u32() and the metrics
 * port rely on strtoull/strtoul, which skip leading whitespace ("\t80",
 * "127.0.0.1: 80" are accepted); this switch lets the rest of the fuzzing
 * go on while that is open. Every other invariant is still checked.
 */
__attribute__((unused)) static int fuzz_skip_model(const char *s)
{
	static int allow = -1;

	if (allow < 0) {
		const char *e = getenv("SG_FUZZ_ALLOW_SPACE");

		allow = e && !strcmp(e, "1");
	}
	if (!allow)
		return 0;
	for (; *s; s++)
		if (isspace((unsigned char)*s))
			return 1;
	return 0;
}

#endif /* SG_FUZZ_COMMON_H */
