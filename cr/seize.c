/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Seize: attach to every thread of the tree and bring it to a ptrace stop.
 *
 * Without a freezer a task may fork or clone while we walk the tree, so we
 * rescan until a full pass finds nothing new: once every thread of a
 * process is in a ptrace stop it cannot create anything, and a fork that
 * was in flight has completed (its child is visible) before the parent's
 * stop is reported.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include "kerndat.h"
#include "log.h"
#include "seize.h"
#include "taskstate.h"

#define SEIZE_MAX_PASSES 100

struct seized_task *pstree_find(struct pstree *t, pid_t pid)
{
	for (size_t i = 0; i < t->nr_tasks; i++)
		if (t->tasks[i].pid == pid)
			return &t->tasks[i];
	return NULL;
}

static struct seized_thread *task_find_thread(struct seized_task *k, pid_t tid)
{
	for (size_t i = 0; i < k->nr_threads; i++)
		if (k->threads[i].tid == tid)
			return &k->threads[i];
	return NULL;
}

static int pstree_add_task(struct pstree *t, pid_t pid, int parent)
{
	struct seized_task *nt = realloc(t->tasks, (t->nr_tasks + 1) * sizeof(*nt));

	if (!nt)
		return -ENOMEM;
	t->tasks = nt;
	memset(&nt[t->nr_tasks], 0, sizeof(nt[0]));
	nt[t->nr_tasks].pid = pid;
	nt[t->nr_tasks].parent = parent;
	t->nr_tasks++;
	return 0;
}

static struct seized_thread *task_add_thread(struct seized_task *k, pid_t tid)
{
	struct seized_thread *nt = realloc(k->threads, (k->nr_threads + 1) * sizeof(*nt));

	if (!nt)
		return NULL;
	k->threads = nt;
	memset(&nt[k->nr_threads], 0, sizeof(nt[0]));
	nt[k->nr_threads].tid = tid;
	return &nt[k->nr_threads++];
}

/* Wait until a thread we interrupted is in a ptrace stop.  1: stopped, 0: it died. */
static int wait_thread_stopped(struct seized_thread *th)
{
	for (;;) {
		int status;
		pid_t r = waitpid(th->tid, &status, __WALL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return log_error_errno(negative_errno(), "waiting for thread %d to stop", th->tid);
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			th->seized = false;
			return 0;
		}
		if (!WIFSTOPPED(status))
			continue;
		if ((status >> 16) == PTRACE_EVENT_STOP) {
			int sig = WSTOPSIG(status);
			/* SIGTRAP: our interrupt; a stop signal: the task was in a group stop. */
			if (sig != SIGTRAP)
				th->group_stopped = true;
			return 1;
		}
		/* A signal-delivery-stop came first.  Keep the signal for release
		 * and let the pending interrupt bring the thread to an event stop. */
		if (th->pending_sig)
			log_warn("thread %d: second pending signal %d dropped", th->tid, th->pending_sig);
		th->pending_sig = WSTOPSIG(status);
		if (ptrace(PTRACE_GETSIGINFO, th->tid, 0, &th->pending_info) < 0) {
			memset(&th->pending_info, 0, sizeof(th->pending_info));
			th->pending_info.si_signo = th->pending_sig;
			th->pending_info.si_code = SI_USER;
		}
		log_debug("thread %d: intercepted signal %d while seizing", th->tid, th->pending_sig);
		if (ptrace(PTRACE_CONT, th->tid, 0, 0) < 0)
			return log_error_errno(negative_errno(), "resuming thread %d to its stop", th->tid);
	}
}

static int check_not_traced(pid_t pid, pid_t tid)
{
	struct proc_status st;
	int r = proc_parse_status(pid, tid, &st);

	if (r < 0)
		return r;
	if (st.tracer && st.tracer != getpid()) {
		log_error("task %d is traced by %d: cannot dump a traced task", tid, st.tracer);
		return -EBUSY;
	}
	return 0;
}

