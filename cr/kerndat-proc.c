/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kerndat probes about processes: PIDs, pidfds, ptrace, prctl, kcmp, rseq,
 * time namespaces.  All of them run in a forked child (see kerndat.c).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/kcmp.h>
#include <linux/prctl.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

/* glibc's <sys/ptrace.h> clashes with <linux/ptrace.h>; declare what we use. */
extern long ptrace(int request, ...);

#include "kerndat-probes.h"

static int sys_pidfd_open(pid_t pid)
{
	return syscall(__NR_pidfd_open, pid, 0);
}

/* Any PID is fine in a fresh namespace: nothing has used it yet. */
#define KD_CHOSEN_PID 4242

enum { CHOSEN_OK, CHOSEN_REFUSED, CHOSEN_FAILED, CHOSEN_TAKEN };

/* clone3() a child with PID want; the child checks it got it. */
static int clone3_chosen_pid(pid_t want, const char *where, char *detail)
{
	struct clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&want,
		.set_tid_size = 1,
	};
	long pid = syscall(__NR_clone3, &args, sizeof(args));
	int status;

	if (pid == 0)
		_exit(syscall(SYS_getpid) == want ? 0 : 1);
	if (pid < 0) {
		int e = errno;
		if (e == EEXIST)
			return CHOSEN_TAKEN;
		if (e == ENOSYS)
			kd_say(detail, "no clone3 syscall (kernel < 5.3)");
		else if (e == E2BIG || e == EINVAL)
			kd_say(detail, "clone3 rejects set_tid (kernel < 5.5): %s", strerror(e));
		else if (e == EPERM)
			kd_say(detail, "set_tid %s refused: needs CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN",
			       where);
		else
			kd_say(detail, "clone3 with set_tid %s failed: %s", where, strerror(e));
		return e == EPERM || e == ENOSYS || e == E2BIG || e == EINVAL ? CHOSEN_REFUSED
									       : CHOSEN_FAILED;
	}
	if (kd_wait(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		kd_say(detail, "clone3 returned pid %ld but the child did not see pid %d", pid, want);
		return CHOSEN_FAILED;
	}
	if (pid != want) {
		kd_say(detail, "clone3 asked for pid %d, got %ld", want, pid);
		return CHOSEN_FAILED;
	}
	kd_say(detail, "created pid %d on request %s", want, where);
	return CHOSEN_OK;
}

static enum kd_result chosen_result(int r)
{
	return r == CHOSEN_OK ? KD_YES : r == CHOSEN_REFUSED ? KD_NO : KD_ERROR;
}

/* Called after unshare(CLONE_NEWPID): our first child is PID 1 there and tries. */
static enum kd_result set_tid_in_new_pidns(char *detail)
{
	int status;
	pid_t init = fork();

	if (init < 0) {
		kd_say(detail, "fork into the new pid namespace: %s", strerror(errno));
		return KD_ERROR;
	}
	if (init == 0)
		_exit(clone3_chosen_pid(KD_CHOSEN_PID, "in a fresh pid namespace", detail));
	if (kd_wait(init, &status, 0) < 0 || !WIFEXITED(status)) {
		kd_say(detail, "the namespace's init died (status %#x)", status);
		return KD_ERROR;
	}
	return chosen_result(WEXITSTATUS(status));
}

/* Without a namespace of our own, try a few PIDs that look free here. */
static enum kd_result set_tid_in_this_pidns(char *detail)
{
	char buf[32], proc[48];
	long pid_max = 32768;

	if (kd_read_file("/proc/sys/kernel/pid_max", buf, sizeof(buf)) > 0)
		pid_max = strtol(buf, NULL, 10);
	for (int i = 0; i < 16; i++) {
		/* Stay above the low PIDs the kernel skips when it wraps around. */
		pid_t want = 1000 + ((long)getpid() * 7 + i * 7919L) % (pid_max - 1000);
		int r;

		snprintf(proc, sizeof(proc), "/proc/%d", want);
		if (access(proc, F_OK) == 0)
			continue;
		r = clone3_chosen_pid(want, "in this pid namespace", detail);
		if (r != CHOSEN_TAKEN)
			return chosen_result(r);
	}
	kd_say(detail, "found no free pid to try set_tid with");
	return KD_ERROR;
}

