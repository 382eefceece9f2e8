/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared memory kind: every shared object of the image (shmem_id in
 * vma_entry: MAP_SHARED|MAP_ANONYMOUS, SysV, shared memfd mappings) is made
 * once, in cryo-cr before any task exists, as a memfd of the dumped size
 * filled from pages-(0x40000000 + id).img.  Every task inherits the fd and
 * the memory kind maps it into each sharer, so a write by one is seen by all.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "restore.h"

#define PAGE_SZ 4096ul
#define SHMEM_PAGES_ID 0x40000000u

struct shmem_obj {
	uint32_t id;
	int fd;
};

struct shmem_state {
	struct shmem_obj *objs;
	size_t n;
};

/* cryo-cr and every task forked after prepare share this table (by inheritance). */
static struct shmem_state shmem;

static struct shmem_obj *shmem_find(struct shmem_state *ms, uint32_t id)
{
	for (size_t i = 0; i < ms->n; i++)
		if (ms->objs[i].id == id)
			return &ms->objs[i];
	return NULL;
}

/* One memfd per shared object, filled once from its own page file. */
static int create_shmem(struct restore_ctx *rc, struct shmem_state *ms, const VmaEntry *v)
{
	if (shmem_find(ms, v->shmem_id))
		return 0;
	/* The dumped size, and large enough for the window of every sharer. */
	uint64_t size = v->has_shmem_size ? v->shmem_size : 0;
	for (size_t i = 0; i < rc->n_tasks; i++)
		for (size_t j = 0; rc->tasks[i].mm && j < rc->tasks[i].mm->n_vmas; j++) {
			const VmaEntry *w = rc->tasks[i].mm->vmas[j];
			if (w->has_shmem_id && w->shmem_id == v->shmem_id && w->pgoff + (w->end - w->start) > size)
				size = w->pgoff + (w->end - w->start);
		}
	_cleanup_close_ int fd = memfd_create("cryo-shmem", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		return log_error_errno(negative_errno(), "cannot create shared object %u", v->shmem_id);
	struct page_reader *pr;
	int r = page_reader_open(rc->dir, SHMEM_PAGES_ID + v->shmem_id, &pr);
	if (r == -ENOENT)
		goto done; /* nothing was ever written to it */
	if (r < 0)
		return log_error_errno(r, "cannot open the pages of shared object %u", v->shmem_id);
	struct page_entry e;
	while ((r = page_reader_next(pr, &e)) > 0) {
		if (!(e.flags & PE_PRESENT))
			continue;
		if (e.vaddr + e.nr_pages * PAGE_SZ > size) {
			log_error("pages of shared object %u beyond its size", v->shmem_id);
			r = -EBADMSG;
			break;
		}
		uint64_t len = e.nr_pages * PAGE_SZ;
		void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)e.vaddr);
		if (m == MAP_FAILED) {
			r = negative_errno();
			break;
		}
		r = page_reader_read(pr, &e, m);
		munmap(m, len);
		if (r < 0)
			break;
	}
	page_reader_close(pr);
	if (r < 0)
		return log_error_errno(r, "cannot fill shared object %u", v->shmem_id);
done:;
	struct shmem_obj *a = reallocarray(ms->objs, ms->n + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	ms->objs = a;
	/* Inherited by every task: drop CLOEXEC (the blob closes it after mapping). */
	fcntl(fd, F_SETFD, 0);
	a[ms->n++] = (struct shmem_obj){ v->shmem_id, TAKE_FD(fd) };
	return 0;
}

int shmem_restore_prepare(struct restore_ctx *rc)
{
	for (size_t i = 0; i < rc->n_tasks; i++)
		for (size_t j = 0; rc->tasks[i].mm && j < rc->tasks[i].mm->n_vmas; j++)
			if (rc->tasks[i].mm->vmas[j]->has_shmem_id) {
				int r = create_shmem(rc, &shmem, rc->tasks[i].mm->vmas[j]);
				if (r < 0)
					return r;
			}
	return 0;
}

int shmem_restore_fd(struct restore_ctx *rc, uint32_t id)
{
	(void)rc;
	struct shmem_obj *o = shmem_find(&shmem, id);
	if (!o) {
		log_error("shared object %u was not created", id);
		return -ENOENT;
	}
	return o->fd;
}
