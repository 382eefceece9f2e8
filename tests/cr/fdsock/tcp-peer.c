/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer outside the dumped tree for zt-fdsock tcp-ext: listens on
 * 127.0.0.1 (port written to argv[1]), takes one connection, reads 10000
 * bytes (pattern 11), sends 4000 (pattern 12); once the task is dumped and
 * gone (argv[2] appears) sends 1000 more (pattern 15: cryo-cr's network lock
 * drops them, so no RST comes back; they are sent again after the restore)
 * and says so (argv[2].sent); then answers the restored task's 300000 bytes
 * (pattern 13) with 300000 (pattern 14) and closes.  Exit 0 only if every
 * byte was right and the connection never broke (a RST would show as
 * ECONNRESET).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "lib/zt.h"

static int fail(const char *what)
{
	fprintf(stderr, "tcp-peer: FAIL: %s: %m\n", what);
	return 1;
}

static int xfer(int fd, size_t len, uint32_t seed, bool in)
{
	char *buf = malloc(len);
	size_t off = 0;

	if (!buf)
		return -1;
	if (!in)
		zt_fill(buf, len, seed);
	while (off < len) {
		/* generous: the task is dumped and restored in between */
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
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c;
	FILE *f;

	if (argc != 3)
		return fprintf(stderr, "usage: tcp-peer PORTFILE GAPFILE\n"), 1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (void *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 || getsockname(l, (void *)&a, &len) < 0)
		return fail("listen");
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	if (!(f = fopen(tmp, "w")) || fprintf(f, "%d\n", ntohs(a.sin_port)) < 0 || fclose(f) || rename(tmp, argv[1]))
		return fail("port file");
	c = accept(l, NULL, NULL);
	if (c < 0)
		return fail("accept");
	close(l);
	if (xfer(c, 10000, 11, true))
		return fail("reading the task's first 10000 bytes");
	if (xfer(c, 4000, 12, false))
		return fail("sending 4000 bytes");
	for (int i = 0; i < 6000 && access(argv[2], F_OK); i++)
		usleep(10000);
	if (access(argv[2], F_OK))
		return fail("the task was not dumped within 60 s");
	if (xfer(c, 1000, 15, false))
		return fail("sending 1000 bytes while the task is gone");
	snprintf(tmp, sizeof(tmp), "%s.sent", argv[2]);
	close(open(tmp, O_CREAT | O_WRONLY, 0644));
	int r = xfer(c, 300000, 13, true);
	if (r)
		return fail(r == -2 ? "the task's bytes after restore differ" : "reading the task's bytes after restore");
	if (xfer(c, 300000, 14, false))
		return fail("answering after restore");
	close(c);
	fprintf(stderr, "tcp-peer: PASS\n");
	return 0;
}
