/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Real namespaces through the ns library: a task in fresh user, uts, ipc,
 * time and pid namespaces, filled with state (hostname, domainname, a shared
 * memory segment with data, a semaphore set with values, a message queue
 * with messages of several types, clock offsets, uid/gid maps); ns_dump_tree()
 * writes the images; the original namespaces must be undisturbed; a new
 * helper rebuilds the namespaces from the images and its first child checks
 * everything from inside, PASS/FAIL per item.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "image.h"
#include "log.h"
#include "ns.h"
#include "proto/inventory.pb-c.h"
#include "common.h"
#include <linux/sched.h>
#include <sys/syscall.h>

static pid_t clone3_tid(unsigned long flags, const pid_t *set_tid, unsigned n)
{
	struct clone_args a = {
		.flags = flags, .exit_signal = SIGCHLD, .set_tid = (uintptr_t)set_tid, .set_tid_size = n,
	};

	return syscall(SYS_clone3, &a, sizeof(a));
}

#define HOSTNAME	"cryo-ns-orig"
#define DOMAINNAME	"ns.cryo.test"
#define UID_MAP		"0 100000 65536\n65536 0 1\n"
#define GID_MAP		"0 200000 65536\n65536 0 1\n"
#define MONO_SEC	259200LL
#define MONO_NSEC	123LL
#define BOOT_SEC	7200LL
#define BOOT_NSEC	456LL
#define SHM_KEY		0x1234
#define SHM_ID		77
#define SHM_SIZE	(3 * 4096 + 100)
#define SEM_KEY		0x2345
#define SEM_ID		4242
#define MSG_KEY		0x3456
#define MSG_ID		32770
#define CHILD_PID	5
#define OWNER_UID	1000
#define OWNER_GID	1001

static const unsigned short sem_values[] = { 3, 0, 7, 12 };
#define NSEMS	(sizeof(sem_values) / sizeof(sem_values[0]))
static const struct { long type; const char *text; } msgs[] = {
	{ 5, "first, type five" }, { 1, "second" }, { 9, "" }, { 1, "fourth: type one again, longer text" },
};
#define NMSGS	(sizeof(msgs) / sizeof(msgs[0]))

#define MQ_NAME		"/cryo-ns-q"
static const struct { unsigned prio; const char *text; } mq_msgs[] = {
	{ 1, "mq one" }, { 5, "mq urgent" }, { 1, "mq three" },
};
/* receive order: highest priority first, FIFO within one */
static const unsigned mq_order[] = { 1, 0, 2 };
#define NMQ	3

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static unsigned char shm_byte(size_t i) { return (unsigned char)(i * 7 + 3); }

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		DIE("write %s", path);
	close(fd);
}

static void set_next(const char *name, int id)
{
	char path[64], v[16];

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	snprintf(v, sizeof(v), "%d", id);
	write_file(path, v);
}

/* ---- the original ---------------------------------------------------------- */

static void fill_ipc(void)
{
	struct shmid_ds sds;
	struct semid_ds seds;
	struct msqid_ds mds;
	struct { long type; char text[128]; } m;

	set_next("shm_next_id", SHM_ID);
	int shm = shmget(SHM_KEY, SHM_SIZE, IPC_CREAT | 0600);
	if (shm != SHM_ID)
		DIE("shmget gave %d", shm);
	unsigned char *p = shmat(shm, NULL, 0);
	if (p == (void *)-1)
		DIE("shmat");
	for (size_t i = 0; i < SHM_SIZE; i++)
		p[i] = shm_byte(i);
	shmdt(p);
	shmctl(shm, IPC_STAT, &sds);
	sds.shm_perm.uid = OWNER_UID;
	sds.shm_perm.gid = OWNER_GID;
	sds.shm_perm.mode = 0640;
	if (shmctl(shm, IPC_SET, &sds) < 0)
		DIE("shm IPC_SET");

	set_next("sem_next_id", SEM_ID);
	int sem = semget(SEM_KEY, NSEMS, IPC_CREAT | 0600);
	if (sem != SEM_ID)
		DIE("semget gave %d", sem);
	if (semctl(sem, 0, SETALL, (union semun){ .array = (unsigned short *)sem_values }) < 0)
		DIE("SETALL");
	semctl(sem, 0, IPC_STAT, (union semun){ .buf = &seds });
	seds.sem_perm.mode = 0604;
	if (semctl(sem, 0, IPC_SET, (union semun){ .buf = &seds }) < 0)
		DIE("sem IPC_SET");

	set_next("msg_next_id", MSG_ID);
	int q = msgget(MSG_KEY, IPC_CREAT | 0600);
	if (q != MSG_ID)
		DIE("msgget gave %d", q);
	for (size_t i = 0; i < NMSGS; i++) {
		m.type = msgs[i].type;
		strcpy(m.text, msgs[i].text);
		if (msgsnd(q, &m, strlen(msgs[i].text), 0) < 0)
			DIE("msgsnd");
	}
	struct mq_attr ma = { .mq_maxmsg = 8, .mq_msgsize = 64 };
	mqd_t mq = mq_open(MQ_NAME, O_CREAT | O_RDWR, 0640, &ma);
	if (mq == (mqd_t)-1)
		DIE("mq_open");
	for (size_t i = 0; i < NMQ; i++)
		if (mq_send(mq, mq_msgs[i].text, strlen(mq_msgs[i].text), mq_msgs[i].prio) < 0)
			DIE("mq_send");
	if (fchmod(mq, 0640) < 0 || fchown(mq, OWNER_UID, OWNER_GID) < 0)
		DIE("mq owner");
	mq_close(mq);

	msgctl(q, IPC_STAT, &mds);
	mds.msg_perm.gid = OWNER_GID;
	mds.msg_perm.mode = 0620;
	if (msgctl(q, IPC_SET, &mds) < 0)
		DIE("msg IPC_SET");
}

