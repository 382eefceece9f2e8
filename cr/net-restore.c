// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Restore side of network namespaces: replay netns-ID.img into the caller's
 * fresh namespace.  Order: sysctls, devices (down), device state (up),
 * addresses, routes, rules.  Device indexes may differ from the dump: items
 * name devices by their dumped index, mapped to the new one by name.
 */
#include <net/if.h>	/* before the linux/ headers: if_nametoindex */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "net.h"
#include "net-nl.h"
#include "net-nft.h"
#include "util.h"
#include "proto/net.pb-c.h"

struct net_items {
	NetItem **it;
	size_t n;
};

static void free_items(struct net_items *x)
{
	for (size_t i = 0; i < x->n; i++)
		img_free_msg(&x->it[i]->base);
	free(x->it);
}

static int load_items(struct img_dir *d, unsigned ns_id, struct net_items *x)
{
	struct img *img = NULL;
	ProtobufCMessage *msg = NULL;
	size_t cap = 0;
	int r;

	memset(x, 0, sizeof(*x));
	r = img_open(d, IMG_NETNS, false, &img, ns_id);
	if (r < 0)
		return r;
	r = img_read_one(img, &msg);
	if (r >= 0)
		img_free_msg(msg);
	while (r >= 0 && (r = img_read(img, &msg)) > 0) {
		if (x->n == cap) {
			NetItem **n = realloc(x->it, (cap = cap ? cap * 2 : 32) * sizeof(*n));
			if (!n) {
				img_free_msg(msg);
				r = -ENOMEM;
				break;
			}
			x->it = n;
		}
		x->it[x->n++] = (NetItem *)msg;
	}
	img_close(img);
	return r;
}

/* The device's index now, from its dumped index. */
static int new_ifindex(const struct net_items *x, uint32_t old)
{
	for (size_t i = 0; i < x->n; i++) {
		const NetLinkEntry *l = x->it[i]->link;
		if (l && l->ifindex == old) {
			unsigned idx = if_nametoindex(l->name);
			return idx ? (int)idx : -ENODEV;
		}
	}
	return -ENODEV;
}

static const struct net_external *find_ext(const struct net_restore_opts *o, const char *key)
{
	for (size_t i = 0; o && i < o->n_ext; i++)
		if (!strcmp(o->ext[i].key, key))
			return &o->ext[i];
	return NULL;
}

static int restore_sysctl(const NetSysctlEntry *s)
{
	char path[256];
	int fd, r = 0;
	bool known = false;

	for (int i = 0; net_sysctls[i]; i++)
		known |= !strcmp(net_sysctls[i], s->name);
	if (!known)
		return log_error_errno(-EINVAL, "netns image: sysctl net/%s is not one cryo restores", s->name);
	snprintf(path, sizeof(path), "/proc/sys/net/%s", s->name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "sysctl net/%s", s->name);
	if (write(fd, s->value, strlen(s->value)) < 0)
		r = log_error_errno(-errno, "sysctl net/%s = %s", s->name, s->value);
	close(fd);
	return r;
}

static struct nlmsghdr *put_link_header(char *buf, uint16_t type, uint16_t flags, int index)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	return nlh;
}

static int send_veth(struct mnl_socket *nl, const NetLinkEntry *l, const char *peer_name, int peer_ns,
		     uint32_t peer_index, bool keep_index)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put_link_header(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
					       keep_index ? (int)l->ifindex : 0);
	struct nlattr *info, *data, *peer;
	struct ifinfomsg *pifi;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, l->name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	memset(pifi, 0, sizeof(*pifi));
	pifi->ifi_index = keep_index ? (int)peer_index : 0;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name);
	if (peer_ns >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_ns);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_request(nl, nlh);
}

static int create_veth(struct mnl_socket *nl, const NetLinkEntry *l, const struct net_items *x,
		       const struct net_restore_opts *o)
{
	const char *peer_name = NULL;
	uint32_t peer_index = 0;
	int peer_ns = -1, r;

	if (l->peer_outside) {
		const struct net_external *e = find_ext(o, l->external_key ? l->external_key : l->name);

		if (!e)
			return log_error_errno(-ENOENT, "veth %s: its peer was outside the namespace: map it with --external veth[%s]:PEER[@NETNS]",
					       l->name, l->external_key ? l->external_key : l->name);
		peer_name = e->peer_name;
		peer_ns = e->netns_fd >= 0 ? e->netns_fd : o->outer_netns_fd;
		if (peer_ns < 0)
			return log_error_errno(-EINVAL, "veth %s: no namespace for its peer %s", l->name, peer_name);
	} else {
		for (size_t i = 0; i < x->n; i++)
			if (x->it[i]->link && x->it[i]->link->ifindex == l->peer_ifindex)
				peer_name = x->it[i]->link->name;
		if (!peer_name)
			return log_error_errno(-EINVAL, "veth %s: its peer (index %u) is not in the image", l->name, l->peer_ifindex);
		if (if_nametoindex(peer_name))
			return 0;	/* made with its other end */
		peer_index = l->peer_ifindex;
	}
	/* Keep the dumped device indexes (programs cache them); an index taken
	 * already in this namespace falls back to the kernel's choice. */
	r = send_veth(nl, l, peer_name, peer_ns, peer_index, true);
	if (r == -EEXIST || r == -EBUSY) {
		log_warn("veth %s: index %u is taken here: restored with another index", l->name, l->ifindex);
		r = send_veth(nl, l, peer_name, peer_ns, peer_index, false);
	}
	if (r < 0)
		return log_error_errno(r, "veth %s (peer %s): cannot create it", l->name, peer_name);
	return 0;
}

