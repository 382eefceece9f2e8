/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vDSO across C/R (docs/vdso.md): clock_gettime (several clocks),
 * clock_getres, gettimeofday, time and getcpu, called through the pointers
 * this program took from its vDSO before the dump (as libc does) and through
 * libc, give the same answers as the system calls before and after restore;
 * the monotonic clocks went forward.
 *
 *   zt-vdso same|trampoline
 *
 * same: the vDSO is where it was (the restore moved the live one there).
 * trampoline: the restore found the vDSO changed: the dumped copy is at the
 * old address (anonymous r-x memory, not [vdso]), and each entry jumps into
 * the live [vdso].
 *
 * Linked statically: no ld.so mapping right after [vdso], so the runner can
 * grow the dumped vDSO by a page (vdso-alter grow).
 */
#include <elf.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lib/zt.h"

typedef int (*gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);

static uint64_t vdso_base;
static gettime_fn v_gettime, v_getres;
static gettimeofday_fn v_gettimeofday;
static time_fn v_time;
static getcpu_fn v_getcpu;

/* Look up a function of the vDSO by name through its section headers. */
static void *vdso_sym(const char *name)
{
	const uint8_t *b = (const uint8_t *)vdso_base;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(b + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_DYNSYM)
			continue;
		const Elf64_Sym *s = (const Elf64_Sym *)(b + sh[i].sh_offset);
		const char *str = (const char *)(b + sh[sh[i].sh_link].sh_offset);
		for (size_t k = 0; k < sh[i].sh_size / sizeof(*s); k++)
			if (s[k].st_shndx != SHN_UNDEF && !strcmp(str + s[k].st_name, name))
				return (void *)(vdso_base + s[k].st_value);
	}
	return NULL;
}

static const clockid_t clocks[] = {
	CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI, CLOCK_MONOTONIC_RAW,
	CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_PROCESS_CPUTIME_ID,
};
#define N_CLOCKS (sizeof(clocks) / sizeof(clocks[0]))
static const char *clock_names[N_CLOCKS] = {
	"REALTIME", "MONOTONIC", "BOOTTIME", "TAI", "MONOTONIC_RAW", "REALTIME_COARSE", "MONOTONIC_COARSE",
	"PROCESS_CPUTIME_ID",
};

static int64_t ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static int64_t sys_ns(clockid_t c)
{
	struct timespec t;
	if (syscall(SYS_clock_gettime, c, &t) < 0)
		zt_fail("clock_gettime(%d) syscall: %m", (int)c);
	return ns(&t);
}

/* The vDSO's (and libc's) answer lies between two system calls around it. */
static int64_t check_clock(size_t i, int64_t not_before)
{
	clockid_t c = clocks[i];
	struct timespec v, l;
	int64_t s0 = sys_ns(c);
	if (v_gettime(c, &v) != 0)
		zt_fail("vDSO clock_gettime(%s) failed", clock_names[i]);
	if (clock_gettime(c, &l) != 0)
		zt_fail("libc clock_gettime(%s) failed", clock_names[i]);
	int64_t s1 = sys_ns(c);
	if (ns(&v) < s0 || ns(&v) > s1 || ns(&l) < ns(&v) || ns(&l) > s1)
		zt_fail("clock %s: vDSO %lld, libc %lld, not within the system calls around them %lld..%lld",
			clock_names[i], (long long)ns(&v), (long long)ns(&l), (long long)s0, (long long)s1);
	/* The process's CPU time starts again in the restored process. */
	if (c != CLOCK_PROCESS_CPUTIME_ID && ns(&v) < not_before)
		zt_fail("clock %s went backwards across C/R: %lld before, %lld after", clock_names[i],
			(long long)not_before, (long long)ns(&v));
	struct timespec r, sr;
	if (v_getres(c, &r) != 0 || syscall(SYS_clock_getres, c, &sr) < 0 || ns(&r) != ns(&sr))
		zt_fail("clock_getres(%s): vDSO %lld, system call %lld", clock_names[i], (long long)ns(&r),
			(long long)ns(&sr));
	return ns(&v);
}

static void check_gettimeofday(void)
{
	struct timeval s0, v, s1;
	syscall(SYS_gettimeofday, &s0, NULL);
	if (v_gettimeofday(&v, NULL) != 0)
		zt_fail("vDSO gettimeofday failed");
	syscall(SYS_gettimeofday, &s1, NULL);
	int64_t a = s0.tv_sec * 1000000ll + s0.tv_usec, x = v.tv_sec * 1000000ll + v.tv_usec,
		b = s1.tv_sec * 1000000ll + s1.tv_usec;
	if (x < a || x > b)
		zt_fail("gettimeofday: vDSO %lld us, not within %lld..%lld", (long long)x, (long long)a, (long long)b);
}

