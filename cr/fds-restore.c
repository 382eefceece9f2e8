/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Restore: load files.img and fds-PID.img (checked: they are input from
 * outside), then recreate the fd table in stages, each file once per task,
 * at its numbers with its flags; files shared with the parent's restore are
 * taken from the inherited fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fds.h"
#include "image.h"
#include "log.h"
#include "util.h"
#include "fds-internal.h"

/* Status flags F_SETFL can change after open. */
#define FD_SETFL_MASK	(O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME | O_NONBLOCK)

/* The kind-specific part a file_entry of this kind must carry. */
static bool file_entry_complete(const FileEntry *e)
{
	switch (e->kind) {
	case FD_KIND__FDK_REG: return e->reg;
	case FD_KIND__FDK_PIPE: case FD_KIND__FDK_FIFO: return e->pipe;
	case FD_KIND__FDK_EVENTFD: return e->eventfd;
	case FD_KIND__FDK_SIGNALFD: return e->signalfd;
	case FD_KIND__FDK_TIMERFD: return e->timerfd;
	case FD_KIND__FDK_EPOLL: return e->epoll;
	case FD_KIND__FDK_MEMFD: return e->memfd;
	case FD_KIND__FDK_PIDFD: return e->pidfd;
	case FD_KIND__FDK_INET: return e->inet;
	case FD_KIND__FDK_UNIX: return e->unix_sk;
	case FD_KIND__FDK_INOTIFY: return e->inotify;
	case FD_KIND__FDK_INHERITED: return e->inherited;
	case FD_KIND__FDK_TTY: return e->tty;
	case FD_KIND__FDK_FANOTIFY: return e->fanotify;
	default: return false;
	}
	return false;
}

