/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Task-state round trips on real processes.
 *
 *   ts-test roundtrip [--skip KIND]
 *       A child sets up every kind of state and stops; we collect it from
 *       outside (ptrace-stopped) plus its inside-only values (read by the
 *       child itself, as a parasite would), write taskstate-PID.img, read it
 *       back; a fresh child applies it to itself in the library's order; we
 *       collect that one too and compare field by field.  With --skip KIND the
 *       fresh child skips that kind's apply, and the test passes only if the
 *       comparison catches a difference in that kind.
 *   ts-test rlimit-above-hard   a limit above the hard limit fails naming it, passes with keep-current
 *   ts-test creds-refused       creds the restorer cannot grant fail, naming what was asked
 *   ts-test chroot              root and cwd of a chrooted task
 *   ts-test seccomp-per-thread  a thread with its own filter chain is collected as its own
 *   ts-test seccomp-strict      strict mode collected and applied
 *   ts-test image-check         a bad entry in taskstate-PID.img is refused naming the file
 *   ts-test timer-ids[-sequential]  POSIX timers get their ids back (prctl / creation order)
 *   ts-test stopped             a SIGSTOPped task is reported stopped
 *   ts-test traced              a task traced by another process is refused
 *   ts-test order               the kinds table satisfies every declared need
 */
#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "image.h"
#include "log.h"
#include "ts-test.h"

static _noreturn_ void child_fail(const char *what, int r)
{
	fprintf(stderr, "child %d: %s failed: %s\n", getpid(), what, strerror(r < 0 ? -r : errno));
	_exit(1);
}

static _noreturn_ void idle_forever(void)
{
	for (;;)
		pause();
}

static int read_all(int fd, void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		done += n;
	}
	return 0;
}

/* The child's inside-only values, or NULL if it died first. */
static TaskStateEntry *read_inside_state(int fd)
{
	uint32_t len;
	uint8_t *buf;
	TaskStateEntry *e;

	if (read_all(fd, &len, sizeof(len)) < 0 || len > (64u << 20))
		return NULL;
	buf = malloc(len);
	if (!buf || read_all(fd, buf, len) < 0) {
		free(buf);
		return NULL;
	}
	e = task_state_entry__unpack(NULL, len, buf);
	free(buf);
	return e;
}

static int list_tids(pid_t pid, pid_t *tids, size_t max, size_t *n)
{
	char path[64];
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	*n = 0;
	tids[(*n)++] = pid;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && atoi(de->d_name) != pid && *n < max)
			tids[(*n)++] = atoi(de->d_name);
	closedir(d);
	return 0;
}

static int seize_all(const pid_t *tids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int st;

		if (ptrace(PTRACE_SEIZE, tids[i], 0, 0) < 0 || ptrace(PTRACE_INTERRUPT, tids[i], 0, 0) < 0)
			return -errno;
		if (waitpid(tids[i], &st, __WALL) < 0)
			return -errno;
	}
	return 0;
}

/* Seize the child, collect from outside, add what it sent from inside. */
static TaskStateEntry *collect_child(pid_t pid, int fd)
{
	struct ts_collect_ctx c = { 0 };
	TaskStateEntry *in = read_inside_state(fd), *e;
	pid_t tids[16];
	size_t n;

	if (!in) {
		printf("FAIL: task %d did not send its inside state (died during setup or apply?)\n", pid);
		return NULL;
	}
	if (list_tids(pid, tids, 16, &n) < 0 || n != TS_NTHREADS || seize_all(tids, n) < 0) {
		printf("FAIL: cannot seize the %zu threads of %d\n", n, pid);
		return NULL;
	}
	if (ts_entry_new(pid, tids, n, &e) < 0 || ts_collect(&c, pid, e) < 0) {
		printf("FAIL: collecting the state of %d\n", pid);
		return NULL;
	}
	merge_inside(e, in);
	task_state_entry__free_unpacked(in, NULL);
	return e;
}

