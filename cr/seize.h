/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Seizing and releasing a process tree.  seize_tree() attaches to every
 * thread of every process of the tree rooted at a pid (PTRACE_SEIZE +
 * PTRACE_INTERRUPT, optionally with a v1 freezer cgroup to stop the tree
 * first) and rescans until nothing new appears.  release_tree() detaches,
 * leaving the tree running (as it was), stopped, or killed.
 */
#ifndef CRYO_SEIZE_H
#define CRYO_SEIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <sys/types.h>
#include "proc-parse.h"

struct seized_thread {
	pid_t tid;
	bool seized;		/* ptrace-attached by us */
	bool group_stopped;	/* was in a job-control stop before we came */
	int pending_sig;	/* signal we intercepted while seizing; re-sent on release */
	siginfo_t pending_info;	/* its siginfo */
};

struct seized_task {
	pid_t pid;
	int parent;		/* index in pstree.tasks, -1 for the root */
	struct proc_stat stat;	/* at seize time (ppid, pgid, sid, state, exit code) */
	bool zombie;
	struct seized_thread *threads;	/* main thread first */
	size_t nr_threads;
};

struct pstree {
	pid_t root;
	struct seized_task *tasks;	/* parents before children */
	size_t nr_tasks;
	char *freezer;		/* freezer cgroup dir, when --freeze-cgroup was given */
	bool frozen;		/* we froze it and must thaw it */
	bool was_frozen;	/* the cgroup was FROZEN before the dump: freeze it again on release */
};

enum release_mode {
	RELEASE_RUNNING,	/* detach; the tree runs on exactly as before */
	RELEASE_STOPPED,	/* detach and leave every process stopped (SIGSTOP) */
	RELEASE_KILL,		/* kill the tree (after a successful dump) */
};

/* Seize the tree rooted at root; freezer may be NULL.  Logs its errors.
 * On failure everything seized so far is released and *ret is untouched. */
int seize_tree(pid_t root, const char *freezer, struct pstree **ret);
/* Release and free; safe on NULL.  Logs problems; returns the first error. */
int release_tree(struct pstree *t, enum release_mode mode);
struct seized_task *pstree_find(struct pstree *t, pid_t pid);

#endif
