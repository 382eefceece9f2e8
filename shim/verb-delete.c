/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "container.h"
#include "cryo.h"

static int delete_one(const char *id, bool force)
{
	_cleanup_state_ struct oci_state *s = NULL;
	struct oci_error err = { 0 };
	enum oci_status st;

	if (container_load(id, &s, &err) < 0) {
		/* runc --force on a missing container succeeds: the goal state holds.  A dir
		 * without state.json is what a create killed half-way leaves: remove it. */
		if (force && err.code == ENOENT) {
			if (container_id_valid(id, &err) == 0)
				container_remove_dir(id);
			return 0;
		}
		return fail_oci(&err);
	}
	st = container_status(s);
	if (!force && (st == OCI_STATUS_RUNNING || st == OCI_STATUS_PAUSED)) {
		log_error("cannot delete container \"%s\": it is %s (use --force)", id, oci_status_name(st));
		return 1;
	}
	container_destroy(s, &err);
	return 0;
}

int verb_delete(int argc, char **argv)
{
	bool force = false;
	const struct opt opts[] = {
		{ "force|f", OPT_BOOL, &force, "kill the container first if it is running or paused" },
		{},
	};
	int i = opts_parse("delete", "[options] CONTAINER_ID [CONTAINER_ID...]", argc, argv, opts), code = 0;

	if (i < 0)
		return i == -2 ? 0 : 1;
	if (expect_args("delete", argc - i, 1, -1) < 0)
		return 1;
	for (; i < argc; i++)
		code |= delete_one(argv[i], force);
	return code;
}
