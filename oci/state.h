/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state of one container as cryo persists it (ROOT/ID/state.json) and the
 * runtime-spec state document derived from it ("cryo state", hook stdin).
 */
#ifndef CRYO_OCI_STATE_H
#define CRYO_OCI_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"

enum oci_status {
	OCI_STATUS_CREATING,
	OCI_STATUS_CREATED,
	OCI_STATUS_RUNNING,
	OCI_STATUS_PAUSED,
	OCI_STATUS_STOPPED,
};

struct oci_state {
	char *id;
	pid_t pid;
	uint64_t pid_start;   /* starttime of /proc/PID/stat, guards against pid reuse */
	char *bundle;
	char *rootfs;
	char *created;        /* RFC 3339 */
	char *owner;
	char **annotation_keys, **annotation_values;
	char **cgroup_paths;  /* "controller=/abs/dir" (v1) or "unified=/abs/dir" (v2) */
	int namespaces;       /* CLONE_NEW* flags the container owns */
};

const char *oci_status_name(enum oci_status s);

/* The runtime-spec state JSON (one line, no newline). */
char *oci_state_json(const struct oci_state *s, enum oci_status status);
/* Persist atomically (temp file + rename) / read back. */
int oci_state_save(const char *path, const struct oci_state *s, struct oci_error *err);
int oci_state_load(const char *path, struct oci_state **ret, struct oci_error *err);
void oci_state_free(struct oci_state *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct oci_state *, oci_state_free)
#define _cleanup_state_ _cleanup_(oci_state_freep)

/* Current time as RFC 3339 with nanoseconds, UTC. */
char *oci_now_rfc3339(void);

#endif
