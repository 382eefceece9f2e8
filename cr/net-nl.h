/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small rtnetlink helpers over libmnl for cr/net*.c. */
#ifndef CRYO_NET_NL_H
#define CRYO_NET_NL_H

#include <libmnl/libmnl.h>
#include <stdint.h>

/* Send a dump request (the header after nlmsghdr is hdr_len bytes, zeroed but
 * for the family in its first byte) and call cb for each answer. */
int nl_dump(struct mnl_socket *nl, uint16_t type, uint8_t family, size_t hdr_len, mnl_cb_t cb, void *data);
/* Send one request with NLM_F_ACK and wait for the answer: 0 or -errno. */
int nl_request(struct mnl_socket *nl, struct nlmsghdr *nlh);

static inline void mnl_socket_closep(struct mnl_socket **nl)
{
	if (*nl)
		mnl_socket_close(*nl);
}
#define _cleanup_mnl_ __attribute__((cleanup(mnl_socket_closep)))

#endif
