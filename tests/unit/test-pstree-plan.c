/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The process tree kind's plan (cr/pstree-restore.c) on synthetic trees, ordered
 * but not executed: forks follow the parent's session and group steps, group
 * members follow their leader, a zombie leader exits only after its members
 * joined, and impossible sessions are refused by name.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "restore.h"

static int failures;
#define CHECK(cond)                                                                             \
	do {                                                                                    \
		if (!(cond)) {                                                                  \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                                             \
		}                                                                               \
	} while (0)

static char last_error[1024];
static void capture(enum log_level level, const char *line, void *u)
{
	(void)u;
	if (level == LOG_LVL_ERROR)
		snprintf(last_error, sizeof(last_error), "%s", line);
}

struct spec {
	pid_t pid, ppid, pgid, sid;
	bool zombie;
};

static int build(struct restore_ctx *rc, struct rst_task *tasks, const struct spec *s, size_t n, bool shell)
{
	memset(rc, 0, sizeof(*rc));
	memset(tasks, 0, n * sizeof(*tasks));
	rc->opts.shell_job = shell;
	rc->tasks = tasks;
	rc->n_tasks = n;
	for (size_t i = 0; i < n; i++) {
		tasks[i] = (struct rst_task){ .owner = (unsigned)i + 1, .pid = s[i].pid, .ppid = s[i].ppid,
					      .pgid = s[i].pgid, .sid = s[i].sid, .zombie = s[i].zombie };
		for (size_t j = 0; j < i; j++)
			if (tasks[j].pid == s[i].ppid)
				tasks[i].parent = &tasks[j];
	}
	rc->root = &tasks[0];
	int r = plan_new(&rc->plan);
	if (r < 0)
		return r;
	r = pstree_restore_add_steps(rc);
	return r < 0 ? r : plan_order(rc->plan);
}

/* Position in the ordered plan of (kind, owner of pid), -1 if absent. */
static long pos(struct restore_ctx *rc, const char *kind, pid_t pid)
{
	struct rst_task *t = rst_task_by_pid(rc, pid);
	unsigned owner = t ? t->owner : 0;
	for (size_t i = 0; i < plan_size(rc->plan); i++)
		if (plan_ordered_owner(rc->plan, i) == owner && !strcmp(plan_ordered_kind(rc->plan, i), kind))
			return (long)i;
	return -1;
}

/* Position of the fork of pid (owned by its parent). */
static long fork_pos(struct restore_ctx *rc, pid_t pid)
{
	struct rst_task *t = rst_task_by_pid(rc, pid);
	unsigned parent_owner = t->parent ? t->parent->owner : 0;
	size_t seen = 0;
	/* The parent's fork steps come in pstree order; count which one is ours. */
	size_t nth = 0;
	for (size_t i = 0; i < rc->n_tasks && &rc->tasks[i] != t; i++)
		if ((rc->tasks[i].parent ? rc->tasks[i].parent->owner : 0) == parent_owner)
			nth++;
	for (size_t i = 0; i < plan_size(rc->plan); i++)
		if (plan_ordered_owner(rc->plan, i) == parent_owner && !strcmp(plan_ordered_kind(rc->plan, i), "fork") &&
		    seen++ == nth)
			return (long)i;
	return -1;
}

static void test_sessions_and_groups(void)
{
	/* 10 leads the session; 11 leads a group 12 joins; 13 leads session 13 where
	 * 14 is in 13's group and 15 leads its own; 16 (zombie) led a group 17 joined. */
	const struct spec s[] = {
		{ 10, 0, 10, 10, false }, { 11, 10, 11, 10, false }, { 12, 10, 11, 10, false },
		{ 13, 10, 13, 13, false }, { 14, 13, 13, 13, false }, { 15, 14, 15, 13, false },
		{ 16, 10, 16, 10, true }, { 17, 10, 16, 10, false },
	};
	struct rst_task t[8];
	struct restore_ctx rc;
	CHECK(build(&rc, t, s, 8, false) == 0);
	CHECK(pos(&rc, "setsid", 10) >= 0 && pos(&rc, "setpgid", 10) < 0);
	CHECK(pos(&rc, "setsid", 10) < fork_pos(&rc, 11)); /* children inherit the new session */
	CHECK(pos(&rc, "setpgid", 11) >= 0 && pos(&rc, "setsid", 11) < 0);
	CHECK(pos(&rc, "setpgid", 11) < pos(&rc, "setpgid", 12)); /* the group exists first */
	CHECK(pos(&rc, "setsid", 13) >= 0 && pos(&rc, "setpgid", 13) < 0);
	CHECK(pos(&rc, "setsid", 13) < fork_pos(&rc, 14));
	CHECK(pos(&rc, "setpgid", 14) < 0); /* inherits 13's group */
	CHECK(pos(&rc, "setpgid", 15) >= 0);
	CHECK(pos(&rc, "setpgid", 16) >= 0 && pos(&rc, "exit", 16) >= 0);
	CHECK(pos(&rc, "setpgid", 16) < pos(&rc, "setpgid", 17));
	CHECK(pos(&rc, "setpgid", 17) < pos(&rc, "exit", 16)); /* zombie leader waits for its member */
	CHECK(pos(&rc, "exit", 16) < pos(&rc, "zombie-wait", 10));
	plan_free(rc.plan);
}

static void test_refusals(void)
{
	struct rst_task t[3];
	struct restore_ctx rc;

	/* A root in a session led from outside: only with --shell-job. */
	const struct spec job[] = { { 20, 1, 20, 5, false }, { 21, 20, 20, 5, false } };
	last_error[0] = 0;
	CHECK(build(&rc, t, job, 2, false) == -EOPNOTSUPP);
	CHECK(strstr(last_error, "--shell-job") != NULL);
	plan_free(rc.plan);
	CHECK(build(&rc, t, job, 2, true) == 0);
	CHECK(pos(&rc, "setsid", 20) < 0 && pos(&rc, "setpgid", 20) >= 0 && pos(&rc, "setpgid", 21) < 0);
	plan_free(rc.plan);

	/* A session that is neither the task's own nor its parent's. */
	const struct spec odd[] = { { 30, 0, 30, 30, false }, { 31, 30, 31, 31, false }, { 32, 30, 31, 31, false } };
	last_error[0] = 0;
	CHECK(build(&rc, t, odd, 3, false) == -EOPNOTSUPP);
	CHECK(strstr(last_error, "task 32: session 31") != NULL);
	plan_free(rc.plan);

	/* A group without a leader in the image. */
	const struct spec lost[] = { { 40, 0, 40, 40, false }, { 41, 40, 99, 40, false } };
	last_error[0] = 0;
	CHECK(build(&rc, t, lost, 2, false) == -EOPNOTSUPP);
	CHECK(strstr(last_error, "process group 99") != NULL);
	plan_free(rc.plan);
}

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	log_set_sink(capture, NULL);
	test_sessions_and_groups();
	test_refusals();
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
