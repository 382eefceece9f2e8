/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Established TCP connections on loopback (IPv4 and IPv6) in a private network namespace,
 * with bytes queued both ways: the test (the peer) sent "ping" that the task
 * has not read, and the task has more bytes queued to send than the peer's
 * small receive buffer takes.  After the dump the original checks its queues
 * and is killed as a dumped task is, after fds_prepare_kill() (repair mode:
 * no FIN/RST) under a network lock; the restored process reads "ping", the peer receives the
 * whole stream and "pong", answers "again", and the restored side reads it.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "harness.h"
#include "util.h"

#define PORT	7000
#define PORT6	7001
static int listener = -1, peer_fd = -1, listener6 = -1, peer6_fd = -1;
static int outq_at_stop;

static struct sockaddr_in addr(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int setup(void)
{
	struct sockaddr_in a = addr();
	char buf[4096];
	int sent = 0;

	close(listener);
	close(listener6);
	/* fd 11: a second connection, over IPv6 */
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(PORT6), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	if (place_fd(socket(AF_INET6, SOCK_STREAM, 0), 11) < 0 || connect(11, (void *)&a6, sizeof(a6)) < 0)
		return tlog("setup connect v6: %m"), -1;
	int sndbuf = 16384;

	if (place_fd(socket(AF_INET, SOCK_STREAM, 0), 10) < 0 ||
	    setsockopt(10, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0 ||
	    setsockopt(10, IPPROTO_TCP, TCP_NODELAY, &sndbuf, sizeof(int)) < 0 ||
	    connect(10, (void *)&a, sizeof(a)) < 0)
		return tlog("setup connect: %m"), -1;
	fcntl(10, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < (int)sizeof(buf); i++)
		buf[i] = '0' + i % 10;
	/* fill the peer's receive buffer and our send queue */
	for (;;) {
		ssize_t n = write(10, buf + sent % 10, sizeof(buf) - 10);
		if (n < 0)
			break;
		sent += n;
		if (sent > (4 << 20))
			return tlog("setup: the peer's buffer never filled"), -1;
	}
	usleep(50000);
	ioctl(10, SIOCOUTQ, &outq_at_stop);
	if (outq_at_stop <= 0)
		return tlog("setup: nothing queued to send"), -1;
	return 0;
}

/* In the test, with C stopped: accept and send "ping" into C's receive queue. */
static int before_dump(int pid _unused_)
{
	peer_fd = accept(listener, NULL, NULL);
	peer6_fd = accept(listener6, NULL, NULL);
	if (peer_fd < 0 || write(peer_fd, "ping", 4) != 4 || peer6_fd < 0 || write(peer6_fd, "ping6", 5) != 5)
		return -1;
	usleep(20000);
	/* The network lock a real dump takes: from now until the restore, no
	 * packet of the connection passes, so nothing answers the peer's ACKs
	 * with a RST while no socket owns the connection. */
	if (system("nft add table inet cryo_fds_test && "
		   "nft add chain inet cryo_fds_test in '{ type filter hook input priority 0; }' && "
		   "nft add rule inet cryo_fds_test in tcp dport 7000 drop && "
		   "nft add rule inet cryo_fds_test in tcp sport 7000 drop && "
		   "nft add rule inet cryo_fds_test in tcp dport 7001 drop && "
		   "nft add rule inet cryo_fds_test in tcp sport 7001 drop") != 0) {
		printf("nft failed\n");
		return -1;
	}
	return 0;
}

static int unlock(void)
{
	return system("nft delete table inet cryo_fds_test") == 0 ? 0 : -1;
}

static int verify(bool restored)
{
	char buf[16];
	int state_ok, outq = -1;
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	struct pollfd pfd = { .fd = 10, .events = POLLIN };

	poll(&pfd, 1, 5000);
	CHECK(read(10, buf, sizeof(buf)) == 4 && !memcmp(buf, "ping", 4), "'ping' in the receive queue");
	pfd.fd = 11;
	poll(&pfd, 1, 5000);
	CHECK(read(11, buf, sizeof(buf)) == 5 && !memcmp(buf, "ping6", 5), "'ping6' in the IPv6 receive queue");
	pfd.fd = 10;
	state_ok = getsockopt(10, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_state == TCP_ESTABLISHED;
	CHECK(state_ok, "connection established");
	int nodelay = 0;
	len = sizeof(nodelay);
	CHECK(getsockopt(10, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len) == 0 && nodelay, "TCP_NODELAY kept");
	if (!restored) {
		ioctl(10, SIOCOUTQ, &outq);
		CHECK(outq == outq_at_stop, "send queue intact: %d bytes, was %d", outq, outq_at_stop);
		return 0;	/* then killed after fds_prepare_kill(): no FIN/RST */
	}
	fcntl(10, F_SETFL, 0);
	CHECK(write(10, "pong", 4) == 4, "write pong");
	pfd.events = POLLIN;
	poll(&pfd, 1, 10000);
	CHECK(read(10, buf, sizeof(buf)) == 5 && !memcmp(buf, "again", 5), "read 'again' from the peer");
	CHECK(write(11, "pong6", 5) == 5, "write pong6");
	pfd.fd = 11;
	poll(&pfd, 1, 10000);
	CHECK(read(11, buf, sizeof(buf)) == 6 && !memcmp(buf, "again6", 6), "read 'again6' over IPv6");
	tlog("restored TCP connection verified");
	return 0;
}

/* The IPv6 peer: "pong6", answered with "again6". */
static int peer6(void)
{
	char buf[8];
	struct pollfd pfd = { .fd = peer6_fd, .events = POLLIN };

	if (poll(&pfd, 1, 10000) <= 0 || read(peer6_fd, buf, sizeof(buf)) != 5 || memcmp(buf, "pong6", 5)) {
		printf("peer6: no pong6\n");
		return -1;
	}
	return write(peer6_fd, "again6", 6) == 6 ? 0 : -1;
}

/* The peer: the whole digit stream, then "pong"; answer "again". */
static int peer(void)
{
	static char buf[1 << 16];
	size_t total = 0;
	char tail[4] = { 0 };
	struct pollfd pfd = { .fd = peer_fd, .events = POLLIN };

	for (;;) {
		if (poll(&pfd, 1, 10000) <= 0) {
			printf("peer: stream stalled after %zu bytes\n", total);
			return -1;
		}
		ssize_t n = read(peer_fd, buf, sizeof(buf));
		if (n <= 0) {
			printf("peer: connection closed after %zu bytes\n", total);
			return -1;
		}
		for (ssize_t i = 0; i < n; i++, total++) {
			memmove(tail, tail + 1, 3);
			tail[3] = buf[i];
			if (!memcmp(tail, "pong", 4)) {
				printf("peer: %zu bytes of stream, then pong\n", total - 3);
				if (write(peer_fd, "again", 5) != 5)
					return -1;
				return peer6();
			}
			if (buf[i] != 'p' && buf[i] != 'o' && buf[i] != 'n' && buf[i] != 'g' &&
			    buf[i] != (char)('0' + total % 10)) {
				printf("peer: byte %zu is %c, not %c\n", total, buf[i], (char)('0' + total % 10));
				return -1;
			}
		}
	}
}

int main(void)
{
	struct fds_case c = { .name = "fds-tcp", .setup = setup, .verify = verify,
			      .before_dump = before_dump, .peer = peer, .kill_original = true,
			      .after_restore = unlock, .opts = { .tcp_established = true } };
	struct sockaddr_in a = addr();
	int small = 4096, one = 1, r;

	setvbuf(stdout, NULL, _IONBF, 0);
	if ((r = fds_test_netns()) != 0)
		return r;
	if (system("nft list tables >/dev/null 2>&1") != 0)
		return printf("SKIP: nft does not work here (nftables missing?)\n"), 77;
	listener = socket(AF_INET, SOCK_STREAM, 0);
	if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) < 0 ||
	    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(listener, (void *)&a, sizeof(a)) < 0 || listen(listener, 4) < 0)
		return printf("FAIL: listener: %m\n"), 1;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(PORT6), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	listener6 = socket(AF_INET6, SOCK_STREAM, 0);
	if (listener6 < 0 || bind(listener6, (void *)&a6, sizeof(a6)) < 0 || listen(listener6, 4) < 0)
		return printf("FAIL: IPv6 listener: %m\n"), 1;
	return fds_case_run(&c);
}
