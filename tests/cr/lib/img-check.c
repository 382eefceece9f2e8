/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * img-check DIR: compare a dump with the processes it was taken from,
 * which must still be stopped as they were (dump --leave-stopped):
 *  - every PE_PRESENT page in the image equals the process' memory,
 *  - every PE_ZERO page is zero in the process,
 *  - every private anonymous page present in the process is in the image, and
 *    every COWed page of a private file mapping,
 *  - every thread's core image exists, its blocked mask is the thread's
 *    SigBlk, its stack pointer and ip match /proc/PID/task/TID/syscall,
 *  - the signal actions agree with SigIgn/SigCgt of /proc/PID/status,
 *  - each area's guard ranges agree with pagemap bit 58,
 *  - each area's madv bits and MAP_GROWSDOWN agree with its smaps VmFlags,
 *  - the queued blocked signals agree with SigPnd (thread) and ShdPnd (process).
 * Exit 0 if all holds, 1 with the first difference on stderr.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "cr/image.h"
#include "cr/log.h"
#include "proto/core.pb-c.h"
#include "proto/mm.pb-c.h"
#include "proto/pstree.pb-c.h"

#define PG 4096u
#define PM_PRESENT (1ull << 63)
#define PM_SWAP (1ull << 62)
#define PM_FILE (1ull << 61)
#define PM_GUARD (1ull << 58)

struct covered {
	uint64_t start, end;
};

/*
 * The rseq areas of the threads: the kernel writes the current CPU (and
 * mm_cid) there whenever a thread is scheduled, and the parasite's daemon
 * thread is scheduled while the dump reads memory.  Those bytes belong to
 * the kernel (the restore registers rseq again), so they are not compared.
 */
static struct covered rseq_areas[256];
static size_t nr_rseq_areas;

static void mask_rseq(uint8_t *img, const uint8_t *live, uint64_t va, uint64_t len)
{
	for (size_t i = 0; i < nr_rseq_areas; i++) {
		uint64_t s = rseq_areas[i].start > va ? rseq_areas[i].start : va;
		uint64_t e = rseq_areas[i].end < va + len ? rseq_areas[i].end : va + len;
		if (s < e)
			memcpy(img + (s - va), live + (s - va), e - s);
	}
}

static int fail(const char *what, pid_t pid, uint64_t addr)
{
	fprintf(stderr, "img-check: process %d: %s at %#" PRIx64 "\n", pid, what, addr);
	return -1;
}

static int check_pages(struct img_dir *d, pid_t pid, struct covered **cov, size_t *ncov)
{
	struct page_reader *r;
	struct page_entry e;
	char path[64];
	int mem, rc = 0, n;
	static uint8_t img[PG * 256], live[PG * 256];

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem = open(path, O_RDONLY);
	if (mem < 0 || page_reader_open(d, (unsigned)pid, &r) < 0) {
		fprintf(stderr, "img-check: cannot open pages or memory of %d\n", pid);
		return -1;
	}
	while (rc == 0 && (n = page_reader_next(r, &e)) > 0) {
		*cov = realloc(*cov, (*ncov + 1) * sizeof(**cov));
		(*cov)[(*ncov)++] = (struct covered){ e.vaddr, e.vaddr + e.nr_pages * PG };
		for (uint64_t done = 0; rc == 0 && done < e.nr_pages;) {
			uint64_t k = e.nr_pages - done < 256 ? e.nr_pages - done : 256;
			uint64_t va = e.vaddr + done * PG;
			struct page_entry part = e;
			part.vaddr = va;
			part.nr_pages = k;
			part.pages_off = e.pages_off + (off_t)(done * PG);
			if (pread(mem, live, k * PG, (off_t)va) != (ssize_t)(k * PG))
				rc = fail("unreadable memory", pid, va);
			else if (e.flags & PE_PRESENT) {
				if (page_reader_read(r, &part, img) < 0)
					rc = fail("unreadable image data", pid, va);
				else if (mask_rseq(img, live, va, k * PG), memcmp(img, live, k * PG))
					rc = fail("image data differs from memory", pid, va);
			} else if (e.flags & PE_ZERO) {
				for (uint64_t i = 0; i < k * PG && rc == 0; i++)
					if (live[i])
						rc = fail("PE_ZERO page is not zero", pid, va + i);
			}
			done += k;
		}
	}
	if (n < 0)
		rc = fail("corrupt pagemap", pid, 0);
	page_reader_close(r);
	close(mem);
	return rc;
}

