// SPDX-License-Identifier: GPL-2.0-or-later
/* cgroup.img: the collected cgroup state, written and read back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"
#include "log.h"
#include "util.h"
#include "proto/cgroup.pb-c.h"

static int write_dir(struct img *img, const struct cg_dir *d)
{
	CgroupItem it = CGROUP_ITEM__INIT;
	CgroupDirEntry e = CGROUP_DIR_ENTRY__INIT;
	_cleanup_free_ CgroupProp *props = calloc(d->n_props + 1, sizeof(*props));
	_cleanup_free_ CgroupProp **pp = calloc(d->n_props + 1, sizeof(*pp));

	if (!props || !pp)
		return -ENOMEM;
	for (size_t k = 0; k < d->n_props; k++) {
		cgroup_prop__init(&props[k]);
		props[k].name = d->props[k].name;
		props[k].value = d->props[k].value;
		pp[k] = &props[k];
	}
	e.controllers = d->controllers;
	e.path = d->path;
	e.n_props = d->n_props;
	e.props = pp;
	e.has_frozen = true;
	e.frozen = d->frozen;
	it.dir = &e;
	return img_write(img, &it.base);
}

int cg_write(const struct cg_state *s, struct img_dir *d)
{
	struct img *img = NULL;
	CgroupHead head = CGROUP_HEAD__INIT;
	int r = img_open(d, IMG_CGROUP, true, &img);

	if (r < 0)
		return r;
	head.frozen = s->frozen;
	r = img_write(img, &head.base);
	for (size_t i = 0; r >= 0 && i < s->n_dirs; i++)
		r = write_dir(img, &s->dirs[i]);
	for (size_t i = 0; r >= 0 && i < s->n_members; i++) {
		CgroupItem it = CGROUP_ITEM__INIT;
		CgroupMemberEntry e = CGROUP_MEMBER_ENTRY__INIT;

		e.pid = (uint32_t)s->members[i].pid;
		e.n_dirs = s->members[i].n_dirs;
		e.dirs = s->members[i].dirs;
		it.member = &e;
		r = img_write(img, &it.base);
	}
	int rc = img_close(img);
	return r < 0 ? r : rc;
}

static int load_dir(struct cg_state *s, const CgroupDirEntry *e)
{
	struct cg_dir *nd = realloc(s->dirs, (s->n_dirs + 1) * sizeof(*nd));

	if (!nd)
		return -ENOMEM;
	s->dirs = nd;
	nd = &s->dirs[s->n_dirs++];
	memset(nd, 0, sizeof(*nd));
	nd->controllers = strdup(e->controllers);
	nd->path = strdup(e->path);
	nd->frozen = e->has_frozen && e->frozen;
	nd->props = calloc(e->n_props + 1, sizeof(*nd->props));
	if (!nd->controllers || !nd->path || !nd->props)
		return -ENOMEM;
	if (nd->path[0] != '/' || strstr(nd->path, "/../") || strstr(nd->path, "/./") ||
	    (strlen(nd->path) >= 3 && !strcmp(nd->path + strlen(nd->path) - 3, "/..")))
		return log_error_errno(-EINVAL, "cgroup.img: bad cgroup path '%s'", nd->path);
	for (size_t k = 0; k < e->n_props; k++) {
		if (!cg_prop_known(e->props[k]->name))
			return log_error_errno(-EINVAL, "cgroup.img: cgroup %s: '%s' is not a property cryo restores",
					       e->path, e->props[k]->name);
		nd->props[k].name = strdup(e->props[k]->name);
		nd->props[k].value = strdup(e->props[k]->value);
		nd->n_props++;
		if (!nd->props[k].name || !nd->props[k].value)
			return -ENOMEM;
	}
	return 0;
}

static int load_member(struct cg_state *s, const CgroupMemberEntry *e)
{
	struct cg_member *nm = realloc(s->members, (s->n_members + 1) * sizeof(*nm));

	if (!nm)
		return -ENOMEM;
	s->members = nm;
	nm = &s->members[s->n_members++];
	memset(nm, 0, sizeof(*nm));
	nm->pid = (pid_t)e->pid;
	nm->dirs = calloc(e->n_dirs + 1, sizeof(unsigned));
	if (!nm->dirs)
		return -ENOMEM;
	for (size_t k = 0; k < e->n_dirs; k++) {
		if (e->dirs[k] >= s->n_dirs)
			return log_error_errno(-EINVAL, "cgroup.img: task %u names cgroup %u of %zu", e->pid, e->dirs[k], s->n_dirs);
		nm->dirs[nm->n_dirs++] = e->dirs[k];
	}
	return 0;
}

int cg_load(struct img_dir *d, struct cg_state **ret)
{
	struct cg_state *s = calloc(1, sizeof(*s));
	struct img *img = NULL;
	ProtobufCMessage *msg = NULL;
	int r;

	if (!s)
		return -ENOMEM;
	r = img_open(d, IMG_CGROUP, false, &img);
	if (r >= 0)
		r = img_read_one(img, &msg);
	if (r >= 0) {
		s->frozen = ((CgroupHead *)msg)->frozen;
		img_free_msg(msg);
	}
	while (r >= 0 && (r = img_read(img, &msg)) > 0) {
		const CgroupItem *it = (const CgroupItem *)msg;

		if (it->dir)
			r = load_dir(s, it->dir);
		else if (it->member)
			r = load_member(s, it->member);
		img_free_msg(msg);
	}
	if (img)
		img_close(img);
	if (r < 0) {
		cg_state_free(s);
		return r;
	}
	*ret = s;
	return 0;
}
