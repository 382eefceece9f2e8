// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nftables of a network namespace as raw netlink messages: dumped with
 * NFT_MSG_GET* (tables, chains, objects, flowtables, sets, set elements,
 * rules, in the order they must be created) and replayed as NFT_MSG_NEW* in
 * one batch, so the ruleset comes back whole or not at all.  cryo's own lock
 * tables (cryo-lock-*) are left out.  Handles and use counts are the old
 * kernel's: they are dropped on replay (a handle on NEWRULE/NEWCHAIN would
 * mean "replace the one with this handle").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "log.h"
#include "net-nft.h"
#include "util.h"

#define LOCK_PREFIX "cryo-lock-"
/* Dump-only set attributes of newer kernels (the set backend, the element
 * count), by number where the headers are older. */
#define SET_ATTR_TYPE	19
#define SET_ATTR_COUNT	20

static uint16_t nft_type(uint8_t msg)
{
	return (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | msg);
}

/* The attribute naming the table, per message kind. */
static uint16_t table_attr(uint8_t msg)
{
	switch (msg) {
	case NFT_MSG_NEWTABLE: return NFTA_TABLE_NAME;
	case NFT_MSG_NEWCHAIN: return NFTA_CHAIN_TABLE;
	case NFT_MSG_NEWRULE: return NFTA_RULE_TABLE;
	case NFT_MSG_NEWSET: return NFTA_SET_TABLE;
	case NFT_MSG_NEWSETELEM: return NFTA_SET_ELEM_LIST_TABLE;
	case NFT_MSG_NEWOBJ: return NFTA_OBJ_TABLE;
	case NFT_MSG_NEWFLOWTABLE: return NFTA_FLOWTABLE_TABLE;
	}
	return 0;
}

/* Attributes that only describe the old kernel's object. */
static bool attr_dropped(uint8_t msg, uint16_t type)
{
	switch (msg) {
	case NFT_MSG_NEWTABLE: return type == NFTA_TABLE_HANDLE || type == NFTA_TABLE_USE || type == NFTA_TABLE_OWNER;
	case NFT_MSG_NEWCHAIN: return type == NFTA_CHAIN_HANDLE || type == NFTA_CHAIN_USE;
	case NFT_MSG_NEWRULE: return type == NFTA_RULE_HANDLE || type == NFTA_RULE_POSITION;
	case NFT_MSG_NEWSET:
		return type == NFTA_SET_HANDLE || type == NFTA_SET_ID || type == SET_ATTR_TYPE || type == SET_ATTR_COUNT;
	case NFT_MSG_NEWOBJ: return type == NFTA_OBJ_HANDLE || type == NFTA_OBJ_USE;
	case NFT_MSG_NEWFLOWTABLE: return type == NFTA_FLOWTABLE_HANDLE || type == NFTA_FLOWTABLE_USE;
	}
	return false;
}

static const char *attr_str(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == type && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(a);
	return NULL;
}

static bool has_elements(const struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS && mnl_attr_get_payload_len(a) > 0)
			return true;
	return false;
}

struct dump_state {
	uint8_t msg;
	int (*emit)(void *ctx, uint32_t type, const void *payload, size_t len);
	void *ctx;
	struct set_ref { char *table, *name; uint8_t family; } *sets;
	size_t n_sets;
	int r;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_state *s = data;
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const char *table = attr_str(nlh, table_attr(s->msg));

