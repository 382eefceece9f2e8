/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mm-PID.img and the memory of one process.
 *
 * Which pages go to the image is read from /proc/PID/pagemap (no
 * soft-dirty here): for private areas every present or swapped page that
 * is not a page-cache page of the file (anonymous or COWed); shared
 * objects (shmem, shared anonymous, memfd) are dumped once for the whole
 * tree from their /proc/PID/map_files entry, keyed by device and inode.
 * Page data is read with large preads from /proc/PID/mem (which ignores
 * protections, so PROT_NONE and read-only areas need no mprotect) into one
 * bounded buffer; all-zero pages are recorded as PE_ZERO, not stored.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include "dump.h"
#include "file-identity.h"
#include "fault.h"
#include "kerndat.h"
#include "log.h"
#include "mem-copy.h"
#include "mem-stripes.h"
#include "parasite/parasite-host.h"
#include "proto/mm.pb-c.h"
#include "vdso.h"

#undef PAGE_SIZE	/* <sys/user.h> has one */
#define PAGE_SIZE ((uint64_t)4096)
#define PM_PRESENT (1ull << 63)
#define PM_SWAP (1ull << 62)
#define PM_FILE (1ull << 61)
#define PM_GUARD (1ull << 58)
#define PM_CHUNK 8192	/* pagemap entries read at once (32 MiB of address space) */

struct page_sink {
	struct dump_ctx *c;
	struct page_writer *w;
	int src_fd;		/* /proc/PID/mem or a map_files fd */
	pid_t vm_pid;		/* readable area: process_vm_readv from this pid first */
	struct stripe_plan *plan;	/* two streams (mem-stripes.h): runs are listed first */
	uint64_t write_usec;	/* waiting for the parasite's writes */
};

/* From this much anonymous memory on, pages go through two streams into two files. */
#define STRIPE_MIN_BYTES (128ull << 20)

/* Record a run of data pages: reserve its page file range (the store threads
 * write it there) and account the pagemap entry. */
static int plan_data(struct page_sink *s, struct copy_job *job, uint64_t vaddr, uint32_t buf_off,
		     uint64_t nr, off_t *file_off)
{
	uint32_t len = (uint32_t)(nr * PAGE_SIZE);
	int r;

	/* page_writer_account() wants the file position at the end of the data. */
	if (lseek(job->fd, *file_off + (off_t)len, SEEK_SET) < 0)
		return log_error_errno(negative_errno(), "cannot seek the page file");
	r = page_writer_account(s->w, vaddr, nr);
	if (r < 0)
		return log_error_errno(r, "cannot record pages at %#" PRIx64, vaddr);
	job->segs[job->nr_segs++] = (struct copy_seg){ .buf_off = buf_off, .len = len, .file_off = *file_off };
	*file_off += len;
	s->c->stats.pages_written += nr;
	s->c->stats.bytes_written += len;
	return 0;
}

/* Split a buffer of pages into zero runs (PE_ZERO holes, not stored) and
 * data runs (segments of the job). */
static int plan_pages(struct page_sink *s, struct copy_job *job, uint64_t vaddr, uint64_t nr)
{
	uint64_t i = 0;
	off_t file_off;
	int r;

	job->fd = page_writer_pages_fd(s->w, &file_off);
	if (job->fd < 0)
		return log_error_errno(job->fd, "cannot get the page file");
	while (i < nr) {
		bool zero = mem_page_is_zero(job->buf + i * PAGE_SIZE);
		uint64_t j = i + 1;

		while (j < nr && mem_page_is_zero(job->buf + j * PAGE_SIZE) == zero)
			j++;
		if (zero) {
			r = page_writer_add_hole(s->w, vaddr + i * PAGE_SIZE, j - i, PE_ZERO);
			if (r < 0)
				return log_error_errno(r, "cannot record zero pages at %#" PRIx64, vaddr + i * PAGE_SIZE);
			s->c->stats.pages_zero += j - i;
		} else {
			r = plan_data(s, job, vaddr + i * PAGE_SIZE, (uint32_t)(i * PAGE_SIZE), j - i, &file_off);
			if (r < 0)
				return r;
		}
		i = j;
	}
	return 0;
}

static bool fault_checked;

/* The mid-memory fault point fires once, after the first pages were written. */
static int mid_memory_fault(void)
{
	if (fault_checked)
		return 0;
	fault_checked = true;
	return fault_inject("mid-memory");
}

