/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sharing across processes: a parent and its child share an open file
 * (one offset) and a pipe; the child has a file of its own.  The dump must
 * give shared fds one file id; the restore (parent restored, fork, child
 * restored with the same context) must give back one open file description:
 * an lseek or a pipe write in the restored child is seen by the restored
 * parent, and the child's own file is not left in the parent.  A pipe
 * whose ends only two siblings hold is refused at dump.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fds.h"
#include "harness.h"
#include "image.h"
#include "log.h"
#include "util.h"

static char path[] = "/tmp/cryo-fds-share-XXXXXX";

static _noreturn_ void original(void)
{
	int p[2], null = open("/dev/null", O_RDWR);

	if (place_fd(open(path, O_RDWR), 10) < 0 || pipe(p) < 0 || place_fd(p[0], 11) < 0 ||
	    place_fd(p[1], 12) < 0 || write(12, "abc", 3) != 3)
		_exit(2);
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	close(null);
	if (fork() == 0) {
		if (place_fd(open("/tmp", O_RDONLY | O_DIRECTORY), 13) < 0)
			_exit(2);
		raise(SIGSTOP);
		_exit(0);
	}
	raise(SIGSTOP);
	wait(NULL);
	_exit(0);
}

static int child_of(int pid)
{
	char file[64], buf[64];
	int fd, n;

	snprintf(file, sizeof(file), "/proc/%d/task/%d/children", pid, pid);
	for (int tries = 0; tries < 500; tries++) {
		fd = open(file, O_RDONLY);
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			return atoi(buf);
		}
		usleep(10000);
	}
	return -1;
}

static bool stopped(int pid)
{
	char file[64], buf[512];
	int fd = -1, n;

	snprintf(file, sizeof(file), "/proc/%d/stat", pid);
	for (int tries = 0; tries < 500; tries++, usleep(10000)) {
		fd = open(file, O_RDONLY);
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		char *s = strrchr(buf, ')');
		if (s && s[2] == 'T')
			return true;
	}
	return false;
}

static int dump(int pid, int child, const char *dir)
{
	struct fd_ctx *ctx;
	struct img_dir *d;
	int r = fd_ctx_new(NULL, &ctx);

	if (r >= 0)
		r = fds_collect_task(ctx, pid);
	if (r >= 0)
		r = fds_collect_task(ctx, child);
	if (r >= 0 && (r = img_dir_open_write(dir, &d)) >= 0) {
		r = fds_write_images(ctx, d);
		if (r >= 0)
			r = img_dir_commit(d);
		img_dir_close(d);
	}
	fd_ctx_free(ctx);
	return r;
}

/* file id of each fd 10..13 of pid in the images (0: none) */
static int file_ids(const char *dir, int pid, uint32_t ids[4])
{
	struct img_dir *d;
	struct img *img;
	ProtobufCMessage *m;
	int r;

	memset(ids, 0, 4 * sizeof(uint32_t));
	if ((r = img_dir_open_read(dir, &d)) < 0)
		return r;
	if ((r = img_open(d, IMG_FDS, false, &img, pid)) >= 0) {
		while ((r = img_read(img, &m)) > 0) {
			FdEntry *e = (FdEntry *)m;
			if (e->fd >= 10 && e->fd <= 13)
				ids[e->fd - 10] = e->file_id;
			img_free_msg(m);
		}
		img_close(img);
	}
	img_dir_close(d);
	return r;
}

static int restored_child(struct fd_ctx *ctx)
{
	CHECK(fcntl(13, F_GETFD) >= 0, "the child's own fd 13");
	CHECK(lseek(10, 7, SEEK_SET) == 7 && write(12, "Z", 1) == 1, "child: seek and pipe write");
	(void)ctx;
	return 0;
}

static int restore(const char *dir, int pid, int child)
{
	struct fd_ctx *ctx;
	struct img_dir *d;
	char buf[8];
	int r, st;

	if ((r = img_dir_open_read(dir, &d)) < 0)
		return r;
	r = fds_load_images(d, NULL, &ctx);
	if (r >= 0)
		r = fds_read_task(ctx, d, pid);
	if (r >= 0)
		r = fds_restore_task(ctx);
	if (r < 0)
		return tlog("restore of the parent: %d", r), -1;
	int c = fork();
	if (c == 0) {
		r = fds_read_task(ctx, d, child);
		if (r >= 0)
			r = fds_restore_task(ctx);
		_exit(r < 0 ? 3 : restored_child(ctx) < 0 ? 1 : 0);
	}
	img_dir_close(d);
	fd_ctx_free(ctx);
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "restored child failed");
	CHECK(fcntl(13, F_GETFD) < 0, "the child's fd 13 is not in the parent");
	CHECK(lseek(10, 0, SEEK_CUR) == 7, "parent and child share the file offset");
	CHECK(read(11, buf, sizeof(buf)) == 4 && !memcmp(buf, "abcZ", 4), "parent and child share the pipe");
	return 0;
}

