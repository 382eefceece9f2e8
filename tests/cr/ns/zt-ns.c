/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tree of the namespace C/R tests (ns-run.sh starts it as the init of the
 * namespaces it asks ns-launch for).  Each argument adds one kind of state,
 * set up before the dump and checked after the restore by the task itself:
 *
 *   tree     children 2 and 3 (3 a child of 2, 2 with a second thread): every
 *            task's pids at every level below the host, its parent's, and the
 *            thread's tid, compared after restore (same in-namespace pids);
 *            and a zombie child of the root (exit status 7), reaped after
 *   nested   child 2 starts a nested pid namespace: its child is pid 1 there,
 *            with a second thread and a child of its own (pid 2 there); chains
 *            (the thread's at both levels) compared
 *   uts      hostname and domainname
 *   ipc      a SysV shm segment (contents), a semaphore set (values), a
 *            message queue (3 messages, types and order), a POSIX queue
 *            (2 messages, priorities), each with its id
 *   time     the time namespace's offsets (/proc/self/timens_offsets), and
 *            CLOCK_MONOTONIC/BOOTTIME never going back
 *   user     uid_map, gid_map, setgroups, uid 0
 *   uids     (with tree) the tasks run as several in-namespace ids: child 2
 *            as uids 1000/1001/1002 (real/effective/saved), gids 2000/2001/
 *            2002, groups 3000 3001; its child permutes them to 1002/1001/
 *            1000; each task's ids and groups compared after restore
 *   cgroup   /proc/self/cgroup as seen from inside its cgroup namespace
 */
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/zt.h"

#define MAX_LEVELS 8
#define SHM_SIZE (3 * 4096 + 123)

struct chain {
	int len;
	pid_t pid[MAX_LEVELS];	/* below the host level: outermost first */
};

/* One task's report: before the dump, and after the restore. */
struct report {
	volatile int done;
	struct chain self, parent_seen;	/* its pids; getppid() */
	pid_t ppid, thread_tid;
	char why[160];
	uid_t uid[3];
	gid_t gid[3];
	int ngroups;
	gid_t groups[8];
};

struct shared {
	volatile int go;		/* set by the root after restore */
	volatile int ready;
	/* 0: child 2, 1: its child (or nested init), 2: 0's thread, 3: nested child, 4: 1's thread */
	struct report before[5], after[5];
};

static struct shared *sh;
static bool nested_mode, uids_mode;

/* NSpid of the caller as /proc shows it (the host's proc: host level first); drop the host level. */
static void read_chain(const char *status, struct chain *c)
{
	char line[256];
	FILE *f = fopen(status, "re");

	memset(c, 0, sizeof(*c));
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "NSpid:", 6))
			continue;
		char *p = line + 6, *end;
		int n = 0;
		pid_t all[MAX_LEVELS + 1];
		for (long v; n <= MAX_LEVELS && (v = strtol(p, &end, 10), end != p); p = end)
			all[n++] = (pid_t)v;
		for (int i = 1; i < n; i++)
			c->pid[c->len++] = all[i];
	}
	fclose(f);
}

static void self_chain(struct chain *c)
{
	read_chain("/proc/thread-self/status", c);
}

static void wait_go(void)
{
	while (!__atomic_load_n(&sh->go, __ATOMIC_SEQ_CST))
		usleep(2000);
}

static void report(int slot, bool after)
{
	struct report *r = after ? &sh->after[slot] : &sh->before[slot];

	self_chain(&r->self);
	r->ppid = getppid();
	r->thread_tid = (pid_t)syscall(SYS_gettid);
	getresuid(&r->uid[0], &r->uid[1], &r->uid[2]);
	getresgid(&r->gid[0], &r->gid[1], &r->gid[2]);
	r->ngroups = getgroups(8, r->groups);
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
}

static void *thread_main(void *arg)
{
	int slot = (int)(intptr_t)arg;

	report(slot, false);
	wait_go();
	report(slot, true);
	return NULL;
}