static bool scan_bit(const uint64_t *zero, uint64_t i)
{
	return zero[i / 64] >> (i % 64) & 1;
}

/* Record what was written into page file 'file': data runs (already there,
 * from file_off on, in address order) and zero runs (holes). */
static int record_dumped(struct page_sink *s, unsigned file, off_t file_off, uint64_t vaddr, uint64_t nr,
			 const uint64_t *zerobits)
{
	off_t at;
	int fd = page_writer_file_fd(s->w, file, &at);
	uint64_t i = 0;
	int r;

	if (fd < 0)
		return log_error_errno(fd, "cannot get page file %u", file);
	if (at != file_off) {
		log_error("page file %u: pages at %#" PRIx64 " were written at %lld, expected at %lld", file, vaddr,
			  (long long)file_off, (long long)at);
		return -EIO;
	}
	while (i < nr) {
		bool zero = scan_bit(zerobits, i);
		uint64_t j = i + 1, va = vaddr + i * PAGE_SIZE;

		while (j < nr && scan_bit(zerobits, j) == zero)
			j++;
		if (zero) {
			r = page_writer_add_hole(s->w, va, j - i, PE_ZERO);
			s->c->stats.pages_zero += j - i;
		} else {
			r = page_writer_account_at(s->w, file, file_off, va, j - i);
			file_off += (off_t)((j - i) * PAGE_SIZE);
			s->c->stats.pages_written += j - i;
			s->c->stats.bytes_written += (j - i) * PAGE_SIZE;
		}
		if (r < 0)
			return log_error_errno(r, "cannot record pages at %#" PRIx64, va);
		i = j;
	}
	/* The fd's position follows the data too (one lseek, not one per run). */
	if (lseek(fd, file_off, SEEK_SET) < 0)
		return log_error_errno(negative_errno(), "cannot seek page file %u", file);
	return 0;
}

/*
 * With the parasite in: it writes the data pages of each range (up to
 * 64 MiB) from its own address space into the page file it was handed, and
 * says which pages were zero (a data page is usually known by its first
 * bytes, and looked at just before it is written).  One copy, no buffer
 * here, and no page cache page is zeroed first (a full-page write into
 * tmpfs skips the clearing a fault into a mapping of the file would do).
 */
static int direct_run(struct page_sink *s, uint64_t vaddr, uint64_t nr)
{
	struct parasite_dump_pages d;

	while (nr) {
		uint32_t n = nr < PARASITE_SCAN_PAGES ? (uint32_t)nr : PARASITE_SCAN_PAGES;
		uint64_t t0 = mem_mono_usec();
		off_t file_off;
		int fd, r;

		fd = page_writer_pages_fd(s->w, &file_off);
		if (fd < 0)
			return log_error_errno(fd, "cannot get the page file");
		r = parasite_dump_pages(s->c->parasite, vaddr, n, (uint64_t)file_off, &d);
		s->write_usec += mem_mono_usec() - t0;
		if (r >= 0)
			r = record_dumped(s, 0, file_off, d.vaddr, d.nr_pages, d.zero);
		if (r >= 0)
			r = mid_memory_fault();
		if (r < 0)
			return r;
		vaddr += (uint64_t)n * PAGE_SIZE;
		nr -= n;
	}
	return 0;
}

/* Copy nr pages at vaddr: read and planned here, written by the store threads. */
static int copy_run(struct page_sink *s, uint64_t vaddr, uint64_t nr)
{
	uint64_t max = COPY_SLOT_SIZE / PAGE_SIZE;

	if (s->plan)
		return stripe_plan_add(s->plan, vaddr, nr, s->vm_pid != 0);
	if (s->c->parasite && s->vm_pid)	/* readable: the parasite writes it itself */
		return direct_run(s, vaddr, nr);

	while (nr) {
		uint64_t n = nr < max ? nr : max, t0;
		struct copy_job *job;
		int r = copy_pipe_get(s->c->copy, &job), q;

		if (r < 0)
			return r;
		t0 = mem_mono_usec();
		r = mem_read_task(s->vm_pid, s->src_fd, job->buf, (size_t)(n * PAGE_SIZE), vaddr);
		s->c->stats.read_usec += mem_mono_usec() - t0;
		if (r >= 0)
			r = plan_pages(s, job, vaddr, n);
		if (r < 0)
			job->nr_segs = 0;
		q = copy_pipe_post(s->c->copy, job);	/* also gives the buffer back on error */
		if (r < 0 || q < 0)
			return r < 0 ? r : q;
		r = mid_memory_fault();
		if (r < 0)
			return r;
		vaddr += n * PAGE_SIZE;
		nr -= n;
	}
	return 0;
}