int fds_load_images(struct img_dir *d, const struct fd_opts *opts, struct fd_ctx **ret)
{
	struct fd_ctx *ctx;
	struct img *img;
	int r;

	r = fd_ctx_new(opts, &ctx);
	if (r < 0)
		return r;
	r = img_open(d, IMG_FILES, false, &img);
	if (r < 0) {
		fd_ctx_free(ctx);
		return r;
	}
	for (;;) {
		ProtobufCMessage *m;
		FileEntry **n;

		r = img_read(img, &m);
		if (r <= 0)
			break;
		FileEntry *e = (FileEntry *)m;
		if (e->id != ctx->nr_rfiles + 1 || !file_entry_complete(e) || !fd_kind_by_id(e->kind)) {
			log_error("%s: record %zu: file id %u, kind %d: %s", img_name(img), ctx->nr_rfiles,
				  e->id, (int)e->kind,
				  e->id != ctx->nr_rfiles + 1 ? "ids must count up from 1"
							      : "the kind's data is missing or the kind unknown");
			img_free_msg(m);
			r = -EBADMSG;
			break;
		}
		n = grow(ctx->rfiles, ctx->nr_rfiles, sizeof(*n));
		if (!n) {
			img_free_msg(m);
			r = -ENOMEM;
			break;
		}
		ctx->rfiles = n;
		ctx->rfiles[ctx->nr_rfiles++] = e;
	}
	img_close(img);
	if (r < 0) {
		fd_ctx_free(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}

int fd_ctx_task_fd_restored(struct fd_ctx *ctx, int task_fd)
{
	for (size_t i = 0; i < ctx->nr_cur_fds; i++)
		if (ctx->cur_fds[i]->fd == task_fd) {
			const FileEntry *fe = ctx->rfiles[ctx->cur_fds[i]->file_id - 1];
			/* files of this stage (an epoll watching an epoll) are not there yet */
			return fd_file_stage(fe) < ctx->cur_stage ? task_fd : -EOPNOTSUPP;
		}
	return -ENOENT;
}

static int read_task_fds(struct img_dir *d, int pid, FdEntry ***ret, size_t *ret_nr, size_t nr_files)
{
	FdEntry **fds = NULL;
	size_t nr = 0;
	struct img *img;
	int r;

	r = img_open(d, IMG_FDS, false, &img, pid);
	if (r < 0)
		return r;
	for (;;) {
		ProtobufCMessage *m;

		r = img_read(img, &m);
		if (r <= 0)
			break;
		FdEntry *fe = (FdEntry *)m;
		bool dup_fd = false;
		for (size_t i = 0; i < nr; i++)
			dup_fd |= fds[i]->fd == fe->fd;
		if (fe->fd < 0 || fe->file_id < 1 || fe->file_id > nr_files || dup_fd) {
			log_error("%s: record %zu: fd %d, file id %u: %s", img_name(img), nr, fe->fd,
				  fe->file_id, dup_fd ? "fd listed twice" : "bad fd number or unknown file id");
			img_free_msg(m);
			r = -EBADMSG;
			break;
		}
		FdEntry **n = grow(fds, nr, sizeof(*n));
		if (!n) {
			img_free_msg(m);
			r = -ENOMEM;
			break;
		}
		fds = n;
		fds[nr++] = fe;
	}
	img_close(img);
	if (r < 0) {
		for (size_t i = 0; i < nr; i++)
			img_free_msg(&fds[i]->base);
		free(fds);
		return r;
	}
	*ret = fds;
	*ret_nr = nr;
	return 0;
}

static int restore_owner(int fd, const FileEntry *fe)
{
	if (fe->has_fown_pid) {
		struct f_owner_ex owner = { .type = fe->fown_type, .pid = fe->fown_pid };

		if (fcntl(fd, F_SETOWN_EX, &owner) < 0)
			return log_error_errno(negative_errno(), "file %u: cannot give SIGIO to %s %d", fe->id,
					       fe->fown_type == F_OWNER_PGRP ? "process group" : "pid", fe->fown_pid);
	}
	if (fe->has_fown_signum && fcntl(fd, F_SETSIG, fe->fown_signum) < 0)
		return log_error_errno(negative_errno(), "file %u: F_SETSIG %d", fe->id, fe->fown_signum);
	return 0;
}

static int restore_file_fd(struct fd_ctx *ctx, const FileEntry *fe, int *ret_fd);

int fd_ctx_file_for_send(struct fd_ctx *ctx, uint32_t id, int *ret_fd, bool *ret_owned)
{
	const FileEntry *fe;

	if (id < 1 || id > ctx->nr_rfiles)
		return -EBADMSG;
	fe = ctx->rfiles[id - 1];
	for (size_t i = 0; i < ctx->nr_cur_fds; i++)
		if (ctx->cur_fds[i]->file_id == id && fd_file_stage(fe) < ctx->cur_stage) {
			*ret_fd = ctx->cur_fds[i]->fd;	/* in place: the same description */
			*ret_owned = false;
			return 0;
		}
	if (fd_file_stage(fe) != 0) {
		log_error("file %u (%s) in flight: only files of stage 0 can be sent", id, fd_kind_by_id(fe->kind)->name);
		return -EOPNOTSUPP;
	}
	*ret_owned = true;
	return restore_file_fd(ctx, fe, ret_fd);
}

/* Open file id (once per task) at a temporary number above every target. */
static int restore_file(struct fd_ctx *ctx, const FileEntry *fe, int above, int *tmp_fd)
{
	int fd, r;

	r = restore_file_fd(ctx, fe, &fd);
	if (r < 0)
		return r;
	*tmp_fd = fcntl(fd, F_DUPFD_CLOEXEC, above);
	r = negative_errno();
	close(fd);
	if (*tmp_fd < 0)
		return log_error_errno(r, "file %u: cannot move it above fd %d", fe->id, above);
	return 0;
}

/* A new open file description for fe, with its status flags and owner. */
static int restore_file_fd(struct fd_ctx *ctx, const FileEntry *fe, int *ret_fd)
{
	const struct fd_kind_ops *ops = fd_kind_by_id(fe->kind);
	int fd, r;

	r = ops->restore(ctx, fe, &fd);
	if (r < 0)
		return log_error_errno(r, "file %u (%s): restore failed", fe->id, ops->name);
	if (!(fe->flags & O_PATH) && fcntl(fd, F_SETFL, fe->flags & FD_SETFL_MASK) < 0) {
		r = negative_errno();
		close(fd);
		return log_error_errno(r, "file %u (%s): cannot set status flags 0%o", fe->id, ops->name, fe->flags);
	}
	r = restore_owner(fd, fe);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static int restore_stage(struct fd_ctx *ctx, int pid, int stage, int above, int *tmp)
{
	int r = 0;

	for (size_t i = 0; i < ctx->nr_cur_fds && r >= 0; i++) {
		const FileEntry *fe = ctx->rfiles[ctx->cur_fds[i]->file_id - 1];

		if (fd_file_stage(fe) != stage || tmp[fe->id - 1] >= 0 || fd_kind_by_id(fe->kind)->late)
			continue;
		r = restore_file(ctx, fe, above, &tmp[fe->id - 1]);
		if (r < 0)
			log_error("pid %d fd %d: not restored", pid, ctx->cur_fds[i]->fd);
	}
	for (size_t i = 0; i < ctx->nr_cur_fds && r >= 0; i++) {
		const FdEntry *fde = ctx->cur_fds[i];
		const FileEntry *fe = ctx->rfiles[fde->file_id - 1];

		if (fd_file_stage(fe) != stage || fd_kind_by_id(fe->kind)->late)
			continue;
		if (dup3(tmp[fe->id - 1], fde->fd, fde->cloexec ? O_CLOEXEC : 0) < 0)
			r = log_error_errno(negative_errno(), "pid %d fd %d: cannot put it in place", pid, fde->fd);
	}
	return r;
}

int fds_read_task(struct fd_ctx *ctx, struct img_dir *d, int pid)
{
	fds_free_task_fds(ctx);
	ctx->cur_pid = pid;
	return read_task_fds(d, pid, &ctx->cur_fds, &ctx->nr_cur_fds, ctx->nr_rfiles);
}

/*
 * A task forked after an earlier fds_restore_task in its parent inherits
 * the parent's fds: a file both share (same id) is taken from there, which
 * is how sharing across processes is restored.
 */
static int take_inherited(struct fd_ctx *ctx, int above, int *tmp)
{
	if (!ctx->placed)
		return 0;
	for (size_t i = 0; i < ctx->nr_cur_fds; i++) {
		uint32_t id = ctx->cur_fds[i]->file_id;

		if (ctx->placed[id - 1] < 0 || tmp[id - 1] >= 0 || fd_kind_by_id(ctx->rfiles[id - 1]->kind)->late)
			continue;
		tmp[id - 1] = fcntl(ctx->placed[id - 1], F_DUPFD_CLOEXEC, above);
		if (tmp[id - 1] < 0)
			return log_error_errno(negative_errno(), "file %u: the inherited fd %d is gone",
					       id, ctx->placed[id - 1]);
	}
	return 0;
}

/* Close what the parent's restore placed and this task does not have;
 * remember this task's placement for its children. */
static void update_placed(struct fd_ctx *ctx)
{
	bool keep;

	for (size_t f = 0; ctx->placed && f < ctx->nr_rfiles; f++) {
		if (ctx->placed[f] < 0)
			continue;
		keep = false;
		for (size_t i = 0; i < ctx->nr_cur_fds; i++)
			keep |= ctx->cur_fds[i]->fd == ctx->placed[f];
		if (!keep)
			close(ctx->placed[f]);
	}
	if (!ctx->placed)
		ctx->placed = malloc((ctx->nr_rfiles + 1) * sizeof(int));
	if (!ctx->placed)
		return;
	for (size_t f = 0; f < ctx->nr_rfiles; f++)
		ctx->placed[f] = -1;
	for (size_t i = 0; i < ctx->nr_cur_fds; i++)
		if (ctx->placed[ctx->cur_fds[i]->file_id - 1] < 0 &&
		    !fd_kind_by_id(ctx->rfiles[ctx->cur_fds[i]->file_id - 1]->kind)->late)
			ctx->placed[ctx->cur_fds[i]->file_id - 1] = ctx->cur_fds[i]->fd;
}

/* Keep the fds of late kinds for fds_restore_task_late(). */
static int keep_late(struct fd_ctx *ctx)
{
	free(ctx->late);
	ctx->late = NULL;
	ctx->nr_late = 0;
	ctx->late_pid = ctx->cur_pid;
	for (size_t i = 0; i < ctx->nr_cur_fds; i++) {
		const FdEntry *fde = ctx->cur_fds[i];
		FdEntry *n;

		if (!fd_kind_by_id(ctx->rfiles[fde->file_id - 1]->kind)->late)
			continue;
		n = grow(ctx->late, ctx->nr_late, sizeof(*n));
		if (!n)
			return -ENOMEM;
		ctx->late = n;
		fd_entry__init(&n[ctx->nr_late]);
		n[ctx->nr_late].fd = fde->fd;
		n[ctx->nr_late].file_id = fde->file_id;
		n[ctx->nr_late].has_cloexec = true;
		n[ctx->nr_late].cloexec = fde->cloexec;
		ctx->nr_late++;
	}
	return 0;
}

int fds_restore_task_late(struct fd_ctx *ctx)
{
	int r = 0;

	for (size_t i = 0; i < ctx->nr_late && r >= 0; i++) {
		const FdEntry *fde = &ctx->late[i];
		const FileEntry *fe = ctx->rfiles[fde->file_id - 1];
		int fd = -1;
		bool owned = true;

		/* an earlier fd of the task with the same file: the same description */
		for (size_t j = 0; j < i && fd < 0; j++)
			if (ctx->late[j].file_id == fde->file_id) {
				fd = ctx->late[j].fd;
				owned = false;
			}
		if (fd < 0)
			r = restore_file_fd(ctx, fe, &fd);
		if (r < 0) {
			log_error("pid %d fd %d: not restored", ctx->late_pid, fde->fd);
			break;
		}
		if (dup3(fd, fde->fd, fde->cloexec ? O_CLOEXEC : 0) < 0)
			r = log_error_errno(negative_errno(), "pid %d fd %d: cannot put it in place", ctx->late_pid, fde->fd);
		if (owned && fd != fde->fd)
			close(fd);
	}
	free(ctx->late);
	ctx->late = NULL;
	ctx->nr_late = 0;
	if (r >= 0)
		r = fd_tty_restore_ctty(ctx, ctx->late_pid);
	return r;
}

/*
 * Last: closing any fd of a file drops the POSIX locks the process holds on
 * it, so the locks are taken once every fd is in place.  inherited[id - 1]:
 * the description came from the parent (its flock/OFD locks with it).
 */
static int restore_locks(struct fd_ctx *ctx, const bool *inherited)
{
	_cleanup_free_ bool *done = calloc(ctx->nr_rfiles + 1, sizeof(bool));

	if (!done)
		return -ENOMEM;
	for (size_t i = 0; i < ctx->nr_cur_fds; i++) {
		uint32_t id = ctx->cur_fds[i]->file_id;
		const FileEntry *fe = ctx->rfiles[id - 1];
		int r;

		if (done[id - 1] || !fe->n_locks)
			continue;
		done[id - 1] = true;
		r = fd_locks_restore(ctx, fe, ctx->cur_fds[i]->fd, ctx->cur_pid, !inherited[id - 1]);
		if (r < 0)
			return r;
	}
	return 0;
}

int fds_restore_task(struct fd_ctx *ctx)
{
	_cleanup_free_ int *tmp = NULL;
	_cleanup_free_ bool *inherited = NULL;
	int above = 3, r;

	ctx->nr_posix_locks = 0;	/* a child's copy holds its parent's */
	tmp = malloc((ctx->nr_rfiles + 1) * sizeof(int));
	if (!tmp)
		return -ENOMEM;
	for (size_t i = 0; i < ctx->nr_rfiles; i++) {
		tmp[i] = -1;
		if (ctx->placed && ctx->placed[i] >= above)
			above = ctx->placed[i] + 1;
	}
	for (size_t i = 0; i < ctx->nr_cur_fds; i++)
		if (ctx->cur_fds[i]->fd >= above)
			above = ctx->cur_fds[i]->fd + 1;
	ctx->above = above;

	r = take_inherited(ctx, above, tmp);
	inherited = calloc(ctx->nr_rfiles + 1, sizeof(bool));
	if (!inherited)
		r = -ENOMEM;
	for (size_t i = 0; i < ctx->nr_rfiles && r >= 0; i++)
		inherited[i] = tmp[i] >= 0;
	for (int stage = 0; stage < FD_STAGES && r >= 0; stage++) {
		ctx->cur_stage = stage;
		r = restore_stage(ctx, ctx->cur_pid, stage, above, tmp);
	}
	for (size_t i = 0; i < ctx->nr_rfiles; i++)
		if (tmp[i] >= 0)
			close(tmp[i]);
	if (r >= 0)
		update_placed(ctx);
	if (r >= 0)
		r = restore_locks(ctx, inherited);
	if (r >= 0)
		r = keep_late(ctx);
	fds_free_task_fds(ctx);
	return r;
}

