/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A task in its own UTS namespace (the rest is the host's): restored into a
 * new one with its hostname, not into cryo-cr's (docs/namespaces.md). */
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include "lib/zt.h"

int main(int argc, char **argv)
{
	char name[64];

	zt_init(argc, argv);
	if (unshare(CLONE_NEWUTS) < 0)
		zt_skip("unshare(CLONE_NEWUTS): %m");
	if (sethostname("cryo-zt", 7) < 0)
		zt_fail("sethostname: %m");
	zt_ready();
	zt_wait();
	if (gethostname(name, sizeof(name)) < 0 || strcmp(name, "cryo-zt"))
		zt_fail("hostname is '%s'", name);
	zt_pass();
}
