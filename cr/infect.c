/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Remote syscalls through ptrace.  The thread is stopped in a ptrace stop;
 * we set rip to a "syscall; int3" sequence, the syscall number and args in
 * the registers, orig_rax = -1 (so the kernel does not apply syscall
 * restart to our registers), resume it and wait for the SIGTRAP of int3.
 */
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include "infect.h"
#include "log.h"

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif
#define XSTATE_MAX 16384

/* syscall; int3; int3 ... (8 bytes so one POKETEXT writes it) */
static const uint8_t syscall_code[8] = { 0x0f, 0x05, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc };

static struct infect_thread *find_thread(struct infect *inf, pid_t tid)
{
	for (size_t i = 0; i < inf->nr_threads; i++)
		if (inf->threads[i].tid == tid)
			return &inf->threads[i];
	return NULL;
}

/* Our code may use vector registers (memset, the zero scan): the FPU and
 * vector state goes back too. */
static int save_xstate(struct infect_thread *th)
{
	uint8_t *buf = malloc(XSTATE_MAX);
	struct iovec iov = { buf, XSTATE_MAX };

	if (!buf)
		return -ENOMEM;
	if (ptrace(PTRACE_GETREGSET, th->tid, NT_X86_XSTATE, &iov) < 0) {
		free(buf);
		return log_error_errno(negative_errno(), "PTRACE_GETREGSET(NT_X86_XSTATE) of %d", th->tid);
	}
	th->xstate = buf;
	th->xstate_len = iov.iov_len;
	return 0;
}

static int prepare_thread(struct infect_thread *th)
{
	uint64_t all = ~0ULL;
	int r;

	if (ptrace(PTRACE_GETREGS, th->tid, 0, &th->regs) < 0)
		return log_error_errno(negative_errno(), "PTRACE_GETREGS of %d", th->tid);
	if (ptrace(PTRACE_GETSIGMASK, th->tid, sizeof(uint64_t), &th->sigmask) < 0)
		return log_error_errno(negative_errno(), "PTRACE_GETSIGMASK of %d", th->tid);
	r = save_xstate(th);
	if (r < 0)
		return r;
	/* No signal may be delivered (and lost) while the thread runs our code. */
	if (ptrace(PTRACE_SETSIGMASK, th->tid, sizeof(uint64_t), &all) < 0)
		return log_error_errno(negative_errno(), "PTRACE_SETSIGMASK of %d", th->tid);
	th->prepared = true;
	return 0;
}

static bool is_fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE;
}

/*
 * Wait for the thread running our code: 1 when it stopped at a trap (our
 * int3, still to be checked by the caller), 0 if it is still running
 * (nohang only), < 0 if it faulted or died.  Other stops (a pending
 * interrupt, an unblockable signal) are continued.
 */
static int wait_trap(struct infect_thread *th, bool nohang)
{
	pid_t tid = th->tid;
	int status;

	for (;;) {
		pid_t w = waitpid(tid, &status, __WALL | (nohang ? WNOHANG : 0));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return log_error_errno(negative_errno(), "waiting for our code in %d", tid);
		if (w == 0)
			return 0;
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			log_error("thread %d died while running our code", tid);
			return -ESRCH;
		}
		if (!WIFSTOPPED(status))
			continue;
		if (WSTOPSIG(status) == SIGTRAP && (status >> 16) == 0)
			return 1;
		if ((status >> 16) == 0 && is_fault_signal(WSTOPSIG(status))) {
			siginfo_t si = { 0 };
			struct user_regs_struct regs = { 0 };
			ptrace(PTRACE_GETSIGINFO, tid, 0, &si);
			ptrace(PTRACE_GETREGS, tid, 0, &regs);
			log_error("thread %d: signal %d at ip %#llx (address %p) while running our code",
				  tid, WSTOPSIG(status), (unsigned long long)regs.rip, si.si_addr);
			return -EFAULT;
		}
		/* A SIGSTOP (it cannot be blocked) must not stop our code, nor be lost:
		 * it is sent again once the thread is put back (restore_thread). */
		if ((status >> 16) == 0 && WSTOPSIG(status) == SIGSTOP)
			th->stop_pending = true;
		/* An event stop (pending interrupt) or an unblockable signal: go on. */
		log_debug("thread %d: stop 0x%x while running our code", tid, status);
		if (ptrace(PTRACE_CONT, tid, 0, 0) < 0)
			return log_error_errno(negative_errno(), "resuming %d", tid);
	}
}

