/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Page data: pagemap-ID.img (a pagemap_head, then pagemap_entry records) and
 * the raw page file pages-ID.img holding the bytes of the PE_PRESENT entries
 * back to back, in entry order.  A pagemap may name more page files
 * (more_pages_ids, written in parallel by a big dump): an entry's 'file' picks
 * one, and each file holds its own entries' bytes back to back.  Writers buffer small chunks and write large
 * ones straight through; readers check every entry against the page file and
 * resolve PE_IN_PARENT through the 'parent' chain of images.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include "image.h"
#include "image-internal.h"
#include "log.h"
#include "proto/pagemap.pb-c.h"

#define PW_BUF_SIZE	(4u << 20)
#define DEFAULT_PAGE_SIZE 4096u
#define PE_KNOWN	(PE_PRESENT | PE_ZERO | PE_LAZY | PE_IN_PARENT)

/* ---- writer ------------------------------------------------------------ */

struct pw_file {
	int fd;
	uint64_t off;			/* bytes of the file, buffered ones included */
	char name[64];
};

struct page_writer {
	struct img *pm;
	struct pw_file f[PAGES_MAX_FILES];
	unsigned nr_files;
	int err;
	uint64_t page_size;
	uint8_t *buf;			/* data of file 0 not written yet */
	size_t len;
	bool pending;			/* an entry not written yet (it may still grow) */
	PagemapEntry pe;
	uint64_t end;			/* end address of the last entry */
};

static int pw_flush(struct page_writer *w)
{
	int r;

	if (!w->len)
		return 0;
	r = img_write_full(w->f[0].fd, w->buf, w->len);
	w->len = 0;
	if (r < 0)
		return w->err = log_error_errno(r, "%s: write failed", w->f[0].name);
	return 0;
}

static int pw_emit(struct page_writer *w)
{
	int r;

	if (!w->pending)
		return 0;
	w->pending = false;
	r = img_write(w->pm, &w->pe.base);
	return r < 0 ? (w->err = r) : 0;
}

/* Record [vaddr, +nr_pages) with flags (data in page file 'file'), merging
 * with the previous entry when possible. */
static int pw_entry(struct page_writer *w, uint64_t vaddr, uint64_t nr_pages, uint32_t flags, unsigned file)
{
	int r;

	if (w->err)
		return w->err;
	if (nr_pages == 0 || vaddr % w->page_size || nr_pages > (UINT64_MAX - vaddr) / w->page_size) {
		log_error("%s: bad page range 0x%llx + %llu pages", img_name(w->pm),
			  (unsigned long long)vaddr, (unsigned long long)nr_pages);
		return -EINVAL;
	}
	if (vaddr < w->end) {
		log_error("%s: page 0x%llx is below the end of the previous entry 0x%llx", img_name(w->pm),
			  (unsigned long long)vaddr, (unsigned long long)w->end);
		return -EINVAL;
	}
	if (w->pending && w->pe.flags == flags && w->pe.file == file && vaddr == w->end) {
		w->pe.nr_pages += nr_pages;
	} else {
		r = pw_emit(w);
		if (r < 0)
			return r;
		pagemap_entry__init(&w->pe);
		w->pe.vaddr = vaddr;
		w->pe.nr_pages = nr_pages;
		w->pe.flags = flags;
		w->pe.has_file = file != 0;
		w->pe.file = file;
		w->pending = true;
	}
	w->end = vaddr + nr_pages * w->page_size;
	return 0;
}

int page_writer_open(struct img_dir *d, unsigned id, struct page_writer **ret)
{
	return page_writer_open_files(d, id, NULL, 0, ret);
}

int page_writer_open_files(struct img_dir *d, unsigned id, const uint32_t *more_ids, unsigned n_more,
			   struct page_writer **ret)
{
	PagemapHead head = PAGEMAP_HEAD__INIT;
	struct page_writer *w;
	int r;

