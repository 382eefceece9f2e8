/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host side of the parasite: infect a seized process (scratch area +
 * blob, see cr/infect.h), run commands in its threads, cure it.  After
 * parasite_cure() the process has no parasite mapping and every thread has
 * its registers and signal mask back, also when a command failed.
 */
#ifndef CRYO_PARASITE_HOST_H
#define CRYO_PARASITE_HOST_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>
#include "parasite/parasite-args.h"

struct parasite_ctl;

int parasite_infect(pid_t pid, const pid_t *tids, size_t nr_tids, struct parasite_ctl **ret);
int parasite_task_state(struct parasite_ctl *ctl, struct parasite_task_state *ret);
int parasite_thread_state(struct parasite_ctl *ctl, pid_t tid, struct parasite_thread_state *ret);
/* The infection under the parasite, for modules that run their own remote
 * syscalls (cr/taskstate.h runners); valid until parasite_cure. */
struct infect *parasite_infection(struct parasite_ctl *ctl);
/* What the threads had when seized (valid until parasite_cure). */
const struct user_regs_struct *parasite_saved_regs(struct parasite_ctl *ctl, pid_t tid);
uint64_t parasite_saved_sigmask(struct parasite_ctl *ctl, pid_t tid);
/* Remove the parasite and put every thread back; frees ctl; safe on NULL. */
int parasite_cure(struct parasite_ctl *ctl);

#endif
