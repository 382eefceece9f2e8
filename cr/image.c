/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Structured image files: magic | version | { u32 length | protobuf }*,
 * all little endian.  Readers trust nothing: every length is checked against
 * IMG_MAX_RECORD and the bytes left in the file, every record must unpack as
 * the type the kind table gives for its index, and the error names the file
 * and the record.
 */
#include <endian.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include "image.h"
#include "image-internal.h"
#include "log.h"

#define IMG_WBUF_SIZE	(256u << 10)

struct img {
	struct img_dir *dir;		/* NULL when opened by path or fd */
	const struct img_kind_info *kind;
	char *name;			/* for messages: the file name (or path) */
	int fd;
	bool write;
	int err;			/* sticky: once broken, always broken */
	uint32_t version;
	unsigned nr;			/* records read or written */
	uint64_t pos, size;		/* read: offset of the next record, file size */
	uint8_t *buf;			/* read: the last record; write: pending bytes */
	size_t len, cap;
	uint8_t *ra;			/* read-ahead: file bytes [ra_off, ra_off + ra_len) */
	uint64_t ra_off;
	size_t ra_len;
};

#define IMG_READ_AHEAD	(64u << 10)

/* ---- small I/O helpers ------------------------------------------------ */

int img_write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

/* Read exactly len bytes at off: 0, -EIO at a short read, or -errno. */
int img_pread_full(int fd, void *buf, size_t len, off_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

static int grow(struct img *img, size_t need)
{
	if (need <= img->cap)
		return 0;
	size_t cap = img->cap ? img->cap : 4096;
	while (cap < need)
		cap *= 2;
	uint8_t *b = realloc(img->buf, cap);
	if (!b)
		return -ENOMEM;
	img->buf = b;
	img->cap = cap;
	return 0;
}

static struct img *img_new(struct img_dir *dir, const char *name, int fd, bool write)
{
	struct img *img = calloc(1, sizeof(*img));

	if (!img)
		return NULL;
	img->name = strdup(name);
	if (!img->name) {
		free(img);
		return NULL;
	}
	img->dir = dir;
	img->fd = fd;
	img->write = write;
	return img;
}

static void img_free(struct img *img)
{
	if (img->fd >= 0)
		close(img->fd);
	free(img->ra);
	free(img->buf);
	free(img->name);
	free(img);
}

/* ---- reading ----------------------------------------------------------- */

/* Read exactly len bytes at off, small reads served from a read-ahead buffer
 * so that a file of many small records costs few syscalls. */
static int read_at(struct img *img, void *dst, size_t len, uint64_t off)
{
	if (off >= img->ra_off && off + len <= img->ra_off + img->ra_len) {
		memcpy(dst, img->ra + (off - img->ra_off), len);
		return 0;
	}
	if (len >= IMG_READ_AHEAD / 2)
		return img_pread_full(img->fd, dst, len, off);
	if (!img->ra && !(img->ra = malloc(IMG_READ_AHEAD)))
		return -ENOMEM;
	/* Refill from off with what the file has (the size is known and checked). */
	size_t want = IMG_READ_AHEAD;
	if (img->size - off < want)
		want = img->size - off;
	img->ra_len = 0;
	if (want < len)
		return -EIO;
	int r = img_pread_full(img->fd, img->ra, want, off);
	if (r < 0)
		return r;
	img->ra_off = off;
	img->ra_len = want;
	memcpy(dst, img->ra, len);
	return 0;
}

static int read_header(struct img *img, const struct img_kind_info *want)
{
	uint32_t hdr[2];
	struct stat st;
	int r;

	if (fstat(img->fd, &st) < 0)
		return log_error_errno(negative_errno(), "%s: cannot stat", img->name);
	if (!S_ISREG(st.st_mode)) {
		log_error("%s: not a regular file", img->name);
		return -EINVAL;
	}
	img->size = st.st_size;
	if (img->size < sizeof(hdr)) {
		log_error("%s: truncated header (%llu bytes, need %zu)", img->name,
			  (unsigned long long)img->size, sizeof(hdr));
		return -EBADMSG;
	}
	r = img_pread_full(img->fd, hdr, sizeof(hdr), 0);
	if (r < 0)
		return log_error_errno(r, "%s: cannot read header", img->name);

	uint32_t magic = le32toh(hdr[0]), version = le32toh(hdr[1]);
	const struct img_kind_info *k = img_kind_by_magic(magic);

	if (!k) {
		log_error("%s: bad magic 0x%08x (not a cryo image file)", img->name, magic);
		return -EBADMSG;
	}
	if (want && k != want) {
		log_error("%s: magic 0x%08x is a %s image, expected %s", img->name, magic, k->name, want->name);
		return -EBADMSG;
	}
	if ((version >> 16) > IMG_FORMAT_MAJOR) {
		log_error("%s: format version %u.%u is newer than this tool's %u.%u", img->name,
			  version >> 16, version & 0xffff, IMG_FORMAT_MAJOR, IMG_FORMAT_MINOR);
		return -EPROTONOSUPPORT;
	}
	if ((version >> 16) == 0) {
		log_error("%s: invalid format version %u.%u", img->name, version >> 16, version & 0xffff);
		return -EBADMSG;
	}
	img->kind = k;
	img->version = version;
	img->pos = sizeof(hdr);
	return 0;
}

/* Read the next record's bytes into img->buf: 1, 0 at a clean end, < 0. */
static int read_record(struct img *img)
{
	uint64_t left = img->size - img->pos;
	uint32_t len;
	int r;

	if (left == 0)
		return 0;
	if (left < sizeof(len)) {
		log_error("%s: record %u: %llu trailing bytes (truncated length)", img->name, img->nr,
			  (unsigned long long)left);
		return -EBADMSG;
	}
	r = read_at(img, &len, sizeof(len), img->pos);
	if (r < 0)
		return log_error_errno(r, "%s: record %u: cannot read length", img->name, img->nr);
	len = le32toh(len);
	left -= sizeof(len);
	if (len > IMG_MAX_RECORD) {
		log_error("%s: record %u: length %u exceeds the maximum record size %u", img->name,
			  img->nr, len, IMG_MAX_RECORD);
		return -EBADMSG;
	}
	if (len > left) {
		log_error("%s: record %u: length %u exceeds file size (%llu bytes left)", img->name,
			  img->nr, len, (unsigned long long)left);
		return -EBADMSG;
	}
	if (grow(img, len ? len : 1) < 0)
		return log_error_errno(-ENOMEM, "%s: record %u", img->name, img->nr);
	r = read_at(img, img->buf, len, img->pos + sizeof(len));
	if (r < 0)
		return log_error_errno(r, "%s: record %u: cannot read %u bytes", img->name, img->nr, len);
	img->len = len;
	img->pos += sizeof(len) + len;
	return 1;
}

int img_read(struct img *img, ProtobufCMessage **ret)
{
	int r;

	if (img->write)
		return -EBADF;
	if (img->err)
		return img->err;
	r = read_record(img);
	if (r <= 0) {
		img->err = r;
		return r;
	}
	const ProtobufCMessageDescriptor *desc = img_kind_record_desc(img->kind, img->nr);
	if (!desc) {
		log_error("%s: record %u: %s images hold at most %u record(s)", img->name, img->nr,
			  img->kind->name, img->kind->max_records);
		return img->err = -EBADMSG;
	}
	ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, img->len, img->buf);
	if (!m) {
		log_error("%s: record %u: %u bytes do not unpack as %s", img->name, img->nr,
			  (unsigned)img->len, desc->name);
		return img->err = -EBADMSG;
	}
	img->nr++;
	*ret = m;
	return 1;
}

