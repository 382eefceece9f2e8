/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A task with an established TCP connection to a peer outside the tree
 * (argv: ADDR PORT): a thread answers every message with it in upper case,
 * through dump and restore.  At SIGTERM it checks the connection is the one
 * it made (same peer port) and that it answered messages after restore
 * (argv[3]: how many in all, at least).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/zt.h"

static int conn;
static volatile int answered;

static void *echo(void *arg)
{
	char buf[256];
	(void)arg;
	for (;;) {
		ssize_t n = recv(conn, buf, sizeof(buf), 0);
		if (n <= 0)
			return NULL;
		for (ssize_t i = 0; i < n; i++)
			buf[i] = (char)toupper((unsigned char)buf[i]);
		if (send(conn, buf, (size_t)n, 0) != n)
			return NULL;
		__atomic_add_fetch(&answered, 1, __ATOMIC_SEQ_CST);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET }, got;
	socklen_t sl = sizeof(got);
	pthread_t t;

	zt_init(argc, argv);
	if (argc < 4)
		zt_fail("usage: zt-tcp ADDR PORT MIN-ANSWERS");
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1)
		zt_fail("bad address %s", argv[1]);
	conn = socket(AF_INET, SOCK_STREAM, 0);
	if (conn < 0 || connect(conn, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		zt_fail("connect to %s:%s: %m", argv[1], argv[2]);
	if (pthread_create(&t, NULL, echo, NULL))
		zt_fail("pthread_create");
	zt_ready();
	zt_wait();
	if (getpeername(conn, (struct sockaddr *)&got, &sl) < 0 || got.sin_port != sa.sin_port)
		zt_fail("the connection is not to port %s after restore: %m", argv[2]);
	if (__atomic_load_n(&answered, __ATOMIC_SEQ_CST) < atoi(argv[3]))
		zt_fail("answered %d messages, %s expected", answered, argv[3]);
	zt_pass();
}