/* MTU, MAC, then (second pass) up. */
static int set_link(struct mnl_socket *nl, const NetLinkEntry *l, bool up)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned idx = if_nametoindex(l->name);
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int r;

	if (!idx)
		return log_error_errno(-ENODEV, "network device %s is missing after restore", l->name);
	nlh = put_link_header(buf, RTM_NEWLINK, 0, (int)idx);
	ifi = mnl_nlmsg_get_payload(nlh);
	if (up) {
		if (!(l->flags & IFF_UP))
			return 0;
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = IFF_UP;
	} else {
		if (l->has_mtu)
			mnl_attr_put_u32(nlh, IFLA_MTU, l->mtu);
		if (l->has_address && strcmp(l->kind, "loopback"))
			mnl_attr_put(nlh, IFLA_ADDRESS, l->address.len, l->address.data);
	}
	r = nl_request(nl, nlh);
	if (r < 0)
		return log_error_errno(r, "network device %s: cannot set its %s", l->name, up ? "state up" : "MTU and address");
	return 0;
}

static int restore_addr(struct mnl_socket *nl, const NetAddrEntry *a, const struct net_items *x)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	int idx = new_ifindex(x, a->ifindex), r;

	if (idx < 0)
		return log_error_errno(idx, "address on device index %u: no such device in the image", a->ifindex);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = (uint8_t)a->prefixlen;
	ifa->ifa_scope = (uint8_t)a->scope;
	ifa->ifa_index = (uint32_t)idx;
	mnl_attr_put(nlh, IFA_LOCAL, a->local.len, a->local.data);
	if (a->has_peer)
		mnl_attr_put(nlh, IFA_ADDRESS, a->peer.len, a->peer.data);
	else
		mnl_attr_put(nlh, IFA_ADDRESS, a->local.len, a->local.data);
	/* The address was usable at dump: no duplicate detection again. */
	mnl_attr_put_u32(nlh, IFA_FLAGS, (a->flags & (IFA_F_NOPREFIXROUTE | IFA_F_MANAGETEMPADDR | IFA_F_HOMEADDRESS)) |
				       (a->family == AF_INET6 ? IFA_F_NODAD : 0));
	if (a->label)
		mnl_attr_put_strz(nlh, IFA_LABEL, a->label);
	r = nl_request(nl, nlh);
	if (r == -EEXIST)
		return 0;	/* lo's 127.0.0.1 and ::1 come with the device */
	if (r < 0) {
		char txt[INET6_ADDRSTRLEN] = "?";
		inet_ntop((int)a->family, a->local.data, txt, sizeof(txt));
		return log_error_errno(r, "address %s/%u: cannot add it", txt, a->prefixlen);
	}
	return 0;
}

static int restore_route(struct mnl_socket *nl, const NetRouteEntry *rt, const struct net_items *x, bool quiet)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	int r;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)rt->family;
	rtm->rtm_dst_len = (uint8_t)rt->dst_len;
	rtm->rtm_table = rt->table < 256 ? (uint8_t)rt->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = (uint8_t)rt->protocol;
	rtm->rtm_scope = (uint8_t)rt->scope;
	rtm->rtm_type = (uint8_t)rt->type;
	rtm->rtm_flags = rt->has_flags ? (rt->flags & RTNH_F_ONLINK) : 0;
	mnl_attr_put_u32(nlh, RTA_TABLE, rt->table);
	if (rt->has_dst)
		mnl_attr_put(nlh, RTA_DST, rt->dst.len, rt->dst.data);
	if (rt->has_gateway)
		mnl_attr_put(nlh, RTA_GATEWAY, rt->gateway.len, rt->gateway.data);
	if (rt->has_prefsrc)
		mnl_attr_put(nlh, RTA_PREFSRC, rt->prefsrc.len, rt->prefsrc.data);
	if (rt->has_priority)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, rt->priority);
	if (rt->has_oif) {
		int idx = new_ifindex(x, rt->oif);
		if (idx < 0)
			return log_error_errno(idx, "route via device index %u: no such device in the image", rt->oif);
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)idx);
	}
	r = nl_request(nl, nlh);
	if (r == -EEXIST)
		return 0;
	if (r == -ENETUNREACH && quiet)
		return r;
	if (r < 0) {
		char txt[INET6_ADDRSTRLEN] = "default";
		if (rt->has_dst)
			inet_ntop((int)rt->family, rt->dst.data, txt, sizeof(txt));
		return log_error_errno(r, "route %s/%u (table %u): cannot add it", txt, rt->dst_len, rt->table);
	}
	return 0;
}

