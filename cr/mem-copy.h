/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The memory copy pipeline of the dump.  The dumping thread reads pages of
 * the task into one of a few bounded buffers, finds the zero pages, records
 * the pagemap entries and reserves the page file ranges; COPY_THREADS store
 * threads then write the data with pwrite() at those offsets, in any order,
 * so reading the task and filling the page file use both cores.  Memory use
 * is COPY_SLOTS * COPY_SLOT_SIZE whatever the dump size; nothing is pinned.
 */
#ifndef CRYO_MEM_COPY_H
#define CRYO_MEM_COPY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define COPY_SLOTS 6
#define COPY_SLOT_SIZE (4u << 20)
#define COPY_THREADS 2
/* At worst every other page of a buffer is zero. */
#define COPY_MAX_SEGS (COPY_SLOT_SIZE / 4096 / 2 + 1)

struct copy_seg {
	uint32_t buf_off;	/* in the job's buffer */
	uint32_t len;
	off_t file_off;		/* in the page file */
};

/* One buffer and the writes to make from it. */
struct copy_job {
	uint8_t *buf;		/* COPY_SLOT_SIZE bytes, page aligned */
	int fd;
	unsigned nr_segs;
	struct copy_seg segs[COPY_MAX_SEGS];
};

struct copy_pipe;

int copy_pipe_start(struct copy_pipe **ret);
/* A free job (waits for one); fails with the first store error. */
int copy_pipe_get(struct copy_pipe *p, struct copy_job **ret);
/* Hand the job from copy_pipe_get to the store threads. */
int copy_pipe_post(struct copy_pipe *p, struct copy_job *job);
/* Wait until every posted job is written: 0 or the first store error. */
int copy_pipe_drain(struct copy_pipe *p);
/* Microseconds the store threads spent writing, summed. */
uint64_t copy_pipe_store_usec(struct copy_pipe *p);
/* Drain, stop the threads, free; safe on NULL. */
void copy_pipe_stop(struct copy_pipe *p);

/* Shared by the writers of page data. */
bool mem_page_is_zero(const uint8_t *page);	/* 4096 bytes */
uint64_t mem_mono_usec(void);
/* len bytes of a task's memory at vaddr: with process_vm_readv from vm_pid
 * (0: not readable that way), else with pread of mem_fd (/proc/PID/mem). */
int mem_read_task(pid_t vm_pid, int mem_fd, void *buf, size_t len, uint64_t vaddr);

#endif