int img_read_one(struct img *img, ProtobufCMessage **ret)
{
	int r = img_read(img, ret);

	if (r == 0) {
		log_error("%s: record %u: missing (unexpected end of file)", img->name, img->nr);
		img->err = -EBADMSG;
		return -EBADMSG;
	}
	return r < 0 ? r : 0;
}

void img_free_msg(ProtobufCMessage *msg)
{
	if (msg)
		protobuf_c_message_free_unpacked(msg, NULL);
}

const uint8_t *img_last_record(const struct img *img, size_t *ret_len)
{
	*ret_len = img->len;
	return img->buf;
}

/* ---- writing ----------------------------------------------------------- */

static int flush_wbuf(struct img *img)
{
	int r;

	if (!img->len)
		return 0;
	r = img_write_full(img->fd, img->buf, img->len);
	img->len = 0;
	if (r < 0) {
		log_error_errno(r, "%s: write failed", img->name);
		img->err = r;
	}
	return r;
}

static int append(struct img *img, const void *p, size_t len)
{
	int r;

	if (img->len + len > IMG_WBUF_SIZE) {
		r = flush_wbuf(img);
		if (r < 0)
			return r;
	}
	r = grow(img, img->len + len);
	if (r < 0)
		return r;
	memcpy(img->buf + img->len, p, len);
	img->len += len;
	return 0;
}

