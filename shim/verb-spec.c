/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <string.h>
#include "cryo.h"
#include "oci/spec.h"

int verb_spec(int argc, char **argv)
{
	const char *bundle = ".";
	bool rootless = false;
	const struct opt opts[] = {
		{ "bundle|b", OPT_STRING, &bundle, "directory to write config.json in" },
		{ "rootless", OPT_BOOL, &rootless, "a spec for a user-namespace container" },
		{},
	};
	int i = opts_parse("spec", "[options]", argc, argv, opts);
	_cleanup_free_ char *path = NULL, *json = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;

	if (i < 0)
		return i == -2 ? 0 : 1;
	if (expect_args("spec", argc - i, 0, 0) < 0)
		return 1;
	json = oci_default_spec_json(rootless);
	if (!json || asprintf(&path, "%s/config.json", bundle) < 0)
		return 1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_error("cannot create %s: %s%s", path, strerror(errno),
			  errno == EEXIST ? " (remove it first)" : "");
		return 1;
	}
	len = strlen(json);
	if (write(fd, json, len) != (ssize_t)len) {
		log_error("cannot write %s: %s", path, strerror(errno));
		return 1;
	}
	return 0;
}