/* The creator: a user namespace (maps written by the test), then the rest. */
static pid_t start_original(pid_t *ret_task)
{
	int to_test[2], from_test[2];
	char buf[64];

	if (pipe(to_test) < 0 || pipe(from_test) < 0)
		DIE("pipe");
	pid_t h = fork();
	if (h < 0)
		DIE("fork");
	if (h == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWUSER) < 0)
			DIE("unshare user");
		put_int(to_test[1], 0);
		get_int(from_test[0]);	/* maps written */
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			DIE("setresuid");
		if (unshare(CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWTIME | CLONE_NEWPID) < 0)
			DIE("unshare");
		snprintf(buf, sizeof(buf), "monotonic %lld %lld", MONO_SEC, MONO_NSEC);
		write_file("/proc/self/timens_offsets", buf);
		snprintf(buf, sizeof(buf), "boottime %lld %lld", BOOT_SEC, BOOT_NSEC);
		write_file("/proc/self/timens_offsets", buf);
		if (sethostname(HOSTNAME, strlen(HOSTNAME)) < 0 || setdomainname(DOMAINNAME, strlen(DOMAINNAME)) < 0)
			DIE("sethostname");
		fill_ipc();
		int t_ready[2];
		if (pipe(t_ready) < 0)
			DIE("pipe");
		pid_t t = fork();
		if (t == 0) {
			/* pid 1; its child gets pid CHILD_PID after some are used and freed */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (int i = 2; i < CHILD_PID; i++)
				if (fork() == 0)
					_exit(0);
				else
					wait(NULL);
			if (fork() == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				for (;;)
					pause();
			}
			put_int(t_ready[1], 0);
			for (;;)
				pause();
		}
		get_int(t_ready[0]);
		put_int(to_test[1], t);
		waitpid(t, NULL, 0);
		_exit(0);
	}
	char path[64];
	get_int(to_test[0]);
	snprintf(path, sizeof(path), "/proc/%d/setgroups", h);
	write_file(path, "deny");
	snprintf(path, sizeof(path), "/proc/%d/uid_map", h);
	write_file(path, UID_MAP);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", h);
	write_file(path, GID_MAP);
	put_int(from_test[1], 0);
	*ret_task = get_int(to_test[0]);
	return h;
}

/* ---- checks, run inside the namespaces (restored ones or the original's) ---- */

