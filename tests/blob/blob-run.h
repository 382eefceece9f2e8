/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the blob-run test modes: the embedded test blob and the helpers around it. */
#ifndef CRYO_TESTS_BLOB_RUN_H
#define CRYO_TESTS_BLOB_RUN_H

#include "test-blob-args.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PAGE 4096UL
#define ROUND_UP(x, a) (((x) + (a)-1) / (a) * (a))
#define MAP_TRIES 64

/* What blobgen's header says about the test blob (test-blob.h is included once, in
 * blob-run.c, because it defines the byte array). */
struct blob_image {
	const unsigned char *bytes;
	size_t size, bss_size, mem_size, rx_size;
	uint64_t main_off, trap_off, syscalls_off, set_tid_off;
};

extern const struct blob_image blob_image;

typedef long (*test_blob_entry_fn)(const struct test_blob_args *);

uint64_t random_u64(void);
/* A page-aligned address in [4 GiB, 127 TiB - len): anywhere a mapping may go. */
uint64_t random_hint(size_t len);
void fill_args(struct test_blob_args *a, int fd);
bool verify_report(const struct test_blob_report *r, const struct test_blob_args *a, pid_t pid,
		   uint64_t base);
int read_full(int fd, void *buf, size_t n);
void block_sigusr2(void);
/* Map at a random address, copy, zero .bss, write-protect the code; NULL on failure. */
char *load_blob_at_random(void);

int test_mapped(void);
int test_injected(void);
int test_syscalls(void);
int test_set_tid(void);
int test_tiny(void);

#endif