	if (n_more >= PAGES_MAX_FILES)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (unsigned k = 0; k < PAGES_MAX_FILES; k++)
		w->f[k].fd = -1;
	w->nr_files = 1 + n_more;
	w->page_size = sysconf(_SC_PAGESIZE);
	for (unsigned k = 0; k < w->nr_files; k++)
		snprintf(w->f[k].name, sizeof(w->f[k].name), IMG_PAGES_TMPL, k ? more_ids[k - 1] : id);
	w->buf = malloc(PW_BUF_SIZE);
	if (!w->buf) {
		r = -ENOMEM;
		goto fail;
	}
	r = img_open(d, IMG_PAGEMAP, true, &w->pm, id);
	if (r < 0)
		goto fail;
	for (unsigned k = 0; k < w->nr_files; k++) {
		r = img_dir_create_raw(d, w->f[k].name);
		if (r < 0)
			goto fail;
		w->f[k].fd = r;
	}
	head.pages_id = id;
	head.has_page_size = true;
	head.page_size = w->page_size;
	head.n_more_pages_ids = n_more;
	head.more_pages_ids = (uint32_t *)more_ids;
	r = img_write(w->pm, &head.base);
	if (r < 0)
		goto fail;
	*ret = w;
	return 0;
fail:
	w->err = r;
	page_writer_close(w);
	return r;
}

int page_writer_add_data(struct page_writer *w, uint64_t vaddr, const void *buf, uint64_t nr_pages)
{
	int r = pw_entry(w, vaddr, nr_pages, PE_PRESENT, 0);
	uint64_t len = nr_pages * w->page_size;

	if (r < 0)
		return r;
	if (w->len + len > PW_BUF_SIZE) {
		r = pw_flush(w);
		if (r < 0)
			return r;
	}
	if (len >= PW_BUF_SIZE) {
		r = img_write_full(w->f[0].fd, buf, len);
		if (r < 0)
			return w->err = log_error_errno(r, "%s: write failed", w->f[0].name);
	} else {
		memcpy(w->buf + w->len, buf, len);
		w->len += len;
	}
	w->f[0].off += len;
	return 0;
}

int page_writer_add_hole(struct page_writer *w, uint64_t vaddr, uint64_t nr_pages, uint32_t flags)
{
	if (flags & ~(PE_ZERO | PE_LAZY | PE_IN_PARENT) || __builtin_popcount(flags) != 1) {
		log_error("%s: a hole must be exactly one of zero, lazy or in-parent (flags 0x%x)",
			  img_name(w->pm), flags);
		return -EINVAL;
	}
	return pw_entry(w, vaddr, nr_pages, flags, 0);
}

int page_writer_file_fd(struct page_writer *w, unsigned file, off_t *ret_offset)
{
	int r = w->err ? w->err : file >= w->nr_files ? -EINVAL : file == 0 ? pw_flush(w) : 0;

	if (r < 0)
		return r;
	*ret_offset = (off_t)w->f[file].off;
	return w->f[file].fd;
}

int page_writer_pages_fd(struct page_writer *w, off_t *ret_offset)
{
	return page_writer_file_fd(w, 0, ret_offset);
}

unsigned page_writer_nr_files(const struct page_writer *w) { return w->nr_files; }

int page_writer_account_in(struct page_writer *w, unsigned file, uint64_t vaddr, uint64_t nr_pages)
{
	uint64_t len = nr_pages * w->page_size;
	struct pw_file *f;
	off_t pos;
	int r;

	if (file >= w->nr_files)
		return -EINVAL;
	f = &w->f[file];
	if (file == 0 && w->len) {
		log_error("%s: account without page_writer_pages_fd() first", f->name);
		return -EINVAL;
	}
	r = pw_entry(w, vaddr, nr_pages, PE_PRESENT, file);
	if (r < 0)
		return r;
	/* Whoever wrote the data wrote it at the file position; make sure it all landed. */
	pos = lseek(f->fd, 0, SEEK_CUR);
	if (pos < 0 || (uint64_t)pos != f->off + len) {
		log_error("%s: holds %lld bytes, expected %llu after 0x%llx + %llu pages", f->name,
			  (long long)pos, (unsigned long long)(f->off + len), (unsigned long long)vaddr,
			  (unsigned long long)nr_pages);
		return w->err = -EIO;
	}
	f->off += len;
	return 0;
}

