/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include "cli.h"

int verb_not_implemented(const char *tool, const char *verb)
{
	fprintf(stderr, "%s: '%s' is not implemented yet\n", tool, verb);
	return 1;
}
