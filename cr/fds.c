/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fd driver's context: options, the files seen or loaded, pipe ends and
 * socket ends waiting for their file, fdinfo parsing.  Collect is in
 * fds-collect.c, restore in fds-restore.c.
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

#define FDS_DEFAULT_GHOST_LIMIT	(1ull << 20)

int fd_file_stage(const FileEntry *fe)
{
	const struct fd_kind_ops *ops = fd_kind_by_id(fe->kind);
	int stage = ops->file_stage ? ops->file_stage(fe) : ops->stage;

	return stage < 0 ? 0 : stage >= FD_STAGES ? FD_STAGES - 1 : stage;
}

int fd_ctx_new(const struct fd_opts *opts, struct fd_ctx **ret)
{
	struct fd_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -ENOMEM;
	if (opts)
		ctx->opts = *opts;
	if (!ctx->opts.ghost_limit)
		ctx->opts.ghost_limit = FDS_DEFAULT_GHOST_LIMIT;
	*ret = ctx;
	return 0;
}

const struct fd_opts *fd_ctx_opts(const struct fd_ctx *ctx)
{
	return &ctx->opts;
}

void fd_ctx_free(struct fd_ctx *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->nr_files; i++) {
		protobuf_c_message_free_unpacked(&ctx->files[i].e->base, NULL);
		close(ctx->files[i].local_fd);
	}
	free(ctx->files);
	for (size_t i = 0; i < ctx->nr_tasks; i++) {
		for (size_t j = 0; j < ctx->tasks[i].nr_fds; j++)
			free(ctx->tasks[i].fds[j]);
		free(ctx->tasks[i].fds);
	}
	free(ctx->tasks);
	free(ctx->pipes_seen);
	for (size_t i = 0; i < ctx->nr_rfiles; i++)
		img_free_msg(&ctx->rfiles[i]->base);
	free(ctx->rfiles);
	for (size_t i = 0; i < ctx->nr_ends; i++)
		close(ctx->ends[i].fd);
	free(ctx->ends);
	fds_free_task_fds(ctx);
	free(ctx->placed);
	free(ctx->posix_locks);
	free(ctx->late);
	free(ctx->cttys);
	free(ctx);
}

int fdinfo_u64(const char *fdinfo, const char *key, int base, uint64_t *ret)
{
	size_t klen = strlen(key);

	for (const char *l = fdinfo; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, klen) || l[klen] != ':')
			continue;
		char *end;
		errno = 0;
		unsigned long long v = strtoull(l + klen + 1, &end, base);
		if (errno || end == l + klen + 1)
			return -EINVAL;
		*ret = v;
		return 0;
	}
	return -ENOENT;
}

bool fd_ctx_pipe_first_seen(struct fd_ctx *ctx, uint64_t ino)
{
	uint64_t *n;

	for (size_t i = 0; i < ctx->nr_pipes_seen; i++)
		if (ctx->pipes_seen[i] == ino)
			return false;
	n = grow(ctx->pipes_seen, ctx->nr_pipes_seen, sizeof(*n));
	if (!n)
		return true;	/* worst case: data saved twice is caught at restore */
	ctx->pipes_seen = n;
	ctx->pipes_seen[ctx->nr_pipes_seen++] = ino;
	return true;
}

size_t fd_ctx_nr_files(const struct fd_ctx *ctx)
{
	return ctx->nr_rfiles ? ctx->nr_rfiles : ctx->nr_files;
}

const FileEntry *fd_ctx_file(const struct fd_ctx *ctx, size_t idx)
{
	if (ctx->nr_rfiles)
		return idx < ctx->nr_rfiles ? ctx->rfiles[idx] : NULL;
	return idx < ctx->nr_files ? ctx->files[idx].e : NULL;
}

int fd_ctx_take_pipe_end(struct fd_ctx *ctx, uint64_t ino, bool want_write)
{
	for (size_t i = 0; i < ctx->nr_ends; i++) {
		if (ctx->ends[i].ino != ino || ctx->ends[i].is_write != want_write)
			continue;
		int fd = ctx->ends[i].fd;
		ctx->ends[i] = ctx->ends[--ctx->nr_ends];
		return fd;
	}
	return -1;
}

int fd_ctx_put_pipe_end(struct fd_ctx *ctx, uint64_t ino, bool is_write, int fd)
{
	struct pipe_end *n = grow(ctx->ends, ctx->nr_ends, sizeof(*n));
	int high;

	if (!n)
		return -ENOMEM;
	ctx->ends = n;
	/* out of the way of the numbers the task's fds will take */
	high = fcntl(fd, F_DUPFD_CLOEXEC, ctx->above);
	if (high < 0)
		return negative_errno();
	close(fd);
	fd = high;
	n[ctx->nr_ends++] = (struct pipe_end){ .ino = ino, .is_write = is_write, .fd = fd };
	return 0;
}

void fds_free_task_fds(struct fd_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nr_cur_fds; i++)
		img_free_msg(&ctx->cur_fds[i]->base);
	free(ctx->cur_fds);
	ctx->cur_fds = NULL;
	ctx->nr_cur_fds = 0;
}
