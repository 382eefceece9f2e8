/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "image.h"
#include "log.h"
#include "util.h"

static int log_fd = 2;

void tlog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdprintf(log_fd, fmt, ap);
	va_end(ap);
	dprintf(log_fd, "\n");
}

static void sink(enum log_level level _unused_, const char *line, void *userdata _unused_)
{
	dprintf(log_fd, "%s\n", line);
}

int place_fd(int fd, int want)
{
	if (fd < 0)
		return -1;
	if (fd == want)
		return fd;
	/* keep FD_CLOEXEC, which dup2 would drop */
	if (dup3(fd, want, (fcntl(fd, F_GETFD) & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
		return -1;
	close(fd);
	return want;
}

int fds_test_netns(void)
{
	if (unshare(CLONE_NEWNET) < 0) {
		printf("SKIP: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 77;
	}
	if (system("ip link set lo up") != 0) {
		printf("SKIP: 'ip link set lo up' failed (iproute2 missing?)\n");
		return 77;
	}
	return 0;
}

int fds_test_dump(int pid, const char *dir, const struct fd_opts *opts, struct fd_ctx **keep)
{
	struct fd_ctx *ctx;
	struct img_dir *d;
	int r;

	r = fd_ctx_new(opts, &ctx);
	if (r < 0)
		return r;
	r = fds_collect_task(ctx, pid);
	if (r >= 0)
		r = img_dir_open_write(dir, &d);
	if (r >= 0) {
		r = fds_write_images(ctx, d);
		if (r >= 0)
			r = img_dir_commit(d);
		img_dir_close(d);
	}
	if (keep && r >= 0)
		*keep = ctx;
	else
		fd_ctx_free(ctx);
	return r;
}

/* Send our messages to dir/name, at a number above every fd a case uses. */
static void open_log(const char *dir, const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd != 2)
		close(log_fd);	/* the log of an earlier case */
	log_fd = 2;
	if (fd >= 0)
		log_fd = fcntl(fd, F_DUPFD_CLOEXEC, 1000);
	close(fd);
	log_set_sink(sink, NULL);
}

static void show_log(const char *dir, const char *name)
{
	char path[4096], buf[4096];
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f))
		printf("  %s: %s", name, buf);
}

static _noreturn_ void run_original(const struct fds_case *c, const char *dir)
{
	int null;

	if (c->setup() < 0)
		_exit(2);
	/* the test's own log (inherited from an earlier case) is not the case's */
	if (log_fd != 2)
		close(log_fd);
	null = open("/dev/null", O_RDWR);
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	close(null);
	raise(SIGSTOP);
	open_log(dir, "original.log");
	if (c->verify(false) != 0)
		_exit(1);
	if (c->kill_original)
		raise(SIGSTOP);	/* to be killed */
	_exit(0);
}

static _noreturn_ void run_restore(const struct fds_case *c, const char *dir, int pid)
{
	struct fd_ctx *ctx;
	struct img_dir *d;
	int r;

	open_log(dir, "restore.log");
	r = img_dir_open_read(dir, &d);
	if (r < 0)
		_exit(3);
	r = fds_load_images(d, &c->opts, &ctx);
	if (r >= 0)
		r = fds_read_task(ctx, d, pid);
	img_dir_close(d);
	if (r < 0) {
		tlog("reading the images failed: %s", strerror(-r));
		_exit(3);
	}
	if (getenv("FDS_TEST_SKIP_RESTORE"))
		tlog("FDS_TEST_SKIP_RESTORE: not restoring");
	else
		r = fds_restore_task(ctx);
	if (r >= 0 && !getenv("FDS_TEST_SKIP_RESTORE"))
		r = fds_restore_task_late(ctx);	/* pidfds */
	fd_ctx_free(ctx);
	if (r < 0) {
		tlog("fds_restore_task failed: %s", strerror(-r));
		_exit(4);
	}
	if (c->after_restore && c->after_restore() < 0) {
		tlog("after_restore failed");
		_exit(1);
	}
	_exit(c->verify(true) == 0 ? 0 : 1);
}

static bool log_contains(const char *dir, const char *name, const char *what)
{
	char path[4096], buf[4096];
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	while (f && fgets(buf, sizeof(buf), f))
		if (strstr(buf, what))
			return true;
	return false;
}

static int wait_exit(int pid, const char *who)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	printf("%s: killed by signal %d\n", who, WTERMSIG(st));
	return -1;
}

