/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-thread names and scheduling, and prctl state, across full C/R:
 *
 *   - main thread: name "zt-main", SCHED_OTHER nice 3, timer slack 123456 ns,
 *     child subreaper, THP disabled, personality ADDR_NO_RANDOMIZE, umask 027;
 *   - worker 1: name "zt-worker-1", SCHED_BATCH nice 7, CPU 1 only (CPU 0 on a
 *     single-CPU machine), slack 222222 ns; worker 2: "zt-worker-2",
 *     SCHED_IDLE nice 9, CPU 0, slack 333333 ns;
 *   - a child process with parent-death signal SIGUSR2 (its parent, the
 *     task, outlives the restore: cryo-cr's exit must not fire it).
 *
 * Each thread checks its own name, policy, nice and affinity.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "../lib/zt.h"
#include "zt-ts.h"

#define PERSONA ADDR_NO_RANDOMIZE
#define UMASK 027

struct want {
	const char *name;
	int policy, nice, cpu;	/* cpu -1: any */
	int slack;		/* timer slack (ns), per thread */
};

static char msg[512];
static int ncpus;

static void set_thread(const struct want *w)
{
	struct sched_param p = { 0 };
	if (prctl(PR_SET_NAME, w->name, 0, 0, 0) < 0)
		zt_fail("PR_SET_NAME: %m");
	if (sched_setscheduler(0, w->policy, &p) < 0 || setpriority(PRIO_PROCESS, 0, w->nice) < 0)
		zt_fail("%s: scheduling: %m", w->name);
	if (w->cpu >= 0) {
		cpu_set_t s;
		CPU_ZERO(&s);
		CPU_SET(w->cpu, &s);
		if (sched_setaffinity(0, sizeof(s), &s) < 0)
			zt_fail("%s: affinity: %m", w->name);
	}
	if (prctl(PR_SET_TIMERSLACK, w->slack, 0, 0, 0) < 0)
		zt_fail("%s: PR_SET_TIMERSLACK: %m", w->name);
}

static const char *check_thread(const struct want *w)
{
	char name[32] = "";
	cpu_set_t s;
	prctl(PR_GET_NAME, name, 0, 0, 0);
	errno = 0;
	int policy = sched_getscheduler(0), nice = getpriority(PRIO_PROCESS, 0);
	int slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	if (strcmp(name, w->name) || policy != w->policy || nice != w->nice || slack != w->slack) {
		snprintf(msg, sizeof(msg), "thread %s: name '%s' policy %d nice %d slack %d, want policy %d nice %d slack %d",
			 w->name, name, policy, nice, slack, w->policy, w->nice, w->slack);
		return msg;
	}
	if (sched_getaffinity(0, sizeof(s), &s) < 0)
		return "sched_getaffinity failed";
	int count = CPU_COUNT(&s);
	if (w->cpu >= 0 ? count != 1 || !CPU_ISSET(w->cpu, &s) : count != ncpus) {
		snprintf(msg, sizeof(msg), "thread %s: %d CPUs in its affinity (want cpu %d)", w->name, count, w->cpu);
		return msg;
	}
	return NULL;
}

static void worker_setup(struct zt_worker *w)
{
	set_thread(w->data);
}

static const char *worker_check(struct zt_worker *w)
{
	return check_thread(w->data);
}

static int to_child[2], from_child[2];

static void child_main(void)
{
	char c, line[256];
	if (prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0) < 0)
		_exit(1);
	(void)!write(from_child[1], "r", 1);
	while (read(to_child[0], &c, 1) < 0 && errno == EINTR)
		;
	int sig = -1;
	prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
	if (sig == SIGUSR2)
		snprintf(line, sizeof(line), "ok");
	else
		snprintf(line, sizeof(line), "child: parent-death signal %d, want %d", sig, SIGUSR2);
	(void)!write(from_child[1], line, strlen(line));
	_exit(0);
}

static const char *ask_child(void)
{
	static char line[256];
	(void)!write(to_child[1], "g", 1);
	ssize_t n;
	while ((n = read(from_child[0], line, sizeof(line) - 1)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return "no answer from the child";
	line[n] = 0;
	return strcmp(line, "ok") ? line : NULL;
}

static const char *check_main(const struct want *w)
{
	int sub = -1;
	prctl(PR_GET_CHILD_SUBREAPER, &sub, 0, 0, 0);
	int thp = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
	int pers = personality(0xffffffff);
	mode_t mask = umask(0);
	umask(mask);
	if (sub != 1 || thp != 1 || pers != PERSONA || mask != UMASK) {
		snprintf(msg, sizeof(msg), "subreaper %d THP disable %d personality %#x umask %03o, want 1 1 %#x %03o", sub,
			 thp, pers, mask, PERSONA, UMASK);
		return msg;
	}
	return check_thread(w);
}

int main(int argc, char **argv)
{
	static const struct want main_want = { "zt-main", SCHED_OTHER, 3, -1, 123456 };
	struct want w1 = { "zt-worker-1", SCHED_BATCH, 7, 1, 222222 }, w2 = { "zt-worker-2", SCHED_IDLE, 9, 0, 333333 };
	struct zt_worker a = { .setup = worker_setup, .check = worker_check, .data = &w1 };
	struct zt_worker b = { .setup = worker_setup, .check = worker_check, .data = &w2 };
	char c;

	zt_init(argc, argv);
	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus < 2)
		w1.cpu = 0;
	if (pipe(to_child) < 0 || pipe(from_child) < 0)
		zt_fail("pipe: %m");
	pid_t child = fork();
	if (child < 0)
		zt_fail("fork: %m");
	if (child == 0) {
		/* Only its own ends: a dead parent means EOF, not a child left waiting. */
		close(to_child[1]);
		close(from_child[0]);
		child_main();
	}
	close(to_child[0]);
	close(from_child[1]);
	if (read(from_child[0], &c, 1) != 1)
		zt_fail("the child did not start");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 || prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0 ||
	    personality(PERSONA) < 0)
		zt_fail("prctl: %m");
	umask(UMASK);
	set_thread(&main_want);
	zt_worker_start(&a);
	zt_worker_start(&b);
	zt_ready();
	zt_wait();
	const char *r = check_main(&main_want);
	if (!r)
		r = zt_worker_check(&a);
	if (!r)
		r = zt_worker_check(&b);
	if (!r)
		r = ask_child();
	if (r)
		zt_fail("%s", r);
	zt_pass();
}
