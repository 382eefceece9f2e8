/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TCP peer outside the dumped tree for zt-fdmisc tcp: listens on
 * 127.0.0.1 (port written to argv[1]), takes one connection, reads 10000
 * bytes (pattern 11) and sends 4000 (pattern 12) before the dump, then
 * stays quiet while the task is dumped and gone, until the restored task
 * sends 200000 bytes (pattern 13); answers 200000 (pattern 14).  Exit 0
 * only if every byte was right and the connection never broke (a RST from
 * the dumped task's side would show as ECONNRESET).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include "lib/zt.h"

static int xfer(int fd, size_t len, uint32_t seed, bool in)
{
	char *buf = malloc(len);
	size_t off = 0;

	if (!buf)
		return -1;
	if (!in)
		zt_fill(buf, len, seed);
	while (off < len) {
		struct pollfd p = { .fd = fd, .events = in ? POLLIN : POLLOUT };
		if (poll(&p, 1, 60000) != 1)
			return -1;
		ssize_t n = in ? recv(fd, buf + off, len - off, 0) : send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		off += n;
	}
	int r = in && zt_check(buf, len, seed) ? -2 : 0;
	free(buf);
	return r;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), c;
	FILE *f;

	if (argc != 2)
		return fprintf(stderr, "usage: fdmisc-tcp-peer PORTFILE\n"), 1;
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) < 0)
		return perror("tcp-peer: listen"), 1;
	f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%d\n", ntohs(a.sin_port)) < 0 || fclose(f))
		return perror("tcp-peer: port file"), 1;
	c = accept(l, NULL, NULL);
	if (c < 0)
		return perror("tcp-peer: accept"), 1;
	close(l);
	if (xfer(c, 10000, 11, true) < 0)
		return perror("tcp-peer: FAIL: first bytes from the task"), 1;
	if (xfer(c, 4000, 12, false) < 0)
		return perror("tcp-peer: FAIL: sending to the task"), 1;
	int r = xfer(c, 200000, 13, true);
	if (r < 0)
		return fprintf(stderr, "tcp-peer: FAIL: bytes from the restored task %s: %m\n",
			       r == -2 ? "differ" : "did not arrive"), 1;
	if (xfer(c, 200000, 14, false) < 0)
		return perror("tcp-peer: FAIL: answering the restored task"), 1;
	char x;
	/* the task closes after reading everything: EOF, not a reset */
	struct pollfd p = { .fd = c, .events = POLLIN };
	if (poll(&p, 1, 30000) != 1 || recv(c, &x, 1, 0) != 0)
		return perror("tcp-peer: FAIL: no clean close"), 1;
	fprintf(stderr, "tcp-peer: PASS\n");
	return 0;
}
