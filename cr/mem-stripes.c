/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Two page-writing streams at once: see mem-stripes.h. */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "image.h"
#include "log.h"
#include "mem-copy.h"
#include "mem-stripes.h"
#include "parasite/parasite-args.h"
#include "parasite/parasite-host.h"
#include "util.h"

#define PAGE 4096u
#define READ_PAGES 1024u	/* stream 1 reads 4 MiB at a time */
#define IOV_MAX_PAGES (READ_PAGES / 2 + 1)	/* every other page zero */

_Static_assert(STRIPE_CHUNK_PAGES <= PARASITE_SCAN_PAGES, "a chunk is one parasite command");
_Static_assert(STRIPE_CHUNK_PAGES % READ_PAGES == 0, "reads do not straddle chunks");

struct stream {
	struct stripe_plan *plan;
	const struct stripe_io *io;
	size_t *next;			/* shared: the next chunk nobody took */
	pthread_mutex_t *lock;
	bool *stop;			/* shared: a stream failed */
	unsigned file;
	off_t off;
	uint8_t *buf;			/* stream 1 */
	struct parasite_dump_pages *answer;	/* stream 0 */
	int err;
};

int stripe_plan_add(struct stripe_plan *p, uint64_t vaddr, uint64_t nr_pages, bool readable)
{
	while (nr_pages) {
		uint32_t n = nr_pages < STRIPE_CHUNK_PAGES ? (uint32_t)nr_pages : STRIPE_CHUNK_PAGES;
		if (p->n == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 16;
			struct stripe_chunk *c = reallocarray(p->chunks, cap, sizeof(*c));
			if (!c)
				return -ENOMEM;
			p->chunks = c;
			p->cap = cap;
		}
		p->chunks[p->n++] = (struct stripe_chunk){ .vaddr = vaddr, .nr_pages = n, .readable = readable };
		vaddr += (uint64_t)n * PAGE;
		nr_pages -= n;
	}
	return 0;
}

void stripe_plan_free(struct stripe_plan *p)
{
	free(p->chunks);
	*p = (struct stripe_plan){ 0 };
}

static int write_all(const struct stream *s, const struct iovec *iov, int n, off_t off)
{
	struct iovec v[IOV_MAX_PAGES];
	int k = 0;

	memcpy(v, iov, (size_t)n * sizeof(*v));
	while (k < n) {
		ssize_t w = pwritev(s->io->fd[s->file], &v[k], n - k, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return log_error_errno(w < 0 ? negative_errno() : -EIO,
					       "cannot write page file %u of %d (pages-%u.img) at %lld", s->file, s->io->pid,
					       s->file ? PAGES_PART_ID_BASE + (unsigned)s->io->pid : (unsigned)s->io->pid,
					       (long long)off);
		off += w;
		while (k < n && (size_t)w >= v[k].iov_len)
			w -= (ssize_t)v[k++].iov_len;
		if (k < n) {
			v[k].iov_base = (uint8_t *)v[k].iov_base + w;
			v[k].iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Read, find the zero pages, write the others back to back at s->off. */
static int copy_chunk(struct stream *s, struct stripe_chunk *c)
{
	for (uint32_t done = 0; done < c->nr_pages; done += READ_PAGES) {
		uint32_t n = c->nr_pages - done < READ_PAGES ? c->nr_pages - done : READ_PAGES;
		struct iovec iov[IOV_MAX_PAGES];
		int nv = 0;
		size_t len = 0;
		int r = mem_read_task(c->readable ? s->io->pid : 0, s->io->mem_fd, s->buf, (size_t)n * PAGE,
				      c->vaddr + (uint64_t)done * PAGE);

		if (r < 0)
			return r;
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *pg = s->buf + (size_t)i * PAGE;
			if (mem_page_is_zero(pg)) {
				c->zero[(done + i) / 64] |= 1ull << ((done + i) % 64);
				continue;
			}
			if (nv && (uint8_t *)iov[nv - 1].iov_base + iov[nv - 1].iov_len == pg)
				iov[nv - 1].iov_len += PAGE;
			else
				iov[nv++] = (struct iovec){ (void *)pg, PAGE };
			len += PAGE;
		}
		if (nv && (r = write_all(s, iov, nv, s->off)) < 0)
			return r;
		s->off += (off_t)len;
	}
	return 0;
}

/* The parasite writes the chunk from inside the task (one copy). */
static int parasite_chunk(struct stream *s, struct stripe_chunk *c)
{
	int r = parasite_dump_pages(s->io->parasite, c->vaddr, c->nr_pages, (uint64_t)s->off, s->answer);

	if (r < 0)
		return r;
	memcpy(c->zero, s->answer->zero, sizeof(c->zero));
	s->off += (off_t)s->answer->written;
	return 0;
}

static struct stripe_chunk *take_chunk(struct stream *s)
{
	struct stripe_chunk *c = NULL;

	pthread_mutex_lock(s->lock);
	if (!*s->stop && *s->next < s->plan->n)
		c = &s->plan->chunks[(*s->next)++];
	pthread_mutex_unlock(s->lock);
	return c;
}

static void *run_stream(void *arg)
{
	struct stream *s = arg;
	struct stripe_chunk *c;

	while ((c = take_chunk(s))) {
		c->file = s->file;
		c->file_off = s->off;
		memset(c->zero, 0, sizeof(c->zero));
		s->err = s->file == 0 && c->readable ? parasite_chunk(s, c) : copy_chunk(s, c);
		if (s->err < 0) {
			pthread_mutex_lock(s->lock);
			*s->stop = true;
			pthread_mutex_unlock(s->lock);
			break;
		}
	}
	return NULL;
}

int stripe_plan_write(struct stripe_plan *p, const struct stripe_io *io, uint64_t *ret_usec)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	size_t next = 0;
	bool stop = false;
	struct stream s[2];
	pthread_t th;
	uint64_t t0 = mem_mono_usec();
	int r;

	for (unsigned i = 0; i < 2; i++)
		s[i] = (struct stream){ .plan = p, .io = io, .next = &next, .lock = &lock, .stop = &stop,
					.file = i, .off = io->off[i] };
	s[0].answer = malloc(sizeof(*s[0].answer));
	s[0].buf = aligned_alloc(PAGE, (size_t)READ_PAGES * PAGE);	/* unreadable areas */
	s[1].buf = aligned_alloc(PAGE, (size_t)READ_PAGES * PAGE);
	if (!s[0].answer || !s[0].buf || !s[1].buf) {
		r = -ENOMEM;
		goto out;
	}
	/* Stream 0 stays on this thread: it is the tracer, and talking to the
	 * parasite may need ptrace. */
	r = -pthread_create(&th, NULL, run_stream, &s[1]);
	if (r < 0) {
		log_error_errno(r, "cannot start a page writing thread");
		goto out;
	}
	run_stream(&s[0]);
	pthread_join(th, NULL);
	r = s[0].err < 0 ? s[0].err : s[1].err;
	*ret_usec = mem_mono_usec() - t0;
	log_info("pages of %d in two streams: %zu chunks in %" PRIu64 " us; %lld + %lld bytes", io->pid, p->n,
		 *ret_usec, (long long)(s[0].off - io->off[0]), (long long)(s[1].off - io->off[1]));
out:
	free(s[0].answer);
	free(s[0].buf);
	free(s[1].buf);
	return r;
}
