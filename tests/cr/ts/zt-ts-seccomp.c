/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seccomp across full C/R.
 *
 *   filter  two threads; two stacked filters installed with TSYNC (shared by
 *           both threads): the first makes getuid fail with errno 1 and getppid
 *           with 11, the second getuid with 2 and getpgrp with 22.  After
 *           restore, in each thread: mode 2 with 2 filters in /proc, getppid
 *           and getpgrp fail as set, and getuid with 2 (the newest filter wins
 *           among equal actions: the order is kept); other calls work; the
 *           second filter has SECCOMP_FILTER_FLAG_LOG (a child made before
 *           the filters reads the flags with PTRACE_SECCOMP_GET_METADATA).
 *   threads threads with seccomp states of their own: the main thread none, a
 *           worker its own filter (getpgrp fails with 22 there only), a third
 *           thread in strict mode, which answers over a pipe after restore.
 *   strict  the task is in strict mode (read, write, exit, sigreturn only).
 *           Its child checks /proc/PPID/status after restore and reports
 *           through a pipe; the task writes the verdict to the result file it
 *           opened before, and exits with the exit syscall.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../lib/zt.h"
#include "zt-ts.h"

#define DENY(nr, err) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err))

static void install(struct sock_filter *f, unsigned short n, unsigned flags)
{
	struct sock_fprog prog = { n, f };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC | flags, &prog) != 0)
		zt_fail("seccomp(SET_MODE_FILTER, TSYNC): %m");
}

