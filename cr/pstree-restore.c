/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The process tree kind: read pstree.img and the cores, then add the steps that
 * create every task with its dumped pid (clone3 set_tid), put it in its session
 * and process group, and let zombies die with their dumped status.
 *
 * Sessions and groups are a dependency graph: a child inherits its parent's
 * session and group at fork, so a fork needs the parent's setsid/setpgid; a
 * task joining another task's group needs that group to exist (its leader's
 * setsid or setpgid); a zombie leader stays alive until its members joined.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fds.h"
#include "log.h"
#include "restore.h"
#include "restore-fault.h"

struct rst_task *rst_task_by_pid(struct restore_ctx *rc, pid_t pid)
{
	for (size_t i = 0; i < rc->n_tasks; i++)
		if (rc->tasks[i].pid == pid)
			return &rc->tasks[i];
	return NULL;
}

static int read_core(struct restore_ctx *rc, struct rst_task *t, size_t i)
{
	struct img *img;
	ProtobufCMessage *m;
	int r = img_open(rc->dir, IMG_CORE, false, &img, (int)t->tids[i]);
	if (r < 0)
		return log_error_errno(r, "cannot open the core image of thread %u", t->tids[i]);
	r = img_read_one(img, &m);
	if (r < 0)
		goto out;
	t->cores[i] = (ThreadCoreEntry *)m;
	if (t->cores[i]->tid != t->tids[i]) {
		log_error("%s: thread %u where %u was expected", img_name(img), t->cores[i]->tid, t->tids[i]);
		r = -EBADMSG;
		goto out;
	}
	if (i == 0) {
		r = img_read_one(img, &m);
		if (r < 0)
			goto out;
		t->task_core = (TaskCoreEntry *)m;
	}
out:
	img_close(img);
	return r < 0 ? r : 0;
}

static int read_task(struct restore_ctx *rc, struct rst_task *t, PstreeEntry *e)
{
	t->pid = (pid_t)e->pid;
	t->ppid = (pid_t)e->ppid;
	t->pgid = (pid_t)e->pgid;
	t->sid = (pid_t)e->sid;
	t->zombie = e->has_zombie && e->zombie;
	t->exit_status = e->has_exit_status ? e->exit_status : 0;
	if (t->pid <= 0 || t->pgid <= 0 || t->sid <= 0) {
		log_error("pstree.img: task %u has an invalid pid, pgid or sid", e->pid);
		return -EBADMSG;
	}
	if (t->zombie)
		return 0;
	if (e->n_threads == 0 || e->threads[0] != e->pid) {
		log_error("pstree.img: task %u: the thread list must start with the pid", e->pid);
		return -EBADMSG;
	}
	t->n_tids = e->n_threads;
	t->tids = calloc(e->n_threads, sizeof(*t->tids));
	t->cores = calloc(e->n_threads, sizeof(*t->cores));
	if (!t->tids || !t->cores)
		return -ENOMEM;
	memcpy(t->tids, e->threads, e->n_threads * sizeof(*t->tids));
	for (size_t i = 0; i < t->n_tids; i++) {
		int r = read_core(rc, t, i);
		if (r < 0)
			return r;
	}
	rc->n_threads_total += t->n_tids;
	return 0;
}

static int link_parents(struct restore_ctx *rc)
{
	for (size_t i = 0; i < rc->n_tasks; i++) {
		struct rst_task *t = &rc->tasks[i];
		if (i == 0) {
			if (t->ppid != 0 && rst_task_by_pid(rc, t->ppid)) {
				log_error("pstree.img: the first task %d has a parent in the tree", t->pid);
				return -EBADMSG;
			}
			continue;
		}
		t->parent = rst_task_by_pid(rc, t->ppid);
		if (!t->parent || t->parent >= t) {
			log_error("pstree.img: task %d: parent %d is not listed before it", t->pid, t->ppid);
			return -EBADMSG;
		}
		if (t->parent->zombie) {
			log_error("pstree.img: task %d has a zombie parent %d", t->pid, t->ppid);
			return -EBADMSG;
		}
		for (size_t j = 0; j < i; j++)
			if (rc->tasks[j].pid == t->pid) {
				log_error("pstree.img: pid %d is listed twice", t->pid);
				return -EBADMSG;
			}
	}
	rc->root = &rc->tasks[0];
	if (rc->root->zombie) {
		log_error("pstree.img: the root task %d is a zombie", rc->root->pid);
		return -EBADMSG;
	}
	return 0;
}

