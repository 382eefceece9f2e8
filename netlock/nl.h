/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netlock's netlink layer: a NETLINK_NETFILTER socket opened inside a chosen
 * network namespace, and nfnetlink batches (BATCH_BEGIN ... BATCH_END) sent
 * in one sendmsg and checked for errors, with the kernel's extended ack.
 */
#ifndef CRYO_NETLOCK_NL_H
#define CRYO_NETLOCK_NL_H

#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct mnl_socket *, mnl_socket_close)
#define _cleanup_mnl_ _cleanup_(mnl_socket_closep)

/*
 * Open a NETLINK_NETFILTER socket in the network namespace netns_fd (-1: the
 * caller's).  The socket is made in a short-lived thread that joins the
 * namespace, so the caller never changes namespace; a netlink socket keeps
 * the namespace it was made in.
 */
int nl_open(int netns_fd, struct mnl_socket **ret);

/* One nfnetlink batch being built; each message has a description for errors. */
struct nl_batch {
	char *buf;
	size_t len, cap;
	uint32_t seq_first;   /* seq of BATCH_BEGIN; message i has seq_first + i */
	uint32_t nmsg;
	char (*what)[96];     /* what[i]: what message i does, e.g. "add chain input" */
	size_t what_cap;
};

void nl_batch_free(struct nl_batch *b);
/* Start a batch (writes NFNL_MSG_BATCH_BEGIN). */
int nl_batch_start(struct nl_batch *b);
/* Room for one more message of up to NL_MSG_MAX bytes at the end of the batch. */
#define NL_MSG_MAX 4096
char *nl_batch_room(struct nl_batch *b);
uint32_t nl_batch_next_seq(const struct nl_batch *b);
/* Account the message just built in the room; what describes it for errors. */
int nl_batch_commit(struct nl_batch *b, const char *what);
/* Close the batch (NFNL_MSG_BATCH_END). */
int nl_batch_finish(struct nl_batch *b);

/*
 * Send the batch and collect the kernel's answer.  0 if the whole batch was
 * applied; otherwise the first error as a negative errno, with a description
 * of the failing message and the kernel's extended ack message (if any) in
 * ret_what / ret_msg (may be NULL).
 */
int nl_batch_send(struct mnl_socket *nl, const struct nl_batch *b, char *ret_what, size_t what_size,
		  char *ret_msg, size_t msg_size);

/* NFT_MSG_GETTABLE of an inet table: 1 if it exists, 0 if not, negative errno. */
int nl_get_table(struct mnl_socket *nl, const char *name);

#endif
