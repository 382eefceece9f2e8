// SPDX-License-Identifier: GPL-2.0-or-later
/* The command-line forms of mount/veth externals and --manage-cgroups modes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cgroup.h"
#include "log.h"
#include "mnt.h"
#include "net.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { printf("FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

int main(void)
{
	struct mnt_external m;
	struct net_external n;
	enum cg_mode mode;
	char a1[] = "mnt[data]:/srv/data", a2[] = "veth[eth0]:vpeer", a3[] = "mnt[]:/x", a4[] = "mnt[k]:rel",
	     a5[] = "veth[eth0]:p@/proc/self/ns/net", a6[] = "veth[eth0]:p@no-such-ns-cryo", a7[] = "tcp[1.2.3.4:5]",
	     a8[] = "mnt[k]/x";

	log_init(NULL, LOG_FMT_TEXT, LOG_LVL_NONE);	/* the refusals are expected */
	CHECK(mnt_parse_external(a1, &m) == 1 && !strcmp(m.key, "data") && !strcmp(m.path, "/srv/data"), "mnt[data]:/srv/data");
	CHECK(mnt_parse_external(a2, &m) == 0, "a veth external is not a mount one");
	CHECK(net_parse_external(a2, &n) == 1 && !strcmp(n.key, "eth0") && !strcmp(n.peer_name, "vpeer") && n.netns_fd == -1,
	      "veth[eth0]:vpeer");
	CHECK(mnt_parse_external(a3, &m) == -EINVAL, "empty key refused");
	CHECK(mnt_parse_external(a4, &m) == -EINVAL, "relative path refused");
	CHECK(net_parse_external(a5, &n) == 1 && !strcmp(n.peer_name, "p") && n.netns_fd >= 0, "veth with a netns path");
	if (n.netns_fd >= 0)
		close(n.netns_fd);
	CHECK(net_parse_external(a6, &n) < 0, "a missing netns is refused");
	CHECK(mnt_parse_external(a7, &m) == 0 && net_parse_external(a7, &n) == 0, "other kinds are left alone");
	CHECK(mnt_parse_external(a8, &m) == -EINVAL, "missing ':' refused");
	CHECK(cg_mode_from_name("soft", &mode) == 0 && mode == CG_MODE_SOFT, "soft");
	CHECK(cg_mode_from_name("strict", &mode) == 0 && mode == CG_MODE_STRICT, "strict");
	CHECK(cg_mode_from_name("ignore", &mode) == 0 && mode == CG_MODE_IGNORE, "ignore");
	CHECK(cg_mode_from_name("bogus", &mode) == -EINVAL, "unknown mode refused");
	printf("%s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
