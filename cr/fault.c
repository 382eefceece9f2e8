/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>
#include "fault.h"
#include "log.h"

int fault_inject(const char *point)
{
	const char *want = getenv("CRYO_FAULT");

	if (!want || strcmp(want, point))
		return 0;
	log_error("fault injected at %s (CRYO_FAULT)", point);
	return -EIO;
}
