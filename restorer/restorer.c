/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The restorer blob: the last stage of restore, run inside each task on a stack
 * in the hole (see restorer-args.h).  The main thread replaces the address space
 * with the dumped one and starts the other threads with their dumped tids; every
 * thread then sets its per-thread kernel state, reports ready and waits for the
 * go of cryo-cr, which resumes all tasks together.  A thread resumes by
 * rt_sigreturn from the frame the host prepared: that restores the general
 * registers, the signal mask, the alternate stack and the FPU/xstate.
 *
 * The blob cannot log: failures are recorded in the shared rst_sync (first
 * error wins) and the task exits; cryo-cr reports and cleans up.
 */
#include "pie.h"
#include "pie-syscall.h"
#include "restorer-args.h"
#include "restorer-ts.h"

#include <asm/prctl.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/futex.h>
#include <linux/ioctl.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <linux/uio.h>

#define PAGE_SIZE 4096ul
#define TASK_SIZE_MAX 0x7ffffffff000ul
#define IOV_BATCH 512

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static void report(struct rst_args *a, long err, uint32_t step)
{
	struct rst_sync *s = (struct rst_sync *)a->sync;
	int32_t zero = 0;

	if (__atomic_compare_exchange_n(&s->error, &zero, (int32_t)err, false, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST)) {
		s->error_tid = (uint32_t)sys_gettid();
		s->error_step = step;
	}
	__atomic_add_fetch(&s->ready, 1, __ATOMIC_SEQ_CST);
	sys_futex(&s->ready, FUTEX_WAKE, 0x7fffffff, 0, 0, 0);
}

static PIE_NORETURN void fail(struct rst_args *a, long err, uint32_t step)
{
	report(a, err, step);
	sys_exit_group(70);
}

/* Unmap everything but the hole and the special mappings we move later. */
static long unmap_all(struct rst_args *a)
{
	struct rst_special *sp = (struct rst_special *)a->specials;
	uint64_t keep_s[16], keep_e[16];
	uint32_t n = 0;

	keep_s[n] = a->hole_start;
	keep_e[n++] = a->hole_start + a->hole_len;
	for (uint32_t i = 0; i < a->n_specials && n < 16; i++) {
		keep_s[n] = sp[i].cur_start;
		keep_e[n++] = sp[i].cur_start + sp[i].len;
	}
	/* Sort the few kept ranges (insertion sort), then unmap the gaps. */
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0 && keep_s[j] < keep_s[j - 1]; j--) {
			uint64_t t = keep_s[j];
			keep_s[j] = keep_s[j - 1];
			keep_s[j - 1] = t;
			t = keep_e[j];
			keep_e[j] = keep_e[j - 1];
			keep_e[j - 1] = t;
		}
	uint64_t from = PAGE_SIZE;
	for (uint32_t i = 0; i <= n; i++) {
		uint64_t to = i < n ? keep_s[i] : TASK_SIZE_MAX;
		if (to > from) {
			long r = sys_munmap((void *)from, to - from);
			if (r < 0)
				return r;
		}
		if (i < n && keep_e[i] > from)
			from = keep_e[i];
	}
	return 0;
}

/* Move [vvar]/[vdso] to their dumped places: through the temp spot, so ranges may overlap. */
static long move_specials(struct rst_args *a)
{
	struct rst_special *sp = (struct rst_special *)a->specials;
	uint64_t park = a->temp;
	long r;

	for (uint32_t i = 0; i < a->n_specials; i++) {
		if (sp[i].dst_start == sp[i].cur_start)
			continue;
		if (!sp[i].dst_start) {
			r = sys_munmap((void *)sp[i].cur_start, sp[i].len);
			if (r < 0)
				return r;
			sp[i].cur_start = 0;
			continue;
		}
		if (park + sp[i].len > a->temp + a->temp_len)
			return -ENOSPC;
		r = sys_mremap((void *)sp[i].cur_start, sp[i].len, sp[i].len,
			       MREMAP_MAYMOVE | MREMAP_FIXED, (void *)park);
		if (sys_failed(r))
			return r;
		sp[i].cur_start = park;
		park += sp[i].len;
	}
	for (uint32_t i = 0; i < a->n_specials; i++) {
		if (!sp[i].dst_start || sp[i].cur_start == sp[i].dst_start)
			continue;
		r = sys_mremap((void *)sp[i].cur_start, sp[i].len, sp[i].len,
			       MREMAP_MAYMOVE | MREMAP_FIXED, (void *)sp[i].dst_start);
		if (sys_failed(r))
			return r;
		sp[i].cur_start = sp[i].dst_start;
	}
	return 0;
}

