/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * timerfd: clock, remaining time, interval and expirations not yet read,
 * from fdinfo.  Re-armed relative to now (the remaining time is what the
 * task would have waited); the ticks go back with TFD_IOC_SET_TICKS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include "fds.h"
#include "log.h"
#include "util.h"

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

static bool timerfd_match(const struct fd_probe *p)
{
	return !strcmp(p->link, "anon_inode:[timerfd]");
}

static int parse_pair(const char *fdinfo, const char *key, uint64_t *a, uint64_t *b)
{
	const char *l = strstr(fdinfo, key);
	unsigned long long x, y;

	if (!l || sscanf(l + strlen(key), ": (%llu, %llu)", &x, &y) != 2)
		return -EBADMSG;
	*a = x;
	*b = y;
	return 0;
}

static int timerfd_collect(struct fd_ctx *ctx _unused_, const struct fd_probe *p, FileEntry *e)
{
	TimerfdFile *tf = calloc(1, sizeof(*tf));
	uint64_t clk, flags;
	int r;

	if (!tf)
		return -ENOMEM;
	timerfd_file__init(tf);
	e->timerfd = tf;
	e->has_pos = false;
	if ((r = fdinfo_u64(p->fdinfo, "clockid", 10, &clk)) < 0 ||
	    (r = fdinfo_u64(p->fdinfo, "ticks", 10, &tf->ticks)) < 0 ||
	    (r = fdinfo_u64(p->fdinfo, "settime flags", 8, &flags)) < 0 ||
	    (r = parse_pair(p->fdinfo, "it_value", &tf->value_sec, &tf->value_nsec)) < 0 ||
	    (r = parse_pair(p->fdinfo, "it_interval", &tf->interval_sec, &tf->interval_nsec)) < 0)
		return r;
	tf->clockid = clk;
	tf->settime_flags = flags;
	return 0;
}

static int timerfd_restore(struct fd_ctx *ctx _unused_, const FileEntry *e, int *ret_fd)
{
	const TimerfdFile *tf = e->timerfd;
	struct itimerspec its = {
		.it_value = { tf->value_sec, tf->value_nsec },
		.it_interval = { tf->interval_sec, tf->interval_nsec },
	};
	_cleanup_close_ int fd = timerfd_create(tf->clockid, TFD_CLOEXEC);

	if (fd < 0)
		return log_error_errno(negative_errno(), "timerfd_create(clock %d)", tf->clockid);
	/* fdinfo shows the remaining time even for TFD_TIMER_ABSTIME timers:
	 * those are armed again at now + remaining on their clock, with their
	 * flags (TFD_TIMER_CANCEL_ON_SET needs ABSTIME); the others relative. */
	int flags = tf->settime_flags & (TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET);
	bool armed = its.it_value.tv_sec || its.it_value.tv_nsec;
	if (armed && (flags & TFD_TIMER_ABSTIME)) {
		struct timespec now;
		if (clock_gettime(tf->clockid, &now) < 0)
			return negative_errno();
		its.it_value.tv_sec += now.tv_sec;
		its.it_value.tv_nsec += now.tv_nsec;
		if (its.it_value.tv_nsec >= 1000000000) {
			its.it_value.tv_sec++;
			its.it_value.tv_nsec -= 1000000000;
		}
	} else {
		flags = 0;
	}
	if (timerfd_settime(fd, flags, &its, NULL) < 0)
		return log_error_errno(negative_errno(), "timerfd_settime");
	if (tf->ticks) {
		uint64_t ticks = tf->ticks;
		if (ioctl(fd, TFD_IOC_SET_TICKS, &ticks) < 0)
			return log_error_errno(negative_errno(), "timerfd: TFD_IOC_SET_TICKS");
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

const struct fd_kind_ops fd_timerfd_ops = {
	.name = "timerfd",
	.kind = FD_KIND__FDK_TIMERFD,
	.match = timerfd_match,
	.collect = timerfd_collect,
	.restore = timerfd_restore,
};
