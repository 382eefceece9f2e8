/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 'cryo-image log decode FILE': turn a binary log back into the exact lines
 * text mode would have written.  'cryo-image log formats FILE' lists the
 * format table.  The file is input from outside: every read is checked and a
 * bad file ends with "FILE: offset N: what is wrong" and exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "log-format.h"

#define MAX_NAME_LEN 4096
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX_FMT_LEN (1u << 20)
/* u32 id, u8 level, u8 nargs, u16, u32 line, u32 fmt len, u32 file len */
#define MIN_FMT_ENTRY 20

struct fmt_entry {
	char *fmt;
	char *file;
	uint32_t line;
	uint8_t level;
	bool ok;             /* has a plan, i.e. records may use it */
	struct log_plan plan;
};

struct log_file {
	const char *name;
	const uint8_t *data;
	size_t size;
	size_t off;
	bool mapped;
	unsigned long_size;
	struct fmt_entry *fmts;
	size_t nfmts;
	/* one line being built */
	char *out;
	size_t out_len, out_cap;
};

struct value {
	uint64_t u;          /* integers, pointers and doubles (bits) */
	char *s;             /* strings, NUL-terminated copy; NULL for a NULL string */
};

static int fail_at(struct log_file *lf, size_t off, const char *fmt, ...) _printf_(3, 4);
static int fail_at(struct log_file *lf, size_t off, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "cryo-image log: %s: offset %zu: ", lf->name, off);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EBADMSG;
}

static int need(struct log_file *lf, size_t n, const char *what)
{
	if (lf->size - lf->off < n)
		return fail_at(lf, lf->off, "truncated %s: needs %zu bytes, %zu left", what, n,
			       lf->size - lf->off);
	return 0;
}

static int get(struct log_file *lf, void *dst, size_t n, const char *what)
{
	int r = need(lf, n, what);

	if (r < 0)
		return r;
	memcpy(dst, lf->data + lf->off, n);
	lf->off += n;
	return 0;
}

#define GET(lf, var, what) get(lf, &(var), sizeof(var), what)

/* A u32 length and that many bytes, as a NUL-terminated copy (*ret NULL for LOG_STR_NULL
 * when null_ok). */
static int get_string(struct log_file *lf, size_t max, bool null_ok, const char *what, char **ret)
{
	size_t at = lf->off;
	uint32_t len;
	int r;

	*ret = NULL;
	r = GET(lf, len, what);
	if (r < 0)
		return r;
	if (len == LOG_STR_NULL && null_ok)
		return 0;
	if (len > max)
		return fail_at(lf, at, "%s of %u bytes is longer than the limit of %zu", what, len, max);
	r = need(lf, len, what);
	if (r < 0)
		return r;
	*ret = strndup((const char *)lf->data + lf->off, len);
	if (!*ret)
		return fail_at(lf, at, "out of memory");
	if (strlen(*ret) != len) {
		free(*ret);
		*ret = NULL;
		return fail_at(lf, at, "%s contains a NUL byte", what);
	}
	lf->off += len;
	return 0;
}

static void free_table(struct log_file *lf)
{
	for (size_t i = 0; i < lf->nfmts; i++) {
		free(lf->fmts[i].fmt);
		free(lf->fmts[i].file);
	}
	free(lf->fmts);
	lf->fmts = NULL;
	lf->nfmts = 0;
}

