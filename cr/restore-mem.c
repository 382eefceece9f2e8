/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The memory kind and the hand-over to the restorer blob.
 *
 * In cryo-cr (prepare): read every mm image and pagemap, pick the hole (an
 * area free in every dumped address space and in ours) and map the blob and
 * the shared resume barrier there.  Tasks are forked afterwards and inherit
 * all of it, and the shared objects of restore-shmem.c.
 *
 * In each task (step "mm", then mem_restore_enter): open the mapped files,
 * write the blob's args into the hole (areas, page runs, special mappings,
 * one rt_sigframe per thread built from its core image), set the process-wide
 * signal state, and jump into the blob on a stack in the hole.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fds.h"
#include "log.h"
#include "restore.h"
#include "file-identity.h"
#include "restore-bump.h"
#include "restore-fault.h"
#include "vdso-restore.h"
#include "restorer/restorer-args.h"
#include "restorer-blob.h"

#define PAGE_SZ 4096ul
#define THREAD_STACK (64ul * 1024)
#define TEMP_LEN (1ul << 20)
#define HOLE_MARGIN (4ul << 20)
#define TASK_TOP 0x7ffffffff000ul

static uint64_t page_up(uint64_t x)
{
	return (x + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
}

struct mem_state {
	uint32_t fill_flags;	/* RST_FILL_* for every task */
	uint64_t blob_len;	/* blob image, page aligned */
	uint64_t sync_off, temp_off, args_off;	/* offsets in the hole */
};

struct mem_task {
	struct rst_pages *pages;
	size_t n_pages;
	int pages_fd;
	int pages_fd2;		/* a second page file, its offsets from pages_split on; -1: none */
	uint64_t pages_split;
	uint64_t args_len;	/* upper bound of what the task writes into the hole */
	pid_t helper_tid;	/* for the blob's second page-reading thread; 0: none */
	struct rst_args *args;	/* built by step_mm in the task */
};

static struct mem_state *state(struct restore_ctx *rc)
{
	return rc->mem_priv;
}

/* ---- in cryo-cr ------------------------------------------------------- */

static int read_mm(struct restore_ctx *rc, struct rst_task *t)
{
	struct img *img;
	ProtobufCMessage *m;
	int r = img_open(rc->dir, IMG_MM, false, &img, (int)t->pid);
	if (r < 0)
		return log_error_errno(r, "cannot open the mm image of task %d", t->pid);
	r = img_read_one(img, &m);
	img_close(img);
	if (r < 0)
		return r;
	t->mm = (MmEntry *)m;
	for (size_t i = 0; i < t->mm->n_vmas; i++) {
		VmaEntry *v = t->mm->vmas[i];
		if (v->start >= v->end || (v->start | v->end) & (PAGE_SZ - 1) || v->end > TASK_TOP) {
			if (v->kind == VMA_KIND__VMA_VSYSCALL)
				continue;
			log_error("mm-%d.img: bad area %#" PRIx64 "-%#" PRIx64, t->pid, v->start, v->end);
			return -EBADMSG;
		}
		if (i && v->start < t->mm->vmas[i - 1]->end) {
			log_error("mm-%d.img: areas overlap or are not sorted at %#" PRIx64, t->pid, v->start);
			return -EBADMSG;
		}
	}
	return 0;
}

static const VmaEntry *vma_at(const MmEntry *mm, uint64_t addr)
{
	for (size_t i = 0; i < mm->n_vmas; i++)
		if (addr >= mm->vmas[i]->start && addr < mm->vmas[i]->end)
			return mm->vmas[i];
	return NULL;
}

/* A dump that wrote its pages in parallel left two page files: the blob sees
 * them as one range of offsets, the second from pages_split on. */
static int open_second_file(struct page_reader *pr, const struct rst_task *t, struct mem_task *mt)
{
	struct stat st;

	mt->pages_fd2 = -1;
	mt->pages_split = 0;
	if (page_reader_nr_files(pr) == 1)
		return 0;
	if (page_reader_nr_files(pr) > 2) {
		log_error("pagemap-%d.img: %u page files; restore reads at most 2", t->pid,
			  page_reader_nr_files(pr));
		return -EOPNOTSUPP;
	}
	if (fstat(page_reader_file_fd(pr, 0), &st) < 0)
		return log_error_errno(negative_errno(), "pagemap-%d.img: cannot stat its first page file", t->pid);
	mt->pages_split = ((uint64_t)st.st_size + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
	if (!mt->pages_split)
		mt->pages_split = PAGE_SZ;	/* 0 means one file */
	mt->pages_fd2 = dup(page_reader_file_fd(pr, 1));
	if (mt->pages_fd2 < 0)
		return log_error_errno(negative_errno(), "pagemap-%d.img: cannot dup its second page file", t->pid);
	return 0;
}

static int read_pages(struct restore_ctx *rc, struct rst_task *t, struct mem_task *mt)
{
	struct page_reader *pr;
	struct page_entry e;
	int r = page_reader_open(rc->dir, (unsigned)t->pid, &pr);
	if (r < 0)
		return log_error_errno(r, "cannot open the pages of task %d", t->pid);
	mt->pages_fd = dup(page_reader_pages_fd(pr));
	r = open_second_file(pr, t, mt);
	while (r >= 0 && (r = page_reader_next(pr, &e)) > 0) {
		if (e.flags & (PE_LAZY | PE_IN_PARENT)) {
			log_error("pagemap-%d.img: lazy or parent pages are not supported by restore yet", t->pid);
			r = -EOPNOTSUPP;
			break;
		}
		/* An entry may span adjacent areas: split it where they meet. */
		uint64_t addr = e.vaddr, end = e.vaddr + e.nr_pages * PAGE_SZ;
		int64_t off = e.pages_off + (e.file ? (int64_t)mt->pages_split : 0);
		while (addr < end) {
			const VmaEntry *v = vma_at(t->mm, addr);
			if (!v) {
				log_error("pagemap-%d.img: pages at %#" PRIx64 " are outside the areas", t->pid, addr);
				r = -EBADMSG;
				goto out;
			}
			uint64_t piece_end = end < v->end ? end : v->end;
			uint64_t nr = (piece_end - addr) / PAGE_SZ;
			int64_t piece_off;
			if (e.flags & PE_PRESENT)
				piece_off = off;
			else if (v->kind == VMA_KIND__VMA_FILE_PRIVATE)
				piece_off = -1; /* zero pages over a file: must be written */
			else
				piece_off = -2; /* fresh anonymous memory is zero already */
			if (piece_off != -2) {
				struct rst_pages *a = reallocarray(mt->pages, mt->n_pages + 1, sizeof(*a));
				if (!a) {
					r = -ENOMEM;
					goto out;
				}
				mt->pages = a;
				a[mt->n_pages++] = (struct rst_pages){ addr, nr, piece_off };
			}
			if (e.flags & PE_PRESENT)
				off += (int64_t)(nr * PAGE_SZ);
			addr = piece_end;
		}
	}
out:
	page_reader_close(pr);
	if (mt->pages_fd < 0)
		return -EBADF;
	return r < 0 ? r : 0;
}

struct range {
	uint64_t start, end;
};

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int add_range(struct range **rs, size_t *n, uint64_t s, uint64_t e)
{
	struct range *a = reallocarray(*rs, *n + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	*rs = a;
	a[(*n)++] = (struct range){ s, e };
	return 0;
}

static int self_ranges(struct range **rs, size_t *n)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	if (!f)
		return negative_errno();
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		if (sscanf(line, "%llx-%llx", &s, &e) == 2 && e <= TASK_TOP) {
			int r = add_range(rs, n, s, e);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* The highest gap of len (plus margins) below the top of user space. */
static int find_hole(struct restore_ctx *rc, uint64_t len, uint64_t *ret)
{
	_cleanup_free_ struct range *rs = NULL;
	size_t n = 0;
	int r = self_ranges(&rs, &n);
	for (size_t i = 0; r >= 0 && i < rc->n_tasks; i++) {
		const MmEntry *mm = rc->tasks[i].mm;
		for (size_t j = 0; mm && r >= 0 && j < mm->n_vmas; j++)
			if (mm->vmas[j]->end <= TASK_TOP)
				r = add_range(&rs, &n, mm->vmas[j]->start, mm->vmas[j]->end);
	}
	if (r < 0)
		return r;
	qsort(rs, n, sizeof(*rs), cmp_range);
	uint64_t need = len + 2 * HOLE_MARGIN;
	uint64_t gap_end = TASK_TOP;
	for (size_t i = n; i-- > 0;) {
		if (rs[i].end < gap_end && gap_end - rs[i].end >= need) {
			*ret = gap_end - HOLE_MARGIN - len;
			return 0;
		}
		if (rs[i].start < gap_end)
			gap_end = rs[i].start;
	}
	if (gap_end >= need + (1ul << 20)) {
		*ret = gap_end - HOLE_MARGIN - len;
		return 0;
	}
	log_error("no free area of %" PRIu64 " bytes common to every task for the restorer", len);
	return -ENOMEM;
}

static uint64_t guard_bytes(const MmEntry *mm)
{
	uint64_t n = 0;
	for (size_t i = 0; i < mm->n_vmas; i++)
		n += mm->vmas[i]->n_guard_ranges * 8 + 8;
	return n;
}

static uint64_t task_args_len(const struct rst_task *t, const struct mem_task *mt)
{
	uint64_t len = PAGE_SZ * 4 + THREAD_STACK + guard_bytes(t->mm) +
		       (t->task_core ? t->task_core->n_shared_pending_siginfo * 128 : 0) + t->mm->n_vmas * (sizeof(struct rst_vma) + sizeof(struct rst_special)) +
		       mt->n_pages * sizeof(struct rst_pages) + t->mm->n_auxv * 8 + ts_restore_args_len(t) +
		       vdso_restore_args_len(t->mm);
	for (size_t i = 0; i < t->n_tids; i++) {
		const ThreadCoreEntry *c = t->cores[i];
		len += sizeof(struct rst_thread) + THREAD_STACK + PAGE_SZ + (c->has_xsave ? c->xsave.len : 0) +
		       c->n_pending_siginfo * 128 + 64 + t->set_tid_size * sizeof(int32_t) + 8;
	}
	return page_up(len);
}

static int map_hole(struct restore_ctx *rc, uint64_t args_max)
{
	struct mem_state *ms = state(rc);
	ms->blob_len = page_up(restorer_blob_mem_size);
	ms->sync_off = ms->blob_len;
	ms->temp_off = ms->sync_off + PAGE_SZ;
	ms->args_off = ms->temp_off + TEMP_LEN;
	uint64_t len = ms->args_off + args_max;
	uint64_t at;
	int r = find_hole(rc, len, &at);
	if (r < 0)
		return r;
	void *m = mmap((void *)at, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m == MAP_FAILED)
		return log_error_errno(negative_errno(), "cannot reserve the restorer area at %#" PRIx64, at);
	rc->hole_start = at;
	rc->hole_len = len;
	if (mmap(m, ms->blob_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    MAP_FAILED ||
	    mmap((char *)m + ms->sync_off, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) == MAP_FAILED ||
	    mmap((char *)m + ms->args_off, args_max, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return log_error_errno(negative_errno(), "cannot map the restorer area");
	memcpy(m, restorer_blob, restorer_blob_size);
	if (mprotect(m, restorer_blob_rx_size, PROT_READ | PROT_EXEC) < 0)
		return log_error_errno(negative_errno(), "cannot protect the restorer code");
	rc->sync = (struct rst_sync *)((char *)m + ms->sync_off);
	log_debug("restorer area %#" PRIx64 "-%#" PRIx64, at, at + len);
	return 0;
}

static bool id_in_image(struct restore_ctx *rc, pid_t id)
{
	for (size_t i = 0; i < rc->n_tasks; i++) {
		if (rc->tasks[i].pid == id)
			return true;
		for (size_t j = 0; j < rc->tasks[i].n_tids; j++)
			if ((pid_t)rc->tasks[i].tids[j] == id)
				return true;
	}
	return false;
}

static long read_long_file(const char *path, long fallback)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	long v;
	return f && fscanf(f, "%ld", &v) == 1 ? v : fallback;
}

/*
 * A tid for the helper thread that reads half of a task's pages: free now and
 * in no image, so it cannot take a pid a restored task needs.  Should another
 * process take it meanwhile, the blob's clone3 fails and it reads alone.
 */
static void pick_helper_tids(struct restore_ctx *rc)
{
	long max = read_long_file("/proc/sys/kernel/pid_max", 32768);
	pid_t c = (pid_t)read_long_file("/proc/sys/kernel/ns_last_pid", 300) + 64;
	for (size_t i = 0; i < rc->n_tasks; i++) {
		struct mem_task *mt = rc->tasks[i].mem;
		/* (below our pid namespace a free pid here says nothing of its own) */
		if (!mt || mt->n_pages == 0 || !rst_in_own_pidns(rc, &rc->tasks[i]))
			continue;
		for (int tries = 0; tries < 1000; tries++, c++) {
			if (c >= max)
				c = 300;
			if (!id_in_image(rc, c) && kill(c, 0) < 0 && errno == ESRCH) {
				mt->helper_tid = c++;
				log_debug("task %d: pages are read by two threads, the second as %d", rc->tasks[i].pid, mt->helper_tid);
				break;
			}
		}
	}
}

/* Free page reporting of a virtio balloon (feature bit 5, VIRTIO_BALLOON_F_REPORTING):
 * the host takes back free blocks of 2 MiB and more, so a fresh huge page costs a
 * host fault per page on first touch. */
static bool free_pages_reported(void)
{
	_cleanup_closedir_ DIR *d = opendir("/sys/bus/virtio/drivers/virtio_balloon");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char path[PATH_MAX], bits[256] = "";
		if (strncmp(de->d_name, "virtio", 6))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/virtio/drivers/virtio_balloon/%s/features", de->d_name);
		_cleanup_fclose_ FILE *f = fopen(path, "re");
		if (f && fgets(bits, sizeof(bits), f) && strlen(bits) > 5 && bits[5] == '1')
			return true;
	}
	return false;
}

/*
 * How the blob fills big anonymous areas (docs/cr-restore.md, "Filling pages"):
 * through huge pages and UFFDIO_MOVE when MADV_HUGEPAGE gets huge pages here
 * (THP "always" or "madvise") and free huge blocks are not handed back to a
 * hypervisor (then each fresh huge page faults on the host when zeroed:
 * measured 2-4x slower); otherwise UFFDIO_COPY of 4 KiB pages from a small
 * buffer (no zeroing).  CRYO_RESTORE_FILL=move|copy|inplace overrides.
 */
static uint32_t fill_flags(void)
{
	char buf[128] = "";
	const char *env = getenv("CRYO_RESTORE_FILL");
	_cleanup_fclose_ FILE *f = NULL;

	if (env && !strcmp(env, "inplace"))
		return 0;
	if (env && !strcmp(env, "copy"))
		return RST_FILL_COPY;
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	bool thp = f && fgets(buf, sizeof(buf), f) && (strstr(buf, "[always]") || strstr(buf, "[madvise]"));
	if (env && !strcmp(env, "move"))
		return thp ? RST_FILL_MOVE : RST_FILL_COPY;
	return thp && !free_pages_reported() ? RST_FILL_MOVE : RST_FILL_COPY;
}

int mem_restore_prepare(struct restore_ctx *rc)
{
	struct mem_state *ms = calloc(1, sizeof(*ms));
	if (!ms)
		return -ENOMEM;
	rc->mem_priv = ms;
	uint64_t args_max = PAGE_SZ;
	for (size_t i = 0; i < rc->n_tasks; i++) {
		struct rst_task *t = &rc->tasks[i];
		if (t->zombie)
			continue;
		struct mem_task *mt = calloc(1, sizeof(*mt));
		if (!mt)
			return -ENOMEM;
		t->mem = mt;
		int r = read_mm(rc, t);
		if (r < 0)
			return r;
		r = read_pages(rc, t, mt);
		if (r < 0)
			return r;
		mt->args_len = task_args_len(t, mt);
		if (mt->args_len > args_max)
			args_max = mt->args_len;
	}
	pick_helper_tids(rc);
	ms->fill_flags = fill_flags();
	log_debug("pages of big anonymous areas are filled %s",
		  ms->fill_flags & RST_FILL_MOVE ? "through huge pages and UFFDIO_MOVE" :
		  ms->fill_flags & RST_FILL_COPY ? "by UFFDIO_COPY" : "in place (preadv)");
	return map_hole(rc, args_max);
}

/* ---- in the task ------------------------------------------------------- */

/* For other kinds that put data in the hole (restore-ts.c). */
static void *bump_alloc_any(void *b, size_t len)
{
	return bump_alloc(b, len, 16);
}

/* Paths are opened once per task; files stay open until the blob mapped them. */
static int open_vma_file(const VmaEntry *v)
{
	int flags = O_CLOEXEC;
	if (v->kind == VMA_KIND__VMA_FILE_SHARED && (v->prot & PROT_WRITE))
		flags |= O_RDWR;
	else
		flags |= O_RDONLY;
	if (!v->path)
		return -EBADMSG;
	int fd = open(v->path, flags);
	if (fd < 0)
		return log_error_errno(negative_errno(), "cannot open %s, mapped at %#" PRIx64, v->path, v->start);
	/* The blob mmaps it after exec-less takeover: keep it open across nothing but us. */
	fcntl(fd, F_SETFD, 0);
	return fd;
}

static int fill_vma(struct restore_ctx *rc, const VmaEntry *v, struct rst_vma *out)
{
	out->madv = v->has_madv ? v->madv : 0;
	out->start = v->start;
	out->end = v->end;
	out->prot = v->prot;
	out->pgoff = v->has_pgoff ? v->pgoff : 0;
	out->fd = -1;
	switch (v->kind) {
	case VMA_KIND__VMA_FILE_PRIVATE:
	case VMA_KIND__VMA_FILE_SHARED: {
		int fd = open_vma_file(v);
		if (fd < 0)
			return fd;
		/* the same file as dumped (file-identity.h), unless --skip-file-validation */
		if (v->identity && !rc->opts.skip_file_validation) {
			int r = file_identity_check(fd, v->identity, v->path);
			if (r < 0) {
				close(fd);
				return r;
			}
		}
		out->fd = fd;
		out->map_flags = v->kind == VMA_KIND__VMA_FILE_SHARED ? MAP_SHARED : MAP_PRIVATE;
		return 0;
	}
	case VMA_KIND__VMA_ANON_SHARED:
	case VMA_KIND__VMA_MEMFD:
		if (v->has_shmem_id) {
			int fd = shmem_restore_fd(rc, v->shmem_id);
			if (fd < 0)
				return fd;
			out->fd = fd;
			out->map_flags = MAP_SHARED;
			return 0;
		}
		/* A private memfd mapping: its pages are in the task's page file. */
		out->pgoff = 0;
		out->map_flags = MAP_PRIVATE | MAP_ANONYMOUS;
		return 0;
	case VMA_KIND__VMA_ANON_PRIVATE:
		out->pgoff = 0;
		out->map_flags = MAP_PRIVATE | MAP_ANONYMOUS | (v->flags & MAP_GROWSDOWN);
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---- the signal frame -------------------------------------------------- */

struct rst_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t di, si, bp, bx, dx, ax, cx, sp, ip, flags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
};
_Static_assert(sizeof(struct rst_sigcontext) == 256, "sigcontext layout");

struct rst_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
	struct rst_sigcontext mc;
	uint64_t sigmask;
};

struct rst_rt_sigframe {
	uint64_t pretcode;
	struct rst_ucontext uc;
	uint8_t info[128];
};

#define UC_FP_XSTATE_ 0x1
#define UC_SIGCONTEXT_SS_ 0x2
#define UC_STRICT_RESTORE_SS_ 0x4
#define FP_XSTATE_MAGIC1_ 0x46505853u
#define FP_XSTATE_MAGIC2_ 0x46505845u
#define FX_SW_OFFSET 464
#define XSAVE_HDR_OFFSET 512

#define ERESTARTSYS_ 512
#define ERESTARTNOINTR_ 513
#define ERESTARTNOHAND_ 514
#define ERESTART_RESTARTBLOCK_ 516

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/*
 * A thread stopped inside a syscall resumes as after a signal with SA_RESTART:
 * restartable syscalls run again, a restart-block one (its kernel state is gone)
 * returns EINTR.  The dump side may have done this already; then ax is no longer
 * one of these codes and nothing changes.
 */
static void apply_syscall_restart(struct rst_sigcontext *mc, int64_t orig_ax)
{
	if (orig_ax < 0)
		return;
	switch ((int64_t)mc->ax) {
	case -ERESTARTSYS_:
	case -ERESTARTNOINTR_:
	case -ERESTARTNOHAND_:
		mc->ax = (uint64_t)orig_ax;
		mc->ip -= 2;
		break;
	case -ERESTART_RESTARTBLOCK_:
		mc->ax = (uint64_t)-EINTR;
		break;
	}
}

static int build_frame(struct rst_task *t, const ThreadCoreEntry *c, struct bump *b, uint64_t *ret_sp)
{
	const UserRegsX86Entry *g = c->gpregs;
	struct rst_rt_sigframe *f = bump_alloc(b, sizeof(*f), 64);
	if (!f)
		return -ENOMEM;
	struct rst_sigcontext *mc = &f->uc.mc;
	mc->r8 = g->r8, mc->r9 = g->r9, mc->r10 = g->r10, mc->r11 = g->r11;
	mc->r12 = g->r12, mc->r13 = g->r13, mc->r14 = g->r14, mc->r15 = g->r15;
	mc->di = g->di, mc->si = g->si, mc->bp = g->bp, mc->bx = g->bx;
	mc->dx = g->dx, mc->ax = g->ax, mc->cx = g->cx, mc->sp = g->sp;
	mc->ip = g->ip, mc->flags = g->flags;
	mc->cs = (uint16_t)g->cs, mc->ss = (uint16_t)g->ss;
	apply_syscall_restart(mc, (int64_t)g->orig_ax);

	f->uc.uc_flags = UC_SIGCONTEXT_SS_ | UC_STRICT_RESTORE_SS_;
	f->uc.sigmask = c->has_blocked_sigset ? c->blocked_sigset : 0;
	if (c->altstack && c->altstack->size) {
		f->uc.ss_sp = c->altstack->sp;
		f->uc.ss_size = c->altstack->size;
		f->uc.ss_flags = (int32_t)c->altstack->flags & ~SS_ONSTACK;
	} else {
		f->uc.ss_flags = SS_DISABLE;
	}

	if (c->has_xsave && c->xsave.len >= XSAVE_HDR_OFFSET + 64) {
		size_t len = c->xsave.len;
		uint8_t *x = bump_alloc(b, len + 4, 64);
		if (!x)
			return -ENOMEM;
		memcpy(x, c->xsave.data, len);
		/* The software-reserved bytes tell rt_sigreturn this is a full xsave area. */
		uint32_t magic1 = FP_XSTATE_MAGIC1_, ext = (uint32_t)len + 4, size = (uint32_t)len;
		uint64_t features = xgetbv0();
		memset(x + FX_SW_OFFSET, 0, 48);
		memcpy(x + FX_SW_OFFSET, &magic1, 4);
		memcpy(x + FX_SW_OFFSET + 4, &ext, 4);
		memcpy(x + FX_SW_OFFSET + 8, &features, 8);
		memcpy(x + FX_SW_OFFSET + 16, &size, 4);
		uint32_t magic2 = FP_XSTATE_MAGIC2_;
		memcpy(x + len, &magic2, 4);
		/* Standard (non-compacted) format, as ptrace gives it. */
		memset(x + XSAVE_HDR_OFFSET + 8, 0, 8);
		mc->fpstate = (uint64_t)(uintptr_t)x;
		f->uc.uc_flags |= UC_FP_XSTATE_;
	} else if (c->has_xsave) {
		log_error("task %d: thread %u: xsave area of %zu bytes is too short", t->pid, c->tid, c->xsave.len);
		return -EBADMSG;
	}
	*ret_sp = (uint64_t)(uintptr_t)&f->uc;
	return 0;
}

static int fill_thread(struct rst_task *t, size_t i, struct bump *b, struct rst_thread *th)
{
	const ThreadCoreEntry *c = t->cores[i];
	th->tid = (uint32_t)rst_ns_tid(t, i);
	th->fs_base = c->gpregs->fs_base;
	th->gs_base = c->gpregs->gs_base;
	th->clear_child_tid = c->has_clear_child_tid ? c->clear_child_tid : 0;
	th->robust_list = c->has_robust_list ? c->robust_list : 0;
	th->robust_list_len = c->has_robust_list_len ? c->robust_list_len : 0;
	if (c->rseq && c->rseq->ptr) {
		th->rseq = c->rseq->ptr;
		th->rseq_len = c->rseq->len;
		th->rseq_sig = c->rseq->sig;
	}
	const char *comm = c->comm ? c->comm : (i == 0 && t->task_core ? t->task_core->comm : NULL);
	if (comm)
		snprintf(th->comm, sizeof(th->comm), "%s", comm);
	if (c->n_pending_siginfo) {
		uint8_t *si = bump_alloc(b, c->n_pending_siginfo * 128, 8);
		if (!si)
			return -ENOMEM;
		for (size_t k = 0; k < c->n_pending_siginfo; k++) {
			if (c->pending_siginfo[k].len != 128)
				return log_error_errno(-EBADMSG, "thread %u: a queued siginfo of %zu bytes", c->tid,
						       c->pending_siginfo[k].len);
			memcpy(si + 128 * k, c->pending_siginfo[k].data, 128);
		}
		th->siginfo = (uint64_t)(uintptr_t)si;
		th->n_siginfo = (uint32_t)c->n_pending_siginfo;
	}
	if (t->thread_set_tid && t->set_tid_size > 1) {
		int32_t *st = bump_alloc(b, t->set_tid_size * sizeof(int32_t), 8);
		if (!st)
			return -ENOMEM;
		memcpy(st, t->thread_set_tid + i * t->set_tid_size, t->set_tid_size * sizeof(int32_t));
		th->set_tid = (uint64_t)(uintptr_t)st;
		th->set_tid_size = t->set_tid_size;
	}
	char *stack = bump_alloc(b, THREAD_STACK, 64);
	if (!stack)
		return -ENOMEM;
	th->stack_top = (uint64_t)(uintptr_t)(stack + THREAD_STACK);
	return build_frame(t, c, b, &th->frame);
}

static int fill_mm(struct rst_task *t, struct bump *b, struct rst_args *a)
{
	const MmEntry *mm = t->mm;
	struct rst_mm *m = &a->mm;
	m->exe_fd = -1;
	if (!mm->has_start_code || !mm->has_brk)
		return 0;
	m->start_code = mm->start_code, m->end_code = mm->end_code;
	m->start_data = mm->start_data, m->end_data = mm->end_data;
	m->start_brk = mm->start_brk, m->brk = mm->brk, m->start_stack = mm->start_stack;
	m->arg_start = mm->arg_start, m->arg_end = mm->arg_end;
	m->env_start = mm->env_start, m->env_end = mm->env_end;
	if (mm->n_auxv) {
		uint64_t *auxv = bump_alloc(b, mm->n_auxv * 8, 8);
		if (!auxv)
			return -ENOMEM;
		memcpy(auxv, mm->auxv, mm->n_auxv * 8);
		m->auxv = (uint64_t)(uintptr_t)auxv;
		m->auxv_size = (uint32_t)(mm->n_auxv * 8);
	}
	if (mm->exe_path) {
		int fd = open(mm->exe_path, O_RDONLY);
		if (fd < 0)
			log_warn("task %d: cannot open its executable %s: %m", t->pid, mm->exe_path);
		m->exe_fd = fd;
	}
	m->valid = 1;
	return 0;
}

/*
 * The fds the blob leaves open: the task's own (restore-fds.c put them in
 * place).  With --shell-job, stdio the task has no image of was the caller's
 * terminal (ttys are not dumped) and is inherited from cryo-cr.
 */
static int fill_keep_fds(struct restore_ctx *rc, struct rst_task *t, struct bump *b, struct rst_args *a)
{
	int32_t *k = bump_alloc(b, (t->n_keep_fds + 3) * sizeof(*k), 8);
	size_t n = 0, j = 0;
	if (!k)
		return -ENOMEM;
	for (int32_t fd = 0; fd < 3; fd++) {
		while (j < t->n_keep_fds && t->keep_fds[j] < fd)
			k[n++] = t->keep_fds[j++];
		if (j < t->n_keep_fds && t->keep_fds[j] == fd)
			k[n++] = t->keep_fds[j++];
		else if (rc->opts.shell_job)
			k[n++] = fd;
	}
	while (j < t->n_keep_fds)
		k[n++] = t->keep_fds[j++];
	a->keep_fds = (uint64_t)(uintptr_t)k;
	a->n_keep_fds = n;
	return 0;
}

/* The POSIX locks the fds step took (fds_task_posix_locks): the blob takes them
 * again after closing the fds it mapped files through, which dropped them. */
static int fill_locks(struct restore_ctx *rc, struct bump *b, struct rst_args *a)
{
	const struct fd_posix_lock *l;
	size_t n = rc->fds ? fds_task_posix_locks(rc->fds, &l) : 0;
	if (!n)
		return 0;
	struct rst_lock *k = bump_alloc(b, n * sizeof(*k), 8);
	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		k[i] = (struct rst_lock){ .fd = l[i].fd, .type = l[i].write ? F_WRLCK : F_RDLCK,
					  .whence = SEEK_SET, .start = (int64_t)l[i].start, .len = (int64_t)l[i].len };
	a->locks = (uint64_t)(uintptr_t)k;
	a->n_locks = n;
	return 0;
}

static int step_mm(void *ctx, void *data)
{
	struct restore_ctx *rc = ctx;
	struct rst_task *t = data;
	struct mem_task *mt = t->mem;
	struct mem_state *ms = state(rc);
	int r = restore_fault("mem");
	if (r < 0)
		return r;

	char *base = (char *)(uintptr_t)(rc->hole_start + ms->args_off);
	struct bump b = { base, base + (rc->hole_len - ms->args_off) };
	struct rst_args *a = bump_alloc(&b, sizeof(*a), 64);
	struct rst_vma *v = bump_alloc(&b, t->mm->n_vmas * sizeof(*v), 8);
	/* One spare run: the blob may cut a run in two to share the work. */
	struct rst_pages *p = bump_alloc(&b, (mt->n_pages + 1) * sizeof(*p), 8);
	struct rst_thread *th = bump_alloc(&b, t->n_tids * sizeof(*th), 8);
	if (!a || !v || !p || !th)
		return -ENOMEM;
	a->magic = RST_ARGS_MAGIC;
	a->version = RST_ARGS_VERSION;
	a->hole_start = rc->hole_start;
	a->hole_len = rc->hole_len;
	a->sync = (uint64_t)(uintptr_t)rc->sync;
	a->temp = rc->hole_start + ms->temp_off;
	a->temp_len = TEMP_LEN;
	a->pages_fd = mt->pages_fd;
	a->pages_fd2 = mt->pages_fd2;
	a->pages_split = mt->pages_split;
	a->fill_flags = ms->fill_flags;

	size_t nv = 0;
	for (size_t i = 0; i < t->mm->n_vmas; i++) {
		const VmaEntry *e = t->mm->vmas[i];
		if (e->kind == VMA_KIND__VMA_VDSO || e->kind == VMA_KIND__VMA_VVAR ||
		    e->kind == VMA_KIND__VMA_VSYSCALL)
			continue;
		r = fill_vma(rc, e, &v[nv]);
		if (r < 0)
			return log_error_errno(r, "task %d: cannot prepare area %#" PRIx64, t->pid, e->start);
		nv++;
	}
	/* The vDSO areas: moved, or a copy with trampolines (vdso-restore.c). */
	r = vdso_restore_task(rc, t, &b, a, v, &nv);
	if (r < 0)
		return r;
	a->vmas = (uint64_t)(uintptr_t)v;
	a->n_vmas = nv;
	size_t ng = 0;
	for (size_t i = 0; i < t->mm->n_vmas; i++)
		ng += t->mm->vmas[i]->n_guard_ranges / 2;
	if (ng) {
		uint64_t *g = bump_alloc(&b, ng * 16, 8);
		if (!g)
			return -ENOMEM;
		size_t k = 0;
		for (size_t i = 0; i < t->mm->n_vmas; i++) {
			const VmaEntry *e = t->mm->vmas[i];
			for (size_t j = 0; j + 1 < e->n_guard_ranges; j += 2) {
				if (e->guard_ranges[j] < e->start || e->guard_ranges[j + 1] > e->end ||
				    e->guard_ranges[j] >= e->guard_ranges[j + 1]) {
					log_error("mm-%d.img: guard range %#" PRIx64 "-%#" PRIx64 " outside its area",
						  t->pid, e->guard_ranges[j], e->guard_ranges[j + 1]);
					return -EBADMSG;
				}
				g[2 * k] = e->guard_ranges[j];
				g[2 * k + 1] = e->guard_ranges[j + 1];
				k++;
			}
		}
		a->guards = (uint64_t)(uintptr_t)g;
		a->n_guards = k;
	}
	memcpy(p, mt->pages, mt->n_pages * sizeof(*p));
	a->pages = (uint64_t)(uintptr_t)p;
	a->n_pages = mt->n_pages;
	for (size_t i = 0; i < t->n_tids; i++) {
		r = fill_thread(t, i, &b, &th[i]);
		if (r < 0)
			return log_error_errno(r, "task %d: cannot prepare thread %u", t->pid, t->tids[i]);
	}
	a->threads = (uint64_t)(uintptr_t)th;
	a->n_threads = t->n_tids;
	r = fill_mm(t, &b, a);
	if (r < 0)
		return r;
	const TaskCoreEntry *tc = t->task_core;
	if (tc && tc->n_shared_pending_siginfo) {
		uint8_t *si = bump_alloc(&b, tc->n_shared_pending_siginfo * 128, 8);
		if (!si)
			return -ENOMEM;
		for (size_t k = 0; k < tc->n_shared_pending_siginfo; k++) {
			if (tc->shared_pending_siginfo[k].len != 128)
				return log_error_errno(-EBADMSG, "task %d: a queued siginfo of %zu bytes", t->pid,
						       tc->shared_pending_siginfo[k].len);
			memcpy(si + 128 * k, tc->shared_pending_siginfo[k].data, 128);
		}
		a->shared_siginfo = (uint64_t)(uintptr_t)si;
		a->n_shared_siginfo = tc->n_shared_pending_siginfo;
	}
	if (mt->helper_tid) {
		char *stack = bump_alloc(&b, THREAD_STACK, 64);
		if (!stack)
			return -ENOMEM;
		a->helper_tid = (uint32_t)mt->helper_tid;
		a->helper_stack_top = (uint64_t)(uintptr_t)(stack + THREAD_STACK);
	}
	r = fill_keep_fds(rc, t, &b, a);
	if (r >= 0)
		r = fill_locks(rc, &b, a);
	if (r >= 0)
		r = ts_restore_fill_args(t, a, bump_alloc_any, &b);
	if (r < 0)
		return r;
	mt->args = a;
	return 0;
}

int mem_restore_add_steps(struct restore_ctx *rc)
{
	for (size_t i = 0; i < rc->n_tasks; i++) {
		struct rst_task *t = &rc->tasks[i];
		if (t->zombie)
			continue;
		unsigned id;
		int r = restore_step_add(rc, t, "mm", step_mm, t, &id);
		if (r >= 0)
			r = plan_need_kind_optional(rc->plan, id, "setsid", t->owner);
		if (r >= 0)
			r = plan_need_kind_optional(rc->plan, id, "setpgid", t->owner);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the jump ----------------------------------------------------------- */

struct kernel_sigaction_ {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

static int restore_task_state(struct rst_task *t)
{
	const TaskCoreEntry *tc = t->task_core;
	if (!tc)
		return 0;
	for (size_t i = 0; i < tc->n_sigactions; i++) {
		const SigactionEntry *s = tc->sigactions[i];
		if (s->signo == SIGKILL || s->signo == SIGSTOP || s->signo < 1 || s->signo > 64)
			continue;
		struct kernel_sigaction_ ka = { s->handler, s->flags, s->restorer, s->mask };
		if (syscall(SYS_rt_sigaction, (int)s->signo, &ka, NULL, 8) < 0)
			return log_error_errno(negative_errno(), "task %d: cannot restore the action of signal %u",
					       t->pid, s->signo);
	}
	for (size_t i = 0; i < tc->n_itimers; i++) {
		const ItimerEntry *it = tc->itimers[i];
		struct itimerval v = {
			.it_interval = { (time_t)it->interval_sec, (suseconds_t)it->interval_usec },
			.it_value = { (time_t)it->value_sec, (suseconds_t)it->value_usec },
		};
		if (it->which > ITIMER_PROF || (!v.it_value.tv_sec && !v.it_value.tv_usec))
			continue;
		if (setitimer((int)it->which, &v, NULL) < 0)
			return log_error_errno(negative_errno(), "task %d: cannot restore interval timer %u",
					       t->pid, it->which);
	}
	if (tc->has_umask)
		umask((mode_t)tc->umask);
	if (tc->has_personality && personality(tc->personality) < 0)
		return log_error_errno(negative_errno(), "task %d: cannot set personality %#x", t->pid,
				       tc->personality);
	return 0;
}

/* glibc registered rseq for this thread in cryo-cr's TLS, which the blob unmaps. */
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));

static void unregister_libc_rseq(void)
{
	if (!&__rseq_size || !__rseq_size)
		return;
	char *area = (char *)__builtin_thread_pointer() + __rseq_offset;
	unsigned lens[] = { __rseq_size, 32, 20 };
	for (size_t i = 0; i < 3; i++)
		if (syscall(SYS_rseq, area, lens[i], 1 /* RSEQ_FLAG_UNREGISTER */, 0x53053053) == 0)
			return;
}

static void drain_sigchld(void)
{
	sigset_t s;
	struct timespec zero = { 0, 0 };
	sigemptyset(&s);
	sigaddset(&s, SIGCHLD);
	while (sigtimedwait(&s, NULL, &zero) > 0)
		;
}

_Noreturn void mem_restore_enter(struct restore_ctx *rc, struct rst_task *t)
{
	struct mem_task *mt = t->mem;
	struct rst_args *a = mt->args;
	if (!a || restore_task_state(t) < 0) {
		plan_abort(rc->plan, -EINVAL);
		_exit(1);
	}
	if (restore_fault("restorer") < 0)
		a->magic = 0; /* the blob refuses the args and reports: exercises its error path */
	drain_sigchld();
	unregister_libc_rseq();
	log_fini();
	uint64_t entry = rc->hole_start + restorer_restorer_main_OFF;
	uint64_t stack = ((struct rst_thread *)(uintptr_t)a->threads)[0].stack_top & ~15ul;
	asm volatile("movq %0, %%rsp\n"
		     "callq *%1\n"
		     "ud2\n"
		     :
		     : "r"(stack), "r"(entry), "D"(a)
		     : "memory");
	__builtin_unreachable();
}

uint64_t mem_restore_gadget(const struct restore_ctx *rc)
{
	return rc->hole_start + restorer_restorer_syscall_gadget_OFF;
}