/* uids: child 2 becomes 1000/1001/1002 (it still can); its child, unprivileged, permutes them. */
static void take_ids(int slot)
{
	static const gid_t groups[] = { 3000, 3001 };

	if (!uids_mode)
		return;
	if (slot == 0 && (setgroups(2, groups) < 0 || setresgid(2000, 2001, 2002) < 0 ||
			  setresuid(1000, 1001, 1002) < 0))
		_exit(4);
	if (slot == 1 && setresuid(1002, 1001, 1000) < 0)
		_exit(5);
}

/* A task of the tree: report, wait through C/R, report again, exit. */
static void child_body(int slot, int (*spawn)(void))
{
	pthread_t th;
	int kids = 0;

	bool threaded = slot == 0 || (slot == 1 && nested_mode);

	take_ids(slot);
	report(slot, false);
	/* Pids used and freed before the thread: its tid at the outer level is
	 * not simply the next one there, so only set_tid gives it back. */
	for (int i = 0; slot == 1 && nested_mode && i < 5; i++) {
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		if (p > 0)
			waitpid(p, NULL, 0);
	}
	if (threaded && pthread_create(&th, NULL, thread_main, (void *)(intptr_t)(slot == 0 ? 2 : 4)) != 0)
		_exit(3);
	if (spawn)
		kids = spawn();
	wait_go();
	report(slot, true);
	if (threaded)
		pthread_join(th, NULL);
	while (kids-- > 0)
		wait(NULL);
	_exit(0);
}

static int spawn_grandchild(void)
{
	pid_t p = fork();

	if (p < 0)
		return 0;
	if (p == 0)
		child_body(1, NULL);
	return 1;
}

static int spawn_nested_child(void)
{
	pid_t p = fork();

	if (p < 0)
		return 0;
	if (p == 0) {
		report(3, false);
		wait_go();
		report(3, true);
		_exit(0);
	}
	return 1;
}

/* nested: child 2 clones the init of a new pid namespace (slot 1), which forks slot 3. */
static int spawn_nested_init(void)
{
	long p = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);

	if (p < 0)
		return 0;
	if (p == 0)
		child_body(1, spawn_nested_child);
	return 1;
}

static bool same_chain(const struct chain *a, const struct chain *b)
{
	return a->len == b->len && !memcmp(a->pid, b->pid, sizeof(pid_t) * (size_t)a->len);
}