int pstree_restore_read(struct restore_ctx *rc)
{
	struct img *img;
	ProtobufCMessage *m;
	int r = img_open(rc->dir, IMG_PSTREE, false, &img);
	if (r < 0)
		return log_error_errno(r, "cannot open pstree.img in %s", rc->opts.dir);
	while ((r = img_read(img, &m)) > 0) {
		struct rst_task *a = reallocarray(rc->tasks, rc->n_tasks + 1, sizeof(*a));
		if (!a) {
			img_free_msg(m);
			r = -ENOMEM;
			break;
		}
		rc->tasks = a;
		struct rst_task *t = &a[rc->n_tasks];
		memset(t, 0, sizeof(*t));
		t->owner = (unsigned)rc->n_tasks + 1;
		rc->n_tasks++;
		r = read_task(rc, t, (PstreeEntry *)m);
		img_free_msg(m);
		if (r < 0)
			break;
	}
	img_close(img);
	if (r < 0)
		return r;
	if (rc->n_tasks == 0) {
		log_error("pstree.img in %s lists no task", rc->opts.dir);
		return -EBADMSG;
	}
	/* tasks[] moved while growing: parents are linked only now. */
	r = link_parents(rc);
	if (r < 0)
		return r;
	/* Pid namespaces: each task's pids per level and how to clone it. */
	return ns_restore_read_pids(rc);
}

/* ---- steps ------------------------------------------------------------ */

static _Noreturn void task_main(struct restore_ctx *rc, struct rst_task *t)
{
	int r = plan_run(rc->plan, t->owner, rc);
	/* Its children are forked: the pipe and socket ends kept for them go. */
	fd_ctx_free(rc->fds);
	rc->fds = NULL;
	if (r < 0)
		_exit(1);
	restore_task_finish(rc, t);
}

/*
 * The namespaces a task is created in: the root gets every CLONE_NEW* the
 * kinds restore (rc->root_clone_flags); a task that is the init of a nested
 * pid namespace gets CLONE_NEWPID.
 */
static uint64_t clone_flags(const struct restore_ctx *rc, const struct rst_task *t)
{
	if (!t->parent)
		return rc->root_clone_flags;
	return t->new_pidns ? CLONE_NEWPID : 0;
}

/* The pid clone3 returns in the parent: 0 when it cannot be known (a root in
 * a new pid namespace gets whatever pid is free here). */
static pid_t pid_for_parent(const struct restore_ctx *rc, const struct rst_task *t)
{
	if (!t->set_tid_size)
		return t->pid;
	if (!t->parent)
		return (clone_flags(rc, t) & CLONE_NEWPID) ? 0 : t->pid;
	return rst_pid_seen_by(t, t->parent);
}

