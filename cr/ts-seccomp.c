/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seccomp: strict mode or a stack of classic BPF filters, read with
 * PTRACE_SECCOMP_GET_FILTER (index 0 is the first installed, the order they
 * are stored and installed in).
 * Threads must share the process' chain (as after TSYNC); a thread with a
 * different mode or filter count is refused.  Applied last, with TSYNC so
 * every thread gets the chain; installing filters needs no_new_privs or
 * CAP_SYS_ADMIN, which the creds step has set up as the task had them.
 */
#include <errno.h>
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

static int collect_filters(pid_t pid, TaskStateEntry *e, int expected)
{
	for (int i = 0; i < expected; i++) {
		TsSeccompFilterEntry *m = ts_append_msg((void ***)&e->seccomp_filters, &e->n_seccomp_filters, sizeof(*m));
		int r;

		if (!m)
			return -ENOMEM;
		ts_seccomp_filter_entry__init(m);
		r = get_filter(pid, i, m);
		if (r < 0)
			return log_error_errno(r, "task %d: PTRACE_SECCOMP_GET_FILTER #%d", pid, i);
	}
	return 0;
}

static int collect_seccomp(const struct ts_collect_ctx *c _unused_, pid_t pid, TaskStateEntry *e)
{
	struct ts_status main_s;
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
			return log_error_errno(-EOPNOTSUPP, "task %d: thread %u has seccomp mode %d with %d filters, the process %d with %d: per-thread chains are not supported",
					       pid, e->threads[i]->tid, s.seccomp, s.seccomp_filters, main_s.seccomp,
					       main_s.seccomp_filters);
	}
	e->has_seccomp_mode = true, e->seccomp_mode = main_s.seccomp;
	if (main_s.seccomp != SECCOMP_MODE_FILTER)
		return 0;
	return collect_filters(pid, e, main_s.seccomp_filters);
}

unsigned long ts_seize_options(pid_t pid, pid_t tid)
{
	struct ts_status s;

	if (ts_read_status(pid, tid, &s) < 0)
		return 0;
	ts_status_done(&s);
	return s.seccomp > 0 ? PTRACE_O_SUSPEND_SECCOMP : 0;
}

static int apply_seccomp(const struct ts_apply_ctx *a _unused_, const TaskStateEntry *e)
{
	if (!e->has_seccomp_mode || e->seccomp_mode == SECCOMP_MODE_DISABLED)
		return 0;
	if (e->seccomp_mode == SECCOMP_MODE_STRICT) {
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) < 0)
			return log_error_errno(negative_errno(), "task %u: cannot enter seccomp strict mode", e->pid);
		return 0;
	}
	if (e->seccomp_mode != SECCOMP_MODE_FILTER)
		return log_error_errno(-EINVAL, "task %u: unknown seccomp mode %u", e->pid, e->seccomp_mode);
	for (size_t i = 0; i < e->n_seccomp_filters; i++) {
		const TsSeccompFilterEntry *m = e->seccomp_filters[i];
		struct sock_fprog prog = {
			.len = m->insns.len / sizeof(struct sock_filter),
			.filter = (struct sock_filter *)m->insns.data,
		};

		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0)
			return log_error_errno(errno ? negative_errno() : -EBUSY,
					       "task %u: cannot install seccomp filter %zu of %zu (%u instructions; needs no_new_privs or CAP_SYS_ADMIN)",
					       e->pid, i + 1, e->n_seccomp_filters, prog.len);
	}
	return 0;
}

static const char *const seccomp_needs[] = {
	"ts-state", "ts-rlimits", "ts-sched", "ts-proc", "ts-sigactions", "ts-sigmask", "ts-timers",
	"ts-creds", "ts-prctl", "ts-sigpending", NULL,
};

const struct ts_kind ts_kind_seccomp = {
	.name = "ts-seccomp",
	.collect = collect_seccomp,
	.apply = apply_seccomp,
	.needs = seccomp_needs,
};
