/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A task in a user namespace nested in another (each mapping root to the
 * dumper's root, so credentials look the same from outside): not supported,
 * the dump must refuse it by name and leave it running.
 */
#include <stdbool.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lib/zt.h"

static void write_self(const char *file, const char *text)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		zt_fail("write %s: %m", path);
	close(fd);
}

int main(int argc, char **argv)
{
	zt_init(argc, argv);
	for (int level = 0; level < 2; level++) {
		if (unshare(CLONE_NEWUSER) < 0)
			zt_skip("unshare(CLONE_NEWUSER): %m");
		write_self("setgroups", "deny");
		write_self("uid_map", "0 0 1");
		write_self("gid_map", "0 0 1");
	}
	zt_ready();
	zt_wait();
	if (getuid() != 0)
		zt_fail("uid %d after the refused dump", getuid());
	zt_pass();
}