static bool is_covered(const struct covered *c, size_t n, uint64_t addr)
{
	for (size_t i = 0; i < n; i++)
		if (addr >= c[i].start && addr < c[i].end)
			return true;
	return false;
}

/* VmFlags of the area starting at start, from the live smaps ("" if none). */
static void live_vmflags(pid_t pid, uint64_t start, char *out, size_t size)
{
	char path[64], line[512];
	unsigned long long s, e;
	int in = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "r");
	out[0] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = s == start;
		else if (in && !strncmp(line, "VmFlags:", 8))
			snprintf(out, size, "%s", line + 8);
	}
	if (f)
		fclose(f);
}

/* madv bits of mm.proto and the VmFlags they come from. */
static int check_madv(pid_t pid, const VmaEntry *v)
{
	static const struct { uint32_t bit; const char *flag; } m[] = {
		{ 1, " dc" }, { 2, " wf" }, { 4, " dd" }, { 64, " lo" },
	};
	char flags[512];

	live_vmflags(pid, v->start, flags, sizeof(flags));
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		bool img = v->has_madv && (v->madv & m[i].bit), live = strstr(flags, m[i].flag) != NULL;
		if (img != live)
			return fail("madv bit differs from VmFlags for the area", pid, v->start);
	}
	if (!!(v->flags & MAP_GROWSDOWN) != (strstr(flags, " gd") != NULL))
		return fail("MAP_GROWSDOWN differs from VmFlags for the area", pid, v->start);
	return 0;
}

/* PAGEMAP_SCAN (Linux 6.7), for areas too big to walk page by page (the
 * shadow memory of a sanitizer runtime spans terabytes). */
#ifndef PAGEMAP_SCAN
struct page_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif
#define C_FILE (1 << 2)
#define C_PRESENT (1 << 3)
#define C_SWAPPED (1 << 4)
#define C_GUARD (1 << 8)

static bool in_guard_ranges(const VmaEntry *v, uint64_t a)
{
	for (size_t g = 0; g + 1 < v->n_guard_ranges; g += 2)
		if (a >= v->guard_ranges[g] && a < v->guard_ranges[g + 1])
			return true;
	return false;
}

/* The rules for one populated page: e in pagemap-entry form. */
static int check_page(pid_t pid, const VmaEntry *v, uint64_t a, uint64_t e, const struct covered *cov, size_t ncov)
{
	bool file = v->kind == VMA_KIND__VMA_FILE_PRIVATE;

	if (v->kind == VMA_KIND__VMA_VVAR || v->kind == VMA_KIND__VMA_VSYSCALL || v->kind == VMA_KIND__VMA_VDSO)
		return 0;
	if (in_guard_ranges(v, a) != !!(e & PM_GUARD))
		return fail("guard pages differ from pagemap bit 58", pid, a);
	if (e & PM_GUARD)
		return 0;	/* a guard marker (reported as swapped) holds no data */
	if (v->kind != VMA_KIND__VMA_ANON_PRIVATE && !file)
		return 0;
	if (file && (e & PM_FILE))
		return 0;	/* still the file's page */
	if ((e & (PM_PRESENT | PM_SWAP)) && !is_covered(cov, ncov, a))
		return fail(file ? "COWed page of a file mapping missing from the image"
			       : "present anonymous page missing from the image", pid, a);
	return 0;
}