static bool page_wanted(uint64_t pm, VmaKind kind)
{
	/* A guard page is a marker (reported like a swap entry): no data. */
	if (pm & PM_GUARD)
		return false;
	if (pm & PM_SWAP)
		return true;
	if (!(pm & PM_PRESENT))
		return false;
	/* Private file areas: only the pages no longer shared with the file. */
	if (kind == VMA_KIND__VMA_FILE_PRIVATE)
		return !(pm & PM_FILE);
	return true;
}

/* PAGEMAP_SCAN (Linux 6.7; <linux/fs.h> here is older): the kernel walks the
 * page tables and returns only the matching ranges, so a huge, mostly empty
 * area costs nothing. */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_FILE (1 << 2)
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_SWAPPED (1 << 4)
struct page_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif
#define SCAN_REGIONS 512
#ifndef PAGE_IS_GUARD
#define PAGE_IS_GUARD (1 << 8)
#endif

/* 1: done with PAGEMAP_SCAN; 0: not available, use the pagemap read; < 0 error. */
static int scan_private_vma(struct page_sink *s, int pm_fd, const VmaEntry *v)
{
	struct page_region reg[SCAN_REGIONS];
	struct pm_scan_arg a = {
		.size = sizeof(a), .start = v->start, .end = v->end,
		.vec = (uint64_t)(uintptr_t)reg, .vec_len = SCAN_REGIONS,
		.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_FILE,
	};
	int r;

	if (!kerndat_has(KD_PAGEMAP_SCAN))
		return 0;
	/* Private file areas: only the pages no longer shared with the file. */
	if (v->kind == VMA_KIND__VMA_FILE_PRIVATE)
		a.category_inverted = a.category_mask = PAGE_IS_FILE;
	/* Guard pages are reported like swap entries: exclude them. */
	a.category_inverted |= PAGE_IS_GUARD;
	a.category_mask |= PAGE_IS_GUARD;
	while (a.start < v->end) {
		long n = ioctl(pm_fd, PAGEMAP_SCAN, &a);
		if (n < 0) {
			/* Older kernels: no PAGEMAP_SCAN, or no PAGE_IS_GUARD in it. */
			if ((errno == EINVAL || errno == ENOTTY) && a.start == v->start)
				return 0;
			return log_error_errno(negative_errno(), "PAGEMAP_SCAN at %#" PRIx64, (uint64_t)a.start);
		}
		for (long i = 0; i < n; i++) {
			r = copy_run(s, reg[i].start, (reg[i].end - reg[i].start) / PAGE_SIZE);
			if (r < 0)
				return r;
		}
		if (a.walk_end <= a.start)
			break;
		a.start = a.walk_end;
	}
	s->c->stats.pages_scanned += (v->end - v->start) / PAGE_SIZE;
	s->c->stats.scanned_by_ioctl++;
	return 1;
}

static int push_range(VmaEntry *v, uint64_t start, uint64_t end)
{
	uint64_t *n;

	/* Extend the last range when this one continues it. */
	if (v->n_guard_ranges && v->guard_ranges[v->n_guard_ranges - 1] == start) {
		v->guard_ranges[v->n_guard_ranges - 1] = end;
		return 0;
	}
	n = realloc(v->guard_ranges, (v->n_guard_ranges + 2) * sizeof(uint64_t));
	if (!n)
		return -ENOMEM;
	v->guard_ranges = n;
	n[v->n_guard_ranges++] = start;
	n[v->n_guard_ranges++] = end;
	return 0;
}

