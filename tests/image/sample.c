/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include "sample.h"
#include "cr/log.h"
#include "proto/inventory.pb-c.h"
#include "proto/pstree.pb-c.h"
#include "proto/core.pb-c.h"
#include "proto/mm.pb-c.h"

static int write_one(struct img_dir *d, enum img_kind kind, const ProtobufCMessage *m, int arg)
{
	struct img *img;
	int r = img_open(d, kind, true, &img, arg);

	if (r < 0)
		return r;
	r = img_write(img, m);
	int r2 = img_close(img);
	return r < 0 ? r : r2;
}

static int write_pstree(struct img_dir *d)
{
	uint32_t threads[] = { SAMPLE_PID, SAMPLE_TID };
	uint32_t child_threads[] = { SAMPLE_PID + 10 };
	PstreeEntry root = PSTREE_ENTRY__INIT, child = PSTREE_ENTRY__INIT;
	struct img *img;
	int r;

	root.pid = SAMPLE_PID;
	root.pgid = root.sid = SAMPLE_PID;
	root.n_threads = 2;
	root.threads = threads;
	child.pid = SAMPLE_PID + 10;
	child.ppid = SAMPLE_PID;
	child.pgid = child.sid = SAMPLE_PID;
	child.n_threads = 1;
	child.threads = child_threads;
	child.has_zombie = true;
	child.zombie = true;
	child.has_exit_status = true;
	child.exit_status = -3;
	r = img_open(d, IMG_PSTREE, true, &img);
	if (r < 0)
		return r;
	if ((r = img_write(img, &root.base)) == 0)
		r = img_write(img, &child.base);
	int r2 = img_close(img);
	return r < 0 ? r : r2;
}

static int write_core(struct img_dir *d, uint32_t tid, bool main_thread)
{
	ThreadCoreEntry tc = THREAD_CORE_ENTRY__INIT;
	UserRegsX86Entry regs = USER_REGS_X86_ENTRY__INIT;
	TaskCoreEntry task = TASK_CORE_ENTRY__INIT;
	SigactionEntry sa = SIGACTION_ENTRY__INIT, *sas[] = { &sa };
	uint8_t xsave[576];
	struct img *img;
	int r;

	for (size_t i = 0; i < sizeof(xsave); i++)
		xsave[i] = (uint8_t)(i * 13);
	regs.ip = 0x401000;
	regs.sp = 0x7ffc00001000;
	regs.ax = UINT64_MAX;		/* does not fit int64: JSON must keep it */
	regs.flags = 0x246;
	tc.tid = tid;
	tc.gpregs = &regs;
	tc.has_xsave = true;
	tc.xsave.len = sizeof(xsave);
	tc.xsave.data = xsave;
	tc.has_blocked_sigset = true;
	tc.blocked_sigset = 1ull << 63;
	tc.comm = "sample \"thread\"\n\xc3\xa9";
	tc.has_syscall_nr = true;
	tc.syscall_nr = -1;
	r = img_open(d, IMG_CORE, true, &img, tid);
	if (r < 0)
		return r;
	r = img_write(img, &tc.base);
	if (r == 0 && main_thread) {
		sa.signo = 10;
		sa.handler = 0x401234;
		sa.flags = 0x04000000;
		task.pid = tid;
		task.comm = "sample";
		task.n_sigactions = 1;
		task.sigactions = sas;
		task.has_exit_signal = true;
		task.exit_signal = 17;
		r = img_write(img, &task.base);
	}
	int r2 = img_close(img);
	return r < 0 ? r : r2;
}

static int write_mm(struct img_dir *d)
{
	MmEntry mm = MM_ENTRY__INIT;
	VmaEntry v1 = VMA_ENTRY__INIT, v2 = VMA_ENTRY__INIT, *vmas[] = { &v1, &v2 };
	uint64_t auxv[] = { 6, 4096, 0, 0 };

	v1.start = SAMPLE_BASE;
	v1.end = SAMPLE_BASE + 16 * 4096;
	v1.prot = 3;
	v1.flags = 0x22;
	v1.kind = VMA_KIND__VMA_ANON_PRIVATE;
	v2.start = 0x400000;
	v2.end = 0x401000;
	v2.prot = 5;
	v2.flags = 0x2;
	v2.kind = VMA_KIND__VMA_FILE_PRIVATE;
	v2.path = "/usr/bin/sample";
	v2.has_ino = true;
	v2.ino = 1234;
	mm.n_vmas = 2;
	mm.vmas = vmas;
	mm.has_brk = true;
	mm.brk = 0x1000000;
	mm.n_auxv = 4;
	mm.auxv = auxv;
	mm.exe_path = "/usr/bin/sample";
	return write_one(d, IMG_MM, &mm.base, SAMPLE_PID);
}

/* 16 pages at SAMPLE_BASE: 0-3 data, 4-5 zero, 6-7 data, 8 lazy, 9-15 data. */
static int write_pages(struct img_dir *d, unsigned gen)
{
	struct page_writer *w;
	static uint8_t buf[16 * 4096];
	int r;

	for (uint64_t n = 0; n < 16; n++)
		for (uint64_t i = 0; i < 4096; i++)
			buf[n * 4096 + i] = sample_byte(gen, n, i);
	r = page_writer_open(d, SAMPLE_PID, &w);
	if (r < 0)
		return r;
	if ((r = page_writer_add_data(w, SAMPLE_BASE, buf, 4)) == 0 &&
	    (r = page_writer_add_hole(w, SAMPLE_BASE + 4 * 4096, 2, PE_ZERO)) == 0 &&
	    (r = page_writer_add_data(w, SAMPLE_BASE + 6 * 4096, buf + 6 * 4096, 2)) == 0 &&
	    (r = page_writer_add_hole(w, SAMPLE_BASE + 8 * 4096, 1, PE_LAZY)) == 0)
		r = page_writer_add_data(w, SAMPLE_BASE + 9 * 4096, buf + 9 * 4096, 7);
	int r2 = page_writer_close(w);
	return r < 0 ? r : r2;
}

int sample_write_image(const char *path, unsigned gen)
{
	InventoryEntry inv;
	DumpStatsEntry stats = DUMP_STATS_ENTRY__INIT;
	struct img_dir *d;
	int r;

	r = img_dir_open_write(path, &d);
	if (r < 0)
		return r;
	if ((r = write_pstree(d)) < 0 || (r = write_core(d, SAMPLE_PID, true)) < 0 ||
	    (r = write_core(d, SAMPLE_TID, false)) < 0 || (r = write_mm(d)) < 0 ||
	    (r = write_pages(d, gen)) < 0)
		goto out;
	r = img_inventory_init(&inv);
	if (r < 0)
		goto out;
	inv.has_root_pid = true;
	inv.root_pid = SAMPLE_PID;
	stats.has_pages_written = true;
	stats.pages_written = 13;
	stats.has_pages_zero = true;
	stats.pages_zero = 2;
	stats.has_frozen_time_us = true;
	stats.frozen_time_us = 1234;
	inv.stats = &stats;
	r = write_one(d, IMG_INVENTORY, &inv.base, 0);
	inv.stats = NULL;
	img_inventory_clear(&inv);
	if (r == 0)
		r = img_dir_commit(d);
out:
	img_dir_close(d);
	return r;
}
