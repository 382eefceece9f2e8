/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unix sockets: stream, dgram and seqpacket socketpairs with unread data
 * both ways (datagram and record boundaries kept), a listening socket on
 * a path and one on an abstract name (a client connects after restore),
 * connections accepted from them (data both ways, names kept), fds in
 * flight (a pipe end, and a file the task also has: shared), and a bound
 * datagram socket with queued datagrams.
 */
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "harness.h"
#include "util.h"

static char path[64], dgram_path[64];
static const char abstract_name[] = "cryo-fds-test-abstract";

static socklen_t addr(struct sockaddr_un *sun, const char *name, bool abstract)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path + abstract, name);
	return offsetof(struct sockaddr_un, sun_path) + abstract + strlen(name) + !abstract;
}

static int setup(void)
{
	int sk[2];
	struct sockaddr_un sun;
	socklen_t len;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sk) < 0 || place_fd(sk[0], 10) < 0 || place_fd(sk[1], 11) < 0 ||
	    write(10, "to-11", 5) != 5 || write(11, "to-", 3) != 3 || write(11, "10", 2) != 2)
		return tlog("setup stream: %m"), -1;
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sk) < 0 || place_fd(sk[0], 12) < 0 || place_fd(sk[1], 13) < 0 ||
	    write(12, "d1", 2) != 2 || write(12, "dgram2", 6) != 6)
		return tlog("setup dgram: %m"), -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sk) < 0 || place_fd(sk[0], 14) < 0 || place_fd(sk[1], 15) < 0 ||
	    write(15, "rec1", 4) != 4 || write(15, "record2", 7) != 7)
		return tlog("setup seqpacket: %m"), -1;
	len = addr(&sun, path, false);
	if (place_fd(socket(AF_UNIX, SOCK_STREAM, 0), 16) < 0 || bind(16, (void *)&sun, len) < 0 || listen(16, 8) < 0)
		return tlog("setup listen path: %m"), -1;
	len = addr(&sun, abstract_name, true);
	if (place_fd(socket(AF_UNIX, SOCK_SEQPACKET, 0), 17) < 0 || bind(17, (void *)&sun, len) < 0 || listen(17, 8) < 0)
		return tlog("setup listen abstract: %m"), -1;
	len = addr(&sun, dgram_path, false);
	if (place_fd(socket(AF_UNIX, SOCK_DGRAM, 0), 18) < 0 || bind(18, (void *)&sun, len) < 0)
		return tlog("setup dgram bound: %m"), -1;
	/* fds 20/21: a connection accepted from the path listener; 22/23: from the abstract one */
	len = addr(&sun, path, false);
	if (place_fd(socket(AF_UNIX, SOCK_STREAM, 0), 20) < 0 || connect(20, (void *)&sun, len) < 0 ||
	    place_fd(accept(16, NULL, NULL), 21) < 0 || write(20, "c2s", 3) != 3 || write(21, "s2c", 3) != 3)
		return tlog("setup accepted stream: %m"), -1;
	len = addr(&sun, abstract_name, true);
	if (place_fd(socket(AF_UNIX, SOCK_SEQPACKET, 0), 22) < 0 || connect(22, (void *)&sun, len) < 0 ||
	    place_fd(accept(17, NULL, NULL), 23) < 0 || write(22, "rec-a", 5) != 5 || write(22, "rec-b", 5) != 5)
		return tlog("setup accepted seqpacket: %m"), -1;
	/* fds 24/25: a socketpair with fds in flight on 25: a pipe read end (its
	 * write end is fd 26 of the task) and fd 27, a file the task also has */
	int p[2];
	char cbuf[CMSG_SPACE(2 * sizeof(int))] = { 0 };
	struct iovec iov = { "with-fds", 8 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sk) < 0 || place_fd(sk[0], 24) < 0 || place_fd(sk[1], 25) < 0 ||
	    pipe(p) < 0 || place_fd(p[1], 26) < 0 || write(26, "through", 7) != 7 ||
	    place_fd(open("/proc/self/exe", O_RDONLY), 27) < 0)
		return tlog("setup in flight: %m"), -1;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	int pass[2] = { p[0], 27 };
	memcpy(CMSG_DATA(c), pass, sizeof(pass));
	if (sendmsg(24, &mh, 0) != 8)
		return tlog("setup sendmsg: %m"), -1;
	close(p[0]);
	len = addr(&sun, dgram_path, false);
	int tx = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (sendto(tx, "hello", 5, 0, (void *)&sun, len) != 5 || sendto(tx, "world!", 6, 0, (void *)&sun, len) != 6)
		return tlog("setup dgram send: %m"), -1;
	close(tx);
	return 0;
}