static pid_t fork_original(int fd)
{
	pid_t pid = fork();
	struct worker w;
	int r;

	if (pid)
		return pid;
	r = scenario_setup(&w);
	if (r < 0)
		child_fail("scenario setup", r);
	r = send_inside_state(fd, &w);
	if (r < 0)
		child_fail("inside collection", r);
	idle_forever();
}

struct thread_apply {
	const struct ts_kind *k;
	const struct ts_apply_ctx *a;
	const TaskStateEntry *e;
};

static int apply_in_worker(void *arg)
{
	struct thread_apply *t = arg;

	return ts_apply_kind_thread(t->k, t->a, t->e, 1);
}

/* What a multi-threaded restorer does: per kind, the process part on the
 * main thread, then the thread part in every thread. */
static int apply_everything(const TaskStateEntry *e, struct worker *w, const char *skip)
{
	pid_t tids[TS_NTHREADS] = { getpid(), w->tid };
	struct ts_apply_ctx a = { .tids = tids, .nr_tids = TS_NTHREADS };
	size_t n;
	const struct ts_kind *const *kinds = ts_kinds(&n);

	for (size_t i = 0; i < n; i++) {
		struct thread_apply t = { kinds[i], &a, e };
		int r;

		if (skip && !strcmp(skip, kinds[i]->name))
			continue;
		r = ts_apply_kind(kinds[i], &a, e);
		if (r >= 0)
			r = ts_apply_kind_thread(kinds[i], &a, e, 0);
		if (r >= 0)
			r = worker_run(w, apply_in_worker, &t);
		if (r < 0) {
			fprintf(stderr, "apply %s failed: %s\n", kinds[i]->name, strerror(-r));
			return r;
		}
	}
	return 0;
}

static pid_t fork_restored(int fd, const TaskStateEntry *e, const char *skip)
{
	pid_t pid = fork();
	struct worker w;
	int r;

	if (pid)
		return pid;
	if (worker_start(&w) < 0)
		child_fail("thread start", -EAGAIN);
	r = apply_everything(e, &w, skip);
	if (r < 0)
		child_fail("apply", r);
	r = send_inside_state(fd, &w);
	if (r < 0)
		child_fail("inside collection", r);
	idle_forever();
}

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			unlinkat(dirfd(d), de->d_name, 0);
	if (d)
		closedir(d);
	rmdir(dir);
}

static int image_round_trip(const TaskStateEntry *e, TaskStateEntry **ret)
{
	char dir[] = "/tmp/ts-img-XXXXXX";
	struct img_dir *d;
	int r;

	if (!mkdtemp(dir))
		return -errno;
	r = img_dir_open_write(dir, &d);
	if (r < 0)
		return r;
	r = ts_image_write(d, e);
	if (r >= 0)
		r = img_dir_commit(d);
	img_dir_close(d);
	if (r < 0)
		return r;
	r = img_dir_open_read(dir, &d);
	if (r < 0)
		return r;
	r = ts_image_read(d, e->pid, ret);
	img_dir_close(d);
	printf("image: %s/taskstate-%u.img (%s)\n", dir, e->pid, r < 0 ? "unreadable" : "read back");
	remove_tree(dir);
	return r;
}

static void kill_child(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, __WALL);
	}
}

static pid_t watched[2] = { -1, -1 };

