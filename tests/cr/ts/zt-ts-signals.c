/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Signal state across full C/R, in a process with two threads:
 *
 *   - the action of every signal 1..64 (kernel layout: handler, flags,
 *     restorer, mask): SIG_IGN, SIG_DFL, handlers with SA_SIGINFO,
 *     SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND and masks;
 *   - a different blocked mask in each thread;
 *   - queued signals private to each thread and shared by the process:
 *     real-time signals queued several times with values (their order),
 *     standard ones from kill/tgkill; the pending masks of /proc per thread;
 *   - a different sigaltstack in each thread;
 *
 * and after restore the same behaviour: each thread's SA_ONSTACK handler runs
 * on that thread's altstack, an SA_RESETHAND action resets after one delivery.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "../lib/zt.h"
#include "zt-ts.h"

#define ALT_SIZE (64 * 1024)
#define SIG_ONSTACK_ (SIGRTMIN + 10)
#define SIG_RESET (SIGRTMIN + 11)

static struct zt_ksigaction before[65];
static char status_main[512], status_worker[512];
static const char *const sig_keys[] = { "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt", NULL };
static char alt_main[ALT_SIZE], alt_worker[ALT_SIZE];
static __thread volatile uintptr_t handler_sp;
static volatile int reset_runs;
static char msg[1400];

static void on_stack_handler(int sig, siginfo_t *si, void *uc)
{
	volatile char here;
	(void)sig, (void)si, (void)uc;
	handler_sp = (uintptr_t)&here;
}

static void reset_handler(int sig)
{
	(void)sig;
	reset_runs++;
}

static void other_handler(int sig)
{
	(void)sig;
}

/* Signals the C library or the test harness own keep their actions. */
static bool ours(int sig)
{
	return sig != SIGKILL && sig != SIGSTOP && sig != SIGTERM && sig != 32 && sig != 33 &&
	       sig != SIGSEGV && sig != SIGBUS && sig != SIGILL && sig != SIGFPE && sig != SIGABRT;
}

static void set_actions(void)
{
	for (int sig = 1; sig <= 64; sig++) {
		if (!ours(sig))
			continue;
		struct sigaction sa = { 0 };
		sigemptyset(&sa.sa_mask);
		switch (sig % 4) {
		case 0:
			sa.sa_handler = SIG_IGN;
			break;
		case 1:
			sa.sa_handler = SIG_DFL;
			sa.sa_flags = SA_RESTART;
			break;
		case 2:
			sa.sa_sigaction = on_stack_handler;
			sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
			sigaddset(&sa.sa_mask, sig == 64 ? 1 : sig + 1);
			sigaddset(&sa.sa_mask, SIGUSR1);
			break;
		case 3:
			sa.sa_handler = other_handler;
			sa.sa_flags = SA_NODEFER | SA_RESETHAND;
			break;
		}
		if (sigaction(sig, &sa, NULL) < 0)
			zt_fail("sigaction(%d): %m", sig);
	}
	struct sigaction on = { .sa_sigaction = on_stack_handler, .sa_flags = SA_SIGINFO | SA_ONSTACK };
	struct sigaction reset = { .sa_handler = reset_handler, .sa_flags = SA_RESETHAND | SA_NODEFER };
	sigemptyset(&on.sa_mask);
	sigemptyset(&reset.sa_mask);
	if (sigaction(SIG_ONSTACK_, &on, NULL) < 0 || sigaction(SIG_RESET, &reset, NULL) < 0)
		zt_fail("sigaction: %m");
}

/* After the first pthread_create: it installs the C library's SIGSETXID action. */
static void snapshot_actions(void)
{
	for (int sig = 1; sig <= 64; sig++)
		if (zt_ksigaction_get(sig, &before[sig]) < 0)
			zt_fail("rt_sigaction(%d): %m", sig);
}

static void block(const int *sigs)
{
	sigset_t s;
	sigemptyset(&s);
	for (; *sigs; sigs++)
		sigaddset(&s, *sigs);
	if (sigprocmask(SIG_BLOCK, &s, NULL) < 0)
		zt_fail("sigprocmask: %m");
}

