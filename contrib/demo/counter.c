/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The demo workload: counts in memory and, once a second, writes the count and
 * its own pid to the file named by argv[1].  State lives only in registers and
 * memory, so a restored counter carries on from where the dump stopped it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long count = 0;
	time_t last = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTPUT-FILE\n", argv[0]);
		return 1;
	}
	/* Keep only stdio: cryo-cr dumps a tree whose other fds it supports. */
	syscall(SYS_close_range, 3, ~0U, 0);
	for (;;) {
		time_t now = time(NULL);

		count++;
		if (now != last) {
			int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

			if (fd >= 0) {
				dprintf(fd, "pid %d count %lu\n", getpid(), count);
				close(fd);
			}
			last = now;
		}
	}
}
