// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Dump side of mount namespaces: classify the mounts of a task's namespace and
 * write them out.  tmpfs contents are read through a child that enters the
 * namespace, makes a private copy of it, uncovers the mount if something is
 * mounted over it, and hands back a detached clone of that one mount
 * (open_tree(OPEN_TREE_CLONE)), so over-mounted and nested tmpfs are read
 * without touching the task's namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "log.h"
#include "mnt.h"
#include "util.h"
#include "proto/mnt.pb-c.h"

/* Filesystems cryo recreates by mounting them anew. */
bool mnt_fstype_recreatable(const char *fstype)
{
	static const char *const types[] = { "tmpfs", "proc", "sysfs", "devpts", "mqueue",
					     "cgroup", "cgroup2" };

	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (!strcmp(fstype, types[i]))
			return true;
	return false;
}

/* Is the superblock maj:min mounted in the dumper's own namespace?  Then the
 * dumped namespace only borrowed it (a bind from the host): external. */
static bool dev_in_tree(const struct mnt_tree *host, unsigned major, unsigned minor)
{
	for (size_t i = 0; i < host->n; i++)
		if (host->m[i].major == major && host->m[i].minor == minor)
			return true;
	return false;
}

static const char *ext_key_for(const struct mnt_dump_opts *o, const char *mountpoint)
{
	for (size_t i = 0; o && i < o->n_ext; i++)
		if (!strcmp(o->ext[i].path, mountpoint))
			return o->ext[i].key;
	return NULL;
}

/* Among internal mounts of one superblock, the one with the widest root is
 * mounted anew; the others are binds of it. */
static int pick_bind_sources(struct mnt_tree *t, pid_t pid)
{
	for (size_t i = 0; i < t->n; i++) {
		struct mnt_node *m = &t->m[i];
		int best = -1;

		if (m->ext_key)
			continue;
		for (size_t j = 0; j < t->n; j++) {
			struct mnt_node *o = &t->m[j];

			if (o->ext_key || o->major != m->major || o->minor != m->minor)
				continue;
			if (best < 0 || strlen(o->root) < strlen(t->m[best].root))
				best = (int)j;
		}
		if (best == (int)i)
			continue;
		const char *broot = t->m[best].root;
		size_t bl = strlen(broot);
		if (strcmp(broot, "/") && (strncmp(m->root, broot, bl) || (m->root[bl] && m->root[bl] != '/')))
			return log_error_errno(-EOPNOTSUPP,
				"task %d: mount %s (root %s) is a bind of a part of %s that no mount of the namespace shows (root %s): not supported",
				(int)pid, m->mountpoint, m->root, t->m[best].fstype, broot);
		m->bind_of = best;
	}
	return 0;
}

int mnt_collect(pid_t pid, const struct mnt_dump_opts *o, struct mnt_tree **ret)
{
	_cleanup_mnt_tree_ struct mnt_tree *t = NULL, *host = NULL;
	char path[64];
	struct stat st;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	r = mnt_parse_mountinfo(path, &t);
	if (r < 0)
		return r;
	r = mnt_parse_mountinfo("/proc/self/mountinfo", &host);
	if (r < 0)
		return r;
	r = mnt_tree_link(t);
	if (r < 0)
		return log_error_errno(r, "task %d: cannot make a tree of %s", (int)pid, path);
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	if (stat(path, &st) < 0)
		return log_error_errno(-errno, "task %d: %s", (int)pid, path);
	t->ns_ino = st.st_ino;
	t->m[t->root].is_root = true;

	for (size_t i = 0; i < t->n; i++) {
		struct mnt_node *m = &t->m[i];
		const char *key = ext_key_for(o, m->mountpoint);
		/* A cgroup hierarchy is one superblock machine-wide: the host's
		 * mounts of it do not make the namespace's external. */
		bool internal = mnt_fstype_recreatable(m->fstype) &&
				(mnt_fstype_is_cgroup(m->fstype) || !dev_in_tree(host, m->major, m->minor));

		if (key || (m->is_root && !internal)) {
			m->ext_key = strdup(key ? key : "root");
			if (!m->ext_key)
				return -ENOMEM;
			continue;
		}
		if (internal)
			continue;
		return log_error_errno(-EOPNOTSUPP,
			"task %d: mount %s (%s from %s, root %s) comes from outside the namespace: name it with --external mnt[%s]:KEY",
			(int)pid, m->mountpoint, m->fstype, m->source, m->root, m->mountpoint);
	}
	r = mnt_cgroup_roots(pid, t);
	if (r >= 0)
		r = pick_bind_sources(t, pid);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(t);
	return 0;
}