/* outside: seen from the test's user namespace (uids through the maps) */
static void check_ipc(const char *where, bool consume, bool outside)
{
	unsigned uid = OWNER_UID + (outside ? 100000 : 0), gid = OWNER_GID + (outside ? 200000 : 0);

	struct shmid_ds sds;
	struct semid_ds seds;
	struct msqid_ds mds;
	unsigned short vals[NSEMS];
	struct { long type; char text[256]; } m;

	int shm = shmget(SHM_KEY, 0, 0);
	CHECK(shm == SHM_ID, "%s: shm key 0x%x has id %d (want %d)", where, SHM_KEY, shm, SHM_ID);
	if (shm >= 0) {
		shmctl(shm, IPC_STAT, &sds);
		CHECK(sds.shm_segsz == SHM_SIZE, "%s: shm size %zu", where, sds.shm_segsz);
		CHECK(sds.shm_perm.uid == uid && sds.shm_perm.gid == gid &&
		      (sds.shm_perm.mode & 0777) == 0640, "%s: shm owner %u:%u mode %o", where,
		      sds.shm_perm.uid, sds.shm_perm.gid, sds.shm_perm.mode & 0777);
		unsigned char *p = shmat(shm, NULL, SHM_RDONLY);
		size_t bad = 0;
		for (size_t i = 0; p != (void *)-1 && i < SHM_SIZE; i++)
			bad += p[i] != shm_byte(i);
		CHECK(p != (void *)-1 && !bad, "%s: shm contents (%zu bytes differ)", where, bad);
		if (p != (void *)-1)
			shmdt(p);
	}

	int sem = semget(SEM_KEY, 0, 0);
	CHECK(sem == SEM_ID, "%s: sem key 0x%x has id %d (want %d)", where, SEM_KEY, sem, SEM_ID);
	if (sem >= 0) {
		semctl(sem, 0, IPC_STAT, (union semun){ .buf = &seds });
		CHECK(seds.sem_nsems == NSEMS && (seds.sem_perm.mode & 0777) == 0604,
		      "%s: sem set of %lu, mode %o", where, seds.sem_nsems, seds.sem_perm.mode & 0777);
		memset(vals, 0xff, sizeof(vals));
		semctl(sem, 0, GETALL, (union semun){ .array = vals });
		CHECK(!memcmp(vals, sem_values, sizeof(vals)), "%s: sem values %u %u %u %u", where,
		      vals[0], vals[1], vals[2], vals[3]);
	}

	mqd_t mq = mq_open(MQ_NAME, O_RDONLY | O_NONBLOCK);
	CHECK(mq != (mqd_t)-1, "%s: POSIX queue %s exists", where, MQ_NAME);
	if (mq != (mqd_t)-1) {
		struct mq_attr ma;
		struct stat st;
		mq_getattr(mq, &ma);
		CHECK(ma.mq_maxmsg == 8 && ma.mq_msgsize == 64 && ma.mq_curmsgs == NMQ,
		      "%s: POSIX queue holds %ld messages (max %ld of %ld bytes)", where,
		      ma.mq_curmsgs, ma.mq_maxmsg, ma.mq_msgsize);
		fstat(mq, &st);
		CHECK(st.st_uid == uid && st.st_gid == gid && (st.st_mode & 0777) == 0640,
		      "%s: POSIX queue owner %u:%u mode %o", where, st.st_uid, st.st_gid, st.st_mode & 0777);
		for (size_t i = 0; consume && i < NMQ; i++) {
			char b[65] = "";
			unsigned prio = 0;
			ssize_t n = mq_receive(mq, b, 64, &prio);
			unsigned w = mq_order[i];
			CHECK(n == (ssize_t)strlen(mq_msgs[w].text) && prio == mq_msgs[w].prio &&
			      !strncmp(b, mq_msgs[w].text, n), "%s: POSIX message %zu: prio %u '%s'", where, i, prio, b);
		}
		mq_close(mq);
	}

	int q = msgget(MSG_KEY, 0);
	CHECK(q == MSG_ID, "%s: msg key 0x%x has id %d (want %d)", where, MSG_KEY, q, MSG_ID);
	if (q < 0)
		return;
	msgctl(q, IPC_STAT, &mds);
	CHECK(mds.msg_qnum == NMSGS, "%s: msg queue holds %lu messages (want %zu)", where, mds.msg_qnum, NMSGS);
	CHECK(mds.msg_perm.gid == gid && (mds.msg_perm.mode & 0777) == 0620,
	      "%s: msg queue gid %u mode %o", where, mds.msg_perm.gid, mds.msg_perm.mode & 0777);
	for (size_t i = 0; i < NMSGS; i++) {
		memset(&m, 0, sizeof(m));
		ssize_t n = msgrcv(q, &m, sizeof(m.text), consume ? 0 : (long)i,
				   IPC_NOWAIT | (consume ? 0 : 040000 /* MSG_COPY */));
		CHECK(n == (ssize_t)strlen(msgs[i].text) && m.type == msgs[i].type && !strcmp(m.text, msgs[i].text),
		      "%s: message %zu: type %ld '%s'", where, i, m.type, m.text);
	}
}

