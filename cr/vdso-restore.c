/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vDSO at restore, in each task (docs/vdso.md).
 *
 * The restoring task has the live [vvar] [vvar_vclock] [vdso] of this kernel
 * (cryo-cr's, inherited by fork).  When the image holds the dumped vDSO bytes
 * and they equal the live ones (same kernel build), the live areas move to the
 * dumped addresses as a block, as they were.  When they differ (another
 * kernel: content, size or the layout of the vvar areas), the live block
 * moves to a free spot near the dumped vDSO instead (its code reaches its vvar
 * pages relative to itself: the three stay together), the dumped bytes go back
 * at the dumped vDSO address as private r-x memory, and each function they
 * export starts with a jmp to the function of the same name in the live
 * vDSO: whatever pointers the program holds into its vDSO keep working.  The
 * dumped [vvar] addresses get private zero pages.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "util.h"
#include "vdso.h"
#include "vdso-restore.h"

#define PAGE_SZ 4096ul
#define TASK_TOP 0x7ffffffff000ul
#define LOW_LIMIT 0x10000ul		/* vm.mmap_min_addr's default */
#define REACH (1ul << 30)		/* well inside rel32 from the dumped vDSO */
#define MAX_SPECIALS 8

struct cur_special {
	char name[32];
	uint64_t start, end;
};

/* The live vDSO areas of this task, in address order. */
static int current_specials(struct cur_special *out, size_t max, size_t *n)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	*n = 0;
	if (!f)
		return negative_errno();
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		char name[64] = "";
		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %63s", &s, &e, name) < 2)
			continue;
		if (strcmp(name, "[vdso]") && strcmp(name, "[vvar]") && strcmp(name, "[vvar_vclock]"))
			continue;
		if (*n == max)
			return -E2BIG;
		snprintf(out[*n].name, sizeof(out[*n].name), "%s", name);
		out[*n].start = s;
		out[*n].end = e;
		(*n)++;
	}
	return 0;
}

static bool is_special(const VmaEntry *v)
{
	return v->kind == VMA_KIND__VMA_VDSO || v->kind == VMA_KIND__VMA_VVAR;
}

static const char *special_name(const VmaEntry *v)
{
	if (v->name)
		return v->name;
	return v->kind == VMA_KIND__VMA_VDSO ? "[vdso]" : "[vvar]";
}

static const VmaEntry *dumped_vdso(const MmEntry *mm)
{
	for (size_t i = 0; i < mm->n_vmas; i++)
		if (mm->vmas[i]->kind == VMA_KIND__VMA_VDSO)
			return mm->vmas[i];
	return NULL;
}

static const struct cur_special *live_vdso(const struct cur_special *cur, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cur[i].name, "[vdso]"))
			return &cur[i];
	return NULL;
}

/*
 * Give every live area the dumped address of the area of the same name: the
 * sizes must be equal and the offsets between them too (they move as one
 * block).  Live areas the image does not have are unmapped (dst 0).  With
 * quiet, a mismatch is only returned (the caller takes the trampoline path).
 */
