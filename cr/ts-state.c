/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stopped and traced states.  A task in a group stop (SIGSTOP) is recorded
 * so the core restores it stopped; a task traced by anyone but the dumper (a
 * debugger) is refused: its tracer's view cannot be checkpointed.
 */
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include "log.h"
#include "taskstate-internal.h"

static int collect_state(const struct ts_collect_ctx *c, pid_t pid, TaskStateEntry *e)
{
	pid_t me = c->tracer ? c->tracer : getpid();

	for (size_t i = 0; i < e->n_threads; i++) {
		struct ts_status s;
		int r = ts_read_status(pid, e->threads[i]->tid, &s);

		if (r < 0)
			return r;
		ts_status_done(&s);
		if (s.tracer && s.tracer != me)
			return log_error_errno(-EBUSY, "task %d (thread %u) is traced by pid %d (a debugger?), not by the dumper %d: refusing to dump it",
					       pid, e->threads[i]->tid, s.tracer, me);
		if (i == 0) {
			e->has_stopped = true;
			e->stopped = c->stopped_known ? c->stopped : s.state == 'T';
		}
	}
	if (e->stopped)
		e->has_stop_signal = true, e->stop_signal = SIGSTOP;
	return 0;
}

const struct ts_kind ts_kind_state = {
	.name = "ts-state",
	.collect = collect_state,
};
