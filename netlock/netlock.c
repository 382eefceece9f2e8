/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network lock: the nftables table that drops a tree's traffic, built
 * with libnftnl and sent as one nfnetlink batch (nl.c).  docs/netlock.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "netlock.h"
#include "nl.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_table *, nftnl_table_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_chain *, nftnl_chain_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_rule *, nftnl_rule_free)

static void nl_batch_freep(struct nl_batch *b)
{
	nl_batch_free(b);
}
#define _cleanup_batch_ _cleanup_(nl_batch_freep)

static const char *const chain_names[] = { "input", "output" };
static const unsigned int chain_hooks[] = { NF_INET_LOCAL_IN, NF_INET_LOCAL_OUT };

int netlock_table_name(char *buf, size_t size, const char *id)
{
	int n = snprintf(buf, size, NETLOCK_TABLE_PREFIX "%s", id);

	if (n < 0 || (size_t)n >= size || n >= NETLOCK_TABLE_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static int check_table_name(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0)
		return log_error_errno(-EINVAL, "network lock: empty nftables table name");
	if (len >= NETLOCK_TABLE_NAME_MAX)
		return log_error_errno(-ENAMETOOLONG,
				       "network lock: nftables table name of %zu bytes (at most %d)",
				       len, NETLOCK_TABLE_NAME_MAX - 1);
	return 0;
}

/* ---- Building the messages ---- */

static int put_table(struct nl_batch *b, const char *name, uint16_t type, uint16_t flags)
{
	_cleanup_(nftnl_table_freep) struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	char *room = nl_batch_room(b);
	char what[64];

	if (!t || !room)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nlh = nftnl_nlmsg_build_hdr(room, type, NFPROTO_INET, flags, nl_batch_next_seq(b));
	nftnl_table_nlmsg_build_payload(nlh, t);
	snprintf(what, sizeof(what), "%s the table",
		 type == NFT_MSG_DELTABLE ? "delete" : (flags & NLM_F_EXCL) ? "create" : "add (if missing)");
	return nl_batch_commit(b, what);
}

static int put_base_chain(struct nl_batch *b, const char *table, unsigned int i, unsigned int policy)
{
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	char *room = nl_batch_room(b);
	char what[64];

	if (!c || !room)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain_names[i]);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, chain_hooks[i]);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, NETLOCK_CHAIN_PRIORITY);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, policy);
	nlh = nftnl_nlmsg_build_hdr(room, NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE | NLM_F_EXCL,
				    nl_batch_next_seq(b));
	nftnl_chain_nlmsg_build_payload(nlh, c);
	snprintf(what, sizeof(what), "add base chain %s", chain_names[i]);
	return nl_batch_commit(b, what);
}

static int add_expr(struct nftnl_rule *rule, struct nftnl_expr *e)
{
	if (!e)
		return -ENOMEM;
	nftnl_rule_add_expr(rule, e);
	return 0;
}

/* Compare register 1 with len bytes of value. */
static int add_cmp_eq_reg1(struct nftnl_rule *rule, const void *value, uint32_t len)
{
	struct nftnl_expr *cmp = nftnl_expr_alloc("cmp");
	int r = add_expr(rule, cmp);

	if (r < 0)
		return r;
	nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(cmp, NFTNL_EXPR_CMP_DATA, value, len);
	return 0;
}

