// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Dump side of network namespaces.  A short-lived thread enters the namespace
 * and opens an rtnetlink socket and the saved sysctl files there (both stay
 * bound to the namespace they were opened in), so the dumper itself never
 * changes namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "net.h"
#include "net-nl.h"
#include "net-nft.h"
#include "util.h"
#include "proto/net.pb-c.h"

const char *const net_sysctls[] = {
	"ipv4/ip_forward",
	"ipv4/conf/all/forwarding",
	"ipv4/ip_local_port_range",
	"ipv4/ping_group_range",
	"ipv6/conf/all/disable_ipv6",
	"ipv6/conf/default/disable_ipv6",
	"ipv6/conf/all/forwarding",
	"core/somaxconn",
	NULL,
};

#define NR_SYSCTLS 8

struct netns_fds {
	pid_t pid;
	int nl, nft;
	int sysctl[NR_SYSCTLS];
	int err;
};

static void *enter_and_open(void *arg)
{
	struct netns_fds *f = arg;
	char path[128];
	int ns;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)f->pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
		f->err = -errno;
		if (ns >= 0)
			close(ns);
		return NULL;
	}
	close(ns);
	f->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (f->nl < 0)
		f->err = -errno;
	/* No nf_tables in this kernel: no ruleset to save. */
	f->nft = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	for (int i = 0; net_sysctls[i]; i++) {
		snprintf(path, sizeof(path), "/proc/sys/net/%s", net_sysctls[i]);
		f->sysctl[i] = open(path, O_RDONLY | O_CLOEXEC);
	}
	return NULL;
}

/* Sockets and files of pid's network namespace, opened by a thread inside. */
static int open_in_netns(pid_t pid, struct netns_fds *f)
{
	pthread_t th;
	int r;

	memset(f, 0, sizeof(*f));
	f->pid = pid;
	f->nl = f->nft = -1;
	for (int i = 0; i < NR_SYSCTLS; i++)
		f->sysctl[i] = -1;
	r = pthread_create(&th, NULL, enter_and_open, f);
	if (r)
		return -r;
	pthread_join(th, NULL);
	if (f->err < 0)
		return log_error_errno(f->err, "task %d: cannot enter its network namespace", (int)pid);
	return 0;
}

static void close_netns_fds(struct netns_fds *f)
{
	if (f->nl >= 0)
		close(f->nl);
	if (f->nft >= 0)
		close(f->nft);
	for (int i = 0; i < NR_SYSCTLS; i++)
		if (f->sysctl[i] >= 0)
			close(f->sysctl[i]);
}

struct dump_ctx {
	struct img *img;
	pid_t pid;
	int r;
};

static int write_item(struct dump_ctx *c, NetItem *it)
{
	int r = img_write(c->img, &it->base);

	if (r < 0 && c->r >= 0)
		c->r = r;
	return r;
}

static int parse_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	unsigned t = mnl_attr_get_type(a);

	if (t < 64)
		tb[t] = a;
	return MNL_CB_OK;
}

