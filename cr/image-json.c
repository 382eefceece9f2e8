/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reflective protobuf <-> JSON for cryo-image; the mapping is in image-json.h. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "image-json.h"
#include "util.h"

/* ---- base64 ------------------------------------------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *img_base64_encode(const uint8_t *p, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = p[i] << 16;
		if (i + 1 < len)
			v |= p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = b64[v >> 18];
		*o++ = b64[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = 0;
	return out;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

int img_base64_decode(const char *s, uint8_t **ret, size_t *ret_len)
{
	size_t n = strlen(s), pad = 0;

	if (n % 4)
		return -EINVAL;
	if (n && s[n - 1] == '=')
		pad++;
	if (n > 1 && s[n - 2] == '=')
		pad++;
	uint8_t *out = malloc(n / 4 * 3 + 1);
	size_t len = 0;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;
		for (int k = 0; k < 4; k++) {
			int x = (s[i + k] == '=' && i + 4 == n && k >= 4 - (int)pad) ? 0 : b64_value(s[i + k]);
			if (x < 0) {
				free(out);
				return -EINVAL;
			}
			v = v << 6 | x;
		}
		out[len++] = v >> 16;
		if (!(i + 4 == n && pad >= 2))
			out[len++] = (v >> 8) & 0xff;
		if (!(i + 4 == n && pad >= 1))
			out[len++] = v & 0xff;
	}
	*ret = out;
	*ret_len = len;
	return 0;
}

/* ---- message -> JSON --------------------------------------------------- */

#define GEN(call) do { if ((call) != yajl_gen_status_ok) return -EIO; } while (0)

static int gen_cstr(yajl_gen g, const char *s)
{
	GEN(yajl_gen_string(g, (const unsigned char *)s, strlen(s)));
	return 0;
}

