/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Make the dumped vDSO of an image differ from the live one, so that restore
 * must take the trampoline path (docs/vdso.md).
 *
 *   vdso-alter content|grow|layout mm-PID.img
 *
 * content  every exported function keeps its first 5 bytes (where restore
 *          writes its jump) and the rest of its body becomes int3: should a
 *          call run the dumped code instead of jumping, the task traps.
 * grow     content, and the dumped vDSO is one page longer (int3 filler),
 *          as a vDSO of another size would be (needs a free page after it).
 * layout   content, and the vvar areas are laid out as before Linux 6.13:
 *          one [vvar] of 4 pages right below [vdso], no [vvar_vclock].
 *
 * The file is replaced (written next to it, then renamed).  Exit 0 done,
 * 77 when the image leaves no room for the change, 1 on error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "log.h"
#include "mm.pb-c.h"
#include "vdso.h"

#define PAGE 4096u

static int die(const char *what)
{
	fprintf(stderr, "vdso-alter: %s\n", what);
	return 1;
}

static VmaEntry *find_kind(MmEntry *mm, VmaKind kind)
{
	for (size_t i = 0; i < mm->n_vmas; i++)
		if (mm->vmas[i]->kind == kind)
			return mm->vmas[i];
	return NULL;
}

/* int3 over every exported body but the first 5 bytes of each entry. */
static int trap_bodies(MmEntry *mm)
{
	struct vdso_syms s;
	if (vdso_parse_syms(mm->vdso.data, mm->vdso.len, &s) < 0 || !s.n)
		return -EBADMSG;
	for (size_t i = 0; i < s.n; i++)
		if (s.v[i].size > VDSO_JMP_LEN)
			memset(mm->vdso.data + s.v[i].off + VDSO_JMP_LEN, 0xcc, s.v[i].size - VDSO_JMP_LEN);
	vdso_syms_free(&s);
	return 0;
}

static int grow(MmEntry *mm, VmaEntry *vd)
{
	for (size_t i = 0; i < mm->n_vmas; i++)
		if (mm->vmas[i]->start >= vd->end && mm->vmas[i]->start < vd->end + PAGE)
			return -ENOSPC;
	uint8_t *b = realloc(mm->vdso.data, mm->vdso.len + PAGE);
	if (!b)
		return -ENOMEM;
	memset(b + mm->vdso.len, 0xcc, PAGE);
	mm->vdso.data = b;
	mm->vdso.len += PAGE;
	vd->end += PAGE;
	return 0;
}

static int old_layout(MmEntry *mm, VmaEntry *vd)
{
	size_t out = 0;
	bool have = false;
	for (size_t i = 0; i < mm->n_vmas; i++) {
		VmaEntry *v = mm->vmas[i];
		if (v->kind == VMA_KIND__VMA_VVAR) {
			if (have)
				continue; /* dropped (leaks: the tool exits soon) */
			have = true;
			v->start = vd->start - 4 * PAGE;
			v->end = vd->start;
			v->name = (char *)"[vvar]";
		}
		mm->vmas[out++] = v;
	}
	mm->n_vmas = out;
	if (!have)
		return -ENOENT;
	for (size_t i = 0; i + 1 < mm->n_vmas; i++)
		if (mm->vmas[i]->end > mm->vmas[i + 1]->start)
			return -ENOSPC;
	return 0;
}

int main(int argc, char **argv)
{
	struct img *in = NULL, *out = NULL;
	ProtobufCMessage *m;
	char tmp[4096];

	log_init(NULL, LOG_FMT_TEXT, LOG_LVL_ERROR);
	if (argc != 3 || (strcmp(argv[1], "content") && strcmp(argv[1], "grow") && strcmp(argv[1], "layout")))
		return die("usage: vdso-alter content|grow|layout mm-PID.img");
	if (img_open_path(argv[2], &in) < 0 || img_kind(in)->kind != IMG_MM || img_read_one(in, &m) < 0)
		return die("cannot read the mm image");
	uint32_t version = img_version(in);
	img_close(in);
	MmEntry *mm = (MmEntry *)m;
	VmaEntry *vd = find_kind(mm, VMA_KIND__VMA_VDSO);
	if (!vd || !mm->has_vdso)
		return die("the image has no vDSO bytes");
	if (trap_bodies(mm) < 0)
		return die("the dumped vDSO does not parse");
	int r = 0;
	if (!strcmp(argv[1], "grow"))
		r = grow(mm, vd);
	else if (!strcmp(argv[1], "layout"))
		r = old_layout(mm, vd);
	if (r == -ENOSPC) {
		fprintf(stderr, "vdso-alter: no room in the dumped address space for '%s'\n", argv[1]);
		return 77;
	}
	if (r < 0)
		return die("cannot change the image");
	snprintf(tmp, sizeof(tmp), "%s.alter", argv[2]);
	if (img_create_path(tmp, img_kind_info(IMG_MM), version, &out) < 0 || img_write(out, &mm->base) < 0 ||
	    img_close(out) < 0 || rename(tmp, argv[2]) < 0)
		return die("cannot write the mm image");
	return 0;
}