static int read_format(struct log_file *lf, size_t i, struct fmt_entry *e)
{
	size_t at = lf->off;
	uint8_t nargs, types[LOG_MAX_ARGS];
	uint16_t pad;
	uint32_t id;
	int r;

	if ((r = GET(lf, id, "format id")) < 0 || (r = GET(lf, e->level, "format level")) < 0 ||
	    (r = GET(lf, nargs, "format argument count")) < 0 || (r = GET(lf, pad, "format entry")) < 0 ||
	    (r = GET(lf, e->line, "format line")) < 0)
		return r;
	if (id != i)
		return fail_at(lf, at, "format entry %zu has id %u", i, id);
	if (e->level > LOG_LVL_DEBUG) /* 0: chosen at run time */
		return fail_at(lf, at, "format %u has invalid level %u", id, e->level);
	if (nargs > LOG_MAX_ARGS)
		return fail_at(lf, at, "format %u has %u arguments, at most %d are possible", id, nargs,
			       LOG_MAX_ARGS);
	if ((r = get(lf, types, nargs, "format argument types")) < 0)
		return r;
	for (unsigned a = 0; a < nargs; a++)
		if (types[a] == LOG_ARG_NONE || types[a] >= LOG_ARG__MAX)
			return fail_at(lf, at, "format %u: argument %u has unknown type %u", id, a,
				       types[a]);
	if ((r = get_string(lf, MAX_FMT_LEN, false, "format string", &e->fmt)) < 0 ||
	    (r = get_string(lf, MAX_NAME_LEN, false, "source file name", &e->file)) < 0)
		return r;
	e->ok = log_plan_build(e->fmt, nargs, types, lf->long_size, &e->plan) == 0;
	return 0;
}

static int read_header(struct log_file *lf)
{
	size_t at = lf->off;
	uint8_t magic[LOG_FILE_MAGIC_LEN], long_size, ptr_size;
	uint32_t version, bom, pid, nfmts, end;
	uint64_t start;
	uint16_t pad;
	char *prog;
	int r;

	free_table(lf);
	/* a short file that does not even start like the magic is not a truncated log */
	if (memcmp(lf->data + lf->off, LOG_FILE_MAGIC,
		   MIN(lf->size - lf->off, (size_t)LOG_FILE_MAGIC_LEN)))
		return fail_at(lf, at, "not a cryo binary log (bad magic)");
	if ((r = get(lf, magic, sizeof(magic), "header")) < 0)
		return r;
	if ((r = GET(lf, version, "header")) < 0 || (r = GET(lf, bom, "header")) < 0)
		return r;
	if (version != LOG_FILE_VERSION)
		return fail_at(lf, at, "unsupported log version %u (this decoder reads %u)", version,
			       LOG_FILE_VERSION);
	if (bom != LOG_BYTE_ORDER_MARK)
		return fail_at(lf, at, "log written with another byte order, cannot decode it here");
	if ((r = GET(lf, long_size, "header")) < 0 || (r = GET(lf, ptr_size, "header")) < 0 ||
	    (r = GET(lf, pad, "header")) < 0 || (r = GET(lf, start, "header")) < 0 ||
	    (r = GET(lf, pid, "header")) < 0)
		return r;
	if ((long_size != 4 && long_size != 8) || (ptr_size != 4 && ptr_size != 8))
		return fail_at(lf, at, "invalid type sizes in header (long %u, pointer %u)", long_size,
			       ptr_size);
	lf->long_size = long_size;
	if ((r = get_string(lf, MAX_NAME_LEN, false, "program name", &prog)) < 0)
		return r;
	free(prog);
	at = lf->off;
	if ((r = GET(lf, nfmts, "format count")) < 0)
		return r;
	if (nfmts > LOG_MAX_FORMATS || nfmts > (lf->size - lf->off) / MIN_FMT_ENTRY)
		return fail_at(lf, at, "format count %u does not fit in the file", nfmts);
	lf->fmts = calloc(nfmts ? nfmts : 1, sizeof(*lf->fmts));
	if (!lf->fmts)
		return fail_at(lf, at, "out of memory");
	lf->nfmts = nfmts;
	for (size_t i = 0; i < nfmts; i++)
		if ((r = read_format(lf, i, &lf->fmts[i])) < 0)
			return r;
	at = lf->off;
	if ((r = GET(lf, end, "format table end")) < 0)
		return r;
	if (end != LOG_TABLE_END)
		return fail_at(lf, at, "format table end marker missing");
	return 0;
}

