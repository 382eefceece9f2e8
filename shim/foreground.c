/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Foreground mode of run and exec: adopt the process as subreaper, forward signals, return its status. */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "container.h"

static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT };

void foreground_prepare(sigset_t *set)
{
	/* The process is our grandchild; as subreaper we inherit it and can wait for it. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	for (size_t k = 0; k < ARRAY_SIZE(forwarded); k++)
		sigaddset(set, forwarded[k]);
	sigprocmask(SIG_BLOCK, set, NULL);
}

int foreground_wait(pid_t pid, const sigset_t *set)
{
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(set, &si), status;
		pid_t w;

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(pid, sig);
			continue;
		}
		while ((w = waitpid(-1, &status, WNOHANG)) > 0)
			if (w == pid)
				return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
}
