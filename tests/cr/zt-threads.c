/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Threads: each keeps its TLS value, its own blocked mask and its own data
 * through C/R, and all are still running (a counter moves) afterwards.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lib/zt.h"

#define NTHREADS 4

static __thread uint64_t tls_value;
static atomic_ulong counters[NTHREADS];
static atomic_int stop, up;
static char results[NTHREADS][128];

static void *worker(void *arg)
{
	long i = (long)arg;
	sigset_t set;
	uint8_t local[8192];

	tls_value = 0x1234567800ull + (uint64_t)i;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + (int)i);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	zt_fill(local, sizeof(local), 50 + (uint32_t)i);
	atomic_fetch_add(&up, 1);
	while (!atomic_load(&stop)) {
		atomic_fetch_add(&counters[i], 1);
		usleep(1000);
	}
	pthread_sigmask(SIG_BLOCK, NULL, &set);
	if (tls_value != 0x1234567800ull + (uint64_t)i)
		snprintf(results[i], sizeof(results[i]), "thread %ld: TLS is %#llx", i, (unsigned long long)tls_value);
	else if (!sigismember(&set, SIGRTMIN + (int)i))
		snprintf(results[i], sizeof(results[i]), "thread %ld: lost its blocked signal", i);
	else if (zt_check(local, sizeof(local), 50 + (uint32_t)i))
		snprintf(results[i], sizeof(results[i]), "thread %ld: stack data changed", i);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[NTHREADS];
	unsigned long before[NTHREADS];

	zt_init(argc, argv);
	for (long i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)i))
			zt_fail("pthread_create");
	while (atomic_load(&up) < NTHREADS)
		usleep(1000);
	zt_ready();
	zt_wait();
	for (int i = 0; i < NTHREADS; i++)
		before[i] = atomic_load(&counters[i]);
	usleep(100000);
	for (int i = 0; i < NTHREADS; i++)
		if (atomic_load(&counters[i]) == before[i])
			zt_fail("thread %d is not running", i);
	atomic_store(&stop, 1);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < NTHREADS; i++)
		if (results[i][0])
			zt_fail("%s", results[i]);
	zt_pass();
}
