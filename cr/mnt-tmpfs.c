// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tmpfs contents as records of tmpfs-MNTID.img: one tmpfs_file_entry per
 * directory, symlink, fifo or device node, and per regular file a metadata
 * record followed by 1 MiB data chunks (all-zero chunks are left out: the file
 * is restored sparse to its size).  Paths in the image are never trusted: each
 * is checked, and created under the mount root without following symlinks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "log.h"
#include "mnt.h"
#include "util.h"
#include "proto/mnt.pb-c.h"

#define CHUNK (1u << 20)

struct tmpfs_writer {
	struct img *img;
	int depth;
	uint8_t *buf;
};

static int file_type_of(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return TMPFS_FILE_TYPE__TF_REG;
	case S_IFDIR: return TMPFS_FILE_TYPE__TF_DIR;
	case S_IFLNK: return TMPFS_FILE_TYPE__TF_LNK;
	case S_IFIFO: return TMPFS_FILE_TYPE__TF_FIFO;
	case S_IFCHR: return TMPFS_FILE_TYPE__TF_CHR;
	case S_IFBLK: return TMPFS_FILE_TYPE__TF_BLK;
	}
	return 0;
}

/* xattrs of an open file; fills e->xattrs (caller frees with free_xattrs). */
static int read_xattrs(int fd, TmpfsFileEntry *e)
{
	char list[4096];
	ssize_t len = flistxattr(fd, list, sizeof(list));

	if (len < 0)
		return errno == ENOTSUP ? 0 : -errno;
	for (char *n = list; n < list + len; n += strlen(n) + 1) {
		uint8_t val[4096];
		ssize_t vl = fgetxattr(fd, n, val, sizeof(val));
		TmpfsXattr *x;

		if (vl < 0)
			return -errno;
		x = malloc(sizeof(*x) + (size_t)vl);
		TmpfsXattr **nx = realloc(e->xattrs, (e->n_xattrs + 1) * sizeof(*nx));
		if (!x || !nx) {
			free(x);
			return -ENOMEM;
		}
		e->xattrs = nx;
		tmpfs_xattr__init(x);
		x->name = n;
		x->value.len = (size_t)vl;
		x->value.data = (uint8_t *)(x + 1);
		memcpy(x->value.data, val, (size_t)vl);
		e->xattrs[e->n_xattrs++] = x;
	}
	return 0;
}

static void free_xattrs(TmpfsFileEntry *e)
{
	for (size_t i = 0; i < e->n_xattrs; i++)
		free(e->xattrs[i]);
	free(e->xattrs);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static int dump_reg_data(struct tmpfs_writer *w, int fd, TmpfsFileEntry *meta)
{
	for (uint64_t off = 0;;) {
		ssize_t n = pread(fd, w->buf, CHUNK, (off_t)off);

		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		if (!all_zero(w->buf, (size_t)n)) {
			TmpfsFileEntry c = *meta;

			c.n_xattrs = 0;
			c.xattrs = NULL;
			c.has_size = false;
			c.has_offset = true;
			c.offset = off;
			c.has_data = true;
			c.data.data = w->buf;
			c.data.len = (size_t)n;
			int r = img_write(w->img, &c.base);
			if (r < 0)
				return r;
		}
		off += (uint64_t)n;
	}
}

static int dump_tree(struct tmpfs_writer *w, int dirfd, const char *rel);

static int dump_one(struct tmpfs_writer *w, int dirfd, const char *name, const char *rel)
{
	TmpfsFileEntry e = TMPFS_FILE_ENTRY__INIT;
	_cleanup_close_ int fd = -1;
	char target[4097];
	struct stat st;
	int r = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return log_error_errno(-errno, "tmpfs file %s", rel);
	e.type = file_type_of(st.st_mode);
	if (!e.type) {
		log_warn("tmpfs file %s is a socket: not saved (a socket file is recreated by whoever binds it)", rel);
		return 0;
	}
	e.path = (char *)rel;
	e.mode = st.st_mode & 07777;
	e.uid = st.st_uid;
	e.gid = st.st_gid;
	e.has_mtime_sec = e.has_mtime_nsec = true;
	e.mtime_sec = st.st_mtim.tv_sec;
	e.mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = 0;
		e.target = target;
		return img_write(w->img, &e.base);
	}
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		e.has_rdev = true;
		e.rdev = st.st_rdev;
	}
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			return log_error_errno(-errno, "tmpfs file %s", rel);
		r = read_xattrs(fd, &e);
	}
	if (S_ISREG(st.st_mode)) {
		e.has_size = true;
		e.size = (uint64_t)st.st_size;
		if (st.st_nlink > 1)
			log_warn("tmpfs file %s has %lu links: each name is restored as its own copy", rel,
				 (unsigned long)st.st_nlink);
	}
	if (r >= 0)
		r = img_write(w->img, &e.base);
	if (r >= 0 && S_ISREG(st.st_mode))
		r = dump_reg_data(w, fd, &e);
	free_xattrs(&e);
	if (r >= 0 && S_ISDIR(st.st_mode))
		r = dump_tree(w, fd, rel);
	return r;
}

