/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Time namespaces: the monotonic and boottime offsets.  They can only be
 * written between unshare(CLONE_NEWTIME) and the first task entering the
 * namespace (the unsharer's next child), so restore_fill runs right after
 * the unshare.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "image.h"
#include "log.h"
#include "ns.h"
#include "util.h"
#include "proto/ns.pb-c.h"

/* Lines are "monotonic SEC NSEC" and "boottime SEC NSEC" (or clock ids 1 and 7). */
static int read_offsets(pid_t pid, TimeNsEntry *e)
{
	char path[64], name[32];
	long long sec, nsec;
	unsigned seen = 0;
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), "/proc/%d/timens_offsets", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%31s %lld %lld", name, &sec, &nsec) == 3) {
		if (!strcmp(name, "monotonic") || !strcmp(name, "1")) {
			e->monotonic_sec = sec;
			e->monotonic_nsec = nsec;
			seen |= 1;
		} else if (!strcmp(name, "boottime") || !strcmp(name, "7")) {
			e->boottime_sec = sec;
			e->boottime_nsec = nsec;
			seen |= 2;
		}
	}
	return seen == 3 ? 0 : -EBADMSG;
}

static int time_collect(pid_t pid, uint32_t ino, ProtobufCMessage **ret)
{
	TimeNsEntry *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	time_ns_entry__init(e);
	*ret = &e->base;
	r = read_offsets(pid, e);
	if (r < 0)
		return log_error_errno(r, "task %d: time namespace %u: cannot read /proc/%d/timens_offsets",
				       pid, ino, pid);
	return 0;
}

static int write_offsets(const TimeNsEntry *e)
{
	char buf[128];
	_cleanup_close_ int fd = -EBADF;
	int n;

	/* One write per clock: the kernel takes one line per write. */
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "monotonic %lld %lld\n",
		     (long long)e->monotonic_sec, (long long)e->monotonic_nsec);
	if (write(fd, buf, n) != n)
		return -errno;
	n = snprintf(buf, sizeof(buf), "boottime %lld %lld\n",
		     (long long)e->boottime_sec, (long long)e->boottime_nsec);
	if (write(fd, buf, n) != n)
		return -errno;
	return 0;
}

static int time_restore_fill(const ProtobufCMessage *state, uint32_t ino)
{
	int r = write_offsets((const TimeNsEntry *)state);

	if (r < 0)
		return log_error_errno(r, "time namespace %u: cannot write the clock offsets "
				       "(a task already entered the namespace?)", ino);
	return 0;
}

const struct ns_kind ns_kind_time = {
	.id = NS_TIME,
	.name = "time",
	.clone_flag = CLONE_NEWTIME,
	.img = IMG_TIMENS,
	.collect = time_collect,
	.restore_fill = time_restore_fill,
};
