/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cryo-image show and stats: human summaries of an image directory. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "image.h"
#include "image-tool.h"
#include "log.h"
#include "proto/inventory.pb-c.h"
#include "proto/pstree.pb-c.h"
#include "proto/core.pb-c.h"
#include "proto/mm.pb-c.h"

struct page_counts {
	uint64_t present, zero, lazy, parent, entries, page_size;
	unsigned page_files;
};

/* Read the single-record file of a kind; 0 and *ret NULL if it is absent. */
static int read_single(struct img_dir *d, enum img_kind kind, int arg, ProtobufCMessage **ret)
{
	struct img *img;
	int r;

	*ret = NULL;
	if (img_exists(d, kind, arg) == -ENOENT)
		return 0;
	r = img_open(d, kind, false, &img, arg);
	if (r < 0)
		return r;
	r = img_read_one(img, ret);
	img_close(img);
	return r;
}

static int count_pages(struct img_dir *d, unsigned id, struct page_counts *c)
{
	struct page_reader *r;
	struct page_entry e;
	int err;

	err = page_reader_open(d, id, &r);
	if (err < 0)
		return err;
	c->page_size = page_reader_page_size(r);
	c->page_files = page_reader_nr_files(r);
	while ((err = page_reader_next(r, &e)) > 0) {
		c->entries++;
		if (e.flags & PE_PRESENT)
			c->present += e.nr_pages;
		else if (e.flags & PE_ZERO)
			c->zero += e.nr_pages;
		else if (e.flags & PE_IN_PARENT)
			c->parent += e.nr_pages;
		else if (e.flags & PE_LAZY)
			c->lazy += e.nr_pages;
	}
	page_reader_close(r);
	return err;
}

static void print_size(uint64_t bytes)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = bytes;
	unsigned u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		printf("%" PRIu64 " B", bytes);
	else
		printf("%.1f %s", v, units[u]);
}

static void print_inventory(const InventoryEntry *inv)
{
	printf("format %u.%u, written by %s\n", inv->format_version >> 16, inv->format_version & 0xffff,
	       inv->tool_version ? inv->tool_version : "(unknown tool)");
	if (inv->kernel_release || inv->arch || inv->hostname)
		printf("  dumped on: %s %s, kernel %s\n", inv->hostname ? inv->hostname : "?",
		       inv->arch ? inv->arch : "?", inv->kernel_release ? inv->kernel_release : "?");
	if (inv->has_dump_time) {
		char buf[64];
		time_t t = inv->dump_time;
		struct tm tm;

		if (gmtime_r(&t, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm))
			printf("  at: %s\n", buf);
	}
	if (inv->cpu) {
		const CpuInfoEntry *c = inv->cpu;
		printf("  cpu: %s, %s", c->vendor ? c->vendor : "?", c->model_name ? c->model_name : "?");
		if (c->has_family)
			printf(" (family %u model %u stepping %u)", c->family, c->model, c->stepping);
		printf("\n");
		if (c->has_xfeatures_mask)
			printf("  xsave: features 0x%" PRIx64 ", %u bytes\n", c->xfeatures_mask, c->xsave_size);
		if (c->n_flags)
			printf("  cpu flags: %zu\n", c->n_flags);
	}
	if (inv->has_root_pid)
		printf("  root pid: %u\n", inv->root_pid);
	if (inv->n_dumped) {
		printf("  dumped:");
		for (size_t i = 0; i < inv->n_dumped; i++)
			printf(" %s", inv->dumped[i]);
		printf("\n");
	}
	if (inv->parent)
		printf("  parent image: %s\n", inv->parent);
}

static const char *vma_kind_name(int kind)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&vma_kind__descriptor, kind);

	return v ? v->name + (strncmp(v->name, "VMA_", 4) ? 0 : 4) : "?";
}

static int show_mm(struct img_dir *d, uint32_t pid)
{
	ProtobufCMessage *m;
	int r = read_single(d, IMG_MM, pid, &m);

	if (r < 0 || !m)
		return r;
	const MmEntry *mm = (const MmEntry *)m;
	uint64_t total = 0;

	for (size_t i = 0; i < mm->n_vmas; i++)
		total += mm->vmas[i]->end - mm->vmas[i]->start;
	printf("    memory: %zu VMAs, ", mm->n_vmas);
	print_size(total);
	printf(" mapped%s%s\n", mm->exe_path ? ", exe " : "", mm->exe_path ? mm->exe_path : "");
	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];
		printf("      %012" PRIx64 "-%012" PRIx64 " %c%c%c %-12s %s\n", v->start, v->end,
		       v->prot & 1 ? 'r' : '-', v->prot & 2 ? 'w' : '-', v->prot & 4 ? 'x' : '-',
		       vma_kind_name(v->kind), v->path ? v->path : v->name ? v->name : "");
	}
	img_free_msg(m);
	return 0;
}

