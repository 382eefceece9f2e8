/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The image API on real files: every kind written and read back, modes,
 * staging and commit, page writer/reader with zero, lazy and in-parent pages
 * across a chain of parent images.  Prints PASS or the first failure.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sample.h"
#include "cr/image-internal.h"	/* img_dir_create_raw: a page file by hand */
#include "cr/log.h"
#include "proto/inventory.pb-c.h"
#include "proto/pstree.pb-c.h"
#include "proto/core.pb-c.h"
#include "proto/mm.pb-c.h"
#include "proto/pagemap.pb-c.h"

#define PS 4096u
static char root[256];
static int failures;

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                           \
			fprintf(stderr, "\n");                                  \
			failures++;                                             \
			return -1;                                              \
		}                                                               \
	} while (0)

static char *path_of(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", root, name);
	return buf[i];
}

static int count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)))
			n++;
	closedir(d);
	return n;
}

static int test_read_back(void)
{
	const char *dir = path_of("a");
	struct img_dir *d;
	struct img *img;
	ProtobufCMessage *m;
	int r;

	CHECK(sample_write_image(dir, 1) == 0, "sample write");
	CHECK(img_dir_open_read(dir, &d) == 0, "open");

	CHECK(img_open(d, IMG_INVENTORY, false, &img) == 0, "inventory");
	CHECK(img_read_one(img, &m) == 0, "read inventory");
	InventoryEntry *inv = (InventoryEntry *)m;
	CHECK(inv->format_version == IMG_FORMAT_VERSION && inv->root_pid == SAMPLE_PID, "inventory fields");
	CHECK(inv->arch && inv->kernel_release && inv->cpu && inv->cpu->n_flags > 0, "machine parts");
	CHECK(inv->stats && inv->stats->pages_written == 13, "stats");
	img_free_msg(m);
	CHECK(img_read(img, &m) == 0, "inventory holds one record");
	img_close(img);

	CHECK(img_open(d, IMG_PSTREE, false, &img) == 0, "pstree");
	int n = 0;
	while ((r = img_read(img, &m)) > 0) {
		PstreeEntry *p = (PstreeEntry *)m;
		CHECK(p->pid == (n ? SAMPLE_PID + 10u : SAMPLE_PID), "pid %u", p->pid);
		img_free_msg(m);
		n++;
	}
	CHECK(r == 0 && n == 2, "pstree records r=%d n=%d", r, n);
	img_close(img);

	CHECK(img_open(d, IMG_CORE, false, &img, SAMPLE_PID) == 0, "core");
	CHECK(img_read_one(img, &m) == 0, "thread core");
	ThreadCoreEntry *tc = (ThreadCoreEntry *)m;
	CHECK(tc->gpregs->ax == UINT64_MAX && tc->xsave.len == 576, "regs");
	img_free_msg(m);
	CHECK(img_read_one(img, &m) == 0, "task core");
	CHECK(((TaskCoreEntry *)m)->n_sigactions == 1, "sigactions");
	img_free_msg(m);
	CHECK(img_read(img, &m) == 0, "end of core");
	img_close(img);

	CHECK(img_exists(d, IMG_MM, SAMPLE_PID) == 0, "mm exists");
	CHECK(img_exists(d, IMG_MM, 1) == -ENOENT, "mm-1 does not");
	CHECK(img_open(d, IMG_CORE, false, &img, 1) < 0, "core-1 missing");

	/* Files are 0600 and nothing staged is left over. */
	const char *names[] = { "inventory.img", "pstree.img", "core-4242.img", "core-4243.img",
				"mm-4242.img", "pagemap-4242.img", "pages-4242.img" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct stat st;
		char p[512];

		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		CHECK(stat(p, &st) == 0, "%s exists", p);
		CHECK((st.st_mode & 07777) == 0600, "%s has mode %o", p, st.st_mode & 07777);
	}
	CHECK(count_entries(dir, ".staging-") == 0 && count_entries(dir, ".old-") == 0, "leftovers");
	img_dir_close(d);
	return 0;
}

static int test_wrong_type(void)
{
	struct img_dir *d;
	struct img *img;
	PstreeEntry p = PSTREE_ENTRY__INIT;
	InventoryEntry inv = INVENTORY_ENTRY__INIT;

	CHECK(img_dir_open_write(path_of("wrong"), &d) == 0, "open");
	CHECK(img_open(d, IMG_INVENTORY, true, &img) == 0, "inventory");
	CHECK(img_write(img, &p.base) == -EINVAL, "pstree record in the inventory is refused");
	CHECK(img_write(img, &inv.base) == 0, "inventory record");
	CHECK(img_write(img, &inv.base) < 0, "second inventory record is refused");
	img_close(img);
	CHECK(img_open(d, IMG_INVENTORY, true, &img) == -EEXIST, "a file is written once");
	img_dir_close(d);
	CHECK(count_entries(path_of("wrong"), ".staging-") == 0, "staging removed");
	CHECK(access(path_of("wrong/inventory.img"), F_OK) < 0, "nothing published without commit");
	return 0;
}

