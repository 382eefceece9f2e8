/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The end of a restore: wait until every thread of every task is prepared in
 * the restorer, resume them all together, and remove the restorer.
 *
 * The restorer cannot unmap its own code and then execute rt_sigreturn, so
 * cryo-cr traces every thread from the barrier on: each thread stops at the
 * exit of its rt_sigreturn (its registers are the dumped ones by then), then
 * one thread per task runs munmap of the hole from the blob's syscall gadget
 * and gets its dumped registers back, and every thread is detached.
 *
 * On failure, every task created is killed and reaped (cryo-cr is a child
 * subreaper during restore, so orphans come back to it).
 */
#include <errno.h>
#include <stdint.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "restore.h"
#include "restore-fault.h"
#include "restorer/restorer-args.h"

static const char *const blob_steps[] = {
	[RST_STEP_ARGS] = "checking its arguments",
	[RST_STEP_UNMAP] = "unmapping the old memory",
	[RST_STEP_SPECIAL] = "moving the vDSO",
	[RST_STEP_MMAP] = "mapping an area",
	[RST_STEP_PAGES] = "reading pages",
	[RST_STEP_MPROTECT] = "protecting an area",
	[RST_STEP_MM_FIELDS] = "setting mm fields",
	[RST_STEP_CLONE] = "creating a thread",
	[RST_STEP_THREAD] = "setting thread state",
	[RST_STEP_SIGNALS] = "queueing signals",
	[RST_STEP_TS_SCHED] = "setting a thread's scheduling",
	[RST_STEP_CREDS] = "setting credentials",
	[RST_STEP_SECCOMP] = "installing seccomp",
	[RST_STEP_ROOT] = "changing its root directory",
	[RST_STEP_TIMERS] = "creating the POSIX timers aimed at its threads",
	[RST_STEP_LOCKS] = "taking its POSIX file locks again",
	[RST_STEP_MADVISE] = "re-applying memory advice or guard pages",
};

/* Alive and not a zombie. */
bool restore_task_alive(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f || !fgets(buf, sizeof(buf), f))
		return false;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static int check_tasks_alive(struct restore_ctx *rc)
{
	for (size_t i = 0; i < rc->n_tasks; i++) {
		struct rst_task *t = &rc->tasks[i];
		if (t->zombie || !__atomic_load_n(&rc->created[i], __ATOMIC_SEQ_CST))
			continue;
		if (!restore_task_alive(rst_host_pid(rc, t))) {
			log_error("task %d died during restore", t->pid);
			return -ECHILD;
		}
	}
	return 0;
}

/* The blob's first failure, if any, named. */
static int blob_error(const struct rst_sync *s)
{
	int32_t err = __atomic_load_n(&s->error, __ATOMIC_SEQ_CST);
	if (!err)
		return 0;
	const char *what = s->error_step < sizeof(blob_steps) / sizeof(blob_steps[0]) && blob_steps[s->error_step]
				   ? blob_steps[s->error_step]
				   : "?";
	return log_error_errno(err, "restorer in thread %u failed %s", s->error_tid, what);
}

static int wait_ready(struct restore_ctx *rc)
{
	struct rst_sync *s = rc->sync;
	for (;;) {
		int32_t ready = __atomic_load_n(&s->ready, __ATOMIC_SEQ_CST);
		int r = blob_error(s);
		if (r < 0)
			return r;
		if ((size_t)ready >= rc->n_threads_total) {
			if (s->mm_error)
				log_warn("task %u: cannot restore its mm fields (PR_SET_MM_MAP): %s; /proc/%u/cmdline and exe may be wrong",
					 s->mm_error_pid, strerror(-s->mm_error), s->mm_error_pid);
			return 0;
		}
		r = check_tasks_alive(rc);
		if (r < 0)
			return r;
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		syscall(SYS_futex, &s->ready, FUTEX_WAIT, ready, &ts, NULL, 0);
	}
}

static int wait_stop(pid_t tid, int *ret_status)
{
	int st;
	if (waitpid(tid, &st, __WALL) != tid)
		return log_error_errno(negative_errno(), "waiting for thread %d", tid);
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		log_error("thread %d died while being resumed", tid);
		return -ECHILD;
	}
	*ret_status = st;
	return 0;
}