/* A child that hangs must not hang the test: kill both and fail. */
static void watchdog(int sig _unused_)
{
	static const char msg[] = "FAIL: the round trip hung (watchdog)\n";

	for (int i = 0; i < 2; i++)
		if (watched[i] > 0)
			kill(watched[i], SIGKILL);
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static int test_roundtrip(const char *skip)
{
	int pa[2], pb[2], ret = 1;
	pid_t a = -1, b = -1;
	TaskStateEntry *ea = NULL, *img = NULL, *eb = NULL;
	struct diff_count d;

	if (pipe(pa) < 0)
		return 1;
	signal(SIGALRM, watchdog);
	alarm(20);
	a = watched[0] = fork_original(pa[1]);
	close(pa[1]);	/* a child that dies gives EOF */
	ea = collect_child(a, pa[0]);
	if (!ea)
		goto out;
	if (image_round_trip(ea, &img) < 0) {
		printf("FAIL: image write/read\n");
		goto out;
	}
	if (pipe(pb) < 0)	/* after forking a: only b may hold its write end */
		goto out;
	b = watched[1] = fork_restored(pb[1], img, skip);
	close(pb[1]);
	eb = collect_child(b, pb[0]);
	if (!eb)
		goto out;
	compare_entries(ea, eb, skip, &d);
	if (!skip) {
		ret = d.total ? 1 : 0;
		printf("%s: %u differing fields\n", ret ? "FAIL" : "PASS", d.total);
	} else {
		ret = d.in_kind ? 0 : 1;
		printf("%s: skipping the apply of %s is %s (%u differing fields of that kind)\n", ret ? "FAIL" : "PASS",
		       skip, ret ? "NOT detected" : "detected", d.in_kind);
	}
out:
	if (ea && ea->cwd && !strncmp(ea->cwd, "/tmp/ts-cwd-", 12))
		rmdir(ea->cwd);
	alarm(0);
	/* Their threads are ptrace-seized by us: reap every one of them. */
	if (a > 0)
		kill(a, SIGKILL);
	if (b > 0)
		kill(b, SIGKILL);
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		;
	ts_entry_free(ea);
	ts_entry_free(eb);
	if (img)
		img_free_msg(&img->base);
	return ret;
}

/* ---- rlimits above the hard limit ------------------------------------------ */

static char last_log[512];

static void keep_log(enum log_level level _unused_, const char *line, void *userdata _unused_)
{
	snprintf(last_log, sizeof(last_log), "%s", line);
	fprintf(stderr, "log: %s\n", line);
}

/* Without CAP_SYS_RESOURCE (dropped here in case we have it) a hard limit cannot go up. */
static int rlimit_child(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct cd[2];
	struct rlimit now, after;
	TsRlimitEntry l = TS_RLIMIT_ENTRY__INIT, *ls[] = { &l };
	TaskStateEntry e = TASK_STATE_ENTRY__INIT;
	struct ts_apply_ctx a = { 0 };
	int r;

	if (syscall(SYS_capget, &h, cd) < 0)
		return 1;
	cd[0].effective &= ~(1u << CAP_SYS_RESOURCE);
	cd[0].permitted &= ~(1u << CAP_SYS_RESOURCE);
	if (syscall(SYS_capset, &h, cd) < 0 || getrlimit(RLIMIT_NOFILE, &now) < 0)
		return 1;
	if (now.rlim_max == RLIM_INFINITY) {
		printf("SKIP: the NOFILE hard limit is unlimited, nothing is above it\n");
		return 77;
	}
	e.pid = getpid();
	e.rlimits = ls, e.n_rlimits = 1;
	l.resource = RLIMIT_NOFILE, l.cur = now.rlim_max + 1000, l.max = now.rlim_max + 1000;
	log_set_sink(keep_log, NULL);
	r = ts_kind_rlimits.apply(&a, &e);
	if (r != -EPERM || !strstr(last_log, "RLIMIT_NOFILE") || !strstr(last_log, "hard limit")) {
		printf("FAIL: applying NOFILE %llu above the hard limit %llu: %d, message '%s'\n",
		       (unsigned long long)l.max, (unsigned long long)now.rlim_max, r, last_log);
		return 1;
	}
	printf("ok: refused with: %s\n", last_log);
	a.flags = TS_APPLY_KEEP_RLIMIT;
	r = ts_kind_rlimits.apply(&a, &e);
	if (r < 0 || getrlimit(RLIMIT_NOFILE, &after) < 0 || after.rlim_max != now.rlim_max ||
	    after.rlim_cur != now.rlim_cur) {
		printf("FAIL: with keep-current: %d, limit now %llu/%llu\n", r, (unsigned long long)after.rlim_cur,
		       (unsigned long long)after.rlim_max);
		return 1;
	}
	printf("PASS: NOFILE above the hard limit fails naming it, keep-current keeps %llu/%llu\n",
	       (unsigned long long)now.rlim_cur, (unsigned long long)now.rlim_max);
	return 0;
}

static int run_in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		fflush(stdout);
		_exit(fn());
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return 1;
	return WEXITSTATUS(st);
}

