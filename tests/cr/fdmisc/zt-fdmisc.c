/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fd kinds across a full dump and restore by cryo-cr (run by
 * fdmisc-run.sh); the tree checks itself.  zt-fdmisc MODE..., each mode one
 * kind at its own fd numbers ("all": every mode at once):
 *
 *   reg       files (offset, O_APPEND, access modes, FD_CLOEXEC, a shared
 *             description), a directory, an O_PATH fd, an unlinked file
 *             (ghost) and a file whose path was replaced by another file
 *   ghost64k  a 64 KiB unlinked file (for --ghost-limit)
 *   validate  a file (named in ZT_OUT.aux) the runner changes: after the
 *             restore with --skip-file-validation it holds the changed bytes
 *   validate-map  the same with a file only mapped, not open
 *   pipe      a pipe with 100000 bytes in flight in a 256 KiB buffer, both
 *             ends shared by parent and child; a FIFO with data and size
 *   event     eventfd (semaphore and plain), epoll (three levels nested,
 *             events and data), signalfd (mask, a pending signal), timerfd
 *             (armed, interval, absolute boottime, unread ticks), inotify
 *             (watches, masks, wds), pidfd, memfd (content, offset, seals)
 *   locks     flock, POSIX locks of parent and child on one description, an
 *             OFD lock (dump and restore with --file-locks)
 *   tty       a pty: master in the parent, slave in a child that is session
 *             leader with it as controlling terminal and a grandchild as
 *             foreground group; termios, window size, data both ways
 *   fanotify  inode marks on a directory and a file; events after restore
 *   unix      a socketpair with data queued both ways
 *   fanotify-mount  (not in "all") a mount mark and a filesystem mark on a
 *             tmpfs mounted for the test (the runner unmounts it)
 *   tty-data  (not in "all") a pty whose slave has input unread: refused
 *   tcp       (not in "all") a TCP connection to fdmisc-tcp-peer outside the
 *             tree (ZT_PEER_PORT), data both ways before and after C/R
 */
#include <stdarg.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/kcmp.h>
#include "lib/zt.h"

/* State shared with the children (MAP_SHARED: restored as such). */
struct shared {
	volatile int go;		/* parent -> children: 1 verify */
	volatile int pipe_ok, tty_c_ok, tty_g_ok, locks_ok;
	volatile int pipe_done, tty_c_done, tty_g_done, locks_done;
	volatile pid_t parent, pipe_child, tty_c, tty_g, locks_child, sleeper;
	volatile int pipe_go;		/* the parent checked the pipe's flags: the child may change them */
	char why[512];
};

static struct shared *S;
static char dir[64];
static char auxpath[4096];

/* A line of ZT_OUT.aux (files the runner changes or removes); not kept open:
 * children forked meanwhile would share it. */
static void aux_add(const char *path)
{
	FILE *f = fopen(auxpath, "ae");
	if (!f || fprintf(f, "%s\n", path) < 0 || fclose(f))
		zt_fail("%s: %m", auxpath);
}

#define CHECK(cond, ...) do { if (!(cond)) zt_fail(__VA_ARGS__); } while (0)

static void child_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (!S->why[0])
		vsnprintf(S->why, sizeof(S->why), fmt, ap);
	va_end(ap);
}

#define CCHECK(cond, ...) do { if (!(cond)) { child_fail(__VA_ARGS__); return 0; } } while (0)

static void place(int fd, int at)
{
	if (fd < 0)
		zt_fail("setup of fd %d: %m", at);
	if (fd != at) {
		if (dup2(fd, at) < 0)
			zt_fail("dup2 %d: %m", at);
		close(fd);
	}
}

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0 && write(fd, data, len) == (ssize_t)len, "write %s: %m", path);
	close(fd);
}

/* A child that waits for the verify phase, runs fn, and reports. */
static pid_t spawn(int (*fn)(void), volatile int *ok, volatile int *done)
{
	pid_t c = fork();
	CHECK(c >= 0, "fork: %m");
	if (c)
		return c;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (!S->go) {
		if (getppid() != S->parent)
			_exit(1);
		usleep(1000);
	}
	*ok = fn();
	*done = 1;
	for (;;)
		pause();
}

static void wait_child(volatile int *ok, volatile int *done, const char *what)
{
	for (int i = 0; i < 10000 && !*done; i++)
		usleep(1000);
	CHECK(*done, "%s: the child did not report", what);
	CHECK(*ok, "%s: %s", what, S->why[0] ? S->why : "the child failed");
}

static off_t pos_of(int fd)
{
	return lseek(fd, 0, SEEK_CUR);
}

/* ---- reg --------------------------------------------------------------- */

static ino_t reg_dir_ino, reg_a_ino;