static int dump_tree(struct tmpfs_writer *w, int dirfd, const char *rel)
{
	int dup_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	DIR *dir;
	struct dirent *de;
	int r = 0;

	if (++w->depth > 256)
		return log_error_errno(-ELOOP, "tmpfs directory %s is nested too deep", rel);
	if (dup_fd < 0 || !(dir = fdopendir(dup_fd))) {
		if (dup_fd >= 0)
			close(dup_fd);
		return -errno;
	}
	while (r >= 0 && (de = readdir(dir))) {
		_cleanup_free_ char *child = NULL;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (asprintf(&child, "%s/%s", rel, de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		r = dump_one(w, dirfd, de->d_name, strcmp(rel, ".") ? child : de->d_name);
	}
	closedir(dir);
	w->depth--;
	return r;
}

int mnt_tmpfs_dump(int rootfd, struct img_dir *d, unsigned mnt_id)
{
	TmpfsHead head = TMPFS_HEAD__INIT;
	struct tmpfs_writer w = { 0 };
	_cleanup_close_ int parent = -1;
	_cleanup_free_ uint8_t *buf = malloc(CHUNK);
	int r;

	if (!buf)
		return -ENOMEM;
	/* The root directory is recorded as "." through its parent-less fd. */
	parent = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0)
		return log_error_errno(-errno, "tmpfs mount %u: cannot open its root", mnt_id);
	r = img_open(d, IMG_TMPFS, true, &w.img, mnt_id);
	if (r < 0)
		return r;
	w.buf = buf;
	head.mnt_id = mnt_id;
	r = img_write(w.img, &head.base);
	if (r >= 0)
		r = dump_one(&w, parent, ".", ".");
	int rc = img_close(w.img);
	return r < 0 ? r : rc;
}

/* ---- restore ------------------------------------------------------------ */

static bool path_is_safe(const char *p)
{
	if (!strcmp(p, "."))
		return true;
	if (!*p || *p == '/')
		return false;
	for (;;) {
		const char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);

		if (!len || (len == 1 && p[0] == '.') || (len == 2 && !strncmp(p, "..", 2)))
			return false;
		if (!*end)
			return true;
		p = end + 1;
	}
}