	if ((nlh->nlmsg_type & 0xff) != s->msg)
		return MNL_CB_OK;
	if (table && !strncmp(table, LOCK_PREFIX, strlen(LOCK_PREFIX)))
		return MNL_CB_OK;	/* cryo's own network lock */
	if (s->msg == NFT_MSG_NEWTABLE) {
		const struct nlattr *a;
		mnl_attr_for_each(a, nlh, sizeof(*nfg))
			if (mnl_attr_get_type(a) == NFTA_TABLE_FLAGS &&
			    (ntohl(mnl_attr_get_u32(a)) & NFT_TABLE_F_OWNER)) {
				log_error("nftables table %s is owned by a netlink socket (it dies with its owner): not supported",
					  table ? table : "?");
				s->r = -EOPNOTSUPP;
				return MNL_CB_ERROR;
			}
	}
	if (s->msg == NFT_MSG_NEWSETELEM && !has_elements(nlh))
		return MNL_CB_OK;	/* the end of a set's elements: nothing to replay */
	if (s->msg == NFT_MSG_NEWSET) {
		const char *name = attr_str(nlh, NFTA_SET_NAME);
		struct set_ref *n;

		if (!name || !table) {
			s->r = -EBADMSG;
			return MNL_CB_ERROR;
		}
		n = realloc(s->sets, (s->n_sets + 1) * sizeof(*n));
		if (!n) {
			s->r = -ENOMEM;
			return MNL_CB_ERROR;
		}
		s->sets = n;
		n[s->n_sets].table = strdup(table);
		n[s->n_sets].name = strdup(name);
		n[s->n_sets].family = nfg->nfgen_family;
		s->n_sets++;
	}
	int r = s->emit(s->ctx, s->msg, nfg, mnl_nlmsg_get_payload_len(nlh));
	if (r < 0) {
		s->r = r;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static uint32_t seq_next(void)
{
	static uint32_t seq;

	if (!seq)
		seq = (uint32_t)time(NULL) ^ 0x5a5a0000u;
	return ++seq;
}

static int run(struct mnl_socket *nl, uint32_t seq, struct dump_state *s)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 8];
	ssize_t n;
	int r;

	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		r = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), dump_cb, s);
	} while (r > 0);
	if (s->r < 0)
		return s->r;
	return r < 0 ? -errno : 0;
}

static int request(struct mnl_socket *nl, struct dump_state *s, uint8_t get, uint8_t family,
		   const char *table, const char *set)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = nft_type(get);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq_next();
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	if (table) {
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return run(nl, nlh->nlmsg_seq, s);
}

int net_nft_dump(int fd, int (*emit)(void *ctx, uint32_t type, const void *payload, size_t len), void *ctx)
{
	struct mnl_socket *nl = mnl_socket_fdopen(fd);
	struct dump_state s = { .emit = emit, .ctx = ctx };
	static const uint8_t order[][2] = {
		{ NFT_MSG_GETTABLE, NFT_MSG_NEWTABLE }, { NFT_MSG_GETCHAIN, NFT_MSG_NEWCHAIN },
		{ NFT_MSG_GETOBJ, NFT_MSG_NEWOBJ }, { NFT_MSG_GETFLOWTABLE, NFT_MSG_NEWFLOWTABLE },
		{ NFT_MSG_GETSET, NFT_MSG_NEWSET },
	};
	int r = 0;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(order); i++) {
		s.msg = order[i][1];
		r = request(nl, &s, order[i][0], NFPROTO_UNSPEC, NULL, NULL);
	}
	s.msg = NFT_MSG_NEWSETELEM;
	for (size_t i = 0; r >= 0 && i < s.n_sets; i++)
		r = request(nl, &s, NFT_MSG_GETSETELEM, s.sets[i].family, s.sets[i].table, s.sets[i].name);
	if (r >= 0) {
		s.msg = NFT_MSG_NEWRULE;
		r = request(nl, &s, NFT_MSG_GETRULE, NFPROTO_UNSPEC, NULL, NULL);
	}
out:
	for (size_t i = 0; i < s.n_sets; i++) {
		free(s.sets[i].table);
		free(s.sets[i].name);
	}
	free(s.sets);
	mnl_socket_close(nl);
	return r;
}

/* ---- replay ---------------------------------------------------------- */

static void put_batch_marker(struct mnl_nlmsg_batch *b, uint16_t type, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(NFNL_SUBSYS_NFTABLES);
	mnl_nlmsg_batch_next(b);
}

