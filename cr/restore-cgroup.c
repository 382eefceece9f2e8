/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cgroups kind of restore: cgroup.img back per --manage-cgroups (cgroup.h,
 * docs/mounts-net-cgroups.md).  In cryo-cr: the cgroups are checked, created
 * and filled before any task exists (prepare); then each task is put where it
 * was, by cryo-cr right after its fork (children inherit, so only the root
 * and tasks whose cgroups differ from their parent's need a step).  With a
 * cgroup namespace the root first joins the namespace's root cgroups, the
 * root's "ns" step unshares there, and only then the root joins its own.
 * Cgroups frozen at dump (a paused container) are frozen again once the
 * tree runs (cgroup_restore_finish).  A restore that fails removes the
 * cgroups it created, once its tasks are killed (cgroup_restore_undo).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "log.h"
#include "restore.h"
#include "restore-fault.h"
#include "util.h"
#include "proto/ns.pb-c.h"

struct cg_priv {
	struct cg_state *s;
	struct cg_restore_opts o;
	struct cg_remap *remap;
	struct cg_created created;	/* by this restore: removed if it fails */
};

struct cg_attach_step {
	struct cg_priv *p;
	struct rst_task *t;
	bool ns_roots;		/* join the cgroup namespace's roots instead of its own */
};

static const struct cg_member *member_of(const struct cg_state *s, pid_t pid)
{
	for (size_t i = 0; i < s->n_members; i++)
		if (s->members[i].pid == pid)
			return &s->members[i];
	return NULL;
}

/*
 * --cgroup-root [CONTROLLERS:]PATH (CRIU's meaning): the root task's cgroup
 * in those hierarchies (all, without CONTROLLERS) is PATH on this host, and
 * the cgroups below it move along.
 */
static int parse_cgroup_root(struct restore_ctx *rc, struct cg_priv *p)
{
	const char *arg = rc->opts.cgroup_root, *path = strchr(arg, ':');
	const struct cg_member *m = member_of(p->s, rc->root->pid);
	_cleanup_free_ char *controllers = path ? strndup(arg, (size_t)(path - arg)) : NULL;

	path = path ? path + 1 : arg;
	if (path[0] != '/') {
		log_error("--cgroup-root %s: the path must be absolute", arg);
		return -EINVAL;
	}
	if (!m)
		return log_error_errno(-EBADMSG, "cgroup.img has no entry for the root task %d", rc->root->pid);
	p->remap = calloc(m->n_dirs, sizeof(*p->remap));
	if (!p->remap)
		return -ENOMEM;
	for (size_t k = 0; k < m->n_dirs; k++) {
		const struct cg_dir *d = &p->s->dirs[m->dirs[k]];

		if (controllers && strcmp(controllers, d->controllers))
			continue;
		p->remap[p->o.n_remap++] = (struct cg_remap){ d->controllers, d->path, path };
	}
	if (!p->o.n_remap) {
		log_error("--cgroup-root %s: the tree has no cgroup in a hierarchy of '%s'", arg, controllers);
		return -EINVAL;
	}
	p->o.remap = p->remap;
	return 0;
}

int cgroup_restore_prepare(struct restore_ctx *rc)
{
	struct cg_priv *p;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	rc->cg_priv = p;
	p->o.mode = CG_MODE_SOFT;	/* CRIU's default */
	if (rc->opts.manage_cgroups && cg_mode_from_name(rc->opts.manage_cgroups, &p->o.mode) < 0) {
		log_error("--manage-cgroups: unknown mode '%s'", rc->opts.manage_cgroups);
		return -EINVAL;
	}
	r = cg_load(rc->dir, &p->s);
	if (r == -ENOENT) {
		log_debug("no cgroup.img: the tasks stay in cryo-cr's cgroups");
		p->o.mode = CG_MODE_IGNORE;
		return 0;
	}
	if (r < 0)
		return log_error_errno(r, "cannot read cgroup.img");
	if (p->o.mode == CG_MODE_IGNORE)
		return 0;
	if (rc->opts.cgroup_root && (r = parse_cgroup_root(rc, p)) < 0)
		return r;
	return cg_restore_dirs_tracked(p->s, &p->o, &p->created);
}

void cgroup_restore_undo(struct restore_ctx *rc)
{
	struct cg_priv *p = rc->cg_priv;

	if (p)
		cg_remove_created(&p->created);
}

static int attach_ns_roots(struct cg_priv *p, const CgroupNsEntry *e, pid_t pid)
{
	for (size_t i = 0; i < e->n_roots; i++) {
		int r = cg_attach_dir(&p->o, e->roots[i]->controllers, e->roots[i]->path, pid);

		if (r < 0)
			return r;
	}
	return 0;
}

static int step_attach(void *ctx, void *data)
{
	struct restore_ctx *rc = ctx;
	struct cg_attach_step *a = data;
	pid_t pid = rst_host_pid(rc, a->t);

	if (!pid) {
		log_error("task %d: cannot find it to put it in its cgroups", a->t->pid);
		return -ESRCH;
	}
	int r = a->ns_roots ? attach_ns_roots(a->p, ns_restore_cgroup_roots(rc), pid) :
		cg_attach(a->p->s, &a->p->o, a->t->pid, pid);
	return r < 0 ? r : restore_fault("cgroup");
}

/* The same cgroups as its parent's: it is there since its fork. */
static bool same_as_parent(const struct cg_state *s, const struct rst_task *t)
{
	const struct cg_member *a = member_of(s, t->pid), *b = member_of(s, t->parent->pid);

	if (!a || !b || a->n_dirs != b->n_dirs)
		return false;
	for (size_t k = 0; k < a->n_dirs; k++)
		if (a->dirs[k] != b->dirs[k])
			return false;
	return true;
}

static int add_attach(struct restore_ctx *rc, struct rst_task *t, bool ns_roots, unsigned *ret_id)
{
	struct cg_attach_step *a = calloc(1, sizeof(*a));
	int r;

	if (!a)
		return -ENOMEM;
	*a = (struct cg_attach_step){ rc->cg_priv, t, ns_roots };
	r = plan_add(rc->plan, PLAN_OWNER_RESTORER, "cgroup", step_attach, a, ret_id);
	if (r >= 0)
		r = plan_need(rc->plan, *ret_id, t->fork_step);
	return r;
}

/* Forks of t's children wait until t is in its cgroups. */
static int children_need(struct restore_ctx *rc, const struct rst_task *t, unsigned id)
{
	for (size_t i = 0; i < rc->n_tasks; i++)
		if (rc->tasks[i].parent == t) {
			int r = plan_need(rc->plan, rc->tasks[i].fork_step, id);
			if (r < 0)
				return r;
		}
	return 0;
}

static int add_root_steps(struct restore_ctx *rc)
{
	int ns = plan_find(rc->plan, "ns", rc->root->owner);
	bool cgns = ns_restore_cgroup_roots(rc) != NULL;
	unsigned first, own;
	int r;

	r = add_attach(rc, rc->root, cgns, &first);
	if (r >= 0 && ns >= 0)
		r = plan_need(rc->plan, (unsigned)ns, first);
	if (r < 0 || !cgns)
		return r < 0 ? r : children_need(rc, rc->root, first);
	if (ns < 0)
		return -ENOENT;
	r = add_attach(rc, rc->root, false, &own);
	if (r >= 0)
		r = plan_need(rc->plan, own, (unsigned)ns);
	return r < 0 ? r : children_need(rc, rc->root, own);
}

int cgroup_restore_add_steps(struct restore_ctx *rc)
{
	struct cg_priv *p = rc->cg_priv;
	int r;

	if (!p || p->o.mode == CG_MODE_IGNORE)
		return 0;
	r = add_root_steps(rc);
	for (size_t i = 1; r >= 0 && i < rc->n_tasks; i++) {
		struct rst_task *t = &rc->tasks[i];
		unsigned id;

		if (t->zombie || same_as_parent(p->s, t))
			continue;
		r = add_attach(rc, t, false, &id);
		if (r >= 0)
			r = children_need(rc, t, id);
	}
	return r;
}

int cgroup_restore_finish(struct restore_ctx *rc)
{
	struct cg_priv *p = rc->cg_priv;

	if (!p || !p->s || p->o.mode == CG_MODE_IGNORE || !p->s->frozen)
		return 0;
	return cg_restore_freeze(p->s, &p->o);
}