static void check_time(void)
{
	time_t s0 = syscall(SYS_time, NULL), out = 0;
	time_t v = v_time(&out), l = time(NULL);
	time_t s1 = syscall(SYS_time, NULL);
	if (v != out || v < s0 || v > s1 || l < s0 || l > s1)
		zt_fail("time: vDSO %lld (stored %lld), libc %lld, system calls %lld..%lld", (long long)v,
			(long long)out, (long long)l, (long long)s0, (long long)s1);
}

/* The CPU the vDSO says we run on is the one the system call says, around it. */
static void check_getcpu(void)
{
	for (int tries = 0; tries < 1000; tries++) {
		unsigned c0, c1, cv = ~0u, nv = ~0u;
		syscall(SYS_getcpu, &c0, NULL, NULL);
		if (v_getcpu(&cv, &nv, NULL) != 0)
			zt_fail("vDSO getcpu failed");
		syscall(SYS_getcpu, &c1, NULL, NULL);
		if (c0 == c1 && cv == c0 && nv != ~0u)
			return;
		if (c0 == c1 && cv != c0)
			zt_fail("getcpu: vDSO says cpu %u, the system calls around it %u", cv, c0);
	}
	zt_fail("getcpu: never stable over 1000 tries");
}

static int64_t last[N_CLOCKS];

static void check_all(void)
{
	for (size_t i = 0; i < N_CLOCKS; i++)
		last[i] = check_clock(i, last[i]);
	check_gettimeofday();
	check_time();
	check_getcpu();
}

/* The mapping that holds addr: its range, permissions and name. */
static int mapping_of(uint64_t addr, uint64_t *s, uint64_t *e, char *perm, char *name)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int found = 0;
	while (f && !found && fgets(line, sizeof(line), f)) {
		unsigned long long a, b;
		name[0] = 0;
		if (sscanf(line, "%llx-%llx %4s %*s %*s %*s %255s", &a, &b, perm, name) >= 3 && addr >= a && addr < b) {
			*s = a;
			*e = b;
			found = 1;
		}
	}
	if (f)
		fclose(f);
	return found;
}

static void check_where(const char *mode)
{
	uint64_t s, e, ls, le;
	char perm[8], name[256], lperm[8], lname[256];
	if (!mapping_of(vdso_base, &s, &e, perm, name))
		zt_fail("nothing mapped at the vDSO address %#lx", (unsigned long)vdso_base);
	if (!strcmp(mode, "same")) {
		if (strcmp(name, "[vdso]") || s != vdso_base)
			zt_fail("[vdso] is not at %#lx any more (found %s at %#lx)", (unsigned long)vdso_base, name,
				(unsigned long)s);
		return;
	}
	if (name[0] || strcmp(perm, "r-xp"))
		zt_fail("the dumped vDSO copy at %#lx is '%s' %s, not anonymous r-xp", (unsigned long)vdso_base, name,
			perm);
	/* The entry libc calls starts with a jmp rel32 into the live [vdso]. */
	const uint8_t *p = (const uint8_t *)v_gettime;
	int32_t rel;
	memcpy(&rel, p + 1, 4);
	uint64_t to = (uint64_t)p + 5 + (int64_t)rel;
	if (p[0] != 0xe9 || !mapping_of(to, &ls, &le, lperm, lname) || strcmp(lname, "[vdso]"))
		zt_fail("__vdso_clock_gettime at %p does not jump into the live [vdso] (byte %#x, target %#lx in '%s')",
			(void *)p, p[0], (unsigned long)to, p[0] == 0xe9 ? lname : "");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "same";
	zt_init(argc, argv);
	if (strcmp(mode, "same") && strcmp(mode, "trampoline"))
		zt_fail("usage: zt-vdso same|trampoline");
	vdso_base = getauxval(AT_SYSINFO_EHDR);
	if (!vdso_base)
		zt_skip("no vDSO (AT_SYSINFO_EHDR is 0)");
	v_gettime = (gettime_fn)vdso_sym("__vdso_clock_gettime");
	v_getres = (gettime_fn)vdso_sym("__vdso_clock_getres");
	v_gettimeofday = (gettimeofday_fn)vdso_sym("__vdso_gettimeofday");
	v_time = (time_fn)vdso_sym("__vdso_time");
	v_getcpu = (getcpu_fn)vdso_sym("__vdso_getcpu");
	if (!v_gettime || !v_getres || !v_gettimeofday || !v_time || !v_getcpu)
		zt_skip("this vDSO lacks one of clock_gettime, clock_getres, gettimeofday, time, getcpu");
	check_all();
	zt_ready();
	zt_wait();
	check_where(mode);
	check_all();
	/* Still counting: a second round a little later. */
	usleep(20000);
	check_all();
	zt_pass();
}
