/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The contract between the blob tests' host (blob-run.c, with libc) and the test
 * blob (test-blob.c, freestanding). Both sides include this header, so it uses only
 * fixed-width types; the asserts pin the layout so the two compilations cannot
 * disagree (same idea as the parasite's and restorer's args headers).
 */
#ifndef CRYO_TEST_BLOB_ARGS_H
#define CRYO_TEST_BLOB_ARGS_H

#include <stddef.h>
#include <stdint.h>

#define TEST_BLOB_ARGS_MAGIC 0x6372796f61726773ULL	/* "cryoargs" */
#define TEST_BLOB_REPORT_MAGIC 0x6372796f72657074ULL	/* "cryorept" */
#define TEST_BLOB_MAX_WORDS 64
#define TEST_BLOB_TEXT "cryo blob ok"
#define TEST_BLOB_DATA_COUNTER_INIT 1000

/* Host to blob. */
struct test_blob_args {
	uint64_t magic;
	int32_t result_fd;	/* the blob writes one struct test_blob_report here */
	uint32_t n_words;	/* <= TEST_BLOB_MAX_WORDS */
	uint64_t seed;
	uint32_t words[TEST_BLOB_MAX_WORDS];
};

_Static_assert(offsetof(struct test_blob_args, magic) == 0, "args layout");
_Static_assert(offsetof(struct test_blob_args, result_fd) == 8, "args layout");
_Static_assert(offsetof(struct test_blob_args, n_words) == 12, "args layout");
_Static_assert(offsetof(struct test_blob_args, seed) == 16, "args layout");
_Static_assert(offsetof(struct test_blob_args, words) == 24, "args layout");
_Static_assert(sizeof(struct test_blob_args) == 24 + 4 * TEST_BLOB_MAX_WORDS, "args size");

/* Blob to host, through result_fd. */
struct test_blob_report {
	uint64_t magic;
	int32_t pid;		/* getpid() in the blob */
	int32_t tid;		/* gettid() of the calling thread */
	int32_t thread_tid;	/* gettid() inside the thread the blob cloned */
	int32_t status;		/* 0, or the -errno of the first failed step */
	uint64_t base;		/* where the blob found itself loaded (RIP-relative) */
	uint64_t fnv;		/* FNV-1a 64 of words, computed by the cloned thread */
	uint64_t mix;		/* sum of words[i] * (seed + i), computed by the caller */
	uint64_t data_counter;	/* a .data variable (initialised) after one increment */
	uint64_t bss_counter;	/* a .bss variable after one increment */
	uint64_t sigmask;	/* blocked signals, from rt_sigprocmask */
	char text[16];		/* TEST_BLOB_TEXT, copied from the blob's .rodata */
};

_Static_assert(offsetof(struct test_blob_report, pid) == 8, "report layout");
_Static_assert(offsetof(struct test_blob_report, thread_tid) == 16, "report layout");
_Static_assert(offsetof(struct test_blob_report, base) == 24, "report layout");
_Static_assert(offsetof(struct test_blob_report, fnv) == 32, "report layout");
_Static_assert(offsetof(struct test_blob_report, sigmask) == 64, "report layout");
_Static_assert(offsetof(struct test_blob_report, text) == 72, "report layout");
_Static_assert(sizeof(struct test_blob_report) == 88, "report size");
_Static_assert(sizeof(TEST_BLOB_TEXT) <= 16, "text fits the report");

/* Host to blob for test_blob_syscalls(): resources to work on, and where it failed. */
#define TEST_BLOB_SYS_MAGIC 0x6372796f73797363ULL	/* "cryosysc" */
#define TEST_BLOB_SYS_FILE_SIZE (3 * 4096)
/* Content of the test file at offset i. */
#define TEST_BLOB_SYS_BYTE(i) ((unsigned char)((i) * 7 + 3))
#define TEST_BLOB_SET_TID_CANDIDATES 8

struct test_blob_sys_args {
	uint64_t magic;
	int32_t sock_fds[2];	/* a connected AF_UNIX SOCK_SEQPACKET pair */
	char path[96];		/* a TEST_BLOB_SYS_FILE_SIZE file of TEST_BLOB_SYS_BYTE()s */
	int32_t failed_line;	/* out: 0, or the source line of the first failed check */
	int32_t reserved;
	int64_t failed_value;	/* out: what that check got */
	/* For test_blob_set_tid(): tids to try in order (0 ends the list), and the
	 * outcome: the tid clone3 gave the thread and the tid the thread saw. */
	int32_t set_tid_candidates[TEST_BLOB_SET_TID_CANDIDATES];
	int32_t set_tid_got;
	int32_t set_tid_seen;
};

_Static_assert(offsetof(struct test_blob_sys_args, sock_fds) == 8, "sys args layout");
_Static_assert(offsetof(struct test_blob_sys_args, path) == 16, "sys args layout");
_Static_assert(offsetof(struct test_blob_sys_args, failed_line) == 112, "sys args layout");
_Static_assert(offsetof(struct test_blob_sys_args, failed_value) == 120, "sys args layout");
_Static_assert(offsetof(struct test_blob_sys_args, set_tid_candidates) == 128, "sys args layout");
_Static_assert(offsetof(struct test_blob_sys_args, set_tid_got) == 160, "sys args layout");
_Static_assert(sizeof(struct test_blob_sys_args) == 168, "sys args size");

/* What both sides compute; the host's copy checks the blob's. */
static inline uint64_t test_blob_fnv1a(const uint32_t *w, uint32_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (uint32_t i = 0; i < n; i++)
		for (int b = 0; b < 4; b++) {
			h ^= (w[i] >> (8 * b)) & 0xff;
			h *= 0x100000001b3ULL;
		}
	return h;
}

#endif