/* ---- what the restorer cannot grant ---------------------------------------------- */

/* As uid 1000 with only CAP_KILL, ask for CAP_SYS_ADMIN, then for uid 0. */
static int creds_refused_child(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct cd[2] = { { 1u << CAP_KILL, 1u << CAP_KILL, 0 }, { 0, 0, 0 } };
	TsCredsEntry cr = TS_CREDS_ENTRY__INIT;
	TaskStateEntry e = TASK_STATE_ENTRY__INIT;
	TsThreadEntry t = TS_THREAD_ENTRY__INIT;
	struct ts_apply_ctx a = { 0 };
	int r;

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresgid(1000, 1000, 1000) < 0 ||
	    setresuid(1000, 1000, 1000) < 0 || syscall(SYS_capset, &h, cd) < 0)
		return 1;
	cr.uid = cr.euid = cr.suid = cr.fsuid = 1000;
	cr.gid = cr.egid = cr.sgid = cr.fsgid = 1000;
	cr.cap_prm = cr.cap_eff = 1ull << CAP_SYS_ADMIN | 1ull << CAP_KILL;
	cr.cap_bnd = ~0ull >> 23;
	e.pid = getpid(), e.creds = &cr;
	log_set_sink(keep_log, NULL);
	r = ts_kind_creds.apply_thread(&a, &e, &t);
	if (r != -EPERM || !strstr(last_log, "cap_sys_admin")) {
		printf("FAIL: asking for cap_sys_admin without it: %d, '%s'\n", r, last_log);
		return 1;
	}
	printf("ok: %s\n", last_log);
	cr.cap_prm = cr.cap_eff = 1ull << CAP_KILL;
	cr.uid = cr.euid = cr.suid = cr.fsuid = 0;
	cr.cap_bnd = 0;
	for (int i = 0; i < 64; i++)	/* the same bounding set: nothing to drop */
		if (prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 1)
			cr.cap_bnd |= 1ull << i;
	r = ts_kind_creds.apply_thread(&a, &e, &t);
	if (r != -EPERM || !strstr(last_log, "uids 0/0/0")) {
		printf("FAIL: asking for uid 0 as uid 1000: %d, '%s'\n", r, last_log);
		return 1;
	}
	printf("PASS: refused with: %s\n", last_log);
	return 0;
}

/* ---- image checks ----------------------------------------------------------------- */

/* A siginfo that is not 128 bytes must be refused by the reader, naming the file. */
static int test_image_check(void)
{
	char dir[] = "/tmp/ts-img-XXXXXX";
	uint8_t junk[5] = { 0 };
	TsSiginfoEntry si = TS_SIGINFO_ENTRY__INIT, *sis[] = { &si };
	TaskStateEntry e = TASK_STATE_ENTRY__INIT, *back = NULL;
	struct img_dir *d;
	int r;

	if (!mkdtemp(dir))
		return 1;
	e.pid = 4242, e.shared_pending = sis, e.n_shared_pending = 1;
	si.siginfo.data = junk, si.siginfo.len = sizeof(junk);
	if (img_dir_open_write(dir, &d) < 0)
		return 1;
	r = ts_image_write(d, &e);
	if (r >= 0)
		r = img_dir_commit(d);
	img_dir_close(d);
	if (r < 0 || img_dir_open_read(dir, &d) < 0)
		return 1;
	log_set_sink(keep_log, NULL);
	r = ts_image_read(d, 4242, &back);
	img_dir_close(d);
	remove_tree(dir);
	if (r != -EBADMSG || !strstr(last_log, "taskstate-4242.img")) {
		printf("FAIL: a 5-byte siginfo: %d, '%s'\n", r, last_log);
		return 1;
	}
	printf("PASS: refused: %s\n", last_log);
	return 0;
}