static int seize_thread(pid_t tid, unsigned long extra_options)
{
	int st;
	if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | extra_options) < 0 ||
	    ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0)
		return log_error_errno(negative_errno(), "cannot trace thread %d", tid);
	int r = wait_stop(tid, &st);
	if (r < 0)
		return r;
	if (ptrace(PTRACE_SYSCALL, tid, 0, 0) < 0)
		return log_error_errno(negative_errno(), "cannot resume thread %d", tid);
	return 0;
}

/* Let the thread run until it stops at the exit of rt_sigreturn. */
static int run_to_sigreturn(pid_t tid)
{
	bool in_sigreturn = false;
	for (;;) {
		int st, r = wait_stop(tid, &st);
		if (r < 0)
			return r;
		int sig = WSTOPSIG(st);
		if (sig == (SIGTRAP | 0x80)) {
			struct __ptrace_syscall_info info;
			if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), &info) < 0)
				return log_error_errno(negative_errno(), "thread %d: syscall info", tid);
			if (info.op == PTRACE_SYSCALL_INFO_ENTRY)
				in_sigreturn = info.entry.nr == __NR_rt_sigreturn;
			else if (info.op == PTRACE_SYSCALL_INFO_EXIT && in_sigreturn)
				return 0;
			sig = 0;
		} else if (st >> 16 == PTRACE_EVENT_STOP) {
			sig = 0;
		}
		if (ptrace(PTRACE_SYSCALL, tid, 0, sig) < 0)
			return log_error_errno(negative_errno(), "cannot resume thread %d", tid);
	}
}

/* In a thread stopped after rt_sigreturn: munmap(hole) from the blob, then its own registers again. */
static int unmap_hole(struct restore_ctx *rc, pid_t tid)
{
	struct user_regs_struct saved, regs;
	int st, r;
	if (ptrace(PTRACE_GETREGS, tid, 0, &saved) < 0)
		return log_error_errno(negative_errno(), "thread %d: get registers", tid);
	/* A signal for the task (it may be flooded with them) must neither stop the
	 * gadget nor run a handler while it runs: block everything meanwhile; what
	 * arrives stays pending and is delivered once the task's mask is back. */
	uint64_t mask, all = ~0ull;
	if (ptrace(PTRACE_GETSIGMASK, tid, sizeof(mask), &mask) < 0 ||
	    ptrace(PTRACE_SETSIGMASK, tid, sizeof(all), &all) < 0)
		return log_error_errno(negative_errno(), "thread %d: signal mask", tid);
	regs = saved;
	regs.rip = mem_restore_gadget(rc);
	regs.rax = __NR_munmap;
	regs.orig_rax = (unsigned long long)-1;
	regs.rdi = rc->hole_start;
	regs.rsi = rc->hole_len;
	if (ptrace(PTRACE_SETREGS, tid, 0, &regs) < 0)
		return log_error_errno(negative_errno(), "thread %d: set registers", tid);
	for (int stops = 0; stops < 2; stops++) {
		if (ptrace(PTRACE_SYSCALL, tid, 0, 0) < 0)
			return log_error_errno(negative_errno(), "thread %d: resume", tid);
		r = wait_stop(tid, &st);
		if (r < 0)
			return r;
		if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			log_error("thread %d: unexpected stop %#x while removing the restorer", tid, st);
			return -EPROTO;
		}
	}
	if (ptrace(PTRACE_GETREGS, tid, 0, &regs) < 0)
		return negative_errno();
	if ((long long)regs.rax < 0)
		return log_error_errno((int)regs.rax, "thread %d: munmap of the restorer", tid);
	if (ptrace(PTRACE_SETREGS, tid, 0, &saved) < 0)
		return log_error_errno(negative_errno(), "thread %d: set registers", tid);
	if (ptrace(PTRACE_SETSIGMASK, tid, sizeof(mask), &mask) < 0)
		return log_error_errno(negative_errno(), "thread %d: restore the signal mask", tid);
	return 0;
}

