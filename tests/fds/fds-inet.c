/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inet sockets in a private network namespace (loopback only): a UDP
 * socket bound, connected and corked with an empty write queue (the cork
 * must survive: data sent after restore stays held until uncorked), a bound
 * IPv6-only UDP socket, and a listening TCP socket that accepts after
 * restore; socket options (priority, TOS, V6ONLY, keepalive) survive.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <netinet/tcp.h>
#include <netinet/ip.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "harness.h"
#include "util.h"

static struct sockaddr_in in4(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int setup(void)
{
	struct sockaddr_in a = in4(5000), peer = in4(5001), l = in4(6000);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(5002), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int one = 1;

	if (place_fd(socket(AF_INET, SOCK_DGRAM, 0), 10) < 0 || bind(10, (void *)&a, sizeof(a)) < 0 ||
	    connect(10, (void *)&peer, sizeof(peer)) < 0 ||
	    setsockopt(10, IPPROTO_UDP, UDP_CORK, &one, sizeof(one)) < 0)
		return tlog("setup udp: %m"), -1;
	int prio = 3, tos = 0x10, idle = 77;
	/* IP_TOS sets the priority too: priority last */
	if (setsockopt(10, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) < 0 ||
	    setsockopt(10, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio)) < 0)
		return tlog("setup udp options: %m"), -1;
	if (place_fd(socket(AF_INET6, SOCK_DGRAM, 0), 11) < 0 ||
	    setsockopt(11, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 || bind(11, (void *)&a6, sizeof(a6)) < 0)
		return tlog("setup udp6: %m"), -1;
	if (place_fd(socket(AF_INET, SOCK_STREAM, 0), 12) < 0 ||
	    setsockopt(12, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(12, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0 ||
	    setsockopt(12, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
	    bind(12, (void *)&l, sizeof(l)) < 0 || listen(12, 16) < 0)
		return tlog("setup tcp listen: %m"), -1;
	return 0;
}

static int opt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	getsockopt(fd, level, name, &v, &len);
	return v;
}

static int verify_udp_cork(void)
{
	struct sockaddr_in peer = in4(5001), name;
	socklen_t len = sizeof(name);
	int cork = 0, zero = 0;
	char buf[16];
	_cleanup_close_ int rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	CHECK(getsockname(10, (void *)&name, &len) == 0 && name.sin_port == htons(5000), "udp bound to 5000");
	len = sizeof(name);
	CHECK(getpeername(10, (void *)&name, &len) == 0 && name.sin_port == htons(5001), "udp connected to 5001");
	len = sizeof(cork);
	CHECK(getsockopt(10, IPPROTO_UDP, UDP_CORK, &cork, &len) == 0 && cork == 1, "UDP_CORK set");
	CHECK(rx >= 0 && bind(rx, (void *)&peer, sizeof(peer)) == 0, "receiver bind");
	CHECK(send(10, "ab", 2, 0) == 2 && send(10, "cd", 2, 0) == 2, "send corked");
	CHECK(recv(rx, buf, sizeof(buf), 0) < 0, "corked data must not leave yet");
	CHECK(setsockopt(10, IPPROTO_UDP, UDP_CORK, &zero, sizeof(zero)) == 0, "uncork");
	struct pollfd pfd = { .fd = rx, .events = POLLIN };
	poll(&pfd, 1, 5000);
	CHECK(recv(rx, buf, sizeof(buf), 0) == 4 && !memcmp(buf, "abcd", 4), "one datagram 'abcd' after uncork");
	return 0;
}

static int verify(bool restored)
{
	struct sockaddr_in6 n6;
	struct sockaddr_in l = in4(6000);
	socklen_t len = sizeof(n6);

	if (verify_udp_cork() < 0)
		return -1;
	CHECK(opt(10, SOL_SOCKET, SO_PRIORITY) == 3 && opt(10, IPPROTO_IP, IP_TOS) == 0x10, "udp SO_PRIORITY/IP_TOS");
	CHECK(opt(11, IPPROTO_IPV6, IPV6_V6ONLY) == 1, "udp6 IPV6_V6ONLY");
	CHECK(opt(12, SOL_SOCKET, SO_KEEPALIVE) == 1 && opt(12, IPPROTO_TCP, TCP_KEEPIDLE) == 77,
	      "listener SO_KEEPALIVE/TCP_KEEPIDLE");
	CHECK(opt(12, SOL_SOCKET, SO_REUSEADDR) == 1, "listener SO_REUSEADDR");
	CHECK(getsockname(11, (void *)&n6, &len) == 0 && n6.sin6_family == AF_INET6 && n6.sin6_port == htons(5002),
	      "udp6 bound to [::1]:5002");
	_cleanup_close_ int c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(c >= 0 && connect(c, (void *)&l, sizeof(l)) == 0, "connect to the listener");
	_cleanup_close_ int a = accept(12, NULL, NULL);
	CHECK(a >= 0 && write(c, "hi", 2) == 2, "accept on the listener");
	char buf[4];
	CHECK(read(a, buf, sizeof(buf)) == 2 && !memcmp(buf, "hi", 2), "data over the accepted connection");
	if (restored)
		tlog("restored inet sockets verified");
	return 0;
}

int main(void)
{
	struct fds_case c = { .name = "fds-inet", .netns = true, .setup = setup, .verify = verify };

	return fds_case_run(&c);
}
