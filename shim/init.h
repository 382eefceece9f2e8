/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container's init before exec: namespaces, rootfs, the wait for start. */
#ifndef CRYO_INIT_H
#define CRYO_INIT_H

#include "container.h"

struct init_args {
	const struct oci_spec *spec;
	const struct create_opts *opts;
	const char *rootfs;
	const char *fifo;
	int fifo_fd;            /* opened by stage 1, before a user namespace takes root's rights */
	int sync_fd;
	int console_fd;
	char **cgroup_paths;
};

/* Runs in the forked child; never returns. */
_noreturn_ void init_stage1(struct init_args *a);

/* Join the namespaces with a path; user first (the others need its caps). */
int join_namespace_path(int flag, const char *path, struct oci_error *err);

#endif
