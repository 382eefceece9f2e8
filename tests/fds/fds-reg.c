/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Regular files: offsets, O_APPEND, SIGIO owner and signal, access modes,
 * FD_CLOEXEC, two fds
 * sharing one open file description, a directory, /dev/null, and a file
 * unlinked after open (its content travels in the image), O_PATH fds (a file, a directory, a FIFO).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"

static char path_a[] = "/tmp/cryo-fds-reg-a-XXXXXX";
static char path_ghost[64], fifo_path[64];

static int setup(void)
{
	int fd;

	if (place_fd(open(path_a, O_RDWR | O_APPEND), 10) < 0 ||
	    place_fd(open(path_a, O_RDONLY | O_CLOEXEC), 11) < 0 || dup2(11, 12) < 0 ||
	    place_fd(open("/tmp", O_RDONLY | O_DIRECTORY), 13) < 0)
		return tlog("setup: open: %m"), -1;
	lseek(10, 2, SEEK_SET);
	/* SIGIO of fd 10 goes to the test process, as SIGRTMIN */
	struct f_owner_ex owner = { .type = F_OWNER_PID, .pid = getppid() };
	if (fcntl(10, F_SETOWN_EX, &owner) < 0 || fcntl(10, F_SETSIG, SIGRTMIN) < 0)
		return tlog("setup owner: %m"), -1;
	lseek(11, 3, SEEK_SET);
	fd = open(path_ghost, O_RDWR | O_CREAT | O_EXCL, 0640);
	if (place_fd(fd, 14) < 0 || write(14, "ghost data", 10) != 10 || unlink(path_ghost) < 0)
		return tlog("setup: ghost: %m"), -1;
	lseek(14, 6, SEEK_SET);
	if (place_fd(open(path_a, O_PATH), 15) < 0 || place_fd(open("/tmp", O_PATH | O_DIRECTORY), 16) < 0 ||
	    place_fd(open(fifo_path, O_PATH), 17) < 0)
		return tlog("setup O_PATH: %m"), -1;
	return 0;
}

static int verify(bool restored)
{
	char buf[64], link[256];
	ssize_t n;

	CHECK((fcntl(10, F_GETFL) & (O_ACCMODE | O_APPEND)) == (O_RDWR | O_APPEND), "fd 10 flags");
	CHECK(lseek(10, 0, SEEK_CUR) == 2, "fd 10 offset");
	struct f_owner_ex owner = { 0 };
	CHECK(fcntl(10, F_GETOWN_EX, &owner) == 0 && owner.type == F_OWNER_PID && owner.pid == getppid(),
	      "fd 10 SIGIO owner");
	CHECK(fcntl(10, F_GETSIG) == SIGRTMIN, "fd 10 F_SETSIG");
	CHECK((fcntl(11, F_GETFL) & O_ACCMODE) == O_RDONLY, "fd 11 read-only");
	CHECK(fcntl(11, F_GETFD) == FD_CLOEXEC && fcntl(12, F_GETFD) == 0, "FD_CLOEXEC of fd 11/12");
	CHECK(lseek(11, 0, SEEK_CUR) == 3, "fd 11 offset");
	n = read(12, buf, 4);
	CHECK(n == 4 && !memcmp(buf, "3456", 4), "fd 12 reads at the shared offset");
	CHECK(lseek(11, 0, SEEK_CUR) == 7, "fd 11 and 12 share one offset");
	n = readlink("/proc/self/fd/13", link, sizeof(link) - 1);
	CHECK(n == 4 && !memcmp(link, "/tmp", 4), "fd 13 is /tmp");
	n = readlink("/proc/self/fd/0", link, sizeof(link) - 1);
	CHECK(n == 9 && !memcmp(link, "/dev/null", 9), "fd 0 is /dev/null");
	CHECK(lseek(14, 0, SEEK_CUR) == 6, "ghost offset");
	n = pread(14, buf, sizeof(buf), 0);
	CHECK(n == 10 && !memcmp(buf, "ghost data", 10), "ghost content (%zd bytes)", n);
	n = readlink("/proc/self/fd/14", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	CHECK(strstr(link, "(deleted)"), "ghost is unlinked: %s", link);
	CHECK(access(path_ghost, F_OK) < 0, "ghost path is gone");
	CHECK((fcntl(15, F_GETFL) & O_PATH) && (fcntl(16, F_GETFL) & O_PATH) && (fcntl(17, F_GETFL) & O_PATH),
	      "fds 15, 16, 17 are O_PATH");
	n = readlink("/proc/self/fd/15", link, sizeof(link) - 1);
	CHECK(n == (ssize_t)strlen(path_a) && !memcmp(link, path_a, n), "fd 15 is the file");
	if (restored)
		tlog("restored state verified");
	return 0;
}

int main(void)
{
	struct fds_case c = { .name = "fds-reg", .setup = setup, .verify = verify };
	int fd = mkstemp(path_a), r;

	if (fd < 0 || write(fd, "0123456789", 10) != 10)
		return 1;
	close(fd);
	snprintf(path_ghost, sizeof(path_ghost), "%s-ghost", path_a);
	snprintf(fifo_path, sizeof(fifo_path), "%s-fifo", path_a);
	if (mkfifo(fifo_path, 0600) < 0)
		return 1;
	r = fds_case_run(&c);
	unlink(path_a);
	unlink(fifo_path);
	return r;
}
