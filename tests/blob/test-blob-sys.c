// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_blob_syscalls(): a second entry of the test blob that drives most of the pie
 * syscall layer against real kernel objects and checks what comes back, so a wrapper
 * with a wrong number or argument order fails here rather than inside a parasite.
 * Every check is non-destructive for the calling process (what it changes, it puts
 * back). The first failed check records its line and value in the args.
 */
#include "pie.h"
#include "pie-syscall.h"
#include "pie-thread.h"
#include "test-blob-args.h"

#include <asm/ioctls.h>
#include <asm/prctl.h>
#include <asm/stat.h>
#include <linux/capability.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/futex.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <linux/signal.h>
#include <linux/socket.h>
#include <linux/time.h>
#include <linux/uio.h>
#include <linux/un.h>
#include <linux/wait.h>
/* After linux/signal.h, which defines what these use. */
#include <asm/sigcontext.h>
#include <asm/ucontext.h>

#define CHECK(a, cond, value)                                      \
	do {                                                       \
		if (!(cond)) {                                     \
			(a)->failed_line = __LINE__;               \
			(a)->failed_value = (long)(value);         \
			return -1;                                 \
		}                                                  \
	} while (0)

/* Not exported to uapi headers. */
#ifndef SIGEV_NONE
#define SIGEV_NONE 1
#endif
#define SOCK_STREAM_ 1
#define SOCK_DGRAM_ 2
#define AF_UNIX_ 1

static bool file_bytes_ok(const unsigned char *buf, long n, long off)
{
	for (long i = 0; i < n; i++)
		if (buf[i] != TEST_BLOB_SYS_BYTE(off + i))
			return false;
	return true;
}

static int check_files(struct test_blob_sys_args *a)
{
	unsigned char buf[64], b1[10], b2[20];
	struct iovec iov[2] = { { b1, sizeof(b1) }, { b2, sizeof(b2) } };
	long fd, r;

	fd = sys_openat(AT_FDCWD, a->path, O_RDONLY | O_CLOEXEC, 0);
	CHECK(a, fd >= 0, fd);
	r = sys_read(fd, buf, 16);
	CHECK(a, r == 16 && file_bytes_ok(buf, 16, 0), r);
	r = sys_lseek(fd, 0, 2 /* SEEK_END */);
	CHECK(a, r == TEST_BLOB_SYS_FILE_SIZE, r);
	r = sys_pread64(fd, buf, 8, 4096);
	CHECK(a, r == 8 && file_bytes_ok(buf, 8, 4096), r);
	r = sys_preadv(fd, iov, 2, 100);
	CHECK(a, r == 30 && file_bytes_ok(b1, 10, 100) && file_bytes_ok(b2, 20, 110), r);
	r = sys_fcntl(fd, F_GETFD, 0);
	CHECK(a, r == FD_CLOEXEC, r);
	r = sys_close(fd);
	CHECK(a, r == 0, r);
	r = sys_close(fd);	/* errors come back as -errno */
	CHECK(a, r == -EBADF, r);
	return 0;
}

/* Write the file's own bytes back (content unchanged) through both write paths. */
static int check_file_writes(struct test_blob_sys_args *a)
{
	unsigned char b1[8], b2[24];
	struct iovec iov[2] = { { b1, sizeof(b1) }, { b2, sizeof(b2) } };
	struct stat st;
	long fd, r;

	for (int i = 0; i < 8; i++)
		b1[i] = TEST_BLOB_SYS_BYTE(200 + i);
	for (int i = 0; i < 24; i++)
		b2[i] = TEST_BLOB_SYS_BYTE(208 + i);
	fd = sys_openat(AT_FDCWD, a->path, O_RDWR | O_CLOEXEC, 0);
	CHECK(a, fd >= 0, fd);
	r = sys_pwrite64(fd, b1, 8, 200);
	CHECK(a, r == 8, r);
	r = sys_pwritev(fd, iov, 2, 200);
	CHECK(a, r == 32, r);
	r = sys_fstat(fd, &st);
	CHECK(a, r == 0 && st.st_size == TEST_BLOB_SYS_FILE_SIZE, st.st_size);
	r = sys_pread64(fd, b2, 24, 208);
	CHECK(a, r == 24 && file_bytes_ok(b2, 24, 208), r);
	sys_close(fd);
	return 0;
}

