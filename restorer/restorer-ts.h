/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Task state the restorer blob applies itself (struct rst_ts, filled by
 * cr/restore-ts.c): what must come after everything that needs privilege
 * (credentials), what only each thread can set for itself, and seccomp,
 * the very last thing before rt_sigreturn.  Each returns 0 or -errno and
 * sets *step to the RST_STEP_* that failed.
 */
#ifndef CRYO_RESTORER_TS_H
#define CRYO_RESTORER_TS_H

#include "restorer-args.h"

/* Main thread, once the areas are mapped and before foreign fds are closed: root and cwd. */
long rst_ts_root(const struct rst_args *a, uint32_t *step);
/* Main thread, once every thread exists: the timers aimed at one of them. */
long rst_ts_thread_timers(const struct rst_args *a, uint32_t *step);
/* Every thread, after its own state and queued signals, before the barrier:
 * its scheduling (idx = its index in threads), then its credentials. */
long rst_ts_thread(const struct rst_args *a, uint64_t idx, uint32_t *step);
/* Every thread after the go, just before rt_sigreturn (idx: its index in
 * threads): the parent-death signal (main thread) and seccomp. */
long rst_ts_last(const struct rst_args *a, uint64_t idx, uint32_t *step);

#endif