static int file_equals(const char *a, const char *b)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", a, b);
	return system(cmd) == 0;
}

static int test_staging(void)
{
	char dir[512];
	struct img_dir *d;
	struct img *img;
	PstreeEntry p = PSTREE_ENTRY__INIT;
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	char cmd[1200];

	snprintf(dir, sizeof(dir), "%s", path_of("a"));
	/* Keep a copy of the committed image to compare with. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'", path_of("a.copy"), dir, path_of("a.copy"));
	CHECK(system(cmd) == 0, "copy");

	/* A dump that fails half-way: close without commit. */
	CHECK(img_dir_open_write(dir, &d) == 0, "open write");
	CHECK(img_open(d, IMG_PSTREE, true, &img) == 0, "pstree");
	p.pid = 1;
	CHECK(img_write(img, &p.base) == 0, "write");
	CHECK(img_close(img) == 0, "close");
	CHECK(img_open(d, IMG_INVENTORY, true, &img) == 0, "inventory");
	CHECK(img_write(img, &inv.base) == 0, "write");
	/* commit refuses while a file is open */
	CHECK(img_dir_commit(d) == -EBUSY, "commit with open files");
	img_close(img);
	img_dir_close(d);
	snprintf(cmd, sizeof(cmd), "diff -r '%s' '%s'", dir, path_of("a.copy"));
	CHECK(system(cmd) == 0, "uncommitted write left the old image intact");

	/* A smaller image replaces it: no file of the old one survives, logs stay. */
	int fd = open(path_of("a/dump.log"), O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0, "log");
	close(fd);
	CHECK(img_dir_open_write(dir, &d) == 0, "open write");
	CHECK(img_open(d, IMG_PSTREE, true, &img) == 0, "pstree");
	CHECK(img_write(img, &p.base) == 0 && img_close(img) == 0, "write");
	CHECK(img_open(d, IMG_INVENTORY, true, &img) == 0, "inventory");
	inv.format_version = IMG_FORMAT_VERSION;
	CHECK(img_write(img, &inv.base) == 0 && img_close(img) == 0, "write");
	CHECK(img_dir_commit(d) == 0, "commit");
	img_dir_close(d);
	CHECK(access(path_of("a/core-4242.img"), F_OK) < 0, "old core file removed");
	CHECK(access(path_of("a/pages-4242.img"), F_OK) < 0, "old pages removed");
	CHECK(access(path_of("a/dump.log"), F_OK) == 0, "non-image file kept");
	CHECK(!file_equals(path_of("a/pstree.img"), path_of("a.copy/pstree.img")), "new pstree");
	CHECK(count_entries(dir, ".staging-") == 0 && count_entries(dir, ".old-") == 0, "leftovers");
	return 0;
}

/* Read every entry of pagemap SAMPLE_PID in dir and compare with expect(n). */
typedef int (*expect_fn)(uint64_t n);	/* -1: lazy, 0: zero, else gen of the data */

static int check_pages(const char *dir, expect_fn expect)
{
	static uint8_t buf[16 * PS];
	struct img_dir *d;
	struct page_reader *r;
	struct page_entry e;
	uint64_t seen = 0;
	int ret;

	CHECK(img_dir_open_read(dir, &d) == 0, "open %s", dir);
	CHECK(page_reader_open(d, SAMPLE_PID, &r) == 0, "page reader");
	while ((ret = page_reader_next(r, &e)) > 0) {
		uint64_t first = (e.vaddr - SAMPLE_BASE) / PS;
		int rr = page_reader_read(r, &e, buf);

		if (expect(first) == -1) {
			CHECK(rr == -ENODATA, "lazy page %llu: %d", (unsigned long long)first, rr);
			seen += e.nr_pages;
			continue;
		}
		CHECK(rr == 0, "read %llu: %d", (unsigned long long)first, rr);
		for (uint64_t n = 0; n < e.nr_pages; n++) {
			int gen = expect(first + n);
			for (uint64_t i = 0; i < PS; i++) {
				uint8_t want = gen ? sample_byte(gen, first + n, i) : 0;
				CHECK(buf[n * PS + i] == want, "%s page %llu byte %llu: %u != %u", dir,
				      (unsigned long long)(first + n), (unsigned long long)i, buf[n * PS + i], want);
			}
		}
		seen += e.nr_pages;
	}
	CHECK(ret == 0 && seen == 16, "entries r=%d pages=%llu", ret, (unsigned long long)seen);
	page_reader_close(r);
	img_dir_close(d);
	return 0;
}

