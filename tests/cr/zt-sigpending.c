/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Queued signals: a blocked real-time signal queued to the process with a
 * value (shared pending) and a blocked signal queued to one thread (thread
 * pending) must both still be queued, with their siginfo, after C/R.
 */
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "lib/zt.h"

int main(int argc, char **argv)
{
	sigset_t blk, want;
	siginfo_t si;
	struct timespec zero = { 0, 0 };

	zt_init(argc, argv);
	sigemptyset(&blk);
	sigaddset(&blk, SIGHUP);
	sigaddset(&blk, SIGRTMIN + 3);
	sigprocmask(SIG_BLOCK, &blk, NULL);
	if (sigqueue(getpid(), SIGRTMIN + 3, (union sigval){ .sival_int = 1234 }) < 0 ||
	    syscall(SYS_tgkill, getpid(), gettid(), SIGHUP) < 0)
		zt_fail("cannot queue signals: %m");
	zt_ready();
	zt_wait();
	sigemptyset(&want);
	sigaddset(&want, SIGRTMIN + 3);
	if (sigtimedwait(&want, &si, &zero) != SIGRTMIN + 3 || si.si_value.sival_int != 1234 ||
	    si.si_code != SI_QUEUE)
		zt_fail("queued SIGRTMIN+3 with value 1234 lost");
	sigemptyset(&want);
	sigaddset(&want, SIGHUP);
	if (sigtimedwait(&want, &si, &zero) != SIGHUP)
		zt_fail("thread-directed SIGHUP lost");
	zt_pass();
}
