/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the task-state C/R tests (tests/cr/ts/): worker threads that
 * check their own state after restore, /proc status lines, and running the
 * test under another uid.
 */
#ifndef CRYO_ZT_TS_H
#define CRYO_ZT_TS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * A worker thread: setup() runs in it before the test is ready, check()
 * after restore; check() returns NULL or a failure message (static buffer).
 */
struct zt_worker {
	void (*setup)(struct zt_worker *w);
	const char *(*check)(struct zt_worker *w);
	void *data;
	pid_t tid;
	/* private */
	pthread_t th;
	int phase;		/* 0 setting up, 1 set up, 2 check now, 3 checked */
	const char *verdict;
};
void zt_worker_start(struct zt_worker *w);
/* Ask the worker to check itself; returns its verdict (NULL: fine). */
const char *zt_worker_check(struct zt_worker *w);

/* The value of "Key:" in /proc/self/task/TID/status (tid 0: the process), into buf. */
int zt_status(pid_t tid, const char *key, char *buf, size_t size);
/* Snapshot of the given keys of a thread's status, "Key:\tvalue\n..." into buf. */
void zt_status_keys(pid_t tid, const char *const *keys, char *buf, size_t size);

/* Let another uid write the result and pid files (their directory). */
void zt_share_result_dir(void);

/* rt_sigaction of a signal with the kernel's layout (restorer included). */
struct zt_ksigaction {
	unsigned long handler, flags, restorer, mask;
};
int zt_ksigaction_get(int sig, struct zt_ksigaction *ret);
int zt_ksigaction_set(int sig, const struct zt_ksigaction *ka);

#endif
