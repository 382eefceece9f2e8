/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container's terminal: a new pty whose master goes to --console-socket. */
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include "container.h"

int console_connect(const char *path, struct oci_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return oci_error_set(err, ENAMETOOLONG, "console socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return oci_error_set(err, errno, "cannot connect to console socket %s: %s", path, strerror(errno));
	return TAKE_FD(fd);
}

static int send_fd(int sock, int fd, const char *name)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen(name) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? negative_errno() : 0;
}

int console_new(int sock_fd, const struct oci_process *p, int *ret_slave, struct oci_error *err)
{
	_cleanup_close_ int master = -1, slave = -1;
	char name[128];

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return oci_error_set(err, errno, "cannot open /dev/ptmx: %s", strerror(errno));
	if (unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0)
		return oci_error_set(err, errno, "cannot set up pty: %s", strerror(errno));
	slave = open(name, O_RDWR | O_NOCTTY);
	if (slave < 0)
		return oci_error_set(err, errno, "cannot open %s: %s", name, strerror(errno));
	if (p->has_console_size) {
		struct winsize ws = { .ws_row = (unsigned short)p->console_height,
				      .ws_col = (unsigned short)p->console_width };
		ioctl(slave, TIOCSWINSZ, &ws);
	}
	if (send_fd(sock_fd, master, name) < 0)
		return oci_error_set(err, errno, "cannot send the pty master over the console socket: %s",
				     strerror(errno));
	*ret_slave = TAKE_FD(slave);
	return 0;
}

int console_setup(int sock_fd, const struct oci_process *p, struct oci_error *err)
{
	_cleanup_close_ int slave = -1;
	char name[128];
	int r = console_new(sock_fd, p, &slave, err);

	if (r < 0)
		return r;
	if (ttyname_r(slave, name, sizeof(name)) != 0)
		snprintf(name, sizeof(name), "the pty");
	if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
		return oci_error_set(err, errno, "cannot dup the pty: %s", strerror(errno));
	if (ioctl(0, TIOCSCTTY, 0) < 0)
		return oci_error_set(err, errno, "cannot make %s the controlling terminal: %s", name,
				     strerror(errno));
	return 0;
}
