/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "zt.h"

static const char *pidfile, *outfile;
static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

void zt_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static void write_result(const char *tag, const char *fmt, va_list ap)
{
	char msg[1024] = "";
	int fd;

	if (fmt)
		vsnprintf(msg, sizeof(msg), fmt, ap);
	zt_log("%s%s%s", tag, fmt ? ": " : "", msg);
	if (!outfile)
		return;
	fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	dprintf(fd, "%s%s%s\n", tag, fmt ? ": " : "", msg);
	close(fd);
}

void zt_pass(void)
{
	va_list ap;

	memset(&ap, 0, sizeof(ap));
	write_result("PASS", NULL, ap);
	exit(0);
}

void zt_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	write_result("FAIL", fmt, ap);
	va_end(ap);
	exit(1);
}

void zt_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	write_result("SKIP", fmt, ap);
	va_end(ap);
	exit(77);
}

void zt_init(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };
	sigset_t set;

	(void)argc;
	(void)argv;
	/* Fds leaked by the harness (meson, the shell) are not the test's state: drop them. */
	if (syscall(SYS_close_range, 3, ~0U, 0) < 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	pidfile = getenv("ZT_PIDFILE");
	outfile = getenv("ZT_OUT");
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0)
		zt_fail("sigaction(SIGTERM): %m");
	/* SIGTERM stays blocked outside zt_wait's sigsuspend: no lost wakeup. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

void zt_ready(void)
{
	char tmp[4096];
	int fd;

	if (!pidfile)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		zt_fail("cannot create %s: %m", tmp);
	dprintf(fd, "%d\n", getpid());
	close(fd);
	if (rename(tmp, pidfile) < 0)
		zt_fail("cannot rename %s: %m", tmp);
}

void zt_wait(void)
{
	sigset_t wait_set;

	sigprocmask(SIG_SETMASK, NULL, &wait_set);
	sigdelset(&wait_set, SIGTERM);
	/* sigsuspend returns on any handled signal (and is restarted, not
	 * returned from, across C/R); loop until it was SIGTERM. */
	while (!got_term)
		sigsuspend(&wait_set);
}

void zt_fill(void *buf, size_t len, uint32_t seed)
{
	uint8_t *p = buf;
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
}

size_t zt_check(const void *buf, size_t len, uint32_t seed)
{
	const uint8_t *p = buf;
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		if (p[i] != (uint8_t)(x >> 16))
			return i + 1;
	}
	return 0;
}
