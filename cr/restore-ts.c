/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The task-state kind (cr/taskstate.h, docs/taskstate.md): each task reads
 * its taskstate-PID.img and applies it in two places.
 *
 * Before the blob, in the task's main thread, one plan step per kind named
 * like the kind ("ts-timers"), in the library's order: ts-proc (personality,
 * umask, cwd), ts-timers (POSIX timers with their ids, itimers),
 * ts-rlimits, ts-sched (the main thread's; the blob's threads inherit it)
 * and ts-prctl (child subreaper, THP disable, the main thread's timer
 * slack; not the parent-death signal).  They run after
 * the task's "fds" and "mm" steps: those open files by path (a new cwd
 * would change what a path means) and a lower RLIMIT_NOFILE could refuse
 * their opens.
 *
 * In the blob (struct rst_ts, restorer/restorer-ts.c), filled at the end of
 * step "mm": what has to come after everything that needs privilege or only
 * each thread can do: root (chroot once every file is open and every child
 * forked), POSIX timers aimed at a thread other than the main one (once the
 * threads exist), each thread's scheduling and timer slack, each thread's
 * credentials (per thread in the kernel), then after the resume barrier the
 * parent-death signal and seccomp, the very last thing before rt_sigreturn.  The resume traces the
 * threads of a task with seccomp with PTRACE_O_SUSPEND_SECCOMP, so nothing
 * cryo-cr still does in them (rt_sigreturn, the unmap of the blob) is
 * filtered.
 *
 * The signal state (actions, masks, altstacks, queued signals) and the comm
 * of each thread come from the core image (restore-mem.c and the blob).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include "log.h"
#include "restore.h"
#include "restorer/restorer-args.h"
#include "taskstate.h"
#include "util.h"

#define CAP_SYS_ADMIN_BIT 21
#define BPF_MAXINSNS_ 4096
#define AFFINITY_MAX_WORDS 16	/* 1024 CPUs, as ts-sched.c */

/* Kinds with a step of their own before the blob; the rest is the blob's or the core image's. */
static const char *const applied_kinds[] = { "ts-proc", "ts-timers", "ts-rlimits", "ts-sched", "ts-prctl", NULL };

static bool applied_here(const char *name)
{
	for (const char *const *k = applied_kinds; *k; k++)
		if (!strcmp(*k, name))
			return true;
	return false;
}

static bool has_root(const TaskStateEntry *e)
{
	return e->root && strcmp(e->root, "/");
}

struct ts_step {
	const struct ts_kind *kind;
	struct rst_task *task;
};

static int step_ts(void *ctx, void *data)
{
	struct restore_ctx *rc = ctx;
	struct ts_step *s = data;
	/* Timers aimed at other threads than the main one are the blob's: it makes the threads. */
	struct ts_apply_ctx a = { .flags = TS_APPLY_SKIP_THREAD_TIMERS |
					   (rc->opts.keep_rlimits ? TS_APPLY_KEEP_RLIMIT : 0) };
	TaskStateEntry e = *s->task->ts;	/* shallow: only top-level fields change */
	TsPrctlEntry prctl;

	/* A root is the blob's (chroot after every open by path), and the cwd with it. */
	if (has_root(&e))
		e.root = e.cwd = NULL;
	/* The parent-death signal is the blob's: ours (SIGKILL) holds until the go. */
	if (e.prctl) {
		prctl = *e.prctl;
		prctl.has_pdeath_signal = false;
		e.prctl = &prctl;
	}
	int r = ts_apply_kind(s->kind, &a, &e);
	/* The main thread's part here; the blob's threads inherit it, then set their own. */
	if (r >= 0 && s->kind->apply_thread && !strcmp(s->kind->name, "ts-sched"))
		r = ts_apply_kind_thread(s->kind, &a, &e, 0);
	if (r < 0)
		return log_error_errno(r, "task %d: cannot restore %s", s->task->pid, s->kind->name);
	return 0;
}

