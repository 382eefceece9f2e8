/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seccomp: strict mode or a stack of classic BPF filters, read with
 * PTRACE_SECCOMP_GET_FILTER (index 0 is the first installed, the order they
 * are stored and installed in) with their SECCOMP_FILTER_FLAG_LOG
 * (PTRACE_SECCOMP_GET_METADATA: the only flag the kernel keeps per filter).
 * Threads that share the process' mode and filter count (as after TSYNC) get
 * the process' chain with TSYNC; when a thread differs, every thread's own
 * mode and chain are kept (ts_thread_entry.seccomp_own) and each thread
 * installs its own.  Applied last; installing filters needs no_new_privs or
 * CAP_SYS_ADMIN, which the creds step has set up as the task had them.
 */
#include <errno.h>
#include <stdbool.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "log.h"
#include "taskstate-internal.h"

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif

static int get_filter(pid_t pid, unsigned idx, TsSeccompFilterEntry *m)
{
	long n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)(uintptr_t)idx, NULL);

	if (n < 0)
		return negative_errno();
	m->insns.len = n * sizeof(struct sock_filter);
	m->insns.data = malloc(m->insns.len);
	if (!m->insns.data)
		return -ENOMEM;
	if (ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)(uintptr_t)idx, m->insns.data) != n)
		return -EIO;
	return 0;
}

#ifndef PTRACE_SECCOMP_GET_METADATA
#define PTRACE_SECCOMP_GET_METADATA 0x420d
#endif

/* The flags of filter idx the kernel keeps: SECCOMP_FILTER_FLAG_LOG. */
static int get_flags(pid_t pid, unsigned idx, TsSeccompFilterEntry *m)
{
	struct {
		uint64_t filter_off, flags;
	} md = { idx, 0 };

	if (ptrace(PTRACE_SECCOMP_GET_METADATA, pid, (void *)sizeof(md), &md) < 0)
		return negative_errno();
	m->has_flags = true, m->flags = md.flags;
	return 0;
}

/* The chain of tid (a thread of pid, or pid itself), oldest first, into *arr. */
static int collect_filters(pid_t pid, pid_t tid, TsSeccompFilterEntry ***arr, size_t *n, int expected)
{
	for (int i = 0; i < expected; i++) {
		TsSeccompFilterEntry *m = ts_append_msg((void ***)arr, n, sizeof(*m));
		int r;

		if (!m)
			return -ENOMEM;
		ts_seccomp_filter_entry__init(m);
		r = get_filter(tid, i, m);
		if (r < 0)
			return log_error_errno(r, "task %d thread %d: PTRACE_SECCOMP_GET_FILTER #%d", pid, tid, i);
		r = get_flags(tid, i, m);
		if (r < 0)
			return log_error_errno(r, "task %d thread %d: PTRACE_SECCOMP_GET_METADATA #%d", pid, tid, i);
	}
	return 0;
}

static int collect_seccomp(const struct ts_collect_ctx *c _unused_, pid_t pid, TaskStateEntry *e)
{
	struct ts_status main_s;
	bool own = false;
	int r = ts_read_status(pid, 0, &main_s);

	if (r < 0)
		return r;
	ts_status_done(&main_s);
	if (main_s.seccomp < 0) {
		log_debug("task %d: no Seccomp line in status (kernel without seccomp)", pid);
		return 0;
	}
	for (size_t i = 0; i < e->n_threads; i++) {
		struct ts_status s;

		r = ts_read_status(pid, e->threads[i]->tid, &s);
		if (r < 0)
			return r;
		ts_status_done(&s);
		e->threads[i]->has_seccomp_mode = true, e->threads[i]->seccomp_mode = s.seccomp;
		e->threads[i]->has_seccomp_filters = true, e->threads[i]->seccomp_filters = s.seccomp_filters;
		if (s.seccomp != main_s.seccomp || s.seccomp_filters != main_s.seccomp_filters)
			own = true;
	}
	e->has_seccomp_mode = true, e->seccomp_mode = main_s.seccomp;
	if (main_s.seccomp == SECCOMP_MODE_FILTER) {
		r = collect_filters(pid, pid, &e->seccomp_filters, &e->n_seccomp_filters, main_s.seccomp_filters);
		if (r < 0)
			return r;
	}
	/* Threads that differ (one sandboxed thread, say): each thread's own chain. */
	for (size_t i = 0; own && i < e->n_threads; i++) {
		TsThreadEntry *t = e->threads[i];

		t->has_seccomp_own = true, t->seccomp_own = true;
		if (t->seccomp_mode != SECCOMP_MODE_FILTER)
			continue;
		r = collect_filters(pid, (pid_t)t->tid, &t->seccomp_chain, &t->n_seccomp_chain, (int)t->seccomp_filters);
		if (r < 0)
			return r;
	}
	return 0;
}