static int show_pages(struct img_dir *d, uint32_t id)
{
	struct page_counts c = {};
	int r;

	if (img_exists(d, IMG_PAGEMAP, id) == -ENOENT)
		return 0;
	r = count_pages(d, id, &c);
	if (r < 0)
		return r;
	printf("    pages: %" PRIu64 " stored (", c.present);
	print_size(c.present * c.page_size);
	printf("), %" PRIu64 " zero, %" PRIu64 " lazy, %" PRIu64 " in parent", c.zero, c.lazy, c.parent);
	if (c.page_files > 1)
		printf(", in %u page files", c.page_files);
	printf("\n");
	return 0;
}

static int show_process(struct img_dir *d, const PstreeEntry *p, unsigned depth)
{
	ProtobufCMessage *m;
	const char *comm = NULL;
	struct img *img;
	int r;

	/* The comm is in the task record of the main thread's core file. */
	if (img_exists(d, IMG_CORE, p->pid) == 0) {
		r = img_open(d, IMG_CORE, false, &img, p->pid);
		if (r < 0)
			return r;
		ProtobufCMessage *t = NULL;
		r = img_read(img, &m);
		if (r > 0) {
			img_free_msg(m);
			r = img_read(img, &t);
		}
		img_close(img);
		if (r < 0)
			return r;
		if (t && ((TaskCoreEntry *)t)->comm)
			comm = strdupa(((TaskCoreEntry *)t)->comm);
		img_free_msg(t);
	}
	printf("%*s%u%s%s%s (ppid %u, pgid %u, sid %u)", depth * 2, "", p->pid, comm ? " (" : "",
	       comm ? comm : "", comm ? ")" : "", p->ppid, p->pgid, p->sid);
	if (p->has_zombie && p->zombie)
		printf(" zombie, exit status %d", p->exit_status);
	printf("\n");
	printf("%*s  threads:", depth * 2, "");
	for (size_t i = 0; i < p->n_threads; i++)
		printf(" %u%s", p->threads[i], img_exists(d, IMG_CORE, p->threads[i]) == 0 ? "" : "(no core)");
	printf("\n");
	if ((r = show_mm(d, p->pid)) < 0 || (r = show_pages(d, p->pid)) < 0)
		return r;
	return 0;
}

static int read_pstree(struct img_dir *d, PstreeEntry ***ret, size_t *ret_n)
{
	struct img *img;
	ProtobufCMessage *m;
	PstreeEntry **v = NULL;
	size_t n = 0;
	int r;

	r = img_open(d, IMG_PSTREE, false, &img);
	if (r < 0)
		return r;
	while ((r = img_read(img, &m)) > 0) {
		PstreeEntry **nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			img_free_msg(m);
			r = -ENOMEM;
			break;
		}
		v = nv;
		v[n++] = (PstreeEntry *)m;
	}
	img_close(img);
	if (r < 0) {
		while (n)
			img_free_msg(&v[--n]->base);
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static unsigned tree_depth(PstreeEntry **v, size_t n, const PstreeEntry *p)
{
	unsigned depth = 0;

	for (unsigned guard = 0; p->ppid && guard < n; guard++) {
		const PstreeEntry *parent = NULL;
		for (size_t i = 0; i < n; i++)
			if (v[i]->pid == p->ppid)
				parent = v[i];
		if (!parent)
			break;
		depth++;
		p = parent;
	}
	return depth;
}

static int show_files(const char *path)
{
	struct dirent **names;
	int n = img_tool_list(path, &names);

	if (n < 0)
		return n;
	printf("files:\n");
	for (int i = 0; i < n; i++) {
		const struct img_kind_info *k = img_kind_by_file_name(names[i]->d_name);
		printf("  %-24s %s\n", names[i]->d_name,
		       k ? k->name : img_is_pages_file_name(names[i]->d_name) ? "page data" : "(not an image file)");
	}
	img_tool_free_list(names, n);
	return 0;
}

/* Files of kinds this summary does not describe (added by later modules). */
static int show_other_files(struct img_dir *d, const char *path)
{
	struct dirent **names;
	int n = img_tool_list(path, &names), r = 0;
	bool header = false;

	if (n < 0)
		return n;
	for (int i = 0; i < n && r == 0; i++) {
		const char *name = names[i]->d_name;
		const struct img_kind_info *k = img_kind_by_file_name(name);
		ProtobufCMessage *m;
		struct img *img;

		if (!k || k->kind == IMG_INVENTORY || k->kind == IMG_PSTREE || k->kind == IMG_CORE ||
		    k->kind == IMG_MM || k->kind == IMG_PAGEMAP)
			continue;
		r = img_open_name(d, name, false, &img);
		if (r < 0)
			break;
		while ((r = img_read(img, &m)) > 0)
			img_free_msg(m);
		if (r == 0) {
			if (!header)
				printf("other files:\n");
			header = true;
			printf("  %-24s %s, %u record(s)\n", name, k->name, img_records(img));
		}
		img_close(img);
	}
	img_tool_free_list(names, n);
	return r;
}

/* Dot directories a commit leaves only when it was interrupted (docs/images.md). */
static void show_leftovers(const char *path)
{
	_cleanup_closedir_ DIR *dir = opendir(path);
	struct dirent *de;

	while (dir && (de = readdir(dir)))
		if (!strncmp(de->d_name, ".staging-", 9) || !strncmp(de->d_name, ".old-", 5))
			printf("note: %s/%s is left by a write in progress or an interrupted one\n", path, de->d_name);
}

static int show_dir(const char *path)
{
	struct img_dir *d;
	ProtobufCMessage *m;
	PstreeEntry **procs = NULL;
	size_t n = 0;
	int r;

	r = img_dir_open_read(path, &d);
	if (r < 0)
		return r;
	show_leftovers(path);
	printf("image %s: ", path);
	r = read_single(d, IMG_INVENTORY, 0, &m);
	if (r < 0)
		goto out;
	if (m) {
		print_inventory((InventoryEntry *)m);
		img_free_msg(m);
	} else {
		printf("no inventory.img (not a complete image)\n");
	}
	struct img_dir *pd;
	if (img_dir_open_parent(d, &pd) == 0) {
		printf("  parent: %s\n", img_dir_path(pd));
		img_dir_close(pd);
	}
	if (img_exists(d, IMG_PSTREE) == -ENOENT) {
		r = show_files(path);
		goto out;
	}
	r = read_pstree(d, &procs, &n);
	if (r < 0)
		goto out;
	printf("process tree: %zu processes\n", n);
	for (size_t i = 0; i < n && r == 0; i++)
		r = show_process(d, procs[i], 1 + tree_depth(procs, n, procs[i]));
	if (r == 0)
		r = show_other_files(d, path);
	for (size_t i = 0; i < n; i++)
		img_free_msg(&procs[i]->base);
	free(procs);
out:
	img_dir_close(d);
	return r;
}

int img_show_main(int argc, char **argv)
{
	const char *dir = NULL, *out = NULL;
	int r = img_tool_parse_out(argc, argv, "DIR", NULL, &out, &dir);

	if (r <= 0)
		return r < 0 ? 1 : 0;
	if (out) {
		fprintf(stderr, "cryo-image show: -o is not supported\n");
		return 1;
	}
	return show_dir(dir) < 0 ? 1 : 0;
}

/* ---- stats ------------------------------------------------------------- */

static void print_stats(const DumpStatsEntry *s)
{
	const ProtobufCMessageDescriptor *desc = s->base.descriptor;

	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];
		const uint8_t *base = (const uint8_t *)s;

		if (f->type != PROTOBUF_C_TYPE_UINT32 && f->type != PROTOBUF_C_TYPE_UINT64)
			continue;
		if (f->label != PROTOBUF_C_LABEL_OPTIONAL || !*(const protobuf_c_boolean *)(base + f->quantifier_offset))
			continue;
		uint64_t v = f->type == PROTOBUF_C_TYPE_UINT32 ? *(const uint32_t *)(base + f->offset)
							       : *(const uint64_t *)(base + f->offset);
		printf("  %-22s %" PRIu64 "\n", f->name, v);
	}
}

