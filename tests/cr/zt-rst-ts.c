/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Task state across a full dump and restore (cr/restore-ts.c); the task
 * checks it itself.  One mode per run:
 *
 *   timers   POSIX timers with ids 0 and 2 (1 deleted: a gap), 0 armed for
 *            1000 s with a 500 s interval, 2 disarmed: after restore both ids
 *            exist with those settings (ts-timers)
 *   rlimits  RLIMIT_NOFILE soft 777, RLIMIT_CORE 0/0 lowered (ts-rlimits)
 *   cwd      working directory /usr/share (ts-proc)
 *   sched    SCHED_BATCH, nice 5, affinity CPU 0 only (ts-sched)
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "lib/zt.h"

static timer_t make_timer(void)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN + 2 };
	timer_t t;
	if (timer_create(CLOCK_MONOTONIC, &sev, &t) < 0)
		zt_fail("timer_create: %m");
	return t;
}

static void do_timers(void)
{
	timer_t t0 = make_timer(), t1 = make_timer(), t2 = make_timer();
	struct itimerspec on = { .it_value = { 1000, 0 }, .it_interval = { 500, 0 } }, cur;
	if ((long)(intptr_t)t0 != 0 || (long)(intptr_t)t2 != 2)
		zt_skip("timer ids are not 0, 1, 2 here (%ld, %ld)", (long)(intptr_t)t0, (long)(intptr_t)t2);
	if (timer_delete(t1) < 0 || timer_settime(t0, 0, &on, NULL) < 0)
		zt_fail("timer setup: %m");
	zt_ready();
	zt_wait();
	if (timer_gettime(t0, &cur) < 0)
		zt_fail("timer 0 is gone after restore: %m");
	if (cur.it_value.tv_sec <= 0 || cur.it_value.tv_sec > 1000 || cur.it_interval.tv_sec != 500)
		zt_fail("timer 0: %lds left, interval %lds (want <= 1000 s, 500 s)", (long)cur.it_value.tv_sec,
			(long)cur.it_interval.tv_sec);
	if (timer_gettime(t2, &cur) < 0)
		zt_fail("timer 2 is gone after restore: %m");
	if (cur.it_value.tv_sec || cur.it_value.tv_nsec)
		zt_fail("timer 2 is armed after restore");
	if (timer_gettime(t1, &cur) == 0 || errno != EINVAL)
		zt_fail("timer 1 (deleted before the dump) exists after restore");
}

static void do_rlimits(void)
{
	struct rlimit nofile, core = { 0, 0 }, cur;
	if (getrlimit(RLIMIT_NOFILE, &nofile) < 0)
		zt_fail("getrlimit: %m");
	nofile.rlim_cur = 777;
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0 || setrlimit(RLIMIT_CORE, &core) < 0)
		zt_fail("setrlimit: %m");
	zt_ready();
	zt_wait();
	if (getrlimit(RLIMIT_NOFILE, &cur) < 0 || cur.rlim_cur != 777 || cur.rlim_max != nofile.rlim_max)
		zt_fail("RLIMIT_NOFILE is %llu/%llu, not 777/%llu", (unsigned long long)cur.rlim_cur,
			(unsigned long long)cur.rlim_max, (unsigned long long)nofile.rlim_max);
	if (getrlimit(RLIMIT_CORE, &cur) < 0 || cur.rlim_cur || cur.rlim_max)
		zt_fail("RLIMIT_CORE is %llu/%llu, not 0/0", (unsigned long long)cur.rlim_cur,
			(unsigned long long)cur.rlim_max);
}

static void do_cwd(void)
{
	char buf[256];
	if (chdir("/usr/share") < 0)
		zt_fail("chdir: %m");
	zt_ready();
	zt_wait();
	if (!getcwd(buf, sizeof(buf)) || strcmp(buf, "/usr/share"))
		zt_fail("cwd is %s, not /usr/share", getcwd(buf, sizeof(buf)) ? buf : "?");
}

static void do_sched(void)
{
	struct sched_param sp = { 0 };
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setscheduler(0, SCHED_BATCH, &sp) < 0 || setpriority(PRIO_PROCESS, 0, 5) < 0 ||
	    sched_setaffinity(0, sizeof(set), &set) < 0)
		zt_fail("sched setup: %m");
	zt_ready();
	zt_wait();
	errno = 0;
	int nice = getpriority(PRIO_PROCESS, 0);
	if (sched_getscheduler(0) != SCHED_BATCH)
		zt_fail("policy is %d, not SCHED_BATCH", sched_getscheduler(0));
	if (nice != 5)
		zt_fail("nice is %d, not 5", nice);
	if (sched_getaffinity(0, sizeof(set), &set) < 0 || CPU_COUNT(&set) != 1 || !CPU_ISSET(0, &set))
		zt_fail("affinity is not CPU 0 alone (%d CPUs)", CPU_COUNT(&set));
}

int main(int argc, char **argv)
{
	zt_init(argc, argv);
	if (argc < 2)
		zt_fail("usage: zt-rst-ts timers|rlimits|cwd");
	if (!strcmp(argv[1], "timers"))
		do_timers();
	else if (!strcmp(argv[1], "rlimits"))
		do_rlimits();
	else if (!strcmp(argv[1], "cwd"))
		do_cwd();
	else if (!strcmp(argv[1], "sched"))
		do_sched();
	else
		zt_fail("unknown mode %s", argv[1]);
	zt_pass();
}
