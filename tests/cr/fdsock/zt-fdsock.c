/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sockets across a full dump and restore by cryo-cr; the task checks them
 * itself (protocol: docs/testing.md).  One mode per run:
 *
 *   unix-pair      stream, dgram and seqpacket socketpairs with data queued
 *                  both ways (record boundaries kept), O_NONBLOCK, FD_CLOEXEC,
 *                  a dup (one description), an end shared with a child
 *   unix-listen    listeners on a path and an abstract name, connections
 *                  accepted from both (names, data both ways), connections
 *                  still waiting in accept() on both, one whose client only a
 *                  child holds
 *   unix-dgram     bound dgram sockets (path, abstract) with datagrams
 *                  queued, a dgram socket connected to the path one
 *   unix-scm       fds in flight (SCM_RIGHTS: a pipe end only in flight, a
 *                  file the task also holds) and credentials (SCM_CREDENTIALS
 *                  with a uid and gid that are not the task's)
 *   unix-shutdown  a stream pair shut down for writing with data before the
 *                  EOF, one shut down for reading
 *   unix-opts      SO_PASSCRED, buffer sizes, SO_PRIORITY, SO_MARK, SO_RCVLOWAT,
 *                  SO_PEEK_OFF, timeouts on unix sockets
 *   unix-ext       (refuse) a unix stream connected to a process outside the tree
 *   unix-ext-dgram (--ext-unix-sk) a dgram socket connected to a bound socket of a
 *                  process outside the tree: connected to that name again
 *   udp            UDP bound and connected, IPv4 and IPv6 (V6ONLY), options
 *                  (SO_REUSEADDR, SO_REUSEPORT, buffers), UDP_CORK with an
 *                  empty write queue (corked after restore: held until uncork)
 *   udp-cork-data  (refuse) a corked UDP socket with data in its write queue
 *   tcp-listen     TCP listeners, IPv4 and IPv6, with options (reuseaddr,
 *                  nodelay, keepalive, buffers): a client connects after restore
 *   tcp-est        (--tcp-established) established connections inside the tree,
 *                  IPv4 and IPv6, bytes queued both ways, TCP_NODELAY,
 *                  keepalive, TCP_CORK, shared with a child; the listener too
 *   tcp-half       (--tcp-established) half-closed connections, IPv4 and IPv6:
 *                  one end shut down for writing (FIN_WAIT2, the other in
 *                  CLOSE_WAIT) with data still queued both ways
 *                  (the sockets that had the peer's FIN are in CLOSE_WAIT again:
 *                  the restore injects it and the lock lets it through)
 *   tcp-half-eof   the same under a lock that drops the injected FIN: the
 *                  restore shuts them down for reading instead (EOF, no CLOSE_WAIT)
 *   all            every mode above that is not a refusal, at once in one tree
 *                  (one child per mode; --tcp-established --ext-unix-sk, the peer)
 *   tcp-ext        (--tcp-established) a connection to a peer outside the tree
 *                  ($ZT_PEER_PORT on 127.0.0.1; tests/cr/fdsock/tcp-peer.c): bytes
 *                  from the peer unread across C/R, bytes the peer sent while
 *                  the task was gone, then data both ways
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/zt.h"

/* ---- helpers ----------------------------------------------------------- */

static void place(int fd, int at)
{
	if (fd < 0)
		zt_fail("setup of fd %d: %m", at);
	if (fd != at) {
		if (dup2(fd, at) < 0)
			zt_fail("dup2: %m");
		close(fd);
	}
}

static void expect_flags(int fd, bool nonblock, bool cloexec)
{
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);

	if (fl < 0 || fdfl < 0)
		zt_fail("fd %d is not open after restore", fd);
	if (!!(fl & O_NONBLOCK) != nonblock)
		zt_fail("fd %d: O_NONBLOCK is %s, was %s", fd, (fl & O_NONBLOCK) ? "on" : "off", nonblock ? "on" : "off");
	if (!!(fdfl & FD_CLOEXEC) != cloexec)
		zt_fail("fd %d: FD_CLOEXEC is %s, was %s", fd, (fdfl & FD_CLOEXEC) ? "on" : "off", cloexec ? "on" : "off");
}

static bool same_file(pid_t pa, int a, pid_t pb, int b)
{
	return syscall(SYS_kcmp, pa, pb, KCMP_FILE, a, b) == 0;
}

static void expect_same(int a, int b)
{
	if (!same_file(getpid(), a, getpid(), b))
		zt_fail("fds %d and %d are no longer one open file description", a, b);
}

static void expect_sock_type(int fd, int type)
{
	int t;
	socklen_t len = sizeof(t);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &len) < 0 || t != type)
		zt_fail("fd %d: socket type %d, not %d (%m)", fd, t, type);
}

static void send_str(int fd, const char *s)
{
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) != (ssize_t)strlen(s))
		zt_fail("send on fd %d: %m", fd);
}

/* One record (or up to len stream bytes) must be s. */
static void expect_recv(int fd, const char *s)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0)
		zt_fail("fd %d: nothing to read where \"%s\" was queued (%m)", fd, s);
	if ((size_t)n != strlen(s) || memcmp(buf, s, n))
		zt_fail("fd %d: read \"%.*s\", expected \"%s\"", fd, (int)n, buf, s);
}

static void expect_empty(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);

	if (n >= 0 || errno != EAGAIN)
		zt_fail("fd %d: more to read than was queued (%zd, %m)", fd, n);
}

/* Read exactly len bytes (waiting up to 5 s). */
static void read_full(int fd, void *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 5000) != 1)
			zt_fail("fd %d: %zu of %zu bytes arrived", fd, off, len);
		ssize_t n = recv(fd, (char *)buf + off, len - off, MSG_DONTWAIT);
		if (n == 0)
			zt_fail("fd %d: EOF after %zu of %zu bytes", fd, off, len);
		if (n < 0 && errno != EAGAIN)
			zt_fail("fd %d: read: %m", fd);
		if (n > 0)
			off += n;
	}
}

static void write_full(int fd, const void *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = send(fd, (const char *)buf + off, len - off, MSG_NOSIGNAL);
		if (n < 0)
			zt_fail("fd %d: write: %m", fd);
		off += n;
	}
}

static void read_pattern(int fd, size_t len, uint32_t seed, const char *what)
{
	char *buf = malloc(len);
	size_t bad;

	if (!buf)
		zt_fail("malloc");
	read_full(fd, buf, len);
	if ((bad = zt_check(buf, len, seed)))
		zt_fail("%s: byte %zu differs", what, bad - 1);
	free(buf);
}

