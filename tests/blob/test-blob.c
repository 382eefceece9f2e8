// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The test blob: freestanding code built with the blob pipeline. Its entry does real
 * work through the pie syscall layer (getpid, gettid, rt_sigprocmask, mmap, a raw
 * clone of a thread, futex, munmap, write) and a computation on its arguments, then
 * writes a report to the host's fd. It also touches .rodata, .data and .bss, so a
 * wrong load (bytes, bss or base) shows in the report.
 */
#include "pie.h"
#include "pie-syscall.h"
#include "pie-thread.h"
#include "test-blob-args.h"

#include <asm/signal.h>
#include <linux/errno.h>
#include <linux/futex.h>
#include <linux/mman.h>
#include <linux/sched.h>

#define THREAD_STACK_SIZE (64 * 1024)

extern char __blob_start[];	/* from pie.lds */

static const char blob_text[] = TEST_BLOB_TEXT;
static uint64_t data_counter = TEST_BLOB_DATA_COUNTER_INIT;
static uint64_t bss_counter;

struct thread_work {
	const uint32_t *words;
	uint32_t n;
	uint64_t fnv;
	int tid;
};

static int thread_fn(void *arg)
{
	struct thread_work *w = arg;

	w->fnv = test_blob_fnv1a(w->words, w->n);
	w->tid = sys_gettid();
	return 0;
}

/* Wait for the kernel to clear *ctid (CLONE_CHILD_CLEARTID) when the thread exits. */
static void wait_thread_exit(volatile int *ctid)
{
	int v;

	while ((v = *ctid) != 0)
		sys_futex((int *)ctid, FUTEX_WAIT, v, NULL, NULL, 0);
}

static long fnv_in_thread(const uint32_t *words, uint32_t n, struct test_blob_report *r)
{
	const unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
				    CLONE_THREAD | CLONE_SYSVSEM | CLONE_PARENT_SETTID |
				    CLONE_CHILD_CLEARTID;
	struct thread_work w = { .words = words, .n = n };
	volatile int ctid = 0;
	long stack, tid;

	stack = sys_mmap(NULL, THREAD_STACK_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sys_failed(stack))
		return stack;
	/* The kernel stores the tid in ctid before the thread runs (CLONE_PARENT_SETTID)
	 * and clears it when the thread exits (CLONE_CHILD_CLEARTID): no race. */
	tid = pie_clone_thread(flags, (char *)stack + THREAD_STACK_SIZE, (int *)&ctid,
			       (int *)&ctid, 0, thread_fn, &w);
	if (tid > 0)
		wait_thread_exit(&ctid);
	sys_munmap((void *)stack, THREAD_STACK_SIZE);
	if (tid < 0)
		return tid;
	r->fnv = w.fnv;
	r->thread_tid = w.tid;
	return 0;
}

static uint64_t mix(const struct test_blob_args *a)
{
	uint64_t m = 0;

	for (uint32_t i = 0; i < a->n_words; i++)
		m += (uint64_t)a->words[i] * (a->seed + i);
	return m;
}

static long write_all(int fd, const void *buf, unsigned long n)
{
	const char *p = buf;

	while (n) {
		long w = sys_write(fd, p, n);

		if (w < 0)
			return w;
		p += w;
		n -= w;
	}
	return 0;
}

static long fill_report(const struct test_blob_args *a, struct test_blob_report *r)
{
	uint32_t words[TEST_BLOB_MAX_WORDS];
	long ret;

	/* A variable-size copy: a real call into the pie runtime's memcpy. */
	memcpy(words, a->words, a->n_words * sizeof(words[0]));
	r->magic = TEST_BLOB_REPORT_MAGIC;
	r->pid = sys_getpid();
	r->tid = sys_gettid();
	r->base = (uint64_t)(unsigned long)__blob_start;
	r->data_counter = ++data_counter;
	r->bss_counter = ++bss_counter;
	memcpy(r->text, blob_text, sizeof(blob_text));
	ret = sys_rt_sigprocmask(SIG_BLOCK, NULL, &r->sigmask);
	if (ret < 0)
		return ret;
	r->mix = mix(a);
	return fnv_in_thread(words, a->n_words, r);
}

PIE_ENTRY long test_blob_main(const struct test_blob_args *a)
{
	struct test_blob_report r;
	long ret;

	if (a->magic != TEST_BLOB_ARGS_MAGIC || a->n_words > TEST_BLOB_MAX_WORDS)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.status = fill_report(a, &r);
	ret = write_all(a->result_fd, &r, sizeof(r));
	return ret < 0 ? ret : r.status;
}

/* A return address for hosts that jump to test_blob_main from outside (ptrace). */
asm(".text\n"
    ".globl test_blob_trap\n"
    ".hidden test_blob_trap\n"
    ".type test_blob_trap, @function\n"
    "test_blob_trap:\n"
    "	int3\n"
    "	ud2\n"
    ".size test_blob_trap, .-test_blob_trap\n");
