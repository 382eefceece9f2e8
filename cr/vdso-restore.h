/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vDSO at restore (docs/vdso.md), called by restore-mem.c in each task
 * while it writes the restorer args.
 */
#ifndef CRYO_VDSO_RESTORE_H
#define CRYO_VDSO_RESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "restore.h"
#include "restore-bump.h"
#include "restorer/restorer-args.h"

/* Upper bound of what vdso_restore_task takes from the task's part of the hole. */
uint64_t vdso_restore_args_len(const MmEntry *mm);

/*
 * Decide how this task gets its vDSO back and tell the blob: a->specials (the
 * live [vvar] [vvar_vclock] [vdso] and where they go) and, when the live vDSO
 * differs from the dumped one, the dumped copy with trampolines (a->copies)
 * and its areas, appended to v[*nv] (room for every dumped vDSO area).
 */
int vdso_restore_task(struct restore_ctx *rc, struct rst_task *t, struct bump *b, struct rst_args *a,
		      struct rst_vma *v, size_t *nv);

#endif
