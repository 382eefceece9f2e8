/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a parasite would do: read the inside-only values with the library's
 * inside collectors, here through the local runner in the task itself (each
 * thread reads its own), and hand them to the dumper (over a pipe).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ts-test.h"

static int thread_job(void *arg)
{
	TsThreadEntry *t = arg;
	struct ts_runner r;
	int ret = ts_local_runner_init(&r);

	if (ret < 0)
		return ret;
	ret = ts_collect_inside_thread(&r, t);
	ts_local_runner_done(&r);
	return ret;
}

static int write_all(int fd, const void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);

		if (n < 0)
			return -errno;
		done += n;
	}
	return 0;
}

int send_inside_state(int fd, struct worker *w)
{
	pid_t tids[TS_NTHREADS] = { getpid(), w->tid };
	struct ts_collect_ctx c = { 0 };
	TaskStateEntry *e;
	struct ts_runner r;
	uint32_t len;
	uint8_t *buf;
	int ret;

	ret = ts_entry_new(getpid(), tids, TS_NTHREADS, &e);
	if (ret < 0)
		return ret;
	/* The timer ids come from /proc, as the dumper would have them. */
	ret = ts_kind_timers.collect(&c, getpid(), e);
	if (ret >= 0)
		ret = ts_local_runner_init(&r);
	if (ret >= 0) {
		ret = ts_collect_inside(&r, e);
		if (ret >= 0)
			ret = ts_collect_inside_thread(&r, e->threads[0]);
		ts_local_runner_done(&r);
	}
	if (ret >= 0)
		ret = worker_run(w, thread_job, e->threads[1]);
	if (ret < 0) {
		ts_entry_free(e);
		return ret;
	}
	len = task_state_entry__get_packed_size(e);
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	task_state_entry__pack(e, buf);
	ts_entry_free(e);
	ret = write_all(fd, &len, sizeof(len));
	if (ret >= 0)
		ret = write_all(fd, buf, len);
	free(buf);
	return ret;
}

#define MOVE(dst, src) do { (dst) = (src); (src) = NULL; } while (0)

void merge_inside(TaskStateEntry *e, TaskStateEntry *in)
{
	e->has_secbits = in->has_secbits, e->secbits = in->secbits;
	e->has_dumpable = in->has_dumpable, e->dumpable = in->dumpable;
	MOVE(e->sigactions, in->sigactions);
	e->n_sigactions = in->n_sigactions, in->n_sigactions = 0;
	MOVE(e->itimers, in->itimers);
	e->n_itimers = in->n_itimers, in->n_itimers = 0;
	MOVE(e->prctl, in->prctl);
	for (size_t i = 0; i < e->n_posix_timers; i++)
		for (size_t j = 0; j < in->n_posix_timers; j++) {
			TsPosixTimerEntry *t = e->posix_timers[i], *s = in->posix_timers[j];

			if (t->id != s->id)
				continue;
			t->has_armed_known = s->has_armed_known, t->armed_known = s->armed_known;
			t->has_interval_sec = t->has_interval_nsec = t->has_value_sec = t->has_value_nsec = true;
			t->interval_sec = s->interval_sec, t->interval_nsec = s->interval_nsec;
			t->value_sec = s->value_sec, t->value_nsec = s->value_nsec;
			t->has_overrun = s->has_overrun, t->overrun = s->overrun;
		}
	for (size_t i = 0; i < e->n_threads && i < in->n_threads; i++)
		MOVE(e->threads[i]->altstack, in->threads[i]->altstack);
}
