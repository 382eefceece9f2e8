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
#include "sample.h"
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
