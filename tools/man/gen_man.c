// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Writes synguard(8) to stdout from the tables behind every `--help`
 * (user/usage.c). The build runs it: `gen_man VERSION DATE > synguard.8`.
 */
#include <stdio.h>

#include "usage.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s VERSION DATE\n", argv[0]);
		return 2;
	}
	sg_usage_man(stdout, argv[1], argv[2]);
	return ferror(stdout) ? 1 : 0;
}
