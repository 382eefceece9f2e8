/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Named fault-injection points.  CRYO_FAULT=<point> in the environment makes
 * fault_inject(<point>) fail with -EIO (logged), so a test can make a dump
 * fail exactly there and check that the tree is left as it was.
 *
 * Points of the dump: after-seize, after-infect, after-daemon-start,
 * after-parasite-cmd, mid-memory, mid-parasite-cmd, before-write-inventory,
 * before-release.
 *
 * CRYO_FAULT_SIGNAL=<point>:<signo> makes fault_signal(<point>, pid) send
 * that signal to pid there, so a test can have a signal arrive at a known
 * moment of the dump.  Point: before-pages (the parasite is in).
 */
#ifndef CRYO_FAULT_H
#define CRYO_FAULT_H

#include <sys/types.h>

/* 0 normally; -EIO (and an error logged) if CRYO_FAULT names this point. */
int fault_inject(const char *point);
/* Send the signal CRYO_FAULT_SIGNAL names to pid if it names this point. */
void fault_signal(const char *point, pid_t pid);

#endif
