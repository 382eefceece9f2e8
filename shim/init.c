/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container's init, in two stages:
 *   stage 1 (child of cryo): joins namespaces with a path, unshares the new
 *     ones (asking cryo to write the id maps of a new user namespace), then
 *     forks stage 2, which is pid 1 of a new pid namespace, reports its pid
 *     and exits.
 *   stage 2: mounts, pivot_root, devices, hostname, console; reports ready,
 *     then blocks reading the exec FIFO until "cryo start" writes to it;
 *     then user, capabilities, seccomp, execve.
 * Errors before "ready" travel to cryo over the sync socket.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/close_range.h>
#include "init.h"
#include "oci/hooks.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

_noreturn_ static void die(int sync_fd, const struct oci_error *err)
{
	sync_send_error(sync_fd, err);
	_exit(1);
}

int join_namespace_path(int flag, const char *path, struct oci_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return oci_error_set(err, errno, "cannot open %s namespace %s: %s", oci_namespace_proc_name(flag),
				     path, strerror(errno));
	if (setns(fd, flag) < 0)
		return oci_error_set(err, errno, "cannot join %s namespace %s: %s", oci_namespace_proc_name(flag),
				     path, strerror(errno));
	return 0;
}

static int write_time_offsets(const struct oci_linux *l, struct oci_error *err)
{
	char buf[128];
	int n = 0;
	_cleanup_close_ int fd = -1;

	if (l->monotonic.set)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "monotonic %lld %u\n", (long long)l->monotonic.secs,
			      l->monotonic.nanosecs);
	if (l->boottime.set)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "boottime %lld %u\n", (long long)l->boottime.secs,
			      l->boottime.nanosecs);
	if (!n)
		return 0;
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		return oci_error_set(err, errno, "cannot write time namespace offsets: %s", strerror(errno));
	return 0;
}

/* Namespaces: join paths (user first), unshare the new ones; returns the flags unshared. */
static int setup_namespaces(const struct init_args *a, struct oci_error *err)
{
	const struct oci_linux *l = a->spec->linux_;
	const struct oci_namespace *user = oci_spec_namespace(a->spec, CLONE_NEWUSER);
	int flags = 0;

	if (!l)
		return 0;
	if (user && user->path && join_namespace_path(CLONE_NEWUSER, user->path, err) < 0)
		return -err->code;
	for (size_t i = 0; i < l->n_namespaces; i++) {
		const struct oci_namespace *ns = &l->namespaces[i];
		if (ns->type == CLONE_NEWUSER)
			continue;
		if (ns->path) {
			if (join_namespace_path(ns->type, ns->path, err) < 0)
				return -err->code;
		} else
			flags |= ns->type;
	}
	if (user && !user->path) {
		struct sync_msg m;
		if (unshare(CLONE_NEWUSER) < 0)
			return oci_error_set(err, errno, "cannot create user namespace: %s", strerror(errno));
		if (sync_send(a->sync_fd, SYNC_USERMAP, 0, NULL) < 0 || sync_recv(a->sync_fd, &m) < 0 ||
		    m.type != SYNC_OK)
			return oci_error_set(err, EPIPE, "lost the runtime while mapping ids");
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			return oci_error_set(err, errno, "cannot become root in the user namespace: %s (is uid/gid 0 mapped?)",
					     strerror(errno));
	}
	if (flags && unshare(flags) < 0)
		return oci_error_set(err, errno, "cannot create namespaces (flags 0x%x): %s", flags, strerror(errno));
	if ((flags & CLONE_NEWTIME) && write_time_offsets(l, err) < 0)
		return -err->code;
	return 0;
}