static int write_header(struct img *img, uint32_t version)
{
	uint32_t hdr[2] = { htole32(img->kind->magic), htole32(version) };

	img->version = version;
	return append(img, hdr, sizeof(hdr));
}

int img_write_raw(struct img *img, const uint8_t *buf, size_t len)
{
	uint32_t l = htole32((uint32_t)len);
	int r;

	if (!img->write)
		return -EBADF;
	if (img->err)
		return img->err;
	if (len > IMG_MAX_RECORD) {
		log_error("%s: record %u: %zu bytes exceed the maximum record size", img->name, img->nr, len);
		return -EMSGSIZE;
	}
	if (img->kind->max_records && img->nr >= img->kind->max_records) {
		log_error("%s: record %u: %s images hold at most %u record(s)", img->name, img->nr,
			  img->kind->name, img->kind->max_records);
		return -E2BIG;
	}
	r = append(img, &l, sizeof(l));
	if (r == 0)
		r = append(img, buf, len);
	if (r < 0)
		return img->err = r;
	img->nr++;
	return 0;
}

int img_write(struct img *img, const ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *want;
	size_t len;
	int r;

	if (!img->write)
		return -EBADF;
	want = img_kind_record_desc(img->kind, img->nr);
	if (want != msg->descriptor) {
		log_error("%s: record %u: %s where the %s image wants %s", img->name, img->nr,
			  msg->descriptor->name, img->kind->name, want ? want->name : "no more records");
		return -EINVAL;
	}
	len = protobuf_c_message_get_packed_size(msg);
	if (len > IMG_MAX_RECORD)
		return img_write_raw(img, NULL, len);	/* logs and fails */
	_cleanup_free_ uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	protobuf_c_message_pack(msg, buf);
	r = img_write_raw(img, buf, len);
	return r;
}

int img_close(struct img *img)
{
	int r = 0;

	if (!img)
		return 0;
	if (img->write) {
		r = img->err;
		if (r == 0)
			r = flush_wbuf(img);
		if (close(img->fd) < 0 && r == 0)
			r = log_error_errno(negative_errno(), "%s: close failed", img->name);
		img->fd = -1;
		if (img->dir)
			img_dir_file_closed(img->dir);
	}
	img_free(img);
	return r;
}

const char *img_name(const struct img *img) { return img->name; }
const struct img_kind_info *img_kind(const struct img *img) { return img->kind; }
uint32_t img_version(const struct img *img) { return img->version; }
unsigned img_records(const struct img *img) { return img->nr; }

