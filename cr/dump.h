/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The dump of a seized tree: shared context of the dump-*.c modules. */
#ifndef CRYO_DUMP_H
#define CRYO_DUMP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "image.h"
#include "seize.h"
#include "parasite/parasite-args.h"

struct mnt_external;
struct dump_mntnet;

struct dump_opts {
	pid_t pid;
	const char *dir;
	const char *freeze_cgroup;
	bool shell_job;
	enum release_mode release;	/* after a successful dump */
	/* --external fd[KEY]: files outside the dump, saved as inherited (fd-inherit.c) */
	const char *const *external_fds;
	size_t nr_external_fds;
	/* dump-mntnet.c: --external mnt[...] mappings, --network-lock (enum netlock_mode) */
	const struct mnt_external *mnt_ext;
	size_t n_mnt_ext;
	int network_lock;
	uint64_t ghost_limit;		/* --ghost-limit (0: the default) */
	bool file_locks;		/* --file-locks */
	bool tcp_established;		/* established TCP connections are dumped (else refused) */
	bool ext_unix_sk;		/* unix dgram sockets connected outside the tree are dumped */
};

struct dump_stats {
	uint64_t frozen_usec;		/* from seize to release */
	uint64_t pages_scanned;		/* pagemap entries looked at */
	uint64_t pages_written;		/* pages stored in page files */
	uint64_t pages_zero;		/* pages recorded as PE_ZERO */
	uint64_t bytes_written;		/* page data bytes */
	uint64_t scanned_by_ioctl;	/* VMAs scanned with PAGEMAP_SCAN */
	uint64_t read_usec;		/* reading task memory (dumping thread) */
	uint64_t store_usec;		/* zero checks and page file writes (store thread) */
};

/* A shared memory object (shmem, shared anonymous, memfd) seen in the tree. */
struct shmem_obj {
	uint64_t dev, ino;
	uint32_t id;
	bool dumped;
};

struct dump_ctx {
	const struct dump_opts *opts;
	struct img_dir *dir;
	struct pstree *tree;
	struct dump_stats stats;
	uint64_t frozen_since;		/* CLOCK_MONOTONIC usec when the tree was seized */
	struct shmem_obj *shmem;
	size_t nr_shmem;
	struct copy_pipe *copy;		/* memory copy pipeline (mem-copy.h) */
	struct fd_ctx *fds;		/* open files of the tree (fds.h) */
	struct dump_mntnet *mntnet;	/* dump-mntnet.c: namespaces dumped, the network lock */
	/* Kinds added to the inventory's "dumped" list by the modules (dump_add_dumped). */
	const char *dumped_extra[16];
	size_t n_dumped_extra;
	struct file_id_cache *file_ids;	/* identities of mapped files (file-identity.h) */
	struct parasite_ctl *parasite;	/* of the process being dumped, while its daemon runs */
};

#define SHMEM_PAGES_ID_BASE 0x40000000u

/* What the task told the parasite. */
struct task_remote {
	struct parasite_task_state task;
	struct parasite_thread_state *threads;	/* in the order of seized_task.threads */
	size_t nr_threads;
};

/* dump-core.c: one process, with its parasite in: in-task state, memory
 * (dump_task_mm), open files (fds_collect_task_from), then core-TID.img for
 * every thread and taskstate-PID.img once it is cured. */
int dump_task(struct dump_ctx *c, struct seized_task *k);
/* mem-dump.c: mm-PID.img and the pages of one process. */
int dump_task_mm(struct dump_ctx *c, struct seized_task *k);
/* dump-mntnet.c: the tree's mount and network namespaces (mounts-1.img,
 * tmpfs-*.img, netns-1.img) and the network lock (docs/mounts-net-cgroups.md,
 * docs/netlock.md).  Lock right after the seize; dump while frozen; release
 * once the tree is released (unlocks unless the dump succeeded and killed it). */
int dump_netlock(struct dump_ctx *c);
int dump_mntnet(struct dump_ctx *c);
void dump_netlock_release(struct dump_ctx *c, bool dump_ok);
/* dump.c */
int cr_dump(const struct dump_opts *o);
/* dump-ns.c: namespaces and cgroups of the seized tree (ns-ids.img, *ns-INO.img, cgroup.img). */
int dump_namespaces(struct dump_ctx *c);
/* Before the seize: a root in a frozen cgroup v2 is refused (dump-ns.c). */
int dump_refuse_frozen_v2(pid_t pid);
/* Name a kind in the inventory's "dumped" list (a string that outlives the dump). */
int dump_add_dumped(struct dump_ctx *c, const char *kind);

#endif
