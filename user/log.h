/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Logging to stderr, journald-friendly (no timestamps of our own: the
 * journal adds them). pr_warn always prints, pr_info unless quiet, pr_debug
 * with -v; -vv also lets libbpf/libxdp (and the verifier log) through.
 */
#ifndef SG_LOG_H
#define SG_LOG_H

enum sg_log_level {
	SG_LOG_WARN,
	SG_LOG_INFO,
	SG_LOG_DEBUG,
	SG_LOG_LIBBPF, /* -vv: library debug output as well */
};

extern enum sg_log_level sg_log_level;
/*
 * Set while libxdp probes for its dispatcher: the failures it expects and
 * recovers from (e.g. freplace refused) would read like errors. Shown
 * with -v.
 */
extern int sg_log_libbpf_muted;

/*
 * Mute library warnings (on = 1) and start keeping them, or stop muting;
 * what was kept stays readable with sg_log_captured() until the next mute.
 */
void sg_log_mute(int on);
/*
 * The kept library output from the line holding @needle on (NULL when no
 * line holds it), or all of it when @needle is NULL.
 */
const char *sg_log_captured(const char *needle);

void sg_log_init(enum sg_log_level level);
__attribute__((format(printf, 2, 3))) void sg_log(enum sg_log_level level,
						  const char *fmt, ...);

#define pr_warn(...) sg_log(SG_LOG_WARN, __VA_ARGS__)
#define pr_info(...) sg_log(SG_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) sg_log(SG_LOG_DEBUG, __VA_ARGS__)

#endif /* SG_LOG_H */
