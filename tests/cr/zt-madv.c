/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Memory advice the kernel keeps per area (vma_entry.madv): MADV_DONTFORK,
 * MADV_WIPEONFORK, MADV_DONTDUMP and an mlock()ed area must still be set,
 * and the data still there, after C/R.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "lib/zt.h"

#define PG 4096

/* Does the VmFlags line of the area at addr in /proc/self/smaps hold flag? */
static int has_vmflag(const void *addr, const char *flag)
{
	char line[512], pat[8];
	unsigned long start, end;
	int in = 0, found = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	snprintf(pat, sizeof(pat), " %s", flag);
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = (unsigned long)addr >= start && (unsigned long)addr < end;
		else if (in && !strncmp(line, "VmFlags:", 8))
			found = strstr(line + 8, pat) != NULL;
	}
	if (f)
		fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	static const struct { int advice; const char *flag; } adv[] = {
		{ MADV_DONTFORK, "dc" }, { MADV_WIPEONFORK, "wf" }, { MADV_DONTDUMP, "dd" }, { -1, "lo" },
	};
	uint8_t *area[4];

	zt_init(argc, argv);
	for (int i = 0; i < 4; i++) {
		/* Separate mappings with a gap, so the kernel does not merge them. */
		uint8_t *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED || munmap(p + 2 * PG, PG) < 0)
			zt_fail("mmap: %m");
		area[i] = p;
		zt_fill(p, 2 * PG, 10 + (uint32_t)i);
		/* The raw syscall: sanitizer runtimes turn mlock() into a no-op. */
		if (adv[i].advice >= 0 ? madvise(p, 2 * PG, adv[i].advice) : syscall(SYS_mlock, p, 2 * PG))
			zt_skip("advice %s: %m", adv[i].flag);
		if (!has_vmflag(p, adv[i].flag))
			zt_fail("VmFlags of the area lack %s before the dump", adv[i].flag);
	}
	zt_ready();
	zt_wait();
	for (int i = 0; i < 4; i++) {
		if (!has_vmflag(area[i], adv[i].flag))
			zt_fail("area %d lost its '%s' flag", i, adv[i].flag);
		if (zt_check(area[i], 2 * PG, 10 + (uint32_t)i))
			zt_fail("area %d lost its data", i);
	}
	zt_pass();
}
