/* SPDX-License-Identifier: GPL-2.0-or-later */
/* events: resource statistics as JSON lines, once (--stats) or every --interval until the container stops. */
#include <string.h>
#include <time.h>
#include "container.h"
#include "cryo.h"

static int parse_interval(const char *s, double *secs)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v <= 0)
		return -EINVAL;
	if (!strcmp(end, "ms"))
		v /= 1000;
	else if (!strcmp(end, "m"))
		v *= 60;
	else if (*end && strcmp(end, "s"))
		return -EINVAL;
	*secs = v;
	return 0;
}

int verb_events(int argc, char **argv)
{
	_cleanup_state_ struct oci_state *s = NULL;
	struct oci_error err = { 0 };
	const char *interval = "5s";
	bool stats = false;
	const struct opt opts[] = {
		{ "stats", OPT_BOOL, &stats, "print statistics once and exit" },
		{ "interval", OPT_STRING, &interval, "time between statistics (default 5s)" },
		{},
	};
	int i = opts_parse("events", "[options] CONTAINER_ID", argc, argv, opts);
	double secs;

	if (i < 0)
		return i == -2 ? 0 : 1;
	if (expect_args("events", argc - i, 1, 1) < 0)
		return 1;
	if (parse_interval(interval, &secs) < 0) {
		log_error("invalid interval \"%s\" (e.g. 5s, 500ms)", interval);
		return 1;
	}
	if (container_load(argv[i], &s, &err) < 0)
		return fail_oci(&err);
	for (;;) {
		if (container_status(s) == OCI_STATUS_STOPPED) {
			if (stats) {
				log_error("container \"%s\" is stopped", s->id);
				return 1;
			}
			return 0;
		}
		printf("{\"type\":\"stats\",\"id\":\"%s\",\"data\":", s->id);
		cgroups_stats_json(s->cgroup_paths, stdout);
		printf("}\n");
		fflush(stdout);
		if (stats)
			return 0;
		struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };
		nanosleep(&ts, NULL);
	}
}