/* ---- root and cwd ------------------------------------------------------------------ */

static _noreturn_ void report_and_idle(int fd)
{
	if (write(fd, "r", 1) != 1)
		_exit(1);
	idle_forever();
}

static int collect_proc_of(pid_t pid, int fd, TaskStateEntry **ret)
{
	struct ts_collect_ctx c = { 0 };
	char b;

	if (read(fd, &b, 1) != 1)
		return -EIO;
	return ts_entry_new(pid, &pid, 1, ret) < 0 ? -ENOMEM : ts_kind_proc.collect(&c, pid, *ret);
}

/* A task chrooted into a directory, its cwd below it. */
static int test_chroot(void)
{
	char root[] = "/tmp/ts-root-XXXXXX", sub[64];
	int pa[2], pb[2], ret = 1;
	pid_t a, b = -1;
	TaskStateEntry *ea = NULL, *eb = NULL;
	struct ts_apply_ctx ac = { 0 };

	if (!mkdtemp(root) || pipe(pa) < 0 || pipe(pb) < 0)
		return 1;
	snprintf(sub, sizeof(sub), "%s/sub", root);
	if (mkdir(sub, 0755) < 0)
		return 1;
	a = fork();
	if (a == 0) {
		if (chroot(root) < 0 || chdir("/sub") < 0)
			_exit(1);
		report_and_idle(pa[1]);
	}
	close(pa[1]);
	if (collect_proc_of(a, pa[0], &ea) < 0 || strcmp(ea->root, root) || strcmp(ea->cwd, sub)) {
		printf("FAIL: the chrooted child: root %s cwd %s\n", ea ? ea->root : "?", ea ? ea->cwd : "?");
		goto out;
	}
	b = fork();
	if (b == 0) {
		if (ts_kind_proc.apply(&ac, ea) < 0)
			_exit(1);
		report_and_idle(pb[1]);
	}
	close(pb[1]);
	if (collect_proc_of(b, pb[0], &eb) < 0 || strcmp(eb->root, ea->root) || strcmp(eb->cwd, ea->cwd)) {
		printf("FAIL: restored root %s cwd %s, original %s %s\n", eb ? eb->root : "?", eb ? eb->cwd : "?",
		       ea->root, ea->cwd);
		goto out;
	}
	printf("PASS: root %s and cwd %s restored\n", eb->root, eb->cwd);
	ret = 0;
out:
	kill(a, SIGKILL);
	if (b > 0)
		kill(b, SIGKILL);
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		;
	rmdir(sub);
	rmdir(root);
	ts_entry_free(ea);
	ts_entry_free(eb);
	return ret;
}

/* ---- seccomp strict mode ------------------------------------------------------------ */

static int never_written[2] = { -1, -1 };

/* A child in strict mode says so with one byte, then blocks in read (allowed). */
static _noreturn_ void strict_idle(int fd)
{
	char c;

	if (write(fd, "s", 1) != 1)
		_exit(1);
	for (;;)
		if (read(never_written[0], &c, 1) <= 0)
			_exit(1);
}

static int wait_byte_and_collect(pid_t pid, int fd, TaskStateEntry **ret)
{
	struct ts_collect_ctx c = { 0 };
	char b;

	if (read(fd, &b, 1) != 1 || seize_all(&pid, 1) < 0)
		return -EIO;
	return ts_entry_new(pid, &pid, 1, ret) < 0 ? -ENOMEM : ts_kind_seccomp.collect(&c, pid, *ret);
}