static void write_pattern(int fd, size_t len, uint32_t seed)
{
	char *buf = malloc(len);

	if (!buf)
		zt_fail("malloc");
	zt_fill(buf, len, seed);
	write_full(fd, buf, len);
	free(buf);
}

static int get_int(int fd, int level, int name)
{
	int v;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, name, &v, &len) < 0)
		zt_fail("fd %d: getsockopt(%d, %d): %m", fd, level, name);
	return v;
}

static void set_int(int fd, int level, int name, int v)
{
	if (setsockopt(fd, level, name, &v, sizeof(v)) < 0)
		zt_fail("fd %d: setsockopt(%d, %d, %d): %m", fd, level, name, v);
}

static void expect_int(int fd, int level, int name, int v, const char *what)
{
	int now = get_int(fd, level, name);

	if (now != v)
		zt_fail("fd %d: %s is %d, was %d", fd, what, now, v);
}

/* A child that holds what the task holds; it checks with check() once told. */
struct child_page {
	volatile int phase;	/* 1 ready, 2 check now, 3 done */
	volatile int ok;
	volatile pid_t parent;
	char why[200];
};

static struct child_page *cp;
static pid_t child;

static void child_start(void (*check)(struct child_page *))
{
	cp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cp == MAP_FAILED)
		zt_fail("mmap: %m");
	cp->parent = getpid();
	child = fork();
	if (child < 0)
		zt_fail("fork: %m");
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		cp->phase = 1;
		while (cp->phase < 2) {
			if (getppid() != cp->parent)
				_exit(1);
			usleep(1000);
		}
		check(cp);
		cp->phase = 3;
		_exit(0);
	}
	while (cp->phase < 1)
		usleep(1000);
}

static void child_finish(void)
{
	int st;

	cp->phase = 2;
	for (int i = 0; i < 10000 && cp->phase < 3; i++)
		usleep(1000);
	if (!cp->ok)
		zt_fail("child: %s", cp->why[0] ? cp->why : "did not report");
	waitpid(child, &st, 0);
}

static socklen_t unix_addr(struct sockaddr_un *sun, const char *name, bool abstract)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (abstract) {
		snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1, "%s", name);
		return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
	}
	snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", name);
	return offsetof(struct sockaddr_un, sun_path) + strlen(name) + 1;
}

/* The name of fd (or of its peer) must be sun. */
static void expect_name(int fd, bool peer, const struct sockaddr_un *sun, socklen_t len)
{
	struct sockaddr_un got;
	socklen_t glen = sizeof(got);
	int r = peer ? getpeername(fd, (void *)&got, &glen) : getsockname(fd, (void *)&got, &glen);

	if (r < 0)
		zt_fail("fd %d: get%sname: %m", fd, peer ? "peer" : "sock");
	/* the kernel may count a path's NUL or not */
	size_t a = glen - offsetof(struct sockaddr_un, sun_path), b = len - offsetof(struct sockaddr_un, sun_path);
	if (a && got.sun_path[0] && !got.sun_path[a - 1])
		a--;
	if (b && sun->sun_path[0] && !sun->sun_path[b - 1])
		b--;
	if (a != b || memcmp(got.sun_path, sun->sun_path, a))
		zt_fail("fd %d: %s name is \"%s%.*s\", not \"%s%.*s\"", fd, peer ? "peer" : "own",
			got.sun_path[0] ? "" : "@", (int)a - !got.sun_path[0], got.sun_path + !got.sun_path[0],
			sun->sun_path[0] ? "" : "@", (int)b - !sun->sun_path[0], sun->sun_path + !sun->sun_path[0]);
}

static char tmpdir[64];

static void remove_tmpdir(void)
{
	char cmd[128];

	if (!tmpdir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		zt_log("cannot remove %s", tmpdir);
	tmpdir[0] = 0;
}

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/zt-fdsock.XXXXXX");
	if (!mkdtemp(tmpdir))
		zt_fail("mkdtemp: %m");
	atexit(remove_tmpdir);	/* a failed check exits too */
}

/* ---- unix -------------------------------------------------------------- */

static void child_pair_check(struct child_page *c)
{
	/* fd 21 is the parent's fd 21: one description after restore too */
	if (!same_file(c->parent, 21, getpid(), 21))
		snprintf(c->why, sizeof(c->why), "fd 21 is not shared with the parent after restore");
	else
		c->ok = 1;
}

static void do_unix_pair(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		zt_fail("socketpair: %m");
	place(sv[0], 20);
	place(sv[1], 21);
	fcntl(21, F_SETFL, 0);
	fcntl(21, F_SETFD, FD_CLOEXEC);
	place(dup(20), 22);
	send_str(20, "abc");
	send_str(20, "def");
	send_str(21, "xyz");
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
		zt_fail("socketpair: %m");
	place(sv[0], 23);
	place(sv[1], 24);
	send_str(23, "d1");
	send_str(23, "d22");
	send_str(23, "d333");
	send_str(24, "e1");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		zt_fail("socketpair: %m");
	place(sv[0], 25);
	place(sv[1], 26);
	send_str(25, "p1");
	send_str(25, "p22");
	send_str(26, "q1");
	child_start(child_pair_check);
	zt_ready();
	zt_wait();

	expect_flags(20, true, false);
	expect_flags(21, false, true);
	expect_flags(22, true, false);
	expect_same(20, 22);
	expect_sock_type(20, SOCK_STREAM);
	expect_sock_type(23, SOCK_DGRAM);
	expect_sock_type(25, SOCK_SEQPACKET);
	expect_recv(21, "abcdef");
	expect_empty(21);
	expect_recv(20, "xyz");
	expect_empty(20);
	expect_recv(24, "d1");
	expect_recv(24, "d22");
	expect_recv(24, "d333");
	expect_empty(24);
	expect_recv(23, "e1");
	expect_empty(23);
	expect_recv(26, "p1");
	expect_recv(26, "p22");
	expect_empty(26);
	expect_recv(25, "q1");
	expect_empty(25);
	/* still connected to each other */
	send_str(21, "again");
	expect_recv(22, "again");
	send_str(24, "dg");
	expect_recv(23, "dg");
	send_str(26, "sp");
	expect_recv(25, "sp");
	child_finish();
}

