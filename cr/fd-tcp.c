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
#include <arpa/inet.h>
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

static int collect_in_repair(int fd, TcpStream *t, int state)
{
	struct tcp_info ti;
	struct repair_window w;
	socklen_t len = sizeof(ti);
	int inq, outq, unsent, r;
	/* our FIN sent and not acknowledged: it counts in the queue sizes, it is no byte */
	bool fin_pending = state == TCP_FIN_WAIT1 || state == TCP_LAST_ACK || state == TCP_CLOSING;

	if (ioctl(fd, SIOCINQ, &inq) < 0 || ioctl(fd, SIOCOUTQ, &outq) < 0 || ioctl(fd, SIOCOUTQNSD, &unsent) < 0)
		return negative_errno();
	t->has_fin_sent = t->has_fin_received = t->has_snd_una = true;
	t->fin_sent = fin_pending || state == TCP_FIN_WAIT2;
	t->fin_received = state == TCP_CLOSE_WAIT || state == TCP_LAST_ACK || state == TCP_CLOSING;
	t->has_peer_fin_first = t->peer_fin_first = state == TCP_LAST_ACK;
	int outq_seq = outq;
	if (fin_pending) {
		outq--;
		if (unsent > 0)
			unsent--;
	}
	t->unsent = unsent;
	if ((r = read_queue(fd, TCP_RECV_QUEUE, inq, &t->rcv_seq, &t->recv_queue)) < 0 ||
	    (r = read_queue(fd, TCP_SEND_QUEUE, outq, &t->snd_seq, &t->send_queue)) < 0)
		return r;
	t->snd_una = t->snd_seq - (uint32_t)outq_seq;
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

int tcp_stream_collect(const struct fd_probe *p, InetFile *in, int state)
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
	r = collect_in_repair(p->local_fd, t, state);
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

/* Bytes that go to the send queue in repair mode (as sent): a half-closed
 * connection gets them all there (its FIN must come after them). */
static size_t repair_sent(const TcpStream *t)
{
	return t->fin_sent ? t->send_queue.len : t->send_queue.len - t->unsent;
}

static int restore_in_repair(int fd, const InetFile *in)
{
	const TcpStream *t = in->tcp;
	size_t sent = repair_sent(t);
	struct repair_window w = { t->snd_wl1, t->snd_wnd, t->max_window, t->rcv_wnd, t->rcv_wup };
	/* the receive window may not start after rcv_nxt, which is one less
	 * until the peer's FIN comes again */
	if (t->fin_received && w.rcv_wup == t->rcv_seq)
		w.rcv_wup--;
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
	/* (before the FINs: the peer's comes again at the end, ours by shutdown) */
	if ((r = set_int(fd, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE)) < 0 ||
	    (r = set_int(fd, TCP_QUEUE_SEQ, t->snd_seq - t->fin_sent - t->send_queue.len)) < 0 ||
	    (r = set_int(fd, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE)) < 0 ||
	    (r = set_int(fd, TCP_QUEUE_SEQ, t->rcv_seq - t->fin_received - t->recv_queue.len)) < 0)
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
	/*
	 * Our FIN, still in repair mode with the send queue selected: it is
	 * queued as sent (the peer may have acknowledged it: an ACK of a FIN
	 * not sent yet would be dropped), and goes out again on the
	 * retransmission timer if it is not acknowledged.
	 */
	if (t->fin_sent && !t->peer_fin_first && shutdown(fd, SHUT_WR) < 0)
		return log_error_errno(negative_errno(), "shutdown in repair mode");
	return 0;
}

/*
 * LAST_ACK: our FIN followed the peer's, so it is queued (as sent, in repair
 * mode again) only once the peer's FIN is back; queued before, the two would
 * make CLOSING.
 */
static int send_fin_after_peer(int fd, const FileEntry *e)
{
	int r;

	if (!e->inet->tcp->peer_fin_first)
		return 0;
	if ((r = set_int(fd, TCP_REPAIR, TCP_REPAIR_ON)) < 0 || (r = set_int(fd, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE)) < 0)
		return log_error_errno(r, "TCP connection (file %u): repair mode for our FIN", e->id);
	if (shutdown(fd, SHUT_WR) < 0)
		return log_error_errno(negative_errno(), "TCP connection (file %u): our FIN after the peer's", e->id);
	r = set_int(fd, TCP_REPAIR, TCP_REPAIR_OFF);
	if (r < 0)
		return log_error_errno(r, "TCP connection (file %u): leaving repair mode after our FIN", e->id);
	return 0;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/*
 * The peer's FIN, received before the dump, is not in the receive queue: it
 * is given to the new socket again as a packet from the peer (seq: the
 * FIN's, ack: what the peer had acknowledged), through a raw socket on the
 * loopback path.  It carries TCP_INJECT_MARK for the network lock.
 */
static int inject_fin(const InetFile *in)
{
	const TcpStream *t = in->tcp;
	bool v6 = in->family == AF_INET6;
	const struct sockaddr_in *l4 = (const void *)in->local_addr.data, *p4 = (const void *)in->peer_addr.data;
	const struct sockaddr_in6 *l6 = (const void *)in->local_addr.data, *p6 = (const void *)in->peer_addr.data;
	uint8_t pkt[60] = { 0 }, *tcp = pkt + (v6 ? 40 : 20);
	size_t iplen = v6 ? 40 : 20, len = iplen + 20;
	uint32_t seq = htonl(t->rcv_seq - 1), ack = htonl(t->snd_una), sum = 0;
	uint16_t win = htons((uint16_t)((t->snd_wnd >> (t->has_snd_wscale ? t->snd_wscale : 0)) > 0xffff ? 0xffff :
					 t->snd_wnd >> (t->has_snd_wscale ? t->snd_wscale : 0)));
	int mark = TCP_INJECT_MARK, one = 1;

	if (in->local_addr.len < (v6 ? sizeof(*l6) : sizeof(*l4)) || in->peer_addr.len < (v6 ? sizeof(*p6) : sizeof(*p4)))
		return -EBADMSG;
	memcpy(tcp, v6 ? &p6->sin6_port : &p4->sin_port, 2);
	memcpy(tcp + 2, v6 ? &l6->sin6_port : &l4->sin_port, 2);
	memcpy(tcp + 4, &seq, 4);
	memcpy(tcp + 8, &ack, 4);
	tcp[12] = 5 << 4;
	tcp[13] = 0x11;		/* FIN | ACK */
	memcpy(tcp + 14, &win, 2);
	if (v6) {
		pkt[0] = 0x60;
		pkt[4] = 0;
		pkt[5] = 20;	/* payload length */
		pkt[6] = IPPROTO_TCP;
		pkt[7] = 64;
		memcpy(pkt + 8, &p6->sin6_addr, 16);
		memcpy(pkt + 24, &l6->sin6_addr, 16);
		sum = csum_add(sum, pkt + 8, 32);
	} else {
		pkt[0] = 0x45;
		pkt[2] = 0;
		pkt[3] = (uint8_t)len;
		pkt[8] = 64;
		pkt[9] = IPPROTO_TCP;
		memcpy(pkt + 12, &p4->sin_addr, 4);
		memcpy(pkt + 16, &l4->sin_addr, 4);
		sum = csum_add(sum, pkt + 12, 8);
	}
	sum += IPPROTO_TCP + 20;	/* pseudo header: protocol, TCP length */
	uint16_t c = htons(csum_fold(csum_add(sum, tcp, 20)));
	memcpy(tcp + 16, &c, 2);

	_cleanup_close_ int raw = socket(in->family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (raw < 0)
		return negative_errno();
	if (setsockopt(raw, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0 ||
	    (v6 && setsockopt(raw, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof(one)) < 0))
		return negative_errno();
	struct sockaddr_storage to;
	memcpy(&to, in->local_addr.data, v6 ? sizeof(*l6) : sizeof(*l4));
	((struct sockaddr_in *)&to)->sin_port = 0;
	if (sendto(raw, pkt, len, 0, (struct sockaddr *)&to, v6 ? sizeof(*l6) : sizeof(*l4)) != (ssize_t)len)
		return negative_errno();
	return 0;
}

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ? negative_errno() : ti.tcpi_state;
}

/* 1 once the socket has the injected FIN (it comes through the loopback path:
 * the state leaves the one it had), 0 if not in 200 ms. */
static int wait_fin(int fd, int state)
{
	for (int i = 0; i < 200; i++) {
		int now = tcp_state(fd);
		if (now < 0)
			return now;
		if (now != state)
			return 1;
		usleep(1000);
	}
	return 0;
}

/* A half-closed connection: the peer's FIN again (ours was queued in repair mode). */
static int restore_fins(int fd, const FileEntry *e)
{
	const TcpStream *t = e->inet->tcp;
	int r;

	if (t->fin_received) {
		/* a network lock's output chain refuses it with EPERM */
		int state = tcp_state(fd);
		if (state < 0)
			return state;
		r = inject_fin(e->inet);
		if (r < 0 && r != -EPERM)
			return log_error_errno(r, "TCP connection (file %u): giving it the peer's FIN again", e->id);
		if (r >= 0)
			r = wait_fin(fd, state);
		if (r < 0 && r != -EPERM)
			return r;
		/*
		 * A network lock that drops it: reads see EOF all the same
		 * (SHUT_RD); the state goes to CLOSE_WAIT when the peer's FIN
		 * comes again (a restored peer sends it again by shutdown).
		 */
		if (r <= 0) {
			log_warn("TCP connection (file %u): the peer's FIN injected again did not arrive (a network lock without an exception for mark 0x%x?); shut down for reading instead",
				 e->id, TCP_INJECT_MARK);
			if (shutdown(fd, SHUT_RD) < 0)
				return log_error_errno(negative_errno(), "TCP connection (file %u): shutdown", e->id);
		}
	}
	return 0;
}

int tcp_stream_restore(const FileEntry *e, int *ret_fd)
{
	const InetFile *in = e->inet;
	const TcpStream *t = in->tcp;
	_cleanup_close_ int fd = socket(in->family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	size_t sent = repair_sent(t);
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
	r = restore_fins(fd, e);
	if (r >= 0)
		r = send_fin_after_peer(fd, e);
	if (r >= 0)
		r = sockopts_restore(fd, in->opts, in->n_opts, SOCKOPTS_BUFFERS);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int fds_tcp_connections(const struct fd_ctx *ctx, struct tcp_conn **ret, size_t *ret_n)
{
	struct tcp_conn *v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < fd_ctx_nr_files(ctx); i++) {
		const InetFile *in = fd_ctx_file(ctx, i)->inet;

		if (!in || !in->tcp || !in->has_local_addr || !in->has_peer_addr ||
		    in->local_addr.len > sizeof(struct sockaddr_storage) || in->peer_addr.len > sizeof(struct sockaddr_storage))
			continue;
		struct tcp_conn *nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		memset(&v[n], 0, sizeof(v[n]));
		v[n].family = in->family;
		memcpy(&v[n].local, in->local_addr.data, in->local_addr.len);
		memcpy(&v[n].peer, in->peer_addr.data, in->peer_addr.len);
		n++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