/* Guard pages through pagemap bit 58, for kernels whose PAGEMAP_SCAN lacks PAGE_IS_GUARD. */
static int read_guards(int pm_fd, VmaEntry *v)
{
	uint64_t pm[1024];

	for (uint64_t addr = v->start; addr < v->end;) {
		uint64_t n = (v->end - addr) / PAGE_SIZE;
		if (n > ARRAY_SIZE(pm))
			n = ARRAY_SIZE(pm);
		if (pread(pm_fd, pm, n * 8, (off_t)(addr / PAGE_SIZE * 8)) != (ssize_t)(n * 8))
			return log_error_errno(negative_errno(), "cannot read pagemap at %#" PRIx64, addr);
		for (uint64_t i = 0; i < n; i++, addr += PAGE_SIZE)
			if ((pm[i] & PM_GUARD) && push_range(v, addr, addr + PAGE_SIZE) < 0)
				return -ENOMEM;
	}
	return 0;
}

/* Record MADV_GUARD_INSTALL ranges of an area (vma_entry.guard_ranges). */
static int find_guards(int pm_fd, VmaEntry *v)
{
	struct page_region reg[SCAN_REGIONS];
	struct pm_scan_arg a = {
		.size = sizeof(a), .start = v->start, .end = v->end,
		.vec = (uint64_t)(uintptr_t)reg, .vec_len = SCAN_REGIONS,
		.category_mask = PAGE_IS_GUARD, .return_mask = PAGE_IS_GUARD,
	};

	if (!kerndat_has(KD_PAGEMAP_SCAN))
		return read_guards(pm_fd, v);
	while (a.start < v->end) {
		long n = ioctl(pm_fd, PAGEMAP_SCAN, &a);
		if (n < 0) {
			if (errno == EINVAL && a.start == v->start)
				return read_guards(pm_fd, v);
			return log_error_errno(negative_errno(), "PAGEMAP_SCAN for guards at %#" PRIx64, (uint64_t)a.start);
		}
		for (long i = 0; i < n; i++)
			if (push_range(v, reg[i].start, reg[i].end) < 0)
				return -ENOMEM;
		if (a.walk_end <= a.start)
			break;
		a.start = a.walk_end;
	}
	return 0;
}

static int dump_private_vma(struct page_sink *s, int pm_fd, const VmaEntry *v)
{
	_cleanup_free_ uint64_t *pm = malloc(PM_CHUNK * sizeof(uint64_t));
	uint64_t run_start = 0, run_len = 0;
	int r = scan_private_vma(s, pm_fd, v);

	if (r != 0)
		return r < 0 ? r : 0;
	if (!pm)
		return -ENOMEM;
	for (uint64_t addr = v->start; addr < v->end;) {
		uint64_t n = (v->end - addr) / PAGE_SIZE;
		ssize_t got;

		if (n > PM_CHUNK)
			n = PM_CHUNK;
		got = pread(pm_fd, pm, n * 8, (off_t)(addr / PAGE_SIZE * 8));
		if (got != (ssize_t)(n * 8))
			return log_error_errno(got < 0 ? negative_errno() : -EIO,
					       "cannot read pagemap at %#" PRIx64, addr);
		s->c->stats.pages_scanned += n;
		for (uint64_t i = 0; i < n; i++, addr += PAGE_SIZE) {
			if (page_wanted(pm[i], v->kind)) {
				if (!run_len)
					run_start = addr;
				run_len++;
				continue;
			}
			if (run_len) {
				r = copy_run(s, run_start, run_len);
				if (r < 0)
					return r;
				run_len = 0;
			}
		}
	}
	return run_len ? copy_run(s, run_start, run_len) : 0;
}

static uint32_t shmem_id_of(struct dump_ctx *c, uint64_t dev, uint64_t ino)
{
	struct shmem_obj *n;

	for (size_t i = 0; i < c->nr_shmem; i++)
		if (c->shmem[i].dev == dev && c->shmem[i].ino == ino)
			return c->shmem[i].id;
	n = realloc(c->shmem, (c->nr_shmem + 1) * sizeof(*n));
	if (!n)
		return 0;
	c->shmem = n;
	n[c->nr_shmem] = (struct shmem_obj){ .dev = dev, .ino = ino, .id = (uint32_t)c->nr_shmem + 1 };
	return n[c->nr_shmem++].id;
}

static struct shmem_obj *shmem_find(struct dump_ctx *c, uint32_t id)
{
	return id && id <= c->nr_shmem ? &c->shmem[id - 1] : NULL;
}

/* A shared object's whole content, once, from its map_files entry: only the
 * ranges the object really has (SEEK_DATA/SEEK_HOLE). */
