/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Established TCP connections (TCP_REPAIR), part of the inet kind (fd-inet.c). */
#ifndef CRYO_FD_TCP_H
#define CRYO_FD_TCP_H

#include "fds.h"

int tcp_stream_collect(const struct fd_probe *p, InetFile *in);
int tcp_stream_restore(const FileEntry *e, int *ret_fd);
/* Set the socket options an inet_file carries (before bind). */
int inet_restore_options(int fd, const InetFile *in);

#endif
