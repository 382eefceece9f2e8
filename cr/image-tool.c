/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cryo-image decode and encode: image files <-> JSON (mapping in image-json.h). */
#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "image.h"
#include "image-json.h"
#include "image-tool.h"
#include "log.h"

#define MAX_JSON_INPUT	(1u << 30)

/* ---- shared by the verbs ------------------------------------------------ */

int img_tool_parse_out(int argc, char **argv, const char *usage, const char **ret_in,
		       const char **ret_out, const char **ret_arg)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "input", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			*ret_out = optarg;
			break;
		case 'i':
			if (!ret_in)
				goto bad;
			*ret_in = optarg;
			break;
		case 'h':
			printf("Usage: cryo-image %s %s\n", argv[0], usage);
			return 0;
		default:
			goto bad;
		}
	}
	if (ret_arg) {
		if (optind != argc - 1)
			goto bad;
		*ret_arg = argv[optind];
	} else if (optind != argc) {
		goto bad;
	}
	return 1;
bad:
	fprintf(stderr, "Usage: cryo-image %s %s\n", argv[0], usage);
	return -EINVAL;
}

/* The kind of an image file by its magic number, without logging (NULL: not an image). */
const struct img_kind_info *img_tool_sniff(int dirfd, const char *name)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	uint32_t magic;

	if (fd < 0 || pread(fd, &magic, sizeof(magic), 0) != sizeof(magic))
		return NULL;
	return img_kind_by_magic(le32toh(magic));
}

/* The names in a directory, sorted, without dot files. */
int img_tool_list(const char *path, struct dirent ***ret)
{
	int n = scandir(path, ret, NULL, alphasort);

	if (n < 0)
		return log_error_errno(negative_errno(), "cannot read directory %s", path);
	int k = 0;
	for (int i = 0; i < n; i++) {
		if ((*ret)[i]->d_name[0] == '.')
			free((*ret)[i]);
		else
			(*ret)[k++] = (*ret)[i];
	}
	return k;
}