static long map_vmas(struct rst_args *a)
{
	struct rst_vma *v = (struct rst_vma *)a->vmas;

	for (uint64_t i = 0; i < a->n_vmas; i++) {
		/* Private areas are writable while we fill them; mprotect to the dumped
		 * protection afterwards.  Shared ones hold their content already. */
		int prot = (int)v[i].prot;
		if (!(v[i].map_flags & MAP_SHARED))
			prot |= PROT_READ | PROT_WRITE;
		long r = sys_mmap((void *)v[i].start, v[i].end - v[i].start, prot,
				  (int)v[i].map_flags | MAP_FIXED, v[i].fd,
				  (long)v[i].pgoff);
		if (sys_failed(r))
			return r;
	}
	return 0;
}

/*
 * clone3 with a new stack: the child pops fn and arg that rst_clone3 stored at the
 * top of its stack.  In: rdi clone_args, rsi size.
 */
long rst_clone3(struct clone_args *ca, unsigned long size);
asm(".text\n"
    ".type rst_clone3, @function\n"
    "rst_clone3:\n"
    "	movl $435, %eax\n" /* __NR_clone3 */
    "	syscall\n"
    "	testq %rax, %rax\n"
    "	jnz 1f\n"
    "	xorl %ebp, %ebp\n"
    "	popq %rax\n"
    "	popq %rdi\n"
    "	callq *%rax\n"
    "	movl %eax, %edi\n"
    "	movl $60, %eax\n" /* __NR_exit */
    "	syscall\n"
    "	ud2\n"
    "1:	ret\n"
    ".size rst_clone3, .-rst_clone3\n");

/*
 * Filling the pages (docs/cr-restore.md, "Filling pages").  Most of the cost
 * of restoring a big anonymous area is the kernel allocating and zeroing a
 * page on each first touch, and the fault taken inside preadv to do so.  So
 * big private anonymous areas are filled through a userfaultfd: UFFDIO_COPY
 * straight from the page file mapped read-only (RST_FILL_COPY: one copy, no
 * zeroing, no fault per page), or,
 * where huge pages are cheap (RST_FILL_MOVE), through a staging area with
 * transparent huge pages, populated in one call, read into with pread, then
 * moved into place by UFFDIO_MOVE (whole 2 MiB page tables where source and
 * destination line up; never copied).  The areas keep their own flags: only
 * the staging area has MADV_HUGEPAGE.  Other runs (file-backed private areas,
 * small areas, areas advised NOHUGEPAGE, no userfaultfd) are read in place
 * with preadv after MADV_POPULATE_WRITE.
 */
#define HPAGE (2ul << 20)
#define STAGE_LEN (32ul << 20)
#define MOVE_MIN_AREA (4ul << 20)
#define MADV_POPULATE_WRITE_ 23
#define UFFD_USER_MODE_ONLY_ 1
#define UFFD_FEATURE_MOVE_ (1ull << 16)

struct uffdio_api_ {
	uint64_t api, features, ioctls;
};
struct uffdio_range_ {
	uint64_t start, len;
};
struct uffdio_register_ {
	struct uffdio_range_ range;
	uint64_t mode, ioctls;
};
struct uffdio_move_ {
	uint64_t dst, src, len, mode;
	int64_t move;
};
#define UFFD_IOC 0xAA
#define UFFDIO_API_ _IOWR(UFFD_IOC, 0x3F, struct uffdio_api_)
#define UFFDIO_REGISTER_ _IOWR(UFFD_IOC, 0x00, struct uffdio_register_)
#define UFFDIO_UNREGISTER_ _IOR(UFFD_IOC, 0x01, struct uffdio_range_)
#define UFFDIO_MOVE_ _IOWR(UFFD_IOC, 0x05, struct uffdio_move_)
#define UFFDIO_COPY_ _IOWR(UFFD_IOC, 0x03, struct uffdio_move_)	/* same layout */
#define COPY_BUF (1024ul << 10)

/* How this task's pages are filled: uffd < 0 means in place only. */
static int fill_uffd = -1;
/* UFFDIO_COPY from a small buffer instead of moving huge pages (RST_FILL_COPY). */
static bool fill_copy;
/* RST_FILL_COPY: the page file mapped read-only, the source of UFFDIO_COPY
 * (one copy, straight from the page cache); 0: through the buffer. */
