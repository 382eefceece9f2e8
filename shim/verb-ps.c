/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ps: the container's pids (json), or ps(1) output filtered to them (table). */
#include <string.h>
#include <sys/wait.h>
#include "container.h"
#include "cryo.h"

static bool has_pid(const pid_t *pids, int n, pid_t p)
{
	for (int i = 0; i < n; i++)
		if (pids[i] == p)
			return true;
	return false;
}

static int ps_table(const pid_t *pids, int n, char **ps_args, int n_args)
{
	char *argv[64] = { "ps" };
	int fds[2], ac = 1, pid_col = -1, status;
	_cleanup_fclose_ FILE *f = NULL;
	char line[4096];
	pid_t child;

	if (n_args == 0)
		argv[ac++] = "-ef";
	for (int k = 0; k < n_args && ac < 63; k++)
		argv[ac++] = ps_args[k];
	if (pipe(fds) < 0)
		return -1;
	child = fork();
	if (child == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execvp("ps", argv);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	for (bool header = true; f && fgets(line, sizeof(line), f); header = false) {
		char copy[4096], *tok, *save;
		int col = 0;
		if (header) {
			snprintf(copy, sizeof(copy), "%s", line);
			for (tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save), col++)
				if (!strcmp(tok, "PID"))
					pid_col = col;
			fputs(line, stdout);
			if (pid_col < 0) {
				log_error("ps output has no PID column");
				return -1;
			}
			continue;
		}
		snprintf(copy, sizeof(copy), "%s", line);
		for (tok = strtok_r(copy, " \t\n", &save); tok && col < pid_col; tok = strtok_r(NULL, " \t\n", &save))
			col++;
		if (tok && has_pid(pids, n, atoi(tok)))
			fputs(line, stdout);
	}
	waitpid(child, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		log_error("ps failed");
		return -1;
	}
	return 0;
}

int verb_ps(int argc, char **argv)
{
	_cleanup_state_ struct oci_state *s = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	struct oci_error err = { 0 };
	const char *format = "table";
	const struct opt opts[] = {
		{ "format|f", OPT_STRING, &format, "table or json" },
		{},
	};
	int i = opts_parse("ps", "[options] CONTAINER_ID [ps options]", argc, argv, opts), n;

	if (i < 0)
		return i == -2 ? 0 : 1;
	if (expect_args("ps", argc - i, 1, -1) < 0)
		return 1;
	if (strcmp(format, "table") && strcmp(format, "json")) {
		log_error("invalid format \"%s\" (use table or json)", format);
		return 1;
	}
	if (container_load(argv[i], &s, &err) < 0)
		return fail_oci(&err);
	n = cgroups_pids(s->cgroup_paths, &pids);
	if (!strcmp(format, "json")) {
		printf("[");
		for (int k = 0; k < n; k++)
			printf("%s%d", k ? "," : "", pids[k]);
		printf("]\n");
		return 0;
	}
	return ps_table(pids, n, argv + i + 1, argc - i - 1) < 0;
}
