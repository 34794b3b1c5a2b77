// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * synguard's command-line documentation (usage.h): the tables, the --help
 * printer and the synguard(8) renderer.
 */
#include <ctype.h>
#include <string.h>

#include "loader.h"
#include "metrics.h"
#include "usage.h"

#define STR_(x) #x
#define STR(x) STR_(x)

#define PIN_ROOT_OPT                                                             \
	{                                                                        \
		"--pin-root", "DIR",                                             \
			"bpffs directory of the pins (default $" SG_PIN_ROOT_ENV \
			" or " SG_PIN_ROOT_DEFAULT ")"                           \
	}
#define HELP_OPT                                \
	{                                       \
		"-h, --help", NULL, "this help" \
	}

static const struct sg_opt_doc run_opts[] = {
	{ "-p, --ports", "LIST",
	  "protected TCP ports: 80,443,8000-8010 (required)" },
	{ "-m, --mode", "MODE",
	  "XDP mode: native, generic or auto (default auto: native, falling "
	  "back to generic)" },
	{ "-c, --cookie", "ENGINE",
	  "own, kernel or auto (default auto: own when the kernel has "
	  "bpf_sk_assign_tcp_reqsk and the namespace has no conntrack NAT, "
	  "else kernel)" },
	{ "--set-sysctl", NULL,
	  "set net.ipv4.tcp_syncookies (and for the kernel engine "
	  "tcp_timestamps) as the engine needs; the namespace's last synguard "
	  "to stop restores them" },
	{ "--mss4", "N", "MSS in IPv4 SYN-ACKs (default: MTU - 40)" },
	{ "--mss6", "N", "MSS in IPv6 SYN-ACKs (default: MTU - 60)" },
	{ "--wscale", "N",
	  "our window scale 0-14 (default: what the kernel computes from "
	  "tcp_rmem/rmem_max; fixed so for the kernel engine)" },
	{ "--ttl", "N", "TTL/hop limit of SYN-ACKs (default 64)" },
	{ "--window", "N", "SYN-ACK window 1-65535 (default 65535)" },
	{ "--key-period", "S",
	  "seconds per cookie key (default " STR(SG_KEY_PERIOD_DEFAULT) ")" },
	{ "--key-file", "FILE",
	  "master secret (>= 16 random bytes, mode 0600); servers sharing it "
	  "accept each other's cookies (default: random keys)" },
	{ "--synack-rate", "PPS",
	  "SYN-ACKs per second per source prefix, 0 = off (default " STR(
		  SG_SYNACK_RATE_DEFAULT) ")" },
	{ "--synack-burst", "N", "bucket depth (default 2 x rate)" },
	{ "--prefix4", "N",
	  "IPv4 source prefix length for accounting and the guard (default "
	  "24)" },
	{ "--prefix6", "N",
	  "IPv6 source prefix length for accounting and the guard (default "
	  "64)" },
	{ "--bad-cookie-rate", "PPS",
	  "ACKs with a bad cookie allowed per second per source address; "
	  "past them its cookie ACKs are dropped unchecked, 0 = off "
	  "(default " STR(SG_BADCK_RATE_DEFAULT) ")" },
	{ "--bad-cookie-burst", "N",
	  "bad cookies a source may send at once (default " STR(
		  SG_BADCK_BURST_DEFAULT) ")" },
	{ "--engage", "MODE",
	  "always: answer every SYN that is ours; auto: leave SYNs to the "
	  "kernel until the SYN rate or the kernel's own SYN cookies say "
	  "attack; monitor: decide and count, but pass everything (default "
	  "always)" },
	{ "--engage-on", "PPS",
	  "auto: SYNs per second to the protected ports that engage "
	  "(default " STR(SG_ENGAGE_ON_DEFAULT) ")" },
	{ "--engage-off", "PPS",
	  "auto: below this SYN rate (and no kernel cookies) for "
	  "--engage-hold seconds, stand down (default a quarter of "
	  "--engage-on)" },
	{ "--engage-hold", "S",
	  "auto: seconds of calm before standing down (default " STR(
		  SG_ENGAGE_HOLD_DEFAULT) ")" },
	{ "--xdp-meta", "on|off",
	  "pass verified handshakes from XDP to TC in XDP metadata (on), or "
	  "have TC check the cookie again (off: drivers without metadata "
	  "support; automatic when the driver refuses it) (default on)" },
	{ "--allow", "CIDR", "never handle this source (repeatable)" },
	{ "--deny", "CIDR", "drop this source (repeatable)" },
	{ "--metrics", "ADDR:PORT",
	  "Prometheus endpoint, [IPV6]:PORT or off (default " SG_METRICS_DEFAULT
	  "; serves every interface under the pin root, from an "
	  "unprivileged process)" },
	{ "--config", "FILE",
	  "key = value file with these options; command-line flags override "
	  "it" },
	{ "--pin-root", "DIR",
	  "bpffs directory for pins (default $" SG_PIN_ROOT_ENV
	  " or " SG_PIN_ROOT_DEFAULT ")" },
	HELP_OPT,
	{ NULL, NULL, NULL },
};

