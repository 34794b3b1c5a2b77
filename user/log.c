// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Logging and the libbpf/libxdp print callbacks, installed once.
 */
#include <stdarg.h>
#include <stdio.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

enum sg_log_level sg_log_level = SG_LOG_INFO;
int sg_log_libbpf_muted;

void sg_log(enum sg_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > sg_log_level)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int sg_libbpf_print(enum libbpf_print_level level, const char *fmt,
			   va_list ap)
{
	if (level == LIBBPF_DEBUG && sg_log_level < SG_LOG_LIBBPF)
		return 0;
	if ((level == LIBBPF_INFO || sg_log_libbpf_muted) &&
	    sg_log_level < SG_LOG_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int sg_libxdp_print(enum libxdp_print_level level, const char *fmt,
			   va_list ap)
{
	if (level == LIBXDP_DEBUG && sg_log_level < SG_LOG_LIBBPF)
		return 0;
	if ((level == LIBXDP_INFO || sg_log_libbpf_muted) &&
	    sg_log_level < SG_LOG_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void sg_log_init(enum sg_log_level level)
{
	sg_log_level = level;
	libbpf_set_print(sg_libbpf_print);
	libxdp_set_print(sg_libxdp_print);
}
