/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Option values dump and restore both take (their own file: cryo-image, which
 * links cli.c, has no network lock or cgroups). */
#include <errno.h>
#include <stdio.h>
#include "cgroup.h"
#include "cli.h"
#include "netlock/netlock.h"

int cli_parse_network_lock(const char *verb, const char *arg, int *ret)
{
	enum netlock_mode m;

	if (netlock_parse_mode(arg, &m) < 0) {
		fprintf(stderr, "cryo-cr %s: --network-lock: unknown mode '%s' (use 'nftables' or 'skip')\n",
			verb, arg);
		return -EINVAL;
	}
	*ret = (int)m;
	return 0;
}

int cli_check_cgroup_mode(const char *verb, const char *arg)
{
	enum cg_mode mode;

	if (cg_mode_from_name(arg, &mode) < 0) {
		fprintf(stderr, "cryo-cr %s: --manage-cgroups: unknown mode '%s' "
				"(none, props, soft, full, strict, ignore)\n", verb, arg);
		return -EINVAL;
	}
	return 0;
}
