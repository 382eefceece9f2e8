/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Issue 5's "done means": a two-thread program running as uid 1000 (no
 * capabilities, no_new_privs) with non-default rlimits, signal handlers
 * (one SA_ONSTACK on an altstack), blocked masks, pending and queued signals
 * (shared and private to the worker, with values), the three itimers, three
 * POSIX timers (one firing every 20 ms with a value, one armed for 1000 s, one
 * firing at the worker thread: SIGEV_THREAD_ID)
 * and a seccomp filter survives full C/R and behaves the same afterwards:
 * queued signals come out in order with their values, the timers go on
 * firing into their handlers, the armed ones keep their remaining time and
 * intervals, the filter still denies, the altstack handler runs on it.
 *
 * A child process (the tree runs as uid 1000) keeps its own pending signal
 * and resource limit.
 *
 * Overrun counts are not compared: the kernel has no way to set one, so a
 * restored timer starts from 0 (docs/taskstate.md).
 */
#include <errno.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "../lib/zt.h"
#include "zt-ts.h"

#define ALT_SIZE (64 * 1024)
#define SIG_TIMER (SIGRTMIN + 4)
#define SIG_QUEUED (SIGRTMIN + 1)
#define SIG_PRIVATE (SIGRTMIN + 7)
#define TIMER_VALUE 4242

static char altstack[ALT_SIZE];
static volatile int alarms, timer_ticks, bad_timer_value, usr1_on_altstack = -1;
static timer_t periodic, armed;
static struct itimerspec armed_before;
static struct itimerval virt_before, prof_before;
static const struct {
	int res;
	rlim_t cur, max;
} limits[] = {
	{ RLIMIT_NOFILE, 900, 3000 },
	{ RLIMIT_CORE, 0, 0 },
	{ RLIMIT_STACK, 6 << 20, 32 << 20 },
	{ RLIMIT_MSGQUEUE, 4096, 8192 },
};

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void on_timer(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	if (si->si_code != SI_TIMER || si->si_value.sival_int != TIMER_VALUE)
		bad_timer_value = 1;
	timer_ticks++;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	volatile char here;
	(void)sig, (void)si, (void)uc;
	usr1_on_altstack = (char *)&here >= altstack && (char *)&here < altstack + ALT_SIZE;
}

static void handlers(void)
{
	struct sigaction alarm = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	struct sigaction timer = { .sa_sigaction = on_timer, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct sigaction usr1 = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_ONSTACK };
	stack_t ss = { .ss_sp = altstack, .ss_size = ALT_SIZE };
	sigemptyset(&alarm.sa_mask);
	sigemptyset(&timer.sa_mask);
	sigemptyset(&usr1.sa_mask);
	if (sigaction(SIGALRM, &alarm, NULL) < 0 || sigaction(SIG_TIMER, &timer, NULL) < 0 ||
	    sigaction(SIGUSR1, &usr1, NULL) < 0 || sigaltstack(&ss, NULL) < 0)
		zt_fail("handlers: %m");
}

static void block(int a, int b)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, a);
	sigaddset(&s, b);
	if (sigprocmask(SIG_BLOCK, &s, NULL) < 0)
		zt_fail("sigprocmask: %m");
}

static void timers(void)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIG_TIMER,
				.sigev_value.sival_int = TIMER_VALUE };
	struct sigevent none = { .sigev_notify = SIGEV_NONE };
	struct itimerspec every = { { 0, 20 * 1000 * 1000 }, { 0, 20 * 1000 * 1000 } };
	struct itimerspec later = { { 300, 0 }, { 1000, 0 } };
	struct itimerval real = { { 0, 50000 }, { 0, 50000 } }, virt = { { 0, 0 }, { 1000, 0 } };
	struct itimerval prof = { { 500, 0 }, { 500, 0 } };
	if (timer_create(CLOCK_MONOTONIC, &sev, &periodic) < 0 || timer_create(CLOCK_REALTIME, &none, &armed) < 0 ||
	    timer_settime(periodic, 0, &every, NULL) < 0 || timer_settime(armed, 0, &later, NULL) < 0)
		zt_fail("POSIX timers: %m");
	if (setitimer(ITIMER_REAL, &real, NULL) < 0 || setitimer(ITIMER_VIRTUAL, &virt, NULL) < 0 ||
	    setitimer(ITIMER_PROF, &prof, NULL) < 0)
		zt_fail("itimers: %m");
}