static int check_pipes(struct test_blob_sys_args *a)
{
	int fds[2], avail = 0;
	char c = 0;
	long r, dup;

	r = sys_pipe2(fds, O_CLOEXEC);
	CHECK(a, r == 0, r);
	dup = sys_fcntl(fds[1], F_DUPFD_CLOEXEC, 100);
	CHECK(a, dup >= 100, dup);
	r = sys_dup3(dup, fds[1], O_CLOEXEC);
	CHECK(a, r == fds[1], r);
	r = sys_write(dup, "x", 1);
	CHECK(a, r == 1, r);
	r = sys_ioctl(fds[0], FIONREAD, (long)&avail);
	CHECK(a, r == 0 && avail == 1, avail);
	r = sys_read(fds[0], &c, 1);
	CHECK(a, r == 1 && c == 'x', r);
	sys_close(dup);
	sys_close(fds[0]);
	sys_close(fds[1]);
	return 0;
}

static int check_memory(struct test_blob_sys_args *a)
{
	const unsigned long page = 4096;
	long m, r;
	char *p;

	m = sys_mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(a, !sys_failed(m), m);
	p = (char *)m;
	p[0] = 'a';
	p[page] = 'b';
	m = sys_mremap(p, 2 * page, 8 * page, MREMAP_MAYMOVE, NULL);
	CHECK(a, !sys_failed(m), m);
	p = (char *)m;
	CHECK(a, p[0] == 'a' && p[page] == 'b', p[0]);
	r = sys_madvise(p, page, MADV_DONTNEED);	/* private anonymous: reads back zero */
	CHECK(a, r == 0 && p[0] == 0 && p[page] == 'b', r);
	r = sys_mprotect(p, page, PROT_READ);
	CHECK(a, r == 0, r);
	r = sys_munmap(p, 8 * page);
	CHECK(a, r == 0, r);
	r = sys_munmap((void *)1, page);		/* unaligned */
	CHECK(a, r == -EINVAL, r);
	m = sys_mmap((void *)1, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(a, sys_failed(m) && m == -EINVAL, m);
	return 0;
}

/* Datagram sockets: bind one to an abstract name, connect another to it, send. */
static int check_dgram_sockets(struct test_blob_sys_args *a)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX_ };
	char out[] = "datagram", in[16] = { 0 };
	struct iovec iov_out = { out, sizeof(out) }, iov_in = { in, sizeof(in) };
	struct msghdr m_out = { .msg_iov = &iov_out, .msg_iovlen = 1 };
	struct msghdr m_in = { .msg_iov = &iov_in, .msg_iovlen = 1 };
	long rx = sys_socket(AF_UNIX_, SOCK_DGRAM_, 0), tx = sys_socket(AF_UNIX_, SOCK_DGRAM_, 0);
	int32_t pid = (int32_t)sys_getpid();	/* makes the name unique per process */
	long r;

	CHECK(a, rx >= 0 && tx >= 0, rx < 0 ? rx : tx);
	memcpy(sun.sun_path, "\0cryo-blob-test-dgram", 21);
	memcpy(sun.sun_path + 21, &pid, sizeof(pid));
	r = sys_bind(rx, (struct sockaddr *)&sun, 2 + 25);
	CHECK(a, r == 0, r);
	r = sys_connect(tx, (struct sockaddr *)&sun, 2 + 25);
	CHECK(a, r == 0, r);
	r = sys_sendmsg(tx, &m_out, 0);
	CHECK(a, r == sizeof(out), r);
	r = sys_recvmsg(rx, &m_in, 0);
	CHECK(a, r == sizeof(out) && memcmp(in, out, sizeof(out)) == 0, r);
	sys_close(rx);
	sys_close(tx);
	return 0;
}

