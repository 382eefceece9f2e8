/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The mount namespace kind: when the image has mounts-1.img, the root task is
 * created in a new mount namespace (CLONE_NEWNS in rc->root_clone_flags) and
 * its step "mnt" rebuilds the dumped mount tree there and pivots into it
 * (cr/mnt.h), before any task opens a file: every other task's fork, and
 * every task's "fds" and "mm" steps need it.  External mounts come from
 * --external mnt[KEY]:PATH and --root PATH; a key without a mapping is
 * refused before anything is created.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mnt.h"
#include "restore-mntnet.h"

struct rst_mntnet *rst_mntnet(struct restore_ctx *rc)
{
	if (!rc->mntnet) {
		rc->mntnet = calloc(1, sizeof(*rc->mntnet));
		if (!rc->mntnet)
			return NULL;
		rc->mntnet->outer_netns_fd = -1;
		rc->mntnet->lock_netns_fd = -1;
	}
	return rc->mntnet;
}

static const char *mapped_path(const struct restore_opts *o, const struct mnt_node *n)
{
	if (n->is_root && o->root_path)
		return o->root_path;
	for (size_t i = 0; i < o->n_mnt_ext; i++)
		if (!strcmp(o->mnt_ext[i].key, n->ext_key))
			return o->mnt_ext[i].path;
	return NULL;
}

/* Every external mount must be mapped to a path that exists here. */
static int check_externals(const struct restore_opts *o, const struct mnt_tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct mnt_node *n = &t->m[i];
		struct stat st;

		if (!n->ext_key)
			continue;
		const char *p = mapped_path(o, n);
		if (!p && n->is_root) {
			log_error("the tree's root mount %s comes from outside the image: give its new place with --root PATH",
				  n->mountpoint);
			return -ENOENT;
		}
		if (!p) {
			log_error("mount %s is external '%s': map it with --external mnt[%s]:PATH",
				  n->mountpoint, n->ext_key, n->ext_key);
			return -ENOENT;
		}
		if (stat(p, &st) < 0)
			return log_error_errno(negative_errno(), "mount %s (external '%s'): %s", n->mountpoint,
					       n->ext_key, p);
	}
	return 0;
}

int mntns_restore_prepare(struct restore_ctx *rc)
{
	struct rst_mntnet *m = rst_mntnet(rc);
	int r;

	if (!m)
		return -ENOMEM;
	r = img_exists(rc->dir, IMG_MOUNTS, RST_TREE_NS_ID);
	if (r == -ENOENT) {
		if (rc->opts.root_path || rc->opts.n_mnt_ext) {
			log_error("--root or --external mnt[...] given, but the tree of %s kept the dumper's mount namespace",
				  rc->opts.dir);
			return -EINVAL;
		}
		return 0;
	}
	r = mnt_load(rc->dir, RST_TREE_NS_ID, &m->mnt);
	if (r < 0)
		return log_error_errno(r, "cannot read the mount namespace of %s", rc->opts.dir);
	r = check_externals(&rc->opts, m->mnt);
	if (r < 0)
		return r;
	/* The staging tmpfs goes on an empty directory of its own: mounted on
	 * /tmp it would hide externals that live there. */
	m->workdir = strdup("/tmp/.cryo-mnt-XXXXXX");
	if (!m->workdir)
		return -ENOMEM;
	if (!mkdtemp(m->workdir)) {
		r = log_error_errno(negative_errno(), "cannot make a staging directory %s", m->workdir);
		free(m->workdir);
		m->workdir = NULL;
		return r;
	}
	rc->root_clone_flags |= CLONE_NEWNS;
	return 0;
}

void mntns_restore_cleanup(struct restore_ctx *rc)
{
	struct rst_mntnet *m = rc->mntnet;

	if (!m)
		return;
	if (m->workdir && rmdir(m->workdir) < 0)
		log_warn("cannot remove the staging directory %s: %m", m->workdir);
	free(m->workdir);
	free(m->conns);
	mnt_tree_free(m->mnt);
	if (m->outer_netns_fd >= 0)
		close(m->outer_netns_fd);
	if (m->lock_netns_fd >= 0)
		close(m->lock_netns_fd);
	free(m);
	rc->mntnet = NULL;
}

static int step_mnt(void *ctx, void *data)
{
	struct restore_ctx *rc = ctx;
	struct rst_mntnet *m = data;
	struct mnt_restore_opts o = {
		.root = rc->opts.root_path,
		.ext = rc->opts.mnt_ext,
		.n_ext = rc->opts.n_mnt_ext,
		.workdir = m->workdir,
	};
	int r = mnt_restore(rc->dir, m->mnt, &o);

	if (r < 0)
		return log_error_errno(r, "task %d: cannot rebuild its mount namespace", rc->root->pid);
	/* The rest of the restore reads /proc/self (maps, fds) in the tasks. */
	if (access("/proc/self/maps", R_OK) < 0)
		return log_error_errno(negative_errno(), "task %d: the restored mount namespace has no proc at /proc; "
				       "the restore needs it", rc->root->pid);
	log_debug("task %d: mount namespace restored (%zu mounts)", rc->root->pid, m->mnt->n);
	return 0;
}

int rst_need_before_tasks_files(struct restore_ctx *rc, unsigned step)
{
	for (size_t i = 0; i < rc->n_tasks; i++) {
		struct rst_task *t = &rc->tasks[i];
		int r = 0;

		if (t != rc->root)
			r = plan_need(rc->plan, t->fork_step, step);
		int fds = plan_find(rc->plan, "fds", t->owner);
		if (r >= 0 && fds >= 0)
			r = plan_need(rc->plan, (unsigned)fds, step);
		int mm = plan_find(rc->plan, "mm", t->owner);
		if (r >= 0 && mm >= 0)
			r = plan_need(rc->plan, (unsigned)mm, step);
		if (r < 0)
			return r;
	}
	return 0;
}

int mntns_restore_add_steps(struct restore_ctx *rc)
{
	struct rst_mntnet *m = rc->mntnet;
	unsigned id;
	int r;

	if (!m || !m->mnt)
		return 0;
	r = restore_step_add(rc, rc->root, "mnt", step_mnt, m, &id);
	/* sysfs and mqueue show the namespaces of whoever mounts them. */
	if (r >= 0)
		r = plan_need_kind_optional(rc->plan, id, "ns", rc->root->owner);
	if (r >= 0)
		r = plan_need_kind_optional(rc->plan, id, "net", rc->root->owner);
	if (r >= 0)
		r = rst_need_before_tasks_files(rc, id);
	return r;
}
