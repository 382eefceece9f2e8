/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Namespaces other than mount, network and cgroup: user (one level), pid
 * (nested), uts, ipc, time.  See docs/namespaces.md.
 *
 * Dump: ns_collect_ids() tells which namespaces a task is in and which of them
 * are the dumper's own (nothing to do); ns_dump_tree() writes ns-ids.img and
 * one image per namespace that must be created (named by its inode number).
 * State is collected from outside: /proc/PID/... files, or a short-lived
 * thread that setns()es into the namespace.  The dumped tasks are not touched.
 *
 * Restore, in this order (the user namespace first: it owns the others):
 *   1. ns_restore_open()            read what the root task needs
 *   2. ns_restore_clone_flags()     the restorer clones its helper with these
 *                                   (CLONE_NEWUSER or 0); the helper waits
 *   3. ns_restore_user_maps()       in the parent: uid_map, gid_map, setgroups
 *   4. ns_restore_enter()           in the helper: unshare uts/ipc/time/pid,
 *                                   fill them (hostname, IPC objects, clock
 *                                   offsets), become root of the user ns
 *   5. the helper forks the tree root with clone3(): it lands in the new pid
 *      and time namespaces; ns_restore_pid_plan() gives every task its
 *      set_tid array (from ns-ids.img, through ns_pid_plan()).
 *   6. ns_restore_close()
 */
#ifndef CRYO_NS_H
#define CRYO_NS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <protobuf-c/protobuf-c.h>
#include "image.h"

/* The kinds handled here, in the order they are created at restore. */
enum ns_kind_id {
	NS_USER,
	NS_PID,
	NS_UTS,
	NS_IPC,
	NS_TIME,
	NS_KIND_MAX
};

#define NS_PID_LEVELS_MAX	32	/* the kernel's MAX_PID_NS_LEVEL */

struct ns_ids {
	pid_t pid;
	uint32_t ino[NS_KIND_MAX];	/* inode of /proc/PID/ns/KIND */
	bool own[NS_KIND_MAX];		/* the dumper's own namespace: nothing to do */
	unsigned nspid_len;		/* NSpid of /proc/PID/status, dumper's level first */
	pid_t nspid[NS_PID_LEVELS_MAX];
};

/*
 * One namespace kind: each has its own file (ns-uts.c, ipc.c, ns-time.c, ...).
 * The state of one namespace is one message of the kind's image (its file
 * named by the namespace's inode number); ns.c reads and writes the images.
 */
struct ns_kind {
	enum ns_kind_id id;
	const char *name;		/* as in /proc/PID/ns/ ("uts") */
	int clone_flag;			/* CLONE_NEWUTS */
	enum img_kind img;		/* its image kind; IMG_KIND_MAX: none (pid) */
	/* Collect the state of the namespace pid is in, from outside; *ret is
	 * malloc'ed all through (protobuf_c_message_free_unpacked frees it). */
	int (*collect)(pid_t pid, uint32_t ino, ProtobufCMessage **ret);
	/* Restore, in the parent of the namespace's creator (user: the maps). */
	int (*restore_create)(const ProtobufCMessage *state, uint32_t ino, pid_t creator);
	/* Restore, inside the fresh namespace, before any task of the tree enters. */
	int (*restore_fill)(const ProtobufCMessage *state, uint32_t ino);
};

/* Collect one namespace and write its image (collect, then img_write). */
int ns_dump_one(const struct ns_kind *k, pid_t pid, uint32_t ino, struct img_dir *d);

const struct ns_kind *ns_kind(enum ns_kind_id id);
const char *ns_kind_name(enum ns_kind_id id);

/* Which namespaces pid is in, compared with the dumper's (the caller's). */
int ns_collect_ids(pid_t pid, struct ns_ids *ret);

/*
 * Dump the namespaces of a tree (pids[0] is the root; parents before
 * children).  Every task must be in the root's user, uts, ipc and time
 * namespace; pid namespaces may nest (see ns_pid_plan).  Anything else is
 * refused with an error naming the kind and the task.
 */
int ns_dump_tree(struct img_dir *d, const pid_t *pids, const pid_t *ppids, unsigned n);

/* The same, with zombies (zombie[i]: pids[i] is one; NULL: none): a zombie
 * has left its namespaces, so it is recorded in its parent's, with its own
 * pids.  Also records the cgroup namespace (cgroupns-INO.img) and, for
 * tasks below the dumper's pid namespace, the pids of their threads. */
int ns_dump_tree_ex(struct img_dir *d, const pid_t *pids, const pid_t *ppids, const bool *zombie, unsigned n);

/* The NSpid chain (len levels, the dumper's first) of every thread of pid, one
 * after the other in /proc/PID/task order; *ret malloc'ed, *ret_n entries. */
int ns_read_thread_nspids(pid_t pid, unsigned len, uint32_t **ret, size_t *ret_n);

/* ---- cgroup namespace (ns-cgroup.c) -------------------------------------- */

struct CgroupNsEntry;
/* Every live task must be in the root's cgroup namespace; *ret_ino is its
 * inode, or 0 when it is the dumper's own. */