static void child_listen_check(struct child_page *c)
{
	if (send(39, "kid", 3, MSG_NOSIGNAL) != 3)
		snprintf(c->why, sizeof(c->why), "fd 39 of the child: %m");
	else
		c->ok = 1;
}

static void do_unix_listen(void)
{
	struct sockaddr_un path, abst;
	socklen_t plen, alen;
	char name[128];
	int fl;

	make_tmpdir();
	snprintf(name, sizeof(name), "%s/l.sock", tmpdir);
	plen = unix_addr(&path, name, false);
	snprintf(name, sizeof(name), "zt-fdsock-%d", getpid());
	alen = unix_addr(&abst, name, true);

	place(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0), 30);
	place(socket(AF_UNIX, SOCK_SEQPACKET, 0), 31);
	if (bind(30, (void *)&path, plen) < 0 || listen(30, 8) < 0 ||
	    bind(31, (void *)&abst, alen) < 0 || listen(31, 8) < 0)
		zt_fail("listen: %m");
	/* accepted connections */
	place(socket(AF_UNIX, SOCK_STREAM, 0), 32);
	if (connect(32, (void *)&path, plen) < 0)
		zt_fail("connect: %m");
	place(accept(30, NULL, NULL), 33);
	fcntl(33, F_SETFD, FD_CLOEXEC);
	place(socket(AF_UNIX, SOCK_SEQPACKET, 0), 34);
	if (connect(34, (void *)&abst, alen) < 0)
		zt_fail("connect: %m");
	place(accept(31, NULL, NULL), 35);
	send_str(32, "hello");
	send_str(33, "world");
	send_str(34, "rec1");
	send_str(34, "rec2");
	send_str(35, "back");
	/* connections waiting in accept() */
	place(socket(AF_UNIX, SOCK_STREAM, 0), 36);
	if (connect(36, (void *)&path, plen) < 0)
		zt_fail("connect: %m");
	place(socket(AF_UNIX, SOCK_SEQPACKET, 0), 37);
	if (connect(37, (void *)&abst, alen) < 0)
		zt_fail("connect: %m");
	place(socket(AF_UNIX, SOCK_STREAM, 0), 38);
	if (connect(38, (void *)&path, plen) < 0)
		zt_fail("connect: %m");
	/* a waiting client only a child holds (the listener's restore in the
	 * parent makes it; the child inherits it) */
	place(socket(AF_UNIX, SOCK_SEQPACKET, 0), 39);
	if (connect(39, (void *)&abst, alen) < 0)
		zt_fail("connect: %m");
	child_start(child_listen_check);
	close(39);
	zt_ready();
	zt_wait();

	expect_flags(30, true, false);
	expect_flags(33, false, true);
	expect_name(30, false, &path, plen);
	expect_name(31, false, &abst, alen);
	expect_name(33, false, &path, plen);
	expect_name(32, true, &path, plen);
	expect_name(35, false, &abst, alen);
	expect_name(34, true, &abst, alen);
	expect_recv(33, "hello");
	expect_recv(32, "world");
	expect_recv(35, "rec1");
	expect_recv(35, "rec2");
	expect_empty(35);
	expect_recv(34, "back");
	/* the waiting connections, in their order */
	int a = accept4(30, NULL, NULL, SOCK_NONBLOCK);
	if (a < 0)
		zt_fail("no connection waiting on the path listener after restore (%m)");
	send_str(a, "to36");
	expect_recv(36, "to36");
	send_str(36, "from36");
	expect_recv(a, "from36");
	int b = accept4(30, NULL, NULL, SOCK_NONBLOCK);
	if (b < 0)
		zt_fail("the second waiting connection on the path listener is gone (%m)");
	send_str(38, "from38");
	expect_recv(b, "from38");
	if (accept4(30, NULL, NULL, SOCK_NONBLOCK) >= 0 || errno != EAGAIN)
		zt_fail("more connections waiting than were queued");
	fl = fcntl(31, F_GETFL);
	fcntl(31, F_SETFL, fl | O_NONBLOCK);
	int c = accept(31, NULL, NULL);
	if (c < 0)
		zt_fail("no connection waiting on the abstract listener after restore (%m)");
	send_str(37, "r37");
	expect_recv(c, "r37");
	expect_sock_type(c, SOCK_SEQPACKET);
	child_finish();		/* the child sent "kid" on its fd 39 */
	int k = accept(31, NULL, NULL);
	if (k < 0)
		zt_fail("the child's waiting connection is gone (%m)");
	expect_recv(k, "kid");
	/* new connections still work */
	int d = socket(AF_UNIX, SOCK_STREAM, 0);
	if (d < 0 || connect(d, (void *)&path, plen) < 0)
		zt_fail("connect to the restored path listener: %m");
	remove_tmpdir();
}

static void do_unix_dgram(void)
{
	struct sockaddr_un path, abst;
	socklen_t plen, alen;
	char name[128];

	make_tmpdir();
	snprintf(name, sizeof(name), "%s/d.sock", tmpdir);
	plen = unix_addr(&path, name, false);
	snprintf(name, sizeof(name), "zt-fdsock-d-%d", getpid());
	alen = unix_addr(&abst, name, true);
	place(socket(AF_UNIX, SOCK_DGRAM, 0), 40);
	place(socket(AF_UNIX, SOCK_DGRAM, 0), 41);
	place(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0), 42);
	place(socket(AF_UNIX, SOCK_DGRAM, 0), 43);
	if (bind(40, (void *)&path, plen) < 0 || bind(42, (void *)&abst, alen) < 0)
		zt_fail("bind: %m");
	if (sendto(41, "a", 1, 0, (void *)&path, plen) != 1 || sendto(41, "bb", 2, 0, (void *)&path, plen) != 2 ||
	    sendto(41, "ccc", 3, 0, (void *)&abst, alen) != 3)
		zt_fail("sendto: %m");
	if (connect(43, (void *)&path, plen) < 0)
		zt_fail("connect: %m");
	send_str(43, "from43");
	zt_ready();
	zt_wait();

	expect_flags(42, true, false);
	expect_name(40, false, &path, plen);
	expect_name(42, false, &abst, alen);
	expect_name(43, true, &path, plen);
	expect_recv(40, "a");
	expect_recv(40, "bb");
	expect_recv(40, "from43");
	expect_empty(40);
	expect_recv(42, "ccc");
	expect_empty(42);
	send_str(43, "again");
	expect_recv(40, "again");
	if (sendto(41, "x", 1, 0, (void *)&abst, alen) != 1)
		zt_fail("sendto the abstract name after restore: %m");
	expect_recv(42, "x");
	remove_tmpdir();
}

