/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the restore plan engine (cr/plan.c): ordering, cycles, errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "plan.h"

static int failures;

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                                   \
		}                                                                     \
	} while (0)

/* A trace of executed steps in shared memory, so forked owners append to it too. */
struct trace {
	int n;
	char names[64][16];
};
static struct trace *trace;

static int record(void *ctx, void *data)
{
	(void)ctx;
	int i = __atomic_fetch_add(&trace->n, 1, __ATOMIC_SEQ_CST);
	snprintf(trace->names[i], sizeof(trace->names[i]), "%s", (const char *)data);
	return 0;
}

static int fail_eio(void *ctx, void *data)
{
	record(ctx, data);
	return -EIO;
}

static int pos(const char *name)
{
	for (int i = 0; i < trace->n; i++)
		if (!strcmp(trace->names[i], name))
			return i;
	return -1;
}

static char last_error[1024];
static void capture(enum log_level level, const char *line, void *u)
{
	(void)u;
	if (level == LOG_LVL_ERROR)
		snprintf(last_error, sizeof(last_error), "%s", line);
}

static void test_order_respects_needs(void)
{
	struct plan *p;
	unsigned a, b, c, d;
	trace->n = 0;
	CHECK(plan_new(&p) == 0);
	/* Added in reverse: c needs b needs a; d is free and keeps its insertion rank. */
	CHECK(plan_add(p, 0, "c", record, "c", &c) == 0);
	CHECK(plan_add(p, 0, "b", record, "b", &b) == 0);
	CHECK(plan_add(p, 0, "d", record, "d", &d) == 0);
	CHECK(plan_add(p, 0, "a", record, "a", &a) == 0);
	CHECK(plan_need(p, c, b) == 0);
	CHECK(plan_need_kind(p, b, "a", 0) == 0);
	CHECK(plan_order(p) == 0);
	CHECK(plan_size(p) == 4);
	CHECK(!strcmp(plan_ordered_kind(p, 0), "d"));
	CHECK(!strcmp(plan_ordered_kind(p, 1), "a"));
	CHECK(!strcmp(plan_ordered_kind(p, 2), "b"));
	CHECK(!strcmp(plan_ordered_kind(p, 3), "c"));
	CHECK(plan_run(p, 0, NULL) == 0);
	CHECK(trace->n == 4);
	CHECK(pos("a") < pos("b") && pos("b") < pos("c"));
	CHECK(plan_wait_done(p, 0) == 0);
	plan_free(p);
}

static void test_missing_and_optional_needs(void)
{
	struct plan *p;
	unsigned a;
	CHECK(plan_new(&p) == 0);
	CHECK(plan_add(p, 1, "a", record, "a", &a) == 0);
	CHECK(plan_need_kind_optional(p, a, "nothing", 1) == 0);
	CHECK(plan_order(p) == 0);
	plan_free(p);

	CHECK(plan_new(&p) == 0);
	CHECK(plan_add(p, 1, "a", record, "a", &a) == 0);
	CHECK(plan_need_kind(p, a, "nothing", 7) == 0);
	last_error[0] = 0;
	CHECK(plan_order(p) == -ENOENT);
	CHECK(strstr(last_error, "needs nothing of task 7") != NULL);
	plan_free(p);
}

static void test_cycle_is_named(void)
{
	struct plan *p;
	unsigned x, y, z, free_step;
	CHECK(plan_new(&p) == 0);
	CHECK(plan_add(p, 0, "free", record, "free", &free_step) == 0);
	CHECK(plan_add(p, 1, "x", record, "x", &x) == 0);
	CHECK(plan_add(p, 2, "y", record, "y", &y) == 0);
	CHECK(plan_add(p, 3, "z", record, "z", &z) == 0);
	CHECK(plan_need(p, x, y) == 0);
	CHECK(plan_need(p, y, z) == 0);
	CHECK(plan_need(p, z, x) == 0);
	CHECK(plan_need(p, x, free_step) == 0);
	last_error[0] = 0;
	CHECK(plan_order(p) == -ELOOP);
	CHECK(strstr(last_error, "dependency cycle") != NULL);
	CHECK(strstr(last_error, "x/1") && strstr(last_error, "y/2") && strstr(last_error, "z/3"));
	CHECK(strstr(last_error, "free/0") == NULL);
	/* A failed order leaves nothing to run. */
	CHECK(plan_run(p, 0, NULL) == -EINVAL);
	plan_free(p);

	CHECK(plan_new(&p) == 0);
	CHECK(plan_add(p, 0, "self", record, "self", &x) == 0);
	CHECK(plan_need(p, x, x) == 0);
	CHECK(plan_order(p) == -ELOOP);
	plan_free(p);
}

