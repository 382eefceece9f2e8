/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-task state that is neither memory, registers nor files: credentials,
 * rlimits, signals, timers, seccomp, scheduling, personality, umask, paths,
 * prctl state, and whether the task was stopped.
 *
 * Each kind is one file (cr/ts-*.c) with one struct ts_kind: how to collect
 * it from outside a ptrace-stopped task, how to apply it from inside the
 * restored task (process-wide on the main thread, per thread in each thread),
 * and which kinds must be applied before it.  ts_kinds() returns the table in
 * an order that satisfies every need, so a caller without a plan engine can
 * apply in table order; the core adds one plan step per kind instead
 * (docs/taskstate.md shows the glue).
 *
 * Values only readable from inside the task (sigactions, altstacks, itimers,
 * armed POSIX timers, prctl state) are read by ts_collect_inside*() through a
 * struct ts_runner: a way to run syscalls in the task with a scratch buffer
 * there.  The core wires it to its remote-syscall machinery; ts_local_runner
 * runs them in the calling task (tests, and code that runs inside anyway).
 *
 * Everything returns 0 or a negative errno and logs the reason once.
 */
#ifndef CRYO_TASKSTATE_H
#define CRYO_TASKSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "proto/taskstate.pb-c.h"

struct img_dir;

/* Apply options. */
enum {
	/* An rlimit above the restorer's own hard limit keeps the current limit
	 * (with a warning) instead of failing. */
	TS_APPLY_KEEP_RLIMIT = 1u << 0,
	/* Get POSIX timer ids back by creating timers in order (what kernels
	 * without PR_TIMER_CREATE_RESTORE_IDS need), even if the prctl exists. */
	TS_APPLY_SEQUENTIAL_TIMER_IDS = 1u << 1,
	/* POSIX timers aimed at a thread other than the main one (SIGEV_THREAD_ID)
	 * are the caller's, which creates them once its threads exist (with
	 * PR_TIMER_CREATE_RESTORE_IDS; ts_timer_for_thread() tells them). */
	TS_APPLY_SKIP_THREAD_TIMERS = 1u << 2,
};

struct ts_collect_ctx {
	pid_t tracer;		/* our ptrace tracer pid (0: getpid()); any other tracer is refused */
	/* The core knows whether the task was in a group stop before it seized it
	 * (a seized task shows 't', hiding a group stop): then set stopped_known. */
	bool stopped_known, stopped;
};

struct ts_apply_ctx {
	unsigned flags;		/* TS_APPLY_* */
	/* The restored threads' tids by index (e->threads[i] is tids[i]); NULL when
	 * the threads got their old tids back (clone3 set_tid). */
	const pid_t *tids;
	size_t nr_tids;
};

/* The tid thread #idx has in the restored process. */
pid_t ts_apply_tid(const struct ts_apply_ctx *a, const TaskStateEntry *e, size_t idx);

struct ts_kind {
	const char *name;	/* the plan step kind, e.g. "ts-creds" */
	/* Fill its fields of e from outside (the tree is ptrace-stopped); e->threads
	 * already lists every thread with its tid.  NULL: nothing to collect. */
	int (*collect)(const struct ts_collect_ctx *c, pid_t pid, TaskStateEntry *e);
	/* In the restored process, on its main thread.  NULL: none. */
	int (*apply)(const struct ts_apply_ctx *a, const TaskStateEntry *e);
	/* In each restored thread itself (t is that thread's entry).  NULL: none. */
	int (*apply_thread)(const struct ts_apply_ctx *a, const TaskStateEntry *e, const TsThreadEntry *t);
	/* Kinds applied before this one (by name, NULL-terminated); may name
	 * kinds of other modules ("files"), which ts_kinds() order ignores. */
	const char *const *needs;
};

/* The table, in an order that satisfies every need among its kinds. */
const struct ts_kind *const *ts_kinds(size_t *ret_n);
const struct ts_kind *ts_kind_by_name(const char *name);

/* ---- collect -------------------------------------------------------- */

/* A fresh entry for pid with one thread entry per tid (main thread first). */
int ts_entry_new(pid_t pid, const pid_t *tids, size_t nr_tids, TaskStateEntry **ret);
void ts_entry_free(TaskStateEntry *e);
/* Extra PTRACE_O_* for seizing a thread to dump it: PTRACE_O_SUSPEND_SECCOMP
 * if it runs under seccomp, so the syscalls the dumper makes it run (the
 * parasite) are not filtered or killed. */
