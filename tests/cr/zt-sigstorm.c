/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Real-time signals with increasing values arrive non-stop while the tree
 * is seized: a signal the dumper intercepts must be given back with its
 * siginfo, so after the dump every value 1..N arrived exactly once.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include "lib/zt.h"

#define MAXV (1 << 20)

static atomic_uint received, dup_or_bad;
static atomic_int stop;
static unsigned char seen[MAXV];

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	int v = si->si_value.sival_int;

	(void)sig;
	(void)uc;
	if (v <= 0 || v >= MAXV || seen[v])
		atomic_fetch_add(&dup_or_bad, 1);
	else
		seen[v] = 1;
	atomic_fetch_add(&received, 1);
}

static void *sender(void *arg)
{
	unsigned *sent = arg;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);	/* the others take the signals */
	while (!atomic_load(&stop) && *sent + 1 < MAXV) {
		if (*sent - atomic_load(&received) > 64) {	/* stay below RLIMIT_SIGPENDING */
			usleep(50);
			continue;
		}
		if (sigqueue(getpid(), SIGRTMIN + 1, (union sigval){ .sival_int = (int)(*sent + 1) }) == 0)
			(*sent)++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	pthread_t t;
	unsigned sent = 0;

	zt_init(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGRTMIN + 1, &sa, NULL);
	if (pthread_create(&t, NULL, sender, &sent))
		zt_fail("pthread_create");
	while (atomic_load(&received) < 100)
		usleep(1000);
	zt_ready();
	zt_wait();
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	for (int i = 0; i < 5000 && atomic_load(&received) < sent; i++)
		usleep(1000);
	if (atomic_load(&dup_or_bad))
		zt_fail("%u duplicate or bad values", atomic_load(&dup_or_bad));
	if (atomic_load(&received) != sent)
		zt_fail("sent %u, received %u", sent, atomic_load(&received));
	for (unsigned v = 1; v <= sent; v++)
		if (!seen[v])
			zt_fail("value %u lost (of %u)", v, sent);
	zt_log("%u signals, none lost", sent);
	zt_pass();
}
