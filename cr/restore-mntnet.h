/* SPDX-License-Identifier: GPL-2.0-or-later */
/* State shared by the restore kinds "mnt" (restore-mnt.c) and "net" (restore-net.c). */
#ifndef CRYO_RESTORE_MNTNET_H
#define CRYO_RESTORE_MNTNET_H

#include <stdbool.h>
#include "restore.h"
#include "netlock/netlock.h"

/* The tree's one mount and one network namespace have id 1 in image names. */
#define RST_TREE_NS_ID 1u

struct mnt_tree;

struct rst_mntnet {
	struct mnt_tree *mnt;		/* mounts-1.img; NULL: the tree keeps cryo-cr's mount namespace */
	char *workdir;			/* empty directory the root stages the new mount tree on */
	bool own_netns;			/* netns-1.img: the root gets a new network namespace */
	int outer_netns_fd;		/* cryo-cr's namespace: where outside veth ends go by default */
	enum netlock_mode lock_mode;
	char table[NETLOCK_TABLE_NAME_MAX];
	bool locked;
	int lock_netns_fd;		/* the restored namespace (locked whole); -1: connections in ours */
	struct netlock_conn *conns;	/* the connection lock's connections (to lock again) */
	size_t n_conns;
	bool unlocked;			/* the lock was removed before the tasks were let go */
};

/* rc->mntnet, made on first use. */
struct rst_mntnet *rst_mntnet(struct restore_ctx *rc);

/* Step `step` (of the root) before every other task is forked and before
 * every task's "fds" and "mm" steps: files, sockets and mapped files are
 * opened in the restored namespaces. */
int rst_need_before_tasks_files(struct restore_ctx *rc, unsigned step);

#endif
