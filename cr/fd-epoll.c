/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * epoll: every watch (target fd number, events, data) from fdinfo.  Watches
 * are keyed by (file, fd number), so an epoll is restored in the last stage,
 * after every other fd of the task sits at its number.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fds.h"
#include "log.h"
#include "util.h"

static bool epoll_match(const struct fd_probe *p)
{
	return !strcmp(p->link, "anon_inode:[eventpoll]");
}

#define EPOLL_STAGE	4
#define EPOLL_MAX_DEPTH	(FD_STAGES - 1 - EPOLL_STAGE)

/* How deep the epolls watched by the epoll at fd of pid nest (0: it watches none). */
static int nest_depth(int pid, int fd, int level)
{
	char path[64], link[64], *fdinfo = NULL;
	int depth = 0;

	if (level > EPOLL_MAX_DEPTH)
		return -ELOOP;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	FILE *f = fopen(path, "re");
	size_t cap = 0;
	if (!f)
		return negative_errno();
	while (getline(&fdinfo, &cap, f) > 0) {
		int tfd;
		if (sscanf(fdinfo, "tfd: %d", &tfd) != 1)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, tfd);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		if (strcmp(link, "anon_inode:[eventpoll]"))
			continue;
		int d = nest_depth(pid, tfd, level + 1);
		if (d < 0) {
			depth = d;
			break;
		}
		if (d + 1 > depth)
			depth = d + 1;
	}
	free(fdinfo);
	fclose(f);
	return depth;
}

static int epoll_file_stage(const FileEntry *e)
{
	return EPOLL_STAGE + (int)(e->epoll->has_nest_depth ? e->epoll->nest_depth : 0);
}

static int epoll_collect(struct fd_ctx *ctx _unused_, const struct fd_probe *p, FileEntry *e)
{
	EpollFile *ef = calloc(1, sizeof(*ef));

	if (!ef)
		return -ENOMEM;
	epoll_file__init(ef);
	e->epoll = ef;
	e->has_pos = false;
	for (const char *l = p->fdinfo; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		int tfd;
		unsigned events;
		unsigned long long data;
		EpollTarget *t, **n;

		if (strncmp(l, "tfd:", 4))
			continue;
		unsigned long ino;
		int pos = 0;
		char path[64];
		struct stat st;

		if (sscanf(l, "tfd: %d events: %x data: %llx %n", &tfd, &events, &data, &pos) != 3 || !pos ||
		    sscanf(l + pos, "pos:%*d ino:%lx", &ino) != 1)
			return -EBADMSG;
		/* the watch is keyed by the fd number it was added with: that fd
		 * must still be the watched file, or the restore cannot rebuild it */
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", p->pid, tfd);
		if (stat(path, &st) < 0 || st.st_ino != ino) {
			log_error("pid %d fd %d: epoll watches a file that is no longer open at fd %d; not supported",
				  p->pid, p->fd, tfd);
			return -EOPNOTSUPP;
		}
		n = realloc(ef->targets, (ef->n_targets + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		ef->targets = n;
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		epoll_target__init(t);
		t->tfd = tfd;
		t->events = events;
		t->data = data;
		ef->targets[ef->n_targets++] = t;
	}
	/* an epoll watching epolls is restored after them: a stage per level */
	int depth = nest_depth(p->pid, p->fd, 0);
	if (depth < 0) {
		log_error("pid %d fd %d: epolls nested deeper than %d; not supported", p->pid, p->fd, EPOLL_MAX_DEPTH);
		return -EOPNOTSUPP;
	}
	if (depth) {
		ef->has_nest_depth = true;
		ef->nest_depth = depth;
	}
	return 0;
}

static int epoll_restore(struct fd_ctx *ctx, const FileEntry *e, int *ret_fd)
{
	_cleanup_close_ int fd = epoll_create1(EPOLL_CLOEXEC);

	if (fd < 0)
		return negative_errno();
	for (size_t i = 0; i < e->epoll->n_targets; i++) {
		const EpollTarget *t = e->epoll->targets[i];
		struct epoll_event ev = { .events = t->events, .data.u64 = t->data };

		if (fd_ctx_task_fd_restored(ctx, t->tfd) < 0) {
			log_error("epoll file %u: watched fd %d is not in the task any more (closed after EPOLL_CTL_ADD)",
				  e->id, t->tfd);
			return -EOPNOTSUPP;
		}
		if (epoll_ctl(fd, EPOLL_CTL_ADD, t->tfd, &ev) < 0)
			return log_error_errno(negative_errno(), "epoll file %u: cannot watch fd %d", e->id, t->tfd);
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

const struct fd_kind_ops fd_epoll_ops = {
	.name = "epoll",
	.kind = FD_KIND__FDK_EPOLL,
	.stage = EPOLL_STAGE,
	.file_stage = epoll_file_stage,
	.match = epoll_match,
	.collect = epoll_collect,
	.restore = epoll_restore,
};
