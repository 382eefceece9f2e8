/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Restore: read images -> build a plan -> execute it -> restorer blob -> resume.
 *
 * Every resource kind is one file with one function that adds its steps to the
 * plan (struct restore_kind, table in restore-kinds.c).  Steps are owned by a
 * task (PLAN_OWNER_RESTORER = cryo-cr itself, task i = index + 1) and declare
 * what they need; the plan engine (plan.h) orders and runs them.
 */
#ifndef CRYO_RESTORE_H
#define CRYO_RESTORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "image.h"
#include "plan.h"
#include "pstree.pb-c.h"
#include "core.pb-c.h"
#include "mm.pb-c.h"

struct fd_ctx;
struct fd_inherit;
struct mnt_external;
struct net_external;
struct rst_mntnet;

struct restore_opts {
	const char *dir;
	bool detach;
	bool shell_job;
	const char *pidfile;
	bool log_to_stderr;	/* no -o: the log is cryo-cr's fd 2 */
	/* --inherit-fd fd[N]:KEY: the caller's fds for inherited files (fd-inherit.c) */
	struct fd_inherit *inherit;
	size_t nr_inherit;
	bool keep_rlimits;	/* --keep-rlimits: a limit above ours stays ours (restore-ts.c) */
	const char *manage_cgroups;	/* --manage-cgroups mode name (cgroup.h); NULL: soft */
	const char *cgroup_root;	/* --cgroup-root [CONTROLLERS:]PATH; NULL: none */
	/* restore-mnt.c, restore-net.c: --root, --external mnt[KEY]:PATH and
	 * veth[IFNAME]:OUTER[@BRIDGE|@NETNS], --network-lock (enum netlock_mode) */
	const char *root_path;
	const struct mnt_external *mnt_ext;
	size_t n_mnt_ext;
	const struct net_external *veth_ext;
	size_t n_veth_ext;
	int network_lock;
	bool skip_file_validation;	/* --skip-file-validation: accept files that differ */
	bool file_locks;		/* --file-locks: take the dumped locks again */
	bool tcp_established;	/* established TCP connections may be restored */
};

struct rst_task {
	unsigned owner;		/* plan owner: index + 1 */
	pid_t pid, ppid, pgid, sid;
	struct rst_task *parent;	/* NULL for the root */
	bool zombie;
	int exit_status;
	uint32_t *tids;		/* threads, the main thread first */
	size_t n_tids;
	ThreadCoreEntry **cores;	/* one per thread, same order */
	TaskCoreEntry *task_core;
	MmEntry *mm;
	unsigned fork_step;	/* plan step id of the step that creates it */
	unsigned exit_step;	/* zombies: the step after which it exits */
	void *mem;		/* restore-mem.c's per-task state */
	int32_t *keep_fds;	/* the dumped fd numbers, sorted: the blob closes the others */
	size_t n_keep_fds;
	struct TaskStateEntry *ts;	/* restore-ts.c: taskstate-PID.img */
	/* restore-ns.c, from ns-ids.img.  pid, ppid, tids above are cryo-cr's view
	 * at dump (they name the images); below the task's own pid namespace. */
	unsigned nspid_len;	/* 0: no ns-ids.img; else its pid per level, the dumper's first */
	pid_t *nspid;
	bool new_pidns;		/* created with CLONE_NEWPID: the init of a pid namespace */
	unsigned set_tid_size;	/* clone3 set_tid (innermost level first); 0: {pid} */
	pid_t *set_tid;
	uint32_t *ns_tids;	/* each thread's tid in the task's own pid namespace; NULL: tids */
	pid_t *thread_set_tid;	/* set_tid_size > 1: each thread's set_tid array, one after the other */
	pid_t host_pid;		/* in cryo-cr's view once created (cryo-cr's copy only; 0: unknown) */
	pid_t *host_tids;
};

struct restore_ctx {
	struct restore_opts opts;
	struct img_dir *dir;
	struct plan *plan;
	struct rst_task *tasks;
	size_t n_tasks;
	struct rst_task *root;
	int32_t *created;	/* MAP_SHARED, per task index */
	size_t n_threads_total;	/* threads that go through the restorer (not zombies) */
	pid_t shell_pgid, shell_sid;	/* cryo-cr's own, for --shell-job */
	/* The hole: an area free in every dumped address space and in ours. */
	uint64_t hole_start, hole_len;
	struct rst_sync *sync;
	void *mem_priv;		/* restore-mem.c's state */
	struct fd_ctx *fds;	/* restore-fds.c: files.img, then each task's placement */
	/* CLONE_NEW* flags the root task is created with: each kind's prepare()
	 * ORs in the namespaces it restores (ns, mnt, net); pstree-restore.c uses them. */
	uint64_t root_clone_flags;
	bool pidns;		/* some task is below cryo-cr's pid namespace: its pids differ here */
	void *ns_priv;		/* restore-ns.c */
	void *cg_priv;		/* restore-cgroup.c */
	struct rst_mntnet *mntnet;	/* restore-mnt.c, restore-net.c */
};

/* One resource kind: adds its steps (and needs) to rc->plan. */
struct restore_kind {
	const char *name;
	/* Adds the kind's steps; NULL if it has none of its own. */
	int (*add_steps)(struct restore_ctx *rc);
	/* Optional: prepare state in cryo-cr after images are read, before the plan runs;
	 * called in table order. */
	int (*prepare)(struct restore_ctx *rc);
};

