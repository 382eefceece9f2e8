/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "fault.h"
#include "log.h"
#include "util.h"

int fault_inject(const char *point)
{
	const char *want = getenv("CRYO_FAULT");

	if (!want || strcmp(want, point))
		return 0;
	log_error("fault injected at %s (CRYO_FAULT)", point);
	return -EIO;
}

void fault_signal(const char *point, pid_t pid)
{
	const char *want = getenv("CRYO_FAULT_SIGNAL");
	size_t n = strlen(point);

	if (!want || strncmp(want, point, n) || want[n] != ':')
		return;
	int sig = atoi(want + n + 1);
	log_info("signal %d sent to %d at %s (CRYO_FAULT_SIGNAL)", sig, pid, point);
	if (kill(pid, sig) < 0)
		log_warn_errno(negative_errno(), "cannot send signal %d to %d", sig, pid);
}