/* Receive one message with the fds and credentials it carries. */
static ssize_t recv_msg(int fd, char *buf, size_t len, int *fds, int *nfds, struct ucred *cred, bool *has_cred)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8) + CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);

	*nfds = 0;
	*has_cred = false;
	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			*nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(fds, CMSG_DATA(c), *nfds * sizeof(int));
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			memcpy(cred, CMSG_DATA(c), sizeof(*cred));
			*has_cred = true;
		}
	}
	return n;
}

static void send_with(int fd, const char *s, const int *fds, int nfds, const struct ucred *cred)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8) + CMSG_SPACE(sizeof(struct ucred))] = { 0 };
	struct iovec iov = { (void *)s, strlen(s) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = 0 };
	struct cmsghdr *c = (struct cmsghdr *)cbuf;

	if (nfds) {
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
		mh.msg_controllen += CMSG_SPACE(nfds * sizeof(int));
		c = (struct cmsghdr *)(cbuf + mh.msg_controllen);
	}
	if (cred) {
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof(*cred));
		memcpy(CMSG_DATA(c), cred, sizeof(*cred));
		mh.msg_controllen += CMSG_SPACE(sizeof(*cred));
	}
	if (!mh.msg_controllen)
		mh.msg_control = NULL;
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)strlen(s))
		zt_fail("sendmsg on fd %d: %m", fd);
}

static void do_unix_scm(void)
{
	int sv[2], p[2], fds[8], nfds;
	struct ucred cred = { .pid = getpid(), .uid = 1234, .gid = 5678 }, got;
	bool has_cred;
	char buf[64];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(p) < 0)
		zt_fail("setup: %m");
	place(sv[0], 50);
	place(sv[1], 51);
	place(open("/etc/hostname", O_RDONLY), 52);
	if (lseek(52, 1, SEEK_SET) != 1 || write(p[1], "pipedata", 8) != 8)
		zt_fail("setup: %m");
	int two[2] = { p[0], 52 };
	send_with(50, "R", two, 2, NULL);
	close(p[0]);
	close(p[1]);
	/* credentials, on a dgram pair whose receiver asks for them */
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
		zt_fail("socketpair: %m");
	place(sv[0], 53);
	place(sv[1], 54);
	set_int(53, SOL_SOCKET, SO_PASSCRED, 1);
	send_with(54, "cred", NULL, 0, &cred);
	send_str(54, "plain");
	zt_ready();
	zt_wait();

	ssize_t n = recv_msg(51, buf, sizeof(buf), fds, &nfds, &got, &has_cred);
	if (n != 1 || buf[0] != 'R' || nfds != 2)
		zt_fail("fd 51: the message with fds in flight: %zd bytes, %d fds (%m)", n, nfds);
	if (read(fds[0], buf, sizeof(buf)) != 8 || memcmp(buf, "pipedata", 8))
		zt_fail("the pipe in flight does not hold its data");
	if (!same_file(getpid(), fds[1], getpid(), 52))
		zt_fail("the file in flight is not the task's fd 52 (one description)");
	n = recv_msg(53, buf, sizeof(buf), fds, &nfds, &got, &has_cred);
	if (n != 4 || memcmp(buf, "cred", 4) || !has_cred)
		zt_fail("fd 53: the message with credentials: %zd bytes, %s", n, has_cred ? "credentials" : "no credentials");
	if (got.pid != cred.pid || got.uid != cred.uid || got.gid != cred.gid)
		zt_fail("fd 53: credentials pid %d uid %u gid %u, sent pid %d uid %u gid %u", got.pid, got.uid, got.gid,
			cred.pid, cred.uid, cred.gid);
	n = recv_msg(53, buf, sizeof(buf), fds, &nfds, &got, &has_cred);
	if (n != 5 || memcmp(buf, "plain", 5) || !has_cred || got.uid != getuid())
		zt_fail("fd 53: the second message or its credentials");
	expect_int(53, SOL_SOCKET, SO_PASSCRED, 1, "SO_PASSCRED");
}

static void do_unix_shutdown(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		zt_fail("socketpair: %m");
	place(sv[0], 60);
	place(sv[1], 61);
	send_str(60, "bye");
	shutdown(60, SHUT_WR);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		zt_fail("socketpair: %m");
	place(sv[0], 62);
	place(sv[1], 63);
	shutdown(62, SHUT_RD);
	send_str(62, "still");
	zt_ready();
	zt_wait();

	expect_recv(61, "bye");
	char c;
	if (recv(61, &c, 1, MSG_DONTWAIT) != 0)
		zt_fail("fd 61: no EOF after the data (the peer had shut down writing) (%m)");
	if (send(60, "x", 1, MSG_NOSIGNAL) >= 0 || errno != EPIPE)
		zt_fail("fd 60: writing after SHUT_WR did not fail with EPIPE (%m)");
	send_str(61, "reply");
	expect_recv(60, "reply");
	if (recv(62, &c, 1, MSG_DONTWAIT) != 0)
		zt_fail("fd 62: reading after SHUT_RD does not give EOF (%m)");
	if (send(63, "x", 1, MSG_NOSIGNAL) >= 0 || errno != EPIPE)
		zt_fail("fd 63: writing to a peer shut down for reading did not fail with EPIPE (%m)");
	expect_recv(63, "still");
}

struct opt_val { int level, name, value; const char *what; };