static int dump_shmem_obj(struct dump_ctx *c, pid_t pid, const VmaEntry *v, struct shmem_obj *o)
{
	char path[96];
	_cleanup_close_ int fd = -1;
	struct page_sink s = { .c = c };
	off_t pos = 0, size = (off_t)v->shmem_size;
	int r, q;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, v->start, v->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(negative_errno(), "cannot open %s", path);
	r = page_writer_open(c->dir, SHMEM_PAGES_ID_BASE + o->id, &s.w);
	if (r < 0)
		return log_error_errno(r, "cannot create pages of shared object %u", o->id);
	s.src_fd = fd;
	while (pos < size) {
		off_t data = lseek(fd, pos, SEEK_DATA), hole;
		if (data < 0) {
			if (errno == ENXIO)
				break;
			r = log_error_errno(negative_errno(), "SEEK_DATA in %s", path);
			break;
		}
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || hole > size)
			hole = size;
		data &= ~(off_t)(PAGE_SIZE - 1);
		hole = (hole + (off_t)PAGE_SIZE - 1) & ~(off_t)(PAGE_SIZE - 1);
		r = copy_run(&s, (uint64_t)data, (uint64_t)(hole - data) / PAGE_SIZE);
		if (r < 0)
			break;
		pos = hole;
	}
	q = copy_pipe_drain(c->copy);
	if (r >= 0)
		r = q;
	q = page_writer_close(s.w);
	if (r >= 0 && q < 0)
		r = log_error_errno(q, "cannot write pages of shared object %u", o->id);
	if (r >= 0)
		o->dumped = true;
	return r;
}

static bool path_is(const char *p, const char *prefix)
{
	return p && !strncmp(p, prefix, strlen(prefix));
}

static bool path_deleted(const char *p)
{
	size_t l = p ? strlen(p) : 0;
	return l > 10 && !strcmp(p + l - 10, " (deleted)");
}

/* A shared mapping of /dev/zero or of a SysV segment.  A SysV segment's inode
 * number is its shm id, and the first segment of an IPC namespace has id 0:
 * its mapping shows inode 0 like a mapping without any file, so it is told by
 * its name alone. */
static bool is_anon_shared_object(const struct proc_vma *pv)
{
	if (!pv->shared)
		return false;
	if (path_is(pv->path, "/SYSV"))
		return true;
	return pv->ino && path_is(pv->path, "/dev/zero");
}

static int classify_vma(struct dump_ctx *c, const struct proc_vma *pv, VmaEntry *v)
{
	const char *p = pv->path;

	v->start = pv->start;
	v->end = pv->end;
	v->prot = pv->prot;
	v->flags = pv->shared ? MAP_SHARED : MAP_PRIVATE;
	v->has_pgoff = true;
	v->pgoff = pv->pgoff;
	if (pv->ino && p && p[0] != '/') {
		log_error("mapping %#" PRIx64 "-%#" PRIx64 " of %s is not supported yet", pv->start, pv->end, p);
		return -EOPNOTSUPP;
	}
	if (path_is(p, "[vdso]"))
		v->kind = VMA_KIND__VMA_VDSO;
	else if (path_is(p, "[vvar"))
		v->kind = VMA_KIND__VMA_VVAR;
	else if (path_is(p, "[vsyscall]"))
		v->kind = VMA_KIND__VMA_VSYSCALL;
	else if (pv->ino && path_is(p, "/memfd:"))
		v->kind = VMA_KIND__VMA_MEMFD;
	else if (is_anon_shared_object(pv))
		v->kind = VMA_KIND__VMA_ANON_SHARED;
	else if (pv->ino)
		v->kind = pv->shared ? VMA_KIND__VMA_FILE_SHARED : VMA_KIND__VMA_FILE_PRIVATE;
	else if (pv->shared) {
		log_error("shared mapping %#" PRIx64 "-%#" PRIx64 " without a backing object is not supported",
			  pv->start, pv->end);
		return -EOPNOTSUPP;
	} else
		v->kind = VMA_KIND__VMA_ANON_PRIVATE;

	if (v->kind == VMA_KIND__VMA_ANON_PRIVATE || v->kind == VMA_KIND__VMA_ANON_SHARED)
		v->flags |= MAP_ANONYMOUS;
	if (pv->vmflags & PROC_VM_GROWSDOWN)
		v->flags |= MAP_GROWSDOWN;
	/* PROC_VM_* bits 1..9 are the VMA_MADV bits of mm.proto shifted by one. */
	if (pv->vmflags >> 1) {
		v->has_madv = true;
		v->madv = pv->vmflags >> 1;
	}
	if (p && p[0] == '[')
		v->name = (char *)p;
	else if (p)
		v->path = (char *)p;
	if ((v->kind == VMA_KIND__VMA_FILE_SHARED || v->kind == VMA_KIND__VMA_FILE_PRIVATE) && path_deleted(p)) {
		log_error("mapping %#" PRIx64 "-%#" PRIx64 " of deleted file %s is not supported yet",
			  pv->start, pv->end, p);
		return -EOPNOTSUPP;
	}
	if (pv->has_map_file) {
		v->has_dev = v->has_ino = true;
		v->dev = pv->mf_dev;
		v->ino = pv->mf_ino;
	}
	if (pv->shared && (v->kind == VMA_KIND__VMA_ANON_SHARED || v->kind == VMA_KIND__VMA_MEMFD)) {
		if (!pv->has_map_file) {
			log_error("no map_files entry for shared area %#" PRIx64, pv->start);
			return -ENOENT;
		}
		v->has_shmem_id = true;
		v->shmem_id = shmem_id_of(c, pv->mf_dev, pv->mf_ino);
		if (!v->shmem_id)
			return -ENOMEM;
	}
	return 0;
}