static int check_ipc_thread(void *arg)
{
	check_ipc(arg, false, true);
	return 0;
}

static int check_uts_thread(void *arg)
{
	char host[128] = "", dom[128] = "";

	gethostname(host, sizeof(host));
	getdomainname(dom, sizeof(dom));
	CHECK(!strcmp(host, HOSTNAME) && !strcmp(dom, DOMAINNAME), "%s: hostname '%s' domainname '%s'",
	      (char *)arg, host, dom);
	return 0;
}

static void read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

/* The first task of the restored namespaces. */
static void verify_restored(void)
{
	char buf[512];
	pid_t nspid[NS_PID_LEVELS_MAX];
	unsigned n = 0;

	check_uts_thread("restored");
	check_ipc("restored", true, false);
	long long ms = 0, mn = 0, bs = 0, bn = 0;
	read_file("/proc/self/timens_offsets", buf, sizeof(buf));
	sscanf(buf, "%*s %lld %lld %*s %lld %lld", &ms, &mn, &bs, &bn);
	CHECK(ms == MONO_SEC && mn == MONO_NSEC && bs == BOOT_SEC && bn == BOOT_NSEC,
	      "restored: time offsets monotonic %lld.%09lld boottime %lld.%09lld", ms, mn, bs, bn);
	read_file("/proc/self/uid_map", buf, sizeof(buf));
	/* Inside, the map reads as the parent (the restorer's namespace) wrote it. */
	int ok = strstr(buf, "100000") && strstr(buf, "65536");
	CHECK(ok, "restored: uid_map\n%s", buf);
	read_file("/proc/self/gid_map", buf, sizeof(buf));
	CHECK(strstr(buf, "200000") != NULL, "restored: gid_map\n%s", buf);
	read_file("/proc/self/setgroups", buf, sizeof(buf));
	CHECK(!strncmp(buf, "deny", 4), "restored: setgroups %s", buf);
	CHECK(getuid() == 0 && getgid() == 0, "restored: uid %d gid %d in the user namespace", getuid(), getgid());
	ns_read_nspid(getpid(), nspid, &n);
	CHECK(getpid() == 1, "restored: pid %d in its pid namespace (%u levels)", getpid(), n);
	int restored;
	CHECK(ipc_shm_restored_id(SHM_ID, &restored) == 0 && restored == SHM_ID,
	      "restored: ipc_shm_restored_id(%d)", SHM_ID);
}

/* ---- restore --------------------------------------------------------------- */

static int restore(struct img_dir *d, pid_t root_pid)
{
	struct ns_restore nr;
	int to_test[2], from_test[2], st;

	struct ns_pid_task *plan;
	struct ns_pid_ns *pns;
	unsigned n, nr_ns;

	if (ns_restore_open(d, root_pid, &nr) < 0)
		return -1;
	if (ns_restore_pid_plan(d, &plan, &n, &pns, &nr_ns) < 0)
		return -1;
	CHECK(n == 2 && nr_ns == 2 && plan[0].new_pidns && plan[0].set_tid_size == 1 && plan[0].set_tid[0] == 1 &&
	      !plan[1].new_pidns && plan[1].set_tid_size == 1 && plan[1].set_tid[0] == CHILD_PID,
	      "restore: pid plan from ns-ids.img: %u tasks, %u pid namespaces, set_tid [%d] and [%d]",
	      n, nr_ns, plan[0].set_tid[0], n > 1 ? plan[1].set_tid[0] : 0);
	if (n != 2)
		return -1;
	CHECK(ns_restore_clone_flags(&nr) == CLONE_NEWUSER, "restore: a user namespace to create");
	for (unsigned k = 0; k < NS_KIND_MAX; k++)
		CHECK(nr.ino[k] != 0, "restore: a %s namespace to create", ns_kind_name(k));
	if (pipe(to_test) < 0 || pipe(from_test) < 0)
		DIE("pipe");
	fflush(stdout);
	pid_t h = fork();
	if (h == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(ns_restore_clone_flags(&nr)) < 0)
			DIE("unshare user");
		put_int(to_test[1], 0);
		get_int(from_test[0]);
		if (ns_restore_enter(&nr) < 0)
			_exit(3);
		/* The root: the helper already unshared the pid namespace. */
		pid_t v = clone3_tid(0, plan[0].set_tid, plan[0].set_tid_size);
		if (v == 0) {
			verify_restored();
			pid_t w = clone3_tid(plan[1].new_pidns ? CLONE_NEWPID : 0, plan[1].set_tid,
					     plan[1].set_tid_size);
			if (w == 0)
				_exit(getpid() == CHILD_PID ? 0 : 1);
			CHECK(w == CHILD_PID, "restored: the child cloned with set_tid [%d] got pid %d", plan[1].set_tid[0], w);
			if (w > 0) {
				waitpid(w, &st, 0);
				CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "restored: the child sees getpid() == %d", CHILD_PID);
			}
			_exit(nr_fail ? 1 : 0);
		}
		if (v < 0)
			DIE("clone3 of the root with set_tid [%d]", plan[0].set_tid[0]);
		waitpid(v, &st, 0);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 4);
	}
	get_int(to_test[0]);
	int r = ns_restore_user_maps(&nr, h);
	CHECK(r == 0, "restore: uid/gid maps written");
	put_int(from_test[1], 0);
	waitpid(h, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "restore: helper and first task (status 0x%x)", st);
	ns_restore_close(&nr);
	free(plan);
	free(pns);
	return 0;
}

