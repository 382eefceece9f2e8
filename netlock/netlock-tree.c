/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The lock as dump and restore use it: which kind of lock a tree needs, and
 * --network-lock skip.  docs/netlock.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "log.h"
#include "netlock.h"

int netlock_tree_netns(pid_t pid, int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	struct stat self, tree;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(negative_errno(), "network lock: cannot open %s", path);
	if (fstat(fd, &tree) < 0 || stat("/proc/self/ns/net", &self) < 0)
		return log_error_errno(negative_errno(), "network lock: cannot compare %s with our namespace",
				       path);
	if (tree.st_dev == self.st_dev && tree.st_ino == self.st_ino) {
		*ret_fd = -1;
		return 0;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int netlock_tree_lock(enum netlock_mode mode, int netns_fd, const struct netlock_conn *conns,
		      size_t n, const char *table_name, unsigned int flags)
{
	if (mode == NETLOCK_MODE_SKIP) {
		log_info("network lock: skipped (--network-lock skip)");
		return 0;
	}
	if (netns_fd >= 0)
		return netlock_lock_netns_flags(netns_fd, table_name, flags);
	return netlock_lock_conns_flags(conns, n, table_name, flags);
}

int netlock_tree_unlock(enum netlock_mode mode, int netns_fd, const char *table_name)
{
	if (mode == NETLOCK_MODE_SKIP)
		return 0;
	return netlock_unlock(netns_fd, table_name);
}
