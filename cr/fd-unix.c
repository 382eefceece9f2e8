/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * AF_UNIX sockets: socketpairs and accepted connections whose two ends are
 * both dumped (stream, dgram, seqpacket; unread data both ways), listening
 * sockets bound to a path or an abstract name with no connection waiting,
 * and unconnected sockets.  The peer of a socket comes from sock_diag (NETLINK_SOCK_DIAG,
 * UNIX_DIAG_PEER): the socket must be in our network namespace.  Queued
 * data is peeked (MSG_PEEK, datagram by datagram with SO_PEEK_OFF, which is
 * put back as it was).  Fds in flight (SCM_RIGHTS) are collected as files
 * (shared with the task's fds when they are the same description) and sent
 * again at restore (unix sockets in flight are made then).  Anything else is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <stdio.h>
#include <unistd.h>
#include "fd-sockopt.h"
#include "fds.h"
#include "fds-internal.h"
#include "log.h"
#include "util.h"

static bool unix_match(const struct fd_probe *p)
{
	return p->sk_family == AF_UNIX &&
	       (p->sk_type == SOCK_STREAM || p->sk_type == SOCK_DGRAM || p->sk_type == SOCK_SEQPACKET);
}

struct unix_diag_info {
	uint32_t peer;
	uint32_t rqueue;	/* listening: connections waiting */
	uint8_t state;
	uint8_t shutdown;	/* sk_shutdown: RCV_SHUTDOWN 1, SEND_SHUTDOWN 2 */
	uint32_t *icons;	/* listening: the client inode of each waiting connection (malloc'ed) */
	size_t n_icons;
};

/* Ask sock_diag about one unix socket by inode. */
static int unix_diag(uint32_t ino, struct unix_diag_info *ret)
{
	_cleanup_close_ int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST },
		.r = { .sdiag_family = AF_UNIX, .udiag_states = ~0u, .udiag_ino = ino,
		       .udiag_show = UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN | UDIAG_SHOW_ICONS,
		       .udiag_cookie = { ~0u, ~0u } },
	};
	uint32_t buf[16384];
	ssize_t n;

	if (nl < 0)
		return negative_errno();
	if (send(nl, &req, sizeof(req), 0) < 0)
		return negative_errno();
	n = recv(nl, buf, sizeof(buf), 0);
	if (n < 0)
		return negative_errno();
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if ((size_t)n < sizeof(*h) || h->nlmsg_len < sizeof(*h) || h->nlmsg_len > (size_t)n)
		return -EBADMSG;
	if (h->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(h);
		return e->error ? e->error : -ENOENT;
	}
	struct unix_diag_msg *m = NLMSG_DATA(h);
	memset(ret, 0, sizeof(*ret));
	ret->state = m->udiag_state;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EBADMSG;
	const char *at = (const char *)(m + 1), *end = (const char *)h + h->nlmsg_len;
	while (at + sizeof(struct nlattr) <= end) {
		const struct nlattr *a = (const struct nlattr *)at;

		if (a->nla_len < sizeof(*a) || at + a->nla_len > end)
			break;
		if (a->nla_type == UNIX_DIAG_PEER && a->nla_len >= sizeof(*a) + 4)
			memcpy(&ret->peer, a + 1, sizeof(uint32_t));
		else if (a->nla_type == UNIX_DIAG_RQLEN && a->nla_len >= sizeof(*a) + 4)
			memcpy(&ret->rqueue, a + 1, sizeof(uint32_t));
		else if (a->nla_type == UNIX_DIAG_SHUTDOWN && a->nla_len >= sizeof(*a) + 1)
			memcpy(&ret->shutdown, a + 1, 1);
		else if (a->nla_type == UNIX_DIAG_ICONS && !ret->icons) {
			ret->n_icons = (a->nla_len - sizeof(*a)) / sizeof(uint32_t);
			ret->icons = malloc((ret->n_icons ? ret->n_icons : 1) * sizeof(uint32_t));
			if (!ret->icons)
				return -ENOMEM;
			memcpy(ret->icons, a + 1, ret->n_icons * sizeof(uint32_t));
		}
		at += NLA_ALIGN(a->nla_len);
	}
	return 0;
}