static bool valid_utf8(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned c = s[i], n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + n >= len)
			return false;
		for (unsigned k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

static int gen_base64(yajl_gen g, const uint8_t *p, size_t len)
{
	_cleanup_free_ char *s = img_base64_encode(p, len);

	if (!s)
		return -ENOMEM;
	return gen_cstr(g, s);
}

static int gen_u64(yajl_gen g, uint64_t v)
{
	char buf[32];

	if (v <= INT64_MAX) {
		GEN(yajl_gen_integer(g, (long long)v));
		return 0;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return gen_cstr(g, buf);
}

static int gen_double(yajl_gen g, double d)
{
	char buf[40];

	if (isnan(d))
		return gen_cstr(g, "nan");
	if (isinf(d))
		return gen_cstr(g, d > 0 ? "inf" : "-inf");
	snprintf(buf, sizeof(buf), "%.17g", d);
	GEN(yajl_gen_number(g, buf, strlen(buf)));
	return 0;
}

static int gen_message(yajl_gen g, const ProtobufCMessage *m);

static int gen_value(yajl_gen g, const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		GEN(yajl_gen_integer(g, *(const int32_t *)p));
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		GEN(yajl_gen_integer(g, *(const uint32_t *)p));
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		GEN(yajl_gen_integer(g, *(const int64_t *)p));
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return gen_u64(g, *(const uint64_t *)p);
	case PROTOBUF_C_TYPE_FLOAT:
		return gen_double(g, *(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return gen_double(g, *(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		GEN(yajl_gen_bool(g, *(const protobuf_c_boolean *)p));
		return 0;
	case PROTOBUF_C_TYPE_ENUM: {
		int v = *(const int *)p;
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
		if (ev)
			return gen_cstr(g, ev->name);
		GEN(yajl_gen_integer(g, v));
		return 0;
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		size_t len = s ? strlen(s) : 0;
		if (!s || valid_utf8((const unsigned char *)s, len)) {
			GEN(yajl_gen_string(g, (const unsigned char *)(s ? s : ""), len));
			return 0;
		}
		GEN(yajl_gen_map_open(g));
		if (gen_cstr(g, "base64") < 0 || gen_base64(g, (const uint8_t *)s, len) < 0)
			return -EIO;
		GEN(yajl_gen_map_close(g));
		return 0;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		return gen_base64(g, b->data, b->len);
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		return gen_message(g, *(ProtobufCMessage *const *)p);
	}
	return -EINVAL;
}

static size_t elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	default:
		return 4;
	}
}

static bool is_zero(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		return !s || !*s;
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len == 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(void *const *)p == NULL;
	default: {
		static const uint8_t zero[8];
		return !memcmp(p, zero, elem_size(f->type));
	}
	}
}

/* Is the (non-repeated) field f set in message m? */
static bool field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const uint8_t *base = (const uint8_t *)m;
	const void *p = base + f->offset;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
	switch (f->label) {
	case PROTOBUF_C_LABEL_REQUIRED:
		return true;
	case PROTOBUF_C_LABEL_OPTIONAL:
		if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE) {
			const void *ptr = *(const void *const *)p;
			return ptr && ptr != f->default_value;
		}
		return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
	default:	/* proto3 without presence: set when not zero */
		return !is_zero(f, p);
	}
}

static int gen_unknown(yajl_gen g, const ProtobufCMessage *m)
{
	if (!m->n_unknown_fields)
		return 0;
	if (gen_cstr(g, "_unknown") < 0)
		return -EIO;
	GEN(yajl_gen_array_open(g));
	for (unsigned i = 0; i < m->n_unknown_fields; i++) {
		const ProtobufCMessageUnknownField *u = &m->unknown_fields[i];
		GEN(yajl_gen_map_open(g));
		if (gen_cstr(g, "tag") < 0)
			return -EIO;
		GEN(yajl_gen_integer(g, u->tag));
		if (gen_cstr(g, "wire_type") < 0)
			return -EIO;
		GEN(yajl_gen_integer(g, u->wire_type));
		if (gen_cstr(g, "data") < 0 || gen_base64(g, u->data, u->len) < 0)
			return -EIO;
		GEN(yajl_gen_map_close(g));
	}
	GEN(yajl_gen_array_close(g));
	return 0;
}

static int gen_fields(yajl_gen g, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *desc = m->descriptor;
	const uint8_t *base = (const uint8_t *)m;
	int r;

	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			const uint8_t *arr = *(const uint8_t *const *)(base + f->offset);

			if (!n)
				continue;
			if ((r = gen_cstr(g, f->name)) < 0)
				return r;
			GEN(yajl_gen_array_open(g));
			for (size_t k = 0; k < n; k++)
				if ((r = gen_value(g, f, arr + k * elem_size(f->type))) < 0)
					return r;
			GEN(yajl_gen_array_close(g));
			continue;
		}
		if (!field_present(m, f))
			continue;
		if ((r = gen_cstr(g, f->name)) < 0 || (r = gen_value(g, f, base + f->offset)) < 0)
			return r;
	}
	return gen_unknown(g, m);
}

static int gen_message(yajl_gen g, const ProtobufCMessage *m)
{
	int r;

	GEN(yajl_gen_map_open(g));
	if ((r = gen_fields(g, m)) < 0)
		return r;
	GEN(yajl_gen_map_close(g));
	return 0;
}

/* Would the JSON of m encode back to exactly raw? */
static bool round_trips(const ProtobufCMessage *m, const uint8_t *raw, size_t len)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *json;
	size_t jlen;
	bool ok = false;

	if (!g)
		return false;
	if (gen_message(g, m) == 0 && yajl_gen_get_buf(g, &json, &jlen) == yajl_gen_status_ok) {
		_cleanup_free_ char *s = strndup((const char *)json, jlen);
		yajl_val v = s ? yajl_tree_parse(s, NULL, 0) : NULL;
		uint8_t *packed = NULL;
		size_t plen;
		char err[256];

		if (v && img_json_pack_record(m->descriptor, v, &packed, &plen, err, sizeof(err)) == 0)
			ok = plen == len && !memcmp(packed, raw, len);
		free(packed);
		yajl_tree_free(v);
	}
	yajl_gen_free(g);
	return ok;
}

int img_json_gen_record(yajl_gen g, const ProtobufCMessage *m, const uint8_t *raw, size_t len)
{
	int r;

	GEN(yajl_gen_map_open(g));
	if ((r = gen_cstr(g, "_type")) < 0 || (r = gen_cstr(g, m->descriptor->name)) < 0)
		return r;
	if ((r = gen_fields(g, m)) < 0)
		return r;
	if (raw && !round_trips(m, raw, len)) {
		if ((r = gen_cstr(g, "_raw")) < 0 || (r = gen_base64(g, raw, len)) < 0)
			return r;
	}
	GEN(yajl_gen_map_close(g));
	return 0;
}

