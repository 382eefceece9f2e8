/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The restore plan engine.
 *
 * A plan is a graph of steps.  Each step has an owner (the task that must run
 * it: 0 is the restoring cryo-cr itself, tasks are numbered from 1), a kind
 * (a short name such as "fork" or "setsid"), a callback and "needs" edges to
 * other steps.  Needs may name a step directly or by (kind, owner), resolved
 * when the plan is ordered, so resource kinds can register in any order and
 * never know about each other's internals.
 *
 * plan_order() sorts the graph topologically (Kahn's algorithm, ties broken by
 * insertion order so plans are deterministic) and fails with -ELOOP naming a
 * cycle.  plan_run() then executes the steps of one owner in that global order,
 * waiting for needed steps of other owners through a futex in shared memory:
 * the state lives in a MAP_SHARED mapping, so tasks forked after plan_order()
 * all see it.  Because every owner follows one global order, the lowest
 * unfinished step can always run and execution cannot deadlock.
 *
 * The first failing step records its error in the shared state; every other
 * owner stops before its next step with -ECANCELED, and steps that needed the
 * failed one never run.
 */
#ifndef CRYO_PLAN_H
#define CRYO_PLAN_H

#include <stdbool.h>
#include <stddef.h>

struct plan;

/* A step callback: ctx is per-run (given to plan_run), data per-step. */
typedef int (*plan_step_fn)(void *ctx, void *data);

#define PLAN_OWNER_RESTORER 0u

int plan_new(struct plan **ret);
void plan_free(struct plan *p);

/* Add a step; *ret_id (optional) identifies it for plan_need(). */
int plan_add(struct plan *p, unsigned owner, const char *kind, plan_step_fn fn, void *data,
	     unsigned *ret_id);
/* Step `step` needs step `needed` done first. */
int plan_need(struct plan *p, unsigned step, unsigned needed);
/* Step `step` needs the step (kind, owner); it must exist when the plan is ordered. */
int plan_need_kind(struct plan *p, unsigned step, const char *kind, unsigned owner);
/* Same, but a missing step is fine (the need is dropped). */
int plan_need_kind_optional(struct plan *p, unsigned step, const char *kind, unsigned owner);
/* Find a step by (kind, owner): its id, or -ENOENT. */
int plan_find(const struct plan *p, const char *kind, unsigned owner);

/* Resolve needs, sort, set up the shared execution state.  No plan_add() after. */
int plan_order(struct plan *p);

size_t plan_size(const struct plan *p);
/* The i-th step of the ordered plan: its owner and kind. */
unsigned plan_ordered_owner(const struct plan *p, size_t i);
const char *plan_ordered_kind(const struct plan *p, size_t i);

/* Run every step of `owner` in plan order; 0, the step's error, or -ECANCELED. */
int plan_run(struct plan *p, unsigned owner, void *ctx);
/* While this process waits in plan_run() for steps of other owners, call fn
 * every 100 ms; a negative return aborts the plan with it (e.g. a task died). */
void plan_set_watch(struct plan *p, int (*fn)(void *arg), void *arg);
/* Mark the plan failed from outside (e.g. a task died); wakes every waiter. */
void plan_abort(struct plan *p, int error);
/* The recorded error (0 while none). */
int plan_error(const struct plan *p);
/* Wait until every step is done (0) or the plan failed (its error); timeout_ms < 0: forever. */
int plan_wait_done(struct plan *p, int timeout_ms);
/* Whether a step (by id) has completed successfully. */
bool plan_step_done(const struct plan *p, unsigned id);

#endif