static int step_fork(void *ctx, void *data)
{
	struct restore_ctx *rc = ctx;
	struct rst_task *t = data;
	pid_t want = t->pid;
	int exit_signal = SIGCHLD;
	if (t->task_core && t->task_core->has_exit_signal && t->task_core->exit_signal >= 0 &&
	    t->task_core->exit_signal < 65)
		exit_signal = t->task_core->exit_signal;
	uint64_t flags = clone_flags(rc, t);
	struct clone_args ca = {
		.flags = flags,
		.exit_signal = (uint64_t)exit_signal,
		.set_tid = (uint64_t)(uintptr_t)(t->set_tid_size ? t->set_tid : &want),
		.set_tid_size = t->set_tid_size ? t->set_tid_size : 1,
	};
	pid_t parent = getpid(), expect = pid_for_parent(rc, t);
	int r = restore_fault("fork");
	if (r < 0)
		return r;
	/* Buffered output must not be written twice (raw clone3 runs no atfork handler). */
	log_flush();
	fflush(NULL);
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0) {
		r = negative_errno();
		if (r == -EEXIST)
			return log_error_errno(r, "cannot create task %d: pid %d is already in use", t->pid, t->pid);
		if (r == -EPERM)
			return log_error_errno(r, "cannot create task %d with its pid (clone3 set_tid needs CAP_CHECKPOINT_RESTORE or root)", t->pid);
		return log_error_errno(r, "cannot create task %d", t->pid);
	}
	if (pid == 0) {
		__atomic_store_n(&rc->created[t->owner - 1], 1, __ATOMIC_SEQ_CST);
		/* If cryo-cr or a restoring parent dies, the half-restored task goes too;
		 * the restorer clears this right before the task resumes. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* (the parent of a pid namespace's init is outside it: ppid 0) */
		if (getppid() != ((flags & CLONE_NEWPID) ? 0 : parent))
			_exit(1);
		task_main(rc, t);
	}
	if (expect && pid != expect) {
		kill((pid_t)pid, SIGKILL);
		log_error("task %d was created as %ld, not %d", t->pid, pid, expect);
		return -ESRCH;
	}
	if (!t->parent)
		t->host_pid = (pid_t)pid;	/* cryo-cr creates the root: its pid here */
	__atomic_store_n(&rc->created[t->owner - 1], 1, __ATOMIC_SEQ_CST);
	log_debug("created task %d", t->pid);
	return 0;
}

static int step_setsid(void *ctx, void *data)
{
	struct rst_task *t = data;
	(void)ctx;
	if (setsid() < 0)
		return log_error_errno(negative_errno(), "task %d: setsid", t->pid);
	return 0;
}

/* The group a task asks for: a dumped pgid, or with --shell-job the caller's group. */
static pid_t target_pgid(struct restore_ctx *rc, const struct rst_task *t)
{
	if (rc->opts.shell_job && t->pgid == rc->root->pgid && t->pgid != rc->root->pid)
		return rc->shell_pgid;
	return t->pgid;
}

static int step_setpgid(void *ctx, void *data)
{
	struct restore_ctx *rc = ctx;
	struct rst_task *t = data;
	pid_t pg = target_pgid(rc, t);
	struct rst_task *leader = rst_task_by_pid(rc, pg);
	/* The group's leader as this task sees it (pid namespaces). */
	pid_t seen = pg == t->pid ? 0 : leader ? rst_pid_seen_by(leader, t) : pg;
	if (setpgid(0, seen) < 0)
		return log_error_errno(negative_errno(), "task %d: setpgid to %d", t->pid, pg);
	return 0;
}

/* A zombie's parent: wait until the child died, without reaping it. */
static int step_zombie_wait(void *ctx, void *data)
{
	struct rst_task *z = data;
	siginfo_t si;
	(void)ctx;
	if (waitid(P_PID, (id_t)rst_pid_seen_by(z, z->parent), &si, WEXITED | WNOWAIT) < 0)
		return log_error_errno(negative_errno(), "waiting for zombie %d", z->pid);
	return 0;
}

int restore_step_add(struct restore_ctx *rc, struct rst_task *t, const char *kind,
		     plan_step_fn fn, void *data, unsigned *ret_id)
{
	unsigned id;
	int r = plan_add(rc->plan, rst_owner(t), kind, fn, data, &id);
	if (r < 0)
		return r;
	if (t)
		r = plan_need(rc->plan, id, t->fork_step);
	if (r >= 0 && ret_id)
		*ret_id = id;
	return r;
}

static bool is_session_leader(const struct rst_task *t)
{
	return t->sid == t->pid;
}

/* The session and group a task has right after fork, as dumped values. */
static void inherited(struct restore_ctx *rc, const struct rst_task *t, pid_t *sid, pid_t *pgid)
{
	if (t->parent) {
		*sid = t->parent->sid;
		*pgid = t->parent->pgid;
	} else if (rc->opts.shell_job) {
		/* The root inherits cryo-cr's session and group: they stand for the
		 * dumped ones that lie outside the tree. */
		*sid = is_session_leader(t) ? 0 : t->sid;
		*pgid = t->pgid == t->pid ? 0 : t->pgid;
	} else {
		*sid = 0;
		*pgid = 0;
	}
}

