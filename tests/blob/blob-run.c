// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * End-to-end test of the blob pipeline: run the test blob (test-blob.c, embedded
 * through the generated test-blob.h) at a random address in a child process and
 * check its results against what this host computes. One mode per meson test:
 *
 *   blob-run mapped    blob-run-mapped.c: the child maps and calls the blob itself
 *   blob-run injected  blob-run-inject.c: the parent injects it with ptrace
 *   blob-run syscalls  blob-run-sys.c: the blob checks its syscall layer
 *   blob-run set-tid   blob-run-sys.c: the blob makes a thread with a chosen tid
 *   blob-run tiny      blob-run-tiny.c: a second blob, without .data
 *
 * This file holds the embedded blob and what the modes share.
 */
#include "blob-run.h"
#include "test-blob.h"

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

const struct blob_image blob_image = {
	.bytes = test_blob,
	.size = test_blob_size,
	.bss_size = test_blob_bss_size,
	.mem_size = test_blob_mem_size,
	.rx_size = test_blob_rx_size,
	.main_off = test_test_blob_main_OFF,
	.trap_off = test_test_blob_trap_OFF,
	.syscalls_off = test_test_blob_syscalls_OFF,
	.set_tid_off = test_test_blob_set_tid_OFF,
};

uint64_t random_u64(void)
{
	uint64_t v;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v)) {
		perror("getrandom");
		exit(1);
	}
	return v;
}

uint64_t random_hint(size_t len)
{
	const uint64_t lo = 1ULL << 32, hi = (127ULL << 40) - len;

	return (lo + random_u64() % (hi - lo)) & ~(PAGE - 1);
}

void fill_args(struct test_blob_args *a, int fd)
{
	memset(a, 0, sizeof(*a));
	a->magic = TEST_BLOB_ARGS_MAGIC;
	a->result_fd = fd;
	a->n_words = 1 + random_u64() % TEST_BLOB_MAX_WORDS;
	a->seed = random_u64();
	for (uint32_t i = 0; i < a->n_words; i++)
		a->words[i] = (uint32_t)random_u64();
}

static uint64_t host_mix(const struct test_blob_args *a)
{
	uint64_t m = 0;

	for (uint32_t i = 0; i < a->n_words; i++)
		m += (uint64_t)a->words[i] * (a->seed + i);
	return m;
}

#define EXPECT(cond, ...)                                          \
	do {                                                       \
		if (!(cond)) {                                     \
			fprintf(stderr, "FAIL: " __VA_ARGS__);     \
			fputc('\n', stderr);                       \
			ok = false;                                \
		}                                                  \
	} while (0)

bool verify_report(const struct test_blob_report *r, const struct test_blob_args *a,
			  pid_t pid, uint64_t base)
{
	bool ok = true;

	EXPECT(r->magic == TEST_BLOB_REPORT_MAGIC, "report magic 0x%" PRIx64, r->magic);
	EXPECT(r->status == 0, "blob status %d (%s)", r->status, strerror(-r->status));
	EXPECT(r->pid == pid, "blob saw pid %d, child is %d", r->pid, (int)pid);
	EXPECT(r->tid == pid, "blob ran on tid %d, expected the main thread %d", r->tid, (int)pid);
	EXPECT(r->thread_tid > 0 && r->thread_tid != pid, "cloned thread tid %d", r->thread_tid);
	EXPECT(r->base == base, "blob found itself at 0x%" PRIx64 ", mapped at 0x%" PRIx64,
	       r->base, base);
	EXPECT(r->fnv == test_blob_fnv1a(a->words, a->n_words), "fnv 0x%" PRIx64 " expected 0x%" PRIx64,
	       r->fnv, test_blob_fnv1a(a->words, a->n_words));
	EXPECT(r->mix == host_mix(a), "mix 0x%" PRIx64 " expected 0x%" PRIx64, r->mix, host_mix(a));
	EXPECT(r->data_counter == TEST_BLOB_DATA_COUNTER_INIT + 1, ".data counter %" PRIu64,
	       r->data_counter);
	EXPECT(r->bss_counter == 1, ".bss counter %" PRIu64 " (bss not zeroed?)", r->bss_counter);
	EXPECT(r->sigmask & (1ULL << (SIGUSR2 - 1)), "sigmask 0x%" PRIx64 " lacks SIGUSR2",
	       r->sigmask);
	EXPECT(memcmp(r->text, TEST_BLOB_TEXT, sizeof(TEST_BLOB_TEXT)) == 0, "text '%.16s'", r->text);
	return ok;
}

int read_full(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EPIPE;
		p += r;
		n -= r;
	}
	return 0;
}

void block_sigusr2(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static void *map_at_random(size_t len)
{
	for (int i = 0; i < MAP_TRIES; i++) {
		void *hint = (void *)random_hint(len);
		void *p = mmap(hint, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

		if (p == hint)
			return p;
		if (p != MAP_FAILED)	/* a kernel that ignores the flag: not where we asked */
			munmap(p, len);
		else if (errno != EEXIST)
			return NULL;
	}
	errno = EADDRINUSE;
	return NULL;
}

/* Map, copy, zero .bss, write-protect the code: what every loader of a blob does. */
char *load_blob_at_random(void)
{
	size_t len = ROUND_UP(blob_image.mem_size, PAGE);
	char *p = map_at_random(len);

	if (!p) {
		perror("child: mmap at a random address");
		return NULL;
	}
	memcpy(p, blob_image.bytes, blob_image.size);
	memset(p + blob_image.size, 0, blob_image.bss_size);
	if (mprotect(p, blob_image.rx_size, PROT_READ | PROT_EXEC) < 0) {
		perror("child: mprotect");
		return NULL;
	}
	return p;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "mapped") == 0)
		return test_mapped();
	if (argc == 2 && strcmp(argv[1], "injected") == 0)
		return test_injected();
	if (argc == 2 && strcmp(argv[1], "syscalls") == 0)
		return test_syscalls();
	if (argc == 2 && strcmp(argv[1], "set-tid") == 0)
		return test_set_tid();
	if (argc == 2 && strcmp(argv[1], "tiny") == 0)
		return test_tiny();
	fprintf(stderr, "usage: %s mapped|injected|syscalls|set-tid|tiny\n", argv[0]);
	return 2;
}