/* Under SCHED_DEADLINE the blob could not clone the threads (and it is not collected whole). */
static int check_sched(const struct rst_task *t)
{
	const TaskStateEntry *e = t->ts;
	for (size_t i = 0; i < e->n_threads; i++) {
		const TsThreadEntry *th = e->threads[i];
		if (th->sched && th->sched->policy == 6 /* SCHED_DEADLINE */) {
			log_error("task %d thread %u: SCHED_DEADLINE is not restored", t->pid, th->tid);
			return -EOPNOTSUPP;
		}
		if (th->n_affinity > AFFINITY_MAX_WORDS) {
			log_error("task %d thread %u: an affinity mask of %zu words", t->pid, th->tid, th->n_affinity);
			return -EBADMSG;
		}
	}
	return 0;
}

/* The cwd the blob changes to after chroot must be below the root. */
static int check_root(const struct rst_task *t)
{
	const TaskStateEntry *e = t->ts;
	if (!has_root(e))
		return 0;
	size_t n = strlen(e->root);
	if (e->cwd && (strncmp(e->cwd, e->root, n) || (e->cwd[n] && e->cwd[n] != '/'))) {
		log_error("task %d: its cwd %s is outside its root %s: not restorable", t->pid, e->cwd, e->root);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* A chain (the process' or one thread's) the blob can install after creds cr. */
static int check_chain(const struct rst_task *t, uint32_t tid, uint32_t mode, TsSeccompFilterEntry *const *f, size_t n,
		       const TsCredsEntry *cr)
{
	if (mode != SECCOMP_MODE_FILTER)
		return 0;
	if (!n) {
		log_error("task %d thread %u: seccomp filter mode without filters in its image", t->pid, tid);
		return -EBADMSG;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = f[i]->insns.len;
		if (!len || len % 8 || len / 8 > BPF_MAXINSNS_) {
			log_error("task %d thread %u: seccomp filter %zu has %zu bytes, not a BPF program", t->pid, tid, i + 1,
				  len);
			return -EBADMSG;
		}
	}
	/* The kernel takes a filter only with no_new_privs or CAP_SYS_ADMIN, and the
	 * blob installs them after the credentials. */
	if (cr && !cr->no_new_privs && !(cr->cap_eff & (1ull << CAP_SYS_ADMIN_BIT))) {
		log_error("task %d thread %u: its seccomp filters need no_new_privs or CAP_SYS_ADMIN, and its credentials "
			  "have neither (the filters were installed before they were dropped): not restorable", t->pid, tid);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int check_seccomp(const struct rst_task *t)
{
	const TaskStateEntry *e = t->ts;
	if (!e->has_seccomp_mode)
		return 0;
	if (!ts_seccomp_per_thread(e))
		return check_chain(t, (uint32_t)t->pid, e->seccomp_mode, e->seccomp_filters, e->n_seccomp_filters, e->creds);
	for (size_t i = 0; i < e->n_threads; i++) {
		const TsThreadEntry *th = e->threads[i];
		int r = check_chain(t, th->tid, th->seccomp_mode, th->seccomp_chain, th->n_seccomp_chain,
				    th->creds ? th->creds : e->creds);
		if (r < 0)
			return r;
	}
	return 0;
}

int ts_restore_prepare(struct restore_ctx *rc)
{
	for (size_t i = 0; i < rc->n_tasks; i++) {
		struct rst_task *t = &rc->tasks[i];
		if (t->zombie)
			continue;
		int r = ts_image_read(rc->dir, t->pid, &t->ts);
		if (r < 0)
			return log_error_errno(r, "cannot read taskstate-%d.img", t->pid);
		r = check_sched(t);
		if (r >= 0)
			r = check_root(t);
		if (r >= 0)
			r = check_seccomp(t);
		if (r < 0)
			return r;
	}
	return 0;
}

unsigned long ts_restore_ptrace_options(const struct rst_task *t)
{
	const TaskStateEntry *e = t->ts;
	if (!e)
		return 0;
	bool any = e->has_seccomp_mode && e->seccomp_mode;
	for (size_t i = 0; !any && i < e->n_threads; i++)
		any = e->threads[i]->seccomp_mode != 0;
	return any ? PTRACE_O_SUSPEND_SECCOMP : 0;
}

/* ---- struct rst_ts for the blob ------------------------------------------ */

uint64_t ts_restore_args_len(const struct rst_task *t)
{
	const TaskStateEntry *e = t->ts;
	if (!e)
		return 0;
	uint64_t len = sizeof(struct rst_ts) + 16;
	if (e->creds)
		len += e->creds->n_groups * 4 + 16;
	for (size_t i = 0; i < e->n_threads; i++)
		len += (e->threads[i]->creds ? e->threads[i]->creds->n_groups : e->creds ? e->creds->n_groups : 0) * 4 + 16;
	len += e->n_seccomp_filters * (sizeof(struct rst_ts_filter) + 16) + 16;
	len += t->n_tids * sizeof(struct rst_ts_seccomp) + 16;
	for (size_t i = 0; i < e->n_threads; i++) {
		len += e->threads[i]->n_seccomp_chain * (sizeof(struct rst_ts_filter) + 16) + 16;
		for (size_t j = 0; j < e->threads[i]->n_seccomp_chain; j++)
			len += e->threads[i]->seccomp_chain[j]->insns.len;
	}
	len += e->n_posix_timers * sizeof(struct rst_ts_timer) + 16;
	for (size_t i = 0; i < e->n_seccomp_filters; i++)
		len += e->seccomp_filters[i]->insns.len;
	len += t->n_tids * (sizeof(struct rst_ts_sched) + sizeof(struct rst_ts_creds) + AFFINITY_MAX_WORDS * 8 + 64) + 32;
	return len;
}

/*
 * Ids as the dumper saw them (cryo-cr's user namespace) are not the task's
 * when it lives in a user namespace of its own: the blob's set*id() take the
 * task's.  The task's maps, /proc/self/{uid,gid}_map, list "inside outside
 * count" with outside in the parent namespace, which is cryo-cr's (identity
 * when the task is in cryo-cr's own).
 */
struct id_map {
	uint32_t in, out, count;
};

struct id_maps {
	struct id_map uid[340], gid[340];	/* the kernel allows 340 lines */
	size_t n_uid, n_gid;
};

static int read_id_map(const char *path, struct id_map *m, size_t max, size_t *ret_n)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	size_t n = 0;
	if (!f)
		return log_error_errno(negative_errno(), "cannot read %s", path);
	while (n < max && fscanf(f, "%u %u %u", &m[n].in, &m[n].out, &m[n].count) == 3)
		n++;
	*ret_n = n;
	return 0;
}

static int map_id(const struct id_map *m, size_t n, uint32_t id, const char *what, pid_t pid, uint32_t *ret)
{
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].out && id - m[i].out < m[i].count) {
			*ret = id - m[i].out + m[i].in;
			return 0;
		}
	log_error("task %d: %s %u is not mapped in its user namespace", pid, what, id);
	return -EINVAL;
}

/* cr with every id the task's namespace's; groups go to *ret_groups (malloc'ed). */
static int map_creds(pid_t pid, const struct id_maps *maps, const TsCredsEntry *cr, TsCredsEntry *out,
		     uint32_t **ret_groups)
{
	const uint32_t *uid_in[] = { &cr->uid, &cr->euid, &cr->suid, &cr->fsuid };
	uint32_t *uid_out[] = { &out->uid, &out->euid, &out->suid, &out->fsuid };
	const uint32_t *gid_in[] = { &cr->gid, &cr->egid, &cr->sgid, &cr->fsgid };
	uint32_t *gid_out[] = { &out->gid, &out->egid, &out->sgid, &out->fsgid };
	int r = 0;

	*out = *cr;
	for (size_t i = 0; r >= 0 && i < 4; i++)
		r = map_id(maps->uid, maps->n_uid, *uid_in[i], "uid", pid, uid_out[i]);
	for (size_t i = 0; r >= 0 && i < 4; i++)
		r = map_id(maps->gid, maps->n_gid, *gid_in[i], "gid", pid, gid_out[i]);
	if (r < 0)
		return r;
	_cleanup_free_ uint32_t *g = calloc(cr->n_groups + 1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < cr->n_groups; i++) {
		r = map_id(maps->gid, maps->n_gid, cr->groups[i], "supplementary group", pid, &g[i]);
		if (r < 0)
			return r;
	}
	out->groups = g;
	*ret_groups = TAKE_PTR(g);
	return 0;
}

static int fill_thread_creds(const TaskStateEntry *e, const TsThreadEntry *t, const struct id_maps *maps,
			     struct rst_ts_creds *c, void *(*alloc)(void *, size_t), void *b)
{
	const TsCredsEntry *dumped = t && t->creds ? t->creds : e->creds;
	TsThreadEntry view = TS_THREAD_ENTRY__INIT;
	TsCredsEntry mapped;
	_cleanup_free_ uint32_t *groups = NULL;
	struct ts_creds_plan plan;

	if (!dumped)
		return 0;
	int r = map_creds((pid_t)e->pid, maps, dumped, &mapped, &groups);
	if (r < 0)
		return r;
	const TsCredsEntry *cr = &mapped;
	if (t)
		view = *t;
	view.creds = &mapped;
	r = ts_creds_plan(e, &view, &plan);
	if (r < 0)
		return r;
	c->valid = 1;
	c->uid = cr->uid, c->euid = cr->euid, c->suid = cr->suid, c->fsuid = cr->fsuid;
	c->gid = cr->gid, c->egid = cr->egid, c->sgid = cr->sgid, c->fsgid = cr->fsgid;
	c->set_groups = plan.set_groups;
	if (cr->n_groups) {
		uint32_t *g = alloc(b, cr->n_groups * sizeof(*g));
		if (!g)
			return -ENOMEM;
		memcpy(g, cr->groups, cr->n_groups * sizeof(*g));
		c->groups = (uint64_t)(uintptr_t)g;
		c->n_groups = (uint32_t)cr->n_groups;
	}
	c->cap_eff = cr->cap_eff, c->cap_prm = cr->cap_prm, c->cap_inh = cr->cap_inh;
	c->cap_amb = cr->cap_amb;
	c->cap_prm_now = plan.prm_now, c->cap_inh_now = plan.inh_now;
	c->bnd_drop = plan.bnd_drop;
	c->no_new_privs = cr->no_new_privs;
	c->secbits = t && t->has_secbits ? (int32_t)t->secbits : e->has_secbits ? (int32_t)e->secbits : -1;
	/* 2 (suid_dumpable) cannot be set by prctl; the uid change gives it. */
	c->dumpable = e->has_dumpable && e->dumpable <= 1 ? (int32_t)e->dumpable : -1;
	return 0;
}

static const TsThreadEntry *thread_of(const TaskStateEntry *e, uint32_t tid)
{
	for (size_t i = 0; i < e->n_threads; i++)
		if (e->threads[i]->tid == tid)
			return e->threads[i];
	return NULL;
}

static int copy_chain(TsSeccompFilterEntry *const *in, size_t n, uint64_t *ret_filters, uint32_t *ret_n,
		      void *(*alloc)(void *, size_t), void *b)
{
	struct rst_ts_filter *f = n ? alloc(b, n * sizeof(*f)) : NULL;
	if (n && !f)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		void *p = alloc(b, in[i]->insns.len);
		if (!p)
			return -ENOMEM;
		memcpy(p, in[i]->insns.data, in[i]->insns.len);
		f[i].insns = (uint64_t)(uintptr_t)p;
		f[i].len = (uint32_t)(in[i]->insns.len / 8);
		if (in[i]->has_flags)
			f[i].flags = (uint32_t)(in[i]->flags & SECCOMP_FILTER_FLAG_LOG);
	}
	*ret_filters = (uint64_t)(uintptr_t)f;
	*ret_n = (uint32_t)n;
	return 0;
}