static void install_filters(void)
{
	struct sock_filter f1[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		DENY(SYS_getuid, 1),
		DENY(SYS_getppid, 11),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_filter f2[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		DENY(SYS_getuid, 2),
		DENY(SYS_getpgrp, 22),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	install(f1, sizeof(f1) / sizeof(f1[0]), 0);
	install(f2, sizeof(f2) / sizeof(f2[0]), SECCOMP_FILTER_FLAG_LOG);
}

static char msg[512];

static const char *denied(long nr, int err, const char *who)
{
	errno = 0;
	long r = syscall(nr, 0, 0, 0);
	if (r != -1 || errno != err) {
		snprintf(msg, sizeof(msg), "%s: syscall %ld returned %ld errno %d, want errno %d", who, nr, r, errno, err);
		return msg;
	}
	return NULL;
}

static const char *check_filtered(pid_t tid, const char *who)
{
	char mode[32], n[32];
	const char *r;
	if (zt_status(tid, "Seccomp", mode, sizeof(mode)) < 0 || zt_status(tid, "Seccomp_filters", n, sizeof(n)) < 0)
		return "no Seccomp lines in /proc status";
	if (strcmp(mode, "2") || strcmp(n, "2")) {
		snprintf(msg, sizeof(msg), "%s: seccomp mode %s with %s filters, want 2 and 2", who, mode, n);
		return msg;
	}
	if ((r = denied(SYS_getppid, 11, who)) || (r = denied(SYS_getpgrp, 22, who)) || (r = denied(SYS_getuid, 2, who)))
		return r;
	if (syscall(SYS_getpid) != getpid() || syscall(SYS_geteuid) != 0)
		return "an allowed syscall fails";
	return NULL;
}

static const char *worker_check(struct zt_worker *w)
{
	return check_filtered(w->tid, "worker");
}

/*
 * The flags of each filter (PTRACE_SECCOMP_GET_METADATA) from a child made
 * before the filters: a tracer under seccomp may not read them.
 */
static int meta_go[2], meta_res[2];

static void meta_child(pid_t parent)
{
	char c, out[128];
	struct {
		uint64_t filter_off, flags;
	} md[2] = { { 0, 0 }, { 1, 0 } };
	int st;
	if (read(meta_go[0], &c, 1) != 1)
		_exit(1);
	if (ptrace(PTRACE_SEIZE, parent, 0, 0) < 0 || ptrace(PTRACE_INTERRUPT, parent, 0, 0) < 0 ||
	    waitpid(parent, &st, __WALL) != parent)
		snprintf(out, sizeof(out), "cannot trace the task: %m");
	else if (ptrace(0x420d /* PTRACE_SECCOMP_GET_METADATA */, parent, (void *)sizeof(md[0]), &md[0]) < 0 ||
		 ptrace(0x420d, parent, (void *)sizeof(md[1]), &md[1]) < 0)
		snprintf(out, sizeof(out), "PTRACE_SECCOMP_GET_METADATA: %m");
	else if (md[0].flags != 0 || md[1].flags != SECCOMP_FILTER_FLAG_LOG)
		snprintf(out, sizeof(out), "filter flags %#llx and %#llx, want 0 and %#x (LOG)",
			 (unsigned long long)md[0].flags, (unsigned long long)md[1].flags, (unsigned)SECCOMP_FILTER_FLAG_LOG);
	else
		snprintf(out, sizeof(out), "ok");
	ptrace(PTRACE_DETACH, parent, 0, 0);
	(void)!write(meta_res[1], out, strlen(out));
	_exit(0);
}

static void start_meta_child(void)
{
	pid_t parent = getpid(), p;
	if (pipe(meta_go) < 0 || pipe(meta_res) < 0)
		zt_fail("pipe: %m");
	p = fork();
	if (p < 0)
		zt_fail("fork: %m");
	if (p == 0) {
		close(meta_go[1]);
		close(meta_res[0]);
		meta_child(parent);
	}
	close(meta_go[0]);
	close(meta_res[1]);
}

static const char *check_flags(void)
{
	static char line[160];
	ssize_t n;
	(void)!write(meta_go[1], "g", 1);
	while ((n = read(meta_res[0], line, sizeof(line) - 1)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return "no answer from the child reading the filters' flags";
	line[n] = 0;
	return strcmp(line, "ok") ? line : NULL;
}

static void run_filter(void)
{
	struct zt_worker w = { .check = worker_check };
	start_meta_child();
	zt_worker_start(&w);
	install_filters();
	zt_ready();
	zt_wait();
	const char *r = check_filtered(gettid(), "main");
	if (!r)
		r = zt_worker_check(&w);
	if (!r)
		r = check_flags();
	if (r)
		zt_fail("%s", r);
	zt_pass();
}

/* ---- threads with seccomp states of their own --------------------------- */

static int strict_go[2], strict_ack[2];
static volatile pid_t strict_tid;
static volatile int strict_err = -1;

/* A sandboxed thread: strict mode, waits on a pipe, answers, exits. */
static void *strict_thread(void *arg)
{
	char c;
	(void)arg;
	strict_tid = (pid_t)syscall(SYS_gettid);
	strict_err = prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) < 0 ? errno : 0;
	while (syscall(SYS_read, strict_go[0], &c, 1) != 1)
		;
	syscall(SYS_write, strict_ack[1], "k", 1);
	syscall(SYS_exit, 0);
	return NULL;
}

static void own_filter(struct zt_worker *w)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		DENY(SYS_getpgrp, 22),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	(void)w;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		zt_fail("worker: seccomp: %m");
}

static const char *mode_is(pid_t tid, const char *mode, const char *filters, const char *who)
{
	char m[32] = "?", n[32] = "?";
	zt_status(tid, "Seccomp", m, sizeof(m));
	zt_status(tid, "Seccomp_filters", n, sizeof(n));
	if (strcmp(m, mode) || strcmp(n, filters)) {
		snprintf(msg, sizeof(msg), "%s: seccomp mode %s with %s filters, want %s and %s", who, m, n, mode, filters);
		return msg;
	}
	return NULL;
}

static const char *own_filter_check(struct zt_worker *w)
{
	const char *r = mode_is(w->tid, "2", "1", "filtered worker");
	return r ? r : denied(SYS_getpgrp, 22, "filtered worker");
}

static void run_threads(void)
{
	struct zt_worker w = { .setup = own_filter, .check = own_filter_check };
	pthread_t th;
	char c;
	struct timespec t = { 0, 5 * 1000 * 1000 };

	if (pipe(strict_go) < 0 || pipe(strict_ack) < 0)
		zt_fail("pipe: %m");
	zt_worker_start(&w);
	if (pthread_create(&th, NULL, strict_thread, NULL))
		zt_fail("pthread_create failed");
	for (int i = 0; i < 2000 && strict_err < 0; i++)
		nanosleep(&t, NULL);
	if (strict_err)
		zt_fail("strict thread: PR_SET_SECCOMP: %s", strerror(strict_err));
	zt_ready();
	zt_wait();
	const char *r = mode_is(gettid(), "0", "0", "main");
	if (!r && syscall(SYS_getpgrp) < 0)
		r = "main: getpgrp is filtered";
	if (!r)
		r = mode_is(strict_tid, "1", "0", "strict thread");
	if (!r)
		r = zt_worker_check(&w);
	if (!r) {
		(void)!write(strict_go[1], "g", 1);
		ssize_t n;
		while ((n = read(strict_ack[0], &c, 1)) < 0 && errno == EINTR)
			;
		if (n != 1)
			r = "the strict thread does not answer";
	}
	if (r)
		zt_fail("%s", r);
	zt_pass();
}

/* ---- strict ------------------------------------------------------------- */

static int wake[2], verdict[2], go[2];

static void on_term(int sig)
{
	(void)sig;
	char c = 't';
	(void)!write(wake[1], &c, 1);
}

/* The child: waits for the go, then looks at its parent's seccomp mode. */
static void child_main(pid_t parent)
{
	char c, mode[64] = "?", path[64], line[256];
	if (read(go[0], &c, 1) != 1)
		_exit(1);
	snprintf(path, sizeof(path), "/proc/%d/status", parent);
	FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Seccomp:", 8))
			snprintf(mode, sizeof(mode), "%s", line + 8 + strspn(line + 8, " \t"));
	mode[strcspn(mode, "\n")] = 0;
	if (!strcmp(mode, "1"))
		snprintf(line, sizeof(line), "PASS\n");
	else
		snprintf(line, sizeof(line), "FAIL: the task's seccomp mode is %s after restore, want 1 (strict)\n", mode);
	(void)!write(verdict[1], line, strlen(line));
	_exit(0);
}

static void run_strict(void)
{
	const char *out = getenv("ZT_OUT");
	int res = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
	if (res < 0)
		zt_fail("cannot open the result file: %m");
	if (pipe(wake) < 0 || pipe(verdict) < 0 || pipe(go) < 0)
		zt_fail("pipe: %m");
	pid_t parent = getpid(), child = fork();
	if (child < 0)
		zt_fail("fork: %m");
	if (child == 0) {
		/* Only its own ends: a dead parent means EOF, not a child left waiting. */
		close(go[1]);
		close(verdict[0]);
		close(wake[0]);
		close(wake[1]);
		child_main(parent);
	}
	close(go[0]);
	close(verdict[1]);
	struct sigaction sa = { .sa_handler = on_term };
	sigemptyset(&sa.sa_mask);
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigprocmask(SIG_UNBLOCK, &term, NULL) < 0)
		zt_fail("SIGTERM: %m");
	zt_ready();
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) < 0)
		zt_fail("PR_SET_SECCOMP strict: %m");
	/* From here on: read, write, exit, sigreturn. */
	char c, buf[256];
	while (syscall(SYS_read, wake[0], &c, 1) != 1)
		;
	syscall(SYS_write, go[1], "g", 1);
	long n = syscall(SYS_read, verdict[0], buf, sizeof(buf));
	if (n <= 0)
		syscall(SYS_write, res, "FAIL: no verdict from the child\n", 32);
	else
		syscall(SYS_write, res, buf, n);
	syscall(SYS_exit, 0);
}

int main(int argc, char **argv)
{
	zt_init(argc, argv);
	if (argc < 2)
		zt_fail("usage: zt-ts-seccomp filter|strict|threads");
	if (!strcmp(argv[1], "filter"))
		run_filter();
	else if (!strcmp(argv[1], "strict"))
		run_strict();
	else if (!strcmp(argv[1], "threads"))
		run_threads();
	zt_fail("unknown mode %s", argv[1]);
}