/* Resume the thread until our int3 traps. */
static int run_until_trap(struct infect_thread *th)
{
	int r;

	if (ptrace(PTRACE_CONT, th->tid, 0, 0) < 0)
		return log_error_errno(negative_errno(), "resuming %d for a remote syscall", th->tid);
	r = wait_trap(th, false);
	return r < 0 ? r : 0;
}

/* Run the thread from regs until the int3 at trap_ip; *ret = rax there. */
static int run_regs(struct infect_thread *th, struct user_regs_struct *regs, uint64_t trap_ip, int64_t *ret)
{
	pid_t tid = th->tid;
	int r;

	regs->orig_rax = (uint64_t)-1;
	if (ptrace(PTRACE_SETREGS, tid, 0, regs) < 0)
		return log_error_errno(negative_errno(), "PTRACE_SETREGS of %d", tid);
	r = run_until_trap(th);
	if (r < 0)
		return r;
	if (ptrace(PTRACE_GETREGS, tid, 0, regs) < 0)
		return log_error_errno(negative_errno(), "PTRACE_GETREGS of %d", tid);
	if (regs->rip != trap_ip + 1) {
		log_error("thread %d trapped at %#llx, not at our int3 at %#llx", tid,
			  (unsigned long long)regs->rip, (unsigned long long)trap_ip);
		return -EFAULT;
	}
	*ret = (int64_t)regs->rax;
	return 0;
}

static int remote_syscall_at(struct infect_thread *th, const struct user_regs_struct *base, uint64_t ip,
			     long nr, const uint64_t a[6], int64_t *ret)
{
	struct user_regs_struct regs = *base;

	regs.rax = (uint64_t)nr;
	regs.rdi = a[0];
	regs.rsi = a[1];
	regs.rdx = a[2];
	regs.r10 = a[3];
	regs.r8 = a[4];
	regs.r9 = a[5];
	regs.rip = ip;
	return run_regs(th, &regs, ip + 2, ret);
}

/* A syscall run from the thread's own ip, with the code word poked there and
 * put back at once: used to map the scratch area and to unmap it (code in
 * the scratch area cannot unmap itself and then trap). */
static int syscall_at_thread_ip(struct infect_thread *th, long nr, const uint64_t args[6], int64_t *res)
{
	uint64_t ip = th->regs.rip, code;
	long orig;
	int r, q;

	errno = 0;
	orig = ptrace(PTRACE_PEEKTEXT, th->tid, ip, 0);
	if (errno)
		return log_error_errno(negative_errno(), "reading code at %#llx of %d", (unsigned long long)ip, th->tid);
	memcpy(&code, syscall_code, sizeof(code));
	if (ptrace(PTRACE_POKETEXT, th->tid, ip, code) < 0)
		return log_error_errno(negative_errno(), "writing code at %#llx of %d", (unsigned long long)ip, th->tid);
	r = remote_syscall_at(th, &th->regs, ip, nr, args, res);
	q = ptrace(PTRACE_POKETEXT, th->tid, ip, orig) < 0 ? negative_errno() : 0;
	if (q < 0)
		return log_error_errno(q, "cannot put back the code at %#llx of %d", (unsigned long long)ip, th->tid);
	return r;
}

static uint64_t page_up(uint64_t x)
{
	return (x + 4095) & ~(uint64_t)4095;
}