int ns_cgroup_check(const pid_t *pids, const bool *zombie, unsigned n, uint32_t *ret_ino);
/* Write cgroupns-INO.img: the root of the namespace in each hierarchy (the
 * cgroups pid sees as "/" from inside it). */
int ns_cgroup_dump(pid_t pid, uint32_t ino, struct img_dir *d);
int ns_cgroup_load(struct img_dir *d, uint32_t ino, struct CgroupNsEntry **ret);

/* Run fn(arg) in a short-lived thread that has setns()ed into the namespace
 * of kind nstype (CLONE_NEWUTS, CLONE_NEWIPC) that pid is in. */
int ns_run_in(pid_t pid, int nstype, int (*fn)(void *arg), void *arg);

/* ---- restore ------------------------------------------------------------ */

struct ns_restore {
	uint32_t ino[NS_KIND_MAX];	/* 0: keep the restorer's namespace */
	ProtobufCMessage *state[NS_KIND_MAX];	/* the image of each, read by ns_restore_open */
	uint32_t cgroup_ino;		/* cgroup namespace; 0: keep the restorer's */
	struct CgroupNsEntry *cgroup;	/* its roots (cgroupns-INO.img) */
};

/* Read ns-ids.img (the namespaces the root task root_pid must be created in)
 * and the image of each: nothing is read from the image directory later, so
 * entering the new user namespace cannot cut the restorer off from it. */
int ns_restore_open(struct img_dir *d, pid_t root_pid, struct ns_restore *ret);
void ns_restore_close(struct ns_restore *r);
/* Flags for the restorer's clone of its helper: CLONE_NEWUSER or 0. */
int ns_restore_clone_flags(const struct ns_restore *r);
/* In the parent, once the helper exists: write its uid/gid maps and setgroups. */
int ns_restore_user_maps(const struct ns_restore *r, pid_t helper);
/* In the helper, after the maps: unshare the other kinds and fill them.  The
 * helper's next child is the first task of the new pid and time namespaces. */
int ns_restore_enter(const struct ns_restore *r);

/* Per kind, for the table (ns-uts.c, ipc.c, ns-time.c, ns-user.c). */
extern const struct ns_kind ns_kind_user, ns_kind_pid, ns_kind_uts, ns_kind_ipc, ns_kind_time;

/* A uid (gid) of the dumper's user namespace as the user namespace of pid
 * sees it (through /proc/PID/uid_map); -ERANGE if it is not mapped there. */
int ns_user_id_to_ns(pid_t pid, bool gid, uint32_t outer, uint32_t *ret);

/* ---- IPC: what the memory code needs ------------------------------------ */

/* After ns_restore_enter(): the restored segment for a dumped shmid (same id:
 * the ids are restored; -ENOENT if the image had no such segment). */
int ipc_shm_restored_id(int dumped_shmid, int *ret_shmid);

/* ---- pid namespaces -------------------------------------------------------- */

/* One task for ns_pid_plan(): in, pid/ppid/nspid; out, how to clone it. */
struct ns_pid_task {
	pid_t pid, ppid;		/* in the dumper's namespace; ppid 0: the root */
	unsigned nspid_len;		/* NSpid: the dumper's level first */
	pid_t nspid[NS_PID_LEVELS_MAX];
	/* Computed: */
	bool new_pidns;			/* clone3 with CLONE_NEWPID: init of a pid ns */
	unsigned set_tid_size;		/* clone3 set_tid, innermost level first */
	pid_t set_tid[NS_PID_LEVELS_MAX];
	unsigned pidns;			/* index of its pid namespace in the plan */
};

struct ns_pid_ns {
	unsigned level;			/* 0: the dumper's own */
	int parent;			/* index of the parent pid ns, -1 for the outermost */
	pid_t init;			/* pid of its init task (0: the dumper's ns) */
};

/*
 * Given the tasks (parents before children), compute each task's set_tid array
 * and CLONE_NEWPID, and the pid namespaces in creation order (parents first;
 * each one is created by the clone of its init task).  The dumper's own level
 * is not restored: when the root is the init of its own pid namespace the
 * arrays start one level below.  Refused (-EOPNOTSUPP, logged, naming the
 * task): a task that entered a pid namespace by setns (deeper than its parent
 * without being its init), a tree whose root is in a pid namespace it is not
 * the init of, inconsistent chains.  ret_ns has room for n + 1 entries.
 */
int ns_pid_plan(struct ns_pid_task *tasks, unsigned n, struct ns_pid_ns *ret_ns, unsigned *ret_nr_ns);

/* Read the chains of every task from ns-ids.img and plan them (ns_pid_plan):
 * *ret_tasks (malloc'ed, in dump order) and ret_ns (malloc'ed, *ret_nr_ns). */
int ns_restore_pid_plan(struct img_dir *d, struct ns_pid_task **ret_tasks, unsigned *ret_n,
			struct ns_pid_ns **ret_ns, unsigned *ret_nr_ns);

/* Parse the NSpid line of /proc/PID/status (pid 0: /proc/self, right from inside
 * a pid namespace too). */
int ns_read_nspid(pid_t pid, pid_t *ret_nspid, unsigned *ret_len);

#endif
