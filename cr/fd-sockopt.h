/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket options of unix and inet sockets (fd-unix.c, fd-inet.c, fd-tcp.c). */
#ifndef CRYO_FD_SOCKOPT_H
#define CRYO_FD_SOCKOPT_H

#include <stddef.h>
#include "fds.h"

/*
 * The options of socket fd whose values differ from a new socket of the
 * same family, type and protocol, appended to *opts (malloc'ed SockOpts).
 */
int sockopts_collect(int fd, int family, int type, int protocol, SockOpt ***opts, size_t *n_opts);
/* Set them on fd, in the order they were collected (before bind: IPV6_V6ONLY must be);
 * which: all of them, all but the buffer sizes, or only those (an established
 * TCP socket gets its bytes never sent queued first: they may exceed its buffer). */
enum sockopts_which { SOCKOPTS_ALL, SOCKOPTS_BUT_BUFFERS, SOCKOPTS_BUFFERS };
int sockopts_restore(int fd, SockOpt *const *opts, size_t n_opts, enum sockopts_which which);

#endif
