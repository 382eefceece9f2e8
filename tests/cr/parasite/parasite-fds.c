/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parasite's command channel and fd handover, on a real task:
 *   parasite-fds MODE     MODE: many | kinds | threads | netns | crash
 * A child sets up fds (many: 300 of them, several batches; kinds: one of
 * each common kind; threads: 4 threads; netns: in its own network
 * namespace; crash: the daemon faults instead of handing fds over) and
 * waits.  We seize it, infect it, start the daemon, take
 * every fd through the channel (SCM_RIGHTS) and check each is the same open
 * file description as a pidfd_getfd duplicate (kcmp), and has it write a
 * few pages into a file of ours (DUMP_PAGES); then cure and check
 * that the registers, FPU state, maps and fd table are exactly as before,
 * release it and let the child check its fds still work.
 * Exit 0 PASS, 1 FAIL, 77 SKIP.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/kcmp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cr/seize.h"
#include "parasite/parasite-host.h"

#define MANY 300
#define XSTATE_MAX 16384
#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

static const char *mode;

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "FAIL: parasite-fds %s: ", mode);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ---- the child --------------------------------------------------------- */

static int pipe_rw[2];
/* Pages the parasite dumps: data, zero, data, data (the last one tells
 * whether a byte at its end is seen). */
#define NR_PAGES 4
static uint8_t *pages;

static void *spin(void *arg)
{
	volatile unsigned long *n = arg;
	for (;;)
		(*n)++;
	return NULL;
}

static void open_kinds(void)
{
	int sp[2], ep, sfd;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t ss;

	if (pipe(pipe_rw) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		_exit(10);
	if (open("/proc/self/exe", O_RDONLY) < 0 || open("/", O_RDONLY | O_DIRECTORY) < 0 ||
	    open("/tmp", O_PATH) < 0 || eventfd(3, 0) < 0 || memfd_create("zt", 0) < 0 ||
	    timerfd_create(CLOCK_MONOTONIC, 0) < 0)
		_exit(11);
	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR2);
	sfd = signalfd(-1, &ss, 0);
	ep = epoll_create1(0);
	if (sfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, pipe_rw[0], &ev) < 0)
		_exit(12);
	sfd = socket(AF_INET, SOCK_STREAM, 0);
	if (sfd < 0 || bind(sfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(sfd, 1) < 0)
		_exit(13);
	if (socket(AF_INET, SOCK_DGRAM, 0) < 0)
		_exit(14);
}

/* After the parasite was in and out: the fds still work. */
static int child_check(void)
{
	char c = 0;

	if (write(pipe_rw[1], "x", 1) != 1 || read(pipe_rw[0], &c, 1) != 1 || c != 'x')
		return 20;
	if (pages[4 * 4096 - 1] != 0x5a || pages[1 * 4096] != 0)
		return 21;
	return 0;
}

static void fill_pages(void)
{
	pages = mmap(NULL, NR_PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED)
		_exit(7);
	for (int i = 0; i < 4096; i++) {
		pages[i] = (uint8_t)(i * 7 + 1);
		pages[2 * 4096 + i] = (uint8_t)(i * 13 + 5);
	}
	pages[1 * 4096] = 1;	/* present, then zero again */
	pages[1 * 4096] = 0;
	pages[4 * 4096 - 1] = 0x5a;
}

static void child(int ready_fd, int go_fd)
{
	static unsigned long counters[4];
	pthread_t t;
	char c;

	if (!strcmp(mode, "netns") && unshare(CLONE_NEWNET) < 0)
		_exit(errno == EPERM ? 77 : 2);
	open_kinds();
	if (!strcmp(mode, "many"))
		for (int i = 0; i < MANY; i++)
			if (dup(pipe_rw[i % 2]) < 0)
				_exit(3);
	if (!strcmp(mode, "threads"))
		for (int i = 0; i < 3; i++)
			if (pthread_create(&t, NULL, spin, &counters[i]))
				_exit(4);
	fill_pages();
	if (write(ready_fd, &pages, sizeof(pages)) != sizeof(pages))
		_exit(5);
	if (read(go_fd, &c, 1) != 1)
		_exit(6);
	_exit(child_check());
}

/* ---- the checks -------------------------------------------------------- */

struct snapshot {
	struct user_regs_struct regs[8];
	uint8_t *xstate[8];
	size_t xlen[8];
	char *maps, *fds;
};

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (!f)
		fail("cannot open %s: %m", path);
	do {
		buf = realloc(buf, cap += 65536);
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n);
	buf[len] = 0;
	fclose(f);
	return buf;
}

