/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test helper: the engine side of --console-socket.  Listens on SOCKET,
 * receives one pty master over SCM_RIGHTS, optionally writes INPUT to it, and
 * copies what the container prints into OUTFILE until the pty closes.
 *     console-recv SOCKET OUTFILE [INPUT]
 * Exits 0 once the master was received and drained, non-zero otherwise.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <fcntl.h>

static int recv_fd(int conn)
{
	char buf[256], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(conn, &mh, 0) < 0)
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ls, conn, master, out;
	char buf[4096];

	if (argc < 3) {
		fprintf(stderr, "usage: console-recv SOCKET OUTFILE [INPUT]\n");
		return 2;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0) {
		perror("console-recv: socket");
		return 1;
	}
	/* Tell the test we listen: it waits for this file. */
	close(open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644));
	conn = accept(ls, NULL, NULL);
	if (conn < 0 || (master = recv_fd(conn)) < 0) {
		fprintf(stderr, "console-recv: no fd received\n");
		return 1;
	}
	out = open(argv[2], O_WRONLY | O_APPEND);
	if (argc > 3 && write(master, argv[3], strlen(argv[3])) < 0)
		return 1;
	for (;;) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		ssize_t n;
		/* Bounded: a container that never closes its tty must not hang the suite. */
		if (poll(&p, 1, 20000) <= 0)
			return 3;
		n = read(master, buf, sizeof(buf));
		if (n <= 0) /* EIO once the last slave fd closed */
			break;
		if (write(out, buf, (size_t)n) != n)
			return 1;
	}
	return 0;
}