static int rm_entry(const char *path, const struct stat *st _unused_, int type _unused_, struct FTW *ftw _unused_)
{
	remove(path);
	return 0;
}

void fds_test_rmdir(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int run_case(const struct fds_case *c, char *dir);

int fds_case_run(const struct fds_case *c)
{
	char dir[] = "/tmp/cryo-fds-XXXXXX";
	int r;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (c->netns && (r = fds_test_netns()) != 0)
		return r;
	if (!mkdtemp(dir))
		return printf("FAIL %s: mkdtemp: %s\n", c->name, strerror(errno)), 1;
	r = run_case(c, dir);
	if (r == 0)
		fds_test_rmdir(dir);
	else
		printf("(images and logs kept in %s)\n", dir);
	return r;
}

static int run_case(const struct fds_case *c, char *dir)
{
	int pid, rpid, st, r;

	pid = fork();
	if (pid == 0)
		run_original(c, dir);
	if (waitpid(pid, &st, WUNTRACED) < 0 || !WIFSTOPPED(st)) {
		printf("FAIL %s: the original child did not stop (setup failed?)\n", c->name);
		return 1;
	}
	if (c->before_dump && c->before_dump(pid) < 0) {
		kill(pid, SIGKILL);
		wait_exit(pid, "original");
		return printf("FAIL %s: preparing the dump failed\n", c->name), 1;
	}
	open_log(dir, "dump.log");
	struct fd_ctx *kept = NULL;
	r = fds_test_dump(pid, dir, &c->opts, c->kill_original ? &kept : NULL);
	kill(pid, SIGCONT);
	if (kept) {
		/* verify(false) passed if the original stopped again */
		if (waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st)) {
			r = fds_prepare_kill(kept);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			st = r < 0 ? 1 : 0;
		} else {
			st = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
		}
		fd_ctx_free(kept);
		if (st != 0) {
			show_log(dir, "original.log");
			printf("FAIL %s: the original process is not intact after the dump\n", c->name);
			return 1;
		}
	}
	if (c->expect_dump_refusal) {
		char want[512];

		snprintf(want, sizeof(want), "pid %d fd %d: %s", pid, c->refused_fd, c->expect_dump_refusal);
		show_log(dir, "dump.log");
		if (r >= 0 || !log_contains(dir, "dump.log", want)) {
			printf("FAIL %s: the dump should have been refused with \"%s\"\n", c->name, want);
			wait_exit(pid, "original");
			return 1;
		}
		if ((r = wait_exit(pid, "original")) != 0) {
			show_log(dir, "original.log");
			printf("FAIL %s: the original process is not intact after the refused dump\n", c->name);
			return 1;
		}
		printf("PASS %s: dump refused, original intact\n", c->name);
		return 0;
	}
	if (r < 0) {
		show_log(dir, "dump.log");
		printf("FAIL %s: dump failed: %s\n", c->name, strerror(-r));
		wait_exit(pid, "original");
		return 1;
	}
	if (!kept && (r = wait_exit(pid, "original")) != 0) {
		show_log(dir, "original.log");
		printf("FAIL %s: the original process is not intact after the dump (exit %d)\n", c->name, r);
		return 1;
	}
	printf("ok: original intact after the dump\n");
	if (c->between && c->between(dir) < 0)
		return printf("FAIL %s: preparing the restore failed\n", c->name), 1;

	rpid = fork();
	if (rpid == 0)
		run_restore(c, dir, pid);
	int peer_r = c->peer ? c->peer() : 0;
	r = wait_exit(rpid, "restore");
	if (peer_r < 0 && r == 0)
		r = 5;
	show_log(dir, "restore.log");
	if (c->expect_log && !log_contains(dir, "restore.log", c->expect_log)) {
		printf("FAIL %s: the restore did not log \"%s\"\n", c->name, c->expect_log);
		return 1;
	}
	if (c->expect_restore_failure) {
		if (r != 4) {
			printf("FAIL %s: the restore should have been refused (exit %d)\n", c->name, r);
			return 1;
		}
		printf("PASS %s: restore refused as expected\n", c->name);
		return 0;
	}
	if (r != 0) {
		printf("FAIL %s: restored state is wrong (exit %d)\n", c->name, r);
		return 1;
	}
	printf("PASS %s\n", c->name);
	return 0;
}