static const struct sg_opt_doc stats_opts[] = {
	{ "--json", NULL, "JSON: {\"IFACE\": {\"counter\": value, ...}}" },
	{ "--watch", NULL,
	  "sample every interval: each non-zero counter with its total and "
	  "its rate per second since the previous sample (the first: totals "
	  "only); with --json one JSON line per sample; SIGINT ends" },
	{ "--interval", "S", "seconds between samples, 0.1-86400 (default 1)" },
	{ "--count", "N", "stop after N samples" },
	PIN_ROOT_OPT,
	HELP_OPT,
	{ NULL, NULL, NULL },
};

static const struct sg_opt_doc status_opts[] = {
	{ "--json", NULL,
	  "JSON: {\"interfaces\": {...}, \"kernel\": {...}, \"sysctl\": "
	  "{...}}" },
	PIN_ROOT_OPT,
	HELP_OPT,
	{ NULL, NULL, NULL },
};

static const struct sg_opt_doc top_opts[] = {
	{ "-n", "N", "rows per interface (default " STR(SG_TOP_DEFAULT) ")" },
	{ "--json", NULL,
	  "JSON: {\"IFACE\": {\"epoch\", \"tracked\", \"active\", "
	  "\"half_open\", \"top\": [...]}}" },
	PIN_ROOT_OPT,
	HELP_OPT,
	{ NULL, NULL, NULL },
};

static const struct sg_opt_doc list_opts[] = {
	{ "-i, --iface", "IFACE", "only this interface" },
	{ "--json", NULL, "'list' as JSON: {\"IFACE\": [\"CIDR\", ...]}" },
	PIN_ROOT_OPT,
	HELP_OPT,
	{ NULL, NULL, NULL },
};

static const struct sg_opt_doc ports_opts[] = {
	{ "-i, --iface", "IFACE", "only this interface" },
	{ "--json", NULL,
	  "'list' as JSON: {\"IFACE\": {\"ports\": \"80,443\", \"ranges\": "
	  "[[80, 80], [443, 443]], \"count\": 2}}" },
	PIN_ROOT_OPT,
	HELP_OPT,
	{ NULL, NULL, NULL },
};

static const struct sg_opt_doc keys_opts[] = {
	{ "--json", NULL, "'show' as JSON" },
	PIN_ROOT_OPT,
	HELP_OPT,
	{ NULL, NULL, NULL },
};

static const struct sg_opt_doc detach_opts[] = {
	PIN_ROOT_OPT,
	HELP_OPT,
	{ NULL, NULL, NULL },
};

static const struct sg_opt_doc no_opts[] = {
	{ NULL, NULL, NULL },
};

