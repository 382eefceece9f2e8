/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File locks (--file-locks): flock, POSIX record locks and OFD locks, read
 * from the "lock:" lines of /proc/PID/fdinfo/N, which lists the locks taken
 * through that open file description (POSIX ones only if the task owns
 * them).  flock and OFD locks belong to the description: they are taken
 * again by whichever task creates it at restore (children inherit it).
 * POSIX locks belong to a process: each is taken again by its owner, at the
 * very end of its fd restore (closing any fd of the file drops them), and
 * recorded: the restorer blob closes the fds it mapped files through, which
 * drops the locks on those files, so it takes them all again after
 * (fds_task_posix_locks, docs/fds.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include "fds.h"
#include "log.h"
#include "util.h"
#include "fds-internal.h"

static bool same_lock(const FileLock *a, const FileLock *b)
{
	return a->type == b->type && a->write == b->write && a->pid == b->pid && a->start == b->start &&
	       a->len == b->len;
}

static int add_lock(FileEntry *e, const FileLock *l)
{
	FileLock **n, *c;

	for (size_t i = 0; i < e->n_locks; i++)
		if (same_lock(e->locks[i], l))
			return 0;	/* seen through another fd of the description */
	n = realloc(e->locks, (e->n_locks + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	e->locks = n;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = *l;
	e->locks[e->n_locks++] = c;
	return 0;
}

/* One "lock:" line ("1: POSIX  ADVISORY  WRITE 123 fe:00:456 5 14"); 1 if parsed, 0 to skip. */
static int parse_lock(const char *line, const struct fd_probe *p, FileLock *l)
{
	char type[16], mode[16], rw[16], end[32];
	unsigned long long start;
	int pid;

	file_lock__init(l);
	if (strstr(line, "->"))	/* a task blocked waiting for the lock: it retries */
		return 0;
	if (sscanf(line, "%*d: %15s %15s %15s %d %*s %llu %31s", type, mode, rw, &pid, &start, end) != 6)
		return -EBADMSG;
	if (!strcmp(type, "FLOCK"))
		l->type = FILE_LOCK_TYPE__FLK_FLOCK;
	else if (!strcmp(type, "POSIX"))
		l->type = FILE_LOCK_TYPE__FLK_POSIX;
	else if (!strcmp(type, "OFDLCK"))
		l->type = FILE_LOCK_TYPE__FLK_OFD;
	else {
		log_error("pid %d fd %d: %s holds a %s %s lock; not supported", p->pid, p->fd, p->link, type, mode);
		return -EOPNOTSUPP;
	}
	if (strcmp(mode, "ADVISORY")) {
		log_error("pid %d fd %d: %s holds a %s lock; not supported", p->pid, p->fd, p->link, mode);
		return -EOPNOTSUPP;
	}
	l->write = !strcmp(rw, "WRITE");
	l->pid = l->type == FILE_LOCK_TYPE__FLK_POSIX ? pid : 0;
	l->start = start;
	if (strcmp(end, "EOF")) {
		unsigned long long e = strtoull(end, NULL, 10);
		if (e < start)
			return -EBADMSG;
		l->len = e - start + 1;
	}
	return 1;
}

int fd_locks_collect(struct fd_ctx *ctx, const struct fd_probe *p, FileEntry *e)
{
	for (const char *l = p->fdinfo; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		FileLock lk;
		int r;

		if (strncmp(l, "lock:", 5))
			continue;
		r = parse_lock(l + 5, p, &lk);
		if (r < 0)
			return r == -EBADMSG ? log_error_errno(r, "pid %d fd %d: cannot parse the lock line of fdinfo",
								p->pid, p->fd) : r;
		if (r == 0)
			continue;
		if (!ctx->opts.file_locks) {
			log_error("pid %d fd %d: %s (%s) holds a %s lock; pass --file-locks to dump it", p->pid, p->fd,
				  p->link, fd_kind_by_id(e->kind)->name,
				  lk.type == FILE_LOCK_TYPE__FLK_FLOCK ? "flock" :
				  lk.type == FILE_LOCK_TYPE__FLK_OFD ? "OFD" : "POSIX");
			return -EOPNOTSUPP;
		}
		r = add_lock(e, &lk);
		if (r < 0)
			return r;
	}
	return 0;
}

static int take_lock(int fd, const FileLock *l)
{
	struct flock fl = {
		.l_type = l->write ? F_WRLCK : F_RDLCK,
		.l_whence = SEEK_SET,
		.l_start = (off_t)l->start,
		.l_len = (off_t)l->len,
	};

	switch (l->type) {
	case FILE_LOCK_TYPE__FLK_FLOCK:
		return flock(fd, (l->write ? LOCK_EX : LOCK_SH) | LOCK_NB) < 0 ? negative_errno() : 0;
	case FILE_LOCK_TYPE__FLK_OFD:
		return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? negative_errno() : 0;
	case FILE_LOCK_TYPE__FLK_POSIX:
		return fcntl(fd, F_SETLK, &fl) < 0 ? negative_errno() : 0;
	default:
		return -EBADMSG;
	}
}

/* For the blob: the task's POSIX lock l, through its fd. */
static int record_posix_lock(struct fd_ctx *ctx, int fd, const FileLock *l)
{
	struct fd_posix_lock *n = reallocarray(ctx->posix_locks, ctx->nr_posix_locks + 1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	ctx->posix_locks = n;
	n[ctx->nr_posix_locks++] = (struct fd_posix_lock){ .fd = fd, .write = l->write, .start = l->start,
							    .len = l->len };
	return 0;
}

size_t fds_task_posix_locks(const struct fd_ctx *ctx, const struct fd_posix_lock **ret)
{
	*ret = ctx->posix_locks;
	return ctx->nr_posix_locks;
}

int fd_locks_restore(struct fd_ctx *ctx, const FileEntry *e, int fd, int pid, bool new_description)
{
	for (size_t i = 0; i < e->n_locks; i++) {
		const FileLock *l = e->locks[i];
		int r;

		if (l->type == FILE_LOCK_TYPE__FLK_POSIX ? l->pid != pid : !new_description)
			continue;
		if (!ctx->opts.file_locks) {
			log_error("pid %d fd %d: the image holds a lock on file %u; restore with --file-locks", pid, fd,
				  e->id);
			return -EOPNOTSUPP;
		}
		r = take_lock(fd, l);
		if (r < 0)
			return log_error_errno(r, "pid %d fd %d: cannot take its %s lock back (start %llu, length %llu)",
					       pid, fd, l->type == FILE_LOCK_TYPE__FLK_FLOCK ? "flock" :
					       l->type == FILE_LOCK_TYPE__FLK_OFD ? "OFD" : "POSIX",
					       (unsigned long long)l->start, (unsigned long long)l->len);
		if (l->type == FILE_LOCK_TYPE__FLK_POSIX) {
			r = record_posix_lock(ctx, fd, l);
			if (r < 0)
				return r;
		}
		log_debug("pid %d fd %d: lock %d taken back", pid, fd, (int)l->type);
	}
	return 0;
}
