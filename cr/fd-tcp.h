/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Established TCP connections (TCP_REPAIR), part of the inet kind (fd-inet.c). */
#ifndef CRYO_FD_TCP_H
#define CRYO_FD_TCP_H

#include "fds.h"

int tcp_stream_collect(const struct fd_probe *p, InetFile *in);
int tcp_stream_restore(const FileEntry *e, int *ret_fd);
/* Set the socket options an inet_file carries (before bind). */
int inet_restore_options(int fd, const InetFile *in);
/* A sockaddr_in/in6 as "127.0.0.1:80" or "[::1]:80". */
void inet_addr_format(const void *sa, size_t len, char *buf, size_t size);

#endif
