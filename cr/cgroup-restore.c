// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Restoring cgroups per --manage-cgroups mode (see cgroup.h): create and fill
 * the cgroups before the tasks exist, put each new task where its old one
 * was, and freeze what was frozen once everything is in.
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
#include "mnt.h"
#include "util.h"

static const char *const mode_names[] = { "ignore", "none", "props", "soft", "full", "strict" };

int cg_hierarchy_mount(const char *controllers, char *buf, size_t len)
{
	_cleanup_mnt_tree_ struct mnt_tree *t = NULL;
	int r = mnt_parse_mountinfo("/proc/self/mountinfo", &t);

	if (r < 0)
		return r;
	for (size_t i = 0; i < t->n; i++) {
		const struct mnt_node *m = &t->m[i];
		bool match = !strcmp(m->root, "/");

		if (match && !*controllers)
			match = !strcmp(m->fstype, "cgroup2");
		else if (match) {
			_cleanup_free_ char *c = strdup(controllers);
			_cleanup_free_ char *opts = malloc(strlen(m->super_opts) + 3);
			char *save = NULL;

			if (!c || !opts)
				return -ENOMEM;
			sprintf(opts, ",%s,", m->super_opts);
			match = !strcmp(m->fstype, "cgroup");
			for (char *tok = strtok_r(c, ",", &save); match && tok; tok = strtok_r(NULL, ",", &save)) {
				char want[128];
				snprintf(want, sizeof(want), ",%s,", tok);
				match = strstr(opts, want) != NULL;
			}
		}
		if (match) {
			snprintf(buf, len, "%s", m->mountpoint);
			return 0;
		}
	}
	return -ENOENT;
}

/* The directory of a dumped cgroup on this host, with --cgroup-root applied. */
static int cg_dir_path(const struct cg_dir *d, const struct cg_restore_opts *o, char *buf, size_t len)
{
	char mnt[PATH_MAX];
	const char *path = d->path, *prefix = "";
	int r = cg_hierarchy_mount(d->controllers, mnt, sizeof(mnt));

	if (r < 0)
		return log_error_errno(r, "cgroup hierarchy %s is not mounted here", *d->controllers ? d->controllers : "(v2)");
	for (size_t i = 0; i < o->n_remap; i++) {
		const struct cg_remap *m = &o->remap[i];
		size_t l = strlen(m->from);

		if (m->controllers && strcmp(m->controllers, d->controllers))
			continue;
		if (!strcmp(m->from, "/"))
			l = 0;
		if (!strncmp(path, m->from, l) && (path[l] == '/' || !path[l])) {
			prefix = m->to;
			path += l;
			break;
		}
	}
	snprintf(buf, len, "%s%s%s", mnt, prefix, path);
	return 0;
}

static int note_created(struct cg_created *c, const char *dir)
{
	char **dirs;

	if (!c)
		return 0;
	dirs = realloc(c->dirs, (c->n + 1) * sizeof(*dirs));
	if (!dirs)
		return -ENOMEM;
	c->dirs = dirs;
	c->dirs[c->n] = strdup(dir);
	if (!c->dirs[c->n])
		return -ENOMEM;
	c->n++;
	return 0;
}

static int mkdir_p(const char *path, struct cg_created *created)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = strchr(p + 1, '/'); ; s = strchr(s + 1, '/')) {
		if (s)
			*s = 0;
		if (mkdir(p, 0755) == 0) {
			int r = note_created(created, p);
			if (r < 0)
				return r;
		} else if (errno != EEXIST)
			return -errno;
		if (!s)
			return 0;
		*s = '/';
	}
}

static int write_file(const char *dir, const char *name, const char *value)
{
	char path[PATH_MAX + 64];
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value, strlen(value)) < 0)
		return -errno;
	return 0;
}

/* devices.list is restored as: deny everything, then allow each line. */
static int write_devices(const char *dir, const char *list)
{
	_cleanup_free_ char *copy = strdup(list);
	char *save = NULL;
	int r;

	if (!copy)
		return -ENOMEM;
	r = write_file(dir, "devices.deny", "a");
	for (char *l = strtok_r(copy, "\n", &save); r >= 0 && l; l = strtok_r(NULL, "\n", &save))
		r = write_file(dir, "devices.allow", l);
	return r;
}

static int write_props(const struct cg_dir *d, const char *dir)
{
	for (size_t k = 0; k < d->n_props; k++) {
		const struct cg_prop *p = &d->props[k];
		int r = !strcmp(p->name, "devices.list") ? write_devices(dir, p->value) :
			write_file(dir, p->name, p->value);

		if (r < 0)
			return log_error_errno(r, "cgroup %s:%s: cannot set %s to '%s'",
					       *d->controllers ? d->controllers : "(v2)", d->path, p->name, p->value);
	}
	return 0;
}

static bool is_hierarchy_root(const struct cg_dir *d, const char *dir)
{
	char mnt[PATH_MAX];

	return cg_hierarchy_mount(d->controllers, mnt, sizeof(mnt)) >= 0 && !strcmp(mnt, dir);
}