/* ---- JSON -> message --------------------------------------------------- */

struct jctx {
	char *err;
	size_t errlen;
	char path[512];
};

_printf_(2, 3) static int jfail(struct jctx *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->path[0])
		snprintf(c->err, c->errlen, "%s: %s", c->path, msg);
	else
		snprintf(c->err, c->errlen, "%s", msg);
	return -EINVAL;
}

/* The number text of v (a JSON number or a string holding one). */
static const char *number_text(yajl_val v)
{
	if (YAJL_IS_NUMBER(v))
		return v->u.number.r;
	if (YAJL_IS_STRING(v))
		return v->u.string;
	return NULL;
}

static int parse_signed(struct jctx *c, yajl_val v, int64_t min, int64_t max, int64_t *ret)
{
	const char *s = number_text(v);
	char *end;

	if (!s || !*s)
		return jfail(c, "expected an integer");
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (*end || errno || x < min || x > max)
		return jfail(c, "'%s' is not an integer in [%lld, %lld]", s, (long long)min, (long long)max);
	*ret = x;
	return 0;
}

static int parse_unsigned(struct jctx *c, yajl_val v, uint64_t max, uint64_t *ret)
{
	const char *s = number_text(v);
	char *end;

	if (!s || !*s || *s == '-')
		return jfail(c, "expected an unsigned integer");
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (*end || errno || x > max)
		return jfail(c, "'%s' is not an integer in [0, %llu]", s, (unsigned long long)max);
	*ret = x;
	return 0;
}

static int parse_double(struct jctx *c, yajl_val v, double *ret)
{
	const char *s = number_text(v);
	char *end;

	if (!s || !*s)
		return jfail(c, "expected a number");
	errno = 0;
	*ret = strtod(s, &end);
	if (*end)
		return jfail(c, "'%s' is not a number", s);
	return 0;
}

static int parse_message(struct jctx *c, const ProtobufCMessageDescriptor *desc, yajl_val v,
			 ProtobufCMessage **ret);

/* Parse v into the value of f at p (zeroed storage). */
static int parse_value(struct jctx *c, const ProtobufCFieldDescriptor *f, yajl_val v, void *p)
{
	int64_t s;
	uint64_t u;
	double d;
	int r;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if ((r = parse_signed(c, v, INT32_MIN, INT32_MAX, &s)) < 0)
			return r;
		*(int32_t *)p = s;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if ((r = parse_signed(c, v, INT64_MIN, INT64_MAX, &s)) < 0)
			return r;
		*(int64_t *)p = s;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if ((r = parse_unsigned(c, v, UINT32_MAX, &u)) < 0)
			return r;
		*(uint32_t *)p = u;
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if ((r = parse_unsigned(c, v, UINT64_MAX, &u)) < 0)
			return r;
		*(uint64_t *)p = u;
		return 0;
	case PROTOBUF_C_TYPE_FLOAT:
		if ((r = parse_double(c, v, &d)) < 0)
			return r;
		*(float *)p = (float)d;
		return 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		if ((r = parse_double(c, v, &d)) < 0)
			return r;
		*(double *)p = d;
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
			return jfail(c, "expected true or false");
		*(protobuf_c_boolean *)p = YAJL_IS_TRUE(v);
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		if (YAJL_IS_STRING(v)) {
			const ProtobufCEnumValue *ev =
				protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, v->u.string);
			if (!ev)
				return jfail(c, "'%s' is not a value of %s", v->u.string,
					     ((const ProtobufCEnumDescriptor *)f->descriptor)->name);
			*(int *)p = ev->value;
			return 0;
		}
		if ((r = parse_signed(c, v, INT32_MIN, INT32_MAX, &s)) < 0)
			return r;
		*(int *)p = s;
		return 0;
	case PROTOBUF_C_TYPE_STRING: {
		uint8_t *b;
		size_t len;

		if (YAJL_IS_STRING(v)) {
			if (!(*(char **)p = strdup(v->u.string)))
				return -ENOMEM;
			return 0;
		}
		yajl_val b64v = YAJL_IS_OBJECT(v) && v->u.object.len == 1 &&
						!strcmp(v->u.object.keys[0], "base64")
					? v->u.object.values[0]
					: NULL;
		if (!YAJL_IS_STRING(b64v) || img_base64_decode(b64v->u.string, &b, &len) < 0)
			return jfail(c, "expected a string or {\"base64\": ...}");
		if (memchr(b, 0, len)) {
			free(b);
			return jfail(c, "a string cannot hold a NUL byte");
		}
		b[len] = 0;	/* the decoder leaves room for one byte */
		*(char **)p = (char *)b;
		return 0;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *bd = p;
		if (!YAJL_IS_STRING(v) || img_base64_decode(v->u.string, &bd->data, &bd->len) < 0)
			return jfail(c, "expected a base64 string");
		return 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		if (!YAJL_IS_OBJECT(v))
			return jfail(c, "expected an object");
		return parse_message(c, f->descriptor, v, (ProtobufCMessage **)p);
	}
	return jfail(c, "unsupported field type %d", f->type);
}

