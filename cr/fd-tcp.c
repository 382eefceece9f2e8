/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Established TCP connections through TCP_REPAIR (needs CAP_NET_ADMIN).
 *
 * Collect: put the socket in repair mode, read the sequence numbers of both
 * queues, the window (TCP_REPAIR_WINDOW), the negotiated options and the
 * queued bytes (recv MSG_PEEK with TCP_REPAIR_QUEUE selecting the queue),
 * then leave repair mode: the task's connection goes on as before.
 *
 * Restore: a new socket in repair mode is bound, given the sequence numbers
 * (start of each queue), connected (no handshake in repair mode), given
 * options, queues and window, and leaves repair mode; bytes that had never
 * been sent are sent normally afterwards.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fd-sockopt.h"
#include "fd-tcp.h"
#include "log.h"
#include "util.h"

/* linux/tcp.h's, which cannot be included next to netinet/tcp.h */
struct repair_window {
	uint32_t snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup;
};

static int set_int(int fd, int name, int v)
{
	return setsockopt(fd, IPPROTO_TCP, name, &v, sizeof(v)) < 0 ? negative_errno() : 0;
}

static int get_u32(int fd, int name, uint32_t *ret)
{
	socklen_t len = sizeof(*ret);

	return getsockopt(fd, IPPROTO_TCP, name, ret, &len) < 0 ? negative_errno() : 0;
}

/* Sequence number at the end of queue q, and its bytes (len of them). */
static int read_queue(int fd, int q, int len, uint32_t *ret_seq, ProtobufCBinaryData *ret)
{
	int r;

	if ((r = set_int(fd, TCP_REPAIR_QUEUE, q)) < 0 || (r = get_u32(fd, TCP_QUEUE_SEQ, ret_seq)) < 0)
		return r;
	ret->data = malloc(len ? len : 1);
	if (!ret->data)
		return -ENOMEM;
	ret->len = 0;
	if (!len)
		return 0;
	ssize_t n = recv(fd, ret->data, len, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		return negative_errno();
	if (n != len)
		return -EAGAIN;
	ret->len = n;
	return 0;
}

static int collect_in_repair(int fd, TcpStream *t)
{
	struct tcp_info ti;
	struct repair_window w;
	socklen_t len = sizeof(ti);
	int inq, outq, unsent, r;

	if (ioctl(fd, SIOCINQ, &inq) < 0 || ioctl(fd, SIOCOUTQ, &outq) < 0 || ioctl(fd, SIOCOUTQNSD, &unsent) < 0)
		return negative_errno();
	t->unsent = unsent;
	if ((r = read_queue(fd, TCP_RECV_QUEUE, inq, &t->rcv_seq, &t->recv_queue)) < 0 ||
	    (r = read_queue(fd, TCP_SEND_QUEUE, outq, &t->snd_seq, &t->send_queue)) < 0)
		return r;
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return negative_errno();
	if ((r = get_u32(fd, TCP_MAXSEG, &t->mss)) < 0)
		return r;
	if (ti.tcpi_options & TCPI_OPT_WSCALE) {
		t->has_snd_wscale = t->has_rcv_wscale = true;
		t->snd_wscale = ti.tcpi_snd_wscale;
		t->rcv_wscale = ti.tcpi_rcv_wscale;
	}
	t->has_sack = true;
	t->sack = ti.tcpi_options & TCPI_OPT_SACK;
	t->has_timestamps = true;
	t->timestamps = ti.tcpi_options & TCPI_OPT_TIMESTAMPS;
	if ((r = get_u32(fd, TCP_TIMESTAMP, &t->timestamp)) < 0)
		return r;
	t->has_timestamp = true;
	len = sizeof(w);
	if (getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, &len) < 0)
		return negative_errno();
	t->snd_wl1 = w.snd_wl1;
	t->snd_wnd = w.snd_wnd;
	t->max_window = w.max_window;
	t->rcv_wnd = w.rcv_wnd;
	t->rcv_wup = w.rcv_wup;
	return 0;
}

int tcp_stream_collect(const struct fd_probe *p, InetFile *in)
{
	TcpStream *t = calloc(1, sizeof(*t));
	int r, off;

	if (!t)
		return -ENOMEM;
	tcp_stream__init(t);
	in->tcp = t;
	r = set_int(p->local_fd, TCP_REPAIR, TCP_REPAIR_ON);
	if (r < 0)
		return log_error_errno(r, "pid %d fd %d: TCP_REPAIR (needs CAP_NET_ADMIN)", p->pid, p->fd);
	r = collect_in_repair(p->local_fd, t);
	/* leave repair mode whatever happened: the task keeps its connection */
	off = set_int(p->local_fd, TCP_REPAIR, TCP_REPAIR_OFF);
	if (r < 0)
		return log_error_errno(r, "pid %d fd %d: reading the TCP connection in repair mode", p->pid, p->fd);
	if (off < 0)
		return log_error_errno(off, "pid %d fd %d: leaving TCP repair mode", p->pid, p->fd);
	return 0;
}