unsigned long ts_seize_options(pid_t pid, pid_t tid);
/* Run every kind's collect (from outside, the task ptrace-stopped by us). */
int ts_collect(const struct ts_collect_ctx *c, pid_t pid, TaskStateEntry *e);

/* Runs syscalls inside the task being dumped.  The scratch area is `scratch_size`
 * bytes at address `scratch` in the task; read/write copy to and from it by offset. */
struct ts_runner {
	void *opaque;
	uint64_t scratch;
	size_t scratch_size;
	int (*syscall)(void *opaque, pid_t tid, long nr, const uint64_t args[6], int64_t *ret);
	int (*read)(void *opaque, uint64_t off, void *buf, size_t len);
	int (*write)(void *opaque, uint64_t off, const void *buf, size_t len);
};
/* A runner for the calling thread itself (tid must be 0 or the caller's tid). */
int ts_local_runner_init(struct ts_runner *r);
void ts_local_runner_done(struct ts_runner *r);
/* Inside-only values of the process: sigactions, itimers, armed POSIX timers, prctl. */
int ts_collect_inside(const struct ts_runner *r, TaskStateEntry *e);
/* Inside-only values of one thread: its altstack. */
int ts_collect_inside_thread(const struct ts_runner *r, TsThreadEntry *t);

/* ---- apply ---------------------------------------------------------- */

/* Single-threaded callers: every kind, in table order, process part then the
 * thread part of thread 0.  Multi-threaded restorers run ts_apply_kind() per
 * kind on the main thread and ts_apply_kind_thread() in each thread. */
int ts_apply_all(const struct ts_apply_ctx *a, const TaskStateEntry *e);
int ts_apply_kind(const struct ts_kind *k, const struct ts_apply_ctx *a, const TaskStateEntry *e);
int ts_apply_kind_thread(const struct ts_kind *k, const struct ts_apply_ctx *a,
			 const TaskStateEntry *e, size_t thread_idx);

/* For a restorer that sets the credentials itself with raw syscalls (the
 * core's blob), in the order of docs/taskstate.md: run in the restored task,
 * it refuses (logging what) anything the image asks beyond what the task
 * holds, and says what the sequence needs. */
struct ts_creds_plan {
	uint64_t bnd_drop;		/* capabilities to drop from the bounding set */
	uint64_t prm_now, inh_now;	/* the caller's permitted and inheritable sets */
	bool set_groups;		/* the groups differ from the caller's */
};
/* t: the thread (its own credentials when collected), NULL: the process'. */
int ts_creds_plan(const TaskStateEntry *e, const TsThreadEntry *t, struct ts_creds_plan *ret);

/* The index in e->threads of the thread (not the main one) timer t is aimed at,
 * or -1: a process timer or one aimed at the main thread. */
int ts_timer_for_thread(const TaskStateEntry *e, const TsPosixTimerEntry *t);

/* Threads with seccomp states of their own (ts_thread_entry.seccomp_own):
 * each thread installs its own chain instead of the process' with TSYNC. */
bool ts_seccomp_per_thread(const TaskStateEntry *e);

/* "NOFILE" for RLIMIT_NOFILE. */
const char *ts_rlimit_name(unsigned resource);

/* ---- images --------------------------------------------------------- */

int ts_image_write(struct img_dir *d, const TaskStateEntry *e);
/* Read taskstate-PID.img; checks the entry is usable (pid matches, sizes sane). */
int ts_image_read(struct img_dir *d, pid_t pid, TaskStateEntry **ret);

/* ---- the kinds (one file each) -------------------------------------- */

extern const struct ts_kind ts_kind_state;	/* ts-state.c: stopped / traced */
extern const struct ts_kind ts_kind_rlimits;	/* ts-rlimits.c */
extern const struct ts_kind ts_kind_sched;	/* ts-sched.c: policy, nice, affinity */
extern const struct ts_kind ts_kind_proc;	/* ts-proc.c: personality, umask, root, cwd, comm, exe */
extern const struct ts_kind ts_kind_sigactions;	/* ts-signals.c */
extern const struct ts_kind ts_kind_timers;	/* ts-timers.c: itimers, POSIX timers */
extern const struct ts_kind ts_kind_creds;	/* ts-creds.c */
extern const struct ts_kind ts_kind_prctl;	/* ts-prctl.c (after creds: a creds change resets them) */
extern const struct ts_kind ts_kind_sigmask;	/* ts-signals.c: blocked masks, altstacks */
extern const struct ts_kind ts_kind_sigpending;	/* ts-signals.c: queued signals */
extern const struct ts_kind ts_kind_seccomp;	/* ts-seccomp.c: last */

#endif
