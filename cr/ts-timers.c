/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Timers: the three itimers (inside: getitimer) and POSIX timers.  POSIX
 * timers' ids, clocks and notification come from /proc/PID/timers; their
 * armed values and overrun only from inside (timer_gettime, timer_getoverrun).
 *
 * A timer must come back with its id.  When the kernel has
 * PR_TIMER_CREATE_RESTORE_IDS, timer_create() takes the wanted id; otherwise
 * ids are handed out in increasing order per process, so timers are created
 * in id order and fillers deleted until each id matches.  The overrun count
 * cannot be set and is not restored.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "taskstate-internal.h"
#include "util.h"

#ifndef PR_TIMER_CREATE_RESTORE_IDS
#define PR_TIMER_CREATE_RESTORE_IDS 77
#define PR_TIMER_CREATE_RESTORE_IDS_OFF 0
#define PR_TIMER_CREATE_RESTORE_IDS_ON 1
#define PR_TIMER_CREATE_RESTORE_IDS_GET 2
#endif
#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif
#define TS_MAX_TIMER_ID 65536

/* "signal", "none", "thread" then "/pid." or "/tid." and a number. */
static int parse_notify(const char *v, TsPosixTimerEntry *t)
{
	char how[16], whom[8];
	int id;

	if (sscanf(v, "%15[a-z]/%7[a-z].%d", how, whom, &id) != 3)
		return -EINVAL;
	if (!strcmp(how, "signal"))
		t->notify = SIGEV_SIGNAL;
	else if (!strcmp(how, "none"))
		t->notify = SIGEV_NONE;
	else if (!strcmp(how, "thread"))
		t->notify = SIGEV_THREAD;
	else
		return -EINVAL;
	if (!strcmp(whom, "tid")) {
		t->notify |= SIGEV_THREAD_ID;
		t->has_notify_tid = true, t->notify_tid = id;
	}
	return 0;
}

static int parse_timer_line(TsPosixTimerEntry *t, const char *key, const char *v)
{
	unsigned long long val;

	if (!strcmp(key, "signal")) {
		if (sscanf(v, "%d/%llx", &t->signo, &val) != 2)
			return -EINVAL;
		t->sigval = val;
		return 0;
	}
	if (!strcmp(key, "notify"))
		return parse_notify(v, t);
	if (!strcmp(key, "ClockID"))
		return sscanf(v, "%d", &t->clock) == 1 ? 0 : -EINVAL;
	return 0;
}

static int cmp_timer_id(const void *a, const void *b)
{
	const TsPosixTimerEntry *x = *(TsPosixTimerEntry *const *)a, *y = *(TsPosixTimerEntry *const *)b;

	return (x->id > y->id) - (x->id < y->id);
}

static int collect_timers(const struct ts_collect_ctx *c _unused_, pid_t pid, TaskStateEntry *e)
{
	char path[64];
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	TsPosixTimerEntry *t = NULL;
	size_t cap = 0;

	snprintf(path, sizeof(path), "/proc/%d/timers", pid);
	f = fopen(path, "re");
	if (!f)
		return log_error_errno(negative_errno(), "cannot open %s", path);
	while (getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':'), *v;
		int r;

		if (!colon)
			continue;
		*colon = 0;
		v = colon + 1 + strspn(colon + 1, " \t");
		v[strcspn(v, "\n")] = 0;
		if (!strcmp(line, "ID")) {
			t = ts_append_msg((void ***)&e->posix_timers, &e->n_posix_timers, sizeof(*t));
			if (!t)
				return -ENOMEM;
			ts_posix_timer_entry__init(t);
			if (sscanf(v, "%d", &t->id) != 1)
				return log_error_errno(-EINVAL, "%s: bad timer id '%s'", path, v);
			continue;
		}
		if (!t)
			return log_error_errno(-EINVAL, "%s: '%s' before the first ID line", path, line);
		r = parse_timer_line(t, line, v);
		if (r < 0)
			return log_error_errno(r, "%s: timer %d: cannot parse %s '%s'", path, t->id, line, v);
	}
	/* The kernel lists them newest first; restore creates them in id order. */
	if (e->n_posix_timers)
		qsort(e->posix_timers, e->n_posix_timers, sizeof(*e->posix_timers), cmp_timer_id);
	return 0;
}

