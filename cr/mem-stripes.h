/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Page data of a big process written by two streams at once, into two page
 * files (pagemap_head.more_pages_ids): on this kind of machine filling fresh
 * tmpfs pages costs far more than copying, and one tmpfs file takes one
 * writer at a time (its inode lock).  The chunks are listed first, in
 * address order; each file is written front to back, and the pagemap is
 * recorded afterwards, in address order, from the chunks' answers.
 *
 * Stream 0, on the calling thread, has the parasite daemon write each chunk
 * from inside the task into page file 0 (one copy); stream 1, a thread of
 * ours, reads chunks with process_vm_readv into a buffer and writes them to
 * page file 1 (two copies, on the other CPU).  Each stream takes the next
 * free chunk, so neither waits for the other.  Chunks without PROT_READ are
 * read here through /proc/PID/mem by either stream.  (A thread of the
 * parasite in the task as stream 1, one copy each but in lock step, was
 * measured slower here: 0.75-1.6 s against 0.70 s for 2 GiB.)
 */
#ifndef CRYO_MEM_STRIPES_H
#define CRYO_MEM_STRIPES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define STRIPE_CHUNK_PAGES 8192u	/* 32 MiB: small enough to keep both streams busy */

struct parasite_ctl;

struct stripe_chunk {
	uint64_t vaddr;
	uint32_t nr_pages;		/* <= STRIPE_CHUNK_PAGES */
	bool readable;			/* the parasite can read it (PROT_READ) */
	unsigned file;			/* answers: which page file, */
	off_t file_off;			/* where its data pages start there, */
	uint64_t zero[STRIPE_CHUNK_PAGES / 64];	/* and which pages were zero (not stored) */
};

struct stripe_io {
	struct parasite_ctl *parasite;	/* stream 0's writer */
	pid_t pid;			/* process_vm_readv source of stream 1 */
	int mem_fd;			/* /proc/PID/mem: stream 1's source for unreadable areas */
	int fd[2];			/* the page files */
	off_t off[2];			/* where the streams start writing in them */
};

struct stripe_plan {
	struct stripe_chunk *chunks;
	size_t n, cap;
};

/* List nr_pages from vaddr (split into chunks). */
int stripe_plan_add(struct stripe_plan *p, uint64_t vaddr, uint64_t nr_pages, bool readable);
/* Write every chunk; fills the answers.  *ret_usec: the time both streams took. */
int stripe_plan_write(struct stripe_plan *p, const struct stripe_io *io, uint64_t *ret_usec);
void stripe_plan_free(struct stripe_plan *p);

#endif
