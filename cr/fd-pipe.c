/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pipes and FIFOs.  The bytes in flight are copied with tee() into a
 * scratch pipe, which leaves the task's pipe untouched (a failed dump needs
 * nothing put back).  Both ends of a pipe are separate open file
 * descriptions tied by the pipe inode; the data travels with the first end
 * collected, and the restore makes the pipe once, when the first end is
 * needed, keeping the other end for later.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fds.h"
#include "log.h"
#include "util.h"

static bool pipe_match(const struct fd_probe *p)
{
	return S_ISFIFO(p->st.st_mode) && !strncmp(p->link, "pipe:[", 6);
}

static bool fifo_match(const struct fd_probe *p)
{
	return S_ISFIFO(p->st.st_mode) && p->link[0] == '/';
}

/* Copy what is queued in the pipe behind the task's fd without consuming it. */
static int peek_pipe(const struct fd_probe *p, unsigned pipe_size, ProtobufCBinaryData *ret)
{
	_cleanup_close_ int rd = -1, tmp_r = -1, tmp_w = -1;
	int tmp[2];
	ssize_t n;
	char path[64];

	if ((p->flags & O_ACCMODE) == O_WRONLY) {
		/* only the write end here: open a read end of the same pipe */
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", p->pid, p->fd);
		rd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (rd < 0)
			return negative_errno();
	} else {
		rd = fcntl(p->local_fd, F_DUPFD_CLOEXEC, 3);
		if (rd < 0)
			return negative_errno();
	}
	if (pipe2(tmp, O_CLOEXEC | O_NONBLOCK) < 0)
		return negative_errno();
	tmp_r = tmp[0];
	tmp_w = tmp[1];
	if (fcntl(tmp_w, F_SETPIPE_SZ, pipe_size) < 0)
		return negative_errno();
	n = tee(rd, tmp_w, pipe_size, SPLICE_F_NONBLOCK);
	if (n < 0 && errno != EAGAIN)
		return negative_errno();
	if (n < 0)
		n = 0;
	ret->data = malloc(n ? n : 1);
	if (!ret->data)
		return -ENOMEM;
	for (ssize_t got = 0; got < n;) {
		ssize_t r = read(tmp_r, ret->data + got, n - got);
		if (r <= 0)
			return r < 0 ? negative_errno() : -EIO;
		got += r;
	}
	ret->len = n;
	return 0;
}

static int pipe_collect(struct fd_ctx *ctx, const struct fd_probe *p, FileEntry *e)
{
	PipeFile *pf = calloc(1, sizeof(*pf));
	int sz;

	if (!pf)
		return -ENOMEM;
	pipe_file__init(pf);
	e->pipe = pf;
	e->has_pos = false;
	pf->pipe_ino = p->st.st_ino;
	sz = fcntl(p->local_fd, F_GETPIPE_SZ);
	if (sz < 0)
		return negative_errno();
	pf->has_pipe_size = true;
	pf->pipe_size = sz;
	if (p->link[0] == '/') {
		pf->path = strdup(p->link);
		if (!pf->path)
			return -ENOMEM;
	}
	if (!fd_ctx_pipe_first_seen(ctx, pf->pipe_ino))
		return 0;
	pf->has_data = true;
	return peek_pipe(p, sz, &pf->data);
}

/* The data of pipe ino, whichever end carries it. */
static const ProtobufCBinaryData *pipe_data(struct fd_ctx *ctx, uint64_t ino)
{
	for (size_t i = 0; i < fd_ctx_nr_files(ctx); i++) {
		const FileEntry *f = fd_ctx_file(ctx, i);
		if (f->pipe && f->pipe->pipe_ino == ino && f->pipe->has_data)
			return &f->pipe->data;
	}
	return NULL;
}

/* Size the pipe and put the saved bytes back in through its write side. */
static int fill_pipe(struct fd_ctx *ctx, const PipeFile *pf, int wr)
{
	const ProtobufCBinaryData *d = pipe_data(ctx, pf->pipe_ino);

	if (pf->has_pipe_size && fcntl(wr, F_SETPIPE_SZ, pf->pipe_size) < 0)
		return log_error_errno(negative_errno(), "pipe %llu: cannot set size %u",
				       (unsigned long long)pf->pipe_ino, pf->pipe_size);
	if (!d)
		return 0;
	if (d->len > pf->pipe_size) {
		log_error("pipe %llu: %zu bytes of data do not fit its size %u",
			  (unsigned long long)pf->pipe_ino, d->len, pf->pipe_size);
		return -EBADMSG;
	}
	for (size_t off = 0; off < d->len;) {
		ssize_t n = write(wr, d->data + off, d->len - off);
		if (n < 0)
			return log_error_errno(negative_errno(), "pipe %llu: cannot refill it",
					       (unsigned long long)pf->pipe_ino);
		off += n;
	}
	return 0;
}

static int pipe_restore(struct fd_ctx *ctx, const FileEntry *e, int *ret_fd)
{
	bool want_write = (e->flags & O_ACCMODE) == O_WRONLY;
	int fds[2], r;

	*ret_fd = fd_ctx_take_pipe_end(ctx, e->pipe->pipe_ino, want_write);
	if (*ret_fd >= 0)
		return 0;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return negative_errno();
	r = fill_pipe(ctx, e->pipe, fds[1]);
	if (r < 0) {
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	*ret_fd = fds[want_write];
	return fd_ctx_put_pipe_end(ctx, e->pipe->pipe_ino, !want_write, fds[!want_write]);
}

static int fifo_restore(struct fd_ctx *ctx, const FileEntry *e, int *ret_fd)
{
	const PipeFile *pf = e->pipe;
	char proc[64];
	int keeper, r;

	if (!pf->path)
		return -EBADMSG;
	/* A read-write opener per FIFO keeps the others from blocking in open()
	 * and holds the refilled data. */
	keeper = fd_ctx_take_pipe_end(ctx, pf->pipe_ino, true);
	if (keeper < 0) {
		keeper = open(pf->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (keeper < 0)
			return log_error_errno(negative_errno(), "FIFO %s: cannot open it", pf->path);
		r = fill_pipe(ctx, pf, keeper);
		if (r < 0) {
			close(keeper);
			return r;
		}
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", keeper);
	*ret_fd = open(proc, (e->flags & O_ACCMODE) | O_NONBLOCK | O_CLOEXEC);
	r = *ret_fd < 0 ? log_error_errno(negative_errno(), "FIFO %s: cannot open it", pf->path) : 0;
	int put = fd_ctx_put_pipe_end(ctx, pf->pipe_ino, true, keeper);
	return r < 0 ? r : put;
}

const struct fd_kind_ops fd_pipe_ops = {
	.name = "pipe",
	.kind = FD_KIND__FDK_PIPE,
	.match = pipe_match,
	.collect = pipe_collect,
	.restore = pipe_restore,
};

const struct fd_kind_ops fd_fifo_ops = {
	.name = "fifo",
	.kind = FD_KIND__FDK_FIFO,
	.match = fifo_match,
	.collect = pipe_collect,
	.restore = fifo_restore,
};
