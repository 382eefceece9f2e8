/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cgroup mounts inside the tree's mount namespace (a container's
 * /sys/fs/cgroup), started by cgmnt-run.sh in new mount and cgroup
 * namespaces, pivot_root'ed: /cg/memory (v1, rw, the namespace's root
 * cgroup, which has a 64 MiB limit), /cg/pids (v1, read-only, only the
 * cgroup "psub" with pids.max 50), /cg/unified
 * (cgroup2) and /cg/memsub (a bind of the memory cgroup "sub", 32 MiB).
 *
 * After restore: the same mount shape (roots seen from the cgroup
 * namespace), each mount is a cgroup filesystem showing the same cgroup
 * (the limits), the read-only one refuses writes, and the task is in the
 * root cgroup of its namespace.  Argument "host": the same without a cgroup
 * namespace of its own, so the mounts show the host's paths of the test
 * cgroups (/cryo-mg-N, /cryo-mg-N/psub), and the restore narrows new mounts
 * of the hierarchies to them.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "lib/zt.h"
#include "../mntnet/mntshape.h"

static void expect_fs(const char *path, long magic, const char *what)
{
	struct statfs s;

	if (statfs(path, &s) < 0)
		zt_fail("statfs %s: %m", path);
	if (s.f_type != magic)
		zt_fail("%s is not a %s filesystem (magic %#lx)", path, what, (long)s.f_type);
}

static void expect_content(const char *path, const char *want)
{
	char *p = read_file(path, NULL);

	if (!p)
		zt_fail("read %s: %m", path);
	if (strcmp(p, want))
		zt_fail("%s holds '%s', '%s' expected (another cgroup?)", path, p, want);
	free(p);
}

static void check_cgroups(bool cgns)
{
	char want[32];

	expect_fs("/cg/memory", CGROUP_SUPER_MAGIC, "cgroup");
	expect_fs("/cg/pids", CGROUP_SUPER_MAGIC, "cgroup");
	expect_fs("/cg/memsub", CGROUP_SUPER_MAGIC, "cgroup");
	expect_fs("/cg/unified", CGROUP2_SUPER_MAGIC, "cgroup2");
	expect_content("/cg/memory/memory.limit_in_bytes", "67108864\n");
	expect_content("/cg/memsub/memory.limit_in_bytes", "33554432\n");
	expect_content("/cg/pids/pids.max", "50\n");
	snprintf(want, sizeof(want), "%d\n", getpid());
	expect_content("/cg/memory/cgroup.procs", want);
	expect_content("/cg/pids/cgroup.procs", "");
	int fd = open("/cg/pids/pids.max", O_WRONLY | O_CLOEXEC);
	if (fd >= 0 || errno != EROFS)
		zt_fail("/cg/pids/pids.max opened for writing: %s (EROFS expected)", fd >= 0 ? "it worked" : strerror(errno));
	if (!cgns)
		return;
	char *self = read_file("/proc/self/cgroup", NULL);
	if (!self || !strstr(self, ":memory:/\n") || !strstr(self, ":pids:/\n"))
		zt_fail("not in the root cgroups of its namespace: %s", self ? self : "(unreadable)");
	free(self);
}

int main(int argc, char **argv)
{
	zt_init(argc, argv);
	if (argc < 2 || (strcmp(argv[1], "cgns") && strcmp(argv[1], "host")))
		zt_fail("usage: zt-cgmnt cgns|host");
	bool cgns = !strcmp(argv[1], "cgns");
	check_cgroups(cgns);
	char *before = mount_shape();
	zt_ready();
	zt_wait();

	char *after = mount_shape();
	if (strcmp(before, after)) {
		zt_log("mounts before:\n%s", before);
		zt_log("mounts after:\n%s", after);
		zt_fail("the mount table differs after restore (see the program's stderr)");
	}
	check_cgroups(cgns);
	zt_pass();
}
