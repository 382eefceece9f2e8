/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memfd: name, content (up to the ghost limit) and seals.  The content is
 * written back before the seals are added, so F_SEAL_WRITE does not stop us.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fds.h"
#include "log.h"
#include "util.h"

#define MEMFD_PREFIX	"/memfd:"
#define DELETED_SUFFIX	" (deleted)"

static bool memfd_match(const struct fd_probe *p)
{
	return S_ISREG(p->st.st_mode) && !strncmp(p->link, MEMFD_PREFIX, strlen(MEMFD_PREFIX));
}

static int memfd_collect(struct fd_ctx *ctx, const struct fd_probe *p, FileEntry *e)
{
	MemfdFile *mf = calloc(1, sizeof(*mf));
	char path[64];
	_cleanup_close_ int fd = -1;
	int seals;

	if (!mf)
		return -ENOMEM;
	memfd_file__init(mf);
	e->memfd = mf;
	mf->name = strdup(p->link + strlen(MEMFD_PREFIX));
	if (!mf->name)
		return -ENOMEM;
	size_t n = strlen(mf->name), s = strlen(DELETED_SUFFIX);
	if (n > s && !strcmp(mf->name + n - s, DELETED_SUFFIX))
		mf->name[n - s] = 0;
	mf->size = p->st.st_size;
	if (mf->size > fd_ctx_opts(ctx)->ghost_limit) {
		log_error("pid %d fd %d: memfd %s has %llu bytes, more than the ghost limit %llu", p->pid, p->fd,
			  mf->name, (unsigned long long)mf->size, (unsigned long long)fd_ctx_opts(ctx)->ghost_limit);
		return -EFBIG;
	}
	seals = fcntl(p->local_fd, F_GET_SEALS);
	if (seals >= 0) {
		mf->has_seals = true;
		mf->seals = seals;
	}
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", p->pid, p->fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	mf->data.data = malloc(mf->size ? mf->size : 1);
	if (!mf->data.data)
		return -ENOMEM;
	mf->has_data = true;
	for (uint64_t off = 0; off < mf->size;) {
		ssize_t r = pread(fd, mf->data.data + off, mf->size - off, off);
		if (r <= 0)
			return r < 0 ? negative_errno() : -EIO;
		off += r;
		mf->data.len = off;
	}
	return 0;
}

static int memfd_restore(struct fd_ctx *ctx _unused_, const FileEntry *e, int *ret_fd)
{
	const MemfdFile *mf = e->memfd;
	_cleanup_close_ int fd = memfd_create(mf->name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	char proc[64];

	if (fd < 0)
		return log_error_errno(negative_errno(), "memfd_create(%s)", mf->name);
	if (ftruncate(fd, mf->size) < 0)
		return negative_errno();
	for (size_t off = 0; off < mf->data.len;) {
		ssize_t n = pwrite(fd, mf->data.data + off, mf->data.len - off, off);
		if (n < 0)
			return negative_errno();
		off += n;
	}
	if (mf->has_seals && mf->seals && fcntl(fd, F_ADD_SEALS, mf->seals) < 0)
		return log_error_errno(negative_errno(), "memfd %s: cannot add seals 0x%x", mf->name, mf->seals);
	if ((e->flags & O_ACCMODE) != O_RDWR) {
		/* same file, opened as the task had it */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		int re = open(proc, (e->flags & O_ACCMODE) | O_CLOEXEC);
		if (re < 0)
			return negative_errno();
		close(fd);
		fd = re;
	}
	if (e->has_pos && lseek(fd, e->pos, SEEK_SET) < 0)
		return negative_errno();
	*ret_fd = TAKE_FD(fd);
	return 0;
}

const struct fd_kind_ops fd_memfd_ops = {
	.name = "memfd",
	.kind = FD_KIND__FDK_MEMFD,
	.match = memfd_match,
	.collect = memfd_collect,
	.restore = memfd_restore,
};
