/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bad input: corrupt fd images give an error naming the file and the
 * record, never a crash or a half restore: a file_entry without its kind's
 * data, an fd_entry naming an unknown file, an fd listed twice, a record
 * cut short.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fds.h"
#include "harness.h"
#include "image.h"
#include "log.h"
#include "util.h"

static char logbuf[8192];

static void sink(enum log_level level _unused_, const char *line, void *userdata _unused_)
{
	strncat(logbuf, line, sizeof(logbuf) - strlen(logbuf) - 2);
	strcat(logbuf, "\n");
}

static int write_images(const char *dir, FileEntry *fe, FdEntry **fds, size_t nr)
{
	struct img_dir *d;
	struct img *img;
	int r = img_dir_open_write(dir, &d);

	if (r < 0)
		return r;
	if ((r = img_open(d, IMG_FILES, true, &img)) >= 0) {
		r = img_write(img, &fe->base);
		img_close(img);
	}
	if (r >= 0 && (r = img_open(d, IMG_FDS, true, &img, 42)) >= 0) {
		for (size_t i = 0; i < nr && r >= 0; i++)
			r = img_write(img, &fds[i]->base);
		img_close(img);
	}
	if (r >= 0)
		r = img_dir_commit(d);
	img_dir_close(d);
	return r;
}

/* Load the images: must fail, logging every string in want. */
static int expect_failure(const char *name, const char *dir, const char *const *want)
{
	struct img_dir *d;
	struct fd_ctx *ctx = NULL;
	int r;

	logbuf[0] = 0;
	r = img_dir_open_read(dir, &d);
	if (r >= 0) {
		r = fds_load_images(d, NULL, &ctx);
		if (r >= 0)
			r = fds_read_task(ctx, d, 42);
		img_dir_close(d);
	}
	if (r >= 0 && ctx)
		r = fds_restore_task(ctx);
	fd_ctx_free(ctx);
	printf("%s: %s", name, logbuf);
	if (r >= 0) {
		printf("FAIL %s: corrupt image accepted\n", name);
		return -1;
	}
	for (; *want; want++)
		if (!strstr(logbuf, *want)) {
			printf("FAIL %s: the error does not say \"%s\"\n", name, *want);
			return -1;
		}
	printf("ok: %s refused\n", name);
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/cryo-fds-corrupt-XXXXXX", path[4096];
	FileEntry fe = FILE_ENTRY__INIT;
	PipeFile pf = PIPE_FILE__INIT;
	FdEntry a = FD_ENTRY__INIT, b = FD_ENTRY__INIT, *fds[2] = { &a, &b };
	int r = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	log_set_sink(sink, NULL);
	if (!mkdtemp(dir))
		return 1;
	fe.id = 1;
	fe.kind = FD_KIND__FDK_PIPE;	/* but no pipe data */
	a.fd = 10;
	a.file_id = 1;
	b.fd = 11;
	b.file_id = 1;
	if (write_images(dir, &fe, fds, 2) < 0)
		return 1;
	r |= expect_failure("kind without its data", dir,
			    (const char *const[]){ "files.img", "record 0", "missing", NULL });

	fe.pipe = &pf;
	pf.pipe_ino = 1;
	b.file_id = 7;
	if (write_images(dir, &fe, fds, 2) < 0)
		return 1;
	r |= expect_failure("unknown file id", dir,
			    (const char *const[]){ "fds-42.img", "record 1", "file id 7", NULL });

	b.file_id = 1;
	b.fd = 10;
	if (write_images(dir, &fe, fds, 2) < 0)
		return 1;
	r |= expect_failure("fd listed twice", dir,
			    (const char *const[]){ "fds-42.img", "record 1", "fd 10", NULL });

	b.fd = 11;
	if (write_images(dir, &fe, fds, 2) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/fds-42.img", dir);
	struct stat st;
	if (stat(path, &st) < 0 || truncate(path, st.st_size - 2) < 0)
		return 1;
	r |= expect_failure("record cut short", dir, (const char *const[]){ "fds-42.img", NULL });

	fds_test_rmdir(dir);
	printf(r ? "FAIL fds-corrupt\n" : "PASS fds-corrupt\n");
	return r ? 1 : 0;
}
