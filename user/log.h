/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Logging to stderr, journald-friendly (no timestamps of our own: the
 * journal adds them). pr_err and pr_warn always print, pr_info unless
 * quiet, pr_debug with -v; -vv also lets libbpf/libxdp (and the verifier
 * log) through. When stderr is the journal ($JOURNAL_STREAM names its
 * device and inode, as systemd sets it for StandardError=journal), every
 * line starts with its syslog priority: <3> error, <4> warning, <6> info,
 * <7> debug; anywhere else the lines are plain.
 */
#ifndef SG_LOG_H
#define SG_LOG_H

enum sg_log_level {
	SG_LOG_ERR, /* the daemon cannot go on, or a part of it stopped */
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
/* 1 when lines carry <N> priority prefixes (stderr is the journal). */
int sg_log_journal(void);
__attribute__((format(printf, 2, 3))) void sg_log(enum sg_log_level level,
						  const char *fmt, ...);

#define pr_err(...) sg_log(SG_LOG_ERR, __VA_ARGS__)
#define pr_warn(...) sg_log(SG_LOG_WARN, __VA_ARGS__)
#define pr_info(...) sg_log(SG_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) sg_log(SG_LOG_DEBUG, __VA_ARGS__)

#endif /* SG_LOG_H */
