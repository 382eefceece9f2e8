// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * blob-run mapped: the child maps the blob itself (MAP_FIXED_NOREPLACE at random
 * hints), copies the bytes, zeroes .bss, mprotects the code read-only, and calls the
 * entry; several rounds, which must land at several bases.
 */
#include "blob-run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAPPED_ROUNDS 8

static _Noreturn void mapped_child(const struct test_blob_args *args, int fd)
{
	test_blob_entry_fn entry;
	uint64_t base;
	char *p;

	block_sigusr2();
	p = load_blob_at_random();
	if (!p)
		_exit(2);
	base = (uint64_t)(uintptr_t)p;
	if (write(fd, &base, sizeof(base)) != sizeof(base))
		_exit(2);
	entry = (test_blob_entry_fn)(p + blob_image.main_off);
	_exit(entry(args) == 0 ? 0 : 3);
}

static bool run_mapped_once(uint64_t *ret_base)
{
	struct test_blob_args args;
	struct test_blob_report rep;
	int fds[2], status, r;
	uint64_t base = 0;
	bool ok;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return perror("pipe2"), false;
	fill_args(&args, fds[1]);
	pid = fork();
	if (pid < 0)
		return perror("fork"), false;
	if (pid == 0) {
		close(fds[0]);
		mapped_child(&args, fds[1]);
	}
	close(fds[1]);
	r = read_full(fds[0], &base, sizeof(base));
	if (r == 0)
		r = read_full(fds[0], &rep, sizeof(rep));
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid)
		return perror("waitpid"), false;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "FAIL: child %d ended with status 0x%x (base 0x%" PRIx64 ")\n",
			(int)pid, status, base);
		return false;
	}
	if (r < 0) {
		fprintf(stderr, "FAIL: no report from the blob: %s\n", strerror(-r));
		return false;
	}
	ok = verify_report(&rep, &args, pid, base);
	printf("mapped: child %d ran the blob at 0x%" PRIx64 ": %s\n", (int)pid, base,
	       ok ? "ok" : "WRONG");
	*ret_base = base;
	return ok;
}

int test_mapped(void)
{
	uint64_t bases[MAPPED_ROUNDS];
	int distinct = 0;

	for (int i = 0; i < MAPPED_ROUNDS; i++) {
		if (!run_mapped_once(&bases[i]))
			return 1;
		distinct++;
		for (int j = 0; j < i; j++)
			if (bases[j] == bases[i]) {
				distinct--;
				break;
			}
	}
	/* The point is position independence: the same bytes ran at different bases. */
	if (distinct < 2) {
		fprintf(stderr, "FAIL: every round used the same base\n");
		return 1;
	}
	printf("PASS: %d rounds at %d distinct bases\n", MAPPED_ROUNDS, distinct);
	return 0;
}
