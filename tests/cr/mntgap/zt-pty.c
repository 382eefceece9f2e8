/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A container's own devpts instance with its ptys, started by pty-run.sh in
 * a new mount namespace whose /dev is a tmpfs with /dev/pts a devpts
 * instance of its own (ptmxmode 0666) and /dev/ptmx a symlink to
 * pts/ptmx, as container runtimes make it.  Ptys opened here: 0, 1 and 2,
 * then 1 closed (a hole); pty 0 in raw mode with a window size, pty 2 the
 * controlling terminal of a child's session (foreground group: the child)
 * with another window size.  A second devpts instance at /dev/xpts holds
 * pty 1 (its 0 closed), the index that is a hole in the first.
 *
 * After restore: the masters are /dev/pts/0 and /dev/pts/2 again and their
 * slaves are those files of the instance mounted at /dev/pts (same device
 * and inode), termios and window sizes are back, data flows both ways, the
 * child's controlling terminal is pty 2 with it in the foreground, the
 * second instance's pty is /dev/xpts/1 again, and the holes are free in
 * each instance (the next pty opened there gets them).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "lib/zt.h"
#include "../mntnet/mntshape.h"

static int open_master(const char *ptmx, unsigned want)
{
	int fd = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC), unlock = 0;
	unsigned n;

	if (fd < 0 || ioctl(fd, TIOCSPTLCK, &unlock) < 0 || ioctl(fd, TIOCGPTN, &n) < 0)
		zt_fail("opening a pty through %s: %m", ptmx);
	if (n != want)
		zt_fail("the devpts instance of %s gave pty %u, %u expected", ptmx, n, want);
	return fd;
}

static int open_slave(const char *dir, unsigned n, int flags)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "%s/%u", dir, n);
	fd = open(path, O_RDWR | O_CLOEXEC | flags);
	if (fd < 0)
		zt_fail("open %s: %m", path);
	return fd;
}

static void set_winsize(int fd, unsigned short rows, unsigned short cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
		zt_fail("TIOCSWINSZ: %m");
}

static void check_pair(const char *dir, int m, int s, unsigned n, unsigned short rows, unsigned short cols)
{
	char path[32], buf[16];
	struct stat a, b;
	struct winsize ws;
	unsigned got;

	snprintf(path, sizeof(path), "%s/%u", dir, n);
	if (ioctl(m, TIOCGPTN, &got) < 0 || got != n)
		zt_fail("master of pty %u now has index %u", n, got);
	if (fstat(s, &a) < 0 || stat(path, &b) < 0)
		zt_fail("stat %s: %m", path);
	if (a.st_rdev != b.st_rdev || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		zt_fail("the slave of pty %u is not %s of the instance at %s", n, path, dir);
	if (ioctl(s, TIOCGWINSZ, &ws) < 0 || ws.ws_row != rows || ws.ws_col != cols)
		zt_fail("pty %u: window %ux%u, %ux%u expected", n, ws.ws_row, ws.ws_col, rows, cols);
	/* master -> slave and slave -> master */
	if (write(m, "ping\n", 5) != 5 || read(s, buf, sizeof(buf)) != 5 || memcmp(buf, "ping\n", 5))
		zt_fail("pty %u: master to slave: %m", n);
	if (write(s, "pong", 4) != 4)
		zt_fail("pty %u: slave write: %m", n);
	/* (pty 2 echoes "ping\r\n" first) */
	char all[64] = "";
	size_t have = 0;
	while (!strstr(all, "pong") && have < sizeof(all) - sizeof(buf)) {
		ssize_t r = read(m, all + have, sizeof(buf));
		if (r <= 0)
			zt_fail("pty %u: slave to master: %m", n);
		have += (size_t)r;
		all[have] = 0;
	}
}

static void check_ctty(pid_t child, unsigned n)
{
	char path[64];
	int tty_nr = 0, tpgid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", child);
	char *st = read_file(path, NULL);
	char *p = st ? strrchr(st, ')') : NULL;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %d %d", &tty_nr, &tpgid) != 2)
		zt_fail("cannot read %s", path);
	if ((dev_t)tty_nr != makedev(136, n) || tpgid != child)
		zt_fail("child %d: controlling tty %u:%u, foreground %d; pty %u and itself expected", child,
			major(tty_nr), minor(tty_nr), tpgid, n);
	free(st);
}

static _Noreturn void child_main(void)
{
	if (setsid() < 0)
		_exit(1);
	int fd = open_slave("/dev/pts", 2, 0);	/* without O_NOCTTY: the session's terminal */
	if (tcsetpgrp(fd, getpid()) < 0)
		_exit(2);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	zt_init(argc, argv);
	int m0 = open_master("/dev/ptmx", 0), m1 = open_master("/dev/ptmx", 1), m2 = open_master("/dev/ptmx", 2);
	int s0 = open_slave("/dev/pts", 0, O_NOCTTY), s2 = open_slave("/dev/pts", 2, O_NOCTTY);
	/* the second instance: its pty 1 (0 closed), the hole index of the first */
	int x0 = open_master("/dev/xpts/ptmx", 0), x1 = open_master("/dev/xpts/ptmx", 1);
	int xs1 = open_slave("/dev/xpts", 1, O_NOCTTY);
	struct termios raw;

	close(m1);
	close(x0);
	set_winsize(x1, 55, 77);
	if (tcgetattr(s0, &raw) < 0)
		zt_fail("tcgetattr: %m");
	cfmakeraw(&raw);
	if (tcsetattr(s0, TCSANOW, &raw) < 0)
		zt_fail("tcsetattr: %m");
	set_winsize(m0, 33, 101);
	set_winsize(m2, 44, 120);
	pid_t child = fork();
	if (child < 0)
		zt_fail("fork: %m");
	if (child == 0)
		child_main();
	for (int i = 0; i < 200; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/stat", child);
		char *st = read_file(path, NULL);
		bool ready = st && strstr(st, ") S ") && !strstr(st, " 0 0 0 -1 ");
		free(st);
		if (ready)
			break;
		usleep(10000);
	}
	check_ctty(child, 2);
	char *before = mount_shape();
	zt_ready();
	zt_wait();

	char *after = mount_shape();
	if (strcmp(before, after)) {
		zt_log("mounts before:\n%s", before);
		zt_log("mounts after:\n%s", after);
		zt_fail("the mount table differs after restore (see the program's stderr)");
	}
	struct termios t;
	if (tcgetattr(s0, &t) < 0 || (t.c_lflag & (ICANON | ECHO)) || memcmp(t.c_cc, raw.c_cc, sizeof(t.c_cc)))
		zt_fail("pty 0 is not in raw mode any more");
	check_pair("/dev/pts", m0, s0, 0, 33, 101);
	check_pair("/dev/pts", m2, s2, 2, 44, 120);
	check_pair("/dev/xpts", x1, xs1, 1, 55, 77);
	check_ctty(child, 2);
	/* the holes: index 1 is free in the first instance, 0 in the second */
	close(open_master("/dev/ptmx", 1));
	close(open_master("/dev/xpts/ptmx", 0));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	zt_pass();
}