static void setup_reg(void)
{
	char a[128], g[128], r[128], rn[128], buf[5000];
	struct stat st;

	path_in(a, sizeof(a), "a");
	for (int i = 0; i < 100; i++)
		buf[i] = (char)('A' + i % 26);
	write_file(a, buf, 100);
	place(open(a, O_RDWR), 10);
	CHECK(lseek(10, 37, SEEK_SET) == 37, "lseek: %m");
	CHECK(dup3(10, 15, O_CLOEXEC) == 15, "dup3: %m");
	place(open(a, O_WRONLY | O_APPEND), 11);
	place(open(dir, O_RDONLY | O_DIRECTORY), 12);
	place(open(a, O_PATH), 16);
	stat(dir, &st);
	reg_dir_ino = st.st_ino;
	stat(a, &st);
	reg_a_ino = st.st_ino;

	path_in(g, sizeof(g), "ghost");
	zt_fill(buf, sizeof(buf), 13);
	write_file(g, buf, sizeof(buf));
	place(open(g, O_RDWR), 13);
	CHECK(lseek(13, 100, SEEK_SET) == 100, "lseek: %m");
	unlink(g);

	path_in(r, sizeof(r), "replaced");
	path_in(rn, sizeof(rn), "replaced.new");
	write_file(r, "old-content-xyz", 15);
	place(open(r, O_RDONLY), 14);
	write_file(rn, "new", 3);
	CHECK(rename(rn, r) == 0, "rename: %m");
}