const struct sg_cmd_doc sg_cmd_docs[] = {
	{ "run",
	  "attach to an interface and serve until stopped",
	  { "IFACE --ports LIST [options]" },
	  "Attach synguard to IFACE and serve until SIGINT/SIGTERM, then "
	  "remove what was attached (the map pins stay). SIGHUP reloads the "
	  "config file and the command line (ports, lists, rates, MSS, "
	  "window, TTL, engagement, xdp-meta change live; the rest needs a "
	  "restart, and the log says so). SIGUSR1 starts the next key epoch at "
	  "once, unless the daemon is already one epoch ahead of the clock. "
	  "Under systemd (Type=notify) it reports READY=1 "
	  "once XDP and TC are attached and configured, and sends watchdog "
	  "pings when the unit sets WatchdogSec=.",
	  run_opts },
	{ "stats",
	  "show counters (--watch: rates)",
	  { "[IFACE] [--json] [--pin-root DIR]",
	    "[IFACE] --watch [--interval S] [--count N] [--json]" },
	  "Counters of synguard on IFACE (default: every interface with "
	  "pins), summed over CPUs.",
	  stats_opts },
	{ "status",
	  "what runs where, kernel features, sysctls",
	  { "[--json] [--pin-root DIR]" },
	  "For every interface with pins: the daemon (pid, alive?), engine, "
	  "XDP and libxdp mode, program ids, keys (period, source, rotations; "
	  "never key material), whether the interface exists in this network "
	  "namespace and what is attached to it now, the current epoch, and "
	  "the protected ports by what their SYNs get: answered (a listener), "
	  "nobody listening or an MPTCP listener (both left to the kernel). "
	  "Then the kernel features and TCP sysctls the engines depend on.",
	  status_opts },
	{ "top",
	  "source prefixes by unanswered SYN-ACKs",
	  { "[IFACE] [-n N] [--json] [--pin-root DIR]" },
	  "The source prefixes synguard answers most without a verified ACK, "
	  "on IFACE (default: every interface with pins): SYN-ACKs sent, "
	  "verified ACKs, unanswered (SYN-ACK minus ACK, at least 0) and SYNs "
	  "dropped by the reflection guard, sorted by unanswered. The total "
	  "line is the half-open estimate: unanswered SYN-ACKs of the "
	  "prefixes active in the current or the previous epoch. Prefix "
	  "lengths are the daemon's (sg_config prefix4/prefix6).",
	  top_opts },
	{ "allow",
	  "add, remove or list allowlisted sources",
	  { "add|del CIDR... [-i IFACE] [--pin-root DIR]",
	    "list [-i IFACE] [--json] [--pin-root DIR]" },
	  "Change or show the source allowlist of a running synguard: every "
	  "interface with pins, or only IFACE. CIDRs are IPv4 or IPv6, "
	  "10.0.0.0/8, fd00::/64; an address alone is a /32 or /128. All "
	  "CIDRs are checked before anything changes; 'del' of an entry that "
	  "is not there changes nothing and fails.\n\n"
	  "TCP from allowlisted sources to protected ports goes to the kernel "
	  "untouched, without cookies (the denylist wins over the "
	  "allowlist).",
	  list_opts },
	{ "deny",
	  "add, remove or list denylisted sources",
	  { "add|del CIDR... [-i IFACE] [--pin-root DIR]",
	    "list [-i IFACE] [--json] [--pin-root DIR]" },
	  "Change or show the source denylist of a running synguard: every "
	  "interface with pins, or only IFACE. CIDRs are IPv4 or IPv6, "
	  "10.0.0.0/8, fd00::/64; an address alone is a /32 or /128. All "
	  "CIDRs are checked before anything changes; 'del' of an entry that "
	  "is not there changes nothing and fails.\n\n"
	  "TCP from denylisted sources to protected ports is dropped (the "
	  "denylist wins over the allowlist).",
	  list_opts },
	{ "ports",
	  "add, remove or list protected ports",
	  { "add|del PORTLIST [-i IFACE] [--pin-root DIR]",
	    "list [-i IFACE] [--json] [--pin-root DIR]" },
	  "Change or show the TCP ports a running synguard protects, on every "
	  "interface with pins or only IFACE. PORTLIST: 80,443,8000-8010. "
	  "'del' of a port that is not protected changes nothing and fails; "
	  "removing the last protected port is allowed (with a warning): "
	  "synguard then passes all TCP.",
	  ports_opts },
	{ "keys",
	  "rotate or show the cookie key epoch",
	  { "rotate IFACE [--pin-root DIR]",
	    "show IFACE [--json] [--pin-root DIR]" },
	  "rotate: ask the daemon on IFACE (SIGUSR1) to move one epoch ahead "
	  "of the clock with a fresh key and wait up to 3 s for it; prints "
	  "'IFACE: epoch A -> B'. Cookies of the previous epoch stay valid. "
	  "Refused (exit 1, and the daemon logs it) while the daemon is one "
	  "epoch ahead already: its fleet accepts the next epoch's cookies, "
	  "no further.\n\n"
	  "show: current epoch, rotations, last rotation, key period and key "
	  "source. Key material is never shown.",
	  keys_opts },
	{ "detach",
	  "remove what synguard left on an interface",
	  { "IFACE [--pin-root DIR]" },
	  "Remove everything synguard left on IFACE: its XDP program, its TC "
	  "filter (and those on the VLAN devices above IFACE, unless a "
	  "synguard runs on that device itself) and its map pins (after a "
	  "crash too). Other programs are left alone.",
	  detach_opts },
	{ "version",
	  "print version and library versions",
	  { "" },
	  "Print synguard's version and the libbpf it runs with.",
	  no_opts },
	{ "help", "show this help", { "" }, "List the commands.", no_opts },
};

