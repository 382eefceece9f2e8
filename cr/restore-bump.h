/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A bump allocator over the task's part of the hole: what a task writes there
 * for the restorer blob (args, areas, frames, the vDSO copy) is never freed,
 * the hole goes away as a whole after resume.
 */
#ifndef CRYO_RESTORE_BUMP_H
#define CRYO_RESTORE_BUMP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct bump {
	char *cur, *end;
};

/* Zeroed memory of len bytes aligned to align (a power of two); NULL when full. */
static inline void *bump_alloc(struct bump *b, size_t len, size_t align)
{
	char *p = (char *)(((uintptr_t)b->cur + align - 1) & ~(uintptr_t)(align - 1));
	if (p > b->end || len > (size_t)(b->end - p))
		return NULL;
	b->cur = p + len;
	memset(p, 0, len);
	return p;
}

#endif
