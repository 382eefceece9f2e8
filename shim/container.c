/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state directory of a container and what it says about the container's life. */
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include "container.h"
#include "cryo.h"

int container_id_valid(const char *id, struct oci_error *err)
{
	if (!id || !*id)
		return oci_error_set(err, EINVAL, "container id cannot be empty");
	if (!strcmp(id, ".") || !strcmp(id, "..") || strlen(id) > 1024)
		return oci_error_set(err, EINVAL, "invalid container id \"%s\"", id);
	for (const char *p = id; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
		      strchr("_+-.", *p)))
			return oci_error_set(err, EINVAL, "invalid container id \"%s\": use [A-Za-z0-9_+.-]", id);
	return 0;
}

char *container_dir(const char *id)
{
	char *p;

	return asprintf(&p, "%s/%s", cryo_globals.root, id) < 0 ? NULL : p;
}

char *container_file(const char *id, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s/%s", cryo_globals.root, id, name) < 0 ? NULL : p;
}

int container_load(const char *id, struct oci_state **ret, struct oci_error *err)
{
	_cleanup_free_ char *path = NULL;
	int r;

	r = container_id_valid(id, err);
	if (r < 0)
		return r;
	path = container_file(id, "state.json");
	if (!path)
		return oci_error_set(err, ENOMEM, "out of memory");
	if (access(path, F_OK) < 0)
		return oci_error_set(err, ENOENT, "container \"%s\" does not exist", id);
	return oci_state_load(path, ret, err);
}

uint64_t proc_start_time(pid_t pid, bool *zombie)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	_cleanup_close_ int fd = -1;
	ssize_t n;
	char state;

	if (zombie)
		*zombie = false;
	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* comm may hold spaces and parentheses: fields restart after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 &state, &start) != 2)
		return 0;
	if (zombie)
		*zombie = state == 'Z' || state == 'X';
	return start;
}

enum oci_status container_status(const struct oci_state *s)
{
	_cleanup_free_ char *fifo = container_file(s->id, "exec.fifo");
	bool zombie;
	uint64_t start = proc_start_time(s->pid, &zombie);

	if (!start || start != s->pid_start || zombie)
		return OCI_STATUS_STOPPED;
	if (fifo && access(fifo, F_OK) == 0)
		return OCI_STATUS_CREATED;
	if (cgroups_frozen(s->cgroup_paths))
		return OCI_STATUS_PAUSED;
	return OCI_STATUS_RUNNING;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int container_remove_dir(const char *id)
{
	_cleanup_free_ char *dir = container_dir(id);

	if (!dir)
		return -ENOMEM;
	if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		return negative_errno();
	return 0;
}

int write_pid_file(const char *path, pid_t pid, struct oci_error *err)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	char buf[32];
	int n;

	if (asprintf(&tmp, "%s.cryo-tmp", path) < 0)
		return oci_error_set(err, ENOMEM, "out of memory");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return oci_error_set(err, errno, "cannot create pid file %s: %s", tmp, strerror(errno));
	/* No newline: runc writes none, and some engines parse the file strictly. */
	n = snprintf(buf, sizeof(buf), "%d", pid);
	if (write(fd, buf, (size_t)n) != n || rename(tmp, path) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		return oci_error_set(err, e, "cannot write pid file %s: %s", path, strerror(e));
	}
	return 0;
}

int container_load_spec(const struct oci_state *s, struct oci_spec **ret, struct oci_error *err)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/config.json", s->bundle) < 0)
		return oci_error_set(err, ENOMEM, "out of memory");
	return oci_spec_load(path, ret, err);
}

int container_signal_all(const struct oci_state *s, int sig)
{
	_cleanup_free_ pid_t *pids = NULL;
	int n = cgroups_pids(s->cgroup_paths, &pids);

	/* Signals queue on frozen tasks too; destroy thaws afterwards so SIGKILL lands. */
	for (int i = 0; i < n; i++)
		kill(pids[i], sig);
	if (s->pid > 0 && proc_start_time(s->pid, NULL) == s->pid_start)
		kill(s->pid, sig);
	return 0;
}

int wait_pid_gone(pid_t pid, uint64_t start, int timeout_ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		bool zombie;
		uint64_t st = proc_start_time(pid, &zombie);
		if (!st || st != start || zombie)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

int mkdir_parents(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			if (mkdir(p, mode) < 0 && errno != EEXIST)
				return negative_errno();
			*s = '/';
		}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return negative_errno();
	return 0;
}