int page_writer_account_at(struct page_writer *w, unsigned file, off_t off, uint64_t vaddr, uint64_t nr_pages)
{
	int r;

	if (file >= w->nr_files || (file == 0 && w->len))
		return -EINVAL;
	if ((uint64_t)off != w->f[file].off) {
		log_error("%s: data of 0x%llx at %lld, expected at %llu", w->f[file].name, (unsigned long long)vaddr,
			  (long long)off, (unsigned long long)w->f[file].off);
		return w->err = -EIO;
	}
	r = pw_entry(w, vaddr, nr_pages, PE_PRESENT, file);
	if (r < 0)
		return r;
	w->f[file].off += nr_pages * w->page_size;
	return 0;
}

int page_writer_account(struct page_writer *w, uint64_t vaddr, uint64_t nr_pages)
{
	return page_writer_account_in(w, 0, vaddr, nr_pages);
}

int page_writer_close(struct page_writer *w)
{
	int r, r2;

	if (!w)
		return 0;
	r = w->err;
	if (r == 0)
		r = pw_emit(w);
	if (r == 0)
		r = pw_flush(w);
	for (unsigned k = 0; k < PAGES_MAX_FILES; k++)
		if (w->f[k].fd >= 0 && close(w->f[k].fd) < 0 && r == 0)
			r = log_error_errno(negative_errno(), "%s: close failed", w->f[k].name);
	r2 = img_close(w->pm);
	if (r == 0)
		r = r2;
	free(w->buf);
	free(w);
	return r;
}

/* ---- reader ------------------------------------------------------------ */

struct page_reader {
	struct img_dir *d;		/* not owned (but owned_dir is, for parents) */
	struct img_dir *owned_dir;
	unsigned id;
	unsigned depth;			/* 0: the caller's image; > 0: a parent */
	bool top;			/* the caller's reader: it iterates, so lookups use a second one */
	struct img *pm;
	struct pr_file {
		char name[64];
		int fd;
		uint64_t size;
		uint64_t next_off;	/* offset of the file's next PE_PRESENT data */
	} f[PAGES_MAX_FILES];
	unsigned nr_files;
	uint64_t page_size;
	uint64_t end;			/* end address of the previous entry */
	int err;
	/* For lookups: every entry, sorted (built on demand). */
	struct page_entry *index;
	size_t n_index;
	bool indexed;
	struct page_reader *lookup;	/* depth 0: a second reader owning the index */
	struct page_reader *parent;
	bool no_parent;
};

