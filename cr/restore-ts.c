/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The task-state kind (cr/taskstate.h, docs/taskstate.md): each task reads
 * its taskstate-PID.img and applies, in the library's order, the kinds whose
 * apply is process-wide and safe before the restorer blob takes over, one
 * plan step per kind named like the kind ("ts-timers").
 *
 * Applied here: ts-proc (process part: personality, umask, cwd), ts-timers
 * (POSIX timers with their ids, itimers), ts-rlimits, and ts-sched: the main
 * thread's policy, nice and affinity, which the threads the blob clones
 * inherit (threads with other values than the main thread's are refused, as
 * is SCHED_DEADLINE, under which the blob could not clone).  They run after the
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

static const char *const applied_kinds[] = { "ts-proc", "ts-timers", "ts-rlimits", "ts-sched", NULL };

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
	/* The main thread's part here; the blob's threads inherit it (checked in prepare). */
	if (r >= 0 && s->kind->apply_thread && !strcmp(s->kind->name, "ts-sched"))
		r = ts_apply_kind_thread(s->kind, &a, s->task->ts, 0);
	if (r < 0)
		return log_error_errno(r, "task %d: cannot restore %s", s->task->pid, s->kind->name);
	return 0;
}

static bool same_sched(const TsThreadEntry *a, const TsThreadEntry *b)
{
	if (!a->sched != !b->sched || a->n_affinity != b->n_affinity ||
	    (a->n_affinity && memcmp(a->affinity, b->affinity, a->n_affinity * sizeof(*a->affinity))))
		return false;
	if (!a->sched)
		return true;
	const TsSchedEntry *x = a->sched, *y = b->sched;
	return x->policy == y->policy && x->flags == y->flags && x->nice == y->nice &&
	       x->priority == y->priority && x->runtime == y->runtime && x->deadline == y->deadline &&
	       x->period == y->period;
}

/* ts-sched is applied once, on the main thread, before the blob clones the others. */
static int check_sched(const struct rst_task *t)
{
	const TaskStateEntry *e = t->ts;
	if (!e->n_threads)
		return 0;
	for (size_t i = 0; i < e->n_threads; i++) {
		const TsThreadEntry *th = e->threads[i];
		if (th->sched && th->sched->policy == 6 /* SCHED_DEADLINE */) {
			log_error("task %d thread %u: SCHED_DEADLINE is not restored", t->pid, th->tid);
			return -EOPNOTSUPP;
		}
		if (!same_sched(th, e->threads[0])) {
			log_error("task %d thread %u: its scheduling policy, nice or affinity differs from the main "
				  "thread's: per-thread scheduling is not restored", t->pid, th->tid);
			return -EOPNOTSUPP;
		}
	}
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
		r = check_sched(t);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_task_steps(struct restore_ctx *rc, struct rst_task *t)
{
	size_t n;
	const struct ts_kind *const *k = ts_kinds(&n);
	for (size_t i = 0; i < n; i++) {
		if (!applied_here(k[i]->name) || (!k[i]->apply && !k[i]->apply_thread))
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