static int write_entries(const struct mnt_tree *t, struct img_dir *d, unsigned ns_id)
{
	struct img *img = NULL;
	MntNsEntry ns = MNT_NS_ENTRY__INIT;
	int r;

	r = img_open(d, IMG_MOUNTS, true, &img, ns_id);
	if (r < 0)
		return r;
	ns.ns_ino = t->ns_ino;
	ns.root_mnt_id = t->m[t->root].id;
	ns.nr_mounts = (uint32_t)t->n;
	r = img_write(img, &ns.base);
	for (size_t i = 0; r >= 0 && i < t->n; i++) {
		const struct mnt_node *m = &t->m[i];
		MntEntry e = MNT_ENTRY__INIT;

		e.mnt_id = m->id;
		e.parent_id = m->parent_id;
		e.dev_major = m->major;
		e.dev_minor = m->minor;
		e.root = m->root;
		e.mountpoint = m->mountpoint;
		e.mnt_flags = m->mnt_flags;
		e.fstype = m->fstype;
		e.source = m->source;
		e.super_opts = m->super_opts;
		e.super_ro = m->super_ro;
		e.has_shared_id = m->shared_id != 0;
		e.shared_id = m->shared_id;
		e.has_master_id = m->master_id != 0;
		e.master_id = m->master_id;
		e.external_key = m->ext_key;
		e.has_bind_of = m->bind_of >= 0;
		e.bind_of = m->bind_of >= 0 ? t->m[m->bind_of].id : 0;
		e.has_is_root = m->is_root;
		e.is_root = m->is_root;
		r = img_write(img, &e.base);
	}
	int rc = img_close(img);
	return r < 0 ? r : rc;
}

static int send_fd(int sock, int fd)
{
	char c = 0, buf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf,
			     .msg_controllen = sizeof(buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char c, buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf,
			     .msg_controllen = sizeof(buf) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1)
		return -EIO;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EIO;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static unsigned mnt_id_of(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_NO_AUTOMOUNT, STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID))
		return 0;
	return (unsigned)stx.stx_mnt_id;
}

/* The private copy has new mount ids: find each original mount's copy by
 * mountpoint, root and device, with the parents matched first. */
static int match_copy(const struct mnt_tree *t, const struct mnt_tree *c, int *map)
{
	_cleanup_free_ int *order = NULL;
	_cleanup_free_ bool *used = calloc(c->n ? c->n : 1, sizeof(bool));
	int r = mnt_restore_order(t, &order);

	if (r < 0)
		return r;
	if (!used)
		return -ENOMEM;
	for (size_t k = 0; k < t->n; k++) {
		const struct mnt_node *m = &t->m[order[k]];
		int want_parent = m->parent >= 0 ? map[m->parent] : -1;

		map[order[k]] = -1;
		for (size_t j = 0; j < c->n; j++) {
			const struct mnt_node *x = &c->m[j];

			if (used[j] || x->parent != want_parent || x->major != m->major || x->minor != m->minor ||
			    strcmp(x->mountpoint, m->mountpoint) || strcmp(x->root, m->root))
				continue;
			used[j] = true;
			map[order[k]] = (int)j;
			break;
		}
		if (map[order[k]] < 0)
			return -ENOENT;
	}
	return 0;
}