static void chain_text(const struct chain *c, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (int i = 0; i < c->len && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%d", i ? "/" : "", c->pid[i]);
}

static void check_reports(int n, const int *slots)
{
	for (int i = 0; i < n; i++) {
		const struct report *b = &sh->before[slots[i]], *a = &sh->after[slots[i]];
		char cb[64], ca[64];

		for (int t = 0; t < 5000 && !__atomic_load_n(&a->done, __ATOMIC_SEQ_CST); t++)
			usleep(2000);
		if (!a->done)
			zt_fail("task of slot %d did not report after restore", slots[i]);
		chain_text(&b->self, cb, sizeof(cb));
		chain_text(&a->self, ca, sizeof(ca));
		if (!same_chain(&b->self, &a->self))
			zt_fail("slot %d: pids %s before, %s after restore", slots[i], cb, ca);
		if (b->ppid != a->ppid)
			zt_fail("slot %d (%s): parent %d before, %d after", slots[i], cb, b->ppid, a->ppid);
		if (b->thread_tid != a->thread_tid)
			zt_fail("slot %d (%s): tid %d before, %d after", slots[i], cb, b->thread_tid, a->thread_tid);
		if (memcmp(b->uid, a->uid, sizeof(a->uid)) || memcmp(b->gid, a->gid, sizeof(a->gid)))
			zt_fail("slot %d (%s): uids %u/%u/%u gids %u/%u/%u before, %u/%u/%u and %u/%u/%u after",
				slots[i], cb, b->uid[0], b->uid[1], b->uid[2], b->gid[0], b->gid[1], b->gid[2],
				a->uid[0], a->uid[1], a->uid[2], a->gid[0], a->gid[1], a->gid[2]);
		if (b->ngroups != a->ngroups || b->ngroups < 0 ||
		    memcmp(b->groups, a->groups, sizeof(gid_t) * (size_t)b->ngroups))
			zt_fail("slot %d (%s): %d supplementary groups before, %d after (or they differ)",
				slots[i], cb, b->ngroups, a->ngroups);
	}
}

/* ---- tree ------------------------------------------------------------------- */

static pid_t child2, zombie;

static void tree_setup(bool nested)
{
	int slots[] = { 0, 1, 2, 3, 4 }, n = nested ? 5 : 3;

	child2 = fork();
	if (child2 < 0)
		zt_fail("fork: %m");
	if (child2 == 0)
		child_body(0, nested ? spawn_nested_init : spawn_grandchild);
	for (int t = 0; t < 5000; t++) {
		int done = 0;
		for (int i = 0; i < n; i++)
			done += sh->before[slots[i]].done;
		if (done == n)
			return;
		usleep(2000);
	}
	zt_fail("the children did not start");
}

static void uids_setup(void)
{
	if (sh->before[0].uid[0] != 1000 || sh->before[1].uid[0] != 1002 || sh->before[0].ngroups != 2)
		zt_fail("uids: child 2 runs as uid %u (%d groups), its child as %u; not the test's ids",
			sh->before[0].uid[0], sh->before[0].ngroups, sh->before[1].uid[0]);
}

static void zombie_setup(void)
{
	siginfo_t si;

	zombie = fork();
	if (zombie < 0)
		zt_fail("fork: %m");
	if (zombie == 0)
		_exit(7);
	if (waitid(P_PID, (id_t)zombie, &si, WEXITED | WNOWAIT) < 0)
		zt_fail("waitid: %m");
}

static void zombie_check(void)
{
	int st;

	if (waitpid(zombie, &st, WNOHANG) != zombie || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
		zt_fail("zombie %d: not there with exit status 7 after restore (status %#x)", zombie, st);
}

static void tree_check(bool nested)
{
	int slots[] = { 0, 1, 2, 3, 4 }, st;

	if (getpid() != 1)
		zt_fail("the root is pid %d in its namespace after restore, not 1", getpid());
	__atomic_store_n(&sh->go, 1, __ATOMIC_SEQ_CST);
	check_reports(nested ? 5 : 3, slots);
	if (waitpid(child2, &st, 0) != child2 || !WIFEXITED(st) || WEXITSTATUS(st))
		zt_fail("child %d did not exit well (status %#x)", child2, st);
}

/* ---- uts ------------------------------------------------------------------------ */

static void uts_setup(void)
{
	if (sethostname("cryo-ns-host", 12) < 0 || setdomainname("cryo-ns.example", 15) < 0)
		zt_fail("sethostname/setdomainname: %m");
}

static void uts_check(void)
{
	char h[128] = "", d[128] = "";

	gethostname(h, sizeof(h));
	getdomainname(d, sizeof(d));
	if (strcmp(h, "cryo-ns-host") || strcmp(d, "cryo-ns.example"))
		zt_fail("uts: hostname '%s', domainname '%s' after restore", h, d);
}

/* ---- ipc ------------------------------------------------------------------------- */

struct ipc_ids {
	int shm, sem, msg;
};
static struct ipc_ids ipc;

struct msgbuf_ { long mtype; char text[32]; };

static void ipc_setup(void)
{
	unsigned short vals[3] = { 5, 0, 9 };
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	char *p;
	mqd_t q;

	ipc.shm = shmget(0x6372794f, SHM_SIZE, IPC_CREAT | IPC_EXCL | 0640);
	if (ipc.shm < 0)
		zt_fail("shmget: %m");
	p = shmat(ipc.shm, NULL, 0);
	if (p == (void *)-1)
		zt_fail("shmat: %m");
	zt_fill(p, SHM_SIZE, 77);
	shmdt(p);
	ipc.sem = semget(IPC_PRIVATE, 3, 0600);
	if (ipc.sem < 0 || semctl(ipc.sem, 0, SETALL, vals) < 0)
		zt_fail("semget/SETALL: %m");
	ipc.msg = msgget(IPC_PRIVATE, 0620);
	if (ipc.msg < 0)
		zt_fail("msgget: %m");
	for (int i = 0; i < 3; i++) {
		struct msgbuf_ m = { .mtype = 3 - i };
		snprintf(m.text, sizeof(m.text), "message %d", i);
		if (msgsnd(ipc.msg, &m, strlen(m.text) + 1, 0) < 0)
			zt_fail("msgsnd: %m");
	}
	q = mq_open("/cryo-ns-q", O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (q == (mqd_t)-1)
		zt_fail("mq_open: %m");
	if (mq_send(q, "low", 4, 1) < 0 || mq_send(q, "high", 5, 7) < 0)
		zt_fail("mq_send: %m");
	mq_close(q);
}

static void ipc_check(void)
{
	unsigned short vals[3] = { 0 };
	struct shmid_ds ds;
	char buf[64];
	unsigned prio;
	size_t bad;
	char *p;
	mqd_t q;

	if (shmctl(ipc.shm, IPC_STAT, &ds) < 0 || ds.shm_segsz != SHM_SIZE || ds.shm_perm.__key != 0x6372794f ||
	    (ds.shm_perm.mode & 0777) != 0640)
		zt_fail("shm %d after restore: %m (size %zu, key %#x, mode %o)", ipc.shm, (size_t)ds.shm_segsz,
			ds.shm_perm.__key, ds.shm_perm.mode & 0777);
	p = shmat(ipc.shm, NULL, SHM_RDONLY);
	if (p == (void *)-1)
		zt_fail("shmat %d after restore: %m", ipc.shm);
	if ((bad = zt_check(p, SHM_SIZE, 77)))
		zt_fail("shm %d: byte %zu differs after restore", ipc.shm, bad - 1);
	shmdt(p);
	if (semctl(ipc.sem, 0, GETALL, vals) < 0 || vals[0] != 5 || vals[1] != 0 || vals[2] != 9)
		zt_fail("sem %d after restore: %m (%u %u %u)", ipc.sem, vals[0], vals[1], vals[2]);
	for (int i = 0; i < 3; i++) {
		struct msgbuf_ m;
		char want[32];
		snprintf(want, sizeof(want), "message %d", i);
		if (msgrcv(ipc.msg, &m, sizeof(m.text), 0, IPC_NOWAIT) < 0)
			zt_fail("msg %d: message %d missing after restore: %m", ipc.msg, i);
		if (m.mtype != 3 - i || strcmp(m.text, want))
			zt_fail("msg %d: message %d is type %ld '%s'", ipc.msg, i, m.mtype, m.text);
	}
	q = mq_open("/cryo-ns-q", O_RDONLY | O_NONBLOCK);
	if (q == (mqd_t)-1)
		zt_fail("POSIX queue /cryo-ns-q after restore: %m");
	if (mq_receive(q, buf, sizeof(buf), &prio) != 5 || prio != 7 || strcmp(buf, "high") ||
	    mq_receive(q, buf, sizeof(buf), &prio) != 4 || prio != 1 || strcmp(buf, "low"))
		zt_fail("POSIX queue /cryo-ns-q: wrong messages after restore");
	mq_close(q);
}

/* ---- time ------------------------------------------------------------------------ */

static char offsets[256];
static struct timespec mono, boot;

static void read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	buf[n < 0 ? 0 : n] = 0;
	if (fd >= 0)
		close(fd);
}

static void time_setup(void)
{
	read_text("/proc/self/timens_offsets", offsets, sizeof(offsets));
	if (!strstr(offsets, "100000") || !strstr(offsets, "200000"))
		zt_fail("not in a time namespace with the test's offsets: '%s'", offsets);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_BOOTTIME, &boot);
}

static void time_check(void)
{
	char now[256];
	struct timespec m, b;

	read_text("/proc/self/timens_offsets", now, sizeof(now));
	if (strcmp(now, offsets))
		zt_fail("time namespace offsets '%s' after restore, were '%s'", now, offsets);
	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_BOOTTIME, &b);
	if (m.tv_sec < mono.tv_sec || b.tv_sec < boot.tv_sec)
		zt_fail("clocks went back: monotonic %ld -> %ld, boottime %ld -> %ld", (long)mono.tv_sec,
			(long)m.tv_sec, (long)boot.tv_sec, (long)b.tv_sec);
}

