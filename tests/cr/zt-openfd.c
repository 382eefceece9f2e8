/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Holds a pipe with data in it (fds 3, 4): the dump collects it (fds.h)
 * without consuming the data, and the task finds it after the dump. */
#include <string.h>
#include <unistd.h>
#include "lib/zt.h"

int main(int argc, char **argv)
{
	int p[2];
	char buf[8];

	zt_init(argc, argv);
	if (pipe(p) < 0)
		zt_fail("pipe: %m");
	if (write(p[1], "cryo", 4) != 4)
		zt_fail("write: %m");
	zt_ready();
	zt_wait();
	if (read(p[0], buf, sizeof(buf)) != 4 || memcmp(buf, "cryo", 4))
		zt_fail("pipe content lost");
	zt_pass();
}
