/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The C/R "done means" test: a multi-threaded, multi-process program holding
 * AVX-512 registers, a COW private file mapping and a shared anonymous area
 * survives dump -> restore with the same pids and tids (checked by
 * rst-run.sh) and keeps running correctly:
 *
 *   root:  thread "avx" holds zmm0-31 in registers, waiting in FUTEX_WAIT;
 *          thread "tick" keeps counting in the shared area;
 *          a private file mapping with written (COW) and unwritten pages.
 *   child: thread "avx" likewise; thread "tick" counts too; the main thread
 *          answers the root through the shared area.
 *
 * After restore the counters must move on, the registers be intact, the COW
 * pages hold what was written, and a write by one process be seen by the other.
 */
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/zt.h"
#include "lib/zt-avx.h"

#define PG 4096

struct shared {
	int avx_go;			/* futex word: 1 lets the avx threads check */
	int stop;			/* tick threads end */
	uint64_t ticks[2];		/* [0] root, [1] child */
	int avx_result[2];		/* 1 ok, -1 bad, per process */
	int ping, pong;			/* root -> child -> root through the area */
	int child_ready;
	uint8_t data[64 * PG];
};
static struct shared *s;

__attribute__((target("avx512f"), noinline))
static void hold_avx(const uint8_t *in, uint8_t *out, int *word)
{
	asm volatile(
		ZT_ZMM_LOAD_ALL
		"1:\n"
		"movl $202, %%eax\n"	/* futex(word, FUTEX_WAIT, 0, NULL) */
		"movq %[word], %%rdi\n"
		"xorl %%esi, %%esi\n"
		"xorl %%edx, %%edx\n"
		"xorl %%r10d, %%r10d\n"
		"syscall\n"
		"cmpl $0, (%[word])\n"
		"je 1b\n"
		ZT_ZMM_STORE_ALL
		:
		: [in] "r"(in), [out] "r"(out), [word] "r"(word)
		: "rax", "rdi", "rsi", "rdx", "r10", "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31");
}

static void *avx_thread(void *arg)
{
	int who = (int)(intptr_t)arg;
	static uint8_t in[2][32 * 64] __attribute__((aligned(64))), out[2][32 * 64] __attribute__((aligned(64)));
	zt_fill(in[who], sizeof(in[who]), 500 + who);
	hold_avx(in[who], out[who], &s->avx_go);
	s->avx_result[who] = memcmp(in[who], out[who], sizeof(in[who])) ? -1 : 1;
	return NULL;
}

static void *tick_thread(void *arg)
{
	int who = (int)(intptr_t)arg;
	while (!__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST)) {
		__atomic_add_fetch(&s->ticks[who], 1, __ATOMIC_SEQ_CST);
		usleep(1000);
	}
	return NULL;
}

static void start_threads(int who, pthread_t *t)
{
	if (pthread_create(&t[0], NULL, avx_thread, (void *)(intptr_t)who) ||
	    pthread_create(&t[1], NULL, tick_thread, (void *)(intptr_t)who))
		zt_fail("pthread_create failed");
}

static bool moves_on(int who)
{
	uint64_t a = __atomic_load_n(&s->ticks[who], __ATOMIC_SEQ_CST);
	for (int i = 0; i < 2000; i++) {
		usleep(1000);
		if (__atomic_load_n(&s->ticks[who], __ATOMIC_SEQ_CST) > a + 5)
			return true;
	}
	return false;
}

static _Noreturn void child_main(void)
{
	pthread_t t[2];
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	start_threads(1, t);
	zt_fill(s->data + 32 * PG, 32 * PG, 61);
	__atomic_store_n(&s->child_ready, 1, __ATOMIC_SEQ_CST);
	/* Answer the root's ping with the data it wrote, through the shared area. */
	while (!__atomic_load_n(&s->ping, __ATOMIC_SEQ_CST))
		usleep(1000);
	int ok = !zt_check(s->data, 32 * PG, 62);
	__atomic_store_n(&s->pong, ok ? 1 : -1, __ATOMIC_SEQ_CST);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	_exit(0);
}

int main(int argc, char **argv)
{
	char path[64];
	uint8_t file_data[8 * PG];
	pthread_t t[2];

	zt_init(argc, argv);
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx512f"))
		zt_skip("the CPU has no AVX-512F");
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		zt_fail("mmap: %m");

	snprintf(path, sizeof(path), "/tmp/zt-rst-combined.%d", getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	zt_fill(file_data, sizeof(file_data), 60);
	if (fd < 0 || write(fd, file_data, sizeof(file_data)) != (ssize_t)sizeof(file_data))
		zt_fail("cannot write %s: %m", path);
	uint8_t *cow = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (cow == MAP_FAILED)
		zt_fail("mmap of %s: %m", path);
	for (int i = 0; i < 8; i += 2)
		zt_fill(cow + i * PG, PG, 70 + i);

	pid_t child = fork();
	if (child == 0)
		child_main();
	start_threads(0, t);
	while (!__atomic_load_n(&s->child_ready, __ATOMIC_SEQ_CST) || s->ticks[0] < 3 || s->ticks[1] < 3)
		usleep(1000);
	usleep(20000);

	zt_ready();
	zt_wait();

	if (!moves_on(0) || !moves_on(1))
		zt_fail("a counting thread does not run after restore (root %llu, child %llu)",
			(unsigned long long)s->ticks[0], (unsigned long long)s->ticks[1]);
	for (int i = 0; i < 8; i++) {
		size_t bad = (i % 2 == 0) ? zt_check(cow + i * PG, PG, 70 + i)
					  : (size_t)memcmp(cow + i * PG, file_data + i * PG, PG);
		if (bad)
			zt_fail("COW file mapping: page %d is wrong", i);
	}
	unlink(path);
	if (zt_check(s->data + 32 * PG, 32 * PG, 61))
		zt_fail("the shared area lost what the child wrote");
	zt_fill(s->data, 32 * PG, 62);
	__atomic_store_n(&s->ping, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 5000 && !__atomic_load_n(&s->pong, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	if (s->pong != 1)
		zt_fail("the child does not see the root's writes to the shared area (%d)", s->pong);
	__atomic_store_n(&s->avx_go, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &s->avx_go, FUTEX_WAKE, 8, NULL, NULL, 0);
	__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	int st;
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
		zt_fail("the child ended badly (%#x)", st);
	if (s->avx_result[0] != 1 || s->avx_result[1] != 1)
		zt_fail("AVX-512 registers changed across C/R (root %d, child %d)", s->avx_result[0], s->avx_result[1]);
	zt_pass();
}