static int parse_field(struct jctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, yajl_val v)
{
	uint8_t *base = (uint8_t *)m;
	size_t plen = strlen(c->path);
	int r = 0;

	snprintf(c->path + plen, sizeof(c->path) - plen, "%s%s", plen ? "." : "", f->name);
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t es = elem_size(f->type), n;
		uint8_t *arr;

		if (!YAJL_IS_ARRAY(v)) {
			r = jfail(c, "expected an array");
			goto out;
		}
		n = v->u.array.len;
		arr = calloc(n ? n : 1, es);
		if (!arr) {
			r = -ENOMEM;
			goto out;
		}
		/* Set count and array first, so a failure is freed with the message. */
		*(size_t *)(base + f->quantifier_offset) = 0;
		*(uint8_t **)(base + f->offset) = arr;
		for (size_t k = 0; k < n && r == 0; k++) {
			size_t l2 = strlen(c->path);
			snprintf(c->path + l2, sizeof(c->path) - l2, "[%zu]", k);
			r = parse_value(c, f, v->u.array.values[k], arr + k * es);
			if (r == 0)
				*(size_t *)(base + f->quantifier_offset) = k + 1;
			c->path[l2] = 0;
		}
		goto out;
	}
	if ((f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE))
		*(void **)(base + f->offset) = NULL;	/* drop the default: ours is malloc'ed */
	r = parse_value(c, f, v, base + f->offset);
	if (r == 0) {
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
			*(uint32_t *)(base + f->quantifier_offset) = f->id;
		else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING &&
			 f->type != PROTOBUF_C_TYPE_MESSAGE)
			*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
	} else if (f->type == PROTOBUF_C_TYPE_STRING && f->default_value) {
		*(const void **)(base + f->offset) = f->default_value;
	}
out:
	c->path[plen] = 0;
	return r;
}

static int parse_unknown(struct jctx *c, ProtobufCMessage *m, yajl_val v)
{
	if (!YAJL_IS_ARRAY(v))
		return jfail(c, "_unknown: expected an array");
	m->unknown_fields = calloc(v->u.array.len ? v->u.array.len : 1, sizeof(*m->unknown_fields));
	if (!m->unknown_fields)
		return -ENOMEM;
	for (size_t i = 0; i < v->u.array.len; i++) {
		yajl_val e = v->u.array.values[i];
		const char *tp[] = { "tag", NULL }, *wp[] = { "wire_type", NULL }, *dp[] = { "data", NULL };
		yajl_val tag = yajl_tree_get(e, tp, yajl_t_any), wt = yajl_tree_get(e, wp, yajl_t_any);
		yajl_val data = yajl_tree_get(e, dp, yajl_t_string);
		ProtobufCMessageUnknownField *u = &m->unknown_fields[i];
		uint64_t t, w;

		if (!YAJL_IS_OBJECT(e) || parse_unsigned(c, tag, UINT32_MAX >> 3, &t) < 0 ||
		    parse_unsigned(c, wt, 5, &w) < 0 || !data ||
		    img_base64_decode(data->u.string, &u->data, &u->len) < 0)
			return jfail(c, "_unknown[%zu]: expected {\"tag\", \"wire_type\", \"data\"}", i);
		u->tag = t;
		u->wire_type = w;
		m->n_unknown_fields = i + 1;
	}
	return 0;
}