static char *fd_table(pid_t pid)
{
	char path[64], link[512], *out = calloc(1, 1);
	size_t len = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		fail("opendir %s: %m", path);
	while ((de = readdir(d))) {
		char p[600], line[1200];
		ssize_t n;
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		n = readlink(p, link, sizeof(link) - 1);
		link[n < 0 ? 0 : n] = 0;
		snprintf(line, sizeof(line), "%s -> %s\n", de->d_name, link);
		out = realloc(out, len + strlen(line) + 1);
		strcpy(out + len, line);
		len += strlen(line);
	}
	closedir(d);
	return out;
}

static void take_snapshot(struct seized_task *k, struct snapshot *s)
{
	char path[64];

	for (size_t i = 0; i < k->nr_threads; i++) {
		struct iovec iov;
		s->xstate[i] = malloc(XSTATE_MAX);
		iov = (struct iovec){ s->xstate[i], XSTATE_MAX };
		if (ptrace(PTRACE_GETREGS, k->threads[i].tid, 0, &s->regs[i]) < 0 ||
		    ptrace(PTRACE_GETREGSET, k->threads[i].tid, NT_X86_XSTATE, &iov) < 0)
			fail("registers of %d: %m", k->threads[i].tid);
		s->xlen[i] = iov.iov_len;
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", k->pid);
	s->maps = read_all(path);
	s->fds = fd_table(k->pid);
}

static void same_snapshot(struct seized_task *k, const struct snapshot *a, const struct snapshot *b)
{
	for (size_t i = 0; i < k->nr_threads; i++) {
		if (memcmp(&a->regs[i], &b->regs[i], sizeof(a->regs[i])))
			fail("registers of thread %d differ after the cure", k->threads[i].tid);
		if (a->xlen[i] != b->xlen[i] || memcmp(a->xstate[i], b->xstate[i], a->xlen[i]))
			fail("FPU state of thread %d differs after the cure", k->threads[i].tid);
	}
	if (strcmp(a->maps, b->maps))
		fail("maps differ after the cure:\n%s---\n%s", a->maps, b->maps);
	if (strcmp(a->fds, b->fds))
		fail("fd table differs after the cure:\n%s---\n%s", a->fds, b->fds);
}

static size_t list_fds(pid_t pid, int skip, int *fds, size_t max)
{
	char path[64];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		fail("opendir %s: %m", path);
	while ((de = readdir(d)) && n < max)
		if (de->d_name[0] != '.' && atoi(de->d_name) != skip)
			fds[n++] = atoi(de->d_name);
	closedir(d);
	return n;
}

static void check_handover(struct parasite_ctl *ctl, pid_t pid)
{
	int fds[MANY + 64], local[MANY + 64], pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int dfd = parasite_daemon_fd(ctl), r;
	size_t n = list_fds(pid, dfd, fds, MANY + 64);
	size_t want = !strcmp(mode, "many") ? MANY + 17 : 17;
	struct parasite_task_state ts;

	if (dfd < 0 || pidfd < 0)
		fail("no daemon fd (%d) or pidfd (%m)", dfd);
	if (n < want)
		fail("the task has %zu fds, expected at least %zu", n, want);
	r = parasite_drain_fds(ctl, fds, n, local);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			if (parasite_drain_fds(ctl, &fds[i], 1, local) < 0)
				fprintf(stderr, "fd %d cannot be taken\n", fds[i]);
		fail("drain of %zu fds: %s", n, strerror(-r));
	}
	for (size_t i = 0; i < n; i++) {
		int dup = (int)syscall(SYS_pidfd_getfd, pidfd, fds[i], 0);
		if (dup < 0)
			fail("pidfd_getfd %d: %m", fds[i]);
		if (syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, local[i], dup) != 0)
			fail("fd %d from the parasite is not the task's fd %d", local[i], fds[i]);
		if (!(fcntl(local[i], F_GETFD) & FD_CLOEXEC))
			fail("fd %d from the parasite is not close-on-exec", local[i]);
		close(dup);
		close(local[i]);
	}
	printf("took %zu fds of %d through the channel (%zu batches)\n", n, pid,
	       (n + PARASITE_FDS_BATCH - 1) / PARASITE_FDS_BATCH);
	/* A bad request is answered with an error, and the channel goes on. */
	fds[0] = 4000;
	r = parasite_drain_fds(ctl, fds, 1, local);
	if (r != -EBADF)
		fail("drain of a closed fd gave %d, not -EBADF", r);
	if (parasite_task_state(ctl, &ts) < 0 || ts.pid != pid)
		fail("the channel does not work after a failed command");
	close(pidfd);
}

