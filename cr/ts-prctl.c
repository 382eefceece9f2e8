/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * prctl state only readable inside the task: parent-death signal, child
 * subreaper, THP disable, timer slack (the process' and each thread's).  Applied after the creds (a creds
 * change clears the parent-death signal).
 */
#include <errno.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "log.h"
#include "taskstate-internal.h"

/* prctl(op, &int) through the runner: the int lands in its scratch area. */
static int get_int(const struct ts_runner *r, int op, int *ret)
{
	int64_t v = ts_run(r, 0, SYS_prctl, op, r->scratch, 0, 0, 0, 0);

	if (v < 0)
		return (int)v;
	return r->read(r->opaque, 0, ret, sizeof(*ret));
}

int ts_prctl_collect_inside(const struct ts_runner *r, TaskStateEntry *e)
{
	TsPrctlEntry *p = calloc(1, sizeof(*p));
	int v, ret;
	int64_t x;

	if (!p)
		return -ENOMEM;
	ts_prctl_entry__init(p);
	if (e->prctl)
		ts_prctl_entry__free_unpacked(e->prctl, NULL);
	e->prctl = p;
	ret = get_int(r, PR_GET_PDEATHSIG, &v);
	if (ret < 0)
		return log_error_errno(ret, "task %u: PR_GET_PDEATHSIG", e->pid);
	p->has_pdeath_signal = true, p->pdeath_signal = v;
	ret = get_int(r, PR_GET_CHILD_SUBREAPER, &v);
	if (ret < 0)
		return log_error_errno(ret, "task %u: PR_GET_CHILD_SUBREAPER", e->pid);
	p->has_child_subreaper = true, p->child_subreaper = v != 0;
	x = ts_run(r, 0, SYS_prctl, PR_GET_THP_DISABLE, 0, 0, 0, 0, 0);
	if (x < 0)
		return log_error_errno((int)x, "task %u: PR_GET_THP_DISABLE", e->pid);
	p->has_thp_disable = true, p->thp_disable = x;
	x = ts_run(r, 0, SYS_prctl, PR_GET_TIMERSLACK, 0, 0, 0, 0, 0);
	if (x < 0)
		return log_error_errno((int)x, "task %u: PR_GET_TIMERSLACK", e->pid);
	p->has_timer_slack_ns = true, p->timer_slack_ns = x;
	return 0;
}

/* Timer slack is per thread: each thread's own. */
int ts_prctl_collect_inside_thread(const struct ts_runner *r, TsThreadEntry *t)
{
	int64_t x = ts_run(r, t->tid, SYS_prctl, PR_GET_TIMERSLACK, 0, 0, 0, 0, 0);

	if (x < 0)
		return log_error_errno((int)x, "thread %u: PR_GET_TIMERSLACK", t->tid);
	t->has_timer_slack_ns = true, t->timer_slack_ns = x;
	return 0;
}

static int apply_prctl_thread(const struct ts_apply_ctx *a _unused_, const TaskStateEntry *e,
			      const TsThreadEntry *t)
{
	if (t->has_timer_slack_ns && t->timer_slack_ns && prctl(PR_SET_TIMERSLACK, t->timer_slack_ns, 0, 0, 0) < 0)
		return log_error_errno(negative_errno(), "task %u thread %u: cannot set timer slack %llu ns", e->pid, t->tid,
				       (unsigned long long)t->timer_slack_ns);
	return 0;
}

static int apply_prctl(const struct ts_apply_ctx *a _unused_, const TaskStateEntry *e)
{
	const TsPrctlEntry *p = e->prctl;

	if (!p)
		return 0;
	if (p->has_pdeath_signal && prctl(PR_SET_PDEATHSIG, p->pdeath_signal, 0, 0, 0) < 0)
		return log_error_errno(negative_errno(), "task %u: cannot set the parent-death signal %d", e->pid, p->pdeath_signal);
	if (p->has_child_subreaper && prctl(PR_SET_CHILD_SUBREAPER, p->child_subreaper, 0, 0, 0) < 0)
		return log_error_errno(negative_errno(), "task %u: cannot set child subreaper", e->pid);
	if (p->has_thp_disable && prctl(PR_SET_THP_DISABLE, p->thp_disable, 0, 0, 0) < 0)
		return log_error_errno(negative_errno(), "task %u: cannot set THP disable %d", e->pid, p->thp_disable);
	/* Slack 0 means "back to the default" to the kernel; the value read is never 0. */
	if (p->has_timer_slack_ns && p->timer_slack_ns && prctl(PR_SET_TIMERSLACK, p->timer_slack_ns, 0, 0, 0) < 0)
		return log_error_errno(negative_errno(), "task %u: cannot set timer slack %llu ns", e->pid,
				       (unsigned long long)p->timer_slack_ns);
	return 0;
}

static const char *const prctl_needs[] = { "ts-creds", NULL };

const struct ts_kind ts_kind_prctl = {
	.name = "ts-prctl",
	.apply = apply_prctl,
	.apply_thread = apply_prctl_thread,
	.needs = prctl_needs,
};