static int fill_queue(int fd, int q, const uint8_t *data, size_t len)
{
	int r = set_int(fd, TCP_REPAIR_QUEUE, q);

	for (size_t off = 0; r >= 0 && off < len;) {
		ssize_t n = send(fd, data + off, len - off, 0);
		if (n < 0)
			return negative_errno();
		off += n;
	}
	return r;
}

static int set_options(int fd, const TcpStream *t)
{
	struct tcp_repair_opt opts[4];
	int n = 0;

	opts[n++] = (struct tcp_repair_opt){ TCPOPT_MAXSEG, t->mss };
	if (t->has_snd_wscale)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_WINDOW, t->snd_wscale | (t->rcv_wscale << 16) };
	if (t->sack)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_SACK_PERMITTED, 0 };
	if (t->timestamps)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_TIMESTAMP, 0 };
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_OPTIONS, opts, n * sizeof(opts[0])) < 0)
		return negative_errno();
	return 0;
}

static int restore_in_repair(int fd, const InetFile *in)
{
	const TcpStream *t = in->tcp;
	size_t sent = t->send_queue.len - t->unsent;
	struct repair_window w = { t->snd_wl1, t->snd_wnd, t->max_window, t->rcv_wnd, t->rcv_wup };
	int r;

	if (t->unsent > t->send_queue.len)
		return -EBADMSG;
	if ((r = inet_restore_options(fd, in)) < 0)
		return r;
	/* no SO_REUSEADDR here: it would undo the forced reuse of repair mode,
	 * which lets an accepted connection bind its listener's port */
	if (bind(fd, (const struct sockaddr *)in->local_addr.data, in->local_addr.len) < 0)
		return log_error_errno(negative_errno(), "bind");
	/* the queues start where their saved bytes start */
	if ((r = set_int(fd, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE)) < 0 ||
	    (r = set_int(fd, TCP_QUEUE_SEQ, t->snd_seq - t->send_queue.len)) < 0 ||
	    (r = set_int(fd, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE)) < 0 ||
	    (r = set_int(fd, TCP_QUEUE_SEQ, t->rcv_seq - t->recv_queue.len)) < 0)
		return log_error_errno(r, "setting sequence numbers");
	if (connect(fd, (const struct sockaddr *)in->peer_addr.data, in->peer_addr.len) < 0)
		return log_error_errno(negative_errno(), "connect in repair mode");
	if ((r = set_options(fd, t)) < 0)
		return log_error_errno(r, "TCP_REPAIR_OPTIONS");
	if (t->has_timestamp && (r = set_int(fd, TCP_TIMESTAMP, t->timestamp)) < 0)
		return log_error_errno(r, "TCP_TIMESTAMP");
	if ((r = fill_queue(fd, TCP_RECV_QUEUE, t->recv_queue.data, t->recv_queue.len)) < 0 ||
	    (r = fill_queue(fd, TCP_SEND_QUEUE, t->send_queue.data, sent)) < 0)
		return log_error_errno(r, "refilling the queues");
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)) < 0)
		return log_error_errno(negative_errno(), "TCP_REPAIR_WINDOW");
	return 0;
}

int tcp_stream_restore(const FileEntry *e, int *ret_fd)
{
	const InetFile *in = e->inet;
	const TcpStream *t = in->tcp;
	_cleanup_close_ int fd = socket(in->family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	size_t sent = t->send_queue.len - t->unsent;
	int r;

	if (fd < 0)
		return negative_errno();
	if (!in->has_local_addr || !in->has_peer_addr)
		return -EBADMSG;
	r = set_int(fd, TCP_REPAIR, TCP_REPAIR_ON);
	if (r < 0)
		return log_error_errno(r, "TCP connection (file %u): TCP_REPAIR (needs CAP_NET_ADMIN)", e->id);
	r = restore_in_repair(fd, in);
	if (r < 0)
		return log_error_errno(r, "TCP connection (file %u): restore in repair mode", e->id);
	r = set_int(fd, TCP_REPAIR, TCP_REPAIR_OFF);
	if (r < 0)
		return log_error_errno(r, "TCP connection (file %u): leaving repair mode", e->id);
	int one = 1;
	if (in->reuseaddr && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return log_error_errno(negative_errno(), "TCP connection (file %u): SO_REUSEADDR", e->id);
	/* never-sent bytes go out the ordinary way */
	for (size_t off = sent; off < t->send_queue.len;) {
		ssize_t n = send(fd, t->send_queue.data + off, t->send_queue.len - off, MSG_DONTWAIT);
		if (n < 0)
			return log_error_errno(negative_errno(), "TCP connection (file %u): sending %zu unsent bytes",
					       e->id, t->send_queue.len - off);
		off += n;
	}
	r = sockopts_restore(fd, in->opts, in->n_opts, SOCKOPTS_BUFFERS);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	return 0;
}