static int shmem_size(pid_t pid, VmaEntry *v)
{
	char path[96];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, v->start, v->end);
	if (stat(path, &st) < 0)
		return log_error_errno(negative_errno(), "cannot stat %s", path);
	v->has_shmem_size = true;
	v->shmem_size = (uint64_t)st.st_size;
	return 0;
}

static bool vma_private_content(const VmaEntry *v)
{
	if (v->flags & MAP_SHARED)
		return false;
	return v->kind == VMA_KIND__VMA_ANON_PRIVATE || v->kind == VMA_KIND__VMA_FILE_PRIVATE ||
	       v->kind == VMA_KIND__VMA_MEMFD;
}

/* A big process: its pages go through two streams into two page files
 * (CRYO_DUMP_STREAMS=one keeps one, for figures: docs/cr-dump.md). */
static bool big_enough_for_stripes(pid_t pid)
{
	const char *e = getenv("CRYO_DUMP_STREAMS");
	struct proc_status st;

	if (e && !strcmp(e, "one"))
		return false;
	return proc_parse_status(pid, 0, &st) >= 0 && st.rss_anon >= STRIPE_MIN_BYTES;
}

/* Both streams write the listed runs, then the pagemap is recorded in address order. */
static int write_stripes(struct page_sink *s, pid_t pid)
{
	struct stripe_io io = { .parasite = s->c->parasite, .pid = pid, .mem_fd = s->src_fd };
	uint64_t usec = 0;
	int r = 0;

	for (unsigned k = 0; k < 2 && r >= 0; k++) {
		r = io.fd[k] = page_writer_file_fd(s->w, k, &io.off[k]);
		if (r < 0)
			return log_error_errno(r, "cannot get page file %u", k);
	}
	r = stripe_plan_write(s->plan, &io, &usec);
	s->write_usec += usec;
	if (r >= 0)
		r = mid_memory_fault();
	for (size_t i = 0; i < s->plan->n && r >= 0; i++) {
		const struct stripe_chunk *ch = &s->plan->chunks[i];
		r = record_dumped(s, ch->file, ch->file_off, ch->vaddr, ch->nr_pages, ch->zero);
	}
	return r;
}

static int open_page_writer(struct dump_ctx *c, pid_t pid, bool striped, struct page_writer **ret)
{
	uint32_t part = PAGES_PART_ID_BASE + (uint32_t)pid;

	return page_writer_open_files(c->dir, (unsigned)pid, &part, striped ? 1 : 0, ret);
}

