// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Prometheus rendering. Names follow the conventions: synguard_ prefix,
 * _total on counters, base units (seconds), an interface label on every
 * per-interface sample and only bounded label values (reasons come from
 * the counter table, never from packets). Key material is never an input.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "prom.h"

void sg_buf_printf(struct sg_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += n;
			return;
		}
		{
			size_t cap = b->cap ? b->cap * 2 : 4096;
			char *p;

			while (cap - b->len <= (size_t)n)
				cap *= 2;
			p = realloc(b->data, cap);
			if (!p) {
				b->failed = 1;
				return;
			}
			b->data = p;
			b->cap = cap;
		}
	}
}

void sg_buf_free(struct sg_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void sg_prom_escape(char *dst, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s && o + 3 < len; s++) {
		if (*s == '\\' || *s == '"') {
			dst[o++] = '\\';
			dst[o++] = *s;
		} else if (*s == '\n') {
			dst[o++] = '\\';
			dst[o++] = 'n';
		} else {
			dst[o++] = *s;
		}
	}
	dst[o] = '\0';
}

#define F_SYN "synguard_syn_received_total"
#define F_SYNACK "synguard_synack_sent_total"
#define F_ACK_OK "synguard_ack_cookie_valid_total"
#define F_ACK_BAD "synguard_ack_cookie_invalid_total"
#define F_PREV "synguard_ack_cookie_previous_epoch_total"
#define F_HANDED "synguard_connections_handed_total"
#define F_HFAIL "synguard_handoff_failed_total"
#define F_PASSED "synguard_packets_passed_total"
#define F_DROPPED "synguard_packets_dropped_total"
#define F_LIMITED "synguard_synack_ratelimited_total"
#define F_PAYLOAD "synguard_syn_payload_dropped_total"
#define F_HALF "synguard_half_open"
#define F_ROT "synguard_key_rotations_total"
#define F_AGE "synguard_key_age_seconds"
#define F_EPOCH "synguard_key_epoch"
#define F_ATT "synguard_xdp_attached"
#define F_ENGAGED "synguard_engaged"
#define F_BUILD "synguard_build_info"
#define F_SCRAPE "synguard_scrape_duration_seconds"
#define F_SKIPPED "synguard_handoff_skipped_total"
#define F_TCCHK "synguard_tc_cookie_checked_total"
#define F_NOMETA "synguard_xdp_meta_failed_total"
#define F_MONITOR "synguard_monitor_passed_total"
#define F_BYPASS "synguard_guard_bypass_total"

const struct sg_metric_family sg_metric_families[] = {
	{ F_SYN, "counter", "SYNs to protected ports seen by XDP." },
	{ F_SYNACK, "counter", "SYN-ACKs sent by XDP (cookies issued)." },
	{ F_ACK_OK, "counter", "ACKs whose cookie verified." },
	{ F_ACK_BAD, "counter", "ACKs whose cookie did not verify (dropped)." },
	{ F_PREV, "counter",
	  "Valid cookie ACKs minted with a neighbouring (previous or next) "
	  "epoch's key." },
	{ F_HANDED, "counter", "Connections handed to the kernel TCP stack." },
	{ F_HFAIL, "counter",
	  "Verified ACKs the hand-off failed for, by reason." },
	{ F_PASSED, "counter",
	  "Packets passed to the kernel by XDP, by reason." },
	{ F_DROPPED, "counter", "Packets dropped by XDP, by reason." },
	{ F_LIMITED, "counter",
	  "SYNs dropped by the per-prefix SYN-ACK rate limit (reflection "
	  "guard)." },
	{ F_PAYLOAD, "counter",
	  "SYNs that carried data (Fast Open); the data is dropped." },
	{ F_BYPASS, "counter",
	  "SYNs of recently verified sources answered although their "
	  "prefix's reflection guard was exhausted." },
	{ F_MONITOR, "counter",
	  "Packets --engage monitor passed that synguard would have answered "
	  "or dropped." },
	{ F_NOMETA, "counter",
	  "Verified cookie ACKs passed without XDP metadata (the TC program "
	  "checks the cookie itself)." },
	{ F_TCCHK, "counter",
	  "Cookies the TC program checked itself before a hand-off (no XDP "
	  "metadata)." },
	{ F_SKIPPED, "counter",
	  "Packets the TC hand-off left to the kernel or to the VLAN device "
	  "above, by reason." },
	{ F_HALF, "gauge",
	  "Estimated half-open handshakes: SYN-ACKs not answered, over prefixes "
	  "seen in the current or previous key epoch." },
	{ F_ROT, "counter", "Cookie key rotations since the daemon started." },
	{ F_AGE, "gauge", "Seconds since the cookie key last changed." },
	{ F_EPOCH, "gauge", "Current cookie key epoch number." },
	{ F_ATT, "gauge", "1 while synguard's daemon runs on the interface." },
	{ F_ENGAGED, "gauge",
	  "1 while XDP answers SYNs (engage always, or auto during an attack); 0 while they go to the kernel." },
	{ F_BUILD, "gauge", "Build information, always 1." },
	{ F_SCRAPE, "gauge", "Seconds this scrape took to gather." },
};
const size_t sg_metric_families_len =
	sizeof(sg_metric_families) / sizeof(sg_metric_families[0]);

