/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The resource kinds of restore, in the order their steps are added (the plan
 * engine orders the steps themselves by their needs).  A new kind is one file
 * with an add_steps() function and one line here.
 */
#include "restore.h"

const struct restore_kind restore_kinds[] = {
	{ "pstree", pstree_restore_add_steps, NULL },
	{ "ns", ns_restore_add_steps, ns_restore_prepare },	/* after pstree: its steps need the forks */
	{ "cgroup", cgroup_restore_add_steps, cgroup_restore_prepare },	/* after ns: the root's "ns" needs its attach */
	{ "mm", mem_restore_add_steps, mem_restore_prepare },
	{ "shmem", NULL, shmem_restore_prepare },	/* needs the mm images read */
	{ "fds", fds_restore_add_steps, fds_restore_prepare },	/* after mm: its steps need "mm" to exist */
	{ "taskstate", ts_restore_add_steps, ts_restore_prepare },
	{ "net", netns_restore_add_steps, netns_restore_prepare },	/* last: needs every task's fds/mm step */
	{ "mnt", mntns_restore_add_steps, mntns_restore_prepare },	/* last: needs every task's fds/mm step */
};
const size_t restore_kinds_count = sizeof(restore_kinds) / sizeof(restore_kinds[0]);
