/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A child of the tree in a uts (argument "uts") or ipc ("ipc") namespace of
 * its own, not its parent's: not supported (the tasks of a tree share the
 * root's uts and ipc namespaces), the dump must refuse it by name and leave
 * both tasks running as they were.
 */
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/zt.h"

int main(int argc, char **argv)
{
	bool uts = argc > 1 && !strcmp(argv[1], "uts");
	int go[2], st;
	char c;
	pid_t child;

	zt_init(argc, argv);
	if (pipe(go) < 0)
		zt_fail("pipe: %m");
	child = fork();
	if (child < 0)
		zt_fail("fork: %m");
	if (child == 0) {
		if (unshare(uts ? CLONE_NEWUTS : CLONE_NEWIPC) < 0)
			_exit(2);
		if (uts && sethostname("cryo-child-own", 14) < 0)
			_exit(3);
		if (!uts && shmget(0x63686c64, 4096, IPC_CREAT | 0600) < 0)
			_exit(4);
		if (write(go[1], "r", 1) != 1)
			_exit(5);
		for (;;)
			pause();	/* until the parent's SIGKILL after the check */
	}
	if (read(go[0], &c, 1) != 1)
		zt_fail("the child did not start its own namespace");
	zt_ready();
	zt_wait();
	if (kill(child, 0) < 0)
		zt_fail("the child is gone after the refused dump");
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	zt_pass();
}
