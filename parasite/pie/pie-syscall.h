/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The raw x86_64 syscall layer of blob code (parasite, restorer): no libc, no errno.
 * Every sys_*() returns what the kernel returns: a value >= 0 on success, -errno on
 * failure (test with sys_failed(), which also handles mmap's large addresses).
 *
 * Calling convention (x86_64 syscall ABI): number in rax, arguments in rdi, rsi, rdx,
 * r10, r8, r9; the kernel clobbers rcx and r11. "memory" is clobbered because most
 * calls read or write buffers the compiler cannot see.
 */
#ifndef CRYO_PIE_SYSCALL_H
#define CRYO_PIE_SYSCALL_H

#include "pie.h"
#include <asm/unistd.h>

static PIE_ALWAYS_INLINE long sys_call0(long nr)
{
	long ret;

	asm volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
	return ret;
}

static PIE_ALWAYS_INLINE long sys_call1(long nr, long a1)
{
	long ret;

	asm volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1) : "rcx", "r11", "memory");
	return ret;
}

static PIE_ALWAYS_INLINE long sys_call2(long nr, long a1, long a2)
{
	long ret;

	asm volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1), "S"(a2) : "rcx", "r11", "memory");
	return ret;
}

static PIE_ALWAYS_INLINE long sys_call3(long nr, long a1, long a2, long a3)
{
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a1), "S"(a2), "d"(a3)
		     : "rcx", "r11", "memory");
	return ret;
}

static PIE_ALWAYS_INLINE long sys_call4(long nr, long a1, long a2, long a3, long a4)
{
	register long r10 asm("r10") = a4;
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10)
		     : "rcx", "r11", "memory");
	return ret;
}

static PIE_ALWAYS_INLINE long sys_call5(long nr, long a1, long a2, long a3, long a4, long a5)
{
	register long r10 asm("r10") = a4;
	register long r8 asm("r8") = a5;
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
		     : "rcx", "r11", "memory");
	return ret;
}

static PIE_ALWAYS_INLINE long sys_call6(long nr, long a1, long a2, long a3, long a4, long a5,
				      long a6)
{
	register long r10 asm("r10") = a4;
	register long r8 asm("r8") = a5;
	register long r9 asm("r9") = a6;
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
		     : "rcx", "r11", "memory");
	return ret;
}

/* The kernel returns -4095..-1 for errors; anything else (even a "negative" address) is a value. */
static PIE_ALWAYS_INLINE int sys_failed(long ret)
{
	return (unsigned long)ret >= (unsigned long)-4095L;
}

#define L_(x) ((long)(x))

/* The socket message structures are libc's, not in the uapi headers; the kernel's
 * user_msghdr and cmsghdr have this layout on x86_64. */
struct msghdr {
	void *msg_name;
	int msg_namelen;
	struct iovec *msg_iov;
	unsigned long msg_iovlen;
	void *msg_control;
	unsigned long msg_controllen;
	unsigned msg_flags;
};

struct cmsghdr {
	unsigned long cmsg_len;
	int cmsg_level;
	int cmsg_type;
};

_Static_assert(sizeof(struct msghdr) == 56, "struct msghdr is the kernel's user_msghdr");
_Static_assert(sizeof(struct cmsghdr) == 16, "struct cmsghdr is the kernel's");

/* Kernel structures are passed through as opaque pointers: the blob includes the
 * linux/ uapi header it needs for the layout. */
struct sockaddr;
struct iovec;
struct timespec;
struct kernel_timespec;
struct itimerval;
struct itimerspec;
struct sigevent;
struct rusage;
struct stat;
struct clone_args;
struct robust_list_head;
struct rseq;

/* Files and I/O */
static inline long sys_read(int fd, void *buf, unsigned long n) { return sys_call3(__NR_read, fd, L_(buf), L_(n)); }
static inline long sys_write(int fd, const void *buf, unsigned long n) { return sys_call3(__NR_write, fd, L_(buf), L_(n)); }
static inline long sys_close(int fd) { return sys_call1(__NR_close, fd); }
static inline long sys_openat(int dfd, const char *path, int flags, unsigned mode) { return sys_call4(__NR_openat, dfd, L_(path), flags, mode); }
static inline long sys_lseek(int fd, long off, int whence) { return sys_call3(__NR_lseek, fd, off, whence); }
static inline long sys_pread64(int fd, void *buf, unsigned long n, long off) { return sys_call4(__NR_pread64, fd, L_(buf), L_(n), off); }
static inline long sys_pwrite64(int fd, const void *buf, unsigned long n, long off) { return sys_call4(__NR_pwrite64, fd, L_(buf), L_(n), off); }
/* preadv splits the offset into low and high words; on 64-bit the high word is unused. */
static inline long sys_preadv(int fd, const struct iovec *iov, int cnt, long off) { return sys_call5(__NR_preadv, fd, L_(iov), cnt, off, 0); }
static inline long sys_pwritev(int fd, const struct iovec *iov, int cnt, long off) { return sys_call5(__NR_pwritev, fd, L_(iov), cnt, off, 0); }
static inline long sys_fstat(int fd, struct stat *st) { return sys_call2(__NR_fstat, fd, L_(st)); }
static inline long sys_fcntl(int fd, int cmd, long arg) { return sys_call3(__NR_fcntl, fd, cmd, arg); }
static inline long sys_ioctl(int fd, unsigned long cmd, long arg) { return sys_call3(__NR_ioctl, fd, L_(cmd), arg); }
static inline long sys_dup3(int oldfd, int newfd, int flags) { return sys_call3(__NR_dup3, oldfd, newfd, flags); }
static inline long sys_pipe2(int fds[2], int flags) { return sys_call2(__NR_pipe2, L_(fds), flags); }