static int open_page_file(struct page_reader *r, struct pr_file *f)
{
	struct stat st;
	int err = img_dir_openat_read(r->d, f->name);

	if (err < 0)
		return log_error_errno(err, "%s: cannot open %s in %s", img_name(r->pm), f->name, img_dir_path(r->d));
	f->fd = err;
	if (fstat(f->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_error("%s: not a regular file", f->name);
		return -EINVAL;
	}
	f->size = (uint64_t)st.st_size;
	return 0;
}

static int reader_open(struct img_dir *d, unsigned id, unsigned depth, struct page_reader **ret)
{
	ProtobufCMessage *m = NULL;
	struct page_reader *r;
	int err;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->d = d;
	r->id = id;
	r->depth = depth;
	for (unsigned k = 0; k < PAGES_MAX_FILES; k++)
		r->f[k].fd = -1;
	err = img_open(d, IMG_PAGEMAP, false, &r->pm, id);
	if (err < 0)
		goto fail;
	err = img_read_one(r->pm, &m);
	if (err < 0)
		goto fail;
	PagemapHead *head = (PagemapHead *)m;
	r->page_size = head->has_page_size ? head->page_size : DEFAULT_PAGE_SIZE;
	if (head->n_more_pages_ids < PAGES_MAX_FILES) {
		r->nr_files = 1 + (unsigned)head->n_more_pages_ids;
		for (unsigned k = 0; k < r->nr_files; k++)
			snprintf(r->f[k].name, sizeof(r->f[k].name), IMG_PAGES_TMPL,
				 k ? head->more_pages_ids[k - 1] : head->pages_id);
	}
	img_free_msg(m);
	if (!r->nr_files) {
		log_error("%s: record 0: more than %u page files", img_name(r->pm), PAGES_MAX_FILES);
		err = -EBADMSG;
		goto fail;
	}
	if (r->page_size < 4096 || r->page_size > (1u << 30) || (r->page_size & (r->page_size - 1))) {
		log_error("%s: record 0: page size %llu is not a power of two in [4K, 1G]", img_name(r->pm),
			  (unsigned long long)r->page_size);
		err = -EBADMSG;
		goto fail;
	}
	for (unsigned k = 0; k < r->nr_files; k++) {
		err = open_page_file(r, &r->f[k]);
		if (err < 0)
			goto fail;
	}
	*ret = r;
	return 0;
fail:
	page_reader_close(r);
	return err;
}

int page_reader_open(struct img_dir *d, unsigned id, struct page_reader **ret)
{
	int err = reader_open(d, id, 0, ret);

	if (err == 0)
		(*ret)->top = true;
	return err;
}

static int entry_error(struct page_reader *r, const char *what, const PagemapEntry *pe)
{
	log_error("%s: record %u: %s (0x%llx + %llu pages, flags 0x%x)", img_name(r->pm),
		  img_records(r->pm) - 1, what, (unsigned long long)pe->vaddr,
		  (unsigned long long)pe->nr_pages, pe->flags);
	return r->err = -EBADMSG;
}

int page_reader_next(struct page_reader *r, struct page_entry *e)
{
	ProtobufCMessage *m;
	int err;

	if (r->err)
		return r->err;
	err = img_read(r->pm, &m);
	if (err < 0)
		return r->err = err;
	if (err == 0) {
		for (unsigned k = 0; k < r->nr_files; k++)
			if (r->f[k].next_off != r->f[k].size) {
				log_error("%s: %llu bytes, but %s describes %llu", r->f[k].name,
					  (unsigned long long)r->f[k].size, img_name(r->pm),
					  (unsigned long long)r->f[k].next_off);
				return r->err = -EBADMSG;
			}
		return 0;
	}
	PagemapEntry *pe = (PagemapEntry *)m;
	uint32_t where = pe->flags & (PE_PRESENT | PE_ZERO | PE_IN_PARENT);
	unsigned file = pe->has_file ? pe->file : 0;
	struct pr_file *f = &r->f[file < r->nr_files ? file : 0];

	if (pe->flags & ~PE_KNOWN)
		err = entry_error(r, "unknown flags", pe);
	else if (!pe->flags || __builtin_popcount(where) > 1)
		err = entry_error(r, "contradicting flags", pe);
	else if (pe->nr_pages == 0)
		err = entry_error(r, "no pages", pe);
	else if (pe->vaddr % r->page_size)
		err = entry_error(r, "address not page aligned", pe);
	else if (pe->nr_pages > (UINT64_MAX - pe->vaddr) / r->page_size)
		err = entry_error(r, "range overflows the address space", pe);
	else if (pe->vaddr < r->end)
		err = entry_error(r, "overlaps or precedes the previous entry", pe);
	else if (file >= r->nr_files)
		err = entry_error(r, "no such page file", pe);
	else if ((pe->flags & PE_PRESENT) &&
		 pe->nr_pages * r->page_size > f->size - f->next_off)
		err = entry_error(r, "data beyond the end of the page file", pe);
	if (err < 0) {
		img_free_msg(m);
		return err;
	}
	e->vaddr = pe->vaddr;
	e->nr_pages = pe->nr_pages;
	e->flags = pe->flags;
	e->file = file;
	e->pages_off = (pe->flags & PE_PRESENT) ? (off_t)f->next_off : -1;
	r->end = pe->vaddr + pe->nr_pages * r->page_size;
	if (pe->flags & PE_PRESENT)
		f->next_off += pe->nr_pages * r->page_size;
	img_free_msg(m);
	return 1;
}

int page_reader_pages_fd(struct page_reader *r) { return r->f[0].fd; }
unsigned page_reader_nr_files(const struct page_reader *r) { return r->nr_files; }
int page_reader_file_fd(struct page_reader *r, unsigned file) { return file < r->nr_files ? r->f[file].fd : -EINVAL; }
uint64_t page_reader_page_size(const struct page_reader *r) { return r->page_size; }

/* Load every entry of r's own pagemap (r must be fresh). */
static int build_index(struct page_reader *r)
{
	struct page_entry e;
	size_t cap = 0;
	int err;

	while ((err = page_reader_next(r, &e)) > 0) {
		if (r->n_index == cap) {
			cap = cap ? cap * 2 : 64;
			struct page_entry *v = realloc(r->index, cap * sizeof(*v));
			if (!v)
				return r->err = -ENOMEM;
			r->index = v;
		}
		r->index[r->n_index++] = e;
	}
	if (err < 0)
		return err;
	r->indexed = true;
	return 0;
}

/* The reader whose index answers lookups in r's image. */
static int lookup_reader(struct page_reader *r, struct page_reader **ret)
{
	int err;

	if (r->top) {
		if (!r->lookup) {
			err = reader_open(r->d, r->id, r->depth, &r->lookup);
			if (err < 0)
				return err;
		}
		r = r->lookup;
	}
	if (!r->indexed) {
		err = r->err ? r->err : build_index(r);
		if (err < 0)
			return err;
	}
	*ret = r;
	return 0;
}

static int parent_reader(struct page_reader *r, struct page_reader **ret)
{
	struct img_dir *pd;
	int err;

	if (!r->parent) {
		if (r->no_parent)
			return -ENOENT;
		if (img_dir_file_exists(r->d, "parent") < 0) {
			r->no_parent = true;
			log_error("%s: pages in the parent image, but %s has no parent", img_name(r->pm),
				  img_dir_path(r->d));
			return -ENOENT;
		}
		err = img_dir_open_parent(r->d, &pd);
		if (err < 0)
			return err;
		err = reader_open(pd, r->id, r->depth + 1, &r->parent);
		if (err < 0) {
			img_dir_close(pd);
			return err;
		}
		r->parent->owned_dir = pd;
	}
	*ret = r->parent;
	return 0;
}

static const struct page_entry *find_entry(const struct page_reader *x, uint64_t vaddr)
{
	size_t lo = 0, hi = x->n_index;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct page_entry *e = &x->index[mid];

		if (vaddr < e->vaddr)
			hi = mid;
		else if (vaddr - e->vaddr >= e->nr_pages * x->page_size)
			lo = mid + 1;
		else
			return e;
	}
	return NULL;
}