static int collect_itimers(const struct ts_runner *r, TaskStateEntry *e)
{
	for (unsigned which = 0; which < 3; which++) {
		struct itimerval it;
		TsItimerEntry *m;
		int64_t v = ts_run(r, 0, SYS_getitimer, which, r->scratch, 0, 0, 0, 0);
		int ret;

		if (v < 0)
			return log_error_errno((int)v, "task %u: getitimer(%u)", e->pid, which);
		ret = r->read(r->opaque, 0, &it, sizeof(it));
		if (ret < 0)
			return ret;
		m = ts_append_msg((void ***)&e->itimers, &e->n_itimers, sizeof(*m));
		if (!m)
			return -ENOMEM;
		ts_itimer_entry__init(m);
		m->which = which;
		m->interval_sec = it.it_interval.tv_sec, m->interval_usec = it.it_interval.tv_usec;
		m->value_sec = it.it_value.tv_sec, m->value_usec = it.it_value.tv_usec;
	}
	return 0;
}

int ts_timers_collect_inside(const struct ts_runner *r, TaskStateEntry *e)
{
	int ret = collect_itimers(r, e);

	for (size_t i = 0; ret >= 0 && i < e->n_posix_timers; i++) {
		TsPosixTimerEntry *t = e->posix_timers[i];
		struct itimerspec its;
		int64_t v = ts_run(r, 0, SYS_timer_gettime, t->id, r->scratch, 0, 0, 0, 0);

		if (v < 0)
			return log_error_errno((int)v, "task %u: timer_gettime(%d)", e->pid, t->id);
		ret = r->read(r->opaque, 0, &its, sizeof(its));
		if (ret < 0)
			return ret;
		v = ts_run(r, 0, SYS_timer_getoverrun, t->id, 0, 0, 0, 0, 0);
		if (v < 0)
			return log_error_errno((int)v, "task %u: timer_getoverrun(%d)", e->pid, t->id);
		t->has_armed_known = t->armed_known = true;
		t->has_interval_sec = t->has_interval_nsec = t->has_value_sec = t->has_value_nsec = true;
		t->interval_sec = its.it_interval.tv_sec, t->interval_nsec = its.it_interval.tv_nsec;
		t->value_sec = its.it_value.tv_sec, t->value_nsec = its.it_value.tv_nsec;
		t->has_overrun = true, t->overrun = v;
	}
	return ret;
}

/* ---- apply ------------------------------------------------------------------ */

static int apply_itimers(const TaskStateEntry *e)
{
	for (size_t i = 0; i < e->n_itimers; i++) {
		const TsItimerEntry *m = e->itimers[i];
		struct itimerval it = {
			{ m->interval_sec, m->interval_usec },
			{ m->value_sec, m->value_usec },
		};

		if (m->which > 2 || m->interval_usec >= 1000000 || m->value_usec >= 1000000)
			return log_error_errno(-EINVAL, "task %u: bad itimer %u", e->pid, m->which);
		/* An expired ITIMER_REAL re-arms when its SIGALRM is delivered: dumped
		 * with that signal pending it reads 0 with an interval, and setting 0
		 * would disarm it for good.  It runs again from one interval. */
		if (m->which == ITIMER_REAL && !it.it_value.tv_sec && !it.it_value.tv_usec)
			it.it_value = it.it_interval;
		if (setitimer(m->which, &it, NULL) < 0)
			return log_error_errno(negative_errno(), "task %u: cannot set itimer %u", e->pid, m->which);
	}
	return 0;
}

static int timer_create_raw(const struct ts_apply_ctx *a, const TaskStateEntry *e,
			    const TsPosixTimerEntry *t, int *id)
{
	struct sigevent sev = { 0 };

	sev.sigev_notify = t->notify;
	sev.sigev_signo = t->signo;
	sev.sigev_value.sival_ptr = (void *)(uintptr_t)t->sigval;
	if (t->notify & SIGEV_THREAD_ID) {
		pid_t tid = t->notify_tid;

		/* A thread of the process: map its old tid to the restored one. */
		for (size_t i = 0; i < e->n_threads; i++)
			if ((int32_t)e->threads[i]->tid == t->notify_tid)
				tid = ts_apply_tid(a, e, i);
		sev._sigev_un._tid = tid;
	}
	if (syscall(SYS_timer_create, t->clock, &sev, id) < 0)
		return negative_errno();
	return 0;
}

