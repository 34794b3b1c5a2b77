/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The service manager's notification protocol (sd_notify), without
 * libsystemd: newline-separated VAR=VALUE assignments in one datagram to
 * the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or '@' for the
 * abstract namespace). Does nothing when $NOTIFY_SOCKET is unset, so the
 * daemon behaves the same under systemd (Type=notify) and anywhere else.
 */
#ifndef SG_NOTIFY_H
#define SG_NOTIFY_H

/*
 * Send @state, e.g. "READY=1\nSTATUS=protecting eth0". 0 when sent or when
 * there is no service manager to tell, -errno otherwise (logged at debug
 * level: a notification that cannot be sent never stops the daemon).
 */
int sg_notify(const char *state);
__attribute__((format(printf, 1, 2))) int sg_notifyf(const char *fmt, ...);

/*
 * The watchdog interval the service manager asks for ($WATCHDOG_USEC,
 * for this process when $WATCHDOG_PID is set), in microseconds; 0: none.
 */
unsigned long long sg_watchdog_usec(void);

/*
 * Call from the main loop: sends "WATCHDOG=1" whenever half the watchdog
 * interval has passed since the last one (and on the first call). Returns
 * the milliseconds until the next one is due, for the loop to wake by
 * then (a loop waking on its own clock, once a second, could see 0.99 of
 * the half interval pass twice and ping after nearly the whole interval);
 * -1 without a watchdog, or when the ping could not be sent.
 */
long sg_watchdog_tick(void);

#endif /* SG_NOTIFY_H */