static void do_unix_opts(void)
{
	int sv[2];
	struct timeval tv = { .tv_sec = 3, .tv_usec = 250000 }, got, rcvtimeo, sndtimeo;
	socklen_t len = sizeof(got);

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		zt_fail("socketpair: %m");
	place(sv[0], 64);
	place(sv[1], 65);
	set_int(64, SOL_SOCKET, SO_PASSCRED, 1);
	set_int(64, SOL_SOCKET, SO_SNDBUF, 50000);
	set_int(64, SOL_SOCKET, SO_RCVBUF, 70000);
	set_int(64, SOL_SOCKET, SO_PRIORITY, 5);
	set_int(64, SOL_SOCKET, SO_MARK, 77);
	set_int(64, SOL_SOCKET, SO_RCVLOWAT, 3);
	set_int(65, SOL_SOCKET, SO_PEEK_OFF, 0);
	if (setsockopt(64, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(65, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		zt_fail("timeouts: %m");
	/* as the kernel keeps them (in jiffies) */
	if (getsockopt(64, SOL_SOCKET, SO_RCVTIMEO, &rcvtimeo, &len) < 0 ||
	    getsockopt(65, SOL_SOCKET, SO_SNDTIMEO, &sndtimeo, &len) < 0)
		zt_fail("timeouts: %m");
	struct opt_val want[] = {
		{ SOL_SOCKET, SO_PASSCRED, get_int(64, SOL_SOCKET, SO_PASSCRED), "SO_PASSCRED" },
		{ SOL_SOCKET, SO_SNDBUF, get_int(64, SOL_SOCKET, SO_SNDBUF), "SO_SNDBUF" },
		{ SOL_SOCKET, SO_RCVBUF, get_int(64, SOL_SOCKET, SO_RCVBUF), "SO_RCVBUF" },
		{ SOL_SOCKET, SO_PRIORITY, 5, "SO_PRIORITY" },
		{ SOL_SOCKET, SO_MARK, 77, "SO_MARK" },
		{ SOL_SOCKET, SO_RCVLOWAT, 3, "SO_RCVLOWAT" },
	};
	send_str(64, "abcdef");
	/* peek offset: 2 bytes peeked */
	char buf[8];
	if (recv(65, buf, 2, MSG_PEEK) != 2)
		zt_fail("peek: %m");
	zt_ready();
	zt_wait();

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		expect_int(64, want[i].level, want[i].name, want[i].value, want[i].what);
	expect_int(65, SOL_SOCKET, SO_PEEK_OFF, 2, "SO_PEEK_OFF");
	if (getsockopt(64, SOL_SOCKET, SO_RCVTIMEO, &got, &len) < 0 || got.tv_sec != rcvtimeo.tv_sec ||
	    got.tv_usec != rcvtimeo.tv_usec)
		zt_fail("fd 64: SO_RCVTIMEO is %ld.%06ld, was %ld.%06ld", (long)got.tv_sec, (long)got.tv_usec,
			(long)rcvtimeo.tv_sec, (long)rcvtimeo.tv_usec);
	len = sizeof(got);
	if (getsockopt(65, SOL_SOCKET, SO_SNDTIMEO, &got, &len) < 0 || got.tv_sec != sndtimeo.tv_sec ||
	    got.tv_usec != sndtimeo.tv_usec)
		zt_fail("fd 65: SO_SNDTIMEO is %ld.%06ld, was %ld.%06ld", (long)got.tv_sec, (long)got.tv_usec,
			(long)sndtimeo.tv_sec, (long)sndtimeo.tv_usec);
	if (recv(65, buf, 4, MSG_PEEK) != 4 || memcmp(buf, "cdef", 4))
		zt_fail("fd 65: peeking goes on at offset 2 (got \"%.4s\")", buf);
	expect_recv(65, "abcdef");
}

/* A unix stream connected to a process outside the tree (it escapes by a double fork). */
static void do_unix_ext(void)
{
	int sv[2], st;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		zt_fail("socketpair: %m");
	pid_t c = fork();
	if (c == 0) {
		if (fork() == 0) {
			close(sv[0]);
			char b;
			/* until the test ends (its end closes) */
			while (read(sv[1], &b, 1) > 0)
				;
			_exit(0);
		}
		_exit(0);
	}
	waitpid(c, &st, 0);
	close(sv[1]);
	place(sv[0], 66);
	zt_ready();
	zt_wait();
	send_str(66, "x");
}

/*
 * A dgram socket connected to a bound socket of a process outside the tree
 * (escaped by a double fork): with --ext-unix-sk it connects to that name
 * again.  The outside process marks each datagram it gets with a file.
 */
static void do_unix_ext_dgram(void)
{
	struct sockaddr_un sun;
	socklen_t len;
	char name[128], mark[160];
	int st;

	make_tmpdir();
	snprintf(name, sizeof(name), "%s/ext.sock", tmpdir);
	len = unix_addr(&sun, name, false);
	int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (srv < 0 || bind(srv, (void *)&sun, len) < 0)
		zt_fail("bind: %m");
	pid_t c = fork();
	if (c == 0) {
		if (fork() == 0) {
			char buf[64];
			setsid();	/* its session and group ids would keep our pid taken */
			alarm(60);	/* never outlive a failed test for long */
			for (;;) {
				ssize_t n = recv(srv, buf, sizeof(buf) - 1, 0);
				if (n <= 0)
					_exit(1);
				buf[n] = 0;
				snprintf(mark, sizeof(mark), "%s/got-%s", tmpdir, buf);
				close(open(mark, O_CREAT | O_WRONLY, 0644));
				if (!strcmp(buf, "after"))
					_exit(0);
			}
		}
		_exit(0);
	}
	waitpid(c, &st, 0);
	close(srv);
	place(socket(AF_UNIX, SOCK_DGRAM, 0), 67);
	if (connect(67, (void *)&sun, len) < 0)
		zt_fail("connect: %m");
	send_str(67, "before");
	snprintf(mark, sizeof(mark), "%s/got-before", tmpdir);
	for (int i = 0; i < 500 && access(mark, F_OK); i++)
		usleep(10000);
	zt_ready();
	zt_wait();

	expect_name(67, true, &sun, len);
	send_str(67, "after");
	snprintf(mark, sizeof(mark), "%s/got-after", tmpdir);
	for (int i = 0; i < 500 && access(mark, F_OK); i++)
		usleep(10000);
	if (access(mark, F_OK))
		zt_fail("the process outside the tree did not get the datagram sent after restore");
	remove_tmpdir();
}

/* ---- inet -------------------------------------------------------------- */

static socklen_t local_name(int fd, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);

	if (getsockname(fd, (void *)ss, &len) < 0)
		zt_fail("getsockname(%d): %m", fd);
	return len;
}

static void expect_names(int fd, const struct sockaddr_storage *own, const struct sockaddr_storage *peer)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);

	memset(&a, 0, sizeof(a));
	if (getsockname(fd, (void *)&a, &len) < 0 || memcmp(&a, own, len))
		zt_fail("fd %d: its local address changed", fd);
	if (!peer)
		return;
	len = sizeof(a);
	memset(&a, 0, sizeof(a));
	if (getpeername(fd, (void *)&a, &len) < 0 || memcmp(&a, peer, len))
		zt_fail("fd %d: its peer address changed (%m)", fd);
}