static int parse_message(struct jctx *c, const ProtobufCMessageDescriptor *desc, yajl_val v,
			 ProtobufCMessage **ret)
{
	ProtobufCMessage *m = calloc(1, desc->sizeof_message);
	/* Which fields were given: a key twice (or two members of a oneof) is an error. */
	_cleanup_free_ bool *seen = calloc(desc->n_fields + 1, sizeof(bool));
	bool seen_unknown = false;
	int r = 0;

	if (!m || !seen) {
		free(m);
		return -ENOMEM;
	}
	desc->message_init(m);
	for (size_t i = 0; i < v->u.object.len && r == 0; i++) {
		const char *key = v->u.object.keys[i];
		const ProtobufCFieldDescriptor *f;

		if ((f = protobuf_c_message_descriptor_get_field_by_name(desc, key))) {
			if (seen[f - desc->fields]) {
				r = jfail(c, "%s: field '%s' given twice", desc->name, key);
				break;
			}
			seen[f - desc->fields] = true;
			if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
			    *(uint32_t *)((uint8_t *)m + f->quantifier_offset) != 0) {
				r = jfail(c, "%s: '%s' and another member of its oneof are both set", desc->name, key);
				break;
			}
		}
		if (!strcmp(key, "_unknown")) {
			if (seen_unknown) {
				r = jfail(c, "%s: _unknown given twice", desc->name);
				break;
			}
			seen_unknown = true;
		}
		if (!strcmp(key, "_type")) {
			if (!YAJL_IS_STRING(v->u.object.values[i]) || strcmp(v->u.object.values[i]->u.string, desc->name))
				r = jfail(c, "_type is not %s", desc->name);
		} else if (!strcmp(key, "_raw")) {
			r = jfail(c, "_raw is only allowed at the top of a record");
		} else if (!strcmp(key, "_unknown")) {
			r = parse_unknown(c, m, v->u.object.values[i]);
		} else if ((f = protobuf_c_message_descriptor_get_field_by_name(desc, key))) {
			r = parse_field(c, m, f, v->u.object.values[i]);
		} else {
			r = jfail(c, "%s has no field '%s'", desc->name, key);
		}
	}
	/* Required scalars have no presence flag: look for their keys. */
	for (unsigned i = 0; i < desc->n_fields && r == 0; i++) {
		const char *key = desc->fields[i].name;
		const char *kp[] = { key, NULL };

		if (desc->fields[i].label == PROTOBUF_C_LABEL_REQUIRED && !yajl_tree_get(v, kp, yajl_t_any))
			r = jfail(c, "%s: required field '%s' is missing", desc->name, key);
	}
	if (r == 0 && !protobuf_c_message_check(m))
		r = jfail(c, "%s: a required field is missing", desc->name);
	if (r < 0) {
		protobuf_c_message_free_unpacked(m, NULL);
		return r;
	}
	*ret = m;
	return 0;
}

int img_json_pack_record(const ProtobufCMessageDescriptor *desc, yajl_val v, uint8_t **ret,
			 size_t *ret_len, char *err, size_t errlen)
{
	struct jctx c = { .err = err, .errlen = errlen };
	const char *rawp[] = { "_raw", NULL };
	ProtobufCMessage *m;
	int r;

	err[0] = 0;
	if (!YAJL_IS_OBJECT(v))
		return jfail(&c, "a record must be an object");
	yajl_val raw = yajl_tree_get(v, rawp, yajl_t_any);
	if (raw) {
		if (!YAJL_IS_STRING(raw) || img_base64_decode(raw->u.string, ret, ret_len) < 0)
			return jfail(&c, "_raw: expected a base64 string");
		/* Exact bytes from the original file; they must still be a valid record. */
		m = protobuf_c_message_unpack(desc, NULL, *ret_len, *ret);
		if (!m) {
			free(*ret);
			return jfail(&c, "_raw does not unpack as %s", desc->name);
		}
		protobuf_c_message_free_unpacked(m, NULL);
		return 0;
	}
	r = parse_message(&c, desc, v, &m);
	if (r < 0)
		return r;
	size_t len = protobuf_c_message_get_packed_size(m);
	*ret = malloc(len ? len : 1);
	if (!*ret) {
		protobuf_c_message_free_unpacked(m, NULL);
		return -ENOMEM;
	}
	protobuf_c_message_pack(m, *ret);
	*ret_len = len;
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}
