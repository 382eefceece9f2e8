/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pidfd: the pid it refers to (fdinfo "Pid:", in the task's pid namespace). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fds.h"
#include "log.h"
#include "util.h"

static bool pidfd_match(const struct fd_probe *p)
{
	return !strcmp(p->link, "anon_inode:[pidfd]");
}

static int pidfd_collect(struct fd_ctx *ctx _unused_, const struct fd_probe *p, FileEntry *e)
{
	PidfdFile *pf = calloc(1, sizeof(*pf));
	const char *l = strstr(p->fdinfo, "\nPid:");

	if (!pf)
		return -ENOMEM;
	pidfd_file__init(pf);
	e->pidfd = pf;
	e->has_pos = false;
	if (!l)
		return -EBADMSG;
	pf->pid = atoi(l + 5);
	if (pf->pid <= 0) {
		log_error("pid %d fd %d: pidfd of a process that has exited is not supported", p->pid, p->fd);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int pidfd_restore(struct fd_ctx *ctx _unused_, const FileEntry *e, int *ret_fd)
{
	*ret_fd = syscall(SYS_pidfd_open, e->pidfd->pid, 0);
	if (*ret_fd < 0)
		return log_error_errno(negative_errno(), "pidfd_open(%d)", e->pidfd->pid);
	return 0;
}

const struct fd_kind_ops fd_pidfd_ops = {
	.name = "pidfd",
	.kind = FD_KIND__FDK_PIDFD,
	.match = pidfd_match,
	.collect = pidfd_collect,
	.restore = pidfd_restore,
	.late = true,	/* its process may be a child, forked after this task's fds */
};
