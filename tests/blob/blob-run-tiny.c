// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * blob-run tiny: a blob without .data (tiny-blob.c). Its header's size stops at the end
 * of the code; the zeroed part covers the padding up to .bss's page and .bss itself.
 * The child loads it at a random address with that zeroed part first filled with
 * garbage, as reused memory would be, and calls it twice.
 */
#include "blob-run.h"
#include "tiny-blob.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void *map_random_rw(size_t len)
{
	for (int i = 0; i < MAP_TRIES; i++) {
		void *hint = (void *)random_hint(len);
		void *p = mmap(hint, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

		if (p == hint)
			return p;
		if (p != MAP_FAILED)
			munmap(p, len);
	}
	return NULL;
}

static _Noreturn void tiny_child(void)
{
	size_t len = ROUND_UP(tiny_blob_mem_size, PAGE);
	uint64_t (*entry)(uint64_t);
	char *p = map_random_rw(len);

	if (!p)
		_exit(2);
	memset(p, 0xa5, len);
	memcpy(p, tiny_blob, tiny_blob_size);
	memset(p + tiny_blob_size, 0, tiny_blob_bss_size);
	if (mprotect(p, tiny_blob_rx_size, PROT_READ | PROT_EXEC) < 0)
		_exit(2);
	entry = (uint64_t (*)(uint64_t))(p + tiny_tiny_entry_OFF);
	/* table[1] * 1000 + first call * 100 + 1, then table[3] * 1000 + 2 * 100 + 1 */
	if (entry(5) != 5101 || entry(7) != 11201)
		_exit(3);
	_exit(0);
}

int test_tiny(void)
{
	int status;
	pid_t pid;

	/* The point of this blob: the copied bytes end before the data page. */
	if (tiny_blob_size >= tiny_blob_rx_size ||
	    tiny_blob_size + tiny_blob_bss_size != tiny_blob_mem_size) {
		fprintf(stderr, "FAIL: unexpected tiny blob layout (size %lu, rx %lu, zeroed %lu)\n",
			tiny_blob_size, tiny_blob_rx_size, tiny_blob_bss_size);
		return 1;
	}
	pid = fork();
	if (pid < 0)
		return perror("fork"), 1;
	if (pid == 0)
		tiny_child();
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "FAIL: tiny blob child ended with status 0x%x\n", status);
		return 1;
	}
	printf("PASS: tiny blob: %lu bytes copied, %lu zeroed (padding and .bss), results right\n",
	       tiny_blob_size, tiny_blob_bss_size);
	return 0;
}
