/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "container.h"
#include "cryo.h"

static int pause_or_resume(const char *verb, bool freeze, int argc, char **argv)
{
	_cleanup_state_ struct oci_state *s = NULL;
	struct oci_error err = { 0 };
	const struct opt opts[] = { {} };
	int i = opts_parse(verb, "CONTAINER_ID", argc, argv, opts);
	enum oci_status st;

	if (i < 0)
		return i == -2 ? 0 : 1;
	if (expect_args(verb, argc - i, 1, 1) < 0)
		return 1;
	if (container_load(argv[i], &s, &err) < 0)
		return fail_oci(&err);
	st = container_status(s);
	if (st != (freeze ? OCI_STATUS_RUNNING : OCI_STATUS_PAUSED)) {
		log_error("cannot %s container \"%s\": it is %s", verb, argv[i], oci_status_name(st));
		return 1;
	}
	if (cgroups_freeze(s->cgroup_paths, freeze, &err) < 0)
		return fail_oci(&err);
	return 0;
}

int verb_pause(int argc, char **argv)
{
	return pause_or_resume("pause", true, argc, argv);
}

int verb_resume(int argc, char **argv)
{
	return pause_or_resume("resume", false, argc, argv);
}
