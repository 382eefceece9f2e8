/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fds across a full dump and restore (docs/cr-restore.md, step "fds"); the
 * task checks them itself.  One mode per run:
 *
 *   reg         a regular file at fd 10, at offset 37 with O_APPEND off
 *   pipe        a pipe between the task and its child, 5 bytes in flight:
 *               the child reads them after restore
 *   eventfd     an eventfd at fd 12 with count 5
 *   socketpair  a unix stream socketpair at fds 13/14, "abc" queued
 *   shared      a file at fd 10 shared by the task and its child (one open
 *               file description): after restore the child's read moves
 *               the offset the task sees
 *   nostdio     fds 0-2 closed: they must still be closed after restore
 *               (not cryo-cr's)
 *
 * Every mode also checks that fds 0-2 are the task's own (the runner's
 * /dev/null and result files), not cryo-cr's.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/zt.h"

struct shared {
	volatile int phase;	/* 1: child ready, 2: child checks, 3: child done */
	volatile int child_ok;
	volatile pid_t parent;
	char why[128];
};

static struct stat stdio_st[3];

static void place(int fd, int at)
{
	if (fd != at) {
		if (dup2(fd, at) < 0)
			zt_fail("dup2: %m");
		close(fd);
	}
}

static void check_stdio(void)
{
	for (int i = 0; i < 3; i++) {
		struct stat st;
		if (fstat(i, &st) < 0)
			zt_fail("fd %d is closed after restore", i);
		if (st.st_dev != stdio_st[i].st_dev || st.st_ino != stdio_st[i].st_ino)
			zt_fail("fd %d is not the task's own file after restore", i);
	}
}

static void do_reg(void)
{
	char path[] = "/tmp/zt-rst-fds.XXXXXX", buf[100], c;
	int fd = mkstemp(path);
	if (fd < 0)
		zt_fail("mkstemp: %m");
	for (int i = 0; i < 100; i++)
		buf[i] = (char)('A' + i % 26);
	if (write(fd, buf, 100) != 100 || lseek(fd, 37, SEEK_SET) != 37)
		zt_fail("write: %m");
	place(fd, 10);
	zt_ready();
	zt_wait();
	unlink(path);
	off_t pos = lseek(10, 0, SEEK_CUR);
	if (pos != 37)
		zt_fail("fd 10 at offset %lld, not 37", (long long)pos);
	if (read(10, &c, 1) != 1 || c != buf[37])
		zt_fail("fd 10 does not read the file's byte 37");
	if (fcntl(10, F_GETFL) & O_APPEND)
		zt_fail("fd 10 got O_APPEND");
}

static void do_pipe(void)
{
	struct shared *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int p[2], st;
	if (s == MAP_FAILED || pipe(p) < 0)
		zt_fail("pipe: %m");
	place(p[0], 20);
	place(p[1], 21);
	s->parent = getpid();
	pid_t c = fork();
	if (c < 0)
		zt_fail("fork: %m");
	if (c == 0) {
		char buf[16];
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(21);
		s->phase = 1;
		while (s->phase < 2) {
			if (getppid() != s->parent)
				_exit(1);
			usleep(1000);
		}
		ssize_t n = 0, k;
		/* "hello" was in flight; "more" is written by the task after restore. */
		while (n < 9 && (k = read(20, buf + n, sizeof(buf) - (size_t)n)) > 0)
			n += k;
		if (n == 9 && !memcmp(buf, "hellomore", 9))
			s->child_ok = 1;
		else
			snprintf(s->why, sizeof(s->why), "child read %zd bytes from the pipe, not hellomore", n);
		s->phase = 3;
		_exit(0);
	}
	close(20);
	if (write(21, "hello", 5) != 5)
		zt_fail("write: %m");
	while (s->phase < 1)
		usleep(1000);
	zt_ready();
	zt_wait();
	if (write(21, "more", 4) != 4)
		zt_fail("write after restore: %m");
	close(21);	/* the child sees EOF if the pipe it holds is another one */
	s->phase = 2;
	for (int i = 0; i < 5000 && s->phase < 3; i++)
		usleep(1000);
	if (!s->child_ok)
		zt_fail("%s", s->why[0] ? s->why : "the child did not report");
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st))
		zt_fail("child %d did not exit", c);
}

