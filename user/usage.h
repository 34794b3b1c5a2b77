/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The one description of synguard's command line: every command's
 * synopsis, text and options with their argument names and defaults. The
 * `--help` of each command is printed from it, and so is the synguard(8)
 * manual page (tools/man/gen_man.c, run by the build), so the two cannot
 * disagree.
 */
#ifndef SG_USAGE_H
#define SG_USAGE_H

#include <stdio.h>

/* Defaults the documentation states and the code uses. */
#define SG_KEY_PERIOD_DEFAULT 60
/* Reflection guard default: a /24 rarely opens more than a few hundred
 * connections a second, even behind NAT; 2000 leaves room, and caps what
 * spoofed SYNs can bounce at one victim prefix per server. */
#define SG_SYNACK_RATE_DEFAULT 2000
#define SG_TOP_DEFAULT 10 /* synguard top: rows per interface */
/* A source may fail the cookie check this often (per second, burst):
 * blind guessing without timestamps (2^-22 a try) then takes years per
 * chosen address instead of minutes; a real client never fails it. */
#define SG_BADCK_RATE_DEFAULT 4
#define SG_BADCK_BURST_DEFAULT 32
/* --engage auto: SYNs per second to the protected ports that mean attack,
 * and how long a calm spell must last before synguard stands down. */
#define SG_ENGAGE_ON_DEFAULT 1000
#define SG_ENGAGE_HOLD_DEFAULT 30

struct sg_opt_doc {
	const char *flags; /* "-p, --ports" or "--json" */
	const char *arg;   /* "LIST", or NULL for a flag */
	const char *text;  /* what it does, with its default */
};

struct sg_cmd_doc {
	const char *name;	       /* "run" */
	const char *summary;	       /* one line for `synguard help` */
	const char *synopsis[3];       /* after "synguard NAME " */
	const char *text;	       /* paragraphs separated by blank lines */
	const struct sg_opt_doc *opts; /* ends with a NULL flags */
};

/* Every command, in the order `synguard help` lists them. */
extern const struct sg_cmd_doc sg_cmd_docs[];
extern const int sg_cmd_ndocs;

const struct sg_cmd_doc *sg_cmd_doc(const char *name);

/* `synguard NAME --help`. */
void sg_usage(FILE *f, const char *name);
/* `synguard help`: the commands and their one-line summaries. */
void sg_usage_commands(FILE *f);
/* synguard(8) in roff (man(7) macros). */
void sg_usage_man(FILE *f, const char *version, const char *date);

#endif /* SG_USAGE_H */