static int test_seccomp_strict(void)
{
	int pa[2], pb[2], ret = 1;
	pid_t a, b = -1;
	TaskStateEntry *ea = NULL, *eb = NULL;
	struct ts_apply_ctx ac = { 0 };

	if (pipe(pa) < 0 || pipe(pb) < 0 || pipe(never_written) < 0)
		return 1;
	a = fork();
	if (a == 0) {
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) < 0)
			_exit(1);
		strict_idle(pa[1]);
	}
	close(pa[1]);
	if (wait_byte_and_collect(a, pa[0], &ea) < 0 || ea->seccomp_mode != SECCOMP_MODE_STRICT) {
		printf("FAIL: the strict child: mode %d\n", ea ? (int)ea->seccomp_mode : -1);
		goto out;
	}
	b = fork();
	if (b == 0) {
		if (ts_kind_seccomp.apply(&ac, ea) < 0)
			_exit(1);
		strict_idle(pb[1]);
	}
	close(pb[1]);
	if (wait_byte_and_collect(b, pb[0], &eb) < 0 || eb->seccomp_mode != ea->seccomp_mode ||
	    eb->threads[0]->seccomp_mode != SECCOMP_MODE_STRICT) {
		printf("FAIL: restored seccomp mode %d, original %u\n", eb ? (int)eb->seccomp_mode : -1, ea->seccomp_mode);
		goto out;
	}
	printf("PASS: seccomp strict mode collected and applied\n");
	ret = 0;
out:
	kill(a, SIGKILL);
	if (b > 0)
		kill(b, SIGKILL);
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		;
	ts_entry_free(ea);
	ts_entry_free(eb);
	return ret;
}

/* ---- threads with their own seccomp chain ------------------------------------------ */

static int own_filter(void *arg _unused_)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog p = { 1, &allow };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p) < 0 ? -errno : 0;
}

static int test_seccomp_per_thread(void)
{
	int p[2], ret = 1, r;
	pid_t a, tids[16];
	size_t n = 0;
	TaskStateEntry *e = NULL;
	struct ts_collect_ctx c = { 0 };
	char b;

	if (pipe(p) < 0)
		return 1;
	a = fork();
	if (a == 0) {
		struct worker w;

		if (worker_start(&w) < 0 || worker_run(&w, own_filter, NULL) < 0)
			_exit(1);
		report_and_idle(p[1]);
	}
	close(p[1]);
	if (read(p[0], &b, 1) != 1 || list_tids(a, tids, 16, &n) < 0 || seize_all(tids, n) < 0 ||
	    ts_entry_new(a, tids, n, &e) < 0)
		goto out;
	log_set_sink(keep_log, NULL);
	r = ts_kind_seccomp.collect(&c, a, e);
	if (r < 0) {
		printf("FAIL: a thread with its own filter: %d, '%s'\n", r, last_log);
		goto out;
	}
	/* Each thread's own: the main thread none, the worker its one filter. */
	if (!ts_seccomp_per_thread(e) || e->n_threads != 2 || e->threads[0]->seccomp_mode != 0 ||
	    e->threads[0]->n_seccomp_chain != 0 || e->threads[1]->seccomp_mode != 2 ||
	    e->threads[1]->n_seccomp_chain != 1 || e->threads[1]->seccomp_chain[0]->insns.len != sizeof(struct sock_filter)) {
		printf("FAIL: per-thread chains not collected as such (%zu threads)\n", e->n_threads);
		goto out;
	}
	printf("PASS: the worker's own chain of one filter, none for the main thread\n");
	ret = 0;
out:
	kill(a, SIGKILL);
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		;
	ts_entry_free(e);
	return ret;
}

/* ---- POSIX timer ids ----------------------------------------------------------- */