static int check_sockets(struct test_blob_sys_args *a)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX_ };
	char out[] = "over the socket", in[32] = { 0 };
	struct iovec iov_out = { out, sizeof(out) }, iov_in = { in, sizeof(in) };
	struct msghdr m_out = { .msg_iov = &iov_out, .msg_iovlen = 1 };
	struct msghdr m_in = { .msg_iov = &iov_in, .msg_iovlen = 1 };
	long fd, r;

	r = sys_sendmsg(a->sock_fds[0], &m_out, 0);
	CHECK(a, r == sizeof(out), r);
	r = sys_recvmsg(a->sock_fds[1], &m_in, 0);
	CHECK(a, r == sizeof(out) && memcmp(in, out, sizeof(out)) == 0, r);

	fd = sys_socket(AF_UNIX_, SOCK_STREAM_, 0);
	CHECK(a, fd >= 0, fd);
	/* An abstract name nobody listens on (leading NUL). */
	memcpy(sun.sun_path, "\0cryo-blob-test-nobody", 22);
	r = sys_connect(fd, (struct sockaddr *)&sun, 2 + 22);
	CHECK(a, r == -ECONNREFUSED, r);
	sys_close(fd);

	/* After the peer shuts down writing, the other end reads end-of-file. */
	r = sys_shutdown(a->sock_fds[0], 1 /* SHUT_WR */);
	CHECK(a, r == 0, r);
	r = sys_recvmsg(a->sock_fds[1], &m_in, 0);
	CHECK(a, r == 0, r);
	return 0;
}

/* Install an alternate signal stack of our own, read it back, put the old one back
 * (the host may have one: sanitizers do). */
static int check_sigaltstack(struct test_blob_sys_args *a)
{
	const unsigned long size = 64 * 1024;
	stack_t old, cur, mine;
	long m, r;

	m = sys_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(a, !sys_failed(m), m);
	mine = (stack_t){ .ss_sp = (void *)m, .ss_size = size };
	r = sys_sigaltstack(&mine, &old);
	CHECK(a, r == 0, r);
	r = sys_sigaltstack(NULL, &cur);
	CHECK(a, r == 0 && cur.ss_sp == (void *)m && cur.ss_size == size, r);
	r = sys_sigaltstack(&old, NULL);
	CHECK(a, r == 0, r);
	sys_munmap((void *)m, size);
	return 0;
}

#define RESUMED_RAX 12345

/* SA_SIGINFO handlers take three arguments; sa_handler is declared with one. */
#define AS_SA_HANDLER(fn) ((__sighandler_t)(void (*)(void))(fn))

static volatile int handled_signal;

static void on_signal_return(int sig, void *info, void *uc)
{
	(void)info;
	(void)uc;
	handled_signal = sig;
}

/* Resume the interrupted code with an edited register, the way the restorer resumes
 * a task from a frame it built. */
static void on_signal_resume(int sig, void *info, void *ucv)
{
	struct ucontext *uc = ucv;

	(void)info;
	handled_signal = sig;
	uc->uc_mcontext.rax = RESUMED_RAX;
	pie_rt_sigreturn(uc);
}

/* Signals delivered to blob code, with handlers that return through
 * pie_sigreturn_restorer and that leave through pie_rt_sigreturn. */
static int check_signal_frames(struct test_blob_sys_args *a)
{
	struct sigaction act = { .sa_flags = SA_SIGINFO | SA_RESTORER,
				 .sa_restorer = PIE_ADDR(pie_sigreturn_restorer) }, old;
	unsigned long unblock = 1UL << (SIGUSR1 - 1), oset;
	long r, pid = sys_getpid(), tid = sys_gettid();

	r = sys_rt_sigprocmask(SIG_UNBLOCK, &unblock, &oset);
	CHECK(a, r == 0, r);
	act.sa_handler = AS_SA_HANDLER(PIE_ADDR(on_signal_return));
	r = sys_rt_sigaction(SIGUSR1, &act, &old);
	CHECK(a, r == 0, r);
	handled_signal = 0;
	r = sys_tgkill(pid, tid, SIGUSR1);	/* delivered on the way out of tgkill */
	CHECK(a, r == 0 && handled_signal == SIGUSR1, r);

	act.sa_handler = AS_SA_HANDLER(PIE_ADDR(on_signal_resume));
	r = sys_rt_sigaction(SIGUSR1, &act, NULL);
	CHECK(a, r == 0, r);
	handled_signal = 0;
	r = sys_tgkill(pid, tid, SIGUSR1);	/* "returns" what the handler put in rax */
	CHECK(a, r == RESUMED_RAX && handled_signal == SIGUSR1, r);

	sys_rt_sigaction(SIGUSR1, &old, NULL);
	sys_rt_sigprocmask(SIG_SETMASK, &oset, NULL);
	return 0;
}