static int expect_a(uint64_t n) { return n == 8 ? -1 : (n == 4 || n == 5) ? 0 : 1; }
static int expect_b(uint64_t n) { return n >= 4 && n <= 8 ? 2 : expect_a(n); }
static int expect_c(uint64_t n) { return n == 9 ? 3 : expect_b(n); }

/* Write pages of gen at [from, to) as data, the rest of the 16 as in-parent. */
static int write_child(const char *name, const char *parent, unsigned gen, uint64_t from, uint64_t to)
{
	static uint8_t buf[16 * PS];
	struct img_dir *d;
	struct page_writer *w;

	for (uint64_t n = 0; n < 16; n++)
		for (uint64_t i = 0; i < PS; i++)
			buf[n * PS + i] = sample_byte(gen, n, i);
	CHECK(img_dir_open_write(path_of(name), &d) == 0, "open");
	CHECK(img_dir_set_parent(d, parent) == 0, "parent");
	CHECK(page_writer_open(d, SAMPLE_PID, &w) == 0, "writer");
	if (from > 0)
		CHECK(page_writer_add_hole(w, SAMPLE_BASE, from, PE_IN_PARENT) == 0, "hole");
	/* half through the buffer, half through the raw fd */
	CHECK(page_writer_add_data(w, SAMPLE_BASE + from * PS, buf + from * PS, 1) == 0, "data");
	if (to - from > 1) {
		off_t off;
		int fd = page_writer_pages_fd(w, &off);
		CHECK(fd >= 0 && off == (off_t)PS, "pages fd %d off %lld", fd, (long long)off);
		CHECK(write(fd, buf + (from + 1) * PS, (to - from - 1) * PS) == (ssize_t)((to - from - 1) * PS), "write");
		CHECK(page_writer_account(w, SAMPLE_BASE + (from + 1) * PS, to - from - 1) == 0, "account");
	}
	CHECK(page_writer_add_hole(w, SAMPLE_BASE + to * PS, 16 - to, PE_IN_PARENT) == 0, "hole");
	CHECK(page_writer_add_data(w, SAMPLE_BASE, buf, 1) == -EINVAL, "going backwards is refused");
	CHECK(page_writer_add_hole(w, SAMPLE_BASE + 32 * PS, 1, PE_ZERO | PE_LAZY) == -EINVAL, "mixed hole");
	CHECK(page_writer_close(w) == 0, "close");
	CHECK(img_dir_commit(d) == 0, "commit");
	img_dir_close(d);
	return 0;
}

static int test_pages(void)
{
	struct img_dir *d;
	struct page_reader *r;
	uint32_t flags;
	int fd;
	off_t off;
	uint64_t n;

	CHECK(sample_write_image(path_of("a"), 1) == 0, "image a");
	CHECK(check_pages(path_of("a"), expect_a) == 0, "a");
	CHECK(write_child("b", "../a", 2, 4, 9) == 0, "image b");
	CHECK(write_child("c", "../b", 3, 9, 10) == 0, "image c");
	CHECK(check_pages(path_of("b"), expect_b) == 0, "b");
	CHECK(check_pages(path_of("c"), expect_c) == 0, "c");

	/* locate: where the pages of c really are */
	CHECK(img_dir_open_read(path_of("c"), &d) == 0, "open c");
	CHECK(page_reader_open(d, SAMPLE_PID, &r) == 0, "reader");
	CHECK(page_reader_locate(r, SAMPLE_BASE, 16, &flags, &fd, &off, &n) == 0, "locate 0");
	CHECK(flags == PE_PRESENT && n == 4 && off == 0, "page 0 in a: flags %u n %llu off %lld", flags,
	      (unsigned long long)n, (long long)off);
	CHECK(page_reader_locate(r, SAMPLE_BASE + 5 * PS, 16, &flags, &fd, &off, &n) == 0, "locate 5");
	CHECK(flags == PE_PRESENT && n == 4 && off == PS, "page 5 in b: n %llu off %lld", (unsigned long long)n,
	      (long long)off);
	CHECK(page_reader_locate(r, SAMPLE_BASE + 9 * PS, 16, &flags, &fd, &off, &n) == 0, "locate 9");
	CHECK(flags == PE_PRESENT && n == 1 && off == 0, "page 9 in c");
	CHECK(page_reader_locate(r, SAMPLE_BASE + 64 * PS, 1, &flags, &fd, &off, &n) == -ENOENT, "unmapped");
	page_reader_close(r);
	img_dir_close(d);

	/* a chain that loops, and a missing parent: errors, not crashes */
	CHECK(write_child("loop", ".", 4, 0, 1) == 0, "image loop");
	CHECK(img_dir_open_read(path_of("loop"), &d) == 0, "open loop");
	CHECK(page_reader_open(d, SAMPLE_PID, &r) == 0, "reader");
	CHECK(page_reader_locate(r, SAMPLE_BASE + 3 * PS, 1, &flags, &fd, &off, &n) < 0, "loop detected");
	page_reader_close(r);
	img_dir_close(d);
	CHECK(write_child("orphan", "../does-not-exist", 4, 0, 1) == 0, "image orphan");
	CHECK(img_dir_open_read(path_of("orphan"), &d) == 0, "open orphan");
	CHECK(page_reader_open(d, SAMPLE_PID, &r) == 0, "reader");
	CHECK(page_reader_locate(r, SAMPLE_BASE + 3 * PS, 1, &flags, &fd, &off, &n) < 0, "missing parent");
	page_reader_close(r);
	img_dir_close(d);
	return 0;
}

