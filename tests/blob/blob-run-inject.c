// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * blob-run injected: the parent seizes a child sleeping in pause(), maps an area in
 * it by injecting syscalls, copies the blob and its args in, sets the registers to the
 * entry with a return address that traps, then unmaps everything, restores the code
 * and registers, and checks the child goes on as before.
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
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>

#define REMOTE_STACK_SIZE (64 * 1024UL)
#define INJECTED_CHILD_EXIT 42

/* ---- injected: the parent loads the blob into a stopped child with ptrace ---- */

static volatile sig_atomic_t child_released;

static void on_sigusr1(int sig)
{
	(void)sig;
	child_released = 1;
}

static _Noreturn void injected_child(int fd)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };

	block_sigusr2();
	sigaction(SIGUSR1, &sa, NULL);
	if (write(fd, "R", 1) != 1)
		_exit(2);
	while (!child_released)
		pause();
	_exit(INJECTED_CHILD_EXIT);
}

struct remote {
	pid_t pid;
	struct user_regs_struct saved;	/* the child's registers when we stopped it */
	uint64_t site;			/* where "syscall; int3" was written */
	long saved_word;
};

/* Resume the child and wait for the int3 that ends an injected sequence. */
static int run_to_trap(const struct remote *rm, struct user_regs_struct *regs)
{
	int status;

	if (ptrace(PTRACE_SETREGS, rm->pid, NULL, regs) < 0 ||
	    ptrace(PTRACE_CONT, rm->pid, NULL, NULL) < 0)
		return perror("ptrace resume"), -1;
	if (waitpid(rm->pid, &status, 0) != rm->pid)
		return perror("waitpid"), -1;
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
		fprintf(stderr, "FAIL: child stopped with status 0x%x, expected SIGTRAP\n", status);
		return -1;
	}
	if (ptrace(PTRACE_GETREGS, rm->pid, NULL, regs) < 0)
		return perror("PTRACE_GETREGS"), -1;
	return 0;
}

static int remote_syscall(const struct remote *rm, long nr, long a1, long a2, long a3, long a4,
			  long a5, long a6, long *ret)
{
	struct user_regs_struct regs = rm->saved;

	regs.rip = rm->site;
	regs.rax = nr;
	regs.rdi = a1;
	regs.rsi = a2;
	regs.rdx = a3;
	regs.r10 = a4;
	regs.r8 = a5;
	regs.r9 = a6;
	regs.orig_rax = -1;	/* not in a syscall: no restart logic on resume */
	if (run_to_trap(rm, &regs) < 0)
		return -1;
	if (regs.rip != rm->site + 3) {
		fprintf(stderr, "FAIL: injected syscall trapped at 0x%llx\n", regs.rip);
		return -1;
	}
	*ret = regs.rax;
	return 0;
}

static int remote_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = { (void *)buf, len }, remote = { (void *)addr, len };

	if (process_vm_writev(pid, &local, 1, &remote, 1, 0) != (ssize_t)len)
		return perror("process_vm_writev"), -1;
	return 0;
}

static int remote_map_at_random(const struct remote *rm, size_t len, uint64_t *ret_base)
{
	for (int i = 0; i < MAP_TRIES; i++) {
		uint64_t hint = random_hint(len);
		long r;

		if (remote_syscall(rm, SYS_mmap, hint, len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0, &r) < 0)
			return -1;
		if ((uint64_t)r == hint) {
			*ret_base = hint;
			return 0;
		}
		if (r >= 0)
			remote_syscall(rm, SYS_munmap, r, len, 0, 0, 0, 0, &r);
		else if (r != -EEXIST)
			return fprintf(stderr, "FAIL: remote mmap: %s\n", strerror(-r)), -1;
	}
	return fprintf(stderr, "FAIL: no free random address in the child\n"), -1;
}

static bool child_has_mapping_at(pid_t pid, uint64_t addr)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return true;	/* cannot tell: report as still mapped */
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && addr >= lo && addr < hi)
			found = true;
	}
	fclose(f);
	return found;
}

/* Stop the child, remember its state, and plant "syscall; int3" at its rip. */
static int remote_begin(struct remote *rm)
{
	int status;
	long word;

	if (ptrace(PTRACE_SEIZE, rm->pid, NULL, NULL) < 0) {
		if (errno == EPERM) {
			printf("SKIP: ptrace is not permitted here (%s)\n", strerror(errno));
			return 77;
		}
		return perror("PTRACE_SEIZE"), -1;
	}
	if (ptrace(PTRACE_INTERRUPT, rm->pid, NULL, NULL) < 0 || waitpid(rm->pid, &status, 0) != rm->pid)
		return perror("PTRACE_INTERRUPT"), -1;
	if (!WIFSTOPPED(status) || status >> 16 != PTRACE_EVENT_STOP)
		return fprintf(stderr, "FAIL: unexpected stop 0x%x\n", status), -1;
	if (ptrace(PTRACE_GETREGS, rm->pid, NULL, &rm->saved) < 0)
		return perror("PTRACE_GETREGS"), -1;
	rm->site = rm->saved.rip;
	errno = 0;
	rm->saved_word = ptrace(PTRACE_PEEKTEXT, rm->pid, (void *)rm->site, NULL);
	if (errno)
		return perror("PTRACE_PEEKTEXT"), -1;
	word = (rm->saved_word & ~0xffffffL) | 0xcc050fL;	/* 0f 05 = syscall, cc = int3 */
	if (ptrace(PTRACE_POKETEXT, rm->pid, (void *)rm->site, (void *)word) < 0)
		return perror("PTRACE_POKETEXT"), -1;
	return 0;
}

