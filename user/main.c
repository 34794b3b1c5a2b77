// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * synguard: the command table and dispatch. Every command takes --help;
 * exit codes are 0 on success, 1 on a runtime failure, 2 on a usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "cmds.h"
#include "common.h"
#include "log.h"
#include "main.h"
#include "usage.h"

#ifndef SG_VERSION
#define SG_VERSION "0.0.0"
#endif

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct sg_cmd cmds[] = {
	{ "run", cmd_run },	  { "stats", cmd_stats },
	{ "status", cmd_status }, { "top", cmd_top },
	{ "allow", cmd_allow },	  { "deny", cmd_deny },
	{ "ports", cmd_ports },	  { "keys", cmd_keys },
	{ "detach", cmd_detach }, { "version", cmd_version },
	{ "help", cmd_help },
};

static void usage(FILE *f)
{
	sg_usage_commands(f);
}

/* True when argv holds exactly one argument, --help or -h. */
int sg_wants_help(int argc, char **argv)
{
	return argc == 2 &&
	       (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return SG_EXIT_OK;
}

static int cmd_version(int argc, char **argv)
{
	if (sg_wants_help(argc, argv)) {
		sg_usage(stdout, "version");
		return SG_EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "synguard version: unexpected argument '%s'\n",
			argv[1]);
		return SG_EXIT_USAGE;
	}
	printf("synguard %s (libbpf %s)\n", SG_VERSION,
	       libbpf_version_string());
	return SG_EXIT_OK;
}

int main(int argc, char **argv)
{
	enum sg_log_level level = SG_LOG_INFO;
	size_t i;
	int argi;

	for (argi = 1; argi < argc; argi++) {
		if (!strcmp(argv[argi], "-v"))
			level = SG_LOG_DEBUG;
		else if (!strcmp(argv[argi], "-vv"))
			level = SG_LOG_LIBBPF;
		else
			break;
	}
	sg_log_init(level);

	if (argi >= argc) {
		fprintf(stderr,
			"synguard: no command given (try 'synguard help')\n");
		return SG_EXIT_USAGE;
	}
	if (!strcmp(argv[argi], "--help") || !strcmp(argv[argi], "-h"))
		return cmd_help(0, NULL);
	if (!strcmp(argv[argi], "--version"))
		return cmd_version(1, argv + argi);

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[argi], cmds[i].name))
			return cmds[i].fn(argc - argi, argv + argi);

	fprintf(stderr,
		"synguard: unknown command '%s' (try 'synguard help')\n",
		argv[argi]);
	return SG_EXIT_USAGE;
}