/* 1: checked with PAGEMAP_SCAN; 0: not available; -1: a difference. */
static int scan_vma(int pm, pid_t pid, const VmaEntry *v, const struct covered *cov, size_t ncov)
{
	static struct page_region reg[512];
	struct pm_scan_arg arg = {
		.size = sizeof(arg), .start = v->start, .end = v->end,
		.vec = (uint64_t)(uintptr_t)reg, .vec_len = 512,
		.category_anyof_mask = C_PRESENT | C_SWAPPED | C_GUARD,
		.return_mask = C_PRESENT | C_SWAPPED | C_GUARD | C_FILE,
	};

	while (arg.start < v->end) {
		long n = ioctl(pm, PAGEMAP_SCAN, &arg);
		if (n < 0)
			return arg.start == v->start ? 0 : fail("PAGEMAP_SCAN failed", pid, arg.start);
		for (long i = 0; i < n; i++) {
			uint64_t c = reg[i].categories;
			uint64_t e = (c & C_PRESENT ? PM_PRESENT : 0) | (c & C_SWAPPED ? PM_SWAP : 0) |
				     (c & C_FILE ? PM_FILE : 0) | (c & C_GUARD ? PM_GUARD : 0);
			for (uint64_t a = reg[i].start; a < reg[i].end; a += PG)
				if (check_page(pid, v, a, e, cov, ncov))
					return -1;
		}
		if (arg.walk_end <= arg.start)
			break;
		arg.start = arg.walk_end;
	}
	/* Guards in the image that are not live guards. */
	for (size_t g = 0; g + 1 < v->n_guard_ranges; g += 2)
		for (uint64_t a = v->guard_ranges[g]; a < v->guard_ranges[g + 1]; a += PG) {
			uint64_t e = 0;
			if (pread(pm, &e, 8, (off_t)(a / PG * 8)) != 8 || !(e & PM_GUARD))
				return fail("image guard page is not a guard", pid, a);
		}
	return 1;
}

static int check_coverage(struct img_dir *d, pid_t pid, const struct covered *cov, size_t ncov)
{
	struct img *img;
	MmEntry *mm;
	char path[64];
	int pm, rc = 0;

	if (img_open(d, IMG_MM, false, &img, pid) < 0 || img_read_one(img, (ProtobufCMessage **)&mm) < 0) {
		fprintf(stderr, "img-check: no mm image of %d\n", pid);
		return -1;
	}
	img_close(img);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pm = open(path, O_RDONLY);
	for (size_t i = 0; i < mm->n_vmas && rc == 0; i++) {
		VmaEntry *v = mm->vmas[i];
		int s;

		rc = check_madv(pid, v);
		if (rc)
			break;
		if (v->kind == VMA_KIND__VMA_VVAR || v->kind == VMA_KIND__VMA_VSYSCALL || v->kind == VMA_KIND__VMA_VDSO)
			continue;
		s = scan_vma(pm, pid, v, cov, ncov);
		if (s < 0)
			rc = -1;
		if (s != 0)
			continue;
		for (uint64_t a = v->start; a < v->end && rc == 0; a += PG) {
			uint64_t e = 0;
			if (pread(pm, &e, 8, (off_t)(a / PG * 8)) != 8)
				rc = fail("unreadable pagemap", pid, a);
			else
				rc = check_page(pid, v, a, e, cov, ncov);
		}
	}
	close(pm);
	img_free_msg(&mm->base);
	return rc;
}

static uint64_t status_hex(pid_t pid, pid_t tid, const char *key)
{
	char path[96], line[256];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtoull(line + strlen(key), NULL, 16);
	if (f)
		fclose(f);
	return v;
}

static uint64_t pending_mask(const ProtobufCBinaryData *p, size_t n)
{
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++) {
		int signo;
		if (p[i].len < sizeof(int))
			continue;
		memcpy(&signo, p[i].data, sizeof(int));
		if (signo >= 1 && signo <= 64)
			m |= 1ull << (signo - 1);
	}
	return m;
}