/* Put back the code and registers and let the child go. */
static int remote_end(const struct remote *rm)
{
	if (ptrace(PTRACE_POKETEXT, rm->pid, (void *)rm->site, (void *)rm->saved_word) < 0 ||
	    ptrace(PTRACE_SETREGS, rm->pid, NULL, &rm->saved) < 0 ||
	    ptrace(PTRACE_DETACH, rm->pid, NULL, NULL) < 0)
		return perror("ptrace restore"), -1;
	return 0;
}

/* Area in the child: [blob image][args page][stack]. Returns the blob's return value. */
static int inject_and_run(const struct remote *rm, const struct test_blob_args *args,
			  uint64_t *ret_base, long *ret_value)
{
	const size_t blob_len = ROUND_UP(blob_image.mem_size, PAGE);
	const size_t len = blob_len + PAGE + REMOTE_STACK_SIZE;
	struct user_regs_struct regs = rm->saved;
	uint64_t base, args_addr, ret_addr, trap;
	static const char zeros[PAGE];
	long r;

	_Static_assert(sizeof(struct test_blob_args) <= PAGE, "args fit their page");
	if (remote_map_at_random(rm, len, &base) < 0)
		return -1;
	*ret_base = base;
	args_addr = base + blob_len;
	trap = base + blob_image.trap_off;
	regs.rsp = base + len - 16 - 8;		/* as if called: (rsp + 8) % 16 == 0 */
	ret_addr = trap;
	for (size_t done = 0; done < blob_image.bss_size; done += PAGE) {
		size_t n = blob_image.bss_size - done < PAGE ? blob_image.bss_size - done : PAGE;

		if (remote_write(rm->pid, base + blob_image.size + done, zeros, n) < 0)
			return -1;
	}
	if (remote_write(rm->pid, base, blob_image.bytes, blob_image.size) < 0 ||
	    remote_write(rm->pid, args_addr, args, sizeof(*args)) < 0 ||
	    remote_write(rm->pid, regs.rsp, &ret_addr, sizeof(ret_addr)) < 0)
		return -1;
	if (remote_syscall(rm, SYS_mprotect, base, blob_image.rx_size, PROT_READ | PROT_EXEC, 0, 0,
			   0, &r) < 0 || r != 0)
		return fprintf(stderr, "FAIL: remote mprotect: %ld\n", r), -1;

	regs.rip = base + blob_image.main_off;
	regs.rdi = args_addr;
	regs.rax = 0;
	regs.orig_rax = -1;
	regs.eflags &= ~0x400ULL;	/* the ABI wants the direction flag clear */
	if (run_to_trap(rm, &regs) < 0)
		return -1;
	if (regs.rip != trap + 1)
		return fprintf(stderr, "FAIL: blob trapped at 0x%llx, not at its return\n", regs.rip), -1;
	*ret_value = regs.rax;

	if (remote_syscall(rm, SYS_munmap, base, len, 0, 0, 0, 0, &r) < 0 || r != 0)
		return fprintf(stderr, "FAIL: remote munmap: %ld\n", r), -1;
	if (child_has_mapping_at(rm->pid, base))
		return fprintf(stderr, "FAIL: blob area still mapped in the child\n"), -1;
	return 0;
}

int test_injected(void)
{
	struct test_blob_args args;
	struct test_blob_report rep;
	struct remote rm = {};
	uint64_t base = 0;
	long value = -1;
	int fds[2], status, r;
	char ready;
	bool ok;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return perror("pipe2"), 1;
	fill_args(&args, fds[1]);
	rm.pid = fork();
	if (rm.pid < 0)
		return perror("fork"), 1;
	if (rm.pid == 0) {
		close(fds[0]);
		injected_child(fds[1]);
	}
	close(fds[1]);
	if (read_full(fds[0], &ready, 1) < 0)
		return fprintf(stderr, "FAIL: child did not start\n"), 1;

	r = remote_begin(&rm);
	if (r == 0) {
		r = inject_and_run(&rm, &args, &base, &value);
		if (remote_end(&rm) < 0)
			r = -1;
	}
	if (r != 0) {
		kill(rm.pid, SIGKILL);
		waitpid(rm.pid, NULL, 0);
		return r == 77 ? 77 : 1;
	}

	ok = value == 0;
	if (!ok)
		fprintf(stderr, "FAIL: blob returned %ld\n", value);
	if (read_full(fds[0], &rep, sizeof(rep)) < 0)
		return fprintf(stderr, "FAIL: no report from the injected blob\n"), 1;
	ok = verify_report(&rep, &args, rm.pid, base) && ok;
	printf("injected: child %d ran the blob at 0x%" PRIx64 ": %s\n", (int)rm.pid, base,
	       ok ? "ok" : "WRONG");

	/* The child must carry on exactly as before: still in its pause() loop. */
	kill(rm.pid, SIGUSR1);
	if (waitpid(rm.pid, &status, 0) != rm.pid)
		return perror("waitpid"), 1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != INJECTED_CHILD_EXIT) {
		fprintf(stderr, "FAIL: child ended with status 0x%x after injection\n", status);
		return 1;
	}
	if (!ok)
		return 1;
	printf("PASS: injected, ran, cleaned up; the child resumed and exited normally\n");
	return 0;
}
