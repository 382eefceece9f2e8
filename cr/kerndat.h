/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kerndat: every kernel fact cryo depends on, probed once at start.
 *
 *     int r = kerndat_init();            // probes the whole table, once
 *     if (kerndat_has(KD_UFFD_WP)) ...   // consult; never re-probe ad hoc
 *
 * Each feature has a three-state result: present, missing, or the probe
 * itself failed for an unrelated reason (treated as missing by
 * kerndat_has()).  Besides the yes/no features there are facts that are not
 * booleans (vDSO layout, capabilities, rlimits, cgroup layout), kept in
 * struct kerndat.
 *
 * Probing forks: call kerndat_init() early, from the main thread, before the
 * program starts threads.  It is not thread-safe itself.
 *
 * Adding a feature: one enum value here, one row in the table in kerndat.c
 * (see docs/kerndat.md).
 */
#ifndef CRYO_KERNDAT_H
#define CRYO_KERNDAT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

enum kd_feature {
	KD_CLONE3_SET_TID,
	KD_PIDFD_OPEN,
	KD_PIDFD_GETFD,
	KD_PROCESS_VM_READV,
	KD_PTRACE_EXITKILL,
	KD_PTRACE_SECCOMP_FILTER,
	KD_PTRACE_RSEQ_CONF,
	KD_PTRACE_SYSCALL_INFO,
	KD_UFFD,
	KD_UFFD_DEV,
	KD_UFFD_WP,
	KD_UFFD_WP_ASYNC,
	KD_UFFD_MINOR_SHMEM,
	KD_UFFD_MINOR_HUGETLBFS,
	KD_PAGEMAP_SCAN,
	KD_SOFT_DIRTY,
	KD_PAGEMAP_PFN,
	KD_MEMFD,
	KD_MEMFD_HUGETLB,
	KD_MEMFD_SEALS,
	KD_VDSO,
	KD_VDSO_MREMAP_NAME,
	KD_TIMENS,
	KD_TCP_REPAIR,
	KD_NFTABLES,
	KD_CAP_SYS_ADMIN,
	KD_CAP_CHECKPOINT_RESTORE,
	KD_CAP_SYS_RESOURCE,
	KD_CAP_NET_ADMIN,
	KD_CAP_SYS_PTRACE,
	KD_CGROUP_V1,
	KD_CGROUP_V2,
	KD_CGROUP_FREEZER,
	KD_PRCTL_MM_MAP,
	KD_KCMP,
	KD_MAP_FILES,
	KD_MAP_FIXED_NOREPLACE,
	KD_RSEQ,
	KD_NR_FEATURES,
};

enum kd_result {
	KD_UNPROBED = 0, /* never seen after kerndat_init() succeeded */
	KD_YES,
	KD_NO,
	KD_ERROR, /* the probe could not decide (unrelated failure) */
};

/* One special mapping of the vDSO area ([vvar], [vvar_vclock], [vdso], ...). */
struct kd_special_vma {
	char name[24];
	unsigned long start; /* in the probing process; differs per process (ASLR) */
	unsigned long size;
};

enum kd_cgroup_mode {
	KD_CGROUP_NONE,
	KD_CGROUP_V1_ONLY,
	KD_CGROUP_HYBRID, /* v1 controllers plus a (possibly empty) v2 mount */
	KD_CGROUP_V2_ONLY,
};

#define KD_DETAIL_MAX 160
#define KD_MAX_SPECIAL_VMAS 6

struct kerndat {
	enum kd_result result[KD_NR_FEATURES];
	char detail[KD_NR_FEATURES][KD_DETAIL_MAX];

	/* Facts that are not yes/no. */
	char kernel_release[65];
	char machine[65];
	uint64_t uffd_api_features;       /* UFFDIO_API answer, 0 if no uffd */
	unsigned int nr_special_vmas;
	struct kd_special_vma special_vmas[KD_MAX_SPECIAL_VMAS];
	uint64_t cap_effective;           /* bit N = capability N */
	bool in_userns;                   /* not the initial user namespace: caps are
	                                     only good for namespaces it owns */
	int cap_last;                     /* /proc/sys/kernel/cap_last_cap */
	struct rlimit nofile;
	unsigned long nr_open;            /* /proc/sys/fs/nr_open */
	unsigned int prctl_mm_map_size;   /* PR_SET_MM_MAP_SIZE, 0 if unknown */
	enum kd_cgroup_mode cgroup_mode;
	char cgroup_v1_controllers[192];  /* comma-separated, mounted ones */
	char cgroup_v2_mount[128];        /* "" if none */
	char cgroup_v2_controllers[192];  /* space-separated, as in cgroup.controllers */
};

/*
 * Probe every feature once.  Later calls return the first call's status and
 * do not probe again.  0 on success, negative errno if the table could not
 * be probed at all (e.g. fork or mmap failed).
 */
int kerndat_init(void);

/* The probed table; calls kerndat_init() first if nobody did.  NULL on failure. */
const struct kerndat *kerndat(void);

/* True only if the feature was probed and found present. */
bool kerndat_has(enum kd_feature f);
enum kd_result kerndat_result(enum kd_feature f);
const char *kerndat_detail(enum kd_feature f);

/* Static description of the table. */
const char *kerndat_feature_name(enum kd_feature f);
/* What the user loses when the feature is missing; one line. */
const char *kerndat_feature_cost(enum kd_feature f);
/* Feature by its name ("soft-dirty"); -ENOENT if there is none. */
int kerndat_feature_by_name(const char *name);
const char *kerndat_result_name(enum kd_result r);
const char *kerndat_cgroup_mode_name(enum kd_cgroup_mode m);

/* How many times the table was really probed in this process (0 or 1). */
unsigned int kerndat_probe_runs(void);

#endif