static int map_scratch(struct infect *inf, struct infect_thread *th, const struct infect_blob *blob)
{
	uint64_t args[6] = { 0, 0, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0 };
	int64_t res = 0;
	int r;

	inf->blob_off = 4096;
	inf->args_off = inf->blob_off + (blob ? page_up(blob->mem_size) : 0);
	inf->scratch_size = inf->args_off + INFECT_ARGS_SIZE + INFECT_STACK_SIZE;
	args[1] = inf->scratch_size;
	r = syscall_at_thread_ip(th, SYS_mmap, args, &res);
	if (r < 0)
		return r;
	if (res < 0 && res > -4096)
		return log_error_errno((int)res, "remote mmap in %d", inf->pid);
	inf->scratch = (uint64_t)res;
	r = infect_write(inf, 0, syscall_code, sizeof(syscall_code));
	if (r >= 0 && blob)
		r = infect_write(inf, inf->blob_off, blob->image, blob->size);
	return r;
}

int infect_call(struct infect *inf, pid_t tid, uint64_t entry_off, uint64_t arg, int64_t *ret)
{
	struct infect_thread *th = find_thread(inf, tid);
	struct user_regs_struct regs;
	uint64_t stack_top = inf->scratch + inf->scratch_size;
	uint64_t ret_addr = inf->scratch + 2;	/* the int3 after the syscall */
	int r;

	if (!th || !th->prepared || !inf->scratch || inf->args_off == inf->blob_off)
		return -EINVAL;
	if (th->running)
		return -EBUSY;
	/* As right after a call: rsp + 8 is 16-byte aligned, the return address at rsp. */
	r = infect_write(inf, inf->scratch_size - 8, &ret_addr, sizeof(ret_addr));
	if (r < 0)
		return r;
	regs = th->regs;
	regs.rip = inf->scratch + inf->blob_off + entry_off;
	regs.rdi = arg;
	regs.rsp = stack_top - 8;
	regs.eflags &= ~(1ULL << 10);	/* DF clear, as the ABI wants */
	return run_regs(th, &regs, ret_addr, ret);
}

/* The background call runs on the lower half of the stack area, so that
 * calls in other threads (upper half) can run at the same time. */
static uint64_t background_stack_off(const struct infect *inf)
{
	return inf->args_off + INFECT_ARGS_SIZE + INFECT_STACK_SIZE / 2;
}

int infect_call_start(struct infect *inf, pid_t tid, uint64_t entry_off, uint64_t arg0, uint64_t arg1)
{
	struct infect_thread *th = find_thread(inf, tid);
	struct user_regs_struct regs;
	uint64_t ret_addr = inf->scratch + 2, off = background_stack_off(inf) - 8;
	int r;

	if (!th || !th->prepared || !inf->scratch || inf->args_off == inf->blob_off)
		return -EINVAL;
	if (th->running)
		return -EBUSY;
	r = infect_write(inf, off, &ret_addr, sizeof(ret_addr));
	if (r < 0)
		return r;
	regs = th->regs;
	regs.rip = inf->scratch + inf->blob_off + entry_off;
	regs.rdi = arg0;
	regs.rsi = arg1;
	regs.rsp = inf->scratch + off;
	regs.eflags &= ~(1ULL << 10);
	regs.orig_rax = (uint64_t)-1;
	if (ptrace(PTRACE_SETREGS, tid, 0, &regs) < 0)
		return log_error_errno(negative_errno(), "PTRACE_SETREGS of %d", tid);
	if (ptrace(PTRACE_CONT, tid, 0, 0) < 0)
		return log_error_errno(negative_errno(), "resuming %d", tid);
	th->running = true;
	return 0;
}

/* The thread stopped at a trap: ours, with its result, or an error. */
static int finish_background(struct infect *inf, struct infect_thread *th, int64_t *ret)
{
	struct user_regs_struct regs;

	th->running = false;
	if (ptrace(PTRACE_GETREGS, th->tid, 0, &regs) < 0)
		return log_error_errno(negative_errno(), "PTRACE_GETREGS of %d", th->tid);
	if (regs.rip != inf->scratch + 3) {
		log_error("thread %d trapped at %#llx, not at our int3", th->tid, (unsigned long long)regs.rip);
		return -EFAULT;
	}
	*ret = (int64_t)regs.rax;
	return 0;
}