/* Load meta KEY into register 1 and compare it with len bytes. */
static int add_meta_eq(struct nftnl_rule *rule, uint32_t key, const void *value, uint32_t len)
{
	struct nftnl_expr *meta = nftnl_expr_alloc("meta");
	int r = add_expr(rule, meta);

	if (r < 0)
		return r;
	nftnl_expr_set_u32(meta, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(meta, NFTNL_EXPR_META_DREG, NFT_REG_1);
	return add_cmp_eq_reg1(rule, value, len);
}

static int add_meta_eq_u8(struct nftnl_rule *rule, uint32_t key, uint8_t value)
{
	return add_meta_eq(rule, key, &value, sizeof(value));
}

/* Load len bytes of the packet at base+offset into register 1 and compare. */
static int add_payload_eq(struct nftnl_rule *rule, uint32_t base, uint32_t offset,
			  const void *value, uint32_t len)
{
	struct nftnl_expr *pl = nftnl_expr_alloc("payload");
	int r = add_expr(rule, pl);

	if (r < 0)
		return r;
	nftnl_expr_set_u32(pl, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(pl, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(pl, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(pl, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	return add_cmp_eq_reg1(rule, value, len);
}

/* Set the rule's verdict (NF_DROP, NF_ACCEPT). */
static int add_verdict(struct nftnl_rule *rule, uint32_t verdict)
{
	struct nftnl_expr *imm = nftnl_expr_alloc("immediate");
	int r = add_expr(rule, imm);

	if (r < 0)
		return r;
	nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_VERDICT, verdict);
	return 0;
}

/* "counter drop": the counter lets a person (or a test) see what the lock caught. */
static int add_counter_drop(struct nftnl_rule *rule)
{
	int r = add_expr(rule, nftnl_expr_alloc("counter"));

	return r < 0 ? r : add_verdict(rule, NF_DROP);
}

/* "meta mark NETLOCK_PASS_MARK accept": what the restore itself sends passes. */
static int add_mark_accept(struct nftnl_rule *rule)
{
	uint32_t mark = NETLOCK_PASS_MARK;
	int r = add_meta_eq(rule, NFT_META_MARK, &mark, sizeof(mark));

	return r < 0 ? r : add_verdict(rule, NF_ACCEPT);
}

static int put_rule(struct nl_batch *b, struct nftnl_rule *rule, const char *what)
{
	struct nlmsghdr *nlh;
	char *room = nl_batch_room(b);

	if (!room)
		return -ENOMEM;
	nlh = nftnl_nlmsg_build_hdr(room, NFT_MSG_NEWRULE, NFPROTO_INET, NLM_F_CREATE | NLM_F_APPEND,
				    nl_batch_next_seq(b));
	nftnl_rule_nlmsg_build_payload(nlh, rule);
	return nl_batch_commit(b, what);
}

static struct nftnl_rule *new_rule(const char *table, const char *chain)
{
	struct nftnl_rule *rule = nftnl_rule_alloc();

	if (!rule)
		return NULL;
	nftnl_rule_set_str(rule, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(rule, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(rule, NFTNL_RULE_FAMILY, NFPROTO_INET);
	return rule;
}

/* A rule of one expression list (fill) in chain i; label names it in errors. */
static int put_simple_rule(struct nl_batch *b, const char *table, unsigned int i,
			   int (*fill)(struct nftnl_rule *rule), const char *label)
{
	_cleanup_(nftnl_rule_freep) struct nftnl_rule *rule = new_rule(table, chain_names[i]);
	char what[64];
	int r;

	if (!rule)
		return -ENOMEM;
	r = fill(rule);
	if (r < 0)
		return r;
	snprintf(what, sizeof(what), "add rule '%s' to chain %s", label, chain_names[i]);
	return put_rule(b, rule, what);
}

/* One direction of a connection: packets from (saddr, sport) to (daddr, dport). */
struct flow {
	int family;
	const void *saddr, *daddr;
	uint16_t sport, dport; /* network byte order */
};

static int put_flow_rule(struct nl_batch *b, const char *table, unsigned int chain,
			 const struct flow *f, size_t conn_index)
{
	_cleanup_(nftnl_rule_freep) struct nftnl_rule *rule = new_rule(table, chain_names[chain]);
	bool v4 = f->family == AF_INET;
	uint32_t alen = v4 ? 4 : 16, soff = v4 ? 12 : 8, doff = v4 ? 16 : 24;
	char what[96];
	int r;

	if (!rule)
		return -ENOMEM;
	/* An inet table sees both families: check which one before reading addresses. */
	r = add_meta_eq_u8(rule, NFT_META_NFPROTO, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	if (r >= 0)
		r = add_meta_eq_u8(rule, NFT_META_L4PROTO, IPPROTO_TCP);
	if (r >= 0)
		r = add_payload_eq(rule, NFT_PAYLOAD_NETWORK_HEADER, soff, f->saddr, alen);
	if (r >= 0)
		r = add_payload_eq(rule, NFT_PAYLOAD_NETWORK_HEADER, doff, f->daddr, alen);
	if (r >= 0)
		r = add_payload_eq(rule, NFT_PAYLOAD_TRANSPORT_HEADER, 0, &f->sport, 2);
	if (r >= 0)
		r = add_payload_eq(rule, NFT_PAYLOAD_TRANSPORT_HEADER, 2, &f->dport, 2);
	if (r >= 0)
		r = add_counter_drop(rule);
	if (r < 0)
		return r;
	snprintf(what, sizeof(what), "add rule for connection %zu to chain %s", conn_index,
		 chain_names[chain]);
	return put_rule(b, rule, what);
}

/*
 * Both directions of a connection, in both chains: a connection between two
 * local sockets (over lo or a local address) crosses output and input with
 * each direction.
 */
static int put_conn_rules(struct nl_batch *b, const char *table, const struct netlock_conn *c,
			  size_t index)
{
	struct flow out = { .family = c->family, .sport = htons(c->local_port),
			    .dport = htons(c->remote_port) };
	struct flow in = { .family = c->family, .sport = htons(c->remote_port),
			   .dport = htons(c->local_port) };
	struct in_addr l4, r4;

	if (c->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&c->local.v6)) {
		/* A dual-stack socket talking IPv4: its packets are IPv4. */
		memcpy(&l4, &c->local.v6.s6_addr[12], 4);
		memcpy(&r4, &c->remote.v6.s6_addr[12], 4);
		out.family = in.family = AF_INET;
		out.saddr = in.daddr = &l4;
		out.daddr = in.saddr = &r4;
	} else {
		out.saddr = in.daddr = &c->local;
		out.daddr = in.saddr = &c->remote;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(chain_names); i++) {
		int r = put_flow_rule(b, table, i, &out, index);

		if (r >= 0)
			r = put_flow_rule(b, table, i, &in, index);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_conn(const struct netlock_conn *c, size_t i)
{
	if (c->family == AF_INET)
		return 0;
	if (c->family != AF_INET6)
		return log_error_errno(-EAFNOSUPPORT,
				       "network lock: connection %zu has address family %d, not IPv4 or IPv6",
				       i, c->family);
	if (IN6_IS_ADDR_V4MAPPED(&c->local.v6) != IN6_IS_ADDR_V4MAPPED(&c->remote.v6))
		return log_error_errno(-EINVAL,
				       "network lock: connection %zu mixes an IPv4-mapped and a plain IPv6 address",
				       i);
	return 0;
}

/*
 * Tests only: a rule whose chain name breaks the kernel's attribute policy.
 * The kernel rejects it with an extended ack message, after it has already
 * taken the table and chains of the batch, which it must then undo.
 */
static int put_fault(struct nl_batch *b, const char *table)
{
	char chain[NETLOCK_TABLE_NAME_MAX + 40];
	_cleanup_(nftnl_rule_freep) struct nftnl_rule *rule = NULL;
	int r;

	memset(chain, 'x', sizeof(chain) - 1);
	chain[sizeof(chain) - 1] = '\0';
	rule = new_rule(table, chain);
	if (!rule)
		return -ENOMEM;
	r = add_counter_drop(rule);
	return r < 0 ? r : put_rule(b, rule, "add rule to an over-long chain name (injected fault)");
}

/* The table's head: create it, or with NETLOCK_F_REUSE replace any old one. */
static int put_lock_table(struct nl_batch *b, const char *table, unsigned int flags)
{
	int r = 0;

	/* Adding without NLM_F_EXCL is a no-op on an existing table, so the
	 * delete that follows always has something to delete. */
	if (flags & NETLOCK_F_REUSE) {
		r = put_table(b, table, NFT_MSG_NEWTABLE, NLM_F_CREATE);
		if (r >= 0)
			r = put_table(b, table, NFT_MSG_DELTABLE, 0);
	}
	if (r >= 0)
		r = put_table(b, table, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL);
	return r;
}

/* ---- Sending ---- */

/* Send b in netns_fd; log any error except quiet_err, which is returned as is. */
static int send_batch(int netns_fd, const char *table, const struct nl_batch *b, const char *verb,
		      int quiet_err)
{
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	char what[96], msg[256];
	int r;

	r = nl_open(netns_fd, &nl);
	if (r < 0) {
		if (r == -EINVAL && netns_fd >= 0)
			return log_error_errno(r, "network lock: cannot %s table inet %s: fd %d is not a network namespace",
					       verb, table, netns_fd);
		if (r == -EPROTONOSUPPORT)
			return log_error_errno(r, "network lock: cannot %s table inet %s: the kernel has no nfnetlink (no nftables; use --network-lock skip to run without the lock)",
					       verb, table);
		return log_error_errno(r, "network lock: cannot %s table inet %s: no nftables netlink socket",
				       verb, table);
	}
	r = nl_batch_send(nl, b, what, sizeof(what), msg, sizeof(msg));
	if (r < 0 && r == quiet_err)
		return r;
	if (r == -EEXIST && strcmp(what, "create the table") == 0)
		return log_error_errno(r, "network lock: table inet %s exists already (another dump of this tree running, or left by a crash?)",
				       table);
	if (r < 0)
		return log_error_errno(r, "network lock: cannot %s table inet %s: kernel refused '%s'%s%s%s",
				       verb, table, what, msg[0] ? " (" : "", msg, msg[0] ? ")" : "");
	return 0;
}

int netlock_lock_netns_flags(int netns_fd, const char *table_name, unsigned int flags)
{
	_cleanup_batch_ struct nl_batch b = { 0 };
	int r = check_table_name(table_name);

	if (r < 0)
		return r;
	r = nl_batch_start(&b);
	if (r >= 0)
		r = put_lock_table(&b, table_name, flags);
	for (unsigned int i = 0; r >= 0 && i < ARRAY_SIZE(chain_names); i++) {
		r = put_base_chain(&b, table_name, i, NF_DROP);
		if (r >= 0)
			r = put_simple_rule(&b, table_name, i, add_mark_accept, "meta mark accept");
		if (r >= 0)
			r = put_simple_rule(&b, table_name, i, add_counter_drop, "counter drop");
	}
	if (r >= 0 && (flags & NETLOCK_F_FAULT_LAST))
		r = put_fault(&b, table_name);
	if (r >= 0)
		r = nl_batch_finish(&b);
	if (r < 0)
		return log_error_errno(r, "network lock: cannot build the batch for table inet %s", table_name);
	r = send_batch(netns_fd, table_name, &b, "create", 0);
	if (r < 0)
		return r;
	log_info("network lock: namespace %s locked by table inet %s",
		 netns_fd >= 0 ? "of the tree" : "of the caller", table_name);
	return 0;
}

int netlock_lock_netns(int netns_fd, const char *table_name)
{
	return netlock_lock_netns_flags(netns_fd, table_name, 0);
}

int netlock_lock_conns_flags(const struct netlock_conn *conns, size_t n, const char *table_name,
			     unsigned int flags)
{
	_cleanup_batch_ struct nl_batch b = { 0 };
	int r = check_table_name(table_name);

	if (r < 0)
		return r;
	if (n > 0 && !conns)
		return log_error_errno(-EINVAL, "network lock: %zu connections but no list", n);
	for (size_t i = 0; i < n; i++) {
		r = check_conn(&conns[i], i);
		if (r < 0)
			return r;
	}
	r = nl_batch_start(&b);
	if (r >= 0)
		r = put_lock_table(&b, table_name, flags);
	/* Policy accept: only the listed connections are stopped. */
	for (unsigned int i = 0; r >= 0 && i < ARRAY_SIZE(chain_names); i++) {
		r = put_base_chain(&b, table_name, i, NF_ACCEPT);
		if (r >= 0)
			r = put_simple_rule(&b, table_name, i, add_mark_accept, "meta mark accept");
	}
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = put_conn_rules(&b, table_name, &conns[i], i);
	if (r >= 0 && (flags & NETLOCK_F_FAULT_LAST))
		r = put_fault(&b, table_name);
	if (r >= 0)
		r = nl_batch_finish(&b);
	if (r < 0)
		return log_error_errno(r, "network lock: cannot build the batch for table inet %s", table_name);
	r = send_batch(-1, table_name, &b, "create", 0);
	if (r < 0)
		return r;
	log_info("network lock: %zu TCP connections locked by table inet %s", n, table_name);
	return 0;
}

int netlock_lock_conns(const struct netlock_conn *conns, size_t n, const char *table_name)
{
	return netlock_lock_conns_flags(conns, n, table_name, 0);
}

int netlock_unlock(int netns_fd, const char *table_name)
{
	_cleanup_batch_ struct nl_batch b = { 0 };
	int r = check_table_name(table_name);

	if (r < 0)
		return r;
	r = nl_batch_start(&b);
	if (r >= 0)
		r = put_table(&b, table_name, NFT_MSG_DELTABLE, 0);
	if (r >= 0)
		r = nl_batch_finish(&b);
	if (r < 0)
		return log_error_errno(r, "network lock: cannot build the batch for table inet %s", table_name);
	r = send_batch(netns_fd, table_name, &b, "remove", -ENOENT);
	if (r == -ENOENT) {
		/* After a failed dump the lock may never have been taken. */
		log_debug("network lock: table inet %s was not there; nothing to unlock", table_name);
		return 0;
	}
	if (r < 0)
		return r;
	log_info("network lock: table inet %s removed", table_name);
	return 0;
}

int netlock_table_exists(int netns_fd, const char *table_name)
{
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	int r = check_table_name(table_name);

	if (r < 0)
		return r;
	r = nl_open(netns_fd, &nl);
	if (r < 0)
		return log_error_errno(r, "network lock: cannot look up table inet %s: no nftables netlink socket",
				       table_name);
	r = nl_get_table(nl, table_name);
	if (r < 0)
		return log_error_errno(r, "network lock: cannot look up table inet %s", table_name);
	return r;
}
