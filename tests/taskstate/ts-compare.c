/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Field-by-field comparison of two task states (the original's and the
 * restored copy's, each collected from outside).  Thread tids differ, so
 * threads are compared by index.  Armed timers count down: a restored value
 * must be no larger than the original's and zero only where it was zero.
 */
#include <stdio.h>
#include <string.h>
#include "ts-test.h"

struct cmp {
	const char *only;
	struct diff_count *count;
};

static void diff(struct cmp *c, const char *kind, const char *field, unsigned long long a, unsigned long long b)
{
	printf("DIFF %s %s: original %#llx, restored %#llx\n", kind, field, a, b);
	c->count->total++;
	if (!c->only || !strcmp(c->only, kind))
		c->count->in_kind++;
}

#define EQ(kind, field, a, b) do { if ((unsigned long long)(a) != (unsigned long long)(b)) diff(c, kind, field, a, b); } while (0)

static void eq_str(struct cmp *c, const char *kind, const char *field, const char *a, const char *b)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b))) {
		printf("DIFF %s %s: original '%s', restored '%s'\n", kind, field, a ? a : "(none)", b ? b : "(none)");
		c->count->total++;
		if (!c->only || !strcmp(c->only, kind))
			c->count->in_kind++;
	}
}

/* A countdown: restored <= original, and zero exactly when the original is zero. */
static void countdown(struct cmp *c, const char *kind, const char *field, unsigned long long a, unsigned long long b)
{
	if (b > a || (a == 0) != (b == 0))
		diff(c, kind, field, a, b);
}

static void cmp_creds(struct cmp *c, const TaskStateEntry *a, const TaskStateEntry *b)
{
	const TsCredsEntry *x = a->creds, *y = b->creds;
	const char *k = "ts-creds";

	if (!x || !y) {
		EQ(k, "creds present", !!x, !!y);
		return;
	}
	EQ(k, "uid", x->uid, y->uid); EQ(k, "euid", x->euid, y->euid);
	EQ(k, "suid", x->suid, y->suid); EQ(k, "fsuid", x->fsuid, y->fsuid);
	EQ(k, "gid", x->gid, y->gid); EQ(k, "egid", x->egid, y->egid);
	EQ(k, "sgid", x->sgid, y->sgid); EQ(k, "fsgid", x->fsgid, y->fsgid);
	EQ(k, "groups count", x->n_groups, y->n_groups);
	for (size_t i = 0; i < x->n_groups && i < y->n_groups; i++)
		EQ(k, "groups[i]", x->groups[i], y->groups[i]);
	EQ(k, "cap_inh", x->cap_inh, y->cap_inh); EQ(k, "cap_prm", x->cap_prm, y->cap_prm);
	EQ(k, "cap_eff", x->cap_eff, y->cap_eff); EQ(k, "cap_bnd", x->cap_bnd, y->cap_bnd);
	EQ(k, "cap_amb", x->cap_amb, y->cap_amb);
	EQ(k, "no_new_privs", x->no_new_privs, y->no_new_privs);
	EQ(k, "secbits", a->secbits, b->secbits);
	EQ(k, "dumpable", a->dumpable, b->dumpable);
}

static void cmp_rlimits(struct cmp *c, const TaskStateEntry *a, const TaskStateEntry *b)
{
	char f[96];

	EQ("ts-rlimits", "count", a->n_rlimits, b->n_rlimits);
	for (size_t i = 0; i < a->n_rlimits && i < b->n_rlimits; i++) {
		snprintf(f, sizeof(f), "RLIMIT_%s soft", ts_rlimit_name(a->rlimits[i]->resource));
		EQ("ts-rlimits", f, a->rlimits[i]->cur, b->rlimits[i]->cur);
		snprintf(f, sizeof(f), "RLIMIT_%s hard", ts_rlimit_name(a->rlimits[i]->resource));
		EQ("ts-rlimits", f, a->rlimits[i]->max, b->rlimits[i]->max);
	}
}

