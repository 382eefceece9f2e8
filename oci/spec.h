/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The OCI runtime-spec (config.json) as C structs.  Every supported field is
 * parsed by oci_spec_load(); unknown fields are ignored, wrong types are
 * rejected with the JSON path named.  String arrays are NULL-terminated.
 * "has_X" flags mark optional scalars that were present.
 */
#ifndef CRYO_OCI_SPEC_H
#define CRYO_OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"

struct oci_user {
	uint32_t uid, gid;
	bool has_umask;
	uint32_t umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	char *username;
};

struct oci_rlimit {
	char *type;
	uint64_t soft, hard;
};

struct oci_capabilities {
	char **bounding, **effective, **inheritable, **permitted, **ambient;
};

struct oci_process {
	bool terminal;
	bool has_console_size;
	uint32_t console_height, console_width;
	struct oci_user user;
	char **args;
	char **env;
	char *cwd;
	struct oci_capabilities *capabilities;
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	char *apparmor_profile;
	char *selinux_label;
	bool has_oom_score_adj;
	int oom_score_adj;
};

struct oci_mount {
	char *destination, *source, *type;
	char **options;
};

struct oci_hook {
	char *path;
	char **args;
	char **env;
	int timeout; /* seconds, 0 = none */
};

enum oci_hook_kind {
	OCI_HOOK_PRESTART,
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK__MAX,
};

struct oci_hook_list {
	struct oci_hook *hooks;
	size_t n;
};

struct oci_namespace {
	int type; /* CLONE_NEW* flag */
	char *path;
};

struct oci_id_mapping {
	uint32_t container_id, host_id, size;
};

struct oci_device {
	char *path;
	char type; /* c, b, u, p */
	int64_t major, minor;
	bool has_mode, has_uid, has_gid;
	uint32_t mode, uid, gid;
};

struct oci_device_rule {
	bool allow;
	char *type;   /* a, c, b; NULL = a */
	int64_t major, minor; /* -1 = wildcard */
	char *access; /* rwm */
};

struct oci_throttle_device {
	int64_t major, minor;
	uint64_t rate;
};

struct oci_weight_device {
	int64_t major, minor;
	bool has_weight, has_leaf_weight;
	uint16_t weight, leaf_weight;
};

struct oci_hugepage_limit {
	char *page_size;
	uint64_t limit;
};

struct oci_resources {
	struct oci_device_rule *devices;
	size_t n_devices;
	struct {
		bool has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp, has_swappiness;
		int64_t limit, reservation, swap, kernel, kernel_tcp;
		uint64_t swappiness;
		bool disable_oom_killer;
	} memory;
	struct {
		bool has_shares, has_quota, has_period, has_rt_runtime, has_rt_period;
		uint64_t shares, period, rt_period;
		int64_t quota, rt_runtime;
		char *cpus, *mems;
	} cpu;
	struct {
		bool has_limit;
		int64_t limit;
	} pids;
	struct {
		bool has_weight, has_leaf_weight;
		uint16_t weight, leaf_weight;
		struct oci_weight_device *weight_device;
		size_t n_weight_device;
		struct oci_throttle_device *throttle[4]; /* read bps, write bps, read iops, write iops */
		size_t n_throttle[4];
	} block_io;
	struct oci_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;
	char **unified_keys, **unified_values;
};

struct oci_seccomp_arg {
	uint32_t index;
	uint64_t value, value_two;
	char *op;
};

struct oci_syscall {
	char **names;
	char *action;
	bool has_errno_ret;
	uint32_t errno_ret;
	struct oci_seccomp_arg *args;
	size_t n_args;
};

struct oci_seccomp {
	char *default_action;
	bool has_default_errno_ret;
	uint32_t default_errno_ret;
	char **architectures;
	char **flags;
	char *listener_path;
	struct oci_syscall *syscalls;
	size_t n_syscalls;
};

struct oci_time_offset {
	bool set;
	int64_t secs;
	uint32_t nanosecs;
};

struct oci_linux {
	struct oci_namespace *namespaces;
	size_t n_namespaces;
	struct oci_id_mapping *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct oci_device *devices;
	size_t n_devices;
	char *cgroups_path;
	struct oci_resources *resources;
	char *rootfs_propagation;
	struct oci_seccomp *seccomp;
	char **sysctl_keys, **sysctl_values;
	char **masked_paths, **readonly_paths;
	char *mount_label;
	struct oci_time_offset monotonic, boottime;
};

struct oci_spec {
	char *oci_version;
	struct oci_process *process;
	char *root_path;
	bool root_readonly;
	char *hostname, *domainname;
	struct oci_mount *mounts;
	size_t n_mounts;
	struct oci_hook_list hooks[OCI_HOOK__MAX];
	char **annotation_keys, **annotation_values;
	struct oci_linux *linux_;
};

/* Parse a config.json text / file.  On failure *ret is untouched and err says why. */
int oci_spec_parse(const char *text, struct oci_spec **ret, struct oci_error *err);
int oci_spec_load(const char *path, struct oci_spec **ret, struct oci_error *err);
/* Parse a single "process" object (cryo exec --process FILE). */
int oci_process_load(const char *path, struct oci_process **ret, struct oci_error *err);
void oci_spec_free(struct oci_spec *spec);
void oci_process_free(struct oci_process *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct oci_spec *, oci_spec_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct oci_process *, oci_process_free)
#define _cleanup_spec_ _cleanup_(oci_spec_freep)
#define _cleanup_process_ _cleanup_(oci_process_freep)

/* Helpers on NULL-terminated string arrays. */
void strv_free(char **v);
static inline void strv_freep(char ***v) { strv_free(*v); }
size_t strv_length(char **v);
void strv_free(char **v);
bool strv_contains(char **v, const char *s);

/* Map a namespace name ("pid", "network", ...) to its CLONE_NEW* flag; 0 if unknown. */
int oci_namespace_flag(const char *name);
const char *oci_namespace_proc_name(int flag); /* "pid", "net", ... as in /proc/PID/ns */
const char *oci_hook_kind_name(enum oci_hook_kind k);
/* The namespace entry of a type, or NULL. */
const struct oci_namespace *oci_spec_namespace(const struct oci_spec *spec, int flag);

/* The default config.json written by "cryo spec" (rootless = user namespace variant). */
char *oci_default_spec_json(bool rootless);
/* The runtime-spec "features" document. */
char *oci_features_json(void);

#endif
