/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The contract between the dumper (host, with libc) and the parasite blob
 * (freestanding).  Fixed-width types only; the asserts pin the layout so
 * the two compilations cannot disagree.
 *
 * Two ways to run a command, one message format (struct parasite_args):
 *
 *  - trap: the host writes the args into the args area of the task's
 *    scratch mapping (through /proc/PID/mem), points a stopped thread at
 *    parasite_cmd(args) with a return address on an int3, resumes it and
 *    waits for the trap; the blob fills the answer and sets status.  This
 *    is how per-thread commands run: in the thread they are about.
 *
 *  - channel: PARASITE_CMD_CHANNEL (a trap command) makes a unix
 *    SOCK_SEQPACKET socketpair in the task; the host takes its end with
 *    pidfd_getfd (no address, so whatever network namespace the task is
 *    in) and closes it in the task, then starts parasite_daemon(fd) in one
 *    thread, which serves one
 *    message per command until PARASITE_CMD_FINI or end of file and then
 *    returns to the int3.  Each request gets exactly one reply, the
 *    request's struct with status and the answer filled in; a reply may
 *    carry fds (SCM_RIGHTS).
 *
 * Adding a command: a value in enum parasite_cmd (append), its struct in
 * the union (with size asserts), a case in dispatch() of parasite.c, and a
 * host wrapper in parasite-host.c around parasite_channel_cmd() or
 * run_trap_cmd().
 */
#ifndef CRYO_PARASITE_ARGS_H
#define CRYO_PARASITE_ARGS_H

#include <stddef.h>
#include <stdint.h>

#define PARASITE_ARGS_MAGIC 0x6372796f70617261ULL	/* "cryopara" */
#define PARASITE_NSIG 64
#define PARASITE_FDS_BATCH 64		/* fds per DRAIN_FDS command (one SCM_RIGHTS message) */
#define PARASITE_SCAN_PAGES 16384	/* pages per DUMP_PAGES command (64 MiB) */

enum parasite_cmd {
	PARASITE_CMD_TASK_STATE = 1,	/* trap or channel, per process: sigactions, itimers */
	PARASITE_CMD_THREAD_STATE = 2,	/* trap, in each thread: altstack, clear_child_tid, tid */
	PARASITE_CMD_CHANNEL = 3,	/* trap: create the channel socketpair */
	PARASITE_CMD_FINI = 4,		/* channel: leave the daemon loop */
	PARASITE_CMD_DRAIN_FDS = 5,	/* channel: reply carries the listed fds (SCM_RIGHTS) */
	PARASITE_CMD_DUMP_PAGES = 6,	/* channel: data pages of a range to the page fd, zero ones named */
	PARASITE_CMD_PAGE_FD = 7,	/* channel: keep the fd the request carries (none: close it) */
	PARASITE_CMD_NR,
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

/* CHANNEL: the two ends, fd numbers in the task. */
struct parasite_channel {
	int32_t daemon_fd;	/* stays with the parasite */
	int32_t host_fd;	/* taken by the host, then closed in the task */
};

/* DRAIN_FDS: request lists fd numbers of the task; the reply carries them in order. */
struct parasite_fds {
	uint32_t nr;
	int32_t fds[PARASITE_FDS_BATCH];
	int32_t pad;
};

/*
 * DUMP_PAGES: the pages of [vaddr, + nr_pages) that are not all zero go to
 * the page fd back to back from file_off, in address order; bit i of zero
 * is set for each page left out, written says how many bytes went out.
 */
struct parasite_dump_pages {
	uint64_t vaddr;
	uint32_t nr_pages;	/* <= PARASITE_SCAN_PAGES */
	uint32_t nr_zero;	/* answer: bits set */
	uint64_t file_off;
	uint64_t written;	/* answer */
	uint64_t zero[PARASITE_SCAN_PAGES / 64];
};

/* PAGE_FD: the answer is the fd's number in the task (-1 after a close). */
struct parasite_page_fd {
	int32_t fd;
	int32_t pad;
};

struct parasite_args {
	uint64_t magic;
	uint32_t cmd;
	int32_t status;		/* 0 or -errno of the first failing step */
	union {
		struct parasite_task_state task;
		struct parasite_thread_state thread;
		struct parasite_channel channel;
		struct parasite_fds fds;
		struct parasite_dump_pages pages;
		struct parasite_page_fd page_fd;
	};
};

_Static_assert(sizeof(struct parasite_sigaction) == 32, "sigaction layout");
_Static_assert(sizeof(struct parasite_itimer) == 32, "itimer layout");
_Static_assert(offsetof(struct parasite_task_state, itimers) == 32 * PARASITE_NSIG, "task layout");
_Static_assert(sizeof(struct parasite_task_state) == 32 * PARASITE_NSIG + 96 + 8, "task size");
_Static_assert(offsetof(struct parasite_thread_state, ss_size) == 16, "thread layout");
_Static_assert(sizeof(struct parasite_thread_state) == 32, "thread size");
_Static_assert(sizeof(struct parasite_channel) == 8, "channel size");
_Static_assert(sizeof(struct parasite_fds) == 8 + 4 * PARASITE_FDS_BATCH, "fds size");
_Static_assert(offsetof(struct parasite_dump_pages, zero) == 32, "pages layout");
_Static_assert(sizeof(struct parasite_dump_pages) == 32 + PARASITE_SCAN_PAGES / 8, "pages size");
_Static_assert(sizeof(struct parasite_page_fd) == 8, "page fd size");
_Static_assert(offsetof(struct parasite_args, task) == 16, "args layout");
_Static_assert(sizeof(struct parasite_args) == 16 + sizeof(struct parasite_task_state), "args size");

#endif