enum kd_result kd_probe_clone3_set_tid(struct kerndat *kd, char *detail, int arg)
{
	(void)kd, (void)arg;
	if (unshare(CLONE_NEWPID) == 0)
		return set_tid_in_new_pidns(detail);
	if (errno != EPERM) {
		kd_say(detail, "cannot make a pid namespace to try it in: %s", strerror(errno));
		return KD_ERROR;
	}
	/* CAP_CHECKPOINT_RESTORE alone allows set_tid in the current namespace. */
	return set_tid_in_this_pidns(detail);
}

enum kd_result kd_probe_pidfd_open(struct kerndat *kd, char *detail, int arg)
{
	struct pollfd pfd = { .events = POLLIN };
	_cleanup_close_ int fd = -1;
	pid_t pid;
	int r;

	(void)kd, (void)arg;
	pid = fork();
	if (pid < 0) {
		kd_say(detail, "fork: %s", strerror(errno));
		return KD_ERROR;
	}
	if (pid == 0)
		_exit(0);
	/* The child is a zombie or about to be one; its pidfd must report exit. */
	fd = sys_pidfd_open(pid);
	if (fd < 0) {
		r = errno;
		kd_reap(pid);
		kd_say(detail, "pidfd_open: %s", strerror(r));
		return r == ENOSYS ? KD_NO : KD_ERROR;
	}
	pfd.fd = fd;
	r = poll(&pfd, 1, 5000);
	kd_reap(pid);
	if (r != 1 || !(pfd.revents & POLLIN)) {
		kd_say(detail, "pidfd did not become readable when its process exited");
		return KD_NO;
	}
	kd_say(detail, "pidfd of an exited child polls readable");
	return KD_YES;
}

enum kd_result kd_probe_pidfd_getfd(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_close_ int memfd = memfd_create("cryo-kd-getfd", MFD_CLOEXEC);
	_cleanup_close_ int pidfd = -1, stolen = -1;
	struct stat theirs, ours;
	enum kd_result res;
	pid_t pid;

	(void)kd, (void)arg;
	if (memfd < 0) {
		kd_say(detail, "memfd_create: %s", strerror(errno));
		return KD_ERROR;
	}
	pid = kd_spawn_sleeper(NULL, NULL);
	if (pid < 0) {
		kd_say(detail, "cannot start a target: %s", strerror(-pid));
		return KD_ERROR;
	}
	pidfd = sys_pidfd_open(pid);
	if (pidfd < 0) {
		kd_say(detail, "pidfd_open: %s", strerror(errno));
		kd_reap(pid);
		return errno == ENOSYS ? KD_NO : KD_ERROR;
	}
	/* The target inherited memfd at the same number; take its copy. */
	stolen = syscall(__NR_pidfd_getfd, pidfd, memfd, 0);
	if (stolen < 0) {
		kd_say(detail, "pidfd_getfd: %s", strerror(errno));
		res = errno == ENOSYS ? KD_NO : errno == EPERM ? KD_NO : KD_ERROR;
	} else if (fstat(stolen, &theirs) < 0 || fstat(memfd, &ours) < 0 ||
		   theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev) {
		kd_say(detail, "pidfd_getfd returned a different file");
		res = KD_ERROR;
	} else {
		kd_say(detail, "took fd %d of pid %d", memfd, pid);
		res = KD_YES;
	}
	kd_reap(pid);
	return res;
}

static char vm_magic[64];

static void write_vm_magic(void *arg)
{
	(void)arg;
	snprintf(vm_magic, sizeof(vm_magic), "cryo kerndat magic of pid %d", getpid());
}

enum kd_result kd_probe_process_vm_readv(struct kerndat *kd, char *detail, int arg)
{
	char buf[sizeof(vm_magic)], want[sizeof(vm_magic)];
	struct iovec local = { buf, sizeof(buf) }, remote = { vm_magic, sizeof(vm_magic) };
	ssize_t n;
	pid_t pid;