static void verify_reg(void)
{
	char a[128], g[128], r[128], buf[5000], link[256];
	struct stat st;
	ssize_t n;
	int fl;

	path_in(a, sizeof(a), "a");
	CHECK(pos_of(10) == 37, "fd 10 at offset %lld, not 37", (long long)pos_of(10));
	fl = fcntl(10, F_GETFL);
	CHECK((fl & O_ACCMODE) == O_RDWR && !(fl & O_APPEND), "fd 10 flags 0%o", fl);
	CHECK(!(fcntl(10, F_GETFD) & FD_CLOEXEC), "fd 10 got FD_CLOEXEC");
	CHECK(fcntl(15, F_GETFD) & FD_CLOEXEC, "fd 15 lost FD_CLOEXEC");
	CHECK(pread(10, buf, 1, 37) == 1 && buf[0] == 'A' + 37 % 26, "fd 10 does not read the file");
	CHECK(lseek(15, 50, SEEK_SET) == 50 && pos_of(10) == 50, "fds 10 and 15 do not share their offset");
	fl = fcntl(11, F_GETFL);
	CHECK((fl & O_ACCMODE) == O_WRONLY && (fl & O_APPEND), "fd 11 flags 0%o, not O_WRONLY|O_APPEND", fl);
	CHECK(write(11, "Z", 1) == 1 && fstat(10, &st) == 0 && st.st_size == 101, "O_APPEND write on fd 11 did not append");
	CHECK(fstat(12, &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == reg_dir_ino, "fd 12 is not the directory");
	CHECK(fstatat(12, "a", &st, 0) == 0 && st.st_ino == reg_a_ino, "fstatat on fd 12");
	CHECK(fcntl(16, F_GETFL) & O_PATH, "fd 16 is not O_PATH");
	CHECK(fstat(16, &st) == 0 && st.st_ino == reg_a_ino, "fd 16 is not the file");

	path_in(g, sizeof(g), "ghost");
	CHECK(fstat(13, &st) == 0 && st.st_nlink == 0 && st.st_size == 5000, "fd 13 is not an unlinked 5000-byte file");
	CHECK(pos_of(13) == 100, "ghost fd 13 at offset %lld", (long long)pos_of(13));
	CHECK((fcntl(13, F_GETFL) & O_ACCMODE) == O_RDWR, "ghost fd 13 not O_RDWR");
	CHECK(pread(13, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf) && !zt_check(buf, sizeof(buf), 13),
	      "ghost content differs");
	CHECK(access(g, F_OK) < 0, "the ghost's name exists again");
	n = readlink("/proc/self/fd/13", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	CHECK(strstr(link, "(deleted)"), "fd 13 is %s, not a deleted file", link);

	path_in(r, sizeof(r), "replaced");
	CHECK(pread(14, buf, 32, 0) == 15 && !memcmp(buf, "old-content-xyz", 15), "fd 14 is not the replaced file");
	CHECK(fstat(14, &st) == 0 && st.st_nlink == 0, "fd 14 is linked");
	int fd = open(r, O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, 8) == 3 && !memcmp(buf, "new", 3), "%s is not the new file", r);
	close(fd);
}

static void setup_ghost64k(void)
{
	static char buf[65536];
	char g[128];

	path_in(g, sizeof(g), "big-ghost");
	zt_fill(buf, sizeof(buf), 64);
	write_file(g, buf, sizeof(buf));
	place(open(g, O_RDONLY), 17);
	unlink(g);
}

static void verify_ghost64k(void)
{
	static char buf[65536];
	CHECK(pread(17, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf) && !zt_check(buf, sizeof(buf), 64),
	      "the 64 KiB ghost differs");
}

/* ---- validate ----------------------------------------------------------- */

static void *val_map;

static void setup_validate(bool map)
{
	char v[128], buf[4096];

	path_in(v, sizeof(v), map ? "mapped" : "validated");
	zt_fill(buf, sizeof(buf), 7);
	write_file(v, buf, sizeof(buf));
	if (map) {
		int fd = open(v, O_RDONLY);
		val_map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		CHECK(val_map != MAP_FAILED, "mmap: %m");
		close(fd);
	} else
		place(open(v, O_RDONLY), 18);
	aux_add(v);
}

/* Restored with --skip-file-validation after the runner zeroed it. */
static void verify_validate(bool map)
{
	char buf[4096], zero[4096] = { 0 };

	if (map)
		memcpy(buf, val_map, sizeof(buf));
	else
		CHECK(pread(18, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf), "read fd 18: %m");
	CHECK(!memcmp(buf, zero, sizeof(buf)), "the %s file does not hold the changed content", map ? "mapped" : "open");
}

/* ---- pipe ----------------------------------------------------------------- */

#define PIPE_BYTES 100000

static int pipe_child(void)
{
	static char buf[PIPE_BYTES + 16];
	size_t n = 0;

	while (!S->pipe_go)
		usleep(1000);
	fcntl(20, F_SETFL, 0);	/* blocking, for this description: the parent's too */
	while (n < PIPE_BYTES + 4) {
		ssize_t k = read(20, buf + n, sizeof(buf) - n);
		CCHECK(k > 0, "child read %zu bytes of the pipe, then %zd (%m)", n, k);
		n += k;
	}
	CCHECK(!zt_check(buf, PIPE_BYTES, 3), "pipe byte %zu differs", zt_check(buf, PIPE_BYTES, 3) - 1);
	CCHECK(!memcmp(buf + PIPE_BYTES, "tail", 4), "the parent's write after restore did not arrive");
	return 1;
}

static void setup_pipe(void)
{
	static char buf[PIPE_BYTES];
	char f[128];
	int p[2];

	CHECK(pipe(p) == 0, "pipe: %m");
	place(p[0], 20);
	place(p[1], 21);
	CHECK(fcntl(21, F_SETPIPE_SZ, 262144) >= 262144, "F_SETPIPE_SZ: %m");
	fcntl(20, F_SETFL, O_NONBLOCK);
	zt_fill(buf, sizeof(buf), 3);
	CHECK(write(21, buf, sizeof(buf)) == (ssize_t)sizeof(buf), "pipe write: %m");
	S->pipe_child = spawn(pipe_child, &S->pipe_ok, &S->pipe_done);

	path_in(f, sizeof(f), "fifo");
	CHECK(mkfifo(f, 0600) == 0, "mkfifo: %m");
	place(open(f, O_RDWR | O_NONBLOCK), 24);
	CHECK(fcntl(24, F_SETPIPE_SZ, 131072) >= 131072, "F_SETPIPE_SZ fifo: %m");
	CHECK(write(24, "fifo-bytes", 10) == 10, "fifo write: %m");
	place(open(f, O_RDONLY | O_NONBLOCK), 25);
}

static void verify_pipe(void)
{
	char buf[32];

	CHECK(fcntl(21, F_GETPIPE_SZ) == 262144, "pipe size %d, not 256 KiB", fcntl(21, F_GETPIPE_SZ));
	CHECK(fcntl(20, F_GETFL) & O_NONBLOCK, "the read end lost O_NONBLOCK");
	for (int fd = 20; fd <= 21; fd++)
		CHECK(syscall(SYS_kcmp, getpid(), S->pipe_child, KCMP_FILE, fd, fd) == 0,
		      "fd %d of the parent and its child are not one description", fd);
	CHECK(fcntl(24, F_GETPIPE_SZ) == 131072, "FIFO size %d", fcntl(24, F_GETPIPE_SZ));
	CHECK(read(25, buf, sizeof(buf)) == 10 && !memcmp(buf, "fifo-bytes", 10), "FIFO data lost");
	CHECK(fcntl(25, F_GETFL) & O_NONBLOCK && (fcntl(25, F_GETFL) & O_ACCMODE) == O_RDONLY, "FIFO fd 25 flags");
	CHECK(write(21, "tail", 4) == 4, "write after restore: %m");
	S->pipe_go = 1;
	/* the child switches the shared read end to blocking: the parent's must see it */
	wait_child(&S->pipe_ok, &S->pipe_done, "pipe");
	CHECK(!(fcntl(20, F_GETFL) & O_NONBLOCK), "the child's F_SETFL on the shared end is not seen here");
}

/* ---- event ------------------------------------------------------------------ */

static int inotify_wd_dir, inotify_wd_file;

static void setup_event(void)
{
	char f[128], *mem;
	struct itimerspec its = { .it_value = { 100, 0 }, .it_interval = { 7, 0 } };
	struct epoll_event ev;
	sigset_t m;
	int p[2];

	place(eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK), 30);
	place(eventfd(0xabcdef, EFD_NONBLOCK), 39);
	CHECK(pipe(p) == 0 && write(p[1], "x", 1) == 1, "pipe: %m");
	place(p[0], 26);
	place(p[1], 27);
	place(epoll_create1(0), 31);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 0x1111 };
	CHECK(epoll_ctl(31, EPOLL_CTL_ADD, 30, &ev) == 0, "epoll_ctl: %m");
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = 0x2222 };
	CHECK(epoll_ctl(31, EPOLL_CTL_ADD, 26, &ev) == 0, "epoll_ctl: %m");
	ev = (struct epoll_event){ .events = EPOLLOUT, .data.u64 = 0x3333 };
	CHECK(epoll_ctl(31, EPOLL_CTL_ADD, 27, &ev) == 0, "epoll_ctl: %m");
	place(epoll_create1(EPOLL_CLOEXEC), 32);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 0x4444 };
	CHECK(epoll_ctl(32, EPOLL_CTL_ADD, 31, &ev) == 0, "epoll_ctl nested: %m");
	place(epoll_create1(0), 28);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 0x5555 };
	CHECK(epoll_ctl(28, EPOLL_CTL_ADD, 32, &ev) == 0, "epoll_ctl nested twice: %m");

	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGWINCH);
	sigprocmask(SIG_BLOCK, &m, NULL);
	place(signalfd(-1, &m, SFD_NONBLOCK), 33);
	kill(getpid(), SIGUSR1);

	place(timerfd_create(CLOCK_MONOTONIC, 0), 34);
	CHECK(timerfd_settime(34, 0, &its, NULL) == 0, "timerfd_settime: %m");
	place(timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK), 35);
	its = (struct itimerspec){ .it_value = { 0, 1000000 } };
	CHECK(timerfd_settime(35, 0, &its, NULL) == 0, "timerfd_settime: %m");
	usleep(20000);
	place(timerfd_create(CLOCK_BOOTTIME, 0), 29);
	clock_gettime(CLOCK_BOOTTIME, &its.it_value);
	its.it_value.tv_sec += 200;
	its.it_interval = (struct timespec){ 0, 0 };
	CHECK(timerfd_settime(29, TFD_TIMER_ABSTIME, &its, NULL) == 0, "timerfd_settime abs: %m");

	/* a directory of its own: the other modes' files must not queue events */
	char wdir[128];
	path_in(wdir, sizeof(wdir), "inotify");
	CHECK(mkdir(wdir, 0700) == 0, "mkdir: %m");
	place(inotify_init1(IN_NONBLOCK), 36);
	path_in(f, sizeof(f), "inotify/watched");
	write_file(f, "w", 1);
	inotify_wd_dir = inotify_add_watch(36, wdir, IN_CREATE | IN_DELETE);
	inotify_wd_file = inotify_add_watch(36, f, IN_MODIFY | IN_ATTRIB);
	CHECK(inotify_wd_dir > 0 && inotify_wd_file > 0, "inotify_add_watch: %m");

	pid_t c = fork();
	CHECK(c >= 0, "fork: %m");
	if (c)
		S->sleeper = c;
	else {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	place((int)syscall(SYS_pidfd_open, S->sleeper, 0), 37);

	place(memfd_create("zt-memfd", MFD_ALLOW_SEALING), 38);
	CHECK(ftruncate(38, 65536) == 0, "ftruncate: %m");
	mem = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, 38, 0);
	CHECK(mem != MAP_FAILED, "mmap memfd: %m");
	zt_fill(mem, 65536, 38);
	munmap(mem, 65536);
	CHECK(lseek(38, 1000, SEEK_SET) == 1000, "lseek: %m");
	CHECK(fcntl(38, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0, "F_ADD_SEALS: %m");
}

