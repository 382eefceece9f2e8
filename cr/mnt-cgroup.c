// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cgroup mounts of a dumped mount namespace.  A cgroup hierarchy is one
 * superblock for the whole machine, so a container's /sys/fs/cgroup/memory
 * always shares its device with the host's: such mounts are recreated (a new
 * mount of the same hierarchy), never taken for externals.  What a cgroup
 * mount shows depends on the cgroup namespace of whoever mounted it: its
 * root is the namespace's root cgroup.  mountinfo prints that root relative
 * to the *reader's* cgroup namespace, so the roots are read again by a child
 * that joined the task's cgroup namespace: "/" is then the namespace's root,
 * which is what a mount made in the restored namespace shows too.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "log.h"
#include "mnt.h"
#include "util.h"

bool mnt_fstype_is_cgroup(const char *fstype)
{
	return !strcmp(fstype, "cgroup") || !strcmp(fstype, "cgroup2");
}

static bool same_cgroupns(pid_t pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/cgroup", (int)pid);
	if (stat(path, &a) < 0 || stat("/proc/self/ns/cgroup", &b) < 0)
		return true;	/* no cgroup namespaces: one view */
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static _noreturn_ void reader_child(pid_t pid, int out)
{
	char path[64];
	char buf[65536];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/cgroup", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWCGROUP) < 0)
		_exit(10);
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		_exit(11);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			_exit(12);
	_exit(n < 0 ? 13 : 0);
}

/* pid's mountinfo as a reader in its cgroup namespace sees it. */
static int mountinfo_in_cgroupns(pid_t pid, struct mnt_tree **ret)
{
	int p[2], status, r;
	pid_t child;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	child = fork();
	if (child < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (child == 0) {
		close(p[0]);
		reader_child(pid, p[1]);
	}
	close(p[1]);
	FILE *f = fdopen(p[0], "re");
	if (!f) {
		close(p[0]);
		r = -ENOMEM;
	} else {
		r = mnt_parse_mountinfo_file(f, "mountinfo (in the task's cgroup namespace)", ret);
		fclose(f);
	}
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (r >= 0 && (!WIFEXITED(status) || WEXITSTATUS(status))) {
		mnt_tree_free(*ret);
		*ret = NULL;
		return log_error_errno(-EIO, "task %d: cannot read its mountinfo from its cgroup namespace (helper status %d)",
				       (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	return r;
}

int mnt_cgroup_roots(pid_t pid, struct mnt_tree *t)
{
	_cleanup_mnt_tree_ struct mnt_tree *ns = NULL;
	bool any = false;
	int r;

	for (size_t i = 0; i < t->n; i++)
		any |= mnt_fstype_is_cgroup(t->m[i].fstype);
	if (!any)
		return 0;
	if (!same_cgroupns(pid)) {
		r = mountinfo_in_cgroupns(pid, &ns);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < t->n; i++) {
		struct mnt_node *m = &t->m[i];

		/* Externals too: the tmpfs helper, in the task's cgroup
		 * namespace, matches every mount by its root. */
		if (!mnt_fstype_is_cgroup(m->fstype))
			continue;
		for (size_t j = 0; ns && j < ns->n; j++) {
			if (ns->m[j].id != m->id)
				continue;
			char *root = strdup(ns->m[j].root);
			if (!root)
				return -ENOMEM;
			free(m->root);
			m->root = root;
			break;
		}
		/* A cgroup above the namespace's root ("/.."): no mount made
		 * in the restored namespace can show it. */
		if (!m->ext_key && !strncmp(m->root, "/..", 3) && (!m->root[3] || m->root[3] == '/'))
			return log_error_errno(-EOPNOTSUPP,
				"task %d: cgroup mount %s (%s) shows %s, outside the task's cgroup namespace: not supported (name it with --external mnt[%s]:KEY)",
				(int)pid, m->mountpoint, m->super_opts, m->root, m->mountpoint);
	}
	return 0;
}
