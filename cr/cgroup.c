// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cgroups of the dumped tasks: membership from /proc/PID/cgroup, properties
 * from the hierarchies as mounted in the caller's namespace (v1 controllers by
 * their mount options, v2 as the cgroup2 mount).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroup.h"
#include "log.h"
#include "util.h"
#include "proto/cgroup.pb-c.h"

/* Properties saved per controller, in the order they are written back
 * (cfs period before quota; cpuset before anything joins). */
static const struct {
	const char *controller;
	const char *props[6];
} v1_props[] = {
	{ "cpuset", { "cpuset.cpus", "cpuset.mems" } },
	{ "cpu", { "cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us" } },
	{ "memory", { "memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.swappiness" } },
	{ "pids", { "pids.max" } },
	{ "blkio", { "blkio.weight", "blkio.bfq.weight" } },
	{ "devices", { "devices.list" } },
};

static const char *const v2_props[] = {
	"cpuset.cpus", "cpuset.mems", "cpu.weight", "cpu.max", "memory.min", "memory.low",
	"memory.high", "memory.max", "memory.swap.max", "pids.max", "io.weight", NULL,
};

bool cg_prop_known(const char *name)
{
	if (!strcmp(name, "devices.list"))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(v1_props); i++)
		for (size_t k = 0; k < ARRAY_SIZE(v1_props[i].props) && v1_props[i].props[k]; k++)
			if (!strcmp(name, v1_props[i].props[k]))
				return true;
	for (size_t k = 0; v2_props[k]; k++)
		if (!strcmp(name, v2_props[k]))
			return true;
	return false;
}

int cg_mode_from_name(const char *name, enum cg_mode *ret)
{
	static const char *const names[] = { "ignore", "none", "props", "soft", "full", "strict" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i])) {
			*ret = (enum cg_mode)i;
			return 0;
		}
	return -EINVAL;
}

static bool has_token(const char *list, const char *tok)
{
	size_t l = strlen(tok);

	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, tok, l) && (p[l] == ',' || !p[l]))
			return true;
	return false;
}

static int read_file(const char *path, char **ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[8192];
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

static int add_prop(struct cg_dir *d, const char *name, char *value)
{
	struct cg_prop *np = realloc(d->props, (d->n_props + 1) * sizeof(*np));

	if (!np)
		return -ENOMEM;
	d->props = np;
	np[d->n_props].name = strdup(name);
	np[d->n_props].value = value;
	if (!np[d->n_props].name)
		return -ENOMEM;
	d->n_props++;
	return 0;
}

static int read_props(struct cg_dir *d, const char *dir)
{
	char path[PATH_MAX + 64];
	char *v;

	for (size_t i = 0; i < ARRAY_SIZE(v1_props) && *d->controllers; i++) {
		if (!has_token(d->controllers, v1_props[i].controller))
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(v1_props[i].props) && v1_props[i].props[k]; k++) {
			snprintf(path, sizeof(path), "%s/%s", dir, v1_props[i].props[k]);
			if (read_file(path, &v) < 0)
				continue;	/* not in this kernel (blkio.bfq.*, swap accounting off) */
			if (add_prop(d, v1_props[i].props[k], v) < 0)
				return -ENOMEM;
		}
	}
	for (size_t k = 0; !*d->controllers && v2_props[k]; k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, v2_props[k]);
		if (read_file(path, &v) < 0)
			continue;	/* controller not enabled for this cgroup */
		if (add_prop(d, v2_props[k], v) < 0)
			return -ENOMEM;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, *d->controllers ? "freezer.state" : "cgroup.freeze");
	if ((!*d->controllers || has_token(d->controllers, "freezer")) && read_file(path, &v) >= 0) {
		d->frozen = !strcmp(v, "FROZEN") || !strcmp(v, "FREEZING") || !strcmp(v, "1");
		free(v);
	}
	return 0;
}

static int find_or_add_dir(struct cg_state *s, const char *controllers, const char *path, pid_t pid)
{
	char mnt[PATH_MAX], dir[PATH_MAX];
	struct cg_dir *nd;
	int r;

	for (size_t i = 0; i < s->n_dirs; i++)
		if (!strcmp(s->dirs[i].controllers, controllers) && !strcmp(s->dirs[i].path, path))
			return (int)i;
	r = cg_hierarchy_mount(controllers, mnt, sizeof(mnt));
	if (r < 0)
		return log_error_errno(r, "task %d: cgroup %s:%s: its hierarchy is not mounted here", (int)pid,
				       *controllers ? controllers : "(v2)", path);
	nd = realloc(s->dirs, (s->n_dirs + 1) * sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	s->dirs = nd;
	nd = &s->dirs[s->n_dirs++];
	memset(nd, 0, sizeof(*nd));
	nd->controllers = strdup(controllers);
	nd->path = strdup(path);
	if (!nd->controllers || !nd->path)
		return -ENOMEM;
	snprintf(dir, sizeof(dir), "%s%s", mnt, path);
	r = read_props(nd, dir);
	if (r < 0)
		return r;
	if (nd->frozen) {
		s->frozen = true;
		log_info("task %d is in the frozen cgroup %s:%s: the tree is paused and stays so", (int)pid,
			 *controllers ? controllers : "(v2)", path);
	}
	return (int)(s->n_dirs - 1);
}

static int collect_task(struct cg_state *s, pid_t pid)
{
	char path[64];
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	struct cg_member *m;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return log_error_errno(-errno, "task %d: %s", (int)pid, path);
	m = realloc(s->members, (s->n_members + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	s->members = m;
	m = &s->members[s->n_members++];
	memset(m, 0, sizeof(*m));
	m->pid = pid;
	while (getline(&line, &cap, f) > 0) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		unsigned *nd;

		if (!c2)
			return log_error_errno(-EINVAL, "task %d: %s: bad line '%s'", (int)pid, path, line);
		*c2 = 0;
		c2[1 + strcspn(c2 + 1, "\n")] = 0;
		/* An empty v2 hierarchy line on a v1 host ("0::/") is kept too: the
		 * cgroup2 mount exists and membership there is real. */
		int idx = find_or_add_dir(s, c1 + 1, c2 + 1, pid);
		if (idx < 0)
			return idx;
		nd = realloc(m->dirs, (m->n_dirs + 1) * sizeof(*nd));
		if (!nd)
			return -ENOMEM;
		m->dirs = nd;
		m->dirs[m->n_dirs++] = (unsigned)idx;
	}
	return 0;
}

int cg_collect(const pid_t *pids, size_t n, struct cg_state **ret)
{
	struct cg_state *s = calloc(1, sizeof(*s));
	int r = 0;

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = collect_task(s, pids[i]);
	if (r < 0) {
		cg_state_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

void cg_state_free(struct cg_state *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_dirs; i++) {
		for (size_t k = 0; k < s->dirs[i].n_props; k++) {
			free(s->dirs[i].props[k].name);
			free(s->dirs[i].props[k].value);
		}
		free(s->dirs[i].props);
		free(s->dirs[i].controllers);
		free(s->dirs[i].path);
	}
	for (size_t i = 0; i < s->n_members; i++)
		free(s->members[i].dirs);
	free(s->dirs);
	free(s->members);
	free(s);
}
