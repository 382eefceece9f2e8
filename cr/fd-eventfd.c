/* SPDX-License-Identifier: GPL-2.0-or-later */
/* eventfd: the counter and the semaphore mode, both from fdinfo. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include "fds.h"
#include "util.h"

static bool eventfd_match(const struct fd_probe *p)
{
	return !strcmp(p->link, "anon_inode:[eventfd]");
}

static int eventfd_collect(struct fd_ctx *ctx _unused_, const struct fd_probe *p, FileEntry *e)
{
	EventfdFile *ef = calloc(1, sizeof(*ef));
	uint64_t sem = 0;
	int r;

	if (!ef)
		return -ENOMEM;
	eventfd_file__init(ef);
	e->eventfd = ef;
	e->has_pos = false;
	r = fdinfo_u64(p->fdinfo, "eventfd-count", 16, &ef->count);
	if (r < 0)
		return r;
	/* "eventfd-semaphore:" appeared in 6.6; refuse to guess on older kernels */
	r = fdinfo_u64(p->fdinfo, "eventfd-semaphore", 10, &sem);
	if (r < 0)
		return r;
	ef->has_semaphore = true;
	ef->semaphore = sem;
	return 0;
}

static int eventfd_restore(struct fd_ctx *ctx _unused_, const FileEntry *e, int *ret_fd)
{
	const EventfdFile *ef = e->eventfd;
	int fd;

	/* eventfd() takes an unsigned int: larger counters are written in */
	fd = eventfd(0, EFD_CLOEXEC | (ef->semaphore ? EFD_SEMAPHORE : 0));
	if (fd < 0)
		return negative_errno();
	if (ef->count && eventfd_write(fd, ef->count) < 0) {
		int r = negative_errno();
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

const struct fd_kind_ops fd_eventfd_ops = {
	.name = "eventfd",
	.kind = FD_KIND__FDK_EVENTFD,
	.match = eventfd_match,
	.collect = eventfd_collect,
	.restore = eventfd_restore,
};
