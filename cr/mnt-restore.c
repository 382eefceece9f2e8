// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Restore side of mount namespaces.  The tree is built under a staging tmpfs
 * in the caller's fresh mount namespace, every mount private while it is
 * built (nothing propagates anywhere half-made).  Each restored mount keeps an
 * O_PATH fd on its root, and children are mounted through
 * /proc/self/fd/N/REL, so a mount that a later over-mount hides can still get
 * its children, its flags and its propagation.  Then pivot_root, then
 * propagation: peer groups are rebuilt with MOVE_MOUNT_SET_GROUP, masters by
 * joining the master's group and turning slave.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "log.h"
#include "mnt.h"
#include "util.h"
#include "proto/mnt.pb-c.h"

static int node_from_entry(struct mnt_node *m, const MntEntry *e)
{
	memset(m, 0, sizeof(*m));
	m->parent = m->bind_of = m->fd = -1;
	m->id = e->mnt_id;
	m->parent_id = e->parent_id;
	m->major = e->dev_major;
	m->minor = e->dev_minor;
	m->root = strdup(e->root);
	m->mountpoint = strdup(e->mountpoint);
	m->fstype = strdup(e->fstype);
	m->source = strdup(e->source);
	m->super_opts = strdup(e->super_opts);
	m->mnt_flags = e->mnt_flags;
	m->super_ro = e->super_ro;
	m->shared_id = e->has_shared_id ? e->shared_id : 0;
	m->master_id = e->has_master_id ? e->master_id : 0;
	m->ext_key = e->external_key ? strdup(e->external_key) : NULL;
	m->is_root = e->has_is_root && e->is_root;
	if (!m->root || !m->mountpoint || !m->fstype || !m->source || !m->super_opts ||
	    (e->external_key && !m->ext_key))
		return -ENOMEM;
	if (m->mountpoint[0] != '/')
		return log_error_errno(-EINVAL, "mount %u: mountpoint '%s' is not absolute", m->id, m->mountpoint);
	/* The image is input from outside: never mount a device or filesystem
	 * it names unless it is one cryo makes anew (externals come from the
	 * user's map, binds from mounts already made). */
	if (!m->ext_key && !e->has_bind_of && !mnt_fstype_recreatable(m->fstype))
		return log_error_errno(-EINVAL, "mount %s (id %u): filesystem %s is neither recreatable nor external",
				       m->mountpoint, m->id, m->fstype);
	return 0;
}

int mnt_load(struct img_dir *d, unsigned ns_id, struct mnt_tree **ret)
{
	_cleanup_mnt_tree_ struct mnt_tree *t = calloc(1, sizeof(*t));
	_cleanup_free_ unsigned *bind_ids = NULL;
	struct img *img = NULL;
	ProtobufCMessage *msg = NULL;
	int r;

	if (!t)
		return -ENOMEM;
	r = img_open(d, IMG_MOUNTS, false, &img, ns_id);
	if (r < 0)
		return r;
	r = img_read_one(img, &msg);
	if (r >= 0) {
		MntNsEntry *ns = (MntNsEntry *)msg;

		t->ns_ino = ns->ns_ino;
		if (ns->nr_mounts == 0 || ns->nr_mounts > 100000)
			r = log_error_errno(-EINVAL, "%s: %u mounts", img_name(img), ns->nr_mounts);
		else {
			t->m = calloc(ns->nr_mounts, sizeof(*t->m));
			bind_ids = calloc(ns->nr_mounts, sizeof(*bind_ids));
			if (!t->m || !bind_ids)
				r = -ENOMEM;
		}
		if (r >= 0) {
			for (unsigned i = 0; i < ns->nr_mounts && r >= 0; i++) {
				ProtobufCMessage *em = NULL;

				r = img_read_one(img, &em);
				if (r < 0)
					break;
				t->n++;
				r = node_from_entry(&t->m[i], (MntEntry *)em);
				bind_ids[i] = ((MntEntry *)em)->has_bind_of ? ((MntEntry *)em)->bind_of : 0;
				img_free_msg(em);
			}
		}
		img_free_msg(msg);
	}
	img_close(img);
	if (r < 0)
		return r;
	r = mnt_tree_link(t);
	if (r < 0)
		return r;
	for (size_t i = 0; i < t->n; i++) {
		if (!bind_ids[i])
			continue;
		for (size_t j = 0; j < t->n; j++)
			if (t->m[j].id == bind_ids[i] && j != i && !t->m[j].ext_key && t->m[j].bind_of < 0)
				t->m[i].bind_of = (int)j;
		if (t->m[i].bind_of < 0)
			return log_error_errno(-EINVAL, "mount %s (id %u): bind source %u is not a mount of the image",
					       t->m[i].mountpoint, t->m[i].id, bind_ids[i]);
	}
	*ret = TAKE_PTR(t);
	return 0;
}

