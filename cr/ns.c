/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Namespace identification and the per-kind table; dump of a tree's
 * namespaces and the restore sequence (see ns.h and docs/namespaces.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image.h"
#include "log.h"
#include "ns.h"
#include "util.h"
#include "proto/ns.pb-c.h"

static const struct ns_kind *const kinds[NS_KIND_MAX] = {
	[NS_USER] = &ns_kind_user,
	[NS_PID] = &ns_kind_pid,
	[NS_UTS] = &ns_kind_uts,
	[NS_IPC] = &ns_kind_ipc,
	[NS_TIME] = &ns_kind_time,
};

const struct ns_kind *ns_kind(enum ns_kind_id id)
{
	return (unsigned)id < NS_KIND_MAX ? kinds[id] : NULL;
}

const char *ns_kind_name(enum ns_kind_id id)
{
	const struct ns_kind *k = ns_kind(id);

	return k ? k->name : "?";
}

static int ns_ino(const char *pid, const char *name, uint32_t *ret)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, name);
	if (stat(path, &st) < 0)
		return -errno;
	*ret = (uint32_t)st.st_ino;
	return 0;
}

int ns_read_nspid(pid_t pid, pid_t *ret_nspid, unsigned *ret_len)
{
	char path[64], line[512];
	_cleanup_fclose_ FILE *f = NULL;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "NSpid:", 6))
			continue;
		unsigned n = 0;
		char *p = line + 6, *end;

		for (;;) {
			long v = strtol(p, &end, 10);
			if (end == p)
				break;
			if (n == NS_PID_LEVELS_MAX || v <= 0)
				return -EBADMSG;
			ret_nspid[n++] = (pid_t)v;
			p = end;
		}
		if (!n)
			return -EBADMSG;
		*ret_len = n;
		return 0;
	}
	return -ENODATA;
}

int ns_collect_ids(pid_t pid, struct ns_ids *ret)
{
	char spid[16];
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->pid = pid;
	snprintf(spid, sizeof(spid), "%d", pid);
	for (unsigned k = 0; k < NS_KIND_MAX; k++) {
		uint32_t self;

		r = ns_ino(spid, kinds[k]->name, &ret->ino[k]);
		if (r < 0)
			return log_error_errno(r, "task %d: cannot read its %s namespace", pid, kinds[k]->name);
		r = ns_ino("self", kinds[k]->name, &self);
		if (r < 0)
			return log_error_errno(r, "cannot read the dumper's own %s namespace", kinds[k]->name);
		ret->own[k] = ret->ino[k] == self;
	}
	r = ns_read_nspid(pid, ret->nspid, &ret->nspid_len);
	if (r < 0)
		return log_error_errno(r, "task %d: cannot read NSpid from /proc/%d/status", pid, pid);
	return 0;
}

/* ---- running code inside a namespace ------------------------------------ */

struct ns_thread {
	int fd, nstype;
	int (*fn)(void *);
	void *arg;
	int r;
};

static void *ns_thread_main(void *p)
{
	struct ns_thread *t = p;

	/* Only this thread changes namespace; it dies with the namespace it joined. */
	if (setns(t->fd, t->nstype) < 0)
		t->r = -errno;
	else
		t->r = t->fn(t->arg);
	return NULL;
}

int ns_run_in(pid_t pid, int nstype, int (*fn)(void *arg), void *arg)
{
	const char *name = nstype == CLONE_NEWUTS ? "uts" : nstype == CLONE_NEWIPC ? "ipc" :
			   nstype == CLONE_NEWCGROUP ? "cgroup" : NULL;
	char path[64];
	_cleanup_close_ int fd = -EBADF;
	struct ns_thread t = { .nstype = nstype, .fn = fn, .arg = arg };
	pthread_t th;
	int r;

	/* user, mount and time namespaces cannot be joined by one thread */
	if (!name)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	t.fd = fd;
	r = pthread_create(&th, NULL, ns_thread_main, &t);
	if (r)
		return -r;
	pthread_join(th, NULL);
	return t.r;
}

/* ---- dump ------------------------------------------------------------------- */