/* The directory holding p, opened beneath root without following symlinks. */
static int open_parent(int rootfd, const char *p, const char **ret_base)
{
	const char *slash = strrchr(p, '/');
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	_cleanup_free_ char *dir = NULL;
	long fd;

	if (!slash) {
		*ret_base = p;
		return fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	}
	dir = strndup(p, (size_t)(slash - p));
	if (!dir)
		return -ENOMEM;
	*ret_base = slash + 1;
	fd = syscall(SYS_openat2, rootfd, dir, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

struct mtime_fix {
	char *path;
	struct timespec ts;
};

static int restore_attrs(int pfd, const char *base, const TmpfsFileEntry *e, int fd)
{
	int r;

	if (fd >= 0) {
		for (size_t i = 0; i < e->n_xattrs; i++)
			if (fsetxattr(fd, e->xattrs[i]->name, e->xattrs[i]->value.data, e->xattrs[i]->value.len, 0) < 0)
				log_warn("tmpfs file %s: cannot set xattr %s: %s", e->path, e->xattrs[i]->name, strerror(errno));
		r = fchown(fd, e->uid, e->gid) < 0 || fchmod(fd, e->mode) < 0 ? -errno : 0;
	} else {
		r = fchownat(pfd, base, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
		if (r >= 0 && e->type != TMPFS_FILE_TYPE__TF_LNK && fchmodat(pfd, base, e->mode, 0) < 0)
			r = -errno;
	}
	return r;
}

static int restore_one(int rootfd, const TmpfsFileEntry *e)
{
	_cleanup_close_ int pfd = -1, fd = -1;
	const char *base;
	int r = 0;

	if (!path_is_safe(e->path))
		return log_error_errno(-EINVAL, "tmpfs image: unsafe path '%s'", e->path);
	if (!strcmp(e->path, ".")) {
		fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		return fd < 0 ? -errno : restore_attrs(-1, ".", e, fd);
	}
	pfd = open_parent(rootfd, e->path, &base);
	if (pfd < 0)
		return log_error_errno(pfd, "tmpfs file %s: cannot open its directory", e->path);
	if (e->has_offset) {
		if (!e->has_data || e->offset > (uint64_t)INT64_MAX - e->data.len)
			return log_error_errno(-EINVAL, "tmpfs image: bad data chunk of %s", e->path);
		fd = openat(pfd, base, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || pwrite(fd, e->data.data, e->data.len, (off_t)e->offset) != (ssize_t)e->data.len)
			return log_error_errno(-errno, "tmpfs file %s: cannot write data", e->path);
		return 0;
	}
	switch (e->type) {
	case TMPFS_FILE_TYPE__TF_DIR:
		if (mkdirat(pfd, base, 0700) < 0)
			return log_error_errno(-errno, "tmpfs dir %s", e->path);
		fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		break;
	case TMPFS_FILE_TYPE__TF_REG:
		fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 && ftruncate(fd, (off_t)e->size) < 0)
			r = -errno;
		break;
	case TMPFS_FILE_TYPE__TF_LNK:
		if (!e->target || symlinkat(e->target, pfd, base) < 0)
			return log_error_errno(-errno, "tmpfs symlink %s", e->path);
		break;
	case TMPFS_FILE_TYPE__TF_FIFO:
	case TMPFS_FILE_TYPE__TF_CHR:
	case TMPFS_FILE_TYPE__TF_BLK: {
		mode_t t = e->type == TMPFS_FILE_TYPE__TF_FIFO ? S_IFIFO :
			   e->type == TMPFS_FILE_TYPE__TF_CHR ? S_IFCHR : S_IFBLK;
		if (mknodat(pfd, base, t | 0600, (dev_t)e->rdev) < 0)
			return log_error_errno(-errno, "tmpfs node %s", e->path);
		break;
	}
	default:
		return log_error_errno(-EINVAL, "tmpfs image: %s has unknown type %d", e->path, e->type);
	}
	if (e->type == TMPFS_FILE_TYPE__TF_DIR || e->type == TMPFS_FILE_TYPE__TF_REG) {
		if (fd < 0)
			return log_error_errno(-errno, "tmpfs file %s", e->path);
	}
	if (r >= 0)
		r = restore_attrs(pfd, base, e, fd);
	if (r < 0)
		return log_error_errno(r, "tmpfs file %s: cannot set owner, mode or size", e->path);
	return 0;
}

/* Modification times last, children before their directories. */
static void restore_mtimes(int rootfd, struct mtime_fix *fix, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		struct timespec ts[2] = { fix[i].ts, fix[i].ts };
		const char *base;
		int pfd = strcmp(fix[i].path, ".") ? open_parent(rootfd, fix[i].path, &base) : -1;

		if (pfd >= 0)
			utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
		else if (!strcmp(fix[i].path, "."))
			futimens(rootfd, ts);
		if (pfd >= 0)
			close(pfd);
		free(fix[i].path);
	}
	free(fix);
}

int mnt_tmpfs_restore(struct img_dir *d, unsigned mnt_id, int rootfd)
{
	struct img *img = NULL;
	ProtobufCMessage *msg = NULL;
	struct mtime_fix *fix = NULL;
	size_t nfix = 0, capfix = 0;
	_cleanup_close_ int dirfd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (dirfd < 0)
		return -errno;
	r = img_open(d, IMG_TMPFS, false, &img, mnt_id);
	if (r < 0)
		return log_error_errno(r, "tmpfs mount %u: no tmpfs-%u.img in the image", mnt_id, mnt_id);
	r = img_read_one(img, &msg);
	if (r >= 0 && ((TmpfsHead *)msg)->mnt_id != mnt_id)
		r = log_error_errno(-EINVAL, "%s: head names mount %u", img_name(img), ((TmpfsHead *)msg)->mnt_id);
	img_free_msg(msg);
	while (r >= 0 && (r = img_read(img, &msg)) > 0) {
		const TmpfsFileEntry *e = (const TmpfsFileEntry *)msg;

		r = restore_one(dirfd, e);
		if (r >= 0 && !e->has_offset && e->has_mtime_sec) {
			if (nfix == capfix) {
				struct mtime_fix *nf = realloc(fix, (capfix = capfix ? capfix * 2 : 64) * sizeof(*nf));
				if (!nf)
					r = -ENOMEM;
				else
					fix = nf;
			}
			if (r >= 0) {
				fix[nfix].ts.tv_sec = e->mtime_sec;
				fix[nfix].ts.tv_nsec = e->mtime_nsec;
				fix[nfix].path = strdup(e->path);
				if (fix[nfix].path)
					nfix++;
			}
		}
		img_free_msg(msg);
	}
	restore_mtimes(dirfd, fix, nfix);
	img_close(img);
	return r;
}