static uint64_t epoll_datas(int ep, unsigned *events_of_1111)
{
	struct epoll_event ev[8];
	uint64_t sum = 0;
	int n = epoll_wait(ep, ev, 8, 0);

	for (int i = 0; i < n; i++) {
		sum |= ev[i].data.u64 << (16 * (ev[i].data.u64 == 0x1111 ? 0 : ev[i].data.u64 == 0x2222 ? 1 : 2));
		if (ev[i].data.u64 == 0x1111 && events_of_1111)
			*events_of_1111 = ev[i].events;
	}
	return n == 3 ? sum : (uint64_t)n;
}

static void verify_event(void)
{
	struct epoll_event ev;
	struct signalfd_siginfo si;
	struct itimerspec its;
	struct timespec now;
	uint64_t v;
	unsigned evs = 0;
	char f[128], buf[512], link[128];
	ssize_t n;

	/* the watches, read before anything is consumed */
	CHECK(epoll_wait(28, &ev, 1, 0) == 1 && ev.data.u64 == 0x5555, "epoll 28 (nested twice) does not report 32");
	CHECK(epoll_wait(32, &ev, 1, 0) == 1 && ev.data.u64 == 0x4444, "epoll 32 (nested) does not report 31");
	CHECK(epoll_datas(31, &evs) == (0x1111 | 0x2222ull << 16 | 0x3333ull << 32),
	      "epoll 31 does not report its three watches with their data");
	CHECK(evs == EPOLLIN, "epoll watch of fd 30 reports events %#x", evs);

	for (int i = 0; i < 3; i++)
		CHECK(read(30, &v, 8) == 8 && v == 1, "semaphore eventfd read %d gave %llu", i, (unsigned long long)v);
	CHECK(read(30, &v, 8) < 0 && errno == EAGAIN, "semaphore eventfd counted more than 3");
	CHECK(read(39, &v, 8) == 8 && v == 0xabcdef, "eventfd 39 count %#llx", (unsigned long long)v);

	CHECK(read(33, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR1, "signalfd did not read the pending SIGUSR1");
	kill(getpid(), SIGWINCH);
	CHECK(read(33, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGWINCH, "signalfd mask lost SIGWINCH");

	CHECK(timerfd_gettime(34, &its) == 0 && its.it_interval.tv_sec == 7 && its.it_interval.tv_nsec == 0 &&
	      its.it_value.tv_sec >= 60 && its.it_value.tv_sec < 100, "timerfd 34: value %lds interval %lds",
	      (long)its.it_value.tv_sec, (long)its.it_interval.tv_sec);
	CHECK(read(35, &v, 8) == 8 && v == 1, "timerfd 35: its expiration was lost");
	CHECK(timerfd_gettime(29, &its) == 0 && its.it_value.tv_sec >= 150 && its.it_value.tv_sec < 200,
	      "timerfd 29 (absolute boottime): %lds left", (long)its.it_value.tv_sec);
	clock_gettime(CLOCK_BOOTTIME, &now);

	path_in(f, sizeof(f), "inotify/created");
	write_file(f, "c", 1);
	path_in(f, sizeof(f), "inotify/watched");
	chmod(f, 0600);
	n = read(36, buf, sizeof(buf));
	bool got_create = false, got_attrib = false;
	for (ssize_t off = 0; off < n;) {
		struct inotify_event *ie = (struct inotify_event *)(buf + off);
		if (ie->wd == inotify_wd_dir && (ie->mask & IN_CREATE) && !strcmp(ie->name, "created"))
			got_create = true;
		if (ie->wd == inotify_wd_file && (ie->mask & IN_ATTRIB))
			got_attrib = true;
		off += sizeof(*ie) + ie->len;
	}
	CHECK(got_create && got_attrib, "inotify: create event %d, attrib event %d (read %zd)", got_create, got_attrib, n);

	CHECK(syscall(SYS_pidfd_send_signal, 37, SIGKILL, NULL, 0) == 0, "pidfd_send_signal: %m");
	siginfo_t info = { 0 };
	CHECK(waitid(P_PIDFD, 37, &info, WEXITED) == 0 && info.si_pid == S->sleeper, "the pidfd is not of %d", S->sleeper);

	n = readlink("/proc/self/fd/38", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	CHECK(!strncmp(link, "/memfd:zt-memfd", 15), "memfd is %s", link);
	CHECK(pos_of(38) == 1000, "memfd offset %lld", (long long)pos_of(38));
	CHECK(fcntl(38, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW), "memfd seals %#x", fcntl(38, F_GET_SEALS));
	CHECK(ftruncate(38, 4096) < 0 && errno == EPERM, "the memfd shrank despite F_SEAL_SHRINK");
	char *mem = mmap(NULL, 65536, PROT_READ, MAP_SHARED, 38, 0);
	CHECK(mem != MAP_FAILED && !zt_check(mem, 65536, 38), "memfd content differs");
	munmap(mem, 65536);
}

/* ---- locks ---------------------------------------------------------------- */

static int locks_child(void)
{
	/* the lock this child took on the shared description must be its own */
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 10 };
	CCHECK(fcntl(41, F_GETLK, &fl) == 0 && fl.l_type == F_WRLCK && fl.l_pid == S->parent,
	       "child: the parent's POSIX lock on l2 [10,20) is not there (type %d pid %d)", fl.l_type, fl.l_pid);
	return 1;
}

static void setup_locks(void)
{
	char l1[128], l2[128], l3[128];
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 10 };

	path_in(l1, sizeof(l1), "l1");
	path_in(l2, sizeof(l2), "l2");
	path_in(l3, sizeof(l3), "l3");
	write_file(l1, "1", 1);
	write_file(l2, "2", 1);
	write_file(l3, "3", 1);
	place(open(l1, O_RDWR), 40);
	CHECK(flock(40, LOCK_EX) == 0, "flock: %m");
	place(open(l2, O_RDWR), 41);
	CHECK(fcntl(41, F_SETLK, &fl) == 0, "F_SETLK: %m");
	place(open(l3, O_RDONLY), 42);
	fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5 };
	CHECK(fcntl(42, F_OFD_SETLK, &fl) == 0, "F_OFD_SETLK: %m");
	pid_t c = fork();	/* S is shared: only the parent writes the pid */
	CHECK(c >= 0, "fork: %m");
	if (c)
		S->locks_child = c;
	else {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 0 };
		if (fcntl(41, F_SETLK, &fl) < 0)
			_exit(1);
		while (!S->go)
			usleep(1000);
		S->locks_ok = locks_child();
		S->locks_done = 1;
		for (;;)
			pause();
	}
}

