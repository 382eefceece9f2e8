/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The memory copy pipeline of the dump: the dumping thread reads pages of
 * the task into one of a few bounded buffers and posts it; a second thread
 * stores posted buffers in order (zero detection, page file writes), so
 * reading the task and writing the image run on two cores.  Memory use is
 * COPY_SLOTS * COPY_SLOT_SIZE whatever the dump size.
 */
#ifndef CRYO_MEM_COPY_H
#define CRYO_MEM_COPY_H

#include <stdint.h>

#define COPY_SLOTS 4
#define COPY_SLOT_SIZE (4u << 20)

/* Called on the store thread, in posting order; returns 0 or -errno (logged). */
typedef int (*copy_store_fn)(void *ctx, uint64_t vaddr, const uint8_t *buf, uint64_t nr_pages);

struct copy_pipe;

int copy_pipe_start(struct copy_pipe **ret);
/* A free buffer of COPY_SLOT_SIZE bytes (waits for one); fails with the store error. */
int copy_pipe_get(struct copy_pipe *p, uint8_t **ret_buf);
/* Hand the buffer from copy_pipe_get to the store thread. */
int copy_pipe_post(struct copy_pipe *p, copy_store_fn fn, void *ctx, uint64_t vaddr, uint64_t nr_pages);
/* Wait until everything posted is stored: 0 or the first store error. */
int copy_pipe_drain(struct copy_pipe *p);
/* Drain, stop the thread, free; safe on NULL. */
void copy_pipe_stop(struct copy_pipe *p);

#endif
