/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Regular files, directories and device nodes opened by path.  Files that
 * were unlinked after open ("ghosts") carry their content (up to the ghost
 * limit); the others carry their identity, checked at restore.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include "fds.h"
#include "file-identity.h"
#include "log.h"
#include "util.h"

#define DELETED_SUFFIX	" (deleted)"

static bool is_tty_path(const char *link)
{
	return !strncmp(link, "/dev/pts/", 9) || !strncmp(link, "/dev/tty", 8) ||
	       !strcmp(link, "/dev/console") || !strcmp(link, "/dev/ptmx");
}

/* A pty of any devpts instance, wherever it is mounted (a second instance
 * at /dev/xpts): the tty kind's (ptmx 5:2, slaves majors 136-143). */
static bool is_pty_dev(const struct stat *st)
{
	unsigned maj = major(st->st_rdev);

	return S_ISCHR(st->st_mode) && ((maj == 5 && minor(st->st_rdev) == 2) || (maj >= 136 && maj <= 143));
}

static bool reg_match(const struct fd_probe *p)
{
	if (p->link[0] != '/')
		return false;
	if (p->flags & O_PATH)
		return true;
	if (S_ISREG(p->st.st_mode) || S_ISDIR(p->st.st_mode))
		return true;
	return (S_ISCHR(p->st.st_mode) || S_ISBLK(p->st.st_mode)) && !is_tty_path(p->link) && !is_pty_dev(&p->st);
}

/* Files of procfs, sysfs and the like change by themselves: no identity. */
static bool is_pseudo_fs(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return false;
	switch ((unsigned long)sf.f_type) {
	case PROC_SUPER_MAGIC: case SYSFS_MAGIC: case CGROUP_SUPER_MAGIC: case CGROUP2_SUPER_MAGIC:
	case DEBUGFS_MAGIC: case TRACEFS_MAGIC: case SECURITYFS_MAGIC: case BPF_FS_MAGIC:
		return true;
	}
	return false;
}

/* Read the whole content of the file behind /proc/PID/fd/N (any access mode). */
static int read_content(const struct fd_probe *p, uint64_t size, ProtobufCBinaryData *ret)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	uint64_t off = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", p->pid, p->fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	ret->data = malloc(size ? size : 1);
	if (!ret->data)
		return -ENOMEM;
	while (off < size) {
		ssize_t n = pread(fd, ret->data + off, size - off, off);
		if (n < 0)
			return negative_errno();
		if (n == 0)
			break;
		off += n;
	}
	ret->len = off;
	return 0;
}

static int reg_collect(struct fd_ctx *ctx, const struct fd_probe *p, FileEntry *e)
{
	RegFile *r = calloc(1, sizeof(*r));
	size_t len = strlen(p->link), slen = strlen(DELETED_SUFFIX);
	int ret;

	if (!r)
		return -ENOMEM;
	reg_file__init(r);
	e->reg = r;
	r->mode = p->st.st_mode;
	r->path = strdup(p->link);
	if (!r->path)
		return -ENOMEM;
	bool deleted = len > slen && !strcmp(r->path + len - slen, DELETED_SUFFIX);
	if (deleted && (!S_ISREG(p->st.st_mode) || p->st.st_nlink > 0)) {
		/* the name is gone but not the inode: a removed directory, or a file
		 * still linked under another name we do not know */
		log_error("pid %d fd %d: %s: %s; not supported", p->pid, p->fd, p->link,
			  S_ISREG(p->st.st_mode) ? "unlinked file that still has other links" : "removed");
		return -EOPNOTSUPP;
	}
	if (S_ISREG(p->st.st_mode) && p->st.st_nlink == 0) {
		if (deleted)
			r->path[len - slen] = 0;
		if ((uint64_t)p->st.st_size > fd_ctx_opts(ctx)->ghost_limit) {
			log_error("pid %d fd %d: unlinked file %s has %llu bytes, more than the ghost limit %llu",
				  p->pid, p->fd, r->path, (unsigned long long)p->st.st_size,
				  (unsigned long long)fd_ctx_opts(ctx)->ghost_limit);
			return -EFBIG;
		}
		r->has_ghost = r->ghost = true;
		r->has_ghost_data = true;
		return read_content(p, p->st.st_size, &r->ghost_data);
	}
	if (!S_ISREG(p->st.st_mode) || is_pseudo_fs(p->local_fd))
		return 0;
	r->identity = calloc(1, sizeof(*r->identity));
	if (!r->identity)
		return -ENOMEM;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", p->pid, p->fd);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	ret = file_identity_collect(fd, r->identity);
	return ret;
}

static unsigned open_flags(const FileEntry *e)
{
	return (e->flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY)) | O_CLOEXEC;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0)
			return negative_errno();
		p += w;
		n -= w;
	}
	return 0;
}

/* Recreate an unlinked file: under its old name if free (so /proc shows
 * the same "path (deleted)"), else as an O_TMPFILE in the same directory. */
static int ghost_restore(const FileEntry *e, int *ret_fd)
{
	const RegFile *r = e->reg;
	_cleanup_close_ int fd = open(r->path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, r->mode & 07777);
	bool named = fd >= 0;
	char proc[64];
	int res;

	if (!named) {
		_cleanup_free_ char *dir = strdup(r->path);
		if (!dir)
			return -ENOMEM;
		fd = open(dirname(dir), O_TMPFILE | O_RDWR | O_CLOEXEC, r->mode & 07777);
		if (fd < 0)
			return log_error_errno(negative_errno(), "unlinked file %s: cannot recreate it", r->path);
	}
	res = write_all(fd, r->ghost_data.data, r->ghost_data.len);
	if (res >= 0) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		*ret_fd = open(proc, open_flags(e));
		res = *ret_fd < 0 ? negative_errno() : 0;
	}
	if (named)
		unlink(r->path);
	if (res < 0)
		return log_error_errno(res, "unlinked file %s: cannot recreate it", r->path);
	return 0;
}

static int reg_restore(struct fd_ctx *ctx, const FileEntry *e, int *ret_fd)
{
	const RegFile *r = e->reg;
	_cleanup_close_ int fd = -1;
	int res;

	if (r->ghost && r->has_ghost_data)
		res = ghost_restore(e, &fd);
	else {
		fd = open(r->path, open_flags(e));
		res = fd < 0 ? log_error_errno(negative_errno(), "cannot open %s", r->path) : 0;
	}
	if (res < 0)
		return res;
	if (r->identity && !fd_ctx_opts(ctx)->skip_validation) {
		/* read it through a read-only open: fd may be write-only */
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		_cleanup_close_ int rd = open(proc, O_RDONLY | O_CLOEXEC);
		if (rd < 0)
			return log_error_errno(negative_errno(), "%s: cannot open it to validate it", r->path);
		res = file_identity_check(rd, r->identity, r->path);
		if (res < 0)
			return res;
	}
	if (e->has_pos && !(e->flags & O_PATH) && (S_ISREG(r->mode) || S_ISDIR(r->mode)) &&
	    lseek(fd, e->pos, SEEK_SET) < 0)
		return log_error_errno(negative_errno(), "%s: cannot seek to %llu", r->path, (unsigned long long)e->pos);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

const struct fd_kind_ops fd_reg_ops = {
	.name = "file",
	.kind = FD_KIND__FDK_REG,
	.match = reg_match,
	.collect = reg_collect,
	.restore = reg_restore,
};