/* One NEW* message: the dumped nfgenmsg and its attributes minus the dropped ones. */
static int put_msg(struct mnl_nlmsg_batch *b, const struct net_nft_msg *m, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
	const struct nlattr *a;
	size_t off = sizeof(struct nfgenmsg);

	if (m->len < off)
		return -EINVAL;
	nlh->nlmsg_type = nft_type((uint8_t)m->type);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK |
			   (m->type == NFT_MSG_NEWRULE ? NLM_F_APPEND : 0);
	nlh->nlmsg_seq = seq;
	memcpy(mnl_nlmsg_put_extra_header(nlh, off), m->data, off);
	for (size_t p = off; p + sizeof(struct nlattr) <= m->len; p += MNL_ALIGN(a->nla_len)) {
		a = (const struct nlattr *)(m->data + p);
		if (a->nla_len < sizeof(struct nlattr) || p + a->nla_len > m->len)
			return -EINVAL;
		if (attr_dropped((uint8_t)m->type, mnl_attr_get_type(a)))
			continue;
		memcpy((char *)nlh + nlh->nlmsg_len, a, a->nla_len);
		nlh->nlmsg_len += MNL_ALIGN(a->nla_len);
	}
	/* NEWSET needs an id naming the set within the batch. */
	if (m->type == NFT_MSG_NEWSET)
		mnl_attr_put_u32(nlh, NFTA_SET_ID, htonl(seq));
	mnl_nlmsg_batch_next(b);
	return 0;
}

int net_nft_restore(const struct net_nft_msg *msgs, size_t n)
{
	struct mnl_socket *nl;
	struct mnl_nlmsg_batch *b;
	size_t size = 2 * 64, acked = 0;
	uint32_t seq = seq_next() << 8, first = seq;
	char *buf, rbuf[MNL_SOCKET_BUFFER_SIZE];
	int r = 0;

	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (msgs[i].type != NFT_MSG_NEWTABLE && msgs[i].type != NFT_MSG_NEWCHAIN && msgs[i].type != NFT_MSG_NEWRULE &&
		    msgs[i].type != NFT_MSG_NEWSET && msgs[i].type != NFT_MSG_NEWSETELEM && msgs[i].type != NFT_MSG_NEWOBJ &&
		    msgs[i].type != NFT_MSG_NEWFLOWTABLE)
			return log_error_errno(-EINVAL, "netns image: nftables message %zu has type %u", i, msgs[i].type);
		size += MNL_ALIGN(msgs[i].len) + 64;
	}
	buf = malloc(size + MNL_SOCKET_BUFFER_SIZE);
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!buf || !nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = log_error_errno(buf ? -errno : -ENOMEM, "nftables netlink socket");
		goto out;
	}
	b = mnl_nlmsg_batch_start(buf, size + MNL_SOCKET_BUFFER_SIZE);
	put_batch_marker(b, NFNL_MSG_BATCH_BEGIN, seq++);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = put_msg(b, &msgs[i], seq++);
	put_batch_marker(b, NFNL_MSG_BATCH_END, seq++);
	if (r < 0) {
		mnl_nlmsg_batch_stop(b);
		r = log_error_errno(r, "netns image: a malformed nftables message");
		goto out;
	}
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0)
		r = log_error_errno(-errno, "nftables: cannot send the ruleset batch");
	mnl_nlmsg_batch_stop(b);
	/* One ack per message; the first error rolls the whole batch back. */
	while (r >= 0 && acked < n) {
		ssize_t len = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
		if (len < 0) {
			r = log_error_errno(-errno, "nftables: reading the batch's answers");
			break;
		}
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(h, (int)len);
		     h = mnl_nlmsg_next(h, (int *)&len)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			if (e->error) {
				r = log_error_errno(e->error, "nftables: the kernel refused message %u of the ruleset",
						    h->nlmsg_seq - first);
				break;
			}
			acked++;
		}
	}
out:
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	return r;
}