static int add_session_steps(struct restore_ctx *rc, struct rst_task *t)
{
	pid_t isid, ipgid;
	unsigned id;
	int r;

	inherited(rc, t, &isid, &ipgid);
	if (is_session_leader(t) && isid != t->sid) {
		r = restore_step_add(rc, t, "setsid", step_setsid, t, NULL);
		if (r < 0)
			return r;
	} else if (t->sid != isid) {
		if (!t->parent)
			log_error("the session %d of the tree is outside the image: restore it with --shell-job", t->sid);
		else
			log_error("task %d: session %d is neither its own nor its parent's; cannot reproduce it",
				  t->pid, t->sid);
		return -EOPNOTSUPP;
	}
	/* A session leader already leads a group of its own pid. */
	if (t->pgid == ipgid)
		return 0;
	if (t->pgid == t->pid && is_session_leader(t))
		return 0;
	r = restore_step_add(rc, t, "setpgid", step_setpgid, t, &id);
	if (r < 0)
		return r;
	if (t->pgid == t->pid)
		return 0;
	struct rst_task *leader = rst_task_by_pid(rc, t->pgid);
	if (!leader) {
		if (rc->opts.shell_job && t->pgid == rc->root->pgid)
			return 0;
		log_error("task %d: process group %d has no member in the image that leads it", t->pid, t->pgid);
		return -EOPNOTSUPP;
	}
	if (leader->sid != t->sid) {
		log_error("task %d: process group %d belongs to another session", t->pid, t->pgid);
		return -EBADMSG;
	}
	/* The group exists once its leader exists with that group; a zombie leader waits. */
	r = plan_need(rc->plan, id, leader->fork_step);
	if (r >= 0)
		r = plan_need_kind_optional(rc->plan, id, "setsid", leader->owner);
	if (r >= 0)
		r = plan_need_kind_optional(rc->plan, id, "setpgid", leader->owner);
	if (r >= 0 && leader->zombie)
		r = plan_need(rc->plan, leader->exit_step, id);
	return r;
}

static int step_noop(void *ctx, void *data)
{
	(void)ctx;
	(void)data;
	return 0;
}

int pstree_restore_add_steps(struct restore_ctx *rc)
{
	int r;
	for (size_t i = 0; i < rc->n_tasks; i++) {
		struct rst_task *t = &rc->tasks[i];
		r = plan_add(rc->plan, rst_owner(t->parent), "fork", step_fork, t, &t->fork_step);
		if (r < 0)
			return r;
		/* Children inherit the session and group the parent has at the end. */
		if (t->parent) {
			r = plan_need_kind_optional(rc->plan, t->fork_step, "setsid", t->parent->owner);
			if (r >= 0)
				r = plan_need_kind_optional(rc->plan, t->fork_step, "setpgid", t->parent->owner);
			if (r < 0)
				return r;
		}
		if (t->zombie) {
			r = restore_step_add(rc, t, "exit", step_noop, t, &t->exit_step);
			if (r < 0)
				return r;
			unsigned w;
			r = restore_step_add(rc, t->parent, "zombie-wait", step_zombie_wait, t, &w);
			if (r >= 0)
				r = plan_need(rc->plan, w, t->exit_step);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < rc->n_tasks; i++) {
		r = add_session_steps(rc, &rc->tasks[i]);
		if (r < 0)
			return r;
		/* A zombie exits only after its own session steps. */
		if (rc->tasks[i].zombie) {
			r = plan_need_kind_optional(rc->plan, rc->tasks[i].exit_step, "setsid", rc->tasks[i].owner);
			if (r >= 0)
				r = plan_need_kind_optional(rc->plan, rc->tasks[i].exit_step, "setpgid", rc->tasks[i].owner);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* A zombie dies the way it died before; everyone else enters the restorer. */
_Noreturn void restore_task_finish(struct restore_ctx *rc, struct rst_task *t)
{
	if (!t->zombie)
		mem_restore_enter(rc, t);
	int st = t->exit_status;
	if (WIFSIGNALED(st)) {
		struct rlimit no_core = { 0, 0 };
		sigset_t all;
		setrlimit(RLIMIT_CORE, &no_core);
		signal(WTERMSIG(st), SIG_DFL);
		sigfillset(&all);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		kill(getpid(), WTERMSIG(st));
	}
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 0);
}
