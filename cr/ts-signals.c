/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Signals: dispositions (inside: rt_sigaction), each thread's blocked mask
 * (PTRACE_GETSIGMASK) and altstack (inside: sigaltstack), and the queued
 * signals, private to a thread and shared by the process, with their siginfo
 * and in queue order (PTRACE_PEEKSIGINFO).
 *
 * Apply uses raw syscalls: the handler, flags, restorer and mask go back
 * exactly as the kernel had them (libc's sigaction would put in its own
 * restorer).  Queued signals are sent by the main thread to itself, the one
 * case where the kernel takes any si_code; each thread's mask is set first so
 * blocked signals stay queued.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "log.h"
#include "taskstate-internal.h"

#define TS_NSIG 64
#define TS_SIGINFO_SIZE 128
#define TS_PEEK_BATCH 32

/* The kernel's struct sigaction on x86_64. */
struct ts_ksigaction {
	uint64_t handler, flags, restorer, mask;
};

struct ts_peeksiginfo_args {
	uint64_t off;
	uint32_t flags;
	int32_t nr;
};

/* ---- dispositions -------------------------------------------------------- */

int ts_signals_collect_inside(const struct ts_runner *r, TaskStateEntry *e)
{
	for (int sig = 1; sig <= TS_NSIG; sig++) {
		struct ts_ksigaction ka;
		TsSigactionEntry *m;
		int64_t v;
		int ret;

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		v = ts_run(r, 0, SYS_rt_sigaction, sig, 0, r->scratch, 8, 0, 0);
		if (v < 0)
			return log_error_errno((int)v, "task %u: rt_sigaction(%d)", e->pid, sig);
		ret = r->read(r->opaque, 0, &ka, sizeof(ka));
		if (ret < 0)
			return ret;
		m = ts_append_msg((void ***)&e->sigactions, &e->n_sigactions, sizeof(*m));
		if (!m)
			return -ENOMEM;
		ts_sigaction_entry__init(m);
		m->signo = sig, m->handler = ka.handler, m->flags = ka.flags;
		m->restorer = ka.restorer, m->mask = ka.mask;
	}
	return 0;
}

int ts_signals_collect_inside_thread(const struct ts_runner *r, TsThreadEntry *t)
{
	stack_t ss;
	int64_t v = ts_run(r, t->tid, SYS_sigaltstack, 0, r->scratch, 0, 0, 0, 0);
	int ret;

	if (v < 0)
		return log_error_errno((int)v, "thread %u: sigaltstack", t->tid);
	ret = r->read(r->opaque, 0, &ss, sizeof(ss));
	if (ret < 0)
		return ret;
	t->altstack = calloc(1, sizeof(*t->altstack));
	if (!t->altstack)
		return -ENOMEM;
	ts_sigaltstack_entry__init(t->altstack);
	t->altstack->sp = (uintptr_t)ss.ss_sp, t->altstack->size = ss.ss_size, t->altstack->flags = ss.ss_flags;
	return 0;
}

static int apply_sigactions(const struct ts_apply_ctx *a _unused_, const TaskStateEntry *e)
{
	for (size_t i = 0; i < e->n_sigactions; i++) {
		const TsSigactionEntry *m = e->sigactions[i];
		struct ts_ksigaction ka = { m->handler, m->flags, m->restorer, m->mask };

		if (m->signo == SIGKILL || m->signo == SIGSTOP)
			continue;
		if (syscall(SYS_rt_sigaction, m->signo, &ka, NULL, 8) < 0)
			return log_error_errno(negative_errno(), "task %u: cannot set the action of signal %u", e->pid, m->signo);
	}
	return 0;
}

const struct ts_kind ts_kind_sigactions = {
	.name = "ts-sigactions",
	.apply = apply_sigactions,
};

/* ---- masks and altstacks --------------------------------------------------- */

static int collect_sigmask(const struct ts_collect_ctx *c _unused_, pid_t pid _unused_, TaskStateEntry *e)
{
	for (size_t i = 0; i < e->n_threads; i++) {
		TsThreadEntry *t = e->threads[i];
		uint64_t mask;

		if (ptrace(PTRACE_GETSIGMASK, t->tid, sizeof(mask), &mask) < 0)
			return log_error_errno(negative_errno(), "thread %u: PTRACE_GETSIGMASK (is it ptrace-stopped by us?)", t->tid);
		t->has_blocked = true, t->blocked = mask;
	}
	return 0;
}