bool ts_seccomp_per_thread(const TaskStateEntry *e)
{
	for (size_t i = 0; i < e->n_threads; i++)
		if (e->threads[i]->seccomp_own)
			return true;
	return false;
}

unsigned long ts_seize_options(pid_t pid, pid_t tid)
{
	struct ts_status s;

	if (ts_read_status(pid, tid, &s) < 0)
		return 0;
	ts_status_done(&s);
	return s.seccomp > 0 ? PTRACE_O_SUSPEND_SECCOMP : 0;
}

/* mode for the calling thread: strict, or the chain (with TSYNC: for every thread). */
static int install(unsigned pid, uint32_t mode, TsSeccompFilterEntry *const *chain, size_t n, unsigned tsync)
{
	if (mode == SECCOMP_MODE_DISABLED)
		return 0;
	if (mode == SECCOMP_MODE_STRICT) {
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) < 0)
			return log_error_errno(negative_errno(), "task %u: cannot enter seccomp strict mode", pid);
		return 0;
	}
	if (mode != SECCOMP_MODE_FILTER)
		return log_error_errno(-EINVAL, "task %u: unknown seccomp mode %u", pid, mode);
	for (size_t i = 0; i < n; i++) {
		const TsSeccompFilterEntry *m = chain[i];
		struct sock_fprog prog = {
			.len = m->insns.len / sizeof(struct sock_filter),
			.filter = (struct sock_filter *)m->insns.data,
		};
		unsigned flags = tsync | (m->has_flags ? m->flags & SECCOMP_FILTER_FLAG_LOG : 0);

		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) != 0)
			return log_error_errno(errno ? negative_errno() : -EBUSY,
					       "task %u: cannot install seccomp filter %zu of %zu (%u instructions; needs no_new_privs or CAP_SYS_ADMIN)",
					       pid, i + 1, n, prog.len);
	}
	return 0;
}

static int apply_seccomp(const struct ts_apply_ctx *a _unused_, const TaskStateEntry *e)
{
	if (!e->has_seccomp_mode || ts_seccomp_per_thread(e))
		return 0;
	return install(e->pid, e->seccomp_mode, e->seccomp_filters, e->n_seccomp_filters, SECCOMP_FILTER_FLAG_TSYNC);
}

/* Threads with chains of their own: each thread its own, without TSYNC. */
static int apply_seccomp_thread(const struct ts_apply_ctx *a _unused_, const TaskStateEntry *e, const TsThreadEntry *t)
{
	if (!t->seccomp_own || !t->has_seccomp_mode)
		return 0;
	return install(e->pid, t->seccomp_mode, t->seccomp_chain, t->n_seccomp_chain, 0);
}

static const char *const seccomp_needs[] = {
	"ts-state", "ts-rlimits", "ts-sched", "ts-proc", "ts-sigactions", "ts-sigmask", "ts-timers",
	"ts-creds", "ts-prctl", "ts-sigpending", NULL,
};

const struct ts_kind ts_kind_seccomp = {
	.name = "ts-seccomp",
	.collect = collect_seccomp,
	.apply = apply_seccomp,
	.apply_thread = apply_seccomp_thread,
	.needs = seccomp_needs,
};
