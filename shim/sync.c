/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Messages between cryo and the init it is setting up (a SOCK_SEQPACKET pair). */
#include <string.h>
#include <sys/socket.h>
#include "container.h"

int sync_send(int fd, int type, int value, const char *text)
{
	struct sync_msg m = { .type = type, .value = value };
	size_t len = offsetof(struct sync_msg, text);

	if (text) {
		snprintf(m.text, sizeof(m.text), "%s", text);
		len += strlen(m.text) + 1;
	}
	while (send(fd, &m, len, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return negative_errno();
	return 0;
}

int sync_recv(int fd, struct sync_msg *m)
{
	ssize_t n;

	memset(m, 0, sizeof(*m));
	do
		n = recv(fd, m, sizeof(*m) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return negative_errno();
	if (n < (ssize_t)offsetof(struct sync_msg, text))
		return -EPIPE; /* the other side died */
	return 0;
}

void sync_send_error(int fd, const struct oci_error *err)
{
	sync_send(fd, SYNC_ERROR, err->code, err->msg);
}
