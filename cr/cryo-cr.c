/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cryo-cr: the C/R core with CRIU's verbs. Thin dispatcher; verbs live in cr-*.c. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const struct verb verbs[] = {
	{ "dump", cr_dump_main, "checkpoint a process tree (-t PID -D DIR)" },
	{ "pre-dump", cr_pre_dump_main, "copy memory of a running tree ahead of dump" },
	{ "restore", cr_restore_main, "restore a process tree from an image (-D DIR)" },
	{ "check", cr_check_main, "report which kernel features cryo can use" },
	{ "page-server", cr_page_server_main, "serve pages to a remote dump or restore" },
	{ "lazy-pages", cr_lazy_pages_main, "serve memory of a restored tree on demand" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: cryo-cr VERB [OPTIONS]\n\nVerbs:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-12s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\nRun 'cryo-cr VERB --help' for the options of a verb.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("cryo-cr version %s\n", CRYO_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].main(argc - 1, argv + 1);
	fprintf(stderr, "cryo-cr: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return 1;
}
