/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The restore plan engine: see plan.h. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "plan.h"
#include "util.h"

enum step_state {
	STEP_PENDING = 0,
	STEP_DONE = 1,
	STEP_FAILED = 2,
};

struct need {
	unsigned id;		/* resolved step id */
	const char *kind;	/* by name when non-NULL, resolved in plan_order() */
	unsigned owner;
	bool optional;
};

struct step {
	unsigned owner;
	const char *kind;
	plan_step_fn fn;
	void *data;
	struct need *needs;
	size_t n_needs;
};

/* Lives in a MAP_SHARED mapping so every forked task sees the same state. */
struct plan_shared {
	uint32_t progress;	/* futex word: bumped on every state change */
	int32_t error;
	uint32_t n_done;
	uint32_t state[];
};

struct plan {
	struct step *steps;
	size_t n_steps;
	unsigned *order;	/* ordered step ids */
	struct plan_shared *shared;
	size_t shared_len;
	int (*watch)(void *arg);	/* plan_set_watch(): only in the process that set it */
	void *watch_arg;
	pid_t watch_pid;
};

int plan_new(struct plan **ret)
{
	struct plan *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*ret = p;
	return 0;
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_steps; i++)
		free(p->steps[i].needs);
	free(p->steps);
	free(p->order);
	if (p->shared)
		munmap(p->shared, p->shared_len);
	free(p);
}

