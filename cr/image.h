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

/* The file header: magic, then (major << 16 | minor).  Readers reject a newer
 * major; a newer minor only adds optional fields, which protobuf skips. */
#define IMG_FORMAT_MAJOR	1u
#define IMG_FORMAT_MINOR	0u
#define IMG_FORMAT_VERSION	((IMG_FORMAT_MAJOR << 16) | IMG_FORMAT_MINOR)
/* No record may be longer (the 4 GiB a u32 allows would be an easy DoS). */
#define IMG_MAX_RECORD		(256u << 20)

/* One line per kind in the table in image-kinds.c: name template, magic, message type. */
enum img_kind {
	IMG_INVENTORY,	/* inventory.img: inventory_entry */
	IMG_PSTREE,	/* pstree.img: pstree_entry per process */
	IMG_CORE,	/* core-%d.img (tid): thread_core_entry, then task_core_entry for a main thread */
	IMG_MM,		/* mm-%d.img (pid): mm_entry */
	IMG_PAGEMAP,	/* pagemap-%u.img (id): pagemap_head, then pagemap_entry* */
	IMG_TASKSTATE,	/* taskstate-%d.img (pid): task_state_entry */
	IMG_FDS,	/* fds-%d.img (pid): fd_entry per fd */
	IMG_FILES,	/* files.img: file_entry per open file description */
	IMG_MOUNTS,	/* mounts-%u.img (ns id): mnt_ns_entry, then mnt_entry* */
	IMG_TMPFS,	/* tmpfs-%u.img (mnt id): tmpfs_head, then tmpfs_file_entry* */
	IMG_NETNS,	/* netns-%u.img (ns id): net_ns_entry, then net_item* */
	IMG_CGROUP,	/* cgroup.img: cgroup_head, then cgroup_item* */
	IMG_NS_IDS,	/* ns-ids.img: ns_ids_entry per task */
	IMG_UTSNS,	/* utsns-%u.img (ns inode): uts_ns_entry */
	IMG_IPCNS,	/* ipcns-%u.img (ns inode): ipc_ns_entry */
	IMG_TIMENS,	/* timens-%u.img (ns inode): time_ns_entry */
	IMG_USERNS,	/* userns-%u.img (ns inode): user_ns_entry */
	IMG_CGROUPNS,	/* cgroupns-%u.img (ns inode): cgroup_ns_entry */
	IMG_KIND_MAX
};

/* One line of the kind table. */
struct img_kind_info {
	enum img_kind kind;
	const char *name;		/* short name: "core" */
	const char *tmpl;		/* file name template: "core-%d.img" */
	uint32_t magic;			/* unique per kind */
	const ProtobufCMessageDescriptor *first;	/* type of record 0 */
	const ProtobufCMessageDescriptor *rest;		/* type of records 1.. (NULL: none) */
	unsigned max_records;		/* 0: unlimited */
};

const struct img_kind_info *img_kind_info(enum img_kind kind);
const struct img_kind_info *img_kind_by_magic(uint32_t magic);
const struct img_kind_info *img_kind_by_short_name(const char *name);
/* Recognise a file name ("core-42.img", "pagemap-1.img"): NULL if no template matches. */
const struct img_kind_info *img_kind_by_file_name(const char *file_name);
/* The descriptor of record number idx of a kind (NULL if the kind has no such record). */
const ProtobufCMessageDescriptor *img_kind_record_desc(const struct img_kind_info *k, unsigned idx);
/* Raw page files ("pages-ID.img") carry no header and are described by pagemaps. */
#define IMG_PAGES_TMPL		"pages-%u.img"
bool img_is_pages_file_name(const char *file_name);

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
/* Write dirs: the staging directory fd (files land there until commit). */
int img_dir_staging_fd(const struct img_dir *d);
/* Write dirs: make 'parent' a symlink to target (relative to the image dir,
 * CRIU's convention, e.g. "../pre1"); PE_IN_PARENT pages are looked up there. */
int img_dir_set_parent(struct img_dir *d, const char *target);
/* Open the parent image of d (-ENOENT if it has none). */
int img_dir_open_parent(struct img_dir *d, struct img_dir **ret);
/* Open an image file of any kind by path or fd, outside of a directory (cryo-image,
 * fuzzer): the kind is recognised from the magic number.  Takes ownership of fd. */
int img_open_path(const char *path, struct img **ret);
int img_open_fd(int fd, const char *name, struct img **ret);
const struct img_kind_info *img_kind(const struct img *img);
uint32_t img_version(const struct img *img);
/* Number of records read or written so far. */
unsigned img_records(const struct img *img);
/* The raw bytes of the last record img_read() returned (valid until the next read). */
const uint8_t *img_last_record(const struct img *img, size_t *ret_len);
/* Write a file of any kind with an explicit header version (cryo-image encode). */
int img_create_path(const char *path, const struct img_kind_info *k, uint32_t version, struct img **ret);
/* Append an already packed record (cryo-image encode of non-canonical records). */
int img_write_raw(struct img *img, const uint8_t *buf, size_t len);

/* Open one structured file of a kind; the varargs fill the kind's name template.
 * Reading a file that does not exist returns -ENOENT without an error log (it may
 * be optional: the caller decides); every other failure is logged. */
int img_open(struct img_dir *d, enum img_kind kind, bool write, struct img **ret, ...);
/* Open a file by its name in d: the kind comes from the name's template (and must
 * match the magic when reading). */
