/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "mem-copy.h"

enum slot_state { SLOT_FREE, SLOT_GOT, SLOT_POSTED, SLOT_STORING };

struct copy_pipe {
	pthread_t threads[COPY_THREADS];
	unsigned nr_threads;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct copy_job jobs[COPY_SLOTS];
	enum slot_state state[COPY_SLOTS];
	unsigned inflight;	/* posted or storing */
	bool quit;
	int err;		/* first store error */
	uint64_t store_usec;
};

bool mem_page_is_zero(const uint8_t *page)
{
	const uint64_t *q = (const uint64_t *)page;

	for (size_t i = 0; i < 4096 / 8; i++)
		if (q[i])
			return false;
	return true;
}

/* process_vm_readv copies straight from the task's pages and is an order of
 * magnitude faster than /proc/PID/mem (which goes through a bounce page);
 * /proc/PID/mem is the fallback for areas without PROT_READ. */
int mem_read_task(pid_t vm_pid, int mem_fd, void *buf, size_t len, uint64_t vaddr)
{
	ssize_t got;

	if (vm_pid) {
		struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)vaddr, len };
		got = process_vm_readv(vm_pid, &local, 1, &remote, 1, 0);
		if (got == (ssize_t)len)
			return 0;
	}
	got = pread(mem_fd, buf, len, (off_t)vaddr);
	if (got != (ssize_t)len)
		return log_error_errno(got < 0 ? negative_errno() : -EIO,
				       "cannot read %zu bytes of memory at %#" PRIx64, len, vaddr);
	return 0;
}

uint64_t mem_mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int write_job(const struct copy_job *j)
{
	for (unsigned i = 0; i < j->nr_segs; i++) {
		const struct copy_seg *s = &j->segs[i];
		size_t done = 0;
		while (done < s->len) {
			ssize_t n = pwrite(j->fd, j->buf + s->buf_off + done, s->len - done,
					   s->file_off + (off_t)done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return log_error_errno(n < 0 ? negative_errno() : -EIO,
						       "cannot write the page file at %lld", (long long)s->file_off);
			done += (size_t)n;
		}
	}
	return 0;
}

static int take_posted(struct copy_pipe *p)
{
	for (int i = 0; i < COPY_SLOTS; i++)
		if (p->state[i] == SLOT_POSTED)
			return i;
	return -1;
}

static void *store_thread(void *arg)
{
	struct copy_pipe *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		int i, r = 0;
		uint64_t t0;

		while ((i = take_posted(p)) < 0 && !p->quit)
			pthread_cond_wait(&p->cond, &p->lock);
		if (i < 0)
			break;
		p->state[i] = SLOT_STORING;
		pthread_mutex_unlock(&p->lock);
		t0 = mem_mono_usec();
		if (!__atomic_load_n(&p->err, __ATOMIC_RELAXED))	/* after an error, jobs are only given back */
			r = write_job(&p->jobs[i]);
		t0 = mem_mono_usec() - t0;
		pthread_mutex_lock(&p->lock);
		p->store_usec += t0;
		if (r < 0 && !p->err)
			p->err = r;
		p->state[i] = SLOT_FREE;
		p->inflight--;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

void copy_pipe_stop(struct copy_pipe *p)
{
	if (!p)
		return;
	copy_pipe_drain(p);
	pthread_mutex_lock(&p->lock);
	p->quit = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nr_threads; i++)
		pthread_join(p->threads[i], NULL);
	for (unsigned i = 0; i < COPY_SLOTS; i++)
		free(p->jobs[i].buf);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}

int copy_pipe_start(struct copy_pipe **ret)
{
	struct copy_pipe *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	for (unsigned i = 0; i < COPY_SLOTS; i++) {
		p->jobs[i].buf = aligned_alloc(4096, COPY_SLOT_SIZE);
		if (!p->jobs[i].buf) {
			copy_pipe_stop(p);
			return -ENOMEM;
		}
	}
	for (unsigned i = 0; i < COPY_THREADS; i++) {
		r = -pthread_create(&p->threads[i], NULL, store_thread, p);
		if (r < 0) {
			copy_pipe_stop(p);
			return log_error_errno(r, "cannot start a page store thread");
		}
		p->nr_threads++;
	}
	*ret = p;
	return 0;
}

int copy_pipe_get(struct copy_pipe *p, struct copy_job **ret)
{
	int r, i = -1;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		r = p->err;
		if (r)
			break;
		for (i = 0; i < COPY_SLOTS && p->state[i] != SLOT_FREE; i++)
			;
		if (i < COPY_SLOTS)
			break;
		pthread_cond_wait(&p->cond, &p->lock);
	}
	if (!r) {
		p->state[i] = SLOT_GOT;
		p->jobs[i].nr_segs = 0;
		p->jobs[i].fd = -1;
		*ret = &p->jobs[i];
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

int copy_pipe_post(struct copy_pipe *p, struct copy_job *job)
{
	unsigned i = (unsigned)(job - p->jobs);
	int r;

	if (i >= COPY_SLOTS)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	r = p->err;
	if (p->state[i] != SLOT_GOT)
		r = r ? r : -EINVAL;
	else if (r || !job->nr_segs)
		p->state[i] = SLOT_FREE;	/* nothing to write, or no point any more */
	else {
		p->state[i] = SLOT_POSTED;
		p->inflight++;
	}
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return r;
}

int copy_pipe_drain(struct copy_pipe *p)
{
	int r;

	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < COPY_SLOTS; i++)
		if (p->state[i] == SLOT_GOT)	/* handed out and abandoned on an error path */
			p->state[i] = SLOT_FREE;
	while (p->inflight)
		pthread_cond_wait(&p->cond, &p->lock);
	r = p->err;
	pthread_mutex_unlock(&p->lock);
	return r;
}

uint64_t copy_pipe_store_usec(struct copy_pipe *p)
{
	uint64_t v;

	pthread_mutex_lock(&p->lock);
	v = p->store_usec;
	pthread_mutex_unlock(&p->lock);
	return v;
}
