/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cryo.h"
#include "oci/spec.h"

int verb_features(int argc, char **argv)
{
	const struct opt opts[] = { {} };
	int i = opts_parse("features", "", argc, argv, opts);
	_cleanup_free_ char *json = NULL;

	if (i < 0)
		return i == -2 ? 0 : 1;
	if (expect_args("features", argc - i, 0, 0) < 0)
		return 1;
	json = oci_features_json();
	if (!json)
		return 1;
	printf("%s\n", json);
	return 0;
}
