/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every resource limit across full C/R of a task running as uid 1000 with no
 * capabilities (root here lacks CAP_SYS_RESOURCE: the dump reads the limits
 * of a task of another uid from /proc/PID/limits): each is set to its own
 * non-default soft and hard value (NICE and RTPRIO: 0, their hard limit
 * here), all below what root holds.
 */
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "../lib/zt.h"
#include "zt-ts.h"

#define MIB (1024ull * 1024)

static const struct {
	int res;
	rlim_t cur, max;
} limits[] = {
	{ RLIMIT_CPU, 100000, 200000 },
	{ RLIMIT_FSIZE, 1ull << 40, 1ull << 41 },
	{ RLIMIT_DATA, 1ull << 40, 1ull << 41 },
	{ RLIMIT_STACK, 6 * MIB, 64 * MIB },
	{ RLIMIT_CORE, 0, MIB },
	{ RLIMIT_RSS, 1ull << 36, 1ull << 37 },
	{ RLIMIT_NPROC, 5000, 6000 },
	{ RLIMIT_NOFILE, 1000, 4000 },
	{ RLIMIT_MEMLOCK, MIB, 2 * MIB },
	{ RLIMIT_AS, 1ull << 42, 1ull << 43 },
	{ RLIMIT_LOCKS, 100, 200 },
	{ RLIMIT_SIGPENDING, 1000, 2000 },
	{ RLIMIT_MSGQUEUE, 100000, 200000 },
	/* Their hard limits are 0 here and raising one needs CAP_SYS_RESOURCE. */
	{ RLIMIT_NICE, 0, 0 },
	{ RLIMIT_RTPRIO, 0, 0 },
	{ RLIMIT_RTTIME, 1000000, 2000000 },
};

int main(int argc, char **argv)
{
	struct rlimit now;

	zt_init(argc, argv);
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		struct rlimit rl = { limits[i].cur, limits[i].max };
		if (setrlimit(limits[i].res, &rl) < 0)
			zt_fail("setrlimit(%d): %m", limits[i].res);
	}
	zt_share_result_dir();
	/* A plain user: every capability goes with the uid change. */
	if (setgroups(0, NULL) < 0 || setresgid(1000, 1000, 1000) < 0 || setresuid(1000, 1000, 1000) < 0)
		zt_fail("cannot become uid 1000: %m");
	zt_ready();
	zt_wait();
	if (getuid() != 1000 || geteuid() != 1000)
		zt_fail("uid %u euid %u after restore", getuid(), geteuid());
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		if (getrlimit(limits[i].res, &now) < 0)
			zt_fail("getrlimit(%d): %m", limits[i].res);
		if (now.rlim_cur != limits[i].cur || now.rlim_max != limits[i].max)
			zt_fail("limit %d is %llu/%llu, was %llu/%llu", limits[i].res, (unsigned long long)now.rlim_cur,
				(unsigned long long)now.rlim_max, (unsigned long long)limits[i].cur,
				(unsigned long long)limits[i].max);
	}
	zt_pass();
}