static int locate_in(struct page_reader *r, unsigned depth, uint64_t vaddr, uint64_t nr_pages,
		     uint32_t *ret_flags, int *ret_fd, off_t *ret_off, uint64_t *ret_nr_pages)
{
	struct page_reader *x, *p;
	const struct page_entry *e;
	int err;

	if (depth > 64)
		return -ELOOP;
	err = lookup_reader(r, &x);
	if (err < 0)
		return err;
	e = find_entry(x, vaddr);
	if (!e) {
		log_error("%s: page 0x%llx is in no entry (image %s)", img_name(x->pm),
			  (unsigned long long)vaddr, img_dir_path(x->d));
		return -ENOENT;
	}
	if (vaddr % x->page_size)
		return -EINVAL;
	uint64_t skip = (vaddr - e->vaddr) / x->page_size;
	uint64_t n = e->nr_pages - skip;

	if (n > nr_pages)
		n = nr_pages;
	if (e->flags & PE_PRESENT) {
		*ret_flags = PE_PRESENT;
		*ret_fd = x->f[e->file].fd;
		*ret_off = e->pages_off + skip * x->page_size;
	} else if (e->flags & PE_ZERO) {
		*ret_flags = PE_ZERO;
		*ret_fd = -1;
		*ret_off = -1;
	} else if (e->flags & PE_IN_PARENT) {
		err = parent_reader(r, &p);
		if (err < 0)
			return err;
		if (p->page_size != x->page_size) {
			log_error("%s: page size %llu differs from the child's %llu", img_name(p->pm),
				  (unsigned long long)p->page_size, (unsigned long long)x->page_size);
			return -EBADMSG;
		}
		return locate_in(p, depth + 1, vaddr, n, ret_flags, ret_fd, ret_off, ret_nr_pages);
	} else {
		return -ENODATA;	/* lazy: served by the page server */
	}
	*ret_nr_pages = n;
	return 0;
}

