/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The namespaces kind of restore (docs/namespaces.md, docs/cr-restore.md).
 *
 * The root task is cloned by cryo-cr with rc->root_clone_flags: the
 * namespaces this kind restores (user, pid, uts, ipc) and those of other
 * kinds (mnt, net).  Then:
 *
 *   "userns" (cryo-cr, after the root's fork)  writes the uid/gid maps
 *   "ns"     (the root, after "userns")        fills uts and ipc, creates the
 *            time namespace (offsets are written before anyone is in it,
 *            then the root joins it) and the cgroup namespace
 *   every other task's "fork" needs "ns".
 *
 * PID namespaces: every task is cloned with the set_tid array of its pid
 * chain (innermost first) below cryo-cr's level, and CLONE_NEWPID when it is
 * the init of a namespace (the root, or a nested one).  Tasks below
 * cryo-cr's pid namespace get whatever pid the kernel gives them here;
 * cryo-cr finds them (rst_host_pid) by walking the children of their
 * parents and matching the innermost pid.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "ns.h"
#include "restore.h"
#include "util.h"
#include "proto/ns.pb-c.h"

struct ns_priv {
	struct ns_restore nr;
};

/* ---- pids ------------------------------------------------------------------ */

bool rst_in_own_pidns(const struct restore_ctx *rc, const struct rst_task *t)
{
	return !rc->pidns || t->nspid_len <= 1;
}

pid_t rst_pid_seen_by(const struct rst_task *who, const struct rst_task *viewer)
{
	unsigned level;

	if (!who->nspid_len)
		return who->pid;
	level = viewer && viewer->nspid_len ? viewer->nspid_len - 1 : 0;
	return level < who->nspid_len ? who->nspid[level] : 0;
}

pid_t rst_ns_tid(const struct rst_task *t, size_t i)
{
	return t->ns_tids ? (pid_t)t->ns_tids[i] : (pid_t)t->tids[i];
}

static pid_t innermost(const struct rst_task *t)
{
	return t->nspid_len ? t->nspid[t->nspid_len - 1] : t->pid;
}

/* A child of the task parent (cryo-cr's pid) whose own pid is want. */
static pid_t find_child(pid_t parent, pid_t want)
{
	char path[80];
	_cleanup_fclose_ FILE *f = NULL;
	int c;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", parent, parent);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fscanf(f, "%d", &c) == 1) {
		pid_t chain[NS_PID_LEVELS_MAX];
		unsigned len;

		if (ns_read_nspid(c, chain, &len) >= 0 && chain[len - 1] == want)
			return c;
	}
	return 0;
}

pid_t rst_host_pid(struct restore_ctx *rc, struct rst_task *t)
{
	pid_t parent;

	if (rst_in_own_pidns(rc, t))
		return t->pid;
	if (t->host_pid || !t->parent)
		return t->host_pid;
	parent = rst_host_pid(rc, t->parent);
	if (parent)
		t->host_pid = find_child(parent, innermost(t));
	return t->host_pid;
}

pid_t rst_host_tid(struct restore_ctx *rc, struct rst_task *t, size_t i)
{
	char path[64];
	pid_t host = rst_host_pid(rc, t);
	DIR *d;
	struct dirent *de;

	if (rst_in_own_pidns(rc, t))
		return (pid_t)t->tids[i];
	if (!t->host_tids && !(t->host_tids = calloc(t->n_tids, sizeof(pid_t))))
		return 0;
	if (t->host_tids[i] || !host)
		return t->host_tids[i];
	snprintf(path, sizeof(path), "/proc/%d/task", host);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		pid_t chain[NS_PID_LEVELS_MAX], tid = (pid_t)atoi(de->d_name);
		unsigned len;

		if (tid > 0 && ns_read_nspid(tid, chain, &len) >= 0 && chain[len - 1] == rst_ns_tid(t, i)) {
			t->host_tids[i] = tid;
			break;
		}
	}
	closedir(d);
	return t->host_tids[i];
}

static NsIdsEntry *entry_of(NsIdsEntry **v, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if ((pid_t)v[i]->pid == pid)
			return v[i];
	return NULL;
}

/* Each thread's tid in the task's own namespace, from the chains of ns-ids.img. */
/* Each thread's tid in the task's own namespace and, in a nested one, its
 * set_tid array (its tids at the task's set_tid levels, innermost first). */
