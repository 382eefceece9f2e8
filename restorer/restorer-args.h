/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The interface between the restoring host code (cr/restore-mem.c) and the
 * restorer blob (restorer/restorer.c).  Both sides run in the same address
 * space: everything here lives in the "hole", an area free in the dumped
 * address space of every task, so plain addresses (uint64_t) are used.
 * Only fixed-width types; every layout is pinned by _Static_assert because
 * the two sides are compiled with different flags.
 */
#ifndef CRYO_RESTORER_ARGS_H
#define CRYO_RESTORER_ARGS_H

#include <stdint.h>

#define RST_ARGS_MAGIC 0x52535452u	/* "RSTR" */
#define RST_ARGS_VERSION 3u

/* One area to map at its dumped address. */
struct rst_vma {
	uint64_t start;
	uint64_t end;
	uint64_t pgoff;		/* byte offset in fd */
	uint32_t prot;		/* final protection */
	uint32_t map_flags;	/* MAP_PRIVATE/MAP_SHARED/MAP_ANONYMOUS/MAP_GROWSDOWN */
	int32_t fd;		/* -1 for anonymous */
	uint32_t madv;		/* VMA_MADV_* bits of mm.proto to re-apply after filling */
};
_Static_assert(sizeof(struct rst_vma) == 40, "rst_vma layout");

/* A kernel special mapping ([vvar], [vvar_vclock], [vdso]) to move. */
struct rst_special {
	uint64_t cur_start;	/* where it is now */
	uint64_t len;
	uint64_t dst_start;	/* where it was at dump time; 0: unmap it */
};
_Static_assert(sizeof(struct rst_special) == 24, "rst_special layout");

/* Bytes to copy from the hole into a mapped area once the pages are in (before
 * mprotect): the dumped vDSO with its trampolines (docs/vdso.md). */
struct rst_copy {
	uint64_t dst;
	uint64_t src;
	uint64_t len;
};
_Static_assert(sizeof(struct rst_copy) == 24, "rst_copy layout");

/* vma_entry.madv bits (mm.proto). */
#define RST_MADV_DONTFORK	1u
#define RST_MADV_WIPEONFORK	2u
#define RST_MADV_DONTDUMP	4u
#define RST_MADV_HUGEPAGE	8u
#define RST_MADV_NOHUGEPAGE	16u
#define RST_MADV_MERGEABLE	32u
#define RST_MADV_LOCKED		64u
#define RST_MADV_SEQUENTIAL	128u
#define RST_MADV_RANDOM		256u

/* A run of pages to fill: nr_pages at vaddr from the page file at off, or zeroes (off < 0). */
struct rst_pages {
	uint64_t vaddr;
	uint64_t nr_pages;
	int64_t off;
};
_Static_assert(sizeof(struct rst_pages) == 24, "rst_pages layout");

/* One thread: the blob creates it with this tid and resumes it from frame. */
struct rst_thread {
	uint32_t tid;
	int32_t result;		/* written by the blob: 0 or -errno of the failed step */
	uint64_t frame;		/* address of the rt_sigframe's uc (rsp for rt_sigreturn) */
	uint64_t fs_base;
	uint64_t gs_base;
	uint64_t clear_child_tid;
	uint64_t robust_list;
	uint64_t robust_list_len;
	uint64_t rseq;		/* 0: none */
	uint32_t rseq_len;
	uint32_t rseq_sig;
	uint64_t stack_top;	/* the blob's stack for this thread */
	char comm[16];
	uint64_t siginfo;	/* queued signals of the thread: n_siginfo raw siginfos of 128 bytes */
	uint32_t n_siginfo;
	uint32_t set_tid_size;	/* > 1: the thread's pids at that many pid namespace levels */
	uint64_t set_tid;	/* ... at this address: int32_t[set_tid_size], innermost first */
};
_Static_assert(sizeof(struct rst_thread) == 120, "rst_thread layout");

/* Shared by all tasks and cryo-cr (MAP_SHARED, in the hole): the resume barrier. */
struct rst_sync {
	int32_t ready;		/* threads prepared and waiting for go (futex) */
	int32_t go;		/* 0: wait, 1: resume (futex) */
	int32_t error;		/* first error of any task (-errno) */
	uint32_t error_tid;	/* the thread that reported it */
	uint32_t error_step;	/* RST_STEP_* where it failed */
	int32_t mm_error;	/* first failure of PR_SET_MM_MAP (not fatal) */
	uint32_t mm_error_pid;
	uint32_t pad;
};
_Static_assert(sizeof(struct rst_sync) == 32, "rst_sync layout");

