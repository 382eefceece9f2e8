/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ns-launch: start a test program as the init of its own namespaces, the way
 * a container runtime starts a container's first process.
 *
 *   ns-launch [--user | --user-shifted] [--pid] [--uts] [--ipc] [--cgroupns]
 *             [--time MONO,BOOT] --pidfile FILE -- PROG [ARGS...]
 *
 * The child is cloned with the user, pid, uts and ipc namespaces asked for;
 * the parent writes its uid/gid maps (0 -> 0 for one id, 1..1000 -> 100000..:
 * root stays the dumper's, the rest is a real map; with --user-shifted
 * 0..65535 -> 100000.., root mapped elsewhere as in a rootless or userns
 * container), then lets it go.  The child
 * creates its time namespace (offsets written before it joins) and cgroup
 * namespace (rooted at the cgroups it was started in) itself, starts its own
 * session and execs PROG.  The parent writes the child's pid (in the caller's
 * pid namespace) to FILE and exits.
 */
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "ns-launch: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die(path);
	close(fd);
}

static void write_maps(pid_t pid, bool shifted)
{
	char path[64];
	const char *map = shifted ? "0 100000 65536\n" : "0 0 1\n1 100000 1000\n";

	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	write_file(path, map);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	write_file(path, map);
}

static void enter_time_ns(const char *offsets)
{
	long mono, boot;
	char text[128];
	int fd;

	if (sscanf(offsets, "%ld,%ld", &mono, &boot) != 2) {
		fprintf(stderr, "ns-launch: bad --time '%s' (MONO,BOOT seconds)\n", offsets);
		exit(1);
	}
	if (unshare(CLONE_NEWTIME) < 0)
		die("unshare(CLONE_NEWTIME)");
	snprintf(text, sizeof(text), "monotonic %ld 0\nboottime %ld 0\n", mono, boot);
	write_file("/proc/self/timens_offsets", text);
	fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWTIME) < 0)
		die("setns(time_for_children)");
	close(fd);
}

int main(int argc, char **argv)
{
	int flags = 0, i, go[2];
	bool cgroupns = false, shifted = false;
	const char *time = NULL, *pidfile = NULL;
	char c;
	long pid;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--user"))
			flags |= CLONE_NEWUSER;
		else if (!strcmp(argv[i], "--user-shifted"))
			flags |= CLONE_NEWUSER, shifted = true;
		else if (!strcmp(argv[i], "--pid"))
			flags |= CLONE_NEWPID;
		else if (!strcmp(argv[i], "--uts"))
			flags |= CLONE_NEWUTS;
		else if (!strcmp(argv[i], "--ipc"))
			flags |= CLONE_NEWIPC;
		else if (!strcmp(argv[i], "--cgroupns"))
			cgroupns = true;
		else if (!strcmp(argv[i], "--time") && i + 1 < argc)
			time = argv[++i];
		else if (!strcmp(argv[i], "--pidfile") && i + 1 < argc)
			pidfile = argv[++i];
		else {
			fprintf(stderr, "ns-launch: unknown argument '%s'\n", argv[i]);
			return 1;
		}
	}
	if (i + 1 >= argc || !pidfile) {
		fprintf(stderr, "usage: ns-launch [--user | --user-shifted] [--pid] [--uts] [--ipc] [--cgroupns] "
				"[--time MONO,BOOT] --pidfile FILE -- PROG [ARGS...]\n");
		return 1;
	}
	if (pipe2(go, O_CLOEXEC) < 0)
		die("pipe");
	/* Like fork(), with namespaces; the child only execs. */
	pid = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0)
		die("clone");
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		close(go[0]);
		if ((flags & CLONE_NEWUSER) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
			die("setresuid(0)");
		if (time)
			enter_time_ns(time);
		if (cgroupns && unshare(CLONE_NEWCGROUP) < 0)
			die("unshare(CLONE_NEWCGROUP)");
		if (setsid() < 0)
			die("setsid");
		execvp(argv[i + 1], argv + i + 1);
		die(argv[i + 1]);
	}
	close(go[0]);
	if (flags & CLONE_NEWUSER)
		write_maps((pid_t)pid, shifted);
	FILE *f = fopen(pidfile, "we");
	if (!f || fprintf(f, "%ld\n", pid) < 0 || fclose(f) != 0)
		die(pidfile);
	if (write(go[1], "g", 1) != 1)
		die("pipe write");
	return 0;
}
