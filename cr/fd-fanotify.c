/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fanotify: the group's fanotify_init flags and event flags, and each mark
 * from fdinfo: inode marks (a file handle, opened again like an inotify
 * target), mount marks (the mount point, read from the task's mountinfo)
 * and filesystem marks (a mount of the device), each with its mask,
 * ignored mask and mark flags.  Events already queued cannot be put back
 * (and permission events wait for an answer): a group with events queued
 * is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "fds.h"
#include "log.h"
#include "util.h"

#define MARK_INODE	0
#define MARK_MOUNT	FAN_MARK_MOUNT
#define MARK_FS		FAN_MARK_FILESYSTEM

static bool fanotify_match(const struct fd_probe *p)
{
	return !strcmp(p->link, "anon_inode:[fanotify]");
}

/* The mount point of mount id in pid's mountinfo. */
static int mount_point(int pid, int mnt_id, char **ret)
{
	char path[64], line[4096], point[4096];
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");

	if (!f)
		return negative_errno();
	while (fgets(line, sizeof(line), f)) {
		int id;
		if (sscanf(line, "%d %*d %*s %*s %4095s", &id, point) == 2 && id == mnt_id) {
			*ret = strdup(point);
			return *ret ? 0 : -ENOMEM;
		}
	}
	return -ENOENT;
}

static int parse_mark(const struct fd_probe *p, const char *l, FanotifyMark *m)
{
	unsigned long ino;
	unsigned sdev, mflags, mask, ignored, bytes, mnt;
	int type, pos = 0;

	if (sscanf(l, "fanotify ino:%lx sdev:%x mflags:%x mask:%x ignored_mask:%x fhandle-bytes:%x fhandle-type:%x f_handle:%n",
		   &ino, &sdev, &mflags, &mask, &ignored, &bytes, &type, &pos) == 7 && pos && bytes <= 128) {
		m->type = MARK_INODE;
		m->has_sdev = m->has_handle_type = m->has_handle = true;
		m->sdev = sdev;
		m->handle_type = type;
		m->mflags = mflags;
		m->mask = mask;
		m->ignored_mask = ignored;
		return fdinfo_hex_bytes(l + pos, bytes, &m->handle);
	}
	if (sscanf(l, "fanotify mnt_id:%x mflags:%x mask:%x ignored_mask:%x", &mnt, &mflags, &mask, &ignored) == 4) {
		m->type = MARK_MOUNT;
		m->has_mnt_id = true;
		m->mnt_id = mnt;
		m->mflags = mflags;
		m->mask = mask;
		m->ignored_mask = ignored;
		int r = mount_point(p->pid, mnt, &m->mnt_path);
		if (r < 0)
			log_error_errno(r, "pid %d fd %d: fanotify mount mark: no mount %d", p->pid, p->fd, mnt);
		return r;
	}
	if (sscanf(l, "fanotify sdev:%x mflags:%x mask:%x ignored_mask:%x", &sdev, &mflags, &mask, &ignored) == 4) {
		m->type = MARK_FS;
		m->has_sdev = true;
		m->sdev = sdev;
		m->mflags = mflags;
		m->mask = mask;
		m->ignored_mask = ignored;
		return 0;
	}
	return -EBADMSG;
}

static int fanotify_collect(struct fd_ctx *ctx _unused_, const struct fd_probe *p, FileEntry *e)
{
	FanotifyFile *fa = calloc(1, sizeof(*fa));
	int queued = 0, r;

	if (!fa)
		return -ENOMEM;
	fanotify_file__init(fa);
	e->fanotify = fa;
	e->has_pos = false;
	if (ioctl(p->local_fd, FIONREAD, &queued) < 0)
		return negative_errno();
	if (queued > 0) {
		log_error("pid %d fd %d: fanotify has %d bytes of events queued; not supported", p->pid, p->fd, queued);
		return -EOPNOTSUPP;
	}
	const char *head = strstr(p->fdinfo, "fanotify flags:");
	if (!head || sscanf(head, "fanotify flags:%x event-flags:%x", &fa->init_flags, &fa->event_flags) != 2)
		return -EBADMSG;
	for (const char *l = p->fdinfo; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		FanotifyMark *m, **n;

		if (strncmp(l, "fanotify ", 9) || !strncmp(l, "fanotify flags:", 15))
			continue;
		n = realloc(fa->marks, (fa->n_marks + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		fa->marks = n;
		m = calloc(1, sizeof(*m));
		if (!m)
			return -ENOMEM;
		fanotify_mark__init(m);
		fa->marks[fa->n_marks++] = m;
		r = parse_mark(p, l, m);
		if (r < 0)
			return log_error_errno(r, "pid %d fd %d: cannot read fanotify mark '%.60s'", p->pid, p->fd, l);
	}
	return 0;
}

/* fanotify_mark on the mark's object: path, and *ret_fd to close after */
static int mark_target(const FanotifyMark *m, int *ret_fd, char proc[static 64], const char **ret_path)
{
	*ret_fd = -1;
	switch (m->type) {
	case MARK_INODE:
	case MARK_FS:
		/* fanotify_mark does not take an O_PATH fd itself: its /proc/self/fd link */
		*ret_fd = m->type == MARK_INODE ? fd_open_by_handle(m->sdev, m->handle_type, &m->handle)
						: fd_open_mount_of_sdev(m->sdev);
		if (*ret_fd < 0)
			return *ret_fd;
		snprintf(proc, 64, "/proc/self/fd/%d", *ret_fd);
		*ret_path = proc;
		return 0;
	case MARK_MOUNT:
		if (!m->mnt_path)
			return -EBADMSG;
		*ret_path = m->mnt_path;
		return 0;
	}
	return -EBADMSG;
}

static int add_mark(int fan, const FanotifyMark *m)
{
	const char *path;
	char proc[64];
	int fd, r = mark_target(m, &fd, proc, &path);
	unsigned flags = FAN_MARK_ADD | m->type | (m->mflags & ~FAN_MARK_IGNORED_SURV_MODIFY);

	if (r < 0)
		return r;
	if (m->mask && fanotify_mark(fan, flags, m->mask, AT_FDCWD, path) < 0)
		r = negative_errno();
	if (r >= 0 && m->ignored_mask &&
	    fanotify_mark(fan, flags | FAN_MARK_IGNORED_MASK | (m->mflags & FAN_MARK_IGNORED_SURV_MODIFY),
			  m->ignored_mask, AT_FDCWD, path) < 0)
		r = negative_errno();
	if (fd >= 0)
		close(fd);
	return r;
}

static int fanotify_restore(struct fd_ctx *ctx _unused_, const FileEntry *e, int *ret_fd)
{
	const FanotifyFile *fa = e->fanotify;
	_cleanup_close_ int fd = fanotify_init(fa->init_flags | FAN_CLOEXEC, fa->event_flags);

	if (fd < 0)
		return log_error_errno(negative_errno(), "fanotify_init(%#x, %#x)", fa->init_flags, fa->event_flags);
	for (size_t i = 0; i < fa->n_marks; i++) {
		const FanotifyMark *m = fa->marks[i];
		int r = add_mark(fd, m);
		if (r < 0)
			return log_error_errno(r, "fanotify file %u: cannot add its %s mark (mask %#llx)", e->id,
					       m->type == MARK_INODE ? "inode" : m->type == MARK_MOUNT ? "mount" : "filesystem",
					       (unsigned long long)m->mask);
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

const struct fd_kind_ops fd_fanotify_ops = {
	.name = "fanotify",
	.kind = FD_KIND__FDK_FANOTIFY,
	.match = fanotify_match,
	.collect = fanotify_collect,
	.restore = fanotify_restore,
};
