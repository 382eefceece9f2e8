/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ts-test.h"

static void *worker_main(void *p)
{
	struct worker *w = p;

	w->tid = syscall(SYS_gettid);
	sem_post(&w->done);
	for (;;) {
		while (sem_wait(&w->go) < 0)
			;
		w->result = w->job(w->arg);
		sem_post(&w->done);
	}
	return NULL;
}

int worker_start(struct worker *w)
{
	pthread_t th;

	sem_init(&w->go, 0, 0);
	sem_init(&w->done, 0, 0);
	if (pthread_create(&th, NULL, worker_main, w))
		return -1;
	while (sem_wait(&w->done) < 0)
		;
	return 0;
}

int worker_run(struct worker *w, int (*job)(void *), void *arg)
{
	w->job = job;
	w->arg = arg;
	sem_post(&w->go);
	while (sem_wait(&w->done) < 0)
		;
	return w->result;
}
