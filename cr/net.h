/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Network namespaces: devices (loopback, veth), addresses, routes, rules and a
 * few sysctls, read over rtnetlink from inside the namespace (a thread that
 * enters it opens the sockets and files) and written as netns-ID.img; restore
 * replays them into the caller's (fresh) network namespace.
 * See docs/mounts-net-cgroups.md.
 */
#ifndef CRYO_NET_H
#define CRYO_NET_H

#include <sys/types.h>
#include "image.h"

/* A veth whose peer lives outside the dumped namespace is external: its key is
 * the device's name inside.  At restore the user says where the new peer goes:
 * its name and the namespace (an fd of a network namespace; -1: the namespace
 * opts.outer_netns_fd).  bridge (optional): an outside bridge the new peer
 * joins (CRIU's veth[IFNAME]:OUTER@BRIDGE). */
struct net_external {
	const char *key;
	const char *peer_name;
	int netns_fd;
	const char *bridge;	/* NULL: none */
};

struct net_restore_opts {
	const struct net_external *ext;
	size_t n_ext;
	int outer_netns_fd;	/* the namespace for peers with netns_fd -1 */
};

/* --external veth[KEY]:PEER[@BRIDGE|@NETNS], split in place: a name of a
 * device in the caller's namespace is a bridge (ret->bridge); else a path or
 * an 'ip netns' name, opened here (ret->netns_fd, the caller closes it; -1
 * when absent).  1 parsed, 0 not a veth external, < 0 malformed (logged). */
int net_parse_external(char *arg, struct net_external *ret);

/* Write netns-NSID.img for pid's network namespace.  A device kind cryo cannot
 * recreate is refused (-EOPNOTSUPP, logged naming the device and the task). */
int net_dump(pid_t pid, struct img_dir *d, unsigned ns_id);
/* Replay netns-NSID.img into the caller's network namespace, which must be a
 * fresh one (only lo, and the kernel's fallback tunnel devices). */
int net_restore(struct img_dir *d, unsigned ns_id, const struct net_restore_opts *o);

/* In the caller's namespace: make device peer a port of bridge and set it up. */
int net_attach_bridge(const char *peer, const char *bridge);

/* The sysctls below /proc/sys/net/ that are saved and restored. */
extern const char *const net_sysctls[];

#endif