	(void)kd, (void)arg;
	memset(vm_magic, 0, sizeof(vm_magic));
	pid = kd_spawn_sleeper(write_vm_magic, NULL);
	if (pid < 0) {
		kd_say(detail, "cannot start a target: %s", strerror(-pid));
		return KD_ERROR;
	}
	n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	kd_reap(pid);
	if (n < 0) {
		kd_say(detail, "process_vm_readv: %s", strerror(errno));
		return errno == ENOSYS ? KD_NO : KD_ERROR;
	}
	snprintf(want, sizeof(want), "cryo kerndat magic of pid %d", pid);
	if (n != (ssize_t)sizeof(buf) || strcmp(buf, want)) {
		kd_say(detail, "read %zd bytes that are not what the target wrote", n);
		return KD_ERROR;
	}
	kd_say(detail, "read what a child wrote after fork");
	return KD_YES;
}

/*
 * A tracer process seizes a sleeper with PTRACE_O_EXITKILL and exits; the
 * sleeper must die of SIGKILL.
 */
enum kd_result kd_probe_ptrace_exitkill(struct kerndat *kd, char *detail, int arg)
{
	pid_t target, tracer;
	int status = 0;

	(void)kd, (void)arg;
	target = kd_spawn_sleeper(NULL, NULL);
	if (target < 0) {
		kd_say(detail, "cannot start a target: %s", strerror(-target));
		return KD_ERROR;
	}
	tracer = fork();
	if (tracer == 0) {
		if (ptrace(PTRACE_SEIZE, target, 0, PTRACE_O_EXITKILL) < 0) {
			kd_say(detail, "PTRACE_SEIZE with PTRACE_O_EXITKILL: %s", strerror(errno));
			_exit(errno == EINVAL ? 1 : 2);
		}
		_exit(0);
	}
	if (tracer < 0 || kd_wait(tracer, &status, 0) < 0 || !WIFEXITED(status)) {
		kd_say(detail, "tracer process failed (status %#x)", status);
		kd_reap(target);
		return KD_ERROR;
	}
	if (WEXITSTATUS(status)) {
		kd_reap(target);
		return WEXITSTATUS(status) == 1 ? KD_NO : KD_ERROR;
	}
	/* The kill is sent as the tracer exits; give the target time to die. */
	for (int i = 0; i < 500; i++) {
		int r = kd_wait(target, &status, WNOHANG);
		if (r == target) {
			if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
				kd_say(detail, "a target died with its tracer");
				return KD_YES;
			}
			kd_say(detail, "target ended with status %#x, not SIGKILL", status);
			return KD_ERROR;
		}
		usleep(10000);
	}
	kd_reap(target);
	kd_say(detail, "the target survived its tracer's exit");
	return KD_NO;
}

/* A one-instruction filter that allows everything. */
static void install_allow_filter(void *arg)
{
	struct sock_filter insn = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &insn };

	(void)arg;
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

enum kd_result kd_probe_ptrace_seccomp_filter(struct kerndat *kd, char *detail, int arg)
{
	pid_t pid = kd_spawn_traced_sleeper(install_allow_filter, NULL, detail);
	long n;
	int e;

	(void)kd, (void)arg;
	if (pid < 0)
		return KD_ERROR;
	n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, NULL);
	e = errno;
	kd_reap(pid);
	if (n == 1) {
		kd_say(detail, "read back the 1-instruction filter of a traced child");
		return KD_YES;
	}
	if (n >= 0) {
		kd_say(detail, "filter has %ld instructions, expected 1", n);
		return KD_ERROR;
	}
	if (e == EIO)
		kd_say(detail, "kernel does not know the request (needs CONFIG_CHECKPOINT_RESTORE)");
	else if (e == EACCES)
		kd_say(detail, "refused: needs CAP_SYS_ADMIN and a tracer without seccomp");
	else
		kd_say(detail, "PTRACE_SECCOMP_GET_FILTER: %s", strerror(e));
	return e == EIO || e == EACCES ? KD_NO : KD_ERROR;
}

