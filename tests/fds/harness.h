/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One fd C/R case on real processes:
 *   child C: setup() makes the resources at fixed fd numbers, stdio becomes
 *            /dev/null, C stops itself (SIGSTOP);
 *   the test collects C's fds (pidfd_getfd), writes images, resumes C, which
 *            runs verify(false): the original must be intact after a dump;
 *   child R: a fresh process reads the images, fds_restore_task(), then
 *            verify(true) checks the recreated state itself.
 * Messages of C and R go to log files in the image directory, shown on failure.
 * FDS_TEST_SKIP_RESTORE=1 makes R skip the restore (the test must then fail).
 */
#ifndef FDS_TEST_HARNESS_H
#define FDS_TEST_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include "fds.h"

struct fds_case {
	const char *name;
	bool netns;			/* run in a private network namespace with lo up */
	int (*setup)(void);		/* in C: 0, or < 0 (message printed) */
	int (*verify)(bool restored);	/* in C after the dump, or in R: 0 if the state is right */
	/* optional, in the test: once C has stopped, before the dump */
	int (*before_dump)(int pid);
	/* optional, in the test while R runs (the peer of R's connections) */
	int (*peer)(void);
	/* optional, in R after the restore, before verify (e.g. lift a network lock) */
	int (*after_restore)(void);
	/* optional: between the dump and the restore, in the test (e.g. change a file) */
	int (*between)(const char *img_dir);
	struct fd_opts opts;
	/* the original ends as a dumped task that is killed: after verify(false)
	 * it stops, the test calls fds_prepare_kill() and SIGKILLs it */
	bool kill_original;
	/* the restore is expected to fail (validation): R must report the failure */
	bool expect_restore_failure;
	/* the dump must be refused, logging this (the pid and fd are prefixed: "pid N fd M: ") */
	const char *expect_dump_refusal;
	int refused_fd;
	/* a string the restore's log must contain (the error naming the file) */
	const char *expect_log;
};

/* Run a case: 0 PASS, 1 FAIL, 77 SKIP (prints the verdict). */
int fds_case_run(const struct fds_case *c);
/* Messages from C/R (to their log file) and from the test. */
void tlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Put fd at number want (closing fd); -1 on error. */
int place_fd(int fd, int want);
/* Check helper: logs "what" and returns -1 if !cond. */
#define CHECK(cond, ...) do { if (!(cond)) { tlog("check failed: " __VA_ARGS__); return -1; } } while (0)

/* Collect pid's fds into dir; keep: the ctx is handed back instead of freed. */
int fds_test_dump(int pid, const char *dir, const struct fd_opts *opts, struct fd_ctx **keep);
/* Remove an image directory and its files. */
void fds_test_rmdir(const char *dir);
/* Make a private network namespace with lo up: 0, or 77 (why printed). */
int fds_test_netns(void);

#endif