static int apply_sigmask_thread(const struct ts_apply_ctx *a _unused_, const TaskStateEntry *e,
				const TsThreadEntry *t)
{
	if (t->altstack) {
		stack_t ss = { .ss_sp = (void *)(uintptr_t)t->altstack->sp, .ss_size = t->altstack->size,
			       .ss_flags = t->altstack->flags & SS_DISABLE };

		if (sigaltstack(&ss, NULL) < 0)
			return log_error_errno(negative_errno(), "task %u thread %u: cannot set the altstack %#llx+%llu",
					       e->pid, t->tid, (unsigned long long)t->altstack->sp,
					       (unsigned long long)t->altstack->size);
	}
	if (t->has_blocked) {
		uint64_t mask = t->blocked;

		if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, NULL, 8) < 0)
			return log_error_errno(negative_errno(), "task %u thread %u: cannot set the blocked mask", e->pid, t->tid);
	}
	return 0;
}

static const char *const sigmask_needs[] = { "ts-sigactions", NULL };

const struct ts_kind ts_kind_sigmask = {
	.name = "ts-sigmask",
	.collect = collect_sigmask,
	.apply_thread = apply_sigmask_thread,
	.needs = sigmask_needs,
};

/* ---- queued signals ----------------------------------------------------------- */

static int peek_queue(pid_t tid, bool shared, TsSiginfoEntry ***arr, size_t *n)
{
	uint8_t buf[TS_PEEK_BATCH * TS_SIGINFO_SIZE];

	for (;;) {
		struct ts_peeksiginfo_args args = { *n, shared ? PTRACE_PEEKSIGINFO_SHARED : 0, TS_PEEK_BATCH };
		long got = ptrace(PTRACE_PEEKSIGINFO, tid, &args, buf);

		if (got < 0)
			return log_error_errno(negative_errno(), "thread %d: PTRACE_PEEKSIGINFO (%s)", tid,
					       shared ? "shared" : "private");
		if (got == 0)
			return 0;
		for (long i = 0; i < got; i++) {
			TsSiginfoEntry *m = ts_append_msg((void ***)arr, n, sizeof(*m));

			if (!m)
				return -ENOMEM;
			ts_siginfo_entry__init(m);
			m->siginfo.data = malloc(TS_SIGINFO_SIZE);
			if (!m->siginfo.data)
				return -ENOMEM;
			memcpy(m->siginfo.data, buf + i * TS_SIGINFO_SIZE, TS_SIGINFO_SIZE);
			m->siginfo.len = TS_SIGINFO_SIZE;
		}
	}
}

static int collect_sigpending(const struct ts_collect_ctx *c _unused_, pid_t pid, TaskStateEntry *e)
{
	int r = peek_queue(pid, true, &e->shared_pending, &e->n_shared_pending);

	for (size_t i = 0; r >= 0 && i < e->n_threads; i++)
		r = peek_queue(e->threads[i]->tid, false, &e->threads[i]->pending, &e->threads[i]->n_pending);
	return r;
}

static int queue_one(const TaskStateEntry *e, pid_t tid, const TsSiginfoEntry *m)
{
	siginfo_t si;
	long ret;

	memcpy(&si, m->siginfo.data, sizeof(si));
	if (tid)
		ret = syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, si.si_signo, &si);
	else
		ret = syscall(SYS_rt_sigqueueinfo, getpid(), si.si_signo, &si);
	if (ret < 0)
		return log_error_errno(negative_errno(), "task %u: cannot queue signal %d (code %d) to %s %d", e->pid,
				       si.si_signo, si.si_code, tid ? "thread" : "process", tid ? tid : getpid());
	return 0;
}

/* On the main thread: the kernel takes any si_code only from a task to itself. */
static int apply_sigpending(const struct ts_apply_ctx *a, const TaskStateEntry *e)
{
	int r;

	if (getpid() != (pid_t)syscall(SYS_gettid))
		return log_error_errno(-EINVAL, "task %u: queued signals must be sent from the main thread", e->pid);
	for (size_t t = 0; t < e->n_threads; t++) {
		pid_t tid = ts_apply_tid(a, e, t);

		for (size_t i = 0; i < e->threads[t]->n_pending; i++) {
			r = queue_one(e, tid, e->threads[t]->pending[i]);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < e->n_shared_pending; i++) {
		r = queue_one(e, 0, e->shared_pending[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *const sigpending_needs[] = { "ts-sigmask", "ts-sigactions", NULL };

const struct ts_kind ts_kind_sigpending = {
	.name = "ts-sigpending",
	.collect = collect_sigpending,
	.apply = apply_sigpending,
	.needs = sigpending_needs,
};