static void set_altstack(char *stack)
{
	stack_t ss = { .ss_sp = stack, .ss_size = ALT_SIZE };
	if (sigaltstack(&ss, NULL) < 0)
		zt_fail("sigaltstack: %m");
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

static void worker_setup(struct zt_worker *w)
{
	(void)w;
	/* Everything the main thread blocks (shared signals wait for the main
	 * thread) and more of its own. */
	block((const int[]){ SIGUSR1, SIGHUP, SIGRTMIN + 1, SIGRTMIN + 2, SIGRTMIN + 3, 0 });
	block((const int[]){ SIGUSR2, SIGRTMIN + 5, SIGWINCH, 0 });
	set_altstack(alt_worker);
}

/* Dequeue signal sig (blocked) and check it came with value (or from kill when value < 0). */
static const char *expect(int sig, int value, const char *who)
{
	sigset_t s;
	siginfo_t si;
	struct timespec zero = { 0, 0 };
	sigemptyset(&s);
	sigaddset(&s, sig);
	int got = sigtimedwait(&s, &si, &zero);
	if (got != sig) {
		snprintf(msg, sizeof(msg), "%s: signal %d (value %d) is not pending", who, sig, value);
		return msg;
	}
	/* A tgkill() (SI_TKILL) comes back as SI_USER with the same sender: the
	 * kernel turns SI_TKILL into SI_USER in rt_tgsigqueueinfo. */
	if (si.si_pid != getpid() || si.si_uid != getuid() ||
	    (value >= 0 && (si.si_code != SI_QUEUE || si.si_value.sival_int != value)) ||
	    (value < 0 && si.si_code != SI_USER && !(value == -2 && si.si_code == SI_TKILL))) {
		snprintf(msg, sizeof(msg), "%s: signal %d: code %d value %d pid %d, want value %d", who, sig, si.si_code,
			 si.si_value.sival_int, si.si_pid, value);
		return msg;
	}
	return NULL;
}

static const char *check_pending_empty(const char *who)
{
	sigset_t s;
	if (sigpending(&s) < 0)
		return "sigpending";
	for (int sig = 1; sig <= 64; sig++)
		if (sigismember(&s, sig)) {
			snprintf(msg, sizeof(msg), "%s: signal %d pending that was not queued", who, sig);
			return msg;
		}
	return NULL;
}

/* The thread's altstack and that a handler with SA_ONSTACK runs on it. */
static const char *check_altstack(const char *stack, const char *who)
{
	stack_t ss;
	if (sigaltstack(NULL, &ss) < 0 || ss.ss_sp != stack || ss.ss_size != ALT_SIZE || ss.ss_flags) {
		snprintf(msg, sizeof(msg), "%s: altstack is %p/%zu/%d, want %p/%d", who, ss.ss_sp, ss.ss_size,
			 ss.ss_flags, stack, ALT_SIZE);
		return msg;
	}
	handler_sp = 0;
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIG_ONSTACK_);
	if (handler_sp < (uintptr_t)stack || handler_sp >= (uintptr_t)stack + ALT_SIZE) {
		snprintf(msg, sizeof(msg), "%s: SA_ONSTACK handler ran at %#lx, not on the altstack", who,
			 (unsigned long)handler_sp);
		return msg;
	}
	return NULL;
}

static const char *check_status(pid_t tid, const char *want, const char *who)
{
	char now[512];
	zt_status_keys(tid, sig_keys, now, sizeof(now));
	if (strcmp(now, want)) {
		snprintf(msg, sizeof(msg), "%s: status was\n%s now\n%s", who, want, now);
		return msg;
	}
	return NULL;
}

static const char *worker_check(struct zt_worker *w)
{
	const char *r = check_status(w->tid, status_worker, "worker");
	if (!r)
		r = expect(SIGRTMIN + 5, 200, "worker");
	if (!r)
		r = expect(SIGRTMIN + 5, 201, "worker");
	if (!r)
		r = expect(SIGRTMIN + 5, 202, "worker");
	if (!r)
		r = expect(SIGUSR2, -2, "worker");
	char pnd[64];
	/* Its private queue is empty now (the shared one stays for the main thread). */
	if (!r && (zt_status(w->tid, "SigPnd", pnd, sizeof(pnd)) < 0 || strcmp(pnd, "0000000000000000")))
		r = "worker: private signals left that were not queued";
	if (!r)
		r = check_altstack(alt_worker, "worker");
	return r;
}

