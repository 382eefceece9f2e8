/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Event fds: eventfd (counter, semaphore mode), signalfd (mask), timerfd
 * (clock, remaining time, interval, unread expirations, an absolute timer
 * with TFD_TIMER_CANCEL_ON_SET), epoll (watches
 * with events and data, restored after their targets), memfd (content,
 * seals, offset) and pidfd (the process it refers to).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "util.h"

static int setup(void)
{
	sigset_t set;
	struct itimerspec armed = { .it_value = { 1000, 0 }, .it_interval = { 5, 0 } };
	struct itimerspec once = { .it_value = { 0, 1000 } };
	struct epoll_event ev;
	int p[2];

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRTMIN + 2);
	if (place_fd(eventfd(7, EFD_SEMAPHORE | EFD_NONBLOCK), 10) < 0 ||
	    place_fd(eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC), 11) < 0 ||
	    place_fd(signalfd(-1, &set, SFD_NONBLOCK), 12) < 0 ||
	    place_fd(timerfd_create(CLOCK_MONOTONIC, 0), 13) < 0 ||
	    place_fd(timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK), 14) < 0)
		return tlog("setup: %m"), -1;
	if (timerfd_settime(13, 0, &armed, NULL) < 0 || timerfd_settime(14, 0, &once, NULL) < 0)
		return tlog("setup timers: %m"), -1;
	usleep(20000);	/* let timer 14 expire once */
	if (place_fd(epoll_create1(0), 15) < 0 || pipe(p) < 0 || place_fd(p[0], 16) < 0 ||
	    place_fd(p[1], 19) < 0)
		return tlog("setup epoll: %m"), -1;
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 0x1234 };
	if (epoll_ctl(15, EPOLL_CTL_ADD, 10, &ev) < 0)
		return tlog("epoll_ctl: %m"), -1;
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = 42 };
	if (epoll_ctl(15, EPOLL_CTL_ADD, 16, &ev) < 0)
		return tlog("epoll_ctl: %m"), -1;
	if (place_fd(memfd_create("cryo-test", MFD_ALLOW_SEALING), 17) < 0 ||
	    write(17, "memfd content", 13) != 13 || lseek(17, 3, SEEK_SET) != 3 ||
	    fcntl(17, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK) < 0)
		return tlog("setup memfd: %m"), -1;
	if (place_fd(syscall(SYS_pidfd_open, getppid(), 0), 18) < 0)
		return tlog("setup pidfd: %m"), -1;
	/* fd 20: an absolute CLOCK_REALTIME timer that is cancelled if the clock is set */
	struct itimerspec abs = { 0 };
	clock_gettime(CLOCK_REALTIME, &abs.it_value);
	abs.it_value.tv_sec += 500;
	if (place_fd(timerfd_create(CLOCK_REALTIME, 0), 20) < 0 ||
	    timerfd_settime(20, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &abs, NULL) < 0)
		return tlog("setup abstime timer: %m"), -1;
	return 0;
}

/* The value of "key:" in /proc/self/fdinfo/fd. */
static unsigned long long fdinfo_value(int fd, const char *key, int base)
{
	char path[64], buf[4096];
	int f;
	ssize_t n;
	char *l;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	n = f < 0 ? -1 : read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return ~0ull;
	buf[n] = 0;
	l = strstr(buf, key);
	return l ? strtoull(l + strlen(key) + 1, NULL, base) : ~0ull;
}

static int verify_epoll(void)
{
	struct epoll_event evs[4];
	int n;

	n = epoll_wait(15, evs, 4, 0);
	CHECK(n == 1 && evs[0].data.u64 == 0x1234 && (evs[0].events & EPOLLIN), "epoll: eventfd ready (n=%d)", n);
	CHECK(write(19, "x", 1) == 1, "pipe write");
	n = epoll_wait(15, evs, 4, 0);
	CHECK(n == 2, "epoll: eventfd and pipe ready (n=%d)", n);
	CHECK((evs[0].data.u64 == 42) + (evs[1].data.u64 == 42) == 1, "epoll: pipe watch data");
	/* edge-triggered: the pipe is not reported again until new data */
	n = epoll_wait(15, evs, 4, 0);
	CHECK(n == 1 && evs[0].data.u64 == 0x1234, "epoll: EPOLLET kept (n=%d)", n);
	return 0;
}

static int verify(bool restored)
{
	uint64_t v;
	struct itimerspec its;
	char buf[32], link[64];
	ssize_t n;

	if (verify_epoll() < 0)
		return -1;
	for (int i = 0; i < 7; i++)
		CHECK(read(10, &v, 8) == 8 && v == 1, "semaphore eventfd read %d", i);
	CHECK(read(10, &v, 8) < 0, "semaphore eventfd drained after 7 reads");
	CHECK(read(11, &v, 8) == 8 && v == 3, "eventfd counter 3");
	CHECK(fcntl(11, F_GETFD) == FD_CLOEXEC, "eventfd FD_CLOEXEC");
	CHECK(fdinfo_value(12, "sigmask", 16) == ((1ull << (SIGUSR1 - 1)) | (1ull << (SIGRTMIN + 2 - 1))),
	      "signalfd mask");
	CHECK(fcntl(12, F_GETFL) & O_NONBLOCK, "signalfd O_NONBLOCK");
	CHECK(timerfd_gettime(13, &its) == 0, "timerfd_gettime");
	CHECK(its.it_value.tv_sec >= 900 && its.it_value.tv_sec < 1000 && its.it_interval.tv_sec == 5,
	      "timer 13 armed: %lld s left, interval %lld s", (long long)its.it_value.tv_sec,
	      (long long)its.it_interval.tv_sec);
	CHECK(fdinfo_value(13, "clockid", 10) == CLOCK_MONOTONIC, "timer 13 clock");
	CHECK(fdinfo_value(14, "clockid", 10) == CLOCK_BOOTTIME, "timer 14 clock");
	CHECK(fdinfo_value(20, "settime flags", 8) == (TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET),
	      "timer 20 keeps ABSTIME|CANCEL_ON_SET (%llo)", fdinfo_value(20, "settime flags", 8));
	CHECK(timerfd_gettime(20, &its) == 0 && its.it_value.tv_sec >= 400 && its.it_value.tv_sec < 500,
	      "timer 20: %lld s left", (long long)its.it_value.tv_sec);
	CHECK(read(14, &v, 8) == 8 && v == 1, "timer 14: one unread expiration");
	CHECK(fcntl(17, F_GET_SEALS) == (F_SEAL_GROW | F_SEAL_SHRINK), "memfd seals");
	CHECK(lseek(17, 0, SEEK_CUR) == 3, "memfd offset");
	n = pread(17, buf, sizeof(buf), 0);
	CHECK(n == 13 && !memcmp(buf, "memfd content", 13), "memfd content");
	n = readlink("/proc/self/fd/17", link, sizeof(link) - 1);
	CHECK(n > 0 && !strncmp(link, "/memfd:cryo-test", 16), "memfd name");
	CHECK(fdinfo_value(18, "Pid", 10) == (unsigned long long)getppid(), "pidfd refers to the test process");
	if (restored)
		tlog("restored event fds verified");
	return 0;
}

int main(void)
{
	struct fds_case c = { .name = "fds-event", .setup = setup, .verify = verify };

	return fds_case_run(&c);
}
