// SPDX-License-Identifier: GPL-2.0-or-later
/* rtnetlink request/dump helpers over libmnl. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "net-nl.h"

static uint32_t next_seq(void)
{
	static uint32_t seq;

	if (!seq)
		seq = (uint32_t)time(NULL);
	return ++seq;
}

static int run_answers(struct mnl_socket *nl, uint32_t seq, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 4];
	unsigned portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int r;

	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		r = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
	} while (r > 0);
	return r < 0 ? -errno : 0;
}

int nl_dump(struct mnl_socket *nl, uint16_t type, uint8_t family, size_t hdr_len, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	uint8_t *hdr;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = next_seq();
	hdr = mnl_nlmsg_put_extra_header(nlh, hdr_len);
	hdr[0] = family;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return run_answers(nl, nlh->nlmsg_seq, cb, data);
}

int nl_request(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = next_seq();
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return run_answers(nl, nlh->nlmsg_seq, NULL, NULL);
}