static void become_user(void)
{
	gid_t g = 1000;
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		struct rlimit rl = { limits[i].cur, limits[i].max };
		if (setrlimit(limits[i].res, &rl) < 0)
			zt_fail("setrlimit(%d): %m", limits[i].res);
	}
	zt_share_result_dir();
	if (setgroups(1, &g) < 0 || setresgid(1000, 1000, 1000) < 0 || setresuid(1000, 1000, 1000) < 0)
		zt_fail("cannot become uid 1000: %m");
}

static void filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpgrp, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 22),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0)
		zt_fail("seccomp: %m");
}

static int queue_to(pid_t tid, int sig, int value)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = value;
	return (int)syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, sig, &si);
}

static char msg[512];

static const char *take(int sig, int value, const char *who)
{
	sigset_t s;
	siginfo_t si;
	struct timespec zero = { 0, 0 };
	sigemptyset(&s);
	sigaddset(&s, sig);
	int got;
	while ((got = sigtimedwait(&s, &si, &zero)) < 0 && errno == EINTR)
		;
	if (got != sig || (value >= 0 && (si.si_code != SI_QUEUE || si.si_value.sival_int != value))) {
		snprintf(msg, sizeof(msg), "%s: signal %d with value %d not queued (got %d, value %d)", who, sig, value,
			 got, got == sig ? si.si_value.sival_int : 0);
		return msg;
	}
	return NULL;
}

#define SIG_THREAD_TIMER (SIGRTMIN + 8)
#define THREAD_TIMER_VALUE 88
static timer_t worker_timer;

/* The worker blocks everything: process signals go to the main thread.  Its
 * own timer (SIGEV_THREAD_ID) fires every 30 ms into its private queue. */
static void worker_setup(struct zt_worker *w)
{
	sigset_t all;
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIG_THREAD_TIMER,
				.sigev_value.sival_int = THREAD_TIMER_VALUE };
	struct itimerspec every = { { 0, 30 * 1000 * 1000 }, { 0, 30 * 1000 * 1000 } };
	(void)w;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	sev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &worker_timer) < 0 || timer_settime(worker_timer, 0, &every, NULL) < 0)
		zt_fail("worker timer: %m");
}

/* Its timer goes on firing at it: twice, the second one from the timer itself. */
static const char *worker_timer_fires(void)
{
	sigset_t s;
	siginfo_t si;
	struct timespec wait = { 5, 0 };
	sigemptyset(&s);
	sigaddset(&s, SIG_THREAD_TIMER);
	for (int i = 0; i < 2; i++) {
		int got;
		while ((got = sigtimedwait(&s, &si, &wait)) < 0 && errno == EINTR)
			;
		if (got != SIG_THREAD_TIMER || si.si_code != SI_TIMER || si.si_value.sival_int != THREAD_TIMER_VALUE ||
		    si.si_timerid != (int)(intptr_t)worker_timer) {
			snprintf(msg, sizeof(msg), "worker: its timer %ld does not fire at it (got %d code %d value %d timer %d)",
				 (long)(intptr_t)worker_timer, got, si.si_code, si.si_value.sival_int, si.si_timerid);
			return msg;
		}
	}
	return NULL;
}

static const char *worker_check(struct zt_worker *w)
{
	const char *r = take(SIG_PRIVATE, 70, "worker");
	(void)w;
	if (!r)
		r = take(SIG_PRIVATE, 71, "worker");
	if (!r) {
		errno = 0;
		if (syscall(SYS_getpgrp) != -1 || errno != 22)
			r = "worker: the seccomp filter does not deny getpgrp";
	}
	if (!r)
		r = worker_timer_fires();
	return r;
}