static const char *check_actions(void)
{
	for (int sig = 1; sig <= 64; sig++) {
		struct zt_ksigaction now;
		if (zt_ksigaction_get(sig, &now) < 0)
			return "rt_sigaction";
		if (memcmp(&now, &before[sig], sizeof(now))) {
			snprintf(msg, sizeof(msg), "signal %d: action %#lx flags %#lx restorer %#lx mask %#lx, was %#lx %#lx %#lx %#lx",
				 sig, now.handler, now.flags, now.restorer, now.mask, before[sig].handler, before[sig].flags,
				 before[sig].restorer, before[sig].mask);
			return msg;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct zt_worker w = { .setup = worker_setup, .check = worker_check };
	const char *r;

	zt_init(argc, argv);
	set_actions();
	block((const int[]){ SIGUSR1, SIGHUP, SIGRTMIN + 1, SIGRTMIN + 2, SIGRTMIN + 3, 0 });
	set_altstack(alt_main);
	zt_worker_start(&w);
	snapshot_actions();
	/* Shared: three of one RT signal (order), one of another, a kill(). */
	if (sigqueue(getpid(), SIGRTMIN + 2, (union sigval){ .sival_int = 1 }) < 0 ||
	    sigqueue(getpid(), SIGRTMIN + 1, (union sigval){ .sival_int = 10 }) < 0 ||
	    sigqueue(getpid(), SIGRTMIN + 2, (union sigval){ .sival_int = 2 }) < 0 ||
	    sigqueue(getpid(), SIGRTMIN + 2, (union sigval){ .sival_int = 3 }) < 0 || kill(getpid(), SIGHUP) < 0)
		zt_fail("cannot queue shared signals: %m");
	/* Private to each thread. */
	if (queue_to(gettid(), SIGRTMIN + 3, 100) < 0 || queue_to(gettid(), SIGRTMIN + 3, 101) < 0 ||
	    queue_to(w.tid, SIGRTMIN + 5, 200) < 0 || queue_to(w.tid, SIGRTMIN + 5, 201) < 0 ||
	    queue_to(w.tid, SIGRTMIN + 5, 202) < 0 || syscall(SYS_tgkill, getpid(), w.tid, SIGUSR2) < 0)
		zt_fail("cannot queue thread signals: %m");
	zt_status_keys(gettid(), sig_keys, status_main, sizeof(status_main));
	zt_status_keys(w.tid, sig_keys, status_worker, sizeof(status_worker));

	zt_ready();
	zt_wait();

	r = check_actions();
	if (!r)
		r = check_status(gettid(), status_main, "main");
	if (!r)
		r = zt_worker_check(&w);
	if (!r)
		r = expect(SIGRTMIN + 3, 100, "main");
	if (!r)
		r = expect(SIGRTMIN + 3, 101, "main");
	if (!r)
		r = expect(SIGRTMIN + 1, 10, "main (shared)");
	if (!r)
		r = expect(SIGRTMIN + 2, 1, "main (shared)");
	if (!r)
		r = expect(SIGRTMIN + 2, 2, "main (shared)");
	if (!r)
		r = expect(SIGRTMIN + 2, 3, "main (shared)");
	if (!r)
		r = expect(SIGHUP, -1, "main (shared)");
	if (!r)
		r = check_pending_empty("main");
	if (!r)
		r = check_altstack(alt_main, "main");
	if (r)
		zt_fail("%s", r);
	/* SA_RESETHAND: runs once, then the action is SIG_DFL. */
	raise(SIG_RESET);
	struct sigaction now;
	sigaction(SIG_RESET, NULL, &now);
	if (reset_runs != 1 || now.sa_handler != SIG_DFL)
		zt_fail("SA_RESETHAND: handler ran %d times, action %p after", reset_runs, (void *)now.sa_handler);
	zt_pass();
}