static int check_signals(struct test_blob_sys_args *a)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old, cur;
	unsigned long set = 1UL << (SIGUSR1 - 1), oset, cur_set;
	long r;

	r = sys_rt_sigaction(SIGUSR1, &ign, &old);
	CHECK(a, r == 0, r);
	r = sys_rt_sigaction(SIGUSR1, NULL, &cur);
	CHECK(a, r == 0 && cur.sa_handler == SIG_IGN, r);
	r = sys_kill(sys_getpid(), SIGUSR1);		/* ignored */
	CHECK(a, r == 0, r);
	r = sys_tgkill(sys_getpid(), sys_gettid(), SIGUSR1);
	CHECK(a, r == 0, r);
	r = sys_rt_sigaction(SIGUSR1, &old, NULL);
	CHECK(a, r == 0, r);

	r = sys_rt_sigprocmask(SIG_BLOCK, &set, &oset);
	CHECK(a, r == 0, r);
	r = sys_rt_sigprocmask(SIG_SETMASK, &oset, &cur_set);
	CHECK(a, r == 0 && (cur_set & set), cur_set);
	r = sys_kill(0x7fffffff, 0);
	CHECK(a, r == -ESRCH, r);

	return check_sigaltstack(a) || check_signal_frames(a);
}

static int check_task(struct test_blob_sys_args *a)
{
	char name[16] = { 0 }, saved[16] = { 0 };
	unsigned long fs = 0;
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[2];
	long r, pid;
	int status = 0;

	CHECK(a, sys_getppid() > 0, 0);
	CHECK(a, sys_sched_yield() == 0, 0);
	r = sys_prctl(PR_GET_NAME, (unsigned long)saved, 0, 0, 0);
	CHECK(a, r == 0, r);
	r = sys_prctl(PR_SET_NAME, (unsigned long)"blob-sys", 0, 0, 0);
	CHECK(a, r == 0, r);
	r = sys_prctl(PR_GET_NAME, (unsigned long)name, 0, 0, 0);
	CHECK(a, r == 0 && memcmp(name, "blob-sys", 9) == 0, r);
	sys_prctl(PR_SET_NAME, (unsigned long)saved, 0, 0, 0);
	r = sys_arch_prctl(ARCH_GET_FS, (unsigned long)&fs);
	CHECK(a, r == 0, r);
	r = sys_capget(&hdr, caps);
	CHECK(a, r == 0, r);
	r = sys_personality(0xffffffff);			/* query */
	CHECK(a, r >= 0, r);
	r = sys_set_robust_list(NULL, 1);			/* wrong size */
	CHECK(a, r == -EINVAL, r);
	r = sys_rseq(NULL, 0, 1 << 30, 0);			/* unknown flag */
	CHECK(a, r == -EINVAL, r);

	/* Fork-like clone on the same stack: the child exits at once with a code. */
	pid = sys_clone(SIGCHLD, NULL, NULL, NULL, 0);
	if (pid == 0)
		sys_exit_group(7);
	CHECK(a, pid > 0, pid);
	r = sys_wait4(pid, &status, 0, NULL);
	CHECK(a, r == pid && status == 7 << 8, status);
	return 0;
}