/* In the child, inside a private copy of the namespace: detach whatever covers
 * the copy of mount m until its mountpoint shows it, then clone it.  procfd is
 * our /proc from before setns: the namespace's own /proc may belong to
 * another pid namespace, where we have no /proc/self. */
static int uncover_and_clone(const struct mnt_tree *t, size_t idx, int procfd)
{
	_cleanup_mnt_tree_ struct mnt_tree *c = NULL;
	_cleanup_free_ int *map = calloc(t->n, sizeof(int));
	const char *mp = t->m[idx].mountpoint;
	int infofd = openat(procfd, "thread-self/mountinfo", O_RDONLY | O_CLOEXEC);
	_cleanup_fclose_ FILE *info = infofd < 0 ? NULL : fdopen(infofd, "re");
	unsigned want;

	if (!info) {
		if (infofd >= 0)
			close(infofd);
		return -ENOENT;
	}
	if (!map || mnt_parse_mountinfo_file(info, "mountinfo", &c) < 0 || mnt_tree_link(c) < 0 ||
	    match_copy(t, c, map) < 0)
		return -ENOENT;
	want = c->m[map[idx]].id;
	for (int tries = 0; tries < 64; tries++) {
		unsigned top = mnt_id_of(mp);

		if (!top)
			return -errno;
		if (top == want)
			return open_tree(AT_FDCWD, mp, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (umount2(mp, MNT_DETACH) < 0)
			return -errno;
	}
	return -ELOOP;
}

static _noreturn_ void tmpfs_child(pid_t pid, const struct mnt_tree *t, size_t idx, int sock)
{
	char path[64];
	int nsfd, fd, procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);

	/* The task's cgroup namespace too: cgroup mount roots in the tree are
	 * as it sees them (mnt_cgroup_roots), and the copy is matched by root. */
	snprintf(path, sizeof(path), "/proc/%d/ns/cgroup", (int)pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd >= 0 && setns(nsfd, CLONE_NEWCGROUP) < 0)
		_exit(9);
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (procfd < 0 || nsfd < 0 || setns(nsfd, CLONE_NEWNS) < 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		_exit(10);
	fd = uncover_and_clone(t, idx, procfd);
	if (fd < 0)
		_exit(11);
	if (send_fd(sock, fd) < 0)
		_exit(12);
	_exit(0);
}

/* A detached clone of mount m of pid's namespace. */
static int open_mount_of(pid_t pid, const struct mnt_tree *t, size_t idx)
{
	const struct mnt_node *m = &t->m[idx];
	int sv[2], status, fd;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	child = fork();
	if (child < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (child == 0) {
		close(sv[0]);
		tmpfs_child(pid, t, idx, sv[1]);
	}
	close(sv[1]);
	fd = recv_fd(sv[0]);
	close(sv[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (fd < 0)
		return log_error_errno(-EIO, "task %d: cannot reach mount %s (id %u) from inside its namespace (helper status %d)",
				       (int)pid, m->mountpoint, m->id, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return fd;
}

int mnt_dump(pid_t pid, const struct mnt_tree *t, struct img_dir *d, unsigned ns_id)
{
	int r = write_entries(t, d, ns_id);

	for (size_t i = 0; r >= 0 && i < t->n; i++) {
		const struct mnt_node *m = &t->m[i];

		if (m->ext_key || m->bind_of >= 0 || strcmp(m->fstype, "tmpfs"))
			continue;
		_cleanup_close_ int fd = open_mount_of(pid, t, i);
		if (fd < 0)
			return fd;
		r = mnt_tmpfs_dump(fd, d, m->id);
		if (r < 0)
			log_error("task %d: cannot save the files of tmpfs %s (id %u)", (int)pid, m->mountpoint, m->id);
	}
	return r;
}