int img_open_name(struct img_dir *d, const char *name, bool write, struct img **ret);
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
/* Cleanup helpers: _cleanup_(img_closep) struct img *img = NULL; */
static inline void img_closep(struct img **img)
{
	if (*img)
		img_close(*img);
}
static inline void img_dir_closep(struct img_dir **d)
{
	if (*d)
		img_dir_close(*d);
}

/* ---- pages ----------------------------------------------------------- */

#define PE_PRESENT	1u
#define PE_ZERO		2u
#define PE_LAZY		4u
#define PE_IN_PARENT	8u

/* Page files one pagemap may have (pagemap_head.more_pages_ids + 1). */
#define PAGES_MAX_FILES 4
/* ID of the second page file of process PID's pages (written in parallel). */
#define PAGES_PART_ID_BASE 0x20000000u

struct page_writer;
/* Start pagemap-ID.img + pages-ID.img. */
int page_writer_open(struct img_dir *d, unsigned id, struct page_writer **ret);
/* The same with n_more more page files, pages-<more_ids[i]>.img (file i + 1). */
int page_writer_open_files(struct img_dir *d, unsigned id, const uint32_t *more_ids, unsigned n_more,
			   struct page_writer **ret);
unsigned page_writer_nr_files(const struct page_writer *w);
/* Append nr_pages of data for vaddr (sequential large writes; vaddrs must increase). */
int page_writer_add_data(struct page_writer *w, uint64_t vaddr, const void *buf, uint64_t nr_pages);
/* Record pages that carry no data here: PE_ZERO, PE_LAZY or PE_IN_PARENT. */
int page_writer_add_hole(struct page_writer *w, uint64_t vaddr, uint64_t nr_pages, uint32_t flags);
/* The raw page file fd and current offset, for writers that fill it themselves
 * (process_vm_readv into a buffer, or a parasite writing to a passed fd): write
 * at the fd's file position (write/writev/splice), then call
 * page_writer_account(), which checks the file grew by exactly that much. */
int page_writer_pages_fd(struct page_writer *w, off_t *ret_offset);
int page_writer_account(struct page_writer *w, uint64_t vaddr, uint64_t nr_pages);
/* The same for page file 'file' (0: pages-ID.img).  Entries must still come
 * in address order whatever their file. */
int page_writer_file_fd(struct page_writer *w, unsigned file, off_t *ret_offset);
int page_writer_account_in(struct page_writer *w, unsigned file, uint64_t vaddr, uint64_t nr_pages);
/* The same for data written at file offset off with pwrite (the fd's position
 * is not looked at): off must be where the file's data ends so far. */
int page_writer_account_at(struct page_writer *w, unsigned file, off_t off, uint64_t vaddr, uint64_t nr_pages);
int page_writer_close(struct page_writer *w);

struct page_entry {
	uint64_t vaddr;
	uint64_t nr_pages;
	uint32_t flags;
	unsigned file;		/* which page file holds the data (0: pages-ID.img) */
	off_t pages_off;	/* offset of the data in that page file (PE_PRESENT only) */
};

struct page_reader;
/* -ENOENT, not logged, when there is no pagemap-ID.img (like img_open). */
int page_reader_open(struct img_dir *d, unsigned id, struct page_reader **ret);
/* Next entry: 1 and *e set, 0 at the end, < 0 on a corrupt pagemap (logged). */
int page_reader_next(struct page_reader *r, struct page_entry *e);
/* The raw page file, for large preadv() straight into place (e.g. by the restorer). */
int page_reader_pages_fd(struct page_reader *r);
/* How many page files the pagemap has, and the fd of one (owned by the reader). */
unsigned page_reader_nr_files(const struct page_reader *r);
int page_reader_file_fd(struct page_reader *r, unsigned file);
/* Read the data of an entry into buf (nr_pages * page size bytes): PE_PRESENT from
 * the page file (checked against its size), PE_ZERO as zeroes, PE_IN_PARENT from
 * the chain of parent images; -ENODATA for PE_LAZY pages. */
int page_reader_read(struct page_reader *r, const struct page_entry *e, void *buf);
void page_reader_close(struct page_reader *r);
/* Page size of the pagemap (bytes per page). */
uint64_t page_reader_page_size(const struct page_reader *r);
/*
 * Where the data of the pages at vaddr really is, following PE_IN_PARENT
 * through the chain of parent images: *ret_flags is PE_PRESENT (data at
 * *ret_fd / *ret_off, fd owned by the reader) or PE_ZERO, *ret_nr_pages how many
 * of the nr_pages from vaddr on share that answer (>= 1).  -ENOENT if no image
 * of the chain has the page, -ENODATA for PE_LAZY pages.
 */
int page_reader_locate(struct page_reader *r, uint64_t vaddr, uint64_t nr_pages,
		       uint32_t *ret_flags, int *ret_fd, off_t *ret_off, uint64_t *ret_nr_pages);

/* ---- inventory -------------------------------------------------------- */

struct InventoryEntry;
/* Init inv and fill format and tool version, dump time and the machine parts:
 * uname release and arch, hostname, CPU vendor/model/flags and xsave features.
 * Strings and sub-messages are malloc'ed: release with img_inventory_clear(),
 * which also free()s stats, parent and dumped[] - set those to NULL first if
 * they are not malloc'ed. */
int img_inventory_init(struct InventoryEntry *inv);
void img_inventory_clear(struct InventoryEntry *inv);

#endif
