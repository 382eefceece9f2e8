/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The process' mm fields and root across full C/R.
 *
 *   mm    /proc/self/auxv (the kernel's saved copy), the code/data/brk/stack/
 *         arg/env fields of /proc/self/stat, /proc/self/exe and cmdline are
 *         the same after restore (PR_SET_MM_MAP), and brk still grows.
 *   root  the task chroots into the directory of its result file, with its
 *         cwd below the new root: after restore "/" is that directory and
 *         the cwd is the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "../lib/zt.h"
#include "zt-ts.h"

static size_t read_all(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;
	if (fd < 0)
		zt_fail("open %s: %m", path);
	while (n < size && (r = read(fd, buf + n, size - n)) > 0)
		n += (size_t)r;
	close(fd);
	return n;
}

/* Fields 26-28 (startcode endcode startstack) and 45-51 (start_data .. env_end) of stat. */
static void mm_fields(char *out, size_t size)
{
	char buf[4096];
	size_t n = read_all("/proc/self/stat", buf, sizeof(buf) - 1), off = 0;
	buf[n] = 0;
	char *p = strrchr(buf, ')') + 2, *save = NULL;
	int field = 3;
	out[0] = 0;
	for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++)
		if ((field >= 26 && field <= 28) || (field >= 45 && field <= 51))
			off += (size_t)snprintf(out + off, size - off, "%d=%s ", field, tok);
}

static void run_mm(void)
{
	static char auxv[4096], auxv_after[4096], cmd[4096], cmd_after[4096];
	char fields[1024], fields_after[1024], exe[4096] = "", exe_after[4096] = "";

	size_t na = read_all("/proc/self/auxv", auxv, sizeof(auxv));
	size_t nc = read_all("/proc/self/cmdline", cmd, sizeof(cmd));
	mm_fields(fields, sizeof(fields));
	if (readlink("/proc/self/exe", exe, sizeof(exe) - 1) < 0)
		zt_fail("readlink exe: %m");
	zt_ready();
	long brk0 = syscall(SYS_brk, 0);
	zt_wait();
	if (read_all("/proc/self/auxv", auxv_after, sizeof(auxv_after)) != na || memcmp(auxv, auxv_after, na))
		zt_fail("/proc/self/auxv changed");
	if (read_all("/proc/self/cmdline", cmd_after, sizeof(cmd_after)) != nc || memcmp(cmd, cmd_after, nc))
		zt_fail("/proc/self/cmdline changed: %s", cmd_after);
	mm_fields(fields_after, sizeof(fields_after));
	if (strcmp(fields, fields_after))
		zt_fail("mm fields of stat were %s, now %s", fields, fields_after);
	if (readlink("/proc/self/exe", exe_after, sizeof(exe_after) - 1) < 0 || strcmp(exe, exe_after))
		zt_fail("exe link was %s, now %s", exe, exe_after);
	long brk1 = syscall(SYS_brk, 0);
	if (brk1 != brk0 || syscall(SYS_brk, brk0 + (1 << 20)) != brk0 + (1 << 20))
		zt_fail("brk was %#lx, now %#lx or it does not grow", brk0, brk1);
	memset((void *)brk0, 0x5a, 1 << 20);
	zt_pass();
}

/*
 * The root is the directory of the result and pid files, with a link in it
 * from that directory's own path back to "/": the files' paths work the same
 * inside and outside the chroot.
 */
static void run_root(void)
{
	const char *out = getenv("ZT_OUT");
	char *copy = out ? strdup(out) : NULL, *copy2 = out ? strdup(out) : NULL;
	char root[4096], path[17000], cwd[4096];
	struct stat want, now;
	if (!copy || !copy2)
		zt_fail("no ZT_OUT");
	snprintf(root, sizeof(root), "%s", dirname(copy));
	snprintf(path, sizeof(path), "mkdir -p '%s%s' && mkdir '%s/sub' && ln -s / '%s%s'", root, dirname(dirname(copy2)),
		 root, root, root);
	if (system(path) != 0)
		zt_fail("cannot prepare %s as a root", root);
	if (stat(root, &want) < 0 || chroot(root) < 0 || chdir("/sub") < 0)
		zt_fail("chroot %s: %m", root);
	zt_ready();
	zt_wait();
	if (stat("/", &now) < 0 || now.st_ino != want.st_ino || now.st_dev != want.st_dev)
		zt_fail("the root is not %s after restore", root);
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/sub"))
		zt_fail("the cwd is %s, want /sub in the root", cwd);
	zt_pass();
}

int main(int argc, char **argv)
{
	zt_init(argc, argv);
	if (argc < 2)
		zt_fail("usage: zt-ts-mm mm|root");
	if (!strcmp(argv[1], "mm"))
		run_mm();
	else if (!strcmp(argv[1], "root"))
		run_root();
	zt_fail("unknown mode %s", argv[1]);
}
