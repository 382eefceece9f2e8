/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cryo-image: inspect, convert and anonymise images, decode binary logs. */
#include "cli.h"

static const struct verb verbs[] = {
	{ "show", img_show_main, "human summary of an image directory" },
	{ "decode", img_decode_main, "image file or directory to JSON" },
	{ "encode", img_encode_main, "JSON back to a binary image file" },
	{ "stats", img_stats_main, "dump statistics of an image directory" },
	{ "anonymise", img_anonymise_main, "strip memory and names from an image" },
	{ "log", img_log_main, "binary logs: 'log decode FILE'" },
};

int main(int argc, char **argv)
{
	return verb_dispatch("cryo-image", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