static uint64_t file_map, file_map_len;
#define MADV_POPULATE_READ_ 22
#define FILE_CHUNK (4ul << 20)

/* Big private anonymous areas; huge pages only where the dump did not advise against. */
static bool area_movable(const struct rst_vma *v)
{
	return v->fd < 0 && (v->map_flags & MAP_ANONYMOUS) && !(v->map_flags & MAP_SHARED) &&
	       (fill_copy || !(v->madv & RST_MADV_NOHUGEPAGE)) && v->end - v->start >= MOVE_MIN_AREA;
}

/* The area that holds addr (areas are sorted by start). */
static const struct rst_vma *area_of(const struct rst_args *a, uint64_t addr)
{
	const struct rst_vma *v = (const struct rst_vma *)a->vmas;
	uint64_t lo = 0, hi = a->n_vmas;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (addr < v[mid].start)
			hi = mid;
		else if (addr >= v[mid].end)
			lo = mid + 1;
		else
			return &v[mid];
	}
	return 0;
}

static bool run_moved(const struct rst_args *a, const struct rst_pages *p)
{
	const struct rst_vma *v;
	return fill_uffd >= 0 && (v = area_of(a, p->vaddr)) && area_movable(v);
}

static void unregister_areas(struct rst_args *a, uint64_t upto)
{
	const struct rst_vma *v = (const struct rst_vma *)a->vmas;
	for (uint64_t i = 0; i < upto; i++)
		if (area_movable(&v[i])) {
			struct uffdio_range_ r = { v[i].start, v[i].end - v[i].start };
			sys_ioctl(fill_uffd, UFFDIO_UNREGISTER_, (long)&r);
		}
}

/* A userfaultfd that can move pages, with every movable area registered; or none. */
static void setup_moves(struct rst_args *a)
{
	const struct rst_vma *v = (const struct rst_vma *)a->vmas;
	if (!(a->fill_flags & (RST_FILL_MOVE | RST_FILL_COPY)))
		return;
	fill_copy = !(a->fill_flags & RST_FILL_MOVE);
	long fd = sys_call1(__NR_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY_);
	if (fd < 0)
		return;
	struct uffdio_api_ api = { 0xAA, UFFD_FEATURE_MOVE_, 0 };
	if (fill_copy)
		api.features = 0;
	if (sys_ioctl((int)fd, UFFDIO_API_, (long)&api) < 0 || (!fill_copy && !(api.features & UFFD_FEATURE_MOVE_))) {
		sys_close((int)fd);
		return;
	}
	fill_uffd = (int)fd;
	for (uint64_t i = 0; i < a->n_vmas; i++) {
		if (!area_movable(&v[i]))
			continue;
		struct uffdio_register_ reg = { { v[i].start, v[i].end - v[i].start }, 1 /* MISSING */, 0 };
		if (sys_ioctl(fill_uffd, UFFDIO_REGISTER_, (long)&reg) < 0) {
			unregister_areas(a, i);
			sys_close(fill_uffd);
			fill_uffd = -1;
			return;
		}
	}
}

static void finish_moves(struct rst_args *a)
{
	if (fill_uffd < 0)
		return;
	unregister_areas(a, a->n_vmas);
	sys_close(fill_uffd);
	fill_uffd = -1;
}

/* A 2 MiB aligned staging area of exactly STAGE_LEN with huge pages; 0 if none.
 * The kernel put it in a free gap: what it mapped beyond the aligned part is
 * given back right away, so stage_unmap never touches a neighbour. */
