/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IPC namespaces: SysV shared memory segments (with their contents),
 * semaphore sets (with every value) and message queues (every message, in
 * order).  Dump reads them from a thread that joined the namespace, without
 * consuming anything (message queues are read with MSG_COPY).  Restore
 * recreates each object with its old id (the namespace's *_next_id sysctl),
 * key, owner and mode, then refills it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image.h"
#include "ipc-mqueue.h"
#include "log.h"
#include "ns.h"
#include "util.h"
#include "proto/ns.pb-c.h"

#ifndef MSG_COPY
#define MSG_COPY	040000
#endif

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

static IpcPermEntry *perm_entry(const struct ipc_perm *p, int id)
{
	IpcPermEntry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	ipc_perm_entry__init(e);
	e->key = p->__key;
	e->id = id;
	e->uid = p->uid;
	e->gid = p->gid;
	e->cuid = p->cuid;
	e->cgid = p->cgid;
	e->mode = p->mode & 0777;
	return e;
}

/* Grow a repeated field by one element. */
static int push(void ***arr, size_t *n, void *elem)
{
	void **a = realloc(*arr, (*n + 1) * sizeof(*a));

	if (!a)
		return -ENOMEM;
	a[(*n)++] = elem;
	*arr = a;
	return 0;
}

/* ---- collect (runs in a thread inside the namespace) ------------------------ */

static int collect_shm(IpcNsEntry *ns)
{
	struct shm_info info;
	int max = shmctl(0, SHM_INFO, (struct shmid_ds *)&info);

	if (max < 0)
		return -errno;
	for (int idx = 0; idx <= max; idx++) {
		struct shmid_ds ds;
		int id = shmctl(idx, SHM_STAT_ANY, &ds);

		if (id < 0)
			continue;	/* a free slot */
		IpcShmEntry *e = calloc(1, sizeof(*e));
		if (!e || push((void ***)&ns->shm, &ns->n_shm, e) < 0)
			return free(e), -ENOMEM;
		ipc_shm_entry__init(e);
		e->perm = perm_entry(&ds.shm_perm, id);
		e->size = ds.shm_segsz;
		e->data.data = malloc(ds.shm_segsz ? ds.shm_segsz : 1);
		if (!e->perm || !e->data.data)
			return -ENOMEM;
		void *p = shmat(id, NULL, SHM_RDONLY);
		if (p == (void *)-1)
			return -errno;
		memcpy(e->data.data, p, ds.shm_segsz);
		e->data.len = ds.shm_segsz;
		shmdt(p);
	}
	return 0;
}

static int collect_sem(IpcNsEntry *ns)
{
	struct seminfo info;
	int max = semctl(0, 0, SEM_INFO, (union semun){ .__buf = &info });

	if (max < 0)
		return -errno;
	for (int idx = 0; idx <= max; idx++) {
		struct semid_ds ds;
		int id = semctl(idx, 0, SEM_STAT_ANY, (union semun){ .buf = &ds });

		if (id < 0)
			continue;
		IpcSemEntry *e = calloc(1, sizeof(*e));
		if (!e || push((void ***)&ns->sem, &ns->n_sem, e) < 0)
			return free(e), -ENOMEM;
		ipc_sem_entry__init(e);
		e->perm = perm_entry(&ds.sem_perm, id);
		_cleanup_free_ unsigned short *vals = calloc(ds.sem_nsems, sizeof(*vals));
		e->values = calloc(ds.sem_nsems, sizeof(*e->values));
		if (!e->perm || !vals || !e->values)
			return -ENOMEM;
		if (semctl(id, 0, GETALL, (union semun){ .array = vals }) < 0)
			return -errno;
		for (unsigned long i = 0; i < ds.sem_nsems; i++)
			e->values[i] = vals[i];
		e->n_values = ds.sem_nsems;
	}
	return 0;
}

static int collect_messages(int id, const struct msqid_ds *ds, IpcMsgEntry *e)
{
	/* No message is longer than the queue may hold. */
	size_t max = ds->msg_qbytes;
	_cleanup_free_ struct msgbuf *buf = malloc(sizeof(long) + max + 1);

	if (!buf)
		return -ENOMEM;
	e->messages = calloc(ds->msg_qnum + 1, sizeof(*e->messages));
	if (!e->messages)
		return -ENOMEM;
	for (unsigned long i = 0; i < ds->msg_qnum; i++) {
		/* MSG_COPY: the i-th message, copied; the queue keeps it. */
		ssize_t len = msgrcv(id, buf, max, (long)i, IPC_NOWAIT | MSG_COPY);
		if (len < 0)
			return -errno;
		IpcMsg *m = calloc(1, sizeof(*m));
		if (!m)
			return -ENOMEM;
		ipc_msg__init(m);
		e->messages[e->n_messages++] = m;
		m->mtype = buf->mtype;
		m->text.data = malloc(len ? len : 1);
		if (!m->text.data)
			return -ENOMEM;
		memcpy(m->text.data, buf->mtext, len);
		m->text.len = len;
	}
	return 0;
}

static int collect_msg(IpcNsEntry *ns)
{
	struct msginfo info;
	int max = msgctl(0, MSG_INFO, (struct msqid_ds *)&info);

	if (max < 0)
		return -errno;
	for (int idx = 0; idx <= max; idx++) {
		struct msqid_ds ds;
		int id = msgctl(idx, MSG_STAT_ANY, &ds);

		if (id < 0)
			continue;
		IpcMsgEntry *e = calloc(1, sizeof(*e));
		if (!e || push((void ***)&ns->msg, &ns->n_msg, e) < 0)
			return free(e), -ENOMEM;
		ipc_msg_entry__init(e);
		e->perm = perm_entry(&ds.msg_perm, id);
		e->qbytes = ds.msg_qbytes;
		if (!e->perm)
			return -ENOMEM;
		int r = collect_messages(id, &ds, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int collect_ipc(void *arg)
{
	IpcNsEntry *ns = arg;
	int r;

	r = collect_shm(ns);
	if (r < 0)
		return log_error_errno(r, "shared memory segments");
	r = collect_sem(ns);
	if (r < 0)
		return log_error_errno(r, "semaphore sets");
	r = collect_msg(ns);
	if (r < 0)
		return log_error_errno(r, "message queues (MSG_COPY needs CONFIG_CHECKPOINT_RESTORE)");
	return ipc_mqueue_collect(ns);
}

/*
 * The collecting thread is in the dumper's user namespace, so owners come out
 * as the dumper sees them; the image keeps them as the namespace sees them
 * (restore sets them from inside).  An owner the namespace cannot see is
 * refused.
 */
static int perm_to_ns(pid_t pid, IpcPermEntry *p)
{
	struct { uint32_t *v; bool gid; } ids[] = {
		{ &p->uid, false }, { &p->gid, true }, { &p->cuid, false }, { &p->cgid, true },
	};
	uint32_t self, their;
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	if (stat(path, &a) < 0 || stat("/proc/self/ns/user", &b) < 0)
		return -errno;
	if (a.st_ino == b.st_ino)
		return 0;
	for (unsigned i = 0; i < 4; i++) {
		int r = ns_user_id_to_ns(pid, ids[i].gid, *ids[i].v, &their);
		if (r < 0) {
			self = *ids[i].v;
			log_error("task %d: ipc object %d: owner %s %u is not mapped in its user namespace",
				  pid, p->id, ids[i].gid ? "gid" : "uid", self);
			return -EOPNOTSUPP;
		}
		*ids[i].v = their;
	}
	return 0;
}

static int owner_to_ns(pid_t pid, uint32_t *uid, uint32_t *gid, const char *name)
{
	IpcPermEntry p = IPC_PERM_ENTRY__INIT;
	int r;

	p.uid = p.cuid = *uid;
	p.gid = p.cgid = *gid;
	p.id = -1;
	r = perm_to_ns(pid, &p);
	if (r < 0)
		return log_error_errno(r, "task %d: POSIX message queue /%s", pid, name);
	*uid = p.uid;
	*gid = p.gid;
	return 0;
}

static int perms_to_ns(pid_t pid, IpcNsEntry *ns)
{
	int r = 0;

	for (size_t i = 0; i < ns->n_shm && r >= 0; i++)
		r = perm_to_ns(pid, ns->shm[i]->perm);
	for (size_t i = 0; i < ns->n_sem && r >= 0; i++)
		r = perm_to_ns(pid, ns->sem[i]->perm);
	for (size_t i = 0; i < ns->n_msg && r >= 0; i++)
		r = perm_to_ns(pid, ns->msg[i]->perm);
	for (size_t i = 0; i < ns->n_mqueue && r >= 0; i++)
		r = owner_to_ns(pid, &ns->mqueue[i]->uid, &ns->mqueue[i]->gid, ns->mqueue[i]->name);
	return r;
}

static int ipc_collect(pid_t pid, uint32_t ino, ProtobufCMessage **ret)
{
	IpcNsEntry *ns = calloc(1, sizeof(*ns));
	int r;

	if (!ns)
		return -ENOMEM;
	ipc_ns_entry__init(ns);
	*ret = &ns->base;
	r = ns_run_in(pid, CLONE_NEWIPC, collect_ipc, ns);
	if (r < 0)
		return log_error_errno(r, "task %d: cannot collect its ipc namespace %u", pid, ino);
	return perms_to_ns(pid, ns);
}

/* ---- restore (runs inside the fresh namespace) ------------------------------- */

static int set_next_id(const char *sysctl, int id)
{
	char path[64], buf[16];
	_cleanup_close_ int fd = -EBADF;
	int n;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", sysctl);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d", id);
	return write(fd, buf, n) == n ? 0 : -errno;
}

static void perm_apply(struct ipc_perm *p, const IpcPermEntry *e)
{
	p->uid = e->uid;
	p->gid = e->gid;
	p->mode = e->mode;
}

static int check_id(const char *what, int got, const IpcPermEntry *e)
{
	if (got < 0)
		return log_error_errno(-errno, "%s %d (key 0x%x): cannot create it", what, e->id, (unsigned)e->key);
	if (got != e->id) {
		log_error("%s %d (key 0x%x): recreated with id %d", what, e->id, (unsigned)e->key, got);
		return -EEXIST;
	}
	return 0;
}

static int restore_shm(const IpcShmEntry *e)
{
	const IpcPermEntry *pe = e->perm;
	struct shmid_ds ds;
	int r, id;

	if (e->data.len != e->size) {
		log_error("shared memory segment %d: %zu bytes of data for %llu bytes",
			  pe->id, e->data.len, (unsigned long long)e->size);
		return -EBADMSG;
	}
	r = set_next_id("shm_next_id", pe->id);
	if (r < 0)
		return log_error_errno(r, "shared memory segment %d: cannot set shm_next_id", pe->id);
	id = shmget(pe->key, e->size, IPC_CREAT | IPC_EXCL | 0600);
	r = check_id("shared memory segment", id, pe);
	if (r < 0)
		return r;
	void *p = shmat(id, NULL, 0);
	if (p == (void *)-1)
		return log_error_errno(-errno, "shared memory segment %d: cannot attach it", id);
	if (e->size)
		memcpy(p, e->data.data, e->size);
	shmdt(p);
	if (shmctl(id, IPC_STAT, &ds) < 0)
		return -errno;
	perm_apply(&ds.shm_perm, pe);
	if (shmctl(id, IPC_SET, &ds) < 0)
		return log_error_errno(-errno, "shared memory segment %d: cannot set owner %u:%u mode %o",
				       id, pe->uid, pe->gid, pe->mode);
	return 0;
}

static int restore_sem(const IpcSemEntry *e)
{
	const IpcPermEntry *pe = e->perm;
	_cleanup_free_ unsigned short *vals = NULL;
	struct semid_ds ds;
	int r, id;

	if (!e->n_values) {
		log_error("semaphore set %d: no semaphores", pe->id);
		return -EBADMSG;
	}
	r = set_next_id("sem_next_id", pe->id);
	if (r < 0)
		return log_error_errno(r, "semaphore set %d: cannot set sem_next_id", pe->id);
	id = semget(pe->key, (int)e->n_values, IPC_CREAT | IPC_EXCL | 0600);
	r = check_id("semaphore set", id, pe);
	if (r < 0)
		return r;
	vals = calloc(e->n_values, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (size_t i = 0; i < e->n_values; i++) {
		if (e->values[i] > 32767) {
			log_error("semaphore set %d: value %u of semaphore %zu is out of range", id, e->values[i], i);
			return -EBADMSG;
		}
		vals[i] = e->values[i];
	}
	if (semctl(id, 0, SETALL, (union semun){ .array = vals }) < 0)
		return log_error_errno(-errno, "semaphore set %d: cannot set the values", id);
	if (semctl(id, 0, IPC_STAT, (union semun){ .buf = &ds }) < 0)
		return -errno;
	perm_apply(&ds.sem_perm, pe);
	if (semctl(id, 0, IPC_SET, (union semun){ .buf = &ds }) < 0)
		return log_error_errno(-errno, "semaphore set %d: cannot set owner %u:%u mode %o",
				       id, pe->uid, pe->gid, pe->mode);
	return 0;
}

static int restore_msg(const IpcMsgEntry *e)
{
	const IpcPermEntry *pe = e->perm;
	struct msqid_ds ds;
	int r, id;

	r = set_next_id("msg_next_id", pe->id);
	if (r < 0)
		return log_error_errno(r, "message queue %d: cannot set msg_next_id", pe->id);
	id = msgget(pe->key, IPC_CREAT | IPC_EXCL | 0600);
	r = check_id("message queue", id, pe);
	if (r < 0)
		return r;
	if (msgctl(id, IPC_STAT, &ds) < 0)
		return -errno;
	/* Raising the limit above msgmnb needs CAP_SYS_RESOURCE: only if it differs. */
	if (ds.msg_qbytes != e->qbytes) {
		ds.msg_qbytes = e->qbytes;
		if (msgctl(id, IPC_SET, &ds) < 0)
			return log_error_errno(-errno, "message queue %d: cannot set its size to %llu bytes",
					       id, (unsigned long long)e->qbytes);
	}
	for (size_t i = 0; i < e->n_messages; i++) {
		const IpcMsg *m = e->messages[i];
		_cleanup_free_ struct msgbuf *buf = malloc(sizeof(long) + m->text.len + 1);

		if (!buf)
			return -ENOMEM;
		if (m->mtype <= 0) {
			log_error("message queue %d: message %zu has type %lld (must be > 0)", id, i, (long long)m->mtype);
			return -EBADMSG;
		}
		buf->mtype = m->mtype;
		if (m->text.len)	/* an empty message unpacks with no data */
			memcpy(buf->mtext, m->text.data, m->text.len);
		if (msgsnd(id, buf, m->text.len, IPC_NOWAIT) < 0)
			return log_error_errno(-errno, "message queue %d: cannot queue message %zu", id, i);
	}
	if (msgctl(id, IPC_STAT, &ds) < 0)
		return -errno;
	perm_apply(&ds.msg_perm, pe);
	if (msgctl(id, IPC_SET, &ds) < 0)
		return log_error_errno(-errno, "message queue %d: cannot set owner %u:%u mode %o",
				       id, pe->uid, pe->gid, pe->mode);
	return 0;
}

static int restore_objects(const IpcNsEntry *ns)
{
	int r = 0;

	for (size_t i = 0; i < ns->n_shm && r >= 0; i++)
		r = restore_shm(ns->shm[i]);
	for (size_t i = 0; i < ns->n_sem && r >= 0; i++)
		r = restore_sem(ns->sem[i]);
	for (size_t i = 0; i < ns->n_msg && r >= 0; i++)
		r = restore_msg(ns->msg[i]);
	for (size_t i = 0; i < ns->n_mqueue && r >= 0; i++)
		r = ipc_mqueue_restore(ns->mqueue[i]);
	return r;
}

static int ipc_restore_fill(const ProtobufCMessage *state, uint32_t ino)
{
	int r = restore_objects((const IpcNsEntry *)state);

	if (r < 0)
		return log_error_errno(r, "ipc namespace %u: cannot restore it", ino);
	return 0;
}

int ipc_shm_restored_id(int dumped_shmid, int *ret_shmid)
{
	struct shmid_ds ds;

	/* Ids are restored as they were: the same id, if the segment is there. */
	if (shmctl(dumped_shmid, IPC_STAT, &ds) < 0)
		return errno == EINVAL || errno == EIDRM ? -ENOENT : -errno;
	*ret_shmid = dumped_shmid;
	return 0;
}

const struct ns_kind ns_kind_ipc = {
	.id = NS_IPC,
	.name = "ipc",
	.clone_flag = CLONE_NEWIPC,
	.img = IMG_IPCNS,
	.collect = ipc_collect,
	.restore_fill = ipc_restore_fill,
};