static int fill_seccomp(struct rst_task *t, struct rst_ts *ts, void *(*alloc)(void *, size_t), void *b)
{
	const TaskStateEntry *e = t->ts;
	if (!e->has_seccomp_mode)
		return 0;
	if (ts_seccomp_per_thread(e)) {
		struct rst_ts_seccomp *own = alloc(b, t->n_tids * sizeof(*own));
		if (!own)
			return -ENOMEM;
		for (size_t i = 0; i < t->n_tids; i++) {
			const TsThreadEntry *th = thread_of(e, t->tids[i]);
			if (!th)
				continue;
			own[i].mode = th->seccomp_mode;
			int r = copy_chain(th->seccomp_chain, th->n_seccomp_chain, &own[i].filters, &own[i].n_filters, alloc, b);
			if (r < 0)
				return r;
		}
		ts->thread_seccomp = (uint64_t)(uintptr_t)own;
		return 0;
	}
	ts->seccomp_mode = e->seccomp_mode;
	if (e->seccomp_mode != SECCOMP_MODE_FILTER)
		return 0;
	return copy_chain(e->seccomp_filters, e->n_seccomp_filters, &ts->filters, &ts->n_filters, alloc, b);
}

/* struct sched_attr, SCHED_ATTR_SIZE_VER0 (48): util clamps are requests, not state. */
struct sched_attr_ {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};
_Static_assert(sizeof(struct sched_attr_) == 56, "sched_attr");

