/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kerndat: the probe table and its engine.  Every kernel fact is probed once,
 * by kerndat_init(), and then only consulted.
 *
 * Probes that could disturb the caller (namespaces, ptrace, clear_refs,
 * prctl, userfaultfd registration) run in a forked child.  The table being
 * filled sits in a shared anonymous mapping during probing so that such a
 * child writes its result, detail and facts straight into it; an alarm bounds
 * every child.  When probing is done the table is copied to static storage.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "kerndat.h"
#include "kerndat-probes.h"
#include "log.h"

/* Long enough for a loaded 2-core CI machine; a probe normally takes < 10 ms. */
#define KD_PROBE_TIMEOUT_S 10

struct kd_row {
	const char *name;
	kd_probe_fn probe;
	int arg;
	bool in_child;
	const char *cost; /* what the user loses when the feature is missing */
};

static const struct kd_row rows[KD_NR_FEATURES] = {
	[KD_CLONE3_SET_TID] = { "clone3-set-tid", kd_probe_clone3_set_tid, 0, true,
		"restore cannot give processes their old PIDs" },
	[KD_PIDFD_OPEN] = { "pidfd-open", kd_probe_pidfd_open, 0, true,
		"waiting for and signalling tasks is racy against PID reuse" },
	[KD_PIDFD_GETFD] = { "pidfd-getfd", kd_probe_pidfd_getfd, 0, true,
		"fds are fetched through the parasite instead of taken directly" },
	[KD_PROCESS_VM_READV] = { "process-vm-readv", kd_probe_process_vm_readv, 0, true,
		"memory is read only through the parasite's pipes" },
	[KD_PTRACE_EXITKILL] = { "ptrace-exitkill", kd_probe_ptrace_exitkill, 0, true,
		"a crashed restore can leave half-built tasks alive" },
	[KD_PTRACE_SECCOMP_FILTER] = { "ptrace-seccomp-filter", kd_probe_ptrace_seccomp_filter, 0, true,
		"seccomp filters of dumped tasks cannot be saved" },
	[KD_PTRACE_RSEQ_CONF] = { "ptrace-rseq-conf", kd_probe_ptrace_rseq_conf, 0, true,
		"rseq registrations of dumped threads cannot be saved" },
	[KD_PTRACE_SYSCALL_INFO] = { "ptrace-syscall-info", kd_probe_ptrace_syscall_info, 0, true,
		"cannot tell which syscall a seized task was in" },
	[KD_UFFD] = { "uffd", kd_probe_uffd, 0, true,
		"no lazy restore (lazy-pages) and no userfaultfd memory tracking" },
	[KD_UFFD_DEV] = { "uffd-dev", kd_probe_uffd_dev, 0, true,
		"userfaultfd only through the syscall (its sysctl may forbid it)" },
	[KD_UFFD_WP] = { "uffd-wp", kd_probe_uffd_wp, 0, true,
		"no write-protect tracking: every pre-dump copies all memory" },
	[KD_UFFD_WP_ASYNC] = { "uffd-wp-async", kd_probe_uffd_wp_async, 0, true,
		"dirty tracking costs a fault per first write (sync uffd-wp)" },
	[KD_UFFD_MINOR_SHMEM] = { "uffd-minor-shmem", kd_probe_uffd_minor_shmem, 0, true,
		"shared memory is restored eagerly, never lazily" },
	[KD_UFFD_MINOR_HUGETLBFS] = { "uffd-minor-hugetlbfs", kd_probe_uffd_minor_hugetlbfs, 0, true,
		"hugetlbfs memory is restored eagerly, never lazily" },
	[KD_PAGEMAP_SCAN] = { "pagemap-scan", kd_probe_pagemap_scan, 0, true,
		"dirty and present pages found by reading pagemap entry by entry" },
	[KD_SOFT_DIRTY] = { "soft-dirty", kd_probe_soft_dirty, 0, true,
		"memory tracking uses userfaultfd-WP/PAGEMAP_SCAN instead" },
	[KD_PAGEMAP_PFN] = { "pagemap-pfn", kd_probe_pagemap_pfn, 0, true,
		"pages cannot be matched by frame number (vDSO found by name only)" },
	[KD_MEMFD] = { "memfd", kd_probe_memfd, 0, true,
		"shared anonymous memory is restored through tmpfs files" },
	[KD_MEMFD_HUGETLB] = { "memfd-hugetlb", kd_probe_memfd_hugetlb, 0, true,
		"shared hugetlb memory cannot be restored" },
	[KD_MEMFD_SEALS] = { "memfd-seals", kd_probe_memfd_seals, 0, true,
		"seals of memfds are not restored" },
	[KD_VDSO] = { "vdso", kd_probe_vdso, 0, false,
		"no vDSO: nothing to remap on restore" },
	[KD_VDSO_MREMAP_NAME] = { "vdso-mremap-name", kd_probe_vdso_mremap_name, 0, true,
		"a moved vDSO must be found by page-frame checks, not by name" },
	[KD_TIMENS] = { "timens", kd_probe_timens, 0, true,
		"restored tasks see CLOCK_MONOTONIC and CLOCK_BOOTTIME jump" },
	[KD_TCP_REPAIR] = { "tcp-repair", kd_probe_tcp_repair, 0, true,
		"established TCP connections cannot be dumped" },
	[KD_NFTABLES] = { "nftables", kd_probe_nftables, 0, true,
		"the network cannot be locked during C/R" },
	[KD_CAP_SYS_ADMIN] = { "cap-sys-admin", kd_probe_cap, CAP_SYS_ADMIN, false,
		"namespaces, mounts and most restore steps are out of reach" },
	[KD_CAP_CHECKPOINT_RESTORE] = { "cap-checkpoint-restore", kd_probe_cap, CAP_CHECKPOINT_RESTORE, false,
		"PID choice and map_files need CAP_SYS_ADMIN instead" },
	[KD_CAP_SYS_RESOURCE] = { "cap-sys-resource", kd_probe_cap, CAP_SYS_RESOURCE, false,
		"rlimits cannot be restored above the current hard limits" },
	[KD_CAP_NET_ADMIN] = { "cap-net-admin", kd_probe_cap, CAP_NET_ADMIN, false,
		"no TCP repair and no network locking" },
	[KD_CAP_SYS_PTRACE] = { "cap-sys-ptrace", kd_probe_cap, CAP_SYS_PTRACE, false,
		"only processes of the same user can be dumped" },
	[KD_CGROUP_V1] = { "cgroup-v1", kd_probe_cgroup_v1, 0, false,
		"no v1 controllers to save (fine on a v2-only host)" },
	[KD_CGROUP_V2] = { "cgroup-v2", kd_probe_cgroup_v2, 0, false,
		"no unified hierarchy to save (fine on a v1-only host)" },
	[KD_CGROUP_FREEZER] = { "cgroup-freezer", kd_probe_cgroup_freezer, 0, true,
		"trees are stopped task by task with ptrace (racy against fork)" },
	[KD_PRCTL_MM_MAP] = { "prctl-mm-map", kd_probe_prctl_mm_map, 0, true,
		"mm layout set field by field, which needs CAP_SYS_RESOURCE" },
	[KD_KCMP] = { "kcmp", kd_probe_kcmp, 0, true,
		"files and mms shared between tasks cannot be told apart" },
	[KD_MAP_FILES] = { "map-files", kd_probe_map_files, 0, true,
		"mappings of deleted files cannot be dumped" },
	[KD_MAP_FIXED_NOREPLACE] = { "map-fixed-noreplace", kd_probe_map_fixed_noreplace, 0, true,
		"the restorer cannot map without risking to clobber a mapping" },
	[KD_RSEQ] = { "rseq", kd_probe_rseq, 0, true,
		"none: tasks cannot use rseq either" },
};