/* One level of user namespace: the task's must be a child of the dumper's. */
static int check_userns_level(pid_t pid)
{
	char path[64];
	_cleanup_close_ int fd = -EBADF, parent = -EBADF;
	struct stat pst, self;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	parent = ioctl(fd, NS_GET_PARENT);
	if (parent < 0)
		return -errno;
	if (fstat(parent, &pst) < 0 || stat("/proc/self/ns/user", &self) < 0)
		return -errno;
	if (pst.st_ino != self.st_ino || pst.st_dev != self.st_dev) {
		log_error("task %d: user namespace: nested user namespaces are not supported "
			  "(only one level below the dumper's)", pid);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int write_ids(struct img_dir *d, const struct ns_ids *ids, const pid_t *ppids, const bool *zombie,
		     uint32_t cgroup_ino, unsigned n)
{
	struct img *img = NULL;
	int r;

	r = img_open(d, IMG_NS_IDS, true, &img);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < n && r >= 0; i++) {
		NsIdsEntry e = NS_IDS_ENTRY__INIT;
		uint32_t nspid[NS_PID_LEVELS_MAX];

		e.pid = ids[i].pid;
		if (i) {
			e.has_ppid = true;
			e.ppid = ppids[i];
		}
#define ID(field, kind) if (!ids[i].own[kind]) { e.has_##field = true; e.field = ids[i].ino[kind]; }
		ID(user, NS_USER);
		ID(pid_ns, NS_PID);
		ID(uts, NS_UTS);
		ID(ipc, NS_IPC);
		ID(time, NS_TIME);
#undef ID
		for (unsigned l = 0; l < ids[i].nspid_len; l++)
			nspid[l] = ids[i].nspid[l];
		e.n_nspid = ids[i].nspid_len;
		e.nspid = nspid;
		if (cgroup_ino) {
			e.has_cgroup = true;
			e.cgroup = cgroup_ino;
		}
		_cleanup_free_ uint32_t *th = NULL;
		if (zombie && zombie[i]) {
			e.has_zombie = e.zombie = true;
		} else if (!ids[i].own[NS_PID]) {
			r = ns_read_thread_nspids(ids[i].pid, ids[i].nspid_len, &th, &e.n_thread_nspid);
			if (r < 0) {
				log_error_errno(r, "task %d: cannot read the pids of its threads", ids[i].pid);
				break;
			}
			e.thread_nspid = th;
		}
		r = img_write(img, &e.base);
	}
	int rc = img_close(img);
	return r < 0 ? r : rc;
}

/*
 * A task that unshared a pid or time namespace and has not forked yet has
 * *_for_children pointing elsewhere: its next child would land in a namespace
 * nobody is in yet.  Not restorable here.
 */
static int check_for_children(pid_t pid)
{
	static const struct { const char *ns, *child; } pairs[] = {
		{ "pid", "pid_for_children" }, { "time", "time_for_children" },
	};
	char spid[16];

	snprintf(spid, sizeof(spid), "%d", pid);
	for (unsigned i = 0; i < 2; i++) {
		uint32_t a, b;
		int r = ns_ino(spid, pairs[i].ns, &a);

		if (r >= 0)
			r = ns_ino(spid, pairs[i].child, &b);
		if (r < 0)
			return log_error_errno(r, "task %d: cannot read its %s namespaces", pid, pairs[i].ns);
		if (a != b) {
			log_error("task %d: %s namespace: it unshared a new one (%u) for its future children "
				  "and is not in it (%u): not supported", pid, pairs[i].ns, b, a);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/* Every task shares the root's namespace of each kind but pid. */
static int check_shared(const struct ns_ids *ids, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned k = 0; k < NS_KIND_MAX; k++) {
			if (k == NS_PID || ids[i].ino[k] == ids[0].ino[k])
				continue;
			log_error("task %d: %s namespace %u differs from the tree root's (%d, %u): "
				  "tasks in different %s namespaces are not supported",
				  ids[i].pid, kinds[k]->name, ids[i].ino[k], ids[0].pid, ids[0].ino[k],
				  kinds[k]->name);
			return -EOPNOTSUPP;
		}
	return 0;
}

static int check_pid_tree(const struct ns_ids *ids, const pid_t *pids, const pid_t *ppids, unsigned n)
{
	_cleanup_free_ struct ns_pid_task *t = calloc(n, sizeof(*t));
	_cleanup_free_ struct ns_pid_ns *pns = calloc(n + 1, sizeof(*pns));
	unsigned nr;

	if (!t || !pns)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		t[i].pid = pids[i];
		t[i].ppid = i ? ppids[i] : 0;
		t[i].nspid_len = ids[i].nspid_len;
		memcpy(t[i].nspid, ids[i].nspid, sizeof(t[i].nspid));
	}
	return ns_pid_plan(t, n, pns, &nr);
}

/* A zombie has left its namespaces: it keeps its parent's, and its own pids. */
static int collect_zombie_ids(pid_t pid, const struct ns_ids *parent, struct ns_ids *ret)
{
	int r;

	*ret = *parent;
	ret->pid = pid;
	r = ns_read_nspid(pid, ret->nspid, &ret->nspid_len);
	if (r < 0)
		return log_error_errno(r, "task %d: cannot read NSpid from /proc/%d/status", pid, pid);
	return 0;
}

static int index_of(const pid_t *pids, unsigned n, pid_t pid)
{
	for (unsigned i = 0; i < n; i++)
		if (pids[i] == pid)
			return (int)i;
	return -1;
}

int ns_dump_tree(struct img_dir *d, const pid_t *pids, const pid_t *ppids, unsigned n)
{
	return ns_dump_tree_ex(d, pids, ppids, NULL, n);
}

int ns_dump_tree_ex(struct img_dir *d, const pid_t *pids, const pid_t *ppids, const bool *zombie, unsigned n)
{
	_cleanup_free_ struct ns_ids *ids = NULL;
	uint32_t cgroup_ino = 0;
	int r;

	if (!n)
		return -EINVAL;
	ids = calloc(n, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		if (zombie && zombie[i]) {
			int p = i ? index_of(pids, i, ppids[i]) : -1;

			if (p < 0) {
				log_error("task %d: a zombie whose parent is not in the tree", pids[i]);
				return -EOPNOTSUPP;
			}
			r = collect_zombie_ids(pids[i], &ids[p], &ids[i]);
			if (r < 0)
				return r;
			continue;
		}
		r = ns_collect_ids(pids[i], &ids[i]);
		if (r < 0)
			return r;
		r = check_for_children(pids[i]);
		if (r < 0)
			return r;
	}
	r = check_shared(ids, n);
	if (r < 0)
		return r;
	r = ns_cgroup_check(pids, zombie, n, &cgroup_ino);
	if (r < 0)
		return r;
	if (!ids[0].own[NS_USER]) {
		r = check_userns_level(pids[0]);
		if (r < 0)
			return r == -EOPNOTSUPP ? r :
				log_error_errno(r, "task %d: cannot find the parent of its user namespace", pids[0]);
	}
	r = check_pid_tree(ids, pids, ppids, n);
	if (r < 0)
		return r;
	r = write_ids(d, ids, ppids, zombie, cgroup_ino, n);
	if (r < 0)
		return r;
	if (cgroup_ino) {
		r = ns_cgroup_dump(pids[0], cgroup_ino, d);
		if (r < 0)
			return r;
	}
	for (unsigned k = 0; k < NS_KIND_MAX; k++) {
		if (ids[0].own[k] || !kinds[k]->collect)
			continue;
		r = ns_dump_one(kinds[k], pids[0], ids[0].ino[k], d);
		if (r < 0)
			return r;
		log_debug("task %d: dumped %s namespace %u", pids[0], kinds[k]->name, ids[0].ino[k]);
	}
	return 0;
}

int ns_dump_one(const struct ns_kind *k, pid_t pid, uint32_t ino, struct img_dir *d)
{
	ProtobufCMessage *m = NULL;
	struct img *img;
	int r, rc;

	r = k->collect(pid, ino, &m);
	if (r < 0)
		return r;
	r = img_open(d, k->img, true, &img, ino);
	if (r >= 0) {
		r = img_write(img, m);
		rc = img_close(img);
		if (r >= 0)
			r = rc;
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return r;
}

/* ---- restore ---------------------------------------------------------------- */

static int load_state(struct img_dir *d, const struct ns_kind *k, uint32_t ino, ProtobufCMessage **ret)
{
	struct img *img;
	int r;

	r = img_open(d, k->img, false, &img, ino);
	if (r == -ENOENT)
		return log_error_errno(r, "%s namespace %u: its image is missing", k->name, ino);
	if (r < 0)
		return r;
	r = img_read_one(img, ret);
	img_close(img);
	return r;
}

static int load_states(struct img_dir *d, struct ns_restore *r)
{
	for (unsigned k = 0; k < NS_KIND_MAX; k++) {
		if (!r->ino[k] || kinds[k]->img == IMG_KIND_MAX)
			continue;
		int ret = load_state(d, kinds[k], r->ino[k], &r->state[k]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void ns_restore_close(struct ns_restore *r)
{
	for (unsigned k = 0; k < NS_KIND_MAX; k++) {
		if (r->state[k])
			img_free_msg(r->state[k]);
		r->state[k] = NULL;
	}
	if (r->cgroup)
		img_free_msg(&r->cgroup->base);
	r->cgroup = NULL;
}

int ns_restore_open(struct img_dir *d, pid_t root_pid, struct ns_restore *ret)
{
	struct img *img = NULL;
	ProtobufCMessage *m;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = img_open(d, IMG_NS_IDS, false, &img);
	if (r == -ENOENT)
		return 0;	/* an image without namespaces: everything is the restorer's */
	if (r < 0)
		return r;
	while ((r = img_read(img, &m)) > 0) {
		NsIdsEntry *e = (NsIdsEntry *)m;

		if ((pid_t)e->pid == root_pid) {
			ret->ino[NS_USER] = e->has_user ? e->user : 0;
			ret->ino[NS_PID] = e->has_pid_ns ? e->pid_ns : 0;
			ret->ino[NS_UTS] = e->has_uts ? e->uts : 0;
			ret->ino[NS_IPC] = e->has_ipc ? e->ipc : 0;
			ret->ino[NS_TIME] = e->has_time ? e->time : 0;
			ret->cgroup_ino = e->has_cgroup ? e->cgroup : 0;
			img_free_msg(m);
			img_close(img);
			r = load_states(d, ret);
			if (r >= 0 && ret->cgroup_ino)
				r = ns_cgroup_load(d, ret->cgroup_ino, &ret->cgroup);
			if (r < 0)
				ns_restore_close(ret);
			return r;
		}
		img_free_msg(m);
	}
	img_close(img);
	if (r < 0)
		return r;
	log_error("%s: ns-ids.img has no entry for the root task %d", img_dir_path(d), root_pid);
	return -EBADMSG;
}

int ns_restore_clone_flags(const struct ns_restore *r)
{
	return r->ino[NS_USER] ? CLONE_NEWUSER : 0;
}

int ns_restore_user_maps(const struct ns_restore *r, pid_t helper)
{
	if (!r->ino[NS_USER])
		return 0;
	return kinds[NS_USER]->restore_create(r->state[NS_USER], r->ino[NS_USER], helper);
}

int ns_restore_enter(const struct ns_restore *r)
{
	int flags = 0, ret;

	for (unsigned k = NS_PID; k < NS_KIND_MAX; k++)
		if (r->ino[k])
			flags |= kinds[k]->clone_flag;
	if (flags && unshare(flags) < 0)
		return log_error_errno(-errno, "cannot create namespaces (unshare 0x%x)", (unsigned)flags);
	/* Filled with the capabilities a fresh user namespace gives its creator. */
	for (unsigned k = NS_PID; k < NS_KIND_MAX; k++) {
		if (!r->ino[k] || !kinds[k]->restore_fill)
			continue;
		ret = kinds[k]->restore_fill(r->state[k], r->ino[k]);
		if (ret < 0)
			return ret;
	}
	/* The tree starts as root of its user namespace (the core restores the
	 * tasks' own credentials later). */
	if (r->ino[NS_USER] && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return log_error_errno(-errno, "user namespace %u: cannot become its root "
				       "(are uid/gid 0 mapped?)", r->ino[NS_USER]);
	return 0;
}

static int read_pid_tasks(struct img_dir *d, struct ns_pid_task **ret, unsigned *ret_n)
{
	_cleanup_free_ struct ns_pid_task *t = NULL;
	struct img *img;
	ProtobufCMessage *m;
	unsigned n = 0;
	int r;

	r = img_open(d, IMG_NS_IDS, false, &img);
	if (r < 0)
		return r;
	while ((r = img_read(img, &m)) > 0) {
		NsIdsEntry *e = (NsIdsEntry *)m;
		struct ns_pid_task *nt = realloc(t, (n + 1) * sizeof(*t));

		if (!nt || e->n_nspid > NS_PID_LEVELS_MAX) {
			if (nt)
				log_error("%s: ns-ids.img: task %u has %zu pid levels", img_dir_path(d), e->pid, e->n_nspid);
			img_free_msg(m);
			r = nt ? -EBADMSG : -ENOMEM;
			if (nt)
				t = nt;
			break;
		}
		t = nt;
		memset(&t[n], 0, sizeof(t[n]));
		t[n].pid = e->pid;
		t[n].ppid = e->has_ppid ? e->ppid : 0;
		t[n].nspid_len = e->n_nspid;
		for (size_t l = 0; l < e->n_nspid; l++)
			t[n].nspid[l] = e->nspid[l];
		n++;
		img_free_msg(m);
	}
	img_close(img);
	if (r < 0)
		return r;
	if (!n) {
		log_error("%s: ns-ids.img has no task", img_dir_path(d));
		return -EBADMSG;
	}
	*ret = TAKE_PTR(t);
	*ret_n = n;
	return 0;
}

int ns_restore_pid_plan(struct img_dir *d, struct ns_pid_task **ret_tasks, unsigned *ret_n,
			struct ns_pid_ns **ret_ns, unsigned *ret_nr_ns)
{
	_cleanup_free_ struct ns_pid_task *t = NULL;
	_cleanup_free_ struct ns_pid_ns *pns = NULL;
	unsigned n;
	int r;

	r = read_pid_tasks(d, &t, &n);
	if (r < 0)
		return r;
	pns = calloc(n + 1, sizeof(*pns));
	if (!pns)
		return -ENOMEM;
	r = ns_pid_plan(t, n, pns, ret_nr_ns);
	if (r < 0)
		return r;
	*ret_tasks = TAKE_PTR(t);
	*ret_n = n;
	*ret_ns = TAKE_PTR(pns);
	return 0;
}