static int dump_pages(struct dump_ctx *c, pid_t pid, VmaEntry **vmas, size_t n)
{
	char path[64];
	_cleanup_close_ int pm_fd = -1, mem_fd = -1;
	struct stripe_plan plan = { 0 };
	struct page_sink s = { .c = c };
	off_t off0;
	int r = 0, q;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pm_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pm_fd < 0)
		return log_error_errno(negative_errno(), "cannot open %s", path);
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (mem_fd < 0)
		return log_error_errno(negative_errno(), "cannot open %s", path);
	if (c->parasite && big_enough_for_stripes(pid))
		s.plan = &plan;
	r = open_page_writer(c, pid, s.plan, &s.w);
	if (r < 0)
		return log_error_errno(r, "cannot create pages image of %d", pid);
	s.src_fd = mem_fd;
	/* The parasite writes readable areas itself; it holds the page file meanwhile. */
	if (c->parasite) {
		r = page_writer_pages_fd(s.w, &off0);
		if (r >= 0)
			r = parasite_set_page_fd(c->parasite, r);
	}
	for (size_t i = 0; i < n && r >= 0; i++)
		if (vma_private_content(vmas[i])) {
			s.vm_pid = (vmas[i]->prot & PROT_READ) ? pid : 0;
			r = dump_private_vma(&s, pm_fd, vmas[i]);
		}
	if (s.plan && r >= 0)
		r = write_stripes(&s, pid);
	stripe_plan_free(&plan);
	q = copy_pipe_drain(c->copy);	/* s lives on this stack: nothing may stay posted */
	if (r >= 0)
		r = q;
	/* Not one of the task's fds: gone before they are collected. */
	if (c->parasite && r >= 0) {
		r = parasite_set_page_fd(c->parasite, -1);
		log_info("pages of %d: the parasite wrote for %" PRIu64 " us", pid, s.write_usec);
	}
	q = page_writer_close(s.w);
	if (r >= 0 && q < 0)
		r = log_error_errno(q, "cannot write pages image of %d", pid);
	for (size_t i = 0; i < n && r >= 0; i++) {
		struct shmem_obj *o = vmas[i]->has_shmem_id ? shmem_find(c, vmas[i]->shmem_id) : NULL;
		if (o && !o->dumped)
			r = dump_shmem_obj(c, pid, vmas[i], o);
	}
	return r;
}

static int find_all_guards(pid_t pid, VmaEntry **v, size_t n)
{
	char path[64];
	_cleanup_close_ int pm_fd = -1;
	int r = 0;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pm_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pm_fd < 0)
		return log_error_errno(negative_errno(), "cannot open %s", path);
	for (size_t i = 0; i < n && r >= 0; i++)
		if (v[i]->kind != VMA_KIND__VMA_VVAR && v[i]->kind != VMA_KIND__VMA_VSYSCALL &&
		    v[i]->kind != VMA_KIND__VMA_VDSO)
			r = find_guards(pm_fd, v[i]);
	return r;
}

static void fill_mm(MmEntry *mm, const struct seized_task *k)
{
	const struct proc_stat *st = &k->stat;

	mm->has_start_code = mm->has_end_code = mm->has_start_data = mm->has_end_data = true;
	mm->has_start_brk = mm->has_start_stack = mm->has_arg_start = mm->has_arg_end = true;
	mm->has_env_start = mm->has_env_end = true;
	mm->start_code = st->start_code;
	mm->end_code = st->end_code;
	mm->start_data = st->start_data;
	mm->end_data = st->end_data;
	mm->start_brk = st->start_brk;
	mm->start_stack = st->start_stack;
	mm->arg_start = st->arg_start;
	mm->arg_end = st->arg_end;
	mm->env_start = st->env_start;
	mm->env_end = st->env_end;
}

/* The current brk is the end of the [heap] area, or start_brk without one. */
static void fill_brk(MmEntry *mm, VmaEntry **v, size_t n)
{
	mm->has_brk = true;
	mm->brk = mm->start_brk;
	for (size_t i = 0; i < n; i++)
		if (v[i]->name && !strcmp(v[i]->name, "[heap]"))
			mm->brk = v[i]->end;
}

/*
 * The parasite's scratch area is not the task's memory.  mmap may have
 * merged it with a neighbour of the same protections (an rwx anonymous
 * area): then only the neighbour's part stays.
 */
static int drop_parasite_area(struct dump_ctx *c, struct proc_vmas *pv)
{
	uint64_t a, b;
	size_t n = 0;

	if (!c->parasite)
		return 0;
	parasite_area(c->parasite, &a, &b);
	for (size_t i = 0; i < pv->n; i++) {
		struct proc_vma *v = &pv->v[i];

		if (v->end > a && v->start < b) {
			if (v->start >= a && v->end <= b) {
				free(v->path);
				continue;
			}
			if (v->start < a && v->end > b) {
				log_error("area %#" PRIx64 "-%#" PRIx64 " holds the parasite inside it", v->start, v->end);
				return -EBUSY;
			}
			if (v->start < a)
				v->end = a;
			else {
				v->pgoff += b - v->start;
				v->start = b;
			}
		}
		pv->v[n++] = *v;
	}
	pv->n = n;
	return 0;
}

