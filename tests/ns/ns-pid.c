/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Nested pid namespaces: a real tree made with clone3(CLONE_NEWPID),
 *
 *     A  pid 1 of ns1                   (after 3 pids used and freed)
 *     +- B  pid 5 of ns1                 (then 2 more used and freed)
 *     |  +- C  pid 8 of ns1, pid 1 of ns2 (nested)
 *     |     +- D  pid 9 of ns1, pid 3 of ns2
 *     +- E  pid 10 of ns1
 *
 * ns_pid_plan() computes every task's set_tid array and CLONE_NEWPID from
 * the NSpid chains; the tree is then rebuilt with clone3() following the plan
 * and every new task reports its own NSpid chain, which must match the
 * original's below the test's own level.  Refusals are checked on chains the
 * plan must not accept.
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "log.h"
#include "ns.h"
#include "common.h"

#define MAX_TASKS	8

static pid_t clone3_tid(bool newpid, const pid_t *set_tid, unsigned n)
{
	struct clone_args a = {
		.flags = newpid ? CLONE_NEWPID : 0,
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)set_tid,
		.set_tid_size = n,
	};

	return syscall(SYS_clone3, &a, sizeof(a));
}

static void burn_pids(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		waitpid(p, NULL, 0);
	}
}

static _Noreturn void sleep_forever(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;)
		pause();
}

/* ---- the original tree ---------------------------------------------------- */

static int ready[2], ready_e[2];

static void task_d(void) { put_int(ready[1], 1); sleep_forever(); }

static void task_c(void)
{
	burn_pids(1);
	if (fork() == 0)
		task_d();
	sleep_forever();
}

static void task_b(void)
{
	burn_pids(2);
	if (clone3_tid(true, NULL, 0) == 0)
		task_c();
	sleep_forever();
}

static void task_a(void)
{
	int st;

	burn_pids(3);
	if (fork() == 0)
		task_b();
	/* E only after B's subtree took its pids. */
	if (read(ready[0], &st, sizeof(st)) != sizeof(st))
		_exit(2);
	if (fork() == 0) {
		put_int(ready_e[1], 2);
		sleep_forever();
	}
	sleep_forever();
}

/* The children of pid, as the test sees them. */
static unsigned read_children(pid_t pid, pid_t *ret, unsigned max)
{
	char path[64], buf[256];
	int fd, n;
	unsigned nr = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (char *p = buf, *end; nr < max; p = end) {
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		ret[nr++] = v;
	}
	return nr;
}

/* Breadth first from the root: parents before children. */
static unsigned collect_tree(pid_t root, struct ns_pid_task *t)
{
	unsigned n = 1;

	memset(t, 0, MAX_TASKS * sizeof(*t));
	t[0].pid = root;
	for (unsigned i = 0; i < n; i++) {
		pid_t kids[MAX_TASKS];
		unsigned k = read_children(t[i].pid, kids, MAX_TASKS);
		for (unsigned j = 0; j < k && n < MAX_TASKS; j++) {
			t[n].pid = kids[j];
			t[n].ppid = t[i].pid;
			n++;
		}
		if (ns_read_nspid(t[i].pid, t[i].nspid, &t[i].nspid_len) < 0)
			DIE("NSpid of %d", t[i].pid);
	}
	return n;
}

/* ---- the rebuilt tree --------------------------------------------------------- */

static int report[2];

struct report {
	int index, len;
	pid_t chain[NS_PID_LEVELS_MAX];
};
_Static_assert(sizeof(struct report) <= PIPE_BUF, "reports are written atomically");

/* In the new task i: create its children, report its own chain, wait. */
static _Noreturn void rebuild(const struct ns_pid_task *t, unsigned n, unsigned i)
{
	pid_t chain[NS_PID_LEVELS_MAX];
	unsigned len = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
again:
	for (unsigned j = i + 1; j < n; j++) {
		if (t[j].ppid != t[i].pid)
			continue;
		pid_t c = clone3_tid(t[j].new_pidns, t[j].set_tid, t[j].set_tid_size);
		if (c < 0) {
			fprintf(stderr, "clone3 of task %u (set_tid[0] %d, %u levels): %s\n",
				j, t[j].set_tid[0], t[j].set_tid_size, strerror(errno));
			struct report rep = { .index = -1 };
			if (write(report[1], &rep, sizeof(rep)) != sizeof(rep))
				_exit(2);
		}
		if (c == 0) {
			/* the child goes on as task j */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			i = j;
			goto again;
		}
	}
	int rr = ns_read_nspid(0, chain, &len);
	if (rr < 0)
		fprintf(stderr, "task %u: NSpid: %s\n", i, strerror(-rr));
	/* One write per task: reports of concurrent tasks must not interleave. */
	struct report rep = { .index = (int)i, .len = (int)len };
	memcpy(rep.chain, chain, sizeof(rep.chain));
	if (write(report[1], &rep, sizeof(rep)) != sizeof(rep))
		_exit(2);
	sleep_forever();
}

