/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Memory kinds on the restore side: a private file mapping with some pages
 * written (COW) and some not, areas with every protection, a read-only area
 * holding data, a PROT_NONE area, and the heap with its brk.  After restore
 * the written pages hold what was written, the others are the file's own
 * pages again (a later write to the file shows through them), protections
 * and brk are as before.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include "lib/zt.h"

#define PG 4096
#define NPG 8

/* Start of the mapping named name in /proc/self/maps, 0 if none. */
static unsigned long mapping_named(const char *name)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	unsigned long s = 0, found = 0;
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, name) && sscanf(line, "%lx-", &s) == 1) {
			found = s;
			break;
		}
	if (f)
		fclose(f);
	return found;
}

static const char *prot_of(void *addr, char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long a = (unsigned long)addr, s, e;
	char perms[8];
	buf[0] = 0;
	while (f && fscanf(f, "%lx-%lx %7s %*[^\n]", &s, &e, perms) == 3)
		if (a >= s && a < e) {
			snprintf(buf, len, "%s", perms);
			break;
		}
	if (f)
		fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	char path[64], perms[8];
	uint8_t file_data[NPG * PG];

	zt_init(argc, argv);
	snprintf(path, sizeof(path), "/tmp/zt-rst-cow.%d", getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	zt_fill(file_data, sizeof(file_data), 1);
	if (fd < 0 || write(fd, file_data, sizeof(file_data)) != (ssize_t)sizeof(file_data))
		zt_fail("cannot write %s: %m", path);
	uint8_t *cow = mmap(NULL, NPG * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	/* A shared file mapping: its content is the file's, and writes keep reaching the file. */
	char spath[80];
	snprintf(spath, sizeof(spath), "/tmp/zt-rst-cow-shared.%d", getpid());
	int sfd = open(spath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (sfd < 0 || ftruncate(sfd, 2 * PG) < 0)
		zt_fail("cannot create %s: %m", spath);
	uint8_t *shf = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
	close(sfd);
	if (shf == MAP_FAILED)
		zt_fail("mmap of %s: %m", spath);
	zt_fill(shf, 2 * PG, 9);
	uint8_t *ro = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *none = mmap(NULL, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *wo = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (cow == MAP_FAILED || ro == MAP_FAILED || none == MAP_FAILED || wo == MAP_FAILED)
		zt_fail("mmap: %m");
	/* Odd pages written: they become anonymous copies. */
	for (int i = 1; i < NPG; i += 2)
		zt_fill(cow + i * PG, PG, 100 + i);
	zt_fill(ro, 4 * PG, 3);
	mprotect(ro, 4 * PG, PROT_READ);
	zt_fill(wo, 2 * PG, 4);
	uint8_t *heap = malloc(3 << 20);
	zt_fill(heap, 3 << 20, 5);
	void *brk_before = sbrk(0);
	unsigned long vdso = mapping_named("[vdso]"), vvar = mapping_named("[vvar]");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	zt_ready();
	zt_wait();

	for (int i = 0; i < NPG; i++) {
		size_t bad = (i & 1) ? zt_check(cow + i * PG, PG, 100 + i)
				     : (size_t)memcmp(cow + i * PG, file_data + i * PG, PG);
		if (bad)
			zt_fail("private file mapping: page %d lost its %s content", i, (i & 1) ? "written" : "file");
	}
	/* Unwritten pages are the file's: a write to the file shows through. */
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || pwrite(fd, "changed", 7, 2 * PG) != 7)
		zt_fail("cannot rewrite %s: %m", path);
	close(fd);
	unlink(path);
	if (memcmp(cow + 2 * PG, "changed", 7))
		zt_fail("an unwritten page of the private file mapping is not the file's page any more");
	if (zt_check(shf, 2 * PG, 9))
		zt_fail("shared file mapping lost its content");
	memcpy(shf + PG, "written after restore", 21);
	char back[32] = "";
	sfd = open(spath, O_RDONLY | O_CLOEXEC);
	if (sfd < 0 || pread(sfd, back, 21, PG) != 21 || memcmp(back, "written after restore", 21))
		zt_fail("a write to the shared file mapping does not reach the file");
	close(sfd);
	unlink(spath);
	if (zt_check(ro, 4 * PG, 3))
		zt_fail("read-only area lost its data");
	if (strcmp(prot_of(ro, perms, sizeof(perms)), "r--p"))
		zt_fail("read-only area is %s", perms);
	if (strcmp(prot_of(none, perms, sizeof(perms)), "---p"))
		zt_fail("PROT_NONE area is %s", perms);
	if (strcmp(prot_of(wo, perms, sizeof(perms)), "rwxp"))
		zt_fail("rwx area is %s", perms);
	if (strcmp(prot_of(cow, perms, sizeof(perms)), "rw-p"))
		zt_fail("private file mapping is %s", perms);
	if (zt_check(wo, 2 * PG, 4))
		zt_fail("rwx area lost its data");
	if (zt_check(heap, 3 << 20, 5))
		zt_fail("heap lost its data");
	if (sbrk(0) != brk_before)
		zt_fail("brk moved from %p to %p", brk_before, sbrk(0));
	/* The vDSO is where the program's libc found it, and works. */
	if (mapping_named("[vdso]") != vdso || mapping_named("[vvar]") != vvar)
		zt_fail("[vdso]/[vvar] at %#lx/%#lx, were at %#lx/%#lx", mapping_named("[vdso]"),
			mapping_named("[vvar]"), vdso, vvar);
	if (getauxval(AT_SYSINFO_EHDR) != vdso)
		zt_fail("AT_SYSINFO_EHDR %#lx is not the [vdso] at %#lx", getauxval(AT_SYSINFO_EHDR), vdso);
	if (clock_gettime(CLOCK_MONOTONIC, &t1) < 0 || t1.tv_sec < t0.tv_sec)
		zt_fail("clock_gettime through the vDSO went backwards or failed");
	int pdeath = -1;
	if (prctl(PR_GET_PDEATHSIG, &pdeath) < 0 || pdeath != 0)
		zt_fail("parent-death signal %d after restore (the restore's own must not stay)", pdeath);
	/* mm fields (PR_SET_MM_MAP): the command line and the executable are the dumped ones. */
	char cmd[4096] = "", exe[4096] = "", want_exe[4096] = "";
	FILE *f = fopen("/proc/self/cmdline", "re");
	size_t n = f ? fread(cmd, 1, sizeof(cmd) - 1, f) : 0;
	if (f)
		fclose(f);
	if (n == 0 || strcmp(cmd, argv[0]))
		zt_fail("/proc/self/cmdline starts with '%s', expected '%s'", cmd, argv[0]);
	if (readlink("/proc/self/exe", exe, sizeof(exe) - 1) < 0 || !realpath(argv[0], want_exe) ||
	    strcmp(exe, want_exe))
		zt_fail("/proc/self/exe is '%s', expected '%s'", exe, want_exe);
	/* The heap still grows from where it was. */
	void *more = sbrk(1 << 16);
	if (more != brk_before)
		zt_fail("sbrk grew from %p, not from %p", more, brk_before);
	memset(more, 1, 1 << 16);
	zt_pass();
}
