/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The original task's state: non-root uid with groups and dropped caps,
 * non-default rlimits, handlers, masks, altstacks, queued signals with
 * values, itimers, POSIX timers (one aimed at a thread), a seccomp filter,
 * sched policies, affinities, personality, umask, cwd, comm and prctl state.
 */
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "util.h"
#include "ts-test.h"

#define CHECK(x) do { if ((x) < 0) { fprintf(stderr, "setup: %s: %m\n", #x); return -1; } } while (0)

static char altstack_main[16384], altstack_worker[16384];

static void handler(int sig _unused_, siginfo_t *si _unused_, void *uc _unused_)
{
}

static int setup_rlimits(void)
{
	static const struct { int res; rlim_t cur, max; } l[] = {
		{ RLIMIT_NOFILE, 512, 1024 },
		{ RLIMIT_CORE, 0, 1000000 },
		{ RLIMIT_STACK, 4 << 20, RLIM_INFINITY },
		{ RLIMIT_NPROC, 4000, 5000 },
		{ RLIMIT_MEMLOCK, 65536, 131072 },
		{ RLIMIT_CPU, 100000, 200000 },
		{ RLIMIT_MSGQUEUE, 100000, 200000 },
		{ RLIMIT_SIGPENDING, 5000, 6000 },
	};

	for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++) {
		struct rlimit r = { l[i].cur, l[i].max };

		CHECK(setrlimit(l[i].res, &r));
	}
	return 0;
}

static int setup_sigactions(void)
{
	struct sigaction sa = { .sa_sigaction = handler, .sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK };
	int sigs[] = { SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGTERM, SIGRTMIN + 1, SIGRTMIN + 2, SIGRTMIN + 3,
		       SIGRTMIN + 5 };

	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGHUP);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		CHECK(sigaction(sigs[i], &sa, NULL));
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	CHECK(sigaction(SIGPIPE, &sa, NULL));
	return 0;
}

/* Blocked in every thread, so queued instances stay queued. */
static void add_common_blocked(sigset_t *s)
{
	sigaddset(s, SIGUSR1);
	sigaddset(s, SIGRTMIN + 1);
	sigaddset(s, SIGRTMIN + 2);
	sigaddset(s, SIGRTMIN + 3);
	sigaddset(s, SIGALRM);
}

static int setup_creds(void)
{
	gid_t groups[] = { 100, 200, 300 };
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	uint64_t prm = 1ull << CAP_KILL | 1ull << CAP_NET_BIND_SERVICE | 1ull << CAP_CHOWN;
	uint64_t eff = 1ull << CAP_KILL, inh = 1ull << CAP_NET_BIND_SERVICE;
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
		{ 0, 0, 0 },
	};

	CHECK(prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0));
	CHECK(prctl(PR_CAPBSET_DROP, CAP_MKNOD, 0, 0, 0));
	CHECK(setgroups(3, groups));
	CHECK(setresgid(1000, 1001, 1002));
	CHECK(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS | SECBIT_NOROOT, 0, 0, 0));
	CHECK(setresuid(1000, 1001, 1002));
	CHECK(syscall(SYS_capset, &h, d));
	CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0));
	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	CHECK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	return 0;
}

static int setup_prctl(void)
{
	CHECK(prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0));
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	CHECK(prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
	CHECK(prctl(PR_SET_TIMERSLACK, 123456, 0, 0, 0));
	return 0;
}

static int setup_main_thread(void)
{
	stack_t ss = { .ss_sp = altstack_main, .ss_size = sizeof(altstack_main) };
	struct sched_param sp = { 0 };
	sigset_t mask;
	cpu_set_t cpus;

	CHECK(sched_setscheduler(0, SCHED_BATCH, &sp));
	CHECK(setpriority(PRIO_PROCESS, 0, 5));
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	CHECK(sched_setaffinity(0, sizeof(cpus), &cpus));
	CHECK(sigaltstack(&ss, NULL));
	sigemptyset(&mask);
	add_common_blocked(&mask);
	sigaddset(&mask, SIGTERM);
	CHECK(sigprocmask(SIG_SETMASK, &mask, NULL));
	CHECK(prctl(PR_SET_NAME, "ts-main", 0, 0, 0));
	return 0;
}