/* Memory */
static inline long sys_mmap(void *addr, unsigned long len, int prot, int flags, int fd, long off) { return sys_call6(__NR_mmap, L_(addr), L_(len), prot, flags, fd, off); }
static inline long sys_munmap(void *addr, unsigned long len) { return sys_call2(__NR_munmap, L_(addr), L_(len)); }
static inline long sys_mprotect(void *addr, unsigned long len, int prot) { return sys_call3(__NR_mprotect, L_(addr), L_(len), prot); }
static inline long sys_mremap(void *old, unsigned long old_len, unsigned long new_len, int flags, void *new_addr) { return sys_call5(__NR_mremap, L_(old), L_(old_len), L_(new_len), flags, L_(new_addr)); }
static inline long sys_madvise(void *addr, unsigned long len, int advice) { return sys_call3(__NR_madvise, L_(addr), L_(len), advice); }

/* Tasks */
static inline long sys_getpid(void) { return sys_call0(__NR_getpid); }
static inline long sys_getppid(void) { return sys_call0(__NR_getppid); }
static inline long sys_gettid(void) { return sys_call0(__NR_gettid); }
static inline long sys_kill(int pid, int sig) { return sys_call2(__NR_kill, pid, sig); }
static inline long sys_tgkill(int tgid, int tid, int sig) { return sys_call3(__NR_tgkill, tgid, tid, sig); }
static inline long sys_wait4(int pid, int *status, int options, struct rusage *ru) { return sys_call4(__NR_wait4, pid, L_(status), options, L_(ru)); }
static inline long sys_sched_yield(void) { return sys_call0(__NR_sched_yield); }
static inline long sys_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) { return sys_call5(__NR_prctl, option, L_(a2), L_(a3), L_(a4), L_(a5)); }
static inline long sys_arch_prctl(int code, unsigned long addr) { return sys_call2(__NR_arch_prctl, code, L_(addr)); }
static inline long sys_set_tid_address(int *tidptr) { return sys_call1(__NR_set_tid_address, L_(tidptr)); }
static inline long sys_set_robust_list(struct robust_list_head *head, unsigned long len) { return sys_call2(__NR_set_robust_list, L_(head), L_(len)); }
static inline long sys_rseq(struct rseq *rseq, unsigned len, int flags, unsigned sig) { return sys_call4(__NR_rseq, L_(rseq), len, flags, sig); }
static inline long sys_futex(int *uaddr, int op, int val, const struct timespec *timeout, int *uaddr2, int val3) { return sys_call6(__NR_futex, L_(uaddr), op, val, L_(timeout), L_(uaddr2), val3); }
static inline long sys_personality(unsigned long persona) { return sys_call1(__NR_personality, L_(persona)); }
static inline long sys_seccomp(unsigned op, unsigned flags, void *args) { return sys_call3(__NR_seccomp, op, flags, L_(args)); }
static inline long sys_capget(void *hdr, void *data) { return sys_call2(__NR_capget, L_(hdr), L_(data)); }
static inline long sys_capset(void *hdr, const void *data) { return sys_call2(__NR_capset, L_(hdr), L_(data)); }

/*
 * clone and clone3 return twice. If the child gets a new stack it cannot return
 * through a C function's frame: use pie_clone_thread() (pie-thread.h) for threads.
 * These plain wrappers are only right when the child keeps the caller's stack
 * (fork-like, stack == NULL).
 */
static inline long sys_clone(unsigned long flags, void *stack, int *ptid, int *ctid, unsigned long tls) { return sys_call5(__NR_clone, L_(flags), L_(stack), L_(ptid), L_(ctid), L_(tls)); }
static inline long sys_clone3(struct clone_args *args, unsigned long size) { return sys_call2(__NR_clone3, L_(args), L_(size)); }

/* exit ends the calling thread, exit_group the whole process. */
static inline PIE_NORETURN void sys_exit(int code)
{
	for (;;)
		sys_call1(__NR_exit, code);
}