extern const struct restore_kind restore_kinds[];
extern const size_t restore_kinds_count;

/* Kinds (one file each). */
int pstree_restore_add_steps(struct restore_ctx *rc);
int mem_restore_prepare(struct restore_ctx *rc);
int mem_restore_add_steps(struct restore_ctx *rc);
int shmem_restore_prepare(struct restore_ctx *rc);
int fds_restore_prepare(struct restore_ctx *rc);
int fds_restore_add_steps(struct restore_ctx *rc);
int ts_restore_prepare(struct restore_ctx *rc);
int ts_restore_add_steps(struct restore_ctx *rc);
/* Extra PTRACE_O_* for resuming task t (seccomp suspended while cryo-cr drives it). */
unsigned long ts_restore_ptrace_options(const struct rst_task *t);
/* restore-ts.c, from step "mm": bytes of the hole the task state needs; then
 * fill struct rst_ts (a->ts) with alloc handing out hole memory. */
uint64_t ts_restore_args_len(const struct rst_task *t);
struct rst_args;
int ts_restore_fill_args(struct rst_task *t, struct rst_args *a, void *(*alloc)(void *b, size_t len), void *b);
int ns_restore_prepare(struct restore_ctx *rc);
int ns_restore_add_steps(struct restore_ctx *rc);
int cgroup_restore_prepare(struct restore_ctx *rc);
int cgroup_restore_add_steps(struct restore_ctx *rc);
/* Once the tree runs: freeze again the cgroups that were frozen at dump. */
int cgroup_restore_finish(struct restore_ctx *rc);
/* After a failed restore killed its tasks: remove the cgroups it created. */
void cgroup_restore_undo(struct restore_ctx *rc);

/* restore-ns.c: pids across pid namespaces. */
/* Read ns-ids.img (if any): every task's pid chain, set_tid and thread pids. */
int ns_restore_read_pids(struct restore_ctx *rc);
/* Is t in cryo-cr's own pid namespace (its pid here is its dumped pid)? */
bool rst_in_own_pidns(const struct restore_ctx *rc, const struct rst_task *t);
/* The pid of who as seen from viewer's pid namespace (viewer NULL: cryo-cr's
 * view at dump); 0 when who is not visible there. */
pid_t rst_pid_seen_by(const struct rst_task *who, const struct rst_task *viewer);
/* Thread i of t as the task itself sees it (what the restorer gives clone3). */
pid_t rst_ns_tid(const struct rst_task *t, size_t i);
/* In cryo-cr, once created: t's pid (thread i's tid) here; 0 when unknown. */
pid_t rst_host_pid(struct restore_ctx *rc, struct rst_task *t);
pid_t rst_host_tid(struct restore_ctx *rc, struct rst_task *t, size_t i);
struct CgroupNsEntry;
/* The roots of the tree's cgroup namespace (NULL: the restorer's is kept). */
const struct CgroupNsEntry *ns_restore_cgroup_roots(struct restore_ctx *rc);
int mntns_restore_prepare(struct restore_ctx *rc);
int mntns_restore_add_steps(struct restore_ctx *rc);
int netns_restore_prepare(struct restore_ctx *rc);
int netns_restore_add_steps(struct restore_ctx *rc);
/* restore-net.c: after every task resumed, remove the network lock. */
int netns_restore_unlock(struct restore_ctx *rc);
/* restore-mnt.c: remove the staging directory, free the mnt/net state (last, whatever the outcome). */
void mntns_restore_cleanup(struct restore_ctx *rc);
/* Before cryo-cr opens anything (even its log): fill every free fd number up
 * to the highest dumped one, so cryo-cr's own fds stay out of the tasks' way. */
void restore_fds_reserve(const char *dir);
/* The fd (inherited by every task) of shared object id. */
int shmem_restore_fd(struct restore_ctx *rc, uint32_t id);

/* pstree-restore.c */
int pstree_restore_read(struct restore_ctx *rc);
struct rst_task *rst_task_by_pid(struct restore_ctx *rc, pid_t pid);

/* Add a step owned by task t (NULL: cryo-cr); it needs t's "fork" step. */
int restore_step_add(struct restore_ctx *rc, struct rst_task *t, const char *kind,
		     plan_step_fn fn, void *data, unsigned *ret_id);
static inline unsigned rst_owner(const struct rst_task *t)
{
	return t ? t->owner : PLAN_OWNER_RESTORER;
}

/* What a task does once its plan steps are done: enter the restorer (never returns). */
_Noreturn void restore_task_finish(struct restore_ctx *rc, struct rst_task *t);
/* restore-mem.c: prepare args and jump into the restorer blob. */
_Noreturn void mem_restore_enter(struct restore_ctx *rc, struct rst_task *t);
/* The address of a syscall instruction in the restorer blob (to unmap it remotely). */
uint64_t mem_restore_gadget(const struct restore_ctx *rc);

/* restore-finish.c: wait until every thread is ready, resume all, detach. */
int restore_resume_all(struct restore_ctx *rc);
void restore_kill_all(struct restore_ctx *rc);
bool restore_task_alive(pid_t pid);

/* restore.c */
int restore_run(const struct restore_opts *opts, pid_t *ret_root);

#endif