static int check_core(struct img_dir *d, pid_t pid, pid_t tid, bool main_thread)
{
	struct img *img;
	ThreadCoreEntry *tc = NULL;
	TaskCoreEntry *tk = NULL;
	char path[96], line[512];
	unsigned long long f[9] = { 0 };
	uint64_t blk;
	long nr = -2;
	int rc = 0;
	FILE *sf;

	if (img_open(d, IMG_CORE, false, &img, tid) < 0 || img_read_one(img, (ProtobufCMessage **)&tc) < 0)
		return fail("no readable core image", pid, (uint64_t)tid);
	if (main_thread && img_read_one(img, (ProtobufCMessage **)&tk) < 0)
		rc = fail("no task core record", pid, (uint64_t)tid);
	img_close(img);
	if (tc->rseq && nr_rseq_areas < sizeof(rseq_areas) / sizeof(rseq_areas[0]))
		rseq_areas[nr_rseq_areas++] = (struct covered){ tc->rseq->ptr, tc->rseq->ptr + tc->rseq->len };
	if (rc == 0 && tc->blocked_sigset != status_hex(pid, tid, "SigBlk:"))
		rc = fail("blocked mask differs from SigBlk", pid, tc->blocked_sigset);
	/* Only blocked signals stay queued for sure: the others may be delivered
	 * (or discarded, like a default SIGCHLD) when the tree resumes into its stop. */
	blk = tc->blocked_sigset;
	if (rc == 0 && (pending_mask(tc->pending_siginfo, tc->n_pending_siginfo) & blk) !=
			       (status_hex(pid, tid, "SigPnd:") & blk))
		rc = fail("queued blocked signals differ from SigPnd", pid,
			  pending_mask(tc->pending_siginfo, tc->n_pending_siginfo));
	if (rc == 0 && tk &&
	    (pending_mask(tk->shared_pending_siginfo, tk->n_shared_pending_siginfo) & blk) !=
		    (status_hex(pid, pid, "ShdPnd:") & blk))
		rc = fail("shared queued blocked signals differ from ShdPnd", pid,
			  pending_mask(tk->shared_pending_siginfo, tk->n_shared_pending_siginfo));
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	sf = fopen(path, "r");
	if (rc == 0 && sf && fgets(line, sizeof(line), sf) &&
	    sscanf(line, "%ld %llx %llx %llx %llx %llx %llx %llx %llx", &nr, &f[0], &f[1], &f[2], &f[3],
		   &f[4], &f[5], &f[6], &f[7]) == 9) {
		/* In a syscall: sp equal; ip equal, or rewound by 2 for a restart. */
		if (tc->gpregs->sp != f[6])
			rc = fail("stack pointer differs", pid, tc->gpregs->sp);
		else if (tc->gpregs->ip != f[7] && tc->gpregs->ip + 2 != f[7])
			rc = fail("instruction pointer differs", pid, tc->gpregs->ip);
	}
	if (sf)
		fclose(sf);
	if (rc == 0 && tk) {
		uint64_t ign = status_hex(pid, pid, "SigIgn:"), cgt = status_hex(pid, pid, "SigCgt:");
		for (size_t i = 0; i < tk->n_sigactions && rc == 0; i++) {
			SigactionEntry *sa = tk->sigactions[i];
			uint64_t bit = 1ull << (sa->signo - 1);
			if ((sa->handler == 1) != !!(ign & bit) || (sa->handler > 1) != !!(cgt & bit))
				rc = fail("signal action disagrees with SigIgn/SigCgt for signal", pid, sa->signo);
		}
	}
	if (tk)
		img_free_msg(&tk->base);
	img_free_msg(&tc->base);
	return rc;
}

int main(int argc, char **argv)
{
	struct img_dir *d;
	struct img *img;
	PstreeEntry *e;
	int n, rc = 0, procs = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: img-check DIR\n");
		return 2;
	}
	log_init(NULL, LOG_FMT_TEXT, LOG_LVL_ERROR);
	if (img_dir_open_read(argv[1], &d) < 0 || img_open(d, IMG_PSTREE, false, &img) < 0) {
		fprintf(stderr, "img-check: cannot open %s/pstree.img\n", argv[1]);
		return 1;
	}
	while (rc == 0 && (n = img_read(img, (ProtobufCMessage **)&e)) > 0) {
		struct covered *cov = NULL;
		size_t ncov = 0;
		procs++;
		nr_rseq_areas = 0;	/* per address space */
		for (size_t t = 0; t < e->n_threads && rc == 0; t++)
			rc = check_core(d, (pid_t)e->pid, (pid_t)e->threads[t], t == 0);
		if (rc == 0 && !(e->has_zombie && e->zombie)) {
			rc = check_pages(d, (pid_t)e->pid, &cov, &ncov);
			if (rc == 0)
				rc = check_coverage(d, (pid_t)e->pid, cov, ncov);
		}
		free(cov);
		img_free_msg(&e->base);
	}
	img_close(img);
	img_dir_close(d);
	if (rc == 0 && procs == 0) {
		fprintf(stderr, "img-check: empty pstree\n");
		rc = -1;
	}
	if (rc == 0)
		printf("img-check: %d processes match the image\n", procs);
	return rc ? 1 : 0;
}
