/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network namespace kind and the network lock at restore.
 *
 * With netns-1.img the root task is created in a new network namespace
 * (CLONE_NEWNET in rc->root_clone_flags).  cryo-cr locks that namespace
 * (step "netlock", docs/netlock.md) before the root's step "net" replays
 * devices, addresses, routes, rules, sysctls and nftables tables into it
 * (cr/net.h); outside veth ends joining a bridge of ours are attached by
 * cryo-cr once they exist (step "veth-bridge").  Other tasks are forked, and
 * every task's files are opened, after "net".
 *
 * A tree that kept the dumper's namespace gets its TCP connections (from
 * files.img) locked before any task exists, taking over the table the dump
 * left (NETLOCK_F_REUSE).  Either lock is removed right before the tasks
 * are let go (every thread held by ptrace past its sigreturn); after a
 * failed restore the lock stays (taken again if it was removed) and the
 * tree's TCP sockets close silently, so a retry still finds the peers
 * waiting.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "restore-mntnet.h"
#include "proto/fd.pb-c.h"

static int conn_from_inet(const InetFile *in, struct netlock_conn *c)
{
	memset(c, 0, sizeof(*c));
	if (!in->has_local_addr || !in->has_peer_addr)
		return 0;
	if (in->family == AF_INET && in->local_addr.len >= sizeof(struct sockaddr_in) &&
	    in->peer_addr.len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *l = (const void *)in->local_addr.data, *p = (const void *)in->peer_addr.data;
		c->family = AF_INET;
		c->local.v4 = l->sin_addr;
		c->remote.v4 = p->sin_addr;
		c->local_port = ntohs(l->sin_port);
		c->remote_port = ntohs(p->sin_port);
		return 1;
	}
	if (in->family == AF_INET6 && in->local_addr.len >= sizeof(struct sockaddr_in6) &&
	    in->peer_addr.len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *l = (const void *)in->local_addr.data, *p = (const void *)in->peer_addr.data;
		c->family = AF_INET6;
		c->local.v6 = l->sin6_addr;
		c->remote.v6 = p->sin6_addr;
		c->local_port = ntohs(l->sin6_port);
		c->remote_port = ntohs(p->sin6_port);
		return 1;
	}
	return 0;
}

/* The established TCP connections files.img holds (what TCP repair restores). */
static int image_conns(struct restore_ctx *rc, struct netlock_conn **ret, size_t *ret_n)
{
	_cleanup_(img_closep) struct img *img = NULL;
	struct netlock_conn *v = NULL;
	ProtobufCMessage *msg;
	size_t n = 0;
	int r = img_open(rc->dir, IMG_FILES, false, &img);

	if (r == -ENOENT)
		goto done;
	if (r < 0)
		return r;
	while ((r = img_read(img, &msg)) > 0) {
		const FileEntry *e = (const FileEntry *)msg;
		struct netlock_conn c;

		if (e->inet && e->inet->tcp && conn_from_inet(e->inet, &c) > 0) {
			struct netlock_conn *nv = reallocarray(v, n + 1, sizeof(*v));
			if (!nv) {
				img_free_msg(msg);
				free(v);
				return -ENOMEM;
			}
			v = nv;
			v[n++] = c;
		}
		img_free_msg(msg);
	}
	if (r < 0) {
		free(v);
		return r;
	}
done:
	*ret = v;
	*ret_n = n;
	return 0;
}

static int lock_host_conns(struct restore_ctx *rc, struct rst_mntnet *m)
{
	int r = image_conns(rc, &m->conns, &m->n_conns);

	if (r < 0)
		return log_error_errno(r, "network lock: cannot read the connections of %s", rc->opts.dir);
	if (m->n_conns == 0)
		return 0;	/* the dump took no lock either */
	r = netlock_tree_lock(m->lock_mode, -1, m->conns, m->n_conns, m->table, NETLOCK_F_REUSE);
	if (r < 0)
		return r;
	m->locked = true;
	return 0;
}

int netns_restore_prepare(struct restore_ctx *rc)
{
	struct rst_mntnet *m = rst_mntnet(rc);
	char id[16];
	int r;

	if (!m)
		return -ENOMEM;
	m->lock_mode = (enum netlock_mode)rc->opts.network_lock;
	snprintf(id, sizeof(id), "%d", rc->root->pid);
	r = netlock_table_name(m->table, sizeof(m->table), id);
	if (r < 0)
		return log_error_errno(r, "network lock: no table name for %s", id);
	r = img_exists(rc->dir, IMG_NETNS, RST_TREE_NS_ID);
	if (r == -ENOENT) {
		if (rc->opts.n_veth_ext) {
			log_error("--external veth[%s] given, but the tree of %s kept the dumper's network namespace",
				  rc->opts.veth_ext[0].key, rc->opts.dir);
			return -EINVAL;
		}
		if (m->lock_mode == NETLOCK_MODE_SKIP)
			return 0;
		return lock_host_conns(rc, m);
	}
	m->own_netns = true;
	m->outer_netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (m->outer_netns_fd < 0)
		return log_error_errno(negative_errno(), "cannot open our network namespace");
	rc->root_clone_flags |= CLONE_NEWNET;
	return 0;
}

/* In cryo-cr, right after the root exists: its new namespace drops everything. */
static int step_netlock(void *ctx, void *data)
{
	struct restore_ctx *rc = ctx;
	struct rst_mntnet *m = data;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)rst_host_pid(rc, rc->root));
	m->lock_netns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->lock_netns_fd < 0)
		return log_error_errno(negative_errno(), "network lock: cannot open %s", path);
	int r = netlock_tree_lock(m->lock_mode, m->lock_netns_fd, NULL, 0, m->table, NETLOCK_F_REUSE);
	if (r < 0)
		return r;
	m->locked = true;
	return 0;
}