const int sg_cmd_ndocs = sizeof(sg_cmd_docs) / sizeof(sg_cmd_docs[0]);

const struct sg_cmd_doc *sg_cmd_doc(const char *name)
{
	int i;

	for (i = 0; i < sg_cmd_ndocs; i++)
		if (!strcmp(sg_cmd_docs[i].name, name))
			return &sg_cmd_docs[i];
	return NULL;
}

/* ---- --help ------------------------------------------------------------ */

#define WIDTH 79
#define OPT_COL 24

/*
 * Print @text (one paragraph, or up to a newline) word-wrapped to WIDTH,
 * the first line from column @col (already there), the others indented to
 * @indent. Returns the end of what was printed.
 */
static const char *wrap(FILE *f, const char *text, int col, int indent)
{
	const char *p = text;

	while (*p && *p != '\n') {
		const char *w = p;
		int len;

		while (*w && *w != ' ' && *w != '\n')
			w++;
		len = w - p;
		if (col > indent && col + 1 + len > WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", len, p);
		col += len;
		p = w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
	return p;
}

static void print_paragraphs(FILE *f, const char *text)
{
	const char *p = text;

	while (*p) {
		if (*p == '\n') {
			fputc('\n', f);
			p++;
			continue;
		}
		p = wrap(f, p, 0, 0);
		if (*p == '\n')
			p++;
	}
}

void sg_usage(FILE *f, const char *name)
{
	const struct sg_cmd_doc *d = sg_cmd_doc(name);
	const struct sg_opt_doc *o;
	int i;

	if (!d)
		return;
	for (i = 0; i < 3 && d->synopsis[i]; i++)
		fprintf(f, "%s synguard %s%s%s\n",
			i ? "      " : "Usage:", name,
			*d->synopsis[i] ? " " : "", d->synopsis[i]);
	fputc('\n', f);
	print_paragraphs(f, d->text);
	if (d->opts[0].flags)
		fputc('\n', f);
	for (o = d->opts; o->flags; o++) {
		int col = fprintf(f, "  %s%s%s%s",
				  o->flags[1] == '-' ? "    " : "", o->flags,
				  o->arg ? " " : "", o->arg ? o->arg : "");

		if (col >= OPT_COL) {
			fprintf(f, "\n%*s", OPT_COL, "");
		} else {
			fprintf(f, "%*s", OPT_COL - col, "");
		}
		wrap(f, o->text, OPT_COL, OPT_COL);
	}
}

void sg_usage_commands(FILE *f)
{
	int i;

	fprintf(f, "Usage: synguard [-v|-vv] COMMAND [options]\n\n"
		   "XDP SYN-cookie defence for TCP servers.\n\nCommands:\n");
	for (i = 0; i < sg_cmd_ndocs; i++)
		fprintf(f, "  %-10s %s\n", sg_cmd_docs[i].name,
			sg_cmd_docs[i].summary);
	fprintf(f,
		"\nRun 'synguard COMMAND --help' for a command's options.\n");
}

/* ---- synguard(8) ------------------------------------------------------- */

/* Text for roff: backslashes escaped, '-' a minus sign where it starts an
 * option or a number, no line starting with a control character. */
static void roff(FILE *f, const char *s)
{
	const char *p;

	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (p = s; *p; p++) {
		if (*p == '\\')
			fputs("\\e", f);
		else if (*p == '-' &&
			 (p == s || strchr(" ([|,/'\"=-", p[-1])) &&
			 (isalnum((unsigned char)p[1]) || p[1] == '-'))
			fputs("\\-", f);
		else
			fputc(*p, f);
		if (*p == '\n' && (p[1] == '.' || p[1] == '\''))
			fputs("\\&", f);
	}
}

static void roff_paragraphs(FILE *f, const char *text, const char *para)
{
	const char *p = text, *end;

	while (*p) {
		end = strstr(p, "\n\n");
		if (!end)
			end = p + strlen(p);
		{
			char buf[2048];

			snprintf(buf, sizeof(buf), "%.*s", (int)(end - p), p);
			roff(f, buf);
		}
		fputc('\n', f);
		if (!*end)
			break;
		fprintf(f, "%s\n", para);
		p = end + 2;
	}
}

/* "-p, --ports" -> \fB\-p\fR, \fB\-\-ports\fR */
static void roff_flags(FILE *f, const char *flags)
{
	const char *p = flags;

	while (*p) {
		const char *e = strchr(p, ',');
		char buf[64];

		snprintf(buf, sizeof(buf), "%.*s",
			 e ? (int)(e - p) : (int)strlen(p), p);
		fputs("\\fB", f);
		roff(f, buf);
		fputs("\\fR", f);
		if (!e)
			break;
		fputs(", ", f);
		p = e + 1;
		while (*p == ' ')
			p++;
	}
}

struct man_section {
	const char *title;
	const char *text; /* paragraphs; "\n\n" separates */
};

static const struct man_section man_intro[] = {
	{ "DESCRIPTION",
	  "synguard keeps Linux TCP servers reachable during SYN floods. An "
	  "XDP program on the interface's receive path answers every SYN to a "
	  "protected port with a stateless SYN-cookie SYN-ACK, checks the "
	  "cookie in the returning ACK, drops forged ACKs, and hands verified "
	  "connections to the kernel's TCP stack, which then owns them as if "
	  "it had done the handshake itself.\n\n"
	  "synguard run attaches to one interface and stays in the foreground "
	  "(one daemon per interface); the other commands inspect and change "
	  "a running daemon through its pinned BPF maps.\n\n"
	  "-v before the command logs more; -vv adds libbpf, libxdp and "
	  "verifier output." },
};

static const struct man_section man_outro[] = {
	{ "CONFIGURATION FILE",
	  "synguard run --config FILE reads \"key = value\" lines whose keys "
	  "are the long options of synguard run without the dashes (ports = "
	  "80,443; set-sysctl = yes). '#' starts a comment. allow and deny may "
	  "repeat; for any other key the last line wins. Options on the command line "
	  "override the file; a list given on the command line replaces the "
	  "file's. A bad line stops the daemon with \"FILE:LINE: what\" and "
	  "exit status 2." },
	{ "METRICS",
	  "synguard run serves Prometheus text format on --metrics (default " SG_METRICS_DEFAULT
	  "), GET and HEAD of /metrics only. The daemon "
	  "binds the address, then a child process named synguard-http "
	  "serves HTTP: it runs as the user synguard (else nobody) with no "
	  "capabilities, no_new_privs and a seccomp filter, holds no BPF "
	  "object, and gets the rendered text from the daemon over a "
	  "socketpair. If it dies it is started again a second later; after "
	  "six deaths within a minute the endpoint stays down and the daemon "
	  "runs on." },
	{ "ENVIRONMENT", SG_PIN_ROOT_ENV
	  ": the pin root when --pin-root is not given "
	  "(default " SG_PIN_ROOT_DEFAULT ").\n\n"
	  "NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID: set by systemd for "
	  "Type=notify units; synguard run sends READY=1, STATUS=, STOPPING=1 "
	  "and WATCHDOG=1 (every half interval).\n\n"
	  "JOURNAL_STREAM: when it names standard error, every log line starts "
	  "with its syslog priority (<3> error, <4> warning, <6> info, <7> "
	  "debug) for the journal." },
	{ "FILES",
	  "/etc/synguard/IFACE.conf: the configuration synguard@IFACE.service "
	  "runs with.\n\n" SG_PIN_ROOT_DEFAULT
	  "/IFACE/: the pinned maps of IFACE; they "
	  "outlive the daemon (counters survive a restart) until synguard "
	  "detach." },
	{ "EXIT STATUS",
	  "0 success, 1 runtime failure, 2 usage error (a bad flag, CIDR, "
	  "port, file or interface name: one line on standard error, nothing "
	  "changed)." },
	{ "SEE ALSO",
	  "systemctl(1), bpftool(8), ip(8); /usr/share/doc/synguard/ "
	  "(README.md, operations.md)." },
};

static void man_sections(FILE *f, const struct man_section *s, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		fprintf(f, ".SH \"%s\"\n", s[i].title);
		roff_paragraphs(f, s[i].text, ".PP");
	}
}

void sg_usage_man(FILE *f, const char *version, const char *date)
{
	const struct sg_opt_doc *o;
	int i, j;

	fprintf(f,
		".\\\" Generated from user/usage.c (tools/man/gen_man.c); do "
		"not edit.\n"
		".TH SYNGUARD 8 \"%s\" \"synguard %s\" \"System Administration\"\n"
		".ad l\n"
		".SH NAME\nsynguard \\- XDP SYN\\-cookie defence for TCP "
		"servers\n.SH SYNOPSIS\n",
		date, version);
	for (i = 0; i < sg_cmd_ndocs; i++)
		for (j = 0; j < 3 && sg_cmd_docs[i].synopsis[j]; j++) {
			fprintf(f,
				".B synguard\n[\\fB\\-v\\fR|\\fB\\-vv\\fR] "
				"\\fB%s\\fR",
				sg_cmd_docs[i].name);
			if (*sg_cmd_docs[i].synopsis[j]) {
				fputc(' ', f);
				roff(f, sg_cmd_docs[i].synopsis[j]);
			}
			fputs("\n.br\n", f);
		}
	man_sections(f, man_intro, sizeof(man_intro) / sizeof(man_intro[0]));
	fputs(".SH COMMANDS\n", f);
	for (i = 0; i < sg_cmd_ndocs; i++) {
		const struct sg_cmd_doc *d = &sg_cmd_docs[i];

		fprintf(f, ".SS \"synguard %s\"\n", d->name);
		roff_paragraphs(f, d->text, ".PP");
		for (o = d->opts; o->flags; o++) {
			fputs(".TP\n", f);
			roff_flags(f, o->flags);
			if (o->arg) {
				fputs(" \\fI", f);
				roff(f, o->arg);
				fputs("\\fR", f);
			}
			fputc('\n', f);
			roff(f, o->text);
			fputc('\n', f);
		}
	}
	man_sections(f, man_outro, sizeof(man_outro) / sizeof(man_outro[0]));
}