static void do_shared(void)
{
	struct shared *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int fd = open("/etc/passwd", O_RDONLY), st;
	char buf[16];
	if (s == MAP_FAILED || fd < 0)
		zt_fail("setup: %m");
	place(fd, 10);
	if (lseek(10, 3, SEEK_SET) != 3)
		zt_fail("lseek: %m");
	s->parent = getpid();
	pid_t c = fork();
	if (c < 0)
		zt_fail("fork: %m");
	if (c == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		s->phase = 1;
		while (s->phase < 2) {
			if (getppid() != s->parent)
				_exit(1);
			usleep(1000);
		}
		if (read(10, buf, 4) == 4)
			s->child_ok = 1;
		else
			snprintf(s->why, sizeof(s->why), "the child cannot read fd 10");
		s->phase = 3;
		_exit(0);
	}
	while (s->phase < 1)
		usleep(1000);
	zt_ready();
	zt_wait();
	if (lseek(10, 0, SEEK_CUR) != 3)
		zt_fail("fd 10 is not at offset 3 after restore");
	s->phase = 2;
	for (int i = 0; i < 5000 && s->phase < 3; i++)
		usleep(1000);
	if (!s->child_ok)
		zt_fail("%s", s->why[0] ? s->why : "the child did not report");
	off_t pos = lseek(10, 0, SEEK_CUR);
	if (pos != 7)
		zt_fail("the child's read moved its own fd only: offset %lld here, not 7", (long long)pos);
	if (waitpid(c, &st, 0) != c)
		zt_fail("child %d: %m", c);
}

static void do_eventfd(void)
{
	uint64_t v = 0;
	int fd = eventfd(5, 0);
	if (fd < 0)
		zt_fail("eventfd: %m");
	place(fd, 12);
	zt_ready();
	zt_wait();
	if (read(12, &v, 8) != 8 || v != 5)
		zt_fail("eventfd at fd 12 reads %llu, not 5 (%m)", (unsigned long long)v);
}

static void do_socketpair(void)
{
	int sv[2];
	char buf[8];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		zt_fail("socketpair: %m");
	place(sv[0], 13);
	place(sv[1], 14);
	if (write(13, "abc", 3) != 3)
		zt_fail("write: %m");
	zt_ready();
	zt_wait();
	if (recv(14, buf, sizeof(buf), MSG_DONTWAIT) != 3 || memcmp(buf, "abc", 3))
		zt_fail("the queued data is not on fd 14");
	if (write(14, "xy", 2) != 2 || recv(13, buf, sizeof(buf), MSG_DONTWAIT) != 2 || memcmp(buf, "xy", 2))
		zt_fail("fds 13 and 14 are not connected to each other");
}

static void do_nostdio(void)
{
	close(0);
	close(1);
	close(2);
	zt_ready();
	zt_wait();
	for (int i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) >= 0)
			zt_fail("fd %d is open after restore; the task had closed it", i);
}

int main(int argc, char **argv)
{
	zt_init(argc, argv);
	if (argc < 2)
		zt_fail("usage: zt-rst-fds reg|pipe|eventfd|socketpair");
	for (int i = 0; i < 3; i++)
		if (fstat(i, &stdio_st[i]) < 0)
			zt_fail("fd %d: %m", i);
	if (!strcmp(argv[1], "reg"))
		do_reg();
	else if (!strcmp(argv[1], "pipe"))
		do_pipe();
	else if (!strcmp(argv[1], "shared"))
		do_shared();
	else if (!strcmp(argv[1], "eventfd"))
		do_eventfd();
	else if (!strcmp(argv[1], "socketpair"))
		do_socketpair();
	else if (!strcmp(argv[1], "nostdio")) {
		do_nostdio();
		zt_pass();
	} else
		zt_fail("unknown mode %s", argv[1]);
	check_stdio();
	zt_pass();
}