/* ---- opening ----------------------------------------------------------- */

int img_open_fd(int fd, const char *name, struct img **ret)
{
	struct img *img = img_new(NULL, name, fd, false);
	int r;

	if (!img) {
		close(fd);
		return -ENOMEM;
	}
	r = read_header(img, NULL);
	if (r < 0) {
		img_free(img);
		return r;
	}
	*ret = img;
	return 0;
}

int img_open_path(const char *path, struct img **ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return log_error_errno(negative_errno(), "%s: cannot open", path);
	return img_open_fd(fd, path, ret);
}

int img_create_path(const char *path, const struct img_kind_info *k, uint32_t version, struct img **ret)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	struct img *img;
	int r;

	if (fd < 0)
		return log_error_errno(negative_errno(), "%s: cannot create", path);
	img = img_new(NULL, path, fd, true);
	if (!img) {
		close(fd);
		return -ENOMEM;
	}
	img->kind = k;
	r = write_header(img, version);
	if (r < 0) {
		img_free(img);
		return r;
	}
	*ret = img;
	return 0;
}

int img_format_name(const struct img_kind_info *k, char *buf, size_t size, va_list ap)
{
	int n;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = vsnprintf(buf, size, k->tmpl, ap);
#pragma GCC diagnostic pop
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int open_in_dir(struct img_dir *d, const struct img_kind_info *k, const char *name,
		       bool write, struct img **ret)
{
	struct img *img;
	int fd, r;

	if (write) {
		if (!img_dir_writable(d)) {
			log_error("%s: image directory %s is open for reading", name, img_dir_path(d));
			return -EBADF;
		}
		fd = openat(img_dir_staging_fd(d), name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return log_error_errno(negative_errno(), "%s: cannot create in %s", name, img_dir_path(d));
	} else {
		fd = img_dir_openat_read(d, name);
		/* A missing file may be optional: the caller knows, and logs if it is not. */
		if (fd == -ENOENT)
			log_debug("%s: not in %s", name, img_dir_path(d));
		else if (fd < 0)
			return log_error_errno(fd, "%s: cannot open in %s", name, img_dir_path(d));
		if (fd < 0)
			return fd;
	}
	img = img_new(d, name, fd, write);
	if (!img) {
		close(fd);
		return -ENOMEM;
	}
	if (write) {
		img->kind = k;
		img_dir_file_opened(d);
		r = write_header(img, IMG_FORMAT_VERSION);
	} else {
		r = read_header(img, k);
	}
	if (r < 0) {
		if (write) {
			img->err = r;
			img_close(img);
		} else {
			img_free(img);
		}
		return r;
	}
	*ret = img;
	return 0;
}

int img_open(struct img_dir *d, enum img_kind kind, bool write, struct img **ret, ...)
{
	const struct img_kind_info *k = img_kind_info(kind);
	char name[256];
	va_list ap;
	int r;

	if (!k)
		return -EINVAL;
	va_start(ap, ret);
	r = img_format_name(k, name, sizeof(name), ap);
	va_end(ap);
	if (r < 0)
		return r;
	return open_in_dir(d, k, name, write, ret);
}

int img_exists(struct img_dir *d, enum img_kind kind, ...)
{
	const struct img_kind_info *k = img_kind_info(kind);
	char name[256];
	va_list ap;
	int r;

	if (!k)
		return -EINVAL;
	va_start(ap, kind);
	r = img_format_name(k, name, sizeof(name), ap);
	va_end(ap);
	if (r < 0)
		return r;
	return img_dir_file_exists(d, name);
}

int img_open_name(struct img_dir *d, const char *name, bool write, struct img **ret)
{
	const struct img_kind_info *k = img_kind_by_file_name(name);

	if (!k || strchr(name, '/')) {
		log_error("%s: not the name of an image file", name);
		return -EINVAL;
	}
	return open_in_dir(d, k, name, write, ret);
}