static int to_child[2], from_child[2];

/* The child: a lower NOFILE soft limit and a pending SIGUSR2 of its own. */
static void child_main(void)
{
	struct rlimit rl = { 800, 3000 }, now;
	sigset_t s;
	char c, line[200] = "ok";
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || kill(getpid(), SIGUSR2) < 0)
		_exit(1);
	(void)!write(from_child[1], "r", 1);
	while (read(to_child[0], &c, 1) < 0 && errno == EINTR)
		;
	getrlimit(RLIMIT_NOFILE, &now);
	sigpending(&s);
	if (getuid() != 1000 || now.rlim_cur != 800 || now.rlim_max != 3000 || !sigismember(&s, SIGUSR2))
		snprintf(line, sizeof(line), "child: uid %u, NOFILE %llu/%llu, SIGUSR2 pending %d", getuid(),
			 (unsigned long long)now.rlim_cur, (unsigned long long)now.rlim_max, sigismember(&s, SIGUSR2));
	(void)!write(from_child[1], line, strlen(line));
	_exit(0);
}

static void start_child(void)
{
	char c;
	if (pipe(to_child) < 0 || pipe(from_child) < 0)
		zt_fail("pipe: %m");
	pid_t p = fork();
	if (p < 0)
		zt_fail("fork: %m");
	if (p == 0) {
		/* Only its own ends: a dead parent means EOF, not a child left waiting. */
		close(to_child[1]);
		close(from_child[0]);
		child_main();
	}
	close(to_child[0]);
	close(from_child[1]);
	if (read(from_child[0], &c, 1) != 1)
		zt_fail("the child did not start");
}