/* Where the blob failed, for the host's message. */
enum {
	RST_STEP_ARGS = 1,
	RST_STEP_UNMAP,
	RST_STEP_SPECIAL,
	RST_STEP_MMAP,
	RST_STEP_PAGES,
	RST_STEP_MPROTECT,
	RST_STEP_MM_FIELDS,
	RST_STEP_CLONE,
	RST_STEP_THREAD,
	RST_STEP_SIGNALS,
	RST_STEP_MADVISE,
	RST_STEP_TS_SCHED,
	RST_STEP_CREDS,
	RST_STEP_SECCOMP,
	RST_STEP_ROOT,
	RST_STEP_TIMERS,
	RST_STEP_LOCKS,
};

/* PR_SET_MM_MAP fields (struct prctl_mm_map), exe_fd < 0: keep. */
struct rst_mm {
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t auxv;		/* address of the auxv words in the hole */
	uint32_t auxv_size;	/* bytes */
	int32_t exe_fd;
	uint32_t valid;		/* 0: do not set */
	int32_t result;		/* written by the blob: PR_SET_MM_MAP's result */
};
_Static_assert(sizeof(struct rst_mm) == 112, "rst_mm layout");

struct rst_args {
	uint32_t magic;
	uint32_t version;
	uint64_t hole_start;	/* kept: the blob, these args, stacks, frames, sync */
	uint64_t hole_len;
	uint64_t sync;		/* struct rst_sync * */
	uint64_t specials;	/* struct rst_special[n_specials] */
	uint32_t n_specials;
	int32_t pages_fd;	/* the page file; -1: none */
	uint64_t vmas;		/* struct rst_vma[n_vmas], sorted by start */
	uint64_t n_vmas;
	uint64_t pages;		/* struct rst_pages[n_pages], sorted by vaddr */
	uint64_t n_pages;
	uint64_t threads;	/* struct rst_thread[n_threads]; [0] is the main thread */
	uint64_t n_threads;
	uint64_t temp;		/* a free spot in the hole to park special mappings */
	uint64_t temp_len;
	struct rst_mm mm;
	/* A second thread reads half of the pages: its tid (free and in no image;
	 * 0: fill with one thread) and its stack. */
	uint32_t helper_tid;
	int32_t helper_done;	/* futex: cleared by the kernel when the helper exits */
	uint64_t helper_stack_top;
	/* Signals queued for the whole process (raw siginfos of 128 bytes). */
	uint64_t shared_siginfo;
	uint64_t n_shared_siginfo;
	/* Guard pages to install (MADV_GUARD_INSTALL): n_guards [start, end) pairs. */
	uint64_t guards;
	uint64_t n_guards;
	/* The task's fds (int32_t[n_keep_fds], sorted): every other fd is
	 * cryo-cr's and is closed once the areas are mapped. */
	uint64_t keep_fds;
	uint64_t n_keep_fds;
	/* Task state applied late (struct rst_ts *; 0: none), cr/restore-ts.c. */
	uint64_t ts;
	/* struct rst_copy[n_copies] (docs/vdso.md). */
	uint64_t copies;
	uint64_t n_copies;
	/* RST_FILL_* bits: how the blob fills pages (docs/cr-restore.md). */
	uint32_t fill_flags;
	/* A second page file (a parallel dump wrote two): rst_pages.off from
	 * pages_split on are at off - pages_split in pages_fd2.  -1: none. */
	int32_t pages_fd2;
	/* The task's POSIX record locks, taken again once the blob closed the fds
	 * it mapped files through (that dropped them): struct rst_lock[n_locks]. */
	uint64_t locks;
	uint64_t n_locks;
	uint64_t pages_split;	/* 0: one page file */
};
_Static_assert(sizeof(struct rst_args) == 344, "rst_args layout");

/* One POSIX record lock (F_SETLK) through one of the task's fds. */
struct rst_lock {
	int32_t fd;
	int16_t type;		/* F_RDLCK, F_WRLCK */
	int16_t whence;		/* SEEK_SET */
	int64_t start;
	int64_t len;		/* 0: to EOF and beyond */
};
_Static_assert(sizeof(struct rst_lock) == 24, "rst_lock layout");

/* Big private anonymous areas are filled through a huge-page staging area and
 * UFFDIO_MOVE (set by cryo-cr when fresh transparent huge pages are cheap). */
#define RST_FILL_MOVE 1u
/* Or through UFFDIO_COPY from a small buffer: no zeroing of the new pages. */
#define RST_FILL_COPY 2u