/* Run in a fresh process: what it sees is what the restore took. */
static int check_locks_from_outside(void)
{
	char l1[128], l2[128], l3[128];
	struct flock fl;

	path_in(l1, sizeof(l1), "l1");
	path_in(l2, sizeof(l2), "l2");
	path_in(l3, sizeof(l3), "l3");
	int fd = open(l1, O_RDWR);
	CCHECK(fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK, "the flock on l1 is not held");
	close(fd);
	fd = open(l2, O_RDWR);
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	CCHECK(fd >= 0 && fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_WRLCK && fl.l_start == 10 && fl.l_len == 10 &&
	       fl.l_pid == S->parent, "l2: no write lock [10,20) of the parent (type %d start %lld pid %d)",
	       fl.l_type, (long long)fl.l_start, fl.l_pid);
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 0 };
	CCHECK(fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_RDLCK && fl.l_start == 100 && fl.l_len == 0 &&
	       fl.l_pid == S->locks_child, "l2: no read lock [100,EOF) of the child (type %d start %lld pid %d)",
	       fl.l_type, (long long)fl.l_start, fl.l_pid);
	close(fd);
	fd = open(l3, O_RDWR);
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	CCHECK(fd >= 0 && fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type == F_RDLCK && fl.l_len == 5 && fl.l_pid == -1,
	       "l3: no OFD read lock [0,5) (type %d len %lld pid %d)", fl.l_type, (long long)fl.l_len, fl.l_pid);
	close(fd);
	return 1;
}