int page_reader_locate(struct page_reader *r, uint64_t vaddr, uint64_t nr_pages,
		       uint32_t *ret_flags, int *ret_fd, off_t *ret_off, uint64_t *ret_nr_pages)
{
	if (nr_pages == 0)
		return -EINVAL;
	return locate_in(r, r->depth, vaddr, nr_pages, ret_flags, ret_fd, ret_off, ret_nr_pages);
}

static int read_from_parent(struct page_reader *r, uint64_t vaddr, uint64_t nr_pages, uint8_t *buf)
{
	struct page_reader *p;
	int err = parent_reader(r, &p);

	if (err < 0)
		return err;
	while (nr_pages) {
		uint32_t flags;
		int fd;
		off_t off;
		uint64_t n;

		err = page_reader_locate(p, vaddr, nr_pages, &flags, &fd, &off, &n);
		if (err < 0)
			return err;
		if (flags == PE_ZERO)
			memset(buf, 0, n * r->page_size);
		else if ((err = img_pread_full(fd, buf, n * r->page_size, off)) < 0)
			return log_error_errno(err, "cannot read pages of the parent image at 0x%llx",
					       (unsigned long long)vaddr);
		buf += n * r->page_size;
		vaddr += n * r->page_size;
		nr_pages -= n;
	}
	return 0;
}

int page_reader_read(struct page_reader *r, const struct page_entry *e, void *buf)
{
	uint64_t len;
	int err;

	if (e->nr_pages == 0 || e->nr_pages > UINT64_MAX / r->page_size)
		return -EINVAL;
	len = e->nr_pages * r->page_size;
	if (e->flags & PE_PRESENT) {
		const struct pr_file *f = &r->f[e->file < r->nr_files ? e->file : 0];
		if (e->file >= r->nr_files || e->pages_off < 0 || (uint64_t)e->pages_off > f->size ||
		    len > f->size - e->pages_off) {
			log_error("%s: 0x%llx + %llu pages lie beyond the end of the file", f->name,
				  (unsigned long long)e->vaddr, (unsigned long long)e->nr_pages);
			return -EBADMSG;
		}
		err = img_pread_full(f->fd, buf, len, e->pages_off);
		if (err < 0)
			return log_error_errno(err, "%s: cannot read %llu bytes at %lld", f->name,
					       (unsigned long long)len, (long long)e->pages_off);
		return 0;
	}
	if (e->flags & PE_ZERO) {
		memset(buf, 0, len);
		return 0;
	}
	if (e->flags & PE_IN_PARENT)
		return read_from_parent(r, e->vaddr, e->nr_pages, buf);
	log_error("%s: 0x%llx + %llu pages are lazy: no data in the image", img_name(r->pm),
		  (unsigned long long)e->vaddr, (unsigned long long)e->nr_pages);
	return -ENODATA;
}

void page_reader_close(struct page_reader *r)
{
	if (!r)
		return;
	page_reader_close(r->parent);
	page_reader_close(r->lookup);
	img_close(r->pm);
	for (unsigned k = 0; k < PAGES_MAX_FILES; k++)
		if (r->f[k].fd >= 0)
			close(r->f[k].fd);
	img_dir_close(r->owned_dir);
	free(r->index);
	free(r);
}