const char *sg_stat_metric(unsigned int stat, const char **reason)
{
	const char *name = stat < SG_STAT_MAX ? sg_counters[stat].name : NULL;

	*reason = NULL;
	if (!name)
		return NULL;
	switch (stat) {
	case SG_E_SYN_RX:
		return F_SYN;
	case SG_V_TX_SYNACK:
		return F_SYNACK;
	case SG_E_COOKIE_PREV_EPOCH:
		return F_PREV;
	case SG_E_SYN_PAYLOAD:
		return F_PAYLOAD;
	case SG_E_HANDOFF_OK:
		return F_HANDED;
	case SG_E_HANDOFF_NO_LISTENER:
		*reason = "no_listener";
		return F_HFAIL;
	case SG_E_HANDOFF_ERROR:
		*reason = "kernel_refused";
		return F_HFAIL;
	case SG_E_HANDOFF_PARSE:
		*reason = "unparseable";
		return F_HFAIL;
	case SG_E_HANDOFF_DUP:
		*reason = "duplicate";
		return F_SKIPPED;
	case SG_E_HANDOFF_DEFERRED:
		*reason = "deferred";
		return F_SKIPPED;
	case SG_E_TC_VERIFIED:
		return F_TCCHK;
	case SG_E_META_FAILED:
		return F_NOMETA;
	case SG_E_MONITOR_PASSED:
		return F_MONITOR;
	case SG_E_GUARD_BYPASS:
		return F_BYPASS;
	}
	/* Every verdict counter also lands in passed/dropped by reason (the
	 * cookie and rate-limit ones in their own families as well). */
	switch (sg_stat_kind(stat)) {
	case SG_KIND_PASS:
		*reason = name + strlen("pass_");
		return F_PASSED;
	case SG_KIND_DROP:
		*reason = name + strlen("drop_");
		return F_DROPPED;
	default:
		return NULL;
	}
}

static void family_header(struct sg_buf *b, const char *name)
{
	size_t i;

	for (i = 0; i < sg_metric_families_len; i++)
		if (!strcmp(sg_metric_families[i].name, name)) {
			sg_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name,
				      sg_metric_families[i].help, name,
				      sg_metric_families[i].type);
			return;
		}
}

/* One family, one sample per interface from counter @stat. */
static void per_iface(struct sg_buf *b, const char *fam,
		      const struct sg_snapshot *s, int n, unsigned int stat)
{
	int i;

	family_header(b, fam);
	for (i = 0; i < n; i++)
		sg_buf_printf(b, "%s{interface=\"%s\"} %llu\n", fam,
			      s[i].ifname, (unsigned long long)s[i].vals[stat]);
}

/* A family with a reason label over every counter mapped to it. */
static void by_reason(struct sg_buf *b, const char *fam,
		      const struct sg_snapshot *s, int n)
{
	unsigned int st;
	int i;

	family_header(b, fam);
	for (i = 0; i < n; i++)
		for (st = 0; st < SG_STAT_MAX; st++) {
			const char *reason, *f = sg_stat_metric(st, &reason);

			if (f && reason && !strcmp(f, fam))
				sg_buf_printf(
					b,
					"%s{interface=\"%s\",reason=\"%s\"} "
					"%llu\n",
					fam, s[i].ifname, reason,
					(unsigned long long)s[i].vals[st]);
		}
}

static const char *mode_label(__u32 mode)
{
	switch (mode) {
	case 1:
		return "native";
	case 2:
		return "generic";
	case 3:
		return "offload";
	default:
		return "unknown";
	}
}

static const char *engage_label(const struct sg_snapshot *s)
{
	if (!s->have_info)
		return "unknown";
	switch (s->info.engage) {
	case SG_ENGAGE_AUTO:
		return "auto";
	case SG_ENGAGE_MONITOR:
		return "monitor";
	default:
		return "always";
	}
}

