/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verb dispatcher shared by cryo-cr and cryo-image. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"

int verb_not_implemented(const char *tool, const char *verb)
{
	fprintf(stderr, "%s: '%s' is not implemented yet\n", tool, verb);
	return 1;
}

static void verb_usage(FILE *f, const char *tool, const struct verb *verbs, size_t n)
{
	fprintf(f, "Usage: %s VERB [OPTIONS]\n\nVerbs:\n", tool);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-12s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\nRun '%s VERB --help' for the options of a verb.\n", tool);
}

int verb_dispatch(const char *tool, const struct verb *verbs, size_t n, int argc, char **argv)
{
	if (argc < 2) {
		verb_usage(stderr, tool, verbs, n);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		verb_usage(stdout, tool, verbs, n);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("%s version %s\n", tool, CRYO_VERSION);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].main(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown verb '%s'\n", tool, argv[1]);
	verb_usage(stderr, tool, verbs, n);
	return 1;
}

/*
 * CRIU's rule for -o: a relative log path lives in the images directory (its
 * work directory), so the log travels with the image.  Creates the directory
 * if needed.  Returns NULL for "no path" (stderr) and on allocation failure.
 */
char *cli_log_path(const char *images_dir, const char *path, int *ret_err)
{
	char *joined;

	*ret_err = 0;
	if (!path)
		return NULL;
	if (path[0] == '/' || !strcmp(path, "-") || !images_dir)
		joined = strdup(path);
	else {
		if (mkdir(images_dir, 0700) < 0 && errno != EEXIST) {
			*ret_err = -errno;
			fprintf(stderr, "cannot create the images directory %s: %s\n", images_dir, strerror(errno));
			return NULL;
		}
		if (asprintf(&joined, "%s/%s", images_dir, path) < 0)
			joined = NULL;
	}
	if (!joined)
		*ret_err = -ENOMEM;
	return joined;
}