/* Each thread's scheduling and credentials, by its index in the blob's threads. */
static int fill_threads(struct rst_task *t, struct rst_ts *ts, void *(*alloc)(void *, size_t), void *b)
{
	struct rst_ts_sched *s = alloc(b, t->n_tids * sizeof(*s));
	struct rst_ts_creds *c = alloc(b, t->n_tids * sizeof(*c));
	_cleanup_free_ struct id_maps *maps = calloc(1, sizeof(*maps));
	if (!s || !c || !maps)
		return -ENOMEM;
	int r = read_id_map("/proc/self/uid_map", maps->uid, ARRAY_SIZE(maps->uid), &maps->n_uid);
	if (r >= 0)
		r = read_id_map("/proc/self/gid_map", maps->gid, ARRAY_SIZE(maps->gid), &maps->n_gid);
	if (r < 0)
		return r;
	ts->sched = (uint64_t)(uintptr_t)s;
	ts->creds = (uint64_t)(uintptr_t)c;
	ts->n_threads = (uint32_t)t->n_tids;
	for (size_t i = 0; i < t->n_tids; i++) {
		const TsThreadEntry *th = thread_of(t->ts, t->tids[i]);
		r = fill_thread_creds(t->ts, th, maps, &c[i], alloc, b);
		if (r < 0)
			return r;
		if (!th)
			continue;
		if (th->has_timer_slack_ns)
			s[i].timer_slack_ns = th->timer_slack_ns;
		if (th->sched) {
			struct sched_attr_ at = {
				.size = 48,
				.policy = th->sched->policy,
				.flags = th->sched->flags & 0x7,	/* RESET_ON_FORK | RECLAIM | DL_OVERRUN */
				.nice = th->sched->nice,
				.priority = th->sched->priority,
			};
			memcpy(s[i].attr, &at, sizeof(at));
			s[i].nice = th->sched->nice;
			s[i].valid = 1;
		}
		if (th->n_affinity) {
			uint64_t *m = alloc(b, th->n_affinity * 8);
			if (!m)
				return -ENOMEM;
			memcpy(m, th->affinity, th->n_affinity * 8);
			s[i].affinity = (uint64_t)(uintptr_t)m;
			s[i].affinity_len = (uint32_t)(th->n_affinity * 8);
			s[i].valid = 1;
		}
	}
	return 0;
}

