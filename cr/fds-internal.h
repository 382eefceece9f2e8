/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fd driver's context, shared by fds.c, fds-collect.c and fds-restore.c. */
#ifndef CRYO_FDS_INTERNAL_H
#define CRYO_FDS_INTERNAL_H

#include <stdlib.h>
#include <sys/types.h>
#include "fds.h"

struct dump_file {
	FileEntry *e;
	int local_fd;		/* kept open so later fds can be kcmp'ed against it */
	int pid, fd;		/* where it was first seen, for error messages */
};

struct dump_task {
	int pid;
	int ppid;		/* from /proc/PID/stat: sharing must follow the tree */
	FdEntry **fds;
	size_t nr_fds;
};

struct pipe_end {
	uint64_t ino;
	bool is_write;
	int fd;
};

/* A session leader's controlling terminal (/proc/PID/stat tty_nr, tpgid). */
struct dump_ctty {
	int sid;
	dev_t tty_nr;
	int fg_pgrp;
};

struct fd_ctx {
	struct fd_opts opts;
	/* dump */
	struct dump_file *files;
	size_t nr_files;
	struct dump_task *tasks;
	size_t nr_tasks;
	uint64_t *pipes_seen;
	size_t nr_pipes_seen;
	/* restore */
	FileEntry **rfiles;
	size_t nr_rfiles;
	struct pipe_end *ends;
	size_t nr_ends;
	FdEntry **cur_fds;	/* the fd table of the task being restored */
	size_t nr_cur_fds;
	int above;		/* every fd number of that task is below this */
	int *placed;		/* file id - 1 -> fd number the last fds_restore_task put it at (or -1) */
	int cur_pid;
	int cur_stage;
	int in_flight_depth;	/* collecting an fd found in a socket queue */
	FdEntry *late;		/* restore: fds of the last task left for fds_restore_task_late */
	size_t nr_late;
	int late_pid;
	struct dump_ctty *cttys;	/* dump: of the session leaders collected */
	size_t nr_cttys;
	struct fd_posix_lock *posix_locks;	/* restore: taken by the last fds_restore_task */
	size_t nr_posix_locks;
};

static inline void *grow(void *arr, size_t nr, size_t size)
{
	return realloc(arr, (nr + 1) * size);
}

void fds_free_task_fds(struct fd_ctx *ctx);

/* fd-locks.c: the locks of fdinfo into e (refused without opts.file_locks);
 * taken again on fd: POSIX ones owned by pid, the others if new_description. */
int fd_locks_collect(struct fd_ctx *ctx, const struct fd_probe *p, FileEntry *e);
/* fd-tty.c: refuse a session leader whose terminal is not in the dump. */
int fd_tty_check_cttys(struct fd_ctx *ctx);
/* fd-tty.c: in session leader pid, its controlling terminal and foreground group. */
int fd_tty_restore_ctty(struct fd_ctx *ctx, int pid);
int fd_locks_restore(struct fd_ctx *ctx, const FileEntry *e, int fd, int pid, bool new_description);

#endif