static int check_time(struct test_blob_sys_args *a)
{
	struct timespec t0, t1, nap = { 0, 1000 };
	struct itimerval itv = { .it_value = { 100, 0 } }, cur, zero = { 0 };
	struct itimerspec its = { .it_value = { 100, 0 } }, left;
	struct { uint64_t value; int signo, notify; int pad[12]; } sev = { .notify = SIGEV_NONE };
	int timer = -1, futex_word = 0;
	long r;

	r = sys_clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(a, r == 0, r);
	CHECK(a, sys_nanosleep(&nap, NULL) == 0, 0);
	r = sys_clock_nanosleep(CLOCK_MONOTONIC, 0, &nap, NULL);
	CHECK(a, r == 0, r);
	r = sys_clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(a, r == 0 && (t1.tv_sec > t0.tv_sec || t1.tv_nsec > t0.tv_nsec), r);

	r = sys_setitimer(ITIMER_VIRTUAL, &itv, NULL);
	CHECK(a, r == 0, r);
	r = sys_getitimer(ITIMER_VIRTUAL, &cur);
	CHECK(a, r == 0 && (cur.it_value.tv_sec > 0 || cur.it_value.tv_usec > 0), r);
	r = sys_setitimer(ITIMER_VIRTUAL, &zero, NULL);
	CHECK(a, r == 0, r);

	_Static_assert(sizeof(sev) == 64, "struct sigevent is 64 bytes");
	r = sys_timer_create(CLOCK_MONOTONIC, (struct sigevent *)&sev, &timer);
	CHECK(a, r == 0, r);
	r = sys_timer_settime(timer, 0, &its, NULL);
	CHECK(a, r == 0, r);
	r = sys_timer_gettime(timer, &left);
	CHECK(a, r == 0 && left.it_value.tv_sec > 0, r);
	r = sys_timer_getoverrun(timer);
	CHECK(a, r == 0, r);
	r = sys_timer_delete(timer);
	CHECK(a, r == 0, r);

	r = sys_futex(&futex_word, FUTEX_WAKE, 1, NULL, NULL, 0);
	CHECK(a, r == 0, r);
	r = sys_futex(&futex_word, FUTEX_WAIT, 1, NULL, NULL, 0);	/* value differs */
	CHECK(a, r == -EAGAIN, r);
	return 0;
}

#define THREAD_STACK_SIZE (64 * 1024)

static int thread_report_tid(void *arg)
{
	*(volatile int *)arg = sys_gettid();
	return 0;
}

/* A thread made with clone3 (args may carry set_tid); waits for it to exit. */
static long run_clone3_thread(struct clone_args *ca, int *seen_tid)
{
	volatile int ctid = 0;
	long stack, tid;

	stack = sys_mmap(NULL, THREAD_STACK_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sys_failed(stack))
		return stack;
	ca->flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		    CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	ca->parent_tid = ca->child_tid = (uint64_t)(unsigned long)&ctid;
	ca->stack = stack;
	ca->stack_size = THREAD_STACK_SIZE;
	tid = pie_clone3_thread(ca, sizeof(*ca), thread_report_tid, seen_tid);
	if (tid > 0) {
		int v;

		while ((v = ctid) != 0)
			sys_futex((int *)&ctid, FUTEX_WAIT, v, NULL, NULL, 0);
	}
	sys_munmap((void *)stack, THREAD_STACK_SIZE);
	return tid;
}

static int check_clone3(struct test_blob_sys_args *a)
{
	struct clone_args ca = { 0 };
	int seen = 0;
	long tid;

	tid = run_clone3_thread(&ca, &seen);
	CHECK(a, tid > 0 && tid != sys_gettid(), tid);
	CHECK(a, seen == tid, seen);
	return 0;
}

/* A thread with a tid of the host's choosing, as the restorer makes them. */
PIE_ENTRY long test_blob_set_tid(struct test_blob_sys_args *a)
{
	long tid = -ENOENT;

	if (a->magic != TEST_BLOB_SYS_MAGIC)
		return -EINVAL;
	for (int i = 0; i < TEST_BLOB_SET_TID_CANDIDATES && a->set_tid_candidates[i]; i++) {
		struct clone_args ca = { 0 };
		int want = a->set_tid_candidates[i], seen = 0;

		ca.set_tid = (uint64_t)(unsigned long)&want;
		ca.set_tid_size = 1;
		tid = run_clone3_thread(&ca, &seen);
		if (tid == -EEXIST)	/* taken meanwhile: try the next one */
			continue;
		if (tid > 0) {
			a->set_tid_got = tid;
			a->set_tid_seen = seen;
		}
		break;
	}
	return tid < 0 ? tid : 0;
}

PIE_ENTRY long test_blob_syscalls(struct test_blob_sys_args *a)
{
	if (a->magic != TEST_BLOB_SYS_MAGIC)
		return -EINVAL;
	a->failed_line = 0;
	if (check_files(a) || check_file_writes(a) || check_pipes(a) || check_memory(a) ||
	    check_sockets(a) || check_dgram_sockets(a) || check_signals(a) || check_task(a) ||
	    check_time(a) || check_clone3(a))
		return -1;
	return 0;
}
