/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What is not supported is refused with an error naming pid, fd and kind,
 * and the refused dump leaves the process intact: a corked UDP socket with
 * data queued, a unix socket with a fanotify fd in flight, an inotify instance
 * with an event queued, a fanotify instance.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/syscall.h>
#include <sys/inotify.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <unistd.h>
#include "harness.h"
#include "util.h"

static int setup_corked(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(5001) };
	int one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (place_fd(socket(AF_INET, SOCK_DGRAM, 0), 10) < 0 ||
	    setsockopt(10, IPPROTO_UDP, UDP_CORK, &one, sizeof(one)) < 0 ||
	    connect(10, (void *)&a, sizeof(a)) < 0 || send(10, "queued", 6, 0) != 6)
		return tlog("setup: %m"), -1;
	return 0;
}

static int verify_corked(bool restored _unused_)
{
	int outq = 0;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(5001) };
	_cleanup_close_ int rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int zero = 0;
	char buf[16];

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(rx >= 0 && bind(rx, (void *)&a, sizeof(a)) == 0, "receiver");
	CHECK(setsockopt(10, IPPROTO_UDP, UDP_CORK, &zero, sizeof(zero)) == 0, "uncork");
	struct pollfd pfd = { .fd = rx, .events = POLLIN };
	poll(&pfd, 1, 5000);
	CHECK(recv(rx, buf, sizeof(buf), 0) == 6 && !memcmp(buf, "queued", 6), "the queued datagram left intact");
	(void)outq;
	return 0;
}

/* an inotify instance with an event queued */
static int setup_inotify(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/tmp/cryo-fds-refuse-%d", getpid());
	if (place_fd(inotify_init1(0), 10) < 0 || inotify_add_watch(10, "/tmp", IN_CREATE) < 0)
		return tlog("setup: %m"), -1;
	close(open(path, O_CREAT | O_WRONLY, 0600));
	unlink(path);
	return 0;
}

static int verify_inotify(bool restored _unused_)
{
	int pending = 0;

	CHECK(ioctl(10, FIONREAD, &pending) == 0 && pending > 0, "the queued event is still there");
	return 0;
}

/* fd 10: a fanotify group with an event queued (events cannot be put back) */
static int setup_fanotify(void)
{
	char path[] = "/tmp/cryo-fds-refuse-fan-XXXXXX";
	int tmp = mkstemp(path);

	if (tmp < 0 || place_fd(fanotify_init(FAN_CLASS_NOTIF, O_RDONLY), 10) < 0 ||
	    fanotify_mark(10, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, path) < 0)
		return tlog("fanotify setup: %m"), -1;
	close(tmp);
	tmp = open(path, O_RDONLY);	/* the queued event */
	close(tmp);
	unlink(path);
	return 0;
}

/* fd 10/11: a socketpair with a message carrying a userfaultfd (SCM_RIGHTS) queued on 11 */
static int setup_scm_rights(void)
{
	int sk[2], fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { "f", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sk) < 0 || place_fd(sk[0], 10) < 0 || place_fd(sk[1], 11) < 0 ||
	    sendmsg(10, &mh, 0) != 1)
		return tlog("setup: %m"), -1;
	close(fd);
	return 0;
}

static int verify_scm_rights(bool restored _unused_)
{
	char buf[4], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };

	CHECK(recvmsg(11, &mh, MSG_DONTWAIT) == 1 && CMSG_FIRSTHDR(&mh) &&
	      CMSG_FIRSTHDR(&mh)->cmsg_type == SCM_RIGHTS, "the fd in flight is still there");
	return 0;
}

/* fd 10: an epoll whose watched fd 11 was dup'ed to 12 and closed */
static int setup_epoll_stale(void)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (place_fd(epoll_create1(0), 10) < 0 || place_fd(eventfd(0, 0), 11) < 0 ||
	    epoll_ctl(10, EPOLL_CTL_ADD, 11, &ev) < 0 || dup2(11, 12) < 0 || close(11) < 0)
		return tlog("setup: %m"), -1;
	return 0;
}

/* fd 10: one end of a socketpair whose other end only the test holds */
static int outside_pair[2] = { -1, -1 };

static int setup_outside_peer(void)
{
	if (place_fd(dup(outside_pair[0]), 10) < 0)
		return tlog("setup: %m"), -1;
	close(outside_pair[0]);
	close(outside_pair[1]);
	return 0;
}

/* fd 10: a directory that was removed after open */
static int setup_removed_dir(void)
{
	char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/cryo-fds-refuse-dir-%d", getpid());
	if (mkdir(dir, 0700) < 0 || place_fd(open(dir, O_RDONLY | O_DIRECTORY), 10) < 0 || rmdir(dir) < 0)
		return tlog("setup: %m"), -1;
	return 0;
}

static int verify_open(bool restored _unused_)
{
	CHECK(fcntl(10, F_GETFD) >= 0, "fd 10 still open");
	return 0;
}

int main(void)
{
	struct fds_case cases[] = {
		{ .name = "fds-refuse (corked UDP with data)", .netns = true, .setup = setup_corked,
		  .verify = verify_corked, .refused_fd = 10,
		  .expect_dump_refusal = "corked UDP socket has data queued for sending" },
		{ .name = "fds-refuse (unix socket with a userfaultfd in flight)", .setup = setup_scm_rights,
		  .verify = verify_scm_rights, .refused_fd = 11,
		  .expect_dump_refusal = "unix socket carries an fd in flight (SCM_RIGHTS) that cannot be dumped" },
		{ .name = "fds-refuse (inotify with an event queued)", .setup = setup_inotify, .verify = verify_inotify,
		  .refused_fd = 10, .expect_dump_refusal = "inotify has" },
		{ .name = "fds-refuse (epoll watching a closed fd number)", .setup = setup_epoll_stale,
		  .verify = verify_open, .refused_fd = 10,
		  .expect_dump_refusal = "epoll watches a file that is no longer open at fd 11" },
		{ .name = "fds-refuse (unix socket whose peer is outside the dump)", .setup = setup_outside_peer,
		  .verify = verify_open, .refused_fd = 10,
		  .expect_dump_refusal = "unix socket connected to socket" },
		{ .name = "fds-refuse (removed directory)", .setup = setup_removed_dir, .verify = verify_open,
		  .refused_fd = 10, .expect_dump_refusal = "/tmp/cryo-fds-refuse-dir-" },
		{ .name = "fds-refuse (fanotify)", .setup = setup_fanotify, .verify = verify_open,
		  .refused_fd = 10, .expect_dump_refusal = "fanotify has" },
	};
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cases) && r == 0; i++) {
		/* made here, in the network namespace of the dump (sock_diag only sees that one) */
		bool outside = cases[i].setup == setup_outside_peer;
		if (outside && socketpair(AF_UNIX, SOCK_STREAM, 0, outside_pair) < 0)
			return 1;
		r = fds_case_run(&cases[i]);
		if (outside) {
			close(outside_pair[0]);
			close(outside_pair[1]);
		}
	}
	return r;
}