static void test_error_stops_dependents(void)
{
	struct plan *p;
	unsigned ok, bad, after, other;
	trace->n = 0;
	CHECK(plan_new(&p) == 0);
	CHECK(plan_add(p, 0, "ok", record, "ok", &ok) == 0);
	CHECK(plan_add(p, 0, "bad", fail_eio, "bad", &bad) == 0);
	CHECK(plan_add(p, 0, "after", record, "after", &after) == 0);
	CHECK(plan_add(p, 0, "other", record, "other", &other) == 0);
	CHECK(plan_need(p, after, bad) == 0);
	CHECK(plan_order(p) == 0);
	CHECK(plan_run(p, 0, NULL) == -EIO);
	CHECK(pos("ok") >= 0 && pos("bad") >= 0);
	CHECK(pos("after") < 0);
	CHECK(pos("other") < 0);
	CHECK(plan_error(p) == -EIO);
	CHECK(plan_step_done(p, ok) && !plan_step_done(p, bad));
	CHECK(plan_wait_done(p, 0) == -EIO);
	plan_free(p);
}

/* Owners in separate processes: order across them and cancellation of waiters. */
static int run_owner_in_child(struct plan *p, unsigned owner)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(-plan_run(p, owner, NULL));
	return pid;
}

static int child_status(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void test_cross_process_order(void)
{
	struct plan *p;
	unsigned s1, s2, s3, s4;
	trace->n = 0;
	CHECK(plan_new(&p) == 0);
	/* 1:first -> 2:second -> 1:third -> 2:fourth, alternating owners. */
	CHECK(plan_add(p, 2, "fourth", record, "fourth", &s4) == 0);
	CHECK(plan_add(p, 1, "third", record, "third", &s3) == 0);
	CHECK(plan_add(p, 2, "second", record, "second", &s2) == 0);
	CHECK(plan_add(p, 1, "first", record, "first", &s1) == 0);
	CHECK(plan_need(p, s4, s3) == 0);
	CHECK(plan_need(p, s3, s2) == 0);
	CHECK(plan_need(p, s2, s1) == 0);
	CHECK(plan_order(p) == 0);
	pid_t c2 = run_owner_in_child(p, 2);
	usleep(20000); /* let owner 2 block first: the wait path must work */
	pid_t c1 = run_owner_in_child(p, 1);
	CHECK(child_status(c1) == 0);
	CHECK(child_status(c2) == 0);
	CHECK(plan_wait_done(p, 1000) == 0);
	CHECK(trace->n == 4);
	CHECK(pos("first") == 0 && pos("second") == 1 && pos("third") == 2 && pos("fourth") == 3);
	plan_free(p);
}

static void test_failure_cancels_other_owners(void)
{
	struct plan *p;
	unsigned bad, waiter, later;
	trace->n = 0;
	CHECK(plan_new(&p) == 0);
	CHECK(plan_add(p, 1, "bad", fail_eio, "bad", &bad) == 0);
	CHECK(plan_add(p, 2, "waiter", record, "waiter", &waiter) == 0);
	CHECK(plan_add(p, 2, "later", record, "later", &later) == 0);
	CHECK(plan_need(p, waiter, bad) == 0);
	CHECK(plan_order(p) == 0);
	pid_t c2 = run_owner_in_child(p, 2);
	usleep(20000);
	pid_t c1 = run_owner_in_child(p, 1);
	CHECK(child_status(c1) == EIO);
	CHECK(child_status(c2) == ECANCELED);
	CHECK(pos("waiter") < 0 && pos("later") < 0);
	CHECK(plan_wait_done(p, 0) == -EIO);
	plan_free(p);
}

static void test_abort_wakes_waiters(void)
{
	struct plan *p;
	unsigned never, waiter;
	CHECK(plan_new(&p) == 0);
	CHECK(plan_add(p, 1, "never", record, "never", &never) == 0);
	CHECK(plan_add(p, 2, "waiter", record, "waiter", &waiter) == 0);
	CHECK(plan_need(p, waiter, never) == 0);
	CHECK(plan_order(p) == 0);
	pid_t c2 = run_owner_in_child(p, 2);
	usleep(20000);
	CHECK(plan_wait_done(p, 10) == -EAGAIN);
	plan_abort(p, -ECHILD); /* e.g. owner 1 died before running */
	CHECK(child_status(c2) == ECANCELED);
	CHECK(plan_error(p) == -ECHILD);
	plan_free(p);
}

int main(void)
{
	trace = mmap(NULL, sizeof(*trace), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (trace == MAP_FAILED)
		return 1;
	log_set_level(LOG_LVL_ERROR);
	log_set_sink(capture, NULL);

	test_order_respects_needs();
	test_missing_and_optional_needs();
	test_cycle_is_named();
	test_error_stops_dependents();
	test_cross_process_order();
	test_failure_cancels_other_owners();
	test_abort_wakes_waiters();

	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