static int thread_ns_tids(struct rst_task *t, const NsIdsEntry *e)
{
	size_t len = e->n_nspid, levels = t->set_tid_size;

	t->ns_tids = calloc(t->n_tids, sizeof(*t->ns_tids));
	if (levels > 1)
		t->thread_set_tid = calloc(t->n_tids * levels, sizeof(pid_t));
	if (!t->ns_tids || (levels > 1 && !t->thread_set_tid))
		return -ENOMEM;
	for (size_t j = 0; j < t->n_tids; j++) {
		for (size_t k = 0; k + len <= e->n_thread_nspid; k += len) {
			if (e->thread_nspid[k] != t->tids[j])
				continue;
			t->ns_tids[j] = e->thread_nspid[k + len - 1];
			for (size_t l = 0; levels > 1 && l < levels && l < len; l++)
				t->thread_set_tid[j * levels + l] = (pid_t)e->thread_nspid[k + len - 1 - l];
		}
		if (!t->ns_tids[j]) {
			log_error("ns-ids.img: thread %u of task %d has no pid in its pid namespace", t->tids[j], t->pid);
			return -EBADMSG;
		}
	}
	return 0;
}

static int plan_pids(struct restore_ctx *rc, NsIdsEntry **v, size_t n)
{
	_cleanup_free_ struct ns_pid_task *pt = calloc(rc->n_tasks, sizeof(*pt));
	_cleanup_free_ struct ns_pid_ns *pns = calloc(rc->n_tasks + 1, sizeof(*pns));
	unsigned nr;
	int r;

	if (!pt || !pns)
		return -ENOMEM;
	for (size_t i = 0; i < rc->n_tasks; i++) {
		struct rst_task *t = &rc->tasks[i];
		NsIdsEntry *e = entry_of(v, n, t->pid);

		if (!e || !e->n_nspid || e->n_nspid > NS_PID_LEVELS_MAX) {
			log_error("ns-ids.img: no valid entry for task %d", t->pid);
			return -EBADMSG;
		}
		pt[i].pid = t->pid;
		pt[i].ppid = t->parent ? t->parent->pid : 0;
		pt[i].nspid_len = (unsigned)e->n_nspid;
		for (size_t l = 0; l < e->n_nspid; l++)
			pt[i].nspid[l] = (pid_t)e->nspid[l];
	}
	r = ns_pid_plan(pt, (unsigned)rc->n_tasks, pns, &nr);
	if (r < 0)
		return r;
	for (size_t i = 0; i < rc->n_tasks; i++) {
		struct rst_task *t = &rc->tasks[i];
		NsIdsEntry *e = entry_of(v, n, t->pid);

		t->nspid_len = pt[i].nspid_len;
		t->nspid = calloc(t->nspid_len, sizeof(pid_t));
		t->set_tid = calloc(pt[i].set_tid_size ? pt[i].set_tid_size : 1, sizeof(pid_t));
		if (!t->nspid || !t->set_tid)
			return -ENOMEM;
		memcpy(t->nspid, pt[i].nspid, t->nspid_len * sizeof(pid_t));
		memcpy(t->set_tid, pt[i].set_tid, pt[i].set_tid_size * sizeof(pid_t));
		t->set_tid_size = pt[i].set_tid_size;
		t->new_pidns = pt[i].new_pidns;
		if (t->nspid_len > 1) {
			rc->pidns = true;
			if (!t->zombie && (r = thread_ns_tids(t, e)) < 0)
				return r;
		}
	}
	return 0;
}

int ns_restore_read_pids(struct restore_ctx *rc)
{
	_cleanup_free_ NsIdsEntry **v = NULL;
	size_t n = 0;
	struct img *img;
	ProtobufCMessage *m;
	int r = img_open(rc->dir, IMG_NS_IDS, false, &img);

	if (r == -ENOENT)
		return 0;	/* an image without namespaces */
	if (r < 0)
		return log_error_errno(r, "cannot open ns-ids.img");
	while ((r = img_read(img, &m)) > 0) {
		NsIdsEntry **nv = realloc(v, (n + 1) * sizeof(*v));

		if (!nv) {
			img_free_msg(m);
			r = -ENOMEM;
			break;
		}
		v = nv;
		v[n++] = (NsIdsEntry *)m;
	}
	img_close(img);
	if (r >= 0)
		r = plan_pids(rc, v, n);
	for (size_t i = 0; i < n; i++)
		img_free_msg(&v[i]->base);
	return r;
}

