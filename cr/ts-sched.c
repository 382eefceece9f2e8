/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scheduling of each thread: policy, priority, nice, deadline parameters
 * (sched_getattr) and CPU affinity.  Applied in each thread before the creds
 * drop (an RT policy or a lower nice may need CAP_SYS_NICE).
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "log.h"
#include "taskstate-internal.h"

struct ts_sched_attr {
	uint32_t size;
	uint32_t policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};

/* The flags sched_setattr takes back as they were (not the util-clamp requests). */
#define TS_SCHED_FLAGS_KEPT 0x7ull	/* RESET_ON_FORK | RECLAIM | DL_OVERRUN */
#define TS_AFFINITY_WORDS 16		/* 1024 CPUs */

static int collect_thread(pid_t tid, TsThreadEntry *t)
{
	struct ts_sched_attr at = { .size = sizeof(at) };
	uint64_t mask[TS_AFFINITY_WORDS] = { 0 };
	TsSchedEntry *s;
	long n;

	if (syscall(SYS_sched_getattr, tid, &at, sizeof(at), 0) < 0)
		return log_error_errno(negative_errno(), "thread %d: sched_getattr", tid);
	n = syscall(SYS_sched_getaffinity, tid, sizeof(mask), mask);
	if (n < 0)
		return log_error_errno(negative_errno(), "thread %d: sched_getaffinity", tid);
	s = calloc(1, sizeof(*s));
	t->affinity = calloc(TS_AFFINITY_WORDS, sizeof(uint64_t));
	if (!s || !t->affinity) {
		free(s);
		return -ENOMEM;
	}
	ts_sched_entry__init(s);
	s->policy = at.policy, s->flags = at.flags, s->nice = at.nice, s->priority = at.priority;
	s->has_runtime = s->has_deadline = s->has_period = true;
	s->runtime = at.runtime, s->deadline = at.deadline, s->period = at.period;
	s->has_util_min = s->has_util_max = true;
	s->util_min = at.util_min, s->util_max = at.util_max;
	t->sched = s;
	t->n_affinity = (size_t)n / sizeof(uint64_t);
	memcpy(t->affinity, mask, t->n_affinity * sizeof(uint64_t));
	return 0;
}

static int collect_sched(const struct ts_collect_ctx *c _unused_, pid_t pid _unused_, TaskStateEntry *e)
{
	for (size_t i = 0; i < e->n_threads; i++) {
		int r = collect_thread(e->threads[i]->tid, e->threads[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_sched_thread(const struct ts_apply_ctx *a _unused_, const TaskStateEntry *e,
			      const TsThreadEntry *t)
{
	uint64_t mask[TS_AFFINITY_WORDS] = { 0 };

	if (t->sched) {
		struct ts_sched_attr at = {
			.size = 48,	/* without util clamps: those are requests, not state */
			.policy = t->sched->policy,
			.flags = t->sched->flags & TS_SCHED_FLAGS_KEPT,
			.nice = t->sched->nice,
			.priority = t->sched->priority,
			.runtime = t->sched->runtime,
			.deadline = t->sched->deadline,
			.period = t->sched->period,
		};

		if (syscall(SYS_sched_setattr, 0, &at, 0) < 0)
			return log_error_errno(negative_errno(), "task %u thread %u: cannot set scheduling policy %u priority %u nice %d",
					       e->pid, t->tid, at.policy, at.priority, at.nice);
		/* SCHED_IDLE keeps a nice value that sched_setattr does not set. */
		if (setpriority(PRIO_PROCESS, 0, at.nice) < 0)
			return log_error_errno(negative_errno(), "task %u thread %u: cannot set nice %d", e->pid, t->tid, at.nice);
	}
	if (t->n_affinity) {
		if (t->n_affinity > TS_AFFINITY_WORDS)
			return log_error_errno(-EINVAL, "task %u thread %u: affinity mask of %zu words", e->pid, t->tid,
					       t->n_affinity);
		memcpy(mask, t->affinity, t->n_affinity * sizeof(uint64_t));
		if (syscall(SYS_sched_setaffinity, 0, sizeof(mask), mask) < 0)
			return log_error_errno(negative_errno(), "task %u thread %u: cannot set CPU affinity %#llx...",
					       e->pid, t->tid, (unsigned long long)mask[0]);
	}
	return 0;
}

const struct ts_kind ts_kind_sched = {
	.name = "ts-sched",
	.collect = collect_sched,
	.apply_thread = apply_sched_thread,
};
