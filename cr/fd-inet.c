/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * AF_INET/AF_INET6 sockets: UDP (bound, connected, UDP_CORK with an empty
 * write queue) and listening TCP.  Whatever would be lost (queued
 * datagrams, corked data, pending connections) is refused, not dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fds.h"
#include "fd-sockopt.h"
#include "fd-tcp.h"
#include "log.h"
#include "util.h"

static bool inet_match(const struct fd_probe *p)
{
	if (p->sk_family != AF_INET && p->sk_family != AF_INET6)
		return false;
	return (p->sk_type == SOCK_DGRAM && p->sk_protocol == IPPROTO_UDP) ||
	       (p->sk_type == SOCK_STREAM && p->sk_protocol == IPPROTO_TCP);
}

static int get_int_opt(int fd, int level, int name, int *ret)
{
	socklen_t len = sizeof(*ret);

	return getsockopt(fd, level, name, ret, &len) < 0 ? negative_errno() : 0;
}

static int addr_bytes(int fd, bool peer, ProtobufCBinaryData *ret, protobuf_c_boolean *has)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) : getsockname(fd, (struct sockaddr *)&ss, &len);

	if (r < 0)
		return errno == ENOTCONN ? 0 : negative_errno();
	ret->data = malloc(len);
	if (!ret->data)
		return -ENOMEM;
	memcpy(ret->data, &ss, len);
	ret->len = len;
	*has = true;
	return 0;
}

static bool addr_is_bound(const ProtobufCBinaryData *a)
{
	const struct sockaddr_in *in = (const void *)a->data;
	const struct sockaddr_in6 *in6 = (const void *)a->data;

	if (a->len >= sizeof(*in6) && in6->sin6_family == AF_INET6)
		return in6->sin6_port || memcmp(&in6->sin6_addr, &in6addr_any, sizeof(in6addr_any));
	if (a->len >= sizeof(*in) && in->sin_family == AF_INET)
		return in->sin_port || in->sin_addr.s_addr;
	return false;
}

static int udp_collect(const struct fd_probe *p, InetFile *in)
{
	int cork = 0, outq = 0, inq = 0, r;

	r = get_int_opt(p->local_fd, IPPROTO_UDP, UDP_CORK, &cork);
	if (r < 0)
		return r;
	if (ioctl(p->local_fd, SIOCOUTQ, &outq) < 0 || ioctl(p->local_fd, SIOCINQ, &inq) < 0)
		return negative_errno();
	if (outq > 0) {
		/* SIOCOUTQ counts the skbs' memory, not only the payload */
		log_error("pid %d fd %d: %sUDP socket has data queued for sending (%d bytes in its write queue); not supported",
			  p->pid, p->fd, cork ? "corked " : "", outq);
		return -EOPNOTSUPP;
	}
	if (inq > 0) {
		log_error("pid %d fd %d: UDP socket has received datagrams queued (%d bytes); not supported",
			  p->pid, p->fd, inq);
		return -EOPNOTSUPP;
	}
	in->has_udp_cork = true;
	in->udp_cork = cork;
	return 0;
}

/* "127.0.0.1:80" or "[::1]:80" */
void inet_addr_format(const void *sa, size_t len, char *buf, size_t size)
{
	const struct sockaddr_in *in = sa;
	const struct sockaddr_in6 *in6 = sa;
	char a[INET6_ADDRSTRLEN] = "?";

	if (len >= sizeof(*in6) && in6->sin6_family == AF_INET6) {
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(buf, size, "[%s]:%u", a, ntohs(in6->sin6_port));
	} else if (len >= sizeof(*in) && in->sin_family == AF_INET) {
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(buf, size, "%s:%u", a, ntohs(in->sin_port));
	} else
		snprintf(buf, size, "?");
}

/* Without --tcp-established an established connection is refused, named. */
static int refuse_established(const struct fd_probe *p)
{
	struct sockaddr_storage l, r;
	socklen_t llen = sizeof(l), rlen = sizeof(r);
	char ls[64] = "?", rs[64] = "?";

	if (getsockname(p->local_fd, (struct sockaddr *)&l, &llen) == 0)
		inet_addr_format(&l, llen, ls, sizeof(ls));
	if (getpeername(p->local_fd, (struct sockaddr *)&r, &rlen) == 0)
		inet_addr_format(&r, rlen, rs, sizeof(rs));
	log_error("pid %d fd %d: established TCP connection %s -> %s; dump with --tcp-established to keep it",
		  p->pid, p->fd, ls, rs);
	return -EOPNOTSUPP;
}

