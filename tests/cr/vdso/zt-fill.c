/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Restore's page filling (docs/cr-restore.md, "Filling pages"): big anonymous
 * areas, in place or through huge pages and UFFDIO_MOVE, shared by two
 * threads; the contents come back, holes stay zero, the areas' own THP
 * advice is what it was.
 *
 *   A  64 MiB, 2 MiB aligned, every page written
 *   B  ~40 MiB at an odd page offset, written in runs that start and end off
 *      2 MiB boundaries, with holes between them
 *   C  8 MiB advised MADV_NOHUGEPAGE, every page written
 *   D  6 MiB advised MADV_HUGEPAGE, half written
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/zt.h"

#define MiB (1ul << 20)
#define PG 4096ul

struct area {
	const char *name;
	uint8_t *p;
	size_t len;
};

static struct area A = { "A", 0, 64 * MiB }, B = { "B", 0, 40 * MiB + 3 * PG }, C = { "C", 0, 8 * MiB },
		   D = { "D", 0, 6 * MiB };

static uint8_t *map_aligned(size_t len, size_t extra_pages)
{
	uint8_t *m = mmap(NULL, len + 4 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		zt_fail("mmap: %m");
	uint8_t *p = (uint8_t *)(((uintptr_t)m + 2 * MiB - 1) & ~(2 * MiB - 1)) + extra_pages * PG;
	if (p > m)
		munmap(m, (size_t)(p - m));
	munmap(p + len, (size_t)(m + len + 4 * MiB - (p + len)));
	return p;
}

/* B's written runs: [k * 5 MiB + 7 pages, + 3 MiB + 11 pages) for each k. */
static bool b_written(size_t off)
{
	size_t k = off / (5 * MiB), in = off - k * 5 * MiB;
	return in >= 7 * PG && in < 7 * PG + 3 * MiB + 11 * PG;
}

static void write_b(void)
{
	for (size_t off = 0; off < B.len; off += PG)
		if (b_written(off))
			zt_fill(B.p + off, PG, (uint32_t)(off / PG) + 2);
}

/* The holes were not written at dump time: restore must leave them unpopulated. */
static void check_b_holes_absent(void)
{
	unsigned char *vec = malloc(B.len / PG);
	if (!vec || mincore(B.p, B.len, vec))
		zt_fail("mincore: %m");
	for (size_t off = 0; off < B.len; off += PG)
		if (!b_written(off) && (vec[off / PG] & 1))
			zt_fail("area B: hole page at +%#zx is resident after restore", off);
	free(vec);
}

static void check_b(void)
{
	static const uint8_t zero[PG];
	for (size_t off = 0; off < B.len; off += PG) {
		if (b_written(off) ? zt_check(B.p + off, PG, (uint32_t)(off / PG) + 2) != 0
				   : memcmp(B.p + off, zero, PG) != 0)
			zt_fail("area B: page at +%#zx is wrong (%s)", off, b_written(off) ? "written" : "hole");
	}
}

/* The value of a field (VmFlags:, AnonHugePages:) of the smaps entry holding p. */
static void smaps_field(const uint8_t *p, const char *field, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	bool in = false;
	out[0] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)p >= s && (uintptr_t)p < e;
		else if (in && !strncmp(line, field, strlen(field))) {
			snprintf(out, len, "%.200s", line + strlen(field));
			break;
		}
	}
	if (f)
		fclose(f);
}

static bool has_flag(const char *flags, const char *f)
{
	char pat[8];
	snprintf(pat, sizeof(pat), " %s", f);
	return strstr(flags, pat) != NULL;
}

static void check_advice(const struct area *a, bool hg, bool nh)
{
	char f[256];
	smaps_field(a->p, "VmFlags:", f, sizeof(f));
	if (!f[0])
		zt_fail("area %s: no VmFlags", a->name);
	if (has_flag(f, "hg") != hg || has_flag(f, "nh") != nh)
		zt_fail("area %s: VmFlags%s: want%s%s", a->name, f, hg ? " hg" : " no hg", nh ? " nh" : " no nh");
}

int main(int argc, char **argv)
{
	zt_init(argc, argv);
	A.p = map_aligned(A.len, 0);
	B.p = map_aligned(B.len, 5);
	C.p = map_aligned(C.len, 0);
	D.p = map_aligned(D.len, 0);
	if (madvise(C.p, C.len, MADV_NOHUGEPAGE) || madvise(D.p, D.len, MADV_HUGEPAGE))
		zt_fail("madvise: %m");
	zt_fill(A.p, A.len, 1);
	write_b();
	zt_fill(C.p, C.len, 3);
	zt_fill(D.p, D.len / 2, 4);
	zt_ready();
	zt_wait();
	if (zt_check(A.p, A.len, 1))
		zt_fail("area A: byte %zu is wrong", zt_check(A.p, A.len, 1) - 1);
	check_b_holes_absent();
	check_b();
	if (zt_check(C.p, C.len, 3))
		zt_fail("area C: byte %zu is wrong", zt_check(C.p, C.len, 3) - 1);
	if (zt_check(D.p, D.len / 2, 4))
		zt_fail("area D: byte %zu is wrong", zt_check(D.p, D.len / 2, 4) - 1);
	for (size_t i = D.len / 2; i < D.len; i++)
		if (D.p[i])
			zt_fail("area D: byte %zu of the unwritten half is %#x", i, D.p[i]);
	check_advice(&A, false, false);
	check_advice(&B, false, false);
	check_advice(&C, false, true);
	check_advice(&D, true, false);
	/* Filled through huge pages: A is 2 MiB aligned, so they are mapped whole there. */
	const char *how = getenv("CRYO_RESTORE_FILL");
	char thp[256] = "", huge[256] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	if (f && fgets(thp, sizeof(thp), f) && (strstr(thp, "[madvise]") || strstr(thp, "[always]")) && how &&
	    !strcmp(how, "move")) {
		smaps_field(A.p, "AnonHugePages:", huge, sizeof(huge));
		if (strtoul(huge, NULL, 10) == 0)
			zt_fail("area A has no huge pages after a restore that moved them in");
	}
	if (f)
		fclose(f);
	zt_pass();
}