/* Attach to one thread; with wait, also bring it to a stop.  0 if it vanished. */
static int seize_thread(struct seized_task *k, pid_t tid, bool wait)
{
	struct seized_thread *th;
	int r;

	r = check_not_traced(k->pid, tid);
	if (r == -ENOENT || r == -ESRCH)
		return 0;
	if (r < 0)
		return r;
	th = task_add_thread(k, tid);
	if (!th)
		return -ENOMEM;
	if (ptrace(PTRACE_SEIZE, tid, 0, ts_seize_options(k->pid, tid)) < 0) {
		r = negative_errno();
		k->nr_threads--;
		if (r == -ESRCH)	/* exited meanwhile */
			return 0;
		return log_error_errno(r, "cannot seize thread %d of %d", tid, k->pid);
	}
	th->seized = true;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0)
		return log_error_errno(negative_errno(), "cannot interrupt thread %d", tid);
	if (!wait)
		return 1;
	r = wait_thread_stopped(th);
	if (r == 0)	/* it exited before stopping: nothing to dump */
		k->nr_threads--;
	return r < 0 ? r : 1;
}

/* Forget threads that exited before they stopped (the freezer path waits late). */
static void prune_dead_threads(struct seized_task *k)
{
	size_t n = 0;

	for (size_t i = 0; i < k->nr_threads; i++)
		if (k->threads[i].seized)
			k->threads[n++] = k->threads[i];
	k->nr_threads = n;
}

/* Seize threads of task k not seized yet.  Returns how many were new. */
static int seize_task_threads(struct seized_task *k, bool wait)
{
	_cleanup_free_ pid_t *tids = NULL;
	size_t n = 0;
	int r, added = 0;

	r = proc_list_tasks(k->pid, &tids, &n);
	if (r < 0)
		return log_error_errno(r, "cannot list threads of %d", k->pid);
	/* Main thread first, as pstree.img wants it. */
	if (!task_find_thread(k, k->pid)) {
		r = seize_thread(k, k->pid, wait);
		if (r < 0)
			return r;
		added += r;
	}
	for (size_t i = 0; i < n; i++) {
		struct proc_stat st;
		if (task_find_thread(k, tids[i]))
			continue;
		/* A thread that is exiting cannot be seized and does not matter. */
		if (proc_parse_stat(k->pid, tids[i], &st) < 0 || st.state == 'Z' || st.state == 'X')
			continue;
		r = seize_thread(k, tids[i], wait);
		if (r < 0)
			return r;
		added += r;
	}
	return added;
}

static int pstree_scan_pass(struct pstree *t, bool wait)
{
	int changed = 0, r;

	for (size_t i = 0; i < t->nr_tasks; i++) {
		_cleanup_free_ pid_t *kids = NULL;
		size_t nk = 0;
		struct seized_task *k = &t->tasks[i];

		if (!k->zombie) {
			r = proc_parse_stat(k->pid, 0, &k->stat);
			if (r < 0)
				return log_error_errno(r, "cannot read /proc/%d/stat", k->pid);
			prune_dead_threads(k);
			if (k->stat.state == 'Z' || k->stat.state == 'X') {
				/* It exited while we seized it (all its threads died before
				 * stopping): from now on it is a zombie of the tree. */
				if (k->nr_threads) {
					log_error("process %d exited while being seized", k->pid);
					return -ESRCH;
				}
				k->zombie = true;
				changed++;
			}
		}
		if (!k->zombie) {
			r = seize_task_threads(k, wait);
			if (r < 0)
				return r;
			changed += r;
		}
		r = proc_list_children(k->pid, &kids, &nk);
		if (r < 0)
			return log_error_errno(r, "cannot list children of %d", k->pid);
		for (size_t j = 0; j < nk; j++) {
			if (pstree_find(t, kids[j]))
				continue;
			if (kids[j] == getpid()) {
				log_error("the tree of %d contains the dumper itself", t->root);
				return -EINVAL;
			}
			r = pstree_add_task(t, kids[j], (int)i);
			if (r < 0)
				return r;
			changed++;
		}
	}
	return changed;
}

static int freezer_write(const char *dir, const char *state)
{
	char path[4096];
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "%s/freezer.state", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, state, strlen(state)) < 0)
		return log_error_errno(negative_errno(), "cannot write %s to %s", state, path);
	return 0;
}