static void verify_locks(void)
{
	int st;
	pid_t c = fork();

	CHECK(c >= 0, "fork: %m");
	if (!c)
		_exit(check_locks_from_outside() ? 0 : 1);
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "locks: %s", S->why);
	wait_child(&S->locks_ok, &S->locks_done, "locks");
}

/* ---- tty -------------------------------------------------------------------- */

static char tty_name[64];

static int tty_grandchild(void)
{
	char buf[16];
	size_t n = 0;

	/* the parent writes "ping" on the master once we are all restored */
	while (n < 4) {
		ssize_t k = read(51, buf + n, 4 - n);
		CCHECK(k > 0, "grandchild: read of the slave: %m");
		n += k;
	}
	CCHECK(!memcmp(buf, "ping", 4), "grandchild read %.4s", buf);
	CCHECK(write(51, "pong", 4) == 4, "grandchild write: %m");
	return 1;
}

static int tty_child(void)
{
	struct stat st;
	char stat_line[1024], *p;
	int tty_nr = 0;

	CCHECK(tcgetsid(51) == getpid(), "the slave is not the controlling terminal of session %d (sid %d)", getpid(),
	       tcgetsid(51));
	CCHECK(tcgetpgrp(51) == S->tty_g, "foreground group %d, not %d", tcgetpgrp(51), S->tty_g);
	int fd = open("/proc/self/stat", O_RDONLY);
	ssize_t n = read(fd, stat_line, sizeof(stat_line) - 1);
	close(fd);
	stat_line[n > 0 ? n : 0] = 0;
	p = strrchr(stat_line, ')');
	CCHECK(p && sscanf(p + 1, " %*c %*d %*d %*d %d", &tty_nr) == 1, "cannot read tty_nr");
	CCHECK(fstat(51, &st) == 0 && (dev_t)tty_nr == st.st_rdev, "controlling tty %#x, not the slave %#lx", tty_nr,
	       (unsigned long)st.st_rdev);
	return 1;
}

static void setup_tty(void)
{
	struct winsize ws = { .ws_row = 33, .ws_col = 101 };
	struct termios t;

	place(posix_openpt(O_RDWR | O_NOCTTY), 50);
	CHECK(grantpt(50) == 0 && unlockpt(50) == 0, "unlockpt: %m");
	snprintf(tty_name, sizeof(tty_name), "%s", ptsname(50));
	CHECK(ioctl(50, TIOCSWINSZ, &ws) == 0, "TIOCSWINSZ: %m");
	CHECK(tcgetattr(50, &t) == 0, "tcgetattr: %m");
	t.c_lflag &= ~(ECHO | ICANON);
	t.c_oflag &= ~OPOST;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	t.c_cc[VINTR] = 7;
	CHECK(tcsetattr(50, TCSANOW, &t) == 0, "tcsetattr: %m");

	int ready[2];
	CHECK(pipe(ready) == 0, "pipe: %m");
	pid_t tc = fork();
	CHECK(tc >= 0, "fork: %m");
	if (tc)
		S->tty_c = tc;
	else {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		close(50);
		setsid();
		place(open(tty_name, O_RDWR), 51);	/* session leader: it becomes the controlling tty */
		pid_t g = fork();
		if (g < 0)
			_exit(1);
		if (!g) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			setpgid(0, 0);
			while (!S->go)
				usleep(1000);
			S->tty_g_ok = tty_grandchild();
			S->tty_g_done = 1;
			for (;;)
				pause();
		}
		setpgid(g, g);
		S->tty_g = g;
		signal(SIGTTOU, SIG_IGN);
		if (tcsetpgrp(51, g) < 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		close(ready[1]);
		while (!S->go)
			usleep(1000);
		S->tty_c_ok = tty_child();
		S->tty_c_done = 1;
		for (;;)
			pause();
	}
	close(ready[1]);
	char c;
	CHECK(read(ready[0], &c, 1) == 1, "the tty child failed its setup");
	close(ready[0]);
}