/* Timers in id order; without the prctl, create and drop fillers until the id matches. */
static int create_timer(const struct ts_apply_ctx *a, const TaskStateEntry *e, const TsPosixTimerEntry *t,
			bool by_id)
{
	int id = t->id, r;

	if (by_id) {
		r = timer_create_raw(a, e, t, &id);
		if (r < 0)
			return log_error_errno(r, "task %u: cannot create POSIX timer %d (clock %d)", e->pid, t->id, t->clock);
		return 0;
	}
	for (int tries = 0; tries <= TS_MAX_TIMER_ID; tries++) {
		r = timer_create_raw(a, e, t, &id);
		if (r < 0)
			return log_error_errno(r, "task %u: cannot create POSIX timer %d (clock %d)", e->pid, t->id, t->clock);
		if (id == t->id)
			return 0;
		syscall(SYS_timer_delete, id);
		if (id > t->id)
			break;
	}
	return log_error_errno(-EBUSY, "task %u: cannot get POSIX timer id %d back (the kernel gave %d; ids are handed out in increasing order and this kernel lacks PR_TIMER_CREATE_RESTORE_IDS)",
			       e->pid, t->id, id);
}

static int arm_timer(const TaskStateEntry *e, const TsPosixTimerEntry *t)
{
	struct itimerspec its = {
		{ t->interval_sec, t->interval_nsec },
		{ t->value_sec, t->value_nsec },
	};

	if (!t->armed_known)
		return 0;
	/* A periodic timer waiting for its signal's delivery to re-arm reads 0
	 * (as ITIMER_REAL above): 0 would disarm it. */
	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value = its.it_interval;
	if (syscall(SYS_timer_settime, t->id, 0, &its, NULL) < 0)
		return log_error_errno(negative_errno(), "task %u: cannot arm POSIX timer %d", e->pid, t->id);
	return 0;
}

int ts_timer_for_thread(const TaskStateEntry *e, const TsPosixTimerEntry *t)
{
	if (!(t->notify & SIGEV_THREAD_ID))
		return -1;
	for (size_t i = 1; i < e->n_threads; i++)
		if ((int32_t)e->threads[i]->tid == t->notify_tid)
			return (int)i;
	return -1;
}

static bool skipped(const struct ts_apply_ctx *a, const TaskStateEntry *e, const TsPosixTimerEntry *t)
{
	return (a->flags & TS_APPLY_SKIP_THREAD_TIMERS) && ts_timer_for_thread(e, t) >= 0;
}

static bool sorted_by_id(const TaskStateEntry *e)
{
	for (size_t i = 1; i < e->n_posix_timers; i++)
		if (e->posix_timers[i]->id <= e->posix_timers[i - 1]->id)
			return false;
	return true;
}

static int apply_posix_timers(const struct ts_apply_ctx *a, const TaskStateEntry *e)
{
	bool by_id;
	int r = 0;

	if (!e->n_posix_timers)
		return 0;
	if (!sorted_by_id(e))
		return log_error_errno(-EINVAL, "task %u: POSIX timers are not in increasing id order", e->pid);
	by_id = !(a->flags & TS_APPLY_SEQUENTIAL_TIMER_IDS) &&
		prctl(PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_ON, 0, 0, 0) == 0;
	if (!by_id && (a->flags & TS_APPLY_SKIP_THREAD_TIMERS))
		for (size_t i = 0; i < e->n_posix_timers; i++)
			if (skipped(a, e, e->posix_timers[i]))
				return log_error_errno(-EOPNOTSUPP, "task %u: POSIX timer %d is aimed at thread %d, and this kernel "
						       "cannot create timers with given ids (PR_TIMER_CREATE_RESTORE_IDS)",
						       e->pid, e->posix_timers[i]->id, e->posix_timers[i]->notify_tid);
	for (size_t i = 0; r >= 0 && i < e->n_posix_timers; i++)
		if (!skipped(a, e, e->posix_timers[i]))
			r = create_timer(a, e, e->posix_timers[i], by_id);
	if (by_id)
		prctl(PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_OFF, 0, 0, 0);
	for (size_t i = 0; r >= 0 && i < e->n_posix_timers; i++)
		if (!skipped(a, e, e->posix_timers[i]))
			r = arm_timer(e, e->posix_timers[i]);
	return r;
}

static int apply_timers(const struct ts_apply_ctx *a, const TaskStateEntry *e)
{
	int r = apply_posix_timers(a, e);

	return r < 0 ? r : apply_itimers(e);
}

/* A timer that fires must find its handler and the mask in place. */
static const char *const timers_needs[] = { "ts-sigactions", "ts-sigmask", NULL };

const struct ts_kind ts_kind_timers = {
	.name = "ts-timers",
	.collect = collect_timers,
	.apply = apply_timers,
	.needs = timers_needs,
};
