/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Minimal test reporting shared by the host and BPF test programs. Each
 * test case prints one line, "PASS: name" or "FAIL: name: why"; tests/run.sh
 * counts those lines across all programs and prints the closing
 * "N passed, N failed" line. A program exits 1 if any of its cases failed.
 */
#ifndef SG_TEST_H
#define SG_TEST_H

#include <stdarg.h>
#include <stdio.h>

static int sg_test_passed, sg_test_failed;

__attribute__((format(printf, 2, 3), unused)) static void
sg_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	sg_test_failed++;
}

__attribute__((unused)) static void sg_pass(const char *name)
{
	printf("PASS: %s\n", name);
	fflush(stdout);
	sg_test_passed++;
}

/* Report one case: pass when ok, fail with the message otherwise. */
#define SG_CHECK(name, ok, ...)                     \
	do {                                        \
		if (ok)                             \
			sg_pass(name);              \
		else                                \
			sg_fail(name, __VA_ARGS__); \
	} while (0)

__attribute__((unused)) static int sg_test_exit(void)
{
	printf("# %d passed, %d failed\n", sg_test_passed, sg_test_failed);
	return sg_test_failed ? 1 : 0;
}

#endif /* SG_TEST_H */