static void check_refusals(void)
{
	struct ns_pid_task t[2];
	struct ns_pid_ns ns[3];
	unsigned nr;

	log_set_level(LOG_LVL_NONE);
	memset(t, 0, sizeof(t));
	t[0] = (struct ns_pid_task){ .pid = 100, .nspid_len = 2, .nspid = { 100, 3 } };
	CHECK(ns_pid_plan(t, 1, ns, &nr) == -EOPNOTSUPP, "refused: a root that is pid 3 of its namespace");
	t[0] = (struct ns_pid_task){ .pid = 100, .nspid_len = 2, .nspid = { 100, 1 } };
	t[1] = (struct ns_pid_task){ .pid = 101, .ppid = 100, .nspid_len = 3, .nspid = { 101, 2, 4 } };
	CHECK(ns_pid_plan(t, 2, ns, &nr) == -EOPNOTSUPP, "refused: a task that entered a pid namespace by setns");
	t[1] = (struct ns_pid_task){ .pid = 101, .ppid = 100, .nspid_len = 4, .nspid = { 101, 2, 1, 1 } };
	CHECK(ns_pid_plan(t, 2, ns, &nr) == -EOPNOTSUPP, "refused: a task two levels below its parent");
	t[1] = (struct ns_pid_task){ .pid = 101, .ppid = 100, .nspid_len = 2, .nspid = { 99, 2 } };
	CHECK(ns_pid_plan(t, 2, ns, &nr) == -EINVAL, "refused: a chain that does not start with the pid");
	t[0] = (struct ns_pid_task){ .pid = 100, .nspid_len = 1, .nspid = { 100 } };
	t[1] = (struct ns_pid_task){ .pid = 101, .ppid = 100, .nspid_len = 1, .nspid = { 101 } };
	CHECK(ns_pid_plan(t, 2, ns, &nr) == 0 && nr == 1 && t[1].set_tid_size == 1 && t[1].set_tid[0] == 101 &&
	      !t[0].new_pidns, "a tree in the dumper's own pid namespace keeps its pids there");
	log_set_level(LOG_LVL_WARN);
}

int main(void)
{
	struct ns_pid_task t[MAX_TASKS];
	struct ns_pid_ns ns[MAX_TASKS + 1];
	unsigned n, nr_ns = 0;
	int st;

	log_init(NULL, LOG_FMT_TEXT, LOG_LVL_WARN);
	if (pipe(ready) < 0 || pipe(ready_e) < 0 || pipe(report) < 0)
		DIE("pipe");
	pid_t a = clone3_tid(true, NULL, 0);
	if (a < 0)
		DIE("clone3 CLONE_NEWPID");
	if (a == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		task_a();
	}
	if (read(ready_e[0], &st, sizeof(st)) != sizeof(st))
		DIE("wait for the tree");
	n = collect_tree(a, t);
	CHECK(n == 5, "original: %u tasks", n);
	for (unsigned i = 0; i < n; i++) {
		char s[128] = "";
		for (unsigned l = 0; l < t[i].nspid_len; l++)
			snprintf(s + strlen(s), sizeof(s) - strlen(s), " %d", t[i].nspid[l]);
		printf("original task %u: pid %d ppid %d NSpid%s\n", i, t[i].pid, t[i].ppid, s);
	}
	if (n != 5)
		goto out;

	CHECK(ns_pid_plan(t, n, ns, &nr_ns) == 0, "plan computed");
	CHECK(nr_ns == 3 && ns[1].level == 1 && ns[1].parent == 0 && ns[2].level == 2 && ns[2].parent == 1,
	      "plan: %u pid namespaces, nested one at level %u under %d", nr_ns, ns[2].level, ns[2].parent);
	for (unsigned i = 0; i < n; i++) {
		bool want_new = t[i].nspid[t[i].nspid_len - 1] == 1;
		CHECK(t[i].new_pidns == want_new && t[i].set_tid_size == t[i].nspid_len - 1 &&
		      t[i].set_tid[0] == t[i].nspid[t[i].nspid_len - 1],
		      "plan: task %u: CLONE_NEWPID %d, set_tid size %u [%d %d]", i, t[i].new_pidns,
		      t[i].set_tid_size, t[i].set_tid[0], t[i].set_tid_size > 1 ? t[i].set_tid[1] : 0);
	}
	CHECK(t[3].pidns == 2 && t[3].nspid_len == 4 - 1 && t[3].set_tid[1] == t[3].nspid[1],
	      "plan: task 3 in the nested namespace, its level-1 pid %d", t[3].set_tid[1]);

	/* Rebuild: the test is the parent of the new root. */
	fflush(stdout);
	pid_t r = clone3_tid(t[0].new_pidns, t[0].set_tid, t[0].set_tid_size);
	if (r < 0)
		DIE("clone3 of the new root");
	if (r == 0)
		rebuild(t, n, 0);
	for (unsigned k = 0; k < n; k++) {
		struct report rep;
		if (read(report[0], &rep, sizeof(rep)) != sizeof(rep))
			DIE("read a report");
		int i = rep.index;
		if (i < 0 || (unsigned)i >= n) {
			CHECK(0, "rebuild: a clone3 failed");
			break;
		}
		unsigned len = rep.len;
		const pid_t *chain = rep.chain;
		bool same = len == t[i].nspid_len;
		for (unsigned l = 1; same && l < len; l++)
			same = chain[l] == t[i].nspid[l];
		CHECK(same, "rebuilt task %d: %u levels, in-namespace pids %d %d (original %d %d)", i, len,
		      len > 1 ? chain[1] : 0, len > 2 ? chain[2] : 0, t[i].nspid[1],
		      t[i].nspid_len > 2 ? t[i].nspid[2] : 0);
	}
	kill(r, SIGKILL);
	waitpid(r, NULL, 0);
	check_refusals();
out:
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	printf("%s: %d failure(s)\n", nr_fail ? "FAIL" : "PASS", nr_fail);
	return nr_fail ? 1 : 0;
}
