/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cgroups: which cgroup of each hierarchy (v1 and v2) each task is in, and the
 * controller properties of those cgroups; written as cgroup.img and restored
 * according to a --manage-cgroups mode.  See docs/mounts-net-cgroups.md.
 */
#ifndef CRYO_CGROUP_H
#define CRYO_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "image.h"

enum cg_mode {
	CG_MODE_IGNORE,	/* leave cgroups alone: tasks stay where the restorer is */
	CG_MODE_NONE,	/* the cgroups must exist; only membership is restored */
	CG_MODE_PROPS,	/* the cgroups must exist; properties and membership restored */
	CG_MODE_SOFT,	/* missing cgroups are created with their properties; existing ones are left as they are */
	CG_MODE_FULL,	/* missing cgroups are created; properties restored on all */
	CG_MODE_STRICT,	/* the cgroups must not exist; created with their properties */
};

/* "none", "props", "soft", "full", "strict", "ignore"; -EINVAL for others. */
int cg_mode_from_name(const char *name, enum cg_mode *ret);

struct cg_prop {
	char *name, *value;
};

struct cg_dir {
	char *controllers;	/* v1: "cpu", "name=systemd"; v2: "" */
	char *path;
	struct cg_prop *props;
	size_t n_props;
	bool frozen;
};

struct cg_member {
	pid_t pid;
	unsigned *dirs;
	size_t n_dirs;
};

struct cg_state {
	struct cg_dir *dirs;
	size_t n_dirs;
	struct cg_member *members;
	size_t n_members;
	bool frozen;		/* some task was in a frozen cgroup: a paused container */
};

void cg_state_free(struct cg_state *s);
/* Is this a property cryo saves (and so the only kind it writes back)? */
bool cg_prop_known(const char *name);
/* Where the hierarchy of these controllers ("" for v2) is mounted in the
 * caller's namespace; -ENOENT (not logged) when it is not. */
int cg_hierarchy_mount(const char *controllers, char *buf, size_t len);

/* Read the cgroups of the tasks and their properties from the hierarchies
 * mounted in the caller's namespace.  A cgroup whose hierarchy is not mounted
 * here is refused, naming it and the task. */
int cg_collect(const pid_t *pids, size_t n, struct cg_state **ret);
int cg_write(const struct cg_state *s, struct img_dir *d);
int cg_load(struct img_dir *d, struct cg_state **ret);

/* --cgroup-root: a dumped path starting with from is restored below to
 * instead, in the hierarchy of controllers (NULL: every hierarchy). */
struct cg_remap {
	const char *controllers;
	const char *from, *to;
};

struct cg_restore_opts {
	enum cg_mode mode;
	const struct cg_remap *remap;	/* the first that matches applies */
	size_t n_remap;
};

/* Before the tasks exist: check, create and fill the cgroups per the mode. */
int cg_restore_dirs(const struct cg_state *s, const struct cg_restore_opts *o);

/* The cgroup directories a restore made itself, parents first: what a failed
 * restore takes away again (and nothing that was there before it). */
struct cg_created {
	char **dirs;
	size_t n;
};
/* cg_restore_dirs, recording in *created every directory it makes (also when it fails). */
int cg_restore_dirs_tracked(const struct cg_state *s, const struct cg_restore_opts *o, struct cg_created *created);
/* Remove them, children first, once their tasks are gone (a frozen one is
 * thawed first); one that cannot go is logged and left.  Frees the list. */
void cg_remove_created(struct cg_created *created);
void cg_created_free(struct cg_created *created);
/* Put new_pid where old_pid was, in every hierarchy. */
int cg_attach(const struct cg_state *s, const struct cg_restore_opts *o, pid_t old_pid, pid_t new_pid);
/* Put pid in the cgroup (controllers, path) of a hierarchy (with the remaps). */
int cg_attach_dir(const struct cg_restore_opts *o, const char *controllers, const char *path, pid_t pid);
/* After all tasks are in: freeze the cgroups that were frozen at dump. */
int cg_restore_freeze(const struct cg_state *s, const struct cg_restore_opts *o);

#endif
