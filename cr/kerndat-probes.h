/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to kerndat: the probe functions behind the table in kerndat.c and
 * the helpers they share.  Nothing outside cr/kerndat*.c includes this.
 *
 * A probe gets the table being filled (it may record facts in it), its own
 * detail buffer (KD_DETAIL_MAX bytes) and the row's argument, and returns
 * KD_YES, KD_NO or KD_ERROR.  Probes marked "in child" run in a forked child
 * whose struct kerndat lives in shared memory, so what they write lands in
 * the caller's table; they may change process-wide state freely and may
 * block (a timeout kills them).  Probes never log: the caller logs results.
 */
#ifndef CRYO_KERNDAT_PROBES_H
#define CRYO_KERNDAT_PROBES_H

#include <stddef.h>
#include <sys/types.h>
#include "kerndat.h"
#include "util.h"

typedef enum kd_result (*kd_probe_fn)(struct kerndat *kd, char *detail, int arg);

/* Write the detail line of a probe (truncated to KD_DETAIL_MAX). */
void kd_say(char *detail, const char *fmt, ...) _printf_(2, 3);

/* waitpid() that retries on EINTR; returns the pid or -errno. */
int kd_wait(pid_t pid, int *status, int flags);

/*
 * Fork a child that runs setup(arg) (if any), tells the parent it is ready
 * and then sleeps until killed; it dies with its parent.  Any process may
 * ptrace it.  Returns the pid or -errno.
 */
pid_t kd_spawn_sleeper(void (*setup)(void *arg), void *arg);
/* Kill and reap a sleeper (pid <= 0 is ignored). */
void kd_reap(pid_t pid);
/* Spawn a sleeper, PTRACE_SEIZE it and bring it to a ptrace stop. */
pid_t kd_spawn_traced_sleeper(void (*setup)(void *arg), void *arg, char *detail);

/* Read a small file into buf (NUL-terminated); bytes read or -errno. */
ssize_t kd_read_file(const char *path, char *buf, size_t size);
/* Read one pagemap entry of the page at addr in this process; -errno on error. */
int kd_pagemap_entry(unsigned long addr, uint64_t *ret_entry);

/* Facts, gathered in the caller before the feature probes. */
void kd_facts_uname(struct kerndat *kd);
void kd_facts_limits(struct kerndat *kd);
void kd_facts_caps(struct kerndat *kd);
void kd_facts_cgroups(struct kerndat *kd);
void kd_facts_vdso(struct kerndat *kd);

/* kerndat-proc.c: processes, pids, ptrace */
enum kd_result kd_probe_clone3_set_tid(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_pidfd_open(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_pidfd_getfd(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_process_vm_readv(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_ptrace_exitkill(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_ptrace_seccomp_filter(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_ptrace_rseq_conf(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_ptrace_syscall_info(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_prctl_mm_map(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_kcmp(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_rseq(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_timens(struct kerndat *kd, char *detail, int arg);

/* kerndat-mem.c: memory tracking, userfaultfd, memfd, vDSO */
enum kd_result kd_probe_uffd(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_uffd_dev(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_uffd_wp(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_uffd_wp_async(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_uffd_minor_shmem(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_uffd_minor_hugetlbfs(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_pagemap_scan(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_soft_dirty(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_pagemap_pfn(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_memfd(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_memfd_hugetlb(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_memfd_seals(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_vdso(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_vdso_mremap_name(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_map_files(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_map_fixed_noreplace(struct kerndat *kd, char *detail, int arg);

/* kerndat-sys.c: capabilities, cgroups, network */
enum kd_result kd_probe_cap(struct kerndat *kd, char *detail, int cap);
enum kd_result kd_probe_cgroup_v1(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_cgroup_v2(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_cgroup_freezer(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_tcp_repair(struct kerndat *kd, char *detail, int arg);
enum kd_result kd_probe_nftables(struct kerndat *kd, char *detail, int arg);

#endif