void img_tool_free_list(struct dirent **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- decode ------------------------------------------------------------ */

#define G(call) do { if ((call) != yajl_gen_status_ok) return -EIO; } while (0)

static int gen_str(yajl_gen g, const char *s)
{
	G(yajl_gen_string(g, (const unsigned char *)s, strlen(s)));
	return 0;
}

static int gen_kv_str(yajl_gen g, const char *k, const char *v)
{
	return gen_str(g, k) < 0 ? -EIO : gen_str(g, v);
}

static int gen_raw_file(yajl_gen g, const char *kind, off_t size)
{
	G(yajl_gen_map_open(g));
	if (gen_kv_str(g, "kind", kind) < 0 || gen_str(g, "size") < 0)
		return -EIO;
	G(yajl_gen_integer(g, size));
	G(yajl_gen_map_close(g));
	return 0;
}

/* Decode one structured file (already open) into a JSON object. */
static int gen_image(yajl_gen g, struct img *img, const char *shown_name)
{
	char buf[32];
	ProtobufCMessage *m;
	int r;

	G(yajl_gen_map_open(g));
	if (gen_kv_str(g, "file", shown_name) < 0 || gen_kv_str(g, "kind", img_kind(img)->name) < 0)
		return -EIO;
	snprintf(buf, sizeof(buf), "0x%08x", img_kind(img)->magic);
	if (gen_kv_str(g, "magic", buf) < 0)
		return -EIO;
	snprintf(buf, sizeof(buf), "%u.%u", img_version(img) >> 16, img_version(img) & 0xffff);
	if (gen_kv_str(g, "version", buf) < 0 || gen_str(g, "records") < 0)
		return -EIO;
	G(yajl_gen_array_open(g));
	while ((r = img_read(img, &m)) > 0) {
		size_t len;
		const uint8_t *raw = img_last_record(img, &len);

		r = img_json_gen_record(g, m, raw, len);
		img_free_msg(m);
		if (r < 0)
			return log_error_errno(r, "%s: record %u: cannot generate JSON", img_name(img),
					       img_records(img) - 1);
	}
	if (r < 0)
		return r;	/* logged by img_read, naming file and record */
	G(yajl_gen_array_close(g));
	G(yajl_gen_map_close(g));
	return 0;
}

static int decode_file_at(yajl_gen g, int dirfd, const char *dir, const char *name)
{
	_cleanup_free_ char *shown = NULL;
	struct stat st;
	struct img *img;
	int fd, r;

	if (dir && asprintf(&shown, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	const char *path = shown ? shown : name;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return log_error_errno(negative_errno(), "%s: cannot open", path);
	if (fstat(fd, &st) < 0) {
		close(fd);
		return log_error_errno(negative_errno(), "%s: cannot stat", path);
	}
	if (img_is_pages_file_name(name)) {
		close(fd);
		return gen_raw_file(g, "pages", st.st_size);
	}
	r = img_open_fd(fd, path, &img);
	if (r < 0)
		return r;
	const struct img_kind_info *by_name = img_kind_by_file_name(name);
	if (by_name && by_name != img_kind(img)) {
		log_error("%s: the name says %s, the magic number says %s", path, by_name->name,
			  img_kind(img)->name);
		img_close(img);
		return -EBADMSG;
	}
	r = gen_image(g, img, name);
	img_close(img);
	return r;
}

static int decode_dir(yajl_gen g, const char *path)
{
	_cleanup_close_ int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent **names;
	int n, r = 0;

	if (dfd < 0)
		return log_error_errno(negative_errno(), "cannot open image directory %s", path);
	n = img_tool_list(path, &names);
	if (n < 0)
		return n;
	if (yajl_gen_map_open(g) != yajl_gen_status_ok)
		r = -EIO;
	for (int i = 0; i < n && r == 0; i++) {
		const char *name = names[i]->d_name;
		struct stat st;

		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISLNK(st.st_mode) && !strcmp(name, "parent")) {
			char target[4096];
			ssize_t l = readlinkat(dfd, name, target, sizeof(target) - 1);
			if (l < 0)
				continue;
			target[l] = 0;
			if (gen_str(g, name) < 0 || yajl_gen_map_open(g) != yajl_gen_status_ok ||
			    gen_kv_str(g, "kind", "parent") < 0 || gen_kv_str(g, "target", target) < 0 ||
			    yajl_gen_map_close(g) != yajl_gen_status_ok)
				r = -EIO;
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		/* Logs and other files that share the directory are not images. */
		if (!img_kind_by_file_name(name) && !img_is_pages_file_name(name) && !img_tool_sniff(dfd, name))
			continue;
		r = gen_str(g, name);
		if (r == 0)
			r = decode_file_at(g, dfd, path, name);
	}
	if (r == 0 && yajl_gen_map_close(g) != yajl_gen_status_ok)
		r = -EIO;
	img_tool_free_list(names, n);
	return r;
}

static int write_out(const char *out, const void *buf, size_t len)
{
	_cleanup_close_ int fd = -1;
	const char *p = buf;

	fd = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : dup(STDOUT_FILENO);
	if (fd < 0)
		return log_error_errno(negative_errno(), "cannot open %s", out ? out : "stdout");
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return log_error_errno(negative_errno(), "cannot write %s", out ? out : "stdout");
		}
		p += n;
		len -= n;
	}
	return 0;
}

int img_decode_main(int argc, char **argv)
{
	const char *out = NULL, *path = NULL;
	const unsigned char *json;
	struct stat st;
	size_t len;
	int r;

	r = img_tool_parse_out(argc, argv, "FILE|DIR [-o OUT.json]", NULL, &out, &path);
	if (r <= 0)
		return r < 0 ? 1 : 0;
	if (stat(path, &st) < 0) {
		log_error_errno(negative_errno(), "%s", path);
		return 1;
	}
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		return 1;
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	r = S_ISDIR(st.st_mode) ? decode_dir(g, path) : decode_file_at(g, AT_FDCWD, NULL, path);
	if (r == 0 && yajl_gen_get_buf(g, &json, &len) == yajl_gen_status_ok)
		r = write_out(out, json, len);
	else if (r == -EIO)
		log_error("%s: JSON generation failed", path);
	yajl_gen_free(g);
	return r < 0 ? 1 : 0;
}

/* ---- encode ------------------------------------------------------------ */

static char *read_all(const char *path)
{
	_cleanup_close_ int fd = path && strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(STDIN_FILENO);
	size_t len = 0, cap = 0;
	char *buf = NULL;

	if (fd < 0) {
		log_error_errno(negative_errno(), "cannot open %s", path);
		return NULL;
	}
	for (;;) {
		if (len + 1 >= cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > MAX_JSON_INPUT) {
				log_error("%s: larger than %u bytes", path ? path : "stdin", MAX_JSON_INPUT);
				free(buf);
				return NULL;
			}
			char *b = realloc(buf, cap);
			if (!b) {
				free(buf);
				return NULL;
			}
			buf = b;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error_errno(negative_errno(), "cannot read %s", path ? path : "stdin");
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = 0;
	return buf;
}

static yajl_val obj_get(yajl_val obj, const char *key)
{
	const char *p[] = { key, NULL };

	return yajl_tree_get(obj, p, yajl_t_any);
}

/* Write one file from its JSON object {"kind", "version", "records"}. */
static int encode_file(yajl_val v, const char *what, const char *out)
{
	yajl_val kind = obj_get(v, "kind"), ver = obj_get(v, "version"), recs = obj_get(v, "records");
	yajl_val magic = obj_get(v, "magic");
	const struct img_kind_info *k;
	unsigned major, minor;
	struct img *img;
	char err[600];
	int r, n;

	if (!YAJL_IS_STRING(kind) || !(k = img_kind_by_short_name(kind->u.string))) {
		log_error("%s: \"kind\" is missing or not an image kind", what);
		return -EINVAL;
	}
	if (YAJL_IS_STRING(magic) && strtoul(magic->u.string, NULL, 0) != k->magic) {
		log_error("%s: magic %s is not the magic of kind %s (0x%08x)", what, magic->u.string, k->name, k->magic);
		return -EINVAL;
	}
	if (!YAJL_IS_STRING(ver) || sscanf(ver->u.string, "%u.%u%n", &major, &minor, &n) != 2 ||
	    ver->u.string[n] || major > 0xffff || minor > 0xffff) {
		log_error("%s: \"version\" must be \"MAJOR.MINOR\"", what);
		return -EINVAL;
	}
	if (major < 1 || major > IMG_FORMAT_MAJOR) {
		log_error("%s: version %u.%u: this tool writes major versions 1 to %u", what, major, minor,
			  IMG_FORMAT_MAJOR);
		return -EINVAL;
	}
	if (!YAJL_IS_ARRAY(recs)) {
		log_error("%s: \"records\" must be an array", what);
		return -EINVAL;
	}
	/* A file is written under a temporary name and renamed: a failed encode
	 * leaves an existing OUT untouched. */
	bool to_file = strcmp(out, "/dev/stdout") != 0;
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp-%d", out, (int)getpid()) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	r = img_create_path(to_file ? tmp : out, k, major << 16 | minor, &img);
	if (r < 0)
		return r;
	for (size_t i = 0; i < recs->u.array.len && r == 0; i++) {
		const ProtobufCMessageDescriptor *desc = img_kind_record_desc(k, i);
		uint8_t *buf;
		size_t len;

		if (!desc) {
			log_error("%s: record %zu: %s images hold at most %u record(s)", what, i, k->name, k->max_records);
			r = -EINVAL;
			break;
		}
		r = img_json_pack_record(desc, recs->u.array.values[i], &buf, &len, err, sizeof(err));
		if (r < 0) {
			log_error("%s: record %zu: %s", what, i, err[0] ? err : strerror(-r));
			break;
		}
		r = img_write_raw(img, buf, len);
		free(buf);
	}
	int r2 = img_close(img);
	if (r == 0)
		r = r2;
	if (to_file && r == 0 && rename(tmp, out) < 0)
		r = log_error_errno(negative_errno(), "cannot rename %s to %s", tmp, out);
	if (to_file && r < 0)
		unlink(tmp);
	return r;
}

/* A decoded directory: {"file name": {...}, ...}; structured files are written into outdir. */
static int encode_dir(yajl_val v, const char *what, const char *outdir)
{
	int r;

	if (!outdir) {
		log_error("%s: a decoded directory needs -o DIR", what);
		return -EINVAL;
	}
	if (mkdir(outdir, 0700) < 0 && errno != EEXIST)
		return log_error_errno(negative_errno(), "cannot create %s", outdir);
	for (size_t i = 0; i < v->u.object.len; i++) {
		const char *name = v->u.object.keys[i];
		yajl_val f = v->u.object.values[i];
		_cleanup_free_ char *path = NULL;

		if (strchr(name, '/') || name[0] == '.' || !YAJL_IS_OBJECT(f)) {
			log_error("%s: '%s' is not a file of an image directory", what, name);
			return -EINVAL;
		}
		if (!obj_get(f, "records")) {
			log_warn("%s: %s has no records (page data and links are not in JSON): skipped", what, name);
			continue;
		}
		if (asprintf(&path, "%s/%s", outdir, name) < 0)
			return -ENOMEM;
		r = encode_file(f, name, path);
		if (r < 0)
			return r;
	}
	return 0;
}

int img_encode_main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	char err[512];
	int r;

	r = img_tool_parse_out(argc, argv, "[-i IN.json] [-o FILE|DIR]", &in, &out, NULL);
	if (r <= 0)
		return r < 0 ? 1 : 0;
	_cleanup_free_ char *text = read_all(in);
	if (!text)
		return 1;
	const char *what = in ? in : "stdin";
	yajl_val v = yajl_tree_parse(text, err, sizeof(err));
	if (!v) {
		err[strcspn(err, "\n")] = 0;
		log_error("%s: not valid JSON: %s", what, err);
		return 1;
	}
	if (!YAJL_IS_OBJECT(v)) {
		log_error("%s: expected a JSON object", what);
		r = -EINVAL;
	} else if (obj_get(v, "kind")) {
		if (!out && isatty(STDOUT_FILENO)) {
			log_error("refusing to write a binary image to a terminal: use -o FILE");
			r = -EINVAL;
		} else {
			r = encode_file(v, what, out ? out : "/dev/stdout");
		}
	} else {
		r = encode_dir(v, what, out);
	}
	yajl_tree_free(v);
	return r < 0 ? 1 : 0;
}