/* Whether XDP answers SYNs itself now (monitor mode only watches). */
static int engaged(const struct sg_snapshot *s)
{
	if (!s->running || !s->have_info)
		return 0;
	switch (s->info.engage) {
	case SG_ENGAGE_AUTO:
		return !!s->engaged;
	case SG_ENGAGE_MONITOR:
		return 0;
	default:
		return 1;
	}
}

void sg_prom_render(struct sg_buf *b, const struct sg_snapshot *s, int n,
		    const char *version, const char *engine, time_t now,
		    double scrape_seconds)
{
	int i;

	per_iface(b, F_SYN, s, n, SG_E_SYN_RX);
	per_iface(b, F_SYNACK, s, n, SG_V_TX_SYNACK);
	per_iface(b, F_ACK_OK, s, n, SG_V_PASS_COOKIE_OK);
	per_iface(b, F_ACK_BAD, s, n, SG_V_DROP_COOKIE_BAD);
	per_iface(b, F_PREV, s, n, SG_E_COOKIE_PREV_EPOCH);

	/* The kernel engine has no TC step: the kernel itself validates
	 * and creates the socket for every cookie ACK XDP passes. */
	family_header(b, F_HANDED);
	for (i = 0; i < n; i++) {
		int kernel =
			s[i].have_info && s[i].info.engine == SG_ENGINE_KERNEL;

		sg_buf_printf(b, "%s{interface=\"%s\"} %llu\n", F_HANDED,
			      s[i].ifname,
			      (unsigned long long)s[i]
				      .vals[kernel ? SG_V_PASS_COOKIE_OK :
						     SG_E_HANDOFF_OK]);
	}
	by_reason(b, F_HFAIL, s, n);
	by_reason(b, F_PASSED, s, n);
	by_reason(b, F_DROPPED, s, n);
	per_iface(b, F_LIMITED, s, n, SG_V_DROP_RATELIMIT);
	per_iface(b, F_PAYLOAD, s, n, SG_E_SYN_PAYLOAD);
	per_iface(b, F_BYPASS, s, n, SG_E_GUARD_BYPASS);
	per_iface(b, F_MONITOR, s, n, SG_E_MONITOR_PASSED);
	per_iface(b, F_NOMETA, s, n, SG_E_META_FAILED);
	per_iface(b, F_TCCHK, s, n, SG_E_TC_VERIFIED);
	by_reason(b, F_SKIPPED, s, n);

	family_header(b, F_HALF);
	for (i = 0; i < n; i++)
		sg_buf_printf(b, "%s{interface=\"%s\"} %llu\n", F_HALF,
			      s[i].ifname, (unsigned long long)s[i].half_open);
	family_header(b, F_ROT);
	for (i = 0; i < n; i++)
		sg_buf_printf(b, "%s{interface=\"%s\"} %llu\n", F_ROT,
			      s[i].ifname,
			      (unsigned long long)s[i].info.rotations);
	family_header(b, F_AGE);
	for (i = 0; i < n; i++) {
		long long age =
			s[i].have_info && s[i].info.rotated ?
				(long long)now - (long long)s[i].info.rotated :
				0;

		sg_buf_printf(b, "%s{interface=\"%s\"} %lld\n", F_AGE,
			      s[i].ifname, age < 0 ? 0 : age);
	}
	family_header(b, F_EPOCH);
	for (i = 0; i < n; i++)
		sg_buf_printf(b, "%s{interface=\"%s\"} %u\n", F_EPOCH,
			      s[i].ifname, s[i].epoch);
	family_header(b, F_ATT);
	for (i = 0; i < n; i++)
		sg_buf_printf(
			b, "%s{interface=\"%s\",mode=\"%s\"} %d\n", F_ATT,
			s[i].ifname,
			mode_label(s[i].have_info ? s[i].info.xdp_mode : 0),
			s[i].running ? 1 : 0);
	family_header(b, F_ENGAGED);
	for (i = 0; i < n; i++)
		sg_buf_printf(b, "%s{interface=\"%s\",mode=\"%s\"} %d\n",
			      F_ENGAGED, s[i].ifname, engage_label(&s[i]),
			      engaged(&s[i]));
	family_header(b, F_BUILD);
	sg_buf_printf(b, "%s{version=\"%s\",engine=\"%s\"} 1\n", F_BUILD,
		      version, engine);
	family_header(b, F_SCRAPE);
	sg_buf_printf(b, "%s %.6f\n", F_SCRAPE, scrape_seconds);
}