/* Timers 1, 4 and 6 in a fresh process, with the prctl or by creating in order. */
static int timer_ids_child(unsigned flags)
{
	static const int ids[] = { 1, 4, 6 };
	TsPosixTimerEntry t[3], *tp[3];
	TaskStateEntry e = TASK_STATE_ENTRY__INIT, *got;
	struct ts_collect_ctx c = { 0 };
	struct ts_apply_ctx a = { .flags = flags };
	pid_t self = getpid();
	int r;

	for (int i = 0; i < 3; i++) {
		ts_posix_timer_entry__init(&t[i]);
		t[i].id = ids[i], t[i].clock = CLOCK_MONOTONIC, t[i].notify = SIGEV_NONE;
		t[i].has_armed_known = t[i].armed_known = true;
		t[i].has_value_sec = true, t[i].value_sec = 100 + i;
		tp[i] = &t[i];
	}
	e.pid = self, e.posix_timers = tp, e.n_posix_timers = 3;
	r = ts_kind_timers.apply(&a, &e);
	if (r < 0) {
		printf("FAIL: applying timers 1, 4, 6: %s\n", strerror(-r));
		return 1;
	}
	if (ts_entry_new(self, &self, 1, &got) < 0 || ts_kind_timers.collect(&c, self, got) < 0)
		return 1;
	if (got->n_posix_timers != 3) {
		printf("FAIL: %zu timers after apply, want 3\n", got->n_posix_timers);
		return 1;
	}
	for (int i = 0; i < 3; i++)
		if (got->posix_timers[i]->id != ids[i]) {
			printf("FAIL: timer #%d has id %d, want %d\n", i, got->posix_timers[i]->id, ids[i]);
			return 1;
		}
	printf("PASS: timer ids 1, 4, 6 restored (%s)\n",
	       flags & TS_APPLY_SEQUENTIAL_TIMER_IDS ? "created in order" : "PR_TIMER_CREATE_RESTORE_IDS or in order");
	return 0;
}

static int timer_ids_prctl(void)
{
	return timer_ids_child(0);
}

static int timer_ids_sequential(void)
{
	return timer_ids_child(TS_APPLY_SEQUENTIAL_TIMER_IDS);
}

/* ---- stopped and traced ------------------------------------------------------- */

static int collect_state_of(pid_t pid, TaskStateEntry **ret)
{
	struct ts_collect_ctx c = { 0 };
	pid_t tids[16];
	size_t n;
	int r = list_tids(pid, tids, 16, &n);

	if (r < 0)
		return r;
	r = ts_entry_new(pid, tids, n, ret);
	return r < 0 ? r : ts_kind_state.collect(&c, pid, *ret);
}

static int test_stopped(void)
{
	pid_t pid = fork();
	TaskStateEntry *e = NULL;
	int st, ret = 1, r;

	if (pid == 0) {
		raise(SIGSTOP);
		idle_forever();
	}
	if (waitpid(pid, &st, WUNTRACED) < 0 || !WIFSTOPPED(st))
		goto out;
	r = collect_state_of(pid, &e);
	if (r < 0 || !e->stopped) {
		printf("FAIL: a SIGSTOPped task: collect %d, stopped %d\n", r, e ? e->stopped : -1);
		goto out;
	}
	ts_entry_free(e);
	e = NULL;
	kill(pid, SIGCONT);
	if (waitpid(pid, &st, WCONTINUED) < 0 || !WIFCONTINUED(st))
		goto out;
	r = collect_state_of(pid, &e);
	if (r < 0 || e->stopped) {
		printf("FAIL: a running task: collect %d, stopped %d\n", r, e ? e->stopped : -1);
		goto out;
	}
	printf("PASS: stopped task reported stopped (signal %d), running task not\n", SIGSTOP);
	ret = 0;
out:
	ts_entry_free(e);
	kill_child(pid);
	return ret;
}

