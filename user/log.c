// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Logging and the libbpf/libxdp print callbacks, installed once. Every
 * message goes to stderr in one write(2): messages from two threads or two
 * processes sharing stderr (the daemon and its HTTP process) never
 * interleave within a line, and no stdio lock is taken.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

enum sg_log_level sg_log_level = SG_LOG_INFO;
int sg_log_libbpf_muted;

/* stderr is the journal: each line gets its <N> syslog priority. */
static int journal;
/* The last message did not end its line: the next one continues it. */
static _Thread_local int mid_line; /* per thread: the metrics thread logs too */

static const char journal_prio[] = {
	[SG_LOG_ERR] = '3',   [SG_LOG_WARN] = '4',   [SG_LOG_INFO] = '6',
	[SG_LOG_DEBUG] = '7', [SG_LOG_LIBBPF] = '7',
};

static void write_all(const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(STDERR_FILENO, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= n;
	}
}

/* @text as it is, or with "<N>" before every line when journal is set. */
static void emit(enum sg_log_level level, const char *text, size_t len)
{
	char stack[2048], *out = stack;
	size_t i, lines = 1, o = 0;

	if (!len)
		return;
	if (!journal) {
		write_all(text, len);
		return;
	}
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (len + 3 * lines > sizeof(stack)) {
		out = malloc(len + 3 * lines);
		if (!out) {
			write_all(text, len);
			return;
		}
	}
	for (i = 0; i < len; i++) {
		if (!mid_line) {
			out[o++] = '<';
			out[o++] = journal_prio[level];
			out[o++] = '>';
		}
		out[o++] = text[i];
		mid_line = text[i] != '\n';
	}
	write_all(out, o);
	if (out != stack)
		free(out);
}

static int vlog(enum sg_log_level level, const char *fmt, va_list ap)
{
	char buf[1024], *big;
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(buf, sizeof(buf), fmt, cp);
	va_end(cp);
	if (n < 0)
		return n;
	if ((size_t)n < sizeof(buf)) {
		emit(level, buf, n);
		return n;
	}
	/* Long: the verifier log comes through here in one piece. */
	big = malloc((size_t)n + 1);
	if (!big) {
		emit(level, buf, sizeof(buf) - 1);
		return n;
	}
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	emit(level, big, n);
	free(big);
	return n;
}

int sg_log_journal(void)
{
	return journal;
}

/* Library output kept while muted, for sg_log_captured(). */
static char captured[8192];
static size_t captured_len;

void sg_log(enum sg_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > sg_log_level)
		return;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
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
	return vlog(debug ? SG_LOG_DEBUG :
		    info  ? SG_LOG_INFO :
			    SG_LOG_WARN,
		    fmt, ap);
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

/* systemd sets $JOURNAL_STREAM to "DEV:INO" of the stream it connects to
 * stdout/stderr; it still names stderr unless stderr was redirected. */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (!js || sscanf(js, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st))
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void sg_log_init(enum sg_log_level level)
{
	sg_log_level = level;
	journal = stderr_is_journal();
	libbpf_set_print(sg_libbpf_print);
	libxdp_set_print(sg_libxdp_print);
}
