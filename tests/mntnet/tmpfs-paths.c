// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A tmpfs archive is input from outside: paths that climb out ("..", absolute
 * paths) or go through a symlink the archive itself made must be refused, and
 * nothing may be created outside the restore directory.  A good archive
 * restores.  No root needed: restores into a plain directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image.h"
#include "log.h"
#include "mnt.h"
#include "proto/inventory.pb-c.h"
#include "proto/mnt.pb-c.h"

static int failures;

static int write_archive(const char *dir, const TmpfsFileEntry *const *e, size_t n)
{
	struct img_dir *d = NULL;
	struct img *img = NULL;
	TmpfsHead head = TMPFS_HEAD__INIT;
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	int r = img_dir_open_write(dir, &d);

	if (r >= 0)
		r = img_open(d, IMG_TMPFS, true, &img, 7u);
	head.mnt_id = 7;
	if (r >= 0)
		r = img_write(img, &head.base);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = img_write(img, &e[i]->base);
	if (img)
		img_close(img);
	if (r >= 0)
		r = img_inventory_init(&inv);
	if (r >= 0 && (r = img_open(d, IMG_INVENTORY, true, &img)) >= 0) {
		r = img_write(img, &inv.base);
		img_close(img);
	}
	img_inventory_clear(&inv);
	if (r >= 0)
		r = img_dir_commit(d);
	img_dir_close(d);
	return r;
}

static int restore_into(const char *imgdir, const char *target)
{
	struct img_dir *d = NULL;
	int fd = open(target, O_PATH | O_DIRECTORY), r;

	r = img_dir_open_read(imgdir, &d);
	if (r >= 0)
		r = mnt_tmpfs_restore(d, 7, fd);
	img_dir_close(d);
	close(fd);
	return r;
}

static TmpfsFileEntry file(const char *path, int type)
{
	TmpfsFileEntry e = TMPFS_FILE_ENTRY__INIT;

	e.path = (char *)path;
	e.type = type;
	e.mode = 0644;
	e.uid = getuid();
	e.gid = getgid();
	return e;
}

static void expect_refused(const char *work, const char *name, const TmpfsFileEntry *const *e, size_t n)
{
	char img[256], target[256], outside[256];
	struct stat st;

	snprintf(img, sizeof(img), "%s/img-%s", work, name);
	snprintf(target, sizeof(target), "%s/t-%s", work, name);
	snprintf(outside, sizeof(outside), "%s/escaped", work);
	mkdir(target, 0755);
	if (write_archive(img, e, n) < 0) {
		printf("FAIL: %s: cannot write the archive\n", name);
		failures++;
		return;
	}
	if (restore_into(img, target) >= 0) {
		printf("FAIL: %s: a hostile archive was restored\n", name);
		failures++;
	}
	if (stat(outside, &st) == 0) {
		printf("FAIL: %s: a file was created outside the restore directory\n", name);
		failures++;
		unlink(outside);
	}
}

int main(void)
{
	char work[] = "/tmp/cryo-tmpfs-paths.XXXXXX", cmd[128], p[320];
	TmpfsFileEntry dotdot = file("../escaped", TMPFS_FILE_TYPE__TF_REG);
	TmpfsFileEntry abs = file("/tmp/escaped", TMPFS_FILE_TYPE__TF_REG);
	TmpfsFileEntry link = file("a", TMPFS_FILE_TYPE__TF_LNK);
	TmpfsFileEntry via = file("a/escaped", TMPFS_FILE_TYPE__TF_REG);
	TmpfsFileEntry mid = file("x/../../escaped", TMPFS_FILE_TYPE__TF_REG);
	TmpfsFileEntry dir = file("d", TMPFS_FILE_TYPE__TF_DIR);
	TmpfsFileEntry good = file("d/f", TMPFS_FILE_TYPE__TF_REG);
	TmpfsFileEntry chunk = good;

	log_init(NULL, LOG_FMT_TEXT, LOG_LVL_ERROR);
	if (!mkdtemp(work))
		return 1;
	link.target = work;	/* a symlink to the directory holding "escaped" */
	dir.mode = 0755;
	good.has_size = true;
	good.size = 5;
	chunk.has_offset = chunk.has_data = true;
	chunk.offset = 0;
	chunk.data.data = (uint8_t *)"hello";
	chunk.data.len = 5;
	{
		const TmpfsFileEntry *e[] = { &dotdot };
		expect_refused(work, "dotdot", e, 1);
	}
	{
		const TmpfsFileEntry *e[] = { &abs };
		expect_refused(work, "absolute", e, 1);
	}
	{
		const TmpfsFileEntry *e[] = { &link, &via };
		expect_refused(work, "symlink", e, 2);
	}
	{
		const TmpfsFileEntry *e[] = { &mid };
		expect_refused(work, "middle-dotdot", e, 1);
	}
	{
		const TmpfsFileEntry *e[] = { &dir, &good, &chunk };
		char img[256], target[256], buf[8] = { 0 };
		snprintf(img, sizeof(img), "%s/img-good", work);
		snprintf(target, sizeof(target), "%s/t-good", work);
		mkdir(target, 0755);
		snprintf(p, sizeof(p), "%s/d/f", target);
		int fd = -1;
		if (write_archive(img, e, 3) < 0 || restore_into(img, target) < 0 ||
		    (fd = open(p, O_RDONLY)) < 0 || read(fd, buf, sizeof(buf)) != 5 || strcmp(buf, "hello")) {
			printf("FAIL: a good archive did not restore d/f\n");
			failures++;
		}
		if (fd >= 0)
			close(fd);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", work);
	if (system(cmd))
		printf("warning: cannot remove %s\n", work);
	printf("%s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
