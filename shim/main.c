/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cryo: an OCI runtime with runc's command line.  Global options, then a verb. */
#include <stdio.h>
#include <string.h>
#include "cr/cli.h"
#include "cryo.h"

struct cryo_globals cryo_globals = { .root = "/run/cryo" };

static const struct verb verbs[] = {
	{ "create", verb_create, "create a container" },
	{ "start", verb_start, "start a created container" },
	{ "run", verb_run, "create and start a container" },
	{ "state", verb_state, "print the state of a container" },
	{ "kill", verb_kill, "send a signal to the container's init (or all processes)" },
	{ "delete", verb_delete, "delete a container and everything it holds" },
	{ "list", verb_list, "list containers" },
	{ "ps", verb_ps, "show the processes of a container" },
	{ "exec", verb_exec, "run a new process inside a container" },
	{ "pause", verb_pause, "freeze every process of a container" },
	{ "resume", verb_resume, "thaw a paused container" },
	{ "update", verb_update, "update the resource limits of a container" },
	{ "events", verb_events, "print container statistics" },
	{ "spec", verb_spec, "write a default config.json" },
	{ "features", verb_features, "print the runtime-spec features document" },
	{ "checkpoint", verb_checkpoint, "checkpoint a running container into an image" },
	{ "restore", verb_restore, "restore a container from a checkpoint image" },
};

static void print_version(void)
{
	printf("cryo version %s\nspec: 1.0.2\n", CRYO_VERSION);
}

static void print_help(void)
{
	printf("Usage: cryo [global options] COMMAND [options] [arguments]\n\n"
	       "An OCI container runtime with runc's command line.\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		printf("   %-12s %s\n", verbs[i].name, verbs[i].summary);
	printf("\nGlobal options:\n"
	       "   --root DIR              state directory (default /run/cryo)\n"
	       "   --log FILE              log file (default stderr)\n"
	       "   --log-format text|json  log format (default text)\n"
	       "   --debug                 debug logging\n"
	       "   --systemd-cgroup        use systemd cgroups (not supported)\n"
	       "   --version, -v           print the version\n"
	       "   --help, -h              this help\n");
}

int main(int argc, char **argv)
{
	const char *log_format = NULL, *criu = NULL, *rootless = NULL;
	bool version = false;
	const struct opt globals[] = {
		{ "root", OPT_STRING, &cryo_globals.root, "state directory" },
		{ "log", OPT_STRING, &cryo_globals.log_path, "log file" },
		{ "log-format", OPT_STRING, &log_format, "text or json" },
		{ "debug", OPT_BOOL, &cryo_globals.debug, "debug logging" },
		{ "systemd-cgroup", OPT_BOOL, &cryo_globals.systemd_cgroup, "use systemd cgroups" },
		{ "criu", OPT_STRING, &criu, "ignored (runc compatibility)" },
		{ "rootless", OPT_STRING, &rootless, "ignored (runc compatibility)" },
		{ "version|v", OPT_BOOL, &version, "print the version" },
		{},
	};
	int first;

	first = opts_parse("", "COMMAND", argc, argv, globals);
	if (first == -2) {
		print_help();
		return 0;
	}
	if (first < 0)
		return 1;
	if (version) {
		print_version();
		return 0;
	}
	if (log_format && strcmp(log_format, "text") && strcmp(log_format, "json")) {
		fprintf(stderr, "cryo: unknown log format \"%s\" (use text or json)\n", log_format);
		return 1;
	}
	cryo_globals.log_json = log_format && !strcmp(log_format, "json");
	if (cryo_log_setup() < 0)
		return 1;
	if (first >= argc) {
		print_help();
		return 1;
	}
	if (!strcmp(argv[first], "help")) {
		print_help();
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (!strcmp(verbs[i].name, argv[first])) {
			if (cryo_globals.systemd_cgroup && strcmp(argv[first], "features") &&
			    strcmp(argv[first], "spec") && !(argc > first + 1 &&
			    (!strcmp(argv[first + 1], "--help") || !strcmp(argv[first + 1], "-h")))) {
				log_error("--systemd-cgroup is not supported by cryo: use the cgroupfs manager");
				return 1;
			}
			return verbs[i].main(argc - first, argv + first);
		}
	log_error("unknown command \"%s\"; see cryo --help", argv[first]);
	return 1;
}