static int tcp_collect(struct fd_ctx *ctx, const struct fd_probe *p, InetFile *in)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(p->local_fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return negative_errno();
	if (ti.tcpi_state == TCP_LISTEN) {
		/*
		 * Each waiting connection is a full socket inside the listener's
		 * queue; a restore could rebuild it in TCP_REPAIR but has no way to
		 * put it into an accept queue, so the task would never accept it.
		 */
		if (ti.tcpi_unacked) {
			log_error("pid %d fd %d: listening TCP socket has %u connections waiting in accept(); not supported: a restored connection cannot be put back into an accept queue (accept them, or dump when none is waiting)",
				  p->pid, p->fd, ti.tcpi_unacked);
			return -EOPNOTSUPP;
		}
		in->has_listening = in->listening = true;
		return 0;
	}
	if (ti.tcpi_state == TCP_CLOSE)
		return 0;
	switch (ti.tcpi_state) {
	case TCP_ESTABLISHED: case TCP_FIN_WAIT1: case TCP_FIN_WAIT2: case TCP_CLOSE_WAIT: case TCP_LAST_ACK: case TCP_CLOSING:
		return fd_ctx_opts(ctx)->tcp_established ? tcp_stream_collect(p, in, ti.tcpi_state) : refuse_established(p);
	}
	log_error("pid %d fd %d: TCP socket in state %u (connecting) is not supported",
		  p->pid, p->fd, ti.tcpi_state);
	return -EOPNOTSUPP;
}

int inet_restore_options(int fd, const InetFile *in)
{
	return sockopts_restore(fd, in->opts, in->n_opts, in->tcp ? SOCKOPTS_BUT_BUFFERS : SOCKOPTS_ALL);
}

static int inet_collect(struct fd_ctx *ctx, const struct fd_probe *p, FileEntry *e)
{
	InetFile *in = calloc(1, sizeof(*in));
	int reuse = 0, r;

	if (!in)
		return -ENOMEM;
	inet_file__init(in);
	e->inet = in;
	e->has_pos = false;
	in->family = p->sk_family;
	in->type = p->sk_type;
	in->protocol = p->sk_protocol;
	r = p->sk_type == SOCK_DGRAM ? udp_collect(p, in) : tcp_collect(ctx, p, in);
	if (r < 0)
		return r;
	if ((r = addr_bytes(p->local_fd, false, &in->local_addr, &in->has_local_addr)) < 0 ||
	    (r = addr_bytes(p->local_fd, true, &in->peer_addr, &in->has_peer_addr)) < 0 ||
	    (r = get_int_opt(p->local_fd, SOL_SOCKET, SO_REUSEADDR, &reuse)) < 0)
		return r;
	in->has_reuseaddr = true;
	in->reuseaddr = reuse;
	return sockopts_collect(p->local_fd, p->sk_family, p->sk_type, p->sk_protocol, &in->opts, &in->n_opts);
}

static int inet_restore(struct fd_ctx *ctx, const FileEntry *e, int *ret_fd)
{
	const InetFile *in = e->inet;
	_cleanup_close_ int fd = -1;
	int one = 1;

	if (in->tcp && !fd_ctx_opts(ctx)->tcp_established) {
		char ls[64], rs[64];
		inet_addr_format(in->local_addr.data, in->local_addr.len, ls, sizeof(ls));
		inet_addr_format(in->peer_addr.data, in->peer_addr.len, rs, sizeof(rs));
		log_error("file %u: established TCP connection %s -> %s in the image; restore with --tcp-established",
			  e->id, ls, rs);
		return -EOPNOTSUPP;
	}
	if (in->tcp)
		return tcp_stream_restore(e, ret_fd);
	fd = socket(in->family, in->type | SOCK_CLOEXEC, in->protocol);
	if (fd < 0)
		return negative_errno();
	if (in->reuseaddr && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return negative_errno();
	int r = inet_restore_options(fd, in);
	if (r < 0)
		return r;
	if (in->has_local_addr && addr_is_bound(&in->local_addr) &&
	    bind(fd, (const struct sockaddr *)in->local_addr.data, in->local_addr.len) < 0)
		return log_error_errno(negative_errno(), "inet socket (file %u): cannot bind", e->id);
	if (in->listening && listen(fd, SOMAXCONN) < 0)
		return negative_errno();
	if (in->has_peer_addr && in->type == SOCK_DGRAM &&
	    connect(fd, (const struct sockaddr *)in->peer_addr.data, in->peer_addr.len) < 0)
		return log_error_errno(negative_errno(), "UDP socket (file %u): cannot connect", e->id);
	if (in->udp_cork && setsockopt(fd, IPPROTO_UDP, UDP_CORK, &one, sizeof(one)) < 0)
		return log_error_errno(negative_errno(), "UDP socket (file %u): cannot set UDP_CORK", e->id);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int inet_file_stage(const FileEntry *e)
{
	/* an accepted connection binds its listener's port: listeners first */
	return e->inet->tcp ? 1 : 0;
}

const struct fd_kind_ops fd_inet_ops = {
	.name = "inet socket",
	.kind = FD_KIND__FDK_INET,
	.match = inet_match,
	.collect = inet_collect,
	.file_stage = inet_file_stage,
	.restore = inet_restore,
};
