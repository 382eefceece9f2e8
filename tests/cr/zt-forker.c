/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A task that keeps forking short-lived children and creating short-lived
 * threads while it is seized: the dump must get a stable tree (every
 * thread stopped, nothing left half-seized) and the task runs on after.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/zt.h"

static atomic_ulong forks, clones;
static atomic_int stop;

static void *nothing(void *arg) { return arg; }

static void *fork_loop(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		pid_t c = fork();
		if (c == 0)
			_exit(0);
		if (c > 0 && waitpid(c, NULL, 0) == c)
			atomic_fetch_add(&forks, 1);
	}
	return NULL;
}

static void *clone_loop(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		pthread_t t;
		if (pthread_create(&t, NULL, nothing, NULL) == 0 && pthread_join(t, NULL) == 0)
			atomic_fetch_add(&clones, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t f, c;
	unsigned long f0, c0;

	zt_init(argc, argv);
	if (pthread_create(&f, NULL, fork_loop, NULL) || pthread_create(&c, NULL, clone_loop, NULL))
		zt_fail("pthread_create");
	while (atomic_load(&forks) < 10 || atomic_load(&clones) < 10)
		usleep(1000);
	zt_ready();
	zt_wait();
	f0 = atomic_load(&forks);
	c0 = atomic_load(&clones);
	usleep(200000);
	if (atomic_load(&forks) == f0 || atomic_load(&clones) == c0)
		zt_fail("loops stopped: forks %lu -> %lu, clones %lu -> %lu", f0, atomic_load(&forks),
			c0, atomic_load(&clones));
	atomic_store(&stop, 1);
	pthread_join(f, NULL);
	pthread_join(c, NULL);
	zt_pass();
}
