// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Logging and the libbpf/libxdp print callbacks, installed once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

enum sg_log_level sg_log_level = SG_LOG_INFO;
int sg_log_libbpf_muted;

/* Library output kept while muted, for sg_log_captured(). */
static char captured[8192];
static size_t captured_len;

void sg_log(enum sg_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > sg_log_level)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* Keep a muted warning (the newest win when the buffer is full). */
static void capture(const char *fmt, va_list ap)
{
	char line[1024];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	size_t len = n < 0		       ? 0 :
		     (size_t)n >= sizeof(line) ? sizeof(line) - 1 :
						 (size_t)n;

	if (!len)
		return;
	if (captured_len + len >= sizeof(captured)) {
		size_t drop = captured_len + len + 1 - sizeof(captured);

		drop = drop > captured_len ? captured_len : drop;
		memmove(captured, captured + drop, captured_len - drop);
		captured_len -= drop;
	}
	memcpy(captured + captured_len, line, len);
	captured_len += len;
	captured[captured_len] = '\0';
}

/* One policy for both libraries: debug with -vv, info with -v, warnings
 * always unless muted (then kept for sg_log_captured() and shown with -v). */
static int lib_print(int debug, int info, const char *fmt, va_list ap)
{
	va_list cp;

	if (debug && sg_log_level < SG_LOG_LIBBPF)
		return 0;
	if (!debug && !info && sg_log_libbpf_muted) {
		va_copy(cp, ap);
		capture(fmt, cp);
		va_end(cp);
	}
	if ((info || sg_log_libbpf_muted) && sg_log_level < SG_LOG_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int sg_libbpf_print(enum libbpf_print_level level, const char *fmt,
			   va_list ap)
{
	return lib_print(level == LIBBPF_DEBUG, level == LIBBPF_INFO, fmt, ap);
}

static int sg_libxdp_print(enum libxdp_print_level level, const char *fmt,
			   va_list ap)
{
	return lib_print(level == LIBXDP_DEBUG, level == LIBXDP_INFO, fmt, ap);
}

void sg_log_mute(int on)
{
	sg_log_libbpf_muted = on;
	if (on) {
		captured_len = 0;
		captured[0] = '\0';
	}
}

const char *sg_log_captured(const char *needle)
{
	const char *p = needle ? strstr(captured, needle) : NULL;

	if (!needle)
		return captured;
	if (!p)
		return NULL;
	while (p > captured && p[-1] != '\n')
		p--;
	return p;
}

void sg_log_init(enum sg_log_level level)
{
	sg_log_level = level;
	libbpf_set_print(sg_libbpf_print);
	libxdp_set_print(sg_libxdp_print);
}