/* ---- the kind -------------------------------------------------------------- */

int ns_restore_prepare(struct restore_ctx *rc)
{
	struct ns_priv *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	rc->ns_priv = p;
	r = ns_restore_open(rc->dir, rc->root->pid, &p->nr);
	if (r < 0)
		return log_error_errno(r, "cannot read the namespaces of the tree");
	if (p->nr.ino[NS_USER]) {
		rc->root_clone_flags |= CLONE_NEWUSER;
		/* Inside a user namespace, a task can only choose pids in namespaces it owns. */
		for (size_t i = 1; i < rc->n_tasks; i++)
			if (rst_in_own_pidns(rc, &rc->tasks[i])) {
				log_error("task %d: a tree in a user namespace must have its own pid namespace "
					  "to get its pids back", rc->tasks[i].pid);
				return -EOPNOTSUPP;
			}
	}
	if (rc->root->new_pidns)
		rc->root_clone_flags |= CLONE_NEWPID;
	if (p->nr.ino[NS_UTS])
		rc->root_clone_flags |= CLONE_NEWUTS;
	if (p->nr.ino[NS_IPC])
		rc->root_clone_flags |= CLONE_NEWIPC;
	/* time and cgroup: unshared by the root in its "ns" step (see there) */
	return 0;
}

static int step_userns(void *ctx, void *data)
{
	struct restore_ctx *rc = ctx;
	struct ns_priv *p = data;

	return ns_restore_user_maps(&p->nr, rc->root->host_pid);
}

/* Offsets can only be written while nobody is in the time namespace yet:
 * unshare (it is for the children), write them, then join it. */
static int enter_time_ns(const struct ns_restore *nr)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (unshare(CLONE_NEWTIME) < 0)
		return log_error_errno(-errno, "cannot create a time namespace");
	r = ns_kind(NS_TIME)->restore_fill(nr->state[NS_TIME], nr->ino[NS_TIME]);
	if (r < 0)
		return r;
	fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWTIME) < 0)
		return log_error_errno(-errno, "cannot enter the new time namespace");
	return 0;
}

static int step_ns(void *ctx, void *data)
{
	struct ns_priv *p = data;
	const struct ns_restore *nr = &p->nr;
	int r;

	(void)ctx;
	for (unsigned k = NS_UTS; k <= NS_IPC; k++)
		if (nr->ino[k] && (r = ns_kind(k)->restore_fill(nr->state[k], nr->ino[k])) < 0)
			return r;
	if (nr->ino[NS_TIME] && (r = enter_time_ns(nr)) < 0)
		return r;
	/* The cgroup kind put us in the namespace's root cgroups before this step. */
	if (nr->cgroup_ino && unshare(CLONE_NEWCGROUP) < 0)
		return log_error_errno(-errno, "cannot create a cgroup namespace");
	/*
	 * No uid change here: the task keeps cryo-cr's credentials (and with them
	 * its capabilities in the new user namespace, and access to the image
	 * files) through its restore steps; the restorer blob gives it the
	 * dumped ones last (taskstate creds).
	 */
	return 0;
}

int ns_restore_add_steps(struct restore_ctx *rc)
{
	struct ns_priv *p = rc->ns_priv;
	unsigned userns = 0, ns;
	int r;

	if (p->nr.ino[NS_USER]) {
		r = plan_add(rc->plan, PLAN_OWNER_RESTORER, "userns", step_userns, p, &userns);
		if (r >= 0)
			r = plan_need(rc->plan, userns, rc->root->fork_step);
		if (r < 0)
			return r;
	}
	r = restore_step_add(rc, rc->root, "ns", step_ns, p, &ns);
	if (r >= 0 && p->nr.ino[NS_USER])
		r = plan_need(rc->plan, ns, userns);
	for (size_t i = 1; r >= 0 && i < rc->n_tasks; i++)
		r = plan_need(rc->plan, rc->tasks[i].fork_step, ns);
	return r;
}

/* For the cgroup kind: the roots of the tree's cgroup namespace (NULL: none). */
const struct CgroupNsEntry *ns_restore_cgroup_roots(struct restore_ctx *rc)
{
	struct ns_priv *p = rc->ns_priv;

	return p && p->nr.cgroup_ino ? p->nr.cgroup : NULL;
}
