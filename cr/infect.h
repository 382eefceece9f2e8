/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running code inside a seized task.  infect_start() maps a small scratch
 * area into the process with one injected syscall (a "syscall; int3" word
 * poked at the thread's ip and put back at once); after that every remote
 * syscall runs from the scratch area, on any seized thread of the process,
 * with all signals blocked.  infect_stop() unmaps the area and puts back
 * each thread's registers (general and FPU/vector state) and signal mask.  Outputs of remote syscalls
 * land in the scratch area and are read back through /proc/PID/mem.
 */
#ifndef CRYO_INFECT_H
#define CRYO_INFECT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

/*
 * Scratch area layout: [0, 4096) syscall code and the int3 calls return to;
 * then the blob (if any); then INFECT_ARGS_SIZE of arguments; then the stack
 * (upper half: infect_call; lower half: the background call).
 */
#define INFECT_ARGS_SIZE (2 * 4096)
#define INFECT_STACK_SIZE (16 * 4096)

/* A blob to load into the scratch area (from a blobgen header). */
struct infect_blob {
	const void *image;
	size_t size;		/* bytes to copy */
	size_t mem_size;	/* bytes the image spans (bss zeroed by mmap) */
};

struct infect_thread {
	pid_t tid;
	bool prepared;			/* regs saved and signals blocked */
	bool running;			/* runs a background call (infect_call_start) */
	bool stop_pending;		/* a SIGSTOP came while it ran our code: sent again at the cure */
	struct user_regs_struct regs;	/* as seized: put back by infect_stop */
	uint64_t sigmask;
	void *xstate;			/* NT_X86_XSTATE as seized, put back too */
	size_t xstate_len;
};

struct infect {
	pid_t pid;
	int mem_fd;			/* /proc/PID/mem */
	uint64_t scratch;		/* remote address of the scratch area, 0 if none */
	uint64_t scratch_size;
	uint64_t blob_off, args_off;	/* offsets in the scratch area */
	struct infect_thread *threads;
	size_t nr_threads;
	size_t code_thread;		/* the thread whose ip mapped (and unmaps) the area */
};

/* Map the scratch area into pid through one of its threads and load blob
 * (NULL: remote syscalls only).  On failure call infect_stop() all the same. */
int infect_start(struct infect *inf, pid_t pid, const pid_t *tids, size_t nr_tids,
		 const struct infect_blob *blob);
/* Call the blob's entry (offset in the blob) with arg in thread tid; *ret = its rax. */
int infect_call(struct infect *inf, pid_t tid, uint64_t entry_off, uint64_t arg, int64_t *ret);
/*
 * A call that runs while the host does other things (the parasite daemon):
 * start it in tid with two args, then poll (-EAGAIN while it runs) or wait
 * for its return.  It runs on its own part of the stack area, so
 * infect_call() in other threads may run meanwhile; tid itself is busy
 * (-EBUSY) until it returned.  infect_stop() interrupts a call still
 * running.
 */
int infect_call_start(struct infect *inf, pid_t tid, uint64_t entry_off, uint64_t arg0, uint64_t arg1);
int infect_call_poll(struct infect *inf, pid_t tid, int64_t *ret);
int infect_call_wait(struct infect *inf, pid_t tid, unsigned timeout_ms, int64_t *ret);
/* Stop a background call that did not return (PTRACE_INTERRUPT); 0 if none runs. */
int infect_call_abort(struct infect *inf, pid_t tid);
/* Run syscall nr with up to 6 args in thread tid; *ret gets the raw result. */
int infect_syscall(struct infect *inf, pid_t tid, long nr, const uint64_t args[6], int64_t *ret);
/* Copy between the dumper and the scratch area (offset into it; args at inf->args_off). */
int infect_read(struct infect *inf, uint64_t off, void *buf, size_t len);
int infect_write(struct infect *inf, uint64_t off, const void *buf, size_t len);
/* Unmap the scratch area and put back every thread's registers and mask. */
int infect_stop(struct infect *inf);
/* The registers a thread had when seized (only after infect_start). */
const struct user_regs_struct *infect_saved_regs(struct infect *inf, pid_t tid);
uint64_t infect_saved_sigmask(struct infect *inf, pid_t tid);

#endif
