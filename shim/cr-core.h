/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * checkpoint and restore of a container: the runtime's side (cr-core.c runs
 * the core, cr-meta.c keeps what restore needs next to the images,
 * checkpoint.c and restore.c do the verbs' work).
 */
#ifndef CRYO_CR_CORE_H
#define CRYO_CR_CORE_H

#include <stdbool.h>
#include "container.h"
#include "cryo.h"

/* ---- cr-core.c: the C/R core, called through its command line ---- */
struct argv_buf {
	char **v;
	size_t n;
};
int argv_add(struct argv_buf *a, const char *fmt, ...) _printf_(2, 3);
void argv_free(struct argv_buf *a);

struct core_ns {
	int type;		/* CLONE_NEW* */
	const char *path;
};

struct core_run {
	struct argv_buf argv;	/* argv[0] = "dump" or "restore" */
	bool restore;
	const struct core_ns *ns;	/* joined (setns) before the core runs */
	size_t n_ns;
	char **cgroup_paths;	/* the core runs inside these cgroups (restore) */
};
/* Run the core in a child; 0 when it exited 0, else err says "failed". */
int core_run(const struct core_run *c, struct oci_error *err);
/* The last error lines of a core text log, joined with "; " (NULL if none). */
char *core_log_errors(const char *path);

/* ---- cr-meta.c: cryo-checkpoint.json, what restore needs beyond the core's images ---- */
#define CR_META_FILE "cryo-checkpoint.json"
#define CR_CONFIG_FILE "config.json"

struct cr_mount {
	char *mountpoint;	/* inside the container */
	char *host;		/* the path on the host it came from at checkpoint */
	char *cgroup_hier;	/* a cgroup hierarchy's host mountpoint ("/sys/fs/cgroup/memory"), else NULL */
};

struct cr_meta {
	char *id, *bundle, *rootfs;
	pid_t pid;			/* the init's host pid at checkpoint */
	bool terminal;
	char *stdio[3];			/* /proc/PID/fd/0..2 links ("" when closed) */
	char **external;		/* files left out of the image (--external fd[KEY]) */
	struct cr_mount *mounts;	/* external mounts */
	size_t n_mounts;
	int ns_joined;			/* CLONE_NEW* of the namespaces joined by path */
	int ns_own;			/* CLONE_NEW* of the namespaces the container owned */
};
void cr_meta_free(struct cr_meta *m);
/* The core's key for an external mount (no '/'): the mountpoint with '/' as '_'. */
void cr_mount_key(const char *mountpoint, char *buf, size_t len);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cr_meta *, cr_meta_free)
#define _cleanup_meta_ _cleanup_(cr_meta_freep)

/* Gather from the running container (its init is s->pid). */
int cr_meta_collect(const struct oci_state *s, const struct oci_spec *spec, struct cr_meta **ret,
		    struct oci_error *err);
int cr_meta_save(const char *dir, const struct cr_meta *m, struct oci_error *err);
int cr_meta_load(const char *dir, struct cr_meta **ret, struct oci_error *err);

/* ---- checkpoint.c / restore.c ---- */
struct checkpoint_opts {
	const char *image_path, *work_path;
	bool leave_running, shell_job, tcp_established, file_locks, ext_unix_sk;
};
int container_checkpoint(const char *id, const struct checkpoint_opts *o, struct oci_error *err);

struct restore_opts_oci {
	const char *image_path, *work_path, *bundle, *pid_file, *console_socket;
	bool detach, no_subreaper, shell_job, tcp_established, file_locks, ext_unix_sk;
};
/* Restore; *ret_status is the exit status of the init without --detach. */
int container_restore(const char *id, const struct restore_opts_oci *o, int *ret_status, struct oci_error *err);

#endif
