/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File validation: a file changed between dump and restore (same size,
 * same mtime, other content) is refused with an error naming it; with
 * skip_validation it is accepted.  An ELF file is identified by its
 * build-id (checked with file_identity_collect on our own executable).
 * Unchanged files pass, a procfs file among them.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "file-identity.h"
#include "harness.h"
#include "util.h"

static char path[] = "/tmp/cryo-fds-validate-XXXXXX";

static int setup(void)
{
	/* fd 12: a procfs file, which changes by itself: not validated */
	if (place_fd(open(path, O_RDONLY), 10) < 0 || place_fd(open("/proc/self/exe", O_RDONLY), 11) < 0 ||
	    place_fd(open("/proc/uptime", O_RDONLY), 12) < 0)
		return tlog("setup: %m"), -1;
	return 0;
}

static int verify(bool restored _unused_)
{
	char buf[16];

	CHECK(pread(10, buf, 5, 0) == 5, "fd 10 readable");
	CHECK((fcntl(11, F_GETFL) & O_ACCMODE) == O_RDONLY, "fd 11 open");
	CHECK(pread(12, buf, sizeof(buf), 0) > 0, "fd 12 (/proc/uptime) readable");
	return 0;
}

/* Same size, same mtime, other bytes: only the digest can tell. */
static int change_file(const char *dir _unused_)
{
	struct stat st;
	int fd = open(path, O_WRONLY);

	if (fd < 0 || fstat(fd, &st) < 0 || pwrite(fd, "XXXXX", 5, 0) != 5)
		return -1;
	struct timespec ts[2] = { st.st_atim, st.st_mtim };
	int r = futimens(fd, ts);
	close(fd);
	return r;
}

static int check_build_id(void)
{
	FileIdentity id;
	int fd = open("/proc/self/exe", O_RDONLY), r;

	if (fd < 0)
		return -1;
	r = file_identity_collect(fd, &id);
	close(fd);
	if (r < 0 || !id.has_build_id || id.build_id.len < 8 || id.has_sha256) {
		printf("FAIL: our executable has no build-id identity (r=%d)\n", r);
		return -1;
	}
	file_identity_clear(&id);
	return 0;
}

static int write_file(void)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	int r = fd >= 0 && write(fd, "hello world", 11) == 11 ? 0 : -1;

	close(fd);
	return r;
}

int main(void)
{
	struct fds_case refused = { .name = "fds-validate (changed file refused)", .setup = setup,
				    .verify = verify, .between = change_file,
				    .expect_restore_failure = true, .expect_log = path };
	struct fds_case skipped = refused;
	int fd = mkstemp(path), r;

	if (fd < 0)
		return 1;
	close(fd);
	if (check_build_id() < 0)
		return 1;
	struct fds_case unchanged = { .name = "fds-validate (unchanged files, a procfs file: accepted)",
				      .setup = setup, .verify = verify };
	r = write_file() < 0 ? 1 : fds_case_run(&unchanged);
	if (r == 0)
		r = fds_case_run(&refused);
	if (r == 0) {
		skipped.name = "fds-validate (skip-validation accepts it)";
		skipped.expect_restore_failure = false;
		skipped.expect_log = NULL;
		skipped.opts.skip_validation = true;
		r = write_file() < 0 ? 1 : fds_case_run(&skipped);
	}
	unlink(path);
	return r;
}
