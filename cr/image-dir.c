/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Image directories, and staged writing.
 *
 * A write directory creates its files (0600) in a fresh ".staging-XXXXXXXX"
 * subdirectory.  img_dir_commit() publishes them:
 *
 *   1. syncfs() so the new files are on disk before any name changes;
 *   2. the old inventory.img (if any) is renamed into a fresh ".old-XXXXXXXX"
 *      subdirectory: from now on the directory is not a valid image;
 *   3. every other file of the old image (names of the kind table, page files,
 *      the 'parent' link) goes into ".old-..." too, so no old file can mix
 *      with the new image;
 *   4. the staged files are renamed into place, inventory.img last: its
 *      appearance marks the new image complete;
 *   5. ".old-..." and ".staging-..." are removed.
 *
 * A failure in 2-4 moves everything back, so the old image is intact; a
 * crash leaves either the old image, a directory without inventory.img (and
 * the old image in ".old-..."), or the new image, never a mix.  Files that
 * are not image files (logs, for instance) are left alone.
 */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "image.h"
#include "image-internal.h"
#include "log.h"

#define INVENTORY_NAME	"inventory.img"
#define PARENT_LINK	"parent"
#define MAX_PARENT_DEPTH 64

struct img_dir {
	char *path;
	int fd;
	bool write;
	bool committed;
	int staging_fd;
	char staging_name[32];
	unsigned open_files;		/* write handles not closed yet */
	unsigned depth;			/* parents: how deep in the chain */
};

static struct img_dir *dir_new(const char *path, int fd, bool write)
{
	struct img_dir *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->path = strdup(path);
	if (!d->path) {
		free(d);
		return NULL;
	}
	d->fd = fd;
	d->write = write;
	d->staging_fd = -1;
	return d;
}

static void dir_free(struct img_dir *d)
{
	if (d->fd >= 0)
		close(d->fd);
	if (d->staging_fd >= 0)
		close(d->staging_fd);
	free(d->path);
	free(d);
}

int img_dir_open_read(const char *path, struct img_dir **ret)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return log_error_errno(negative_errno(), "cannot open image directory %s", path);
	struct img_dir *d = dir_new(path, fd, false);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	*ret = d;
	return 0;
}

