/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The task-state kinds table, entries, collect and apply drivers, images. */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "image.h"
#include "log.h"
#include "taskstate-internal.h"
#include "util.h"

/* In an order that satisfies every need (tests/taskstate checks it). */
static const struct ts_kind *const kinds[] = {
	&ts_kind_state,
	&ts_kind_rlimits,
	&ts_kind_sched,
	&ts_kind_proc,
	&ts_kind_sigactions,
	&ts_kind_sigmask,
	&ts_kind_timers,
	&ts_kind_creds,
	&ts_kind_prctl,
	&ts_kind_sigpending,
	&ts_kind_seccomp,
};

const struct ts_kind *const *ts_kinds(size_t *ret_n)
{
	*ret_n = ARRAY_SIZE(kinds);
	return kinds;
}

const struct ts_kind *ts_kind_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i]->name, name))
			return kinds[i];
	return NULL;
}

int ts_entry_new(pid_t pid, const pid_t *tids, size_t nr_tids, TaskStateEntry **ret)
{
	TaskStateEntry *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	task_state_entry__init(e);
	e->pid = pid;
	e->threads = calloc(nr_tids ? nr_tids : 1, sizeof(*e->threads));
	if (!e->threads) {
		free(e);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nr_tids; i++) {
		TsThreadEntry *t = calloc(1, sizeof(*t));

		if (!t) {
			ts_entry_free(e);
			return -ENOMEM;
		}
		ts_thread_entry__init(t);
		t->tid = tids[i];
		e->threads[e->n_threads++] = t;
	}
	*ret = e;
	return 0;
}

void ts_entry_free(TaskStateEntry *e)
{
	/* Every field is malloc'ed, as an unpacked message's would be. */
	if (e)
		protobuf_c_message_free_unpacked(&e->base, NULL);
}

TsThreadEntry *ts_thread_of(TaskStateEntry *e, pid_t tid)
{
	for (size_t i = 0; i < e->n_threads; i++)
		if ((pid_t)e->threads[i]->tid == tid)
			return e->threads[i];
	return NULL;
}

void *ts_append_msg(void ***arr, size_t *n, size_t size)
{
	void **a = realloc(*arr, (*n + 1) * sizeof(void *));
	void *m;

	if (!a)
		return NULL;
	*arr = a;
	m = calloc(1, size);
	if (!m)
		return NULL;
	a[(*n)++] = m;
	return m;
}

int ts_collect(const struct ts_collect_ctx *c, pid_t pid, TaskStateEntry *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		int r;

		if (!kinds[i]->collect)
			continue;
		r = kinds[i]->collect(c, pid, e);
		if (r < 0)
			return r;	/* logged by the kind */
	}
	return 0;
}

int ts_collect_inside(const struct ts_runner *r, TaskStateEntry *e)
{
	int ret;

	ret = ts_creds_collect_inside(r, e);
	if (ret >= 0)
		ret = ts_signals_collect_inside(r, e);
	if (ret >= 0)
		ret = ts_timers_collect_inside(r, e);
	if (ret >= 0)
		ret = ts_prctl_collect_inside(r, e);
	return ret;
}

int ts_collect_inside_thread(const struct ts_runner *r, TsThreadEntry *t)
{
	int ret = ts_signals_collect_inside_thread(r, t);

	if (ret >= 0)
		ret = ts_creds_collect_inside_thread(r, t);
	if (ret >= 0)
		ret = ts_prctl_collect_inside_thread(r, t);
	return ret;
}

pid_t ts_apply_tid(const struct ts_apply_ctx *a, const TaskStateEntry *e, size_t idx)
{
	if (a->tids && idx < a->nr_tids)
		return a->tids[idx];
	return idx < e->n_threads ? (pid_t)e->threads[idx]->tid : -1;
}

int ts_apply_kind(const struct ts_kind *k, const struct ts_apply_ctx *a, const TaskStateEntry *e)
{
	return k->apply ? k->apply(a, e) : 0;
}

int ts_apply_kind_thread(const struct ts_kind *k, const struct ts_apply_ctx *a,
			 const TaskStateEntry *e, size_t thread_idx)
{
	if (!k->apply_thread)
		return 0;
	if (thread_idx >= e->n_threads)
		return log_error_errno(-EINVAL, "task %u: no thread #%zu in its task state", e->pid, thread_idx);
	return k->apply_thread(a, e, e->threads[thread_idx]);
}

