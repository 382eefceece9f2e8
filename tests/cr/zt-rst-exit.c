/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Waits through C/R, then exits with status ZT_EXIT (default 3): for restore without -d. */
#include <stdlib.h>
#include "lib/zt.h"

int main(int argc, char **argv)
{
	zt_init(argc, argv);
	zt_ready();
	zt_wait();
	exit(getenv("ZT_EXIT") ? atoi(getenv("ZT_EXIT")) : 3);
}
