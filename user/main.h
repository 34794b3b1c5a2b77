/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Command table entries and exit codes shared by the command files. */
#ifndef SG_MAIN_H
#define SG_MAIN_H

enum {
	SG_EXIT_OK = 0,
	SG_EXIT_FAIL = 1,  /* runtime failure */
	SG_EXIT_USAGE = 2, /* bad command line */
};

struct sg_cmd {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0] is the command name */
};

int sg_wants_help(int argc, char **argv);

#endif /* SG_MAIN_H */
