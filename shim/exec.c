/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exec: a child joins the container's cgroups and namespaces (user first,
 * mount last), forks the process proper (so it lands in the pid namespace),
 * which sets up user, caps and seccomp and execs.  A CLOEXEC pipe reports
 * exec failures back; success closes it silently.
 */
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/close_range.h>
#include "container.h"
#include "cryo.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const int ns_order[] = { CLONE_NEWUSER, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID,
				CLONE_NEWCGROUP, CLONE_NEWTIME, CLONE_NEWNS };

struct ns_fds {
	int fd[ARRAY_SIZE(ns_order)];
};

/* Open the container's namespaces that differ from ours. */
static int open_namespaces(pid_t pid, struct ns_fds *n, struct oci_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns_order); i++) {
		const char *name = oci_namespace_proc_name(ns_order[i]);
		char theirs[64], ours[64];
		struct stat a, b;

		n->fd[i] = -1;
		snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", pid, name);
		snprintf(ours, sizeof(ours), "/proc/self/ns/%s", name);
		if (stat(theirs, &a) < 0) {
			if (errno == ENOENT && access("/proc/self/ns", F_OK) == 0 && stat(ours, &b) < 0)
				continue; /* the kernel lacks this namespace kind */
			return oci_error_set(err, errno, "cannot inspect %s: %s", theirs, strerror(errno));
		}
		if (stat(ours, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			continue;
		n->fd[i] = open(theirs, O_RDONLY | O_CLOEXEC);
		if (n->fd[i] < 0)
			return oci_error_set(err, errno, "cannot open %s: %s", theirs, strerror(errno));
	}
	return 0;
}

_noreturn_ static void report(int fd, const struct oci_error *err)
{
	if (write(fd, err->msg, strlen(err->msg)) < 0)
		_exit(126);
	_exit(127);
}

_noreturn_ static void exec_child(const struct oci_spec *spec, const struct oci_process *p,
				  const struct exec_opts *o, int console_fd, int errfd)
{
	struct oci_error err = { 0 };
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	syscall(SYS_close_range, 3 + (o->preserve_fds > 0 ? o->preserve_fds : 0), ~0U, CLOSE_RANGE_CLOEXEC);
	setsid();
	if (console_fd >= 0 && console_setup(console_fd, p, &err) < 0)
		report(errfd, &err);
	if (console_fd >= 0)
		close(console_fd);
	if (process_set_rlimits(p, &err) < 0 ||
	    process_set_user_and_caps(p, spec && spec->linux_ ? spec->linux_->seccomp : NULL, &err) < 0)
		report(errfd, &err);
	process_exec(p, &err);
	report(errfd, &err);
}

int container_exec(const struct oci_state *s, const struct oci_spec *spec, const struct oci_process *p,
		   const struct exec_opts *o, struct oci_error *err)
{
	struct ns_fds ns;
	_cleanup_close_ int console = -1;
	int errp[2] = { -1, -1 }, pidp[2] = { -1, -1 }, status, code = 0;
	char msg[4096];
	ssize_t n;
	sigset_t set;
	pid_t mid, pid = -1;

	if (p->terminal && !o->console_socket)
		return oci_error_set(err, EINVAL, "a detached terminal needs --console-socket");
	if (!p->args || !p->args[0])
		return oci_error_set(err, EINVAL, "no command to execute");
	if (open_namespaces(s->pid, &ns, err) < 0)
		return -err->code;
	if (o->console_socket && (console = console_connect(o->console_socket, err)) < 0)
		return console;
	if (pipe2(errp, O_CLOEXEC) < 0 || pipe2(pidp, O_CLOEXEC) < 0)
		return oci_error_set(err, errno, "pipe: %s", strerror(errno));
	if (!o->detach)
		foreground_prepare(&set);
	fflush(NULL);
	mid = fork();
	if (mid < 0)
		return oci_error_set(err, errno, "fork: %s", strerror(errno));
	if (mid == 0) {
		struct oci_error e = { 0 };
		close(errp[0]);
		close(pidp[0]);
		if (cgroups_enter(s->cgroup_paths, getpid(), &e) < 0)
			report(errp[1], &e);
		for (size_t i = 0; i < ARRAY_SIZE(ns_order); i++)
			if (ns.fd[i] >= 0 && setns(ns.fd[i], ns_order[i]) < 0) {
				oci_error_set(&e, errno, "cannot join the %s namespace: %s",
					      oci_namespace_proc_name(ns_order[i]), strerror(errno));
				report(errp[1], &e);
			}
		pid = fork();
		if (pid == 0)
			exec_child(spec, p, o, console, errp[1]);
		if (write(pidp[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		_exit(pid < 0);
	}
	close(errp[1]);
	close(pidp[1]);
	for (size_t i = 0; i < ARRAY_SIZE(ns_order); i++)
		if (ns.fd[i] >= 0)
			close(ns.fd[i]);
	if (read(pidp[0], &pid, sizeof(pid)) != sizeof(pid))
		pid = -1;
	close(pidp[0]);
	waitpid(mid, &status, 0);
	n = read(errp[0], msg, sizeof(msg) - 1);
	close(errp[0]);
	if (n > 0) {
		msg[n] = 0;
		if (pid > 0)
			waitpid(pid, &status, 0);
		return oci_error_set(err, EINVAL, "exec failed: %s", msg);
	}
	if (pid <= 0)
		return oci_error_set(err, ECHILD, "exec failed: the process could not be created");
	if (o->pid_file && write_pid_file(o->pid_file, pid, err) < 0)
		return -err->code;
	if (o->detach)
		return 0;
	if (o->tty) {
		if (tty_proxy_accept(o->tty, err) < 0) {
			kill(pid, SIGKILL);
			return -err->code;
		}
		return tty_proxy_wait(o->tty, pid, &set);
	}
	code = foreground_wait(pid, &set);
	return code;
}
