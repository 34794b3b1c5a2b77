// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Prometheus rendering (user/prom.c): every counter of enum sg_stat is
 * exported by some metric family, every family has HELP and TYPE and
 * follows the naming rules, label values are escaped, the output passes
 * `promtool check metrics`, and README.md documents exactly the families
 * the code exports (so the two cannot drift).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../user/counters.c"
#include "../../user/prom.c"
#include "sg_test.h"

static char *slurp(const char *path)
{
	static char buf[1 << 20];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int main(void)
{
	struct sg_snapshot s[2];
	struct sg_buf b = { 0 };
	unsigned int st;
	size_t i;
	int bad = -1;
	char *readme;

	for (st = 0; st < SG_STAT_MAX && bad < 0; st++) {
		const char *reason;

		if (!sg_stat_metric(st, &reason))
			bad = st;
	}
	SG_CHECK("every counter is exported by a metric family", bad < 0,
		 "counter %d (%s) is in no family", bad,
		 bad >= 0 ? sg_counters[bad].name : "");

	bad = -1;
	for (i = 0; i < sg_metric_families_len && bad < 0; i++) {
		const struct sg_metric_family *f = &sg_metric_families[i];
		size_t n = strlen(f->name);
		int counter = !strcmp(f->type, "counter");
		int total = n > 6 && !strcmp(f->name + n - 6, "_total");

		if (strncmp(f->name, "synguard_", 9) || counter != total ||
		    (!counter && strcmp(f->type, "gauge")) || !*f->help)
			bad = i;
	}
	SG_CHECK("family names: synguard_ prefix, _total exactly on counters",
		 bad < 0, "family %s",
		 bad >= 0 ? sg_metric_families[bad].name : "");

	memset(s, 0, sizeof(s));
	sg_prom_escape(s[0].ifname, sizeof(s[0].ifname), "eth0");
	sg_prom_escape(s[1].ifname, sizeof(s[1].ifname), "we\"ird\\if");
	for (st = 0; st < SG_STAT_MAX; st++) {
		s[0].vals[st] = 1000 + st;
		s[1].vals[st] = st;
	}
	s[0].have_info = s[0].running = 1;
	s[0].info.xdp_mode = 1;
	s[0].info.rotations = 7;
	s[0].info.rotated = 1000;
	s[0].half_open = 42;
	s[0].epoch = 123;
	sg_prom_render(&b, s, 2, "1.2.3", "own", 1010, 0.000123);
	SG_CHECK("render succeeds", !b.failed && b.len > 0, "failed");

	SG_CHECK("label values are escaped",
		 strstr(b.data, "interface=\"we\\\"ird\\\\if\"") != NULL,
		 "no escaped label in output");
	{
		char w1[128], w2[160];

		snprintf(w1, sizeof(w1),
			 "synguard_synack_sent_total{interface=\"eth0\"} %d\n",
			 1000 + SG_V_TX_SYNACK);
		snprintf(w2, sizeof(w2),
			 "synguard_packets_dropped_total{interface=\"eth0\","
			 "reason=\"cookie_bad\"} %d\n",
			 1000 + SG_V_DROP_COOKIE_BAD);
		SG_CHECK("values come from the right counters",
			 strstr(b.data, w1) && strstr(b.data, w2) &&
				 strstr(b.data, "synguard_half_open{interface="
						"\"eth0\"} 42\n") &&
				 strstr(b.data, "synguard_key_age_seconds{"
						"interface=\"eth0\"} 10\n"),
			 "%s", b.data);
	}
	SG_CHECK("engaged gauge: always and running is 1, no daemon is 0",
		 strstr(b.data, "synguard_engaged{interface=\"eth0\","
				"mode=\"always\"} 1\n") &&
			 strstr(b.data, "mode=\"unknown\"} 0\n"),
		 "%s", b.data);
	{
		struct sg_buf b2 = { 0 };

		s[0].info.engage = SG_ENGAGE_AUTO;
		s[0].engaged = 0;
		s[1] = s[0];
		sg_prom_escape(s[1].ifname, sizeof(s[1].ifname), "eth1");
		s[1].engaged = 1;
		sg_prom_render(&b2, s, 2, "1.2.3", "own", 1010, 0.0);
		SG_CHECK("engaged gauge: auto follows the flag",
			 strstr(b2.data, "synguard_engaged{interface=\"eth0\","
					 "mode=\"auto\"} 0\n") &&
				 strstr(b2.data,
					"synguard_engaged{interface=\"eth1\","
					"mode=\"auto\"} 1\n"),
			 "%s", b2.data);
		sg_buf_free(&b2);
		s[1].info.engage = SG_ENGAGE_MONITOR;
		sg_prom_render(&b2, s, 2, "1.2.3", "own", 1010, 0.0);
		SG_CHECK("engaged gauge: monitor never answers",
			 strstr(b2.data, "synguard_engaged{interface=\"eth1\","
					 "mode=\"monitor\"} 0\n") != NULL,
			 "%s", b2.data);
		sg_buf_free(&b2);
		memset(&s[1], 0, sizeof(s[1]));
		sg_prom_escape(s[1].ifname, sizeof(s[1].ifname), "we\"ird\\if");
		for (st = 0; st < SG_STAT_MAX; st++)
			s[1].vals[st] = st;
		s[0].info.engage = SG_ENGAGE_ALWAYS;
	}
	/* Each counter's own sample, with its own value, in its family. */
	bad = -1;
	for (st = 0; st < SG_STAT_MAX && bad < 0; st++) {
		const char *reason, *f = sg_stat_metric(st, &reason);
		char want[256];

		if (!f)
			continue;
		if (reason)
			snprintf(want, sizeof(want),
				 "\n%s{interface=\"eth0\",reason=\"%s\"} %u\n",
				 f, reason, 1000 + st);
		else
			snprintf(want, sizeof(want),
				 "\n%s{interface=\"eth0\"} %u\n", f, 1000 + st);
		if (!strstr(b.data, want))
			bad = st;
	}
	SG_CHECK("every counter's value is rendered in its family", bad < 0,
		 "counter %d (%s): no sample with its value", bad,
		 bad >= 0 ? sg_counters[bad].name : "");
	SG_CHECK("no key material is exported",
		 !strstr(b.data, "k0") && !strstr(b.data, "secret"), "found");

	bad = -1;
	for (i = 0; i < sg_metric_families_len && bad < 0; i++) {
		char h[160], t[160];

		snprintf(h, sizeof(h), "# HELP %s ",
			 sg_metric_families[i].name);
		snprintf(t, sizeof(t), "# TYPE %s %s\n",
			 sg_metric_families[i].name,
			 sg_metric_families[i].type);
		if (!strstr(b.data, h) || !strstr(b.data, t))
			bad = i;
	}
	SG_CHECK("every family is rendered with HELP and TYPE", bad < 0,
		 "family %s", bad >= 0 ? sg_metric_families[bad].name : "");

	{
		FILE *p = popen("promtool check metrics >/tmp/sg-promtool.out "
				"2>&1",
				"w");
		int rc = -1;

		if (p) {
			fwrite(b.data, 1, b.len, p);
			rc = pclose(p);
		}
		SG_CHECK("promtool check metrics accepts the output", rc == 0,
			 "promtool exit %d: %s", rc,
			 slurp("/tmp/sg-promtool.out") ?: "");
		unlink("/tmp/sg-promtool.out");
	}

	readme = slurp("README.md");
	bad = -1;
	for (i = 0; readme && i < sg_metric_families_len && bad < 0; i++) {
		char want[160];

		snprintf(want, sizeof(want), "`%s", sg_metric_families[i].name);
		if (!strstr(readme, want))
			bad = i;
	}
	SG_CHECK("README.md documents every metric family", readme && bad < 0,
		 "%s missing",
		 bad >= 0 ? sg_metric_families[bad].name : "README.md");
	{
		const char *p = readme;
		char name[128] = "";

		bad = 0;
		while (p && (p = strstr(p, "`synguard_"))) {
			size_t n = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_");

			snprintf(name, sizeof(name), "%.*s", (int)n, p + 1);
			p += 1 + n;
			for (i = 0; i < sg_metric_families_len; i++)
				if (!strcmp(name, sg_metric_families[i].name))
					break;
			if (i == sg_metric_families_len) {
				bad = 1;
				break;
			}
		}
		SG_CHECK("README.md names no metric the code lacks", !bad,
			 "README has `%s`", name);
	}
	sg_buf_free(&b);
	return sg_test_exit();
}