/* DUMP_PAGES into a file of ours: data pages back to back from the offset, zero one named. */
static void check_pages(struct parasite_ctl *ctl, pid_t pid, uint64_t addr)
{
	int fd = memfd_create("pages", MFD_CLOEXEC);
	struct parasite_dump_pages d;
	uint8_t want[NR_PAGES * 4096], got[3 * 4096];
	struct iovec local = { want, sizeof(want) }, remote = { (void *)(uintptr_t)addr, sizeof(want) };

	if (fd < 0 || process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(want))
		fail("memfd or reading the child: %m");
	if (parasite_set_page_fd(ctl, fd) < 0)
		fail("handing the page fd over");
	if (parasite_dump_pages(ctl, addr, NR_PAGES, 4096, &d) < 0)
		fail("DUMP_PAGES");
	if (d.nr_zero != 1 || d.zero[0] != 2 || d.written != 3 * 4096)
		fail("DUMP_PAGES says %u zero (bits %#llx), %llu bytes", d.nr_zero,
		     (unsigned long long)d.zero[0], (unsigned long long)d.written);
	if (pread(fd, got, sizeof(got), 4096) != (ssize_t)sizeof(got) ||
	    memcmp(got, want, 4096) || memcmp(got + 4096, want + 2 * 4096, 2 * 4096))
		fail("the page file does not hold the data pages");
	if (parasite_set_page_fd(ctl, -1) < 0)
		fail("closing the page fd in the task");
	close(fd);
}

/* The daemon faults (it is told to dump an unmapped page): the host must
 * notice at once, and the cure must still leave the task as it was. */
static void crash_daemon(struct parasite_ctl *ctl)
{
	struct parasite_dump_pages d;
	int fd = memfd_create("pages", MFD_CLOEXEC), r;

	if (fd < 0 || parasite_set_page_fd(ctl, fd) < 0)
		fail("handing the page fd over");
	close(fd);
	r = parasite_dump_pages(ctl, 4096, 1, 0, &d);
	if (r != -EFAULT)
		fail("DUMP_PAGES of an unmapped page gave %d, not -EFAULT", r);
	if (parasite_daemon_running(ctl))
		fail("the daemon is still said to run after its fault");
	printf("the daemon's fault was seen\n");
}

int main(int argc, char **argv)
{
	int ready[2], go[2], status;
	struct pstree *tree = NULL;
	struct parasite_ctl *ctl = NULL;
	struct snapshot before = { 0 }, after = { 0 };
	struct seized_task *k;
	pid_t pid, tids[8];
	uint8_t *addr;

	if (argc != 2)
		return fprintf(stderr, "usage: parasite-fds many|kinds|threads|netns|crash\n"), 1;
	mode = argv[1];
	if (getuid() != 0) {
		printf("SKIP: needs root (ptrace of a child is fine, but netns and pidfd_getfd of all kinds want it)\n");
		return 77;
	}
	if (pipe(ready) < 0 || pipe(go) < 0)
		fail("pipe: %m");
	pid = fork();
	if (pid < 0)
		fail("fork: %m");
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		child(ready[1], go[0]);
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &addr, sizeof(addr)) != sizeof(addr)) {
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
			printf("SKIP: cannot make a network namespace\n");
			return 77;
		}
		fail("the child did not get ready (status 0x%x)", status);
	}
	if (seize_tree(pid, NULL, &tree) < 0)
		fail("seize %d", pid);
	k = &tree->tasks[0];
	if (k->nr_threads > 8 || (!strcmp(mode, "threads") && k->nr_threads != 4))
		fail("%zu threads", k->nr_threads);
	for (size_t i = 0; i < k->nr_threads; i++)
		tids[i] = k->threads[i].tid;
	take_snapshot(k, &before);
	if (parasite_infect(pid, tids, k->nr_threads, &ctl) < 0)
		fail("infect");
	if (parasite_start_daemon(ctl) < 0)
		fail("start the daemon");
	check_pages(ctl, pid, (uint64_t)(uintptr_t)addr);
	if (!strcmp(mode, "crash"))
		crash_daemon(ctl);
	else
		check_handover(ctl, pid);
	if (parasite_cure(ctl) < 0)
		fail("cure");
	take_snapshot(k, &after);
	same_snapshot(k, &before, &after);
	if (release_tree(tree, RELEASE_RUNNING) < 0)
		fail("release");
	if (write(go[1], "g", 1) != 1)
		fail("cannot tell the child to go on");
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the child ran on badly after the cure (status 0x%x)", status);
	printf("PASS: parasite-fds %s\n", mode);
	return 0;
}
