/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netlock's netlink layer: see nl.h. */
#include <errno.h>
#include <libnftnl/common.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "nl.h"

struct nl_open_args {
	int netns_fd;
	struct mnl_socket *nl;
	int err;
};

/* Runs in its own thread: joining a netns here leaves the caller's thread alone. */
static void *nl_open_thread(void *data)
{
	struct nl_open_args *a = data;
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	int one = 1;

	if (a->netns_fd >= 0 && setns(a->netns_fd, CLONE_NEWNET) < 0) {
		a->err = negative_errno();
		return NULL;
	}
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		a->err = negative_errno();
		return NULL;
	}
	/* Errors carry the kernel's explanation, and do not echo our message. */
	(void)mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	a->nl = TAKE_PTR(nl);
	return NULL;
}

int nl_open(int netns_fd, struct mnl_socket **ret)
{
	struct nl_open_args a = { .netns_fd = netns_fd };
	pthread_t t;
	int r;

	r = pthread_create(&t, NULL, nl_open_thread, &a);
	if (r != 0)
		return -r;
	pthread_join(t, NULL);
	if (!a.nl)
		return a.err < 0 ? a.err : -EIO;
	*ret = a.nl;
	return 0;
}

void nl_batch_free(struct nl_batch *b)
{
	free(b->buf);
	free(b->what);
	*b = (struct nl_batch){ 0 };
}

char *nl_batch_room(struct nl_batch *b)
{
	if (b->cap - b->len < NL_MSG_MAX) {
		size_t cap = b->cap ? b->cap * 2 : 4 * NL_MSG_MAX;
		char *p = realloc(b->buf, cap);

		if (!p)
			return NULL;
		/* Zeroed: libnftnl builds headers and pads in place. */
		memset(p + b->cap, 0, cap - b->cap);
		b->buf = p;
		b->cap = cap;
	}
	return b->buf + b->len;
}

uint32_t nl_batch_next_seq(const struct nl_batch *b)
{
	return b->seq_first + b->nmsg;
}

int nl_batch_commit(struct nl_batch *b, const char *what)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(b->buf + b->len);

	if (b->nmsg >= b->what_cap) {
		size_t cap = b->what_cap ? b->what_cap * 2 : 16;
		void *p = realloc(b->what, cap * sizeof(*b->what));

		if (!p)
			return -ENOMEM;
		b->what = p;
		b->what_cap = cap;
	}
	snprintf(b->what[b->nmsg], sizeof(b->what[0]), "%s", what);
	b->nmsg++;
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return 0;
}

int nl_batch_start(struct nl_batch *b)
{
	char *room;

	*b = (struct nl_batch){ 0 };
	/* Any value works; distinct per batch makes stray replies easy to spot. */
	b->seq_first = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
	room = nl_batch_room(b);
	if (!room)
		return -ENOMEM;
	nftnl_batch_begin(room, nl_batch_next_seq(b));
	return nl_batch_commit(b, "batch begin");
}

int nl_batch_finish(struct nl_batch *b)
{
	char *room = nl_batch_room(b);

	if (!room)
		return -ENOMEM;
	nftnl_batch_end(room, nl_batch_next_seq(b));
	return nl_batch_commit(b, "batch end");
}

/* Fill msg with the extended ack's text, if the kernel sent one. */
static void nl_ext_ack(const struct nlmsghdr *nlh, char *msg, size_t size)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const char *start = (const char *)e + sizeof(*e);
	const char *end = (const char *)nlh + nlh->nlmsg_len;
	const struct nlattr *attr;
	size_t tlv_len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		start += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (start >= end)
		return;
	tlv_len = (size_t)(end - start);
	mnl_attr_for_each_payload((const struct nlattr *)start, tlv_len) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			snprintf(msg, size, "%s", mnl_attr_get_str(attr));
	}
}

struct nl_batch_result {
	const struct nl_batch *b;
	int err;
	char *what, *msg;
	size_t what_size, msg_size;
};

static void nl_note_error(struct nl_batch_result *res, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	uint32_t i = e->msg.nlmsg_seq - res->b->seq_first;

	if (e->error == 0 || res->err < 0)
		return; /* an ack, or not the first error */
	res->err = e->error;
	if (res->what)
		snprintf(res->what, res->what_size, "%s",
			 i < res->b->nmsg ? res->b->what[i] : "unknown message");
	if (res->msg)
		nl_ext_ack(nlh, res->msg, res->msg_size);
}

/*
 * The kernel handles the whole batch inside sendmsg(), so every answer is
 * queued by the time it returns: read until the queue is empty.
 */
static int nl_drain(struct mnl_socket *nl, struct nl_batch_result *res)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(nl), buf, sizeof(buf), MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len = (int)n;

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : negative_errno();
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
			if (nlh->nlmsg_type == NLMSG_ERROR &&
			    nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(struct nlmsgerr)))
				nl_note_error(res, nlh);
	}
}

/* A big batch must fit the socket's send buffer in one message. */
static void nl_fit_sndbuf(struct mnl_socket *nl, size_t len)
{
	int want = (int)len + 65536;
	int fd = mnl_socket_get_fd(nl);

	if (len < 128 * 1024)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
}

int nl_batch_send(struct mnl_socket *nl, const struct nl_batch *b, char *ret_what, size_t what_size,
		  char *ret_msg, size_t msg_size)
{
	struct nl_batch_result res = {
		.b = b, .what = ret_what, .what_size = what_size, .msg = ret_msg, .msg_size = msg_size,
	};
	int r;

	if (ret_what && what_size)
		ret_what[0] = '\0';
	if (ret_msg && msg_size)
		ret_msg[0] = '\0';
	nl_fit_sndbuf(nl, b->len);
	if (mnl_socket_sendto(nl, b->buf, b->len) < 0) {
		if (ret_what)
			snprintf(ret_what, what_size, "sending the batch (%zu bytes)", b->len);
		return negative_errno();
	}
	r = nl_drain(nl, &res);
	if (res.err < 0)
		return res.err;
	if (r < 0 && ret_what)
		snprintf(ret_what, what_size, "reading the kernel's answer");
	return r;
}

int nl_get_table(struct mnl_socket *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = (uint32_t)time(NULL), portid = mnl_socket_get_portid(nl);
	struct nlmsghdr *nlh;
	ssize_t n;
	int r;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, seq);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return negative_errno();
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		r = n < 0 ? -1 : mnl_cb_run(buf, n, seq, portid, NULL, NULL);
	} while (r > 0);
	if (r < 0)
		return errno == ENOENT ? 0 : negative_errno();
	return 1;
}
