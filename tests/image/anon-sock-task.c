/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * anon-sock-task DIR: a task holding unix sockets with names to hide, for
 * anon-sock.sh: a bound datagram socket DIR/secretpath, a datagram socket
 * connected to it, and a listener on the abstract name "secretabstract".
 * Writes DIR/ready and sleeps until killed.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int bind_name(int type, const char *name, size_t len)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type, 0);

	memcpy(a.sun_path, name, len);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + len) < 0)
		return -1;
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char ready[sizeof(a.sun_path)];
	int path, client, listener, fd;

	if (argc != 2 || strlen(argv[1]) + 16 > sizeof(a.sun_path))
		return 2;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/secretpath", argv[1]);
	path = bind_name(SOCK_DGRAM, a.sun_path, strlen(a.sun_path) + 1);
	client = socket(AF_UNIX, SOCK_DGRAM, 0);
	listener = bind_name(SOCK_STREAM, "\0secretabstract", 15);
	if (path < 0 || client < 0 || listener < 0 || listen(listener, 4) < 0 ||
	    connect(client, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("anon-sock-task: sockets");
		return 1;
	}
	snprintf(ready, sizeof(ready), "%s/ready", argv[1]);
	fd = open(ready, O_CREAT | O_WRONLY, 0600);
	if (fd < 0)
		return 1;
	close(fd);
	for (;;)
		pause();
}