static struct kerndat kd_table;
static int kd_status = 1; /* 1: not probed yet; then 0 or -errno, for good */
static unsigned int kd_runs;

void kd_say(char *detail, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, KD_DETAIL_MAX, fmt, ap);
	va_end(ap);
}

int kd_wait(pid_t pid, int *status, int flags)
{
	pid_t r;

	do
		r = waitpid(pid, status, flags);
	while (r < 0 && errno == EINTR);
	return r < 0 ? negative_errno() : r;
}

pid_t kd_spawn_sleeper(void (*setup)(void *arg), void *arg)
{
	int p[2];
	pid_t pid;
	char c = 0;

	if (pipe2(p, O_CLOEXEC) < 0)
		return negative_errno();
	pid = fork();
	if (pid < 0) {
		int r = negative_errno();
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Lets a sibling trace us under Yama; harmless without it. */
		prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY);
		close(p[0]);
		if (setup)
			setup(arg);
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		close(p[0]);
		kd_reap(pid);
		return -ECHILD;
	}
	close(p[0]);
	return pid;
}

void kd_reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	kd_wait(pid, NULL, __WALL);
}

pid_t kd_spawn_traced_sleeper(void (*setup)(void *arg), void *arg, char *detail)
{
	pid_t pid = kd_spawn_sleeper(setup, arg);
	int status, r;

	if (pid < 0) {
		kd_say(detail, "cannot start a target process: %s", strerror(-pid));
		return pid;
	}
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0) {
		r = negative_errno();
		kd_say(detail, "PTRACE_SEIZE of a child failed: %s", strerror(-r));
		kd_reap(pid);
		return r;
	}
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 || kd_wait(pid, &status, __WALL) < 0) {
		r = negative_errno();
		kd_say(detail, "cannot stop the traced child: %s", strerror(-r));
		kd_reap(pid);
		return r;
	}
	if (!WIFSTOPPED(status)) {
		kd_say(detail, "traced child did not stop (status %#x)", status);
		kd_reap(pid);
		return -ECHILD;
	}
	return pid;
}