static int set_hostname(const struct oci_spec *spec, struct oci_error *err)
{
	bool uts = oci_spec_namespace(spec, CLONE_NEWUTS) != NULL;

	if (spec->hostname && *spec->hostname) {
		if (!uts)
			return oci_error_set(err, EINVAL, "hostname needs a new uts namespace");
		if (sethostname(spec->hostname, strlen(spec->hostname)) < 0)
			return oci_error_set(err, errno, "sethostname: %s", strerror(errno));
	}
	if (spec->domainname && *spec->domainname) {
		if (!uts)
			return oci_error_set(err, EINVAL, "domainname needs a new uts namespace");
		if (setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
			return oci_error_set(err, errno, "setdomainname: %s", strerror(errno));
	}
	return 0;
}

static int wait_for_start(int fifo_fd)
{
	char c;
	ssize_t n;

	do
		n = read(fifo_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -EPIPE;
}

_noreturn_ static void init_stage2(const struct init_args *a)
{
	const struct oci_spec *spec = a->spec;
	const struct oci_namespace *user = oci_spec_namespace(spec, CLONE_NEWUSER);
	struct oci_error err = { 0 };
	struct sync_msg m;
	_cleanup_free_ char *state_json = NULL;
	_cleanup_close_ int fifo_fd = -1;
	int keep = 3 + (a->opts->preserve_fds > 0 ? a->opts->preserve_fds : 0);

	sigset_t none;

	/* The runtime may block signals it forwards; the container starts clean. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* fds past the preserved ones must not leak into the container. */
	syscall(SYS_close_range, keep, ~0U, CLOSE_RANGE_CLOEXEC);
	if (setsid() < 0 && errno != EPERM) {
		oci_error_set(&err, errno, "setsid: %s", strerror(errno));
		die(a->sync_fd, &err);
	}
	fifo_fd = a->fifo_fd;
	if (oci_spec_namespace(spec, CLONE_NEWNS) &&
	    rootfs_setup(spec, a->rootfs, a->cgroup_paths, user != NULL, &err) < 0)
		die(a->sync_fd, &err);
	if (sync_send(a->sync_fd, SYNC_HOOKS, 0, NULL) < 0 || sync_recv(a->sync_fd, &m) < 0 || m.type != SYNC_OK) {
		if (m.type == SYNC_ERROR)
			_exit(1);
		oci_error_set(&err, EPIPE, "lost the runtime while running hooks");
		die(a->sync_fd, &err);
	}
	state_json = strdup(m.text);
	if (oci_hooks_run(&spec->hooks[OCI_HOOK_CREATE_CONTAINER], "createContainer", state_json, &err) < 0)
		die(a->sync_fd, &err);
	if (oci_spec_namespace(spec, CLONE_NEWNS)) {
		if (rootfs_pivot(a->rootfs, a->opts->no_pivot, &err) < 0 || rootfs_finish(spec, &err) < 0)
			die(a->sync_fd, &err);
	} else if (chdir(a->rootfs) < 0 || chroot(".") < 0) {
		oci_error_set(&err, errno, "chroot %s: %s", a->rootfs, strerror(errno));
		die(a->sync_fd, &err);
	}
	if (set_hostname(spec, &err) < 0)
		die(a->sync_fd, &err);
	if (spec->process->cwd && chdir(spec->process->cwd) < 0) {
		oci_error_set(&err, errno, "process.cwd %s: %s", spec->process->cwd, strerror(errno));
		die(a->sync_fd, &err);
	}
	if (process_check_executable(spec->process, &err) < 0)
		die(a->sync_fd, &err);
	if (!a->opts->no_new_keyring)
		syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL);
	if (a->console_fd >= 0 && console_setup(a->console_fd, spec->process, &err) < 0)
		die(a->sync_fd, &err);
	if (a->console_fd >= 0)
		close(a->console_fd);
	if (process_set_rlimits(spec->process, &err) < 0)
		die(a->sync_fd, &err);
	if (spec->process->has_oom_score_adj) {
		char buf[16];
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		int n = snprintf(buf, sizeof(buf), "%d", spec->process->oom_score_adj);
		if (fd < 0 || write(fd, buf, (size_t)n) != n)
			fprintf(stderr, "cryo: cannot set oomScoreAdj: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	sync_send(a->sync_fd, SYNC_READY, 0, NULL);
	close(a->sync_fd);
	if (wait_for_start(fifo_fd) < 0)
		_exit(1);
	close(fifo_fd);
	fifo_fd = -1;
	/* From here on errors go to the container's stderr: cryo start has returned. */
	if (oci_hooks_run(&spec->hooks[OCI_HOOK_START_CONTAINER], "startContainer", state_json, &err) < 0 ||
	    process_set_user_and_caps(spec->process, spec->linux_ ? spec->linux_->seccomp : NULL, &err) < 0 ||
	    process_exec(spec->process, &err) < 0) {
		fprintf(stderr, "cryo: %s\n", err.msg);
		_exit(127);
	}
	_exit(127);
}

_noreturn_ void init_stage1(struct init_args *a)
{
	struct oci_error err = { 0 };
	struct sync_msg m;
	int gate[2];
	pid_t pid;

	/* The runtime puts us into the cgroups first, so a new cgroup ns is rooted there. */
	if (sync_recv(a->sync_fd, &m) < 0 || m.type != SYNC_GO)
		_exit(1);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* O_RDWR never blocks on a FIFO; stage 2's read blocks until start writes. */
	a->fifo_fd = open(a->fifo, O_RDWR | O_CLOEXEC);
	if (a->fifo_fd < 0) {
		oci_error_set(&err, errno, "cannot open %s: %s", a->fifo, strerror(errno));
		die(a->sync_fd, &err);
	}
	if (setup_namespaces(a, &err) < 0)
		die(a->sync_fd, &err);
	if (pipe2(gate, O_CLOEXEC) < 0) {
		oci_error_set(&err, errno, "pipe: %s", strerror(errno));
		die(a->sync_fd, &err);
	}
	pid = fork();
	if (pid < 0) {
		oci_error_set(&err, errno, "fork: %s", strerror(errno));
		die(a->sync_fd, &err);
	}
	if (pid == 0) {
		char c;
		prctl(PR_SET_PDEATHSIG, 0);
		close(gate[1]);
		/* Wait until the runtime knows our pid: later messages come from us. */
		if (read(gate[0], &c, 1) != 1)
			_exit(1);
		close(gate[0]);
		init_stage2(a);
	}
	sync_send(a->sync_fd, SYNC_PID, pid, NULL);
	if (write(gate[1], "g", 1) != 1)
		_exit(1);
	_exit(0);
}
