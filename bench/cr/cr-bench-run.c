/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cr-bench-run CMD [ARGS...]: run CMD, then print its wall time and peak RSS
 * (wait4's ru_maxrss of that process) as "wall_s=... maxrss_kib=... status=...".
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	struct rusage ru;
	int st;

	if (argc < 2) {
		fprintf(stderr, "usage: cr-bench-run CMD [ARGS...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid_t pid = fork();
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) != pid) {
		perror("cr-bench-run");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("wall_s=%.4f maxrss_kib=%ld status=%d\n",
	       (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9, ru.ru_maxrss,
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