static struct sockaddr_in lo4(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static struct sockaddr_in6 lo6(int port)
{
	return (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
}

static void do_udp(void)
{
	struct sockaddr_storage n70, n71, n72, n73, n74;
	struct sockaddr_in a4 = lo4(0);
	struct sockaddr_in6 a6 = lo6(0);

	place(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), 70);
	set_int(70, SOL_SOCKET, SO_REUSEADDR, 1);
	set_int(70, SOL_SOCKET, SO_REUSEPORT, 1);
	set_int(70, SOL_SOCKET, SO_RCVBUF, 60000);
	if (bind(70, (void *)&a4, sizeof(a4)) < 0)
		zt_fail("bind: %m");
	local_name(70, &n70);
	int rcvbuf = get_int(70, SOL_SOCKET, SO_RCVBUF);
	place(socket(AF_INET, SOCK_DGRAM, 0), 71);
	if (connect(71, (void *)&n70, sizeof(struct sockaddr_in)) < 0)
		zt_fail("connect: %m");
	place(socket(AF_INET6, SOCK_DGRAM, 0), 72);
	set_int(72, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	if (bind(72, (void *)&a6, sizeof(a6)) < 0)
		zt_fail("bind6: %m");
	local_name(72, &n72);
	place(socket(AF_INET6, SOCK_DGRAM, 0), 73);
	if (connect(73, (void *)&n72, sizeof(struct sockaddr_in6)) < 0)
		zt_fail("connect6: %m");
	place(socket(AF_INET, SOCK_DGRAM, 0), 74);
	if (connect(74, (void *)&n70, sizeof(struct sockaddr_in)) < 0)
		zt_fail("connect: %m");
	set_int(74, IPPROTO_UDP, UDP_CORK, 1);
	local_name(71, &n71);
	local_name(73, &n73);
	local_name(74, &n74);
	zt_ready();
	zt_wait();

	expect_flags(70, true, false);
	expect_names(70, &n70, NULL);
	expect_names(71, &n71, &n70);
	expect_names(72, &n72, NULL);
	expect_names(73, &n73, &n72);
	expect_names(74, &n74, &n70);
	expect_int(70, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	expect_int(70, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
	expect_int(70, SOL_SOCKET, SO_RCVBUF, rcvbuf, "SO_RCVBUF");
	expect_int(72, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
	expect_int(74, IPPROTO_UDP, UDP_CORK, 1, "UDP_CORK");
	send_str(71, "u4");
	struct pollfd p = { .fd = 70, .events = POLLIN };
	poll(&p, 1, 2000);
	expect_recv(70, "u4");
	send_str(73, "u6");
	p.fd = 72;
	poll(&p, 1, 2000);
	expect_recv(72, "u6");
	/* corked: held until uncorked */
	send_str(74, "c1");
	send_str(74, "c2");
	p.fd = 70;
	if (poll(&p, 1, 200) != 0)
		zt_fail("fd 74 is not corked after restore: its datagram arrived");
	set_int(74, IPPROTO_UDP, UDP_CORK, 0);
	poll(&p, 1, 2000);
	expect_recv(70, "c1c2");
}

static void do_udp_cork_data(void)
{
	struct sockaddr_in a = lo4(9);

	place(socket(AF_INET, SOCK_DGRAM, 0), 75);
	if (connect(75, (void *)&a, sizeof(a)) < 0)
		zt_fail("connect: %m");
	set_int(75, IPPROTO_UDP, UDP_CORK, 1);
	send_str(75, "queued");
	zt_ready();
	zt_wait();
	expect_int(75, IPPROTO_UDP, UDP_CORK, 1, "UDP_CORK");
}

static void do_tcp_listen(void)
{
	struct sockaddr_storage n80, n81;
	struct sockaddr_in a4 = lo4(0);
	struct sockaddr_in6 a6 = lo6(0);

	place(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), 80);
	set_int(80, SOL_SOCKET, SO_REUSEADDR, 1);
	set_int(80, IPPROTO_TCP, TCP_NODELAY, 1);
	set_int(80, SOL_SOCKET, SO_KEEPALIVE, 1);
	set_int(80, IPPROTO_TCP, TCP_KEEPIDLE, 77);
	set_int(80, SOL_SOCKET, SO_SNDBUF, 40000);
	if (bind(80, (void *)&a4, sizeof(a4)) < 0 || listen(80, 5) < 0)
		zt_fail("listen: %m");
	int sndbuf = get_int(80, SOL_SOCKET, SO_SNDBUF);
	place(socket(AF_INET6, SOCK_STREAM, 0), 81);
	fcntl(81, F_SETFD, FD_CLOEXEC);
	set_int(81, SOL_SOCKET, SO_REUSEPORT, 1);
	if (bind(81, (void *)&a6, sizeof(a6)) < 0 || listen(81, 5) < 0)
		zt_fail("listen6: %m");
	local_name(80, &n80);
	local_name(81, &n81);
	zt_ready();
	zt_wait();

	expect_flags(80, true, false);
	expect_flags(81, false, true);
	expect_names(80, &n80, NULL);
	expect_names(81, &n81, NULL);
	expect_int(80, SOL_SOCKET, SO_ACCEPTCONN, 1, "SO_ACCEPTCONN");
	expect_int(80, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	expect_int(80, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
	expect_int(80, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
	expect_int(80, IPPROTO_TCP, TCP_KEEPIDLE, 77, "TCP_KEEPIDLE");
	expect_int(80, SOL_SOCKET, SO_SNDBUF, sndbuf, "SO_SNDBUF");
	expect_int(81, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
	int c = socket(AF_INET, SOCK_STREAM, 0), c6 = socket(AF_INET6, SOCK_STREAM, 0);
	if (connect(c, (void *)&n80, sizeof(struct sockaddr_in)) < 0 ||
	    connect(c6, (void *)&n81, sizeof(struct sockaddr_in6)) < 0)
		zt_fail("connect to a restored listener: %m");
	struct pollfd p = { .fd = 80, .events = POLLIN };
	poll(&p, 1, 2000);
	int s = accept(80, NULL, NULL), s6 = accept(81, NULL, NULL);
	if (s < 0 || s6 < 0)
		zt_fail("accept on a restored listener: %m");
	send_str(c, "tcp");
	read_full(s, (char[4]){ 0 }, 3);
}

/* A connected pair through a listener: client at fd a, accepted at fd b. */
static void tcp_pair(int family, int l, int a, int b)
{
	struct sockaddr_storage ss;
	socklen_t len = local_name(l, &ss);

	place(socket(family, SOCK_STREAM, 0), a);
	if (connect(a, (void *)&ss, len) < 0)
		zt_fail("connect: %m");
	place(accept(l, NULL, NULL), b);
}

static void tcp_state(int fd, int state)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		zt_fail("TCP_INFO: %m");
	if (ti.tcpi_state != state)
		zt_fail("fd %d: TCP state %u, was %d", fd, ti.tcpi_state, state);
}

static void child_est_check(struct child_page *c)
{
	if (!same_file(c->parent, 91, getpid(), 91))
		snprintf(c->why, sizeof(c->why), "fd 91 is not shared with the parent after restore");
	else
		c->ok = 1;
}

static void do_tcp_est(void)
{
	struct sockaddr_storage n[6];
	struct sockaddr_in a4 = lo4(0);
	struct sockaddr_in6 a6 = lo6(0);

	place(socket(AF_INET, SOCK_STREAM, 0), 89);
	place(socket(AF_INET6, SOCK_STREAM, 0), 94);
	if (bind(89, (void *)&a4, sizeof(a4)) < 0 || listen(89, 5) < 0 ||
	    bind(94, (void *)&a6, sizeof(a6)) < 0 || listen(94, 5) < 0)
		zt_fail("listen: %m");
	tcp_pair(AF_INET, 89, 90, 91);
	tcp_pair(AF_INET6, 94, 92, 93);
	/* nothing queued either way: killed without repair mode, these would
	 * linger (FIN_WAIT1) on their addresses instead of being reset */
	tcp_pair(AF_INET, 89, 103, 104);
	set_int(90, IPPROTO_TCP, TCP_NODELAY, 1);
	set_int(90, SOL_SOCKET, SO_KEEPALIVE, 1);
	set_int(90, IPPROTO_TCP, TCP_KEEPINTVL, 33);
	set_int(91, SOL_SOCKET, SO_SNDBUF, 100000);
	fcntl(91, F_SETFL, O_NONBLOCK);
	fcntl(90, F_SETFD, FD_CLOEXEC);
	int sndbuf = get_int(91, SOL_SOCKET, SO_SNDBUF);
	write_pattern(90, 5000, 1);
	write_pattern(91, 3000, 2);
	write_pattern(92, 7000, 3);
	write_pattern(93, 100, 4);
	set_int(93, IPPROTO_TCP, TCP_CORK, 1);
	local_name(90, &n[0]);
	local_name(91, &n[1]);
	local_name(92, &n[2]);
	local_name(93, &n[3]);
	child_start(child_est_check);
	usleep(200000);	/* let the acks settle */
	zt_ready();
	zt_wait();

	expect_flags(90, false, true);
	expect_flags(91, true, false);
	expect_names(90, &n[0], &n[1]);
	expect_names(91, &n[1], &n[0]);
	expect_names(92, &n[2], &n[3]);
	expect_names(93, &n[3], &n[2]);
	tcp_state(90, TCP_ESTABLISHED);
	tcp_state(93, TCP_ESTABLISHED);
	expect_int(90, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
	expect_int(90, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
	expect_int(90, IPPROTO_TCP, TCP_KEEPINTVL, 33, "TCP_KEEPINTVL");
	expect_int(91, SOL_SOCKET, SO_SNDBUF, sndbuf, "SO_SNDBUF");
	expect_int(93, IPPROTO_TCP, TCP_CORK, 1, "TCP_CORK");
	expect_int(89, SOL_SOCKET, SO_ACCEPTCONN, 1, "SO_ACCEPTCONN");
	read_pattern(91, 5000, 1, "fd 91 (queued from 90)");
	read_pattern(90, 3000, 2, "fd 90 (queued from 91)");
	read_pattern(93, 7000, 3, "fd 93 (queued from 92)");
	read_pattern(92, 100, 4, "fd 92 (queued from 93)");
	write_pattern(90, 200000, 5);
	read_pattern(91, 200000, 5, "fd 91 after restore");
	write_pattern(91, 1000, 6);
	read_pattern(90, 1000, 6, "fd 90 after restore");
	set_int(93, IPPROTO_TCP, TCP_CORK, 0);
	write_pattern(93, 50, 7);
	read_pattern(92, 50, 7, "fd 92 after restore");
	tcp_state(103, TCP_ESTABLISHED);
	write_pattern(103, 100, 8);
	read_pattern(104, 100, 8, "fd 104 after restore");
	child_finish();
	/* the listener still takes connections */
	struct sockaddr_storage ls;
	socklen_t len = local_name(89, &ls);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (void *)&ls, len) < 0 || accept(89, NULL, NULL) < 0)
		zt_fail("the restored listener: %m");
}

static bool expect_close_wait = true;

static void do_tcp_half(void)
{
	struct sockaddr_in a4 = lo4(0);

	place(socket(AF_INET, SOCK_STREAM, 0), 95);
	if (bind(95, (void *)&a4, sizeof(a4)) < 0 || listen(95, 5) < 0)
		zt_fail("listen: %m");
	tcp_pair(AF_INET, 95, 96, 97);
	close(95);
	write_pattern(96, 2000, 1);
	shutdown(96, SHUT_WR);		/* 96: FIN_WAIT2, 97: CLOSE_WAIT */
	write_pattern(97, 3000, 2);	/* towards the side that still reads */
	usleep(200000);
	tcp_state(96, TCP_FIN_WAIT2);
	tcp_state(97, TCP_CLOSE_WAIT);
	/* the same over IPv6 */
	struct sockaddr_in6 a6 = lo6(0);
	place(socket(AF_INET6, SOCK_STREAM, 0), 100);
	if (bind(100, (void *)&a6, sizeof(a6)) < 0 || listen(100, 5) < 0)
		zt_fail("listen6: %m");
	tcp_pair(AF_INET6, 100, 101, 102);
	close(100);
	write_pattern(102, 500, 8);
	shutdown(101, SHUT_WR);		/* 101: FIN_WAIT2, 102: CLOSE_WAIT */
	usleep(100000);
	tcp_state(102, TCP_CLOSE_WAIT);
	zt_ready();
	zt_wait();

	read_pattern(101, 500, 8, "fd 101 (queued)");
	char e;
	if (recv(102, &e, 1, MSG_DONTWAIT) != 0)
		zt_fail("fd 102 (IPv6): no EOF: the peer's FIN is lost (%m)");
	write_pattern(102, 700, 9);
	read_pattern(101, 700, 9, "fd 101 after restore");

	if (expect_close_wait) {	/* the peer's FIN itself came again (not a lock's fallback) */
		tcp_state(97, TCP_CLOSE_WAIT);
		tcp_state(102, TCP_CLOSE_WAIT);
	}
	read_pattern(97, 2000, 1, "fd 97 (queued before the FIN)");
	char c;
	if (recv(97, &c, 1, MSG_DONTWAIT) != 0)
		zt_fail("fd 97: no EOF after the data: the peer's FIN is lost (%m)");
	read_pattern(96, 3000, 2, "fd 96 (queued)");
	if (send(96, "x", 1, MSG_NOSIGNAL) >= 0 || errno != EPIPE)
		zt_fail("fd 96: writing after SHUT_WR did not fail with EPIPE (%m)");
	write_pattern(97, 1000, 3);
	read_pattern(96, 1000, 3, "fd 96 after restore");
	close(97);
	struct pollfd p = { .fd = 96, .events = POLLIN };
	poll(&p, 1, 3000);
	if (recv(96, &c, 1, MSG_DONTWAIT) != 0)
		zt_fail("fd 96: no EOF once the peer closed after restore (%m)");
}

static void do_tcp_half_eof(void)
{
	expect_close_wait = false;
	do_tcp_half();
}

static void do_tcp_ext(void)
{
	const char *port = getenv("ZT_PEER_PORT");

	if (!port)
		zt_fail("ZT_PEER_PORT is not set (run through tests/cr/fdsock/tcp-ext.sh)");
	struct sockaddr_in a = lo4(atoi(port));
	place(socket(AF_INET, SOCK_STREAM, 0), 98);
	if (connect(98, (void *)&a, sizeof(a)) < 0)
		zt_fail("connect to the peer at port %s: %m", port);
	set_int(98, IPPROTO_TCP, TCP_NODELAY, 1);
	write_pattern(98, 10000, 11);		/* the peer reads it all */
	read_pattern(98, 2000, 12, "first half from the peer");
	/* the peer sent 4000: 2000 stay unread across C/R */
	usleep(500000);	/* acks both ways settle: nothing is in flight during the gap */
	zt_ready();
	zt_wait();

	tcp_state(98, TCP_ESTABLISHED);
	expect_int(98, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
	char *buf = malloc(2000);
	read_full(98, buf, 2000);
	char *ref = malloc(4000);
	zt_fill(ref, 4000, 12);
	if (memcmp(buf, ref + 2000, 2000))
		zt_fail("the 2000 bytes from the peer queued across C/R differ");
	/* sent by the peer while the task was gone: held by the lock, sent again */
	read_pattern(98, 1000, 15, "the bytes the peer sent while the task was dumped");
	write_pattern(98, 300000, 13);		/* after restore, to the peer */
	read_pattern(98, 300000, 14, "the peer's answer after restore");
	char c;
	struct pollfd p = { .fd = 98, .events = POLLIN };
	poll(&p, 1, 5000);
	if (recv(98, &c, 1, MSG_DONTWAIT) != 0)
		zt_fail("the peer did not close cleanly after the exchange (%m)");
}

static const struct mode { const char *name; void (*fn)(void); } modes[] = {
		{ "unix-pair", do_unix_pair }, { "unix-listen", do_unix_listen }, { "unix-dgram", do_unix_dgram },
		{ "unix-scm", do_unix_scm }, { "unix-shutdown", do_unix_shutdown }, { "unix-opts", do_unix_opts },
		{ "unix-ext", do_unix_ext }, { "unix-ext-dgram", do_unix_ext_dgram }, { "udp", do_udp }, { "udp-cork-data", do_udp_cork_data },
		{ "tcp-listen", do_tcp_listen }, { "tcp-est", do_tcp_est }, { "tcp-half", do_tcp_half },
		{ "tcp-half-eof", do_tcp_half_eof },
		{ "tcp-ext", do_tcp_ext },
};

static const struct mode *find_mode(const char *name)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(name, modes[i].name))
			return &modes[i];
	return NULL;
}

/*
 * Every mode that is not a refusal, at once in one tree: one child per mode
 * (each sets up, waits through C/R and checks as alone, reporting by its
 * exit status and its stderr); the root waits for them all.
 */
static void do_all(void)
{
	static const char *const all[] = { "unix-pair", "unix-listen", "unix-dgram", "unix-scm", "unix-shutdown",
		"unix-opts", "unix-ext-dgram", "udp", "tcp-listen", "tcp-est", "tcp-half", "tcp-ext" };
	enum { N = sizeof(all) / sizeof(all[0]) };
	char ready[N][128];
	pid_t kids[N];

	for (int i = 0; i < N; i++) {
		snprintf(ready[i], sizeof(ready[i]), "/tmp/zt-fdsock-all.%d.%d", getpid(), i);
		unlink(ready[i]);
		kids[i] = fork();
		if (kids[i] < 0)
			zt_fail("fork: %m");
		if (kids[i] == 0) {
			/* the child's own zt: ready by its file, verdict by its exit status */
			setenv("ZT_PIDFILE", ready[i], 1);
			unsetenv("ZT_OUT");
			zt_init(0, NULL);
			zt_log("all: %s is pid %d", all[i], getpid());
			find_mode(all[i])->fn();
			zt_pass();
		}
		for (int t = 0; t < 1000 && access(ready[i], F_OK); t++)
			usleep(10000);
		if (access(ready[i], F_OK))
			zt_fail("mode %s did not get ready", all[i]);
		unlink(ready[i]);
	}
	zt_ready();
	zt_wait();
	for (int i = 0; i < N; i++)
		kill(kids[i], SIGTERM);
	for (int i = 0; i < N; i++) {
		int st;
		if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st))
			zt_fail("mode %s failed after restore (its FAIL line is in the test's stderr)", all[i]);
	}
}

int main(int argc, char **argv)
{
	zt_init(argc, argv);
	if (argc < 2)
		zt_fail("usage: zt-fdsock MODE");
	if (!strcmp(argv[1], "all")) {
		do_all();
		zt_pass();
	}
	const struct mode *m = find_mode(argv[1]);
	if (!m)
		zt_fail("unknown mode %s", argv[1]);
	m->fn();
	zt_pass();
}