/* One classic BPF seccomp filter: len struct sock_filter at insns. */
struct rst_ts_filter {
	uint64_t insns;
	uint32_t len;
	uint32_t flags;		/* SECCOMP_FILTER_FLAG_LOG; TSYNC is the blob's */
};
_Static_assert(sizeof(struct rst_ts_filter) == 16, "rst_ts_filter layout");

/* One thread's scheduling and timer slack, set by the thread itself before the credentials. */
struct rst_ts_sched {
	uint32_t valid;		/* 0: inherit the main thread's */
	int32_t nice;
	uint8_t attr[56];	/* struct sched_attr (SCHED_ATTR_SIZE_VER1) */
	uint64_t affinity;	/* CPU mask, affinity_len bytes; 0: keep */
	uint32_t affinity_len;
	uint32_t pad;
	uint64_t timer_slack_ns;	/* 0: keep */
};
_Static_assert(sizeof(struct rst_ts_sched) == 88, "rst_ts_sched layout");

/* One thread's credentials, applied by that thread (the order is restorer-ts.c's). */
struct rst_ts_creds {
	uint32_t valid;		/* 0: leave this thread's as they are */
	uint32_t uid, euid, suid, fsuid;
	uint32_t gid, egid, sgid, fsgid;
	uint32_t set_groups;	/* 0: the groups are already the image's */
	uint32_t n_groups;
	uint32_t no_new_privs;
	uint64_t groups;	/* uint32_t[n_groups] */
	uint64_t cap_eff, cap_prm, cap_inh, cap_amb;
	uint64_t cap_prm_now;	/* the restorer's permitted set: effective again after the uid change */
	uint64_t cap_inh_now;
	uint64_t bnd_drop;	/* capabilities to drop from the bounding set */
	int32_t secbits;	/* -1: leave */
	int32_t dumpable;	/* -1: leave (0 or 1; per process, set by every thread alike) */
};
_Static_assert(sizeof(struct rst_ts_creds) == 120, "rst_ts_creds layout");

/*
 * Task state the blob applies because it must come last (cr/restore-ts.c):
 * each thread's scheduling and credentials in that thread before the barrier
 * (after everything that needs privilege), then after the go the
 * parent-death signal and seccomp, the very last thing before rt_sigreturn
 * (the threads are traced with PTRACE_O_SUSPEND_SECCOMP until cryo-cr
 * detaches them).  Per-thread arrays are indexed like rst_args.threads.
 */
struct rst_ts {
	uint64_t creds;		/* struct rst_ts_creds[n_threads] */
	uint64_t sched;		/* struct rst_ts_sched[n_threads] */
	uint32_t n_threads;	/* entries of creds and sched */
	int32_t pdeath_signal;	/* the main thread's, set after the go */
	uint32_t seccomp_mode;	/* 0 none, 1 strict (every thread), 2 filter (main thread, TSYNC) */
	uint32_t n_filters;
	uint64_t filters;	/* struct rst_ts_filter[n_filters], oldest first */
	int32_t root_fd;	/* >= 0: chroot to it, then fchdir(cwd_fd) */
	int32_t cwd_fd;
	/* POSIX timers aimed at a thread other than the main one: created by the
	 * main thread once the threads exist (PR_TIMER_CREATE_RESTORE_IDS). */
	uint64_t timers;	/* struct rst_ts_timer[n_timers] */
	uint32_t n_timers;
	uint32_t pad;
	/* Threads with seccomp states of their own: struct rst_ts_seccomp[n_threads],
	 * each installed by its thread without TSYNC; 0: seccomp_mode/filters above. */
	uint64_t thread_seccomp;
};
_Static_assert(sizeof(struct rst_ts) == 72, "rst_ts layout");

struct rst_ts_seccomp {
	uint32_t mode;		/* 0, 1 strict, 2 filter */
	uint32_t n_filters;
	uint64_t filters;	/* struct rst_ts_filter[n_filters], oldest first */
};
_Static_assert(sizeof(struct rst_ts_seccomp) == 16, "rst_ts_seccomp layout");

struct rst_ts_timer {
	int32_t id;
	int32_t clock;
	int32_t signo;
	int32_t tid;		/* the thread it signals (SIGEV_THREAD_ID), as the task sees it */
	uint64_t sigval;
	int64_t interval_sec, interval_nsec, value_sec, value_nsec;	/* all 0: disarmed */
};
_Static_assert(sizeof(struct rst_ts_timer) == 56, "rst_ts_timer layout");

#endif