static pid_t first_child(pid_t pid)
{
	char path[64], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	f = fopen(path, "re");
	if (!f || !fgets(buf, sizeof(buf), f))
		DIE("children of %d", pid);
	fclose(f);
	return atoi(buf);
}

static int commit_image(const char *dir, pid_t task)
{
	pid_t child = first_child(task);
	struct img_dir *d;
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	struct img *img;
	int r;

	if (img_dir_open_write(dir, &d) < 0)
		return -1;
	r = ns_dump_tree(d, (pid_t[]){ task, child }, (pid_t[]){ 0, task }, 2);
	CHECK(r == 0, "dump: ns_dump_tree of tasks %d and %d (%d)", task, child, r);
	if (img_inventory_init(&inv) < 0 || img_open(d, IMG_INVENTORY, true, &img) < 0)
		return -1;
	img_write(img, &inv.base);
	img_close(img);
	img_inventory_clear(&inv);
	r = img_dir_commit(d);
	img_dir_close(d);
	return r;
}

int main(void)
{
	char tmpl[] = "/tmp/cryo-ns-state-XXXXXX";
	/* NS_TEST_IMAGE_DIR: write the image there and keep it (image round trip). */
	const char *keep_dir = getenv("NS_TEST_IMAGE_DIR");
	const char *dir = keep_dir ? keep_dir : tmpl;
	struct ns_ids ids;
	struct img_dir *d;
	pid_t task;

	log_init(NULL, LOG_FMT_TEXT, getenv("NS_TEST_VERBOSE") ? LOG_LVL_DEBUG : LOG_LVL_WARN);
	if (!keep_dir && !mkdtemp(tmpl))
		DIE("mkdtemp");
	pid_t h = start_original(&task);

	CHECK(ns_collect_ids(task, &ids) == 0, "ids: collected for task %d", task);
	for (unsigned k = 0; k < NS_KIND_MAX; k++)
		CHECK(!ids.own[k], "ids: task %d has its own %s namespace (%u)", task, ns_kind_name(k), ids.ino[k]);
	CHECK(ids.nspid_len == 2 && ids.nspid[1] == 1, "ids: NSpid %d %d", ids.nspid[0], ids.nspid[1]);
	ns_collect_ids(getpid(), &ids);
	CHECK(ids.own[NS_UTS] && ids.own[NS_IPC] && ids.own[NS_USER], "ids: the test's own namespaces are its own");

	if (commit_image(dir, task) < 0)
		DIE("image");
	/* Collection must not have disturbed anything. */
	ns_run_in(task, CLONE_NEWIPC, check_ipc_thread, "original after dump");
	ns_run_in(task, CLONE_NEWUTS, check_uts_thread, "original after dump");

	if (img_dir_open_read(dir, &d) < 0)
		DIE("open image");
	restore(d, task);
	img_dir_close(d);

	kill(task, SIGKILL);
	waitpid(h, NULL, 0);
	if (!keep_dir && !getenv("NS_TEST_KEEP")) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
	} else {
		printf("image kept in %s\n", dir);
	}
	printf("%s: %d failure(s)\n", nr_fail ? "FAIL" : "PASS", nr_fail);
	return nr_fail ? 1 : 0;
}