static int pagemap_totals(struct img_dir *d, const char *path, struct page_counts *t, unsigned *files)
{
	struct dirent **names;
	int n = img_tool_list(path, &names), r = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n && r == 0; i++) {
		const struct img_kind_info *k = img_kind_by_file_name(names[i]->d_name);
		unsigned id;

		if (k != img_kind_info(IMG_PAGEMAP) || sscanf(names[i]->d_name, "pagemap-%u.img", &id) != 1)
			continue;
		r = count_pages(d, id, t);
		(*files)++;
	}
	img_tool_free_list(names, n);
	return r;
}

int img_stats_main(int argc, char **argv)
{
	const char *dir = NULL, *out = NULL;
	struct page_counts t = {};
	struct img_dir *d;
	ProtobufCMessage *m;
	unsigned files = 0;
	int r = img_tool_parse_out(argc, argv, "DIR", NULL, &out, &dir);

	if (r <= 0)
		return r < 0 ? 1 : 0;
	if (img_dir_open_read(dir, &d) < 0)
		return 1;
	r = read_single(d, IMG_INVENTORY, 0, &m);
	if (r == 0 && !m) {
		log_error("%s: no inventory.img: not an image directory", dir);
		r = -ENOENT;
	}
	if (r == 0) {
		const InventoryEntry *inv = (const InventoryEntry *)m;
		printf("dump statistics of %s:\n", dir);
		if (inv->stats)
			print_stats(inv->stats);
		else
			printf("  (the inventory holds no statistics)\n");
		img_free_msg(m);
		r = pagemap_totals(d, dir, &t, &files);
	}
	if (r == 0) {
		printf("pagemaps: %u files, %" PRIu64 " entries\n", files, t.entries);
		printf("  %-22s %" PRIu64 "\n  %-22s %" PRIu64 "\n  %-22s %" PRIu64 "\n  %-22s %" PRIu64 "\n",
		       "pages stored", t.present, "pages zero", t.zero, "pages lazy", t.lazy,
		       "pages in parent", t.parent);
	}
	img_dir_close(d);
	return r < 0 ? 1 : 0;
}