static void verify_tty(void)
{
	struct winsize ws;
	struct termios t;
	char buf[8];
	size_t n = 0;

	CHECK(!strcmp(ptsname(50), tty_name), "the master's slave is %s, not %s", ptsname(50), tty_name);
	CHECK(ioctl(50, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 33 && ws.ws_col == 101, "window size %dx%d", ws.ws_row,
	      ws.ws_col);
	CHECK(tcgetattr(50, &t) == 0 && !(t.c_lflag & (ECHO | ICANON)) && t.c_cc[VINTR] == 7 && !(t.c_oflag & OPOST),
	      "termios lost (lflag %#x, VINTR %d)", t.c_lflag, t.c_cc[VINTR]);
	wait_child(&S->tty_c_ok, &S->tty_c_done, "tty session leader");
	CHECK(write(50, "ping", 4) == 4, "master write: %m");
	while (n < 4) {
		ssize_t k = read(50, buf + n, 4 - n);
		CHECK(k > 0, "master read: %m");
		n += k;
	}
	CHECK(!memcmp(buf, "pong", 4), "master read %.4s", buf);
	wait_child(&S->tty_g_ok, &S->tty_g_done, "tty foreground process");
}

/* ---- unix ------------------------------------------------------------------ */

static void setup_unix(void)
{
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %m");
	place(sv[0], 70);
	place(sv[1], 71);
	CHECK(write(70, "to-71", 5) == 5 && write(71, "to-70", 5) == 5, "socket write: %m");
}

static void verify_unix(void)
{
	char buf[16];

	CHECK(recv(71, buf, sizeof(buf), MSG_DONTWAIT) == 5 && !memcmp(buf, "to-71", 5), "fd 71 lost its queued data");
	CHECK(recv(70, buf, sizeof(buf), MSG_DONTWAIT) == 5 && !memcmp(buf, "to-70", 5), "fd 70 lost its queued data");
	CHECK(write(70, "x", 1) == 1 && recv(71, buf, 1, MSG_DONTWAIT) == 1, "fds 70 and 71 are not connected");
}

/* ---- tcp (to fdmisc-tcp-peer, outside the tree; --tcp-established) ----------- */

static int tcp_xfer(int fd, size_t len, uint32_t seed, bool in)
{
	char *buf = malloc(len);
	size_t off = 0;

	CHECK(buf, "malloc");
	if (!in)
		zt_fill(buf, len, seed);
	while (off < len) {
		ssize_t n = in ? recv(fd, buf + off, len - off, 0) : send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		off += n;
	}
	int r = in && zt_check(buf, len, seed) ? -2 : 0;
	free(buf);
	return r;
}

static void setup_tcp(void)
{
	const char *port = getenv("ZT_PEER_PORT");
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	if (!port)
		zt_skip("no TCP peer (ZT_PEER_PORT)");
	a.sin_port = htons(atoi(port));
	place(socket(AF_INET, SOCK_STREAM, 0), 80);
	CHECK(connect(80, (struct sockaddr *)&a, sizeof(a)) == 0, "connect to the peer: %m");
	CHECK(tcp_xfer(80, 10000, 11, false) == 0, "send to the peer: %m");
	CHECK(tcp_xfer(80, 4000, 12, true) == 0, "receive from the peer: %m");
}

static void verify_tcp(void)
{
	CHECK(tcp_xfer(80, 200000, 13, false) == 0, "send after restore: %m");
	int r = tcp_xfer(80, 200000, 14, true);
	CHECK(r == 0, "the peer's answer after restore %s (%m)", r == -2 ? "differs" : "did not arrive");
	close(80);
}

/* A pty with input the slave side has not read: refused (reading it would consume it). */
static void setup_tty_data(void)
{
	place(posix_openpt(O_RDWR | O_NOCTTY), 52);
	CHECK(grantpt(52) == 0 && unlockpt(52) == 0, "unlockpt: %m");
	place(open(ptsname(52), O_RDWR | O_NOCTTY), 53);
	CHECK(write(52, "pending\n", 8) == 8, "master write: %m");
	usleep(50000);
}

static void verify_tty_data(void)
{
	char buf[16];
	ssize_t n = read(53, buf, sizeof(buf));
	CHECK(n == 8 && !memcmp(buf, "pending\n", 8), "the refused dump lost the pty's pending input (read %zd)", n);
}

/* ---- fanotify ----------------------------------------------------------------- */

static char fan_dir[64];

static void setup_fanotify(void)
{
	char f[128];

	snprintf(fan_dir, sizeof(fan_dir), "/tmp/zt-fdmisc-fan.XXXXXX");
	CHECK(mkdtemp(fan_dir), "mkdtemp: %m");
	aux_add(fan_dir);
	snprintf(f, sizeof(f), "%s/file", fan_dir);
	write_file(f, "f", 1);
	int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE);
	if (fd < 0)
		zt_skip("fanotify_init: %m");
	place(fd, 60);
	CHECK(fanotify_mark(60, FAN_MARK_ADD, FAN_OPEN | FAN_EVENT_ON_CHILD, AT_FDCWD, fan_dir) == 0, "fanotify_mark: %m");
	CHECK(fanotify_mark(60, FAN_MARK_ADD, FAN_MODIFY, AT_FDCWD, f) == 0, "fanotify_mark: %m");
}

static void verify_fanotify(void)
{
	char f[128], g[128], buf[4096];
	bool open_ev = false, modify_ev = false;

	snprintf(g, sizeof(g), "%s/other", fan_dir);
	write_file(g, "o", 1);	/* FAN_OPEN through the directory mark */
	snprintf(f, sizeof(f), "%s/file", fan_dir);
	int fd = open(f, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "m", 1) == 1, "write: %m");	/* FAN_MODIFY through the file mark */
	close(fd);
	ssize_t n = read(60, buf, sizeof(buf));
	for (struct fanotify_event_metadata *m = (void *)buf; n > 0 && FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
		char link[256], p[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", m->fd);
		ssize_t l = readlink(p, link, sizeof(link) - 1);
		link[l > 0 ? l : 0] = 0;
		if ((m->mask & FAN_OPEN) && !strcmp(link, g))
			open_ev = true;
		if ((m->mask & FAN_MODIFY) && !strcmp(link, f))
			modify_ev = true;
		if (m->fd >= 0)
			close(m->fd);
	}
	CHECK(open_ev && modify_ev, "fanotify: open event %d, modify event %d", open_ev, modify_ev);
}