int mnt_restore_order(const struct mnt_tree *t, int **ret)
{
	_cleanup_free_ int *order = calloc(t->n ? t->n : 1, sizeof(int));
	_cleanup_free_ bool *done = calloc(t->n ? t->n : 1, sizeof(bool));
	size_t n = 0;

	if (!order || !done)
		return -ENOMEM;
	while (n < t->n) {
		size_t before = n;

		for (size_t i = 0; i < t->n; i++) {
			const struct mnt_node *m = &t->m[i];

			if (done[i] || (m->parent >= 0 && !done[m->parent]) || (m->bind_of >= 0 && !done[m->bind_of]))
				continue;
			done[i] = true;
			order[n++] = (int)i;
		}
		if (n == before)
			return log_error_errno(-ELOOP, "mount tree: parents and bind sources form a loop");
	}
	*ret = TAKE_PTR(order);
	return 0;
}

static const char *external_path(const struct mnt_node *m, const struct mnt_restore_opts *o)
{
	if (m->is_root && o->root)
		return o->root;
	for (size_t i = 0; i < o->n_ext; i++)
		if (!strcmp(o->ext[i].key, m->ext_key))
			return o->ext[i].path;
	return NULL;
}

static void fd_path(char *buf, size_t len, int fd, const char *rel)
{
	snprintf(buf, len, "/proc/self/fd/%d%s%s", fd, *rel ? "/" : "", rel);
}

/* The path of m below its parent's root ("" when stacked on the parent). */
static const char *rel_to_parent(const struct mnt_tree *t, const struct mnt_node *m)
{
	const char *pmp = t->m[m->parent].mountpoint;
	size_t pl = strlen(pmp);

	if (!strcmp(pmp, "/"))
		return m->mountpoint + 1;
	if (strncmp(m->mountpoint, pmp, pl) || (m->mountpoint[pl] && m->mountpoint[pl] != '/'))
		return NULL;
	return m->mountpoint[pl] ? m->mountpoint + pl + 1 : "";
}