/* Two page files: file 0 written through the buffer, file 1 by "another
 * writer" at its fd; entries interleave in address order. */
static int write_two_files(const char *name, bool bad_file_index)
{
	uint8_t buf[4 * PS];
	struct img_dir *d;
	struct page_writer *w;
	uint32_t part = PAGES_PART_ID_BASE + SAMPLE_PID;
	off_t off;
	int fd;

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i / PS + 1);
	CHECK(img_dir_open_write(path_of(name), &d) == 0, "open %s", name);
	if (bad_file_index) {
		/* A record naming a page file the head does not list. */
		PagemapHead head = PAGEMAP_HEAD__INIT;
		PagemapEntry pe = PAGEMAP_ENTRY__INIT;
		char pages[64];
		struct img *img;
		for (unsigned k = 0; k < 2; k++) {
			snprintf(pages, sizeof(pages), IMG_PAGES_TMPL, k ? part : SAMPLE_PID);
			fd = img_dir_create_raw(d, pages);
			CHECK(fd >= 0 && write(fd, buf, PS) == PS && close(fd) == 0, "%s", pages);
		}
		CHECK(img_open(d, IMG_PAGEMAP, true, &img, SAMPLE_PID) == 0, "pagemap");
		head.pages_id = SAMPLE_PID;
		head.n_more_pages_ids = 1;
		head.more_pages_ids = &part;
		CHECK(img_write(img, &head.base) == 0, "head");
		pe.vaddr = SAMPLE_BASE;
		pe.nr_pages = 1;
		pe.flags = PE_PRESENT;
		pe.has_file = true;
		pe.file = 3;
		CHECK(img_write(img, &pe.base) == 0, "entry");
		CHECK(img_close(img) == 0, "close pagemap");
	} else {
		CHECK(page_writer_open_files(d, SAMPLE_PID, &part, 1, &w) == 0, "writer");
		CHECK(page_writer_nr_files(w) == 2, "two files");
		CHECK(page_writer_add_data(w, SAMPLE_BASE, buf, 1) == 0, "page 0 to file 0");
		fd = page_writer_file_fd(w, 1, &off);
		CHECK(fd >= 0 && off == 0, "file 1 fd");
		CHECK(write(fd, buf + PS, 2 * PS) == 2 * PS, "write file 1");
		CHECK(page_writer_account_in(w, 1, SAMPLE_BASE + PS, 2) == 0, "pages 1-2 in file 1");
		CHECK(page_writer_add_hole(w, SAMPLE_BASE + 3 * PS, 1, PE_ZERO) == 0, "page 3 zero");
		CHECK(page_writer_add_data(w, SAMPLE_BASE + 4 * PS, buf + 3 * PS, 1) == 0, "page 4 to file 0");
		CHECK(page_writer_account_in(w, 2, SAMPLE_BASE + 5 * PS, 1) == -EINVAL, "no file 2");
		CHECK(page_writer_file_fd(w, 2, &off) == -EINVAL, "no fd of file 2");
		CHECK(page_writer_close(w) == 0, "close");
	}
	CHECK(img_dir_commit(d) == 0, "commit");
	img_dir_close(d);
	return 0;
}

