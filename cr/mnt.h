/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mount namespaces: collect the mount tree of a task's mount namespace from
 * outside (/proc/PID/mountinfo, tmpfs contents through a short-lived child that
 * enters the namespace), write it as mounts-ID.img and tmpfs-MNTID.img, and
 * rebuild it in a fresh mount namespace at restore.  See docs/mounts-net-cgroups.md.
 */
#ifndef CRYO_MNT_H
#define CRYO_MNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "image.h"

struct mnt_node {
	unsigned id, parent_id;
	unsigned major, minor;
	char *root;		/* path inside the filesystem */
	char *mountpoint;	/* absolute, in the namespace's view */
	char *fstype, *source, *super_opts;
	unsigned mnt_flags;	/* MS_RDONLY, MS_NOSUID, ... of this mount */
	bool super_ro;
	unsigned shared_id, master_id;	/* 0: none */
	char *ext_key;		/* non-NULL: external, restored from the user's map */
	bool is_root;
	/* Resolved by mnt_tree_link(): indexes into the tree, -1 for none. */
	int parent;		/* the mount this one is mounted on */
	int bind_of;		/* a bind of this (internal) mount: same superblock */
	/* Restore only: an O_PATH fd on the restored mount's root. */
	int fd;
};

struct mnt_tree {
	struct mnt_node *m;
	size_t n;
	uint64_t ns_ino;
	int root;		/* index of the namespace's root mount */
	char *stage_root;	/* restore only: where the new root is built */
};

/* One mapping of --external mnt[KEY]:PATH.  At dump PATH is the mountpoint in
 * the dumped namespace; at restore it is the path on this host. */
struct mnt_external {
	const char *key;
	const char *path;
};

struct mnt_dump_opts {
	const struct mnt_external *ext;
	size_t n_ext;
};

struct mnt_restore_opts {
	const char *root;	/* --root: host path for an external root mount */
	const struct mnt_external *ext;
	size_t n_ext;
	const char *workdir;	/* where to stage the new tree (default /tmp), must exist */
};

/* tmpfs, proc, sysfs, devpts, mqueue, cgroup, cgroup2: mounted anew at restore. */
bool mnt_fstype_recreatable(const char *fstype);

/* --external mnt[KEY]:PATH, split in place (ret points into arg): 1 parsed,
 * 0 not a mount external (try other kinds), -EINVAL malformed (logged). */
int mnt_parse_external(char *arg, struct mnt_external *ret);
/* At dump: CRIU's mnt[MOUNTPOINT]:KEY (the bracket holds an absolute path) or
 * mnt[KEY]:MOUNTPOINT; ret->path is the mountpoint.  Same returns. */
int mnt_parse_external_dump(char *arg, struct mnt_external *ret);

/* Parse a mountinfo file (no classification). */
int mnt_parse_mountinfo(const char *path, struct mnt_tree **ret);
/* The same from an open file (path: its name in messages). */
int mnt_parse_mountinfo_file(FILE *f, const char *path, struct mnt_tree **ret);
/* Resolve parent indexes and the root; -EINVAL (logged) for a broken tree. */
int mnt_tree_link(struct mnt_tree *t);
void mnt_tree_free(struct mnt_tree *t);
static inline void mnt_tree_freep(struct mnt_tree **t) { mnt_tree_free(*t); }
#define _cleanup_mnt_tree_ __attribute__((cleanup(mnt_tree_freep)))

/* Collect the mount tree of pid's mount namespace and classify each mount:
 * internal (recreated: tmpfs, proc, sysfs, devpts, mqueue, cgroup, cgroup2 not
 * shared with the dumper's namespace), a bind of another internal mount, or
 * external (must be named in o->ext, or be the root).  An external mount the
 * user did not name, or a filesystem cryo cannot recreate, is refused
 * (-EOPNOTSUPP, logged with the mountpoint and pid). */
int mnt_collect(pid_t pid, const struct mnt_dump_opts *o, struct mnt_tree **ret);
/* Write mounts-NSID.img and one tmpfs-MNTID.img per internal tmpfs (its files
 * are read through a child that enters pid's mount namespace). */
int mnt_dump(pid_t pid, const struct mnt_tree *t, struct img_dir *d, unsigned ns_id);

/* Read mounts-NSID.img back (and check its links). */
int mnt_load(struct img_dir *d, unsigned ns_id, struct mnt_tree **ret);
/* The restore order: parents before children, bind sources before binds.
 * *ret is an array of t->n indexes (free it).  Each mount's needs are exactly
 * m[i].parent and m[i].bind_of, for a caller that plans steps itself. */
int mnt_restore_order(const struct mnt_tree *t, int **ret);
/* Rebuild the tree in the caller's mount namespace, which must be a fresh one
 * (unshare(CLONE_NEWNS)) of a single-threaded caller: mounts in order, tmpfs
 * contents, flags, propagation, then pivot_root into the new root. */
int mnt_restore(struct img_dir *d, struct mnt_tree *t, const struct mnt_restore_opts *o);
/* The same in steps, for a restore plan with one step per mount:
 * begin (private namespace, staging), then mnt_restore_mount() for each mount
 * once its parent and bind source are mounted (-EINVAL otherwise), then finish
 * (flags, pivot_root, propagation). */
int mnt_restore_begin(struct mnt_tree *t, const struct mnt_restore_opts *o);
int mnt_restore_mount(struct img_dir *d, struct mnt_tree *t, size_t idx, const struct mnt_restore_opts *o);
int mnt_restore_finish(struct mnt_tree *t);

/* cgroup mounts (mnt-cgroup.c).  cgroup and cgroup2 are recreated even
 * though their superblock is the host's (one per hierarchy).
 * mnt_cgroup_roots() sets their roots as seen from pid's cgroup namespace
 * (what a mount made in the restored namespace shows); a root above the
 * namespace's is refused (-EOPNOTSUPP, logged). */
bool mnt_fstype_is_cgroup(const char *fstype);
int mnt_cgroup_roots(pid_t pid, struct mnt_tree *t);

/* tmpfs contents (mnt-tmpfs.c) */
int mnt_tmpfs_dump(int rootfd, struct img_dir *d, unsigned mnt_id);
int mnt_tmpfs_restore(struct img_dir *d, unsigned mnt_id, int rootfd);

#endif
