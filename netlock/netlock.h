/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network lock: while a tree is dumped and until its restore completes,
 * traffic of the tree is dropped by a dedicated nftables table, created and
 * removed in one netlink batch each (libmnl + libnftnl; no nft or iptables
 * binary).  docs/netlock.md has the design.
 *
 *     char table[NETLOCK_TABLE_NAME_MAX];
 *     netlock_table_name(table, sizeof(table), "4242");     // "cryo-lock-4242"
 *     r = netlock_lock_netns(netns_fd, table);              // tree in its own netns
 *     r = netlock_lock_conns(conns, n, table);              // tree in the host netns
 *     ...
 *     r = netlock_unlock(netns_fd_or_-1, table);            // a missing table is fine
 *
 * Every function returns 0 or a negative errno and logs the reason once
 * (table name and the netlink error, with the kernel's extended ack message
 * when there is one).
 */
#ifndef CRYO_NETLOCK_H
#define CRYO_NETLOCK_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Packets carrying this mark (SO_MARK) pass every lock: the restore sends
 * them itself (cr/fd-tcp.c gives a half-closed connection its peer's FIN
 * again through a raw socket while the lock still holds).
 */
#define NETLOCK_PASS_MARK 0xC114u

/* --network-lock nftables|skip */
enum netlock_mode {
	NETLOCK_MODE_NFTABLES,
	NETLOCK_MODE_SKIP,
};

/* "nftables" / "skip" to the mode; -EINVAL (logged, naming the value) otherwise. */
int netlock_parse_mode(const char *s, enum netlock_mode *ret);
const char *netlock_mode_name(enum netlock_mode m);

#define NETLOCK_TABLE_PREFIX "cryo-lock-"
/* nftables limits names to 255 bytes (NFT_NAME_MAXLEN - 1). */
#define NETLOCK_TABLE_NAME_MAX 256
/* Base chains of the lock run at this priority: after defragmentation
 * (-400), before conntrack (-200) and every ordinary filter (0). */
#define NETLOCK_CHAIN_PRIORITY (-300)

/* "cryo-lock-<id>" into buf; -ENAMETOOLONG if it does not fit the nftables limit. */
int netlock_table_name(char *buf, size_t size, const char *id);

/*
 * One TCP connection, from this host's point of view (local = the tree's
 * socket).  family is AF_INET or AF_INET6; ports in host byte order.
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, a dual-stack socket talking to
 * an IPv4 peer) are matched as the IPv4 packets they really are.
 */
struct netlock_conn {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} local, remote;
	uint16_t local_port;
	uint16_t remote_port;
};

enum {
	/* If the table exists already (a crashed earlier dump), replace it in
	 * the same batch instead of failing with -EEXIST. */
	NETLOCK_F_REUSE = 1u << 0,
	/* Tests only: end the batch with a message the kernel rejects, to show
	 * that nothing of the batch stays behind. */
	NETLOCK_F_FAULT_LAST = 1u << 1,
};

/*
 * Drop every packet in and out of the network namespace netns_fd (-1: the
 * caller's), loopback included, with table inet <table_name> holding base
 * chains "input" and "output" (policy drop).  -EEXIST if the table exists
 * (another dump of the same tree may be running).
 */
int netlock_lock_netns(int netns_fd, const char *table_name);
int netlock_lock_netns_flags(int netns_fd, const char *table_name, unsigned int flags);

/*
 * In the caller's network namespace, drop the packets of each connection, in
 * both directions, leaving all other traffic alone.  n may be 0 (the table
 * and chains are still made, so unlock has one shape).
 */
int netlock_lock_conns(const struct netlock_conn *conns, size_t n, const char *table_name);
int netlock_lock_conns_flags(const struct netlock_conn *conns, size_t n, const char *table_name,
			     unsigned int flags);

/*
 * Delete the table (in netns_fd, or -1 for the caller's namespace) in one
 * batch.  A table that does not exist is not an error (logged at debug
 * level): unlock after a failed dump must always be safe to call.
 */
int netlock_unlock(int netns_fd, const char *table_name);

/* Read-back with NFT_MSG_GETTABLE: 1 if table inet <name> exists, 0 if not, -errno. */
int netlock_table_exists(int netns_fd, const char *table_name);

/* ---- What dump and restore call (netlock-tree.c) ---- */

/*
 * The network namespace of pid, as a new fd in *ret_fd, if it is not the
 * caller's (lock the namespace); *ret_fd = -1 if pid shares the caller's
 * namespace (lock its TCP connections instead).  0 or negative errno.
 */
int netlock_tree_netns(pid_t pid, int *ret_fd);

/*
 * Lock a tree as --network-lock says: nothing for skip; the whole namespace
 * if netns_fd >= 0; else the n connections in the caller's namespace.
 * flags as for netlock_lock_netns_flags (restore passes NETLOCK_F_REUSE to
 * take over a lock the dump left in place).
 */
int netlock_tree_lock(enum netlock_mode mode, int netns_fd, const struct netlock_conn *conns,
		      size_t n, const char *table_name, unsigned int flags);
/* The matching unlock; nothing for skip, and a missing table is fine. */
int netlock_tree_unlock(enum netlock_mode mode, int netns_fd, const char *table_name);

/*
 * The TCP connections (any state but LISTEN and CLOSE) of the sockets the
 * processes pids[] hold, all in the caller's network namespace: their fds'
 * socket inodes matched in /proc/PID/net/tcp and tcp6 (netlock-conns.c).
 * *ret is malloc'ed (NULL when none), *ret_n may be 0.
 */
int netlock_tree_conns(const pid_t *pids, size_t n_pids, struct netlock_conn **ret, size_t *ret_n);

#endif
