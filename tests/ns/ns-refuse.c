/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the ns library does not support is refused at dump, with an error
 * that names the namespace kind and the task: tasks of one tree in different
 * uts namespaces, a user namespace nested two levels below the dumper's, a
 * task whose time_for_children is not its time namespace.
 * Nothing is written for a refused tree.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "image.h"
#include "log.h"
#include "ns.h"
#include "common.h"

static char last_error[512];

static void sink(enum log_level level, const char *line, void *userdata)
{
	(void)userdata;
	if (level == LOG_LVL_ERROR)
		snprintf(last_error, sizeof(last_error), "%s", line);
}

static int write_self(const char *file, const char *s)
{
	char path[64];
	int fd, r;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
	close(fd);
	return r;
}

/* A child that unshares flags (twice if twice) and waits. */
static pid_t child_in(int flags, bool twice)
{
	int p[2];

	if (pipe(p) < 0)
		DIE("pipe");
	pid_t c = fork();
	if (c == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (flags && unshare(flags) < 0)
			_exit(2);
		/* A nested user namespace needs the caller mapped in its parent. */
		if (twice && (write_self("setgroups", "deny") < 0 || write_self("uid_map", "0 0 1") < 0 ||
			      write_self("gid_map", "0 0 1") < 0 || unshare(flags) < 0))
			_exit(2);
		put_int(p[1], 0);
		for (;;)
			pause();
	}
	close(p[1]);
	get_int(p[0]);
	close(p[0]);
	return c;
}

static void expect_refused(const char *what, const pid_t *pids, const pid_t *ppids, unsigned n,
			   const char *kind, pid_t culprit)
{
	char dir[] = "/tmp/cryo-ns-refuse-XXXXXX", pidstr[16];
	struct img_dir *d;

	if (!mkdtemp(dir) || img_dir_open_write(dir, &d) < 0)
		DIE("image dir");
	last_error[0] = 0;
	int r = ns_dump_tree(d, pids, ppids, n);
	snprintf(pidstr, sizeof(pidstr), "%d", culprit);
	CHECK(r == -EOPNOTSUPP, "%s: refused (%d)", what, r);
	CHECK(strstr(last_error, kind) && strstr(last_error, pidstr),
	      "%s: the error names the %s namespace and task %d: %s", what, kind, culprit, last_error);
	img_dir_close(d);	/* not committed: nothing published */
	rmdir(dir);
}

int main(void)
{
	log_init(NULL, LOG_FMT_TEXT, LOG_LVL_WARN);
	log_set_sink(sink, NULL);

	pid_t a = child_in(0, false);
	pid_t b = child_in(CLONE_NEWUTS, false);
	expect_refused("tasks in different uts namespaces", (pid_t[]){ a, b }, (pid_t[]){ 0, a }, 2, "uts", b);

	pid_t u = child_in(CLONE_NEWUSER, true);
	expect_refused("a nested user namespace", &u, (pid_t[]){ 0 }, 1, "user", u);

	pid_t t = child_in(CLONE_NEWTIME, false);
	expect_refused("a task that unshared a time namespace and did not fork", &t, (pid_t[]){ 0 }, 1, "time", t);

	pid_t c = child_in(0, false);
	struct ns_ids ids;
	CHECK(ns_collect_ids(c, &ids) == 0, "ids of a task in the test's own namespaces");
	bool all_own = true;
	for (unsigned k = 0; k < NS_KIND_MAX; k++)
		all_own &= ids.own[k];
	CHECK(all_own, "a task sharing every namespace with the dumper: nothing to create");

	pid_t kids[] = { a, b, u, t, c };
	for (unsigned i = 0; i < 5; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	printf("%s: %d failure(s)\n", nr_fail ? "FAIL" : "PASS", nr_fail);
	return nr_fail ? 1 : 0;
}