enum kd_result kd_probe_ptrace_rseq_conf(struct kerndat *kd, char *detail, int arg)
{
	struct ptrace_rseq_configuration conf = { 0 };
	pid_t pid = kd_spawn_traced_sleeper(NULL, NULL, detail);
	long n;
	int e;

	(void)kd, (void)arg;
	if (pid < 0)
		return KD_ERROR;
	n = ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, sizeof(conf), &conf);
	e = errno;
	kd_reap(pid);
	if (n > 0) {
		if (conf.rseq_abi_size)
			kd_say(detail, "read a traced child's rseq area: %u bytes", conf.rseq_abi_size);
		else
			kd_say(detail, "read a traced child's rseq configuration (none registered)");
		return KD_YES;
	}
	kd_say(detail, "PTRACE_GET_RSEQ_CONFIGURATION: %s", strerror(e));
	return e == EIO ? KD_NO : KD_ERROR;
}

enum kd_result kd_probe_ptrace_syscall_info(struct kerndat *kd, char *detail, int arg)
{
	struct ptrace_syscall_info info = { 0 };
	pid_t pid = kd_spawn_traced_sleeper(NULL, NULL, detail);
	long n;
	int e;

	(void)kd, (void)arg;
	if (pid < 0)
		return KD_ERROR;
	n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info), &info);
	e = errno;
	kd_reap(pid);
	if (n > 0) {
		kd_say(detail, "%ld bytes, op %u, arch %#x", n, info.op, info.arch);
		return KD_YES;
	}
	kd_say(detail, "PTRACE_GET_SYSCALL_INFO: %s", strerror(e));
	return e == EIO ? KD_NO : KD_ERROR;
}

/* Fields 26.. of /proc/self/stat that PR_SET_MM_MAP takes (man 5 proc). */
static int read_mm_fields(struct prctl_mm_map *map)
{
	char buf[2048], *p;
	unsigned long long v[52] = { 0 };
	int field = 3;

	if (kd_read_file("/proc/self/stat", buf, sizeof(buf)) < 0)
		return -EIO;
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	p += 2;
	while (field < 52 && *p) {
		char *end;
		v[field] = strtoull(p, &end, 10);
		if (*end != ' ' && *end != '\n' && *end != '\0')
			v[field] = 0; /* the state letter */
		while (*end && *end != ' ')
			end++;
		p = *end ? end + 1 : end;
		field++;
	}
	if (field < 52)
		return -EIO;
	map->start_code = v[26];
	map->end_code = v[27];
	map->start_stack = v[28];
	map->start_data = v[45];
	map->end_data = v[46];
	map->start_brk = v[47];
	map->arg_start = v[48];
	map->arg_end = v[49];
	map->env_start = v[50];
	map->env_end = v[51];
	map->brk = syscall(SYS_brk, 0);
	return 0;
}

/*
 * PR_SET_MM_MAP with the values this process already has: what restore does,
 * minus the change.
 */
enum kd_result kd_probe_prctl_mm_map(struct kerndat *kd, char *detail, int arg)
{
	struct prctl_mm_map map = { .exe_fd = (uint32_t)-1 };
	__u64 auxv[128];
	unsigned int size = 0;
	ssize_t n;

	(void)arg;
	if (prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, &size, 0, 0) < 0) {
		kd_say(detail, "PR_SET_MM_MAP_SIZE: %s", strerror(errno));
		return errno == EINVAL ? KD_NO : KD_ERROR;
	}
	kd->prctl_mm_map_size = size;
	if (size != sizeof(map)) {
		kd_say(detail, "kernel's struct prctl_mm_map is %u bytes, ours %zu", size, sizeof(map));
		return KD_ERROR;
	}
	if (read_mm_fields(&map) < 0) {
		kd_say(detail, "cannot parse /proc/self/stat");
		return KD_ERROR;
	}
	n = kd_read_file("/proc/self/auxv", (char *)auxv, sizeof(auxv));
	if (n > 0) {
		map.auxv = auxv;
		map.auxv_size = n - n % sizeof(uint64_t);
	}
	if (prctl(PR_SET_MM, PR_SET_MM_MAP, &map, sizeof(map), 0) < 0) {
		kd_say(detail, "PR_SET_MM_MAP with the current layout: %s", strerror(errno));
		return errno == EPERM ? KD_NO : KD_ERROR;
	}
	kd_say(detail, "set the current mm layout again (struct of %u bytes)", size);
	return KD_YES;
}

