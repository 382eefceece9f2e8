/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Enough anonymous memory (about 200 MiB) for the dump to write the pages in
 * two streams into two page files (cr/mem-stripes.h), laid out to trip the
 * bookkeeping: data pages with zero pages among them (every 5th page of the
 * big area, and whole zero stretches longer than a chunk), untouched holes,
 * a PROT_NONE area and a read-only one holding data (read from
 * /proc/PID/mem, not by the parasite), small areas between big ones, and a
 * second thread.  After restore every page is checked.  With the argument
 * "tree" a child holds its own big area too (each process has its own two
 * page files); it checks itself when the parent passes on SIGTERM.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../lib/zt.h"

#define PG 4096ul
#define BIG_PAGES (160ul << 8)		/* 160 MiB */
#define SMALL_PAGES 37ul

struct area {
	uint8_t *p;
	size_t pages;
	int prot;
	uint32_t seed;
};

static struct area areas[5];

/* Which pages of an area hold data: the others are zero or never touched. */
static bool page_has_data(const struct area *a, size_t i)
{
	if (a->pages != BIG_PAGES)
		return i % 3 != 1;
	if (i % 5 == 4)
		return false;				/* zero page, touched */
	if (i >= 9000 && i < 9000 + 10000)
		return false;				/* a zero stretch longer than a chunk */
	return !(i >= 30000 && i < 30500);		/* a hole never touched */
}

static bool page_touched(const struct area *a, size_t i)
{
	return a->pages != BIG_PAGES || !(i >= 30000 && i < 30500);
}

static void fill_area(struct area *a)
{
	a->p = mmap(NULL, a->pages * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a->p == MAP_FAILED)
		zt_fail("mmap %zu pages: %m", a->pages);
	for (size_t i = 0; i < a->pages; i++) {
		if (page_has_data(a, i))
			zt_fill(a->p + i * PG, PG, a->seed + (uint32_t)i);
		else if (page_touched(a, i))
			a->p[i * PG] = 0;	/* a present page of zeroes */
	}
	if (a->prot != (PROT_READ | PROT_WRITE) && mprotect(a->p, a->pages * PG, a->prot) < 0)
		zt_fail("mprotect: %m");
}

static void check_area(const struct area *a)
{
	if (a->prot != (PROT_READ | PROT_WRITE) && mprotect(a->p, a->pages * PG, PROT_READ) < 0)
		zt_fail("mprotect back: %m");
	for (size_t i = 0; i < a->pages; i++) {
		const uint8_t *pg = a->p + i * PG;
		if (page_has_data(a, i)) {
			size_t bad = zt_check(pg, PG, a->seed + (uint32_t)i);
			if (bad)
				zt_fail("area of %zu pages, seed %u: page %zu differs at byte %zu", a->pages, a->seed, i,
					bad - 1);
		} else {
			for (size_t k = 0; k < PG; k++)
				if (pg[k])
					zt_fail("area of %zu pages: zero page %zu has %#x at %zu", a->pages, i, pg[k], k);
		}
	}
}

static volatile int stop;

static void *spin(void *arg)
{
	(void)arg;
	while (!stop)
		usleep(1000);
	return NULL;
}

static volatile sig_atomic_t child_term;

static void on_term(int sig)
{
	(void)sig;
	child_term = 1;
}

/* The child: its own big area, checked once told to end; exit 0 if intact.
 * SIGTERM is blocked (zt_init) until it waits for it. */
static void child_main(int ready)
{
	struct area big = { .pages = BIG_PAGES, .prot = PROT_READ | PROT_WRITE, .seed = 9000000 };
	sigset_t none;

	signal(SIGTERM, on_term);
	fill_area(&big);
	if (write(ready, "r", 1) != 1)
		_exit(2);
	close(ready);
	sigemptyset(&none);
	while (!child_term)
		sigsuspend(&none);
	check_area(&big);	/* zt_fail exits non-zero */
	_exit(0);
}

static pid_t start_child(void)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p) < 0)
		zt_fail("pipe: %m");
	pid = fork();
	if (pid < 0)
		zt_fail("fork: %m");
	if (pid == 0) {
		close(p[0]);
		child_main(p[1]);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		zt_fail("the child did not fill its memory");
	close(p[0]);
	return pid;
}

static void end_child(pid_t pid)
{
	int status;

	if (kill(pid, SIGTERM) < 0)
		zt_fail("kill child %d: %m", pid);
	if (waitpid(pid, &status, 0) != pid)
		zt_fail("waitpid child %d: %m", pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		zt_fail("the child %d found its memory changed (status %#x)", pid, status);
}

int main(int argc, char **argv)
{
	struct area def[] = {
		{ .pages = SMALL_PAGES, .prot = PROT_READ | PROT_WRITE, .seed = 11 },
		{ .pages = BIG_PAGES, .prot = PROT_READ | PROT_WRITE, .seed = 1000 },
		{ .pages = SMALL_PAGES, .prot = PROT_NONE, .seed = 22 },
		{ .pages = 6000, .prot = PROT_READ, .seed = 500000 },
		{ .pages = 9000, .prot = PROT_NONE, .seed = 700000 },
	};
	bool tree = argc > 1 && !strcmp(argv[1], "tree");
	pid_t child = 0;
	pthread_t th;

	zt_init(argc, argv);
	if (tree)
		child = start_child();
	for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++) {
		areas[i] = def[i];
		fill_area(&areas[i]);
	}
	if (pthread_create(&th, NULL, spin, NULL))
		zt_fail("pthread_create");
	zt_ready();
	zt_wait();
	stop = 1;
	pthread_join(th, NULL);
	for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++)
		check_area(&areas[i]);
	if (child)
		end_child(child);
	zt_pass();
}
