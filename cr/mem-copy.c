/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "mem-copy.h"

struct copy_slot {
	uint8_t *buf;
	copy_store_fn fn;
	void *ctx;
	uint64_t vaddr, nr;
};

struct copy_pipe {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct copy_slot slots[COPY_SLOTS];
	unsigned tail;		/* oldest posted slot */
	unsigned posted;	/* posted and not yet stored (the store thread works on tail) */
	bool got;		/* the slot after the posted ones is handed out */
	bool quit;
	int err;		/* first store error */
};

static void *store_thread(void *arg)
{
	struct copy_pipe *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct copy_slot *s;
		int r = 0;

		while (!p->posted && !p->quit)
			pthread_cond_wait(&p->cond, &p->lock);
		if (!p->posted)
			break;
		s = &p->slots[p->tail];
		pthread_mutex_unlock(&p->lock);
		if (!p->err)	/* after an error, posted slots are only given back */
			r = s->fn(s->ctx, s->vaddr, s->buf, s->nr);
		pthread_mutex_lock(&p->lock);
		if (r < 0 && !p->err)
			p->err = r;
		p->tail = (p->tail + 1) % COPY_SLOTS;
		p->posted--;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int copy_pipe_start(struct copy_pipe **ret)
{
	struct copy_pipe *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	for (unsigned i = 0; i < COPY_SLOTS; i++) {
		p->slots[i].buf = aligned_alloc(4096, COPY_SLOT_SIZE);
		if (!p->slots[i].buf) {
			for (unsigned j = 0; j < i; j++)
				free(p->slots[j].buf);
			free(p);
			return -ENOMEM;
		}
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	r = -pthread_create(&p->thread, NULL, store_thread, p);
	if (r < 0) {
		for (unsigned i = 0; i < COPY_SLOTS; i++)
			free(p->slots[i].buf);
		free(p);
		return log_error_errno(r, "cannot start the page store thread");
	}
	*ret = p;
	return 0;
}

int copy_pipe_get(struct copy_pipe *p, uint8_t **ret_buf)
{
	int r;

	pthread_mutex_lock(&p->lock);
	while (p->posted == COPY_SLOTS && !p->err)
		pthread_cond_wait(&p->cond, &p->lock);
	r = p->err;
	if (!r) {
		*ret_buf = p->slots[(p->tail + p->posted) % COPY_SLOTS].buf;
		p->got = true;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

int copy_pipe_post(struct copy_pipe *p, copy_store_fn fn, void *ctx, uint64_t vaddr, uint64_t nr_pages)
{
	struct copy_slot *s;
	int r;

	pthread_mutex_lock(&p->lock);
	r = p->err;
	if (!r && p->got) {
		s = &p->slots[(p->tail + p->posted) % COPY_SLOTS];
		s->fn = fn;
		s->ctx = ctx;
		s->vaddr = vaddr;
		s->nr = nr_pages;
		p->posted++;
		p->got = false;
		pthread_cond_broadcast(&p->cond);
	} else if (!r)
		r = -EINVAL;
	pthread_mutex_unlock(&p->lock);
	return r;
}

int copy_pipe_drain(struct copy_pipe *p)
{
	int r;

	pthread_mutex_lock(&p->lock);
	p->got = false;
	while (p->posted)
		pthread_cond_wait(&p->cond, &p->lock);
	r = p->err;
	pthread_mutex_unlock(&p->lock);
	return r;
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
	pthread_join(p->thread, NULL);
	for (unsigned i = 0; i < COPY_SLOTS; i++)
		free(p->slots[i].buf);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}