static void cmp_signals(struct cmp *c, const TaskStateEntry *a, const TaskStateEntry *b)
{
	char f[96];

	EQ("ts-sigactions", "count", a->n_sigactions, b->n_sigactions);
	for (size_t i = 0; i < a->n_sigactions && i < b->n_sigactions; i++) {
		const TsSigactionEntry *x = a->sigactions[i], *y = b->sigactions[i];

		snprintf(f, sizeof(f), "signal %u handler", x->signo);
		EQ("ts-sigactions", f, x->handler, y->handler);
		snprintf(f, sizeof(f), "signal %u flags", x->signo);
		EQ("ts-sigactions", f, x->flags, y->flags);
		snprintf(f, sizeof(f), "signal %u restorer", x->signo);
		EQ("ts-sigactions", f, x->restorer, y->restorer);
		snprintf(f, sizeof(f), "signal %u mask", x->signo);
		EQ("ts-sigactions", f, x->mask, y->mask);
	}
	EQ("ts-sigpending", "shared queue length", a->n_shared_pending, b->n_shared_pending);
	for (size_t i = 0; i < a->n_shared_pending && i < b->n_shared_pending; i++) {
		snprintf(f, sizeof(f), "shared queue #%zu siginfo", i);
		EQ("ts-sigpending", f, 0, !!memcmp(a->shared_pending[i]->siginfo.data, b->shared_pending[i]->siginfo.data, 128));
	}
	for (size_t t = 0; t < a->n_threads && t < b->n_threads; t++) {
		const TsThreadEntry *x = a->threads[t], *y = b->threads[t];

		snprintf(f, sizeof(f), "thread #%zu blocked", t);
		EQ("ts-sigmask", f, x->blocked, y->blocked);
		snprintf(f, sizeof(f), "thread #%zu altstack present", t);
		EQ("ts-sigmask", f, !!x->altstack, !!y->altstack);
		if (x->altstack && y->altstack) {
			snprintf(f, sizeof(f), "thread #%zu altstack sp", t);
			EQ("ts-sigmask", f, x->altstack->sp, y->altstack->sp);
			snprintf(f, sizeof(f), "thread #%zu altstack size", t);
			EQ("ts-sigmask", f, x->altstack->size, y->altstack->size);
			snprintf(f, sizeof(f), "thread #%zu altstack flags", t);
			EQ("ts-sigmask", f, x->altstack->flags, y->altstack->flags);
		}
		snprintf(f, sizeof(f), "thread #%zu private queue length", t);
		EQ("ts-sigpending", f, x->n_pending, y->n_pending);
		for (size_t i = 0; i < x->n_pending && i < y->n_pending; i++) {
			snprintf(f, sizeof(f), "thread #%zu private queue #%zu siginfo", t, i);
			EQ("ts-sigpending", f, 0, !!memcmp(x->pending[i]->siginfo.data, y->pending[i]->siginfo.data, 128));
		}
	}
}

static int thread_index(const TaskStateEntry *e, int tid)
{
	for (size_t i = 0; i < e->n_threads; i++)
		if ((int)e->threads[i]->tid == tid)
			return i;
	return -1;
}

static void cmp_timers(struct cmp *c, const TaskStateEntry *a, const TaskStateEntry *b)
{
	const char *k = "ts-timers";
	char f[96];

	EQ(k, "itimer count", a->n_itimers, b->n_itimers);
	for (size_t i = 0; i < a->n_itimers && i < b->n_itimers; i++) {
		const TsItimerEntry *x = a->itimers[i], *y = b->itimers[i];

		snprintf(f, sizeof(f), "itimer %u interval", x->which);
		EQ(k, f, x->interval_sec * 1000000 + x->interval_usec, y->interval_sec * 1000000 + y->interval_usec);
		snprintf(f, sizeof(f), "itimer %u value", x->which);
		/* The kernel rounds a CPU-time itimer up by one tick when it is set (10 ms at HZ=100). */
		countdown(c, k, f, x->value_sec * 1000000 + x->value_usec + (x->which && x->value_sec ? 10000 : 0),
			  y->value_sec * 1000000 + y->value_usec);
	}
	EQ(k, "POSIX timer count", a->n_posix_timers, b->n_posix_timers);
	for (size_t i = 0; i < a->n_posix_timers && i < b->n_posix_timers; i++) {
		const TsPosixTimerEntry *x = a->posix_timers[i], *y = b->posix_timers[i];

		snprintf(f, sizeof(f), "POSIX timer #%zu id", i);
		EQ(k, f, x->id, y->id);
		snprintf(f, sizeof(f), "POSIX timer %d clock", x->id);
		EQ(k, f, x->clock, y->clock);
		snprintf(f, sizeof(f), "POSIX timer %d notify", x->id);
		EQ(k, f, x->notify, y->notify);
		snprintf(f, sizeof(f), "POSIX timer %d signal", x->id);
		EQ(k, f, x->signo, y->signo);
		snprintf(f, sizeof(f), "POSIX timer %d sigval", x->id);
		EQ(k, f, x->sigval, y->sigval);
		snprintf(f, sizeof(f), "POSIX timer %d target thread", x->id);
		if (x->has_notify_tid || y->has_notify_tid)
			EQ(k, f, thread_index(a, x->notify_tid), thread_index(b, y->notify_tid));
		snprintf(f, sizeof(f), "POSIX timer %d interval", x->id);
		EQ(k, f, x->interval_sec * 1000000000 + x->interval_nsec, y->interval_sec * 1000000000 + y->interval_nsec);
		snprintf(f, sizeof(f), "POSIX timer %d value", x->id);
		countdown(c, k, f, x->value_sec * 1000000000 + x->value_nsec, y->value_sec * 1000000000 + y->value_nsec);
	}
}