static int resume_traced(struct restore_ctx *rc)
{
	int r;
	for (size_t i = 0; i < rc->n_tasks; i++)
		for (size_t j = 0; !rc->tasks[i].zombie && j < rc->tasks[i].n_tids; j++) {
			r = seize_thread(rst_host_tid(rc, &rc->tasks[i], j), ts_restore_ptrace_options(&rc->tasks[i]));
			if (r < 0)
				return r;
		}
	__atomic_store_n(&rc->sync->go, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &rc->sync->go, FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
	for (size_t i = 0; i < rc->n_tasks; i++)
		for (size_t j = 0; !rc->tasks[i].zombie && j < rc->tasks[i].n_tids; j++) {
			r = run_to_sigreturn(rst_host_tid(rc, &rc->tasks[i], j));
			if (r < 0) {
				blob_error(rc->sync);	/* why it died, if the blob said */
				return r;
			}
		}
	for (size_t i = 0; i < rc->n_tasks; i++) {
		if (rc->tasks[i].zombie)
			continue;
		r = unmap_hole(rc, rst_host_pid(rc, &rc->tasks[i]));
		if (r < 0)
			return r;
	}
	/* Tasks dumped in a job-control stop: the SIGSTOP waits behind the trace and
	 * stops them as soon as they are detached, before they run. */
	for (size_t i = 0; i < rc->n_tasks; i++) {
		const TaskCoreEntry *tc = rc->tasks[i].task_core;
		if (!rc->tasks[i].zombie && tc && tc->has_stopped && tc->stopped &&
		    kill(rst_host_pid(rc, &rc->tasks[i]), SIGSTOP) < 0)
			return log_error_errno(negative_errno(), "cannot stop task %d again", rc->tasks[i].pid);
	}
	/* The tree is whole and nothing of it runs yet: its network opens now,
	 * so its first packets are not dropped (docs/netlock.md). */
	netns_restore_unlock(rc);
	r = restore_fault("after-unlock");
	if (r < 0)
		return r;
	for (size_t i = 0; i < rc->n_tasks; i++)
		for (size_t j = 0; !rc->tasks[i].zombie && j < rc->tasks[i].n_tids; j++)
			if (ptrace(PTRACE_DETACH, rst_host_tid(rc, &rc->tasks[i], j), 0, 0) < 0)
				return log_error_errno(negative_errno(), "cannot detach thread %u", rc->tasks[i].tids[j]);
	return 0;
}

int restore_resume_all(struct restore_ctx *rc)
{
	int r = wait_ready(rc);
	if (r < 0)
		return r;
	r = restore_fault("before-resume");
	if (r < 0)
		return r;
	return resume_traced(rc);
}

static void kill_task(struct restore_ctx *rc, struct rst_task *t)
{
	pid_t pid = rst_host_pid(rc, t);

	if (pid > 0)
		kill(pid, SIGKILL);
}

void restore_kill_all(struct restore_ctx *rc)
{
	if (rc->plan)
		plan_abort(rc->plan, -ECANCELED);
	if (rc->sync) {
		__atomic_store_n(&rc->sync->go, -1, __ATOMIC_SEQ_CST);
		syscall(SYS_futex, &rc->sync->go, FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
	}
	/* (a pid namespace's init takes every task of its namespace with it) */
	for (size_t i = 0; rc->created && i < rc->n_tasks; i++)
		if (__atomic_load_n(&rc->created[i], __ATOMIC_SEQ_CST))
			kill_task(rc, &rc->tasks[i]);
	/* Reap them all; orphans of killed tasks come to us (child subreaper).  A task
	 * being reparented right now is not our child yet: sweep until none is left. */
	for (int round = 0; round < 100; round++) {
		pid_t p;
		while ((p = waitpid(-1, NULL, __WALL)) > 0 || (p < 0 && errno == EINTR))
			;
		bool left = false;
		for (size_t i = 0; rc->created && i < rc->n_tasks; i++)
			if (__atomic_load_n(&rc->created[i], __ATOMIC_SEQ_CST) &&
			    rst_host_pid(rc, &rc->tasks[i]) > 0 &&
			    restore_task_alive(rst_host_pid(rc, &rc->tasks[i]))) {
				kill_task(rc, &rc->tasks[i]);
				left = true;
			}
		if (!left)
			return;
		usleep(20000);
	}
	log_error("some restored tasks could not be killed");
}
