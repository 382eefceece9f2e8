/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * User namespaces, one level below the dumper's: uid_map, gid_map and
 * setgroups.  At restore the namespace is created first (it owns every other
 * namespace of the tree) by the restorer's clone(CLONE_NEWUSER), and the maps
 * are written from the parent, which has the capabilities in the parent
 * namespace that writing them needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "image.h"
#include "log.h"
#include "ns.h"
#include "util.h"
#include "proto/ns.pb-c.h"

#define MAP_EXTENTS_MAX	340	/* the kernel's limit per map */

static void free_map(UidGidExtent **ext, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ext[i]);
	free(ext);
}

/* Every extent malloc'ed on its own: the array goes into a message. */
static int read_map(pid_t pid, const char *file, UidGidExtent ***ret, size_t *ret_n)
{
	char path[64];
	unsigned first, lower, count;
	size_t n = 0;
	_cleanup_fclose_ FILE *f = NULL;
	UidGidExtent **ext;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ext = calloc(MAP_EXTENTS_MAX, sizeof(*ext));
	if (!ext)
		return -ENOMEM;
	while (n < MAP_EXTENTS_MAX && fscanf(f, "%u %u %u", &first, &lower, &count) == 3) {
		UidGidExtent *e = calloc(1, sizeof(*e));
		if (!e) {
			free_map(ext, n);
			return -ENOMEM;
		}
		uid_gid_extent__init(e);
		e->first = first;
		e->lower_first = lower;
		e->count = count;
		ext[n++] = e;
	}
	*ret = ext;
	*ret_n = n;
	return 0;
}

static int read_setgroups(pid_t pid, bool *ret)
{
	char path[64], buf[16] = "";
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), "/proc/%d/setgroups", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f))
		return -EBADMSG;
	*ret = !strncmp(buf, "allow", 5);
	return 0;
}

static int user_collect(pid_t pid, uint32_t ino, ProtobufCMessage **ret)
{
	UserNsEntry *e = calloc(1, sizeof(*e));
	bool allow = true;
	int r;

	if (!e)
		return -ENOMEM;
	user_ns_entry__init(e);
	*ret = &e->base;
	r = read_map(pid, "uid_map", &e->uid_map, &e->n_uid_map);
	if (r >= 0)
		r = read_map(pid, "gid_map", &e->gid_map, &e->n_gid_map);
	if (r >= 0)
		r = read_setgroups(pid, &allow);
	if (r < 0)
		return log_error_errno(r, "task %d: user namespace %u: cannot read its maps", pid, ino);
	e->setgroups_allowed = allow;
	return 0;
}

/* The whole map in one write: the kernel accepts a map only once. */
static int write_map(pid_t pid, const char *file, UidGidExtent *const *ext, size_t n)
{
	char path[64];
	_cleanup_free_ char *buf = malloc(n * 40 + 1);
	size_t len = 0;
	_cleanup_close_ int fd = -EBADF;

	if (!buf)
		return -ENOMEM;
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		len += sprintf(buf + len, "%u %u %u\n", ext[i]->first, ext[i]->lower_first, ext[i]->count);
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len)
		return -errno;
	return 0;
}

static int write_setgroups(pid_t pid, bool allow)
{
	char path[64];
	const char *v = allow ? "allow" : "deny";
	_cleanup_close_ int fd = -EBADF;

	snprintf(path, sizeof(path), "/proc/%d/setgroups", pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, v, strlen(v)) != (ssize_t)strlen(v))
		return -errno;
	return 0;
}

static int user_restore_create(const ProtobufCMessage *state, uint32_t ino, pid_t creator)
{
	const UserNsEntry *e = (const UserNsEntry *)state;
	int r;

	/* setgroups must be set before gid_map is written. */
	r = write_setgroups(creator, e->setgroups_allowed);
	if (r < 0)
		return log_error_errno(r, "user namespace %u: cannot write setgroups of task %d", ino, creator);
	r = write_map(creator, "uid_map", e->uid_map, e->n_uid_map);
	if (r < 0)
		return log_error_errno(r, "user namespace %u: cannot write uid_map of task %d", ino, creator);
	r = write_map(creator, "gid_map", e->gid_map, e->n_gid_map);
	if (r < 0)
		return log_error_errno(r, "user namespace %u: cannot write gid_map of task %d", ino, creator);
	return 0;
}

const struct ns_kind ns_kind_user = {
	.id = NS_USER,
	.name = "user",
	.clone_flag = CLONE_NEWUSER,
	.img = IMG_USERNS,
	.collect = user_collect,
	.restore_create = user_restore_create,
};

int ns_user_id_to_ns(pid_t pid, bool gid, uint32_t outer, uint32_t *ret)
{
	UidGidExtent **ext;
	size_t n;
	int r;

	r = read_map(pid, gid ? "gid_map" : "uid_map", &ext, &n);
	if (r < 0)
		return r;
	r = -ERANGE;
	for (size_t i = 0; i < n; i++)
		if (outer >= ext[i]->lower_first && outer - ext[i]->lower_first < ext[i]->count) {
			*ret = ext[i]->first + (outer - ext[i]->lower_first);
			r = 0;
			break;
		}
	free_map(ext, n);
	return r;
}
