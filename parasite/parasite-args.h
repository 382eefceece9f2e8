/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The contract between the dumper (host, with libc) and the parasite blob
 * (freestanding).  Fixed-width types only; the asserts pin the layout so
 * the two compilations cannot disagree.
 *
 * Protocol: the host writes a struct parasite_args into the args area of
 * the task's scratch mapping (through /proc/PID/mem), points a stopped
 * thread at parasite_cmd(args) with a return address on an int3, resumes
 * it and waits for the trap; the blob fills the answer and sets status.
 */
#ifndef CRYO_PARASITE_ARGS_H
#define CRYO_PARASITE_ARGS_H

#include <stddef.h>
#include <stdint.h>

#define PARASITE_ARGS_MAGIC 0x6372796f70617261ULL	/* "cryopara" */
#define PARASITE_NSIG 64

enum parasite_cmd {
	PARASITE_CMD_TASK_STATE = 1,	/* per process: sigactions, itimers */
	PARASITE_CMD_THREAD_STATE = 2,	/* per thread: altstack, clear_child_tid, tid */
};

struct parasite_sigaction {
	uint64_t handler, flags, restorer, mask;
};

struct parasite_itimer {
	int64_t interval_sec, interval_usec, value_sec, value_usec;
};

struct parasite_task_state {
	struct parasite_sigaction sigactions[PARASITE_NSIG];	/* index signo - 1 */
	struct parasite_itimer itimers[3];
	int32_t pid;
	int32_t pad;
};

struct parasite_thread_state {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t tid;
	uint64_t ss_size;
	uint64_t clear_child_tid;
};

struct parasite_args {
	uint64_t magic;
	uint32_t cmd;
	int32_t status;		/* 0 or -errno of the first failing step */
	union {
		struct parasite_task_state task;
		struct parasite_thread_state thread;
	};
};

_Static_assert(sizeof(struct parasite_sigaction) == 32, "sigaction layout");
_Static_assert(sizeof(struct parasite_itimer) == 32, "itimer layout");
_Static_assert(offsetof(struct parasite_task_state, itimers) == 32 * PARASITE_NSIG, "task layout");
_Static_assert(sizeof(struct parasite_task_state) == 32 * PARASITE_NSIG + 96 + 8, "task size");
_Static_assert(offsetof(struct parasite_thread_state, ss_size) == 16, "thread layout");
_Static_assert(sizeof(struct parasite_thread_state) == 32, "thread size");
_Static_assert(offsetof(struct parasite_args, task) == 16, "args layout");
_Static_assert(sizeof(struct parasite_args) == 16 + sizeof(struct parasite_task_state), "args size");

#endif
