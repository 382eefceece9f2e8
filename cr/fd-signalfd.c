/* SPDX-License-Identifier: GPL-2.0-or-later */
/* signalfd: the signal mask from fdinfo. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include "fds.h"
#include "util.h"

static bool signalfd_match(const struct fd_probe *p)
{
	return !strcmp(p->link, "anon_inode:[signalfd]");
}

static int signalfd_collect(struct fd_ctx *ctx _unused_, const struct fd_probe *p, FileEntry *e)
{
	SignalfdFile *sf = calloc(1, sizeof(*sf));

	if (!sf)
		return -ENOMEM;
	signalfd_file__init(sf);
	e->signalfd = sf;
	e->has_pos = false;
	return fdinfo_u64(p->fdinfo, "sigmask", 16, &sf->sigmask);
}

static int signalfd_restore(struct fd_ctx *ctx _unused_, const FileEntry *e, int *ret_fd)
{
	sigset_t set;

	sigemptyset(&set);
	for (int sig = 1; sig <= 64; sig++)
		if (e->signalfd->sigmask & (1ull << (sig - 1)))
			sigaddset(&set, sig);
	*ret_fd = signalfd(-1, &set, SFD_CLOEXEC);
	return *ret_fd < 0 ? negative_errno() : 0;
}

const struct fd_kind_ops fd_signalfd_ops = {
	.name = "signalfd",
	.kind = FD_KIND__FDK_SIGNALFD,
	.match = signalfd_match,
	.collect = signalfd_collect,
	.restore = signalfd_restore,
};