static uint64_t stage_map(void)
{
	if (fill_copy) {
		long b = sys_mmap(0, COPY_BUF, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		return sys_failed(b) ? 0 : (uint64_t)b;
	}
	long m = sys_mmap(0, STAGE_LEN + HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sys_failed(m))
		return 0;
	uint64_t base = (uint64_t)m, s = (base + HPAGE - 1) & ~(HPAGE - 1);
	if (s > base)
		sys_munmap((void *)base, s - base);
	if (base + STAGE_LEN + HPAGE > s + STAGE_LEN)
		sys_munmap((void *)(s + STAGE_LEN), base + STAGE_LEN + HPAGE - (s + STAGE_LEN));
	sys_madvise((void *)s, STAGE_LEN, MADV_HUGEPAGE);
	return s;
}

static void stage_unmap(uint64_t s)
{
	if (s)
		sys_munmap((void *)s, fill_copy ? COPY_BUF : STAGE_LEN);
}

/* The page file holding offset *off of the runs, *off made relative to it. */
static int page_fd_at(const struct rst_args *a, int64_t *off)
{
	if (a->pages_split && *off >= (int64_t)a->pages_split) {
		*off -= (int64_t)a->pages_split;
		return a->pages_fd2;
	}
	return a->pages_fd;
}

/* Whether page file offsets x and y are in the same file. */
static bool same_page_file(const struct rst_args *a, int64_t x, int64_t y)
{
	return !a->pages_split || (x >= (int64_t)a->pages_split) == (y >= (int64_t)a->pages_split);
}

static long read_full(int fd, uint64_t to, uint64_t len, int64_t off)
{
	while (len) {
		long r = sys_pread64(fd, (void *)to, len, off);
		if (r <= 0)
			return r < 0 ? r : -EIO;
		to += (uint64_t)r;
		len -= (uint64_t)r;
		off += r;
	}
	return 0;
}

/* One run through the staging area: chunks end on 2 MiB boundaries of the
 * destination and sit at the same offset in a huge page of the stage. */
static long move_run(struct rst_args *a, const struct rst_pages *p, uint64_t stage)
{
	uint64_t d = p->vaddr, end = p->vaddr + p->nr_pages * PAGE_SIZE;
	int64_t off = p->off;

	while (d < end) {
		bool direct = fill_copy && file_map && off >= 0;
		uint64_t e = direct ? d + FILE_CHUNK : fill_copy ? d + COPY_BUF : (d & ~(HPAGE - 1)) + STAGE_LEN;
		if (e > end)
			e = end;
		uint64_t s = fill_copy ? stage : stage + (d & (HPAGE - 1)), len = e - d;
		long r = 0;
		if (direct) {
			s = file_map + (uint64_t)off;
			sys_madvise((void *)s, len, MADV_POPULATE_READ_);
		} else {
			if (!fill_copy)
				sys_madvise((void *)s, len, MADV_POPULATE_WRITE_);
			int64_t o = off;
			int fd = off < 0 ? -1 : page_fd_at(a, &o);
			r = off < 0 ? (memset((void *)s, 0, len), 0) : read_full(fd, s, len, o);
		}
		if (r < 0)
			return r;
		/* -EAGAIN: a page was busy; go on from where the move stopped. */
		for (uint64_t done = 0, tries = 0; done < len; tries++) {
			struct uffdio_move_ m = { d + done, s + done, len - done, 0, 0 };
			r = sys_ioctl(fill_uffd, fill_copy ? UFFDIO_COPY_ : UFFDIO_MOVE_, (long)&m);
			if (m.move > 0) {
				done += (uint64_t)m.move;
				tries = 0;
			}
			if (r < 0 && (r != -EAGAIN || tries > 1000))
				return r;
		}
		if (off >= 0)
			off += (int64_t)len;
		d = e;
	}
	return 0;
}

/* Fill page runs [from, to): runs that follow each other in the page file are one preadv. */
static long fill_runs(struct rst_args *a, uint64_t from, uint64_t to, uint64_t stage)
{
	struct rst_pages *p = (struct rst_pages *)a->pages;
	struct iovec iov[IOV_BATCH];
	uint64_t i = from;

	while (i < to) {
		if (stage && run_moved(a, &p[i])) {
			long r = move_run(a, &p[i], stage);
			if (r < 0)
				return r;
			i++;
			continue;
		}
		if (p[i].off < 0) {
			memset((void *)p[i].vaddr, 0, p[i].nr_pages * PAGE_SIZE);
			i++;
			continue;
		}
		int64_t off = p[i].off;
		uint64_t len = 0;
		int n = 0;
		while (i < to && n < IOV_BATCH && p[i].off == off + (int64_t)len && same_page_file(a, off, p[i].off) &&
		       !(stage && run_moved(a, &p[i]))) {
			iov[n].iov_base = (void *)p[i].vaddr;
			iov[n].iov_len = p[i].nr_pages * PAGE_SIZE;
			/* One populate call instead of a fault per page inside preadv. */
			if (iov[n].iov_len >= 16 * PAGE_SIZE)
				sys_madvise(iov[n].iov_base, iov[n].iov_len, MADV_POPULATE_WRITE_);
			len += iov[n].iov_len;
			n++;
			i++;
		}
		/* preadv may stop short (e.g. at 2 GiB): go on from where it stopped. */
		int k = 0, fd = page_fd_at(a, &off);
		while (len) {
			long r = sys_preadv(fd, &iov[k], n - k, off);
			if (r <= 0)
				return r < 0 ? r : -EIO;
			off += r;
			len -= (uint64_t)r;
			while (k < n && (uint64_t)r >= iov[k].iov_len) {
				r -= (long)iov[k].iov_len;
				k++;
			}
			if (k < n && r) {
				iov[k].iov_base = (char *)iov[k].iov_base + r;
				iov[k].iov_len -= (uint64_t)r;
			}
		}
	}
	return 0;
}

/* Split the runs into two halves of about the same number of pages; a run that
 * straddles the middle is cut in two (the array has room for one more run),
 * on a 2 MiB boundary when it can be, so no huge page is shared by the two. */
static uint64_t split_runs(struct rst_args *a)
{
	struct rst_pages *p = (struct rst_pages *)a->pages;
	uint64_t total = 0, acc = 0;

	for (uint64_t i = 0; i < a->n_pages; i++)
		total += p[i].nr_pages;
	for (uint64_t i = 0; i < a->n_pages; i++) {
		if (acc + p[i].nr_pages <= total / 2) {
			acc += p[i].nr_pages;
			continue;
		}
		uint64_t head = total / 2 - acc;
		uint64_t cut = ((p[i].vaddr + head * PAGE_SIZE) & ~(HPAGE - 1));
		if (cut > p[i].vaddr)
			head = (cut - p[i].vaddr) / PAGE_SIZE;
		if (head == 0)
			return i;
		memmove(&p[i + 1], &p[i], (a->n_pages - i) * sizeof(*p));
		a->n_pages++;
		p[i].nr_pages = head;
		p[i + 1].vaddr += head * PAGE_SIZE;
		p[i + 1].nr_pages -= head;
		if (p[i + 1].off >= 0)
			p[i + 1].off += (int64_t)(head * PAGE_SIZE);
		return i + 1;
	}
	return a->n_pages;
}

static uint64_t helper_from;
static uint64_t helper_stage;
static long helper_result;

static int helper_main(void *arg)
{
	struct rst_args *a = arg;
	helper_result = fill_runs(a, helper_from, a->n_pages, helper_stage);
	return 0;
}

/* The helper is a thread of the task that exits before the task's own threads are made. */
static long fill_two(struct rst_args *a, uint64_t stage)
{
	uint64_t total = 0;
	for (uint64_t i = 0; i < a->n_pages; i++)
		total += ((struct rst_pages *)a->pages)[i].nr_pages;
	if (!a->helper_tid || total < 4096)
		return fill_runs(a, 0, a->n_pages, stage);

	uint64_t mid = split_runs(a);
	uint64_t top = a->helper_stack_top & ~15ul;
	uint64_t *slot = (uint64_t *)(top - 16);
	uint64_t tid = a->helper_tid;
	struct clone_args ca;

	helper_from = mid;
	helper_stage = stage ? stage_map() : 0;
	a->helper_done = 1; /* the kernel zeroes it and wakes us when the helper exits */
	slot[0] = (uint64_t)(uintptr_t)helper_main;
	slot[1] = (uint64_t)(uintptr_t)a;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
		   CLONE_CHILD_CLEARTID;
	ca.child_tid = (uint64_t)(uintptr_t)&a->helper_done;
	ca.stack = top - 16 - 4096 * 4;
	ca.stack_size = 4096 * 4;
	ca.set_tid = (uint64_t)(uintptr_t)&tid;
	ca.set_tid_size = 1;
	long r = rst_clone3(&ca, sizeof(ca));
	if (r < 0) { /* the tid got taken meanwhile: do it all here */
		stage_unmap(helper_stage);
		return fill_runs(a, 0, a->n_pages, stage);
	}
	long mine = fill_runs(a, 0, mid, stage);
	for (;;) {
		int32_t v = __atomic_load_n(&a->helper_done, __ATOMIC_SEQ_CST);
		if (v == 0)
			break;
		sys_futex(&a->helper_done, FUTEX_WAIT, v, 0, 0, 0);
	}
	stage_unmap(helper_stage);
	return mine < 0 ? mine : helper_result;
}

/* The page file read-only in memory, for UFFDIO_COPY straight from it. */
static void map_page_file(struct rst_args *a)
{
	const struct rst_pages *p = (const struct rst_pages *)a->pages;
	uint64_t end = 0;
	for (uint64_t i = 0; i < a->n_pages; i++)
		if (p[i].off >= 0 && (uint64_t)p[i].off + p[i].nr_pages * PAGE_SIZE > end)
			end = (uint64_t)p[i].off + p[i].nr_pages * PAGE_SIZE;
	if (!end)
		return;
	long m = sys_mmap(0, end, PROT_READ, MAP_PRIVATE, a->pages_fd, 0);
	if (sys_failed(m))
		return;
	/* The second file right after the first: one range of offsets, as in the runs. */
	if (a->pages_split && end > a->pages_split &&
	    sys_failed(sys_mmap((void *)(m + (long)a->pages_split), end - a->pages_split, PROT_READ, MAP_PRIVATE | MAP_FIXED,
				a->pages_fd2, 0))) {
		sys_munmap((void *)m, end);
		return;
	}
	file_map = (uint64_t)m;
	file_map_len = end;
}

static long fill_pages(struct rst_args *a)
{
	setup_moves(a);
	if (fill_uffd >= 0 && fill_copy)
		map_page_file(a);
	uint64_t stage = fill_uffd >= 0 ? stage_map() : 0;
	long r = fill_two(a, stage);
	stage_unmap(stage);
	if (file_map)
		sys_munmap((void *)file_map, file_map_len);
	file_map = 0;
	finish_moves(a);
	return r;
}

/* The dumped vDSO with its trampolines (docs/vdso.md): built by cryo-cr in the hole. */
static void copy_areas(struct rst_args *a)
{
	const struct rst_copy *c = (const struct rst_copy *)a->copies;

	for (uint64_t i = 0; i < a->n_copies; i++)
		memcpy((void *)c[i].dst, (const void *)c[i].src, c[i].len);
}

/* Re-apply the advice bits of an area: each bit is one madvise (or mlock). */
static long advise_vma(const struct rst_vma *v)
{
	static const struct { uint32_t bit; int advice; } map[] = {
		{ RST_MADV_DONTFORK, MADV_DONTFORK },	{ RST_MADV_WIPEONFORK, MADV_WIPEONFORK },
		{ RST_MADV_DONTDUMP, MADV_DONTDUMP },	{ RST_MADV_HUGEPAGE, MADV_HUGEPAGE },
		{ RST_MADV_NOHUGEPAGE, MADV_NOHUGEPAGE }, { RST_MADV_MERGEABLE, MADV_MERGEABLE },
		{ RST_MADV_SEQUENTIAL, MADV_SEQUENTIAL }, { RST_MADV_RANDOM, MADV_RANDOM },
	};
	void *start = (void *)v->start;
	unsigned long len = v->end - v->start;

	for (unsigned i = 0; i < PIE_ARRAY_SIZE(map); i++)
		if (v->madv & map[i].bit) {
			long r = sys_madvise(start, len, map[i].advice);
			if (r < 0)
				return r;
		}
	if (v->madv & RST_MADV_LOCKED) {
		long r = sys_call2(__NR_mlock, (long)start, (long)len);
		if (r < 0)
			return r;
	}
	return 0;
}

static long protect_vmas(struct rst_args *a)
{
	struct rst_vma *v = (struct rst_vma *)a->vmas;

	for (uint64_t i = 0; i < a->n_vmas; i++) {
		uint32_t full = PROT_READ | PROT_WRITE;
		if (!(v[i].map_flags & MAP_SHARED) && (v[i].prot & full) != full) {
			long r = sys_mprotect((void *)v[i].start, v[i].end - v[i].start, (int)v[i].prot);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static long advise_vmas(struct rst_args *a)
{
	struct rst_vma *v = (struct rst_vma *)a->vmas;
	uint64_t *g = (uint64_t *)a->guards;

	for (uint64_t i = 0; i < a->n_vmas; i++) {
		long r = v[i].madv ? advise_vma(&v[i]) : 0;
		if (r < 0)
			return r;
	}
	/* Guard pages hold no data: installed once the pages around them are in. */
	for (uint64_t i = 0; i < a->n_guards; i++) {
		long r = sys_madvise((void *)g[2 * i], g[2 * i + 1] - g[2 * i], 102 /* MADV_GUARD_INSTALL */);
		if (r < 0)
			return r;
	}
	return 0;
}

struct prctl_mm_map_ {
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t auxv;
	uint32_t auxv_size;
	uint32_t exe_fd;
};

static void set_mm_fields(struct rst_args *a)
{
	struct rst_mm *m = &a->mm;
	struct prctl_mm_map_ pm = {
		.start_code = m->start_code, .end_code = m->end_code,
		.start_data = m->start_data, .end_data = m->end_data,
		.start_brk = m->start_brk, .brk = m->brk, .start_stack = m->start_stack,
		.arg_start = m->arg_start, .arg_end = m->arg_end,
		.env_start = m->env_start, .env_end = m->env_end,
		.auxv = m->auxv, .auxv_size = m->auxv_size,
		.exe_fd = (uint32_t)m->exe_fd,
	};
	if (!m->valid)
		return;
	m->result = (int32_t)sys_prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)&pm, sizeof(pm), 0);
	/* Not fatal: the task runs without, only /proc shows stale fields.  cryo-cr warns. */
	if (m->result < 0) {
		struct rst_sync *s = (struct rst_sync *)a->sync;
		int32_t zero = 0;
		if (__atomic_compare_exchange_n(&s->mm_error, &zero, m->result, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			s->mm_error_pid = (uint32_t)sys_getpid();
	}
}

/* Per-thread kernel state, then the barrier, then rt_sigreturn: never returns. */
static PIE_NORETURN void thread_finish(struct rst_args *a, struct rst_thread *t)
{
	struct rst_sync *s = (struct rst_sync *)a->sync;
	long r;

	sys_set_tid_address((int *)t->clear_child_tid);
	if (t->robust_list)
		sys_set_robust_list((struct robust_list_head *)t->robust_list, t->robust_list_len);
	if (t->rseq) {
		r = sys_rseq((struct rseq *)t->rseq, t->rseq_len, 0, t->rseq_sig);
		if (r < 0)
			fail(a, r, RST_STEP_THREAD);
	}
	if (t->comm[0])
		sys_prctl(PR_SET_NAME, (unsigned long)t->comm, 0, 0, 0);
	/* Queued signals go back in order; all are blocked until rt_sigreturn. */
	long pid = sys_getpid();
	for (uint32_t i = 0; i < t->n_siginfo; i++) {
		int32_t *si = (int32_t *)(t->siginfo + 128ul * i);
		r = sys_call4(__NR_rt_tgsigqueueinfo, pid, t->tid, si[0], (long)si);
		if (r < 0)
			fail(a, r, RST_STEP_SIGNALS);
	}
	if (t == (struct rst_thread *)a->threads)
		for (uint64_t i = 0; i < a->n_shared_siginfo; i++) {
			int32_t *si = (int32_t *)(a->shared_siginfo + 128ul * i);
			r = sys_call3(__NR_rt_sigqueueinfo, pid, si[0], (long)si);
			if (r < 0)
				fail(a, r, RST_STEP_SIGNALS);
		}
	r = sys_arch_prctl(ARCH_SET_GS, t->gs_base);
	if (r == 0)
		r = sys_arch_prctl(ARCH_SET_FS, t->fs_base);
	if (r < 0)
		fail(a, r, RST_STEP_THREAD);
	uint32_t ts_step = 0;
	r = rst_ts_thread(a, (uint64_t)(t - (struct rst_thread *)a->threads), &ts_step);
	if (r < 0)
		fail(a, r, ts_step);

	__atomic_add_fetch(&s->ready, 1, __ATOMIC_SEQ_CST);
	sys_futex(&s->ready, FUTEX_WAKE, 0x7fffffff, 0, 0, 0);
	while (__atomic_load_n(&s->go, __ATOMIC_SEQ_CST) == 0)
		sys_futex(&s->go, FUTEX_WAIT, 0, 0, 0, 0);
	if (__atomic_load_n(&s->go, __ATOMIC_SEQ_CST) < 0)
		sys_exit_group(71);
	/* The dumped parent-death signal replaces ours, which was for the restore
	 * only (cryo-cr traces us from here on, with PTRACE_O_EXITKILL); seccomp
	 * is the last thing before the restored code runs. */
	r = rst_ts_last(a, (uint64_t)(t - (struct rst_thread *)a->threads), &ts_step);
	if (r < 0)
		fail(a, r, ts_step);

	/* rsp at the frame's ucontext, as after the handler's ret popped pretcode. */
	asm volatile("movq %0, %%rsp\n"
		     "movl %1, %%eax\n"
		     "syscall\n"
		     "ud2\n"
		     :
		     : "r"(t->frame), "i"(__NR_rt_sigreturn)
		     : "memory");
	__builtin_unreachable();
}

/* The args of this task, for threads started by clone3 (the blob image is per process). */
static struct rst_args *task_args;

static int thread_main(void *arg)
{
	thread_finish(task_args, arg);
}

static long start_thread(struct rst_thread *t)
{
	uint64_t top = t->stack_top & ~15ul;
	uint64_t *slot = (uint64_t *)(top - 16);
	uint64_t tid = t->tid;
	struct clone_args ca;

	slot[0] = (uint64_t)(uintptr_t)thread_main;
	slot[1] = (uint64_t)(uintptr_t)t;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		   CLONE_SYSVSEM;
	/* The kernel starts the child at stack + stack_size: right at fn/arg. */
	ca.stack = top - 16 - 4096 * 4;
	ca.stack_size = 4096 * 4;
	ca.set_tid = (uint64_t)(uintptr_t)&tid;
	ca.set_tid_size = 1;
	/* In a nested pid namespace: its tid at every level (cr/restore-ns.c). */
	if (t->set_tid_size > 1) {
		ca.set_tid = t->set_tid;
		ca.set_tid_size = t->set_tid_size;
	}
	long r = rst_clone3(&ca, sizeof(ca));
	return r < 0 ? r : 0;
}

/* Our own fds (page file, mapped files, shared objects, placeholders) are
 * not the task's: close every fd between the task's ones. */
static void close_foreign_fds(const struct rst_args *a)
{
	const int32_t *k = (const int32_t *)(uintptr_t)a->keep_fds;
	uint64_t from = 0;
	for (uint64_t i = 0; i < a->n_keep_fds; i++) {
		if ((uint64_t)k[i] > from)
			sys_call3(__NR_close_range, from, (uint64_t)k[i] - 1, 0);
		from = (uint64_t)k[i] + 1;
	}
	sys_call3(__NR_close_range, from, ~0u, 0);
}

/* struct flock of the kernel (x86_64). */
struct kflock_ {
	int16_t type;
	int16_t whence;
	int64_t start;
	int64_t len;
	int32_t pid;
};

/* The task's POSIX locks, after close_foreign_fds dropped those on the files
 * it maps (the owner is the process: any of its threads may take them). */
static long take_posix_locks(const struct rst_args *a)
{
	const struct rst_lock *l = (const struct rst_lock *)(uintptr_t)a->locks;
	for (uint64_t i = 0; i < a->n_locks; i++) {
		struct kflock_ fl = { l[i].type, l[i].whence, l[i].start, l[i].len, 0 };
		long r = sys_call3(__NR_fcntl, (uint64_t)l[i].fd, F_SETLK, (uint64_t)(uintptr_t)&fl);
		if (r < 0)
			return r;
	}
	return 0;
}

PIE_ENTRY void restorer_main(struct rst_args *a)
{
	struct rst_thread *th = (struct rst_thread *)a->threads;
	long r;

	task_args = a;
	if (a->magic != RST_ARGS_MAGIC || a->version != RST_ARGS_VERSION)
		fail(a, -EINVAL, RST_STEP_ARGS);
	r = unmap_all(a);
	if (r < 0)
		fail(a, r, RST_STEP_UNMAP);
	r = move_specials(a);
	if (r < 0)
		fail(a, r, RST_STEP_SPECIAL);
	r = map_vmas(a);
	if (r < 0)
		fail(a, r, RST_STEP_MMAP);
	r = fill_pages(a);
	if (r < 0)
		fail(a, r, RST_STEP_PAGES);
	copy_areas(a);
	r = advise_vmas(a);
	if (r < 0)
		fail(a, r, RST_STEP_MADVISE);
	r = protect_vmas(a);
	if (r < 0)
		fail(a, r, RST_STEP_MPROTECT);
	set_mm_fields(a);
	uint32_t ts_step = 0;
	r = rst_ts_root(a, &ts_step);
	if (r < 0)
		fail(a, r, ts_step);
	close_foreign_fds(a);
	r = take_posix_locks(a);
	if (r < 0)
		fail(a, r, RST_STEP_LOCKS);

	for (uint64_t i = 1; i < a->n_threads; i++) {
		r = start_thread(&th[i]);
		if (r < 0) {
			th[i].result = (int32_t)r;
			fail(a, r, RST_STEP_CLONE);
		}
	}
	r = rst_ts_thread_timers(a, &ts_step);
	if (r < 0)
		fail(a, r, ts_step);
	thread_finish(a, &th[0]);
}

/* A syscall instruction cryo-cr points a stopped thread at to unmap the hole. */
PIE_ENTRY void restorer_syscall_gadget(void)
{
	asm volatile("syscall\n"
		     "int3\n");
}
