/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The root traces its child: a traced task cannot be dumped, so the dump
 * must refuse it by name and leave both tasks as they were. */
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/zt.h"

int main(int argc, char **argv)
{
	pid_t c;
	int status;

	zt_init(argc, argv);
	c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	if (ptrace(PTRACE_SEIZE, c, 0, 0) < 0)
		zt_skip("cannot trace our child: %m");
	zt_ready();
	zt_wait();
	if (kill(c, 0) < 0)
		zt_fail("child is gone");
	kill(c, SIGKILL);
	if (waitpid(c, &status, __WALL) != c || !WIFSIGNALED(status))
		zt_fail("child did not die as expected (%#x)", status);
	zt_pass();
}