int ts_apply_all(const struct ts_apply_ctx *a, const TaskStateEntry *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		int r = ts_apply_kind(kinds[i], a, e);

		if (r >= 0 && e->n_threads)
			r = ts_apply_kind_thread(kinds[i], a, e, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- images ---------------------------------------------------------- */

int ts_image_write(struct img_dir *d, const TaskStateEntry *e)
{
	struct img *img;
	int r, r2;

	r = img_open(d, IMG_TASKSTATE, true, &img, (int)e->pid);
	if (r < 0)
		return r;
	r = img_write(img, &e->base);
	r2 = img_close(img);
	return r < 0 ? r : r2;
}

/* What apply relies on beyond what protobuf checks. */
static int ts_entry_check(const TaskStateEntry *e, pid_t pid)
{
	if ((pid_t)e->pid != pid)
		return log_error_errno(-EBADMSG, "taskstate-%d.img: holds pid %u", pid, e->pid);
	if (e->creds && e->creds->n_groups > TS_NGROUPS_MAX)
		return log_error_errno(-EBADMSG, "taskstate-%d.img: %zu supplementary groups", pid,
				       e->creds->n_groups);
	for (size_t i = 0; i < e->n_shared_pending; i++)
		if (e->shared_pending[i]->siginfo.len != 128)
			return log_error_errno(-EBADMSG, "taskstate-%d.img: shared signal #%zu: siginfo of %zu bytes, not 128",
					       pid, i, e->shared_pending[i]->siginfo.len);
	for (size_t t = 0; t < e->n_threads; t++)
		if (e->threads[t]->creds && e->threads[t]->creds->n_groups > TS_NGROUPS_MAX)
			return log_error_errno(-EBADMSG, "taskstate-%d.img: thread %u: %zu supplementary groups", pid,
					       e->threads[t]->tid, e->threads[t]->creds->n_groups);
	for (size_t t = 0; t < e->n_threads; t++)
		for (size_t i = 0; i < e->threads[t]->n_pending; i++)
			if (e->threads[t]->pending[i]->siginfo.len != 128)
				return log_error_errno(-EBADMSG, "taskstate-%d.img: thread %u: signal #%zu: siginfo of %zu bytes, not 128",
						       pid, e->threads[t]->tid, i,
						       e->threads[t]->pending[i]->siginfo.len);
	for (size_t i = 0; i < e->n_seccomp_filters; i++) {
		size_t len = e->seccomp_filters[i]->insns.len;

		if (!len || len % 8 || len / 8 > 4096)
			return log_error_errno(-EBADMSG, "taskstate-%d.img: seccomp filter #%zu: %zu bytes is not a BPF program",
					       pid, i, len);
	}
	return 0;
}

int ts_image_read(struct img_dir *d, pid_t pid, TaskStateEntry **ret)
{
	ProtobufCMessage *m = NULL;
	struct img *img;
	int r, r2;

	r = img_open(d, IMG_TASKSTATE, false, &img, (int)pid);
	if (r < 0)
		return log_error_errno(r, "cannot open taskstate-%d.img", pid);
	r = img_read_one(img, &m);
	r2 = img_close(img);
	if (r >= 0 && r2 < 0)
		r = r2;
	if (r >= 0)
		r = ts_entry_check((TaskStateEntry *)m, pid);
	if (r < 0) {
		if (m)
			img_free_msg(m);
		return r;
	}
	*ret = (TaskStateEntry *)m;
	return 0;
}

/* ---- the local runner --------------------------------------------------- */

#define TS_LOCAL_SCRATCH 8192

static int local_syscall(void *opaque _unused_, pid_t tid, long nr, const uint64_t args[6], int64_t *ret)
{
	long v;

	if (tid && tid != (pid_t)syscall(SYS_gettid))
		return -ESRCH;
	v = syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
	*ret = v < 0 ? -errno : v;
	return 0;
}

static int local_read(void *opaque, uint64_t off, void *buf, size_t len)
{
	if (off > TS_LOCAL_SCRATCH || len > TS_LOCAL_SCRATCH - off)
		return -EFAULT;
	memcpy(buf, (char *)opaque + off, len);
	return 0;
}

static int local_write(void *opaque, uint64_t off, const void *buf, size_t len)
{
	if (off > TS_LOCAL_SCRATCH || len > TS_LOCAL_SCRATCH - off)
		return -EFAULT;
	memcpy((char *)opaque + off, buf, len);
	return 0;
}

int ts_local_runner_init(struct ts_runner *r)
{
	void *buf = calloc(1, TS_LOCAL_SCRATCH);

	if (!buf)
		return -ENOMEM;
	*r = (struct ts_runner){
		.opaque = buf,
		.scratch = (uint64_t)(uintptr_t)buf,
		.scratch_size = TS_LOCAL_SCRATCH,
		.syscall = local_syscall,
		.read = local_read,
		.write = local_write,
	};
	return 0;
}

void ts_local_runner_done(struct ts_runner *r)
{
	free(r->opaque);
	r->opaque = NULL;
}

int64_t ts_run(const struct ts_runner *r, pid_t tid, long nr, uint64_t a0, uint64_t a1,
	       uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	const uint64_t args[6] = { a0, a1, a2, a3, a4, a5 };
	int64_t ret;
	int err = r->syscall(r->opaque, tid, nr, args, &ret);

	return err < 0 ? err : ret;
}
