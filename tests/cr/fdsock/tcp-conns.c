/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fds_tcp_connections() (cr/fd-tcp.h), the tree's TCP 4-tuples for a network
 * lock: a stopped child with an established connection (and a listener,
 * which is no connection) is collected with tcp_established; the function
 * must give that one connection with both addresses, on the dump side and
 * again from the images.  Without tcp_established the collect refuses it.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fd-tcp.h"
#include "fds.h"
#include "image.h"

static int check(const struct fd_ctx *ctx, const char *side, const struct sockaddr_in *local,
		 const struct sockaddr_in *peer)
{
	struct tcp_conn *c;
	size_t n;

	if (fds_tcp_connections(ctx, &c, &n) < 0)
		return printf("FAIL %s: fds_tcp_connections failed\n", side), 1;
	int bad = n != 1 || c[0].family != AF_INET || memcmp(&c[0].local, local, sizeof(*local)) ||
		  memcmp(&c[0].peer, peer, sizeof(*peer));
	if (bad)
		printf("FAIL %s: %zu connections, or not the child's (local port %u, peer port %u)\n", side, n,
		       n ? ntohs(((struct sockaddr_in *)&c[0].local)->sin_port) : 0,
		       n ? ntohs(((struct sockaddr_in *)&c[0].peer)->sin_port) : 0);
	else
		printf("ok %s: one connection, its 4-tuple\n", side);
	free(c);
	return bad;
}

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, local, peer;
	socklen_t len = sizeof(a);
	char dir[] = "/tmp/fdsock-tcp-conns.XXXXXX";
	struct fd_opts o = { .tcp_established = true };
	struct fd_ctx *ctx;
	struct img_dir *d;
	int st, fail = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (void *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 || getsockname(l, (void *)&a, &len) < 0)
		return printf("FAIL: listen: %m\n"), 1;
	pid_t pid = fork();
	if (pid == 0) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (void *)&a, sizeof(a)) < 0)
			_exit(1);
		raise(SIGSTOP);
		_exit(0);
	}
	int s = accept(l, (void *)&local, &len);
	len = sizeof(peer);
	if (s < 0 || getsockname(s, (void *)&peer, &len) < 0 || waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st))
		return printf("FAIL: setup: %m\n"), 1;

	if (fd_ctx_new(NULL, &ctx) < 0)
		return 1;
	if (fds_collect_task(ctx, pid) >= 0)
		fail = printf("FAIL: an established connection was collected without tcp_established\n");
	else
		printf("ok: refused without tcp_established\n");
	fd_ctx_free(ctx);

	if (!mkdtemp(dir) || fd_ctx_new(&o, &ctx) < 0 || fds_collect_task(ctx, pid) < 0)
		return printf("FAIL: collect: %m\n"), 1;
	fail |= check(ctx, "dump side", &local, &peer);
	if (img_dir_open_write(dir, &d) < 0 || fds_write_images(ctx, d) < 0 || img_dir_commit(d) < 0)
		return printf("FAIL: images\n"), 1;
	img_dir_close(d);
	fd_ctx_free(ctx);
	if (img_dir_open_read(dir, &d) < 0 || fds_load_images(d, &o, &ctx) < 0)
		return printf("FAIL: loading the images\n"), 1;
	fail |= check(ctx, "restore side", &local, &peer);
	fd_ctx_free(ctx);
	img_dir_close(d);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("cannot remove %s\n", dir);
	return fail ? 1 : 0;
}