/* ---- user ------------------------------------------------------------------------ */

static char uid_map[256], gid_map[256], setgroups_[32];

static void user_setup(void)
{
	read_text("/proc/self/uid_map", uid_map, sizeof(uid_map));
	read_text("/proc/self/gid_map", gid_map, sizeof(gid_map));
	read_text("/proc/self/setgroups", setgroups_, sizeof(setgroups_));
	if (!strstr(uid_map, "100000"))
		zt_fail("not in the test's user namespace: uid_map '%s'", uid_map);
}

static void user_check(void)
{
	char u[256], g[256], s[32];

	read_text("/proc/self/uid_map", u, sizeof(u));
	read_text("/proc/self/gid_map", g, sizeof(g));
	read_text("/proc/self/setgroups", s, sizeof(s));
	if (strcmp(u, uid_map) || strcmp(g, gid_map) || strcmp(s, setgroups_))
		zt_fail("user namespace after restore: uid_map '%s' gid_map '%s' setgroups '%s'", u, g, s);
	if (getuid() != 0 || getgid() != 0)
		zt_fail("uid %d gid %d after restore", getuid(), getgid());
}

/* ---- cgroup ------------------------------------------------------------------------ */

static char cgroups[2048];

static void cgroup_setup(void)
{
	read_text("/proc/self/cgroup", cgroups, sizeof(cgroups));
	if (!strstr(cgroups, ":pids:/\n"))
		zt_fail("not at the root of a cgroup namespace: %s", cgroups);
}