static _noreturn_ void siblings(void)
{
	int p[2], null = open("/dev/null", O_RDWR);

	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	if (pipe(p) < 0)
		_exit(2);
	for (int i = 0; i < 2; i++)
		if (fork() == 0) {
			place_fd(p[i], 10 + i);
			close(p[!i]);
			raise(SIGSTOP);
			_exit(0);
		}
	close(p[0]);
	close(p[1]);
	raise(SIGSTOP);
	while (wait(NULL) > 0)
		;
	_exit(0);
}

/* A pipe whose ends only two siblings have cannot be restored by inheritance: refused. */
static int sibling_refusal(void)
{
	char dir[] = "/tmp/cryo-fds-share-sib-XXXXXX";
	int pid, st, kids[2], n = 0, r = -1;
	struct fd_ctx *ctx;
	struct img_dir *d;

	if (!mkdtemp(dir))
		return -1;
	pid = fork();
	if (pid == 0)
		siblings();
	if (waitpid(pid, &st, WUNTRACED) < 0 || !WIFSTOPPED(st))
		return -1;
	char file[64], buf[128];
	snprintf(file, sizeof(file), "/proc/%d/task/%d/children", pid, pid);
	for (int tries = 0; tries < 500 && n < 2; tries++, usleep(10000)) {
		int fd = open(file, O_RDONLY);
		ssize_t len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[len > 0 ? len : 0] = 0;
		n = sscanf(buf, "%d %d", &kids[0], &kids[1]);
	}
	if (n == 2 && stopped(kids[0]) && stopped(kids[1]) && fd_ctx_new(NULL, &ctx) >= 0) {
		if (fds_collect_task(ctx, pid) >= 0 && fds_collect_task(ctx, kids[0]) >= 0 &&
		    fds_collect_task(ctx, kids[1]) >= 0 && img_dir_open_write(dir, &d) >= 0) {
			r = fds_write_images(ctx, d) == -EOPNOTSUPP ? 0 : -1;
			img_dir_close(d);
		}
		fd_ctx_free(ctx);
	}
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGCONT);
	kill(pid, SIGCONT);
	waitpid(pid, &st, 0);
	fds_test_rmdir(dir);
	printf(r == 0 ? "ok: a pipe shared only by siblings is refused\n" : "FAIL: siblings' pipe not refused\n");
	return r;
}

int main(void)
{
	char dir[] = "/tmp/cryo-fds-share-img-XXXXXX";
	uint32_t pids[4], cids[4];
	int pid, child, st, fd = mkstemp(path), ok;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (fd < 0 || write(fd, "0123456789", 10) != 10 || !mkdtemp(dir))
		return 1;
	close(fd);
	pid = fork();
	if (pid == 0)
		original();
	if (waitpid(pid, &st, WUNTRACED) < 0 || !WIFSTOPPED(st) || (child = child_of(pid)) < 0 || !stopped(child))
		return printf("FAIL fds-share: the processes did not stop\n"), 1;
	ok = dump(pid, child, dir) >= 0;
	kill(child, SIGCONT);
	kill(pid, SIGCONT);
	waitpid(pid, &st, 0);
	if (!ok)
		return printf("FAIL fds-share: dump failed\n"), 1;
	if (file_ids(dir, pid, pids) < 0 || file_ids(dir, child, cids) < 0)
		return printf("FAIL fds-share: cannot read fds images\n"), 1;
	if (!pids[0] || pids[0] != cids[0] || pids[1] != cids[1] || pids[2] != cids[2] || !cids[3] || pids[3] ||
	    pids[0] == pids[1]) {
		printf("FAIL fds-share: file ids parent %u %u %u %u, child %u %u %u %u\n", pids[0], pids[1], pids[2],
		       pids[3], cids[0], cids[1], cids[2], cids[3]);
		return 1;
	}
	printf("ok: shared fds have one file id each\n");
	int r = fork();
	if (r == 0)
		_exit(restore(dir, pid, child) == 0 ? 0 : 1);
	waitpid(r, &st, 0);
	unlink(path);
	fds_test_rmdir(dir);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return printf("FAIL fds-share: restored sharing is wrong\n"), 1;
	if (sibling_refusal() < 0)
		return 1;
	printf("PASS fds-share\n");
	return 0;
}