static int test_two_files(void)
{
	static const struct { uint64_t page; unsigned file; off_t off; uint32_t flags; } want[] = {
		{ 0, 0, 0, PE_PRESENT }, { 1, 1, 0, PE_PRESENT }, { 3, 0, -1, PE_ZERO }, { 4, 0, PS, PE_PRESENT },
	};
	uint8_t buf[2 * PS];
	struct img_dir *d;
	struct page_reader *r;
	struct page_entry e;
	char second[64];
	uint32_t flags;
	int fd, ret;
	off_t off;
	uint64_t n;
	unsigned i = 0;

	CHECK(write_two_files("two", false) == 0, "image two");
	CHECK(img_dir_open_read(path_of("two"), &d) == 0, "open two");
	CHECK(page_reader_open(d, SAMPLE_PID, &r) == 0, "reader");
	CHECK(page_reader_nr_files(r) == 2 && page_reader_file_fd(r, 1) >= 0 && page_reader_file_fd(r, 2) < 0,
	      "files");
	while ((ret = page_reader_next(r, &e)) > 0) {
		CHECK(i < 4, "more entries than written");
		CHECK(e.vaddr == SAMPLE_BASE + want[i].page * PS && e.file == want[i].file &&
		      e.pages_off == want[i].off && e.flags == want[i].flags,
		      "entry %u: page %llu file %u off %lld flags %u", i,
		      (unsigned long long)((e.vaddr - SAMPLE_BASE) / PS), e.file, (long long)e.pages_off, e.flags);
		CHECK(e.nr_pages <= 2 && page_reader_read(r, &e, buf) == 0, "read entry %u", i);
		for (uint64_t k = 0; k < e.nr_pages; k++) {
			uint64_t page = want[i].page + k;
			uint8_t v = e.flags == PE_ZERO ? 0 : page == 4 ? 4 : (uint8_t)(page + 1);
			CHECK(buf[k * PS] == v && buf[k * PS + PS - 1] == v, "page %llu holds %u, not %u",
			      (unsigned long long)page, buf[k * PS], v);
		}
		i++;
	}
	CHECK(ret == 0 && i == 4, "%u entries, end %d", i, ret);
	page_reader_close(r);
	CHECK(page_reader_open(d, SAMPLE_PID, &r) == 0, "reader");
	CHECK(page_reader_locate(r, SAMPLE_BASE + 2 * PS, 1, &flags, &fd, &off, &n) == 0, "locate 2");
	CHECK(flags == PE_PRESENT && off == PS && n == 1, "page 2: flags %u off %lld n %llu", flags, (long long)off,
	      (unsigned long long)n);
	CHECK(pread(fd, buf, PS, off) == PS && buf[0] == 3 && buf[PS - 1] == 3, "page 2 is read from file 1");
	page_reader_close(r);
	img_dir_close(d);

	/* The second file shorter than its entries say, or gone: named errors. */
	snprintf(second, sizeof(second), "two/pages-%u.img", PAGES_PART_ID_BASE + SAMPLE_PID);
	CHECK(truncate(path_of(second), PS) == 0, "truncate");
	CHECK(img_dir_open_read(path_of("two"), &d) == 0, "open two");
	CHECK(page_reader_open(d, SAMPLE_PID, &r) == 0, "reader");
	CHECK(page_reader_next(r, &e) == 1, "entry 0 is fine");
	CHECK(page_reader_next(r, &e) == -EBADMSG, "entry 1 lies beyond the short second file");
	page_reader_close(r);
	CHECK(unlink(path_of(second)) == 0, "unlink");
	CHECK(page_reader_open(d, SAMPLE_PID, &r) < 0, "the missing second file is an error");
	img_dir_close(d);

	CHECK(write_two_files("badfile", true) == 0, "image badfile");
	CHECK(img_dir_open_read(path_of("badfile"), &d) == 0, "open badfile");
	CHECK(page_reader_open(d, SAMPLE_PID, &r) == 0, "reader");
	CHECK(page_reader_next(r, &e) == -EBADMSG, "page file 3 of 2 is refused");
	page_reader_close(r);
	img_dir_close(d);
	return 0;
}

int main(void)
{
	char tmpl[] = "/tmp/cryo-image-api-XXXXXX";
	char cmd[300];

	/* Expected errors would be noise (results are checked); IMG_TEST_VERBOSE=1 shows them. */
	log_set_level(getenv("IMG_TEST_VERBOSE") ? LOG_LVL_DEBUG : LOG_LVL_NONE);
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(root, sizeof(root), "%s", tmpl);
	test_read_back();
	test_wrong_type();
	test_staging();
	test_pages();
	test_two_files();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: cannot remove %s\n", root);
	if (failures) {
		printf("FAIL (%d)\n", failures);
		return 1;
	}
	printf("PASS\n");
	return 0;
}
