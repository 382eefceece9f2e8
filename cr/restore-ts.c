/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The task-state kind (cr/taskstate.h, docs/taskstate.md): each task reads
 * its taskstate-PID.img and applies, in the library's order, the kinds whose
 * apply is process-wide and safe before the restorer blob takes over, one
 * plan step per kind named like the kind ("ts-timers").
 *
 * Applied here: ts-proc (process part: personality, umask, cwd), ts-timers
 * (POSIX timers with their ids, itimers) and ts-rlimits.  They run after the
 * task's "fds" and "mm" steps: those open files by path (a new cwd or root
 * would change what a path means) and a lower RLIMIT_NOFILE could refuse
 * their opens.
 *
 * Not applied yet (the state stays what the dump refuses or what the core
 * image carries): the per-thread parts that must run in each thread inside
 * the restorer (sigmask, altstack, sched, comm of other threads, creds), prctl
 * (the restorer resets the parent-death signal), queued signals (the core
 * image), and seccomp, which has to be the very last thing in the restorer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "restore.h"
#include "taskstate.h"

static const char *const applied_kinds[] = { "ts-proc", "ts-timers", "ts-rlimits", NULL };

static bool applied_here(const char *name)
{
	for (const char *const *k = applied_kinds; *k; k++)
		if (!strcmp(*k, name))
			return true;
	return false;
}

struct ts_step {
	const struct ts_kind *kind;
	struct rst_task *task;
};

static int step_ts(void *ctx, void *data)
{
	struct ts_step *s = data;
	struct ts_apply_ctx a = { 0 };
	(void)ctx;
	int r = ts_apply_kind(s->kind, &a, s->task->ts);
	if (r < 0)
		return log_error_errno(r, "task %d: cannot restore %s", s->task->pid, s->kind->name);
	return 0;
}

int ts_restore_prepare(struct restore_ctx *rc)
{
	for (size_t i = 0; i < rc->n_tasks; i++) {
		struct rst_task *t = &rc->tasks[i];
		if (t->zombie)
			continue;
		int r = ts_image_read(rc->dir, t->pid, &t->ts);
		if (r < 0)
			return log_error_errno(r, "cannot read taskstate-%d.img", t->pid);
		/* A task's fds and mapped files are opened by path before ts-proc, and
		 * a child would chroot again inside its parent's root. */
		if (t->ts->root && strcmp(t->ts->root, "/")) {
			log_error("task %d: its root %s is not / : restoring a chrooted task is not supported",
				  t->pid, t->ts->root);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int add_task_steps(struct restore_ctx *rc, struct rst_task *t)
{
	size_t n;
	const struct ts_kind *const *k = ts_kinds(&n);
	for (size_t i = 0; i < n; i++) {
		if (!applied_here(k[i]->name) || !k[i]->apply)
			continue;
		struct ts_step *s = calloc(1, sizeof(*s));	/* lives as long as the plan */
		unsigned id;
		if (!s)
			return -ENOMEM;
		s->kind = k[i];
		s->task = t;
		int r = restore_step_add(rc, t, k[i]->name, step_ts, s, &id);
		if (r >= 0)
			r = plan_need_kind_optional(rc->plan, id, "fds", t->owner);
		if (r >= 0)
			r = plan_need_kind_optional(rc->plan, id, "mm", t->owner);
		for (const char *const *need = k[i]->needs; r >= 0 && need && *need; need++)
			r = plan_need_kind_optional(rc->plan, id, strcmp(*need, "files") ? *need : "fds", t->owner);
		if (r < 0)
			return r;
	}
	return 0;
}

int ts_restore_add_steps(struct restore_ctx *rc)
{
	for (size_t i = 0; i < rc->n_tasks; i++) {
		if (rc->tasks[i].zombie)
			continue;
		int r = add_task_steps(rc, &rc->tasks[i]);
		if (r < 0)
			return r;
	}
	return 0;
}