enum kd_result kd_probe_kcmp(struct kerndat *kd, char *detail, int arg)
{
	_cleanup_close_ int a = memfd_create("cryo-kd-a", MFD_CLOEXEC);
	_cleanup_close_ int b = memfd_create("cryo-kd-b", MFD_CLOEXEC);
	_cleanup_close_ int a2 = a >= 0 ? fcntl(a, F_DUPFD_CLOEXEC, 0) : -1;
	pid_t self = getpid();
	long same, other;

	(void)kd, (void)arg;
	if (a < 0 || b < 0 || a2 < 0) {
		kd_say(detail, "cannot make files to compare: %s", strerror(errno));
		return KD_ERROR;
	}
	same = syscall(SYS_kcmp, self, self, KCMP_FILE, a, a2);
	if (same < 0) {
		kd_say(detail, "kcmp: %s", strerror(errno));
		return errno == ENOSYS ? KD_NO : KD_ERROR;
	}
	other = syscall(SYS_kcmp, self, self, KCMP_FILE, a, b);
	if (same != 0 || other <= 0) {
		kd_say(detail, "kcmp answers %ld for a dup and %ld for another file", same, other);
		return KD_ERROR;
	}
	kd_say(detail, "tells a dup from a different file");
	return KD_YES;
}

enum kd_result kd_probe_rseq(struct kerndat *kd, char *detail, int arg)
{
	long r;

	(void)kd, (void)arg;
	/* A NULL area is refused with EINVAL by a kernel that has rseq. */
	r = syscall(__NR_rseq, NULL, 0, 0, 0);
	if (r < 0 && errno == ENOSYS) {
		kd_say(detail, "no rseq syscall");
		return KD_NO;
	}
	kd_say(detail, "syscall present; libc registered %u bytes per thread", __rseq_size);
	return KD_YES;
}

/* In a fresh time namespace's first process: report our monotonic offset. */
static int report_timens_offsets(char *detail)
{
	char buf[256], *line;
	long long secs = 0;

	if (kd_read_file("/proc/self/timens_offsets", buf, sizeof(buf)) < 0)
		return 2;
	line = strstr(buf, "monotonic");
	if (!line || sscanf(line, "monotonic %lld", &secs) != 1)
		return 2;
	kd_say(detail, "a child of a new time namespace sees monotonic offset %lld s", secs);
	return secs == 1000 ? 0 : 1;
}

enum kd_result kd_probe_timens(struct kerndat *kd, char *detail, int arg)
{
	const char *offs = "monotonic 1000 0\n";
	_cleanup_close_ int fd = -1;
	int status;
	pid_t pid;

	(void)kd, (void)arg;
	if (unshare(CLONE_NEWTIME) < 0) {
		kd_say(detail, "unshare(CLONE_NEWTIME): %s", strerror(errno));
		return errno == EINVAL || errno == EPERM ? KD_NO : KD_ERROR;
	}
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, offs, strlen(offs)) != (ssize_t)strlen(offs)) {
		kd_say(detail, "cannot set offsets in /proc/self/timens_offsets: %s", strerror(errno));
		return KD_ERROR;
	}
	pid = fork();
	if (pid < 0) {
		kd_say(detail, "fork into the time namespace: %s", strerror(errno));
		return KD_ERROR;
	}
	if (pid == 0)
		_exit(report_timens_offsets(detail));
	if (kd_wait(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) == 2) {
		kd_say(detail, "the first task of the time namespace cannot read its offsets");
		return KD_ERROR;
	}
	return WEXITSTATUS(status) == 0 ? KD_YES : KD_NO;
}