static inline PIE_NORETURN void sys_exit_group(int code)
{
	for (;;)
		sys_call1(__NR_exit_group, code);
}

/* Signals. sigsetsize is the kernel's, 8 bytes on x86_64, not glibc's 128. */
#define PIE_KERNEL_SIGSET_SIZE 8
static inline long sys_rt_sigaction(int sig, const void *act, void *oact) { return sys_call4(__NR_rt_sigaction, sig, L_(act), L_(oact), PIE_KERNEL_SIGSET_SIZE); }
static inline long sys_rt_sigprocmask(int how, const void *set, void *oset) { return sys_call4(__NR_rt_sigprocmask, how, L_(set), L_(oset), PIE_KERNEL_SIGSET_SIZE); }
static inline long sys_sigaltstack(const void *ss, void *oss) { return sys_call2(__NR_sigaltstack, L_(ss), L_(oss)); }
/*
 * rt_sigreturn restores the registers, signal mask and alternate stack saved in the
 * frame at the stack pointer, so it is only useful with a frame there: use
 * pie_sigreturn_restorer as sa_restorer (handlers that return), or pie_rt_sigreturn().
 */
static inline long sys_rt_sigreturn(void) { return sys_call0(__NR_rt_sigreturn); }

/*
 * Return from a signal frame, or "return" into any state built as one: the x86_64 frame
 * is struct rt_sigframe { char *pretcode; struct ucontext uc; siginfo_t info; }, and the
 * kernel finds it at rsp - 8, i.e. rsp must point at uc. This is how a handler can
 * resume elsewhere (edit uc->uc_mcontext first) and how the restorer ends: it builds a
 * frame with the task's registers and jumps into it. Never returns.
 */
static inline PIE_NORETURN void pie_rt_sigreturn(void *uc)
{
	asm volatile("movq %0, %%rsp\n\t"
		     "syscall"
		     :
		     : "r"(uc), "a"((long)__NR_rt_sigreturn)
		     : "memory");
	__builtin_unreachable();
}

/* An sa_restorer for handlers installed by blob code (x86_64 requires SA_RESTORER):
 * when the handler returns here, it calls rt_sigreturn on the frame. */
void pie_sigreturn_restorer(void);

/* Time and timers */
static inline long sys_nanosleep(const struct timespec *req, struct timespec *rem) { return sys_call2(__NR_nanosleep, L_(req), L_(rem)); }
static inline long sys_clock_nanosleep(int clk, int flags, const struct timespec *req, struct timespec *rem) { return sys_call4(__NR_clock_nanosleep, clk, flags, L_(req), L_(rem)); }
static inline long sys_clock_gettime(int clk, struct timespec *ts) { return sys_call2(__NR_clock_gettime, clk, L_(ts)); }
static inline long sys_getitimer(int which, struct itimerval *val) { return sys_call2(__NR_getitimer, which, L_(val)); }
static inline long sys_setitimer(int which, const struct itimerval *val, struct itimerval *old) { return sys_call3(__NR_setitimer, which, L_(val), L_(old)); }
static inline long sys_timer_create(int clk, struct sigevent *sev, int *timerid) { return sys_call3(__NR_timer_create, clk, L_(sev), L_(timerid)); }
static inline long sys_timer_settime(int timerid, int flags, const struct itimerspec *val, struct itimerspec *old) { return sys_call4(__NR_timer_settime, timerid, flags, L_(val), L_(old)); }
static inline long sys_timer_gettime(int timerid, struct itimerspec *val) { return sys_call2(__NR_timer_gettime, timerid, L_(val)); }
static inline long sys_timer_getoverrun(int timerid) { return sys_call1(__NR_timer_getoverrun, timerid); }
static inline long sys_timer_delete(int timerid) { return sys_call1(__NR_timer_delete, timerid); }

/* Sockets */
static inline long sys_socket(int domain, int type, int proto) { return sys_call3(__NR_socket, domain, type, proto); }
static inline long sys_connect(int fd, const struct sockaddr *addr, int len) { return sys_call3(__NR_connect, fd, L_(addr), len); }
static inline long sys_socketpair(int domain, int type, int proto, int sv[2]) { return sys_call4(__NR_socketpair, domain, type, proto, L_(sv)); }
static inline long sys_bind(int fd, const struct sockaddr *addr, int len) { return sys_call3(__NR_bind, fd, L_(addr), len); }
static inline long sys_sendmsg(int fd, const struct msghdr *msg, int flags) { return sys_call3(__NR_sendmsg, fd, L_(msg), flags); }
static inline long sys_recvmsg(int fd, struct msghdr *msg, int flags) { return sys_call3(__NR_recvmsg, fd, L_(msg), flags); }
static inline long sys_shutdown(int fd, int how) { return sys_call2(__NR_shutdown, fd, how); }

#undef L_

#endif
