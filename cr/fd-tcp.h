/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Established TCP connections (TCP_REPAIR), part of the inet kind (fd-inet.c). */
#ifndef CRYO_FD_TCP_H
#define CRYO_FD_TCP_H

#include <sys/socket.h>
#include "fds.h"
#include "netlock/netlock.h"

/* state: TCP_ESTABLISHED or a half-closed one (FIN_WAIT1/2, CLOSE_WAIT, LAST_ACK, CLOSING) */
int tcp_stream_collect(const struct fd_probe *p, InetFile *in, int state);

/*
 * The restore of a connection whose peer had sent its FIN gives the new
 * socket that FIN in a packet from the peer's address, sent through a raw
 * socket with this mark: a network lock must let packets with it through.
 */
#define TCP_INJECT_MARK NETLOCK_PASS_MARK

/* One TCP connection of the tree: for a network lock that must hold its packets. */
struct tcp_conn {
	int family;				/* AF_INET or AF_INET6 */
	struct sockaddr_storage local, peer;	/* sockaddr_in/in6, ports included */
};

/*
 * The established and half-closed TCP connections among the files of ctx:
 * on the dump side those collected so far (fds_collect_task, with
 * --tcp-established), on the restore side those of files.img
 * (fds_load_images).  Each connection once, however many fds share it;
 * *ret is malloc'ed (NULL when there is none).
 */
int fds_tcp_connections(const struct fd_ctx *ctx, struct tcp_conn **ret, size_t *ret_n);
int tcp_stream_restore(const FileEntry *e, int *ret_fd);
/* Set the socket options an inet_file carries (before bind). */
int inet_restore_options(int fd, const InetFile *in);
/* A sockaddr_in/in6 as "127.0.0.1:80" or "[::1]:80". */
void inet_addr_format(const void *sa, size_t len, char *buf, size_t size);

#endif
