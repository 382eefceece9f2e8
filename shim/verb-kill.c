/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <signal.h>
#include <string.h>
#include <strings.h>
#include "container.h"
#include "cryo.h"

/* "TERM", "SIGTERM", "15" -> 15; -1 if unknown. */
static int parse_signal(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (int i = 1; i < NSIG; i++) {
		const char *abbrev = sigabbrev_np(i);
		if (abbrev && !strcasecmp(abbrev, s))
			return i;
	}
	if (!strncasecmp(s, "RTMIN+", 6))
		return SIGRTMIN + atoi(s + 6);
	return -1;
}

int verb_kill(int argc, char **argv)
{
	_cleanup_state_ struct oci_state *s = NULL;
	struct oci_error err = { 0 };
	bool all = false;
	const struct opt opts[] = {
		{ "all|a", OPT_BOOL, &all, "signal every process of the container" },
		{},
	};
	int i = opts_parse("kill", "[options] CONTAINER_ID [SIGNAL]", argc, argv, opts), sig = SIGTERM;
	enum oci_status st;

	if (i < 0)
		return i == -2 ? 0 : 1;
	if (expect_args("kill", argc - i, 1, 2) < 0)
		return 1;
	if (argc - i == 2 && (sig = parse_signal(argv[i + 1])) < 0) {
		log_error("invalid signal \"%s\"", argv[i + 1]);
		return 1;
	}
	if (container_load(argv[i], &s, &err) < 0)
		return fail_oci(&err);
	st = container_status(s);
	if (st == OCI_STATUS_STOPPED) {
		log_error("container \"%s\" is not running", argv[i]);
		return 1;
	}
	if (all)
		return container_signal_all(s, sig) < 0;
	if (kill(s->pid, sig) < 0) {
		log_error("cannot signal container \"%s\": %s", argv[i], strerror(errno));
		return 1;
	}
	return 0;
}