static int add_item(UnixFile *u, const void *data, size_t len)
{
	ProtobufCBinaryData *n = realloc(u->queue, (u->n_queue + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	u->queue = n;
	n[u->n_queue].data = malloc(len ? len : 1);
	if (!n[u->n_queue].data)
		return -ENOMEM;
	memcpy(n[u->n_queue].data, data, len);
	n[u->n_queue++].len = len;
	return 0;
}

#define MAX_FDS_PER_ITEM 64

/* Peek one item (at the current peek offset), copies of the fds it carries
 * and who sent it. */
static ssize_t peek_one(int fd, void *buf, size_t len, int *fds, size_t *nr_fds, struct ucred *cred, bool *has_cred)
{
	char cbuf[CMSG_SPACE(sizeof(int) * MAX_FDS_PER_ITEM) + CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	ssize_t n = recvmsg(fd, &mh, MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	*nr_fds = 0;
	*has_cred = false;
	if (n < 0)
		return errno == EAGAIN ? 0 : negative_errno();
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(fds + *nr_fds, CMSG_DATA(c), k * sizeof(int));
			*nr_fds += k;
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
			   c->cmsg_len >= CMSG_LEN(sizeof(*cred))) {
			memcpy(cred, CMSG_DATA(c), sizeof(*cred));
			*has_cred = true;
		}
	if (mh.msg_flags & MSG_CTRUNC)
		return -ETOOMANYREFS;
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	return n;
}

/*
 * What the restore can send in flight: files of stage 0 (made at once), and
 * unix sockets of stage 1 (socketpair ends, accepted connections, sockets
 * whose peer is gone, unconnected ones): made when the carrying socket's
 * queue is refilled, itself a unix socket of stage 1 or later.  Listeners,
 * bound and waiting sockets, epolls and the rest are not.
 */
static bool can_fly(const FileEntry *e)
{
	int stage = fd_file_stage(e);

	return stage == 0 || (e->unix_sk && stage == 1);
}

/* Collect the files of fds in flight of item idx (and close our copies). */
static int collect_item_fds(struct fd_ctx *ctx, UnixFile *u, size_t idx, int *fds, size_t nr)
{
	UnixQueuedFds *q, **n;
	int r = 0;

	q = calloc(1, sizeof(*q));
	n = q ? realloc(u->queue_fds, (u->n_queue_fds + 1) * sizeof(*n)) : NULL;
	if (n) {
		u->queue_fds = n;
		unix_queued_fds__init(q);
		u->queue_fds[u->n_queue_fds++] = q;
		q->item = idx;
		q->file_ids = calloc(nr, sizeof(uint32_t));
	}
	if (!n || !q->file_ids) {
		if (!n)
			free(q);
		r = -ENOMEM;
	}
	for (size_t i = 0; i < nr; i++) {
		if (r >= 0) {
			r = fd_ctx_collect_in_flight(ctx, fds[i], &q->file_ids[i]);
			if (r >= 0)
				q->n_file_ids++;
			if (r >= 0 && !can_fly(fd_ctx_file(ctx, q->file_ids[i] - 1))) {
				log_error("fd in flight: %s is not supported in flight",
					  fd_kind_by_id(fd_ctx_file(ctx, q->file_ids[i] - 1)->kind)->name);
				r = -EOPNOTSUPP;
			}
		}
		close(fds[i]);
	}
	return r;
}

static int add_cred(UnixFile *u, size_t idx, const struct ucred *cred)
{
	UnixQueuedCred *c = calloc(1, sizeof(*c)), **n = c ? realloc(u->queue_creds, (u->n_queue_creds + 1) * sizeof(*n)) : NULL;

	if (!n) {
		free(c);
		return -ENOMEM;
	}
	unix_queued_cred__init(c);
	c->item = idx;
	c->pid = cred->pid;
	c->uid = cred->uid;
	c->gid = cred->gid;
	u->queue_creds = n;
	n[u->n_queue_creds++] = c;
	return 0;
}

/*
 * Every item with its fds in flight and its sender's credentials.  The
 * kernel gives the credentials only to a socket with SO_PASSCRED: it is
 * switched on for the peek (the task is frozen) and put back.
 */
static int peek_queue(struct fd_ctx *ctx, const struct fd_probe *p, UnixFile *u)
{
	int inq = 0, old_off = -1, zero = 0, passcred = 0, one = 1, r = 0;
	socklen_t len = sizeof(old_off), plen = sizeof(passcred);
	_cleanup_free_ uint8_t *buf = NULL;
	size_t bufsz;

	if (ioctl(p->local_fd, SIOCINQ, &inq) < 0)
		return negative_errno();
	if (inq <= 0)
		return 0;
	/* dgram SIOCINQ is the first datagram only: size the buffer by the queue limit */
	bufsz = p->sk_type == SOCK_STREAM ? (size_t)inq : (size_t)inq + (1 << 20);
	buf = malloc(bufsz);
	if (!buf)
		return -ENOMEM;
	if (getsockopt(p->local_fd, SOL_SOCKET, SO_PEEK_OFF, &old_off, &len) < 0 ||
	    getsockopt(p->local_fd, SOL_SOCKET, SO_PASSCRED, &passcred, &plen) < 0 ||
	    setsockopt(p->local_fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) < 0)
		return negative_errno();
	if (!passcred && setsockopt(p->local_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		r = negative_errno();
	while (r >= 0) {
		int fds[MAX_FDS_PER_ITEM];
		size_t nr_fds;
		struct ucred cred;
		bool has_cred;
		ssize_t n = peek_one(p->local_fd, buf, bufsz, fds, &nr_fds, &cred, &has_cred);

		if (n <= 0) {
			r = n;
			break;
		}
		r = add_item(u, buf, n);
		if (r >= 0 && has_cred)
			r = add_cred(u, u->n_queue - 1, &cred);
		if (r >= 0 && nr_fds)
			r = collect_item_fds(ctx, u, u->n_queue - 1, fds, nr_fds);
		else
			for (size_t i = 0; i < nr_fds; i++)
				close(fds[i]);
		if (r < 0)
			break;
	}
	/* the task's peek offset and SO_PASSCRED, as they were */
	setsockopt(p->local_fd, SOL_SOCKET, SO_PEEK_OFF, &old_off, sizeof(old_off));
	if (!passcred)
		setsockopt(p->local_fd, SOL_SOCKET, SO_PASSCRED, &passcred, sizeof(passcred));
	if (r == -EOPNOTSUPP || r == -ETOOMANYREFS)
		log_error("pid %d fd %d: unix socket carries an fd in flight (SCM_RIGHTS) that cannot be dumped",
			  p->pid, p->fd);
	return r;
}

static int copy_name(const struct sockaddr_un *sun, socklen_t len, protobuf_c_boolean *has, ProtobufCBinaryData *ret)
{
	if (len <= offsetof(struct sockaddr_un, sun_path))
		return 0;
	ret->len = len - offsetof(struct sockaddr_un, sun_path);
	ret->data = malloc(ret->len);
	if (!ret->data)
		return -ENOMEM;
	memcpy(ret->data, sun->sun_path, ret->len);
	*has = true;
	return 0;
}

static int collect_listener(const struct fd_probe *p, UnixFile *u, const struct unix_diag_info *di)
{
	u->has_listening = u->listening = true;
	if (!di->n_icons)
		return 0;
	u->waiting = calloc(di->n_icons, sizeof(uint64_t));
	if (!u->waiting)
		return -ENOMEM;
	for (size_t i = 0; i < di->n_icons; i++)
		u->waiting[i] = di->icons[i];
	u->n_waiting = di->n_icons;
	log_debug("pid %d fd %d: unix listener with %zu connections waiting in accept()", p->pid, p->fd, u->n_waiting);
	return 0;
}

/*
 * A connected stream socket whose peer sock_diag does not name: either its
 * connection waits in a listener's accept queue (the embryo has no inode
 * yet), or its peer was closed (then the kernel shut it down both ways).
 */
static int collect_peerless(const struct fd_probe *p, UnixFile *u, const struct unix_diag_info *di)
{
	int outq = 0;

	if (di->shutdown == 3)	/* peer closed: data, then EOF */
		return 0;
	if (ioctl(p->local_fd, SIOCOUTQ, &outq) < 0)
		return negative_errno();
	if (outq > 0) {
		log_error("pid %d fd %d: unix socket sent %d bytes on a connection not accepted yet; not supported",
			  p->pid, p->fd, outq);
		return -EOPNOTSUPP;
	}
	u->has_queued = u->queued = true;
	return 0;
}

static int unix_collect(struct fd_ctx *ctx, const struct fd_probe *p, FileEntry *e)
{
	UnixFile *u = calloc(1, sizeof(*u));
	struct unix_diag_info di = { 0 };
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	int r;

	if (!u)
		return -ENOMEM;
	unix_file__init(u);
	e->unix_sk = u;
	e->has_pos = false;
	u->ino = p->st.st_ino;
	u->type = p->sk_type;
	r = unix_diag(p->st.st_ino, &di);
	if (r < 0) {
		free(di.icons);
		return log_error_errno(r, "pid %d fd %d: sock_diag on unix socket %llu (another network namespace?)",
				       p->pid, p->fd, (unsigned long long)u->ino);
	}
	if (di.shutdown) {
		u->has_shutdown = true;
		u->shutdown = di.shutdown;
	}
	if (getsockname(p->local_fd, (struct sockaddr *)&sun, &len) < 0 ||
	    (r = copy_name(&sun, len, &u->has_name, &u->name)) < 0 ||
	    (r = sockopts_collect(p->local_fd, AF_UNIX, p->sk_type, 0, &u->opts, &u->n_opts)) < 0) {
		free(di.icons);
		return r < 0 ? r : negative_errno();
	}
	if (di.state == TCP_LISTEN) {
		r = collect_listener(p, u, &di);
		free(di.icons);
		return r;
	}
	free(di.icons);
	if (di.peer) {
		u->has_peer_ino = true;
		u->peer_ino = di.peer;
		len = sizeof(sun);
		/* a dgram socket connected to a bound one connects again by name */
		if (p->sk_type == SOCK_DGRAM && getpeername(p->local_fd, (struct sockaddr *)&sun, &len) == 0 &&
		    (r = copy_name(&sun, len, &u->has_peer_name, &u->peer_name)) < 0)
			return r;
		if (u->has_name && p->sk_type == SOCK_DGRAM && !u->has_peer_name) {
			log_error("pid %d fd %d: bound unix datagram socket connected to an unbound one is not supported",
				  p->pid, p->fd);
			return -EOPNOTSUPP;
		}
	} else if (p->sk_type == SOCK_STREAM || p->sk_type == SOCK_SEQPACKET) {
		if (di.state == TCP_ESTABLISHED)
			r = collect_peerless(p, u, &di);
		else if (di.state != TCP_CLOSE) {
			log_error("pid %d fd %d: unix stream socket in state %u without a peer is not supported",
				  p->pid, p->fd, di.state);
			r = -EOPNOTSUPP;
		}
		if (r < 0)
			return r;
	}
	return peek_queue(ctx, p, u);
}

static const UnixFile *find_unix(struct fd_ctx *ctx, uint64_t ino)
{
	for (size_t i = 0; i < fd_ctx_nr_files(ctx); i++) {
		const FileEntry *f = fd_ctx_file(ctx, i);
		if (f->unix_sk && f->unix_sk->ino == ino)
			return f->unix_sk;
	}
	return NULL;
}

static const UnixQueuedFds *item_fds(const UnixFile *u, size_t idx)
{
	for (size_t i = 0; i < u->n_queue_fds; i++)
		if (u->queue_fds[i]->item == idx)
			return u->queue_fds[i];
	return NULL;
}

static const UnixQueuedCred *item_cred(const UnixFile *u, size_t idx)
{
	for (size_t i = 0; i < u->n_queue_creds; i++)
		if (u->queue_creds[i]->item == idx)
			return u->queue_creds[i];
	return NULL;
}

/* The control part of an item: its fds in flight and its sender's credentials. */
static void build_control(struct msghdr *mh, char *cbuf, const int *fds, size_t nr, const struct ucred *cred)
{
	struct cmsghdr *c = (struct cmsghdr *)cbuf;

	mh->msg_controllen = 0;
	if (nr) {
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nr * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nr * sizeof(int));
		mh->msg_controllen += CMSG_SPACE(nr * sizeof(int));
		c = (struct cmsghdr *)(cbuf + mh->msg_controllen);
	}
	if (cred) {
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof(*cred));
		memcpy(CMSG_DATA(c), cred, sizeof(*cred));
		mh->msg_controllen += CMSG_SPACE(sizeof(*cred));
	}
	mh->msg_control = mh->msg_controllen ? cbuf : NULL;
}

static int unix_restore(struct fd_ctx *ctx, const FileEntry *e, int *ret_fd);

/*
 * An fd to send in flight: a unix socket (of stage 1, held by no task: see
 * check_in_flight) is made here, with its status flags; other files by the
 * fd driver.
 */
static int file_for_send(struct fd_ctx *ctx, uint32_t id, int *ret_fd, bool *ret_owned)
{
	const FileEntry *fe = id >= 1 && id <= fd_ctx_nr_files(ctx) ? fd_ctx_file(ctx, id - 1) : NULL;
	int r;

	if (!fe || !fe->unix_sk || fd_file_stage(fe) == 0)
		return fd_ctx_file_for_send(ctx, id, ret_fd, ret_owned);
	r = unix_restore(ctx, fe, ret_fd);
	if (r < 0)
		return log_error_errno(r, "unix socket %llu (file %u) in flight: restore failed",
				       (unsigned long long)fe->unix_sk->ino, id);
	if (fcntl(*ret_fd, F_SETFL, fe->flags & O_NONBLOCK) < 0) {
		r = negative_errno();
		close(*ret_fd);
		return log_error_errno(r, "unix socket (file %u) in flight: flags", id);
	}
	*ret_owned = true;
	return 0;
}

/*
 * Send item idx again, with its fds in flight (the task's own where shared)
 * and its sender's credentials (root may name any uid, gid and existing
 * pid; a sender that does not exist (yet) gives way to ours, with a warning).
 */
static int send_item(struct fd_ctx *ctx, int fd, const UnixFile *u, size_t idx, const struct sockaddr_un *to,
		     socklen_t tolen)
{
	const UnixQueuedFds *q = item_fds(u, idx);
	const UnixQueuedCred *qc = item_cred(u, idx);
	int fds[MAX_FDS_PER_ITEM];
	bool owned[MAX_FDS_PER_ITEM];
	size_t nr = 0;
	char cbuf[CMSG_SPACE(sizeof(fds)) + CMSG_SPACE(sizeof(struct ucred))] __attribute__((aligned(8))) = { 0 };
	struct iovec iov = { u->queue[idx].data, u->queue[idx].len };
	struct msghdr mh = { .msg_name = (void *)to, .msg_namelen = tolen, .msg_iov = &iov, .msg_iovlen = 1 };
	struct ucred cred;
	int r = 0;

	if (q && q->n_file_ids > MAX_FDS_PER_ITEM)
		return -EBADMSG;
	for (; q && nr < q->n_file_ids && r >= 0; nr++)
		r = file_for_send(ctx, q->file_ids[nr], &fds[nr], &owned[nr]);
	if (r < 0)
		nr--;
	if (qc)
		cred = (struct ucred){ .pid = qc->pid, .uid = qc->uid, .gid = qc->gid };
	if (r >= 0) {
		build_control(&mh, cbuf, fds, nr, qc ? &cred : NULL);
		ssize_t n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == ESRCH && qc) {
			log_warn("unix socket %llu: the sender (pid %d) of a queued message does not exist now; "
				 "its credentials name pid %d", (unsigned long long)u->ino, qc->pid, getpid());
			cred.pid = getpid();
			build_control(&mh, cbuf, fds, nr, &cred);
			n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		}
		if (n != (ssize_t)u->queue[idx].len)
			r = log_error_errno(n < 0 ? negative_errno() : -EIO, "unix socket %llu: cannot requeue %zu bytes",
					    (unsigned long long)u->ino, u->queue[idx].len);
	}
	for (size_t i = 0; i < nr; i++)
		if (owned[i])
			close(fds[i]);
	return r;
}

static int send_items(struct fd_ctx *ctx, int fd, const UnixFile *u, const struct sockaddr_un *to, socklen_t tolen)
{
	int r = 0;

	for (size_t i = 0; i < u->n_queue && r >= 0; i++)
		r = send_item(ctx, fd, u, i, to, tolen);
	return r;
}

static int name_addr(const UnixFile *u, struct sockaddr_un *sun, socklen_t *len)
{
	if (!u->has_name || u->name.len > sizeof(sun->sun_path))
		return -EBADMSG;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, u->name.data, u->name.len);
	*len = offsetof(struct sockaddr_un, sun_path) + u->name.len;
	return 0;
}

/* Put a socket node that is in the way aside (rename), to put it back after. */
static int set_aside(const struct sockaddr_un *sun, char *aside, size_t len)
{
	struct stat st;

	aside[0] = 0;
	if (!sun->sun_path[0] || lstat(sun->sun_path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	snprintf(aside, len, "%s.cryo-aside", sun->sun_path);
	return rename(sun->sun_path, aside) < 0 ? negative_errno() : 0;
}

/*
 * An accepted connection: the server end is named after its listener.  A
 * short-lived listener on that name (any socket node there is renamed aside
 * meanwhile; the real listener is restored in a later stage) gives a pair
 * with the same names.
 */
static int connect_via_name(const UnixFile *server, int *ret_server, int *ret_client)
{
	struct sockaddr_un sun;
	socklen_t len;
	char aside[sizeof(sun.sun_path) + 16];
	int r = name_addr(server, &sun, &len);

	if (r < 0)
		return r;
	_cleanup_close_ int l = socket(AF_UNIX, server->type | SOCK_CLOEXEC, 0);
	_cleanup_close_ int c = socket(AF_UNIX, server->type | SOCK_CLOEXEC, 0);
	if (l < 0 || c < 0)
		return negative_errno();
	r = set_aside(&sun, aside, sizeof(aside));
	if (r < 0)
		return log_error_errno(r, "unix socket %llu: cannot borrow its name", (unsigned long long)server->ino);
	if (bind(l, (struct sockaddr *)&sun, len) < 0 || listen(l, 1) < 0 ||
	    connect(c, (struct sockaddr *)&sun, len) < 0 || (*ret_server = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0)
		r = log_error_errno(negative_errno(), "unix socket %llu: cannot reconnect through its listener's name",
				    (unsigned long long)server->ino);
	if (sun.sun_path[0])
		unlink(sun.sun_path);
	if (aside[0] && rename(aside, sun.sun_path) < 0 && r >= 0)
		r = negative_errno();
	if (r < 0)
		return r;
	*ret_client = TAKE_FD(c);
	return 0;
}

static int restore_pair(struct fd_ctx *ctx, const FileEntry *e, int *ret_fd)
{
	const UnixFile *u = e->unix_sk, *peer;
	int sk[2], r;

	*ret_fd = fd_ctx_take_pipe_end(ctx, u->ino, false);
	if (*ret_fd >= 0)
		return 0;
	peer = find_unix(ctx, u->peer_ino);
	if (!peer || peer->peer_ino != u->ino || (u->has_name && peer->has_name)) {
		log_error("unix socket %llu (file %u): its peer %llu is not a socketpair end or accepted connection in the dump; not supported",
			  (unsigned long long)u->ino, e->id, (unsigned long long)u->peer_ino);
		return -EOPNOTSUPP;
	}
	if (u->has_name)
		r = connect_via_name(u, &sk[0], &sk[1]);
	else if (peer->has_name)
		r = connect_via_name(peer, &sk[1], &sk[0]);
	else
		r = socketpair(AF_UNIX, u->type | SOCK_CLOEXEC, 0, sk) < 0 ? negative_errno() : 0;
	if (r < 0)
		return r;
	/* what one end had received, the other end sends again */
	r = send_items(ctx, sk[1], u, NULL, 0);
	if (r >= 0)
		r = send_items(ctx, sk[0], peer, NULL, 0);
	if (r < 0) {
		close(sk[0]);
		close(sk[1]);
		return r;
	}
	*ret_fd = sk[0];
	return fd_ctx_put_pipe_end(ctx, peer->ino, false, sk[1]);
}

static void log_name(const ProtobufCBinaryData *n, char *buf, size_t size)
{
	if (n->len && !n->data[0])
		snprintf(buf, size, "@%.*s", (int)n->len - 1, (const char *)n->data + 1);
	else
		snprintf(buf, size, "%.*s", (int)n->len, (const char *)n->data);
}

/*
 * The connections waiting in the listener's accept queue: a new client
 * connects for each, in order; its end waits in the ctx for the client's
 * own file (a later stage, or a child).
 */
static int connect_waiting(struct fd_ctx *ctx, const UnixFile *u, const struct sockaddr_un *sun, socklen_t len)
{
	if (u->n_waiting && !u->has_name)	/* listen() names a socket: a bad image */
		return -EBADMSG;
	for (size_t i = 0; i < u->n_waiting; i++) {
		int c = socket(AF_UNIX, u->type | SOCK_CLOEXEC, 0), r;

		if (c < 0)
			return negative_errno();
		if (connect(c, (const struct sockaddr *)sun, len) < 0) {
			r = negative_errno();
			close(c);
			return log_error_errno(r, "unix listener %llu: cannot queue its waiting connection %zu",
					       (unsigned long long)u->ino, i);
		}
		r = fd_ctx_put_pipe_end(ctx, u->waiting[i], false, c);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A connected socket whose peer was closed: its data, then EOF. */
static int restore_orphan(struct fd_ctx *ctx, const UnixFile *u, int *ret_fd)
{
	int sk[2], r;

	if (u->has_name)
		r = connect_via_name(u, &sk[0], &sk[1]);
	else
		r = socketpair(AF_UNIX, u->type | SOCK_CLOEXEC, 0, sk) < 0 ? negative_errno() : 0;
	if (r < 0)
		return r;
	r = send_items(ctx, sk[1], u, NULL, 0);
	close(sk[1]);
	if (r < 0) {
		close(sk[0]);
		return r;
	}
	*ret_fd = sk[0];
	return 0;
}

/* Bind fd to u's name (a path left by the dumped socket: only a socket node is replaced). */
static int bind_again(uint32_t id, const UnixFile *u, int fd, struct sockaddr_un *sun, socklen_t *len)
{
	struct stat st;
	int r = name_addr(u, sun, len);

	if (r < 0)
		return r;
	if (sun->sun_path[0] && lstat(sun->sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(sun->sun_path);
	if (bind(fd, (struct sockaddr *)sun, *len) < 0)
		return log_error_errno(negative_errno(), "unix socket (file %u): cannot bind %s%s", id,
				       sun->sun_path[0] ? "" : "@", sun->sun_path[0] ? sun->sun_path : sun->sun_path + 1);
	return 0;
}

/* The bound dgram socket u's peer, if that peer is bound and connected back to u. */
static const UnixFile *mutual_peer(struct fd_ctx *ctx, const UnixFile *u)
{
	const UnixFile *peer;

	if (u->type != SOCK_DGRAM || !u->has_name || !u->has_peer_name || !u->peer_ino)
		return NULL;
	peer = find_unix(ctx, u->peer_ino);
	return peer && peer->peer_ino == u->ino && peer->has_name && peer->has_peer_name ? peer : NULL;
}

/*
 * Two bound dgram sockets connected to each other: each needs the other's
 * name to exist before it connects, so the first one restored makes both:
 * bound, connected both ways, each one's datagrams sent again by the other
 * (a connected dgram socket takes datagrams only from its peer); the second
 * waits in the ctx for its holder.
 */
static int restore_mutual(struct fd_ctx *ctx, const FileEntry *e, const UnixFile *peer, int *ret_fd)
{
	const UnixFile *u = e->unix_sk;
	struct sockaddr_un sa, sb;
	socklen_t la, lb;
	int r;

	*ret_fd = fd_ctx_take_pipe_end(ctx, u->ino, false);
	if (*ret_fd >= 0)
		return 0;
	_cleanup_close_ int a = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	_cleanup_close_ int b = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (a < 0 || b < 0)
		return negative_errno();
	if ((r = bind_again(e->id, u, a, &sa, &la)) < 0 || (r = bind_again(e->id, peer, b, &sb, &lb)) < 0)
		return r;
	if (connect(a, (struct sockaddr *)&sb, lb) < 0 || connect(b, (struct sockaddr *)&sa, la) < 0)
		return log_error_errno(negative_errno(), "unix socket (file %u): cannot connect to its peer %llu again",
				       e->id, (unsigned long long)peer->ino);
	if ((r = send_items(ctx, b, u, NULL, 0)) < 0 || (r = send_items(ctx, a, peer, NULL, 0)) < 0)
		return r;
	r = fd_ctx_put_pipe_end(ctx, peer->ino, false, b);
	if (r < 0)
		return r;
	b = -1;
	*ret_fd = TAKE_FD(a);
	return 0;
}

static int restore_named(struct fd_ctx *ctx, const FileEntry *e, int *ret_fd)
{
	const UnixFile *u = e->unix_sk;
	_cleanup_close_ int fd = socket(AF_UNIX, u->type | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun;
	socklen_t len = 0;
	char name[sizeof(sun.sun_path) + 2];
	int r;

	if (fd < 0)
		return negative_errno();
	if (u->has_name && (r = bind_again(e->id, u, fd, &sun, &len)) < 0)
		return r;
	if (u->listening && listen(fd, SOMAXCONN) < 0)
		return negative_errno();
	if (u->listening && (r = connect_waiting(ctx, u, &sun, len)) < 0)
		return r;
	if (u->has_peer_name) {
		struct sockaddr_un to = { .sun_family = AF_UNIX };
		if (u->peer_name.len > sizeof(to.sun_path))
			return -EBADMSG;
		memcpy(to.sun_path, u->peer_name.data, u->peer_name.len);
		if (connect(fd, (struct sockaddr *)&to, offsetof(struct sockaddr_un, sun_path) + u->peer_name.len) < 0) {
			log_name(&u->peer_name, name, sizeof(name));
			return log_error_errno(negative_errno(), "unix socket (file %u): cannot connect again to %s",
					       e->id, name);
		}
	}
	if (u->n_queue) {
		if (u->type != SOCK_DGRAM || !u->has_name) {
			log_error("unix socket (file %u): queued data without a peer or a name; not supported", e->id);
			return -EOPNOTSUPP;
		}
		_cleanup_close_ int tx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (tx < 0)
			return negative_errno();
		if ((r = send_items(ctx, tx, u, &sun, len)) < 0)
			return r;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* The listener (in the dump) whose accept queue holds client ino. */
static const UnixFile *find_listener_of(struct fd_ctx *ctx, uint64_t ino)
{
	for (size_t i = 0; i < fd_ctx_nr_files(ctx); i++) {
		const UnixFile *l = fd_ctx_file(ctx, i)->unix_sk;
		for (size_t j = 0; l && j < l->n_waiting; j++)
			if (l->waiting[j] == ino)
				return l;
	}
	return NULL;
}

/*
 * A peer outside the dump.  A dgram socket connected to a bound one only
 * needs that name at restore: with --ext-unix-sk it connects to it again.
 * A stream's connection cannot be made again with a process we do not
 * restore: refused.
 */
static int check_external(struct fd_ctx *ctx, const UnixFile *u, int pid, int fd)
{
	char name[sizeof(((struct sockaddr_un *)0)->sun_path) + 2] = "";

	if (u->has_peer_name)
		log_name(&u->peer_name, name, sizeof(name));
	if (u->type == SOCK_DGRAM && u->has_peer_name && fd_ctx_opts(ctx)->ext_unix_sk) {
		log_info("pid %d fd %d: unix datagram socket connected to %s outside the dump: connected to that name again at restore",
			 pid, fd, name);
		return 0;
	}
	if (u->type == SOCK_DGRAM && u->has_peer_name)
		log_error("pid %d fd %d: unix datagram socket connected to socket %llu (%s) outside the dump; dump with --ext-unix-sk to connect it to that name again at restore",
			  pid, fd, (unsigned long long)u->peer_ino, name);
	else
		log_error("pid %d fd %d: unix socket connected to socket %llu outside the dump (%s); not supported (--ext-unix-sk covers datagram sockets connected to a bound one)",
			  pid, fd, (unsigned long long)u->peer_ino,
			  u->type == SOCK_DGRAM ? "datagram" : u->type == SOCK_STREAM ? "stream" : "seqpacket");
	return -EOPNOTSUPP;
}

/* How many times file id is in flight in the queues of the dump's unix sockets. */
static size_t times_in_flight(struct fd_ctx *ctx, uint32_t id)
{
	size_t n = 0;

	for (size_t i = 0; i < fd_ctx_nr_files(ctx); i++) {
		const UnixFile *c = fd_ctx_file(ctx, i)->unix_sk;
		for (size_t k = 0; c && k < c->n_queue_fds; k++)
			for (size_t j = 0; j < c->queue_fds[k]->n_file_ids; j++)
				n += c->queue_fds[k]->file_ids[j] == id;
	}
	return n;
}

static bool held_by_a_task(struct fd_ctx *ctx, uint32_t id)
{
	for (size_t t = 0; t < ctx->nr_tasks; t++)
		for (size_t i = 0; i < ctx->tasks[t].nr_fds; i++)
			if (ctx->tasks[t].fds[i]->file_id == id)
				return true;
	return false;
}

/*
 * A unix socket in flight is made by the restore when its carrier's queue is
 * refilled, one new description per send: it must be in flight once, and in
 * no task's fd table (the task's fd would be another description).
 */
static int check_in_flight(struct fd_ctx *ctx, const FileEntry *e)
{
	size_t n = times_in_flight(ctx, e->id);

	if (n == 0 || fd_file_stage(e) == 0)
		return 0;
	if (n > 1 || held_by_a_task(ctx, e->id)) {
		log_error("unix socket %llu is in flight (SCM_RIGHTS) %s; not supported",
			  (unsigned long long)e->unix_sk->ino, n > 1 ? "more than once" : "and open in a task too");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int unix_check(struct fd_ctx *ctx, const FileEntry *e, int pid, int fd)
{
	const UnixFile *u = e->unix_sk, *peer;
	int r = check_in_flight(ctx, e);

	if (r < 0)
		return r;

	if (u->queued) {
		if (find_listener_of(ctx, u->ino))
			return 0;
		log_error("pid %d fd %d: unix socket whose connection waits in the accept queue of a listener outside the dump; not supported",
			  pid, fd);
		return -EOPNOTSUPP;
	}
	for (size_t i = 0; i < u->n_waiting; i++)
		if (!find_unix(ctx, u->waiting[i]) && u->waiting[i]) {
			log_error("pid %d fd %d: unix listener with a connection waiting in accept() from socket %llu outside the dump; not supported",
				  pid, fd, (unsigned long long)u->waiting[i]);
			return -EOPNOTSUPP;
		}
	if (!u->peer_ino)
		return 0;
	peer = find_unix(ctx, u->peer_ino);
	if (!peer)
		return check_external(ctx, u, pid, fd);
	if (u->has_peer_name)	/* connected to a bound one; both ways: see restore_mutual() */
		return 0;
	if (peer->peer_ino != u->ino || (peer->has_name && (u->has_name || u->type == SOCK_DGRAM))) {
		log_error("pid %d fd %d: unix socket connected to a bound socket (neither a socketpair nor an accepted connection); not supported",
			  pid, fd);
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * Stage 1: connected ones (their fds in flight may be the task's files of
 * stage 0); 2: bound ones and listeners (after the accepted connections
 * that borrow their names; a listener queues its waiting connections);
 * 3: the clients of those connections, and dgram sockets that connect to a
 * bound one by name.
 */
static int unix_file_stage(const FileEntry *e)
{
	const UnixFile *u = e->unix_sk;

	if (u->queued || u->has_peer_name)
		return 3;
	return u->listening || (u->has_name && !u->peer_ino) ? 2 : 1;
}

static int restore_queued(struct fd_ctx *ctx, const FileEntry *e, int *ret_fd)
{
	*ret_fd = fd_ctx_take_pipe_end(ctx, e->unix_sk->ino, false);
	if (*ret_fd >= 0)
		return 0;
	log_error("unix socket %llu (file %u): its listener was not restored before it (it must be in this task or an ancestor)",
		  (unsigned long long)e->unix_sk->ino, e->id);
	return -ENOENT;
}

static bool peer_closed(const UnixFile *u)
{
	return u->type != SOCK_DGRAM && !u->peer_ino && !u->listening && !u->queued && u->shutdown == 3;
}

/* What the socket's own state adds: options, shutdown. */
static int restore_state(const FileEntry *e, int fd)
{
	const UnixFile *u = e->unix_sk;
	int r = sockopts_restore(fd, u->opts, u->n_opts, SOCKOPTS_ALL);

	if (r < 0)
		return log_error_errno(r, "unix socket (file %u): options", e->id);
	/* RCV_SHUTDOWN 1 -> SHUT_RD 0, SEND_SHUTDOWN 2 -> SHUT_WR 1, both -> SHUT_RDWR 2 */
	if (u->shutdown & 3 && !peer_closed(u) && shutdown(fd, (int)(u->shutdown & 3) - 1) < 0)
		return log_error_errno(negative_errno(), "unix socket (file %u): shutdown", e->id);
	return 0;
}

static int unix_restore(struct fd_ctx *ctx, const FileEntry *e, int *ret_fd)
{
	const UnixFile *u = e->unix_sk, *peer;
	int r;

	if (u->queued)
		r = restore_queued(ctx, e, ret_fd);
	else if (peer_closed(u))
		r = restore_orphan(ctx, u, ret_fd);
	else if (u->peer_ino && !u->has_peer_name)
		r = restore_pair(ctx, e, ret_fd);
	else if ((peer = mutual_peer(ctx, u)))
		r = restore_mutual(ctx, e, peer, ret_fd);
	else
		r = restore_named(ctx, e, ret_fd);
	if (r < 0)
		return r;
	r = restore_state(e, *ret_fd);
	if (r < 0)
		close(*ret_fd);
	return r;
}

const struct fd_kind_ops fd_unix_ops = {
	.name = "unix socket",
	.kind = FD_KIND__FDK_UNIX,
	.match = unix_match,
	.collect = unix_collect,
	.check = unix_check,
	.file_stage = unix_file_stage,
	.restore = unix_restore,
};
