/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <string.h>
#include "container.h"
#include "cryo.h"

int verb_list(int argc, char **argv)
{
	_cleanup_closedir_ DIR *d = NULL;
	const char *format = "table";
	bool quiet = false, first = true;
	const struct opt opts[] = {
		{ "format|f", OPT_STRING, &format, "table or json" },
		{ "quiet|q", OPT_BOOL, &quiet, "print only the ids" },
		{},
	};
	int i = opts_parse("list", "[options]", argc, argv, opts);
	bool json;
	struct dirent *de;

	if (i < 0)
		return i == -2 ? 0 : 1;
	if (strcmp(format, "table") && strcmp(format, "json")) {
		log_error("invalid format \"%s\" (use table or json)", format);
		return 1;
	}
	json = !strcmp(format, "json");
	d = opendir(cryo_globals.root);
	if (json)
		printf("[");
	else if (!quiet)
		printf("%-20s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
	while (d && (de = readdir(d))) {
		_cleanup_state_ struct oci_state *s = NULL;
		_cleanup_free_ char *js = NULL;
		struct oci_error err = { 0 };
		enum oci_status st;

		if (de->d_name[0] == '.' || container_load(de->d_name, &s, &err) < 0)
			continue;
		st = container_status(s);
		if (quiet && !json)
			printf("%s\n", s->id);
		else if (json) {
			js = oci_state_json(s, st);
			printf("%s%s", first ? "" : ",", js ? js : "{}");
		} else
			printf("%-20s %-8d %-10s %-40s %-32s %s\n", s->id, st == OCI_STATUS_STOPPED ? 0 : s->pid,
			       oci_status_name(st), s->bundle, s->created, s->owner);
		first = false;
	}
	if (json)
		printf("]\n");
	return 0;
}