static void cgroup_check(void)
{
	char now[2048];

	read_text("/proc/self/cgroup", now, sizeof(now));
	if (strcmp(now, cgroups))
		zt_fail("/proc/self/cgroup after restore:\n%s\nbefore:\n%s", now, cgroups);
}

int main(int argc, char **argv)
{
	bool tree = false, nested = false, uts = false, ipc_ = false, time_ = false, user = false, cg = false;

	zt_init(argc, argv);
	for (int i = 1; i < argc; i++) {
		tree |= !strcmp(argv[i], "tree");
		nested |= !strcmp(argv[i], "nested");
		nested_mode = nested;
		uts |= !strcmp(argv[i], "uts");
		ipc_ |= !strcmp(argv[i], "ipc");
		time_ |= !strcmp(argv[i], "time");
		user |= !strcmp(argv[i], "user");
		uids_mode |= !strcmp(argv[i], "uids");
		cg |= !strcmp(argv[i], "cgroup");
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		zt_fail("mmap: %m");
	if ((tree || nested) && getpid() != 1)
		zt_fail("the root must be pid 1 of its pid namespace, is %d", getpid());
	if (uts)
		uts_setup();
	if (ipc_)
		ipc_setup();
	if (time_)
		time_setup();
	if (user)
		user_setup();
	if (cg)
		cgroup_setup();
	if (tree || nested)
		tree_setup(nested);
	if (tree)
		zombie_setup();
	if (uids_mode)
		uids_setup();
	zt_ready();
	zt_wait();
	if (uts)
		uts_check();
	if (ipc_)
		ipc_check();
	if (time_)
		time_check();
	if (user)
		user_check();
	if (cg)
		cgroup_check();
	if (tree || nested)
		tree_check(nested);
	if (tree)
		zombie_check();
	zt_pass();
}