int plan_add(struct plan *p, unsigned owner, const char *kind, plan_step_fn fn, void *data,
	     unsigned *ret_id)
{
	if (p->order)
		return -EBUSY;
	if (p->n_steps >= INT_MAX)
		return -E2BIG;
	struct step *s = reallocarray(p->steps, p->n_steps + 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	p->steps = s;
	s[p->n_steps] = (struct step){ .owner = owner, .kind = kind, .fn = fn, .data = data };
	if (ret_id)
		*ret_id = p->n_steps;
	p->n_steps++;
	return 0;
}

static int add_need(struct plan *p, unsigned step, struct need n)
{
	if (p->order)
		return -EBUSY;
	if (step >= p->n_steps)
		return -EINVAL;
	struct step *s = &p->steps[step];
	struct need *a = reallocarray(s->needs, s->n_needs + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	s->needs = a;
	a[s->n_needs++] = n;
	return 0;
}

int plan_need(struct plan *p, unsigned step, unsigned needed)
{
	if (needed >= p->n_steps)
		return -EINVAL;
	return add_need(p, step, (struct need){ .id = needed });
}

int plan_need_kind(struct plan *p, unsigned step, const char *kind, unsigned owner)
{
	return add_need(p, step, (struct need){ .kind = kind, .owner = owner });
}

int plan_need_kind_optional(struct plan *p, unsigned step, const char *kind, unsigned owner)
{
	return add_need(p, step, (struct need){ .kind = kind, .owner = owner, .optional = true });
}

int plan_find(const struct plan *p, const char *kind, unsigned owner)
{
	for (size_t i = 0; i < p->n_steps; i++)
		if (p->steps[i].owner == owner && !strcmp(p->steps[i].kind, kind))
			return (int)i;
	return -ENOENT;
}

static int resolve_needs(struct plan *p)
{
	for (size_t i = 0; i < p->n_steps; i++) {
		struct step *s = &p->steps[i];
		size_t kept = 0;
		for (size_t j = 0; j < s->n_needs; j++) {
			struct need n = s->needs[j];
			if (n.kind) {
				int id = plan_find(p, n.kind, n.owner);
				if (id < 0 && n.optional)
					continue;
				if (id < 0) {
					log_error("plan: step %s of task %u needs %s of task %u, which does not exist",
						  s->kind, s->owner, n.kind, n.owner);
					return -ENOENT;
				}
				n.id = (unsigned)id;
				n.kind = NULL;
			}
			if (n.id == i) {
				log_error("plan: step %s of task %u needs itself", s->kind, s->owner);
				return -ELOOP;
			}
			s->needs[kept++] = n;
		}
		s->n_needs = kept;
	}
	return 0;
}

/* Among steps not ordered, follow needs from one until a step repeats: that is a cycle. */
static void log_cycle(const struct plan *p, const unsigned *indeg)
{
	size_t start = 0;
	while (start < p->n_steps && indeg[start] == 0)
		start++;
	if (start == p->n_steps)
		return;
	_cleanup_free_ unsigned *seen = calloc(p->n_steps, sizeof(*seen));
	if (!seen)
		return;
	/* Walk backwards along needs: a node with indeg > 0 has an unordered need. */
	unsigned cur = (unsigned)start, mark = 1;
	while (!seen[cur]) {
		seen[cur] = mark++;
		const struct step *s = &p->steps[cur];
		for (size_t j = 0; j < s->n_needs; j++)
			if (indeg[s->needs[j].id] > 0) {
				cur = s->needs[j].id;
				break;
			}
	}
	/* cur is on the cycle; print it once around. */
	char buf[1024];
	size_t len = 0;
	unsigned first = cur;
	do {
		const struct step *s = &p->steps[cur];
		int n = snprintf(buf + len, sizeof(buf) - len, "%s%s/%u", len ? " -> " : "", s->kind,
				 s->owner);
		if (n < 0 || (size_t)n >= sizeof(buf) - len)
			break;
		len += (size_t)n;
		for (size_t j = 0; j < s->n_needs; j++)
			if (indeg[s->needs[j].id] > 0) {
				cur = s->needs[j].id;
				break;
			}
	} while (cur != first);
	log_error("plan: dependency cycle: %s -> %s/%u (step/task, each needs the next)", buf,
		  p->steps[first].kind, p->steps[first].owner);
}

int plan_order(struct plan *p)
{
	if (p->order)
		return -EBUSY;
	int r = resolve_needs(p);
	if (r < 0)
		return r;

	size_t n = p->n_steps;
	/* indeg[i]: needs of i not yet ordered; users: reverse edges, CSR layout. */
	_cleanup_free_ unsigned *indeg = calloc(n + 1, sizeof(*indeg));
	_cleanup_free_ size_t *ustart = calloc(n + 1, sizeof(*ustart));
	size_t n_edges = 0;
	for (size_t i = 0; i < n; i++)
		n_edges += p->steps[i].n_needs;
	_cleanup_free_ unsigned *users = calloc(n_edges + 1, sizeof(*users));
	_cleanup_free_ size_t *fill = calloc(n + 1, sizeof(*fill));
	_cleanup_free_ unsigned *order = calloc(n + 1, sizeof(*order));
	if (!indeg || !ustart || !users || !fill || !order)
		return -ENOMEM;

	for (size_t i = 0; i < n; i++) {
		indeg[i] = (unsigned)p->steps[i].n_needs;
		for (size_t j = 0; j < p->steps[i].n_needs; j++)
			ustart[p->steps[i].needs[j].id + 1]++;
	}
	for (size_t i = 0; i < n; i++)
		ustart[i + 1] += ustart[i];
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < p->steps[i].n_needs; j++) {
			unsigned t = p->steps[i].needs[j].id;
			users[ustart[t] + fill[t]++] = (unsigned)i;
		}

	/* Kahn's algorithm; always take the lowest-numbered ready step, so the order is
	 * deterministic and follows insertion order where the graph allows.  Quadratic,
	 * which is fine for plans of a few thousand steps. */
	_cleanup_free_ bool *taken = calloc(n + 1, sizeof(*taken));
	if (!taken)
		return -ENOMEM;
	size_t n_ordered = 0;
	while (n_ordered < n) {
		size_t pick = 0;
		while (pick < n && (taken[pick] || indeg[pick] > 0))
			pick++;
		if (pick == n)
			break;
		taken[pick] = true;
		order[n_ordered++] = (unsigned)pick;
		for (size_t k = ustart[pick]; k < ustart[pick + 1]; k++)
			indeg[users[k]]--;
	}
	if (n_ordered < n) {
		log_cycle(p, indeg);
		return -ELOOP;
	}

	size_t len = sizeof(struct plan_shared) + n * sizeof(uint32_t);
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return negative_errno();
	p->shared = m;
	p->shared_len = len;
	p->order = TAKE_PTR(order);
	return 0;
}

size_t plan_size(const struct plan *p)
{
	return p->n_steps;
}

unsigned plan_ordered_owner(const struct plan *p, size_t i)
{
	return p->steps[p->order[i]].owner;
}

const char *plan_ordered_kind(const struct plan *p, size_t i)
{
	return p->steps[p->order[i]].kind;
}

static void futex_wake_all(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void futex_wait_ms(uint32_t *word, uint32_t seen, int timeout_ms)
{
	struct timespec ts = { .tv_sec = timeout_ms / 1000, .tv_nsec = (timeout_ms % 1000) * 1000000L };
	syscall(SYS_futex, word, FUTEX_WAIT, seen, timeout_ms < 0 ? NULL : &ts, NULL, 0);
}

static void publish(struct plan *p, unsigned id, uint32_t state, int error)
{
	struct plan_shared *sh = p->shared;
	if (error)
		__atomic_compare_exchange_n(&sh->error, &(int32_t){ 0 }, error, false, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST);
	if (id < p->n_steps) {
		__atomic_store_n(&sh->state[id], state, __ATOMIC_SEQ_CST);
		if (state == STEP_DONE)
			__atomic_add_fetch(&sh->n_done, 1, __ATOMIC_SEQ_CST);
	}
	__atomic_add_fetch(&sh->progress, 1, __ATOMIC_SEQ_CST);
	futex_wake_all(&sh->progress);
}

void plan_abort(struct plan *p, int error)
{
	if (p->shared)
		publish(p, UINT_MAX, 0, error < 0 ? error : -ECANCELED);
}

int plan_error(const struct plan *p)
{
	return p->shared ? __atomic_load_n(&p->shared->error, __ATOMIC_SEQ_CST) : 0;
}

bool plan_step_done(const struct plan *p, unsigned id)
{
	return p->shared && id < p->n_steps &&
	       __atomic_load_n(&p->shared->state[id], __ATOMIC_SEQ_CST) == STEP_DONE;
}

static bool needs_done(const struct plan *p, const struct step *s)
{
	for (size_t j = 0; j < s->n_needs; j++)
		if (!plan_step_done(p, s->needs[j].id))
			return false;
	return true;
}

static int wait_needs(struct plan *p, const struct step *s)
{
	struct plan_shared *sh = p->shared;
	for (;;) {
		uint32_t seen = __atomic_load_n(&sh->progress, __ATOMIC_SEQ_CST);
		if (plan_error(p))
			return -ECANCELED;
		if (needs_done(p, s))
			return 0;
		if (p->watch && p->watch_pid == getpid()) {
			int r = p->watch(p->watch_arg);
			if (r < 0) {
				plan_abort(p, r);
				return r;
			}
			futex_wait_ms(&sh->progress, seen, 100);
		} else {
			futex_wait_ms(&sh->progress, seen, -1);
		}
	}
}

void plan_set_watch(struct plan *p, int (*fn)(void *arg), void *arg)
{
	p->watch = fn;
	p->watch_arg = arg;
	p->watch_pid = getpid();
}

int plan_run(struct plan *p, unsigned owner, void *ctx)
{
	if (!p->order)
		return -EINVAL;
	for (size_t i = 0; i < p->n_steps; i++) {
		unsigned id = p->order[i];
		struct step *s = &p->steps[id];
		if (s->owner != owner)
			continue;
		int r = wait_needs(p, s);
		if (r < 0)
			return r;
		log_debug("plan: task %u: step %s", owner, s->kind);
		r = s->fn ? s->fn(ctx, s->data) : 0;
		if (r < 0) {
			publish(p, id, STEP_FAILED, r);
			return r;
		}
		publish(p, id, STEP_DONE, 0);
	}
	return 0;
}

int plan_wait_done(struct plan *p, int timeout_ms)
{
	struct plan_shared *sh = p->shared;
	if (!sh)
		return -EINVAL;
	uint32_t seen = __atomic_load_n(&sh->progress, __ATOMIC_SEQ_CST);
	int err = plan_error(p);
	if (err)
		return err;
	if (__atomic_load_n(&sh->n_done, __ATOMIC_SEQ_CST) == p->n_steps)
		return 0;
	futex_wait_ms(&sh->progress, seen, timeout_ms);
	err = plan_error(p);
	if (err)
		return err;
	return __atomic_load_n(&sh->n_done, __ATOMIC_SEQ_CST) == p->n_steps ? 0 : -EAGAIN;
}
