/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guard pages (MADV_GUARD_INSTALL, Linux 6.13): two guarded pages inside an
 * area with data around them must still be guards (pagemap bit 58) after
 * C/R, and the data around them intact.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "lib/zt.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#define PG 4096

static int is_guard(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || pread(fd, &e, 8, (off_t)((uintptr_t)addr / PG * 8)) != 8)
		zt_fail("cannot read pagemap: %m");
	close(fd);
	return (int)((e >> 58) & 1);
}

int main(int argc, char **argv)
{
	uint8_t *p;

	zt_init(argc, argv);
	p = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		zt_fail("mmap: %m");
	zt_fill(p, 8 * PG, 21);
	if (madvise(p + 2 * PG, PG, MADV_GUARD_INSTALL) < 0 || madvise(p + 5 * PG, PG, MADV_GUARD_INSTALL) < 0)
		zt_skip("MADV_GUARD_INSTALL: %m");
	if (!is_guard(p + 2 * PG) || !is_guard(p + 5 * PG) || is_guard(p))
		zt_skip("pagemap does not show guard pages (bit 58)");
	zt_ready();
	zt_wait();
	for (int i = 0; i < 8; i++) {
		int want = i == 2 || i == 5;
		if (is_guard(p + i * PG) != want)
			zt_fail("page %d: guard %d, want %d", i, !want, want);
	}
	/* Data of the unguarded pages: compare with a fresh fill of the whole area. */
	{
		static uint8_t ref[8 * PG];
		zt_fill(ref, sizeof(ref), 21);
		for (int i = 0; i < 8; i++)
			if (i != 2 && i != 5)
				for (int j = 0; j < PG; j++)
					if (p[i * PG + j] != ref[i * PG + j])
						zt_fail("page %d byte %d changed", i, j);
	}
	zt_pass();
}
