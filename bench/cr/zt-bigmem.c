/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A task with BENCH_MB (default 2048) MiB of non-zero anonymous memory, for dump figures. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "lib/zt.h"

int main(int argc, char **argv)
{
	size_t mb = getenv("BENCH_MB") ? strtoul(getenv("BENCH_MB"), NULL, 10) : 2048;
	size_t len = mb << 20;
	uint8_t *p;

	zt_init(argc, argv);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		zt_fail("mmap %zu MiB: %m", mb);
	for (size_t i = 0; i < len; i += 4096)
		memset(p + i, (int)(i >> 12) | 1, 4096);
	zt_ready();
	zt_wait();
	for (size_t i = 0; i < len; i += 4096)
		if (p[i] != (uint8_t)((i >> 12) | 1) || p[i + 4095] != (uint8_t)((i >> 12) | 1))
			zt_fail("page %zu changed", i >> 12);
	zt_pass();
}
