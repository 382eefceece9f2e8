/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sessions, process groups and zombies across C/R.  The root leads the
 * session; A leads a group that B joins; C leads a second session where D
 * is in C's group and E leads its own; Y joined the group of Z, which then
 * died: a zombie group leader; W died of a signal.  After restore every pid,
 * pgid and sid is as before, and the zombies are still unreaped with their
 * exit status.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/zt.h"

enum { A, B, C, D, E, Y, NT };
static const char *names = "ABCDEY";

struct shared {
	int phase;		/* 1: set up, 2: report ids, 3: exit */
	int ready[NT];
	pid_t pid[NT], pgid[NT], sid[NT];
	pid_t pgid2[NT], sid2[NT];
	int reported[NT];
};
static struct shared *s;
static int zpipe[2] = { -1, -1 };

static void record(int who)
{
	s->pid[who] = getpid();
	s->pgid[who] = getpgid(0);
	s->sid[who] = getsid(0);
	__atomic_store_n(&s->ready[who], 1, __ATOMIC_SEQ_CST);
}

/* Wait for "report", report again, wait for "exit" and reap own children. */
static _Noreturn void idle(int who, pid_t child)
{
	while (__atomic_load_n(&s->phase, __ATOMIC_SEQ_CST) < 2)
		usleep(1000);
	s->pgid2[who] = getpgid(0);
	s->sid2[who] = getsid(0);
	__atomic_store_n(&s->reported[who], 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&s->phase, __ATOMIC_SEQ_CST) < 3)
		usleep(1000);
	if (child > 0)
		waitpid(child, NULL, 0);
	_exit(0);
}

static void wait_ready(int who)
{
	while (!__atomic_load_n(&s->ready[who], __ATOMIC_SEQ_CST))
		usleep(1000);
}

static pid_t spawn(int who, pid_t pgid)
{
	pid_t p = fork();
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (zpipe[0] >= 0) {
			close(zpipe[0]);
			close(zpipe[1]);
		}
		if (pgid >= 0)
			setpgid(0, pgid);
		record(who);
		idle(who, 0);
	}
	return p;
}

int main(int argc, char **argv)
{
	pid_t kid[NT];

	zt_init(argc, argv);
	s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		zt_fail("mmap: %m");
	if (getsid(0) != getpid())
		zt_skip("not started as a session leader");

	kid[A] = spawn(A, 0);
	wait_ready(A);
	kid[B] = spawn(B, kid[A]);
	kid[C] = fork();
	if (kid[C] == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setsid();
		pid_t d = fork();
		if (d == 0) {
			pid_t e = fork();
			if (e == 0) {
				setpgid(0, 0);
				record(E);
				idle(E, 0);
			}
			record(D);
			idle(D, e);
		}
		record(C);
		idle(C, d);
	}
	/* Z leads a group, Y joins it, then Z dies: a zombie group leader. */
	if (pipe(zpipe) < 0)
		zt_fail("pipe: %m");
	pid_t z = fork();
	if (z == 0) {
		char c;
		setpgid(0, 0);
		close(zpipe[1]);
		if (read(zpipe[0], &c, 1) < 0)
			_exit(1);
		_exit(7);
	}
	setpgid(z, z); /* both sides, so Y cannot race ahead of Z's own setpgid */
	kid[Y] = spawn(Y, z);
	wait_ready(Y);
	close(zpipe[0]);
	close(zpipe[1]); /* Z exits */
	pid_t w = fork();
	if (w == 0) {
		signal(SIGUSR1, SIG_DFL);
		raise(SIGUSR1);
		_exit(1);
	}
	for (int i = 0; i < NT; i++)
		wait_ready(i);
	siginfo_t si;
	if (waitid(P_PID, z, &si, WEXITED | WNOWAIT) < 0 || waitid(P_PID, w, &si, WEXITED | WNOWAIT) < 0)
		zt_fail("waitid: %m");

	zt_ready();
	zt_wait();

	if (getsid(0) != getpid() || getpgid(0) != getpid())
		zt_fail("root: sid %d pgid %d, expected %d", getsid(0), getpgid(0), getpid());
	__atomic_store_n(&s->phase, 2, __ATOMIC_SEQ_CST);
	for (int i = 0; i < NT; i++) {
		for (int t = 0; t < 5000 && !__atomic_load_n(&s->reported[i], __ATOMIC_SEQ_CST); t++)
			usleep(1000);
		if (!s->reported[i])
			zt_fail("%c did not report after restore", names[i]);
		if (s->pgid2[i] != s->pgid[i] || s->sid2[i] != s->sid[i])
			zt_fail("%c (pid %d): pgid %d sid %d, was pgid %d sid %d", names[i], s->pid[i],
				s->pgid2[i], s->sid2[i], s->pgid[i], s->sid[i]);
	}
	/* Expected shape, independently of what was recorded. */
	if (s->pgid[B] != s->pid[A] || s->sid[C] != s->pid[C] || s->sid[D] != s->pid[C] ||
	    s->pgid[D] != s->pid[C] || s->pgid[E] != s->pid[E] || s->sid[E] != s->pid[C] || s->pgid[Y] != z)
		zt_fail("the tree was not set up as intended");
	int st;
	if (waitpid(z, &st, WNOHANG) != z || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
		zt_fail("zombie group leader %d: not a zombie with exit status 7 after restore", z);
	if (waitpid(w, &st, WNOHANG) != w || !WIFSIGNALED(st) || WTERMSIG(st) != SIGUSR1)
		zt_fail("zombie %d: not a zombie killed by SIGUSR1 after restore", w);
	__atomic_store_n(&s->phase, 3, __ATOMIC_SEQ_CST);
	for (int i = 0; i < NT; i++)
		if (i == A || i == B || i == C || i == Y)
			waitpid(kid[i], NULL, 0);
	zt_pass();
}
