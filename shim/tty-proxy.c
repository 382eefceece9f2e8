/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A terminal for foreground run/exec without --console-socket: cryo plays the
 * engine's part, receives the pty master on a private socket and relays it to
 * its own stdin/stdout (raw mode while a tty), as runc does.
 */
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include "container.h"

int tty_proxy_listen(struct tty_proxy *t, struct oci_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmpl[] = "/tmp/cryo-tty-XXXXXX";

	t->master = t->listen_fd = -1;
	if (!mkdtemp(tmpl))
		return oci_error_set(err, errno, "cannot create a socket directory: %s", strerror(errno));
	t->dir = strdup(tmpl);
	if (!t->dir || asprintf(&t->path, "%s/console.sock", tmpl) < 0)
		return oci_error_set(err, ENOMEM, "out of memory");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", t->path);
	t->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (t->listen_fd < 0 || bind(t->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(t->listen_fd, 1) < 0)
		return oci_error_set(err, errno, "cannot listen on %s: %s", t->path, strerror(errno));
	return 0;
}

/* After create/exec connected and sent the master: take it. */
int tty_proxy_accept(struct tty_proxy *t, struct oci_error *err)
{
	char buf[256], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	_cleanup_close_ int conn = accept4(t->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	struct cmsghdr *c;

	if (conn < 0 || recvmsg(conn, &mh, MSG_CMSG_CLOEXEC) < 0)
		return oci_error_set(err, errno, "cannot receive the container's terminal: %s", strerror(errno));
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return oci_error_set(err, EPROTO, "no terminal received from the container");
	memcpy(&t->master, CMSG_DATA(c), sizeof(int));
	if (isatty(0)) {
		struct winsize ws;
		struct termios raw;
		if (ioctl(0, TIOCGWINSZ, &ws) == 0)
			ioctl(t->master, TIOCSWINSZ, &ws);
		if (tcgetattr(0, &t->saved) == 0) {
			t->restore = true;
			raw = t->saved;
			cfmakeraw(&raw);
			tcsetattr(0, TCSANOW, &raw);
		}
	}
	return 0;
}

void tty_proxy_close(struct tty_proxy *t)
{
	if (t->restore)
		tcsetattr(0, TCSANOW, &t->saved);
	if (t->master >= 0)
		close(t->master);
	if (t->listen_fd >= 0)
		close(t->listen_fd);
	if (t->path)
		unlink(t->path);
	if (t->dir)
		rmdir(t->dir);
	free(t->path);
	free(t->dir);
	t->path = t->dir = NULL;
	t->master = t->listen_fd = -1;
}

static bool copy_once(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return false;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w <= 0)
			return false;
		off += w;
	}
	return true;
}

/* foreground_wait with a terminal to relay: signals through a signalfd, data both ways. */
int tty_proxy_wait(struct tty_proxy *t, pid_t pid, const sigset_t *set)
{
	_cleanup_close_ int sfd = signalfd(-1, set, SFD_CLOEXEC);
	bool in_open = true, out_open = true;
	int code = -1;

	while (code < 0) {
		struct pollfd p[3] = { { .fd = sfd, .events = POLLIN },
				       { .fd = out_open ? t->master : -1, .events = POLLIN },
				       { .fd = in_open ? 0 : -1, .events = POLLIN } };
		if (poll(p, 3, -1) < 0)
			continue;
		if (p[1].revents && !copy_once(t->master, 1))
			out_open = false;
		if (p[2].revents && !copy_once(0, t->master))
			in_open = false;
		if (p[0].revents) {
			struct signalfd_siginfo si;
			int status;
			pid_t w;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGWINCH && isatty(0)) {
				struct winsize ws;
				if (ioctl(0, TIOCGWINSZ, &ws) == 0)
					ioctl(t->master, TIOCSWINSZ, &ws);
			} else if (si.ssi_signo != SIGCHLD)
				kill(pid, (int)si.ssi_signo);
			while ((w = waitpid(-1, &status, WNOHANG)) > 0)
				if (w == pid)
					code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
	}
	/* Drain what the process wrote just before it exited. */
	while (out_open) {
		struct pollfd p = { .fd = t->master, .events = POLLIN };
		if (poll(&p, 1, 0) <= 0 || !copy_once(t->master, 1))
			break;
	}
	return code;
}