static int match_specials(const struct rst_task *t, const struct cur_special *cur, size_t n,
			  struct rst_special *sp, bool quiet)
{
	int64_t delta = 0;
	bool have_delta = false;
	for (size_t i = 0; i < n; i++) {
		sp[i] = (struct rst_special){ cur[i].start, cur[i].end - cur[i].start, 0 };
		for (size_t j = 0; j < t->mm->n_vmas; j++) {
			const VmaEntry *v = t->mm->vmas[j];
			if (!is_special(v) || strcmp(special_name(v), cur[i].name))
				continue;
			if (v->end - v->start != sp[i].len) {
				if (!quiet)
					log_error("task %d: %s of this kernel is %" PRIu64 " bytes, the dumped one %" PRIu64
						  "; an image without the vDSO bytes cannot be restored across such kernels",
						  t->pid, cur[i].name, sp[i].len, v->end - v->start);
				return -EOPNOTSUPP;
			}
			int64_t d = (int64_t)(v->start - cur[i].start);
			if (have_delta && d != delta) {
				if (!quiet)
					log_error("task %d: the dumped vDSO areas are laid out differently from this kernel's",
						  t->pid);
				return -EOPNOTSUPP;
			}
			delta = d;
			have_delta = true;
			sp[i].dst_start = v->start;
		}
	}
	for (size_t j = 0; j < t->mm->n_vmas; j++) {
		const VmaEntry *v = t->mm->vmas[j];
		bool found = false;
		if (!is_special(v))
			continue;
		for (size_t i = 0; i < n; i++)
			found |= sp[i].dst_start == v->start;
		if (!found) {
			if (!quiet)
				log_error("task %d: dumped %s has no counterpart on this kernel", t->pid, special_name(v));
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/* ---- where the live block goes ------------------------------------------ */

struct span {
	uint64_t start, end;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static uint64_t distance(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* Is [s, s + len) with a page of margin on each side clear of every span? */
static bool place_free(const struct span *sp, size_t n, uint64_t s, uint64_t len)
{
	if (s < LOW_LIMIT + PAGE_SZ || s + len + PAGE_SZ > TASK_TOP)
		return false;
	for (size_t i = 0; i < n; i++)
		if (sp[i].start < s + len + PAGE_SZ && s < sp[i].end + PAGE_SZ)
			return false;
	return true;
}

/*
 * A spot for the live block of len bytes, free in the dumped address space
 * and outside the hole, as near as possible to near (the dumped vDSO, which
 * jumps there with rel32).  Where the block is now is best: it stays.
 */
static int place_block(const struct restore_ctx *rc, const MmEntry *mm, uint64_t cur, uint64_t len,
		       uint64_t near, uint64_t *ret)
{
	_cleanup_free_ struct span *sp = calloc(mm->n_vmas + 1, sizeof(*sp));
	size_t n = 0;
	if (!sp)
		return -ENOMEM;
	for (size_t i = 0; i < mm->n_vmas; i++)
		if (mm->vmas[i]->end <= TASK_TOP)
			sp[n++] = (struct span){ mm->vmas[i]->start, mm->vmas[i]->end };
	sp[n++] = (struct span){ rc->hole_start, rc->hole_start + rc->hole_len };
	qsort(sp, n, sizeof(*sp), cmp_span);

	if (distance(cur, near) < REACH && place_free(sp, n, cur, len)) {
		*ret = cur;
		return 0;
	}
	uint64_t best = 0;
	for (size_t i = 0; i <= n; i++) {
		uint64_t gs = i ? sp[i - 1].end : LOW_LIMIT, ge = i < n ? sp[i].start : TASK_TOP;
		if (ge <= gs || ge - gs < len + 2 * PAGE_SZ)
			continue;
		uint64_t c[2] = { gs + PAGE_SZ, ge - PAGE_SZ - len };
		for (int k = 0; k < 2; k++)
			if (place_free(sp, n, c[k], len) && (!best || distance(c[k], near) < distance(best, near)))
				best = c[k];
	}
	if (!best || distance(best, near) >= REACH)
		return -ENOSPC;
	*ret = best;
	return 0;
}

/* ---- the trampoline path ------------------------------------------------ */

/* A thread stopped inside a jump we write would resume in the middle of it. */
static int check_threads(const struct rst_task *t, const VmaEntry *dv, const uint8_t *copy, size_t len)
{
	struct vdso_syms s;
	int r = vdso_parse_syms(copy, len, &s);
	if (r < 0)
		return r;
	for (size_t i = 0; r >= 0 && i < t->n_tids; i++) {
		uint64_t ip = t->cores[i]->gpregs->ip;
		if (ip < dv->start || ip >= dv->end)
			continue;
		uint64_t off = ip - dv->start;
		for (size_t k = 0; k < s.n; k++)
			if (off > s.v[k].off && off < s.v[k].off + VDSO_JMP_LEN) {
				log_error("task %d: thread %u was stopped at %s+%" PRIu64 ", inside the jump that must replace "
					  "the start of that vDSO function on this kernel",
					  t->pid, t->tids[i], s.v[k].name, off - s.v[k].off);
				r = -EOPNOTSUPP;
				break;
			}
		if (r >= 0)
			log_warn("task %d: thread %u was stopped inside the dumped vDSO (+%#" PRIx64 "): it finishes that "
				 "call in the dumped code, whose [vvar] is zero pages now (docs/vdso.md)",
				 t->pid, t->tids[i], off);
	}
	vdso_syms_free(&s);
	return r;
}

static void log_patch(const struct rst_task *t, const struct vdso_patch_report *rep)
{
	for (size_t i = 0; i < rep->missing && i < ARRAY_SIZE(rep->missing_names); i++)
		log_warn("task %d: the dumped vDSO exports %s, this kernel's does not: left as dumped "
			 "(a call reads the old [vvar], now zero pages)",
			 t->pid, rep->missing_names[i]);
	if (rep->missing > ARRAY_SIZE(rep->missing_names))
		log_warn("task %d: %zu more functions of the dumped vDSO are missing on this kernel", t->pid,
			 rep->missing - ARRAY_SIZE(rep->missing_names));
}

static int trampolines(struct restore_ctx *rc, struct rst_task *t, struct bump *b, struct rst_args *a,
		       const struct cur_special *cur, size_t n, struct rst_special *sp, struct rst_vma *v, size_t *nv)
{
	const VmaEntry *dv = dumped_vdso(t->mm);
	const struct cur_special *lv = live_vdso(cur, n);
	const ProtobufCBinaryData *img = &t->mm->vdso;

	if (!lv) {
		log_error("task %d: this kernel has no vDSO to stand in for the dumped one", t->pid);
		return -EOPNOTSUPP;
	}
	uint64_t bs = cur[0].start, be = cur[n - 1].end, dst;
	int r = place_block(rc, t->mm, bs, be - bs, dv->start, &dst);
	if (r < 0)
		return log_error_errno(r, "task %d: no free spot near %#" PRIx64 " for this kernel's vDSO", t->pid,
				       dv->start);
	for (size_t i = 0; i < n; i++)
		sp[i] = (struct rst_special){ cur[i].start, cur[i].end - cur[i].start, dst + (cur[i].start - bs) };

	uint8_t *copy = bump_alloc(b, img->len, 64);
	struct rst_copy *c = bump_alloc(b, sizeof(*c), 8);
	if (!copy || !c)
		return -ENOMEM;
	memcpy(copy, img->data, img->len);
	struct vdso_patch_report rep;
	uint64_t live_at = dst + (lv->start - bs);
	r = vdso_patch(copy, img->len, dv->start, (const uint8_t *)(uintptr_t)lv->start, lv->end - lv->start, live_at,
		       &rep);
	if (r < 0)
		return log_error_errno(r, "task %d: cannot write the vDSO trampolines (dumped vDSO of %zu bytes, "
				       "this kernel's of %" PRIu64 ")", t->pid, img->len, lv->end - lv->start);
	log_patch(t, &rep);
	r = check_threads(t, dv, copy, img->len);
	if (r < 0)
		return r;
	*c = (struct rst_copy){ dv->start, (uint64_t)(uintptr_t)copy, img->len };
	a->copies = (uint64_t)(uintptr_t)c;
	a->n_copies = 1;

	/* The dumped areas: the copy r-x, the old [vvar]s zero pages (docs/vdso.md). */
	for (size_t j = 0; j < t->mm->n_vmas; j++) {
		const VmaEntry *e = t->mm->vmas[j];
		if (!is_special(e))
			continue;
		v[(*nv)++] = (struct rst_vma){ .start = e->start, .end = e->end, .prot = e->prot,
					       .map_flags = MAP_PRIVATE | MAP_ANONYMOUS, .fd = -1 };
	}
	log_info("task %d: this kernel's vDSO differs from the dumped one (%" PRIu64 " bytes, dumped %zu%s): "
		 "live vDSO block at %#" PRIx64 ", dumped vDSO at %#" PRIx64 " jumps there from %zu entries",
		 t->pid, lv->end - lv->start, img->len,
		 lv->end - lv->start == img->len ? ", other content or layout" : "", dst, dv->start, rep.patched);
	return 0;
}

static int cmp_vma(const void *a, const void *b)
{
	const struct rst_vma *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

uint64_t vdso_restore_args_len(const MmEntry *mm)
{
	return mm->has_vdso ? mm->vdso.len + 64 + sizeof(struct rst_copy) + 8 : 0;
}

int vdso_restore_task(struct restore_ctx *rc, struct rst_task *t, struct bump *b, struct rst_args *a,
		      struct rst_vma *v, size_t *nv)
{
	struct cur_special cur[MAX_SPECIALS];
	size_t n;
	int r = current_specials(cur, MAX_SPECIALS, &n);
	if (r < 0)
		return log_error_errno(r, "cannot read the vDSO areas");
	struct rst_special *sp = bump_alloc(b, (n ? n : 1) * sizeof(*sp), 8);
	if (!sp)
		return -ENOMEM;
	a->specials = (uint64_t)(uintptr_t)sp;
	a->n_specials = (uint32_t)n;

	const VmaEntry *dv = dumped_vdso(t->mm);
	/* Images without the vDSO bytes: the live one must fit where the dumped one was. */
	if (!dv || !t->mm->has_vdso)
		return match_specials(t, cur, n, sp, false);
	if (t->mm->vdso.len != dv->end - dv->start || t->mm->vdso.len > VDSO_MAX_SIZE) {
		log_error("mm-%d.img: %zu vDSO bytes for an area of %" PRIu64, t->pid, t->mm->vdso.len,
			  dv->end - dv->start);
		return -EBADMSG;
	}
	const struct cur_special *lv = live_vdso(cur, n);
	bool same = lv && lv->end - lv->start == t->mm->vdso.len &&
		    !memcmp((const void *)(uintptr_t)lv->start, t->mm->vdso.data, t->mm->vdso.len) &&
		    match_specials(t, cur, n, sp, true) >= 0;
	if (same) {
		log_debug("task %d: this kernel's vDSO is the dumped one: moved to %#" PRIx64, t->pid, dv->start);
		return 0;
	}
	r = trampolines(rc, t, b, a, cur, n, sp, v, nv);
	if (r < 0)
		return r;
	qsort(v, *nv, sizeof(*v), cmp_vma);
	return 0;
}