ssize_t kd_read_file(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return negative_errno();
	while (got + 1 < size) {
		ssize_t n = read(fd, buf + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return negative_errno();
		if (n == 0)
			break;
		got += n;
	}
	buf[got] = '\0';
	return got;
}

int kd_pagemap_entry(unsigned long addr, uint64_t *ret_entry)
{
	_cleanup_close_ int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	long psize = sysconf(_SC_PAGESIZE);
	uint64_t e;

	if (fd < 0)
		return negative_errno();
	if (pread(fd, &e, sizeof(e), (addr / psize) * sizeof(e)) != sizeof(e))
		return errno ? negative_errno() : -EIO;
	*ret_entry = e;
	return 0;
}

/* Run one probe, in a child when the row says so; returns its result. */
static enum kd_result run_probe(struct kerndat *kd, enum kd_feature f)
{
	const struct kd_row *row = &rows[f];
	char *detail = kd->detail[f];
	sigset_t none;
	int status, r;
	pid_t pid;

	if (!row->in_child)
		return row->probe(kd, detail, row->arg);

	pid = fork();
	if (pid < 0) {
		kd_say(detail, "cannot fork the probe: %s", strerror(errno));
		return KD_ERROR;
	}
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGALRM, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(KD_PROBE_TIMEOUT_S);
		kd->result[f] = row->probe(kd, detail, row->arg);
		_exit(0);
	}
	r = kd_wait(pid, &status, 0);
	if (r < 0) {
		kd_say(detail, "cannot wait for the probe: %s", strerror(-r));
		return KD_ERROR;
	}
	if (WIFSIGNALED(status)) {
		if (WTERMSIG(status) == SIGALRM)
			kd_say(detail, "probe timed out after %d s", KD_PROBE_TIMEOUT_S);
		else
			kd_say(detail, "probe killed by signal %d", WTERMSIG(status));
		return KD_ERROR;
	}
	if (kd->result[f] == KD_UNPROBED) {
		kd_say(detail, "probe exited (status %d) without a result", WEXITSTATUS(status));
		return KD_ERROR;
	}
	return kd->result[f];
}

static void probe_all(struct kerndat *kd)
{
	kd_facts_uname(kd);
	kd_facts_limits(kd);
	kd_facts_caps(kd);
	kd_facts_cgroups(kd);
	kd_facts_vdso(kd);

	for (int f = 0; f < KD_NR_FEATURES; f++) {
		kd->result[f] = run_probe(kd, f);
		log_debug("kerndat: %s: %s: %s", rows[f].name,
			  kerndat_result_name(kd->result[f]), kd->detail[f]);
	}
}

int kerndat_init(void)
{
	struct kerndat *shared;

	if (kd_status <= 0)
		return kd_status;

	kd_runs++;
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		kd_status = negative_errno();
		return log_error_errno(kd_status, "kerndat: cannot map the probe table");
	}
	probe_all(shared);
	memcpy(&kd_table, shared, sizeof(kd_table));
	munmap(shared, sizeof(*shared));
	kd_status = 0;
	return 0;
}

const struct kerndat *kerndat(void)
{
	return kerndat_init() < 0 ? NULL : &kd_table;
}

enum kd_result kerndat_result(enum kd_feature f)
{
	const struct kerndat *kd = kerndat();

	if (!kd || (unsigned int)f >= KD_NR_FEATURES)
		return KD_ERROR;
	return kd->result[f];
}

bool kerndat_has(enum kd_feature f)
{
	return kerndat_result(f) == KD_YES;
}

const char *kerndat_detail(enum kd_feature f)
{
	const struct kerndat *kd = kerndat();

	if (!kd || (unsigned int)f >= KD_NR_FEATURES)
		return "kernel features could not be probed";
	return kd->detail[f];
}

const char *kerndat_feature_name(enum kd_feature f)
{
	return (unsigned int)f < KD_NR_FEATURES ? rows[f].name : NULL;
}

const char *kerndat_feature_cost(enum kd_feature f)
{
	return (unsigned int)f < KD_NR_FEATURES ? rows[f].cost : NULL;
}

int kerndat_feature_by_name(const char *name)
{
	for (int f = 0; f < KD_NR_FEATURES; f++)
		if (rows[f].name && !strcmp(rows[f].name, name))
			return f;
	return -ENOENT;
}

const char *kerndat_result_name(enum kd_result r)
{
	switch (r) {
	case KD_YES:
		return "yes";
	case KD_NO:
		return "no";
	case KD_ERROR:
		return "error";
	default:
		return "unprobed";
	}
}

const char *kerndat_cgroup_mode_name(enum kd_cgroup_mode m)
{
	switch (m) {
	case KD_CGROUP_V1_ONLY:
		return "v1";
	case KD_CGROUP_HYBRID:
		return "hybrid";
	case KD_CGROUP_V2_ONLY:
		return "v2";
	default:
		return "none";
	}
}

unsigned int kerndat_probe_runs(void)
{
	return kd_runs;
}
