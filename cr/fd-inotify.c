/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inotify: each watch (wd, mask, the target as a file handle) from fdinfo.
 * Restore opens each target with open_by_handle_at (needs
 * CAP_DAC_READ_SEARCH) on the mount with the same device, and gets the same
 * wd by adding the watches in wd order on a fresh instance, skipping numbers
 * with short-lived watches on a scratch memfd.  Pending events cannot be
 * put back: an instance with events queued is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "fds.h"
#include "log.h"
#include "util.h"

static bool inotify_match(const struct fd_probe *p)
{
	return !strcmp(p->link, "anon_inode:inotify");
}

int fdinfo_hex_bytes(const char *s, size_t n, ProtobufCBinaryData *ret)
{
	ret->data = malloc(n ? n : 1);
	if (!ret->data)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EBADMSG;
		ret->data[i] = v;
	}
	ret->len = n;
	return 0;
}

static int parse_watch(const char *l, InotifyWatch *w)
{
	unsigned wd, sdev, mask, ignored, bytes;
	int type, pos = 0;
	unsigned long ino;

	if (sscanf(l, "inotify wd:%x ino:%lx sdev:%x mask:%x ignored_mask:%x fhandle-bytes:%x fhandle-type:%x f_handle:%n",
		   &wd, &ino, &sdev, &mask, &ignored, &bytes, &type, &pos) != 7 || !pos || bytes > 128)
		return -EBADMSG;
	w->wd = wd;
	w->ino = ino;
	w->sdev = sdev;
	w->mask = mask;
	w->handle_type = type;
	return fdinfo_hex_bytes(l + pos, bytes, &w->handle);
}

static int cmp_wd(const void *a, const void *b)
{
	return (*(InotifyWatch *const *)a)->wd - (*(InotifyWatch *const *)b)->wd;
}

static int inotify_collect(struct fd_ctx *ctx _unused_, const struct fd_probe *p, FileEntry *e)
{
	InotifyFile *in = calloc(1, sizeof(*in));
	int pending = 0, r;

	if (!in)
		return -ENOMEM;
	inotify_file__init(in);
	e->inotify = in;
	e->has_pos = false;
	if (ioctl(p->local_fd, FIONREAD, &pending) < 0)
		return negative_errno();
	if (pending > 0) {
		log_error("pid %d fd %d: inotify has %d bytes of events queued; not supported", p->pid, p->fd, pending);
		return -EOPNOTSUPP;
	}
	for (const char *l = p->fdinfo; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		InotifyWatch *w, **n;

		if (strncmp(l, "inotify wd:", 11))
			continue;
		n = realloc(in->watches, (in->n_watches + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		in->watches = n;
		w = calloc(1, sizeof(*w));
		if (!w)
			return -ENOMEM;
		inotify_watch__init(w);
		in->watches[in->n_watches++] = w;
		r = parse_watch(l, w);
		if (r < 0)
			return log_error_errno(r, "pid %d fd %d: cannot parse inotify watch", p->pid, p->fd);
	}
	/* fdinfo lists the newest first; the restore adds them oldest (lowest wd) first */
	qsort(in->watches, in->n_watches, sizeof(*in->watches), cmp_wd);
	return 0;
}

/* A directory fd on a mount of the filesystem with device sdev (the kernel's
 * internal dev_t as fdinfo prints it: major << 20 | minor). */
int fd_open_mount_of_sdev(uint32_t sdev)
{
	unsigned maj = sdev >> 20, min = sdev & 0xfffff;
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], point[4096];

	if (!f)
		return negative_errno();
	while (fgets(line, sizeof(line), f)) {
		unsigned ma, mi;
		if (sscanf(line, "%*d %*d %u:%u %*s %4095s", &ma, &mi, point) == 3 && ma == maj && mi == min) {
			/* not O_PATH: open_by_handle_at refuses it */
			int fd = open(point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd >= 0)
				return fd;
		}
	}
	return -ENOENT;
}

int fd_open_by_handle(uint32_t sdev, int handle_type, const ProtobufCBinaryData *handle)
{
	_cleanup_close_ int mnt = fd_open_mount_of_sdev(sdev);
	_cleanup_free_ struct file_handle *fh = malloc(sizeof(*fh) + handle->len);
	int fd;

	if (mnt < 0)
		return mnt;
	if (!fh)
		return -ENOMEM;
	fh->handle_bytes = handle->len;
	fh->handle_type = handle_type;
	memcpy(fh->f_handle, handle->data, handle->len);
	fd = open_by_handle_at(mnt, fh, O_PATH | O_CLOEXEC);
	return fd < 0 ? negative_errno() : fd;
}

static int open_target(const InotifyWatch *w)
{
	return fd_open_by_handle(w->sdev, w->handle_type, &w->handle);
}

/* Make the next wd handed out be 'wd'. */
static int skip_to_wd(int ifd, int scratch, int wd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", scratch);
	for (;;) {
		int w = inotify_add_watch(ifd, path, IN_ACCESS);
		if (w < 0)
			return negative_errno();
		inotify_rm_watch(ifd, w);
		if (w >= wd - 1)
			return w == wd - 1 ? 0 : -ERANGE;
	}
}

static int add_watches(int ifd, const InotifyFile *in)
{
	_cleanup_close_ int scratch = memfd_create("cryo-inotify-scratch", MFD_CLOEXEC);
	int last = 0, r;

	if (scratch < 0)
		return negative_errno();
	for (size_t i = 0; i < in->n_watches; i++) {
		const InotifyWatch *w = in->watches[i];
		char path[64];

		if (w->wd <= last) {
			log_error("inotify file: watches out of order (wd %d after %d)", w->wd, last);
			return -EBADMSG;
		}
		if (w->wd > last + 1 && (r = skip_to_wd(ifd, scratch, w->wd)) < 0)
			return log_error_errno(r, "inotify: cannot get wd %d", w->wd);
		_cleanup_close_ int target = open_target(w);
		if (target < 0)
			return log_error_errno(target, "inotify wd %d: cannot open the watched inode %llu", w->wd,
					       (unsigned long long)w->ino);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", target);
		r = inotify_add_watch(ifd, path, w->mask);
		if (r != w->wd)
			return log_error_errno(r < 0 ? negative_errno() : -ERANGE, "inotify: watch got wd %d, want %d",
					       r, w->wd);
		last = w->wd;
	}
	return 0;
}

static int inotify_restore(struct fd_ctx *ctx _unused_, const FileEntry *e, int *ret_fd)
{
	_cleanup_close_ int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	char buf[4096];
	int r;

	if (fd < 0)
		return negative_errno();
	r = add_watches(fd, e->inotify);
	if (r < 0)
		return r;
	/* drop the IN_IGNORED events of the scratch watches */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

const struct fd_kind_ops fd_inotify_ops = {
	.name = "inotify",
	.kind = FD_KIND__FDK_INOTIFY,
	.match = inotify_match,
	.collect = inotify_collect,
	.restore = inotify_restore,
};
