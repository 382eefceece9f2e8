/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "container.h"
#include "cryo.h"

int verb_state(int argc, char **argv)
{
	_cleanup_state_ struct oci_state *s = NULL;
	_cleanup_free_ char *json = NULL;
	struct oci_error err = { 0 };
	const struct opt opts[] = { {} };
	int i = opts_parse("state", "CONTAINER_ID", argc, argv, opts);

	if (i < 0)
		return i == -2 ? 0 : 1;
	if (expect_args("state", argc - i, 1, 1) < 0)
		return 1;
	if (container_load(argv[i], &s, &err) < 0)
		return fail_oci(&err);
	json = oci_state_json(s, container_status(s));
	if (!json)
		return 1;
	printf("%s\n", json);
	return 0;
}