static int test_traced(void)
{
	int p[2], ret = 1, r;
	pid_t target, debugger;
	TaskStateEntry *e = NULL;
	char c;

	if (pipe(p) < 0)
		return 1;
	target = fork();
	if (target == 0)
		idle_forever();
	debugger = fork();
	if (debugger == 0) {
		if (ptrace(PTRACE_SEIZE, target, 0, 0) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		idle_forever();
	}
	if (read(p[0], &c, 1) != 1) {
		printf("FAIL: the debugger could not attach\n");
		goto out;
	}
	log_set_sink(keep_log, NULL);
	r = collect_state_of(target, &e);
	if (r != -EBUSY || !strstr(last_log, "traced by")) {
		printf("FAIL: collecting a task traced by %d: %d, message '%s'\n", debugger, r, last_log);
		goto out;
	}
	printf("PASS: refused: %s\n", last_log);
	ret = 0;
out:
	ts_entry_free(e);
	kill_child(debugger);
	kill_child(target);
	return ret;
}

/* ---- order ---------------------------------------------------------------- */

static int test_order(void)
{
	size_t n;
	const struct ts_kind *const *k = ts_kinds(&n);
	int bad = 0;

	for (size_t i = 0; i < n; i++)
		for (const char *const *need = k[i]->needs; need && *need; need++) {
			const struct ts_kind *nk = ts_kind_by_name(*need);
			size_t j;

			if (!nk)
				continue;	/* another module's step (e.g. "files") */
			for (j = 0; j < i && k[j] != nk; j++)
				;
			if (j == i) {
				printf("FAIL: %s needs %s, which comes after it\n", k[i]->name, *need);
				bad = 1;
			}
		}
	if (strcmp(k[n - 1]->name, "ts-seccomp")) {
		printf("FAIL: seccomp is not last\n");
		bad = 1;
	}
	if (!bad)
		printf("PASS: %zu kinds in an order that satisfies their needs, seccomp last\n", n);
	return bad;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	log_init(NULL, LOG_FMT_TEXT, LOG_LVL_WARN);
	if (geteuid() != 0) {
		printf("SKIP: needs root (sets other uids, ptrace)\n");
		return 77;
	}
	if (argc >= 2 && !strcmp(argv[1], "roundtrip"))
		return test_roundtrip(argc >= 4 && !strcmp(argv[2], "--skip") ? argv[3] : NULL);
	if (argc >= 2 && !strcmp(argv[1], "rlimit-above-hard"))
		return run_in_child(rlimit_child);
	if (argc >= 2 && !strcmp(argv[1], "creds-refused"))
		return run_in_child(creds_refused_child);
	if (argc >= 2 && !strcmp(argv[1], "chroot"))
		return test_chroot();
	if (argc >= 2 && !strcmp(argv[1], "seccomp-per-thread"))
		return test_seccomp_per_thread();
	if (argc >= 2 && !strcmp(argv[1], "seccomp-strict"))
		return test_seccomp_strict();
	if (argc >= 2 && !strcmp(argv[1], "image-check"))
		return test_image_check();
	if (argc >= 2 && !strcmp(argv[1], "timer-ids"))
		return run_in_child(timer_ids_prctl);
	if (argc >= 2 && !strcmp(argv[1], "timer-ids-sequential"))
		return run_in_child(timer_ids_sequential);
	if (argc >= 2 && !strcmp(argv[1], "stopped"))
		return test_stopped();
	if (argc >= 2 && !strcmp(argv[1], "traced"))
		return test_traced();
	if (argc >= 2 && !strcmp(argv[1], "order"))
		return test_order();
	fprintf(stderr, "usage: %s roundtrip [--skip KIND] | rlimit-above-hard | creds-refused | chroot | seccomp-strict | seccomp-per-thread | image-check | timer-ids | timer-ids-sequential | stopped | traced | order\n", argv[0]);
	return 2;
}
