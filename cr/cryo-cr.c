/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cryo-cr: the C/R core with CRIU's verbs. Thin dispatcher; verbs live in cr-*.c. */
#include "cli.h"

static const struct verb verbs[] = {
	{ "dump", cr_dump_main, "checkpoint a process tree (-t PID -D DIR)" },
	{ "pre-dump", cr_pre_dump_main, "copy memory of a running tree ahead of dump" },
	{ "restore", cr_restore_main, "restore a process tree from an image (-D DIR)" },
	{ "check", cr_check_main, "report which kernel features cryo can use" },
	{ "page-server", cr_page_server_main, "serve pages to a remote dump or restore" },
	{ "lazy-pages", cr_lazy_pages_main, "serve memory of a restored tree on demand" },
};

int main(int argc, char **argv)
{
	return verb_dispatch("cryo-cr", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
