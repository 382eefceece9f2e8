/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the taskstate test program's files. */
#ifndef TS_TEST_H
#define TS_TEST_H

#include <semaphore.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "taskstate.h"

#define TS_NTHREADS 2

/* A second thread that runs jobs on request (the main thread waits for each). */
struct worker {
	pid_t tid;
	sem_t go, done;
	int (*job)(void *arg);
	void *arg;
	int result;
};
int worker_start(struct worker *w);
int worker_run(struct worker *w, int (*job)(void *), void *arg);

/* The original task: set up every kind of state (on the main thread, and in
 * the worker), then read the inside-only values as a parasite would. */
int scenario_setup(struct worker *w);
/* Both children: collect the inside-only values with the local runner and
 * send them (packed task_state_entry) to fd. */
int send_inside_state(int fd, struct worker *w);
/* Parent: take the inside-only values of `in` into e (threads by index). */
void merge_inside(TaskStateEntry *e, TaskStateEntry *in);

/* Field-by-field comparison; prints "DIFF kind field: a != b" per difference
 * and returns how many differed in kind `only` (all kinds if NULL). */
struct diff_count {
	unsigned total, in_kind;
};
void compare_entries(const TaskStateEntry *a, const TaskStateEntry *b, const char *only, struct diff_count *ret);

#endif
