/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Personality, umask, root and cwd, the exe link and each thread's comm.
 * Root and cwd are paths as the dumper sees them; apply chroots (before the
 * creds drop takes CAP_SYS_CHROOT away) and then changes to the cwd's path
 * inside that root.  The exe
 * link is recorded for the core (PR_SET_MM_EXE_FILE needs the restored mm).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "taskstate-internal.h"
#include "util.h"

static int collect_paths(pid_t pid, TaskStateEntry *e)
{
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/cwd", pid);
	r = ts_readlink(path, &e->cwd);
	if (r >= 0) {
		snprintf(path, sizeof(path), "/proc/%d/root", pid);
		r = ts_readlink(path, &e->root);
	}
	if (r >= 0) {
		snprintf(path, sizeof(path), "/proc/%d/exe", pid);
		r = ts_readlink(path, &e->exe);
		if (r == -ENOENT)	/* kernel threads, exited mm */
			r = 0;
	}
	return r < 0 ? log_error_errno(r, "cannot read %s", path) : 0;
}

static int collect_proc(const struct ts_collect_ctx *c _unused_, pid_t pid, TaskStateEntry *e)
{
	char path[64], buf[64];
	struct ts_status s;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/personality", pid);
	r = ts_read_file(path, buf, sizeof(buf));
	if (r < 0)
		return log_error_errno(r, "cannot read %s", path);
	if (sscanf(buf, "%x", &e->personality) != 1)
		return log_error_errno(-EINVAL, "%s: cannot parse '%s'", path, buf);
	e->has_personality = true;
	r = ts_read_status(pid, 0, &s);
	if (r < 0)
		return r;
	ts_status_done(&s);
	e->has_umask = true, e->umask = s.umask;
	r = collect_paths(pid, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < e->n_threads; i++) {
		snprintf(path, sizeof(path), "/proc/%d/task/%u/comm", pid, e->threads[i]->tid);
		r = ts_read_file(path, buf, sizeof(buf));
		if (r < 0)
			return log_error_errno(r, "cannot read %s", path);
		e->threads[i]->comm = strdup(buf);
		if (!e->threads[i]->comm)
			return -ENOMEM;
	}
	return 0;
}

/* cwd as the dumper saw it, as a path inside the task's root. */
static const char *cwd_in_root(const TaskStateEntry *e)
{
	size_t n;

	if (!e->root || !strcmp(e->root, "/"))
		return e->cwd;
	n = strlen(e->root);
	if (strncmp(e->cwd, e->root, n))
		return NULL;	/* cwd outside the root: not reachable after chroot */
	if (e->cwd[n] == 0)
		return "/";
	return e->cwd[n] == '/' ? e->cwd + n : NULL;
}

static int apply_proc(const struct ts_apply_ctx *a _unused_, const TaskStateEntry *e)
{
	const char *cwd;

	if (e->has_personality && personality(e->personality) < 0)
		return log_error_errno(negative_errno(), "task %u: cannot set personality %#x", e->pid, e->personality);
	if (e->has_umask)
		umask(e->umask & 0777);
	if (e->root && strcmp(e->root, "/") && chroot(e->root) < 0)
		return log_error_errno(negative_errno(), "task %u: cannot chroot to %s", e->pid, e->root);
	if (!e->cwd)
		return 0;
	cwd = cwd_in_root(e);
	if (!cwd)
		return log_error_errno(-EINVAL, "task %u: cwd %s is outside its root %s", e->pid, e->cwd, e->root);
	if (chdir(cwd) < 0)
		return log_error_errno(negative_errno(), "task %u: cannot change directory to %s (in root %s)", e->pid, cwd,
				       e->root ? e->root : "/");
	return 0;
}

static int apply_proc_thread(const struct ts_apply_ctx *a _unused_, const TaskStateEntry *e,
			     const TsThreadEntry *t)
{
	if (t->comm && prctl(PR_SET_NAME, t->comm, 0, 0, 0) < 0)
		return log_error_errno(negative_errno(), "task %u thread %u: cannot set comm '%s'", e->pid, t->tid, t->comm);
	return 0;
}

const struct ts_kind ts_kind_proc = {
	.name = "ts-proc",
	.collect = collect_proc,
	.apply = apply_proc,
	.apply_thread = apply_proc_thread,
};
