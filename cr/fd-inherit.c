/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inherited files: files outside the dump that the restorer's caller hands in
 * again (CRIU's --inherit-fd).  A container's stdio is the typical one: pipes
 * or a terminal of its engine, which a checkpoint cannot take along and a
 * restore gets anew from the engine.
 *
 * Dump: every fd whose /proc/PID/fd/N reads one of fd_opts.external ("pipe:[123]")
 * becomes a file of this kind, keyed by that text; nothing else is saved.
 * Restore: the file is a duplicate of the caller's fd given for the key
 * (fd_opts.inherit): the same open file description, in every task that had it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include "fds.h"
#include "fds-internal.h"
#include "log.h"
#include "util.h"

bool fd_inherit_is_external(const struct fd_ctx *ctx, const struct fd_probe *p)
{
	for (size_t i = 0; i < ctx->opts.nr_external; i++)
		if (!strcmp(ctx->opts.external[i], p->link))
			return true;
	return false;
}

int fd_inherit_parse(char *arg, struct fd_inherit *ret)
{
	char *end;
	long n;

	if (strncmp(arg, "fd[", 3))
		goto bad;
	n = strtol(arg + 3, &end, 10);
	if (end == arg + 3 || n < 0 || n > 0xfffff || strncmp(end, "]:", 2) || !end[2])
		goto bad;
	ret->fd = (int)n;
	ret->key = end + 2;
	if (fcntl(ret->fd, F_GETFD) < 0)
		return log_error_errno(-EBADF, "--inherit-fd %s: fd %d is not open", arg, ret->fd);
	return 0;
bad:
	return log_error_errno(-EINVAL, "--inherit-fd %s: expected fd[N]:KEY", arg);
}

int fd_external_parse(char *arg, const char **key)
{
	size_t n = strlen(arg);

	if (strncmp(arg, "fd[", 3))
		return 0;
	/* The key may hold brackets itself ("fd[pipe:[123]]"): the last one closes. */
	if (n < 5 || arg[n - 1] != ']')
		return log_error_errno(-EINVAL, "--external %s: expected fd[KEY]", arg);
	arg[n - 1] = 0;
	*key = arg + 3;
	return 1;
}

static bool inherit_match(const struct fd_probe *p _unused_)
{
	return false;	/* chosen by the options (fd_inherit_is_external), never by the file */
}

static int inherit_collect(struct fd_ctx *ctx _unused_, const struct fd_probe *p, FileEntry *e)
{
	InheritedFile *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	inherited_file__init(f);
	e->inherited = f;
	e->has_pos = false;
	f->key = strdup(p->link);
	if (!f->key)
		return -ENOMEM;
	if (S_ISCHR(p->st.st_mode)) {
		f->has_rdev = true;
		f->rdev = p->st.st_rdev;
	}
	log_debug("pid %d fd %d: %s is outside the dump: inherited at restore", p->pid, p->fd, p->link);
	return 0;
}

static int inherit_restore(struct fd_ctx *ctx, const FileEntry *e, int *ret_fd)
{
	const struct fd_opts *o = &ctx->opts;

	for (size_t i = 0; i < o->nr_inherit; i++) {
		if (strcmp(o->inherit[i].key, e->inherited->key))
			continue;
		*ret_fd = fcntl(o->inherit[i].fd, F_DUPFD_CLOEXEC, 0);
		if (*ret_fd < 0)
			return log_error_errno(negative_errno(), "--inherit-fd fd[%d]:%s", o->inherit[i].fd,
					       e->inherited->key);
		return 0;
	}
	log_error("file %u was outside the dump (%s): give it with --inherit-fd fd[N]:%s", e->id,
		  e->inherited->key, e->inherited->key);
	return -ENOENT;
}

const struct fd_kind_ops fd_inherit_ops = {
	.name = "inherited",
	.kind = FD_KIND__FDK_INHERITED,
	.match = inherit_match,
	.collect = inherit_collect,
	.restore = inherit_restore,
};
