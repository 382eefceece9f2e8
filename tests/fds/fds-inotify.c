/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inotify: watches on a directory and a file with a gap in the wd numbers
 * (a watch removed before the dump); after restore each wd reports its
 * events with its mask.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>
#include "harness.h"
#include "util.h"

static char dir[] = "/tmp/cryo-fds-inotify-XXXXXX";
static char file[128], other[128];

static int setup(void)
{
	char buf[4096];

	if (place_fd(inotify_init1(IN_NONBLOCK), 10) < 0)
		return tlog("inotify_init: %m"), -1;
	if (inotify_add_watch(10, dir, IN_CREATE) != 1 || inotify_add_watch(10, other, IN_OPEN) != 2 ||
	    inotify_add_watch(10, file, IN_MODIFY | IN_CLOSE_WRITE) != 3)
		return tlog("inotify_add_watch: %m"), -1;
	inotify_rm_watch(10, 2);
	while (read(10, buf, sizeof(buf)) > 0)	/* the IN_IGNORED of wd 2 */
		;
	return 0;
}

static int next_event(struct inotify_event *ev, char *name, size_t len)
{
	static char buf[4096] __attribute__((aligned(8)));
	struct pollfd pfd = { .fd = 10, .events = POLLIN };

	poll(&pfd, 1, 2000);
	ssize_t n = read(10, buf, sizeof(buf));
	if (n < (ssize_t)sizeof(*ev))
		return -1;
	memcpy(ev, buf, sizeof(*ev));
	size_t l = ev->len ? strnlen(buf + sizeof(*ev), len - 1) : 0;
	memcpy(name, buf + sizeof(*ev), l);
	name[l] = 0;
	return 0;
}

static int verify(bool restored)
{
	struct inotify_event ev;
	char path[256], name[256], want[64];
	int fd;

	snprintf(want, sizeof(want), "new-%d", getpid());
	snprintf(path, sizeof(path), "%s/%s", dir, want);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	CHECK(next_event(&ev, name, sizeof(name)) == 0 && ev.wd == 1 && (ev.mask & IN_CREATE) && !strcmp(name, want),
	      "IN_CREATE on wd 1 (got wd %d mask %x name %s)", ev.wd, ev.mask, name);
	fd = open(file, O_WRONLY);
	CHECK(write(fd, "x", 1) == 1, "write");
	CHECK(next_event(&ev, name, sizeof(name)) == 0 && ev.wd == 3 && (ev.mask & IN_MODIFY),
	      "IN_MODIFY on wd 3 (got wd %d mask %x)", ev.wd, ev.mask);
	close(fd);
	CHECK(next_event(&ev, name, sizeof(name)) == 0 && ev.wd == 3 && (ev.mask & IN_CLOSE_WRITE),
	      "IN_CLOSE_WRITE on wd 3 (got wd %d mask %x)", ev.wd, ev.mask);
	fd = open(other, O_RDONLY);
	close(fd);
	CHECK(next_event(&ev, name, sizeof(name)) < 0, "nothing from the removed wd 2 (got wd %d)", ev.wd);
	if (restored)
		tlog("restored inotify verified");
	return 0;
}

int main(void)
{
	struct fds_case c = { .name = "fds-inotify", .setup = setup, .verify = verify };
	int r;

	if (!mkdtemp(dir))
		return 1;
	snprintf(file, sizeof(file), "%s.file", dir);
	snprintf(other, sizeof(other), "%s.other", dir);
	close(open(file, O_CREAT | O_WRONLY, 0600));
	close(open(other, O_CREAT | O_WRONLY, 0600));
	r = fds_case_run(&c);
	fds_test_rmdir(dir);
	unlink(file);
	unlink(other);
	return r;
}