static int restore_dir(const struct cg_dir *d, const struct cg_restore_opts *o, struct cg_created *created)
{
	char dir[PATH_MAX];
	struct stat st;
	bool exists;
	int r = cg_dir_path(d, o, dir, sizeof(dir));

	if (r < 0)
		return r;
	exists = stat(dir, &st) == 0;
	if (!exists && (o->mode == CG_MODE_NONE || o->mode == CG_MODE_PROPS))
		return log_error_errno(-ENOENT, "cgroup %s (%s:%s) does not exist: --manage-cgroups %s needs it made beforehand",
				       dir, *d->controllers ? d->controllers : "(v2)", d->path, mode_names[o->mode]);
	if (exists && o->mode == CG_MODE_STRICT && strcmp(d->path, "/"))
		return log_error_errno(-EEXIST, "cgroup %s exists: --manage-cgroups strict needs it absent", dir);
	if (!exists && (r = mkdir_p(dir, created)) < 0)
		return log_error_errno(r, "cannot create cgroup %s", dir);
	/* The root of a hierarchy is the host's: never changed. */
	if (!strcmp(dir + strlen(dir) - 1, "/") || is_hierarchy_root(d, dir))
		return 0;
	if (o->mode == CG_MODE_PROPS || o->mode == CG_MODE_FULL || o->mode == CG_MODE_STRICT ||
	    (o->mode == CG_MODE_SOFT && !exists))
		return write_props(d, dir);
	return 0;
}

int cg_restore_dirs_tracked(const struct cg_state *s, const struct cg_restore_opts *o, struct cg_created *created)
{
	int r = 0;

	if (o->mode == CG_MODE_IGNORE)
		return 0;
	for (size_t i = 0; r >= 0 && i < s->n_dirs; i++)
		r = restore_dir(&s->dirs[i], o, created);
	return r;
}

int cg_restore_dirs(const struct cg_state *s, const struct cg_restore_opts *o)
{
	return cg_restore_dirs_tracked(s, o, NULL);
}

void cg_created_free(struct cg_created *created)
{
	for (size_t i = 0; i < created->n; i++)
		free(created->dirs[i]);
	free(created->dirs);
	*created = (struct cg_created){ 0 };
}

/* Killed tasks leave their cgroups as they exit: rmdir may see them for a moment (EBUSY). */
static int remove_dir(const char *dir)
{
	char state[PATH_MAX + 32];

	snprintf(state, sizeof(state), "%s/freezer.state", dir);
	if (access(state, F_OK) == 0)
		(void)write_file(dir, "freezer.state", "THAWED");
	snprintf(state, sizeof(state), "%s/cgroup.freeze", dir);
	if (access(state, F_OK) == 0)
		(void)write_file(dir, "cgroup.freeze", "0");
	for (int i = 0; i < 100; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		usleep(10000);
	}
	return -errno;
}

void cg_remove_created(struct cg_created *created)
{
	for (size_t i = created->n; i-- > 0;) {
		int r = remove_dir(created->dirs[i]);

		if (r < 0)
			log_warn("cannot remove the cgroup %s this failed restore created: %s", created->dirs[i],
				 strerror(-r));
		else
			log_debug("removed the cgroup %s this failed restore created", created->dirs[i]);
	}
	cg_created_free(created);
}

int cg_attach(const struct cg_state *s, const struct cg_restore_opts *o, pid_t old_pid, pid_t new_pid)
{
	const struct cg_member *m = NULL;
	char dir[PATH_MAX], pid[16];

	if (o->mode == CG_MODE_IGNORE)
		return 0;
	for (size_t i = 0; i < s->n_members; i++)
		if (s->members[i].pid == old_pid)
			m = &s->members[i];
	if (!m)
		return log_error_errno(-ENOENT, "cgroup.img has no task %d", (int)old_pid);
	snprintf(pid, sizeof(pid), "%d", (int)new_pid);
	for (size_t k = 0; k < m->n_dirs; k++) {
		const struct cg_dir *d = &s->dirs[m->dirs[k]];
		int r = cg_dir_path(d, o, dir, sizeof(dir));

		if (r >= 0)
			r = write_file(dir, "cgroup.procs", pid);
		if (r < 0)
			return log_error_errno(r, "task %d (was %d): cannot join cgroup %s", (int)new_pid, (int)old_pid, dir);
	}
	return 0;
}

int cg_restore_freeze(const struct cg_state *s, const struct cg_restore_opts *o)
{
	char dir[PATH_MAX];

	if (o->mode == CG_MODE_IGNORE)
		return 0;
	for (size_t i = 0; i < s->n_dirs; i++) {
		const struct cg_dir *d = &s->dirs[i];
		int r;

		if (!d->frozen)
			continue;
		r = cg_dir_path(d, o, dir, sizeof(dir));
		if (r >= 0)
			r = write_file(dir, *d->controllers ? "freezer.state" : "cgroup.freeze", *d->controllers ? "FROZEN" : "1");
		if (r < 0)
			return log_error_errno(r, "cannot freeze cgroup %s", dir);
	}
	return 0;
}

int cg_attach_dir(const struct cg_restore_opts *o, const char *controllers, const char *path, pid_t pid)
{
	struct cg_dir d = { .controllers = (char *)controllers, .path = (char *)path };
	char dir[PATH_MAX], spid[16];
	int r = cg_dir_path(&d, o, dir, sizeof(dir));

	snprintf(spid, sizeof(spid), "%d", (int)pid);
	if (r >= 0)
		r = write_file(dir, "cgroup.procs", spid);
	if (r < 0)
		return log_error_errno(r, "task %d: cannot join cgroup %s", (int)pid, dir);
	return 0;
}
