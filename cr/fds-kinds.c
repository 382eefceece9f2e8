/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table of fd kinds: one line per kind (fd-KIND.c). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "fds.h"
#include "util.h"

static const struct fd_kind_ops *const kinds[] = {
	&fd_memfd_ops,		/* before reg: a memfd is a regular file too */
	&fd_reg_ops,
	&fd_pipe_ops,
	&fd_fifo_ops,
	&fd_eventfd_ops,
	&fd_signalfd_ops,
	&fd_timerfd_ops,
	&fd_epoll_ops,
	&fd_pidfd_ops,
	&fd_inet_ops,
	&fd_unix_ops,
	&fd_inotify_ops,
	&fd_tty_ops,
	&fd_fanotify_ops,
	&fd_inherit_ops,		/* chosen by the options, never by match() */
};

const struct fd_kind_ops *fd_kind_by_probe(const struct fd_probe *p)
{
	/* an O_PATH fd is only a path, whatever the inode behind it */
	if ((p->flags & O_PATH) && p->link[0] == '/')
		return &fd_reg_ops;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i]->match(p))
			return kinds[i];
	return NULL;
}

const struct fd_kind_ops *fd_kind_by_id(FdKind kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i]->kind == kind)
			return kinds[i];
	return NULL;
}

static const char *family_name(int family)
{
	switch (family) {
	case AF_UNIX: return "unix";
	case AF_INET: return "inet";
	case AF_INET6: return "inet6";
	case AF_NETLINK: return "netlink";
	case AF_PACKET: return "packet";
	}
	return "unknown-family";
}

static const char *sock_type_name(int type)
{
	switch (type) {
	case SOCK_STREAM: return "stream";
	case SOCK_DGRAM: return "dgram";
	case SOCK_SEQPACKET: return "seqpacket";
	case SOCK_RAW: return "raw";
	}
	return "other-type";
}

void fd_probe_describe(const struct fd_probe *p, char *buf, size_t len)
{
	const char *anon = "anon_inode:";

	if (S_ISSOCK(p->st.st_mode))
		snprintf(buf, len, "%s %s socket (protocol %d)", family_name(p->sk_family),
			 sock_type_name(p->sk_type), p->sk_protocol);
	else if (!strncmp(p->link, anon, strlen(anon))) {
		/* "anon_inode:[fanotify]" -> "fanotify" */
		snprintf(buf, len, "%s", p->link + strlen(anon) + (p->link[strlen(anon)] == '['));
		size_t n = strlen(buf);
		if (n && buf[n - 1] == ']')
			buf[n - 1] = 0;
	}
	else if (S_ISCHR(p->st.st_mode) && (!strncmp(p->link, "/dev/pts/", 9) || !strncmp(p->link, "/dev/tty", 8) ||
					    !strcmp(p->link, "/dev/console") || !strcmp(p->link, "/dev/ptmx")))
		snprintf(buf, len, "tty %s", p->link);
	else if (S_ISCHR(p->st.st_mode) || S_ISBLK(p->st.st_mode))
		snprintf(buf, len, "device %s", p->link);
	else
		snprintf(buf, len, "file %s", p->link);
}