/* A tmpfs of its own (the runner unmounts it): a mount mark and a filesystem mark. */
static char fan_mnt[64];

static void setup_fanotify_mount(void)
{
	snprintf(fan_mnt, sizeof(fan_mnt), "/tmp/zt-fdmisc-fanmnt.XXXXXX");
	CHECK(mkdtemp(fan_mnt), "mkdtemp: %m");
	aux_add(fan_mnt);
	if (mount("zt-fdmisc", fan_mnt, "tmpfs", 0, "size=1m") < 0)
		zt_skip("mount tmpfs: %m");
	int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY);
	if (fd < 0)
		zt_skip("fanotify_init: %m");
	place(fd, 61);
	CHECK(fanotify_mark(61, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_CLOSE_WRITE, AT_FDCWD, fan_mnt) == 0,
	      "fanotify_mark mount: %m");
	CHECK(fanotify_mark(61, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN, AT_FDCWD, fan_mnt) == 0,
	      "fanotify_mark filesystem: %m");
}

static void verify_fanotify_mount(void)
{
	char f[128], buf[4096];
	bool close_ev = false, open_ev = false;

	snprintf(f, sizeof(f), "%s/new", fan_mnt);
	write_file(f, "n", 1);	/* FAN_OPEN (filesystem mark), FAN_CLOSE_WRITE (mount mark) */
	ssize_t n = read(61, buf, sizeof(buf));
	for (struct fanotify_event_metadata *m = (void *)buf; n > 0 && FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
		char link[256], p[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", m->fd);
		ssize_t l = readlink(p, link, sizeof(link) - 1);
		link[l > 0 ? l : 0] = 0;
		bool ours = !strcmp(link, f);	/* only the file made here counts */
		close_ev |= ours && (m->mask & FAN_CLOSE_WRITE);
		open_ev |= ours && (m->mask & FAN_OPEN);
		if (m->fd >= 0)
			close(m->fd);
	}
	CHECK(close_ev && open_ev, "fanotify: mount mark event %d, filesystem mark event %d", close_ev, open_ev);
}

/* ------------------------------------------------------------------------------ */

static const struct mode {
	const char *name;
	void (*setup)(void);
	void (*verify)(void);
} modes[] = {
	{ "reg", setup_reg, verify_reg },
	{ "ghost64k", setup_ghost64k, verify_ghost64k },
	{ "pipe", setup_pipe, verify_pipe },
	{ "event", setup_event, verify_event },
	{ "locks", setup_locks, verify_locks },
	{ "tty", setup_tty, verify_tty },
	{ "fanotify", setup_fanotify, verify_fanotify },
	{ "unix", setup_unix, verify_unix },
};

static void setup_validate_open(void) { setup_validate(false); }
static void verify_validate_open(void) { verify_validate(false); }
static void setup_validate_map(void) { setup_validate(true); }
static void verify_validate_map(void) { verify_validate(true); }

static const struct mode extra[] = {
	{ "tcp", setup_tcp, verify_tcp },
	{ "tty-data", setup_tty_data, verify_tty_data },
	{ "fanotify-mount", setup_fanotify_mount, verify_fanotify_mount },
	{ "validate", setup_validate_open, verify_validate_open },
	{ "validate-map", setup_validate_map, verify_validate_map },
};

static const struct mode *find_mode(const char *name)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(modes[i].name, name))
			return &modes[i];
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (!strcmp(extra[i].name, name))
			return &extra[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct mode *run[16];
	size_t nr = 0;
	zt_init(argc, argv);
	if (argc < 2)
		zt_fail("usage: zt-fdmisc MODE... | all");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "all")) {
			for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]) && nr < 16; k++)
				run[nr++] = &modes[k];
			continue;
		}
		const struct mode *m = find_mode(argv[i]);
		if (!m)
			zt_fail("unknown mode %s", argv[i]);
		if (nr < 16)
			run[nr++] = m;
	}
	S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (S == MAP_FAILED)
		zt_fail("mmap: %m");
	S->parent = getpid();
	snprintf(auxpath, sizeof(auxpath), "%s.aux", getenv("ZT_OUT") ? getenv("ZT_OUT") : "/tmp/zt-fdmisc");
	snprintf(dir, sizeof(dir), "/tmp/zt-fdmisc.XXXXXX");
	if (!mkdtemp(dir))
		zt_fail("mkdtemp: %m");
	aux_add(dir);	/* first: the runner removes it whatever happens */
	for (size_t i = 0; i < nr; i++)
		run[i]->setup();
	zt_ready();
	zt_wait();
	S->go = 1;
	for (size_t i = 0; i < nr; i++)
		run[i]->verify();
	zt_pass();
}