/* ---- formatting a record ---- */

static int out_reserve(struct log_file *lf, size_t n)
{
	size_t cap;
	char *p;

	if (lf->out_len + n <= lf->out_cap)
		return 0;
	cap = (lf->out_len + n) * 2;
	p = realloc(lf->out, cap);
	if (!p)
		return -ENOMEM;
	lf->out = p;
	lf->out_cap = cap;
	return 0;
}

static int out_add(struct log_file *lf, const char *s, size_t n)
{
	if (out_reserve(lf, n) < 0)
		return -ENOMEM;
	memcpy(lf->out + lf->out_len, s, n);
	lf->out_len += n;
	return 0;
}

/* printf one conversion with a format built at run time (hence no _printf_). */
static int out_printf(struct log_file *lf, const char *fmt, ...)
{
	va_list ap, again;
	size_t room;
	int n;

	if (out_reserve(lf, 64) < 0)
		return -ENOMEM;
	room = lf->out_cap - lf->out_len;
	va_start(ap, fmt);
	va_copy(again, ap);
	n = vsnprintf(lf->out + lf->out_len, room, fmt, ap);
	if (n >= 0 && (size_t)n >= room) {
		if (out_reserve(lf, (size_t)n + 1) < 0)
			n = -1;
		else
			n = vsnprintf(lf->out + lf->out_len, (size_t)n + 1, fmt, again);
	}
	va_end(again);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	lf->out_len += (size_t)n;
	return 0;
}

/* Width and precision always travel as '*' arguments; four call shapes. */
#define OUT_CONV(lf, f, hw, w, hp, p, v)                                        \
	((hw) ? ((hp) ? out_printf(lf, f, w, p, v) : out_printf(lf, f, w, v))   \
	      : ((hp) ? out_printf(lf, f, p, v) : out_printf(lf, f, v)))

static bool is_signed_conv(char c)
{
	return c == 'd' || c == 'i';
}

/* The integer as printf would have seen it, widened to 64 bits. */
static uint64_t int_value(const struct log_file *lf, const struct log_spec *s, uint8_t op, uint64_t raw)
{
	bool sgn = is_signed_conv(s->conv);
	unsigned bits = op == LOG_OP_INT ? 32 : op == LOG_OP_LONG ? lf->long_size * 8 : 64;

	if (s->len == LOG_LEN_HH)
		bits = 8;
	else if (s->len == LOG_LEN_H)
		bits = 16;
	if (bits < 64) {
		uint64_t mask = (1ull << bits) - 1, sign = 1ull << (bits - 1);

		raw &= mask;
		if (sgn && (raw & sign))
			raw |= ~mask;
	}
	return raw;
}

static int format_conversion(struct log_file *lf, const struct fmt_entry *e, const struct log_spec *s,
			     const struct value *vals, unsigned *k)
{
	char f[32];
	size_t n = 0;
	bool hw = s->width != LOG_SPEC_NONE, hp = s->prec != LOG_SPEC_NONE;
	int w = s->width, p = s->prec;
	const struct value *v;
	uint8_t op;
	double d;

	if (s->conv == '%')
		return out_add(lf, "%", 1);
	if (s->width == LOG_SPEC_STAR)
		w = (int)(uint32_t)vals[(*k)++].u;
	if (s->prec == LOG_SPEC_STAR)
		p = (int)(uint32_t)vals[(*k)++].u;
	op = e->plan.ops[*k].op;
	v = &vals[(*k)++];

	f[n++] = '%';
	n += (size_t)snprintf(f + n, sizeof(f) - n, "%s%s%s", s->flags, hw ? "*" : "", hp ? ".*" : "");
	switch (s->conv) {
	case 'd': case 'i': case 'o': case 'u': case 'x': case 'X':
		snprintf(f + n, sizeof(f) - n, "ll%c", s->conv);
		if (is_signed_conv(s->conv))
			return OUT_CONV(lf, f, hw, w, hp, p, (long long)int_value(lf, s, op, v->u));
		return OUT_CONV(lf, f, hw, w, hp, p, (unsigned long long)int_value(lf, s, op, v->u));
	case 'c':
		snprintf(f + n, sizeof(f) - n, "c");
		return OUT_CONV(lf, f, hw, w, hp, p, (int)(uint32_t)v->u);
	case 's':
	case 'm':
		snprintf(f + n, sizeof(f) - n, "s");
		return OUT_CONV(lf, f, hw, w, hp, p, v->s);
	case 'p':
		snprintf(f + n, sizeof(f) - n, "p");
		return OUT_CONV(lf, f, hw, w, hp, p, (void *)(uintptr_t)v->u);
	default:
		snprintf(f + n, sizeof(f) - n, "%c", s->conv);
		memcpy(&d, &v->u, sizeof(d));
		return OUT_CONV(lf, f, hw, w, hp, p, d);
	}
}

