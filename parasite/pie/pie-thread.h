/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Threads in blob code: raw clone with a new stack. */
#ifndef CRYO_PIE_THREAD_H
#define CRYO_PIE_THREAD_H

#include "pie.h"

/*
 * clone(flags, stack_top, ptid, ctid, tls) and run fn(arg) in the child on the new
 * stack; when fn returns, the child calls exit (the thread's, not the group's) with
 * its return value. Returns the child's tid in the parent, or -errno.
 * stack_top is the high end of the child's stack; it is aligned down to 16 bytes.
 * With CLONE_CHILD_CLEARTID the kernel zeroes *ctid and futex-wakes it when the
 * child exits: wait for that before freeing the stack.
 */
long pie_clone_thread(unsigned long flags, void *stack_top, int *ptid, int *ctid,
		      unsigned long tls, int (*fn)(void *), void *arg);

struct clone_args;

/*
 * clone3(args, size) and run fn(arg) in the child, exiting the thread with its return
 * value; returns the child's tid in the parent, or -errno. This is the one to use for
 * a chosen tid (args->set_tid) or a pidfd. With CLONE_VM, args->stack and
 * args->stack_size must be set; the kernel starts the child at stack + stack_size,
 * which should be 16-byte aligned. For CLONE_THREAD, args->exit_signal must be 0.
 */
long pie_clone3_thread(struct clone_args *args, unsigned long size, int (*fn)(void *), void *arg);

#endif
