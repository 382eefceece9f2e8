/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Memory and per-process state of a single-threaded task: heap, anonymous
 * mappings (private, read-only, PROT_NONE, sparse, zero-filled), a COWed
 * private file mapping, the stack; signal actions, blocked mask, alternate
 * stack, an itimer.  Everything is checked after the wait.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>
#include "lib/zt.h"

#define PG 4096
#define BIG (8 << 20)

static void on_usr1(int sig) { (void)sig; }

static void check(const char *what, const void *p, size_t len, uint32_t seed)
{
	size_t bad = zt_check(p, len, seed);
	if (bad)
		zt_fail("%s: byte %zu differs", what, bad - 1);
}

int main(int argc, char **argv)
{
	uint8_t stack_buf[3 * PG];
	uint8_t *heap, *anon, *ro, *none, *sparse, *zero, *file;
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART | SA_ONSTACK }, old;
	struct itimerval itv = { .it_value = { 100000, 0 } }, itv_now;
	stack_t ss = { .ss_size = 4 * PG }, ss_now;
	sigset_t blk, now;
	uint8_t orig100, want100;

	zt_init(argc, argv);
	heap = malloc(3 * PG + 123);
	zt_fill(heap, 3 * PG + 123, 1);
	anon = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	none = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sparse = mmap(NULL, 64 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	zero = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	file = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, open("/proc/self/exe", O_RDONLY), 0);
	if (anon == MAP_FAILED || ro == MAP_FAILED || none == MAP_FAILED || sparse == MAP_FAILED ||
	    zero == MAP_FAILED || file == MAP_FAILED)
		zt_fail("mmap: %m");
	zt_init(argc, argv);	/* closes the exe fd again */
	zt_fill(anon, BIG, 2);
	zt_fill(ro, 4 * PG, 3);
	mprotect(ro, 4 * PG, PROT_READ);
	zt_fill(none, 2 * PG, 4);
	mprotect(none, 2 * PG, PROT_NONE);
	for (int i = 0; i < 64; i += 7)
		zt_fill(sparse + i * PG, PG, 100 + i);
	for (int i = 0; i < 16; i++)	/* pages that exist but hold zeros */
		zero[i * PG] = 1, zero[i * PG] = 0;
	if (memcmp(file, "\177ELF", 4))
		zt_fail("exe mapping does not start with ELF");
	orig100 = file[100];
	want100 = (uint8_t)(orig100 ^ 0xff);
	file[100] = want100;	/* COW: this page is now anonymous */
	zt_fill(stack_buf, sizeof(stack_buf), 5);

	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGUSR2, SIG_IGN);
	sigemptyset(&blk);
	sigaddset(&blk, SIGHUP);
	sigaddset(&blk, SIGRTMIN + 3);
	sigprocmask(SIG_BLOCK, &blk, NULL);
	ss.ss_sp = malloc(ss.ss_size);
	sigaltstack(&ss, NULL);
	setitimer(ITIMER_REAL, &itv, NULL);

	zt_ready();
	zt_wait();

	check("heap", heap, 3 * PG + 123, 1);
	check("anon", anon, BIG, 2);
	check("read-only", ro, 4 * PG, 3);
	mprotect(none, 2 * PG, PROT_READ);
	check("PROT_NONE", none, 2 * PG, 4);
	for (int i = 0; i < 64; i++) {
		if (i % 7 == 0)
			check("sparse", sparse + i * PG, PG, 100 + i);
		else
			for (int j = 0; j < PG; j++)
				if (sparse[i * PG + j])
					zt_fail("sparse page %d not zero", i);
	}
	for (int i = 0; i < 16 * PG; i++)
		if (zero[i])
			zt_fail("zero area byte %d is %d", i, zero[i]);
	if (memcmp(file, "\177ELF", 4) || file[100] != want100)
		zt_fail("file mapping lost its content");
	check("stack", stack_buf, sizeof(stack_buf), 5);

	sigaction(SIGUSR1, NULL, &old);
	if (old.sa_handler != on_usr1 || !(old.sa_flags & SA_RESTART) || !(old.sa_flags & SA_ONSTACK))
		zt_fail("SIGUSR1 action lost");
	sigaction(SIGUSR2, NULL, &old);
	if (old.sa_handler != SIG_IGN)
		zt_fail("SIGUSR2 is no longer ignored");
	sigprocmask(SIG_BLOCK, NULL, &now);
	if (!sigismember(&now, SIGHUP) || !sigismember(&now, SIGRTMIN + 3) || sigismember(&now, SIGUSR1))
		zt_fail("blocked mask changed");
	sigaltstack(NULL, &ss_now);
	if (ss_now.ss_sp != ss.ss_sp || ss_now.ss_size != ss.ss_size)
		zt_fail("alternate stack changed: %p/%zu", ss_now.ss_sp, ss_now.ss_size);
	getitimer(ITIMER_REAL, &itv_now);
	if (itv_now.it_value.tv_sec == 0 || itv_now.it_value.tv_sec > 100000)
		zt_fail("ITIMER_REAL lost: %ld s left", (long)itv_now.it_value.tv_sec);
	zt_pass();
}
