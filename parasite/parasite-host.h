/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host side of the parasite: infect a seized process (scratch area +
 * blob, see cr/infect.h), run commands in its threads or over its command
 * channel, cure it.  After parasite_cure() the process has no parasite
 * mapping, no fd of ours and every thread has its registers and signal
 * mask back, also when a command failed.
 *
 * Life of an infection:
 *   parasite_infect()                      blob mapped, every thread prepared
 *   parasite_thread_state() per thread     trap commands (also the task's own
 *                                          remote syscalls: parasite_infection())
 *   parasite_start_daemon()                channel up, the daemon runs in one thread
 *   parasite_task_state(), parasite_drain_fds(), parasite_set_page_fd(),
 *   parasite_dump_pages()
 *                                          channel commands
 *   parasite_cure()                        daemon stopped, blob unmapped, all put back
 * Trap commands and remote syscalls in the daemon's thread are refused
 * (-EBUSY) while it runs; in the other threads they may run.
 */
#ifndef CRYO_PARASITE_HOST_H
#define CRYO_PARASITE_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>
#include "parasite/parasite-args.h"

struct parasite_ctl;

int parasite_infect(pid_t pid, const pid_t *tids, size_t nr_tids, struct parasite_ctl **ret);
/* Per process: over the channel when the daemon runs, else as a trap command. */
int parasite_task_state(struct parasite_ctl *ctl, struct parasite_task_state *ret);
/* Per thread, in that thread (trap command). */
int parasite_thread_state(struct parasite_ctl *ctl, pid_t tid, struct parasite_thread_state *ret);

/* Open the channel and start the daemon in the main thread. */
int parasite_start_daemon(struct parasite_ctl *ctl);
bool parasite_daemon_running(const struct parasite_ctl *ctl);
/* The fd number of the daemon's socket in the task (not one of its own
 * fds: the fd table walk skips it), -1 without a daemon. */
int parasite_daemon_fd(const struct parasite_ctl *ctl);
/* Send a request (cmd and its union member filled in) and wait for the
 * reply into *a; with ret_fds, the reply's fds (nr_fds expected) land there.
 * A negative status of the reply is returned as is, not logged. */
int parasite_channel_cmd(struct parasite_ctl *ctl, struct parasite_args *a, int *ret_fds, size_t nr_fds);
/* Duplicates of the task's fds[0..nr) into ret_local[] (O_CLOEXEC), any nr:
 * batches of PARASITE_FDS_BATCH, each one SCM_RIGHTS message. */
int parasite_drain_fds(struct parasite_ctl *ctl, const int *fds, size_t nr, int *ret_local);
/* Hand the page file to the daemon (fd < 0: it closes the one it has);
 * the fd stays in the task until then, or until the daemon ends. */
int parasite_set_page_fd(struct parasite_ctl *ctl, int fd);
/* The daemon writes the non-zero pages of nr_pages (<= PARASITE_SCAN_PAGES)
 * at vaddr to the page file from file_off on; ret says which were zero. */
int parasite_dump_pages(struct parasite_ctl *ctl, uint64_t vaddr, uint32_t nr_pages, uint64_t file_off,
			struct parasite_dump_pages *ret);
/* Tell the daemon to finish and wait for it (parasite_cure does it too). */
int parasite_stop_daemon(struct parasite_ctl *ctl);
/* The scratch mapping in the task: [*start, *end), not part of its memory. */
void parasite_area(const struct parasite_ctl *ctl, uint64_t *start, uint64_t *end);

/* The infection under the parasite, for modules that run their own remote
 * syscalls (cr/taskstate.h runners); valid until parasite_cure. */
struct infect *parasite_infection(struct parasite_ctl *ctl);
/* What the threads had when seized (valid until parasite_cure). */
const struct user_regs_struct *parasite_saved_regs(struct parasite_ctl *ctl, pid_t tid);
uint64_t parasite_saved_sigmask(struct parasite_ctl *ctl, pid_t tid);
/* Remove the parasite and put every thread back; frees ctl; safe on NULL. */
int parasite_cure(struct parasite_ctl *ctl);

#endif