/* A route through a gateway needs the route to the gateway first: the ones
 * that fail with ENETUNREACH are tried again while others go in. */
static int restore_routes(struct mnl_socket *nl, const struct net_items *x)
{
	_cleanup_free_ bool *done = calloc(x->n + 1, sizeof(bool));
	size_t left = 0;

	if (!done)
		return -ENOMEM;
	for (size_t i = 0; i < x->n; i++)
		left += x->it[i]->route != NULL;
	while (left) {
		size_t before = left;

		for (size_t i = 0; i < x->n; i++) {
			if (!x->it[i]->route || done[i])
				continue;
			int r = restore_route(nl, x->it[i]->route, x, true);
			if (r == -ENETUNREACH)
				continue;
			if (r < 0)
				return r;
			done[i] = true;
			left--;
		}
		if (left == before)
			break;
	}
	for (size_t i = 0; left && i < x->n; i++)
		if (x->it[i]->route && !done[i])
			return restore_route(nl, x->it[i]->route, x, false);	/* logs why */
	return 0;
}

static int restore_rule(struct mnl_socket *nl, const NetRuleEntry *ru)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	int r;

	if (ru->msg.len < sizeof(struct fib_rule_hdr) || ru->msg.len > sizeof(buf) - 64)
		return log_error_errno(-EINVAL, "netns image: a rule of %zu bytes", ru->msg.len);
	nlh->nlmsg_type = RTM_NEWRULE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	memcpy(mnl_nlmsg_put_extra_header(nlh, ru->msg.len), ru->msg.data, ru->msg.len);
	r = nl_request(nl, nlh);
	if (r < 0 && r != -EEXIST)
		return log_error_errno(r, "rule with priority %u: cannot add it", ru->priority);
	return 0;
}

static int restore_nft(const struct net_items *x)
{
	_cleanup_free_ struct net_nft_msg *m = calloc(x->n + 1, sizeof(*m));
	size_t n = 0;

	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < x->n; i++)
		if (x->it[i]->nft) {
			m[n].type = x->it[i]->nft->type;
			m[n].data = x->it[i]->nft->msg.data;
			m[n].len = x->it[i]->nft->msg.len;
			n++;
		}
	return net_nft_restore(m, n);
}

int net_restore(struct img_dir *d, unsigned ns_id, const struct net_restore_opts *o)
{
	_cleanup_mnl_ struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	struct net_items x;
	int r;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return log_error_errno(-errno, "rtnetlink socket");
	r = load_items(d, ns_id, &x);
	for (size_t i = 0; r >= 0 && i < x.n; i++)
		if (x.it[i]->sysctl)
			r = restore_sysctl(x.it[i]->sysctl);
	for (size_t i = 0; r >= 0 && i < x.n; i++)
		if (x.it[i]->link && !strcmp(x.it[i]->link->kind, "veth"))
			r = create_veth(nl, x.it[i]->link, &x, o);
		else if (x.it[i]->link && strcmp(x.it[i]->link->kind, "loopback"))
			r = log_error_errno(-EOPNOTSUPP, "network device %s: kind %s is not supported",
					    x.it[i]->link->name, x.it[i]->link->kind);
	for (int up = 0; up < 2; up++)
		for (size_t i = 0; r >= 0 && i < x.n; i++)
			if (x.it[i]->link)
				r = set_link(nl, x.it[i]->link, up);
	for (size_t i = 0; r >= 0 && i < x.n; i++)
		if (x.it[i]->addr)
			r = restore_addr(nl, x.it[i]->addr, &x);
	if (r >= 0)
		r = restore_routes(nl, &x);
	for (size_t i = 0; r >= 0 && i < x.n; i++)
		if (x.it[i]->rule)
			r = restore_rule(nl, x.it[i]->rule);
	if (r >= 0)
		r = restore_nft(&x);
	free_items(&x);
	return r;
}

int net_attach_bridge(const char *peer, const char *bridge)
{
	_cleanup_mnl_ struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned pidx = if_nametoindex(peer), bidx = if_nametoindex(bridge);
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int r;

	if (!pidx || !bidx)
		return log_error_errno(-ENODEV, "veth peer %s: %s is missing", peer, pidx ? bridge : peer);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return log_error_errno(-errno, "rtnetlink socket");
	nlh = put_link_header(buf, RTM_NEWLINK, 0, (int)pidx);
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_u32(nlh, IFLA_MASTER, bidx);
	r = nl_request(nl, nlh);
	if (r < 0)
		return log_error_errno(r, "veth peer %s: cannot attach it to bridge %s", peer, bridge);
	return 0;
}