static void cmp_seccomp(struct cmp *c, const TaskStateEntry *a, const TaskStateEntry *b)
{
	const char *k = "ts-seccomp";
	char f[96];

	EQ(k, "mode", a->seccomp_mode, b->seccomp_mode);
	EQ(k, "filter count", a->n_seccomp_filters, b->n_seccomp_filters);
	for (size_t i = 0; i < a->n_seccomp_filters && i < b->n_seccomp_filters; i++) {
		const ProtobufCBinaryData *x = &a->seccomp_filters[i]->insns, *y = &b->seccomp_filters[i]->insns;

		snprintf(f, sizeof(f), "filter #%zu length", i);
		EQ(k, f, x->len, y->len);
		for (size_t w = 0; w + 8 <= x->len && x->len == y->len; w += 8) {
			snprintf(f, sizeof(f), "filter #%zu instruction %zu", i, w / 8);
			EQ(k, f, *(uint64_t *)(x->data + w), *(uint64_t *)(y->data + w));
		}
	}
	for (size_t t = 0; t < a->n_threads && t < b->n_threads; t++) {
		snprintf(f, sizeof(f), "thread #%zu mode", t);
		EQ(k, f, a->threads[t]->seccomp_mode, b->threads[t]->seccomp_mode);
		snprintf(f, sizeof(f), "thread #%zu filters", t);
		EQ(k, f, a->threads[t]->seccomp_filters, b->threads[t]->seccomp_filters);
	}
}

static void cmp_other(struct cmp *c, const TaskStateEntry *a, const TaskStateEntry *b)
{
	char f[96];

	EQ("ts-proc", "personality", a->personality, b->personality);
	EQ("ts-proc", "umask", a->umask, b->umask);
	eq_str(c, "ts-proc", "cwd", a->cwd, b->cwd);
	eq_str(c, "ts-proc", "root", a->root, b->root);
	eq_str(c, "ts-proc", "exe", a->exe, b->exe);
	EQ("ts-state", "stopped", a->stopped, b->stopped);
	EQ("ts-prctl", "present", !!a->prctl, !!b->prctl);
	if (a->prctl && b->prctl) {
		EQ("ts-prctl", "pdeath_signal", a->prctl->pdeath_signal, b->prctl->pdeath_signal);
		EQ("ts-prctl", "child_subreaper", a->prctl->child_subreaper, b->prctl->child_subreaper);
		EQ("ts-prctl", "thp_disable", a->prctl->thp_disable, b->prctl->thp_disable);
		EQ("ts-prctl", "timer_slack_ns", a->prctl->timer_slack_ns, b->prctl->timer_slack_ns);
	}
	for (size_t t = 0; t < a->n_threads && t < b->n_threads; t++) {
		const TsThreadEntry *x = a->threads[t], *y = b->threads[t];

		snprintf(f, sizeof(f), "thread #%zu comm", t);
		eq_str(c, "ts-proc", f, x->comm, y->comm);
		if (x->sched && y->sched) {
			snprintf(f, sizeof(f), "thread #%zu policy", t);
			EQ("ts-sched", f, x->sched->policy, y->sched->policy);
			snprintf(f, sizeof(f), "thread #%zu nice", t);
			EQ("ts-sched", f, x->sched->nice, y->sched->nice);
			snprintf(f, sizeof(f), "thread #%zu priority", t);
			EQ("ts-sched", f, x->sched->priority, y->sched->priority);
			snprintf(f, sizeof(f), "thread #%zu sched flags", t);
			EQ("ts-sched", f, x->sched->flags & 7, y->sched->flags & 7);
		}
		snprintf(f, sizeof(f), "thread #%zu affinity words", t);
		EQ("ts-sched", f, x->n_affinity, y->n_affinity);
		for (size_t i = 0; i < x->n_affinity && i < y->n_affinity; i++) {
			snprintf(f, sizeof(f), "thread #%zu affinity word %zu", t, i);
			EQ("ts-sched", f, x->affinity[i], y->affinity[i]);
		}
	}
}

void compare_entries(const TaskStateEntry *a, const TaskStateEntry *b, const char *only, struct diff_count *ret)
{
	struct cmp cs = { only, ret }, *c = &cs;

	*ret = (struct diff_count){ 0 };
	EQ("ts-state", "thread count", a->n_threads, b->n_threads);
	cmp_creds(c, a, b);
	cmp_rlimits(c, a, b);
	cmp_signals(c, a, b);
	cmp_timers(c, a, b);
	cmp_seccomp(c, a, b);
	cmp_other(c, a, b);
}
