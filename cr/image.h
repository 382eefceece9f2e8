/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The typed image API.  An image directory holds an inventory and per-kind
 * files; every structured file is
 *
 *     magic (u32) | version (u32) | { length (u32) | protobuf message }*
 *
 * and page data lives in raw page files described by pagemap records.
 * Images are input from outside: every reader checks magic, version and
 * each length, and fails with an error naming the file and the record.
 *
 * Writing is staged: files are created (0600) under a staging name and
 * only img_dir_commit() moves them into place, so a failed dump never
 * leaves a half-overwritten image directory.
 */
#ifndef CRYO_IMAGE_H
#define CRYO_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <protobuf-c/protobuf-c.h>

/* One line per kind in the table in image-kinds.c: name template, magic, message type. */
enum img_kind {
	IMG_INVENTORY,	/* inventory.img: inventory_entry */
	IMG_PSTREE,	/* pstree.img: pstree_entry per process */
	IMG_CORE,	/* core-%d.img (tid): thread_core_entry, then task_core_entry for a main thread */
	IMG_MM,		/* mm-%d.img (pid): mm_entry */
	IMG_PAGEMAP,	/* pagemap-%d.img (id): pagemap_head, then pagemap_entry* */
	IMG_KIND_MAX
};

struct img_dir;	/* an image directory open for reading or for writing */
struct img;	/* one structured image file */

/* Open an existing image directory for reading. */
int img_dir_open_read(const char *path, struct img_dir **ret);
/* Open (create if needed) an image directory for writing; files are staged until commit. */
int img_dir_open_write(const char *path, struct img_dir **ret);
/* Atomically publish every staged file (inventory last). */
int img_dir_commit(struct img_dir *d);
/* Close; a write directory that was not committed has its staged files removed. */
void img_dir_close(struct img_dir *d);
int img_dir_fd(const struct img_dir *d);
const char *img_dir_path(const struct img_dir *d);

/* Open one structured file of a kind; the varargs fill the kind's name template. */
int img_open(struct img_dir *d, enum img_kind kind, bool write, struct img **ret, ...);
/* 0 if the file exists, -ENOENT if not (used for optional kinds). */
int img_exists(struct img_dir *d, enum img_kind kind, ...);
/* Append one message of the kind's type. */
int img_write(struct img *img, const ProtobufCMessage *msg);
/* Read the next message: 1 and *ret set, 0 at clean end of file, < 0 on error (logged). */
int img_read(struct img *img, ProtobufCMessage **ret);
/* Read a message that must be there (0 at EOF becomes -EBADMSG, logged). */
int img_read_one(struct img *img, ProtobufCMessage **ret);
void img_free_msg(ProtobufCMessage *msg);
/* Close; write errors surface here.  Staged files stay staged until img_dir_commit. */
int img_close(struct img *img);
const char *img_name(const struct img *img);

/* ---- pages ----------------------------------------------------------- */

#define PE_PRESENT	1u
#define PE_ZERO		2u
#define PE_LAZY		4u
#define PE_IN_PARENT	8u

struct page_writer;
/* Start pagemap-ID.img + pages-ID.img. */
int page_writer_open(struct img_dir *d, unsigned id, struct page_writer **ret);
/* Append nr_pages of data for vaddr (sequential large writes; vaddrs must increase). */
int page_writer_add_data(struct page_writer *w, uint64_t vaddr, const void *buf, uint64_t nr_pages);
/* Record pages that carry no data here: PE_ZERO, PE_LAZY or PE_IN_PARENT. */
int page_writer_add_hole(struct page_writer *w, uint64_t vaddr, uint64_t nr_pages, uint32_t flags);
/* The raw page file fd and current offset, for writers that fill it themselves
 * (process_vm_readv into a buffer, or a parasite writing to a passed fd);
 * then call page_writer_account() to record the entry. */
int page_writer_pages_fd(struct page_writer *w, off_t *ret_offset);
int page_writer_account(struct page_writer *w, uint64_t vaddr, uint64_t nr_pages);
int page_writer_close(struct page_writer *w);

struct page_entry {
	uint64_t vaddr;
	uint64_t nr_pages;
	uint32_t flags;
	off_t pages_off;	/* offset of the data in the page file (PE_PRESENT only) */
};

struct page_reader;
int page_reader_open(struct img_dir *d, unsigned id, struct page_reader **ret);
/* Next entry: 1 and *e set, 0 at the end, < 0 on a corrupt pagemap (logged). */
int page_reader_next(struct page_reader *r, struct page_entry *e);
/* The raw page file, for large preadv() straight into place (e.g. by the restorer). */
int page_reader_pages_fd(struct page_reader *r);
/* Read the data of a PE_PRESENT entry (checked against the page file size). */
int page_reader_read(struct page_reader *r, const struct page_entry *e, void *buf);
void page_reader_close(struct page_reader *r);

#endif
