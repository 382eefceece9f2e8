/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tasks blocked in syscalls across C/R behave as after a signal: a child in
 * FUTEX_WAIT and a child in wait4 (both -ERESTARTSYS) are back in their
 * syscall after restore and complete normally; a child in nanosleep
 * (-ERESTART_RESTARTBLOCK, whose kernel state is gone) returns EINTR.
 */
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/zt.h"

struct shared {
	int wake;		/* futex word */
	int futex_ret, futex_errno, futex_done;
	int sleep_ret, sleep_errno, sleep_done;
	int wait_status, wait_done;
	int in_futex, in_sleep, in_wait;
	int grandchild_go;
};

static struct shared *s;

static void child_futex(void)
{
	__atomic_store_n(&s->in_futex, 1, __ATOMIC_SEQ_CST);
	long r = syscall(SYS_futex, &s->wake, FUTEX_WAIT, 0, NULL, NULL, 0);
	s->futex_errno = r < 0 ? errno : 0;
	s->futex_ret = (int)r;
	__atomic_store_n(&s->futex_done, 1, __ATOMIC_SEQ_CST);
	_exit(0);
}

static void child_sleep(void)
{
	struct timespec ts = { 1000, 0 };
	__atomic_store_n(&s->in_sleep, 1, __ATOMIC_SEQ_CST);
	int r = nanosleep(&ts, &ts);
	s->sleep_errno = r < 0 ? errno : 0;
	s->sleep_ret = r;
	__atomic_store_n(&s->sleep_done, 1, __ATOMIC_SEQ_CST);
	_exit(0);
}

static void child_wait(void)
{
	pid_t g = fork();
	if (g == 0) {
		while (!__atomic_load_n(&s->grandchild_go, __ATOMIC_SEQ_CST))
			usleep(1000);
		_exit(5);
	}
	int st = 0;
	__atomic_store_n(&s->in_wait, 1, __ATOMIC_SEQ_CST);
	pid_t r = waitpid(g, &st, 0);
	s->wait_status = r == g ? st : -1;
	__atomic_store_n(&s->wait_done, 1, __ATOMIC_SEQ_CST);
	_exit(0);
}

static void wait_flag(int *flag, const char *what)
{
	for (int i = 0; i < 5000 && !__atomic_load_n(flag, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	if (!__atomic_load_n(flag, __ATOMIC_SEQ_CST))
		zt_fail("%s did not finish within 5 s", what);
}

int main(int argc, char **argv)
{
	pid_t kids[3];

	zt_init(argc, argv);
	s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		zt_fail("mmap: %m");
	void (*fns[3])(void) = { child_futex, child_sleep, child_wait };
	for (int i = 0; i < 3; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			fns[i]();
		}
	}
	while (!s->in_futex || !s->in_sleep || !s->in_wait)
		usleep(1000);
	usleep(50000); /* let them block */

	zt_ready();
	zt_wait();

	/* Non-restartable: nanosleep came back with EINTR on its own. */
	wait_flag(&s->sleep_done, "nanosleep");
	if (s->sleep_ret != -1 || s->sleep_errno != EINTR)
		zt_fail("nanosleep returned %d (errno %d), expected EINTR", s->sleep_ret, s->sleep_errno);
	/* Restartable: still waiting, so nothing came back yet. */
	usleep(100000);
	if (s->futex_done)
		zt_fail("FUTEX_WAIT returned %d (errno %d) before it was woken", s->futex_ret, s->futex_errno);
	if (s->wait_done)
		zt_fail("wait4 returned before its child exited");
	__atomic_store_n(&s->wake, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &s->wake, FUTEX_WAKE, 1, NULL, NULL, 0);
	wait_flag(&s->futex_done, "FUTEX_WAIT");
	if (s->futex_ret != 0)
		zt_fail("FUTEX_WAIT returned %d (errno %d), expected 0 (woken)", s->futex_ret, s->futex_errno);
	__atomic_store_n(&s->grandchild_go, 1, __ATOMIC_SEQ_CST);
	wait_flag(&s->wait_done, "wait4");
	if (!WIFEXITED(s->wait_status) || WEXITSTATUS(s->wait_status) != 5)
		zt_fail("wait4 gave status %#x, expected exit 5", s->wait_status);
	for (int i = 0; i < 3; i++)
		waitpid(kids[i], NULL, 0);
	zt_pass();
}
