/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Named fault points of restore.  CRYO_FAULT=restore-<point> makes
 * restore_fault("<point>") fail with -EIO (logged), so a test can make a
 * restore fail exactly there and check that no task is left behind and the
 * images are unchanged.
 *
 * Points: fork (creating a task), mem (a task preparing its restorer args),
 * restorer (inside the blob stage, before the task reports ready),
 * before-resume (every task ready, before they are resumed), after-unlock
 * (every thread past its sigreturn, the network lock just removed, before
 * any is detached).
 */
#ifndef CRYO_RESTORE_FAULT_H
#define CRYO_RESTORE_FAULT_H

int restore_fault(const char *point);
/* The names, for tests and --help. */
extern const char *const restore_fault_points[];

#endif