static int expect_read(int fd, const char *want)
{
	char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	CHECK(n == (ssize_t)strlen(want) && !memcmp(buf, want, n), "fd %d: expected '%s', got %zd bytes", fd, want, n);
	return 0;
}

/* The local (or peer) name of fd is name. */
static int check_name(int fd, bool peer, const char *name, bool abstract)
{
	struct sockaddr_un got, want;
	socklen_t len = sizeof(got), wlen = addr(&want, name, abstract);
	int r = peer ? getpeername(fd, (void *)&got, &len) : getsockname(fd, (void *)&got, &len);

	CHECK(r == 0 && len == wlen && !memcmp(&got, &want, len), "fd %d: %s name is not %s%s", fd,
	      peer ? "peer" : "local", abstract ? "@" : "", name);
	return 0;
}

static int verify_in_flight(void)
{
	char buf[16], cbuf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	int fds[2];

	CHECK(recvmsg(25, &mh, MSG_DONTWAIT) == 8 && !memcmp(buf, "with-fds", 8), "message with fds");
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	CHECK(c && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(2 * sizeof(int)), "two fds in flight");
	memcpy(fds, CMSG_DATA(c), sizeof(fds));
	CHECK(read(fds[0], buf, sizeof(buf)) == 7 && !memcmp(buf, "through", 7), "the pipe in flight has its data");
	CHECK(write(26, "x", 1) == 1 && read(fds[0], buf, 1) == 1, "and is the task's pipe");
	CHECK(lseek(fds[1], 100, SEEK_SET) == 100 && lseek(27, 0, SEEK_CUR) == 100,
	      "the file in flight is the same description as fd 27");
	close(fds[0]);
	close(fds[1]);
	return 0;
}

static int connect_to(int type, const char *name, bool abstract, int listener)
{
	struct sockaddr_un sun;
	socklen_t len = addr(&sun, name, abstract);
	_cleanup_close_ int c = socket(AF_UNIX, type, 0);

	CHECK(c >= 0 && connect(c, (void *)&sun, len) == 0, "connect to %s%s", abstract ? "@" : "", name);
	_cleanup_close_ int a = accept(listener, NULL, NULL);
	CHECK(a >= 0 && write(c, "x", 1) == 1, "accept on fd %d", listener);
	return expect_read(a, "x");
}

static int verify(bool restored)
{
	if (expect_read(11, "to-11") || expect_read(10, "to-10") || expect_read(13, "d1") ||
	    expect_read(13, "dgram2") || expect_read(14, "rec1") || expect_read(14, "record2"))
		return -1;
	CHECK(write(12, "more", 4) == 4, "dgram pair still connected");
	if (expect_read(13, "more"))
		return -1;
	if (connect_to(SOCK_STREAM, path, false, 16) || connect_to(SOCK_SEQPACKET, abstract_name, true, 17))
		return -1;
	if (expect_read(18, "hello") || expect_read(18, "world!"))
		return -1;
	if (expect_read(21, "c2s") || expect_read(20, "s2c") || expect_read(23, "rec-a") || expect_read(23, "rec-b"))
		return -1;
	CHECK(write(20, "more", 4) == 4, "accepted stream still connected");
	if (expect_read(21, "more"))
		return -1;
	if (verify_in_flight() < 0)
		return -1;
	if (check_name(21, false, path, false) || check_name(20, true, path, false) ||
	    check_name(23, false, abstract_name, true) || check_name(22, true, abstract_name, true))
		return -1;
	if (restored)
		tlog("restored unix sockets verified");
	else
		close(16);	/* the original leaves the path for the restore, as a dumped task killed */
	return 0;
}

int main(void)
{
	struct fds_case c = { .name = "fds-unix", .setup = setup, .verify = verify };
	int r;

	snprintf(path, sizeof(path), "/tmp/cryo-fds-unix-%d", getpid());
	snprintf(dgram_path, sizeof(dgram_path), "/tmp/cryo-fds-unix-dgram-%d", getpid());
	r = fds_case_run(&c);
	unlink(path);
	unlink(dgram_path);
	return r;
}
