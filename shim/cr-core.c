/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running the C/R core for checkpoint and restore.  cryo links the core
 * (cryo_core) and calls its command-line entry points, cr_dump_main() and
 * cr_restore_main(), with a cryo-cr argv, in a forked child: the core's global
 * state (log, kernel facts, fd placeholders, subreaper) stays out of cryo,
 * and the child can join namespaces and cgroups first without changing cryo.
 * The command line is the contract: `cryo-cr dump|restore --help` documents it,
 * and the argv is logged, so a failing run can be repeated by hand.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include "cr/cli.h"
#include "cr-core.h"
#include "init.h"

int argv_add(struct argv_buf *a, const char *fmt, ...)
{
	char **n, *s;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	n = reallocarray(a->v, a->n + 2, sizeof(char *));
	if (!n) {
		free(s);
		return -ENOMEM;
	}
	a->v = n;
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
	return 0;
}

void argv_free(struct argv_buf *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

static void log_argv(const struct argv_buf *a)
{
	char line[8192];
	size_t len = 0;

	for (size_t i = 0; i < a->n && len < sizeof(line) - 1; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s", i ? " " : "", a->v[i]);
	log_debug("core: cryo-cr %s", line);
}

/* In the child: join what the container joined by path, then its cgroups. */
static int child_enter(const struct core_run *c)
{
	struct oci_error err = { 0 };

	for (size_t i = 0; i < c->n_ns; i++)
		if (join_namespace_path(c->ns[i].type, c->ns[i].path, &err) < 0) {
			log_error("%s", err.msg);
			return -1;
		}
	if (c->cgroup_paths && cgroups_enter(c->cgroup_paths, getpid(), &err) < 0) {
		log_error("%s", err.msg);
		return -1;
	}
	return 0;
}

int core_run(const struct core_run *c, struct oci_error *err)
{
	int status;
	pid_t pid;

	log_argv(&c->argv);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return oci_error_set(err, errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);	/* restore may come from a foreground cryo */
		if (child_enter(c) < 0)
			_exit(1);
		/* The core logs to its own -o file, not through cryo's sink (--log, stderr). */
		log_set_sink(NULL, NULL);
		optind = 1;
		_exit(c->restore ? cr_restore_main((int)c->argv.n, c->argv.v) : cr_dump_main((int)c->argv.n, c->argv.v));
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return oci_error_set(err, errno, "waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return oci_error_set(err, EIO, "%s", WIFEXITED(status) ? "failed" : "was killed");
}

/* The last error lines of the core's text log, for the message engines show. */
char *core_log_errors(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[1024], last[3][1024] = { "", "", "" };
	char *out = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		const char *e = strstr(line, ") E: ");
		if (!e)
			continue;
		line[strcspn(line, "\n")] = 0;
		memmove(last[0], last[1], sizeof(last[0]) * 2);
		snprintf(last[2], sizeof(last[2]), "%s", e + 5);
		n++;
	}
	if (!n)
		return NULL;
	for (size_t i = n < 3 ? 3 - n : 0; i < 3; i++) {
		char *joined;
		if (asprintf(&joined, "%s%s%s", out ? out : "", out ? "; " : "", last[i]) < 0)
			break;
		free(out);
		out = joined;
	}
	return out;
}