static int fill_timers(struct rst_task *t, struct rst_ts *ts, void *(*alloc)(void *, size_t), void *b)
{
	const TaskStateEntry *e = t->ts;
	size_t n = 0;
	for (size_t i = 0; i < e->n_posix_timers; i++)
		n += ts_timer_for_thread(e, e->posix_timers[i]) >= 0;
	if (!n)
		return 0;
	struct rst_ts_timer *out = alloc(b, n * sizeof(*out));
	if (!out)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < e->n_posix_timers; i++) {
		const TsPosixTimerEntry *pt = e->posix_timers[i];
		int th = ts_timer_for_thread(e, pt);
		if (th < 0)
			continue;
		struct rst_ts_timer *o = &out[n++];
		o->id = pt->id, o->clock = pt->clock, o->signo = pt->signo, o->sigval = pt->sigval;
		o->tid = -1;
		for (size_t j = 0; j < t->n_tids; j++)
			if (t->tids[j] == e->threads[th]->tid)
				o->tid = rst_ns_tid(t, j);
		if (o->tid < 0) {
			log_error("task %d: POSIX timer %d is aimed at thread %u, which is not in the tree's image", t->pid,
				  pt->id, e->threads[th]->tid);
			return -EBADMSG;
		}
		if (pt->armed_known) {
			o->interval_sec = (int64_t)pt->interval_sec, o->interval_nsec = (int64_t)pt->interval_nsec;
			o->value_sec = (int64_t)pt->value_sec, o->value_nsec = (int64_t)pt->value_nsec;
			/* Waiting for its signal's delivery to re-arm (ts-timers.c): from one interval. */
			if (!o->value_sec && !o->value_nsec)
				o->value_sec = o->interval_sec, o->value_nsec = o->interval_nsec;
		}
	}
	ts->timers = (uint64_t)(uintptr_t)out;
	ts->n_timers = (uint32_t)n;
	return 0;
}