/* mkdir a fresh "<prefix>XXXXXXXX" in dirfd; name receives it. */
static int make_temp_dir(int dirfd, const char *prefix, char *name, size_t size)
{
	for (int tries = 0; tries < 100; tries++) {
		uint32_t rnd;

		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return negative_errno();
		snprintf(name, size, "%s%08x", prefix, rnd);
		if (mkdirat(dirfd, name, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			return negative_errno();
	}
	return -EEXIST;
}

int img_dir_open_write(const char *path, struct img_dir **ret)
{
	struct img_dir *d;
	int fd, r;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return log_error_errno(negative_errno(), "cannot create image directory %s", path);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(negative_errno(), "cannot open image directory %s", path);
	d = dir_new(path, fd, true);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	r = make_temp_dir(fd, ".staging-", d->staging_name, sizeof(d->staging_name));
	if (r < 0) {
		log_error_errno(r, "cannot create a staging directory in %s", path);
		dir_free(d);
		return r;
	}
	d->staging_fd = openat(fd, d->staging_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->staging_fd < 0) {
		r = log_error_errno(negative_errno(), "cannot open %s/%s", path, d->staging_name);
		unlinkat(fd, d->staging_name, AT_REMOVEDIR);
		dir_free(d);
		return r;
	}
	*ret = d;
	return 0;
}

/* Remove a directory that only holds files and symlinks. */
static int remove_flat_dir(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir;
	struct dirent *de;

	if (fd < 0)
		return negative_errno();
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return negative_errno();
	}
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(fd, de->d_name, 0);
	closedir(dir);
	return unlinkat(dirfd, name, AT_REMOVEDIR) < 0 ? negative_errno() : 0;
}

void img_dir_close(struct img_dir *d)
{
	if (!d)
		return;
	if (d->write && !d->committed && d->staging_fd >= 0) {
		if (d->open_files)
			log_warn("%s: %u image files still open at close", d->path, d->open_files);
		remove_flat_dir(d->fd, d->staging_name);
	}
	dir_free(d);
}

int img_dir_fd(const struct img_dir *d) { return d->fd; }
const char *img_dir_path(const struct img_dir *d) { return d->path; }
int img_dir_staging_fd(const struct img_dir *d) { return d->write ? d->staging_fd : -EBADF; }
bool img_dir_writable(const struct img_dir *d) { return d->write && !d->committed; }
void img_dir_file_opened(struct img_dir *d) { d->open_files++; }
void img_dir_file_closed(struct img_dir *d) { if (d->open_files) d->open_files--; }

/* O_NONBLOCK: a FIFO planted under an image name must not hang the reader (the
 * readers then refuse anything that is not a regular file). */
int img_dir_openat_read(struct img_dir *d, const char *name)
{
	int fd;

	if (img_dir_writable(d)) {
		fd = openat(d->staging_fd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd >= 0 || errno != ENOENT)
			return fd >= 0 ? fd : negative_errno();
	}
	fd = openat(d->fd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	return fd >= 0 ? fd : negative_errno();
}

int img_dir_file_exists(struct img_dir *d, const char *name)
{
	if (img_dir_writable(d) && faccessat(d->staging_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (faccessat(d->fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	return errno == ENOENT ? -ENOENT : negative_errno();
}

int img_dir_create_raw(struct img_dir *d, const char *name)
{
	int fd;

	if (!img_dir_writable(d)) {
		log_error("%s: image directory %s is not open for writing", name, d->path);
		return -EBADF;
	}
	fd = openat(d->staging_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return log_error_errno(negative_errno(), "%s: cannot create in %s", name, d->path);
	return fd;
}

/* ---- parents ----------------------------------------------------------- */

int img_dir_set_parent(struct img_dir *d, const char *target)
{
	if (!img_dir_writable(d))
		return -EBADF;
	if (symlinkat(target, d->staging_fd, PARENT_LINK) < 0)
		return log_error_errno(negative_errno(), "%s: cannot link parent image %s", d->path, target);
	return 0;
}

int img_dir_open_parent(struct img_dir *d, struct img_dir **ret)
{
	_cleanup_free_ char *path = NULL;
	int fd;

	if (d->depth >= MAX_PARENT_DEPTH) {
		log_error("%s: more than %d parent images (a loop?)", d->path, MAX_PARENT_DEPTH);
		return -ELOOP;
	}
	/* The link is relative to the image directory (not to the staging one). */
	char target[4096];
	ssize_t n = -1;

	if (img_dir_writable(d))
		n = readlinkat(d->staging_fd, PARENT_LINK, target, sizeof(target) - 1);
	if (n < 0)
		n = readlinkat(d->fd, PARENT_LINK, target, sizeof(target) - 1);
	if (n < 0)
		return errno == ENOENT ? -ENOENT
				       : log_error_errno(negative_errno(), "%s: cannot read the parent link", d->path);
	target[n] = 0;
	fd = openat(d->fd, target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(negative_errno(), "%s: cannot open parent image %s", d->path, target);
	int n2 = target[0] == '/' ? asprintf(&path, "%s", target) : asprintf(&path, "%s/%s", d->path, target);
	if (n2 < 0) {
		path = NULL;
		close(fd);
		return -ENOMEM;
	}
	struct img_dir *p = dir_new(path, fd, false);
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	p->depth = d->depth + 1;
	*ret = p;
	return 0;
}

/* ---- commit ------------------------------------------------------------ */

static bool is_image_file_name(const char *name)
{
	return !strcmp(name, PARENT_LINK) || img_is_pages_file_name(name) || img_kind_by_file_name(name);
}

struct name_list {
	char **v;
	size_t n;
};

static void name_list_free(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int name_list_add(struct name_list *l, const char *name)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	l->v = v;
	v[l->n] = strdup(name);
	if (!v[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

/* The names in dirfd; only_images: only those of image files. */
static int list_dir(int dirfd, bool only_images, struct name_list *l)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *dir;
	int r = 0;

	if (fd < 0)
		return negative_errno();
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return negative_errno();
	}
	while ((de = readdir(dir)) && r == 0) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (only_images && !is_image_file_name(de->d_name))
			continue;
		r = name_list_add(l, de->d_name);
	}
	closedir(dir);
	return r;
}

/* Move every name of l from one dir to another; on failure move back the ones moved. */
static int move_all(struct name_list *l, int from, int to, const char *skip)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (skip && !strcmp(l->v[i], skip))
			continue;
		if (renameat(from, l->v[i], to, l->v[i]) < 0) {
			int r = negative_errno();

			while (i-- > 0)
				if (!skip || strcmp(l->v[i], skip))
					renameat(to, l->v[i], from, l->v[i]);
			return r;
		}
	}
	return 0;
}

static bool name_list_has(const struct name_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], name))
			return true;
	return false;
}

int img_dir_commit(struct img_dir *d)
{
	struct name_list staged = {}, old = {};
	_cleanup_close_ int old_fd = -1;
	char old_name[32];
	int r;

	if (!img_dir_writable(d))
		return -EBADF;
	if (d->open_files) {
		log_error("%s: cannot commit with %u image files still open", d->path, d->open_files);
		return -EBUSY;
	}
	r = list_dir(d->staging_fd, false, &staged);
	if (r < 0)
		goto out;
	r = list_dir(d->fd, true, &old);
	if (r < 0)
		goto out;
	if (syncfs(d->staging_fd) < 0) {
		r = log_error_errno(negative_errno(), "%s: syncfs failed", d->path);
		goto out;
	}
	r = make_temp_dir(d->fd, ".old-", old_name, sizeof(old_name));
	if (r < 0) {
		log_error_errno(r, "%s: cannot create a directory for the old image", d->path);
		goto out;
	}
	old_fd = openat(d->fd, old_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (old_fd < 0) {
		r = log_error_errno(negative_errno(), "%s: cannot open %s", d->path, old_name);
		unlinkat(d->fd, old_name, AT_REMOVEDIR);
		goto out;
	}

	/* 2 + 3: the old inventory first, so the directory stops being an image. */
	if (name_list_has(&old, INVENTORY_NAME) &&
	    renameat(d->fd, INVENTORY_NAME, old_fd, INVENTORY_NAME) < 0) {
		r = log_error_errno(negative_errno(), "%s: cannot move the old inventory aside", d->path);
		goto out_rmold;
	}
	r = move_all(&old, d->fd, old_fd, INVENTORY_NAME);
	if (r < 0) {
		log_error_errno(r, "%s: cannot move the old image aside", d->path);
		goto out_restore_inventory;
	}
	/* 4: the new files, inventory last. */
	r = move_all(&staged, d->staging_fd, d->fd, INVENTORY_NAME);
	if (r < 0) {
		log_error_errno(r, "%s: cannot move the new image into place", d->path);
		goto out_restore_old;
	}
	if (fsync(d->fd) < 0)
		log_warn("%s: fsync of the directory failed: %s", d->path, strerror(errno));
	if (name_list_has(&staged, INVENTORY_NAME) &&
	    renameat(d->staging_fd, INVENTORY_NAME, d->fd, INVENTORY_NAME) < 0) {
		r = log_error_errno(negative_errno(), "%s: cannot publish the inventory", d->path);
		move_all(&staged, d->fd, d->staging_fd, INVENTORY_NAME);
		goto out_restore_old;
	}
	if (fsync(d->fd) < 0)
		log_warn("%s: fsync of the directory failed: %s", d->path, strerror(errno));
	d->committed = true;
	/* 5 */
	remove_flat_dir(d->fd, old_name);
	remove_flat_dir(d->fd, d->staging_name);
	r = 0;
	goto out;

out_restore_old:
	move_all(&old, old_fd, d->fd, INVENTORY_NAME);
out_restore_inventory:
	if (name_list_has(&old, INVENTORY_NAME))
		renameat(old_fd, INVENTORY_NAME, d->fd, INVENTORY_NAME);
out_rmold:
	remove_flat_dir(d->fd, old_name);
out:
	name_list_free(&staged);
	name_list_free(&old);
	return r;
}