/* In the root, in its new namespace. */
static int step_net(void *ctx, void *data)
{
	struct restore_ctx *rc = ctx;
	struct rst_mntnet *m = data;
	struct net_restore_opts o = {
		.ext = rc->opts.veth_ext,
		.n_ext = rc->opts.n_veth_ext,
		.outer_netns_fd = m->outer_netns_fd,
	};
	int r = net_restore(rc->dir, RST_TREE_NS_ID, &o);

	if (r < 0)
		return log_error_errno(r, "task %d: cannot rebuild its network namespace", rc->root->pid);
	return 0;
}

/* In cryo-cr: outside veth ends that join one of our bridges (CRIU's @BRIDGE). */
static int step_veth_bridge(void *ctx, void *data)
{
	struct restore_ctx *rc = ctx;
	(void)data;
	for (size_t i = 0; i < rc->opts.n_veth_ext; i++) {
		const struct net_external *e = &rc->opts.veth_ext[i];
		int r;

		if (!e->bridge)
			continue;
		r = net_attach_bridge(e->peer_name, e->bridge);
		if (r < 0)
			return r;
	}
	return 0;
}

int netns_restore_add_steps(struct restore_ctx *rc)
{
	struct rst_mntnet *m = rc->mntnet;
	unsigned net, lock, bridge;
	int r;

	if (!m || !m->own_netns)
		return 0;
	r = restore_step_add(rc, rc->root, "net", step_net, m, &net);
	if (r >= 0)
		r = plan_need_kind_optional(rc->plan, net, "ns", rc->root->owner);
	if (r >= 0 && m->lock_mode != NETLOCK_MODE_SKIP) {
		r = restore_step_add(rc, NULL, "netlock", step_netlock, m, &lock);
		if (r >= 0)
			r = plan_need(rc->plan, lock, rc->root->fork_step);
		if (r >= 0)
			r = plan_need(rc->plan, net, lock);
	}
	if (r >= 0) {
		r = restore_step_add(rc, NULL, "veth-bridge", step_veth_bridge, m, &bridge);
		if (r >= 0)
			r = plan_need(rc->plan, bridge, net);
	}
	if (r >= 0)
		r = rst_need_before_tasks_files(rc, net);
	return r;
}

/* Every thread is past its sigreturn and held by ptrace: nothing of the tree
 * runs until it is detached, so nothing it sends can meet the lock, and its
 * first packets are not dropped (they would be retransmitted only after a
 * timeout).  If the restore fails from here on, netns_restore_relock() puts
 * the lock back before the tree is killed. */
int netns_restore_unlock(struct restore_ctx *rc)
{
	struct rst_mntnet *m = rc->mntnet;

	if (!m || !m->locked)
		return 0;
	int r = netlock_tree_unlock(m->lock_mode, m->lock_netns_fd, m->table);
	if (r < 0) {
		log_error("the network lock stays: remove it with 'cryo-netlock unlock --table %s'", m->table);
		return r;
	}
	log_info("network lock: table %s removed before the tasks resume", m->table);
	m->locked = false;
	m->unlocked = true;
	return 0;
}

/* One task's TCP sockets go into repair mode: closed by the kill, they send
 * nothing and free their address at once (a FIN held by the lock would keep
 * the connection's address taken, and a retried restore could not bind it). */
static void quiet_task_tcp(pid_t pid)
{
	char path[64], link[64];
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if (pidfd < 0 || !(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		int on = TCP_REPAIR_ON, proto = 0;
		socklen_t len = sizeof(proto);
		char *end;
		long n = strtol(de->d_name, &end, 10);
		ssize_t l;

		if (*end || end == de->d_name)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%ld", (int)pid, n);
		l = readlink(path, link, sizeof(link) - 1);
		if (l < 0 || strncmp(link, "socket:", 7))
			continue;
		_cleanup_close_ int fd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)n, 0);
		if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0 || proto != IPPROTO_TCP)
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) < 0)
			log_warn("task %d fd %ld: TCP_REPAIR before the kill: %m (its peer may see it close)", (int)pid, n);
	}
}

/* The tree is about to be killed: its sockets will close, and the peers must
 * not see that (a FIN or RST would end connections a retried restore still
 * needs): the TCP sockets go quiet, and a lock removed already is taken
 * again (same table, same shape). */
void netns_restore_relock(struct restore_ctx *rc)
{
	struct rst_mntnet *m = rc->mntnet;

	if (!m || !(m->locked || m->unlocked))
		return;
	for (size_t i = 0; rc->created && i < rc->n_tasks; i++)
		if (!rc->tasks[i].zombie && __atomic_load_n(&rc->created[i], __ATOMIC_SEQ_CST))
			quiet_task_tcp(rst_host_pid(rc, &rc->tasks[i]));
	if (!m->unlocked)
		return;
	if (netlock_tree_lock(m->lock_mode, m->lock_netns_fd, m->conns, m->n_conns, m->table, NETLOCK_F_REUSE) < 0) {
		log_error("network lock: cannot take table %s again after the failed restore: the peers may see the tree's sockets close",
			  m->table);
		return;
	}
	log_info("network lock: table %s taken again: the restore failed after it was removed", m->table);
	m->unlocked = false;
	m->locked = true;
}