/* The root and cwd are opened now, by the paths cryo-cr sees (no chroot yet). */
static int open_root(struct rst_task *t, struct rst_ts *ts)
{
	const TaskStateEntry *e = t->ts;
	ts->root_fd = ts->cwd_fd = -1;
	if (!has_root(e))
		return 0;
	ts->root_fd = open(e->root, O_PATH | O_DIRECTORY);
	if (ts->root_fd < 0)
		return log_error_errno(negative_errno(), "task %d: cannot open its root %s", t->pid, e->root);
	if (!e->cwd)
		return 0;
	ts->cwd_fd = open(e->cwd, O_PATH | O_DIRECTORY);
	if (ts->cwd_fd < 0)
		return log_error_errno(negative_errno(), "task %d: cannot open its cwd %s", t->pid, e->cwd);
	return 0;
}

int ts_restore_fill_args(struct rst_task *t, struct rst_args *a, void *(*alloc)(void *b, size_t len), void *b)
{
	const TaskStateEntry *e = t->ts;
	if (!e)
		return 0;
	struct rst_ts *ts = alloc(b, sizeof(*ts));
	if (!ts)
		return -ENOMEM;
	int r = open_root(t, ts);
	if (r >= 0)
		r = fill_threads(t, ts, alloc, b);
	if (r >= 0)
		r = fill_seccomp(t, ts, alloc, b);
	if (r >= 0)
		r = fill_timers(t, ts, alloc, b);
	if (r < 0)
		return r == -ENOMEM ? log_error_errno(r, "task %d: no room for its task state in the restorer area", t->pid) : r;
	if (e->prctl && e->prctl->has_pdeath_signal)
		ts->pdeath_signal = e->prctl->pdeath_signal;
	a->ts = (uint64_t)(uintptr_t)ts;
	return 0;
}

/* ---- plan steps ------------------------------------------------------------ */

static int add_task_steps(struct restore_ctx *rc, struct rst_task *t)
{
	size_t n;
	const struct ts_kind *const *k = ts_kinds(&n);
	for (size_t i = 0; i < n; i++) {
		if (!applied_here(k[i]->name) || (!k[i]->apply && !k[i]->apply_thread))
			continue;
		struct ts_step *s = calloc(1, sizeof(*s));	/* lives as long as the plan */
		unsigned id;
		if (!s)
			return -ENOMEM;
		s->kind = k[i];
		s->task = t;
		int r = restore_step_add(rc, t, k[i]->name, step_ts, s, &id);
		if (r >= 0)
			r = plan_need_kind_optional(rc->plan, id, "fds", t->owner);
		if (r >= 0)
			r = plan_need_kind_optional(rc->plan, id, "mm", t->owner);
		for (const char *const *need = k[i]->needs; r >= 0 && need && *need; need++)
			r = plan_need_kind_optional(rc->plan, id, strcmp(*need, "files") ? *need : "fds", t->owner);
		if (r < 0)
			return r;
	}
	return 0;
}

int ts_restore_add_steps(struct restore_ctx *rc)
{
	/* Step "mm" reads the root's user namespace maps (map_creds): after "ns",
	 * which comes after cryo-cr wrote them.  Other tasks are forked after "ns". */
	int mm = plan_find(rc->plan, "mm", rc->root->owner);
	if (mm >= 0) {
		int r = plan_need_kind_optional(rc->plan, (unsigned)mm, "ns", rc->root->owner);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < rc->n_tasks; i++) {
		if (rc->tasks[i].zombie)
			continue;
		int r = add_task_steps(rc, &rc->tasks[i]);
		if (r < 0)
			return r;
	}
	return 0;
}