/* Devices every new namespace gets from loaded tunnel modules: not ours. */
static bool is_fallback_dev(const char *name)
{
	static const char *const names[] = { "sit0", "tunl0", "ip6tnl0", "ip_vti0", "ip6_vti0", "gre0",
					     "gretap0", "erspan0", "ip6gre0", "ip6erspan0" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[64] = { 0 }, *li[64] = { 0 };
	NetLinkEntry e = NET_LINK_ENTRY__INIT;
	NetItem it = NET_ITEM__INIT;
	const char *kind = NULL;

	mnl_attr_parse(nlh, sizeof(*ifi), parse_attr, tb);
	if (!tb[IFLA_IFNAME])
		return MNL_CB_OK;
	e.name = (char *)mnl_attr_get_str(tb[IFLA_IFNAME]);
	if (tb[IFLA_LINKINFO]) {
		mnl_attr_parse_nested(tb[IFLA_LINKINFO], parse_attr, li);
		if (li[IFLA_INFO_KIND])
			kind = mnl_attr_get_str(li[IFLA_INFO_KIND]);
	}
	if (ifi->ifi_type == ARPHRD_LOOPBACK)
		kind = "loopback";
	if (is_fallback_dev(e.name)) {
		log_debug("task %d: network device %s is the kernel's fallback device: left to the kernel", (int)c->pid, e.name);
		return MNL_CB_OK;
	}
	if (!kind || (strcmp(kind, "loopback") && strcmp(kind, "veth"))) {
		log_error("task %d: network device %s (kind %s) is not supported: only loopback and veth", (int)c->pid,
			  e.name, kind ? kind : "unknown");
		c->r = -EOPNOTSUPP;
		return MNL_CB_ERROR;
	}
	e.ifindex = (uint32_t)ifi->ifi_index;
	e.kind = (char *)kind;
	e.flags = ifi->ifi_flags;
	if (tb[IFLA_MTU]) {
		e.has_mtu = true;
		e.mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	}
	if (tb[IFLA_ADDRESS]) {
		e.has_address = true;
		e.address.data = mnl_attr_get_payload(tb[IFLA_ADDRESS]);
		e.address.len = mnl_attr_get_payload_len(tb[IFLA_ADDRESS]);
	}
	if (!strcmp(kind, "veth") && tb[IFLA_LINK]) {
		e.has_peer_ifindex = true;
		e.peer_ifindex = mnl_attr_get_u32(tb[IFLA_LINK]);
		e.has_peer_outside = true;
		e.peer_outside = tb[IFLA_LINK_NETNSID] != NULL;
		if (e.peer_outside)
			e.external_key = e.name;
	}
	it.link = &e;
	return write_item(c, &it) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[64] = { 0 };
	NetAddrEntry e = NET_ADDR_ENTRY__INIT;
	NetItem it = NET_ITEM__INIT;
	const struct nlattr *local, *addr;

	mnl_attr_parse(nlh, sizeof(*ifa), parse_attr, tb);
	addr = tb[IFA_ADDRESS];
	local = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : addr;
	if (!local)
		return MNL_CB_OK;
	/* Link-local IPv6 addresses are made by the kernel when the device comes up. */
	if (ifa->ifa_family == AF_INET6 && ifa->ifa_scope == RT_SCOPE_LINK)
		return MNL_CB_OK;
	e.ifindex = ifa->ifa_index;
	e.family = ifa->ifa_family;
	e.prefixlen = ifa->ifa_prefixlen;
	e.scope = ifa->ifa_scope;
	e.flags = tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	e.local.data = mnl_attr_get_payload(local);
	e.local.len = mnl_attr_get_payload_len(local);
	if (addr && local != addr && memcmp(mnl_attr_get_payload(addr), e.local.data, e.local.len)) {
		e.has_peer = true;
		e.peer.data = mnl_attr_get_payload(addr);
		e.peer.len = mnl_attr_get_payload_len(addr);
	}
	if (tb[IFA_LABEL])
		e.label = (char *)mnl_attr_get_str(tb[IFA_LABEL]);
	it.addr = &e;
	return write_item(c, &it) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[64] = { 0 };
	NetRouteEntry e = NET_ROUTE_ENTRY__INIT;
	NetItem it = NET_ITEM__INIT;

	mnl_attr_parse(nlh, sizeof(*rtm), parse_attr, tb);
	e.table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	/* The local table and the routes the kernel derives from addresses and
	 * devices come back by themselves; cached clones are not routes. */
	if (e.table == RT_TABLE_LOCAL || rtm->rtm_protocol == RTPROT_KERNEL || (rtm->rtm_flags & RTM_F_CLONED))
		return MNL_CB_OK;
	if (rtm->rtm_family == AF_INET6 && rtm->rtm_type == RTN_MULTICAST)
		return MNL_CB_OK;
	if (tb[RTA_MULTIPATH]) {
		log_error("task %d: a multipath route (table %u) is not supported", (int)c->pid, e.table);
		c->r = -EOPNOTSUPP;
		return MNL_CB_ERROR;
	}
	e.family = rtm->rtm_family;
	e.dst_len = rtm->rtm_dst_len;
	e.protocol = rtm->rtm_protocol;
	e.scope = rtm->rtm_scope;
	e.type = rtm->rtm_type;
	e.has_flags = true;
	e.flags = rtm->rtm_flags;
	if (tb[RTA_DST]) {
		e.has_dst = true;
		e.dst.data = mnl_attr_get_payload(tb[RTA_DST]);
		e.dst.len = mnl_attr_get_payload_len(tb[RTA_DST]);
	}
	if (tb[RTA_GATEWAY]) {
		e.has_gateway = true;
		e.gateway.data = mnl_attr_get_payload(tb[RTA_GATEWAY]);
		e.gateway.len = mnl_attr_get_payload_len(tb[RTA_GATEWAY]);
	}
	if (tb[RTA_PREFSRC]) {
		e.has_prefsrc = true;
		e.prefsrc.data = mnl_attr_get_payload(tb[RTA_PREFSRC]);
		e.prefsrc.len = mnl_attr_get_payload_len(tb[RTA_PREFSRC]);
	}
	if (tb[RTA_OIF]) {
		e.has_oif = true;
		e.oif = mnl_attr_get_u32(tb[RTA_OIF]);
	}
	if (tb[RTA_PRIORITY]) {
		e.has_priority = true;
		e.priority = mnl_attr_get_u32(tb[RTA_PRIORITY]);
	}
	it.route = &e;
	return write_item(c, &it) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[64] = { 0 };
	NetRuleEntry e = NET_RULE_ENTRY__INIT;
	NetItem it = NET_ITEM__INIT;

	mnl_attr_parse(nlh, sizeof(*frh), parse_attr, tb);
	/* The default rules (local, main, default) are the kernel's. */
	if (tb[FRA_PROTOCOL] && mnl_attr_get_u8(tb[FRA_PROTOCOL]) == RTPROT_KERNEL)
		return MNL_CB_OK;
	e.priority = tb[FRA_PRIORITY] ? mnl_attr_get_u32(tb[FRA_PRIORITY]) : 0;
	e.msg.data = mnl_nlmsg_get_payload(nlh);
	e.msg.len = mnl_nlmsg_get_payload_len(nlh);
	it.rule = &e;
	return write_item(c, &it) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int dump_sysctls(struct dump_ctx *c, const struct netns_fds *f)
{
	for (int i = 0; net_sysctls[i]; i++) {
		NetSysctlEntry e = NET_SYSCTL_ENTRY__INIT;
		NetItem it = NET_ITEM__INIT;
		char val[256];
		ssize_t n;

		if (f->sysctl[i] < 0)
			continue;	/* not in this kernel (ipv6 off, ...) */
		n = pread(f->sysctl[i], val, sizeof(val) - 1, 0);
		if (n <= 0)
			continue;
		val[n] = 0;
		val[strcspn(val, "\n")] = 0;
		e.name = (char *)net_sysctls[i];
		e.value = val;
		it.sysctl = &e;
		int r = write_item(c, &it);
		if (r < 0)
			return r;
	}
	return 0;
}

static int emit_nft(void *ctx, uint32_t type, const void *payload, size_t len)
{
	NetNftEntry e = NET_NFT_ENTRY__INIT;
	NetItem it = NET_ITEM__INIT;

	e.type = type;
	e.msg.data = (uint8_t *)payload;
	e.msg.len = len;
	it.nft = &e;
	return write_item(ctx, &it);
}

int net_dump(pid_t pid, struct img_dir *d, unsigned ns_id)
{
	struct netns_fds f;
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	struct dump_ctx c = { .pid = pid };
	NetNsEntry ns = NET_NS_ENTRY__INIT;
	char path[64];
	struct stat st;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat(path, &st) < 0)
		return log_error_errno(-errno, "task %d: %s", (int)pid, path);
	r = open_in_netns(pid, &f);
	if (r < 0)
		return r;
	nl = mnl_socket_fdopen(f.nl);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		close_netns_fds(&f);
		return log_error_errno(-errno, "task %d: rtnetlink socket in its namespace", (int)pid);
	}
	f.nl = -1;	/* owned by nl now */
	r = img_open(d, IMG_NETNS, true, &c.img, ns_id);
	if (r < 0) {
		close_netns_fds(&f);
		return r;
	}
	ns.ns_ino = st.st_ino;
	r = img_write(c.img, &ns.base);
	if (r >= 0)
		r = dump_sysctls(&c, &f);
	if (r >= 0)
		r = nl_dump(nl, RTM_GETLINK, AF_UNSPEC, sizeof(struct ifinfomsg), link_cb, &c);
	if (r >= 0)
		r = nl_dump(nl, RTM_GETADDR, AF_UNSPEC, sizeof(struct ifaddrmsg), addr_cb, &c);
	for (int fam = 0; r >= 0 && fam < 2; fam++)
		r = nl_dump(nl, RTM_GETROUTE, fam ? AF_INET6 : AF_INET, sizeof(struct rtmsg), route_cb, &c);
	for (int fam = 0; r >= 0 && fam < 2; fam++)
		r = nl_dump(nl, RTM_GETRULE, fam ? AF_INET6 : AF_INET, sizeof(struct fib_rule_hdr), rule_cb, &c);
	if (r >= 0 && c.r >= 0 && f.nft >= 0) {
		r = net_nft_dump(f.nft, emit_nft, &c);
		f.nft = -1;	/* closed by net_nft_dump */
	}
	if (c.r < 0)
		r = c.r;
	else if (r < 0)
		log_error_errno(r, "task %d: reading its network namespace", (int)pid);
	close_netns_fds(&f);
	int rc = img_close(c.img);
	return r < 0 ? r : rc;
}