static int format_message(struct log_file *lf, const struct fmt_entry *e, const struct value *vals)
{
	const char *p = e->fmt, *pct;
	struct log_spec spec;
	unsigned k = 0;
	int n, r;

	while ((pct = strchr(p, '%'))) {
		if ((r = out_add(lf, p, (size_t)(pct - p))) < 0)
			return r;
		n = log_spec_parse(pct, &spec); /* cannot fail: the plan was built from it */
		if (n < 0)
			return -EINVAL;
		if ((r = format_conversion(lf, e, &spec, vals, &k)) < 0)
			return r;
		p = pct + n;
	}
	return out_add(lf, p, strlen(p));
}

static int read_values(struct log_file *lf, const struct fmt_entry *e, struct value *vals)
{
	for (unsigned i = 0; i < e->plan.nops; i++) {
		uint8_t op = e->plan.ops[i].op;
		uint32_t u32;
		int r;

		vals[i] = (struct value){ 0 };
		if (op == LOG_OP_STR || op == LOG_OP_ERRNO)
			r = get_string(lf, SIZE_MAX, op == LOG_OP_STR, "string argument", &vals[i].s);
		else if (op == LOG_OP_INT) {
			r = GET(lf, u32, "int argument");
			vals[i].u = (uint64_t)(int64_t)(int32_t)u32;
		} else
			r = GET(lf, vals[i].u, "argument");
		if (r < 0)
			return r;
	}
	return 0;
}

static int decode_record(struct log_file *lf, FILE *out)
{
	size_t at = lf->off;
	struct value vals[LOG_MAX_OPS] = { 0 };
	char prefix[LOG_PREFIX_MAX];
	const struct fmt_entry *e;
	uint32_t head, id, level;
	uint64_t ts;
	int r;

	if ((r = GET(lf, head, "record")) < 0 || (r = GET(lf, ts, "record")) < 0)
		return r;
	level = head & 7;
	id = head >> 3;
	if (level < LOG_LVL_ERROR || level > LOG_LVL_DEBUG)
		return fail_at(lf, at, "record has invalid level %u", level);
	if (id >= lf->nfmts)
		return fail_at(lf, at, "record uses format %u, the table has %zu", id, lf->nfmts);
	e = &lf->fmts[id];
	if (!e->ok)
		return fail_at(lf, at, "record uses format %u (%s:%u), which has no binary encoding",
			       id, e->file, e->line);
	r = read_values(lf, e, vals);
	if (r >= 0) {
		lf->out_len = 0;
		r = out_add(lf, prefix, log_format_prefix(prefix, ts, (enum log_level)level));
		if (r >= 0)
			r = format_message(lf, e, vals);
		if (r >= 0)
			r = out_add(lf, "\n", 1);
		if (r < 0)
			r = fail_at(lf, at, "cannot format record: %s", strerror(-r));
		else if (fwrite(lf->out, 1, lf->out_len, out) != lf->out_len)
			r = -EIO;
	}
	for (unsigned i = 0; i < e->plan.nops; i++)
		free(vals[i].s);
	return r;
}

