/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File locks on files the task also maps, across full C/R (--file-locks).
 * The restorer blob maps files through fds of its own and closes them, and
 * closing any fd of a file drops the process's POSIX locks on it: the blob
 * must take them again (docs/fds.md).  flock and OFD locks belong to the
 * open file description and must survive as they are.
 *
 *   zt-lockfix shared|private
 *
 * a: POSIX write lock [10,20) and read lock [100,EOF), file mapped (MAP_SHARED
 *    or MAP_PRIVATE, written through the mapping); b: OFD read lock [0,5),
 *    mapped; c: flock LOCK_EX, mapped.  After the restore a child of the test
 *    checks them with F_GETLK / F_OFD_GETLK / flock (type, range, owner), and
 *    the test reads its mappings back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/zt.h"

#define LEN 8192

static char dir[64];
static char path[3][96];

static void cleanup(void)
{
	for (int i = 0; i < 3; i++)
		if (path[i][0])
			unlink(path[i]);
	if (dir[0])
		rmdir(dir);
}

static char *map_file(int i, int fd, int flags)
{
	char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (p == MAP_FAILED)
		zt_fail("mmap %s: %m", path[i]);
	memset(p, 'a' + i, LEN);	/* private: the copy is the task's; shared: the file's */
	return p;
}

/* In a child of the test: 0 if the locks are the ones taken, else writes why. */
static int check_from_child(pid_t owner, char *why, size_t len)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 50 };
	int fd = open(path[0], O_RDWR);
	if (fd < 0 || fcntl(fd, F_GETLK, &fl) < 0)
		return snprintf(why, len, "a: open/F_GETLK: %m"), 1;
	if (fl.l_type != F_WRLCK || fl.l_start != 10 || fl.l_len != 10 || fl.l_pid != owner)
		return snprintf(why, len, "a: no POSIX write lock [10,20) of %d (type %d start %lld len %lld pid %d)",
				owner, fl.l_type, (long long)fl.l_start, (long long)fl.l_len, fl.l_pid), 1;
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 0 };
	if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type != F_RDLCK || fl.l_start != 100 || fl.l_len != 0 ||
	    fl.l_pid != owner)
		return snprintf(why, len, "a: no POSIX read lock [100,EOF) of %d (type %d start %lld len %lld pid %d)",
				owner, fl.l_type, (long long)fl.l_start, (long long)fl.l_len, fl.l_pid), 1;
	close(fd);
	fd = open(path[1], O_RDWR);
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	if (fd < 0 || fcntl(fd, F_OFD_GETLK, &fl) < 0 || fl.l_type != F_RDLCK || fl.l_start != 0 ||
	    fl.l_len != 5 || fl.l_pid != -1)
		return snprintf(why, len, "b: no OFD read lock [0,5) (type %d start %lld len %lld pid %d)",
				fl.l_type, (long long)fl.l_start, (long long)fl.l_len, fl.l_pid), 1;
	close(fd);
	fd = open(path[2], O_RDONLY);
	if (fd < 0 || flock(fd, LOCK_SH | LOCK_NB) == 0 || errno != EWOULDBLOCK)
		return snprintf(why, len, "c: the flock LOCK_EX is not held"), 1;
	close(fd);
	return 0;
}

static void check_locks(pid_t owner)
{
	int p[2], st;
	char why[256] = "";

	if (pipe(p) < 0)
		zt_fail("pipe: %m");
	pid_t c = fork();
	if (c < 0)
		zt_fail("fork: %m");
	if (!c) {
		int bad = check_from_child(owner, why, sizeof(why));
		if (write(p[1], why, strlen(why)) < 0)
			_exit(2);
		_exit(bad);
	}
	close(p[1]);
	ssize_t n = read(p[0], why, sizeof(why) - 1);
	why[n > 0 ? n : 0] = 0;
	close(p[0]);
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		zt_fail("%s", why[0] ? why : "the checking child failed");
}

int main(int argc, char **argv)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 10 };
	char *m[3];
	int fd[3];

	zt_init(argc, argv);
	if (argc < 2 || (strcmp(argv[1], "shared") && strcmp(argv[1], "private")))
		zt_fail("usage: zt-lockfix shared|private");
	int flags = strcmp(argv[1], "shared") ? MAP_PRIVATE : MAP_SHARED;
	snprintf(dir, sizeof(dir), "/tmp/zt-lockfix.XXXXXX");
	if (!mkdtemp(dir))
		zt_fail("mkdtemp: %m");
	atexit(cleanup);
	for (int i = 0; i < 3; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/%c", dir, 'a' + i);
		fd[i] = open(path[i], O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd[i] < 0 || ftruncate(fd[i], LEN) < 0)
			zt_fail("create %s: %m", path[i]);
		m[i] = map_file(i, fd[i], flags);
	}
	if (fcntl(fd[0], F_SETLK, &fl) < 0)
		zt_fail("F_SETLK: %m");
	fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 0 };
	if (fcntl(fd[0], F_SETLK, &fl) < 0)
		zt_fail("F_SETLK: %m");
	fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5 };
	if (fcntl(fd[1], F_OFD_SETLK, &fl) < 0)
		zt_fail("F_OFD_SETLK: %m");
	if (flock(fd[2], LOCK_EX) < 0)
		zt_fail("flock: %m");
	check_locks(getpid());	/* the checks themselves hold before C/R */

	zt_ready();
	zt_wait();

	for (int i = 0; i < 3; i++)
		for (size_t k = 0; k < LEN; k += 512)
			if (m[i][k] != 'a' + i)
				zt_fail("%s: mapped byte %zu is %#x", path[i], k, (unsigned)(unsigned char)m[i][k]);
	check_locks(getpid());
	zt_pass();
}
