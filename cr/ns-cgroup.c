/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cgroup namespace of a tree.  Its only state is its root in each
 * hierarchy: the cgroups its creator was in when it unshared it.  Seen from
 * inside, /proc/PID/cgroup shows paths below that root; from the dumper's
 * namespace, the whole path.  The root is the whole path with the inside
 * part cut off.  Restore (restore-ns.c): the tree root is put in those
 * cgroups, unshares, and then joins its own cgroups.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "image.h"
#include "log.h"
#include "ns.h"
#include "util.h"
#include "proto/ns.pb-c.h"

static int cgroup_ns_ino(pid_t pid, uint32_t *ret)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/cgroup", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/cgroup");
	if (stat(path, &st) < 0)
		return -errno;
	*ret = (uint32_t)st.st_ino;
	return 0;
}

int ns_cgroup_check(const pid_t *pids, const bool *zombie, unsigned n, uint32_t *ret_ino)
{
	uint32_t self, root = 0;
	int r = cgroup_ns_ino(0, &self);

	if (r == -ENOENT) {	/* no cgroup namespaces in this kernel */
		*ret_ino = 0;
		return 0;
	}
	if (r < 0)
		return log_error_errno(r, "cannot read the dumper's own cgroup namespace");
	for (unsigned i = 0; i < n; i++) {
		uint32_t ino;

		if (zombie && zombie[i])
			continue;
		r = cgroup_ns_ino(pids[i], &ino);
		if (r < 0)
			return log_error_errno(r, "task %d: cannot read its cgroup namespace", pids[i]);
		if (!i)
			root = ino;
		else if (ino != root) {
			log_error("task %d: cgroup namespace %u differs from the tree root's (%d, %u): "
				  "tasks in different cgroup namespaces are not supported", pids[i], ino, pids[0], root);
			return -EOPNOTSUPP;
		}
	}
	*ret_ino = root == self ? 0 : root;
	return 0;
}

/* One line of /proc/PID/cgroup: "ID:CONTROLLERS:PATH". */
static int split_line(char *line, char **controllers, char **path)
{
	char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;

	if (!b)
		return -EBADMSG;
	*b = 0;
	*controllers = a + 1;
	*path = b + 1;
	(*path)[strcspn(*path, "\n")] = 0;
	return 0;
}

struct inside {
	pid_t pid;
	char *text;
};

static int read_inside(void *arg)
{
	struct inside *in = arg;
	char path[64], buf[8192];
	_cleanup_fclose_ FILE *f = NULL;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", in->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	in->text = strdup(buf);
	return in->text ? 0 : -ENOMEM;
}

/* The root: the whole path without the inside part (its suffix). */
static int root_of(const char *whole, const char *inside, char **ret)
{
	size_t lw = strlen(whole), li = strlen(inside);

	if (!strcmp(inside, "/")) {
		*ret = strdup(whole);
		return *ret ? 0 : -ENOMEM;
	}
	if (!strncmp(inside, "/..", 3) || li > lw || strcmp(whole + lw - li, inside))
		return -EXDEV;
	if (lw - li == 0)
		*ret = strdup("/");
	else
		*ret = strndup(whole, lw - li);
	return *ret ? 0 : -ENOMEM;
}

static void entry_free(CgroupNsEntry *e)
{
	for (size_t i = 0; i < e->n_roots; i++) {
		free(e->roots[i]->controllers);
		free(e->roots[i]->path);
		free(e->roots[i]);
	}
	free(e->roots);
}

static int add_root(CgroupNsEntry *e, const char *controllers, char *path)
{
	CgroupNsRoot **v = realloc(e->roots, (e->n_roots + 1) * sizeof(*v));
	CgroupNsRoot *x = calloc(1, sizeof(*x));

	if (v)
		e->roots = v;
	if (!v || !x) {
		free(x);
		free(path);
		return -ENOMEM;
	}
	cgroup_ns_root__init(x);
	x->controllers = strdup(controllers);
	x->path = path;
	e->roots[e->n_roots++] = x;
	return x->controllers ? 0 : -ENOMEM;
}

static int collect_roots(pid_t pid, const char *outside, const char *inside, CgroupNsEntry *e)
{
	_cleanup_free_ char *out = strdup(outside), *in = strdup(inside);
	char *so = NULL, *si = NULL;

	if (!out || !in)
		return -ENOMEM;
	for (char *lo = strtok_r(out, "\n", &so), *li = strtok_r(in, "\n", &si); lo && li;
	     lo = strtok_r(NULL, "\n", &so), li = strtok_r(NULL, "\n", &si)) {
		char *co, *po, *ci, *pi, *root;
		int r = split_line(lo, &co, &po);

		if (r >= 0)
			r = split_line(li, &ci, &pi);
		if (r >= 0 && strcmp(co, ci))
			r = -EBADMSG;
		if (r < 0)
			return log_error_errno(r, "task %d: /proc/%d/cgroup reads differently from inside its cgroup namespace",
					       pid, pid);
		r = root_of(po, pi, &root);
		if (r == -EXDEV) {
			log_error("task %d: its cgroup %s:%s is outside its cgroup namespace (seen as %s): not supported",
				  pid, co, po, pi);
			return -EOPNOTSUPP;
		}
		if (r >= 0)
			r = add_root(e, co, root);
		if (r < 0)
			return r;
	}
	return 0;
}

int ns_cgroup_dump(pid_t pid, uint32_t ino, struct img_dir *d)
{
	struct inside outside = { .pid = pid }, inside = { .pid = pid };
	CgroupNsEntry e = CGROUP_NS_ENTRY__INIT;
	struct img *img;
	int r, rc;

	r = read_inside(&outside);
	if (r >= 0)
		r = ns_run_in(pid, CLONE_NEWCGROUP, read_inside, &inside);
	if (r >= 0)
		r = collect_roots(pid, outside.text, inside.text, &e);
	free(outside.text);
	free(inside.text);
	if (r >= 0)
		r = img_open(d, IMG_CGROUPNS, true, &img, ino);
	if (r >= 0) {
		r = img_write(img, &e.base);
		rc = img_close(img);
		if (r >= 0)
			r = rc;
	}
	entry_free(&e);
	if (r < 0 && r != -EOPNOTSUPP)
		return log_error_errno(r, "task %d: cannot dump its cgroup namespace %u", pid, ino);
	return r;
}

int ns_cgroup_load(struct img_dir *d, uint32_t ino, struct CgroupNsEntry **ret)
{
	struct img *img;
	ProtobufCMessage *m;
	int r = img_open(d, IMG_CGROUPNS, false, &img, ino);

	if (r < 0)
		return log_error_errno(r, "cgroup namespace %u: cannot open its image", ino);
	r = img_read_one(img, &m);
	img_close(img);
	if (r < 0)
		return r;
	*ret = (CgroupNsEntry *)m;
	for (size_t i = 0; i < (*ret)->n_roots; i++) {
		const char *p = (*ret)->roots[i]->path;

		if (p[0] != '/' || strstr(p, "/../") || strstr(p, "/./") ||
		    (strlen(p) >= 3 && !strcmp(p + strlen(p) - 3, "/..")) || !strcmp(p, "/.")) {
			log_error("cgroupns-%u.img: bad cgroup path '%s'", ino, p);
			img_free_msg(m);
			*ret = NULL;
			return -EBADMSG;
		}
	}
	return 0;
}
