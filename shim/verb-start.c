/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "container.h"
#include "cryo.h"

int verb_start(int argc, char **argv)
{
	struct oci_error err = { 0 };
	const struct opt opts[] = { {} };
	int i = opts_parse("start", "CONTAINER_ID", argc, argv, opts);

	if (i < 0)
		return i == -2 ? 0 : 1;
	if (expect_args("start", argc - i, 1, 1) < 0)
		return 1;
	if (container_start(argv[i], &err) < 0)
		return fail_oci(&err);
	return 0;
}