static int setup_worker_thread(void *arg _unused_)
{
	stack_t ss = { .ss_sp = altstack_worker, .ss_size = sizeof(altstack_worker) };
	struct sched_param sp = { 0 };
	sigset_t mask;
	cpu_set_t cpus;

	CHECK(sched_setscheduler(0, SCHED_IDLE, &sp));
	CPU_ZERO(&cpus);
	CPU_SET(sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0, &cpus);
	CHECK(sched_setaffinity(0, sizeof(cpus), &cpus));
	CHECK(sigaltstack(&ss, NULL));
	sigemptyset(&mask);
	add_common_blocked(&mask);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGRTMIN + 5);
	CHECK(sigprocmask(SIG_SETMASK, &mask, NULL));
	CHECK(prctl(PR_SET_NAME, "ts-worker", 0, 0, 0));
	return 0;
}

static int make_timer(clockid_t clock, int notify, int sig, int value, pid_t tid, time_t secs, time_t interval,
		      int *id)
{
	struct sigevent sev = { 0 };
	struct itimerspec its = { { interval, 0 }, { secs, 0 } };

	sev.sigev_notify = notify;
	sev.sigev_signo = sig;
	sev.sigev_value.sival_int = value;
	sev._sigev_un._tid = tid;
	CHECK(syscall(SYS_timer_create, clock, &sev, id));
	if (secs)
		CHECK(syscall(SYS_timer_settime, *id, 0, &its, NULL));
	return 0;
}

static int setup_timers(pid_t worker_tid)
{
	struct itimerval real = { { 500, 0 }, { 1000, 0 } }, virt = { { 0, 0 }, { 900, 0 } },
			 prof = { { 1, 0 }, { 800, 0 } };
	int a, b, c, d;

	CHECK(setitimer(ITIMER_REAL, &real, NULL));
	CHECK(setitimer(ITIMER_VIRTUAL, &virt, NULL));
	CHECK(setitimer(ITIMER_PROF, &prof, NULL));
	/* Ids with a gap: create four, delete the second. */
	if (make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGRTMIN + 2, 7, 0, 1000, 0, &a) < 0 ||
	    make_timer(CLOCK_REALTIME, SIGEV_NONE, 0, 0, 0, 0, 0, &b) < 0 ||
	    make_timer(CLOCK_REALTIME, SIGEV_NONE, SIGALRM, 8, 0, 500, 3, &c) < 0 ||
	    make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL | SIGEV_THREAD_ID, SIGRTMIN + 3, 9, worker_tid, 700, 0, &d) < 0)
		return -1;
	CHECK(syscall(SYS_timer_delete, b));
	return 0;
}

static int queue(pid_t tid, int sig, int value)
{
	siginfo_t si = { 0 };

	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = value;
	if (tid)
		return syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, sig, &si);
	return syscall(SYS_rt_sigqueueinfo, getpid(), sig, &si);
}

static int setup_pending(pid_t worker_tid)
{
	CHECK(queue(0, SIGRTMIN + 1, 41));
	CHECK(queue(0, SIGRTMIN + 1, 42));
	CHECK(queue(0, SIGUSR1, 43));
	CHECK(queue(0, SIGRTMIN + 2, 44));
	CHECK(queue(getpid(), SIGTERM, 45));
	CHECK(queue(worker_tid, SIGRTMIN + 5, 46));
	CHECK(queue(worker_tid, SIGUSR2, 47));
	CHECK(queue(worker_tid, SIGRTMIN + 5, 48));
	return 0;
}

/* Deny acct(2) with errno 42: a filter that is easy to see working. */
static int setup_seccomp(void)
{
	struct sock_filter f1[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_acct, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 42),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_filter f2[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_swapon, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 43),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog p1 = { 4, f1 }, p2 = { 4, f2 };

	CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &p1));
	CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &p2));
	return 0;
}

int scenario_setup(struct worker *w)
{
	char dir[] = "/tmp/ts-cwd-XXXXXX";

	if (setup_rlimits() < 0 || setup_sigactions() < 0)
		return -1;
	CHECK(personality(ADDR_NO_RANDOMIZE | ADDR_COMPAT_LAYOUT) );
	umask(027);
	if (!mkdtemp(dir))
		return -1;
	CHECK(chmod(dir, 0755));
	CHECK(chdir(dir));
	if (setup_creds() < 0 || setup_prctl() < 0 || setup_main_thread() < 0)
		return -1;
	/* The worker inherits the creds (set per thread by the kernel). */
	if (worker_start(w) < 0 || worker_run(w, setup_worker_thread, NULL) < 0)
		return -1;
	if (setup_timers(w->tid) < 0 || setup_pending(w->tid) < 0 || setup_seccomp() < 0)
		return -1;
	return 0;
}
