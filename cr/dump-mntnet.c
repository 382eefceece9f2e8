/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tree's mount and network namespaces, and the network lock, in the dump.
 *
 * A tree whose root lives in a mount namespace other than the dumper's has
 * that namespace dumped whole (mounts-1.img, tmpfs-MNTID.img: cr/mnt.h); one
 * in another network namespace has it dumped (netns-1.img: cr/net.h).  Every
 * task must share the root's: nested mount or network namespaces are refused.
 *
 * The lock (netlock/netlock.h) is taken right after the tree is seized: the
 * tree's namespace when it has its own, else its TCP connections in ours
 * (none: no lock).
 * It is removed after a failed dump and after one that leaves the tree
 * alive; after a dump that killed the tree it stays until the restore.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump.h"
#include "log.h"
#include "mnt.h"
#include "net.h"
#include "netlock/netlock.h"

/* The one mount and one network namespace of a tree have id 1 in image names. */
#define TREE_NS_ID 1u

struct dump_mntnet {
	enum netlock_mode mode;
	bool locked;
	int netns_fd;		/* the locked namespace, -1: connections in ours */
	char table[NETLOCK_TABLE_NAME_MAX];
};

static int ns_stat(pid_t pid, const char *kind, struct stat *st)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, kind);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/%s", kind);
	if (stat(path, st) < 0)
		return log_error_errno(negative_errno(), "cannot stat %s", path);
	return 0;
}

static bool same_ns(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Whether the root's namespace of kind is not ours; every other process must share the root's. */
static int tree_ns(struct dump_ctx *c, const char *kind, const char *what, bool *ret_own)
{
	struct seized_task *root = &c->tree->tasks[0];
	struct stat self, rst;
	int r = ns_stat(0, kind, &self);

	if (r >= 0)
		r = ns_stat(root->pid, kind, &rst);
	for (size_t i = 1; r >= 0 && i < c->tree->nr_tasks; i++) {
		struct seized_task *k = &c->tree->tasks[i];
		struct stat st;

		if (k->zombie)
			continue;
		r = ns_stat(k->pid, kind, &st);
		if (r >= 0 && !same_ns(&st, &rst)) {
			log_error("process %d is in another %s namespace than the tree's root %d: "
				  "nested %s namespaces are not supported", k->pid, what, root->pid, what);
			r = -EOPNOTSUPP;
		}
	}
	if (r >= 0)
		*ret_own = !same_ns(&self, &rst);
	return r;
}

static int alive_pids(struct dump_ctx *c, pid_t **ret, size_t *ret_n)
{
	pid_t *v = calloc(c->tree->nr_tasks ? c->tree->nr_tasks : 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < c->tree->nr_tasks; i++)
		if (!c->tree->tasks[i].zombie)
			v[n++] = c->tree->tasks[i].pid;
	*ret = v;
	*ret_n = n;
	return 0;
}

static int lock_tree(struct dump_ctx *c, struct dump_mntnet *m)
{
	pid_t root = c->tree->tasks[0].pid;
	_cleanup_free_ struct netlock_conn *conns = NULL;
	size_t n = 0;
	int r = netlock_tree_netns(root, &m->netns_fd);

	if (r < 0)
		return r;
	if (m->netns_fd < 0) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t np;

		r = alive_pids(c, &pids, &np);
		if (r >= 0)
			r = netlock_tree_conns(pids, np, &conns, &n);
		if (r < 0)
			return log_error_errno(r, "network lock: cannot find the TCP connections of the tree of %d", root);
		/* Nothing to hold, and no table left behind by a dump that is never restored. */
		if (n == 0) {
			log_info("network lock: the tree of %d has no TCP connections, nothing to lock", root);
			return 0;
		}
	}
	r = netlock_tree_lock(m->mode, m->netns_fd, conns, n, m->table, 0);
	if (r < 0)
		return r;
	m->locked = true;
	return 0;
}

int dump_netlock(struct dump_ctx *c)
{
	struct dump_mntnet *m = calloc(1, sizeof(*m));
	char id[16];
	int r;

	if (!m)
		return -ENOMEM;
	m->netns_fd = -1;
	m->mode = (enum netlock_mode)c->opts->network_lock;
	c->mntnet = m;
	snprintf(id, sizeof(id), "%d", c->tree->tasks[0].pid);
	r = netlock_table_name(m->table, sizeof(m->table), id);
	if (r < 0)
		return log_error_errno(r, "network lock: no table name for %s", id);
	if (m->mode == NETLOCK_MODE_SKIP) {
		log_info("network lock: skipped (--network-lock skip)");
		return 0;
	}
	return lock_tree(c, m);
}

void dump_netlock_release(struct dump_ctx *c, bool dump_ok)
{
	struct dump_mntnet *m = c->mntnet;

	if (!m)
		return;
	if (m->locked && dump_ok && c->opts->release == RELEASE_KILL)
		log_info("network lock: table %s stays until the restore", m->table);
	else if (m->locked)
		(void)netlock_tree_unlock(m->mode, m->netns_fd, m->table);	/* logs itself */
	if (m->netns_fd >= 0)
		close(m->netns_fd);
	free(m);
	c->mntnet = NULL;
}

static int dump_mount_ns(struct dump_ctx *c)
{
	pid_t root = c->tree->tasks[0].pid;
	struct mnt_dump_opts o = { .ext = c->opts->mnt_ext, .n_ext = c->opts->n_mnt_ext };
	_cleanup_mnt_tree_ struct mnt_tree *t = NULL;
	int r = mnt_collect(root, &o, &t);

	if (r < 0)
		return r;
	for (size_t i = 0; i < o.n_ext; i++) {
		bool used = false;
		for (size_t j = 0; j < t->n; j++)
			used |= t->m[j].ext_key && !strcmp(t->m[j].ext_key, o.ext[i].key);
		if (!used)
			return log_error_errno(-EINVAL, "--external mnt[%s]: %s is not a mountpoint of the tree's mount namespace",
					       o.ext[i].key, o.ext[i].path);
	}
	r = mnt_dump(root, t, c->dir, TREE_NS_ID);
	if (r < 0)
		return log_error_errno(r, "cannot dump the mount namespace of %d", root);
	log_info("mount namespace of %d: %zu mounts", root, t->n);
	return dump_add_dumped(c, "mounts");
}

int dump_mntnet(struct dump_ctx *c)
{
	pid_t root = c->tree->tasks[0].pid;
	bool own_mnt, own_net;
	int r = tree_ns(c, "mnt", "mount", &own_mnt);

	if (r >= 0)
		r = tree_ns(c, "net", "network", &own_net);
	if (r < 0)
		return r;
	if (own_mnt)
		r = dump_mount_ns(c);
	else if (c->opts->n_mnt_ext)
		r = log_error_errno(-EINVAL, "--external mnt[%s]: the tree of %d shares cryo-cr's mount namespace",
				    c->opts->mnt_ext[0].key, root);
	if (r >= 0 && own_net) {
		r = net_dump(root, c->dir, TREE_NS_ID);
		if (r < 0)
			return log_error_errno(r, "cannot dump the network namespace of %d", root);
		log_info("network namespace of %d dumped", root);
		r = dump_add_dumped(c, "netns");
	}
	return r;
}
