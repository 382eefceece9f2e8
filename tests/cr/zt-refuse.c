/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * State the dump does not support yet and must refuse (naming it) instead
 * of losing it silently; the task must run on untouched.  argv[1]:
 *   seccomp   an allow-all seccomp filter
 *   euid      saved uid 1000 (credentials; euid stays 0 so the result file can be written)
 *   timer     a POSIX timer
 *   io-uring  an io_uring ring mapping (anon_inode)
 *   fanotify  a fanotify group with an event queued (events cannot be put back)
 */
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/fanotify.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include "lib/zt.h"

static void setup(const char *what)
{
	if (!strcmp(what, "seccomp")) {
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		struct sock_fprog prog = { 1, &allow };
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			zt_skip("seccomp: %m");
	} else if (!strcmp(what, "euid")) {
		if (setresuid((uid_t)-1, (uid_t)-1, 1000) < 0)
			zt_skip("setresuid: %m");
	} else if (!strcmp(what, "timer")) {
		struct sigevent sev = { .sigev_notify = SIGEV_NONE };
		timer_t t;
		if (timer_create(CLOCK_MONOTONIC, &sev, &t) < 0)
			zt_fail("timer_create: %m");
	} else if (!strcmp(what, "io-uring")) {
		struct io_uring_params p;
		int fd;
		memset(&p, 0, sizeof(p));
		fd = (int)syscall(SYS_io_uring_setup, 4, &p);
		if (fd < 0)
			zt_skip("io_uring_setup: %m");
		if (mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING) == MAP_FAILED)
			zt_fail("mmap of the ring: %m");
		close(fd);
	} else if (!strcmp(what, "fanotify")) {
		char path[] = "/tmp/zt-refuse-fan-XXXXXX";
		int fan = fanotify_init(FAN_CLASS_NOTIF, O_RDONLY), tmp = mkstemp(path);
		if (fan < 0)
			zt_skip("fanotify_init: %m");
		if (tmp < 0 || fanotify_mark(fan, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, path) < 0)
			zt_fail("fanotify setup: %m");
		close(tmp);
		close(open(path, O_RDONLY));	/* the queued event */
		unlink(path);
	} else
		zt_fail("unknown state '%s'", what);
}

int main(int argc, char **argv)
{
	zt_init(argc, argv);
	if (argc < 2)
		zt_fail("usage: zt-refuse seccomp|euid|timer|io-uring");
	setup(argv[1]);
	zt_ready();
	zt_wait();
	if (!strcmp(argv[1], "euid")) {
		uid_t r, e, su;
		if (getresuid(&r, &e, &su) < 0 || r != 0 || e != 0 || su != 1000)
			zt_fail("uids changed: %u %u %u", r, e, su);
	}
	zt_pass();
}
