/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the task-state kinds (cr/ts-*.c); not a public API. */
#ifndef CRYO_TASKSTATE_INTERNAL_H
#define CRYO_TASKSTATE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "taskstate.h"

#define TS_NGROUPS_MAX 65536

/* The fields of /proc/PID[/task/TID]/status the kinds use. */
struct ts_status {
	uint32_t uid[4], gid[4];	/* real, effective, saved, fs */
	uint32_t *groups;
	size_t nr_groups;
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	bool no_new_privs;
	unsigned umask;
	char state;			/* 'R', 'S', 'T' (stopped), 't' (traced), ... */
	pid_t tracer;
	int seccomp;			/* -1 if the kernel does not show it */
	int seccomp_filters;
};

/* tid 0: the process' status. */
int ts_read_status(pid_t pid, pid_t tid, struct ts_status *ret);
void ts_status_done(struct ts_status *s);

/* Read a small file (at most size-1 bytes) into buf, NUL-terminated, trailing newline cut. */
int ts_read_file(const char *path, char *buf, size_t size);
/* readlink() into a malloc'ed string. */
int ts_readlink(const char *path, char **ret);

/* Append a zeroed element to a protobuf repeated field of pointers to messages. */
void *ts_append_msg(void ***arr, size_t *n, size_t size);

/* The thread entry for a tid, NULL if none. */
TsThreadEntry *ts_thread_of(TaskStateEntry *e, pid_t tid);

/* Run a syscall through a runner; returns the raw result (< 0: -errno) or a runner error. */
int64_t ts_run(const struct ts_runner *r, pid_t tid, long nr, uint64_t a0, uint64_t a1,
	       uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);

/* Inside collectors of each kind, called by ts_collect_inside*(). */
int ts_signals_collect_inside(const struct ts_runner *r, TaskStateEntry *e);
int ts_signals_collect_inside_thread(const struct ts_runner *r, TsThreadEntry *t);
int ts_timers_collect_inside(const struct ts_runner *r, TaskStateEntry *e);
int ts_prctl_collect_inside(const struct ts_runner *r, TaskStateEntry *e);
int ts_prctl_collect_inside_thread(const struct ts_runner *r, TsThreadEntry *t);
int ts_creds_collect_inside(const struct ts_runner *r, TaskStateEntry *e);
int ts_creds_collect_inside_thread(const struct ts_runner *r, TsThreadEntry *t);

#endif