/* The bytes of the [vdso] area: restore compares them with its own vDSO (docs/vdso.md). */
static int dump_vdso_bytes(pid_t pid, MmEntry *mm, VmaEntry **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t *buf;
		if (v[i]->kind != VMA_KIND__VMA_VDSO)
			continue;
		int r = vdso_read_task(pid, v[i]->start, v[i]->end, &buf);
		if (r < 0)
			return log_error_errno(r, "cannot read the vDSO of %d at %#" PRIx64, pid, v[i]->start);
		mm->has_vdso = true;
		mm->vdso.data = buf;
		mm->vdso.len = v[i]->end - v[i]->start;
		return 0;
	}
	return 0;
}

int dump_task_mm(struct dump_ctx *c, struct seized_task *k)
{
	struct proc_vmas pv = { 0 };
	MmEntry mm = MM_ENTRY__INIT;
	_cleanup_free_ VmaEntry *vma = NULL;
	_cleanup_free_ VmaEntry **vmap = NULL;
	_cleanup_free_ uint64_t *auxv = NULL;
	char exe[4096], path[64];
	struct img *img = NULL;
	ssize_t l;
	size_t nauxv = 0;
	int r, q;

	r = proc_parse_maps(k->pid, &pv);
	if (r < 0)
		return log_error_errno(r, "cannot parse /proc/%d/maps", k->pid);
	r = proc_parse_vmflags(k->pid, &pv);
	if (r < 0) {
		proc_vmas_free(&pv);
		return log_error_errno(r, "cannot parse /proc/%d/smaps", k->pid);
	}
	r = drop_parasite_area(c, &pv);
	if (r < 0) {
		proc_vmas_free(&pv);
		return r;
	}
	vma = calloc(pv.n ? pv.n : 1, sizeof(*vma));
	vmap = calloc(pv.n ? pv.n : 1, sizeof(*vmap));
	if (!vma || !vmap) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < pv.n; i++) {
		vma_entry__init(&vma[i]);
		vmap[i] = &vma[i];
		r = classify_vma(c, &pv.v[i], &vma[i]);
		if (r >= 0 && vma[i].has_shmem_id)
			r = shmem_size(k->pid, &vma[i]);
		if (r < 0)
			goto out;
	}
	r = find_all_guards(k->pid, vmap, pv.n);
	if (r >= 0)	/* file validation at restore (file-identity.h) */
		r = file_identity_of_mappings(&c->file_ids, k->pid, vmap, pv.n);
	if (r < 0)
		goto out;
	r = dump_vdso_bytes(k->pid, &mm, vmap, pv.n);
	if (r < 0)
		goto out;
	mm.n_vmas = pv.n;
	mm.vmas = vmap;
	fill_mm(&mm, k);
	fill_brk(&mm, vmap, pv.n);
	r = proc_read_auxv(k->pid, &auxv, &nauxv);
	if (r < 0) {
		log_error_errno(r, "cannot read /proc/%d/auxv", k->pid);
		goto out;
	}
	mm.auxv = auxv;
	mm.n_auxv = nauxv;
	snprintf(path, sizeof(path), "/proc/%d/exe", k->pid);
	l = readlink(path, exe, sizeof(exe) - 1);
	if (l > 0) {
		exe[l] = 0;
		mm.exe_path = exe;
	}
	r = img_open(c->dir, IMG_MM, true, &img, k->pid);
	if (r < 0) {
		log_error_errno(r, "cannot create mm image of %d", k->pid);
		goto out;
	}
	r = img_write(img, &mm.base);
	q = img_close(img);
	if (r < 0 || q < 0) {
		r = log_error_errno(r < 0 ? r : q, "cannot write mm image of %d", k->pid);
		goto out;
	}
	fault_signal("before-pages", k->pid);
	r = dump_pages(c, k->pid, vmap, pv.n);
out:
	for (size_t i = 0; vma && i < pv.n; i++)
		free(vma[i].guard_ranges);
	proc_vmas_free(&pv);
	free(mm.vdso.data);
	return r;
}
