/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --network-lock nftables|skip */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "netlock.h"

static const char *const mode_names[] = {
	[NETLOCK_MODE_NFTABLES] = "nftables",
	[NETLOCK_MODE_SKIP] = "skip",
};

int netlock_parse_mode(const char *s, enum netlock_mode *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(mode_names); i++)
		if (s && strcmp(s, mode_names[i]) == 0) {
			*ret = (enum netlock_mode)i;
			return 0;
		}
	log_error("--network-lock: unknown mode '%s' (use 'nftables' or 'skip')", s ? s : "");
	return -EINVAL;
}

const char *netlock_mode_name(enum netlock_mode m)
{
	return (size_t)m < ARRAY_SIZE(mode_names) ? mode_names[m] : "unknown";
}