static const char *ask_child(void)
{
	static char line[256];
	ssize_t n;
	(void)!write(to_child[1], "g", 1);
	while ((n = read(from_child[0], line, sizeof(line) - 1)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return "no answer from the child";
	line[n] = 0;
	return strcmp(line, "ok") ? line : NULL;
}

/* Wait (with a generous bound: this checks behaviour, not timing) until n counts on. */
static bool goes_on(volatile int *n)
{
	int start = *n;
	struct timespec t = { 0, 10 * 1000 * 1000 };
	for (int i = 0; i < 1000 && *n < start + 3; i++)
		nanosleep(&t, NULL);
	return *n >= start + 3;
}

static bool within(const struct timeval *now, const struct timeval *was, long slack_us)
{
	long long n = now->tv_sec * 1000000ll + now->tv_usec, w = was->tv_sec * 1000000ll + was->tv_usec;
	return n > 0 && n <= w + slack_us;
}

static const char *check_timers(void)
{
	struct itimerspec a;
	struct itimerval v, p;
	if (timer_gettime(armed, &a) < 0 || timer_gettime(periodic, &a) < 0 || timer_gettime(armed, &a) < 0)
		return "a POSIX timer is gone (its id changed)";
	if (a.it_interval.tv_sec != 300 || a.it_value.tv_sec > armed_before.it_value.tv_sec ||
	    (a.it_value.tv_sec == 0 && a.it_value.tv_nsec == 0)) {
		snprintf(msg, sizeof(msg), "armed timer: %ld s left every %ld s, had %ld s", (long)a.it_value.tv_sec,
			 (long)a.it_interval.tv_sec, (long)armed_before.it_value.tv_sec);
		return msg;
	}
	getitimer(ITIMER_VIRTUAL, &v);
	getitimer(ITIMER_PROF, &p);
	/* CPU-time itimers come back up to one tick (4 ms at HZ=250) longer. */
	if (!within(&v.it_value, &virt_before.it_value, 10000) || v.it_interval.tv_sec || v.it_interval.tv_usec ||
	    !within(&p.it_value, &prof_before.it_value, 10000) || p.it_interval.tv_sec != 500) {
		snprintf(msg, sizeof(msg), "itimers: virtual %ld.%06ld (had %ld.%06ld), prof %ld.%06ld every %ld s",
			 (long)v.it_value.tv_sec, (long)v.it_value.tv_usec, (long)virt_before.it_value.tv_sec,
			 (long)virt_before.it_value.tv_usec, (long)p.it_value.tv_sec, (long)p.it_value.tv_usec,
			 (long)p.it_interval.tv_sec);
		return msg;
	}
	if (!goes_on(&timer_ticks) || bad_timer_value)
		return "the 20 ms POSIX timer does not go on firing into its handler with its value";
	if (!goes_on(&alarms)) {
		struct itimerval real;
		sigset_t pend, blk;
		getitimer(ITIMER_REAL, &real);
		sigpending(&pend);
		sigprocmask(SIG_BLOCK, NULL, &blk);
		snprintf(msg, sizeof(msg), "ITIMER_REAL (%ld.%06ld every %ld.%06ld) does not go on firing SIGALRM "
			 "(pending %d, blocked %d)", (long)real.it_value.tv_sec, (long)real.it_value.tv_usec,
			 (long)real.it_interval.tv_sec, (long)real.it_interval.tv_usec, sigismember(&pend, SIGALRM),
			 sigismember(&blk, SIGALRM));
		return msg;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct zt_worker w = { .setup = worker_setup, .check = worker_check };
	const char *r;

	zt_init(argc, argv);
	become_user();
	handlers();
	block(SIG_QUEUED, SIGUSR2);
	start_child();
	zt_worker_start(&w);
	filter();
	timers();
	if (sigqueue(getpid(), SIG_QUEUED, (union sigval){ .sival_int = 7 }) < 0 ||
	    sigqueue(getpid(), SIG_QUEUED, (union sigval){ .sival_int = 8 }) < 0 ||
	    sigqueue(getpid(), SIG_QUEUED, (union sigval){ .sival_int = 9 }) < 0 || kill(getpid(), SIGUSR2) < 0 ||
	    queue_to(w.tid, SIG_PRIVATE, 70) < 0 || queue_to(w.tid, SIG_PRIVATE, 71) < 0)
		zt_fail("queueing signals: %m");
	if (!goes_on(&timer_ticks) || !goes_on(&alarms))
		zt_fail("the timers do not fire before the dump");
	timer_gettime(armed, &armed_before);
	getitimer(ITIMER_VIRTUAL, &virt_before);
	getitimer(ITIMER_PROF, &prof_before);
	zt_ready();
	zt_wait();

	if (getuid() != 1000 || geteuid() != 1000 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		zt_fail("uid %u euid %u no_new_privs %d after restore", getuid(), geteuid(),
			prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		struct rlimit now;
		getrlimit(limits[i].res, &now);
		if (now.rlim_cur != limits[i].cur || now.rlim_max != limits[i].max)
			zt_fail("limit %d is %llu/%llu", limits[i].res, (unsigned long long)now.rlim_cur,
				(unsigned long long)now.rlim_max);
	}
	errno = 0;
	if (syscall(SYS_getpgrp) != -1 || errno != 22)
		zt_fail("the seccomp filter does not deny getpgrp");
	r = take(SIG_QUEUED, 7, "main");
	if (!r)
		r = take(SIG_QUEUED, 8, "main");
	if (!r)
		r = take(SIG_QUEUED, 9, "main");
	if (!r)
		r = take(SIGUSR2, -1, "main");
	if (!r)
		r = zt_worker_check(&w);
	if (!r)
		r = check_timers();
	if (!r)
		r = ask_child();
	if (r)
		zt_fail("%s", r);
	raise(SIGUSR1);
	if (usr1_on_altstack != 1)
		zt_fail("the SA_ONSTACK handler did not run on the altstack (%d)", usr1_on_altstack);
	zt_pass();
}
