/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Threads across C/R: every thread keeps its tid, its TLS (a __thread variable
 * and the fs base behind it), its own signal mask, its robust futex list, its
 * rseq registration and its name, while it waits in FUTEX_WAIT (restarted
 * after restore).  After restore the main thread wakes them and each checks
 * itself.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "lib/zt.h"

#define N 4
#define RSEQ_SIG_ 0x53053053

extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));

static __thread uint64_t tls_value;
static int go, started;

struct th {
	pthread_t t;
	int idx;
	pid_t tid;
	void *robust_head;
	size_t robust_len;
	char error[160];
};
static struct th th[N];

static bool rseq_registered(void)
{
	if (!&__rseq_size || !__rseq_size)
		return true; /* libc does not register: nothing to check */
	void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
	unsigned len = __rseq_size < 32 ? 32 : __rseq_size;
	/* Registering again with the same area fails with EBUSY only if it is registered. */
	long r = syscall(SYS_rseq, area, len, 0, RSEQ_SIG_);
	if (r < 0 && errno == EINVAL)
		r = syscall(SYS_rseq, area, __rseq_size, 0, RSEQ_SIG_);
	return r < 0 && errno == EBUSY;
}

static int check_self(struct th *me)
{
	sigset_t cur;
	char name[17] = "", want[17];
	void *head;
	size_t len;

	if (syscall(SYS_gettid) != me->tid)
		return snprintf(me->error, sizeof(me->error), "thread %d: tid is %ld now", me->tid, syscall(SYS_gettid));
	if (tls_value != 0x5100000000ull + (uint64_t)me->idx)
		return snprintf(me->error, sizeof(me->error), "thread %d: TLS value %#llx", me->tid,
				(unsigned long long)tls_value);
	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	if (sigismember(&cur, SIGRTMIN + me->idx) != 1 || sigismember(&cur, SIGRTMIN + me->idx + 1) != 0)
		return snprintf(me->error, sizeof(me->error), "thread %d: signal mask changed", me->tid);
	if (syscall(SYS_get_robust_list, 0, &head, &len) < 0 || head != me->robust_head || len != me->robust_len)
		return snprintf(me->error, sizeof(me->error), "thread %d: robust list %p/%zu, was %p/%zu",
				me->tid, head, len, me->robust_head, me->robust_len);
	if (!rseq_registered())
		return snprintf(me->error, sizeof(me->error), "thread %d: rseq is not registered", me->tid);
	prctl(PR_GET_NAME, name);
	snprintf(want, sizeof(want), "zt-worker-%d", me->idx);
	if (strcmp(name, want))
		return snprintf(me->error, sizeof(me->error), "thread %d: name '%s'", me->tid, name);
	return 0;
}

static void *worker(void *arg)
{
	struct th *me = arg;
	sigset_t set;
	char name[16];

	me->tid = (pid_t)syscall(SYS_gettid);
	tls_value = 0x5100000000ull + (uint64_t)me->idx;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + me->idx);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	syscall(SYS_get_robust_list, 0, &me->robust_head, &me->robust_len);
	snprintf(name, sizeof(name), "zt-worker-%d", me->idx);
	prctl(PR_SET_NAME, name);
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	/* Blocked in a restartable syscall through dump and restore. */
	while (!__atomic_load_n(&go, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &go, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	if (check_self(me) > 0)
		return me->error;
	return NULL;
}

int main(int argc, char **argv)
{
	zt_init(argc, argv);
	tls_value = 0x5100000000ull + 99;
	for (int i = 0; i < N; i++) {
		th[i].idx = i;
		if (pthread_create(&th[i].t, NULL, worker, &th[i]))
			zt_fail("pthread_create failed");
	}
	while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < N)
		usleep(1000);
	usleep(10000); /* let them reach FUTEX_WAIT */

	zt_ready();
	zt_wait();

	if (tls_value != 0x5100000000ull + 99)
		zt_fail("main thread TLS value %#llx", (unsigned long long)tls_value);
	__atomic_store_n(&go, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &go, FUTEX_WAKE_PRIVATE, N, NULL, NULL, 0);
	for (int i = 0; i < N; i++) {
		void *ret;
		pthread_join(th[i].t, &ret);
		if (ret)
			zt_fail("%s", (char *)ret);
	}
	zt_pass();
}