int infect_call_poll(struct infect *inf, pid_t tid, int64_t *ret)
{
	struct infect_thread *th = find_thread(inf, tid);
	int r;

	if (!th || !th->running)
		return -EINVAL;
	r = wait_trap(th, true);
	if (r < 0) {
		th->running = false;	/* stopped (fault) or gone: not ours to wait for any more */
		return r;
	}
	return r ? finish_background(inf, th, ret) : -EAGAIN;
}

int infect_call_wait(struct infect *inf, pid_t tid, unsigned timeout_ms, int64_t *ret)
{
	struct timespec step = { 0, 200000 };	/* 0.2 ms: the call usually just returned */
	uint64_t waited_ns = 0;

	for (;;) {
		int r = infect_call_poll(inf, tid, ret);
		if (r != -EAGAIN)
			return r;
		if (waited_ns >= (uint64_t)timeout_ms * 1000000)
			break;
		nanosleep(&step, NULL);
		waited_ns += (uint64_t)step.tv_nsec;
		if (step.tv_nsec < 10000000)
			step.tv_nsec *= 2;
	}
	log_error("thread %d did not come back from our code in %u ms", tid, timeout_ms);
	return -ETIMEDOUT;
}

/* Stop a thread still running our code (PTRACE_INTERRUPT), so it can be put back. */
static int interrupt_thread(struct infect_thread *th)
{
	int status;

	if (ptrace(PTRACE_INTERRUPT, th->tid, 0, 0) < 0)
		return log_error_errno(negative_errno(), "PTRACE_INTERRUPT of %d", th->tid);
	for (;;) {
		if (waitpid(th->tid, &status, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return log_error_errno(negative_errno(), "waiting for %d to stop", th->tid);
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return -ESRCH;
		if (WIFSTOPPED(status))
			break;
	}
	th->running = false;
	return 0;
}

int infect_call_abort(struct infect *inf, pid_t tid)
{
	struct infect_thread *th = find_thread(inf, tid);

	if (!th)
		return -EINVAL;
	return th->running ? interrupt_thread(th) : 0;
}

static int unmap_scratch(struct infect *inf)
{
	uint64_t args[6] = { inf->scratch, inf->scratch_size, 0, 0, 0, 0 };
	int64_t res = 0;
	int r = syscall_at_thread_ip(&inf->threads[inf->code_thread], SYS_munmap, args, &res);

	if (r >= 0 && res != 0)
		r = (int)res;
	if (r < 0)
		return log_error_errno(r, "cannot unmap the scratch area of %d", inf->pid);
	inf->scratch = 0;
	return 0;
}

int infect_start(struct infect *inf, pid_t pid, const pid_t *tids, size_t nr_tids,
		 const struct infect_blob *blob)
{
	char path[64];
	int r;

	memset(inf, 0, sizeof(*inf));
	inf->mem_fd = -1;
	inf->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	inf->mem_fd = open(path, O_RDWR | O_CLOEXEC);
	if (inf->mem_fd < 0)
		return log_error_errno(negative_errno(), "cannot open %s", path);
	inf->threads = calloc(nr_tids, sizeof(*inf->threads));
	if (!inf->threads)
		return -ENOMEM;
	inf->nr_threads = nr_tids;
	for (size_t i = 0; i < nr_tids; i++) {
		inf->threads[i].tid = tids[i];
		r = prepare_thread(&inf->threads[i]);
		if (r < 0)
			return r;
	}
	/* Any thread whose ip we can patch will do (one may sit in [vsyscall]). */
	r = -ESRCH;
	for (size_t i = 0; i < nr_tids && r < 0 && !inf->scratch; i++) {
		inf->code_thread = i;
		r = map_scratch(inf, &inf->threads[i], blob);
	}
	if (r < 0)
		return r;
	log_debug("infected %d: scratch at %#llx", pid, (unsigned long long)inf->scratch);
	return 0;
}

int infect_syscall(struct infect *inf, pid_t tid, long nr, const uint64_t args[6], int64_t *ret)
{
	struct infect_thread *th = find_thread(inf, tid);

	if (!th || !th->prepared || !inf->scratch)
		return -EINVAL;
	if (th->running)
		return -EBUSY;
	return remote_syscall_at(th, &th->regs, inf->scratch, nr, args, ret);
}

int infect_read(struct infect *inf, uint64_t off, void *buf, size_t len)
{
	if (off + len > inf->scratch_size)
		return -EINVAL;
	if (pread(inf->mem_fd, buf, len, (off_t)(inf->scratch + off)) != (ssize_t)len)
		return log_error_errno(negative_errno(), "reading the scratch area of %d", inf->pid);
	return 0;
}

int infect_write(struct infect *inf, uint64_t off, const void *buf, size_t len)
{
	if (off + len > inf->scratch_size)
		return -EINVAL;
	if (pwrite(inf->mem_fd, buf, len, (off_t)(inf->scratch + off)) != (ssize_t)len)
		return log_error_errno(negative_errno(), "writing the scratch area of %d", inf->pid);
	return 0;
}

const struct user_regs_struct *infect_saved_regs(struct infect *inf, pid_t tid)
{
	struct infect_thread *th = find_thread(inf, tid);
	return th && th->prepared ? &th->regs : NULL;
}

uint64_t infect_saved_sigmask(struct infect *inf, pid_t tid)
{
	struct infect_thread *th = find_thread(inf, tid);
	return th ? th->sigmask : 0;
}

static int restore_thread(struct infect_thread *th)
{
	int r = 0;

	if (!th->prepared)
		return 0;
	if (ptrace(PTRACE_SETREGS, th->tid, 0, &th->regs) < 0)
		r = log_error_errno(negative_errno(), "cannot put back the registers of %d", th->tid);
	if (ptrace(PTRACE_SETSIGMASK, th->tid, sizeof(uint64_t), &th->sigmask) < 0 && !r)
		r = log_error_errno(negative_errno(), "cannot put back the signal mask of %d", th->tid);
	if (th->xstate) {
		struct iovec iov = { th->xstate, th->xstate_len };
		if (ptrace(PTRACE_SETREGSET, th->tid, NT_X86_XSTATE, &iov) < 0 && !r)
			r = log_error_errno(negative_errno(), "cannot put back the FPU state of %d", th->tid);
	}
	th->prepared = false;
	/* Pending again: delivered once the thread runs on its own (or kept
	 * again by the next infection). */
	if (th->stop_pending) {
		th->stop_pending = false;
		log_info("thread %d: a SIGSTOP came during the dump: sent again", th->tid);
		if (syscall(SYS_tkill, th->tid, SIGSTOP) < 0 && !r)
			r = log_error_errno(negative_errno(), "cannot send SIGSTOP again to %d", th->tid);
	}
	return r;
}

int infect_stop(struct infect *inf)
{
	int r = 0, q;

	for (size_t i = 0; i < inf->nr_threads; i++)
		if (inf->threads[i].running) {
			log_warn("thread %d still runs our code: interrupting it", inf->threads[i].tid);
			q = interrupt_thread(&inf->threads[i]);
			if (q < 0 && !r)
				r = q;
		}
	if (inf->scratch && inf->nr_threads && inf->threads[inf->code_thread].prepared) {
		q = unmap_scratch(inf);
		if (q < 0 && !r)
			r = q;
	}
	for (size_t i = 0; i < inf->nr_threads; i++) {
		q = restore_thread(&inf->threads[i]);
		if (q < 0 && !r)
			r = q;
		free(inf->threads[i].xstate);
	}
	free(inf->threads);
	inf->threads = NULL;
	inf->nr_threads = 0;
	if (inf->mem_fd >= 0)
		close(inf->mem_fd);
	inf->mem_fd = -1;
	return r;
}
