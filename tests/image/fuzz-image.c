/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the image readers.  Input: one mode byte, then
 *   mode & 3 == 0: an image file of any kind: img_open_fd + img_read of every
 *              record, each one also turned into JSON (what cryo-image decode does);
 *   mode & 3 == 2: JSON as cryo-image encode reads it: {"kind", "records"}, every
 *              record packed as its type;
 *   mode odd:  u16 length, the child's pagemap-1.img, then the parent's
 *              pagemap-1.img; page files of (mode >> 1) & 7 and (mode >> 4)
 *              pages: every entry read, including in-parent ones.
 * Built and run by fuzz.sh with clang -fsanitize=fuzzer,address (with the real log engine).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cr/image.h"
#include "cr/image-json.h"
#include "cr/log.h"

static char child_dir[128], parent_dir[128];

static void put_file(const char *dir, const char *name, const uint8_t *data, size_t len, size_t size)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (len && write(fd, data, len) != (ssize_t)len)
		abort();
	if (size > len && ftruncate(fd, size) < 0)
		abort();
	close(fd);
}

/* Every record is formatted (the arguments are exercised) and dropped, so the
 * millions of expected errors cost no I/O; FUZZ_IMAGE_VERBOSE=1 prints them. */
static void drop_log(enum log_level level, const char *line, void *userdata)
{
	(void)level;
	if (userdata)
		fprintf(stderr, "%s\n", line);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[200], path[256];

	(void)argc;
	(void)argv;
	snprintf(tmpl, sizeof(tmpl), "%s/cryo-fuzz-image-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl))
		abort();
	log_set_level(LOG_LVL_DEBUG);
	log_set_sink(drop_log, getenv("FUZZ_IMAGE_VERBOSE"));
	snprintf(parent_dir, sizeof(parent_dir), "%s/parent-img", tmpl);
	snprintf(child_dir, sizeof(child_dir), "%s/child-img", tmpl);
	if (mkdir(parent_dir, 0700) < 0 || mkdir(child_dir, 0700) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/parent", child_dir);
	if (symlink("../parent-img", path) < 0)
		abort();
	/* The parent's parent is itself: a loop the reader must stop. */
	snprintf(path, sizeof(path), "%s/parent", parent_dir);
	if (symlink(".", path) < 0)
		abort();
	return 0;
}

static void fuzz_file(const uint8_t *data, size_t len)
{
	int fd = memfd_create("fuzz.img", MFD_CLOEXEC);
	struct img *img;
	ProtobufCMessage *m;

	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len))
		abort();
	if (img_open_fd(fd, "fuzz.img", &img) < 0)
		return;
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_gen_array_open(g);
	while (img_read(img, &m) > 0) {
		size_t rlen;
		const uint8_t *raw = img_last_record(img, &rlen);

		img_json_gen_record(g, m, raw, rlen);
		img_free_msg(m);
	}
	yajl_gen_free(g);
	img_close(img);
}

static void fuzz_pages(uint8_t mode, const uint8_t *data, size_t len)
{
	static uint8_t buf[16 * 4096];
	struct img_dir *d;
	struct page_reader *r;
	struct page_entry e;
	size_t l1;

	if (len < 2)
		return;
	l1 = data[0] | data[1] << 8;
	data += 2;
	len -= 2;
	if (l1 > len)
		l1 = len;
	put_file(child_dir, "pagemap-1.img", data, l1, 0);
	put_file(child_dir, "pages-1.img", NULL, 0, ((mode >> 1) & 7) * 4096);
	put_file(parent_dir, "pagemap-1.img", data + l1, len - l1, 0);
	put_file(parent_dir, "pages-1.img", NULL, 0, (mode >> 4) * 4096);
	if (img_dir_open_read(child_dir, &d) < 0)
		abort();
	if (page_reader_open(d, 1, &r) == 0) {
		while (page_reader_next(r, &e) > 0) {
			uint32_t flags;
			int fd;
			off_t off;
			uint64_t n;

			if (e.nr_pages <= sizeof(buf) / page_reader_page_size(r))
				page_reader_read(r, &e, buf);
			page_reader_locate(r, e.vaddr, e.nr_pages, &flags, &fd, &off, &n);
		}
		page_reader_close(r);
	}
	img_dir_close(d);
}

static void fuzz_json(const uint8_t *data, size_t len)
{
	char *text = strndup((const char *)data, len);
	const char *kp[] = { "kind", NULL }, *rp[] = { "records", NULL };
	char err[256];

	if (!text)
		abort();
	yajl_val v = yajl_tree_parse(text, NULL, 0);
	free(text);
	yajl_val kind = yajl_tree_get(v, kp, yajl_t_string);
	yajl_val recs = yajl_tree_get(v, rp, yajl_t_array);
	const struct img_kind_info *k = kind ? img_kind_by_short_name(kind->u.string) : NULL;

	for (size_t i = 0; k && recs && i < recs->u.array.len; i++) {
		const ProtobufCMessageDescriptor *desc = img_kind_record_desc(k, i);
		uint8_t *buf;
		size_t blen;

		if (!desc)
			break;
		if (img_json_pack_record(desc, recs->u.array.values[i], &buf, &blen, err, sizeof(err)) == 0)
			free(buf);
	}
	yajl_tree_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len < 1)
		return 0;
	if (data[0] & 1)
		fuzz_pages(data[0], data + 1, len - 1);
	else if (data[0] & 2)
		fuzz_json(data + 1, len - 1);
	else
		fuzz_file(data + 1, len - 1);
	return 0;
}