static bool at_header(const struct log_file *lf)
{
	return lf->size - lf->off >= LOG_FILE_MAGIC_LEN &&
	       !memcmp(lf->data + lf->off, LOG_FILE_MAGIC, LOG_FILE_MAGIC_LEN);
}

static int decode_all(struct log_file *lf, FILE *out)
{
	int r;

	if (lf->size == 0)
		return fail_at(lf, 0, "empty file, not a cryo binary log");
	r = read_header(lf);
	while (r >= 0 && lf->off < lf->size)
		r = at_header(lf) ? read_header(lf) : decode_record(lf, out);
	return r;
}

static void print_table(const struct log_file *lf, FILE *out)
{
	static const char *const names[] = { "any", "error", "warn", "info", "debug" };

	for (size_t i = 0; i < lf->nfmts; i++) {
		const struct fmt_entry *e = &lf->fmts[i];

		fprintf(out, "%zu\t%s\t%s:%u\t%s\t\"", i, names[e->level], e->file, e->line,
			e->ok ? "binary" : "text");
		for (const char *c = e->fmt; *c; c++) {
			if (*c == '"' || *c == '\\')
				fprintf(out, "\\%c", *c);
			else if (*c == '\n')
				fputs("\\n", out);
			else if ((unsigned char)*c < ' ')
				fprintf(out, "\\x%02x", (unsigned char)*c);
			else
				fputc(*c, out);
		}
		fputs("\"\n", out);
	}
}

/* ---- the file ---- */

static int read_fd(int fd, struct log_file *lf)
{
	size_t cap = 0, len = 0;
	uint8_t *buf = NULL;

	for (;;) {
		ssize_t n;

		if (len == cap) {
			uint8_t *p;

			cap = cap ? cap * 2 : 65536;
			p = realloc(buf, cap);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			free(buf);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	lf->data = buf;
	lf->size = len;
	return 0;
}

static int open_log(const char *name, struct log_file *lf)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	void *p;

	memset(lf, 0, sizeof(*lf));
	lf->name = name;
	fd = strcmp(name, "-") ? open(name, O_RDONLY | O_CLOEXEC) : dup(STDIN_FILENO);
	if (fd < 0 || fstat(fd, &st) < 0)
		return negative_errno();
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			return negative_errno();
		lf->data = p;
		lf->size = (size_t)st.st_size;
		lf->mapped = true;
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	return read_fd(fd, lf);
}

static void close_log(struct log_file *lf)
{
	if (lf->mapped)
		munmap((void *)lf->data, lf->size);
	else
		free((void *)lf->data);
	free_table(lf);
	free(lf->out);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: cryo-image log decode FILE    print a binary log as text lines\n"
		   "       cryo-image log formats FILE   list its format table\n"
		   "FILE may be '-' for standard input.\n");
}

int img_log_main(int argc, char **argv)
{
	struct log_file lf;
	bool decode;
	int r;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 3 || (strcmp(argv[1], "decode") && strcmp(argv[1], "formats"))) {
		usage(stderr);
		return 1;
	}
	decode = !strcmp(argv[1], "decode");
	r = open_log(argv[2], &lf);
	if (r < 0) {
		fprintf(stderr, "cryo-image log: cannot read %s: %s\n", argv[2], strerror(-r));
		return 1;
	}
	if (decode) {
		r = decode_all(&lf, stdout);
	} else {
		r = lf.size ? read_header(&lf) : fail_at(&lf, 0, "empty file, not a cryo binary log");
		if (r >= 0)
			print_table(&lf, stdout);
	}
	close_log(&lf);
	if (fflush(stdout) != 0 && r >= 0) {
		fprintf(stderr, "cryo-image log: writing the output failed: %s\n", strerror(errno));
		return 1;
	}
	return r < 0 ? 1 : 0;
}
