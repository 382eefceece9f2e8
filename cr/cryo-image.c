/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cryo-image: inspect, convert and anonymise images, decode binary logs. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const struct verb verbs[] = {
	{ "show", img_show_main, "human summary of an image directory" },
	{ "decode", img_decode_main, "image file or directory to JSON" },
	{ "encode", img_encode_main, "JSON back to a binary image file" },
	{ "stats", img_stats_main, "dump statistics of an image directory" },
	{ "anonymise", img_anonymise_main, "strip memory and names from an image" },
	{ "log", img_log_main, "binary logs: 'log decode FILE'" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: cryo-image VERB [OPTIONS]\n\nVerbs:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
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
	if (!strcmp(argv[1], "--version")) {
		printf("cryo-image version %s\n", CRYO_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].main(argc - 1, argv + 1);
	fprintf(stderr, "cryo-image: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return 1;
}
