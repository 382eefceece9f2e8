/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A process tree: a child and a grandchild sharing a MAP_SHARED|ANONYMOUS
 * area and a memfd mapping with the parent, and a zombie child.  After the
 * wait the parent checks the shared content, that a write of the child is
 * still seen (sharing kept), the zombie's exit status and the pids.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/zt.h"

#define SZ (1 << 20)

struct shared {
	volatile int phase;
	volatile pid_t child, grandchild;
	volatile int child_ok;
};

static uint8_t *anon_sh, *memfd_sh;

/* Children: wait until the parent says "check", check, report, exit. */
static void child_loop(struct shared *s, int who)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (s->phase < 2)
		usleep(1000);
	if (!zt_check(anon_sh + 4096, SZ - 4096, 7) && !zt_check(memfd_sh, SZ, 8))
		__atomic_fetch_or(&s->child_ok, who, __ATOMIC_SEQ_CST);
	while (s->phase < 3)
		usleep(1000);
	_exit(0);
}

int main(int argc, char **argv)
{
	struct shared *s;
	pid_t zombie, c;
	int fd, status;

	zt_init(argc, argv);
	anon_sh = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	fd = memfd_create("zt-tree", 0);
	if (fd < 0 || ftruncate(fd, SZ) < 0)
		zt_fail("memfd: %m");
	memfd_sh = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (anon_sh == MAP_FAILED || memfd_sh == MAP_FAILED)
		zt_fail("mmap: %m");
	s = (struct shared *)anon_sh;
	zt_fill(anon_sh + 4096, SZ - 4096, 7);
	zt_fill(memfd_sh, SZ, 8);

	zombie = fork();
	if (zombie == 0)
		_exit(42);
	c = fork();
	if (c == 0) {
		s->child = getpid();
		if (fork() == 0) {
			s->grandchild = getpid();
			child_loop(s, 2);
		}
		child_loop(s, 1);
	}
	while (!s->child || !s->grandchild)
		usleep(1000);
	/* The zombie must be a zombie before we are dumped. */
	if (waitid(P_PID, zombie, &(siginfo_t){ 0 }, WEXITED | WNOWAIT) < 0)
		zt_fail("waitid: %m");
	s->phase = 1;
	zt_ready();
	zt_wait();
	s->phase = 2;
	for (int i = 0; i < 5000 && s->child_ok != 3; i++)
		usleep(1000);
	if (s->child_ok != 3)
		zt_fail("children do not see the shared data (ok mask %d)", s->child_ok);
	if (zt_check(anon_sh + 4096, SZ - 4096, 7) || zt_check(memfd_sh, SZ, 8))
		zt_fail("parent lost shared data");
	s->phase = 3;
	if (waitpid(zombie, &status, 0) != zombie || !WIFEXITED(status) || WEXITSTATUS(status) != 42)
		zt_fail("zombie status lost (%#x)", status);
	if (waitpid(c, &status, 0) != c || !WIFEXITED(status) || WEXITSTATUS(status))
		zt_fail("child %d did not exit cleanly (%#x)", c, status);
	zt_pass();
}