static int freezer_wait_frozen(const char *dir)
{
	char path[4096], buf[64];

	snprintf(path, sizeof(path), "%s/freezer.state", dir);
	for (int i = 0; i < 10000; i++) {
		int r = proc_read_small(path, buf, sizeof(buf));
		if (r < 0)
			return log_error_errno(r, "cannot read %s", path);
		if (!strcmp(buf, "FROZEN"))
			return 0;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	log_error("freezer %s did not reach FROZEN in 10 s", dir);
	return -ETIMEDOUT;
}

static int freeze(struct pstree *t, const char *dir)
{
	char path[4096], state[64];
	int r;

	t->freezer = strdup(dir);
	if (!t->freezer)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/freezer.state", dir);
	r = proc_read_small(path, state, sizeof(state));
	if (r < 0)
		return log_error_errno(r, "cannot read %s", path);
	t->was_frozen = !strcmp(state, "FROZEN");
	r = freezer_write(dir, "FROZEN");
	if (r < 0)
		return r;
	t->frozen = true;
	r = freezer_wait_frozen(dir);
	if (r >= 0)
		log_info("froze the tree with %s", dir);
	return r;
}

static int thaw(struct pstree *t)
{
	if (!t->frozen)
		return 0;
	t->frozen = false;
	return freezer_write(t->freezer, "THAWED");
}

/* Frozen tree: everything was seized and interrupted; thaw and collect the stops. */
static int wait_all_stopped(struct pstree *t)
{
	for (size_t i = 0; i < t->nr_tasks; i++) {
		for (size_t j = 0; j < t->tasks[i].nr_threads; j++) {
			struct seized_thread *th = &t->tasks[i].threads[j];
			if (th->seized) {
				int r = wait_thread_stopped(th);
				if (r < 0)
					return r;
			}
		}
		prune_dead_threads(&t->tasks[i]);
	}
	return 0;
}

static int seize_frozen(struct pstree *t, const char *freezer)
{
	int r, q;

	if (!kerndat_has(KD_CGROUP_FREEZER)) {
		log_error("--freeze-cgroup: this kernel has no cgroup freezer (%s)", kerndat_detail(KD_CGROUP_FREEZER));
		return -EOPNOTSUPP;
	}
	r = freeze(t, freezer);

	if (r < 0) {
		thaw(t);
		return r;
	}
	/* Frozen: one pass finds everything; a second one must find nothing new. */
	for (int pass = 0; pass < 2 && r >= 0; pass++)
		r = pstree_scan_pass(t, false);
	/* Thaw and collect the stops also on failure: only stopped threads can be detached. */
	q = thaw(t);
	if (r >= 0)
		r = q;
	q = wait_all_stopped(t);
	return r < 0 ? r : q;
}

static int seize_live(struct pstree *t)
{
	for (int pass = 0; pass < SEIZE_MAX_PASSES; pass++) {
		int r = pstree_scan_pass(t, true);
		if (r < 0)
			return r;
		if (r == 0)
			return 0;
	}
	log_error("tree of %d keeps changing after %d passes", t->root, SEIZE_MAX_PASSES);
	return -EAGAIN;
}

int seize_tree(pid_t root, const char *freezer, struct pstree **ret)
{
	struct pstree *t;
	int r;

	if (root <= 0 || root == getpid()) {
		log_error("cannot dump pid %d", root);
		return -EINVAL;
	}
	if (kill(root, 0) < 0)
		return log_error_errno(negative_errno(), "no process %d", root);
	{
		struct proc_status st;
		if (proc_parse_status(root, 0, &st) == 0 && st.tgid != root) {
			log_error("%d is a thread of process %d: dump the process", root, st.tgid);
			return -EINVAL;
		}
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->root = root;
	r = pstree_add_task(t, root, -1);
	if (r >= 0)
		r = freezer ? seize_frozen(t, freezer) : seize_live(t);
	for (size_t i = 0; r >= 0 && i < t->nr_tasks; i++) {
		struct seized_task *k = &t->tasks[i];
		if (k->zombie || k->nr_threads)
			continue;
		/* All its threads exited before they stopped. */
		if (proc_parse_stat(k->pid, 0, &k->stat) == 0 && (k->stat.state == 'Z' || k->stat.state == 'X'))
			k->zombie = true;
		else {
			log_error("process %d lost all its threads while being seized", k->pid);
			r = -ESRCH;
		}
	}
	if (r >= 0 && t->tasks[0].zombie) {
		log_error("process %d is a zombie: nothing to dump", root);
		r = -ESRCH;
	}
	if (r < 0) {
		release_tree(t, RELEASE_RUNNING);
		return r;
	}
	log_info("seized %zu processes of the tree of %d", t->nr_tasks, root);
	*ret = t;
	return 0;
}

static int detach_thread(struct seized_task *k, struct seized_thread *th)
{
	int r = 0;

	if (!th->seized)
		return 0;
	/* The signal we swallowed while seizing goes back, with its siginfo, before
	 * the task runs.  (The kernel lets us queue a foreign si_code: we are its tracer
	 * and root; if not, the bare signal is better than none.) */
	if (th->pending_sig &&
	    syscall(SYS_rt_tgsigqueueinfo, k->pid, th->tid, th->pending_sig, &th->pending_info) < 0 &&
	    syscall(SYS_tgkill, k->pid, th->tid, th->pending_sig) < 0)
		r = log_error_errno(negative_errno(), "re-sending signal %d to %d", th->pending_sig, th->tid);
	if (ptrace(PTRACE_DETACH, th->tid, 0, 0) < 0 && errno != ESRCH && !r)
		r = log_error_errno(negative_errno(), "cannot detach from thread %d", th->tid);
	th->seized = false;
	return r;
}

/* Collect the exit of every thread we traced, so it is gone when we return.
 * The leader (index 0) last: its exit is reported only after the others'. */
static void reap_killed(struct seized_task *k)
{
	for (size_t j = k->nr_threads; j-- > 0;) {
		struct seized_thread *th = &k->threads[j];
		int status;
		if (!th->seized)
			continue;
		while (waitpid(th->tid, &status, __WALL) >= 0)
			if (WIFEXITED(status) || WIFSIGNALED(status))
				break;
		th->seized = false;
	}
}

/* After a kill, the pids must be free for a restore: every process below the
 * root is reaped by init (its parent died with the tree), the root by its
 * parent outside the tree, which may not have waited yet (a zombie is fine). */
static void wait_tree_gone(struct pstree *t)
{
	for (int i = 0; i < 5000; i++) {
		bool alive = false;
		for (size_t j = 0; j < t->nr_tasks && !alive; j++) {
			struct proc_stat st;
			pid_t pid = t->tasks[j].pid;
			if (kill(pid, 0) < 0 && errno == ESRCH)
				continue;
			if (j == 0 && proc_parse_stat(pid, 0, &st) == 0 && st.state == 'Z')
				continue;
			alive = true;
		}
		if (!alive)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	log_warn("some processes of the tree of %d are still there 5 s after the kill", t->root);
}

static void pstree_free(struct pstree *t)
{
	for (size_t i = 0; i < t->nr_tasks; i++)
		free(t->tasks[i].threads);
	free(t->tasks);
	free(t->freezer);
	free(t);
}

int release_tree(struct pstree *t, enum release_mode mode)
{
	int r = 0, q;

	if (!t)
		return 0;
	for (size_t i = 0; i < t->nr_tasks; i++) {
		struct seized_task *k = &t->tasks[i];
		if (k->zombie || !k->nr_threads)
			continue;
		if (mode == RELEASE_KILL && kill(k->pid, SIGKILL) < 0 && !r)
			r = log_error_errno(negative_errno(), "cannot kill %d", k->pid);
		if (mode == RELEASE_STOPPED && kill(k->pid, SIGSTOP) < 0 && !r)
			r = log_error_errno(negative_errno(), "cannot stop %d", k->pid);
	}
	/* Children first: a pid namespace's init dies only once every task of its
	 * namespace is reaped, and we trace them. */
	for (size_t i = t->nr_tasks; mode == RELEASE_KILL && i-- > 0;)
		reap_killed(&t->tasks[i]);
	for (size_t i = 0; i < t->nr_tasks; i++) {
		struct seized_task *k = &t->tasks[i];
		if (mode == RELEASE_KILL)
			continue;
		for (size_t j = 0; j < k->nr_threads; j++) {
			q = detach_thread(k, &k->threads[j]);
			if (q < 0 && !r)
				r = q;
		}
	}
	q = thaw(t);
	if (q < 0 && !r)
		r = q;
	/* A cgroup the user had frozen goes back to frozen (the tree is detached). */
	if (t->was_frozen && mode != RELEASE_KILL) {
		q = freezer_write(t->freezer, "FROZEN");
		if (q < 0 && !r)
			r = q;
	}
	if (mode == RELEASE_KILL)
		wait_tree_gone(t);
	pstree_free(t);
	return r;
}
