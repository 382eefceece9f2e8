// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * blob-run syscalls: a child loads the blob and calls test_blob_syscalls(), which
 * checks the pie syscall layer against real files, sockets, signals, timers...
 * blob-run set-tid: the blob creates a thread with clone3 and a tid chosen here.
 */
#include "blob-run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/socket.h>

/* ---- syscalls: the blob exercises its syscall layer in a child ---- */

static int make_test_file(char *path, size_t size)
{
	unsigned char buf[TEST_BLOB_SYS_FILE_SIZE];
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, size, "%s/cryo-blob-test-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return perror("mkstemp"), -1;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = TEST_BLOB_SYS_BYTE(i);
	if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
		perror("write test file");
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

static _Noreturn void syscalls_child(struct test_blob_sys_args *args)
{
	long (*entry)(struct test_blob_sys_args *);
	char *p = load_blob_at_random();
	long r;

	if (!p)
		_exit(2);
	entry = (long (*)(struct test_blob_sys_args *))(p + blob_image.syscalls_off);
	r = entry(args);
	if (r != 0) {
		fprintf(stderr, "FAIL: blob returned %ld: check at test-blob-sys.c:%d got %lld\n", r,
			args->failed_line, (long long)args->failed_value);
		_exit(3);
	}
	_exit(0);
}

int test_syscalls(void)
{
	struct test_blob_sys_args args = { .magic = TEST_BLOB_SYS_MAGIC };
	int status;
	pid_t pid;

	if (make_test_file(args.path, sizeof(args.path)) < 0)
		return 1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, args.sock_fds) < 0)
		return perror("socketpair"), 1;
	pid = fork();
	if (pid < 0)
		return perror("fork"), 1;
	if (pid == 0)
		syscalls_child(&args);
	if (waitpid(pid, &status, 0) != pid)
		return perror("waitpid"), 1;
	unlink(args.path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "FAIL: child ended with status 0x%x\n", status);
		return 1;
	}
	printf("PASS: the blob's syscall layer checks passed in child %d\n", (int)pid);
	return 0;
}

/* ---- set-tid: the blob makes a thread with a chosen tid (clone3 set_tid) ---- */

static int read_pid_max(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
	int v = 0;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v > 1000 ? v : 32768;
}

/* Free-looking tids in the upper half of the pid space; the blob skips taken ones. */
static void pick_tid_candidates(int32_t *out, int n)
{
	int pid_max = read_pid_max();

	for (int i = 0; i < n;) {
		int c = pid_max / 2 + random_u64() % (pid_max / 2 - 1);
		char path[32];

		snprintf(path, sizeof(path), "/proc/%d", c);
		if (access(path, F_OK) != 0)
			out[i++] = c;
	}
}

static _Noreturn void set_tid_child(struct test_blob_sys_args *args, int fd)
{
	long (*entry)(struct test_blob_sys_args *);
	char *p = load_blob_at_random();
	long r;

	if (!p)
		_exit(2);
	entry = (long (*)(struct test_blob_sys_args *))(p + blob_image.set_tid_off);
	r = entry(args);
	if (write(fd, &r, sizeof(r)) != sizeof(r) ||
	    write(fd, args, sizeof(*args)) != (ssize_t)sizeof(*args))
		_exit(2);
	_exit(0);
}

int test_set_tid(void)
{
	struct test_blob_sys_args args = { .magic = TEST_BLOB_SYS_MAGIC };
	int fds[2], status;
	bool listed = false;
	long r = 0;
	pid_t pid;

	pick_tid_candidates(args.set_tid_candidates, TEST_BLOB_SET_TID_CANDIDATES);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return perror("pipe2"), 1;
	pid = fork();
	if (pid < 0)
		return perror("fork"), 1;
	if (pid == 0) {
		close(fds[0]);
		set_tid_child(&args, fds[1]);
	}
	close(fds[1]);
	if (read_full(fds[0], &r, sizeof(r)) < 0 || read_full(fds[0], &args, sizeof(args)) < 0 ||
	    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return fprintf(stderr, "FAIL: child died or sent no result\n"), 1;
	close(fds[0]);
	if (r == -EPERM) {
		printf("SKIP: clone3 set_tid needs CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN\n");
		return 77;
	}
	if (r == -ENOSYS || r == -E2BIG) {
		printf("SKIP: kernel without clone3 set_tid (%s)\n", strerror((int)-r));
		return 77;
	}
	if (r != 0)
		return fprintf(stderr, "FAIL: blob's clone3 with set_tid: %s\n", strerror((int)-r)), 1;
	for (int i = 0; i < TEST_BLOB_SET_TID_CANDIDATES; i++)
		listed = listed || args.set_tid_candidates[i] == args.set_tid_got;
	if (!listed || args.set_tid_seen != args.set_tid_got) {
		fprintf(stderr, "FAIL: thread got tid %d and saw %d; asked for one of ours\n",
			args.set_tid_got, args.set_tid_seen);
		return 1;
	}
	printf("PASS: the blob made a thread with the chosen tid %d in child %d\n",
	       args.set_tid_got, (int)pid);
	return 0;
}
