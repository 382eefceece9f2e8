/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A task holding BENCH_MB (default 2048) MiB of random anonymous memory, for
 * the C/R figures of bench/cr/run.sh.  After restore (SIGTERM) it checks the
 * memory against a checksum taken before the dump, so a fast restore that
 * lost pages does not count.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include "lib/zt.h"

static uint64_t sum(const uint64_t *p, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (s ^ p[i]) * 0x100000001b3ull + i;
	return s;
}

int main(int argc, char **argv)
{
	size_t mb = getenv("BENCH_MB") ? strtoul(getenv("BENCH_MB"), NULL, 10) : 2048;
	size_t n = (mb << 20) / 8;

	zt_init(argc, argv);
	uint64_t *p = mmap(NULL, n * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		zt_fail("mmap %zu MiB: %m", mb);
	uint64_t x = 0x9e3779b97f4a7c15ull ^ (uint64_t)mb;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
	}
	uint64_t before = sum(p, n);
	zt_ready();
	zt_wait();
	if (sum(p, n) != before)
		zt_fail("the memory changed across C/R");
	zt_pass();
}
