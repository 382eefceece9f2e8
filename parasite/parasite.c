/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parasite: runs inside a seized task, on a stack in the scratch area,
 * and answers what only the task can tell.  Entry: parasite_cmd(args); it
 * returns to an int3 the host placed, which hands control back.
 */
#include <stddef.h>
#include <stdint.h>
#include <linux/prctl.h>
#include "pie.h"
#include "pie-syscall.h"
#include "parasite-args.h"

static long task_state(struct parasite_task_state *t)
{
	long r;

	t->pid = (int32_t)sys_getpid();
	for (int sig = 1; sig <= PARASITE_NSIG; sig++) {
		if (sig == 9 || sig == 19)	/* SIGKILL, SIGSTOP: fixed */
			continue;
		r = sys_rt_sigaction(sig, NULL, &t->sigactions[sig - 1]);
		if (r < 0)
			return r;
	}
	for (int which = 0; which < 3; which++) {
		r = sys_getitimer(which, (struct itimerval *)&t->itimers[which]);
		if (r < 0)
			return r;
	}
	return 0;
}

static long thread_state(struct parasite_thread_state *t)
{
	struct { uint64_t sp; int32_t flags; int32_t pad; uint64_t size; } ss;
	long r;

	t->tid = (int32_t)sys_gettid();
	r = sys_sigaltstack(NULL, &ss);
	if (r < 0)
		return r;
	t->ss_sp = ss.sp;
	t->ss_flags = ss.flags;
	t->ss_size = ss.size;
	return sys_prctl(PR_GET_TID_ADDRESS, (unsigned long)&t->clear_child_tid, 0, 0, 0);
}

PIE_ENTRY long parasite_cmd(struct parasite_args *a)
{
	long r;

	if (a->magic != PARASITE_ARGS_MAGIC)
		return a->status = -22;	/* EINVAL */
	switch (a->cmd) {
	case PARASITE_CMD_TASK_STATE:
		r = task_state(&a->task);
		break;
	case PARASITE_CMD_THREAD_STATE:
		r = thread_state(&a->thread);
		break;
	default:
		r = -38;	/* ENOSYS */
	}
	a->status = (int32_t)r;
	return r;
}
