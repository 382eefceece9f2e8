/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Restore fault points: see restore-fault.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "restore-fault.h"

const char *const restore_fault_points[] = { "fork", "mem", "restorer", "before-resume", "cgroup", NULL };

int restore_fault(const char *point)
{
	const char *want = getenv("CRYO_FAULT");
	if (!want || strncmp(want, "restore-", 8) || strcmp(want + 8, point))
		return 0;
	log_error("fault injected at restore-%s", point);
	return -EIO;
}
