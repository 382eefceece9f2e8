/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The task state the blob applies (restorer-ts.h; the host side and the
 * reasons for the order are in cr/restore-ts.c and docs/taskstate.md).
 * Raw syscalls only: credentials and scheduling are per thread in the
 * kernel, and every thread sets its own.
 */
#include "pie.h"
#include "pie-syscall.h"
#include "restorer-ts.h"

#include <linux/capability.h>
#include <linux/errno.h>
#include <linux/filter.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>

#define SIGKILL_ 9

long rst_ts_root(const struct rst_args *a, uint32_t *step)
{
	const struct rst_ts *ts = (const struct rst_ts *)a->ts;
	long r;

	if (!ts || ts->root_fd < 0)
		return 0;
	*step = RST_STEP_ROOT;
	r = sys_call1(__NR_fchdir, ts->root_fd);
	if (r == 0)
		r = sys_call1(__NR_chroot, (long)".");
	if (r == 0 && ts->cwd_fd >= 0)
		r = sys_call1(__NR_fchdir, ts->cwd_fd);
	return r;
}

struct sigevent_ {
	uint64_t value;
	int32_t signo;
	int32_t notify;
	int32_t tid;
	int32_t pad[11];
};
_Static_assert(sizeof(struct sigevent_) == 64, "struct sigevent");

#define PR_TIMER_CREATE_RESTORE_IDS_ 77
#define SIGEV_THREAD_ID_ 4

long rst_ts_thread_timers(const struct rst_args *a, uint32_t *step)
{
	const struct rst_ts *ts = (const struct rst_ts *)a->ts;
	const struct rst_ts_timer *t;
	long r;

	if (!ts || !ts->n_timers)
		return 0;
	*step = RST_STEP_TIMERS;
	t = (const struct rst_ts_timer *)ts->timers;
	/* timer_create() then takes the id in *created_timer_id. */
	r = sys_prctl(PR_TIMER_CREATE_RESTORE_IDS_, 1, 0, 0, 0);
	for (uint32_t i = 0; r >= 0 && i < ts->n_timers; i++) {
		struct sigevent_ sev = { .value = t[i].sigval, .signo = t[i].signo, .notify = SIGEV_THREAD_ID_,
					 .tid = t[i].tid };
		int32_t id = t[i].id;
		r = sys_timer_create(t[i].clock, (struct sigevent *)&sev, &id);
		if (r >= 0 && id != t[i].id)
			r = -EEXIST;
		if (r >= 0 && (t[i].value_sec || t[i].value_nsec)) {
			/* struct itimerspec: interval, then value. */
			int64_t its[4] = { t[i].interval_sec, t[i].interval_nsec, t[i].value_sec, t[i].value_nsec };
			r = sys_timer_settime(id, 0, (const struct itimerspec *)its, 0);
		}
	}
	sys_prctl(PR_TIMER_CREATE_RESTORE_IDS_, 0, 0, 0, 0);
	return r < 0 ? r : 0;
}

static long set_sched(const struct rst_ts_sched *s)
{
	long r = 0;

	if (s->valid) {
		r = sys_call3(__NR_sched_setattr, 0, (long)s->attr, 0);
		/* SCHED_OTHER/BATCH/IDLE carry nice in the attr; setpriority is the thread's too. */
		if (r == 0)
			r = sys_call3(__NR_setpriority, 0 /* PRIO_PROCESS */, 0, s->nice);
		if (r == 0 && s->affinity)
			r = sys_call3(__NR_sched_setaffinity, 0, s->affinity_len, (long)s->affinity);
	}
	/* After the policy: a policy change can reset the slack. */
	if (r == 0 && s->timer_slack_ns)
		r = sys_prctl(PR_SET_TIMERSLACK, s->timer_slack_ns, 0, 0, 0);
	return r;
}

static long capset(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) },
	};

	return sys_capset(&h, d);
}

/* The order of cr/ts-creds.c: bounding set and gids while we hold
 * CAP_SETPCAP/CAP_SETGID, KEEPCAPS across setresuid, our permitted set
 * effective again for the securebits, then the image's sets. */
static long set_ids(const struct rst_ts_creds *ts)
{
	long r;

	for (unsigned cap = 0; cap < 64; cap++)
		if (ts->bnd_drop & (1ull << cap)) {
			r = sys_prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
			if (r < 0)
				return r;
		}
	if (ts->set_groups) {
		r = sys_call2(__NR_setgroups, ts->n_groups, (long)ts->groups);
		if (r < 0)
			return r;
	}
	r = sys_call3(__NR_setresgid, ts->gid, ts->egid, ts->sgid);
	if (r < 0)
		return r;
	sys_call1(__NR_setfsgid, ts->fsgid);
	if ((uint32_t)sys_call1(__NR_setfsgid, -1) != ts->fsgid)
		return -EPERM;
	r = sys_prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	if (r < 0)
		return r;
	r = sys_call3(__NR_setresuid, ts->uid, ts->euid, ts->suid);
	if (r < 0)
		return r;
	sys_call1(__NR_setfsuid, ts->fsuid);
	if ((uint32_t)sys_call1(__NR_setfsuid, -1) != ts->fsuid)
		return -EPERM;
	return 0;
}