/* Make the mountpoint if the parent lacks it: a file when the source is one. */
static int make_mountpoint(int pfd, const char *rel, const char *src)
{
	struct stat st;

	if (!*rel || fstatat(pfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (src && stat(src, &st) == 0 && !S_ISDIR(st.st_mode)) {
		int fd = openat(pfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		close(fd);
		return 0;
	}
	if (mkdirat(pfd, rel, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* An fd on the mount just made.  Its target path does not do when it was
 * mounted on a parent's root (an over-mount): /proc/self/fd/N jumps to the
 * parent itself, not to what is mounted on it.  Walk from the nearest
 * ancestor it is strictly below instead, or from the staging root. */
static int open_new_mount(const struct mnt_tree *t, const struct mnt_node *m, const char *stage_root)
{
	char p[PATH_MAX];
	int a = m->parent;

	while (a >= 0 && !strcmp(t->m[a].mountpoint, m->mountpoint))
		a = t->m[a].parent;
	if (a < 0)
		snprintf(p, sizeof(p), "%s%s", stage_root, m->mountpoint);
	else {
		const char *amp = t->m[a].mountpoint;
		const char *rel = m->mountpoint + (strcmp(amp, "/") ? strlen(amp) : 0);

		fd_path(p, sizeof(p), t->m[a].fd, rel + 1);
	}
	return open(p, O_PATH | O_CLOEXEC);
}

/* A new cgroup mount shows the root of our cgroup namespace; the dumped one
 * showed the cgroup m->root below it: keep only that part. */
static int narrow_cgroup_mount(const char *target, const struct mnt_node *m)
{
	char sub[PATH_MAX];

	if (!strcmp(m->root, "/"))
		return 0;
	size_t l = strlen(m->root);
	if (strstr(m->root, "/../") || (l >= 3 && !strcmp(m->root + l - 3, "/..")))
		return log_error_errno(-EINVAL, "mount %s: cgroup root %s climbs out", m->mountpoint, m->root);
	snprintf(sub, sizeof(sub), "%s%s", target, m->root);
	_cleanup_close_ int fd = open_tree(AT_FDCWD, sub, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "mount %s: no cgroup %s in the restored %s hierarchy (%s)",
				       m->mountpoint, m->root, m->fstype, m->super_opts);
	if (umount2(target, MNT_DETACH) < 0 ||
	    move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return log_error_errno(-errno, "mount %s: cannot put cgroup %s in place", m->mountpoint, m->root);
	return 0;
}

static int mount_one(struct img_dir *d, struct mnt_tree *t, struct mnt_node *m,
		     const struct mnt_restore_opts *o, const char *stage_root)
{
	char target[PATH_MAX], src[PATH_MAX];
	const char *srcp = NULL;
	int r;

	if (m->ext_key) {
		srcp = external_path(m, o);
		if (!srcp && m->is_root)
			return log_error_errno(-ENOENT, "root mount %s (external '%s'): give its new place with --root PATH",
					       m->mountpoint, m->ext_key);
		if (!srcp)
			return log_error_errno(-ENOENT, "mount %s is external '%s': map it with --external mnt[%s]:PATH",
					       m->mountpoint, m->ext_key, m->ext_key);
	} else if (m->bind_of >= 0) {
		const struct mnt_node *s = &t->m[m->bind_of];
		const char *sub = m->root + (strcmp(s->root, "/") ? strlen(s->root) : 0);

		while (*sub == '/')
			sub++;
		fd_path(src, sizeof(src), s->fd, sub);
		srcp = src;
	}
	if (m->parent < 0)
		snprintf(target, sizeof(target), "%s", stage_root);
	else {
		const char *rel = rel_to_parent(t, m);

		if (!rel)
			return log_error_errno(-EINVAL, "mount %s is not below its parent %s", m->mountpoint,
					       t->m[m->parent].mountpoint);
		r = make_mountpoint(t->m[m->parent].fd, rel, srcp);
		if (r < 0)
			return log_error_errno(r, "mount %s: cannot make its mountpoint", m->mountpoint);
		fd_path(target, sizeof(target), t->m[m->parent].fd, rel);
	}
	if (srcp) {
		if (mount(srcp, target, NULL, MS_BIND, NULL) < 0)
			return log_error_errno(-errno, "mount %s: cannot bind %s", m->mountpoint,
					       m->ext_key ? srcp : t->m[m->bind_of].mountpoint);
		/* An external mount with a master outside keeps receiving from the
		 * host (slave); nothing made here may propagate out. */
		unsigned prop = m->ext_key && m->master_id ? MS_SLAVE : MS_PRIVATE;
		if (mount(NULL, target, NULL, prop, NULL) < 0)
			return log_error_errno(-errno, "mount %s: cannot make it private", m->mountpoint);
	} else if (mount(m->source, target, m->fstype, 0, *m->super_opts ? m->super_opts : NULL) < 0)
		return log_error_errno(-errno, "mount %s: cannot mount %s (%s, options %s)", m->mountpoint,
				       m->fstype, m->source, m->super_opts);
	else if (mnt_fstype_is_cgroup(m->fstype)) {
		r = narrow_cgroup_mount(target, m);
		if (r < 0)
			return r;
	}
	m->fd = open_new_mount(t, m, stage_root);
	if (m->fd < 0)
		return log_error_errno(-errno, "mount %s: cannot open it after mounting", m->mountpoint);
	if (!m->ext_key && m->bind_of < 0 && !strcmp(m->fstype, "tmpfs"))
		return mnt_tmpfs_restore(d, m->id, m->fd);
	return 0;
}

static int apply_flags(struct mnt_node *m)
{
	char p[64];

	fd_path(p, sizeof(p), m->fd, "");
	if (m->super_ro && !m->ext_key && m->bind_of < 0 &&
	    mount(NULL, p, NULL, MS_REMOUNT | MS_RDONLY, *m->super_opts ? m->super_opts : NULL) < 0)
		return log_error_errno(-errno, "mount %s: cannot make its filesystem read-only", m->mountpoint);
	if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | m->mnt_flags, NULL) < 0)
		return log_error_errno(-errno, "mount %s: cannot set its flags 0x%x", m->mountpoint, m->mnt_flags);
	return 0;
}

static int leader_of(const struct mnt_tree *t, unsigned group)
{
	int best = -1;

	for (size_t i = 0; group && i < t->n; i++)
		if (t->m[i].shared_id == group && (best < 0 || strlen(t->m[i].root) < strlen(t->m[best].root)))
			best = (int)i;
	return best;
}

static int set_group(const struct mnt_node *from, const struct mnt_node *to)
{
	if (move_mount(from->fd, "", to->fd, "",
		       MOVE_MOUNT_SET_GROUP | MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return log_error_errno(-errno, "mount %s: cannot join the propagation group of %s",
				       to->mountpoint, from->mountpoint);
	return 0;
}

static int set_prop(const struct mnt_node *m, unsigned long flag)
{
	char p[64];

	fd_path(p, sizeof(p), m->fd, "");
	if (mount(NULL, p, NULL, flag, NULL) < 0)
		return log_error_errno(-errno, "mount %s: cannot set propagation", m->mountpoint);
	return 0;
}

/* One mount's propagation once what it depends on is done; 0 when it must wait. */
static int propagate_one(struct mnt_tree *t, size_t i, const bool *done)
{
	struct mnt_node *m = &t->m[i];
	int lead = leader_of(t, m->shared_id), mlead = leader_of(t, m->master_id);
	int r;

	if (lead >= 0 && lead != (int)i) {
		if (!done[lead])
			return 0;
		r = set_group(&t->m[lead], m);	/* copies the master too */
		return r < 0 ? r : 1;
	}
	if (mlead >= 0) {
		if (!done[mlead])
			return 0;
		r = set_group(&t->m[mlead], m);
		if (r >= 0)
			r = set_prop(m, MS_SLAVE);
		if (r < 0)
			return r;
	} else if (m->master_id && !m->ext_key)
		log_warn("mount %s was a slave of peer group %u outside its namespace: restored without that master",
			 m->mountpoint, m->master_id);
	if (m->shared_id) {
		r = set_prop(m, MS_SHARED);
		if (r < 0)
			return r;
	}
	return 1;
}

static int restore_propagation(struct mnt_tree *t)
{
	_cleanup_free_ bool *done = calloc(t->n, sizeof(bool));
	size_t left = t->n;

	if (!done)
		return -ENOMEM;
	while (left) {
		size_t before = left;

		for (size_t i = 0; i < t->n; i++) {
			if (done[i])
				continue;
			int r = propagate_one(t, i, done);
			if (r < 0)
				return r;
			if (r > 0) {
				done[i] = true;
				left--;
			}
		}
		if (left == before)
			return log_error_errno(-ELOOP, "mount propagation: masters form a loop");
	}
	return 0;
}

static int pivot_into(const char *new_root)
{
	if (chdir(new_root) < 0)
		return log_error_errno(-errno, "chdir %s", new_root);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return log_error_errno(-errno, "pivot_root into %s", new_root);
	if (umount2(".", MNT_DETACH) < 0)
		return log_error_errno(-errno, "cannot detach the old root");
	if (chdir("/") < 0)
		return -errno;
	return 0;
}

static void close_fds(struct mnt_tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->m[i].fd >= 0) {
			close(t->m[i].fd);
			t->m[i].fd = -1;
		}
}

int mnt_restore_begin(struct mnt_tree *t, const struct mnt_restore_opts *o)
{
	const char *work = o->workdir ? o->workdir : "/tmp";

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return log_error_errno(-errno, "cannot make the new mount namespace private");
	/* The staging tmpfs lives only in this namespace and goes with the old root. */
	if (mount("cryo-stage", work, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
		return log_error_errno(-errno, "cannot mount the staging tmpfs on %s", work);
	free(t->stage_root);
	if (asprintf(&t->stage_root, "%s/root", work) < 0) {
		t->stage_root = NULL;
		return -ENOMEM;
	}
	if (mkdir(t->stage_root, 0755) < 0)
		return log_error_errno(-errno, "mkdir %s", t->stage_root);
	return 0;
}

int mnt_restore_mount(struct img_dir *d, struct mnt_tree *t, size_t idx, const struct mnt_restore_opts *o)
{
	struct mnt_node *m = &t->m[idx];

	if (!t->stage_root || idx >= t->n || m->fd >= 0 ||
	    (m->parent >= 0 && t->m[m->parent].fd < 0) || (m->bind_of >= 0 && t->m[m->bind_of].fd < 0))
		return log_error_errno(-EINVAL, "mount %s: restored out of order (its parent or bind source is not there yet)",
				       m->mountpoint);
	return mount_one(d, t, m, o, t->stage_root);
}

int mnt_restore_finish(struct mnt_tree *t)
{
	int r = t->stage_root ? 0 : -EINVAL;

	for (size_t i = 0; r >= 0 && i < t->n; i++)
		if (t->m[i].fd < 0)
			r = log_error_errno(-EINVAL, "mount %s was not restored", t->m[i].mountpoint);
	for (size_t i = 0; r >= 0 && i < t->n; i++)
		r = apply_flags(&t->m[i]);
	if (r >= 0)
		r = pivot_into(t->stage_root);
	if (r >= 0)
		r = restore_propagation(t);
	close_fds(t);
	return r;
}

int mnt_restore(struct img_dir *d, struct mnt_tree *t, const struct mnt_restore_opts *o)
{
	_cleanup_free_ int *order = NULL;
	int r = mnt_restore_begin(t, o);

	if (r >= 0)
		r = mnt_restore_order(t, &order);
	for (size_t k = 0; r >= 0 && k < t->n; k++)
		r = mnt_restore_mount(d, t, (size_t)order[k], o);
	if (r >= 0)
		return mnt_restore_finish(t);
	close_fds(t);
	return r;
}
