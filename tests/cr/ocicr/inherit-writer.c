/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inherit-writer: writes "N\n" (N = 1, 2, ...) to its stdout every 20 ms,
 * and forks a child that holds the same stdout and sleeps.  Its stdout is a
 * pipe to the test, outside the dump (--external fd[...] / --inherit-fd).
 * A write error (EPIPE: the restore left the pipe out) ends it with status 3.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char buf[32];
	unsigned long n = 0;

	signal(SIGPIPE, SIG_IGN);
	if (fork() == 0)
		for (;;)
			pause();
	for (;;) {
		int len = snprintf(buf, sizeof(buf), "%lu\n", ++n);
		if (write(STDOUT_FILENO, buf, (size_t)len) != len)
			return 3;
		usleep(20000);
	}
}