/* Ambient before the securebits (SECBIT_NO_CAP_AMBIENT_RAISE would forbid it)
 * and both while our permitted set is effective (CAP_SETPCAP); the final
 * capset keeps the ambient set, which lies in the image's permitted and
 * inheritable sets. */
static long set_caps(const struct rst_ts_creds *ts)
{
	long r = capset(ts->cap_prm_now, ts->cap_prm_now, ts->cap_inh_now | ts->cap_inh);

	if (r < 0)
		return r;
	r = sys_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	for (unsigned cap = 0; r >= 0 && cap < 64; cap++)
		if (ts->cap_amb & (1ull << cap))
			r = sys_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
	if (r < 0)
		return r;
	if (ts->secbits >= 0) {
		if (sys_prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) != ts->secbits) {
			r = sys_prctl(PR_SET_SECUREBITS, (unsigned long)ts->secbits, 0, 0, 0);
			if (r < 0)
				return r;
		}
	} else {
		sys_prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	return capset(ts->cap_eff, ts->cap_prm, ts->cap_inh);
}

static long set_creds(const struct rst_ts_creds *ts, int main_thread)
{
	long r;

	if (!ts->valid)
		return 0;
	r = set_ids(ts);
	if (r == 0)
		r = set_caps(ts);
	if (r == 0 && ts->no_new_privs)
		r = sys_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (r == 0 && ts->dumpable >= 0)
		r = sys_prctl(PR_SET_DUMPABLE, (unsigned long)ts->dumpable, 0, 0, 0);
	/* A uid change clears the parent-death signal: the restore's safety net
	 * (the task dies with cryo-cr) until the go. */
	if (r == 0 && main_thread)
		r = sys_prctl(PR_SET_PDEATHSIG, SIGKILL_, 0, 0, 0);
	return r;
}

long rst_ts_thread(const struct rst_args *a, uint64_t idx, uint32_t *step)
{
	const struct rst_ts *ts = (const struct rst_ts *)a->ts;
	long r;

	if (!ts || idx >= ts->n_threads)
		return 0;
	*step = RST_STEP_TS_SCHED;
	r = set_sched(&((const struct rst_ts_sched *)ts->sched)[idx]);
	if (r < 0)
		return r;
	*step = RST_STEP_CREDS;
	return set_creds(&((const struct rst_ts_creds *)ts->creds)[idx], idx == 0);
}

/* The chain oldest first; with TSYNC the threads share it, as they did (they
 * are parked in the blob or stopped by cryo-cr after rt_sigreturn, unfiltered
 * until detached: PTRACE_O_SUSPEND_SECCOMP). */
static long set_filters(const struct rst_ts_filter *f, uint32_t n, uint32_t tsync)
{
	for (uint32_t i = 0; i < n; i++) {
		struct sock_fprog prog = { (unsigned short)f[i].len, (struct sock_filter *)f[i].insns };
		long r = sys_seccomp(SECCOMP_SET_MODE_FILTER, tsync | f[i].flags, &prog);
		if (r > 0)	/* the tid of a thread that could not be synchronised */
			return -EBUSY;
		if (r < 0)
			return r;
	}
	return 0;
}

long rst_ts_last(const struct rst_args *a, uint64_t idx, uint32_t *step)
{
	const struct rst_ts *ts = (const struct rst_ts *)a->ts;
	long r = 0;

	if (idx == 0)
		r = sys_prctl(PR_SET_PDEATHSIG, ts ? (unsigned long)ts->pdeath_signal : 0, 0, 0, 0);
	if (!ts || r < 0)
		return r;
	*step = RST_STEP_SECCOMP;
	if (ts->thread_seccomp) {
		const struct rst_ts_seccomp *own = (const struct rst_ts_seccomp *)ts->thread_seccomp;
		if (idx >= ts->n_threads)
			return 0;
		if (own[idx].mode == SECCOMP_MODE_STRICT)
			return sys_seccomp(SECCOMP_SET_MODE_STRICT, 0, 0);
		if (own[idx].mode == SECCOMP_MODE_FILTER)
			return set_filters((const struct rst_ts_filter *)own[idx].filters, own[idx].n_filters, 0);
		return 0;
	}
	if (ts->seccomp_mode == SECCOMP_MODE_STRICT)
		return sys_seccomp(SECCOMP_SET_MODE_STRICT, 0, 0);
	if (ts->seccomp_mode == SECCOMP_MODE_FILTER && idx == 0)
		return set_filters((const struct rst_ts_filter *)ts->filters, ts->n_filters, SECCOMP_FILTER_FLAG_TSYNC);
	return 0;
}
